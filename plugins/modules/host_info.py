#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, netfabric.core contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: host_info
short_description: Read a host's link names, its addresses and which network namespaces exist
version_added: 0.2.0
description:
  - Returns, read-only, the names of the host's links, its global IPv4 and IPv6 addresses (loopback and
    link-local excluded), and for each namespace of O(namespaces) whether it exists.
  - The roles' plan step runs it on every host before any host changes, to refuse a missing uplink, an underlay
    or VTEP address the host does not carry, or a container namespace the role must find but is not there.
  - Two netlink dumps (links, addresses) in the module's own namespace (or O(netns)); no command is run.
author:
  - netfabric.core developers (@netfabric)
options:
  namespaces:
    description:
      - Network namespaces to look for, each a name from C(/run/netns), an absolute path such as
        C(/proc/1234/ns/net), or a process ID. They are looked up, not opened.
    type: list
    elements: str
    default: []
  netns:
    description:
      - Network namespace to read, instead of the one the module runs in (a name from C(/run/netns), an absolute
        path or a process ID). It must exist.
    type: str
requirements:
  - Linux (rtnetlink)
attributes:
  check_mode:
    support: full
    description: Read only; the same in check mode.
  diff_mode:
    support: none
    description: Nothing changes, so there is no diff.
seealso:
  - module: netfabric.core.fabric_info
'''

EXAMPLES = r'''
- name: Read the host's links and addresses, and look for a container's namespace
  netfabric.core.host_info:
    namespaces: [c1, /proc/1234/ns/net]
  register: host

- name: Refuse a host without its uplink
  ansible.builtin.assert:
    that: "'eth0' in host.interfaces"
'''

RETURN = r'''
interfaces:
  description: Names of the host's links, sorted.
  returned: always
  type: list
  elements: str
  sample: ["br0", "eth0", "lo"]
all_ipv4_addresses:
  description: The host's global IPv4 addresses (no loopback), without prefix length.
  returned: always
  type: list
  elements: str
  sample: ["192.0.2.11"]
all_ipv6_addresses:
  description: The host's global IPv6 addresses (no loopback, no link-local), without prefix length.
  returned: always
  type: list
  elements: str
  sample: ["2001:db8::11"]
namespaces:
  description: Per namespace of O(namespaces), in order, the namespace as given, its file and whether it exists.
  returned: always
  type: list
  elements: dict
  sample: [{"netns": "c1", "path": "/run/netns/c1", "exists": true}]
'''

import traceback

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.netfabric.core.plugins.module_utils.converge import explain
from ansible_collections.netfabric.core.plugins.module_utils.errors import NetfabricError
from ansible_collections.netfabric.core.plugins.module_utils.host_info import ARGUMENT_SPEC, read_host


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    try:
        result = read_host(module.params)
    except NetfabricError as exc:
        module.fail_json(msg=str(exc))
    except Exception as exc:  # a message, not a traceback on stdout
        module.fail_json(msg=explain(exc), exception=traceback.format_exc())
    module.exit_json(**result)  # read only: no diff to return


if __name__ == "__main__":
    main()
