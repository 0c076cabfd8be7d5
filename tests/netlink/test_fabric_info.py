"""netfabric.core.fabric_info and playbooks/status.yml on a 3-host lab after playbooks/overlay.yml.

fabric_info is judged against ``ip -j -d link`` and ``bridge -j fdb``; status.yml must report no drift on
the converged lab, and exactly a hand-deleted VTEP and flood entry (exit code 2) afterwards.
"""
import json
import re
import subprocess

import pytest

from conftest import FABRIC_VARS, PREFIX, ansible_bin, ansible_env, built_lab, ip_json, run_playbook, sh

LAB = PREFIX + "fi"
HOST_RESULT = re.compile(r"^(\S+) \| (SUCCESS|FAILED!|UNREACHABLE!|CHANGED) => ", re.M)


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    inventory = tmp_path_factory.mktemp("fabric_info") / "lab.yml"
    with built_lab(3, LAB, inventory):
        proc, recap = run_playbook(inventory, "overlay.yml", extra_vars=FABRIC_VARS)
        assert proc.returncode == 0, proc.stdout[-3000:]
        yield inventory


def adhoc_info(inventory, *extra):
    """``ansible all -m netfabric.core.fabric_info`` -> {host: result}."""
    proc = subprocess.run([ansible_bin("ansible"), "-i", str(inventory), "all", "-m", "netfabric.core.fabric_info"]
                          + list(extra), capture_output=True, text=True, env=ansible_env(), timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    results, decoder = {}, json.JSONDecoder()
    for match in HOST_RESULT.finditer(proc.stdout):
        results[match.group(1)] = decoder.raw_decode(proc.stdout, match.end())[0]
    return results


def kernel_vteps(ns):
    """The VTEPs as ``ip -j -d link`` and ``bridge -j fdb`` show them, in fabric_info's shape."""
    links = ip_json(ns, "-d", "link", "show")
    vteps = {}
    for entry in links:
        info = entry.get("linkinfo", {})
        if info.get("info_kind") != "vxlan":
            continue
        data = info["info_data"]
        fdb = json.loads(sh("bridge", "-j", "fdb", "show", "dev", entry["ifname"], ns=ns) or "[]")
        vteps[entry["ifname"]] = {
            "vni": data["id"], "local": data["local"], "dev": data["link"], "dstport": data["port"],
            "learning": data["learning"], "mtu": entry["mtu"], "bridge": entry.get("master"),
            "flood": sorted(e["dst"] for e in fdb if e["mac"] == "00:00:00:00:00:00" and "dst" in e),
            "static_macs": sum(1 for e in fdb if e["mac"] != "00:00:00:00:00:00" and "dst" in e
                               and e.get("state") == "permanent" and "extern_learn" not in e["flags"]),
        }
    return vteps


def kernel_bridges(ns):
    """{bridge: {port: flags}} from ``ip -j -d link``."""
    links = ip_json(ns, "-d", "link", "show")
    bridges = dict((e["ifname"], {}) for e in links if e.get("linkinfo", {}).get("info_kind") == "bridge")
    for entry in links:
        slave = entry.get("linkinfo", {}).get("info_slave_data")
        if entry.get("master") in bridges and slave is not None:
            bridges[entry["master"]][entry["ifname"]] = {
                "learning": slave["learning"], "flood": slave["flood"], "hairpin": slave["hairpin"],
                "neigh_suppress": slave["neigh_suppress"], "isolated": slave["isolated"]}
    return bridges


def test_every_vtep_matches_ip_and_bridge(lab):
    results = adhoc_info(lab)
    assert sorted(results) == ["h1", "h2", "h3"]
    addresses = {"h1": "192.0.2.11", "h2": "192.0.2.12", "h3": "192.0.2.13"}
    for host, result in results.items():
        ns = "%s-%s" % (LAB, host)
        assert result["changed"] is False, result
        fabric = result["fabric"]
        got = dict((v["name"], {"vni": v["vni"], "local": v["local"], "dev": v["dev"], "dstport": v["dstport"],
                                "learning": v["learning"], "mtu": v["mtu"], "bridge": v["bridge"],
                                "flood": v["flood"], "static_macs": v["macs"]["static"]}) for v in fabric["vteps"])
        assert got == kernel_vteps(ns)
        assert sorted(got) == ["vx100", "vx200"]
        others = sorted(a for h, a in addresses.items() if h != host)
        assert all(v["flood"] == others for v in got.values())
        bridges = dict((b["name"], dict((p["name"], p["flags"]) for p in b["ports"])) for b in fabric["bridges"])
        assert bridges == kernel_bridges(ns)
        assert fabric["vtep_filter"]["state"] == "present"
        assert fabric["vtep_filter"]["peers"] == others


def test_check_mode_reads_the_same(lab):
    normal, checked = adhoc_info(lab), adhoc_info(lab, "--check")
    for host in normal:
        assert checked[host]["changed"] is False
        assert [v["flood"] for v in checked[host]["fabric"]["vteps"]] == [v["flood"] for v in normal[host]["fabric"]["vteps"]]


def drift_lines(stdout):
    match = re.search(r"TASK \[Drift report per host\].*?\"msg\": (\[.*?\])", stdout, re.S)
    assert match, stdout[-3000:]
    return json.loads(match.group(1))


def test_status_reports_exactly_what_was_deleted(lab):
    proc, _recap = run_playbook(lab, "status.yml", extra_vars=FABRIC_VARS)
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert drift_lines(proc.stdout) == ["h1: no drift", "h2: no drift", "h3: no drift"]
    before = [ip_json("%s-%s" % (LAB, h), "-d", "link", "show") for h in ("h1", "h2", "h3")]

    sh("ip", "link", "del", "vx200", ns=LAB + "-h2")
    sh("bridge", "fdb", "del", "00:00:00:00:00:00", "dev", "vx100", "dst", "192.0.2.13", ns=LAB + "-h1")
    proc, _recap = run_playbook(lab, "status.yml", extra_vars=FABRIC_VARS)
    assert proc.returncode == 2, proc.stdout[-3000:]
    assert drift_lines(proc.stdout) == ["h1: 1 drifted item(s)", "  missing: flood vx100 -> 192.0.2.13",
                                        "h2: 1 drifted item(s)", "  missing: vtep vx200 (vni 200)", "h3: no drift"]
    assert "drift on h1, h2" in proc.stdout
    # status.yml changed nothing: h1 and h3 still have every link they had, h2 all but vx200.
    after = [ip_json("%s-%s" % (LAB, h), "-d", "link", "show") for h in ("h1", "h2", "h3")]
    assert [sorted(e["ifname"] for e in links) for links in after] == [
        sorted(e["ifname"] for e in links if not (i == 1 and e["ifname"] == "vx200")) for i, links in enumerate(before)]
