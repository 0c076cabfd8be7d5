"""``netfabric.core.bridge`` against a real kernel, inside throwaway namespaces.

Every claim is checked with the independent tools (``ip -j -d link``, ``ip -j addr``), not only with the
module's own report: create, idempotent re-run, attribute changes, the exact address set, check mode
(byte-identical state), diff, removal, and bad input that must fail before touching anything.
"""
import os
import subprocess

import pytest

from conftest import PREFIX, addrs, assert_failed_cleanly, assert_ok, dump_state, link, run_module, sh, veth

BR = "br0"
FULL = dict(mtu=1400, stp=True, mac="02:00:00:00:00:aa", addresses=["192.0.2.1/24", "2001:db8::1/64"])


@pytest.fixture
def ns(make_netns):
    """A throwaway namespace without IPv6 DAD: a link-local address leaving "tentative" during a test
    would otherwise make two dump_state() snapshots differ for reasons unrelated to the module."""
    name = make_netns("br")
    sh("sysctl", "-qw", "net.ipv6.conf.all.accept_dad=0", "net.ipv6.conf.default.accept_dad=0", ns=name)
    return name


def bridge(ns, name=BR, check_mode=False, **options):
    return run_module("bridge", dict(name=name, netns=ns, **options), check_mode=check_mode)


def stp_state(info):
    return info["linkinfo"]["info_data"]["stp_state"]


def test_create_shows_in_ip_and_rerun_is_unchanged(ns):
    result = bridge(ns, **FULL)
    assert_ok(result, True)
    assert result["actions"][0] == "create bridge %s" % BR
    info = link(ns, BR)
    assert info["linkinfo"]["info_kind"] == "bridge"
    assert info["mtu"] == 1400
    assert stp_state(info) == 1
    assert info["address"] == "02:00:00:00:00:aa"
    assert "UP" in info["flags"]
    assert addrs(ns, BR) == ["192.0.2.1/24", "2001:db8::1/64"]
    assert result["diff"]["before"] == {"name": BR, "state": "absent"}
    after = result["diff"]["after"]
    assert (after["state"], after["mtu"], after["stp"], after["mac"], after["addresses"]) == (
        "present", 1400, True, "02:00:00:00:00:aa", ["192.0.2.1/24", "2001:db8::1/64"])

    again = bridge(ns, **FULL)
    assert_ok(again, False)
    assert again["actions"] == []
    assert again["diff"]["before"] == again["diff"]["after"]

    state = dump_state(ns)
    converged_check = bridge(ns, check_mode=True, **FULL)
    assert_ok(converged_check, False)
    assert dump_state(ns) == state


def test_change_attributes_in_place(ns):
    assert_ok(bridge(ns, **FULL), True)
    index = link(ns, BR)["ifindex"]
    result = bridge(ns, mtu=1500, stp=False, mac="02:00:00:00:00:BB")
    assert_ok(result, True)
    info = link(ns, BR)
    assert info["ifindex"] == index, "an attribute change must not re-create the bridge"
    assert info["mtu"] == 1500
    assert stp_state(info) == 0
    assert info["address"] == "02:00:00:00:00:bb"
    before, after = result["diff"]["before"], result["diff"]["after"]
    assert (before["mtu"], before["stp"], before["mac"]) == (1400, True, "02:00:00:00:00:aa")
    assert (after["mtu"], after["stp"], after["mac"]) == (1500, False, "02:00:00:00:00:bb")
    # addresses were not given: left as they are
    assert addrs(ns, BR) == ["192.0.2.1/24", "2001:db8::1/64"]
    assert_ok(bridge(ns, mtu=1500, stp=False, mac="02:00:00:00:00:bb"), False)


def test_addresses_are_the_exact_set(ns):
    assert_ok(bridge(ns, addresses=["192.0.2.1/24"]), True)
    assert addrs(ns, BR) == ["192.0.2.1/24"]

    added = bridge(ns, addresses=["192.0.2.1/24", "198.51.100.1/24", "2001:db8::1/64"])
    assert_ok(added, True)
    assert addrs(ns, BR) == ["192.0.2.1/24", "198.51.100.1/24", "2001:db8::1/64"]
    assert added["diff"]["before"]["addresses"] == ["192.0.2.1/24"]
    assert added["diff"]["after"]["addresses"] == ["192.0.2.1/24", "198.51.100.1/24", "2001:db8::1/64"]

    removed = bridge(ns, addresses=["198.51.100.1/24", "2001:db8::1/64"])
    assert_ok(removed, True)
    assert addrs(ns, BR) == ["198.51.100.1/24", "2001:db8::1/64"]
    assert any("192.0.2.1/24" in action for action in removed["actions"]), removed["actions"]
    assert_ok(bridge(ns, addresses=["2001:db8::1/64", "198.51.100.1/24"]), False)

    # Omitted = unmanaged: an address added by someone else stays.
    sh("ip", "addr", "add", "203.0.113.1/24", "dev", BR, ns=ns)
    assert_ok(bridge(ns), False)
    assert "203.0.113.1/24" in addrs(ns, BR)

    # [] removes every address, but not the kernel's IPv6 link-local one.
    assert_ok(bridge(ns, addresses=[]), True)
    assert addrs(ns, BR) == []
    assert_ok(bridge(ns, addresses=[]), False)


def test_address_prefix_length_change(ns):
    """Same address, other prefix length: the old one must go, the new one come (both families)."""
    assert_ok(bridge(ns, addresses=["192.0.2.1/24", "2001:db8::1/64"]), True)
    assert_ok(bridge(ns, addresses=["192.0.2.1/25", "2001:db8::1/64"]), True)
    assert addrs(ns, BR) == ["192.0.2.1/25", "2001:db8::1/64"]
    # IPv6 keys addresses by address alone: adding 2001:db8::1/48 while /64 is still there is EEXIST.
    result = bridge(ns, addresses=["192.0.2.1/25", "2001:db8::1/48"])
    assert_ok(result, True)
    assert addrs(ns, BR) == ["192.0.2.1/25", "2001:db8::1/48"]


def test_check_mode_on_fresh_namespace_changes_nothing(ns):
    state = dump_state(ns)
    result = bridge(ns, check_mode=True, **FULL)
    assert_ok(result, True)
    assert "create bridge %s" % BR in result["actions"]
    assert result["diff"]["before"] == {"name": BR, "state": "absent"}
    assert result["diff"]["after"]["mtu"] == 1400
    assert link(ns, BR) is None
    assert dump_state(ns) == state


def test_absent_removes_and_rerun_is_unchanged(ns):
    veth(ns, "eth0", "peer0")
    assert_ok(bridge(ns, mtu=1500), True)
    sh("ip", "link", "set", "eth0", "master", BR, ns=ns)
    result = bridge(ns, state="absent")
    assert_ok(result, True)
    assert result["diff"]["after"] == {"name": BR, "state": "absent"}
    assert link(ns, BR) is None
    assert link(ns, "eth0") is not None, "the bridge's port must be released, not deleted"
    assert_ok(bridge(ns, state="absent"), False)


def test_vlan_filtering_unsupported_fails_cleanly(ns):
    """This kernel has no CONFIG_BRIDGE_VLAN_FILTERING: EOPNOTSUPP must become a clean failure."""
    # New bridge: everything done before the failing step (create, mtu, stp) is rolled back.
    before = dump_state(ns)
    result = bridge(ns, mtu=1400, stp=True, vlan_filtering=True)
    assert result["rc"] != 0 and result.get("failed") is True, result
    assert "vlan_filtering" in result["msg"], result["msg"]
    assert link(ns, BR) is None, "the bridge created before the failure must be rolled back"
    assert dump_state(ns) == before

    # Existing bridge: left exactly as it was.
    assert_ok(bridge(ns, mtu=1400), True)
    before = dump_state(ns)
    result = bridge(ns, mtu=1400, vlan_filtering=True)
    assert result["rc"] != 0 and result.get("failed") is True, result
    assert "vlan_filtering" in result["msg"], result["msg"]
    assert dump_state(ns) == before

    # With another change in the same run, that change is undone (stp back off, mtu back to 1400).
    result = bridge(ns, mtu=1500, stp=True, vlan_filtering=True)
    assert result["rc"] != 0 and "vlan_filtering" in result["msg"], result
    info = link(ns, BR)
    assert (info["mtu"], stp_state(info), info["linkinfo"]["info_data"]["vlan_filtering"]) == (1400, 0, 0)


def test_name_taken_by_non_bridge_link(ns):
    veth(ns, "brx", "brx-peer")
    for state in ("present", "absent"):
        before = dump_state(ns)
        result = bridge(ns, name="brx", state=state)
        assert_failed_cleanly(result, "name", "brx", before, dump_state(ns))
    assert link(ns, "brx")["linkinfo"]["info_kind"] == "veth"


BAD_INPUT = [
    ("name", "a" * 16),
    ("name", "br/0"),
    ("name", "br 0"),
    ("name", "br;0"),
    ("name", "$(x)"),
    ("name", "br0\n"),  # Python's "$" matches before a trailing newline
    ("mac", "02:00:00:00:00"),
    ("mac", "zz:zz:zz:zz:zz:zz"),
    ("mac", "01:00:5e:00:00:01"),
    ("addresses", "192.0.2.300/24"),
    ("addresses", "192.0.2.1"),
    ("mtu", 0),
    ("mtu", 70000),
]


@pytest.mark.parametrize("option,value", BAD_INPUT, ids=[repr(v) for _o, v in BAD_INPUT])
def test_bad_input_fails_before_any_change(ns, option, value):
    sh("ip", "link", "add", BR, "type", "bridge", ns=ns)
    args = {"name": BR, "mtu": 1500}
    args[option] = [value] if option == "addresses" else value
    before = dump_state(ns)
    result = run_module("bridge", dict(args, netns=ns))
    assert_failed_cleanly(result, option, value, before, dump_state(ns))


def test_missing_netns_fails_and_creates_no_namespace():
    missing = "%s-does-not-exist" % PREFIX
    result = run_module("bridge", {"name": BR, "netns": missing})
    assert result["rc"] != 0 and result.get("failed") is True, result
    assert "netns" in result["msg"] and missing in result["msg"], result["msg"]
    # Other suites may add namespaces concurrently: check that this one was not created, and none of ours.
    listed = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, check=True).stdout.split()
    assert missing not in listed and not os.path.exists("/run/netns/" + missing)
    assert not [name for name in listed if name.startswith(PREFIX)], listed
