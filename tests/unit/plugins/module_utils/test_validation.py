# -*- coding: utf-8 -*-
# Copyright (c) 2026, netfabric.core contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Parameter validation (validate.py and the list validators): canonical values back, and every refusal
names the option and the value -- the contract the modules' bad-input tests rely on."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import ipaddress

import pytest

from ansible_collections.netfabric.core.plugins.module_utils import constants, neighbours, routes, validate
from ansible_collections.netfabric.core.plugins.module_utils.errors import NetfabricError

REFUSED = [
    (validate.ifname, "name", "a" * 16),
    (validate.ifname, "name", "vx;0"),
    (validate.ifname, "name", "-x"),
    (validate.netns, "netns", "/run/netns/../etc"),
    (validate.netns, "netns", "bad name"),
    (validate.mac, "mac", "01:00:5e:00:00:01"),
    (validate.mac, "mac", "02:00:00:00:00"),
    (validate.vni, "vni", 0),
    (validate.vni, "vni", constants.VNI_MAX + 1),
    (validate.vni, "vni", True),
    (validate.vni, "vni", "100"),
    (validate.port, "dstport", 0),
    (validate.port, "dstport", constants.PORT_MAX + 1),
    (validate.mtu, "mtu", constants.MTU_MIN - 1),
    (validate.mtu, "mtu", constants.MTU_MAX + 1),
    (validate.ip, "local", "192.0.2.300"),
    (validate.cidr, "addresses", "192.0.2.10"),
    (validate.cidr, "addresses", "224.0.0.1/4"),
]


@pytest.mark.parametrize("check,option,value", REFUSED, ids=["%s=%r" % (r[1], r[2]) for r in REFUSED])
def test_refusal_names_option_and_value(check, option, value):
    with pytest.raises(NetfabricError) as caught:
        check(option, value)
    message = str(caught.value)
    assert message.startswith(option + ": ") and message.endswith("got %r" % (value,)), message


def test_canonical_forms():
    assert validate.mac("mac", "02-AA-00-00-00-01") == "02:aa:00:00:00:01"
    assert validate.vni("vni", constants.VNI_MAX) == constants.VNI_MAX
    assert validate.mtu("mtu", constants.MTU_MIN) == constants.MTU_MIN
    assert validate.netns("netns", 1234) == "1234" and validate.netns("netns", "") is None
    assert validate.ip("gateway", "2001:db8::1", family=6) == ipaddress.ip_address("2001:db8::1")
    assert validate.cidr_list("addresses", ["2001:db8::1/64", "192.0.2.10/24"]) == [
        ipaddress.ip_interface("192.0.2.10/24"), ipaddress.ip_interface("2001:db8::1/64")]


def test_an_address_listed_twice_with_two_prefixes_is_refused():
    with pytest.raises(NetfabricError) as caught:
        validate.cidr_list("addresses", ["192.0.2.10/24", "192.0.2.10/25"])
    assert str(caught.value) == "addresses: lists address 192.0.2.10 twice, got '192.0.2.10/25'"


def test_routes_canonical_and_refusals_carry_the_position():
    assert routes.validated_routes([{"dst": "2001:db8:1::/64", "gateway": "2001:db8::1"},
                                    {"dst": "198.51.100.0/24", "metric": "20"}]) == [
        routes.Route("2001:db8:1::/64", "2001:db8::1", False, routes.IPV6_DEFAULT_METRIC),
        routes.Route("198.51.100.0/24", None, False, 20)]
    with pytest.raises(NetfabricError) as caught:
        routes.validated_routes([{"dst": "198.51.100.0/24"}, {"dst": "198.51.100.1/24"}])
    assert str(caught.value).startswith("routes[1].dst: must be a network in CIDR form"), str(caught.value)
    with pytest.raises(NetfabricError) as caught:
        routes.validated_routes([{"dst": "198.51.100.0/24", "gateway": "192.0.2.1"},
                                 {"dst": "198.51.100.0/24", "gateway": "192.0.2.2"}])
    assert str(caught.value).startswith("routes[1]: lists 198.51.100.0/24 metric 0 twice"), str(caught.value)


def test_neighbours_refusal_carries_the_position():
    with pytest.raises(NetfabricError) as caught:
        neighbours.validated_entries([{"address": "192.0.2.21", "mac": "02:00:00:00:00:21"},
                                      {"address": "224.0.0.1", "mac": "02:00:00:00:00:22"}])
    assert str(caught.value).startswith("entries[1].address"), str(caught.value)


def test_a_unicast_mac_towards_two_destinations_is_refused_with_both_and_its_position():
    from ansible_collections.netfabric.core.plugins.module_utils import fdb_entries
    zero = "00:00:00:00:00:00"
    entries = [dict(mac=zero, dst="192.0.2.12"), dict(mac=zero, dst="192.0.2.13"),         # a flood list: fine
               dict(mac="02:00:00:00:00:01", dst="192.0.2.12"), dict(mac="02:00:00:00:00:01", dst="192.0.2.12"),
               dict(mac="02:00:00:00:00:01", dst="192.0.2.13")]
    params = dict(entries=entries, mac=None, dst=None)
    with pytest.raises(fdb_entries.NetfabricError) as refused:
        fdb_entries._validated_entries(params)
    message = str(refused.value)
    assert message.startswith("entries[4].mac: 02:00:00:00:00:01 is listed towards"), message
    assert "192.0.2.12" in message and "192.0.2.13" in message
    assert len(fdb_entries._validated_entries(dict(params, entries=entries[:4]))) == 3  # the repeat is dropped
