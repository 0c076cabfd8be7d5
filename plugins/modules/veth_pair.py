#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, netfabric.core contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: veth_pair
short_description: Manage a veth pair whose peer end lives in another network namespace
version_added: 0.1.0
description:
  - Creates, changes or removes a virtual ethernet pair, the cable between a bridge and a container.
  - The pair is identified by its host end O(name). The other end (O(peer)) is created directly in O(peer_netns),
    optionally with addresses and a default route, as a container's interface.
  - Both ends are brought up, and so is C(lo) in the peer's namespace when it differs from the host end's
    (a container's namespace needs it).
  - Changing O(peer) renames the peer. Changing O(peer_netns) moves the peer there if it is in the host end's
    namespace; a peer in another named namespace (C(/run/netns)) under the name O(peer) cannot be moved from
    here, so the pair is then deleted and re-created, and RV(actions) says so.
  - A veth named O(name) whose peer is anything else - another name, a namespace without a name such as
    the host of a container (a container's C(eth0)) - is not the pair the task describes, and is refused
    with a message saying what is there; it is never deleted.
  - An O(mtu) below 1280 is refused while either end carries (or is to carry) IPv6 addresses, which the
    kernel would drop.
  - Moving or re-creating clears the peer's addresses and routes; the ones given in O(peer_addresses) and
    O(peer_gateway) are set again.
  - Only the options given are managed; the others are left as they are.
author:
  - netfabric.core developers (@netfabric)
extends_documentation_fragment:
  - netfabric.core.netns
  - netfabric.core.ipv6_addrgen
options:
  name:
    description:
      - Name of the host end (1-15 characters of C([A-Za-z0-9_.-])), in the namespace given by O(netns).
    type: str
    required: true
  peer:
    description:
      - Name of the other end, in the namespace where it ends up. Required with O(state=present).
      - The name must not be taken by another link there.
    type: str
  peer_netns:
    description:
      - Network namespace of the peer end; a name from C(/run/netns), an absolute path such as
        C(/proc/1234/ns/net), or a process ID (for example a container's).
      - Omitted means the host end's namespace.
      - The namespace must exist, else the module fails naming this option and changes nothing.
        It is not opened with O(state=absent) (a removed container's namespace may be gone).
    type: str
  master:
    description: Bridge to attach the host end to; it must exist in the host end's namespace.
    type: str
  mtu:
    description: MTU of both ends (68-65535). Mutually exclusive with O(mtu_from).
    type: int
  mtu_from:
    description:
      - A link in the host end's namespace whose MTU both ends take, read when the task runs, for example
        the tenant's VTEP, whose MTU the kernel derives from its underlay device.
      - The link must exist (in check mode, when run by M(netfabric.core.network_state), an earlier item may
        create it). Mutually exclusive with O(mtu).
    type: str
  peer_addresses:
    description:
      - The complete list of IPv4/IPv6 addresses with prefix length on the peer, for example C(192.0.2.21/24).
      - Addresses not listed are removed (link-local IPv6 addresses are the kernel's and left alone).
        Omit the option to leave the peer's addresses unmanaged; C([]) removes all.
    type: list
    elements: str
  peer_gateway:
    description:
      - Default route inside the peer's namespace via this address on the peer (IPv4 or IPv6, the route of
        that family). It must be inside one of the subnets of O(peer_addresses), and not one of its addresses.
      - The default route of that family with the kernel's default metric is replaced; other routes are kept.
        Omit to leave routes unmanaged.
    type: str
  state:
    description:
      - Whether the pair exists. C(absent) deletes the host end; the kernel deletes the peer with it.
      - A link named O(name) that is not a veth is never deleted; the module fails instead.
    type: str
    choices: [present, absent]
    default: present
'''

EXAMPLES = r'''
- name: Container interface eth0 in namespace c1, host end in bridge br0
  netfabric.core.veth_pair:
    name: vc1
    peer: eth0
    peer_netns: c1
    master: br0
    mtu: 1450
    peer_addresses:
      - 192.0.2.21/24
    peer_gateway: 192.0.2.1

- name: Tenant container on a pure layer-2 bridge - the host end carries no address, not even a link-local
  netfabric.core.veth_pair:
    name: oc1
    peer: eth1
    peer_netns: c1
    master: brv100
    peer_addresses:
      - 198.51.100.2/24
    ipv6_addrgen: false

- name: Peer end in the namespace of a running process
  netfabric.core.veth_pair:
    name: vc2
    peer: eth0
    peer_netns: "{{ container_pid }}"
    master: br0

- name: Remove the pair (both ends)
  netfabric.core.veth_pair:
    name: vc1
    state: absent

- name: Container interface eth1 on a tenant bridge, with the MTU of the tenant's VTEP
  netfabric.core.veth_pair:
    name: oc1
    peer: eth1
    peer_netns: c1
    master: brv100
    mtu_from: vx100
    peer_addresses:
      - 198.51.100.2/24
'''

RETURN = r'''
actions:
  description: The changes made (in check mode, the changes that would be made), in order.
  returned: always
  type: list
  elements: str
  sample: ["create veth vc1 with peer eth0 in peer_netns 'c1'", "set master of vc1 to br0", "set vc1 up"]
diff:
  description: The managed state before and after (with C(--diff)).
  returned: when diff mode is on
  type: dict
  sample: {"before": {"name": "vc1", "state": "absent"},
           "after": {"name": "vc1", "state": "present", "peer": "eth0", "peer_netns": "c1", "master": "br0"}}
index:
  description: Interface index of the host end; null when absent (or not created yet, in check mode).
  returned: always
  type: int
  sample: 7
peer_index:
  description:
    - Interface index of the peer in its namespace; null when absent, in check mode before the pair exists,
      or when the peer is in a namespace the module cannot reach.
  returned: always
  type: int
  sample: 2
'''

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.netfabric.core.plugins.module_utils.converge import run
from ansible_collections.netfabric.core.plugins.module_utils.veth_pair import ARGUMENT_SPEC, VethPair


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    run(module, VethPair)


if __name__ == "__main__":
    main()
