# -*- coding: utf-8 -*-
# Copyright (c) 2026, netfabric.core contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The planned fabric as a Graphviz DOT graph (a pure function of the plan)."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json

from ansible.errors import AnsibleFilterError

# Tenant colours, in tenant order (ColorBrewer "Set1", readable on white and in grey print).
PALETTE = ("#377eb8", "#e41a1c", "#4daf4a", "#984ea3", "#ff7f00", "#a65628", "#f781bf", "#999999")
# Up to this many VTEPs per VNI every tunnel is an edge; beyond, one node per VNI stands for the full mesh
# (16 hosts would be 120 edges per VNI, a picture nobody can read).
MESH_EDGES_MAX = 4


def _quote(text):
    return json.dumps(str(text))


def _node(name, label, **attrs):
    attrs["label"] = label
    return "%s [%s];" % (_quote(name), ", ".join("%s=%s" % (k, _quote(v)) for k, v in sorted(attrs.items())))


def _edge(a, b, **attrs):
    extra = " [%s]" % ", ".join("%s=%s" % (k, _quote(v)) for k, v in sorted(attrs.items())) if attrs else ""
    return "%s -- %s%s;" % (_quote(a), _quote(b), extra)


def _validated(hosts):
    if not isinstance(hosts, list) or not hosts:
        raise AnsibleFilterError("fabric_graph: input must be a non-empty list of hosts, got %r" % (hosts,))
    for position, host in enumerate(hosts):
        missing = [k for k in ("name", "underlay_address", "tenants") if k not in (host or {})]
        if missing:
            raise AnsibleFilterError("fabric_graph: host %d (%r) has no %s"
                                     % (position, (host or {}).get("name"), ", ".join(missing)))
    return hosts


def _host_lines(host, colours):
    """One cluster: uplink, underlay bridge, per tenant a VTEP and a bridge, the containers."""
    name = host["name"]
    uplink, underlay = host.get("uplink", "eth0"), None
    lines = ["subgraph %s {" % _quote("cluster_" + name),
             "label=%s; labeljust=l; style=\"rounded,filled\"; fillcolor=\"#f4f4f4\"; color=\"#888888\";"
             % _quote("%s  %s" % (name, host["underlay_address"]))]
    for tenant in host["tenants"]:
        underlay = tenant["vtep"]["dev"]
        colour = colours[tenant["name"]]
        vtep, bridge = "%s/%s" % (name, tenant["vtep"]["name"]), "%s/%s" % (name, tenant["bridge"])
        lines.append(_node(vtep, "%s\nVNI %s" % (tenant["vtep"]["name"], tenant["vni"]), shape="box",
                           style="filled", fillcolor="white", color=colour, penwidth="2"))
        lines.append(_node(bridge, tenant["bridge"], shape="box", style="rounded", color=colour))
        lines.append(_edge("%s/%s" % (name, underlay), vtep, color="#888888"))
        lines.append(_edge(vtep, bridge, color=colour))
    underlay = underlay or host.get("underlay_bridge", "br0")
    lines.insert(2, _node("%s/%s" % (name, underlay), "%s\n%s" % (underlay, host["underlay_address"]), shape="box",
                          style="filled", fillcolor="#dddddd"))
    lines.insert(3, _node("%s/%s" % (name, uplink), uplink, shape="cds", style="filled", fillcolor="#dddddd"))
    lines.insert(4, _edge("%s/%s" % (name, uplink), "%s/%s" % (name, underlay)))
    for endpoint in host.get("endpoints", []):
        node = "%s/container/%s" % (name, endpoint["name"])
        lines.append(_node(node, "%s\n%s" % (endpoint["name"], endpoint["address"]), shape="ellipse",
                           style="filled", fillcolor="white", color=colours.get(endpoint["tenant"], "black")))
        lines.append(_edge("%s/%s%s" % (name, host.get("bridge_prefix", "brv"), endpoint["vni"]), node,
                           color=colours.get(endpoint["tenant"], "black")))
    lines.append("}")
    return lines


def _tunnel_lines(hosts, colours):
    """Tunnels between the VTEPs of each VNI: direct edges for a few hosts, else a mesh node per VNI."""
    lines, members = [], {}
    for host in hosts:
        for tenant in host["tenants"]:
            key = (tenant["vni"], tenant["name"])
            members.setdefault(key, []).append("%s/%s" % (host["name"], tenant["vtep"]["name"]))
    for (vni, tenant), vteps in sorted(members.items()):
        colour = colours[tenant]
        if len(vteps) <= MESH_EDGES_MAX:
            for i, a in enumerate(vteps):
                lines.extend(_edge(a, b, color=colour, style="dashed", penwidth="1.5", constraint="false")
                             for b in vteps[i + 1:])
            continue
        hub = "mesh/%s" % vni
        tunnels = len(vteps) * (len(vteps) - 1) // 2
        lines.append(_node(hub, "VNI %s (%s)\nfull mesh: %d VTEPs, %d tunnels" % (vni, tenant, len(vteps), tunnels),
                           shape="octagon", style="filled", fillcolor="white", color=colour, penwidth="2"))
        lines.extend(_edge(v, hub, color=colour, style="dashed") for v in vteps)
    return lines


def fabric_graph(hosts, title="netfabric"):
    """DOT text (undirected graph) of the planned fabric; see fabric_graph.yml for the input."""
    hosts = _validated(hosts)
    tenants = []
    for host in hosts:
        tenants.extend(t["name"] for t in host["tenants"] if t["name"] not in tenants)
    colours = dict((name, PALETTE[i % len(PALETTE)]) for i, name in enumerate(tenants))
    legend = ", ".join("%s = VNI %s" % (t["name"], t["vni"]) for t in hosts[0]["tenants"])
    lines = ["graph %s {" % _quote(title),
             "graph [rankdir=LR, fontname=\"Helvetica\", nodesep=0.15, ranksep=0.5, labelloc=t, label=%s];"
             % _quote("%s: %d hosts; tenants %s; dashed = VXLAN tunnels (UDP 4789)" % (title, len(hosts), legend)),
             "node [fontname=\"Helvetica\", fontsize=10, height=0.3];",
             "edge [color=\"#555555\"];",
             _node("underlay", "underlay network", shape="box3d", style="filled", fillcolor="#dddddd")]
    for host in hosts:
        lines.extend(_host_lines(host, colours))
        lines.append(_edge("underlay", "%s/%s" % (host["name"], host.get("uplink", "eth0")), color="#888888"))
    lines.extend(_tunnel_lines(hosts, colours))
    lines.append("}")
    return "\n".join(lines) + "\n"


class FilterModule(object):
    def filters(self):
        return {"fabric_graph": fabric_graph}
