"""GET /metrics on a real `halong serve` (docs/api.md, "Metrics"): who may read it (a loopback
client, or the operator's token from HALONG_METRICS_TOKEN_FILE; a proxied or non-loopback
request without it is refused), counters that move with real traffic (searches, an ingest),
`promtool check metrics` on the output, a real Prometheus server (Debian's prometheus package)
scraping the node and answering queries about it, and GET /api/v1/ops for admins."""
import fcntl
import http.client
import json
import os
import re
import secrets
import shutil
import socket
import struct
import subprocess
import tempfile
import time
import unittest
import urllib.parse
import urllib.request

import hl
import hlserve

ONE_DOC = ['fonds_code', 'dossier_code', 'doc_ordinal', 'subject', 'issued_date', 'text']
PROMTOOL = shutil.which('promtool') or '/usr/bin/promtool'
PROMETHEUS = shutil.which('prometheus') or '/usr/bin/prometheus'
SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def parse(text):
    """{(name, frozenset of (label, value)): float} of every sample; HELP/TYPE by family."""
    out, types = {}, {}
    for line in text.splitlines():
        if line.startswith('# TYPE '):
            _, _, name, typ = line.split(' ', 3)
            types[name] = typ
            continue
        if not line or line.startswith('#'):
            continue
        m = SAMPLE.match(line)
        if not m:
            raise AssertionError(f'not a sample line: {line!r}')
        labels = frozenset(LABEL.findall(m.group(3) or ''))
        out[(m.group(1), labels)] = float(m.group(4))
    return out, types


def value(samples, name, **labels):
    return samples.get((name, frozenset(labels.items())))


def other_address():
    """An IPv4 address of this machine that is not a loopback one, or None."""
    for _, ifname in socket.if_nameindex():
        if ifname == 'lo':
            continue
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            raw = fcntl.ioctl(s.fileno(), 0x8915,  # SIOCGIFADDR
                              struct.pack('256s', ifname.encode()[:15]))
            addr = socket.inet_ntoa(raw[20:24])
            if not addr.startswith('127.'):
                return addr
        except OSError:
            pass
        finally:
            s.close()
    return None


class WideServer(hlserve.Server):
    """`halong serve --listen 0.0.0.0:PORT`: reached on 127.0.0.1 and on the machine's other
    addresses, so that a request can come from a non-loopback address."""

    def start(self, wait=60.0):
        port = hlserve.free_port()
        self.args = list(self.args) + ['--listen', f'0.0.0.0:{port}']  # the last one wins
        orig = hlserve.free_port
        hlserve.free_port = lambda: port
        try:
            return super().start(wait)
        finally:
            hlserve.free_port = orig


class MetricsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.h = hl.Home()
        cls.ok('units', 'load', '--quiet')
        cls.ingest(1)
        cls.tokens = {}
        for name, role in (('admin', 'admin'), ('viewer', 'viewer')):
            cls.ok('user', 'add', name, '--role', role, '--unit', hlserve.PROVINCE,
                   input=(hlserve.PASSWORD + '\n').encode())
            r = cls.ok('user', 'token', name)
            cls.tokens[name] = r.out.strip().splitlines()[-1].strip()
        # the operator's token, in a file only its owner reads
        cls.token = secrets.token_urlsafe(32)
        cls.token_file = cls.h.path('metrics.token')
        with open(os.open(cls.token_file, os.O_WRONLY | os.O_CREAT, 0o600), 'w') as f:
            f.write(cls.token + '\n')
        # two targets: one with a backup, one that does not exist (an unmounted disk)
        cls.t1, cls.t2 = cls.h.path('bk1'), cls.h.path('bk2')
        cls.first_backup = json.loads(cls.ok('backup', '--to', cls.t1, '--json').out)['backup']
        cls.srv = WideServer(cls.h.home, env={
            'HALONG_METRICS_TOKEN_FILE': cls.token_file,
            'HALONG_BACKUP_TARGETS': f'{cls.t1}:{cls.t2}'}).start()

    @classmethod
    def tearDownClass(cls):
        rc = cls.srv.stop()
        cls.h.cleanup()
        if rc != 0:
            raise AssertionError(f'halong serve exited {rc}: {cls.srv.log()[-3000:]}')

    @classmethod
    def ok(cls, *args, **kw):
        r = cls.h.run(*args, **kw)
        if r.rc != 0:
            raise AssertionError(f'{args} failed: {r!r}')
        return r

    @classmethod
    def ingest(cls, n):
        m = hl.write_csv(cls.h.path(f'doc{n}.csv'), ONE_DOC, [
            ['UBND-HL', 'HS-01', str(n), f'Quyết định số {n} về chuyển đổi số',
             '05/09/2025', f'Văn bản thứ {n} của phường Hà Tu về chuyển đổi số.']])
        cls.ok('ingest', m)

    def scrape(self, **headers):
        r = hlserve.request(self.srv.port, 'GET', '/metrics', headers=headers)
        self.assertEqual(r.status, 200, r)
        self.assertTrue(r.header('Content-Type').startswith('text/plain; version=0.0.4'), r)
        return r.text()

    def assertForbidden(self, r):
        self.assertEqual(r.status, 403, r)
        self.assertEqual(r.json()['error']['code'], 'forbidden', r)
        self.assertNotIn(b'halong_', r.body)

    # ---- who may read it ----

    def test_loopback_reads_without_token(self):
        text = self.scrape()
        self.assertIn('halong_build_info{version="', text)

    def test_proxied_request_needs_the_token(self):
        # a reverse proxy on the node connects from 127.0.0.1: its headers take the trust away
        for h in ({'X-Forwarded-For': '127.0.0.1'}, {'Forwarded': 'for=127.0.0.1'},
                  {'X-Real-IP': '127.0.0.1'}):
            self.assertForbidden(hlserve.request(self.srv.port, 'GET', '/metrics', headers=h))
        # never granted by them, but the token still works through a proxy
        self.scrape(**{'X-Forwarded-For': '203.0.113.9',
                       'Authorization': f'Bearer {self.token}'})

    def test_wrong_tokens_are_refused_even_from_loopback(self):
        for auth in (f'Bearer {self.token}x', f'Bearer {self.token[:-1]}', 'Bearer ',
                     f'Basic {self.token}', f'Bearer {self.tokens["admin"]}'):
            self.assertForbidden(hlserve.request(self.srv.port, 'GET', '/metrics',
                                                 headers={'Authorization': auth}))
        self.scrape(Authorization=f'Bearer {self.token}')
        # the token is never written to the log
        self.assertNotIn(self.token, self.srv.log())

    def test_non_loopback_client(self):
        addr = other_address()
        if addr is None:
            self.skipTest('this machine has no non-loopback IPv4 address to connect from')
        c = hlserve.Client(self.srv.port, source=addr)
        # connected to 127.0.0.1 from addr: the server sees addr, not a loopback address
        self.assertForbidden(c.get('/metrics'))
        # a user's API token (even an admin's) is not the operator's
        self.assertForbidden(c.get('/metrics',
                                   headers={'Authorization': f'Bearer {self.tokens["admin"]}'}))
        r = c.get('/metrics', headers={'Authorization': f'Bearer {self.token}'})
        self.assertEqual(r.status, 200, r)
        self.assertIn('halong_documents ', r.text())
        # and the same to the machine's own address, without a source given
        hc = http.client.HTTPConnection(addr, self.srv.port, timeout=30)
        try:
            hc.request('GET', '/metrics')
            self.assertEqual(hc.getresponse().status, 403)
        finally:
            hc.close()

    # ---- what it says ----

    def test_counters_move_with_traffic(self):
        before, types = parse(self.scrape())
        route = dict(route='/api/v1/search', method='GET', status_class='2xx')
        n0 = value(before, 'halong_http_requests_total', **route) or 0
        s0 = value(before, 'halong_search_duration_seconds_count') or 0
        c0 = value(before, 'halong_search_cached_total') or 0
        docs0 = value(before, 'halong_documents')
        q0 = value(before, 'halong_index_queue_seq')
        c = self.srv.client()
        # three different searches (each a miss of the server's cache), one of them twice
        for q in ('chuyển đổi số', 'quyết định', 'phường hà tu', 'quyết định'):
            r = c.get('/api/v1/search?q=' + urllib.parse.quote(q))
            self.assertEqual(r.status, 200, r)
        secret_id = 'KHONG-CO-' + secrets.token_hex(6)
        self.assertEqual(c.get(f'/api/v1/documents/{secret_id}').status, 404)
        self.assertEqual(c.get('/api/v1/no-such-endpoint').status, 404)
        self.ingest(2)
        time.sleep(5.5)  # the store's figures are read at most every 5 s
        text = self.scrape()
        after, types = parse(text)
        self.assertEqual(value(after, 'halong_http_requests_total', **route), n0 + 4, text)
        # each worker thread keeps its own answers: the repeated search is either a miss of
        # another worker or a hit; every search is one or the other
        searched = value(after, 'halong_search_duration_seconds_count') - s0
        cached = value(after, 'halong_search_cached_total') - c0
        self.assertIn(searched, (3, 4), text)
        self.assertEqual(searched + cached, 4, text)
        self.assertGreater(value(after, 'halong_search_duration_seconds_sum'), 0)
        # the route's pattern, never the path asked
        self.assertEqual(value(after, 'halong_http_requests_total',
                               route='/api/v1/documents/{id}', method='GET',
                               status_class='4xx'), 1, text)
        self.assertNotIn(secret_id, text)
        self.assertGreaterEqual(value(after, 'halong_http_requests_total', route='(unmatched)',
                                      method='GET', status_class='4xx'), 1, text)
        # the histogram of the same requests: buckets cumulative, +Inf == count
        dur = dict(route, le='+Inf')
        self.assertEqual(value(after, 'halong_http_request_duration_seconds_bucket', **dur),
                         value(after, 'halong_http_request_duration_seconds_count', **route))
        # the ingest: one more record, one more change queued, and the index caught up
        self.assertEqual(value(after, 'halong_documents'), docs0 + 1, text)
        self.assertGreater(value(after, 'halong_index_queue_seq'), q0)
        self.assertEqual(value(after, 'halong_index_lag_changes'), 0, text)
        self.assertEqual(value(after, 'halong_index_up'), 1)
        # no user name, no token
        for name in ('admin', 'viewer', self.token, self.tokens['admin']):
            self.assertNotRegex(text, r'="[^"]*' + re.escape(name), name)
        # the conventions: counters end in _total, every family typed
        for name, typ in types.items():
            self.assertTrue(name.startswith('halong_'), name)
            if typ == 'counter':
                self.assertTrue(name.endswith('_total'), name)
        self.assertEqual(types['halong_http_request_duration_seconds'], 'histogram')
        info = [(dict(k[1]), v) for k, v in after.items() if k[0] == 'halong_build_info']
        self.assertEqual(len(info), 1, info)
        self.assertEqual(info[0][1], 1)
        self.assertRegex(info[0][0]['version'], r'^\d+\.\d+\.\d+')
        self.assertGreaterEqual(int(info[0][0]['schema']), 16, info)
        self.assertGreater(value(after, 'halong_process_start_time_seconds'), 1.7e9)
        self.assertGreater(value(after, 'halong_store_size_bytes'), 0)

    def test_queues_and_backups(self):
        s, _ = parse(self.scrape())
        self.assertEqual(value(s, 'halong_store_figures_up'), 1)
        for st in ('pending', 'done', 'failed'):
            self.assertIsNotNone(value(s, 'halong_ocr_pages', state=st), st)
        self.assertEqual(value(s, 'halong_ocr_queue_pages'),
                         value(s, 'halong_ocr_pages', state='pending'))
        self.assertEqual(value(s, 'halong_jobs_running', kind='ingest'), 0)
        # backups: the first target holds one, the second cannot be listed
        self.assertEqual(value(s, 'halong_backup_targets'), 2)
        self.assertEqual(value(s, 'halong_backup_target_up', target=self.t1), 1)
        self.assertEqual(value(s, 'halong_backup_target_up', target=self.t2), 0)
        self.assertEqual(value(s, 'halong_backups', target=self.t1), 1)
        made = value(s, 'halong_backup_newest_timestamp_seconds', target=self.t1)
        self.assertLessEqual(abs(made - time.time()), 600, made)
        age = value(s, 'halong_backup_age_seconds')
        self.assertGreaterEqual(age, 0)
        self.assertLess(age, 600)

    def test_backup_age_absent_when_not_configured(self):
        srv = hlserve.Server(self.h.home).start()
        try:
            text = hlserve.request(srv.port, 'GET', '/metrics').text()
        finally:
            self.assertEqual(srv.stop(), 0, srv.log()[-3000:])
        self.assertIn('halong_documents ', text)
        self.assertNotIn('halong_backup', text)

    def test_promtool_check_metrics(self):
        c = self.srv.client()
        c.get('/api/v1/search?q=abc')
        c.get('/')  # a file of the web interface
        c.call('DELETE', '/healthz')  # a 405
        text = self.scrape()
        p = subprocess.run([PROMTOOL, 'check', 'metrics'], input=text.encode(),
                           capture_output=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stdout.decode() + p.stderr.decode())
        # promtool says nothing about well-formed metrics that follow the conventions
        self.assertEqual((p.stdout + p.stderr).decode().strip(), '', text[:3000])
        s, _ = parse(text)
        self.assertGreaterEqual(value(s, 'halong_http_requests_total', route='(static)',
                                      method='GET', status_class='2xx'), 1, text)
        # a 405 matched no route: counted under its method, not under a pattern
        self.assertGreaterEqual(value(s, 'halong_http_requests_total', route='(unmatched)',
                                      method='DELETE', status_class='4xx'), 1, text)

    # ---- a real Prometheus ----

    def test_prometheus_scrapes_the_node(self):
        d = tempfile.mkdtemp(prefix='halong-prom-')
        self.addCleanup(shutil.rmtree, d, True)
        bad = os.path.join(d, 'wrong.token')
        with open(bad, 'w') as f:
            f.write('not-the-token\n')
        port = hlserve.free_port()
        target = f'127.0.0.1:{self.srv.port}'
        cfg = os.path.join(d, 'prometheus.yml')
        with open(cfg, 'w') as f:
            f.write(f"""global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: halong
    metrics_path: /metrics
    authorization:
      type: Bearer
      credentials_file: {self.token_file}
    static_configs:
      - targets: ['{target}']
  - job_name: halong_wrong_token
    metrics_path: /metrics
    authorization:
      type: Bearer
      credentials_file: {bad}
    static_configs:
      - targets: ['{target}']
""")
        log = open(os.path.join(d, 'prometheus.log'), 'wb')
        proc = subprocess.Popen([PROMETHEUS, f'--config.file={cfg}',
                                 f'--storage.tsdb.path={os.path.join(d, "data")}',
                                 f'--web.listen-address=127.0.0.1:{port}'],
                                stdout=log, stderr=log)

        def stop():
            if proc.poll() is None:
                proc.terminate()  # by its PID
                try:
                    proc.wait(30)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
            log.close()
        self.addCleanup(stop)

        def query(q):
            url = f'http://127.0.0.1:{port}/api/v1/query?' + urllib.parse.urlencode({'query': q})
            with urllib.request.urlopen(url, timeout=10) as r:
                j = json.loads(r.read())
            self.assertEqual(j['status'], 'success', j)
            return j['data']['result']

        def up():
            return {x['metric']['job']: x['value'][1] for x in query('up')}

        seen, t0 = None, time.time()
        while time.time() - t0 < 90:
            if proc.poll() is not None:
                with open(os.path.join(d, 'prometheus.log'), 'rb') as f:
                    raise AssertionError('prometheus exited: ' + f.read().decode()[-3000:])
            try:
                seen = up()
                if seen.get('halong') == '1' and 'halong_wrong_token' in seen and \
                        query('halong_build_info'):
                    break
            except OSError as e:
                seen = e
            time.sleep(0.5)
        self.assertEqual(seen.get('halong') if isinstance(seen, dict) else seen, '1',
                         f'the halong target is not up: {seen!r}')
        # the wrong token is refused although Prometheus connects from 127.0.0.1
        self.assertEqual(seen['halong_wrong_token'], '0', seen)
        info = query('halong_build_info')
        self.assertEqual(len(info), 1, info)
        self.assertEqual(info[0]['metric']['job'], 'halong')
        self.assertEqual(info[0]['value'][1], '1')
        self.assertRegex(info[0]['metric']['version'], r'^\d+\.\d+')
        docs = query('halong_documents{job="halong"}')
        self.assertGreaterEqual(float(docs[0]['value'][1]), 1, docs)
        reqs = query('sum(halong_http_requests_total{route="/metrics",job="halong"})')
        self.assertGreaterEqual(float(reqs[0]['value'][1]), 1, reqs)

    # ---- GET /api/v1/ops (the operations page) ----

    def test_ops_json_for_admins_only(self):
        self.assertEqual(self.srv.client().get('/api/v1/ops').status, 401)
        r = self.srv.client(self.tokens['viewer']).get('/api/v1/ops')
        self.assertEqual(r.status, 403, r)
        r = self.srv.client(self.tokens['admin']).get('/api/v1/ops')
        self.assertEqual(r.status, 200, r)
        j = r.json()
        self.assertGreaterEqual(j['store']['documents'], 1)
        self.assertGreater(j['store']['store_bytes'], 0)
        self.assertIs(j['index']['open'], True)
        self.assertIs(j['backups']['configured'], True)
        t = {x['path']: x for x in j['backups']['targets']}
        self.assertEqual(t[self.t1]['backups'], 1)
        self.assertEqual(t[self.t1]['newest_name'], self.first_backup)
        self.assertIs(t[self.t2]['readable'], False)
        self.assertEqual(j['backups']['max_age_hours'], 26)
        self.assertLess(j['backups']['age_seconds'], 600)


if __name__ == '__main__':
    unittest.main()
