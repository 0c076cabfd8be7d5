# -*- coding: utf-8 -*-
# Copyright (c) 2026, netfabric.core contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function
__metaclass__ = type

# Container runtime configuration from an ip_plan / tenant_plan result (no Ansible imports).
#
# A runtime (podman, containerd, CRI-O, kubelet) creates container namespaces long after the playbook ran and
# asks a CNI plugin for an address. ``conflist`` renders, for one host of a plan, a CNI network
# configuration list for the standard ``bridge`` plugin on an existing bridge with ``host-local`` IPAM whose
# range set is exactly that host's block (minus the leading addresses the inventory already hands to named
# containers), so no two hosts ever hand out the same address.

import ipaddress
import re

from ansible_collections.netfabric.core.plugins.module_utils.constants import MTU_MAX, MTU_MIN
from ansible_collections.netfabric.core.plugins.module_utils.errors import PlanError
from ansible_collections.netfabric.core.plugins.module_utils.ip_plan import parse_address, parse_subnet

CNI_VERSION = '1.0.0'
# The CNI spec's network name grammar; the name is also part of file and state directory names.
NETWORK_NAME = re.compile(r'^[a-zA-Z0-9][a-zA-Z0-9_.\-]*$')
MAX_IFNAME = 15


def check_name(name, who):
    if not isinstance(name, str) or not NETWORK_NAME.match(name):
        raise PlanError('%s: name must match %s (the CNI network name grammar), got %r' % (who, NETWORK_NAME.pattern, name))
    return name


def check_bridge(bridge, who):
    if not isinstance(bridge, str) or not 0 < len(bridge) <= MAX_IFNAME or '/' in bridge or bridge.strip() != bridge:
        raise PlanError('%s: bridge must be an interface name of 1 to %d characters, got %r' % (who, MAX_IFNAME, bridge))
    return bridge


def check_mtu(mtu, who):
    """None or 0 -> None (the plugin's default); else an int between MTU_MIN and MTU_MAX."""
    if mtu is None or mtu == 0 or mtu == '':
        return None
    if isinstance(mtu, str) and mtu.strip().isdigit():
        mtu = int(mtu.strip())
    if isinstance(mtu, bool) or not isinstance(mtu, int) or not MTU_MIN <= mtu <= MTU_MAX:
        raise PlanError('%s: mtu must be an integer between %d and %d (or 0 for the plugin default), got %r'
                        % (who, MTU_MIN, MTU_MAX, mtu))
    return mtu


def host_entry(plan, host, who):
    if not isinstance(plan, dict) or not isinstance(plan.get('hosts'), dict) or 'subnet' not in plan:
        raise PlanError('%s: input must be one ip_plan result (or one tenant of a tenant_plan result), got %r' % (who, plan))
    if host not in plan['hosts']:
        raise PlanError('%s: host %r has no block in the %s plan (hosts: %s)'
                        % (who, host, plan.get('name', ''), ', '.join(sorted(plan['hosts']))))
    return plan['hosts'][host]


def free_runs(entry, skip, host, who):
    """The host's block as integer runs [(first, last)], without its first ``skip`` addresses."""
    if isinstance(skip, bool) or not isinstance(skip, int) or skip < 0:
        raise PlanError('%s: skip must be a non-negative integer, got %r' % (who, skip))
    runs = [(int(ipaddress.ip_address(r['first'])), int(ipaddress.ip_address(r['last']))) for r in entry['ranges']]
    size = sum(last - first + 1 for first, last in runs)
    if skip >= size:
        raise PlanError('%s: host %s block %s has %d addresses and the inventory containers hold %d of them, '
                        'none is left for the runtime: raise per_host' % (who, host, entry['block'], size, skip))
    out = []
    for first, last in runs:
        take = min(skip, last - first + 1)
        skip -= take
        if first + take <= last:
            out.append((first + take, last))
    return out


def check_routes(routes, family, who):
    """Routes as CNI wants them: [{dst: CIDR[, gw: address]}], same family as the subnet."""
    if routes is None:
        return []
    if not isinstance(routes, (list, tuple)):
        raise PlanError('%s: routes must be a list of {dst, gw} mappings, got %r' % (who, routes))
    out = []
    for route in routes:
        if not isinstance(route, dict) or 'dst' not in route or set(route) - {'dst', 'gw'}:
            raise PlanError('%s: each route must be a mapping with dst and optional gw, got %r' % (who, route))
        dst = parse_subnet(route['dst'], who, 'route dst')
        item = {'dst': str(dst)}
        if route.get('gw'):
            item['gw'] = str(parse_address(route['gw'], who, 'route gw'))
        if dst.version != family or ('gw' in item and ipaddress.ip_address(item['gw']).version != family):
            raise PlanError('%s: route %r is not IPv%d like the subnet' % (who, route, family))
        out.append(item)
    return out


def conflist(plan, host, name, bridge, mtu=None, routes=None, data_dir=None, skip=0, who='cni_conflist'):
    """The CNI configuration list (a dict; cniVersion 1.0.0) of network ``name`` on ``host``.

    One ``bridge`` plugin on the existing bridge ``bridge`` (never made a gateway, no masquerading: the fabric
    owns the bridge, the runtime only plugs veths into it) with ``host-local`` IPAM: one range set whose ranges
    are the runs of the host's block, the plan's gateway when it lies in the subnet, ``routes``, ``dataDir``.
    """
    name = check_name(name, who)
    bridge = check_bridge(bridge, who)
    mtu = check_mtu(mtu, who)
    entry = host_entry(plan, host, who)
    subnet = parse_subnet(plan['subnet'], who, 'subnet')
    gateway = plan.get('gateway')
    if gateway and ipaddress.ip_address(gateway) not in subnet:
        gateway = None   # an IPv6 link-local gateway: host-local only takes one inside the subnet
    ranges = []
    for first, last in free_runs(entry, skip, host, who):
        item = {'subnet': str(subnet),
                'rangeStart': str(ipaddress.ip_address(first)),
                'rangeEnd': str(ipaddress.ip_address(last))}
        if gateway:
            item['gateway'] = gateway
        ranges.append(item)
    ipam = {'type': 'host-local', 'ranges': [ranges], 'routes': check_routes(routes, subnet.version, who)}
    if data_dir:
        if not isinstance(data_dir, str) or not data_dir.startswith('/'):
            raise PlanError('%s: data_dir must be an absolute path, got %r' % (who, data_dir))
        ipam['dataDir'] = data_dir
    plugin = {'type': 'bridge', 'bridge': bridge, 'isGateway': False, 'isDefaultGateway': False,
              'ipMasq': False, 'hairpinMode': False, 'ipam': ipam}
    if mtu:
        plugin['mtu'] = mtu
    return {'cniVersion': CNI_VERSION, 'name': name, 'plugins': [plugin]}
