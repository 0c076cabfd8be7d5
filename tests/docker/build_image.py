#!/usr/bin/env python
"""Build the molecule/docker scenario's host image offline, once per set of inputs.

    build_image.py [--print-tag]    # build if missing; print the tag (nfdk-fabric-host:<hash>) last

No registry is reachable here, so the image is not pulled: ``debootstrap --variant=minbase`` puts Debian
(the host's release, from the mirror that /etc/apt/sources.list* already names) into a scratch directory
with python3, python3-venv, iproute2, iputils-ping, tcpdump and nftables (the VTEP filter); pyroute2 is
downloaded on the host with ``pip download`` (the requirement line of requirements.txt) and installed into /opt/netfabric, a venv in
the rootfs (``pip install --no-index``, inside a chroot); ``tar | docker import`` makes the image.

The tag is a hash of every input (this script, the package list, the suite, the mirror, the pyroute2
requirement): a second run finds the tag and builds nothing. The image is also tagged ``latest``, the
default of molecule/docker/molecule.yml. ``--print-tag`` only prints the tag.
Stdlib only; needs root, debootstrap and a running Docker engine.
"""
import glob
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
IMAGE = "nfdk-fabric-host"
PACKAGES = ["python3", "python3-venv", "iproute2", "iputils-ping", "tcpdump", "nftables"]
VENV = "/opt/netfabric"  # the hosts' ansible_python_interpreter is VENV/bin/python (molecule.yml)
# Inside the chroot only the rootfs counts: none of this machine's PIP_* settings (find-links, certificates).
CHROOT_ENV = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "HOME": "/root", "LANG": "C.UTF-8"}
SOURCES = ["/etc/apt/sources.list"] + sorted(
    glob.glob("/etc/apt/sources.list.d/*.list") + glob.glob("/etc/apt/sources.list.d/*.sources"))


def log(msg):
    sys.stderr.write("build_image: %s\n" % msg)
    sys.stderr.flush()


def run(argv, **kwargs):
    log("$ " + " ".join(argv))
    return subprocess.run(argv, check=True, **kwargs)


def codename():
    """The host's Debian release (VERSION_CODENAME of /etc/os-release): the image runs the same one."""
    with open("/etc/os-release", encoding="utf-8") as f:
        for line in f:
            key, value = line.strip().partition("=")[::2]
            if key == "VERSION_CODENAME" and value:
                return value.strip('"')
    raise SystemExit("build_image: no VERSION_CODENAME in /etc/os-release: cannot pick a Debian suite")


def debian_mirrors(texts, suite):
    """The URIs that the APT sources ``texts`` (one-line and deb822 formats) name for ``suite`` main."""
    found = []
    for text in texts:
        # one-line format: deb [options] URI SUITE COMPONENT...
        for m in re.finditer(r"^\s*deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)\s+(.*)$", text, re.M):
            if m.group(2) == suite and "main" in m.group(3).split():
                found.append(m.group(1))
        # deb822 format: stanzas of "Key: value" separated by blank lines
        for stanza in re.split(r"\n\s*\n", text):
            fields = dict((k.strip().lower(), v.split()) for k, v in
                          re.findall(r"^([A-Za-z-]+):[ \t]*(.*)$", stanza, re.M))
            if ("deb" in fields.get("types", []) and suite in fields.get("suites", [])
                    and "main" in fields.get("components", []) and fields.get("enabled", ["yes"]) != ["no"]):
                found.extend(fields.get("uris", []))
    return [uri for uri in dict.fromkeys(found) if uri.startswith(("http://", "https://", "file:/"))]


def mirror(suite):
    texts = []
    for path in SOURCES:
        if os.path.isfile(path):
            with open(path, encoding="utf-8") as f:
                texts.append(f.read())
    uris = debian_mirrors(texts, suite)
    if not uris:
        raise SystemExit("build_image: no Debian mirror for %s main in %s" % (suite, " ".join(SOURCES)))
    return uris[0]


def pyroute2_requirement():
    """The pyroute2 line of requirements.txt: the hosts get the version the controller's tests use."""
    with open(os.path.join(REPO, "requirements.txt"), encoding="utf-8") as f:
        for line in f:
            spec = line.split("#")[0].split(";")[0].strip()
            if re.match(r"pyroute2\b", spec):
                return spec
    raise SystemExit("build_image: requirements.txt has no pyroute2 line")


def inputs():
    suite = codename()
    with open(os.path.abspath(__file__), "rb") as f:
        script = f.read()
    return {"suite": suite, "mirror": mirror(suite), "packages": ",".join(PACKAGES),
            "pyroute2": pyroute2_requirement(), "script": hashlib.sha256(script).hexdigest()}


def tag(values):
    text = "\n".join("%s=%s" % kv for kv in sorted(values.items()))
    return "%s:%s" % (IMAGE, hashlib.sha256(text.encode()).hexdigest()[:16])


def image_exists(name):
    return subprocess.run(["docker", "image", "inspect", name], stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL, check=False).returncode == 0


def unmount_below(root):
    """Unmount whatever debootstrap left mounted under ``root`` (it mounts proc/sys; a failure can leave them)."""
    with open("/proc/self/mountinfo", encoding="utf-8") as f:
        points = [line.split()[4] for line in f]
    for point in sorted((p for p in points if p == root or p.startswith(root + "/")), reverse=True):
        subprocess.run(["umount", "-l", point], check=False)


def python_version(rootfs):
    out = subprocess.run(["chroot", rootfs, "python3", "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                         capture_output=True, text=True, check=True, env=CHROOT_ENV)
    return out.stdout.strip()


def install_pyroute2(rootfs, requirement):
    """A venv in the rootfs with pyroute2 from wheels downloaded here (the rootfs has no network)."""
    wheels = os.path.join(rootfs, "tmp", "wheels")
    run([sys.executable, "-m", "pip", "download", "-q", "--only-binary=:all:", "--python-version",
         python_version(rootfs), "-d", wheels, requirement])
    run(["chroot", rootfs, "python3", "-m", "venv", VENV], env=CHROOT_ENV)
    run(["chroot", rootfs, VENV + "/bin/pip", "install", "-q", "--no-index", "--no-cache-dir",
         "--find-links", "/tmp/wheels", requirement], env=CHROOT_ENV)
    shutil.rmtree(wheels)


def build(name, values):
    rootfs = tempfile.mkdtemp(prefix="nfdk-rootfs.", dir="/var/tmp")
    try:
        run(["debootstrap", "--variant=minbase", "--include=" + values["packages"], values["suite"], rootfs,
             values["mirror"]], stdout=subprocess.DEVNULL)
        install_pyroute2(rootfs, values["pyroute2"])
        for junk in ("var/cache/apt/archives", "var/lib/apt/lists"):
            run(["find", os.path.join(rootfs, junk), "-type", "f", "-delete"])
        tar = subprocess.Popen(["tar", "--numeric-owner", "-C", rootfs, "-c", "."], stdout=subprocess.PIPE)
        run(["docker", "import", "--change", "CMD [\"sleep\", \"infinity\"]", "-", name], stdin=tar.stdout,
            stdout=subprocess.DEVNULL)
        if tar.wait() != 0:
            raise SystemExit("build_image: tar of the rootfs failed")
    finally:
        unmount_below(rootfs)
        subprocess.run(["rm", "-rf", "--one-file-system", rootfs], check=False)


def remove_stale_tags(current):
    """Other nfdk-fabric-host:<hash> images are builds from older inputs: drop them (their layers go too)."""
    out = subprocess.run(["docker", "image", "ls", "--format", "{{.Repository}}:{{.Tag}}", IMAGE],
                         capture_output=True, text=True, check=True).stdout.split()
    stale = [name for name in out if name not in (current, IMAGE + ":latest")]
    if stale:
        run(["docker", "image", "rm"] + stale, stdout=subprocess.DEVNULL)


def main(argv):
    values = inputs()
    name = tag(values)
    if "--print-tag" not in argv:
        if image_exists(name):
            log("%s is there (same inputs): nothing to build" % name)
        else:
            log("building %s from %s %s" % (name, values["suite"], values["mirror"]))
            build(name, values)
        run(["docker", "tag", name, IMAGE + ":latest"])  # the default of molecule.yml, for runs by hand
        remove_stale_tags(name)
    print(name)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
