#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, netfabric.core contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: fdb_entry
short_description: Converge the remote forwarding entries of a VXLAN device in one batch
version_added: 0.1.0
description:
  - Programs static remote forwarding entries (C(bridge fdb ... dst IP self permanent)) on a VXLAN device.
  - One call converges thousands of entries with one dump filtered by device in the kernel, a set difference,
    then only the needed additions and removals, pipelined in batches.
  - Entries with MAC C(00:00:00:00:00:00) and several destinations are head-end replication, the flood
    list of a unicast VXLAN fabric, so broadcast, unknown unicast and multicast frames go to every listed VTEP.
  - For a non-zero MAC, the listed destinations are the complete set for that MAC, so a MAC that moved to
    another VTEP loses its old destination. Flood-list destinations not listed are kept unless O(exclusive).
  - Entries the module does not own are never read, compared or removed, also with O(exclusive) - learned
    entries, entries a control plane marked C(extern_learn) (FRR's EVPN MACs) and the bridge's own (master) entries.
  - A unicast MAC has exactly one destination; listing it towards two is refused before any change
    (the kernel would keep the first and ignore the second).
  - If a request in the batch fails, or the entries read back differ from the plan, every change of the run is
    undone and the module fails.
author:
  - netfabric.core developers (@netfabric)
extends_documentation_fragment:
  - netfabric.core.netns
options:
  dev:
    description: The VXLAN device (VTEP) the entries belong to.
    type: str
    required: true
  entries:
    description:
      - The entries. Mutually exclusive with O(mac)/O(dst).
    type: list
    elements: dict
    suboptions:
      mac:
        description: Destination MAC; C(00:00:00:00:00:00) for the flood list.
        type: str
        required: true
      dst:
        description:
          - Underlay IP address of the remote VTEP.
          - The unspecified addresses C(0.0.0.0) and C(::) are refused (the kernel reads a removal of them as
            a removal of every destination of the MAC).
        type: str
        required: true
      vni:
        description: VNI to use towards this VTEP, when it differs from the device's own (1-16777215).
        type: int
      port:
        description: UDP destination port towards this VTEP, when it differs from the device's.
        type: int
  mac:
    description: MAC of a single entry (with O(dst)).
    type: str
  dst:
    description: Remote VTEP address of a single entry (with O(mac)).
    type: str
  state:
    description: C(present) adds the listed entries; C(absent) removes them.
    type: str
    choices: [present, absent]
    default: present
  exclusive:
    description:
      - With O(state=present), also remove the static remote entries on O(dev) that are not listed, within
        O(exclusive_scope), such as the entries of peers that left the fabric.
    type: bool
    default: false
  exclusive_scope:
    description:
      - Which entries O(exclusive) may remove. The kernel cannot tell the flood entries a control plane such as
        FRR installs from static ones, so a task removes only within the part of the table it manages.
      - C(listed) - the classes of MAC the task lists - the flood list (MAC C(00:00:00:00:00:00)) when it
        lists a flood entry, the unicast MACs when it lists a unicast MAC; nothing when the list is empty.
      - C(flood) - the flood list only, also when the list is empty (a fabric shrunk to one host).
      - C(unicast) - the unicast MACs only. C(all) - every static remote entry.
      - Do not manage the flood list of a VTEP whose flood list a control plane (EVPN) installs.
    type: str
    choices: [listed, flood, unicast, all]
    default: listed
'''

EXAMPLES = r'''
- name: Flood list towards every peer VTEP, purging peers that left
  netfabric.core.fdb_entry:
    dev: vx100
    exclusive: true
    exclusive_scope: flood
    entries:
      - {mac: "00:00:00:00:00:00", dst: 192.0.2.12}
      - {mac: "00:00:00:00:00:00", dst: 192.0.2.13}

- name: One container MAC behind host 192.0.2.12
  netfabric.core.fdb_entry:
    dev: vx100
    mac: "02:42:c6:33:64:0a"
    dst: 192.0.2.12

- name: Remove an entry
  netfabric.core.fdb_entry:
    dev: vx100
    mac: "02:42:c6:33:64:0a"
    dst: 192.0.2.12
    state: absent
'''

RETURN = r'''
actions:
  description: The changes made (in check mode, the changes that would be made).
  returned: always
  type: list
  elements: str
  sample: ["program 2 fdb entries on vx100 (+2 -0)"]
added:
  description: Entries added (in check mode, to be added).
  returned: success
  type: list
  elements: dict
  sample: [{"mac": "00:00:00:00:00:00", "dst": "192.0.2.12"}]
removed:
  description: Entries removed (in check mode, to be removed).
  returned: success
  type: list
  elements: dict
  sample: []
entry_count:
  description: Static remote entries on the device after the run.
  returned: success
  type: int
  sample: 2
diff:
  description: The static remote entries before and after (with C(--diff)).
  returned: when diff mode is on
  type: dict
'''

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.netfabric.core.plugins.module_utils.converge import run
from ansible_collections.netfabric.core.plugins.module_utils.fdb_entries import (
    ARGUMENT_SPEC, MUTUALLY_EXCLUSIVE, REQUIRED_ONE_OF, REQUIRED_TOGETHER, FdbEntries)


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, mutually_exclusive=MUTUALLY_EXCLUSIVE,
                           required_together=REQUIRED_TOGETHER, required_one_of=REQUIRED_ONE_OF,
                           supports_check_mode=True)
    run(module, FdbEntries)


if __name__ == "__main__":
    main()
