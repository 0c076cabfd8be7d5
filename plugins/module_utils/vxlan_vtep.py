# -*- coding: utf-8 -*-
# Copyright (c) 2026, netfabric.core contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The VTEP resource (netfabric.core.vxlan_vtep)."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.netfabric.core.plugins.module_utils import addrgen, validate
from ansible_collections.netfabric.core.plugins.module_utils import snapshot as snapshot_step
from ansible_collections.netfabric.core.plugins.module_utils.addresses import (
    address_steps, owned_addresses, read_addresses, refuse_ipv6_loss)
from ansible_collections.netfabric.core.plugins.module_utils.constants import VXLAN_PORT
from ansible_collections.netfabric.core.plugins.module_utils.converge import Plan, Snapshot, Step
from ansible_collections.netfabric.core.plugins.module_utils.errors import no_such_link, wrong_kind
from ansible_collections.netfabric.core.plugins.module_utils.links import LINK_OPTIONS, LinkResource, LinkTable, bring_up, link_set
from ansible_collections.netfabric.core.plugins.module_utils.netlink import NetfabricError, resolver
from ansible_collections.netfabric.core.plugins.module_utils.ports import port_flag_steps, set_master

# Outer Ethernet 14 + IP 20/40 + UDP 8 + VXLAN 8: what the VTEP's MTU must leave to the underlay.
OVERHEAD = {4: 50, 6: 70}
# The kernel refuses to change these on an existing device (EOPNOTSUPP): converge by re-creating it.
IMMUTABLE = ("vni", "local", "dstport", "dev", "group")

ARGUMENT_SPEC = dict(
    LINK_OPTIONS,
    vni=dict(type="int"),
    local=dict(type="str"),
    dev=dict(type="str"),
    dstport=dict(type="int", default=VXLAN_PORT),
    learning=dict(type="bool", default=False),
    group=dict(type="str"),
    ttl=dict(type="int"),
    master=dict(type="str"),
    neigh_suppress=dict(type="bool"),
)
REQUIRED_IF = [["state", "present", ["vni", "local", "dev"]]]


class VxlanVtep(LinkResource):
    def __init__(self, params):
        self.name = validate.ifname("name", params["name"])
        self.state = params["state"]
        self.vni = validate.vni("vni", params["vni"])
        self.local = validate.ip("local", params["local"])
        self.dev = validate.ifname("dev", params["dev"], required=False)
        self.dstport = validate.port("dstport", params["dstport"])
        self.learning = params["learning"]
        self.group = validate.ip("group", params["group"], family=self.local.version if self.local else None)
        if self.group is not None and not self.group.is_multicast:
            validate.fail("group", params["group"], "must be a multicast address (omit it for unicast VXLAN)")
        self.ttl = validate.int_range("ttl", params["ttl"], 1, 255)
        self.mtu = validate.mtu("mtu", params["mtu"])
        self.master = validate.ifname("master", params["master"], required=False)
        if self.master is not None and self.master in (self.name, self.dev):
            validate.fail("master", self.master, "must be a bridge other than the VTEP and its underlay device")
        self.neigh_suppress = params["neigh_suppress"]
        if self.neigh_suppress is not None and self.master is None:
            validate.fail("neigh_suppress", self.neigh_suppress, "is a bridge port flag and needs master")
        self._link_options(params)

    def read(self):
        links = LinkTable(self.ns)
        link = links.get(self.name)
        present = link is not None and link["kind"] == "vxlan"
        addresses = read_addresses(self.ns, link["index"]) if present and (
            self.addresses is not None or self.state == "present") else []
        owned = owned_addresses(self.ns) if self.state == "present" else set()
        generation = addrgen.read(self.ns, link, self.ipv6_addrgen) if present else None
        facts = dict(links=links, link=link, addresses=addresses, owned=owned, addrgen=generation)
        if not present:
            return Snapshot({"name": self.name, "state": "absent"}, **facts)
        view = dict(link["vxlan"], name=self.name, state="present", up=link["up"], mtu=link["mtu"],
                    master=link["master"])
        if "port" in link:
            view["neigh_suppress"] = link["port"]["neigh_suppress"]
        if self.mac is not None:
            view["mac"] = link["mac"]
        if self.addresses is not None:
            view["addresses"] = [str(a) for a in addresses]
        view.update(addrgen.view(generation, self.ipv6_addrgen))
        return Snapshot(view, **facts)

    def check(self, snapshot):
        """Validation that needs the namespace: done before the first change, never after."""
        link = snapshot.link
        if link is not None and link["kind"] != "vxlan":
            raise NetfabricError(wrong_kind("name", self.name, link["kind"], "vxlan device"))
        if self.state == "absent":
            return
        dev = snapshot.links.get(self.dev)
        if dev is None:
            raise NetfabricError(no_such_link("dev", self.dev))
        if self.local not in snapshot.owned:
            raise NetfabricError("local: %s is not an address of this host; a VTEP must send from an address "
                                 "it owns (the underlay address on %s or its bridge)" % (self.local, self.dev))
        if self.master is not None:
            bridge = snapshot.links.get(self.master)
            if bridge is None:
                raise NetfabricError(no_such_link("master", self.master))
            if bridge["kind"] != "bridge":
                raise NetfabricError(wrong_kind("master", self.master, bridge["kind"], "bridge"))
        mtu = self._mtu(dev)
        if self.addresses is not None:
            refuse_ipv6_loss("mtu", mtu, self.name, self.addresses)
        elif snapshot.view["state"] == "present":
            refuse_ipv6_loss("mtu", mtu, self.name, snapshot.addresses)

    def _mtu(self, dev):
        """The VTEP's MTU: the one asked for, within what the underlay ``dev`` leaves, else all of that."""
        limit = dev["mtu"] - OVERHEAD[self.local.version]
        if self.mtu is not None and self.mtu > limit:
            raise NetfabricError("mtu: %d exceeds what the underlay allows: %s has mtu %d, minus %d bytes of "
                                 "VXLAN/IPv%d overhead = %d, got %d" % (self.mtu, self.dev, dev["mtu"],
                                                                        OVERHEAD[self.local.version],
                                                                        self.local.version, limit, self.mtu))
        return self.mtu if self.mtu is not None else limit

    def plan(self, snapshot):
        before = snapshot.view
        index_of = resolver(self.ns, self.name)
        if self.state == "absent":
            if before["state"] == "absent":
                return Plan(before, [])
            after = {"name": self.name, "state": "absent"}
            return Plan(after, [snapshot_step.destroying_step(self.ns, self.name, "delete %s" % self.name, index_of)])
        mtu = self._mtu(snapshot.links.get(self.dev))
        master = self.master if self.master is not None else before.get("master")
        after = {"name": self.name, "state": "present", "up": True, "vni": self.vni, "local": str(self.local),
                 "dev": self.dev, "dstport": self.dstport, "learning": self.learning,
                 "group": str(self.group) if self.group else None, "ttl": self.ttl, "mtu": mtu, "master": master}
        if master is not None:
            after["neigh_suppress"] = (self.neigh_suppress if self.neigh_suppress is not None
                                       else before.get("neigh_suppress", False))
        if self.mac is not None:
            after["mac"] = self.mac
        if self.addresses is not None:
            after["addresses"] = [str(a) for a in self.addresses]
        after.update(addrgen.desired(self.ipv6_addrgen))
        steps = []
        recreate = before["state"] == "present" and any(before[k] != after[k] for k in IMMUTABLE)
        if before["state"] == "absent" or recreate:
            if recreate:
                steps.append(self._delete_for_recreate(before, after, index_of))
            steps.append(self._create(after, snapshot.links.index(self.dev, "dev"), index_of))
            current = {"mtu": None, "learning": self.learning, "ttl": self.ttl, "master": None, "up": False,
                       "mac": self.mac, "addresses": []}
            generation = None
        else:
            current = before
            generation = snapshot.addrgen
        if self.mac is not None and current["mac"] != self.mac:
            steps.append(link_set(self.ns, self.name, "mac %s on %s" % (self.mac, self.name), index_of,
                                  {"address": self.mac}, {"address": current["mac"]}))
        if current["mtu"] != mtu:
            steps.append(link_set(self.ns, self.name, "mtu=%d on %s" % (mtu, self.name), index_of,
                                  {"mtu": mtu}, {"mtu": current["mtu"]} if current["mtu"] else None))
        if current["learning"] != self.learning or current["ttl"] != self.ttl:
            new = {"kind": "vxlan", "vxlan_learning": int(self.learning), "vxlan_ttl": self.ttl or 0}
            old = {"kind": "vxlan", "vxlan_learning": int(bool(current["learning"])), "vxlan_ttl": current["ttl"] or 0}
            steps.append(link_set(self.ns, self.name, "learning=%s ttl=%s on %s"
                                  % (self.learning, self.ttl, self.name), index_of, new, old))
        if master is not None and current["master"] != master:
            steps.append(set_master(self.ns, index_of, master, current["master"],
                                    "set %s master %s" % (self.name, master)))
        if master is not None:
            # A port that was just created or moved to another bridge starts with the kernel defaults.
            flag = current.get("neigh_suppress", False) if current["master"] == master else False
            steps.extend(port_flag_steps(self.ns, self.name, index_of, {"neigh_suppress": flag},
                                         {"neigh_suppress": after["neigh_suppress"]}))
        if self.addresses is not None:
            steps.extend(address_steps(self.ns, self.name, index_of,
                                       [validate.cidr("addresses", a) for a in current["addresses"]],
                                       self.addresses))
        steps.extend(addrgen.steps(self.ns, self.name, index_of, generation, self.ipv6_addrgen))
        if not current["up"]:
            steps.append(bring_up(self.ns, self.name, index_of))
        return Plan(after, steps)

    def _create_request(self, spec, dev_index):
        request = {"ifname": self.name, "kind": "vxlan", "vxlan_id": spec["vni"],
                   "vxlan_link": dev_index, "vxlan_port": spec["dstport"],
                   "vxlan_learning": int(spec["learning"])}
        local_key = "vxlan_local" if ":" not in spec["local"] else "vxlan_local6"
        request[local_key] = spec["local"]
        if spec.get("group"):
            request["vxlan_group" if ":" not in spec["group"] else "vxlan_group6"] = spec["group"]
        if spec.get("ttl"):
            request["vxlan_ttl"] = spec["ttl"]
        if spec.get("mac"):
            request["address"] = spec["mac"]
        return request

    def _create(self, spec, dev_index, index_of):
        request = self._create_request(spec, dev_index)
        return Step("create vxlan %s vni %d local %s dev %s dstport %d"
                    % (self.name, spec["vni"], spec["local"], spec["dev"], spec["dstport"]),
                    lambda: self.ns.ipr.link("add", **request),
                    lambda: self.ns.ipr.link("del", index=index_of()))

    def _delete_for_recreate(self, before, after, index_of):
        changed = ", ".join("%s %s -> %s" % (k, before[k], after[k]) for k in IMMUTABLE if before[k] != after[k])
        return snapshot_step.destroying_step(self.ns, self.name, "re-create %s (the kernel cannot change %s in place)"
                                             % (self.name, changed), index_of)

    def result(self, after):
        return {"mtu": after.get("mtu"), "vni": after.get("vni"), "local": after.get("local")}
