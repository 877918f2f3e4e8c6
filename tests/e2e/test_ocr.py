"""Digitization through the real binary and real Tesseract: `ingest --ocr` on pages rendered from
the legal corpus (tests/pages/make_pages.py) and on broken files, `ocr run`, `ocr status`,
`show --json` pages, search over recognised text, `ocr eval` against the ground truth,
`export pdf` and `export alto`, and a run killed with SIGKILL that loses and redoes nothing."""
import hashlib
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import tempfile
import time
import unittest
import xml.etree.ElementTree as ET

import hl

_PAGES = None


def pages_dir():
    """The rendered test pages: $HL_TEST_PAGES if the runner made them, else made here once."""
    global _PAGES
    if _PAGES:
        return _PAGES
    d = os.environ.get('HL_TEST_PAGES')
    if not d:
        d = os.path.join(tempfile.gettempdir(), 'halong-e2e-pages')
        # Debian's python3 has PIL (python3-pil); the renderer needs it
        subprocess.run(['/usr/bin/python3', os.path.join(hl.SRC, 'tests', 'pages',
                                                         'make_pages.py'), d],
                       check=True, capture_output=True, timeout=600)
    _PAGES = d
    return d


HEADER = ['fonds_code', 'dossier_code', 'doc_ordinal', 'subject', 'page_count', 'files',
          'access_level']

GOOD = [('HS01', 1, 'Trang in sạch', 1, 'clean.png'),
        ('HS01', 2, 'Tệp TIFF nhiều trang', 3, 'multi.tif'),
        ('HS01', 3, 'PDF quét', 2, 'scan.pdf'),
        ('HS01', 4, 'PDF có lớp chữ', 1, 'text.pdf'),
        ('HS01', 5, 'Trang quét 150 dpi', 1, 'dpi150.png'),
        ('HS01', 6, 'Trang nhiễu', 1, 'noisy.png')]

BAD = [('HS02', 1, 'Sai số trang', 2, 'clean.jpg', 'page_count: page count 2 disagrees with '
        'the 1 pages in the files (clean.jpg: 1)'),
       ('HS02', 2, 'TIFF hỏng', 1, 'bad/corrupt.tif', 'files: bad/corrupt.tif: page 1:'),
       ('HS02', 3, 'PNG khổng lồ', 1, 'bad/huge.png',
        'files: bad/huge.png: page 1: image of 100000 x 100000 pixels'),
       ('HS02', 4, 'PDF mã hóa', 1, 'bad/encrypted.pdf', 'files: bad/encrypted.pdf: encrypted'),
       ('HS02', 5, 'Đuôi sai', 1, 'bad/notatiff.tif',
        'files: bad/notatiff.tif: the name says TIFF but the file holds PNG'),
       ('HS02', 6, 'PDF 5000 trang', 5000, 'bad/pages5000.pdf',
        'files: bad/pages5000.pdf: 5000 pages, above the limit'),
       ('HS02', 7, 'Tệp rỗng', 1, 'bad/empty.png', 'files: bad/empty.png: empty file (0 bytes)'),
       ('HS02', 8, 'JPEG cụt', 1, 'bad/truncated.jpg', 'files: bad/truncated.jpg:')]


def read(path):
    with open(path, encoding='utf-8') as f:
        return f.read()


class OcrTest(unittest.TestCase):
    """One data directory: the good pages and the bad files ingested, then recognised once."""

    @classmethod
    def setUpClass(cls):
        cls.pages = pages_dir()
        cls.h = hl.Home()
        rows = [['SO', d, o, s, n, f, 'public'] for d, o, s, n, f in GOOD]
        rows += [['SO', d, o, s, n, f, 'public'] for d, o, s, n, f, _ in BAD]
        cls.manifest = hl.write_csv(cls.h.path('m.csv'), HEADER, rows)
        cls.ingest = cls.h.run('ingest', cls.manifest, '--files', cls.pages, '--ocr')
        cls.run1 = cls.h.run('ocr', 'run', '--jobs', '2')

    @classmethod
    def tearDownClass(cls):
        cls.h.cleanup()

    def json(self, *args):
        r = self.h.run(*args, '--json')
        self.assertEqual(r.rc, 0, r)
        return json.loads(r.out)

    def test_ingest_rejects_each_bad_file_and_loads_the_rest(self):
        r = self.ingest
        self.assertEqual(r.rc, 3, r)
        s = r.summary()
        self.assertEqual((s['new'], s['rejected']), (len(GOOD), len(BAD)), r)
        # the good rows' pages: 1 + 3 + 2 + 1 + 1 + 1
        self.assertIn('ocr: 9 pages queued, 1 warning;', r.out)
        for i, (_, _, _, _, _, msg) in enumerate(BAD):
            line = len(GOOD) + i + 2
            self.assertIn(f'm.csv:{line}: {msg}', r.err)
        self.assertIn('m.csv:6: warning: files: dpi150.png: 1 of 1 pages at 150 dpi, below the '
                      '200 dpi of Nghị định 30/2020/NĐ-CP', r.err)
        # one line per bad row, besides the warning and the closing hint
        self.assertEqual(len([l for l in r.err.splitlines() if l.startswith(self.manifest)]),
                         len(BAD) + 1, r)

    def test_run_recognises_every_page(self):
        r = self.run1
        self.assertEqual(r.rc, 0, r)
        self.assertRegex(r.out, r'^ocr: 9 pages done, 0 failed in \d+ s \([\d.]+ pages/min '
                         r'with 2 workers\); \d+ documents re-indexed$')
        st = self.json('ocr', 'status')
        self.assertEqual((st['done'], st['pending'], st['failed'], st['text_layer']),
                         (9, 0, 0, 1))
        self.assertEqual(st['jobs'], 2)
        self.assertGreater(st['pages_per_min'], 0)
        self.assertGreater(st['mean_conf'], 80)

    def test_show_has_each_page_text_and_confidence(self):
        did = hl.doc_id('SO', 'HS01', 2)
        d = self.json('show', did)
        self.assertEqual([(p['seq'], p['file'], p['page_no'], p['state']) for p in d['pages']],
                         [(1, 'multi.tif', 1, 'done'), (2, 'multi.tif', 2, 'done'),
                          (3, 'multi.tif', 3, 'done')])
        for k, p in enumerate(d['pages'], 1):
            truth = hl.nfc(read(os.path.join(self.pages, f'multi-{k}.txt')))
            # the first line of each page, as printed, is recognised exactly
            self.assertEqual(p['text'].splitlines()[0], truth.splitlines()[0])
            self.assertGreater(p['mean_conf'], 80)
            self.assertIs(p['low_confidence'], False)
        pdf = self.json('show', hl.doc_id('SO', 'HS01', 4))['pages'][0]
        self.assertTrue(pdf['from_text_layer'])
        self.assertIsNone(pdf['mean_conf'])
        self.assertIs(pdf['low_confidence'], False)  # a text layer is not recognised
        low = self.json('show', hl.doc_id('SO', 'HS01', 5))['pages'][0]
        self.assertEqual((low['dpi'], low['warnings']), (150, ['low_dpi']))
        # the library's verdict, the same as the API's (below 70, recognised)
        self.assertIs(low['low_confidence'], low['mean_conf'] < 70)

    def test_recognised_text_is_searchable_without_tones(self):
        truth = hl.nfc(read(os.path.join(self.pages, 'multi-2.txt')))
        title = truth.splitlines()[0]           # "Điều N. ..."
        words = hl.words(title)[2:6]           # four words of the title, without tones
        hits = self.h.search(' '.join(words), limit=20)
        self.assertIn(hl.doc_id('SO', 'HS01', 2), [h['id'] for h in hits])
        hit = [h for h in hits if h['id'] == hl.doc_id('SO', 'HS01', 2)][0]
        self.assertIn('<mark>', hit['snippet'])

    def test_eval_against_ground_truth(self):
        e = self.json('ocr', 'eval', self.pages)
        self.assertEqual(e['without_truth'], 0)
        by_file = {}
        for p in e['pages']:
            by_file.setdefault(p['file'], []).append(p)
        self.assertEqual(len(by_file['multi.tif']), 3)   # multi-N.txt, page by page
        self.assertLessEqual(by_file['clean.png'][0]['cer'], 0.02)
        self.assertLessEqual(by_file['noisy.png'][0]['cer'], 0.05)
        self.assertLessEqual(e['cer'], 0.05)
        r = self.h.run('ocr', 'eval', self.h.path('nowhere'))
        self.assertEqual((r.rc, r.err.strip()),
                         (1, f'halong: {self.h.path("nowhere")}: no such ground-truth folder'))

    def test_review_lists_the_most_suspicious_first(self):
        rows = self.json('ocr', 'review', '--below', '100')
        self.assertEqual(len(rows), 8)  # every OCR'd page; the text-layer page is not OCR
        order = [(-r['score'], r['mean_conf']) for r in rows]
        self.assertEqual(order, sorted(order))
        # the noisy page reads at 95% "Luật nay dé giai quyết", "Trudng hop": first, by its
        # words, which the review names
        self.assertEqual(rows[0]['file'], 'noisy.png')
        self.assertGreater(rows[0]['mean_conf'], 90)
        self.assertGreaterEqual(rows[0]['reasons']['unknown_words'], 3)
        self.assertIn('dé', rows[0]['suspect_words'])
        self.assertIn('Trudng', rows[0]['suspect_words'])
        # with no confidence low enough, the pages flagged by their words alone
        low = self.json('ocr', 'review', '--below', '1')
        self.assertIn('noisy.png', [r['file'] for r in low])
        for r in low:
            self.assertGreater(r['score'], 0, r)
            self.assertFalse(r['reasons']['mean_conf_below'], r)
        r = self.h.run('ocr', 'review', '--below', '1')
        self.assertRegex(r.out, r'noisy\.png p1\)  \d+ unknown words.*: .*dé')
        self.assertTrue(r.out.strip().endswith('the most suspicious first'), r)

    def test_export_searchable_pdf_and_alto(self):
        did = hl.doc_id('SO', 'HS01', 2)
        out = self.h.path('multi.pdf')
        r = self.h.run('export', 'pdf', did, '-o', out)
        self.assertEqual(r.rc, 0, r)
        text = subprocess.run(['pdftotext', out, '-'], capture_output=True, text=True,
                              check=True).stdout
        truth = hl.nfc(read(os.path.join(self.pages, 'multi-3.txt')))
        self.assertIn(truth.splitlines()[0], hl.nfc(text))
        self.assertEqual(text.count('\f'), 3)  # three pages
        alto_dir = self.h.path('alto')
        r = self.h.run('export', 'alto', did, '-o', alto_dir)
        self.assertEqual(r.rc, 0, r)
        files = sorted(os.listdir(alto_dir))
        self.assertEqual(files, [f'{did}-p000{k}.alto.xml' for k in (1, 2, 3)])
        ns = {'a': 'http://www.loc.gov/standards/alto/ns-v4#'}
        root = ET.parse(os.path.join(alto_dir, files[0])).getroot()
        strings = root.findall('.//a:String', ns)
        page1 = self.json('show', did)['pages'][0]['text']
        self.assertEqual(len(strings), len(page1.split()))
        self.assertEqual(strings[0].get('CONTENT'), page1.split()[0])
        r = self.h.run('export', 'alto', did, '--page', '4')
        self.assertEqual((r.rc, r.err.strip()), (1, f'halong: document {did} has no page 4'))
        r = self.h.run('export', 'pdf', 'Dnothing', '-o', out)
        self.assertEqual((r.rc, r.err.strip()), (1, 'halong: no document Dnothing'))

    def test_nothing_to_do(self):
        r = self.h.run('ocr', 'run')
        self.assertEqual(r.rc, 0, r)
        self.assertIn('no page waiting', r.out)


class OcrKillTest(hl.HomeCase):
    def test_kill_9_loses_nothing_and_redoes_nothing(self):
        pages = pages_dir()
        # six one-page documents of the same clean page
        rows = [['K', 'HS01', i, f'Trang {i}', 1, 'clean.png', 'internal'] for i in range(1, 7)]
        m = hl.write_csv(self.h.path('k.csv'), HEADER, rows)
        r = self.h.run('ingest', m, '--files', pages, '--ocr')
        self.assertEqual(r.rc, 0, r)
        p = subprocess.Popen([hl.BIN, '--home', self.h.home, 'ocr', 'run', '--jobs', '1',
                              '--quiet'], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        db = os.path.join(self.h.home, 'halong.db')
        deadline = time.time() + 300
        done = 0
        while time.time() < deadline and p.poll() is None:
            with sqlite3.connect(db) as c:
                done = c.execute("SELECT count(*) FROM page WHERE state = 'done'").fetchone()[0]
            if done >= 2:
                break
            time.sleep(0.2)
        self.assertIsNone(p.poll(), 'the run ended before it could be killed')
        os.kill(p.pid, signal.SIGKILL)
        p.wait()
        with sqlite3.connect(db) as c:
            before = dict(c.execute("SELECT document_id, done_at FROM page"
                                    " WHERE state = 'done'").fetchall())
        self.assertGreaterEqual(len(before), 2)
        self.assertLess(len(before), 6)
        st = json.loads(self.h.run('ocr', 'status', '--json').out)
        self.assertEqual(st['done'] + st['pending'], 6)
        self.assertFalse(st['running'])   # the lock died with the process
        r = self.h.run('ocr', 'run', '--jobs', '2')
        self.assertEqual(r.rc, 0, r)
        self.assertIn(f'ocr: {6 - len(before)} pages done, 0 failed', r.out)
        with sqlite3.connect(db) as c:
            after = dict(c.execute("SELECT document_id, done_at FROM page").fetchall())
            attempts = {a for (a,) in c.execute("SELECT attempts FROM page")}
        self.assertEqual(attempts, {1})  # no page recognised twice
        for doc, at in before.items():
            self.assertEqual(after[doc], at)
        # every page's text reached the index
        hits = self.h.search('fonds:K', limit=10)
        self.assertEqual(len(hits), 6)


class OcrBigFileTest(hl.HomeCase):
    """A scan is judged by its header before its body is read or copied: a 512 MiB `.tif`
    whose header is no TIFF's, and a 3 GiB `.pdf` above the 2 GiB limit (both sparse: no disk
    is used), are refused without the ingest ever holding them (its peak memory, ru_maxrss
    from wait4, stays far below one file: it held the whole file before), and leave nothing in
    the blob store for `verify` to find."""

    def test_big_files_refused_by_their_header_and_never_held(self):
        scans = self.h.path('scans')
        os.makedirs(scans)
        with open(os.path.join(scans, 'big.tif'), 'wb') as f:
            f.write(b'This is no TIFF header.')
            f.truncate(512 << 20)
        with open(os.path.join(scans, 'huge.pdf'), 'wb') as f:
            f.write(b'%PDF-1.4\n')
            f.truncate(3 << 30)
        ok = hl.png(24, 16, 61)
        hl.write_bytes(os.path.join(scans, 'ok.png'), ok)
        rows = [['B', 'HS01', 1, 'Tệp lớn đầu hỏng', 1, 'big.tif', 'public'],
                ['B', 'HS01', 2, 'Tệp quá giới hạn', 1, 'huge.pdf', 'public'],
                ['B', 'HS01', 3, 'Trang tốt', 1, 'ok.png', 'public']]
        m = hl.write_csv(self.h.path('big.csv'), HEADER, rows)
        out, err = self.h.path('ingest.out'), self.h.path('ingest.err')
        env = dict(os.environ)
        env.pop('HALONG_HOME', None)
        w = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
        # Linux carries the high-water mark of the memory a process had before exec into its
        # ru_maxrss: spawned from this test runner (hundreds of MB after the suites before it),
        # the ingest would report the runner's peak. A small Python in between forks the ingest
        # and reports its wait4.
        usage_path = self.h.path('ingest.usage')
        helper = ('import os, sys\n'
                  'pid = os.fork()\n'
                  'if pid == 0:\n'
                  '    os.execv(sys.argv[2], sys.argv[2:])\n'
                  '_, st, ru = os.wait4(pid, 0)\n'
                  'open(sys.argv[1], "w").write("%d %d" % (os.waitstatus_to_exitcode(st),'
                  ' ru.ru_maxrss))\n')
        pid = os.posix_spawn('/usr/bin/python3',
                             ['/usr/bin/python3', '-c', helper, usage_path, hl.BIN, '--home',
                              self.h.home, 'ingest', m, '--files', scans, '--ocr'], env,
                             file_actions=[(os.POSIX_SPAWN_OPEN, 1, out, w, 0o644),
                                           (os.POSIX_SPAWN_OPEN, 2, err, w, 0o644)])
        _, status, _ = os.wait4(pid, 0)
        self.assertEqual(os.waitstatus_to_exitcode(status), 0, read(err))
        rc, maxrss = (int(x) for x in read(usage_path).split())
        r = hl.Result(['ingest'], rc, read(out), read(err))
        self.assertEqual(r.rc, 3, r)
        self.assertIn('big.csv:2: files: big.tif: not a TIFF, JPEG, PNG or PDF file although '
                      'its name says TIFF', r.err)
        self.assertIn(f'big.csv:3: files: huge.pdf: {3 << 30} bytes, above the limit', r.err)
        self.assertEqual(r.summary()['new'], 1, r)
        # ru_maxrss is in KiB; the ingest (sanitizers included) needs well under 256 MiB
        self.assertLess(maxrss, 256 << 10, f'the ingest held {maxrss} KiB at its peak')
        blobs = []
        for dirpath, _, names in os.walk(os.path.join(self.h.home, 'blobs')):
            blobs += [os.path.basename(dirpath) + n for n in names]
        self.assertEqual(blobs, [hashlib.sha256(ok).hexdigest()])
        self.assertEqual(os.listdir(os.path.join(self.h.home, 'tmp')), [])
        r = self.h.run('verify')
        self.assertEqual((r.rc, r.out.strip().splitlines()[-1]),
                         (0, 'verify: 1 blobs checked: 1 ok, 0 missing, 0 corrupt'), r)


if __name__ == '__main__':
    unittest.main()
