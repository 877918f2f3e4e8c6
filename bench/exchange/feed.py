#!/usr/bin/env python3
"""The reference-data feed benchmark (issue 6): how long a commune takes to catch up N entries
of the hub's units feed (`halong feed pull`: fetch, check the hash, the hub's signature and each
file's SHA-256, apply each entry with `units load` in its own transaction with its position and
audit entry), against in the same run, alternating: curl fetching the very same pages (same
URLs, gzip) and doing nothing with them, and `halong units load` of the same N folders one
after the other into a fresh data directory (the apply's own cost, without fetching or checking
anything; a process each). See bench/exchange/README.md.

The feed: entry 1 is the shipped data/units (1.7 MB); entries 2..N are change sets generated for
the benchmark from the real events.csv, each adding one rename event (no such act exists).

  python3 bench/exchange/feed.py [--halong PATH] [--entries N] [--rounds R]
"""
import argparse
import csv
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
UNITS = os.path.join(ROOT, 'data', 'units')
CODES = ['06652', '06661', '06673', '06676']  # communes of Quảng Ninh renamed in turn


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--halong', default=os.path.join(ROOT, 'build', 'src', 'cli', 'halong'))
    ap.add_argument('--entries', type=int, default=50)
    ap.add_argument('--rounds', type=int, default=3)
    a = ap.parse_args()
    os.environ['HALONG_BIN'] = os.path.abspath(a.halong)
    os.environ['HALONG_SRC'] = ROOT
    sys.path.insert(0, os.path.join(ROOT, 'tests', 'e2e'))
    import hl  # noqa: E402 (after HALONG_BIN is set)
    import hlnodes  # noqa: E402

    out = os.path.join(ROOT, 'bench', 'out')
    os.makedirs(out, exist_ok=True)
    log = open(os.path.join(out, time.strftime('feed-%Y%m%d-%H%M%S.log', time.gmtime())), 'w')

    def say(*x):
        s = ' '.join(str(v) for v in x)
        print(s, flush=True)
        log.write(s + '\n')
        log.flush()

    say(f'halong {a.halong}; load average {os.getloadavg()}; {os.cpu_count()} cores (shared)')
    hub, = hlnodes.network(('22',))
    nodes = [hub]
    tmp = tempfile.mkdtemp(prefix='halong-feed-bench-')
    try:
        t0 = time.time()
        hub.ok('feed', 'publish', 'units', UNITS)
        with open(os.path.join(UNITS, 'events.csv'), newline='', encoding='utf-8') as f:
            rows = list(csv.reader(f))
        names = {c: hub.json('units', 'show', c)['full_name'] for c in CODES}
        extra, dirs = [], [UNITS]
        for i in range(2, a.entries + 1):
            code = CODES[i % len(CODES)]
            new = f'{names[code]} {i}'
            extra.append([f'bench-{i}-rename-{code}', f'{2027 + i // 12:04d}-{i % 12 + 1:02d}-01',
                          'Sinh ra cho benchmark — generated, not a real act', 'renamed', code,
                          f'{names[code]} → {new}'])
            names[code] = new
            d = os.path.join(tmp, f'set-{i}')
            os.makedirs(d)
            hl.write_csv(os.path.join(d, 'events.csv'), rows[0], rows[1:] + extra)
            dirs.append(d)
            hub.ok('feed', 'publish', 'units', d)
        last = hub.json('feed', 'status')['feeds'][0]['seq']
        assert last == a.entries, last
        say(f'hub: {last} entries published in {time.time() - t0:.1f} s')
        urls, after = [], 0
        while after < last:
            urls.append(f'{hub.url}/api/v1/exchange/feed/units?after={after}&limit=20')
            after += 20
        res = {'pull': [], 'curl': [], 'load': []}
        wire = 0
        for r in range(a.rounds):
            order = [('pull', 'curl', 'load'), ('curl', 'load', 'pull'),
                     ('load', 'pull', 'curl')][r % 3]
            for what in order:
                if what == 'pull':
                    c = hlnodes.Node(f'0{7000 + r}')
                    nodes.append(c)
                    hub.ok('node', 'enrol', c.unit, '--url', c.url, '--key', c.key,
                           '--may-send', hlnodes.COMMUNE_SEND, '--may-receive',
                           hlnodes.COMMUNE_RECV)
                    hlnodes.publish(hub, [c])
                    t = time.time()
                    p = c.json('feed', 'pull')
                    dt = time.time() - t
                    assert (p['applied'], p['seq']) == (last, last), p
                    with c.db() as db:
                        n = db.execute("SELECT count(*) FROM audit WHERE action = "
                                       "'feed.apply'").fetchone()[0]
                    assert n == last, n
                elif what == 'curl':
                    t = time.time()
                    wire = 0
                    for u in urls:
                        q = subprocess.run(['curl', '-fsS', '--compressed', '-o', '/dev/null',
                                            '-w', '%{size_download}', u], capture_output=True,
                                           text=True, check=True)
                        wire += int(q.stdout)
                    dt = time.time() - t
                else:
                    h = hl.Home()
                    t = time.time()
                    for d in dirs:
                        r_ = h.run('units', 'load', '--quiet', d)
                        assert r_.rc == 0, r_
                    dt = time.time() - t
                    h.cleanup()
                res[what].append(dt)
                say(f'round {r + 1} {what:5s} {dt:7.3f} s')
        best = {k: min(v) for k, v in res.items()}
        say(f'pages: {len(urls)} ({wire} bytes on the wire, gzip)')
        say(f"best of {a.rounds}: feed pull {best['pull']:.3f} s for {last} entries "
            f"({last / best['pull']:.1f} entries/s); curl of the same pages "
            f"{best['curl']:.3f} s; units load of the same {len(dirs)} folders by hand "
            f"{best['load']:.3f} s")
        say(f"RESULT feed entries={last} pull_s={best['pull']:.3f} curl_s={best['curl']:.3f} "
            f"ratio_vs_curl={best['pull'] / best['curl']:.1f} load_s={best['load']:.3f} "
            f"ratio_vs_load={best['pull'] / best['load']:.2f} load_avg={os.getloadavg()[0]:.2f}")
    finally:
        for n in nodes:
            n.cleanup()
        subprocess.run(['rm', '-rf', tmp])


if __name__ == '__main__':
    main()
