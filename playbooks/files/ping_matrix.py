#!/usr/bin/env python
# Ping every target from every source container namespace, in parallel, and print JSON results.
# Usage: ping_matrix.py '<json {"sources": [...], "targets": [...]}>'  (endpoints as in overlay_endpoints)
# Each probe is bounded: 2 packets, 2 seconds at most; nothing is sent outside the fabric's addresses.
import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor


def probe(pair):
    src, dst = pair
    proc = subprocess.run(["ip", "netns", "exec", src["netns"], "ping", "-c", "2", "-i", "0.2", "-w", "2", "-q",
                           dst["address"]], capture_output=True, text=True, timeout=10, check=False)
    return {"src": src["name"], "src_host": src["host"], "src_tenant": src["tenant"], "dst": dst["name"],
            "dst_host": dst["host"], "dst_tenant": dst["tenant"], "dst_address": dst["address"],
            "reachable": proc.returncode == 0}


def main():
    spec = json.loads(sys.argv[1])
    pairs = [(s, t) for s in spec["sources"] for t in spec["targets"] if (s["host"], s["name"]) != (t["host"], t["name"])]
    with ThreadPoolExecutor(max_workers=8) as pool:
        print(json.dumps(list(pool.map(probe, pairs))))


if __name__ == "__main__":
    main()
