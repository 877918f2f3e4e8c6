"""The restore drill of issue 15, as an operator would run it, on two real nodes — the province's
hub (22) and the commune Phường Hà Tu (06652) — each a real `halong serve` on 127.0.0.1.

The commune holds everything a node holds: documents ingested with their files (real law
articles), scanned pages recognised by the real Tesseract, the real administrative units (pulled
from the hub's signed feed: its feed position), users, exchange state (documents and a report
delivered to the hub, a document received from it, and messages still queued because the hub is
down) and its audit chain, witnessed by the hub. It is backed up while its server runs; then its
disk is lost (server killed, data directory removed). The backup is restored into a new folder,
where `backup verify`, `halong verify`, `halong audit verify` (offline, then against the hub's
witness) pass, the same searches (with and without tones, recognised text included) give the
same answers as the node before, the counts are the same, users log in. Started in the lost
node's place, the restored node resumes the exchange where it was: its queued messages are
delivered once and applied by the hub, nothing is sent twice, what the hub sent meanwhile and
the feed entry it published meanwhile arrive, each applied once.

Here the backup holds the node's last exchange state (nothing was delivered either way between
the backup and the loss). A backup older than the last delivery does not resume today: a message
the node delivered after its backup has its sequence given again to another message, which the
hub refuses ("sequence") for ever; one the hub delivered after it is missing on the restored
node, and the hub's next message is held there for ever behind the gap (issue 15, reported)."""
import copy
import json
import os
import shutil
import sqlite3
import unittest
import urllib.parse

import hl
import hlnodes
import test_feed
from test_ocr import pages_dir

PASSWORD = 'mat-khau-dien-tap-2026'
FAST = {'HALONG_FEED_POLL_MS': '200'}
OCR_HEADER = ['fonds_code', 'dossier_code', 'doc_ordinal', 'subject', 'page_count', 'files',
              'access_level']
# Two real scanned pages, recognised by Tesseract (tests/pages/make_pages.py renders them from
# the law corpus; their text is kept beside them as clean.txt, dpi200.txt).
SCANS = [('SO-HATU', 'QUET-01', 1, 'Bản quét trang in sạch', 1, 'clean.png'),
         ('SO-HATU', 'QUET-01', 2, 'Bản quét 200 dpi', 1, 'dpi200.png')]


def report_file(n):
    return hlnodes.tmpfile(json.dumps({'ky_bao_cao': '2026-11', 'so': n,
                                       'noi_dung': 'Báo cáo tiến độ số hóa hồ sơ'},
                                      ensure_ascii=False).encode('utf-8'))


def outbox(node, to='22'):
    """[(seq, id, state)] of what node put for `to`."""
    with node.db() as c:
        return c.execute('SELECT seq, id, state FROM exchange_outbox WHERE recipient = ? '
                         'ORDER BY seq', (to,)).fetchall()


def inbox(node, sender):
    """[(seq, id, state)] of what node received from sender, by sequence."""
    with node.db() as c:
        return c.execute('SELECT seq, id, state FROM exchange_inbox WHERE sender = ? '
                         'ORDER BY seq', (sender,)).fetchall()


def stream(node, peer):
    with node.db() as c:
        return c.execute('SELECT * FROM exchange_stream WHERE peer = ?', (peer,)).fetchone()


def counts(home):
    """The rows a node holds, table by table (the search index aside: it is rebuilt)."""
    c = sqlite3.connect(f'file:{os.path.join(home, "halong.db")}?mode=ro', uri=True, timeout=30)
    try:
        names = [r[0] for r in c.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "AND name NOT LIKE '%fts%' ORDER BY name")]
        return {n: c.execute(f'SELECT count(*) FROM "{n}"').fetchone()[0] for n in names}
    finally:
        c.close()


def search_ids(node, q):
    """The ids `halong search` answers for q, in order."""
    return [h['id'] for h in node.h.search(q, limit=50)]


class RestoreDrill(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.hub, cls.a = hlnodes.network(('22', '06652'), env=FAST)
        cls.nodes = [cls.hub, cls.a]
        try:
            cls.build()
        except Exception:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        for n in cls.nodes:
            n.cleanup()

    @classmethod
    def build(cls):
        hub, a = cls.hub, cls.a
        # units: the hub publishes the real units data; the commune's server pulls it (its
        # feed position: entry 1)
        hub.ok('feed', 'publish', 'units', test_feed.UNITS)
        a.start()
        hlnodes.wait_for(lambda: test_feed.feed_status(a)['seq'] == 1, 120,
                         'the commune at entry 1 of the units feed')
        cls.units_show = a.json('units', 'show', '06652', '--at', '2025-03-01')
        # documents with their files: real law articles, in the commune's own fonds
        a.ok('fonds', 'set', 'UBND-HATU', '--creator', '06652', '--name', 'UBND phường Hà Tu')
        cls.docs = hlnodes.ingest_docs(a, 'UBND-HATU', 'CV-2026-01', 6, 10, seed=1,
                                       access='public')
        cls.docs += hlnodes.ingest_docs(a, 'UBND-HATU', 'NB-2026-01', 2, 60, seed=2,
                                        access='internal')
        # scanned pages, recognised by the real Tesseract
        pages = pages_dir()
        scans = a.h.path('quet')
        os.makedirs(scans)
        for row in SCANS:
            shutil.copy(os.path.join(pages, row[5]), os.path.join(scans, row[5]))
        m = hl.write_csv(a.h.path('quet.csv'), OCR_HEADER,
                         [list(r) + ['public'] for r in SCANS])
        a.ok('ingest', m, '--files', scans, '--ocr')
        a.ok('ocr', 'run', '--jobs', '2', '--quiet')
        with open(os.path.join(pages, 'clean.txt'), encoding='utf-8') as f:
            cls.ocr_title = hl.nfc(f.read()).splitlines()[0]
        # users
        a.ok('user', 'add', 'lan.viewer', '--role', 'viewer', '--unit', '06652',
             input=(PASSWORD + '\n').encode())
        a.ok('user', 'add', 'minh.admin', '--role', 'admin', '--unit', '06652',
             input=(PASSWORD + '\n').encode())
        # exchange: a dossier and a report up, delivered; a document down, applied
        a.ok('send', 'dossier', 'UBND-HATU/CV-2026-01', '--to', '22')
        a.ok('send', 'report', report_file(1), '--to', '22')
        cls.down = hlnodes.ingest_docs(hub, 'UBND-TINH', 'CV-2026-07', 2, 20, seed=3,
                                       access='public')
        hub.ok('send', cls.down[0][0], '--to', '06652')
        hlnodes.wait_for(lambda: a.outbox_waiting() == 0 and len(inbox(hub, '06652')) == 2,
                         120, 'the first messages of 06652 applied by the hub')
        hlnodes.wait_for(lambda: hub.outbox_waiting() == 0 and len(inbox(a, '22')) == 1, 120,
                         'the hub\'s document applied by 06652')
        # the audit chain, witnessed by the hub (an online verify sends the head)
        r = a.run('audit', 'verify')
        assert r.rc == 0, r
        # the hub goes down; what 06652 sends now waits in its outbox
        assert hub.stop() == 0
        a.ok('send', 'report', report_file(2), '--to', '22')
        a.ok('send', 'dossier', 'UBND-HATU/NB-2026-01', '--to', '22')
        a.ok('send', 'report', report_file(3), '--to', '22')
        # the server indexes what it received every few seconds: the original's answers and
        # counts are taken once its index has caught up (the restored one is rebuilt whole)
        hlnodes.wait_for(lambda: a.json('stats')['index_pending'] == 0, 120,
                         "06652's index caught up with what it received")
        cls.before = {
            'outbox': outbox(a), 'stream': stream(a, '22'), 'inbox': inbox(a, '22'),
            'feed': test_feed.feed_status(a), 'stats': a.json('stats'),
            'counts': counts(a.h.home), 'users': a.json('user', 'list'),
        }
        # delivered: the dossier, the report, the audit head sent by `audit verify`
        st = [s for _, _, s in cls.before['outbox']]
        assert st[-3:] == ['waiting'] * 3 and set(st[:-3]) == {'delivered'}, cls.before['outbox']
        cls.queries = cls.make_queries()
        cls.answers = {q: search_ids(a, q) for q in cls.queries}
        # the backup, of the running node
        cls.target = a.h.path('backup-target')
        r = a.ok('backup', '--to', cls.target, '--json')
        cls.backup = json.loads(r.out)
        cls.bdir = os.path.join(cls.target, cls.backup['backup'])
        # the disaster: the commune's server dies and its disk is lost
        a.kill()
        cls.lost_home = a.h.home
        shutil.rmtree(a.h.home)
        # the restored node: a new folder, in the lost node's place (same identity, address)
        cls.h2 = hl.Home(init=False)
        cls.restore = hl.run(('restore', cls.bdir, '--home', cls.h2.home))
        cls.r = copy.copy(a)
        cls.r.h = cls.h2
        cls.r.proc = None
        cls.r.log_path = cls.h2.path('serve.log')
        cls.nodes.append(cls.r)

    @classmethod
    def make_queries(cls):
        """Queries a user would type: a subject's words with tones and without, a word of the
        recognised text without tones, one of the internal documents, a phrase of the hub's
        document received by the commune."""
        qs = []
        for _, subject, _ in (cls.docs[0], cls.docs[3], cls.docs[6]):
            title = subject.split('. ', 1)[-1]
            qs.append(title)
            qs.append(hl.fold(title))
        qs.append(' '.join(hl.words(cls.ocr_title)[2:6]))
        qs.append(hl.fold(cls.down[0][1].split('. ', 1)[-1]))
        qs.append('luật')
        qs.append('dieu')
        return qs

    # ---- the tests, in order ----
    def test_1_backup_and_restore(self):
        b = self.backup
        self.assertTrue(b['signed'])
        self.assertEqual(b['documents'], self.before['stats']['documents'])
        self.assertEqual(self.restore.rc, 0, self.restore)
        r = hl.run(('backup', 'verify', self.bdir))
        self.assertEqual(r.rc, 0, r)
        self.assertIn('signature valid', r.out)
        self.assertFalse(os.path.exists(self.lost_home))

    def test_2_restored_node_verifies(self):
        r = self.r.run('verify')
        self.assertEqual(r.rc, 0, r)
        r = self.r.run('audit', 'verify', '--offline')
        self.assertEqual(r.rc, 0, r)
        self.assertIn('chain whole', r.out)
        # (against the heads the hub witnessed: at the end of test_4, once the hub is up; an
        # online verify puts a message in the outbox, which test_3 compares with the node's)
        r = self.r.run('doctor')
        self.assertNotIn('✗', r.out, r)

    def test_3_same_answers_and_counts(self):
        for q in self.queries:
            self.assertTrue(self.answers[q], f'the original node found nothing for {q!r}')
            self.assertEqual(search_ids(self.r, q), self.answers[q], q)
        # the recognised text was kept: the scanned page is found by its words without tones
        q = ' '.join(hl.words(self.ocr_title)[2:6])
        self.assertIn(hl.doc_id(*SCANS[0][:3]), self.answers[q])
        page = self.r.json('show', hl.doc_id(*SCANS[0][:3]))['pages'][0]
        self.assertEqual(page['state'], 'done')
        self.assertEqual(page['text'].splitlines()[0], self.ocr_title)
        st = self.r.json('stats')
        for k in ('fonds', 'dossiers', 'documents', 'versions', 'files', 'blobs', 'blob_bytes',
                  'index_docs'):
            self.assertEqual(st[k], self.before['stats'][k], k)
        self.assertEqual(st['index_pending'], 0)
        after = counts(self.h2.home)
        # every table as it was, but for what test_2's `audit verify` added (its audit entry,
        # the head it signed and the message taking that head to the hub) and the index's
        # queue (restore rebuilds the index from the store: nothing left to apply)
        grown = ('audit', 'audit_head', 'exchange_outbox', 'exchange_stream', 'index_queue')
        for t, n in self.before['counts'].items():
            if t not in grown:
                self.assertEqual(after.get(t), n, t)
        self.assertEqual(self.r.json('user', 'list'), self.before['users'])
        self.assertEqual(self.r.json('units', 'show', '06652', '--at', '2025-03-01'),
                         self.units_show)
        n = len(self.before['outbox'])
        self.assertEqual(outbox(self.r)[:n], self.before['outbox'])
        self.assertEqual([x[2] for x in outbox(self.r)[n:]], ['waiting'])  # test_2's head
        self.assertEqual(test_feed.feed_status(self.r)['seq'], 1)

    def test_4_exchange_resumes_where_it_was(self):
        hub, r = self.hub, self.r
        if not hub.alive():
            hub.start()
        # meanwhile the hub published a change of the units and sent the commune a document;
        # both wait for the commune
        d = test_feed.change_set([test_feed.R1])
        try:
            p = hub.json('feed', 'publish', 'units', d)
        finally:
            shutil.rmtree(d, ignore_errors=True)
        self.assertEqual(p['seq'], 2)
        hub.ok('send', self.down[1][0], '--to', '06652')
        r.start()
        waiting = [i for _, i, s in self.before['outbox'] if s == 'waiting']
        hlnodes.wait_for(lambda: r.outbox_waiting() == 0 and
                         len(inbox(hub, '06652')) >= len(self.before['outbox']), 180,
                         f'the queued messages of the restored node delivered (log: '
                         f'{r.log()[-800:]})')
        got = inbox(hub, '06652')
        # every message of the stream once, in order, the ids the node put (what it held at
        # the backup, then the head test_2's verify signed), all applied
        self.assertEqual([(s, i) for s, i, _ in got], [(s, i) for s, i, _ in outbox(r)])
        self.assertEqual([(s, i) for s, i, _ in got][:len(self.before['outbox'])],
                         [(s, i) for s, i, _ in self.before['outbox']])
        self.assertEqual({st for _, _, st in got}, {'applied'})
        applied = [x[3] for x in hub.applied('06652')]
        self.assertEqual(len(applied), len(set(applied)), 'each applied once')
        self.assertTrue(set(waiting) <= set(applied), 'the queued messages applied')
        self.assertTrue(set(waiting) <= {i for _, i, _ in got})
        rejects = hub.rejects()
        self.assertEqual([x for x in rejects if '06652' in json.dumps(x)], [],
                         'the hub refused nothing of the restored node')
        # the documents of the dossier sent while the hub was down are on the hub, files intact
        for doc_id, subject, sha in self.docs[6:8]:
            dd = hub.json('show', doc_id)
            self.assertEqual(dd['subject'], subject)
            self.assertEqual([f['sha256'] for f in dd['files']], [sha])
        # the hub's document sent meanwhile reaches the restored node, applied once
        hlnodes.wait_for(lambda: len(inbox(r, '22')) == 2 and hub.outbox_waiting() == 0, 120,
                         'the hub\'s second document applied by the restored node')
        self.assertEqual([(s, st) for s, _, st in inbox(r, '22')],
                         [(1, 'applied'), (2, 'applied')])
        self.assertEqual([x[1] for x in r.applied('22')], [1, 2])
        self.assertEqual(r.json('show', self.down[1][0])['subject'], self.down[1][1])
        # the feed resumes from its position: entry 2 only, once
        hlnodes.wait_for(lambda: test_feed.feed_status(r)['seq'] == 2, 120,
                         'the restored node at entry 2 of the units feed')
        self.assertEqual(test_feed.applied(r), [1, 2])
        self.assertEqual(r.json('units', 'show', '06652', '--at', '2027-02-01')['full_name'],
                         hub.json('units', 'show', '06652', '--at', '2027-02-01')['full_name'])
        # a new message after the restore takes the next sequence and is applied
        r.ok('send', 'report', report_file(4), '--to', '22')
        # the hub witnessed this node's audit head before the backup: the restored chain holds
        # it (an online verify checks it against the hub's witness page, and sends the head)
        v = r.run('audit', 'verify')
        self.assertEqual(v.rc, 0, v)
        self.assertIn('chain whole', v.out)
        n = len(outbox(r))
        hlnodes.wait_for(lambda: len(inbox(hub, '06652')) == n and r.outbox_waiting() == 0, 120,
                         'a report after the restore')
        self.assertEqual([s for s, _, _ in inbox(hub, '06652')], list(range(1, n + 1)))
        self.assertEqual({st for _, _, st in inbox(hub, '06652')}, {'applied'})

    def test_5_users_log_in_and_search_over_http(self):
        r = self.r
        if not r.alive():
            r.start()
        resp = r.request('POST', '/api/v1/login',
                         {'username': 'lan.viewer', 'password': PASSWORD})
        self.assertEqual(resp.status, 200, resp)
        cookie = None
        for k, v in resp.header_list:
            if k.lower() == 'set-cookie' and v.startswith('halong_session='):
                cookie = v.split(';', 1)[0]
        self.assertIsNotNone(cookie)
        resp = r.request('POST', '/api/v1/login', {'username': 'minh.admin', 'password':
                                                   PASSWORD})
        self.assertEqual(resp.status, 200, resp)
        resp = r.request('POST', '/api/v1/login', {'username': 'lan.viewer', 'password':
                                                   'khong-dung-mat-khau'})
        self.assertEqual(resp.status, 401, resp)
        # the viewer (internal, own unit) finds the internal documents; anonymous does not
        q = hl.fold(self.docs[6][1].split('. ', 1)[-1])
        path = '/api/v1/search?q=' + urllib.parse.quote(q)
        seen = [h['id'] for h in r.request('GET', path, headers={'Cookie': cookie})
                .json()['items']]
        self.assertIn(self.docs[6][0], seen)
        anon = [h['id'] for h in r.request('GET', path).json()['items']]
        self.assertNotIn(self.docs[6][0], anon)


if __name__ == '__main__':
    unittest.main()
