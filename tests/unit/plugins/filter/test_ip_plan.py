# -*- coding: utf-8 -*-
# Copyright (c) 2026, netfabric.core contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests of the IP planner: plugins/module_utils/ip_plan.py and the filters in plugins/filter/ip_plan.py.

The property tests compare the planner with a brute-force model that enumerates small subnets.
"""
from __future__ import absolute_import, division, print_function

import ipaddress
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

REPO = Path(__file__).resolve().parents[4]
COLLECTIONS = REPO / '.build' / 'collections'

from ansible.errors import AnsibleFilterError

from ansible_collections.netfabric.core.plugins.filter import ip_plan as filt
from ansible_collections.netfabric.core.plugins.module_utils import ip_plan as core
from ansible_collections.netfabric.core.plugins.module_utils.ip_plan import PlanError

ip_plan = filt.ip_plan_filter
HOSTS = ['node%d' % i for i in range(1, 41)]


def addrs(result):
    """Every address handed out, as ipaddress objects, with the owning host."""
    out = []
    for host, entry in result['hosts'].items():
        for text in entry['addresses']:
            out.append((ipaddress.ip_interface(text).ip, host))
    return out


# ------------------------------------------------------------------------------------------------
# the issue's examples
# ------------------------------------------------------------------------------------------------

def test_exhaustion_message_of_the_issue():
    reserved = ['192.0.2.%d' % i for i in range(2, 22)]     # 20 NICs + the gateway = 21 reserved
    with pytest.raises(AnsibleFilterError) as err:
        ip_plan('192.0.2.0/24', HOSTS, per_host=8, reserved=reserved, gateway='192.0.2.1')
    assert ('underlay subnet 192.0.2.0/24 cannot hold 40 hosts x 8 addresses (+ 21 reserved): '
            'needs 341, has 254 usable; a /23 would fit') in str(err.value)


def test_underlay_plan_shape():
    result = ip_plan('192.0.2.0/24', ['node1', 'node2', 'node3'], per_host=8, gateway='192.0.2.1',
                     reserved=['192.0.2.11', '192.0.2.12', '192.0.2.13'])
    assert result['subnet'] == '192.0.2.0/24'
    assert result['gateway'] == '192.0.2.1'
    assert result['usable'] == 254 and result['reserved'] == 4
    assert list(result['hosts']) == ['node1', 'node2', 'node3']
    n1, n2 = result['hosts']['node1'], result['hosts']['node2']
    assert n1 == {
        'slot': 0, 'block': '192.0.2.2-192.0.2.9', 'first': '192.0.2.2', 'last': '192.0.2.9', 'prefixlen': 24,
        'gateway': '192.0.2.1', 'ranges': [{'first': '192.0.2.2', 'last': '192.0.2.9'}], 'pinned': False,
        'addresses': ['192.0.2.%d/24' % i for i in range(2, 10)],
    }
    # node2's block runs around the reserved NIC addresses .11-.13
    assert n2['addresses'] == ['192.0.2.10/24'] + ['192.0.2.%d/24' % i for i in range(14, 21)]
    assert n2['ranges'] == [{'first': '192.0.2.10', 'last': '192.0.2.10'}, {'first': '192.0.2.14', 'last': '192.0.2.20'}]
    assert n2['block'] == '192.0.2.10-192.0.2.20'
    assert json.loads(json.dumps(result)) == result


def test_overlay_tenants_aligned_blocks():
    tenants = [{'name': 'blue', 'vni': 100, 'subnet': '198.51.100.0/24'},
               {'name': 'red', 'vni': 200, 'subnet': '203.0.113.0/24', 'per_host': 4}]
    result = filt.tenant_plan_filter(tenants, ['node1', 'node2'], underlay='192.0.2.0/24', per_host=8, layout='aligned')
    assert list(result) == ['blue', 'red']
    blue, red = result['blue'], result['red']
    assert blue['vni'] == 100 and blue['tenant'] == 'blue' and blue['name'] == 'tenant blue'
    assert blue['hosts']['node1']['block'] == '198.51.100.8/29'     # .0/29 holds the network address and gateway
    assert blue['hosts']['node2']['block'] == '198.51.100.16/29'
    assert blue['hosts']['node1']['gateway'] == '198.51.100.1'
    assert red['hosts']['node1']['block'] == '203.0.113.4/30'
    assert red['hosts']['node1']['addresses'] == ['203.0.113.%d/24' % i for i in range(4, 8)]


def test_capacity_boundary_exact():
    # /26: 62 usable, gateway reserved -> 61 free -> 7 hosts of 8 (56), 8 hosts need 65 > 62
    ok = ip_plan('198.51.100.64/26', HOSTS[:7], per_host=8)
    assert ok['slots'] == 7 and ok['more_hosts'] == 0
    with pytest.raises(AnsibleFilterError, match=r'cannot hold 8 hosts x 8 addresses \(\+ 1 reserved\): needs 65, has 62 usable; a /25 would fit'):
        ip_plan('198.51.100.64/26', HOSTS[:8], per_host=8)
    # exactly full: 61 hosts x 1 + 1 reserved == 62
    assert len(ip_plan('198.51.100.64/26', ['h%d' % i for i in range(61)])['hosts']) == 61
    with pytest.raises(AnsibleFilterError, match='needs 63, has 62 usable; a /25 would fit'):
        ip_plan('198.51.100.64/26', ['h%d' % i for i in range(62)])


# ------------------------------------------------------------------------------------------------
# addresses that are never handed out
# ------------------------------------------------------------------------------------------------

def test_ipv4_network_broadcast_and_tiny_prefixes():
    result = ip_plan('203.0.113.0/30', ['a', 'b'], gateway=False)
    assert [e['first'] for e in result['hosts'].values()] == ['203.0.113.1', '203.0.113.2']
    assert result['gateway'] is None and result['reserved'] == 0
    assert ip_plan('203.0.113.0/31', ['a', 'b'], gateway=False)['usable'] == 2       # RFC 3021
    single = ip_plan('203.0.113.7/32', ['a'], gateway=False)
    assert single['hosts']['a']['addresses'] == ['203.0.113.7/32']
    with pytest.raises(AnsibleFilterError, match='has 1 usable; a /31 would fit'):
        ip_plan('203.0.113.7/32', ['a', 'b'], gateway=False)


def test_ipv6_subnet_router_anycast_is_skipped():
    result = ip_plan('2001:db8:1::/64', ['a'], per_host=2)
    assert result['gateway'] == '2001:db8:1::1'
    assert result['hosts']['a']['addresses'] == ['2001:db8:1::2/64', '2001:db8:1::3/64']
    assert ip_plan('2001:db8:1::/127', ['a', 'b'], gateway=False)['hosts']['a']['first'] == '2001:db8:1::'


def test_reserved_forms_and_ignored_entries():
    # interface notation (host bits set) is one address; other families and outside entries cost nothing
    result = ip_plan('192.0.2.0/24', ['a'], per_host=3, gateway=False,
                     reserved=['192.0.2.1/24', '192.0.2.2-192.0.2.3', '192.0.2.4/31', '10.0.0.1', '2001:db8::1'])
    assert result['reserved'] == 5
    assert result['hosts']['a']['first'] == '192.0.2.6'


def test_reserved_covering_everything_refuses():
    with pytest.raises(AnsibleFilterError, match=r'cannot hold 1 host x 3 addresses \(\+ 254 reserved\): needs 257, has 254 usable; a /23 would fit'):
        ip_plan('192.0.2.0/24', ['a'], per_host=3, gateway=False, reserved=['192.0.2.0/23'])


def test_gateway_rules():
    assert ip_plan('192.0.2.0/24', ['a'], gateway='192.0.2.254')['hosts']['a']['first'] == '192.0.2.1'
    assert ip_plan('192.0.2.0/24', ['a'], gateway='none')['gateway'] is None
    assert ip_plan('2001:db8::/64', ['a'], gateway='fe80::1')['hosts']['a']['first'] == '2001:db8::1'
    with pytest.raises(AnsibleFilterError, match='ip_plan: gateway 198.51.100.1 is not inside subnet 192.0.2.0/24'):
        ip_plan('192.0.2.0/24', ['a'], gateway='198.51.100.1')
    with pytest.raises(AnsibleFilterError, match='network or broadcast'):
        ip_plan('192.0.2.0/24', ['a'], gateway='192.0.2.255')
    with pytest.raises(AnsibleFilterError, match='is not an IPv4 address'):
        ip_plan('192.0.2.0/24', ['a'], gateway='2001:db8::1')
    with pytest.raises(AnsibleFilterError, match="ip_plan: gateway is not a valid IP address: 'bogus'"):
        ip_plan('192.0.2.0/24', ['a'], gateway='bogus')


# ------------------------------------------------------------------------------------------------
# option validation
# ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize('kwargs, message', [
    ({'per_host': 0}, 'ip_plan: per_host must be a positive integer, got 0'),
    ({'per_host': -3}, 'ip_plan: per_host must be a positive integer, got -3'),
    ({'per_host': 'many'}, "ip_plan: per_host must be a positive integer, got 'many'"),
    ({'per_host': True}, 'ip_plan: per_host must be a positive integer, got True'),
    ({'warn_at': 80}, 'ip_plan: warn_at must be a number between 0 and 1 (e.g. 0.8), got 80'),
    ({'layout': 'sparse'}, "ip_plan: layout must be one of packed, aligned, got 'sparse'"),
    ({'reserved': ['192.0.2.300']}, "ip_plan: reserved entry '192.0.2.300' is not an address, a CIDR or a range"),
    ({'reserved': ['192.0.2.9-192.0.2.3']}, 'last address below first'),
    ({'reserved': {'a': 1}}, 'ip_plan: reserved must be a list'),
    ({'pinned': ['a']}, 'ip_plan: pinned must be a mapping host -> slot or block'),
    ({'pinned': {'zz': 1}}, 'ip_plan: pinned host zz is not in hosts'),
    ({'pinned': {'a': 300}}, 'ip_plan: host a is pinned to slot 300 outside the pool: underlay subnet 192.0.2.0/24 has 253 slots (0..252)'),
    ({'pinned': {'a': 3, 'b': '3'}}, 'ip_plan: hosts a and b are both pinned to slot 3'),
    ({'pinned': {'a': True}}, 'ip_plan: pinned slot for host a must be an integer or a block, got True'),
    ({'pinned': {'a': '198.51.100.0/29'}}, 'ip_plan: pinned block 198.51.100.0/29 for host a is outside subnet 192.0.2.0/24'),
])
def test_option_errors(kwargs, message):
    with pytest.raises(AnsibleFilterError, match=re.escape(message)):
        ip_plan('192.0.2.0/24', ['a', 'b'], **kwargs)


@pytest.mark.parametrize('subnet, message', [
    ('192.0.2.0', "ip_plan: subnet must be a CIDR with a prefix length, got '192.0.2.0'"),
    ('192.0.2.5/24', 'ip_plan: subnet 192.0.2.5/24 has host bits set (did you mean 192.0.2.0/24?)'),
    ('192.0.2.0/33', "ip_plan: subnet is not a valid CIDR: '192.0.2.0/33'"),
    ('', "ip_plan: subnet must be a CIDR string such as 192.0.2.0/24, got ''"),
    (None, 'ip_plan: subnet must be a CIDR string such as 192.0.2.0/24, got None'),
])
def test_bad_subnet(subnet, message):
    with pytest.raises(AnsibleFilterError, match=re.escape(message)):
        ip_plan(subnet, ['a'])


def test_bad_hosts():
    with pytest.raises(AnsibleFilterError, match='ip_plan: host b is listed twice in hosts'):
        ip_plan('192.0.2.0/24', ['a', 'b', 'b'])
    with pytest.raises(AnsibleFilterError, match='ip_plan: hosts must be a list of inventory host names, got 3 in it'):
        ip_plan('192.0.2.0/24', ['a', 3])
    assert ip_plan('192.0.2.0/24', 'solo')['hosts']['solo']['slot'] == 0
    assert ip_plan('192.0.2.0/24', [])['hosts'] == {}


# ------------------------------------------------------------------------------------------------
# stability and pins
# ------------------------------------------------------------------------------------------------

def test_pinned_slots_and_lowest_free_slot():
    result = ip_plan('192.0.2.0/24', ['a', 'b', 'c', 'd'], per_host=4, pinned={'c': 0, 'a': '5'})
    slots = dict((h, e['slot']) for h, e in result['hosts'].items())
    assert slots == {'a': 5, 'b': 1, 'c': 0, 'd': 2}
    assert result['hosts']['a']['pinned'] and not result['hosts']['b']['pinned']


def test_removing_a_host_with_pins_keeps_the_others():
    before = ip_plan('192.0.2.0/24', ['a', 'b', 'c', 'd'], per_host=4)
    pins = {'c': before['hosts']['c']['block'], 'd': before['hosts']['d']['slot']}
    after = ip_plan('192.0.2.0/24', ['a', 'c', 'd', 'e'], per_host=4, pinned=pins)
    for host in 'acd':
        assert after['hosts'][host] == dict(before['hosts'][host], pinned=host in pins)
    assert after['hosts']['e']['block'] == before['hosts']['b']['block']     # b's freed slot is reused


def test_block_pins_never_move_they_fail():
    before = ip_plan('192.0.2.0/24', ['a', 'b'], per_host=8)
    pins = dict((h, e['block']) for h, e in before['hosts'].items())
    # reordering keeps every block
    again = ip_plan('192.0.2.0/24', ['b', 'a'], per_host=8, pinned=pins)
    assert again['hosts']['a']['addresses'] == before['hosts']['a']['addresses']
    # a new reserved address would move b's block: refuse instead
    with pytest.raises(AnsibleFilterError, match='pinned block 192.0.2.10-192.0.2.17 for host b does not match slot 1, '
                                                 r'which is 192.0.2.10-192.0.2.18 \(were reserved addresses changed\?\)'):
        ip_plan('192.0.2.0/24', ['a', 'b'], per_host=8, pinned=pins, reserved=['192.0.2.15'])
    # a pin by first address and a pin in the middle of a block
    assert ip_plan('192.0.2.0/24', ['a', 'b'], per_host=8, pinned={'b': '192.0.2.10'})['hosts']['b']['slot'] == 1
    with pytest.raises(AnsibleFilterError, match='is not a block of this plan'):
        ip_plan('192.0.2.0/24', ['a', 'b'], per_host=8, pinned={'b': '192.0.2.11'})


def test_aligned_block_pins():
    before = ip_plan('198.51.100.0/24', ['a', 'b', 'c'], per_host=6, layout='aligned')
    assert [e['block'] for e in before['hosts'].values()] == ['198.51.100.8/29', '198.51.100.16/29', '198.51.100.24/29']
    after = ip_plan('198.51.100.0/24', ['c', 'b'], per_host=6, layout='aligned', pinned={'c': '198.51.100.24/29'})
    assert after['hosts']['c']['slot'] == 2 and after['hosts']['b']['slot'] == 0
    with pytest.raises(AnsibleFilterError, match='clean aligned /29 block'):
        ip_plan('198.51.100.0/24', ['a'], per_host=6, layout='aligned', pinned={'a': '198.51.100.0/29'})


# ------------------------------------------------------------------------------------------------
# scale: arithmetic, never enumeration
# ------------------------------------------------------------------------------------------------

def test_ipv4_slash8_refusal_is_arithmetic():
    hosts = ['h%d' % i for i in range(300000)]
    start = time.perf_counter()
    with pytest.raises(AnsibleFilterError, match=r'underlay subnet 10.0.0.0/8 cannot hold 300000 hosts x 64 addresses '
                                                 r'\(\+ 1 reserved\): needs 19200001, has 16777214 usable; a /7 would fit'):
        ip_plan('10.0.0.0/8', hosts, per_host=64)
    assert time.perf_counter() - start < 5


def test_huge_pools_and_reservations_are_not_enumerated():
    # a /40 reservation inside a /32 (2**88 addresses) and a whole-internet pool
    result = ip_plan('2001:db8::/32', ['a', 'b'], per_host=4, reserved=['2001:db8::/40'])
    assert result['hosts']['a']['first'] == '2001:db8:100::'
    assert result['reserved'] == 2 ** 88 - 1
    with pytest.raises(AnsibleFilterError, match='no IPv4 prefix can hold it'):
        ip_plan('0.0.0.0/0', ['a', 'b'], per_host=2 ** 31)
    plan6 = ip_plan('::/0', ['a'], per_host=2 ** 100, addresses=False)
    assert plan6['hosts']['a']['ranges'] == [{'first': '::2', 'last': str(ipaddress.IPv6Address(2 ** 100 + 1))}]
    assert plan6['slots'] == (2 ** 128 - 2) // 2 ** 100


def test_100k_hosts_in_an_ipv6_64():
    hosts = ['node%06d' % i for i in range(100000)]
    start = time.perf_counter()
    result = core.plan('2001:db8::/64', hosts, per_host=64, addresses=False)
    elapsed = time.perf_counter() - start
    last = result['hosts']['node099999']
    assert last['slot'] == 99999
    assert last['first'] == str(ipaddress.IPv6Address(int(ipaddress.IPv6Address('2001:db8::2')) + 99999 * 64))
    assert 'addresses' not in last
    assert elapsed < 30


# ------------------------------------------------------------------------------------------------
# utilization, warnings, report
# ------------------------------------------------------------------------------------------------

def test_warning_and_report(monkeypatch):
    seen = []
    monkeypatch.setattr(filt.display, 'warning', lambda msg, *a, **k: seen.append(msg))
    result = ip_plan('192.0.2.0/28', ['a', 'b', 'c'], per_host=4, warn_at=0.5)
    assert result['warn'] and result['percent'] == 92.86
    assert seen == ['netfabric.core: underlay subnet 192.0.2.0/28 is 92.9% used (warn_at 0.5): 3 hosts x 4 addresses '
                    '+ 1 reserved of 14 usable, room for 0 more hosts']
    quiet = ip_plan('192.0.2.0/24', ['a'], per_host=4)
    assert not quiet['warn'] and quiet['warning'] is None
    rows = filt.ip_plan_report_filter([result, quiet])
    assert rows[0] == {'pool': 'underlay', 'subnet': '192.0.2.0/28', 'vni': None, 'layout': 'packed', 'hosts': 3,
                       'per_host': 4, 'usable': 14, 'reserved': 1, 'used': 12, 'free': 1, 'percent': 92.86,
                       'more_hosts': 0, 'warn': True}
    assert rows[1]['warn'] is False and rows[1]['free'] == 249
    assert filt.ip_plan_report_filter(quiet, warn_at=0.01)[0]['warn'] is True
    with pytest.raises(AnsibleFilterError, match='ip_plan_report: input must be an ip_plan result'):
        filt.ip_plan_report_filter('192.0.2.0/24')
    with pytest.raises(AnsibleFilterError, match='ip_plan_report: warn_at must be a number between 0 and 1'):
        filt.ip_plan_report_filter(quiet, warn_at='x')


def test_report_of_tenants_and_aligned_percent():
    plans = core.tenant_plan({'blue': {'vni': 100, 'subnet': '198.51.100.0/24'},
                              'red': {'vni': '200', 'subnet': '2001:db8:200::/120', 'layout': 'aligned', 'per_host': 16}},
                             ['a', 'b'])
    rows = core.report(plans)
    assert [(r['pool'], r['vni']) for r in rows] == [('tenant blue', 100), ('tenant red', 200)]
    red = rows[1]
    assert red['used'] == 32 and red['more_hosts'] == 13 and red['percent'] == round(100 * 2 / 15, 2)


# ------------------------------------------------------------------------------------------------
# tenants
# ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize('tenants, underlay, message', [
    ([{'name': 'blue', 'vni': 100, 'subnet': '198.51.100.0/24'}, {'name': 'red', 'vni': 100, 'subnet': '203.0.113.0/24'}],
     None, 'tenant_plan: tenant red reuses VNI 100 of tenant blue'),
    ([{'name': 'blue', 'vni': 100, 'subnet': '198.51.100.0/24'}, {'name': 'red', 'vni': 200, 'subnet': '198.51.100.128/25'}],
     None, 'tenant_plan: tenant red subnet 198.51.100.128/25 overlaps tenant blue subnet 198.51.100.0/24'),
    ([{'name': 'blue', 'vni': 100, 'subnet': '192.0.2.128/25'}], '192.0.2.0/24',
     'tenant_plan: tenant blue subnet 192.0.2.128/25 overlaps underlay subnet 192.0.2.0/24'),
    ([{'name': 'big', 'vni': 1, 'subnet': '198.51.0.0/16'}, {'name': 'x', 'vni': 2, 'subnet': '198.51.1.0/24'},
      {'name': 'y', 'vni': 3, 'subnet': '198.51.200.0/24'}], None, 'tenant x subnet 198.51.1.0/24 overlaps tenant big'),
    ([{'name': 'blue', 'vni': 100, 'subnet': '198.51.100.0/24'}, {'name': 'blue', 'vni': 200, 'subnet': '203.0.113.0/24'}],
     None, 'tenant_plan: tenant blue is listed twice'),
    ([{'name': 'blue', 'vni': 0, 'subnet': '198.51.100.0/24'}], None, 'tenant_plan: tenant blue needs a vni between 1 and 16777215, got 0'),
    ([{'name': 'blue', 'vni': 16777216, 'subnet': '198.51.100.0/24'}], None, 'needs a vni between 1 and 16777215'),
    ([{'name': 'blue', 'subnet': '198.51.100.0/24'}], None, 'tenant blue needs a vni'),
    ([{'name': 'blue', 'vni': 5}], None, 'tenant_plan: tenant blue needs a subnet'),
    ([{'name': 'blue', 'vni': 5, 'subnet': '198.51.100.0/24', 'colour': 'x'}], None, 'tenant blue has unknown keys colour'),
    ([{'vni': 5, 'subnet': '198.51.100.0/24'}], None, 'each tenant needs a name'),
    ([{'name': 'blue', 'vni': 5, 'subnet': '198.51.100.0/30', 'per_host': 2}], None,
     r'tenant blue subnet 198.51.100.0/30 cannot hold 2 hosts x 2 addresses \(\+ 1 reserved\): needs 5, has 2 usable; a /29 would fit'),
])
def test_tenant_errors(tenants, underlay, message):
    with pytest.raises(AnsibleFilterError, match=message):
        filt.tenant_plan_filter(tenants, ['a', 'b'], underlay=underlay)


def test_tenants_with_underlay_plan_and_mixed_families():
    under = ip_plan('192.0.2.0/24', ['a', 'b'])
    result = filt.tenant_plan_filter([{'name': 'v6', 'vni': 7, 'subnet': '2001:db8:7::/64'},
                                      {'name': 'v4', 'vni': 8, 'subnet': '198.51.100.0/24'}], ['a', 'b'], underlay=under)
    assert result['v6']['hosts']['b']['first'] == '2001:db8:7::3'
    with pytest.raises(AnsibleFilterError, match='overlaps underlay'):
        filt.tenant_plan_filter([{'name': 'v4', 'vni': 8, 'subnet': '192.0.2.0/25'}], ['a'], underlay=under)


# ------------------------------------------------------------------------------------------------
# vtep_peers
# ------------------------------------------------------------------------------------------------

def test_vtep_peers_mapping_sorted_numerically():
    vteps = {'n1': '10.0.0.10', 'n2': '10.0.0.9', 'n3': '10.0.0.100/24', 'n4': '2001:db8::1'}
    assert filt.vtep_peers_filter(vteps, 'n1') == ['10.0.0.9', '10.0.0.100', '2001:db8::1']
    assert filt.vtep_peers_filter(vteps, 'n4') == ['10.0.0.9', '10.0.0.10', '10.0.0.100']
    assert filt.vtep_peers_filter({'solo': '192.0.2.1'}, 'solo') == []


def test_vtep_peers_from_hostvars_and_plan():
    hostvars = {'n1': {'vtep': '192.0.2.11'}, 'n2': {'vtep': '192.0.2.12'}, 'other': {'ansible_host': 'x'}}
    assert filt.vtep_peers_filter(hostvars, 'n1', key='vtep', hosts=['n1', 'n2']) == ['192.0.2.12']
    with pytest.raises(AnsibleFilterError, match='vtep_peers: host other has no vtep'):
        filt.vtep_peers_filter(hostvars, 'n1', key='vtep')
    vtep_plan = ip_plan('192.0.2.0/24', ['n1', 'n2', 'n3'])
    assert filt.vtep_peers_filter(vtep_plan, 'n2') == ['192.0.2.2', '192.0.2.4']


@pytest.mark.parametrize('data, me, kwargs, message', [
    ({'a': '192.0.2.1', 'b': '192.0.2.1'}, 'a', {}, 'vtep_peers: hosts a and b share VTEP address 192.0.2.1'),
    ({'a': '192.0.2.1', 'b': 'nope'}, 'a', {}, "vtep_peers: VTEP address of b is not a valid IP address: 'nope'"),
    ({'a': '192.0.2.1'}, 'zz', {}, "vtep_peers: host 'zz' is not among the hosts with a VTEP address"),
    ({'a': '192.0.2.1'}, 'a', {'hosts': ['a', 'b']}, 'vtep_peers: no VTEP address for host b'),
    (['192.0.2.1'], 'a', {}, 'vtep_peers: input must be a mapping'),
])
def test_vtep_peers_errors(data, me, kwargs, message):
    with pytest.raises(AnsibleFilterError, match=message):
        filt.vtep_peers_filter(data, me, **kwargs)


# ------------------------------------------------------------------------------------------------
# plumbing: filter registration, docs
# ------------------------------------------------------------------------------------------------

def test_filters_registered():
    assert sorted(filt.FilterModule().filters()) == ['ip_plan', 'ip_plan_report', 'tenant_plan', 'vtep_peers']


def test_plan_error_is_value_error():
    assert issubclass(PlanError, ValueError)
    with pytest.raises(PlanError):
        core.plan('192.0.2.0/24', ['a'], per_host=0)


@pytest.mark.parametrize('name', ['ip_plan', 'ip_plan_report', 'vtep_peers', 'tenant_plan'])
def test_doc_files(name):
    doc = yaml.safe_load((REPO / 'plugins' / 'filter' / (name + '.yml')).read_text())
    assert doc['DOCUMENTATION']['name'] == name
    assert doc['DOCUMENTATION']['positional'].startswith('_input, ')
    assert 'netfabric.core.' + name in doc['EXAMPLES']
    assert '_value' in doc['RETURN']


@pytest.mark.skipif(not (Path(sys.executable).parent / 'ansible-doc').exists() and not shutil.which('ansible-doc'),
                    reason='ansible-doc not installed')
def test_ansible_doc_renders_examples():
    exe = Path(sys.executable).parent / 'ansible-doc'
    cmd = [str(exe) if exe.exists() else shutil.which('ansible-doc'), '-t', 'filter', 'netfabric.core.ip_plan']
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(COLLECTIONS), ANSIBLE_NOCOLOR='1')
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    assert 'EXAMPLES' in proc.stdout and "netfabric.core.ip_plan(groups['fabric']" in proc.stdout
    assert 'a /23 would fit' in proc.stdout


# ------------------------------------------------------------------------------------------------
# formatting
# ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize('runs_text', [
    ('192.0.2.250', '192.0.3.5'), ('2001:db8::fffe', '2001:db8::1:2'), ('::ffff:0:fffe', '::ffff:1:2'),
    ('2001:db8:0:0:1::fff0', '2001:db8:0:0:1:0:1:10'), ('::', '::5'), ('fe80::', 'fe80::3'),
])
def test_formatter_matches_ipaddress(runs_text):
    first, last = [ipaddress.ip_address(t) for t in runs_text]
    fmt = core.Formatter(first.version)
    cls = type(first)
    values = range(int(first), int(last) + 1)
    assert fmt.expand([(int(first), int(last))], '/x') == [str(cls(v)) + '/x' for v in values]
    assert [fmt(v) for v in values] == [str(cls(v)) for v in values]


# ------------------------------------------------------------------------------------------------
# property-based tests against a brute-force model
# ------------------------------------------------------------------------------------------------

@st.composite
def scenarios(draw):
    family = draw(st.sampled_from([4, 6]))
    bits = 32 if family == 4 else 128
    prefixlen = draw(st.integers(min_value=bits - 9, max_value=bits))
    base = ipaddress.ip_network('198.51.100.0/22' if family == 4 else '2001:db8::/64')
    size = 1 << (bits - prefixlen)
    offset = draw(st.integers(min_value=0, max_value=(1 << 10) // size - 1)) * size if family == 4 else \
        draw(st.integers(min_value=0, max_value=2 ** 20)) * size
    net = ipaddress.ip_network((int(base.network_address) + offset, prefixlen))
    lo, hi = int(net.network_address), int(net.broadcast_address)

    def addr(value):
        return str(ipaddress.ip_address(value) if family == 6 else ipaddress.IPv4Address(value))

    span = st.integers(min_value=lo - 4, max_value=hi + 4).filter(lambda v: 0 <= v < 2 ** bits)
    reserved = []
    for kind in draw(st.lists(st.sampled_from(['addr', 'range', 'cidr', 'iface', 'other']), max_size=5)):
        a = draw(span)
        if kind == 'addr':
            reserved.append(addr(a))
        elif kind == 'range':
            b = draw(st.integers(min_value=a, max_value=min(a + 12, 2 ** bits - 1)))
            reserved.append('%s-%s' % (addr(a), addr(b)))
        elif kind == 'cidr':
            plen = draw(st.integers(min_value=max(prefixlen - 1, 0), max_value=bits))
            reserved.append(str(ipaddress.ip_network((a, plen), strict=False)))
        elif kind == 'iface':
            reserved.append('%s/%d' % (addr(a), prefixlen))
        else:
            reserved.append('10.1.2.3' if family == 6 else '2001:db8::5')
    gateway = draw(st.sampled_from([None, False, 'pick']))
    if gateway == 'pick':
        gateway = addr(draw(st.integers(min_value=lo, max_value=hi)))
        if gateway in (addr(lo), addr(hi)) and usable_model(net) != set(range(lo, hi + 1)):
            gateway = None
    return {
        'net': net,
        'per_host': draw(st.integers(min_value=1, max_value=9)),
        'hosts': draw(st.integers(min_value=0, max_value=70)),
        'reserved': reserved,
        'gateway': gateway,
        'layout': draw(st.sampled_from(['packed', 'aligned'])),
    }


def usable_model(net):
    lo, hi = int(net.network_address), int(net.broadcast_address)
    values = set(range(lo, hi + 1))
    if net.version == 4 and net.prefixlen <= 30:
        values -= {lo, hi}
    if net.version == 6 and net.prefixlen <= 126:
        values -= {lo}
    return values


def reserved_model(sc):
    """Brute force: the addresses of the subnet no host may get."""
    net = sc['net']
    out = set()
    for entry in sc['reserved']:
        if '-' in entry:
            a, b = [ipaddress.ip_address(x) for x in entry.split('-')]
            out.update(range(int(a), int(b) + 1))
        elif '/' in entry:
            try:
                n = ipaddress.ip_network(entry)
                out.update(range(int(n.network_address), int(n.broadcast_address) + 1))
            except ValueError:
                out.add(int(ipaddress.ip_interface(entry).ip))
        else:
            out.add(int(ipaddress.ip_address(entry)) if ipaddress.ip_address(entry).version == net.version else -1)
    if sc['gateway'] is None:
        out.add(min(usable_model(net)))
    elif sc['gateway']:
        out.add(int(ipaddress.ip_address(sc['gateway'])))
    return out & usable_model(net)


def capacity_model(sc):
    """Hosts that fit, by brute force over the subnet."""
    net, per_host = sc['net'], sc['per_host']
    free = usable_model(net) - reserved_model(sc)
    if sc['layout'] == 'packed':
        return len(free) // per_host
    block = 1 << (per_host - 1).bit_length()
    lo, size = int(net.network_address), net.num_addresses
    return sum(1 for start in range(lo, lo + size - block + 1, block) if all(v in free for v in range(start, start + block)))


def run(sc, hosts, **extra):
    return core.plan(str(sc['net']), hosts, per_host=sc['per_host'], reserved=sc['reserved'], gateway=sc['gateway'],
                     layout=sc['layout'], **extra)


PROPS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPS
@given(scenarios())
def test_property_plan_is_sound(sc):
    hosts = ['h%d' % i for i in range(sc['hosts'])]
    capacity = capacity_model(sc)
    if len(hosts) > capacity:
        with pytest.raises(PlanError, match='cannot hold'):
            run(sc, hosts)
        return
    result = run(sc, hosts)
    net = sc['net']
    usable, reserved = usable_model(net), reserved_model(sc)
    handed = addrs(result)
    values = [int(a) for a, dummy in handed]
    assert len(values) == len(set(values)) == len(hosts) * sc['per_host']     # never twice
    assert all(a in net for a, dummy in handed)                                  # never outside
    assert not set(values) & reserved                                            # never reserved
    assert set(values) <= usable                                                 # never network/broadcast/anycast
    if net.version == 4 and net.prefixlen <= 30:
        assert int(net.network_address) not in values and int(net.broadcast_address) not in values
    if result['gateway'] and ipaddress.ip_address(result['gateway']) in net:
        assert int(ipaddress.ip_address(result['gateway'])) not in values
    assert result['reserved'] == len(reserved) and result['usable'] == len(usable)
    assert result['slots'] == capacity
    for entry in result['hosts'].values():
        mine = sorted(int(ipaddress.ip_interface(t).ip) for t in entry['addresses'])
        assert entry['first'] == str(ipaddress.ip_address(mine[0])) and entry['last'] == str(ipaddress.ip_address(mine[-1]))
        from_ranges = []
        for r in entry['ranges']:
            from_ranges.extend(range(int(ipaddress.ip_address(r['first'])), int(ipaddress.ip_address(r['last'])) + 1))
        assert from_ranges == mine
        assert all(t.endswith('/%d' % net.prefixlen) for t in entry['addresses'])
        if '/' in entry['block']:
            block = ipaddress.ip_network(entry['block'])
            assert all(ipaddress.ip_address(v) in block for v in mine)
    assert json.loads(json.dumps(result)) == result


@PROPS
@given(scenarios(), st.data())
def test_property_appending_hosts_never_moves_earlier_ones(sc, data):
    capacity = capacity_model(sc)
    assume(capacity > 0)
    total = data.draw(st.integers(min_value=1, max_value=min(capacity, 60)))
    cut = data.draw(st.integers(min_value=0, max_value=total))
    hosts = ['h%d' % i for i in range(total)]
    pins = {}
    if cut and data.draw(st.booleans()):
        pins[data.draw(st.sampled_from(hosts[:cut]))] = data.draw(st.integers(min_value=0, max_value=capacity - 1))
    small = run(sc, hosts[:cut], pinned=pins)
    big = run(sc, hosts, pinned=pins)
    assert list(big['hosts'])[:cut] == list(small['hosts'])
    for host, entry in small['hosts'].items():
        assert big['hosts'][host] == entry


@PROPS
@given(scenarios(), st.data())
def test_property_block_pins_survive_reordering(sc, data):
    capacity = capacity_model(sc)
    assume(capacity > 1)
    hosts = ['h%d' % i for i in range(min(capacity, 12))]
    before = run(sc, hosts)
    keep = data.draw(st.lists(st.sampled_from(hosts), unique=True, min_size=1))
    pins = dict((h, before['hosts'][h]['block']) for h in keep)
    shuffled = data.draw(st.permutations(hosts))
    after = run(sc, shuffled, pinned=pins)
    for host in keep:
        assert after['hosts'][host]['addresses'] == before['hosts'][host]['addresses']


@PROPS
@given(scenarios())
def test_property_capacity_is_exact(sc):
    capacity = capacity_model(sc)
    assume(capacity <= 300)
    net, per_host = sc['net'], sc['per_host']
    result = run(sc, ['h%d' % i for i in range(capacity)], addresses=False)
    assert result['more_hosts'] == 0
    with pytest.raises(PlanError) as err:
        run(sc, ['h%d' % i for i in range(capacity + 1)], addresses=False)
    message = str(err.value)
    reserved = len(reserved_model(sc))
    head = 'underlay subnet %s cannot hold %d host%s x %d address%s (+ %d reserved)' % (
        net, capacity + 1, '' if capacity + 1 == 1 else 's', per_host, '' if per_host == 1 else 'es', reserved)
    assert message.startswith(head), message
    bits = 32 if net.version == 4 else 128
    if sc['layout'] == 'packed':
        needs = (capacity + 1) * per_host + reserved
        assert ': needs %d, has %d usable; ' % (needs, len(usable_model(net))) in message
        prefix = int(message.rsplit('a /', 1)[1].split()[0])
        assert len(usable_model_for(net.version, prefix)) >= needs
        assert prefix == bits or len(usable_model_for(net.version, prefix + 1)) < needs
    else:
        assert ': needs %d blocks, has %d usable; a /' % (capacity + 1, capacity) in message


def usable_model_for(family, prefixlen):
    """usable_model of a generic network of that size (sizes only, cheap for big pools via a range)."""
    bits = 32 if family == 4 else 128
    size = 1 << (bits - prefixlen)
    lost = 2 if family == 4 and prefixlen <= 30 else (1 if family == 6 and prefixlen <= 126 else 0)
    return range(size - lost)


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=1, max_value=200),
       st.lists(st.tuples(st.integers(min_value=-5, max_value=205), st.integers(min_value=0, max_value=30)), max_size=8))
def test_property_free_space_matches_enumeration(size, spans):
    excluded = [(a, a + n) for a, n in spans]
    space = core.FreeSpace(size, excluded)
    free = [p for p in range(size) if not any(a <= p <= b for a, b in excluded)]
    assert space.capacity == len(free)
    for rank, pos in enumerate(free):
        assert space.nth(rank) == pos and space.rank(pos) == rank
    assert all(space.rank(p) is None for p in range(size) if p not in free)
    for start in range(len(free)):
        for count in (1, 3, len(free) - start):
            if 0 < count <= len(free) - start:
                got = [p for a, b in space.runs(start, count) for p in range(a, b + 1)]
                assert got == free[start:start + count]
