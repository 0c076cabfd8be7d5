# -*- coding: utf-8 -*-
# Copyright (c) 2026, netfabric.core contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The VTEP source filter resource (netfabric.core.vtep_filter): an nftables table per namespace.

Linux accepts VXLAN on the VTEP's port from any source, so anyone who can reach the underlay could
inject frames into a tenant. The table admits the port only from the fabric's peer VTEPs:

    table inet netfabric_vtep {
      set peers4 { type ipv4_addr; elements = { ... } }
      set peers6 { type ipv6_addr; elements = { ... } }
      chain input { type filter hook input priority -10; policy accept;
        udp dport 4789 ip saddr @peers4 accept
        udp dport 4789 ip6 saddr @peers6 accept
        udp dport 4789 counter drop } }

With ``sources`` (a dynamic fabric, e.g. BGP EVPN, whose peers are not known ahead) the sets also hold
whole subnets (``flags interval``), and with ``bgp`` the chain admits TCP 179 from the same sets only:

        tcp dport 179 ip saddr @peers4 accept
        tcp dport 179 ip6 saddr @peers6 accept
        tcp dport 179 counter drop

Why the nft tool and not netlink through pyroute2: pyroute2's nftables API is a prototype (its own
words) without set lookups in rules. nft is called with an argument vector (no shell) and JSON in and
out; the whole table is replaced in one nft transaction, so a host never runs a half-written filter.
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import ipaddress
import json
import re

from ansible_collections.netfabric.core.plugins.module_utils import validate
from ansible_collections.netfabric.core.plugins.module_utils.constants import VXLAN_PORT
from ansible_collections.netfabric.core.plugins.module_utils.converge import Plan, Resource, Snapshot, Step
from ansible_collections.netfabric.core.plugins.module_utils.netlink import Namespace, NetfabricError

FAMILY = "inet"
CHAIN = "input"
PRIORITY = -10  # before the default filter chains (priority 0), so their accept rules cannot win first
TABLE_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,31}$")
SETS = {4: ("peers4", "ipv4_addr", "ip"), 6: ("peers6", "ipv6_addr", "ip6")}

ARGUMENT_SPEC = dict(
    peers=dict(type="list", elements="str", default=[]),
    sources=dict(type="list", elements="str", default=[]),
    bgp=dict(type="bool", default=False),
    dstport=dict(type="int", default=VXLAN_PORT),
    table=dict(type="str", default="netfabric_vtep"),
    state=dict(type="str", default="present", choices=["present", "absent"]),
    netns=dict(type="str"),
)


BGP_PORT = 179


def set_element(network):
    """A set element as nft lists it: a plain address for a host, a prefix for a subnet."""
    if network.prefixlen == network.max_prefixlen:
        return str(network.network_address)
    return {"prefix": {"addr": str(network.network_address), "len": network.prefixlen}}


def desired_objects(table, peers, dstport, sources=(), bgp=False):
    """The table exactly as ``nft -j list table`` prints it, less handles and counter values."""
    objects = [{"table": {"family": FAMILY, "name": table}}]
    members = [ipaddress.ip_network(p) for p in peers] + list(sources)
    # nft refuses overlapping intervals: a member inside another listed subnet is already admitted.
    members = [m for m in members if not any(o != m and o.version == m.version and m.subnet_of(o) for o in members)]
    for version in (4, 6):
        name, kind, _proto = SETS[version]
        nft_set = {"family": FAMILY, "name": name, "table": table, "type": kind}
        if sources:
            nft_set["flags"] = ["interval"]
        elements = sorted((set_element(m) for m in members if m.version == version), key=_element_key)
        if elements:
            nft_set["elem"] = elements
        objects.append({"set": nft_set})
    objects.append({"chain": {"family": FAMILY, "table": table, "name": CHAIN, "type": "filter",
                              "hook": "input", "prio": PRIORITY, "policy": "accept"}})
    rules = _admit_rules("udp", dstport)
    if bgp:
        rules.extend(_admit_rules("tcp", BGP_PORT))
    objects.extend({"rule": {"family": FAMILY, "table": table, "chain": CHAIN, "expr": expr}} for expr in rules)
    return objects


def _admit_rules(protocol, port):
    """``PROTOCOL dport PORT`` accepted from the peer sets, counted and dropped from anyone else."""
    port_match = {"match": {"op": "==", "left": {"payload": {"protocol": protocol, "field": "dport"}}, "right": port}}
    rules = [[port_match, {"match": {"op": "==", "left": {"payload": {"protocol": SETS[v][2], "field": "saddr"}},
                                     "right": "@" + SETS[v][0]}}, {"accept": None}] for v in (4, 6)]
    rules.append([port_match, {"counter": {"packets": 0, "bytes": 0}}, {"drop": None}])
    return rules


def normalize(listing):
    """Parse ``nft -j list table`` output into comparable objects; returns (objects, dropped packets)."""
    objects, dropped = [], 0
    for item in json.loads(listing).get("nftables", []):
        if "metainfo" in item:
            continue
        kind, body = next(iter(item.items()))
        body = dict(body)
        body.pop("handle", None)
        if kind == "set" and "elem" in body:
            body["elem"] = sorted(body["elem"], key=_element_key)
        if kind == "rule":
            body["expr"] = [_zero_counter(expr) for expr in body.get("expr", [])]
            dropped += sum(e["counter"].get("packets", 0) for e in item[kind].get("expr", []) if "counter" in e)
        objects.append({kind: body})
    return objects, dropped


def _element_key(element):
    if isinstance(element, dict) and "prefix" in element:
        address = ipaddress.ip_address(element["prefix"]["addr"])
        return (address.version, int(address), element["prefix"]["len"])
    try:
        address = ipaddress.ip_address(element)
        return (address.version, int(address))
    except (TypeError, ValueError):
        return (9, json.dumps(element, sort_keys=True))


def _zero_counter(expr):
    return {"counter": {"packets": 0, "bytes": 0}} if "counter" in expr else expr


def summarize(table, objects):
    """What ``diff`` shows: the peers and each rule in nft's own words."""
    if not objects:
        return {"table": table, "state": "absent"}
    summary = {"table": table, "state": "present", "sets": {}, "chains": [], "rules": []}
    for item in objects:
        kind, body = next(iter(item.items()))
        if kind == "set":
            summary["sets"][body["name"]] = body.get("elem", [])
        elif kind == "chain":
            summary["chains"].append("%s: %s hook %s priority %s policy %s" % (
                body["name"], body.get("type"), body.get("hook"), body.get("prio"), body.get("policy")))
        elif kind == "rule":
            summary["rules"].append("%s: %s" % (body.get("chain"), " ".join(_expr_text(e) for e in body["expr"])))
    return summary


def _expr_text(expr):
    if "match" in expr and "payload" in expr["match"]["left"]:
        payload = expr["match"]["left"]["payload"]
        op = "" if expr["match"]["op"] == "==" else expr["match"]["op"] + " "
        return "%s %s %s%s" % (payload.get("protocol"), payload.get("field"), op, expr["match"]["right"])
    if len(expr) == 1 and next(iter(expr.values())) is None:
        return next(iter(expr))
    if "counter" in expr:
        return "counter"
    return json.dumps(expr, sort_keys=True)


class VtepFilter(Resource):
    def __init__(self, params, run_command):
        self.table = params["table"]
        if not TABLE_RE.match(self.table or ""):
            validate.fail("table", params["table"], "must be an nftables table name of 1-32 characters "
                                                    "[A-Za-z0-9_], starting with a letter")
        self.dstport = validate.port("dstport", params["dstport"])
        self.peers = []
        for position, peer in enumerate(params["peers"] or []):
            address = validate.ip("peers[%d]" % position, peer)
            if address not in self.peers:
                self.peers.append(address)
        self.sources = []
        for position, source in enumerate(params["sources"] or []):
            network = validate.cidr("sources[%d]" % position, source).network
            if network not in self.sources:
                self.sources.append(network)
        self.bgp = params["bgp"]
        self.state = params["state"]
        self.ns = Namespace(validate.netns("netns", params["netns"]))
        self.run_command = run_command

    def close(self):
        self.ns.close()

    def lock_keys(self):
        return [(self.ns, "nft-" + self.table, "table")]

    def _nft(self, args, data=None):
        argv = ["nft"] + args
        rc, out, err = self.ns.inside(lambda: self.run_command(argv, data=data, binary_data=True))
        return rc, out, err

    def read(self):
        rc, out, err = self._nft(["-j", "list", "table", FAMILY, self.table])
        if rc != 0:
            if "No such file or directory" in err:
                return Snapshot(summarize(self.table, []), values={"dropped_packets": 0}, objects=[])
            raise NetfabricError("reading nftables table %s %s failed (rc %d): %s" % (FAMILY, self.table, rc, err.strip()))
        objects, dropped = normalize(out)
        return Snapshot(summarize(self.table, objects), values={"dropped_packets": dropped}, objects=objects)

    def plan(self, snapshot):
        before, objects = snapshot.view, snapshot.objects
        if self.state == "absent":
            if not objects:
                return Plan(before, [])
            return Plan(summarize(self.table, []), [self._replace([], "delete nftables table %s %s" % (FAMILY, self.table))])
        wanted = desired_objects(self.table, self.peers, self.dstport, self.sources, self.bgp)
        after = summarize(self.table, wanted)
        if objects == wanted:
            return Plan(after, [])
        text = "%s nftables table %s %s: udp dport %d%s only from %d peer VTEP(s)%s" % (
            "replace" if objects else "create", FAMILY, self.table, self.dstport,
            " and tcp dport %d" % BGP_PORT if self.bgp else "", len(self.peers),
            " and %d source subnet(s)" % len(self.sources) if self.sources else "")
        return Plan(after, [self._replace(wanted, text)])

    def _replace(self, objects, text):
        """One nft transaction: drop the table (created first so the delete cannot fail) and add ``objects``."""
        ident = {"table": {"family": FAMILY, "name": self.table}}
        commands = [{"add": ident}, {"delete": ident}] + [{"add": obj} for obj in objects]
        payload = json.dumps({"nftables": commands})

        def apply():
            rc, _out, err = self._nft(["-j", "-f", "-"], data=payload)
            if rc != 0:
                raise NetfabricError("nft refused the table %s %s (rc %d): %s" % (FAMILY, self.table, rc, err.strip()))
        return Step(text, apply)

    def result(self, after):
        return {"peers": [str(p) for p in self.peers],
                "sources": [str(s) for s in self.sources]}
