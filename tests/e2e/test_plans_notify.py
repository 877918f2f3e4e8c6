"""Warnings (issue 13): due-soon and overdue notices mailed by `halong plan notify` to a REAL SMTP
server on 127.0.0.1 — Debian's aiosmtpd (/usr/bin/python3 -m aiosmtpd) with a handler, written
here, that saves each message it accepts to a folder — and read back with Python's own e-mail
parser, as a mail client would.

A small plan (test data, labelled so; not a real plan) whose tasks fall due around a clock set
with --at and HALONG_TODAY, led by three real agencies of Quảng Ninh's register with contacts:
 - one digest per agency, its subject and body in Vietnamese naming its tasks; the agency that
   reported for the occurrence before the run gets nothing;
 - a second run sends nothing (each notice once);
 - with the server down the notices stay unsent with their error (exit 3), a notice made moot
   meanwhile by a report is dropped, and the rest go on a later run;
 - a bad e-mail address is refused when the contact is set, nothing written;
 - GET /api/v1/notices: an officer sees their agency's, the plan's compiler any agency's, another
   officer is refused; the SMTP password is never shown, in the audit log or in an error."""
import email
import email.policy
import json
import os
import socket
import subprocess
import sys
import time
import unittest

import hl
import hlserve
from test_openapi import check, load as load_openapi

PY = '/usr/bin/python3'  # Debian's, with python3-aiosmtpd

PLAN = ('plan_id,title,period,compiler,number,date,issuer,note\n'
        'KH-CANHBAO,"Kế hoạch thử nghiệm nhắc việc (dữ liệu kiểm thử, không phải kế hoạch '
        'thật)",2025,SO-KHCN,01/KH-CANHBAO,2025-06-01,UBND tỉnh,dữ liệu kiểm thử\n')
TASKS = [
    # item, title, lead, due
    ('1', 'Xây dựng cơ sở dữ liệu dùng chung của tỉnh', 'Sở Khoa học và Công nghệ', '30/06/2025'),
    ('2', 'Ban hành quy chế chia sẻ dữ liệu', 'Sở Khoa học và Công nghệ', '10/07/2025'),
    ('3', 'Rà soát thủ tục hành chính về tài chính', 'Sở Tài chính', '05/07/2025'),
    ('4', 'Bố trí kinh phí chuyển đổi số năm 2025', 'Sở Tài chính', '30/06/2025'),
    ('5', 'Thẩm định thiết kế trung tâm dữ liệu', 'Sở Xây dựng', '08/07/2025'),
    ('6', 'Tổng kết tài chính năm 2025', 'Sở Tài chính', '31/12/2025'),
    ('7', 'Lập dự toán số hóa hồ sơ lưu trữ', 'Sở Tài chính', '15/07/2025'),
]
CONTACTS = {'SO-KHCN': 'vanphong@skhcn.quangninh.gov.vn',
            'SO-TC': 'vanphong@stc.quangninh.gov.vn',
            'SO-XD': 'vanphong@sxd.quangninh.gov.vn'}
PASSWORD = 'mat-khau-smtp-Bi-Mat-2025'

HANDLER = '''"""Saves each message aiosmtpd accepts: NAME.eml (the bytes) and NAME.json (envelope)."""
import json, os, time


class Saver:
    def __init__(self, folder):
        self.folder = folder
        self.n = 0

    @classmethod
    def from_cli(cls, parser, *args):
        return cls(args[0])

    async def handle_DATA(self, server, session, envelope):
        self.n += 1
        name = os.path.join(self.folder, '%d-%d-%04d' % (os.getpid(), time.time_ns(), self.n))
        with open(name + '.tmp', 'wb') as f:
            f.write(envelope.original_content or envelope.content)
        with open(name + '.json', 'w') as f:
            json.dump({'from': envelope.mail_from, 'to': envelope.rcpt_tos}, f)
        os.rename(name + '.tmp', name + '.eml')
        return '250 OK: saved'
'''


class Smtpd:
    """aiosmtpd on 127.0.0.1:port, saving into folder."""

    def __init__(self, tmp, port):
        self.tmp, self.port = tmp, port
        self.folder = os.path.join(tmp, 'mail')
        os.makedirs(self.folder, exist_ok=True)
        with open(os.path.join(tmp, 'notify_saver.py'), 'w') as f:
            f.write(HANDLER)
        self.proc = None

    def start(self):
        env = dict(os.environ, PYTHONPATH=self.tmp)
        self.log = open(os.path.join(self.tmp, 'smtpd.log'), 'ab')
        self.proc = subprocess.Popen(
            [PY, '-m', 'aiosmtpd', '-n', '-l', f'127.0.0.1:{self.port}', '-c',
             'notify_saver.Saver', self.folder], env=env, stdout=self.log, stderr=self.log)
        t0 = time.time()
        while time.time() - t0 < 30:
            if self.proc.poll() is not None:
                raise AssertionError(f'aiosmtpd exited {self.proc.returncode}')
            try:
                with socket.create_connection(('127.0.0.1', self.port), timeout=1) as s:
                    if s.recv(100).startswith(b'220'):
                        return self
            except OSError:
                time.sleep(0.05)
        raise AssertionError('aiosmtpd did not answer in 30 s')

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)
        self.proc = None
        self.log.close()

    def messages(self):
        """[(envelope, parsed message)] of every saved message, oldest first."""
        out = []
        for name in sorted(os.listdir(self.folder)):
            if not name.endswith('.eml'):
                continue
            base = os.path.join(self.folder, name[:-4])
            with open(base + '.eml', 'rb') as f:
                raw = f.read()
            with open(base + '.json') as f:
                env = json.load(f)
            out.append((env, raw, email.message_from_bytes(raw, policy=email.policy.default)))
        return out

    def clear(self):
        for name in os.listdir(self.folder):
            os.unlink(os.path.join(self.folder, name))


def body(msg):
    return msg.get_content().replace('\r\n', '\n')


class Notify(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.h = hl.Home()
        cls.ok('agency', 'load')
        cls.ok('units', 'load', '--quiet')
        with open(cls.h.path('plan.csv'), 'w', encoding='utf-8') as f:
            f.write(PLAN)
        hl.write_csv(cls.h.path('tasks.csv'), ['plan_id', 'item_no', 'title', 'lead_agency', 'due'],
                     [['KH-CANHBAO'] + list(t) for t in TASKS])
        cls.ok('plan', 'import', cls.h.path('plan.csv'))
        cls.ok('plan', 'import', cls.h.path('tasks.csv'))
        cls.port = hlserve.free_port()
        cls.smtpd = Smtpd(cls.h.tmp, cls.port).start()
        cls.ok('plan', 'setting', 'smtp_url', f'smtp://127.0.0.1:{cls.port}')
        cls.ok('plan', 'setting', 'mail_from', 'Hệ thống theo dõi kế hoạch <halong@quangninh.gov.vn>')

    @classmethod
    def tearDownClass(cls):
        cls.smtpd.stop()
        cls.h.cleanup()

    @classmethod
    def ok(cls, *args, **kw):
        r = cls.h.run(*args, **kw)
        if r.rc != 0:
            raise AssertionError(f'{args} failed: {r!r}')
        return r

    def notify(self, at, *more):
        r = self.h.run('plan', 'notify', '--at', at, '--json', *more)
        self.assertIn(r.rc, (0, 3), r)
        return r.rc, json.loads(r.out)

    def test_1_bad_contact_refused(self):
        for bad in ('not an address', 'vanphong@skhcn', 'vanphong@skhcn.gov.vn\r\nBcc: x@y.vn',
                    'Văn phòng <vanphong@skhcn.gov.vn>', 'a@b.vn,c@d.vn'):
            r = self.h.run('agency', 'contact', 'SO-KHCN', bad)
            self.assertEqual(r.rc, 1, r)
            self.assertEqual(len(r.err.strip().splitlines()), 1, r)
            self.assertTrue(r.err.startswith('halong: email: '), r)
            self.assertIn('is not an e-mail address', r.err)
        r = self.h.run('agency', 'contact', 'SO-KHONG-CO', 'a@b.vn')
        self.assertEqual(r.rc, 1, r)
        self.assertIn('neither an agency of the register nor a unit', r.err)
        r = self.ok('agency', 'contact', 'SO-KHCN', '--json')
        self.assertIsNone(json.loads(r.out)['email'])  # nothing written

    def test_2_contacts(self):
        for code, addr in CONTACTS.items():
            self.ok('agency', 'contact', code, addr)
        r = self.ok('agency', 'contact', 'SO-TC')
        self.assertEqual(r.out.strip(), 'SO-TC vanphong@stc.quangninh.gov.vn')
        # the address stays out of the audit log
        r = self.ok('audit', 'list', '--limit', '5', '--json')
        self.assertIn('agency.contact', r.out)
        self.assertNotIn('vanphong@', r.out)

    def test_3_first_run(self):
        # Sở Xây dựng reports on its task for July before the run: it gets nothing
        self.ok('task', 'report', 'KH-CANHBAO/5', '--period', '2025-07', '--progress', '60',
                '--agency', 'SO-XD', '--at', '2025-07-02')
        # a dry run writes and sends nothing
        rc, run = self.notify('2025-07-03', '--dry-run')
        self.assertEqual((rc, run['dry_run'], run['sent']), (0, True, 0))
        self.assertEqual(self.smtpd.messages(), [])
        rc, run = self.notify('2025-07-03')
        self.assertEqual(rc, 0, run)
        # 2025-07-03, soon_days 7: 1 and 4 overdue, 2 and 3 due soon, 5 reported, 6 and 7 later
        self.assertEqual((run['current'], run['added'], run['sent'], run['failed']),
                         (4, 4, 4, 0))
        self.assertEqual(sorted((a['agency'], a['sent']) for a in run['agencies']),
                         [('SO-KHCN', True), ('SO-TC', True)])
        r = self.ok('audit', 'list', '--limit', '3', '--json')  # the run, without addresses
        self.assertIn('plan.notify', r.out)
        self.assertNotIn('@', r.out.replace('@quangninh', ''))
        msgs = self.smtpd.messages()
        self.assertEqual(len(msgs), 2, [m[2]['subject'] for m in msgs])  # one digest each
        by = {env['to'][0]: (env, raw, m) for env, raw, m in msgs}
        self.assertEqual(set(by), {CONTACTS['SO-KHCN'], CONTACTS['SO-TC']})
        env, raw, m = by[CONTACTS['SO-KHCN']]
        self.assertEqual(env['from'], 'halong@quangninh.gov.vn')
        self.assertEqual(m['subject'], '[SO-KHCN] Nhắc việc ngày 03/07/2025: 1 nhiệm vụ quá '
                                       'hạn, 1 nhiệm vụ sắp đến hạn')
        self.assertEqual(m['from'].addresses[0].display_name, 'Hệ thống theo dõi kế hoạch')
        self.assertEqual(m['to'].addresses[0].addr_spec, CONTACTS['SO-KHCN'])
        self.assertEqual(m.get_content_type(), 'text/plain')
        self.assertEqual(m.get_content_charset(), 'utf-8')
        self.assertEqual(m['content-transfer-encoding'], 'quoted-printable')
        self.assertTrue(m['message-id'].endswith('@quangninh.gov.vn>'), m['message-id'])
        self.assertIsNotNone(m['date'].datetime)
        self.assertTrue(raw.isascii())  # the headers encoded (RFC 2047), the body QP
        self.assertIn(b'Subject: =?UTF-8?B?', raw)
        text = body(m)
        self.assertTrue(text.startswith('Kính gửi: Sở Khoa học và Công nghệ tỉnh Quảng Ninh\n'),
                        text)
        self.assertIn('I. NHIỆM VỤ QUÁ HẠN (1)\n\n1. Xây dựng cơ sở dữ liệu dùng chung của tỉnh\n'
                      '   Nhiệm vụ: KH-CANHBAO/1 (Kế hoạch số 01/KH-CANHBAO)\n'
                      '   Thời hạn: 30/06/2025, đã quá hạn 3 ngày\n'
                      '   Tình trạng: Chậm tiến độ, quá hạn\n', text)
        self.assertIn('II. NHIỆM VỤ SẮP ĐẾN HẠN TRONG 7 NGÀY TỚI (1)\n\n'
                      '1. Ban hành quy chế chia sẻ dữ liệu\n', text)
        self.assertIn('Thời hạn: 10/07/2025, còn 7 ngày', text)
        self.assertNotIn('Sở Tài chính', text)  # another agency's tasks are not there
        m = by[CONTACTS['SO-TC']][2]
        self.assertEqual(m['subject'], '[SO-TC] Nhắc việc ngày 03/07/2025: 1 nhiệm vụ quá hạn, '
                                       '1 nhiệm vụ sắp đến hạn')
        text = body(m)
        self.assertIn('Bố trí kinh phí chuyển đổi số năm 2025', text)
        self.assertIn('Rà soát thủ tục hành chính về tài chính', text)
        self.assertIn('Thời hạn: 05/07/2025, còn 2 ngày', text)
        self.assertNotIn('Tổng kết tài chính', text)  # due in December
        self.assertNotIn('Thẩm định thiết kế', text)  # Sở Xây dựng's, reported

    def test_4_again_nothing(self):
        self.smtpd.clear()
        rc, run = self.notify('2025-07-03')
        self.assertEqual((rc, run['added'], run['sent'], run['agencies']), (0, 0, 0, []))
        r = self.ok('plan', 'notify', '--at', '2025-07-03')  # the text form, too
        self.assertIn('0 notices sent', r.out)
        self.assertEqual(self.smtpd.messages(), [])

    def test_5_server_down_then_later(self):
        self.smtpd.stop()
        # 2025-07-11: task 2 and task 3 overdue now (new notices), task 7 due soon
        rc, run = self.notify('2025-07-11')
        self.assertEqual(rc, 3, run)  # some digests failed
        self.assertEqual((run['added'], run['sent'], run['failed']), (3, 0, 3))
        for a in run['agencies']:
            self.assertFalse(a['sent'])
            self.assertTrue(a['error'].startswith('SMTP: '), a)
        # the notices stay unsent, with their error and one attempt
        srv = hlserve.Server(self.h.home, env={'HALONG_TODAY': '2025-07-11'}).start()
        try:
            admin = self._token('admin', 'admin', None)
            r = srv.client(admin).get('/api/v1/notices?agency=SO-TC')
            self.assertEqual(r.status, 200, r)
            items = {i['task']: i for i in r.json()['items']}
            self.assertEqual(items['KH-CANHBAO/7']['state'], 'failed')
            self.assertEqual(items['KH-CANHBAO/7']['attempts'], 1)
            self.assertIsNone(items['KH-CANHBAO/7']['sent_at'])
            self.assertTrue(items['KH-CANHBAO/7']['last_error'].startswith('SMTP: '))
            self.assertEqual(items['KH-CANHBAO/4']['state'], 'sent')  # the first run's
        finally:
            self.assertEqual(srv.stop(), 0)
        # Sở Tài chính reports on task 7 for July before the next run: that notice is moot
        self.ok('task', 'report', 'KH-CANHBAO/7', '--period', '2025-07', '--progress', '20',
                '--agency', 'SO-TC', '--at', '2025-07-11')
        self.smtpd.start()
        rc, run = self.notify('2025-07-11')
        self.assertEqual((rc, run['added'], run['dropped'], run['sent'], run['failed']),
                         (0, 0, 1, 2, 0), run)
        msgs = self.smtpd.messages()
        self.assertEqual(sorted(e['to'][0] for e, _, _ in msgs),
                         sorted([CONTACTS['SO-KHCN'], CONTACTS['SO-TC']]))
        for env, _, m in msgs:
            text = body(m)
            if env['to'][0] == CONTACTS['SO-TC']:
                self.assertEqual(m['subject'], '[SO-TC] Nhắc việc ngày 11/07/2025: 1 nhiệm vụ '
                                               'quá hạn')
                self.assertIn('Rà soát thủ tục hành chính về tài chính', text)
                self.assertIn('đã quá hạn 6 ngày', text)
                self.assertNotIn('Lập dự toán', text)  # dropped, not sent
            else:
                self.assertIn('Ban hành quy chế chia sẻ dữ liệu', text)
                self.assertIn('đã quá hạn 1 ngày', text)
                self.assertNotIn('Xây dựng cơ sở dữ liệu', text)  # sent on the first run
        self.smtpd.clear()
        rc, run = self.notify('2025-07-11')
        self.assertEqual((rc, run['sent']), (0, 0))
        self.assertEqual(self.smtpd.messages(), [])

    _tokens = {}

    def _token(self, name, role, agency):
        if name not in self._tokens:
            self.ok('user', 'add', name, '--role', role, '--unit', '22',
                    input=(hlserve.PASSWORD + '\n').encode())
            if agency:
                self.ok('agency', 'assign', name, agency)
            r = self.ok('user', 'token', name)
            self._tokens[name] = r.out.strip().splitlines()[-1].strip()
        return self._tokens[name]

    def test_6_api(self):
        khcn = self._token('khcn', 'officer', 'SO-KHCN')  # the plan's compiler
        tc = self._token('taichinh', 'officer', 'SO-TC')
        admin = self._token('admin', 'admin', None)
        srv = hlserve.Server(self.h.home, env={'HALONG_TODAY': '2025-07-11'}).start()
        try:
            # an officer: their own agency's, without naming it
            r = srv.client(tc).get('/api/v1/notices')
            self.assertEqual(r.status, 200, r)
            items = r.json()['items']
            self.assertEqual([(i['task'], i['kind']) for i in items],
                             [('KH-CANHBAO/4', 'overdue'), ('KH-CANHBAO/3', 'overdue')])
            self.assertEqual(items[1]['kind_vi'], 'Quá hạn')
            self.assertEqual(items[1]['title'], 'Rà soát thủ tục hành chính về tài chính')
            self.assertEqual(items[1]['days'], 6)
            self.assertEqual(items[1]['state'], 'sent')
            self.assertIsNotNone(items[1]['sent_at'])
            # another agency's: refused to an officer …
            r = srv.client(tc).get('/api/v1/notices?agency=SO-KHCN')
            self.assertEqual(r.status, 403, r)
            self.assertEqual(r.json()['error']['status'], 403)
            # … shown to the plan's compiler and to an admin
            r = srv.client(khcn).get('/api/v1/notices?agency=SO-TC')
            self.assertEqual((r.status, r.json()['total']), (200, 2), r)
            doc = load_openapi()  # the answer as docs/openapi.json describes it
            self.assertEqual(check({'$ref': '#/components/schemas/NoticeList'}, r.json(), doc),
                             [])
            r = srv.client(admin).get('/api/v1/notices?agency=SO-KHCN&at=2025-07-03')
            self.assertEqual([i['task'] for i in r.json()['items']],
                             ['KH-CANHBAO/1', 'KH-CANHBAO/2'])
            r = srv.client(admin).get('/api/v1/notices?agency=SO-KHONG-CO')
            self.assertEqual(r.status, 400, r)
            r = srv.client().get('/api/v1/notices?agency=SO-TC')
            self.assertEqual(r.status, 401, r)
            # a contact set over the API: an admin's, checked the same way
            r = srv.client(tc).put('/api/v1/agencies/SO-XD/contact', {'email': 'a@b.vn'})
            self.assertEqual(r.status, 403, r)
            r = srv.client(admin).put('/api/v1/agencies/SO-XD/contact', {'email': 'a b@c'})
            self.assertEqual(r.status, 400, r)
            self.assertIn('email', r.json()['error']['message'])
            r = srv.client(admin).put('/api/v1/agencies/SO-XD/contact', {'emial': 'a@b.vn'})
            self.assertEqual(r.status, 400, r)  # a misspelt key removes nothing
            r = srv.client(admin).put('/api/v1/agencies/SO-XD/contact',
                                      {'email': 'vanthu@sxd.quangninh.gov.vn'})
            self.assertEqual((r.status, r.json()['email']), (200, 'vanthu@sxd.quangninh.gov.vn'))
            self.assertEqual(check({'$ref': '#/components/schemas/Contact'}, r.json(), doc), [])
            r = self.ok('agency', 'contact', 'SO-XD')
            self.assertEqual(r.out.strip(), 'SO-XD vanthu@sxd.quangninh.gov.vn')
            # an SMTP setting over the API: checked, and a password never echoed
            r = srv.client(admin).put('/api/v1/plan-settings/smtp_url',
                                      {'value': 'smtp://u:p@127.0.0.1:25'})
            self.assertEqual(r.status, 400, r)
            r = srv.client(admin).put('/api/v1/plan-settings/smtp_password', {'value': PASSWORD})
            self.assertEqual((r.status, r.json()['value']), (200, '(set)'), r)
            self.assertNotIn(PASSWORD, r.text())
            self.ok('plan', 'setting', 'smtp_password', '')  # cleared again
        finally:
            self.assertEqual(srv.stop(), 0)

    def test_7_password_never_shown(self):
        self.ok('plan', 'setting', 'smtp_user', 'halong')
        r = self.ok('plan', 'setting', 'smtp_password', '-', input=(PASSWORD + '\n').encode())
        self.assertEqual(r.out.strip(), 'smtp_password = (set)')
        r = self.ok('plan', 'setting')
        self.assertIn('smtp_password = (set)', r.out)
        self.assertNotIn(PASSWORD, r.out)
        r = self.ok('audit', 'list', '--limit', '50', '--json')
        self.assertIn('smtp_password=(set)', r.out)
        self.assertNotIn(PASSWORD, r.out)
        # a new notice (task 6 due soon), tried with the credentials: this server offers no
        # AUTH, so it fails and the error does not hold the password
        rc, run = self.notify('2025-12-25')
        self.assertEqual(rc, 3, run)
        self.assertNotIn(PASSWORD, json.dumps(run, ensure_ascii=False))
        self.assertTrue(run['agencies'][0]['error'].startswith('SMTP: '), run)


if __name__ == '__main__':
    unittest.main()
