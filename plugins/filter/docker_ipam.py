# -*- coding: utf-8 -*-
# Copyright (c) 2026, netfabric.core contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function
__metaclass__ = type

# Thin Ansible wrapper around plugins/module_utils/docker_ipam.py; documentation in docker_ipam.yml.

from ansible.errors import AnsibleFilterError

from ansible_collections.netfabric.core.plugins.module_utils.docker_ipam import docker_ipam
from ansible_collections.netfabric.core.plugins.module_utils.ip_plan import PlanError


def docker_ipam_filter(plan, host, skip=0, who='docker_ipam'):
    """Docker IPAM pool (subnet, ip_range = the host's aligned block, gateway, aux_addresses) for one host."""
    try:
        return docker_ipam(plan, host, skip=skip, who=who)
    except PlanError as exc:
        raise AnsibleFilterError(str(exc))


class FilterModule(object):
    """netfabric.core Docker filters."""

    def filters(self):
        return {'docker_ipam': docker_ipam_filter}
