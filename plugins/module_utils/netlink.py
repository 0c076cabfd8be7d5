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

import errno
import fcntl
import importlib
import importlib.util
import os
import socket
import sys
import traceback

from ansible_collections.netfabric.core.plugins.module_utils.constants import CLONE_NEWNET, NS_GET_NSTYPE
from ansible_collections.netfabric.core.plugins.module_utils.errors import NetfabricError

# pyroute2/__init__.py imports every protocol family the library speaks (NDB, IPDB, conntrack, IPVS,
# nl80211, plan9, ...), and pyroute2/netlink/__init__.py the whole message machinery: 0.1-0.3 s per
# module run, most of a no-change task's own cost, for code the fdb path never touches.
DEFERRED_PACKAGES = ("pyroute2", "pyroute2.netlink")


def _deferred_package(name):
    """The package ``name`` registered with its ``__path__`` but without running its ``__init__`` yet.

    Submodules import normally through ``__path__`` (also ``from pyroute2 import config``); the first
    access to anything else the package does not have yet (``pyroute2.IPRoute``, ``from
    pyroute2.netlink import nlmsg``) runs the real ``__init__`` into the same module object, so
    nothing outside sees a difference but the time.
    """
    spec = importlib.util.find_spec(name)
    if spec is None:
        raise ImportError("No module named %r" % name, name=name)
    package = importlib.util.module_from_spec(spec)

    def attribute_or_init(attribute):
        if importlib.util.find_spec("%s.%s" % (name, attribute)) is not None:
            return importlib.import_module("%s.%s" % (name, attribute))
        del package.__dict__["__getattr__"]
        spec.loader.exec_module(package)
        return getattr(package, attribute)

    package.__getattr__ = attribute_or_init
    return package


def import_pyroute2(name):
    """Import the pyroute2 submodule ``name`` and only what it needs itself."""
    for package in DEFERRED_PACKAGES:
        if package not in sys.modules:
            sys.modules[package] = _deferred_package(package)
            parent, _dot, child = package.rpartition(".")
            if parent:  # what the import system does for a subpackage it loads itself
                setattr(sys.modules[parent], child, sys.modules[package])
    return importlib.import_module(name)


PYROUTE2_IMPORT_ERROR = None
try:
    NetlinkError = import_pyroute2("pyroute2.netlink.exceptions").NetlinkError
except ImportError:  # the module reports missing_required_lib() instead of a traceback
    PYROUTE2_IMPORT_ERROR = traceback.format_exc()

    class NetlinkError(Exception):
        code = 0


def load_iproute():
    """pyroute2's IPRoute class, imported on first use: the fdb path never needs it."""
    return import_pyroute2("pyroute2.iproute.linux").IPRoute


def setns(fd):
    """Move this thread into the network namespace open at ``fd`` (os.setns exists from Python 3.12)."""
    if hasattr(os, "setns"):
        os.setns(fd, CLONE_NEWNET)
        return
    import ctypes  # Python < 3.12 only
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.setns(fd, CLONE_NEWNET) != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, os.strerror(errno))


# NetlinkError is re-exported: modules catch it without importing pyroute2 themselves.
__all__ = ["load_iproute", "NetlinkError", "Namespace", "NetfabricError", "PYROUTE2_IMPORT_ERROR", "describe"]

NETNS_RUN_DIR = "/run/netns"
NETLINK_ROUTE = 0
SOCKET_BUFFER = 1 << 22


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
    """Open the namespace file read-only; a missing namespace, or a file that is no network namespace
    (``/etc/hosts``, ``/proc/PID/ns/mnt``, a stale ``/run/netns`` file), raises NetfabricError naming ``option``."""
    path = netns_path(spec)
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError as exc:
        why = "does not exist" if exc.errno == errno.ENOENT else "cannot be opened"
        raise NetfabricError("%s: network namespace %r %s (%s: %s)" % (option, spec, why, path, exc.strerror))
    kind = namespace_type(fd)
    if kind != CLONE_NEWNET:
        os.close(fd)
        what = "a namespace of another type" if kind else "not a namespace file (a stale or foreign file?)"
        raise NetfabricError("%s: %r is not a network namespace: %s is %s" % (option, spec, path, what))
    return fd


def namespace_type(fd):
    """The CLONE_NEW* type of the namespace open at ``fd``, or None when it is no namespace file."""
    try:
        return fcntl.ioctl(fd, NS_GET_NSTYPE)
    except OSError as exc:
        if exc.errno in (errno.ENOTTY, errno.EINVAL):
            return None
        raise


class Namespace:
    """Sockets opened inside one network namespace (None = the module's own)."""

    def __init__(self, spec=None, option="netns"):
        self.spec = spec
        self.option = option
        self._ipr = None
        self._raw = None
        self.fd = open_netns_fd(spec, option) if netns_path(spec) else None

    def identity(self):
        """(st_dev, st_ino) of the namespace file: two specs naming the same namespace compare equal."""
        st = os.fstat(self.fd) if self.fd is not None else os.stat("/proc/self/ns/net")
        return (st.st_dev, st.st_ino)

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
            iproute = load_iproute()
            self._ipr = self.inside(lambda: iproute(groups=0))
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


def resolver(ns, name):
    """A function returning the current ifindex of link ``name``: steps run after links were re-created."""
    return lambda: ns.ipr.link("get", ifname=name)[0]["index"]


def describe(exc):
    """Short text for a netlink error: ``[Errno 17] File exists``."""
    code = getattr(exc, "code", None)
    if code:
        return "[Errno %d] %s" % (code, os.strerror(code))
    return str(exc)
