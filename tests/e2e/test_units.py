"""`halong units`: load the shipped administrative units and ask about them on dates, through the
real binary: the data's own counts, names with and without tones, history, change sets, and bad
input that must leave nothing behind."""
import csv
import json
import os
import shutil
import unittest

import hl

DATA = os.path.join(hl.SRC, 'data', 'units')


def shipped(name):
    with open(os.path.join(DATA, name), encoding='utf-8-sig', newline='') as f:
        return list(csv.DictReader(f))


class UnitsTest(unittest.TestCase):
    """One data directory with the shipped units loaded once (the queries do not change it)."""

    @classmethod
    def setUpClass(cls):
        cls.h = hl.Home()
        r = cls.h.run('units', 'load', '--json')
        if r.rc != 0:
            raise AssertionError(f'units load failed: {r!r}')
        cls.first = json.loads(r.out)

    @classmethod
    def tearDownClass(cls):
        cls.h.cleanup()

    def json(self, *args):
        r = self.h.run('units', *args, '--json')
        self.assertEqual(r.rc, 0, r)
        return json.loads(r.out)

    def test_default_dir_is_the_shipped_copy(self):
        self.assertEqual(os.path.realpath(self.first['dir']), os.path.realpath(DATA))
        self.assertEqual(self.first['events_added'], 4)
        self.assertFalse(self.first['nothing_changed'])

    def test_second_load_changes_nothing(self):
        r = self.h.run('units', 'load')
        self.assertEqual(r.rc, 0, r)
        self.assertTrue(r.out.strip().endswith('— nothing changed'), r)
        again = self.json('load')
        for k in ('versions', 'units', 'successions', 'events'):
            self.assertEqual(again[k], self.first[k], k)

    def test_quang_ninh_171_then_54(self):
        before = self.json('tree', '22', '--at', '2025-06-30')
        after = self.json('tree', '22', '--at', '01/07/2025')
        communes = ('xa', 'phuong', 'thi_tran', 'dac_khu')
        districts = [u for u in before if u['depth'] == 1]
        self.assertEqual(len(districts), 13)
        self.assertEqual(sum(u['type'] in communes for u in before), 171)
        self.assertEqual({u['code'] for u in before if u['type'] in communes},
                         {r['code'] for r in shipped('quangninh_units_pre2025.csv')})
        self.assertEqual(sum(u['type'] in communes for u in after), 54)
        self.assertFalse([u for u in after if u['depth'] == 1 and u['type'] not in communes])
        self.assertEqual({u['code'] for u in after if u['depth'] == 1},
                         {r['code'] for r in shipped('quangninh_units_2025.csv')} - {'22'})

    def test_mapping_rows_and_splits(self):
        rows = shipped('quangninh_mapping_old_to_new.csv')
        self.assertEqual(len(rows), 184)
        by_old = {}
        for r in rows:
            by_old.setdefault(r['old_code'], []).append(r['new_code'])
        self.assertEqual(sum(len(v) > 1 for v in by_old.values()), 12)
        # halong agrees with the file, old commune by old commune
        split = 0
        for old, news in by_old.items():
            got = self.json('successors', old)
            direct = [s for s in got if s['depth'] == 1]
            self.assertEqual(sorted(s['new_code'] for s in direct), sorted(news), old)
            if len(direct) > 1:
                split += 1
                self.assertTrue(all(s['kind'] == 'merge_part' for s in direct), direct)
        self.assertEqual(split, 12)

    def test_quang_ninh_becomes_a_city_on_2026_09_01(self):
        a = self.json('show', '22', '--at', '2026-08-31')
        b = self.json('show', '22', '--at', '2026-09-01')
        self.assertEqual((a['type_name'], a['full_name']), ('tỉnh', 'Tỉnh Quảng Ninh'))
        self.assertEqual(b['type_name'], 'thành phố trực thuộc trung ương')
        self.assertEqual(b['full_name'], 'Thành phố Quảng Ninh')
        self.assertEqual(b['legal_basis'], 'Nghị quyết 36/2026/QH16')

    def test_national_34_provinces_3321_communes(self):
        t = self.json('tree', '--at', '2026-09-01')
        self.assertEqual(sum(u['depth'] == 0 for u in t), 34)
        self.assertEqual(sum(u['depth'] == 1 for u in t), 3321)
        self.assertEqual({u['code'] for u in t if u['depth'] == 1},
                         {r['code'] for r in shipped('vn_communes_3321.csv')})

    def test_show_keeps_history_of_a_code(self):
        old = self.json('show', '06652', '--at', '30/06/2025')
        self.assertEqual(old['full_name'], 'Phường Hà Phong')
        self.assertEqual(old['parent_name'], 'Thành phố Hạ Long')
        self.assertEqual(old['valid_to'], '2025-06-30')
        self.assertEqual([(s['new_code'], s['new_name'], s['merge_type'])
                          for s in old['successors']],
                         [('06652', 'Phường Hà Tu', 'Nhập toàn bộ')])
        new = self.json('show', '06652', '--at', '2025-07-01')
        self.assertEqual(new['full_name'], 'Phường Hà Tu')
        self.assertEqual(new['legal_basis'], 'Nghị quyết 1679/NQ-UBTVQH15 (16/06/2025)')
        self.assertEqual(sorted(p['old_name'] for p in new['predecessors']),
                         ['Phường Hà Phong', 'Phường Hà Tu'])

    def test_find_with_and_without_tones(self):
        for q in ('ha phong', 'Hà Phong', 'HÀ PHONG'):
            got = self.json('find', q)
            self.assertTrue(got, q)
            first = got[0]
            self.assertEqual((first['code'], first['full_name'], first['parent_name'],
                              first['valid_to']),
                             ('06652', 'Phường Hà Phong', 'Thành phố Hạ Long', '2025-06-30'), q)
            self.assertEqual(first['successors'][0]['new_name'], 'Phường Hà Tu')
        r = self.h.run('units', 'find', 'ha phong')
        self.assertEqual(r.rc, 0, r)
        self.assertIn('Phường Hà Phong, Thành phố Hạ Long, until 2025-06-30 → now part of '
                      'Phường Hà Tu', r.out)

    def test_find_says_when_it_cuts(self):
        r = self.h.run('units', 'find', 'hoa', '--limit', '3')
        self.assertEqual(r.rc, 0, r)
        lines = r.out.splitlines()
        self.assertEqual(len(lines), 4, r)
        self.assertEqual(lines[-1], '… more than 3 units match: narrow the name, add --at DATE, '
                         'or raise --limit')
        self.assertEqual(len(self.json('find', 'hoa', '--limit', '3')), 3)
        r = self.h.run('units', 'find', 'ha phong')
        self.assertNotIn('more than', r.out)
        r = self.h.run('units', 'find', 'hoa', '--limit', '0')
        self.assertEqual(r.rc, 2, r)

    def test_pre_reform_start_is_not_invented(self):
        # the pre-reform files are a snapshot: the unit is older than the data's first day
        r = self.h.run('units', 'show', '06664', '--at', '2025-06-30')
        self.assertEqual(r.rc, 0, r)
        self.assertIn('valid        … – 2025-06-30 (the data begins 2025-01-01)', r.out)
        self.assertFalse(self.json('show', '06664', '--at', '2025-06-30')['valid_from_known'])
        self.assertTrue(self.json('show', '06652', '--at', '2025-07-01')['valid_from_known'])
        r = self.h.run('units', 'show', '06664', '--at', '2025-07-01')
        self.assertEqual(r.rc, 1, r)
        self.assertEqual(r.err.strip(), 'halong: unit 06664 (Phường Hà Tu) did not exist on '
                         '2025-07-01: it existed until 2025-06-30')

    def test_find_hoa_and_hoa(self):
        a = self.json('find', 'Xã Hải Hoà')
        b = self.json('find', 'Xã Hải Hòa')
        c = self.json('find', 'xa hai hoa')
        key = [(u['code'], u['valid_from']) for u in a]
        self.assertTrue(key)
        self.assertEqual(key, [(u['code'], u['valid_from']) for u in b])
        self.assertEqual(key, [(u['code'], u['valid_from']) for u in c])
        self.assertIn(('06799', '2025-07-01'), key)

    def test_district_abolished(self):
        t = self.json('tree', '22', '--at', '2025-07-01')
        self.assertFalse([u for u in t if u['code'] == '193'])
        s = self.json('successors', '193')
        self.assertEqual([(x['kind'], x['effective_date']) for x in s],
                         [('abolish', '2025-07-01')])

    def test_errors_are_one_clear_line(self):
        cases = [
            (['show', '99999'], 1, 'unknown unit code 99999'),
            (['show', '06652', '--at', '2019-05-01'], 1, 'before any data'),
            (['show', '06652', '--at', '2025-13-01'], 1, 'bad date'),
            (['predecessors', '99999'], 1, 'unknown unit code 99999'),
            (['show'], 2, 'give one unit code'),
            (['frobnicate'], 2, 'unknown subcommand'),
            (['tree', '--bogus'], 2, 'unknown option'),
        ]
        for args, rc, msg in cases:
            r = self.h.run('units', *args)
            self.assertEqual(r.rc, rc, r)
            self.assertIn(msg, r.err, r)
            if rc == 1:
                self.assertEqual(len(r.err.strip().splitlines()), 1, r)
                self.assertTrue(r.err.startswith('halong: '), r)

    def test_help(self):
        r = self.h.run('units', '--help')
        self.assertEqual(r.rc, 0, r)
        for sub in ('load', 'show', 'find', 'successors', 'predecessors', 'tree'):
            self.assertIn(sub, r.out)


class UnitsLoadTest(hl.HomeCase):
    """Loads that change or refuse data: each in its own data directory."""

    def copy(self, name='units'):
        dst = self.h.path(name)
        shutil.copytree(DATA, dst)
        for f in os.listdir(dst):
            os.chmod(os.path.join(dst, f), 0o644)
        return dst

    def test_corrupt_copies_load_nothing(self):
        d = self.copy()
        mapping = os.path.join(d, 'quangninh_mapping_old_to_new.csv')
        header, rows = hl.read_csv(mapping)
        rows[41][header.index('new_code')] = '77777'
        hl.write_csv(mapping, header, rows, newline='\n')
        r = self.h.run('units', 'load', d)
        self.assertEqual(r.rc, 1, r)
        self.assertIn('quangninh_mapping_old_to_new.csv:43: new unit 77777 does not exist', r.err)
        r = self.h.run('units', 'tree', '--at', '2025-07-01')
        self.assertEqual(r.rc, 1, r)
        self.assertIn('no units loaded', r.err)
        # a bad date in events.csv: the same, nothing loaded
        d2 = self.copy('units2')
        events = os.path.join(d2, 'events.csv')
        header, rows = hl.read_csv(events)
        rows[3][1] = '2026-09-31'
        hl.write_csv(events, header, rows, newline='\n')
        r = self.h.run('units', 'load', d2)
        self.assertEqual(r.rc, 1, r)
        self.assertIn('events.csv:5', r.err)
        r = self.h.run('units', 'show', '22')
        self.assertIn('unknown unit code 22', r.err)

    def test_change_set_then_cycle(self):
        self.assertEqual(self.h.run('units', 'load').rc, 0)
        cs = self.h.path('cs')
        os.mkdir(cs)
        header, rows = hl.read_csv(os.path.join(DATA, 'events.csv'))
        rows.append(['qn-2027-ha-long', '2027-01-01', 'Nghị quyết 123/2027/NQ-UBTVQH16',
                     'renamed', '06652', 'Phường Hà Tu → Phường Hạ Long'])
        hl.write_csv(os.path.join(cs, 'events.csv'), header, rows)
        r = self.h.run('units', 'load', cs, '--json')
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(json.loads(r.out)['events_added'], 1)
        self.assertEqual(json.loads(self.h.run('units', 'show', '06652', '--at', '2027-01-01',
                                               '--json').out)['full_name'], 'Phường Hạ Long')
        self.assertEqual(json.loads(self.h.run('units', 'show', '06652', '--at', '2026-12-31',
                                               '--json').out)['full_name'], 'Phường Hà Tu')
        r = self.h.run('units', 'load', cs)
        self.assertIn('nothing changed', r.out)
        # a cycle: two units each giving part of themselves to the other on one day
        hl.write_csv(os.path.join(cs, 'quangninh_mapping_old_to_new.csv'),
                     ['old_code', 'old_province_code', 'new_code', 'merge_type',
                      'effective_date'],
                     [['06658', '22', '06661', 'Nhập một phần', '2027-03-01'],
                      ['06661', '22', '06658', 'Nhập một phần', '2027-03-01']])
        before = json.loads(self.h.run('units', 'load', '--json').out)
        r = self.h.run('units', 'load', cs)
        self.assertEqual(r.rc, 1, r)
        self.assertIn('a cycle in succession', r.err)
        after = json.loads(self.h.run('units', 'load', '--json').out)
        self.assertEqual(after['successions'], before['successions'])


if __name__ == '__main__':
    unittest.main()
