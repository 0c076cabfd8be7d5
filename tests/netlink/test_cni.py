"""Runtime-managed containers join the fabric through CNI (issue 8).

On a 2-host lab with the underlay and overlay converged and ``overlay_cni``/``underlay_cni`` on, the real
``bridge``/``host-local`` plugins (Debian's containernetworking-plugins) are called as a runtime calls them,
then a real runtime (podman) starts containers on the generated networks. The tests of this module run in
file order on one lab; the last one removes a tenant. Every namespace is named ``<PREFIX>cn-...`` and removed
at teardown with the lab, also on failure.
"""
import ipaddress
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from cni_helpers import (CNI_PATH, PER_HOST, TENANTS, Podman, block_of, busybox_rootfs, cni, fabric_vars, host_dir, lab,
                         load, ping, playbook, result_address)
from conftest import COLLECTIONS, PREFIX, ip_json, link, sh

if str(COLLECTIONS) not in sys.path:
    sys.path.insert(0, str(COLLECTIONS))

from ansible_collections.netfabric.core.plugins.module_utils.ip_plan import plan, tenant_plan  # noqa: E402

HOSTS = ("h1", "h2")
BLUE = "90-netfabric-tenant-blue.conflist"
RED = "90-netfabric-tenant-red.conflist"
UNDERLAY = "90-netfabric-underlay.conflist"


@pytest.fixture(scope="module")
def fabric(tmp_path_factory):
    """The converged lab: {prefix, inventory, root, ns(host), conf(host, file), first: first run's changes}."""
    missing = [path for path in (CNI_PATH + "/bridge", CNI_PATH + "/host-local") if not os.access(path, os.X_OK)]
    if missing:
        pytest.fail("CNI plugins missing (%s): apt-get install containernetworking-plugins (make deps does)"
                    % ", ".join(missing))
    prefix = PREFIX + "cn"
    root = tmp_path_factory.mktemp("cni")
    inventory = root / "inventory.yml"
    try:
        lab("up", "--hosts", "2", "--prefix", prefix, "--inventory", str(inventory))
        first, output = playbook(inventory, fabric_vars(root), "--diff")
        yield {"prefix": prefix, "inventory": inventory, "root": root, "first": first, "output": output, "added": {},
               "ns": lambda host: "%s-%s" % (prefix, host),
               "conf": lambda host, name: load(host_dir(root, host) / "net.d" / name)}
    finally:
        lab("down", "--prefix", prefix)


def expected_plans():
    """The plans the roles apply, computed here from the same inputs (lab hosts h1, h2 at .11/.12)."""
    overlay = tenant_plan(TENANTS, list(HOSTS), per_host=PER_HOST)
    underlay = plan("192.0.2.0/24", list(HOSTS), per_host=PER_HOST, gateway="192.0.2.1",
                    reserved=["192.0.2.11", "192.0.2.12"])
    return overlay, underlay


def plan_block(entry):
    out = set()
    for run in entry["ranges"]:
        first, last = int(ipaddress.ip_address(run["first"])), int(ipaddress.ip_address(run["last"]))
        out.update(ipaddress.ip_address(value) for value in range(first, last + 1))
    return out


def conflists(fabric, host):
    """The configuration lists in a host's CNI directory (podman adds its cni.lock there)."""
    return sorted(name for name in os.listdir(host_dir(fabric["root"], host) / "net.d") if name.endswith(".conflist"))


def test_first_run_writes_a_network_per_tenant_and_the_underlay(fabric):
    assert sorted(fabric["first"]) == ["h1", "h2"]
    assert all(count > 0 for count in fabric["first"].values())
    for host in HOSTS:   # --diff shows each new file's content
        assert "+++ after: %s" % (host_dir(fabric["root"], host) / "net.d" / BLUE) in fabric["output"]
    assert '+      "bridge": "brv100",' in fabric["output"]
    overlay, underlay = expected_plans()
    for host in HOSTS:
        assert conflists(fabric, host) == [BLUE, RED, UNDERLAY]
        for tenant in TENANTS:
            conf = fabric["conf"](host, "90-netfabric-tenant-%s.conflist" % tenant["name"])
            plugin = conf["plugins"][0]
            vtep_mtu = link(fabric["ns"](host), "vx%d" % tenant["vni"])["mtu"]
            assert (conf["cniVersion"], conf["name"], len(conf["plugins"])) == ("1.0.0", tenant["name"], 1)
            assert (plugin["type"], plugin["bridge"], plugin["mtu"]) == ("bridge", "brv%d" % tenant["vni"], vtep_mtu)
            assert (plugin["isGateway"], plugin["ipMasq"]) == (False, False)
            assert plugin["ipam"]["type"] == "host-local"
            assert plugin["ipam"]["dataDir"] == str(host_dir(fabric["root"], host) / "ipam")
            assert block_of(conf) == plan_block(overlay[tenant["name"]]["hosts"][host])
            assert len(block_of(conf)) == PER_HOST
            assert {r["gateway"] for r in plugin["ipam"]["ranges"][0]} == {overlay[tenant["name"]]["gateway"]}
        conf = fabric["conf"](host, UNDERLAY)
        assert conf["plugins"][0]["bridge"] == "br0"
        assert block_of(conf) == plan_block(underlay["hosts"][host])
        assert conf["plugins"][0]["ipam"]["routes"] == [{"dst": "0.0.0.0/0"}]
    for name in (BLUE, RED, UNDERLAY):
        assert not block_of(fabric["conf"]("h1", name)) & block_of(fabric["conf"]("h2", name)), name


def test_second_run_changes_nothing(fabric):
    changed, output = playbook(fabric["inventory"], fabric_vars(fabric["root"]))
    assert changed == {"h1": 0, "h2": 0}, output


def make_container(fabric, host, name):
    """An empty namespace as a runtime makes one (removed with the lab)."""
    ns = "%s-%s-%s" % (fabric["prefix"], host, name)
    subprocess.run(["ip", "netns", "add", ns], check=True)
    return ns


def add(fabric, host, network_file, name):
    """ADD container ``name`` on ``host``; returns (container netns, ADD result)."""
    ns = make_container(fabric, host, name)
    code, result = cni("ADD", fabric["conf"](host, network_file), fabric["ns"](host), ns, name)
    assert code == 0, result
    fabric["added"][name] = (ns, result)
    return ns, result


def stored(fabric, host, network):
    """host-local's reservations on ``host``: {address: container id}."""
    path = host_dir(fabric["root"], host) / "ipam" / network
    out = {}
    for entry in os.listdir(path) if path.is_dir() else []:
        try:
            address = ipaddress.ip_address(entry)
        except ValueError:
            continue   # lock, last_reserved_ip.0
        out[address] = (path / entry).read_text().splitlines()[0]
    return out


def test_cni_containers_of_a_tenant_reach_each_other_across_vxlan_only(fabric):
    blue1, res1 = add(fabric, "h1", BLUE, "b1")
    blue2, res2 = add(fabric, "h2", BLUE, "b2")
    addr1, addr2 = result_address(res1), result_address(res2)
    assert addr1.ip in block_of(fabric["conf"]("h1", BLUE))
    assert addr2.ip in block_of(fabric["conf"]("h2", BLUE))
    assert addrs_of(blue1) == [str(addr1)] and addrs_of(blue2) == [str(addr2)]
    assert link(blue1, "eth0")["mtu"] == link(fabric["ns"]("h1"), "vx100")["mtu"]
    tx_before = vxlan_tx(fabric["ns"]("h1"), "vx100")
    assert ping(blue1, addr2.ip) and ping(blue2, addr1.ip)
    assert vxlan_tx(fabric["ns"]("h1"), "vx100") >= tx_before + 3   # the requests left h1 through its VTEP

    red2, res3 = add(fabric, "h2", RED, "r2")
    assert result_address(res3).ip in block_of(fabric["conf"]("h2", RED))
    # Give the red container an address in blue's subnet too: only the separate bridge/VNI keeps it out.
    sh("ip", "addr", "add", "198.51.100.250/24", "dev", "eth0", ns=red2)
    assert not ping(red2, addr1.ip, count=1) and not ping(red2, addr2.ip, count=1)
    assert not ping(blue1, "198.51.100.250", count=1)


def addrs_of(ns):
    return ["%s/%s" % (a["local"], a["prefixlen"]) for entry in ip_json(ns, "addr", "show", "dev", "eth0")
            for a in entry["addr_info"] if a["family"] == "inet"]


def vxlan_tx(ns, dev):
    return ip_json(ns, "-s", "link", "show", "dev", dev)[0]["stats64"]["tx"]["packets"]


def test_check_passes_then_del_releases_the_address(fabric):
    conf, host_ns = fabric["conf"]("h1", BLUE), fabric["ns"]("h1")
    ns, result = fabric["added"]["b1"]
    assert stored(fabric, "h1", "blue") == {result_address(result).ip: "b1"}
    # A runtime passes the cached ADD result as prevResult.
    code, out = cni("CHECK", conf, host_ns, ns, "b1", prev=result)
    assert code == 0, out
    # CHECK really checks: the same result claimed by a container id that holds no address fails.
    code, out = cni("CHECK", conf, host_ns, ns, "other", prev=result)
    assert code != 0 and out and out.get("code"), out

    code, out = cni("DEL", conf, host_ns, ns, "b1", prev=result)
    assert code == 0, out
    assert stored(fabric, "h1", "blue") == {}
    assert link(ns, "eth0") is None


def test_twenty_adds_stay_in_the_block_and_one_more_fails_cleanly(fabric):
    host_ns = fabric["ns"]("h1")
    conf = fabric["conf"]("h1", BLUE)
    block = block_of(conf)
    assert len(block) == PER_HOST == 20
    seen = {}
    for index in range(PER_HOST):
        seen["n%d" % index] = result_address(add(fabric, "h1", BLUE, "n%d" % index)[1]).ip
    assert set(seen.values()) == block                 # 20 distinct addresses, every one inside h1's block
    ns = make_container(fabric, "h1", "over")
    code, out = cni("ADD", conf, host_ns, ns, "over")
    assert code != 0 and out["code"] and "no IP addresses available" in out["msg"], out
    assert set(stored(fabric, "h1", "blue")) == block   # the failure took nothing
    assert cni("DEL", conf, host_ns, ns, "over")[0] == 0   # a runtime cleans up a failed ADD with DEL
    for cid in seen:
        code, out = cni("DEL", conf, host_ns, "%s-h1-%s" % (fabric["prefix"], cid), cid)
        assert code == 0, out
    assert stored(fabric, "h1", "blue") == {}
    assert not [entry for entry in ip_json(host_ns, "link", "show", "master", "brv100")
                if entry["ifname"] != "vx100"]


def test_underlay_network_gives_host_block_and_default_route(fabric):
    under1, res1 = add(fabric, "h1", UNDERLAY, "u1")
    under2, res2 = add(fabric, "h2", UNDERLAY, "u2")
    assert result_address(res1).ip in block_of(fabric["conf"]("h1", UNDERLAY))
    assert result_address(res2).ip in block_of(fabric["conf"]("h2", UNDERLAY))
    default = [r for r in ip_json(under1, "route", "show") if r["dst"] == "default"]
    assert [r["gateway"] for r in default] == ["192.0.2.1"]
    assert ping(under1, result_address(res2).ip) and ping(under1, "192.0.2.1")
    for host, ns, cid in (("h1", under1, "u1"), ("h2", under2, "u2")):
        assert cni("DEL", fabric["conf"](host, UNDERLAY), fabric["ns"](host), ns, cid)[0] == 0


@pytest.fixture
def podman(fabric):
    """{host: Podman} for h1 and h2 on their generated CNI directories, and a busybox rootfs; containers and
    storage removed at teardown, before the lab goes."""
    if shutil.which("podman") is None or shutil.which("runc") is None:
        pytest.fail("podman/runc missing: apt-get install podman (make deps does)")
    work = Path(tempfile.mkdtemp(prefix=PREFIX + "pm", dir="/tmp"))   # podman: runroot under 50 characters
    engines = {host: Podman(fabric["ns"](host), host_dir(fabric["root"], host) / "net.d", work / host)
               for host in HOSTS}
    try:
        yield engines, busybox_rootfs(work / "rootfs")
    finally:
        for engine in engines.values():
            engine.cleanup()
        shutil.rmtree(work, ignore_errors=True)


def test_podman_containers_join_their_tenant_across_hosts(fabric, podman):
    engines, rootfs = podman
    before = stored(fabric, "h2", "blue")
    server = PREFIX + "cnsrv"
    engines["h2"]("run", "--detach", "--name", server, "--network", "blue", "--rootfs", str(rootfs), "sleep", "120")
    address = ipaddress.ip_address(engines["h2"]("inspect", "--format", "{{.NetworkSettings.Networks.blue.IPAddress}}",
                                                 server).stdout.strip())
    assert address in block_of(fabric["conf"]("h2", BLUE))
    assert stored(fabric, "h2", "blue")[address] != ""   # host-local on h2's own state directory holds it

    probe = engines["h1"]("run", "--rm", "--network", "blue", "--rootfs", str(rootfs), "sh", "-c",
                          "ip -4 addr show eth0; ping -c 3 -W 1 -w 6 %s" % address, check=False)
    own = ipaddress.ip_interface(probe.stdout.split("inet ", 1)[1].split()[0])
    assert own.ip in block_of(fabric["conf"]("h1", BLUE)), probe.stdout
    assert probe.returncode == 0 and "3 packets received" in probe.stdout, probe.stdout + probe.stderr
    assert stored(fabric, "h1", "blue") == {}   # --rm: podman's DEL released h1's address

    # A red container, even with an address in blue's subnet, cannot reach it: another bridge, another VNI.
    other = engines["h1"]("run", "--rm", "--cap-add", "NET_ADMIN", "--network", "red", "--rootfs", str(rootfs),
                          "sh", "-c", "ip addr add 198.51.100.251/24 dev eth0 && ping -c 2 -W 1 -w 4 %s" % address,
                          check=False)
    assert other.returncode != 0 and "0 packets received" in other.stdout, other.stdout + other.stderr

    engines["h2"]("rm", "--force", "--time", "0", server)
    assert stored(fabric, "h2", "blue") == before


def test_removing_a_tenant_removes_its_file_check_mode_first(fabric):
    only_blue = fabric_vars(fabric["root"], tenants=[TENANTS[0]])
    foreign = host_dir(fabric["root"], "h1") / "net.d" / "10-someone-else.conflist"
    foreign.write_text("{}")   # not this role's: must survive the clean-up
    changed, output = playbook(fabric["inventory"], only_blue, "--check", "--diff")
    assert changed == {"h1": 1, "h2": 1}, output
    for host in HOSTS:
        removal = '"path": "%s",\n-    "state": "file"\n+    "state": "absent"' % (host_dir(fabric["root"], host) / "net.d" / RED)
        assert removal in output, output
        assert (host_dir(fabric["root"], host) / "net.d" / RED).exists()   # check mode changed nothing
    changed, output = playbook(fabric["inventory"], only_blue)
    assert changed == {"h1": 1, "h2": 1}, output
    for host in HOSTS:
        assert conflists(fabric, host) == ([foreign.name] if host == "h1" else []) + [BLUE, UNDERLAY]
    changed, output = playbook(fabric["inventory"], only_blue)
    assert changed == {"h1": 0, "h2": 0}, output
