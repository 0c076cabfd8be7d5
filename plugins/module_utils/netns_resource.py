# -*- coding: utf-8 -*-
# Copyright (c) 2026, netfabric.core contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The named network namespace resource (netfabric.core.netns): ``/run/netns/NAME`` like ``ip netns add``.

pyroute2 creates it (``pyroute2.netns.create``: unshare in a short-lived child and bind-mount the new
namespace onto ``/run/netns/NAME``) and removes it (unmount + unlink); nothing runs ``ip``.
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import ctypes
import ctypes.util
import os

from ansible_collections.netfabric.core.plugins.module_utils import validate
from ansible_collections.netfabric.core.plugins.module_utils.converge import Plan, Resource, Snapshot, Step, expect
from ansible_collections.netfabric.core.plugins.module_utils.links import LinkTable
from ansible_collections.netfabric.core.plugins.module_utils.constants import CLONE_NEWNS
from ansible_collections.netfabric.core.plugins.module_utils.netlink import NETNS_RUN_DIR, Namespace, NetfabricError

try:
    from pyroute2 import netns as pyroute2_netns
except ImportError:  # converge.run() reports the missing library
    pyroute2_netns = None


def _parent_pid(pid):
    with open("/proc/%d/status" % pid) as status:
        for line in status:
            if line.startswith("PPid:"):
                return int(line.split()[1])
    return 0


def origin_mount_namespace():
    """The mount namespace of the nearest ancestor process that is in another one, else None.

    The netns connection runs tasks under ``ip netns exec``, which gives them a private mount
    namespace that is a *slave* of the one it was started from: a namespace bind-mounted there would
    exist for this task only, and one unmounted there would stay mounted for everyone else. Creating
    and removing namespaces has to happen in the origin mount namespace, where ``ip netns`` and every
    later task see it. (PID 1's namespace is not used: it may be unreadable, as in microVM guests.)
    """
    mine = os.stat("/proc/self/ns/mnt").st_ino
    pid = os.getppid()
    while pid > 1:
        path = "/proc/%d/ns/mnt" % pid
        try:
            if os.stat(path).st_ino != mine:
                return path
            pid = _parent_pid(pid)
        except (OSError, ValueError):
            return None
    return None


def in_host_mounts(action):
    """Run ``action`` in the origin mount namespace (see origin_mount_namespace), or here if none.

    setns() into a mount namespace needs a single-threaded process, hence a short-lived child.
    """
    target = origin_mount_namespace()
    if target is None:
        return action()
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: never returns
        code = 0
        try:
            os.close(read_end)
            libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
            fd = os.open(target, os.O_RDONLY)
            if libc.setns(fd, CLONE_NEWNS) != 0:
                raise OSError(ctypes.get_errno(), "setns(%s) failed" % target)
            action()
        except BaseException as exc:  # report anything to the parent, exit non-zero
            os.write(write_end, str(exc).encode("utf-8", "replace")[:4000])
            code = 1
        finally:
            os._exit(code)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        message = pipe.read().decode("utf-8", "replace")
    status = os.waitpid(pid, 0)[1]
    if status != 0:
        raise NetfabricError(message or "child exited with status %d" % status)
    return None


ARGUMENT_SPEC = dict(
    name=dict(type="str", required=True),
    state=dict(type="str", default="present", choices=["present", "absent"]),
    loopback_up=dict(type="bool", default=True),
)


def plain_netns_name(option, value):
    """A namespace name for ``/run/netns``: no path, no PID (all digits would read as one elsewhere)."""
    text = "" if value is None else str(value)
    if "/" in text:
        validate.fail(option, value, "must be a plain namespace name, not a path")
    if text.isdigit():
        validate.fail(option, value, "must be a namespace name, not a number (other modules read a number as a PID)")
    if not validate.NETNS_NAME_RE.match(text):
        validate.fail(option, value, "must be a namespace name of 1-63 characters [A-Za-z0-9_.-], starting with a letter or digit")
    return text


def is_namespace(path):
    """True when ``path`` is a mounted namespace (nsfs), not a file left behind by a failed creation."""
    try:
        return os.stat(path).st_dev == os.stat("/proc/self/ns/net").st_dev
    except OSError:
        return False


class NetnsResource(Resource):
    def __init__(self, params):
        self.name = plain_netns_name("name", params["name"])
        self.state = params["state"]
        self.loopback_up = params["loopback_up"]
        self.path = os.path.join(NETNS_RUN_DIR, self.name)
        self.ns = None

    def close(self):
        if self.ns is not None:
            self.ns.close()
            self.ns = None

    def lock_keys(self):
        return [(Namespace(None), "netns-" + self.name, "name")]

    def _namespace(self):
        if self.ns is None:
            self.ns = Namespace(self.name, option="name")
        return self.ns

    def read(self):
        self.close()  # a namespace re-created since the last read is another namespace
        if self.name not in pyroute2_netns.listnetns(NETNS_RUN_DIR):
            return Snapshot({"name": self.name, "state": "absent"}, stale=False)
        if not is_namespace(self.path):
            return Snapshot({"name": self.name, "state": "absent"}, stale=True)
        table = LinkTable(self._namespace())
        lo = table.get("lo")
        return Snapshot({"name": self.name, "state": "present", "loopback_up": bool(lo and lo["up"]),
                         "links": sorted(n for n in table.by_name if n != "lo")}, stale=False)

    def plan(self, snapshot):
        before = snapshot.view
        steps = []
        if snapshot.stale:
            steps.append(Step("remove %s: a file, not a mounted namespace (left by a failed creation)" % self.path,
                              lambda: os.unlink(self.path)))
        if self.state == "absent":
            after = {"name": self.name, "state": "absent"}
            if before["state"] == "present":
                links = before["links"]
                text = "remove network namespace %s" % self.name
                if links:
                    text += " (the kernel deletes its virtual links: %s)" % ", ".join(links)
                steps.append(Step(text, self._remove))
            return Plan(after, steps, expect(after, ["state"]))
        after = {"name": self.name, "state": "present", "loopback_up": self.loopback_up,
                 "links": before.get("links", [])}
        current_lo = before.get("loopback_up", False)
        if before["state"] == "absent":
            steps.append(Step("create network namespace %s" % self.name, self._create, self._remove))
        if current_lo != self.loopback_up:
            state = "up" if self.loopback_up else "down"
            steps.append(Step("set lo %s in %s" % (state, self.name),
                              lambda: self._set_lo(state), lambda: self._set_lo("down" if state == "up" else "up")))
        return Plan(after, steps, expect(after, ["state", "loopback_up"]))

    def _create(self):
        try:
            in_host_mounts(lambda: pyroute2_netns.create(self.path))
        except (OSError, NetfabricError) as exc:
            raise NetfabricError("name: cannot create network namespace %r: %s" % (self.name, exc))
        if not is_namespace(self.path):
            raise NetfabricError("name: creating network namespace %r left %s unmounted" % (self.name, self.path))

    def _remove(self):
        self.close()
        in_host_mounts(lambda: pyroute2_netns.remove(self.path))

    def _set_lo(self, state):
        ns = self._namespace()
        ns.ipr.link("set", index=LinkTable(ns).index("lo", "name"), state=state)
