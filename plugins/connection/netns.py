# -*- coding: utf-8 -*-
# Copyright (c) 2026, netfabric.core contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r"""
name: netns
short_description: Run tasks inside a Linux network namespace on the controller
description:
  - Runs every task of a host inside the named network namespace (C(ip netns add NAME)) of the machine running Ansible,
    so that a namespace behaves like a managed host with its own interfaces, addresses, routes and neighbours.
  - Commands are wrapped in C(ip netns exec NAME /bin/sh -c CMD). Besides switching the network namespace, C(ip netns exec)
    remounts C(/sys) so that C(/sys/class/net) (used by fact gathering) shows the interfaces of the namespace.
  - The namespaces share the controller's filesystem, so files are transferred with plain local copies.
  - The namespace must already exist in C(/run/netns); the plugin never creates one. A missing or invalid name makes
    the host unreachable with a message naming the namespace.
author:
  - netfabric.core contributors (@netfabric)
version_added: 0.1.0
notes:
  - Requires root (C(CAP_SYS_ADMIN)) on the controller, because entering a namespace does; run C(ansible) as root.
  - Privilege escalation (C(become)) is ignored by this plugin; commands already run as the controller user (root).
  - The remote user is ignored, the user running the ansible CLI is used, exactly as with P(ansible.builtin.local#connection).
  - Like P(ansible.builtin.local#connection), the transport reports itself as C(local), so actions that refuse to act on the
    controller (for example M(ansible.builtin.reboot)) also refuse to act on a namespace.
requirements:
  - Linux with C(iproute2) (the C(ip) command) on the controller.
options:
  netns_name:
    description:
      - Name of the network namespace to run in, as listed by C(ip netns list) (a file in C(/run/netns)).
      - Defaults to C(ansible_host), which itself defaults to the inventory hostname.
      - Must be a plain file name (no C(/), not C(.) or C(..), no whitespace or control characters, at most 255 bytes).
    type: str
    default: inventory_hostname
    vars:
      - name: inventory_hostname
      - name: ansible_host
      - name: ansible_netns_name
  ip_executable:
    description:
      - The C(ip) command used to enter the namespace. A bare name is looked up in C(PATH), C(/usr/sbin) and C(/sbin).
    type: str
    default: ip
    env:
      - name: ANSIBLE_NETNS_IP_EXECUTABLE
    ini:
      - section: netns_connection
        key: ip_executable
    vars:
      - name: ansible_netns_ip_executable
  pipelining:
    description:
      - Feed modules to the interpreter on stdin instead of copying them to a temporary file first.
      - Saves a file transfer and a C(chmod) per task; enabled by default for this plugin since C(become) is not used.
    type: boolean
    default: true
    env:
      - name: ANSIBLE_PIPELINING
    ini:
      - section: defaults
        key: pipelining
      - section: connection
        key: pipelining
    vars:
      - name: ansible_pipelining
      - name: ansible_netns_pipelining
"""

EXAMPLES = r"""
# inventory.ini -- two namespaces made with `ip netns add lab-h1` / `ip netns add lab-h2`
# [fabric]
# h1 ansible_host=lab-h1
# h2 ansible_host=lab-h2
# [fabric:vars]
# ansible_connection=netfabric.core.netns
# ansible_python_interpreter=/usr/bin/python3

- name: Show the addresses of each namespace
  hosts: fabric
  gather_facts: false
  tasks:
    - name: Run ip inside the namespace of the host
      ansible.builtin.command: ip -br addr show
      changed_when: false

- name: Address a namespace by a variable instead of ansible_host
  hosts: h1
  vars:
    ansible_connection: netfabric.core.netns
    ansible_netns_name: lab-h1
  tasks:
    - name: Gather network facts of the namespace
      ansible.builtin.setup:
        gather_subset: [network]
"""

import fcntl
import os
import shlex
import shutil

from ansible.errors import AnsibleConnectionFailure
from ansible.module_utils.common.text.converters import to_text
from ansible.plugins.connection.local import Connection as LocalConnection
from ansible.utils.display import Display

display = Display()

NETNS_RUN_DIR = '/run/netns'
NAME_MAX = 255
NS_GET_NSTYPE = 0xb703  # ioctl on a namespace file: its CLONE_NEW* type
CLONE_NEWNET = 0x40000000


def is_network_namespace(path):
    """True when ``path`` is a mounted network namespace, not a file left behind (a stale /run/netns entry)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return False
    try:
        return fcntl.ioctl(fd, NS_GET_NSTYPE) == CLONE_NEWNET
    except OSError:
        return False
    finally:
        os.close(fd)


def validate_netns_name(name):
    """Return ``name`` if it is usable as a namespace name (a file name in /run/netns), else raise ValueError."""
    if not isinstance(name, str) or not name:
        raise ValueError('the network namespace name is empty')
    if name in ('.', '..') or '/' in name:
        raise ValueError("'%s' is not a valid network namespace name (no '/', not '.' or '..')" % name)
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in name):
        raise ValueError('%r is not a valid network namespace name (whitespace or control characters)' % name)
    if len(name.encode('utf-8', 'surrogateescape')) > NAME_MAX:
        raise ValueError("network namespace name '%s...' is longer than %d bytes" % (name[:32], NAME_MAX))
    return name


def find_executable(name):
    """Resolve a bare command name in PATH plus the sbin directories (root's tools may be outside PATH)."""
    if os.sep in name:
        return name if os.access(name, os.X_OK) else None
    path = os.pathsep.join([os.environ.get('PATH', os.defpath), '/usr/sbin', '/sbin'])
    return shutil.which(name, path=path)


class Connection(LocalConnection):
    """Local connection whose commands run inside a network namespace."""

    # 'local' on purpose: actions that must never touch the controller (reboot) treat us as local too.
    transport = 'local'
    has_pipelining = True
    has_tty = False

    def __init__(self, *args, **kwargs):
        super(Connection, self).__init__(*args, **kwargs)
        self._netns = None
        self._ip = None

    def set_become_plugin(self, plugin):
        """Ignore become: commands already run as root inside the namespace (see notes)."""
        if plugin is not None:
            display.vvv(u'netns connection: ignoring become method %s' % to_text(getattr(plugin, 'name', plugin)))
        self.become = None

    def _netns_name(self):
        name = None
        try:
            name = self.get_option('netns_name')
        except KeyError:
            pass
        if not name or name == 'inventory_hostname':
            name = self._play_context.remote_addr
        return to_text(name) if name is not None else name

    def _connect(self):
        """Check that the namespace exists (never create it) and that we may enter it."""
        if not self._connected:
            name = self._netns_name()
            try:
                validate_netns_name(name)
            except ValueError as e:
                raise AnsibleConnectionFailure(u'netns connection: %s' % to_text(e))
            path = os.path.join(NETNS_RUN_DIR, name)
            if not os.path.exists(path):
                raise AnsibleConnectionFailure(
                    u"netns connection: network namespace '%s' does not exist (%s not found; see 'ip netns list')" % (name, path))
            if os.geteuid() == 0 and not is_network_namespace(path):
                raise AnsibleConnectionFailure(
                    u"netns connection: netns_name '%s': %s is not a network namespace (a stale file left by a failed "
                    u"'ip netns add' or a removed container?); remove it, or create the namespace again" % (name, path))
            try:
                ip_name = self.get_option('ip_executable') or 'ip'
            except KeyError:
                ip_name = 'ip'
            ip_path = find_executable(ip_name)
            if not ip_path:
                raise AnsibleConnectionFailure(u"netns connection: cannot find the '%s' command (iproute2) to enter namespace '%s'" % (ip_name, name))
            if os.geteuid() != 0:
                raise AnsibleConnectionFailure(u"netns connection: entering network namespace '%s' needs root (running as uid %d)" % (name, os.geteuid()))
            self._netns = name
            self._ip = ip_path
            display.vvv(u'ESTABLISH NETNS CONNECTION TO %s' % name, host=name)
        return super(Connection, self)._connect()

    def _wrap(self, cmd):
        """``cmd`` (a shell string) as a shell string that runs it inside the namespace."""
        if isinstance(cmd, (list, tuple)):
            cmd = ' '.join(shlex.quote(to_text(a)) for a in cmd)
        cmd = to_text(cmd)
        argv = None
        try:
            argv = shlex.split(cmd)
        except ValueError:
            pass
        if argv and len(argv) == 3 and argv[1] == '-c' and os.path.isabs(argv[0]):
            # Already "SHELL -c SCRIPT" (how actions call us): exec that shell directly, not a shell running a shell.
            shell, script = argv[0], argv[2]
        else:
            shell, script = '/bin/sh', cmd
        return u'exec %s netns exec %s %s -c %s' % (shlex.quote(self._ip), shlex.quote(self._netns), shlex.quote(shell), shlex.quote(script))

    def exec_command(self, cmd, in_data=None, sudoable=True):
        """Run ``cmd`` with /bin/sh inside the namespace; stdin (pipelining) passes straight through."""
        if not self._connected:
            self._connect()
        return super(Connection, self).exec_command(self._wrap(cmd), in_data=in_data, sudoable=False)

    def close(self):
        super(Connection, self).close()
        self._netns = None
        self._ip = None
