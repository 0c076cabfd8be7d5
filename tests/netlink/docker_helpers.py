"""A real Docker engine inside a lab host's network namespace, for the Docker network tests.

Each lab host gets its own dockerd (own socket, data and exec roots, so its own containerd), started with
``nsenter --net`` (``ip netns exec`` remounts /sys, hiding the cgroup mounts the OCI runtime needs) and with
``--iptables=false --bridge=none``: it touches no firewall and creates no default bridge. No registry is
reachable, so the image is a busybox-static root filesystem imported with ``docker import``.
"""
import json
import shutil
import subprocess
import tarfile
import time
from pathlib import Path

from cni_helpers import busybox_rootfs

IMAGE = "netfabric-busybox:test"


def require_docker():
    """Fail (not skip) when the engine or the CLI is missing: the feature cannot be shown without them."""
    missing = [tool for tool in ("dockerd", "docker", "nsenter") if shutil.which(tool) is None]
    if missing:
        raise AssertionError("%s missing: apt-get install docker.io busybox-static (make deps does)" % ", ".join(missing))


class Dockerd(object):
    """One dockerd running in network namespace ``host_ns``, its state under ``work`` (short: socket paths)."""

    def __init__(self, host_ns, work):
        self.host_ns, self.work = host_ns, Path(work)
        self.socket = self.work / "docker.sock"
        self.proc = None
        self.log = None

    @property
    def url(self):
        return "unix://%s" % self.socket

    def start(self, timeout=60):
        """Start the daemon and wait until it answers; on failure the log tail is in the error."""
        self.work.mkdir(parents=True, exist_ok=True)
        self.log = open(self.work / "dockerd.log", "w")
        argv = ["nsenter", "--net=/run/netns/" + self.host_ns, "dockerd", "--iptables=false", "--ip6tables=false",
                "--bridge=none", "--data-root", str(self.work / "data"), "--exec-root", str(self.work / "exec"),
                "--pidfile", str(self.work / "dockerd.pid"), "-H", self.url]
        self.proc = subprocess.Popen(argv, stdout=self.log, stderr=subprocess.STDOUT)   # nsenter execs dockerd
        deadline = time.monotonic() + timeout
        while self("version", check=False, timeout=10).returncode != 0:
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError("dockerd in %s did not come up: %s" % (self.host_ns, self.log_tail()))
            time.sleep(0.2)

    def log_tail(self, lines=20):
        path = self.work / "dockerd.log"
        return "\n".join(path.read_text().splitlines()[-lines:]) if path.exists() else ""

    def __call__(self, *args, check=True, timeout=120, stdin=None):
        argv = ["docker", "-H", self.url] + list(args)
        proc = subprocess.run(argv, capture_output=True, text=stdin is None, input=stdin, timeout=timeout, check=False)
        if check and proc.returncode != 0:
            raise AssertionError("%s failed (%d): %s%s" % (" ".join(argv), proc.returncode, proc.stdout, proc.stderr))
        return proc

    def import_rootfs(self, rootfs):
        """Import a root filesystem directory as IMAGE (docker import of a tar stream)."""
        tar = self.work / "rootfs.tar"
        with tarfile.open(tar, "w") as archive:
            archive.add(str(rootfs), arcname=".")
        self("import", str(tar), IMAGE)
        tar.unlink()

    def stop(self):
        """Remove every container, stop the daemon by its PID (it stops its containerd), unmount what is left."""
        if self.proc is not None and self.proc.poll() is None:
            ids = self("ps", "--all", "--quiet", check=False, timeout=30).stdout.split()
            if ids:
                self("rm", "--force", *ids, check=False, timeout=60)
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        if self.log is not None:
            self.log.close()
        mounts = [line.split()[1] for line in Path("/proc/mounts").read_text().splitlines()
                  if line.split()[1].startswith(str(self.work) + "/")]
        for mount in sorted(mounts, reverse=True):
            subprocess.run(["umount", "-l", mount], capture_output=True, check=False)


def start_engines(namespaces, work):
    """{host: Dockerd} started in each host namespace, each with the busybox image; stops what started on error."""
    rootfs = busybox_rootfs(Path(work) / "rootfs")
    engines = {}
    try:
        for host, ns in namespaces.items():
            engines[host] = Dockerd(ns, Path(work) / host)
            engines[host].start()
            engines[host].import_rootfs(rootfs)
    except BaseException:
        stop_engines(engines)
        raise
    return engines


def stop_engines(engines):
    for engine in engines.values():
        engine.stop()


def network(engine, name):
    """``docker network inspect NAME`` parsed, or None when there is no such network."""
    proc = engine("network", "inspect", name, check=False)
    return json.loads(proc.stdout)[0] if proc.returncode == 0 else None
