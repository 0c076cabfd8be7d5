# -*- coding: utf-8 -*-
# Copyright (c) 2026, netfabric.core contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Underlay copies per unicast overlay frame, and what uninvolved hosts receive, before and after MAC learning.

    python bench/bench_unicast.py [--hosts 3,8,16] [--pings 50]

Per size: a fresh lab of N hosts and ``playbooks/overlay.yml`` with ``lab/demo-vars.yml``. *before* is the
role with MAC learning forced off (``-e overlay_vtep_learning=false``: the flood list only, as the static
control plane was before issue 13); then the same lab is re-converged with the role's defaults (learning
on in the static control plane), *after*. In each phase the ARP caches of the two containers are
flushed, then c1 on h1 pings c1 on h2 (``--pings``, 20 ms apart) while tcpdump on every host's uplink
records the VXLAN copies addressed to that host (lab/underlay_capture.py).

*copies per frame* = ICMP copies received by all hosts / ICMP frames sent (requests + replies); the
physical limit is 1. *uninvolved* = h3..hN: VXLAN and ARP copies per host (mean) and VXLAN in total.
"""
from __future__ import absolute_import, division, print_function

import argparse
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402  pylint: disable=wrong-import-position
from bench_ansible import Lab  # noqa: E402  pylint: disable=wrong-import-position

sys.path.insert(0, os.path.join(common.REPO, "lab"))
from underlay_capture import UplinkCapture  # noqa: E402  pylint: disable=wrong-import-position

PLAYBOOK = os.path.join(common.REPO, "playbooks", "overlay.yml")
DEMO_VARS = os.path.join(common.REPO, "lab", "demo-vars.yml")
PHASES = (("before (flood list only)", ["-e", "overlay_vtep_learning=false"]), ("after (MAC learning)", []))
HEAD = ["hosts", "VTEPs", "pings ok", "copies per unicast frame", "VXLAN per uninvolved host", "ARP per uninvolved host",
        "VXLAN on all uninvolved"]


def converge(inventory, extra):
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=common.COLLECTIONS, ANSIBLE_HOST_KEY_CHECKING="False",
               ANSIBLE_RETRY_FILES_ENABLED="False", ANSIBLE_NOCOLOR="1")
    common.run([os.path.join(common.VENV_BIN, "ansible-playbook"), "-i", inventory, "-e", "@" + DEMO_VARS, PLAYBOOK]
               + extra, env=env)


def overlay_address(netns):
    out = common.run(["ip", "-n", netns, "-4", "-o", "addr", "show", "dev", "eth1"]).stdout
    return out.split()[3].split("/")[0]


def measure(prefix, hosts, pings, workdir):
    """One phase: flush the two containers' ARP caches, ping while every uplink is captured."""
    src, dst = "%s-h1-c1" % prefix, "%s-h2-c1" % prefix
    for netns in (src, dst):
        common.run(["ip", "-n", netns, "neigh", "flush", "dev", "eth1"])
    uplinks = dict(("h%d" % i, ("%s-h%d" % (prefix, i), "192.0.2.%d" % (10 + i))) for i in range(1, hosts + 1))
    with UplinkCapture(uplinks, workdir) as capture:
        proc = common.run(["ip", "netns", "exec", src, "ping", "-n", "-q", "-c", str(pings), "-i", "0.02", "-W", "1",
                           "-w", str(pings // 10 + 10), overlay_address(dst)], check=False, timeout=120)
    counts = capture.counts
    uninvolved = [counts["h%d" % i] for i in range(3, hosts + 1)]
    return {"hosts": hosts, "pings_ok": proc.returncode == 0 and " %d received" % pings in proc.stdout,
            "copies_per_frame": sum(c["icmp"] for c in counts.values()) / (2.0 * pings),
            "vxlan_uninvolved": sum(c["vxlan"] for c in uninvolved) / float(len(uninvolved)),
            "arp_uninvolved": sum(c["arp"] for c in uninvolved) / float(len(uninvolved)),
            "vxlan_uninvolved_total": sum(c["vxlan"] for c in uninvolved)}


def run_size(hosts, pings, workdir):
    rows = []
    with Lab(common.unique_prefix(), hosts, workdir) as lab:
        for label, extra in PHASES:
            converge(lab.inventory, extra)
            rows.append(dict(measure(lab.prefix, hosts, pings, workdir), phase=label))
    return rows


def render(rows, markdown=False):
    table = [[r["hosts"], r["phase"], "yes" if r["pings_ok"] else "NO", "%.2f" % r["copies_per_frame"],
              "%.1f" % r["vxlan_uninvolved"], "%.1f" % r["arp_uninvolved"], r["vxlan_uninvolved_total"]] for r in rows]
    return common.render(HEAD, table, markdown)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--hosts", default="3,8,16", help="lab sizes (at least 3 hosts: h3.. are the uninvolved)")
    parser.add_argument("--pings", type=int, default=50)
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args(argv)
    sizes = [int(n) for n in args.hosts.split(",") if n]
    if any(n < 3 for n in sizes):
        parser.error("--hosts: every size needs at least 3 hosts")
    common.exit_on_sigterm()
    common.link_collection()
    workdir = tempfile.mkdtemp(prefix="nfb-unicast-")
    try:
        rows = [row for n in sizes for row in run_size(n, args.pings, workdir)]
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    if __name__ == "__main__":
        print(render(rows, args.markdown))
    return rows


if __name__ == "__main__":
    main()
