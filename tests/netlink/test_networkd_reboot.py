"""Issue 10: the fabric survives a reboot through the systemd-networkd files the roles render.

A 2-host lab (own prefix ``nfnd…``) is converged with ``*_persist: networkd``, each host writing into its
own directory. The reboot: host h1's namespace is deleted and re-created with only its uplink, as a fresh
boot has it; systemd-networkd then runs inside it on h1's files (private mount namespace, h1's own
machine-id; recipe in TOOLCHAIN.md). Everything networkd rebuilds is checked with ``ip -j`` / ``bridge -j``,
a following playbook run may only re-create the container veths (not persisted), and overlay traffic
flows again. networkd is stopped by its PID and the lab removed at teardown, also on failure.

The roles ship no systemd unit (nothing for ``systemd-analyze verify``): the rendered ``.netdev`` /
``.network`` files are checked by networkd itself, which must build the fabric from them and log no
parse warning.
"""
import json
import re
import secrets
import subprocess
import sys
import time

import pytest

from conftest import REPO, addrs, ansible_bin, ansible_env, fdb, ip_json, link, sh
from test_lab import load_lab_module

LAB = REPO / "lab" / "lab.py"
PLAYBOOK = str(REPO / "playbooks" / "overlay.yml")
NETWORKD = "/usr/lib/systemd/systemd-networkd"
PREFIX = "nfnd" + secrets.token_hex(2)
ZERO_MAC = "00:00:00:00:00:00"
VARS = """
underlay_netns_prefix: "{{ ansible_host }}-"
overlay_netns_prefix: "{{ ansible_host }}-"
underlay_containers: [{name: c1}, {name: c2}]
overlay_containers: [{name: c1, tenant: blue}, {name: c2, tenant: red}]
underlay_persist: networkd
overlay_persist: networkd
underlay_persist_dir: "%(root)s/{{ inventory_hostname }}/network"
overlay_persist_dir: "%(root)s/{{ inventory_hostname }}/network"
"""
# Only these may change when the playbook runs after networkd rebuilt the host: the container veths and
# the VTEP source filter (an nftables table, which networkd does not manage): (task, network_state item).
UNDERLAY_TASK = ("netfabric.core.underlay : Underlay bridge, uplink (addresses and default route moved onto the bridge), "
                 "container namespaces and veths")
OVERLAY_TASK = ("netfabric.core.overlay : Create the tenants - bridges, VTEPs and their port flags; flood lists, "
                "VTEP filter and container veths unless FRR starts in between")
NOT_PERSISTED = {(UNDERLAY_TASK, "veth_pair uc1"), (UNDERLAY_TASK, "veth_pair uc2"),
                 (OVERLAY_TASK, "veth_pair oc1"), (OVERLAY_TASK, "veth_pair oc2"),
                 (OVERLAY_TASK, "vtep_filter netfabric_vtep")}
NETWORKD_WARNING = re.compile(r"(?i)ignoring|failed to parse|invalid|unknown (section|key|lvalue)")


def lab(*args):
    return subprocess.run([sys.executable, str(LAB)] + list(args), capture_output=True, text=True, timeout=120,
                          check=True)


def playbook(inventory, varsfile, *args):
    proc = subprocess.run([ansible_bin("ansible-playbook"), "-i", str(inventory), "-e", "@%s" % varsfile, PLAYBOOK]
                          + list(args), capture_output=True, text=True, env=ansible_env(), timeout=900, check=False)
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-3000:]
    return proc.stdout


def recap(output):
    """{host: changed count} from the PLAY RECAP."""
    return dict((h, int(n)) for h, n in re.findall(r"^(h\d+)\s+: ok=\d+\s+changed=(\d+)", output, re.M))


def changed_tasks(output, host):
    """Names of the tasks that reported ``changed`` for ``host`` (default callback output)."""
    task, names = None, set()
    for line in output.splitlines():
        header = re.match(r"^TASK \[(.*)\] \**$", line)
        if header:
            task = header.group(1)
        elif line.startswith("changed: [%s]" % host):
            names.add(task)
    return names


def changed_items(output, host):
    """(task, item) of every netfabric.core.network_state item that changed on ``host`` (output of ``-v``),
    and (task, None) of any other task that changed."""
    task, found = None, set()
    for line in output.splitlines():
        header = re.match(r"^TASK \[(.*)\] \**$", line)
        if header:
            task = header.group(1)
            continue
        result = re.match(r"^changed: \[%s\] => (\{.*\})$" % re.escape(host), line)
        if result:
            items = [r["item"] for r in json.loads(result.group(1)).get("results", []) if r.get("changed")]
            found.update((task, item) for item in items or [None])
        elif line.startswith("changed: [%s]" % host):
            found.add((task, None))
    return found


def files(root, host):
    """{relative path: content} of a host's persisted files."""
    base = root / host / "network"
    return dict((str(p.relative_to(base)), p.read_text()) for p in sorted(base.rglob("*")) if p.is_file())


@pytest.fixture(scope="module")
def fabric(tmp_path_factory):
    """The converged 2-host lab with networkd persistence; removed at teardown, also on failure."""
    root = tmp_path_factory.mktemp("networkd")
    inventory, varsfile = root / "inventory.yml", root / "vars.yml"
    varsfile.write_text(VARS % {"root": root})
    try:
        lab("up", "--hosts", "2", "--prefix", PREFIX, "--inventory", str(inventory))
        output = playbook(inventory, varsfile)
        yield {"root": root, "inventory": inventory, "vars": varsfile, "first_run": output}
    finally:
        subprocess.run([sys.executable, str(LAB), "down", "--prefix", PREFIX], capture_output=True, timeout=120,
                       check=False)


def test_rendered_files_and_check_mode_changes_nothing(fabric):
    first = recap(fabric["first_run"])
    assert sorted(first) == ["h1", "h2"] and all(first.values()), first
    h1 = files(fabric["root"], "h1")
    assert sorted(h1) == sorted(["10-netfabric-br0.netdev", "10-netfabric-br0.network", "10-netfabric-eth0.network",
                                 "10-netfabric-br0.network.d/10-netfabric-overlay.conf"]
                                + ["10-netfabric-%s%d.%s" % (kind, vni, ext) for kind in ("brv", "vx")
                                   for vni in (100, 200) for ext in ("netdev", "network")])
    assert "Address=192.0.2.11/24" in h1["10-netfabric-br0.network"]
    assert "Gateway=192.0.2.1" in h1["10-netfabric-br0.network"]
    assert "Bridge=br0" in h1["10-netfabric-eth0.network"] and "Address" not in h1["10-netfabric-eth0.network"]
    for key in ("VNI=100", "Local=192.0.2.11", "DestinationPort=4789", "MacLearning=yes", "MTUBytes=1450"):
        assert key in h1["10-netfabric-vx100.netdev"], key
    for name in ("10-netfabric-brv100.network", "10-netfabric-vx100.network"):  # tenant links: no host address
        assert "LinkLocalAddressing=no" in h1[name] and "IPv6AcceptRA=no" in h1[name], name
    assert "Destination=192.0.2.12" in h1["10-netfabric-vx100.network"]
    assert "Destination=192.0.2.11" in files(fabric["root"], "h2")["10-netfabric-vx200.network"]
    before = files(fabric["root"], "h1"), files(fabric["root"], "h2")
    output = playbook(fabric["inventory"], fabric["vars"], "--check", "--diff")
    assert recap(output) == {"h1": 0, "h2": 0}, output[-4000:]
    assert (files(fabric["root"], "h1"), files(fabric["root"], "h2")) == before


def test_fleet_change_shows_new_flood_entry_and_stale_files_in_check_mode(fabric):
    """A third host and one tenant fewer: the diff rewrites the flood list and drops the red files."""
    inventory = fabric["root"] / "fleet.yml"
    load_lab_module().write_inventory(str(inventory), 3, PREFIX)
    varsfile = fabric["root"] / "fleet-vars.yml"
    varsfile.write_text(fabric["vars"].read_text() + """
overlay_tenants: [{name: blue, vni: 100, subnet: 198.51.100.0/24}]
overlay_containers: [{name: c1, tenant: blue}]
""")
    before = files(fabric["root"], "h1")
    output = playbook(inventory, varsfile, "--check", "--diff", "--limit", "h1")
    assert "+Destination=192.0.2.13" in output
    tasks = changed_tasks(output, "h1")
    assert "netfabric.core.networkd : Remove the files this owner no longer builds" in tasks
    for name in ("10-netfabric-vx200.netdev", "10-netfabric-brv200.network"):
        assert re.search(r"changed: \[h1\] => \(item=\S*/h1/network/%s\)" % re.escape(name), output), name
    assert files(fabric["root"], "h1") == before


def start_networkd(netns, confdir, machine_id, log):
    script = ("mount --make-rprivate / && mount -t tmpfs tmpfs /run/systemd && mkdir -p /run/systemd/netif && "
              "chown systemd-network:systemd-network /run/systemd/netif && "
              "mount --bind %s /etc/systemd/network && mount --bind %s /etc/machine-id && "
              "exec ip netns exec %s sh -c 'mount -o remount,bind,ro /sys && exec %s'"
              % (confdir, machine_id, netns, NETWORKD))
    return subprocess.Popen(["unshare", "-m", "sh", "-c", script], stdout=log, stderr=subprocess.STDOUT)


def stop(proc):
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def reboot_host(netns, switch, port):
    """Delete the host namespace and re-create it with only its uplink (and lo up), as at boot."""
    subprocess.run(["ip", "netns", "del", netns], check=True)
    for _attempt in range(100):  # namespace cleanup is asynchronous: wait until its veth left the switch
        if link(switch, port) is None:
            break
        time.sleep(0.1)
    subprocess.run(["ip", "netns", "add", netns], check=True)
    sh("ip", "link", "add", port, "type", "veth", "peer", "name", "eth0", "netns", netns, ns=switch)
    sh("ip", "link", "set", port, "master", "br0", "up", ns=switch)
    sh("ip", "link", "set", "lo", "up", ns=netns)


def rebuilt(netns):
    """True once networkd put back the uplink, the address, the default route and both flood lists."""
    eth0, vx100, vx200 = link(netns, "eth0"), link(netns, "vx100"), link(netns, "vx200")
    if not (eth0 and vx100 and vx200 and eth0.get("master") == "br0"):
        return False
    routes = ip_json(netns, "route", "show", "default")
    return (addrs(netns, "br0") == ["192.0.2.11/24"] and [r.get("dev") for r in routes] == ["br0"]
            and all(fdb(netns, vx) for vx in ("vx100", "vx200")))


def fabric_links(netns):
    """What networkd rebuilt, ifindex included (a re-created link gets a new one)."""
    state = {}
    for name in ("eth0", "br0", "brv100", "brv200", "vx100", "vx200"):
        entry = link(netns, name)
        state[name] = {k: entry.get(k) for k in ("ifindex", "mtu", "master", "operstate", "address")}
        state[name]["info_data"] = entry["linkinfo"].get("info_data", {}) if name.startswith("vx") else None
    state["br0 addresses"] = addrs(netns, "br0")
    state["routes"] = ip_json(netns, "route", "show")
    # The VTEPs' own permanent entries (with a remote dst). Learned ones (the bridge's, and the VTEPs' own since
    # they learn in the static mode) come and go with traffic, e.g. a peer's ARP during the run.
    state["flood"] = {vx: sorted((e["mac"], e["dst"]) for e in fdb(netns, vx)
                                 if e.get("dst") and e.get("state") == "permanent") for vx in ("vx100", "vx200")}
    return state


def overlay_address(netns):
    info = ip_json(netns, "addr", "show", "dev", "eth1")[0]["addr_info"]
    return [a["local"] for a in info if a["family"] == "inet"][0]


def pings(src_ns, dst, count=3):
    proc = subprocess.run(["ip", "netns", "exec", src_ns, "ping", "-c", str(count), "-W", "1", "-w", "10", dst],
                          capture_output=True, text=True, timeout=30, check=False)
    return proc.returncode == 0


def test_reboot_networkd_rebuilds_the_fabric(fabric, tmp_path):
    h1, switch = PREFIX + "-h1", PREFIX + "-sw"
    machine_id = tmp_path / "machine-id"
    machine_id.write_text(secrets.token_hex(16) + "\n")
    reboot_host(h1, switch, "h1")
    assert sorted(e["ifname"] for e in ip_json(h1, "link", "show")) == ["eth0", "lo"]
    log_path = tmp_path / "networkd.log"
    with open(log_path, "w") as log:
        networkd = start_networkd(h1, fabric["root"] / "h1" / "network", machine_id, log)
    try:
        for _attempt in range(300):  # bounded wait (30 s) for networkd to finish; the checks below say what is missing
            if rebuilt(h1) or networkd.poll() is not None:
                break
            time.sleep(0.1)
        log = log_path.read_text()
        assert networkd.poll() is None, "networkd exited:\n" + log
        assert not [line for line in log.splitlines() if NETWORKD_WARNING.search(line)], log

        assert link(h1, "eth0")["master"] == "br0"
        assert addrs(h1, "br0") == ["192.0.2.11/24"] and addrs(h1, "eth0") == []
        assert [(r["gateway"], r["dev"]) for r in ip_json(h1, "route", "show", "default")] == [("192.0.2.1", "br0")]
        for vni in (100, 200):
            vx = link(h1, "vx%d" % vni)
            data = vx["linkinfo"]["info_data"]
            assert (data["id"], data["local"], data["port"], data.get("link")) == (vni, "192.0.2.11", 4789, "br0")
            assert data["learning"] is True and vx["mtu"] == 1450 and vx["master"] == "brv%d" % vni
            text = sh("ip", "-d", "link", "show", "vx%d" % vni, ns=h1)
            assert "dstport 4789" in text and "nolearning" not in text, text
            assert [(e["mac"], e.get("dst")) for e in fdb(h1, "vx%d" % vni)
                    if e["mac"] == ZERO_MAC] == [(ZERO_MAC, "192.0.2.12")]
        assert sh("ping", "-c", "2", "-W", "1", "-w", "5", "192.0.2.12", ns=h1)  # underlay back
        # The rebuilt tenant links carry no address (no IPv6 link-local either), as the role leaves them.
        for name in ("brv100", "brv200", "vx100", "vx200"):
            assert ip_json(h1, "addr", "show", "dev", name)[0]["addr_info"] == [], name
            assert link(h1, name)["inet6_addr_gen_mode"] == "none", name

        before = fabric_links(h1)
        output = playbook(fabric["inventory"], fabric["vars"], "--limit", "h1", "-v")
        assert changed_items(output, "h1") == NOT_PERSISTED, output[-6000:]
        assert fabric_links(h1) == before  # nothing networkd built was touched (same ifindex, same state)

        for tenant, peer in (("c1", PREFIX + "-h2-c1"), ("c2", PREFIX + "-h2-c2")):
            assert pings("%s-%s" % (h1, tenant), overlay_address(peer)), "overlay %s h1 -> h2 lost" % tenant
        assert not pings(h1 + "-c1", overlay_address(PREFIX + "-h2-c2"), count=2), "tenants not isolated"
    finally:
        stop(networkd)


def test_absent_removes_only_that_hosts_files(fabric):
    keep = files(fabric["root"], "h1")
    playbook(fabric["inventory"], fabric["vars"], "--limit", "h2",
             "-e", "underlay_persist_state=absent overlay_persist_state=absent")
    assert files(fabric["root"], "h2") == {}
    assert files(fabric["root"], "h1") == keep
