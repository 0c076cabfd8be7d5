"""Containers a Docker engine starts join the fabric through a Docker network per tenant (issue 8, Docker part).

A 2-host lab, a real dockerd in each host's namespace (own socket), the fabric converged with
``overlay_docker_networks`` on. ``docker network inspect`` is the independent view of what the role created;
containers started with ``docker run --network <tenant>`` show the addresses Docker hands out and reach the
inventory's static container on the other host over VXLAN. The tests run in file order on one lab; the
engines, their containers and networks, and the lab (``<PREFIX>dn-*``) are removed at teardown, also on failure.
"""
import ipaddress
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

from cni_helpers import ping, playbook
from conftest import COLLECTIONS, FABRIC_VARS, PREFIX, addrs, built_lab, ip_json, link, run_playbook
from docker_helpers import IMAGE, network, require_docker, start_engines, stop_engines

if str(COLLECTIONS) not in sys.path:
    sys.path.insert(0, str(COLLECTIONS))

from ansible_collections.netfabric.core.plugins.module_utils.ip_plan import tenant_plan  # noqa: E402

HOSTS = ("h1", "h2")
TENANTS = FABRIC_VARS["overlay_tenants"]
PER_HOST = 6   # not a power of two: each aligned /29 block has a tail of 2 addresses Docker must not hand out
LABEL = "netfabric.core.tenant"


def fabric_vars(work, layout="aligned", tenants=None):
    """The demo fabric (c1 blue, c2 red on every host) with a Docker network per tenant on each host's engine."""
    tenants = TENANTS if tenants is None else tenants
    names = [t["name"] for t in tenants]
    return dict(FABRIC_VARS, overlay_tenants=tenants, overlay_per_host=PER_HOST, overlay_layout=layout,
                overlay_containers=[c for c in FABRIC_VARS["overlay_containers"] if c["tenant"] in names],
                overlay_docker_networks=True,
                overlay_docker_host="unix://%s/{{ inventory_hostname }}/docker.sock" % work)


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """{prefix, inventory, work, ns(host), engines: {host: Dockerd}}: the lab and its engines, no fabric yet."""
    require_docker()
    prefix = PREFIX + "dn"
    inventory = tmp_path_factory.mktemp("docker") / "inventory.yml"
    work = Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))   # short: dockerd/containerd socket paths
    try:
        with built_lab(2, prefix, inventory):
            namespaces = {host: "%s-%s" % (prefix, host) for host in HOSTS}
            engines = start_engines(namespaces, work)
            try:
                yield {"prefix": prefix, "inventory": inventory, "work": work, "ns": namespaces.get,
                       "engines": engines, "state": {}}
            finally:
                stop_engines(engines)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def test_a_packed_plan_is_refused_in_the_plan_step_before_any_change(lab):
    proc, recap = run_playbook(lab["inventory"], "overlay.yml", extra_vars=fabric_vars(lab["work"], layout="packed"))
    output = proc.stdout + proc.stderr
    assert proc.returncode != 0 and all(row["changed"] == 0 for row in recap.values()), output
    assert "overlay_docker_networks: tenant blue uses layout packed, so host h" in output, output
    assert "Docker takes only a CIDR as ip_range: plan it with layout: aligned" in output, output
    for host in HOSTS:   # nothing built: not the underlay bridge, not the tenant bridge, no Docker network
        assert link(lab["ns"](host), "br0") is None and link(lab["ns"](host), "brv100") is None
        assert network(lab["engines"][host], "blue") is None


@pytest.fixture(scope="module")
def fabric(lab):
    """The lab with the fabric converged (first run, with --diff); adds 'first' (changes per host)."""
    lab["first"], lab["output"] = playbook(lab["inventory"], fabric_vars(lab["work"]), "--diff")
    return lab


def expected_plan():
    """The plan the role applies, computed here from the same inputs."""
    return tenant_plan(TENANTS, list(HOSTS), per_host=PER_HOST, layout="aligned")


def c1_address(fabric, host):
    """The overlay address of the inventory container c1 (tenant blue) on ``host``, read from its namespace."""
    entry = [a for a in addrs("%s-c1" % fabric["ns"](host), "eth1") if ":" not in a]
    assert len(entry) == 1, entry
    return ipaddress.ip_interface(entry[0]).ip


def test_first_run_creates_a_network_per_tenant_bound_to_its_bridge(fabric):
    assert all(count > 0 for count in fabric["first"].values()) and sorted(fabric["first"]) == list(HOSTS)
    plan = expected_plan()
    for host in HOSTS:
        for tenant in TENANTS:
            entry = plan[tenant["name"]]["hosts"][host]
            bridge, vtep = "brv%d" % tenant["vni"], "vx%d" % tenant["vni"]
            net = network(fabric["engines"][host], tenant["name"])
            assert net is not None, (host, tenant)
            assert (net["Driver"], net["Labels"]) == ("bridge", {LABEL: tenant["name"]})
            assert net["Options"] == {"com.docker.network.bridge.name": bridge,
                                      "com.docker.network.bridge.inhibit_ipv4": "true",
                                      "com.docker.network.bridge.enable_ip_masquerade": "false",
                                      "com.docker.network.driver.mtu": str(link(fabric["ns"](host), vtep)["mtu"])}
            [pool] = net["IPAM"]["Config"]
            assert (pool["Subnet"], pool["IPRange"], pool["Gateway"]) == (tenant["subnet"], entry["block"],
                                                                          plan[tenant["name"]]["gateway"])
            # Docker may hand out the block minus its tail and minus the inventory container's (first) address.
            free = {ipaddress.ip_interface(a).ip for a in entry["addresses"][1:]}
            aux = {ipaddress.ip_address(a) for a in pool["AuxiliaryAddresses"].values()}
            assert aux == set(ipaddress.ip_network(entry["block"])) - free and len(aux) == 8 - PER_HOST + 1
            # No host's tenant bridge carries the gateway (or any IPv4) address: they are one L2 segment.
            assert not [a for a in addrs(fabric["ns"](host), bridge) if ":" not in a]
        assert c1_address(fabric, host) in {ipaddress.ip_address(a) for a in pool_aux(fabric, host, "blue")}


def pool_aux(fabric, host, name):
    return network(fabric["engines"][host], name)["IPAM"]["Config"][0]["AuxiliaryAddresses"].values()


def container_address(engine, name, tenant):
    fmt = "{{ (index .NetworkSettings.Networks \"%s\").IPAddress }}" % tenant
    return ipaddress.ip_address(engine("inspect", "--format", fmt, name).stdout.strip())


def test_docker_hands_out_exactly_the_hosts_free_addresses(fabric):
    engine, plan = fabric["engines"]["h1"], expected_plan()
    free = {ipaddress.ip_interface(a).ip for a in plan["blue"]["hosts"]["h1"]["addresses"][1:]}
    names = ["%sb%d" % (fabric["prefix"], index) for index in range(len(free))]
    try:
        for name in names:
            engine("run", "--detach", "--name", name, "--network", "blue", IMAGE, "sleep", "300")
        got = {container_address(engine, name, "blue") for name in names}
        assert got == free and c1_address(fabric, "h1") not in got   # never c1's, never the tail, never h2's
        over = engine("run", "--rm", "--network", "blue", IMAGE, "true", check=False)
        assert over.returncode != 0 and "no available IPv4 addresses" in over.stderr, over.stderr
    finally:
        engine("rm", "--force", *names, check=False)


def vxlan_tx(ns, dev):
    return ip_json(ns, "-s", "link", "show", "dev", dev)[0]["stats64"]["tx"]["packets"]


def test_a_docker_container_reaches_c1_on_the_other_host_and_red_cannot(fabric):
    engine, target = fabric["engines"]["h1"], c1_address(fabric, "h2")
    server = fabric["prefix"] + "srv"
    engine("run", "--detach", "--name", server, "--network", "blue", IMAGE, "sleep", "600")
    address = container_address(engine, server, "blue")
    assert address in {ipaddress.ip_interface(a).ip for a in expected_plan()["blue"]["hosts"]["h1"]["addresses"]}
    fabric["state"]["server"] = (server, address)

    tx_before = vxlan_tx(fabric["ns"]("h1"), "vx100")
    probe = engine("exec", server, "sh", "-c", "ip route; ping -c 3 -W 1 -w 6 %s" % target, check=False)
    assert probe.returncode == 0 and "3 packets received" in probe.stdout, probe.stdout + probe.stderr
    assert "default via 198.51.100.1 dev eth0" in probe.stdout   # the plan's gateway (nobody answers there)
    assert vxlan_tx(fabric["ns"]("h1"), "vx100") >= tx_before + 3   # the requests left h1 through its VTEP
    assert ping("%s-c1" % fabric["ns"]("h2"), address)               # and back: c1 on h2 reaches the container

    # A red container, even with an address in blue's subnet, cannot reach it: another bridge, another VNI.
    other = engine("run", "--rm", "--cap-add", "NET_ADMIN", "--network", "red", IMAGE, "sh", "-c",
                   "ip addr add 198.51.100.251/24 dev eth0 && ping -c 2 -W 1 -w 4 %s" % target, check=False)
    assert other.returncode != 0 and "0 packets received" in other.stdout, other.stdout + other.stderr


def test_second_run_changes_nothing_and_keeps_running_containers_attached(fabric):
    changed, output = playbook(fabric["inventory"], fabric_vars(fabric["work"]))
    assert changed == {"h1": 0, "h2": 0}, output
    server, address = fabric["state"]["server"]
    assert container_address(fabric["engines"]["h1"], server, "blue") == address


def test_removing_a_tenant_removes_only_its_network(fabric):
    engines = fabric["engines"]
    blue_ids = {host: network(engines[host], "blue")["Id"] for host in HOSTS}
    foreign = fabric["prefix"] + "f"   # someone else's network: must survive (no route: inhibit_ipv4)
    engines["h1"]("network", "create", "--subnet", "192.0.2.240/28", "-o", "com.docker.network.bridge.inhibit_ipv4=true",
                  foreign)
    changed, output = playbook(fabric["inventory"], fabric_vars(fabric["work"], tenants=[TENANTS[0]]))
    assert all(count > 0 for count in changed.values()), output
    for host in HOSTS:
        assert network(engines[host], "red") is None
        assert network(engines[host], "blue")["Id"] == blue_ids[host]   # not re-created
        assert link(fabric["ns"](host), "brv200") is not None            # Docker left the fabric's bridge alone
    assert network(engines["h1"], foreign) is not None
    server, address = fabric["state"]["server"]
    assert container_address(engines["h1"], server, "blue") == address


def test_a_network_of_a_tenant_name_the_role_did_not_create_is_refused_in_the_plan_step(fabric):
    engine = fabric["engines"]["h1"]
    engine("network", "create", "--subnet", "203.0.113.0/24", "-o", "com.docker.network.bridge.inhibit_ipv4=true", "red")
    foreign_id = network(engine, "red")["Id"]
    proc, recap = run_playbook(fabric["inventory"], "overlay.yml", extra_vars=fabric_vars(fabric["work"]))
    output = proc.stdout + proc.stderr
    assert proc.returncode != 0 and recap["h1"]["failed"] == 1, output
    assert all(row["changed"] == 0 for row in recap.values()), output   # the whole fabric stopped before any change
    assert "Docker network(s) red on h1 exist without the label netfabric.core.tenant" in output, output
    assert network(engine, "red")["Id"] == foreign_id and network(engine, "red")["Labels"] == {}
    assert network(fabric["engines"]["h2"], "red") is None
