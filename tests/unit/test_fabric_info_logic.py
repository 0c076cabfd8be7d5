# -*- coding: utf-8 -*-
# Copyright (c) 2026, netfabric.core contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""fabric_info's grouping of one dump: entries by VTEP and origin, neighbours, tenant links (no netlink)."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.netfabric.core.plugins.module_utils import fabric_info
from ansible_collections.netfabric.core.plugins.module_utils.fdb import Entry

SELF, EXT = 0x02, 0x10
PERMANENT, NOARP, REACHABLE, STALE = 0x80, 0x40, 0x02, 0x04
ZERO = "00:00:00:00:00:00"


def test_entries_grouped_per_vtep_and_counted_by_origin():
    entries = [
        (5, PERMANENT | NOARP, SELF, Entry(ZERO, "192.0.2.13", None, None)),
        (5, PERMANENT | NOARP, SELF, Entry(ZERO, "192.0.2.12", None, None)),
        (5, PERMANENT | NOARP, SELF, Entry("02:00:00:00:00:01", "192.0.2.12", None, None)),  # static
        (5, REACHABLE, SELF, Entry("02:00:00:00:00:02", "192.0.2.13", None, None)),  # learned by the VTEP
        (5, PERMANENT | NOARP, SELF | EXT, Entry("02:00:00:00:00:03", "192.0.2.13", None, None)),  # control plane
        (5, STALE, 0, Entry("02:00:00:00:00:04", None, None, None)),  # learned by the bridge on the VTEP port
        (5, PERMANENT, 0, Entry("0a:00:00:00:00:05", None, None, None)),  # the port's own address: not counted
        (5, NOARP, 0, Entry("02:00:00:00:00:06", None, None, None)),  # bridge fdb add ... master static
        (7, PERMANENT | NOARP, SELF, Entry(ZERO, "192.0.2.99", None, None)),  # another device: ignored
    ]
    tables = fabric_info.forwarding_tables(entries, {5: "vx100"})
    assert list(tables) == [5]
    assert tables[5]["flood"] == ["192.0.2.12", "192.0.2.13"]
    assert tables[5]["macs"] == {"static": 1, "learned": 1, "extern_learn": 1}
    assert tables[5]["bridge_macs"] == {"static": 1, "learned": 1, "extern_learn": 0}


def test_flood_sorted_numerically_ipv4_first():
    entries = [(1, PERMANENT, SELF, Entry(ZERO, dst, None, None)) for dst in ("2001:db8::1", "192.0.2.100", "192.0.2.9")]
    assert fabric_info.forwarding_tables(entries, {1: "vx"})[1]["flood"] == ["192.0.2.9", "192.0.2.100", "2001:db8::1"]


def test_neighbours_skip_the_kernels_noarp_entries():
    entries = [(2, REACHABLE, 0, Entry("02:00:00:00:00:01", "192.0.2.1", None, None)),
               (2, NOARP, 0, Entry("01:00:5e:00:00:01", "224.0.0.1", None, None)),
               (3, STALE, 0, Entry("02:00:00:00:00:02", "192.0.2.12", None, None))]
    assert fabric_info.neighbour_view(entries, {2: "br0", 3: "brv100"}) == [
        {"dev": "br0", "address": "192.0.2.1", "mac": "02:00:00:00:00:01", "state": ["reachable"]},
        {"dev": "brv100", "address": "192.0.2.12", "mac": "02:00:00:00:00:02", "state": ["stale"]}]


def test_tenant_links_are_vteps_their_bridges_and_ports():
    links = {"eth0": {"kind": "veth", "master": "br0"}, "br0": {"kind": "bridge", "master": None},
             "vx100": {"kind": "vxlan", "master": "brv100"}, "brv100": {"kind": "bridge", "master": None},
             "oc1": {"kind": "veth", "master": "brv100"}}
    assert fabric_info.tenant_links(links) == {"vx100", "brv100", "oc1"}
