# -*- coding: utf-8 -*-
# Copyright (c) 2026, netfabric.core contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read links, addresses and routes of one namespace as plain dicts, and the primitive changes.

The views contain only what the modules manage, in the same shape the modules' ``diff`` shows, so
"desired == actual" is a dict comparison and the diff needs no further formatting.
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import ipaddress
import socket

from ansible_collections.netfabric.core.plugins.module_utils import rtnl
from ansible_collections.netfabric.core.plugins.module_utils.constants import IFF_UP, RT_SCOPE_LINK
from ansible_collections.netfabric.core.plugins.module_utils.errors import NetfabricError, no_such_link

# Port flag option -> IFLA_BRPORT_* attribute (pyroute2 keyword) ; ``hairpin`` is the port "mode".
PORT_FLAGS = {
    "learning": "learning",
    "flood": "unicast_flood",
    "hairpin": "mode",
    "neigh_suppress": "neigh_suppress",
    "isolated": "isolated",
}


def _port_view(slave):
    return dict((flag, bool(slave.get("IFLA_BRPORT_" + attr.upper(), 0))) for flag, attr in PORT_FLAGS.items())


def _vxlan_view(data, names):
    group = data.get("IFLA_VXLAN_GROUP") or data.get("IFLA_VXLAN_GROUP6")
    local = data.get("IFLA_VXLAN_LOCAL") or data.get("IFLA_VXLAN_LOCAL6")
    return {
        "vni": data.get("IFLA_VXLAN_ID"),
        "local": local,
        "dev": names.get(data.get("IFLA_VXLAN_LINK")),
        "dstport": data.get("IFLA_VXLAN_PORT"),
        "learning": bool(data.get("IFLA_VXLAN_LEARNING")),
        "group": group if group not in ("0.0.0.0", "::") else None,
        "ttl": data.get("IFLA_VXLAN_TTL") or None,
    }


def _bridge_view(data):
    return {
        "stp": bool(data.get("IFLA_BR_STP_STATE")),
        "vlan_filtering": bool(data.get("IFLA_BR_VLAN_FILTERING")),
    }


class LinkTable:
    """One ``RTM_GETLINK`` dump of a namespace (raw netlink, see rtnl.py), indexed by name and ifindex."""

    def __init__(self, ns):
        self.ns = ns
        self.refresh()

    def refresh(self):
        msgs = rtnl.read_links(self.ns.raw)
        self.names = dict((m["index"], m.get("ifname")) for m in msgs)
        self.by_name = {}
        for msg in msgs:
            self.by_name[msg.get("ifname")] = self._view(msg)
        return self

    def _view(self, msg):
        info = msg.get("linkinfo")
        kind = info.get("kind") if info is not None else None
        view = {
            "name": msg.get("ifname"),
            "index": msg["index"],
            "kind": kind,
            "mtu": msg.get("mtu"),
            "mac": msg.get("address"),
            "master": self.names.get(msg.get("master")),
            "up": bool(msg["flags"] & IFF_UP),
            "link": msg.get("link"),
            "link_netnsid": msg.get("link_netnsid"),
            "addrgenmode": msg.get("addrgenmode"),
        }
        data = info["data"] if info is not None else {}
        if kind == "vxlan":
            view["vxlan"] = _vxlan_view(data, self.names)
        elif kind == "bridge":
            view["bridge"] = _bridge_view(data)
        if info is not None and info.get("slave_kind") == "bridge":
            view["port"] = _port_view(info.get("slave_data", {}))
        return view

    def get(self, name):
        return self.by_name.get(name)

    def index(self, name, option):
        """ifindex of ``name``; a missing link is an error naming ``option``."""
        view = self.by_name.get(name)
        if view is None:
            raise NetfabricError(no_such_link(option, name))
        return view["index"]


def read_addresses(ns, index):
    """Global-scope addresses on a link (link-local IPv6 is the kernel's, not ours)."""
    found = []
    for msg in rtnl.read_addresses(ns.raw):
        if msg["index"] != index or msg["scope"] != 0:
            continue
        addr = msg["address"] if msg["family"] == socket.AF_INET6 else (msg["local"] or msg["address"])
        found.append(ipaddress.ip_interface("%s/%d" % (addr, msg["prefixlen"])))
    return sorted(found, key=lambda i: (i.version, int(i.ip)))


def read_link_local(ns, index):
    """IPv6 link-local (scope link) addresses on a link: the ones the kernel generates by itself."""
    found = [ipaddress.ip_interface("%s/%d" % (msg["address"], msg["prefixlen"])) for msg in rtnl.read_addresses(ns.raw)
             if msg["index"] == index and msg["family"] == socket.AF_INET6 and msg["scope"] == RT_SCOPE_LINK]
    return sorted(found, key=lambda i: int(i.ip))


IPV6_MIN_MTU = 1280


def refuse_ipv6_loss(option, mtu, name, addresses):
    """An MTU below 1280 makes the kernel disable IPv6 on the link: every IPv6 address on it and every
    route through them vanish without an error. Refuse it while ``addresses`` (what the link has or
    will have) hold a global IPv6 address."""
    if mtu is None or mtu >= IPV6_MIN_MTU:
        return
    ipv6 = sorted(str(a) for a in addresses if ipaddress.ip_interface(a).version == 6)
    if ipv6:
        raise NetfabricError("%s: %d is below 1280, the IPv6 minimum; the kernel would silently drop the IPv6 "
                             "addresses of %s (%s) and their routes. Remove them first, or keep the MTU >= 1280"
                             % (option, mtu, name, ", ".join(ipv6)))


def owned_addresses(ns):
    """Every address of the namespace (any link): to check that a VTEP ``local`` is really ours."""
    result = set()
    for msg in rtnl.read_addresses(ns.raw):
        addr = msg["local"] or msg["address"]
        if addr:
            result.add(ipaddress.ip_address(addr))
    return result


def resolver(ns, name):
    """A function returning the current ifindex of ``name``: steps run after links were re-created."""
    return lambda: ns.ipr.link("get", ifname=name)[0]["index"]
