#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, netfabric.core contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: neigh_entry
short_description: Converge the permanent neighbour (ARP/NDP) entries of one device in one batch
version_added: 0.1.0
description:
  - Programs permanent neighbour entries on O(dev) (C(ip neigh replace ADDRESS lladdr MAC dev DEV nud permanent
    protocol N)), each marked with the neighbour protocol number O(protocol). That number is the ownership
    mark - the entries this module manages are exactly the entries on O(dev) that carry it.
  - One call converges thousands of entries with one dump filtered by device in the kernel, a set difference,
    then only the needed removals and additions, pipelined in batches over raw netlink.
  - For every address the task lists, the listed MAC is the only one it owns. With O(exclusive), every owned
    entry on O(dev) that is not listed is removed.
  - Permanent entries without the mark (an administrator's, another program's) are never changed or removed;
    a listed address that already has one is refused before any change. The kernel's own cache entries
    (reachable, stale, failed) for a listed address are replaced.
  - If a request in the batch fails, the requests of that batch that succeeded are undone and the module fails.
author:
  - netfabric.core developers (@netfabric)
extends_documentation_fragment:
  - netfabric.core.netns
options:
  dev:
    description: The device the entries belong to (the routed overlay's VTEP, for example C(flannel.1)).
    type: str
    required: true
  entries:
    description: The entries. An empty list with O(exclusive) removes every owned entry on O(dev).
    type: list
    elements: dict
    required: true
    suboptions:
      address:
        description: IPv4 or IPv6 address of the neighbour (a peer VTEP's address).
        type: str
        required: true
      mac:
        description: Its link-layer address (a unicast MAC, not all-zero).
        type: str
        required: true
  protocol:
    description:
      - Neighbour protocol number that marks the entries this task owns (5-255; 0-4 are refused, as for routes).
    type: int
    default: 157
  adopt:
    description:
      - Take over a permanent entry without any protocol mark that is already exactly a listed entry (same address
        and MAC) - it is replaced by the same entry with the mark, and owned from then on. systemd-networkd's
        C([Neighbor]) sections create such entries at boot. An unmarked entry with another MAC is still refused.
    type: bool
    default: false
  state:
    description: C(present) adds the listed entries; C(absent) removes the listed entries this task owns.
    type: str
    choices: [present, absent]
    default: present
  exclusive:
    description: With O(state=present), also remove every owned entry on O(dev) that is not listed.
    type: bool
    default: false
notes:
  - Needs a kernel with neighbour protocol support (Linux 5.2 or later).
'''

EXAMPLES = r'''
- name: Each peer VTEP's address resolves to its MAC, nothing is ever asked on the wire
  netfabric.core.neigh_entry:
    dev: flannel.1
    exclusive: true
    entries:
      - {address: 10.244.2.0, mac: "0a:58:c0:00:02:0c"}
      - {address: 10.244.3.0, mac: "0a:58:c0:00:02:0d"}
'''

RETURN = r'''
actions:
  description: The changes made (in check mode, the changes that would be made).
  returned: always
  type: list
  elements: str
  sample: ["program 2 neighbour entries on flannel.1 (+2 -0)"]
added:
  description: Entries added (in check mode, to be added).
  returned: success
  type: list
  elements: dict
  sample: [{"address": "10.244.2.0", "mac": "0a:58:c0:00:02:0c"}]
removed:
  description: Entries removed (in check mode, to be removed).
  returned: success
  type: list
  elements: dict
  sample: []
entry_count:
  description: Owned entries on O(dev) after the run.
  returned: success
  type: int
  sample: 2
diff:
  description: The owned entries before and after (with C(--diff)).
  returned: when diff mode is on
  type: dict
'''

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.netfabric.core.plugins.module_utils.converge import run
from ansible_collections.netfabric.core.plugins.module_utils.neighbours import ARGUMENT_SPEC, NeighbourEntries


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    run(module, NeighbourEntries)


if __name__ == "__main__":
    main()
