"""Hostile input against a real `halong serve`, each refused cleanly while a normal client keeps
being served in parallel: malformed JSON, invalid UTF-8, a 1 GB body, `../` in paths, SQL and HTML
in query strings, oversized headers, thousands of idle connections, too many connections from one
address, slowloris; then what the access log must never hold, and a graceful SIGTERM during
requests in flight."""
import errno
import hashlib
import os
import re
import select
import socket
import threading
import time
import unittest
import urllib.parse

import hlserve
from hlserve import PASSWORD, Server, ServerCase, request


def raw(port, data, source=None, timeout=30, read=True):
    """Sends bytes on a fresh connection; returns (status or None, whole answer bytes)."""
    s = socket.socket()
    s.settimeout(timeout)
    if source:
        s.bind((source, 0))
    s.connect(('127.0.0.1', port))
    try:
        s.sendall(data)
        if not read:
            return None, b''
        out = b''
        while True:
            try:
                chunk = s.recv(65536)
            except (ConnectionResetError, socket.timeout):
                break
            if not chunk:
                break
            out += chunk
            m = re.match(rb'HTTP/1\.[01] (\d{3})', out)
            hdr_end = out.find(b'\r\n\r\n')
            if m and hdr_end >= 0:
                cl = re.search(rb'(?i)\r\ncontent-length:\s*(\d+)', out[:hdr_end])
                if cl and len(out) >= hdr_end + 4 + int(cl.group(1)):
                    break
        m = re.match(rb'HTTP/1\.[01] (\d{3})', out)
        return (int(m.group(1)) if m else None), out
    finally:
        s.close()


class Background:
    """A normal client asking, over and over, for the health and a public document."""

    def __init__(self, port, doc_id):
        self.port, self.doc_id = port, doc_id
        self.ok = 0
        self.bad = []
        self.stop = threading.Event()
        self.t = threading.Thread(target=self.loop, daemon=True)

    def loop(self):
        paths = ['/api/v1/health', f'/api/v1/documents/{self.doc_id}']
        i = 0
        while not self.stop.is_set():
            p = paths[i % 2]
            i += 1
            try:
                r = request(self.port, 'GET', p, timeout=60, source='127.0.9.9')
                if r.status == 200:
                    self.ok += 1
                else:
                    self.bad.append(f'{p}: {r.status}')
            except OSError as e:
                self.bad.append(f'{p}: {e!r}')
            time.sleep(0.05)

    def __enter__(self):
        self.t.start()
        return self

    def __exit__(self, *a):
        self.stop.set()
        self.t.join(120)


class Hostile(ServerCase):

    @classmethod
    def setUpClass(cls):
        cls.nofile = hlserve.raise_nofile(30000)  # the server inherits it
        super().setUpClass()

    def setUp(self):
        self.pub = next(d for d in self.w.docs if d['level'] == 'public')
        self.bg = Background(self.port, self.pub['id']).__enter__()

    def tearDown(self):
        self.bg.__exit__()
        self.assertTrue(self.srv.alive(), f'the server died: {self.srv.log()[-3000:]}')
        self.assertEqual(self.bg.bad, [], 'the normal client was not served')
        self.assertGreater(self.bg.ok, 0, 'the normal client got no answer at all')

    def test_malformed_json(self):
        c = self.srv.client(source='127.0.8.1')
        for body in (b'{', b'{"username": "viewer", "password": }', b'\xff\xfe{}', b'[]',
                     b'"x"', b'{"username": 1, "password": 2}', b'[' * 4000 + b']' * 4000):
            r = c.post('/api/v1/login', body, headers={'Content-Type': 'application/json'})
            self.assertError(r, 400, 'bad_request')
        r = self.as_('archivist22').call('POST', '/api/v1/custody/assign', b'{"fonds": ',
                                         headers={'Content-Type': 'application/json'})
        self.assertError(r, 400, 'bad_request')
        r = self.as_('archivist22').call('PUT', '/api/v1/fonds/HAPHONG', b'<fonds/>',
                                         headers={'Content-Type': 'application/xml'})
        self.assertError(r, 415, 'unsupported_media_type')

    def test_invalid_utf8_in_query(self):
        r = self.as_('anonymous').get('/api/v1/search?q=%ff%fe%c3')
        self.assertError(r, 400, 'bad_request')
        r = self.as_('anonymous').get('/api/v1/units?q=%c3%28')
        self.assertError(r, 400, 'bad_request')
        st, out = raw(self.port, b'GET /api/v1/search?q=\xff\xfe HTTP/1.1\r\nHost: x\r\n'
                      b'Connection: close\r\n\r\n')
        self.assertEqual(st, 400, out[:500])

    def test_gigabyte_body_refused_before_reading(self):
        for path, tok in (('/api/v1/login', None),
                          ('/api/v1/ingest', self.w.tokens['archivist22'])):
            s = socket.socket()
            s.settimeout(30)
            s.connect(('127.0.0.1', self.port))
            head = (f'POST {path} HTTP/1.1\r\nHost: x\r\nContent-Length: 1073741824\r\n'
                    f'Content-Type: {"text/csv" if tok else "application/json"}\r\n'
                    + (f'Authorization: Bearer {tok}\r\n' if tok else '') + '\r\n')
            s.sendall(head.encode())
            sent = 0
            try:
                for _ in range(16):
                    s.sendall(b'x' * 4096)
                    sent += 4096
            except OSError:
                pass
            out = b''
            try:
                while b'\r\n\r\n' not in out:
                    chunk = s.recv(65536)
                    if not chunk:
                        break
                    out += chunk
            except OSError as e:
                self.fail(f'{path}: no answer to a 1 GB body, {e!r} after {sent} bytes')
            finally:
                s.close()
            self.assertTrue(out.startswith(b'HTTP/1.1 413'), f'{path}: {out[:400]!r}')
        # 1 MiB + 1 byte: refused too (the server may stop reading, so the send may break)
        s = socket.socket()
        s.settimeout(30)
        s.connect(('127.0.0.1', self.port))
        try:
            s.sendall(b'POST /api/v1/login HTTP/1.1\r\nHost: x\r\nContent-Type: '
                      b'application/json\r\nContent-Length: %d\r\n\r\n' % ((1 << 20) + 1))
            try:
                s.sendall(b'{' + b' ' * (1 << 20))
            except OSError:
                pass
            out = s.recv(4096)
        finally:
            s.close()
        self.assertTrue(out.startswith(b'HTTP/1.1 413'), out[:300])

    def test_json_body_limit_is_1_mib(self):
        # docs/api.md: 'Request body at most 1 MiB': a 64 KiB JSON body is read and judged on
        # what it says (a password that long is refused as a bad password or a bad request),
        # not refused for its size
        body = {'username': 'viewer', 'password': 'x' * (64 * 1024)}
        r = self.srv.client(source='127.0.8.2').post('/api/v1/login', body)
        self.assertIn(r.status, (400, 401), f'a 64 KiB JSON body: {r!r}')
        r = self.as_('archivist22').put('/api/v1/fonds/HAPHONG',
                                         {'creator': '06652', 'name': 'x' * (64 * 1024)})
        self.assertIn(r.status, (200, 400), f'a 64 KiB JSON body: {r!r}')
        if r.status == 200:  # put the name back
            self.as_('archivist22').put('/api/v1/fonds/HAPHONG',
                                        {'creator': '06652', 'name': 'UBND phường Hà Phong'})

    def test_exchange_inbox_without_an_identity(self):
        # a node that never ran `halong node init` answers the inbox 503 no-identity, once and
        # plainly, for one envelope and for a batch alike
        c = self.srv.client(source='127.0.8.3')
        for path, ctype in (('/api/v1/exchange/inbox', 'application/json'),
                            ('/api/v1/exchange/inbox/batch', 'application/x-ndjson')):
            r = c.post(path, '{"v":1}\n', headers={'Content-Type': ctype})
            self.assertEqual(r.status, 503, r)
            self.assertEqual(r.json()['error']['reason'], 'no-identity', r)

    def test_dot_dot_in_paths(self):
        secret_marks = (b'root:x:0:0', b'project(', b'hl_store', b'"password_hash"')
        for path in ('/../../../../etc/passwd', '/%2e%2e/%2e%2e/%2e%2e/etc/passwd',
                     '/web/../../meson.build', '/..%2f..%2f..%2fetc%2fpasswd',
                     '/%2e%2e%2f%2e%2e%2fmeson.build', '/api/v1/../../meson.build',
                     '/api/v1/documents/..%2f..%2fhome', '/.%2e/.%2e/.%2e/etc/passwd',
                     '/%252e%252e/%252e%252e/etc/passwd', '/js/..%5c..%5cmeson.build',
                     '/\\..\\..\\meson.build'):
            st, out = raw(self.port, f'GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close'
                          f'\r\n\r\n'.encode())
            self.assertIn(st, (400, 404), f'{path}: {out[:300]!r}')
            for m in secret_marks:
                self.assertNotIn(m, out, path)

    def test_sql_and_html_in_query_strings(self):
        n_public = len(self.w.visible_docs('anonymous'))
        for qs in ("q=' OR 1=1 --", "q=\" OR \"\"=\"", "q=x'); DROP TABLE documents; --",
                   'q=<script>alert(1)</script>', 'q=<img src=x onerror=alert(1)>',
                   "fonds=' OR '1'='1", "year=2019 OR 1=1", "unit=06652' --",
                   'type=<b>x</b>'):
            url = '/api/v1/search?' + urllib.parse.quote(qs, safe='=')
            r = self.as_('anonymous').get(url)
            self.assertIn(r.status, (200, 400), f'{qs}: {r!r}')
            self.assertTrue(r.header('Content-Type', '').startswith('application/json'), r)
            self.assertEqual(r.header('X-Content-Type-Options'), 'nosniff', r)
            if r.status == 200:
                j = r.json()
                self.assertLessEqual(j['total'], n_public, qs)
                for h in j['items']:
                    self.assertNotRegex(h['snippet'], r'<(?!/?mark>)', h)
            else:
                self.assertError(r, 400, 'bad_request')
        # the store is whole after all that
        self.assertEqual(self.as_('admin').get('/api/v1/stats').json()['documents'],
                         len(self.w.visible_docs('admin')))
        r = self.as_('anonymous').get('/api/v1/units?q=' + urllib.parse.quote("' OR '1'='1"))
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()['items'], [])
        # a path segment holding HTML comes back, if at all, escaped
        for path in ('/api/v1/documents/%3Cscript%3Ealert(1)%3C%2Fscript%3E',
                     '/%3Cscript%3Ealert(1)%3C%2Fscript%3E'):
            r = self.as_('anonymous').get(path)
            self.assertEqual(r.status, 404, r)
            if 'html' in r.header('Content-Type', ''):
                self.assertNotIn(b'<script>alert(1)', r.body)

    def test_oversized_headers(self):
        big = 'a' * (20 * 1024)
        st, out = raw(self.port, f'GET /api/v1/health HTTP/1.1\r\nHost: x\r\nX-Big: {big}\r\n'
                      f'Connection: close\r\n\r\n'.encode())
        self.assertEqual(st, 431, out[:300])  # docs/api.md: headers at most 16 KiB (431)
        self.assertIn(b'"payload_too_large"', out)

    def open_idle(self, n, sources):
        """n sockets connected and left idle, spread over the source addresses."""
        socks = []
        for i in range(n):
            s = socket.socket()
            s.setblocking(False)
            s.bind((sources[i % len(sources)], 0))
            try:
                s.connect(('127.0.0.1', self.port))
            except BlockingIOError:
                pass
            socks.append(s)
        time.sleep(2)
        return socks

    def test_many_idle_connections(self):
        n = 10000 if self.nofile >= 10000 + 500 else 2000
        # 40 connections from each of n/40 addresses: under the per-address limit of 256
        sources = [f'127.1.{i // 200}.{i % 200 + 1}' for i in range(n // 40)]
        socks = self.open_idle(n, sources)
        try:
            r = request(self.port, 'GET', f'/api/v1/documents/{self.pub["id"]}', timeout=60,
                        source='127.0.7.7')
            self.assertEqual(r.status, 200, f'with {n} idle connections open: {r!r}')
            self.assertTrue(self.srv.alive())
        finally:
            for s in socks:
                s.close()
        r = request(self.port, 'GET', '/api/v1/health', source='127.0.7.7')
        self.assertEqual(r.status, 200, r)

    def test_per_address_limit(self):
        # 2,000 idle connections from one address: at most 256 are kept, the address is cut off,
        # everyone else is served
        socks = self.open_idle(2000, ['127.0.6.6'])
        try:
            r = request(self.port, 'GET', '/api/v1/health', source='127.0.7.8', timeout=60)
            self.assertEqual(r.status, 200, r)
            # most of the 2,000 were refused: closed by the server (readable with EOF/RST)
            closed = 0
            r_, _, _ = select.select(socks[:1000], [], [], 5)
            for s in r_:
                try:
                    if s.recv(1) == b'':
                        closed += 1
                except OSError:
                    closed += 1
            self.assertGreater(closed, 500, 'connections beyond 256 from one address kept open')
        finally:
            for s in socks:
                s.close()

    def test_slowloris_closed(self):
        s = socket.socket()
        s.settimeout(5)
        s.connect(('127.0.0.1', self.port))
        req = b'GET /api/v1/health HTTP/1.1\r\nHost: x\r\n' + b'X-Slow: ' + b'a' * 200
        t0 = time.time()
        closed_after = None
        for i in range(len(req)):
            try:
                s.sendall(req[i:i + 1])
                rd, _, _ = select.select([s], [], [], 1.0)
                if rd:
                    data = s.recv(4096)
                    if not data or data.startswith(b'HTTP/1.1 408') or data.startswith(
                            b'HTTP/1.1 400'):
                        closed_after = time.time() - t0
                        break
            except OSError:
                closed_after = time.time() - t0
                break
            if time.time() - t0 > 75:
                break
        s.close()
        self.assertIsNotNone(closed_after, 'a request trickling in for 75 s was never closed '
                             '(docs/api.md: a request must complete in 30 s)')


class AccessLog(unittest.TestCase):
    """What the server writes to stderr: one line a request, never a secret."""

    def test_no_secrets_in_the_log(self):
        w = hlserve.world()
        srv = Server(w.h.home).start()
        try:
            secret_pw = 'Pw-That-Must-Not-Show-4711'
            w.add_user('logcheck', 'viewer', '06652', secret_pw)
            c = srv.client(source='127.0.5.5')
            r = c.login('logcheck', secret_pw)
            self.assertEqual(r.status, 200, r)
            rid_login = r.header('X-Request-Id')
            r2 = c.login('logcheck', 'Wrong-Password-Also-Secret-99')
            self.assertEqual(r2.status, 401)
            tok = w.tokens['inspector']
            r3 = srv.client(token=tok).get('/api/v1/search?q=Nguyen+Van+Secretname&fonds=HATU')
            self.assertEqual(r3.status, 200, r3)
            r4 = c.get('/api/v1/units?q=Ha+Phong+Privatequery')
            self.assertEqual(r4.status, 200, r4)
        finally:
            rc = srv.stop()
        log = srv.log()
        self.assertEqual(rc, 0, log[-2000:])
        for secret in (secret_pw, 'Wrong-Password-Also-Secret-99', tok, c.cookie, c.csrf,
                       'Secretname', 'Privatequery', 'fonds=HATU'):
            self.assertNotIn(secret, log, f'{secret!r} is in the access log')
        lines = log.splitlines()
        for rid, path in ((rid_login, '/api/v1/login'), (r3.header('X-Request-Id'),
                                                         '/api/v1/search')):
            mine = [l for l in lines if rid and rid in l]
            self.assertEqual(len(mine), 1, f'request {rid}: {mine}')
            self.assertIn(path, mine[0])
        line = [l for l in lines if r3.header('X-Request-Id') in l][0]
        self.assertIn('inspector', line)
        self.assertIn(' 200', line.replace('"status":', ' ').replace('status=', ' '))


class GracefulShutdown(unittest.TestCase):

    def test_sigterm_lets_requests_in_flight_finish(self):
        w = hlserve.world()
        srv = Server(w.h.home).start()
        doc = next(d for d in w.docs if d['file'] == 'twocol.png' and d['level'] == 'public')
        with open(w.h.path('files', doc['file']), 'rb') as f:
            want = hashlib.sha256(f.read()).hexdigest()
        # a download read slowly through a small window stays in flight
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.settimeout(30)
        s.connect(('127.0.0.1', srv.port))
        s.sendall(f'GET /api/v1/documents/{doc["id"]}/files/1 HTTP/1.1\r\nHost: x\r\n'
                  f'Connection: close\r\n\r\n'.encode())
        first = s.recv(2048)
        self.assertTrue(first.startswith(b'HTTP/1.1 200'), first[:200])
        # and a PDF export asked at the same moment
        pdf = {}
        t = threading.Thread(target=lambda: pdf.setdefault('r', request(
            srv.port, 'GET', f'/api/v1/documents/{doc["id"]}/pdf', timeout=60)))
        t.start()
        time.sleep(0.05)
        srv.proc.send_signal(__import__('signal').SIGTERM)
        time.sleep(0.5)
        # no new connection is taken any more
        try:
            r = request(srv.port, 'GET', '/api/v1/health', timeout=5)
            refused = r.status != 200
        except OSError:
            refused = True
        data = first
        while True:
            time.sleep(0.01)
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
        s.close()
        t.join(60)
        body = data.split(b'\r\n\r\n', 1)[1]
        self.assertEqual(hashlib.sha256(body).hexdigest(), want, 'the download was cut short')
        self.assertIn('r', pdf, 'the PDF export got no answer')
        self.assertEqual(pdf['r'].status, 200, pdf['r'])
        self.assertTrue(pdf['r'].body.startswith(b'%PDF-'))
        rc = srv.stop()
        self.assertEqual(rc, 0, srv.log()[-3000:])
        self.assertTrue(refused, 'a new request was served after SIGTERM')


if __name__ == '__main__':
    unittest.main()
