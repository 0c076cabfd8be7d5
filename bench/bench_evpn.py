# -*- coding: utf-8 -*-
# Copyright (c) 2026, netfabric.core contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Static flood lists vs BGP EVPN (FRR) on netns labs of N hosts.

    python bench/bench_evpn.py [--hosts 3,8,16] [--pings 50]

Per size and control plane, on a fresh lab of N+1 hosts (``lab/demo-vars.yml``: 2 tenants, 2 containers
per host; EVPN with h1 as the route reflector and every host's FRR in pathspace = its namespace):

- *fabric play*: wall time of ``playbooks/overlay.yml`` on hosts 1..N;
- *add a host*: wall time of what makes host N+1 a member - static: the play on all N+1 hosts (every flood
  list names it); EVPN: the play limited to host N+1;
- *FRR start to flood entries*: EVPN only - host N+1's zebra and bgpd are stopped, then started again the
  way the role starts them; seconds until every other host lists it in both tenants' flood lists
  (``bridge -j fdb``, polled every 0.1 s);
- *underlay copies per unicast frame*: c1 on h1 pings c1 on h2 (both directions are unicast once ARP is
  done); tcpdump on every host's uplink counts the VXLAN packets of that flow each host receives; the sum
  divided by the frames sent (requests + replies).
Every FRR daemon the benchmark started is stopped by its pid file, also on failure.
"""
from __future__ import absolute_import, division, print_function

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "netlink"))
import common  # noqa: E402  pylint: disable=wrong-import-position
from evpn_helpers import Capture, address, flood_list, kill_frr, ping_count, stop_frr  # noqa: E402

LAB = os.path.join(common.REPO, "lab", "lab.py")
PLAY = os.path.join(common.REPO, "playbooks", "overlay.yml")
DEMO_VARS = os.path.join(common.REPO, "lab", "demo-vars.yml")
VTEPS = ("vx100", "vx200")
EVPN = {"overlay_control_plane": "evpn", "overlay_evpn_route_reflectors": ["h1"],
        "overlay_evpn_pathspace": "{{ ansible_host }}"}


def host_address(index):
    return "192.0.2.%d" % (10 + index)


def write_inventory(lab_yaml, hosts, path):
    """The lab inventory with only ``hosts`` in group fabric (lab_yaml is YAML; the copy is JSON)."""
    import yaml
    with open(lab_yaml) as handle:
        data = yaml.safe_load(handle)
    fabric = data["all"]["children"]["fabric"]
    fabric["hosts"] = dict((name, fabric["hosts"][name]) for name in hosts)
    with open(path, "w") as out:
        json.dump(data, out)
    return path


def play(inventory, extra, *options):
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=common.COLLECTIONS, ANSIBLE_HOST_KEY_CHECKING="False",
               ANSIBLE_RETRY_FILES_ENABLED="False", ANSIBLE_NOCOLOR="1")
    argv = [os.path.join(common.VENV_BIN, "ansible-playbook"), "-i", inventory, PLAY, "-e", "@" + DEMO_VARS,
            "-e", json.dumps(extra)] + list(options)
    seconds, proc = common.timed(lambda: common.run(argv, env=env, check=False))
    if proc.returncode != 0:
        raise RuntimeError("overlay.yml failed (%d):\n%s" % (proc.returncode, proc.stdout[-3000:]))
    return seconds


def wait(predicate, seconds):
    start = time.monotonic()
    while not predicate():
        if time.monotonic() - start > seconds:
            raise RuntimeError("condition not met within %d s" % seconds)
        time.sleep(0.1)
    return time.monotonic() - start


def everyone_lists(prefix, hosts, newcomer, present=True):
    def check():
        return all((host_address(newcomer) in flood_list("%s-h%d" % (prefix, i), dev)) == present
                   for i in hosts for dev in VTEPS)
    return check


def frr_start_to_flood(prefix, n):
    """Stop host N+1's FRR, start it as the role does, time until every peer lists it."""
    ns = "%s-h%d" % (prefix, n + 1)
    kill_frr(ns)
    wait(everyone_lists(prefix, range(1, n + 1), n + 1, present=False), 30)
    start = time.monotonic()
    for daemon in ("zebra", "bgpd"):
        subprocess.run(["ip", "netns", "exec", ns, "/usr/lib/frr/" + daemon, "-N", ns, "-d", "-P", "0",
                        "-f", "/etc/frr/%s/frr.conf" % ns, "-i", "/var/run/frr/%s/%s.pid" % (ns, daemon)],
                       check=True, capture_output=True, timeout=30)
    wait(everyone_lists(prefix, range(1, n + 1), n + 1), 60)
    return time.monotonic() - start


def copies_per_frame(prefix, n, pings):
    """VXLAN packets of one unicast flow h1 <-> h2 received by all hosts, per frame sent."""
    source, target = address("%s-h1-c1" % prefix), address("%s-h2-c1" % prefix)
    ping_count("%s-h1-c1" % prefix, target, 3)  # ARP done, MACs known (learned or type-2)
    captures = dict((i, Capture("%s-h%d" % (prefix, i))) for i in range(1, n + 1))
    replies = ping_count("%s-h1-c1" % prefix, target, pings, interval="0.02")
    received = 0
    for i, capture in captures.items():
        capture.stop((source, target))
        received += len([p for p in capture.packets if "> %s.4789:" % host_address(i) in p.split(" | ")[0]
                         and (source in p or target in p)])
    return received / float(pings + replies)


def measure(workdir, n, mode, pings):
    prefix = common.unique_prefix()
    lab_yaml = os.path.join(workdir, "%s.yml" % prefix)
    extra = dict(EVPN) if mode == "evpn" else {"overlay_control_plane": "static"}
    names = ["h%d" % i for i in range(1, n + 2)]
    row = {"hosts": n, "mode": mode}
    try:
        common.run([sys.executable, LAB, "up", "--hosts", str(n + 1), "--prefix", prefix, "--inventory", lab_yaml])
        extra["underlay_reserved"] = [host_address(n + 1)]
        fabric = write_inventory(lab_yaml, names[:-1], os.path.join(workdir, "fabric.json"))
        grown = write_inventory(lab_yaml, names, os.path.join(workdir, "grown.json"))
        row["fabric"] = play(fabric, extra)
        if mode == "evpn":
            row["add"] = play(grown, extra, "--limit", names[-1])
            wait(everyone_lists(prefix, range(1, n + 1), n + 1), 60)
            row["converge"] = frr_start_to_flood(prefix, n)
        else:
            row["add"] = play(grown, extra)
            row["converge"] = None
        row["copies"] = copies_per_frame(prefix, n + 1, pings)
    finally:
        stop_frr(prefix)
        common.run([sys.executable, LAB, "down", "--prefix", prefix], check=False)
    return row


def table(rows, markdown=False):
    out = []
    for r in rows:
        out.append([str(r["hosts"]), r["mode"], common.seconds(r["fabric"]), common.seconds(r["add"]),
                    "-" if r["converge"] is None else common.seconds(r["converge"]), "%.2f" % r["copies"]])
    return common.render(["hosts", "control plane", "fabric play s", "add one host s (what runs)",
                          "FRR start to all flood lists s", "underlay copies per unicast frame"], out, markdown)


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--markdown", action="store_true")
    parser.add_argument("--hosts", default="3,8,16", help="fabric sizes, comma-separated ('' skips)")
    parser.add_argument("--pings", type=int, default=50, help="unicast pings for the copies per frame")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    sizes = [int(x) for x in args.hosts.split(",") if x]
    common.exit_on_sigterm()
    common.link_collection()
    workdir = tempfile.mkdtemp(prefix="nfbench-evpn-")
    rows = []
    try:
        for n in sizes:
            for mode in ("static", "evpn"):
                rows.append(measure(workdir, n, mode, args.pings))
                print("evpn bench: %d hosts %s done" % (n, mode), file=sys.stderr)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    if rows:
        print(table(rows, args.markdown) + "\n")
    return rows


if __name__ == "__main__":
    main()
