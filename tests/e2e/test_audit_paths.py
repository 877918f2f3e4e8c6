"""Every read of a restricted record's content and every change is audited, whatever the path
(issue 11, hole 5): a search that shows a restricted record's text in its snippet, asked twice
(an answer kept by the server must not skip the entry), over HTTP and on the command line; the
command line's `show` and PDF export, as the API's reads are; an OCR run started from the API
that changes a restricted record's pages; `units load`, which decides custody. Against a copy of
the shared world and a real `halong serve`."""
import json
import os
import shutil
import time
import unittest

import hl
import hlserve
from hlserve import HEADER, Server


def entries(home, limit=1000):
    r = hl.run(('audit', 'list', '--limit', str(limit), '--json'), home=home)
    if r.rc != 0:
        raise AssertionError(f'audit list failed: {r!r}')
    return json.loads(r.out)['items']


def count(home, action, obj=None, detail=None, actor=None):
    return sum(1 for e in entries(home)
               if e['action'] == action and (obj is None or e['object'] == obj)
               and (detail is None or e['detail'] == detail)
               and (actor is None or (e['actor'] or '').startswith(actor)))


class AuditedPaths(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.w = hlserve.world()
        cls.tmp, cls.home = cls.w.copy()
        cls.restricted = next(d for d in cls.w.docs
                              if d['level'] == 'restricted' and d['fonds'] == 'HATU')
        cls.public = next(d for d in cls.w.docs if d['level'] == 'public')
        cls.secret = next(d for d in cls.w.docs if d['level'] == 'secret')
        cls.srv = Server(cls.home).start()

    @classmethod
    def tearDownClass(cls):
        rc = cls.srv.stop()
        shutil.rmtree(cls.tmp, True)
        if rc != 0:
            raise AssertionError(f'halong serve exited {rc}: {cls.srv.log()[-3000:]}')

    def client(self, caller):
        return self.srv.client(None if caller == 'anonymous' else self.w.tokens[caller])

    def search(self, caller, word):
        r = self.client(caller).get(f'/api/v1/search?q={word}')
        self.assertEqual(r.status, 200, r)
        return r.json()['items']

    def test_api_search_snippet_of_a_restricted_record(self):
        d = self.restricted
        before = count(self.home, 'read', d['id'], 'search snippet', 'inspector')
        for n in (1, 2):  # the second answer would come from the server's cache
            hits = self.search('inspector', d['word'])
            self.assertEqual([h['id'] for h in hits], [d['id']])
            self.assertIn('<mark>', hits[0]['snippet'])
            self.assertEqual(count(self.home, 'read', d['id'], 'search snippet', 'inspector'),
                             before + n, f'search {n} of a restricted snippet not audited')
        # a public record's snippet is no read to audit; a caller who sees nothing reads nothing
        total = len(entries(self.home))
        self.assertEqual(len(self.search('inspector', self.public['word'])), 1)
        self.assertEqual(self.search('viewer', d['word']), [])
        self.assertEqual(len(entries(self.home)), total)

    def test_cli_reads_are_audited_as_the_api_reads(self):
        d, s = self.restricted, self.secret
        n = count(self.home, 'read', d['id'], 'document', 'cli:')
        r = hl.run(('show', d['id']), home=self.home)
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(count(self.home, 'read', d['id'], 'document', 'cli:'), n + 1)
        # secret records are the operator's own at the console: read, and audited
        r = hl.run(('show', s['id'], '--json'), home=self.home)
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(count(self.home, 'read', s['id'], 'document', 'cli:'), 1)
        # a search showing their text
        r = hl.run(('search', d['word']), home=self.home)
        self.assertEqual(r.rc, 0, r)
        self.assertIn(d['id'], r.out)
        self.assertEqual(count(self.home, 'read', d['id'], 'search snippet', 'cli:'), 1)
        # the searchable PDF
        out = os.path.join(self.tmp, 'r.pdf')
        r = hl.run(('export', 'pdf', d['id'], '--out', out), home=self.home)
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(count(self.home, 'read', d['id'], 'pdf', 'cli:'), 1)
        # a public record's read leaves nothing
        total = len(entries(self.home))
        self.assertEqual(hl.run(('show', self.public['id']), home=self.home).rc, 0)
        self.assertEqual(len(entries(self.home)), total)

    def test_ocr_run_from_the_api_names_its_starter(self):
        from test_ocr import pages_dir
        files = os.path.join(self.tmp, 'more')
        os.makedirs(files, exist_ok=True)
        with open(os.path.join(pages_dir(), 'clean.png'), 'rb') as f:
            data = f.read() + b'audit'  # a blob of its own
        with open(os.path.join(files, 'r.png'), 'wb') as f:
            f.write(data)
        a = hl.articles()[400]
        row = ['HATU', 'HS07', 1, f"{a['law_title']}, Điều {a['article']}", '12/03/2019',
               'Quyết định', 'restricted', 1, 'r.png', a['text']]
        path = hl.write_csv(os.path.join(self.tmp, 'more.csv'), HEADER, [row])
        r = hl.run(('ingest', path, '--files', files, '--ocr'), home=self.home)
        self.assertEqual(r.rc, 0, r)
        doc = hl.doc_id('HATU', 'HS07', 1)
        runs = count(self.home, 'ocr.run', actor='archivist22')  # the shared world's, if any
        r = self.client('archivist22').post('/api/v1/ocr/run', {'jobs': 1})
        self.assertEqual(r.status, 202, r)
        job = r.json()['job']
        deadline = time.time() + 300
        while job['state'] == 'running' and time.time() < deadline:
            time.sleep(0.2)
            job = self.client('archivist22').get(f'/api/v1/jobs/{job["id"]}').json()
        self.assertEqual(job['state'], 'done', job)
        self.assertEqual(count(self.home, 'ocr.run', actor='archivist22'), runs + 1)
        self.assertEqual(count(self.home, 'ocr.page', doc, 'file 1 page 1: recognised',
                               'archivist22'), 1)

    def test_units_load_is_audited(self):
        n = count(self.home, 'units.load')
        self.assertGreaterEqual(n, 1)  # the world's first load
        # a second load of the same data changes nothing and writes nothing
        r = hl.run(('units', 'load', '--quiet'), home=self.home)
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(count(self.home, 'units.load'), n)


if __name__ == '__main__':
    unittest.main()
