#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, netfabric.core contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: vtep_filter
short_description: Admit VXLAN only from the fabric's peer VTEPs (nftables)
version_added: 0.1.0
description:
  - Linux accepts VXLAN packets on a VTEP's UDP port from any source address, so any machine that can
    reach the underlay can inject frames into a tenant. This module keeps an nftables table in the
    C(inet) family that accepts UDP O(dstport) only from the listed O(peers) and drops (and counts)
    the rest. Other traffic is not touched.
  - The table holds two sets (C(peers4), C(peers6)) and one input chain at priority -10; the module
    compares the whole table with the desired one and, when anything differs (a peer joined or left,
    the port changed, a rule was edited by hand), replaces it in one nftables transaction.
  - Fleet changes are one call - pass every peer VTEP's address each run; addresses no longer listed
    are dropped from the sets.
author:
  - netfabric.core developers (@netfabric)
extends_documentation_fragment:
  - netfabric.core.netns
options:
  peers:
    description:
      - The VTEP source addresses to admit (IPv4 and/or IPv6). An empty list admits no VXLAN at all.
    type: list
    elements: str
    default: []
  sources:
    description:
      - Subnets (CIDR) to admit as a whole, for fabrics whose VTEPs are not known ahead (BGP EVPN - hosts join
        and leave without a run on the others). The sets then carry C(flags interval); a peer inside a listed
        subnet is admitted through it.
      - Empty (the default) leaves the table exactly as with O(peers) alone.
    type: list
    elements: str
    default: []
  bgp:
    description:
      - Also admit BGP (TCP port 179) only from O(peers) and O(sources), and count and drop it from anyone else.
    type: bool
    default: false
  dstport:
    description: The VXLAN UDP port to filter (the VTEPs' C(dstport)).
    type: int
    default: 4789
  table:
    description: Name of the nftables table the module owns (family C(inet)).
    type: str
    default: netfabric_vtep
  state:
    description: V(present) keeps the table as described; V(absent) deletes it.
    type: str
    choices: [present, absent]
    default: present
requirements:
  - the C(nft) command (Debian/Ubuntu package C(nftables), version 1.0 or later) on the managed host
notes:
  - Unlike the link modules this one calls the C(nft) tool (with an argument vector and JSON, never a
    shell), because pyroute2's nftables interface does not support set lookups yet.
'''

EXAMPLES = r'''
- name: Only the fabric's VTEPs may send VXLAN to this host
  netfabric.core.vtep_filter:
    peers: "{{ hostvars | netfabric.core.vtep_peers(inventory_hostname, key='netfabric_underlay_address',
               hosts=groups['fabric']) }}"
    dstport: 4789

- name: An EVPN fabric - VXLAN and BGP from the underlay subnet only
  netfabric.core.vtep_filter:
    sources: [192.0.2.0/24]
    bgp: true

- name: Remove the filter
  netfabric.core.vtep_filter:
    state: absent
'''

RETURN = r'''
actions:
  description: The changes made (in check mode, those that would be made).
  returned: always
  type: list
  elements: str
  sample: ["create nftables table inet netfabric_vtep: udp dport 4789 only from 2 peer VTEP(s)"]
peers:
  description: The admitted peer addresses, as validated.
  returned: success
  type: list
  elements: str
  sample: ["192.0.2.12", "192.0.2.13"]
sources:
  description: The admitted subnets, as validated.
  returned: success
  type: list
  elements: str
  sample: ["192.0.2.0/24"]
dropped_packets:
  description: Packets the drop rules have counted since the table was last written.
  returned: success
  type: int
  sample: 0
diff:
  description: The table before and after (sets, chain, rules in nft's words), with C(--diff).
  returned: when diff mode is on
  type: dict
'''

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.netfabric.core.plugins.module_utils.converge import run
from ansible_collections.netfabric.core.plugins.module_utils.vtep_filter import ARGUMENT_SPEC, VtepFilter


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    module.get_bin_path("nft", required=True)
    run(module, lambda params: VtepFilter(params, module.run_command))


if __name__ == "__main__":
    main()
