"""Backups of a busy node are consistent (issue 15). The commune Phường Hà Tu (06652) serves
(a real `halong serve`) while, first, another process ingests a big catalogue in batches, the
commune streams reports to the province's hub (22) and the hub publishes changes of the units
that the commune's server pulls from its feed; then, while the hub sends it documents one by one
and it goes on reporting. Backups are taken one after another all along. Each backup verifies;
restored, each passes `halong verify` and `audit verify`; every document it holds has its
files' blobs, whole; and it is a state the node really had: its audit log is a prefix of the
node's final log, entry for entry, its documents are the node's (same content), the ingest's
documents a whole number of its batches, its exchange streams and its feed position prefixes of
the node's final ones with nothing missing in between, every message applied with its document
— counts between those before and after.

(The hub's documents are not sent during the ingest: a `halong ingest` beside a server that
indexes received documents fails today with "the index is locked by another halong process",
its rows stored — not a backup matter; reported with issue 15's drill.)"""
import json
import os
import shutil
import sqlite3
import subprocess
import threading
import time
import unittest

import hl
import hlnodes
import test_feed

BATCH = 20
REPORTS = 40  # reports sent by the commune during the backups
ROWS = 800
COLS = ['fonds_code', 'dossier_code', 'doc_ordinal', 'subject', 'access_level', 'files']
HUB_DOCS = 40


def ro(home):
    c = sqlite3.connect(f'file:{os.path.join(home, "halong.db")}?mode=ro', uri=True, timeout=30)
    c.execute('PRAGMA busy_timeout = 30000')
    return c


def state(home):
    """What the assertions compare, read from a store."""
    c = ro(home)
    try:
        q = lambda sql, *a: c.execute(sql, a).fetchall()
        return {
            'audit': q('SELECT id, hash FROM audit ORDER BY id'),
            'docs': dict(q('SELECT doc_id, content_hash FROM document')),
            'live': q("SELECT count(*) FROM document d JOIN dossier s ON s.id = d.dossier_id "
                      "WHERE s.code LIKE 'LIVE-%'")[0][0],
            'outbox': q("SELECT seq, id FROM exchange_outbox WHERE recipient = '22' "
                        "ORDER BY seq"),
            'delivered': q("SELECT count(*) FROM exchange_outbox WHERE recipient = '22' AND "
                           "state = 'delivered'")[0][0],
            'inbox': q("SELECT seq, id, state FROM exchange_inbox WHERE sender = '22' "
                       "ORDER BY seq"),
            'stream': dict(((d, s) for _, d, s in q(
                "SELECT peer, dir, seq FROM exchange_stream WHERE peer = '22'"))),
            'files': q('SELECT d.doc_id, f.sha256, f.size FROM document d LEFT JOIN '
                       'document_file f ON f.document_id = d.id'),
            'blobs': dict(q('SELECT sha256, size FROM blob')),
            'feed': (q("SELECT seq FROM feed_position WHERE feed = 'units'") or [(0,)])[0][0],
            'feed_applied': [int(d.split()[1]) for (d,) in q(
                "SELECT detail FROM audit WHERE action = 'feed.apply' AND object = 'units' "
                "ORDER BY id")],
        }
    finally:
        c.close()


class BackupLive(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.hub, cls.a = hlnodes.network(('22', '06652'), env=test_feed.FAST)
        cls.sets = []
        try:
            cls.hub.ok('feed', 'publish', 'units', test_feed.UNITS)
            cls.a.start()
            hlnodes.wait_for(lambda: test_feed.feed_status(cls.a)['seq'] == 1, 120,
                             'the commune at entry 1 of the units feed')
            cls.hub_docs = hlnodes.ingest_docs(cls.hub, 'UBND-TINH', 'CV-2026-09', HUB_DOCS, 100,
                                               seed=7, access='public')
            hlnodes.ingest_docs(cls.a, 'UBND-HATU', 'CV-2026-01', 5, 10, seed=1)
            cls.a.ok('audit', 'verify')
        except Exception:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        for n in (cls.hub, cls.a):
            n.cleanup()
        for d in cls.sets:
            shutil.rmtree(d, ignore_errors=True)

    def popen(self, node, *args):
        """halong ARGS in another process, its stderr in a file (read by `finish`)."""
        env = dict(os.environ)
        env.pop('HALONG_HOME', None)
        err = open(node.h.path(f'{args[0]}-{time.monotonic_ns()}.err'), 'w+b')
        self.addCleanup(err.close)
        p = subprocess.Popen([hl.BIN, '--home', node.h.home] + list(args),
                             stdout=subprocess.DEVNULL, stderr=err, env=env)
        p.err = err
        return p

    def finish(self, p):
        rc = p.wait(600)
        p.err.seek(0)
        self.assertEqual(rc, 0, p.err.read().decode('utf-8', 'replace')[-3000:])

    def test_backups_during_ingest_and_exchange(self):
        a, hub = self.a, self.hub
        scans = a.h.path('live-scans')
        rows = []
        for i in range(ROWS):
            name = f'live-{i:05d}.png'
            hl.write_bytes(os.path.join(scans, name), hl.png(8, 8, 5000 + i))
            rows.append(['UBND-HATU', f'LIVE-{i // 100:02d}', str(i % 100 + 1),
                         f'Văn bản số {i} về công tác số hóa', 'public', name])
        manifest = hl.write_csv(a.h.path('live.csv'), COLS, rows)
        report = hlnodes.tmpfile(json.dumps({'ky_bao_cao': '2026-12', 'noi_dung': 'Tiến độ'},
                                            ensure_ascii=False).encode('utf-8'))
        before = state(a.h.home)
        target = a.h.path('target')

        # 1. the ingest, the reports, and three changes of the units published on the hub
        errors = []

        def publish():
            events = [test_feed.R1, test_feed.R2, test_feed.R3]
            for k in range(len(events)):
                time.sleep(1.0)
                d = test_feed.change_set(events[:k + 1])  # each set: the earlier ones and one
                self.sets.append(d)
                r = hub.run('feed', 'publish', 'units', d)
                if r.rc != 0:
                    errors.append(r)

        # 2. the hub's documents, one by one
        def hub_sends():
            for doc_id, _, _ in self.hub_docs:
                r = hub.run('send', doc_id, '--to', '06652')
                if r.rc != 0:
                    errors.append(r)
                time.sleep(0.05)

        names = []
        pub = threading.Thread(target=publish)
        ingest = self.popen(a, 'ingest', manifest, '--files', scans, '--batch', str(BATCH))
        # the reports one command at a time, so that the stream spans the backups whatever
        # the machine's speed (150 put by one `--repeat` took a second, before any backup)
        def send_reports():
            for _ in range(REPORTS):
                r = a.run('send', 'report', report, '--to', '22')
                if r.rc != 0:
                    errors.append(r)
                time.sleep(0.2)

        reports = threading.Thread(target=send_reports)
        reports.start()
        pub.start()
        try:
            while ingest.poll() is None and len(names) < 6:
                names.append(json.loads(a.ok('backup', '--to', target, '--json').out)['backup'])
        finally:
            self.finish(ingest)
            pub.join(600)
        t = threading.Thread(target=hub_sends)
        t.start()
        try:
            while t.is_alive() and len(names) < 12:
                names.append(json.loads(a.ok('backup', '--to', target, '--json').out)['backup'])
        finally:
            t.join(600)
            reports.join(600)
        self.assertEqual(errors, [])
        # the exchange settles: every report delivered, every document of the hub applied
        hlnodes.wait_for(lambda: a.outbox_waiting() == 0 and hub.outbox_waiting() == 0 and
                         len(state(a.h.home)['inbox']) == HUB_DOCS and
                         test_feed.feed_status(a)['seq'] == 4, 300, 'the exchange settled')
        names.append(json.loads(a.ok('backup', '--to', target, '--json').out)['backup'])
        after = state(a.h.home)
        self.assertEqual(after['live'], ROWS)

        seen = []
        for n in names:
            with self.subTest(backup=n):
                seen.append(self.check_backup(os.path.join(target, n), before, after))
        # the backups were taken while things happened: some in the middle of the ingest, some
        # in the middle of the exchange both ways
        live = [s['live'] for s in seen]
        self.assertTrue(any(0 < x < ROWS for x in live), live)
        # a backup in the middle of the stream of reports: put, or put and not yet delivered
        sent = [(len(s['outbox']), s['delivered']) for s in seen]
        self.assertTrue(any(len(before['outbox']) < x < len(after['outbox']) or
                            before['delivered'] < d < after['delivered'] for x, d in sent),
                        (before['delivered'], after['delivered'], sent))
        got = [len(s['inbox']) for s in seen]
        self.assertTrue(any(0 < x < HUB_DOCS for x in got), got)
        feeds = [s['feed'] for s in seen]
        self.assertTrue(any(1 < x < 4 for x in feeds) or len(set(feeds)) > 1, feeds)
        self.assertEqual(seen[-1]['docs'], after['docs'])

    def check_backup(self, bdir, before, after):
        r = hl.run(('backup', 'verify', bdir))
        self.assertEqual(r.rc, 0, r)
        h = hl.Home(init=False)
        self.addCleanup(h.cleanup)
        r = hl.run(('restore', bdir, '--home', h.home))
        self.assertEqual(r.rc, 0, r)
        s = state(h.home)
        r = hl.run(('verify',), home=h.home)
        self.assertEqual(r.rc, 0, r)
        r = hl.run(('audit', 'verify', '--offline'), home=h.home)
        self.assertEqual(r.rc, 0, r)
        self.assertIn('chain whole', r.out)

        # every document has its files, and each file's blob is there, whole
        for doc_id, sha, size in s['files']:
            self.assertIsNotNone(sha, f'{doc_id} has no file')
            self.assertEqual(s['blobs'].get(sha), size, doc_id)
            p = hl.blob_path(h.home, sha)
            self.assertEqual(hl.sha256_file(p), sha, f'{doc_id}: {p}')
        # a state the node had: its log a prefix of the final one, entry for entry
        k = len(s['audit'])
        self.assertGreaterEqual(k, len(before['audit']))
        self.assertEqual(s['audit'], after['audit'][:k])
        # its documents the node's, with the same content, as many as before at least
        for doc_id, ch in s['docs'].items():
            self.assertEqual(after['docs'].get(doc_id), ch, doc_id)
        self.assertTrue(set(before['docs']) <= set(s['docs']))
        self.assertTrue(len(before['docs']) <= len(s['docs']) <= len(after['docs']))
        # the ingest commits whole batches
        self.assertEqual(s['live'] % BATCH, 0, s['live'])
        # the streams: prefixes of the final ones, nothing missing between
        n = len(s['outbox'])
        self.assertEqual(s['outbox'], after['outbox'][:n])
        self.assertEqual([q for q, _ in s['outbox']], list(range(1, n + 1)))
        self.assertEqual(s['stream'].get('out', 0), n)
        applied = [(q, i) for q, i, st in s['inbox'] if st == 'applied']
        self.assertEqual(len(applied), len(s['inbox']), s['inbox'])
        self.assertEqual(applied, [(q, i) for q, i, _ in after['inbox']][:len(applied)])
        self.assertEqual(s['stream'].get('in', 0), len(applied))
        # the feed: entries applied once each, in order, up to the position
        self.assertEqual(s['feed_applied'], list(range(1, s['feed'] + 1)))
        self.assertLessEqual(s['feed'], after['feed'])
        # each message applied brought its document (one a message, in the order sent)
        hub_ids = [d for d, _, _ in self.hub_docs]
        self.assertEqual(sorted(d for d in s['docs'] if d in hub_ids),
                         sorted(hub_ids[:len(applied)]))
        return s


if __name__ == '__main__':
    unittest.main()
