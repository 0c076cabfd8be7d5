# -*- coding: utf-8 -*-
# Copyright (c) 2026, netfabric.core contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Routes through one device in bulk (netfabric.core.route_entry): one dump, a set difference, one batch.

Ownership is the route protocol number (``ip route ... proto N``): the routes a task owns are the
main-table routes through ``dev`` whose protocol is the task's ``protocol``. Exclusive mode removes
those it does not list (peers that left); a route of any other protocol is never changed or removed,
and a listed route that would collide with one (same destination and metric) is refused before any
change. Requests are packed with ``struct`` (linux/rtnetlink.h) and sent through rtnl.py's batch,
as the fdb path does: a route costs one 60-byte message, not a pyroute2 object.
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import collections
import errno
import socket
import struct

from ansible_collections.netfabric.core.plugins.module_utils import fdb, rtnl, validate
from ansible_collections.netfabric.core.plugins.module_utils.constants import (
    RTM_NEWROUTE, RTM_DELROUTE, RTM_GETROUTE, NLM_F_REQUEST, NLM_F_EXCL, NLM_F_CREATE, RTA_DST, RTA_OIF,
    RTA_GATEWAY, RTA_PRIORITY, RTA_TABLE, RTNH_F_ONLINK, RT_TABLE_MAIN, RTN_UNICAST,
    RT_SCOPE_UNIVERSE, RT_SCOPE_LINK, RTPROT_KERNEL, RTPROT_STATIC, RT_TABLE_LOCAL)
from ansible_collections.netfabric.core.plugins.module_utils.converge import Step
from ansible_collections.netfabric.core.plugins.module_utils.errors import NetfabricError
from ansible_collections.netfabric.core.plugins.module_utils.netlink import NetlinkError
from ansible_collections.netfabric.core.plugins.module_utils.owned_entries import (
    DEFAULT_PROTOCOL, OwnedEntries, is_unicast, validated_list)

IPV6_DEFAULT_METRIC = 1024  # what the kernel stores for an IPv6 route given metric 0

RTMSG = struct.Struct("=BBBBBBBBI")
U32 = struct.Struct("=I")

ARGUMENT_SPEC = dict(
    dev=dict(type="str", required=True),
    # Elements (documented suboptions dst, gateway, onlink, metric) are checked by _validated_route():
    # AnsibleModule's suboption validation costs ~0.1 ms per element (see fdb_entries.py).
    routes=dict(type="list", elements="dict", required=True),
    protocol=dict(type="int", default=DEFAULT_PROTOCOL),
    exclusive=dict(type="bool", default=False),
    state=dict(type="str", default="present", choices=["present", "absent"]),
    netns=dict(type="str"),
)
ROUTE_FIELDS = ("dst", "gateway", "onlink", "metric")


class Route(collections.namedtuple("Route", "dst gateway onlink metric")):
    """A unicast main-table route; ``dst`` is a network in CIDR form, ``metric`` the kernel's number."""

    __slots__ = ()

    def as_dict(self):
        result = {"dst": self.dst, "metric": self.metric}
        if self.gateway is not None:
            result["gateway"] = self.gateway
            result["onlink"] = self.onlink
        return result

    @property
    def key(self):
        """What the kernel refuses twice in one table (EEXIST): destination and metric."""
        return (self.dst, self.metric)


# --------------------------------------------------------------------------- codec

def encode(msg_type, flags, seq, ifindex, protocol, route):
    """One RTM_NEWROUTE/RTM_DELROUTE request for ``route`` through ``ifindex`` marked ``protocol``."""
    network, length = route.dst.split("/")
    family = socket.AF_INET6 if ":" in network else socket.AF_INET
    scope = RT_SCOPE_UNIVERSE if route.gateway else RT_SCOPE_LINK
    body = RTMSG.pack(family, int(length), 0, 0, RT_TABLE_MAIN, protocol, scope, RTN_UNICAST,
                      RTNH_F_ONLINK if route.onlink else 0)
    body += rtnl.nla(RTA_TABLE, U32.pack(RT_TABLE_MAIN)) + rtnl.nla(RTA_OIF, U32.pack(ifindex))
    body += rtnl.nla(RTA_DST, socket.inet_pton(family, network))
    if route.gateway:
        body += rtnl.nla(RTA_GATEWAY, socket.inet_pton(family, route.gateway))
    if route.metric:
        body += rtnl.nla(RTA_PRIORITY, U32.pack(route.metric))
    return rtnl.NLMSGHDR.pack(rtnl.NLMSGHDR.size + len(body), msg_type, flags, seq, 0) + body


def read_main_routes(sock):
    """Every unicast route of the main table as (Route, protocol, oif); one dump of both families.

    The kernel filters by table (strict checking); the rest is filtered here, since a route of another
    protocol or device still matters: it may collide with one the task wants.
    """
    sock.setsockopt(fdb.SOL_NETLINK, fdb.NETLINK_GET_STRICT_CHK, 1)
    request = RTMSG.pack(socket.AF_UNSPEC, 0, 0, 0, RT_TABLE_MAIN, 0, 0, 0, 0)
    found = []
    for data, header, attrs in rtnl.dump(sock, RTM_GETROUTE, RTMSG, "routes", request=request):
        family, dst_len, _src_len, _tos, table, protocol, _scope, kind, flags = header
        if kind != RTN_UNICAST or RTA_OIF not in attrs:
            continue
        if (U32.unpack_from(data, attrs[RTA_TABLE][0])[0] if RTA_TABLE in attrs else table) != RT_TABLE_MAIN:
            continue
        zero = "::" if family == socket.AF_INET6 else "0.0.0.0"
        dst = socket.inet_ntop(family, data[slice(*attrs[RTA_DST])]) if RTA_DST in attrs else zero
        gateway = socket.inet_ntop(family, data[slice(*attrs[RTA_GATEWAY])]) if RTA_GATEWAY in attrs else None
        metric = U32.unpack_from(data, attrs[RTA_PRIORITY][0])[0] if RTA_PRIORITY in attrs else 0
        route = Route("%s/%d" % (dst, dst_len), gateway, bool(gateway) and bool(flags & RTNH_F_ONLINK), metric)
        found.append((route, protocol, U32.unpack_from(data, attrs[RTA_OIF][0])[0]))
    return found


# --------------------------------------------------------------------------- pyroute2 views
# The link modules move and re-create routes through pyroute2 (they load it to change links anyway);
# a route there is a dict of pyroute2 keywords: family, dst ("default" or CIDR), gateway, priority,
# prefsrc, proto, scope.

def _main_unicast(ns, family):
    """(message, attributes) of each main-table unicast route of ``family``: one pyroute2 dump."""
    for msg in ns.ipr.route("dump", family=family):
        attrs = dict(msg["attrs"])
        if msg["type"] == RTN_UNICAST and attrs.get("RTA_TABLE", msg["table"]) == RT_TABLE_MAIN:
            yield msg, attrs


def _view(family, msg, attrs):
    dst = attrs.get("RTA_DST")
    return {"family": family, "dst": "%s/%d" % (dst, msg["dst_len"]) if dst else "default",
            "gateway": attrs.get("RTA_GATEWAY"), "priority": attrs.get("RTA_PRIORITY"),
            "prefsrc": attrs.get("RTA_PREFSRC"), "proto": msg["proto"], "scope": msg["scope"]}


def read_link_routes(ns, index, onlink=False):
    """Main-table routes through link ``index`` that someone configured (not the kernel's connected
    routes, not fe80::/64). ``onlink`` adds the ONLINK nexthop flag: a route via an on-link gateway
    outside every subnet cannot be re-created without it."""
    routes = []
    for family in (socket.AF_INET, socket.AF_INET6):
        for msg, attrs in _main_unicast(ns, family):
            dst = attrs.get("RTA_DST")
            if attrs.get("RTA_OIF") != index or msg["proto"] == RTPROT_KERNEL:
                continue
            if family == socket.AF_INET6 and dst and dst.startswith("fe80:"):
                continue
            route = _view(family, msg, attrs)
            if onlink:
                route["onlink"] = bool(msg["flags"] & RTNH_F_ONLINK)
            routes.append(route)
    return routes


def default_routes(ns, family):
    """Main-table default routes of one family in a namespace (any device), with their ``oif``."""
    return [dict(_view(family, msg, attrs), dst="default", oif=attrs.get("RTA_OIF"))
            for msg, attrs in _main_unicast(ns, family) if msg["dst_len"] == 0]


def unmovable(ns, index, name):
    """Descriptions of the multipath routes, routes in other tables and policy rules that use link ``index``."""
    found = []
    for family in (socket.AF_INET, socket.AF_INET6):
        for msg in ns.ipr.route("dump", family=family):
            attrs = dict(msg["attrs"])
            table = attrs.get("RTA_TABLE", msg["table"])
            dst = attrs.get("RTA_DST")
            text = "%s/%d" % (dst, msg["dst_len"]) if dst else "default"
            hops = [hop for hop in attrs.get("RTA_MULTIPATH") or [] if hop.get("oif") == index]
            if hops:
                found.append("multipath route %s (table %s) with a nexthop on %s" % (text, table, name))
            elif (attrs.get("RTA_OIF") == index and table not in (RT_TABLE_MAIN, RT_TABLE_LOCAL)
                  and msg["proto"] != RTPROT_KERNEL):
                found.append("route %s in table %s through %s" % (text, table, name))
        for rule in ns.ipr.get_rules(family=family):
            attrs = dict(rule["attrs"])
            if name in (attrs.get("FRA_IIFNAME"), attrs.get("FRA_OIFNAME")):
                found.append("policy rule %s (IPv%d) naming %s" % (attrs.get("FRA_PRIORITY", 0),
                                                                   4 if family == socket.AF_INET else 6, name))
    return found


def route_request(route, index):
    """pyroute2 keywords that recreate ``route`` (a read_link_routes() entry) on link ``index``."""
    request = {"family": route["family"], "oif": index, "table": RT_TABLE_MAIN,
               "proto": route["proto"], "scope": route["scope"]}
    if route["dst"] != "default":
        dst, length = route["dst"].split("/")
        request.update(dst=dst, dst_len=int(length))
    else:
        request["dst_len"] = 0
    for key in ("gateway", "priority", "prefsrc"):
        if route.get(key) is not None:
            request[key] = route[key]
    return request


def read_route_entries(ns, index):
    """The routes through link ``index`` (read_link_routes, with ``onlink``), in the order they move:
    routes without a gateway first, since a gateway must be reachable on the new link when its route moves."""
    return sorted(read_link_routes(ns, index, onlink=True),
                  key=lambda r: (r["gateway"] is not None, r["family"] == socket.AF_INET6))


def route_text(route):
    """``default via 192.0.2.1 metric 100`` (no device: the same route reads the same on either link)."""
    parts = [route["dst"]]
    if route["gateway"]:
        parts.append("via %s" % route["gateway"])
    if route["onlink"]:
        parts.append("onlink")
    if route["prefsrc"]:
        parts.append("src %s" % route["prefsrc"])
    if route["priority"] is not None:
        parts.append("metric %d" % route["priority"])
    return " ".join(parts)


def route_facts(route):
    """A route as plain data for callers: ``dst`` (CIDR or ``default``), ``gateway``, ``metric``, ..."""
    return {"dst": route["dst"], "gateway": route["gateway"], "metric": route["priority"],
            "prefsrc": route["prefsrc"], "onlink": route["onlink"]}


def route_on(route, index):
    """route_request() of a read_route_entries() entry, with its ONLINK flag."""
    request = route_request(route, index)
    if route["onlink"]:
        request["flags"] = RTNH_F_ONLINK
    return request


def add_routes(ns, index, routes):
    """Put read_link_routes() ``routes`` back on link ``index``; those still there are left alone."""
    for route in routes:
        try:
            ns.ipr.route("add", **route_request(route, index))
        except NetlinkError as exc:
            if exc.code != errno.EEXIST:
                raise


def replace_routes(ns, index, routes):
    """``route replace`` of read_route_entries() ``routes`` onto link ``index``."""
    for route in routes:
        ns.ipr.route("replace", **route_on(route, index))


def move_steps(ns, routes, source, source_index, target, target_index):
    """``route replace`` of each route from link ``source`` onto ``target`` (same key, new device: the
    route never disappears); each step also carries its ``request`` for atomic.one_request."""
    steps = []
    for route in routes:
        def mover(index_of, route=route):
            return lambda: ns.ipr.route("replace", **route_on(route, index_of()))
        step = Step("move route %s from %s to %s" % (route_text(route), source, target),
                    mover(target_index), mover(source_index))
        step.request = (lambda route=route: ("route", "replace", route_on(route, target_index())))
        steps.append(step)
    return steps


def default_route_step(ns, gateway, name, index_of, where):
    """``ip route replace default via GATEWAY dev NAME``; the undo restores the default routes it replaced."""
    family = socket.AF_INET if gateway.version == 4 else socket.AF_INET6
    kernel_metric = (None, 0) if family == socket.AF_INET else (IPV6_DEFAULT_METRIC,)
    saved = []

    def do():
        del saved[:]
        saved.extend(r for r in default_routes(ns, family) if r["priority"] in kernel_metric)
        ns.ipr.route("replace", family=family, dst_len=0, gateway=str(gateway), oif=index_of(),
                     table=RT_TABLE_MAIN, proto=RTPROT_STATIC)

    def undo():
        ns.ipr.route("del", family=family, dst_len=0, gateway=str(gateway), oif=index_of(), table=RT_TABLE_MAIN)
        for route in saved:
            ns.ipr.route("replace", **route_request(route, route["oif"]))
    return Step("set default route via %s dev %s in %s" % (gateway, name, where), do, undo)


def default_routes_guard(ns, where):
    """No change of its own (so no action text): remembers the IPv4 default routes before a renumbering
    flushes them with their subnet, and puts them back when a rollback has restored the old addresses."""
    saved = []

    def remember():
        saved[:] = default_routes(ns, socket.AF_INET)

    def restore():
        for route in saved:
            ns.ipr.route("replace", **route_request(route, route["oif"]))
    step = Step("remember the default routes in %s" % where, remember, restore)
    step.texts = []
    return step


def current_gateway(ns, gateway, index):
    """The gateway of the main-table default route of ``gateway``'s family through link ``index``:
    ``gateway`` itself when one of them is, else the first, else None."""
    family = socket.AF_INET if gateway.version == 4 else socket.AF_INET6
    gateways = [r["gateway"] for r in default_routes(ns, family) if r["oif"] == index and r["gateway"]]
    if str(gateway) in gateways:
        return str(gateway)
    return gateways[0] if gateways else None


# --------------------------------------------------------------------------- validation

def _validated_route(item):
    """One route as a Route in the kernel's form; errors name the field (the caller adds the position)."""
    validate.list_entry(item, ROUTE_FIELDS, (), "route", mapping="dst and optional gateway, onlink, metric")
    dst, version = _network(item.get("dst"))
    gateway = item.get("gateway")
    if gateway is not None:
        gateway = validate.canonical_ip(str(item["gateway"]))
        if gateway is None or (":" in gateway) != (version == 6):
            validate.fail(".gateway", item["gateway"], "must be an IPv%d address like the destination" % version)
        if not is_unicast(gateway):
            validate.fail(".gateway", item["gateway"], "must be a unicast address")
    onlink = item.get("onlink", False)
    if onlink not in (True, False):
        validate.fail(".onlink", onlink, "must be a boolean")
    if onlink and gateway is None:
        validate.fail(".onlink", onlink, "needs a gateway (onlink says the gateway is on the link)")
    metric = item.get("metric")
    if isinstance(metric, str) and metric.strip().isdigit():
        metric = int(metric)
    metric = validate.int_range(".metric", metric, 0, (1 << 32) - 1) if metric is not None else 0
    if version == 6 and metric == 0:
        metric = IPV6_DEFAULT_METRIC
    return Route(dst, gateway, onlink, metric)


def _network(value):
    """(canonical CIDR text, IP version) of a network without host bits.

    ``inet_pton`` and integer arithmetic instead of ``ipaddress.ip_network`` (see owned_entries.is_unicast).
    """
    text = str(value)
    address, _slash, length = text.partition("/")
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    bits = 128 if family == socket.AF_INET6 else 32
    try:
        packed = socket.inet_pton(family, address)
        prefixlen = int(length) if length.isdigit() else -1
    except (OSError, ValueError):
        packed, prefixlen = None, -1
    if packed is None or not 0 <= prefixlen <= bits or int.from_bytes(packed, "big") & ((1 << (bits - prefixlen)) - 1):
        validate.fail(".dst", value, "must be a network in CIDR form without host bits, like 10.244.3.0/24")
    return "%s/%d" % (socket.inet_ntop(family, packed), prefixlen), 6 if bits == 128 else 4


def validated_routes(items):
    """Routes as listed, validated, duplicates dropped; two routes for one destination and metric refused."""
    return validated_list(items, "routes", _validated_route, lambda route: route.key, lambda first, second: (
        "lists %s metric %d twice with different gateways (%s and %s)"
        % (second.dst, second.metric, first.gateway, second.gateway)))


# --------------------------------------------------------------------------- the resource

class RouteEntries(OwnedEntries):
    items, noun = "routes", "routes"
    NEW, DEL = RTM_NEWROUTE, RTM_DELROUTE
    FLAGS = {RTM_NEWROUTE: NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL, RTM_DELROUTE: NLM_F_REQUEST}
    encode = staticmethod(encode)

    @staticmethod
    def validated(items):
        return validated_routes(items)

    def read_entries(self, ifindex):
        """(own routes, {(dst, metric): (route, protocol, oif)} of every other main-table route)."""
        own, foreign = set(), {}
        for route, protocol, oif in read_main_routes(self.ns.raw):
            if protocol == self.protocol and oif == ifindex:
                own.add(route)
            else:
                foreign[route.key] = (route, protocol, oif)
        return own, foreign

    @staticmethod
    def key(route):
        return route.key

    @staticmethod
    def sort_key(route):
        address, _slash, length = route.dst.partition("/")
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        return (family, socket.inet_pton(family, address), int(length), route.metric)

    def check_collisions(self, add, foreign):
        for route in add:
            if route.key in foreign:
                other, protocol, oif = foreign[route.key]
                raise NetfabricError("routes: %s metric %d is already routed by a route this task does not own "
                                     "(protocol %d, ifindex %d, gateway %s); remove it or give another metric, "
                                     "got %r" % (route.dst, route.metric, protocol, oif, other.gateway, route.as_dict()))
