# -*- coding: utf-8 -*-
# Copyright (c) 2026, netfabric.core contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The bridge port resource (netfabric.core.bridge_port): membership, port flags, address migration.

Migration keeps the host reachable while its uplink becomes a bridge port. Joining runs, in order:

1. bring the bridge up and add the port's addresses to it (the address now exists twice: still
   answered on the port, and already valid on the bridge),
2. enslave the port (from now on frames arriving on the port are delivered to the bridge, which
   already owns the addresses; the bridge takes the port's MAC, so neighbours' ARP caches stay valid),
3. move every route through the port with ``route replace`` (same table key, new device): there is
   never a moment without the route; link-scope routes move before routes via a gateway, so a
   gateway is always reachable on the bridge when its route moves,
4. delete the addresses from the port.

Leaving (``state: absent``) runs the mirror image: addresses onto the port, routes back to the port,
delete the addresses from the bridge, release the port (released first, the bridge's connected routes,
being older, would still win and send replies into a bridge that no longer has the port). Every step
carries an exact undo, so a kernel refusal half way leaves addresses, routes and default route as
they were.
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.netfabric.core.plugins.module_utils import atomic, validate
from ansible_collections.netfabric.core.plugins.module_utils.addresses import (
    IPV6_MIN_MTU, copy_steps, delete_steps, read_address_entries, refuse_ipv6_loss)
from ansible_collections.netfabric.core.plugins.module_utils.converge import Plan, Resource, Snapshot, expect
from ansible_collections.netfabric.core.plugins.module_utils.errors import NetfabricError, no_such_link, wrong_kind
from ansible_collections.netfabric.core.plugins.module_utils.links import LinkTable, bring_up, link_set
from ansible_collections.netfabric.core.plugins.module_utils.netlink import Namespace, resolver
from ansible_collections.netfabric.core.plugins.module_utils.ports import FLAG_OPTIONS, JOIN_DEFAULTS, port_flag_steps, set_master
from ansible_collections.netfabric.core.plugins.module_utils.routes import (
    move_steps, read_route_entries, route_facts, route_text, unmovable)

ARGUMENT_SPEC = dict(
    bridge=dict(type="str", required=True),
    port=dict(type="str", required=True),
    state=dict(type="str", default="present", choices=["present", "absent"]),
    learning=dict(type="bool"),
    flood=dict(type="bool"),
    hairpin=dict(type="bool"),
    neigh_suppress=dict(type="bool"),
    isolated=dict(type="bool"),
    migrate_addresses=dict(type="bool", default=False),
    netns=dict(type="str"),
)


class BridgePort(Resource):
    def __init__(self, params):
        self.bridge = validate.ifname("bridge", params["bridge"])
        self.port = validate.ifname("port", params["port"])
        if self.port == self.bridge:
            validate.fail("port", params["port"], "must not be the bridge itself (a bridge enslaved to itself)")
        self.state = params["state"]
        self.flags = dict((flag, params[flag]) for flag in FLAG_OPTIONS)
        for flag, value in self.flags.items():
            if value is not None and not isinstance(value, bool):
                validate.fail(flag, value, "must be a boolean")
        self.migrate = bool(params["migrate_addresses"])
        self.ns = Namespace(validate.netns("netns", params["netns"]))

    def close(self):
        self.ns.close()

    def lock_keys(self):
        return [(self.ns, self.bridge, "bridge"), (self.ns, self.port, "port")]

    # -- reading and checking ----------------------------------------------------------------------

    def read(self):
        table = LinkTable(self.ns)
        bridge, port = table.get(self.bridge), table.get(self.port)
        facts = dict(table=table, bridge=bridge, port=port)
        if bridge is None or port is None:
            return Snapshot(None, **facts)
        view = {
            "bridge": self.bridge,
            "port": self.port,
            "state": "present" if port["master"] == self.bridge else "absent",
            "master": port["master"],
        }
        port_flags = port.get("port") or {}
        for flag in FLAG_OPTIONS:
            view[flag] = port_flags.get(flag)
        if self.migrate:
            for role, link in (("port", port), ("bridge", bridge)):
                facts[role + "_addresses"] = read_address_entries(self.ns, link["index"])
                facts[role + "_routes"] = read_route_entries(self.ns, link["index"])
                view[role + "_addresses"] = sorted(e["iface"].with_prefixlen for e in facts[role + "_addresses"])
                view[role + "_routes"] = sorted(route_text(r) for r in facts[role + "_routes"])
            # What the migration could not carry over, from the link it would empty.
            source = "port" if self.state == "present" else "bridge"
            moving = facts[source + "_addresses"] or facts[source + "_routes"]
            link = port if source == "port" else bridge
            facts["unmovable"] = unmovable(self.ns, link["index"], link["name"]) if moving else []
        elif self.state == "present" and port["master"] != self.bridge and self._lowers_bridge_mtu(port, bridge):
            facts["bridge_addresses"] = read_address_entries(self.ns, bridge["index"])
        return Snapshot(view, **facts)

    @staticmethod
    def _lowers_bridge_mtu(port, bridge):
        """A bridge follows its smallest port's MTU: a port below 1280 would take the bridge's IPv6 with it."""
        return port["mtu"] < bridge["mtu"] and port["mtu"] < IPV6_MIN_MTU

    def check(self, snapshot):
        """Both links, validated: errors name the option and value, before any change is made."""
        bridge, port = snapshot.bridge, snapshot.port
        if bridge is None:
            raise NetfabricError(no_such_link("bridge", self.bridge))
        if bridge["kind"] != "bridge":
            raise NetfabricError(wrong_kind("bridge", self.bridge, bridge["kind"], "bridge"))
        if port is None:
            raise NetfabricError(no_such_link("port", self.port))
        if port["kind"] == "bridge":
            validate.fail("port", self.port, "link is itself a bridge; a bridge cannot be a port of another bridge")
        master = snapshot.table.get(port["master"]) if port["master"] else None
        if master is not None and master["kind"] != "bridge":
            validate.fail("port", self.port, "link is enslaved to %s (a %s), not to a bridge; release it first"
                          % (master["name"], master["kind"] or "device without kind"))
        if self.state == "present":
            self._check_join(snapshot)
        elif snapshot.view["state"] == "present" and self._moves(snapshot, "bridge"):
            self._refuse_unmovable(snapshot, bridge)

    def _check_join(self, snapshot):
        if snapshot.view["state"] == "absent" and self._lowers_bridge_mtu(snapshot.port, snapshot.bridge):
            addresses = [e["iface"] for e in snapshot.bridge_addresses]
            try:
                refuse_ipv6_loss("port", snapshot.port["mtu"], self.bridge, addresses)
            except NetfabricError as exc:
                raise NetfabricError("%s (%r has mtu %d and the bridge would follow it down)"
                                     % (exc, self.port, snapshot.port["mtu"]))
        if self._moves(snapshot, "port"):
            self._refuse_unmovable(snapshot, snapshot.port)

    def _moves(self, snapshot, source):
        """Whether migration moves anything off ``source`` ("port" or "bridge")."""
        return self.migrate and bool(getattr(snapshot, source + "_addresses") or getattr(snapshot, source + "_routes"))

    def _refuse_unmovable(self, snapshot, source):
        """Routes and rules through ``source`` the migration cannot carry over: refused before any change.

        A multipath route with a nexthop on the link, a route through it in another table than main
        (the local table is the kernel's), a policy rule naming it: the kernel would drop or strand
        them once the link loses its addresses, and nothing would say so.
        """
        if snapshot.unmovable:
            option = "port" if source["name"] == self.port else "bridge"
            validate.fail(option, source["name"], "carries what migrate_addresses cannot move; move or remove it first: "
                          + "; ".join(snapshot.unmovable))

    # -- planning ----------------------------------------------------------------------------------

    def plan(self, snapshot):
        if self.state == "absent":
            after, steps = self._plan_leave(snapshot)
        else:
            after, steps = self._plan_join(snapshot)
        keys = ["state", "master"] + FLAG_OPTIONS
        if self.migrate:
            keys += ["port_addresses", "port_routes", "bridge_addresses", "bridge_routes"]
        return Plan(after, steps, expect(after, keys), self._values(snapshot, after))

    def _plan_join(self, snap):
        before = snap.view
        port_index, bridge_index = resolver(self.ns, self.port), resolver(self.ns, self.bridge)
        joining = before["state"] == "absent"
        current = JOIN_DEFAULTS if joining else dict((f, before[f]) for f in FLAG_OPTIONS)
        after = dict(before, state="present", master=self.bridge)
        for flag in FLAG_OPTIONS:
            after[flag] = self.flags[flag] if self.flags[flag] is not None else current[flag]
        steps = []
        if self._moves(snap, "port"):
            if snap.bridge["mac"] != snap.port["mac"]:
                steps.append(self._pin_mac(snap.bridge, snap.port, bridge_index))
            if not snap.bridge["up"]:
                steps.append(bring_up(self.ns, self.bridge, bridge_index))
            steps.extend(copy_steps(self.ns, snap.port_addresses, snap.bridge_addresses, self.bridge, bridge_index))
            # Enslaving cuts the port off from IPv4 (the bridge takes its frames): the routes and the port's
            # addresses move in the same system call, so no instant exists, even for a SIGKILL, between them.
            switch = ([self._enslave(snap.port, snap.bridge)] if joining else [])
            switch += move_steps(self.ns, snap.port_routes, self.port, port_index, self.bridge, bridge_index)
            switch += delete_steps(self.ns, snap.port_addresses, self.port, port_index)
            steps.append(atomic.one_request(self.ns, switch))
        elif joining:
            steps.append(self._enslave(snap.port, snap.bridge))
        steps.extend(port_flag_steps(self.ns, self.port, port_index, current, self.flags))
        if self.migrate:
            after.update(self._moved(before, "port", "bridge"))
        return after, steps

    def _plan_leave(self, snap):
        before = snap.view
        if before["state"] == "absent":
            return before, []
        port_index, bridge_index = resolver(self.ns, self.port), resolver(self.ns, self.bridge)
        after = dict(before, state="absent", master=None, **dict.fromkeys(FLAG_OPTIONS))
        steps = []
        if self._moves(snap, "bridge"):
            if not snap.port["up"]:
                steps.append(bring_up(self.ns, self.port, port_index))
            steps.extend(copy_steps(self.ns, snap.bridge_addresses, snap.port_addresses, self.port, port_index))
            steps.extend(move_steps(self.ns, snap.bridge_routes, self.bridge, bridge_index, self.port, port_index))
            # Before the release, not after: once released, the bridge's connected routes (older than the
            # port's, so preferred) would send replies into a bridge without this port.
            steps.extend(delete_steps(self.ns, snap.bridge_addresses, self.bridge, bridge_index))
        steps.append(self._release(snap.port, snap.bridge))
        if self.migrate:
            after.update(self._moved(before, "bridge", "port"))
        return after, steps

    @staticmethod
    def _moved(before, source, target):
        """The address/route views once everything on ``source`` is on ``target``."""
        return {
            source + "_addresses": [],
            source + "_routes": [],
            target + "_addresses": sorted(set(before[source + "_addresses"]) | set(before[target + "_addresses"])),
            target + "_routes": sorted(set(before[source + "_routes"]) | set(before[target + "_routes"])),
        }

    # -- step builders -----------------------------------------------------------------------------

    def _pin_mac(self, bridge, port, bridge_index):
        """The bridge answers for the port's addresses with the port's MAC, set explicitly.

        Neighbours keep their ARP/ND entries valid through the move, and an explicit MAC stays put when
        container veths with lower MACs join later (a bridge otherwise takes its lowest port MAC, and
        every neighbour loses the host until its cache entry times out: seconds of lost traffic).
        """
        return link_set(self.ns, self.bridge, "set %s mac %s (the mac of %s)" % (self.bridge, port["mac"], self.port),
                        bridge_index, {"address": port["mac"]}, {"address": bridge["mac"]})

    def _enslave(self, port, bridge):
        old = port["master"]
        text = ("move %s from bridge %s to %s" % (self.port, old, self.bridge) if old
                else "enslave %s to %s" % (self.port, self.bridge))
        port_index = resolver(self.ns, self.port)
        step = set_master(self.ns, port_index, self.bridge, old, text, old_flags=port.get("port"), bridge=bridge)
        step.request = lambda: ("link", "set", {"index": port_index(), "master": resolver(self.ns, self.bridge)()})
        return step

    def _release(self, port, bridge):
        return set_master(self.ns, resolver(self.ns, self.port), None, self.bridge,
                          "release %s from %s" % (self.port, self.bridge), old_flags=port.get("port"), bridge=bridge)

    # -- return values -----------------------------------------------------------------------------

    def _values(self, snap, after):
        """What the bridge carries once the port joined (planned in check mode), and the port's MTU.

        Callers persist exactly this (the underlay role renders it into systemd-networkd files), so
        it comes from the module that moved it rather than from a second reading of the host.
        """
        values = {"port_mtu": snap.port["mtu"]}
        if self.migrate and self.state == "present":
            routes = snap.bridge_routes + snap.port_routes  # port_routes is empty once moved
            values["bridge_addresses"] = after["bridge_addresses"]
            values["bridge_routes"] = [route_facts(r) for r in sorted(routes, key=route_text)]
        return values
