# -*- coding: utf-8 -*-
# Copyright (c) 2026, netfabric.core contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""netfabric lab: N network-namespace "hosts" behind one namespace "switch", plus an Ansible inventory.

Run it with the venv's python (it writes that interpreter into the inventory):

    lab.py up     --hosts N --prefix P [--inventory PATH] [--dry-run]
    lab.py down   --prefix P
    lab.py status [--prefix P] [--json]

Topology (see lab/README.md): namespace ``P-sw`` holds bridge ``br0`` with the gateway 192.0.2.1/24;
namespace ``P-hI`` (I = 1..N) holds ``eth0`` = 192.0.2.(10+I)/24, default route via 192.0.2.1; the veth
peer of each eth0 is ``hI`` in ``P-sw``, a port of br0.

Design: ``plan_lab`` turns (n, prefix) into a list of steps, each an ``ip -batch`` script run in one
namespace, so building 16 hosts costs ~20 ``ip`` processes. ``apply`` runs the steps; ``write_inventory``
writes the inventory. Everything the lab creates is a namespace named ``P-...``, so ``down`` deletes
exactly the namespaces starting with ``P-`` and the kernel removes the links with them.

Stdlib only; needs root and iproute2.
"""
from __future__ import absolute_import, division, print_function

import argparse
import json
import os
import re
import subprocess
import sys
import time

NETNS_DIR = "/run/netns"
SWITCH_BRIDGE = "br0"
UPLINK = "eth0"
NETWORK = "192.0.2.0"
PREFIXLEN = 24
GATEWAY = "192.0.2.1"
HOST_BASE = 10  # host I gets 192.0.2.(10 + I)
MAX_HOSTS = 243  # 192.0.2.253 is the last address handed out
# No '-' in the prefix: "down --prefix lab" must never match the namespaces of a prefix "lab-x".
PREFIX_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,15}$")
DEFAULT_PREFIX = "nflab"
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class LabError(Exception):
    """A failure to report to the user (exit status 1)."""


# --------------------------------------------------------------------------- naming and addressing

def check_prefix(prefix):
    if not PREFIX_RE.match(prefix or ""):
        raise LabError("invalid prefix %r: 1-16 characters, a letter then letters, digits or '_' (no '-')" % (prefix,))
    return prefix


def switch_ns(prefix):
    return "%s-sw" % prefix


def host_ns(prefix, i):
    return "%s-h%d" % (prefix, i)


def host_address(i):
    return "192.0.2.%d" % (HOST_BASE + i)


def switch_port(i):
    return "h%d" % i


def hosts(n, prefix):
    """The lab's hosts as dicts: the single source of names and addresses for plan and inventory."""
    return [{
        "name": "h%d" % i,
        "netns": host_ns(prefix, i),
        "uplink": UPLINK,
        "address": host_address(i),
        "prefixlen": PREFIXLEN,
        "gateway": GATEWAY,
        "switch_port": switch_port(i),
    } for i in range(1, n + 1)]


# --------------------------------------------------------------------------- plan / apply

def plan_lab(n, prefix):
    """The commands that build the lab, as a list of steps ``{"netns": NS or None, "batch": [ip commands]}``.

    Each step is one ``ip [-n NS] -batch -`` run; the steps must run in order (namespaces first, then the
    switch, which creates the veth pairs and moves eth0 into each host, then each host).
    """
    check_prefix(prefix)
    if not 1 <= n <= MAX_HOSTS:
        raise LabError("--hosts must be between 1 and %d, not %d" % (MAX_HOSTS, n))
    sw = switch_ns(prefix)
    lab_hosts = hosts(n, prefix)
    steps = [{"netns": None, "batch": ["netns add %s" % sw] + ["netns add %s" % h["netns"] for h in lab_hosts]}]
    switch = [
        "link set lo up",
        "link add %s type bridge stp_state 0 forward_delay 0" % SWITCH_BRIDGE,
        "addr add %s/%d dev %s" % (GATEWAY, PREFIXLEN, SWITCH_BRIDGE),
    ]
    for h in lab_hosts:
        switch += [
            "link add %s type veth peer name %s netns %s" % (h["switch_port"], h["uplink"], h["netns"]),
            "link set %s master %s" % (h["switch_port"], SWITCH_BRIDGE),
            "link set %s up" % h["switch_port"],
        ]
    switch.append("link set %s up" % SWITCH_BRIDGE)
    steps.append({"netns": sw, "batch": switch})
    for h in lab_hosts:
        steps.append({"netns": h["netns"], "batch": [
            "link set lo up",
            "addr add %s/%d dev %s" % (h["address"], h["prefixlen"], h["uplink"]),
            "link set %s up" % h["uplink"],
            "route add default via %s dev %s" % (h["gateway"], h["uplink"]),
        ]})
    return steps


def step_argv(step):
    return ["ip"] + (["-n", step["netns"]] if step["netns"] else []) + ["-batch", "-"]


def format_plan(steps):
    """The plan as a readable shell script (for --dry-run)."""
    out = []
    for step in steps:
        out.append("%s <<'EOF'" % " ".join(step_argv(step)))
        out.extend(step["batch"])
        out.append("EOF")
    return "\n".join(out)


def run(argv, stdin=None, check=True):
    proc = subprocess.run(argv, input=stdin, capture_output=True, text=True, timeout=120, check=False)
    if check and proc.returncode != 0:
        raise LabError("command failed (%d): %s\n%s" % (proc.returncode, " ".join(argv), (proc.stderr or proc.stdout).strip()))
    return proc


def apply(steps):
    """Run the plan's steps in order; stop at the first failing step (the caller tears down)."""
    for step in steps:
        run(step_argv(step), stdin="\n".join(step["batch"]) + "\n")


# --------------------------------------------------------------------------- namespaces

def list_netns():
    """All network namespace names on this machine (the files in /run/netns)."""
    try:
        return sorted(os.listdir(NETNS_DIR))
    except OSError:
        return []


def lab_netns(prefix):
    """The namespaces that belong to lab ``prefix``: exactly those named ``prefix-...``."""
    check_prefix(prefix)
    return [name for name in list_netns() if name.startswith(prefix + "-")]


def teardown(prefix):
    """Delete every namespace named ``prefix-...`` (and nothing else); return the names deleted."""
    names = lab_netns(prefix)
    if names:
        # -force: carry on past a namespace that vanished meanwhile; what is left is checked below.
        run(["ip", "-force", "-batch", "-"], stdin="".join("netns del %s\n" % name for name in names), check=False)
    left = lab_netns(prefix)
    if left:
        raise LabError("could not delete namespaces: %s" % " ".join(left))
    return names


# --------------------------------------------------------------------------- inventory

def inventory_vars(n, prefix, python):
    group = {
        "ansible_connection": "netfabric.core.netns",
        "ansible_python_interpreter": python,
        "netfabric_lab_prefix": prefix,
        "netfabric_switch_netns": switch_ns(prefix),
    }
    hostvars = {}
    for h in hosts(n, prefix):
        hostvars[h["name"]] = {
            "ansible_host": h["netns"],
            "netfabric_uplink": h["uplink"],
            "netfabric_underlay_address": h["address"],
            "netfabric_underlay_prefix": h["prefixlen"],
            "netfabric_gateway": h["gateway"],
        }
    return group, hostvars


def render_inventory(n, prefix, python, fmt="yaml"):
    """The inventory text: group ``fabric`` with hosts h1..hN. ``fmt`` is ``yaml`` or ``ini``."""
    group, hostvars = inventory_vars(n, prefix, python)
    header = "# netfabric lab %s (%d hosts), written by lab/lab.py; rebuilt by every 'lab.py up'.\n" % (prefix, n)
    if fmt == "ini":
        def val(v):
            return str(v) if isinstance(v, int) else "'%s'" % v.replace("\\", "\\\\").replace("'", "\\'")
        lines = [header.rstrip("\n"), "[fabric]"]
        for name, hv in hostvars.items():
            lines.append(" ".join([name] + ["%s=%s" % (k, val(v)) for k, v in hv.items()]))
        lines += ["", "[fabric:vars]"] + ["%s=%s" % (k, val(v)) for k, v in group.items()]
        return "\n".join(lines) + "\n"
    # YAML: JSON scalars are valid YAML scalars, so json.dumps quotes every value safely.
    lines = [header.rstrip("\n"), "all:", "  children:", "    fabric:", "      vars:"]
    lines += ["        %s: %s" % (k, json.dumps(v)) for k, v in group.items()]
    lines.append("      hosts:")
    for name, hv in hostvars.items():
        lines.append("        %s:" % name)
        lines += ["          %s: %s" % (k, json.dumps(v)) for k, v in hv.items()]
    return "\n".join(lines) + "\n"


def inventory_format(path):
    return "ini" if os.path.splitext(path)[1].lower() in (".ini", ".cfg", "") else "yaml"


def write_inventory(path, n, prefix, python=None):
    """Write the inventory at ``path`` (INI for .ini or no extension, else YAML) atomically; return the path."""
    path = os.path.abspath(path)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    text = render_inventory(n, prefix, python or sys.executable, inventory_format(path))
    tmp = "%s.tmp%d" % (path, os.getpid())
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)
    return path


def default_inventory(prefix):
    return os.path.join(REPO, ".build", "lab", "%s.yml" % prefix)


# --------------------------------------------------------------------------- status

def status(prefix=None):
    """Per lab namespace: its links (name, state, addresses) and default route, as a list of dicts."""
    names = lab_netns(prefix) if prefix else [n for n in list_netns() if re.match(r"^[A-Za-z][A-Za-z0-9_]*-(sw|h\d+)$", n)]
    result = []
    for name in names:
        entry = {"netns": name, "links": [], "default_via": None}
        proc = run(["ip", "-n", name, "-j", "addr", "show"], check=False)
        if proc.returncode == 0 and proc.stdout.strip():
            for link in json.loads(proc.stdout):
                if link.get("ifname") == "lo":
                    continue
                entry["links"].append({
                    "ifname": link.get("ifname"),
                    "state": link.get("operstate"),
                    "master": link.get("master"),
                    "addresses": ["%s/%s" % (a["local"], a["prefixlen"]) for a in link.get("addr_info", [])
                                  if a.get("family") == "inet"],
                })
        proc = run(["ip", "-n", name, "-j", "route", "show", "default"], check=False)
        if proc.returncode == 0 and proc.stdout.strip():
            routes = json.loads(proc.stdout)
            entry["default_via"] = routes[0].get("gateway") if routes else None
        result.append(entry)
    return result


def format_status(entries):
    if not entries:
        return "no lab namespaces"
    out = []
    for e in entries:
        links = []
        for lk in e["links"]:
            text = "%s%s %s" % (lk["ifname"], "@" + lk["master"] if lk["master"] else "", lk["state"])
            links.append(" ".join([text] + lk["addresses"]))
        links = ", ".join(links)
        out.append("%-20s %s%s" % (e["netns"], links, "  default via %s" % e["default_via"] if e["default_via"] else ""))
    return "\n".join(out)


# --------------------------------------------------------------------------- CLI

def cmd_up(args):
    steps = plan_lab(args.hosts, args.prefix)
    inventory = args.inventory or default_inventory(args.prefix)
    if args.dry_run:
        print(format_plan(steps))
        return 0
    start = time.monotonic()
    old = teardown(args.prefix)
    if old:
        print("removed old lab %s: %d namespaces" % (args.prefix, len(old)))
    try:
        apply(steps)
        path = write_inventory(inventory, args.hosts, args.prefix)
    except BaseException:
        # never leave a half-built lab behind
        teardown(args.prefix)
        raise
    print("lab %s up: %d hosts + switch in %.2fs; inventory %s" % (args.prefix, args.hosts, time.monotonic() - start, path))
    return 0


def cmd_down(args):
    names = teardown(args.prefix)
    print("lab %s down: removed %d namespaces%s" % (args.prefix, len(names), (": " + " ".join(names)) if names else ""))
    return 0


def cmd_status(args):
    entries = status(args.prefix)
    print(json.dumps(entries, indent=2) if args.json else format_status(entries))
    return 0 if entries else 1


def build_parser():
    parser = argparse.ArgumentParser(prog="lab.py", description="netfabric namespace lab: hosts behind a bridge switch.")
    sub = parser.add_subparsers(dest="command")
    sub.required = True
    up = sub.add_parser("up", help="(re)build the lab and write its inventory")
    up.add_argument("--hosts", "-n", type=int, default=3, help="number of hosts (default 3, max %d)" % MAX_HOSTS)
    up.add_argument("--prefix", "-p", default=DEFAULT_PREFIX, help="namespace name prefix (default %s)" % DEFAULT_PREFIX)
    up.add_argument("--inventory", "-i", help="inventory path; .ini/no extension = INI, else YAML (default .build/lab/PREFIX.yml)")
    up.add_argument("--dry-run", action="store_true", help="print the ip -batch plan and do nothing")
    up.set_defaults(func=cmd_up)
    down = sub.add_parser("down", help="delete every namespace named PREFIX-*")
    down.add_argument("--prefix", "-p", default=DEFAULT_PREFIX)
    down.set_defaults(func=cmd_down)
    st = sub.add_parser("status", help="show the lab namespaces, their links, addresses and default routes")
    st.add_argument("--prefix", "-p", help="only this lab (default: every NAME-sw / NAME-hN namespace)")
    st.add_argument("--json", action="store_true")
    st.set_defaults(func=cmd_status)
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    try:
        if getattr(args, "prefix", None):
            check_prefix(args.prefix)
        return args.func(args)
    except LabError as e:
        print("lab.py: error: %s" % e, file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
