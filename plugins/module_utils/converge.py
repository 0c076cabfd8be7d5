# -*- coding: utf-8 -*-
# Copyright (c) 2026, netfabric.core contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one loop every module runs: read actual state -> plan -> apply unless check mode -> verify.

A resource (bridge, port, veth pair, VTEP, fdb list, namespace) implements three methods:
``read()`` returns the managed state as a plain dict (what ``diff.before`` shows), ``plan(before)``
returns the desired state and the ordered steps that get there, and optionally ``verify_keys``.
Each step carries its own undo, so a failure half way rolls every completed step back.
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import traceback

from ansible.module_utils.basic import missing_required_lib
from ansible_collections.netfabric.core.plugins.module_utils.netlink import (
    NetfabricError, NetlinkError, PYROUTE2_IMPORT_ERROR, describe)


class Step:
    """One change: ``do()`` applies it, ``undo()`` (optional) reverts it. ``text`` names it."""

    def __init__(self, text, do, undo=None):
        self.text = text
        self.do = do
        self.undo = undo

    def __repr__(self):
        return "Step(%s)" % self.text


def apply_steps(steps):
    """Run steps in order; on failure undo the completed ones in reverse, then raise."""
    done = []
    for step in steps:
        try:
            step.do()
        except (NetlinkError, OSError, NetfabricError) as exc:
            failures = []
            for prior in reversed(done):
                if prior.undo is None:
                    continue
                try:
                    prior.undo()
                except Exception as undo_exc:  # keep undoing: every reverted step counts
                    failures.append("%s (%s)" % (prior.text, describe(undo_exc)))
            rolled = "rolled back %d completed step(s)" % len(done)
            if failures:
                rolled += "; rollback FAILED for: " + "; ".join(failures)
            raise NetfabricError("%s failed: %s; %s" % (step.text, describe(exc), rolled))
        done.append(step)
    return [step.text for step in done]


class Resource:
    """Base class; subclasses set ``self.ns`` (or several) in ``__init__`` after validation."""

    diff_wanted = True  # run() sets it from the task (diff mode): a resource may then skip a large view

    def read(self):
        raise NotImplementedError

    def plan(self, before):
        raise NotImplementedError

    def close(self):
        """Release netlink sockets."""

    def result(self, after):
        """Extra return values besides changed/diff."""
        return {}

    def verify(self, expected, actual):
        """After applying, the kernel must show what was planned: pyroute2 ignores unknown keywords."""
        if expected != actual:
            wrong = sorted(k for k in set(expected) | set(actual) if expected.get(k) != actual.get(k))
            raise NetfabricError("the kernel did not apply %s: expected %r, found %r"
                                 % (", ".join(wrong), dict((k, expected.get(k)) for k in wrong),
                                    dict((k, actual.get(k)) for k in wrong)))

    def converge(self, check_mode):
        before = self.read()
        after, steps = self.plan(before)
        applied = []
        if steps and not check_mode:
            applied = apply_steps(steps)
            actual = self.read()
            self.verify(after, actual)
            after = actual
        result = dict(changed=bool(steps), diff=dict(before=before, after=after), actions=[s.text for s in steps])
        if not check_mode:
            result["actions"] = applied
        result.update(self.result(after))
        return result


def run(module, build):
    """Module entry: ``build(params)`` validates and returns a Resource; errors become fail_json."""
    if PYROUTE2_IMPORT_ERROR is not None:
        module.fail_json(msg=missing_required_lib("pyroute2", reason="to manage links over netlink")
                         + " (pip install 'pyroute2>=0.9')", exception=PYROUTE2_IMPORT_ERROR)
    resource = None
    try:
        resource = build(module.params)
        resource.diff_wanted = bool(module._diff)
        result = resource.converge(module.check_mode)
    except NetfabricError as exc:
        module.fail_json(msg=str(exc))
    except NetlinkError as exc:
        module.fail_json(msg="netlink request failed: %s" % describe(exc), exception=traceback.format_exc())
    finally:
        if resource is not None:
            resource.close()
    if not module._diff:
        result.pop("diff")
    module.exit_json(**result)
