"""Plans through a real `halong serve` and the real CLI (issue 13): the Government's appendix and a
small provincial plan (test data, assigning tasks to a real ward and to real departments) imported;
reports by each agency's officer and refused for another agency's task; the compiler returns one
with a comment, the officer corrects it, the compiler accepts it, and the history keeps it all;
evaluation of a quarter at a clock fixed for the server, the same through the API and the CLI; bad
input answered 400 naming its field with nothing written; who may import, verify, inspect."""
import json
import time
import unittest
import urllib.parse

import hl
import hlplans

TODAY = '2025-07-10'
PLAN_CSV = ('plan_id,number,date,issuer,title,period,compiler,report_every\n'
            'QN-TEST-2025,01/KH-TEST,2025-03-10,UBND tỉnh Quảng Ninh,'
            '"Kế hoạch thử nghiệm (dữ liệu kiểm thử, không phải kế hoạch thật)",2025,'
            'Sở Khoa học và Công nghệ,monthly\n')
TASKS_CSV = ('STT,Nhiệm vụ,Cơ quan chủ trì,Cơ quan phối hợp,Thời gian hoàn thành,Sản phẩm\n'
             'I,Hạ tầng số,,,,\n'
             '1,Số hóa hồ sơ lưu trữ của phường,Phường Hà Tu,Sở Nội vụ,Quý II/2025,'
             'Hồ sơ số hóa\n'
             '2,Báo cáo tiến độ chuyển đổi số,Sở Tài chính,,30/6/2025,Báo cáo\n'
             '3,Rà soát cơ sở dữ liệu ngành,Sở Tài chính,Sở Khoa học và Công nghệ,9/2025,'
             'Báo cáo rà soát\n')
USERS = {'admin': ('admin', '22', None), 'compiler': ('officer', '22', 'SO-KHCN'),
         'tc': ('officer', '22', 'SO-TC'), 'hatu': ('officer', '06652', None),
         'viewer': ('viewer', '22', None), 'inspector': ('inspector', '22', None)}


class PlansApi(hlplans.PlansCase):
    """One data directory for the class; the steps run in order."""
    TODAY = TODAY
    FILES = ((PLAN_CSV,), (TASKS_CSV, '--plan', 'QN-TEST-2025'))
    PATHS = ((hl.SRC + '/data/plans/NQ03-NQ-CP-2025_plan.csv', '--compiler', 'SO-KHCN'),
             (hl.SRC + '/data/plans/NQ03-NQ-CP-2025_tasks.csv', '--keep-unknown'))
    USERS = USERS

    def import_(self, path, body, headers):
        """POST the file to the import: 202 and a job, followed to its end; the job."""
        r = self.as_('admin').call('POST', path, body, headers=headers)
        self.assertEqual(r.status, 202, r)
        job = r.json()['job']
        self.assertEqual((job['kind'], job['state']), ('plan-import', 'running'), r)
        for _ in range(600):
            j = self.as_('admin').get(f"/api/v1/jobs/{job['id']}")
            self.assertEqual(j.status, 200, j)
            if j.json()['state'] != 'running':
                return j.json()
            time.sleep(0.05)
        self.fail(f'the import job did not end: {j.json()}')

    def task_id(self, item):
        r = self.as_('viewer').get(f'/api/v1/plans/QN-TEST-2025/tasks/{item}')
        self.assertEqual(r.status, 200, r)
        return r.json()['id']

    def test_1_plans_and_tasks(self):
        r = self.as_('viewer').get('/api/v1/plans')
        self.assertEqual(r.status, 200, r)
        self.assertEqual(sorted(p['id'] for p in r.json()['items']),
                         ['NQ03-NQ-CP-2025', 'QN-TEST-2025'])
        # internal plans: nothing for the public
        r = self.as_('anonymous').get('/api/v1/plans')
        self.assertEqual((r.status, r.json()['total']), (200, 0), r)
        self.assertError(self.as_('anonymous').get('/api/v1/plans/QN-TEST-2025'), 404,
                         'no plan "QN-TEST-2025"')
        r = self.as_('tc').get('/api/v1/plans')
        self.assertEqual(r.json()['my_agency'], 'SO-TC')
        r = self.as_('viewer').get('/api/v1/plans/QN-TEST-2025')
        self.assertEqual(r.status, 200, r)
        p = r.json()
        self.assertEqual((p['compiler'], p['tasks'], len(p['task_list'])), ('SO-KHCN', 3, 4))
        t1 = [t for t in p['task_list'] if t['item_no'] == '1'][0]
        # named as the plan's day knew it: the ward of before 1 July 2025, merged whole into
        # the new Phường Hà Tu (06652), whose officer reports for it now
        self.assertEqual(t1['lead'], [{'code': '06664', 'name': 'Phường Hà Tu'}])
        self.assertEqual(t1['support'], [{'code': 'SO-NV', 'name': 'Sở Nội vụ'}])
        self.assertEqual((t1['due']['kind'], t1['due']['date']), ('quarter', '2025-06-30'))
        # the server's clock is 10 July 2025: overdue, not started before
        self.assertEqual((t1['status'], t1['status_vi']), ('overdue', 'Chậm tiến độ, quá hạn'))
        r = self.as_('viewer').get('/api/v1/plans/QN-TEST-2025?at=2025-06-01')
        t1 = [t for t in r.json()['task_list'] if t['item_no'] == '1'][0]
        self.assertEqual(t1['status'], 'not_started')
        r = self.as_('viewer').get('/api/v1/plans/NQ03-NQ-CP-2025')
        self.assertEqual(len(r.json()['task_list']), 147)

    def test_2_reports_by_their_agency_only(self):
        t1, t2 = self.task_id('1'), self.task_id('2')
        body = {'period': '2025-06', 'progress': 60, 'results': 'Đã số hóa 1.200 trang'}
        # Sở Tài chính's officer, on Phường Hà Tu's task
        self.assertError(self.as_('tc').post(f'/api/v1/tasks/{t1}/reports', body), 403,
                         'SO-TC does not lead task')
        self.assertError(self.as_('tc').post(f'/api/v1/tasks/{t1}/reports',
                                             dict(body, agency='06652')), 403,
                         'own agency only')
        self.assertError(self.as_('viewer').post(f'/api/v1/tasks/{t1}/reports', body), 403,
                         'your role (viewer) may not report')
        self.assertEqual(self.as_('anonymous').post(f'/api/v1/tasks/{t1}/reports', body).status,
                         401)
        # bad input, each named, nothing written
        self.assertError(self.as_('hatu').post(f'/api/v1/tasks/{t1}/reports',
                                               dict(body, progress=140)), 400,
                         'progress: 140% is not 0–100%')
        self.assertError(self.as_('hatu').post(f'/api/v1/tasks/{t1}/reports',
                                               dict(body, period='2025-13')), 400,
                         'period: "2025-13" is not a reporting period')
        self.assertError(self.as_('hatu').post(f'/api/v1/tasks/{t1}/reports',
                                               dict(body, period='2025-08')), 400,
                         'period: 2025-08 has not begun on 2025-07-10')
        self.assertError(self.as_('hatu').post(f'/api/v1/tasks/{t1}/reports',
                                               dict(body, state='finished')), 400, 'state:')
        self.assertError(self.as_('hatu').post('/api/v1/tasks/999999/reports', body), 404,
                         'no task')
        r = self.as_('viewer').get(f'/api/v1/tasks/{t1}')
        self.assertEqual(r.json()['reports'], [])
        # the ward's officer reports for the ward; Sở Tài chính's for its own
        r = self.as_('hatu').post(f'/api/v1/tasks/{t1}/reports', body)
        self.assertEqual(r.status, 201, r)
        r = self.as_('tc').post(f'/api/v1/tasks/{t2}/reports',
                                {'period': '2025-06', 'state': 'done', 'done_on': '2025-06-27',
                                 'results': 'Báo cáo đã gửi'})
        self.assertEqual(r.status, 201, r)
        r = self.as_('viewer').get(f'/api/v1/tasks/{t2}')
        self.assertEqual((r.json()['status'], r.json()['progress']), ('done_on_time', 100), r)

    def test_3_returned_corrected_accepted(self):
        t1 = self.task_id('1')
        q = self.as_('compiler').get('/api/v1/reports/queue')
        self.assertEqual(q.status, 200, q)
        first = [x for x in q.json()['items'] if x['task'] == 'QN-TEST-2025/1'][0]
        self.assertEqual((first['agency'], first['by'], first['verdict']),
                         ('06652', 'hatu', 'pending'))
        # not the compiler
        self.assertError(self.as_('tc').post(f"/api/v1/reports/{first['id']}/verify",
                                             {'verdict': 'accepted'}), 403,
                         'only the compiler of plan QN-TEST-2025 (SO-KHCN)')
        self.assertEqual(self.as_('tc').get('/api/v1/reports/queue').json()['total'], 0)
        self.assertError(self.as_('compiler').post(f"/api/v1/reports/{first['id']}/verify",
                                                   {'verdict': 'returned'}), 400,
                         'comment: a report returned says why')
        r = self.as_('compiler').post(f"/api/v1/reports/{first['id']}/verify",
                                      {'verdict': 'returned',
                                       'comment': 'Thiếu danh mục hồ sơ đã số hóa'})
        self.assertEqual(r.status, 200, r)
        h = self.as_('hatu').get(f'/api/v1/tasks/{t1}').json()['reports']
        self.assertEqual((h[0]['verdict'], h[0]['verdict_comment']),
                         ('returned', 'Thiếu danh mục hồ sơ đã số hóa'))
        r = self.as_('hatu').post(f'/api/v1/tasks/{t1}/reports',
                                  {'period': '2025-06', 'progress': 60, 'corrects': first['id'],
                                   'results': 'Đã số hóa 1.200 trang; danh mục kèm theo'})
        self.assertEqual(r.status, 201, r)
        second = r.json()['id']
        r = self.as_('compiler').post(f'/api/v1/reports/{second}/verify',
                                      {'verdict': 'accepted'})
        self.assertEqual(r.status, 200, r)
        self.assertError(self.as_('compiler').post(f'/api/v1/reports/{second}/verify',
                                                   {'verdict': 'accepted'}), 409,
                         'was accepted on 2025-07-10')
        h = self.as_('viewer').get(f'/api/v1/tasks/{t1}').json()['reports']
        self.assertEqual([(x['verdict'], x['corrects']) for x in h],
                         [('returned', None), ('accepted', first['id'])])
        # the CLI shows the same history
        r = self.h.run('task', 'show', 'QN-TEST-2025/1', '--at', TODAY, '--json')
        self.assertEqual(r.rc, 0, r)
        self.assertEqual([x['verdict'] for x in json.loads(r.out)['reports']],
                         ['returned', 'accepted'])

    def test_4_evaluation(self):
        r = self.as_('viewer').get('/api/v1/plans/QN-TEST-2025/eval?period='
                                   + urllib.parse.quote('Quý II/2025'))
        self.assertEqual(r.status, 200, r)
        e = r.json()
        # task 1 (Hà Tu, 60%: overdue), task 2 (Sở Tài chính, done 27/6: on time); task 3 is due
        # in September
        t = e['total']
        self.assertEqual((e['period'], t['total'], t['done_on_time'], t['overdue']),
                         ('2025-Q2', 2, 1, 1))
        self.assertEqual(e['line_vi'], 'Trong tổng số 2 nhiệm vụ: 1 đã hoàn thành (1 đúng hạn, '
                         '0 quá hạn); 0 đang thực hiện đúng tiến độ; 1 chậm tiến độ, quá hạn; 0 '
                         'chưa triển khai; 0 chờ hướng dẫn.')
        self.assertEqual([(a['rank'], a['code']) for a in e['agencies']],
                         [(1, 'SO-TC'), (2, '06652')])
        self.assertEqual([(x['ref'], x['days']) for x in e['overdue']], [('QN-TEST-2025/1', 10)])
        # the CLI, the same question, the same answer
        r = self.h.run('plan', 'eval', 'QN-TEST-2025', '--period', '2025-Q2', '--at', TODAY,
                       '--json')
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(json.loads(r.out), e)
        self.assertError(self.as_('viewer').get('/api/v1/plans/QN-TEST-2025/eval?period=2025-Q5'),
                         400, 'period:')
        r = self.as_('viewer').get('/api/v1/periods/2025-Q3')
        self.assertEqual(r.json(), {'label': '2025-Q3', 'from': '2025-07-01', 'to': '2025-09-30',
                                    'data_from': '2025-06-15', 'data_to': '2025-09-14',
                                    'report_due': '2025-09-25'})

    def test_5_import_by_admin_only_and_whole(self):
        bad = ('STT,Nhiệm vụ,Cơ quan chủ trì,Thời gian hoàn thành\n'
               '4,Việc mới,Sở Tài chính,12/2025\n'
               '5,Hạn trước kế hoạch,Sở Tài chính,12/2024\n'
               '6,Cơ quan lạ,Sở Không Tồn Tại,12/2025\n').encode()
        path = '/api/v1/plans/import?plan=QN-TEST-2025'
        hdr = {'Content-Type': 'text/csv'}
        r = self.as_('tc').call('POST', path, bad, headers=hdr)
        self.assertError(r, 403, 'only an admin imports plans')
        job = self.import_(path, bad, hdr)
        self.assertEqual(job['state'], 'failed', job)
        self.assertIn('2 errors, nothing was imported; the first: plan:3: due: due 2024-12-31 '
                      'is before the plan starts', job['message'])
        rows = job['result']['errors']
        self.assertEqual(len(rows), 2)
        self.assertTrue(rows[0].startswith('plan:3: due: due 2024-12-31 is before the plan '
                                           'starts'), rows)
        self.assertTrue(rows[1].startswith('plan:4: lead_agency: unknown agency "Sở Không Tồn '
                                           'Tại"'), rows)
        self.assertEqual((job['result']['added'], job['result']['changed']), (0, 0), job)
        self.assertNotIn('/tmp', json.dumps(job))
        # nothing of it was written
        self.assertEqual(self.as_('viewer').get('/api/v1/plans/QN-TEST-2025/tasks/4').status,
                         404)
        good = bad.decode().split('\n')[:2]
        job = self.import_(path, ('\n'.join(good) + '\n').encode(), hdr)
        self.assertEqual((job['state'], job['result']['added'], job['result']['errors']),
                         ('done', 1, []), job)
        self.assertEqual(job['message'], '1 rows: 1 added, 0 changed, 0 unchanged')
        job = self.import_(path, ('\n'.join(good) + '\n').encode(), hdr)
        self.assertEqual((job['state'], job['result']['added'], job['result']['unchanged']),
                         ('done', 0, 1), job)
        # refused at once, before any job: no body, a bad parameter
        self.assertError(self.as_('admin').call('POST', path, b'', headers=hdr), 400, 'body:')
        self.assertError(self.as_('admin').call('POST', path + '&keep_unknown=2', bad,
                                                headers=hdr), 400, 'keep_unknown')

    def test_5b_import_of_the_real_appendix_as_a_job(self):
        # the Government's appendix (data/plans), into a plan of its own made by the API too;
        # the job counts the rows as it goes and ends with the plan's task count
        with open(hl.SRC + '/data/plans/NQ03-NQ-CP-2025_plan.csv', 'rb') as f:
            plan = f.read().decode().replace('NQ03-NQ-CP-2025', 'NQ03-API-2025').encode()
        job = self.import_('/api/v1/plans/import?compiler=SO-KHCN', plan,
                           {'Content-Type': 'text/csv'})
        self.assertEqual((job['state'], job['result']['plans']), ('done', 1), job)
        with open(hl.SRC + '/data/plans/NQ03-NQ-CP-2025_tasks.csv', 'rb') as f:
            tasks = f.read().decode().replace('NQ03-NQ-CP-2025', 'NQ03-API-2025').encode()
        job = self.import_('/api/v1/plans/import?keep_unknown=1', tasks,
                           {'Content-Type': 'text/csv'})
        self.assertEqual(job['state'], 'done', job)
        res = job['result']
        # every row of the appendix added (the sections are rows of the plan too)
        self.assertEqual((res['rows'], res['added'], res['errors']), (147, 147, []), job)
        self.assertEqual((job['done'], job['total']), (res['rows'], res['rows']), job)
        p = self.as_('viewer').get('/api/v1/plans/NQ03-API-2025').json()
        self.assertEqual(len(p['task_list']), 147)
        # the same as the command line's import of the same files
        cli = self.as_('viewer').get('/api/v1/plans/NQ03-NQ-CP-2025').json()
        self.assertEqual(p['tasks'], cli['tasks'])

    def test_6_inspections_and_lessons(self):
        body = {'plan': 'QN-TEST-2025', 'date': '2025-07-08', 'team': 'Đoàn kiểm tra của Sở KH&CN',
                'scope': 'Quý II/2025', 'agency': 'Phường Hà Tu', 'rating': 'dat',
                'findings': 'Chậm số hóa hồ sơ',
                'follow_up': [{'title': 'Hoàn thành số hóa hồ sơ còn lại', 'agency': '06652',
                               'due': '30/9/2025'}]}
        self.assertError(self.as_('tc').post('/api/v1/inspections', body), 403,
                         'only an inspector records inspections')
        self.assertError(self.as_('inspector').post('/api/v1/inspections',
                                                    dict(body, date='2025-07-30')), 400,
                         'date: 2025-07-30 is after today')
        r = self.as_('inspector').post('/api/v1/inspections', body)
        self.assertEqual(r.status, 201, r)
        self.assertEqual(r.json()['follow_up_tasks'], 1, r)
        r = self.as_('viewer').get(f"/api/v1/plans/QN-TEST-2025/tasks/KT{r.json()['id']}.1")
        self.assertEqual((r.status, r.json()['lead'][0]['code'], r.json()['due']['date']),
                         (200, '06652', '2025-09-30'), r)
        r = self.as_('hatu').post('/api/v1/lessons',
                                  {'title': 'Số hóa theo danh mục trước',
                                   'body': 'Lập danh mục hồ sơ trước khi quét giúp kiểm tra nhanh.',
                                   'task': 'QN-TEST-2025/1'})
        self.assertEqual(r.status, 201, r)
        r = self.as_('viewer').get('/api/v1/lessons?q=' + urllib.parse.quote('kind:lesson danh muc'))
        self.assertEqual([x['title'] for x in r.json()['items']], ['Số hóa theo danh mục trước'])
        self.assertEqual(self.as_('anonymous').get('/api/v1/lessons?q=x').status, 401)

    def test_7_access_levels_hold(self):
        # a restricted plan: not to a viewer (internal at most), not in its evaluations; an
        # inspector reads it
        path = self.h.path('restricted.csv')
        with open(path, 'w', encoding='utf-8') as f:
            f.write('plan_id,title,period,access,compiler\n'
                    'QN-MAT-2025,Kế hoạch hạn chế (dữ liệu kiểm thử),2025,restricted,SO-KHCN\n')
        self.assertEqual(self.h.run('plan', 'import', path).rc, 0)
        with open(path, 'w', encoding='utf-8') as f:
            f.write('STT,Nhiệm vụ,Cơ quan chủ trì,Thời gian hoàn thành\n'
                    '1,Việc hạn chế,Sở Tài chính,6/2025\n')
        self.assertEqual(self.h.run('plan', 'import', path, '--plan', 'QN-MAT-2025').rc, 0)
        self.assertError(self.as_('viewer').get('/api/v1/plans/QN-MAT-2025'), 404,
                         'no plan "QN-MAT-2025"')
        self.assertError(self.as_('viewer').get('/api/v1/plans/QN-MAT-2025/tasks/1'), 404,
                         'no task')
        self.assertError(self.as_('viewer').get('/api/v1/plans/QN-MAT-2025/eval'), 404, 'no plan')
        self.assertNotIn('QN-MAT-2025',
                         [p['id'] for p in self.as_('viewer').get('/api/v1/plans').json()['items']])
        every = self.as_('viewer').get('/api/v1/evaluation').json()
        self.assertNotIn('QN-MAT-2025', json.dumps(every, ensure_ascii=False))
        self.assertEqual(self.as_('inspector').get('/api/v1/plans/QN-MAT-2025').status, 200)
        # the officer of its lead agency, internal at most, cannot report on what it cannot see
        tid = self.as_('inspector').get('/api/v1/plans/QN-MAT-2025/tasks/1').json()['id']
        self.assertError(self.as_('tc').post(f'/api/v1/tasks/{tid}/reports',
                                             {'period': '2025-06', 'progress': 10}), 404,
                         'no task')

    def test_8_xlsx_upload(self):
        # a workbook made by a real writer (Debian's python3-openpyxl), uploaded by the admin
        xlsx = self.h.path('plan.xlsx')
        import subprocess
        subprocess.run(['/usr/bin/python3', '-c',
                        'import openpyxl, sys\n'
                        'wb = openpyxl.Workbook(); ws = wb.active; ws.title = "Phụ lục"\n'
                        'ws.append(["STT", "Nhiệm vụ", "Cơ quan chủ trì", "Thời gian hoàn thành",'
                        ' "Trọng số"])\n'
                        'ws.append([7, "Tập huấn kỹ năng số cho cán bộ phường", "Phường Hà Tu",'
                        ' "Quý IV/2025", 2])\n'
                        'wb.save(sys.argv[1])\n', xlsx], check=True)
        with open(xlsx, 'rb') as f:
            body = f.read()
        job = self.import_('/api/v1/plans/import?plan=QN-TEST-2025', body,
                           {'Content-Type': 'application/vnd.openxmlformats-'
                            'officedocument.spreadsheetml.sheet'})
        self.assertEqual((job['state'], job['result']['added']), ('done', 1), job)
        t = self.as_('viewer').get('/api/v1/plans/QN-TEST-2025/tasks/7').json()
        self.assertEqual((t['title'], t['weight'], t['due']['date'], t['lead'][0]['code']),
                         ('Tập huấn kỹ năng số cho cán bộ phường', 2.0, '2025-12-31', '06664'))
        # not a workbook, not a CSV: the job fails, nothing written
        job = self.import_('/api/v1/plans/import?plan=QN-TEST-2025', b'PK\x03\x04broken',
                           {'Content-Type': 'text/csv'})
        self.assertEqual(job['state'], 'failed', job)

    def test_9_at_once(self):
        # sixteen verifications of one report at once: one verdict; the rest 409
        import threading
        t3 = self.task_id('3')
        r = self.as_('tc').post(f'/api/v1/tasks/{t3}/reports', {'period': '2025-07',
                                                                'progress': 20})
        self.assertEqual(r.status, 201, r)
        rid, out, lock = r.json()['id'], [], threading.Lock()

        def verify():
            x = self.as_('compiler').post(f'/api/v1/reports/{rid}/verify',
                                          {'verdict': 'returned', 'comment': 'Bổ sung số liệu'})
            with lock:
                out.append(x.status)
        ts = [threading.Thread(target=verify) for _ in range(16)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        self.assertEqual(sorted(out), [200] + [409] * 15)
        h = self.as_('viewer').get(f'/api/v1/tasks/{t3}').json()['reports']
        self.assertEqual([x['verdict'] for x in h if x['id'] == rid], ['returned'])
        # many readers of two plans at once, each served in full, the server alive
        codes = []

        def read(pid):
            for _ in range(5):
                x = self.as_('viewer').get(f'/api/v1/plans/{pid}')
                with lock:
                    codes.append((x.status, len(x.json().get('task_list', []))))
        ts = [threading.Thread(target=read, args=(p,))
              for p in ['NQ03-NQ-CP-2025', 'QN-TEST-2025'] * 4]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        self.assertEqual(len(codes), 40)
        self.assertTrue(all(c == 200 for c, _ in codes), codes)
        self.assertEqual({n for _, n in codes if n > 100}, {147})
        self.assertTrue(self.srv.alive())
        self.assertNotIn('runtime error', self.srv.log())


if __name__ == '__main__':
    unittest.main()
