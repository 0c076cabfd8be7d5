#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, netfabric.core contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: netns
short_description: Manage a named Linux network namespace
version_added: 0.1.0
description:
  - Creates or removes a named network namespace in C(/run/netns), the same kind C(ip netns add) creates,
    usable as O(netfabric.core.bridge#module:netns) or O(netfabric.core.veth_pair#module:peer_netns)
    by the other modules of this collection.
  - Creation and removal use pyroute2 (C(pyroute2.netns)); no C(ip) command is run.
  - A new namespace has only a loopback device, down; O(loopback_up) brings it up.
author:
  - netfabric.core developers (@netfabric)
options:
  name:
    description:
      - Namespace name, 1-63 characters of C([A-Za-z0-9_.-]) starting with a letter or digit.
      - A plain name only, not a path and not a number (the C(netns) options of the other modules read a number as a PID).
    type: str
    required: true
  state:
    description:
      - Whether the namespace exists.
      - C(absent) unmounts and deletes C(/run/netns/NAME). When nothing else holds the namespace, the kernel
        destroys it together with its virtual links (veth, bridge, VXLAN, ...); deleting one end of a veth pair
        deletes the other end too, also in another namespace. Physical devices return to the initial namespace.
      - Processes still running in the namespace (or bind mounts of it elsewhere) keep it alive, without a name,
        until they exit.
    type: str
    choices: [present, absent]
    default: present
  loopback_up:
    description:
      - State of the loopback device C(lo) in the namespace with O(state=present). V(true) brings it up
        (processes in the namespace need it to talk to themselves), V(false) takes it down.
    type: bool
    default: true
requirements:
  - pyroute2 >= 0.9 on the managed host
  - Linux, and the C(CAP_SYS_ADMIN) and C(CAP_NET_ADMIN) capabilities (run as root or with become)
attributes:
  check_mode:
    support: full
    description: Check mode reads the actual state and reports the planned changes without applying any.
  diff_mode:
    support: full
    description: Returns the namespace's state (existence, loopback state, links in it) before and after.
  platform:
    support: full
    platforms: linux
    description: Uses Linux network namespaces and rtnetlink.
notes:
  - A file C(/run/netns/NAME) that is not a mounted namespace (left behind by a failed creation) counts as
    absent; it is deleted (and, with O(state=present), the namespace created).
  - The module reads the state back after a change; if it does not show the planned state, the module fails.
'''

EXAMPLES = r'''
- name: Namespace for a container-like lab host
  netfabric.core.netns:
    name: lab-h1

- name: Remove it (the kernel deletes the veth ends and bridges inside)
  netfabric.core.netns:
    name: lab-h1
    state: absent
'''

RETURN = r'''
actions:
  description: The changes made (in check mode, the changes that would be made), in order.
  returned: always
  type: list
  elements: str
  sample: ["create network namespace lab-h1", "set lo up in lab-h1"]
diff:
  description: The namespace's state before and after (with C(--diff)); C(links) lists its links other than C(lo).
  returned: when diff mode is on
  type: dict
  sample: {"before": {"name": "lab-h1", "state": "absent"},
           "after": {"name": "lab-h1", "state": "present", "loopback_up": true, "links": []}}
'''

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.netfabric.core.plugins.module_utils.converge import run
from ansible_collections.netfabric.core.plugins.module_utils.netns_resource import ARGUMENT_SPEC, NetnsResource


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    run(module, NetnsResource)


if __name__ == "__main__":
    main()
