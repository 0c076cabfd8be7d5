# -*- coding: utf-8 -*-
# Copyright (c) 2026, netfabric.core contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Several netlink changes in one ``sendmsg()``: no instant between them, not even for a SIGKILL.

The kernel handles every message of one ``sendmsg()`` on a NETLINK_ROUTE socket inside that system
call, in order; a signal is only acted on when the call returns. Steps that must never be seen
apart -- enslaving an uplink and moving its routes off it -- are compiled (pyroute2's IPBatch: the
same keywords as IPRoute, nothing sent) and sent as one datagram. Each message asks for its own ack,
so a refusal of one is known exactly: the parts that did apply are undone in reverse, then the
step fails like any other (and converge rolls back the steps before it).
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import struct

from ansible_collections.netfabric.core.plugins.module_utils import rtnl
from ansible_collections.netfabric.core.plugins.module_utils.converge import Step, explain
from ansible_collections.netfabric.core.plugins.module_utils.netlink import NetfabricError, import_pyroute2


def compile_requests(requests):
    """The datagram for ``requests`` ((method, command, keywords) as for IPRoute) and their sequence numbers."""
    batch = import_pyroute2("pyroute2.iproute.linux").IPBatch()
    try:
        for method, command, keywords in requests:
            getattr(batch, method)(command, **keywords)
        data = bytes(batch.batch)
    finally:
        batch.close()
    return data, [seq for _offset, _length, _type, seq in rtnl.messages(data)]


def send_at_once(sock, data, seqs):
    """Send ``data`` in one call; return {seq: errno} of the refused messages (every message is acked)."""
    sock.send(data)
    pending, refused = set(seqs), {}
    while pending:
        answer = sock.recv(1 << 16)
        for offset, _length, msg_type, seq in rtnl.messages(answer):
            if msg_type != rtnl.NLMSG_ERROR or seq not in pending:
                continue
            pending.discard(seq)
            code = -struct.unpack_from("=i", answer, offset + rtnl.NLMSGHDR.size)[0]
            if code:
                refused[seq] = code
    return refused


def one_request(ns, parts):
    """A Step running ``parts`` (Steps with a ``request`` attribute) in one sendmsg; undo in reverse."""
    def do():
        data, seqs = compile_requests([part.request() for part in parts])
        refused = send_at_once(ns.raw, data, seqs)
        if not refused:
            return
        applied = [part for part, seq in zip(parts, seqs) if seq not in refused]
        failed, code = [(part, refused[seq]) for part, seq in zip(parts, seqs) if seq in refused][0]
        undone = _undo(applied)
        raise NetfabricError("%s failed: [Errno %d] %s (%d of %d changes of this request applied and %s)"
                             % (failed.text, code, os.strerror(code), len(applied), len(parts), undone))

    def undo():
        failures = _undo(parts, strict=True)
        if failures:
            raise NetfabricError(failures)
    step = Step(" + ".join(part.text for part in parts) + " (in one request)", do, undo)
    step.texts = [part.text for part in parts]
    return step


def _undo(parts, strict=False):
    """Undo ``parts`` in reverse; returns a description of how that went (strict: only failures)."""
    failures = []
    for part in reversed(parts):
        try:
            part.undo()
        except Exception as exc:  # keep undoing the others
            failures.append("%s (%s)" % (part.text, explain(exc)))
    if strict:
        return "; ".join(failures)
    return "undone" if not failures else "undoing FAILED for: " + "; ".join(failures)
