#!/usr/bin/env bash
# Run the molecule/docker scenario on this machine's Docker engine, starting the engine if none runs.
#
#   bash tests/docker/run-molecule-docker.sh          # image (cached by input hash) + molecule test -s docker
#   bash tests/docker/run-molecule-docker.sh image    # only build the image
#
# Called by `make molecule-docker` / `make docker-image` (PATH has the venv's bin first). Steps:
# 1. If no Docker engine answers, start dockerd (--iptables=false --bridge=none: nothing of the host's
#    firewall or default bridge is touched), pid file and log in .build/docker/. If it does not come up,
#    fail: the scenario never skips silently.
# 2. Build the hosts' image offline (tests/docker/build_image.py); a second run finds its tag and skips.
# 3. molecule test -s docker, timed.
# 4. On exit, success or not (trap): molecule destroy after a failure, then remove any container or
#    network named nfdk-* that is left, then stop the dockerd this script started, by its PID.
# Runs are serialized with a machine-wide lock: two runs (two checkouts) would share the nfdk-* names and
# the daemon on the default socket.
set -euo pipefail
cd "$(dirname "$0")/../.."
MODE=${1:-test}
STATE=$PWD/.build/docker
PREFIX=nfdk-
DOCKERD_PID=   # set only when this script started dockerd
MOLECULE_RAN=
mkdir -p "$STATE" /run/lock
exec 9>/run/lock/nfdk-molecule-docker.lock  # machine-wide: the names and the default daemon are too
flock 9

say() { echo "run-molecule-docker: $*" >&2; }

engine_answers() { timeout 10 docker info >/dev/null 2>&1; }

start_dockerd() {
  if engine_answers; then
    say "a Docker engine is already running: using it (it is not stopped afterwards)"
    return
  fi
  command -v dockerd >/dev/null || { say "dockerd not installed (apt-get install docker.io)"; exit 1; }
  # A dockerd on the default socket and data root that does not answer (yet): starting another would clash.
  # (Daemons with their own --host/--data-root, e.g. other tests', are no concern.)
  if [ -s /var/run/docker.pid ] && kill -0 "$(cat /var/run/docker.pid)" 2>/dev/null; then
    say "dockerd $(cat /var/run/docker.pid) (/var/run/docker.pid) runs but does not answer: not starting another"
    exit 1
  fi
  say "starting dockerd (log $STATE/dockerd.log)"
  # Its own session: a Ctrl-C or a CI cancel signals this script's process group, and dockerd must outlive
  # that long enough for the trap to remove the containers and the network through it, then stop it.
  setsid dockerd --iptables=false --bridge=none --pidfile "$STATE/dockerd.pid" >"$STATE/dockerd.log" 2>&1 9>&- &
  DOCKERD_PID=$!  # setsid execs dockerd (a background job is no group leader): the same PID
  for _ in $(seq 60); do
    engine_answers && { say "dockerd $DOCKERD_PID is up"; return; }
    kill -0 "$DOCKERD_PID" 2>/dev/null || break
    sleep 1
  done
  say "dockerd did not come up; its log ends with:"; tail -n 20 "$STATE/dockerd.log" >&2
  exit 1
}

stop_dockerd() {
  [ -n "$DOCKERD_PID" ] || return 0
  if ! kill -0 "$DOCKERD_PID" 2>/dev/null; then
    wait "$DOCKERD_PID" 2>/dev/null || true
    return 0
  fi
  say "stopping dockerd $DOCKERD_PID"
  kill -TERM "$DOCKERD_PID"
  for _ in $(seq 30); do
    kill -0 "$DOCKERD_PID" 2>/dev/null || { wait "$DOCKERD_PID" 2>/dev/null || true; return 0; }
    sleep 1
  done
  say "dockerd $DOCKERD_PID did not stop in 30 s: SIGKILL"
  kill -KILL "$DOCKERD_PID" 2>/dev/null || true
  wait "$DOCKERD_PID" 2>/dev/null || true
}

# Whatever the scenario created (containers nfdk-h*, network nfdk-underlay), even if molecule could not.
remove_leftovers() {
  engine_answers || return 0
  local names
  names=$(docker ps -a --format '{{.Names}}' | grep "^$PREFIX" || true)
  [ -z "$names" ] || { say "removing containers: $names"; docker rm -f $names >/dev/null || true; }
  names=$(docker network ls --format '{{.Name}}' | grep "^$PREFIX" || true)
  [ -z "$names" ] || { say "removing networks: $names"; docker network rm $names >/dev/null || true; }
}

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [ -n "$MOLECULE_RAN" ] && [ "$rc" -ne 0 ] && engine_answers; then
    say "failed (exit $rc): molecule destroy -s docker"
    MOLECULE_GLOB='molecule/*/molecule.yml' molecule destroy -s docker >"$STATE/destroy.log" 2>&1 \
      || say "molecule destroy failed, see $STATE/destroy.log"
  fi
  remove_leftovers
  stop_dockerd
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# "<what>: N s" on stderr and in .build/docker/timings.log
timed() {
  local what=$1 start took
  shift
  start=$(date +%s)
  "$@"
  took=$(( $(date +%s) - start ))
  say "$what: ${took} s"
  echo "$(date -u +%FT%TZ) $what: ${took} s" >>"$STATE/timings.log"
}

build_image() { IMAGE=$(python3 tests/docker/build_image.py | tail -n 1); }

start_dockerd
timed "image ready" build_image
say "image $IMAGE"
[ "$MODE" = image ] && exit 0

export NETFABRIC_DOCKER_IMAGE=$IMAGE MOLECULE_GLOB='molecule/*/molecule.yml'
MOLECULE_RAN=1
timed "molecule test -s docker passed" molecule test -s docker
