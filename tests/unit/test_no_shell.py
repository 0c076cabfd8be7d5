"""Modules never build shell command strings: checked on the syntax tree of every module and module_util.

Allowed: ``module.run_command`` with an argument vector (a list), as vtep_filter calls nft. Not allowed:
subprocess/os.system/os.popen/pty, ``use_unsafe_shell``, or ``run_command`` with a string.
"""
import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2] / "plugins"
SOURCES = sorted(list((ROOT / "modules").glob("*.py")) + list((ROOT / "module_utils").glob("*.py")))
FORBIDDEN_MODULES = {"subprocess", "pty", "commands"}
FORBIDDEN_CALLS = {("os", "system"), ("os", "popen"), ("os", "execv"), ("os", "execvp"), ("os", "spawnl")}


def shell_uses(tree):
    """Every construct that could run a shell, as text."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += ["import %s" % a.name for a in node.names if a.name.split(".")[0] in FORBIDDEN_MODULES]
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in FORBIDDEN_MODULES:
            found.append("from %s import" % node.module)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            owner = node.func.value.id if isinstance(node.func.value, ast.Name) else None
            if (owner, node.func.attr) in FORBIDDEN_CALLS:
                found.append("%s.%s()" % (owner, node.func.attr))
            if node.func.attr == "run_command" and node.args and not isinstance(node.args[0], (ast.List, ast.Name)):
                found.append("run_command(<%s>)" % type(node.args[0]).__name__)
            found += ["%s=" % k.arg for k in node.keywords if k.arg in ("use_unsafe_shell", "shell")]
    return found


def test_the_checker_sees_shell_uses():
    tree = ast.parse("import subprocess\nos.system('x')\nm.run_command('ip link', use_unsafe_shell=True)\n")
    assert shell_uses(tree) == ["import subprocess", "os.system()", "run_command(<Constant>)", "use_unsafe_shell="]


@pytest.mark.parametrize("path", SOURCES, ids=[p.name for p in SOURCES])
def test_no_shell_in_modules(path):
    assert shell_uses(ast.parse(path.read_text())) == []
