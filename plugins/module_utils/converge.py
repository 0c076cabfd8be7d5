# -*- coding: utf-8 -*-
# Copyright (c) 2026, netfabric.core contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one loop every module runs: read actual state -> plan -> apply unless check mode -> verify.

A resource (bridge, port, veth pair, VTEP, fdb list, namespace) implements three methods:
``read()`` returns the managed state as a plain dict (what ``diff.before`` shows), ``plan(before)``
returns the desired state and the ordered steps that get there, and optionally ``verify_keys``.
Each step carries its own undo, so a failure half way -- an exception of any type, or a read-back
that does not show the plan -- rolls every completed step back. A step that destroys state captures
what it destroys when it runs (snapshot.py), so its undo can put it back.
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import traceback

from ansible.module_utils.basic import missing_required_lib
from ansible_collections.netfabric.core.plugins.module_utils import locking
from ansible_collections.netfabric.core.plugins.module_utils.netlink import (
    NetfabricError, NetlinkError, PYROUTE2_IMPORT_ERROR, describe)


class Step:
    """One change: ``do()`` applies it, ``undo()`` (optional) reverts it. ``text`` names it."""

    def __init__(self, text, do, undo=None):
        self.text = text
        self.texts = [text]  # what ``actions`` lists: a step made of several changes lists each
        self.do = do
        self.undo = undo

    def __repr__(self):
        return "Step(%s)" % self.text


class StepsFailed(NetfabricError):
    """A failure after some steps ran; ``changed`` says whether the host still differs from before."""

    def __init__(self, message, changed):
        super(StepsFailed, self).__init__(message)
        self.changed = changed


def explain(exc):
    """Text for any exception: netlink/OS/own errors as themselves, anything else with its type."""
    if isinstance(exc, (NetlinkError, OSError, NetfabricError)):
        return describe(exc)
    return "unexpected %s: %s" % (type(exc).__name__, exc)


def roll_back(done, failure):
    """Undo ``done`` in reverse and return a StepsFailed for ``failure`` that tells how that went.

    The host is unchanged only when every completed step had an undo and every undo worked: only
    then does the failure report ``changed: false``.
    """
    failures, kept = [], []
    for prior in reversed(done):
        if prior.undo is None:
            kept.append(prior.text)
            continue
        try:
            prior.undo()
        except Exception as undo_exc:  # keep undoing: every reverted step counts
            failures.append("%s (%s)" % (prior.text, explain(undo_exc)))
    rolled = "rolled back %d completed step(s)" % (len(done) - len(kept))
    if failures:
        rolled += "; rollback FAILED for: " + "; ".join(failures)
    if kept:
        rolled += "; kept (no undo): " + "; ".join(kept)
    return StepsFailed("%s; %s" % (failure, rolled), changed=bool(failures or kept))


def apply_steps(steps):
    """Run steps in order and return them; on any failure undo the completed ones in reverse, then raise."""
    done = []
    for step in steps:
        try:
            step.do()
        except Exception as exc:  # of any type: a TypeError half way must not leave half a change
            raise roll_back(done, "%s failed: %s" % (step.text, explain(exc)))
        done.append(step)
    return done


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

    def lock_keys(self):
        """(Namespace, name, option) of what this run changes: run() serializes runs on them (locking.py)."""
        return []

    def converge(self, check_mode):
        return self.converge_steps(check_mode)[0]

    def converge_steps(self, check_mode):
        """Converge and return ``(result, done)``: ``done`` are the applied steps, newest last, so a caller
        that converges several resources in one run (a whole host) can undo them after a later failure."""
        before = self.read()
        after, steps = self.plan(before)
        applied, done = [], []
        if steps and not check_mode:
            done = apply_steps(steps)
            try:
                actual = self.read()
                self.verify(after, actual)
            except Exception as exc:  # a change the kernel did not take as planned is undone like a failed step
                raise roll_back(done, "verification after applying failed: %s" % explain(exc))
            applied = [text for step in done for text in step.texts]
            after = actual
        result = dict(changed=bool(steps), diff=dict(before=before, after=after),
                      actions=[text for step in steps for text in step.texts])
        if not check_mode:
            result["actions"] = applied
        result.update(self.result(after))
        return result, done


def run(module, build):
    """Module entry: ``build(params)`` validates and returns a Resource; errors become fail_json."""
    if PYROUTE2_IMPORT_ERROR is not None:
        module.fail_json(msg=missing_required_lib("pyroute2", reason="to manage links over netlink")
                         + " (pip install 'pyroute2>=0.9')", exception=PYROUTE2_IMPORT_ERROR)
    resource = None
    try:
        resource = build(module.params)
        resource.diff_wanted = bool(module._diff)
        with locking.held(resource.lock_keys()):
            result = resource.converge(module.check_mode)
    except NetfabricError as exc:
        module.fail_json(msg=str(exc), changed=getattr(exc, "changed", False))
    except NetlinkError as exc:
        module.fail_json(msg="netlink request failed: %s" % describe(exc), exception=traceback.format_exc())
    except Exception as exc:  # a bug or an unforeseen input: a message, not a traceback on stdout
        module.fail_json(msg=explain(exc), exception=traceback.format_exc())
    finally:
        if resource is not None:
            resource.close()
    if not module._diff:
        result.pop("diff")
    module.exit_json(**result)
