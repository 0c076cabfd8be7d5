# -*- coding: utf-8 -*-
# Copyright (c) 2026, netfabric.core contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Record the kernel's answers to the dumps the codecs read, with ``ip -j``/``bridge -j`` beside them.

Run as root (``python tests/unit/plugins/module_utils/record_netlink.py``): it builds a throwaway
namespace with a bridge, a veth pair, a VTEP with static fdb entries, routes and neighbours, records
every datagram the kernel sends back to rtnl/fdb/routes/neighbours readers, and writes them together
with iproute2's JSON view of the same state to ``data/recorded_netlink.json``. The unit tests replay
those datagrams without privileges and judge the decoders by iproute2's view.
"""
import json
import os
import secrets
import socket
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "data" / "recorded_netlink.json"
NS = "w17rec" + secrets.token_hex(2)

SETUP = [
    "link add br0 type bridge",
    "link add eth0 type veth peer name eth1",
    "link set eth0 master br0",
    "addr add 192.0.2.11/24 dev br0",
    "addr add 2001:db8::11/64 dev br0 nodad",
    "link add vx100 type vxlan id 100 local 192.0.2.11 dev br0 dstport 4789 nolearning",
    "link add vx200 type vxlan id 200 local 192.0.2.11 dev br0 dstport 4789 nolearning",
    "link add br100 type bridge",
    "link set vx100 master br100",
    "link set lo up", "link set br0 up", "link set eth0 up", "link set eth1 up", "link set br100 up", "link set vx100 up",
    "route add 198.51.100.0/24 via 192.0.2.1 dev br0 metric 20",
    "route add 203.0.113.0/25 dev br0 proto 157",
    "route add 2001:db8:1::/64 via 2001:db8::1 dev br0",
    "neigh add 192.0.2.21 lladdr 02:00:00:00:00:21 dev br0 nud permanent",
    "neigh add 2001:db8::21 lladdr 02:00:00:00:00:22 dev br0 nud permanent",
]
FDB = [
    "fdb append 00:00:00:00:00:00 dev vx100 dst 192.0.2.12 self permanent",
    "fdb append 00:00:00:00:00:00 dev vx100 dst 192.0.2.13 self permanent",
    "fdb add 02:00:00:00:01:01 dev vx100 dst 192.0.2.12 self permanent",
    "fdb add 02:00:00:00:01:02 dev vx100 dst 192.0.2.14 vni 300 port 8472 self permanent",
]


def run(*argv):
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=30, check=False)
    if proc.returncode:
        raise RuntimeError("%s: %s" % (" ".join(argv), proc.stderr.strip()))
    return proc.stdout


class Recorder:
    """A socket stand-in that passes everything to a real socket and keeps what the kernel sent."""

    def __init__(self, sock):
        self.sock, self.datagrams = sock, []

    def send(self, data):
        return self.sock.send(data)

    def recv(self, size):
        data = self.sock.recv(size)
        self.datagrams.append(data.hex())
        return data

    def setsockopt(self, *args):
        return self.sock.setsockopt(*args)


def netns_socket():
    home = os.open("/proc/self/ns/net", os.O_RDONLY)
    target = os.open("/run/netns/" + NS, os.O_RDONLY)
    try:
        os.setns(target, 0x40000000)
        sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0)
        sock.bind((0, 0))
        return sock
    finally:
        os.setns(home, 0x40000000)
        os.close(home)
        os.close(target)


def record(read):
    """The datagrams one read() sees, each answer in a fresh socket (sequence numbers restart)."""
    sock = netns_socket()
    try:
        rec = Recorder(sock)
        read(rec)
        return rec.datagrams
    finally:
        sock.close()


def main():
    sys.path.insert(0, str(HERE.parents[3] / ".build" / "collections"))
    from ansible_collections.netfabric.core.plugins.module_utils import fdb, neighbours, routes, rtnl
    run("ip", "netns", "add", NS)
    try:
        for line in SETUP:
            run("ip", "-n", NS, *line.split())
        for line in FDB:
            run("bridge", "-n", NS, *line.split())
        index = dict((link["ifname"], link["ifindex"]) for link in json.loads(run("ip", "-n", NS, "-j", "link")))
        recorded = {
            "index": index,
            "links": {"datagrams": record(rtnl.read_links),
                      "oracle": json.loads(run("ip", "-n", NS, "-j", "-d", "link", "show"))},
            "addresses": {"datagrams": record(rtnl.read_addresses),
                          "oracle": json.loads(run("ip", "-n", NS, "-j", "addr", "show"))},
            "fdb": {"datagrams": record(lambda s: fdb.read_fdb(s, index["vx100"])),
                    "oracle": json.loads(run("bridge", "-n", NS, "-j", "fdb", "show", "dev", "vx100"))},
            "routes": {"datagrams": record(routes.read_main_routes),
                       "oracle": json.loads(run("ip", "-n", NS, "-j", "route", "show", "table", "main"))
                       + json.loads(run("ip", "-n", NS, "-j", "-6", "route", "show", "table", "main"))},
            "neighbours": {"datagrams": record(lambda s: neighbours.read_neighbours(s, index["br0"])),
                           "oracle": json.loads(run("ip", "-n", NS, "-j", "neigh", "show", "dev", "br0", "nud", "all"))},
            "link_vx100": {"datagrams": record(lambda s: fdb.read_link(s, "vx100"))},
            "link_missing": {"datagrams": record(lambda s: fdb.read_link(s, "nosuch0"))},
        }
    finally:
        run("ip", "netns", "del", NS)
    OUT.write_text(json.dumps(recorded, indent=1, sort_keys=True) + "\n")
    print("wrote", OUT)


if __name__ == "__main__":
    main()
