# netfabric.core developer entry points. `make test` and `make demo` work on a fresh machine.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# Prefer the newest interpreter present (ansible-core 2.21 needs Python >= 3.12); fall back to python3.
PYENV_ROOT ?= $(shell pyenv root 2>/dev/null || echo $$HOME/.pyenv)
PYTHON ?= $(firstword $(wildcard $(PYENV_ROOT)/versions/3.13*/bin/python3 $(PYENV_ROOT)/versions/3.12*/bin/python3) $(shell command -v python3))
VENV ?= .venv
VPY := $(VENV)/bin/python
# ansible needs the collection under ansible_collections/<namespace>/<name>: link the checkout there.
COLL_ROOT := $(CURDIR)/.build/collections
COLL_LINK := $(COLL_ROOT)/ansible_collections/netfabric/core
export ANSIBLE_COLLECTIONS_PATH := $(COLL_ROOT)
export PATH := $(abspath $(VENV))/bin:$(PATH)

.PHONY: help deps venv link test test-units test-netlink molecule sanity lint build lab-up lab-down demo demo-down clean \
	deps-docker docker-image molecule-docker

N ?= 3
LAB_PREFIX ?= nflab
LAB_INVENTORY := .build/lab/$(LAB_PREFIX).yml
DEMO_PREFIX ?= nfdemo
DEMO_INVENTORY := .build/lab/$(DEMO_PREFIX).yml

help:
	@echo "make test      - install everything, then run every test (pytest, sanity, lint)"
	@echo "make demo      - build the netns lab and run the fabric on it"
	@echo "make lab-up N=3 / make lab-down - a lab of N namespace hosts behind a switch"
	@echo "make build     - build the collection tarball"

# CNI_DEPS: the real CNI plugins and a runtime for tests/netlink/test_cni.py (podman runs containers from a
# busybox-static root filesystem on runc).
CNI_DEPS := containernetworking-plugins podman runc busybox-static
# FRR (zebra, bgpd, vtysh) for the EVPN control plane (overlay_control_plane: evpn, tests/netlink/test_evpn.py).
EVPN_DEPS := frr
# DOCKER_DEPS: a Docker engine for tests/netlink/test_docker_networks.py (the test starts a dockerd per lab host).
DOCKER_DEPS := docker.io busybox-static

deps:
	@command -v ip >/dev/null && command -v bridge >/dev/null && command -v tcpdump >/dev/null && command -v ping >/dev/null \
	  && command -v nft >/dev/null && dpkg -s $(sort $(CNI_DEPS) $(DOCKER_DEPS) $(EVPN_DEPS)) >/dev/null 2>&1 \
	  || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq iproute2 iputils-ping tcpdump nftables $(sort $(CNI_DEPS) $(DOCKER_DEPS) $(EVPN_DEPS)) >/dev/null; }
	@command -v dot >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq graphviz >/dev/null; }  # fabric.svg (demo, test_fabric_graph)
	@test -x /usr/lib/systemd/systemd-networkd \
	  || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq systemd >/dev/null; }

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(VPY) -m pip install -q -r requirements.txt
	touch $@

venv: $(VENV)/.installed

link:
	@mkdir -p $(dir $(COLL_LINK))
	@ln -sfn $(CURDIR) $(COLL_LINK)

test: deps venv link test-units test-netlink molecule molecule-docker sanity lint

# Unit tests need no network privileges: run as root, they run with CAP_NET_ADMIN and CAP_SYS_ADMIN dropped
# from the bounding set (setpriv, util-linux), so a unit test that reached for the kernel fails here.
comma := ,
UNPRIVILEGED := $(if $(filter 0,$(shell id -u)),setpriv --bounding-set -net_admin$(comma)-sys_admin)

test-units:
	$(UNPRIVILEGED) $(VPY) -m pytest -q tests/unit

# Two workers, whole files each: most time is spent waiting on ansible-playbook and the kernel, and a file's
# tests share one lab (module-scoped fixtures), so they stay together on one worker.
test-netlink:
	$(VPY) -m pytest -q -n 2 --dist loadfile tests/netlink

# The netns-lab scenario: syntax, create, converge, idempotence, verify (traffic + capture), destroy.
molecule: venv link
	MOLECULE_GLOB='molecule/*/molecule.yml' $(VENV)/bin/molecule test -s default

sanity: venv link
	bash tests/sanity/run.sh

lint: venv
	$(VENV)/bin/ansible-lint

build: venv
	$(VENV)/bin/ansible-galaxy collection build --force --output-path .build/dist .

lab-up: deps venv link
	$(VPY) lab/lab.py up --hosts $(N) --prefix $(LAB_PREFIX) --inventory $(LAB_INVENTORY)

lab-down:
	$(VPY) lab/lab.py down --prefix $(LAB_PREFIX)

# The main job on the built-in lab: 3 hosts, 2 tenants, 2 containers per host; the real playbooks (overlay,
# verify, overlay again, status, graph) with their full output in .build/demo/*.log, one line per step on
# screen, then a one-screen summary (lab/demo.py).
demo: deps venv link
	@$(VPY) lab/demo.py --prefix $(DEMO_PREFIX) --inventory $(DEMO_INVENTORY) --out .build/demo

demo-down:
	$(VPY) lab/lab.py down --prefix $(DEMO_PREFIX)

clean:
	rm -rf .build

# The Docker scenario (molecule/docker): a real Docker engine and debootstrap, from Debian packages.
deps-docker:
	@command -v dockerd >/dev/null && command -v docker >/dev/null && command -v debootstrap >/dev/null \
	  || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o DPkg::Lock::Timeout=600 \
	       docker.io debootstrap >/dev/null; }

# The scenario's host image, built offline and tagged by a hash of its inputs (a second run builds nothing).
# Starts dockerd for the build if none runs, and stops it again.
docker-image: deps-docker venv
	bash tests/docker/run-molecule-docker.sh image

# molecule test -s docker: dockerd started if none runs and stopped afterwards, containers and networks
# nfdk-* removed, also after a failure (tests/docker/run-molecule-docker.sh).
molecule-docker: deps-docker venv link
	bash tests/docker/run-molecule-docker.sh

# Benchmarks (not part of `make test`): tables on stdout, BENCHMARKS.md rewritten; ~15 min on 2 cores.
# BENCH_ARGS=--quick for a smoke run; see `python bench/run.py --help` for sizes and repetitions.
.PHONY: bench
BENCH_ARGS ?=
bench: deps venv link
	$(VPY) bench/run.py $(BENCH_ARGS)
