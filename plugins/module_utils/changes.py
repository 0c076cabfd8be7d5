# -*- coding: utf-8 -*-
# Copyright (c) 2026, netfabric.core contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Step builders shared by the link modules: each returns Steps with their undo, nothing runs here."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.netfabric.core.plugins.module_utils.converge import Step
from ansible_collections.netfabric.core.plugins.module_utils.links import PORT_FLAGS, resolver


def link_set(ns, name, text, index_of, new, old):
    """``ip link set`` of some attributes; ``index_of()`` resolves the ifindex at run time."""
    return Step(text,
                lambda: ns.ipr.link("set", index=index_of(), **new),
                (lambda: ns.ipr.link("set", index=index_of(), **old)) if old is not None else None)


def delete_link(ns, name, index_of):
    return Step("delete %s" % name, lambda: ns.ipr.link("del", index=index_of()))


def set_master(ns, index_of, master, old, text):
    """``ip link set LINK master MASTER`` (None: nomaster), undone by putting the link back under ``old``.

    The masters' ifindexes are looked up when the step runs: a bridge may be created earlier in the same run.
    """
    def master_of(bridge):
        return resolver(ns, bridge)() if bridge else 0
    return Step(text,
                lambda: ns.ipr.link("set", index=index_of(), master=master_of(master)),
                lambda: ns.ipr.link("set", index=index_of(), master=master_of(old)))


def bring_up(ns, name, index_of):
    return link_set(ns, name, "set %s up" % name, index_of, {"state": "up"}, {"state": "down"})


def address_steps(ns, name, index_of, current, desired, exclusive=True):
    """Add the missing addresses, and (``exclusive``) remove the extra ones, each with its undo.

    Additions go first so a link being renumbered keeps an address throughout; but an address whose
    IP stays and only its prefix changes must be removed first (IPv6 identifies an address by the IP
    alone, so adding it again would fail with EEXIST).
    """
    desired_set, current_set = set(desired), set(current)
    desired_ips = set(iface.ip for iface in desired)
    stale = [iface for iface in current if iface not in desired_set] if exclusive else []
    first = [_addr_step(ns, "del", iface, name, index_of) for iface in stale if iface.ip in desired_ips]
    adds = [_addr_step(ns, "add", iface, name, index_of) for iface in desired if iface not in current_set]
    last = [_addr_step(ns, "del", iface, name, index_of) for iface in stale if iface.ip not in desired_ips]
    return first + adds + last


def _addr_step(ns, command, iface, name, index_of):
    inverse = "del" if command == "add" else "add"
    text = "%s address %s %s %s" % (command, iface.with_prefixlen, "to" if command == "add" else "from", name)
    return Step(text,
                lambda: ns.ipr.addr(command, index=index_of(), address=str(iface.ip), prefixlen=iface.network.prefixlen),
                lambda: ns.ipr.addr(inverse, index=index_of(), address=str(iface.ip), prefixlen=iface.network.prefixlen))


def port_flag_steps(ns, name, index_of, current, desired):
    """Bridge port flags (IFLA_PROTINFO); ``desired`` maps option name -> bool, None = unmanaged."""
    steps = []
    for flag, value in sorted(desired.items()):
        if value is None or current.get(flag) == value:
            continue
        attr = PORT_FLAGS[flag]

        def setter(val, attr=attr):
            return lambda: ns.ipr.brport("set", index=index_of(), **{attr: int(val)})
        steps.append(Step("set %s %s=%s" % (name, flag, "on" if value else "off"),
                          setter(value), setter(not value)))
    return steps
