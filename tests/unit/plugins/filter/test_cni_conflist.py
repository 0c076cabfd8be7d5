# -*- coding: utf-8 -*-
# Copyright (c) 2026, netfabric.core contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""cni_conflist: the CNI configuration list of one host's block, against plans made by ip_plan/tenant_plan."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import ipaddress
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

REPO = Path(__file__).resolve().parents[4]

from ansible.errors import AnsibleFilterError

from ansible_collections.netfabric.core.plugins.filter.cni_conflist import cni_conflist_filter as cni_conflist
from ansible_collections.netfabric.core.plugins.module_utils.ip_plan import plan, tenant_plan

HOSTS = ['h1', 'h2', 'h3']


def handed_out(conf):
    """Every address the range set can hand out, as ints."""
    out = []
    for item in conf['plugins'][0]['ipam']['ranges'][0]:
        first, last = int(ipaddress.ip_address(item['rangeStart'])), int(ipaddress.ip_address(item['rangeEnd']))
        out.extend(range(first, last + 1))
    return out


def block(result, host):
    return [int(ipaddress.ip_interface(a).ip) for a in result['hosts'][host]['addresses']]


def test_tenant_block_gateway_mtu_and_data_dir():
    tenants = tenant_plan([{'name': 'blue', 'vni': 100, 'subnet': '198.51.100.0/24'}], HOSTS, per_host=4)
    conf = cni_conflist(tenants['blue'], 'h2', 'blue', 'brv100', mtu=1450, data_dir='/var/lib/cni/h2')
    assert conf == {
        'cniVersion': '1.0.0',
        'name': 'blue',
        'plugins': [{
            'type': 'bridge', 'bridge': 'brv100', 'isGateway': False, 'isDefaultGateway': False, 'ipMasq': False,
            'hairpinMode': False, 'mtu': 1450,
            'ipam': {'type': 'host-local', 'dataDir': '/var/lib/cni/h2', 'routes': [],
                     'ranges': [[{'subnet': '198.51.100.0/24', 'rangeStart': '198.51.100.6',
                                  'rangeEnd': '198.51.100.9', 'gateway': '198.51.100.1'}]]},
        }],
    }


def test_block_split_by_reserved_addresses_becomes_several_ranges_of_one_set():
    result = plan('192.0.2.0/24', ['h1', 'h2'], per_host=20, gateway='192.0.2.1', reserved=['192.0.2.11', '192.0.2.12'])
    conf = cni_conflist(result, 'h1', 'underlay', 'br0', routes=[{'dst': '0.0.0.0/0'}])
    ranges = conf['plugins'][0]['ipam']['ranges']
    assert len(ranges) == 1 and [(r['rangeStart'], r['rangeEnd']) for r in ranges[0]] == [
        ('192.0.2.2', '192.0.2.10'), ('192.0.2.13', '192.0.2.23')]
    assert handed_out(conf) == block(result, 'h1')
    assert 'mtu' not in conf['plugins'][0] and 'dataDir' not in conf['plugins'][0]['ipam']
    assert conf['plugins'][0]['ipam']['routes'] == [{'dst': '0.0.0.0/0'}]


@settings(max_examples=60, deadline=None)
@given(per_host=st.integers(1, 12), skip=st.integers(0, 11), reserved=st.lists(st.integers(2, 120), max_size=8))
def test_range_set_is_the_block_minus_the_inventory_containers(per_host, skip, reserved):
    result = plan('203.0.113.0/25', HOSTS, per_host=per_host, reserved=['203.0.113.%d' % r for r in reserved])
    for host in HOSTS:
        if skip >= per_host:
            with pytest.raises(AnsibleFilterError, match='none is left for the runtime: raise per_host'):
                cni_conflist(result, host, 'net', 'br0', skip=skip)
            continue
        assert handed_out(cni_conflist(result, host, 'net', 'br0', skip=skip)) == block(result, host)[skip:]


def test_ipv6_link_local_gateway_is_left_out():
    result = plan('2001:db8::/64', HOSTS, per_host=8, gateway='fe80::1')
    item = cni_conflist(result, 'h1', 'v6', 'br0', routes=[{'dst': '::/0', 'gw': 'fe80::1'}])['plugins'][0]['ipam']
    assert 'gateway' not in item['ranges'][0][0]
    assert item['routes'] == [{'dst': '::/0', 'gw': 'fe80::1'}]


def test_deterministic_text():
    result = plan('192.0.2.0/24', HOSTS, per_host=4)
    first, second = (json.dumps(cni_conflist(result, 'h3', 'n', 'br0', mtu=1500), sort_keys=True, indent=2)
                     for dummy in range(2))
    assert first == second


@pytest.mark.parametrize('kwargs, message', [
    ({'host': 'h9'}, "host 'h9' has no block"),
    ({'name': '-bad'}, 'name must match'),
    ({'name': 'a/b'}, 'name must match'),
    ({'bridge': 'a-very-long-bridge-name'}, 'bridge must be an interface name of 1 to 15'),
    ({'mtu': 40}, 'mtu must be an integer between 68 and 65535'),
    ({'mtu': True}, 'mtu must be an integer'),
    ({'routes': [{'dst': '::/0'}]}, 'is not IPv4 like the subnet'),
    ({'routes': [{'to': '0.0.0.0/0'}]}, 'each route must be a mapping with dst'),
    ({'routes': 'default'}, 'routes must be a list'),
    ({'data_dir': 'relative/dir'}, 'data_dir must be an absolute path'),
    ({'skip': -1}, 'skip must be a non-negative integer'),
])
def test_invalid_parameters_are_named(kwargs, message):
    positional = {'host': 'h1', 'name': 'net', 'bridge': 'br0'}
    options = {}
    for key, value in kwargs.items():
        (positional if key in positional else options)[key] = value
    result = plan('192.0.2.0/24', HOSTS, per_host=4)
    with pytest.raises(AnsibleFilterError, match=message):
        cni_conflist(result, positional['host'], positional['name'], positional['bridge'], **options)


def test_input_must_be_one_plan():
    tenants = tenant_plan([{'name': 'blue', 'vni': 100, 'subnet': '198.51.100.0/24'}], HOSTS)
    with pytest.raises(AnsibleFilterError, match='input must be one ip_plan result'):
        cni_conflist(tenants, 'h1', 'blue', 'brv100')
