#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, netfabric.core contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: network_state
short_description: Apply a host's whole desired network state in one run, with one rollback for the host
version_added: 0.2.0
description:
  - Converges a list of resources - bridges, bridge ports, veth pairs, VTEPs, forwarding entries, namespaces,
    the VTEP filter, routes, neighbours, IP forwarding - in one module run, in list order.
  - Each item names one of the collection's modules and takes exactly that module's options, validated
    against that module's own argument spec, and is converged by that module's own code. The public
    modules stay the reference for what each option does.
  - Every item is validated, and every item's resource is built, before anything changes. An item in a
    network namespace that an earlier C(netns) item creates is built at its turn (its options are still
    validated first).
  - A failure anywhere (a refused option, a failed step, a read-back that does not show the plan) undoes the
    failing item's changes and every earlier item's, newest first, so the host is left as it was.
    C(changed) on a failure tells whether anything could not be undone.
author:
  - netfabric.core developers (@netfabric)
options:
  resources:
    description:
      - The host's desired state, converged in this order. Each item is a dict with one key, the name of a
        module, whose value is that module's options.
      - "Modules: V(bridge), V(bridge_port), V(veth_pair), V(vxlan_vtep), V(fdb_entry), V(netns), V(vtep_filter),
        V(route_entry), V(neigh_entry), V(ip_forwarding) (see M(netfabric.core.bridge) and the others)."
      - Options are checked as the module checks them (types, choices, required options, mutually exclusive
        options); an error names the item (C(resources[3] (veth_pair oc1))), the option and the value.
    type: list
    elements: dict
    required: true
  pending_links:
    description:
      - In check mode only, names of links (in the module's namespace) and namespaces that an earlier task
        would have created, for example the returned RV(created) of a task that ran in check mode before.
      - Items that need one of them are reported as pending (changed) instead of failing on a missing link.
    type: list
    elements: str
    default: []
requirements:
  - pyroute2 >= 0.9 on the managed host
  - Linux, and the C(CAP_NET_ADMIN) capability (run as root or with become)
  - C(nft) when an item is a V(vtep_filter)
attributes:
  check_mode:
    support: full
    description:
      - Check mode reads the actual state and reports each item's planned changes without applying any.
      - An item that depends on a link or namespace an earlier item would create cannot be compared with
        anything yet; it is reported as pending (changed, with an action saying which creation it follows).
  diff_mode:
    support: full
    description: Returns the managed state of each item before and after, one diff per item.
  platform:
    support: full
    platforms: linux
    description: Uses Linux rtnetlink.
notes:
  - Each item runs the converge of its module (read, plan, apply unless check mode, read back); see the
    notes of M(netfabric.core.bridge).
  - The locks of every item (C(flock) on files in C(/run/lock/netfabric)) are held for the whole run.
seealso:
  - module: netfabric.core.bridge
  - module: netfabric.core.bridge_port
  - module: netfabric.core.veth_pair
  - module: netfabric.core.vxlan_vtep
  - module: netfabric.core.fdb_entry
  - module: netfabric.core.netns
  - module: netfabric.core.vtep_filter
'''

EXAMPLES = r'''
- name: A tenant's bridge, its VTEP, its flood list and a container on it, in one run
  netfabric.core.network_state:
    resources:
      - bridge: {name: brv100, addresses: [], ipv6_addrgen: false}
      - vxlan_vtep: {name: vx100, vni: 100, local: 192.0.2.11, dev: br0, learning: true, master: brv100}
      - fdb_entry:
          dev: vx100
          entries: [{mac: "00:00:00:00:00:00", dst: 192.0.2.12}]
          exclusive: true
          exclusive_scope: flood
      - netns: {name: c1}
      - veth_pair: {name: oc1, peer: eth1, peer_netns: c1, master: brv100, peer_addresses: [198.51.100.2/24]}
  register: tenant_state

- name: Each VTEP's MTU, from the per-item results
  ansible.builtin.debug:
    msg: "{{ tenant_state.results | selectattr('kind', 'equalto', 'vxlan_vtep') | map(attribute='mtu') | list }}"

- name: In check mode, items that follow the underlay bridge an earlier check-mode task would create are pending
  netfabric.core.network_state:
    resources:
      - vxlan_vtep: {name: vx100, vni: 100, local: 192.0.2.11, dev: br0}
    pending_links: "{{ underlay_state.created }}"
'''

RETURN = r'''
actions:
  description: Every change made (in check mode, that would be made), in order, each prefixed by its item.
  returned: always
  type: list
  elements: str
  sample: ["bridge brv100: create bridge brv100", "bridge brv100: set brv100 up", "veth_pair oc1: create veth oc1 with peer eth1"]
diff:
  description: One diff per item, with the item as header (with C(--diff)).
  returned: when diff mode is on
  type: list
  elements: dict
  sample: [{"before_header": "bridge brv100", "after_header": "bridge brv100",
            "before": {"name": "brv100", "state": "absent"}, "after": {"name": "brv100", "state": "present"}}]
results:
  description:
    - Per item, in order, what its module returns (for example C(mtu) of a V(vxlan_vtep)), with C(item) (the
      item's label), C(kind) (the module), C(changed), C(actions) and, for a pending item in check mode,
      C(pending=true).
  returned: always
  type: list
  elements: dict
  sample: [{"item": "vxlan_vtep vx100", "kind": "vxlan_vtep", "changed": false, "actions": [], "mtu": 1450,
            "vni": 100, "local": "192.0.2.11"}]
created:
  description:
    - Links (in the module's namespace) and namespaces this run created; in check mode, those it would create.
      A later task in check mode takes them as O(pending_links).
  returned: always
  type: list
  elements: str
  sample: ["brv100", "vx100"]
'''

import traceback

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible_collections.netfabric.core.plugins.module_utils.converge import explain
from ansible_collections.netfabric.core.plugins.module_utils.netlink import PYROUTE2_IMPORT_ERROR, NetfabricError
from ansible_collections.netfabric.core.plugins.module_utils.network_state import ARGUMENT_SPEC, converge_host


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    if PYROUTE2_IMPORT_ERROR is not None:
        module.fail_json(msg=missing_required_lib("pyroute2", reason="to manage links over netlink")
                         + " (pip install 'pyroute2>=0.9')", exception=PYROUTE2_IMPORT_ERROR)
    try:
        result = converge_host(module)
    except NetfabricError as exc:
        module.fail_json(msg=str(exc), changed=getattr(exc, "changed", False))
    except Exception as exc:  # a bug or an unforeseen input: a message, not a traceback on stdout
        module.fail_json(msg=explain(exc), exception=traceback.format_exc())
    if not module._diff:
        result.pop("diff")
    module.exit_json(**result)


if __name__ == "__main__":
    main()
