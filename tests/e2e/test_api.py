"""The HTTP API's answers against the CLI's on the same data directory (docs/api.md says "as
`halong … --json`"): units, custody, OCR status, fonds; jobs for OCR and ingest with their
progress; the OpenAPI document served; health and the web interface on the same port."""
import json
import os
import shutil
import time
import unittest
import urllib.parse

import hl
import hlserve
from hlserve import Server, ServerCase

q = urllib.parse.quote


def items(j):
    return j['items'] if isinstance(j, dict) and 'items' in j else j


class AsTheCli(ServerCase):

    def cli(self, *args):
        r = self.w.h.run(*args, '--json')
        self.assertEqual(r.rc, 0, r)
        return json.loads(r.out)

    def get(self, path, caller='anonymous', status=200):
        r = self.as_(caller).get(path)
        self.assertEqual(r.status, status, f'{path}: {r!r}')
        return r.json()

    def test_units_are_public_and_as_the_cli(self):
        self.assertEqual(self.get('/api/v1/units/06652'), self.cli('units', 'show', '06652'))
        self.assertEqual(self.get('/api/v1/units/06652?at=2025-06-30'),
                         self.cli('units', 'show', '06652', '--at', '2025-06-30'))
        self.assertEqual(self.get('/api/v1/units/06652?at=30/06/2025'),
                         self.cli('units', 'show', '06652', '--at', '2025-06-30'))
        self.assertEqual(items(self.get('/api/v1/units?q=' + q('ha tu'))),
                         self.cli('units', 'find', 'ha tu'))
        self.assertEqual(items(self.get('/api/v1/units?q=' + q('Hà Phong'))),
                         self.cli('units', 'find', 'Hà Phong'))
        self.assertEqual(items(self.get('/api/v1/units/06664/successors')),
                         self.cli('units', 'successors', '06664'))
        self.assertEqual(items(self.get('/api/v1/units/06652/predecessors')),
                         self.cli('units', 'predecessors', '06652'))
        self.assertEqual(items(self.get('/api/v1/units/22/tree?at=2025-06-30')),
                         self.cli('units', 'tree', '22', '--at', '2025-06-30'))
        tree = items(self.get('/api/v1/tree'))
        self.assertTrue(tree)
        self.assertTrue(all('depth' in u and 'code' in u for u in tree))
        self.assertIn('22', [u['code'] for u in tree])
        r = self.as_('anonymous').get('/api/v1/units/99999')
        self.assertError(r, 404, 'not_found')
        r = self.as_('anonymous').get('/api/v1/units/06652?at=31/02/2025')
        self.assertError(r, 400, 'bad_request')

    def test_custody_as_the_cli(self):
        of = items(self.get('/api/v1/custody/of/06652', 'admin'))
        cli = self.cli('custody', 'of', '06652')
        self.assertEqual([f['fonds_code'] for f in of], [f['fonds_code'] for f in cli])
        self.assertEqual(sorted(f['fonds_code'] for f in of), ['HAPHONG', 'HATU'])
        pend = self.get('/api/v1/custody/pending', 'inspector')
        self.assertEqual(items(pend), items(self.cli('custody', 'pending')))
        f = self.get('/api/v1/fonds/HATU', 'admin')
        show = self.cli('custody', 'show', 'HATU')
        self.assertEqual(f['steps'], show['steps'])
        self.assertEqual(f['fonds_code'], 'HATU')
        before = self.get('/api/v1/fonds/HATU?at=2025-06-30', 'admin')
        self.assertEqual(before['steps'], [])

    def test_ocr_status_counts_what_the_caller_sees(self):
        # the shape of `halong ocr status --json`, counting only the pages of the documents the
        # caller may see (one page each here, all recognised)
        cli = self.cli('ocr', 'status')
        self.assertEqual(cli['documents'], len(self.w.docs))
        for caller in ('anonymous', 'viewer', 'officer61', 'archivist22'):
            j = self.get('/api/v1/ocr/status', caller)
            self.assertEqual(sorted(j), sorted(cli), caller)
            n = len(self.w.visible_docs(caller))
            self.assertEqual((j['documents'], j['done'], j['pending'], j['failed']),
                             (n, n, 0, 0), f'{caller}: {j}')

    def test_exchange_status_and_outbox_as_the_cli(self):
        """docs/api.md: GET /exchange/status is `halong exchange status --json`, node and feeds
        included; the outbox's items are `exchange outbox --json`."""
        api = self.get('/api/v1/exchange/status?limit=10', 'admin')
        self.assertEqual(self.cli('exchange', 'status', '--limit', '10'), api)
        self.assertEqual(sorted(api), ['feeds', 'node', 'peers', 'rejected'])
        self.assertEqual(self.cli('exchange', 'status', '--limit', '0')['rejected'], [])
        self.assertEqual(self.cli('exchange', 'outbox'),
                         self.get('/api/v1/exchange/outbox', 'admin')['items'])

    def test_query_length_limit_as_the_cli(self):
        """One limit on q, the library's (1,024 bytes), for the API as for `halong search`."""
        word = self.w.docs[0]['word']
        # words no document holds, excluded: the record still matches every plain word
        fill = ' '.join(f'-chuyendoisoquangninhhalongtinh{i}' for i in range(40))
        ok = (word + ' ' + fill)[:1010]
        j = self.get('/api/v1/search?q=' + q(ok), 'admin')
        self.assertEqual(j['items'][0]['id'], self.w.docs[0]['id'])
        r = self.w.h.run('search', ok)
        self.assertEqual(r.rc, 0, r)
        self.assertIn(self.w.docs[0]['id'], r.out)
        over = 'x' * 1025
        r = self.as_('admin').get('/api/v1/search?q=' + over)
        self.assertError(r, 400, 'bad_request')
        cli = self.w.h.run('search', over)
        self.assertEqual(cli.rc, 1, cli)
        self.assertEqual(cli.err, 'halong: ' + r.json()['error']['message'] + '\n')
        # over the library's other limit (64 words): a bad request too, not 429 (that one is
        # for throttled logins and a full job table)
        many = ' '.join(f'tu{i}' for i in range(65))
        r = self.as_('admin').get('/api/v1/search?q=' + q(many))
        self.assertError(r, 400, 'bad_request')
        self.assertIn('64', r.json()['error']['message'])

    def test_stats_for_the_province(self):
        j = self.get('/api/v1/stats', 'admin')
        cli = self.cli('stats')
        secret = sum(1 for d in self.w.docs if d['level'] == 'secret')
        self.assertEqual(j['documents'], cli['documents'] - secret)

    def test_health_openapi_and_web_on_one_port(self):
        self.assertEqual(self.get('/api/v1/health'), {'status': 'ok'})
        with open(os.path.join(hl.SRC, 'docs', 'openapi.json'), encoding='utf-8') as f:
            doc = json.load(f)
        self.assertEqual(self.get('/api/v1/openapi.json'), doc)
        r = self.as_('anonymous').get('/')
        self.assertEqual(r.status, 200, r)
        self.assertTrue(r.header('Content-Type', '').startswith('text/html'), r)

    def test_ocr_run_job(self):
        r = self.as_('archivist22').post('/api/v1/ocr/run', {'jobs': 1})
        self.assertEqual(r.status, 202, r)
        job = r.json()['job']
        self.assertEqual(job['kind'], 'ocr')
        for k in ('id', 'kind', 'state', 'done', 'total', 'message', 'started_at', 'ended_at',
                  'result'):
            self.assertIn(k, job)
        deadline = time.time() + 300
        while job['state'] == 'running' and time.time() < deadline:
            time.sleep(0.2)
            job = self.get(f'/api/v1/jobs/{job["id"]}', 'archivist22')  # JOB itself
        self.assertEqual(job['state'], 'done', job)
        r = self.as_('archivist22').get('/api/v1/jobs/999999')
        self.assertError(r, 404, 'not_found')


class DamagedDataDirectory(unittest.TestCase):
    """A blob the store names but the data directory lost or holds damaged is the node's fault:
    500 with the request's id, the reason in the server's log (halong verify finds it)."""

    def test_lost_and_damaged_blobs(self):
        w = hlserve.world()
        tmp, home = w.copy()
        self.addCleanup(shutil.rmtree, tmp, True)
        lost = next(d for d in w.docs if d['level'] == 'public' and d['file'] == 'clean.png')
        bad = next(d for d in w.docs if d['level'] == 'public' and d['file'] == 'twocol.png')
        os.unlink(hl.blob_path(home, lost['sha256']))
        blob = hl.blob_path(home, bad['sha256'])
        os.chmod(blob, 0o644)
        with open(blob, 'wb') as f:
            f.write(b'\x89PNG\r\n\x1a\n but nothing of an image follows')
        srv = Server(home).start()
        try:
            c = srv.client()
            for path, why in [
                    (f'/api/v1/documents/{lost["id"]}/files/1',
                     f'the stored file of {lost["id"]} is missing (run halong verify)'),
                    (f'/api/v1/documents/{bad["id"]}/pages/1/image',
                     f'page 1 of {bad["id"]} cannot be rendered: ')]:
                with self.subTest(path=path):
                    r = c.get(path)
                    self.assertEqual(r.status, 500, r)
                    rid = r.header('X-Request-Id')
                    self.assertEqual(r.json()['error']['message'], f'internal error (request {rid})')
                    line = [l for l in srv.log().splitlines() if rid in l and 'error:' in l]
                    self.assertEqual(len(line), 1, srv.log()[-2000:])
                    self.assertIn(why, line[0])
        finally:
            rc = srv.stop()
        self.assertEqual(rc, 0, srv.log()[-2000:])


class Ingest(unittest.TestCase):
    """POST /api/v1/ingest on a copy of the data directory: a job, then the records are there."""

    def test_ingest_job(self):
        w = hlserve.world()
        tmp, home = w.copy()
        self.addCleanup(shutil.rmtree, tmp, True)
        srv = Server(home).start()
        try:
            arts = hl.articles()[1000:1003]
            rows = [['GIENGDAY', 'HS03', i + 1, f'{a["law_title"]}, Điều {a["article"]}. '
                     f'{a["article_title"]}', '01/02/2020', 'Công văn', 'public', a['text']]
                    for i, a in enumerate(arts)]
            path = hl.write_csv(os.path.join(tmp, 'new.csv'),
                                ['fonds_code', 'dossier_code', 'doc_ordinal', 'subject',
                                 'issued_date', 'doc_type', 'access_level', 'text'], rows)
            with open(path, 'rb') as f:
                body = f.read()
            admin = srv.client(token=w.tokens['admin'])
            r = admin.call('POST', '/api/v1/ingest', body, headers={'Content-Type': 'text/csv'})
            self.assertEqual(r.status, 202, r)
            job = r.json()['job']
            self.assertEqual(job['kind'], 'ingest')
            deadline = time.time() + 300
            while job['state'] == 'running' and time.time() < deadline:
                time.sleep(0.2)
                job = admin.get(f'/api/v1/jobs/{job["id"]}').json()  # JOB itself
            self.assertEqual(job['state'], 'done', job)
            self.assertEqual(job['done'], job['total'], job)
            self.assertEqual((job['result']['rows'], job['result']['rejected']), (3, 0), job)
            r = srv.client().get('/api/v1/fonds/GIENGDAY/dossiers/HS03')
            self.assertEqual(r.status, 200, r)
            self.assertEqual(r.json()['total'], 3)
            # a bad manifest: the job fails and says why, nothing is loaded
            r = admin.call('POST', '/api/v1/ingest', b'fonds_code,subject\r\nX,y\r\n',
                           headers={'Content-Type': 'text/csv'})
            if r.status == 202:
                job = r.json()['job']
                while job['state'] == 'running':
                    time.sleep(0.2)
                    job = admin.get(f'/api/v1/jobs/{job["id"]}').json()
                self.assertEqual(job['state'], 'failed', job)
                self.assertIn('dossier_code', job['message'])
            else:
                self.assertError(r, 400)
            r = admin.call('POST', '/api/v1/ingest', b'{}',
                           headers={'Content-Type': 'application/json'})
            self.assertEqual(r.status, 415, r)
        finally:
            rc = srv.stop()
        self.assertEqual(rc, 0, srv.log()[-2000:])

    def test_a_bad_manifest_is_named_manifest(self):
        """The job's message names the uploaded manifest "manifest", never the server's
        temporary copy, and says the whole reason — with a temporary folder of a long name
        too (the message was once cut to the length of the copy's path and then renamed)."""
        w = hlserve.world()
        tmp, home = w.copy()
        self.addCleanup(shutil.rmtree, tmp, True)
        # the copy's path, TMPDIR/halong-ingest.XXXXXX/manifest.csv, some 480 bytes long
        deep = os.path.join(tmp, 'thu-muc-tam-thoi-cua-may-chu')
        while len(deep) < 480 - 36 - 100:
            deep = os.path.join(deep, 'x' * 99)
        deep = os.path.join(deep, 'y' * (480 - 36 - len(deep) - 1))
        os.makedirs(deep)
        srv = Server(home, env={'TMPDIR': deep}).start()
        try:
            admin = srv.client(token=w.tokens['admin'])
            for body, want in [
                    (b'fonds_code,dossier_code,doc_ordinal,subject\r\nX,D,1,"y\r\n',
                     'manifest: line 2: quoted field never closed'),
                    (b'fonds_code,subject\r\nX,y\r\n',
                     'manifest: line 1: required column dossier_code is missing'),
                    (b'\xff\xfef\x00o\x00',
                     'manifest: line 1: the file is UTF-16; save it as UTF-8')]:
                with self.subTest(body=body):
                    r = admin.call('POST', '/api/v1/ingest', body,
                                   headers={'Content-Type': 'text/csv'})
                    self.assertEqual(r.status, 202, r)
                    job = r.json()['job']
                    while job['state'] == 'running':
                        time.sleep(0.1)
                        job = admin.get(f'/api/v1/jobs/{job["id"]}').json()
                    self.assertEqual(job['state'], 'failed', job)
                    self.assertTrue(job['message'].startswith(want), job)
                    self.assertNotIn('thu-muc', job['message'])
        finally:
            rc = srv.stop()
        self.assertEqual(rc, 0, srv.log()[-2000:])

    def assertError(self, r, status):
        self.assertEqual(r.status, status, r)
        self.assertEqual(r.json()['error']['status'], status)


if __name__ == '__main__':
    unittest.main()
