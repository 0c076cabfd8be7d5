# -*- coding: utf-8 -*-
# Copyright (c) 2026, netfabric.core contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""docker_ipam: the Docker IPAM pool of one host's block, against plans made by ip_plan/tenant_plan."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import ipaddress
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

REPO = Path(__file__).resolve().parents[4]

from ansible.errors import AnsibleFilterError

from ansible_collections.netfabric.core.plugins.filter.docker_ipam import docker_ipam_filter as docker_ipam
from ansible_collections.netfabric.core.plugins.module_utils.ip_plan import PlanError, plan, tenant_plan

HOSTS = ['h1', 'h2', 'h3']


def hands_out(pool):
    """What Docker may hand out: the ip_range minus the aux addresses and the gateway, as ints."""
    taken = {int(ipaddress.ip_address(a)) for a in pool['aux_addresses'].values()}
    taken.add(int(ipaddress.ip_address(pool.get('gateway', '0.0.0.0'))))
    return {int(a) for a in ipaddress.ip_network(pool['iprange'])} - taken


def addresses(result, host):
    return [int(ipaddress.ip_interface(a).ip) for a in result['hosts'][host]['addresses']]


def test_aligned_block_minus_inventory_containers_and_tail():
    tenants = tenant_plan([{'name': 'blue', 'vni': 100, 'subnet': '198.51.100.0/24'}], HOSTS, per_host=6, layout='aligned')
    pool = docker_ipam(tenants['blue'], 'h2', skip=2)
    assert pool == {
        'subnet': '198.51.100.0/24', 'iprange': '198.51.100.16/29', 'gateway': '198.51.100.1',
        'aux_addresses': {'netfabric-198.51.100.16': '198.51.100.16', 'netfabric-198.51.100.17': '198.51.100.17',
                          'netfabric-198.51.100.22': '198.51.100.22', 'netfabric-198.51.100.23': '198.51.100.23'}}


@settings(max_examples=60, deadline=None)
@given(per_host=st.integers(1, 40), skip=st.integers(0, 39), host=st.sampled_from(HOSTS),
       reserved=st.lists(st.integers(2, 254), max_size=4))
def test_docker_hands_out_exactly_the_hosts_addresses_after_skip(per_host, skip, host, reserved):
    try:
        result = plan('203.0.113.0/24', HOSTS, per_host=per_host, layout='aligned',
                      reserved=['203.0.113.%d' % r for r in reserved])
    except PlanError:
        assume(False)   # the reserved addresses left fewer clean blocks than hosts: no plan to test
    if skip >= per_host:
        with pytest.raises(AnsibleFilterError, match='none is left for the runtime'):
            docker_ipam(result, host, skip=skip)
        return
    pool = docker_ipam(result, host, skip=skip)
    assert hands_out(pool) == set(addresses(result, host)[skip:])
    assert ipaddress.ip_network(pool['iprange']) == ipaddress.ip_network(result['hosts'][host]['block'])
    assert pool['gateway'] == '203.0.113.1'


def test_no_gateway_leaves_the_key_out():
    result = plan('192.0.2.0/24', HOSTS, per_host=4, layout='aligned', gateway='')
    assert 'gateway' not in docker_ipam(result, 'h1')


@pytest.mark.parametrize('kwargs, host, message', [
    ({'layout': 'packed'}, 'h1', 'overlay_docker_networks: tenant blue uses layout packed, so host h1 has block '
                                 '198.51.100.2-198.51.100.5; Docker takes only a CIDR as ip_range: plan it with layout: aligned'),
    ({'layout': 'aligned'}, 'h9', "host 'h9' has no block in the tenant blue plan"),
])
def test_refusals_name_the_option_and_the_value(kwargs, host, message):
    tenants = tenant_plan([{'name': 'blue', 'vni': 100, 'subnet': '198.51.100.0/24'}], HOSTS, per_host=4, **kwargs)
    with pytest.raises(AnsibleFilterError) as exc:
        docker_ipam(tenants['blue'], host, who='overlay_docker_networks')
    assert message in str(exc.value)


def test_ipv6_is_refused():
    tenants = tenant_plan([{'name': 'v6', 'vni': 7, 'subnet': '2001:db8::/64'}], HOSTS, per_host=4, layout='aligned')
    with pytest.raises(AnsibleFilterError, match='tenant v6 subnet 2001:db8::/64 is IPv6; the Docker networks of this collection are IPv4 only'):
        docker_ipam(tenants['v6'], 'h1')


@pytest.mark.parametrize('skip', [-1, True, '1'])
def test_bad_skip_is_refused(skip):
    result = plan('192.0.2.0/24', HOSTS, per_host=4, layout='aligned')
    with pytest.raises(AnsibleFilterError, match='skip must be a non-negative integer'):
        docker_ipam(result, 'h1', skip=skip)
