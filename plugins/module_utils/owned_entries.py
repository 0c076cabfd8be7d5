# -*- coding: utf-8 -*-
# Copyright (c) 2026, netfabric.core contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What route_entry and neigh_entry share: a set of kernel entries on one device, owned by a protocol number.

The converge is the same for both: one dump splits the device's entries into the task's own (marked
with its ``protocol``) and everybody else's; the plan is a set difference (``exclusive`` removes the
own entries nobody listed; a listed key - a destination, an address - owns its one entry); entries
that would collide with somebody else's are refused before any change; removals then additions go
out as one batch (rolled back as a whole on failure); the read-back must show the planned set. The
kernel objects themselves (their codec and dump) live in routes.py and neighbours.py.
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import socket

from ansible_collections.netfabric.core.plugins.module_utils import fdb, rtnl, validate
from ansible_collections.netfabric.core.plugins.module_utils.converge import Plan, Resource, Snapshot, Step
from ansible_collections.netfabric.core.plugins.module_utils.errors import no_such_link
from ansible_collections.netfabric.core.plugins.module_utils.netlink import Namespace, NetfabricError

# The kernel's own protocols (unspec, redirect, kernel, boot, static): never a task's mark.
RESERVED_PROTOCOLS = range(0, 5)
DEFAULT_PROTOCOL = 157  # not in iproute2's rt_protos: nobody else's routes carry it


def validated_protocol(value):
    protocol = validate.int_range("protocol", value, 0, 255)
    if protocol in RESERVED_PROTOCOLS:
        validate.fail("protocol", value, "must be 5-255: 0-4 are the kernel's own (unspec, redirect, kernel, "
                                         "boot, static) and mark entries other software owns")
    return protocol


def is_unicast(address):
    """Not multicast, unspecified or the IPv4 broadcast; ``address`` is canonical (validate.canonical_ip).

    Bytes, not ``ipaddress`` (~30 us per address): thousands of peers are checked on every run.
    """
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    packed = socket.inet_pton(family, address)
    if family == socket.AF_INET6:
        return packed[0] != 0xff and any(packed)
    return not 224 <= packed[0] <= 239 and any(packed) and packed != b"\xff\xff\xff\xff"


def validated_list(items, option, validate_one, key_of, conflict):
    """``validate_one(item)`` of each item, duplicates dropped, order kept; two different entries with one
    key refused with ``conflict(first, second)``. Errors carry the position: ``routes[3].dst: ...``."""
    result, seen = [], {}
    for position, item in enumerate(items):
        try:
            entry = validate_one(item)
        except NetfabricError as exc:  # the message starts with the field: prefix the position
            raise NetfabricError("%s[%d]%s" % (option, position, exc))
        key = key_of(entry)
        if key in seen and seen[key] != entry:
            raise NetfabricError("%s[%d]: %s" % (option, position, conflict(seen[key], entry)))
        if key not in seen:
            seen[key] = entry
            result.append(entry)
    return result


class OwnedEntries(Resource):
    """Subclasses set ``items`` (the option and view name), ``noun`` (for messages), ``NEW``/``DEL`` (the
    netlink message types that add and remove one entry) with their request ``FLAGS`` and ``encode``
    (the codec's request packer), and implement validated(), read_entries(ifindex), key(), sort_key() and
    check_collisions(add, foreign)."""

    items = noun = None
    NEW = DEL = None
    FLAGS = {}
    encode = None

    def __init__(self, params):
        self.dev = validate.ifname("dev", params["dev"])
        self.wanted = set(self.validated(params[self.items]))
        self.protocol = validated_protocol(params["protocol"])
        self.state = params["state"]
        self.exclusive = params["exclusive"]
        self.ns = Namespace(validate.netns("netns", params["netns"]))

    def close(self):
        self.ns.close()

    def read(self):
        link = fdb.read_link(self.ns.raw, self.dev)
        if link is None:
            return Snapshot(None, ifindex=None, entry_set=set(), foreign={})
        own, foreign = self.read_entries(link["index"])
        return Snapshot(self._view(own), ifindex=link["index"], entry_set=own, foreign=foreign)

    def check(self, snapshot):
        if snapshot.ifindex is None:
            raise NetfabricError(no_such_link("dev", self.dev))
        if self.state == "present":
            self.check_collisions(sorted(self.wanted - snapshot.entry_set, key=self.sort_key), snapshot.foreign)

    def _view(self, entries):
        """The diff's view; without diff mode only the count (see fdb_entries.py)."""
        if self.diff_wanted:
            return {"dev": self.dev, "protocol": self.protocol, self.items: self.sorted(entries)}
        return {"dev": self.dev, "protocol": self.protocol, self.count_key: len(entries)}

    @property
    def count_key(self):
        return self.items.rstrip("s") + "_count"

    def sorted(self, entries):
        return [e.as_dict() for e in sorted(entries, key=self.sort_key)]

    def plan(self, snapshot):
        actual = snapshot.entry_set
        if self.state == "absent":
            remove, add = actual & self.wanted, set()
        else:
            add = self.wanted - actual
            wanted_keys = set(self.key(entry) for entry in self.wanted)
            remove = set(e for e in actual - self.wanted if self.exclusive or self.key(e) in wanted_keys)
        add, remove = sorted(add, key=self.sort_key), sorted(remove, key=self.sort_key)
        planned = frozenset((actual - set(remove)) | set(add))
        values = {"added": [e.as_dict() for e in add], "removed": [e.as_dict() for e in remove],
                  self.count_key: len(planned)}
        verify, what = {"entry_set": planned}, "%s change on %s" % (self.noun, self.dev)
        if not add and not remove:
            return Plan(snapshot.view, [], verify, values, what)
        # Removals first: an entry whose key stays but whose value changed must go before its replacement.
        operations = [(self.DEL, e) for e in remove] + [(self.NEW, e) for e in add]
        where = "via" if self.items == "routes" else "on"
        text = "program %d %s %s %s (+%d -%d)" % (len(operations), self.noun, where, self.dev, len(add), len(remove))
        ifindex = snapshot.ifindex
        return Plan(self._view(planned), [Step(text, lambda: self.apply(ifindex, operations))], verify, values, what)

    def apply(self, ifindex, operations):
        """(message type, entry) operations on link ``ifindex`` in one batch, all or nothing (rtnl.apply_batch)."""
        inverse = {self.NEW: self.DEL, self.DEL: self.NEW}
        encode = type(self).encode

        def encoder(operation, ack, seq):
            kind, entry = operation
            return encode(kind, self.FLAGS[kind] | ack, seq, ifindex, self.protocol, entry)

        def describe(operation):
            return "%s %s %s" % ("adding" if operation[0] == self.NEW else "removing", self.noun, operation[1].as_dict())
        rtnl.apply_batch(self.ns.raw, operations, encoder, lambda op: (inverse[op[0]], op[1]), describe)
