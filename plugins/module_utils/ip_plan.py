# -*- coding: utf-8 -*-
# Copyright (c) 2026, netfabric.core contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function
__metaclass__ = type

# Pure IP planning logic for netfabric.core (no Ansible imports).
#
# Everything here works on integers and merged intervals: the size of the pool never matters, only the
# number of reserved entries, hosts and addresses actually handed out.
#
# Allocation scheme
# -----------------
# * ``usable`` addresses of a subnet: every address except, for IPv4 prefixes up to /30, the network and
#   broadcast addresses and, for IPv6 prefixes up to /126, the Subnet-Router anycast address (host part
#   all zero, RFC 4291 2.6.1). /31, /32, /127 and /128 use every address (RFC 3021, RFC 6164).
# * ``reserved`` addresses (plus the gateway when it lies in the subnet) are removed from the usable
#   addresses; what remains, in ascending order, is the *free sequence*.
# * ``packed`` layout (default): slot ``k`` gets the free addresses of rank ``k*per_host`` to
#   ``(k+1)*per_host - 1``. The capacity is exactly ``usable - reserved`` addresses, i.e.
#   ``(usable - reserved) // per_host`` hosts.
# * ``aligned`` layout: the subnet is cut into aligned blocks of ``2**ceil(log2(per_host))`` addresses;
#   blocks holding any unusable or reserved address are skipped, slot ``k`` gets the ``k``-th clean block
#   (its first ``per_host`` addresses). Every block is a CIDR; capacity is counted in clean blocks.
# * Hosts: pinned hosts take their slot; the other hosts, in list order, take the lowest slots nobody
#   pinned. So appending hosts never moves earlier hosts, and a pinned block never moves (a pin given as
#   a block fails loudly when that block stops being a block of the plan, e.g. after ``reserved`` grew).

import bisect
import ipaddress

from collections.abc import Mapping

from ansible_collections.netfabric.core.plugins.module_utils.constants import VNI_MAX
from ansible_collections.netfabric.core.plugins.module_utils.errors import PlanError

MAX_VNI = VNI_MAX
LAYOUTS = ('packed', 'aligned')


# ---------------------------------------------------------------------------------------------------
# small parsers
# ---------------------------------------------------------------------------------------------------

def _bits(family):
    return 32 if family == 4 else 128


def _addr_cls(family):
    return ipaddress.IPv4Address if family == 4 else ipaddress.IPv6Address


def fmt(family, value):
    """Integer -> canonical address text."""
    return str(_addr_cls(family)(value))


def parse_subnet(value, who='ip_plan', option='subnet'):
    """Return an ``ipaddress`` network; refuse host bits and garbage with a clear message."""
    if isinstance(value, (ipaddress.IPv4Network, ipaddress.IPv6Network)):
        return value
    if not isinstance(value, str) or not value.strip():
        raise PlanError('%s: %s must be a CIDR string such as 192.0.2.0/24, got %r' % (who, option, value))
    text = value.strip()
    if '/' not in text:
        raise PlanError('%s: %s must be a CIDR with a prefix length, got %r' % (who, option, text))
    try:
        return ipaddress.ip_network(text, strict=True)
    except ValueError as exc:
        try:
            loose = ipaddress.ip_network(text, strict=False)
        except ValueError:
            raise PlanError('%s: %s is not a valid CIDR: %r (%s)' % (who, option, text, exc))
        raise PlanError('%s: %s %s has host bits set (did you mean %s?)' % (who, option, text, loose))


def parse_address(value, who='ip_plan', option='address'):
    """Return an ``ipaddress`` address; ``addr/prefixlen`` (interface notation) is accepted."""
    if isinstance(value, (ipaddress.IPv4Address, ipaddress.IPv6Address)):
        return value
    if not isinstance(value, str) or not value.strip():
        raise PlanError('%s: %s must be an IP address, got %r' % (who, option, value))
    text = value.strip()
    try:
        if '/' in text:
            return ipaddress.ip_interface(text).ip
        return ipaddress.ip_address(text)
    except ValueError:
        raise PlanError('%s: %s is not a valid IP address: %r' % (who, option, text))


def parse_span(value, who='ip_plan', option='reserved'):
    """Parse an address, a CIDR or a range ``first-last`` into ``(family, first_int, last_int, exact)``.

    ``exact`` is False when only a first address was given. ``192.0.2.10/24`` (host bits set, interface
    notation) means the single address 192.0.2.10.
    """
    if isinstance(value, (ipaddress.IPv4Address, ipaddress.IPv6Address)):
        return value.version, int(value), int(value), False
    if isinstance(value, (ipaddress.IPv4Network, ipaddress.IPv6Network)):
        return value.version, int(value.network_address), int(value.broadcast_address), True
    if not isinstance(value, str) or not value.strip():
        raise PlanError('%s: %s entries must be an address, a CIDR or a range first-last, got %r' % (who, option, value))
    text = value.strip()
    try:
        if '-' in text:
            left, right = [part.strip() for part in text.split('-', 1)]
            first, last = ipaddress.ip_address(left), ipaddress.ip_address(right)
            if first.version != last.version:
                raise ValueError('mixed families')
            if int(last) < int(first):
                raise ValueError('last address below first')
            return first.version, int(first), int(last), True
        if '/' in text:
            try:
                net = ipaddress.ip_network(text, strict=True)
                return net.version, int(net.network_address), int(net.broadcast_address), True
            except ValueError:
                iface = ipaddress.ip_interface(text)
                return iface.version, int(iface.ip), int(iface.ip), True
        addr = ipaddress.ip_address(text)
        return addr.version, int(addr), int(addr), False
    except ValueError as exc:
        raise PlanError('%s: %s entry %r is not an address, a CIDR or a range first-last (%s)' % (who, option, text, exc))


def parse_positive_int(value, option, who='ip_plan', minimum=1):
    if isinstance(value, bool):
        raise PlanError('%s: %s must be a positive integer, got %r' % (who, option, value))
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if not isinstance(value, int) or value < minimum:
        raise PlanError('%s: %s must be a %s integer, got %r' % (who, option, 'positive' if minimum >= 1 else 'non-negative', value))
    return value


def parse_fraction(value, option='warn_at', who='ip_plan'):
    if isinstance(value, bool):
        raise PlanError('%s: %s must be a number between 0 and 1, got %r' % (who, option, value))
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise PlanError('%s: %s must be a number between 0 and 1, got %r' % (who, option, value))
    if not 0 < number <= 1:
        raise PlanError('%s: %s must be a number between 0 and 1 (e.g. 0.8), got %r' % (who, option, value))
    return number


def _as_list(value, option, who):
    """None -> [], a single string -> [it], a list/tuple -> list; anything else is refused."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, (list, tuple)):
        return list(value)
    raise PlanError('%s: %s must be a list, got %r' % (who, option, value))


# ---------------------------------------------------------------------------------------------------
# interval arithmetic
# ---------------------------------------------------------------------------------------------------

def merge(intervals):
    """Merge inclusive integer intervals (touching ones too); returns a sorted list."""
    out = []
    for lo, hi in sorted(intervals):
        if out and lo <= out[-1][1] + 1:
            if hi > out[-1][1]:
                out[-1][1] = hi
        else:
            out.append([lo, hi])
    return [tuple(pair) for pair in out]


class FreeSpace(object):
    """Positions ``0 .. size-1`` minus excluded intervals, addressed by rank without enumerating them."""

    def __init__(self, size, excluded):
        self.size = size
        clipped = [(max(lo, 0), min(hi, size - 1)) for lo, hi in excluded if hi >= 0 and lo <= size - 1]
        merged = merge(clipped)
        self.starts = [lo for lo, dummy in merged]
        self.ends = [hi for dummy, hi in merged]
        self.free_before = []    # free positions before interval j
        self.excl_through = []   # excluded positions in intervals 0..j
        total = 0
        for lo, hi in merged:
            self.free_before.append(lo - total)
            total += hi - lo + 1
            self.excl_through.append(total)
        self.excluded = total
        self.capacity = size - total

    def nth(self, rank):
        """Position of the free position with this rank (0-based)."""
        if not 0 <= rank < self.capacity:
            raise IndexError(rank)
        j = bisect.bisect_right(self.free_before, rank) - 1
        return rank if j < 0 else rank + self.excl_through[j]

    def rank(self, pos):
        """Rank of a position, or None when it is excluded or outside."""
        if not 0 <= pos < self.size:
            return None
        j = bisect.bisect_right(self.starts, pos) - 1
        if j < 0:
            return pos
        if pos <= self.ends[j]:
            return None
        return pos - self.excl_through[j]

    def runs(self, rank, count):
        """Contiguous position runs ``[(first, last), ...]`` holding ranks ``rank .. rank+count-1``."""
        pos = self.nth(rank)
        j = bisect.bisect_right(self.starts, pos)
        out = []
        while count > 0:
            stop = self.starts[j] - 1 if j < len(self.starts) else self.size - 1
            take = min(count, stop - pos + 1)
            out.append((pos, pos + take - 1))
            count -= take
            if count:
                pos = self.ends[j] + 1
                j += 1
        return out


# ---------------------------------------------------------------------------------------------------
# address formatting (fast for long runs: the text of a run differs only in its last group)
# ---------------------------------------------------------------------------------------------------

class Formatter(object):
    """Integer -> address text, fast for many nearby addresses.

    Addresses that share all but their last group (IPv4: octet, IPv6: 16-bit group) differ only in the text
    of that group as long as it is not zero, so the text of the other groups is computed once per run
    and cached; zero last groups, and IPv4-mapped IPv6 (dotted) addresses, take the ``ipaddress`` path.
    """

    def __init__(self, family):
        self.cls = _addr_cls(family)
        self.shift, self.hexa = (8, False) if family == 4 else (16, True)
        self.mask = (1 << self.shift) - 1
        self.heads = {}

    def head(self, value):
        """Text before the last group for ``value`` (last group non-zero), or None when not applicable."""
        key = value >> self.shift
        try:
            return self.heads[key]
        except KeyError:
            pass
        text = str(self.cls((key << self.shift) | 1))
        head = None if (self.hexa and '.' in text) or not text.endswith('1') else text[:-1]
        if len(self.heads) > 4096:
            self.heads.clear()
        self.heads[key] = head
        return head

    def __call__(self, value):
        low = value & self.mask
        head = self.head(value) if low else None
        if head is None:
            return str(self.cls(value))
        return head + (format(low, 'x') if self.hexa else str(low))

    def expand(self, runs, suffix=''):
        """The addresses of the integer runs as text, each followed by ``suffix`` (e.g. ``/24``)."""
        out = []
        for first, last in runs:
            cur = first
            while cur <= last:
                end = min(last, cur | self.mask)
                low = cur & self.mask
                head = self.head(cur) if low else None
                if head is None:
                    out.append(str(self.cls(cur)) + suffix)
                    cur += 1
                    continue
                stop = (end & self.mask) + 1
                if self.hexa:
                    out.extend([head + format(g, 'x') + suffix for g in range(low, stop)])
                else:
                    out.extend([head + str(g) + suffix for g in range(low, stop)])
                cur = end + 1
        return out


def expand(family, runs, suffix=''):
    """List the addresses of the integer runs as text (with ``suffix``)."""
    return Formatter(family).expand(runs, suffix)


def _span_text(family, first, last, first_text, last_text):
    """CIDR text when first..last is exactly one aligned CIDR, else ``first-last``."""
    size = last - first + 1
    if size & (size - 1) == 0 and first % size == 0:
        return '%s/%d' % (first_text, _bits(family) - size.bit_length() + 1)
    return '%s-%s' % (first_text, last_text)


def usable_bounds(net):
    """(first usable int, last usable int) of a network (see module docstring)."""
    lo, hi = int(net.network_address), int(net.broadcast_address)
    if net.version == 4 and net.prefixlen <= 30:
        return lo + 1, hi - 1
    if net.version == 6 and net.prefixlen <= 126:
        return lo + 1, hi
    return lo, hi


def usable_count(family, prefixlen):
    size = 1 << (_bits(family) - prefixlen)
    if family == 4 and prefixlen <= 30:
        return size - 2
    if family == 6 and prefixlen <= 126:
        return size - 1
    return size


def smallest_prefix(family, needs, fits=None):
    """Longest prefix length whose pool satisfies ``fits(prefixlen)`` (default: usable >= needs); None if none."""
    if fits is None:
        def fits(prefixlen):
            return usable_count(family, prefixlen) >= needs
    for prefixlen in range(_bits(family), -1, -1):
        if fits(prefixlen):
            return prefixlen
    return None


def _plural(count, word):
    return '%d %s%s' % (count, word, '' if count == 1 else ('es' if word.endswith('s') else 's'))


# ---------------------------------------------------------------------------------------------------
# the planner
# ---------------------------------------------------------------------------------------------------

def plan(subnet, hosts, per_host=1, reserved=None, gateway=None, pinned=None, warn_at=0.8,
         layout='packed', addresses=True, name='underlay', who='ip_plan'):
    """Plan container addresses for ``hosts`` in ``subnet``; see the module docstring for the scheme.

    ``gateway``: None -> first usable address (reserved); False or '' -> no gateway; else an address in the
    subnet (reserved) or, for IPv6, a link-local address (not reserved).
    """
    net = parse_subnet(subnet, who)
    family, bits = net.version, _bits(net.version)
    per_host = parse_positive_int(per_host, 'per_host', who)
    warn_at = parse_fraction(warn_at, 'warn_at', who)
    if layout not in LAYOUTS:
        raise PlanError('%s: layout must be one of %s, got %r' % (who, ', '.join(LAYOUTS), layout))
    if not isinstance(name, str) or not name:
        raise PlanError('%s: name must be a non-empty string, got %r' % (who, name))

    host_list = _as_list(hosts, 'hosts', who)
    seen = set()
    for host in host_list:
        if not isinstance(host, str) or not host:
            raise PlanError('%s: hosts must be a list of inventory host names, got %r in it' % (who, host))
        if host in seen:
            raise PlanError('%s: host %s is listed twice in hosts' % (who, host))
        seen.add(host)

    net_lo, net_hi = int(net.network_address), int(net.broadcast_address)
    lo, hi = usable_bounds(net)
    usable = hi - lo + 1

    # gateway
    gw_text = None
    reserved_spans = []
    if gateway is None or (isinstance(gateway, str) and gateway.strip().lower() == 'auto'):
        gw_int = lo
        gw_text = fmt(family, gw_int)
        reserved_spans.append((gw_int, gw_int))
    elif gateway is False or gateway == '' or (isinstance(gateway, str) and gateway.strip().lower() == 'none'):
        gw_text = None
    else:
        gw = parse_address(gateway, who, 'gateway')
        if gw.version != family:
            raise PlanError('%s: gateway %s is not an IPv%d address like subnet %s' % (who, gw, family, net))
        if gw in net:
            if not lo <= int(gw) <= hi:
                raise PlanError('%s: gateway %s is the network or broadcast address of subnet %s' % (who, gw, net))
            reserved_spans.append((int(gw), int(gw)))
        elif not (family == 6 and gw.is_link_local):
            raise PlanError('%s: gateway %s is not inside subnet %s' % (who, gw, net))
        gw_text = str(gw)

    for entry in _as_list(reserved, 'reserved', who):
        fam, first, last, dummy = parse_span(entry, who, 'reserved')
        if fam != family or last < lo or first > hi:
            continue   # another family or outside the pool: it costs this pool nothing
        reserved_spans.append((max(first, lo), min(last, hi)))
    reserved_merged = merge(reserved_spans)
    reserved_count = sum(b - a + 1 for a, b in reserved_merged)

    # slot space
    if layout == 'packed':
        block = per_host
        space = FreeSpace(usable, [(a - lo, b - lo) for a, b in reserved_merged])
        slots = space.capacity // per_host
    else:
        block = 1 << (per_host - 1).bit_length()
        nblocks = (net_hi - net_lo + 1) // block
        edges = [((a - net_lo) // block, (b - net_lo) // block) for a, b in ((net_lo, lo - 1), (hi + 1, net_hi)) if a <= b]
        space = FreeSpace(nblocks, edges + [((a - net_lo) // block, (b - net_lo) // block) for a, b in reserved_merged])
        slots = space.capacity
        reserved_blocks = space.excluded - FreeSpace(nblocks, edges).excluded

    text = Formatter(family)

    def slot_runs(slot):
        """Address runs (ints) and block text of a slot."""
        if layout == 'packed':
            runs = [(a + lo, b + lo) for a, b in space.runs(slot * per_host, per_host)]
            first, last = runs[0][0], runs[-1][1]
            return runs, _span_text(family, first, last, text(first), text(last))
        start = net_lo + space.nth(slot) * block
        return [(start, start + per_host - 1)], '%s/%d' % (text(start), bits - block.bit_length() + 1)

    # pins
    pins = {}
    if pinned is None:
        pinned = {}
    if not isinstance(pinned, Mapping):
        raise PlanError('%s: pinned must be a mapping host -> slot or block, got %r' % (who, pinned))
    taken = {}
    for host, spec in pinned.items():
        if host not in seen:
            raise PlanError('%s: pinned host %s is not in hosts' % (who, host))
        if isinstance(spec, bool):
            raise PlanError('%s: pinned slot for host %s must be an integer or a block, got %r' % (who, host, spec))
        if isinstance(spec, str) and spec.strip().isdigit():
            spec = int(spec.strip())
        if isinstance(spec, int):
            if not 0 <= spec < slots:
                raise PlanError('%s: host %s is pinned to slot %d outside the pool: %s subnet %s has %s (0..%d)'
                                % (who, host, spec, name, net, _plural(slots, 'slot'), slots - 1))
            slot = spec
        else:
            slot = _resolve_block_pin(spec, host, net, lo, per_host, block, layout, space, slots, slot_runs, who)
        if slot in taken:
            raise PlanError('%s: hosts %s and %s are both pinned to slot %d' % (who, taken[slot], host, slot))
        taken[slot] = host
        pins[host] = slot

    # exhaustion guard (before building anything per host)
    demand_hosts = len(host_list)
    if demand_hosts > slots:
        raise PlanError(exhaustion_message(name, net, demand_hosts, per_host, reserved_count, layout, block,
                                           usable, slots, reserved_blocks if layout == 'aligned' else 0))

    # hand out slots: pins first, then the lowest free slots in host order
    result_hosts = {}
    next_slot = 0
    suffix = '/%d' % net.prefixlen
    for host in host_list:
        if host in pins:
            slot = pins[host]
        else:
            while next_slot in taken:
                next_slot += 1
            slot = next_slot
            next_slot += 1
        runs, block_text = slot_runs(slot)
        ranges = [{'first': text(a), 'last': text(b)} for a, b in runs]
        entry = {
            'slot': slot,
            'block': block_text,
            'first': ranges[0]['first'],
            'last': ranges[-1]['last'],
            'prefixlen': net.prefixlen,
            'gateway': gw_text,
            'ranges': ranges,
            'pinned': host in pins,
        }
        if addresses:
            entry['addresses'] = text.expand(runs, suffix)
        result_hosts[host] = entry

    out = {
        'name': name,
        'subnet': str(net),
        'family': family,
        'prefixlen': net.prefixlen,
        'layout': layout,
        'per_host': per_host,
        'block_size': block,
        'gateway': gw_text,
        'usable': usable,
        'reserved': reserved_count,
        'slots': slots,
        'hosts': result_hosts,
    }
    out.update(utilization(out, warn_at))
    return out


def _resolve_block_pin(spec, host, net, lo, per_host, block, layout, space, slots, slot_runs, who):
    """The slot whose block is ``spec`` (a CIDR, a range or a first address), or a loud error."""
    fam, first, last, exact = parse_span(spec, who, 'pinned')
    if fam != net.version or first < int(net.network_address) or last > int(net.broadcast_address):
        raise PlanError('%s: pinned block %s for host %s is outside subnet %s' % (who, spec, host, net))
    slot = None
    if layout == 'packed':
        rank = space.rank(first - lo)
        if rank is not None and rank % per_host == 0:
            slot = rank // per_host
    else:
        offset = first - int(net.network_address)
        if offset % block == 0:
            slot = space.rank(offset // block)
    if slot is None or slot >= slots:
        where = ('a free address whose rank is a multiple of per_host' if layout == 'packed'
                 else 'a clean aligned /%d block' % (_bits(net.version) - block.bit_length() + 1))
        raise PlanError('%s: pinned block %s for host %s is not a block of this plan: a block must start at %s of subnet %s '
                        '(were reserved addresses changed?)' % (who, spec, host, where, net))
    runs, block_text = slot_runs(slot)
    ends = {runs[-1][1]}
    if layout == 'aligned':
        ends.add(first + block - 1)
    if exact and last not in ends:
        raise PlanError('%s: pinned block %s for host %s does not match slot %d, which is %s (were reserved addresses changed?)'
                        % (who, spec, host, slot, block_text))
    return slot


def exhaustion_message(name, net, hosts, per_host, reserved, layout, block, usable, slots, dirty=0):
    family, bits = net.version, _bits(net.version)
    head = '%s subnet %s cannot hold %s x %s (+ %d reserved)' % (
        name, net, _plural(hosts, 'host'), _plural(per_host, 'address'), reserved)
    if layout == 'packed':
        needs = hosts * per_host + reserved
        prefixlen = smallest_prefix(family, needs)
        body = ': needs %d, has %d usable' % (needs, usable)
    else:
        # a bigger pool loses its edge blocks (network/broadcast) plus, at most, the blocks reserved here
        needs = hosts + dirty
        block_bits = block.bit_length() - 1

        def fits(prefixlen):
            if bits - prefixlen < block_bits:
                return False
            total = 1 << (bits - prefixlen - block_bits)
            if usable_count(family, prefixlen) == 1 << (bits - prefixlen):
                edges = 0
            elif family == 4 and total > 1:
                edges = 2
            else:
                edges = 1
            return total - edges >= needs
        prefixlen = smallest_prefix(family, needs, fits)
        body = ' in aligned /%d blocks: needs %d blocks, has %d usable' % (bits - block_bits, hosts, slots)
    if prefixlen is None:
        tail = '; no IPv%d prefix can hold it' % family
    else:
        tail = '; a /%d would fit' % prefixlen
    return head + body + tail


def utilization(result, warn_at):
    """Usage numbers of a plan: used/free/percent/warn (see the filter docs for the definitions)."""
    hosts = len(result['hosts'])
    usable, reserved, per_host = result['usable'], result['reserved'], result['per_host']
    if result['layout'] == 'packed':
        used = hosts * per_host
        percent = 100.0 * (used + reserved) / usable
    else:
        used = hosts * result['block_size']
        percent = 100.0 * hosts / result['slots'] if result['slots'] else (0.0 if not hosts else 100.0)
    free = usable - reserved - used
    percent = round(percent, 2)
    warn = percent >= warn_at * 100
    more = result['slots'] - hosts
    warning = None
    if warn:
        warning = ('%s subnet %s is %.1f%% used (warn_at %s): %d hosts x %d addresses + %d reserved of %d usable, room for %d more host%s'
                   % (result['name'], result['subnet'], percent, warn_at, hosts, per_host, reserved, usable, more, '' if more == 1 else 's'))
    return {'used': used, 'free': free, 'percent': percent, 'more_hosts': more, 'warn_at': warn_at,
            'warn': warn, 'warning': warning}


# ---------------------------------------------------------------------------------------------------
# several pools: overlay tenants
# ---------------------------------------------------------------------------------------------------

def check_pools(pools, who='tenant_plan'):
    """Refuse overlapping networks; ``pools`` is a list of (label, network)."""
    ordered = sorted(pools, key=lambda item: (item[1].version, int(item[1].network_address), item[1].prefixlen))
    for i, (label_a, net_a) in enumerate(ordered):
        for label_b, net_b in ordered[i + 1:]:
            if net_b.version != net_a.version or int(net_b.network_address) > int(net_a.broadcast_address):
                break
            raise PlanError('%s: %s subnet %s overlaps %s subnet %s' % (who, label_b, net_b, label_a, net_a))


def parse_vni(value, tenant, who='tenant_plan'):
    if isinstance(value, bool):
        value = None
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if not isinstance(value, int) or not 1 <= value <= MAX_VNI:
        raise PlanError('%s: tenant %s needs a vni between 1 and %d, got %r' % (who, tenant, MAX_VNI, value))
    return value


def tenant_plan(tenants, hosts, underlay=None, who='tenant_plan', **defaults):
    """Plan every overlay tenant: ``tenants`` is a list of {name, vni, subnet, [per_host, reserved, gateway,
    pinned, layout, warn_at]} (or a mapping name -> those). Refuses duplicate names, duplicate VNIs and
    subnets overlapping each other or ``underlay`` (a CIDR or an ip_plan result). Returns name -> plan."""
    if isinstance(tenants, Mapping):
        items = []
        for tname, spec in tenants.items():
            if not isinstance(spec, Mapping):
                raise PlanError('%s: tenant %s must be a mapping with vni and subnet, got %r' % (who, tname, spec))
            spec = dict(spec)
            spec.setdefault('name', tname)
            items.append(spec)
    else:
        items = _as_list(tenants, 'tenants', who)
    allowed = ('name', 'vni', 'subnet', 'per_host', 'reserved', 'gateway', 'pinned', 'layout', 'warn_at', 'addresses')
    names, vnis, pools = {}, {}, []
    if underlay is not None:
        under = underlay.get('subnet') if isinstance(underlay, Mapping) else underlay
        pools.append(('underlay', parse_subnet(under, who, 'underlay')))
    for spec in items:
        if not isinstance(spec, Mapping):
            raise PlanError('%s: each tenant must be a mapping with name, vni and subnet, got %r' % (who, spec))
        tname = spec.get('name')
        if not isinstance(tname, str) or not tname:
            raise PlanError('%s: each tenant needs a name, got %r' % (who, spec))
        unknown = sorted(set(spec) - set(allowed))
        if unknown:
            raise PlanError('%s: tenant %s has unknown keys %s (allowed: %s)' % (who, tname, ', '.join(unknown), ', '.join(allowed)))
        if tname in names:
            raise PlanError('%s: tenant %s is listed twice' % (who, tname))
        names[tname] = spec
        vni = parse_vni(spec.get('vni'), tname, who)
        if vni in vnis:
            raise PlanError('%s: tenant %s reuses VNI %d of tenant %s' % (who, tname, vni, vnis[vni]))
        vnis[vni] = tname
        if 'subnet' not in spec:
            raise PlanError('%s: tenant %s needs a subnet' % (who, tname))
        pools.append(('tenant %s' % tname, parse_subnet(spec['subnet'], who, 'subnet of tenant %s' % tname)))
    check_pools(pools, who)
    out = {}
    for spec in items:
        kwargs = dict(defaults)
        kwargs.update((k, v) for k, v in spec.items() if k not in ('name', 'vni', 'subnet'))
        result = plan(spec['subnet'], hosts, name='tenant %s' % spec['name'], who=who, **kwargs)
        result['tenant'] = spec['name']
        result['vni'] = parse_vni(spec['vni'], spec['name'], who)
        out[spec['name']] = result
    return out


# ---------------------------------------------------------------------------------------------------
# companions
# ---------------------------------------------------------------------------------------------------

def _is_plan(value):
    return isinstance(value, Mapping) and 'subnet' in value and isinstance(value.get('hosts'), Mapping) and 'usable' in value


def collect_plans(value, who='ip_plan_report'):
    """A plan, a list of plans, or a mapping name -> plan (tenant_plan output) -> list of plans."""
    if _is_plan(value):
        return [value]
    if isinstance(value, Mapping):
        items = list(value.values())
    elif isinstance(value, (list, tuple)):
        items = list(value)
    else:
        raise PlanError('%s: input must be an ip_plan result, a list of them or a tenant_plan result, got %r' % (who, value))
    out = []
    for item in items:
        if not _is_plan(item) and not isinstance(item, (Mapping, list, tuple)):
            raise PlanError('%s: input must be an ip_plan result, a list of them or a tenant_plan result, got %r in it' % (who, item))
        out.extend(collect_plans(item, who))
    return out


def report(plans, warn_at=None, who='ip_plan_report'):
    """One row per pool: pool, subnet, vni, layout, hosts, per_host, usable, reserved, used, free, percent, more_hosts, warn."""
    if warn_at is not None:
        warn_at = parse_fraction(warn_at, 'warn_at', who)
    rows = []
    for item in collect_plans(plans, who):
        usage = utilization(item, warn_at if warn_at is not None else item.get('warn_at', 0.8))
        rows.append({
            'pool': item['name'],
            'subnet': item['subnet'],
            'vni': item.get('vni'),
            'layout': item['layout'],
            'hosts': len(item['hosts']),
            'per_host': item['per_host'],
            'usable': item['usable'],
            'reserved': item['reserved'],
            'used': usage['used'],
            'free': usage['free'],
            'percent': usage['percent'],
            'more_hosts': usage['more_hosts'],
            'warn': usage['warn'],
        })
    return rows


def peers(data, me, key=None, hosts=None, who='vtep_peers'):
    """Other hosts' VTEP addresses for host ``me``, sorted by address (IPv4 before IPv6).

    ``data``: mapping host -> address; or host -> dict (hostvars) with ``key``; or an ip_plan result
    (each host's first address). ``hosts`` limits the hosts considered (e.g. groups['fabric']).
    """
    if _is_plan(data):
        mapping = dict((h, e['first']) for h, e in data['hosts'].items())
    elif isinstance(data, Mapping):
        mapping = {}
        for host, value in data.items():
            if isinstance(value, Mapping):
                field = key or 'address'
                if field not in value:
                    if hosts is not None and host not in hosts:
                        continue
                    raise PlanError('%s: host %s has no %s' % (who, host, field))
                value = value[field]
            mapping[host] = value
    else:
        raise PlanError('%s: input must be a mapping host -> VTEP address (or hostvars with key=), got %r' % (who, data))
    if hosts is not None:
        wanted = _as_list(hosts, 'hosts', who)
        missing = [h for h in wanted if h not in mapping]
        if missing:
            raise PlanError('%s: no VTEP address for host %s' % (who, ', '.join(str(h) for h in missing)))
        mapping = dict((h, mapping[h]) for h in wanted)
    if not isinstance(me, str) or me not in mapping:
        raise PlanError('%s: host %r is not among the hosts with a VTEP address' % (who, me))
    owners = {}
    parsed = {}
    for host, value in mapping.items():
        addr = parse_address(value, who, 'VTEP address of %s' % host)
        if addr in owners:
            raise PlanError('%s: hosts %s and %s share VTEP address %s' % (who, owners[addr], host, addr))
        owners[addr] = host
        parsed[host] = addr
    return [str(a) for a in sorted((a for h, a in parsed.items() if h != me), key=lambda a: (a.version, int(a)))]
