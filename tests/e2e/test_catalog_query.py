"""Querying the shared database (issue 14): GET /api/v1/datasets/{id}/rows on a real `halong
serve` and `halong dataset query`, on the real tables of the shared data (the area and population
of the 54 units of 2025, ../shared/data/units; the Quảng Ninh tourism figures,
../shared/data/sector), every answer checked against what Python computes from the same file:
filters of each kind, the tone-free match ("ha long" finds "Phường Hạ Long"), sort, chosen
columns, count sum avg min max by group, paging (default 100, cap 1,000, `more`, `total`), a bad
field or value named in a 400, the 1 s time limit (504), CSV of every row past the cap with the
server's memory bounded, and access levels (an internal dataset is 404 to anonymous, a
restricted one 404 to a viewer and readable by an inspector).

GENERATED DATA, labelled so: the dataset `sinh-100k` (100,000 rows made up by this test: a row
number, a text, a group, a number, a long note; about 40 MB of CSV) exists only to page past the
caps, to stream a CSV larger than the cap and than the server's page cache (16 MB a connection)
and to make a query slow enough for the time limit. No figure of it is real."""
import csv
import io
import json
import os
import statistics
import time
import unittest
import urllib.parse

import hl
import hlserve
from test_catalog import DATA, read_csv_file

UNITS_SCHEMA = {
    'fields': [
        {'name': 'code', 'type': 'string', 'unitCode': True},
        {'name': 'full_name', 'type': 'string', 'constraints': {'required': True}},
        {'name': 'type', 'type': 'string'},
        {'name': 'area_km2', 'type': 'number'},
        {'name': 'population', 'type': 'integer'},
        {'name': 'admin_center', 'type': 'string'},
        {'name': 'lon', 'type': 'number'},
        {'name': 'lat', 'type': 'number'},
        {'name': 'before_merger', 'type': 'string'},
        {'name': 'bando_maxa', 'type': 'integer'}],
    'primaryKey': ['code']}

GEN_ROWS = 100000
NOTE = ('Không phải số liệu thật: một đoạn văn bản dài để mỗi dòng chiếm khoảng bốn trăm byte, '
        'cho tệp CSV lớn hơn bộ nhớ đệm của máy chủ. ') * 2
WORDS = ['Hạ Long', 'Cẩm Phả', 'Uông Bí', 'Móng Cái', 'Đông Triều', 'Quảng Yên', 'Vân Đồn',
         'Cô Tô', 'Bình Liêu', 'Tiên Yên', 'Đầm Hà', 'Hải Hà', 'Ba Chẽ']


def fold(s):
    return hl.fold(s)


def q(path, **params):
    return path + '?' + urllib.parse.urlencode(params)


def vm_hwm_kib(pid):
    with open(f'/proc/{pid}/status') as f:
        for line in f:
            if line.startswith('VmHWM:'):
                return int(line.split()[1])
    return 0


@unittest.skipIf(DATA is None, 'the shared data (../shared/data) is not there')
class CatalogQueryTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.h = h = hl.Home()
        cls.run_ok('units', 'load', '--quiet')
        cls.units_path = os.path.join(DATA, 'units', 'quangninh_ward_area_population_2025.csv')
        cls.units = read_csv_file(cls.units_path)
        sp = h.path('units.json')
        with open(sp, 'w', encoding='utf-8') as f:
            json.dump(UNITS_SCHEMA, f, ensure_ascii=False)
        for ds, access in (('dv-2025', 'public'), ('dv-noi-bo', 'internal'),
                           ('dv-han-che', 'restricted')):
            cls.run_ok('dataset', 'create', ds, '--title', 'Diện tích, dân số 54 đơn vị 2025',
                       '--schema', sp, '--date', '2025-07-01', '--access', access)
            cls.run_ok('dataset', 'load', ds, cls.units_path)
        cls.tourism_path = os.path.join(DATA, 'sector', 'tourism.csv')
        cls.tourism = read_csv_file(cls.tourism_path)
        cls.run_ok('dataset', 'create', 'du-lich', '--title', 'Du lịch Quảng Ninh', '--from',
                   cls.tourism_path, '--sector', 'tourism', '--access', 'public')
        cls.run_ok('dataset', 'load', 'du-lich', cls.tourism_path)
        # GENERATED rows (see the module's docstring)
        gen = h.path('sinh.csv')
        cls.gen = []
        with open(gen, 'w', encoding='utf-8', newline='') as f:
            wr = csv.writer(f)
            wr.writerow(['stt', 'ten', 'nhom', 'gia_tri', 'ghi_chu'])
            for i in range(1, GEN_ROWS + 1):
                row = [i, f'Dòng {i} {WORDS[i % len(WORDS)]}', i % 997, (i * 7919) % 100003,
                       f'Dữ liệu sinh ra để kiểm thử, dòng {i}. ' + NOTE]
                cls.gen.append(row)
                wr.writerow(row)
        cls.run_ok('dataset', 'create', 'sinh-100k', '--title', 'Dữ liệu sinh ra để kiểm thử',
                   '--from', gen, '--key', 'stt', '--access', 'public')
        cls.run_ok('dataset', 'load', 'sinh-100k', gen)
        cls.tokens = {}
        for name, role, unit in (('viewer', 'viewer', '06652'),
                                 ('inspector', 'inspector', '22')):
            cls.run_ok('user', 'add', name, '--role', role, '--unit', unit,
                       input=(hlserve.PASSWORD + '\n').encode())
            r = cls.run_ok('user', 'token', name)
            cls.tokens[name] = r.out.strip().splitlines()[-1].strip()
        # ASan keeps freed memory in a quarantine (256 MB by default) that would hide what the
        # server holds at once: a small one, for the memory check of the CSV
        asan = os.environ.get('ASAN_OPTIONS', '')
        cls.srv = hlserve.Server(h.home, env={
            'ASAN_OPTIONS': (asan + ':' if asan else '') + 'quarantine_size_mb=1'}).start()

    @classmethod
    def tearDownClass(cls):
        rc = cls.srv.stop()
        cls.h.cleanup()
        if rc != 0:
            raise AssertionError(f'halong serve exited {rc}: {cls.srv.log()[-3000:]}')

    @classmethod
    def run_ok(cls, *args, **kw):
        r = cls.h.run(*args, **kw)
        if r.rc != 0:
            raise AssertionError(f'{args} failed: {r!r}')
        return r

    def get(self, path, who='anonymous', **params):
        c = self.srv.client(None if who == 'anonymous' else self.tokens[who])
        return c.get(q(path, **params) if params else path)

    def rows(self, ds='dv-2025', who='anonymous', **params):
        r = self.get(f'/api/v1/datasets/{ds}/rows', who, **params)
        self.assertEqual(r.status, 200, r)
        return r.json()

    def error(self, r, status, *words):
        self.assertEqual(r.status, status, r)
        e = r.json()['error']
        self.assertEqual(e['status'], status, r)
        for w in words:
            self.assertIn(w, e['message'], r)
        return e

    # the units' file as dicts, typed
    def unit_rows(self):
        head = self.units[0]
        out = []
        for r in self.units[1:]:
            d = dict(zip(head, r))
            d['population'] = int(d['population'])
            d['area_km2'] = float(d['area_km2'])
            out.append(d)
        return out

    def names(self, answer):
        i = answer['columns'].index('full_name')
        return sorted(r[i] for r in answer['rows'])

    def test_filters_of_each_kind(self):
        """= != < <= > >= in between, is null, is not null, each checked against Python."""
        u = self.unit_rows()
        cases = [
            ("type = 'đặc khu'", lambda d: d['type'] == 'đặc khu'),
            ("type != phường", lambda d: d['type'] != 'phường'),
            ('population < 10000', lambda d: d['population'] < 10000),
            ('population <= 14904', lambda d: d['population'] <= 14904),
            ('area_km2 > 200', lambda d: d['area_km2'] > 200),
            ('population >= 60000', lambda d: d['population'] >= 60000),
            ('code in (06652, 06688, 99999)', lambda d: d['code'] in ('06652', '06688')),
            ('population between 40000 and 50000', lambda d: 40000 <= d['population'] <= 50000),
            ("type = xã and area_km2 between 100 and 200.5",
             lambda d: d['type'] == 'xã' and 100 <= d['area_km2'] <= 200.5),
            ('full_name is not null', lambda d: True),
            ('admin_center is null', lambda d: d['admin_center'] == ''),
        ]
        for where, keep in cases:
            with self.subTest(where=where):
                a = self.rows(where=where)
                want = sorted(d['full_name'] for d in u if keep(d))
                self.assertEqual(self.names(a), want)
                self.assertFalse(a['more'])
        self.assertGreater(len(self.names(self.rows(where='population < 10000'))), 0)

    def test_tone_free_match(self):
        """~ folds tones, case and đ as the archive does: "ha long" finds "Phường Hạ Long"."""
        a = self.rows(where="full_name ~ 'ha long'")
        self.assertEqual(self.names(a), ['Phường Hạ Long'])
        a = self.rows(where="full_name ~ 'DONG TRIEU'")
        self.assertIn('Phường Đông Triều', self.names(a))
        a = self.rows(where="full_name ~ 'đông'")
        want = sorted(d['full_name'] for d in self.unit_rows() if 'dong' in fold(d['full_name']))
        self.assertEqual(self.names(a), want)
        self.assertGreater(len(want), 2)
        # a column of few values (each folded once a query, then remembered)
        a = self.rows(where="type ~ 'PHUONG'", count='1')
        self.assertEqual(a['rows'], [[sum(1 for d in self.unit_rows() if d['type'] == 'phường')]])
        a = self.rows(where="type ~ 'a'", count='1')
        self.assertEqual(a['rows'], [[sum(1 for d in self.unit_rows() if 'a' in fold(d['type']))]])
        # on a field that is not text: an error naming it
        self.error(self.get('/api/v1/datasets/dv-2025/rows', where='population ~ 1'), 400,
                   'population', '~')

    def test_sort_and_columns(self):
        a = self.rows(sort='-population,code', columns='code,full_name,population', limit='10')
        self.assertEqual(a['columns'], ['code', 'full_name', 'population'])
        want = sorted(self.unit_rows(), key=lambda d: (-d['population'], d['code']))[:10]
        self.assertEqual(a['rows'], [[d['code'], d['full_name'], d['population']] for d in want])
        self.assertTrue(a['more'])
        a = self.rows(sort='type,-area_km2', columns='type,area_km2', limit='100')
        want = sorted(self.unit_rows(), key=lambda d: (d['type'], -d['area_km2']))
        self.assertEqual(a['rows'], [[d['type'], d['area_km2']] for d in want])
        # numbers as written, in 15 significant digits (not 37.600000000000001)
        d0 = self.unit_rows()[0]
        r = self.get('/api/v1/datasets/dv-2025/rows', where=f"code = {d0['code']}",
                     columns='area_km2,lon')
        lon = self.units[1][self.units[0].index('lon')]
        self.assertIn(f'"rows":[[{d0["area_km2"]!r},{lon}]]'.encode(), r.body)
        r = self.h.run('dataset', 'query', 'dv-2025', '--where', f"code = {d0['code']}",
                       '--columns', 'area_km2', '--json')
        self.assertIn(f'      {d0["area_km2"]!r}\n', r.out)
        self.error(self.get('/api/v1/datasets/dv-2025/rows', sort='-dan_so'), 400, 'dan_so')
        self.error(self.get('/api/v1/datasets/dv-2025/rows', columns='code,ten'), 400, 'ten')

    def test_aggregates(self):
        """count sum avg min max by type, from halong and from the file by hand."""
        a = self.rows(group_by='type', count='1', sum='population', avg='area_km2',
                      min='population', max='population', sort='-sum')
        self.assertEqual(a['columns'], ['type', 'count', 'sum', 'avg', 'min', 'max'])
        groups = {}
        for d in self.unit_rows():
            groups.setdefault(d['type'], []).append(d)
        want = sorted(groups.items(), key=lambda kv: -sum(d['population'] for d in kv[1]))
        self.assertEqual([r[0] for r in a['rows']], [k for k, _ in want])
        for r, (k, ds) in zip(a['rows'], want):
            self.assertEqual(r[1], len(ds))
            self.assertEqual(r[2], sum(d['population'] for d in ds))
            self.assertAlmostEqual(r[3], statistics.mean(d['area_km2'] for d in ds), places=9)
            self.assertEqual(r[4], min(d['population'] for d in ds))
            self.assertEqual(r[5], max(d['population'] for d in ds))
        # an aggregate without a group: the whole table
        a = self.rows(count='1', sum='population', where="type = xã")
        xa = [d for d in self.unit_rows() if d['type'] == 'xã']
        self.assertEqual(a['rows'], [[len(xa), sum(d['population'] for d in xa)]])
        # the tourism figures: the number of rows of each indicator, and the sum of value
        head = self.tourism[0]
        vi, ii = head.index('value'), head.index('indicator')
        a = self.rows('du-lich', group_by='indicator', count='1', sum='value', limit='1000')
        want = {}
        for r in self.tourism[1:]:
            c, s = want.get(r[ii], (0, 0.0))
            want[r[ii]] = (c + 1, s + (float(r[vi]) if r[vi] else 0.0))
        got = {r[0]: (r[1], r[2] or 0.0) for r in a['rows']}
        self.assertEqual(set(got), set(want))
        for k in want:
            self.assertEqual(got[k][0], want[k][0], k)
            self.assertAlmostEqual(got[k][1], want[k][1], places=6, msg=k)
        # sum of text, an unknown field: named
        self.error(self.get('/api/v1/datasets/dv-2025/rows', sum='full_name'), 400,
                   'full_name')
        self.error(self.get('/api/v1/datasets/dv-2025/rows', group_by='tinh'), 400, 'tinh')

    def test_bad_values_named(self):
        self.error(self.get('/api/v1/datasets/dv-2025/rows', where="population = 'x'"), 400,
                   'population', 'not an integer')
        self.error(self.get('/api/v1/datasets/dv-2025/rows', where='dan_so > 1'), 400,
                   'dan_so')
        self.error(self.get('/api/v1/datasets/dv-2025/rows', where='population between 1'),
                   400, 'where')
        self.error(self.get('/api/v1/datasets/dv-2025/rows', where="code = '1' OR 1=1"), 400,
                   'where')
        self.error(self.get('/api/v1/datasets/dv-2025/rows', limit='x'), 400, 'limit')
        self.error(self.get('/api/v1/datasets/dv-2025/rows', format='xml'), 400, 'format')
        self.error(self.get('/api/v1/datasets/dv-2025/rows', version='7'), 404, 'version')

    def test_paging_default_and_cap(self):
        a = self.rows('sinh-100k', total='1')
        self.assertEqual((len(a['rows']), a['limit'], a['offset'], a['more'], a['total']),
                         (100, 100, 0, True, GEN_ROWS))
        self.assertEqual([r[0] for r in a['rows']], list(range(1, 101)))
        a = self.rows('sinh-100k', limit='5000', offset='99500')
        self.assertEqual((len(a['rows']), a['limit'], a['more']), (500, 1000, False))
        self.assertEqual(a['rows'][0], self.gen[99500])
        a = self.rows('sinh-100k', limit='5000', offset='10')
        self.assertEqual((len(a['rows']), a['limit'], a['more']), (1000, 1000, True))
        self.assertEqual(a['rows'][-1], self.gen[1009])
        a = self.rows('sinh-100k', where='nhom = 5', total='1', limit='1000')
        want = [r for r in self.gen if r[2] == 5]
        self.assertEqual((a['total'], a['more']), (len(want), False))
        self.assertEqual(a['rows'], want)

    def test_time_limit(self):
        """A query slow enough on the generated rows: a 504 naming the limit, not a 500."""
        # 32 tone-free matches that every row passes: each folds every row's text again
        # (about 0.4 s a condition on 100,000 rows here), then a group by the text sorted by
        # its count: over 10 s without the limit
        slow = {'where': ' and '.join(["ten ~ 'dong'"] * 32), 'group_by': 'ten',
                'count': '1', 'sort': '-count', 'total': '1'}
        t0 = time.monotonic()
        r = self.get('/api/v1/datasets/sinh-100k/rows', **slow)
        took = time.monotonic() - t0
        e = self.error(r, 504, 'took longer than 1000 ms')
        self.assertEqual(e['code'], 'query_timeout')
        self.assertLess(took, 10)
        # the CLI with its --timeout
        r = self.h.run('dataset', 'query', 'sinh-100k', '--where', "ten ~ 'khong co'",
                       '--timeout', '1')
        self.assertEqual(r.rc, 1, r)
        self.assertIn('took longer than 1 ms', r.err)
        # the server still answers
        self.assertEqual(self.rows('sinh-100k', limit='1')['rows'], [self.gen[0]])

    def test_csv_streams_every_row(self):
        """format=csv: every matching row, far past the JSON cap, the server's memory bounded."""
        pid = self.srv.proc.pid
        before = vm_hwm_kib(pid)
        r = self.get('/api/v1/datasets/sinh-100k/rows', format='csv', where='nhom != 3')
        after = vm_hwm_kib(pid)
        self.assertEqual(r.status, 200, r)
        self.assertTrue(r.header('Content-Type').startswith('text/csv'), r)
        rows = list(csv.reader(io.StringIO(r.body.decode('utf-8'))))
        self.assertEqual(rows[0], ['stt', 'ten', 'nhom', 'gia_tri', 'ghi_chu'])
        want = [[str(c) for c in g] for g in self.gen if g[2] != 3]
        self.assertEqual(len(rows) - 1, len(want))
        self.assertGreater(len(want), 10 * hlserve_cap())
        self.assertEqual(rows[1:], want)
        # the CSV is about 40 MB: the server's peak grew by less than half of it (SQLite's
        # page cache, 16 MB at most, fills on the way; a server that held the answer in
        # memory would grow by all of it)
        self.assertGreater(len(r.body), 36 << 20)
        self.assertLess((after - before) * 1024, len(r.body) // 2,
                        f'peak memory grew {after - before} KiB for {len(r.body)} bytes')
        # never a 304 for another answer of the same size: each CSV has its own ETag
        c = self.srv.client()
        a = c.get(q('/api/v1/datasets/sinh-100k/rows', format='csv', columns='stt',
                    where='stt between 10 and 19'))
        b = c.get(q('/api/v1/datasets/sinh-100k/rows', format='csv', columns='stt',
                    where='stt between 20 and 29'), headers={'If-None-Match': a.header('ETag')})
        self.assertEqual(b.status, 200, b)
        self.assertEqual(b.text(), 'stt\r\n' + ''.join(f'{i}\r\n' for i in range(20, 30)))
        self.assertEqual(len(a.body), len(b.body))
        # sorted and chosen columns too
        r = self.get('/api/v1/datasets/dv-2025/rows', format='csv', sort='-population',
                     columns='code,population')
        rows = list(csv.reader(io.StringIO(r.body.decode('utf-8'))))
        want = sorted(self.unit_rows(), key=lambda d: (-d['population'], d['code']))
        self.assertEqual(rows[1:], [[d['code'], str(d['population'])] for d in want])
        # the CLI's csv streams every row too
        res = self.h.run('dataset', 'query', 'sinh-100k', '--format', 'csv', '--where',
                         'nhom < 500')
        self.assertEqual(res.rc, 0, res)
        self.assertEqual(len(res.out.splitlines()) - 1,
                         sum(1 for g in self.gen if g[2] < 500))

    def test_access_levels(self):
        missing = self.get('/api/v1/datasets/khong-co/rows')
        self.error(missing, 404)
        # internal: anonymous gets exactly the answer of a missing dataset
        for fmt in ('json', 'csv'):
            r = self.get('/api/v1/datasets/dv-noi-bo/rows', format=fmt)
            self.error(r, 404)
            self.assertEqual(r.json()['error']['message'].replace('dv-noi-bo', 'X'),
                             self.get('/api/v1/datasets/khong-co/rows', format=fmt)
                             .json()['error']['message'].replace('khong-co', 'X'))
        self.assertEqual(len(self.rows('dv-noi-bo', 'viewer', limit='100')['rows']), 54)
        # restricted: a viewer gets 404, an inspector reads (and the read is audited)
        self.error(self.get('/api/v1/datasets/dv-han-che/rows', 'viewer'), 404)
        self.error(self.get('/api/v1/datasets/dv-han-che/rows', 'viewer', format='csv'), 404)
        self.error(self.get('/api/v1/datasets/dv-han-che/rows'), 404)
        a = self.rows('dv-han-che', 'inspector', count='1')
        self.assertEqual(a['rows'], [[54]])
        log = self.run_ok('audit', 'list', '--json')
        mine = [e for e in json.loads(log.out)['items']
                if e['action'] == 'dataset.query' and e['object'] == 'dv-han-che']
        self.assertTrue(mine, log.out[:2000])
        self.assertEqual(mine[0]['detail'], 'version 1, 1 rows')
        self.assertTrue(mine[0]['actor'].endswith('inspector'), mine[0])
        # a public dataset's query is not audited
        self.assertFalse([e for e in json.loads(log.out)['items']
                          if e['action'] == 'dataset.query' and e['object'] == 'dv-2025'])

    def test_answers_match_openapi(self):
        """Real answers (200, 400, 404, 504) validate against docs/openapi.json's schemas."""
        import test_openapi
        doc = test_openapi.load()
        for path, who, status in (
                (q('/api/v1/datasets/dv-2025/rows', total='1', sort='-area_km2'), 'anonymous', 200),
                (q('/api/v1/datasets/dv-2025/rows', group_by='type', count='1', avg='lat',
                   min='code', max='population'), 'anonymous', 200),
                (q('/api/v1/datasets/dv-2025/rows', where='lat is null'), 'anonymous', 200),
                (q('/api/v1/datasets/dv-2025/rows', where='population ~ 1'), 'anonymous', 400),
                ('/api/v1/datasets/dv-han-che/rows', 'viewer', 404),
                (q('/api/v1/datasets/sinh-100k/rows',
                   where=' and '.join(["ten ~ 'dong'"] * 32), group_by='ten', count='1',
                   sort='-count'), 'anonymous', 504)):
            with self.subTest(path=path, who=who):
                tpl, op = test_openapi.operation(doc, 'GET', path.split('?')[0])
                self.assertEqual(tpl, '/api/v1/datasets/{id}/rows')
                r = self.get(path, who)
                self.assertEqual(r.status, status, r)
                resp = op['responses'][str(status)]
                if '$ref' in resp:
                    resp = doc['components']['responses'][resp['$ref'].rsplit('/', 1)[1]]
                schema = resp['content']['application/json']['schema']
                self.assertEqual(test_openapi.check(schema, r.json(), doc), [])

    def test_cli_json(self):
        r = self.h.run('dataset', 'query', 'dv-2025', '--where', "full_name ~ 'ha long'",
                       '--columns', 'code,population', '--json')
        self.assertEqual(r.rc, 0, r)
        a = json.loads(r.out)
        self.assertEqual((a['columns'], a['rows']), (['code', 'population'], [['06688', 52905]]))
        r = self.h.run('dataset', 'query', 'dv-2025', '--sort', 'nope')
        self.assertEqual(r.rc, 1, r)
        self.assertIn('sort: dataset dv-2025 has no field "nope"', r.err)


def hlserve_cap():
    return 1000


if __name__ == '__main__':
    unittest.main()
