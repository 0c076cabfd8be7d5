# -*- coding: utf-8 -*-
# Copyright (c) 2026, netfabric.core contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""routed_plan / routed_peers / routed_endpoints: the flannel-style per-host subnets and what peers program."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import ipaddress

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible.errors import AnsibleFilterError

from ansible_collections.netfabric.core.plugins.filter.cni_conflist import cni_conflist_filter as cni_conflist
from ansible_collections.netfabric.core.plugins.filter.routed import (
    routed_endpoints_filter as routed_endpoints, routed_peers_filter as routed_peers, routed_plan_filter as routed_plan)


def fleet(n, **extra):
    hostvars = dict(('h%d' % i, {'netfabric_underlay_address': '192.0.2.%d' % (10 + i)}) for i in range(1, n + 1))
    for host, values in extra.items():
        hostvars[host].update(values)
    return hostvars


def hosts(n):
    return ['h%d' % i for i in range(1, n + 1)]


def test_flannel_layout_inventory_order_first_subnet_skipped():
    result = routed_plan(fleet(3), hosts(3))
    assert [result['hosts'][h]['subnet'] for h in hosts(3)] == ['10.244.1.0/24', '10.244.2.0/24', '10.244.3.0/24']
    h1 = result['hosts']['h1']
    assert (h1['vtep_address'], h1['gateway'], h1['bridge_address']) == ('10.244.1.0', '10.244.1.1', '10.244.1.1/24')
    assert h1['vtep_mac'] == '0a:58:c0:00:02:0b' and h1['underlay'] == '192.0.2.11' and h1['managed'] is True
    assert h1['ranges'] == [{'first': '10.244.1.2', 'last': '10.244.1.254'}]
    assert result['slots'] == 254 and result['free_slots'] == 251  # first and last /24 never used, as in flannel


def test_appending_hosts_never_moves_earlier_ones_and_pins_hold():
    small = routed_plan(fleet(2), hosts(2))
    grown = routed_plan(fleet(4, h4={'routed_subnet': '10.244.1.0/24'}), ['h4'] + hosts(3))
    assert grown['hosts']['h4']['subnet'] == '10.244.1.0/24'
    # the pinned host keeps its subnet; the others take the lowest free ones in list order
    assert [grown['hosts'][h]['subnet'] for h in hosts(3)] == ['10.244.2.0/24', '10.244.3.0/24', '10.244.4.0/24']
    appended = routed_plan(fleet(4), hosts(4))
    assert all(appended['hosts'][h]['subnet'] == small['hosts'][h]['subnet'] for h in hosts(2))


def test_unmanaged_host_is_a_peer_with_its_pins():
    values = {'routed_managed': False, 'routed_subnet': '10.244.7.0/24', 'routed_vtep_mac': '66:F8:92:5B:F9:6B'}
    result = routed_plan(fleet(3, h3=values), hosts(3))
    assert result['hosts']['h3']['managed'] is False and result['hosts']['h3']['vtep_mac'] == '66:f8:92:5b:f9:6b'
    peers = routed_peers(result, 'h1')
    assert peers['routes'] == [{'dst': '10.244.2.0/24', 'gateway': '10.244.2.0', 'onlink': True},
                               {'dst': '10.244.7.0/24', 'gateway': '10.244.7.0', 'onlink': True}]
    assert peers['neighbours'] == [{'address': '10.244.2.0', 'mac': '0a:58:c0:00:02:0c'},
                                   {'address': '10.244.7.0', 'mac': '66:f8:92:5b:f9:6b'}]
    assert peers['fdb'] == [{'mac': '0a:58:c0:00:02:0c', 'dst': '192.0.2.12'},
                            {'mac': '66:f8:92:5b:f9:6b', 'dst': '192.0.2.13'}]
    assert peers['underlays'] == ['192.0.2.12', '192.0.2.13']


@pytest.mark.parametrize('extra, network, prefix, message', [
    ({}, '10.244.0.0/23', 24, 'routed subnet 10.244.0.0/23 cannot hold 3 hosts'),
    ({}, '10.244.0.0/23', 24, 'a /21 would fit'),
    ({}, '2001:db8::/48', 64, 'must be an IPv4 network'),
    ({}, '10.244.0.0/16', 16, 'host_prefix must be longer'),
    ({}, '10.244.0.0/16', 31, 'host_prefix must be longer'),
    ({'h3': {'routed_managed': False, 'routed_vtep_mac': '02:00:00:00:00:03'}}, '10.244.0.0/16', 24,
     'host h3 is not managed (routed_managed: false) and so needs routed_subnet'),
    ({'h3': {'routed_managed': False, 'routed_subnet': '10.244.9.0/24'}}, '10.244.0.0/16', 24,
     'needs routed_vtep_mac'),
    ({'h2': {'routed_subnet': '10.245.0.0/24'}}, '10.244.0.0/16', 24, "routed_subnet of host h2 must be a /24 inside"),
    ({'h2': {'routed_subnet': '10.244.9.0/25'}}, '10.244.0.0/16', 24, "must be a /24"),
    ({'h2': {'routed_subnet': '10.244.0.0/24'}}, '10.244.0.0/16', 24, 'is not a block of this plan'),
    ({'h2': {'routed_subnet': '10.244.5.0/24'}, 'h3': {'routed_subnet': '10.244.5.0/24'}}, '10.244.0.0/16', 24,
     'both pinned'),
    ({'h2': {'routed_vtep_mac': '01:00:5e:00:00:01'}}, '10.244.0.0/16', 24, 'must be a unicast MAC'),
    ({'h2': {'routed_vtep_mac': 'zz'}}, '10.244.0.0/16', 24, "routed_vtep_mac of host h2 must be a MAC address"),
    ({'h2': {'routed_vtep_mac': '0a:58:c0:00:02:0b'}}, '10.244.0.0/16', 24, 'hosts h1 and h2 have the same VTEP MAC'),
    ({'h2': {'netfabric_underlay_address': '192.0.2.11'}}, '10.244.0.0/16', 24, 'same underlay address'),
    ({'h2': {'netfabric_underlay_address': None}}, '10.244.0.0/16', 24, 'host h2 has no underlay address'),
    ({'h2': {'netfabric_underlay_address': '2001:db8::2'}}, '10.244.0.0/16', 24, 'set routed_vtep_mac'),
    ({'h2': {'routed_managed': 'maybe'}}, '10.244.0.0/16', 24, 'routed_managed of host h2 must be a boolean'),
])
def test_refusals_name_host_and_value(extra, network, prefix, message):
    with pytest.raises(AnsibleFilterError) as exc:
        routed_plan(fleet(3, **extra), hosts(3), network, prefix)
    assert message in str(exc.value)


def test_endpoints_and_capacity():
    result = routed_plan(fleet(2), hosts(2), '10.244.0.0/16', 28)
    endpoints = routed_endpoints(result, 'h2', [{'name': 'c1'}, {'name': 'c2', 'netns': 'x', 'ifname': 'v2'}], 'p-')
    assert endpoints == [
        {'name': 'c1', 'netns': 'p-c1', 'ifname': 'rc1', 'address': '10.244.0.34', 'cidr': '10.244.0.34/28',
         'gateway': '10.244.0.33'},
        {'name': 'c2', 'netns': 'x', 'ifname': 'v2', 'address': '10.244.0.35', 'cidr': '10.244.0.35/28',
         'gateway': '10.244.0.33'}]
    routed_endpoints(result, 'h1', [{'name': 'c%d' % i} for i in range(13)])
    with pytest.raises(AnsibleFilterError, match='lists 14 routed_containers, but its subnet 10.244.0.16/28 holds 13'):
        routed_endpoints(result, 'h1', [{'name': 'c%d' % i} for i in range(14)])
    with pytest.raises(AnsibleFilterError, match="host 'h9' is not in the routed plan"):
        routed_endpoints(result, 'h9', [])


def test_cni_range_is_the_subnet_after_gateway_and_inventory_containers():
    result = routed_plan(fleet(2), hosts(2))
    row = result['hosts']['h1']
    conf = cni_conflist({'subnet': row['subnet'], 'gateway': row['gateway'], 'hosts': {'h1': row}}, 'h1', 'routed',
                        'cni0', mtu=1450, routes=[{'dst': '0.0.0.0/0', 'gw': row['gateway']}], skip=2)
    ranges = conf['plugins'][0]['ipam']['ranges']
    assert ranges == [[{'subnet': '10.244.1.0/24', 'rangeStart': '10.244.1.4', 'rangeEnd': '10.244.1.254',
                        'gateway': '10.244.1.1'}]]


@settings(max_examples=60, deadline=None)
@given(count=st.integers(min_value=1, max_value=60), prefix=st.integers(min_value=20, max_value=28))
def test_subnets_disjoint_inside_network_and_macs_unique(count, prefix):
    network = ipaddress.ip_network('10.244.0.0/16')
    slots = (1 << (prefix - 16)) - 2
    if count > slots:
        with pytest.raises(AnsibleFilterError, match='cannot hold'):
            routed_plan(fleet(count), hosts(count), str(network), prefix)
        return
    result = routed_plan(fleet(count), hosts(count), str(network), prefix)
    subnets = [ipaddress.ip_network(row['subnet']) for row in result['hosts'].values()]
    assert all(s.subnet_of(network) and s.prefixlen == prefix for s in subnets)
    assert all(not a.overlaps(b) for i, a in enumerate(subnets) for b in subnets[i + 1:])
    assert len(set(row['vtep_mac'] for row in result['hosts'].values())) == count
    for host in hosts(count):
        peers = routed_peers(result, host)
        assert len(peers['routes']) == len(peers['neighbours']) == len(peers['fdb']) == count - 1
