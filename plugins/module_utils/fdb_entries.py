# -*- coding: utf-8 -*-
# Copyright (c) 2026, netfabric.core contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The forwarding-entry list resource (netfabric.core.fdb_entry).

Semantics: for every MAC the task lists, the listed destinations are that MAC's complete remote set
(a MAC that moved to another VTEP loses its old destination); for the all-zero MAC (head-end
replication, the flood list) listed destinations are added and others kept, unless ``exclusive``.
``exclusive`` removes the static remote entries on ``dev`` the task does not list, within its scope:

- ``listed`` (default): the classes of MAC the task lists -- the flood list when it lists the zero MAC,
  the unicast table when it lists a unicast MAC; nothing when it lists nothing;
- ``flood`` / ``unicast`` / ``all``: that class whatever the list holds (an empty flood list purges it).

What the module owns at all: static (``self permanent``) remote entries. Learned entries, entries a
control plane marked ``extern_learn`` (FRR's EVPN type-2 MACs) and the bridge's ``master`` entries are
never read, compared or removed. FRR's flood entries (EVPN type-3) are indistinguishable from static
ones in the kernel: the scope is what keeps them safe -- a task that does not manage the flood list of
a VTEP (does not list the zero MAC, or picks ``exclusive_scope: unicast``) never touches it.
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.netfabric.core.plugins.module_utils import fdb, validate
from ansible_collections.netfabric.core.plugins.module_utils.converge import Plan, Resource, Snapshot, Step
from ansible_collections.netfabric.core.plugins.module_utils.errors import no_such_link, wrong_kind
from ansible_collections.netfabric.core.plugins.module_utils.netlink import Namespace, NetfabricError

ARGUMENT_SPEC = dict(
    dev=dict(type="str", required=True),
    # The elements (documented suboptions mac, dst, vni, port) are checked by _validated_entry(), not
    # by AnsibleModule: its suboption validation costs ~0.1 ms per element, most of the module's time
    # for 10,000 entries (BENCHMARKS.md).
    entries=dict(type="list", elements="dict"),
    mac=dict(type="str"),
    dst=dict(type="str"),
    state=dict(type="str", default="present", choices=["present", "absent"]),
    exclusive=dict(type="bool", default=False),
    exclusive_scope=dict(type="str", default="listed", choices=["listed", "flood", "unicast", "all"]),
    netns=dict(type="str"),
)
ENTRY_FIELDS = ("mac", "dst", "vni", "port")
UNSPECIFIED = frozenset(("0.0.0.0", "::"))
MUTUALLY_EXCLUSIVE = [["entries", "mac"], ["entries", "dst"]]
REQUIRED_TOGETHER = [["mac", "dst"]]
REQUIRED_ONE_OF = [["entries", "mac"]]


def _validated_entries(params):
    """fdb.Entry (mac, dst, vni, port) tuples as listed, validated, duplicates dropped, order kept."""
    if params["entries"] is None:
        raw = [dict(mac=params["mac"], dst=params["dst"], vni=None, port=None)]
        prefix = None
    else:
        raw = params["entries"]
        prefix = "entries"
    result = []
    seen = set()
    unicast = {}  # mac -> its first entry: one lookup per entry, not a scan of the list
    for position, item in enumerate(raw):
        try:
            entry = _validated_entry(item)
        except NetfabricError as exc:  # the message starts with the option: prefix its position
            raise NetfabricError("%s[%d].%s" % (prefix, position, exc) if prefix else str(exc))
        if entry not in seen:
            _refuse_second_destination(entry, position, prefix, unicast)
            seen.add(entry)
            result.append(entry)
    return result


def _refuse_second_destination(entry, position, prefix, unicast):
    """A unicast MAC has one destination: the kernel keeps the first and silently ignores the others."""
    if entry.mac == fdb.ZERO_MAC:
        return
    other = unicast.setdefault(entry.mac, entry)
    if other is not entry:
        where = "%s[%d]." % (prefix, position) if prefix else ""
        raise NetfabricError("%smac: %s is listed towards %s and towards %s; a unicast MAC has exactly one "
                             "destination (only 00:00:00:00:00:00, the flood list, takes several)"
                             % (where, entry.mac, other.as_dict(), entry.as_dict()))


def _validated_entry(item):
    """One entry as an fdb.Entry; errors name the field (the caller prefixes its position)."""
    validate.list_entry(item, ENTRY_FIELDS, ("mac", "dst"), "entry", sep="")
    dst = validate.ip_text("dst", item["dst"])
    if dst in UNSPECIFIED:
        validate.fail("dst", item["dst"], "must not be the unspecified address: the kernel reads a removal of it as "
                                          "'remove every destination of this MAC' (the whole flood list)")
    vni, port = item.get("vni"), item.get("port")
    if vni is not None:
        vni = validate.vni("vni", _integer(vni))
    if port is not None:
        port = validate.port("port", _integer(port))
    return fdb.Entry(validate.mac("mac", item["mac"]), dst, vni, port)


def _integer(value):
    """A templated number arrives as a string ("4789"): convert it as AnsibleModule's type=int would."""
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return value


class FdbEntries(Resource):
    def __init__(self, params):
        self.dev = validate.ifname("dev", params["dev"])
        self.wanted = _validated_entries(params)
        self.state = params["state"]
        self.exclusive = params["exclusive"]
        self.scope = _exclusive_scope(params["exclusive_scope"], self.wanted) if self.exclusive else frozenset()
        self.ns = Namespace(validate.netns("netns", params["netns"]))

    def close(self):
        self.ns.close()

    def lock_keys(self):
        return [(self.ns, self.dev, "dev")]

    def read(self):
        device = fdb.read_link(self.ns.raw, self.dev)
        if device is None or device["kind"] != "vxlan":
            return Snapshot(None, device=device, entry_set=frozenset())
        entries = fdb.read_fdb(self.ns.raw, device["index"])
        return Snapshot(self._view(entries), device=device, entry_set=entries)

    def check(self, snapshot):
        device = snapshot.device
        if device is None:
            raise NetfabricError(no_such_link("dev", self.dev))
        if device["kind"] != "vxlan":
            raise NetfabricError(wrong_kind("dev", self.dev, device["kind"], "vxlan device",
                                            "remote entries live on a VTEP"))

    def _view(self, entries):
        """The diff's view; without diff mode only the count, since sorting and formatting
        thousands of entries nobody will see is most of a no-change run's time."""
        if self.diff_wanted:
            return {"dev": self.dev, "entries": _sorted(entries)}
        return {"dev": self.dev, "entry_count": len(entries)}

    def _desired(self, device):
        """The listed entries in the kernel's form (the device's own VNI and port dropped); most entries
        name neither, and are already in that form."""
        return set(e if e.vni is None and e.port is None
                   else fdb.canonical(e.mac, e.dst, e.vni, e.port, device["vni"], device["dstport"])
                   for e in self.wanted)

    def plan(self, snapshot):
        actual, desired, ifindex = snapshot.entry_set, self._desired(snapshot.device), snapshot.device["index"]
        if self.state == "absent":
            remove, add = actual & desired, set()
        else:
            add = desired - actual
            listed_macs = set(e.mac for e in desired if e.mac != fdb.ZERO_MAC)
            remove = set(e for e in actual - desired if e.mac in listed_macs or _mac_class(e.mac) in self.scope)
        planned = frozenset((actual - remove) | add)
        values = {"added": _sorted(add), "removed": _sorted(remove), "entry_count": len(planned)}
        verify = {"entry_set": planned}
        what = "fdb change on %s" % self.dev
        if not add and not remove:
            return Plan(snapshot.view, [], verify, values, what)
        # Removals first: a MAC moving to another VTEP must lose its old destination before the new
        # one is appended, or the kernel would hold both for a moment.
        operations = ([(fdb.RTM_DELNEIGH, e) for e in sorted(remove, key=_sort_key)]
                      + [(fdb.RTM_NEWNEIGH, e) for e in sorted(add, key=_sort_key)])
        inverse = [(fdb.INVERSE[kind], entry) for kind, entry in reversed(operations)]
        text = "program %d fdb entries on %s (+%d -%d)" % (len(operations), self.dev, len(add), len(remove))
        step = Step(text, lambda: fdb.apply_batch(self.ns.raw, ifindex, operations),
                    lambda: fdb.apply_batch(self.ns.raw, ifindex, inverse))
        return Plan(self._view(planned), [step], verify, values, what)


def _mac_class(mac):
    return "flood" if mac == fdb.ZERO_MAC else "unicast"


def _exclusive_scope(scope, wanted):
    """The MAC classes ``exclusive`` purges (see the module docstring)."""
    if scope == "listed":
        return frozenset(_mac_class(e.mac) for e in wanted)
    if scope == "all":
        return frozenset(("flood", "unicast"))
    return frozenset((scope,))


def _sort_key(entry):
    return (entry.mac, entry.dst, entry.vni or 0, entry.port or 0)


def _sorted(entries):
    return [e.as_dict() for e in sorted(entries, key=_sort_key)]
