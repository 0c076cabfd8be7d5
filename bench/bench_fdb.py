# -*- coding: utf-8 -*-
# Copyright (c) 2026, netfabric.core contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark netfabric.core.fdb_entry against bridge(8) on one VTEP: converge from empty, then re-run.

    python bench/bench_fdb.py [--sizes 1000,10000,50000] [--kinds mac,flood] [--repeat 3] [--loop-max 1000]

Kinds: ``mac`` is a MAC table (N distinct MACs behind 250 IPv4 VTEPs, VTEP ``vx4`` with an IPv4
local address); ``flood`` is a head-end replication list (N all-zero-MAC entries towards N distinct
VTEPs; IPv6 2001:db8::/64 destinations on VTEP ``vx6``, because no IPv4 documentation range holds
10,000 addresses and the kernel refuses IPv6 destinations on an IPv4 VTEP).

Per size and kind, each repetition measures side by side, on the same VTEP re-created empty:
``bridge -batch`` with the same entries; the module's converge in this process (validation,
link lookup, dump, plan, batch, read-back: what the module does after Ansible handed it the
arguments); the module as a process (``python fdb_entry.py`` fed its JSON arguments as Ansible
does: interpreter start, imports, AnsibleModule's argument checking, converge, result); then the
same three for the no-change re-run against ``bridge -j fdb show dev``; and, up to ``--loop-max``
entries, a shell loop running ``bridge fdb append`` once per entry. The VTEPs stay down: nothing is
ever sent to the destinations. Every figure is the median over the repetitions.
"""
from __future__ import absolute_import, division, print_function

import argparse
import collections
import ipaddress
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402  pylint: disable=wrong-import-position

MODULE = os.path.join(common.REPO, "plugins", "modules", "fdb_entry.py")
KINDS = {
    # kind: (device, vxlan local address, eth0 address)
    "mac": ("vx4", "192.0.2.11", "192.0.2.11/24"),
    "flood": ("vx6", "2001:db8::11", "2001:db8::11/64"),
}


def entries(kind, count):
    """(mac, dst) pairs of one kind (see the module docstring)."""
    if kind == "mac":
        return [("02:00:%02x:%02x:%02x:%02x" % ((i >> 24) & 255, (i >> 16) & 255, (i >> 8) & 255, i & 255),
                 "198.51.100.%d" % (1 + i % 250)) for i in range(count)]
    base = int(ipaddress.ip_address("2001:db8::1:0"))
    return [("00:00:00:00:00:00", str(ipaddress.ip_address(base + i))) for i in range(count)]


class Vtep:
    """One VXLAN device in namespace ``ns``, re-created empty (and down) by ``reset()``."""

    def __init__(self, ns, kind):
        self.ns, self.kind = ns, kind
        self.dev, self.local, eth0 = KINDS[kind]
        common.run(["ip", "-n", ns, "link", "add", "eth0", "type", "veth", "peer", "name", "p0"])
        common.run(["ip", "-n", ns, "addr", "add", eth0, "dev", "eth0", "nodad"])
        self.reset()

    def reset(self):
        common.run(["ip", "-n", self.ns, "link", "del", self.dev], check=False)
        common.run(["ip", "-n", self.ns, "link", "add", self.dev, "type", "vxlan", "id", "100", "local", self.local,
                    "dev", "eth0", "dstport", "4789", "nolearning"])

    def count(self):
        """Static remote entries on the device, by ``bridge -j fdb show`` (the independent check)."""
        shown = json.loads(common.run(["bridge", "-n", self.ns, "-j", "fdb", "show", "dev", self.dev]).stdout or "[]")
        return sum(1 for e in shown if "dst" in e and e.get("state") == "permanent")


def bridge_batch(vtep, pairs):
    script = "".join("fdb append %s dev %s dst %s self permanent\n" % (mac, vtep.dev, dst) for mac, dst in pairs)
    return common.timed_cpu(lambda: common.run(["bridge", "-n", vtep.ns, "-batch", "-"], stdin=script))


def bridge_show(vtep):
    return common.timed_cpu(lambda: common.run(["bridge", "-n", vtep.ns, "-j", "fdb", "show", "dev", vtep.dev]))


def shell_loop(vtep, pairs):
    """What a hand-written role does: one ``bridge fdb append`` process per entry."""
    script = "".join("bridge -n %s fdb append %s dev %s dst %s self permanent\n" % (vtep.ns, mac, vtep.dev, dst)
                     for mac, dst in pairs)
    return common.timed_cpu(lambda: common.run(["sh", "-e"], stdin=script))


def module_params(vtep, pairs):
    """The parameters as AnsibleModule hands them to the module (suboptions filled with None)."""
    return dict(dev=vtep.dev, entries=[dict(mac=mac, dst=dst, vni=None, port=None) for mac, dst in pairs],
                mac=None, dst=None, state="present", exclusive=False, netns=vtep.ns)


def in_process(params):
    """The module's converge without Ansible around it (no diff mode, as a plain playbook run)."""
    from ansible_collections.netfabric.core.plugins.module_utils.fdb_entries import FdbEntries
    return common.timed_converge(lambda: FdbEntries(params))


def as_process(params):
    """The module file run as Ansible runs it: a fresh interpreter reading its JSON arguments."""
    payload = {key: value for key, value in params.items() if value is not None}
    payload["entries"] = [{"mac": e["mac"], "dst": e["dst"]} for e in params["entries"]]
    return common.timed_module(MODULE, payload)


def check(result, changed, count, what):
    """A benchmark of a run that did the wrong thing measures nothing: stop."""
    if result.get("failed") or result.get("changed") is not changed or result.get("entry_count") != count:
        raise RuntimeError("%s: unexpected result %s" % (what, json.dumps(result)[:500]))


def measure(vtep, count, repeat, loop_max):
    """Medians of wall and CPU seconds per measurement (keys as in ``tables``)."""
    pairs = entries(vtep.kind, count)
    params = module_params(vtep, pairs)
    samples = collections.defaultdict(list)
    for dummy in range(repeat):
        vtep.reset()
        samples["batch"].append(bridge_batch(vtep, pairs)[:2])
        samples["show"].append(bridge_show(vtep)[:2])
        for key, runner in (("inproc", in_process), ("proc", as_process)):
            vtep.reset()
            wall, cpu, result = runner(params)
            check(result, True, count, key)
            samples[key].append((wall, cpu))
            wall, cpu, result = runner(params)
            check(result, False, count, key + " re-run")
            samples[key + "_again"].append((wall, cpu))
            if vtep.count() != count:
                raise RuntimeError("%s: bridge fdb show lists %d entries, not %d" % (key, vtep.count(), count))
        if count <= loop_max:
            vtep.reset()
            samples["loop"].append(shell_loop(vtep, pairs)[:2])
    row = {"kind": vtep.kind, "entries": count}
    for key in ("batch", "show", "loop", "inproc", "inproc_again", "proc", "proc_again"):
        row[key] = common.median([wall for wall, _cpu in samples[key]])
        row[key + "_cpu"] = common.median([cpu for _wall, cpu in samples[key]])
    return row


def tables(rows, markdown=False):
    """Two tables: converge from empty, and the no-change re-run. Ratios: wall (CPU)."""
    fmt = common.seconds

    def vs(row, key, base):
        return "%s (%s)" % (common.times(common.ratio(row[key], row[base])),
                            common.times(common.ratio(row[key + "_cpu"], row[base + "_cpu"])))
    empty = [[r["kind"], format(r["entries"], ","), fmt(r["batch"]), fmt(r["loop"]) if r["loop"] == r["loop"] else "-",
              fmt(r["inproc"]), vs(r, "inproc", "batch"), fmt(r["proc"]), vs(r, "proc", "batch")] for r in rows]
    again = [[r["kind"], format(r["entries"], ","), fmt(r["show"]), fmt(r["inproc_again"]), vs(r, "inproc_again", "show"),
              fmt(r["proc_again"]), vs(r, "proc_again", "show")] for r in rows]
    return (common.render(["kind", "entries", "bridge -batch s", "bridge loop s", "module in-process s",
                           "ratio wall (CPU)", "module process s", "ratio wall (CPU)"], empty, markdown),
            common.render(["kind", "entries", "bridge -j fdb show s", "module in-process s", "ratio wall (CPU)",
                           "module process s", "ratio wall (CPU)"], again, markdown))


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--sizes", default="1000,10000,50000", help="entry counts, comma-separated")
    parser.add_argument("--kinds", default="mac,flood", help="mac, flood or both")
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure; the median is reported")
    parser.add_argument("--loop-max", type=int, default=1000, help="largest size that also runs the shell loop")
    parser.add_argument("--flood-max", type=int, default=10000,
                        help="largest flood-list size (bridge -batch needs minutes for 50,000 here)")
    parser.add_argument("--markdown", action="store_true")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    common.exit_on_sigterm()
    common.link_collection()
    sizes = [int(size) for size in args.sizes.split(",") if size]
    rows = []
    with common.Namespaces(common.unique_prefix()) as namespaces:
        for kind in [k for k in args.kinds.split(",") if k]:
            vtep = Vtep(namespaces.add(kind), kind)
            for count in sizes:
                if kind == "flood" and count > args.flood_max:
                    continue
                rows.append(measure(vtep, count, max(1, args.repeat), args.loop_max))
                print("fdb %s %d done" % (kind, count), file=sys.stderr)
    for table in tables(rows, args.markdown):
        print(table + "\n")
    return rows


if __name__ == "__main__":
    main()
