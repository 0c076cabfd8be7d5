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

import ipaddress
import socket

from ansible_collections.netfabric.core.plugins.module_utils import atomic, changes, validate
from ansible_collections.netfabric.core.plugins.module_utils.constants import (
    IFA_F_HOMEADDRESS, IFA_F_MANAGETEMPADDR, IFA_F_MCAUTOJOIN, IFA_F_NODAD, IFA_F_NOPREFIXROUTE, IFA_F_OPTIMISTIC,
    RTNH_F_ONLINK)
from ansible_collections.netfabric.core.plugins.module_utils.converge import Resource, Step
from ansible_collections.netfabric.core.plugins.module_utils.errors import NetfabricError, no_such_link, wrong_kind
from ansible_collections.netfabric.core.plugins.module_utils.links import IPV6_MIN_MTU, PORT_FLAGS, LinkTable, refuse_ipv6_loss, resolver
from ansible_collections.netfabric.core.plugins.module_utils.netlink import Namespace
from ansible_collections.netfabric.core.plugins.module_utils.routes import read_link_routes, route_request, unmovable

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

FLAG_OPTIONS = sorted(PORT_FLAGS)
# What the kernel gives a port when it joins a bridge (BR_LEARNING | BR_FLOOD, nothing else).
JOIN_DEFAULTS = {"learning": True, "flood": True, "hairpin": False, "neigh_suppress": False, "isolated": False}

INFINITY_LIFETIME = 0xFFFFFFFF
# Address flags a user sets (ip address add ... nodad noprefixroute ...); the others are kernel state
# (secondary, tentative, deprecated, permanent, dadfailed) and must not be copied.
USER_ADDRESS_FLAGS = (IFA_F_NODAD | IFA_F_OPTIMISTIC | IFA_F_HOMEADDRESS | IFA_F_MANAGETEMPADDR | IFA_F_NOPREFIXROUTE
                      | IFA_F_MCAUTOJOIN)


def read_address_entries(ns, index):
    """Global-scope addresses of a link in kernel order (IPv4 primary before its secondaries).

    Each entry keeps what is needed to re-create the address exactly elsewhere: flags, broadcast,
    lifetimes. Adding in this order and deleting in reverse never deletes a primary before its
    secondaries (which would take them with it).
    """
    entries = []
    for msg in ns.ipr.addr("dump", index=index):
        if msg["index"] != index or msg["scope"] != 0:
            continue
        attrs = dict(msg["attrs"])
        family = msg["family"]
        addr = attrs.get("IFA_ADDRESS") if family == socket.AF_INET6 else (attrs.get("IFA_LOCAL") or attrs.get("IFA_ADDRESS"))
        cache = attrs.get("IFA_CACHEINFO")
        valid = cache["ifa_valid"] if cache is not None else INFINITY_LIFETIME
        preferred = cache["ifa_preferred"] if cache is not None else INFINITY_LIFETIME
        entries.append({
            "iface": ipaddress.ip_interface("%s/%d" % (addr, msg["prefixlen"])),
            "flags": attrs.get("IFA_FLAGS", msg["flags"]) & USER_ADDRESS_FLAGS,
            "broadcast": attrs.get("IFA_BROADCAST"),
            "lifetimes": None if valid == INFINITY_LIFETIME and preferred == INFINITY_LIFETIME else (valid, preferred),
        })
    return entries


def address_request(entry, index):
    iface = entry["iface"]
    request = {"index": index, "address": str(iface.ip), "prefixlen": iface.network.prefixlen}
    if entry["flags"]:
        request["flags"] = entry["flags"]
    if entry["broadcast"]:
        request["broadcast"] = entry["broadcast"]
    if entry["lifetimes"]:
        request["valid_lft"], request["preferred_lft"] = entry["lifetimes"]
    return request


def read_route_entries(ns, index):
    """The routes through link ``index`` (routes.read_link_routes, with ``onlink``), in the order they move:
    routes without a gateway first, since a gateway must be reachable on the new link when its route moves."""
    return sorted(read_link_routes(ns, index, onlink=True),
                  key=lambda r: (r["gateway"] is not None, r["family"] == socket.AF_INET6))


def route_text(route):
    """``default via 192.0.2.1 metric 100`` (no device: the same route reads the same on either link)."""
    parts = [route["dst"]]
    if route["gateway"]:
        parts.append("via %s" % route["gateway"])
    if route["onlink"]:
        parts.append("onlink")
    if route["prefsrc"]:
        parts.append("src %s" % route["prefsrc"])
    if route["priority"] is not None:
        parts.append("metric %d" % route["priority"])
    return " ".join(parts)


def route_facts(route):
    """A route as plain data for callers: ``dst`` (CIDR or ``default``), ``gateway``, ``metric``, ..."""
    return {"dst": route["dst"], "gateway": route["gateway"], "metric": route["priority"],
            "prefsrc": route["prefsrc"], "onlink": route["onlink"]}


def route_on(route, index):
    request = route_request(route, index)
    if route["onlink"]:
        request["flags"] = RTNH_F_ONLINK
    return request


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
        self.snapshot = None

    def close(self):
        self.ns.close()

    def lock_keys(self):
        return [(self.ns, self.bridge, "bridge"), (self.ns, self.port, "port")]

    # -- reading -----------------------------------------------------------------------------------

    def _links(self):
        """Both links, validated: errors name the option and value, before any change is made."""
        table = LinkTable(self.ns)
        bridge = table.get(self.bridge)
        if bridge is None:
            raise NetfabricError(no_such_link("bridge", self.bridge))
        if bridge["kind"] != "bridge":
            raise NetfabricError(wrong_kind("bridge", self.bridge, bridge["kind"], "bridge"))
        port = table.get(self.port)
        if port is None:
            raise NetfabricError(no_such_link("port", self.port))
        if port["kind"] == "bridge":
            validate.fail("port", self.port, "link is itself a bridge; a bridge cannot be a port of another bridge")
        master = table.get(port["master"]) if port["master"] else None
        if master is not None and master["kind"] != "bridge":
            validate.fail("port", self.port, "link is enslaved to %s (a %s), not to a bridge; release it first"
                          % (master["name"], master["kind"] or "device without kind"))
        return bridge, port

    def read(self):
        bridge, port = self._links()
        snap = {"bridge": bridge, "port": port}
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
                snap[role + "_addresses"] = read_address_entries(self.ns, link["index"])
                snap[role + "_routes"] = read_route_entries(self.ns, link["index"])
                view[role + "_addresses"] = sorted(e["iface"].with_prefixlen for e in snap[role + "_addresses"])
                view[role + "_routes"] = sorted(route_text(r) for r in snap[role + "_routes"])
        self.snapshot = snap
        return view

    # -- planning ----------------------------------------------------------------------------------

    def plan(self, before):
        if self.state == "absent":
            return self._plan_leave(before)
        return self._plan_join(before)

    def _plan_join(self, before):
        snap = self.snapshot
        port_index, bridge_index = resolver(self.ns, self.port), resolver(self.ns, self.bridge)
        joining = before["state"] == "absent"
        current = JOIN_DEFAULTS if joining else dict((f, before[f]) for f in FLAG_OPTIONS)
        after = dict(before, state="present", master=self.bridge)
        for flag in FLAG_OPTIONS:
            after[flag] = self.flags[flag] if self.flags[flag] is not None else current[flag]
        steps = []
        if joining:
            self._refuse_ipv6_loss(snap)
        moves = self.migrate and (snap["port_addresses"] or snap["port_routes"])
        if moves:
            self._refuse_unmovable(snap["port"])
            if snap["bridge"]["mac"] != snap["port"]["mac"]:
                steps.append(self._pin_mac(snap["bridge"], snap["port"], bridge_index))
            if not snap["bridge"]["up"]:
                steps.append(changes.bring_up(self.ns, self.bridge, bridge_index))
            steps.extend(self._add_addresses(snap["port_addresses"], snap["bridge_addresses"], self.bridge, bridge_index))
            # Enslaving cuts the port off from IPv4 (the bridge takes its frames): the routes and the port's
            # addresses move in the same system call, so no instant exists, even for a SIGKILL, between them.
            switch = ([self._enslave(snap["port"], snap["bridge"])] if joining else [])
            switch += self._move_routes(snap["port_routes"], self.port, port_index, self.bridge, bridge_index)
            switch += self._delete_addresses(snap["port_addresses"], self.port, port_index)
            steps.append(atomic.one_request(self.ns, switch))
        elif joining:
            steps.append(self._enslave(snap["port"], snap["bridge"]))
        steps.extend(changes.port_flag_steps(self.ns, self.port, port_index, current, self.flags))
        if self.migrate:
            after.update(self._moved(before, "port", "bridge"))
        return after, steps

    def _plan_leave(self, before):
        if before["state"] == "absent":
            return before, []
        snap = self.snapshot
        port_index, bridge_index = resolver(self.ns, self.port), resolver(self.ns, self.bridge)
        after = dict(before, state="absent", master=None, **dict.fromkeys(FLAG_OPTIONS))
        moves = self.migrate and (snap["bridge_addresses"] or snap["bridge_routes"])
        steps = []
        if moves:
            self._refuse_unmovable(snap["bridge"])
            if not snap["port"]["up"]:
                steps.append(changes.bring_up(self.ns, self.port, port_index))
            steps.extend(self._add_addresses(snap["bridge_addresses"], snap["port_addresses"], self.port, port_index))
            steps.extend(self._move_routes(snap["bridge_routes"], self.bridge, bridge_index, self.port, port_index))
            # Before the release, not after: once released, the bridge's connected routes (older than the
            # port's, so preferred) would send replies into a bridge without this port.
            steps.extend(self._delete_addresses(snap["bridge_addresses"], self.bridge, bridge_index))
        steps.append(self._release(snap["port"], snap["bridge"]))
        if self.migrate:
            after.update(self._moved(before, "bridge", "port"))
        return after, steps

    def _refuse_unmovable(self, source):
        """Routes and rules through ``source`` the migration cannot carry over: refused before any change.

        A multipath route with a nexthop on the link, a route through it in another table than main
        (the local table is the kernel's), a policy rule naming it: the kernel would drop or strand
        them once the link loses its addresses, and nothing would say so.
        """
        found = unmovable(self.ns, source["index"], source["name"])
        if found:
            option = "port" if source["name"] == self.port else "bridge"
            validate.fail(option, source["name"], "carries what migrate_addresses cannot move; move or remove it first: "
                          + "; ".join(found))

    def _refuse_ipv6_loss(self, snap):
        """A bridge follows its smallest port's MTU: a port below 1280 would take the bridge's IPv6 with it."""
        port_mtu, bridge = snap["port"]["mtu"], snap["bridge"]
        if port_mtu >= bridge["mtu"] or port_mtu >= IPV6_MIN_MTU:
            return
        addresses = [e["iface"] for e in snap.get("bridge_addresses", read_address_entries(self.ns, bridge["index"]))]
        try:
            refuse_ipv6_loss("port", port_mtu, self.bridge, addresses)
        except NetfabricError as exc:
            raise NetfabricError("%s (%r has mtu %d and the bridge would follow it down)" % (exc, self.port, port_mtu))

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

    def _add_addresses(self, entries, existing, name, index_of):
        have = set(e["iface"] for e in existing)
        steps = []
        for entry in entries:
            if entry["iface"] in have:
                continue
            steps.append(Step("add address %s to %s" % (entry["iface"].with_prefixlen, name),
                              self._move_in(entry, index_of), self._addr("del", entry, index_of)))
        return steps

    def _move_in(self, entry, index_of):
        """Add an address that this host already owns on the other link.

        An IPv6 address added normally stays "tentative" (unusable) for 1-2 s of duplicate address
        detection, and the copy on the other link is deleted a moment later: IPv6 traffic to the host
        would be dropped meanwhile. The address is ours already, so it is added with ``nodad`` and then
        given back its own flags (an address change does not restart DAD), ending exactly as it was.
        """
        if entry["iface"].version == 4 or entry["flags"] & IFA_F_NODAD:
            return self._addr("add", entry, index_of)

        def add():
            request = address_request(entry, index_of())
            self.ns.ipr.addr("add", **dict(request, flags=entry["flags"] | IFA_F_NODAD))
            self.ns.ipr.addr("replace", **dict(request, flags=entry["flags"]))
        return add

    def _pin_mac(self, bridge, port, bridge_index):
        """The bridge answers for the port's addresses with the port's MAC, set explicitly.

        Neighbours keep their ARP/ND entries valid through the move, and an explicit MAC stays put when
        container veths with lower MACs join later (a bridge otherwise takes its lowest port MAC, and
        every neighbour loses the host until its cache entry times out: seconds of lost traffic).
        """
        return changes.link_set(self.ns, self.bridge, "set %s mac %s (the mac of %s)" % (self.bridge, port["mac"], self.port),
                                bridge_index, {"address": port["mac"]}, {"address": bridge["mac"]})

    def _delete_addresses(self, entries, name, index_of):
        steps = []
        for entry in reversed(entries):
            step = Step("delete address %s from %s" % (entry["iface"].with_prefixlen, name),
                        self._addr("del", entry, index_of), self._addr("add", entry, index_of))
            step.request = (lambda entry=entry: ("addr", "del", address_request(entry, index_of())))
            steps.append(step)
        return steps

    def _addr(self, command, entry, index_of):
        return lambda: self.ns.ipr.addr(command, **address_request(entry, index_of()))

    def _move_routes(self, routes, source, source_index, target, target_index):
        steps = []
        for route in routes:
            def mover(index_of, route=route):
                return lambda: self.ns.ipr.route("replace", **route_on(route, index_of()))
            step = Step("move route %s from %s to %s" % (route_text(route), source, target),
                        mover(target_index), mover(source_index))
            step.request = (lambda route=route: ("route", "replace", route_on(route, target_index())))
            steps.append(step)
        return steps

    def _set_master(self, master_name, flags, bridge):
        """Put the port into ``master_name`` (None = release) and, for a bridge, restore ``flags``.

        A bridge without an explicit MAC takes the lowest MAC of its ports, so joining or leaving can
        change the MAC of ``bridge``; an undo sets it back to what it was.
        """
        def apply():
            ipr = self.ns.ipr
            master = ipr.link("get", ifname=master_name)[0]["index"] if master_name else 0
            port_index = resolver(self.ns, self.port)()
            ipr.link("set", index=port_index, master=master)
            if master_name and flags:
                ipr.brport("set", index=port_index, **dict((PORT_FLAGS[f], int(v)) for f, v in flags.items()))
            if bridge is not None:
                current = ipr.link("get", ifname=bridge["name"])[0].get("address")
                if current != bridge["mac"]:
                    ipr.link("set", index=bridge["index"], address=bridge["mac"])
        return apply

    def _enslave(self, port, bridge):
        old = port["master"]
        text = ("move %s from bridge %s to %s" % (self.port, old, self.bridge) if old
                else "enslave %s to %s" % (self.port, self.bridge))
        step = Step(text, self._set_master(self.bridge, None, None), self._set_master(old, port.get("port"), bridge))
        step.request = lambda: ("link", "set", {"index": resolver(self.ns, self.port)(),
                                                "master": resolver(self.ns, self.bridge)()})
        return step

    def _release(self, port, bridge):
        return Step("release %s from %s" % (self.port, self.bridge),
                    self._set_master(None, None, None), self._set_master(self.bridge, port.get("port"), bridge))

    # -- return values -----------------------------------------------------------------------------

    def result(self, after):
        """What the bridge carries once the port joined (planned in check mode), and the port's MTU.

        Callers persist exactly this (the underlay role renders it into systemd-networkd files), so
        it comes from the module that moved it rather than from a second reading of the host.
        """
        snap = self.snapshot
        result = {"port_mtu": snap["port"]["mtu"]}
        if self.migrate and self.state == "present":
            routes = snap["bridge_routes"] + snap["port_routes"]  # port_routes is empty once moved
            result["bridge_addresses"] = after["bridge_addresses"]
            result["bridge_routes"] = [route_facts(r) for r in sorted(routes, key=route_text)]
        return result

    # -- verification ------------------------------------------------------------------------------

    def verify(self, expected, actual):
        """Membership, every flag and (with migration) both links' addresses and routes, read back."""
        keys = ["state", "master"] + FLAG_OPTIONS
        if self.migrate:
            keys += ["port_addresses", "port_routes", "bridge_addresses", "bridge_routes"]
        super(BridgePort, self).verify(dict((k, expected.get(k)) for k in keys), dict((k, actual.get(k)) for k in keys))
