# -*- coding: utf-8 -*-
# Copyright (c) 2026, netfabric.core contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one loop every module runs: validate -> read -> check -> plan -> apply unless check mode -> verify.

A resource (bridge, port, veth pair, VTEP, fdb list, namespace, ...) validates its parameters when it
is built, and implements:

- ``read()``: one reading of the kernel, returned as a value, a ``Snapshot``: ``view`` (the managed
  state as ``diff.before`` shows it) and, as attributes, the kernel facts the plan needs;
- ``check(snapshot)`` (optional): refusals that need the kernel's state, before any change;
- ``plan(snapshot)``: a ``Plan`` -- the desired view (``after``), the ordered steps that get there,
  and what the read-back must show (``verify``) -- computed from the snapshot alone: no kernel read
  happens outside ``read()``. Steps resolve ifindexes when they run (that is applying, not planning).

Each step carries its own undo, so a failure half way -- an exception of any type, or a read-back
that does not show the plan -- rolls every completed step back. A step that destroys state captures
what it destroys when it runs (snapshot.py), so its undo can put it back.
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import collections
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


class Snapshot:
    """What ``read()`` returns: ``view``, the managed state as ``diff.before`` shows it, and the kernel
    facts ``plan()`` works from as attributes (``Snapshot(view, links=table)``: ``snap.links``).
    ``values`` are return values the reading decides (an ifindex)."""

    def __init__(self, view, values=None, **facts):
        self.view = view
        self.values = values or {}
        self.facts = facts
        for name, value in facts.items():
            setattr(self, name, value)

    def observed(self, key):
        """What verification compares for ``key``: the view's entry, else the fact of that name (an fdb
        entry set, which the view shows as a count outside diff mode)."""
        view = self.view or {}
        if key in view:
            return view[key]
        return self.facts.get(key)


class Plan(collections.namedtuple("Plan", "after steps verify values what")):
    """What ``plan(snapshot)`` returns.

    ``after``: the desired view (``diff.after``); ``steps``: in order; ``verify``: what the read-back
    must show, as {key: expected value} over Snapshot.observed(), or None for "the whole view equals
    ``after``"; ``values``: return values the plan decides; ``what``: how a set-valued mismatch is
    named ("fdb change on vx0").
    """

    __slots__ = ()

    def __new__(cls, after, steps, verify=None, values=None, what=None):
        return super(Plan, cls).__new__(cls, after, list(steps), verify, values or {}, what)


def expect(after, keys):
    """A Plan's ``verify`` that checks ``keys`` of the planned view."""
    return dict((key, after.get(key)) for key in keys)


def _listed(items):
    """Up to five elements of a set, in a stable order, as the user wrote them (``as_dict``)."""
    ordered = sorted(items, key=lambda item: tuple((v is not None, v) for v in item) if isinstance(item, tuple) else repr(item))
    return [item.as_dict() if hasattr(item, "as_dict") else item for item in ordered[:5]]


def verify(plan, snapshot):
    """After applying, the kernel must show what was planned: pyroute2 ignores unknown keywords, the
    kernel keeps the first destination of a MAC, ... ``plan.verify`` says what to compare."""
    if plan.verify is None:
        expected, actual = plan.after, snapshot.view or {}
    else:
        expected = plan.verify
        actual = dict((key, snapshot.observed(key)) for key in expected)
    wrong = sorted(k for k in set(expected) | set(actual) if expected.get(k) != actual.get(k))
    if not wrong:
        return
    sets = [k for k in wrong if isinstance(expected.get(k), (set, frozenset))]
    if sets:
        want, have = expected[sets[0]], actual.get(sets[0]) or set()
        raise NetfabricError("the kernel did not apply the %s: missing %s, unexpected %s"
                             % (plan.what or sets[0], _listed(want - have), _listed(have - want)))
    raise NetfabricError("the kernel did not apply %s: expected %r, found %r"
                         % (", ".join(wrong), dict((k, expected.get(k)) for k in wrong),
                            dict((k, actual.get(k)) for k in wrong)))


class Resource:
    """Base class; subclasses validate their parameters and set ``self.ns`` (or several) in ``__init__``."""

    diff_wanted = True  # run() sets it from the task (diff mode): a resource may then skip a large view

    def read(self):
        """The kernel's state as a Snapshot."""
        raise NotImplementedError

    def check(self, snapshot):
        """Refuse, before any change, what the kernel's state makes impossible (NetfabricError)."""

    def plan(self, snapshot):
        """A Plan computed from ``snapshot`` alone."""
        raise NotImplementedError

    def close(self):
        """Release netlink sockets."""

    def result(self, after):
        """Extra return values derived from the final view, besides those of the snapshot and the plan."""
        return {}

    def lock_keys(self):
        """(Namespace, name, option) of what this run changes: run() serializes runs on them (locking.py)."""
        return []

    def converge(self, check_mode):
        return self.converge_steps(check_mode)[0]

    def converge_steps(self, check_mode):
        """Converge and return ``(result, done)``: ``done`` are the applied steps, newest last, so a caller
        that converges several resources in one run (a whole host) can undo them after a later failure."""
        snapshot = self.read()
        self.check(snapshot)
        plan = self.plan(snapshot)
        before, after, steps = snapshot.view, plan.after, plan.steps
        applied, done, final = [], [], snapshot
        if steps and not check_mode:
            done = apply_steps(steps)
            try:
                final = self.read()
                verify(plan, final)
            except Exception as exc:  # a change the kernel did not take as planned is undone like a failed step
                raise roll_back(done, "verification after applying failed: %s" % explain(exc))
            applied = [text for step in done for text in step.texts]
            after = final.view
        result = dict(changed=bool(steps), diff=dict(before=before, after=after),
                      actions=[text for step in steps for text in step.texts])
        if not check_mode:
            result["actions"] = applied
        result.update(final.values)
        result.update(plan.values)
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
