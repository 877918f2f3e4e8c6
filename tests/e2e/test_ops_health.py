"""GET /healthz and /readyz on a real `halong serve`, and `halong doctor`: the readiness checks
of src/lib/ops (docs/api.md, "Operating the node")."""
import json
import os
import shutil
import subprocess
import time
import unittest

import hl
import hlserve

ONE_DOC = ['fonds_code', 'dossier_code', 'doc_ordinal', 'subject', 'issued_date', 'text']
NAMES = ['store', 'index', 'node_key', 'directory', 'disk', 'backups']
HUGE_MB = str(1 << 40)  # a million TiB: more than any test machine has free


def checks_by_name(j):
    return {c['name']: c for c in j['checks']}


class Node:
    """A small node: units, one ingested document, an admin and a viewer with tokens."""

    def __init__(self):
        self.h = hl.Home()
        self.ok('units', 'load', '--quiet')
        self.ingest(1)
        self.tokens = {}
        for name, role in (('admin', 'admin'), ('viewer', 'viewer')):
            self.ok('user', 'add', name, '--role', role, '--unit', hlserve.PROVINCE,
                    input=(hlserve.PASSWORD + '\n').encode())
            r = self.ok('user', 'token', name)
            self.tokens[name] = r.out.strip().splitlines()[-1].strip()

    def ok(self, *args, **kw):
        r = self.h.run(*args, **kw)
        if r.rc != 0:
            raise AssertionError(f'{args} failed: {r!r}')
        return r

    def ingest(self, n):
        m = hl.write_csv(self.h.path(f'doc{n}.csv'), ONE_DOC, [
            ['UBND-HL', 'HS-01', str(n), f'Quyết định số {n} về chuyển đổi số',
             '05/09/2025', f'Văn bản thứ {n} của phường Hà Tu về chuyển đổi số.']])
        self.ok('ingest', m)


class OpsHealthTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.node = Node()

    @classmethod
    def tearDownClass(cls):
        cls.node.h.cleanup()

    def serve(self, home=None, env=None):
        s = hlserve.Server(home or self.node.h.home, env=env).start()
        # a clean exit: ASan's leak check would make it 1
        self.addCleanup(lambda: self.assertEqual(s.stop(), 0, s.log()[-3000:]))
        return s

    def test_healthz(self):
        s = self.serve()
        r = s.client().get('/healthz')
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json(), {'status': 'ok'})
        self.assertEqual(s.client().call('HEAD', '/healthz').status, 200)
        r = s.client().post('/healthz', {})
        self.assertEqual(r.status, 405, r)
        # nothing else opens at the root
        self.assertNotEqual(s.client().get('/healthz/x').status, 200)

    def test_readyz_healthy_anonymous_and_admin(self):
        s = self.serve()
        r = s.client().get('/readyz')
        self.assertEqual(r.status, 200, r)
        j = r.json()
        self.assertIs(j['ready'], True, j)
        self.assertEqual([c['name'] for c in j['checks']], NAMES)
        for c in j['checks']:
            self.assertIs(c['ok'], True, c)
            # anonymous: no reasons (they name paths and SQLite's messages)
            self.assertNotIn('reason', c, c)
        by = checks_by_name(j)
        # not configured is said, never passed off as a pass
        self.assertIs(by['backups'].get('skipped'), True, by)
        self.assertIs(by['node_key'].get('skipped'), True, by)
        self.assertNotIn('skipped', by['store'])
        self.assertNotIn(self.node.h.home, r.text())

        # a viewer's token is not enough for the reasons
        r = s.client(self.node.tokens['viewer']).get('/readyz')
        self.assertEqual(r.status, 200, r)
        self.assertNotIn('reason', r.json()['checks'][0])

        r = s.client(self.node.tokens['admin']).get('/readyz')
        self.assertEqual(r.status, 200, r)
        by = checks_by_name(r.json())
        self.assertIn('rolled back', by['store']['reason'])
        self.assertIn('MiB free', by['disk']['reason'])
        self.assertIn('not configured', by['backups']['reason'])
        self.assertIn('not configured', by['node_key']['reason'])

    def test_readyz_fails_on_disk_threshold(self):
        s = self.serve(env={'HALONG_READY_DISK_MIN_MB': HUGE_MB})
        r = s.client().get('/readyz')
        self.assertEqual(r.status, 503, r)
        j = r.json()
        self.assertIs(j['ready'], False)
        by = checks_by_name(j)
        self.assertIs(by['disk']['ok'], False, j)
        self.assertEqual([n for n, c in by.items() if not c['ok']], ['disk'], j)
        r = s.client(self.node.tokens['admin']).get('/readyz')
        self.assertEqual(r.status, 503, r)
        self.assertIn('below', checks_by_name(r.json())['disk']['reason'])
        # /healthz still answers: the process is up
        self.assertEqual(s.client().get('/healthz').status, 200)

    def behind_copy(self):
        """A copy of the node whose index is one change behind the store: the index of before
        the second ingest put back (as after restoring an old index)."""
        d = self.node.h.path('behind')
        shutil.rmtree(d, ignore_errors=True)
        home = os.path.join(d, 'home')
        shutil.copytree(self.node.h.home, home)
        old = os.path.join(d, 'index-before')
        shutil.copytree(os.path.join(home, 'index'), old)
        r = hl.run(['ingest', hl.write_csv(os.path.join(d, 'two.csv'), ONE_DOC, [
            ['UBND-HL', 'HS-01', '2', 'Quyết định số 2', '05/09/2025', 'Văn bản thứ hai.']])],
            home=home)
        self.assertEqual(r.rc, 0, r)
        shutil.rmtree(os.path.join(home, 'index'))
        shutil.copytree(old, os.path.join(home, 'index'))
        return home

    def test_readyz_fails_when_index_behind(self):
        home = self.behind_copy()
        # doctor first: no server has caught the index up yet
        r = hl.run(['doctor', '--json'], home=home, env={'HALONG_READY_QUEUE_MAX': '0'})
        self.assertEqual(r.rc, 1, r)
        by = checks_by_name(json.loads(r.out))
        self.assertIs(by['index']['ok'], False, r)
        self.assertIn('behind', by['index']['reason'])
        r = hl.run(['doctor'], home=home)  # the default threshold allows it
        self.assertEqual(r.rc, 0, r)

        s = self.serve(home, env={'HALONG_READY_QUEUE_MAX': '0'})
        r = s.client(self.node.tokens['admin']).get('/readyz')
        # the server does not catch the index up at start: the change stays queued
        self.assertEqual(r.status, 503, r)
        by = checks_by_name(r.json())
        self.assertIs(by['index']['ok'], False, r)
        self.assertIn('1 changes behind the store', by['index']['reason'])
        self.assertEqual([n for n, c in by.items() if not c['ok']], ['index'], r)
        r = s.client().get('/readyz')
        self.assertEqual(r.status, 503, r)
        self.assertIs(checks_by_name(r.json())['index']['ok'], False, r)

    def test_doctor(self):
        r = self.node.h.run('doctor')
        self.assertEqual(r.rc, 0, r)
        lines = r.out.splitlines()
        for name in NAMES:
            self.assertTrue(any(l.split()[1:2] == [name] for l in lines), (name, r.out))
        self.assertTrue(any(l.startswith('✓ store') for l in lines), r.out)
        self.assertTrue(any(l.startswith('- backups') for l in lines), r.out)
        self.assertFalse(any(l.startswith('✗') for l in lines), r.out)

        r = self.node.h.run('doctor', '--json')
        self.assertEqual(r.rc, 0, r)
        j = json.loads(r.out)
        self.assertIs(j['ready'], True)
        self.assertEqual([c['name'] for c in j['checks']], NAMES)
        self.assertTrue(all(c['reason'] for c in j['checks']), j)

        r = self.node.h.run('doctor', env={'HALONG_READY_DISK_MIN_MB': HUGE_MB})
        self.assertEqual(r.rc, 1, r)
        self.assertTrue(any(l.startswith('✗ disk') for l in r.out.splitlines()), r.out)
        r = self.node.h.run('doctor', '--json', env={'HALONG_READY_DISK_MIN_MB': HUGE_MB})
        self.assertEqual(r.rc, 1, r)
        j = json.loads(r.out)
        self.assertIs(j['ready'], False)
        self.assertIs(checks_by_name(j)['disk']['ok'], False)

        r = self.node.h.run('doctor', env={'HALONG_READY_QUEUE_MAX': 'lots'})
        self.assertEqual(r.rc, 1, r)
        self.assertIn('HALONG_READY_QUEUE_MAX', r.err)

    def test_doctor_node_key(self):
        d = self.node.h.path('withkey')
        shutil.rmtree(d, ignore_errors=True)
        home = os.path.join(d, 'home')
        shutil.copytree(self.node.h.home, home)
        r = hl.run(['node', 'init', '--unit', hlserve.PROVINCE, '--url', 'http://127.0.0.1:1'],
                   home=home)
        self.assertEqual(r.rc, 0, r)
        r = hl.run(['doctor', '--json'], home=home)
        self.assertEqual(r.rc, 0, r)
        by = checks_by_name(json.loads(r.out))
        self.assertIs(by['node_key']['ok'], True)
        self.assertNotIn('skipped', by['node_key'])
        # a key others can read is refused by hl_node_open: the check fails
        os.chmod(os.path.join(home, 'keys', 'node.key'), 0o644)
        r = hl.run(['doctor', '--json'], home=home)
        self.assertEqual(r.rc, 1, r)
        by = checks_by_name(json.loads(r.out))
        self.assertIs(by['node_key']['ok'], False, r.out)


if __name__ == '__main__':
    unittest.main()


class DamagedIndexTest(unittest.TestCase):
    """The runbook's "the index is corrupt": a damaged index fails search and `doctor` with one
    clear line, and `halong reindex` rebuilds it from the store (it used to refuse, the live
    index it locks being the damaged one)."""

    def test_reindex_repairs_a_damaged_index(self):
        node = Node()
        try:
            idx = os.path.join(node.h.home, 'index')
            for f in os.listdir(idx):
                if f.endswith('.glass'):
                    with open(os.path.join(idx, f), 'r+b') as fh:
                        fh.write(b'garbage!')
            r = node.h.run('search', 'chuyen doi so')
            self.assertEqual(r.rc, 1, r)
            self.assertIn('the index is damaged (run `halong reindex`)', r.err)
            r = node.h.run('doctor')
            self.assertEqual(r.rc, 1, r)
            self.assertTrue(any(l.startswith('✗ index') for l in r.out.splitlines()), r.out)
            r = node.ok('reindex')
            self.assertIn('1 documents indexed', r.out)
            self.assertFalse(os.path.exists(idx + '.damaged'))
            self.assertEqual(node.h.run('doctor').rc, 0)
            r = node.ok('search', 'chuyen doi so')
            self.assertIn('Quyết định số 1 về chuyển đổi số', r.out)
        finally:
            node.h.cleanup()


class IndexLockTest(unittest.TestCase):
    """Two writers of one node: an ingest started while another process holds the index's lock
    (a long ingest, the server indexing what it received, a reindex) waits for it, as the
    store's busy timeout does, instead of failing with "the index is locked"."""

    def test_second_ingest_waits_for_the_first(self):
        h = hl.Home()
        try:
            self.assertEqual(h.run('init').rc, 0)
            m = hl.corpus_manifest()
            first = subprocess.Popen([hl.BIN, '--home', h.home, 'ingest', m, '--quiet'],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            # wait until the first holds the index (its lock file is there and it is still busy)
            lock = os.path.join(h.home, 'index', 'flintlock')
            t0 = time.time()
            while not os.path.exists(lock) and first.poll() is None and time.time() - t0 < 60:
                time.sleep(0.01)
            self.assertIsNone(first.poll(), 'the first ingest ended before the test could race it')
            doc = hl.write_csv(h.path('one.csv'), ONE_DOC, [
                ['UBND-HL', 'HS-09', '1', 'Quyết định về lưu trữ số', '05/09/2025',
                 'Văn bản về lưu trữ số của phường Hà Tu.']])
            r = h.run('ingest', doc)
            out, err = first.communicate(timeout=600)
            self.assertEqual(first.returncode, 0, err)
            self.assertEqual(r.rc, 0, r)
            self.assertNotIn('locked', r.err)
            self.assertIn('Quyết định về lưu trữ số', h.run('search', 'luu tru so').out)
        finally:
            h.cleanup()
