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

from ansible_collections.netfabric.core.plugins.module_utils import rtnl
from ansible_collections.netfabric.core.plugins.module_utils.addresses import address_steps, read_link_local
from ansible_collections.netfabric.core.plugins.module_utils.converge import Step
from ansible_collections.netfabric.core.plugins.module_utils.errors import NetfabricError

OPTION = "ipv6_addrgen"
SPEC = dict(type="bool")
# IN6_ADDR_GEN_MODE_* (linux/if_link.h); stable_secret (2) and random (3) also generate addresses.
MODE_EUI64, MODE_NONE = 0, 1
MODE_NAMES = {0: "eui64", 1: "none", 2: "stable_secret", 3: "random"}


def generating(link):
    """Whether the kernel gives the link a link-local address when it comes up (None: no IPv6 on it)."""
    return link["addrgenmode"] not in (None, MODE_NONE)


def read(ns, link, wanted):
    """The kernel facts the option needs about ``link`` (a LinkTable view, None: absent), or None when
    the option is omitted: its generation mode and (``false``) its link-local addresses."""
    if wanted is None or link is None:
        return None
    return {"addrgenmode": link["addrgenmode"], "index": link["index"],
            "link_local": read_link_local(ns, link["index"]) if wanted is False else []}


def view(facts, wanted):
    """The option's part of a resource's state (its diff): empty when the option is omitted.

    ``ipv6_link_local`` is shown only with ``false``, where it must become empty: with ``true`` the
    kernel adds it at its own time.
    """
    if facts is None:
        return {}
    state = {OPTION: generating(facts)}
    if wanted is False:
        state["ipv6_link_local"] = [i.with_prefixlen for i in facts["link_local"]]
    return state


def desired(wanted):
    """The option's part of the planned state."""
    if wanted is None:
        return {}
    return {OPTION: True} if wanted else {OPTION: False, "ipv6_link_local": []}


def steps(ns, name, index_of, facts, wanted):
    """The steps to the wanted state of link ``name`` from its read() ``facts``; None = the link is
    created by this run (still down: nothing generated yet), so the mode is set before it first comes up."""
    if wanted is None:
        return []
    mode = MODE_EUI64 if wanted else MODE_NONE
    if facts is None:
        return [_mode_step(ns, name, index_of, mode, None)]
    if facts["addrgenmode"] is None:
        if wanted:
            raise NetfabricError("%s: link %r has no IPv6 (IPv6 disabled on this host?), so address generation "
                                 "cannot be turned on, got True" % (OPTION, name))
        return []
    out = []
    if generating(facts) != wanted:
        out.append(_mode_step(ns, name, index_of, mode, facts["addrgenmode"]))
    if not wanted:
        out.extend(address_steps(ns, name, index_of, facts["link_local"], []))
    return out


def _mode_step(ns, name, index_of, mode, old):
    def setter(value):
        return lambda: rtnl.set_addrgenmode(ns.raw, index_of(), value)
    return Step("%s=%s on %s (addrgenmode %s)" % (OPTION, "on" if mode != MODE_NONE else "off", name, MODE_NAMES[mode]),
                setter(mode), setter(old) if old is not None else None)
