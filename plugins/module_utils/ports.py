# -*- coding: utf-8 -*-
# Copyright (c) 2026, netfabric.core contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Bridge ports: a link's master and its port flags (IFLA_PROTINFO) -- their reading and their steps.

A link's membership and flags arrive in the link dump (links.LinkTable calls ``port_view``); what
changes them lives here: ``set_master`` (enslave, move, release, each with its undo) and
``port_flag_steps``.
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.netfabric.core.plugins.module_utils.converge import Step
from ansible_collections.netfabric.core.plugins.module_utils.netlink import resolver

# Port flag option -> IFLA_BRPORT_* attribute (pyroute2 keyword) ; ``hairpin`` is the port "mode".
PORT_FLAGS = {
    "learning": "learning",
    "flood": "unicast_flood",
    "hairpin": "mode",
    "neigh_suppress": "neigh_suppress",
    "isolated": "isolated",
}
FLAG_OPTIONS = sorted(PORT_FLAGS)
# What the kernel gives a port when it joins a bridge (BR_LEARNING | BR_FLOOD, nothing else).
JOIN_DEFAULTS = {"learning": True, "flood": True, "hairpin": False, "neigh_suppress": False, "isolated": False}


def port_view(slave_data):
    """The port flags of a link's IFLA_INFO_SLAVE_DATA as option -> bool."""
    return dict((flag, bool(slave_data.get("IFLA_BRPORT_" + attr.upper(), 0))) for flag, attr in PORT_FLAGS.items())


def flags_request(flags):
    """pyroute2 ``brport("set")`` keywords for option -> bool ``flags``."""
    return dict((PORT_FLAGS[flag], int(value)) for flag, value in flags.items())


def put_under(ns, index, master, flags=None):
    """``ip link set INDEX master MASTER`` (None: nomaster), then (into a master) the port ``flags``
    (option -> bool): the kernel gives a joining port its defaults."""
    ns.ipr.link("set", index=index, master=resolver(ns, master)() if master else 0)
    if master and flags:
        ns.ipr.brport("set", index=index, **flags_request(flags))


def set_master(ns, index_of, master, old, text, old_flags=None, bridge=None):
    """``ip link set LINK master MASTER`` (None: nomaster), undone by putting the link back under ``old``.

    The masters' ifindexes are looked up when the step runs: a bridge may be created earlier in the same
    run. The undo also gives the port back ``old_flags`` (the kernel resets them when a port joins), and
    ``bridge`` (a LinkTable view) its MAC: a bridge without an explicit MAC takes the lowest MAC of its
    ports, so joining or leaving can change it.
    """
    def under(name, flags=None, mac_of=None):
        def apply():
            put_under(ns, index_of(), name, flags)
            if mac_of is not None and ns.ipr.link("get", ifname=mac_of["name"])[0].get("address") != mac_of["mac"]:
                ns.ipr.link("set", index=mac_of["index"], address=mac_of["mac"])
        return apply
    return Step(text, under(master), under(old, old_flags, bridge))


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
