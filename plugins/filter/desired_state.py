# -*- coding: utf-8 -*-
# Copyright (c) 2026, netfabric.core contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function
__metaclass__ = type

# Thin Ansible wrapper around plugins/module_utils/desired_state.py (the roles' desired state, computed in
# Python); documentation in the .yml file of each filter's name.

from ansible.errors import AnsibleFilterError
from ansible_collections.netfabric.core.plugins.module_utils import desired_state
from ansible_collections.netfabric.core.plugins.module_utils.errors import PlanError


def overlay_desired_tenants_filter(tenants, bridge_prefix, vtep_prefix, local, dev, dstport, learning, peers,
                                   control_plane='static'):
    return desired_state.overlay_tenants(tenants, bridge_prefix, vtep_prefix, local, dev, dstport, learning, peers,
                                         control_plane)


def overlay_with_vtep_mtus_filter(tenants, mtus, independent):
    return desired_state.with_vtep_mtus(tenants, mtus, independent)


def overlay_networkd_files_filter(desired, template_dir, vtep_network=''):
    return desired_state.overlay_networkd_files(desired, template_dir, vtep_network or '')


def routed_networkd_files_filter(context, template_dir, vtep_network=''):
    return desired_state.routed_networkd_files(context, template_dir, vtep_network or '')


def overlay_endpoints_filter(containers, plan, tenants, host, netns_prefix=''):
    return desired_state.overlay_endpoints(containers, plan, tenants, host, netns_prefix)


def docker_networks_by_owner_filter(networks, tenant_names):
    return desired_state.docker_networks_by_owner(networks, list(tenant_names))


def link_names_filter(fixed, containers, variable, ifname_prefix):
    return desired_state.link_names(fixed, containers, variable, ifname_prefix)


def overlay_link_names_filter(tenants, containers, bridge_prefix, vtep_prefix, container_ifname):
    return desired_state.overlay_link_names(tenants, containers, bridge_prefix, vtep_prefix, container_ifname)


def overlay_input_errors_filter(tenants, containers, dstport):
    return desired_state.overlay_input_errors(tenants, containers, dstport)


def overlay_crowded_filter(tenants, containers, plan, host):
    return desired_state.overlay_crowded(tenants, containers, plan, host)


def routed_input_errors_filter(dstport, vni, protocol, vtep, bridge):
    return desired_state.routed_input_errors(dstport, vni, protocol, vtep, bridge)


def address_clashes_filter(hostvars, hosts, key='netfabric_underlay_address'):
    return desired_state.address_clashes(hostvars, hosts, key)


def existing_netns_paths_filter(containers, create_default, netns_prefix=''):
    return desired_state.existing_netns_paths(containers, create_default, netns_prefix)


def underlay_host_errors_filter(probe, uplink, address, wanted_netns, host):
    return desired_state.underlay_host_errors(probe, uplink, address, wanted_netns or [], host)


def overlay_evpn_errors_filter(reflectors, hostvars, asn, pathspace, ranges, filter_sources):
    return desired_state.evpn_errors(reflectors, hostvars, asn, pathspace, ranges, filter_sources)


def underlay_resources_filter(containers, addresses, bridge, uplink, migrate, gateway, netns_prefix, create_netns):
    return desired_state.underlay_resources(containers, addresses, bridge, uplink, migrate, gateway, netns_prefix or '',
                                            create_netns)


def overlay_link_resources_filter(tenants):
    return desired_state.overlay_link_resources(tenants)


def overlay_flood_resources_filter(tenants, clear=False):
    return desired_state.overlay_flood_resources(tenants, clear)


def overlay_container_resources_filter(endpoints, tenants, containers, create_netns, container_ifname):
    return desired_state.overlay_container_resources(endpoints, tenants, containers, create_netns, container_ifname)


def overlay_state_mtus_filter(results, tenants):
    return desired_state.state_vtep_mtus(results, tenants)


def routed_link_resources_filter(own, peers, links, protocol, vtep_filter):
    return desired_state.routed_link_resources(own, peers, links, protocol, vtep_filter)


def routed_container_resources_filter(endpoints, containers, create_netns, container_ifname, bridge, mtu=None):
    return desired_state.routed_container_resources(endpoints, containers, create_netns, container_ifname, bridge, mtu)


def state_vtep_mtu_filter(results, vtep):
    return desired_state.vtep_mtu(results, vtep)


def vtep_peer_lists_filter(hostvars, hosts, key='netfabric_underlay_address'):
    try:
        return desired_state.vtep_peer_lists(hostvars, list(hosts), key)
    except PlanError as exc:
        raise AnsibleFilterError(str(exc))


class FilterModule(object):
    """netfabric.core desired-state filters (the roles' steps, computed in Python)."""

    def filters(self):
        return {
            'overlay_desired_tenants': overlay_desired_tenants_filter,
            'overlay_with_vtep_mtus': overlay_with_vtep_mtus_filter,
            'overlay_networkd_files': overlay_networkd_files_filter,
            'routed_networkd_files': routed_networkd_files_filter,
            'overlay_endpoints': overlay_endpoints_filter,
            'docker_networks_by_owner': docker_networks_by_owner_filter,
            'link_names': link_names_filter,
            'overlay_link_names': overlay_link_names_filter,
            'overlay_input_errors': overlay_input_errors_filter,
            'overlay_crowded': overlay_crowded_filter,
            'routed_input_errors': routed_input_errors_filter,
            'address_clashes': address_clashes_filter,
            'existing_netns_paths': existing_netns_paths_filter,
            'underlay_host_errors': underlay_host_errors_filter,
            'overlay_evpn_errors': overlay_evpn_errors_filter,
            'underlay_resources': underlay_resources_filter,
            'overlay_link_resources': overlay_link_resources_filter,
            'overlay_flood_resources': overlay_flood_resources_filter,
            'overlay_container_resources': overlay_container_resources_filter,
            'overlay_state_mtus': overlay_state_mtus_filter,
            'routed_link_resources': routed_link_resources_filter,
            'routed_container_resources': routed_container_resources_filter,
            'state_vtep_mtu': state_vtep_mtu_filter,
            'vtep_peer_lists': vtep_peer_lists_filter,
        }
