# -*- coding: utf-8 -*-
# Copyright (c) 2026, netfabric.core contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The raw codec's requests, decoded back by the project's decoders and by pyroute2's (an independent
implementation of the same layouts); its constants checked against pyroute2's tables; and the pipelined
batch with its all-or-nothing rollback against a fake kernel. No socket is opened."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import socket
import struct

import pytest
from pyroute2 import netlink as pyroute2_netlink
from pyroute2.netlink import rtnl as pyroute2_rtnl
from pyroute2.netlink.rtnl.ifinfmsg import ifinfmsg, protinfo_bridge
from pyroute2.netlink.rtnl.ifinfmsg.plugins.vxlan import vxlan as vxlan_data
from pyroute2.netlink.rtnl.ndmsg import ndmsg
from pyroute2.netlink.rtnl.rtmsg import rtmsg

from ansible_collections.netfabric.core.plugins.module_utils import constants, fdb, neighbours, routes, rtnl
from ansible_collections.netfabric.core.plugins.module_utils.errors import NetfabricError

from netlink_replay import ReplaySocket, ack, requests

ENTRIES = [fdb.Entry("00:00:00:00:00:00", "192.0.2.12", None, None),
           fdb.Entry("02:00:00:00:01:01", "192.0.2.13", 300, 8472),
           fdb.Entry("02:00:00:00:01:02", "2001:db8::14", None, 4790)]


def decoded(cls, data):
    msg = cls(data)
    msg.decode()
    return msg


@pytest.mark.parametrize("entry", ENTRIES, ids=str)
def test_fdb_request_round_trip(entry):
    data = fdb.encode(constants.RTM_NEWNEIGH, constants.NLM_F_REQUEST | constants.NLM_F_CREATE, 7, 42, entry)
    assert fdb._decode_remote(data, 0, len(data), 42) == entry
    assert fdb._decode_remote(data, 0, len(data), 43) is None  # another device's entry is not ours
    msg = decoded(ndmsg, data)
    assert msg["header"]["type"] == constants.RTM_NEWNEIGH and msg["header"]["sequence_number"] == 7
    assert (msg["family"], msg["ifindex"]) == (constants.AF_BRIDGE, 42)
    assert msg["state"] == constants.NUD_PERMANENT | constants.NUD_NOARP and msg["flags"] == constants.NTF_SELF
    assert (msg.get_attr("NDA_LLADDR"), msg.get_attr("NDA_DST")) == (entry.mac, entry.dst)
    assert (msg.get_attr("NDA_VNI"), msg.get_attr("NDA_PORT")) == (entry.vni, entry.port)


ROUTES = [routes.Route("198.51.100.0/24", "192.0.2.1", False, 20),
          routes.Route("203.0.113.0/25", None, False, 0),
          routes.Route("2001:db8:1::/64", "2001:db8::1", True, 1024)]


@pytest.mark.parametrize("route", ROUTES, ids=str)
def test_route_request_round_trip(route):
    data = routes.encode(constants.RTM_NEWROUTE, constants.NLM_F_REQUEST, 3, 9, 157, route)
    msg = decoded(rtmsg, data)
    network = route.dst.split("/")[0]
    assert msg["dst_len"] == int(route.dst.split("/")[1]) and msg["proto"] == 157
    assert msg["family"] == (socket.AF_INET6 if ":" in network else socket.AF_INET)
    assert msg.get_attr("RTA_DST") == network and msg.get_attr("RTA_GATEWAY") == route.gateway
    assert msg.get_attr("RTA_OIF") == 9 and msg.get_attr("RTA_TABLE") == constants.RT_TABLE_MAIN
    assert msg.get_attr("RTA_PRIORITY") == (route.metric or None)
    assert bool(msg["flags"] & constants.RTNH_F_ONLINK) == route.onlink
    assert msg["scope"] == (constants.RT_SCOPE_UNIVERSE if route.gateway else constants.RT_SCOPE_LINK)


def test_neighbour_request_round_trip():
    entry = neighbours.Neighbour("2001:db8::21", "02:00:00:00:00:22")
    msg = decoded(ndmsg, neighbours.encode(constants.RTM_NEWNEIGH, constants.NLM_F_REQUEST, 1, 5, 157, entry))
    assert (msg["family"], msg["ifindex"], msg["state"]) == (socket.AF_INET6, 5, constants.NUD_PERMANENT)
    assert (msg.get_attr("NDA_DST"), msg.get_attr("NDA_LLADDR"), msg.get_attr("NDA_PROTOCOL")) == (
        entry.address, entry.mac, 157)
    gone = decoded(ndmsg, neighbours.encode(constants.RTM_DELNEIGH, constants.NLM_F_REQUEST, 2, 5, 157, entry))
    assert gone.get_attr("NDA_DST") == entry.address and gone.get_attr("NDA_LLADDR") is None


def test_nested_attributes_round_trip():
    inner = rtnl.nla(constants.IFLA_VXLAN_ID, struct.pack("=I", 100)) + rtnl.nla(constants.IFLA_VXLAN_PORT, struct.pack("!H", 4789))
    outer = rtnl.nla(constants.NLA_F_NESTED | constants.IFLA_INFO_DATA, inner) + rtnl.nla(constants.IFLA_INFO_KIND, b"vxlan\0")
    assert len(outer) % 4 == 0
    found = rtnl.attributes(outer, 0, len(outer))
    assert sorted(found) == [constants.IFLA_INFO_KIND, constants.IFLA_INFO_DATA]  # the NESTED bit is masked
    assert rtnl._table(outer, found[constants.IFLA_INFO_DATA], rtnl.VXLAN_DATA) == {
        "IFLA_VXLAN_ID": 100, "IFLA_VXLAN_PORT": 4789}


def test_addrgenmode_request_decodes_in_pyroute2_and_an_ack_ends_it():
    sock = ReplaySocket(lambda data: [ack(seq) for _k, _f, seq, _b in requests(data)])
    rtnl.set_addrgenmode(sock, 12, 1)
    [(kind, flags, _seq, _body)] = requests(sock.sent[0])
    assert kind == constants.RTM_SETLINK and flags & constants.NLM_F_ACK
    msg = decoded(ifinfmsg, sock.sent[0])
    inet6 = msg.get_attr("IFLA_AF_SPEC").get_attr("AF_INET6")
    assert msg["index"] == 12 and inet6.get_attr("IFLA_INET6_ADDR_GEN_MODE") == 1


def test_addrgenmode_refusal_names_mode_link_and_errno():
    sock = ReplaySocket(lambda data: [ack(seq, 95) for _k, _f, seq, _b in requests(data)])
    with pytest.raises(NetfabricError) as caught:
        rtnl.set_addrgenmode(sock, 12, 1)
    assert str(caught.value) == "setting addrgenmode 1 on ifindex 12 failed: errno 95 (Operation not supported)"


def fake_kernel(refused):
    """Acks only what was asked to be acked, and refuses (EEXIST) the operations in ``refused``, as the
    kernel does for pipelined requests: one error message per failure, one ack per NLM_F_ACK."""
    def answer(data):
        out = []
        for _kind, flags, seq, body in requests(data):
            value = struct.unpack_from("=I", body)[0]
            if value in refused:
                out.append(ack(seq, 17))
            elif flags & constants.NLM_F_ACK:
                out.append(ack(seq))
        return [b"".join(out)]
    return answer


def encode_value(operation, flags, seq):
    sign, value = operation
    body = struct.pack("=I", value)
    return rtnl.NLMSGHDR.pack(rtnl.NLMSGHDR.size + 4, 100 if sign == "+" else 101, constants.NLM_F_REQUEST | flags, seq, 0) + body


def test_batch_acks_once_per_chunk_and_reports_each_failure():
    operations = [("+", n) for n in range(rtnl.BATCH + 3)]
    sock = ReplaySocket(fake_kernel({5, rtnl.BATCH + 1}))
    failures = rtnl.send_batch(sock, operations, encode_value)
    assert failures == [(("+", 5), 17), (("+", rtnl.BATCH + 1), 17)]
    assert len(sock.sent) == 2  # two chunks, one send() each
    acked = [seq for data in sock.sent for _k, flags, seq, _b in requests(data) if flags & constants.NLM_F_ACK]
    assert acked == [rtnl.BATCH, rtnl.BATCH + 3]


def test_batch_failure_undoes_the_others_newest_first():
    operations = [("+", 1), ("+", 2), ("+", 3)]
    sock = ReplaySocket(fake_kernel({2}))
    with pytest.raises(NetfabricError) as caught:
        rtnl.apply_batch(sock, operations, encode_value, lambda op: ("-", op[1]), lambda op: "add %d" % op[1])
    undo = [(kind, struct.unpack_from("=I", body)[0]) for kind, _f, _s, body in requests(sock.sent[1])]
    assert undo == [(101, 3), (101, 1)]
    assert str(caught.value) == "add 2 failed: errno 17 (File exists); 1 of 3 requests failed; rolled back 2"


def test_the_constants_are_the_kernels_as_pyroute2_knows_them():
    for name in ("RTM_NEWLINK", "RTM_GETLINK", "RTM_SETLINK", "RTM_NEWADDR", "RTM_GETADDR", "RTM_NEWROUTE",
                 "RTM_DELROUTE", "RTM_GETROUTE", "RTM_NEWNEIGH", "RTM_DELNEIGH", "RTM_GETNEIGH"):
        assert getattr(constants, name) == getattr(pyroute2_rtnl, name), name
    for name in ("NLMSG_ERROR", "NLMSG_DONE", "NLM_F_REQUEST", "NLM_F_ACK", "NLM_F_DUMP", "NLM_F_REPLACE",
                 "NLM_F_EXCL", "NLM_F_CREATE", "NLM_F_APPEND", "NLA_F_NESTED"):
        assert getattr(constants, name) == getattr(pyroute2_netlink, name), name
    tables = [ifinfmsg.nla_map, ifinfmsg.ifinfo.nla_map, vxlan_data.nla_map, protinfo_bridge.nla_map,
              ndmsg.nla_map, rtmsg.nla_map]
    index = dict((entry[0], number) for nla_map in tables for number, entry in enumerate(nla_map))
    checked = [name for name in dir(constants) if name in index]
    for name in checked:
        assert getattr(constants, name) == index[name], name
    assert len(checked) >= 35, checked  # all but a few numbers pyroute2 keeps in other tables
    assert constants.IFLA_VXLAN_ID == 1 and constants.IFLA_VXLAN_PORT == 15
    assert socket.AF_INET6 == 10 and constants.AF_BRIDGE == 7
