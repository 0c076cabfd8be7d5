# -*- coding: utf-8 -*-
# Copyright (c) 2026, netfabric.core contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Capture what deleting a link destroys, so the undo of the delete can put all of it back.

Deleting a link takes with it far more than the link: its forwarding entries, its membership in a
bridge and its port flags, its addresses and the routes through it, its MTU, MAC and up/down state.
An undo that only re-creates the device (what a re-create step used to do) leaves a VTEP without its
flood list: "rolled back", but not to where the host was.

``destroying_step()`` builds a Step whose ``do`` first captures the link *as it is at that moment*
(not as it was when the run was planned) and then deletes it, and whose ``undo`` re-creates it from
the capture with the same ifindex, name, MAC, MTU and kind-specific attributes (the kernel's own
IFLA_INFO_DATA, replayed), then restores membership, port flags, addresses, up/down state, routes
and forwarding entries. Only kinds whose attributes replay faithfully are restorable (RESTORABLE);
deleting another kind keeps a step without undo, and a rollback then reports it as kept.
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import socket
import struct

from ansible_collections.netfabric.core.plugins.module_utils import fdb, rtnl
from ansible_collections.netfabric.core.plugins.module_utils.constants import (
    IFLA_AF_SPEC, IFLA_INET6_ADDR_GEN_MODE, IFLA_INFO_DATA, IFLA_INFO_KIND, IFLA_VXLAN_RESERVED_BITS,
    IFLA_VXLAN_TTL_INHERIT, NDA_MASTER, NLM_F_ACK, NLM_F_CREATE, NLM_F_EXCL, NUD_NOARP, NUD_PERMANENT, RTM_NEWLINK)
from ansible_collections.netfabric.core.plugins.module_utils.converge import Step
from ansible_collections.netfabric.core.plugins.module_utils.addresses import add_entries, read_address_entries
from ansible_collections.netfabric.core.plugins.module_utils.links import LinkTable
from ansible_collections.netfabric.core.plugins.module_utils.ports import put_under
from ansible_collections.netfabric.core.plugins.module_utils.routes import read_route_entries, replace_routes
from ansible_collections.netfabric.core.plugins.module_utils.netlink import NetfabricError

# Per kind, the IFLA_INFO_DATA attributes that the kernel dumps as a u8 0/1 but reads as "set" when
# merely present: replayed only when non-zero.
PRESENCE_FLAGS = {"vxlan": frozenset((IFLA_VXLAN_TTL_INHERIT,))}
# ... and those it dumps but refuses on creation: IFLA_VXLAN_RESERVED_BITS (its default mask is EINVAL;
# only GBP/GPE devices use other values, which the modules never create).
NOT_REPLAYED = {"vxlan": frozenset((IFLA_VXLAN_RESERVED_BITS,))}
RESTORABLE = frozenset(PRESENCE_FLAGS)
KEEP_STATES = NUD_PERMANENT | NUD_NOARP  # static entries; learned ones come back by themselves


def _addr_gen_mode(data, attrs):
    """IFLA_AF_SPEC > AF_INET6 > IFLA_INET6_ADDR_GEN_MODE as the attribute to create the link with, or b""."""
    if IFLA_AF_SPEC not in attrs:
        return b""
    inet6 = rtnl.attributes(data, *attrs[IFLA_AF_SPEC]).get(socket.AF_INET6)
    mode = rtnl.attributes(data, *inet6).get(IFLA_INET6_ADDR_GEN_MODE) if inet6 else None
    if mode is None:
        return b""
    return rtnl.nla(IFLA_AF_SPEC, rtnl.nla(socket.AF_INET6, rtnl.nla(IFLA_INET6_ADDR_GEN_MODE, data[mode[0]:mode[1]])))


def _raw_link(sock, index):
    """(IFLA_LINKINFO kind, IFLA_INFO_DATA bytes, IFLA_AF_SPEC bytes) of link ``index``, from the kernel."""
    body = rtnl.IFINFOMSG.pack(0, 0, index, 0, 0)
    sock.send(rtnl.NLMSGHDR.pack(rtnl.NLMSGHDR.size + len(body), rtnl.RTM_GETLINK, rtnl.NLM_F_REQUEST, 1, 0) + body)
    data = sock.recv(1 << 16)
    for offset, length, msg_type, _seq in rtnl.messages(data):
        if msg_type == rtnl.NLMSG_ERROR:
            raise NetfabricError("reading link %d failed: errno %d" % (index, rtnl.error_code(data, offset)))
        start = offset + rtnl.NLMSGHDR.size + rtnl.IFINFOMSG.size
        attrs = rtnl.attributes(data, start, offset + length)
        info = rtnl.attributes(data, *attrs[rtnl.IFLA_LINKINFO]) if rtnl.IFLA_LINKINFO in attrs else {}
        kind = rtnl._text(data, info[IFLA_INFO_KIND]) if IFLA_INFO_KIND in info else None
        return kind, _replayable(data, info.get(IFLA_INFO_DATA), PRESENCE_FLAGS.get(kind, ()),
                                 NOT_REPLAYED.get(kind, ())), _addr_gen_mode(data, attrs)
    raise NetfabricError("reading link %d failed: no answer" % index)


def _replayable(data, span, presence_flags, not_replayed):
    """The nested attributes in ``span`` as bytes to send back, presence flags that are off dropped."""
    if span is None:
        return b""
    out = b""
    for kind, (start, end) in sorted(rtnl.attributes(data, *span).items()):
        if kind in not_replayed or (kind in presence_flags and not any(data[start:end])):
            continue
        out += rtnl.nla(kind, data[start:end])
    return out


def _read_neighbours(sock, ifindex):
    """Static forwarding entries on ``ifindex`` (own remote ones and the bridge's for it) as raw
    (state, flags, attributes bytes) to send back as they were."""
    sock.setsockopt(fdb.SOL_NETLINK, fdb.NETLINK_GET_STRICT_CHK, 1)
    request = fdb.NDMSG.pack(fdb.AF_BRIDGE, ifindex, 0, 0, 0)
    sock.send(rtnl.NLMSGHDR.pack(rtnl.NLMSGHDR.size + len(request), fdb.RTM_GETNEIGH,
                                 rtnl.NLM_F_REQUEST | rtnl.NLM_F_DUMP, 1, 0) + request)
    found = []
    while True:
        data = sock.recv(1 << 20)
        for offset, length, msg_type, _seq in rtnl.messages(data):
            if msg_type == rtnl.NLMSG_DONE:
                return found
            if msg_type == rtnl.NLMSG_ERROR:
                raise NetfabricError("fdb dump of link %d failed: errno %d" % (ifindex, rtnl.error_code(data, offset)))
            _family, index, state, flags, _type = fdb.NDMSG.unpack_from(data, offset + rtnl.NLMSGHDR.size)
            if index != ifindex or not state & KEEP_STATES:
                continue
            start = offset + fdb.HEADER_LEN
            attrs = rtnl.attributes(data, start, offset + length)
            if flags & fdb.NTF_MASTER and state & fdb.NUD_PERMANENT and fdb.NDA_DST not in attrs:
                continue  # the bridge's entry for the port's own MAC: re-created when the port joins
            kept = b"".join(rtnl.nla(kind, data[s:e]) for kind, (s, e) in sorted(attrs.items())
                            if kind not in (fdb.NDA_CACHEINFO, NDA_MASTER))
            found.append((state, flags, kept))


def capture(ns, name):
    """Everything deleting link ``name`` destroys, or None when its kind cannot be restored."""
    view = LinkTable(ns).get(name)
    if view is None:
        return None
    kind, info_data, af_spec = _raw_link(ns.raw, view["index"])
    if kind not in RESTORABLE:
        return None
    index = view["index"]
    return {"view": view, "kind": kind, "info_data": info_data, "af_spec": af_spec,
            "addresses": read_address_entries(ns, index), "routes": read_route_entries(ns, index),
            "neighbours": _read_neighbours(ns.raw, index)}


def _netlink_request(sock, msg_type, flags, body, what):
    sock.send(rtnl.NLMSGHDR.pack(rtnl.NLMSGHDR.size + len(body), msg_type,
                                 rtnl.NLM_F_REQUEST | NLM_F_ACK | flags, 1, 0) + body)
    data = sock.recv(1 << 16)
    for offset, _length, kind, _seq in rtnl.messages(data):
        if kind == rtnl.NLMSG_ERROR and rtnl.error_code(data, offset):
            code = rtnl.error_code(data, offset)
            raise NetfabricError("%s failed: errno %d" % (what, code))


def _recreate(ns, snap):
    view = snap["view"]
    linkinfo = rtnl.nla(IFLA_INFO_KIND, snap["kind"].encode() + b"\0") + rtnl.nla(IFLA_INFO_DATA, snap["info_data"])
    body = (rtnl.IFINFOMSG.pack(0, 0, view["index"], 0, 0)
            + rtnl.nla(rtnl.IFLA_IFNAME, view["name"].encode() + b"\0")
            + rtnl.nla(rtnl.IFLA_ADDRESS, bytes.fromhex(view["mac"].replace(":", "")))
            + rtnl.nla(rtnl.IFLA_MTU, struct.pack("=I", view["mtu"]))
            + rtnl.nla(rtnl.IFLA_LINKINFO, linkinfo))
    _netlink_request(ns.raw, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, body, "re-creating %s" % view["name"])
    if snap["af_spec"]:  # the kernel takes addrgenmode on an existing link only (EAFNOSUPPORT on creation)
        body = rtnl.IFINFOMSG.pack(0, 0, view["index"], 0, 0) + snap["af_spec"]
        _netlink_request(ns.raw, RTM_NEWLINK, 0, body, "restoring addrgenmode of %s" % view["name"])


def _restore_neighbours(ns, index, neighbours):
    for state, flags, attrs in neighbours:
        body = fdb.NDMSG.pack(fdb.AF_BRIDGE, index, state, flags, 0) + attrs
        _netlink_request(ns.raw, fdb.RTM_NEWNEIGH, NLM_F_CREATE | fdb.NLM_F_APPEND, body, "restoring an fdb entry")


def restore(ns, snap):
    """Re-create the captured link and everything that went with it, in the order the kernel needs:
    the link, its bridge membership and port flags, addresses, up/down, routes, forwarding entries."""
    view = snap["view"]
    index = view["index"]
    _recreate(ns, snap)
    if view["master"]:
        put_under(ns, index, view["master"], view.get("port"))
    add_entries(ns, index, snap["addresses"])
    if view["up"]:
        ns.ipr.link("set", index=index, state="up")
        replace_routes(ns, index, snap["routes"])
    _restore_neighbours(ns, index, snap["neighbours"])


def destroying_step(ns, name, text, index_of):
    """A Step deleting link ``name`` whose undo restores it as it was when the step ran."""
    captured = []

    def do():
        del captured[:]
        captured.append(capture(ns, name))
        ns.ipr.link("del", index=index_of())

    def undo():
        if captured[0] is None:
            raise NetfabricError("%s cannot be restored: its kind is not one this module can re-create" % name)
        restore(ns, captured[0])
    return Step(text, do, undo)
