"""Reports of the plan over the exchange (issue 13), between real nodes, each a real `halong
serve` with its own data directory on 127.0.0.1: the province's hub (22) and the communes
Phường Hà Tu (06652) and Phường Cao Xanh (06658) of ../shared/data/units, the hub's directory
enrolled, served and imported.

The plan is TEST DATA made here (a small provincial plan, labelled so in its title), imported on
every node. Hà Tu's report goes to the province, arrives with its origin, is returned with a
comment; the verdict comes back and Hà Tu sees "returned: <comment>" in its history; the
correction, sent through the API by Hà Tu's officer, is accepted by the province's compiler
through the API, and that verdict comes back too. A report of Cao Xanh on a task that Cao Xanh
does not lead at the province (its copy is the plan as first issued, the province's the amended
one) is refused at the province with its reason in `halong exchange status`, nothing written.
The same message delivered twice is applied once."""
import json
import unittest

import hl
import hlnodes
import test_openapi  # the OpenAPI document and its checker of answers

TODAY = '2025-08-20'  # every node's clock for the plans (HALONG_TODAY)
PLAN = 'KH-THU-2025'
HUB_SEND, HUB_RECV = 'document,feed.units,report', 'document,report'
COMMUNE_SEND, COMMUNE_RECV = 'document,report', 'document,feed.units,report'
COMMENT = 'Thiếu số liệu hồ sơ đã số hóa theo từng lĩnh vực; bổ sung và gửi lại.'

PLANS_CSV = ('plan_id,number,date,issuer,title,period,compiler\n'
             f'{PLAN},99/KH-THU,2025-08-01,UBND tỉnh Quảng Ninh (dữ liệu thử),'
             '"Kế hoạch thử nghiệm chuyển đổi số cấp xã (DỮ LIỆU KIỂM THỬ, không phải kế '
             'hoạch thật)",2025,SO-KHCN\n')
HEADER = 'plan_id,item_no,title,lead_agency,supporting_agencies,due,output\n'
TASKS = [
    ('1', 'Số hóa hồ sơ thủ tục hành chính một cửa (dữ liệu thử)', 'Phường Hà Tu',
     'Sở Khoa học và Công nghệ', '9/2025', 'Báo cáo kết quả số hóa'),
    ('2', 'Tập huấn kỹ năng số cho cán bộ phường (dữ liệu thử)', 'Phường Cao Xanh', '',
     'Quý IV/2025', 'Danh sách học viên'),
    ('3', 'Rà soát danh mục dịch vụ công trực tuyến (dữ liệu thử)', 'Phường Hà Tu', '',
     '10/2025', 'Danh mục rà soát'),
]


def tasks_csv(lead_of_1=None):
    rows = [list(t) for t in TASKS]
    if lead_of_1:
        rows[0][2] = lead_of_1
    return HEADER + ''.join(f'{PLAN},' + ','.join(f'"{c}"' for c in r) + '\n' for r in rows)


def setup_plans(node, tasks):
    node.ok('agency', 'load')
    node.ok('units', 'load', '--quiet')
    for name, text in (('plans.csv', PLANS_CSV), ('tasks.csv', tasks)):
        path = node.h.path(name)
        with open(path, 'w', encoding='utf-8') as f:
            f.write(text)
        node.ok('plan', 'import', path)


def reports(node, task):
    return node.json('task', 'show', f'{PLAN}/{task}')['reports']


class PlansOverTheExchange(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        env = {'HALONG_TODAY': TODAY}
        cls.hub, cls.a, cls.b, cls.c = [hlnodes.Node(u, env)
                                        for u in ('22', '06652', '06658', '06661')]
        cls.nodes = (cls.hub, cls.a, cls.b, cls.c)
        try:
            for n in cls.nodes:
                send, recv = (HUB_SEND, HUB_RECV) if n is cls.hub else (COMMUNE_SEND,
                                                                         COMMUNE_RECV)
                cls.hub.ok('node', 'enrol', n.unit, '--url', n.url, '--key', n.key,
                           '--may-send', send, '--may-receive', recv)
            cls.hub.start()
            hlnodes.publish(cls.hub, [cls.a, cls.b, cls.c])
            setup_plans(cls.hub, tasks_csv())
            setup_plans(cls.a, tasks_csv())
            # Cao Xanh holds the plan as first issued, task 1 its own; the province amended it
            setup_plans(cls.b, tasks_csv('Phường Cao Xanh'))
            cls.a.start()
            cls.b.start()
            # Hà Tu's officer (the commune's node) and the province's compiler (SO-KHCN)
            cls.a.ok('user', 'add', 'can.bo.hatu', '--role', 'officer', '--unit', '06652',
                     input=b'mat-khau-ha-tu-2025\n')
            cls.a_token = cls.a.ok('user', 'token', 'can.bo.hatu').out.strip().splitlines()[-1]
            cls.hub.ok('user', 'add', 'tong.hop', '--role', 'officer', '--unit', '22',
                       input=b'mat-khau-tong-hop-2025\n')
            cls.hub.ok('agency', 'assign', 'tong.hop', 'SO-KHCN')
            cls.hub_token = cls.hub.ok('user', 'token',
                                       'tong.hop').out.strip().splitlines()[-1]
        except Exception:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        for n in cls.nodes:
            n.cleanup()

    def api(self, node, token, method, path, body=None):
        return node.request(method, path, body, {'Authorization': 'Bearer ' + token})

    def from_node(self, node, task, unit):
        return [r for r in reports(node, task) if r['origin'] == unit]

    # ---- the tests ----
    def test_1_report_returned_corrected_accepted(self):
        a, hub = self.a, self.hub
        r = a.json('task', 'report', f'{PLAN}/1', '--period', '2025-08', '--progress', '40',
                   '--results', 'Đã số hóa 1.200 hồ sơ một cửa của năm 2024',
                   '--difficulties', 'Máy quét hỏng một tuần')
        local1 = r['id']
        sent = a.json('task', 'send', str(local1), '--to', '22')
        self.assertEqual((sent['report'], sent['to'], sent['state']), (local1, '22', 'waiting'))
        # sent once: a second send is refused, nothing put
        again = a.run('task', 'send', str(local1), '--to', '22')
        self.assertEqual(again.rc, 1, again)
        self.assertIn(f'report {local1} was sent already (message {sent["message"]})',
                      again.err)
        # at the province: recorded as the commune's, from its node, with the message's id
        got = hlnodes.wait_for(lambda: self.from_node(hub, 1, '06652'), 60,
                               'the report at the province')
        self.assertEqual(len(got), 1)
        p1 = got[0]
        self.assertEqual((p1['agency'], p1['period'], p1['progress'], p1['state']),
                         ('06652', '2025-08', 40, 'progress'))
        self.assertEqual(p1['results'], 'Đã số hóa 1.200 hồ sơ một cửa của năm 2024')
        self.assertEqual((p1['by'], p1['message_id'], p1['verdict']),
                         ('exchange:06652', sent['message'], 'pending'))
        shown = hub.ok('task', 'show', f'{PLAN}/1').out
        self.assertIn(f'report {p1["id"]}  {TODAY}  2025-08  06652 40% progress  by '
                      'exchange:06652, from node 06652  [pending]', shown)
        self.assertIn(f'{PLAN}/1', hub.ok('task', 'queue').out)
        # the commune's own copy says it was sent
        self.assertEqual(reports(a, 1)[0]['message_id'], sent['message'])
        # returned by the province (its operator, on the command line)
        hub.ok('task', 'verify', str(p1['id']), '--return', '--comment', COMMENT)
        mine = hlnodes.wait_for(
            lambda: [x for x in reports(a, 1) if x['id'] == local1 and
                     x['verdict'] == 'returned'], 60, 'the verdict at the commune')[0]
        self.assertEqual((mine['verdict_comment'], mine['verdict_by'], mine['verdict_at']),
                         (COMMENT, 'exchange:22', TODAY))
        self.assertIn(f'[returned: {COMMENT}]', a.ok('task', 'show', f'{PLAN}/1').out)
        # corrected at the commune and sent by its officer through the API
        local2 = a.json('task', 'report', f'{PLAN}/1', '--period', '2025-08', '--progress',
                        '45', '--results', 'Đã số hóa 1.350 hồ sơ: 600 đất đai, 450 hộ '
                        'tịch, 300 xây dựng', '--corrects', str(local1))['id']
        r = self.api(a, self.a_token, 'POST', f'/api/v1/reports/{local2}/send', {'to': '22'})
        self.assertEqual(r.status, 202, r)
        self.assertEqual(r.json()['state'], 'waiting')
        doc = test_openapi.load()
        schemas = doc['components']['schemas']
        self.assertEqual(test_openapi.check(schemas['SendReportResult'], r.json(), doc), [])
        got = hlnodes.wait_for(lambda: [x for x in self.from_node(hub, 1, '06652')
                                        if x['id'] != p1['id']], 60, 'the correction')
        p2 = got[0]
        self.assertEqual((p2['corrects'], p2['progress'], p2['message_id']),
                         (p1['id'], 45, r.json()['message']))
        # the returned one is not judged again: its correction is
        self.assertEqual(self.api(hub, self.hub_token, 'POST',
                                  f'/api/v1/reports/{p1["id"]}/verify',
                                  {'verdict': 'accepted'}).status, 409)
        r = self.api(hub, self.hub_token, 'POST', f'/api/v1/reports/{p2["id"]}/verify',
                     {'verdict': 'accepted'})
        self.assertEqual(r.status, 200, r)
        hlnodes.wait_for(lambda: [x for x in reports(a, 1) if x['id'] == local2 and
                                  x['verdict'] == 'accepted'], 60, 'the acceptance')
        t = hub.json('task', 'show', f'{PLAN}/1')
        self.assertEqual((t['status'], t['progress']), ('on_time', 45.0))
        for x in t['reports'] + reports(a, 1):  # the API's REPORT, as the document says
            self.assertEqual(test_openapi.check(schemas['Report'], x, doc), [], x)
        self.assertEqual([x['verdict'] for x in t['reports']], ['returned', 'accepted'])
        hlnodes.wait_for(lambda: a.outbox_waiting() == 0 and hub.outbox_waiting() == 0, 60,
                         'both outboxes empty')

    def test_2_report_of_a_commune_not_leading_is_refused(self):
        b, hub = self.b, self.hub
        local = b.json('task', 'report', f'{PLAN}/1', '--period', '2025-08', '--progress',
                       '10', '--results', 'Bắt đầu khảo sát')['id']
        msg = b.json('task', 'send', str(local), '--to', '22')['message']
        rej = hlnodes.wait_for(lambda: [x for x in hub.rejects() if x['id'] == msg], 60,
                               'the refusal at the province')[0]
        self.assertEqual((rej['sender'], rej['reason']), ('06658', 'access-denied'), rej)
        self.assertIn(f'06658 does not lead task {PLAN}/1', rej['detail'])
        self.assertIn('access-denied', hub.ok('exchange', 'status').out)
        # nothing written at the province: no report, no message applied
        self.assertEqual(self.from_node(hub, 1, '06658'), [])
        self.assertEqual([x for x in hub.applied('06658') if x[3] == msg], [])
        with hub.db() as c:
            self.assertEqual(c.execute("SELECT count(*) FROM task_report WHERE origin = "
                                       "'06658'").fetchone()[0], 0)
        # the commune sees why in its own status: the message waits, with the province's reason
        peer = hlnodes.wait_for(
            lambda: next((p for p in b.json('exchange', 'status')['peers']
                          if p['peer'] == '22' and p['last_error']), None), 60,
            'the error at the commune')
        self.assertIn('access-denied', peer['last_error'])
        self.assertEqual(peer['waiting'], 1)

    def test_3_the_same_message_twice_is_applied_once(self):
        a, hub = self.a, self.hub
        self.assertEqual(a.stop(), 0, a.log()[-2000:])  # the message stays in the outbox
        try:
            local = a.json('task', 'report', f'{PLAN}/3', '--period', '2025-08', '--done',
                           '--done-on', '2025-08-15', '--results', 'Đã rà soát 86 dịch vụ '
                           'công')['id']
            msg = a.json('task', 'send', str(local), '--to', '22')['message']
            env = a.ok('send', 'envelope', msg).out.strip()
            hdr = {'Content-Type': 'application/json'}
            r1 = hub.request('POST', '/api/v1/exchange/inbox', env, hdr)
            r2 = hub.request('POST', '/api/v1/exchange/inbox', env, hdr)
            self.assertEqual((r1.status, r2.status), (200, 200), f'{r1!r} {r2!r}')
            self.assertEqual(r1.header('X-Halong-Exchange-State'), 'applied')
            self.assertEqual(r2.header('X-Halong-Exchange-State'), 'duplicate')
            self.assertEqual(r1.body, r2.body, 'the same receipt')
        finally:
            a.start()
        # the commune's sender delivers it once more: a duplicate again
        hlnodes.wait_for(lambda: a.outbox_waiting() == 0, 60, 'the outbox delivered')
        got = self.from_node(hub, 3, '06652')
        self.assertEqual([(x['message_id'], x['state'], x['done_on']) for x in got],
                         [(msg, 'done', '2025-08-15')])
        self.assertEqual(len([x for x in hub.applied('06652') if x[3] == msg]), 1,
                         'applied once')
        self.assertEqual(hub.json('task', 'show', f'{PLAN}/3')['status'], 'done_on_time')

    def test_4_forged_reports_refused_each_with_its_reason(self):
        """Phường Việt Hưng's node (06661, its server not started) signs reports that lie or
        disagree: each is refused at the province with its reason, nothing written."""
        c, hub = self.c, self.hub
        base = {'kind': 'task.report', 'plan': PLAN, 'item_no': '1', 'agency': '06661',
                'period': '2025-08', 'progress': 20, 'state': 'progress', 'at': TODAY,
                'local_id': 1, 'results': 'Báo cáo giả lập (dữ liệu thử)'}
        msg = json.loads(c.ok('send', 'report', hlnodes.tmpfile(json.dumps(base).encode()),
                              '--to', '22', '--json').out)['id']
        sealed = json.loads(c.ok('send', 'envelope', msg).out)
        cases = [
            ({'agency': '06652'}, 403, 'access-denied', 'is not the sender\'s unit (06661)'),
            ({}, 403, 'access-denied', f'06661 does not lead task {PLAN}/1'),
            ({'item_no': '2'}, 403, 'access-denied', f'06661 does not lead task {PLAN}/2'),
            ({'plan': 'KH-KHONG-CO'}, 409, 'conflict', 'is not held here'),
            ({'progress': 140}, 400, 'malformed', '"progress" is not a whole number 0–100'),
            ({'at': '2025-09-30'}, 409, 'conflict', 'after today here (2025-08-20)'),
            ({'state': 'xong'}, 400, 'malformed', 'is not progress, done or waiting'),
            ({'corrects_message': msg}, 409, 'conflict', 'the report it corrects'),
        ]
        for change, status, reason, words in cases:
            env = dict(sealed, payload=dict(base, **change))
            r = hub.request('POST', '/api/v1/exchange/inbox', c.resign(env),
                            {'Content-Type': 'application/json'})
            self.assertEqual((r.status, r.json()['error']['reason']), (status, reason),
                             f'{change}: {r!r}')
            self.assertIn(words, r.json()['error']['message'], change)
            # the newest of 06661's (Cao Xanh's refused report is retried meanwhile)
            rej = [x for x in hub.rejects() if x['sender'] == '06661'][0]
            self.assertEqual((rej['id'], rej['reason']), (msg, reason), change)
            self.assertIn(words, rej['detail'], change)
        self.assertEqual(hub.applied('06661'), [], 'nothing applied')
        with hub.db() as db:
            self.assertEqual(db.execute("SELECT count(*) FROM task_report WHERE origin = "
                                        "'06661'").fetchone()[0], 0, 'nothing written')

    def test_5_a_verdict_matching_nothing_is_taken_and_said(self):
        """A verdict that names no report sent from the commune (as after a restore from an
        older backup) is taken without effect, its refusal in the commune's status; the
        province's later messages are not held behind it."""
        a, hub = self.a, self.hub
        stray = {'kind': 'report.verdict', 'plan': PLAN, 'item_no': '1', 'report': 999,
                 'message_id': '01900000-0000-7000-8000-000000000000', 'verdict': 'returned',
                 'comment': 'Không khớp (dữ liệu thử)', 'at': TODAY}
        first = json.loads(hub.ok('send', 'report',
                                  hlnodes.tmpfile(json.dumps(stray).encode()), '--to',
                                  '06652', '--json').out)['id']
        before = len(reports(a, 1))
        rej = hlnodes.wait_for(lambda: [x for x in a.rejects() if x['id'] == first], 60,
                               'the stray verdict noted at the commune')[0]
        self.assertEqual((rej['sender'], rej['reason']), ('22', 'conflict'), rej)
        self.assertIn(f'no report of task {PLAN}/1 was sent from here in message', rej['detail'])
        self.assertIn(first, [x[3] for x in a.applied('22')], 'taken')
        self.assertEqual(len(reports(a, 1)), before)
        self.assertEqual([x['verdict'] for x in reports(a, 1)], ['returned', 'accepted'],
                         'nothing written')
        # the province's next message goes through
        nxt = json.loads(hub.ok('send', 'report', hlnodes.tmpfile(b'{"thong_bao": 1}'),
                                '--to', '06652', '--json').out)['id']
        hlnodes.wait_for(lambda: nxt in [x[3] for x in a.applied('22')], 60,
                         'the next message applied')

    def test_9_no_sanitizer_reports(self):
        for n in self.nodes:
            self.assertNotIn('Sanitizer', n.log(), n.unit)
            self.assertNotIn('runtime error', n.log(), n.unit)


if __name__ == '__main__':
    unittest.main()
