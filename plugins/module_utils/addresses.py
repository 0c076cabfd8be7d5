# -*- coding: utf-8 -*-
# Copyright (c) 2026, netfabric.core contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Addresses (``ip address``): the one home of reading them, writing them and building their steps.

Two readings: ``read_addresses`` (raw rtnetlink, ip_interface values: what a module compares with
its option) and ``read_address_entries`` (every attribute needed to re-create an address exactly on
another link: flags, broadcast, lifetimes; what migration and the destroy-capture copy).
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import ipaddress
import socket

from ansible_collections.netfabric.core.plugins.module_utils import rtnl
from ansible_collections.netfabric.core.plugins.module_utils.constants import (
    IFA_F_HOMEADDRESS, IFA_F_MANAGETEMPADDR, IFA_F_MCAUTOJOIN, IFA_F_NODAD, IFA_F_NOPREFIXROUTE, IFA_F_OPTIMISTIC,
    RT_SCOPE_LINK, RT_SCOPE_UNIVERSE)
from ansible_collections.netfabric.core.plugins.module_utils.converge import Step
from ansible_collections.netfabric.core.plugins.module_utils.errors import NetfabricError

IPV6_MIN_MTU = 1280
INFINITY_LIFETIME = 0xFFFFFFFF
# Address flags a user sets (ip address add ... nodad noprefixroute ...); the others are kernel state
# (secondary, tentative, deprecated, permanent, dadfailed) and must not be copied.
USER_ADDRESS_FLAGS = (IFA_F_NODAD | IFA_F_OPTIMISTIC | IFA_F_HOMEADDRESS | IFA_F_MANAGETEMPADDR | IFA_F_NOPREFIXROUTE
                      | IFA_F_MCAUTOJOIN)


# --------------------------------------------------------------------------- reading

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


def host_addresses(ns):
    """(IPv4, IPv6) global addresses of the namespace as text, in the kernel's order (loopback excluded)."""
    found = {socket.AF_INET: [], socket.AF_INET6: []}
    for msg in rtnl.read_addresses(ns.raw):
        if msg["scope"] != RT_SCOPE_UNIVERSE or msg["family"] not in found:
            continue
        text = msg["address"] if msg["family"] == socket.AF_INET6 else (msg["local"] or msg["address"])
        if text and not ipaddress.ip_address(text).is_loopback and text not in found[msg["family"]]:
            found[msg["family"]].append(text)
    return found[socket.AF_INET], found[socket.AF_INET6]


def owned_addresses(ns):
    """Every address of the namespace (any link): to check that a VTEP ``local`` is really ours."""
    result = set()
    for msg in rtnl.read_addresses(ns.raw):
        addr = msg["local"] or msg["address"]
        if addr:
            result.add(ipaddress.ip_address(addr))
    return result


def read_address_entries(ns, index):
    """Global-scope addresses of a link in kernel order (IPv4 primary before its secondaries).

    Each entry keeps what is needed to re-create the address exactly elsewhere: flags, broadcast,
    lifetimes. Adding in this order and deleting in reverse never deletes a primary before its
    secondaries (which would take them with it).
    """
    entries = []
    for msg in ns.ipr.addr("dump", index=index):
        if msg["index"] != index or msg["scope"] != 0:
            continue
        attrs = dict(msg["attrs"])
        family = msg["family"]
        addr = attrs.get("IFA_ADDRESS") if family == socket.AF_INET6 else (attrs.get("IFA_LOCAL") or attrs.get("IFA_ADDRESS"))
        cache = attrs.get("IFA_CACHEINFO")
        valid = cache["ifa_valid"] if cache is not None else INFINITY_LIFETIME
        preferred = cache["ifa_preferred"] if cache is not None else INFINITY_LIFETIME
        entries.append({
            "iface": ipaddress.ip_interface("%s/%d" % (addr, msg["prefixlen"])),
            "flags": attrs.get("IFA_FLAGS", msg["flags"]) & USER_ADDRESS_FLAGS,
            "broadcast": attrs.get("IFA_BROADCAST"),
            "lifetimes": None if valid == INFINITY_LIFETIME and preferred == INFINITY_LIFETIME else (valid, preferred),
        })
    return entries


# --------------------------------------------------------------------------- checks

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


# --------------------------------------------------------------------------- writing

def address_request(entry, index):
    """pyroute2 keywords re-creating a read_address_entries() entry on link ``index``."""
    iface = entry["iface"]
    request = {"index": index, "address": str(iface.ip), "prefixlen": iface.network.prefixlen}
    if entry["flags"]:
        request["flags"] = entry["flags"]
    if entry["broadcast"]:
        request["broadcast"] = entry["broadcast"]
    if entry["lifetimes"]:
        request["valid_lft"], request["preferred_lft"] = entry["lifetimes"]
    return request


def add_entries(ns, index, entries):
    """Add read_address_entries() ``entries`` to link ``index`` as they were (flags, lifetimes), in order."""
    for entry in entries:
        ns.ipr.addr("add", **address_request(entry, index))


def add_missing(ns, index, addresses):
    """Add those of ``addresses`` (ip_interface) the link lost (a link going down loses its IPv6 ones)."""
    current = set(read_addresses(ns, index))
    for iface in addresses:
        if iface not in current:
            ns.ipr.addr("add", index=index, address=str(iface.ip), prefixlen=iface.network.prefixlen)


# --------------------------------------------------------------------------- steps

def address_steps(ns, name, index_of, current, desired, exclusive=True):
    """Add the missing addresses, and (``exclusive``) remove the extra ones, each with its undo.

    Additions go first so a link being renumbered keeps an address throughout; but an address whose
    IP stays and only its prefix changes must be removed first (IPv6 identifies an address by the IP
    alone, so adding it again would fail with EEXIST). And an IPv4 subnet that loses an address while
    it keeps or gains others (``renumbered_subnets``) loses it first: the kernel deletes a subnet's
    secondaries with its primary (promote_secondaries is off by default), so an address added before
    would vanish. Its kept addresses are then added again where the kernel dropped them.
    """
    desired_set, current_set = set(desired), set(current)
    desired_ips = set(iface.ip for iface in desired)
    stale = [iface for iface in current if iface not in desired_set] if exclusive else []
    renumbered = renumbered_subnets(current, desired) if exclusive else set()

    def goes_first(iface):
        return iface.ip in desired_ips or iface.network in renumbered
    first = [_addr_step(ns, "del", iface, name, index_of) for iface in stale if goes_first(iface)]
    adds = [_addr_step(ns, "add", iface, name, index_of) if iface not in current_set
            else _keep_address_step(ns, iface, name, index_of)
            for iface in desired if iface not in current_set or iface.network in renumbered]
    last = [_addr_step(ns, "del", iface, name, index_of) for iface in stale if not goes_first(iface)]
    return first + adds + last


def renumbered_subnets(current, desired):
    """IPv4 subnets of ``current`` that lose an address and keep or gain another one."""
    desired_set = set(desired)
    losing = set(iface.network for iface in current if iface.version == 4 and iface not in desired_set)
    return losing & set(iface.network for iface in desired if iface.version == 4)


def _keep_address_step(ns, iface, name, index_of):
    """Re-add (``replace``: no error if it survived) an address the run keeps; it was there before, so
    the undo leaves it."""
    return Step("keep address %s on %s" % (iface.with_prefixlen, name),
                lambda: ns.ipr.addr("replace", index=index_of(), address=str(iface.ip),
                                    prefixlen=iface.network.prefixlen),
                lambda: None)


def _addr_step(ns, command, iface, name, index_of):
    inverse = "del" if command == "add" else "add"
    text = "%s address %s %s %s" % (command, iface.with_prefixlen, "to" if command == "add" else "from", name)
    return Step(text,
                lambda: ns.ipr.addr(command, index=index_of(), address=str(iface.ip), prefixlen=iface.network.prefixlen),
                lambda: ns.ipr.addr(inverse, index=index_of(), address=str(iface.ip), prefixlen=iface.network.prefixlen))


def copy_steps(ns, entries, existing, name, index_of):
    """Add read_address_entries() ``entries`` (another link's) to link ``name``, except those it has."""
    have = set(e["iface"] for e in existing)
    return [Step("add address %s to %s" % (entry["iface"].with_prefixlen, name),
                 _move_in(ns, entry, index_of), _entry_request(ns, "del", entry, index_of))
            for entry in entries if entry["iface"] not in have]


def _move_in(ns, entry, index_of):
    """Add an address that this host already owns on the other link.

    An IPv6 address added normally stays "tentative" (unusable) for 1-2 s of duplicate address
    detection, and the copy on the other link is deleted a moment later: IPv6 traffic to the host
    would be dropped meanwhile. The address is ours already, so it is added with ``nodad`` and then
    given back its own flags (an address change does not restart DAD), ending exactly as it was.
    """
    if entry["iface"].version == 4 or entry["flags"] & IFA_F_NODAD:
        return _entry_request(ns, "add", entry, index_of)

    def add():
        request = address_request(entry, index_of())
        ns.ipr.addr("add", **dict(request, flags=entry["flags"] | IFA_F_NODAD))
        ns.ipr.addr("replace", **dict(request, flags=entry["flags"]))
    return add


def delete_steps(ns, entries, name, index_of):
    """Delete read_address_entries() ``entries`` from link ``name`` in reverse (secondaries first);
    each step also carries its ``request`` for atomic.one_request."""
    steps = []
    for entry in reversed(entries):
        step = Step("delete address %s from %s" % (entry["iface"].with_prefixlen, name),
                    _entry_request(ns, "del", entry, index_of), _entry_request(ns, "add", entry, index_of))
        step.request = (lambda entry=entry: ("addr", "del", address_request(entry, index_of())))
        steps.append(step)
    return steps


def _entry_request(ns, command, entry, index_of):
    return lambda: ns.ipr.addr(command, **address_request(entry, index_of()))
