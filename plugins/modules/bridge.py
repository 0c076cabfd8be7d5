#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, netfabric.core contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: bridge
short_description: Manage a Linux bridge device over netlink
version_added: 0.1.0
description:
  - Creates, changes or removes a Linux bridge, the device containers and VTEPs are attached to.
  - Brings the bridge up when present. Only the options given are managed; the others are left as they are.
author:
  - netfabric.core developers (@netfabric)
extends_documentation_fragment:
  - netfabric.core.netns
  - netfabric.core.ipv6_addrgen
options:
  name:
    description: Bridge name (1-15 characters of C([A-Za-z0-9_.-])).
    type: str
    required: true
  state:
    description: Whether the bridge exists. C(absent) deletes it (its ports are released, not deleted).
    type: str
    choices: [present, absent]
    default: present
  mtu:
    description:
      - MTU of the bridge (68-65535).
      - Below 1280 the kernel disables IPv6 on the bridge and silently drops its IPv6 addresses and routes;
        such an MTU is refused while the bridge carries (or O(addresses) lists) an IPv6 address.
    type: int
  stp:
    description: Enable the spanning tree protocol.
    type: bool
  vlan_filtering:
    description:
      - Enable VLAN filtering. Kernels built without it refuse this with "Operation not supported";
        the module then fails naming this option and leaves the bridge as it was.
    type: bool
  mac:
    description: MAC address of the bridge (unicast), for example C(02:00:00:00:00:01).
    type: str
  addresses:
    description:
      - The complete list of IPv4/IPv6 addresses with prefix length on the bridge, for example C(192.0.2.1/24).
      - Addresses not listed are removed (link-local IPv6 addresses are the kernel's and left alone; listing
        one is refused).
        Omit the option to leave addresses unmanaged; C([]) removes all.
    type: list
    elements: str
'''

EXAMPLES = r'''
- name: Container bridge with the host's address
  netfabric.core.bridge:
    name: br0
    mtu: 1500
    stp: false
    addresses:
      - 192.0.2.11/24

- name: Bridge for VNI 100 inside the namespace of a lab host
  netfabric.core.bridge:
    name: brvni100
    netns: lab-h1

- name: Tenant bridge without any host address (no IPv6 link-local either)
  netfabric.core.bridge:
    name: brv100
    addresses: []
    ipv6_addrgen: false

- name: Remove a bridge
  netfabric.core.bridge:
    name: br-old
    state: absent
'''

RETURN = r'''
actions:
  description: The changes made (in check mode, the changes that would be made), in order.
  returned: always
  type: list
  elements: str
  sample: ["create bridge br0", "set br0 up"]
diff:
  description: The managed state before and after (with C(--diff)).
  returned: when diff mode is on
  type: dict
  sample: {"before": {"name": "br0", "state": "absent"}, "after": {"name": "br0", "state": "present", "mtu": 1500}}
'''

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.netfabric.core.plugins.module_utils.bridge import ARGUMENT_SPEC, Bridge
from ansible_collections.netfabric.core.plugins.module_utils.converge import run


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    run(module, Bridge)


if __name__ == "__main__":
    main()
