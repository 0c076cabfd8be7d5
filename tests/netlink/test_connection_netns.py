"""The ``netfabric.core.netns`` connection plugin, driven by the real ``ansible`` CLI against a lab/lab.py lab.

Proves that tasks run inside the host's namespace (each host reports its own eth0 address and only its own
interfaces), that file transfer works both ways (copy/slurp/fetch), with and without pipelining, and that a
missing or invalid namespace fails the host with a message naming it -- without creating anything.
"""
import base64
import json
import os
import subprocess
import sys
import textwrap

import pytest

from conftest import COLLECTIONS, PREFIX, REPO, ansible_bin

LAB = REPO / "lab" / "lab.py"
ANSIBLE = ansible_bin("ansible")
MARK = "NFRESULT "

# A minimal stdout callback: one line "NFRESULT {host, status, result}" per task result, for exact parsing.
CALLBACK = textwrap.dedent('''
    from __future__ import annotations

    import json

    from ansible.plugins.callback import CallbackBase

    DOCUMENTATION = """
    name: nfresults
    type: stdout
    short_description: one JSON line per result (netfabric tests)
    description: [one JSON line per result]
    """


    class CallbackModule(CallbackBase):
        CALLBACK_VERSION = 2.0
        CALLBACK_TYPE = "stdout"
        CALLBACK_NAME = "nfresults"

        def _emit(self, result, status):
            line = json.dumps({"host": result.host.get_name(), "status": status, "result": dict(result.result)},
                              default=str, sort_keys=True)
            self._display.display("%s%s" % ({mark!r}, line))

        def v2_runner_on_ok(self, result):
            self._emit(result, "ok")

        def v2_runner_on_failed(self, result, ignore_errors=False):
            self._emit(result, "failed")

        def v2_runner_on_unreachable(self, result):
            self._emit(result, "unreachable")

        def v2_runner_on_skipped(self, result):
            self._emit(result, "skipped")
''').replace("{mark!r}", repr(MARK))


def netns_list():
    return set(os.listdir("/run/netns")) if os.path.isdir("/run/netns") else set()


def lab(*args):
    proc = subprocess.run([sys.executable, str(LAB)] + list(args), capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, "lab.py %s failed:\n%s%s" % (" ".join(args), proc.stdout, proc.stderr)
    return proc


@pytest.fixture(scope="module")
def fabric(tmp_path_factory):
    """A 2-host lab plus an extra inventory host ``ghost`` whose namespace does not exist."""
    prefix = PREFIX + "cn"
    work = tmp_path_factory.mktemp("netns-conn")
    (work / "callback").mkdir()
    (work / "callback" / "nfresults.py").write_text(CALLBACK)
    inventory = work / "lab.yml"
    ghost = prefix + "-ghost"
    (work / "ghost.ini").write_text(
        "[ghosts]\nghost ansible_host=%s\n[ghosts:vars]\nansible_connection=netfabric.core.netns\n"
        "ansible_python_interpreter=%s\n" % (ghost, sys.executable))
    try:
        lab("up", "--hosts", "2", "--prefix", prefix, "--inventory", str(inventory))
        yield {"prefix": prefix, "work": work, "inventory": inventory, "ghost": ghost}
    finally:
        subprocess.run([sys.executable, str(LAB), "down", "--prefix", prefix], capture_output=True, timeout=120, check=False)
        for name in netns_list():
            if name.startswith(prefix + "-"):
                subprocess.run(["ip", "netns", "del", name], capture_output=True, check=False)


def ansible(fabric, pattern, module, args=None, extra=(), env=None, inventories=None):
    """Run the ansible CLI; return (proc, {host: (status, result)})."""
    cmd = [str(ANSIBLE)]
    for inv in inventories or [fabric["inventory"]]:
        cmd += ["-i", str(inv)]
    cmd += [pattern, "-m", module]
    if args is not None:
        cmd += ["-a", args]
    cmd += list(extra)
    full_env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(COLLECTIONS), ANSIBLE_HOST_KEY_CHECKING="False",
                    ANSIBLE_NOCOLOR="1", ANSIBLE_LOAD_CALLBACK_PLUGINS="1", ANSIBLE_STDOUT_CALLBACK="nfresults",
                    ANSIBLE_CALLBACK_PLUGINS=str(fabric["work"] / "callback"), ANSIBLE_DEPRECATION_WARNINGS="False",
                    ANSIBLE_LOCAL_TEMP=str(fabric["work"] / "tmp"))
    full_env.pop("ANSIBLE_PIPELINING", None)
    full_env.update(env or {})
    proc = subprocess.run(cmd, capture_output=True, text=True, env=full_env, timeout=300, check=False)
    results = {}
    for line in proc.stdout.splitlines():
        if line.startswith(MARK):
            data = json.loads(line[len(MARK):])
            results[data["host"]] = (data["status"], data["result"])
    return proc, results


def expect_ok(proc, results, hosts):
    assert sorted(results) == sorted(hosts), "rc=%d\nstdout:%s\nstderr:%s" % (proc.returncode, proc.stdout, proc.stderr)
    for host in hosts:
        assert results[host][0] == "ok", "%s: %s\nstderr:%s" % (host, results[host], proc.stderr)
    assert proc.returncode == 0, proc.stderr


def eth0_inet(stdout):
    data = json.loads(stdout)
    assert len(data) == 1 and data[0]["ifname"] == "eth0"
    return [a["local"] for a in data[0]["addr_info"] if a["family"] == "inet"]


@pytest.mark.parametrize("pipelining", ["True", "False"])
def test_command_runs_in_each_hosts_namespace(fabric, pipelining):
    proc, results = ansible(fabric, "all", "ansible.builtin.command", "ip -j addr show eth0",
                            env={"ANSIBLE_PIPELINING": pipelining})
    expect_ok(proc, results, ["h1", "h2"])
    assert eth0_inet(results["h1"][1]["stdout"]) == ["192.0.2.11"]
    assert eth0_inet(results["h2"][1]["stdout"]) == ["192.0.2.12"]


def test_pipelining_is_default_and_skips_file_transfer(fabric):
    proc, results = ansible(fabric, "h1", "ansible.builtin.command", "true", extra=["-vvv"])
    expect_ok(proc, results, ["h1"])
    assert "netns exec %s-h1" % fabric["prefix"] in proc.stdout
    assert "PUT " not in proc.stdout  # the module went through stdin
    proc, results = ansible(fabric, "h1", "ansible.builtin.command", "true", extra=["-vvv"],
                            env={"ANSIBLE_PIPELINING": "False"})
    expect_ok(proc, results, ["h1"])
    assert "PUT " in proc.stdout


def test_shell_quoting_survives_the_wrapper(fabric):
    script = "printf '%s|' \"a b\" 'c\"d' $((6*7)) \"$(ip -o -4 addr show eth0 | awk '{print $4}')\""
    proc, results = ansible(fabric, "h2", "ansible.builtin.shell", script)
    expect_ok(proc, results, ["h2"])
    assert results["h2"][1]["stdout"] == 'a b|c"d|42|192.0.2.12/24|'


def test_network_facts_are_the_namespaces(fabric):
    proc, results = ansible(fabric, "all", "ansible.builtin.setup", "gather_subset=network")
    expect_ok(proc, results, ["h1", "h2"])
    for host, addr in (("h1", "192.0.2.11"), ("h2", "192.0.2.12")):
        facts = results[host][1]["ansible_facts"]
        assert facts["ansible_default_ipv4"]["address"] == addr
        assert facts["ansible_default_ipv4"]["gateway"] == "192.0.2.1"
        assert facts["ansible_default_ipv4"]["interface"] == "eth0"
        # /sys is remounted by ip netns exec: the interface list is the namespace's, not the machine's
        assert sorted(facts["ansible_interfaces"]) == ["eth0", "lo"]


def test_copy_slurp_fetch_round_trip(fabric, tmp_path):
    dest = tmp_path / "files"
    dest.mkdir()
    content = "netfabric {{ inventory_hostname }} {{ ansible_host }}\n"
    proc, results = ansible(fabric, "all", "ansible.builtin.copy",
                            "content='%s' dest=%s/{{ inventory_hostname }}.txt mode=0600" % (content, dest))
    expect_ok(proc, results, ["h1", "h2"])
    assert all(results[h][1]["changed"] for h in ("h1", "h2"))
    for host in ("h1", "h2"):
        assert (dest / ("%s.txt" % host)).read_text() == "netfabric %s %s-%s\n" % (host, fabric["prefix"], host)
    # copy of a controller file (put_file with a real source), pipelining off so the module is put as well
    src = tmp_path / "src.bin"
    src.write_bytes(bytes(range(256)) * 64)
    proc, results = ansible(fabric, "all", "ansible.builtin.copy", "src=%s dest=%s/{{ inventory_hostname }}.bin" % (src, dest),
                            env={"ANSIBLE_PIPELINING": "False"})
    expect_ok(proc, results, ["h1", "h2"])
    assert (dest / "h1.bin").read_bytes() == src.read_bytes()
    # slurp reads it back through the module
    proc, results = ansible(fabric, "all", "ansible.builtin.slurp", "src=%s/{{ inventory_hostname }}.txt" % dest)
    expect_ok(proc, results, ["h1", "h2"])
    assert base64.b64decode(results["h2"][1]["content"]).decode() == "netfabric h2 %s-h2\n" % fabric["prefix"]
    # fetch uses the connection's fetch_file
    fetched = tmp_path / "fetched"
    proc, results = ansible(fabric, "all", "ansible.builtin.fetch", "src=%s/{{ inventory_hostname }}.bin dest=%s/" % (dest, fetched))
    expect_ok(proc, results, ["h1", "h2"])
    for host in ("h1", "h2"):
        got = fetched / host / str(dest).lstrip("/") / ("%s.bin" % host)
        assert got.read_bytes() == src.read_bytes()


def test_become_is_ignored(fabric):
    proc, results = ansible(fabric, "h1", "ansible.builtin.command", "id -u",
                            extra=["--become", "--become-method", "ansible.builtin.su", "--become-user", "nobody"])
    expect_ok(proc, results, ["h1"])
    assert results["h1"][1]["stdout"] == "0"


def test_netns_name_variable_overrides_ansible_host(fabric):
    proc, results = ansible(fabric, "h1", "ansible.builtin.command", "ip -j addr show eth0",
                            extra=["-e", "ansible_netns_name=%s-h2" % fabric["prefix"]])
    expect_ok(proc, results, ["h1"])
    assert eth0_inet(results["h1"][1]["stdout"]) == ["192.0.2.12"]


def test_missing_namespace_fails_and_is_not_created(fabric):
    ghost = fabric["ghost"]
    before = netns_list()
    assert ghost not in before
    proc, results = ansible(fabric, "all", "ansible.builtin.command", "ip -j addr show eth0",
                            inventories=[fabric["inventory"], fabric["work"] / "ghost.ini"])
    assert proc.returncode != 0
    assert results["ghost"][0] == "unreachable"
    msg = results["ghost"][1]["msg"]
    assert ghost in msg and "does not exist" in msg
    # the healthy hosts still ran
    assert results["h1"][0] == "ok" and results["h2"][0] == "ok"
    assert ghost not in netns_list()
    assert not os.path.exists("/run/netns/" + ghost)
    # Only this worker's namespaces: another pytest-xdist worker creates its own labs meanwhile.
    assert set(n for n in netns_list() - before if n.startswith(PREFIX)) == set()


@pytest.mark.parametrize("name", ["../../etc", ".", "a b"])
def test_invalid_namespace_name_is_refused(fabric, name):
    proc, results = ansible(fabric, "h1", "ansible.builtin.command", "true", extra=["-e", "ansible_netns_name='%s'" % name])
    assert proc.returncode != 0
    assert results["h1"][0] == "unreachable"
    assert "not a valid network namespace name" in results["h1"][1]["msg"]


def test_stale_namespace_file_is_named_not_a_deserialization_error(fabric):
    """A regular file in /run/netns (left by a failed ``ip netns add``, or a removed container's bind
    mount target) used to reach ``ip netns exec`` and come back as an unparsable module result."""
    stale = fabric["prefix"] + "-stale"
    path = "/run/netns/" + stale
    open(path, "w").close()
    try:
        proc, results = ansible(fabric, "h1", "ansible.builtin.command", "true", extra=["-e", "ansible_netns_name=%s" % stale])
        assert proc.returncode != 0
        assert results["h1"][0] == "unreachable", results
        msg = results["h1"][1]["msg"]
        assert "netns_name" in msg and stale in msg and "is not a network namespace" in msg, msg
        assert "deserializ" not in msg.lower() and "Traceback" not in msg
        assert os.path.isfile(path) and os.path.getsize(path) == 0, "the stale file was changed"
    finally:
        os.unlink(path)
