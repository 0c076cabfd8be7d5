# -*- coding: utf-8 -*-
# Copyright (c) 2026, netfabric.core contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The kernel's and the fabric's numbers, defined once: every codec, check and plan imports them here.

Netlink values from linux/netlink.h, rtnetlink.h, if_link.h, if_addr.h, neighbour.h and sched.h.
No imports, so the controller side (filters, ip_plan) can use the limits without netlink code.
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

# The fabric's limits
VNI_MAX = (1 << 24) - 1           # VXLAN network identifier: 24 bits, 0 is reserved
MTU_MIN, MTU_MAX = 68, 65535      # IPv4's minimum datagram .. the 16-bit length field
PORT_MAX = 65535
VXLAN_PORT = 4789                 # IANA's VXLAN port (the kernel's historical default is 8472)

# Namespaces (sched.h)
CLONE_NEWNS, CLONE_NEWNET = 0x00020000, 0x40000000
NS_GET_NSTYPE = 0xb703  # ioctl on a namespace file (Linux >= 4.11): its CLONE_NEW* type

# socket options (linux/netlink.h)
SOL_NETLINK, NETLINK_GET_STRICT_CHK = 270, 12

# netlink.h: message types and flags
NLMSG_ERROR, NLMSG_DONE = 2, 3
NLM_F_REQUEST, NLM_F_ACK = 0x1, 0x4
NLM_F_REPLACE, NLM_F_EXCL, NLM_F_CREATE, NLM_F_APPEND = 0x100, 0x200, 0x400, 0x800
NLM_F_DUMP = 0x300
NLA_F_NESTED = 0x8000
NLA_TYPE_MASK = 0x3FFF  # strips NLA_F_NESTED / NLA_F_NET_BYTEORDER

# rtnetlink.h: message types
RTM_NEWLINK, RTM_GETLINK, RTM_SETLINK = 16, 18, 19
RTM_NEWADDR, RTM_GETADDR = 20, 22
RTM_NEWROUTE, RTM_DELROUTE, RTM_GETROUTE = 24, 25, 26
RTM_NEWNEIGH, RTM_DELNEIGH, RTM_GETNEIGH = 28, 29, 30
RTA_DST, RTA_OIF, RTA_GATEWAY, RTA_PRIORITY, RTA_TABLE = 1, 4, 5, 6, 15
RTNH_F_ONLINK = 0x4
RT_TABLE_MAIN, RT_TABLE_LOCAL, RTN_UNICAST = 254, 255, 1
RTPROT_KERNEL, RTPROT_STATIC = 2, 4
RT_SCOPE_UNIVERSE, RT_SCOPE_LINK = 0, 253
AF_BRIDGE = 7

# if.h / if_link.h: link flags and attributes
IFF_UP = 1
IFLA_ADDRESS, IFLA_IFNAME, IFLA_MTU, IFLA_LINK, IFLA_MASTER = 1, 3, 4, 5, 10
IFLA_LINKINFO, IFLA_AF_SPEC, IFLA_LINK_NETNSID = 18, 26, 37
IFLA_INFO_KIND, IFLA_INFO_DATA, IFLA_INFO_SLAVE_KIND, IFLA_INFO_SLAVE_DATA = 1, 2, 4, 5
IFLA_INET_CONF = 1
IPV4_DEVCONF_FORWARDING = 1
IFLA_INET6_ADDR_GEN_MODE = 8
IFLA_VXLAN_ID, IFLA_VXLAN_GROUP, IFLA_VXLAN_LINK, IFLA_VXLAN_LOCAL = 1, 2, 3, 4
IFLA_VXLAN_TTL, IFLA_VXLAN_LEARNING, IFLA_VXLAN_PORT = 5, 7, 15
IFLA_VXLAN_GROUP6, IFLA_VXLAN_LOCAL6 = 16, 17
IFLA_VXLAN_TTL_INHERIT, IFLA_VXLAN_RESERVED_BITS = 28, 33
IFLA_BR_STP_STATE, IFLA_BR_VLAN_FILTERING = 5, 7
IFLA_BRPORT_MODE, IFLA_BRPORT_LEARNING, IFLA_BRPORT_UNICAST_FLOOD = 4, 8, 9
IFLA_BRPORT_NEIGH_SUPPRESS, IFLA_BRPORT_ISOLATED = 32, 33

# if_addr.h: address attributes and flags
IFA_ADDRESS, IFA_LOCAL = 1, 2
IFA_F_NODAD, IFA_F_OPTIMISTIC, IFA_F_HOMEADDRESS = 0x02, 0x04, 0x10
IFA_F_MANAGETEMPADDR, IFA_F_NOPREFIXROUTE, IFA_F_MCAUTOJOIN = 0x100, 0x200, 0x400

# neighbour.h: neighbour / fdb attributes, flags and states
NDA_DST, NDA_LLADDR, NDA_CACHEINFO, NDA_PORT, NDA_VNI, NDA_IFINDEX, NDA_MASTER, NDA_PROTOCOL = 1, 2, 3, 6, 7, 8, 9, 12
NTF_SELF, NTF_MASTER, NTF_EXT_LEARNED = 0x02, 0x04, 0x10
NUD_INCOMPLETE, NUD_REACHABLE, NUD_STALE, NUD_DELAY, NUD_PROBE, NUD_FAILED = 0x01, 0x02, 0x04, 0x08, 0x10, 0x20
NUD_NOARP, NUD_PERMANENT = 0x40, 0x80
