"""The fabric through its life, on one 4-host lab: check mode, VTEP source filtering, fleet changes, drift.

The tests run in file order and each leaves the lab converged for the next: building a lab and
converging it costs ~25 s, so the scenario shares one. h4 is a lab host that is never in the fabric:
the outsider that tries to inject VXLAN frames.

Every claim is checked with tools independent of the modules: ``ip -j``/``bridge -j`` dumps, ``nft
-j``, and ``playbooks/verify.yml`` (ping between container namespaces).
"""
import json
import re
import signal
import subprocess
import sys
import time

import pytest

from conftest import (FABRIC_VARS, PREFIX, built_lab, dump_state, fdb, lab_inventory, lab_namespaces, link,
                      run_playbook, settle, sh)

HOST_ADDRESS = {"h1": "192.0.2.11", "h2": "192.0.2.12", "h3": "192.0.2.13", "h4": "192.0.2.14"}
# h4 (the outsider) owns 192.0.2.14 but is not in the fabric: keep the underlay plan off its address.
FABRIC_VARS = dict(FABRIC_VARS, underlay_reserved=["192.0.2.14"])
INJECTED_MAC = "02:00:5e:00:53:99"


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """A 4-host lab; yields (prefix, inventory path for a given host list). Removed at teardown."""
    base = tmp_path_factory.mktemp("lifecycle")
    with built_lab(4, PREFIX + "lc", base / "lab.yml") as prefix:
        def inventory(*hosts):
            return lab_inventory(base / "lab.yml", hosts, base / ("fabric-%s.yml" % "-".join(hosts)))
        yield prefix, inventory


def converge(inventory, *args):
    proc, recap = run_playbook(inventory, "overlay.yml", *args, extra_vars=FABRIC_VARS)
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-3000:]
    return proc, recap


def verify_traffic(inventory):
    proc, _recap = run_playbook(inventory, "verify.yml", extra_vars=FABRIC_VARS)
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-3000:]
    return proc.stdout


def flood_list(ns, dev):
    return sorted(e["dst"] for e in fdb(ns, dev) if e["mac"] == "00:00:00:00:00:00" and "dst" in e)


def nft_peers(ns):
    """The filter's peer set as nft itself lists it."""
    data = json.loads(sh("nft", "-j", "list", "set", "inet", "netfabric_vtep", "peers4", ns=ns))
    return sorted(next(item["set"] for item in data["nftables"] if "set" in item).get("elem", []))


def inject(from_ns, src, dst, vni, mac=INJECTED_MAC):
    """Send one crafted VXLAN frame (scapy) from ``from_ns``: a broadcast ARP from ``mac`` inside VNI ``vni``."""
    code = ("from scapy.all import ARP, Ether, IP, UDP, send\n"
            "from scapy.layers.vxlan import VXLAN\n"
            "frame = Ether(src=%r, dst='ff:ff:ff:ff:ff:ff') / ARP(hwsrc=%r, psrc='198.51.100.250', pdst='198.51.100.251')\n"
            "send(IP(src=%r, dst=%r) / UDP(sport=40000, dport=4789) / VXLAN(flags=0x08, vni=%d) / frame,"
            " count=3, inter=0.05, verbose=0)\n" % (mac, mac, src, dst, vni))
    sh(sys.executable, "-c", code, ns=from_ns)


def learned_on_bridge(ns, bridge, mac=INJECTED_MAC):
    """Did the frame reach the tenant bridge? Its bridge learns the source MAC on the VTEP port."""
    out = sh("bridge", "-j", "fdb", "show", "br", bridge, ns=ns)
    return any(e["mac"] == mac for e in (json.loads(out) if out.strip() else []))


def forget(ns, bridge, mac=INJECTED_MAC):
    """Drop what the frame taught: the tenant bridge's entry and the (learning) VTEP's own."""
    for where in ("master", "self"):
        sh("bridge", "fdb", "del", mac, "dev", "vx" + bridge[3:], where, ns=ns, check=False)


def dropped(ns):
    data = json.loads(sh("nft", "-j", "list", "chain", "inet", "netfabric_vtep", "input", ns=ns))
    return sum(e["counter"]["packets"] for item in data["nftables"] if "rule" in item
               for e in item["rule"]["expr"] if "counter" in e)


def changed_items(stdout):
    """(task name, host, item) of everything a playbook run (with ``-v``) changed, sorted: the label of each
    loop item, and for a netfabric.core.network_state task each item it changed (its per-item results)."""
    task, items = None, []
    for line in stdout.splitlines():
        found = re.match(r"TASK \[(?:[\w.]+ : )?(.*)\] \**$", line)
        if found:
            task = found.group(1)
        found = re.match(r"changed: \[(\S+)\] => \(item=(\S+)", line)
        if found:
            items.append((task, found.group(1), found.group(2)))
        found = re.match(r"changed: \[(\S+)\] => (\{.*\})$", line)
        if found:
            result = json.loads(found.group(2))
            items += [(task, found.group(1), r["item"]) for r in result.get("results", []) if r.get("changed")]
    return sorted(items)


def check_run_changes_nothing(lab):
    """``overlay.yml --check --diff`` on h1, h2; asserts every lab namespace is byte-identical after."""
    prefix, inventory = lab
    namespaces = lab_namespaces(prefix)
    settle(*namespaces)
    before = dump_state(*namespaces)
    proc, recap = run_playbook(inventory("h1", "h2"), "overlay.yml", "--check", "--diff", extra_vars=FABRIC_VARS)
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-3000:]
    assert lab_namespaces(prefix) == namespaces, "check mode created or removed a namespace"
    assert dump_state(*namespaces) == before
    return proc, recap


def test_check_mode_on_fresh_lab_reports_changes_and_changes_nothing(lab):
    proc, recap = check_run_changes_nothing(lab)
    assert set(recap) == {"h1", "h2"} and all(r["changed"] > 0 for r in recap.values()), recap
    assert "+++ after" in proc.stdout  # --diff shows what would change


def test_uplink_migration_loses_at_most_two_probes(lab):
    """While the underlay role moves each host's address and default route onto br0, h4 pings both
    hosts every 10 ms; the window spans the whole playbook run (bounded: 9,000 probes, 100 s)."""
    prefix, inventory = lab
    pingers = dict((host, subprocess.Popen(
        ["ip", "netns", "exec", "%s-h4" % prefix, "ping", "-n", "-q", "-i", "0.01", "-c", "9000", "-w", "100",
         "-W", "1", HOST_ADDRESS[host]], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True))
        for host in ("h1", "h2"))
    try:
        time.sleep(0.5)
        proc, _recap = run_playbook(inventory("h1", "h2"), "overlay.yml", extra_vars=FABRIC_VARS)
        still_running = all(p.poll() is None for p in pingers.values())
        for pinger in pingers.values():
            pinger.send_signal(signal.SIGINT)  # ping prints its statistics and exits
        outputs = dict((host, p.communicate(timeout=30)[0]) for host, p in pingers.items())
    finally:
        for pinger in pingers.values():
            if pinger.poll() is None:
                pinger.kill()
    assert proc.returncode == 0, proc.stdout[-6000:]
    assert still_running, "the playbook outlasted the ping window: the measurement does not cover it"
    for host in ("h1", "h2"):
        assert link("%s-%s" % (prefix, host), "eth0")["master"] == "br0"
        sent, received = map(int, re.search(r"(\d+) packets transmitted, (\d+) received", outputs[host]).groups())
        print("\n[underlay role] %s: %d of %d probes lost while its uplink moved onto br0" % (host, sent - received, sent))
        # The window spans the whole run (still_running); the run takes a few seconds since the roles apply a
        # host's state in one network_state task per step, so a few hundred probes cover it.
        assert sent > 200 and sent - received <= 2, outputs[host]


def test_converged_lab_check_mode_reports_no_change(lab):
    proc, recap = check_run_changes_nothing(lab)
    assert {h: r["changed"] for h, r in recap.items()} == {"h1": 0, "h2": 0}, proc.stdout[-6000:]


def test_vtep_filter_drops_outsiders_and_admits_peers(lab):
    prefix, _inventory = lab
    h1, h2, h4 = ("%s-%s" % (prefix, h) for h in ("h1", "h2", "h4"))
    assert nft_peers(h1) == ["192.0.2.12"]
    drops = dropped(h1)
    inject(h4, HOST_ADDRESS["h4"], HOST_ADDRESS["h1"], 100)
    assert not learned_on_bridge(h1, "brv100"), "a frame from a non-peer reached the tenant bridge"
    assert dropped(h1) >= drops + 3, "the outsider's packets were not counted by the drop rule"
    # The same frame from a fabric peer is delivered: the filter is what stopped the outsider.
    inject(h2, HOST_ADDRESS["h2"], HOST_ADDRESS["h1"], 100)
    assert learned_on_bridge(h1, "brv100"), "a frame from a peer VTEP did not reach the tenant bridge"
    forget(h1, "brv100")


def test_host_added_to_inventory_joins_every_flood_list_and_filter(lab):
    prefix, inventory = lab
    converge(inventory("h1", "h2", "h3"))
    for host in ("h1", "h2", "h3"):
        ns = "%s-%s" % (prefix, host)
        others = sorted(a for h, a in HOST_ADDRESS.items() if h not in (host, "h4"))
        for dev in ("vx100", "vx200"):
            assert flood_list(ns, dev) == others, (host, dev)
        assert nft_peers(ns) == others, host
    out = verify_traffic(inventory("h1", "h2", "h3"))
    assert "30 pairs checked" in out, out[-3000:]
    _proc, recap = converge(inventory("h1", "h2", "h3"))
    assert {h: r["changed"] for h, r in recap.items()} == {"h1": 0, "h2": 0, "h3": 0}, recap


def test_host_removed_from_inventory_is_purged_by_every_peer(lab):
    prefix, inventory = lab
    h1, h3 = "%s-h1" % prefix, "%s-h3" % prefix
    _proc, recap = converge(inventory("h1", "h2"))
    assert recap["h1"]["changed"] > 0 and recap["h2"]["changed"] > 0, recap
    for host, peer in (("h1", "192.0.2.12"), ("h2", "192.0.2.11")):
        ns = "%s-%s" % (prefix, host)
        for dev in ("vx100", "vx200"):
            assert flood_list(ns, dev) == [peer], (host, dev, "stale flood entry left behind")
        assert nft_peers(ns) == [peer], host
    # h3 left the fabric: its VXLAN is now refused by the filter too.
    inject(h3, HOST_ADDRESS["h3"], HOST_ADDRESS["h1"], 100)
    assert not learned_on_bridge(h1, "brv100")
    verify_traffic(inventory("h1", "h2"))
    _proc, recap = converge(inventory("h1", "h2"))
    assert {h: r["changed"] for h, r in recap.items()} == {"h1": 0, "h2": 0}, recap


def test_drift_is_repaired_exactly(lab):
    prefix, inventory = lab
    h1, h2 = "%s-h1" % prefix, "%s-h2" % prefix
    sh("bridge", "fdb", "del", "00:00:00:00:00:00", "dev", "vx100", "dst", "192.0.2.11", "self", ns=h2)
    sh("ip", "link", "del", "oc1", ns=h2)           # c1's overlay veth (both ends go)
    sh("ip", "link", "del", "vx200", ns=h2)         # the red VTEP, with its flood list
    assert flood_list(h2, "vx100") == [] and link(h2, "vx200") is None and link(h2, "oc1") is None
    settle(h1)
    untouched = dump_state(h1)
    proc, recap = converge(inventory("h1", "h2"), "-v")
    # Exactly the drift is repaired: blue flood list, red VTEP, red flood list, c1's veth; h1 untouched.
    tenants = ("Create the tenants - bridges, VTEPs and their port flags; flood lists, VTEP filter and container veths "
               "unless FRR starts in between")
    assert changed_items(proc.stdout) == sorted([
        (tenants, "h2", "vxlan_vtep vx200"),
        (tenants, "h2", "fdb_entry vx100"),
        (tenants, "h2", "fdb_entry vx200"),
        (tenants, "h2", "veth_pair oc1"),
    ]), proc.stdout[-8000:]
    assert recap["h1"]["changed"] == 0
    assert dump_state(h1) == untouched
    assert flood_list(h2, "vx100") == ["192.0.2.11"] and flood_list(h2, "vx200") == ["192.0.2.11"]
    assert link(h2, "vx200")["linkinfo"]["info_data"]["port"] == 4789
    assert link(h2, "oc1")["master"] == "brv100"
    verify_traffic(inventory("h1", "h2"))
