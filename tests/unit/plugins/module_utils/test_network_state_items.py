# -*- coding: utf-8 -*-
# Copyright (c) 2026, netfabric.core contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""network_state without a kernel: every item is validated by its own module's argument spec, and the roles'
items (desired_state.py) are valid items of the modules they name."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from ansible_collections.netfabric.core.plugins.module_utils import desired_state, network_state
from ansible_collections.netfabric.core.plugins.module_utils.errors import NetfabricError

TENANTS = desired_state.overlay_tenants([{'name': 'blue', 'vni': 100}, {'name': 'red', 'vni': 200}], 'brv', 'vx',
                                        '192.0.2.11', 'br0', 4789, True, ['192.0.2.12', '192.0.2.13'])
EVPN = desired_state.overlay_tenants([{'name': 'blue', 'vni': 100}], 'brv', 'vx', '192.0.2.11', 'br0', 4789, False,
                                     [], 'evpn')
CONTAINERS = [{'name': 'c1', 'tenant': 'blue'}, {'name': 'c2', 'tenant': 'red', 'create_netns': False}]
ENDPOINTS = [{'name': 'c1', 'tenant': 'blue', 'netns': 'h1-c1', 'ifname': 'oc1', 'cidr': '198.51.100.2/24'},
             {'name': 'c2', 'tenant': 'red', 'netns': 'h1-c2', 'ifname': 'oc2', 'cidr': '203.0.113.2/24'}]


def labels(items):
    return [item.label for item in network_state.validated_items(items)]


def test_the_roles_items_are_valid_items_in_design_order():
    underlay = desired_state.underlay_resources([{'name': 'c1'}, {'name': 'c2', 'netns': 'x'}],
                                                ['192.0.2.21/24', '192.0.2.22/24'], 'br0', 'eth0', True, '192.0.2.1',
                                                'h1-', True)
    assert labels(underlay) == ['bridge br0', 'bridge_port br0/eth0', 'netns h1-c1', 'netns x',
                                'veth_pair uc1', 'veth_pair uc2']
    assert labels(desired_state.overlay_link_resources(TENANTS)) == [
        'bridge brv100', 'vxlan_vtep vx100', 'bridge brv200', 'vxlan_vtep vx200',
        'bridge_port brv100/vx100', 'bridge_port brv200/vx200']
    rest = (desired_state.overlay_flood_resources(TENANTS)
            + desired_state.overlay_container_resources(ENDPOINTS, TENANTS, CONTAINERS, True, 'eth1'))
    assert labels(rest) == ['fdb_entry vx100', 'fdb_entry vx200', 'netns h1-c1', 'veth_pair oc1', 'veth_pair oc2']
    veths = [item['veth_pair'] for item in rest if 'veth_pair' in item]
    assert [v['mtu_from'] for v in veths] == ['vx100', 'vx200'] and 'mtu' not in veths[0]  # the VTEP's, when it runs
    assert [v['master'] for v in veths] == ['brv100', 'brv200']


def test_control_plane_decides_port_flags_and_flood_lists():
    static = [i['bridge_port'] for i in desired_state.overlay_link_resources(TENANTS) if 'bridge_port' in i]
    evpn = [i['bridge_port'] for i in desired_state.overlay_link_resources(EVPN) if 'bridge_port' in i]
    assert static[0]['learning'] is True and static[0]['neigh_suppress'] is False
    assert evpn[0]['learning'] is False and evpn[0]['neigh_suppress'] is True
    assert desired_state.overlay_flood_resources(EVPN) == []  # zebra owns the EVPN flood lists
    assert desired_state.overlay_flood_resources(EVPN, clear=True) == [
        {'fdb_entry': {'dev': 'vx100', 'entries': [], 'exclusive': True}}]
    assert desired_state.overlay_flood_resources(TENANTS)[0]['fdb_entry']['entries'] == [
        {'mac': '00:00:00:00:00:00', 'dst': '192.0.2.12'}, {'mac': '00:00:00:00:00:00', 'dst': '192.0.2.13'}]


def test_vtep_mtus_from_network_state_results():
    results = [{'item': 'bridge brv100', 'kind': 'bridge'},
               {'item': 'vxlan_vtep vx100', 'kind': 'vxlan_vtep', 'mtu': 1450},
               {'item': 'vxlan_vtep vx200', 'kind': 'vxlan_vtep', 'pending': True}]
    assert desired_state.state_vtep_mtus(results, TENANTS) == {'blue': 1450}


@pytest.mark.parametrize('item, words', [
    ({'veth_pair': {'name': 'oc1', 'mtu': 'big'}}, ['resources[1] (veth_pair oc1)', 'mtu', 'big']),
    ({'vxlan_vtep': {'name': 'vx1', 'vni': 1}}, ['resources[1] (vxlan_vtep vx1)', 'state is present', 'local']),
    ({'fdb_entry': {'dev': 'vx1', 'mac': '00:00:00:00:00:01'}}, ['resources[1] (fdb_entry vx1)', 'dst']),
    ({'bridge': {'name': 'b1', 'colour': 'blue'}}, ['resources[1] (bridge b1)', 'colour']),
    ({'tunnel': {}}, ['resources[1]', "unknown module 'tunnel'"]),
    ({'bridge': 'b1'}, ['resources[1] (bridge)', 'must be a dict']),
    ('bridge', ['resources[1]', 'one-key dict']),
])
def test_every_item_is_checked_by_its_modules_spec(item, words):
    with pytest.raises(NetfabricError) as failure:
        network_state.validated_items([{'bridge': {'name': 'br0'}}, item])
    for word in words:
        assert word in str(failure.value), (word, str(failure.value))


def test_all_errors_are_reported_at_once():
    with pytest.raises(NetfabricError) as failure:
        network_state.validated_items([{'bridge': {}}, {'netns': {'name': 'x', 'state': 'gone'}}])
    assert 'resources[0] (bridge None)' in str(failure.value) and 'resources[1] (netns x)' in str(failure.value)


def test_peer_lists_once_for_the_fabric_equal_each_hosts_vtep_peers():
    from ansible_collections.netfabric.core.plugins.module_utils.ip_plan import peers
    hostvars = {'h1': {'netfabric_underlay_address': '192.0.2.11'}, 'h2': {'netfabric_underlay_address': '192.0.2.12'},
                'h3': {'netfabric_underlay_address': '192.0.2.13'}, 'other': {}}
    hosts = ['h1', 'h2', 'h3']
    lists = desired_state.vtep_peer_lists(hostvars, hosts)
    assert lists == dict((h, peers(hostvars, h, key='netfabric_underlay_address', hosts=hosts)) for h in hosts)
    assert lists['h2'] == ['192.0.2.11', '192.0.2.13']
