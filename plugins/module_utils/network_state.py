# -*- coding: utf-8 -*-
# Copyright (c) 2026, netfabric.core contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A host's whole desired state in one run (netfabric.core.network_state), with one rollback for the host.

Each item of ``resources`` names a public module (``bridge``, ``veth_pair``, ...) and its options. Every
item is validated against that module's own argument spec and built with the module's own resource
class (``LOADERS``, the one registry) before anything changes; then the items converge in list order with
``Resource.converge_steps``. A failure anywhere -- a step, a read-back, an item built late -- undoes the
failing item's steps (the core does) and every earlier item's, newest first.

Two situations need care:
- an item in a namespace that an earlier ``netns`` item creates cannot be built before that namespace
  exists: it is built at its turn (its options were validated up front all the same);
- in check mode an item that depends on a link or namespace an earlier item (or an earlier task, see
  ``pending_links``) would create has nothing to be compared with: it is reported as pending (changed).
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import collections
import contextlib
import os

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible_collections.netfabric.core.plugins.module_utils import locking
from ansible_collections.netfabric.core.plugins.module_utils.converge import StepsFailed, explain, roll_back
from ansible_collections.netfabric.core.plugins.module_utils.netlink import NETNS_RUN_DIR, NetfabricError, netns_path

ARGUMENT_SPEC = dict(
    resources=dict(type="list", elements="dict", required=True),
    pending_links=dict(type="list", elements="str", default=[]),
)


class Kind(collections.namedtuple("Kind", "spec build constraints label refs creates nft")):
    """One public module as an item kind: its argument spec (and constraints), how to build its resource
    from validated options (and the AnsibleModule, for modules that run commands), the options naming the
    item in messages, the options naming links it needs, the option naming the link it creates, and
    whether it runs ``nft``."""


def _kind(spec, build, label, refs=(), creates=None, constraints=None, nft=False):
    return Kind(spec, build, constraints or {}, label, refs, creates, nft)


# The public modules an item may name: the same specs and resource classes those modules use. Each kind is
# imported when an item names it (a run pays for the code of the kinds it converges, not of all of them).

def _bridge():
    from ansible_collections.netfabric.core.plugins.module_utils import bridge
    return _kind(bridge.ARGUMENT_SPEC, lambda p, m: bridge.Bridge(p), ("name",), creates="name")


def _bridge_port():
    from ansible_collections.netfabric.core.plugins.module_utils import bridge_port
    return _kind(bridge_port.ARGUMENT_SPEC, lambda p, m: bridge_port.BridgePort(p), ("bridge", "port"),
                 refs=("bridge", "port"))


def _veth_pair():
    from ansible_collections.netfabric.core.plugins.module_utils import veth_pair
    return _kind(veth_pair.ARGUMENT_SPEC, lambda p, m: veth_pair.VethPair(p), ("name",), refs=("master", "mtu_from"),
                 creates="name")


def _vxlan_vtep():
    from ansible_collections.netfabric.core.plugins.module_utils import vxlan_vtep
    return _kind(vxlan_vtep.ARGUMENT_SPEC, lambda p, m: vxlan_vtep.VxlanVtep(p), ("name",), refs=("dev", "master"),
                 creates="name", constraints=dict(required_if=vxlan_vtep.REQUIRED_IF))


def _fdb_entry():
    from ansible_collections.netfabric.core.plugins.module_utils import fdb_entries
    return _kind(fdb_entries.ARGUMENT_SPEC, lambda p, m: fdb_entries.FdbEntries(p), ("dev",), refs=("dev",),
                 constraints=dict(mutually_exclusive=fdb_entries.MUTUALLY_EXCLUSIVE,
                                  required_together=fdb_entries.REQUIRED_TOGETHER,
                                  required_one_of=fdb_entries.REQUIRED_ONE_OF))


def _netns():
    from ansible_collections.netfabric.core.plugins.module_utils import netns_resource
    return _kind(netns_resource.ARGUMENT_SPEC, lambda p, m: netns_resource.NetnsResource(p), ("name",))


def _vtep_filter():
    from ansible_collections.netfabric.core.plugins.module_utils import vtep_filter
    return _kind(vtep_filter.ARGUMENT_SPEC, lambda p, m: vtep_filter.VtepFilter(p, m.run_command), ("table",),
                 nft=True)


def _route_entry():
    from ansible_collections.netfabric.core.plugins.module_utils import routes
    return _kind(routes.ARGUMENT_SPEC, lambda p, m: routes.RouteEntries(p), ("dev",), refs=("dev",))


def _neigh_entry():
    from ansible_collections.netfabric.core.plugins.module_utils import neighbours
    return _kind(neighbours.ARGUMENT_SPEC, lambda p, m: neighbours.NeighbourEntries(p), ("dev",), refs=("dev",))


def _ip_forwarding():
    from ansible_collections.netfabric.core.plugins.module_utils import forwarding
    return _kind(forwarding.ARGUMENT_SPEC, lambda p, m: forwarding.IpForwarding(p), ("interfaces",),
                 refs=("interfaces",))


LOADERS = {"bridge": _bridge, "bridge_port": _bridge_port, "veth_pair": _veth_pair, "vxlan_vtep": _vxlan_vtep,
           "fdb_entry": _fdb_entry, "netns": _netns, "vtep_filter": _vtep_filter, "route_entry": _route_entry,
           "neigh_entry": _neigh_entry, "ip_forwarding": _ip_forwarding}
_LOADED = {}


def kind(name):
    """The Kind of module ``name`` (one of LOADERS), imported on first use."""
    if name not in _LOADED:
        _LOADED[name] = LOADERS[name]()
    return _LOADED[name]


NAMESPACE_OPTIONS = ("netns", "peer_netns")


class Item:
    """One entry of ``resources``: its kind, validated options, position and (once built) its resource."""

    def __init__(self, position, kind_name, params):
        self.position = position
        self.kind_name = kind_name
        self.kind = kind(kind_name)
        self.params = params
        self.resource = None

    @property
    def label(self):
        """``veth_pair oc1``: what ``actions`` and the per-item results name the item by."""
        values = []
        for option in self.kind.label:
            value = self.params.get(option)
            values.append(",".join(map(str, value)) if isinstance(value, list) else str(value))
        return "%s %s" % (self.kind_name, "/".join(values))

    @property
    def where(self):
        """``resources[3] (veth_pair oc1)``: what error messages name the item by."""
        return "resources[%d] (%s)" % (self.position, self.label)

    def namespaces(self):
        """The namespaces the item's options name (None: the module's own)."""
        found = [self.params.get(option) for option in NAMESPACE_OPTIONS if self.params.get(option)]
        return found or [None]

    def links_needed(self):
        """(namespace, link name) of every link the item needs to exist."""
        ns = self.params.get("netns") or None
        needed = []
        for option in self.kind.refs:
            value = self.params.get(option)
            for name in (value if isinstance(value, list) else [value]):
                if name:
                    needed.append((ns, name))
        return needed

    def link_created(self):
        """(namespace, link name) the item creates when absent, or None."""
        if self.kind.creates is None or self.params.get("state", "present") != "present":
            return None
        return (self.params.get("netns") or None, self.params[self.kind.creates])

    def namespace_created(self):
        if self.kind_name == "netns" and self.params["state"] == "present":
            return self.params["name"]
        return None


# ------------------------------------------------------------------------------------ validation

def validated_items(resources):
    """Every item checked against its module's own argument spec; all errors at once, each naming the item,
    the option and the value."""
    items, errors = [], []
    for position, entry in enumerate(resources):
        item, problems = validated_item(position, entry)
        errors += problems
        if item is not None:
            items.append(item)
    if errors:
        raise NetfabricError("; ".join(errors))
    return items


def validated_item(position, entry):
    """(Item, []) for a valid entry, else (None, its error messages)."""
    if not isinstance(entry, dict) or len(entry) != 1:
        return None, ["resources[%d]: must be a one-key dict naming a module (one of %s) and its options, got %r"
                      % (position, ", ".join(sorted(LOADERS)), entry)]
    (kind_name, options), = entry.items()
    if kind_name not in LOADERS:
        return None, ["resources[%d]: unknown module %r (one of %s)" % (position, kind_name, ", ".join(sorted(LOADERS)))]
    if not isinstance(options, dict):
        return None, ["resources[%d] (%s): the options must be a dict, got %r" % (position, kind_name, options)]
    spec = kind(kind_name)
    result = ArgumentSpecValidator(spec.spec, **spec.constraints).validate(options)
    item = Item(position, kind_name, result.validated_parameters)
    if result.error_messages:
        return None, ["%s: %s (given: %s)" % (item.where, message, _given(options)) for message in result.error_messages]
    return item, []


def _given(options, width=80):
    """The options as given, each value cut to ``width`` characters (a list of 10,000 entries stays short)."""
    def short(value):
        text = repr(value)
        return text if len(text) <= width else text[:width - 3] + "..."
    return ", ".join("%s=%s" % (key, short(options[key])) for key in sorted(options))


# ------------------------------------------------------------------------------------ building

def created_namespaces(items):
    """Namespace names earlier items create, by item position: an item may only wait for those."""
    return dict((item.position, item.namespace_created()) for item in items if item.namespace_created())


def waits_for_namespace(item, items):
    """True when a namespace the item names does not exist yet and an earlier ``netns`` item creates it."""
    earlier = set(os.path.join(NETNS_RUN_DIR, name) for position, name in created_namespaces(items).items()
                  if position < item.position)
    return any(spec is not None and netns_path(spec) in earlier and not os.path.exists(netns_path(spec))
               for spec in item.namespaces())


def build(item, module):
    """The item's resource, built by its module's own class; errors are prefixed with the item."""
    try:
        item.resource = item.kind.build(item.params, module)
    except NetfabricError as exc:
        raise NetfabricError("%s: %s" % (item.where, exc))
    except Exception as exc:  # a bug or an unforeseen input: name the item all the same
        raise NetfabricError("%s: %s" % (item.where, explain(exc)))
    item.resource.diff_wanted = bool(module._diff)


def build_all(items, module):
    """Build every item that can be built now, before any change; return the items left for their turn."""
    later = []
    for item in items:
        if waits_for_namespace(item, items):
            later.append(item)
        else:
            build(item, module)
    return later


# ------------------------------------------------------------------------------------ converging

class HostRun:
    """Converge the items in order; on failure undo every applied step of the host, newest first."""

    def __init__(self, items, module, check_mode, pending_links=()):
        self.items = items
        self.module = module
        self.check_mode = check_mode
        # What an earlier item (or, from ``pending_links``, an earlier task) would create in check mode.
        self.pending = set()
        self.pending_names = set(pending_links)
        self.pending_namespaces = set(pending_links)
        self.done = []  # every applied step of the host, oldest first
        self.results = []
        self.locks = contextlib.ExitStack()
        self.locked = set()

    def lock(self, resource):
        """Hold ``resource``'s locks, skipping those this run holds already (flock would wait on itself)."""
        keys = [key for key in resource.lock_keys() if locking.lock_path(key[0], key[1]) not in self.locked]
        self.locks.enter_context(locking.held(keys))
        self.locked.update(locking.lock_path(ns, name) for ns, name, _option in keys)

    def run(self):
        with self.locks:
            for item in self.items:
                if item.resource is not None:
                    self.lock(item.resource)
            for item in self.items:
                self.results.append(self.converge(item))
        return self.summary()

    def pending_reason(self, item):
        """In check mode: what earlier creation the item follows, or None when it can be compared now."""
        if not self.check_mode:
            return None
        for spec in item.namespaces():
            if spec in self.pending_namespaces:
                return "namespace %s" % spec
        for ns, name in item.links_needed():
            if (ns, name) in self.pending or name in self.pending_names:
                return "link %s" % name
        return None

    def converge(self, item):
        reason = self.pending_reason(item)
        if reason is not None:
            self.remember_creation(item, would_create=True)
            text = "pending: follows the creation of %s by an earlier item" % reason
            return dict(item=item.label, kind=item.kind_name, changed=True, pending=True, actions=[text],
                        diff=dict(before={}, after={}))
        try:
            if item.resource is None:
                build(item, self.module)
                self.lock(item.resource)
            result, done = item.resource.converge_steps(self.check_mode)
        except Exception as exc:  # of any type: the whole host goes back to where it was
            raise self.fail(item, exc)
        created = result["diff"]["before"].get("state") == "absent"
        self.done.extend(self.undoable(item, done, created))
        self.remember_creation(item, would_create=created)
        return dict(result, item=item.label, kind=item.kind_name)

    @staticmethod
    def undoable(item, done, created):
        """The steps a whole-host rollback must undo or report. A step without undo on a link the item
        created (its MTU, its addrgen mode) goes with the link when the creation is undone: not kept."""
        if created and item.link_created() is not None and any(step.undo is not None for step in done[:1]):
            return [step for step in done if step.undo is not None]
        return done

    def remember_creation(self, item, would_create):
        """Check mode: later items that need what this one would create are pending too."""
        if not (self.check_mode and would_create):
            return
        created = item.link_created()
        if created is not None:
            self.pending.add(created)
        if item.namespace_created():
            self.pending_namespaces.add(item.namespace_created())

    def fail(self, item, exc):
        """The failure of ``item`` with every earlier item's steps undone; ``changed`` says what remains."""
        own_changed = getattr(exc, "changed", False)
        text = str(exc) if isinstance(exc, NetfabricError) else explain(exc)
        message = text if text.startswith(item.where + ": ") else "%s: %s" % (item.where, text)  # build() named it
        if not self.done:
            return StepsFailed(message, changed=own_changed)
        whole = roll_back(self.done, message + "; for the whole host")
        return StepsFailed(str(whole), changed=whole.changed or own_changed)

    def summary(self):
        actions = ["%s: %s" % (r["item"], text) for r in self.results for text in r["actions"]]
        diff = [dict(r["diff"], before_header=r["item"], after_header=r["item"]) for r in self.results]
        results = [dict((k, v) for k, v in r.items() if k != "diff") for r in self.results]
        return dict(changed=any(r["changed"] for r in self.results), actions=actions, diff=diff, results=results,
                    created=self.created())

    def created(self):
        """Links and namespaces this run created (check mode: would create), for a later task's ``pending_links``."""
        names = []
        for item, result in zip(self.items, self.results):
            fresh = result.get("pending") or result["diff"]["before"].get("state") == "absent"
            link = item.link_created()
            created = link[1] if link is not None and link[0] is None else item.namespace_created()
            if result["changed"] and fresh and created:
                names.append(created)
        return names

    def close(self):
        for item in self.items:
            if item.resource is not None:
                item.resource.close()


def converge_host(module):
    """Module entry: validate and build everything, converge in order, one rollback for the host."""
    items = validated_items(module.params["resources"])
    if any(item.kind.nft for item in items):
        module.get_bin_path("nft", required=True)
    host = HostRun(items, module, module.check_mode, module.params["pending_links"])
    try:
        build_all(items, module)
        return host.run()
    finally:
        host.close()
