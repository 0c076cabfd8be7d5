#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, netfabric.core contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: route_entry
short_description: Converge the routes through one device that a protocol number marks as owned, in one batch
version_added: 0.1.0
description:
  - Programs unicast routes of the main table through O(dev) (C(ip route add DST via GW dev DEV onlink proto N)),
    each marked with the route protocol number O(protocol). That number is the ownership mark - the routes
    this module manages are exactly the main-table routes through O(dev) that carry it.
  - One call converges thousands of routes with one dump of the main table, a set difference, then only the
    needed removals and additions, pipelined in batches over raw netlink.
  - For every destination (and metric) the task lists, the listed route is the only one it owns, so a peer
    whose gateway changed loses its old route. With O(exclusive), every owned route through O(dev) that is
    not listed is removed (peers that left).
  - Routes carrying another protocol number (the kernel's, C(boot), C(static), a routing daemon's) are never
    changed or removed. A listed route that would collide with such a route (same destination and metric)
    is refused before any change, naming both.
  - If a request in the batch fails, the requests of that batch that succeeded are undone and the module fails.
author:
  - netfabric.core developers (@netfabric)
extends_documentation_fragment:
  - netfabric.core.netns
options:
  dev:
    description: The device the routes go through (the routed overlay's VTEP, for example C(flannel.1)).
    type: str
    required: true
  routes:
    description: The routes. An empty list with O(exclusive) removes every owned route through O(dev).
    type: list
    elements: dict
    required: true
    suboptions:
      dst:
        description: Destination network in CIDR form without host bits, for example C(10.244.3.0/24).
        type: str
        required: true
      gateway:
        description: Next hop, same family as O(routes[].dst). Omitted, the route is a direct (scope link) route.
        type: str
      onlink:
        description:
          - Treat the gateway as directly on the link even though no address of O(dev) covers it
            (flannel's VTEPs carry a /32 only). Needs O(routes[].gateway).
        type: bool
        default: false
      metric:
        description: Route metric (priority). IPv6 routes without one get the kernel's 1024.
        type: int
        default: 0
  protocol:
    description:
      - Route protocol number that marks the routes this task owns (5-255; 0-4 are the kernel's own and are
        refused). Use one number per owner - two tasks with the same O(dev) and O(protocol) own the same routes.
      - The default 157 is not listed in iproute2's C(rt_protos), so C(ip route) shows it as C(proto 157).
    type: int
    default: 157
  state:
    description: C(present) adds the listed routes; C(absent) removes the listed routes this task owns.
    type: str
    choices: [present, absent]
    default: present
  exclusive:
    description: With O(state=present), also remove every owned route through O(dev) that is not listed.
    type: bool
    default: false
'''

EXAMPLES = r'''
- name: Route every peer's subnet through the VTEP, flannel style (stale peers removed)
  netfabric.core.route_entry:
    dev: flannel.1
    exclusive: true
    routes:
      - {dst: 10.244.2.0/24, gateway: 10.244.2.0, onlink: true}
      - {dst: 10.244.3.0/24, gateway: 10.244.3.0, onlink: true}

- name: Remove every route this protocol number owns through the VTEP
  netfabric.core.route_entry:
    dev: flannel.1
    routes: []
    exclusive: true
'''

RETURN = r'''
actions:
  description: The changes made (in check mode, the changes that would be made).
  returned: always
  type: list
  elements: str
  sample: ["program 2 routes via flannel.1 (+2 -0)"]
added:
  description: Routes added (in check mode, to be added).
  returned: success
  type: list
  elements: dict
  sample: [{"dst": "10.244.2.0/24", "gateway": "10.244.2.0", "onlink": true, "metric": 0}]
removed:
  description: Routes removed (in check mode, to be removed).
  returned: success
  type: list
  elements: dict
  sample: []
route_count:
  description: Owned routes through O(dev) after the run.
  returned: success
  type: int
  sample: 2
diff:
  description: The owned routes before and after (with C(--diff)).
  returned: when diff mode is on
  type: dict
'''

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.netfabric.core.plugins.module_utils.converge import run
from ansible_collections.netfabric.core.plugins.module_utils.routes import ARGUMENT_SPEC, RouteEntries


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    run(module, RouteEntries)


if __name__ == "__main__":
    main()
