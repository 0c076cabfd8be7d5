# -*- coding: utf-8 -*-
# Copyright (c) 2026, netfabric.core contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One run at a time per device and network namespace: ``flock`` on a file per (namespace, name).

Two runs converging the same device at once (two plays, a play and a cron job) would each read the
same ``before``, plan against it and interleave their batches: the result is a mix of both lists,
and the loser's read-back blames the kernel. A run holds an exclusive lock on every device it
changes from its first read to its read-back, so the second run starts from what the first left.

The lock files live in ``/run/lock/netfabric`` (tmpfs: nothing survives a reboot, nor needs to). A
namespace is keyed by the identity of its namespace file (device and inode), so a name, a path and
a PID naming the same namespace share their locks. ``flock`` locks die with their process: a run
that is killed never leaves a lock behind.
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import contextlib
import errno
import fcntl
import os
import time

from ansible_collections.netfabric.core.plugins.module_utils.netlink import NetfabricError

LOCK_DIR = "/run/lock/netfabric"
WAIT_SECONDS = 120.0
POLL_SECONDS = 0.05


def lock_path(ns, name):
    dev, ino = ns.identity()
    return os.path.join(LOCK_DIR, "%x-%x-%s.lock" % (dev, ino, name))


def _holder(fd):
    try:
        return os.pread(fd, 64, 0).decode("ascii", "replace").strip() or "unknown"
    except OSError:
        return "unknown"


def _acquire(path, label, wait):
    """An open fd holding an exclusive flock on ``path``, or NetfabricError after ``wait`` seconds."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    deadline = time.monotonic() + wait
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except OSError as exc:
            if exc.errno not in (errno.EAGAIN, errno.EACCES):
                os.close(fd)
                raise
        if time.monotonic() >= deadline:
            holder = _holder(fd)
            os.close(fd)
            raise NetfabricError("%s: another run (pid %s) has been changing it for more than %d s (lock %s); "
                                 "nothing was changed" % (label, holder, wait, path))
        time.sleep(POLL_SECONDS)
    os.ftruncate(fd, 0)
    os.pwrite(fd, ("%d\n" % os.getpid()).encode("ascii"), 0)
    return fd


@contextlib.contextmanager
def held(keys, wait=WAIT_SECONDS):
    """Hold the locks of ``keys`` ((Namespace, name, option) triples) for the ``with`` block, in a fixed order
    (sorted by path) so two runs locking overlapping sets cannot deadlock."""
    if keys:
        try:
            os.makedirs(LOCK_DIR, mode=0o755, exist_ok=True)
        except OSError as exc:
            raise NetfabricError("cannot create the lock directory %s: %s" % (LOCK_DIR, exc.strerror))
    wanted = sorted(set((lock_path(ns, name), "%s: %r" % (option, name)) for ns, name, option in keys))
    fds = []
    try:
        for path, label in wanted:
            fds.append(_acquire(path, label, wait))
        yield
    finally:
        for fd in fds:
            os.close(fd)
