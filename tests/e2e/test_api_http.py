"""HTTP behaviour of `halong serve` (docs/api.md, Conventions and Limits): ETag and If-None-Match,
byte ranges and a bad range, gzip of a large JSON answer, X-Request-Id everywhere, the error shape
of an unknown path and a wrong method, pagination, and the document's JSON; the access log's lines
under concurrent requests (gathered per worker thread, written whole); a full batch of events
answered at once."""
import gzip
import hashlib
import json
import os
import re
import threading
import time
import unittest

import hl
import hlserve
from hlserve import Server, ServerCase


class HttpBehaviour(ServerCase):

    def setUp(self):
        self.doc = next(d for d in self.w.docs if d['level'] == 'public' and
                        d['file'] == 'clean.png')
        with open(self.w.h.path('files', self.doc['file']), 'rb') as f:
            self.bytes = f.read()
        self.url = f'/api/v1/documents/{self.doc["id"]}/files/1'
        self.c = self.as_('anonymous')

    def test_file_etag_and_if_none_match(self):
        r = self.c.get(self.url)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.body, self.bytes)
        etag = r.header('ETag')
        self.assertIsNotNone(etag, r)
        self.assertIn(self.doc['sha256'], etag)
        self.assertTrue(r.header('Content-Disposition', '').startswith('attachment'), r)
        self.assertEqual(r.header('Accept-Ranges'), 'bytes', r)
        r = self.c.get(self.url, headers={'If-None-Match': etag})
        self.assertEqual(r.status, 304, r)
        self.assertEqual(r.body, b'')
        self.assertEqual(r.header('ETag'), etag)
        r = self.c.get(self.url, headers={'If-None-Match': '"' + '0' * 64 + '"'})
        self.assertEqual(r.status, 200, r)

    def test_ranges(self):
        n = len(self.bytes)
        for spec, lo, hi in (('bytes=10-99', 10, 99), ('bytes=-100', n - 100, n - 1),
                             (f'bytes={n - 5}-', n - 5, n - 1), (f'bytes=0-{n + 1000}', 0, n - 1)):
            r = self.c.get(self.url, headers={'Range': spec})
            self.assertEqual(r.status, 206, f'{spec}: {r!r}')
            self.assertEqual(r.body, self.bytes[lo:hi + 1], spec)
            self.assertEqual(r.header('Content-Range'), f'bytes {lo}-{hi}/{n}', spec)
            self.assertEqual(int(r.header('Content-Length')), hi - lo + 1, spec)
        for spec in (f'bytes={n}-', f'bytes={n + 10}-{n + 20}'):
            r = self.c.get(self.url, headers={'Range': spec})
            self.assertEqual(r.status, 416, f'{spec}: {r!r}')
            self.assertEqual(r.header('Content-Range'), f'bytes */{n}', spec)
            self.assertEqual(r.json()['error']['code'], 'range_not_satisfiable')
        # a header that is no byte range at all is ignored (RFC 9110): the whole file
        r = self.c.get(self.url, headers={'Range': 'pages=1-2'})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.body, self.bytes)

    def test_gzip_of_a_large_json(self):
        path = '/api/v1/tree'
        plain = self.c.get(path)
        self.assertEqual(plain.status, 200, plain)
        self.assertGreater(len(plain.body), 1024)
        self.assertIsNone(plain.header('Content-Encoding'))
        z = self.c.get(path, headers={'Accept-Encoding': 'gzip, deflate'})
        self.assertEqual(z.status, 200, z)
        self.assertEqual(z.header('Content-Encoding'), 'gzip', z.headers)
        self.assertIn('accept-encoding', (z.header('Vary') or '').lower())
        self.assertLess(len(z.body), len(plain.body))
        self.assertEqual(json.loads(gzip.decompress(z.body)), plain.json())
        # a file download is not re-compressed (Range offsets stay true)
        r = self.c.get(self.url, headers={'Accept-Encoding': 'gzip', 'Range': 'bytes=0-9'})
        self.assertEqual(r.status, 206, r)
        self.assertEqual(r.body, self.bytes[:10])

    def test_request_id_on_every_response(self):
        seen = set()
        for method, path, h in (('GET', '/api/v1/health', {}), ('GET', '/api/v1/nope', {}),
                                ('DELETE', '/api/v1/health', {}), ('GET', self.url, {}),
                                ('GET', self.url, {'Range': 'bytes=0-1'}),
                                ('GET', self.url, {'If-None-Match': f'"{self.doc["sha256"]}"'}),
                                ('GET', '/api/v1/documents/D0', {}),
                                ('POST', '/api/v1/login', {}), ('GET', '/', {})):
            r = self.c.call(method, path, None if method != 'POST' else b'{',
                            headers=h)
            rid = r.header('X-Request-Id')
            self.assertTrue(rid, f'{method} {path}: {r!r}')
            self.assertNotIn(rid, seen)
            seen.add(rid)

    def test_unknown_path_and_wrong_method(self):
        r = self.c.get('/api/v1/nope')
        self.assertError(r, 404, 'not_found')
        r = self.c.get('/api/v1/documents')
        self.assertError(r, 404, 'not_found')
        r = self.c.call('DELETE', f'/api/v1/documents/{self.doc["id"]}')
        self.assertError(r, 405, 'method_not_allowed')
        self.assertIn('GET', r.header('Allow', ''), r)
        r = self.c.post('/api/v1/health', {})
        self.assertError(r, 405, 'method_not_allowed')
        r = self.c.get('/api/v1/login')
        self.assertError(r, 405, 'method_not_allowed')
        self.assertIn('POST', r.header('Allow', ''), r)

    def test_help_and_unknown_pages_of_the_interface(self):
        # /help is a page of the interface (200), an address that leads nowhere gets the same
        # shell with 404 (its "page not found"); a missing file and the API stay plain 404s
        shell = self.c.get('/')
        self.assertEqual(shell.status, 200, shell)
        r = self.c.get('/help')
        self.assertEqual((r.status, r.body), (200, shell.body), r)
        self.assertTrue(r.header('Content-Type', '').startswith('text/html'), r)
        self.assertIn("default-src 'self'", r.header('Content-Security-Policy', ''), r)
        for path in ('/khong-co-trang-nay', '/help/more', '/a/b/c'):
            r = self.c.get(path)
            self.assertEqual((r.status, r.body), (404, shell.body), path)
            self.assertTrue(r.header('Content-Type', '').startswith('text/html'), path)
        for path in ('/khong-co.css', '/js/khong-co.js'):
            r = self.c.get(path)
            self.assertEqual(r.status, 404, path)
            self.assertNotEqual(r.body, shell.body, path)
        self.assertError(self.c.get('/api/v1/help'), 404, 'not_found')

    def test_json_content_type_and_head(self):
        r = self.c.get('/api/v1/health')
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json(), {'status': 'ok'})
        self.assertEqual(r.header('Content-Type').replace(' ', '').lower(),
                         'application/json;charset=utf-8')
        h = self.c.call('HEAD', self.url)
        self.assertEqual(h.status, 200, h)
        self.assertEqual(h.body, b'')
        self.assertEqual(int(h.header('Content-Length')), len(self.bytes))

    def test_pagination(self):
        c = self.as_('admin')
        full = c.get('/api/v1/search?year=2019&limit=100').json()
        ids = [h['id'] for h in full['items']]
        self.assertEqual(len(ids), len(self.w.visible_docs('admin')))
        pages = []
        for off in range(0, len(ids), 3):
            j = c.get(f'/api/v1/search?year=2019&offset={off}&limit=3').json()
            self.assertEqual((j['offset'], j['limit'], j['total']), (off, 3, len(ids)))
            pages += [h['id'] for h in j['items']]
        self.assertEqual(pages, ids)
        r = c.get('/api/v1/search?year=2019&limit=1000')
        if r.status == 200:
            self.assertLessEqual(r.json()['limit'], 100)
        else:
            self.assertError(r, 400, 'bad_request')
        for bad in ('limit=-1', 'offset=-5', 'limit=abc'):
            r = c.get(f'/api/v1/search?year=2019&{bad}')
            self.assertError(r, 400, 'bad_request')
        j = c.get('/api/v1/fonds/HAPHONG/dossiers/HS01?offset=1&limit=1').json()
        self.assertEqual((j['total'], len(j['items'])), (2, 1))
        self.assertEqual(j['items'][0]['ordinal'], 2)

    def test_document_json(self):
        d = self.doc
        j = self.as_('anonymous').get(f'/api/v1/documents/{d["id"]}').json()
        shown = self.w.h.show(d['id'])
        for k, v in shown.items():
            if k in ('files', 'pages', 'versions'):
                continue
            self.assertEqual(j.get(k), v, f'key {k} differs from halong show --json')
        f = j['files'][0]
        self.assertEqual((f['seq'], f['name'], f['sha256'], f['size']),
                         (1, d['file'], d['sha256'], len(self.bytes)))
        self.assertEqual(f['url'], f'/api/v1/documents/{d["id"]}/files/1')
        p = j['pages'][0]
        self.assertEqual(p['state'], 'done')
        self.assertIsInstance(p['low_confidence'], bool)
        self.assertEqual(p['low_confidence'], p['mean_conf'] < 70)
        self.assertEqual(p['image_url'], f'/api/v1/documents/{d["id"]}/pages/1/image')
        self.assertEqual(p['alto_url'], f'/api/v1/documents/{d["id"]}/pages/1/alto')
        self.assertIn(hl.words(p['text'])[0], hl.words(shown['pages'][0]['text']))

    def test_page_image_width(self):
        import struct
        base = f'/api/v1/documents/{self.doc["id"]}/pages/1/image'
        for q, most in (('', 1200), ('?width=300', 300), ('?width=99999', 3000)):
            r = self.c.get(base + q)
            if q == '?width=99999' and r.status == 400:
                continue
            self.assertEqual(r.status, 200, r)
            w, h = struct.unpack('>II', r.body[16:24])
            self.assertLessEqual(w, most, q)
            self.assertGreater(w, 0)
        r = self.c.get(base + '?width=abc')
        self.assertError(r, 400, 'bad_request')
        r = self.c.get(f'/api/v1/documents/{self.doc["id"]}/pages/9/image')
        self.assertError(r, 404, 'not_found')


class AccessLogLines(unittest.TestCase):
    """The access log is gathered per worker thread and written by whole lines (server.c): under
    concurrent requests on two workers every request still gets exactly one whole line, and the
    lines reach stderr while the server runs, not only at the stop."""

    LINE = re.compile(r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ ([0-9a-f]{16}) 127\.0\.0\.1 (GET|HEAD) '
                      r'"([^"]*)" (\d{3}) (\d+) (\d+\.\d)ms (\S+)$')

    def test_one_whole_line_per_request(self):
        w = hlserve.world()
        doc = next(d for d in w.docs if d['level'] == 'public')
        srv = Server(w.h.home, ['--threads', '2']).start()
        paths = [f'/api/v1/documents/{doc["id"]}', '/api/v1/health',
                 '/api/v1/documents/no%22such%5Cdoc', '/api/v1/nothing-here']
        seen, errors, lock = [], [], threading.Lock()

        def client(k):
            try:
                c = srv.client()
                for i in range(40):
                    p = paths[(k + i) % len(paths)]
                    r = c.get(p)
                    with lock:
                        seen.append((r.header('X-Request-Id'), p, r.status, len(r.body)))
            except Exception as ex:  # reported below, with the log
                with lock:
                    errors.append(repr(ex))

        try:
            first = srv.client().get('/api/v1/health').header('X-Request-Id')
            # while the server runs (no stop, no more requests), the line comes by the timer
            t0 = time.time()
            while first not in srv.log() and time.time() - t0 < 30:
                time.sleep(0.05)
            self.assertIn(first, srv.log(), 'an access line never reached stderr while serving')
            ts = [threading.Thread(target=client, args=(k,)) for k in range(8)]
            for t in ts:
                t.start()
            for t in ts:
                t.join()
        finally:
            rc = srv.stop()
        log = srv.log()
        self.assertEqual(rc, 0, log[-2000:])
        self.assertEqual(errors, [], log[-2000:])
        self.assertEqual(len(seen), 8 * 40)
        ids = [s[0] for s in seen]
        self.assertEqual(len(set(ids)), len(ids), 'request ids repeat')
        lines = {}
        for line in log.splitlines():
            m = self.LINE.match(line)
            if m:
                self.assertNotIn(m.group(1), lines, f'two lines for one request: {line}')
                lines[m.group(1)] = m
            else:
                # every other line is a message of the server's own, never a piece of a line
                self.assertTrue(line.startswith('halong serve:'), f'a broken line: {line!r}')
        for rid, path, status, size in seen:
            m = lines.get(rid)
            self.assertIsNotNone(m, f'no access line for {rid} ({path})')
            logged = path.replace('%22', '\\x22').replace('%5C', '\\x5c')
            self.assertEqual((m.group(3), int(m.group(4)), int(m.group(5))),
                             (logged, status, size), m.group(0))
            self.assertEqual(m.group(7), '-')

    def test_a_method_chosen_by_the_client_cannot_forge_or_glue_lines(self):
        """A method with a terminal escape is logged as "(bad method)", and one of 12,000
        bytes neither breaks the line nor glues the next request's line onto it."""
        import socket
        w = hlserve.world()
        srv = Server(w.h.home, ['--threads', '1']).start()
        try:
            for method in (b'G\x1b[31mET', b'X' * 12000):
                c = socket.create_connection(('127.0.0.1', srv.port), timeout=30)
                try:
                    c.sendall(method + b' /api/v1/health HTTP/1.1\r\nHost: x\r\n'
                              b'Connection: close\r\n\r\n')
                    while c.recv(65536):
                        pass
                except OSError:
                    pass
                finally:
                    c.close()
            after = srv.client().get('/api/v1/health').header('X-Request-Id')
        finally:
            rc = srv.stop()
        log = srv.log()
        self.assertEqual(rc, 0, log[-2000:])
        self.assertNotIn('\x1b', log, 'a terminal escape reached the log')
        self.assertNotIn('X' * 100, log)
        mine = [line for line in log.splitlines() if after in line]
        self.assertEqual(len(mine), 1, log[-3000:])
        self.assertTrue(self.LINE.match(mine[0]), mine[0])
        for line in log.splitlines():
            self.assertTrue(self.LINE.match(line) or line.startswith('halong serve:') or
                            '(bad method)' in line, f'a broken line: {line[:300]!r}')


class EventBatches(unittest.TestCase):
    """libmicrohttpd's epoll loop takes at most 128 events at a time; with exactly 128 it waited
    for more (up to the 30 s connection timeout) before serving any of them (server.c,
    epoll_wait): kept-alive connections of one worker whose next requests arrive together are
    answered at once, 128 or 256 of them (and 127 or 255, as one more event may be ready)."""

    def test_a_full_batch_of_requests_is_answered(self):
        import signal
        import socket
        w = hlserve.world()
        srv = Server(w.h.home, ['--threads', '1']).start()
        req = b'GET /api/v1/health HTTP/1.1\r\nHost: x\r\n\r\n'
        socks, results = [], []

        def answer(s, deadline):
            """The bytes of one answer to /api/v1/health (its body ends it), or what came
            before the deadline."""
            out = b''
            while not out.endswith(b'{"status":"ok"}'):
                s.settimeout(max(0.01, deadline - time.time()))
                try:
                    chunk = s.recv(4096)
                except OSError:
                    break
                if not chunk:
                    break
                out += chunk
            return out

        try:
            for n in (127, 128, 255, 256):  # another event may be ready beside them
                while len(socks) < n:
                    # each connection accepted and served once, then idle (kept alive); 128
                    # from each source address (the limit is 256 an address)
                    src = f'127.0.0.{2 + len(socks) // 128}'
                    s = socket.create_connection(('127.0.0.1', srv.port), timeout=30,
                                                 source_address=(src, 0))
                    s.sendall(req)
                    self.assertTrue(answer(s, time.time() + 30).startswith(b'HTTP/1.1 200'))
                    socks.append(s)
                # every next request arrives while the server is stopped: n events at once
                srv.proc.send_signal(signal.SIGSTOP)
                try:
                    for s in socks:
                        s.sendall(req)
                    time.sleep(0.5)
                finally:
                    srv.proc.send_signal(signal.SIGCONT)
                deadline = time.time() + 15  # the wait it must not make is 30 s
                answered = sum(answer(s, deadline).startswith(b'HTTP/1.1 200') for s in socks)
                results.append((n, answered))
            self.assertEqual(results, [(n, n) for n, _ in results])
        finally:
            for s in socks:
                s.close()
            rc = srv.stop()
        self.assertEqual(rc, 0, srv.log()[-2000:])


if __name__ == '__main__':
    unittest.main()
