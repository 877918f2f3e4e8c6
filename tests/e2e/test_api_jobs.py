"""Jobs are scoped like the records they touch (docs/api.md "Digitization and jobs"), against a
real `halong serve` with real accounts of the province (22) and of two communes (06652, 06661):
the result of an ingest the province started (its counts, and the reasons that name rejected
rows) or of an OCR run is read by the province's staff; a commune's archivist or inspector gets
the 404 of an unknown job id, with the same message (a job's existence does not leak)."""
import os
import re
import shutil
import time
import unittest

import hl
import hlserve
from hlserve import PASSWORD, Server

UNKNOWN = 'j0123456789abcdef'  # the shape of a job id: 'j' and 16 hex digits


class JobScope(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        w = hlserve.world()
        cls.tmp, cls.home = w.copy()
        cls.tokens = dict(w.tokens)
        # a commune other than the archivist's (06652): Phường Việt Hưng (06661)
        for name, role, unit in (('archivist61', 'archivist', '06661'),
                                 ('inspector61', 'inspector', '06661'),
                                 ('inspector52', 'inspector', '06652')):
            for args, inp in ((('user', 'add', name, '--role', role, '--unit', unit),
                               (PASSWORD + '\n').encode()), (('user', 'token', name), None)):
                r = hl.run(args, home=cls.home, input=inp)
                if r.rc != 0:
                    raise AssertionError(f'{args[:2]} failed: {r!r}')
            cls.tokens[name] = r.out.strip().splitlines()[-1].strip()
        cls.srv = Server(cls.home).start()

    @classmethod
    def tearDownClass(cls):
        rc = cls.srv.stop()
        shutil.rmtree(cls.tmp, True)
        if rc != 0:
            raise AssertionError(f'halong serve exited {rc}: {cls.srv.log()[-3000:]}')

    def client(self, caller):
        return self.srv.client(None if caller == 'anonymous' else self.tokens[caller])

    def wait(self, job, caller):
        deadline = time.time() + 300
        while job['state'] == 'running' and time.time() < deadline:
            time.sleep(0.2)
            r = self.client(caller).get(f'/api/v1/jobs/{job["id"]}')
            self.assertEqual(r.status, 200, r)
            job = r.json()
        self.assertNotEqual(job['state'], 'running', job)
        return job

    def assertSeenBy(self, job, callers):
        for caller in callers:
            r = self.client(caller).get(f'/api/v1/jobs/{job["id"]}')
            self.assertEqual(r.status, 200, f'{caller}: {r!r}')
            self.assertEqual(r.json()['id'], job['id'])
            self.assertEqual(r.json()['result'], job['result'], caller)

    def assertHiddenFrom(self, job, callers, secrets):
        for caller in callers:
            c = self.client(caller)
            r = c.get(f'/api/v1/jobs/{job["id"]}')
            missing = c.get(f'/api/v1/jobs/{UNKNOWN}')
            self.assertEqual(missing.status, 404, missing)
            # the same answer as for a job that does not exist, the id aside
            self.assertEqual(r.status, 404, f'{caller} reads the job: {r!r}')
            self.assertEqual(r.json(), missing.json() | {'error': missing.json()['error'] | {
                'message': missing.json()['error']['message'].replace(UNKNOWN, job['id'])}})
            for s in secrets:  # the id asked is in the message, as for an unknown one
                self.assertNotIn(s, r.text(), caller)

    def test_ingest_job_seen_by_the_province_only(self):
        arts = hl.articles()[1100:1103]
        rows = [['GIENGDAY', 'HS07', i + 1, f'{a["law_title"]}, Điều {a["article"]}. '
                 f'{a["article_title"]}', '01/02/2020', 'Công văn', 'internal', a['text']]
                for i, a in enumerate(arts)]
        rows[2][6] = 'tuyet-mat-khong-co'  # an access level that does not exist: rejected
        path = hl.write_csv(os.path.join(self.tmp, 'jobs.csv'),
                            ['fonds_code', 'dossier_code', 'doc_ordinal', 'subject',
                             'issued_date', 'doc_type', 'access_level', 'text'], rows)
        with open(path, 'rb') as f:
            body = f.read()
        r = self.client('admin').call('POST', '/api/v1/ingest', body,
                                      headers={'Content-Type': 'text/csv'})
        self.assertEqual(r.status, 202, r)
        job = self.wait(r.json()['job'], 'admin')
        self.assertEqual(job['state'], 'done', job)
        self.assertEqual((job['result']['rows'], job['result']['rejected']), (3, 1), job)
        reasons = [x['reason'] for x in job['result']['rejects']]
        self.assertTrue(reasons and reasons[0], job)
        # the province's staff read it, whichever of them started it
        self.assertSeenBy(job, ('admin', 'archivist22', 'inspector'))
        # a commune's staff, of either commune, get the 404 of an unknown job
        self.assertHiddenFrom(job, ('archivist', 'inspector52', 'archivist61', 'inspector61'),
                              [reasons[0], 'HS07', 'rejects'])
        # roles that may not read jobs at all are refused as before
        self.assertEqual(self.client('viewer').get(f'/api/v1/jobs/{job["id"]}').status, 403)
        self.assertEqual(self.client('anonymous').get(f'/api/v1/jobs/{job["id"]}').status, 401)

    def test_ocr_job_seen_by_the_province_only(self):
        r = self.client('archivist22').post('/api/v1/ocr/run', {'jobs': 1})
        self.assertEqual(r.status, 202, r)
        job = self.wait(r.json()['job'], 'archivist22')
        self.assertEqual(job['state'], 'done', job)
        self.assertSeenBy(job, ('archivist22', 'admin', 'inspector'))
        self.assertHiddenFrom(job, ('archivist', 'archivist61', 'inspector61'),
                              [job['message'], 'failures'])
        # while running or done, a job id is unguessable and shaped like the unknown one
        self.assertTrue(re.fullmatch(r'j[0-9a-f]{16}', job['id']), job)


if __name__ == '__main__':
    unittest.main()
