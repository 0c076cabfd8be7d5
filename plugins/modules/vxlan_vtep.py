#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, netfabric.core contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: vxlan_vtep
short_description: Manage a VXLAN tunnel endpoint (VTEP) device over netlink
version_added: 0.1.0
description:
  - Creates, changes or removes a Linux VXLAN device that encapsulates a tenant's frames in UDP towards
    the other hosts' VTEPs, optionally attached to the tenant's bridge.
  - Defaults follow a unicast fabric with head-end replication (see M(netfabric.core.fdb_entry)) - the
    IANA port 4789 (not the kernel's historical 8472) and MAC learning off.
  - Attributes the kernel cannot change on an existing device (O(vni), O(local), O(dstport), O(dev),
    O(group)) are converged by deleting and re-creating the device; the re-creation shows in C(actions)
    and the diff, and the device keeps its bridge membership, MTU and port flags. Its forwarding entries
    go with the old device; run M(netfabric.core.fdb_entry) after this module (as the overlay role does).
  - If the new device is refused (for example its VNI is taken), the old one is restored as it was - same
    ifindex, MAC, attributes, bridge membership, port flags, MTU, addresses, routes, up/down state and
    forwarding entries - and the module fails with C(changed=false).
  - An MTU below 1280 is refused while the device carries IPv6 addresses (the kernel would drop them).
  - Before any change, checks that O(dev) exists, that O(local) is an address of this host and that O(mtu)
    fits the underlay.
author:
  - netfabric.core developers (@netfabric)
extends_documentation_fragment:
  - netfabric.core.netns
  - netfabric.core.ipv6_addrgen
options:
  name:
    description: VTEP device name, for example C(vx100).
    type: str
    required: true
  vni:
    description: VXLAN network identifier, 1-16777215 (24 bits). Required with O(state=present).
    type: int
  local:
    description: Underlay source address; must be an address of this host. Required with O(state=present).
    type: str
  dev:
    description: Underlay device the tunnel is bound to (the NIC, or the bridge that took its address).
      Required with O(state=present).
    type: str
  dstport:
    description: UDP destination port.
    type: int
    default: 4789
  learning:
    description: Learn remote MACs from received frames. Off in a fabric whose forwarding entries are programmed.
    type: bool
    default: false
  group:
    description: Multicast group for BUM traffic; omit for unicast VXLAN with head-end replication.
    type: str
  ttl:
    description: TTL of the outer IP header (1-255); omitted = inherit the kernel default.
    type: int
  mtu:
    description:
      - MTU of the VTEP. Defaults to the MTU of O(dev) minus 50 (IPv4 underlay) or 70 (IPv6 underlay);
        a larger value is refused.
    type: int
  master:
    description: Bridge to attach the VTEP to (the tenant's bridge).
    type: str
  neigh_suppress:
    description: Bridge port flag that answers ARP/ND locally instead of flooding it (needs O(master)).
    type: bool
  mac:
    description:
      - MAC address of the VTEP (a unicast MAC). Peers that program forwarding and neighbour entries towards
        this VTEP (a routed overlay, flannel style) need it fixed and known in advance. Omitted, the kernel's
        random MAC is kept.
    type: str
  addresses:
    description:
      - The VTEP's own addresses, with prefix (a routed overlay carries its subnet's network address as a /32,
        as flannel does). The list is exclusive - other global addresses on the VTEP are removed. Omitted, the
        VTEP's addresses are not managed.
    type: list
    elements: str
  state:
    description: Whether the VTEP exists.
    type: str
    choices: [present, absent]
    default: present
'''

EXAMPLES = r'''
- name: VTEP for tenant VNI 100 on the underlay bridge, attached to the tenant bridge
  netfabric.core.vxlan_vtep:
    name: vx100
    vni: 100
    local: 192.0.2.11
    dev: br0
    master: brvni100
    ipv6_addrgen: false   # pure layer 2: no link-local address on the VTEP

- name: Routed overlay VTEP, flannel style (VNI 1, port 8472, fixed MAC, subnet address as /32)
  netfabric.core.vxlan_vtep:
    name: flannel.1
    vni: 1
    local: 192.0.2.11
    dev: eth0
    dstport: 8472
    mac: "0a:58:c0:00:02:0b"
    addresses: [10.244.1.0/32]

# Ad hoc across a lab inventory (run twice: changed, then ok):
#   ansible -i lab/inventory.ini all -m netfabric.core.vxlan_vtep \
#     -a "name=vx100 vni=100 local={{ netfabric_underlay_address }} dev=eth0"

- name: Remove it
  netfabric.core.vxlan_vtep:
    name: vx100
    state: absent
'''

RETURN = r'''
actions:
  description: The changes made (in check mode, the changes that would be made), in order.
  returned: always
  type: list
  elements: str
  sample: ["create vxlan vx100 vni 100 local 192.0.2.11 dev br0 dstport 4789", "mtu=1450 on vx100", "set vx100 up"]
mtu:
  description: MTU of the VTEP (planned in check mode); give it to the tenant's container interfaces.
  returned: success
  type: int
  sample: 1450
vni:
  description: VNI of the VTEP.
  returned: success
  type: int
  sample: 100
local:
  description: Underlay source address of the VTEP.
  returned: success
  type: str
  sample: 192.0.2.11
diff:
  description: The managed state before and after (with C(--diff)).
  returned: when diff mode is on
  type: dict
'''

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.netfabric.core.plugins.module_utils.converge import run
from ansible_collections.netfabric.core.plugins.module_utils.vxlan_vtep import ARGUMENT_SPEC, REQUIRED_IF, VxlanVtep


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, required_if=REQUIRED_IF, supports_check_mode=True)
    run(module, VxlanVtep)


if __name__ == "__main__":
    main()
