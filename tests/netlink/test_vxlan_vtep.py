"""``netfabric.core.vxlan_vtep`` against a real kernel, inside throwaway namespaces.

The underlay NIC is a veth (``eth0``, 192.0.2.11/24 and 2001:db8::11/64) with a tenant bridge ``br100``
beside it. Every claim is checked with ``ip -j -d link`` / ``ip -d link`` in the namespace.
"""
# pylint: disable=repeated-keyword
# (false positive: vtep(host, **dict(BASE, vni=200)) overrides BASE's keys; pylint counts them twice)
import os
import subprocess

import pytest

from conftest import PREFIX, assert_failed_cleanly, assert_ok, dump_state, link, run_module, sh, veth

VX = "vx100"
LOCAL = "192.0.2.11"
BASE = dict(name=VX, vni=100, local=LOCAL, dev="eth0")


@pytest.fixture
def ns(make_netns):
    """A throwaway namespace without IPv6 DAD: a link-local address leaving "tentative" during a test
    would otherwise make two dump_state() snapshots differ for reasons unrelated to the module."""
    name = make_netns("vx")
    sh("sysctl", "-qw", "net.ipv6.conf.all.accept_dad=0", "net.ipv6.conf.default.accept_dad=0", ns=name)
    return name


@pytest.fixture
def host(ns):
    """A namespace with the underlay NIC ``eth0`` (v4 + v6 address), a second NIC ``eth1`` and bridge br100."""
    veth(ns, "eth0", "peer0")
    veth(ns, "eth1", "peer1")
    sh("ip", "addr", "add", LOCAL + "/24", "dev", "eth0", ns=ns)
    sh("ip", "addr", "add", "2001:db8::11/64", "dev", "eth0", "nodad", ns=ns)
    sh("ip", "link", "add", "br100", "type", "bridge", "forward_delay", "0", ns=ns)  # no port timers ticking
    sh("ip", "link", "set", "br100", "up", ns=ns)
    return ns


def vtep(ns, check_mode=False, **options):
    return run_module("vxlan_vtep", dict(options, netns=ns), check_mode=check_mode)


def vxlan_data(ns, name=VX):
    return link(ns, name)["linkinfo"]["info_data"]


def test_create_defaults_and_rerun_unchanged(host):
    result = vtep(host, **BASE)
    assert_ok(result, True)
    info = link(host, VX)
    data = info["linkinfo"]["info_data"]
    assert info["linkinfo"]["info_kind"] == "vxlan"
    assert (data["id"], data["local"], data["link"]) == (100, LOCAL, "eth0")
    assert data["port"] == 4789
    assert data["learning"] is False
    assert info["mtu"] == 1450, "default mtu = underlay 1500 - 50"
    assert "UP" in info["flags"]
    text = sh("ip", "-d", "link", "show", VX, ns=host)
    assert "dstport 4789" in text and "nolearning" in text, text
    assert result["diff"]["before"] == {"name": VX, "state": "absent"}
    after = result["diff"]["after"]
    assert (after["vni"], after["dstport"], after["learning"], after["mtu"]) == (100, 4789, False, 1450)

    again = vtep(host, **BASE)
    assert_ok(again, False)
    assert again["actions"] == []
    assert again["diff"]["before"] == again["diff"]["after"]

    state = dump_state(host)
    assert_ok(vtep(host, check_mode=True, **BASE), False)
    assert dump_state(host) == state


def test_check_mode_on_fresh_namespace_changes_nothing(host):
    state = dump_state(host)
    result = vtep(host, check_mode=True, master="br100", neigh_suppress=True, **BASE)
    assert_ok(result, True)
    assert any(a.startswith("create vxlan %s" % VX) for a in result["actions"]), result["actions"]
    assert result["diff"]["before"]["state"] == "absent" and result["diff"]["after"]["state"] == "present"
    assert link(host, VX) is None
    assert dump_state(host) == state


def test_default_mtu_follows_the_underlay(host):
    sh("ip", "link", "set", "eth0", "mtu", "9000", ns=host)
    assert_ok(vtep(host, **BASE), True)
    assert link(host, VX)["mtu"] == 8950
    assert_ok(vtep(host, **BASE), False)
    # The largest allowed value is accepted; an explicit smaller one is applied in place.
    assert_ok(vtep(host, mtu=8950, **BASE), False)
    index = link(host, VX)["ifindex"]
    assert_ok(vtep(host, mtu=1400, **BASE), True)
    assert (link(host, VX)["mtu"], link(host, VX)["ifindex"]) == (1400, index)


def test_ipv6_local(host):
    args = dict(BASE, local="2001:db8::11")
    result = vtep(host, **args)
    assert_ok(result, True)
    info = link(host, VX)
    assert info["linkinfo"]["info_data"]["local6"] == "2001:db8::11"
    assert info["mtu"] == 1430, "default mtu = underlay 1500 - 70 for an IPv6 underlay"
    assert_ok(vtep(host, **args), False)
    bad = dict(args, mtu=1431)
    before = dump_state(host)
    assert_failed_cleanly(vtep(host, **bad), "mtu", 1431, before, dump_state(host))


def test_master_and_neigh_suppress(host):
    result = vtep(host, master="br100", neigh_suppress=True, **BASE)
    assert_ok(result, True)
    info = link(host, VX)
    assert info["master"] == "br100"
    assert info["linkinfo"]["info_slave_kind"] == "bridge"
    assert info["linkinfo"]["info_slave_data"]["neigh_suppress"] is True
    assert_ok(vtep(host, master="br100", neigh_suppress=True, **BASE), False)
    # master omitted: membership is left as it is
    assert_ok(vtep(host, **BASE), False)

    index = info["ifindex"]
    off = vtep(host, master="br100", neigh_suppress=False, **BASE)
    assert_ok(off, True)
    info = link(host, VX)
    assert info["ifindex"] == index
    assert info["linkinfo"]["info_slave_data"]["neigh_suppress"] is False
    assert off["diff"]["before"]["neigh_suppress"] is True and off["diff"]["after"]["neigh_suppress"] is False


@pytest.mark.parametrize("change,check", [
    (dict(vni=200), lambda data: data["id"] == 200),
    (dict(dstport=4790), lambda data: data["port"] == 4790),
    (dict(dev="eth1"), lambda data: data["link"] == "eth1"),
], ids=["vni", "dstport", "dev"])
def test_immutable_change_recreates_and_keeps_master_and_mtu(host, change, check):
    assert_ok(vtep(host, master="br100", neigh_suppress=True, mtu=1400, **BASE), True)
    old_index = link(host, VX)["ifindex"]
    args = dict(BASE, mtu=1400, **change)  # master / neigh_suppress not repeated: they must be kept
    result = vtep(host, **args)
    assert_ok(result, True)
    assert any(a.startswith("re-create %s" % VX) for a in result["actions"]), result["actions"]
    info = link(host, VX)
    assert info["ifindex"] != old_index, "the device must really have been re-created"
    assert check(info["linkinfo"]["info_data"]), info["linkinfo"]["info_data"]
    assert info["master"] == "br100"
    assert info["mtu"] == 1400
    assert info["linkinfo"]["info_slave_data"]["neigh_suppress"] is True
    assert "UP" in info["flags"]
    key = list(change)[0]
    assert result["diff"]["after"][key] == change[key] and result["diff"]["before"][key] != change[key]
    assert_ok(vtep(host, **args), False)


def test_failed_recreate_restores_the_old_device(host):
    """vx100 -> vni 200 while vx200 already holds vni 200 (same local/port): the kernel refuses the new
    device (EEXIST) after the old one was deleted, so the rollback must bring vx100 back as it was."""
    assert_ok(vtep(host, master="br100", neigh_suppress=True, mtu=1400, **BASE), True)
    other, renumbered = dict(BASE, name="vx200", vni=200), dict(BASE, vni=200, mtu=1400)
    assert_ok(vtep(host, **other), True)
    result = vtep(host, **renumbered)
    assert result["rc"] != 0 and result.get("failed") is True, result
    assert "vni" in result["msg"] and "200" in result["msg"], result["msg"]
    info = link(host, VX)
    assert info is not None, "the old VTEP was deleted and not restored"
    data = info["linkinfo"]["info_data"]
    assert (data["id"], data["port"], data["link"]) == (100, 4789, "eth0")
    assert (info["master"], info["mtu"], "UP" in info["flags"]) == ("br100", 1400, True)
    assert info["linkinfo"]["info_slave_data"]["neigh_suppress"] is True, \
        "rollback of the re-creation lost the neigh_suppress port flag"


def test_ttl_and_learning_change_in_place(host):
    assert_ok(vtep(host, **BASE), True)
    index = link(host, VX)["ifindex"]
    result = vtep(host, ttl=10, **BASE)
    assert_ok(result, True)
    assert not any("re-create" in a for a in result["actions"]), result["actions"]
    assert vxlan_data(host)["ttl"] == 10
    result = vtep(host, ttl=10, **dict(BASE, learning=True))
    assert_ok(result, True)
    assert not any("re-create" in a for a in result["actions"]), result["actions"]
    data = vxlan_data(host)
    assert (data["ttl"], data["learning"]) == (10, True)
    assert link(host, VX)["ifindex"] == index
    assert_ok(vtep(host, ttl=10, **dict(BASE, learning=True)), False)


def test_absent_removes_and_rerun_unchanged(host):
    assert_ok(vtep(host, master="br100", **BASE), True)
    result = vtep(host, name=VX, state="absent")
    assert_ok(result, True)
    assert result["diff"]["after"] == {"name": VX, "state": "absent"}
    assert link(host, VX) is None
    assert link(host, "eth0") is not None and link(host, "br100") is not None
    assert_ok(vtep(host, name=VX, state="absent"), False)


BAD_INPUT = [
    ("vni", 0),
    ("vni", 16777216),
    ("dstport", 0),
    ("dstport", 70000),
    ("local", "192.0.2.99"),       # not an address of this host
    ("dev", "nosuch0"),
    ("master", "nosuchbr"),
    ("master", "eth1"),            # exists, but is a veth
    ("mtu", 1451),                 # eth0 mtu 1500 - 50 = 1450
    ("group", "192.0.2.50"),       # not multicast
    ("name", "a" * 16),
    ("name", "vx;0"),
    ("name", "peer0"),             # exists, but is a veth
]


@pytest.mark.parametrize("option,value", BAD_INPUT, ids=["%s=%r" % c for c in BAD_INPUT])
def test_bad_input_fails_before_any_change(host, option, value):
    if option in ("mtu", "master"):  # also against an existing device
        assert_ok(vtep(host, **BASE), True)
    args = dict(BASE)
    args[option] = value
    before = dump_state(host)
    assert_failed_cleanly(vtep(host, **args), option, value, before, dump_state(host))


def test_missing_netns_fails_and_creates_no_namespace():
    missing = "%s-does-not-exist" % PREFIX
    result = run_module("vxlan_vtep", dict(BASE, netns=missing))
    assert result["rc"] != 0 and result.get("failed") is True, result
    assert "netns" in result["msg"] and missing in result["msg"], result["msg"]
    # Other suites may add namespaces concurrently: check that this one was not created, and none of ours.
    listed = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, check=True).stdout.split()
    assert missing not in listed and not os.path.exists("/run/netns/" + missing)
    assert not [name for name in listed if name.startswith(PREFIX)], listed
