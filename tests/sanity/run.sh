#!/usr/bin/env bash
# Run `ansible-test sanity` for netfabric.core without Docker and with network access to PyPI only.
#
#   bash tests/sanity/run.sh [extra ansible-test sanity options...]
#   e.g. bash tests/sanity/run.sh --test pep8 --test validate-modules
#
# Environment overrides:
#   ANSIBLE_TEST   ansible-test to use      (default: <repo>/.venv/bin/ansible-test, else the one on PATH)
#   SANITY_PYTHON  Python version to test   (default: the version of the Python running that ansible-test)
#
# How it works:
# * ansible-test only accepts a collection checked out as .../ansible_collections/netfabric/core/.
#   A symlink to the checkout (the Makefile's `make link` tree .build/collections/ansible_collections/
#   netfabric/core, which this script also creates if missing) is NOT enough for `--venv`: ansible-test
#   delegates to its venv with the working directory from os.getcwd(), i.e. with the symlink resolved to
#   the checkout itself, and the delegated ansible-test then stops with "The current working directory must be
#   within the source tree being tested". So the files git sees (tracked + untracked, minus .gitignore'd;
#   i.e. exactly what ansible-test would test in the checkout) are copied to a snapshot
#   .build/sanity/ansible_collections/netfabric/core and tested there. Reported paths are relative to
#   the collection root, so they are the same as in the checkout. The snapshot's tests/output/ (results,
#   the delegation venv) is kept between runs; the console log is also written to
#   tests/output/sanity-run.log in the checkout. Concurrent runs in one checkout wait for each other.
# * `--venv` makes ansible-test build its own virtual environments (under tests/output/.tmp and
#   ~/.ansible/test/venv). It bootstraps pip in each of them with a get-pip script downloaded from
#   ci-files.testing.ansible.com, which these machines cannot reach. The script is looked up first at
#   ~/.ansible/test/cache/get_pip_<pip version>.py, so a stand-in is written there that bootstraps pip
#   from the interpreter's bundled wheel (ensurepip) and then installs the requested packages from the
#   configured index (PyPI) -- see write_get_pip_standin below.
set -euo pipefail

START=$(date +%s)
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)
COLL_ROOT="$ROOT/.build/collections"
COLL_LINK="$COLL_ROOT/ansible_collections/netfabric/core"

log() { printf '[sanity] %s\n' "$*" >&2; }
die() { printf '[sanity] ERROR: %s\n' "$*" >&2; exit 2; }

# --- ansible-test and the Python to test with ---------------------------------------------------
if [ -z "${ANSIBLE_TEST:-}" ]; then
  if [ -x "$ROOT/.venv/bin/ansible-test" ]; then
    ANSIBLE_TEST="$ROOT/.venv/bin/ansible-test"
  else
    ANSIBLE_TEST=$(command -v ansible-test) || die "ansible-test not found (run 'make venv' first)"
  fi
fi
VENV_BIN=$(dirname "$ANSIBLE_TEST")
VENV_PY="$VENV_BIN/python"
[ -x "$VENV_PY" ] || die "no python next to $ANSIBLE_TEST"
# ansible-test looks for python<X.Y> on PATH: make sure the venv's interpreter is found first.
export PATH="$VENV_BIN:$PATH"

# The venv's own Python version is by construction a controller Python this ansible-test supports.
SANITY_PYTHON=${SANITY_PYTHON:-$("$VENV_PY" -c 'import sys; print("%d.%d" % sys.version_info[:2])')}
CORE_VERSION=$("$VENV_PY" -c 'from ansible.release import __version__; print(__version__)')
CORE_MINOR=$(echo "$CORE_VERSION" | cut -d. -f1,2)
log "ansible-core $CORE_VERSION ($ANSIBLE_TEST), testing Python $SANITY_PYTHON"

# --- collection tree ----------------------------------------------------------------------------
# The `make link` tree (used by the Makefile for ANSIBLE_COLLECTIONS_PATH): create it if missing.
mkdir -p "$(dirname "$COLL_LINK")"
if [ -L "$COLL_LINK" ]; then
  [ "$(readlink -f "$COLL_LINK")" = "$ROOT" ] || ln -sfn "$ROOT" "$COLL_LINK"
elif [ -e "$COLL_LINK" ]; then
  die "$COLL_LINK exists and is not a symlink to $ROOT; remove it (make clean) and retry"
else
  ln -s "$ROOT" "$COLL_LINK"   # same as `make link`
fi

# Snapshot of the checkout for ansible-test (see the header for why a symlink does not work).
SNAP="$ROOT/.build/sanity/ansible_collections/netfabric/core"
mkdir -p "$ROOT/.build/sanity"
exec 9>"$ROOT/.build/sanity/.lock"
flock 9   # one run at a time per checkout: the snapshot is rebuilt in place
mkdir -p "$SNAP/tests"
find "$SNAP" -mindepth 1 -maxdepth 1 ! -name tests ! -name .git -exec rm -rf {} +
find "$SNAP/tests" -mindepth 1 -maxdepth 1 ! -name output -exec rm -rf {} +
list_files() {  # NUL-separated paths relative to $ROOT
  if git -C "$ROOT" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    git -C "$ROOT" ls-files -z --cached --others --exclude-standard
  else  # not a git checkout (e.g. an unpacked tarball)
    (cd "$ROOT" && find . -mindepth 1 \( -type f -o -type l \) -printf '%P\0')
  fi
}
while IFS= read -r -d '' f; do
  case "$f" in .git/*|.venv/*|.build/*|.ansible/*|tests/output/*) continue ;; esac
  [ -e "$ROOT/$f" ] || [ -L "$ROOT/$f" ] || continue   # deleted but still tracked
  printf '%s\0' "$f"
done < <(list_files) | tar -C "$ROOT" --null --no-recursion --ignore-failed-read -T - -cf - | tar -C "$SNAP" -xf -
# ansible-test looks for version control from the collection root upwards; without a repository of
# its own the snapshot would be taken for part of the checkout's repository, where .build/ is ignored,
# and every test would be skipped ("All targets skipped"). An empty repository makes ansible-test list
# the snapshot's files with `git ls-files --others --exclude-standard` (honouring its .gitignore).
[ -d "$SNAP/.git" ] || git init -q "$SNAP"
log "snapshot: $(cd "$SNAP" && find . \( -path ./tests/output -o -path ./.git \) -prune -o \( -type f -o -type l \) -print | wc -l) files -> ${SNAP#"$ROOT"/}"

# --- get-pip stand-in(s) ------------------------------------------------------------------------
# The pip version(s) ansible-test bootstraps: default_packages/override_packages in get_venv_packages().
PIP_VERSIONS=$("$VENV_PY" - <<'EOF'
import inspect, re
from ansible_test._internal import python_requirements as pr
src = inspect.getsource(pr.get_venv_packages)
print(" ".join(sorted(set(re.findall(r"""pip\s*[=:]\s*['"]([0-9][0-9.]*)['"]""", src)))))
EOF
)
[ -n "$PIP_VERSIONS" ] || die "could not find the pip version ansible-test bootstraps"

CACHE_DIR="$HOME/.ansible/test/cache"
STANDIN_MARK="# netfabric.core get-pip stand-in"
write_get_pip_standin() {  # $1 = pip version, e.g. 25.2
  local path="$CACHE_DIR/get_pip_${1//./_}.py"
  # Keep a genuine get-pip script if someone cached one; refresh our own stand-in.
  if [ -f "$path" ] && ! grep -qF "$STANDIN_MARK" "$path"; then
    log "using existing $path"
    return
  fi
  mkdir -p "$CACHE_DIR"
  cat >"$path.tmp" <<EOF
$STANDIN_MARK (written by tests/sanity/run.sh).
# ansible-test runs this as get-pip.py (via quiet_pip.py, GET_PIP=<this file>) inside a fresh venv
# created with --without-pip; argv = pip install arguments, e.g. pip==$1 --no-setuptools --no-wheel.
import ensurepip
import os
import subprocess
import sys

# ensurepip deletes every PIP_* variable and sets PIP_CONFIG_FILE=/dev/null in os.environ. That would
# hide this machine's pip configuration (certificate bundle, indexes) from the install below and make it
# fail with CERTIFICATE_VERIFY_FAILED, so keep a copy of the environment from before.
env = dict(os.environ)
if env.get("PIP_CONFIG_FILE") == os.devnull:
    del env["PIP_CONFIG_FILE"]

ensurepip.bootstrap()  # pip from the interpreter's bundled wheel, no network

# get-pip.py-only options; pip install does not know them (and they only mean "do not add these").
args = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
sys.exit(subprocess.call([sys.executable, "-m", "pip", "install"] + args, env=env))
EOF
  mv "$path.tmp" "$path"
  log "wrote get-pip stand-in $path"
}
for v in $PIP_VERSIONS; do write_get_pip_standin "$v"; done

# --- run ----------------------------------------------------------------------------------------
# No test is skipped. Tests whose tools are absent here skip themselves inside ansible-test at no cost:
# shellcheck (needs the `shellcheck` binary: a warning, then "No tests applicable") and pslint (needs
# pwsh; the collection has no PowerShell content). Everything else, including validate-modules, pep8,
# pylint, compile, import, yamllint and ansible-doc, runs on every file.
mkdir -p "$ROOT/tests/output"
LOG="$ROOT/tests/output/sanity-run.log"
log "running: ansible-test sanity --venv --python $SANITY_PYTHON $*  (log: ${LOG#"$ROOT"/})"
set +e
(
  cd "$SNAP"
  "$ANSIBLE_TEST" sanity --venv --python "$SANITY_PYTHON" --color no "$@"
) 2>&1 | tee "$LOG"
RC=${PIPESTATUS[0]}
set -e
ELAPSED=$(( $(date +%s) - START ))
NTESTS=$(grep -c '^Running sanity test ' "$LOG" || true)
if [ "$RC" -eq 0 ] && [ "$NTESTS" -eq 0 ]; then
  echo "ERROR: ansible-test ran no sanity test at all: treating this as a failure" >&2
  RC=3
fi

# --- summary ------------------------------------------------------------------------------------
echo
echo "================ sanity summary: ansible-core $CORE_VERSION, Python $SANITY_PYTHON ================"
echo "tests run:   $NTESTS"
FAILED=$(sed -n 's/^ERROR: Found \([0-9]*\) \(.*\) issue(s) which need to be resolved:$/\2: \1 issue(s)/p' "$LOG")
if [ -n "$FAILED" ]; then
  echo "failed:"
  echo "$FAILED" | sed 's/^/  /'
  echo "issues per file:"
  # issue lines: "ERROR: <path relative to the collection>:<line>:<col>: <code>: <message>"
  grep -oE '^ERROR: [^ :]+:[0-9]+:[0-9]+: ' "$LOG" | sed -E 's/^ERROR: //; s/:[0-9]+:[0-9]+: $//' \
    | sort | uniq -c | sort -rn | sed 's/^/  /'
fi
grep -E '^(FATAL: The |WARNING: (Skipping|Required program))' "$LOG" | sed 's/^/  /' || true
echo "ignore file: tests/sanity/ignore-$CORE_MINOR.txt $([ -f "$ROOT/tests/sanity/ignore-$CORE_MINOR.txt" ] && echo '(present)' || echo '(none)')"
echo "exit status: $RC, elapsed: ${ELAPSED}s"
if [ "$RC" -eq 0 ]; then echo "RESULT: PASS"; else echo "RESULT: FAIL"; fi
exit "$RC"
