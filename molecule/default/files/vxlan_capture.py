#!/usr/bin/env python
"""Capture VXLAN frames on a lab link while a container pings another, and decode them.

Usage (root; the namespaces must exist):

    vxlan_capture.py '{"capture_netns": "nfmol-sw", "interface": "h2", "source_netns": "nfmol-h1-c1",
                       "target": "198.51.100.5", "count": 3}'
    vxlan_capture.py --parse FILE.pcap         # decode an existing capture (no traffic sent)

Starts ``timeout T tcpdump -i IF -U -c N -w FILE 'udp dst port 4789'`` in ``capture_netns`` (null: the namespace
the script runs in), waits until it is listening, sends ``count`` bounded pings (``ping -c count -W 1``) from
``source_netns`` to ``target``, stops the capture and prints JSON ``{"ping_rc": RC, "frames": [...], ...}``.
Each frame is decoded from the pcap bytes (pcap header 24 bytes, record header 16, Ethernet 14, IPv4 IHL*4,
UDP 8, VXLAN 8, inner Ethernet 14, inner IPv4 or ARP) into ``outer_src``, ``outer_dst``, ``udp_sport``,
``udp_dport``, ``vxlan_flags``, ``vni``, ``inner_ethertype``, ``inner_src``, ``inner_dst``, ``inner_proto``,
``icmp_type``. Every command is bounded; nothing is sent except the pings to ``target``. Stdlib only.
"""
import json
import os
import select
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time

VXLAN_PORT = 4789
PCAP_MAGIC = {
    b"\xd4\xc3\xb2\xa1": "<", b"\xa1\xb2\xc3\xd4": ">",  # microsecond timestamps
    b"\x4d\x3c\xb2\xa1": "<", b"\xa1\xb2\x3c\x4d": ">",  # nanosecond timestamps
}
LINKTYPE_ETHERNET = 1
ETH_IPV4, ETH_ARP, ETH_VLAN = 0x0800, 0x0806, 0x8100


def ip4(raw):
    return socket.inet_ntoa(raw)


def read_pcap(data):
    """The frames of a classic pcap file, as bytes."""
    if len(data) < 24 or data[:4] not in PCAP_MAGIC:
        raise ValueError("not a pcap file (%d bytes, magic %r)" % (len(data), data[:4]))
    order = PCAP_MAGIC[data[:4]]
    linktype = struct.unpack(order + "I", data[20:24])[0]
    if linktype != LINKTYPE_ETHERNET:
        raise ValueError("link type %d, expected Ethernet (1)" % linktype)
    frames, off = [], 24
    while off + 16 <= len(data):
        incl_len = struct.unpack(order + "IIII", data[off:off + 16])[2]
        off += 16
        frames.append(data[off:off + incl_len])
        off += incl_len
    return frames


def ethertype(frame, off):
    """(ethertype, offset of the payload) of the Ethernet header at ``off``, skipping one 802.1Q tag."""
    etype = struct.unpack("!H", frame[off + 12:off + 14])[0]
    off += 14
    if etype == ETH_VLAN:
        etype = struct.unpack("!H", frame[off + 2:off + 4])[0]
        off += 4
    return etype, off


def decode(frame):
    """The outer IPv4/UDP/VXLAN headers and the inner packet of one Ethernet frame (None if not VXLAN/UDP)."""
    etype, off = ethertype(frame, 0)
    if etype != ETH_IPV4 or len(frame) < off + 20:
        return None
    ver_ihl, proto = frame[off], frame[off + 9]
    if ver_ihl >> 4 != 4 or proto != socket.IPPROTO_UDP:
        return None
    out = {"outer_src": ip4(frame[off + 12:off + 16]), "outer_dst": ip4(frame[off + 16:off + 20])}
    off += (ver_ihl & 0x0F) * 4
    out["udp_sport"], out["udp_dport"] = struct.unpack("!HH", frame[off:off + 4])
    off += 8
    vxlan = frame[off:off + 8]
    if len(vxlan) < 8:
        return None
    out["vxlan_flags"] = vxlan[0]
    out["vni"] = int.from_bytes(vxlan[4:7], "big")
    off += 8
    out.update(inner_ethertype=None, inner_src=None, inner_dst=None, inner_proto=None, icmp_type=None)
    if len(frame) < off + 14:
        return out
    etype, off = ethertype(frame, off)
    out["inner_ethertype"] = etype
    if etype == ETH_IPV4 and len(frame) >= off + 20:
        ihl = (frame[off] & 0x0F) * 4
        out["inner_proto"] = frame[off + 9]
        out["inner_src"], out["inner_dst"] = ip4(frame[off + 12:off + 16]), ip4(frame[off + 16:off + 20])
        if out["inner_proto"] == socket.IPPROTO_ICMP and len(frame) > off + ihl:
            out["icmp_type"] = frame[off + ihl]
    elif etype == ETH_ARP and len(frame) >= off + 28:
        out["inner_src"], out["inner_dst"] = ip4(frame[off + 14:off + 18]), ip4(frame[off + 24:off + 28])
    return out


def decode_pcap(data):
    return [f for f in (decode(frame) for frame in read_pcap(data)) if f is not None]


def capture(spec):
    workdir = tempfile.mkdtemp(prefix="vxlan_capture.")
    path = os.path.join(workdir, "vxlan.pcap")
    timeout = int(spec.get("timeout", 10))
    # capture_netns null: capture in the namespace the script runs in (e.g. on a host's own uplink)
    enter = ["ip", "netns", "exec", spec["capture_netns"]] if spec.get("capture_netns") else []
    tcpdump = subprocess.Popen(
        enter + ["timeout", str(timeout), "tcpdump", "-i", spec["interface"], "-n", "-U", "--immediate-mode",
                 "-c", str(spec.get("max_frames", 50)), "-w", path, "udp dst port %d" % VXLAN_PORT],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        # tcpdump says "listening on IF" once the socket is open: only then is it safe to send.
        stderr, deadline = b"", time.monotonic() + 5
        while b"listening on" not in stderr and time.monotonic() < deadline and tcpdump.poll() is None:
            if select.select([tcpdump.stderr], [], [], 0.2)[0]:
                stderr += os.read(tcpdump.stderr.fileno(), 4096)
        ping = subprocess.run(
            ["ip", "netns", "exec", spec["source_netns"], "ping", "-n", "-c", str(spec.get("count", 3)),
             "-i", "0.2", "-W", "1", spec["target"]],
            capture_output=True, text=True, timeout=15, check=False)
        time.sleep(0.5)  # let the last reply cross the link
        if tcpdump.poll() is None:
            tcpdump.terminate()  # 'timeout' passes SIGTERM on; tcpdump flushes and closes the file
        try:
            rest = tcpdump.communicate(timeout=5)[1]
        except subprocess.TimeoutExpired:
            tcpdump.kill()
            rest = tcpdump.communicate()[1]
        stderr += rest or b""
        with open(path, "rb") as f:
            data = f.read()
        return {"ping_rc": ping.returncode, "ping": ping.stdout.strip().splitlines()[-2:],
                "tcpdump": stderr.decode(errors="replace").strip(), "pcap_bytes": len(data),
                "frames": decode_pcap(data)}
    finally:
        if tcpdump.poll() is None:
            tcpdump.kill()
            tcpdump.wait()
        shutil.rmtree(workdir, ignore_errors=True)


def main(argv):
    if len(argv) == 3 and argv[1] == "--parse":
        with open(argv[2], "rb") as f:
            result = {"frames": decode_pcap(f.read())}
    elif len(argv) == 2:
        result = capture(json.loads(argv[1]))
    else:
        sys.stderr.write(__doc__)
        return 2
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
