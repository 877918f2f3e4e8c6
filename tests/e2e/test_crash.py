"""kill -9 in the middle of an ingest, three times, then running it to the end: every row lands
exactly once, no version is invented, the blobs are sound, and the index matches the store."""
import json
import os
import random
import re
import signal
import subprocess
import sys
import time
import unittest

import hl

COPIES = int(os.environ.get('HALONG_E2E_COPIES', '3'))
EVERY = 20  # one row in EVERY carries a scanned page
SEED = 20250701
COLS = hl.demo.COLUMNS + ['page_count', 'files']
VERBOSE = bool(os.environ.get('HALONG_E2E_VERBOSE'))
HEX64 = re.compile(r'^[0-9a-f]{64}$')


class CrashTest(hl.HomeCase):
    def make_manifest(self):
        rows = []
        for c in range(COPIES):
            rows += hl.demo.manifest_rows(hl.articles(), dossier_suffix='' if c == 0 else f'-B{c}')
        self.files = {}
        for n, r in enumerate(rows):
            if n % EVERY == 0:
                name = f'img/{n // 100:03d}/{n:05d}.png'
                data = hl.png(16, 12, n)
                hl.write_bytes(self.h.path(name), data)
                r['files'], r['page_count'] = name, '1'
                self.files[n] = hl.sha256_file(self.h.path(name))
        self.assertEqual(len(set(self.files.values())), len(self.files), 'PNGs must differ')
        return hl.write_csv(self.h.path('big.csv'), COLS, rows), rows

    def start(self, manifest, n):
        out = open(self.h.path(f'run{n}.out'), 'wb')
        err = open(self.h.path(f'run{n}.err'), 'wb')
        self.addCleanup(out.close)
        self.addCleanup(err.close)
        return subprocess.Popen([hl.BIN, '--home', self.h.home, 'ingest', manifest, '--batch', '50'],
                                stdout=out, stderr=err)

    def test_kill_during_ingest_then_finish(self):
        manifest, rows = self.make_manifest()
        rng = random.Random(SEED)
        killed = 0
        for attempt in range(3):
            p = self.start(manifest, attempt)
            if attempt < 2:
                # While rows are being stored (the first), then later (each run resumes past
                # what the last one committed).
                time.sleep(rng.uniform(1.0, 3.0) if attempt == 0 else rng.uniform(3.0, 6.0))
            else:
                # Once the index has committed part of the queue, so that the last kill lands
                # between two index commits.
                deadline = time.time() + hl.TIMEOUT
                while p.poll() is None and time.time() < deadline:
                    r = self.h.run('stats', '--json')
                    if r.rc == 0 and json.loads(r.out)['index_docs'] > 0:
                        break
                    time.sleep(0.2)
                time.sleep(rng.uniform(0.0, 0.5))
            if p.poll() is None:
                p.send_signal(signal.SIGKILL)
                killed += 1
            p.wait(timeout=hl.TIMEOUT)
            # Between kills the store must open and hold nothing it should not.
            st = self.h.stats()
            self.assertLessEqual(st['documents'], len(rows), st)
            self.assertLessEqual(st['index_docs'], st['documents'], st)
            self.assertLessEqual(st['files'], len(self.files), st)
            if VERBOSE:
                print(f'\nattempt {attempt}: killed {killed}, {st}', file=sys.stderr)
        self.assertGreaterEqual(killed, 1, 'every run finished before it could be killed')

        r = self.h.run('ingest', manifest, '--batch', '50')
        self.assertEqual(r.rc, 0, r)
        s = r.summary()
        self.assertIsNotNone(s, r)
        self.assertEqual(s['rows'], len(rows), r)
        self.assertEqual(s['rejected'], 0, r)
        self.assertEqual(s['updated'], 0, f'a row re-ran as an update after the kill: {r!r}')
        self.assertEqual(s['new'] + s['unchanged'], len(rows), r)

        st = self.h.stats()
        self.assertEqual(st['documents'], len(rows), st)
        self.assertEqual((st['fonds'], st['dossiers']), (1, 16 * COPIES), st)
        self.assertEqual((st['files'], st['blobs']), (len(self.files), len(self.files)), st)
        self.assertEqual(st['index_docs'], len(rows), st)
        self.assertEqual(st['index_pending'], 0, st)

        rng = random.Random(SEED + 1)
        for n in sorted(rng.sample(range(len(rows)), 25) + list(self.files)[:5]):
            row = rows[n]
            i = hl.doc_id('PL', row['dossier_code'], int(row['doc_ordinal']))
            d = self.h.show(i)
            self.assertEqual((d['subject'], d['dossier_code'], str(d['doc_ordinal'])),
                             (row['subject'], row['dossier_code'], row['doc_ordinal']))
            self.assertEqual(hl.nfc(d['text']), hl.nfc(row['text']))
            self.assertEqual((d['version'], d['versions']), (1, []), f'{i}: a version invented')
            self.assertEqual([f['sha256'] for f in d['files']],
                             [self.files[n]] if n in self.files else [])

        # Every copy of one article is found once, and nothing else ranks above them.
        a = next(x for x in hl.articles()
                 if x['law_title'] == 'Bộ luật dân sự' and x['article'] == '131')
        hits = self.h.search(' '.join(hl.words(a['article_title'])), limit=20)
        ids = [x['id'] for x in hits]
        self.assertEqual(len(ids), len(set(ids)), 'a document listed twice by search')
        want = {hl.doc_id('PL', hl.demo.dossier_code('Bộ luật dân sự', '' if c == 0 else f'-B{c}'),
                          131) for c in range(COPIES)}
        self.assertEqual(set(ids[:COPIES]), want)

        r = self.h.run('verify')
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(r.out.strip().splitlines()[-1],
                         f'verify: {len(self.files)} blobs checked: {len(self.files)} ok, '
                         '0 missing, 0 corrupt')
        # No blob under its final name holds other bytes (a half-written one, say).
        for dirpath, _, names in os.walk(os.path.join(self.h.home, 'blobs')):
            for name in names:
                sha = os.path.basename(dirpath) + name
                if HEX64.match(sha):
                    self.assertEqual(hl.sha256_file(os.path.join(dirpath, name)), sha)

        r = self.h.run('ingest', manifest, '--batch', '50')
        self.assertEqual(r.rc, 0, r)
        self.assertTrue(r.summary()['nothing_changed'], r)


if __name__ == '__main__':
    unittest.main()
