# -*- coding: utf-8 -*-
# Copyright (c) 2026, netfabric.core contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function
__metaclass__ = type

# Thin Ansible wrapper around plugins/module_utils/routed.py; documentation in routed_plan.yml, routed_peers.yml, routed_endpoints.yml.

from ansible.errors import AnsibleFilterError

from ansible_collections.netfabric.core.plugins.module_utils import routed
from ansible_collections.netfabric.core.plugins.module_utils.ip_plan import PlanError


def routed_plan_filter(hostvars, hosts, network='10.244.0.0/16', host_prefix=24):
    """One subnet, VTEP address, gateway, VTEP MAC and underlay address per host of a routed overlay."""
    try:
        return routed.plan(hostvars, hosts, network=network, host_prefix=host_prefix)
    except PlanError as exc:
        raise AnsibleFilterError(str(exc))


def routed_peers_filter(plan, me):
    """The routes, neighbour entries, forwarding entries and underlay addresses ``me`` programs."""
    try:
        return routed.peers(plan, me)
    except PlanError as exc:
        raise AnsibleFilterError(str(exc))


def routed_endpoints_filter(plan, me, containers, netns_prefix=''):
    """Host ``me``'s containers with their addresses in its subnet."""
    try:
        return routed.endpoints(plan, me, containers, netns_prefix=netns_prefix)
    except PlanError as exc:
        raise AnsibleFilterError(str(exc))


class FilterModule(object):
    """netfabric.core routed overlay filters."""

    def filters(self):
        return {'routed_plan': routed_plan_filter, 'routed_peers': routed_peers_filter,
                'routed_endpoints': routed_endpoints_filter}
