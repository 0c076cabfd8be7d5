# -*- coding: utf-8 -*-
# Copyright (c) 2026, netfabric.core contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""desired_state: the roles' desired state in Python gives what the roles' former Jinja loops gave.

The reference for each function is the Jinja statement block it replaced in roles/*/tasks (kept here verbatim,
rendered with plain jinja2 on the same inputs), so the move out of the task files changes no value.
No root, no kernel.
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import ast
import re

import jinja2
import pytest

from ansible_collections.netfabric.core.plugins.module_utils import desired_state

TENANTS = [{'name': 'blue', 'vni': 100}, {'name': 'red', 'vni': 200}]
CONTAINERS = [{'name': 'c1', 'tenant': 'blue'}, {'name': 'c2', 'tenant': 'red'},
              {'name': 'c3', 'tenant': 'blue', 'netns': 'own-ns', 'ifname': 'x3'}]
PLAN = {'blue': {'hosts': {'h1': {'addresses': ['10.100.0.2/24', '10.100.0.3/24']}}},
        'red': {'hosts': {'h1': {'addresses': ['10.200.0.2/24']}}}}


def jinja(source, **variables):
    """Render a former task-file expression as Ansible did (a Python literal of the result)."""
    env = jinja2.Environment()
    env.filters['bool'] = bool  # Ansible's bool filter, on the booleans these tests pass
    text = env.from_string(source).render(**variables)
    return ast.literal_eval(text)


OLD_DESIRED = """\
{%- set out = [] -%}
{%- for t in overlay_tenants -%}
{%-   set _ = out.append({'name': t.name, 'vni': t.vni, 'bridge': overlay_bridge_prefix ~ t.vni,
                          'vtep': {'name': overlay_vtep_prefix ~ t.vni, 'local': overlay_local_address,
                                   'dev': overlay_vtep_dev, 'dstport': overlay_dstport, 'learning': overlay_vtep_learning | bool},
                          'flood': overlay_peers if overlay_control_plane == 'static' else [],
                          'evpn': overlay_control_plane == 'evpn'}) -%}
{%- endfor -%}
{{ out }}"""

OLD_ENDPOINTS = """\
{%- set out = [] -%}
{%- for c in overlay_containers -%}
{%-   set same = overlay_containers | selectattr('tenant', 'equalto', c.tenant) | map(attribute='name') | list -%}
{%-   set cidr = overlay_plan[c.tenant].hosts[inventory_hostname].addresses[same.index(c.name)] -%}
{%-   set _ = out.append({'host': inventory_hostname, 'name': c.name, 'tenant': c.tenant,
                       'vni': overlay_tenants | selectattr('name', 'equalto', c.tenant) | map(attribute='vni') | first,
                       'netns': c.netns | default(overlay_netns_prefix ~ c.name),
                       'ifname': c.ifname | default('o' ~ c.name),
                       'cidr': cidr, 'address': cidr.split('/')[0]}) -%}
{%- endfor -%}
{{ out }}"""

OLD_OVERLAY_FILES = """\
{%- set files = [] -%}
{%- for t in overlay_desired.tenants -%}
{%-   for name, src in [(t.bridge ~ '.netdev', 'tenant-bridge.netdev.j2'), (t.bridge ~ '.network', 'tenant-bridge.network.j2'),
                        (t.vtep.name ~ '.netdev', 'vtep.netdev.j2'), (t.vtep.name ~ '.network', 'vtep.network.j2')] -%}
{%-     set _ = files.append({'name': '10-netfabric-' ~ name, 'src': role_path ~ '/templates/' ~ src, 'context': t}) -%}
{%-   endfor -%}
{%- endfor -%}
{%- if overlay_persist_vtep_network -%}
{%-   set _ = files.append({'name': overlay_persist_vtep_network ~ '.d/10-netfabric-overlay.conf',
                            'src': role_path ~ '/templates/vtep-dev.conf.j2', 'context': overlay_desired}) -%}
{%- endif -%}
{{ files }}"""

OLD_ROUTED_FILES = """\
{%- set files = [] -%}
{%- for name, src in [(routed_vtep ~ '.netdev', 'vtep.netdev.j2'), (routed_vtep ~ '.network', 'vtep.network.j2'),
                      (routed_bridge ~ '.netdev', 'bridge.netdev.j2'), (routed_bridge ~ '.network', 'bridge.network.j2')] -%}
{%-   set _ = files.append({'name': '10-netfabric-' ~ name, 'src': role_path ~ '/templates/' ~ src, 'context': context}) -%}
{%- endfor -%}
{%- if routed_persist_vtep_network -%}
{%-   set _ = files.append({'name': routed_persist_vtep_network ~ '.d/10-netfabric-routed.conf',
                            'src': role_path ~ '/templates/vtep-dev.conf.j2', 'context': context}) -%}
{%- endif -%}
{{ files }}"""

OLD_DOCKER_NAMES = """\
{%- set tenants = overlay_tenants | map(attribute='name') | list -%}
{%- set out = {'owned': [], 'foreign': []} -%}
{%- for n in overlay_docker_info.networks -%}
{%-   if 'netfabric.core.tenant' in (n.Labels or {}) -%}
{%-     set _ = out.owned.append(n.Name) -%}
{%-   elif n.Name in tenants -%}
{%-     set _ = out.foreign.append(n.Name) -%}
{%-   endif -%}
{%- endfor -%}
{{ out }}"""


def desired_tenants(peers=('192.0.2.12', '192.0.2.13'), control_plane='static'):
    return desired_state.overlay_tenants(TENANTS, 'br', 'vx', '192.0.2.11', 'br0', 4789, True, list(peers), control_plane)


@pytest.mark.parametrize('control_plane', ['static', 'evpn'])
@pytest.mark.parametrize('peers', [[], ['192.0.2.12'], ['192.0.2.12', '2001:db8::1']])
def test_overlay_tenants_match_the_former_loop(peers, control_plane):
    old = jinja(OLD_DESIRED, overlay_tenants=TENANTS, overlay_bridge_prefix='br', overlay_vtep_prefix='vx',
                overlay_local_address='192.0.2.11', overlay_vtep_dev='br0', overlay_dstport=4789,
                overlay_vtep_learning=True, overlay_peers=peers, overlay_control_plane=control_plane)
    assert desired_tenants(peers, control_plane) == old
    assert all(t['flood'] == (peers if control_plane == 'static' else []) for t in old)
    assert [t['bridge'] for t in old] == ['br100', 'br200']


def test_endpoints_match_the_former_loop():
    old = jinja(OLD_ENDPOINTS, overlay_containers=CONTAINERS, overlay_plan=PLAN, overlay_tenants=TENANTS,
                inventory_hostname='h1', overlay_netns_prefix='lab-')
    new = desired_state.overlay_endpoints(CONTAINERS, PLAN, TENANTS, 'h1', 'lab-')
    assert new == old
    assert [(e['netns'], e['ifname'], e['cidr']) for e in new] == [
        ('lab-c1', 'oc1', '10.100.0.2/24'), ('lab-c2', 'oc2', '10.200.0.2/24'), ('own-ns', 'x3', '10.100.0.3/24')]


def test_endpoints_refuse_a_container_beyond_the_plan():
    crowded = CONTAINERS + [{'name': 'c4', 'tenant': 'red'}]
    with pytest.raises(IndexError):
        desired_state.overlay_endpoints(crowded, PLAN, TENANTS, 'h1', '')


def test_with_vtep_mtus_adds_mtu_and_independent_without_touching_the_input():
    tenants = desired_tenants()
    out = desired_state.with_vtep_mtus(tenants, {'blue': 1450, 'red': 1400}, True)
    assert [(t['vtep']['mtu'], t['vtep']['independent']) for t in out] == [(1450, True), (1400, True)]
    assert 'mtu' not in tenants[0]['vtep']
    assert out[0]['flood'] == tenants[0]['flood'] and out[0]['bridge'] == 'br100'


@pytest.mark.parametrize('vtep_network', ['', '10-uplink.network'])
def test_overlay_networkd_files_match_the_former_loop(vtep_network):
    desired = {'tenants': desired_state.with_vtep_mtus(desired_tenants(), {'blue': 1450, 'red': 1450}, False)}
    old = jinja(OLD_OVERLAY_FILES, overlay_desired=desired, role_path='/r', overlay_persist_vtep_network=vtep_network)
    new = desired_state.overlay_networkd_files(desired, '/r/templates', vtep_network)
    assert new == old
    assert len(new) == 8 + (1 if vtep_network else 0)


@pytest.mark.parametrize('vtep_network', ['', '10-uplink.network'])
def test_routed_networkd_files_match_the_former_loop(vtep_network):
    context = {'vtep': 'flannel.1', 'bridge': 'cni0', 'mtu': 1450, 'peers': []}
    old = jinja(OLD_ROUTED_FILES, context=context, routed_vtep='flannel.1', routed_bridge='cni0', role_path='/r',
                routed_persist_vtep_network=vtep_network)
    assert desired_state.routed_networkd_files(context, '/r/templates', vtep_network) == old


def test_docker_networks_by_owner_match_the_former_loop():
    networks = [{'Name': 'bridge', 'Labels': {}}, {'Name': 'blue', 'Labels': {'netfabric.core.tenant': 'blue'}},
                {'Name': 'red', 'Labels': None}, {'Name': 'gone', 'Labels': {'netfabric.core.tenant': 'gone'}}]
    old = jinja(OLD_DOCKER_NAMES, overlay_tenants=TENANTS, overlay_docker_info={'networks': networks})
    new = desired_state.docker_networks_by_owner(networks, ['blue', 'red'])
    assert new == old == {'owned': ['blue', 'gone'], 'foreign': ['red']}


OLD_OVERLAY_NAMES = """\
{%- set names = {'overlay_container_ifname': overlay_container_ifname} -%}
{%- for t in overlay_tenants -%}
{%-   set _ = names.update({'overlay_bridge_prefix (tenant ' ~ t.name ~ ')': overlay_bridge_prefix ~ t.vni,
                            'overlay_vtep_prefix (tenant ' ~ t.name ~ ')': overlay_vtep_prefix ~ t.vni}) -%}
{%- endfor -%}
{%- for c in overlay_containers -%}
{%-   set _ = names.update({'overlay_containers (' ~ c.name ~ ') ifname': c.ifname | default('o' ~ c.name)}) -%}
{%- endfor -%}
{{ names }}"""

OLD_CROWDED = """\
{%- set out = [] -%}
{%- for t in overlay_tenants -%}
{%-   set n = overlay_containers | selectattr('tenant', 'equalto', t.name) | list | length -%}
{%-   if n > overlay_plan[t.name].hosts[inventory_hostname].addresses | length -%}
{%-     set _ = out.append(n ~ ' containers of tenant ' ~ t.name) -%}
{%-   endif -%}
{%- endfor -%}
{{ out }}"""


def test_overlay_link_names_match_the_former_loop():
    old = jinja(OLD_OVERLAY_NAMES, overlay_container_ifname='eth1', overlay_tenants=TENANTS, overlay_bridge_prefix='br',
                overlay_vtep_prefix='vx', overlay_containers=CONTAINERS)
    assert desired_state.overlay_link_names(TENANTS, CONTAINERS, 'br', 'vx', 'eth1') == old
    assert old['overlay_containers (c3) ifname'] == 'x3'


def test_underlay_link_names_default_the_container_ifname():
    names = desired_state.link_names({'underlay_bridge': 'br0'}, CONTAINERS[:1], 'underlay_containers', 'u')
    assert names == {'underlay_bridge': 'br0', 'underlay_containers (c1) ifname': 'uc1'}


@pytest.mark.parametrize('containers, crowded', [
    (CONTAINERS, []),
    (CONTAINERS + [{'name': 'c4', 'tenant': 'red'}], ['2 containers of tenant red']),
    (CONTAINERS * 2, ['4 containers of tenant blue', '2 containers of tenant red']),
])
def test_overlay_crowded_matches_the_former_loop(containers, crowded):
    old = jinja(OLD_CROWDED, overlay_tenants=TENANTS, overlay_containers=containers, overlay_plan=PLAN,
                inventory_hostname='h1')
    assert desired_state.overlay_crowded(TENANTS, containers, PLAN, 'h1') == old == crowded


@pytest.mark.parametrize('dstport, containers, errors', [
    (4789, CONTAINERS, []),
    (0, CONTAINERS, ['overlay_dstport: must be a UDP port 1-65535, got 0']),
    (65536, [{'name': 'c9', 'tenant': 'green'}],
     ['overlay_dstport: must be a UDP port 1-65535, got 65536',
      'overlay_containers: container c9 names tenant green, which is not in overlay_tenants']),
])
def test_overlay_input_errors_name_variable_and_value(dstport, containers, errors):
    assert desired_state.overlay_input_errors(TENANTS, containers, dstport) == errors


@pytest.mark.parametrize('args, errors', [
    ((8472, 1, 200, 'flannel.1', 'cni0'), []),
    ((70000, 1, 200, 'flannel.1', 'cni0'), ['routed_dstport: must be a UDP port 1-65535, got 70000']),
    ((8472, 16777216, 200, 'flannel.1', 'cni0'), ['routed_vni: must be a VNI 1-16777215, got 16777216']),
    ((8472, 1, 4, 'flannel.1', 'cni0'), ["routed_protocol: must be 5-255 (0-4 are the kernel's own), got 4"]),
    ((8472, 1, 'x', 'v', 'v'), ["routed_protocol: must be 5-255 (0-4 are the kernel's own), got x",
                                'routed_bridge: must differ from routed_vtep, got v']),
])
def test_routed_input_errors_name_variable_and_value(args, errors):
    assert desired_state.routed_input_errors(*args) == errors


OLD_CLASHES = """\
{%- set owners = {} -%}
{%- for h in groups[underlay_group] if hostvars[h].netfabric_underlay_address is defined -%}
{%-   set a = hostvars[h].netfabric_underlay_address | string -%}
{%-   set _ = owners.update({a: owners.get(a, []) + [h]}) -%}
{%- endfor -%}
{%- set clashes = [] -%}
{%- for a, hs in owners.items() if hs | length > 1 -%}
{%-   set _ = clashes.append(a ~ ' is claimed by ' ~ hs | join(' and ')) -%}
{%- endfor -%}
{{ clashes }}"""

OLD_NETNS_FILES = """\
{%- set files = [] -%}
{%- for c in underlay_containers if not (c.create_netns | default(underlay_create_netns)) -%}
{%-   set spec = c.netns | default(underlay_netns_prefix ~ c.name) | string -%}
{%-   set path = ('/proc/' ~ spec ~ '/ns/net') if spec is match('^[0-9]+$')
                 else spec if spec.startswith('/') else '/run/netns/' ~ spec -%}
{%-   set _ = files.append({'name': c.name, 'path': path}) -%}
{%- endfor -%}
{{ files }}"""

OLD_HOST_ERRORS = """\
{%- set errors = [] -%}
{%- set found = underlay_probe.ansible_facts -%}
{%- set carried = found.ansible_all_ipv4_addresses + found.ansible_all_ipv6_addresses -%}
{%- if underlay_uplink not in found.ansible_interfaces -%}
{%-   set _ = errors.append('underlay_uplink: ' ~ inventory_hostname ~ ' has no interface ' ~ underlay_uplink
                            ~ ' (it has ' ~ found.ansible_interfaces | sort | join(', ') ~ ')') -%}
{%- endif -%}
{%- if netfabric_underlay_address is defined and (netfabric_underlay_address | string) not in carried -%}
{%-   set _ = errors.append('netfabric_underlay_address: ' ~ inventory_hostname ~ ' does not carry '
                            ~ netfabric_underlay_address ~ ' (it has ' ~ carried | join(', ') ~ ')') -%}
{%- endif -%}
{%- for r in underlay_netns_probe.results | default([]) if r.stat is defined and not r.stat.exists -%}
{%-   set _ = errors.append('underlay_containers: the namespace of ' ~ r.item.name ~ ' on ' ~ inventory_hostname
                            ~ ' does not exist (' ~ r.item.path
                            ~ ') and create_netns is off') -%}
{%- endfor -%}
{{ errors }}"""


def old_jinja_with_match(source, **variables):
    env = jinja2.Environment()
    env.tests['match'] = lambda value, pattern: re.match(pattern, value) is not None  # Ansible's match test
    return ast.literal_eval(env.from_string(source).render(**variables))


@pytest.mark.parametrize('addresses, clashes', [
    ({'h1': '192.0.2.11', 'h2': '192.0.2.12', 'h3': None}, []),
    ({'h1': '192.0.2.11', 'h2': '192.0.2.11', 'h3': '192.0.2.11'}, ['192.0.2.11 is claimed by h1 and h2 and h3']),
])
def test_address_clashes_match_the_former_loop(addresses, clashes):
    hostvars = dict((h, {} if a is None else {'netfabric_underlay_address': a}) for h, a in addresses.items())
    old = jinja(OLD_CLASHES, hostvars=hostvars, groups={'fabric': sorted(hostvars)}, underlay_group='fabric')
    assert desired_state.address_clashes(hostvars, sorted(hostvars)) == old == clashes


def test_existing_netns_paths_match_the_former_loop():
    containers = [{'name': 'a'}, {'name': 'b', 'netns': 4242}, {'name': 'c', 'netns': '/var/run/x'},
                  {'name': 'd', 'create_netns': True}, {'name': 'e', 'netns': 'named'}]
    old = old_jinja_with_match(OLD_NETNS_FILES, underlay_containers=containers, underlay_create_netns=False,
                               underlay_netns_prefix='lab-')
    new = desired_state.existing_netns_paths(containers, False, 'lab-')
    assert new == old
    assert [f['path'] for f in new] == ['/run/netns/lab-a', '/proc/4242/ns/net', '/var/run/x', '/run/netns/named']
    assert desired_state.existing_netns_paths(containers, True, 'lab-') == []


@pytest.mark.parametrize('uplink, address, exists', [
    ('eth0', '192.0.2.11', True), ('eth9', '192.0.2.99', False), ('eth0', None, False)])
def test_underlay_host_errors_match_the_former_loop(uplink, address, exists):
    facts = {'ansible_interfaces': ['lo', 'eth0', 'br0'], 'ansible_all_ipv4_addresses': ['192.0.2.11'],
             'ansible_all_ipv6_addresses': ['2001:db8::b']}
    results = [{'item': {'name': 'c1', 'path': '/run/netns/c1'}, 'stat': {'exists': exists}}, {'skipped': True}]
    variables = dict(underlay_probe={'ansible_facts': facts}, underlay_uplink=uplink, inventory_hostname='h1',
                     underlay_netns_probe={'results': results})
    if address is not None:
        variables['netfabric_underlay_address'] = address
    old = jinja(OLD_HOST_ERRORS, **variables)
    # The probe is now netfabric.core.host_info: the same facts, and the namespaces looked up by path.
    probe = {'interfaces': facts['ansible_interfaces'], 'all_ipv4_addresses': facts['ansible_all_ipv4_addresses'],
             'all_ipv6_addresses': facts['ansible_all_ipv6_addresses'],
             'namespaces': [{'netns': r['item']['name'], 'path': r['item']['path'], 'exists': r['stat']['exists']}
                            for r in results if 'stat' in r]}
    new = desired_state.underlay_host_errors(probe, uplink, address, [r['item'] for r in results if 'item' in r], 'h1')
    assert new == old
    assert len(new) == (0 if exists else 1) + (uplink != 'eth0') + (address not in (None, '192.0.2.11'))


OLD_EVPN_ERRORS = """\
{%- set errors = [] -%}
{%- if overlay_evpn_route_reflectors | length == 0 -%}
{%-   set _ = errors.append('overlay_evpn_route_reflectors: name at least one inventory host, got []') -%}
{%- endif -%}
{%- for rr in overlay_evpn_route_reflectors -%}
{%-   if rr not in hostvars -%}
{%-     set _ = errors.append('overlay_evpn_route_reflectors: ' ~ rr ~ ' is not an inventory host') -%}
{%-   elif hostvars[rr].netfabric_underlay_address is not defined -%}
{%-     set _ = errors.append('overlay_evpn_route_reflectors: ' ~ rr ~ ' has no netfabric_underlay_address') -%}
{%-   endif -%}
{%- endfor -%}
{%- if overlay_evpn_asn | string is not match('^[0-9]+$')
       or not (1 <= overlay_evpn_asn | int <= 4294967295) -%}
{%-   set _ = errors.append('overlay_evpn_asn: must be an AS number 1-4294967295, got ' ~ overlay_evpn_asn) -%}
{%- endif -%}
{%- if overlay_evpn_pathspace and (overlay_evpn_pathspace is not match('^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$')
       or overlay_evpn_pathspace in ['.', '..']) -%}
{%-   set _ = errors.append('overlay_evpn_pathspace: must be 1-63 characters of [A-Za-z0-9_.-] starting with'
                            ~ ' a letter or digit, got ' ~ overlay_evpn_pathspace) -%}
{%- endif -%}
{%- if overlay_evpn_ranges | length == 0 -%}
{%-   set _ = errors.append('overlay_evpn_listen_ranges: no underlay subnet known (set it, or overlay_underlay_subnet)') -%}
{%- endif -%}
{%- for net in overlay_evpn_ranges + overlay_vtep_filter_sources if not (net is match('^[0-9a-fA-F.:]+/[0-9]+$')) -%}
{%-   set _ = errors.append('overlay_evpn_listen_ranges/overlay_vtep_filter_sources: ' ~ net ~ ' is not a CIDR') -%}
{%- endfor -%}
{{ errors }}"""


@pytest.mark.parametrize('overrides', [
    {},
    {'overlay_evpn_route_reflectors': []},
    {'overlay_evpn_route_reflectors': ['nosuch', 'h2']},
    {'overlay_evpn_asn': 0}, {'overlay_evpn_asn': 4294967296}, {'overlay_evpn_asn': '12x'},
    {'overlay_evpn_pathspace': '../etc'}, {'overlay_evpn_pathspace': '..'}, {'overlay_evpn_pathspace': 'frr-1'},
    {'overlay_evpn_ranges': []}, {'overlay_vtep_filter_sources': ['192.0.2.0/24', 'nope']},
])
def test_evpn_errors_match_the_former_loop(overrides):
    variables = dict(overlay_evpn_route_reflectors=['h1'], overlay_evpn_asn=65000, overlay_evpn_pathspace='',
                     overlay_evpn_ranges=['192.0.2.0/24'], overlay_vtep_filter_sources=[],
                     hostvars={'h1': {'netfabric_underlay_address': '192.0.2.11'}, 'h2': {}})
    variables.update(overrides)
    old = old_jinja_with_match(OLD_EVPN_ERRORS, **variables)
    new = desired_state.evpn_errors(variables['overlay_evpn_route_reflectors'], variables['hostvars'],
                                    variables['overlay_evpn_asn'], variables['overlay_evpn_pathspace'],
                                    variables['overlay_evpn_ranges'], variables['overlay_vtep_filter_sources'])
    assert new == old
    assert bool(new) == bool(overrides) or overrides == {'overlay_evpn_pathspace': 'frr-1'}
