# -*- coding: utf-8 -*-
# Copyright (c) 2026, netfabric.core contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Parameter validation shared by all modules: pure functions, run before any netlink request.

Each check raises NetfabricError whose message names the option and the offending value, and
returns the value in canonical form (lower-case MAC, ip_interface, ...).
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import ipaddress
import re

from ansible_collections.netfabric.core.plugins.module_utils.constants import MTU_MAX, MTU_MIN, PORT_MAX, VNI_MAX
from ansible_collections.netfabric.core.plugins.module_utils.errors import NetfabricError

# Linux accepts almost any byte in a name; we accept what is safe in a shell, a path and a YAML key.
IFNAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,14}$")
NETNS_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")
MAC_RE = re.compile(r"^[0-9a-f]{2}(:[0-9a-f]{2}){5}$")


def fail(option, value, why):
    raise NetfabricError("%s: %s, got %r" % (option, why, value))


def ifname(option, value, required=True):
    if value is None:
        if required:
            fail(option, value, "an interface name is required")
        return None
    text = str(value)
    if not IFNAME_RE.fullmatch(text):
        fail(option, value, "must be an interface name of 1-15 characters [A-Za-z0-9_.-], "
                            "starting with a letter or digit")
    return text


def netns(option, value):
    """A namespace name, a ``/proc/PID/ns/net``-style path, or a PID; None for the current one."""
    if value is None or value == "":
        return None
    text = str(value)
    if text.isdigit() and int(text) > 0:
        return text
    if text.startswith("/"):
        if "\x00" in text or "/../" in text + "/" or not re.fullmatch(r"/[A-Za-z0-9_./-]+", text):
            fail(option, value, "must be a namespace name, an absolute path without '..', or a PID")
        return text
    if not NETNS_NAME_RE.fullmatch(text):
        fail(option, value, "must be a namespace name of [A-Za-z0-9_.-] (max 63), a path, or a PID")
    return text


def mac(option, value, allow_zero=True):
    if value is None:
        return None
    text = str(value).strip().lower().replace("-", ":")
    if not MAC_RE.fullmatch(text):
        fail(option, value, "must be a MAC address like 02:00:00:00:00:01")
    if not allow_zero and text == "00:00:00:00:00:00":
        fail(option, value, "must not be the all-zero MAC")
    if text != "00:00:00:00:00:00" and int(text[:2], 16) & 1:
        fail(option, value, "must be a unicast MAC (the first octet's lowest bit is the multicast bit)")
    return text


def int_range(option, value, low, high):
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        fail(option, value, "must be an integer")
    if not low <= value <= high:
        fail(option, value, "must be between %d and %d" % (low, high))
    return value


def vni(option, value):
    return int_range(option, value, 1, VNI_MAX)


def port(option, value):
    return int_range(option, value, 1, PORT_MAX)


def mtu(option, value):
    return int_range(option, value, MTU_MIN, MTU_MAX)


def ip(option, value, family=None):
    """An IP address (no prefix) as ipaddress object."""
    if value is None:
        return None
    try:
        addr = ipaddress.ip_address(str(value))
    except ValueError:
        fail(option, value, "must be an IPv4 or IPv6 address")
    if family and addr.version != family:
        fail(option, value, "must be an IPv%d address" % family)
    if getattr(addr, "scope_id", None):
        fail(option, value, "must be an address without a %zone suffix")
    return addr


def cidr(option, value):
    """An interface address with prefix (``192.0.2.10/24``) as ip_interface."""
    text = str(value)
    if "/" not in text:
        fail(option, value, "must be an address with prefix length, like 192.0.2.10/24")
    try:
        iface = ipaddress.ip_interface(text)
    except ValueError:
        fail(option, value, "must be an address with prefix length, like 192.0.2.10/24")
    if iface.ip.is_multicast or iface.ip.is_unspecified:
        fail(option, value, "must be a unicast address")
    if getattr(iface.ip, "scope_id", None):
        fail(option, value, "must be an address without a %zone suffix")
    if iface.version == 6 and iface.ip.is_link_local:
        fail(option, value, "must not be an IPv6 link-local address (fe80::/10): the kernel gives every link its own, "
                            "and the modules manage global addresses only")
    return iface


def cidr_list(option, values):
    if values is None:
        return None
    seen = {}
    for value in values:
        iface = cidr(option, value)
        if iface.ip in seen:
            fail(option, value, "lists address %s twice" % iface.ip)
        seen[iface.ip] = iface
    return sorted(seen.values(), key=lambda i: (i.version, int(i.ip)))
