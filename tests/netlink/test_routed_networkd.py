"""The routed overlay survives a reboot through the systemd-networkd files the role renders.

A 2-host lab (own prefix ``nfrn…``) is converged by playbooks/routed.yml with ``routed_persist: networkd``,
each host writing into its own directory, which also holds the host's own uplink file
(``10-lab-eth0.network``, standing in for the file a real host already has) that the role extends with a
``VXLAN=`` drop-in. The reboot: h1's namespace is deleted and re-created with only its uplink; a real
systemd-networkd then runs inside it on h1's files (recipe in TOOLCHAIN.md, helpers shared with
test_networkd_reboot.py) and must rebuild the VTEP (MAC, VNI, port, learning off, bound to eth0, its
/32), the bridge with the gateway, and every peer's route, neighbour entry and forwarding entry; the
next play may only re-create what is not persisted (container veth, nftables filter) and take over the
neighbour entries networkd wrote without a protocol mark; container traffic flows again and a further
run changes nothing. networkd is stopped by its PID and the lab removed at teardown, also on failure.
"""
import re
import secrets
import subprocess
import sys
import time

import pytest

from conftest import REPO, ansible_bin, ansible_env, fdb, ip_json, link
from test_networkd_reboot import NETWORKD_WARNING, changed_items, recap, reboot_host, start_networkd, stop

LAB = REPO / "lab" / "lab.py"
PLAYBOOK = str(REPO / "playbooks" / "routed.yml")
PREFIX = "nfrn" + secrets.token_hex(2)
VARS = """
routed_netns_prefix: "{{ ansible_host }}-"
routed_containers: [{name: c1}]
routed_persist: networkd
routed_persist_dir: "%(root)s/{{ inventory_hostname }}/network"
routed_persist_vtep_network: 10-lab-eth0.network
"""
UPLINK = "[Match]\nName=eth0\n\n[Network]\nAddress=%s/24\nGateway=192.0.2.1\n"
MAC = {"h1": "0a:58:c0:00:02:0b", "h2": "0a:58:c0:00:02:0c"}
# (task, network_state item) of what may change after networkd rebuilt the host.
LINKS_TASK = ("netfabric.core.routed : Bridge with the gateway address, VTEP, forwarding between them, every peer's "
              "entries and route, VTEP filter")
CONTAINERS_TASK = ("netfabric.core.routed : Connect each container to the bridge with the next address of this host's "
                   "subnet, default route via the gateway")
NOT_PERSISTED = {
    (CONTAINERS_TASK, "veth_pair rc1"),
    (LINKS_TASK, "vtep_filter netfabric_routed"),
    # networkd's [Neighbor] has no protocol key: the role marks the (identical) entries as its own again
    (LINKS_TASK, "neigh_entry flannel.1"),
}


def playbook(inventory, varsfile, *args):
    proc = subprocess.run([ansible_bin("ansible-playbook"), "-i", str(inventory), "-e", "@%s" % varsfile, PLAYBOOK]
                          + list(args), capture_output=True, text=True, env=ansible_env(), timeout=900, check=False)
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-3000:]
    return proc.stdout


@pytest.fixture(scope="module")
def fabric(tmp_path_factory):
    root = tmp_path_factory.mktemp("routed-networkd")
    inventory, varsfile = root / "inventory.yml", root / "vars.yml"
    varsfile.write_text(VARS % {"root": root})
    for host, address in (("h1", "192.0.2.11"), ("h2", "192.0.2.12")):
        (root / host / "network").mkdir(parents=True)
        (root / host / "network" / "10-lab-eth0.network").write_text(UPLINK % address)
    try:
        subprocess.run([sys.executable, str(LAB), "up", "--hosts", "2", "--prefix", PREFIX, "--inventory", str(inventory)],
                       capture_output=True, text=True, timeout=120, check=True)
        output = playbook(inventory, varsfile)
        yield {"root": root, "inventory": inventory, "vars": varsfile, "first_run": output}
    finally:
        subprocess.run([sys.executable, str(LAB), "down", "--prefix", PREFIX], capture_output=True, timeout=120,
                       check=False)


def entries(ns):
    """What a host holds towards its peers, as ip -j / bridge -j show it."""
    routes = sorted((r["dst"], r.get("gateway"), "onlink" in r.get("flags", []), str(r.get("protocol", "boot")))
                    for r in ip_json(ns, "route", "show", "dev", "flannel.1"))
    neighbours = sorted((n["dst"], n.get("lladdr"), tuple(n.get("state", [])))
                        for n in ip_json(ns, "neigh", "show", "dev", "flannel.1"))
    forwarding = sorted((e["mac"], e.get("dst"), e.get("state")) for e in fdb(ns, "flannel.1") if e.get("dst"))
    return routes, neighbours, forwarding


H1_ENTRIES = ([("10.244.2.0/24", "10.244.2.0", True, "157")], [("10.244.2.0", MAC["h2"], ("PERMANENT",))],
              [(MAC["h2"], "192.0.2.12", "permanent")])


def rebuilt(ns):
    vtep, cni0 = link(ns, "flannel.1"), link(ns, "cni0")
    return bool(vtep and cni0 and ip_json(ns, "route", "show", "dev", "flannel.1") and fdb(ns, "flannel.1")
                and ip_json(ns, "neigh", "show", "dev", "flannel.1"))


def pings(src_ns, dst, count=3):
    return subprocess.run(["ip", "netns", "exec", src_ns, "ping", "-c", str(count), "-W", "1", "-w", "10", dst],
                          capture_output=True, text=True, timeout=30, check=False).returncode == 0


def test_rendered_files(fabric):
    assert sorted(recap(fabric["first_run"])) == ["h1", "h2"]
    base = fabric["root"] / "h1" / "network"
    names = sorted(str(p.relative_to(base)) for p in base.rglob("*") if p.is_file())
    assert names == ["10-lab-eth0.network", "10-lab-eth0.network.d/10-netfabric-routed.conf",
                     "10-netfabric-cni0.netdev", "10-netfabric-cni0.network",
                     "10-netfabric-flannel.1.netdev", "10-netfabric-flannel.1.network"]
    netdev = (base / "10-netfabric-flannel.1.netdev").read_text()
    for key in ("Kind=vxlan", "MACAddress=" + MAC["h1"], "VNI=1", "Local=192.0.2.11", "DestinationPort=8472",
                "MacLearning=no", "MTUBytes=1450"):
        assert re.search("^%s$" % re.escape(key), netdev, re.M), key
    assert "Independent" not in netdev
    network = (base / "10-netfabric-flannel.1.network").read_text()
    for key in ("Address=10.244.1.0/32", "Destination=10.244.2.0/24", "Gateway=10.244.2.0", "GatewayOnLink=yes",
                "Protocol=157", "LinkLayerAddress=" + MAC["h2"], "MACAddress=" + MAC["h2"], "Destination=192.0.2.12"):
        assert re.search("^%s$" % re.escape(key), network, re.M), key
    assert "VXLAN=flannel.1" in (base / "10-lab-eth0.network.d" / "10-netfabric-routed.conf").read_text()


def test_reboot_networkd_rebuilds_the_routed_overlay(fabric, tmp_path):
    h1, switch = PREFIX + "-h1", PREFIX + "-sw"
    machine_id = tmp_path / "machine-id"
    machine_id.write_text(secrets.token_hex(16) + "\n")
    reboot_host(h1, switch, "h1")
    log_path = tmp_path / "networkd.log"
    with open(log_path, "w") as log:
        networkd = start_networkd(h1, fabric["root"] / "h1" / "network", machine_id, log)
    try:
        for _attempt in range(300):  # bounded wait (30 s); the checks below say what is missing
            if rebuilt(h1) or networkd.poll() is not None:
                break
            time.sleep(0.1)
        time.sleep(1)  # networkd configures the three kinds of entries one after another
        log = log_path.read_text()
        assert networkd.poll() is None, "networkd exited:\n" + log
        assert not [line for line in log.splitlines() if NETWORKD_WARNING.search(line)], log

        vtep = link(h1, "flannel.1")
        data = vtep["linkinfo"]["info_data"]
        assert (data["id"], data["local"], data["port"], data["learning"], data.get("link")) == (
            1, "192.0.2.11", 8472, False, "eth0")
        assert vtep["address"] == MAC["h1"] and vtep["mtu"] == 1450
        assert [(a["local"], a["prefixlen"]) for e in ip_json(h1, "addr", "show", "dev", "flannel.1")
                for a in e["addr_info"] if a["family"] == "inet"] == [("10.244.1.0", 32)]
        assert [(a["local"], a["prefixlen"]) for e in ip_json(h1, "addr", "show", "dev", "cni0")
                for a in e["addr_info"] if a["family"] == "inet"] == [("10.244.1.1", 24)]
        assert entries(h1) == H1_ENTRIES, log

        output = playbook(fabric["inventory"], fabric["vars"], "--limit", "h1", "-v")
        assert changed_items(output, "h1") == NOT_PERSISTED, output[-6000:]
        assert link(h1, "flannel.1")["ifindex"] == vtep["ifindex"]  # networkd's VTEP kept, not re-created
        assert entries(h1) == H1_ENTRIES
        assert [n.get("protocol") for n in ip_json(h1, "neigh", "show", "dev", "flannel.1")] == ["157"]
        assert pings(h1 + "-c1", "10.244.2.2") and pings(PREFIX + "-h2-c1", "10.244.1.2")
        assert recap(playbook(fabric["inventory"], fabric["vars"], "--limit", "h1")) == {"h1": 0}
    finally:
        stop(networkd)
