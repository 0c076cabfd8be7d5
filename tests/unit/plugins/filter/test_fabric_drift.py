# -*- coding: utf-8 -*-
# Copyright (c) 2026, netfabric.core contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""fabric_drift: a host's fabric (fabric_info's shape) against the overlay role's desired state."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import copy

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.netfabric.core.plugins.filter.fabric_drift import fabric_drift

PEERS = ["192.0.2.12", "192.0.2.13"]
DESIRED = {"tenants": [
    {"name": t, "vni": vni, "bridge": "brv%d" % vni, "flood": PEERS,
     "vtep": {"name": "vx%d" % vni, "local": "192.0.2.11", "dev": "br0", "dstport": 4789, "learning": False}}
    for t, vni in (("blue", 100), ("red", 200))]}
ENDPOINTS = [{"name": "c1", "vni": 100, "ifname": "oc1"}, {"name": "c2", "vni": 200, "ifname": "oc2"}]


def converged():
    """The fabric fabric_info returns for a host built exactly as DESIRED."""
    flags = {"learning": True, "flood": True, "hairpin": False, "neigh_suppress": False, "isolated": False}
    return {
        "bridges": [{"name": "br0", "ports": [{"name": "eth0", "flags": flags}]}]
        + [{"name": "brv%d" % vni, "ports": [{"name": "vx%d" % vni, "flags": flags}, {"name": "oc%d" % c, "flags": flags}]}
           for c, vni in ((1, 100), (2, 200))],
        "vteps": [{"name": "vx%d" % vni, "vni": vni, "local": "192.0.2.11", "dev": "br0", "dstport": 4789,
                   "learning": False, "up": True, "bridge": "brv%d" % vni, "flood": list(PEERS)} for vni in (100, 200)],
        "tenant_addresses": {"brv100": ["fe80::1/64"]},
        "vtep_filter": {"table": "netfabric_vtep", "state": "present", "peers": list(PEERS)},
    }


def drift(fabric, **kwargs):
    kwargs.setdefault("endpoints", ENDPOINTS)
    kwargs.setdefault("filter_peers", PEERS)
    return fabric_drift(fabric, DESIRED, **kwargs)


def test_converged_host_has_no_drift():
    assert drift(converged()) == {"missing": [], "extra": [], "different": []}


def test_a_missing_vtep_is_one_item_not_also_its_flood_list():
    fabric = converged()
    fabric["vteps"] = [v for v in fabric["vteps"] if v["name"] != "vx200"]
    assert drift(fabric) == {"missing": ["vtep vx200 (vni 200)"], "extra": [], "different": []}


def test_flood_entries_missing_and_extra():
    fabric = converged()
    fabric["vteps"][0]["flood"] = ["192.0.2.12", "192.0.2.99"]
    assert drift(fabric) == {"missing": ["flood vx100 -> 192.0.2.13"], "extra": ["flood vx100 -> 192.0.2.99"],
                             "different": []}


def test_settings_that_differ():
    fabric = converged()
    fabric["vteps"][1].update(learning=True, bridge=None, up=False, local="192.0.2.50")
    assert drift(fabric)["different"] == ["vtep vx200: local 192.0.2.50 (plan 192.0.2.11)",
                                          "vtep vx200: learning true (plan false)",
                                          "vtep vx200: bridge none (plan brv200)", "vtep vx200: down (plan up)"]


def test_extra_vtep_bridge_address_and_missing_port():
    fabric = converged()
    fabric["vteps"].append(dict(fabric["vteps"][0], name="vx300", vni=300, bridge="brv300"))
    fabric["bridges"].append({"name": "brv300", "ports": []})
    fabric["bridges"].append({"name": "docker0", "ports": []})  # not a tenant bridge name: not ours
    fabric["bridges"][1]["ports"].pop()  # oc1 left brv100
    fabric["tenant_addresses"]["brv200"] = ["10.9.9.9/24", "fe80::2/64"]
    result = drift(fabric)
    assert result["extra"] == ["vtep vx300 (vni 300)", "bridge brv300", "address 10.9.9.9/24 on brv200"]
    assert result["missing"] == ["port oc1 on brv100 (container c1)"]


def test_vtep_filter_peers_and_absent_table():
    fabric = converged()
    fabric["vtep_filter"]["peers"] = ["192.0.2.12", "192.0.2.66"]
    assert drift(fabric)["missing"] == ["vtep_filter peer 192.0.2.13"]
    assert drift(fabric)["extra"] == ["vtep_filter peer 192.0.2.66"]
    fabric["vtep_filter"] = {"table": "netfabric_vtep", "state": "absent"}
    assert drift(fabric)["missing"] == ["vtep_filter table netfabric_vtep"]
    assert drift(fabric, filter_peers=None)["missing"] == []


def test_missing_bridge():
    fabric = converged()
    fabric["bridges"] = [b for b in fabric["bridges"] if b["name"] != "brv100"]
    assert drift(fabric)["missing"] == ["bridge brv100 (tenant blue)"]


@pytest.mark.parametrize("fabric,desired", [(None, DESIRED), ({"vteps": []}, DESIRED), (converged(), {"x": 1})])
def test_bad_input_is_named(fabric, desired):
    with pytest.raises(AnsibleFilterError, match="fabric_drift"):
        fabric_drift(copy.deepcopy(fabric), desired)


EVPN_DESIRED = {"tenants": [dict(t, flood=[], evpn=True) for t in DESIRED["tenants"]]}
REFLECTOR = "192.0.2.11"


def evpn_converged():
    """An EVPN client host: zebra's flood entries, VTEP ports without learning and with ARP/ND suppression,
    an Established session to the reflector."""
    fabric = converged()
    for bridge in fabric["bridges"]:
        for port in bridge["ports"]:
            if port["name"].startswith("vx"):
                port["flags"] = dict(port["flags"], learning=False, neigh_suppress=True)
    fabric["bgp"] = {"state": "running", "sessions": [{"peer": REFLECTOR, "state": "Established"}]}
    return fabric


def evpn_drift(fabric, **kwargs):
    kwargs.setdefault("endpoints", ENDPOINTS)
    kwargs.setdefault("bgp_peers", [REFLECTOR])
    return fabric_drift(fabric, EVPN_DESIRED, **kwargs)


def test_evpn_flood_entries_are_the_control_planes_not_drift():
    assert evpn_drift(evpn_converged()) == {"missing": [], "extra": [], "different": []}


def test_the_same_flood_entries_are_drift_under_the_static_plan_without_them():
    desired = {"tenants": [dict(t, flood=[]) for t in DESIRED["tenants"]]}
    assert fabric_drift(evpn_converged(), desired)["extra"] == [
        "flood vx100 -> 192.0.2.12", "flood vx100 -> 192.0.2.13", "flood vx200 -> 192.0.2.12", "flood vx200 -> 192.0.2.13"]


def test_evpn_vtep_port_learning_on_or_suppression_off_is_different():
    fabric = evpn_converged()
    fabric["bridges"][1]["ports"][0]["flags"].update(learning=True, neigh_suppress=False)
    assert evpn_drift(fabric)["different"] == ["vtep vx100: port learning true (plan false)",
                                               "vtep vx100: port neigh_suppress false (plan true)"]


@pytest.mark.parametrize("bgp, kind, item", [
    ({"state": "running", "sessions": [{"peer": REFLECTOR, "state": "Active"}]},
     "different", "bgp session 192.0.2.11: Active (plan Established)"),
    ({"state": "running", "sessions": []}, "missing", "bgp session 192.0.2.11"),
    ({"state": "not_running", "reason": "Exiting: failed to connect to any daemons."},
     "different", "bgp: not running (Exiting: failed to connect to any daemons.)"),
    (None, "different", "bgp: not running (not read)"),
])
def test_evpn_session_not_established_is_drift(bgp, kind, item):
    fabric = evpn_converged()
    fabric["bgp"] = bgp
    assert evpn_drift(fabric)[kind] == [item]


def test_a_reflector_without_other_reflectors_needs_only_a_running_bgpd():
    fabric = evpn_converged()
    fabric["bgp"]["sessions"] = [{"peer": "192.0.2.12", "state": "Established"}]  # a dynamic client
    assert evpn_drift(fabric, bgp_peers=[]) == {"missing": [], "extra": [], "different": []}
