"""Exchange between three real nodes — the province's hub (22) and the communes Phường Hà Tu
(06652) and Phường Việt Hưng (06661) — each a real `halong serve` with its own data directory on
127.0.0.1, the directory enrolled on the hub, served by it and imported by the communes.

Documents with their files go both ways and a report goes up; each arrives once, with its
provenance (sender, message id, the sender's signature) and its file's SHA-256 intact. Faults in
loops (kill -9 of the sender's server and of the receiver's at random moments of a stream, a peer
down for a while, a duplicated delivery, a reordered one): after each, every message exactly
once, in order per sender, nothing lost, attachments intact. Hostile input (forged signature,
replay, revoked node, tampered attachment, 100 MB envelope, clock 10 minutes off): each refused
with its reason, visible in `halong exchange status`, nothing applied."""
import hashlib
import json
import os
import random
import socket
import subprocess
import time
import unittest
import urllib.parse

import hl
import hlnodes

RNG = random.Random(20251128)  # the fault moments; the seed is printed by a failure's message


def report_file(n):
    return hlnodes.tmpfile(json.dumps({'ky_bao_cao': '2025-11', 'so': n,
                                       'noi_dung': 'Báo cáo tiến độ kế hoạch tháng'},
                                      ensure_ascii=False).encode('utf-8'))


class ThreeNodes(unittest.TestCase):
    """Delivery both ways and the fault loops, on one network of three nodes."""

    @classmethod
    def setUpClass(cls):
        cls.hub, cls.a, cls.b = hlnodes.network(('22', '06652', '06661'))
        cls.nodes = (cls.hub, cls.a, cls.b)
        try:
            cls.a.start()
            cls.b.start()
            cls.hub.ok('units', 'load', '--quiet')
            cls.hub.ok('user', 'add', 'thanh.tra', '--role', 'inspector', '--unit', '22',
                       input=b'mat-khau-thanh-tra-2025\n')
            cls.hub.ok('user', 'add', 'can.bo', '--role', 'viewer', '--unit', '22',
                       input=b'mat-khau-can-bo-2025\n')
            cls.token = cls.hub.ok('user', 'token', 'thanh.tra').out.strip().splitlines()[-1]
            cls.viewer = cls.hub.ok('user', 'token', 'can.bo').out.strip().splitlines()[-1]
        except Exception:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        for n in cls.nodes:
            n.cleanup()

    def tearDown(self):
        if self._testMethodName.startswith('test_9'):
            return
        for n in self.nodes:
            if not n.alive():
                n.start()

    # ---- checks shared by the tests ----
    def sent_ids(self, node, to):
        """The ids of every message node put for `to`, by sequence."""
        with node.db() as c:
            return [r[0] for r in c.execute('SELECT id FROM exchange_outbox WHERE recipient = ? '
                                            'ORDER BY seq', (to,))]

    def assert_exactly_once_in_order(self, sender, receiver, timeout=180):
        """Everything sender put for receiver is delivered and applied once, in order."""
        want = self.sent_ids(sender, receiver.unit)
        hlnodes.wait_for(lambda: sender.outbox_waiting() == 0 and
                         len(receiver.applied(sender.unit)) >= len(want), timeout,
                         f'{sender.unit} -> {receiver.unit}: {len(want)} messages applied '
                         f'(log: {sender.log()[-800:]})')
        got = receiver.applied(sender.unit)
        self.assertEqual([s for _, s, _, _ in got], list(range(1, len(want) + 1)),
                         'every sequence applied exactly once, in order')
        self.assertEqual([i for _, _, _, i in got], want, 'the ids the sender put, in order')
        with receiver.db() as c:
            states = dict(c.execute('SELECT state, count(*) FROM exchange_inbox WHERE sender = ?'
                                    ' GROUP BY state', (sender.unit,)).fetchall())
        self.assertEqual(states, {'applied': len(want)})

    def assert_document_arrived(self, receiver, sender, doc_id, subject, sha):
        d = receiver.json('show', doc_id)
        self.assertEqual(d['subject'], subject)
        self.assertEqual([f['sha256'] for f in d['files']], [sha])
        self.assertEqual(hl.sha256_file(hl.blob_path(receiver.h.home, sha)), sha,
                         'the file is in the receiver\'s blob store, intact')
        self.assertIn(f'Nhận qua liên thông từ {sender.unit}, thư ', d['notes'])
        msg_id = d['notes'].split(', thư ')[1].split(' ')[0]
        with receiver.db() as c:
            env = json.loads(c.execute('SELECT envelope FROM exchange_inbox WHERE id = ?',
                                       (msg_id,)).fetchone()[0])
        self.assertEqual(env['from'], sender.unit)
        self.assertTrue(d['notes'].endswith('chữ ký ' + env['sig']), 'the signature is kept')
        self.assertIn(sha, [x['sha256'] for x in env['attachments']])
        r = receiver.run('verify')
        self.assertEqual(r.rc, 0, r)

    def put_async(self, node, n, count):
        """`halong send report --repeat COUNT` running while the test goes on: the stream."""
        env = dict(os.environ)
        env.pop('HALONG_HOME', None)
        return subprocess.Popen([hl.BIN, '--home', node.h.home, 'send', 'report',
                                 report_file(n), '--to', '22', '--repeat', str(count)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)

    # ---- the tests ----
    def test_1_documents_both_ways_and_a_report(self):
        up = hlnodes.ingest_docs(self.a, 'UBND-HATU', 'CV-2025-01', 2, 10, seed=1)
        down = hlnodes.ingest_docs(self.hub, 'UBND-TINH', 'CV-2025-07', 1, 20, seed=2,
                                   access='public')
        self.a.ok('send', 'dossier', 'UBND-HATU/CV-2025-01', '--to', '22')
        self.a.ok('send', 'report', report_file(1), '--to', '22')
        self.hub.ok('send', down[0][0], '--to', '06661')
        self.assert_exactly_once_in_order(self.a, self.hub)
        self.assert_exactly_once_in_order(self.hub, self.b)
        for doc_id, subject, sha in up:
            self.assert_document_arrived(self.hub, self.a, doc_id, subject, sha)
        self.assert_document_arrived(self.b, self.hub, *down[0])
        # the public document received by 06661 is found through its server's search, by
        # anyone, within seconds (the sender thread indexes what arrived)
        word = hl.fold(down[0][1].split('. ')[-1])
        hlnodes.wait_for(lambda: down[0][0] in [
            h['id'] for h in self.b.request(
                'GET', '/api/v1/search?q=' + urllib.parse.quote(word)).json()['items']],
            30, 'the received document in the search of its receiver')
        kinds = [t for _, _, t, _ in self.hub.applied('06652')]
        self.assertEqual(kinds[:2], ['document', 'report'])
        # the received document is found by the receiver's search, without tones, once the
        # hub's server has indexed what arrived (a search only reads the index)
        hlnodes.wait_for(lambda: up[0][0] in [
            h['id'] for h in self.hub.h.search(hl.fold(up[0][1].split(', ')[-1]))],
            30, "the received document in the hub's search")
        # a secret record never leaves its node
        sec = hlnodes.ingest_docs(self.a, 'UBND-HATU', 'MAT-01', 1, 30, seed=3,
                                  access='secret')
        r = self.a.run('send', sec[0][0], '--to', '22')
        self.assertEqual(r.rc, 1, r)
        self.assertIn('secret', r.err)
        # the status per peer on both sides
        st = {p['peer']: p for p in self.a.json('exchange', 'status')['peers']}
        self.assertEqual(st['22']['waiting'], 0)
        self.assertIsNotNone(st['22']['last_success'])

    def test_2_status_and_directory_over_http(self):
        r = self.hub.request('GET', '/api/v1/exchange/status')
        self.assertEqual(r.status, 401, r)
        r = self.hub.request('GET', '/api/v1/exchange/status', None,
                             {'Authorization': 'Bearer ' + self.viewer})
        self.assertEqual(r.status, 403, r)
        r = self.hub.request('GET', '/api/v1/exchange/status', None,
                             {'Authorization': 'Bearer ' + self.token})
        self.assertEqual(r.status, 200, r)
        j = r.json()
        self.assertEqual(j['node'], '22')
        cli = self.hub.json('exchange', 'status', '--limit', '20')
        self.assertEqual(j['peers'], cli['peers'], 'the same as `halong exchange status --json`')
        self.assertEqual(sorted(p['peer'] for p in j['peers']), ['06652', '06661'])
        r = self.hub.request('GET', '/api/v1/exchange/directory')
        self.assertEqual(r.status, 200, r)
        d = r.json()
        self.assertEqual(d['directory']['hub'], '22')
        self.assertEqual(sorted(n['unit'] for n in d['directory']['nodes']),
                         ['06652', '06661', '22'])
        # the commune serves the copy it imported, as the hub signed it
        r2 = self.a.request('GET', '/api/v1/exchange/directory')
        self.assertEqual(r2.status, 200, r2)
        self.assertEqual(r2.json()['signature'], d['signature'])

    def test_3_faults_in_loops(self):
        """3 loops of 10 messages from 06652 (reports and a document with a file): kill -9 of
        the sender's server and of the receiver's at random moments, the receiver down for a
        while, a duplicated delivery, a reordered one."""
        a, hub = self.a, self.hub
        # messages still waiting when each kill came (the kills are at random moments; some
        # land mid-stream, some after it; the invariants must hold either way)
        self.waiting_at_kill = []
        for loop in range(3):
            seed = RNG.random()
            ctx = f'loop {loop} (moment {seed:.3f})'
            # loop 1 delivers one message a POST, the others in batches (the default)
            a.env['HALONG_EXCHANGE_BATCH'] = '1' if loop == 1 else '64'
            doc = hlnodes.ingest_docs(a, 'UBND-HATU', f'LOOP-{loop}', 1, 40 + loop,
                                      seed=10 + loop)[0]
            # kill -9 of the sender mid-stream, then back
            a.ok('send', doc[0], '--to', '22')
            put = self.put_async(a, loop, 4)
            time.sleep(seed * 0.1)
            self.waiting_at_kill.append(a.outbox_waiting())
            a.kill()
            self.assertEqual(put.wait(120), 0)
            a.start()
            # kill -9 of the receiver mid-stream; it stays down a while; then back
            put = self.put_async(a, loop, 4)
            time.sleep(RNG.random() * 0.1)
            self.waiting_at_kill.append(a.outbox_waiting())
            hub.kill()
            self.assertEqual(put.wait(120), 0)
            time.sleep(1.0 + RNG.random())
            a.ok('send', 'report', report_file(loop), '--to', '22')
            hub.start()
            self.assert_exactly_once_in_order(a, hub)
            self.assert_document_arrived(hub, a, *doc)
            # duplicated and reordered deliveries by hand, with the sender's server stopped
            self.assertEqual(a.stop(), 0, a.log()[-2000:])
            before = len(hub.applied('06652'))
            ids = [json.loads(l)['id'] for l in a.ok(
                'send', 'report', report_file(loop), '--to', '22', '--repeat', '3',
                '--json').out.splitlines()]
            env = [a.ok('send', 'envelope', i).out.strip() for i in ids]
            hdr = {'Content-Type': 'application/json'}
            r1 = hub.request('POST', '/api/v1/exchange/inbox', env[0], hdr)
            r2 = hub.request('POST', '/api/v1/exchange/inbox', env[0], hdr)
            self.assertEqual((r1.status, r2.status), (200, 200), f'{ctx}: {r1!r} {r2!r}')
            self.assertEqual(r1.header('X-Halong-Exchange-State'), 'applied', ctx)
            self.assertEqual(r2.header('X-Halong-Exchange-State'), 'duplicate', ctx)
            self.assertEqual(r1.body, r2.body, 'the same receipt for the duplicate')
            r3 = hub.request('POST', '/api/v1/exchange/inbox', env[2], hdr)
            self.assertEqual(r3.status, 200, r3)
            self.assertEqual(r3.header('X-Halong-Exchange-State'), 'held', ctx)
            self.assertEqual(len(hub.applied('06652')), before + 1, f'{ctx}: n+2 is held')
            r4 = hub.request('POST', '/api/v1/exchange/inbox', env[1], hdr)
            self.assertEqual(r4.header('X-Halong-Exchange-State'), 'applied', ctx)
            self.assertEqual([i for _, _, _, i in hub.applied('06652')][before:], ids,
                             f'{ctx}: applied in order when the gap filled')
            # the sender, back, delivers them again: duplicates, receipts, nothing applied
            a.start()
            self.assert_exactly_once_in_order(a, hub)
        a.env.pop('HALONG_EXCHANGE_BATCH', None)
        self.assertGreaterEqual(len(hub.applied('06652')), 30)
        if os.environ.get('HL_TEST_VERBOSE'):
            print('waiting at each kill:', self.waiting_at_kill)
        # SIGTERM lets the sender finish and the server exit 0
        self.assertEqual(a.stop(), 0, a.log()[-2000:])

    def test_4_large_attachment_resumes_from_the_receivers_offset(self):
        """A 9 MB scan travels in 4 MiB chunks; the first 5 MB arrived before an interruption:
        the sender asks the receiver how far it got and sends the rest only."""
        a, hub = self.a, self.hub
        self.assertEqual(a.stop(), 0)
        hl.write_bytes(a.h.path('big', 'scan.tif'), hl.tiff(3000, 3000, 5))
        rows = [['UBND-HATU', 'LON-01', 1, 'Bản đồ quy hoạch phường Hà Tu (bản quét lớn)',
                 '2025', 'Bản đồ', 'internal', '', 'scan.tif']]
        a.ok('ingest', hl.write_csv(a.h.path('big.csv'), hlnodes.MANIFEST, rows), '--files',
             a.h.path('big'))
        did = hl.doc_id('UBND-HATU', 'LON-01', 1)
        sha = a.json('show', did)['files'][0]['sha256']
        size = a.json('show', did)['files'][0]['size']
        self.assertGreater(size, 8 << 20)
        a.ok('send', did, '--to', '22')
        with open(hl.blob_path(a.h.home, sha), 'rb') as f:
            head = f.read(5_000_000)
        h = a.upload_headers('22', sha, 0, size, head)  # signed by 06652, as its sender does
        url = f'/api/v1/exchange/attachments/{sha}'
        r = hub.request('PUT', f'{url}?offset=0&size={size}', head, h)
        self.assertEqual(r.json(), {'sha256': sha, 'offset': 5_000_000, 'complete': False}, r)
        # a chunk that does not follow what the receiver holds: 409 naming its offset
        r = hub.request('PUT', f'{url}?offset=4096&size={size}', head[:10],
                        a.upload_headers('22', sha, 4096, size, head[:10]))
        self.assertEqual(r.status, 409, r)
        self.assertEqual(r.json()['error']['offset'], 5_000_000)
        a.start()
        self.assert_exactly_once_in_order(a, hub)
        d = hub.json('show', did)
        self.assertEqual((d['files'][0]['sha256'], d['files'][0]['size']), (sha, size))
        self.assertEqual(hl.sha256_file(hl.blob_path(hub.h.home, sha)), sha)

    def test_4b_a_whole_file_left_unfinished_by_the_receiver(self):
        """The receiver holds every byte of a file but crashed before finishing it (the .part
        never renamed): the sender finishes it with an empty last chunk instead of taking it for
        whole and being refused for ever; a .part of the right length but other bytes is dropped
        by that check and the file sent again."""
        a, hub = self.a, self.hub
        self.assertEqual(a.stop(), 0)
        hl.write_bytes(a.h.path('half', 'a.tif'), hl.tiff(600, 400, 41))
        hl.write_bytes(a.h.path('half', 'b.tif'), hl.tiff(600, 400, 42))
        rows = [['UBND-HATU', 'DO-01', n, f'Tờ trình số {n} (bản quét)', '2025', 'Tờ trình',
                 'internal', '', f] for n, f in ((1, 'a.tif'), (2, 'b.tif'))]
        a.ok('ingest', hl.write_csv(a.h.path('half.csv'), hlnodes.MANIFEST, rows), '--files',
             a.h.path('half'))
        incoming = os.path.join(hub.h.home, 'exchange', 'incoming')
        os.makedirs(incoming, exist_ok=True)
        files = []
        for n in (1, 2):
            did = hl.doc_id('UBND-HATU', 'DO-01', n)
            f = a.json('show', did)['files'][0]
            with open(hl.blob_path(a.h.home, f['sha256']), 'rb') as fh:
                data = fh.read()
            if n == 2:  # the right length, other bytes
                data = bytes(len(data))
            with open(os.path.join(incoming, f['sha256'] + '.part'), 'wb') as fh:
                fh.write(data)
            files.append((did, f['sha256'], f['size']))
            a.ok('send', did, '--to', '22')
        a.start()
        self.assert_exactly_once_in_order(a, hub)
        for did, sha, size in files:
            d = hub.json('show', did)
            self.assertEqual((d['files'][0]['sha256'], d['files'][0]['size']), (sha, size))
            self.assertEqual(hl.sha256_file(hl.blob_path(hub.h.home, sha)), sha)
            self.assertFalse(os.path.exists(os.path.join(incoming, sha + '.part')))

    def test_5_a_commune_does_not_replace_the_provinces_document(self):
        """A document the hub holds (its own) with the doc_id a commune sends is not replaced:
        the message is refused with the reason, which the commune sees in its status."""
        a, hub = self.a, self.hub
        own = hlnodes.ingest_docs(hub, 'UBND-TINH', 'CV-2025-09', 1, 60, seed=60)[0]
        before = hub.json('show', own[0])
        n_applied = len(hub.applied('06652'))
        fake = hlnodes.ingest_docs(a, 'UBND-TINH', 'CV-2025-09', 1, 61, seed=61)[0]
        self.assertEqual(fake[0], own[0])  # the same fonds, dossier and ordinal
        a.ok('send', fake[0], '--to', '22')
        st = hlnodes.wait_for(
            lambda: next((p for p in a.json('exchange', 'status')['peers']
                          if p['peer'] == '22' and 'conflict' in (p['last_error'] or '')),
                         None), 60, 'the refusal in the commune\'s status')
        self.assertIn(f'document {own[0]} exists here and did not come from 06652',
                      st['last_error'])
        self.assertIn('HTTP 409', st['last_error'])
        self.assertEqual(st['waiting'], 1)
        # the hub records the refusal with its reason, once however often the commune retries
        hlnodes.wait_for(lambda: any(m['attempts'] >= 3 for m in a.json('exchange', 'outbox')),
                         60, 'the commune retrying')
        rej = [x for x in hub.rejects() if x['reason'] == 'conflict']
        self.assertEqual(len(rej), 1, rej)
        self.assertEqual(rej[0]['sender'], '06652')
        self.assertIn(own[0], rej[0]['detail'])
        self.assertEqual(hub.json('show', own[0]), before, 'the hub\'s document is unchanged')
        self.assertEqual(len(hub.applied('06652')), n_applied, 'nothing applied')

    def test_6_what_a_commune_may_write_on_the_hub(self):
        """06661 writes only into a fonds its unit holds by custody as the hub knows it; the rest
        of what it sends is filed in the hub's register of incoming documents (VBDEN-22): its
        document of the province's fonds UBND-TINH does not join that fonds, and one of a fonds
        unknown at the hub makes no fonds there. When the hub records that the commune no longer
        holds its fonds, the commune's change to a record there is refused (fonds-not-held),
        visible in both statuses, and the record stays as it was."""
        b, hub = self.b, self.hub
        hub.ok('fonds', 'set', 'VIETHUNG-VB', '--creator', '06661', '--name',
               'UBND phường Việt Hưng')
        own = hlnodes.ingest_docs(b, 'VIETHUNG-VB', 'CV-06', 1, 80, seed=80)[0]
        tinh = hlnodes.ingest_docs(b, 'UBND-TINH', 'CV-2025-66', 1, 81, seed=81)[0]
        new = hlnodes.ingest_docs(b, 'XA-LA-01', 'HS-01', 1, 82, seed=82)[0]

        def in_fonds(fonds):
            with hub.db() as c:
                return c.execute('SELECT count(*) FROM document d JOIN dossier s ON s.id ='
                                 ' d.dossier_id JOIN fonds f ON f.id = s.fonds_id WHERE'
                                 ' f.code = ?', (fonds,)).fetchone()[0]
        before = in_fonds('UBND-TINH')
        b.ok('send', own[0], tinh[0], new[0], '--to', '22')
        hlnodes.wait_for(lambda: all(hub.run('show', d[0], '--json').rc == 0
                                     for d in (own, tinh, new)), 120, 'the three documents')
        self.assertEqual(hub.json('show', own[0])['fonds_code'], 'VIETHUNG-VB')
        for d in (tinh, new):
            got = hub.json('show', d[0])
            self.assertEqual(got['fonds_code'], 'VBDEN-22', got)
            self.assertIn('Vào sổ văn bản đến số ', got['notes'])
            self.assertEqual((got['subject'], [f['sha256'] for f in got['files']]),
                             (d[1], [d[2]]))
        self.assertIn(f'nơi gửi xếp ở phông UBND-TINH, hồ sơ CV-2025-66',
                      hub.json('show', tinh[0])['notes'])
        self.assertEqual(in_fonds('UBND-TINH'), before, 'nothing added to the province\'s fonds')
        with hub.db() as c:
            self.assertEqual(c.execute("SELECT count(*) FROM fonds WHERE code = 'XA-LA-01'"
                                       ).fetchone()[0], 0, 'no fonds made at its word')
        # the hub records that the fonds passed to 06652: 06661's change is refused
        hub.ok('fonds', 'set', 'VIETHUNG-VB', '--creator', '06652')
        rows = [['VIETHUNG-VB', 'CV-06', 1, 'Tờ trình đã sửa', '12/03/2025', 'Tờ trình',
                 'internal', '', 'CV-06-001.png']]
        b.ok('ingest', hl.write_csv(b.h.path('sua.csv'), hlnodes.MANIFEST, rows), '--files',
             b.h.path('scans'))
        b.ok('send', own[0], '--to', '22')
        st = hlnodes.wait_for(
            lambda: next((p for p in b.json('exchange', 'status')['peers']
                          if p['peer'] == '22' and 'fonds-not-held' in (p['last_error'] or '')),
                         None), 60, 'the refusal in the commune\'s status')
        self.assertIn(f'document {own[0]} lies here in fonds VIETHUNG-VB, which 06661 does not '
                      'hold', st['last_error'])
        rej = [x for x in hub.rejects() if x['reason'] == 'fonds-not-held']
        self.assertEqual([x['sender'] for x in rej], ['06661'], rej)
        self.assertEqual(hub.json('show', own[0])['subject'], own[1], 'the record unchanged')

    def test_9_every_server_stops_cleanly(self):
        """SIGTERM after all of the above: each server (and its sender thread) exits 0; under
        the sanitizers no error and no leak is reported."""
        for n in self.nodes:
            if not n.alive():
                n.start()
        time.sleep(0.5)
        for n in self.nodes:
            self.assertEqual(n.stop(), 0, f'{n.unit}: {n.log()[-3000:]}')
            self.assertNotIn('Sanitizer', n.log(), n.unit)
            self.assertNotIn('runtime error', n.log(), n.unit)


class Hostile(unittest.TestCase):
    """Refusals at the hub's inbox: each with its reason in `halong exchange status`, nothing
    applied. The communes' servers are not started: their envelopes are sealed with `halong send
    envelope` and POSTed (or altered) by the test."""

    @classmethod
    def setUpClass(cls):
        cls.hub, cls.a, cls.b = hlnodes.network(('22', '06652', '06661'))

    @classmethod
    def tearDownClass(cls):
        for n in (cls.hub, cls.a, cls.b):
            n.cleanup()

    def post(self, body, ctype='application/json'):
        return self.hub.request('POST', '/api/v1/exchange/inbox', body, {'Content-Type': ctype})

    def put_report(self, node, env=None):
        out = node.ok('send', 'report', report_file(0), '--to', '22', '--json', env=env).out
        return json.loads(out)['id']

    def refused(self, r, status, reason, msg_id=None):
        self.assertEqual(r.status, status, r)
        self.assertEqual(r.json()['error']['reason'], reason, r)
        rej = self.hub.rejects()
        self.assertEqual(rej[0]['reason'], reason, rej[:2])
        if msg_id:
            self.assertEqual(rej[0]['id'], msg_id)
        self.assertEqual(self.hub.applied(), [], 'nothing applied')

    def test_forged_signature(self):
        i = self.put_report(self.a)
        env = json.loads(self.a.ok('send', 'envelope', i).out)
        env['payload']['so'] = 999  # altered in transit; the signature is the sender's
        self.refused(self.post(json.dumps(env, ensure_ascii=False)), 403, 'bad-signature', i)
        st = self.hub.ok('exchange', 'status').out
        self.assertIn('bad-signature', st)

    def test_replay_and_clock_ten_minutes_off(self):
        # a clock 10 minutes ahead: refused whatever the message
        i = self.put_report(self.b)
        env = self.b.ok('send', 'envelope', i,
                        env={'HALONG_EXCHANGE_CLOCK_SHIFT_MS': '600000'}).out.strip()
        self.refused(self.post(env), 422, 'clock-skew', i)
        # an envelope captured 10 minutes ago and replayed now: refused as well
        env = self.b.ok('send', 'envelope', i,
                        env={'HALONG_EXCHANGE_CLOCK_SHIFT_MS': '-600000'}).out.strip()
        self.refused(self.post(env), 422, 'clock-skew', i)
        self.assertIn('clock-skew', self.hub.ok('exchange', 'status').out)

    def test_unknown_and_revoked_node(self):
        stranger = hlnodes.Node('06700')
        try:
            stranger.ok('node', 'enrol', '22', '--url', self.hub.url, '--key', self.hub.key,
                        '--may-receive', 'report')
            stranger.ok('node', 'enrol', '06700', '--url', stranger.url, '--key', stranger.key,
                        '--may-send', 'report')
            i = self.put_report(stranger)
            env = stranger.ok('send', 'envelope', i).out.strip()
            r = self.post(env)
            self.assertEqual((r.status, r.json()['error']['reason']), (403, 'unknown-sender'), r)
            # a unit not in the directory is never written as a sender (its refusal is one of
            # those of no sender: at most one a minute)
            self.assertFalse([x for x in self.hub.rejects() if '06700' in (x['sender'] or '')])
            self.assertEqual(self.hub.applied(), [], 'nothing applied')
        finally:
            stranger.cleanup()

    def test_zz_revoked_node(self):
        # sealed while 06661 was a member; the hub revokes it; then it arrives
        i = self.put_report(self.b)
        env = self.b.ok('send', 'envelope', i).out.strip()
        self.hub.ok('node', 'revoke', '06661')
        self.refused(self.post(env), 403, 'revoked-sender', i)

    def test_tampered_attachment(self):
        doc = hlnodes.ingest_docs(self.a, 'UBND-HATU', 'TAMPER', 1, 50, seed=77)[0]
        i = json.loads(self.a.ok('send', doc[0], '--to', '22', '--json').out)['id']
        env = self.a.ok('send', 'envelope', i).out.strip()
        sha = doc[2]
        with open(hl.blob_path(self.a.h.home, sha), 'rb') as f:
            data = bytearray(f.read())
        data[-20] ^= 0xFF  # one byte changed on the way (the chunk signed as sent)
        h = self.a.upload_headers('22', sha, 0, len(data), bytes(data))
        r = self.hub.request('PUT', f'/api/v1/exchange/attachments/{sha}?offset=0&size='
                             f'{len(data)}', bytes(data), h)
        self.assertEqual(r.status, 422, r)
        self.assertEqual(r.json()['error']['reason'], 'attachment')
        self.assertEqual(self.hub.rejects()[0]['reason'], 'attachment')
        r = self.hub.request('GET', f'/api/v1/exchange/attachments/{sha}', None, h)
        self.assertEqual(r.json(), {'sha256': sha, 'offset': 0, 'complete': False})
        # the envelope then finds its file missing: refused, nothing applied
        self.refused(self.post(env), 422, 'attachment', i)
        r = self.hub.run('show', doc[0])
        self.assertEqual(r.rc, 1, r)
        # a node outside the directory may not upload at all
        r = self.hub.request('PUT', f'/api/v1/exchange/attachments/{sha}?offset=0&size=1',
                             b'x', {'Content-Type': 'application/octet-stream',
                                    'X-Halong-From': '99999'})
        self.assertEqual(r.status, 403, r)

    def test_upload_not_signed_by_its_sender_refused(self):
        """A chunk PUT naming an enrolled node in X-Halong-From is taken only with that node's
        signature over the upload (time within 5 minutes); each refusal is a 403 with its
        reason recorded in the status; the node's own signature is accepted."""
        data = b'Bao cao thang 11 cua phuong Ha Tu\n' * 100
        sha = hashlib.sha256(data).hexdigest()
        path = f'/api/v1/exchange/attachments/{sha}?offset=0&size={len(data)}'
        plain = {'Content-Type': 'application/octet-stream', 'X-Halong-From': '06652'}
        forged = [
            (plain, 'bad-signature'),  # the header alone, as before
            (self.a.upload_headers('22', sha, 0, len(data), data, key_of=self.b),
             'bad-signature'),  # signed with another node's key
            (self.a.upload_headers('22', sha, 0, len(data), data[:-1] + b'x'),
             'bad-signature'),  # signed for other bytes
            (self.a.upload_headers('06661', sha, 0, len(data), data),
             'bad-signature'),  # signed for another recipient
            (self.a.upload_headers('22', sha, 0, len(data), data,
                                   t_ms=int(time.time() * 1000) - 600000),
             'clock-skew'),  # captured 10 minutes ago
            (dict(self.a.upload_headers('22', sha, 0, len(data), data),
                  **{'X-Halong-Time': '-9223372036854775808'}),
             'bad-signature'),  # not a time (the skew would overflow: UBSan watches)
        ]
        for h, reason in forged:
            r = self.hub.request('PUT', path, data, h)
            self.assertEqual(r.status, 403, (reason, r))
            self.assertEqual(r.json()['error']['reason'], reason, r)
            rej = self.hub.rejects()[0]
            # refused before its signature verified: the sender as it claims to be
            self.assertEqual((rej['reason'], rej['sender']), (reason, 'unverified: 06652'),
                             rej)
            self.assertIn(sha[:12], rej['detail'])
            got = self.hub.request('GET', f'/api/v1/exchange/attachments/{sha}', None, plain)
            self.assertEqual(got.json()['offset'], 0, 'nothing of it kept')
        self.assertIn('clock-skew', self.hub.ok('exchange', 'status').out)
        r = self.hub.request('PUT', path, data, self.a.upload_headers('22', sha, 0, len(data),
                                                                      data))
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json(), {'sha256': sha, 'offset': len(data), 'complete': True})

    def test_envelope_of_100_mb_refused_before_it_is_read(self):
        s = socket.create_connection(('127.0.0.1', self.hub.port), timeout=30)
        try:
            s.sendall(b'POST /api/v1/exchange/inbox HTTP/1.1\r\nHost: x\r\n'
                      b'Content-Type: application/json\r\nContent-Length: 104857600\r\n\r\n')
            sent = 0
            chunk = b'{"pad":"' + b'a' * 65536
            answer = b''
            s.settimeout(0.5)
            # Sends until the server answers (or closes): it must not wait for 100 MB.
            while sent < 104857600:
                try:
                    s.sendall(chunk)
                    sent += len(chunk)
                except (BrokenPipeError, ConnectionResetError):
                    break
                try:
                    got = s.recv(4096)
                    if got:
                        answer += got
                        break
                    break
                except socket.timeout:
                    continue
            s.settimeout(30)
            try:
                while b'\r\n\r\n' not in answer:
                    got = s.recv(4096)
                    if not got:
                        break
                    answer += got
            except (ConnectionResetError, socket.timeout):
                pass
        finally:
            s.close()
        self.assertLess(sent, 104857600 // 4, 'refused long before 100 MB were sent')
        self.assertTrue(answer.startswith(b'HTTP/1.1 413') or answer == b'', answer[:200])
        self.assertEqual(self.hub.applied(), [])
        self.assertTrue(self.hub.alive())
        # the refusal is recorded with its reason, as every other
        rej = self.hub.rejects()[0]
        self.assertEqual(rej['reason'], 'too-big', rej)
        self.assertIn('104857600 bytes', rej['detail'])
        self.assertIn('too-big', self.hub.ok('exchange', 'status').out)

        def headers_only(sender):
            """A POST announcing 100 MB, its headers only: the 413 comes before any body."""
            c = socket.create_connection(('127.0.0.1', self.hub.port), timeout=30)
            try:
                c.sendall(b'POST /api/v1/exchange/inbox HTTP/1.1\r\nHost: x\r\n'
                          b'Content-Type: application/json\r\nContent-Length: 104857600\r\n'
                          b'X-Halong-From: ' + sender + b'\r\n\r\n')
                return c.recv(4096)
            finally:
                c.close()

        # A sender not in the directory is not written into the status, and a flood of them
        # adds nothing within the minute; one with a control character in the header is
        # refused (400) before any of that.
        n = len(self.hub.rejects())
        for _ in range(5):
            self.assertTrue(headers_only(b'FORGED-99').startswith(b'HTTP/1.1 413'))
            self.assertTrue(headers_only(b'FORGED\x07-99').startswith(b'HTTP/1.1 400'))
        after = self.hub.rejects()
        self.assertEqual(len(after), n, after[:3])
        self.assertFalse(any('FORGED' in (x.get('sender') or '') for x in after))
        # A node of the directory is named with its refusal, as what it claims to be (nothing
        # is signed yet).
        self.assertTrue(headers_only(b'06652').startswith(b'HTTP/1.1 413'))
        rej = self.hub.rejects()[0]
        self.assertEqual((rej['reason'], rej['sender']), ('too-big', 'unverified: 06652'), rej)

    def test_malformed_and_wrong_type(self):
        # claiming a node of the directory: recorded, as what it claims to be
        self.refused(self.post('{"from":"06652","v":1}'), 400, 'malformed')
        self.assertEqual(self.hub.rejects()[0]['sender'], 'unverified: 06652')
        # claiming nothing: answered the same (recorded at most once a minute with the others
        # of no sender: a flood of them must not push out the real refusals)
        n = len(self.hub.rejects())
        r = self.post('{"v":1}')
        self.assertEqual((r.status, r.json()['error']['reason']), (400, 'malformed'), r)
        self.assertLessEqual(len(self.hub.rejects()), n + 1)
        r = self.post('not json', 'text/plain')
        self.assertEqual(r.status, 415, r)

    def test_zzz_batch_of_good_and_forged(self):
        """A batch (one POST, one transaction): each line answered on its own; the forged one
        refused and recorded, the others applied in order."""
        ids = [self.put_report(self.a) for _ in range(2)]
        env = [self.a.ok('send', 'envelope', i).out.strip() for i in ids]
        forged = json.loads(env[0])
        forged['payload']['so'] = 7
        body = '\n'.join([json.dumps(forged, ensure_ascii=False), env[1], env[0]]) + '\n'
        r = self.hub.request('POST', '/api/v1/exchange/inbox/batch', body,
                             {'Content-Type': 'application/x-ndjson'})
        self.assertEqual(r.status, 200, r)
        self.assertTrue(r.header('Content-Type').startswith('application/x-ndjson'), r)
        res = [json.loads(l) for l in r.body.decode('utf-8').splitlines()]
        self.assertEqual([x['status'] for x in res], [403, 200, 200], res)
        self.assertEqual(res[0]['error']['reason'], 'bad-signature')
        # earlier messages of 06652 never arrived here (the tests above): both are held,
        # stored once, as signed by 06652 — not the forged copy
        self.assertEqual([x['state'] for x in res[1:]], ['held', 'held'])
        self.assertEqual(self.hub.rejects()[0]['reason'], 'bad-signature')
        with self.hub.db() as c:
            rows = dict(c.execute("SELECT id, envelope FROM exchange_inbox WHERE sender = "
                                  "'06652'").fetchall())
        self.assertEqual(sorted(rows), sorted(ids))
        self.assertEqual(json.loads(rows[ids[0]]), json.loads(env[0]))
        self.assertEqual(self.hub.applied(), [], 'nothing applied while the gap is open')
        r = self.hub.request('POST', '/api/v1/exchange/inbox/batch', body,
                             {'Content-Type': 'application/json'})
        self.assertEqual(r.status, 415, r)

    def test_access_level_of_each_document(self):
        """A node that labels public a message whose document is secret or restricted (signed
        with its own key: the signature is valid) is refused access-denied, recorded, nothing
        stored: the inbox reads each document's own level, not only the envelope's."""
        self.put_report(self.a)  # an earlier message: whatever comes next is not applied
        doc = hlnodes.ingest_docs(self.a, 'UBND-HATU', 'NHAN-01', 1, 52, seed=52,
                                  access='public')[0]
        i = json.loads(self.a.ok('send', doc[0], '--to', '22', '--json').out)['id']
        sealed = json.loads(self.a.ok('send', 'envelope', i).out)
        with open(hl.blob_path(self.a.h.home, doc[2]), 'rb') as f:
            data = f.read()
        r = self.hub.request('PUT', f'/api/v1/exchange/attachments/{doc[2]}?offset=0&size='
                             f'{len(data)}', data, self.a.upload_headers('22', doc[2], 0,
                                                                         len(data), data))
        self.assertEqual(r.status, 200, r)
        for level in ('secret', 'restricted'):
            env = json.loads(json.dumps(sealed))
            env['payload']['documents'][0]['access_level'] = level
            r = self.post(self.a.resign(env))
            self.assertEqual(r.status, 403, (level, r))
            self.assertEqual(r.json()['error']['reason'], 'access-denied', r)
            self.assertIn(doc[0], r.json()['error']['message'])
            rej = self.hub.rejects()[0]
            self.assertEqual((rej['reason'], rej['id'], rej['sender']),
                             ('access-denied', i, '06652'), rej)
        with self.hub.db() as c:
            n = c.execute('SELECT count(*) FROM exchange_inbox WHERE id = ?', (i,)).fetchone()[0]
        self.assertEqual(n, 0, 'nothing stored')

    def test_batch_limit_256_envelopes(self):
        """A batch holds at most 256 envelopes, whatever its last line ends with: 256 are taken
        (one message and 255 duplicates of it: one result each), 257 are refused with 413
        too-big before any is read, with or without the final newline. Empty lines are no
        envelopes: 256 envelopes with empty lines between them are taken."""
        # 06661's second message: held here (its first never comes), nothing applied
        self.put_report(self.b)
        env = self.b.ok('send', 'envelope', self.put_report(self.b)).out.strip()
        hdr = {'Content-Type': 'application/x-ndjson', 'X-Halong-From': '06661'}

        def post(n, tail, sep='\n'):
            return self.hub.request('POST', '/api/v1/exchange/inbox/batch',
                                    sep.join([env] * n) + tail, hdr)
        for tail in ('', '\n'):
            r = post(256, tail)
            self.assertEqual(r.status, 200, (tail, r))
            res = [json.loads(l) for l in r.body.decode('utf-8').splitlines()]
            self.assertEqual(len(res), 256)
            self.assertEqual({x['status'] for x in res}, {200})
            self.assertEqual({x['state'] for x in res[1:]}, {'duplicate'})
            self.assertIn(res[0]['state'], ('held', 'duplicate'))
            r = post(257, tail)
            self.assertEqual(r.status, 413, (tail, r))
            self.assertEqual(r.json()['error']['reason'], 'too-big')
            rej = self.hub.rejects()[0]
            self.assertEqual((rej['reason'], rej['sender']), ('too-big', 'unverified: 06661'),
                             rej)
            self.assertIn('257 envelopes', rej['detail'])
        r = post(256, '\n\n', sep='\n\n\n')
        self.assertEqual(r.status, 200, r)
        self.assertEqual(len(r.body.decode('utf-8').splitlines()), 256)
        self.assertEqual(self.hub.applied(), [], 'nothing applied: 06661 has an earlier message')

    def test_zzzz_the_hub_stops_cleanly(self):
        self.assertEqual(self.hub.stop(), 0, self.hub.log()[-3000:])
        self.assertNotIn('Sanitizer', self.hub.log())
        self.assertNotIn('runtime error', self.hub.log())


class ByHand(unittest.TestCase):
    """`halong exchange send` (one delivery pass, no server on the sending node) carries the
    files too."""

    def test_exchange_send_uploads_the_files(self):
        hub, a = hlnodes.network(('22', '06652'))
        try:
            doc = hlnodes.ingest_docs(a, 'UBND-HATU', 'TAY-01', 1, 70, seed=70)[0]
            a.ok('send', doc[0], '--to', '22')
            r = a.run('exchange', 'send')
            self.assertEqual((r.rc, r.out.strip()), (0, 'sent 1, failed 0'), r)
            d = hub.json('show', doc[0])
            self.assertEqual([f['sha256'] for f in d['files']], [doc[2]])
            self.assertEqual(hl.sha256_file(hl.blob_path(hub.h.home, doc[2])), doc[2])
        finally:
            hub.cleanup()
            a.cleanup()


class BigBatches(unittest.TestCase):
    """Envelopes of a few MiB each queued together go in batches the hub takes (a batch body is
    at most 16 MiB): before, the sender put them in one POST of 18 MiB that the hub refused
    (413) at every retry, and none arrived."""

    def test_batches_stay_under_the_peers_limit(self):
        hub, b = hlnodes.network(('22', '06661'))
        try:
            big = 'Báo cáo tiến độ kế hoạch tháng. ' * 190000  # ~6 MiB of UTF-8
            for i in range(3):
                path = hlnodes.tmpfile(json.dumps({'so': i, 'noi_dung': big},
                                                  ensure_ascii=False).encode('utf-8'))
                b.ok('send', 'report', path, '--to', '22')
            b.start()
            hlnodes.wait_for(lambda: len(hub.applied('06661')) == 3, 120,
                             'the three large reports on the hub')
            hlnodes.wait_for(lambda: b.outbox_waiting() == 0, 60, 'their receipts')
            self.assertEqual(hub.rejects(), [])
        finally:
            hub.cleanup()
            b.cleanup()


if __name__ == '__main__':
    unittest.main()
