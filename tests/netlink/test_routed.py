"""The routed overlay (playbooks/routed.yml) interoperating with a node built as flanneld's vxlan backend builds one.

One 4-host lab, shared by the tests in file order (each leaves it converged for the next):
  * h1, h2 are managed by the role;
  * h3 is built by hand with plain iproute2, exactly as flanneld's vxlan backend builds a node (VTEP
    flannel.1, VNI 1, port 8472, learning off, its own kernel-chosen MAC, its subnet's network address as
    a /32, cni0 with the gateway; per peer a route ``via GW onlink``, a permanent neighbour entry and a
    ``self permanent`` forwarding entry read from what the role built); it is listed in the inventory with
    routed_managed: false, routed_subnet and routed_vtep_mac;
  * h4 is a lab host outside the overlay until the fleet-change test adds (then removes) it.
Every claim is judged with ``ip -j``, ``bridge -j``, ping and tcpdump, never with the modules' own output.
"""
import json
import subprocess
import time
from pathlib import Path

import pytest
import yaml

from conftest import PREFIX, built_lab, dump_state, fdb, ip_json, lab_namespaces, link, run_playbook, settle, sh

UNDERLAY = {"h1": "192.0.2.11", "h2": "192.0.2.12", "h3": "192.0.2.13", "h4": "192.0.2.14"}
H3_SUBNET = "10.244.7"  # pinned by routed_subnet: not where the plan would put the third host
PROTOCOL = "157"
VARS = {"routed_netns_prefix": "{{ ansible_host }}-", "routed_containers": [{"name": "c1"}], "routed_persist": "none"}


def derived_mac(address):
    return "0a:58:" + ":".join("%02x" % int(part) for part in address.split("."))


def host_ns(prefix, host):
    return "%s-%s" % (prefix, host)


def vtep_facts(ns):
    """(MAC, VTEP address) of flannel.1 in ``ns``, read with ip -j."""
    mac = link(ns, "flannel.1")["address"]
    address = [a["local"] for entry in ip_json(ns, "addr", "show", "dev", "flannel.1")
               for a in entry["addr_info"] if a["family"] == "inet"][0]
    return mac, address


def build_flannel_node(ns, underlay, net):
    """What flanneld's vxlan backend sets up on a node, in plain iproute2 (no peers yet)."""
    for command in (["link", "add", "flannel.1", "type", "vxlan", "id", "1", "local", underlay, "dev", "eth0",
                     "dstport", "8472", "nolearning"],
                    ["link", "set", "flannel.1", "mtu", "1450"],
                    ["addr", "add", net + ".0/32", "dev", "flannel.1"],
                    ["link", "set", "flannel.1", "up"],
                    ["link", "add", "cni0", "type", "bridge"],
                    ["addr", "add", net + ".1/24", "dev", "cni0"],
                    ["link", "set", "cni0", "up"]):
        sh("ip", *command, ns=ns)
    sh("sysctl", "-qw", "net.ipv4.ip_forward=1", ns=ns)
    container = ns + "-c1"
    sh("ip", "netns", "add", container)
    sh("ip", "link", "add", "rc1", "type", "veth", "peer", "name", "eth0", "netns", container, ns=ns)
    sh("ip", "link", "set", "rc1", "master", "cni0", "up", ns=ns)
    for command in (["addr", "add", net + ".2/24", "dev", "eth0"], ["link", "set", "eth0", "up"],
                    ["link", "set", "lo", "up"], ["route", "add", "default", "via", net + ".1"]):
        sh("ip", *command, ns=container)
    # Let the kernel finish on its own (bridge carrier, IPv6 DAD) before anyone compares states.
    deadline = time.monotonic() + 10
    while link(ns, "cni0")["operstate"] != "UP":
        assert time.monotonic() < deadline, link(ns, "cni0")
        time.sleep(0.1)
    settle(ns, container)


def add_flannel_peer(ns, peer_ns, peer_underlay):
    """flanneld's three entries towards one peer, read from what the role built on the peer."""
    mac, gateway = vtep_facts(peer_ns)
    subnet = gateway.rsplit(".", 1)[0] + ".0/24"
    sh("ip", "route", "replace", subnet, "via", gateway, "dev", "flannel.1", "onlink", ns=ns)
    sh("ip", "neigh", "replace", gateway, "lladdr", mac, "dev", "flannel.1", "nud", "permanent", ns=ns)
    sh("bridge", "fdb", "append", mac, "dev", "flannel.1", "dst", peer_underlay, "self", "permanent", ns=ns)


def write_inventory(base, lab_yaml, hosts, h3_mac, h3_subnet=H3_SUBNET + ".0/24"):
    data = yaml.safe_load(Path(lab_yaml).read_text())
    fabric = data["all"]["children"]["fabric"]
    fabric["hosts"] = dict((name, fabric["hosts"][name]) for name in hosts)
    fabric["hosts"]["h3"].update(routed_managed=False, routed_subnet=h3_subnet, routed_vtep_mac=h3_mac)
    path = Path(base) / ("routed-%s-%s.yml" % ("-".join(hosts), h3_subnet.replace("/", "_")))
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def converge(inventory, *args):
    proc, recap = run_playbook(inventory, "routed.yml", *args, extra_vars=VARS)
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-3000:]
    return recap


def owned(ns):
    """Routes, neighbour and forwarding entries on flannel.1, as ip -j / bridge -j show them."""
    routes = sorted((r["dst"], r.get("gateway"), "onlink" in r.get("flags", []), str(r.get("protocol", "boot")))
                    for r in ip_json(ns, "route", "show", "dev", "flannel.1"))
    neighbours = sorted((n["dst"], n.get("lladdr"), tuple(n.get("state", [])), str(n.get("protocol")))
                        for n in ip_json(ns, "neigh", "show", "dev", "flannel.1"))
    forwarding = sorted((e["mac"], e.get("dst"), e.get("state")) for e in fdb(ns, "flannel.1"))
    return routes, neighbours, forwarding


def expected_entries(peers):
    """What a host must hold towards ``peers``: [(subnet prefix, VTEP MAC, underlay)]."""
    routes = sorted((net + ".0/24", net + ".0", True, PROTOCOL) for net, _mac, _ul in peers)
    neighbours = sorted((net + ".0", mac, ("PERMANENT",), PROTOCOL) for net, mac, _ul in peers)
    forwarding = sorted((mac, ul, "permanent") for _net, mac, ul in peers)
    return routes, neighbours, forwarding


def state_with_neighbours(*namespaces):
    """dump_state plus the neighbour tables (permanent entries only: the cache ages by itself)."""
    neighbours = [[n for n in ip_json(ns, "neigh", "show") if "PERMANENT" in n.get("state", [])] for ns in namespaces]
    return dump_state(*namespaces) + json.dumps(neighbours, sort_keys=True)


def ping(from_ns, address):
    return subprocess.run(["ip", "netns", "exec", from_ns, "ping", "-c", "2", "-i", "0.2", "-W", "2", address],
                          capture_output=True, text=True, timeout=20, check=False).returncode == 0


class Capture:
    """tcpdump on a host's underlay NIC (eth0) while something happens; ``stop()`` returns the decoded packets."""

    def __init__(self, ns, log, expression="udp port 8472"):
        self.log = open(log, "w+")
        self.proc = subprocess.Popen(["ip", "netns", "exec", ns, "timeout", "30", "tcpdump", "-i", "eth0", "-nn", "-l",
                                      "-v", "-T", "vxlan", expression],
                                     stdout=subprocess.PIPE, stderr=self.log, text=True)
        deadline = time.monotonic() + 10
        while "listening on" not in Path(log).read_text():
            assert time.monotonic() < deadline and self.proc.poll() is None, Path(log).read_text()
            time.sleep(0.05)

    def stop(self):
        time.sleep(0.5)  # the last reply's capture
        self.proc.terminate()
        out, _err = self.proc.communicate(timeout=10)
        self.log.close()
        return out


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """The lab: h1/h2 converged by the play, h3 built by hand as flanneld would; yields a dict of facts."""
    base = tmp_path_factory.mktemp("routed")
    with built_lab(4, PREFIX + "ro", base / "lab.yml") as prefix:
        ns = dict((host, host_ns(prefix, host)) for host in UNDERLAY)
        for host in ("h1", "h2"):  # forwarding off everywhere: only the role's per-interface setting may make it work
            sh("sysctl", "-qw", "net.ipv4.conf.all.forwarding=0", ns=ns[host])
        build_flannel_node(ns["h3"], UNDERLAY["h3"], H3_SUBNET)
        h3_mac = link(ns["h3"], "flannel.1")["address"]
        inventory = write_inventory(base, base / "lab.yml", ["h1", "h2", "h3"], h3_mac)
        h3_before = state_with_neighbours(ns["h3"])
        fresh = state_with_neighbours(ns["h1"], ns["h2"]), lab_namespaces(prefix)
        fresh_check = converge(inventory, "--check", "--diff")
        fresh_after_check = state_with_neighbours(ns["h1"], ns["h2"]), lab_namespaces(prefix)
        converge(inventory)
        h3_after_play = state_with_neighbours(ns["h3"])
        for peer in ("h1", "h2"):
            add_flannel_peer(ns["h3"], ns[peer], UNDERLAY[peer])
        yield {"prefix": prefix, "ns": ns, "base": base, "inventory": inventory, "h3_mac": h3_mac,
               "h3_before": h3_before, "h3_after_play": h3_after_play,
               "fresh": (fresh, fresh_check, fresh_after_check)}


def test_check_mode_on_fresh_hosts_reports_and_changes_nothing(lab):
    before, recap, after = lab["fresh"]
    assert recap["h1"]["changed"] > 0 and recap["h2"]["changed"] > 0 and recap["h1"]["failed"] == 0, recap
    assert after == before


def test_managed_hosts_are_built_as_flannel_builds_a_node(lab):
    ns = lab["ns"]
    for host, net, peers in (("h1", "10.244.1", [("10.244.2", derived_mac(UNDERLAY["h2"]), UNDERLAY["h2"])]),
                             ("h2", "10.244.2", [("10.244.1", derived_mac(UNDERLAY["h1"]), UNDERLAY["h1"])])):
        vtep = link(ns[host], "flannel.1")
        data = vtep["linkinfo"]["info_data"]
        assert (data["id"], data["port"], data["local"], data["learning"]) == (1, 8472, UNDERLAY[host], False)
        assert vtep["address"] == derived_mac(UNDERLAY[host]) and vtep["mtu"] == 1450
        assert vtep_facts(ns[host])[1] == net + ".0"
        assert [a["prefixlen"] for e in ip_json(ns[host], "addr", "show", "dev", "flannel.1")
                for a in e["addr_info"] if a["family"] == "inet"] == [32]
        assert [a["local"] + "/%d" % a["prefixlen"] for e in ip_json(ns[host], "addr", "show", "dev", "cni0")
                for a in e["addr_info"] if a["family"] == "inet"] == [net + ".1/24"]
        assert owned(ns[host]) == expected_entries(peers + [(H3_SUBNET, lab["h3_mac"], UNDERLAY["h3"])])
        # Forwarding is on for exactly the bridge and the VTEP (the test turned it off everywhere first).
        assert sh("sysctl", "-n", "net/ipv4/conf/cni0/forwarding", "net/ipv4/conf/flannel.1/forwarding",
                  "net/ipv4/conf/eth0/forwarding", ns=ns[host]).split() == ["1", "1", "0"]


def test_unmanaged_flannel_node_untouched_by_the_play(lab):
    """The play never touched h3 (routed_managed: false): byte-identical before and after it."""
    assert lab["h3_after_play"] == lab["h3_before"]
    ns = lab["ns"]["h3"]
    assert link(ns, "flannel.1")["address"] == lab["h3_mac"]
    assert sh("nft", "list", "ruleset", ns=ns).strip() == ""
    routes, neighbours, _fdb = owned(ns)
    assert all(protocol != PROTOCOL for *_rest, protocol in routes + neighbours)


def test_containers_reach_each_other_both_ways(lab):
    ns = lab["ns"]
    address = {"h1": "10.244.1.2", "h2": "10.244.2.2", "h3": H3_SUBNET + ".2"}
    failures = [(a, b) for a in address for b in address if a != b and not ping(ns[a] + "-c1", address[b])]
    assert failures == []


def test_wire_is_flannel_vxlan_and_bystanders_see_nothing(lab):
    ns = lab["ns"]
    # The lab switch learns every underlay MAC first, so nothing below is flooded by the underlay either.
    for host in ("h1", "h2", "h3"):
        sh("ping", "-c", "1", "-W", "2", "192.0.2.1", ns=ns[host])
    for sender, receiver, bystander, address in (("h1", "h2", "h3", "10.244.2.2"),
                                                 ("h3", "h1", "h2", "10.244.1.2"),
                                                 ("h2", "h3", "h1", H3_SUBNET + ".2")):
        at_receiver = Capture(ns[receiver], lab["base"] / ("tcpdump-%s.log" % receiver))
        at_bystander = Capture(ns[bystander], lab["base"] / ("tcpdump-%s.log" % bystander))
        assert ping(ns[sender] + "-c1", address)
        seen, leaked = at_receiver.stop(), at_bystander.stop()
        headers = [line for line in seen.splitlines() if "VXLAN" in line]
        assert headers, seen
        assert all(".8472: VXLAN, flags [I] (0x08), vni 1" in line for line in headers), seen
        assert "%s." % UNDERLAY[sender] in seen and "%s." % UNDERLAY[receiver] in seen
        assert leaked.strip() == "", "%s saw packets of %s <-> %s:\n%s" % (bystander, sender, receiver, leaked)


def test_rerun_and_check_mode_change_nothing(lab):
    ns = lab["ns"]
    before = state_with_neighbours(ns["h1"], ns["h2"], ns["h3"])
    recap = converge(lab["inventory"])
    assert recap["h1"]["changed"] == 0 and recap["h2"]["changed"] == 0, recap
    recap = converge(lab["inventory"], "--check", "--diff")
    assert recap["h1"]["changed"] == 0 and recap["h2"]["changed"] == 0, recap
    assert state_with_neighbours(ns["h1"], ns["h2"], ns["h3"]) == before


def test_fleet_change_adds_then_removes_a_peer_everywhere(lab):
    ns, base = lab["ns"], lab["base"]
    # A route through the VTEP that someone else owns (proto static) is never touched.
    sh("ip", "route", "add", "10.244.200.0/24", "dev", "flannel.1", "proto", "static", ns=ns["h1"])
    grown = write_inventory(base, base / "lab.yml", ["h1", "h2", "h3", "h4"], lab["h3_mac"])
    h4 = ("10.244.3", derived_mac(UNDERLAY["h4"]), UNDERLAY["h4"])
    h3 = (H3_SUBNET, lab["h3_mac"], UNDERLAY["h3"])
    peers = {"h1": ("10.244.1", derived_mac(UNDERLAY["h1"]), UNDERLAY["h1"]),
             "h2": ("10.244.2", derived_mac(UNDERLAY["h2"]), UNDERLAY["h2"])}
    # h4 excluded with --limit: still a peer (planned subnet, derived MAC), and not touched itself.
    settle(ns["h4"])
    h4_before = state_with_neighbours(ns["h4"])
    recap = converge(grown, "--limit", "h1:h2")
    assert sorted(recap) == ["h1", "h2"] and state_with_neighbours(ns["h4"]) == h4_before
    assert owned(ns["h2"]) == expected_entries([peers["h1"], h3, h4])
    converge(grown)
    assert owned(ns["h2"]) == expected_entries([peers["h1"], h3, h4])
    routes, neighbours, forwarding = owned(ns["h1"])
    assert (routes, neighbours, forwarding) == (
        sorted(expected_entries([peers["h2"], h3, h4])[0] + [("10.244.200.0/24", None, False, "static")]),
        expected_entries([peers["h2"], h3, h4])[1], expected_entries([peers["h2"], h3, h4])[2])
    assert ping(ns["h4"] + "-c1", "10.244.1.2") and ping(ns["h2"] + "-c1", "10.244.3.2")

    converge(lab["inventory"])  # h4 leaves the inventory
    assert owned(ns["h2"]) == expected_entries([peers["h1"], h3])
    assert ("10.244.200.0/24", None, False, "static") in owned(ns["h1"])[0]
    assert owned(ns["h1"])[1:] == expected_entries([peers["h2"], h3])[1:]
    assert not ping(ns["h1"] + "-c1", "10.244.3.2")


@pytest.mark.parametrize("extra, message", [
    ({"routed_network": "10.244.0.0/22"},
     "routed subnet 10.244.0.0/22 cannot hold 4 hosts x 256 addresses (+ 0 reserved) in aligned /24 blocks: "
     "needs 4 blocks, has 2 usable; a /21 would fit"),
    ({"routed_dstport": 70000}, "routed_dstport: must be a UDP port 1-65535, got 70000"),
    ({"routed_containers": [{"name": "c%d" % i} for i in range(254)]}, "lists 254 routed_containers"),
])
def test_plan_refuses_before_any_host_changes(lab, extra, message):
    """The refusal comes from the plan play, on the grown fleet (h4 new): no host, old or new, changes."""
    ns = lab["ns"]
    settle(ns["h1"], ns["h2"], ns["h4"])
    before = state_with_neighbours(ns["h1"], ns["h2"], ns["h4"])
    grown = write_inventory(lab["base"], lab["base"] / "lab.yml", ["h1", "h2", "h3", "h4"], lab["h3_mac"], "10.244.2.0/24")
    proc, _recap = run_playbook(grown, "routed.yml", extra_vars=dict(VARS, **extra))
    assert proc.returncode != 0 and message in proc.stdout, proc.stdout[-4000:]
    assert "Build the routed overlay" not in proc.stdout
    assert state_with_neighbours(ns["h1"], ns["h2"], ns["h4"]) == before
