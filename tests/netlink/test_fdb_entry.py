"""``netfabric.core.fdb_entry`` against a real kernel, inside throwaway namespaces.

The VTEPs are built with ``ip`` (not with the module under test): ``vx100`` (VNI 100, port 4789) is a port
of bridge ``br100`` so the bridge's own entries for it exist, and ``vx200`` is a second VTEP whose entries
must never be touched. Every claim is checked with ``bridge -j fdb show dev``.
"""
import os
import subprocess
import time

import pytest

from conftest import PREFIX, assert_ok, dump_state, fdb, link, run_module, sh, veth

ZERO = "00:00:00:00:00:00"
PEERS = ["192.0.2.12", "192.0.2.13", "192.0.2.14"]
FLOOD = [{"mac": ZERO, "dst": peer} for peer in PEERS]


@pytest.fixture
def host(make_netns):
    ns = make_netns("fdb")
    sh("sysctl", "-qw", "net.ipv6.conf.all.accept_dad=0", "net.ipv6.conf.default.accept_dad=0", ns=ns)
    veth(ns, "eth0", "peer0")
    sh("ip", "addr", "add", "192.0.2.11/24", "dev", "eth0", ns=ns)
    sh("ip", "link", "add", "br100", "type", "bridge", "forward_delay", "0", ns=ns)  # no port timers ticking
    for name, vni in (("vx100", 100), ("vx200", 200)):
        sh("ip", "link", "add", name, "type", "vxlan", "id", str(vni), "local", "192.0.2.11", "dev", "eth0",
           "dstport", "4789", "nolearning", ns=ns)
    sh("ip", "link", "set", "vx100", "master", "br100", ns=ns)
    for name in ("br100", "vx100", "vx200"):
        sh("ip", "link", "set", name, "up", ns=ns)
    wait_for_carrier(ns, "br100")
    return ns


def wait_for_carrier(ns, name, seconds=10):
    """The bridge gains carrier a moment after its port comes up: a state dump taken in between would
    differ from a later one by NO-CARRIER alone. Bounded; a bridge that never gets carrier is left as is."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and "NO-CARRIER" in (link(ns, name) or {}).get("flags", []):
        time.sleep(0.1)


def run(ns, check_mode=False, dev="vx100", **options):
    return run_module("fdb_entry", dict(options, dev=dev, netns=ns), check_mode=check_mode)


def remote(ns, dev="vx100"):
    """The static remote entries on DEV as (mac, dst, vni, port) tuples, from ``bridge -j fdb show``."""
    return sorted((e["mac"], e["dst"], e.get("vni"), e.get("port")) for e in fdb(ns, dev)
                  if "dst" in e and "self" in e.get("flags", []) and e.get("state") == "permanent")


def bridge_owned(ns, dev="vx100"):
    """The bridge's own entries for DEV (``master br100``): never the module's business."""
    return sorted((e["mac"], e.get("state")) for e in fdb(ns, dev) if e.get("master"))


def append(ns, mac, dst, dev="vx100"):
    sh("bridge", "fdb", "append", mac, "dev", dev, "dst", dst, "self", "permanent", ns=ns)


def test_flood_list_created_and_rerun_unchanged(host):
    state = dump_state(host)
    check = run(host, check_mode=True, entries=FLOOD)
    assert_ok(check, True)
    assert check["added"] == FLOOD and check["removed"] == []
    assert dump_state(host) == state, "check mode changed the namespace"

    result = run(host, entries=FLOOD)
    assert_ok(result, True)
    assert remote(host) == [(ZERO, peer, None, None) for peer in PEERS]
    assert result["diff"]["before"] == {"dev": "vx100", "entries": []}
    assert result["diff"]["after"] == {"dev": "vx100", "entries": FLOOD}
    assert result["entry_count"] == 3

    again = run(host, entries=list(reversed(FLOOD)))
    assert_ok(again, False)
    assert again["added"] == [] and again["removed"] == [] and again["actions"] == []
    state = dump_state(host)
    assert_ok(run(host, check_mode=True, entries=FLOOD), False)
    assert dump_state(host) == state


def test_exclusive_purges_unlisted_but_never_bridge_or_other_devices(host):
    for peer in ("192.0.2.12", "192.0.2.13", "192.0.2.99"):
        append(host, ZERO, peer)
    append(host, "02:00:00:00:00:01", "192.0.2.12")               # unicast entry not listed
    sh("bridge", "fdb", "add", "02:00:00:00:00:77", "dev", "vx100", "dst", "192.0.2.77", "self", "dynamic",
       ns=host)                                                    # not static: like a learned entry
    sh("bridge", "fdb", "add", "02:00:00:00:00:99", "dev", "vx100", "master", "static", ns=host)
    append(host, ZERO, "192.0.2.99", dev="vx200")                 # another device's entries
    append(host, "02:00:00:00:00:01", "192.0.2.12", dev="vx200")
    owned, br_own, other = bridge_owned(host), fdb(host, "br100"), fdb(host, "vx200")
    assert len(owned) == 2, "expected the bridge's permanent entry for vx100 and the static one: %s" % owned

    result = run(host, entries=FLOOD, exclusive=True)
    assert_ok(result, True)
    # The task lists the flood list only: the unicast entry is outside its scope and stays.
    unicast = ("02:00:00:00:00:01", "192.0.2.12", None, None)
    assert remote(host) == sorted([(ZERO, peer, None, None) for peer in PEERS] + [unicast])
    assert [e for e in fdb(host, "vx100") if e["mac"] == "02:00:00:00:00:77"], "a dynamic entry was removed"
    assert result["added"] == [{"mac": ZERO, "dst": "192.0.2.14"}]
    assert result["removed"] == [{"mac": ZERO, "dst": "192.0.2.99"}]
    assert_ok(run(host, entries=FLOOD, exclusive=True), False)

    result = run(host, entries=FLOOD, exclusive=True, exclusive_scope="all")
    assert_ok(result, True)
    assert result["removed"] == [{"mac": "02:00:00:00:00:01", "dst": "192.0.2.12"}]
    assert remote(host) == [(ZERO, peer, None, None) for peer in PEERS]
    assert [e for e in fdb(host, "vx100") if e["mac"] == "02:00:00:00:00:77"], "a dynamic entry was removed"
    assert bridge_owned(host) == owned, "the bridge's own (master) entries were touched"
    assert fdb(host, "br100") == br_own
    assert fdb(host, "vx200") == other, "entries on another device were touched"
    assert_ok(run(host, entries=FLOOD, exclusive=True, exclusive_scope="all"), False)


def test_non_exclusive_keeps_unlisted_flood_destinations(host):
    append(host, ZERO, "192.0.2.99")
    result = run(host, entries=FLOOD)
    assert_ok(result, True)
    assert result["removed"] == []
    assert remote(host) == [(ZERO, peer, None, None) for peer in PEERS + ["192.0.2.99"]]
    assert_ok(run(host, entries=FLOOD), False)


def test_unicast_mac_moving_replaces_its_old_destination(host):
    mac = "02:42:c6:33:64:0a"
    assert_ok(run(host, mac=mac, dst="192.0.2.12"), True)
    append(host, ZERO, "192.0.2.12")  # an unrelated flood entry to the same peer stays
    moved = run(host, mac=mac.upper(), dst="192.0.2.13")
    assert_ok(moved, True)
    assert moved["removed"] == [{"mac": mac, "dst": "192.0.2.12"}]
    assert remote(host) == [(ZERO, "192.0.2.12", None, None), (mac, "192.0.2.13", None, None)]
    assert_ok(run(host, mac=mac.upper(), dst="192.0.2.13"), False)


def test_vni_and_port_per_entry(host):
    entries = [
        {"mac": "02:00:00:00:00:01", "dst": "192.0.2.12", "vni": 300, "port": 5555},
        {"mac": "02:00:00:00:00:02", "dst": "192.0.2.13", "vni": 100},   # = the device's vni
        {"mac": "02:00:00:00:00:03", "dst": "192.0.2.14", "port": 4789},  # = the device's port
    ]
    result = run(host, entries=entries)
    assert_ok(result, True)
    assert remote(host) == [("02:00:00:00:00:01", "192.0.2.12", 300, 5555),
                            ("02:00:00:00:00:02", "192.0.2.13", None, None),
                            ("02:00:00:00:00:03", "192.0.2.14", None, None)]
    assert_ok(run(host, entries=entries), False)
    # numbers templated into strings ("300") are the same entries, as with AnsibleModule's type=int
    as_text = [dict((k, str(v) if k in ("vni", "port") else v) for k, v in e.items()) for e in entries]
    assert_ok(run(host, entries=as_text), False)
    # another vni for the same mac/dst is another entry: the old one goes, the new one shows
    entries[0] = dict(entries[0], vni=301)
    assert_ok(run(host, entries=entries), True)
    assert ("02:00:00:00:00:01", "192.0.2.12", 301, 5555) in remote(host)
    assert ("02:00:00:00:00:01", "192.0.2.12", 300, 5555) not in remote(host)


def test_absent_removes_only_the_listed(host):
    unicast = {"mac": "02:00:00:00:00:01", "dst": "192.0.2.12"}
    assert_ok(run(host, entries=FLOOD + [unicast]), True)
    append(host, ZERO, "192.0.2.99", dev="vx200")
    other = fdb(host, "vx200")
    result = run(host, state="absent", entries=[FLOOD[0], unicast])
    assert_ok(result, True)
    assert result["removed"] == [FLOOD[0], unicast]
    assert remote(host) == [(ZERO, peer, None, None) for peer in PEERS[1:]]
    assert fdb(host, "vx200") == other
    assert_ok(run(host, state="absent", entries=[FLOOD[0], unicast]), False)


def test_failing_request_rolls_the_whole_batch_back(host):
    """An IPv6 destination on an IPv4 VTEP is refused by the kernel (EAFNOSUPPORT) in the middle of a batch:
    the removals and additions already done must be undone."""
    append(host, ZERO, "192.0.2.99")
    before = dump_state(host)
    result = run(host, exclusive=True, entries=FLOOD + [{"mac": ZERO, "dst": "2001:db8::12"}])
    assert result["rc"] != 0 and result.get("failed") is True, result
    assert "2001:db8::12" in result["msg"], result["msg"]
    assert dump_state(host) == before
    assert remote(host) == [(ZERO, "192.0.2.99", None, None)]


def test_two_thousand_entries_converge_in_one_run(host):
    entries = [{"mac": "02:00:00:00:%02x:%02x" % divmod(i, 256), "dst": "192.0.2.%d" % (12 + i % 50)}
               for i in range(1997)] + FLOOD
    assert len(entries) == 2000

    state = dump_state(host)
    check = run(host, check_mode=True, entries=entries)
    assert_ok(check, True)
    assert len(check["added"]) == 2000
    assert dump_state(host) == state, "check mode changed the namespace"

    result = run(host, entries=entries)
    assert_ok(result, True)
    assert len(result["added"]) == 2000 and result["entry_count"] == 2000
    assert len(remote(host)) == 2000
    assert remote(host) == sorted((e["mac"], e["dst"], None, None) for e in entries)

    again = run(host, entries=entries)
    assert_ok(again, False)
    assert again["entry_count"] == 2000
    assert len(remote(host)) == 2000


BAD_INPUT = [
    ("dev", dict(dev="br100", entries=FLOOD), "br100"),         # a bridge, not a vxlan
    ("dev", dict(dev="eth0", entries=FLOOD), "eth0"),           # a veth, not a vxlan
    ("dev", dict(dev="vx999", entries=FLOOD), "vx999"),
    ("dev", dict(dev="vx;0", entries=FLOOD), "vx;0"),
    ("mac", dict(mac="02:00:00:00:00", dst="192.0.2.12"), "02:00:00:00:00"),
    ("mac", dict(entries=[{"mac": "zz:zz:zz:zz:zz:zz", "dst": "192.0.2.12"}]), "zz:zz:zz:zz:zz:zz"),
    ("mac", dict(entries=[{"mac": "01:00:5e:00:00:01", "dst": "192.0.2.12"}]), "01:00:5e:00:00:01"),
    ("dst", dict(mac=ZERO, dst="192.0.2.300"), "192.0.2.300"),
    ("dst", dict(entries=FLOOD + [{"mac": ZERO, "dst": "192.0.2.12/24"}]), "192.0.2.12/24"),
    ("vni", dict(entries=[dict(FLOOD[0], vni=0)]), 0),
    ("vni", dict(entries=[dict(FLOOD[0], vni=16777216)]), 16777216),
    ("port", dict(entries=[dict(FLOOD[0], port=70000)]), 70000),
    ("port", dict(entries=[dict(FLOOD[0], port="47x")]), "47x"),
    ("entries[1].dst", dict(entries=[FLOOD[0], {"mac": ZERO}]), "required"),
    ("entries[0].vnid", dict(entries=[dict(FLOOD[0], vnid=5)]), "not an entry field"),
]


@pytest.mark.parametrize("option,args,value", BAD_INPUT, ids=["%s=%r" % (c[0], c[2]) for c in BAD_INPUT])
def test_bad_input_fails_before_any_change(host, option, args, value):
    append(host, ZERO, "192.0.2.99")
    args = dict(args)
    args.setdefault("dev", "vx100")
    before = dump_state(host)
    result = run_module("fdb_entry", dict(args, netns=host, exclusive=True))
    assert result["rc"] != 0 and result.get("failed") is True, result
    assert option in result["msg"], "message does not name %r: %s" % (option, result["msg"])
    assert str(value) in result["msg"], "message does not show %r: %s" % (value, result["msg"])
    assert dump_state(host) == before


def test_entries_and_mac_together_fail(host):
    before = dump_state(host)
    result = run(host, entries=FLOOD, mac="02:00:00:00:00:01", dst="192.0.2.12")
    assert result["rc"] != 0 and result.get("failed") is True, result
    assert "entries" in result["msg"] and "mac" in result["msg"], result["msg"]
    assert dump_state(host) == before


def test_missing_netns_fails_and_creates_no_namespace():
    missing = "%s-does-not-exist" % PREFIX
    result = run_module("fdb_entry", {"dev": "vx100", "entries": FLOOD, "netns": missing})
    assert result["rc"] != 0 and result.get("failed") is True, result
    assert "netns" in result["msg"] and missing in result["msg"], result["msg"]
    listed = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, check=True).stdout.split()
    assert missing not in listed and not os.path.exists("/run/netns/" + missing)
    assert not [name for name in listed if name.startswith(PREFIX)], listed
