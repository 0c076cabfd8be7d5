# -*- coding: utf-8 -*-
# Copyright (c) 2026, netfabric.core contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark callback: one JSON line per task result, with the seconds since the task started.

Enabled only by the benchmarks (ANSIBLE_CALLBACK_PLUGINS=bench/callback_plugins,
ANSIBLE_CALLBACKS_ENABLED=bench_timer, BENCH_TIMER_OUT=path). A task's time for a host is from
the task start to that host's result: connection, module transfer, interpreter start, the module
itself and the result's processing, i.e. what a task costs in a play.
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import time

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = r"""
name: bench_timer
type: aggregate
short_description: Per-task, per-host durations as JSON lines (netfabric benchmarks only)
description:
  - Writes one JSON object per task result to the file named by E(BENCH_TIMER_OUT).
requirements:
  - E(BENCH_TIMER_OUT) set to a writable path.
"""


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "bench_timer"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self):
        super(CallbackModule, self).__init__()
        self._out = open(os.environ["BENCH_TIMER_OUT"], "a")  # pylint: disable=consider-using-with
        self._task = None
        self._start = None

    def v2_playbook_on_task_start(self, task, is_conditional):
        self._task = task
        self._start = time.perf_counter()

    def _record(self, result, status):
        # A loop's results carry ``ansible_loop_var``; a module's own ``results`` list (network_state's
        # per-item results) is one module run.
        items = result._result.get("results")
        if isinstance(items, list) and not any(isinstance(r, dict) and "ansible_loop_var" in r for r in items):
            items = None
        self._out.write(json.dumps({
            "task": self._task.get_name(),
            "action": self._task.action,
            "host": result._host.get_name(),
            "status": status,
            "changed": bool(result._result.get("changed")),
            "items": len(items) if isinstance(items, list) else 1,
            "seconds": time.perf_counter() - self._start,
        }) + "\n")
        self._out.flush()

    def v2_runner_on_ok(self, result):
        self._record(result, "ok")

    def v2_runner_on_skipped(self, result):
        self._record(result, "skipped")

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._record(result, "failed")

    def v2_runner_on_unreachable(self, result):
        self._record(result, "unreachable")

    def v2_playbook_on_stats(self, stats):
        self._out.close()
