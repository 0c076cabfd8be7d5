# -*- coding: utf-8 -*-
# Copyright (c) 2026, netfabric.core contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The collection's exceptions and its one wording for a missing link or a link of the wrong kind.

This module imports nothing on purpose: controller-side code (filters, validate.py) raises and
catches these without loading netlink.py, which installs pyroute2 import stubs into ``sys.modules``.
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type


class NetfabricError(Exception):
    """A failure to report to the user as-is: the message already names option and value."""


class PlanError(ValueError):
    """A plan cannot be made; the message names the option and the offending value."""


def no_such_link(option, name):
    """The message for ``option`` naming a link that is not in the namespace."""
    return "%s: no link named %r in this network namespace" % (option, name)


def wrong_kind(option, name, kind, expected, hint=""):
    """The message for ``option`` naming link ``name`` of ``kind`` (None: a device without kind)
    where a link of kind ``expected`` ("bridge", "vxlan device", ...) is needed; ``hint`` says what to do."""
    text = "%s: link %r is a %s, not a %s" % (option, name, kind or "device without kind", expected)
    return "%s; %s" % (text, hint) if hint else text
