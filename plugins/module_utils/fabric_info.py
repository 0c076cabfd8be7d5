# -*- coding: utf-8 -*-
# Copyright (c) 2026, netfabric.core contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One host's fabric as data (netfabric.core.fabric_info): read only, with the modules' own readers.

Four dumps, whatever the size of the fabric: links (rtnl via LinkTable), addresses (rtnl), the
forwarding tables of every device (fdb.read_neighbours, AF_BRIDGE) and the ARP/NDP caches (AF_UNSPEC);
plus one ``nft -j list table`` through the vtep_filter resource's reader and, for an EVPN control plane,
one ``vtysh -c 'show bgp l2vpn evpn summary json'``. Everything is then grouped in Python by ifindex, so
10,000 forwarding entries cost one dump and one pass, never a request per link.
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import collections
import json
import socket

from ansible_collections.netfabric.core.plugins.module_utils import fdb, rtnl, validate
from ansible_collections.netfabric.core.plugins.module_utils.constants import (
    AF_BRIDGE, NTF_EXT_LEARNED, NTF_SELF, NUD_DELAY, NUD_FAILED, NUD_INCOMPLETE, NUD_NOARP, NUD_PERMANENT,
    NUD_PROBE, NUD_REACHABLE, NUD_STALE, VXLAN_PORT)
from ansible_collections.netfabric.core.plugins.module_utils.converge import Plan, Resource, Snapshot
from ansible_collections.netfabric.core.plugins.module_utils.frr_daemons import pathspace_name
from ansible_collections.netfabric.core.plugins.module_utils.links import LinkTable
from ansible_collections.netfabric.core.plugins.module_utils.netlink import Namespace
from ansible_collections.netfabric.core.plugins.module_utils.vtep_filter import TABLE_RE, VtepFilter

ARGUMENT_SPEC = dict(
    vtep_filter_table=dict(type="str", default="netfabric_vtep"),
    netns=dict(type="str"),
    bgp=dict(type="bool", default=True),
    frr_pathspace=dict(type="str", default=""),
)
BGP_SUMMARY = "show bgp l2vpn evpn summary json"
AF_UNSPEC = 0
# ndm_state bits (linux/neighbour.h) -> the words `ip neigh` / `bridge fdb` print.
STATE_WORDS = ((NUD_INCOMPLETE, "incomplete"), (NUD_REACHABLE, "reachable"), (NUD_STALE, "stale"), (NUD_DELAY, "delay"),
               (NUD_PROBE, "probe"), (NUD_FAILED, "failed"), (NUD_NOARP, "noarp"), (NUD_PERMANENT, "permanent"))
ORIGINS = ("static", "learned", "extern_learn")


def state_words(state):
    return [word for bit, word in STATE_WORDS if state & bit]


def origin(state, flags):
    """How a forwarding entry came to be: written by someone (static), learned from traffic by the
    kernel, or installed by a control plane (extern_learn, e.g. FRR's zebra for EVPN)."""
    if flags & NTF_EXT_LEARNED:
        return "extern_learn"
    if state & (NUD_PERMANENT | NUD_NOARP):
        return "static"
    return "learned"


def address_key(text):
    """Sort key for IP address text: IPv4 before IPv6, numeric order (inet_pton: 10,000 of them)."""
    family = socket.AF_INET6 if ":" in text else socket.AF_INET
    packed = socket.inet_pton(family, text)
    return (len(packed), packed)


def forwarding_tables(entries, vtep_indexes):
    """Per VTEP ifindex: the flood destinations and the per-MAC entries counted by origin, from the
    VTEP's own table (``self``) and from its bridge's table on the VTEP port (``master``; the kernel marks
    those with NDA_MASTER only, not NTF_MASTER)."""
    tables = dict((index, {"flood": [], "macs": dict.fromkeys(ORIGINS, 0), "bridge_macs": dict.fromkeys(ORIGINS, 0)})
                  for index in vtep_indexes)
    for index, state, flags, entry in entries:
        table = tables.get(index)
        if table is None:
            continue
        if not flags & NTF_SELF:  # the bridge's table (NDA_MASTER): the VTEP's own entries carry NTF_SELF
            if not state & NUD_PERMANENT:  # permanent = the port's own address, not a remote MAC
                table["bridge_macs"][origin(state, flags)] += 1
        elif entry.mac == fdb.ZERO_MAC and entry.dst is not None:
            table["flood"].append(entry.dst)
        elif entry.dst is not None:
            table["macs"][origin(state, flags)] += 1
    for table in tables.values():
        table["flood"].sort(key=address_key)
    return tables


def neighbour_view(entries, names):
    """ARP/NDP cache entries with a link-layer address or a state worth seeing (not the kernel's own
    NOARP entries for multicast and loopback)."""
    found = []
    for index, state, _flags, entry in entries:
        if entry.dst is None or state == NUD_NOARP:
            continue
        found.append({"dev": names.get(index), "address": entry.dst, "mac": entry.mac, "state": state_words(state)})
    return sorted(found, key=lambda n: (n["dev"] or "", address_key(n["address"])))


def tenant_links(links):
    """The VTEPs, the bridges that have a VTEP as port (tenant bridges) and every port of those bridges."""
    vteps = set(name for name, view in links.items() if view["kind"] == "vxlan")
    bridges = set(links[name]["master"] for name in vteps if links[name]["master"])
    ports = set(name for name, view in links.items() if view["master"] in bridges)
    return vteps | bridges | ports


def address_view(addresses, links, names):
    """Every address (all scopes) on the tenant links, as CIDR text per link (links without any omitted)."""
    wanted = tenant_links(links)
    found = collections.defaultdict(list)
    for msg in addresses:
        name = names.get(msg["index"])
        if name not in wanted:
            continue
        addr = msg["address"] if msg["family"] == socket.AF_INET6 else (msg["local"] or msg["address"])
        found[name].append("%s/%d" % (addr, msg["prefixlen"]))
    return dict((name, sorted(found[name], key=lambda c: address_key(c.split("/")[0]))) for name in sorted(found))


def bridge_view(name, view, links):
    ports = [{"name": port, "kind": links[port]["kind"], "up": links[port]["up"], "flags": links[port]["port"]}
             for port in sorted(links) if links[port]["master"] == name and "port" in links[port]]
    return dict(name=name, mtu=view["mtu"], up=view["up"], ports=ports, **view["bridge"])


def vtep_view(name, view, table):
    return dict(view["vxlan"], name=name, mtu=view["mtu"], up=view["up"], bridge=view["master"],
                flood=table["flood"], macs=table["macs"], bridge_macs=table["bridge_macs"])


def source_text(element):
    """A subnet of the filter's sets (vtep_filter ``sources``, nft's ``{"prefix": ...}`` element) as CIDR text."""
    return "%s/%d" % (element["prefix"]["addr"], element["prefix"]["len"])


def bgp_sessions(summary):
    """The peers of FRR's ``show bgp ... summary json``, sorted by address: state, uptime, prefixes received."""
    peers = summary.get("peers") or {}
    return [{"peer": address, "state": peer.get("state"), "uptime": peer.get("peerUptime"),
             "uptime_msec": peer.get("peerUptimeMsec"), "prefixes_received": peer.get("pfxRcd"),
             "remote_as": peer.get("remoteAs"), "dynamic": bool(peer.get("dynamicPeer"))}
            for address, peer in sorted(peers.items(), key=lambda item: address_key(item[0]))]


def bgp_view(code, out, err):
    """What vtysh said, as data: ``running`` with the sessions, or ``not_running`` with vtysh's words (no
    daemon to talk to, bgpd not started, no EVPN in its configuration)."""
    text = (out or "").strip()
    try:
        summary = json.loads(text) if code == 0 and text else None
    except ValueError:
        summary = None
    if not isinstance(summary, dict):
        reason = " ".join(((err or "") + " " + text).split()) or "vtysh exited with %d" % code
        return {"state": "not_running", "reason": reason}
    return {"state": "running", "router_id": summary.get("routerId"), "as": summary.get("as"),
            "sessions": bgp_sessions(summary)}


class FabricInfo(Resource):
    """Reads only: plan() never has a step, so converge() reports changed=false in every mode."""

    def __init__(self, params, run_command, nft_path, vtysh_path=None):
        self.table = params["vtep_filter_table"]
        if self.table and not TABLE_RE.match(self.table):
            validate.fail("vtep_filter_table", self.table,
                          "must be an nftables table name of 1-32 characters [A-Za-z0-9_], starting with a letter "
                          "(or empty: skip)")
        self.pathspace = params["frr_pathspace"] and pathspace_name("frr_pathspace", params["frr_pathspace"])
        self.bgp = params["bgp"]
        self.vtysh_path = vtysh_path
        self.netns = validate.netns("netns", params["netns"])
        self.ns = Namespace(self.netns)
        self.run_command = run_command
        self.nft_path = nft_path

    def close(self):
        self.ns.close()

    def read(self):
        table = LinkTable(self.ns)
        links = dict((name, view) for name, view in table.by_name.items() if name is not None)
        addresses = rtnl.read_addresses(self.ns.raw)
        vtep_indexes = dict((view["index"], name) for name, view in links.items() if view["kind"] == "vxlan")
        tables = forwarding_tables(fdb.read_neighbours(self.ns.raw, AF_BRIDGE), vtep_indexes)
        info = {
            "bridges": [bridge_view(name, view, links) for name, view in sorted(links.items()) if view["kind"] == "bridge"],
            "vteps": [vtep_view(name, links[name], tables[index])
                      for index, name in sorted(vtep_indexes.items(), key=lambda item: item[1])],
            "neighbours": neighbour_view(fdb.read_neighbours(self.ns.raw, AF_UNSPEC), table.names),
            "tenant_addresses": address_view(addresses, links, table.names),
            "vtep_filter": self._vtep_filter(),
            "bgp": self._bgp(),
        }
        return Snapshot(summary(info), values={"fabric": info})

    def _vtep_filter(self):
        """The filter table's peer sets and drop counter through the vtep_filter module's reader."""
        if not self.table:
            return None
        if self.nft_path is None:
            return {"table": self.table, "state": "unknown", "reason": "the nft command is not installed"}
        reader = VtepFilter({"table": self.table, "dstport": VXLAN_PORT, "peers": [], "sources": [], "bgp": False,
                             "state": "present", "netns": self.netns}, self.run_command)
        try:
            snapshot = reader.read()
        finally:
            reader.close()
        summary = snapshot.view
        if summary["state"] == "absent":
            return {"table": self.table, "state": "absent"}
        elements = summary["sets"].get("peers4", []) + summary["sets"].get("peers6", [])
        return {"table": self.table, "state": "present", "peers": [e for e in elements if not isinstance(e, dict)],
                "sources": [source_text(e) for e in elements if isinstance(e, dict)],
                "dropped_packets": snapshot.values["dropped_packets"], "rules": summary["rules"]}

    def _bgp(self):
        """The BGP EVPN sessions of the host's FRR (pathspace ``frr_pathspace``), asked through vtysh."""
        if not self.bgp:
            return None
        if self.vtysh_path is None:
            return {"state": "unknown", "reason": "the vtysh command is not installed (no FRR)"}
        argv = [self.vtysh_path] + (["-N", self.pathspace] if self.pathspace else []) + ["-c", BGP_SUMMARY]
        code, out, err = self.ns.inside(lambda: self.run_command(argv))
        return bgp_view(code, out, err)

    def plan(self, snapshot):
        return Plan(snapshot.view, [])


def summary(info):
    """What diff mode shows: names and counts, not the (possibly 10,000-entry) lists."""
    return {"bridges": [b["name"] for b in info["bridges"]],
            "vteps": dict((v["name"], {"vni": v["vni"], "flood": len(v["flood"])}) for v in info["vteps"])}
