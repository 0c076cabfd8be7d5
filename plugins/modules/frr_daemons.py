#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, netfabric.core contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: frr_daemons
short_description: Run and supervise FRR's zebra and bgpd in a pathspace, without an init system
version_added: 0.2.0
description:
  - Where no systemd runs FRR (a network-namespace lab host, a container), keeps one FRR instance per
    O(pathspace) running - C(zebra) and C(bgpd) started with C(-N PATHSPACE -d -f CONFIG), in the network
    namespace the module runs in. Sockets and pid files live in C(RUNDIR/PATHSPACE/) (made and owned by
    O(user)), so several instances on one machine never collide.
  - A daemon counts as running only when its pid file names a live process of that daemon, started with
    C(-N PATHSPACE), in the module's network namespace. A stale pid file is not a running daemon, and a
    running daemon is never started a second time.
  - V(restarted) stops the running daemons (SIGTERM, bgpd first) and starts all of them, zebra first; use it
    when their configuration file changed. Start failures roll back the daemons this run started.
  - On hosts where systemd runs FRR, use the C(frr) service instead.
author:
  - netfabric.core developers (@netfabric)
options:
  pathspace:
    description:
      - FRR pathspace (C(-N)), 1-63 characters of C([A-Za-z0-9_.-]) starting with a letter or digit.
    type: str
    required: true
  daemons:
    description: The daemons to manage (started in the order zebra, bgpd).
    type: list
    elements: str
    choices: [zebra, bgpd]
    default: [zebra, bgpd]
  state:
    description:
      - V(started) starts the daemons that are not running, V(stopped) stops the running ones, V(restarted)
        stops and starts all.
    type: str
    choices: [started, stopped, restarted]
    default: started
  config:
    description: The configuration file every daemon reads (C(-f)); default C(CONFDIR/PATHSPACE/frr.conf).
    type: str
  bindir:
    description: Directory of the FRR daemons.
    type: str
    default: /usr/lib/frr
  confdir:
    description: FRR's configuration directory (the default O(config) is below it).
    type: str
    default: /etc/frr
  rundir:
    description: FRR's state directory; the pathspace's sockets and pid files go to C(RUNDIR/PATHSPACE/).
    type: str
    default: /var/run/frr
  user:
    description: The user the daemons drop to (they are started as root); it owns C(RUNDIR/PATHSPACE/).
    type: str
    default: frr
requirements:
  - FRR (Debian/Ubuntu package C(frr)) on the managed host
notes:
  - Query an instance with C(vtysh -N PATHSPACE), run in the same network namespace.
  - The daemons are not restarted when they die; the next run with V(started) starts them again.
'''

EXAMPLES = r'''
- name: FRR of this lab host (configuration rendered before to /etc/frr/lab-h1/frr.conf)
  netfabric.core.frr_daemons:
    pathspace: lab-h1

- name: Apply a changed configuration
  netfabric.core.frr_daemons:
    pathspace: lab-h1
    state: restarted

- name: Stop the instance
  netfabric.core.frr_daemons:
    pathspace: lab-h1
    state: stopped
'''

RETURN = r'''
actions:
  description: The daemons stopped and started (in check mode, those that would be).
  returned: always
  type: list
  elements: str
  sample: ["start zebra -N lab-h1 -f /etc/frr/lab-h1/frr.conf", "start bgpd -N lab-h1 -f /etc/frr/lab-h1/frr.conf"]
pids:
  description: Daemon name to the pid of its running process.
  returned: success
  type: dict
  sample: {"zebra": 4242, "bgpd": 4250}
config:
  description: The configuration file the daemons read.
  returned: success
  type: str
  sample: /etc/frr/lab-h1/frr.conf
diff:
  description: Each daemon's state (running, stopped) before and after, with C(--diff).
  returned: when diff mode is on
  type: dict
'''

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.netfabric.core.plugins.module_utils.converge import run
from ansible_collections.netfabric.core.plugins.module_utils.frr_daemons import ARGUMENT_SPEC, FrrDaemons


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    run(module, lambda params: FrrDaemons(params, module.run_command))


if __name__ == "__main__":
    main()
