"""veth_pair ``mtu_from``: both ends take another link's MTU as it is when the task runs (the overlay's
container veths follow their tenant VTEP), judged by ``ip -j``."""
from conftest import assert_failed_cleanly, assert_ok, dump_state, link, run_module, sh


def args(ns, **extra):
    return dict(dict(netns=ns, name="oc1", peer="eth1", mtu_from="vx100"), **extra)


def make_vtep(ns, mtu):
    sh("ip", "link", "add", "vx100", "type", "vxlan", "id", "100", "dstport", "4789", "local", "127.0.0.1", ns=ns)
    sh("ip", "link", "set", "vx100", "mtu", str(mtu), ns=ns)


def test_both_ends_take_the_source_mtu_and_follow_it(ns):
    make_vtep(ns, 1450)
    assert_ok(run_module("veth_pair", args(ns)), True)
    assert link(ns, "oc1")["mtu"] == link(ns, "eth1")["mtu"] == 1450
    assert_ok(run_module("veth_pair", args(ns)), False)
    sh("ip", "link", "set", "vx100", "mtu", "1400", ns=ns)
    result = run_module("veth_pair", args(ns))
    assert_ok(result, True)
    assert result["actions"] == ["mtu=1400 on oc1", "mtu=1400 on peer eth1"], result["actions"]
    assert link(ns, "oc1")["mtu"] == link(ns, "eth1")["mtu"] == 1400


def test_check_mode_reports_the_source_mtu_and_changes_nothing(ns):
    make_vtep(ns, 1450)
    assert_ok(run_module("veth_pair", args(ns)), True)
    sh("ip", "link", "set", "vx100", "mtu", "1380", ns=ns)
    before = dump_state(ns)
    result = run_module("veth_pair", args(ns), check_mode=True)
    assert_ok(result, True)
    assert result["diff"]["after"]["mtu"] == result["diff"]["after"]["peer_mtu"] == 1380
    assert dump_state(ns) == before


def test_missing_source_and_both_options_are_refused_before_any_change(ns):
    before = dump_state(ns)
    assert_failed_cleanly(run_module("veth_pair", args(ns)), "mtu_from", "vx100", before, dump_state(ns))
    assert_failed_cleanly(run_module("veth_pair", args(ns, mtu=1400)), "mtu_from", "vx100", before, dump_state(ns))
    assert link(ns, "oc1") is None
