"""Shared fixtures: throwaway network namespaces, independent state dumps, and a module runner.

Every namespace a test creates carries the session prefix (``nft`` + 5 hex digits) so a parallel or
later run never collides with it, and is deleted at teardown even when the test fails.
"""
import contextlib
import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
COLLECTIONS = REPO / ".build" / "collections"
MODULES = REPO / "plugins" / "modules"
PREFIX = "nft" + secrets.token_hex(3)[:5]


def pytest_make_parametrize_id(config, val, argname):
    """Test IDs without the random prefix: pytest-xdist needs every worker to collect the same IDs."""
    if isinstance(val, str) and PREFIX in val:
        return val.replace(PREFIX, "<prefix>")
    return None


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


def settle(*namespaces, seconds=10):
    """Wait until IPv6 duplicate address detection is over everywhere: until then the kernel itself
    changes addresses (``tentative``) and routes (local fe80:: routes appear), and dumps differ."""
    import time
    deadline = time.monotonic() + seconds
    while any(a.get("tentative") for ns in namespaces for entry in ip_json(ns, "addr", "show")
              for a in entry.get("addr_info", [])):
        if time.monotonic() > deadline:
            raise AssertionError("IPv6 addresses still tentative after %d s" % seconds)
        time.sleep(0.2)


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
        # Entries a bridge or a learning VTEP learned from traffic (state "") come and go with the traffic
        # and age out: not state.
        entries = json.loads(fdb_out) if fdb_out.strip() else []
        parts.append(("fdb", ns, [e for e in entries if e.get("state")]))
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


def assert_ok(result, changed):
    """The module succeeded and reported ``changed`` as expected."""
    assert result["rc"] == 0 and not result.get("failed"), result
    assert result["changed"] is changed, result


def assert_failed_cleanly(result, option, value, before, after):
    """rc != 0, ``failed``, the message names the option and shows the bad value, and nothing changed."""
    assert result["rc"] != 0 and result.get("failed") is True, result
    msg = result["msg"]
    assert option in msg, "message does not name %r: %s" % (option, msg)
    assert str(value) in msg or repr(value) in msg, "message does not show the value %r: %s" % (value, msg)
    assert before == after, "the failed run changed the namespace state"


def _link_collection():
    """Make ``ansible_collections.netfabric.core`` importable from the checkout (as ``make link``)."""
    target = COLLECTIONS / "ansible_collections" / "netfabric" / "core"
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        target.symlink_to(REPO)


_link_collection()
# Tests import the collection's plugins as Ansible does, through the ansible_collections package.
if str(COLLECTIONS) not in sys.path:
    sys.path.insert(0, str(COLLECTIONS))


LAB = REPO / "lab" / "lab.py"


@contextlib.contextmanager
def built_lab(hosts, prefix, inventory):
    """A lab of ``hosts`` namespace hosts named ``prefix-*``, removed on leaving, also after a failure."""
    try:
        subprocess.run([sys.executable, str(LAB), "up", "--hosts", str(hosts), "--prefix", prefix,
                        "--inventory", str(inventory)], check=True, capture_output=True, timeout=120)
        yield prefix
    finally:
        subprocess.run([sys.executable, str(LAB), "down", "--prefix", prefix], capture_output=True, timeout=120,
                       check=False)


# The demo's fabric (lab/demo-vars.yml): tenants blue/100 and red/200, containers c1 (blue) and c2 (red)
# on every host, each with an underlay and an overlay interface.
FABRIC_VARS = {"underlay_netns_prefix": "{{ ansible_host }}-", "overlay_netns_prefix": "{{ ansible_host }}-",
               "underlay_containers": [{"name": "c1"}, {"name": "c2"}],
               "overlay_containers": [{"name": "c1", "tenant": "blue"}, {"name": "c2", "tenant": "red"}],
               "overlay_tenants": [{"name": "blue", "vni": 100, "subnet": "198.51.100.0/24"},
                                   {"name": "red", "vni": 200, "subnet": "203.0.113.0/24"}]}


def lab_namespaces(prefix):
    """Every namespace of a lab (hosts, switch, containers), sorted."""
    out = sh("ip", "netns", "list")
    return sorted(line.split()[0] for line in out.splitlines() if line.startswith(prefix + "-"))


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


RECAP = re.compile(r"^(\S+)\s+: ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.M)


def run_playbook(inventory, playbook, *args, extra_vars=None, timeout=900):
    """``ansible-playbook`` on a checkout playbook; returns (process, {host: {ok, changed, failed}})."""
    argv = [ansible_bin("ansible-playbook"), "-i", str(inventory), str(REPO / "playbooks" / playbook)]
    if extra_vars:
        argv += ["-e", json.dumps(extra_vars)]
    proc = subprocess.run(argv + list(args), capture_output=True, text=True, env=ansible_env(), timeout=timeout,
                          check=False)
    recap = {host: {"ok": int(ok), "changed": int(changed), "unreachable": int(unreach), "failed": int(failed)}
             for host, ok, changed, unreach, failed in RECAP.findall(proc.stdout)}
    return proc, recap


def lab_inventory(lab_yaml, hosts, path):
    """Write an inventory holding only ``hosts`` of a lab inventory (a fleet that grows or shrinks)."""
    import yaml
    data = yaml.safe_load(Path(lab_yaml).read_text())
    fabric = data["all"]["children"]["fabric"]
    fabric["hosts"] = dict((name, fabric["hosts"][name]) for name in hosts)
    Path(path).write_text(yaml.safe_dump(data, sort_keys=False))
    return path
