"""`halong dataset regroup` and POST /api/v1/datasets/{id}/regroup: data keyed by old (pre-2025)
communes regrouped onto the units of 2025-07-01 through the official mapping the store holds
(data/units, loaded with `halong units load`), checked BY HAND: every expected number below is
written in the test with its arithmetic.

The units are real (quangninh_mapping_old_to_new.csv, quangninh_ward_area_population_2025.csv):
- whole merges: 06652 Phường Hà Phong + 06664 Phường Hà Tu → 06652 Phường Hà Tu; 06649 Phường
  Hà Khánh + 06658 Phường Cao Xanh → 06658 Phường Cao Xanh (both "Nhập toàn bộ");
- a split: 06655 Phường Hà Khẩu → part to 06661 Phường Việt Hưng, part to 06706 Phường Tuần
  Châu ("Nhập một phần"); 06661 also takes 06661 Phường Giếng Đáy and 06703 Phường Việt Hưng
  whole, 06706 takes 06700 Phường Tuần Châu and 06706 Phường Đại Yên whole;
- the 2025 area of 06661 is 41.39 km², of 06706 62.08 km²; their population 51,787 and 14,904.
The values per old commune (households, spending) are GENERATED for the test, not real figures.

DemoDatasets runs the demo's dataset step (scripts/demo.sh --datasets) and checks that every
dataset holds its file's rows.
"""
import csv
import io
import json
import os
import subprocess
import unittest

import hl
import hlserve

UNITS = os.path.join(hl.SRC, 'data', 'units')

SCHEMA = {
    'fields': [
        {'name': 'xa', 'type': 'string', 'unitCode': True, 'title': 'Mã xã (trước 2025)'},
        {'name': 'nam', 'type': 'integer'},
        {'name': 'so_ho', 'type': 'integer', 'title': 'Số hộ (dữ liệu sinh cho kiểm thử)'},
        {'name': 'chi', 'type': 'number', 'title': 'Chi (tỉ đồng, dữ liệu sinh cho kiểm thử)'},
        {'name': 'ghi_chu', 'type': 'string'},
        {'name': 'ngay', 'type': 'date'},
    ],
    'primaryKey': ['xa', 'nam'],
}
HEADER = ['xa', 'nam', 'so_ho', 'chi', 'ghi_chu', 'ngay']
# GENERATED values (dữ liệu sinh cho kiểm thử), keyed by real old communes
WHOLE_ROWS = [
    ['06652', 2024, 1200, 3.5, 'Hà Phong (sinh)', '2024-12-31'],
    ['06664', 2024, 800, 1.25, 'Hà Tu (sinh)', '2024-12-31'],
    ['06652', 2023, 1100, 3.0, 'Hà Phong (sinh)', '2023-12-31'],
    ['06664', 2023, 750, 1.0, 'Hà Tu (sinh)', '2023-12-31'],
    ['06649', 2024, 500, 2.0, 'Hà Khánh (sinh)', '2024-12-31'],
    ['06658', 2024, 700, 0.5, 'Cao Xanh (sinh)', '2024-12-31'],
]
SPLIT_ROWS = [
    ['06655', 2024, 1000, 10.0, 'Hà Khẩu, bị chia (sinh)', '2024-12-31'],
    ['06661', 2024, 300, 1.0, 'Giếng Đáy (sinh)', '2024-12-31'],
    ['06703', 2024, 200, 2.0, 'Việt Hưng cũ (sinh)', '2024-12-31'],
    ['06700', 2024, 100, 0.5, 'Tuần Châu cũ (sinh)', '2024-12-31'],
    ['06706', 2024, 400, 1.5, 'Đại Yên (sinh)', '2024-12-31'],
]


def official(path, key, col):
    with open(os.path.join(UNITS, path), encoding='utf-8') as f:
        return {r[key]: r[col] for r in csv.DictReader(f)}


class Base:
    @classmethod
    def setUpClass(cls):
        cls.h = hl.Home()
        r = cls.h.run('units', 'load', '--quiet')
        if r.rc != 0:
            raise AssertionError(f'units load: {r!r}')
        cls.schema = cls.h.path('schema.json')
        with open(cls.schema, 'w', encoding='utf-8') as f:
            json.dump(SCHEMA, f, ensure_ascii=False)

    @classmethod
    def tearDownClass(cls):
        cls.h.cleanup()

    def ok(self, *args, rc=0):
        r = self.h.run(*args)
        self.assertEqual(r.rc, rc, r)
        return r

    def make(self, id_, rows, date='2025-06-30', schema=None):
        self.ok('dataset', 'create', id_, '--title', f'Kiểm thử {id_} (dữ liệu sinh)',
                '--schema', schema or self.schema, '--date', date, '--access', 'public')
        path = hl.write_csv(self.h.path(f'{id_}.csv'), HEADER, rows)
        self.ok('dataset', 'load', id_, path)

    def rows(self, id_):
        r = self.ok('dataset', 'export', id_, '--format', 'json')
        return json.loads(r.out)


class RegroupCli(Base, unittest.TestCase):

    def test_mapping_is_what_the_test_says(self):
        """The hand-checks rest on these rows of the official files."""
        new_of = {}
        with open(os.path.join(UNITS, 'quangninh_mapping_old_to_new.csv'), encoding='utf-8') as f:
            for r in csv.DictReader(f):
                new_of.setdefault(r['old_code'], []).append((r['new_code'], r['merge_type']))
        self.assertEqual(new_of['06652'], [('06652', 'Nhập toàn bộ')])
        self.assertEqual(new_of['06664'], [('06652', 'Nhập toàn bộ')])
        self.assertEqual(new_of['06649'], [('06658', 'Nhập toàn bộ')])
        self.assertEqual(new_of['06658'], [('06658', 'Nhập toàn bộ')])
        self.assertEqual(sorted(new_of['06655']),
                         [('06661', 'Nhập một phần'), ('06706', 'Nhập một phần')])
        area = official('quangninh_ward_area_population_2025.csv', 'code', 'area_km2')
        pop = official('quangninh_ward_area_population_2025.csv', 'code', 'population')
        self.assertEqual((area['06661'], area['06706']), ('41.39', '62.08'))
        self.assertEqual((pop['06661'], pop['06706']), ('51787', '14904'))

    def test_whole_merge(self):
        self.make('whole', WHOLE_ROWS)
        r = self.ok('dataset', 'regroup', 'whole', '--to-units', '2025-07-01', '--as',
                    'whole-2025', '--json')
        j = json.loads(r.out)
        rep = j['report']
        self.assertEqual(rep['split'], [])
        self.assertEqual((rep['rows_read'], rep['rows_written'], rep['old_units'], rep['whole']),
                         (6, 3, 4, 4))
        self.assertEqual(rep['summed'], ['so_ho', 'chi'])
        self.assertEqual(rep['dropped'], ['ghi_chu', 'ngay'])
        self.assertEqual(rep['group_by'], ['nam'])
        self.assertIn('Nghị quyết 1679/NQ-UBTVQH15', ' '.join(rep['legal_basis']))
        self.assertEqual(j['date'], '2025-07-01')
        self.assertEqual(j['access'], 'public')
        self.assertIn('whole', j['provenance'])
        self.assertIn('phiên bản 1', j['provenance'])
        types = {f['name']: f['type'] for f in j['schema']['fields']}
        self.assertEqual(types, {'xa': 'string', 'nam': 'integer', 'so_ho': 'integer',
                                 'chi': 'number', 'regroup_note': 'string',
                                 'regroup_from': 'string', 'regroup_missing': 'string'})
        self.assertEqual(j['schema']['primaryKey'], ['xa', 'nam'])
        got = {(r['xa'], r['nam']): r for r in self.rows('whole-2025')}
        self.assertEqual(sorted(got), [('06652', 2023), ('06652', 2024), ('06658', 2024)])
        # 06652 Phường Hà Tu, 2024 = Hà Phong 1200 + Hà Tu 800 = 2000 households;
        #   spending 3.5 + 1.25 = 4.75
        self.assertEqual(got[('06652', 2024)]['so_ho'], 2000)
        self.assertAlmostEqual(got[('06652', 2024)]['chi'], 4.75)
        # 2023 = 1100 + 750 = 1850; 3.0 + 1.0 = 4.0
        self.assertEqual(got[('06652', 2023)]['so_ho'], 1850)
        self.assertAlmostEqual(got[('06652', 2023)]['chi'], 4.0)
        # 06658 Phường Cao Xanh = Hà Khánh 500 + Cao Xanh 700 = 1200; 2.0 + 0.5 = 2.5
        self.assertEqual(got[('06658', 2024)]['so_ho'], 1200)
        self.assertAlmostEqual(got[('06658', 2024)]['chi'], 2.5)
        for v in got.values():
            self.assertEqual(v['regroup_note'], 'whole')
        self.assertEqual(got[('06652', 2024)]['regroup_from'], '06652, 06664')
        self.assertEqual(got[('06658', 2024)]['regroup_from'], '06649, 06658')
        self.assertEqual([v['regroup_missing'] for v in got.values()], [None, None, None])
        self.assertEqual(rep['rows_incomplete'], 0)
        # a new unit whose old units are not all in the data: flagged, never silently partial
        self.make('part', [WHOLE_ROWS[0]])
        j = json.loads(self.ok('dataset', 'regroup', 'part', '--to-units', '2025-07-01', '--as',
                               'part-2025', '--json').out)
        self.assertEqual(j['report']['rows_incomplete'], 1)
        (row,) = self.rows('part-2025')
        # 06652 Phường Hà Tu = Hà Phong 1200 (Hà Tu 06664 has no row): 1200, flagged
        self.assertEqual((row['xa'], row['so_ho'], row['regroup_from'], row['regroup_missing']),
                         ('06652', 1200, '06652', '06664'))
        # audited, naming the source, its version and the new dataset
        r = self.ok('audit', 'list')
        self.assertRegex(r.out, r'dataset\.regroup\s+whole-2025\s+whole version 1 → '
                                r'whole-2025 on units of 2025-07-01: 6 rows → 3; 4 old units '
                                r'whole, 0 split; decision none; weights none')

    def test_split_without_choice_is_refused_never_divided(self):
        self.make('split-a', SPLIT_ROWS)
        r = self.h.run('dataset', 'regroup', 'split-a', '--to-units', '2025-07-01', '--as',
                       'split-a-2025')
        self.assertEqual(r.rc, 1, r)
        self.assertIn('06655 (Phường Hà Khẩu) → 06661, 06706', r.err)
        self.assertIn('not divided', r.err)
        self.assertIn('nothing written', r.err)
        # the JSON report names it, undecided, no shares
        r = self.h.run('dataset', 'regroup', 'split-a', '--to-units', '2025-07-01', '--as',
                       'split-a-2025', '--json')
        self.assertEqual(r.rc, 1, r)
        rep = json.loads(r.out)['report']
        self.assertEqual(len(rep['split']), 1)
        s = rep['split'][0]
        self.assertEqual((s['old_code'], s['old_name'], s['rows'], s['choice']),
                         ('06655', 'Phường Hà Khẩu', 1, 'undecided'))
        self.assertEqual(sorted(t['new_code'] for t in s['to']), ['06661', '06706'])
        self.assertTrue(all(t['share'] is None for t in s['to']))
        self.assertEqual(rep['rows_written'], 0)
        # nothing was written
        r = self.h.run('dataset', 'show', 'split-a-2025')
        self.assertNotEqual(r.rc, 0, r)

    def test_split_weights_area(self):
        self.make('split-b', SPLIT_ROWS)
        r = self.ok('dataset', 'regroup', 'split-b', '--to-units', '2025-07-01', '--as',
                    'split-b-2025', '--weights', 'area', '--json')
        j = json.loads(r.out)
        rep = j['report']
        s = rep['split'][0]
        self.assertEqual(s['choice'], 'weights=area')
        share = {t['new_code']: t['share'] for t in s['to']}
        weight = {t['new_code']: t['weight'] for t in s['to']}
        self.assertEqual(weight, {'06661': 41.39, '06706': 62.08})
        # shares: 41.39 / (41.39 + 62.08) = 41.39 / 103.47 = 0.400019…;
        #         62.08 / 103.47 = 0.599981…
        self.assertAlmostEqual(share['06661'], 0.40001933, places=7)
        self.assertAlmostEqual(share['06706'], 0.59998067, places=7)
        self.assertEqual(rep['as_number'], ['so_ho'])
        self.assertIn('diện tích', j['provenance'])
        self.assertIn('quangninh_ward_area_population_2025.csv', j['provenance'])
        got = {r['xa']: r for r in self.rows('split-b-2025')}
        self.assertEqual(sorted(got), ['06661', '06706'])
        # 06661 Việt Hưng = Giếng Đáy 300 + Việt Hưng cũ 200 + Hà Khẩu 1000 × 0.400019
        #                 = 500 + 400.019 = 900.019 households
        self.assertAlmostEqual(got['06661']['so_ho'], 500 + 1000 * 41.39 / 103.47, places=6)
        self.assertAlmostEqual(got['06661']['so_ho'], 900.0193, places=4)
        # 06706 Tuần Châu = Tuần Châu cũ 100 + Đại Yên 400 + 1000 × 0.599981 = 1099.981
        self.assertAlmostEqual(got['06706']['so_ho'], 1099.9807, places=4)
        # nothing lost: 900.019 + 1099.981 = 2000 = 300 + 200 + 1000 + 100 + 400
        self.assertAlmostEqual(got['06661']['so_ho'] + got['06706']['so_ho'], 2000, places=6)
        # spending: 1.0 + 2.0 + 10 × 0.400019 = 7.00019; 0.5 + 1.5 + 10 × 0.599981 = 7.99981
        self.assertAlmostEqual(got['06661']['chi'], 7.00019, places=5)
        self.assertAlmostEqual(got['06706']['chi'], 7.99981, places=5)
        # each row carries the weight used
        self.assertEqual(got['06661']['regroup_note'], 'split:weights=area 06655×0.400019')
        self.assertEqual(got['06706']['regroup_note'], 'split:weights=area 06655×0.599981')
        self.assertEqual(got['06661']['regroup_from'], '06655, 06661, 06703')
        self.assertEqual(got['06706']['regroup_from'], '06655, 06700, 06706')
        self.assertEqual((got['06661']['regroup_missing'], got['06706']['regroup_missing']),
                         (None, None))
        # the text shows the choice too
        r = self.ok('dataset', 'regroup', 'split-b', '--to-units', '2025-07-01', '--as',
                    'split-b-2025-text', '--weights', 'area')
        self.assertIn('split 06655 Phường Hà Khẩu (1 rows): weights=area → 06661 Phường Việt '
                      'Hưng 0.400019, 06706 Phường Tuần Châu 0.599981', r.out)

    def test_split_weights_population(self):
        self.make('split-c', SPLIT_ROWS)
        j = json.loads(self.ok('dataset', 'regroup', 'split-c', '--to-units', '2025-07-01',
                               '--as', 'split-c-2025', '--weights', 'population',
                               '--json').out)
        got = {r['xa']: r for r in self.rows('split-c-2025')}
        # shares: 51787 / (51787 + 14904) = 51787 / 66691 = 0.7765216…;
        #         14904 / 66691 = 0.2234784…
        # 06661 = 500 + 1000 × 0.7765216 = 1276.5216; 06706 = 500 + 223.4784 = 723.4784
        self.assertAlmostEqual(got['06661']['so_ho'], 1276.5216, places=4)
        self.assertAlmostEqual(got['06706']['so_ho'], 723.4784, places=4)
        self.assertEqual(got['06661']['regroup_note'], 'split:weights=population 06655×0.776522')
        self.assertIn('dân số', j['provenance'])

    def test_split_decision_file(self):
        self.make('split-d', SPLIT_ROWS)
        dec = hl.write_csv(self.h.path('quyet-dinh.csv'), ['old_code', 'new_code', 'share', 'note'],
                           [['06655', '06661', '0.25', 'theo biên bản (kiểm thử)'],
                            ['06655', '06706', '0.75', 'theo biên bản (kiểm thử)']])
        j = json.loads(self.ok('dataset', 'regroup', 'split-d', '--to-units', '2025-07-01',
                               '--as', 'split-d-2025', '--decision', dec, '--json').out)
        self.assertEqual(j['report']['split'][0]['choice'], 'decision')
        self.assertIn('quyet-dinh.csv', j['provenance'])
        got = {r['xa']: r for r in self.rows('split-d-2025')}
        # 06661 = 300 + 200 + 1000 × 0.25 = 750; 06706 = 100 + 400 + 1000 × 0.75 = 1250
        self.assertAlmostEqual(got['06661']['so_ho'], 750)
        self.assertAlmostEqual(got['06706']['so_ho'], 1250)
        # spending: 1.0 + 2.0 + 10 × 0.25 = 5.5; 0.5 + 1.5 + 10 × 0.75 = 9.5
        self.assertAlmostEqual(got['06661']['chi'], 5.5)
        self.assertAlmostEqual(got['06706']['chi'], 9.5)
        self.assertEqual(got['06706']['regroup_note'], 'split:decision 06655×0.750000')
        # a decision whose shares do not add up to 1 is refused, naming it
        bad = hl.write_csv(self.h.path('sai.csv'), ['old_code', 'new_code', 'share'],
                           [['06655', '06661', '0.5'], ['06655', '06706', '0.4']])
        r = self.h.run('dataset', 'regroup', 'split-d', '--to-units', '2025-07-01', '--as',
                       'split-d-x', '--decision', bad)
        self.assertEqual(r.rc, 1, r)
        self.assertIn('the shares of 06655 add up to 0.9, not 1', r.err)
        # a new code that is not a successor
        bad = hl.write_csv(self.h.path('sai2.csv'), ['old_code', 'new_code', 'share'],
                           [['06655', '06652', '1']])
        r = self.h.run('dataset', 'regroup', 'split-d', '--to-units', '2025-07-01', '--as',
                       'split-d-x', '--decision', bad)
        self.assertEqual(r.rc, 1, r)
        self.assertIn('sai2.csv:2: new_code 06652 is not a successor of 06655', r.err)

    def test_weights_from_a_dataset_column(self):
        # the real area table as a dataset (as the demo loads it)
        src = os.path.join(UNITS, 'quangninh_ward_area_population_2025.csv')
        self.ok('dataset', 'create', 'dientich', '--title', 'Diện tích, dân số 2025', '--from',
                src, '--key', 'code', '--unit', 'code', '--date', '2025-07-01')
        self.ok('dataset', 'load', 'dientich', src)
        self.make('split-e', SPLIT_ROWS)
        j = json.loads(self.ok('dataset', 'regroup', 'split-e', '--to-units', '2025-07-01',
                               '--as', 'split-e-2025', '--weights', 'dientich:area_km2',
                               '--json').out)
        self.assertEqual(j['report']['split'][0]['choice'], 'weights=dientich:area_km2')
        got = {r['xa']: r for r in self.rows('split-e-2025')}
        self.assertAlmostEqual(got['06661']['so_ho'], 900.0193, places=4)
        self.assertEqual(got['06661']['regroup_note'],
                         'split:weights=dientich:area_km2 06655×0.400019')

    def test_bad_input(self):
        self.make('bad', WHOLE_ROWS)
        # --to-units on a day with no mapping
        r = self.h.run('dataset', 'regroup', 'bad', '--to-units', '2025-07-02', '--as', 'x1')
        self.assertEqual(r.rc, 1, r)
        self.assertIn('to_units 2025-07-02: no mapping that day: no unit of the data ended the '
                      'day before', r.err)
        self.assertIn('it changed on 2025-07-01', r.err)
        r = self.h.run('dataset', 'regroup', 'bad', '--to-units', '2025-13-01', '--as', 'x1')
        self.assertEqual(r.rc, 1, r)
        self.assertIn('to_units: not a day', r.err)
        # NEW_ID taken
        r = self.h.run('dataset', 'regroup', 'bad', '--to-units', '2025-07-01', '--as', 'bad')
        self.assertEqual(r.rc, 1, r)
        self.assertIn('as: dataset bad exists', r.err)
        # unknown weights
        r = self.h.run('dataset', 'regroup', 'bad', '--to-units', '2025-07-01', '--as', 'x1',
                       '--weights', 'dien-tich')
        self.assertEqual(r.rc, 1, r)
        self.assertIn('weights: area, population, none or DATASET:COLUMN', r.err)
        # a dataset without a unit-code column
        plain = self.h.path('plain.json')
        with open(plain, 'w', encoding='utf-8') as f:
            json.dump({'fields': [{'name': 'xa', 'type': 'string'}, {'name': 'nam', 'type': 'integer'},
                                  {'name': 'so_ho', 'type': 'integer'},
                                  {'name': 'chi', 'type': 'number'},
                                  {'name': 'ghi_chu', 'type': 'string'},
                                  {'name': 'ngay', 'type': 'date'}],
                       'primaryKey': ['xa', 'nam']}, f)
        self.make('plain', WHOLE_ROWS, schema=plain)
        r = self.h.run('dataset', 'regroup', 'plain', '--to-units', '2025-07-01', '--as', 'x2')
        self.assertEqual(r.rc, 1, r)
        self.assertIn('dataset plain has no unit-code column', r.err)
        # a unit code that is not an old commune: Tỉnh Quảng Ninh (22) is a unit on 2025-06-30
        # but did not end on 2025-07-01 (it became a city on 2026-09-01)
        self.make('tinh', [['06652', 2024, 10, 1.0, 'x', '2024-12-31'],
                           ['22', 2024, 10, 1.0, 'x', '2024-12-31']])
        r = self.h.run('dataset', 'regroup', 'tinh', '--to-units', '2025-07-01', '--as', 'x3')
        self.assertEqual(r.rc, 1, r)
        self.assertIn('row 2: xa "22 (Tỉnh Quảng Ninh)" did not end on 2025-07-01 (it changed on '
                      '2026-09-01): not an old unit', r.err)
        # a dataset of new units: Đặc khu Bạch Long Vĩ (11948) exists only from 2025-07-01; a
        # dataset dated that day holds new codes (06652 there is the new Phường Hà Tu, not the
        # old Hà Phong), so it is refused whatever its codes
        self.ok('dataset', 'create', 'moi', '--title', 'Mã mới (kiểm thử)', '--schema',
                self.schema, '--date', '2025-07-01')
        path = hl.write_csv(self.h.path('moi.csv'), HEADER,
                            [['11948', 2025, 10, 1.0, 'x', '2025-07-01'],
                             ['06652', 2025, 10, 1.0, 'x', '2025-07-01']])
        self.ok('dataset', 'load', 'moi', path)
        r = self.h.run('dataset', 'regroup', 'moi', '--to-units', '2025-07-01', '--as', 'x3')
        self.assertEqual(r.rc, 1, r)
        self.assertIn('dataset moi is dated 2025-07-01: its unit codes are those of that day, '
                      'not old units', r.err)
        # a dataset without a date: its codes were checked against each load's day
        self.ok('dataset', 'create', 'khong-ngay', '--title', 'Không ngày (kiểm thử)',
                '--schema', self.schema)
        r = self.h.run('dataset', 'regroup', 'khong-ngay', '--to-units', '2025-07-01', '--as',
                       'x3')
        self.assertEqual(r.rc, 1, r)
        self.assertIn('dataset khong-ngay has no date', r.err)
        # a district (Thành phố Hạ Long, 193): abolished, no unit to go to
        self.make('huyen', [['193', 2024, 10, 1.0, 'x', '2024-12-31']])
        r = self.h.run('dataset', 'regroup', 'huyen', '--to-units', '2025-07-01', '--as', 'x4')
        self.assertEqual(r.rc, 1, r)
        self.assertIn('193 (Thành phố Hạ Long) was abolished on 2025-07-01', r.err)
        # a missing dataset
        r = self.h.run('dataset', 'regroup', 'khong-co', '--to-units', '2025-07-01', '--as', 'x5')
        self.assertEqual(r.rc, 1, r)
        self.assertIn('no dataset khong-co', r.err)
        for x in ('x1', 'x2', 'x3', 'x4', 'x5'):
            self.assertNotEqual(self.h.run('dataset', 'show', x).rc, 0)


class RegroupApi(Base, unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tokens = {}
        for name, role in (('canbo', 'officer'), ('xem', 'viewer')):
            r = cls.h.run('user', 'add', name, '--role', role, '--unit', '22',
                          input=(hlserve.PASSWORD + '\n').encode())
            if r.rc != 0:
                raise AssertionError(f'user add: {r!r}')
            r = cls.h.run('user', 'token', name)
            cls.tokens[name] = r.out.strip().splitlines()[-1].strip()
        cls.srv = hlserve.Server(cls.h.home).start()

    @classmethod
    def tearDownClass(cls):
        rc = cls.srv.stop()
        super().tearDownClass()
        if rc != 0:
            raise AssertionError(f'halong serve exited {rc}')

    def assertError(self, r, status):
        self.assertEqual(r.status, status, r)
        e = r.json().get('error')
        self.assertIsInstance(e, dict, r)
        self.assertEqual(e.get('status'), status, r)
        return e['message']

    def test_api(self):
        self.make('api-src', WHOLE_ROWS + SPLIT_ROWS)
        c = self.srv.client(self.tokens['canbo'])
        path = '/api/v1/datasets/api-src/regroup'
        # no written choice: 409 with the report; nothing written
        r = c.post(path, {'to_units': '2025-07-01', 'as': 'api-2025'})
        msg = self.assertError(r, 409)
        self.assertIn('06655 (Phường Hà Khẩu)', msg)
        rep = r.json()['report']
        self.assertEqual([s['choice'] for s in rep['split']], ['undecided'])
        self.assertNotEqual(self.h.run('dataset', 'show', 'api-2025').rc, 0)
        # weights: 201 the dataset and the report
        r = c.post(path, {'to_units': '2025-07-01', 'as': 'api-2025', 'weights': 'area'})
        self.assertEqual(r.status, 201, r)
        j = r.json()
        self.assertEqual(j['id'], 'api-2025')
        # 7 rows: 06652×2 years, 06658, 06661, 06706 ... = (06652,2023), (06652,2024),
        # (06658,2024), (06661,2024), (06706,2024)
        self.assertEqual(j['rows'], 5)
        self.assertEqual(j['report']['rows_read'], 11)
        self.assertEqual(j['report']['whole'], 8)
        got = {(r['xa'], r['nam']): r for r in self.rows('api-2025')}
        self.assertAlmostEqual(got[('06652', 2024)]['so_ho'], 2000)
        self.assertAlmostEqual(got[('06661', 2024)]['so_ho'], 900.0193, places=4)
        # a decision in the body: 06655 wholly to 06706
        r = c.post(path, {'to_units': '2025-07-01', 'as': 'api-2025-qd',
                          'decision': [{'old_code': '06655', 'new_code': '06706', 'share': 1},
                                       {'old_code': '06655', 'new_code': '06661', 'share': 0}]})
        self.assertEqual(r.status, 201, r)
        got = {(r['xa'], r['nam']): r for r in self.rows('api-2025-qd')}
        # 06661 = 300 + 200 = 500 (no share of Hà Khẩu); 06706 = 100 + 400 + 1000 = 1500;
        # no division: households stay integers
        self.assertEqual(got[('06661', 2024)]['so_ho'], 500)
        self.assertEqual(got[('06706', 2024)]['so_ho'], 1500)
        self.assertEqual(got[('06706', 2024)]['regroup_note'], 'split:decision 06655×1.000000')
        # taken id, bad day, missing dataset, a viewer, nobody
        self.assertIn('exists', self.assertError(
            c.post(path, {'to_units': '2025-07-01', 'as': 'api-2025', 'weights': 'area'}), 409))
        self.assertIn('to_units', self.assertError(
            c.post(path, {'to_units': 'hôm qua', 'as': 'z1'}), 400))
        self.assertIn('"as" is required', self.assertError(c.post(path, {'to_units': '2025-07-01'}), 400))
        self.assertError(c.post('/api/v1/datasets/khong-co/regroup',
                                {'to_units': '2025-07-01', 'as': 'z2'}), 404)
        self.assertError(self.srv.client(self.tokens['xem']).post(
            path, {'to_units': '2025-07-01', 'as': 'z3', 'weights': 'area'}), 403)
        r = self.srv.client().post(path, {'to_units': '2025-07-01', 'as': 'z4', 'weights': 'area'})
        self.assertIn(r.status, (401, 403), r)
        # audited as the officer who asked
        r = self.ok('audit', 'list')
        self.assertRegex(r.out, r'canbo\s+dataset\.regroup\s+api-2025\s+api-src version 1 → '
                                r'api-2025 on units of 2025-07-01: 11 rows → 5; 8 old units '
                                r'whole, 1 split; decision none; weights area')


class DemoDatasets(unittest.TestCase):
    """The demo's dataset step (`bash scripts/demo.sh --datasets BIN HOME`, the same function
    `make demo` runs): the area and population of the 54 units and the six sector tables load
    whole, each dataset's rows equal to its file's, every row keeping value_as_written and its
    source; a second run adds no version."""

    def setUp(self):
        self.h = hl.Home()
        self.addCleanup(self.h.cleanup)

    def demo(self):
        p = subprocess.run(['bash', os.path.join(hl.SRC, 'scripts', 'demo.sh'), '--datasets',
                            hl.BIN, self.h.home], capture_output=True, text=True, timeout=600)
        self.assertEqual(p.returncode, 0, p.stderr)
        return p.stdout

    def test_demo_datasets(self):
        out = self.demo()
        with open(os.path.join(hl.SRC, 'data', 'catalog', 'datasets.csv'), encoding='utf-8') as f:
            listed = list(csv.DictReader(f))
        self.assertEqual(len(listed), 7)
        self.assertEqual(sorted(d['file'] for d in listed if d['file'].startswith('sector/')),
                         ['sector/agriculture_fisheries.csv', 'sector/education.csv',
                          'sector/forest_environment.csv', 'sector/health.csv',
                          'sector/state_budget.csv', 'sector/tourism.csv'])
        for d in listed:
            path = os.path.join(hl.SRC, 'data', d['file'])
            with open(path, encoding='utf-8', newline='') as f:
                want = list(csv.DictReader(f))
            self.assertIn(f'{path}: {len(want)} rows; {len(want)} added, 0 changed, 0 removed, '
                          f'0 unchanged, 0 rejected', out)
            r = self.h.run('dataset', 'show', d['id'], '--json')
            self.assertEqual(r.rc, 0, r)
            j = json.loads(r.out)
            self.assertEqual((j['rows'], j['version'], j['access'], j['sector']),
                             (len(want), 1, d['access'], d['sector']), d['id'])
            r = self.h.run('dataset', 'export', d['id'], '--format', 'csv')
            self.assertEqual(r.rc, 0, r)
            got = list(csv.DictReader(io.StringIO(r.out)))
            self.assertEqual(len(got), len(want), d['id'])
            if d['file'].startswith('sector/'):
                # every row with its words as written and its source, as in the file
                key = ('indicator', 'period', 'scope', 'source_url', 'source_date',
                       'value_as_written', 'note')
                strip = lambda v: v[1:] if v.startswith("'") else v  # CSV formula guard
                self.assertEqual(sorted(tuple(strip(r[k]) for k in key) for r in got),
                                 sorted(tuple(r[k] for k in key) for r in want), d['id'])
                self.assertIn('báo chí', j['provenance'])
            else:
                self.assertEqual(j['date'], '2025-07-01')
                self.assertEqual(sum(int(r['population']) for r in got),
                                 sum(int(r['population']) for r in want))
                unit = [f for f in j['schema']['fields'] if f.get('unitCode')]
                self.assertEqual([f['name'] for f in unit], ['code'])
        # again: nothing changes
        out = self.demo()
        self.assertEqual(out.count('no change: version stays 1'), 7, out)


if __name__ == '__main__':
    unittest.main()
