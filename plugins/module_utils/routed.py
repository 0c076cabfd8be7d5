# -*- coding: utf-8 -*-
# Copyright (c) 2026, netfabric.core contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function
__metaclass__ = type

# The routed (flannel-style) overlay's plan: one subnet per host, and the facts every peer needs about it
# (no Ansible imports).
#
# Each host of the group owns one ``host_prefix`` subnet of ``network``, handed out by ip_plan's aligned
# layout in inventory order: so, as in flannel, the first and last subnets of the network (which hold its
# network and broadcast addresses) are never used, a host var pins a subnet, and appending hosts never
# moves earlier ones. Per host, as flannel's vxlan backend builds a node:
#   * VTEP address = the subnet's network address, carried as a /32 (10.244.3.0/32);
#   * gateway      = the first usable address, on the container bridge (10.244.3.1/24);
#   * VTEP MAC     = pinned (routed_vtep_mac), else derived from the IPv4 underlay address:
#                    0a:58:<the four bytes of the underlay address> (locally administered, unicast), so
#                    every peer computes it without asking the host;
#   * underlay     = the address the VTEP sends from (routed_local_address, else netfabric_underlay_address).
# A host with ``routed_managed: false`` (a real flannel node, a node being migrated) is planned like the
# others but must pin its subnet and MAC: nothing here can know what flanneld chose.

import ipaddress

from collections.abc import Mapping

from ansible_collections.netfabric.core.plugins.module_utils import ip_plan
from ansible_collections.netfabric.core.plugins.module_utils.ip_plan import PlanError

WHO = 'routed_plan'
MAC_PREFIX = '0a:58'


def derived_mac(underlay):
    """The VTEP MAC of a host whose IPv4 underlay address is ``underlay``: 0a:58 + its four bytes."""
    return ':'.join([MAC_PREFIX] + ['%02x' % byte for byte in ipaddress.IPv4Address(underlay).packed])


def _mac(value, host):
    text = str(value).strip().lower().replace('-', ':')
    parts = text.split(':')
    if len(parts) != 6 or not all(len(p) == 2 and all(c in '0123456789abcdef' for c in p) for p in parts):
        raise PlanError('%s: routed_vtep_mac of host %s must be a MAC address like 0a:58:c0:00:02:0b, got %r'
                        % (WHO, host, value))
    if int(parts[0], 16) & 1 or text == '00:00:00:00:00:00':
        raise PlanError('%s: routed_vtep_mac of host %s must be a unicast MAC, got %r' % (WHO, host, value))
    return text


def _host_facts(hostvars, host):
    facts = hostvars.get(host)
    if not isinstance(facts, Mapping):
        raise PlanError('%s: host %s has no host variables' % (WHO, host))
    return facts


def _underlay(facts, host):
    value = facts.get('routed_local_address') or facts.get('netfabric_underlay_address')
    if not value:
        raise PlanError('%s: host %s has no underlay address (routed_local_address or netfabric_underlay_address)'
                        % (WHO, host))
    return ip_plan.parse_address(value, WHO, 'underlay address of %s' % host)


def _managed(facts, host):
    value = facts.get('routed_managed', True)
    if isinstance(value, str) and value.lower() in ('true', 'yes', 'false', 'no'):
        value = value.lower() in ('true', 'yes')
    if value not in (True, False):
        raise PlanError('%s: routed_managed of host %s must be a boolean, got %r' % (WHO, host, value))
    return value


def _pin(facts, host, network, host_prefix, managed):
    value = facts.get('routed_subnet')
    if not value:
        if not managed:
            raise PlanError('%s: host %s is not managed (routed_managed: false) and so needs routed_subnet, the '
                            'subnet its own network agent uses' % (WHO, host))
        return None
    subnet = ip_plan.parse_subnet(value, WHO, 'routed_subnet of %s' % host)
    if subnet.prefixlen != host_prefix or not subnet.subnet_of(network):
        raise PlanError('%s: routed_subnet of host %s must be a /%d inside %s, got %r'
                        % (WHO, host, host_prefix, network, value))
    return str(subnet)


def _vtep_mac(facts, host, underlay, managed):
    value = facts.get('routed_vtep_mac')
    if value:
        return _mac(value, host)
    if not managed:
        raise PlanError('%s: host %s is not managed (routed_managed: false) and so needs routed_vtep_mac, the MAC '
                        'of its VTEP' % (WHO, host))
    if underlay.version != 4:
        raise PlanError('%s: host %s has an IPv6 underlay address %s: the VTEP MAC is derived from IPv4 addresses '
                        'only; set routed_vtep_mac' % (WHO, host, underlay))
    return derived_mac(underlay)


def _check_unique(rows, field, label):
    owners = {}
    for host, row in rows.items():
        if row[field] in owners:
            raise PlanError('%s: hosts %s and %s have the same %s %s' % (WHO, owners[row[field]], host, label, row[field]))
        owners[row[field]] = host


def plan(hostvars, hosts, network='10.244.0.0/16', host_prefix=24):
    """The routed overlay of ``hosts`` (in inventory order) from their ``hostvars``: see the header."""
    net = ip_plan.parse_subnet(network, WHO, 'network')
    if net.version != 4:
        raise PlanError('%s: network must be an IPv4 network (the vxlan backend routes IPv4), got %r' % (WHO, network))
    host_prefix = ip_plan.parse_positive_int(host_prefix, 'host_prefix', WHO)
    if not net.prefixlen < host_prefix <= 30:
        raise PlanError('%s: host_prefix must be longer than the network\'s /%d and at most 30, got %r'
                        % (WHO, net.prefixlen, host_prefix))
    host_list = ip_plan._as_list(hosts, 'hosts', WHO)
    facts = dict((host, _host_facts(hostvars, host)) for host in host_list)
    managed = dict((host, _managed(facts[host], host)) for host in host_list)
    pins = dict((host, pin) for host, pin in ((h, _pin(facts[h], h, net, host_prefix, managed[h])) for h in host_list)
                if pin)
    slots = ip_plan.plan(str(net), host_list, per_host=1 << (32 - host_prefix), gateway=False, pinned=pins,
                         layout='aligned', addresses=False, name='routed', who=WHO)
    rows = {}
    for host in host_list:
        subnet = ipaddress.ip_network(slots['hosts'][host]['block'])
        underlay = _underlay(facts[host], host)
        gateway = subnet.network_address + 1
        rows[host] = {
            'subnet': str(subnet),
            'vtep_address': str(subnet.network_address),
            'gateway': str(gateway),
            'bridge_address': '%s/%d' % (gateway, host_prefix),
            'vtep_mac': _vtep_mac(facts[host], host, underlay, managed[host]),
            'underlay': str(underlay),
            'managed': managed[host],
            'pinned': host in pins,
            # host-local's range for a runtime: the subnet after the gateway (cni.conflist skips the inventory's)
            'block': str(subnet),
            'ranges': [{'first': str(gateway + 1), 'last': str(subnet.broadcast_address - 1)}],
        }
    _check_unique(rows, 'underlay', 'underlay address')
    _check_unique(rows, 'vtep_mac', 'VTEP MAC')
    return {'network': str(net), 'host_prefix': host_prefix, 'slots': slots['slots'],
            'free_slots': slots['more_hosts'], 'hosts': rows}


def peers(routed, me):
    """What host ``me`` programs towards every other host, sorted by subnet: routes, neighbours, fdb."""
    if not isinstance(routed, Mapping) or me not in routed.get('hosts', {}):
        raise PlanError('%s: host %r is not in the routed plan' % (WHO, me))
    others = sorted((row for host, row in routed['hosts'].items() if host != me),
                    key=lambda row: int(ipaddress.ip_network(row['subnet']).network_address))
    return {
        'routes': [{'dst': row['subnet'], 'gateway': row['vtep_address'], 'onlink': True} for row in others],
        'neighbours': [{'address': row['vtep_address'], 'mac': row['vtep_mac']} for row in others],
        'fdb': [{'mac': row['vtep_mac'], 'dst': row['underlay']} for row in others],
        'underlays': [row['underlay'] for row in others],
    }


def endpoints(routed, me, containers, netns_prefix=''):
    """Host ``me``'s containers ``[{name, netns?, ifname?}]`` with their addresses: the subnet's next ones after
    the gateway, in list order; each gets the gateway as default route."""
    if not isinstance(routed, Mapping) or me not in routed.get('hosts', {}):
        raise PlanError('%s: host %r is not in the routed plan' % (WHO, me))
    row = routed['hosts'][me]
    subnet = ipaddress.ip_network(row['subnet'])
    items = ip_plan._as_list(containers, 'routed_containers', WHO)
    room = subnet.num_addresses - 3  # the VTEP's (network), the gateway's and the broadcast address
    if len(items) > room:
        raise PlanError('%s: host %s lists %d routed_containers, but its subnet %s holds %d besides the VTEP and '
                        'gateway addresses' % (WHO, me, len(items), subnet, room))
    out = []
    for index, item in enumerate(items):
        if not isinstance(item, Mapping) or not item.get('name'):
            raise PlanError('%s: routed_containers[%d] must be a mapping with a name, got %r' % (WHO, index, item))
        address = subnet.network_address + 2 + index
        out.append({'name': item['name'], 'netns': item.get('netns') or '%s%s' % (netns_prefix, item['name']),
                    'ifname': item.get('ifname') or 'r' + item['name'], 'address': str(address),
                    'cidr': '%s/%d' % (address, subnet.prefixlen), 'gateway': row['gateway']})
    return out
