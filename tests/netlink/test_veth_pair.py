"""netfabric.core.veth_pair against real namespaces, checked with the independent ``ip -j`` view."""
import json
import os
import subprocess
import time

import pytest

from conftest import PREFIX, addrs, dump_state as conftest_dump_state, ip_json, link, run_module, sh, veth


def _drop_timers(value):
    if isinstance(value, dict):
        return dict((k, _drop_timers(v)) for k, v in value.items() if not k.endswith("_timer"))
    if isinstance(value, list):
        return [_drop_timers(v) for v in value]
    return value


def dump_state(*namespaces):
    """conftest.dump_state without the timers that tick on their own: a bridge port's
    ``info_slave_data`` carries hold/message_age/forward_delay timers that conftest does not drop."""
    return json.dumps(_drop_timers(json.loads(conftest_dump_state(*namespaces))), sort_keys=True, indent=1)


def settled_state(*namespaces, quiet=1.25):
    """dump_state() once the kernel has finished propagating what the last change started: carrier and
    operstate changes go through linkwatch, which fires up to a second later. Returns the state once it
    did not change for ``quiet`` seconds; the "before" of the tests that compare before/after."""
    state, since = dump_state(*namespaces), time.monotonic()
    deadline = since + 20
    while time.monotonic() < deadline:
        time.sleep(0.25)
        again = dump_state(*namespaces)
        if again != state:
            state, since = again, time.monotonic()
        elif time.monotonic() - since >= quiet:
            return state
    raise AssertionError("state of %s does not settle" % (namespaces,))


def up(ns, name):
    entry = link(ns, name)
    return entry is not None and "UP" in entry["flags"]


def default_gateways(ns, family="-4"):
    return [(r.get("gateway"), r.get("dev")) for r in ip_json(ns, family, "route", "show", "default")]


def no_dad(ns):
    """IPv6 duplicate address detection flips "tentative" flags on its own: keep dump_state() stable."""
    sh("sysctl", "-qw", "net.ipv6.conf.all.accept_dad=0", "net.ipv6.conf.default.accept_dad=0", ns=ns)


@pytest.fixture
def lab(make_netns):
    """Host namespace with bridge br0, and a container namespace."""
    host = make_netns("h")
    no_dad(host)
    # br0 has an uplink port from the start, as in real life: the first port of a port-less bridge gives it
    # carrier, a MAC, offload limits and an IPv6 link-local address that stay when a rolled-back port leaves
    sh("ip", "link", "add", "br0", "type", "bridge", ns=host)
    veth(host, "up0", "up0p")
    sh("ip", "link", "set", "up0", "master", "br0", ns=host)
    sh("ip", "link", "set", "br0", "up", ns=host)
    container = make_netns("c")
    no_dad(container)
    sh("ip", "link", "set", "lo", "down", ns=container)  # a fresh namespace: lo is down
    return {"host": host, "c": container}


def pair_args(lab, **extra):
    args = dict(name="vc1", peer="eth0", netns=lab["host"], peer_netns=lab["c"], master="br0", mtu=1450,
                peer_addresses=["192.0.2.21/24"], peer_gateway="192.0.2.1")
    args.update(extra)
    return dict((k, v) for k, v in args.items() if v is not None)


def test_create_full_and_rerun_unchanged(lab):
    host, c = lab["host"], lab["c"]
    result = run_module("veth_pair", pair_args(lab))
    assert result["rc"] == 0, result
    assert result["changed"] is True
    assert result["diff"]["before"] == {"name": "vc1", "state": "absent"}

    h_end, p_end = link(host, "vc1"), link(c, "eth0")
    assert h_end["linkinfo"]["info_kind"] == "veth" and p_end["linkinfo"]["info_kind"] == "veth"
    assert h_end["master"] == "br0"
    assert up(host, "vc1") and up(c, "eth0") and up(c, "lo")
    assert h_end["mtu"] == 1450 and p_end["mtu"] == 1450
    assert addrs(c, "eth0") == ["192.0.2.21/24"]
    assert default_gateways(c) == [("192.0.2.1", "eth0")]
    assert link(host, "eth0") is None and link(c, "vc1") is None
    assert result["index"] == h_end["ifindex"] and result["peer_index"] == p_end["ifindex"]
    # the two ends really are each other's peer
    assert h_end["link_index"] == p_end["ifindex"] and p_end["link_index"] == h_end["ifindex"]

    state = settled_state(host, c)
    again = run_module("veth_pair", pair_args(lab))
    assert again["rc"] == 0, again
    assert again["changed"] is False and again["actions"] == []
    assert again["diff"]["before"] == again["diff"]["after"]
    assert dump_state(host, c) == state


def test_check_mode_changes_nothing(lab):
    host, c = lab["host"], lab["c"]
    state = settled_state(host, c)
    result = run_module("veth_pair", pair_args(lab), check_mode=True)
    assert result["rc"] == 0, result
    assert result["changed"] is True
    assert result["actions"][0].startswith("create veth vc1 with peer eth0")
    assert result["diff"]["after"]["peer_addresses"] == ["192.0.2.21/24"]
    assert dump_state(host, c) == state


def test_check_mode_on_existing_pair_changes_nothing(lab):
    host, c = lab["host"], lab["c"]
    assert run_module("veth_pair", pair_args(lab))["rc"] == 0
    state = settled_state(host, c)
    result = run_module("veth_pair", pair_args(lab, mtu=1400, peer="eth1", peer_addresses=["192.0.2.22/24"]),
                        check_mode=True)
    assert result["rc"] == 0, result
    assert result["changed"] is True
    assert dump_state(host, c) == state


def test_change_mtu_on_both_ends(lab):
    host, c = lab["host"], lab["c"]
    assert run_module("veth_pair", pair_args(lab))["rc"] == 0
    index = link(host, "vc1")["ifindex"]
    result = run_module("veth_pair", pair_args(lab, mtu=1400))
    assert result["rc"] == 0, result
    assert result["changed"] is True
    assert result["actions"] == ["mtu=1400 on vc1", "mtu=1400 on peer eth0"]
    assert link(host, "vc1")["mtu"] == 1400 and link(c, "eth0")["mtu"] == 1400
    assert link(host, "vc1")["ifindex"] == index  # changed in place, not re-created
    assert run_module("veth_pair", pair_args(lab, mtu=1400))["changed"] is False


def test_rename_peer(lab):
    host, c = lab["host"], lab["c"]
    assert run_module("veth_pair", pair_args(lab))["rc"] == 0
    index, peer_index = link(host, "vc1")["ifindex"], link(c, "eth0")["ifindex"]
    result = run_module("veth_pair", pair_args(lab, peer="eth1"))
    assert result["rc"] == 0, result
    assert result["actions"] == ["rename peer eth0 to eth1"]
    assert link(c, "eth0") is None
    assert link(c, "eth1")["ifindex"] == peer_index and link(host, "vc1")["ifindex"] == index
    assert up(c, "eth1") and addrs(c, "eth1") == ["192.0.2.21/24"]
    assert default_gateways(c) == [("192.0.2.1", "eth1")]
    assert run_module("veth_pair", pair_args(lab, peer="eth1"))["changed"] is False


def test_move_peer_to_another_namespace_recreates(lab, make_netns):
    host, c = lab["host"], lab["c"]
    c2 = make_netns("c2")
    no_dad(c2)
    assert run_module("veth_pair", pair_args(lab))["rc"] == 0
    result = run_module("veth_pair", pair_args(lab, peer_netns=c2))
    assert result["rc"] == 0, result
    assert result["changed"] is True
    assert "re-create" in result["actions"][0]
    assert link(c, "eth0") is None
    p_end, h_end = link(c2, "eth0"), link(host, "vc1")
    assert p_end["link_index"] == h_end["ifindex"] and h_end["link_index"] == p_end["ifindex"]
    assert h_end["master"] == "br0" and h_end["mtu"] == 1450 and p_end["mtu"] == 1450
    assert up(host, "vc1") and up(c2, "eth0")
    assert addrs(c2, "eth0") == ["192.0.2.21/24"]
    assert default_gateways(c2) == [("192.0.2.1", "eth0")]
    assert run_module("veth_pair", pair_args(lab, peer_netns=c2))["changed"] is False


def test_move_peer_from_host_namespace(lab):
    """A peer left in the host end's namespace is moved (and renamed) in one request, not re-created."""
    host, c = lab["host"], lab["c"]
    veth(host, "vc1", "tmp-peer")
    index = link(host, "vc1")["ifindex"]
    result = run_module("veth_pair", pair_args(lab))
    assert result["rc"] == 0, result
    assert result["actions"][0] == "move peer tmp-peer to peer_netns %r as eth0" % c
    assert link(host, "tmp-peer") is None
    assert link(host, "vc1")["ifindex"] == index
    assert link(c, "eth0")["link_index"] == index
    assert up(c, "eth0") and addrs(c, "eth0") == ["192.0.2.21/24"]
    assert default_gateways(c) == [("192.0.2.1", "eth0")]
    assert run_module("veth_pair", pair_args(lab))["changed"] is False


def test_peer_in_same_namespace(lab):
    host = lab["host"]
    args = dict(name="vc1", peer="vc1p", netns=host, peer_addresses=["198.51.100.2/24"])
    result = run_module("veth_pair", args)
    assert result["rc"] == 0, result
    assert link(host, "vc1p")["link"] == "vc1" and link(host, "vc1")["link"] == "vc1p"
    assert up(host, "vc1") and up(host, "vc1p")
    assert addrs(host, "vc1p") == ["198.51.100.2/24"]
    assert run_module("veth_pair", args)["changed"] is False


def test_ipv6_gateway(lab):
    c = lab["c"]
    args = pair_args(lab, peer_addresses=["192.0.2.21/24", "2001:db8:0:1::21/64"], peer_gateway="2001:db8:0:1::1")
    result = run_module("veth_pair", args)
    assert result["rc"] == 0, result
    assert addrs(c, "eth0") == ["192.0.2.21/24", "2001:db8:0:1::21/64"]
    assert default_gateways(c, "-6") == [("2001:db8:0:1::1", "eth0")]
    assert run_module("veth_pair", args)["changed"] is False


def test_gateway_replaced(lab):
    c = lab["c"]
    assert run_module("veth_pair", pair_args(lab))["rc"] == 0
    result = run_module("veth_pair", pair_args(lab, peer_gateway="192.0.2.254"))
    assert result["rc"] == 0, result
    assert default_gateways(c) == [("192.0.2.254", "eth0")]


def test_peer_addresses_complete_set(lab):
    c = lab["c"]
    assert run_module("veth_pair", pair_args(lab, peer_addresses=["192.0.2.21/24", "203.0.113.5/24"]))["rc"] == 0
    result = run_module("veth_pair", pair_args(lab, peer_addresses=["192.0.2.21/24", "198.51.100.7/24"]))
    assert result["rc"] == 0, result
    assert addrs(c, "eth0") == ["192.0.2.21/24", "198.51.100.7/24"]


def test_absent_removes_both_ends(lab):
    host, c = lab["host"], lab["c"]
    assert run_module("veth_pair", pair_args(lab))["rc"] == 0
    result = run_module("veth_pair", dict(name="vc1", netns=host, state="absent"))
    assert result["rc"] == 0, result
    assert result["changed"] is True
    assert link(host, "vc1") is None and link(c, "eth0") is None
    again = run_module("veth_pair", dict(name="vc1", netns=host, state="absent"))
    assert again["rc"] == 0 and again["changed"] is False


def test_absent_check_mode(lab):
    host, c = lab["host"], lab["c"]
    assert run_module("veth_pair", pair_args(lab))["rc"] == 0
    state = settled_state(host, c)
    result = run_module("veth_pair", dict(name="vc1", netns=host, state="absent"), check_mode=True)
    assert result["rc"] == 0 and result["changed"] is True
    assert dump_state(host, c) == state


BAD = [
    ("name", "a" * 16, {}),
    ("name", "vc/1", {}),
    ("name", "vc 1", {}),
    ("name", "vc;1", {}),
    ("peer", "e" * 16, {}),
    ("peer", "eth 0", {}),
    ("mtu", 20, {}),
    ("peer_addresses", ["192.0.2.300/24"], {}),
    ("peer_addresses", ["192.0.2.21"], {}),
    ("peer_netns", PREFIX + "-missing", {}),
    ("peer_netns", "/etc/hosts", {}),
    ("peer_netns", "/proc/1/ns/mnt", {}),
    ("peer_netns", "../etc", {}),
    ("netns", PREFIX + "-missing", {}),
    ("netns", "/etc/hosts", {}),
    ("peer", "vc1", {"peer_netns": None}),
    ("master", "nobr0", {}),
    ("master", "vx", {}),
    ("peer_gateway", "198.51.100.1", {}),
    ("peer_gateway", "192.0.2.21", {}),
    ("peer_gateway", "not-an-ip", {}),
    ("peer_gateway", "192.0.2.1", {"peer_addresses": None}),
]


@pytest.mark.parametrize("option,value,extra", BAD, ids=["%s=%s" % (b[0], str(b[1]).replace(PREFIX, "<prefix>")) for b in BAD])
def test_bad_input_fails_and_changes_nothing(lab, option, value, extra):
    host, c = lab["host"], lab["c"]
    veth(host, "vx", "vxp")  # "vx" exists but is not a bridge
    args = pair_args(lab)
    args[option] = value
    args.update(extra)
    args = dict((k, v) for k, v in args.items() if v is not None)
    state = settled_state(host, c)
    result = run_module("veth_pair", args)
    assert result["rc"] != 0, result
    assert result.get("failed") is True
    msg = result["msg"]
    assert msg.startswith(option + ":"), msg
    shown = value[0] if isinstance(value, list) else str(value)
    assert shown in msg, msg
    assert dump_state(host, c) == state
    assert not os.path.exists("/run/netns/%s-missing" % PREFIX)  # a typo never creates a namespace


def test_peer_name_taken_fails(lab):
    host, c = lab["host"], lab["c"]
    sh("ip", "link", "add", "eth0", "type", "bridge", ns=c)
    state = settled_state(host, c)
    result = run_module("veth_pair", pair_args(lab))
    assert result["rc"] != 0
    assert result["msg"].startswith("peer:") and "'eth0'" in result["msg"], result["msg"]
    assert dump_state(host, c) == state


def test_name_taken_by_other_kind_fails(lab):
    host, c = lab["host"], lab["c"]
    state = settled_state(host, c)
    for state_value in ("present", "absent"):
        result = run_module("veth_pair", pair_args(lab, name="br0", master=None, state=state_value))
        assert result["rc"] != 0
        assert result["msg"].startswith("name:") and "'br0'" in result["msg"], result["msg"]
    assert dump_state(host, c) == state


def test_peer_netns_as_pid_and_path(lab):
    """A container is known by its PID: the pair converges by namespace identity, whatever spelling is used."""
    host, c = lab["host"], lab["c"]
    proc = subprocess.Popen(["ip", "netns", "exec", c, "sleep", "120"])  # exec: the PID is sleep's, inside c
    try:
        for dummy in range(40):
            if os.readlink("/proc/%d/ns/net" % proc.pid) != os.readlink("/proc/self/ns/net"):
                break
            time.sleep(0.05)  # not switched into c yet
        result = run_module("veth_pair", pair_args(lab, peer_netns=str(proc.pid)))
        assert result["rc"] == 0, result
        assert link(c, "eth0")["link_index"] == link(host, "vc1")["ifindex"]
        assert addrs(c, "eth0") == ["192.0.2.21/24"]
        for spelling in (c, "/proc/%d/ns/net" % proc.pid, "/run/netns/" + c):
            again = run_module("veth_pair", pair_args(lab, peer_netns=spelling))
            assert again["rc"] == 0 and again["changed"] is False, again
    finally:
        proc.kill()
        proc.wait()


def test_failure_half_way_rolls_back(lab):
    """IPv6 is off in the container: the address step fails after the pair was created, attached and
    brought up; every completed step is undone and both namespaces are as before."""
    host, c = lab["host"], lab["c"]
    sh("sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1", ns=c)
    state = settled_state(host, c)
    result = run_module("veth_pair", pair_args(lab, peer_addresses=["192.0.2.21/24", "2001:db8:0:1::21/64"]))
    assert result["rc"] != 0, result
    assert "add address 2001:db8:0:1::21/64 to eth0 failed" in result["msg"], result["msg"]
    assert "rolled back" in result["msg"] and "FAILED" not in result["msg"], result["msg"]
    assert link(host, "vc1") is None and link(c, "eth0") is None
    assert settled_state(host, c) == state
