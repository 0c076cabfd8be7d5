#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, netfabric.core contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: fabric_info
short_description: Read one host's container fabric - bridges, VTEPs, flood lists, MAC tables, filter
version_added: 0.1.0
description:
  - Returns what the fabric is on one host, as data, and changes nothing.
  - Bridges with their ports and each port's flags; VTEPs (VXLAN devices) with VNI, local address,
    underlay device, UDP port, learning, MTU and bridge; per VTEP its flood destinations (the all-zero
    MAC entries) and its per-MAC entries counted by origin (C(static), C(learned) by the kernel,
    C(extern_learn) from a control plane), in the VTEP's own table and in its bridge's table;
    the ARP/NDP neighbour entries; every address on a tenant link (VTEPs, tenant bridges and their
    ports - normally none); and the peer sets and drop counter of the VTEP filter table that
    M(netfabric.core.vtep_filter) keeps.
  - Uses the same netlink readers as the other modules, one dump per object type (links, addresses,
    forwarding entries, neighbours), so a host with 10,000 forwarding entries is read in one pass.
  - For a BGP EVPN control plane (the overlay role's C(overlay_control_plane=evpn)) the BGP sessions of the
    host's FRR - peer, state, uptime, prefixes received - from C(vtysh -c 'show bgp l2vpn evpn summary json').
    vtysh is run the way the C(nft) command is for the VTEP filter - one command, an argument vector, no shell,
    in O(netns) when given. No FRR, no vtysh or no bgpd is reported in C(bgp.state), never a failure.
author:
  - netfabric.core developers (@netfabric)
extends_documentation_fragment:
  - netfabric.core.netns
options:
  vtep_filter_table:
    description:
      - The nftables table (family C(inet)) of M(netfabric.core.vtep_filter) to report.
      - An empty string skips the filter (the C(nft) command is not run).
    type: str
    default: netfabric_vtep
  bgp:
    description:
      - Report the BGP EVPN sessions of the host's FRR (one vtysh call).
      - V(false) skips it (vtysh is not run) and RV(fabric.bgp) is null.
    type: bool
    default: true
  frr_pathspace:
    description:
      - The FRR pathspace (C(vtysh -N)) to ask, as the overlay role's C(overlay_evpn_pathspace) and
        M(netfabric.core.frr_daemons) run it; empty asks FRR's default instance.
      - 1-63 characters of C([A-Za-z0-9_.-]) starting with a letter or digit.
    type: str
    default: ""
requirements:
  - the C(nft) command on the managed host to report the VTEP filter (without it the filter's C(state) is
    V(unknown))
  - FRR's C(vtysh) command on the managed host to report BGP sessions (without it C(bgp.state) is V(unknown))
notes:
  - Read only; C(changed) is always false. In diff mode the diff shows bridge names and per VTEP its
    VNI and the number of flood destinations, never the full lists.
'''

EXAMPLES = r'''
- name: Read the fabric of every host
  netfabric.core.fabric_info:
  register: fabric

- name: Every VTEP floods to every other host
  ansible.builtin.assert:
    that: item.flood | length == groups['fabric'] | length - 1
  loop: "{{ fabric.fabric.vteps }}"
  loop_control:
    label: "{{ item.name }} (vni {{ item.vni }})"

- name: A container namespace's view
  netfabric.core.fabric_info:
    netns: h1-c1
    vtep_filter_table: ""
    bgp: false

- name: Every EVPN session of a lab host (FRR pathspace = its namespace name) is up
  netfabric.core.fabric_info:
    frr_pathspace: "{{ overlay_evpn_pathspace }}"
  register: fabric
  failed_when: fabric.fabric.bgp.sessions | rejectattr('state', 'equalto', 'Established') | list
'''

RETURN = r'''
fabric:
  description: The host's fabric.
  returned: success
  type: dict
  contains:
    bridges:
      description: Every bridge, sorted by name.
      type: list
      elements: dict
      sample:
        - name: brv100
          mtu: 1450
          up: true
          stp: false
          vlan_filtering: false
          ports:
            - {name: vx100, kind: vxlan, up: true,
               flags: {learning: true, flood: true, hairpin: false, neigh_suppress: false, isolated: false}}
    vteps:
      description:
        - Every VXLAN device, sorted by name. C(flood) lists the destinations of the all-zero MAC entries
          (head-end replication), in address order. C(macs) counts the VTEP's other remote entries by
          origin; C(bridge_macs) counts the bridge's MAC table entries on the VTEP port by origin.
      type: list
      elements: dict
      sample:
        - name: vx100
          vni: 100
          local: 192.0.2.11
          dev: br0
          dstport: 4789
          learning: false
          group: null
          ttl: null
          mtu: 1450
          up: true
          bridge: brv100
          flood: [192.0.2.12, 192.0.2.13]
          macs: {static: 0, learned: 0, extern_learn: 0}
          bridge_macs: {static: 0, learned: 4, extern_learn: 0}
    neighbours:
      description: ARP and NDP cache entries (not the kernel's own NOARP ones), sorted by device and address.
      type: list
      elements: dict
      sample:
        - {dev: br0, address: 192.0.2.1, mac: "02:00:00:00:00:01", state: [reachable]}
    tenant_addresses:
      description: Link name -> every address (all scopes, CIDR) on the VTEPs, tenant bridges and their ports.
      type: dict
      sample: {brv100: ["fe80::8c1b:4dff:fe3c:1/64"]}
    vtep_filter:
      description:
        - The VTEP filter table. C(state) is V(present), V(absent), or V(unknown) when C(nft) is missing;
          null when O(vtep_filter_table) is empty.
        - C(peers) are the admitted host addresses, C(sources) the admitted subnets (CIDR; the C(sources) of
          M(netfabric.core.vtep_filter), e.g. an EVPN fabric's underlay subnet).
      type: dict
      sample:
        table: netfabric_vtep
        state: present
        peers: [192.0.2.12, 192.0.2.13]
        sources: []
        dropped_packets: 0
        rules: ["input: udp dport 4789 ip saddr @peers4 accept"]
    bgp:
      description:
        - The BGP EVPN sessions of the host's FRR, null when O(bgp) is false. C(state) is V(running) (bgpd
          answered; C(sessions) lists its peers by address), V(not_running) (vtysh found no daemon, no bgpd or
          no EVPN instance; C(reason) quotes vtysh) or V(unknown) (no vtysh command; C(reason) says so).
        - Per session C(state) is BGP's (V(Established), V(Active), V(Connect), ...), C(uptime) FRR's text,
          C(uptime_msec) milliseconds, C(prefixes_received) the EVPN prefixes received (null while not
          Established), C(dynamic) true for a peer accepted through C(bgp listen range).
      type: dict
      sample:
        state: running
        router_id: 192.0.2.11
        as: 65000
        sessions:
          - {peer: 192.0.2.12, state: Established, uptime: "00:03:12", uptime_msec: 192000,
             prefixes_received: 6, remote_as: 65000, dynamic: true}
actions:
  description: Always empty (the module changes nothing).
  returned: always
  type: list
  elements: str
  sample: []
'''

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.netfabric.core.plugins.module_utils.converge import run
from ansible_collections.netfabric.core.plugins.module_utils.fabric_info import ARGUMENT_SPEC, FabricInfo


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    nft = module.get_bin_path("nft") if module.params["vtep_filter_table"] else None
    vtysh = module.get_bin_path("vtysh") if module.params["bgp"] else None
    run(module, lambda params: FabricInfo(params, module.run_command, nft, vtysh))


if __name__ == "__main__":
    main()
