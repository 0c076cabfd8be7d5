# -*- coding: utf-8 -*-
# Copyright (c) 2026, netfabric.core contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark netfabric.core.fabric_info on a host with N forwarding entries against iproute2.

    python bench/bench_fabric_info.py [--sizes 1000,10000] [--repeat 3]

One namespace holds a tenant bridge and VTEP ``vx4`` (IPv4) with a flood list of 250 peers and N
static MAC entries behind them (the layout of bench_fdb.py's ``mac`` kind). Side by side, per size:
iproute2 reading the same objects (``ip -j -d link show``, ``ip -j addr show``, ``ip -j neigh show``
and ``bridge -j fdb show``: four processes), the module's read in this process (FabricInfo.converge:
four dumps and the grouping), and the module as a process (``python fabric_info.py`` fed its JSON
arguments as Ansible does). The VTEP stays down: nothing is sent. Every figure is the median.
"""
from __future__ import absolute_import, division, print_function

import argparse
import collections
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_fdb  # noqa: E402  pylint: disable=wrong-import-position
import common  # noqa: E402  pylint: disable=wrong-import-position

MODULE = os.path.join(common.REPO, "plugins", "modules", "fabric_info.py")
FLOOD_PEERS = 250


def build(ns, count):
    """eth0 with 192.0.2.11, bridge brv100, VTEP vx4 on it, flood list and ``count`` MAC entries."""
    for argv in (["link", "add", "eth0", "type", "veth", "peer", "name", "p0"],
                 ["addr", "add", "192.0.2.11/24", "dev", "eth0", "nodad"],
                 ["link", "add", "brv100", "type", "bridge"],
                 ["link", "add", "vx4", "type", "vxlan", "id", "100", "local", "192.0.2.11", "dev", "eth0",
                  "dstport", "4789", "nolearning"],
                 ["link", "set", "vx4", "master", "brv100"]):
        common.run(["ip", "-n", ns] + argv)
    flood = ["00:00:00:00:00:00 dst 198.51.100.%d" % (1 + i) for i in range(FLOOD_PEERS)]
    macs = ["%s dst %s" % pair for pair in bench_fdb.entries("mac", count)]
    script = "".join("fdb append %s dev vx4 self permanent\n" % entry for entry in flood + macs)
    common.run(["bridge", "-n", ns, "-batch", "-"], stdin=script)


def iproute2(ns):
    def read_all():
        for argv in (["ip", "-j", "-d", "link", "show"], ["ip", "-j", "addr", "show"], ["ip", "-j", "neigh", "show"],
                     ["bridge", "-j", "fdb", "show"]):
            common.run([argv[0], "-n", ns] + argv[1:])
    return common.timed_cpu(read_all)


def params(ns):
    """What iproute2 reads, no more: no nftables table, no BGP sessions (no FRR runs in the bench)."""
    return {"netns": ns, "vtep_filter_table": "", "bgp": False, "frr_pathspace": ""}


def in_process(ns):
    from ansible_collections.netfabric.core.plugins.module_utils.fabric_info import FabricInfo
    return common.timed_converge(lambda: FabricInfo(params(ns), None, None))


def as_process(ns):
    return common.timed_module(MODULE, params(ns))


def check(result, count, what):
    """A run that read the wrong thing measures nothing: stop."""
    vteps = (result.get("fabric") or {}).get("vteps") or [{}]
    if result.get("failed") or len(vteps[0].get("flood", [])) != FLOOD_PEERS or vteps[0]["macs"]["static"] != count:
        raise RuntimeError("%s: unexpected result %s" % (what, json.dumps(result)[:500]))


def measure(namespaces, count, repeat):
    ns = namespaces.add("fi%d" % count)
    build(ns, count)
    samples = collections.defaultdict(list)
    for dummy in range(repeat):
        samples["iproute2"].append(iproute2(ns)[:2])
        for key, runner in (("inproc", in_process), ("proc", as_process)):
            wall, cpu, result = runner(ns)
            check(result, count, key)
            samples[key].append((wall, cpu))
    row = {"entries": count + FLOOD_PEERS}
    for key in ("iproute2", "inproc", "proc"):
        row[key] = common.median([wall for wall, _cpu in samples[key]])
        row[key + "_cpu"] = common.median([cpu for _wall, cpu in samples[key]])
    return row


def table(rows, markdown=False):
    fmt = common.seconds

    def vs(row, key):
        return "%s (%s)" % (common.times(common.ratio(row[key], row["iproute2"])),
                            common.times(common.ratio(row[key + "_cpu"], row["iproute2_cpu"])))
    body = [[format(r["entries"], ","), fmt(r["iproute2"]), fmt(r["inproc"]), vs(r, "inproc"), fmt(r["proc"]),
             vs(r, "proc")] for r in rows]
    return common.render(["fdb entries", "ip + bridge -j s", "module in-process s", "ratio wall (CPU)",
                          "module process s", "ratio wall (CPU)"], body, markdown)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--sizes", default="1000,10000", help="MAC entry counts, comma-separated")
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure; the median is reported")
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args(argv)
    common.exit_on_sigterm()
    common.link_collection()
    rows = []
    with common.Namespaces(common.unique_prefix()) as namespaces:
        for count in [int(size) for size in args.sizes.split(",") if size]:
            rows.append(measure(namespaces, count, max(1, args.repeat)))
            print("fabric_info %d done" % count, file=sys.stderr)
    print(table(rows, args.markdown) + "\n")
    return rows


if __name__ == "__main__":
    main()
