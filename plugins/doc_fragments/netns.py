# -*- coding: utf-8 -*-
# Copyright (c) 2026, netfabric.core contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function
__metaclass__ = type


class ModuleDocFragment(object):
    # The netns option, requirements and the check/diff attributes every netlink module shares.
    DOCUMENTATION = r'''
options:
  netns:
    description:
      - Network namespace to work in, instead of the one the module runs in.
      - A name from C(/run/netns) (as created by C(ip netns add) or M(netfabric.core.netns)),
        an absolute path such as C(/proc/1234/ns/net), or a process ID.
      - The namespace must exist; the module never creates it implicitly. A file that is not a network
        namespace (a stale C(/run/netns) entry, C(/proc/PID/ns/mnt)) is refused with a message.
    type: str
requirements:
  - pyroute2 >= 0.9 on the managed host
  - Linux, and the C(CAP_NET_ADMIN) capability (run as root or with become)
attributes:
  check_mode:
    support: full
    description: Check mode reads the actual state and reports the planned changes without applying any.
  diff_mode:
    support: full
    description: Returns the managed state before and after the change.
  platform:
    support: full
    platforms: linux
    description: Uses Linux rtnetlink.
notes:
  - The module reads the actual state over netlink, plans the difference, applies it and reads the
    state back; if the kernel does not show the planned state, every change of the run is undone and
    the module fails.
  - When a change of several steps fails half way (for any reason, an unexpected error included), the
    steps already done are undone in reverse order; a step that deleted a device restores it with what
    went with it (forwarding entries, bridge membership, port flags, addresses, routes, MTU, up/down).
    A failed run reports C(changed=false) only when everything was restored.
  - Runs that change the same device in the same namespace are serialized by a lock
    (C(flock) on a file in C(/run/lock/netfabric)); a run waits up to 120 s, then fails without changing anything.
'''
