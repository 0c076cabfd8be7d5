# -*- coding: utf-8 -*-
# Copyright (c) 2026, netfabric.core contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""lab/demo.py's summary: the reachability grid and the wire check line, from recorded results."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "lab"))
import demo  # noqa: E402  pylint: disable=wrong-import-position


def pair(src_host, src, src_tenant, dst_host, dst, dst_tenant, reachable):
    return {"src_host": src_host, "src": src, "src_tenant": src_tenant, "dst_host": dst_host, "dst": dst,
            "dst_tenant": dst_tenant, "dst_address": "x", "reachable": reachable}


def test_grid_rows_are_sources_and_marks_what_differs():
    matrix = [pair("h1", "c1", "blue", "h2", "c1", "blue", True), pair("h1", "c1", "blue", "h2", "c2", "red", True),
              pair("h2", "c1", "blue", "h1", "c1", "blue", False), pair("h2", "c2", "red", "h1", "c1", "blue", False)]
    lines = demo.grid(matrix)
    assert "(2 of 4 pairs)" in lines[1]
    header, rows = lines[2].split(), dict((line.split()[0], line) for line in lines[3:])
    assert header == ["h1/c1", "h2/c1", "h2/c2"]
    assert rows["h1/c1"].split()[1:] == ["-", "[\u2713]", "\u2713", "!"]  # h1/c1 -> h2/c2 reached across tenants
    assert rows["h2/c1"].split()[1:] == ["[\u2717]!", "-", "-"]  # h2/c1 -> h1/c1 not reached within blue


def test_wire_line_names_port_flags_and_vni():
    frame = {"outer_src": "192.0.2.11", "outer_dst": "192.0.2.12", "udp_dport": 4789, "vxlan_flags": 8, "vni": 100}
    src, dst = {"host": "h1", "name": "c1"}, {"host": "h2", "name": "c1"}
    lines = demo.wire_lines(src, dst, 100, [frame], 0)
    assert "UDP 4789, flags 0x08, VNI 100 (expected 4789, 0x08, 100) \u2713" in lines[1]
    assert demo.wire_lines(src, dst, 200, [frame], 0)[1].endswith("\u2717")
    assert "no VXLAN frame" in demo.wire_lines(src, dst, 100, [], 1)[0]
