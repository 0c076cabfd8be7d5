#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, netfabric.core contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: bridge_port
short_description: Attach a link to a Linux bridge, set its port flags, and move the host's addresses with it
version_added: 0.1.0
description:
  - Makes a link a port of a Linux bridge (or releases it) and manages the bridge port flags.
  - A link that is a port of another bridge is moved to O(bridge); the action says so.
  - With O(migrate_addresses), the IPv4/IPv6 addresses of the link and the routes through it (the default
    route included) move onto the bridge in the same run, in an order that keeps the host reachable.
    The addresses are first copied to the bridge; then enslaving the link, moving every route and removing
    the link's addresses go to the kernel in one request (one system call), so a run killed at any instant
    leaves either the link as it was (with copies of its addresses on the bridge) or the migration done,
    and IPv4 to the gateway keeps working either way.
  - What the migration cannot carry is refused before any change, with the routes and rules named - a
    multipath (ECMP) route with a nexthop on the link, a route through it in another table than main,
    a policy rule naming it.
  - Joining a port whose MTU is below 1280 to a bridge that carries IPv6 addresses is refused (the bridge
    would follow the port's MTU down and the kernel would drop its IPv6 addresses).
  - The link's administrative state (up/down) is not managed.
author:
  - netfabric.core developers (@netfabric)
extends_documentation_fragment:
  - netfabric.core.netns
options:
  bridge:
    description: The bridge (1-15 characters of C([A-Za-z0-9_.-])). It must exist and be a bridge.
    type: str
    required: true
  port:
    description:
      - The link to attach (1-15 characters of C([A-Za-z0-9_.-])). It must exist, must not be O(bridge)
        and must not be a bridge itself.
    type: str
    required: true
  state:
    description:
      - C(present) makes O(port) a port of O(bridge). C(absent) releases it if it is a port of O(bridge)
        (a port of another bridge is left alone).
    type: str
    choices: [present, absent]
    default: present
  learning:
    description: Learn source MAC addresses on the port (C(bridge link set ... learning)). Unset leaves it unmanaged.
    type: bool
  flood:
    description: Flood unicast frames to unknown destinations out of the port (C(flood)). Unset leaves it unmanaged.
    type: bool
  hairpin:
    description: Send frames back out of the port they came in on (C(hairpin)). Unset leaves it unmanaged.
    type: bool
  neigh_suppress:
    description: Answer ARP/ND for the port from the bridge's neighbour entries (C(neigh_suppress)). Unset leaves it unmanaged.
    type: bool
  isolated:
    description: Isolate the port from the other isolated ports (C(isolated)). Unset leaves it unmanaged.
    type: bool
  migrate_addresses:
    description:
      - With O(state=present), move the global IPv4/IPv6 addresses of O(port) and the main-table routes
        through it (default route included) onto O(bridge), in this order; add the addresses to the bridge
        (and bring the bridge up), attach the port, move each route with C(ip route replace) so there is
        never a moment without it, then delete the addresses from the port.
      - With O(state=absent), move back to O(port) all global addresses and main-table routes that are on
        O(bridge) at that time. Nothing is recorded on the host about what moved when the port joined, so a
        bridge that carries addresses of its own, or has other ports, still hands all of its addresses to
        O(port). Without this option addresses and routes are never touched.
      - Link-local IPv6 addresses, multipath routes and routes in tables other than C(main) are not moved.
        Note that the kernel itself deletes the IPv4 routes of every table that go through a link when
        that link's last IPv4 address is removed.
      - If any step fails, the steps already done are undone in reverse order, so the host keeps its
        addresses and default route.
    type: bool
    default: false
'''

EXAMPLES = r'''
- name: Attach a container veth with learning off and port isolation
  netfabric.core.bridge_port:
    bridge: br0
    port: veth-c1
    learning: false
    isolated: true

- name: Put the uplink into br0 and move its addresses and default route to the bridge
  netfabric.core.bridge_port:
    bridge: br0
    port: eth0
    migrate_addresses: true

- name: Release the uplink again, moving the bridge's addresses and routes back to it
  netfabric.core.bridge_port:
    bridge: br0
    port: eth0
    state: absent
    migrate_addresses: true
'''

RETURN = r'''
actions:
  description: The changes made (in check mode, the changes that would be made), in order.
  returned: always
  type: list
  elements: str
  sample:
    - "add address 192.0.2.11/24 to br0"
    - "enslave eth0 to br0"
    - "move route default via 192.0.2.1 from eth0 to br0"
    - "delete address 192.0.2.11/24 from eth0"
port_mtu:
  description: MTU of O(port) (it decides the bridge's MTU while the bridge has no explicit one).
  returned: success
  type: int
  sample: 1500
bridge_addresses:
  description:
    - With O(migrate_addresses) and O(state=present), the global addresses on O(bridge) once the port's
      addresses moved there (in check mode, the addresses it would carry). Use it to persist the move.
  returned: success, when O(migrate_addresses) is true and O(state=present)
  type: list
  elements: str
  sample: ["192.0.2.11/24"]
bridge_routes:
  description:
    - With O(migrate_addresses) and O(state=present), the main-table routes through O(bridge) (kernel
      routes excluded) once the port's routes moved there (planned in check mode), sorted.
  returned: success, when O(migrate_addresses) is true and O(state=present)
  type: list
  elements: dict
  contains:
    dst:
      description: Destination CIDR, or C(default).
      type: str
    gateway:
      description: Next hop, or null for a link-scope route.
      type: str
    metric:
      description: Route priority, or null.
      type: int
    prefsrc:
      description: Preferred source address, or null.
      type: str
    onlink:
      description: The gateway is reached on-link without a covering subnet.
      type: bool
  sample: [{"dst": "default", "gateway": "192.0.2.1", "metric": null, "prefsrc": null, "onlink": false}]
diff:
  description:
    - The managed state before and after (with C(--diff)). With O(migrate_addresses) it also lists the
      addresses and routes of both links.
  returned: when diff mode is on
  type: dict
  sample:
    before: {"bridge": "br0", "port": "eth0", "state": "absent", "master": null, "learning": null}
    after: {"bridge": "br0", "port": "eth0", "state": "present", "master": "br0", "learning": true}
'''

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.netfabric.core.plugins.module_utils.bridge_port import ARGUMENT_SPEC, BridgePort
from ansible_collections.netfabric.core.plugins.module_utils.converge import run


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    run(module, BridgePort)


if __name__ == "__main__":
    main()
