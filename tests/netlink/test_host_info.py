"""netfabric.core.host_info (the roles' plan-step probe) against a real namespace, judged with ``ip -j``."""
import pytest

from conftest import PREFIX, ip_json, run_module, sh, veth


@pytest.fixture
def probed(make_netns):
    ns = make_netns("hi")
    veth(ns, "up0", "up0p")
    sh("ip", "addr", "add", "192.0.2.11/24", "dev", "up0", ns=ns)
    sh("ip", "addr", "add", "2001:db8::11/64", "dev", "up0", "nodad", ns=ns)
    return ns


def test_links_addresses_and_namespaces_as_ip_shows_them(probed):
    result = run_module("host_info", {"netns": probed, "namespaces": [probed, PREFIX + "-nothere", "/proc/1/ns/net"]})
    assert result["rc"] == 0 and result["changed"] is False, result
    assert result["interfaces"] == sorted(link["ifname"] for link in ip_json(probed, "link", "show"))
    shown = [(a["family"], a["local"]) for entry in ip_json(probed, "addr", "show") for a in entry["addr_info"]
             if a["scope"] == "global"]
    assert result["all_ipv4_addresses"] == [addr for family, addr in shown if family == "inet"] == ["192.0.2.11"]
    assert result["all_ipv6_addresses"] == [addr for family, addr in shown if family == "inet6"] == ["2001:db8::11"]
    assert [(n["path"], n["exists"]) for n in result["namespaces"]] == [
        ("/run/netns/" + probed, True), ("/run/netns/%s-nothere" % PREFIX, False), ("/proc/1/ns/net", True)]


def test_missing_netns_names_the_option():
    result = run_module("host_info", {"netns": PREFIX + "-nothere"})
    assert result["rc"] != 0 and "netns" in result["msg"] and PREFIX + "-nothere" in result["msg"], result
