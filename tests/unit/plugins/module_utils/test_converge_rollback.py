# -*- coding: utf-8 -*-
# Copyright (c) 2026, netfabric.core contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""converge: every failure after a change -- an exception of any type in a step, a read-back that does not
show the plan, a refusal inside a one-sendmsg batch -- is rolled back, and ``changed`` tells the truth.

The steps act on a plain dict standing in for the kernel, so the state before and after compares exactly.
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import errno
import json
import struct

import pytest

from ansible_collections.netfabric.core.plugins.module_utils import atomic, converge, rtnl
from ansible_collections.netfabric.core.plugins.module_utils.converge import Plan, Resource, Snapshot, Step, StepsFailed
from ansible_collections.netfabric.core.plugins.module_utils.netlink import NetfabricError


def setter(state, key, value):
    old = state.get(key)
    return Step("set %s=%s" % (key, value), lambda: state.__setitem__(key, value),
                lambda: state.__setitem__(key, old) if old is not None else state.pop(key))


class Fake(Resource):
    """A resource over a dict; ``kernel_ignores`` keys are "applied" but read back unchanged (as pyroute2's
    silently ignored keywords, or the kernel keeping the first destination of a MAC)."""

    def __init__(self, state, desired, kernel_ignores=(), failing=None):
        self.state, self.desired, self.kernel_ignores, self.failing = state, desired, kernel_ignores, failing

    def read(self):
        return Snapshot(dict((k, v) for k, v in self.state.items() if not k.startswith("shadow_")))

    def plan(self, snapshot):
        steps = []
        for key, value in sorted(self.desired.items()):
            target = "shadow_" + key if key in self.kernel_ignores else key
            steps.append(setter(self.state, target, value))
        if self.failing is not None:
            steps.append(Step("explode", self.failing))
        return Plan(dict(snapshot.view, **self.desired), steps)


def test_read_back_mismatch_rolls_back_and_reports_unchanged():
    state = {"mtu": 1500, "up": False}
    before = dict(state)
    with pytest.raises(StepsFailed) as caught:
        Fake(state, {"mtu": 1400, "up": True, "vni": 7}, kernel_ignores=("vni",)).converge(check_mode=False)
    assert state == before
    assert caught.value.changed is False
    assert str(caught.value).startswith("verification after applying failed: the kernel did not apply vni")
    assert "rolled back 3 completed step(s)" in str(caught.value)


@pytest.mark.parametrize("exc", [TypeError("unsupported operand"), KeyError("IFLA_MASTER"), ValueError("x"),
                                 AttributeError("NoneType"), OSError(errno.EPERM, "Operation not permitted"),
                                 NetfabricError("mine")], ids=lambda e: type(e).__name__)
def test_exception_of_any_type_in_a_step_rolls_back(exc):
    state = {"mtu": 1500}

    def explode():
        raise exc
    with pytest.raises(StepsFailed) as caught:
        Fake(state, {"mtu": 1400, "up": True}, failing=explode).converge(check_mode=False)
    assert state == {"mtu": 1500}
    assert caught.value.changed is False
    message = str(caught.value)
    assert message.startswith("explode failed: ") and "rolled back 2 completed step(s)" in message, message
    if not isinstance(exc, (OSError, NetfabricError)):
        assert "unexpected %s" % type(exc).__name__ in message


def test_a_step_without_undo_makes_the_failure_changed():
    state = {}
    steps = [Step("irreversible", lambda: state.__setitem__("a", 1)), Step("boom", lambda: 1 / 0)]
    with pytest.raises(StepsFailed) as caught:
        converge.apply_steps(steps)
    assert caught.value.changed is True and "kept (no undo): irreversible" in str(caught.value)


def test_a_failing_undo_makes_the_failure_changed():
    def bad_undo():
        raise OSError(errno.ENODEV, "No such device")
    steps = [Step("first", lambda: None, bad_undo), Step("boom", lambda: {}["missing"])]
    with pytest.raises(StepsFailed) as caught:
        converge.apply_steps(steps)
    assert caught.value.changed is True and "rollback FAILED for: first" in str(caught.value)


class Module:
    """Just enough of AnsibleModule for converge.run()."""
    params = {}
    check_mode = False
    _diff = False

    def fail_json(self, **kwargs):
        raise SystemExit(json.dumps(dict(kwargs, failed=True)))

    def exit_json(self, **kwargs):
        raise SystemExit(json.dumps(kwargs))


def test_run_reports_an_unexpected_exception_as_a_message_and_honest_changed():
    state = {"mtu": 1500}

    def build(_params):
        return Fake(state, {"mtu": 1400}, failing=lambda: None + 1)
    with pytest.raises(SystemExit) as caught:
        converge.run(Module(), build)
    result = json.loads(str(caught.value))
    assert result["failed"] is True and result["changed"] is False
    assert "unexpected TypeError" in result["msg"] and "rolled back 1 completed step(s)" in result["msg"]
    assert state == {"mtu": 1500}


class FakeSocket:
    """Acks a one-sendmsg batch, refusing the messages at ``refuse`` (positions) with ``code``."""

    def __init__(self, refuse, code=errno.ENETUNREACH):
        self.refuse, self.code, self.answers = refuse, code, []

    def send(self, data):
        acks = b""
        for position, (_offset, _length, _type, seq) in enumerate(rtnl.messages(data)):
            code = -self.code if position in self.refuse else 0
            body = struct.pack("=i", code) + bytes(16)
            acks += rtnl.NLMSGHDR.pack(rtnl.NLMSGHDR.size + len(body), rtnl.NLMSG_ERROR, 0, seq, 0) + body
        self.answers.append(acks)

    def recv(self, _size):
        return self.answers.pop(0)


class FakeNs:
    def __init__(self, sock):
        self.raw = sock


def parts_over(state, keys):
    parts = []
    for key in keys:
        step = setter(state, key, True)
        step.request = (lambda key=key: ("link", "set", {"index": 1, "mtu": 1400}))
        parts.append(step)
    return parts


def test_one_request_refused_half_way_undoes_the_applied_parts():
    pytest.importorskip("pyroute2")
    # the fake kernel "applies" a part by running its do(): parts 0, 1 and 3 applied, 2 refused
    state = {}
    parts = parts_over(state, ["enslave", "route", "address", "other"])
    for index in (0, 1, 3):
        parts[index].do()
    step = atomic.one_request(FakeNs(FakeSocket(refuse={2})), parts)
    with pytest.raises(NetfabricError) as caught:
        step.do()
    assert state == {}, "the applied parts were not undone"
    assert str(caught.value).startswith("set address=True failed: [Errno 101]")
    assert "3 of 4 changes of this request applied and undone" in str(caught.value)
    assert step.texts == ["set enslave=True", "set route=True", "set address=True", "set other=True"]
