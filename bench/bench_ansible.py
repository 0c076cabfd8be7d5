# -*- coding: utf-8 -*-
# Copyright (c) 2026, netfabric.core contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark the collection through Ansible: the cost of one task, and the overlay play on labs.

    python bench/bench_ansible.py [--task-rounds 10] [--overlay-hosts 3,8,16] [--overlay-repeat 1]

Per task: on a 1-host lab (the netns connection), one play alternates, round after round, an
``ansible.builtin.command: ip link show`` task (the Ansible floor) with no-change tasks of
``netfabric.core.bridge``, ``vxlan_vtep`` and ``fdb_entry``; the callback in
``bench/callback_plugins`` times each task from its start to its result. The first round is a
warm-up and is dropped; figures are medians over the other rounds. Module import costs come from
``python -X importtime`` (median of 5 interpreters each).

Overlay: ``playbooks/overlay.yml`` with ``lab/demo-vars.yml`` (2 tenants, 2 containers per host) on
a fresh lab of N hosts, the first run and the idempotent re-run (which must change nothing): wall
time of ``ansible-playbook``, and per host the task results and module executions (loop items; one
netfabric.core.network_state task is one execution, however many items it converges).
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
import common  # noqa: E402  pylint: disable=wrong-import-position

LAB = os.path.join(common.REPO, "lab", "lab.py")
CALLBACKS = os.path.join(common.HERE, "callback_plugins")
PEERS = ["192.0.2.12", "192.0.2.13"]
FLOOR = "ansible.builtin.command"
# The yardstick for the overlay play's no-change re-run: this many `command: "true"` tasks per host.
COMMAND_TASKS = 17
# The no-change tasks measured against the floor, with the arguments that match the setup play.
TASKS = [
    (FLOOR, {"cmd": "ip link show"}, {"changed_when": False}),
    ("netfabric.core.bridge", {"name": "brb"}, {}),
    ("netfabric.core.vxlan_vtep", {"name": "vx100", "vni": 100, "local": "{{ netfabric_underlay_address }}",
                                   "dev": "eth0", "learning": False, "master": "brb"}, {}),
    ("netfabric.core.fdb_entry", {"dev": "vx100", "exclusive": True,
                                  "entries": [{"mac": "00:00:00:00:00:00", "dst": p} for p in PEERS]}, {}),
]
# Modules whose imports are measured, and whether they load pyroute2's IPRoute (on first use).
IMPORTED = [("fdb_entry", False), ("bridge", True), ("vxlan_vtep", True)]
NETLINK = "ansible_collections.netfabric.core.plugins.module_utils.netlink"


class Lab:
    """A lab of ``hosts`` namespace hosts from lab/lab.py; ``down()`` removes it (use ``with``)."""

    def __init__(self, prefix, hosts, workdir):
        self.prefix = prefix
        self.inventory = os.path.join(workdir, "%s.yml" % prefix)
        common.run([sys.executable, LAB, "up", "--hosts", str(hosts), "--prefix", prefix, "--inventory", self.inventory])

    def down(self):
        common.run([sys.executable, LAB, "down", "--prefix", self.prefix], check=False)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.down()


def playbook(workdir, inventory, path, extra=(), record=None):
    """Run ansible-playbook; return (wall seconds, the callback's records); raise when it fails."""
    seconds, records, failure = try_playbook(workdir, inventory, path, extra, record)
    if failure:
        raise RuntimeError(failure)
    return seconds, records


def try_playbook(workdir, inventory, path, extra=(), record=None):
    """Run ansible-playbook; return (wall seconds, the callback's records, None or the failure's text)."""
    record = record or os.path.join(workdir, "timer.jsonl")
    if os.path.exists(record):
        os.unlink(record)
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=common.COLLECTIONS, ANSIBLE_CALLBACK_PLUGINS=CALLBACKS,
               ANSIBLE_CALLBACKS_ENABLED="bench_timer", BENCH_TIMER_OUT=record, ANSIBLE_HOST_KEY_CHECKING="False",
               ANSIBLE_RETRY_FILES_ENABLED="False", ANSIBLE_NOCOLOR="1")
    argv = [os.path.join(common.VENV_BIN, "ansible-playbook"), "-i", inventory, path] + list(extra)
    seconds, proc = common.timed(lambda: common.run(argv, env=env, check=False))
    records = []
    if os.path.exists(record):
        with open(record) as lines:
            records = [json.loads(line) for line in lines]
    if proc.returncode == 0:
        return seconds, records, None
    errors = [line for line in proc.stdout.splitlines() if line.startswith(("fatal:", "[ERROR]:"))][:3]
    return seconds, records, "ansible-playbook %s failed (%d):\n%s\n...\n%s" % (
        os.path.basename(path), proc.returncode, "\n".join(errors), proc.stdout[-3000:])


def write_play(path, tasks):
    """A one-play playbook on group fabric; JSON is valid YAML."""
    play = [{"name": "netfabric benchmark", "hosts": "fabric", "gather_facts": False, "tasks": tasks}]
    with open(path, "w") as out:
        json.dump(play, out, indent=1)
    return path


def task(action, args, extra, name):
    return dict({"name": name, action: args}, **extra)


def per_task(workdir, rounds):
    """Median seconds per no-change task, by action, and its ratio to the command floor."""
    with Lab(common.unique_prefix(), 1, workdir) as lab:
        setup = [task(a, args, extra, "setup %s" % a) for a, args, extra in TASKS if a != FLOOR]
        playbook(workdir, lab.inventory, write_play(os.path.join(workdir, "setup.yml"), setup))
        timed = [task(a, args, extra, "round %d %s" % (r, a)) for r in range(rounds + 1) for a, args, extra in TASKS]
        _wall, records = playbook(workdir, lab.inventory, write_play(os.path.join(workdir, "tasks.yml"), timed))
    samples = collections.defaultdict(list)
    for rec in records:
        if rec["task"].startswith("round 0 "):
            continue  # warm-up round
        if rec["status"] != "ok" or rec["changed"]:
            raise RuntimeError("task %s was not a no-change task: %s" % (rec["task"], rec))
        samples[rec["action"]].append(rec["seconds"])
    floor = common.median(samples[FLOOR])
    return [{"action": action, "seconds": common.median(samples[action]), "runs": len(samples[action]),
             "ratio": common.ratio(common.median(samples[action]), floor)} for action, _a, _e in TASKS]


def import_costs(repeat=5):
    """Per module: milliseconds of its imports (python -X importtime), split by origin; medians."""
    env = dict(os.environ, PYTHONPATH=common.COLLECTIONS)
    rows = []
    targets = [("ansible.module_utils.basic (every module)", "import ansible.module_utils.basic"),
               ("import pyroute2 (the whole package)", "import pyroute2")]
    for module, iproute in IMPORTED:
        code = "import ansible_collections.netfabric.core.plugins.modules.%s" % module
        if iproute:
            code += "; import %s; %s.load_iproute()" % (NETLINK, NETLINK)
        targets.append(("netfabric.core.%s%s" % (module, " + IPRoute" if iproute else ""), code))
    for label, code in targets:
        runs = [_importtime(code, env) for dummy in range(repeat)]
        rows.append({"import": label, "total_ms": common.median([r[0] for r in runs]),
                     "pyroute2_ms": common.median([r[1] for r in runs]),
                     "pyroute2_modules": common.median([r[2] for r in runs])})
    return rows


def _importtime(code, env):
    # Importing a module file runs its imports, not main(): the module's own import cost.
    proc = common.run([sys.executable, "-X", "importtime", "-c", code], env=env)
    total = pyroute2 = 0
    modules = 0
    for line in proc.stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line or "self [us]" in line:
            continue
        own, cumulative, module = line[len("import time:"):].split("|")
        if not module[1:].startswith(" "):  # a top-level import: its cumulative time counts once
            total += int(cumulative)
        if module.strip().startswith("pyroute2"):
            pyroute2 += int(own)
            modules += 1
    return total / 1000.0, pyroute2 / 1000.0, modules


def overlay(workdir, sizes, repeat):
    """Per lab size: first run and re-run of playbooks/overlay.yml (medians over ``repeat`` fresh labs)."""
    rows = []
    play = os.path.join(common.REPO, "playbooks", "overlay.yml")
    extra = ["-e", "@" + os.path.join(common.REPO, "lab", "demo-vars.yml")]
    for hosts in sizes:
        first, again, shape = [], [], None
        for dummy in range(repeat):
            with Lab(common.unique_prefix(), hosts, workdir) as lab:
                seconds, records = playbook(workdir, lab.inventory, play, extra)
                first.append(seconds)
                seconds, records_again = playbook(workdir, lab.inventory, play, extra)
                again.append(seconds)
            changed_again = sum(1 for r in records_again if r["changed"])
            if changed_again:
                raise RuntimeError("overlay re-run on %d hosts changed %d tasks" % (hosts, changed_again))
            shape = _per_host(records)
        rows.append(dict(shape, hosts=hosts, first=common.median(first), again=common.median(again), runs=repeat))
    return rows


def play_cost(workdir, hosts, repeat):
    """The overlay play against ``COMMAND_TASKS`` plain command tasks on the same ``hosts`` hosts.

    One lab of hosts+1: the play's first run on the first ``hosts``; then, ``repeat`` times, the
    no-change re-run alternated with the command play (medians); then the run that adds the last host.
    """
    play = os.path.join(common.REPO, "playbooks", "overlay.yml")
    extra = ["-e", "@" + os.path.join(common.REPO, "lab", "demo-vars.yml")]
    commands = write_play(os.path.join(workdir, "commands.yml"),
                          [task(FLOOR, {"cmd": "true"}, {"changed_when": False}, "command %d" % i)
                           for i in range(COMMAND_TASKS)])
    with Lab(common.unique_prefix(), hosts + 1, workdir) as lab:
        fewer = lab_inventory(os.path.join(workdir, "%s-%d.yml" % (lab.prefix, hosts)), hosts, lab.prefix)
        first, records = playbook(workdir, fewer, play, extra)
        again, floor = [], []
        for dummy in range(repeat):
            seconds, records_again = playbook(workdir, fewer, play, extra)
            _no_change(records_again, hosts)
            again.append(seconds)
            floor.append(playbook(workdir, fewer, commands)[0])
        # Reported, not raised: the figure says whether adding a host works, and what it costs.
        add_one, _records, add_failure = try_playbook(workdir, lab.inventory, play, extra)
    if add_failure:
        print("adding host %d failed:\n%s" % (hosts + 1, add_failure), file=sys.stderr)
    row = dict(_per_host(records_again), hosts=hosts, first=first, again=common.median(again),
               commands=common.median(floor), add_one=add_one, runs=repeat,
               add_failure=add_failure.split("\n")[1][:300] if add_failure else None)
    row["ratio"] = common.ratio(row["again"], row["commands"])
    return row


def lab_inventory(path, hosts, prefix):
    """An inventory of the lab's first ``hosts`` hosts (lab.py numbers hosts the same for any size)."""
    sys.path.insert(0, os.path.dirname(LAB))
    import lab as labmod  # pylint: disable=import-outside-toplevel
    return labmod.write_inventory(path, hosts, prefix)


def _no_change(records, hosts):
    changed = sum(1 for r in records if r["changed"])
    if changed:
        raise RuntimeError("overlay re-run on %d hosts changed %d tasks" % (hosts, changed))


def _per_host(records):
    tasks = collections.Counter(r["host"] for r in records)
    items = collections.Counter()
    for rec in records:
        if rec["action"].startswith("netfabric.core.") and rec["status"] != "skipped":
            items[rec["host"]] += rec["items"]
    return {"tasks_min": min(tasks.values()), "tasks_max": max(tasks.values()),
            "modules_min": min(items.values()), "modules_max": max(items.values())}


def tables(result, markdown=False):
    out = []
    if result.get("tasks"):
        rows = [[r["action"], common.seconds(r["seconds"]), common.times(r["ratio"]), str(r["runs"])]
                for r in result["tasks"]]
        out.append(common.render(["task (no change)", "seconds per task", "ratio to command", "runs"], rows, markdown))
    if result.get("imports"):
        rows = [[r["import"], "%.1f" % r["total_ms"], "%.1f" % r["pyroute2_ms"], "%d" % r["pyroute2_modules"]]
                for r in result["imports"]]
        out.append(common.render(["import", "ms", "of which pyroute2 ms", "pyroute2 modules"], rows, markdown))
    if result.get("overlay"):
        rows = [[str(r["hosts"]), common.seconds(r["first"]), common.seconds(r["again"]),
                 _span(r["tasks_min"], r["tasks_max"]), _span(r["modules_min"], r["modules_max"]), str(r["runs"])]
                for r in result["overlay"]]
        out.append(common.render(["hosts", "first run s", "re-run s", "tasks per host", "module runs per host", "runs"],
                                 rows, markdown))
    if result.get("cost"):
        out.append(cost_table(result["cost"], markdown))
    return out


def cost_table(row, markdown=False):
    head = ["hosts", "first run s", "no-change re-run s", "%d command tasks s" % COMMAND_TASKS, "re-run / commands",
            "adding host %d s" % (row["hosts"] + 1), "tasks per host", "module runs per host", "runs"]
    cells = [str(row["hosts"]), common.seconds(row["first"]), common.seconds(row["again"]),
             common.seconds(row["commands"]), common.times(row["ratio"]),
             common.seconds(row["add_one"]) + (" (FAILED)" if row["add_failure"] else ""),
             _span(row["tasks_min"], row["tasks_max"]), _span(row["modules_min"], row["modules_max"]),
             str(row["runs"])]
    table = common.render(head, [cells], markdown)
    if row["add_failure"]:
        table += "\n\nAdding host %d failed: %s" % (row["hosts"] + 1, row["add_failure"])
    return table


def _span(low, high):
    return str(low) if low == high else "%d-%d" % (low, high)


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--task-rounds", type=int, default=10, help="rounds of the per-task play (plus a warm-up)")
    parser.add_argument("--overlay-hosts", default="3,8,16", help="lab sizes, comma-separated ('' skips)")
    parser.add_argument("--overlay-repeat", type=int, default=1, help="fresh labs per size; the median is reported")
    parser.add_argument("--cost-hosts", type=int, default=8,
                        help="hosts of the play-cost comparison with %d command tasks (0 skips)" % COMMAND_TASKS)
    parser.add_argument("--cost-repeat", type=int, default=3, help="re-runs alternated with the command play")
    parser.add_argument("--skip-tasks", action="store_true", help="skip the per-task and import figures")
    parser.add_argument("--markdown", action="store_true")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    common.exit_on_sigterm()
    common.link_collection()
    workdir = tempfile.mkdtemp(prefix="nfbench-")
    result = {}
    try:
        if not args.skip_tasks:
            result["tasks"] = per_task(workdir, max(1, args.task_rounds))
            result["imports"] = import_costs()
            print("per-task done", file=sys.stderr)
        sizes = [int(n) for n in args.overlay_hosts.split(",") if n]
        result["overlay"] = overlay(workdir, sizes, max(1, args.overlay_repeat))
        if args.cost_hosts > 0:
            result["cost"] = play_cost(workdir, args.cost_hosts, max(1, args.cost_repeat))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    for table in tables(result, args.markdown):
        print(table + "\n")
    return result


if __name__ == "__main__":
    main()
