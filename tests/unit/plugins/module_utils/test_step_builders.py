# -*- coding: utf-8 -*-
# Copyright (c) 2026, netfabric.core contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The step builders (links.py, addresses.py, ports.py, addrgen.py): which steps, in which order, and that each undo is the
inverse request. A recording stand-in for pyroute2's IPRoute takes the requests; nothing reaches a kernel."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import ipaddress

import pytest

from ansible_collections.netfabric.core.plugins.module_utils import addresses, addrgen, links, ports
from ansible_collections.netfabric.core.plugins.module_utils.errors import NetfabricError


class RecordingIPRoute:
    """Records ``link``/``addr``/``brport`` calls as (verb, command, keywords)."""

    def __init__(self):
        self.calls = []

    def __getattr__(self, verb):
        if verb not in ("link", "addr", "brport"):
            raise AttributeError(verb)
        return lambda command, **kw: self.calls.append((verb, command, kw))


class FakeNamespace:
    def __init__(self):
        self.ipr = RecordingIPRoute()
        self.raw = object()


def ifaces(*texts):
    return [ipaddress.ip_interface(t) for t in texts]


def run_all(steps, what):
    for step in steps:
        getattr(step, what)()


def test_addresses_added_before_removed_but_a_prefix_change_removes_first():
    ns = FakeNamespace()
    current = ifaces("192.0.2.10/24", "198.51.100.5/24")
    desired = ifaces("192.0.2.10/25", "203.0.113.7/24")
    steps = addresses.address_steps(ns, "br0", lambda: 4, current, desired)
    assert [s.text for s in steps] == [
        "del address 192.0.2.10/24 from br0",   # same IP, new prefix: the old one must go first
        "add address 192.0.2.10/25 to br0",
        "add address 203.0.113.7/24 to br0",
        "del address 198.51.100.5/24 from br0"]  # the stale one last: the link keeps an address throughout
    run_all(steps, "do")
    assert ns.ipr.calls[1] == ("addr", "add", {"index": 4, "address": "192.0.2.10", "prefixlen": 25})
    ns.ipr.calls.clear()
    run_all(reversed(steps), "undo")
    assert ns.ipr.calls == [
        ("addr", "add", {"index": 4, "address": "198.51.100.5", "prefixlen": 24}),
        ("addr", "del", {"index": 4, "address": "203.0.113.7", "prefixlen": 24}),
        ("addr", "del", {"index": 4, "address": "192.0.2.10", "prefixlen": 25}),
        ("addr", "add", {"index": 4, "address": "192.0.2.10", "prefixlen": 24})]


def test_renumbering_inside_an_ipv4_subnet_deletes_first_and_re_adds_the_kept_ones():
    """The kernel drops a subnet's secondaries with its primary: an address added to the subnet before
    the old one goes would vanish, so the stale one goes first and the kept one is re-added (replace)."""
    ns = FakeNamespace()
    current = ifaces("192.0.2.10/24", "192.0.2.12/24", "198.51.100.5/24")
    desired = ifaces("192.0.2.20/24", "192.0.2.12/24", "203.0.113.7/24")
    steps = addresses.address_steps(ns, "eth0", lambda: 4, current, desired)
    assert [s.text for s in steps] == [
        "del address 192.0.2.10/24 from eth0",
        "add address 192.0.2.20/24 to eth0",
        "keep address 192.0.2.12/24 on eth0",
        "add address 203.0.113.7/24 to eth0",
        "del address 198.51.100.5/24 from eth0"]  # another subnet: still last
    run_all(steps, "do")
    assert ns.ipr.calls[2] == ("addr", "replace", {"index": 4, "address": "192.0.2.12", "prefixlen": 24})
    ns.ipr.calls.clear()
    run_all(reversed(steps), "undo")
    assert ("addr", "del", {"index": 4, "address": "192.0.2.12", "prefixlen": 24}) not in ns.ipr.calls
    assert ns.ipr.calls[-1] == ("addr", "add", {"index": 4, "address": "192.0.2.10", "prefixlen": 24})
    assert addresses.renumbered_subnets(current, desired) == set(i.network for i in ifaces("192.0.2.0/24"))


def test_addresses_not_exclusive_keeps_the_others_and_nothing_to_do_is_no_step():
    ns = FakeNamespace()
    current = ifaces("192.0.2.10/24", "198.51.100.5/24")
    kept = addresses.address_steps(ns, "br0", lambda: 4, current, ifaces("192.0.2.10/24"), exclusive=False)
    assert kept == []
    assert addresses.address_steps(ns, "br0", lambda: 4, current, list(current)) == []


def test_the_ifindex_is_resolved_when_the_step_runs_not_when_it_is_built():
    ns, index = FakeNamespace(), {"br0": None}
    step = links.bring_up(ns, "br0", lambda: index["br0"])
    index["br0"] = 9  # created by an earlier step of the same run
    step.do()
    step.undo()
    assert ns.ipr.calls == [("link", "set", {"index": 9, "state": "up"}), ("link", "set", {"index": 9, "state": "down"})]


def test_link_set_without_old_values_has_no_undo_and_delete_has_none():
    ns = FakeNamespace()
    assert links.link_set(ns, "br0", "mtu", lambda: 1, {"mtu": 1400}, None).undo is None
    assert links.delete_link(ns, "br0", lambda: 1).undo is None


def test_port_flags_only_the_changed_ones_each_with_its_inverse():
    ns = FakeNamespace()
    steps = ports.port_flag_steps(ns, "eth0", lambda: 3, {"learning": True, "flood": True},
                                  {"learning": False, "flood": True, "hairpin": None})
    assert [s.text for s in steps] == ["set eth0 learning=off"]
    steps[0].do()
    steps[0].undo()
    assert ns.ipr.calls == [("brport", "set", {"index": 3, "learning": 0}),
                            ("brport", "set", {"index": 3, "learning": 1})]


def test_addrgen_on_a_new_link_is_one_step_before_it_comes_up_with_no_undo():
    ns = FakeNamespace()
    [step] = addrgen.steps(ns, "vx100", lambda: 5, None, False)
    assert step.text == "ipv6_addrgen=off on vx100 (addrgenmode none)" and step.undo is None
    assert addrgen.steps(ns, "vx100", lambda: 5, None, None) == []


def test_addrgen_turned_on_undoes_to_the_mode_it_found(monkeypatch):
    ns, sent = FakeNamespace(), []
    monkeypatch.setattr(addrgen.rtnl, "set_addrgenmode", lambda sock, index, mode: sent.append((index, mode)))
    [step] = addrgen.steps(ns, "vx100", lambda: 5, {"index": 5, "addrgenmode": addrgen.MODE_NONE}, True)
    step.do()
    step.undo()
    assert sent == [(5, addrgen.MODE_EUI64), (5, addrgen.MODE_NONE)]
    assert addrgen.steps(ns, "vx100", lambda: 5, {"index": 5, "addrgenmode": 3}, True) == []  # random generates


def test_addrgen_cannot_be_turned_on_without_ipv6():
    with pytest.raises(NetfabricError) as caught:
        addrgen.steps(FakeNamespace(), "vx100", lambda: 5, {"index": 5, "addrgenmode": None}, True)
    assert str(caught.value).startswith("ipv6_addrgen: link 'vx100' has no IPv6")


class ResolvingIPRoute(RecordingIPRoute):
    """Also answers ``link("get", ifname=...)`` from a name -> ifindex table that steps may change."""

    def __init__(self, indexes):
        super(ResolvingIPRoute, self).__init__()
        self.indexes = indexes

    def __getattr__(self, verb):
        record = super(ResolvingIPRoute, self).__getattr__(verb)

        def call(command, **kw):
            if verb == "link" and command == "get":
                return [{"index": self.indexes[kw["ifname"]]}]
            return record(command, **kw)
        return call


def test_set_master_resolves_both_bridges_when_it_runs_and_undoes_to_the_old_one():
    ns = FakeNamespace()
    ns.ipr = ResolvingIPRoute({"br0": 7})
    step = ports.set_master(ns, lambda: 4, "br1", "br0", "set vx100 master br1")
    ns.ipr.indexes["br1"] = 8  # created by an earlier step of the same run
    step.do()
    step.undo()
    assert step.text == "set vx100 master br1"
    assert ns.ipr.calls == [("link", "set", {"index": 4, "master": 8}), ("link", "set", {"index": 4, "master": 7})]
    released = ports.set_master(ns, lambda: 4, "br0", None, "set vx100 master br0")
    released.undo()
    assert ns.ipr.calls[-1] == ("link", "set", {"index": 4, "master": 0})  # the undo of a first enslaving: nomaster


class BridgeIPRoute(ResolvingIPRoute):
    """Also reports each link's current MAC in ``link("get")``."""

    def __init__(self, indexes, macs):
        super(BridgeIPRoute, self).__init__(indexes)
        self.macs = macs

    def __getattr__(self, verb):
        record = super(BridgeIPRoute, self).__getattr__(verb)

        def call(command, **kw):
            if verb == "link" and command == "get":
                return [{"index": self.indexes[kw["ifname"]], "address": self.macs.get(kw["ifname"])}]
            return record(command, **kw)
        return call


def test_set_master_undo_gives_the_port_back_its_flags_and_the_bridge_its_mac():
    """bridge_port's enslave: the kernel resets a joining port's flags, and a bridge without an explicit
    MAC takes its lowest port MAC; the undo puts both back."""
    ns = FakeNamespace()
    ns.ipr = BridgeIPRoute({"br0": 7, "br1": 8}, {"br1": "02:00:00:00:00:09"})  # br1 took the port's MAC
    bridge = {"name": "br1", "index": 8, "mac": "02:00:00:00:00:01"}  # as read before the change
    step = ports.set_master(ns, lambda: 4, "br1", "br0", "move eth0 from bridge br0 to br1",
                            old_flags={"learning": False, "flood": True}, bridge=bridge)
    step.do()
    assert ns.ipr.calls == [("link", "set", {"index": 4, "master": 8})]  # the do changes membership only
    step.undo()
    assert ns.ipr.calls[1:] == [("link", "set", {"index": 4, "master": 7}),
                                ("brport", "set", {"index": 4, "learning": 0, "unicast_flood": 1}),
                                ("link", "set", {"index": 8, "address": "02:00:00:00:00:01"})]
