"""Bad input to the roles fails in the plan play, names the variable and the value, and changes nothing.

One 2-host lab, fresh (nothing converged), shared by every case: a case that changed anything would
show in the next dump of every lab namespace (hosts and switch).
"""
import pytest

from conftest import FABRIC_VARS, PREFIX, built_lab, dump_state, lab_namespaces, run_playbook, settle

TENANTS = FABRIC_VARS["overlay_tenants"]
BLUE, RED = TENANTS

# (id, extra vars, words the failure must show: the variable and the bad value)
CASES = [
    ("duplicate-vni", {"overlay_tenants": [BLUE, dict(RED, vni=100)]}, ["red", "VNI 100"]),
    ("overlapping-tenants", {"overlay_tenants": [BLUE, dict(RED, subnet="198.51.100.128/25")]},
     ["198.51.100.128/25", "198.51.100.0/24"]),
    ("tenant-overlaps-underlay", {"overlay_tenants": [BLUE, dict(RED, subnet="192.0.2.128/25")]},
     ["192.0.2.128/25", "192.0.2.0/24"]),
    ("exhausted-underlay", {"underlay_per_host": 200}, ["192.0.2.0/24", "200"]),
    ("exhausted-tenant", {"overlay_tenants": [BLUE, dict(RED, subnet="203.0.113.0/30")]}, ["203.0.113.0/30"]),
    ("vni-zero", {"overlay_tenants": [BLUE, dict(RED, vni=0)]}, ["red", "0"]),
    ("vni-too-big", {"overlay_tenants": [BLUE, dict(RED, vni=16777216)]}, ["16777216"]),
    ("dstport-zero", {"overlay_dstport": 0}, ["overlay_dstport", "0"]),
    ("dstport-too-big", {"overlay_dstport": 70000}, ["overlay_dstport", "70000"]),
    ("per-host-not-int", {"underlay_per_host": "many"}, ["underlay_per_host", "many"]),
    ("tenant-without-subnet", {"overlay_tenants": [BLUE, {"name": "red", "vni": 200}]}, ["subnet"]),
    ("bridge-name-16-chars", {"underlay_bridge": "b" * 16}, ["underlay_bridge", "b" * 16]),
    ("bridge-name-shell", {"underlay_bridge": "br0;reboot"}, ["underlay_bridge", "br0;reboot"]),
    ("vtep-prefix-too-long", {"overlay_vtep_prefix": "vxlantunnel00"}, ["overlay_vtep_prefix", "vxlantunnel00100"]),
    ("container-name-space", {"overlay_containers": [{"name": "c 1", "tenant": "blue"}]},
     ["overlay_containers", "oc 1"]),
    ("unknown-tenant", {"overlay_containers": [{"name": "c1", "tenant": "green"}]}, ["overlay_containers", "green"]),
    ("bad-underlay-cidr", {"underlay_subnet": "192.0.2.0/33"}, ["192.0.2.0/33"]),
    ("too-many-containers", {"overlay_per_host": 1,
                             "overlay_containers": [{"name": "c1", "tenant": "blue"}, {"name": "c3", "tenant": "blue"}]},
     ["overlay_containers", "2 containers of tenant blue"]),
]


def assert_fails_in_plan_play(inventory, extra, words):
    """overlay.yml fails in its plan play (the build play never starts), showing ``words``, changing nothing."""
    proc, recap = run_playbook(inventory, "overlay.yml", extra_vars=dict(FABRIC_VARS, **extra))
    output = proc.stdout + proc.stderr
    assert proc.returncode != 0, output[-4000:]
    failure = output[output.find("FAILED!"):] if "FAILED!" in output else output
    for word in words:
        assert word in failure, "the failure does not show %r:\n%s" % (word, failure[-4000:])
    assert "PLAY [Build the underlay]" not in output, "the build play started: the check came too late"
    assert all(r["changed"] == 0 for r in recap.values()), recap


@pytest.fixture(scope="module")
def fresh_lab(tmp_path_factory):
    inventory = tmp_path_factory.mktemp("badinput") / "lab.yml"
    with built_lab(2, PREFIX + "bi", inventory) as prefix:
        namespaces = lab_namespaces(prefix)
        settle(*namespaces)
        yield inventory, namespaces


@pytest.mark.parametrize("extra,words", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_role_input_fails_before_any_change(fresh_lab, extra, words):
    inventory, namespaces = fresh_lab
    before = dump_state(*namespaces)
    assert_fails_in_plan_play(inventory, extra, words)
    assert lab_namespaces(namespaces[0].rsplit("-", 1)[0]) == namespaces, "a namespace was created or removed"
    assert dump_state(*namespaces) == before, "the failed run changed the lab"


# What only the hosts know (issue 14): (id, host vars changed on h2, extra vars, words the failure must show).
# Each is found by the plan play's read-only probe, on every host, before any host changes.
HOST_CASES = [
    ("duplicate-underlay-address", {"netfabric_underlay_address": "192.0.2.11"}, {},
     ["netfabric_underlay_address", "192.0.2.11 is claimed by h1 and h2"]),
    ("address-not-carried", {"netfabric_underlay_address": "192.0.2.99"}, {},
     ["netfabric_underlay_address", "h2 does not carry 192.0.2.99"]),
    ("missing-uplink", {"netfabric_uplink": "eth9"}, {}, ["underlay_uplink", "h2 has no interface eth9"]),
    ("missing-container-netns", {}, {"underlay_containers": [{"name": "c1", "create_netns": False,
                                                              "netns": "no-such-ns"}]},
     ["underlay_containers", "/run/netns/no-such-ns"]),
    ("missing-container-pid", {}, {"underlay_containers": [{"name": "c1", "create_netns": False, "netns": 4194303}]},
     ["underlay_containers", "/proc/4194303/ns/net"]),
    ("vtep-address-not-carried", {}, {"overlay_local_address": "192.0.2.98"},
     ["overlay_local_address", "does not carry 192.0.2.98"]),
]


@pytest.mark.parametrize("h2_vars,extra,words", [c[1:] for c in HOST_CASES], ids=[c[0] for c in HOST_CASES])
def test_host_facts_checked_in_the_plan_play(fresh_lab, tmp_path, h2_vars, extra, words):
    import yaml
    inventory, namespaces = fresh_lab
    data = yaml.safe_load(inventory.read_text())
    data["all"]["children"]["fabric"]["hosts"]["h2"].update(h2_vars)
    variant = tmp_path / "variant.yml"
    variant.write_text(yaml.safe_dump(data, sort_keys=False))
    before = dump_state(*namespaces)
    assert_fails_in_plan_play(variant, extra, words)
    assert dump_state(*namespaces) == before, "the failed run changed the lab"
