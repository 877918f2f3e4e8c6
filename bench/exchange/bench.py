#!/usr/bin/env python3
"""The exchange benchmark (issue 6): signed, durable messages per second between two real nodes
on 127.0.0.1 (commune 06652 -> hub 22, each its own `halong serve`), the latency from outbox to
applied, and in the same run, alternating, the ceiling: wrk POSTing the same envelope bytes to
nginx answering `return 200` without doing anything. See bench/exchange/README.md.

  python3 bench/exchange/bench.py [--halong PATH] [--messages N] [--latency M] [--rounds R]
                                  [--poll MS] [--duration S]
"""
import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def pct(xs, p):
    xs = sorted(xs)
    if not xs:
        return float('nan')
    k = min(len(xs) - 1, max(0, int(round(p / 100 * len(xs) + 0.5)) - 1))
    return xs[k]


def applied_seq(node, sender):
    """The last sequence of `sender` applied on `node` (exchange_stream, one row): what the
    clock waits on. Cheap, unlike reading every exchange.apply audit entry 50 times a second,
    which made the bench's own polling compete with the two servers for the 2 cores; messages
    are applied in sequence order, and the count, order and exactly-once are checked from the
    audit log at the end."""
    with node.db() as c:
        r = c.execute("SELECT seq FROM exchange_stream WHERE peer = ? AND dir = 'in'",
                      (sender,)).fetchone()
    return r[0] if r else 0


def cpu_s(pid):
    """User + system CPU seconds of a process so far (/proc/PID/stat)."""
    with open(f'/proc/{pid}/stat') as f:
        w = f.read().rsplit(')', 1)[1].split()
    return (int(w[11]) + int(w[12])) / os.sysconf('SC_CLK_TCK')


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--halong', default=os.path.join(ROOT, 'build', 'src', 'cli', 'halong'))
    ap.add_argument('--messages', type=int, default=2000, help='throughput phase, per round')
    ap.add_argument('--latency', type=int, default=300, help='latency phase, per round')
    ap.add_argument('--rounds', type=int, default=3)
    ap.add_argument('--poll', type=int, default=20, help="the sender thread's idle poll (ms)")
    ap.add_argument('--duration', type=int, default=10, help='wrk seconds')
    a = ap.parse_args()
    os.environ['HALONG_BIN'] = os.path.abspath(a.halong)
    os.environ['HALONG_SRC'] = ROOT
    sys.path.insert(0, os.path.join(ROOT, 'tests', 'e2e'))
    import hl  # noqa: E402 (after HALONG_BIN is set)
    import hlnodes  # noqa: E402

    out = os.path.join(ROOT, 'bench', 'out')
    os.makedirs(out, exist_ok=True)
    log = open(os.path.join(out, time.strftime('exchange-%Y%m%d-%H%M%S.log', time.gmtime())),
               'w')

    def say(*x):
        s = ' '.join(str(v) for v in x)
        print(s, flush=True)
        log.write(s + '\n')
        log.flush()

    say(f'== halong exchange benchmark, {time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}')
    with open('/proc/cpuinfo') as f:
        cpu = next((l.split(':', 1)[1].strip() for l in f if l.startswith('model name')), '?')
    with open('/proc/loadavg') as f:
        load = ' '.join(f.read().split()[:3])
    say(f'machine: nproc={os.cpu_count()} cpu="{cpu}" kernel={platform.release()} load: {load}')
    rev = subprocess.run(['git', '-C', ROOT, 'describe', '--always', '--dirty'],
                         capture_output=True, text=True).stdout.strip()
    say(f'halong: {a.halong} (source {rev}); command: bench/exchange/bench.py '
        f'{" ".join(sys.argv[1:])}')
    say(f'sizes: messages={a.messages} latency={a.latency} rounds={a.rounds} poll={a.poll}ms '
        f'wrk={a.duration}s')

    # The payload: a monthly report whose text is a real law article of the corpus (the first
    # one of about 1 KB), the same for every message (labelled: generated from the corpus).
    art = next(x for x in hl.articles() if 900 <= len(x['text'].encode()) <= 1400)
    payload = {'ky_bao_cao': '2025-11', 'don_vi': '06652',
               'noi_dung': art['text'], 'nguon': art['id']}
    pfile = hlnodes.tmpfile(json.dumps(payload, ensure_ascii=False).encode('utf-8'))
    say(f'payload: report of {len(open(pfile, "rb").read())} bytes, text of corpus article '
        f'"{art["id"]}" (generated from the corpus)')

    env = {'HALONG_EXCHANGE_POLL_MS': str(a.poll)}
    hub, com = hlnodes.network(('22', '06652'), env=env)

    # The ceiling: nginx `return 200` (reads and drops the body), wrk POSTing one sealed
    # envelope of the same payload, one connection (as the sender) and 16.
    i = json.loads(com.ok('send', 'report', pfile, '--to', '22', '--json').out)['id']
    envelope = com.ok('send', 'envelope', i).out.strip()
    say(f'envelope: {len(envelope.encode())} bytes sealed')
    work = tempfile.mkdtemp(prefix='hl-xbench-')
    nport = hlnodes.hlserve.free_port()
    with open(os.path.join(work, 'nginx.conf'), 'w') as f:
        f.write(f'''worker_processes {os.cpu_count()};
pid {work}/nginx.pid;
error_log {work}/error.log;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    client_max_body_size 20m;
    client_body_buffer_size 64k;
    keepalive_requests 1000000;
    server {{
        listen 127.0.0.1:{nport};
        location / {{ return 200 'ok'; }}
    }}
}}
''')
    with open(os.path.join(work, 'post.lua'), 'w') as f:
        f.write('wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n'
                f'wrk.body = {json.dumps(envelope)}\n')
    subprocess.run(['/usr/sbin/nginx', '-c', os.path.join(work, 'nginx.conf'), '-p', work, '-e',
                    os.path.join(work, 'error.log')], check=True)
    time.sleep(0.3)

    def wrk(conns):
        p = subprocess.run(['wrk', '-t', '1' if conns == 1 else '2', '-c', str(conns), '-d',
                            f'{a.duration}s', '--latency', '-s', os.path.join(work, 'post.lua'),
                            f'http://127.0.0.1:{nport}/api/v1/exchange/inbox'],
                           capture_output=True, text=True)
        rps = float(re.search(r'Requests/sec:\s+([\d.]+)', p.stdout).group(1))
        m = re.search(r'99%\s+([\d.]+)(us|ms|s)', p.stdout)
        p99 = float(m.group(1)) * {'us': 0.001, 'ms': 1, 's': 1000}[m.group(2)]
        bad = re.search(r'Non-2xx or 3xx responses: (\d+)', p.stdout)
        return rps, p99, int(bad.group(1)) if bad else 0

    # The sender is stopped while the outbox fills, so that the phase times delivery only.
    com.stop()
    results = {'tput': [], 'one': [], 'lat': [], 'w1': [], 'w16': [], 'cpu_one': [],
               'cpu_halong': []}
    try:
        first = True
        for r in range(a.rounds):
            order = ['halong', 'one', 'nginx']
            order = order[r % 3:] + order[:r % 3]
            for side in order:
                if side == 'nginx':
                    for c, k in ((1, 'w1'), (16, 'w16')):
                        rps, p99, bad = wrk(c)
                        results[k].append((rps, p99, bad))
                        say(f'round {r + 1} nginx return 200, wrk -c{c}: {rps:.0f} req/s, '
                            f'p99 {p99:.2f} ms, non-2xx {bad}')
                    continue
                # throughput: N messages waiting, the sender's server started, time to the
                # last one applied on the hub; `one`: one message a POST and a transaction
                # (HALONG_EXCHANGE_BATCH=1), `halong`: the default batches of up to 64
                before = applied_seq(hub, '06652')
                com.ok('send', 'report', pfile, '--to', '22', '--repeat', str(a.messages))
                t0 = time.time()
                h0 = cpu_s(hub.proc.pid)
                com.start(env=dict(env, HALONG_EXCHANGE_BATCH='1' if side == 'one' else '64'))
                target = before + a.messages + (1 if first else 0)  # the envelope above
                first = False
                hlnodes.wait_for(lambda: applied_seq(hub, '06652') >= target, 3600,
                                 'throughput phase', step=0.02)
                dt = time.time() - t0
                n = target - before
                # CPU of both servers per message: less at the mercy of the machine's other
                # load than the wall clock (the sender's server started with the phase)
                cpu_ms = (cpu_s(hub.proc.pid) - h0 + cpu_s(com.proc.pid)) * 1000 / n
                results['cpu_' + side].append(cpu_ms)
                if side == 'one':
                    results['one'].append(n / dt)
                    say(f'round {r + 1} halong one by one: {n} messages in {dt:.2f} s = '
                        f'{n / dt:.0f} msg/s; CPU of both servers {cpu_ms:.2f} ms a message')
                    com.stop()
                    continue
                results['tput'].append(n / dt)
                # latency: messages put one by one (each `halong send` its own process and
                # transaction) while both servers run; outbox created_ms -> inbox applied_ms
                with com.db() as c:
                    last_seq = c.execute("SELECT max(seq) FROM exchange_outbox").fetchone()[0]
                for _ in range(a.latency):
                    com.ok('send', 'report', pfile, '--to', '22')
                hlnodes.wait_for(lambda: com.outbox_waiting() == 0 and applied_seq(
                    hub, '06652') >= target + a.latency, 600, 'latency phase')
                with com.db() as c:
                    created = dict(c.execute('SELECT id, created_ms FROM exchange_outbox '
                                             'WHERE seq > ?', (last_seq,)).fetchall())
                with hub.db() as c:
                    applied = dict(c.execute('SELECT id, applied_ms FROM exchange_inbox WHERE '
                                             'sender = ? AND applied_ms IS NOT NULL',
                                             ('06652',)).fetchall())
                lat = [applied[k] - v for k, v in created.items() if k in applied]
                results['lat'].append(lat)
                say(f'round {r + 1} halong batches: {n} messages in {dt:.2f} s = {n / dt:.0f} msg/s '
                    f'(CPU of both servers {cpu_ms:.2f} ms a message); '
                    f'latency of {len(lat)} messages put one by one: p50 '
                    f'{pct(lat, 50):.0f} ms, p99 {pct(lat, 99):.0f} ms, max {max(lat)} ms')
                com.stop()
        # nothing lost, nothing twice, in order
        got = hub.applied('06652')
        with com.db() as c:
            put = [x[0] for x in c.execute('SELECT id FROM exchange_outbox ORDER BY seq')]
            waiting = com.outbox_waiting()
        lost = len(set(put) - {x[3] for x in got})
        dup = len(got) - len({x[3] for x in got})
        ordered = [x[1] for x in got] == list(range(1, len(got) + 1))
        say(f'check: {len(put)} put, {len(got)} applied, lost {lost}, applied twice {dup}, '
            f'in order {ordered}, waiting {waiting}')
    finally:
        subprocess.run(['/usr/sbin/nginx', '-c', os.path.join(work, 'nginx.conf'), '-p', work,
                        '-s', 'stop'], capture_output=True)
        hub.cleanup()
        com.cleanup()
        shutil.rmtree(work, ignore_errors=True)

    tput = statistics.median(results['tput'])
    one = statistics.median(results['one'])
    lat = [x for r in results['lat'] for x in r]
    w1 = statistics.median(x[0] for x in results['w1'])
    w16 = statistics.median(x[0] for x in results['w16'])
    cpu_one = statistics.median(results['cpu_one'])
    cpu_b = statistics.median(results['cpu_halong'])
    say(f'halong one message a POST: {one:.0f} msg/s (median of {a.rounds}), '
        f'{cpu_one:.2f} CPU ms a message; batches: {cpu_b:.2f} CPU ms a message')
    say(f'halong batches: {tput:.0f} msg/s (median of {a.rounds}), latency p50 {pct(lat, 50):.0f} ms '
        f'p99 {pct(lat, 99):.0f} ms; ceiling (nginx return 200): {w1:.0f} req/s on one '
        f'connection, {w16:.0f} on 16; ratio {tput / w1:.3f} of the one-connection ceiling')
    say(f'RESULT exchange messages={a.messages} halong_msg_s={tput:.0f} one_by_one_msg_s={one:.0f} '
        f'cpu_ms_per_msg={cpu_b:.2f} one_by_one_cpu_ms_per_msg={cpu_one:.2f} '
        f'p50_ms={pct(lat, 50):.0f} p99_ms={pct(lat, 99):.0f} null_c1_rps={w1:.0f} '
        f'null_c16_rps={w16:.0f} ratio_vs_null_c1={tput / w1:.3f} lost={lost} dup={dup}')
    return 0 if lost == 0 and dup == 0 and ordered else 1


if __name__ == '__main__':
    sys.exit(main())
