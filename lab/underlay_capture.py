# -*- coding: utf-8 -*-
# Copyright (c) 2026, netfabric.core contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Count the VXLAN copies that reach lab hosts' uplinks while something runs (tests and ``bench/``).

One tcpdump per host namespace (``--immediate-mode``: libpcap would otherwise hold the last second of
packets in a buffer that SIGINT discards) writes what arrives for that host (outer destination = the host's
address, UDP port 4789) on its uplink to a pcap file; the files are decoded here (stdlib only), and
every copy is classified by its inner frame: ARP, ICMP (IPv4), other. A copy is counted once, at the
host it was sent to, so the sum over all hosts is the number of copies that crossed the underlay.

    with UplinkCapture({"h3": ("lab-h3", "192.0.2.13")}, workdir) as capture:
        ...send traffic...
    capture.counts["h3"]  # {"vxlan": 2, "arp": 1, "icmp": 0, "other": 1}
"""
from __future__ import absolute_import, division, print_function

import os
import select
import signal
import struct
import subprocess
import time

VXLAN_PORT = 4789
ETH_IPV4, ETH_ARP = 0x0800, 0x0806
PCAP_HEADER, RECORD_HEADER = 24, 16


def classify(frame):
    """The inner frame of one outer Ethernet/IPv4/UDP/VXLAN frame: "arp", "icmp" or "other"."""
    ihl = (frame[14] & 0x0F) * 4
    inner = 14 + ihl + 8 + 8
    if len(frame) < inner + 14:
        return "other"
    ethertype = struct.unpack_from("!H", frame, inner + 12)[0]
    if ethertype == ETH_ARP:
        return "arp"
    if ethertype == ETH_IPV4 and len(frame) > inner + 23 and frame[inner + 14 + 9] == 1:
        return "icmp"
    return "other"


def read_pcap(path):
    """The frames of a pcap file (tcpdump -w, Ethernet link type), as bytes."""
    with open(path, "rb") as handle:
        data = handle.read()
    if len(data) < PCAP_HEADER:
        return []
    order = "<" if data[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    frames, offset = [], PCAP_HEADER
    while offset + RECORD_HEADER <= len(data):
        caplen = struct.unpack_from(order + "IIII", data, offset)[2]
        offset += RECORD_HEADER
        frames.append(data[offset:offset + caplen])
        offset += caplen
    return frames


def count(path):
    """{"vxlan": all copies, "arp": .., "icmp": .., "other": ..} of one pcap file."""
    counts = {"vxlan": 0, "arp": 0, "icmp": 0, "other": 0}
    for frame in read_pcap(path):
        counts["vxlan"] += 1
        counts[classify(frame)] += 1
    return counts


class UplinkCapture(object):
    """tcpdump on each host's uplink for the duration of a ``with`` block; ``counts`` afterwards.

    ``hosts`` maps a label to (namespace, the host's underlay address). Every tcpdump is stopped by its
    PID on leaving the block, also after a failure.
    """

    def __init__(self, hosts, workdir, interface="eth0", port=VXLAN_PORT, ready_timeout=10):
        self.hosts, self.workdir, self.interface, self.port = hosts, workdir, interface, port
        self.ready_timeout = ready_timeout
        self.procs, self.counts = {}, {}

    def path(self, label):
        return os.path.join(self.workdir, "uplink-%s.pcap" % label)

    def __enter__(self):
        try:
            for label, (netns, address) in sorted(self.hosts.items()):
                bpf = "udp dst port %d and dst host %s" % (self.port, address)
                self.procs[label] = subprocess.Popen(
                    ["ip", "netns", "exec", netns, "tcpdump", "-n", "-U", "--immediate-mode", "-s", "256", "-i", self.interface,
                     "-w", self.path(label), bpf], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            for label, proc in self.procs.items():
                self._wait_listening(label, proc)
        except BaseException:
            self._stop()
            raise
        return self

    def _wait_listening(self, label, proc):
        deadline = time.monotonic() + self.ready_timeout
        seen = b""
        while b"listening on" not in seen:
            left = deadline - time.monotonic()
            if left <= 0 or proc.poll() is not None:
                raise RuntimeError("tcpdump on %s did not start: %s" % (label, seen.decode(errors="replace")))
            if select.select([proc.stderr], [], [], left)[0]:
                seen += os.read(proc.stderr.fileno(), 4096)

    def _stop(self):
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGINT)
        for proc in self.procs.values():
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
            proc.stderr.close()

    def __exit__(self, *exc):
        time.sleep(0.5)  # copies still in flight reach the captures (--immediate-mode: no buffering in libpcap)
        self._stop()
        if exc[0] is None:
            self.counts = dict((label, count(self.path(label))) for label in self.procs)
        return False
