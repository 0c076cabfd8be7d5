# -*- coding: utf-8 -*-
# Copyright (c) 2026, netfabric.core contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a host has now, read-only (netfabric.core.host_info): its links, its addresses, which namespaces exist.

The roles' plan step reads this on every host before any host changes (a missing uplink, an underlay
address the host does not carry, a container namespace that is not there), in one module run: two
netlink dumps and a stat per namespace.
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os

from ansible_collections.netfabric.core.plugins.module_utils import rtnl, validate
from ansible_collections.netfabric.core.plugins.module_utils.addresses import host_addresses
from ansible_collections.netfabric.core.plugins.module_utils.netlink import Namespace, netns_path

ARGUMENT_SPEC = dict(
    namespaces=dict(type="list", elements="str", default=[]),
    netns=dict(type="str"),
)


def namespace_exists(spec):
    """A network namespace given as a name, a path or a PID exists: its file is there (not followed, as a
    ``stat`` without follow: reading ``/proc/PID/ns/net`` of another process needs ptrace rights)."""
    return os.path.lexists(netns_path(spec))


def read_host(params):
    namespaces = params["namespaces"]
    with Namespace(validate.netns("netns", params["netns"])) as ns:
        interfaces = sorted(link["ifname"] for link in rtnl.read_links(ns.raw) if link["ifname"])
        ipv4, ipv6 = host_addresses(ns)
    return dict(changed=False, interfaces=interfaces, all_ipv4_addresses=ipv4, all_ipv6_addresses=ipv6,
                namespaces=[{"netns": spec, "path": netns_path(spec), "exists": namespace_exists(spec)}
                            for spec in namespaces])
