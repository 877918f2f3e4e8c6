"""Sending records to another unit over the API (POST /api/v1/exchange/send, the outbox, a
message's state, the peers), between three real nodes — the province's hub (22) and the
communes Phường Hà Tu (06652) and Phường Việt Hưng (06661) — each a real `halong serve` with its
own data directory on 127.0.0.1 (tests/e2e/hlnodes.py).

A document and a dossier sent over the API from the hub arrive in the commune's archive with their
files and provenance; the rules of the library hold on this path: a secret record never leaves
(404, the same answer as a missing one, saying why), a restricted one only to a unit the
directory marks restricted, a record the caller cannot see is 404, a record of a fonds the caller's
unit does not hold is 403; viewers and anonymous callers are refused; a session needs its CSRF
token; bad bodies answer 400 naming the field."""
import os
import unittest

import hl
import hlnodes
import hlserve
import test_openapi

PASS = 'mat-khau-luu-tru-2025'
# name -> (role, unit) on the hub
USERS = {'luutru': ('archivist', '22'),
         'vanthu': ('officer', '22'),
         'thanhtra': ('inspector', '22'),
         'xem': ('viewer', '22'),
         'vanthu.hatu': ('officer', '06652')}


class SendOverApi(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.hub, cls.a, cls.b = hlnodes.network(('22', '06652', '06661'))
        cls.nodes = (cls.hub, cls.a, cls.b)
        try:
            # 06661 may hold restricted records; the communes import the new directory.
            cls.hub.ok('node', 'enrol', '06661', '--url', cls.b.url, '--key', cls.b.key,
                       '--may-send', hlnodes.COMMUNE_SEND, '--may-receive',
                       hlnodes.COMMUNE_RECV, '--restricted')
            hlnodes.publish(cls.hub, (cls.a, cls.b))
            cls.a.start()
            cls.b.start()
            cls.hub.ok('units', 'load', '--quiet')
            cls.tokens = {}
            for name, (role, unit) in USERS.items():
                cls.hub.ok('user', 'add', name, '--role', role, '--unit', unit,
                           input=(PASS + '\n').encode())
                cls.tokens[name] = cls.hub.ok('user', 'token', name).out.strip().splitlines()[-1]
            h = cls.hub
            cls.internal = hlnodes.ingest_docs(h, 'UBND-TINH', 'CV-2025-07', 2, 30, seed=3)
            cls.dossier = hlnodes.ingest_docs(h, 'UBND-TINH', 'HS-2025-014', 3, 40, seed=4,
                                              access='public')
            cls.secret = hlnodes.ingest_docs(h, 'UBND-TINH', 'MAT-01', 1, 50, seed=5,
                                             access='secret')
            cls.restricted = hlnodes.ingest_docs(h, 'UBND-TINH', 'HC-01', 1, 60, seed=6,
                                                 access='restricted')
            # a fonds held by Phường Hà Tu (its creator), kept on the hub
            cls.hatu = hlnodes.ingest_docs(h, 'HATU-VB', 'CV-01', 1, 70, seed=7)
            h.ok('fonds', 'set', 'HATU-VB', '--creator', '06652', '--name', 'UBND phường Hà Tu')
        except Exception:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        for n in cls.nodes:
            n.cleanup()

    def setUp(self):
        for n in self.nodes:
            if not n.alive():
                n.start()

    def as_(self, name=None):
        return hlserve.Client(self.hub.port, token=self.tokens[name] if name else None)

    def send(self, who, body, **kw):
        return self.as_(who).post('/api/v1/exchange/send', body, **kw)

    def assertError(self, r, status, *words):
        self.assertEqual(r.status, status, r)
        e = r.json()['error']
        self.assertEqual(e['status'], status)
        for w in words:
            self.assertIn(w, e['message'])
        return e['message']

    def wait_arrived(self, node, doc_id):
        try:
            return hlnodes.wait_for(lambda: node.run('show', doc_id, '--json').rc == 0, 120,
                                    f'{doc_id} in {node.unit}')
        except AssertionError as e:
            # what the sender and the receiver say, for the reader of the failure
            inc = os.path.join(node.h.home, 'exchange', 'incoming')
            files = sorted((f, os.path.getsize(os.path.join(inc, f)))
                           for f in os.listdir(inc)) if os.path.isdir(inc) else []
            raise AssertionError(f'{e}; {node.unit} incoming files: {files}; '
                                 f'hub outbox: {self.hub.run("exchange", "outbox").out}; '
                                 f'hub status: {self.hub.run("exchange", "status").out}; '
                                 f'{node.unit} status: {node.run("exchange", "status").out}; '
                                 f'{node.unit} log: {node.log()[-1500:]}') from None

    def delivered(self, msg_id):
        r = self.as_('luutru').get(f'/api/v1/exchange/messages/{msg_id}')
        return r.status == 200 and r.json()['state'] == 'delivered'

    # ---- sending ----
    def test_1_a_document_arrives_with_its_file_and_provenance(self):
        doc_id, subject, sha = self.internal[0]
        r = self.send('luutru', {'documents': [doc_id], 'to': '06652'})
        self.assertEqual(r.status, 201, r)
        j = r.json()
        self.assertEqual((j['to'], j['state'], j['documents']), ('06652', 'waiting', [doc_id]))
        self.assertEqual(j['ids'], [j['id']])
        self.assertEqual(len(j['id']), 36)
        self.assertEqual(r.header('Location'), f'/api/v1/exchange/messages/{j["id"]}')
        self.wait_arrived(self.a, doc_id)
        d = self.a.json('show', doc_id)
        self.assertEqual(d['subject'], subject)
        self.assertEqual([f['sha256'] for f in d['files']], [sha])
        self.assertEqual(hl.sha256_file(hl.blob_path(self.a.h.home, sha)), sha)
        self.assertIn(f'Nhận qua liên thông từ 22, thư {j["id"]}', d['notes'])
        hlnodes.wait_for(lambda: self.delivered(j['id']), 60, 'the message marked delivered')
        # the audit names the user who sent it
        with self.hub.db() as c:
            actors = [a for a, in c.execute("SELECT actor FROM audit WHERE action = "
                                            "'exchange.send' AND object = ?", (doc_id,))]
        self.assertIn('luutru', actors)
        # the other commune received nothing
        self.assertNotEqual(self.b.run('show', doc_id, '--json').rc, 0)

    def test_2_a_dossier_over_a_session_with_csrf(self):
        c = hlserve.Client(self.hub.port)
        self.assertEqual(c.login('vanthu', PASS).status, 200)
        body = {'dossier': 'UBND-TINH/HS-2025-014', 'to': '06661'}
        r = c.post('/api/v1/exchange/send', body, csrf=False)
        self.assertError(r, 403)
        self.assertIn('csrf', r.json()['error']['message'].lower())
        r = c.post('/api/v1/exchange/send', body)
        self.assertEqual(r.status, 201, r)
        j = r.json()
        self.assertEqual(j['dossier'], 'UBND-TINH/HS-2025-014')
        self.assertEqual(sorted(j['documents']), sorted(d for d, _, _ in self.dossier))
        for doc_id, subject, sha in self.dossier:
            self.wait_arrived(self.b, doc_id)
            d = self.b.json('show', doc_id)
            self.assertEqual((d['subject'], [f['sha256'] for f in d['files']]), (subject, [sha]))
        # one message for the whole dossier
        with self.b.db() as db:
            n = db.execute("SELECT count(*) FROM exchange_inbox WHERE id = ?",
                           (j['id'],)).fetchone()[0]
        self.assertEqual(n, 1)

    def test_3_restricted_only_to_a_restricted_unit(self):
        doc_id = self.restricted[0][0]
        msg = self.assertError(self.send('luutru', {'documents': [doc_id], 'to': '06652'}),
                               403, doc_id, 'restricted', '06652')
        self.assertNotIn('secret', msg)
        r = self.send('luutru', {'documents': [doc_id], 'to': '06661'})
        self.assertEqual(r.status, 201, r)
        self.wait_arrived(self.b, doc_id)
        self.assertEqual(self.b.json('show', doc_id)['access_level'], 'restricted')
        self.assertNotEqual(self.a.run('show', doc_id, '--json').rc, 0)
        # an officer (ceiling internal) cannot see it: 404 as a missing one
        self.assertError(self.send('vanthu', {'documents': [doc_id], 'to': '06661'}), 404,
                         doc_id)

    def test_4_secret_never_leaves_and_does_not_leak(self):
        doc_id = self.secret[0][0]
        secret = self.assertError(self.send('luutru', {'documents': [doc_id], 'to': '06661'}),
                                  404, doc_id, 'secret')
        nope = hl.doc_id('UBND-TINH', 'MAT-01', 99)
        missing = self.assertError(
            self.send('luutru', {'documents': [nope], 'to': '06661'}), 404)
        self.assertEqual(secret.replace(doc_id, 'X'), missing.replace(nope, 'X'),
                         'a secret document answers as a missing one')
        # its dossier holds nothing that may be sent
        self.assertError(self.send('luutru', {'dossier': 'UBND-TINH/MAT-01', 'to': '06661'}),
                         404, 'MAT-01')
        with self.hub.db() as c:
            n = c.execute("SELECT count(*) FROM exchange_outbox WHERE body LIKE ?",
                          (f'%{doc_id}%',)).fetchone()[0]
        self.assertEqual(n, 0, 'nothing of the secret document in the outbox')

    def test_5_who_may_send(self):
        doc_id = self.internal[1][0]
        body = {'documents': [doc_id], 'to': '06652'}
        self.assertError(self.send(None, body), 401)
        self.assertError(self.send('xem', body), 403)
        self.assertError(self.send('thanhtra', body), 403)
        # a commune's officer does not see the province's internal record...
        self.assertError(self.send('vanthu.hatu', body), 404, doc_id)
        # ...sees a public one but does not hold it
        pub = self.dossier[0][0]
        self.assertError(self.send('vanthu.hatu', {'documents': [pub], 'to': '06652'}), 403,
                         'UBND-TINH', 'does not hold')
        # and sends what its unit holds
        own = self.hatu[0][0]
        r = self.send('vanthu.hatu', {'documents': [own], 'to': '06661'})
        self.assertEqual(r.status, 201, r)
        self.wait_arrived(self.b, own)

    def test_6_bad_bodies_name_the_field(self):
        doc_id = self.internal[1][0]
        c = self.as_('luutru')
        r = c.post('/api/v1/exchange/send', '{"documents": [', headers={
            'Content-Type': 'application/json'})
        self.assertError(r, 400)
        r = c.post('/api/v1/exchange/send', 'documents=x', headers={
            'Content-Type': 'application/x-www-form-urlencoded'})
        self.assertEqual(r.status, 415, r)
        self.assertIn('"to"', self.assertError(self.send('luutru', {'documents': [doc_id]}), 400))
        for to in ('99999', '../x', ''):
            msg = self.assertError(self.send('luutru', {'documents': [doc_id], 'to': to}), 400)
            self.assertTrue(msg.startswith('to:'), msg)
        self.assertIn('not in the exchange directory',
                      self.send('luutru', {'documents': [doc_id], 'to': '99999'}).json()
                      ['error']['message'])
        self.assertTrue(self.assertError(self.send('luutru', {'documents': [doc_id], 'to': '22'}),
                                         400, 'own').startswith('to:'))
        for body in ({'to': '06652'}, {'documents': [], 'to': '06652'},
                     {'documents': 'x', 'to': '06652'}, {'documents': [1], 'to': '06652'},
                     {'documents': [doc_id, doc_id], 'to': '06652'},
                     {'documents': [doc_id], 'dossier': 'UBND-TINH/CV-2025-07', 'to': '06652'}):
            msg = self.assertError(self.send('luutru', body), 400)
            self.assertTrue(msg.startswith('documents'), (body, msg))
        msg = self.assertError(self.send('luutru', {'dossier': 'UBND-TINH', 'to': '06652'}), 400)
        self.assertTrue(msg.startswith('dossier'), msg)
        with self.hub.db() as db:
            n = db.execute("SELECT count(*) FROM exchange_outbox WHERE body LIKE ?",
                           (f'%{doc_id}%',)).fetchone()[0]
        self.assertEqual(n, 0, 'no bad request put anything in the outbox')

    # ---- following it ----
    def test_7_outbox_while_a_commune_is_down(self):
        self.a.kill()
        doc_id = self.internal[1][0]
        r = self.send('luutru', {'documents': [doc_id], 'to': '06652'})
        self.assertEqual(r.status, 201, r)
        msg = r.json()['id']

        def waiting_with_error():
            o = self.as_('thanhtra').get('/api/v1/exchange/outbox?peer=06652')
            items = o.json()['items'] if o.status == 200 else []
            return [m for m in items if m['id'] == msg and m['attempts'] >= 1] or None
        m = hlnodes.wait_for(waiting_with_error, 60, 'a failed attempt in the outbox')[0]
        self.assertEqual((m['to'], m['type']), ('06652', 'document'))
        self.assertTrue(m['last_error'], m)
        self.assertIsNotNone(m['next_attempt'])
        # filtered by peer; the same for an officer
        o = self.as_('vanthu').get('/api/v1/exchange/outbox?peer=06661')
        self.assertEqual(o.status, 200, o)
        self.assertNotIn(msg, [x['id'] for x in o.json()['items']])
        o = self.as_('vanthu').get('/api/v1/exchange/outbox')
        self.assertIn(msg, [x['id'] for x in o.json()['items']])
        s = self.as_('luutru').get(f'/api/v1/exchange/messages/{msg}').json()
        self.assertEqual((s['state'], s['to']), ('waiting', '06652'))
        self.assertGreaterEqual(s['attempts'], 1)
        self.assertTrue(s['last_error'] and s['last_error'] != '(not shown)', s)
        # an officer of another unit with an account on the hub sees the attempt, not the
        # peer's answer (it can name documents of other senders)
        o = self.as_('vanthu.hatu').get('/api/v1/exchange/outbox?peer=06652')
        x = next(x for x in o.json()['items'] if x['id'] == msg)
        self.assertEqual(x['last_error'], '(not shown)', x)
        s = self.as_('vanthu.hatu').get(f'/api/v1/exchange/messages/{msg}').json()
        self.assertEqual(s['last_error'], '(not shown)', s)
        self.assertError(self.as_('xem').get('/api/v1/exchange/outbox'), 403)
        self.assertError(self.as_(None).get('/api/v1/exchange/outbox'), 401)
        self.assertError(self.as_('luutru').get('/api/v1/exchange/outbox?peer='), 400, 'peer')
        self.assertError(self.as_('luutru').get('/api/v1/exchange/messages/nope'), 404)
        # the commune back: delivered, gone from the outbox (the backoff may wait a few s)
        self.a.start()
        self.wait_arrived(self.a, doc_id)
        hlnodes.wait_for(lambda: self.delivered(msg), 120, 'delivered after the restart')
        o = self.as_('luutru').get('/api/v1/exchange/outbox?peer=06652')
        self.assertNotIn(msg, [x['id'] for x in o.json()['items']])

    def test_8_peers(self):
        r = self.as_('vanthu').get('/api/v1/exchange/peers')
        self.assertEqual(r.status, 200, r)
        j = r.json()
        self.assertEqual(j['node'], '22')
        by = {p['unit']: p for p in j['items']}
        self.assertEqual(sorted(by), ['06652', '06661', '22'])
        self.assertEqual(by['06652']['name'], 'Phường Hà Tu')
        self.assertEqual(by['06661']['name'], 'Phường Việt Hưng')
        self.assertTrue(by['22']['self'])
        self.assertFalse(by['06652']['self'])
        self.assertTrue(by['06661']['restricted'])
        self.assertFalse(by['06652']['restricted'])
        self.assertTrue(by['06652']['may_receive'])
        self.assertEqual(by['06652']['public_key'], self.a.key)
        self.assertNotIn(b'secret', r.body.lower())
        with open(os.path.join(self.hub.h.home, 'keys', 'node.key'), 'rb') as f:
            key = f.read().strip()
        self.assertNotIn(key, r.body)
        self.assertError(self.as_(None).get('/api/v1/exchange/peers'), 401)
        self.assertError(self.as_('xem').get('/api/v1/exchange/peers'), 403)

    def test_9_answers_match_openapi(self):
        """The real answers of these endpoints, good and bad, against docs/openapi.json."""
        doc = test_openapi.load()
        sent = self.send('luutru', {'documents': [self.internal[0][0]], 'to': '06661'})
        calls = [(sent, 'POST', '/api/v1/exchange/send'),
                 (self.send('xem', {'documents': ['x'], 'to': '06652'}), 'POST',
                  '/api/v1/exchange/send'),
                 (self.send('luutru', {'documents': ['x'], 'to': '06652'}), 'POST',
                  '/api/v1/exchange/send'),
                 (self.send('luutru', {'to': 'nope!'}), 'POST', '/api/v1/exchange/send')]
        for who, path in (('thanhtra', '/api/v1/exchange/outbox'),
                          ('vanthu', '/api/v1/exchange/outbox?peer=06652'),
                          (None, '/api/v1/exchange/outbox'),
                          ('vanthu', '/api/v1/exchange/peers'),
                          ('luutru', f'/api/v1/exchange/messages/{sent.json()["id"]}'),
                          ('luutru', '/api/v1/exchange/messages/' + '0' * 36)):
            calls.append((self.as_(who).get(path), 'GET', path))
        statuses = set()
        for r, method, path in calls:
            tpl, op = test_openapi.operation(doc, method, path)
            self.assertIsNotNone(op, f'{method} {path} is not in openapi.json')
            resp = op['responses'].get(str(r.status))
            self.assertIsNotNone(resp, f'{method} {path}: {r.status} not described: {r!r}')
            if '$ref' in resp:
                resp = doc['components']['responses'][resp['$ref'].rsplit('/', 1)[1]]
            schema = resp['content']['application/json']['schema']
            errs = test_openapi.check(schema, r.json(), doc)
            self.assertEqual(errs, [], f'{method} {path} ({r.status}): {errs[:5]}')
            statuses.add(r.status)
        self.assertEqual(statuses, {200, 201, 400, 401, 403, 404})
        # the message's two states validate too: wait for the delivered one
        hlnodes.wait_for(lambda: self.delivered(sent.json()['id']), 60, 'delivered')
        r = self.as_('luutru').get(f'/api/v1/exchange/messages/{sent.json()["id"]}')
        self.assertEqual(test_openapi.check({'$ref': '#/components/schemas/MessageState'},
                                            r.json(), doc), [])


if __name__ == '__main__':
    unittest.main()
