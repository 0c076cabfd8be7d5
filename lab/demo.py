# -*- coding: utf-8 -*-
# Copyright (c) 2026, netfabric.core contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""``make demo``: build a netns lab, run the real playbooks on it, and end with a one-screen summary.

    python lab/demo.py --prefix P [--hosts 3] [--vars lab/demo-vars.yml] [--out .build/demo] [--inventory PATH]

Each playbook's full output goes to ``OUT/N-name.log``; the screen gets one line per step (hosts,
changed count, seconds, log) and, on a failure, the failed lines and the log's tail. Then the summary:
hosts and their VTEPs (read back by netfabric.core.fabric_info through playbooks/status.yml), tenants
and VNIs, containers and addresses, the reachability matrix of playbooks/verify.yml as a grid, the
wire check (a capture on the lab switch, decoded by molecule/default/files/vxlan_capture.py), the
second run's changed count, the drift report, and the picture (playbooks/graph.yml).
Run it with the venv's Python (the lab's inventory records it as the hosts' interpreter); needs root.
"""
from __future__ import absolute_import, division, print_function

import argparse
import importlib.util
import json
import os
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import lab  # noqa: E402  pylint: disable=wrong-import-position

CAPTURE = os.path.join(REPO, "molecule", "default", "files", "vxlan_capture.py")
RECAP = re.compile(r"^(\S+)\s+: ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.M)
FAILED_LINE = re.compile(r"^(fatal|failed): .*$|^\[ERROR\].*$", re.M)
WIRE_EXPECTED = {"udp_dport": 4789, "vxlan_flags": 0x08}
YES, NO = "\u2713", "\u2717"


class DemoError(Exception):
    """A step failed: the message says which and where its log is."""


class Demo:
    def __init__(self, args):
        self.args = args
        self.out = os.path.abspath(args.out)
        self.inventory = os.path.abspath(args.inventory or os.path.join(self.out, "inventory.yml"))
        self.step = 0
        self.recaps = {}
        self.last_log = None

    def log_path(self, name):
        self.step += 1
        return os.path.join(self.out, "%d-%s.log" % (self.step, name))

    def rel(self, path):
        return os.path.relpath(path, os.getcwd())

    def lab_up(self):
        log = self.log_path("lab")
        start = time.monotonic()
        proc = subprocess.run([sys.executable, os.path.join(HERE, "lab.py"), "up", "--hosts", str(self.args.hosts),
                               "--prefix", self.args.prefix, "--inventory", self.inventory],
                              capture_output=True, text=True, timeout=300, check=False)
        write(log, proc.stdout + proc.stderr)
        if proc.returncode != 0:
            raise DemoError("lab.py up failed (rc %d), log %s:\n%s" % (proc.returncode, self.rel(log), tail(log)))
        print("%-28s %d hosts behind a switch (namespaces %s-*)%s  inventory %s" % (
            "lab", self.args.hosts, self.args.prefix, took(start), self.rel(self.inventory)))

    def playbook(self, title, playbook, *extra, expect_rc=(0,)):
        """Run one playbook with its full output in a log; print one line; return its recap."""
        log = self.last_log = self.log_path(os.path.splitext(playbook)[0])
        argv = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", self.inventory,
                "-e", "@" + os.path.abspath(self.args.vars), os.path.join(REPO, "playbooks", playbook)] + list(extra)
        env = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0", ANSIBLE_RETRY_FILES_ENABLED="0")
        start = time.monotonic()
        proc = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=1800, check=False)
        write(log, proc.stdout + proc.stderr)
        recap = dict((h, {"changed": int(c), "failed": int(f) + int(u)}) for h, _ok, c, u, f in RECAP.findall(proc.stdout))
        changed = sum(r["changed"] for r in recap.values())
        print("%-28s %d hosts, changed=%d%s  log %s" % (title, len(recap), changed, took(start), self.rel(log)))
        if proc.returncode not in expect_rc:
            failed = "\n".join(m.group(0)[:300] for m in FAILED_LINE.finditer(proc.stdout + proc.stderr))
            raise DemoError("%s failed (rc %d); log %s\n%s" % (playbook, proc.returncode, self.rel(log),
                                                               failed or tail(log)))
        self.recaps[title] = recap
        return recap

    def wire_check(self, status):
        """Capture on the switch port towards the second host while the first host's first container pings
        its peer of the same tenant on the second host; decode the frames (vxlan_capture.py)."""
        hosts = list(status["hosts"])
        src = status["hosts"][hosts[0]]["endpoints"][0]
        dst = [e for e in status["hosts"][hosts[1]]["endpoints"] if e["tenant"] == src["tenant"]][0]
        capture = load_capture()
        spec = {"capture_netns": lab.switch_ns(self.args.prefix), "interface": lab.switch_port(2),
                "source_netns": src["netns"], "target": dst["address"], "count": 3, "timeout": 10}
        result = capture.capture(spec)
        write(self.log_path("wire"), json.dumps(result, indent=1))
        frames = [f for f in result["frames"] if f["inner_src"] in (src["address"], dst["address"])]
        vni = [t["vni"] for t in status["tenants"] if t["name"] == src["tenant"]][0]
        return src, dst, vni, frames, result["ping_rc"]

    def run(self):
        os.makedirs(self.out, exist_ok=True)
        self.lab_up()
        self.playbook("overlay.yml (build)", "overlay.yml")
        reach = os.path.join(self.out, "reachability.json")
        self.playbook("verify.yml (ping matrix)", "verify.yml", "-e", "verify_results_file=" + reach)
        second = self.playbook("overlay.yml (second run)", "overlay.yml")
        report = os.path.join(self.out, "status.json")
        if os.path.exists(report):
            os.remove(report)
        self.playbook("status.yml (drift report)", "status.yml", "-e", "status_report_file=" + report, expect_rc=(0, 2))
        if not os.path.exists(report):  # rc 2 is drift only when the report was written; else the play failed
            raise DemoError("status.yml failed before writing its report; log %s\n%s"
                            % (self.rel(self.last_log), tail(self.last_log)))
        self.playbook("graph.yml (picture)", "graph.yml", "-e", "graph_dir=" + self.out)
        status = read_json(report)
        wire = self.wire_check(status)
        lines = summary(status, read_json(reach), wire, second, self.out, self.rel)
        print("\n".join(lines))
        return 0 if all(ok for ok in verdicts(status, read_json(reach), wire, second)) else 1


# --------------------------------------------------------------------------- summary

def verdicts(status, matrix, wire, second):
    """(drift-free, matrix as expected, wire as expected, second run changed nothing)."""
    _src, _dst, vni, frames, ping_rc = wire
    return (not any(_drift_items(h) for h in status["hosts"].values()),
            all(r["reachable"] == (r["src_tenant"] == r["dst_tenant"]) for r in matrix),
            ping_rc == 0 and bool(frames) and _wire_ok(frames, vni),
            sum(r["changed"] for r in second.values()) == 0)


def _drift_items(host):
    return host["drift"]["missing"] + host["drift"]["extra"] + host["drift"]["different"]


def _wire_ok(frames, vni):
    return all(f["udp_dport"] == WIRE_EXPECTED["udp_dport"] and f["vxlan_flags"] == WIRE_EXPECTED["vxlan_flags"]
               and f["vni"] == vni for f in frames)


def summary(status, matrix, wire, second, out, rel):
    hosts = status["hosts"]
    lines = ["", "=" * 78, "netfabric demo: %d hosts, %d tenants, %d containers" % (
        len(hosts), len(status["tenants"]), sum(len(h["endpoints"]) for h in hosts.values())), "=" * 78]
    lines += ["Hosts (VTEPs as netfabric.core.fabric_info reads them back)"]
    for name, host in hosts.items():
        vteps = "  ".join("%s vni %s -> %d peers" % (v["name"], v["vni"], len(v["flood"])) for v in host["fabric"]["vteps"])
        lines.append("  %-4s VTEP %-15s %s" % (name, host["underlay_address"], vteps))
    lines += ["Tenants"] + ["  %-8s VNI %-8s bridge %s" % (t["name"], t["vni"], t["bridge"]) for t in status["tenants"]]
    lines += ["Containers"]
    for name, host in hosts.items():
        lines.append("  " + "   ".join("%s/%s %s %s" % (name, e["name"], e["tenant"], e["cidr"]) for e in host["endpoints"]))
    lines += grid(matrix)
    lines += wire_lines(*wire)
    changed = sum(r["changed"] for r in second.values())
    lines.append("Second run   overlay.yml changed=%d %s" % (changed, YES if changed == 0 else NO + " (expected 0)"))
    drifted = ["%s: %s" % (name, "; ".join(_drift_items(h))) for name, h in hosts.items() if _drift_items(h)]
    lines.append("Drift        %s" % ("none on %d hosts %s" % (len(hosts), YES) if not drifted else NO + " " + " | ".join(drifted)))
    svg = os.path.join(out, "fabric.svg")
    picture = rel(svg) if os.path.exists(svg) else "%s (install graphviz for the SVG)" % rel(os.path.join(out, "fabric.dot"))
    lines += ["Picture      %s" % picture, "Logs         %s/*.log" % rel(out),
              "The lab stays up (ip netns list); remove it with: make demo-down"]
    return lines


def grid(matrix):
    """Rows = sources, columns = targets; each cell the result, in brackets where it is expected to be
    reached (same tenant), with '!' where it differs from the expected value."""
    names = []
    for r in matrix:
        for key in ("%s/%s" % (r["src_host"], r["src"]), "%s/%s" % (r["dst_host"], r["dst"])):
            if key not in names:
                names.append(key)
    names.sort()
    cells = dict((("%s/%s" % (r["src_host"], r["src"]), "%s/%s" % (r["dst_host"], r["dst"])), r) for r in matrix)
    width = max(max(len(n) for n in names), 4) + 1
    wrong = sum(1 for r in matrix if r["reachable"] != (r["src_tenant"] == r["dst_tenant"]))
    lines = ["Reachability (ping; rows = sources, columns = targets): %s reached, %s not; [ ] = same tenant,"
             % (YES, NO),
             "  expected %s; others expected %s; ! = differs from the expected value (%d of %d pairs)"
             % (YES, NO, wrong, len(matrix)),
             (" " * (width + 2) + "".join(n.center(width) for n in names)).rstrip()]
    for src in names:
        row = []
        for dst in names:
            row.append(_cell(cells.get((src, dst))).center(width))
        lines.append(("  " + src.ljust(width) + "".join(row)).rstrip())
    return lines


def _cell(result):
    if result is None:
        return " -  "
    expected = result["src_tenant"] == result["dst_tenant"]
    text = YES if result["reachable"] else NO
    text = "[%s]" % text if expected else " %s " % text
    return text + ("!" if result["reachable"] != expected else " ")


def wire_lines(src, dst, vni, frames, ping_rc):
    if not frames:
        return ["Wire check   %s no VXLAN frame seen (ping rc %d)" % (NO, ping_rc)]
    pairs = sorted(set("%s -> %s" % (f["outer_src"], f["outer_dst"]) for f in frames))
    flags = sorted(set("0x%02x" % f["vxlan_flags"] for f in frames))
    ports = sorted(set(str(f["udp_dport"]) for f in frames))
    vnis = sorted(set(str(f["vni"]) for f in frames))
    verdict = YES if _wire_ok(frames, vni) and ping_rc == 0 else NO
    return ["Wire check   ping %s/%s -> %s/%s, captured on the switch port of %s: %d VXLAN frames"
            % (src["host"], src["name"], dst["host"], dst["name"], dst["host"], len(frames)),
            "             UDP %s, flags %s, VNI %s (expected 4789, 0x08, %s) %s"
            % (",".join(ports), ",".join(flags), ",".join(vnis), vni, verdict),
            "             outer %s" % ", ".join(pairs)]


# --------------------------------------------------------------------------- helpers

def load_capture():
    spec = importlib.util.spec_from_file_location("vxlan_capture", CAPTURE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def read_json(path):
    with open(path) as handle:
        return json.load(handle)


def write(path, text):
    with open(path, "w") as handle:
        handle.write(text)


def tail(path, count=25):
    with open(path) as handle:
        return "".join(handle.readlines()[-count:])


def took(start):
    return ", %.0f s" % (time.monotonic() - start)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--prefix", default="nfdemo")
    parser.add_argument("--hosts", type=int, default=3)
    parser.add_argument("--vars", default=os.path.join(HERE, "demo-vars.yml"))
    parser.add_argument("--out", default=os.path.join(REPO, ".build", "demo"))
    parser.add_argument("--inventory", help="where the lab's inventory goes (default OUT/inventory.yml)")
    args = parser.parse_args(argv)
    try:
        return Demo(args).run()
    except DemoError as exc:
        print("demo FAILED: %s" % exc, file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
