"""netfabric.core.netns: create/remove named namespaces, checked with ``ip netns list`` and ``ip -j``.

Every namespace here is named ``<PREFIX>-m...`` and deleted at teardown whatever the test did.
"""
import json
import os
import subprocess
import sys
import time

import pytest

from conftest import COLLECTIONS, MODULES, PREFIX, link, run_module, sh, veth


def netns_names():
    """``ip netns list`` (names only) of this session's namespaces: the independent view. Other test
    sessions running at the same time create and delete their own namespaces, with other prefixes."""
    return sorted(name for name in (line.split()[0] for line in sh("ip", "netns", "list").splitlines() if line.strip())
                  if name.startswith(PREFIX))


@pytest.fixture
def names():
    """Factory for prefixed namespace names; every one of them is removed at teardown."""
    made = []

    def factory(suffix):
        name = "%s-m%s" % (PREFIX, suffix)
        made.append(name)
        return name

    yield factory
    for name in made:
        subprocess.run(["ip", "netns", "del", name], capture_output=True, check=False)
        if os.path.lexists("/run/netns/" + name):
            os.unlink("/run/netns/" + name)
    leftover = [n for n in netns_names() if n in made]
    assert not leftover, leftover


def test_create_and_rerun_unchanged(names):
    name = names("a")
    result = run_module("netns", dict(name=name))
    assert result["rc"] == 0, result
    assert result["changed"] is True
    assert result["actions"] == ["create network namespace %s" % name, "set lo up in %s" % name]
    assert result["diff"]["before"] == {"name": name, "state": "absent"}
    assert result["diff"]["after"] == {"name": name, "state": "present", "loopback_up": True, "links": []}
    assert name in netns_names()
    assert "UP" in link(name, "lo")["flags"]
    # it is a real, separate namespace: a link made in it is not in ours
    veth(name, "mv0", "mv1", up=False)
    assert link(name, "mv0") is not None

    again = run_module("netns", dict(name=name))
    assert again["rc"] == 0, again
    assert again["changed"] is False and again["actions"] == []
    assert again["diff"]["before"]["links"] == ["mv0", "mv1"]
    assert name in netns_names()
    assert link(name, "mv0") is not None  # untouched


def test_loopback_down(names):
    name = names("l")
    result = run_module("netns", dict(name=name, loopback_up=False))
    assert result["rc"] == 0, result
    assert result["actions"] == ["create network namespace %s" % name]
    assert "UP" not in link(name, "lo")["flags"]
    result = run_module("netns", dict(name=name))
    assert result["actions"] == ["set lo up in %s" % name]
    assert "UP" in link(name, "lo")["flags"]
    result = run_module("netns", dict(name=name, loopback_up=False))
    assert result["changed"] is True and "UP" not in link(name, "lo")["flags"]


def test_check_mode_creates_nothing(names):
    name = names("c")
    before = netns_names()
    result = run_module("netns", dict(name=name), check_mode=True)
    assert result["rc"] == 0, result
    assert result["changed"] is True
    assert result["actions"] == ["create network namespace %s" % name, "set lo up in %s" % name]
    assert netns_names() == before
    assert not os.path.lexists("/run/netns/" + name)


def test_absent_removes(names):
    name = names("r")
    assert run_module("netns", dict(name=name))["rc"] == 0
    veth(name, "mv0", "mv1")

    checked = run_module("netns", dict(name=name, state="absent"), check_mode=True)
    assert checked["rc"] == 0 and checked["changed"] is True
    assert name in netns_names()

    result = run_module("netns", dict(name=name, state="absent"))
    assert result["rc"] == 0, result
    assert result["changed"] is True
    assert result["actions"] == ["remove network namespace %s (the kernel deletes its virtual links: mv0, mv1)" % name]
    assert name not in netns_names()
    assert not os.path.lexists("/run/netns/" + name)

    again = run_module("netns", dict(name=name, state="absent"))
    assert again["rc"] == 0 and again["changed"] is False


def test_absent_deletes_veth_peer_in_other_namespace(names, make_netns):
    """Removing a namespace deletes the veth end in it, and the kernel deletes the other end with it."""
    other = make_netns("o")
    name = names("v")
    assert run_module("netns", dict(name=name))["rc"] == 0
    veth(other, "mvh", "mvc", peer_ns=name)
    assert link(other, "mvh") is not None
    assert run_module("netns", dict(name=name, state="absent"))["rc"] == 0
    # The kernel tears a namespace down asynchronously (cleanup_net runs from a workqueue once the last
    # reference is gone): under load the veth can outlive the module's run by a moment, not for good.
    deadline = time.monotonic() + 10
    while link(other, "mvh") is not None and time.monotonic() < deadline:
        time.sleep(0.1)
    assert link(other, "mvh") is None


def test_stale_file_is_replaced(names):
    name = names("s")
    os.makedirs("/run/netns", exist_ok=True)
    open("/run/netns/" + name, "w").close()  # what an interrupted creation leaves behind
    result = run_module("netns", dict(name=name))
    assert result["rc"] == 0, result
    assert result["actions"][0].startswith("remove /run/netns/%s: a file, not a mounted namespace" % name)
    assert link(name, "lo") is not None


BAD = [
    PREFIX + "-" + "x" * 60,   # 64 characters
    "/run/netns/" + PREFIX,
    PREFIX + "/x",
    "../" + PREFIX,
    "12345",
    PREFIX + " x",
    PREFIX + ";x",
    "-" + PREFIX,
    "",
]


@pytest.mark.parametrize("bad", BAD)
def test_bad_names_fail(bad):
    before = netns_names()
    result = run_module("netns", dict(name=bad))
    assert result["rc"] != 0, result
    assert result["msg"].startswith("name:"), result["msg"]
    assert repr(bad) in result["msg"], result["msg"]
    assert netns_names() == before
    if bad and "/" not in bad:
        assert not os.path.lexists("/run/netns/" + bad)


def test_created_under_ip_netns_exec_is_visible_everywhere(names, ns):
    """The netns connection runs modules under ``ip netns exec`` (a slave mount namespace): a
    namespace created there must still be a real, shared namespace for every other process."""
    name = names("x")
    payload = json.dumps({"ANSIBLE_MODULE_ARGS": {"name": name, "_ansible_check_mode": False, "_ansible_diff": True}})
    module = str(MODULES / "netns.py")
    env = dict(os.environ, PYTHONPATH=str(COLLECTIONS))
    proc = subprocess.run(["ip", "netns", "exec", ns, sys.executable, module], input=payload, env=env,
                          capture_output=True, text=True, timeout=60, check=False)
    assert json.loads(proc.stdout)["changed"] is True, proc.stdout + proc.stderr
    assert name in netns_names()
    # A process outside any wrapper enters it: the bind mount exists in the origin mount namespace.
    assert "lo" in sh("ip", "-br", "link", ns=name)
    proc = subprocess.run(["ip", "netns", "exec", ns, sys.executable, module],
                          input=payload.replace('"name": "%s"' % name, '"name": "%s", "state": "absent"' % name),
                          env=env, capture_output=True, text=True, timeout=60, check=False)
    assert json.loads(proc.stdout)["changed"] is True, proc.stdout + proc.stderr
    assert name not in netns_names() and not os.path.exists("/run/netns/" + name)
