"""The collection tarball builds, installs, and its modules run by FQCN from the installed copy."""
import json
import os
import subprocess
import sys
from pathlib import Path

from conftest import REPO, link

BIN = Path(sys.executable).parent


def test_built_tarball_installs_and_runs_by_fqcn(tmp_path, ns):
    subprocess.run([str(BIN / "ansible-galaxy"), "collection", "build", "--force", "--output-path",
                    str(tmp_path), str(REPO)], check=True, capture_output=True)
    tarball = next(tmp_path.glob("netfabric-core-*.tar.gz"))
    install = tmp_path / "installed"
    subprocess.run([str(BIN / "ansible-galaxy"), "collection", "install", "--offline", "--force", "-p", str(install),
                    str(tarball)], check=True, capture_output=True)
    assert (install / "ansible_collections" / "netfabric" / "core" / "plugins" / "modules" / "bridge.py").is_file()
    # Only the installed copy is on the collections path: the checkout link is not used.
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(install), ANSIBLE_NOCOLOR="1",
               ANSIBLE_PYTHON_INTERPRETER=sys.executable, ANSIBLE_LOCALHOST_WARNING="0")
    proc = subprocess.run([str(BIN / "ansible"), "localhost", "-c", "local", "-m", "netfabric.core.bridge",
                           "-a", "name=brfqcn netns=%s mtu=1400" % ns], capture_output=True, text=True, env=env, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    status, payload = proc.stdout.split(" => ", 1)
    assert status.strip() == "localhost | CHANGED", proc.stdout
    assert json.loads(payload)["actions"][0] == "create bridge brfqcn"
    view = link(ns, "brfqcn")
    assert view["linkinfo"]["info_kind"] == "bridge" and view["mtu"] == 1400
