# -*- coding: utf-8 -*-
# Copyright (c) 2026, netfabric.core contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The forwarding-entry list resource (netfabric.core.fdb_entry).

Semantics: for every MAC the task lists, the listed destinations are that MAC's complete remote set
(a MAC that moved to another VTEP loses its old destination); for the all-zero MAC (head-end
replication, the flood list) listed destinations are added and others kept, unless ``exclusive``.
``exclusive`` removes every static remote entry on ``dev`` the task does not list: stale peers.
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.netfabric.core.plugins.module_utils import fdb, validate
from ansible_collections.netfabric.core.plugins.module_utils.converge import Resource, Step
from ansible_collections.netfabric.core.plugins.module_utils.links import LinkTable
from ansible_collections.netfabric.core.plugins.module_utils.netlink import Namespace, NetfabricError

ARGUMENT_SPEC = dict(
    dev=dict(type="str", required=True),
    entries=dict(type="list", elements="dict", options=dict(
        mac=dict(type="str", required=True),
        dst=dict(type="str", required=True),
        vni=dict(type="int"),
        port=dict(type="int"),
    )),
    mac=dict(type="str"),
    dst=dict(type="str"),
    state=dict(type="str", default="present", choices=["present", "absent"]),
    exclusive=dict(type="bool", default=False),
    netns=dict(type="str"),
)
MUTUALLY_EXCLUSIVE = [["entries", "mac"], ["entries", "dst"]]
REQUIRED_TOGETHER = [["mac", "dst"]]
REQUIRED_ONE_OF = [["entries", "mac"]]


def _validated_entries(params):
    """(mac, dst, vni, port) tuples, validated, duplicates dropped, order kept."""
    if params["entries"] is None:
        raw = [dict(mac=params["mac"], dst=params["dst"], vni=None, port=None)]
        prefix = ""
    else:
        raw = params["entries"]
        prefix = "entries"
    result = []
    seen = set()
    for position, item in enumerate(raw):
        where = ("%s[%d]." % (prefix, position)) if prefix else ""
        entry = (validate.mac(where + "mac", item["mac"]),
                 str(validate.ip(where + "dst", item["dst"])),
                 validate.vni(where + "vni", item.get("vni")),
                 validate.port(where + "port", item.get("port")))
        if entry not in seen:
            seen.add(entry)
            result.append(entry)
    return result


class FdbEntries(Resource):
    def __init__(self, params):
        self.dev = validate.ifname("dev", params["dev"])
        self.wanted = _validated_entries(params)
        self.state = params["state"]
        self.exclusive = params["exclusive"]
        self.ns = Namespace(validate.netns("netns", params["netns"]))
        self.ifindex = None

    def close(self):
        self.ns.close()

    def _device(self):
        view = LinkTable(self.ns).get(self.dev)
        if view is None:
            raise NetfabricError("dev: no link named %r in this network namespace" % self.dev)
        if view["kind"] != "vxlan":
            raise NetfabricError("dev: %r is a %s, not a vxlan device; remote entries live on a VTEP"
                                 % (self.dev, view["kind"] or "device without kind"))
        return view

    def read(self):
        if self.ifindex is None:
            view = self._device()
            self.ifindex = view["index"]
            self.dev_vni, self.dev_port = view["vxlan"]["vni"], view["vxlan"]["dstport"]
            self.desired = set(fdb.canonical(mac, dst, vni, port, self.dev_vni, self.dev_port)
                               for mac, dst, vni, port in self.wanted)
        self.actual = fdb.read_fdb(self.ns.raw, self.ifindex)
        return {"dev": self.dev, "entries": _sorted(self.actual)}

    def plan(self, before):
        actual = self.actual
        if self.state == "absent":
            remove, add = actual & self.desired, set()
        else:
            add = self.desired - actual
            listed_macs = set(e.mac for e in self.desired if e.mac != fdb.ZERO_MAC)
            remove = set(e for e in actual - self.desired if self.exclusive or e.mac in listed_macs)
        self.added, self.removed = _sorted(add), _sorted(remove)
        after = {"dev": self.dev, "entries": _sorted((actual - remove) | add)}
        if not add and not remove:
            return after, []
        # Removals first: a MAC moving to another VTEP must lose its old destination before the new
        # one is appended, or the kernel would hold both for a moment.
        operations = [(fdb.RTM_DELNEIGH, e) for e in sorted(remove)] + [(fdb.RTM_NEWNEIGH, e) for e in sorted(add)]
        text = "program %d fdb entries on %s (+%d -%d)" % (len(operations), self.dev, len(add), len(remove))
        return after, [Step(text, lambda: fdb.apply_batch(self.ns.raw, self.ifindex, operations))]

    def result(self, after):
        return {"added": self.added, "removed": self.removed, "entry_count": len(after["entries"])}


def _sorted(entries):
    return [e.as_dict() for e in sorted(entries, key=lambda e: (e.mac, e.dst, e.vni or 0, e.port or 0))]
