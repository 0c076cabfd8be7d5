"""The ``ipv6_addrgen`` option of bridge, vxlan_vtep and veth_pair (issue 13: no host presence on tenant links).

One shared implementation (module_utils/addrgen.py), so every case runs against all three modules. Judged
with ``ip -j addr`` (no address), ``ip -j -d link`` (``inet6_addr_gen_mode``), state dumps (check mode and bad
input change nothing) and tcpdump in the container (the host end of a veth sends nothing into it).
"""
import json
import subprocess

import pytest

from conftest import assert_failed_cleanly, assert_ok, dump_state, link, run_module, sh
from test_veth_pair import dump_state as timerless_state, settled_state

UNDERLAY = "192.0.2.11"


@pytest.fixture
def host(make_netns):
    """A host with an underlay link (e0, for the VTEP) and a container namespace; no DAD, so a link-local
    address is final at once and two state dumps differ only by what a module did."""
    name = make_netns("ag")
    container = make_netns("agc")
    for netns in (name, container):
        sh("sysctl", "-qw", "net.ipv6.conf.all.accept_dad=0", "net.ipv6.conf.default.accept_dad=0", ns=netns)
    sh("ip", "link", "add", "e0", "type", "veth", "peer", "name", "e1", ns=name)
    sh("ip", "addr", "add", UNDERLAY + "/24", "dev", "e0", ns=name)
    sh("ip", "link", "set", "e0", "up", ns=name)
    return {"ns": name, "container": container}


# kind -> (module, module arguments, commands that build the same link by hand, as "ip" argv lists)
def cases(host):
    ns, container = host["ns"], host["container"]
    return {
        "bridge": ("bridge", {"name": "brt"}, [["link", "add", "brt", "type", "bridge"], ["link", "set", "brt", "up"]]),
        "vxlan_vtep": ("vxlan_vtep", {"name": "vx9", "vni": 9, "local": UNDERLAY, "dev": "e0"},
                       [["link", "add", "vx9", "type", "vxlan", "id", "9", "local", UNDERLAY, "dev", "e0", "dstport",
                         "4789", "nolearning"], ["link", "set", "vx9", "up"]]),
        "veth_pair": ("veth_pair", {"name": "ot1", "peer": "eth1", "peer_netns": container},
                      [["link", "add", "ot1", "type", "veth", "peer", "name", "eth1", "netns", container],
                       ["link", "set", "ot1", "up"], ["-n", container, "link", "set", "lo", "up"],
                       ["-n", container, "link", "set", "eth1", "up"]]),
    }


KINDS = ["bridge", "vxlan_vtep", "veth_pair"]


def build_by_hand(ns, commands):
    for argv in commands:
        subprocess.run(["ip", "-n", ns] + argv if argv[0] != "-n" else ["ip"] + argv, check=True, timeout=30)


def link_local(ns, name):
    return ["%s/%s" % (a["local"], a["prefixlen"]) for entry in json.loads(sh("ip", "-j", "addr", "show", "dev", name, ns=ns))
            for a in entry.get("addr_info", [])]


def mode(ns, name):
    return link(ns, name)["inet6_addr_gen_mode"]


def bounce(ns, name):
    sh("ip", "link", "set", name, "down", ns=ns)
    sh("ip", "link", "set", name, "up", ns=ns)


@pytest.mark.parametrize("kind", KINDS)
def test_off_removes_the_link_local_of_an_existing_link_and_converges(host, kind):
    ns = host["ns"]
    module, args, commands = cases(host)[kind]
    build_by_hand(ns, commands)
    name = args["name"]
    existing = link_local(ns, name)
    assert len(existing) == 1 and existing[0].startswith("fe80:"), existing
    args = dict(args, netns=ns, ipv6_addrgen=False)

    state = dump_state(ns, host["container"])
    check = run_module(module, args, check_mode=True)
    assert_ok(check, True)
    assert dump_state(ns, host["container"]) == state       # check mode changed nothing
    assert check["actions"] == ["ipv6_addrgen=off on %s (addrgenmode none)" % name,
                                "del address %s from %s" % (existing[0], name)]
    assert (check["diff"]["before"]["ipv6_addrgen"], check["diff"]["before"]["ipv6_link_local"]) == (True, existing)
    assert (check["diff"]["after"]["ipv6_addrgen"], check["diff"]["after"]["ipv6_link_local"]) == (False, [])

    result = run_module(module, args)
    assert_ok(result, True)
    assert result["actions"] == check["actions"]
    assert link_local(ns, name) == [] and mode(ns, name) == "none"
    again = run_module(module, args)
    assert_ok(again, False)
    assert again["diff"]["before"] == again["diff"]["after"]
    state = dump_state(ns, host["container"])
    assert_ok(run_module(module, args, check_mode=True), False)
    assert dump_state(ns, host["container"]) == state
    bounce(ns, name)                                         # the mode stays: no address when it comes up again
    assert link_local(ns, name) == []

    on = dict(args, ipv6_addrgen=True)
    result = run_module(module, on)
    assert_ok(result, True)
    assert result["actions"] == ["ipv6_addrgen=on on %s (addrgenmode eui64)" % name]
    assert mode(ns, name) == "eui64"
    assert_ok(run_module(module, on), False)
    bounce(ns, name)
    assert [a for a in link_local(ns, name) if a.startswith("fe80:")], "eui64 gives a link-local again"


@pytest.mark.parametrize("kind", KINDS)
def test_new_link_comes_up_without_an_address(host, kind):
    ns = host["ns"]
    module, args, _commands = cases(host)[kind]
    args = dict(args, netns=ns, ipv6_addrgen=False)
    state = dump_state(ns, host["container"])
    check = run_module(module, args, check_mode=True)
    assert_ok(check, True)
    assert dump_state(ns, host["container"]) == state
    assert check["diff"]["before"]["state"] == "absent"
    result = run_module(module, args)
    assert_ok(result, True)
    name = args["name"]
    # the mode is set before the link first comes up
    actions = result["actions"]
    assert actions.index("ipv6_addrgen=off on %s (addrgenmode none)" % name) < actions.index("set %s up" % name)
    assert link_local(ns, name) == [] and mode(ns, name) == "none"
    assert result["diff"]["after"]["ipv6_link_local"] == []
    assert_ok(run_module(module, args), False)


@pytest.mark.parametrize("kind", KINDS)
def test_omitted_leaves_the_link_local_alone(host, kind):
    ns = host["ns"]
    module, args, commands = cases(host)[kind]
    build_by_hand(ns, commands)
    existing = link_local(ns, args["name"])
    result = run_module(module, dict(args, netns=ns))
    assert_ok(result, False)
    assert "ipv6_addrgen" not in result["diff"]["after"]
    assert link_local(ns, args["name"]) == existing != []


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("value", ["maybe", "2"])
def test_bad_value_fails_before_any_change(host, kind, value):
    ns = host["ns"]
    module, args, commands = cases(host)[kind]
    build_by_hand(ns, commands)
    # Links made just now still change on their own (linkwatch sets carrier and operstate up to a second later).
    before = settled_state(ns, host["container"])
    result = run_module(module, dict(args, netns=ns, ipv6_addrgen=value))
    assert_failed_cleanly(result, "ipv6_addrgen", value, before, timerless_state(ns, host["container"]))


def ipv6_seen_in_container(host, args, seconds=4):
    """Packets of the host end's IPv6 (DAD, MLD, router solicitations) the container receives while the
    module creates the pair: tcpdump on every interface of the container namespace, whose own IPv6 is off."""
    container = host["container"]
    sh("sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1", ns=container)
    capture = subprocess.Popen(["ip", "netns", "exec", container, "timeout", str(seconds + 2), "tcpdump", "-n", "-l",
                                "-i", "any", "ip6"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        for line in capture.stderr:  # tcpdump says "listening on" once it captures (EOF: it failed)
            if line.startswith("listening on"):
                break
        else:
            raise AssertionError("tcpdump did not start in %s" % container)
        assert_ok(run_module("veth_pair", args), True)
        out = capture.communicate(timeout=seconds + 10)[0]
    finally:
        if capture.poll() is None:
            capture.kill()
            capture.wait()
    return [line for line in out.splitlines() if line.strip()]


def test_host_end_sends_nothing_into_the_container(host):
    """The control (option omitted) proves the capture sees the host end's MLD/RS; with false it sees none."""
    ns = host["ns"]
    _module, args, _commands = cases(host)["veth_pair"]
    seen = ipv6_seen_in_container(host, dict(args, netns=ns))
    assert seen, "control: a host end with a link-local sends MLD reports / router solicitations"
    assert_ok(run_module("veth_pair", dict(args, netns=ns, state="absent")), True)
    seen = ipv6_seen_in_container(host, dict(args, netns=ns, ipv6_addrgen=False))
    assert seen == [], seen
