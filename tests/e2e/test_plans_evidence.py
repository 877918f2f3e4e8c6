"""Files uploaded as evidence of reports (issue 13: "evidence (records of the archive or uploaded
files)"), through a real `halong serve` and the real CLI: an officer uploads a file for their
agency, a report of that agency cites it as file:N, whoever reads the report downloads the very
bytes (as an attachment, never shown inline); a file nobody cites is its agency's alone; a file
cited by a restricted plan's report is not a viewer's, and its read by an inspector is audited;
another agency cannot cite it; bad uploads (no name, empty, too big, a hostile name, the wrong
role) are refused with nothing written. The plans are test data (labelled so)."""
import hashlib
import json
import os
import unittest
import urllib.parse

import hlplans

TODAY = hlplans.PlansCase.TODAY
OCTET = {'Content-Type': 'application/octet-stream'}
# any bytes are evidence, kept as given
MINUTES = 'Biên bản nghiệm thu kết quả số hóa (dữ liệu kiểm thử)\n'.encode() * 200


class Evidence(hlplans.PlansCase):
    """One data directory for the class; the steps run in order."""
    FILES = (hlplans.plan_files('QN-TEST-2025', 'internal', 'Kế hoạch thử nghiệm (dữ liệu kiểm thử)',
                                '1,Số hóa hồ sơ lưu trữ của phường,Phường Hà Tu,Quý III/2025\n'
                                '2,Báo cáo tiến độ chuyển đổi số,Sở Tài chính,30/9/2025\n') +
             hlplans.plan_files('QN-MAT-2025', 'restricted', 'Kế hoạch hạn chế (dữ liệu kiểm thử)',
                                '1,Việc hạn chế,Sở Tài chính,9/2025\n'))
    USERS = {'tc': ('officer', '22', 'SO-TC'), 'hatu': ('officer', '06652', None),
             'viewer': ('viewer', '22', None), 'inspector': ('inspector', '22', None)}

    def upload(self, who, body, name='bien-ban nghiem thu.pdf', agency=None):
        q = {'name': name} if name is not None else {}
        if agency:
            q['agency'] = agency
        return self.as_(who).call('POST', '/api/v1/evidence?' + urllib.parse.urlencode(q),
                                  body, headers=OCTET)

    def files_kept(self):
        r = self.h.run('audit', 'list', '--json')
        self.assertEqual(r.rc, 0, r)
        return r.out.count('evidence.upload')

    def test_1_uploaded_cited_downloaded(self):
        r = self.upload('tc', MINUTES)
        self.assertEqual(r.status, 201, r)
        f = r.json()
        self.assertEqual((f['ref'], f['name'], f['size'], f['agency'], f['sha256']),
                         (f"file:{f['id']}", 'bien-ban nghiem thu.pdf', len(MINUTES), 'SO-TC',
                          hashlib.sha256(MINUTES).hexdigest()), f)
        # its agency's report cites it; the report shows the file
        tid = self.as_('tc').get('/api/v1/plans/QN-TEST-2025/tasks/2').json()['id']
        r = self.as_('tc').post(f'/api/v1/tasks/{tid}/reports',
                                {'period': '2025-06', 'progress': 40,
                                 'results': 'Đã nghiệm thu đợt 1', 'evidence': f['ref']})
        self.assertEqual(r.status, 201, r)
        t = self.as_('viewer').get('/api/v1/plans/QN-TEST-2025/tasks/2').json()
        rep = t['reports'][-1]
        self.assertEqual(rep['evidence'], [f['ref']], rep)
        self.assertEqual([(x['id'], x['name'], x['size']) for x in rep['files']],
                         [(f['id'], 'bien-ban nghiem thu.pdf', len(MINUTES))], rep)
        # a reader of the report downloads the very bytes, as an attachment
        r = self.as_('viewer').get(f"/api/v1/evidence/{f['id']}")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.body, MINUTES)
        self.assertEqual(r.header('Content-Type'), 'application/octet-stream')
        self.assertEqual(r.header('X-Content-Type-Options'), 'nosniff')
        self.assertIn("attachment; filename=\"bien-ban nghiem thu.pdf\"; "
                      "filename*=UTF-8''bien-ban%20nghiem%20thu.pdf",
                      r.header('Content-Disposition'))
        self.assertEqual(self.as_('anonymous').get(f"/api/v1/evidence/{f['id']}").status, 404)
        # the CLI shows it in the task
        r = self.h.run('task', 'show', 'QN-TEST-2025/2', '--json')
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(json.loads(r.out)['reports'][-1]['files'][0]['name'],
                         'bien-ban nghiem thu.pdf')

    def test_2_an_uncited_file_is_its_agencys_alone(self):
        r = self.upload('tc', b'ban nhap', name='nháp.txt')
        self.assertEqual(r.status, 201, r)
        fid = r.json()['id']
        self.assertEqual(self.as_('tc').get(f'/api/v1/evidence/{fid}').body, b'ban nhap')
        for who in ('viewer', 'inspector', 'hatu'):
            self.assertError(self.as_(who).get(f'/api/v1/evidence/{fid}'), 404,
                             f'no evidence file {fid}')
        # another agency cannot cite it (citing would give its readers the file)
        tid = self.as_('hatu').get('/api/v1/plans/QN-TEST-2025/tasks/1').json()['id']
        before = len(self.as_('viewer').get('/api/v1/plans/QN-TEST-2025/tasks/1').json()['reports'])
        self.assertError(self.as_('hatu').post(f'/api/v1/tasks/{tid}/reports',
                                               {'period': '2025-06', 'progress': 10,
                                                'evidence': f'file:{fid}'}), 400,
                         f'evidence: file:{fid} was uploaded for SO-TC, not for 06652')
        self.assertError(self.as_('hatu').post(f'/api/v1/tasks/{tid}/reports',
                                               {'period': '2025-06', 'progress': 10,
                                                'evidence': 'file:99999'}), 400,
                         'evidence: file:99999 is not a file uploaded here')
        after = len(self.as_('viewer').get('/api/v1/plans/QN-TEST-2025/tasks/1').json()['reports'])
        self.assertEqual(before, after)
        self.assertError(self.as_('tc').get('/api/v1/evidence/abc'), 404, 'no evidence file')

    def test_3_a_restricted_plans_file(self):
        r = self.upload('tc', b'so lieu ngan sach', name='ngan-sach.xlsx')
        fid = r.json()['id']
        tid = self.as_('inspector').get('/api/v1/plans/QN-MAT-2025/tasks/1').json()['id']
        # the officer (internal at most) cannot report on a task it cannot see: the CLI does
        r = self.h.run('task', 'report', 'QN-MAT-2025/1', '--period', '2025-06',
                       '--progress', '20', '--evidence', f'file:{fid}', '--agency', 'SO-TC',
                       '--at', TODAY)
        self.assertEqual(r.rc, 0, r)
        self.assertError(self.as_('viewer').get(f'/api/v1/evidence/{fid}'), 404, 'no evidence')
        r = self.as_('inspector').get(f'/api/v1/evidence/{fid}')
        self.assertEqual((r.status, r.body), (200, b'so lieu ngan sach'), r)
        r = self.h.run('audit', 'list', '--json')
        self.assertIn('"evidence.read"', r.out)
        self.assertIn(f'file:{fid}', r.out)
        del tid

    def test_4_bad_uploads_write_nothing(self):
        kept = self.files_kept()
        self.assertError(self.upload('tc', MINUTES, name=None), 400, 'name: give the file')
        self.assertError(self.upload('tc', b''), 400, 'body: the file')
        self.assertError(self.upload('tc', b'x', name='a\x01b.txt'), 400, 'control character')
        self.assertError(self.upload('viewer', b'x'), 403, 'may not upload evidence')
        self.assertEqual(self.upload('anonymous', b'x').status, 401)
        self.assertError(self.upload('hatu', b'x', agency='SO-TC'), 403,
                         'for their own agency only (yours: 06652; asked: SO-TC)')
        r = self.upload('tc', b'x' * (20 * 1024 * 1024 + 1))
        self.assertEqual(r.status, 413, r)
        self.assertEqual(self.files_kept(), kept)
        # a path in the name keeps its last part only
        r = self.upload('tc', b'x', name='../../etc/passwd')
        self.assertEqual((r.status, r.json()['name']), (201, 'passwd'), r)
        self.assertEqual(self.files_kept(), kept + 1)

    def test_5_the_cli(self):
        path = self.h.path('bien bản.txt')
        with open(path, 'wb') as f:
            f.write(MINUTES)
        r = self.h.run('task', 'evidence', path, '--agency', 'Phường Hà Tu', '--json')
        self.assertEqual(r.rc, 0, r)
        f = json.loads(r.out)
        self.assertEqual((f['name'], f['agency'], f['size']), ('bien bản.txt', '06652',
                                                                len(MINUTES)))
        r = self.h.run('task', 'report', 'QN-TEST-2025/1', '--period', '2025-06', '--progress',
                       '30', '--evidence', f['ref'], '--at', TODAY)
        self.assertEqual(r.rc, 0, r)
        r = self.h.run('task', 'evidence', path)
        self.assertEqual(r.rc, 1, r)
        self.assertIn('agency: give the agency the evidence is for', r.err)
        r = self.h.run('task', 'evidence', self.h.path('missing.pdf'), '--agency', 'SO-TC')
        self.assertEqual(r.rc, 1, r)
        self.assertIn('missing.pdf', r.err)
        os.mkfifo(self.h.path('fifo'))
        r = self.h.run('task', 'evidence', self.h.path('fifo'), '--agency', 'SO-TC')
        self.assertEqual(r.rc, 1, r)
        self.assertIn('not a regular file', r.err)


if __name__ == '__main__':
    unittest.main()
