# -*- coding: utf-8 -*-
# Copyright (c) 2026, netfabric.core contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark the IP planner (plugins/module_utils/ip_plan.py): seconds per plan, median of several runs.

    python bench/bench_ip_plan.py [--repeat N] [--markdown] [--quick]

Rows cover 10,000 and 100,000 hosts in IPv4 and IPv6 pools, the 100,000 x 64 IPv6 /64 case with and
without the per-host address lists, and refusals that must be proved by arithmetic (an IPv4 /8 that
cannot hold the demand). ``main(argv)`` returns the rows so ``make bench`` can call it.
"""
from __future__ import absolute_import, division, print_function

import argparse
import gc
import importlib.util
import ipaddress
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
MODULE = os.path.join(HERE, os.pardir, 'plugins', 'module_utils', 'ip_plan.py')


def _load():
    """Load the planner straight from the checkout (it has no Ansible imports)."""
    spec = importlib.util.spec_from_file_location('netfabric_ip_plan_bench', MODULE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _nic_addresses(prefix, count):
    """``count`` host NIC addresses at the start of ``prefix`` (the hosts' own underlay addresses)."""
    base = int(ipaddress.ip_network(prefix).network_address)
    cls = ipaddress.IPv4Address if ':' not in prefix else ipaddress.IPv6Address
    return [str(cls(base + 1 + i)) for i in range(count)]


def cases(quick=False):
    """(hosts, per_host, pool, options, label) rows."""
    rows = [
        (10000, 8, '10.0.0.0/8', {'reserved': 'nics'}, 'packed'),
        (10000, 8, '10.0.0.0/8', {'reserved': 'nics', 'layout': 'aligned'}, 'aligned'),
        (10000, 64, '2001:db8::/64', {}, 'packed'),
        (100000, 8, '10.0.0.0/8', {'reserved': 'nics'}, 'packed'),
        (100000, 8, '10.0.0.0/8', {'reserved': 'nics', 'addresses': False}, 'packed'),
        (100000, 64, '2001:db8::/64', {'addresses': False}, 'packed'),
        (100000, 64, '2001:db8::/64', {'addresses': False, 'layout': 'aligned'}, 'aligned'),
        (100000, 64, 'fd00::/64', {'addresses': False, 'reserved': ['fd00::/112']}, 'packed'),
        (100000, 256, '10.0.0.0/8', {'reserved': 'nics'}, 'packed'),             # 25.6M > 16.7M: refused
        (1000000, 32, '10.0.0.0/8', {'addresses': False}, 'packed'),             # refused by arithmetic
    ]
    if not quick:
        rows.insert(6, (100000, 64, '2001:db8::/64', {}, 'packed'))              # the default: 6.4M strings
    return rows


def run_case(planner, hosts, per_host, pool, options, repeat):
    names = ['node%06d' % i for i in range(hosts)]
    opts = dict(options)
    if opts.get('reserved') == 'nics':
        opts['reserved'] = _nic_addresses(pool, hosts)
    times, outcome = [], ''
    for dummy in range(repeat):
        gc.collect()
        start = time.perf_counter()
        try:
            result = planner.plan(pool, names, per_host=per_host, **opts)
            outcome = 'ok, %s%% used' % result['percent']
        except planner.PlanError as exc:
            outcome = 'refused: ' + str(exc).split(': ', 1)[-1].split(';')[-1].strip()
        times.append(time.perf_counter() - start)
        result = None
    return statistics.median(times), outcome


def render(rows, markdown=False):
    head = ('hosts', 'per_host', 'pool', 'layout', 'addresses', 'seconds', 'outcome')
    table = [head] + [(format(r['hosts'], ','), str(r['per_host']), r['pool'], r['layout'], r['addresses'],
                       '%.3f' % r['seconds'], r['outcome']) for r in rows]
    if markdown:
        align = ['---:' if h in ('hosts', 'per_host', 'seconds') else '---' for h in head]
        lines = ['| ' + ' | '.join(head) + ' |', '|' + '|'.join(align) + '|']
        lines += ['| ' + ' | '.join(row) + ' |' for row in table[1:]]
        return '\n'.join(lines)
    widths = [max(len(row[i]) for row in table) for i in range(len(head))]
    out = []
    for n, row in enumerate(table):
        out.append('  '.join(cell.rjust(w) if i in (0, 1, 5) else cell.ljust(w) for i, (cell, w) in enumerate(zip(row, widths))).rstrip())
        if n == 0:
            out.append('  '.join('-' * w for w in widths))
    return '\n'.join(out)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n', maxsplit=1)[0])
    parser.add_argument('--repeat', type=int, default=3, help='runs per row; the median is printed (default 3)')
    parser.add_argument('--markdown', action='store_true', help='print a Markdown table')
    parser.add_argument('--quick', action='store_true', help='skip the 6.4M-address default-mode row')
    args = parser.parse_args(argv)
    planner = _load()
    rows = []
    for hosts, per_host, pool, options, layout in cases(args.quick):
        seconds, outcome = run_case(planner, hosts, per_host, pool, options, max(1, args.repeat))
        row = {'hosts': hosts, 'per_host': per_host, 'pool': pool, 'layout': layout,
               'addresses': 'no' if options.get('addresses') is False else 'yes',
               'seconds': seconds, 'outcome': outcome}
        rows.append(row)
    print(render(rows, args.markdown))
    sys.stdout.flush()
    return rows


if __name__ == '__main__':
    main()
