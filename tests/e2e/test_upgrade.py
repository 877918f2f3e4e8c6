"""Upgrades (issue 15): stores made by earlier versions of halong migrate forward, and nodes of
different versions understand each other or refuse clearly.

- Each fixture of tests/fixtures/schemas/vN (made by scripts/make_schema_fixture.sh with the
  halong of an earlier commit: its README says which) is rebuilt into a new data directory with
  the real sqlite3 tool, then today's halong opens it: the schema becomes the current one, every
  table keeps its rows, the counts its README records hold, `verify` and `audit verify` pass,
  search finds its documents (without tones too) once the index is rebuilt, and what that version
  had (users, the waiting outbox, the feed, plans, datasets) is still there.
- A store whose schema is newer than this halong is refused in one line, and left as it is.
- `halong --version` names the schema and the exchange and feed protocol versions.
- Between nodes (real `halong serve` on 127.0.0.1): an envelope of a newer version than this node
  reads is refused with the reason newer-version (recorded, nothing stored); one without "v" (an
  older node's, version 1) is taken; a feed entry of a newer version stops the pull with nothing
  applied, one without "v" is applied."""
import hashlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
import unittest

import hl
import hlnodes

FIXTURES = os.path.join(hl.SRC, 'tests', 'fixtures', 'schemas')
SQLITE3 = shutil.which('sqlite3') or '/usr/bin/sqlite3'
# The README's count names, as tables of the store.
TABLES = {'documents': 'document', 'blobs': 'blob', 'audit': 'audit', 'users': 'auth_user',
          'outbox': 'exchange_outbox'}
# What the fixtures' documents say (tests/fixtures/schemas/input/manifest.csv), as a user types
# it with and without tones, and the start of the subject it finds.
SEARCHES = [('ma túy', 'Luật Phòng, chống ma túy'), ('ma tuy', 'Luật Phòng, chống ma túy'),
            ('môi trường', 'Luật Bảo vệ môi trường'), ('moi truong', 'Luật Bảo vệ môi trường'),
            ('du lịch', 'Luật Du lịch'), ('cu tru', 'Luật Cư trú')]


def versions():
    """halong --version, as {'halong': '0.1.0', 'schema': 16, 'exchange protocol': 1, ...}."""
    r = hl.run(['--version'])
    assert r.rc == 0, r
    out = {}
    for line in r.out.splitlines():
        k, _, v = line.rpartition(' ')
        out[k] = int(v) if v.isdigit() else v
    return out


def sqlite(db, sql, input=None):
    """The real sqlite3 tool on db: its output."""
    p = subprocess.run([SQLITE3, db] + ([sql] if sql else []), input=input,
                       capture_output=True, timeout=300)
    if p.returncode != 0 or p.stderr:
        raise AssertionError(f'sqlite3 {db} {sql!r}: exit {p.returncode}: {p.stderr!r}')
    return p.stdout.decode('utf-8')


def table_counts(db):
    names = sqlite(db, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE "
                       "'sqlite_%' ORDER BY name").split()
    return {n: int(sqlite(db, f'SELECT count(*) FROM "{n}"')) for n in names}


def readme(d):
    """The fixture's README: its commit and its counts."""
    with open(os.path.join(d, 'README.md'), encoding='utf-8') as f:
        text = f.read()
    commit = re.search(r'^commit: ([0-9a-f]{40})$', text, re.M).group(1)
    counts = dict((k, int(v)) for k, v in re.findall(r'(\w+)=(\d+)',
                                                     re.search(r'^counts: (.*)$', text,
                                                               re.M).group(1)))
    return commit, counts


def fixtures():
    out = []
    for name in os.listdir(FIXTURES):
        m = re.fullmatch(r'v(\d+)', name)
        if m and os.path.isfile(os.path.join(FIXTURES, name, 'halong.sql')):
            out.append(int(m.group(1)))
    return sorted(out)


def restore(d, home):
    """A data directory from fixture d: the store rebuilt from its dump by sqlite3, its blobs,
    keys (0700, 0600: as halong keeps them) and configuration copied."""
    os.makedirs(home)
    with open(os.path.join(d, 'halong.sql'), 'rb') as f:
        sqlite(os.path.join(home, 'halong.db'), None, input=f.read())
    shutil.copytree(os.path.join(d, 'blobs'), os.path.join(home, 'blobs'))
    if os.path.isdir(os.path.join(d, 'keys')):
        shutil.copytree(os.path.join(d, 'keys'), os.path.join(home, 'keys'))
        os.chmod(os.path.join(home, 'keys'), 0o700)
        for k in os.listdir(os.path.join(home, 'keys')):
            os.chmod(os.path.join(home, 'keys', k), 0o600)
    else:
        os.makedirs(os.path.join(home, 'keys'), 0o700)
    if os.path.isfile(os.path.join(d, 'halong.conf')):
        shutil.copy(os.path.join(d, 'halong.conf'), home)
    os.makedirs(os.path.join(home, 'index'), exist_ok=True)


class UpgradeCase:
    """One fixture, upgraded once in setUpClass; N is its schema version."""
    N = None

    @classmethod
    def setUpClass(cls):
        cls.dir = os.path.join(FIXTURES, f'v{cls.N}')
        cls.commit, cls.counts = readme(cls.dir)
        cls.h = hl.Home(init=False)
        cls.db = os.path.join(cls.h.home, 'halong.db')
        restore(cls.dir, cls.h.home)
        cls.schema_before = int(sqlite(cls.db, 'PRAGMA user_version'))
        cls.before = table_counts(cls.db)
        # the upgrade: today's halong opens the store (any command does)
        cls.first = cls.h.run('stats', '--json')
        cls.after = table_counts(cls.db)
        cls.schema_after = int(sqlite(cls.db, 'PRAGMA user_version'))
        cls.reindex = cls.h.run('reindex')

    @classmethod
    def tearDownClass(cls):
        cls.h.cleanup()

    def ok(self, *args):
        r = self.h.run(*args)
        self.assertEqual(r.rc, 0, r)
        return r

    def test_schema_forward_to_current(self):
        self.assertEqual(self.schema_before, self.N)
        self.assertEqual(self.first.rc, 0, self.first)
        self.assertEqual(self.schema_after, versions()['schema'])
        self.assertEqual(json.loads(self.first.out)['schema_version'], versions()['schema'])

    def test_every_table_keeps_its_rows(self):
        for t, n in self.before.items():
            self.assertIn(t, self.after, f'table {t} of schema {self.N} gone')
            self.assertEqual(self.after[t], n, f'rows of {t}')

    def test_counts_of_its_readme(self):
        self.assertTrue(self.counts)
        for k, n in self.counts.items():
            self.assertEqual(self.after[TABLES.get(k, k)], n, k)
        self.assertEqual(json.loads(self.first.out)['documents'], self.counts['documents'])

    def test_verify_and_audit_verify(self):
        r = self.ok('verify')
        self.assertIn(f'{self.counts["blobs"]} ok, 0 missing, 0 corrupt', r.out)
        r = self.ok('audit', 'verify', '--offline')
        self.assertIn('chain whole', r.out)

    def test_search_with_and_without_tones(self):
        self.assertEqual(self.reindex.rc, 0, self.reindex)
        for q, subject in SEARCHES:
            hits = self.h.search(q)
            self.assertIn(subject, [h['subject'][:len(subject)]
                                    for h in hits], (q, hits))
        if 'page' in self.counts:
            # the scanned page: found by its subject, its page and its text kept
            hits = self.h.search('dieu 138')
            self.assertEqual(len(hits), 1, hits)
            self.assertEqual(len(self.h.show(hits[0]['id'])['pages']), 1)

    def test_what_that_version_had(self):
        c = self.counts
        if 'unit_version' in c:
            u = json.loads(self.ok('units', 'show', '06652', '--at', '2025-06-30',
                                   '--json').out)
            self.assertEqual(u['full_name'], 'Phường Hà Phong')
        if 'users' in c:
            names = [u['username'] for u in json.loads(self.ok('user', 'list', '--json').out)]
            self.assertEqual(names, ['an.viewer', 'binh.admin'])
        if 'outbox' in c:
            # the exchange resumes where it was: the message waiting for 06652 still waits
            out = json.loads(self.ok('exchange', 'outbox', '--json').out)
            self.assertEqual([(m['to'], m['type'], m['seq']) for m in out],
                             [('06652', 'document', 1)])
        if 'feed_entry' in c:
            st = json.loads(self.ok('feed', 'status', '--json').out)['feeds']
            self.assertIn(('units', 'hub', 1), [(f['feed'], f['role'], f['seq']) for f in st])
        if 'plan' in c:
            plans = json.loads(self.ok('plan', 'list', '--json').out)
            self.assertEqual([p['id'] for p in plans], ['DEMO-KH-2026'])
        if 'dataset' in c:
            r = self.ok('dataset', 'query', 'qn-education', '--count', '--json')
            self.assertIn('14', r.out)


for _n in fixtures():
    globals()[f'UpgradeFromSchema{_n}'] = type(f'UpgradeFromSchema{_n}',
                                               (UpgradeCase, unittest.TestCase), {'N': _n})


class Versions(unittest.TestCase):

    def test_version_names_schema_and_protocols(self):
        r = hl.run(['--version'])
        self.assertEqual(r.rc, 0, r)
        lines = r.out.splitlines()
        self.assertRegex(lines[0], r'^halong \d+\.\d+\.\d+$')
        self.assertRegex(lines[1], r'^schema \d+$')
        self.assertEqual(lines[2:], ['exchange protocol 1', 'feed protocol 1'])
        h = hl.Home()
        try:
            self.assertEqual(int(sqlite(os.path.join(h.home, 'halong.db'), 'PRAGMA user_version')),
                             versions()['schema'])
        finally:
            h.cleanup()

    def test_fixtures_of_earlier_schemas(self):
        """Every schema before today's has its fixture (a migration that shipped: make one with
        scripts/make_schema_fixture.sh at the stop that shipped it); today's may have one."""
        have = fixtures()
        now = versions()['schema']
        self.assertLessEqual(max(have), now)
        self.assertEqual([n for n in range(1, now) if n not in have], [])

    def test_newer_store_refused_and_left_as_it_is(self):
        h = hl.Home()
        try:
            db = os.path.join(h.home, 'halong.db')
            newer = versions()['schema'] + 1
            sqlite(db, f'PRAGMA user_version = {newer}')
            with open(db, 'rb') as f:
                before = hashlib.sha256(f.read()).hexdigest()
            for args in (('stats',), ('search', 'lúa'), ('init',)):
                r = h.run(*args)
                self.assertEqual(r.rc, 1, r)
                self.assertEqual(r.out, '', r)
                self.assertEqual(len(r.err.splitlines()), 1, r)
                self.assertIn(f'{db}: store schema version {newer} is newer than this halong',
                              r.err)
                self.assertIn(f'schema {newer - 1}', r.err)
                self.assertIn('upgrade halong', r.err)
            with open(db, 'rb') as f:
                self.assertEqual(hashlib.sha256(f.read()).hexdigest(), before)
            self.assertEqual(int(sqlite(db, 'PRAGMA user_version')), newer)
        finally:
            h.cleanup()


def hub_db(node):
    """The node's store, writable (what the hub serves is edited in it)."""
    c = sqlite3.connect(os.path.join(node.h.home, 'halong.db'), timeout=30)
    c.execute('PRAGMA busy_timeout = 30000')
    return c


class ProtocolVersions(unittest.TestCase):
    """A hub (22) and a commune (06652), each a real `halong serve`."""

    @classmethod
    def setUpClass(cls):
        cls.hub, cls.a = hlnodes.network(('22', '06652'))

    @classmethod
    def tearDownClass(cls):
        for n in (cls.hub, cls.a):
            n.cleanup()

    def report(self, n):
        path = hlnodes.tmpfile(json.dumps({'ky_bao_cao': '2026-11', 'so': n,
                                           'noi_dung': 'Báo cáo tiến độ kế hoạch tháng'},
                                          ensure_ascii=False).encode('utf-8'))
        i = json.loads(self.a.ok('send', 'report', path, '--to', '22', '--json').out)['id']
        return i, json.loads(self.a.ok('send', 'envelope', i).out)

    def post(self, body):
        return self.hub.request('POST', '/api/v1/exchange/inbox', body,
                                {'Content-Type': 'application/json'})

    def stored(self, i):
        with self.hub.db() as c:
            return c.execute('SELECT count(*) FROM exchange_inbox WHERE id = ?',
                             (i,)).fetchone()[0]

    def test_1_envelope_of_a_newer_version_refused(self):
        i, env = self.report(1)
        self.assertEqual(env['v'], 1)
        env['v'] = 2  # a newer halong's envelope, signed by its sender
        r = self.post(self.a.resign(env))
        self.assertEqual(r.status, 422, r)
        err = r.json()['error']
        self.assertEqual(err['reason'], 'newer-version', err)
        self.assertIn('version 2 is newer than this node reads (1)', err['message'])
        self.assertIn('upgrade halong', err['message'])
        rej = self.hub.rejects()[0]
        self.assertEqual((rej['reason'], rej['id']), ('newer-version', i), rej)
        self.assertEqual(self.stored(i), 0, 'nothing stored')

    def test_2_envelope_without_version_is_version_1(self):
        i, env = self.report(2)
        del env['v']  # as an older node that wrote no version would
        r = self.post(self.a.resign(env))
        self.assertEqual(r.status, 200, r)
        self.assertEqual((r.json()['id'], r.json()['by'], r.json()['for']), (i, '22', '06652'), r)
        self.assertEqual(self.stored(i), 1)  # held: message 1 (test 1's) has not come yet

    def test_3_feed_entry_of_a_newer_version_stops_the_pull(self):
        import base64
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
        with open(os.path.join(self.hub.h.home, 'keys', 'node.key'), 'rb') as f:
            key = Ed25519PrivateKey.from_private_bytes(f.read()[:32])

        def canon(v):
            return json.dumps(v, sort_keys=True, separators=(',', ':'), ensure_ascii=False)

        def serve_as(edit):
            """The hub's entry 1 edited, hashed and signed again by the hub's key."""
            e = json.loads(good)
            edit(e['entry'])
            e['sha256'] = hashlib.sha256(canon(e['entry']).encode('utf-8')).hexdigest()
            e['sig'] = base64.b64encode(key.sign(b'halong-feed-v1\n' + canon(
                e['entry']).encode('utf-8'))).decode()
            with hub_db(self.hub) as c:
                c.execute("UPDATE feed_entry SET doc = ? WHERE feed = 'units' AND seq = 1",
                          (json.dumps(e, ensure_ascii=False),))

        units = os.path.join(hl.SRC, 'data', 'units')
        self.assertEqual(self.hub.json('feed', 'publish', 'units', units)['seq'], 1)
        with self.hub.db() as c:
            good = c.execute("SELECT doc FROM feed_entry WHERE feed = 'units' AND seq = 1"
                             ).fetchone()[0]
        self.assertEqual(json.loads(good)['entry']['v'], 1)

        serve_as(lambda e: e.update(v=2))
        r = self.a.run('feed', 'pull')
        self.assertEqual(r.rc, 1, r)
        self.assertIn('entry 1: newer-version: version 2 is newer than this node applies (1)',
                      r.err)
        st = self.a.json('feed', 'status')['feeds'][0]
        self.assertEqual(st['seq'], 0)
        self.assertIn('newer-version', st['last_error'])
        self.assertIn('upgrade halong', st['last_error'])
        self.assertNotEqual(self.a.run('units', 'show', '06652').rc, 0, 'nothing applied')

        serve_as(lambda e: e.pop('v'))  # an older hub's entry, without a version
        r = self.a.json('feed', 'pull')
        self.assertEqual((r['applied'], r['seq']), (1, 1), r)
        self.assertIsNone(self.a.json('feed', 'status')['feeds'][0]['last_error'])
        self.assertEqual(self.a.json('units', 'show', '06652', '--at', '2025-06-30')['full_name'],
                         'Phường Hà Phong')


if __name__ == '__main__':
    unittest.main()
