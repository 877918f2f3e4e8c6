"""The datasets API (issue 14) through a real `halong serve`: datasets created by API, the six
real Quảng Ninh sector tables (../shared/data/sector: press figures, value_as_written and the
source of every row kept) uploaded as CSV through the load job and followed to its end, one of
them as XLSX too; the catalogue searched without tones, filtered and faceted; a CSV full of type
errors (each bad cell named in the job's result and in the kept rejects, the good rows loaded);
an upsert that changes 3 rows of 1,000 (generated rows, labelled so) and a diff that shows
exactly those; exports in CSV, JSON and XLSX (read back by Debian's openpyxl) with formula
injection kept inert; who sees what (anonymous, viewer, officer, admin; public, internal,
restricted); bad input answered with its status and the field named, the server serving on;
and the audit log naming the API's caller."""
import csv
import io
import json
import os
import socket
import subprocess
import tempfile
import time
import unittest
import urllib.parse

import hl
import hlplans
import test_openapi

DEBIAN_PY = '/usr/bin/python3'
SECTOR = {'tourism.csv': ('tourism', 'SO-VHTTDL', 'public'),
          'state_budget.csv': ('taxation', 'SO-TC', 'public'),
          'education.csv': ('education', 'SO-GDDT', 'public'),
          'health.csv': ('health', 'SO-YT', 'internal'),
          'agriculture_fisheries.csv': ('agriculture', 'SO-NNMT', 'internal'),
          'forest_environment.csv': ('environment', 'SO-NNMT', 'restricted')}
TITLE = {'tourism': 'Số liệu du lịch Quảng Ninh (báo chí)',
         'taxation': 'Thu ngân sách nhà nước Quảng Ninh (báo chí)',
         'education': 'Số liệu giáo dục Quảng Ninh (báo chí)',
         'health': 'Số liệu y tế Quảng Ninh (báo chí)',
         'agriculture': 'Thủy sản Quảng Ninh (báo chí)',
         'environment': 'Rừng và môi trường Quảng Ninh (báo chí)'}
USERS = {'admin': ('admin', '22', None), 'officer': ('officer', '22', None),
         'officer2': ('officer', '22', None), 'viewer': ('viewer', '22', None)}
MAX_LOAD = 64 << 20


def shared_data():
    for c in (os.environ.get('HALONG_SHARED_DATA'), os.path.join(hl.SRC, '..', 'shared', 'data'),
              os.path.join(hl.SRC, '..', '..', 'shared', 'data'), '/work/shared/data'):
        if c and os.path.isfile(os.path.join(c, 'sector', 'tourism.csv')):
            return os.path.abspath(c)
    return None


DATA = shared_data()

XLSX_READER = r'''
import json, sys, datetime, openpyxl
wb = openpyxl.load_workbook(sys.argv[1])
ws = wb.active
def v(x):
    if isinstance(x, (datetime.datetime, datetime.date)):
        return x.strftime('%Y-%m-%d')
    return x
print(json.dumps({"rows": [[v(c.value) for c in r] for r in ws.iter_rows()],
                  "types": [[c.data_type for c in r] for r in ws.iter_rows()]}))
'''

XLSX_WRITER = r'''
import csv, sys, openpyxl
wb = openpyxl.Workbook()
ws = wb.active
with open(sys.argv[1], encoding='utf-8', newline='') as f:
    for i, row in enumerate(csv.reader(f)):
        out = []
        for j, c in enumerate(row):
            if i and j == int(sys.argv[3]) and c:
                c = float(c) if '.' in c else int(c)
            out.append(c if c != '' else None)
        ws.append(out)
wb.save(sys.argv[2])
'''


def read_csv_file(path):
    with open(path, encoding='utf-8', newline='') as f:
        return list(csv.reader(f))


def rows_of(text):
    return list(csv.reader(io.StringIO(text)))


def sector_schema(header):
    """The sector tables' schema: every column text but the figure (a number)."""
    return {'fields': [{'name': h, 'type': 'number' if h == 'value' else 'string'}
                       for h in header]}


@unittest.skipIf(DATA is None, 'the shared data (../shared/data) is not there')
class CatalogApi(hlplans.PlansCase):
    """One data directory and one server for the class; the steps run in order."""
    USERS = USERS

    # ---- helpers ----

    def valid(self, method, path, r):
        """r, the answer to METHOD path, is what docs/openapi.json says (JSON answers)."""
        doc = test_openapi.load()
        tpl, op = test_openapi.operation(doc, method, path)
        self.assertIsNotNone(op, f'{method} {path} is not in openapi.json')
        resp = op['responses'].get(str(r.status))
        self.assertIsNotNone(resp, f'{method} {path}: {r.status} not listed for {tpl}')
        if '$ref' in resp:
            resp = doc['components']['responses'][resp['$ref'].rsplit('/', 1)[1]]
        ctype = (r.header('Content-Type') or '').split(';')[0].strip()
        self.assertIn(ctype, resp.get('content', {}), (method, path, r))
        if ctype == 'application/json':
            errs = test_openapi.check(resp['content'][ctype]['schema'], r.json(), doc)
            self.assertEqual(errs, [], (method, path))
        return r

    def raw_post(self, path, token, length, body=b''):
        """A POST announcing `length` bytes of which only `body` is sent: the answer's bytes
        (the server answers without waiting for the rest, or the socket times out)."""
        s = socket.create_connection(('127.0.0.1', self.srv.port), timeout=30)
        auth = f'Authorization: Bearer {token}\r\n' if token else ''
        s.sendall((f'POST {path} HTTP/1.1\r\nHost: x\r\n{auth}Content-Type: text/csv\r\n'
                   f'Content-Length: {length}\r\n\r\n').encode() + body)
        got = b''
        while b'\r\n\r\n' not in got or not got.rstrip().endswith(b'}'):
            chunk = s.recv(65536)
            if not chunk:
                break
            got += chunk
        s.close()
        return got

    def alive(self):
        """The server answers after what was just sent."""
        r = self.as_('anonymous').get('/api/v1/health')
        self.assertEqual(r.status, 200, r)

    def create(self, body, who='officer', status=201):
        r = self.as_(who).post('/api/v1/datasets', body)
        self.assertEqual(r.status, status, r)
        return self.valid('POST', '/api/v1/datasets', r)

    def load(self, ds, data, who='officer', query='', state='done'):
        """Uploads a file to the load: 202 and a job, followed to its end; the job."""
        r = self.as_(who).call('POST', f'/api/v1/datasets/{ds}/load{query}', data,
                               headers={'Content-Type': 'text/csv'})
        self.assertEqual(r.status, 202, r)
        self.valid('POST', f'/api/v1/datasets/{ds}/load', r)
        jid = r.json()['job']
        self.assertIsInstance(jid, str)
        self.assertEqual(r.json()['status']['kind'], 'dataset-load')
        for _ in range(1200):
            j = self.as_(who).get(f'/api/v1/jobs/{jid}')
            self.assertEqual(j.status, 200, j)
            job = j.json()
            self.assertIn(job['state'], ('running', 'done', 'failed'))
            self.assertIn('done', job)
            self.assertIn('total', job)
            if job['state'] != 'running':
                self.assertEqual(job['state'], state, job)
                self.valid('GET', f'/api/v1/jobs/{jid}', j)
                return job
            time.sleep(0.05)
        self.fail(f'the load job did not end: {job}')

    def get(self, path, who='anonymous', status=200):
        r = self.as_(who).get(path)
        self.assertEqual(r.status, status, r)
        return self.valid('GET', path, r)

    # ---- 1: the real tables ----

    def test_1_sector_tables_uploaded(self):
        """Each real sector table: created by API, uploaded through the load job, shown with its
        schema and version, and exported back as written (every text cell, every figure)."""
        for name, (sector, owner, access) in SECTOR.items():
            with self.subTest(table=name):
                path = os.path.join(DATA, 'sector', name)
                src = read_csv_file(path)
                header, rows = src[0], src[1:]
                ds = name[:-4].replace('_', '-')
                # a restricted dataset is made and loaded by who may read it: the admin
                who = 'admin' if access == 'restricted' else 'officer'
                r = self.create({'id': ds, 'title': TITLE[sector], 'owner': owner,
                                 'sector': sector, 'access': access,
                                 'keywords': ['Quảng Ninh', 'báo chí'],
                                 'provenance': 'press figures, ../shared/data/sector',
                                 'schema': sector_schema(header)}, who=who)
                d = r.json()
                self.assertEqual(r.header('Location'), f'/api/v1/datasets/{ds}')
                self.assertEqual((d['id'], d['sector'], d['owner'], d['access'], d['version']),
                                 (ds, sector, owner, access, 0))
                self.assertEqual([f['name'] for f in d['schema']['fields']], header)
                with open(path, 'rb') as f:
                    job = self.load(ds, f.read(), who=who, query='?name=' + name)
                res = job['result']
                self.assertEqual((res['dataset'], res['version'], res['new_version'],
                                  res['rows'], res['added'], res['rejected'], res['errors']),
                                 (ds, 1, True, len(rows), len(rows), 0, []), job)
                self.assertEqual(res['sha256'], hl.sha256_file(path))
                self.assertIsNone(res['rejects'])
                self.assertEqual((job['done'], job['total']), (len(rows), len(rows)))
                show = self.get(f'/api/v1/datasets/{ds}', who='admin').json()
                self.assertEqual((show['version'], show['rows']), (1, len(rows)))
                self.assertEqual(len(show['versions']), 1)
                v = show['versions'][0]
                self.assertEqual((v['source'], v['sha256'], v['loaded_by'], v['rows']),
                                 (name, hl.sha256_file(path), who, len(rows)))
                self.assertIn('schema', show)
                ex = self.get(f'/api/v1/datasets/{ds}/export?format=csv', who='admin')
                out = rows_of(ex.text())
                self.assertEqual(out[0], header)
                self.assertEqual(len(out) - 1, len(rows))
                vi = header.index('value')
                for got, want in zip(out[1:], rows):
                    for i, h in enumerate(header):
                        if i == vi:
                            self.assertEqual(float(got[i]) if got[i] else None,
                                             float(want[i]) if want[i] else None)
                        elif want[i][:1] in ('=', '+', '-', '@'):
                            # formula injection: text kept, made inert with a '
                            self.assertEqual(got[i], "'" + want[i])
                        else:
                            self.assertEqual(got[i], want[i], (h, want))
                self.alive()

    def test_2_xlsx_upload(self):
        """The tourism table as an XLSX workbook (made by Debian's openpyxl): the same rows."""
        path = os.path.join(DATA, 'sector', 'tourism.csv')
        header = read_csv_file(path)[0]
        with tempfile.TemporaryDirectory() as tmp:
            x = os.path.join(tmp, 'tourism.xlsx')
            p = subprocess.run([DEBIAN_PY, '-c', XLSX_WRITER, path, x,
                                str(header.index('value'))], capture_output=True, text=True,
                               timeout=120)
            self.assertEqual(p.returncode, 0, p.stderr)
            self.create({'id': 'tourism-xlsx', 'title': TITLE['tourism'] + ' (XLSX)',
                         'sector': 'tourism', 'access': 'public',
                         'schema': sector_schema(header)})
            with open(x, 'rb') as f:
                job = self.load('tourism-xlsx', f.read(), query='?name=tourism.xlsx')
        a = rows_of(self.get('/api/v1/datasets/tourism/export').text())
        b = rows_of(self.get('/api/v1/datasets/tourism-xlsx/export').text())
        self.assertEqual(job['result']['added'], len(a) - 1)
        self.assertEqual(a, b)

    # ---- 2: the catalogue ----

    def test_3_catalogue_search_and_facets(self):
        every = self.get('/api/v1/datasets', who='admin').json()
        ids = [d['id'] for d in every['datasets']]
        self.assertEqual(ids, sorted(ids))
        self.assertEqual(every['total'], len(ids))
        for d in every['datasets']:
            self.assertNotIn('schema', d)
            # each card's date without asking for its versions: the current one's loaded_at
            vs = self.get(f"/api/v1/datasets/{d['id']}/versions", who='admin').json()['versions']
            last = [v['loaded_at'] for v in vs if v['version'] == d['version']]
            self.assertEqual(d['loaded_at'], last[0] if last else None, d)
        self.assertTrue(any(d['loaded_at'] for d in every['datasets']))
        # tone-free, case-free, over title and keywords
        for q in ('du lich', 'DU LỊCH', 'Du Lịch'):
            r = self.get('/api/v1/datasets?q=' + urllib.parse.quote(q)).json()
            self.assertEqual([d['id'] for d in r['datasets']], ['tourism', 'tourism-xlsx'], q)
        r = self.get('/api/v1/datasets?q=' + urllib.parse.quote('bao chi quang ninh'),
                     who='admin').json()
        self.assertEqual(r['total'], 7)
        r = self.get('/api/v1/datasets?q=khong+co+dau+nao', who='admin').json()
        self.assertEqual((r['total'], r['datasets']), (0, []))
        # filters and facets
        r = self.get('/api/v1/datasets?sector=health', who='viewer').json()
        self.assertEqual([d['id'] for d in r['datasets']], ['health'])
        r = self.get('/api/v1/datasets?owner=SO-NNMT', who='admin').json()
        self.assertEqual([d['id'] for d in r['datasets']],
                         ['agriculture-fisheries', 'forest-environment'])
        self.assertEqual(r['facets']['owner'],
                         {'SO-NNMT': {'count': 2,
                                      'name': 'Sở Nông nghiệp và Môi trường tỉnh Quảng Ninh'}})
        self.assertEqual(r['facets']['sector'], {'agriculture': 1, 'environment': 1})
        r = self.get('/api/v1/datasets?q=bao+chi', who='viewer').json()
        self.assertEqual(r['facets']['sector'], {'agriculture': 1, 'education': 1, 'health': 1,
                                                 'taxation': 1, 'tourism': 2})
        self.assertEqual(r['facets']['owner']['SO-YT'],
                         {'count': 1, 'name': 'Sở Y tế tỉnh Quảng Ninh'})
        self.assertEqual([d['owner_name'] for d in r['datasets'] if d['id'] == 'health'],
                         ['Sở Y tế tỉnh Quảng Ninh'])
        # paging: the total is of all found, the facets too
        r = self.get('/api/v1/datasets?limit=2&offset=1', who='admin').json()
        self.assertEqual([d['id'] for d in r['datasets']], ids[1:3])
        self.assertEqual((r['total'], r['limit'], r['offset']), (len(ids), 2, 1))
        self.assertEqual(sum(r['facets']['sector'].values()), len(ids))
        # the CLI's list: the same verb, the same shape (the local operator reads every one)
        out = self.run_ok('dataset', 'list', '--q', 'du lich', '--json').out
        self.assertEqual([d['id'] for d in json.loads(out)['datasets']],
                         ['tourism', 'tourism-xlsx'])
        out = json.loads(self.run_ok('dataset', 'list', '--owner', 'SO-NNMT', '--json').out)
        self.assertEqual(out['facets']['owner']['SO-NNMT']['count'], 2)
        # unit=: the datasets whose unit-code column holds it now (the real area and population
        # of the 54 units of 2025, codes checked on 1 July 2025), or that it owns
        path = os.path.join(DATA, 'units', 'quangninh_ward_area_population_2025.csv')
        header = read_csv_file(path)[0]
        fields = [{'name': h, 'type': 'string'} for h in header]
        fields[header.index('code')]['unitCode'] = True
        self.create({'id': 'units-2025', 'title': 'Diện tích, dân số 54 đơn vị hành chính 2025',
                     'sector': 'population', 'access': 'public', 'date': '2025-07-01',
                     'schema': {'fields': fields, 'primaryKey': 'code'}})
        with open(path, 'rb') as f:
            self.assertEqual(self.load('units-2025', f.read())['result']['added'], 54)
        self.create({'id': 'viet-hung', 'title': 'Dữ liệu kiểm thử của Phường Việt Hưng',
                     'owner': '06661', 'access': 'public',
                     'schema': {'fields': [{'name': 'a', 'type': 'integer'}]}})
        r = self.get('/api/v1/datasets?unit=06652').json()
        self.assertEqual([d['id'] for d in r['datasets']], ['units-2025'])
        r = self.get('/api/v1/datasets?unit=06661').json()
        self.assertEqual([d['id'] for d in r['datasets']], ['units-2025', 'viet-hung'])
        self.assertEqual(r['facets']['owner'], {'06661': {'count': 1, 'name': 'Phường Việt Hưng'}})
        # the old Phường Hà Tu (06664) merged into 06652 on 1 July 2025: in no current row
        r = self.get('/api/v1/datasets?unit=06664').json()
        self.assertEqual(r['total'], 0)
        # a sector that does not exist: 400 naming it
        self.assertError(self.as_('viewer').get('/api/v1/datasets?sector=tourisme'), 400,
                         'sector: "tourisme"')
        self.assertError(self.as_('viewer').get('/api/v1/datasets?limit=0'), 400, 'limit')
        self.alive()

    # ---- 3: a CSV full of type errors ----

    def test_4_type_errors_each_cell_named(self):
        """Test data (labelled so): each bad cell named by line, column, field and value in the
        job's result and in the kept rejects file; the good rows loaded."""
        schema = {'fields': [
            {'name': 'ma', 'type': 'integer'},
            {'name': 'ten', 'type': 'string', 'constraints': {'required': True}},
            {'name': 'so_tien', 'type': 'number', 'constraints': {'minimum': 0}},
            {'name': 'ngay', 'type': 'date'},
            {'name': 'xac_nhan', 'type': 'boolean'},
            {'name': 'ghi_chu', 'type': 'string'}], 'primaryKey': 'ma'}
        self.create({'id': 'loi-kieu', 'title': 'Dữ liệu kiểm thử: lỗi kiểu (không phải số '
                     'liệu thật)', 'sector': 'other', 'access': 'internal', 'schema': schema})
        text = ('ma,ten,so_tien,ngay,xac_nhan,ghi_chu\n'
                '1,Dòng tốt một,10.5,2025-07-01,true,dữ liệu kiểm thử\n'
                'hai,Dòng có mã sai,1,2025-07-01,true,\n'
                '3,Dòng có số sai,"5,8",2025-07-01,false,\n'
                '4,Dòng có ngày sai,2,31/02/2025,true,\n'
                '5,Dòng có đúng/sai sai,2,2025-07-02,có,\n'
                '6,,3,2025-07-03,true,thiếu tên\n'
                '7,Dòng âm,-1,2025-07-03,true,\n'
                '8,Dòng tốt hai,0,01/07/2025,0,"=HYPERLINK(""http://x"")"\n'
                '9,Dòng thiếu ô,1\n')
        job = self.load('loi-kieu', text.encode(), query='?name=loi.csv')
        res = job['result']
        self.assertEqual((res['rows'], res['added'], res['rejected'], res['version']),
                         (9, 2, 7, 1), res)
        got = [(e['line'], e['column'], e['field'], e['value']) for e in res['errors']]
        self.assertEqual(got, [(3, 1, 'ma', 'hai'), (4, 3, 'so_tien', '5,8'),
                               (5, 4, 'ngay', '31/02/2025'), (6, 5, 'xac_nhan', 'có'),
                               (7, 2, 'ten', ''), (8, 3, 'so_tien', '-1'),
                               (10, None, None, None)])
        for e in res['errors']:
            self.assertTrue(e['error'])
        self.assertIn('3 cells', res['errors'][-1]['error'])
        self.assertEqual(res['rejects'], '/api/v1/datasets/loi-kieu/versions/1/rejects')
        rej = self.get(res['rejects'], who='viewer')
        self.assertTrue(rej.header('Content-Type').startswith('text/csv'))
        self.assertIn('loi-kieu-v1-rejects.csv', rej.header('Content-Disposition'))
        rows = rows_of(rej.text())
        self.assertEqual(rows[0], ['line', 'column', 'field', 'value', 'error'])
        self.assertEqual([(int(r[0]), r[2], r[3]) for r in rows[1:]],
                         [(3, 'ma', 'hai'), (4, 'so_tien', '5,8'), (5, 'ngay', '31/02/2025'),
                          (6, 'xac_nhan', 'có'), (7, 'ten', ''),
                          # a text that could run as a formula is prefixed as in exports
                          (8, 'so_tien', "'-1"), (10, '', '')])
        # kept where only the server reads it, and only for those who may read the dataset
        kept = os.path.join(self.h.home, 'catalog', 'rejects', 'loi-kieu', '1.csv')
        self.assertEqual(os.stat(kept).st_mode & 0o777, 0o600)
        self.assertEqual(os.stat(os.path.dirname(kept)).st_mode & 0o777, 0o700)
        self.assertError(self.as_('anonymous').get(res['rejects']), 404, 'no dataset loi-kieu')
        self.assertError(self.as_('viewer').get('/api/v1/datasets/loi-kieu/versions/2/rejects'),
                         404, 'no version 2')
        # the good rows, and nothing else
        out = rows_of(self.get('/api/v1/datasets/loi-kieu/export?format=csv',
                               who='viewer').text())
        self.assertEqual([r[0] for r in out[1:]], ['1', '8'])
        self.assertEqual(out[2][3], '2025-07-01')
        self.assertEqual(out[2][5], '\'=HYPERLINK("http://x")')
        self.alive()

    # ---- 4: 3 rows of 1,000 changed ----

    def test_5_upsert_3_of_1000_and_diff(self):
        """1,000 generated rows (labelled test data), then the same file with 3 rows changed:
        3 changed, 997 unchanged, and the diff shows exactly those 3."""
        schema = {'fields': [{'name': 'ma', 'type': 'string'},
                             {'name': 'so_luong', 'type': 'integer'},
                             {'name': 'nhan', 'type': 'string'}], 'primaryKey': ['ma']}
        self.create({'id': 'sinh-1000', 'title': 'Dữ liệu sinh tự động để kiểm thử (1.000 '
                     'dòng, không phải số liệu thật)', 'access': 'public', 'schema': schema})

        def csv_text(rows):
            return 'ma,so_luong,nhan\n' + ''.join(f'{a},{b},{c}\n' for a, b, c in rows)
        rows = [(f'K{i:04d}', i * 7, 'dữ liệu sinh tự động') for i in range(1000)]
        job = self.load('sinh-1000', csv_text(rows).encode())
        self.assertEqual((job['result']['added'], job['result']['version']), (1000, 1))
        changed = {17: 1, 500: 2, 999: 1}
        rows2 = list(rows)
        rows2[17] = ('K0017', 9999, rows[17][2])
        rows2[500] = ('K0500', rows[500][1], 'đã sửa để kiểm thử')
        rows2[999] = ('K0999', 0, rows[999][2])
        job = self.load('sinh-1000', csv_text(rows2).encode())
        res = job['result']
        self.assertEqual((res['version'], res['added'], res['changed'], res['removed'],
                          res['unchanged'], res['rejected']), (2, 0, 3, 0, 997, 0), res)
        d = self.get('/api/v1/datasets/sinh-1000/diff?from=1&to=2').json()
        self.assertEqual((d['from'], d['to'], d['added'], d['removed'], d['changed']),
                         (1, 2, 0, 0, 3))
        self.assertEqual([(r['kind'], r['key']) for r in d['rows']],
                         [('changed', ['K0017']), ('changed', ['K0500']),
                          ('changed', ['K0999'])])
        by = {r['key'][0]: r for r in d['rows']}
        self.assertEqual(by['K0017']['columns'], ['so_luong'])
        self.assertEqual((by['K0017']['old']['so_luong'], by['K0017']['new']['so_luong']),
                         ('119', '9999'))
        self.assertEqual(by['K0500']['columns'], ['nhan'])
        self.assertEqual(by['K0500']['new']['nhan'], 'đã sửa để kiểm thử')
        self.assertEqual(by['K0999']['columns'], ['so_luong'])
        # the defaults: the last version against the one before; paging
        self.assertEqual(self.get('/api/v1/datasets/sinh-1000/diff').json()['rows'], d['rows'])
        p = self.get('/api/v1/datasets/sinh-1000/diff?from=1&to=2&limit=2').json()
        self.assertEqual(([r['key'] for r in p['rows']], p['changed']),
                         ([['K0017'], ['K0500']], 3))
        p = self.get('/api/v1/datasets/sinh-1000/diff?from=1&to=2&limit=2&offset=2').json()
        self.assertEqual([r['key'] for r in p['rows']], [['K0999']])
        # from 0: every row added
        z = self.get('/api/v1/datasets/sinh-1000/diff?from=0&to=1&limit=1').json()
        self.assertEqual((z['added'], len(z['rows'])), (1000, 1))
        self.assertError(self.as_('anonymous').get('/api/v1/datasets/sinh-1000/diff?from=2&to=1'),
                         400, 'diff')
        self.assertError(self.as_('anonymous').get('/api/v1/datasets/sinh-1000/diff?from=1&to=3'),
                         404, 'no version 3')
        v = self.get('/api/v1/datasets/sinh-1000/versions').json()['versions']
        self.assertEqual([(x['version'], x['changed'], x['unchanged']) for x in v],
                         [(1, 0, 0), (2, 3, 997)])
        # a version stays readable: version 1's export has the old figures
        old = rows_of(self.get('/api/v1/datasets/sinh-1000/export?version=1').text())
        new = rows_of(self.get('/api/v1/datasets/sinh-1000/export').text())
        self.assertEqual(old[18], ['K0017', '119', 'dữ liệu sinh tự động'])
        self.assertEqual(new[18], ['K0017', '9999', 'dữ liệu sinh tự động'])
        self.assertEqual(len(old), 1001)
        # the same file again: nothing changed, no version
        job = self.load('sinh-1000', csv_text(rows2).encode())
        self.assertEqual((job['result']['new_version'], job['result']['version']), (False, 2))
        self.alive()

    # ---- 5: exports ----

    def test_6_exports(self):
        """CSV, JSON and XLSX of a real table, each named for download; XLSX read back by
        Debian's openpyxl: figures as numbers, every text as text (never a formula)."""
        path = os.path.join(DATA, 'sector', 'state_budget.csv')
        src = read_csv_file(path)
        header, rows = src[0], src[1:]
        vi = header.index('value')
        r = self.get('/api/v1/datasets/state-budget/export?format=json')
        self.assertEqual(r.header('Content-Type'), 'application/json')
        self.assertIn('filename="state-budget-v1.json"', r.header('Content-Disposition'))
        j = r.json()
        self.assertEqual(len(j), len(rows))
        for got, want in zip(j, rows):
            self.assertEqual(list(got), header)
            self.assertEqual(got['value_as_written'], want[header.index('value_as_written')])
            self.assertEqual(got['source_url'], want[header.index('source_url')])
            if want[vi]:
                self.assertIsInstance(got['value'], (int, float))
                self.assertAlmostEqual(got['value'], float(want[vi]))
        r = self.get('/api/v1/datasets/state-budget/export?format=xlsx')
        self.assertEqual(r.header('Content-Type'),
                         'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet')
        self.assertIn('filename="state-budget-v1.xlsx"', r.header('Content-Disposition'))
        with tempfile.NamedTemporaryFile(suffix='.xlsx') as f:
            f.write(r.body)
            f.flush()
            p = subprocess.run([DEBIAN_PY, '-c', XLSX_READER, f.name], capture_output=True,
                               text=True, timeout=120)
        self.assertEqual(p.returncode, 0, p.stderr)
        x = json.loads(p.stdout)
        self.assertEqual(x['rows'][0], header)
        self.assertEqual(len(x['rows']) - 1, len(rows))
        for got, types, want in zip(x['rows'][1:], x['types'][1:], rows):
            self.assertNotIn('f', types)  # no formula anywhere
            for i, h in enumerate(header):
                if i == vi:
                    if want[i]:
                        self.assertEqual(types[i], 'n')
                        self.assertAlmostEqual(got[i], float(want[i]))
                elif want[i]:
                    self.assertEqual((got[i], types[i]), (want[i], 's'))
        # the formula-like cell of the type errors' table: text in XLSX, inert in CSV
        r = self.get('/api/v1/datasets/loi-kieu/export?format=xlsx', who='viewer')
        with tempfile.NamedTemporaryFile(suffix='.xlsx') as f:
            f.write(r.body)
            f.flush()
            p = subprocess.run([DEBIAN_PY, '-c', XLSX_READER, f.name], capture_output=True,
                               text=True, timeout=120)
        x = json.loads(p.stdout)
        self.assertEqual((x['rows'][2][5], x['types'][2][5]), ('=HYPERLINK("http://x")', 's'))
        # an ETag per version and format: asked again, 304
        r1 = self.get('/api/v1/datasets/state-budget/export?format=csv')
        r2 = self.as_('anonymous').call('GET', '/api/v1/datasets/state-budget/export?format=csv',
                                        headers={'If-None-Match': r1.header('ETag')})
        self.assertEqual(r2.status, 304, r2)
        self.assertError(self.as_('anonymous').get(
            '/api/v1/datasets/state-budget/export?format=pdf'), 400, 'format')
        self.assertError(self.as_('anonymous').get(
            '/api/v1/datasets/state-budget/export?version=9'), 404, 'no version 9')
        self.alive()

    # ---- 6: who sees what ----

    def test_7_access_levels(self):
        """public: everyone, with no account; internal: viewer, officer and admin; restricted:
        the admin only. What a caller may not read answers exactly as a missing dataset."""
        cases = {'tourism': {'anonymous', 'viewer', 'officer', 'admin'},
                 'health': {'viewer', 'officer', 'admin'},
                 'forest-environment': {'admin'}}
        paths = ['', '/versions', '/diff?from=0&to=1', '/export?format=csv',
                 '/export?format=xlsx', '/export?format=json']
        for ds, readers in cases.items():
            for who in ('anonymous', 'viewer', 'officer', 'admin'):
                with self.subTest(dataset=ds, caller=who):
                    listed = [d['id'] for d in
                              self.get('/api/v1/datasets', who=who).json()['datasets']]
                    self.assertEqual(ds in listed, who in readers)
                    for p in paths:
                        r = self.as_(who).get(f'/api/v1/datasets/{ds}{p}')
                        if who in readers:
                            self.assertEqual(r.status, 200, (p, r))
                        else:
                            self.assertError(r, 404, f'no dataset {ds}')
        missing = self.as_('anonymous').get('/api/v1/datasets/no-such-dataset')
        hidden = self.as_('anonymous').get('/api/v1/datasets/health')
        self.assertEqual(missing.json()['error']['message'].replace('no-such-dataset', 'X'),
                         hidden.json()['error']['message'].replace('health', 'X'))
        # the facets count only what the caller reads
        anon = self.get('/api/v1/datasets').json()
        self.assertNotIn('health', anon['facets']['sector'])
        self.assertNotIn('environment', anon['facets']['sector'])
        self.assertNotIn('SO-YT', anon['facets']['owner'])
        # a load's job: seen by whoever started it and the province's admin, not by a viewer
        # nor another officer; its result (bad cells show values) only by those who may read
        self.create({'id': 'han-che', 'title': 'Dữ liệu kiểm thử hạn chế', 'access': 'restricted',
                     'schema': {'fields': [{'name': 'a', 'type': 'integer'}]}}, who='admin')
        r = self.as_('admin').call('POST', '/api/v1/datasets/han-che/load', 'a\n1\nx\n',
                                   headers={'Content-Type': 'text/csv'})
        self.assertEqual(r.status, 202, r)
        jid = r.json()['job']
        for _ in range(600):
            j = self.as_('admin').get(f'/api/v1/jobs/{jid}')
            if j.json()['state'] != 'running':
                break
            time.sleep(0.05)
        self.assertEqual(j.json()['result']['errors'][0]['value'], 'x')
        self.assertEqual(self.as_('viewer').get(f'/api/v1/jobs/{jid}').status, 403)
        self.assertEqual(self.as_('officer').get(f'/api/v1/jobs/{jid}').status, 403)
        self.assertError(self.as_('officer').get('/api/v1/datasets/han-che/versions/1/rejects'),
                         404, 'no dataset han-che')
        self.alive()

    # ---- 7: bad input ----

    def test_8_bad_input(self):
        """Each refused with its status and the field named; nothing written; the server serves
        on after each."""
        schema = {'fields': [{'name': 'a', 'type': 'integer'}]}
        cases = [
            ({'id': 'x1', 'schema': schema}, 400, 'title'),
            ({'id': 'x1', 'title': 'T', 'schema': {'fields': [{'name': 'a', 'type': 'money'}]}},
             400, 'money'),
            ({'id': 'x1', 'title': 'T', 'schema': {'fields': []}}, 400, 'schema'),
            ({'id': 'x1', 'title': 'T'}, 400, 'schema'),
            ({'id': 'x1', 'title': 'T', 'schema': 'a,b'}, 400, 'schema'),
            ({'id': 'x1', 'title': 'T', 'sector': 'tourisme', 'schema': schema}, 400,
             'sector: "tourisme"'),
            ({'id': 'x1', 'title': 'T', 'access': 'top', 'schema': schema}, 400, 'access'),
            ({'id': 'x1', 'title': 'T', 'keywords': 'a,b', 'schema': schema}, 400, 'keywords'),
            ({'id': 'x1', 'title': 'T', 'keywords': [1], 'schema': schema}, 400, 'keyword'),
            ({'id': 'x1', 'title': 'T', 'owner': 'Sở Không Có', 'schema': schema}, 400,
             'owner'),
            ({'id': 'x1', 'title': 'T', 'date': '31/02/2025', 'schema': schema}, 400, 'date'),
            ({'id': 'a b', 'title': 'T', 'schema': schema}, 400, 'id'),
            ({'title': 'T', 'schema': schema}, 400, 'id'),
            ({'id': 'x1', 'title': 5, 'schema': schema}, 400, 'title'),
            ({'id': 'tourism', 'title': 'T', 'schema': schema}, 409, 'dataset tourism exists'),
            # what its creator could not read: refused, not made and then hidden
            ({'id': 'x1', 'title': 'T', 'access': 'restricted', 'schema': schema}, 403,
             'access'),
        ]
        for body, status, says in cases:
            with self.subTest(body=body):
                self.assertError(self.as_('officer').post('/api/v1/datasets', body), status,
                                 says)
                self.alive()
        self.assertError(self.as_('viewer').post('/api/v1/datasets',
                                                 {'id': 'x1', 'title': 'T', 'schema': schema}),
                         403, 'officer')
        r = self.as_('anonymous').post('/api/v1/datasets',
                                       {'id': 'x1', 'title': 'T', 'schema': schema})
        self.assertEqual(r.status, 401, r)
        r = self.as_('officer').call('POST', '/api/v1/datasets', 'id=x1',
                                     headers={'Content-Type': 'text/plain'})
        self.assertEqual(r.status, 415, r)
        self.assertEqual(self.get('/api/v1/datasets/x1', who='admin', status=404).status, 404)
        # a dataset not loaded yet has nothing to compare or export
        self.create({'id': 'rong', 'title': 'Dữ liệu kiểm thử chưa nạp', 'schema': schema})
        self.assertError(self.as_('officer').get('/api/v1/datasets/rong/diff'), 404,
                         'no version 1')
        r = self.get('/api/v1/datasets/rong/export?format=csv', who='officer')
        self.assertEqual(r.text(), 'a\r\n' if r.text().endswith('\r\n') else 'a\n')
        # loads refused at once
        self.assertError(self.as_('viewer').call('POST', '/api/v1/datasets/tourism/load',
                                                 'a\n1\n'), 403, 'officer')
        self.assertEqual(self.as_('anonymous').call('POST', '/api/v1/datasets/tourism/load',
                                                    'a\n1\n').status, 401)
        self.assertError(self.as_('officer').call('POST', '/api/v1/datasets/nothing/load',
                                                  'a\n1\n'), 404, 'no dataset nothing')
        self.assertError(self.as_('officer').call('POST', '/api/v1/datasets/tourism/load', b''),
                         400, 'body')
        self.assertError(self.as_('officer').call('POST',
                                                  '/api/v1/datasets/tourism/load?replace=2',
                                                  'a\n'), 400, 'replace')
        # a body over the limit: 413 naming it, from Content-Length, nothing read or loaded
        before = self.get('/api/v1/datasets/tourism').json()
        got = self.raw_post('/api/v1/datasets/tourism/load', self.tokens['officer'],
                            MAX_LOAD + 100 * (1 << 20), b'indicator,unit\n' * 1000)
        self.assertTrue(got.startswith(b'HTTP/1.1 413'), got[:200])
        self.assertIn(str(MAX_LOAD).encode(), got)
        # who may not load is answered before a byte of the body is read: a viewer's or an
        # anonymous caller's 60 MiB are never awaited nor held
        got = self.raw_post('/api/v1/datasets/tourism/load', self.tokens['viewer'], 60 << 20)
        self.assertTrue(got.startswith(b'HTTP/1.1 403'), got[:200])
        self.assertIn(b'officer', got)
        got = self.raw_post('/api/v1/datasets/tourism/load', None, 60 << 20)
        self.assertTrue(got.startswith(b'HTTP/1.1 401'), got[:200])
        got = self.raw_post('/api/v1/datasets/nothing/load', self.tokens['officer'], 60 << 20)
        self.assertTrue(got.startswith(b'HTTP/1.1 404'), got[:200])
        # a little over: read, dropped, refused the same
        r = self.as_('officer').call('POST', '/api/v1/datasets/tourism/load',
                                     b'x' * (MAX_LOAD + 1), headers={'Content-Type': 'text/csv'})
        self.assertError(r, 413, str(MAX_LOAD))
        self.alive()
        # a file whose header lacks a field: the job fails naming it, nothing loaded
        job = self.load('tourism', 'indicator,unit\nA,b\n'.encode(), query='?name=thieu.csv',
                        state='failed')
        self.assertIn('thieu.csv:1', job['message'])
        self.assertIn('no column for field', job['message'])
        after = self.get('/api/v1/datasets/tourism').json()
        self.assertEqual((after['version'], after['rows'], len(after['versions'])),
                         (before['version'], before['rows'], len(before['versions'])))
        self.assertEqual(os.listdir(os.path.join(self.h.home, 'catalog', 'rejects', 'tourism')),
                         [])
        self.alive()

    # ---- 8: audit ----

    def test_9_audit_names_the_caller(self):
        seen, off = set(), 0
        while True:
            r = self.get(f'/api/v1/audit?limit=100&offset={off}', who='admin').json()
            seen |= {(e['action'], e['object'], e['actor']) for e in r['items']}
            off += len(r['items'])
            if not r['items'] or off >= r['total']:
                break
        self.assertIn(('dataset.create', 'sinh-1000', 'officer'), seen)
        self.assertIn(('dataset.load', 'sinh-1000', 'officer'), seen)
        self.assertIn(('dataset.create', 'han-che', 'admin'), seen)
        self.assertIn(('dataset.load', 'forest-environment', 'admin'), seen)
        self.assertIn(('dataset.rejects', 'loi-kieu', 'viewer'), seen)
        # an export above public is audited with its reader; a public one is not
        self.assertIn(('dataset.export', 'health', 'viewer'), seen)
        self.assertNotIn('anonymous', {a for _, o, a in seen if o == 'tourism'})


if __name__ == '__main__':
    unittest.main()
