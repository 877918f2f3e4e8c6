"""The dashboard's answers kept by the server (issue 13): a real `halong serve` with one worker
thread, so that every request meets the answers that thread kept. An evaluation and a plan's page
asked again give the same answer; after a report is added (through the API, and by the command
line, another process), a verdict returned, or a task cancelled, the next answer shows it (nothing
stale); a caller of a lower ceiling never gets the answer kept for a higher one (a restricted plan
in the evaluation of every plan), nor the other way round. The plans are test data."""
import json
import unittest
import urllib.parse
import zlib

import hlplans

TODAY = '2025-07-10'
PLAN_CSV = ('plan_id,number,date,issuer,title,period,compiler,report_every\n'
            'QN-CACHE-2025,01/KH-TEST,2025-03-10,UBND tỉnh Quảng Ninh,'
            '"Kế hoạch thử nghiệm (dữ liệu kiểm thử, không phải kế hoạch thật)",2025,'
            'Sở Khoa học và Công nghệ,monthly\n')
# restricted: an inspector reads it, a viewer (internal at most) does not
MAT_CSV = ('plan_id,title,period,access,compiler\n'
           'QN-MAT-2025,"Kế hoạch hạn chế (dữ liệu kiểm thử)",2025,restricted,SO-KHCN\n')
TASKS_CSV = ('STT,Nhiệm vụ,Cơ quan chủ trì,Thời gian hoàn thành\n'
             '1,Số hóa hồ sơ lưu trữ,Sở Tài chính,30/6/2025\n'
             '2,Báo cáo tiến độ chuyển đổi số,Sở Tài chính,30/6/2025\n'
             '3,Rà soát cơ sở dữ liệu ngành,Sở Tài chính,30/6/2025\n')
SECRET_TASKS = ('STT,Nhiệm vụ,Cơ quan chủ trì,Thời gian hoàn thành\n'
                '1,Việc hạn chế thứ nhất,Sở Tài chính,30/6/2025\n'
                '2,Việc hạn chế thứ hai,Sở Tài chính,30/6/2025\n')
USERS = {'compiler': ('officer', '22', 'SO-KHCN'), 'tc': ('officer', '22', 'SO-TC'),
         'viewer': ('viewer', '22', None), 'inspector': ('inspector', '22', None)}
Q2 = '?period=2025-Q2'


class PlansCache(hlplans.PlansCase):
    """One data directory and one server (one worker thread) for the class; the steps run in
    order."""
    TODAY = TODAY
    FILES = ((PLAN_CSV,), (TASKS_CSV, '--plan', 'QN-CACHE-2025'), (MAT_CSV,),
             (SECRET_TASKS, '--plan', 'QN-MAT-2025'))
    USERS = USERS
    SERVE_ARGS = ('--threads', '1')

    def get(self, who, path, gzip=False):
        r = self.as_(who).call('GET', path, headers={'Accept-Encoding': 'gzip'} if gzip else None)
        self.assertEqual(r.status, 200, r)
        if gzip:
            self.assertEqual(r.header('Content-Encoding'), 'gzip', r)
            return json.loads(zlib.decompress(r.body, 16 + zlib.MAX_WBITS).decode())
        return r.json()

    def counts(self, who='viewer', gzip=False):
        t = self.get(who, '/api/v1/plans/QN-CACHE-2025/eval' + Q2, gzip)['total']
        return (t['total'], t['done_on_time'], t['overdue'], t['cancelled'])

    def task(self, item):
        return self.get('viewer', f'/api/v1/plans/QN-CACHE-2025/tasks/{item}')

    def test_1_reused_then_changed_by_a_report(self):
        first = self.counts()
        self.assertEqual(first, (3, 0, 3, 0))
        # asked again, as it is and gzip'd: the same answer
        self.assertEqual(self.counts(), first)
        self.assertEqual(self.counts(gzip=True), first)
        page = self.get('viewer', '/api/v1/plans/QN-CACHE-2025')
        self.assertEqual({t['item_no']: t['status'] for t in page['task_list']},
                         {'1': 'overdue', '2': 'overdue', '3': 'overdue'})
        # a report through the API (another request of the same thread): the next answers
        # count it
        r = self.as_('tc').post(f"/api/v1/tasks/{self.task('1')['id']}/reports",
                                {'period': '2025-06', 'state': 'done', 'done_on': '2025-06-27',
                                 'results': 'Đã hoàn thành'})
        self.assertEqual(r.status, 201, r)
        self.assertEqual(self.counts(), (3, 1, 2, 0))
        self.assertEqual(self.counts(gzip=True), (3, 1, 2, 0))
        page = self.get('viewer', '/api/v1/plans/QN-CACHE-2025')
        self.assertEqual({t['item_no']: t['status'] for t in page['task_list']},
                         {'1': 'done_on_time', '2': 'overdue', '3': 'overdue'})
        every = self.get('viewer', '/api/v1/evaluation' + Q2)['total']
        self.assertEqual((every['total'], every['done_on_time']), (3, 1))

    def test_2_changed_by_another_process(self):
        before = self.counts()
        # the command line writes the store from another process (another connection)
        r = self.h.run('task', 'report', 'QN-CACHE-2025/2', '--period', '2025-06', '--done',
                       '--at', '2025-06-28', '--agency', 'SO-TC')
        self.assertEqual(r.rc, 0, r)
        after = self.counts()
        self.assertEqual(after, (before[0], before[1] + 1, before[2] - 1, 0))
        r = self.h.run('task', 'cancel', 'QN-CACHE-2025/3', '--reason', 'Không còn phù hợp')
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(self.counts()[3], 1)

    def test_3_returned_report_counts_again(self):
        q = self.get('compiler', '/api/v1/reports/queue?plan=QN-CACHE-2025')['items']
        first = [x for x in q if x['task'] == 'QN-CACHE-2025/1'][0]
        before = self.counts()
        r = self.as_('compiler').post(f"/api/v1/reports/{first['id']}/verify",
                                      {'verdict': 'returned', 'comment': 'Thiếu minh chứng'})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(self.counts(), (before[0], before[1] - 1, before[2] + 1, before[3]))

    def test_4_a_lower_ceiling_never_gets_a_higher_callers_answer(self):
        every = '/api/v1/evaluation' + Q2
        # the inspector (restricted) first: QN-MAT-2025's two tasks are in the totals
        e = self.get('inspector', every)
        self.assertIn('QN-MAT-2025', json.dumps(e, ensure_ascii=False))
        hi = e['total']['total']
        self.assertEqual(self.get('inspector', every)['total']['total'], hi)
        # then the viewer, the same request on the same thread: without the restricted plan
        e = self.get('viewer', every)
        self.assertNotIn('QN-MAT-2025', json.dumps(e, ensure_ascii=False))
        self.assertEqual(e['total']['total'], hi - 2)
        for gz in (False, True):
            self.assertEqual(self.get('viewer', every, gz)['total']['total'], hi - 2)
            self.assertEqual(self.get('inspector', every, gz)['total']['total'], hi)
        # the restricted plan's own page and evaluation: the inspector's answer kept, the viewer
        # still refused
        for path in ('/api/v1/plans/QN-MAT-2025', '/api/v1/plans/QN-MAT-2025/eval' + Q2):
            self.get('inspector', path)
            self.get('inspector', path)
            r = self.as_('viewer').get(path)
            self.assertEqual(r.status, 404, r)
            self.assertIn('no plan "QN-MAT-2025"', r.json()['error']['message'])
        # the other way round: the viewer first, then the inspector gets the whole answer
        path = '/api/v1/evaluation?period=2025-Q2&soon=7'
        self.assertEqual(self.get('viewer', path)['total']['total'], hi - 2)
        self.assertEqual(self.get('inspector', path)['total']['total'], hi)
        # officers (internal, as the viewer) share the viewer's answer: it is the same
        self.assertEqual(self.get('tc', every), self.get('viewer', every))

    def test_5_parameters_are_the_key(self):
        # each parameter makes its own answer (no two requests share one by accident)
        plan = '/api/v1/plans/QN-CACHE-2025/eval'
        q2 = self.get('viewer', plan + Q2)
        h1 = self.get('viewer', plan + '?period=2025-H1')
        june = self.get('viewer', plan + '?from=2025-06-01&to=2025-06-30')
        self.assertEqual((q2['period'], h1['period'], june['from'], june['to']),
                         ('2025-Q2', '2025-H1', '2025-06-01', '2025-06-30'))
        early = self.get('viewer', plan + Q2 + '&at=2025-06-01')
        self.assertEqual((early['at'], early['total']['overdue']), ('2025-06-01', 0))
        self.assertEqual(self.get('viewer', plan + Q2)['at'], TODAY)
        tc = self.get('viewer', plan + Q2 + '&agency=' + urllib.parse.quote('Sở Tài chính'))
        self.assertEqual([a['code'] for a in tc['agencies']], ['SO-TC'])
        self.assertTrue(self.srv.alive())
        self.assertNotIn('runtime error', self.srv.log())


if __name__ == '__main__':
    unittest.main()
