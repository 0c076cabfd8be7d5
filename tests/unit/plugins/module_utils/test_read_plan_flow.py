# -*- coding: utf-8 -*-
# Copyright (c) 2026, netfabric.core contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The read -> check -> plan -> verify flow: plan(snapshot) works from the snapshot value alone, and the
one verify compares what the plan says.

Every resource's namespace is replaced by a stand-in that fails on any use, so a plan that reached for
the kernel (a dump, an ifindex lookup) fails the test; the steps it returns are built, never run.
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import ipaddress

import pytest

from ansible_collections.netfabric.core.plugins.module_utils import converge
from ansible_collections.netfabric.core.plugins.module_utils.bridge import Bridge
from ansible_collections.netfabric.core.plugins.module_utils.bridge_port import BridgePort
from ansible_collections.netfabric.core.plugins.module_utils.converge import Plan, Resource, Snapshot, Step
from ansible_collections.netfabric.core.plugins.module_utils.errors import NetfabricError
from ansible_collections.netfabric.core.plugins.module_utils.fdb import Entry
from ansible_collections.netfabric.core.plugins.module_utils.fdb_entries import FdbEntries
from ansible_collections.netfabric.core.plugins.module_utils.veth_pair import AT_DESIRED, MISSING, VethPair
from ansible_collections.netfabric.core.plugins.module_utils.vxlan_vtep import VxlanVtep


class NoKernel:
    """A namespace whose every use is an error: netlink sockets, fds, identity."""

    def __getattr__(self, name):
        raise AssertionError("plan() touched the kernel: ns.%s" % name)


class Table:
    """A LinkTable stand-in over fixed link views."""

    def __init__(self, *views):
        self.by_name = dict((view["name"], view) for view in views)

    def get(self, name):
        return self.by_name.get(name)

    def index(self, name, option):
        return self.by_name[name]["index"]


def link(name, index, kind, **extra):
    view = {"name": name, "index": index, "kind": kind, "mtu": 1500, "mac": "02:00:00:00:00:%02x" % index,
            "master": None, "up": True, "link": None, "link_netnsid": None, "addrgenmode": 0}
    view.update(extra)
    return view


def planned(resource, snapshot):
    """plan() of ``resource`` with its namespaces replaced by NoKernel."""
    for attr in ("ns", "peer_ns"):
        if hasattr(resource, attr):
            getattr(resource, attr).close()
            setattr(resource, attr, NoKernel())
    resource.check(snapshot)
    return resource.plan(snapshot)


def texts(plan):
    return [text for step in plan.steps for text in step.texts]


def test_bridge_plan_from_a_snapshot_of_an_absent_bridge():
    res = Bridge(dict(name="br0", state="present", mtu=1400, stp=None, vlan_filtering=None, mac=None,
                      addresses=["192.0.2.1/24"], ipv6_addrgen=False, netns=None))
    plan = planned(res, Snapshot({"name": "br0", "state": "absent"}, link=None, addresses=[], addrgen=None))
    assert texts(plan) == ["create bridge br0", "mtu=1400 on br0", "add address 192.0.2.1/24 to br0",
                           "ipv6_addrgen=off on br0 (addrgenmode none)", "set br0 up"]
    assert plan.verify == {"state": "present", "up": True, "mtu": 1400, "addresses": ["192.0.2.1/24"],
                           "ipv6_addrgen": False, "ipv6_link_local": []}


def test_bridge_plan_removes_the_link_local_addresses_the_snapshot_holds():
    res = Bridge(dict(name="br0", state="present", mtu=None, stp=None, vlan_filtering=None, mac=None,
                      addresses=None, ipv6_addrgen=False, netns=None))
    fe80 = ipaddress.ip_interface("fe80::1/64")
    view = {"name": "br0", "state": "present", "up": True, "mtu": 1500, "mac": "02:00:00:00:00:07", "stp": False,
            "vlan_filtering": False, "addresses": [], "ipv6_addrgen": False, "ipv6_link_local": [str(fe80)]}
    plan = planned(res, Snapshot(view, link=link("br0", 7, "bridge"), addresses=[],
                                 addrgen={"addrgenmode": 1, "index": 7, "link_local": [fe80]}))
    assert texts(plan) == ["del address fe80::1/64 from br0"]
    assert plan.after["ipv6_link_local"] == []


def test_a_check_refuses_before_any_plan():
    res = Bridge(dict(name="br0", state="present", mtu=1200, stp=None, vlan_filtering=None, mac=None,
                      addresses=None, ipv6_addrgen=None, netns=None))
    view = {"name": "br0", "state": "present", "up": True, "mtu": 1500, "mac": "02:00:00:00:00:07", "stp": False,
            "vlan_filtering": False, "addresses": ["2001:db8::1/64"]}
    with pytest.raises(NetfabricError) as caught:
        planned(res, Snapshot(view, link=link("br0", 7, "bridge"), addrgen=None,
                              addresses=[ipaddress.ip_interface("2001:db8::1/64")]))
    assert str(caught.value).startswith("mtu: 1200 is below 1280")


def test_vxlan_plan_takes_the_underlay_ifindex_and_mtu_from_the_snapshot():
    res = VxlanVtep(dict(name="vx100", state="present", vni=100, local="192.0.2.1", dev="eth0", dstport=4789,
                         learning=False, group=None, ttl=None, mtu=None, master="br100", neigh_suppress=True,
                         mac=None, addresses=None, ipv6_addrgen=None, netns=None))
    links = Table(link("eth0", 2, "veth", mtu=9000), link("br100", 5, "bridge"))
    snapshot = Snapshot({"name": "vx100", "state": "absent"}, links=links, link=None, addresses=[],
                        owned={ipaddress.ip_address("192.0.2.1")}, addrgen=None)
    plan = planned(res, snapshot)
    assert texts(plan) == ["create vxlan vx100 vni 100 local 192.0.2.1 dev eth0 dstport 4789", "mtu=8950 on vx100",
                           "set vx100 master br100", "set vx100 neigh_suppress=on", "set vx100 up"]
    assert plan.verify is None  # the whole view is compared
    assert plan.after["mtu"] == 8950


def test_vxlan_local_must_be_owned_by_the_snapshot():
    res = VxlanVtep(dict(name="vx100", state="present", vni=100, local="192.0.2.1", dev="eth0", dstport=4789,
                         learning=False, group=None, ttl=None, mtu=None, master=None, neigh_suppress=None,
                         mac=None, addresses=None, ipv6_addrgen=None, netns=None))
    snapshot = Snapshot({"name": "vx100", "state": "absent"}, links=Table(link("eth0", 2, "veth")), link=None,
                        addresses=[], owned=set(), addrgen=None)
    with pytest.raises(NetfabricError) as caught:
        planned(res, snapshot)
    assert str(caught.value).startswith("local: 192.0.2.1 is not an address of this host")


def test_veth_plan_renames_the_peer_from_the_snapshot_alone():
    res = VethPair(dict(name="ve1", peer="ve1q", peer_netns=None, master=None, mtu=None, peer_addresses=None,
                        peer_gateway=None, ipv6_addrgen=None, state="present", netns=None))
    host, peer = link("ve1", 4, "veth", link=5), link("ve1p", 5, "veth", link=4)
    table = Table(host, peer)
    view = {"name": "ve1", "state": "present", "up": True, "mtu": 1500, "master": None, "peer_netns": None,
            "peer": "ve1p", "peer_up": True, "peer_mtu": 1500, "peer_addresses": []}
    snapshot = Snapshot(view, values={"index": 4, "peer_index": 5}, table=table, host=host, where=AT_DESIRED,
                        peer_table=table, host_addresses=[], elsewhere=None, addrgen=None)
    plan = planned(res, snapshot)
    assert texts(plan) == ["rename peer ve1p to ve1q"]
    assert plan.verify == {"state": "present", "up": True, "peer": "ve1q", "peer_up": True, "peer_netns": None}


def test_veth_refuses_a_peer_name_taken_in_the_snapshot():
    res = VethPair(dict(name="ve1", peer="eth9", peer_netns=None, master=None, mtu=None, peer_addresses=None,
                        peer_gateway=None, ipv6_addrgen=None, state="present", netns=None))
    table = Table(link("eth9", 3, "veth"))
    snapshot = Snapshot({"name": "ve1", "state": "absent"}, values={}, table=table, host=None, where=MISSING,
                        peer_table=table, host_addresses=[], elsewhere=None, addrgen=None)
    with pytest.raises(NetfabricError) as caught:
        planned(res, snapshot)
    assert str(caught.value).startswith("peer: a veth with that name already exists")


def port_snapshot(migrate):
    bridge, port = link("br0", 3, "bridge"), link("eth0", 2, "veth")
    view = {"bridge": "br0", "port": "eth0", "state": "absent", "master": None, "learning": None, "flood": None,
            "hairpin": None, "neigh_suppress": None, "isolated": None}
    facts = dict(table=Table(bridge, port), bridge=bridge, port=port)
    if migrate:
        entry = {"iface": ipaddress.ip_interface("192.0.2.10/24"), "flags": 0, "broadcast": None, "lifetimes": None}
        route = {"family": 2, "dst": "default", "gateway": "192.0.2.1", "priority": None, "prefsrc": None,
                 "proto": 3, "scope": 0, "onlink": False}
        facts.update(port_addresses=[entry], port_routes=[route], bridge_addresses=[], bridge_routes=[], unmovable=[])
        view.update(port_addresses=["192.0.2.10/24"], port_routes=["default via 192.0.2.1"], bridge_addresses=[],
                    bridge_routes=[])
    return Snapshot(view, **facts)


def test_bridge_port_migration_plan_and_return_values_come_from_the_snapshot():
    res = BridgePort(dict(bridge="br0", port="eth0", state="present", learning=None, flood=None, hairpin=None,
                          neigh_suppress=None, isolated=None, migrate_addresses=True, netns=None))
    plan = planned(res, port_snapshot(migrate=True))
    assert texts(plan) == ["set br0 mac 02:00:00:00:00:02 (the mac of eth0)", "add address 192.0.2.10/24 to br0",
                           "enslave eth0 to br0", "move route default via 192.0.2.1 from eth0 to br0",
                           "delete address 192.0.2.10/24 from eth0"]
    assert plan.verify["bridge_addresses"] == ["192.0.2.10/24"] and plan.verify["port_routes"] == []
    assert plan.values == {"port_mtu": 1500, "bridge_addresses": ["192.0.2.10/24"],
                           "bridge_routes": [{"dst": "default", "gateway": "192.0.2.1", "metric": None,
                                              "prefsrc": None, "onlink": False}]}


def test_bridge_port_refuses_what_migration_cannot_move():
    res = BridgePort(dict(bridge="br0", port="eth0", state="present", learning=None, flood=None, hairpin=None,
                          neigh_suppress=None, isolated=None, migrate_addresses=True, netns=None))
    snapshot = port_snapshot(migrate=True)
    snapshot.facts["unmovable"] = snapshot.unmovable = ["route 10.0.0.0/8 in table 100 through eth0"]
    with pytest.raises(NetfabricError) as caught:
        planned(res, snapshot)
    assert str(caught.value).startswith("port: carries what migrate_addresses cannot move")


def fdb_resource(entries, exclusive=False):
    res = FdbEntries(dict(dev="vx0", entries=entries, mac=None, dst=None, state="present", exclusive=exclusive,
                          exclusive_scope="listed", netns=None))
    res.diff_wanted = False
    return res


DEVICE = {"index": 9, "kind": "vxlan", "vni": 100, "dstport": 4789}


def test_fdb_plan_is_a_set_difference_of_the_snapshot():
    res = fdb_resource([dict(mac="00:00:00:00:00:00", dst="192.0.2.2"), dict(mac="02:00:00:00:00:05", dst="192.0.2.3")])
    old = Entry("02:00:00:00:00:05", "192.0.2.9", None, None)
    kept = Entry("00:00:00:00:00:00", "192.0.2.7", None, None)
    plan = planned(res, Snapshot({"dev": "vx0", "entry_count": 2}, device=DEVICE, entry_set={old, kept}))
    assert texts(plan) == ["program 3 fdb entries on vx0 (+2 -1)"]
    assert plan.verify["entry_set"] == {kept, Entry("00:00:00:00:00:00", "192.0.2.2", None, None),
                                        Entry("02:00:00:00:00:05", "192.0.2.3", None, None)}
    assert plan.values["entry_count"] == 3 and plan.values["removed"] == [old.as_dict()]


def test_verify_names_what_the_kernel_left_out_of_a_planned_set():
    wanted = Entry("02:00:00:00:00:05", "192.0.2.3", None, None)
    plan = Plan({}, [], {"entry_set": frozenset([wanted])}, what="fdb change on vx0")
    with pytest.raises(NetfabricError) as caught:
        converge.verify(plan, Snapshot({"dev": "vx0", "entry_count": 0}, entry_set=set()))
    assert str(caught.value) == ("the kernel did not apply the fdb change on vx0: missing [%r], unexpected []"
                                 % wanted.as_dict())


def test_verify_compares_only_the_keys_the_plan_names():
    plan = Plan({"state": "present", "mtu": 1400, "links": ["a"]}, [], {"state": "present", "mtu": 1400})
    converge.verify(plan, Snapshot({"state": "present", "mtu": 1400, "links": ["a", "b"]}))  # links: not planned
    with pytest.raises(NetfabricError) as caught:
        converge.verify(plan, Snapshot({"state": "present", "mtu": 1500, "links": ["a"]}))
    assert str(caught.value) == "the kernel did not apply mtu: expected {'mtu': 1400}, found {'mtu': 1500}"


def test_verify_without_keys_compares_the_whole_view():
    with pytest.raises(NetfabricError) as caught:
        converge.verify(Plan({"a": 1}, []), Snapshot({"a": 1, "b": 2}))
    assert str(caught.value) == "the kernel did not apply b: expected {'b': None}, found {'b': 2}"


class Flow(Resource):
    """Journals the phases; its plan verifies ``keys`` only; the "kernel" keeps ``ignored`` unchanged."""

    def __init__(self, journal, keys, ignored=(), refuse=False):
        self.journal, self.keys, self.ignored, self.refuse = journal, keys, ignored, refuse
        self.state = {"a": 0, "b": 0}

    def read(self):
        self.journal.append("read")
        return Snapshot(dict(self.state), values={"seen": dict(self.state)})

    def check(self, snapshot):
        self.journal.append("check")
        if self.refuse:
            raise NetfabricError("a: refused")

    def plan(self, snapshot):
        self.journal.append("plan")
        after = {"a": 1, "b": 1}
        steps = [Step("set %s" % k, lambda k=k: None if k in self.ignored else self.state.__setitem__(k, 1),
                      lambda k=k: self.state.__setitem__(k, 0)) for k in sorted(after)]
        return Plan(after, steps, dict((k, after[k]) for k in self.keys), values={"planned": True})


def test_the_phases_run_in_order_and_the_values_of_the_last_read_are_returned():
    journal = []
    result = Flow(journal, ["a", "b"]).converge(check_mode=False)
    assert journal == ["read", "check", "plan", "read"]  # check on the first reading only
    assert result["seen"] == {"a": 1, "b": 1} and result["planned"] is True


def test_a_check_refusal_plans_and_changes_nothing():
    journal = []
    res = Flow(journal, ["a"], refuse=True)
    with pytest.raises(NetfabricError):
        res.converge(check_mode=False)
    assert journal == ["read", "check"] and res.state == {"a": 0, "b": 0}


def test_the_read_back_is_judged_by_the_plans_keys():
    assert Flow([], ["a"], ignored=("b",)).converge(check_mode=False)["changed"] is True  # b not verified
    res = Flow([], ["a", "b"], ignored=("b",))
    with pytest.raises(converge.StepsFailed) as caught:
        res.converge(check_mode=False)
    assert "the kernel did not apply b" in str(caught.value) and res.state == {"a": 0, "b": 0}
