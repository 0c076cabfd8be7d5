# -*- coding: utf-8 -*-
# Copyright (c) 2026, netfabric.core contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The bridge device resource (netfabric.core.bridge)."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.netfabric.core.plugins.module_utils import addrgen, validate
from ansible_collections.netfabric.core.plugins.module_utils.addresses import address_steps, read_addresses, refuse_ipv6_loss
from ansible_collections.netfabric.core.plugins.module_utils.converge import Plan, Snapshot, Step, expect
from ansible_collections.netfabric.core.plugins.module_utils.errors import wrong_kind
from ansible_collections.netfabric.core.plugins.module_utils.links import LINK_OPTIONS, LinkResource, LinkTable, bring_up, delete_link, link_set
from ansible_collections.netfabric.core.plugins.module_utils.netlink import NetfabricError, resolver

ARGUMENT_SPEC = dict(
    LINK_OPTIONS,
    stp=dict(type="bool"),
    vlan_filtering=dict(type="bool"),
)


class Bridge(LinkResource):
    def __init__(self, params):
        self.name = validate.ifname("name", params["name"])
        self.state = params["state"]
        self.mtu = validate.mtu("mtu", params["mtu"])
        self.stp = params["stp"]
        self.vlan_filtering = params["vlan_filtering"]
        self._link_options(params)

    def read(self):
        link = LinkTable(self.ns).get(self.name)
        if link is None or link["kind"] != "bridge":
            return Snapshot({"name": self.name, "state": "absent"}, link=link, addresses=[], addrgen=None)
        addresses = read_addresses(self.ns, link["index"])
        view = {
            "name": self.name, "state": "present", "up": link["up"], "mtu": link["mtu"], "mac": link["mac"],
            "stp": link["bridge"]["stp"], "vlan_filtering": link["bridge"]["vlan_filtering"],
            "addresses": [i.with_prefixlen for i in addresses],
        }
        generation = addrgen.read(self.ns, link, self.ipv6_addrgen)
        view.update(addrgen.view(generation, self.ipv6_addrgen))
        return Snapshot(view, link=link, addresses=addresses, addrgen=generation)

    def check(self, snapshot):
        link = snapshot.link
        if link is not None and link["kind"] != "bridge":
            raise NetfabricError(wrong_kind("name", self.name, link["kind"], "bridge", "remove it or pick another name"))
        if self.state == "present":
            refuse_ipv6_loss("mtu", self.mtu, self.name,
                             self.addresses if self.addresses is not None else snapshot.addresses)

    def plan(self, snapshot):
        before = snapshot.view
        if self.state == "absent":
            if before["state"] == "absent":
                return Plan(before, [], expect(before, ["state"]))
            index_of = resolver(self.ns, self.name)
            after = {"name": self.name, "state": "absent"}
            return Plan(after, [delete_link(self.ns, self.name, index_of)], expect(after, ["state"]))
        wanted = {"mtu": self.mtu, "mac": self.mac, "stp": self.stp, "vlan_filtering": self.vlan_filtering}
        wanted = dict((k, v) for k, v in wanted.items() if v is not None)
        after = dict(before, state="present", up=True, **wanted)
        after.update(addrgen.desired(self.ipv6_addrgen))
        if self.addresses is not None:
            after["addresses"] = [i.with_prefixlen for i in self.addresses]
        index_of = resolver(self.ns, self.name)
        steps = []
        if before["state"] == "absent":
            steps.append(self._create())
            after.setdefault("addresses", [])
            current = dict.fromkeys(("mtu", "mac", "stp", "vlan_filtering"))
        else:
            current = before
        steps.extend(self._attribute_steps(current, wanted, index_of))
        if self.addresses is not None:
            steps.extend(address_steps(self.ns, self.name, index_of, snapshot.addresses, self.addresses))
        steps.extend(addrgen.steps(self.ns, self.name, index_of, snapshot.addrgen, self.ipv6_addrgen))
        if not before.get("up"):
            steps.append(bring_up(self.ns, self.name, index_of))
        keys = (["state", "up"] + sorted(wanted) + (["addresses"] if self.addresses is not None else [])
                + sorted(addrgen.desired(self.ipv6_addrgen)))
        return Plan(after, steps, expect(after, keys))

    def _create(self):
        def create():
            self.ns.ipr.link("add", ifname=self.name, kind="bridge")
        return Step("create bridge %s" % self.name, create,
                    lambda: self.ns.ipr.link("del", index=resolver(self.ns, self.name)()))

    def _attribute_steps(self, current, wanted, index_of):
        # vlan_filtering first: the change most likely to be refused (EOPNOTSUPP) fails before any other.
        steps = []
        for option, attr in (("vlan_filtering", "br_vlan_filtering"), ("stp", "br_stp_state")):
            if option in wanted and bool(current.get(option)) != wanted[option]:
                old = {"kind": "bridge", attr: int(bool(current.get(option)))}
                steps.append(link_set(self.ns, self.name, "%s=%s on %s" % (option, wanted[option], self.name),
                                      index_of, {"kind": "bridge", attr: int(wanted[option])}, old))
        if "mtu" in wanted and current.get("mtu") != wanted["mtu"]:
            old = {"mtu": current["mtu"]} if current.get("mtu") else None
            steps.append(link_set(self.ns, self.name, "mtu=%d on %s" % (wanted["mtu"], self.name),
                                  index_of, {"mtu": wanted["mtu"]}, old))
        if "mac" in wanted and current.get("mac") != wanted["mac"]:
            old = {"address": current["mac"]} if current.get("mac") else None
            steps.append(link_set(self.ns, self.name, "mac=%s on %s" % (wanted["mac"], self.name),
                                  index_of, {"address": wanted["mac"]}, old))
        return steps
