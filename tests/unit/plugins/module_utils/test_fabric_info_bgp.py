# -*- coding: utf-8 -*-
# Copyright (c) 2026, netfabric.core contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""fabric_info's BGP view: what vtysh answers (FRR's summary JSON, or its words when it cannot) as data.
The real FRR is judged in tests/netlink/test_evpn.py (fabric_info against vtysh's own JSON)."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json

from ansible_collections.netfabric.core.plugins.module_utils.fabric_info import bgp_view

# The shape of FRR 8's `show bgp l2vpn evpn summary json` on a reflector (trimmed).
SUMMARY = {"routerId": "192.0.2.11", "as": 65000, "vrfName": "default", "peers": {
    "192.0.2.13": {"remoteAs": 65000, "peerUptime": "00:01:10", "peerUptimeMsec": 70000, "pfxRcd": 4,
                   "state": "Established", "dynamicPeer": True},
    "192.0.2.12": {"remoteAs": 65000, "peerUptime": "never", "peerUptimeMsec": 0, "state": "Active"},
}}


def test_sessions_sorted_by_address_with_state_uptime_and_prefixes():
    view = bgp_view(0, json.dumps(SUMMARY), "")
    assert view["state"] == "running" and view["router_id"] == "192.0.2.11" and view["as"] == 65000
    assert view["sessions"] == [
        {"peer": "192.0.2.12", "state": "Active", "uptime": "never", "uptime_msec": 0, "prefixes_received": None,
         "remote_as": 65000, "dynamic": False},
        {"peer": "192.0.2.13", "state": "Established", "uptime": "00:01:10", "uptime_msec": 70000,
         "prefixes_received": 4, "remote_as": 65000, "dynamic": True}]


def test_no_daemon_is_reported_in_vtyshs_words():
    view = bgp_view(1, "", "% Can't open configuration file /etc/frr/x/vtysh.conf\nExiting: failed to connect to any daemons.\n")
    assert view == {"state": "not_running", "reason": "% Can't open configuration file /etc/frr/x/vtysh.conf "
                                                      "Exiting: failed to connect to any daemons."}


def test_text_that_is_not_json_is_not_running():
    assert bgp_view(0, "% Unknown command: show bgp l2vpn evpn summary json\n", "") == {
        "state": "not_running", "reason": "% Unknown command: show bgp l2vpn evpn summary json"}
    assert bgp_view(0, "", "")["reason"] == "vtysh exited with 0"


def test_bgpd_without_an_evpn_session_is_running_with_none():
    assert bgp_view(0, "{}", "")["sessions"] == []
