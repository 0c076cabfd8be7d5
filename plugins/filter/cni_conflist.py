# -*- coding: utf-8 -*-
# Copyright (c) 2026, netfabric.core contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function
__metaclass__ = type

# Thin Ansible wrapper around plugins/module_utils/cni_conflist.py; documentation in cni_conflist.yml.

from ansible.errors import AnsibleFilterError

from ansible_collections.netfabric.core.plugins.module_utils.cni_conflist import conflist
from ansible_collections.netfabric.core.plugins.module_utils.ip_plan import PlanError


def cni_conflist_filter(plan, host, name, bridge, mtu=None, routes=None, data_dir=None, skip=0):
    """CNI configuration list (bridge + host-local on this host's block) for one host of a plan."""
    try:
        return conflist(plan, host, name, bridge, mtu=mtu, routes=routes, data_dir=data_dir, skip=skip)
    except PlanError as exc:
        raise AnsibleFilterError(str(exc))


class FilterModule(object):
    """netfabric.core container runtime filters."""

    def filters(self):
        return {'cni_conflist': cni_conflist_filter}
