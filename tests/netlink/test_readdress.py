"""Renumbering a link inside one IPv4 subnet: the kernel deletes every secondary address of a subnet with
its primary (net.ipv4.conf.*.promote_secondaries is off by default), and with the subnet's connected route
every route via a gateway in it. A change of a container's planned address must end with exactly the new
address and the default route, judged by ``ip -j`` and a ping to the gateway."""
import subprocess

import pytest

from conftest import addrs, ip_json, run_module, sh

GATEWAY = "192.0.2.1"


def ping(ns, address):
    return subprocess.run(["ip", "netns", "exec", ns, "ping", "-c", "1", "-W", "2", address],
                          capture_output=True, check=False).returncode == 0


def default_gateways(ns):
    return [r.get("gateway") for r in ip_json(ns, "-4", "route", "show", "default")]


@pytest.fixture
def host(make_netns):
    """A host with bridge br0 carrying the gateway address, and a container namespace."""
    host_ns, container = make_netns("rh"), make_netns("rc")
    sh("ip", "link", "add", "br0", "type", "bridge", ns=host_ns)
    sh("ip", "addr", "add", GATEWAY + "/24", "dev", "br0", ns=host_ns)
    sh("ip", "link", "set", "br0", "up", ns=host_ns)
    return host_ns, container


def veth_args(host_ns, container, addresses):
    return dict(netns=host_ns, name="uc1", peer="eth0", peer_netns=container, master="br0",
                peer_addresses=addresses, peer_gateway=GATEWAY)


@pytest.mark.parametrize("old, new", [
    (["192.0.2.10/24"], ["192.0.2.20/24"]),                     # a new address, same subnet
    (["192.0.2.10/24", "192.0.2.12/24"], ["192.0.2.12/24"]),    # the secondary stays, the primary goes
    (["192.0.2.10/24", "192.0.2.12/24"], ["192.0.2.20/24", "192.0.2.10/24"]),  # a new primary, same set size
])
def test_container_renumbered_in_its_subnet_keeps_new_address_and_default_route(host, old, new):
    host_ns, container = host
    first = run_module("veth_pair", veth_args(host_ns, container, old))
    assert first["rc"] == 0 and first["changed"], first
    assert addrs(container, "eth0") == old and default_gateways(container) == [GATEWAY]

    again = run_module("veth_pair", veth_args(host_ns, container, new))
    assert again["rc"] == 0 and again["changed"], again
    assert sorted(addrs(container, "eth0")) == sorted(new)
    assert default_gateways(container) == [GATEWAY]
    assert ping(container, GATEWAY)

    idempotent = run_module("veth_pair", veth_args(host_ns, container, new))
    assert idempotent["rc"] == 0 and not idempotent["changed"], idempotent


def test_bridge_renumbered_in_its_subnet_keeps_the_new_address(host):
    host_ns, dummy = host
    sh("ip", "link", "add", "br1", "type", "bridge", ns=host_ns)
    first = run_module("bridge", dict(netns=host_ns, name="br1", addresses=["198.51.100.10/24"]))
    assert first["rc"] == 0 and first["changed"], first
    again = run_module("bridge", dict(netns=host_ns, name="br1", addresses=["198.51.100.20/24"]))
    assert again["rc"] == 0 and again["changed"], again
    assert addrs(host_ns, "br1") == ["198.51.100.20/24"]


def test_failed_renumbering_restores_old_address_and_default_route(host):
    """IPv6 is off in the container, so the IPv6 address added after the IPv4 renumbering fails: the
    rollback must bring back the old address and the default route the kernel flushed with it."""
    host_ns, container = host
    assert run_module("veth_pair", veth_args(host_ns, container, ["192.0.2.10/24"]))["rc"] == 0
    sh("sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1", ns=container)
    routes_before = ip_json(container, "-4", "route", "show")
    result = run_module("veth_pair", veth_args(host_ns, container, ["192.0.2.20/24", "2001:db8::20/64"]))
    assert result["rc"] != 0 and "rolled back" in result["msg"] and "FAILED" not in result["msg"], result
    assert result["changed"] is False, result
    assert addrs(container, "eth0") == ["192.0.2.10/24"]
    assert ip_json(container, "-4", "route", "show") == routes_before
    assert ping(container, GATEWAY)
