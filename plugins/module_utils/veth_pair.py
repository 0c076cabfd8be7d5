# -*- coding: utf-8 -*-
# Copyright (c) 2026, netfabric.core contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The veth pair resource (netfabric.core.veth_pair): host end, peer end in (usually) another namespace.

The pair is identified by its host end ``name``. The peer is found through the host end's view:
``link`` is the peer's ifindex and ``link_netnsid`` the id (as the host namespace numbers it) of the
namespace the peer lives in. When the peer is not where ``peer_netns`` wants it, it is moved there
if it is in the host end's namespace (one request: move and rename), else the pair is re-created.
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import copy
import os

from ansible_collections.netfabric.core.plugins.module_utils import addrgen, validate
from ansible_collections.netfabric.core.plugins.module_utils.addresses import (
    address_steps, read_addresses, refuse_ipv6_loss, renumbered_subnets)
from ansible_collections.netfabric.core.plugins.module_utils.converge import Plan, Resource, Snapshot, Step, expect
from ansible_collections.netfabric.core.plugins.module_utils.errors import no_such_link, wrong_kind
from ansible_collections.netfabric.core.plugins.module_utils.links import LinkTable, bring_up, find_index, link_set, rename_link
from ansible_collections.netfabric.core.plugins.module_utils.netlink import (
    NETNS_RUN_DIR, Namespace, NetfabricError, resolver)
from ansible_collections.netfabric.core.plugins.module_utils.ports import set_master
from ansible_collections.netfabric.core.plugins.module_utils.routes import (
    current_gateway, default_route_step, default_routes_guard)

ARGUMENT_SPEC = dict(
    name=dict(type="str", required=True),
    peer=dict(type="str"),
    peer_netns=dict(type="str"),
    master=dict(type="str"),
    mtu=dict(type="int"),
    mtu_from=dict(type="str"),
    peer_addresses=dict(type="list", elements="str"),
    peer_gateway=dict(type="str"),
    ipv6_addrgen=addrgen.SPEC,
    state=dict(type="str", default="present", choices=["present", "absent"]),
    netns=dict(type="str"),
)

NSID_NOT_ASSIGNED = (-1, 4294967295)
# Where the peer was found, relative to what peer_netns asks for.
AT_DESIRED, IN_HOST_NS, ELSEWHERE, MISSING = "desired", "host", "elsewhere", "missing"


class VethPair(Resource):
    def __init__(self, params):
        self.name = validate.ifname("name", params["name"])
        self.state = params["state"]
        self.peer = validate.ifname("peer", params["peer"], required=self.state == "present")
        self.master = validate.ifname("master", params["master"], required=False)
        self.mtu = validate.mtu("mtu", params["mtu"])
        self.mtu_from = validate.ifname("mtu_from", params.get("mtu_from"), required=False)
        if self.mtu is not None and self.mtu_from is not None:
            validate.fail("mtu_from", self.mtu_from, "is mutually exclusive with mtu (%d)" % self.mtu)
        self.peer_addresses = validate.cidr_list("peer_addresses", params["peer_addresses"])
        self.peer_gateway = self._gateway(params["peer_gateway"])
        self.ipv6_addrgen = params["ipv6_addrgen"]
        netns = validate.netns("netns", params["netns"])
        self.peer_spec = validate.netns("peer_netns", params["peer_netns"])
        if self.master is not None and self.master == self.name:
            validate.fail("master", self.master, "must not be the veth itself")
        self.peer_same = True
        self.ns = self.peer_ns = Namespace(netns)
        try:
            # absent needs the host end only: the namespace of a removed container may be gone already.
            if self.state == "present" and self.peer_spec is not None:
                other = Namespace(self.peer_spec, option="peer_netns")
                if other.identity() == self.ns.identity():
                    other.close()
                else:
                    self.peer_ns = other
                    self.peer_same = False
            if self.peer_same and self.peer is not None and self.peer == self.name:
                validate.fail("peer", self.peer, "must differ from name when both ends are in the same namespace")
        except (NetfabricError, OSError):
            self.close()
            raise

    def _gateway(self, value):
        gateway = validate.ip("peer_gateway", value)
        if gateway is None:
            return None
        if not self.peer_addresses:
            validate.fail("peer_gateway", value, "needs peer_addresses: the gateway must be inside one of the peer's subnets")
        subnets = [i for i in self.peer_addresses if i.version == gateway.version]
        if gateway in set(i.ip for i in subnets):
            validate.fail("peer_gateway", value, "is one of peer_addresses; the gateway is another host on the peer's subnet")
        for iface in subnets:
            net = iface.network
            if gateway in net:
                if net.version == 4 and net.prefixlen < 31 and gateway in (net.network_address, net.broadcast_address):
                    validate.fail("peer_gateway", value, "is the network or broadcast address of %s" % net)
                return gateway
        validate.fail("peer_gateway", value, "is not inside any subnet of peer_addresses (%s)"
                      % ", ".join(str(i.network) for i in self.peer_addresses))

    def lock_keys(self):
        keys = [(self.ns, self.name, "name")]
        if self.peer is not None:
            keys.append((self.peer_ns, self.peer, "peer"))
        return keys

    def close(self):
        if self.peer_ns is not self.ns:
            self.peer_ns.close()
        self.ns.close()

    # --- reading -----------------------------------------------------------------------------

    def _locate(self, host, table, peer_table):
        """(where, peer view) of the host end's peer; see AT_DESIRED etc."""
        if host["link_netnsid"] is None:
            view = find_index(table, host["link"])
            if view is None or view["kind"] != "veth" or view["link"] != host["index"]:
                return MISSING, None
            return (AT_DESIRED if self.peer_same else IN_HOST_NS), view
        if not self.peer_same:
            nsid = self.ns.ipr.get_netnsid(fd=self.peer_ns.fd)
            nsid = nsid.get("nsid") if nsid else None
            if nsid is not None and nsid not in NSID_NOT_ASSIGNED and nsid == host["link_netnsid"]:
                view = find_index(peer_table, host["link"])
                if view is not None and view["kind"] == "veth" and view["link"] == host["index"]:
                    return AT_DESIRED, view
        return ELSEWHERE, None

    def read(self):
        table = LinkTable(self.ns)
        host = table.get(self.name)
        # The peer's namespace: where the peer is looked for, and where its new name must be free.
        peer_table = table if self.peer_same else LinkTable(self.peer_ns)
        facts = dict(table=table, host=host, where=MISSING, peer_table=peer_table, host_addresses=[], elsewhere=None,
                     addrgen=None, mtu_source=table.get(self.mtu_from) if self.mtu_from else None)
        if host is None or host["kind"] != "veth":
            return Snapshot({"name": self.name, "state": "absent"}, values={"index": None, "peer_index": None}, **facts)
        where, peer = self._locate(host, table, peer_table)
        facts.update(where=where, addrgen=addrgen.read(self.ns, host, self.ipv6_addrgen))
        if self.mtu is not None or self.mtu_from is not None:
            facts["host_addresses"] = read_addresses(self.ns, host["index"])
        if self.state == "present" and where in (ELSEWHERE, MISSING) and host["link_netnsid"] is not None:
            facts["elsewhere"] = self._find_peer_namespace(host["link_netnsid"], host)
        values = {"index": host["index"], "peer_index": peer["index"] if peer is not None else None}
        return Snapshot(self._view(host, where, peer, peer_table, facts["addrgen"]), values=values, **facts)

    def _view(self, host, where, peer, peer_table, generation):
        state = {"name": self.name, "state": "present", "up": host["up"], "mtu": host["mtu"], "master": host["master"]}
        state.update(addrgen.view(generation, self.ipv6_addrgen))
        if where == AT_DESIRED:
            state["peer_netns"] = self.peer_spec
        elif where == IN_HOST_NS:
            state["peer_netns"] = None
        else:
            state["peer_netns"] = "netnsid %s" % host["link_netnsid"] if host["link_netnsid"] is not None else None
        if peer is None:
            state.update(peer=None, peer_up=None, peer_mtu=None, peer_addresses=None)
            if self.peer_gateway is not None:
                state["peer_gateway"] = None
            return state
        peer_ns = self.peer_ns if (where == AT_DESIRED and not self.peer_same) else self.ns
        state.update(peer=peer["name"], peer_up=peer["up"], peer_mtu=peer["mtu"],
                     peer_addresses=[i.with_prefixlen for i in read_addresses(peer_ns, peer["index"])])
        if where == AT_DESIRED and not self.peer_same:
            lo = peer_table.get("lo")
            state["peer_lo_up"] = bool(lo and lo["up"])
        if self.peer_gateway is not None:
            state["peer_gateway"] = current_gateway(peer_ns, self.peer_gateway, peer["index"])
        return state

    # --- checking ----------------------------------------------------------------------------

    def with_mtu_of(self, snapshot):
        """This pair with ``mtu`` as the ``mtu_from`` link has it in ``snapshot``: a copy, the resource
        stays as it was built (``mtu_from`` is resolved anew by every read)."""
        if self.mtu_from is None or self.state == "absent":
            return self
        source = snapshot.mtu_source
        if source is None:
            raise NetfabricError(no_such_link("mtu_from", self.mtu_from))
        resolved = copy.copy(self)
        resolved.mtu, resolved.mtu_from = source["mtu"], None
        return resolved

    def check(self, snapshot):
        if self.mtu_from is not None:
            return self.with_mtu_of(snapshot).check(snapshot)
        host, before = snapshot.host, snapshot.view
        if host is not None and host["kind"] != "veth":
            raise NetfabricError(wrong_kind("name", self.name, host["kind"], "veth", "remove it or pick another name"))
        if self.state == "absent":
            return
        self._check_master(snapshot.table)
        if snapshot.where != AT_DESIRED or before["peer"] != self.peer:
            self._check_free(snapshot.peer_table, self.peer)
        if snapshot.where in (ELSEWHERE, MISSING) and before["state"] == "present":
            self._own_peer_elsewhere(snapshot)
        if self.mtu is not None:
            peer_addresses = before["peer_addresses"] if snapshot.where == AT_DESIRED else []
            refuse_ipv6_loss("mtu", self.mtu, "peer %s" % self.peer,
                             self.peer_addresses if self.peer_addresses is not None else peer_addresses)
            refuse_ipv6_loss("mtu", self.mtu, self.name, snapshot.host_addresses)

    # --- planning ----------------------------------------------------------------------------

    def plan(self, snapshot):
        if self.mtu_from is not None:
            return self.with_mtu_of(snapshot).plan(snapshot)
        before = snapshot.view
        if self.state == "absent":
            return self._plan_absent(before)
        steps = []
        # What the peer looks like once it is where it belongs (before the attribute steps).
        peer_now = {"name": self.peer, "mtu": None, "up": False, "addresses": [], "gateway": None, "lo_up": None}
        host_now = {"mtu": None, "master": None, "up": False, "addrgen": None}
        where = snapshot.where
        if where == AT_DESIRED:
            peer_now.update(name=before["peer"], mtu=before["peer_mtu"], up=before["peer_up"],
                            addresses=before["peer_addresses"], gateway=before.get("peer_gateway"))
            host_now.update(mtu=before["mtu"], master=before["master"], up=before["up"], addrgen=snapshot.addrgen)
            if before["peer"] != self.peer:
                steps.append(self._rename(before["peer"], self.peer))
        elif where == IN_HOST_NS:
            host_now.update(mtu=before["mtu"], master=before["master"], up=before["up"], addrgen=snapshot.addrgen)
            peer_now["mtu"] = before["peer_mtu"]
            steps.append(self._move(before["peer"], self.peer))
        else:
            if before["state"] == "present":
                found = self._own_peer_elsewhere(snapshot)
                steps.append(Step("delete %s to re-create the pair: its peer %s is in %s, not in %s"
                                  % (self.name, self.peer, found, self._peer_ns_text()),
                                  lambda: self.ns.ipr.link("del", index=resolver(self.ns, self.name)())))
            steps.append(self._create())
            if self.mtu is not None:
                host_now["mtu"] = peer_now["mtu"] = self.mtu
        if not self.peer_same:
            lo = snapshot.peer_table.get("lo")
            peer_now["lo_up"] = bool(lo and lo["up"])
        steps.extend(self._attribute_steps(host_now, peer_now))
        after, keys = self._after(before, host_now, peer_now)
        return Plan(after, steps, expect(after, keys))

    def _plan_absent(self, before):
        if before["state"] == "absent":
            return Plan(before, [], expect(before, ["state"]))
        step = Step("delete %s (the kernel deletes its peer %s)" % (self.name, before.get("peer") or "too"),
                    lambda: self.ns.ipr.link("del", index=resolver(self.ns, self.name)()))
        after = {"name": self.name, "state": "absent"}
        return Plan(after, [step], expect(after, ["state"]))

    def _own_peer_elsewhere(self, snapshot):
        """The name of the namespace holding this pair's peer under the name the task gives it.

        Only then is the existing veth unambiguously the pair the task describes, and may be deleted
        to re-create it; any other veth of that name -- a container's ``eth0`` whose peer is on the
        host, someone else's pair -- is refused with what is there, and nothing is changed.
        """
        host = snapshot.host
        nsid = host["link_netnsid"]
        found = snapshot.elsewhere
        if found is not None and found[1]["name"] == self.peer:
            return found[0]
        if found is not None:
            what = "its peer is %r in network namespace %r" % (found[1]["name"], found[0])
        elif nsid is not None:
            what = "its peer (ifindex %s) is in a network namespace without a name in %s (netnsid %s), such as " \
                   "the host of a container" % (host["link"], NETNS_RUN_DIR, nsid)
        else:
            what = "its peer (ifindex %s) was not found" % host["link"]
        validate.fail("name", self.name, "a veth of this name exists but is not the pair this task describes (%s, "
                                         "not %r in %s); it is left alone -- delete it yourself or pick another name"
                      % (what, self.peer, self._peer_ns_text()))

    def _find_peer_namespace(self, nsid, host):
        """(name, peer view) of the named namespace (``/run/netns``) whose id here is ``nsid``, or None."""
        try:
            names = sorted(os.listdir(NETNS_RUN_DIR))
        except OSError:
            return None
        for name in names:
            try:
                other = Namespace(name)
            except NetfabricError:
                continue
            try:
                answer = self.ns.ipr.get_netnsid(fd=other.fd)
                if not answer or answer.get("nsid") != nsid:
                    continue
                view = find_index(LinkTable(other), host["link"])
                if view is not None and view["kind"] == "veth" and view["link"] == host["index"]:
                    return name, view
                return None
            finally:
                other.close()
        return None

    def _peer_ns_text(self):
        return "peer_netns %r" % self.peer_spec if not self.peer_same else "the namespace of %s" % self.name

    def _check_master(self, table):
        if self.master is None:
            return
        view = table.get(self.master)
        if view is None:
            raise NetfabricError(no_such_link("master", self.master))
        if view["kind"] != "bridge":
            raise NetfabricError(wrong_kind("master", self.master, view["kind"], "bridge"))

    def _check_free(self, peer_table, name):
        """The peer's new name must be free where the peer goes (a rename is only planned when the name changes)."""
        view = peer_table.get(name)
        if view is not None:
            validate.fail("peer", name, "a %s with that name already exists in %s and is not the peer of %s"
                          % (view["kind"] or "link", self._peer_ns_text(), self.name))

    def _create(self):
        peer = {"ifname": self.peer}
        request = {"ifname": self.name, "kind": "veth"}
        if not self.peer_same:
            peer["net_ns_fd"] = self.peer_ns.fd
        if self.mtu is not None:
            peer["mtu"] = request["mtu"] = self.mtu
        request["peer"] = peer
        where = " in %s" % self._peer_ns_text() if not self.peer_same else ""
        return Step("create veth %s with peer %s%s" % (self.name, self.peer, where),
                    lambda: self.ns.ipr.link("add", **request),
                    lambda: self.ns.ipr.link("del", index=resolver(self.ns, self.name)()))

    def _rename(self, old, new):
        ns = self.peer_ns
        return Step("rename peer %s to %s" % (old, new),
                    lambda: rename_link(ns, resolver(ns, old)(), new),
                    lambda: rename_link(ns, resolver(ns, new)(), old))

    def _move(self, old, new):
        """Move the peer from the host end's namespace to peer_netns, renamed to ``new`` on the way."""
        def do():
            self.ns.ipr.link("set", index=resolver(self.ns, old)(), net_ns_fd=self.peer_ns.fd, ifname=new)

        def undo():
            home = self.ns.fd if self.ns.fd is not None else os.open("/proc/self/ns/net", os.O_RDONLY)
            try:
                self.peer_ns.ipr.link("set", index=resolver(self.peer_ns, new)(), net_ns_fd=home, ifname=old)
            finally:
                if home != self.ns.fd:
                    os.close(home)
        rename = " as %s" % new if new != old else ""
        return Step("move peer %s to %s%s" % (old, self._peer_ns_text(), rename), do, undo)

    def _attribute_steps(self, host_now, peer_now):
        steps = []
        host_of = resolver(self.ns, self.name)
        peer_of = resolver(self.peer_ns, self.peer)
        if self.mtu is not None and host_now["mtu"] != self.mtu:
            steps.append(link_set(self.ns, self.name, "mtu=%d on %s" % (self.mtu, self.name), host_of,
                                  {"mtu": self.mtu}, {"mtu": host_now["mtu"]} if host_now["mtu"] else None))
        if self.mtu is not None and peer_now["mtu"] != self.mtu:
            steps.append(link_set(self.peer_ns, self.peer, "mtu=%d on peer %s" % (self.mtu, self.peer), peer_of,
                                  {"mtu": self.mtu}, {"mtu": peer_now["mtu"]} if peer_now["mtu"] else None))
        if self.master is not None and host_now["master"] != self.master:
            steps.append(set_master(self.ns, host_of, self.master, host_now["master"],
                                    "set master of %s to %s" % (self.name, self.master)))
        steps.extend(addrgen.steps(self.ns, self.name, host_of, host_now["addrgen"], self.ipv6_addrgen))
        if not host_now["up"]:
            steps.append(bring_up(self.ns, self.name, host_of))
        if peer_now["lo_up"] is False:
            steps.append(link_set(self.peer_ns, "lo", "set lo up in %s" % self._peer_ns_text(),
                                  resolver(self.peer_ns, "lo"), {"state": "up"}, {"state": "down"}))
        if not peer_now["up"]:
            steps.append(link_set(self.peer_ns, self.peer, "set peer %s up" % self.peer, peer_of,
                                  {"state": "up"}, {"state": "down"}))
        flushes_gateway = False
        if self.peer_addresses is not None:
            current = [validate.cidr("peer_addresses", a) for a in peer_now["addresses"]]
            # The kernel flushes the routes via a subnet whose addresses all go, if only for a moment.
            flushes_gateway = self.peer_gateway is not None and any(
                self.peer_gateway in net for net in renumbered_subnets(current, self.peer_addresses))
            if flushes_gateway:
                steps.append(default_routes_guard(self.peer_ns, self._peer_ns_text()))
            steps.extend(address_steps(self.peer_ns, self.peer, peer_of, current, self.peer_addresses))
        if self.peer_gateway is not None and (flushes_gateway or peer_now["gateway"] != str(self.peer_gateway)):
            steps.append(default_route_step(self.peer_ns, self.peer_gateway, self.peer, peer_of, self._peer_ns_text()))
        return steps

    def _after(self, before, host_now, peer_now):
        after = {"name": self.name, "state": "present", "up": True, "peer": self.peer, "peer_up": True,
                 "peer_netns": self.peer_spec,
                 "mtu": self.mtu if self.mtu is not None else (host_now["mtu"] if host_now["mtu"] is not None else before.get("mtu")),
                 "peer_mtu": self.mtu if self.mtu is not None else peer_now["mtu"],
                 "master": self.master if self.master is not None else host_now["master"],
                 "peer_addresses": [i.with_prefixlen for i in self.peer_addresses] if self.peer_addresses is not None
                 else peer_now["addresses"]}
        if not self.peer_same:
            after["peer_lo_up"] = True
        if self.peer_gateway is not None:
            after["peer_gateway"] = str(self.peer_gateway)
        after.update(addrgen.desired(self.ipv6_addrgen))
        keys = ["state", "up", "peer", "peer_up", "peer_netns"] + sorted(addrgen.desired(self.ipv6_addrgen))
        keys += [k for k, v in (("mtu", self.mtu), ("peer_mtu", self.mtu), ("master", self.master),
                                ("peer_addresses", self.peer_addresses), ("peer_gateway", self.peer_gateway)) if v is not None]
        if not self.peer_same:
            keys.append("peer_lo_up")
        return after, keys
