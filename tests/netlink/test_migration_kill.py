"""bridge_port uplink migration killed (SIGKILL) at every step boundary and at random instants, under a
running ping from the host to its gateway (issue 14, class 5).

The migration runs: pin the bridge MAC, add each address to the bridge, then ONE sendmsg that enslaves
the uplink, moves every route and removes the uplink's addresses (the kernel runs a whole sendmsg
before a signal is acted on). So a kill leaves either the uplink untouched with copies of its addresses
on the bridge, or the migration complete: IPv4 to the gateway must never stop. Each case prints the
probes lost and the time a re-run takes to finish the migration; the report quotes them.

Kill points at step boundaries come from a wrapper that runs the real module with converge.apply_steps
wrapped to SIGKILL itself before step N (no hook in the module code); timed kills send SIGKILL from
outside after a delay.
"""
import os
import re
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from conftest import COLLECTIONS, MODULES, addrs, link, run_module, sh
# fixture: host eth0 -> gateway gw0, addresses and routes
from test_bridge_port import uplink  # noqa: F401  pylint: disable=unused-import
from test_bridge_port import ping, route_devs

ARGS = dict(bridge="br0", port="eth0", migrate_addresses=True)
PROBES, INTERVAL = 300, 0.01  # 3 s of probes, 10 ms apart
WRAPPER = textwrap.dedent('''
    import os, runpy, signal, sys
    sys.path.insert(0, %(collections)r)
    from ansible_collections.netfabric.core.plugins.module_utils import converge
    kill_before, steps_file = int(sys.argv[1]), sys.argv[2]

    def apply_then_die(steps):
        with open(steps_file, "w") as out:
            out.write("\\n".join(step.text for step in steps))
        for number, step in enumerate(steps):
            if number == kill_before:
                os.kill(os.getpid(), signal.SIGKILL)
            step.do()
        os.kill(os.getpid(), signal.SIGKILL)  # after the last step, before the read-back

    converge.apply_steps = apply_then_die
    sys.argv = [%(module)r]
    runpy.run_path(%(module)r, run_name="__main__")
''')
# The uplink fixture's migration: pin MAC, 3 addresses onto br0, the switch (enslave + 4 IPv4/IPv6 route
# moves + 3 address removals in one sendmsg). Kill point 5 = after the switch, before the read-back.
STEP_KILLS = [0, 1, 2, 3, 4, 5]
# Timed kills: after the first address shows up on br0 (the change window has opened), wait this long.
TIMED_KILLS = [0.0, 0.005, 0.01, 0.02, 0.04]


def ping_during(host, action):
    """Ping the gateway from the host while ``action()`` runs; returns (lost probes, action's value)."""
    pinger = subprocess.Popen(["ip", "netns", "exec", host, "ping", "-n", "-c", str(PROBES), "-i", str(INTERVAL),
                               "-W", "1", "192.0.2.1"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        time.sleep(0.3)
        value = action()
        out = pinger.communicate(timeout=60)[0]
    finally:
        if pinger.poll() is None:
            pinger.kill()
            pinger.wait()
    stats = re.search(r"(\d+) packets transmitted, (\d+) received", out)
    return int(stats.group(1)) - int(stats.group(2)), value


def run_killed_before(host, step, tmp_path):
    wrapper = tmp_path / "killed.py"
    wrapper.write_text(WRAPPER % {"collections": str(COLLECTIONS), "module": str(MODULES / "bridge_port.py")})
    steps_file = tmp_path / "steps.txt"
    payload = '{"ANSIBLE_MODULE_ARGS": %s}' % __import__("json").dumps(dict(ARGS, netns=host))
    proc = subprocess.run([sys.executable, str(wrapper), str(step), str(steps_file)], input=payload,
                          capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == -signal.SIGKILL, (proc.returncode, proc.stdout, proc.stderr)
    return steps_file.read_text().splitlines()


def run_killed_after(host, delay):
    """Start the module, wait until it has begun changing (an address on br0), then SIGKILL it after ``delay``."""
    payload = '{"ANSIBLE_MODULE_ARGS": %s}' % __import__("json").dumps(dict(ARGS, netns=host))
    proc = subprocess.Popen([sys.executable, str(MODULES / "bridge_port.py")], stdin=subprocess.PIPE,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True,
                            env=dict(os.environ, PYTHONPATH=str(COLLECTIONS)))
    proc.stdin.write(payload)
    proc.stdin.close()
    deadline = time.monotonic() + 20
    while proc.poll() is None and not addrs(host, "br0") and time.monotonic() < deadline:
        pass
    time.sleep(delay)
    if proc.poll() is None:
        proc.send_signal(signal.SIGKILL)
    return proc.wait(timeout=30)


def where(host):
    """Which phase the kill left: untouched, addresses copied to br0, or migrated."""
    if link(host, "eth0").get("master") == "br0":
        return "migrated" if not addrs(host, "eth0") else "ENSLAVED-WITH-ADDRESSES"
    return "copied-to-bridge" if addrs(host, "br0") else "untouched"


def still_reaches_gateway(host):
    """IPv4 to the gateway also once the neighbour entries expire: flushed here, as minutes later they would
    be. (An uplink enslaved with its routes still on it keeps working until then: its ARP entry for the
    gateway is valid, but a new ARP reply arrives on the bridge and never resolves the uplink's.)"""
    sh("ip", "neigh", "flush", "all", ns=host)
    return ping(host, "192.0.2.1")


def recover(host):
    """Re-run the module (what an operator or the next play does); returns its duration in seconds."""
    started = time.monotonic()
    result = run_module("bridge_port", dict(ARGS, netns=host))
    took = time.monotonic() - started
    assert result["rc"] == 0, result
    assert addrs(host, "eth0") == [] and addrs(host, "br0") == ["192.0.2.11/24", "192.0.2.12/24", "2001:db8::11/64"]
    assert route_devs(host)["default"] == "br0" and ping(host, "192.0.2.1") and ping(host, "2001:db8::1")
    return took


@pytest.mark.parametrize("kill_before", STEP_KILLS)
def test_sigkill_at_each_step_boundary_keeps_ipv4_to_the_gateway(uplink, kill_before, tmp_path):  # noqa: F811
    host, _gw = uplink
    lost, steps = ping_during(host, lambda: run_killed_before(host, kill_before, tmp_path))
    phase = where(host)
    assert still_reaches_gateway(host), "IPv4 to the gateway is gone after a kill before step %d" % kill_before
    took = recover(host)
    point = steps[kill_before] if kill_before < len(steps) else "the read-back (all steps done)"
    print("\n[kill] before %-60.60s lost %d/%d probes, left %s, re-run recovers in %.2f s"
          % (point, lost, PROBES, phase, took))
    assert len(steps) == 5 and "(in one request)" in steps[4], steps
    assert phase != "ENSLAVED-WITH-ADDRESSES"
    assert lost <= 2, "%d probes lost with a kill before step %d (%s)" % (lost, kill_before, point)


@pytest.mark.parametrize("delay", TIMED_KILLS)
def test_sigkill_at_random_instants_keeps_ipv4_to_the_gateway(uplink, delay):  # noqa: F811
    host, _gw = uplink
    lost, rc = ping_during(host, lambda: run_killed_after(host, delay))
    phase = where(host)
    assert still_reaches_gateway(host), "IPv4 to the gateway is gone after a kill %.3f s after the first change" % delay
    took = recover(host)
    print("\n[kill] %3d ms after the first change: %s, lost %d/%d probes, left %s, re-run recovers in %.2f s"
          % (delay * 1000, "killed" if rc == -signal.SIGKILL else "finished first", lost, PROBES, phase, took))
    assert phase != "ENSLAVED-WITH-ADDRESSES"
    assert lost <= 2, "%d probes lost with a kill %.3f s after the first change" % (lost, delay)
