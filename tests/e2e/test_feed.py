"""The reference-data feed between real nodes — the province's hub (22) and the communes Phường
Hà Tu (06652) and Phường Việt Hưng (06661), then communes enrolled later — each a real `halong
serve` (or the `halong feed pull` command) with its own data directory on 127.0.0.1.

The hub loads the shipped administrative units (data/units) and publishes them; later change
sets are made for the test from the real events.csv plus rename events labelled as generated
for the test (no such act exists). A commune answers `units show` like the hub after pulling; a
commune offline while the hub publishes catches up in order when it starts again; kill -9 in the
middle of a catch-up applies nothing twice; a tampered entry, a forged one (everything
recomputed but the signature) and a gap are refused with their reason in the status and nothing
applied; a commune enrolled later catches up from 0."""
import csv
import gzip
import hashlib
import json
import os
import random
import socket
import sqlite3
import tempfile
import time
import unittest

import hl
import hlnodes
import test_openapi

UNITS = os.path.join(hl.SRC, 'data', 'units')
FAST = {'HALONG_FEED_POLL_MS': '200'}
RNG = random.Random(20261128)
GENERATED = 'Sinh ra cho kiểm thử — generated for the test, not a real act'

# Rename events made for the test (each change set is the real events.csv plus these).
R1 = ['test-2027-rename-06652', '2027-01-01', GENERATED, 'renamed', '06652',
      'Phường Hà Tu → Phường Hà Tu Mới']
R2 = ['test-2027-rename-06661', '2027-03-01', GENERATED, 'renamed', '06661',
      'Phường Việt Hưng → Phường Việt Hưng Mới']
R3 = ['test-2027-rename-06652-b', '2027-06-01', GENERATED, 'renamed', '06652',
      'Phường Hà Tu Mới → Phường Hà Tu Hai']
R4 = ['test-2027-rename-06661-b', '2027-09-01', GENERATED, 'renamed', '06661',
      'Phường Việt Hưng Mới → Phường Việt Hưng Hai']
R5 = ['test-2027-rename-06652-c', '2027-10-01', GENERATED, 'renamed', '06652',
      'Phường Hà Tu Hai → Phường Hà Tu Ba']


def change_set(events):
    """A folder holding events.csv: the shipped rows, then `events`."""
    d = tempfile.mkdtemp(prefix='halong-feed-set-')
    with open(os.path.join(UNITS, 'events.csv'), newline='', encoding='utf-8') as f:
        rows = list(csv.reader(f))
    hl.write_csv(os.path.join(d, 'events.csv'), rows[0], rows[1:] + list(events))
    return d


def feed_status(node):
    return node.json('feed', 'status')['feeds'][0]


def applied(node):
    """The seqs of the feed.apply audit entries, in the order applied."""
    with node.db() as c:
        rows = c.execute("SELECT detail FROM audit WHERE action = 'feed.apply' AND object = "
                         "'units' ORDER BY id").fetchall()
    return [int(d.split()[1]) for (d,) in rows]


def counts(node):
    with node.db() as c:
        return tuple(c.execute(f'SELECT count(*) FROM {t}').fetchone()[0]
                     for t in ('unit_version', 'unit_succession', 'unit_event'))


def hub_db(hub):
    c = sqlite3.connect(os.path.join(hub.h.home, 'halong.db'), timeout=30)
    c.execute('PRAGMA busy_timeout = 30000')
    return c


def canonical(v):
    """The canonical encoding for what the entries hold (ASCII keys, NFC text, integers)."""
    return json.dumps(v, sort_keys=True, separators=(',', ':'), ensure_ascii=False)


def verify(key_b64, sig_b64, msg):
    """Ed25519 of a node's public key (base64, as `node show` prints it) over msg."""
    import base64
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    try:
        Ed25519PublicKey.from_public_bytes(base64.b64decode(key_b64)).verify(
            base64.b64decode(sig_b64), msg)
        return True
    except InvalidSignature:
        return False


class Feed(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.hub, cls.a, cls.b = hlnodes.network(('22', '06652', '06661'), env=FAST)
        cls.extra = []
        cls.sets = []

    @classmethod
    def tearDownClass(cls):
        for n in (cls.hub, cls.a, cls.b, *cls.extra):
            n.cleanup()
        for d in cls.sets:
            for f in os.listdir(d):
                os.unlink(os.path.join(d, f))
            os.rmdir(d)

    def publish(self, events):
        d = change_set(events)
        self.sets.append(d)
        return self.hub.json('feed', 'publish', 'units', d)

    def last_seq(self):
        return feed_status(self.hub)['seq']

    def new_commune(self, unit):
        n = hlnodes.Node(unit, FAST)
        self.extra.append(n)
        self.hub.ok('node', 'enrol', unit, '--url', n.url, '--key', n.key, '--may-send',
                    hlnodes.COMMUNE_SEND, '--may-receive', hlnodes.COMMUNE_RECV)
        hlnodes.publish(self.hub, [n])
        return n

    def assert_same_units(self, node, codes=('06652', '06661', '22'),
                          dates=(None, '2025-03-01', '2027-12-01')):
        for code in codes:
            for at in dates:
                args = ('units', 'show', code) + (('--at', at) if at else ())
                self.assertEqual(node.json(*args), self.hub.json(*args), (code, at))
        self.assertEqual(counts(node), counts(self.hub))

    # ---- the tests, in order: each builds on the feed the previous ones published ----
    def test_1_publish_then_pull(self):
        p = self.hub.json('feed', 'publish', 'units', UNITS)
        self.assertEqual((p['seq'], p['unchanged'], p['files']), (1, False, 7))
        self.assertGreater(p['versions_added'], 10000)
        again = self.hub.json('feed', 'publish', 'units', UNITS)
        self.assertEqual((again['seq'], again['unchanged']), (1, True))
        st = feed_status(self.hub)
        self.assertEqual((st['role'], st['seq'], st['sha256']), ('hub', 1, p['sha256']))

        # A commune without units data answers nothing, then pulls and answers like the hub.
        self.assertNotEqual(self.a.run('units', 'show', '06652').rc, 0)
        r = self.a.json('feed', 'pull')
        self.assertEqual((r['applied'], r['seq'], r['hub_seq']), (1, 1, 1))
        self.assert_same_units(self.a, dates=(None, '2025-03-01'))
        self.assertEqual(self.a.json('units', 'show', '06652', '--at', '2025-03-01')[
            'full_name'], 'Phường Hà Phong')
        self.assertEqual(applied(self.a), [1])
        r = self.a.json('feed', 'pull')
        self.assertEqual((r['applied'], r['seq']), (0, 1))
        self.assertEqual(applied(self.a), [1])
        st = feed_status(self.a)
        self.assertEqual((st['role'], st['seq'], st['hub_seq'], st['sha256'], st['last_error']),
                         ('commune', 1, 1, p['sha256'], None))
        self.assertIsNotNone(st['last_pull'])

    def test_2_http(self):
        r = self.hub.request('GET', '/api/v1/exchange/feed/units?after=0&limit=1',
                             headers={'Accept-Encoding': 'gzip'})
        self.assertEqual(r.status, 200)
        self.assertEqual(r.header('content-encoding'), 'gzip')
        page = json.loads(gzip.decompress(r.body))
        doc = test_openapi.load()
        self.assertEqual(test_openapi.check(doc['components']['schemas']['FeedPage'], page, doc),
                         [])
        self.assertEqual((page['feed'], page['last_seq'], len(page['entries'])), ('units', 1, 1))
        # The hub's count, signed by the hub (halong-feed-head-v1 + the head's canonical bytes).
        self.assertEqual((page['head']['feed'], page['head']['hub'], page['head']['last_seq']),
                         ('units', '22', 1))
        self.assertTrue(verify(self.hub.key, page['head_sig'],
                               b'halong-feed-head-v1\n' + canonical(page['head']).encode()))
        e = page['entries'][0]
        self.assertEqual((e['entry']['seq'], e['entry']['hub'], e['entry']['prev']),
                         (1, '22', ''))
        self.assertEqual(sorted(e['data']), sorted(f['name'] for f in e['entry']['files']))
        r = self.hub.request('GET', '/api/v1/exchange/feed/units?after=1')
        self.assertEqual((r.status, json.loads(r.body)['entries']), (200, []))
        self.assertEqual(self.hub.request('GET', '/api/v1/exchange/feed/plans').status, 404)
        self.assertEqual(self.hub.request('GET', '/api/v1/exchange/feed/units?after=-1').status,
                         400)
        self.assertEqual(
            self.hub.request('GET', '/api/v1/exchange/feed/units?limit=1000').status, 400)

    def test_3_offline_commune_catches_up_in_order(self):
        b = self.b
        b.start()
        hlnodes.wait_for(lambda: feed_status(b)['seq'] == 1, 120, '06661 at entry 1')
        self.assertEqual(b.stop(), 0)
        # A week of changes while 06661 is down.
        p2 = self.publish([R1])
        p3 = self.publish([R1, R2])
        self.assertEqual((p2['seq'], p3['seq'], p2['versions_split'], p3['versions_split']),
                         (2, 3, 1, 1))
        self.assertEqual(self.hub.json('units', 'show', '06652', '--at', '2027-02-01')[
            'full_name'], 'Phường Hà Tu Mới')
        self.assertEqual(applied(b), [1])
        b.start()
        hlnodes.wait_for(lambda: feed_status(b)['seq'] == 3, 120, '06661 caught up')
        self.assertEqual(applied(b), [1, 2, 3])
        self.assert_same_units(b)
        self.assertEqual(b.json('units', 'show', '06661', '--at', '2027-06-01')['full_name'],
                         'Phường Việt Hưng Mới')
        self.assertEqual(b.json('units', 'show', '06661', '--at', '2026-06-01')['full_name'],
                         'Phường Việt Hưng')
        st = feed_status(b)
        self.assertEqual((st['hub_seq'], st['last_error']), (3, None))
        # The same in the exchange status over HTTP, for an inspector of the commune.
        b.ok('user', 'add', 'thanh.tra', '--role', 'inspector', '--unit', '06661',
             input=b'mat-khau-thanh-tra-2025\n')
        tok = b.ok('user', 'token', 'thanh.tra').out.strip().splitlines()[-1]
        r = b.request('GET', '/api/v1/exchange/status',
                      headers={'Authorization': f'Bearer {tok}'})
        self.assertEqual(r.status, 200, r.body)
        doc = test_openapi.load()
        self.assertEqual(test_openapi.check(doc['components']['schemas']['ExchangeStatus'],
                                            r.json(), doc), [])
        f = r.json()['feeds'][0]
        self.assertEqual((f['feed'], f['role'], f['seq'], f['hub_seq'], f['last_error']),
                         ('units', 'commune', 3, 3, None))

    def test_4_kill_during_catch_up(self):
        self.publish([R1, R2, R3])
        self.publish([R1, R2, R3, R4])
        last = self.last_seq()
        self.assertEqual(last, 5)
        c = self.new_commune('06673')
        moments = []
        for _ in range(6):
            c.start()
            t = RNG.uniform(0.0, 1.5)
            moments.append(round(t, 3))
            time.sleep(t)
            c.kill()
            got = applied(c)
            # Whatever was committed is a prefix of the feed, each entry once.
            self.assertEqual(got, list(range(1, len(got) + 1)), moments)
            self.assertEqual(feed_status(c)['seq'], len(got), moments)
        c.start()
        hlnodes.wait_for(lambda: feed_status(c)['seq'] == last, 180, '06673 caught up')
        self.assertEqual(applied(c), list(range(1, last + 1)), moments)
        self.assert_same_units(c)
        c.stop()
        self.assertEqual([f for f in os.listdir(c.h.path('home', 'tmp'))
                          if f.startswith('halong-feed-')], [])

    def test_5_tampered_forged_and_gap_refused(self):
        a = self.a
        seq = self.publish([R1, R2, R3, R4, R5])['seq']
        self.assertEqual(seq, 6)
        with hub_db(self.hub) as db:
            good = db.execute("SELECT doc FROM feed_entry WHERE feed = 'units' AND seq = ?",
                              (seq,)).fetchone()[0]
        before = counts(a)

        def set_doc(doc):
            with hub_db(self.hub) as db:
                db.execute("UPDATE feed_entry SET doc = ? WHERE feed = 'units' AND seq = ?",
                           (doc, seq))

        def refused(*words):
            r = a.run('feed', 'pull')
            self.assertNotEqual(r.rc, 0, r)
            for w in words:
                self.assertIn(w, r.err)
            st = feed_status(a)
            self.assertEqual(st['seq'], seq - 1)
            for w in words:
                self.assertIn(w, st['last_error'])
            self.assertIsNotNone(st['last_error_at'])
            self.assertEqual(applied(a), list(range(1, seq)))
            return st

        # Tampered on the way: a file's content changed, nothing else.
        set_doc(good.replace('Phường Hà Tu Ba', 'Phường Hà Tu Giả'))
        refused(f'entry {seq}', 'events.csv', 'SHA-256')
        mid = counts(a)
        self.assertEqual(a.json('units', 'show', '06652', '--at', '2027-12-01')['full_name'],
                         'Phường Hà Tu Hai')

        # Forged: content, file hash and entry hash recomputed; only the key is missing.
        e = json.loads(good)
        text = e['data']['events.csv'].replace('Phường Hà Tu Ba', 'Phường Hà Tu Giả')
        e['data']['events.csv'] = text
        f = next(x for x in e['entry']['files'] if x['name'] == 'events.csv')
        raw = text.encode('utf-8')
        f['sha256'], f['size'] = hashlib.sha256(raw).hexdigest(), len(raw)
        e['sha256'] = hashlib.sha256(canonical(e['entry']).encode('utf-8')).hexdigest()
        set_doc(json.dumps(e, ensure_ascii=False))
        refused(f'entry {seq}', 'bad-signature')

        # The header altered: its hash no longer matches.
        e = json.loads(good)
        e['entry']['created_ms'] += 1
        set_doc(json.dumps(e, ensure_ascii=False))
        refused(f'entry {seq}', 'hash')
        self.assertEqual(counts(a), mid)

        # The hub's copy restored: the same commune takes it, once.
        set_doc(good)
        r = a.json('feed', 'pull')
        self.assertEqual((r['applied'], r['seq']), (1, seq))
        self.assertIsNone(feed_status(a)['last_error'])
        self.assertEqual(applied(a), list(range(1, seq + 1)))
        self.assertEqual(a.json('units', 'show', '06652', '--at', '2027-12-01')['full_name'],
                         'Phường Hà Tu Ba')
        self.assertNotEqual(counts(a), before)

        # A gap: entry seq+1 missing from the hub's answer, seq+2 served.
        self.publish([R1, R2, R3, R4, R5, ['test-2027-rename-06661-c', '2027-11-01', GENERATED,
                                            'renamed', '06661',
                                            'Phường Việt Hưng Hai → Phường Việt Hưng Ba']])
        self.publish([R1, R2, R3, R4, R5, ['test-2027-rename-06661-c', '2027-11-01', GENERATED,
                                            'renamed', '06661',
                                            'Phường Việt Hưng Hai → Phường Việt Hưng Ba'],
                      ['test-2027-rename-06652-d', '2027-12-01', GENERATED, 'renamed', '06652',
                       'Phường Hà Tu Ba → Phường Hà Tu Bốn']])
        with hub_db(self.hub) as db:
            row = db.execute("SELECT feed, seq, created_ms, hash, content, doc FROM feed_entry "
                             "WHERE feed = 'units' AND seq = ?", (seq + 1,)).fetchone()
            db.execute("DELETE FROM feed_entry WHERE feed = 'units' AND seq = ?", (seq + 1,))
        seq_saved, seq = seq, seq + 1
        refused(f'entry {seq + 1}', 'gap')
        with hub_db(self.hub) as db:
            db.execute('INSERT INTO feed_entry (feed, seq, created_ms, hash, content, doc) '
                       'VALUES (?, ?, ?, ?, ?, ?)', row)
        r = a.json('feed', 'pull')
        self.assertEqual((r['applied'], r['seq']), (2, seq_saved + 2))
        self.assertEqual(applied(a), list(range(1, seq_saved + 3)))
        self.assert_same_units(a)

    def test_5b_a_server_posing_as_the_hub_moves_no_count(self):
        """A real node claiming unit 22 with a key of its own publishes the shipped units and
        serves them: a commune pulling from its URL takes neither its entries nor its count."""
        a = self.a
        before = feed_status(a)
        self.assertEqual((before['seq'], before['hub_seq'], before['last_error']),
                         (self.last_seq(), self.last_seq(), None))
        forger = hlnodes.Node('22', FAST)
        self.extra.append(forger)
        forger.ok('feed', 'publish', 'units', UNITS)
        forger.start()
        page = json.loads(forger.request('GET', '/api/v1/exchange/feed/units').body)
        self.assertEqual((page['last_seq'], page['head']['last_seq'], page['head']['hub']),
                         (1, 1, '22'))
        r = a.run('feed', 'pull', '--url', forger.url)
        self.assertNotEqual(r.rc, 0, r)
        self.assertIn('head: bad-signature', r.err)
        st = feed_status(a)
        self.assertEqual((st['seq'], st['hub_seq'], st['sha256']),
                         (before['seq'], before['hub_seq'], before['sha256']))
        self.assertIn(f'GET {forger.url}/api/v1/exchange/feed/units', st['last_error'])
        self.assertIn('head: bad-signature', st['last_error'])
        self.assertIsNotNone(st['last_error_at'])
        self.assertEqual(applied(a), list(range(1, before['seq'] + 1)))
        forger.stop()
        # The real hub again: its signed count, the error over.
        r = a.json('feed', 'pull')
        self.assertEqual((r['applied'], r['seq'], r['hub_seq']),
                         (0, before['seq'], before['hub_seq']))
        self.assertIsNone(feed_status(a)['last_error'])

    def test_6_new_commune_catches_up_from_zero(self):
        d = self.new_commune('06676')
        self.assertEqual(feed_status(d)['seq'], 0)
        d.start()
        last = self.last_seq()
        hlnodes.wait_for(lambda: feed_status(d)['seq'] == last, 180, '06676 caught up')
        self.assertEqual(applied(d), list(range(1, last + 1)))
        self.assert_same_units(d)
        # The hub refuses to pull, a commune refuses to publish.
        r = d.run('feed', 'publish', 'units', UNITS)
        self.assertNotEqual(r.rc, 0)
        self.assertIn('only the hub publishes', r.err)
        r = self.hub.run('feed', 'pull')
        self.assertNotEqual(r.rc, 0)
        self.assertIn('no hub is trusted', r.err)
        d.stop()

    def test_7_bad_input(self):
        r = self.hub.run('feed', 'publish', 'units', self.hub.h.path('nowhere'))
        self.assertNotEqual(r.rc, 0)
        self.assertIn('events.csv', r.err)
        bad = change_set([['test-bad', '2027-13-45', GENERATED, 'renamed', '06652', 'A → B']])
        self.sets.append(bad)
        last = self.last_seq()
        r = self.hub.run('feed', 'publish', 'units', bad)
        self.assertNotEqual(r.rc, 0)
        self.assertIn('events.csv', r.err)
        self.assertEqual(self.last_seq(), last)
        r = self.hub.run('feed', 'publish', 'plans', UNITS)
        self.assertEqual(r.rc, 2)


def connected_to(port):
    """1 when a TCP connection to 127.0.0.1:port is established (/proc/net/tcp: the remote
    address, then the state 01)."""
    with open('/proc/net/tcp') as f:
        for line in f.readlines()[1:]:
            w = line.split()
            if w[2] == f'0100007F:{port:04X}' and w[3] == '01':
                return True
    return False


class HangingHub(unittest.TestCase):
    """The hub's URL in the directory is a socket that accepts connections and never answers: a
    commune's feed pull hangs (for the page's timeout, 120 s), and its server still delivers a
    document to another commune, and stops on SIGTERM (the pull runs on its own thread)."""

    @classmethod
    def setUpClass(cls):
        cls.sock = socket.socket()
        cls.sock.bind(('127.0.0.1', 0))
        cls.sock.listen(16)  # never accepted: the kernel completes the handshakes, no answer
        hang = f'http://127.0.0.1:{cls.sock.getsockname()[1]}'
        cls.hub, cls.a, cls.b = (hlnodes.Node(u, FAST) for u in ('22', '06652', '06661'))
        cls.hub.ok('node', 'enrol', '22', '--url', hang, '--key', cls.hub.key, '--may-send',
                   hlnodes.HUB_SEND, '--may-receive', hlnodes.HUB_RECV)
        for n in (cls.a, cls.b):
            cls.hub.ok('node', 'enrol', n.unit, '--url', n.url, '--key', n.key, '--may-send',
                       hlnodes.COMMUNE_SEND, '--may-receive', hlnodes.COMMUNE_RECV)
        cls.hub.start()
        hlnodes.publish(cls.hub, [cls.a, cls.b])
        cls.hub.stop()

    @classmethod
    def tearDownClass(cls):
        for n in (cls.hub, cls.a, cls.b):
            n.cleanup()
        cls.sock.close()

    def test_outbox_not_held_by_a_hub_that_does_not_answer(self):
        a, b = self.a, self.b
        b.start()
        a.start()
        # A's feed pull is under way (connected to the silent hub, waiting for its page).
        port = self.sock.getsockname()[1]
        hlnodes.wait_for(lambda: connected_to(port), 60,
                         "06652's pull connected to the silent hub")
        docs = hlnodes.ingest_docs(a, 'UBND-HATU', 'CV-2026-07', 1, seed=7)
        a.ok('send', docs[0][0], '--to', '06661')
        hlnodes.wait_for(lambda: [t for (_, _, t, _) in b.applied('06652')] == ['document'],
                         60, '06661 received the document while 06652 waits for the hub')
        self.assertTrue(connected_to(port), 'the pull should still be waiting for the hub')
        self.assertEqual(a.outbox_waiting(), 0)
        st = feed_status(a)
        self.assertEqual((st['seq'], st['hub_seq']), (0, None))
        # SIGTERM while the pull still waits: the server stops (within the helper's 60 s).
        self.assertEqual(a.stop(), 0)
        self.assertEqual(b.stop(), 0)


if __name__ == '__main__':
    unittest.main()
