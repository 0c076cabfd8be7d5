# -*- coding: utf-8 -*-
# Copyright (c) 2026, netfabric.core contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Helpers for the codec tests: recorded kernel answers and a socket stand-in that replays them."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import struct
from pathlib import Path

RECORDED = json.loads((Path(__file__).resolve().parent / "data" / "recorded_netlink.json").read_text())
NLMSGHDR = struct.Struct("=IHHII")
NLMSG_ERROR = 2


class ReplaySocket:
    """Answers recv() with the datagrams ``answers`` (bytes), in order; keeps what was sent.

    ``answers`` may also be a function of the sent request, for requests that need an ack built from
    their sequence numbers.
    """

    def __init__(self, answers):
        self.answers = answers if callable(answers) else list(answers)
        self.sent, self.options = [], []
        self.pending = []

    def send(self, data):
        self.sent.append(data)
        if callable(self.answers):
            self.pending.extend(self.answers(data))
        return len(data)

    def recv(self, _size):
        if callable(self.answers):
            return self.pending.pop(0)
        return self.answers.pop(0)

    def setsockopt(self, *args):
        self.options.append(args)


def recorded(name):
    """A ReplaySocket over the datagrams recorded for ``name`` and iproute2's view recorded beside them."""
    entry = RECORDED[name]
    return ReplaySocket(bytes.fromhex(d) for d in entry["datagrams"]), entry.get("oracle")


def requests(data):
    """(type, flags, seq, body) of each netlink message in one sent datagram."""
    found, offset = [], 0
    while offset < len(data):
        length, kind, flags, seq, _pid = NLMSGHDR.unpack_from(data, offset)
        found.append((kind, flags, seq, data[offset + NLMSGHDR.size:offset + length]))
        offset += (length + 3) & ~3
    return found


def ack(seq, code=0):
    """The kernel's NLMSG_ERROR answer to request ``seq``: ``code`` 0 is an ack, else -errno."""
    body = struct.pack("=i", -code) + NLMSGHDR.pack(16, 0, 0, seq, 0)
    return NLMSGHDR.pack(NLMSGHDR.size + len(body), NLMSG_ERROR, 0, seq, 0) + body
