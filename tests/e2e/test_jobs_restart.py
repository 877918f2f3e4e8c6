"""Jobs survive a restart (issue 15, "Jobs that survive"), against a real `halong serve` on a copy
of the shared world: an ingest started through the API, the server killed with SIGKILL in the
middle of it, a new server on the same data directory: the job reads `interrupted`, with the last
progress written before the kill (never more than the job had done); POST
/api/v1/jobs/{id}/resume finishes the manifest (the rows already in are found unchanged, the
rest added: every row once). A job finished before a restart reads the same result after it.
The access rules hold after the restart: the province's staff and whoever started a job see it;
a commune's staff get the 404 of an unknown id; roles that may not follow jobs are refused."""
import os
import re
import shutil
import signal
import sqlite3
import time
import unittest

import hl
import hlserve
from hlserve import PASSWORD, Server

UNKNOWN = 'j0123456789abcdef'
ROWS = 20000  # enough rows for the ingest to be in the middle when the server is killed


def manifest(path, n, fonds='GIENGDAY', dossier='HS90'):
    arts = hl.articles()
    rows = []
    for i in range(n):
        a = arts[i % len(arts)]
        rows.append([fonds, dossier, i + 1, f'{a["law_title"]}, Điều {a["article"]}. '
                     f'{a["article_title"]} ({i + 1})', '01/02/2020', 'Công văn', 'internal',
                     a['text'][:1500]])
    return hl.write_csv(path, ['fonds_code', 'dossier_code', 'doc_ordinal', 'subject',
                               'issued_date', 'doc_type', 'access_level', 'text'], rows)


def documents(home, dossier):
    """Documents of a dossier, read from the store itself (read-only)."""
    db = sqlite3.connect(f'file:{os.path.join(home, "halong.db")}?mode=ro', uri=True)
    try:
        return db.execute('SELECT count(*) FROM document d JOIN dossier s ON s.id = d.dossier_id'
                          ' WHERE s.code = ?', (dossier,)).fetchone()[0]
    finally:
        db.close()


def stored_progress(home, job_id):
    """The job's progress as its row holds it (0 when the store is busy or has none yet)."""
    try:
        db = sqlite3.connect(f'file:{os.path.join(home, "halong.db")}?mode=ro', uri=True,
                             timeout=1)
        try:
            row = db.execute('SELECT done FROM job WHERE id = ?', (job_id,)).fetchone()
        finally:
            db.close()
    except sqlite3.OperationalError:
        return 0
    return row[0] if row else 0


class JobsRestart(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        w = hlserve.world()
        cls.tmp, cls.home = w.copy()
        cls.tokens = dict(w.tokens)
        for name, role, unit in (('archivist61', 'archivist', '06661'),):
            for args, inp in ((('user', 'add', name, '--role', role, '--unit', unit),
                               (PASSWORD + '\n').encode()), (('user', 'token', name), None)):
                r = hl.run(args, home=cls.home, input=inp)
                if r.rc != 0:
                    raise AssertionError(f'{args[:2]} failed: {r!r}')
            cls.tokens[name] = r.out.strip().splitlines()[-1].strip()
        cls.srv = None

    @classmethod
    def tearDownClass(cls):
        if cls.srv:
            cls.srv.kill()
        shutil.rmtree(cls.tmp, True)

    def start(self):
        self.__class__.srv = Server(self.home).start()
        return self.srv

    def client(self, caller):
        return self.srv.client(None if caller == 'anonymous' else self.tokens[caller])

    def post_csv(self, caller, path):
        with open(path, 'rb') as f:
            body = f.read()
        return self.client(caller).call('POST', '/api/v1/ingest', body,
                                        headers={'Content-Type': 'text/csv'})

    def wait(self, job_id, caller='admin', timeout=600):
        deadline = time.time() + timeout
        while time.time() < deadline:
            r = self.client(caller).get(f'/api/v1/jobs/{job_id}')
            self.assertEqual(r.status, 200, r)
            if r.json()['state'] != 'running':
                return r.json()
            time.sleep(0.2)
        self.fail(f'job {job_id} still running after {timeout}s')

    def assertUnknown(self, caller, job_id):
        c = self.client(caller)
        r = c.get(f'/api/v1/jobs/{job_id}')
        missing = c.get(f'/api/v1/jobs/{UNKNOWN}')
        self.assertEqual((r.status, missing.status), (404, 404), f'{caller}: {r!r}')
        self.assertEqual(r.json()['error']['message'],
                         missing.json()['error']['message'].replace(UNKNOWN, job_id))

    def test_restart(self):
        srv = self.start()
        # 1. a small ingest, finished before any restart
        small = manifest(os.path.join(self.tmp, 'small.csv'), 3, dossier='HS91')
        r = self.post_csv('admin', small)
        self.assertEqual(r.status, 202, r)
        finished = self.wait(r.json()['job']['id'])
        self.assertEqual(finished['state'], 'done', finished)
        self.assertEqual(finished['result']['inserted'], 3, finished)

        # 2. a long ingest, killed (SIGKILL) in its middle, once its progress is in the store
        big = manifest(os.path.join(self.tmp, 'big.csv'), ROWS)
        r = self.post_csv('archivist22', big)
        self.assertEqual(r.status, 202, r)
        job_id = r.json()['job']['id']
        self.assertTrue(re.fullmatch(r'j[0-9a-f]{16}', job_id), job_id)
        seen = None
        deadline = time.time() + 300
        while time.time() < deadline:
            j = self.client('admin').get(f'/api/v1/jobs/{job_id}').json()
            self.assertEqual(j['state'], 'running', j)
            if j['phase'] == 'ingest' and j['done'] > 0:  # rows being read (done: bytes)
                seen = j
                break
            time.sleep(0.05)
        self.assertIsNotNone(seen, 'the ingest showed no progress')
        # the progress reaches the store at most once a second, between the ingest's batches:
        # wait until it holds some (read from the store itself, as the restart will)
        stored = 0
        deadline = time.time() + 120
        while time.time() < deadline and stored <= 0:
            time.sleep(0.1)
            stored = stored_progress(self.home, job_id)
        # killed at once (a request in between let a busy machine's ingest finish first)
        srv.proc.send_signal(signal.SIGKILL)
        self.assertGreater(stored, 0, 'no progress written to the store')
        srv.proc.wait()
        srv.stderr.close()
        in_store = documents(self.home, 'HS90')
        self.assertLess(in_store, ROWS, 'every row was in before the kill')

        # 3. a new server on the same data directory
        srv = self.start()
        j = self.client('admin').get(f'/api/v1/jobs/{job_id}')
        self.assertEqual(j.status, 200, j)
        j = j.json()
        self.assertEqual(j['state'], 'interrupted', j)
        self.assertIn('interrupted', j['message'])
        self.assertIsNotNone(j['ended_at'], j)
        self.assertGreater(j['done'], 0, j)
        self.assertGreater(j['total'], 0, j)
        # the last progress written: at least what the store held before the kill, at most the
        # end
        self.assertGreaterEqual(j['done'], stored, (j, stored))
        self.assertLessEqual(j['done'], j['total'], j)
        self.assertIn(str(j['done']), j['message'])
        self.assertTrue(j['resumable'], j)
        self.assertIn('interrupted', srv.log())

        # 4. the finished job survives with its result
        again = self.client('admin').get(f'/api/v1/jobs/{finished["id"]}').json()
        self.assertEqual(again['state'], 'done')
        self.assertEqual(again['result'], finished['result'])
        self.assertEqual(again['message'], finished['message'])

        # 5. the access rules after the restart
        for caller in ('admin', 'archivist22', 'inspector'):
            for jid in (job_id, finished['id']):
                r = self.client(caller).get(f'/api/v1/jobs/{jid}')
                self.assertEqual(r.status, 200, f'{caller}: {r!r}')
        for caller in ('archivist', 'archivist61'):
            self.assertUnknown(caller, job_id)
            self.assertUnknown(caller, finished['id'])
            listed = self.client(caller).get('/api/v1/jobs')
            self.assertEqual(listed.status, 200, listed)
            self.assertNotIn(job_id, listed.text(), caller)
        self.assertEqual(self.client('viewer').get(f'/api/v1/jobs/{job_id}').status, 403)
        self.assertEqual(self.client('anonymous').get(f'/api/v1/jobs/{job_id}').status, 401)
        self.assertEqual(self.client('anonymous').get('/api/v1/jobs').status, 401)
        listed = self.client('inspector').get('/api/v1/jobs').json()['jobs']
        ids = [x['id'] for x in listed]
        self.assertEqual(ids[:2], [job_id, finished['id']], listed)  # newest first
        self.assertEqual(listed[0]['state'], 'interrupted')
        self.assertNotIn('result', listed[0])
        # a commune's archivist may not resume what he may not see; an inspector may not ingest
        self.assertEqual(self.client('archivist61').post(f'/api/v1/jobs/{job_id}/resume').status,
                         403)
        self.assertEqual(self.client('inspector').post(f'/api/v1/jobs/{job_id}/resume').status,
                         403)
        r = self.client('admin').post(f'/api/v1/jobs/{finished["id"]}/resume')
        self.assertEqual(r.status, 409, r)
        self.assertIn('only an interrupted ingest', r.json()['error']['message'])

        # 6. resumed: every row once; the rows in before the kill are unchanged
        r = self.client('admin').post(f'/api/v1/jobs/{job_id}/resume')
        self.assertEqual(r.status, 202, r)
        new = r.json()['job']
        self.assertNotEqual(new['id'], job_id)
        done = self.wait(new['id'])
        self.assertEqual(done['state'], 'done', done)
        res = done['result']
        self.assertEqual(res['rows'], ROWS, res)
        self.assertEqual(res['unchanged'], in_store, res)
        self.assertEqual(res['inserted'], ROWS - in_store, res)
        self.assertEqual(documents(self.home, 'HS90'), ROWS)
        old = self.client('admin').get(f'/api/v1/jobs/{job_id}').json()
        self.assertEqual((old['resumed_by'], old['resumable']), (new['id'], False), old)
        r = self.client('admin').post(f'/api/v1/jobs/{job_id}/resume')
        self.assertEqual(r.status, 409, r)
        # the resumed job's manifest is gone with it: nothing kept under HOME/jobs
        self.assertEqual(os.listdir(os.path.join(self.home, 'jobs')), [])

        # 7. a clean stop, the store and the audit chain whole
        self.assertEqual(srv.stop(), 0, srv.log()[-3000:])
        self.__class__.srv = None
        for args in (('verify',), ('audit', 'verify')):
            v = hl.run(args, home=self.home)
            self.assertEqual(v.rc, 0, v)


if __name__ == '__main__':
    unittest.main()
