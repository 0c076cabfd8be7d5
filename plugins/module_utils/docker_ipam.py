# -*- coding: utf-8 -*-
# Copyright (c) 2026, netfabric.core contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function
__metaclass__ = type

# Docker IPAM configuration from an ip_plan / tenant_plan result (no Ansible imports).
#
# Docker (which does not use CNI) hands out container addresses from a network's IPAM pool: a subnet, an
# ``ip_range`` inside it, a gateway and ``aux_addresses`` it must never hand out. ``ip_range`` must be one
# CIDR, so only plans of the ``aligned`` layout (every host's block is a CIDR) can be expressed: a ``packed``
# block such as 198.51.100.2-198.51.100.5 cannot. The aligned block may be larger than the host's addresses
# (per_host rounded up to a power of two), and its first addresses may already belong to containers the
# inventory names: both go into ``aux_addresses``, so Docker hands out exactly the host's remaining addresses.

import ipaddress

from ansible_collections.netfabric.core.plugins.module_utils.cni_conflist import free_runs, host_entry
from ansible_collections.netfabric.core.plugins.module_utils.ip_plan import PlanError, parse_subnet

AUX_PREFIX = 'netfabric-'


def check_dockerable(plan, host, entry, who):
    """Refuse what a Docker IPAM pool cannot express: IPv6 (not supported here) and non-CIDR blocks."""
    label = plan.get('name', 'plan')
    if plan.get('family') == 6:
        raise PlanError('%s: %s subnet %s is IPv6; the Docker networks of this collection are IPv4 only'
                        % (who, label, plan['subnet']))
    if plan.get('layout') != 'aligned' or '/' not in entry['block']:
        raise PlanError('%s: %s uses layout %s, so host %s has block %s; Docker takes only a CIDR as ip_range: '
                        'plan it with layout: aligned (every block is then a CIDR)'
                        % (who, label, plan.get('layout'), host, entry['block']))


def docker_ipam(plan, host, skip=0, who='docker_ipam'):
    """The ``ipam_config`` item (community.docker.docker_network) of ``host``'s block in ``plan``.

    ``{subnet, iprange, gateway, aux_addresses}``: ``iprange`` is the host's aligned block, ``aux_addresses``
    every address of it Docker must not hand out (the first ``skip``, held by inventory-named containers, and
    the block's tail beyond per_host), keyed ``netfabric-<address>``. ``gateway`` is the plan's (omitted when
    the plan has none: Docker then picks the subnet's first address).
    """
    entry = host_entry(plan, host, who)
    check_dockerable(plan, host, entry, who)
    subnet = parse_subnet(plan['subnet'], who, 'subnet')
    block = ipaddress.ip_network(entry['block'])
    free = free_runs(entry, skip, host, who)
    gateway = plan.get('gateway')

    def handed_out(value):
        return any(first <= value <= last for first, last in free)

    aux = {}
    for address in block:
        if not handed_out(int(address)) and str(address) != gateway:
            aux[AUX_PREFIX + str(address)] = str(address)
    out = {'subnet': str(subnet), 'iprange': str(block), 'aux_addresses': aux}
    if gateway:
        out['gateway'] = gateway
    return out
