# -*- coding: utf-8 -*-
# Copyright (c) 2026, netfabric.core contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Links (``ip link``): one dump of a namespace as plain dicts, and the steps that change a link.

The views contain only what the modules manage, in the same shape the modules' ``diff`` shows, so
"desired == actual" is a dict comparison and the diff needs no further formatting. Addresses,
routes, ports, fdb and neighbours have their own homes (addresses.py, routes.py, ports.py, fdb.py,
neighbours.py).
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import errno

from ansible_collections.netfabric.core.plugins.module_utils import addrgen, rtnl, validate
from ansible_collections.netfabric.core.plugins.module_utils.addresses import add_missing, read_addresses
from ansible_collections.netfabric.core.plugins.module_utils.constants import IFF_UP
from ansible_collections.netfabric.core.plugins.module_utils.converge import Resource, Step
from ansible_collections.netfabric.core.plugins.module_utils.errors import NetfabricError, no_such_link
from ansible_collections.netfabric.core.plugins.module_utils.netlink import Namespace, NetlinkError
from ansible_collections.netfabric.core.plugins.module_utils.ports import port_view
from ansible_collections.netfabric.core.plugins.module_utils.routes import add_routes, read_link_routes


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
            view["port"] = port_view(info.get("slave_data", {}))
        return view

    def get(self, name):
        return self.by_name.get(name)

    def index(self, name, option):
        """ifindex of ``name``; a missing link is an error naming ``option``."""
        view = self.by_name.get(name)
        if view is None:
            raise NetfabricError(no_such_link(option, name))
        return view["index"]


def link_set(ns, name, text, index_of, new, old):
    """``ip link set`` of some attributes; ``index_of()`` resolves the ifindex at run time."""
    return Step(text,
                lambda: ns.ipr.link("set", index=index_of(), **new),
                (lambda: ns.ipr.link("set", index=index_of(), **old)) if old is not None else None)


def delete_link(ns, name, index_of):
    return Step("delete %s" % name, lambda: ns.ipr.link("del", index=index_of()))


def bring_up(ns, name, index_of):
    return link_set(ns, name, "set %s up" % name, index_of, {"state": "up"}, {"state": "down"})


def find_index(table, index):
    for view in table.by_name.values():
        if view["index"] == index:
            return view
    return None


def rename_link(ns, index, new):
    """Rename a link; kernels that refuse to rename a running link (EBUSY) get down/rename/up, and the
    addresses and routes that going down removed are put back."""
    try:
        ns.ipr.link("set", index=index, ifname=new)
        return
    except NetlinkError as exc:
        if exc.code != errno.EBUSY:
            raise
    addresses = read_addresses(ns, index)
    routes = read_link_routes(ns, index)
    ns.ipr.link("set", index=index, state="down")
    ns.ipr.link("set", index=index, ifname=new)
    ns.ipr.link("set", index=index, state="up")
    add_missing(ns, index, addresses)
    add_routes(ns, index, routes)


# The options of LinkResource, and of every module built on it.
LINK_OPTIONS = dict(
    name=dict(type="str", required=True),
    state=dict(type="str", default="present", choices=["present", "absent"]),
    mtu=dict(type="int"),
    mac=dict(type="str"),
    addresses=dict(type="list", elements="str"),
    ipv6_addrgen=addrgen.SPEC,
    netns=dict(type="str"),
)


class LinkResource(Resource):
    """A resource that is one link, ``name`` in ``netns`` (bridge, vxlan_vtep), with the options every
    such link has: ``mac``, ``addresses``, ``ipv6_addrgen``. ``None``: the kernel's random MAC / whatever
    addresses the link has are left alone."""

    def _link_options(self, params):
        self.mac = validate.mac("mac", params["mac"], allow_zero=False)
        self.addresses = validate.cidr_list("addresses", params["addresses"])
        self.ipv6_addrgen = params["ipv6_addrgen"]
        self.ns = Namespace(validate.netns("netns", params["netns"]))

    def close(self):
        self.ns.close()

    def lock_keys(self):
        return [(self.ns, self.name, "name")]
