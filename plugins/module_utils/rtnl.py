# -*- coding: utf-8 -*-
# Copyright (c) 2026, netfabric.core contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Raw rtnetlink reads: link and address dumps decoded with ``struct``, without pyroute2.

(And one write: the IPv6 address generation mode, a nested IFLA_AF_SPEC attribute.)

A task that changes nothing only reads, and loading pyroute2's IPRoute (it pulls in asyncio) cost
~100 ms of a no-change task's ~400 ms. So the reads every module starts with (links, addresses)
go through one plain NETLINK_ROUTE socket and decode only the attributes the modules compare;
pyroute2 is loaded when something has to change. Layouts: linux/netlink.h, if_link.h, if_addr.h.
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import socket
import struct

from ansible_collections.netfabric.core.plugins.module_utils.constants import (
    NLMSG_ERROR, NLMSG_DONE, NLM_F_REQUEST, NLM_F_ACK, NLM_F_DUMP, RTM_GETLINK, RTM_SETLINK, RTM_GETADDR,
    NLA_TYPE_MASK, NLA_F_NESTED, IFLA_ADDRESS, IFLA_IFNAME, IFLA_MTU, IFLA_LINK,
    IFLA_MASTER, IFLA_LINKINFO, IFLA_LINK_NETNSID, IFLA_AF_SPEC, IFLA_INET6_ADDR_GEN_MODE, IFLA_INFO_KIND,
    IFLA_INFO_DATA, IFLA_INFO_SLAVE_KIND, IFLA_INFO_SLAVE_DATA, IFA_ADDRESS, IFA_LOCAL, IFLA_VXLAN_ID,
    IFLA_VXLAN_GROUP, IFLA_VXLAN_LINK, IFLA_VXLAN_LOCAL, IFLA_VXLAN_TTL, IFLA_VXLAN_LEARNING, IFLA_VXLAN_PORT,
    IFLA_VXLAN_GROUP6, IFLA_VXLAN_LOCAL6, IFLA_BR_STP_STATE, IFLA_BR_VLAN_FILTERING, IFLA_BRPORT_MODE,
    IFLA_BRPORT_LEARNING, IFLA_BRPORT_UNICAST_FLOOD, IFLA_BRPORT_NEIGH_SUPPRESS, IFLA_BRPORT_ISOLATED)
from ansible_collections.netfabric.core.plugins.module_utils.errors import NetfabricError

NLMSGHDR = struct.Struct("=IHHII")
NLA = struct.Struct("=HH")
IFINFOMSG = struct.Struct("=BxHiII")
IFADDRMSG = struct.Struct("=BBBBI")
U8, U32, I32, BE16 = struct.Struct("=B"), struct.Struct("=I"), struct.Struct("=i"), struct.Struct("!H")

# What LinkTable reads of a vxlan device, a bridge and a bridge port: attribute -> (key, decoder).
VXLAN_DATA = dict((kind, (name, decoder)) for kind, name, decoder in (
    (IFLA_VXLAN_ID, "IFLA_VXLAN_ID", "u32"), (IFLA_VXLAN_GROUP, "IFLA_VXLAN_GROUP", "ip"),
    (IFLA_VXLAN_LINK, "IFLA_VXLAN_LINK", "u32"), (IFLA_VXLAN_LOCAL, "IFLA_VXLAN_LOCAL", "ip"),
    (IFLA_VXLAN_TTL, "IFLA_VXLAN_TTL", "u8"), (IFLA_VXLAN_LEARNING, "IFLA_VXLAN_LEARNING", "u8"),
    (IFLA_VXLAN_PORT, "IFLA_VXLAN_PORT", "be16"), (IFLA_VXLAN_GROUP6, "IFLA_VXLAN_GROUP6", "ip"),
    (IFLA_VXLAN_LOCAL6, "IFLA_VXLAN_LOCAL6", "ip")))
BRIDGE_DATA = {IFLA_BR_STP_STATE: ("IFLA_BR_STP_STATE", "u32"), IFLA_BR_VLAN_FILTERING: ("IFLA_BR_VLAN_FILTERING", "u8")}
BRPORT_DATA = dict((kind, (name, "u8")) for kind, name in (
    (IFLA_BRPORT_MODE, "IFLA_BRPORT_MODE"), (IFLA_BRPORT_LEARNING, "IFLA_BRPORT_LEARNING"),
    (IFLA_BRPORT_UNICAST_FLOOD, "IFLA_BRPORT_UNICAST_FLOOD"),
    (IFLA_BRPORT_NEIGH_SUPPRESS, "IFLA_BRPORT_NEIGH_SUPPRESS"), (IFLA_BRPORT_ISOLATED, "IFLA_BRPORT_ISOLATED")))


def nla(kind, payload):
    """One netlink attribute, padded to 4 bytes."""
    length = NLA.size + len(payload)
    return NLA.pack(length, kind) + payload + b"\0" * (-length % 4)


def messages(data):
    """(offset, length, type, seq) of each netlink message in one datagram."""
    offset = 0
    while offset < len(data):
        length, msg_type, _flags, seq, _pid = NLMSGHDR.unpack_from(data, offset)
        yield offset, length, msg_type, seq
        offset += (length + 3) & ~3


def attributes(data, pos, end):
    """{attribute type: (payload start, payload end)} of the attributes in data[pos:end]."""
    found = {}
    while pos + NLA.size <= end:
        nla_len, kind = NLA.unpack_from(data, pos)
        if nla_len < NLA.size:
            break
        found[kind & NLA_TYPE_MASK] = (pos + NLA.size, pos + nla_len)
        pos += (nla_len + 3) & ~3
    return found


def error_code(data, offset):
    return -I32.unpack_from(data, offset + NLMSGHDR.size)[0]


def dump(sock, msg_type, header, what, request=None):
    """Send one dump request whose family header is the struct ``header`` (``request``: its packed
    bytes plus filter attributes; None = all zero, no filter); yield (data, header fields,
    {attribute: span}) for each answer until NLMSG_DONE."""
    if request is None:
        request = bytes(header.size)
    sock.send(NLMSGHDR.pack(NLMSGHDR.size + len(request), msg_type, NLM_F_REQUEST | NLM_F_DUMP, 1, 0) + request)
    while True:
        data = sock.recv(1 << 20)
        for offset, length, kind, _seq in messages(data):
            if kind == NLMSG_DONE:
                return
            if kind == NLMSG_ERROR:
                code = error_code(data, offset)
                raise NetfabricError("netlink dump of %s failed: errno %d (%s)" % (what, code, os.strerror(code)))
            start = offset + NLMSGHDR.size
            yield data, header.unpack_from(data, start), attributes(data, start + header.size, offset + length)


def _decode(data, span, decoder):
    start, end = span
    if decoder == "u8":
        return U8.unpack_from(data, start)[0]
    if decoder == "u32":
        return U32.unpack_from(data, start)[0]
    if decoder == "be16":
        return BE16.unpack_from(data, start)[0]
    return socket.inet_ntop(socket.AF_INET if end - start == 4 else socket.AF_INET6, data[start:end])


def _text(data, span):
    return data[span[0]:span[1]].split(b"\0", 1)[0].decode("utf-8", "replace")


def _table(data, span, wanted):
    """The nested attributes ``wanted`` describes, decoded, as {name: value}."""
    found = attributes(data, *span)
    return dict((name, _decode(data, found[kind], decoder)) for kind, (name, decoder) in wanted.items()
                if kind in found)


def _linkinfo(data, span):
    info = attributes(data, *span)
    result = {"kind": _text(data, info[IFLA_INFO_KIND]) if IFLA_INFO_KIND in info else None, "data": {}}
    if IFLA_INFO_DATA in info:
        wanted = {"vxlan": VXLAN_DATA, "bridge": BRIDGE_DATA}.get(result["kind"])
        if wanted:
            result["data"] = _table(data, info[IFLA_INFO_DATA], wanted)
    if IFLA_INFO_SLAVE_KIND in info:
        result["slave_kind"] = _text(data, info[IFLA_INFO_SLAVE_KIND])
        if result["slave_kind"] == "bridge" and IFLA_INFO_SLAVE_DATA in info:
            result["slave_data"] = _table(data, info[IFLA_INFO_SLAVE_DATA], BRPORT_DATA)
    return result


def read_links(sock):
    """Every link of the socket's namespace, as the dicts LinkTable builds its views from."""
    links = []
    for data, (_family, _type, index, flags, _change), attrs in dump(sock, RTM_GETLINK, IFINFOMSG, "links"):
        def u32(kind, signed=False):
            return (I32 if signed else U32).unpack_from(data, attrs[kind][0])[0] if kind in attrs else None
        links.append({"index": index, "flags": flags,
                      "ifname": _text(data, attrs[IFLA_IFNAME]) if IFLA_IFNAME in attrs else None,
                      "mtu": u32(IFLA_MTU), "master": u32(IFLA_MASTER), "link": u32(IFLA_LINK),
                      "link_netnsid": u32(IFLA_LINK_NETNSID, signed=True),
                      "address": data[slice(*attrs[IFLA_ADDRESS])].hex(":") if IFLA_ADDRESS in attrs else None,
                      "linkinfo": _linkinfo(data, attrs[IFLA_LINKINFO]) if IFLA_LINKINFO in attrs else None,
                      "addrgenmode": _addrgenmode(data, attrs[IFLA_AF_SPEC]) if IFLA_AF_SPEC in attrs else None})
    return links


def _addrgenmode(data, span):
    """IFLA_AF_SPEC -> AF_INET6 -> IFLA_INET6_ADDR_GEN_MODE (None: no IPv6 on the link)."""
    inet6 = attributes(data, *span).get(socket.AF_INET6)
    mode = attributes(data, *inet6).get(IFLA_INET6_ADDR_GEN_MODE) if inet6 else None
    return _decode(data, mode, "u8") if mode else None


def set_addrgenmode(sock, index, mode):
    """``ip link set dev INDEX addrgenmode MODE`` (the IN6_ADDR_GEN_MODE_* number); raises NetfabricError."""
    inet6 = nla(NLA_F_NESTED | socket.AF_INET6, nla(IFLA_INET6_ADDR_GEN_MODE, U8.pack(mode)))
    body = IFINFOMSG.pack(socket.AF_UNSPEC, 0, index, 0, 0) + nla(NLA_F_NESTED | IFLA_AF_SPEC, inet6)

    def encode(_mode, flags, seq):
        return NLMSGHDR.pack(NLMSGHDR.size + len(body), RTM_SETLINK, NLM_F_REQUEST | flags, seq, 0) + body
    for _mode, code in send_batch(sock, [mode], encode):
        raise NetfabricError("setting addrgenmode %d on ifindex %d failed: errno %d (%s)"
                             % (mode, index, code, os.strerror(code)))


def read_addresses(sock):
    """Every address of the namespace: dicts with family, prefixlen, scope, index, address, local."""
    found = []
    for data, (family, prefixlen, _flags, scope, index), attrs in dump(sock, RTM_GETADDR, IFADDRMSG, "addresses"):
        entry = {"family": family, "prefixlen": prefixlen, "scope": scope, "index": index}
        for key, kind in (("address", IFA_ADDRESS), ("local", IFA_LOCAL)):
            entry[key] = _decode(data, attrs[kind], "ip") if kind in attrs else None
        found.append(entry)
    return found


BATCH = 512  # requests per send(): well inside the 4 MiB socket buffers, acks included


def send_batch(sock, operations, encode):
    """Send ``operations`` pipelined, ``encode(operation, flags, seq)`` packing each one (``flags``
    is NLM_F_ACK or 0); return the list of (operation, errno) failures.

    Only the last request of each chunk asks for an ack: the kernel reports every failed request
    anyway and handles the requests of one send() in order, so that ack closes the chunk. One
    recv() per chunk instead of one per entry (10,000 of them cost ~0.2 s).
    """
    failures = []
    for start in range(0, len(operations), BATCH):
        chunk = operations[start:start + BATCH]
        last = start + len(chunk)
        sock.send(b"".join(encode(operation, NLM_F_ACK if seq == last else 0, seq)
                           for seq, operation in enumerate(chunk, start + 1)))
        closed = False
        while not closed:
            data = sock.recv(1 << 20)
            for offset, _length, msg_type, seq in messages(data):
                if msg_type != NLMSG_ERROR:
                    continue
                code = error_code(data, offset)
                if code:
                    failures.append((operations[seq - 1], code))
                closed = closed or seq == last
    return failures


def apply_batch(sock, operations, encode, inverse, describe):
    """All or nothing: when any request fails, send ``inverse(operation)`` of each one that succeeded
    (newest first), then raise; ``describe(operation)`` names an operation in the message."""
    failures = send_batch(sock, operations, encode)
    if not failures:
        return
    failed = set(op for op, _code in failures)
    undo = [inverse(op) for op in reversed(operations) if op not in failed]
    undo_failures = send_batch(sock, undo, encode)
    operation, code = failures[0]
    raise NetfabricError("%s failed: errno %d (%s); %d of %d requests failed; rolled back %d%s"
                         % (describe(operation), code, os.strerror(code), len(failures), len(operations),
                            len(undo) - len(undo_failures),
                            "" if not undo_failures else " (%d could not be undone)" % len(undo_failures)))
