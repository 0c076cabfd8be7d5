# -*- coding: utf-8 -*-
# Copyright (c) 2026, netfabric.core contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""``make bench``: run every benchmark, print the tables, write BENCHMARKS.md.

    python bench/run.py [--quick] [--output BENCHMARKS.md | --no-write] [per-benchmark options]

1. fdb_entry vs bridge(8) (bench_fdb.py)    2. a no-change task vs ansible.builtin.command, and
3. playbooks/overlay.yml on labs (bench_ansible.py)    4. the IP planner (bench_ip_plan.py)
5. fabric_info reading a host with 10,000 forwarding entries vs iproute2 (bench_fabric_info.py).
6. the routed overlay: per-peer entries vs ip/bridge -batch, playbooks/routed.yml on a lab (bench_routed.py)
7. underlay copies per unicast overlay frame, before/after MAC learning (bench_unicast.py).
8. static flood lists vs BGP EVPN through FRR (bench_evpn.py).
``--quick`` is a smoke run with the smallest sizes (seconds to a minute, not for the record).
"""
from __future__ import absolute_import, division, print_function

import argparse
import datetime
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_ansible  # noqa: E402  pylint: disable=wrong-import-position
import bench_evpn  # noqa: E402  pylint: disable=wrong-import-position
import bench_fabric_info  # noqa: E402  pylint: disable=wrong-import-position
import bench_fdb  # noqa: E402  pylint: disable=wrong-import-position
import bench_ip_plan  # noqa: E402  pylint: disable=wrong-import-position
import bench_routed  # noqa: E402  pylint: disable=wrong-import-position
import bench_unicast  # noqa: E402  pylint: disable=wrong-import-position
import common  # noqa: E402  pylint: disable=wrong-import-position

FDB_TARGET = 10000
NOTES_FDB = """\
Ratios are wall time (CPU time in brackets: user + system time of the process and the children it
waited for; the kernel's netlink work counts on both sides, waiting for a busy core on neither).
What the columns include. *bridge -batch* and *bridge -j fdb show* are whole `bridge` processes
(iproute2's C tool, one netlink request per entry, pipelined by the kernel's socket buffer).
*module in-process* is `FdbEntries(params).converge()` in the benchmark's interpreter: validating
every entry, looking up the device, one dump filtered by device in the kernel, the set difference,
the batch (acknowledged once per 512 requests) and the read-back that verifies it; no interpreter
start, no Ansible. *module process* runs `plugins/modules/fdb_entry.py` as Ansible runs a module:
a fresh interpreter, `ansible.module_utils.basic`, AnsibleModule's checking of every `entries`
element against the documented suboptions, the converge, and the JSON result; it does not include
the controller (templating the list, shipping the AnsiballZ payload). *bridge loop* is a shell loop
of one `bridge fdb append` process per entry, as a hand-written role would do (1,000 entries only).
`mac` entries: distinct MACs behind 250 IPv4 VTEPs; `flood`: all-zero-MAC entries towards distinct
IPv6 VTEPs (decoded by the general attribute loop, not the one-unpack IPv4 fast path). The flood
list stops at 10,000 by default (`--flood-max`): appending each all-zero-MAC destination walks the
VTEP's list of them in the kernel, and `bridge -batch` took about 6 minutes for 50,000 in a trial
run here, beyond this run's budget."""
NOTES_TASKS = """\
A task's time runs from the task start to its result on the host (bench/callback_plugins/
bench_timer.py): the netns connection (`ip netns exec`), the AnsiballZ payload, the interpreter,
the module's imports and work, and the result's processing on the controller. The floor is
`ansible.builtin.command: ip link show` on the same host in the same play, alternated round by
round with the module tasks. The import table is `python -X importtime` of each module (the
IPRoute-based modules also load `pyroute2.iproute.linux`, which they do on first use): the
collection imports only the pyroute2 submodules a module uses, and fdb_entry none but
`pyroute2.netlink.exceptions`."""
NOTES_OVERLAY = """\
`playbooks/overlay.yml` with `lab/demo-vars.yml` (2 tenants, 2 containers per host, underlay and
overlay), a fresh lab per size, Ansible's default 5 forks. *tasks per host* counts task results per
host (the range is wider on the first host, which runs the `run_once` planning tasks); *module runs
per host* counts executions of netfabric.core modules including loop items (a `network_state` task,
which converges a whole design step, counts once). The re-run must
change nothing (checked). Wall times grow with the number of hosts because every host's tasks run
on this machine's cores; the work per host does not."""
NOTES_ROUTED = """\
Entries: what the routed overlay programs per peer (flannel's vxlan backend: a route `SUBNET via
VTEP_ADDRESS onlink`, a permanent neighbour entry, a forwarding entry), for N peers on one VTEP.
*baseline* is one `ip -batch` (routes, neighbours) or `bridge -batch` (forwarding entries) process
with the same entries; *module in-process* is `RouteEntries` / `NeighbourEntries` / `FdbEntries`
`.converge()` with `exclusive` (validation, link lookup, one dump, the set difference, the batch, the
read-back); the re-run compares with one `ip -j route show` / `ip -j neigh show` / `bridge -j fdb
show`. Play: `playbooks/routed.yml` with one container per host on a fresh lab; the re-run must
change nothing and every host must end with N-1 routes, neighbour and forwarding entries (counted
with `ip -j` / `bridge -j` on every host, checked)."""

NOTES_INFO = """\
One namespace with a tenant bridge and an IPv4 VTEP holding a flood list of 250 peers and N static
MAC entries. *ip + bridge -j* is four iproute2 processes reading the same objects (`ip -j -d link`,
`ip -j addr`, `ip -j neigh`, `bridge -j fdb`); *module in-process* is `FabricInfo.converge()` (four
dumps, grouped by ifindex in one pass); *module process* runs `plugins/modules/fabric_info.py` as
Ansible does (interpreter start, imports, the read, the JSON result of every flood destination)."""

NOTES_EVPN = """\
`playbooks/overlay.yml` with `lab/demo-vars.yml` on a fresh lab of N+1 hosts per row; EVPN with h1 as the
route reflector, every host's FRR (zebra + bgpd) in its own pathspace, started by the role. *add one host*:
static re-runs the play on all N+1 hosts (every flood list must name the new host); EVPN runs it on the new
host alone (`--limit`). *FRR start to all flood lists*: the new host's zebra and bgpd started (as the role
starts them) until every other host lists it in both tenants' flood lists (`bridge -j fdb`, polled every
0.1 s). *underlay copies per unicast frame*: VXLAN packets of one h1 <-> h2 ping flow received by all hosts
(tcpdump on every uplink) per frame sent, after ARP; 1.00 means no host but the destination saw it."""


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="smoke run: smallest sizes, one repetition")
    parser.add_argument("--output", default=os.path.join(common.REPO, "BENCHMARKS.md"))
    parser.add_argument("--no-write", action="store_true", help="print only")
    parser.add_argument("--fdb-sizes", default="1000,10000,50000")
    parser.add_argument("--fdb-repeat", type=int, default=5)
    parser.add_argument("--flood-max", type=int, default=10000, help="largest flood-list size (see bench_fdb.py)")
    parser.add_argument("--task-rounds", type=int, default=10)
    parser.add_argument("--overlay-hosts", default="3,8,16")
    parser.add_argument("--overlay-repeat", type=int, default=1)
    parser.add_argument("--cost-hosts", type=int, default=8, help="hosts of the play-cost comparison (0 skips)")
    parser.add_argument("--cost-repeat", type=int, default=3)
    parser.add_argument("--ip-plan-repeat", type=int, default=3)
    parser.add_argument("--info-sizes", default="1000,10000", help="fabric_info: MAC entries on the VTEP")
    parser.add_argument("--routed-peers", default="1000")
    parser.add_argument("--routed-repeat", type=int, default=5)
    parser.add_argument("--routed-hosts", default="16")
    parser.add_argument("--unicast-hosts", default="3,8,16")
    parser.add_argument("--evpn-hosts", default="3,8,16", help="fabric sizes of the static/EVPN comparison")
    args = parser.parse_args(argv)
    if args.quick:
        args.fdb_sizes, args.fdb_repeat, args.task_rounds = "1000", 1, 2
        args.overlay_hosts, args.ip_plan_repeat, args.info_sizes = "", 1, "1000"
        args.cost_hosts = 0
        args.routed_repeat, args.routed_hosts, args.unicast_hosts = 1, "", ""
        args.evpn_hosts = ""
    return args


NOTES_COST = """\
One lab of N+1 hosts: the first run of `playbooks/overlay.yml` (`lab/demo-vars.yml`) on hosts h1..hN
(an inventory of those N), then the no-change re-run (checked: nothing changed) alternated with a play of
17 `ansible.builtin.command: "true"` tasks on the same N hosts (the issue's yardstick; medians), then the
run with the full inventory, which adds host N+1 (and its VTEP to every other host's flood list)."""

NOTES_UNICAST = """\
`playbooks/overlay.yml` with `lab/demo-vars.yml` on a fresh lab per size; *before* = the role with MAC
learning forced off (`-e overlay_vtep_learning=false`, the flood list only: the static control plane
before issue 13), *after* = the same lab re-converged with the role's defaults (learning on in the
static control plane). Each phase flushes the two containers' ARP caches, then c1 on h1 pings c1 on h2
(50 pings, 20 ms apart) while tcpdump on every host's uplink records the VXLAN copies addressed to it.
*copies per unicast frame* = ICMP copies received by all hosts / ICMP frames (requests + replies); the
physical limit is 1. *uninvolved* hosts are h3..hN. ARP requests stay broadcasts (head-end
replicated to every peer): no ARP suppression, see the overlay role README."""


def targets(fdb_rows, ansible, markdown, unicast=()):
    """The issue's targets, each with the measured figure and whether it is met."""
    rows = []
    for r in fdb_rows:
        if r["entries"] != FDB_TARGET:
            continue
        for label, key, base, base_name in (("converge from empty", "inproc", "batch", "bridge -batch"),
                                            ("no-change re-run", "inproc_again", "show", "bridge -j fdb show")):
            for how, measured in (("in-process", key), ("module process", key.replace("inproc", "proc"))):
                wall = common.ratio(r[measured], r[base])
                cpu = common.ratio(r[measured + "_cpu"], r[base + "_cpu"])
                rows.append(["fdb_entry %s, %s %s (%s)" % (label, format(FDB_TARGET, ","), r["kind"], how),
                             "<= 2x %s" % base_name, "%s (%s)" % (common.times(wall), common.times(cpu)),
                             "%s (%s)" % (_met(wall <= 2), _met(cpu <= 2))])
    for r in ansible.get("tasks", []):
        if r["action"] != bench_ansible.FLOOR:
            rows.append(["no-change task %s" % r["action"], "<= 1.25x command task", common.times(r["ratio"]),
                         _met(r["ratio"] <= 1.25)])
    overlay = ansible.get("overlay") or []
    if len(overlay) > 1:
        small, large = overlay[0], overlay[-1]
        same = (small["tasks_max"], small["modules_max"]) == (large["tasks_max"], large["modules_max"])
        shape = "%d/%d vs %d/%d (tasks/module runs)" % (
            small["tasks_max"], small["modules_max"], large["tasks_max"], large["modules_max"])
        rows.append(["overlay tasks per host, %d vs %d hosts" % (small["hosts"], large["hosts"]), "the same",
                     shape, _met(same)])
    cost = ansible.get("cost")
    if cost:
        rows.append(["overlay no-change re-run, %d hosts" % cost["hosts"],
                     "<= 0.5x %d command tasks" % bench_ansible.COMMAND_TASKS, common.times(cost["ratio"]),
                     _met(cost["ratio"] <= 0.5)])
    for r in unicast:
        if r["phase"].startswith("after"):
            rows.append(["underlay copies per unicast overlay frame, %d hosts" % r["hosts"], "1 (physical limit)",
                         "%.2f" % r["copies_per_frame"], _met(r["pings_ok"] and r["copies_per_frame"] <= 1.02)])
    return common.render(["target", "goal", "measured wall (CPU)", "met wall (CPU)"], rows, markdown)


def _met(condition):
    return "yes" if condition else "NO"


def report(args, results, started, seconds):
    fdb_rows, ansible, ip_rows, info_rows, routed, unicast_rows, evpn_rows, facts = results
    lines = ["# Benchmarks", "",
             "Produced by `make bench` (`python bench/run.py`) on %s in %.0f s. Every figure is the median of"
             " the runs given per table, measured side by side with its baseline in the same run. The machine is"
             " shared: the load average is recorded before and after, and timings under load vary between runs"
             " (ratios, measured side by side, vary less)." % (started, seconds), "",
             common.render(["machine", ""], [[k, str(v)] for k, v in facts.items()], True), "",
             "## Targets", "", targets(fdb_rows, ansible, True, unicast_rows), ""]
    if fdb_rows:
        empty, again = bench_fdb.tables(fdb_rows, True)
        lines += ["## 1. fdb_entry on one VTEP (%d runs per figure)" % args.fdb_repeat, "",
                  "Converge from empty:", "", empty, "", "No-change re-run:", "", again, "", NOTES_FDB, ""]
    tables = bench_ansible.tables(ansible, True)
    if ansible.get("tasks"):
        lines += ["## 2. Cost of one task through Ansible (%d rounds)" % args.task_rounds, "",
                  tables.pop(0), "", "Module imports (median of 5 interpreters):", "", tables.pop(0), "", NOTES_TASKS, ""]
    if ansible.get("overlay"):
        lines += ["## 3. playbooks/overlay.yml on netns labs (%d run(s) per size)" % args.overlay_repeat, "",
                  tables.pop(0), "", NOTES_OVERLAY, ""]
    if ansible.get("cost"):
        lines += ["Play cost against %d `command: \"true\"` tasks (%d alternated re-runs):"
                  % (bench_ansible.COMMAND_TASKS, args.cost_repeat), "", tables.pop(0), "", NOTES_COST, ""]
    if ip_rows:
        lines += ["## 4. ip_plan (%d runs per figure)" % args.ip_plan_repeat, "",
                  bench_ip_plan.render(ip_rows, markdown=True), ""]
    if info_rows:
        lines += ["## 5. fabric_info on one host (%d runs per figure)" % args.fdb_repeat, "",
                  bench_fabric_info.table(info_rows, markdown=True), "", NOTES_INFO, ""]
    routed_tables = bench_routed.tables(routed, True)
    if routed.get("entries"):
        lines += ["## 6. Routed overlay (flannel style)", "",
                  "Per-peer entries on one VTEP (%d runs per figure):" % args.routed_repeat, "", routed_tables.pop(0), ""]
    if routed.get("play"):
        lines += ["`playbooks/routed.yml` on netns labs:", "", routed_tables.pop(0), ""]
    if routed.get("entries") or routed.get("play"):
        lines += [NOTES_ROUTED, ""]
    if unicast_rows:
        lines += ["## 7. Unicast across the underlay, before and after MAC learning (1 run per size)", "",
                  bench_unicast.render(unicast_rows, markdown=True), "", NOTES_UNICAST, ""]
    if evpn_rows:
        lines += ["## 8. Static flood lists vs BGP EVPN (FRR), one run per size", "",
                  bench_evpn.table(evpn_rows, markdown=True), "", NOTES_EVPN, ""]
    return "\n".join(lines)


def main(argv=None):
    args = parse_args(argv)
    common.exit_on_sigterm()
    started = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    facts = common.machine()
    facts["load average"] = "%s (start)" % facts["load average"]
    begin = time.monotonic()
    fdb_rows = bench_fdb.main(["--sizes", args.fdb_sizes, "--repeat", str(args.fdb_repeat),
                               "--flood-max", str(args.flood_max)])
    ansible = bench_ansible.main(["--task-rounds", str(args.task_rounds), "--overlay-hosts", args.overlay_hosts,
                                  "--overlay-repeat", str(args.overlay_repeat), "--cost-hosts", str(args.cost_hosts),
                                  "--cost-repeat", str(args.cost_repeat)])
    ip_rows = bench_ip_plan.main(["--repeat", str(args.ip_plan_repeat)] + (["--quick"] if args.quick else []))
    info_rows = bench_fabric_info.main(["--sizes", args.info_sizes, "--repeat", str(args.fdb_repeat)])
    routed = bench_routed.main(["--peers", args.routed_peers, "--repeat", str(args.routed_repeat),
                                "--hosts", args.routed_hosts])
    unicast_rows = bench_unicast.main(["--hosts", args.unicast_hosts]) if args.unicast_hosts else []
    evpn_rows = bench_evpn.main(["--hosts", args.evpn_hosts]) if args.evpn_hosts else []
    seconds = time.monotonic() - begin
    facts["load average"] += ", %.2f %.2f %.2f (end)" % os.getloadavg()
    print(targets(fdb_rows, ansible, False, unicast_rows))
    if unicast_rows:
        print(bench_unicast.render(unicast_rows))
    if not args.no_write:
        with open(args.output, "w") as out:
            results = (fdb_rows, ansible, ip_rows, info_rows, routed, unicast_rows, evpn_rows, facts)
            out.write(report(args, results, started, seconds) + "\n")
        print("wrote %s" % args.output)


if __name__ == "__main__":
    main()
