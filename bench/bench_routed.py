# -*- coding: utf-8 -*-
# Copyright (c) 2026, netfabric.core contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark the routed (flannel-style) overlay: per-peer entries in bulk, and playbooks/routed.yml on labs.

    python bench/bench_routed.py [--peers 1000] [--repeat 3] [--hosts 16] [--play-repeat 1]

Entries: one namespace with a VTEP ``flannel.1`` (VNI 1, port 8472, up: an onlink route needs its
device up; nothing is ever sent), and N peers, each wanting what flannel programs per node - a route
``10.X.Y.0/24 via 10.X.Y.0 onlink``, a permanent neighbour entry ``10.X.Y.0 lladdr MAC`` and a
forwarding entry ``MAC dst UNDERLAY``. Each repetition re-creates the VTEP empty and measures side
by side: ``ip -batch`` (routes, neighbours) and ``bridge -batch`` (forwarding entries) with the same
entries, then the converge of route_entry, neigh_entry and fdb_entry in this process (validation,
link lookup, dump, plan, batch, read-back: what each module does after Ansible handed it its
arguments), then the no-change re-run against ``ip -j route show`` / ``ip -j neigh show`` /
``bridge -j fdb show``. Figures are medians.

Play: ``playbooks/routed.yml`` (one container per host) on a fresh lab of N hosts: the first run and
the re-run (which must change nothing), task results and module runs per host, and the entries
each host ends with (counted with ``ip -j``/``bridge -j`` on every host: N-1 of each kind).
"""
from __future__ import absolute_import, division, print_function

import argparse
import collections
import json
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_ansible  # noqa: E402  pylint: disable=wrong-import-position
import common  # noqa: E402  pylint: disable=wrong-import-position

PROTOCOL = 157
KINDS = ("routes", "neighbours", "fdb")
BASELINE = {"routes": "ip -batch", "neighbours": "ip -batch", "fdb": "bridge -batch"}
SHOW = {"routes": "ip -j route show", "neighbours": "ip -j neigh show", "fdb": "bridge -j fdb show"}


def peers(count):
    """(subnet network address, VTEP MAC, underlay address) per peer: distinct in all three."""
    out = []
    for i in range(count):
        high, low = 100 + i // 256, i % 256
        out.append(("10.%d.%d.0" % (high, low), "0a:58:c6:%02x:%02x:%02x" % (i >> 16 & 255, i >> 8 & 255, i & 255),
                    "198.51.%d.%d" % (100 + i // 250, 1 + i % 250)))
    return out


class Vtep:
    """flannel.1 in namespace ``ns``, re-created empty by ``reset()``."""

    def __init__(self, ns):
        self.ns = ns
        common.run(["ip", "-n", ns, "link", "add", "eth0", "type", "veth", "peer", "name", "p0"])
        common.run(["ip", "-n", ns, "addr", "add", "192.0.2.11/24", "dev", "eth0", "nodad"])
        common.run(["ip", "-n", ns, "link", "set", "eth0", "up"])
        self.reset()

    def reset(self):
        common.run(["ip", "-n", self.ns, "link", "del", "flannel.1"], check=False)
        common.run(["ip", "-n", self.ns, "link", "add", "flannel.1", "type", "vxlan", "id", "1", "local", "192.0.2.11",
                    "dev", "eth0", "dstport", "8472", "nolearning"])
        common.run(["ip", "-n", self.ns, "link", "set", "flannel.1", "up"])

    def count(self, kind):
        return count_entries(self.ns, kind)


def count_entries(ns, kind):
    """Entries of ``kind`` on flannel.1 in ``ns``, by ip -j / bridge -j (the independent check)."""
    argv = {"routes": ["ip", "-n", ns, "-j", "route", "show", "dev", "flannel.1", "proto", str(PROTOCOL)],
            "neighbours": ["ip", "-n", ns, "-j", "neigh", "show", "dev", "flannel.1", "nud", "permanent"],
            "fdb": ["bridge", "-n", ns, "-j", "fdb", "show", "dev", "flannel.1"]}[kind]
    shown = json.loads(common.run(argv).stdout or "[]")
    return sum(1 for e in shown if kind != "fdb" or e.get("state") == "permanent")


def batch_script(kind, rows):
    if kind == "routes":
        return "".join("route add %s/24 via %s dev flannel.1 onlink proto %d\n" % (net, net, PROTOCOL) for net, _m, _u in rows)
    if kind == "neighbours":
        return "".join("neigh add %s lladdr %s dev flannel.1 nud permanent protocol %d\n" % (net, mac, PROTOCOL)
                       for net, mac, _u in rows)
    return "".join("fdb append %s dev flannel.1 dst %s self permanent\n" % (mac, ul) for _n, mac, ul in rows)


def tool_batch(vtep, kind, rows):
    tool = "bridge" if kind == "fdb" else "ip"
    return common.timed_cpu(lambda: common.run([tool, "-n", vtep.ns, "-batch", "-"], stdin=batch_script(kind, rows)))


def tool_show(vtep, kind):
    argv = {"routes": ["ip", "-n", vtep.ns, "-j", "route", "show", "dev", "flannel.1"],
            "neighbours": ["ip", "-n", vtep.ns, "-j", "neigh", "show", "dev", "flannel.1"],
            "fdb": ["bridge", "-n", vtep.ns, "-j", "fdb", "show", "dev", "flannel.1"]}[kind]
    return common.timed_cpu(lambda: common.run(argv))


def resource(kind, vtep, rows):
    """The module's resource with the parameters AnsibleModule would hand it."""
    from ansible_collections.netfabric.core.plugins.module_utils import fdb_entries, neighbours, routes
    common_params = dict(dev="flannel.1", exclusive=True, state="present", netns=vtep.ns)
    if kind == "routes":
        return routes.RouteEntries(common.module_params(routes.ARGUMENT_SPEC, dict(common_params, protocol=PROTOCOL, routes=[
            {"dst": net + "/24", "gateway": net, "onlink": True} for net, _m, _u in rows])))
    if kind == "neighbours":
        return neighbours.NeighbourEntries(common.module_params(neighbours.ARGUMENT_SPEC, dict(
            common_params, protocol=PROTOCOL, adopt=False, entries=[{"address": net, "mac": mac} for net, mac, _u in rows])))
    return fdb_entries.FdbEntries(common.module_params(fdb_entries.ARGUMENT_SPEC, dict(common_params, entries=[
        {"mac": mac, "dst": ul} for _n, mac, ul in rows])))


def in_process(kind, vtep, rows, changed):
    def converge():
        res = resource(kind, vtep, rows)
        res.diff_wanted = False
        try:
            return res.converge(False)
        finally:
            res.close()
    wall, cpu, result = common.timed_cpu(converge)
    if result["changed"] is not changed:
        raise RuntimeError("%s: expected changed=%s, got %s" % (kind, changed, json.dumps(result)[:300]))
    return wall, cpu


def measure(vtep, count, repeat):
    rows = peers(count)
    samples = collections.defaultdict(list)
    for dummy in range(repeat):
        vtep.reset()
        for kind in KINDS:
            samples[kind, "batch"].append(tool_batch(vtep, kind, rows)[:2])
            samples[kind, "show"].append(tool_show(vtep, kind)[:2])
        vtep.reset()
        for kind in KINDS:
            samples[kind, "module"].append(in_process(kind, vtep, rows, True))
            samples[kind, "module_again"].append(in_process(kind, vtep, rows, False))
            if vtep.count(kind) != count:
                raise RuntimeError("%s: %d entries shown, not %d" % (kind, vtep.count(kind), count))
    out = []
    for kind in KINDS:
        row = {"kind": kind, "peers": count}
        for key in ("batch", "show", "module", "module_again"):
            row[key] = common.median([wall for wall, _cpu in samples[kind, key]])
            row[key + "_cpu"] = common.median([cpu for _wall, cpu in samples[kind, key]])
        out.append(row)
    total = {"kind": "all three", "peers": count}
    for key in list(out[0]):
        if key not in ("kind", "peers"):
            total[key] = sum(row[key] for row in out)
    return out + [total]


def play(workdir, sizes, repeat):
    """playbooks/routed.yml per lab size: first run, re-run, tasks/module runs and entries per host."""
    path = os.path.join(common.REPO, "playbooks", "routed.yml")
    extra = ["-e", json.dumps({"routed_netns_prefix": "{{ ansible_host }}-", "routed_containers": [{"name": "c1"}],
                               "routed_persist": "none"})]
    rows = []
    for hosts in sizes:
        first, again, shape, entries = [], [], None, None
        for dummy in range(repeat):
            with bench_ansible.Lab(common.unique_prefix(), hosts, workdir) as lab:
                seconds, records = bench_ansible.playbook(workdir, lab.inventory, path, extra)
                first.append(seconds)
                seconds, records_again = bench_ansible.playbook(workdir, lab.inventory, path, extra)
                again.append(seconds)
                entries = sorted(set(tuple(count_entries("%s-h%d" % (lab.prefix, i), kind) for kind in KINDS)
                                     for i in range(1, hosts + 1)))
            changed_again = sum(1 for r in records_again if r["changed"])
            if changed_again:
                raise RuntimeError("routed re-run on %d hosts changed %d tasks" % (hosts, changed_again))
            if entries != [(hosts - 1,) * 3]:
                raise RuntimeError("routed on %d hosts: entries per host %s, not %d of each" % (hosts, entries, hosts - 1))
            shape = bench_ansible._per_host(records)  # pylint: disable=protected-access
        rows.append(dict(shape, hosts=hosts, first=common.median(first), again=common.median(again), runs=repeat,
                         entries=hosts - 1))
    return rows


def tables(result, markdown=False):
    out = []
    fmt = common.seconds

    def vs(row, key, base):
        return "%s (%s)" % (common.times(common.ratio(row[key], row[base])),
                            common.times(common.ratio(row[key + "_cpu"], row[base + "_cpu"])))
    if result.get("entries"):
        rows = [[r["kind"], format(r["peers"], ","), BASELINE.get(r["kind"], "both"), fmt(r["batch"]), fmt(r["module"]),
                 vs(r, "module", "batch"), fmt(r["show"]), fmt(r["module_again"]), vs(r, "module_again", "show")]
                for r in result["entries"]]
        out.append(common.render(["entries", "peers", "baseline", "baseline s", "module in-process s", "ratio wall (CPU)",
                                  "show s", "no-change re-run s", "ratio wall (CPU)"], rows, markdown))
    if result.get("play"):
        rows = [[str(r["hosts"]), fmt(r["first"]), fmt(r["again"]), bench_ansible._span(r["tasks_min"], r["tasks_max"]),  # pylint: disable=protected-access
                 bench_ansible._span(r["modules_min"], r["modules_max"]), "%d + %d + %d" % ((r["entries"],) * 3),  # pylint: disable=protected-access
                 str(r["runs"])] for r in result["play"]]
        out.append(common.render(["hosts", "first run s", "re-run s", "tasks per host", "module runs per host",
                                  "routes + neighbours + fdb per host", "runs"], rows, markdown))
    return out


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--peers", default="1000", help="peer counts for the in-process figures, comma-separated")
    parser.add_argument("--repeat", type=int, default=3, help="runs per in-process figure; the median is reported")
    parser.add_argument("--hosts", default="16", help="lab sizes for playbooks/routed.yml ('' skips)")
    parser.add_argument("--play-repeat", type=int, default=1, help="fresh labs per size")
    parser.add_argument("--markdown", action="store_true")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    common.exit_on_sigterm()
    common.link_collection()
    result = {"entries": []}
    with common.Namespaces(common.unique_prefix()) as namespaces:
        vtep = Vtep(namespaces.add("routed"))
        for count in [int(n) for n in args.peers.split(",") if n]:
            result["entries"] += measure(vtep, count, max(1, args.repeat))
            print("routed entries %d done" % count, file=sys.stderr)
    workdir = tempfile.mkdtemp(prefix="nfbench-")
    try:
        result["play"] = play(workdir, [int(n) for n in args.hosts.split(",") if n], max(1, args.play_repeat))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    for table in tables(result, args.markdown):
        print(table + "\n")
    return result


if __name__ == "__main__":
    main()
