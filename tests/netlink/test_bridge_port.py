# -*- coding: utf-8 -*-
# Copyright (c) 2026, netfabric.core contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""netfabric.core.bridge_port against real netlink in throwaway namespaces, checked with ``ip -j``/``bridge -j``.

Bridges are created with ``forward_delay 0``: with the default 15 s a port's forward_delay_timer keeps
counting down, and dump_state() would differ between two dumps although nothing changed.
"""
import re
import subprocess
import time

import pytest

from conftest import addrs, dump_state, ip_json, link, run_module, sh, veth

MODULE = "bridge_port"
FLAGS = ("learning", "flood", "hairpin", "neigh_suppress", "isolated")


def bridge(ns, name, *ports):
    sh("ip", "link", "add", name, "type", "bridge", "forward_delay", "0", ns=ns)
    sh("ip", "link", "set", name, "up", ns=ns)
    for port in ports:
        sh("ip", "link", "set", port, "master", name, ns=ns)


def port_flags(ns, name):
    data = link(ns, name)["linkinfo"]["info_slave_data"]
    return dict((flag, data[flag]) for flag in FLAGS)


def routes(ns, family="-4"):
    return ip_json(ns, family, "route", "show")


def route_devs(ns, family="-4"):
    """{dst: dev} of the main table, e.g. {'default': 'br0', '192.0.2.0/24': 'br0'}."""
    return dict((r["dst"], r.get("dev")) for r in routes(ns, family) if not r["dst"].startswith("fe80:"))


def wait_settled(*namespaces, timeout=10.0):
    """Until the kernel is done on its own (DAD, carrier/operstate of new bridges), so dumps compare equal.

    Settled = no tentative address and the dump unchanged for 1 s (MLD reports repeat within 1 s).
    """
    deadline = time.time() + timeout
    last, same = None, 0
    while time.time() < deadline:
        tentative = any(a.get("tentative") for ns in namespaces for e in ip_json(ns, "addr", "show")
                        for a in e.get("addr_info", []))
        state = None if tentative else dump_state(*namespaces)
        same = same + 1 if state is not None and state == last else 0
        if same >= 5:
            return state
        last = state
        time.sleep(0.2)
    raise AssertionError("%s did not settle within %.1fs" % (", ".join(namespaces), timeout))


def ping(ns, target, count=3):
    proc = subprocess.run(["ip", "netns", "exec", ns, "ping", "-c", str(count), "-i", "0.01", "-W", "1", target],
                          capture_output=True, text=True, timeout=30, check=False)
    return proc.returncode == 0


def quiet(ns, dad=False):
    """Stop the kernel's own IPv6 chatter in ``ns`` (router solicitations every 4 s; DAD unless ``dad``).

    Otherwise a bridge learns a peer's MAC from a late solicitation between two dumps, and
    link-local addresses stay tentative for a while.
    """
    settings = ["net.ipv6.conf.all.router_solicitations=0", "net.ipv6.conf.default.router_solicitations=0"]
    if not dad:
        settings += ["net.ipv6.conf.all.accept_dad=0", "net.ipv6.conf.default.accept_dad=0"]
    sh("sysctl", "-qw", *settings, ns=ns)


# -- membership and flags ------------------------------------------------------------------------


@pytest.fixture
def lab(ns):
    """br0 (forward_delay 0, up) and a veth p1<->p1p, p1 not yet a port."""
    quiet(ns)
    bridge(ns, "br0")
    veth(ns, "p1", "p1p")
    wait_settled(ns)
    return ns


def test_enslave_with_flags_rerun_change_check_mode_absent(lab):
    ns = lab
    args = dict(bridge="br0", port="p1", netns=ns, learning=False, flood=False, hairpin=True,
                neigh_suppress=True, isolated=True)
    result = run_module(MODULE, args)
    assert result["rc"] == 0, result
    assert result["changed"] is True
    assert result["actions"][0] == "enslave p1 to br0"
    assert link(ns, "p1")["master"] == "br0"
    assert port_flags(ns, "p1") == {"learning": False, "flood": False, "hairpin": True,
                                    "neigh_suppress": True, "isolated": True}
    assert result["diff"]["before"]["state"] == "absent" and result["diff"]["after"]["state"] == "present"
    # bridge -j link shows the same membership (independent tool).
    ports = [p["ifname"] for p in ip_json(ns, "link", "show", "master", "br0")]
    assert ports == ["p1"]

    # Re-run: nothing to do, nothing touched.
    before = wait_settled(ns)
    again = run_module(MODULE, args)
    assert again["rc"] == 0 and again["changed"] is False and again["actions"] == []
    assert dump_state(ns) == before

    # Change one flag: exactly one action.
    changed = run_module(MODULE, dict(args, learning=True))
    assert changed["rc"] == 0 and changed["changed"] is True
    assert changed["actions"] == ["set p1 learning=on"]
    assert port_flags(ns, "p1")["learning"] is True
    assert port_flags(ns, "p1")["flood"] is False

    # Check mode: reports the change, changes nothing.
    before = wait_settled(ns)
    check = run_module(MODULE, dict(args, learning=True, flood=True), check_mode=True)
    assert check["rc"] == 0 and check["changed"] is True
    assert check["actions"] == ["set p1 flood=on"]
    assert check["diff"]["after"]["flood"] is True
    assert dump_state(ns) == before

    # Unmanaged flags (None) are left alone.
    untouched = run_module(MODULE, dict(bridge="br0", port="p1", netns=ns))
    assert untouched["rc"] == 0 and untouched["changed"] is False

    # state: absent releases the port; again: unchanged.
    gone = run_module(MODULE, dict(bridge="br0", port="p1", netns=ns, state="absent"))
    assert gone["rc"] == 0 and gone["changed"] is True and gone["actions"] == ["release p1 from br0"]
    assert "master" not in link(ns, "p1")
    assert ip_json(ns, "link", "show", "master", "br0") == []
    before = wait_settled(ns)
    gone = run_module(MODULE, dict(bridge="br0", port="p1", netns=ns, state="absent"))
    assert gone["rc"] == 0 and gone["changed"] is False
    assert dump_state(ns) == before


def test_each_flag_both_ways(lab):
    """Every flag is read back by the module itself (pyroute2 ignores unknown keywords silently)."""
    ns = lab
    assert run_module(MODULE, dict(bridge="br0", port="p1", netns=ns))["rc"] == 0
    for flag in FLAGS:
        for value in (True, False):
            result = run_module(MODULE, dict(bridge="br0", port="p1", netns=ns, **{flag: value}))
            assert result["rc"] == 0, result
            assert port_flags(ns, "p1")[flag] is value, flag


def test_port_of_another_bridge_is_moved(lab):
    ns = lab
    bridge(ns, "br1", "p1")
    sh("ip", "link", "set", "p1", "type", "bridge_slave", "learning", "off", ns=ns)
    result = run_module(MODULE, dict(bridge="br0", port="p1", netns=ns, hairpin=True))
    assert result["rc"] == 0, result
    assert result["actions"] == ["move p1 from bridge br1 to br0", "set p1 hairpin=on"]
    assert result["diff"]["before"]["master"] == "br1"
    assert link(ns, "p1")["master"] == "br0"
    # A new port gets the kernel defaults, plus what was asked.
    assert port_flags(ns, "p1") == {"learning": True, "flood": True, "hairpin": True,
                                    "neigh_suppress": False, "isolated": False}
    # absent for br1 leaves the port in br0 alone.
    other = run_module(MODULE, dict(bridge="br1", port="p1", netns=ns, state="absent"))
    assert other["rc"] == 0 and other["changed"] is False
    assert link(ns, "p1")["master"] == "br0"


# -- bad input -----------------------------------------------------------------------------------


@pytest.mark.parametrize("args, option, value", [
    (dict(bridge="br0", port="p" * 16), "port", "p" * 16),
    (dict(bridge="br0", port="p1/x"), "port", "p1/x"),
    (dict(bridge="br0", port="br0"), "port", "br0"),
    (dict(bridge="br9", port="p1"), "bridge", "br9"),
    (dict(bridge="br0", port="p9"), "port", "p9"),
    (dict(bridge="p1p", port="p1"), "bridge", "p1p"),
    (dict(bridge="br0", port="br1"), "port", "br1"),
    (dict(bridge="b" * 16, port="p1"), "bridge", "b" * 16),
])
def test_bad_input_fails_before_any_change(lab, args, option, value):
    ns = lab
    bridge(ns, "br1")
    before = wait_settled(ns)
    result = run_module(MODULE, dict(args, netns=ns, migrate_addresses=True, learning=False))
    assert result["rc"] != 0, result
    assert result["msg"].startswith(option + ":"), result["msg"]
    assert repr(value) in result["msg"], result["msg"]
    assert dump_state(ns) == before


def test_bridge_enslaved_to_itself_message(lab):
    result = run_module(MODULE, dict(bridge="br0", port="br0", netns=lab))
    assert result["rc"] != 0
    assert "port" in result["msg"] and "bridge enslaved to itself" in result["msg"]


def test_missing_netns(lab):
    result = run_module(MODULE, dict(bridge="br0", port="p1", netns=lab + "-nope"))
    assert result["rc"] != 0 and result["msg"].startswith("netns:")


# -- address migration ---------------------------------------------------------------------------


@pytest.fixture
def uplink(make_netns):
    """A host whose eth0 (veth to a gateway namespace) carries the addresses and default routes.

    host eth0: 192.0.2.11/24 (+ secondary 192.0.2.12/24), 2001:db8::11/64, default via 192.0.2.1 and
    via 2001:db8::1, a static link-scope route and an onlink route. gw gw0: 192.0.2.1/24, 2001:db8::1/64.
    The host keeps IPv6 DAD on (as a real host); the setup waits until its addresses are usable.
    """
    host, gw = make_netns("host"), make_netns("gw")
    quiet(host, dad=True)
    quiet(gw)
    veth(host, "eth0", "gw0", peer_ns=gw)
    sh("ip", "addr", "add", "192.0.2.1/24", "dev", "gw0", ns=gw)
    sh("ip", "addr", "add", "2001:db8::1/64", "dev", "gw0", ns=gw)
    sh("ip", "addr", "add", "192.0.2.11/24", "dev", "eth0", ns=host)
    sh("ip", "addr", "add", "192.0.2.12/24", "dev", "eth0", ns=host)
    sh("ip", "addr", "add", "2001:db8::11/64", "dev", "eth0", ns=host)
    bridge(host, "br0")
    wait_settled(host, gw)
    sh("ip", "route", "add", "default", "via", "192.0.2.1", ns=host)
    sh("ip", "-6", "route", "add", "default", "via", "2001:db8::1", ns=host)
    sh("ip", "route", "add", "198.51.100.0/24", "dev", "eth0", "metric", "5", ns=host)
    sh("ip", "route", "add", "203.0.113.0/24", "via", "198.51.100.1", "dev", "eth0", "onlink", ns=host)
    assert ping(host, "192.0.2.1") and ping(host, "2001:db8::1")
    return host, gw


MIGRATED = {"default": "br0", "192.0.2.0/24": "br0", "198.51.100.0/24": "br0", "203.0.113.0/24": "br0"}


def test_migrate_addresses_join_rerun_and_leave(uplink):
    host, gw = uplink
    eth0_routes = routes(host)
    args = dict(bridge="br0", port="eth0", netns=host, migrate_addresses=True)
    result = run_module(MODULE, args)
    assert result["rc"] == 0, result
    eth0_mac = link(host, "eth0")["address"]
    # The bridge takes the NIC's MAC first: neighbours' ARP/ND entries for the host stay valid.
    assert result["actions"][:2] == ["set br0 mac %s (the mac of eth0)" % eth0_mac, "add address 192.0.2.11/24 to br0"]
    assert result["actions"][-1] == "delete address 192.0.2.11/24 from eth0"
    assert link(host, "br0")["address"] == eth0_mac
    assert "move route default via 192.0.2.1 from eth0 to br0" in result["actions"]
    assert link(host, "eth0")["master"] == "br0"
    assert addrs(host, "br0") == ["192.0.2.11/24", "192.0.2.12/24", "2001:db8::11/64"]
    assert addrs(host, "eth0") == []
    assert route_devs(host) == MIGRATED
    assert route_devs(host, "-6") == {"2001:db8::/64": "br0", "default": "br0"}
    onlink = [r for r in routes(host) if r["dst"] == "203.0.113.0/24"][0]
    assert onlink["gateway"] == "198.51.100.1" and "onlink" in onlink["flags"]
    # Apart from the device, every route is as it was on eth0 (metric, protocol, scope, flags).
    assert [dict(r, dev=None) for r in routes(host)] == [dict(r, dev=None) for r in eth0_routes]
    # 192.0.2.11 is still the primary, .12 still secondary; the IPv6 address is usable right away.
    info = ip_json(host, "addr", "show", "dev", "br0")[0]["addr_info"]
    v4 = [(a["local"], bool(a.get("secondary"))) for a in info if a["family"] == "inet"]
    assert v4 == [("192.0.2.11", False), ("192.0.2.12", True)]
    v6 = [a for a in info if a["local"] == "2001:db8::11"][0]
    assert not v6.get("tentative") and not v6.get("nodad"), v6
    assert ping(host, "192.0.2.1") and ping(host, "2001:db8::1")
    assert ping(gw, "192.0.2.11") and ping(gw, "2001:db8::11")

    before = wait_settled(host, gw)
    again = run_module(MODULE, args)
    assert again["rc"] == 0 and again["changed"] is False and again["actions"] == []
    assert dump_state(host, gw) == before

    back = run_module(MODULE, dict(args, state="absent"))
    assert back["rc"] == 0, back
    assert back["actions"][-2:] == ["delete address 192.0.2.11/24 from br0", "release eth0 from br0"]
    assert "master" not in link(host, "eth0")
    assert addrs(host, "eth0") == ["192.0.2.11/24", "192.0.2.12/24", "2001:db8::11/64"]
    assert addrs(host, "br0") == []
    assert route_devs(host) == dict((k, "eth0") for k in MIGRATED)
    assert route_devs(host, "-6") == {"2001:db8::/64": "eth0", "default": "eth0"}
    assert routes(host) == eth0_routes
    assert ping(host, "192.0.2.1") and ping(host, "2001:db8::1")

    before = wait_settled(host, gw)
    again = run_module(MODULE, dict(args, state="absent"))
    assert again["rc"] == 0 and again["changed"] is False
    assert dump_state(host, gw) == before


def test_migrate_check_mode_changes_nothing(uplink):
    host, gw = uplink
    before = wait_settled(host, gw)
    result = run_module(MODULE, dict(bridge="br0", port="eth0", netns=host, migrate_addresses=True), check_mode=True)
    assert result["rc"] == 0 and result["changed"] is True
    assert "enslave eth0 to br0" in result["actions"]
    assert result["diff"]["after"]["bridge_routes"] == ["198.51.100.0/24 metric 5", "203.0.113.0/24 via 198.51.100.1 onlink",
                                                        "default via 192.0.2.1", "default via 2001:db8::1 metric 1024"]
    assert dump_state(host, gw) == before


def test_without_migrate_addresses_stay(uplink):
    host, gw = uplink
    result = run_module(MODULE, dict(bridge="br0", port="eth0", netns=host))
    assert result["rc"] == 0 and result["actions"] == ["enslave eth0 to br0"]
    assert addrs(host, "eth0") == ["192.0.2.11/24", "192.0.2.12/24", "2001:db8::11/64"]
    assert route_devs(host)["default"] == "eth0"


UNMOVABLE = [
    ("route in table 100", [("ip", "route", "add", "198.51.100.0/24", "dev", "eth0", "table", "100")],
     "route 198.51.100.0/24 in table 100 through eth0"),
    ("policy rule", [("ip", "rule", "add", "iif", "eth0", "lookup", "100", "pref", "100")],
     "policy rule 100 (IPv4) naming eth0"),
    ("multipath default", [("ip", "route", "add", "default", "metric", "50", "nexthop", "via", "192.0.2.1", "dev", "eth0",
                            "nexthop", "via", "192.0.2.2", "dev", "eth0")],
     "multipath route default (table 254) with a nexthop on eth0"),
]


@pytest.mark.parametrize("label,commands,named", UNMOVABLE, ids=[u[0] for u in UNMOVABLE])
def test_unmovable_routes_refused_before_any_change(uplink, label, commands, named):
    """What the migration cannot carry to the bridge (the kernel would drop it with eth0's addresses, as it
    silently did with an ECMP default route) is refused up front, named in the message, in both directions."""
    host, gw = uplink
    for command in commands:
        sh(*command, ns=host)
    before = wait_settled(host, gw)
    args = dict(bridge="br0", port="eth0", netns=host, migrate_addresses=True)
    result = run_module(MODULE, args)
    assert result["rc"] != 0 and result.get("failed") is True, result
    assert result["msg"].startswith("port: ") and named in result["msg"], result["msg"]
    assert "Traceback" not in result["msg"]
    assert dump_state(host, gw) == before
    assert ping(host, "192.0.2.1")


def test_unmovable_route_on_the_bridge_refused_when_leaving(uplink):
    host, gw = uplink
    args = dict(bridge="br0", port="eth0", netns=host, migrate_addresses=True)
    assert run_module(MODULE, args)["rc"] == 0
    sh("ip", "route", "add", "198.51.100.0/24", "dev", "br0", "table", "100", ns=host)
    before = wait_settled(host, gw)
    result = run_module(MODULE, dict(args, state="absent"))
    assert result["rc"] != 0 and result["msg"].startswith("bridge: "), result
    assert "route 198.51.100.0/24 in table 100 through br0" in result["msg"], result["msg"]
    assert dump_state(host, gw) == before
    assert link(host, "eth0")["master"] == "br0" and route_devs(host)["default"] == "br0"


def _ping_loss_during(host, gw, args, label):
    """Ping the host from the gateway 200 times at 10 ms while the module runs; return lost count."""
    pinger = subprocess.Popen(["ip", "netns", "exec", gw, "ping", "-n", "-c", "200", "-i", "0.01", "-W", "1",
                               "192.0.2.11"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        time.sleep(0.3)
        started = time.time()
        result = run_module(MODULE, args)
        took = time.time() - started
        still_running = pinger.poll() is None
        out = pinger.communicate(timeout=60)[0]
    finally:
        if pinger.poll() is None:
            pinger.kill()
    assert result["rc"] == 0 and result["changed"] is True, result
    assert still_running, "the module run (%.2fs) outlasted the ping window, measurement invalid" % took
    stats = re.search(r"(\d+) packets transmitted, (\d+) received", out)
    sent, received = int(stats.group(1)), int(stats.group(2))
    print("\n[bridge_port] %s: ping loss %d/%d at 10 ms (module run %.2fs)" % (label, sent - received, sent, took))
    return sent - received


def test_ping_loss_during_migration(uplink):
    host, gw = uplink
    args = dict(bridge="br0", port="eth0", netns=host, migrate_addresses=True)
    lost = _ping_loss_during(host, gw, args, "join (eth0 -> br0)")
    assert lost <= 2
    assert addrs(host, "br0") == ["192.0.2.11/24", "192.0.2.12/24", "2001:db8::11/64"]
    lost = _ping_loss_during(host, gw, dict(args, state="absent"), "leave (br0 -> eth0)")
    assert lost <= 2
    assert addrs(host, "eth0") == ["192.0.2.11/24", "192.0.2.12/24", "2001:db8::11/64"]


def test_migrate_returns_what_the_bridge_carries(uplink):
    """bridge_addresses/bridge_routes: planned in check mode, the same after the move and on a re-run."""
    host, _gw = uplink
    args = dict(bridge="br0", port="eth0", netns=host, migrate_addresses=True)
    planned = run_module(MODULE, args, check_mode=True)
    moved = run_module(MODULE, args)
    again = run_module(MODULE, args)
    expected_routes = [
        {"dst": "198.51.100.0/24", "gateway": None, "metric": 5, "prefsrc": None, "onlink": False},
        {"dst": "203.0.113.0/24", "gateway": "198.51.100.1", "metric": None, "prefsrc": None, "onlink": True},
        {"dst": "default", "gateway": "192.0.2.1", "metric": None, "prefsrc": None, "onlink": False},
        {"dst": "default", "gateway": "2001:db8::1", "metric": 1024, "prefsrc": None, "onlink": False},
    ]
    for result in (planned, moved, again):
        assert result["rc"] == 0, result
        assert result["bridge_addresses"] == addrs(host, "br0") == ["192.0.2.11/24", "192.0.2.12/24", "2001:db8::11/64"]
        assert result["bridge_routes"] == expected_routes
        assert result["port_mtu"] == link(host, "eth0")["mtu"] == 1500
    left = run_module(MODULE, dict(args, state="absent"))
    assert left["rc"] == 0 and "bridge_addresses" not in left and "bridge_routes" not in left
