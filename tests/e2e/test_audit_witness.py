"""The audit log's witness (issue 11, hole 4), on two real nodes: a commune's `audit verify`
signs its log's head and sends it to the province's hub, which keeps it; then a log cut short,
or rewritten with its chain recomputed after the change, no longer passes `audit verify` (the
hub's signed witness page says which entry it witnessed, and when), and the hub refuses the next
head as audit-shortened / audit-rewritten, in its exchange status. Before, `audit verify` said
"chain whole" for both."""
import hashlib
import os
import re
import shutil
import sqlite3
import time
import unittest

import hl
import hlnodes


def netstring(s):
    b = (s or '').encode('utf-8')
    return f'{len(b)}:'.encode() + b + b','


def entry_hash(prev, id_, at, actor, action, obj, detail):
    """hl_store_audit_hash (src/lib/auth/README.md): SHA-256 over the netstrings of prev, id,
    at, actor, action, object and detail."""
    data = b''.join(netstring(x) for x in (prev, str(id_), at, actor, action, obj, detail))
    return hashlib.sha256(data).hexdigest()


def rewrite(home, entry_id, detail, drop=None):
    """What someone with the database file would do: change an entry (and remove entry `drop`),
    recompute the chain after it so that it is whole again, the ids kept."""
    db = sqlite3.connect(os.path.join(home, 'halong.db'))
    if drop is not None:
        db.execute('DELETE FROM audit WHERE id = ?', (drop,))
    rows = db.execute('SELECT id, at, actor, action, object, detail FROM audit ORDER BY id'
                      ).fetchall()
    prev = ''
    for id_, at, actor, action, obj, det in rows:
        if id_ == entry_id:
            det = detail
        h = entry_hash(prev, id_, at, actor, action, obj, det)
        db.execute('UPDATE audit SET detail = ?, prev_hash = ?, hash = ? WHERE id = ?',
                   (det, prev or None, h, id_))
        prev = h
    db.commit()
    db.close()


class Witness(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.hub, cls.commune = hlnodes.network(('22', '06652'))
        cls.commune.start()

    @classmethod
    def tearDownClass(cls):
        for n in (cls.hub, cls.commune):
            n.cleanup()

    def delivered(self, node, timeout=60):
        t0 = time.time()
        while node.outbox_waiting() and time.time() - t0 < timeout:
            time.sleep(0.05)
        self.assertEqual(node.outbox_waiting(), 0, node.log()[-2000:])

    def last_entry(self, node):
        with node.db() as c:
            return c.execute('SELECT max(id) FROM audit').fetchone()[0]

    def verify(self, node, *args):
        return node.run('audit', 'verify', *args)

    def test_1_witnessed_then_cut_then_rewritten(self):
        c = self.commune
        # the first verify signs the head and sends it; the second finds it witnessed
        r = self.verify(c)
        self.assertEqual(r.rc, 0, r)
        self.assertRegex(r.out, r'a head of entry \d+ was signed now')
        self.delivered(c)
        k = self.last_entry(c)  # the head signed by the first verify
        r = self.verify(c)
        self.assertEqual(r.rc, 0, r)
        self.assertIn(f'the hub holds heads up to entry {k} (received ', r.out)
        self.assertIn('audit: ', r.out)
        # the hub's own log has no other witness
        r = self.verify(self.hub)
        self.assertEqual(r.rc, 0, r)
        self.assertIn("this node is the province's hub", r.out)

        # more entries, a newer head: the proof moves forward
        c.ok('units', 'load', '--quiet')  # audited: units.load
        self.assertEqual(self.verify(c).rc, 0)
        self.delivered(c)
        k2 = self.last_entry(c)
        self.assertGreater(k2, k)
        r = self.verify(c)
        self.assertIn(f'heads up to entry {k2} ', r.out)

        # a copy for the rewriting below, before anything is cut
        copy = c.h.path('copy-home')
        shutil.copytree(c.h.home, copy, ignore=shutil.ignore_patterns('serve.log'))

        # cut: the newest entries deleted, the chain still whole by itself
        with sqlite3.connect(os.path.join(c.h.home, 'halong.db')) as db:
            db.execute('DELETE FROM audit WHERE id > ?', (k2 - 2,))
        r = self.verify(c, '--offline')
        self.assertEqual(r.rc, 1, r)
        self.assertIn(f'the audit log was shortened: the province witnessed entry {k2} on', r.err)
        # even with this node's own record of the heads gone too, the hub still knows
        with sqlite3.connect(os.path.join(c.h.home, 'halong.db')) as db:
            db.execute('DELETE FROM audit_head')
        r = self.verify(c, '--offline')
        self.assertEqual(r.rc, 0, r)  # the local record alone is fooled: said so in its line
        self.assertIn("this node's own record only", r.out)
        r = self.verify(c)
        self.assertEqual(r.rc, 1, r)
        self.assertIn(f'the province witnessed entry {k2} on', r.err)
        self.assertEqual(len(r.err.strip().splitlines()), 1, r)
        # the head that verify sent goes back: the hub refuses it, and says so in its status
        t0 = time.time()
        while time.time() - t0 < 60:
            reasons = [x['reason'] for x in self.hub.rejects()]
            if 'audit-shortened' in reasons:
                break
            time.sleep(0.2)
        self.assertIn('audit-shortened', reasons)
        # grown back to the witnessed length with other entries: the same entry, another
        # hash, refused as rewritten
        for name in ('a.viewer', 'b.viewer'):
            c.ok('user', 'add', name, '--role', 'viewer', '--unit', '06652',
                 input=b'mat-khau-rat-dai-2025\n')
        self.assertEqual(self.last_entry(c), k2)
        r = self.verify(c)
        self.assertEqual(r.rc, 1, r)
        t0 = time.time()
        while time.time() - t0 < 60:
            reasons = [x['reason'] for x in self.hub.rejects()]
            if 'audit-rewritten' in reasons:
                break
            time.sleep(0.2)
        self.assertIn('audit-rewritten', reasons)

        # rewritten: an old entry changed, every hash after it recomputed: whole, yet not the
        # log the hub witnessed
        copy2 = c.h.path('copy-home-2')
        shutil.copytree(copy, copy2)
        rewrite(copy, 1, 'nothing happened here')
        r = hl.run(('audit', 'verify', '--offline'), home=copy)
        self.assertEqual(r.rc, 1, r)
        # the first witnessed head at or after the change is the one named
        self.assertRegex(r.err, rf'audit entry {k} is not the one the province witnessed on '
                                r'.*: the log was rewritten at or before it')
        # the newest witnessed entry removed, an entry after the older head changed, the chain
        # recomputed with the ids kept, more entries after it: said whole and witnessed up
        # to k2 before (a point was checked only when an entry of its id was there)
        copy3 = c.h.path('copy-home-3')
        shutil.copytree(copy2, copy3)
        r = hl.run(('user', 'add', 'c.viewer', '--role', 'viewer', '--unit', '06652'),
                   home=copy3, input=b'mat-khau-rat-dai-2025\n')
        self.assertEqual(r.rc, 0, r)
        rewrite(copy3, k + 1, 'nothing happened here', drop=k2)
        r = hl.run(('audit', 'verify', '--offline'), home=copy3)
        self.assertEqual(r.rc, 1, r)
        self.assertRegex(r.err, rf'audit entry {k2}, which the province witnessed on .*, is '
                                r'missing \(removed\)')
        # a chain that is broken, not recomputed, is caught by the chain itself, as before
        with sqlite3.connect(os.path.join(copy2, 'halong.db')) as db:
            db.execute("UPDATE audit SET detail = 'x' WHERE id = 3")
        r = hl.run(('audit', 'verify', '--offline'), home=copy2)
        self.assertEqual(r.rc, 1, r)
        self.assertIn('audit entry 3 is broken', r.err)

    def test_2_a_forged_or_misaddressed_head_is_refused(self):
        # a head of another node's log, or to a node that is not the hub, never passes:
        # the commune's outbox refuses to send a head elsewhere than the hub
        r = self.commune.run('audit', 'verify', '--offline')
        self.assertIn(r.rc, (0, 1), r)
        with self.commune.db() as c:
            types = {t for (t,) in c.execute('SELECT DISTINCT type FROM exchange_outbox')}
        self.assertIn('audit.head', types)
        with self.commune.db() as c:
            to = {t for (t,) in c.execute(
                "SELECT DISTINCT recipient FROM exchange_outbox WHERE type = 'audit.head'")}
        self.assertEqual(to, {'22'})
        # the hub's witness page is signed and about the unit asked; a unit with nothing
        # witnessed gets an empty list
        r = self.hub.request('GET', '/api/v1/exchange/witness/06661')
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()['page']['heads'], [])
        self.assertEqual(r.json()['page']['hub'], '22')
        r = self.hub.request('GET', '/api/v1/exchange/witness/bad%20unit')
        self.assertEqual(r.status, 400, r)
        # a commune witnesses no one
        r = self.commune.request('GET', '/api/v1/exchange/witness/06652')
        self.assertEqual(r.status, 404, r)


class RewrittenLive(unittest.TestCase):
    """The hub notices a rewritten log by itself: each head carries the node's earlier head as
    its log reads now ("since"), and the hub compares it with what it witnessed. Nobody runs
    `audit verify` here: the server's thread sends the heads. Before, the hub took a rewritten
    log's next head without a word as long as it was longer."""

    @classmethod
    def setUpClass(cls):
        cls.hub, cls.commune = hlnodes.network(('22', '06652'))
        cls.commune.start(env={'HALONG_AUDIT_ANCHOR_MS': '200'})

    @classmethod
    def tearDownClass(cls):
        for n in (cls.hub, cls.commune):
            n.cleanup()

    def witnessed(self):
        with self.hub.db() as h:
            return h.execute("SELECT max(entry_id) FROM audit_witness WHERE unit = '06652'"
                             ).fetchone()[0] or 0

    def last_entry(self):
        with self.commune.db() as c:
            return c.execute('SELECT max(id) FROM audit').fetchone()[0]

    def wait(self, cond, what, timeout=60):
        t0 = time.time()
        while time.time() - t0 < timeout:
            v = cond()
            if v:
                return v
            time.sleep(0.1)
        self.fail(f'{what} within {timeout} s; commune log: ' + self.commune.log()[-1500:])

    def test_rewritten_and_grown_is_an_alarm_at_the_hub(self):
        c = self.commune
        c.ok('units', 'load', '--quiet')
        k = self.last_entry()
        self.wait(lambda: self.witnessed() >= k, f'the hub witnessing entry {k}')
        k = self.witnessed()
        # a second head, normal: no alarm (its "since" is the first as it still reads)
        c.ok('user', 'add', 'a.viewer', '--role', 'viewer', '--unit', '06652',
             input=b'mat-khau-rat-dai-2025\n')
        self.wait(lambda: self.witnessed() > k, 'a second head witnessed')
        self.assertNotIn('audit-rewritten', [x['reason'] for x in self.hub.rejects()])
        k = self.witnessed()

        # rewritten on the live node, the chain recomputed, then the log grows
        rewrite(c.h.home, 1, 'nothing happened here')
        c.ok('user', 'add', 'b.viewer', '--role', 'viewer', '--unit', '06652',
             input=b'mat-khau-rat-dai-2025\n')
        rejects = self.wait(lambda: [x for x in self.hub.rejects()
                                     if x['reason'] == 'audit-rewritten'],
                            'the hub refusing the next head as audit-rewritten')
        self.assertIn(f'entry {k} of 06652\'s audit log, witnessed here at ', rejects[0]['detail'])
        self.assertIn('has another hash now', rejects[0]['detail'])
        # the head was not kept, and the alarm is in the hub's own audit log too (the refusals
        # keep only the newest 1,000; the audit log keeps everything)
        self.assertEqual(self.witnessed(), k)
        with self.hub.db() as h:
            alarms = h.execute("SELECT object, detail FROM audit WHERE action = 'audit.alarm'"
                               ).fetchall()
        self.assertEqual(len(alarms), 1, alarms)
        self.assertEqual(alarms[0][0], '06652')
        self.assertTrue(alarms[0][1].startswith('audit-rewritten: entry '), alarms)
        self.assertEqual(self.hub.run('audit', 'verify').rc, 0)


if __name__ == '__main__':
    unittest.main()
