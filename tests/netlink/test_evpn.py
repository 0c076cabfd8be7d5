"""BGP EVPN control plane (overlay_control_plane: evpn) through the real FRR, on one 4-host netns lab.

h1, h2, h3 form the fabric first (h1 is the route reflector); h4 joins later with a play limited to it
alone. Every lab host runs its own zebra + bgpd in pathspace ``<namespace>``, started by the role. The tests
run in file order and each leaves the lab converged for the next. Judged by ``bridge -j fdb``, ``bridge -j
link``, ``vtysh ... json``, tcpdump on the hosts that should NOT see a packet, ping, and playbooks/verify.yml.
At teardown (also after a failure) every FRR daemon of the lab is stopped by its pid file.
"""
import json
import os
import subprocess

import pytest

from cni_helpers import cni, fabric_vars, load, host_dir
from conftest import FABRIC_VARS, PREFIX, built_lab, dump_state, lab_inventory, lab_namespaces, run_playbook, settle
from evpn_helpers import (Capture, address, daemon_pids, flood_list, kill_frr, ping_count, remote_macs, stop_frr,
                          vtysh, wait_for)
from test_fabric_info import adhoc_info

HOST_ADDRESS = {"h1": "192.0.2.11", "h2": "192.0.2.12", "h3": "192.0.2.13", "h4": "192.0.2.14"}
FABRIC = ("h1", "h2", "h3")
VTEPS = ("vx100", "vx200")
EVPN_VARS = {"overlay_control_plane": "evpn", "overlay_evpn_route_reflectors": ["h1"],
             "overlay_evpn_pathspace": "{{ ansible_host }}", "underlay_reserved": ["192.0.2.14"]}
UNICAST_PINGS = 30
HANDFUL = 6   # ARP broadcasts (head-end replicated) before the MACs are known; unicast must add nothing


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """{prefix, inventory(*hosts), vars, ns(host)}; FRR daemons stopped and the lab removed at teardown."""
    base = tmp_path_factory.mktemp("evpn")
    prefix = PREFIX + "ev"
    try:
        with built_lab(4, prefix, base / "lab.yml"):
            def inventory(*hosts):
                return lab_inventory(base / "lab.yml", hosts, base / ("fabric-%s.yml" % "-".join(hosts)))
            extra = dict(FABRIC_VARS, **fabric_vars(base))
            extra.update(EVPN_VARS)
            yield {"prefix": prefix, "inventory": inventory, "vars": extra, "root": base,
                   "ns": lambda host: "%s-%s" % (prefix, host)}
    finally:
        stop_frr(prefix)


def play(lab, hosts, *args, **overrides):
    proc, recap = run_playbook(lab["inventory"](*hosts), "overlay.yml", *args, extra_vars=dict(lab["vars"], **overrides))
    assert proc.returncode == 0, proc.stdout[-8000:] + proc.stderr[-3000:]
    return proc, recap


def verify(lab, hosts, **overrides):
    proc, _recap = run_playbook(lab["inventory"](*hosts), "verify.yml", extra_vars=dict(lab["vars"], **overrides))
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-3000:]
    return proc.stdout


def port_flags(ns, dev):
    out = subprocess.run(["bridge", "-n", ns, "-j", "-d", "link", "show", "dev", dev], capture_output=True, text=True,
                         timeout=30, check=True).stdout
    entry = json.loads(out)[0]
    return entry.get("learning"), entry.get("neigh_suppress")


def nft_sources(ns):
    """The subnets in the VTEP filter's IPv4 set, as ``nft -j`` lists them (CIDR text)."""
    out = subprocess.run(["ip", "netns", "exec", ns, "nft", "-j", "list", "set", "inet", "netfabric_vtep", "peers4"],
                         capture_output=True, text=True, timeout=30, check=True).stdout
    elements = next(o["set"] for o in json.loads(out)["nftables"] if "set" in o).get("elem", [])
    return ["%s/%d" % (e["prefix"]["addr"], e["prefix"]["len"]) for e in elements if isinstance(e, dict)]


def others(host, hosts):
    return sorted(HOST_ADDRESS[h] for h in hosts if h != host)


def flood_lists_are(lab, hosts):
    return all(flood_list(lab["ns"](h), dev) == others(h, hosts) for h in hosts for dev in VTEPS)


def test_check_mode_on_fresh_lab_shows_frr_config_and_changes_nothing(lab):
    namespaces = lab_namespaces(lab["prefix"])
    settle(*namespaces)
    before = dump_state(*namespaces)
    proc, recap = run_playbook(lab["inventory"](*FABRIC), "overlay.yml", "--check", "--diff", extra_vars=lab["vars"])
    assert proc.returncode == 0, proc.stdout[-8000:]
    assert all(r["changed"] > 0 for r in recap.values()) and sorted(recap) == list(FABRIC), recap
    # --diff shows the rendered FRR configuration: the reflector's listen range, the clients' neighbor.
    assert "+ bgp listen range 192.0.2.0/24 peer-group fabric" in proc.stdout
    assert "+ neighbor 192.0.2.11 remote-as internal" in proc.stdout
    assert "+  advertise-all-vni" in proc.stdout
    assert dump_state(*namespaces) == before and lab_namespaces(lab["prefix"]) == namespaces
    assert not [h for h in FABRIC if os.path.exists("/etc/frr/" + lab["ns"](h))], "check mode wrote FRR's config"
    assert not [h for h in FABRIC if daemon_pids(lab["ns"](h))], "check mode started FRR"


def test_three_hosts_peer_through_the_reflector_and_fill_the_flood_lists(lab):
    play(lab, FABRIC)
    summary = vtysh(lab["ns"]("h1"), "show bgp l2vpn evpn summary")
    peers = summary.get("peers", {})
    assert sorted(peers) == ["192.0.2.12", "192.0.2.13"], summary
    assert all(p["state"] == "Established" and p.get("dynamicPeer") for p in peers.values()), peers
    for host in ("h2", "h3"):
        peers = vtysh(lab["ns"](host), "show bgp l2vpn evpn summary").get("peers", {})
        assert list(peers) == ["192.0.2.11"] and peers["192.0.2.11"]["state"] == "Established", (host, peers)
    found, elapsed = wait_for(lambda: flood_lists_are(lab, FABRIC), 30)
    assert found, dict((h, [flood_list(lab["ns"](h), d) for d in VTEPS]) for h in FABRIC)
    print("\n[evpn] flood lists complete %.1f s after the play" % elapsed)
    for host in FABRIC:
        for dev in VTEPS:
            assert port_flags(lab["ns"](host), dev) == (False, True), (host, dev)  # learning off, neigh_suppress on
        # Type-2 routes: the other hosts' container MACs are installed towards their VTEPs as extern_learn.
        macs = remote_macs(lab["ns"](host), "vx100")
        assert sorted(set(entry[0] for entry in macs.values())) == others(host, FABRIC), macs
        assert all("extern_learn" in entry[1] for entry in macs.values()), macs
    out = verify(lab, FABRIC)
    assert "30 pairs checked" in out, out[-3000:]


def test_rerun_and_check_mode_change_nothing_and_keep_the_daemons(lab):
    pids = dict((h, daemon_pids(lab["ns"](h))) for h in FABRIC)
    assert all(sorted(p) == ["bgpd", "zebra"] for p in pids.values()), pids
    _proc, recap = play(lab, FABRIC)
    assert dict((h, r["changed"]) for h, r in recap.items()) == {"h1": 0, "h2": 0, "h3": 0}, recap
    assert dict((h, daemon_pids(lab["ns"](h))) for h in FABRIC) == pids, "a re-run restarted or duplicated FRR"
    assert flood_lists_are(lab, FABRIC)
    _proc, recap = play(lab, FABRIC, "--check")
    assert dict((h, r["changed"]) for h, r in recap.items()) == {"h1": 0, "h2": 0, "h3": 0}, recap


def test_fabric_info_reports_the_sessions_and_status_sees_no_drift(lab, tmp_path):
    inventory = lab["inventory"](*FABRIC)
    results = adhoc_info(inventory, "-a", "frr_pathspace={{ ansible_host }}")
    for host in FABRIC:
        fabric = results[host]["fabric"]
        own = vtysh(lab["ns"](host), "show bgp l2vpn evpn summary").get("peers", {})
        sessions = [(s["peer"], s["state"], s["prefixes_received"]) for s in fabric["bgp"]["sessions"]]
        assert fabric["bgp"]["state"] == "running" and sessions, (host, fabric["bgp"])
        assert sessions == sorted((peer, v["state"], v.get("pfxRcd")) for peer, v in own.items()), (host, own)
        assert all(state == "Established" for _peer, state, _pfx in sessions), (host, sessions)
        # zebra's flood entries are there, looking like static ones: status.yml must not call them drift.
        assert [v["flood"] for v in fabric["vteps"]] == [others(host, FABRIC)] * len(VTEPS), host
        assert fabric["vtep_filter"]["sources"] == nft_sources(lab["ns"](host)) != [], (host, fabric["vtep_filter"])
    absent = adhoc_info(inventory, "-l", "h1", "-a", "frr_pathspace=%snone" % lab["prefix"])["h1"]["fabric"]["bgp"]
    assert absent["state"] == "not_running" and "failed to connect" in absent["reason"], absent
    report_file = tmp_path / "status.json"
    proc, _recap = run_playbook(inventory, "status.yml", "-e", "status_report_file=%s" % report_file,
                                extra_vars=lab["vars"])
    assert proc.returncode == 0, proc.stdout[-6000:]
    drift = dict((h, r["drift"]) for h, r in json.loads(report_file.read_text())["hosts"].items())
    assert drift == dict((h, {"missing": [], "extra": [], "different": []}) for h in FABRIC), drift


def test_unicast_between_two_hosts_does_not_reach_a_third(lab):
    ns = lab["ns"]
    source, target = address(ns("h1") + "-c1"), address(ns("h2") + "-c1")
    bystander, receiver = Capture(ns("h3")), Capture(ns("h2"))
    replies = ping_count(ns("h1") + "-c1", target, UNICAST_PINGS)
    on_bystander, on_receiver = bystander.stop((source, target)), receiver.stop((source, target))
    print("\n[evpn] %d unicast pings h1->h2: %d VXLAN packets on h3's uplink, %d on h2's"
          % (UNICAST_PINGS, on_bystander, on_receiver))
    assert replies == UNICAST_PINGS
    assert on_receiver >= 2 * UNICAST_PINGS, "the capture saw too little: it cannot judge the bystander"
    assert on_bystander <= HANDFUL, "\n".join(bystander.packets)


def test_fourth_host_joins_with_a_play_on_itself_alone(lab):
    ns = lab["ns"]
    all_hosts = FABRIC + ("h4",)
    _proc, recap = play(lab, all_hosts, "--limit", "h4")
    assert sorted(recap) == ["h4"], "a task ran on another host: %s" % recap
    found, elapsed = wait_for(lambda: flood_lists_are(lab, all_hosts), 30)
    assert found, dict((h, [flood_list(ns(h), d) for d in VTEPS]) for h in all_hosts)
    print("\n[evpn] h4 in every flood list %.1f s after its play" % elapsed)
    target = address(ns("h4") + "-c1")
    for host in FABRIC:
        assert ping_count(ns(host) + "-c1", target, 3) == 3, host
    out = verify(lab, all_hosts)
    assert "56 pairs checked" in out, out[-3000:]


def test_container_attached_later_through_cni_arrives_as_a_type2_route(lab):
    ns = lab["ns"]
    conflist = load(host_dir(lab["root"], "h2") / "net.d" / "90-netfabric-tenant-blue.conflist")
    container = ns("h2") + "-late"
    subprocess.run(["ip", "netns", "add", container], check=True)   # removed with the lab (prefix)
    code, result = cni("ADD", conflist, ns("h2"), container, "late")
    assert code == 0, result
    try:
        late_ip = result["ips"][0]["address"].split("/")[0]
        late_mac = next(i["mac"] for i in result["interfaces"] if i.get("sandbox"))
        # One local frame makes h2's bridge learn the MAC; zebra then advertises it (type 2) to the fabric.
        assert ping_count(container, address(ns("h2") + "-c1"), 1) == 1
        for host in ("h1", "h3", "h4"):
            arrived, _elapsed = wait_for(lambda: remote_macs(ns(host), "vx100").get(late_mac), 15)
            assert arrived and arrived[0] == HOST_ADDRESS["h2"] and "extern_learn" in arrived[1], (host, arrived)
        routes = vtysh(ns("h1"), "show bgp l2vpn evpn route type macip")
        assert late_mac in json.dumps(routes), "no type-2 route for the new container's MAC on h1"
        bystander = Capture(ns("h3"))
        replies = ping_count(ns("h1") + "-c1", late_ip, UNICAST_PINGS)
        on_bystander = bystander.stop((address(ns("h1") + "-c1"), late_ip))
        print("\n[evpn] CNI container: %d VXLAN packets on h3 for %d pings h1->h2" % (on_bystander, UNICAST_PINGS))
        assert replies == UNICAST_PINGS and on_bystander <= HANDFUL, "\n".join(bystander.packets)
    finally:
        cni("DEL", conflist, ns("h2"), container, "late", prev=result)


def test_stopping_a_hosts_frr_withdraws_it_everywhere(lab):
    ns = lab["ns"]
    kill_frr(ns("h4"))
    gone, elapsed = wait_for(lambda: flood_lists_are(lab, FABRIC), 15)
    assert gone, dict((h, [flood_list(ns(h), d) for d in VTEPS]) for h in FABRIC)
    for host in FABRIC:
        assert HOST_ADDRESS["h4"] not in [entry[0] for entry in remote_macs(ns(host), "vx100").values()], host
    print("\n[evpn] h4 withdrawn from every table %.1f s after its FRR stopped" % elapsed)


def test_switching_to_static_and_back_converges(lab):
    ns = lab["ns"]
    _proc, recap = play(lab, FABRIC, overlay_control_plane="static")
    assert all(r["changed"] > 0 for r in recap.values()), recap
    for host in FABRIC:
        assert not daemon_pids(ns(host)), "FRR still runs on %s in static mode" % host
        assert port_flags(ns(host), "vx100") == (True, False)   # the bridge's defaults: learning on, no suppression
        assert not [m for m, (_d, flags) in remote_macs(ns(host), "vx100").items() if "extern_learn" in flags], host
    assert flood_lists_are(lab, FABRIC)
    assert "30 pairs checked" in verify(lab, FABRIC, overlay_control_plane="static")
    play(lab, FABRIC)
    found, _elapsed = wait_for(lambda: flood_lists_are(lab, FABRIC) and all(remote_macs(ns(h), "vx100") for h in FABRIC),
                               30)
    assert found
    assert "30 pairs checked" in verify(lab, FABRIC)
    _proc, recap = play(lab, FABRIC)
    assert dict((h, r["changed"]) for h, r in recap.items()) == {"h1": 0, "h2": 0, "h3": 0}, recap


@pytest.mark.parametrize("overrides, message", [
    ({"overlay_evpn_route_reflectors": ["nosuch"]}, "overlay_evpn_route_reflectors: nosuch is not an inventory host"),
    ({"overlay_evpn_asn": 0}, "overlay_evpn_asn: must be an AS number 1-4294967295, got 0"),
    ({"overlay_evpn_pathspace": "../etc"}, "overlay_evpn_pathspace: must be 1-63 characters"),
    ({"overlay_tenants": [{"name": "blue", "vni": 100, "subnet": "198.51.100.0/24"},
                          {"name": "red", "vni": 100, "subnet": "203.0.113.0/24"}]}, "tenant red reuses VNI 100"),
])
def test_bad_evpn_input_fails_before_any_change(lab, overrides, message):
    namespaces = lab_namespaces(lab["prefix"])
    settle(*namespaces)  # run alone, this case meets a fresh lab whose addresses are still tentative (DAD)
    before = dump_state(*namespaces)
    pids = dict((h, daemon_pids(lab["ns"](h))) for h in FABRIC)
    proc, _recap = run_playbook(lab["inventory"](*FABRIC), "overlay.yml", extra_vars=dict(lab["vars"], **overrides))
    assert proc.returncode != 0 and message in proc.stdout, proc.stdout[-4000:]
    assert dump_state(*namespaces) == before
    assert dict((h, daemon_pids(lab["ns"](h))) for h in FABRIC) == pids
