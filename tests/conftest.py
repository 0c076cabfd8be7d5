"""Shared fixtures: throwaway network namespaces, independent state dumps, and a module runner.

Every namespace a test creates carries the session prefix (``nft`` + 5 hex digits) so a parallel or
later run never collides with it, and is deleted at teardown even when the test fails.
"""
import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
COLLECTIONS = REPO / ".build" / "collections"
MODULES = REPO / "plugins" / "modules"
PREFIX = "nft" + secrets.token_hex(3)[:5]


def sh(*argv, ns=None, check=True):
    """Run a command (optionally inside netns ``ns``) and return its stdout as text."""
    cmd = (["ip", "netns", "exec", ns] if ns else []) + list(argv)
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=False)
    if check and proc.returncode != 0:
        raise AssertionError("%s failed (%d): %s" % (" ".join(cmd), proc.returncode, proc.stderr))
    return proc.stdout


def ip_json(ns, *argv):
    """``ip -j ARGS`` inside ``ns``, parsed: the independent view of state the tests compare to."""
    out = sh("ip", "-j", *argv, ns=ns)
    return json.loads(out) if out.strip() else []


def link(ns, name):
    """``ip -j -d link show NAME`` as a dict, or None when the link does not exist."""
    proc = subprocess.run(["ip", "-n", ns, "-j", "-d", "link", "show", "dev", name],
                          capture_output=True, text=True, timeout=30, check=False)
    return json.loads(proc.stdout)[0] if proc.returncode == 0 else None


def addrs(ns, name):
    """The CIDRs on link NAME (both families, link-local excluded), sorted."""
    data = ip_json(ns, "addr", "show", "dev", name)
    return sorted("%s/%s" % (a["local"], a["prefixlen"]) for entry in data
                  for a in entry.get("addr_info", []) if a.get("scope") != "link")


def fdb(ns, dev):
    """``bridge -j fdb show dev DEV`` parsed."""
    out = sh("bridge", "-j", "fdb", "show", "dev", dev, ns=ns)
    return json.loads(out) if out.strip() else []


def dump_state(*namespaces):
    """Everything a module could change, per namespace, as text: compare before/after byte by byte.

    Counters and ageing timers change on their own, so ``-s`` is not used and timers are dropped.
    """
    parts = []
    for ns in namespaces:
        links = ip_json(ns, "-d", "link", "show")
        for entry in links:
            info = entry.get("linkinfo", {})
            for key in ("hello_timer", "tcn_timer", "topology_change_timer", "gc_timer"):
                info.get("info_data", {}).pop(key, None)
            for key in ("forward_delay_timer", "hold_timer", "message_age_timer"):
                info.get("info_slave_data", {}).pop(key, None)
        parts.append(("link", ns, links))
        parts.append(("addr", ns, ip_json(ns, "addr", "show")))
        parts.append(("route", ns, ip_json(ns, "route", "show", "table", "all")))
        parts.append(("route6", ns, ip_json(ns, "-6", "route", "show", "table", "all")))
        fdb_out = sh("bridge", "-j", "fdb", "show", ns=ns)
        parts.append(("fdb", ns, json.loads(fdb_out) if fdb_out.strip() else []))
    return json.dumps(parts, sort_keys=True, indent=1)


@pytest.fixture
def make_netns():
    """Factory: ``make_netns('h1')`` creates ``<prefix>-h1`` with lo up; all are removed at teardown."""
    created = []

    def factory(suffix):
        name = "%s-%s" % (PREFIX, suffix)
        subprocess.run(["ip", "netns", "add", name], check=True)
        created.append(name)
        sh("ip", "link", "set", "lo", "up", ns=name)
        return name

    yield factory
    for name in reversed(created):
        subprocess.run(["ip", "netns", "del", name], capture_output=True, check=False)


@pytest.fixture
def ns(make_netns):
    """One throwaway namespace."""
    return make_netns("t")


def veth(ns_name, a, b, peer_ns=None, up=True):
    """Create veth a<->b in ns (b optionally moved to peer_ns): the tests' stand-in for a NIC."""
    cmd = ["ip", "-n", ns_name, "link", "add", a, "type", "veth", "peer", "name", b]
    if peer_ns:
        cmd += ["netns", peer_ns]
    subprocess.run(cmd, check=True)
    if up:
        subprocess.run(["ip", "-n", ns_name, "link", "set", a, "up"], check=True)
        subprocess.run(["ip", "-n", peer_ns or ns_name, "link", "set", b, "up"], check=True)


def run_module(module, args, check_mode=False, diff=True):
    """Run ``plugins/modules/<module>.py`` as Ansible would (args file), return the result dict.

    A subprocess per call: the module sees a fresh interpreter, exactly as on a managed host.
    """
    payload = dict(args)
    payload["_ansible_check_mode"] = check_mode
    payload["_ansible_diff"] = diff
    env = dict(os.environ, PYTHONPATH=str(COLLECTIONS))
    proc = subprocess.run([sys.executable, str(MODULES / (module + ".py"))],
                          input=json.dumps({"ANSIBLE_MODULE_ARGS": payload}),
                          capture_output=True, text=True, env=env, timeout=120, check=False)
    try:
        result = json.loads(proc.stdout)
    except ValueError:
        raise AssertionError("module %s printed no JSON (rc=%d)\nstdout:%s\nstderr:%s"
                             % (module, proc.returncode, proc.stdout, proc.stderr))
    result["rc"] = proc.returncode
    return result


def _link_collection():
    """Make ``ansible_collections.netfabric.core`` importable from the checkout (as ``make link``)."""
    target = COLLECTIONS / "ansible_collections" / "netfabric" / "core"
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        target.symlink_to(REPO)


_link_collection()


LAB = REPO / "lab" / "lab.py"


@pytest.fixture
def make_lab(tmp_path):
    """Factory: ``make_lab(3, 'ad')`` builds a lab ``<PREFIX>ad`` of 3 hosts, returns (prefix, inventory).

    The lab is removed at teardown, also when the test fails.
    """
    built = []

    def factory(hosts, suffix):
        prefix = PREFIX + suffix
        inventory = tmp_path / ("%s.yml" % prefix)
        built.append(prefix)
        subprocess.run([sys.executable, str(LAB), "up", "--hosts", str(hosts), "--prefix", prefix,
                        "--inventory", str(inventory)], check=True, capture_output=True, timeout=120)
        return prefix, inventory

    yield factory
    for prefix in built:
        subprocess.run([sys.executable, str(LAB), "down", "--prefix", prefix], capture_output=True, timeout=120,
                       check=False)


def ansible_env(**extra):
    """Environment for ansible CLIs run by tests: the checkout's collection, no colour, no cows."""
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(COLLECTIONS), ANSIBLE_NOCOLOR="1",
               ANSIBLE_HOST_KEY_CHECKING="False", ANSIBLE_DEPRECATION_WARNINGS="False",
               ANSIBLE_NOCOWS="1", ANSIBLE_RETRY_FILES_ENABLED="False")
    env.update(extra)
    return env


def ansible_bin(name):
    return str(Path(sys.executable).parent / name)
