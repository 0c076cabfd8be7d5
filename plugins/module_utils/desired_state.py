# -*- coding: utf-8 -*-
# Copyright (c) 2026, netfabric.core contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A host's desired state as plain values, computed on the controller (the roles' filters call this).

Pure functions over the role variables: no Ansible, no netlink, no kernel, so unit tests reach them
without privileges. Each function is one step of a role that used to be a Jinja ``{% for %}`` loop;
the bridge name and the VTEP MTU of a tenant are derived here, once, and carried in the results.
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re

from ansible_collections.netfabric.core.plugins.module_utils.ip_plan import peers


def overlay_tenants(tenants, bridge_prefix, vtep_prefix, local, dev, dstport, learning, peers, control_plane='static'):
    """Per tenant: its bridge, its VTEP and its flood list (the overlay role's ``overlay_desired.tenants``).
    The static control plane floods to ``peers``; EVPN programs the flood lists from BGP (none here)."""
    return [{'name': t['name'], 'vni': t['vni'], 'bridge': '%s%s' % (bridge_prefix, t['vni']),
             'vtep': {'name': '%s%s' % (vtep_prefix, t['vni']), 'local': local, 'dev': dev,
                      'dstport': dstport, 'learning': bool(learning)},
             'flood': list(peers) if control_plane == 'static' else [],
             'evpn': control_plane == 'evpn'} for t in tenants]


def with_vtep_mtus(tenants, mtus, independent):
    """The desired tenants with each VTEP's MTU as the module set it (what systemd-networkd persists)."""
    out = []
    for tenant in tenants:
        vtep = dict(tenant['vtep'], mtu=mtus[tenant['name']], independent=bool(independent))
        out.append(dict(tenant, vtep=vtep))
    return out


def networkd_file(name, template_dir, src, context):
    """One entry of the networkd role's ``networkd_files``."""
    return {'name': name, 'src': '%s/%s' % (template_dir, src), 'context': context}


def overlay_networkd_files(desired, template_dir, vtep_network=''):
    """The overlay's systemd-networkd files: per tenant its bridge and VTEP, plus the underlay device's drop-in."""
    files = []
    for t in desired['tenants']:
        for name, src in ((t['bridge'] + '.netdev', 'tenant-bridge.netdev.j2'),
                          (t['bridge'] + '.network', 'tenant-bridge.network.j2'),
                          (t['vtep']['name'] + '.netdev', 'vtep.netdev.j2'),
                          (t['vtep']['name'] + '.network', 'vtep.network.j2')):
            files.append(networkd_file('10-netfabric-' + name, template_dir, src, t))
    if vtep_network:
        files.append(networkd_file(vtep_network + '.d/10-netfabric-overlay.conf', template_dir,
                                   'vtep-dev.conf.j2', desired))
    return files


def routed_networkd_files(context, template_dir, vtep_network=''):
    """The routed overlay's systemd-networkd files (VTEP and container bridge), all rendering ``context``."""
    files = [networkd_file('10-netfabric-' + name, template_dir, src, context)
             for name, src in ((context['vtep'] + '.netdev', 'vtep.netdev.j2'),
                               (context['vtep'] + '.network', 'vtep.network.j2'),
                               (context['bridge'] + '.netdev', 'bridge.netdev.j2'),
                               (context['bridge'] + '.network', 'bridge.network.j2'))]
    if vtep_network:
        files.append(networkd_file(vtep_network + '.d/10-netfabric-routed.conf', template_dir,
                                   'vtep-dev.conf.j2', context))
    return files


def overlay_endpoints(containers, plan, tenants, host, netns_prefix):
    """This host's containers with their planned address: a container's slot is its position among
    the host's containers of the same tenant."""
    vni = dict((t['name'], t['vni']) for t in tenants)
    out = []
    for c in containers:
        same = [other['name'] for other in containers if other['tenant'] == c['tenant']]
        cidr = plan[c['tenant']]['hosts'][host]['addresses'][same.index(c['name'])]
        out.append({'host': host, 'name': c['name'], 'tenant': c['tenant'], 'vni': vni[c['tenant']],
                    'netns': c.get('netns', netns_prefix + c['name']), 'ifname': c.get('ifname', 'o' + c['name']),
                    'cidr': cidr, 'address': cidr.split('/')[0]})
    return out


def docker_networks_by_owner(networks, tenant_names, label='netfabric.core.tenant'):
    """Split a Docker engine's networks: ``owned`` (labelled by this role) and ``foreign`` (a tenant's name,
    not labelled), by name, in the engine's order."""
    out = {'owned': [], 'foreign': []}
    for net in networks:
        if label in (net.get('Labels') or {}):
            out['owned'].append(net['Name'])
        elif net['Name'] in tenant_names:
            out['foreign'].append(net['Name'])
    return out


# ---------------------------------------------------------------------------- plan-step checks
# What a role's argument spec cannot express, as lists of messages naming the variable and the value
# (the roles fail their plan step on a non-empty list, before any host changes).
UDP_PORTS = (1, 65535)
VNIS = (1, 16777215)
ROUTE_PROTOCOLS = (5, 255)  # 0-4 are the kernel's own


def link_names(fixed, containers, variable, ifname_prefix):
    """Variable label -> interface name, for ``ifname_errors``: the role's ``fixed`` names, then each
    container's host-side interface (its ``ifname``, else ``ifname_prefix`` + its name)."""
    names = dict(fixed)
    for c in containers:
        names['%s (%s) ifname' % (variable, c['name'])] = c.get('ifname', ifname_prefix + c['name'])
    return names


def overlay_link_names(tenants, containers, bridge_prefix, vtep_prefix, container_ifname):
    """The overlay role's interface names by the variable that makes them (per tenant bridge and VTEP)."""
    fixed = {'overlay_container_ifname': container_ifname}
    for t in tenants:
        fixed['overlay_bridge_prefix (tenant %s)' % t['name']] = '%s%s' % (bridge_prefix, t['vni'])
        fixed['overlay_vtep_prefix (tenant %s)' % t['name']] = '%s%s' % (vtep_prefix, t['vni'])
    return link_names(fixed, containers, 'overlay_containers', 'o')


def range_error(variable, value, bounds, what):
    """A message when ``value`` (an integer, as the argument spec made it) is outside ``bounds``; else None.
    ``what`` says what the value must be, with the bounds as two ``%d``."""
    low, high = bounds
    try:
        inside = low <= int(value) <= high
    except (TypeError, ValueError):
        inside = False
    if inside:
        return None
    return '%s: must be %s, got %s' % (variable, what % (low, high), value)


def overlay_input_errors(tenants, containers, dstport):
    """The overlay role's checks besides interface names: the UDP port, containers naming unknown tenants."""
    errors = [range_error('overlay_dstport', dstport, UDP_PORTS, 'a UDP port %d-%d')]
    names = set(t['name'] for t in tenants)
    errors += ['overlay_containers: container %s names tenant %s, which is not in overlay_tenants'
               % (c['name'], c['tenant']) for c in containers if c['tenant'] not in names]
    return [e for e in errors if e]


def overlay_crowded(tenants, containers, plan, host):
    """Per tenant with more of this host's containers than its block has addresses: ``N containers of tenant T``."""
    out = []
    for t in tenants:
        count = sum(1 for c in containers if c['tenant'] == t['name'])
        if count > len(plan[t['name']]['hosts'][host]['addresses']):
            out.append('%d containers of tenant %s' % (count, t['name']))
    return out


def routed_input_errors(dstport, vni, protocol, vtep, bridge):
    """The routed role's checks besides interface names: port, VNI and route protocol ranges, two link names."""
    errors = [range_error('routed_dstport', dstport, UDP_PORTS, 'a UDP port %d-%d'),
              range_error('routed_vni', vni, VNIS, 'a VNI %d-%d'),
              range_error('routed_protocol', protocol, ROUTE_PROTOCOLS, "%d-%d (0-4 are the kernel's own)")]
    if vtep == bridge:
        errors.append('routed_bridge: must differ from routed_vtep, got %s' % bridge)
    return [e for e in errors if e]


# ---------------------------------------------------------------------------- underlay host probes

def address_clashes(hostvars, hosts, key='netfabric_underlay_address'):
    """``ADDRESS is claimed by H1 and H2`` for each address that more than one of ``hosts`` sets in ``key``."""
    owners = {}
    for host in hosts:
        if key in hostvars[host]:
            owners.setdefault(str(hostvars[host][key]), []).append(host)
    return ['%s is claimed by %s' % (address, ' and '.join(names)) for address, names in owners.items()
            if len(names) > 1]


def netns_path(spec):
    """The file of a network namespace given as a PID, an absolute path or a name under /run/netns."""
    spec = str(spec)
    if re.match('^[0-9]+$', spec):
        return '/proc/%s/ns/net' % spec
    return spec if spec.startswith('/') else '/run/netns/' + spec


def existing_netns_paths(containers, create_default, netns_prefix):
    """The containers whose namespace the role must find, not create: ``{name, path}`` each."""
    return [{'name': c['name'], 'path': netns_path(c.get('netns', netns_prefix + c['name']))}
            for c in containers if not c.get('create_netns', create_default)]


def underlay_host_errors(probe, uplink, address, wanted_netns, host):
    """What the read-only probe (netfabric.core.host_info) found wrong on ``host``: no uplink, the underlay
    address not carried, a namespace the role must not create missing (``wanted_netns``: the
    ``existing_netns_paths`` of the containers). ``address`` None: the inventory sets none."""
    errors = []
    carried = probe['all_ipv4_addresses'] + probe['all_ipv6_addresses']
    if uplink not in probe['interfaces']:
        errors.append('underlay_uplink: %s has no interface %s (it has %s)'
                      % (host, uplink, ', '.join(sorted(probe['interfaces']))))
    if address is not None and str(address) not in carried:
        errors.append('netfabric_underlay_address: %s does not carry %s (it has %s)' % (host, address, ', '.join(carried)))
    exists = dict((n['path'], n['exists']) for n in probe.get('namespaces', []))
    errors += ['underlay_containers: the namespace of %s on %s does not exist (%s) and create_netns is off'
               % (c['name'], host, c['path']) for c in wanted_netns if not exists.get(c['path'], False)]
    return errors


# ---------------------------------------------------------------------------- EVPN settings
AS_NUMBERS = (1, 4294967295)
PATHSPACE = re.compile('^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$')
CIDR_SHAPE = re.compile('^[0-9a-fA-F.:]+/[0-9]+$')


def evpn_errors(reflectors, hostvars, asn, pathspace, ranges, filter_sources):
    """The overlay role's EVPN checks (reflectors, AS number, FRR pathspace, listen ranges), as messages."""
    errors = []
    if not reflectors:
        errors.append('overlay_evpn_route_reflectors: name at least one inventory host, got []')
    for rr in reflectors:
        if rr not in hostvars:
            errors.append('overlay_evpn_route_reflectors: %s is not an inventory host' % rr)
        elif 'netfabric_underlay_address' not in hostvars[rr]:
            errors.append('overlay_evpn_route_reflectors: %s has no netfabric_underlay_address' % rr)
    if not re.match('^[0-9]+$', str(asn)) or range_error('overlay_evpn_asn', asn, AS_NUMBERS, '%d-%d'):
        errors.append('overlay_evpn_asn: must be an AS number %d-%d, got %s' % (AS_NUMBERS + (asn,)))
    if pathspace and (not PATHSPACE.match(pathspace) or pathspace in ('.', '..')):
        errors.append('overlay_evpn_pathspace: must be 1-63 characters of [A-Za-z0-9_.-] starting with'
                      ' a letter or digit, got %s' % pathspace)
    if not ranges:
        errors.append('overlay_evpn_listen_ranges: no underlay subnet known (set it, or overlay_underlay_subnet)')
    errors += ['overlay_evpn_listen_ranges/overlay_vtep_filter_sources: %s is not a CIDR' % net
               for net in list(ranges) + list(filter_sources) if not CIDR_SHAPE.match(net)]
    return errors


# ---------------------------------------------------------------------------- network_state resources
# What the roles hand to netfabric.core.network_state: a host's links as one list per design step, each
# item one module's options (the module validates them with that module's own argument spec).

def underlay_resources(containers, addresses, bridge, uplink, migrate, gateway, netns_prefix, create_netns):
    """The underlay of one host: its bridge, the uplink on it (addresses and default route moved), the
    containers' namespaces and their veths with the planned addresses (``addresses``: this host's block)."""
    items = [{'bridge': {'name': bridge}},
             {'bridge_port': {'bridge': bridge, 'port': uplink, 'migrate_addresses': bool(migrate)}}]
    for c in containers:
        if c.get('create_netns', create_netns):
            items.append({'netns': {'name': c.get('netns', netns_prefix + c['name'])}})
    for index, c in enumerate(containers):
        items.append({'veth_pair': {'name': c.get('ifname', 'u' + c['name']), 'peer': 'eth0',
                                    'peer_netns': c.get('netns', netns_prefix + c['name']), 'master': bridge,
                                    'peer_addresses': [addresses[index]], 'peer_gateway': gateway}})
    return items


def overlay_link_resources(tenants):
    """Per tenant its bridge (pure layer 2: no address, no IPv6 link-local), its VTEP on it, and the VTEP's
    port flags: learning and ARP/ND suppression follow the control plane (EVPN programs the MACs)."""
    items = []
    for t in tenants:
        vtep = t['vtep']
        items.append({'bridge': {'name': t['bridge'], 'addresses': [], 'ipv6_addrgen': False}})
        items.append({'vxlan_vtep': {'name': vtep['name'], 'vni': t['vni'], 'local': vtep['local'], 'dev': vtep['dev'],
                                     'dstport': vtep['dstport'], 'learning': vtep['learning'], 'master': t['bridge'],
                                     'ipv6_addrgen': False}})
    for t in tenants:
        items.append({'bridge_port': {'bridge': t['bridge'], 'port': t['vtep']['name'],
                                      'learning': not t['evpn'], 'neigh_suppress': t['evpn']}})
    return items


def flood_entries(addresses):
    return [{'mac': '00:00:00:00:00:00', 'dst': str(address)} for address in addresses]


def overlay_flood_resources(tenants, clear=False):
    """Each VTEP's flood list (static control plane: towards every peer, stale peers purged). ``clear``:
    empty every VTEP's flood list (EVPN, before FRR restarts and re-installs zebra's)."""
    if clear:
        return [{'fdb_entry': {'dev': t['vtep']['name'], 'entries': [], 'exclusive': True}} for t in tenants]
    return [{'fdb_entry': {'dev': t['vtep']['name'], 'entries': flood_entries(t['flood']), 'exclusive': True,
                           'exclusive_scope': 'flood'}} for t in tenants if not t['evpn']]


def overlay_container_resources(endpoints, tenants, containers, create_netns, container_ifname):
    """Container namespaces to create, then each container's veth on its tenant's bridge, with the MTU its
    tenant's VTEP has when the veth converges (``mtu_from``): the same run may create that VTEP."""
    wanted = dict((c['name'], c.get('create_netns', create_netns)) for c in containers)
    by_name = dict((t['name'], t) for t in tenants)
    items = [{'netns': {'name': e['netns']}} for e in endpoints if wanted[e['name']]]
    for e in endpoints:
        tenant = by_name[e['tenant']]
        items.append({'veth_pair': {'name': e['ifname'], 'peer': container_ifname, 'peer_netns': e['netns'],
                                    'master': tenant['bridge'], 'mtu_from': tenant['vtep']['name'],
                                    'peer_addresses': [e['cidr']], 'ipv6_addrgen': False}})
    return items


def state_vtep_mtus(results, tenants):
    """Tenant name -> its VTEP's MTU from a network_state result (a pending VTEP, in check mode, has none)."""
    by_vtep = dict((t['vtep']['name'], t['name']) for t in tenants)
    return dict((by_vtep[r['item'].split(' ', 1)[1]], r['mtu']) for r in results
                if r.get('kind') == 'vxlan_vtep' and r.get('mtu') is not None and r['item'].split(' ', 1)[1] in by_vtep)


def routed_link_resources(own, peers, links, protocol, vtep_filter):
    """The routed overlay of one host up to its containers: the bridge with the gateway address, the VTEP (fixed
    MAC, the subnet's network address as a /32, learning off), forwarding between the two, each peer's forwarding
    entry, neighbour entry and route (stale peers purged), and the VTEP filter. ``own``: this host's row of the
    plan; ``peers``: ``routed_peers``; ``links``: bridge, vtep, vni, local, dev, dstport; ``vtep_filter``: table, state."""
    vtep = links['vtep']
    return [
        {'bridge': {'name': links['bridge'], 'addresses': [own['bridge_address']]}},
        {'vxlan_vtep': {'name': vtep, 'vni': links['vni'], 'local': links['local'], 'dev': links['dev'],
                        'dstport': links['dstport'], 'learning': False, 'mac': own['vtep_mac'],
                        'addresses': ['%s/32' % own['vtep_address']]}},
        {'ip_forwarding': {'interfaces': [links['bridge'], vtep]}},
        {'fdb_entry': {'dev': vtep, 'entries': peers['fdb'], 'exclusive': True}},
        # adopt: entries systemd-networkd's [Neighbor] re-created at boot carry no protocol mark
        {'neigh_entry': {'dev': vtep, 'entries': peers['neighbours'], 'protocol': protocol, 'exclusive': True,
                         'adopt': True}},
        {'route_entry': {'dev': vtep, 'routes': peers['routes'], 'protocol': protocol, 'exclusive': True}},
        {'vtep_filter': {'peers': peers['underlays'], 'dstport': links['dstport'], 'table': vtep_filter['table'],
                         'state': vtep_filter['state']}},
    ]


def routed_container_resources(endpoints, containers, create_netns, container_ifname, bridge, mtu):
    """The containers' namespaces (those to create) and veths on the bridge: the next address of this host's
    subnet, default route via the gateway, the VTEP's MTU (unknown in check mode for a VTEP still to be created)."""
    items = [{'netns': {'name': e['netns']}} for e, c in zip(endpoints, containers)
             if c.get('create_netns', create_netns)]
    for e in endpoints:
        veth = {'name': e['ifname'], 'peer': container_ifname, 'peer_netns': e['netns'], 'master': bridge,
                'peer_addresses': [e['cidr']], 'peer_gateway': e['gateway']}
        if mtu is not None:
            veth['mtu'] = mtu
        items.append({'veth_pair': veth})
    return items


def vtep_mtu(results, vtep):
    """The MTU of VTEP ``vtep`` from a network_state result, or None (a pending VTEP, in check mode)."""
    found = [r.get('mtu') for r in results if r.get('kind') == 'vxlan_vtep' and r['item'] == 'vxlan_vtep ' + vtep]
    return found[0] if found else None


def vtep_peer_lists(hostvars, hosts, key='netfabric_underlay_address'):
    """Host -> the other hosts' VTEP addresses (``vtep_peers`` of each host of ``hosts``), computed once for the
    fabric: each host's variables are read once, not once per host that needs its peers."""
    addresses = dict((host, hostvars[host]) for host in hosts)
    return dict((host, peers(addresses, host, key=key, hosts=hosts)) for host in hosts)
