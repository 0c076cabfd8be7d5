# -*- coding: utf-8 -*-
# Copyright (c) 2026, netfabric.core contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function
__metaclass__ = type


class ModuleDocFragment(object):
    # The ipv6_addrgen option of bridge, vxlan_vtep and veth_pair (module_utils/addrgen.py).
    DOCUMENTATION = r'''
options:
  ipv6_addrgen:
    description:
      - IPv6 address generation on the link (the kernel's C(addrgenmode)); for M(netfabric.core.veth_pair)
        the host end O(name).
      - V(false) gives the host no presence on the link, for links that must be pure layer 2 (tenant bridges,
        VTEPs, the host ends of tenant veths) - mode C(none), set before a new link first comes up, so no
        link-local address, duplicate address detection, router solicitation or MLD report ever appears;
        on an existing link the link-local addresses it already has are removed too (setting the mode
        alone keeps them). The diff shows C(ipv6_addrgen) and C(ipv6_link_local).
      - V(true) sets mode C(eui64) where generation is off; the kernel adds the link-local address the next
        time the link comes up. A link in another generating mode (C(stable_secret), C(random)) is left as it is.
      - Omitted, the mode and the link-local addresses are left as they are.
    type: bool
'''
