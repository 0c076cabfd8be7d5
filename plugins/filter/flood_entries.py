# -*- coding: utf-8 -*-
# Copyright (c) 2026, netfabric.core contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import ipaddress

from ansible.errors import AnsibleFilterError

ZERO_MAC = "00:00:00:00:00:00"


def flood_entries(peers, vni=None):
    """Head-end replication entries (all-zero MAC) for netfabric.core.fdb_entry, one per peer VTEP."""
    if isinstance(peers, str) or not isinstance(peers, (list, tuple)):
        raise AnsibleFilterError("flood_entries: input must be a list of VTEP addresses, got %r" % (peers,))
    entries = []
    for peer in peers:
        try:
            address = str(ipaddress.ip_address(str(peer)))
        except ValueError:
            raise AnsibleFilterError("flood_entries: %r is not an IP address" % (peer,))
        entry = {"mac": ZERO_MAC, "dst": address}
        if vni is not None:
            entry["vni"] = int(vni)
        entries.append(entry)
    return entries


class FilterModule(object):
    def filters(self):
        return {"flood_entries": flood_entries}
