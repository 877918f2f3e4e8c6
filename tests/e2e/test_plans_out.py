"""What goes out of plans, through the real binary and a real `halong serve` on 127.0.0.1, read by
real outside tools (Debian's /usr/bin/python3 with python3-icalendar and python3-openpyxl,
poppler's pdftotext): an agency's calendar feed made by its own officer, parsed as iCalendar
(tasks, deadlines, status, progress, a Vietnamese title with , ; and \\ round-tripped), its token
kept out of the log, revoked into the same 404 as a token that never was; a plan's exports (XLSX
with real dates and a bold frozen header, CSV, the evaluation report in HTML with the national
heading and the count line, its PDF); and bad input refused with nothing written.

The plan is test data made here (a small plan of Sở Khoa học và Công nghệ), not real figures."""
import csv
import json
import os
import subprocess
import unicodedata
import unittest
import urllib.parse

import hl
import test_openapi as openapi
from hlserve import PASSWORD, Server

DEBIAN_PY = '/usr/bin/python3'
AT = '2025-07-15'
ENV = {'HALONG_TODAY': AT}
TITLE1 = 'Số hóa hồ sơ; lưu trữ, khai thác \\ kiểm thử đặc biệt'
TITLE2 = ('Triển khai nền tảng học tập số cho cán bộ công chức viên chức toàn thành phố Quảng Ninh '
          'giai đoạn đầu')

PLANS = ('plan_id,number,date,issuer,title,period,compiler,access,note\n'
         'KH-TEST-2025,01/KH-TEST,2025-03-05,Sở Khoa học và Công nghệ (dữ liệu thử),'
         '"Kế hoạch thử nghiệm chuyển đổi số năm 2025 (dữ liệu thử, không phải số liệu thật)",'
         '2025,SO-KHCN,internal,test data\n'
         'KH-MAT-2025,02/KH-TEST,2025-03-05,Sở Khoa học và Công nghệ (dữ liệu thử),'
         'Kế hoạch hạn chế (dữ liệu thử),2025,SO-KHCN,restricted,test data\n')
TASKS = ('plan_id,item_no,title,lead_agency,supporting_agencies,due,output,weight\n'
         'KH-TEST-2025,I,Chuyển đổi số (mục),,,,,\n'
         f'KH-TEST-2025,1,"{TITLE1}",SO-KHCN,SO-TC,30/6/2025,"Kho dữ liệu, báo cáo",1\n'
         f'KH-TEST-2025,2,{TITLE2},SO-KHCN,,Quý III/2025,Nền tảng,2\n'
         'KH-TEST-2025,3,Báo cáo tiến độ chuyển đổi số hằng quý,SO-KHCN,,Hằng quý,Báo cáo,1\n'
         'KH-TEST-2025,4,- Rà soát ngân sách chi cho chuyển đổi số,SO-TC,,31/12/2025,Báo cáo,1\n'
         'KH-TEST-2025,5,Ban hành danh mục cơ sở dữ liệu dùng chung,SO-KHCN,,15/3/2025,QĐ,1\n')
SECRET_TASKS = ('plan_id,item_no,title,lead_agency,due\n'
                'KH-MAT-2025,1,Nhiệm vụ hạn chế không ra lịch,SO-KHCN,30/9/2025\n')

# What Debian's icalendar reads of a feed: each VTODO and VEVENT, as JSON.
ICAL_READER = r'''
import json, sys, icalendar
cal = icalendar.Calendar.from_ical(open(sys.argv[1], 'rb').read())
def day(p):
    return p.dt.isoformat() if p is not None else None
out = {'name': str(cal.get('X-WR-CALNAME')), 'todos': [], 'events': []}
for t in cal.walk('VTODO'):
    out['todos'].append({'uid': str(t['UID']), 'summary': str(t['SUMMARY']),
                         'due': day(t.get('DUE')), 'due_is_date': type(t.get('DUE').dt).__name__,
                         'status': str(t['STATUS']), 'percent': int(t['PERCENT-COMPLETE']),
                         'description': str(t['DESCRIPTION'])})
for e in cal.walk('VEVENT'):
    out['events'].append({'uid': str(e['UID']), 'summary': str(e['SUMMARY']),
                          'start': day(e.get('DTSTART')), 'end': day(e.get('DTEND')),
                          'type': type(e.get('DTSTART').dt).__name__})
print(json.dumps(out, ensure_ascii=False))
'''

# What Debian's openpyxl reads of a workbook: each sheet's cells, their types, the header's
# boldness and the frozen panes.
XLSX_READER = r'''
import json, sys, openpyxl
wb = openpyxl.load_workbook(sys.argv[1])
out = {}
for ws in wb.worksheets:
    rows = []
    for row in ws.iter_rows():
        rows.append([[type(c.value).__name__, c.value.isoformat() if hasattr(c.value, 'isoformat')
                      else c.value] for c in row])
    out[ws.title] = {'rows': rows, 'freeze': ws.freeze_panes,
                     'bold': [c.font.b for c in ws[1]],
                     'width_title': ws.column_dimensions['C'].width}
print(json.dumps(out, ensure_ascii=False))
'''


def debian_python(script, *args):
    p = subprocess.run([DEBIAN_PY, '-c', script, *args], capture_output=True, timeout=120)
    if p.returncode != 0:
        raise AssertionError(p.stderr.decode('utf-8', 'replace'))
    return json.loads(p.stdout.decode('utf-8'))


def nfc(s):
    return unicodedata.normalize('NFC', s)


@unittest.skipUnless(os.path.exists(DEBIAN_PY), 'needs Debian python3 (icalendar, openpyxl)')
class PlansOut(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.h = hl.Home()
        h = cls.h

        def run(*args, **kw):
            r = h.run(*args, env=ENV, **kw)
            if r.rc != 0:
                raise AssertionError(f'{args}: {r!r}')
            return r
        run('units', 'load', '--quiet')
        run('agency', 'load')
        for name, text in (('plans.csv', PLANS), ('tasks.csv', TASKS),
                           ('secret.csv', SECRET_TASKS)):
            with open(h.path(name), 'w', encoding='utf-8') as f:
                f.write(text)
            run('plan', 'import', h.path(name))
        run('task', 'report', 'KH-TEST-2025/2', '--period', '2025-07', '--progress', '50',
            '--results', 'Đã xong một nửa', '--at', '2025-07-10')
        run('task', 'report', 'KH-TEST-2025/5', '--period', '2025-03', '--done', '--done-on',
            '2025-03-10', '--at', '2025-03-12')
        cls.tokens = {}
        for name, role, agency in (('khcn', 'officer', 'SO-KHCN'), ('taichinh', 'officer', 'SO-TC'),
                                   ('xem', 'viewer', 'SO-KHCN')):
            run('user', 'add', name, '--role', role, '--unit', '22',
                input=(PASSWORD + '\n').encode())
            run('agency', 'assign', name, agency)
            cls.tokens[name] = run('user', 'token', name).out.strip().splitlines()[-1].strip()
        cls.srv = Server(h.home, env=ENV).start()

    @classmethod
    def tearDownClass(cls):
        rc = cls.srv.stop()
        cls.h.cleanup()
        if rc != 0:
            raise AssertionError(f'halong serve exited {rc}: {cls.srv.log()[-3000:]}')

    def as_(self, who=None):
        return self.srv.client(self.tokens[who] if who else None)

    def ics(self, token, client=None):
        return (client or self.as_()).get(f'/feeds/plans/{token}.ics')

    # ---- the calendar feed ----

    def test_feed_made_read_and_revoked(self):
        c = self.as_('khcn')
        r = c.post('/api/v1/feeds', {'agency': 'SO-KHCN', 'label': 'Lịch của sở'})
        self.assertEqual(r.status, 201, r)
        made = r.json()
        doc = openapi.load()
        self.assertEqual(openapi.check({'$ref': '#/components/schemas/FeedMade'}, made, doc), [])
        token = made['token']
        self.assertTrue(token.startswith('hlc_') and len(token) == 47, made)
        self.assertEqual(made['url'], f'/feeds/plans/{token}.ics')

        # read without a login, by a real iCalendar library
        r = self.ics(token)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.header('Content-Type'), 'text/calendar; charset=utf-8')
        lines = r.body.split(b'\r\n')
        self.assertEqual(lines[-1], b'')  # ends in CRLF
        self.assertTrue(all(len(l) <= 75 for l in lines), max(lines, key=len))
        self.assertNotIn(b'\n', b''.join(lines))
        path = self.h.path('feed.ics')
        with open(path, 'wb') as f:
            f.write(r.body)
        cal = debian_python(ICAL_READER, path)
        self.assertEqual(cal['name'], 'Nhiệm vụ – Sở Khoa học và Công nghệ tỉnh Quảng Ninh')
        todos = cal['todos']
        # tasks 1, 2, 5 and the four quarters of duty 3: not SO-TC's task 4, nothing of the
        # restricted plan
        self.assertEqual(len(todos), 7, todos)
        self.assertEqual(sorted(t['due'] for t in todos),
                         ['2025-03-15', '2025-03-31', '2025-06-30', '2025-06-30', '2025-09-30',
                          '2025-09-30', '2025-12-31'])
        self.assertTrue(all(t['due_is_date'] == 'date' for t in todos), todos)
        by_title = {t['summary']: t for t in todos}
        self.assertIn(TITLE1, by_title)  # , ; \ and the tones round-trip
        self.assertEqual(by_title[TITLE1]['status'], 'NEEDS-ACTION')  # overdue, nothing done
        self.assertEqual(by_title[TITLE1]['due'], '2025-06-30')
        self.assertIn('STT: 1 (KH-TEST-2025/1)', by_title[TITLE1]['description'])
        self.assertIn('Sản phẩm: Kho dữ liệu, báo cáo', by_title[TITLE1]['description'])
        self.assertIn('Kế hoạch: 01/KH-TEST', by_title[TITLE1]['description'])
        self.assertEqual((by_title[TITLE2]['status'], by_title[TITLE2]['percent']),
                         ('IN-PROCESS', 50))  # reported at 50%
        done = by_title['Ban hành danh mục cơ sở dữ liệu dùng chung']
        self.assertEqual((done['status'], done['percent']), ('COMPLETED', 100))
        self.assertNotIn('Nhiệm vụ hạn chế không ra lịch', r.text())
        self.assertNotIn('Rà soát ngân sách', r.text())
        events = cal['events']
        self.assertEqual(len(events), 7)
        self.assertTrue(all(e['type'] == 'date' for e in events), events)
        ev = [e for e in events if e['summary'] == f'Hạn: {TITLE1}'][0]
        self.assertEqual((ev['start'], ev['end']), ('2025-06-30', '2025-07-01'))
        self.assertEqual(len({t['uid'] for t in todos} | {e['uid'] for e in events}), 14)
        # UIDs are stable from one fetch to the next
        again = debian_python(ICAL_READER, path)
        self.assertEqual([t['uid'] for t in again['todos']], [t['uid'] for t in todos])

        # its officer lists it; another agency's does not see it
        listed = c.get('/api/v1/feeds').json()
        self.assertEqual(openapi.check({'$ref': '#/components/schemas/Feeds'}, listed, doc), [])
        ids = [f['id'] for f in listed['items']]
        self.assertIn(made['id'], ids)
        other = self.as_('taichinh')
        self.assertNotIn(made['id'], [f['id'] for f in other.get('/api/v1/feeds').json()['items']])
        # ... nor revokes it: the same answer as a feed that does not exist
        r = other.call('DELETE', f'/api/v1/feeds/{made["id"]}')
        self.assertEqual(r.status, 404, r)

        # revoked: the same 404 as a token that never was
        unknown = self.ics('hlc_' + 'A' * 43)
        self.assertEqual(unknown.status, 404)
        r = c.call('DELETE', f'/api/v1/feeds/{made["id"]}')
        self.assertEqual(r.status, 204, r)
        r = self.ics(token)
        self.assertEqual(r.status, 404, r)
        self.assertEqual(r.json()['error']['message'], unknown.json()['error']['message'])
        self.assertEqual(r.header('Content-Type'), unknown.header('Content-Type'))
        r = c.call('DELETE', f'/api/v1/feeds/{made["id"]}')
        self.assertEqual(r.status, 409, r)
        listed = [f for f in c.get('/api/v1/feeds').json()['items'] if f['id'] == made['id']]
        self.assertTrue(listed[0]['revoked_at'], listed)

        # the token never reaches the log
        self.assertNotIn(token, self.srv.log())
        self.assertIn('"/feeds/…" 200', self.srv.log())

    def test_feed_who_may(self):
        # another agency's officer, a viewer, anonymous: refused, nothing made
        r = self.as_('taichinh').post('/api/v1/feeds', {'agency': 'SO-KHCN'})
        self.assertEqual(r.status, 403, r)
        r = self.as_('xem').post('/api/v1/feeds', {'agency': 'SO-KHCN'})
        self.assertEqual(r.status, 403, r)
        r = self.as_().post('/api/v1/feeds', {'agency': 'SO-KHCN'})
        self.assertEqual(r.status, 401, r)
        r = self.as_().get('/api/v1/feeds')
        self.assertEqual(r.status, 401, r)
        r = self.as_('khcn').post('/api/v1/feeds', {'agency': 'Sở Không Có Thật'})
        self.assertEqual(r.status, 400, r)
        self.assertIn('agency:', r.json()['error']['message'])
        r = self.as_('khcn').post('/api/v1/feeds', {'label': 'x'})
        self.assertEqual(r.status, 400, r)
        r = self.as_('khcn').call('DELETE', '/api/v1/feeds/xyz')
        self.assertEqual(r.status, 400, r)

    def test_feed_cli(self):
        r = self.h.run('agency', 'feed', 'new', 'SO-TC', '--label', 'Lịch Sở Tài chính',
                       '--json', env=ENV)
        self.assertEqual(r.rc, 0, r)
        made = json.loads(r.out)
        r = self.ics(made['token'])
        self.assertEqual(r.status, 200, r)
        self.assertIn('- Rà soát ngân sách chi cho chuyển đổi số',
                      r.text().replace('\r\n ', ''))
        r = self.h.run('agency', 'feed', 'list', '--json', env=ENV)
        self.assertEqual(r.rc, 0, r)
        row = [f for f in json.loads(r.out) if f['id'] == made['id']][0]
        self.assertEqual((row['agency'], row['label'], row['revoked_at']),
                         ('SO-TC', 'Lịch Sở Tài chính', None))
        self.assertNotIn(made['token'], r.out)
        r = self.h.run('agency', 'feed', 'revoke', made['id'][:8], env=ENV)
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(self.ics(made['token']).status, 404)
        r = self.h.run('agency', 'feed', 'revoke', made['id'], env=ENV)
        self.assertEqual(r.rc, 1, r)
        self.assertIn('was revoked at', r.err)
        r = self.h.run('agency', 'feed', 'new', 'Sở Không Có Thật', env=ENV)
        self.assertEqual(r.rc, 1, r)
        self.assertIn('agency:', r.err)

    # ---- exports ----

    def export(self, *args, out=None):
        a = ['plan', 'export', 'KH-TEST-2025', *args]
        if out:
            a += ['-o', out]
        return self.h.run(*a, env=ENV)

    def test_xlsx_read_by_openpyxl(self):
        path = self.h.path('tasks.xlsx')
        r = self.export('--what', 'tasks', '--format', 'xlsx', out=path)
        self.assertEqual(r.rc, 0, r)
        wb = debian_python(XLSX_READER, path)
        ws = wb['Nhiệm vụ']
        self.assertEqual(ws['freeze'], 'A2')
        self.assertTrue(all(ws['bold']), ws['bold'])
        self.assertGreaterEqual(ws['width_title'], 50)
        head = [v for _, v in ws['rows'][0]]
        self.assertEqual(head[:7], ['STT', 'Thuộc', 'Nhiệm vụ', 'Cơ quan chủ trì',
                                    'Cơ quan phối hợp', 'Thời gian hoàn thành', 'Hạn'])
        rows = {r[0][1]: r for r in ws['rows'][1:]}
        self.assertEqual(rows['1'][2], ['str', TITLE1])
        self.assertEqual(rows['1'][6], ['datetime', '2025-06-30T00:00:00'])  # a real date
        self.assertEqual(rows['1'][9], ['str', 'Chậm tiến độ, quá hạn'])
        self.assertEqual(rows['2'][11][1], 50)  # progress, a number
        self.assertIn(rows['2'][11][0], ('int', 'float'))
        self.assertEqual(rows['I'][2], ['str', 'Chuyển đổi số (mục)'])

        path = self.h.path('eval.xlsx')
        r = self.export('--what', 'eval', '--format', 'xlsx', '--period', '2025', out=path)
        self.assertEqual(r.rc, 0, r)
        wb = debian_python(XLSX_READER, path)
        self.assertEqual(list(wb), ['Đánh giá', 'Quá hạn', 'Sắp đến hạn', 'Thông tin'])
        total = wb['Đánh giá']['rows'][-1]
        self.assertEqual(total[2][1], 'Tổng cộng')
        self.assertEqual(total[3], ['int', 8])
        over = wb['Quá hạn']['rows'][1:]
        self.assertEqual(len(over), 3)
        self.assertEqual(over[0][4][0], 'datetime')

    def test_csv(self):
        path = self.h.path('reports.csv')
        r = self.export('--what', 'reports', '--format', 'csv', out=path)
        self.assertEqual(r.rc, 0, r)
        with open(path, encoding='utf-8', newline='') as f:
            self.assertEqual(f.read(1), '\ufeff')  # the mark spreadsheets read UTF-8 by
            rows = list(csv.DictReader(f))
        self.assertEqual(len(rows), 2)
        self.assertEqual(rows[0]['Nhiệm vụ'], 'KH-TEST-2025/2')
        self.assertEqual(rows[0]['Tiến độ (%)'], '50')
        self.assertEqual(rows[0]['Kết quả'], 'Đã xong một nửa')
        self.assertEqual(rows[1]['Trạng thái'], 'Hoàn thành')
        self.assertEqual(rows[1]['Ngày hoàn thành'], '2025-03-10')
        # to the standard output, the same bytes
        r = self.export('--what', 'reports', '--format', 'csv')
        with open(path, 'rb') as f:
            self.assertEqual(r.out.encode('utf-8'), f.read())
        r = self.export('--what', 'tasks', '--format', 'csv')
        self.assertIn("'- Rà soát ngân sách", r.out)  # a formula guard, as the receipt's

    def test_report_html_and_pdf(self):
        ev = self.h.run('plan', 'eval', 'KH-TEST-2025', '--period', '2025-Q2', '--json', env=ENV)
        line = json.loads(ev.out)['line_vi']
        self.assertEqual(line, 'Trong tổng số 2 nhiệm vụ: 0 đã hoàn thành (0 đúng hạn, 0 quá hạn); '
                               '0 đang thực hiện đúng tiến độ; 2 chậm tiến độ, quá hạn; 0 chưa '
                               'triển khai; 0 chờ hướng dẫn.')
        path = self.h.path('bao-cao.html')
        r = self.export('--what', 'eval', '--format', 'html', '--period', '2025-Q2', out=path)
        self.assertEqual(r.rc, 0, r)
        with open(path, encoding='utf-8') as f:
            html = f.read()
        for s in ('CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM', 'Độc lập - Tự do - Hạnh phúc',
                  'SỞ KHOA HỌC VÀ CÔNG NGHỆ TỈNH QUẢNG NINH',
                  'Quảng Ninh, ngày 15 tháng 7 năm 2025', 'BÁO CÁO',
                  'Kết quả thực hiện Kế hoạch thử nghiệm chuyển đổi số năm 2025',
                  'quý II năm 2025', line, '@page { size: A4'):
            self.assertIn(s, html)

        path = self.h.path('bao-cao.pdf')
        r = self.export('--what', 'eval', '--format', 'pdf', '--period', '2025-Q2', out=path)
        self.assertEqual(r.rc, 0, r)
        with open(path, 'rb') as f:
            self.assertEqual(f.read(5), b'%PDF-')
        text = nfc(subprocess.run(['pdftotext', '-layout', path, '-'], capture_output=True,
                                  check=True).stdout.decode('utf-8'))
        for s in ('CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM', 'Độc lập - Tự do - Hạnh phúc',
                  'Quảng Ninh, ngày 15 tháng 7 năm 2025', 'BÁO CÁO', 'I. KẾT QUẢ CHUNG',
                  'Trong tổng số 2 nhiệm vụ'):
            self.assertIn(s, text)

    def test_export_api(self):
        c = self.as_('khcn')
        r = c.get('/api/v1/plans/KH-TEST-2025/export?what=eval&format=pdf&period=2025-Q2')
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.header('Content-Type'), 'application/pdf')
        self.assertIn('attachment', r.header('Content-Disposition'))
        self.assertIn('KH-TEST-2025-eval-2025-Q2.pdf', r.header('Content-Disposition'))
        self.assertEqual(r.body[:5], b'%PDF-')
        r = c.get('/api/v1/plans/KH-TEST-2025/export?what=tasks&format=csv')
        self.assertEqual(r.status, 200, r)
        self.assertTrue(r.header('Content-Type').startswith('text/csv'))
        self.assertIn(TITLE1, r.body.decode('utf-8'))
        r = c.get('/api/v1/plans/KH-TEST-2025/export?what=eval&format=html&period=' +
                  urllib.parse.quote('Quý II/2025'))
        self.assertEqual(r.status, 200, r)
        self.assertIn('CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM', r.text())

    def test_bad_input(self):
        out = self.h.path('never.xlsx')
        r = self.export('--what', 'people', '--format', 'csv', out=out)
        self.assertEqual(r.rc, 2, r)
        self.assertIn('--what', r.err)
        r = self.export('--what', 'tasks', '--format', 'docx', out=out)
        self.assertEqual(r.rc, 2, r)
        self.assertIn('--format', r.err)
        r = self.export('--what', 'tasks', '--format', 'pdf', out=out)
        self.assertEqual(r.rc, 1, r)
        self.assertIn('format: pdf is the printable evaluation report', r.err)
        r = self.export('--what', 'eval', '--format', 'xlsx', '--period', '2025-13', out=out)
        self.assertEqual(r.rc, 1, r)
        self.assertEqual(r.err.strip().splitlines()[-1][:27], 'halong: period: "2025-13" i')
        r = self.export('--what', 'reports', '--format', 'xlsx', '--period', '2031', out=out)
        self.assertEqual(r.rc, 1, r)
        self.assertIn('period: 2031 is outside plan KH-TEST-2025', r.err)
        r = self.h.run('plan', 'export', 'KH-KHONG-CO', '--what', 'tasks', '--format', 'csv',
                       env=ENV)
        self.assertEqual((r.rc, r.out), (1, ''), r)
        self.assertFalse(os.path.exists(out))
        self.assertEqual([n for n in os.listdir(self.h.tmp) if n.startswith('.halong')], [])

        # the API: the same errors as 400; a plan the caller may not read is a 404, the same
        # as a plan that is not there
        c = self.as_('khcn')
        for q, msg in (('what=people&format=csv', 'what: "people"'),
                       ('what=tasks&format=docx', 'format: "docx"'),
                       ('what=eval&format=pdf&period=2025-13', 'period: "2025-13"'),
                       ('format=csv', 'what: ""')):
            r = c.get(f'/api/v1/plans/KH-TEST-2025/export?{q}')
            self.assertEqual(r.status, 400, r)
            self.assertIn(msg, r.json()['error']['message'])
        hidden = c.get('/api/v1/plans/KH-MAT-2025/export?what=tasks&format=csv')
        missing = c.get('/api/v1/plans/KH-KHONG-CO/export?what=tasks&format=csv')
        self.assertEqual((hidden.status, missing.status), (404, 404), hidden)
        self.assertNotIn('không ra lịch', hidden.text())
        r = self.as_().get('/api/v1/plans/KH-TEST-2025/export?what=tasks&format=csv')
        self.assertEqual(r.status, 404, r)  # anonymous: public plans only


if __name__ == '__main__':
    unittest.main()
