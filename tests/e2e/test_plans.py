"""Plans through the real binary (issue 13, in steps): the agencies register of Quảng Ninh loaded
from data/agencies, twice to no change; listed on a date; a name found as a plan writes it, an
ended agency told with its successor, an unknown one with the closest names; a bad register
refused in one line naming file, line and column, exit 1, nothing loaded."""
import json
import unittest

import hl


class Agencies(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.h = hl.Home()

    @classmethod
    def tearDownClass(cls):
        cls.h.cleanup()

    def test_1_load_twice(self):
        # the province's register, then the central bodies' (ministries before and after the
        # restructuring of 1 March 2025)
        r = self.h.run('agency', 'load', '--json')
        self.assertEqual(r.rc, 0, r)
        self.assertEqual([(f['added'], f['total']) for f in json.loads(r.out)],
                         [(32, 32), (43, 75)])
        r = self.h.run('agency', 'load')
        self.assertEqual(r.rc, 0, r)
        self.assertIn('0 added, 0 changed, 43 unchanged; 75 agencies', r.out)

    def test_2_list_and_find(self):
        r = self.h.run('agency', 'list', '--at', '2026-01-01', '--json')
        self.assertEqual(r.rc, 0, r)
        codes = [a['code'] for a in json.loads(r.out)]
        self.assertEqual(len([c for c in codes if not c.startswith('TW-')]), 17)
        self.assertEqual(len([c for c in codes if c.startswith('TW-')]), 27)
        self.assertIn('SO-KHCN', codes)
        self.assertNotIn('SO-TTTT', codes)
        r = self.h.run('agency', 'find', 'so khoa hoc va cong nghe', '--at', '2026-01-01',
                       '--json')
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(json.loads(r.out)['name'], 'Sở Khoa học và Công nghệ tỉnh Quảng Ninh')
        r = self.h.run('agency', 'find', 'Sở Thông tin và Truyền thông', '--at', '2026-01-01')
        self.assertEqual(r.rc, 1, r)
        self.assertEqual(r.err.strip(), 'halong: agency "Sở Thông tin và Truyền thông" (SO-TTTT) '
                         'ended on 2025-02-28, not on 2026-01-01; its successor is SO-KHCN')
        # a ministry of the Government's appendix, as it wrote it in January 2025
        r = self.h.run('agency', 'find', 'Bộ Thông tin và Truyền thông', '--at', '2025-01-09',
                       '--json')
        self.assertEqual((r.rc, json.loads(r.out)['successor_code']), (0, 'TW-BKHCN'), r)
        r = self.h.run('agency', 'find', 'Sở Y tê', '--at', '2026-01-01')
        self.assertEqual(r.rc, 0, r)  # tones aside: "tê" is "tế"
        r = self.h.run('agency', 'find', 'Sở Văn hoá', '--at', '2026-01-01')
        self.assertEqual(r.rc, 1, r)
        self.assertIn('closest: Sở Văn hóa, Thể thao và Du lịch tỉnh Quảng Ninh (SO-VHTTDL)',
                      r.err)

    def test_3_bad_register_loads_nothing(self):
        path = self.h.path('bad.csv')
        with open(path, 'w', encoding='utf-8') as f:
            f.write('code,name,kind,valid_to,successor_code\n'
                    'MOI,Sở Mới,so,,\n'
                    'CU,Sở Cũ,so,2025-02-30,MOI\n')
        r = self.h.run('agency', 'load', path)
        self.assertEqual(r.rc, 1, r)
        self.assertEqual(r.err.strip(),
                         f'halong: {path}:3: valid_to: "2025-02-30" is not a yyyy-mm-dd date')
        r = self.h.run('agency', 'find', 'MOI')
        self.assertEqual(r.rc, 1, r)  # the good row before it was not loaded either
        r = self.h.run('agency', 'load', self.h.path('missing.csv'))
        self.assertEqual(r.rc, 1, r)
        self.assertIn('missing.csv', r.err)


if __name__ == '__main__':
    unittest.main()
