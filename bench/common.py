# -*- coding: utf-8 -*-
# Copyright (c) 2026, netfabric.core contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Helpers shared by the benchmarks: commands, medians, tables, names, machine facts.

Every namespace a benchmark creates is named ``nfb<4 hex>-...`` (unique per run) and removed in a
``finally``: see ``Namespaces``.
"""
from __future__ import absolute_import, division, print_function

import json
import os
import platform
import resource
import secrets
import signal
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
COLLECTIONS = os.path.join(REPO, ".build", "collections")
VENV_BIN = os.path.dirname(sys.executable)


def exit_on_sigterm():
    """Turn SIGTERM into SystemExit, so the ``finally`` blocks that remove namespaces and labs run."""
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))


def unique_prefix():
    """``nfb`` + 4 hex digits: no other benchmark run, test run or lab can hold the same names."""
    return "nfb" + secrets.token_hex(2)


def link_collection():
    """Make ``ansible_collections.netfabric.core`` importable from the checkout (as ``make link``)."""
    target = os.path.join(COLLECTIONS, "ansible_collections", "netfabric", "core")
    if not os.path.exists(target):
        os.makedirs(os.path.dirname(target), exist_ok=True)
        os.symlink(REPO, target)
    if COLLECTIONS not in sys.path:
        sys.path.insert(0, COLLECTIONS)


def run(argv, stdin=None, check=True, env=None, timeout=1800):
    """Run a command, return the CompletedProcess (text mode); raise with its stderr when it fails."""
    proc = subprocess.run(argv, input=stdin, capture_output=True, text=True, env=env, timeout=timeout, check=False)
    if check and proc.returncode != 0:
        raise RuntimeError("%s failed (%d): %s" % (" ".join(argv[:6]), proc.returncode,
                                                   (proc.stderr or proc.stdout)[-2000:]))
    return proc


def timed(action):
    """(seconds, result) of ``action()``, wall clock."""
    start = time.perf_counter()
    result = action()
    return time.perf_counter() - start, result


def timed_cpu(action):
    """(wall seconds, CPU seconds, result) of ``action()``.

    CPU is user + system time of this process and of the child processes it waited for, so the
    kernel's netlink work (done in the requesting process) counts on both sides. On a shared
    machine wall time includes waiting for a core; CPU time does not.
    """
    def cpu():
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        return time.process_time() + children.ru_utime + children.ru_stime
    start_cpu, start = cpu(), time.perf_counter()
    result = action()
    return time.perf_counter() - start, cpu() - start_cpu, result


def module_params(spec, params):
    """``params`` as AnsibleModule hands them to a module (defaults filled, types converted): a benchmark that
    builds a resource in-process keeps working when the module gains an option."""
    from ansible.module_utils.common.arg_spec import ArgumentSpecValidator  # pylint: disable=import-outside-toplevel
    result = ArgumentSpecValidator(spec).validate(params)
    if result.error_messages:
        raise RuntimeError("; ".join(result.error_messages))
    return result.validated_parameters


def timed_converge(build):
    """(wall, CPU, result) of ``build().converge(False)`` in this process, without diff mode (as a plain
    playbook run), the resource closed afterwards: a module's work without Ansible around it."""
    def converge():
        resource = build()
        resource.diff_wanted = False
        try:
            return resource.converge(False)
        finally:
            resource.close()
    return timed_cpu(converge)


def timed_module(path, payload):
    """(wall, CPU, result) of the module file run as Ansible runs it: a fresh interpreter reading its
    JSON arguments (``payload``, without the _ansible_ keys: no check mode, no diff)."""
    payload = dict(payload, _ansible_check_mode=False, _ansible_diff=False)
    env = dict(os.environ, PYTHONPATH=COLLECTIONS)
    wall, cpu, proc = timed_cpu(lambda: run([sys.executable, path], env=env, check=False,
                                            stdin=json.dumps({"ANSIBLE_MODULE_ARGS": payload})))
    try:
        return wall, cpu, json.loads(proc.stdout)
    except ValueError:
        raise RuntimeError("%s printed no JSON (rc=%d): %s"
                           % (os.path.basename(path), proc.returncode, proc.stderr[-2000:]))


def median(values):
    return statistics.median(values) if values else float("nan")


def ratio(value, base):
    return value / base if base else float("nan")


class Namespaces:
    """Throwaway network namespaces ``<prefix>-<suffix>``, all deleted by ``close()`` (use ``with``)."""

    def __init__(self, prefix):
        self.prefix = prefix
        self.names = []

    def add(self, suffix):
        name = "%s-%s" % (self.prefix, suffix)
        run(["ip", "netns", "add", name])
        self.names.append(name)
        return name

    def close(self):
        for name in reversed(self.names):
            run(["ip", "netns", "del", name], check=False)
        self.names = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def render(head, rows, markdown=False):
    """A table of strings: Markdown, or aligned text for the terminal (numbers right-aligned)."""
    rows = [[str(cell) for cell in row] for row in rows]
    numeric = [all(_is_number(row[i]) for row in rows) if rows else False for i in range(len(head))]
    if markdown:
        lines = ["| " + " | ".join(head) + " |",
                 "|" + "|".join("---:" if num else "---" for num in numeric) + "|"]
        return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in rows])
    widths = [max([len(h)] + [len(row[i]) for row in rows]) for i, h in enumerate(head)]

    def line(cells):
        return "  ".join(c.rjust(w) if num else c.ljust(w) for c, w, num in zip(cells, widths, numeric)).rstrip()
    return "\n".join([line(head), "  ".join("-" * w for w in widths)] + [line(row) for row in rows])


def _is_number(text):
    text = text.replace(",", "").split(" (")[0].rstrip("x%s").lstrip("~")
    try:
        float(text)
        return True
    except ValueError:
        return text in ("", "-", "n/a")


def seconds(value):
    return "%.3f" % value


def times(value):
    return "%.2fx" % value


def machine():
    """What the figures were measured on."""
    def first_line(argv):
        try:
            return run(argv, check=False).stdout.strip().splitlines()[0]
        except (OSError, IndexError):
            return "n/a"
    try:
        from ansible.release import __version__ as ansible_version
    except ImportError:
        ansible_version = "n/a"
    return {
        "cpus": os.cpu_count(),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "ansible-core": ansible_version,
        "pyroute2": first_line([sys.executable, "-c", "import pyroute2; print(pyroute2.__version__)"]),
        "iproute2": first_line(["ip", "-V"]),
        "load average": "%.2f %.2f %.2f" % os.getloadavg(),
    }
