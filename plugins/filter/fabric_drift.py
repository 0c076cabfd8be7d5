# -*- coding: utf-8 -*-
# Copyright (c) 2026, netfabric.core contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Compare one host's fabric (netfabric.core.fabric_info) with the overlay role's desired state."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import ipaddress
import re

from ansible.errors import AnsibleFilterError

VTEP_KEYS = ("vni", "local", "dev", "dstport", "learning")


def _canonical(address):
    return str(ipaddress.ip_address(str(address)))


def _vtep_drift(name, planned, actual, bridge, report):
    """A VTEP that exists: its settings, its bridge, its flood list."""
    for key in VTEP_KEYS:
        want = planned["vni"] if key == "vni" else planned["vtep"][key]
        want = _canonical(want) if key == "local" else want
        if actual.get(key) != want:
            report["different"].append("vtep %s: %s %s (plan %s)" % (name, key, _text(actual.get(key)), _text(want)))
    if actual.get("bridge") != bridge:
        report["different"].append("vtep %s: bridge %s (plan %s)" % (name, _text(actual.get("bridge")), bridge))
    if not actual.get("up"):
        report["different"].append("vtep %s: down (plan up)" % name)
    if planned.get("evpn"):
        return  # zebra owns the flood list (type-3 routes): its entries are the control plane's, not drift
    want = set(_canonical(peer) for peer in planned.get("flood", []))
    have = set(actual.get("flood", []))
    report["missing"].extend("flood %s -> %s" % (name, dst) for dst in sorted(want - have, key=_address_key))
    report["extra"].extend("flood %s -> %s" % (name, dst) for dst in sorted(have - want, key=_address_key))


def _evpn_port_drift(name, bridge, report):
    """An EVPN VTEP port: no MAC learning (type-2 routes install remote MACs), ARP/ND suppression on."""
    port = next((p for p in (bridge or {}).get("ports", []) if p["name"] == name), None)
    if port is None:
        return  # reported as the VTEP's bridge being different or missing
    flags = port.get("flags") or {}
    for flag, want in (("learning", False), ("neigh_suppress", True)):
        if flags.get(flag) != want:
            report["different"].append("vtep %s: port %s %s (plan %s)" % (name, flag, _text(flags.get(flag)), _text(want)))


def _bgp_drift(actual, peers, report):
    """Each planned BGP peer (the route reflectors) has an Established session."""
    if not actual or actual.get("state") != "running":
        report["different"].append("bgp: not running (%s)" % (actual or {}).get("reason", "not read"))
        return
    sessions = dict((s["peer"], s) for s in actual.get("sessions", []))
    for peer in sorted(set(_canonical(p) for p in peers), key=_address_key):
        session = sessions.get(peer)
        if session is None:
            report["missing"].append("bgp session %s" % peer)
        elif session.get("state") != "Established":
            report["different"].append("bgp session %s: %s (plan Established)" % (peer, session.get("state")))


def _text(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    return "none" if value is None else str(value)


def _address_key(text):
    address = ipaddress.ip_address(text)
    return (address.version, int(address))


def _filter_drift(actual, peers, report):
    if actual is None or actual.get("state") == "unknown":
        report["different"].append("vtep_filter: cannot be read (%s)" % (actual or {}).get("reason", "not read"))
        return
    if actual.get("state") != "present":
        report["missing"].append("vtep_filter table %s" % actual.get("table"))
        return
    want = set(_canonical(peer) for peer in peers)
    have = set(actual.get("peers", []))
    report["missing"].extend("vtep_filter peer %s" % p for p in sorted(want - have, key=_address_key))
    report["extra"].extend("vtep_filter peer %s" % p for p in sorted(have - want, key=_address_key))


def fabric_drift(fabric, desired, endpoints=None, filter_peers=None, bridge_prefix="brv", vtep_prefix="vx",
                 bgp_peers=None):
    """``{missing, extra, different}``: lists of short texts, empty when the host is as planned.

    Tenants planned with ``evpn`` (overlay_control_plane: evpn) are not judged by their flood list (FRR's zebra
    writes it) but by their VTEP ports' flags; ``bgp_peers`` (a list, e.g. the route reflectors) asks for an
    Established BGP session to each, from fabric_info's ``bgp``."""
    if not isinstance(fabric, dict) or "vteps" not in fabric or "bridges" not in fabric:
        raise AnsibleFilterError("fabric_drift: input must be the fabric of netfabric.core.fabric_info, got %r"
                                 % (type(fabric).__name__,))
    if not isinstance(desired, dict) or not isinstance(desired.get("tenants"), list):
        raise AnsibleFilterError("fabric_drift: desired must be the overlay role's overlay_desired (with tenants)")
    report = {"missing": [], "extra": [], "different": []}
    vteps = dict((v["name"], v) for v in fabric["vteps"])
    bridges = dict((b["name"], b) for b in fabric["bridges"])
    planned_bridges = set()
    for tenant in desired["tenants"]:
        name, bridge = tenant["vtep"]["name"], tenant["bridge"]
        planned_bridges.add(bridge)
        if bridge not in bridges:
            report["missing"].append("bridge %s (tenant %s)" % (bridge, tenant["name"]))
        if name not in vteps:
            report["missing"].append("vtep %s (vni %s)" % (name, tenant["vni"]))
        else:
            _vtep_drift(name, tenant, vteps[name], bridge, report)
            if tenant.get("evpn"):
                _evpn_port_drift(name, bridges.get(bridge), report)
    planned_vteps = set(t["vtep"]["name"] for t in desired["tenants"])
    report["extra"].extend("vtep %s (vni %s)" % (n, v["vni"]) for n, v in sorted(vteps.items())
                           if n not in planned_vteps and n.startswith(vtep_prefix))
    tenant_bridge = re.compile(re.escape(bridge_prefix) + r"\d+$")
    report["extra"].extend("bridge %s" % n for n in sorted(bridges) if tenant_bridge.match(n) and n not in planned_bridges)
    for endpoint in endpoints or []:
        bridge_name = endpoint.get("bridge") or "%s%s" % (bridge_prefix, endpoint["vni"])
        bridge = bridges.get(bridge_name)
        if bridge is not None and endpoint["ifname"] not in [p["name"] for p in bridge["ports"]]:
            report["missing"].append("port %s on %s (container %s)" % (endpoint["ifname"], bridge_name,
                                                                       endpoint["name"]))
    for link, cidrs in sorted((fabric.get("tenant_addresses") or {}).items()):
        # The kernel's IPv6 link-local addresses are not configuration; any other address is.
        report["extra"].extend("address %s on %s" % (c, link) for c in cidrs if not c.lower().startswith("fe80:"))
    if filter_peers is not None:
        _filter_drift(fabric.get("vtep_filter"), filter_peers, report)
    if bgp_peers is not None:
        _bgp_drift(fabric.get("bgp"), bgp_peers, report)
    return report


class FilterModule(object):
    def filters(self):
        return {"fabric_drift": fabric_drift}
