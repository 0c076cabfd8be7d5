"""Helpers for the EVPN tests and bench: FRR instances of a lab, VXLAN captures, fdb views.

Every lab host runs its own FRR in pathspace ``<lab prefix>-hN`` (the host's namespace name): pid files in
/var/run/frr/<pathspace>/, configuration in /etc/frr/<pathspace>/. ``stop_frr`` ends the daemons by those
pid files and removes both directories, so a test leaves nothing running, also after a failure.
"""
import glob
import json
import os
import re
import shutil
import signal
import subprocess
import time

FLOOD_MAC = "00:00:00:00:00:00"


def pathspaces(prefix):
    """The FRR pathspaces a lab ``prefix`` has (a directory under /etc/frr or /var/run/frr)."""
    found = set()
    for base in ("/etc/frr", "/var/run/frr"):
        found.update(os.path.basename(p) for p in glob.glob("%s/%s-*" % (base, prefix)))
    return sorted(found)


def daemon_pids(pathspace):
    """{daemon: pid} of the pid files of one pathspace whose process still runs (zombies excluded)."""
    out = {}
    for path in glob.glob("/var/run/frr/%s/*.pid" % pathspace):
        try:
            pid = int(open(path).read().strip())
            with open("/proc/%d/stat" % pid) as stat:
                if stat.read().rsplit(")", 1)[1].split()[0] == "Z":
                    continue   # exited, not yet reaped by its parent (init here)
        except (OSError, ValueError, IndexError):
            continue
        out[os.path.basename(path)[:-4]] = pid
    return out


def kill_frr(pathspace, timeout=10):
    """SIGTERM the pathspace's daemons (bgpd first: it closes its sessions at once), wait until gone."""
    pids = daemon_pids(pathspace)
    for name in sorted(pids, key=lambda n: n != "bgpd"):
        try:
            os.kill(pids[name], signal.SIGTERM)
        except OSError:
            pass
    deadline = time.monotonic() + timeout
    while daemon_pids(pathspace) and time.monotonic() < deadline:
        time.sleep(0.1)
    for pid in daemon_pids(pathspace).values():
        os.kill(pid, signal.SIGKILL)


def stop_frr(prefix):
    """Stop every FRR daemon of lab ``prefix`` and remove its pathspaces' directories."""
    for pathspace in pathspaces(prefix):
        kill_frr(pathspace)
        for base in ("/etc/frr", "/var/run/frr"):
            shutil.rmtree(os.path.join(base, pathspace), ignore_errors=True)


def vtysh(ns, command):
    """``vtysh -N NS -c COMMAND`` inside namespace NS (the lab's pathspace is the namespace name), as JSON."""
    proc = subprocess.run(["ip", "netns", "exec", ns, "vtysh", "-N", ns, "-c", command + " json"],
                          capture_output=True, text=True, timeout=30, check=False)
    return json.loads(proc.stdout) if proc.stdout.strip() else {}


def bridge_fdb(ns, dev):
    proc = subprocess.run(["bridge", "-n", ns, "-j", "fdb", "show", "dev", dev], capture_output=True, text=True,
                          timeout=30, check=False)
    return json.loads(proc.stdout) if proc.returncode == 0 and proc.stdout.strip() else []


def flood_list(ns, dev):
    """The VTEP's head-end replication list (all-zero MAC entries), sorted destinations."""
    return sorted(e["dst"] for e in bridge_fdb(ns, dev) if e["mac"] == FLOOD_MAC and "dst" in e)


def remote_macs(ns, dev):
    """{mac: (dst, flags)} of the VTEP's per-MAC remote entries."""
    return dict((e["mac"], (e["dst"], tuple(e.get("flags", [])))) for e in bridge_fdb(ns, dev)
                if e["mac"] != FLOOD_MAC and "dst" in e)


def wait_for(predicate, seconds, step=0.2):
    """Poll ``predicate`` until true or ``seconds`` passed; returns (result, elapsed seconds)."""
    start = time.monotonic()
    while True:
        result = predicate()
        elapsed = time.monotonic() - start
        if result or elapsed > seconds:
            return result, elapsed
        time.sleep(step)


class Capture(object):
    """tcpdump of VXLAN (UDP ``port``) on ``dev`` in namespace ``ns``; ``stop()`` returns the packet count."""

    def __init__(self, ns, dev="eth0", port=4789):
        self.packets = []
        self.proc = subprocess.Popen(["ip", "netns", "exec", ns, "tcpdump", "-i", dev, "-nn", "-l", "-e", "--immediate-mode", "-B", "8192",
                                      "udp", "port", str(port)],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 10  # tcpdump says "listening on" once its filter is in place
        line = ""
        while "listening on" not in line and time.monotonic() < deadline and self.proc.poll() is None:
            line = self.proc.stderr.readline()

    def stop(self, about=()):
        """Stop; return how many packets were seen, only those whose decoded frame names one of ``about``
        (inner IP addresses) when given: the host's own chatter (its ARP refreshes, IPv6) is not the flow."""
        time.sleep(1)
        self.proc.send_signal(signal.SIGINT)
        try:
            out, _err = self.proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            out, _err = self.proc.communicate()
        self.packets = []
        for line in out.splitlines():
            if re.match(r"^\d\d:\d\d:\d\d", line):
                self.packets.append(line)
            elif self.packets and line.strip():
                self.packets[-1] += " | " + line.strip()
        matching = [p for p in self.packets if not about or any(_names(p, a) for a in about)]
        return len(matching)


def _names(packet, address):
    """Does the packet text name ``address`` (not as a prefix of a longer address)?"""
    return re.search(r"(?<![\d.])%s(?![\d])" % re.escape(address), packet.split(" | ", 1)[-1]) is not None


def address(ns, dev="eth1"):
    """The first IPv4 address on ``dev`` in ``ns`` (a container's overlay address)."""
    proc = subprocess.run(["ip", "-n", ns, "-j", "-4", "addr", "show", "dev", dev], capture_output=True, text=True,
                          timeout=30, check=True)
    return json.loads(proc.stdout)[0]["addr_info"][0]["local"]


def ping_count(ns, target, count, interval="0.05"):
    """Bounded ping; returns the number of replies."""
    proc = subprocess.run(["ip", "netns", "exec", ns, "ping", "-n", "-q", "-c", str(count), "-i", interval, "-W", "1",
                           "-w", str(count + 5), target], capture_output=True, text=True, timeout=60, check=False)
    for line in proc.stdout.splitlines():
        if "received" in line:
            return int(line.split(",")[1].split()[0])
    return 0
