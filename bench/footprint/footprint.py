#!/usr/bin/env python3
"""The footprint of `halong serve` (issue 5): time from exec to the first 200 on /api/v1/health and
the idle resident memory, N times, on an empty data directory and on the benchmark's document set;
nginx serving a static file, started and measured the same way in the same run, alternating, as a
reference point (BENCHMARKS.md lists no baseline for this one). See bench/footprint/README.md.

Usage: footprint.py --halong BIN --home DIR [--home DIR ...] [--runs N] [--idle S]
"""
import argparse
import http.client
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time


def free_port():
    s = socket.socket()
    s.bind(('127.0.0.1', 0))
    p = s.getsockname()[1]
    s.close()
    return p


def first_200(port, path, proc, limit=30.0):
    """Polls (every 0.5 ms) until GET path answers 200; returns the time it did."""
    t_end = time.monotonic() + limit
    while time.monotonic() < t_end:
        if proc.poll() is not None:
            raise RuntimeError(f'exited {proc.returncode} before answering')
        try:
            c = http.client.HTTPConnection('127.0.0.1', port, timeout=2)
            c.request('GET', path)
            r = c.getresponse()
            r.read()
            c.close()
            if r.status == 200:
                return time.monotonic()
        except OSError:
            pass
        time.sleep(0.0005)
    raise RuntimeError('no 200 in time')


def rss_kb(pids):
    """VmRSS and VmHWM summed over the processes (nginx: master and workers)."""
    rss = hwm = 0
    for pid in pids:
        with open(f'/proc/{pid}/status') as f:
            for line in f:
                if line.startswith('VmRSS:'):
                    rss += int(line.split()[1])
                elif line.startswith('VmHWM:'):
                    hwm += int(line.split()[1])
    return rss, hwm


def children(pid):
    try:
        with open(f'/proc/{pid}/task/{pid}/children') as f:
            return [int(x) for x in f.read().split()]
    except OSError:
        return []


def run_halong(binary, home, idle):
    port = free_port()
    t0 = time.monotonic()
    p = subprocess.Popen([binary, '--home', home, 'serve', '--listen', f'127.0.0.1:{port}'],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        t1 = first_200(port, '/api/v1/health', p)
        time.sleep(idle)
        rss, hwm = rss_kb([p.pid])
    finally:
        p.send_signal(signal.SIGTERM)
        rc = p.wait(30)
    return (t1 - t0) * 1000, rss / 1024, hwm / 1024, rc


def run_nginx(work, idle):
    port = free_port()
    www = os.path.join(work, 'www')
    os.makedirs(www, exist_ok=True)
    with open(os.path.join(www, 'health'), 'w') as f:
        f.write('{"status":"ok"}')
    conf = os.path.join(work, 'nginx.conf')
    with open(conf, 'w') as f:
        f.write(f'worker_processes {os.cpu_count()};\ndaemon off;\npid {work}/nginx.pid;\n'
                f'error_log {work}/error.log;\nevents {{ worker_connections 1024; }}\n'
                f'http {{ access_log off; server {{ listen 127.0.0.1:{port}; root {www}; '
                f'default_type application/json; }} }}\n')
    t0 = time.monotonic()
    p = subprocess.Popen(['/usr/sbin/nginx', '-c', conf, '-p', work, '-e', f'{work}/error.log'],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        t1 = first_200(port, '/health', p)
        time.sleep(idle)
        rss, hwm = rss_kb([p.pid] + children(p.pid))
    finally:
        p.send_signal(signal.SIGQUIT)
        rc = p.wait(30)
    return (t1 - t0) * 1000, rss / 1024, hwm / 1024, rc


def pct(xs, q):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(q * (len(xs) - 1))))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--halong', required=True)
    ap.add_argument('--home', action='append', required=True, help='label=DIR')
    ap.add_argument('--runs', type=int, default=10)
    ap.add_argument('--idle', type=float, default=1.0, help='seconds idle before reading RSS')
    a = ap.parse_args()
    work = tempfile.mkdtemp(prefix='footprint-nginx-')
    os.chmod(work, 0o755)  # nginx's workers run as www-data
    res = {}
    for i in range(a.runs):
        for spec in a.home:
            label, home = spec.split('=', 1)
            ms, rss, hwm, rc = run_halong(a.halong, home, a.idle)
            print(f'run {i + 1} halong[{label}]: first 200 after {ms:.1f} ms, idle RSS '
                  f'{rss:.1f} MB (peak {hwm:.1f} MB), exit {rc}', flush=True)
            res.setdefault(f'halong_{label}', []).append((ms, rss, rc))
        ms, rss, hwm, rc = run_nginx(work, a.idle)
        print(f'run {i + 1} nginx: first 200 after {ms:.1f} ms, idle RSS {rss:.1f} MB '
              f'(master + workers), exit {rc}', flush=True)
        res.setdefault('nginx', []).append((ms, rss, rc))
    out = [f'runs={a.runs}']
    for k, v in res.items():
        start = [x[0] for x in v]
        rss = [x[1] for x in v]
        bad = sum(1 for x in v if x[2] != 0)
        print(f'{k}: start median {statistics.median(start):.1f} ms (max {max(start):.1f}), '
              f'idle RSS median {statistics.median(rss):.1f} MB (max {max(rss):.1f}), '
              f'{bad} non-zero exits')
        out += [f'{k}_start_ms={statistics.median(start):.1f}',
                f'{k}_start_max_ms={max(start):.1f}',
                f'{k}_rss_mb={statistics.median(rss):.1f}', f'{k}_rss_max_mb={max(rss):.1f}']
    size = os.path.getsize(a.halong)
    out.append(f'binary_mb={size / 1048576:.1f}')
    print(f'binary: {a.halong} {size / 1048576:.1f} MB')
    print('target: idle RSS < 30 MB, start < 100 ms')
    print('RESULT footprint ' + ' '.join(out))


if __name__ == '__main__':
    sys.exit(main())
