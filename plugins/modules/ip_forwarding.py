#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, netfabric.core contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: ip_forwarding
short_description: Turn IPv4 forwarding on or off for individual interfaces over netlink
version_added: 0.1.0
description:
  - Sets C(net.ipv4.conf.<interface>.forwarding) of each listed interface through netlink, without touching
    the global C(net.ipv4.ip_forward) or any other interface.
  - Linux forwards an IPv4 packet only when forwarding is on for the interface the packet arrived on, so a
    routed overlay needs it on its container bridge and its VTEP, and nowhere else.
  - Works in the network namespace given by O(netns); no C(sysctl) command or file is used, so nothing is
    persisted (use systemd-networkd's C(IPForward=) or a C(sysctl.d) file for that).
author:
  - netfabric.core developers (@netfabric)
extends_documentation_fragment:
  - netfabric.core.netns
options:
  interfaces:
    description: The interfaces; each must exist.
    type: list
    elements: str
    required: true
  enabled:
    description: Whether IPv4 forwarding is on for the listed interfaces.
    type: bool
    default: true
'''

EXAMPLES = r'''
- name: Forward between the container bridge and the VTEP
  netfabric.core.ip_forwarding:
    interfaces: [cni0, flannel.1]
'''

RETURN = r'''
actions:
  description: The changes made (in check mode, the changes that would be made).
  returned: always
  type: list
  elements: str
  sample: ["enable IPv4 forwarding on cni0"]
diff:
  description: Interface -> forwarding flag, before and after (with C(--diff)).
  returned: when diff mode is on
  type: dict
'''

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.netfabric.core.plugins.module_utils.converge import run
from ansible_collections.netfabric.core.plugins.module_utils.forwarding import ARGUMENT_SPEC, IpForwarding


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    run(module, IpForwarding)


if __name__ == "__main__":
    main()
