# -*- coding: utf-8 -*-
# Copyright (c) 2026, netfabric.core contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function
__metaclass__ = type

# The roles check the interface names they will create in their plan step, before any host changes,
# with the same rule the modules apply (module_utils/validate.py): one rule, two places it is asked.

from ansible.errors import AnsibleFilterError

from ansible_collections.netfabric.core.plugins.module_utils import validate
from ansible_collections.netfabric.core.plugins.module_utils.errors import NetfabricError


def ifname_errors(names):
    """Mapping of where-it-comes-from -> interface name; returns one message per invalid name."""
    if not isinstance(names, dict):
        raise AnsibleFilterError("ifname_errors: input must be a mapping of option -> interface name, got %r" % (names,))
    errors = []
    for option, name in names.items():
        try:
            validate.ifname(option, name)
        except NetfabricError as exc:
            errors.append(str(exc))
    return errors


class FilterModule(object):
    def filters(self):
        return {"ifname_errors": ifname_errors}
