# -*- coding: utf-8 -*-
# Copyright (c) 2026, netfabric.core contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function
__metaclass__ = type

# Thin Ansible wrappers around plugins/module_utils/ip_plan.py. The documentation of each filter lives
# next to this file: ip_plan.yml, ip_plan_report.yml, vtep_peers.yml, tenant_plan.yml.

from ansible.errors import AnsibleFilterError
from ansible.utils.display import Display

from ansible_collections.netfabric.core.plugins.module_utils.ip_plan import (
    PlanError,
    peers,
    plan,
    report,
    tenant_plan,
)

display = Display()


def _warn(result):
    if result.get('warning'):
        display.warning('netfabric.core: %s' % result['warning'])


def ip_plan_filter(subnet, hosts, per_host=1, reserved=None, gateway=None, pinned=None, warn_at=0.8,
                   layout='packed', addresses=True, name='underlay'):
    """Plan container addresses for hosts in an underlay (or any) subnet."""
    try:
        result = plan(subnet, hosts, per_host=per_host, reserved=reserved, gateway=gateway, pinned=pinned,
                      warn_at=warn_at, layout=layout, addresses=addresses, name=name)
    except PlanError as exc:
        raise AnsibleFilterError(str(exc))
    _warn(result)
    return result


def tenant_plan_filter(tenants, hosts, underlay=None, per_host=1, reserved=None, gateway=None, pinned=None,
                       warn_at=0.8, layout='packed', addresses=True):
    """Plan every overlay tenant; refuse overlapping subnets and duplicate VNIs."""
    try:
        result = tenant_plan(tenants, hosts, underlay=underlay, per_host=per_host, reserved=reserved, gateway=gateway,
                             pinned=pinned, warn_at=warn_at, layout=layout, addresses=addresses)
    except PlanError as exc:
        raise AnsibleFilterError(str(exc))
    for item in result.values():
        _warn(item)
    return result


def ip_plan_report_filter(plans, warn_at=None):
    """Rows pool/used/free/percent/warn for one or several plans."""
    try:
        return report(plans, warn_at=warn_at)
    except PlanError as exc:
        raise AnsibleFilterError(str(exc))


def vtep_peers_filter(data, me, key=None, hosts=None):
    """The other hosts' VTEP addresses for host ``me``, sorted."""
    try:
        return peers(data, me, key=key, hosts=hosts)
    except PlanError as exc:
        raise AnsibleFilterError(str(exc))


class FilterModule(object):
    """netfabric.core IP planning filters."""

    def filters(self):
        return {
            'ip_plan': ip_plan_filter,
            'ip_plan_report': ip_plan_report_filter,
            'tenant_plan': tenant_plan_filter,
            'vtep_peers': vtep_peers_filter,
        }
