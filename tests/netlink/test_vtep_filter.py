"""netfabric.core.vtep_filter against real nftables in a throwaway namespace, checked with ``nft -j``."""
import json

import pytest

from conftest import PREFIX, assert_failed_cleanly, assert_ok, run_module, sh

PEERS = ["192.0.2.13", "192.0.2.12", "2001:db8::12"]


def nft_table(ns):
    """(set elements by set name, rules as nft prints them) of the filter table, via nft itself."""
    text = sh("nft", "list", "table", "inet", "netfabric_vtep", ns=ns)
    data = json.loads(sh("nft", "-j", "list", "table", "inet", "netfabric_vtep", ns=ns))["nftables"]
    sets = dict((i["set"]["name"], i["set"].get("elem", [])) for i in data if "set" in i)
    return sets, [line.strip() for line in text.splitlines() if "dport" in line]


def nft_dump(ns):
    return sh("nft", "-j", "list", "ruleset", ns=ns)


def vtep_filter(ns, check_mode=False, **args):
    return run_module("vtep_filter", dict(args, netns=ns), check_mode=check_mode)


def test_create_rerun_change_absent(ns):
    assert_ok(vtep_filter(ns, peers=PEERS), True)
    sets, rules = nft_table(ns)
    assert sets == {"peers4": ["192.0.2.12", "192.0.2.13"], "peers6": ["2001:db8::12"]}
    assert rules == ["udp dport 4789 ip saddr @peers4 accept", "udp dport 4789 ip6 saddr @peers6 accept",
                     "udp dport 4789 counter packets 0 bytes 0 drop"]
    assert_ok(vtep_filter(ns, peers=list(reversed(PEERS))), False)
    # A peer leaves and the port changes: the table is replaced as a whole.
    result = vtep_filter(ns, peers=["192.0.2.12"], dstport=4790)
    assert_ok(result, True)
    assert result["diff"]["before"]["sets"]["peers4"] == ["192.0.2.12", "192.0.2.13"]
    assert result["diff"]["after"]["sets"] == {"peers4": ["192.0.2.12"], "peers6": []}
    sets, rules = nft_table(ns)
    assert sets == {"peers4": ["192.0.2.12"], "peers6": []}
    assert all("dport 4790" in rule for rule in rules)
    assert_ok(vtep_filter(ns, state="absent"), True)
    assert "netfabric_vtep" not in nft_dump(ns)
    assert_ok(vtep_filter(ns, state="absent"), False)


def test_hand_edits_are_drift(ns):
    assert_ok(vtep_filter(ns, peers=PEERS), True)
    sh("nft", "add", "element", "inet", "netfabric_vtep", "peers4", "{ 192.0.2.66 }", ns=ns)
    assert_ok(vtep_filter(ns, peers=PEERS), True)
    sh("nft", "flush", "chain", "inet", "netfabric_vtep", "input", ns=ns)
    result = vtep_filter(ns, peers=PEERS)
    assert_ok(result, True)
    assert result["diff"]["before"]["rules"] == []
    assert len(nft_table(ns)[1]) == 3


def test_check_mode_changes_nothing(ns):
    before = nft_dump(ns)
    result = vtep_filter(ns, check_mode=True, peers=PEERS)
    assert_ok(result, True)
    assert nft_dump(ns) == before
    assert_ok(vtep_filter(ns, peers=PEERS), True)
    before = nft_dump(ns)
    assert_ok(vtep_filter(ns, check_mode=True, peers=["192.0.2.12"]), True)
    assert nft_dump(ns) == before


def test_other_tables_are_never_touched(ns):
    sh("nft", "add", "table", "inet", "mine", ns=ns)
    sh("nft", "add", "chain", "inet", "mine", "input", "{ type filter hook input priority 0; }", ns=ns)
    assert_ok(vtep_filter(ns, peers=PEERS), True)
    assert_ok(vtep_filter(ns, state="absent"), True)
    assert "mine" in sh("nft", "list", "tables", ns=ns)


BAD_INPUT = [
    ("peers[1]", dict(peers=["192.0.2.12", "192.0.2.300"]), "192.0.2.300"),
    ("peers[0]", dict(peers=["host;reboot"]), "host;reboot"),
    ("dstport", dict(peers=PEERS, dstport=0), 0),
    ("dstport", dict(peers=PEERS, dstport=70000), 70000),
    ("table", dict(peers=PEERS, table="bad table"), "bad table"),
    ("netns", dict(peers=PEERS, netns="../etc"), "../etc"),
]


@pytest.mark.parametrize("option,args,value", BAD_INPUT, ids=["%s=%r" % (c[0], c[2]) for c in BAD_INPUT])
def test_bad_input_fails_before_any_change(ns, option, args, value):
    assert_ok(vtep_filter(ns, peers=["192.0.2.12"]), True)
    before = nft_dump(ns)
    args = dict(args)
    target = args.pop("netns", ns)
    result = run_module("vtep_filter", dict(args, netns=target))
    assert_failed_cleanly(result, option, value, before, nft_dump(ns))


def test_missing_netns_fails_and_creates_no_namespace():
    missing = "%s-no-such-ns" % PREFIX
    result = run_module("vtep_filter", dict(peers=PEERS, netns=missing))
    assert result["rc"] != 0 and "netns" in result["msg"] and missing in result["msg"], result
    assert missing not in sh("ip", "netns", "list")


def test_sources_admit_subnets_and_bgp_only_from_them(ns):
    """EVPN mode: whole underlay subnets in interval sets, TCP 179 admitted from them only; idempotent."""
    assert_ok(vtep_filter(ns, sources=["192.0.2.0/24", "2001:db8::/64"], peers=["192.0.2.12"], bgp=True), True)
    sets, rules = nft_table(ns)
    # The peer inside 192.0.2.0/24 is admitted through the subnet (nft refuses overlapping intervals).
    assert sets == {"peers4": [{"prefix": {"addr": "192.0.2.0", "len": 24}}],
                    "peers6": [{"prefix": {"addr": "2001:db8::", "len": 64}}]}
    assert rules == ["udp dport 4789 ip saddr @peers4 accept", "udp dport 4789 ip6 saddr @peers6 accept",
                     "udp dport 4789 counter packets 0 bytes 0 drop",
                     "tcp dport 179 ip saddr @peers4 accept", "tcp dport 179 ip6 saddr @peers6 accept",
                     "tcp dport 179 counter packets 0 bytes 0 drop"]
    assert_ok(vtep_filter(ns, sources=["192.0.2.0/24", "2001:db8::/64"], peers=["192.0.2.12"], bgp=True), False)
    # Back to a static peer list: the interval flag and the BGP rules go.
    assert_ok(vtep_filter(ns, peers=PEERS), True)
    sets, rules = nft_table(ns)
    assert sets == {"peers4": ["192.0.2.12", "192.0.2.13"], "peers6": ["2001:db8::12"]} and len(rules) == 3


def test_bad_source_fails_cleanly(ns):
    before = nft_dump(ns)
    result = vtep_filter(ns, sources=["192.0.2.0"], bgp=True)
    assert_failed_cleanly(result, "sources[0]", "192.0.2.0", before, nft_dump(ns))
