# -*- coding: utf-8 -*-
# Copyright (c) 2026, netfabric.core contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""fabric_graph: the DOT of a planned fabric renders with Graphviz and names every host, VNI and container."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import html
import re
import shutil
import subprocess

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.netfabric.core.plugins.filter.fabric_graph import fabric_graph

DOT = shutil.which("dot")


def planned(count):
    """``count`` hosts as playbooks/graph.yml hands them over: tenants blue/100 and red/200, two containers."""
    hosts = []
    for i in range(1, count + 1):
        address = "192.0.2.%d" % (10 + i)
        tenants = [{"name": name, "vni": vni, "bridge": "brv%d" % vni, "flood": [],
                    "vtep": {"name": "vx%d" % vni, "local": address, "dev": "br0", "dstport": 4789, "learning": False}}
                   for name, vni in (("blue", 100), ("red", 200))]
        endpoints = [{"name": "c1", "tenant": "blue", "vni": 100, "address": "198.51.100.%d" % (4 * i - 2)},
                     {"name": "c2", "tenant": "red", "vni": 200, "address": "203.0.113.%d" % (4 * i - 2)}]
        hosts.append({"name": "h%d" % i, "underlay_address": address, "tenants": tenants, "endpoints": endpoints})
    return hosts


def svg_texts(dot_text):
    """The text elements of the SVG ``dot`` renders: what a reader of the picture sees."""
    proc = subprocess.run([DOT, "-Tsvg"], input=dot_text, capture_output=True, text=True, timeout=60, check=True)
    assert proc.stdout.lstrip().startswith("<?xml") and "<svg" in proc.stdout
    return [html.unescape(t) for t in re.findall(r"<text[^>]*>([^<]*)</text>", proc.stdout)]


def test_small_fabric_draws_every_tunnel():
    dot = fabric_graph(planned(3))
    tunnels = re.findall(r'"(h\d/vx\d+)" -- "(h\d/vx\d+)" \[[^]]*style="dashed"', dot)
    assert sorted(tunnels) == sorted([("h1/vx100", "h2/vx100"), ("h1/vx100", "h3/vx100"), ("h2/vx100", "h3/vx100"),
                                      ("h1/vx200", "h2/vx200"), ("h1/vx200", "h3/vx200"), ("h2/vx200", "h3/vx200")])


def test_large_fabric_draws_a_mesh_node_per_vni():
    dot = fabric_graph(planned(16))
    assert "full mesh: 16 VTEPs, 120 tunnels" in dot
    assert len(re.findall(r'-- "mesh/100"', dot)) == 16
    assert not re.search(r'"h\d+/vx100" -- "h\d+/vx100"', dot)


@pytest.mark.skipif(DOT is None, reason="Graphviz dot is not installed (make deps installs graphviz)")
@pytest.mark.parametrize("count", [3, 16])
def test_svg_renders_and_names_every_host_vni_and_container(count):
    texts = svg_texts(fabric_graph(planned(count)))
    joined = "\n".join(texts)
    for host in planned(count):
        assert any(t.startswith(host["name"] + " ") for t in texts), host["name"]
        for endpoint in host["endpoints"]:
            assert endpoint["address"] in texts, endpoint
    assert texts.count("c1") == count and texts.count("c2") == count
    assert "VNI 100" in joined and "VNI 200" in joined


@pytest.mark.parametrize("hosts", [None, [], [{"name": "h1"}], "h1"])
def test_bad_input_is_named(hosts):
    with pytest.raises(AnsibleFilterError, match="fabric_graph"):
        fabric_graph(hosts)
