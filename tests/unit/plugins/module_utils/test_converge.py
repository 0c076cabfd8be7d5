# -*- coding: utf-8 -*-
# Copyright (c) 2026, netfabric.core contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""converge: the order of reads, steps and undos, check mode, and the module entry -- with fake steps.

Every step writes to a journal, so the tests judge the exact sequence the core ran; no kernel involved.
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import errno

import pytest

from ansible_collections.netfabric.core.plugins.module_utils import converge
from ansible_collections.netfabric.core.plugins.module_utils.converge import Plan, Resource, Snapshot, Step
from ansible_collections.netfabric.core.plugins.module_utils.errors import NetfabricError


def journaled(journal, name, fail=False, undo=True, undo_fails=False):
    def do():
        journal.append("do " + name)
        if fail:
            raise OSError(errno.EBUSY, "busy")

    def undo_it():
        journal.append("undo " + name)
        if undo_fails:
            raise OSError(errno.EPERM, "not permitted")
    return Step("step " + name, do, undo_it if undo else None)


class Journaled(Resource):
    """A resource whose state is a dict; every read and plan is journaled next to the steps."""

    def __init__(self, journal, state, steps_for):
        self.journal, self.state, self.steps_for = journal, state, steps_for

    def read(self):
        self.journal.append("read")
        return Snapshot(dict(self.state))

    def plan(self, snapshot):
        self.journal.append("plan")
        desired, steps = self.steps_for(self)
        return Plan(desired, steps)


def setting(resource, key, value):
    old = resource.state.get(key)

    def do():
        resource.journal.append("do %s=%s" % (key, value))
        resource.state[key] = value

    def undo():
        resource.journal.append("undo %s=%s" % (key, value))
        resource.state[key] = old
    return Step("set %s=%s" % (key, value), do, undo)


def test_steps_run_in_plan_order_then_one_read_back():
    journal = []
    res = Journaled(journal, {"a": 0, "b": 0},
                    lambda r: ({"a": 1, "b": 2}, [setting(r, "a", 1), setting(r, "b", 2)]))
    result = res.converge(check_mode=False)
    assert journal == ["read", "plan", "do a=1", "do b=2", "read"]
    assert result["changed"] is True
    assert result["actions"] == ["set a=1", "set b=2"]
    assert result["diff"] == {"before": {"a": 0, "b": 0}, "after": {"a": 1, "b": 2}}


def test_no_steps_reads_once_and_reports_unchanged():
    journal = []
    res = Journaled(journal, {"a": 1}, lambda r: ({"a": 1}, []))
    result = res.converge(check_mode=False)
    assert journal == ["read", "plan"]
    assert result["changed"] is False and result["actions"] == []


def test_check_mode_plans_but_runs_no_step():
    journal = []
    res = Journaled(journal, {"a": 0}, lambda r: ({"a": 1}, [setting(r, "a", 1)]))
    result = res.converge(check_mode=True)
    assert journal == ["read", "plan"]
    assert res.state == {"a": 0}
    assert result["changed"] is True and result["actions"] == ["set a=1"]
    assert result["diff"]["after"] == {"a": 1}


def test_failure_undoes_completed_steps_newest_first():
    journal = []
    steps = [journaled(journal, "1"), journaled(journal, "2"), journaled(journal, "3", fail=True),
             journaled(journal, "4")]
    with pytest.raises(NetfabricError) as caught:
        converge.apply_steps(steps)
    assert journal == ["do 1", "do 2", "do 3", "undo 2", "undo 1"]  # 3 failed, 4 never ran
    message = str(caught.value)
    assert message.startswith("step 3 failed: [Errno 16]"), message
    assert "rolled back 2 completed step(s)" in message


def test_a_step_without_undo_is_skipped_and_a_failing_undo_does_not_stop_the_others():
    journal = []
    steps = [journaled(journal, "1"), journaled(journal, "2", undo_fails=True), journaled(journal, "3", undo=False),
             journaled(journal, "4", fail=True)]
    with pytest.raises(NetfabricError) as caught:
        converge.apply_steps(steps)
    assert journal == ["do 1", "do 2", "do 3", "do 4", "undo 2", "undo 1"]
    assert "rollback FAILED for: step 2 ([Errno 1]" in str(caught.value)


def test_a_read_back_that_differs_from_the_plan_is_an_error_naming_the_key():
    journal = []

    def plan(r):  # the "kernel" ignores b: the step runs but the state keeps the old value
        return {"a": 1, "b": 2}, [setting(r, "a", 1), Step("set b=2", lambda: journal.append("do b=2"))]
    res = Journaled(journal, {"a": 0, "b": 0}, plan)
    with pytest.raises(NetfabricError) as caught:
        res.converge(check_mode=False)
    assert "the kernel did not apply b: expected {'b': 2}, found {'b': 0}" in str(caught.value)


class FakeModule:
    """What converge.run uses of AnsibleModule; exit_json/fail_json end the run as in Ansible."""

    def __init__(self, params, check_mode=False, diff=False):
        self.params, self.check_mode, self._diff = params, check_mode, diff
        self.exited = self.failed = None

    def exit_json(self, **result):
        self.exited = result
        raise SystemExit(0)

    def fail_json(self, **result):
        self.failed = result
        raise SystemExit(1)


def test_run_reports_a_validation_error_as_the_message_and_closes_nothing_it_did_not_build():
    def build(params):
        raise NetfabricError("mtu: must be between 68 and 65535, got 10")
    module = FakeModule({"mtu": 10})
    with pytest.raises(SystemExit):
        converge.run(module, build)
    assert module.failed["msg"] == "mtu: must be between 68 and 65535, got 10"
    assert module.exited is None


def test_run_closes_the_resource_and_drops_the_diff_outside_diff_mode():
    journal = []
    closed = []
    res = Journaled(journal, {"a": 0}, lambda r: ({"a": 1}, [setting(r, "a", 1)]))
    res.close = lambda: closed.append(True)
    module = FakeModule({}, check_mode=False, diff=False)
    with pytest.raises(SystemExit):
        converge.run(module, lambda params: res)
    assert closed == [True]
    assert module.exited["changed"] is True and "diff" not in module.exited
    assert module.exited["actions"] == ["set a=1"]
