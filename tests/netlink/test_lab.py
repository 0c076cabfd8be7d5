"""lab/lab.py against real namespaces: topology, addressing, reachability, inventory, teardown.

Every lab here uses a prefix derived from the session PREFIX (``<PREFIX>lb`` ...), and every fixture deletes
whatever namespaces carry it at teardown, also when a test fails.
"""
import importlib.util
import json
import os
import subprocess
import sys

import pytest

from conftest import PREFIX, REPO, addrs, ansible_bin, ip_json, link, sh

LAB = REPO / "lab" / "lab.py"
ANSIBLE_INVENTORY = ansible_bin("ansible-inventory")


def lab(*args, check=True):
    proc = subprocess.run([sys.executable, str(LAB)] + list(args), capture_output=True, text=True, timeout=120, check=False)
    if check and proc.returncode != 0:
        raise AssertionError("lab.py %s failed (%d):\n%s%s" % (" ".join(args), proc.returncode, proc.stdout, proc.stderr))
    return proc


def netns_list():
    return set(os.listdir("/run/netns")) if os.path.isdir("/run/netns") else set()


def owned(prefix):
    return {name for name in netns_list() if name.startswith(prefix + "-")}


def force_down(prefix):
    """Teardown that does not trust lab.py: delete every ``prefix-*`` namespace directly."""
    lab("down", "--prefix", prefix, check=False)
    for name in owned(prefix):
        subprocess.run(["ip", "netns", "del", name], capture_output=True, check=False)


def load_lab_module():
    spec = importlib.util.spec_from_file_location("netfabric_lab", str(LAB))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def lab3(tmp_path_factory):
    prefix = PREFIX + "lb"
    inventory = tmp_path_factory.mktemp("lab") / "inventory.yml"
    try:
        lab("up", "--hosts", "3", "--prefix", prefix, "--inventory", str(inventory))
        yield {"prefix": prefix, "inventory": inventory, "hosts": ["%s-h%d" % (prefix, i) for i in (1, 2, 3)]}
    finally:
        force_down(prefix)
    assert not owned(prefix)


def test_namespaces_exist(lab3):
    p = lab3["prefix"]
    listed = sh("ip", "netns", "list")
    names = {line.split()[0] for line in listed.splitlines() if line.strip()}
    expected = {p + "-sw", p + "-h1", p + "-h2", p + "-h3"}
    assert expected <= names
    assert owned(p) == expected


def test_switch_bridge_and_gateway(lab3):
    sw = lab3["prefix"] + "-sw"
    br = link(sw, "br0")
    assert br is not None and br["linkinfo"]["info_kind"] == "bridge"
    assert addrs(sw, "br0") == ["192.0.2.1/24"]
    for i in (1, 2, 3):
        port = link(sw, "h%d" % i)
        assert port is not None, "switch port h%d missing" % i
        assert port["linkinfo"]["info_kind"] == "veth"
        assert port.get("master") == "br0"
        assert "UP" in port["flags"]
    assert "UP" in link(sw, "lo")["flags"]


@pytest.mark.parametrize("i", [1, 2, 3])
def test_host_uplink_address_and_route(lab3, i):
    ns = "%s-h%d" % (lab3["prefix"], i)
    eth0 = ip_json(ns, "addr", "show", "dev", "eth0")
    assert len(eth0) == 1 and "UP" in eth0[0]["flags"]
    inet = [a for a in eth0[0]["addr_info"] if a["family"] == "inet"]
    assert [(a["local"], a["prefixlen"]) for a in inet] == [("192.0.2.%d" % (10 + i), 24)]
    routes = ip_json(ns, "route", "show", "default")
    assert len(routes) == 1
    assert routes[0]["gateway"] == "192.0.2.1" and routes[0]["dev"] == "eth0"
    assert "UP" in link(ns, "lo")["flags"]
    # only lo and the uplink live in a host namespace
    assert sorted(entry["ifname"] for entry in ip_json(ns, "link", "show")) == ["eth0", "lo"]


def test_names_fit_ifnamsiz(lab3):
    for ns in [lab3["prefix"] + "-sw"] + lab3["hosts"]:
        for entry in ip_json(ns, "link", "show"):
            assert len(entry["ifname"]) <= 15


@pytest.mark.parametrize("target", ["192.0.2.13", "192.0.2.1"], ids=["h3", "gateway"])
def test_h1_pings(lab3, target):
    out = sh("ping", "-c", "2", "-W", "1", target, ns=lab3["prefix"] + "-h1")
    assert " 0% packet loss" in out


def test_inventory_parses(lab3):
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(REPO / ".build" / "collections"), ANSIBLE_NOCOLOR="1")
    proc = subprocess.run([str(ANSIBLE_INVENTORY), "-i", str(lab3["inventory"]), "--list"],
                          capture_output=True, text=True, env=env, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    inv = json.loads(proc.stdout)
    assert sorted(inv["fabric"]["hosts"]) == ["h1", "h2", "h3"]
    for i in (1, 2, 3):
        hv = inv["_meta"]["hostvars"]["h%d" % i]
        assert hv["ansible_host"] == "%s-h%d" % (lab3["prefix"], i)
        assert hv["ansible_connection"] == "netfabric.core.netns"
        assert hv["ansible_python_interpreter"] == sys.executable
        assert hv["netfabric_uplink"] == "eth0"
        assert hv["netfabric_underlay_address"] == "192.0.2.%d" % (10 + i)
        assert hv["netfabric_underlay_prefix"] == 24
        assert hv["netfabric_gateway"] == "192.0.2.1"


def test_status(lab3):
    proc = lab("status", "--prefix", lab3["prefix"], "--json")
    entries = {e["netns"]: e for e in json.loads(proc.stdout)}
    assert set(entries) == owned(lab3["prefix"])
    h2 = entries[lab3["prefix"] + "-h2"]
    assert h2["default_via"] == "192.0.2.1"
    assert h2["links"][0]["addresses"] == ["192.0.2.12/24"]


def test_ini_inventory_parses(tmp_path):
    mod = load_lab_module()
    path = mod.write_inventory(str(tmp_path / "inv.ini"), 2, "nfdummy", python="/usr/bin/python3")
    env = dict(os.environ, ANSIBLE_NOCOLOR="1")
    proc = subprocess.run([str(ANSIBLE_INVENTORY), "-i", path, "--list"], capture_output=True, text=True, env=env, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    inv = json.loads(proc.stdout)
    hv = inv["_meta"]["hostvars"]["h2"]
    assert hv["ansible_host"] == "nfdummy-h2"
    assert hv["netfabric_underlay_address"] == "192.0.2.12"
    assert hv["netfabric_underlay_prefix"] == 24
    assert hv["ansible_connection"] == "netfabric.core.netns"
    assert hv["ansible_python_interpreter"] == "/usr/bin/python3"


def test_plan_is_pure_and_dry_run_creates_nothing():
    mod = load_lab_module()
    steps = mod.plan_lab(16, "nfplan")
    assert len(steps) == 2 + 16  # namespaces, switch, one per host
    assert steps[0]["netns"] is None and len(steps[0]["batch"]) == 17
    assert [s["netns"] for s in steps[1:]] == ["nfplan-sw"] + ["nfplan-h%d" % i for i in range(1, 17)]
    prefix = PREFIX + "dr"
    proc = lab("up", "--hosts", "2", "--prefix", prefix, "--dry-run")
    assert "netns add %s-h2" % prefix in proc.stdout
    assert not owned(prefix)


@pytest.mark.parametrize("bad", ["", "a-b", "1ab", "a/b", "x" * 17])
def test_bad_prefix_rejected(bad):
    proc = lab("up", "--hosts", "1", "--prefix", bad, "--dry-run", check=False)
    assert proc.returncode != 0
    assert "prefix" in proc.stderr


def test_up_is_idempotent_and_down_removes_only_its_namespaces(make_netns, tmp_path):
    prefix = PREFIX + "re"
    # decoys: the session's own namespace and one whose name merely starts with the lab prefix
    decoy_session = make_netns("decoy")
    decoy_similar = prefix + "x-h1"
    subprocess.run(["ip", "netns", "add", decoy_similar], check=True)
    try:
        inv = tmp_path / "inv.yml"
        lab("up", "--hosts", "2", "--prefix", prefix, "--inventory", str(inv))
        first = owned(prefix)
        proc = lab("up", "--hosts", "2", "--prefix", prefix, "--inventory", str(inv))
        assert "removed old lab" in proc.stdout
        assert owned(prefix) == first == {prefix + "-sw", prefix + "-h1", prefix + "-h2"}
        assert addrs(prefix + "-h2", "eth0") == ["192.0.2.12/24"]
        # shrinking works too: up with fewer hosts leaves no stale host behind
        lab("up", "--hosts", "1", "--prefix", prefix, "--inventory", str(inv))
        assert owned(prefix) == {prefix + "-sw", prefix + "-h1"}
        lab("down", "--prefix", prefix)
        assert not owned(prefix)
        assert decoy_session in netns_list() and decoy_similar in netns_list()
        # down again is a no-op
        proc = lab("down", "--prefix", prefix)
        assert "removed 0 namespaces" in proc.stdout
    finally:
        force_down(prefix)
        subprocess.run(["ip", "netns", "del", decoy_similar], capture_output=True, check=False)


def test_failed_up_tears_down(monkeypatch, tmp_path, capsys):
    mod = load_lab_module()
    prefix = PREFIX + "fl"
    real_plan = mod.plan_lab

    def broken_plan(n, p):
        steps = real_plan(n, p)
        steps.insert(2, {"netns": p + "-sw", "batch": ["link add h1 type dummy"]})  # h1 already exists: fails
        return steps

    monkeypatch.setattr(mod, "plan_lab", broken_plan)
    try:
        rc = mod.main(["up", "--hosts", "2", "--prefix", prefix, "--inventory", str(tmp_path / "inv.yml")])
        assert rc == 1
        assert "command failed" in capsys.readouterr().err
        assert not owned(prefix)
        assert not (tmp_path / "inv.yml").exists()
    finally:
        force_down(prefix)
