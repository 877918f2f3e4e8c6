"""`halong user` and `halong audit` through the real binary, on the shipped units of Quảng Ninh:
users added with a password on stdin (never argv), tokens shown once, disabling, listing; the
audit log as a hash chain that `audit verify` proves whole, then names the entry an intruder
altered; a store upgraded from schema 4 keeps a whole chain; no password or token in the files."""
import hashlib
import json
import os
import select
import sqlite3
import subprocess
import time
import unittest

import hl

PW = 'mat-khau-that-dai-2025'


def store_bytes(home):
    """Every byte of the store's files (the database and its write-ahead log)."""
    out = b''
    for name in ('halong.db', 'halong.db-wal'):
        p = os.path.join(home, name)
        if os.path.exists(p):
            with open(p, 'rb') as f:
                out += f.read()
    return out


class UserTest(unittest.TestCase):
    def setUp(self):
        self.h = hl.Home()
        self.addCleanup(self.h.cleanup)
        r = self.h.run('units', 'load', '--quiet')
        self.assertEqual(r.rc, 0, r)

    def run_ok(self, *args, **kw):
        r = self.h.run(*args, **kw)
        self.assertEqual(r.rc, 0, r)
        return r

    def add(self, name, role, unit, pw=PW):
        return self.h.run('user', 'add', name, '--role', role, '--unit', unit,
                          input=(pw + '\n').encode())

    def test_add_list_token_disable(self):
        r = self.add('hatu.officer', 'officer', '06652')
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(r.out.strip(), 'user hatu.officer added: officer of unit 06652')
        self.assertEqual(self.add('tinh.admin', 'admin', '22', pw=PW + '\r').rc, 0)

        users = json.loads(self.run_ok('user', 'list', '--json').out)
        self.assertEqual([(u['username'], u['role'], u['unit_code'], u['disabled'])
                          for u in users],
                         [('hatu.officer', 'officer', '06652', False),
                          ('tinh.admin', 'admin', '22', False)])
        self.assertRegex(users[0]['created_at'], r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$')

        r = self.run_ok('user', 'token', 'hatu.officer', '--label', 'báo cáo hằng đêm')
        tok = r.out.strip()
        self.assertRegex(tok, r'^hlt_[A-Za-z0-9_-]{43}$')
        self.assertEqual(r.out.count('\n'), 1)
        self.assertIn('shown this once', r.err)
        tok2 = self.run_ok('user', 'token', 'hatu.officer').out.strip()
        self.assertNotEqual(tok, tok2)

        r = self.run_ok('user', 'disable', 'hatu.officer')
        self.assertIn('hatu.officer disabled', r.out)
        text = self.run_ok('user', 'list').out.splitlines()
        self.assertTrue(text[0].startswith('USER'))
        self.assertRegex(text[1], r'^hatu\.officer\s+officer\s+06652\s+\S+\s+disabled$')
        self.assertRegex(text[2], r'^tinh\.admin\s+admin\s+22\s+\S+\s+active$')
        # a disabled user gets no new token
        r = self.h.run('user', 'token', 'hatu.officer')
        self.assertEqual(r.rc, 1, r)
        self.assertEqual(r.err.strip(), 'halong: user hatu.officer is disabled')

        r = self.h.run('user', 'passwd', 'tinh.admin', input=b'mot-mat-khau-moi\n')
        self.assertEqual(r.rc, 0, r)
        self.assertIn('password of tinh.admin changed', r.out)

        # neither password nor token is anywhere in the store's files; the names are
        data = store_bytes(self.h.home)
        for secret in (PW, 'mot-mat-khau-moi', tok, tok2):
            self.assertNotIn(secret.encode(), data)
        self.assertIn(b'hatu.officer', data)

    def tty_session(self, args, answers):
        """Runs halong with a terminal as stdin, stdout and stderr, typing each answer after
        the prompt that ends with its key; returns (exit code, everything the terminal showed).
        """
        master, slave = os.openpty()
        p = subprocess.Popen([hl.BIN, '--home', self.h.home] + args, stdin=slave, stdout=slave,
                             stderr=slave, close_fds=True)
        os.close(slave)
        seen = b''
        todo = list(answers)
        deadline = time.time() + 60
        while time.time() < deadline:
            ready, _, _ = select.select([master], [], [], 0.5)
            if ready:
                try:
                    chunk = os.read(master, 4096)
                except OSError:  # the child closed the terminal
                    break
                if not chunk:
                    break
                seen += chunk
            if todo and seen.rstrip().endswith(todo[0][0].encode()):
                os.write(master, (todo.pop(0)[1] + '\n').encode())
            if p.poll() is not None and not ready:
                break
        rc = p.wait(timeout=60)
        os.close(master)
        return rc, seen.decode('utf-8', 'replace')

    def test_password_typed_on_a_terminal_is_not_echoed(self):
        rc, shown = self.tty_session(
            ['user', 'add', 'typist', '--role', 'viewer', '--unit', '06652'],
            [('New password for typist:', PW), ('Again:', PW)])
        self.assertEqual(rc, 0, shown)
        self.assertIn('user typist added', shown)
        self.assertNotIn(PW, shown)
        # two different answers add nobody
        rc, shown = self.tty_session(
            ['user', 'add', 'typo', '--role', 'viewer', '--unit', '06652'],
            [('New password for typo:', PW), ('Again:', PW + 'x')])
        self.assertEqual(rc, 1, shown)
        self.assertIn('halong: the two passwords differ', shown)
        self.assertNotIn(PW, shown)
        users = json.loads(self.run_ok('user', 'list', '--json').out)
        self.assertEqual([u['username'] for u in users], ['typist'])

    def test_bad_input(self):
        self.assertEqual(self.add('hatu', 'officer', '06652').rc, 0)
        cases = [
            # (args, stdin, exit code, stderr contains)
            (['user', 'add', 'hatu', '--role', 'officer', '--unit', '06652'], PW, 1,
             'halong: user hatu already exists'),
            (['user', 'add', 'x', '--role', 'boss', '--unit', '06652'], PW, 2,
             '--role is viewer, officer, inspector, archivist or admin'),
            (['user', 'add', 'x', '--role', 'anonymous', '--unit', '06652'], PW, 2, '--role'),
            (['user', 'add', 'x', '--role', 'viewer'], PW, 2, '--unit is required'),
            # a password on the command line is refused: it would show in `ps` and history
            (['user', 'add', 'x', PW, '--role', 'viewer', '--unit', '06652'], PW, 2,
             'unexpected argument'),
            (['user', 'add', 'x', '--role', 'viewer', '--unit', '06652'], None, 1,
             'no password on standard input'),
            (['user', 'add', 'x', '--role', 'viewer', '--unit', '06652'], 'ngan', 1,
             'the password is too short: at least 10 bytes'),
            (['user', 'add', 'x', '--role', 'viewer', '--unit', '06652'], 'a' * 300, 1,
             'too long'),
            (['user', 'add', 'Ha Tu', '--role', 'viewer', '--unit', '06652'], PW, 1,
             'bad user name'),
            (['user', 'add', 'x', '--role', 'viewer', '--unit', '99999'], PW, 1,
             'unknown unit code 99999'),
            (['user', 'add', 'x', '--role', 'viewer', '--unit', '06655'], PW, 1,
             'did not exist on'),
            (['user', 'passwd', 'ghost'], PW, 1, 'halong: no user ghost'),
            (['user', 'disable', 'ghost'], None, 1, 'halong: no user ghost'),
            (['user', 'token', 'ghost'], None, 1, 'halong: no user ghost'),
            (['user', 'frobnicate'], None, 2, 'unknown subcommand frobnicate'),
            (['user'], None, 2, 'give a subcommand'),
            (['audit', 'list', '--limit', '0'], None, 2, '--limit wants a whole number from 1 to 100000'),
            (['audit', 'nope'], None, 2, 'unknown subcommand nope'),
        ]
        for args, stdin, code, msg in cases:
            with self.subTest(args=args):
                r = self.h.run(*args, input=(stdin + '\n').encode() if stdin else b'')
                self.assertEqual(r.rc, code, r)
                self.assertIn(msg, r.err)
                self.assertEqual(r.out, '', r)
                if code == 1:
                    self.assertEqual(len(r.err.strip().splitlines()), 1, r)
        users = json.loads(self.run_ok('user', 'list', '--json').out)
        self.assertEqual([u['username'] for u in users], ['hatu'])
        self.assertNotIn(PW.encode(), store_bytes(self.h.home))

    def test_audit_chain_verified_then_tampered(self):
        self.assertEqual(self.add('archivist', 'archivist', '22').rc, 0)
        self.run_ok('user', 'token', 'archivist', '--label', 'ci')
        rows = [['HAPHONG', 'HS01', i, f'Quyết định số {i}', 'internal'] for i in (1, 2, 3)]
        path = hl.write_csv(self.h.path('m.csv'),
                            ['fonds_code', 'dossier_code', 'doc_ordinal', 'subject',
                             'access_level'], rows)
        self.run_ok('ingest', path)
        self.run_ok('fonds', 'set', 'HAPHONG', '--creator', '06652')

        listing = json.loads(self.run_ok('audit', 'list', '--limit', '100', '--json').out)
        total = listing['total']
        self.assertEqual(total, len(listing['items']))
        actions = [e['action'] for e in reversed(listing['items'])]
        # loading the units decides custody, hence who sees what: audited like any change
        self.assertEqual(actions[:3], ['units.load', 'user.add', 'user.token'])
        self.assertEqual(actions.count('document.create'), 3)
        self.assertEqual(actions[-1], 'fonds.set')
        load, first = listing['items'][-1], listing['items'][-2]
        self.assertEqual(load['object'], 'units')
        self.assertRegex(load['detail'], r'^\d+ versions added, ')
        self.assertTrue(load['actor'].startswith('cli:'))
        self.assertEqual((first['object'], first['detail']),
                         ('archivist', 'role=archivist unit=22'))
        self.assertTrue(first['actor'].startswith('cli:'))
        ids = [e['id'] for e in listing['items']]
        self.assertEqual(ids, sorted(ids, reverse=True))

        r = self.run_ok('audit', 'verify')
        self.assertEqual(r.out.splitlines()[0], f'audit: {total} entries, chain whole')
        # how far the proof reaches: a node without an exchange identity has no witness
        self.assertIn('no exchange identity', r.out.splitlines()[1])

        # the chain re-computed here from the format documented in src/lib/auth/README.md
        db = sqlite3.connect(os.path.join(self.h.home, 'halong.db'))
        prev = ''
        for row in db.execute('SELECT id, at, actor, action, object, detail, prev_hash, hash'
                              ' FROM audit ORDER BY id'):
            self.assertEqual(row[6] or '', prev)
            fields = [prev, str(row[0])] + [x or '' for x in row[1:6]]
            enc = b''.join(b'%d:%s,' % (len(x.encode()), x.encode()) for x in fields)
            self.assertEqual(hashlib.sha256(enc).hexdigest(), row[7], row)
            prev = row[7]
        db.close()

        text = self.run_ok('audit', 'list', '--limit', '2').out.splitlines()
        self.assertEqual(len(text), 3)
        self.assertIn('fonds.set', text[0])
        self.assertEqual(text[2], f'(the newest 2 of {total} entries; --limit N for more)')

        # an intruder with the database file rewrites one entry
        token_id = [e['id'] for e in listing['items'] if e['action'] == 'user.token'][0]
        db = sqlite3.connect(os.path.join(self.h.home, 'halong.db'))
        db.execute("UPDATE audit SET detail = 'label=khac' WHERE id = ?", (token_id,))
        db.commit()
        r = self.h.run('audit', 'verify')
        self.assertEqual(r.rc, 1, r)
        self.assertEqual(r.out, '')
        self.assertIn(f'audit entry {token_id} is broken', r.err)
        # put back, it is whole again; delete it, and the next one is named
        db.execute("UPDATE audit SET detail = 'label=ci' WHERE id = ?", (token_id,))
        db.commit()
        self.run_ok('audit', 'verify')
        db.execute('DELETE FROM audit WHERE id = ?', (token_id,))
        db.commit()
        db.close()
        r = self.h.run('audit', 'verify')
        self.assertEqual(r.rc, 1, r)
        self.assertIn(f'audit entry {token_id + 1} is broken', r.err)

    def test_store_upgraded_from_schema_4(self):
        # the store as halong with schema 4 left it: audit entries without hashes
        os.remove(os.path.join(self.h.home, 'halong.db'))
        with open(os.path.join(hl.SRC, 'tests', 'unit', 'auth', 'schema4.sql'),
                  encoding='utf-8') as f:
            dump = f.read()
        db = sqlite3.connect(os.path.join(self.h.home, 'halong.db'))
        db.executescript(dump)
        db.close()
        r = self.run_ok('audit', 'verify')
        self.assertEqual(r.out.splitlines()[0], 'audit: 3 entries, chain whole')
        self.assertGreaterEqual(json.loads(self.run_ok('stats', '--json').out)['schema_version'],
                                5)
        listing = json.loads(self.run_ok('audit', 'list', '--json').out)
        self.assertEqual([e['action'] for e in listing['items']],
                         ['custody.assign', 'fonds.set', 'document.create'])
        self.run_ok('units', 'load', '--quiet')
        self.assertEqual(self.add('after.upgrade', 'viewer', '06652').rc, 0)
        r = self.run_ok('audit', 'verify')
        self.assertEqual(r.out.splitlines()[0], 'audit: 5 entries, chain whole')
        # a second load changes nothing: nothing to audit
        self.run_ok('units', 'load', '--quiet')
        self.assertEqual(self.run_ok('audit', 'verify').out.splitlines()[0],
                         'audit: 5 entries, chain whole')

if __name__ == '__main__':
    unittest.main()
