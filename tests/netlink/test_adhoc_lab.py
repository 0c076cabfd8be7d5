"""Issue check: an ad-hoc vxlan_vtep run across a 3-host lab is changed, then unchanged, on every host."""
import json
import re
import subprocess

from conftest import ansible_bin, ansible_env, link, sh

LINE = re.compile(r"^(h\d+) \| (CHANGED|SUCCESS|FAILED!|UNREACHABLE!) => ", re.M)


def adhoc(inventory, module, args):
    proc = subprocess.run([ansible_bin("ansible"), "-i", str(inventory), "all", "-m", module, "-a", args],
                          capture_output=True, text=True, env=ansible_env(), timeout=300, check=False)
    return dict(LINE.findall(proc.stdout)), proc


def test_vxlan_vtep_adhoc_changed_then_unchanged(make_lab):
    prefix, inventory = make_lab(3, "ad")
    args = "name=vx100 vni=100 local={{ netfabric_underlay_address }} dev=eth0"
    first, proc = adhoc(inventory, "netfabric.core.vxlan_vtep", args)
    assert first == {"h1": "CHANGED", "h2": "CHANGED", "h3": "CHANGED"}, proc.stdout + proc.stderr
    second, proc = adhoc(inventory, "netfabric.core.vxlan_vtep", args)
    assert second == {"h1": "SUCCESS", "h2": "SUCCESS", "h3": "SUCCESS"}, proc.stdout + proc.stderr
    for i in (1, 2, 3):
        ns = "%s-h%d" % (prefix, i)
        text = sh("ip", "-d", "link", "show", "vx100", ns=ns)
        assert "dstport 4789" in text and "nolearning" in text, text
        data = link(ns, "vx100")["linkinfo"]["info_data"]
        assert (data["id"], data["local"], data["port"]) == (100, "192.0.2.1%d" % i, 4789)
        assert data.get("learning") is False
    assert json.loads(proc.stdout.split(" => ", 1)[1].split("\nh", 1)[0])["changed"] is False
