"""Scanned files: they become content-addressed blobs whose SHA-256 `show` lists, identical files
are stored once, the blob is a copy (not a link to the user's file), and `verify` finds blobs
that were corrupted or deleted behind halong's back."""
import os
import re
import stat
import unittest

import hl

COLS = ['fonds_code', 'dossier_code', 'doc_ordinal', 'subject', 'issued_date', 'page_count',
        'files']


class FilesTest(hl.HomeCase):
    def setUp(self):
        super().setUp()
        scans = self.h.path('scans')
        self.src = {
            'p1': hl.write_bytes(os.path.join(scans, 'hs01', 'p1.png'), hl.png(40, 30, 1)),
            'p2': hl.write_bytes(os.path.join(scans, 'hs01', 'p2.png'), hl.png(40, 30, 2)),
            'p3': hl.write_bytes(os.path.join(scans, 'hs01', 'p3.tif'), hl.tiff(32, 32, 3)),
            # The same bytes as p1 under another name: one blob for both.
            'p1copy': hl.write_bytes(os.path.join(scans, 'hs02', 'ban-sao.png'),
                                     hl.png(40, 30, 1)),
        }
        self.sha = {k: hl.sha256_file(p) for k, p in self.src.items()}
        self.size = {k: os.path.getsize(p) for k, p in self.src.items()}
        self.assertEqual(self.sha['p1'], self.sha['p1copy'])
        self.assertEqual(len({self.sha['p1'], self.sha['p2'], self.sha['p3']}), 3)
        os.makedirs(self.h.path('catalog'))
        self.manifest = hl.write_csv(self.h.path('catalog', 'muc-luc.csv'), COLS, [
            ['UBND-HL', 'HS-01', '1', 'Quyết định giao đất cho hộ gia đình', '14/02/2003', '2',
             'hs01/p1.png;hs01/p2.png'],
            ['UBND-HL', 'HS-01', '2', 'Sơ đồ thửa đất', '14/02/2003', '1', 'hs01/p3.tif'],
            ['UBND-HL', 'HS-02', '1', 'Bản sao quyết định giao đất', '20/03/2003', '1',
             'hs02/ban-sao.png'],
        ])
        self.ingest = self.h.run('ingest', self.manifest, '--files', scans)
        self.assertEqual(self.ingest.rc, 0, self.ingest)

    def test_files_become_blobs(self):
        s = self.ingest.summary()
        self.assertEqual((s['rows'], s['new'], s['files'], s['new_blobs']), (3, 3, 4, 3),
                         self.ingest)
        d = self.h.show(hl.doc_id('UBND-HL', 'HS-01', 1))
        self.assertEqual(len(d['files']), 2, d['files'])
        for f, k in zip(d['files'], ('p1', 'p2')):
            self.assertTrue(f['name'].endswith(os.path.basename(self.src[k])), f)
            self.assertEqual(f['sha256'], self.sha[k])
            self.assertEqual(f['size'], self.size[k])
        d = self.h.show(hl.doc_id('UBND-HL', 'HS-01', 2))
        self.assertEqual([(f['sha256'], f['size']) for f in d['files']],
                         [(self.sha['p3'], self.size['p3'])])
        d = self.h.show(hl.doc_id('UBND-HL', 'HS-02', 1))
        self.assertEqual([f['sha256'] for f in d['files']], [self.sha['p1']])
        for k in ('p1', 'p2', 'p3'):
            bp = hl.blob_path(self.h.home, self.sha[k])
            self.assertTrue(os.path.isfile(bp), f'no blob at {bp}')
            with open(bp, 'rb') as f, open(self.src[k], 'rb') as g:
                self.assertEqual(f.read(), g.read())
            self.assertEqual(hl.sha256_file(bp), self.sha[k])
        st = self.h.stats()
        self.assertEqual((st['documents'], st['files'], st['blobs']), (3, 4, 3), st)
        self.assertEqual(st['blob_bytes'], self.size['p1'] + self.size['p2'] + self.size['p3'])
        r = self.h.run('show', hl.doc_id('UBND-HL', 'HS-01', 1))
        self.assertEqual(r.rc, 0, r)
        self.assertIn(self.sha['p1'], r.out)
        self.assertIn(self.sha['p2'], r.out)

    def test_verify_clean_store(self):
        r = self.h.run('verify')
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(r.out.strip().splitlines()[-1],
                         'verify: 3 blobs checked: 3 ok, 0 missing, 0 corrupt')
        self.assertNotRegex(r.out, r'(?m)^(missing|corrupt) ')

    def test_blob_is_a_copy_and_reingest_changes_nothing(self):
        bp = hl.blob_path(self.h.home, self.sha['p2'])
        self.assertNotEqual(os.stat(bp).st_ino, os.stat(self.src['p2']).st_ino)
        # The user overwrites the original scan in place: the archived blob must not change.
        with open(self.src['p2'], 'r+b') as f:
            f.write(b'\x00' * 16)
        r = self.h.run('verify')
        self.assertEqual(r.rc, 0, r)
        hl.write_bytes(self.src['p2'], hl.png(40, 30, 2))
        r = self.h.run('ingest', self.manifest, '--files', self.h.path('scans'))
        self.assertEqual(r.rc, 0, r)
        s = r.summary()
        self.assertEqual((s['unchanged'], s['new_blobs']), (3, 0), r)
        self.assertTrue(s['nothing_changed'], r)

    def test_verify_finds_corrupt_and_missing_blobs(self):
        corrupt = hl.blob_path(self.h.home, self.sha['p1'])
        missing = hl.blob_path(self.h.home, self.sha['p3'])
        os.chmod(corrupt, stat.S_IRUSR | stat.S_IWUSR)
        with open(corrupt, 'r+b') as f:
            mid = os.path.getsize(corrupt) // 2
            f.seek(mid)
            b = f.read(1)
            f.seek(mid)
            f.write(bytes([b[0] ^ 0x01]))
        os.unlink(missing)
        r = self.h.run('verify')
        self.assertEqual(r.rc, 1, r)
        lines = r.out.strip().splitlines()
        self.assertEqual(lines[-1], 'verify: 3 blobs checked: 1 ok, 1 missing, 1 corrupt')
        problems = [l for l in lines if re.match(r'^(missing|corrupt) ', l)]
        self.assertEqual(len(problems), 2, r.out)
        self.assertEqual(sorted(l.split()[:2] for l in problems),
                         sorted([['missing', self.sha['p3']], ['corrupt', self.sha['p1']]]))
        self.assertNotIn(self.sha['p2'], r.out)


if __name__ == '__main__':
    unittest.main()
