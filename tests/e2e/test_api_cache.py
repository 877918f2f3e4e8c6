"""The server keeps the answers of public documents per worker thread: an answer must follow
every change of the store — a re-ingest by the command line (another connection) and a change
made through the server itself — and never serve an internal document from the cache; the
gzip'd form kept with a cached answer follows it alike."""
import gzip
import json
import unittest

import hl
import hlserve

HEADER = ['fonds_code', 'dossier_code', 'doc_ordinal', 'subject', 'access_level', 'text']


class DocumentCache(hl.HomeCase):
    def test_answers_follow_the_store(self):
        rows = [['CA', 'HS01', 1, 'Quyết định về đất đai', 'public', 'Nội dung công khai'],
                ['CA', 'HS01', 2, 'Báo cáo nội bộ', 'internal', 'Nội dung nội bộ']]
        m = hl.write_csv(self.h.path('m.csv'), HEADER, rows)
        self.assertEqual(self.h.run('ingest', m).rc, 0)
        srv = hlserve.Server(self.h.home).start()
        self.addCleanup(srv.stop)
        pub, internal = hl.doc_id('CA', 'HS01', 1), hl.doc_id('CA', 'HS01', 2)
        for _ in range(6):  # fill the caches of every worker thread
            r = hlserve.request(srv.port, 'GET', f'/api/v1/documents/{pub}')
            self.assertEqual(r.status, 200, r)
            self.assertEqual(r.json()['subject'], 'Quyết định về đất đai')
            # an internal document is never answered to a guest, cached or not
            r = hlserve.request(srv.port, 'GET', f'/api/v1/documents/{internal}')
            self.assertEqual(r.status, 404, r)
        rows[0][3] = 'Quyết định về đất đai (sửa đổi)'
        m = hl.write_csv(self.h.path('m2.csv'), HEADER, rows)
        self.assertEqual(self.h.run('ingest', m).rc, 0)
        for _ in range(6):
            r = hlserve.request(srv.port, 'GET', f'/api/v1/documents/{pub}')
            self.assertEqual(r.status, 200, r)
            d = r.json()
            self.assertEqual(d['subject'], 'Quyết định về đất đai (sửa đổi)')
            self.assertEqual(d['version'], 2)
        # made internal: the cached public answer must not outlive it
        rows[0][4] = 'internal'
        m = hl.write_csv(self.h.path('m3.csv'), HEADER, rows)
        self.assertEqual(self.h.run('ingest', m).rc, 0)
        for _ in range(6):
            r = hlserve.request(srv.port, 'GET', f'/api/v1/documents/{pub}')
            self.assertEqual(r.status, 404, r)


    def test_gzipped_answers_follow_the_store(self):
        long_text = ' '.join(['Nội dung công khai về quy hoạch sử dụng đất'] * 60)  # > 1 KiB
        rows = [['CB', 'HS01', 1, 'Quy hoạch đất đai', 'public', long_text]]
        m = hl.write_csv(self.h.path('g.csv'), HEADER, rows)
        self.assertEqual(self.h.run('ingest', m).rc, 0)
        srv = hlserve.Server(self.h.home).start()
        self.addCleanup(srv.stop)
        pub = hl.doc_id('CB', 'HS01', 1)
        plain = hlserve.request(srv.port, 'GET', f'/api/v1/documents/{pub}')
        self.assertEqual(plain.status, 200, plain)
        self.assertIsNone(plain.header('Content-Encoding'))
        for _ in range(6):  # built, then from the caches of every worker thread
            r = hlserve.request(srv.port, 'GET', f'/api/v1/documents/{pub}',
                                headers={'Accept-Encoding': 'gzip'})
            self.assertEqual(r.status, 200, r)
            self.assertEqual(r.header('Content-Encoding'), 'gzip', r.headers)
            self.assertIn('Accept-Encoding', r.header('Vary', ''))
            self.assertEqual(json.loads(gzip.decompress(r.body)), plain.json())
            r = hlserve.request(srv.port, 'GET', f'/api/v1/documents/{pub}',
                                headers={'Accept-Encoding': 'gzip;q=0'})
            self.assertIsNone(r.header('Content-Encoding'), r.headers)
            self.assertEqual(r.json(), plain.json())
        # made internal: neither form of the cached answer may outlive it
        rows[0][4] = 'internal'
        m = hl.write_csv(self.h.path('g2.csv'), HEADER, rows)
        self.assertEqual(self.h.run('ingest', m).rc, 0)
        for _ in range(6):
            r = hlserve.request(srv.port, 'GET', f'/api/v1/documents/{pub}',
                                headers={'Accept-Encoding': 'gzip'})
            self.assertEqual(r.status, 404, r)

if __name__ == '__main__':
    unittest.main()
