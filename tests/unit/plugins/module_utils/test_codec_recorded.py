# -*- coding: utf-8 -*-
# Copyright (c) 2026, netfabric.core contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The raw rtnetlink decoders on recorded kernel answers, judged by iproute2's view of the same state.

``data/recorded_netlink.json`` holds what a real kernel sent for each dump (links, addresses, the fdb
of a VTEP, the main routing table, the neighbours of a bridge) and ``ip -j``/``bridge -j`` output
recorded at the same moment (``record_netlink.py`` writes both). Replayed here without privileges.
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import ipaddress

import pytest

from ansible_collections.netfabric.core.plugins.module_utils import fdb, neighbours, routes, rtnl
from ansible_collections.netfabric.core.plugins.module_utils.constants import (
    AF_BRIDGE, NLM_F_DUMP, NLM_F_REQUEST, RTM_GETADDR, RTM_GETLINK, RTM_GETNEIGH, RTM_GETROUTE)
from ansible_collections.netfabric.core.plugins.module_utils.errors import NetfabricError

from netlink_replay import RECORDED, ReplaySocket, recorded, requests

INDEX = RECORDED["index"]


def test_links_decode_as_ip_shows_them():
    sock, oracle = recorded("links")
    decoded = dict((link["ifname"], link) for link in rtnl.read_links(sock))
    assert sorted(decoded) == sorted(link["ifname"] for link in oracle)
    for shown in oracle:
        link = decoded[shown["ifname"]]
        assert link["index"] == shown["ifindex"]
        assert link["mtu"] == shown["mtu"]
        assert link["address"] == shown["address"]
        assert link["master"] == (INDEX[shown["master"]] if "master" in shown else None)
        info = shown.get("linkinfo", {})
        assert (link["linkinfo"] or {}).get("kind") == info.get("info_kind")
    [(_kind, flags, _seq, body)] = requests(sock.sent[0])
    assert requests(sock.sent[0])[0][0] == RTM_GETLINK and flags == NLM_F_REQUEST | NLM_F_DUMP


def test_vxlan_bridge_and_port_attributes_decode_as_ip_shows_them():
    sock, oracle = recorded("links")
    decoded = dict((link["ifname"], link) for link in rtnl.read_links(sock))
    shown = dict((link["ifname"], link) for link in oracle)
    for name in ("vx100", "vx200"):
        data, info = decoded[name]["linkinfo"]["data"], shown[name]["linkinfo"]["info_data"]
        assert data["IFLA_VXLAN_ID"] == info["id"]
        assert data["IFLA_VXLAN_PORT"] == info["port"]
        assert data["IFLA_VXLAN_LOCAL"] == info["local"]
        assert data["IFLA_VXLAN_LEARNING"] == int(info["learning"])
        assert data["IFLA_VXLAN_LINK"] == INDEX[info["link"]]
        assert data["IFLA_VXLAN_TTL"] == info["ttl"]
    for name in ("br0", "br100"):
        assert decoded[name]["linkinfo"]["data"]["IFLA_BR_STP_STATE"] == shown[name]["linkinfo"]["info_data"]["stp_state"]
    for name in ("eth0", "vx100"):  # bridge ports
        port, slave = decoded[name]["linkinfo"]["slave_data"], shown[name]["linkinfo"]["info_slave_data"]
        assert decoded[name]["linkinfo"]["slave_kind"] == "bridge"
        assert port["IFLA_BRPORT_LEARNING"] == int(slave["learning"])
        assert port["IFLA_BRPORT_UNICAST_FLOOD"] == int(slave["flood"])
        assert port["IFLA_BRPORT_MODE"] == int(slave["hairpin"])
        assert port["IFLA_BRPORT_NEIGH_SUPPRESS"] == int(slave["neigh_suppress"])
        assert port["IFLA_BRPORT_ISOLATED"] == int(slave["isolated"])
    # a veth names its peer by ifindex
    assert decoded["eth0"]["link"] == INDEX[shown["eth0"]["link"]]


def test_addresses_decode_as_ip_shows_them():
    sock, oracle = recorded("addresses")
    decoded = set((a["index"], a["local"] or a["address"], a["prefixlen"]) for a in rtnl.read_addresses(sock))
    shown = set((link["ifindex"], a["local"], a["prefixlen"]) for link in oracle for a in link["addr_info"])
    assert decoded == shown and len(shown) >= 3
    assert requests(sock.sent[0])[0][0] == RTM_GETADDR


def test_fdb_remote_entries_decode_as_bridge_shows_them():
    sock, oracle = recorded("fdb")
    decoded = fdb.read_fdb(sock, INDEX["vx100"])
    shown = set(fdb.Entry(e["mac"], e["dst"], e.get("vni"), e.get("port")) for e in oracle
                if "self" in e["flags"] and "dst" in e)
    assert decoded == shown and len(shown) == 4
    # the learned/master entry the bridge holds for the port is not a remote entry
    assert not any(e.mac == o["mac"] for e in decoded for o in oracle if "master" in o)
    [(kind, _flags, _seq, body)] = requests(sock.sent[0])
    assert kind == RTM_GETNEIGH
    family, index = fdb.NDMSG.unpack_from(body)[:2]
    assert (family, index) == (AF_BRIDGE, INDEX["vx100"])


def _route_key(route):
    dst = route["dst"] if "/" in route["dst"] else route["dst"] + ("/128" if ":" in route["dst"] else "/32")
    return (str(ipaddress.ip_network(dst)), route.get("gateway"), route.get("metric", 0), INDEX[route["dev"]])


def test_routes_decode_as_ip_shows_them():
    sock, oracle = recorded("routes")
    decoded = set((r.dst, r.gateway, r.metric, oif) for r, _protocol, oif in routes.read_main_routes(sock))
    assert decoded == set(_route_key(r) for r in oracle)
    protocols = dict((r.dst, protocol) for r, protocol, _oif in routes.read_main_routes(recorded("routes")[0]))
    assert protocols["203.0.113.0/25"] == 157
    assert requests(sock.sent[0])[0][0] == RTM_GETROUTE


def test_neighbours_decode_as_ip_shows_them():
    sock, oracle = recorded("neighbours")
    decoded = set((n.address, n.mac) for n, _state, _protocol in neighbours.read_neighbours(sock, INDEX["br0"]))
    assert decoded == set((n["dst"], n.get("lladdr")) for n in oracle)


def test_one_link_by_name():
    sock, _oracle = recorded("link_vx100")
    assert fdb.read_link(sock, "vx100") == {"index": INDEX["vx100"], "kind": "vxlan", "vni": 100, "dstport": 4789}
    missing, _oracle = recorded("link_missing")
    assert fdb.read_link(missing, "nosuch0") is None


def test_a_dump_the_kernel_refuses_names_what_was_read():
    from netlink_replay import ack
    sock = ReplaySocket([ack(1, 1)])  # EPERM
    with pytest.raises(NetfabricError) as caught:
        rtnl.read_links(sock)
    assert str(caught.value) == "netlink dump of links failed: errno 1 (Operation not permitted)"
