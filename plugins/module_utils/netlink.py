# -*- coding: utf-8 -*-
# Copyright (c) 2026, netfabric.core contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Netlink handles per network namespace, opened without forking and without creating namespaces.

pyroute2's own ``IPRoute(netns=...)`` forks a helper per namespace and creates a namespace that does
not exist (``O_CREAT``): a typo in a playbook would silently build a new empty namespace. Here the
process briefly enters the target namespace, opens its sockets there (a socket stays bound to the
namespace it was created in) and returns, so a missing namespace is an error and no helper runs.
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import socket
import traceback

PYROUTE2_IMPORT_ERROR = None
try:
    from pyroute2.iproute.linux import IPRoute
    from pyroute2.netlink.exceptions import NetlinkError
    from pyroute2.netns import setns
except ImportError:  # the module reports missing_required_lib() instead of a traceback
    PYROUTE2_IMPORT_ERROR = traceback.format_exc()
    IPRoute = None
    setns = None

    class NetlinkError(Exception):
        code = 0

# NetlinkError is re-exported: modules catch it without importing pyroute2 themselves.
__all__ = ["IPRoute", "NetlinkError", "Namespace", "NetfabricError", "PYROUTE2_IMPORT_ERROR", "describe"]

NETNS_RUN_DIR = "/run/netns"
NETLINK_ROUTE = 0
SOCKET_BUFFER = 1 << 22


class NetfabricError(Exception):
    """A failure to report to the user as-is: the message already names option and value."""


def netns_path(spec):
    """Map a ``netns`` value (name, ``/proc/PID/ns/net``-style path, or PID) to a namespace file."""
    if spec is None or spec == "":
        return None
    text = str(spec)
    if text.isdigit():
        return "/proc/%s/ns/net" % text
    if text.startswith("/"):
        return text
    return os.path.join(NETNS_RUN_DIR, text)


def open_netns_fd(spec, option="netns"):
    """Open the namespace file read-only; a missing namespace raises NetfabricError naming ``option``."""
    path = netns_path(spec)
    try:
        return os.open(path, os.O_RDONLY)
    except OSError as exc:
        raise NetfabricError("%s: network namespace %r does not exist (%s: %s)"
                             % (option, spec, path, exc.strerror))


class Namespace:
    """Sockets opened inside one network namespace (None = the module's own)."""

    def __init__(self, spec=None, option="netns"):
        self.spec = spec
        self.option = option
        self._ipr = None
        self._raw = None
        self.fd = open_netns_fd(spec, option) if netns_path(spec) else None

    def inside(self, factory):
        """Call ``factory()`` with this thread in the namespace: sockets it opens and processes it
        starts belong to the namespace."""
        if self.fd is None:
            return factory()
        home = os.open("/proc/self/ns/net", os.O_RDONLY)
        try:
            setns(self.fd)
            return factory()
        finally:
            setns(home)
            os.close(home)

    @property
    def ipr(self):
        """A pyroute2 IPRoute bound to this namespace (no multicast groups: we never listen)."""
        if self._ipr is None:
            self._ipr = self.inside(lambda: IPRoute(groups=0))
        return self._ipr

    @property
    def raw(self):
        """A plain NETLINK_ROUTE socket in this namespace, for pipelined bulk requests (fdb)."""
        if self._raw is None:
            sock = self.inside(lambda: socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_ROUTE))
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SOCKET_BUFFER)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, SOCKET_BUFFER)
            sock.bind((0, 0))
            self._raw = sock
        return self._raw

    def close(self):
        if self._ipr is not None:
            self._ipr.close()
        if self._raw is not None:
            self._raw.close()
        if self.fd is not None:
            os.close(self.fd)
        self._ipr = self._raw = self.fd = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def describe(exc):
    """Short text for a netlink error: ``[Errno 17] File exists``."""
    code = getattr(exc, "code", None)
    if code:
        return "[Errno %d] %s" % (code, os.strerror(code))
    return str(exc)
