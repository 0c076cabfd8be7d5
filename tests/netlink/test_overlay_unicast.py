"""Issue 13: known unicast crosses the underlay once, and tenant links give the hosts no presence.

A 4-host lab (``<PREFIX>uc``) runs playbooks/overlay.yml with CNI networks on: containers c1 (tenant blue,
no underlay interface: it has only its tenant network) on every host. Judged by independent tools:

- tcpdump on the uplinks of the hosts that are not involved (h3, h4) while containers on h1 and h2
  ping each other 50 times: at most 5 VXLAN copies each (they got every request and reply before),
  for the inventory's containers and for containers the real CNI ``bridge`` plugin attached later
  through the role's conflist. The captures on h1/h2 show the traffic did cross the underlay;
- ``ip -j addr``: no address on any tenant bridge, VTEP or inventory veth host end, on every host;
  the underlay bridge keeps the host's address and default route;
- a tenant container cannot reach any host: TCP connects to services on ``::`` of every host fail,
  all-nodes ping answers only containers. A control adds addresses to h1's tenant bridge by hand: the
  connect then succeeds (the probe works), and the next run removes them again.

The lab, the listeners and the captures are removed at teardown, also on failure.
"""
import ipaddress
import subprocess
import sys

import pytest

from cni_helpers import cni, fabric_vars, host_dir, lab, load, playbook, result_address
from conftest import PREFIX, REPO, ip_json, lab_namespaces, sh

sys.path.insert(0, str(REPO / "lab"))
from underlay_capture import UplinkCapture  # noqa: E402

HOSTS = ["h1", "h2", "h3", "h4"]
BLUE = "90-netfabric-tenant-blue.conflist"
TENANT_PORT = 7913
PINGS = 50
MAX_UNINVOLVED = 5
VARS = {"underlay_netns_prefix": "{{ ansible_host }}-", "overlay_netns_prefix": "{{ ansible_host }}-",
        "underlay_containers": [], "overlay_containers": [{"name": "c1", "tenant": "blue"}]}
LISTENER = ("import socket,sys\n"
            "s=socket.socket(socket.AF_INET6)\n"
            "s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1)\n"
            "s.setsockopt(socket.IPPROTO_IPV6,socket.IPV6_V6ONLY,0)\n"
            "s.bind(('::',%d)); s.listen(16); print('ready',flush=True)\n"
            "while True:\n"
            "    c,a=s.accept(); c.close()\n" % TENANT_PORT)
# Connects to every target at once (non-blocking), 3 s in all; prints the targets that accepted.
CONNECT = ("import errno,select,socket,sys,time\n"
           "pending={}\n"
           "for target in sys.argv[1:]:\n"
           "    info=socket.getaddrinfo(target,%d,0,socket.SOCK_STREAM)[0]\n"
           "    s=socket.socket(info[0],socket.SOCK_STREAM); s.setblocking(False)\n"
           "    if s.connect_ex(info[4]) in (0,errno.EINPROGRESS): pending[s]=target\n"
           "ok=[]; end=time.monotonic()+3\n"
           "while pending and time.monotonic()<end:\n"
           "    for s in select.select([],list(pending),[],max(0,end-time.monotonic()))[1]:\n"
           "        if s.getsockopt(socket.SOL_SOCKET,socket.SO_ERROR)==0: ok.append(pending[s])\n"
           "        del pending[s]\n"
           "print(' '.join(sorted(ok)))\n" % TENANT_PORT)


def ns(prefix, host, container=None):
    return "%s-%s" % (prefix, host) + ("-" + container if container else "")


@pytest.fixture(scope="module")
def fabric(tmp_path_factory):
    prefix = PREFIX + "uc"
    root = tmp_path_factory.mktemp("unicast")
    inventory = root / "inventory.yml"
    extra = dict(fabric_vars(root), **VARS)
    try:
        lab("up", "--hosts", str(len(HOSTS)), "--prefix", prefix, "--inventory", str(inventory))
        first, output = playbook(inventory, extra)
        second, output2 = playbook(inventory, extra)
        yield {"prefix": prefix, "root": root, "inventory": inventory, "extra": extra, "first": first,
               "second": (second, output2), "workdir": root}
    finally:
        lab("down", "--prefix", prefix)


def address_of(netns, ifname):
    return [a["local"] for entry in ip_json(netns, "addr", "show", "dev", ifname)
            for a in entry["addr_info"] if a["family"] == "inet"][0]


def uplinks(prefix, hosts):
    return dict((h, (ns(prefix, h), "192.0.2.%d" % (10 + int(h[1:])))) for h in hosts)


def ping_counted(fabric, src_ns, dst):
    """50 pings src -> dst while every host's uplink is captured; returns (ping ok, counts per host)."""
    with UplinkCapture(uplinks(fabric["prefix"], HOSTS), str(fabric["workdir"])) as capture:
        proc = subprocess.run(["ip", "netns", "exec", src_ns, "ping", "-n", "-q", "-c", str(PINGS), "-i", "0.05",
                               "-W", "1", "-w", "20", dst], capture_output=True, text=True, timeout=40, check=False)
    return proc.returncode == 0 and " %d received" % PINGS in proc.stdout, capture.counts


def assert_unicast_once(ok, counts):
    assert ok, counts
    # The traffic did cross the underlay: h2 received every request, h1 every reply.
    assert counts["h1"]["icmp"] >= PINGS and counts["h2"]["icmp"] >= PINGS, counts
    for host in ("h3", "h4"):
        assert counts[host]["vxlan"] <= MAX_UNINVOLVED, counts
        assert counts[host]["icmp"] == 0, counts


def test_second_run_changes_nothing(fabric):
    assert all(fabric["first"][h] > 0 for h in HOSTS), fabric["first"]
    changed, output = fabric["second"]
    assert changed == dict((h, 0) for h in HOSTS), output[-4000:]


def test_inventory_containers_unicast_reaches_only_the_destination(fabric):
    prefix = fabric["prefix"]
    dst = address_of(ns(prefix, "h2", "c1"), "eth1")
    ok, counts = ping_counted(fabric, ns(prefix, "h1", "c1"), dst)
    assert_unicast_once(ok, counts)


def test_cni_containers_unicast_reaches_only_the_destination(fabric):
    prefix = fabric["prefix"]
    added = {}
    for host in ("h1", "h2"):
        container = ns(prefix, host, "k1")
        subprocess.run(["ip", "netns", "add", container], check=True)
        # A container that has just come up sends IPv6 multicast (DAD, MLD, router solicitations): BUM traffic,
        # flooded to every peer by design, and not what this test counts. Without IPv6 it stays quiet.
        sh("sysctl", "-qw", "net.ipv6.conf.default.disable_ipv6=1", ns=container)
        code, result = cni("ADD", load(host_dir(fabric["root"], host) / "net.d" / BLUE), ns(prefix, host), container,
                           "k1-" + host)
        assert code == 0, result
        added[host] = (container, result_address(result).ip)
    fabric["cni"] = added
    ok, counts = ping_counted(fabric, added["h1"][0], str(added["h2"][1]))
    assert_unicast_once(ok, counts)


def tenant_links(netns):
    """The tenant bridges, VTEPs and the veths enslaved to a tenant bridge, from ``ip -j -d link``."""
    links = ip_json(netns, "-d", "link", "show")
    bridges = set(e["ifname"] for e in links if e["ifname"].startswith("brv"))
    return dict((e["ifname"], e) for e in links
                if e["ifname"] in bridges or e["ifname"].startswith("vx") or e.get("master") in bridges)


def test_no_address_on_tenant_links_and_the_underlay_keeps_its_own(fabric):
    prefix = fabric["prefix"]
    runtime_ports = {}
    for index, host in enumerate(HOSTS, 1):
        netns = ns(prefix, host)
        addresses = dict((e["ifname"], [a["local"] for a in e.get("addr_info", [])]) for e in ip_json(netns, "addr", "show"))
        links = tenant_links(netns)
        assert {"brv100", "brv200", "vx100", "vx200", "oc1"} <= set(links), sorted(links)
        managed = ["brv100", "brv200", "vx100", "vx200", "oc1"]
        assert dict((name, addresses[name]) for name in managed) == dict((name, []) for name in managed), host
        assert all(links[name]["inet6_addr_gen_mode"] == "none" for name in managed), host
        # Veths the CNI bridge plugin attached: the kernel gave their host ends a link-local (see the role README).
        runtime_ports[host] = dict((name, addresses[name]) for name in links if name.startswith("veth"))
        assert "192.0.2.%d" % (10 + index) in addresses["br0"]
        assert [(r["dev"], r["gateway"]) for r in ip_json(netns, "route", "show", "default")] == [("br0", "192.0.2.1")]
    assert sorted(h for h in runtime_ports if runtime_ports[h]) == sorted(fabric.get("cni", {})), runtime_ports


@pytest.fixture
def listeners(fabric):
    """A TCP service on [::]:TENANT_PORT (IPv4 too) in every host namespace; stopped by PID afterwards."""
    procs = []
    try:
        for host in HOSTS:
            proc = subprocess.Popen(["ip", "netns", "exec", ns(fabric["prefix"], host), sys.executable, "-c", LISTENER],
                                    stdout=subprocess.PIPE, text=True)
            procs.append(proc)
            assert proc.stdout.readline().strip() == "ready"
        yield procs
    finally:
        for proc in procs:
            proc.kill()
            proc.wait(timeout=10)


def connects(container, targets):
    out = sh("timeout", "30", sys.executable, "-c", CONNECT, *targets, ns=container)
    return out.split()


def eui64(mac):
    octets = [int(part, 16) for part in mac.split(":")]
    octets[0] ^= 0x02
    words = octets[:3] + [0xFF, 0xFE] + octets[3:]
    return str(ipaddress.IPv6Address(bytes([0xFE, 0x80] + [0] * 6 + words)))


def host_targets(fabric, via):
    """Every address a host has or would have on the tenant (its link-local per tenant link), plus its
    underlay address, as connect targets from a container whose tenant interface is ``via``."""
    targets = []
    for index, host in enumerate(HOSTS, 1):
        targets.append("192.0.2.%d" % (10 + index))
        for name, entry in sorted(tenant_links(ns(fabric["prefix"], host)).items()):
            targets.append("%s%%%s" % (eui64(entry["address"]), via))
    return targets


def all_nodes(container, ifname):
    """Link-local addresses that answer a ping to ff02::1 on the container's tenant interface."""
    proc = subprocess.run(["ip", "netns", "exec", container, "ping", "-6", "-n", "-c", "2", "-W", "1", "-w", "4",
                           "-I", ifname, "ff02::1"], capture_output=True, text=True, timeout=30, check=False)
    return set(line.split()[3].rstrip(":").split("%")[0] for line in proc.stdout.splitlines() if " bytes from " in line)


def test_tenant_container_cannot_reach_any_host(fabric, listeners):
    prefix = fabric["prefix"]
    container = ns(prefix, "h1", "c1")
    # The container has only its tenant interface: route everything through it.
    sh("ip", "route", "replace", "default", "dev", "eth1", ns=container)
    sh("ip", "-6", "route", "replace", "default", "dev", "eth1", ns=container)
    targets = host_targets(fabric, "eth1")
    assert len(targets) >= 4 * 6
    assert connects(container, targets) == []
    # Every container of the lab (the inventory's c1 and the CNI ones): namespaces <prefix>-hN-NAME.
    containers = set(a["local"] for netns in lab_namespaces(prefix) if netns.count("-") == 2
                     for entry in ip_json(netns, "addr", "show") for a in entry["addr_info"] if a["family"] == "inet6")
    answered = all_nodes(container, "eth1")
    assert answered and answered <= containers, (answered, containers)


def test_control_a_host_address_on_the_tenant_bridge_is_reachable_until_the_next_run(fabric, listeners):
    prefix = fabric["prefix"]
    container, h1 = ns(prefix, "h1", "c1"), ns(prefix, "h1")
    sh("ip", "addr", "add", "fe80::13/64", "dev", "brv100", ns=h1)
    sh("ip", "addr", "add", "198.51.100.254/24", "dev", "brv100", ns=h1)
    sh("ip", "route", "replace", "default", "dev", "eth1", ns=container)
    assert connects(container, ["fe80::13%eth1", "198.51.100.254"]) == ["198.51.100.254", "fe80::13%eth1"]
    changed, output = playbook(fabric["inventory"], fabric["extra"], "--limit", "h1")
    assert changed == {"h1": 1}, output[-3000:]
    assert [a for e in ip_json(h1, "addr", "show", "dev", "brv100") for a in e["addr_info"]] == []
    assert connects(container, ["fe80::13%eth1", "198.51.100.254"]) == []
