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
import socket

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


def canonical_ip(text):
    """``text`` in the form the kernel reports (``inet_ntop``), or None when it is no IP address.

    ``inet_pton`` is the kernel's own parser and 20x faster than ``ipaddress``: a 10,000-entry
    flood list is 10,000 distinct addresses to check on every run.
    """
    family = socket.AF_INET6 if ":" in text else socket.AF_INET
    try:
        return socket.inet_ntop(family, socket.inet_pton(family, text))
    except (OSError, ValueError):
        return None


def ip_text(option, value):
    """An IPv4 or IPv6 address as canonical text (canonical_ip), for list entries checked by the thousand."""
    text = canonical_ip(str(value))
    if text is None:
        fail(option, value, "must be an IPv4 or IPv6 address")
    return text


def list_entry(item, fields, required, noun, sep=".", mapping=None):
    """Check the shape of one element of a list-of-dicts option (``entries``, ``routes``): a mapping
    with only ``fields`` (a tuple, in the order the messages list them) and every ``required`` one.

    AnsibleModule's suboption validation costs ~0.1 ms per element (BENCHMARKS.md), so the modules
    check elements themselves. Messages start with ``sep`` and the field: the caller prefixes the
    option and position (``entries[3].mac: ...``). ``mapping`` describes the fields where they are not all
    alike (some optional).
    """
    listed = ", ".join(fields[:-1]) + " and " + fields[-1]
    article = "an" if noun[0] in "aeiou" else "a"
    if not isinstance(item, dict):
        raise NetfabricError(": must be a mapping with %s, got %r" % (mapping or listed, item))
    unknown = sorted(str(key) for key in item if key not in fields)
    if unknown:
        raise NetfabricError("%s%s: not %s %s field; %s %s has %s" % (sep, unknown[0], article, noun, article, noun, listed))
    for key in required:
        if item.get(key) is None:
            raise NetfabricError("%s%s: required in every %s" % (sep, key, noun))
