"""``route_entry``, ``neigh_entry``, ``ip_forwarding`` and ``vxlan_vtep``'s ``mac``/``addresses`` against a real kernel.

The devices are built with ``ip`` (not with the modules under test). Every claim is judged with ``ip -j``
(routes, neighbours, links) and ``sysctl``; check mode and failures must leave the namespace byte-identical
(``dump_state`` plus the permanent neighbour entries, which it does not cover).
"""
import json

import pytest

from conftest import assert_failed_cleanly, assert_ok, dump_state, ip_json, link, run_module, settle, sh, veth

MAC = {n: "0a:58:c0:00:02:%02x" % n for n in range(1, 40)}


@pytest.fixture
def host(make_netns):
    """A namespace with eth0 (192.0.2.11/24), a flannel-style VTEP ``flannel.1`` and a second VTEP ``other.1``."""
    ns = make_netns("rt")
    sh("sysctl", "-qw", "net.ipv6.conf.all.accept_dad=0", "net.ipv6.conf.default.accept_dad=0", ns=ns)
    veth(ns, "eth0", "peer0")
    sh("ip", "addr", "add", "192.0.2.11/24", "dev", "eth0", ns=ns)
    for name, vni in (("flannel.1", 1), ("other.1", 2)):
        sh("ip", "link", "add", name, "type", "vxlan", "id", str(vni), "local", "192.0.2.11", "dev", "eth0",
           "dstport", "8472", "nolearning", ns=ns)
        sh("ip", "link", "set", name, "up", ns=ns)
    settle(ns)
    return ns


def state(ns):
    neighbours = [n for n in ip_json(ns, "neigh", "show") if "PERMANENT" in n.get("state", [])]
    return dump_state(ns) + json.dumps(neighbours, sort_keys=True)


def routes(ns, dev="flannel.1"):
    """(dst, gateway, onlink, protocol, metric) of every route through DEV, both families, from ip -j."""
    found = []
    for family in ("-4", "-6"):
        for r in ip_json(ns, family, "route", "show", "dev", dev):
            if r.get("protocol") == "kernel" or r["dst"].startswith("fe80"):
                continue
            found.append((r["dst"], r.get("gateway"), "onlink" in r.get("flags", []), str(r.get("protocol", "boot")),
                          r.get("metric", 0)))
    return sorted(found)


def neighbours(ns, dev="flannel.1"):
    return sorted((n["dst"], n.get("lladdr"), tuple(n.get("state", [])), str(n.get("protocol", "")))
                  for n in ip_json(ns, "neigh", "show", "dev", dev))


def peer_route(n, **extra):
    return dict({"dst": "10.244.%d.0/24" % n, "gateway": "10.244.%d.0" % n, "onlink": True}, **extra)


def run_routes(ns, routes_, check_mode=False, **options):
    return run_module("route_entry", dict(options, dev=options.pop("dev", "flannel.1"), routes=routes_, netns=ns),
                      check_mode=check_mode)


def run_neigh(ns, entries, check_mode=False, **options):
    return run_module("neigh_entry", dict(options, dev=options.pop("dev", "flannel.1"), entries=entries, netns=ns),
                      check_mode=check_mode)


# --------------------------------------------------------------------------- route_entry

def test_routes_check_mode_apply_diff_rerun(host):
    wanted = [peer_route(2), peer_route(3)]
    before = state(host)
    check = run_routes(host, wanted, check_mode=True)
    assert_ok(check, True)
    assert [r["dst"] for r in check["added"]] == ["10.244.2.0/24", "10.244.3.0/24"]
    assert state(host) == before, "check mode changed the namespace"

    result = run_routes(host, wanted)
    assert_ok(result, True)
    assert routes(host) == [("10.244.2.0/24", "10.244.2.0", True, "157", 0), ("10.244.3.0/24", "10.244.3.0", True, "157", 0)]
    assert result["diff"]["before"]["routes"] == []
    assert [r["dst"] for r in result["diff"]["after"]["routes"]] == ["10.244.2.0/24", "10.244.3.0/24"]
    assert result["route_count"] == 2

    again = run_routes(host, list(reversed(wanted)))
    assert_ok(again, False)
    assert again["actions"] == [] and again["added"] == [] and again["removed"] == []
    steady = state(host)
    assert_ok(run_routes(host, wanted, check_mode=True), False)
    assert state(host) == steady


def test_routes_exclusive_removes_only_owned_routes_of_this_device(host):
    sh("ip", "route", "add", "10.244.9.0/24", "via", "10.244.9.0", "dev", "flannel.1", "onlink", ns=host)  # boot
    sh("ip", "route", "add", "10.244.8.0/24", "dev", "flannel.1", "proto", "static", ns=host)
    sh("ip", "route", "add", "10.244.7.0/24", "via", "10.244.7.0", "dev", "other.1", "onlink", "proto", "157", ns=host)
    assert_ok(run_routes(host, [peer_route(2), peer_route(3)]), True)
    result = run_routes(host, [peer_route(3)], exclusive=True)
    assert_ok(result, True)
    assert [r["dst"] for r in result["removed"]] == ["10.244.2.0/24"]
    assert routes(host) == [("10.244.3.0/24", "10.244.3.0", True, "157", 0),
                            ("10.244.8.0/24", None, False, "static", 0),
                            ("10.244.9.0/24", "10.244.9.0", True, "boot", 0)]
    assert routes(host, "other.1") == [("10.244.7.0/24", "10.244.7.0", True, "157", 0)]
    # Without exclusive, an unlisted owned route stays; a listed destination with a new gateway is replaced.
    assert_ok(run_routes(host, [peer_route(4)]), True)
    moved = run_routes(host, [peer_route(3, gateway="10.244.3.1")])
    assert_ok(moved, True)
    assert [r["gateway"] for r in moved["removed"]] == ["10.244.3.0"]
    assert ("10.244.3.0/24", "10.244.3.1", True, "157", 0) in routes(host)
    assert ("10.244.4.0/24", "10.244.4.0", True, "157", 0) in routes(host)
    # Empty exclusive list: every owned route of flannel.1 goes, nobody else's.
    assert_ok(run_routes(host, [], exclusive=True), True)
    assert routes(host) == [("10.244.8.0/24", None, False, "static", 0),
                            ("10.244.9.0/24", "10.244.9.0", True, "boot", 0)]


def test_routes_absent_removes_listed_owned_routes_only(host):
    sh("ip", "route", "add", "10.244.9.0/24", "via", "10.244.9.0", "dev", "flannel.1", "onlink", ns=host)
    assert_ok(run_routes(host, [peer_route(2), peer_route(3)]), True)
    assert_ok(run_routes(host, [peer_route(2), peer_route(9)], state="absent"), True)
    assert routes(host) == [("10.244.3.0/24", "10.244.3.0", True, "157", 0),
                            ("10.244.9.0/24", "10.244.9.0", True, "boot", 0)]
    assert_ok(run_routes(host, [peer_route(2)], state="absent"), False)


def test_routes_collision_with_a_foreign_route_is_refused_before_any_change(host):
    sh("ip", "route", "add", "10.244.5.0/24", "via", "10.244.5.0", "dev", "other.1", "onlink", ns=host)
    before = state(host)
    result = run_routes(host, [peer_route(2), peer_route(5)])
    assert_failed_cleanly(result, "routes", "10.244.5.0/24", before, state(host))
    assert "does not own" in result["msg"] and "protocol 3" in result["msg"]
    # A different metric does not collide: both routes live side by side.
    assert_ok(run_routes(host, [peer_route(5, metric=100)]), True)
    assert ("10.244.5.0/24", "10.244.5.0", True, "157", 100) in routes(host)


def test_routes_ipv6_and_direct_routes_are_idempotent(host):
    wanted = [{"dst": "2001:db8:5::/64", "gateway": "2001:db8:ffff::5", "onlink": True},
              {"dst": "10.244.6.0/24"}]
    assert_ok(run_routes(host, wanted), True)
    assert routes(host) == [("10.244.6.0/24", None, False, "157", 0),
                            ("2001:db8:5::/64", "2001:db8:ffff::5", True, "157", 1024)]
    assert_ok(run_routes(host, wanted), False)


def test_routes_failed_batch_is_rolled_back(host):
    """The second route's gateway is off-link without onlink: the kernel refuses it, the first is undone."""
    before = state(host)
    result = run_routes(host, [peer_route(2), {"dst": "10.244.3.0/24", "gateway": "10.244.3.0"}])
    assert result["rc"] != 0 and result["failed"], result
    assert "rolled back 1" in result["msg"] and "10.244.3.0/24" in result["msg"]
    assert state(host) == before


def test_routes_thousand_peers_one_batch(host):
    wanted = [{"dst": "10.%d.%d.0/24" % (100 + n // 256, n % 256), "gateway": "10.%d.%d.0" % (100 + n // 256, n % 256),
               "onlink": True} for n in range(1000)]
    result = run_routes(host, wanted, exclusive=True)
    assert_ok(result, True)
    assert result["actions"] == ["program 1000 routes via flannel.1 (+1000 -0)"]
    assert len(routes(host)) == 1000
    assert_ok(run_routes(host, wanted, exclusive=True), False)
    assert_ok(run_routes(host, wanted[:10], exclusive=True), True)
    assert len(routes(host)) == 10


@pytest.mark.parametrize("bad, option, value", [
    ({"dst": "10.244.2.1/24"}, "routes[1].dst", "10.244.2.1/24"),
    ({"dst": "10.244.2.0/24", "gateway": "2001:db8::1"}, "routes[1].gateway", "2001:db8::1"),
    ({"dst": "10.244.2.0/24", "onlink": True}, "routes[1].onlink", "True"),
    ({"dst": "10.244.2.0/24", "via": "10.244.2.0"}, "routes[1].via", "via"),
    ({"dst": "10.244.2.0/24", "metric": -1}, "routes[1].metric", "-1"),
    ({"dst": "10.244.3.0/24", "gateway": "10.244.3.9", "onlink": True}, "routes[1]", "10.244.3.9"),
])
def test_routes_bad_entries_change_nothing(host, bad, option, value):
    before = state(host)
    result = run_routes(host, [peer_route(3), bad])
    assert_failed_cleanly(result, option, value, before, state(host))


@pytest.mark.parametrize("options, option, value", [
    ({"protocol": 3}, "protocol", 3),
    ({"protocol": 256}, "protocol", 256),
    ({"dev": "nosuch0"}, "dev", "nosuch0"),
    ({"dev": "bad name"}, "dev", "bad name"),
])
def test_routes_bad_options_change_nothing(host, options, option, value):
    before = state(host)
    result = run_routes(host, [peer_route(3)], **options)
    assert_failed_cleanly(result, option, value, before, state(host))


# --------------------------------------------------------------------------- neigh_entry

def entry(n, mac=None):
    return {"address": "10.244.%d.0" % n, "mac": mac or MAC[n]}


def test_neighbours_check_mode_apply_diff_rerun(host):
    wanted = [entry(2), entry(3)]
    before = state(host)
    check = run_neigh(host, wanted, check_mode=True)
    assert_ok(check, True)
    assert check["added"] == wanted
    assert state(host) == before, "check mode changed the namespace"

    result = run_neigh(host, wanted)
    assert_ok(result, True)
    assert neighbours(host) == [("10.244.2.0", MAC[2], ("PERMANENT",), "157"), ("10.244.3.0", MAC[3], ("PERMANENT",), "157")]
    assert result["diff"]["before"]["entries"] == [] and result["diff"]["after"]["entries"] == wanted

    again = run_neigh(host, list(reversed(wanted)))
    assert_ok(again, False)
    steady = state(host)
    assert_ok(run_neigh(host, wanted, check_mode=True), False)
    assert state(host) == steady


def test_neighbours_exclusive_mac_change_and_foreign_entries(host):
    sh("ip", "neigh", "add", "10.244.9.0", "lladdr", MAC[9], "dev", "flannel.1", "nud", "permanent", ns=host)
    sh("ip", "neigh", "add", "10.244.7.0", "lladdr", MAC[7], "dev", "other.1", "nud", "permanent", "protocol", "157",
       ns=host)
    assert_ok(run_neigh(host, [entry(2), entry(3)]), True)
    changed = run_neigh(host, [entry(3, MAC[30])], exclusive=True)
    assert_ok(changed, True)
    assert changed["removed"] == [entry(2), entry(3)] and changed["added"] == [entry(3, MAC[30])]
    assert neighbours(host) == [("10.244.3.0", MAC[30], ("PERMANENT",), "157"), ("10.244.9.0", MAC[9], ("PERMANENT",), "")]
    assert neighbours(host, "other.1") == [("10.244.7.0", MAC[7], ("PERMANENT",), "157")]
    assert_ok(run_neigh(host, [], exclusive=True), True)
    assert neighbours(host) == [("10.244.9.0", MAC[9], ("PERMANENT",), "")]


def test_neighbours_foreign_permanent_refused_cache_replaced_adopt(host):
    sh("ip", "neigh", "add", "10.244.9.0", "lladdr", MAC[9], "dev", "flannel.1", "nud", "permanent", ns=host)
    sh("ip", "neigh", "add", "10.244.8.0", "lladdr", MAC[20], "dev", "flannel.1", "nud", "stale", ns=host)
    before = state(host)
    refused = run_neigh(host, [entry(9, MAC[10])])
    assert_failed_cleanly(refused, "entries", "10.244.9.0", before, state(host))
    refused = run_neigh(host, [entry(9)])  # the same entry, but without adopt it is not ours
    assert_failed_cleanly(refused, "entries", "10.244.9.0", before, state(host))
    refused = run_neigh(host, [entry(9, MAC[10])], adopt=True)  # adopt takes over identical entries only
    assert_failed_cleanly(refused, "entries", "10.244.9.0", before, state(host))

    assert_ok(run_neigh(host, [entry(8), entry(9)], adopt=True), True)
    assert neighbours(host) == [("10.244.8.0", MAC[8], ("PERMANENT",), "157"), ("10.244.9.0", MAC[9], ("PERMANENT",), "157")]
    assert_ok(run_neigh(host, [entry(8), entry(9)]), False)


def test_neighbours_failed_batch_is_rolled_back(host):
    """IPv6 is off on the VTEP: the kernel refuses the IPv6 entry and the IPv4 one is undone."""
    sh("sysctl", "-qw", "net/ipv6/conf/flannel.1/disable_ipv6=1", ns=host)
    before = state(host)
    result = run_neigh(host, [entry(2), {"address": "2001:db8::2", "mac": MAC[2]}])
    assert result["rc"] != 0 and result["failed"], result
    assert "rolled back 1" in result["msg"] and "2001:db8::2" in result["msg"]
    assert state(host) == before


def test_neighbours_thousand_entries_one_batch(host):
    wanted = [{"address": "10.%d.%d.0" % (100 + n // 256, n % 256), "mac": "0a:58:0a:00:%02x:%02x" % (n // 256, n % 256)}
              for n in range(1000)]
    result = run_neigh(host, wanted, exclusive=True)
    assert_ok(result, True)
    assert len(neighbours(host)) == 1000
    assert_ok(run_neigh(host, wanted, exclusive=True), False)


@pytest.mark.parametrize("bad, option, value", [
    ({"address": "10.244.2.300", "mac": MAC[2]}, "entries[1].address", "10.244.2.300"),
    ({"address": "224.0.0.5", "mac": MAC[2]}, "entries[1].address", "224.0.0.5"),
    ({"address": "10.244.2.0", "mac": "01:00:5e:00:00:01"}, "entries[1].mac", "01:00:5e:00:00:01"),
    ({"address": "10.244.2.0", "mac": "00:00:00:00:00:00"}, "entries[1].mac", "00:00:00:00:00:00"),
    ({"address": "10.244.2.0"}, "entries[1].mac", "required"),
    ({"address": "10.244.3.0", "mac": MAC[4]}, "entries[1]", "10.244.3.0"),
])
def test_neighbours_bad_entries_change_nothing(host, bad, option, value):
    before = state(host)
    result = run_neigh(host, [entry(3), bad])
    assert_failed_cleanly(result, option, value, before, state(host))


# --------------------------------------------------------------------------- ip_forwarding

def forwarding(ns, *names):
    return sh("sysctl", "-n", *["net/ipv4/conf/%s/forwarding" % name for name in names], ns=ns).split()


def test_forwarding_per_interface(host):
    sh("sysctl", "-qw", "net.ipv4.conf.all.forwarding=0", ns=host)
    before = state(host)
    check = run_module("ip_forwarding", {"interfaces": ["flannel.1", "other.1"], "netns": host}, check_mode=True)
    assert_ok(check, True)
    assert check["diff"] == {"before": {"flannel.1": False, "other.1": False}, "after": {"flannel.1": True, "other.1": True}}
    assert forwarding(host, "flannel.1", "other.1") == ["0", "0"] and state(host) == before

    assert_ok(run_module("ip_forwarding", {"interfaces": ["flannel.1", "other.1"], "netns": host}), True)
    assert forwarding(host, "flannel.1", "other.1", "eth0") == ["1", "1", "0"]
    assert sh("sysctl", "-n", "net.ipv4.ip_forward", ns=host).strip() == "0"
    assert_ok(run_module("ip_forwarding", {"interfaces": ["other.1", "flannel.1"], "netns": host}), False)
    assert_ok(run_module("ip_forwarding", {"interfaces": ["other.1"], "enabled": False, "netns": host}), True)
    assert forwarding(host, "flannel.1", "other.1") == ["1", "0"]


@pytest.mark.parametrize("interfaces, value", [(["nosuch0"], "nosuch0"), ([], "[]"), (["bad name"], "bad name")])
def test_forwarding_bad_input_changes_nothing(host, interfaces, value):
    before = state(host)
    result = run_module("ip_forwarding", {"interfaces": ["flannel.1"] + interfaces if interfaces else [], "netns": host})
    assert_failed_cleanly(result, "interfaces", value, before, state(host))


# --------------------------------------------------------------------------- vxlan_vtep mac / addresses

def vtep(ns, **options):
    args = dict(name="vx9", vni=9, local="192.0.2.11", dev="eth0", dstport=8472, netns=ns)
    args.update(options)
    return run_module("vxlan_vtep", args, check_mode=args.pop("check_mode", False))


def inet(ns, name):
    return sorted("%s/%d" % (a["local"], a["prefixlen"]) for e in ip_json(ns, "addr", "show", "dev", name)
                  for a in e["addr_info"] if a["scope"] == "global")


def test_vtep_mac_and_addresses(host):
    before = state(host)
    assert_ok(vtep(host, mac=MAC[11], addresses=["10.244.1.0/32"], check_mode=True), True)
    assert state(host) == before
    created = vtep(host, mac=MAC[11], addresses=["10.244.1.0/32"])
    assert_ok(created, True)
    assert link(host, "vx9")["address"] == MAC[11] and inet(host, "vx9") == ["10.244.1.0/32"]
    assert created["diff"]["after"]["mac"] == MAC[11]
    settle(host)
    assert_ok(vtep(host, mac=MAC[11].upper(), addresses=["10.244.1.0/32"]), False)
    assert_ok(vtep(host), False)  # omitted: neither the MAC nor the addresses are managed

    changed = vtep(host, mac=MAC[12], addresses=["10.244.2.0/32"])
    assert_ok(changed, True)
    assert link(host, "vx9")["address"] == MAC[12] and inet(host, "vx9") == ["10.244.2.0/32"]
    assert changed["diff"]["before"]["mac"] == MAC[11] and changed["diff"]["before"]["addresses"] == ["10.244.1.0/32"]
    # A re-creation (new VNI) keeps the MAC and the addresses.
    assert_ok(vtep(host, vni=10, mac=MAC[12], addresses=["10.244.2.0/32"]), True)
    assert link(host, "vx9")["address"] == MAC[12] and inet(host, "vx9") == ["10.244.2.0/32"]


@pytest.mark.parametrize("options, option, value", [
    ({"mac": "01:00:5e:00:00:01"}, "mac", "01:00:5e:00:00:01"),
    ({"mac": "00:00:00:00:00:00"}, "mac", "00:00:00:00:00:00"),
    ({"mac": "0a:58"}, "mac", "0a:58"),
    ({"addresses": ["10.244.1.0"]}, "addresses", "10.244.1.0"),
])
def test_vtep_bad_mac_or_address_changes_nothing(host, options, option, value):
    before = state(host)
    assert_failed_cleanly(vtep(host, **options), option, value, before, state(host))
