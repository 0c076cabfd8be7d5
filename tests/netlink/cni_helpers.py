"""Helpers for the runtime tests: a 2-host lab with the fabric converged, and CNI plugins called as a runtime.

A runtime runs each plugin of a configuration list with the CNI_* environment, inside the host's network
namespace, the plugin's configuration (plus ``name``, ``cniVersion`` and, for CHECK/DEL, ``prevResult``) on
stdin. No package ships ``cnitool``, so this module does exactly that with the real plugins in /usr/lib/cni.
"""
import ipaddress
import json
import os
import re
import subprocess
import sys
from pathlib import Path

from conftest import REPO, ansible_bin, ansible_env

CNI_PATH = "/usr/lib/cni"
LAB = REPO / "lab" / "lab.py"
RECAP = re.compile(r"^(\S+)\s+: ok=\d+\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.M)
TENANTS = [{"name": "blue", "vni": 100, "subnet": "198.51.100.0/24"},
           {"name": "red", "vni": 200, "subnet": "203.0.113.0/24"}]
PER_HOST = 20


def lab(*args):
    subprocess.run([sys.executable, str(LAB)] + list(args), check=True, capture_output=True, timeout=120)


def host_dir(root, host):
    """Each lab host's own CNI configuration and host-local state: the lab hosts share one filesystem."""
    return Path(root) / host


def fabric_vars(root, tenants=None):
    """Extra vars of the playbook: CNI on for both roles, per-host directories under ``root``."""
    per_host = str(root) + "/{{ inventory_hostname }}"
    return {
        "overlay_tenants": tenants if tenants is not None else TENANTS,
        "overlay_per_host": PER_HOST,
        "underlay_per_host": PER_HOST,
        "overlay_cni": True,
        "underlay_cni": True,
        "overlay_cni_dir": per_host + "/net.d",
        "underlay_cni_dir": per_host + "/net.d",
        "overlay_cni_data_dir": per_host + "/ipam",
        "underlay_cni_data_dir": per_host + "/ipam",
    }


def playbook(inventory, extra, *options):
    """Run playbooks/overlay.yml; return ({host: changed count}, output). Fails on any failed host."""
    argv = [ansible_bin("ansible-playbook"), "-i", str(inventory), "-e", json.dumps(extra),
            str(REPO / "playbooks" / "overlay.yml")] + list(options)
    proc = subprocess.run(argv, capture_output=True, text=True, env=ansible_env(), timeout=600, check=False)
    output = proc.stdout + proc.stderr
    rows = RECAP.findall(proc.stdout)
    assert proc.returncode == 0 and rows and all(row[2] == row[3] == "0" for row in rows), output
    return {row[0]: int(row[1]) for row in rows}, output


def load(path):
    with open(path) as handle:
        return json.load(handle)


def block_of(conflist):
    """The addresses the configuration list's host-local range set may hand out, as a set of ip_address."""
    out = set()
    for item in conflist["plugins"][0]["ipam"]["ranges"][0]:
        first, last = (int(ipaddress.ip_address(item[key])) for key in ("rangeStart", "rangeEnd"))
        out.update(ipaddress.ip_address(value) for value in range(first, last + 1))
    return out


def cni(command, conflist, host_ns, container_ns, container_id, prev=None, ifname="eth0"):
    """Run the list's plugin for ADD/CHECK/DEL as a runtime does; return (exit code, parsed stdout or None)."""
    conf = dict(conflist["plugins"][0], name=conflist["name"], cniVersion=conflist["cniVersion"])
    if prev is not None:
        conf["prevResult"] = prev
    env = dict(os.environ, CNI_COMMAND=command, CNI_CONTAINERID=container_id, CNI_NETNS="/run/netns/" + container_ns,
               CNI_IFNAME=ifname, CNI_PATH=CNI_PATH)
    plugin = os.path.join(CNI_PATH, conf["type"])
    proc = subprocess.run(["ip", "netns", "exec", host_ns, plugin], input=json.dumps(conf), capture_output=True,
                          text=True, env=env, timeout=60, check=False)
    try:
        return proc.returncode, json.loads(proc.stdout) if proc.stdout.strip() else None
    except ValueError:
        raise AssertionError("%s %s printed no JSON (rc=%d): %s %s" % (plugin, command, proc.returncode, proc.stdout,
                                                                       proc.stderr))


def result_address(result):
    """The single address (ip_interface) of an ADD result."""
    assert result and len(result["ips"]) == 1, result
    return ipaddress.ip_interface(result["ips"][0]["address"])


def ping(ns, address, count=3):
    """Bounded ping from namespace ``ns``; True when every probe got a reply."""
    proc = subprocess.run(["ip", "netns", "exec", ns, "ping", "-n", "-q", "-c", str(count), "-W", "1", "-w", str(count + 2),
                           str(address)], capture_output=True, text=True, timeout=30, check=False)
    return proc.returncode == 0 and (" %d received" % count) in proc.stdout


CONTAINERS_CONF = """\
# podman for the tests: CNI backend on one lab host's generated directory; limits this machine allows.
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]

[network]
network_backend = "cni"
cni_plugin_dirs = ["%(plugins)s"]
network_config_dir = "%(cni_dir)s"

[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
runtime = "runc"
"""


class Podman(object):
    """Rootful podman running in a lab host's network namespace, pointed at that host's CNI directory.

    ``nsenter --net`` rather than ``ip netns exec``: the latter remounts /sys, which hides the cgroup mounts
    the OCI runtime needs. runc, because crun refuses this machine's hybrid cgroup layout. Storage, run and
    tmp directories live under ``work`` (removed by the caller).
    """

    def __init__(self, host_ns, cni_dir, work):
        self.host_ns, self.work = host_ns, Path(work)
        self.work.mkdir(parents=True, exist_ok=True)
        self.conf = self.work / "containers.conf"
        self.conf.write_text(CONTAINERS_CONF % {"plugins": CNI_PATH, "cni_dir": cni_dir})

    def __call__(self, *args, check=True, timeout=120):
        argv = ["nsenter", "--net=/run/netns/" + self.host_ns, "podman", "--root", str(self.work / "root"),
                "--runroot", str(self.work / "run"), "--tmpdir", str(self.work / "tmp")] + list(args)
        env = dict(os.environ, CONTAINERS_CONF=str(self.conf))
        proc = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=timeout, check=False)
        if check and proc.returncode != 0:
            raise AssertionError("%s failed (%d): %s%s" % (" ".join(argv), proc.returncode, proc.stdout, proc.stderr))
        return proc

    def cleanup(self):
        """Remove every container of this podman (stops them; the runtime runs CNI DEL), then unmount leftovers."""
        self("rm", "--all", "--force", "--time", "0", check=False)
        mounts = [line.split()[1] for line in Path("/proc/mounts").read_text().splitlines()
                  if line.split()[1].startswith(str(self.work) + "/")]
        for mount in sorted(mounts, reverse=True):
            subprocess.run(["umount", "-l", mount], capture_output=True, check=False)


def busybox_rootfs(path):
    """A minimal root filesystem: Debian's static busybox and the applets the tests use."""
    busybox = "/bin/busybox"
    dynamic = subprocess.run(["ldd", busybox], capture_output=True, text=True, check=False) if os.path.exists(busybox) else None
    if dynamic is None or dynamic.returncode == 0:
        raise AssertionError("%s is missing or not static: apt-get install busybox-static (make deps does)" % busybox)
    root = Path(path)
    for sub in ("bin", "etc", "proc", "sys", "dev", "tmp", "run"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    with open(busybox, "rb") as src, open(root / "bin" / "busybox", "wb") as dst:
        dst.write(src.read())
    os.chmod(root / "bin" / "busybox", 0o755)
    for applet in ("sh", "ip", "ping", "sleep"):
        os.symlink("busybox", root / "bin" / applet)
    return root
