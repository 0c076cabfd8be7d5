# -*- coding: utf-8 -*-
# Copyright (c) 2026, netfabric.core contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ``ipv6_addrgen`` option that bridge, vxlan_vtep and veth_pair (its host end) share.

``false`` gives the host no presence on a link: the kernel's IPv6 address generation mode ``none``
(no link-local address when the link comes up, hence no DAD, router solicitation or MLD report from
it) and the removal of the link-local addresses the link already has, because setting the mode
alone keeps them. ``true`` sets mode ``eui64`` where generation is off (the kernel adds the address
the next time the link comes up). Omitted, nothing is read or changed.
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.netfabric.core.plugins.module_utils import changes, rtnl
from ansible_collections.netfabric.core.plugins.module_utils.converge import Step
from ansible_collections.netfabric.core.plugins.module_utils.errors import NetfabricError
from ansible_collections.netfabric.core.plugins.module_utils.links import read_link_local

OPTION = "ipv6_addrgen"
SPEC = dict(type="bool")
# IN6_ADDR_GEN_MODE_* (linux/if_link.h); stable_secret (2) and random (3) also generate addresses.
MODE_EUI64, MODE_NONE = 0, 1
MODE_NAMES = {0: "eui64", 1: "none", 2: "stable_secret", 3: "random"}


def generating(view):
    """Whether the kernel gives the link a link-local address when it comes up (None: no IPv6 on it)."""
    return view["addrgenmode"] not in (None, MODE_NONE)


def read(ns, view, wanted):
    """The option's part of a resource's state (its diff): empty when the option is omitted.

    ``ipv6_link_local`` is shown only with ``false``, where it must become empty: with ``true`` the
    kernel adds it at its own time.
    """
    if wanted is None or view is None:
        return {}
    state = {OPTION: generating(view)}
    if wanted is False:
        state["ipv6_link_local"] = [i.with_prefixlen for i in read_link_local(ns, view["index"])]
    return state


def desired(wanted):
    """The option's part of the planned state."""
    if wanted is None:
        return {}
    return {OPTION: True} if wanted else {OPTION: False, "ipv6_link_local": []}


def steps(ns, name, index_of, view, wanted):
    """The steps to the wanted state of link ``name``; ``view`` None = the link is created by this run
    (still down: nothing generated yet), so the mode is set before it first comes up."""
    if wanted is None:
        return []
    mode = MODE_EUI64 if wanted else MODE_NONE
    if view is None:
        return [_mode_step(ns, name, index_of, mode, None)]
    if view["addrgenmode"] is None:
        if wanted:
            raise NetfabricError("%s: link %r has no IPv6 (IPv6 disabled on this host?), so address generation "
                                 "cannot be turned on, got True" % (OPTION, name))
        return []
    out = []
    if generating(view) != wanted:
        out.append(_mode_step(ns, name, index_of, mode, view["addrgenmode"]))
    if not wanted:
        out.extend(changes.address_steps(ns, name, index_of, read_link_local(ns, view["index"]), []))
    return out


def _mode_step(ns, name, index_of, mode, old):
    def setter(value):
        return lambda: rtnl.set_addrgenmode(ns.raw, index_of(), value)
    return Step("%s=%s on %s (addrgenmode %s)" % (OPTION, "on" if mode != MODE_NONE else "off", name, MODE_NAMES[mode]),
                setter(mode), setter(old) if old is not None else None)
