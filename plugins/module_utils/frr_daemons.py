# -*- coding: utf-8 -*-
# Copyright (c) 2026, netfabric.core contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""FRR daemons of one pathspace, supervised without systemd (netfabric.core.frr_daemons).

Where no init system runs FRR (a netns lab host, a container), each host runs its own zebra and bgpd
with ``-N PATHSPACE``: sockets and pid files live in ``/var/run/frr/PATHSPACE/``, the configuration in
``/etc/frr/PATHSPACE/``. A daemon counts as running when its pid file names a live process of that
daemon, started for this pathspace, in the caller's network namespace: a stale pid file, a recycled
pid or the same pathspace in another namespace never passes for a running daemon, and a running one is
never started twice.
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import re
import signal
import time

from ansible_collections.netfabric.core.plugins.module_utils import validate
from ansible_collections.netfabric.core.plugins.module_utils.converge import Plan, Resource, Snapshot, Step
from ansible_collections.netfabric.core.plugins.module_utils.netlink import NetfabricError

PATHSPACE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")
DAEMONS = ("zebra", "bgpd")  # start order: bgpd talks to zebra through zebra's socket
STARTUP_SECONDS = 15
STOP_SECONDS = 15

ARGUMENT_SPEC = dict(
    pathspace=dict(type="str", required=True),
    daemons=dict(type="list", elements="str", default=list(DAEMONS), choices=list(DAEMONS)),
    state=dict(type="str", default="started", choices=["started", "stopped", "restarted"]),
    config=dict(type="str"),
    bindir=dict(type="str", default="/usr/lib/frr"),
    confdir=dict(type="str", default="/etc/frr"),
    rundir=dict(type="str", default="/var/run/frr"),
    user=dict(type="str", default="frr"),
)


def pathspace_name(option, value):
    """A pathspace becomes a directory name under /etc/frr and /var/run/frr: a plain, safe name only."""
    if not isinstance(value, str) or not PATHSPACE_RE.match(value) or value in (".", ".."):
        validate.fail(option, value, "must be 1-63 characters of [A-Za-z0-9_.-] starting with a letter or digit")
    return value


def read_pid(path):
    try:
        with open(path) as handle:
            return int(handle.read().strip() or "0") or None
    except (OSError, ValueError):
        return None


def process_of(pid, daemon, pathspace, netns_id):
    """True when ``pid`` is ``daemon`` running for ``pathspace`` in network namespace ``netns_id``."""
    if pid is None:
        return False
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as handle:
            argv = [a.decode("utf-8", "replace") for a in handle.read().split(b"\0") if a]
        same_ns = os.readlink("/proc/%d/ns/net" % pid) == netns_id
        with open("/proc/%d/stat" % pid) as handle:
            zombie = handle.read().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return False
    named = bool(argv) and os.path.basename(argv[0]) == daemon
    for_pathspace = any(argv[i] == "-N" and argv[i + 1] == pathspace for i in range(len(argv) - 1))
    return named and for_pathspace and same_ns and not zombie


class FrrDaemons(Resource):
    def __init__(self, params, run_command):
        self.run_command = run_command
        self.pathspace = pathspace_name("pathspace", params["pathspace"])
        self.daemons = []
        for position, daemon in enumerate(params["daemons"] or []):
            if daemon not in DAEMONS:
                validate.fail("daemons[%d]" % position, daemon, "must be one of %s" % ", ".join(DAEMONS))
            if daemon not in self.daemons:
                self.daemons.append(daemon)
        if not self.daemons:
            validate.fail("daemons", params["daemons"], "must name at least one daemon")
        self.daemons.sort(key=DAEMONS.index)
        self.state = params["state"]
        self.bindir = params["bindir"]
        self.rundir = os.path.join(params["rundir"], self.pathspace)
        self.config = params["config"] or os.path.join(params["confdir"], self.pathspace, "frr.conf")
        self.user = params["user"]
        if self.state != "stopped":
            self._check_startable(params)
        self.netns_id = os.readlink("/proc/self/ns/net")

    def _check_startable(self, params):
        for daemon in self.daemons:
            binary = os.path.join(self.bindir, daemon)
            if not os.access(binary, os.X_OK):
                validate.fail("bindir", params["bindir"], "has no executable %s (install the frr package)" % daemon)
        if not os.path.isfile(self.config):
            validate.fail("config", self.config, "is not a file (render the FRR configuration first)")
        try:
            import pwd
            self.uid, self.gid = pwd.getpwnam(self.user)[2:4]
        except KeyError:
            validate.fail("user", self.user, "is not a user on this host (the frr package creates it)")

    def pidfile(self, daemon):
        return os.path.join(self.rundir, daemon + ".pid")

    def running(self, daemon):
        return process_of(read_pid(self.pidfile(daemon)), daemon, self.pathspace, self.netns_id)

    def read(self):
        pids = dict((d, read_pid(self.pidfile(d))) for d in self.daemons if self.running(d))
        return Snapshot({"pathspace": self.pathspace,
                         "daemons": dict((d, "running" if d in pids else "stopped") for d in self.daemons)},
                        values={"pids": pids, "config": self.config})

    def plan(self, snapshot):
        before = snapshot.view
        running = [d for d in self.daemons if before["daemons"][d] == "running"]
        if self.state == "stopped":
            to_stop, to_start = running, []
        elif self.state == "restarted":
            to_stop, to_start = running, list(self.daemons)
        else:
            to_stop, to_start = [], [d for d in self.daemons if d not in running]
        steps = [Step("stop %s (pathspace %s)" % (d, self.pathspace), self._stopper(d)) for d in reversed(to_stop)]
        steps += [Step("start %s -N %s -f %s" % (d, self.pathspace, self.config), self._starter(d),
                       self._stopper(d)) for d in to_start]
        wanted = "stopped" if self.state == "stopped" else "running"
        return Plan({"pathspace": self.pathspace, "daemons": dict((d, wanted) for d in self.daemons)}, steps)

    def _starter(self, daemon):
        def start():
            self._prepare_rundir(daemon)
            argv = [os.path.join(self.bindir, daemon), "-N", self.pathspace, "-d", "-P", "0",
                    "-f", self.config, "-i", self.pidfile(daemon)]
            # -d: the daemon forks, detaches (setsid) and points its stdio at /dev/null, so the pipes close.
            code, out, err = self.run_command(argv)
            text = (out + err).strip()
            if code != 0:
                raise NetfabricError("%s exited with %d: %s" % (" ".join(argv), code, text))
            self._wait(daemon, True, STARTUP_SECONDS, text)
        return start

    def _stopper(self, daemon):
        def stop():
            pid = read_pid(self.pidfile(daemon))
            if process_of(pid, daemon, self.pathspace, self.netns_id):
                os.kill(pid, signal.SIGTERM)
            self._wait(daemon, False, STOP_SECONDS, "")
        return stop

    def _prepare_rundir(self, daemon):
        """The daemons drop to the frr user: their socket/pid directory must be theirs. A stale pid file
        (its process is gone or is not this daemon) goes: the daemon may not be allowed to overwrite it."""
        if not os.path.isdir(self.rundir):
            os.makedirs(self.rundir, 0o755)
        os.chown(self.rundir, self.uid, self.gid)
        if os.path.exists(self.pidfile(daemon)):
            os.unlink(self.pidfile(daemon))

    def _wait(self, daemon, up, seconds, output):
        deadline = time.monotonic() + seconds
        while self.running(daemon) != up:
            if time.monotonic() > deadline:
                raise NetfabricError("%s (pathspace %s) did not %s within %d s%s" % (
                    daemon, self.pathspace, "start" if up else "stop", seconds, (": " + output) if output else ""))
            time.sleep(0.1)
        if up:
            vty = os.path.join(self.rundir, daemon + ".vty")
            while not os.path.exists(vty) and time.monotonic() < deadline:
                time.sleep(0.1)
