# -*- coding: utf-8 -*-
# Copyright (c) 2026, netfabric.core contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Permanent neighbour (ARP/NDP) entries on one device in bulk (netfabric.core.neigh_entry).

Ownership is the neighbour protocol number (``ip neigh ... protocol N``, NDA_PROTOCOL): the entries a
task owns are those on ``dev`` carrying its ``protocol``. Exclusive mode removes those it does not
list; an entry of anyone else that is permanent (an administrator's, flanneld's) is never changed and
a listed entry for its address is refused before any change (``adopt`` takes over an unmarked one
that is already exactly the listed entry, as systemd-networkd's [Neighbor] writes them), while the kernel's own cache entries
(reachable, stale, failed, ...) for a listed address are replaced. One dump filtered by device in
the kernel, a set difference, one batch through rtnl.py, as the fdb path does.
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import collections
import socket
import struct

from ansible_collections.netfabric.core.plugins.module_utils import fdb, rtnl, validate
from ansible_collections.netfabric.core.plugins.module_utils.constants import (
    RTM_NEWNEIGH, RTM_DELNEIGH, NLM_F_REQUEST, NLM_F_REPLACE, NLM_F_CREATE, NDA_DST, NDA_LLADDR,
    NDA_IFINDEX, NDA_PROTOCOL, NUD_NOARP, NUD_PERMANENT)
from ansible_collections.netfabric.core.plugins.module_utils.errors import NetfabricError
from ansible_collections.netfabric.core.plugins.module_utils.owned_entries import (
    DEFAULT_PROTOCOL, OwnedEntries, is_unicast, validated_list)


NDMSG = fdb.NDMSG
U8, U32 = struct.Struct("=B"), struct.Struct("=I")

ARGUMENT_SPEC = dict(
    dev=dict(type="str", required=True),
    # Elements (documented suboptions address, mac) are checked by validated_entries().
    entries=dict(type="list", elements="dict", required=True),
    protocol=dict(type="int", default=DEFAULT_PROTOCOL),
    exclusive=dict(type="bool", default=False),
    adopt=dict(type="bool", default=False),
    state=dict(type="str", default="present", choices=["present", "absent"]),
    netns=dict(type="str"),
)
ENTRY_FIELDS = ("address", "mac")


class Neighbour(collections.namedtuple("Neighbour", "address mac")):
    """A neighbour entry: IP address (``inet_ntop`` form) -> link-layer address."""

    __slots__ = ()

    def as_dict(self):
        return {"address": self.address, "mac": self.mac}


def encode(msg_type, flags, seq, ifindex, protocol, entry):
    """One RTM_NEWNEIGH/RTM_DELNEIGH request for a permanent entry on ``ifindex`` marked ``protocol``."""
    family = socket.AF_INET6 if ":" in entry.address else socket.AF_INET
    body = NDMSG.pack(family, ifindex, NUD_PERMANENT, 0, 0)
    body += rtnl.nla(NDA_DST, socket.inet_pton(family, entry.address))
    if msg_type == RTM_NEWNEIGH:
        body += rtnl.nla(NDA_LLADDR, bytes.fromhex(entry.mac.replace(":", ""))) + rtnl.nla(NDA_PROTOCOL, U8.pack(protocol))
    return rtnl.NLMSGHDR.pack(rtnl.NLMSGHDR.size + len(body), msg_type, flags, seq, 0) + body


def read_neighbours(sock, ifindex):
    """Every neighbour entry on ``ifindex`` (both families) as (Neighbour, state, protocol)."""
    found = []
    what, by_device = "neighbour dump on ifindex %d" % ifindex, rtnl.nla(NDA_IFINDEX, U32.pack(ifindex))
    for data, offset, length in fdb.neighbour_messages(sock, socket.AF_UNSPEC, 0, what, by_device):
        start = offset + rtnl.NLMSGHDR.size
        family, index, state, _flags, _kind = NDMSG.unpack_from(data, start)
        attrs = rtnl.attributes(data, start + NDMSG.size, offset + length)
        if index != ifindex or NDA_DST not in attrs or family not in (socket.AF_INET, socket.AF_INET6):
            continue
        address = socket.inet_ntop(family, data[slice(*attrs[NDA_DST])])
        mac = data[slice(*attrs[NDA_LLADDR])].hex(":") if NDA_LLADDR in attrs else None
        protocol = U8.unpack_from(data, attrs[NDA_PROTOCOL][0])[0] if NDA_PROTOCOL in attrs else 0
        found.append((Neighbour(address, mac), state, protocol))
    return found


def _validated_entry(item):
    validate.list_entry(item, ENTRY_FIELDS, ENTRY_FIELDS, "entry")
    address = validate.ip_text(".address", item["address"])
    if not is_unicast(address):
        validate.fail(".address", item["address"], "must be a unicast address")
    return Neighbour(address, validate.mac(".mac", item["mac"], allow_zero=False))


def validated_entries(items):
    """Neighbours as listed, validated, duplicates dropped; one address with two MACs refused."""
    return validated_list(items, "entries", _validated_entry, lambda entry: entry.address, lambda first, second: (
        "lists address %s twice with different MACs (%s and %s)" % (second.address, first.mac, second.mac)))


class NeighbourEntries(OwnedEntries):
    items, noun = "entries", "neighbour entries"
    NEW, DEL = RTM_NEWNEIGH, RTM_DELNEIGH
    FLAGS = {RTM_NEWNEIGH: NLM_F_REQUEST | NLM_F_CREATE | NLM_F_REPLACE, RTM_DELNEIGH: NLM_F_REQUEST}
    encode = staticmethod(encode)

    def __init__(self, params):
        super(NeighbourEntries, self).__init__(params)
        self.adopt = params["adopt"]

    @staticmethod
    def validated(items):
        return validated_entries(items)

    def read_entries(self, ifindex):
        """(own entries, {address: (entry, protocol)} of the permanent entries of anyone else)."""
        own, foreign = set(), {}
        for entry, state, protocol in read_neighbours(self.ns.raw, ifindex):
            if protocol == self.protocol and state & NUD_PERMANENT:
                own.add(entry)
            elif state & (NUD_PERMANENT | NUD_NOARP):
                foreign[entry.address] = (entry, protocol)
        return own, foreign

    @staticmethod
    def key(entry):
        return entry.address

    @staticmethod
    def sort_key(entry):
        family = socket.AF_INET6 if ":" in entry.address else socket.AF_INET
        return (family, socket.inet_pton(family, entry.address))

    def check_collisions(self, add, foreign):
        for entry in add:
            if entry.address in foreign:
                other, protocol = foreign[entry.address]
                if self.adopt and other == entry and protocol == 0:
                    continue  # re-added with the mark: the same entry, now owned
                raise NetfabricError("entries: %s on %s already has a permanent entry this task does not own "
                                     "(lladdr %s, protocol %d); remove it first, got %r"
                                     % (entry.address, self.dev, other.mac, protocol, entry.as_dict()))
