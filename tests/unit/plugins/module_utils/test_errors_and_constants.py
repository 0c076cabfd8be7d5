# -*- coding: utf-8 -*-
# Copyright (c) 2026, netfabric.core contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The leaves of module_utils: errors.py and constants.py import nothing; the controller side (every
filter plugin, validate.py, the planners) loads neither netlink.py nor pyroute2; the old import places
still give the same classes; and no other file defines a kernel constant or fabric limit again."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import ast
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from ansible_collections.netfabric.core.plugins.module_utils import errors, ip_plan, netlink, validate

REPO = Path(__file__).resolve().parents[4]
MODULE_UTILS = REPO / "plugins" / "module_utils"
FILTERS = sorted(p.stem for p in (REPO / "plugins" / "filter").glob("*.py"))
CONTROLLER_SIDE = (["ansible_collections.netfabric.core.plugins.filter." + name for name in FILTERS]
                   + ["ansible_collections.netfabric.core.plugins.module_utils." + name
                      for name in ("validate", "ip_plan", "cni_conflist", "docker_ipam", "routed", "errors", "constants")])
KERNEL_NAME = re.compile(r"^(NLMSG_|NLM_F_|NLA_F_|NLA_TYPE|RTM_|IFLA_|IFA_|NDA_|NTF_|NUD_|RTA_|RTN_|RTNH_|RT_TABLE|"
                         r"RT_SCOPE|RTPROT_|CLONE_NEW|AF_BRIDGE|SOL_NETLINK|NETLINK_GET|IFF_|VNI_MAX|MAX_VNI|MTU_M|"
                         r"VXLAN_PORT|IANA_VXLAN|PORT_MAX)")


@pytest.mark.parametrize("leaf", ["errors.py", "constants.py"])
def test_leaves_import_nothing(leaf):
    tree = ast.parse((MODULE_UTILS / leaf).read_text())
    imports = [node for node in ast.walk(tree) if isinstance(node, (ast.Import, ast.ImportFrom))]
    assert [ast.unparse(node) for node in imports] == ["from __future__ import absolute_import, division, print_function"]


def test_controller_side_loads_neither_netlink_nor_pyroute2():
    code = ("import importlib, json, sys\n"
            "for name in %r: importlib.import_module(name)\n"
            "print(json.dumps(sorted(m for m in sys.modules if m.startswith('pyroute2') or m.endswith(("
            "'module_utils.netlink', 'module_utils.converge', 'module_utils.rtnl')))))" % (CONTROLLER_SIDE,))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env, check=True)
    assert json.loads(out.stdout) == []
    assert len(CONTROLLER_SIDE) >= 10


def test_the_old_import_places_give_the_same_classes():
    assert netlink.NetfabricError is errors.NetfabricError is validate.NetfabricError
    assert ip_plan.PlanError is errors.PlanError and issubclass(errors.PlanError, ValueError)


def test_one_wording_for_a_missing_link_and_a_wrong_kind():
    assert errors.no_such_link("dev", "nosuch0") == "dev: no link named 'nosuch0' in this network namespace"
    assert errors.wrong_kind("master", "eth1", "veth", "bridge") == "master: link 'eth1' is a veth, not a bridge"
    assert errors.wrong_kind("name", "x", None, "veth", "remove it or pick another name") == (
        "name: link 'x' is a device without kind, not a veth; remove it or pick another name")


def test_no_module_util_defines_a_kernel_constant_or_limit_again():
    again = []
    for path in sorted(MODULE_UTILS.glob("*.py")):
        if path.name == "constants.py":
            continue
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.Assign):
                for target in node.targets:
                    names = target.elts if isinstance(target, ast.Tuple) else [target]
                    again += ["%s: %s" % (path.name, n.id) for n in names
                              if isinstance(n, ast.Name) and KERNEL_NAME.match(n.id)
                              and not (isinstance(node.value, ast.Name) or _from_constants(node.value))]
    assert again == []


def _from_constants(value):
    """``MAX_VNI = VNI_MAX``-style aliases are a second name, not a second definition."""
    return isinstance(value, ast.Attribute)


def test_every_module_utils_attribute_a_plugin_names_exists():
    """``rtnl.RTM_NEWLINK``-style references resolve: a constant moved to constants.py must stay reachable
    wherever another file still reaches it through a module (the import itself would not fail)."""
    import importlib
    package = "ansible_collections.netfabric.core.plugins.module_utils."
    names = sorted(p.stem for p in MODULE_UTILS.glob("*.py"))
    pattern = re.compile(r"\b(%s)\.([A-Z][A-Z0-9_]+)\b" % "|".join(names))
    missing = []
    for path in sorted((REPO / "plugins").rglob("*.py")):
        for module, attribute in set(pattern.findall(path.read_text())):
            if not hasattr(importlib.import_module(package + module), attribute):
                missing.append("%s: %s.%s" % (path.relative_to(REPO), module, attribute))
    assert missing == []
