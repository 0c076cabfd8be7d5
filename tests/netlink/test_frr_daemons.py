"""netfabric.core.frr_daemons with the real FRR in a throwaway namespace (pathspace = the namespace name).

The module runs inside the namespace (``ip netns exec``), as the netns connection plugin runs it on a lab
host. Judged by the processes themselves (/proc: name, ``-N`` argument, network namespace) and vtysh.
Every daemon is stopped by its pid file at teardown, also after a failure.
"""
import json
import os
import subprocess
import sys

import pytest

from conftest import COLLECTIONS, MODULES, PREFIX
from evpn_helpers import daemon_pids, stop_frr

CONFIG = "frr defaults traditional\nhostname t\n!\nrouter bgp 65000\n bgp router-id 192.0.2.99\nexit\n!\n"


@pytest.fixture
def pathspace(ns):
    """The namespace's FRR pathspace, with a configuration file; all daemons stopped afterwards."""
    confdir = "/etc/frr/" + ns
    os.makedirs(confdir)
    with open(confdir + "/frr.conf", "w") as out:
        out.write(CONFIG)
    try:
        yield ns
    finally:
        stop_frr(PREFIX)


def frr_daemons(ns, check_mode=False, **args):
    payload = dict(args, _ansible_check_mode=check_mode, _ansible_diff=True)
    proc = subprocess.run(["ip", "netns", "exec", ns, sys.executable, str(MODULES / "frr_daemons.py")],
                          input=json.dumps({"ANSIBLE_MODULE_ARGS": payload}), capture_output=True, text=True,
                          env=dict(os.environ, PYTHONPATH=str(COLLECTIONS)), timeout=120, check=False)
    result = json.loads(proc.stdout)
    result["rc"] = proc.returncode
    return result


def process_facts(pid):
    """(program, -N argument, network namespace) of a process, from /proc."""
    with open("/proc/%d/cmdline" % pid, "rb") as handle:
        argv = handle.read().decode().split("\0")
    return os.path.basename(argv[0]), argv[argv.index("-N") + 1], os.readlink("/proc/%d/ns/net" % pid)


def netns_id(ns):
    return os.readlink("/proc/self/ns/net") if ns is None else subprocess.run(
        ["ip", "netns", "exec", ns, "readlink", "/proc/self/ns/net"], capture_output=True, text=True,
        check=True).stdout.strip()


def test_start_rerun_restart_stop(pathspace):
    result = frr_daemons(pathspace, check_mode=True, pathspace=pathspace)
    assert result["rc"] == 0 and result["changed"] and not daemon_pids(pathspace), result
    result = frr_daemons(pathspace, pathspace=pathspace)
    assert result["rc"] == 0 and result["changed"], result
    pids = daemon_pids(pathspace)
    assert sorted(pids) == ["bgpd", "zebra"] and result["pids"] == pids
    for name, pid in pids.items():
        assert process_facts(pid) == (name, pathspace, netns_id(pathspace))
    running = subprocess.run(["ip", "netns", "exec", pathspace, "vtysh", "-N", pathspace, "-c", "show running-config"],
                             capture_output=True, text=True, timeout=30, check=True).stdout
    assert "bgp router-id 192.0.2.99" in running, running  # bgpd read the pathspace's configuration
    result = frr_daemons(pathspace, pathspace=pathspace)
    assert result["rc"] == 0 and not result["changed"] and daemon_pids(pathspace) == pids, result
    result = frr_daemons(pathspace, pathspace=pathspace, state="restarted")
    assert result["rc"] == 0 and result["changed"]
    restarted = daemon_pids(pathspace)
    assert sorted(restarted) == ["bgpd", "zebra"] and not set(restarted.values()) & set(pids.values())
    result = frr_daemons(pathspace, pathspace=pathspace, state="stopped")
    assert result["rc"] == 0 and result["changed"] and not daemon_pids(pathspace), result
    assert not frr_daemons(pathspace, pathspace=pathspace, state="stopped")["changed"]


def test_stale_pid_file_is_not_a_running_daemon(pathspace):
    """A pid file naming another process (a recycled pid) must not pass for zebra: zebra is started."""
    os.makedirs("/var/run/frr/" + pathspace, exist_ok=True)
    other = subprocess.Popen(["ip", "netns", "exec", pathspace, "sleep", "60"])
    try:
        with open("/var/run/frr/%s/zebra.pid" % pathspace, "w") as out:
            out.write(str(other.pid))
        result = frr_daemons(pathspace, pathspace=pathspace, daemons=["zebra"])
        assert result["rc"] == 0 and result["changed"], result
        assert process_facts(daemon_pids(pathspace)["zebra"])[0] == "zebra"
    finally:
        other.kill()
        other.wait()


@pytest.mark.parametrize("args, option, value", [
    ({"pathspace": "../etc"}, "pathspace", "../etc"),
    ({"config": "/nonexistent/frr.conf"}, "config", "/nonexistent/frr.conf"),
    ({"bindir": "/nonexistent"}, "bindir", "/nonexistent"),
    ({"user": "nosuchuser"}, "user", "nosuchuser"),
])
def test_bad_input_fails_before_starting_anything(pathspace, args, option, value):
    result = frr_daemons(pathspace, **dict({"pathspace": pathspace}, **args))
    assert result["rc"] != 0 and option in result["msg"] and value in result["msg"], result
    assert not daemon_pids(pathspace) and not os.path.exists("/var/run/frr/" + pathspace)
