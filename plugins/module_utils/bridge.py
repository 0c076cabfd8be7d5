# -*- coding: utf-8 -*-
# Copyright (c) 2026, netfabric.core contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The bridge device resource (netfabric.core.bridge)."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.netfabric.core.plugins.module_utils import addrgen, changes, validate
from ansible_collections.netfabric.core.plugins.module_utils.converge import Resource, Step
from ansible_collections.netfabric.core.plugins.module_utils.errors import wrong_kind
from ansible_collections.netfabric.core.plugins.module_utils.links import (
    LinkTable, read_addresses, refuse_ipv6_loss, resolver)
from ansible_collections.netfabric.core.plugins.module_utils.netlink import Namespace, NetfabricError

ARGUMENT_SPEC = dict(
    name=dict(type="str", required=True),
    state=dict(type="str", default="present", choices=["present", "absent"]),
    mtu=dict(type="int"),
    stp=dict(type="bool"),
    vlan_filtering=dict(type="bool"),
    mac=dict(type="str"),
    addresses=dict(type="list", elements="str"),
    ipv6_addrgen=addrgen.SPEC,
    netns=dict(type="str"),
)


class Bridge(Resource):
    def __init__(self, params):
        self.name = validate.ifname("name", params["name"])
        self.state = params["state"]
        self.mtu = validate.mtu("mtu", params["mtu"])
        self.stp = params["stp"]
        self.vlan_filtering = params["vlan_filtering"]
        self.mac = validate.mac("mac", params["mac"], allow_zero=False)
        self.addresses = validate.cidr_list("addresses", params["addresses"])
        self.ipv6_addrgen = params["ipv6_addrgen"]
        self.ns = Namespace(validate.netns("netns", params["netns"]))

    def close(self):
        self.ns.close()

    def lock_keys(self):
        return [(self.ns, self.name, "name")]

    def read(self):
        view = self.view = LinkTable(self.ns).get(self.name)
        if view is None:
            return {"name": self.name, "state": "absent"}
        if view["kind"] != "bridge":
            raise NetfabricError(wrong_kind("name", self.name, view["kind"], "bridge", "remove it or pick another name"))
        state = {
            "name": self.name, "state": "present", "up": view["up"], "mtu": view["mtu"], "mac": view["mac"],
            "stp": view["bridge"]["stp"], "vlan_filtering": view["bridge"]["vlan_filtering"],
            "addresses": [i.with_prefixlen for i in read_addresses(self.ns, view["index"])],
        }
        state.update(addrgen.read(self.ns, view, self.ipv6_addrgen))
        return state

    def plan(self, before):
        if self.state == "absent":
            if before["state"] == "absent":
                return before, []
            index_of = resolver(self.ns, self.name)
            return {"name": self.name, "state": "absent"}, [changes.delete_link(self.ns, self.name, index_of)]
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
            current_addresses = []
        else:
            current = before
            current_addresses = read_addresses(self.ns, LinkTable(self.ns).index(self.name, "name"))
        refuse_ipv6_loss("mtu", self.mtu, self.name,
                         self.addresses if self.addresses is not None else current_addresses)
        steps.extend(self._attribute_steps(current, wanted, index_of))
        if self.addresses is not None:
            steps.extend(changes.address_steps(self.ns, self.name, index_of, current_addresses, self.addresses))
        steps.extend(addrgen.steps(self.ns, self.name, index_of, self.view, self.ipv6_addrgen))
        if not before.get("up"):
            steps.append(changes.bring_up(self.ns, self.name, index_of))
        self.verify_keys = (["state", "up"] + sorted(wanted) + (["addresses"] if self.addresses is not None else [])
                            + sorted(addrgen.desired(self.ipv6_addrgen)))
        return after, steps

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
                steps.append(changes.link_set(self.ns, self.name, "%s=%s on %s" % (option, wanted[option], self.name),
                                              index_of, {"kind": "bridge", attr: int(wanted[option])}, old))
        if "mtu" in wanted and current.get("mtu") != wanted["mtu"]:
            old = {"mtu": current["mtu"]} if current.get("mtu") else None
            steps.append(changes.link_set(self.ns, self.name, "mtu=%d on %s" % (wanted["mtu"], self.name),
                                          index_of, {"mtu": wanted["mtu"]}, old))
        if "mac" in wanted and current.get("mac") != wanted["mac"]:
            old = {"address": current["mac"]} if current.get("mac") else None
            steps.append(changes.link_set(self.ns, self.name, "mac=%s on %s" % (wanted["mac"], self.name),
                                          index_of, {"address": wanted["mac"]}, old))
        return steps

    def verify(self, expected, actual):
        keys = self.verify_keys if expected.get("state") == "present" else ["state"]
        super(Bridge, self).verify(dict((k, expected.get(k)) for k in keys), dict((k, actual.get(k)) for k in keys))
