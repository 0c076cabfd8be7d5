# -*- coding: utf-8 -*-
# Copyright (c) 2026, netfabric.core contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""IPv4 forwarding per interface (netfabric.core.ip_forwarding), over raw rtnetlink.

The kernel decides whether to forward a packet by the forwarding flag of the interface it arrived on
(``net.ipv4.conf.<dev>.forwarding``), not by the global ``net.ipv4.ip_forward``, which only copies
itself to every interface when written. So a routed overlay turns forwarding on exactly where it
routes (its bridge and its VTEP) and leaves the rest of the host as it was. The flag is the first
entry of the device's IPv4 configuration (IFLA_AF_SPEC / AF_INET / IFLA_INET_CONF, linux/ip.h),
read from one link dump and set with one RTM_SETLINK per interface that differs.
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import socket
import struct

from ansible_collections.netfabric.core.plugins.module_utils import rtnl, validate
from ansible_collections.netfabric.core.plugins.module_utils.constants import (
    RTM_SETLINK, IFLA_IFNAME, IFLA_AF_SPEC, IFLA_INET_CONF, IPV4_DEVCONF_FORWARDING)
from ansible_collections.netfabric.core.plugins.module_utils.converge import Plan, Resource, Snapshot, Step
from ansible_collections.netfabric.core.plugins.module_utils.netlink import Namespace, NetfabricError

U32 = struct.Struct("=I")

ARGUMENT_SPEC = dict(
    interfaces=dict(type="list", elements="str", required=True),
    enabled=dict(type="bool", default=True),
    netns=dict(type="str"),
)


def read_forwarding(sock):
    """{interface name: (ifindex, IPv4 forwarding flag)} of every link with an IPv4 configuration."""
    found = {}
    for data, header, attrs in rtnl.dump(sock, rtnl.RTM_GETLINK, rtnl.IFINFOMSG, "links"):
        if IFLA_IFNAME not in attrs or IFLA_AF_SPEC not in attrs:
            continue
        inet = rtnl.attributes(data, *attrs[IFLA_AF_SPEC]).get(socket.AF_INET)
        conf = rtnl.attributes(data, *inet).get(IFLA_INET_CONF) if inet else None
        if conf is None:
            continue
        name = data[slice(*attrs[IFLA_IFNAME])].split(b"\0", 1)[0].decode("utf-8", "replace")
        found[name] = (header[2], bool(U32.unpack_from(data, conf[0] + 4 * (IPV4_DEVCONF_FORWARDING - 1))[0]))
    return found


def set_forwarding(sock, ifindex, enabled):
    """One acknowledged RTM_SETLINK that sets the interface's IPv4 forwarding flag."""
    conf = rtnl.nla(IPV4_DEVCONF_FORWARDING, U32.pack(int(enabled)))
    body = rtnl.IFINFOMSG.pack(0, 0, ifindex, 0, 0)
    body += rtnl.nla(IFLA_AF_SPEC, rtnl.nla(socket.AF_INET, rtnl.nla(IFLA_INET_CONF, conf)))
    failures = rtnl.send_batch(sock, [body], lambda message, ack, seq: rtnl.NLMSGHDR.pack(
        rtnl.NLMSGHDR.size + len(message), RTM_SETLINK, rtnl.NLM_F_REQUEST | ack, seq, 0) + message)
    if failures:
        code = failures[0][1]
        raise NetfabricError("setting IPv4 forwarding on ifindex %d failed: errno %d" % (ifindex, code))


class IpForwarding(Resource):
    def __init__(self, params):
        names = [validate.ifname("interfaces", name) for name in params["interfaces"]]
        if not names:
            validate.fail("interfaces", params["interfaces"], "must list at least one interface")
        self.interfaces = sorted(set(names))
        self.enabled = params["enabled"]
        self.ns = Namespace(validate.netns("netns", params["netns"]))

    def close(self):
        self.ns.close()

    def read(self):
        links = read_forwarding(self.ns.raw)
        return Snapshot(dict((name, links[name][1]) for name in self.interfaces if name in links), links=links)

    def check(self, snapshot):
        missing = [name for name in self.interfaces if name not in snapshot.links]
        if missing:
            raise NetfabricError("interfaces: no link named %r with an IPv4 configuration in this network namespace"
                                 % missing[0])

    def plan(self, snapshot):
        after = dict((name, self.enabled) for name in self.interfaces)
        steps = [self._step(name, snapshot.links[name][0], self.enabled)
                 for name in self.interfaces if snapshot.view[name] != self.enabled]
        return Plan(after, steps)

    def _step(self, name, index, enabled):
        return Step("%s IPv4 forwarding on %s" % ("enable" if enabled else "disable", name),
                    lambda: set_forwarding(self.ns.raw, index, enabled),
                    lambda: set_forwarding(self.ns.raw, index, not enabled))
