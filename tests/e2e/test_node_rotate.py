"""Rotating a commune node's key (`halong node rotate-key`) on a real network of two nodes: the
old key kept, the store and the audit log naming the new one, the running server signing with
the new key without a restart, messages waiting (refused by the hub) until the hub re-enrols the
node, then delivered exactly once; an interrupted rotation finished by the next start; the hub's
own key refused."""
import json
import os
import sqlite3
import unittest

import hlnodes


class Rotate(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.hub, cls.a = hlnodes.network(('22', '06652'))
        try:
            cls.a.start()
        except Exception:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        for n in (cls.hub, cls.a):
            n.cleanup()

    def docs(self, node, to, state):
        """Messages of type document from node to `to` in `state` (the audit log's heads go to
        the hub too, and wait for the new key just the same)."""
        with node.db() as c:
            return c.execute("SELECT count(*) FROM exchange_outbox WHERE recipient = ? AND"
                             " type = 'document' AND state = ?", (to, state)).fetchone()[0]

    def test_1_rotate_then_reenrol(self):
        a, hub = self.a, self.hub
        first = hlnodes.ingest_docs(a, 'UBND-HATU', 'CV-2025-01', 1, 10, seed=1)
        a.ok('send', first[0][0], '--to', '22')
        hlnodes.wait_for(lambda: self.docs(a, '22', 'delivered') == 1, 60, 'the first delivery')
        old = a.key

        out = a.json('node', 'rotate-key')
        new = out['public_key']
        self.assertNotEqual(new, old)
        self.assertEqual(a.json('node', 'show')['public_key'], new)
        keys = sorted(os.listdir(os.path.join(a.h.home, 'keys')))
        retired = [k for k in keys if k.startswith('node.key.retired-')]
        self.assertEqual(len(retired), 1, keys)
        self.assertNotIn('node.key.next', keys)
        for k in ('node.key', retired[0]):
            self.assertEqual(os.stat(os.path.join(a.h.home, 'keys', k)).st_mode & 0o777, 0o600, k)
        self.assertIn('chain whole', a.ok('audit', 'verify').out)
        log = a.ok('audit', 'list').out
        self.assertIn('node.rotate_key', log)
        self.assertIn(new, log)

        # the running server signs with the new key: the hub refuses it, and it waits
        second = hlnodes.ingest_docs(a, 'UBND-HATU', 'CV-2025-02', 1, 11, seed=2)
        a.ok('send', second[0][0], '--to', '22')
        hlnodes.wait_for(lambda: hub.rejects(), 60, "the hub's refusal of the new key")
        self.assertEqual(self.docs(a, '22', 'delivered'), 1)
        self.assertEqual(self.docs(a, '22', 'waiting'), 1)

        # the hub re-enrols the node with its new key: the waiting message goes, once
        hub.ok('node', 'enrol', '06652', '--url', a.url, '--key', new, '--may-send',
               hlnodes.COMMUNE_SEND, '--may-receive', hlnodes.COMMUNE_RECV)
        hlnodes.wait_for(lambda: self.docs(a, '22', 'delivered') == 2, 120, 'the delivery under the new key')
        hlnodes.wait_for(lambda: a.outbox_waiting() == 0, 60, 'an empty outbox')
        msgs = [m for _, _, t, m in hub.applied('06652') if t == 'document']
        self.assertEqual(len(msgs), 2, msgs)
        self.assertEqual(len(set(msgs)), 2, msgs)
        for doc_id, subject, _ in first + second:
            self.assertIn(subject, hub.ok('show', doc_id).out)

    def test_2_an_interrupted_rotation_is_finished(self):
        """A stop after the store took the new key and before the file did: the next open
        puts keys/node.key.next in place."""
        n = hlnodes.Node('06661')
        try:
            keys = os.path.join(n.h.home, 'keys')
            # a second node's key stands for the new one: its public half into the store
            other = hlnodes.Node('06662')
            try:
                with open(os.path.join(other.h.home, 'keys', 'node.key'), 'rb') as f:
                    data = f.read()
            finally:
                other.cleanup()
            fd = os.open(os.path.join(keys, 'node.key.next'), os.O_WRONLY | os.O_CREAT, 0o600)
            os.write(fd, data)
            os.close(fd)
            with sqlite3.connect(os.path.join(n.h.home, 'halong.db')) as c:
                c.execute('UPDATE exchange_self SET public_key = ?', (other.key,))
            shown = n.json('node', 'show')
            self.assertEqual(shown['public_key'], other.key)
            names = os.listdir(keys)
            self.assertNotIn('node.key.next', names)
            self.assertTrue(any(k.startswith('node.key.retired-') for k in names), names)
            with open(os.path.join(keys, 'node.key'), 'rb') as f:
                self.assertEqual(f.read(), data)
        finally:
            n.cleanup()

    def test_3_the_hub_key_is_not_rotated_here(self):
        r = self.hub.run('node', 'rotate-key')
        self.assertEqual(r.rc, 1, r)
        self.assertIn('issues the directory', r.err)
        self.assertEqual(self.hub.json('node', 'show')['public_key'], self.hub.key)
        self.assertEqual(sorted(os.listdir(os.path.join(self.hub.h.home, 'keys'))), ['node.key'])

    def test_3b_a_lost_key(self):
        n = hlnodes.Node('06664')
        try:
            r = n.run('node', 'rotate-key', '--lost')
            self.assertEqual(r.rc, 1, r)
            self.assertIn('not lost', r.err)
            os.unlink(os.path.join(n.h.home, 'keys', 'node.key'))
            r = n.run('node', 'show')
            self.assertEqual(r.rc, 1, r)
            new = n.json('node', 'rotate-key', '--lost')['public_key']
            self.assertNotEqual(new, n.key)
            self.assertEqual(n.json('node', 'show')['public_key'], new)
            self.assertIn('(lost)', n.ok('audit', 'list').out)
            self.assertIn('chain whole', n.ok('audit', 'verify').out)
        finally:
            n.cleanup()

    def test_4_a_node_without_identity(self):
        n = hlnodes.Node('06663')
        try:
            with sqlite3.connect(os.path.join(n.h.home, 'halong.db')) as c:
                c.execute('DELETE FROM exchange_self')
            r = n.run('node', 'rotate-key')
            self.assertEqual(r.rc, 1, r)
            self.assertIn('no identity', r.err)
        finally:
            n.cleanup()


if __name__ == '__main__':
    unittest.main()


class HubBackAfterOutage(unittest.TestCase):
    """The hub down: a commune's messages wait with their backoff; once it is back, `exchange
    send` alone leaves those whose retry is not due, `--now` sends them, once."""

    def test_flush_with_now(self):
        hub, a = hlnodes.network(('22', '06652'))
        try:
            hub.stop()
            hlnodes.ingest_docs(a, 'UBND-HATU', 'CV-2025-01', 2, 10, seed=1)
            a.ok('send', 'dossier', 'UBND-HATU/CV-2025-01', '--to', '22')
            r = a.run('exchange', 'send')
            self.assertEqual(r.rc, 3, r)
            self.assertIn('failed 1', r.out)
            st = {p['peer']: p for p in a.json('exchange', 'status')['peers']}
            self.assertEqual(st['22']['waiting'], 1)
            self.assertIn("Couldn't connect", st['22']['last_error'])
            hub.start()
            # a backoff far from over: the plain pass leaves it
            with sqlite3.connect(os.path.join(a.h.home, 'halong.db')) as c:
                c.execute("UPDATE exchange_outbox SET next_attempt_ms = next_attempt_ms + 3600000"
                          " WHERE state = 'waiting'")
            self.assertEqual(a.json('exchange', 'send'), {'sent': 0, 'failed': 0})
            self.assertEqual(a.json('exchange', 'send', '--now'), {'sent': 1, 'failed': 0})
            self.assertEqual(a.outbox_waiting(), 0)
            self.assertEqual(len([m for _, _, t, m in hub.applied('06652') if t == 'document']),
                             1)
        finally:
            hub.cleanup()
            a.cleanup()


class BackupsAcrossARotation(unittest.TestCase):
    """A target that holds a node's signed backups learns its new key from the retired key's
    endorsement: the next backup is taken, and the earlier ones still verify, against the
    target's record or the expected new key; a forged endorsement is refused."""

    def test_backups_before_and_after(self):
        n = hlnodes.Node('06665')
        target = os.path.join(n.h.tmp, 'bk')
        try:
            hlnodes.ingest_docs(n, 'UBND-HATU', 'CV-2025-01', 1, 10, seed=1)
            first = n.json('backup', '--to', target)
            old = n.key
            new = n.json('node', 'rotate-key')['public_key']
            second = n.json('backup', '--to', target)
            with open(os.path.join(target, 'node.pub')) as f:
                self.assertEqual(f.read().strip(), new)
            with open(os.path.join(target, 'node.pub.rotations')) as f:
                rows = [line.split() for line in f.read().splitlines()]
            self.assertEqual([r[:2] for r in rows], [[old, new]])
            names = [b['backup'] for b in n.json('backup', 'list', target)['backups']]
            self.assertEqual(len(names), 2, names)
            for name in names:
                b = os.path.join(target, name)
                n.ok('backup', 'verify', b)
                n.ok('backup', 'verify', b, '--expect-key', new)
            # the old key alone does not vouch for the new backup
            r = n.run('backup', 'verify', os.path.join(target, names[1]), '--expect-key', old)
            self.assertEqual(r.rc, 1, r)
            # a forged endorsement: the earlier backup no longer verifies
            sig = rows[0][2]
            forged = ('A' if sig[0] != 'A' else 'B') + sig[1:]
            with open(os.path.join(target, 'node.pub.rotations'), 'w') as f:
                f.write(f'{old} {new} {forged}\n')
            r = n.run('backup', 'verify', os.path.join(target, names[0]))
            self.assertEqual(r.rc, 1, r)
            self.assertIn('signature', r.out + r.err)
            self.assertTrue(first and second)
        finally:
            n.cleanup()


class DirectoryCheck(unittest.TestCase):
    """`doctor`'s `directory` check: the hub issues one, a commune holds the hub's, a commune
    that trusts a hub but holds none is not ready (it can send to no one)."""

    def line(self, node, name='directory'):
        r = node.run('doctor')
        return r.rc, next(l for l in r.out.splitlines() if l.split()[1:2] == [name])

    def test_directory(self):
        hub, a = hlnodes.network(('22', '06652'))
        lone = hlnodes.Node('06653')
        try:
            rc, l = self.line(hub)
            self.assertTrue(l.startswith('✓ directory'), l)
            self.assertIn('this node issues the directory (version 2', l)
            rc, l = self.line(a)
            self.assertTrue(l.startswith('✓ directory'), l)
            self.assertIn("the hub's directory version 2", l)
            self.assertIn('no expiry date', l)
            rc, l = self.line(lone)
            self.assertTrue(l.startswith('- directory'), l)
            lone.ok('node', 'trust-hub', hub.key)
            rc, l = self.line(lone)
            self.assertEqual(rc, 1)
            self.assertTrue(l.startswith('✗ directory'), l)
            self.assertIn('holds no directory', l)
        finally:
            for n in (hub, a, lone):
                n.cleanup()
