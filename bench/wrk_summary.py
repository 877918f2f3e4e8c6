#!/usr/bin/env python3
"""One wrk --latency output as one line: requests/s, p50 ms, p99 ms, errors (socket errors and
non-2xx/3xx answers). Usage: python3 bench/wrk_summary.py WRK_OUTPUT_FILE (bench/plans and
bench/catalog read it)."""
import re
import sys

t = open(sys.argv[1]).read()
rps = float(re.search(r'Requests/sec:\s*([\d.]+)', t).group(1))


def pct(p):
    m = re.search(r'^\s*%s%%\s+([\d.]+)(us|ms|s)\b' % p, t, re.M)
    return float(m.group(1)) * {'us': 0.001, 'ms': 1, 's': 1000}[m.group(2)] if m else float('nan')


errs = 0
m = re.search(r'Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)', t)
if m:
    errs += sum(int(x) for x in m.groups())
m = re.search(r'Non-2xx or 3xx responses: (\d+)', t)
if m:
    errs += int(m.group(1))
print(f'{rps:.1f} {pct(50):.2f} {pct(99):.2f} {errs}')
