"""`halong fonds` and `halong custody` through the real binary, on the shipped units of Quảng Ninh:
fonds of old communes merged whole and split, of an abolished district, decisions, the hand-over
receipt as CSV and printable HTML, the search filter unit:CODE, and bad input."""
import html.parser
import json
import os
import unittest

import hl

HEADER = ['fonds_code', 'dossier_code', 'doc_ordinal', 'subject', 'issued_date', 'doc_type',
          'access_level', 'page_count', 'text']


def articles(n):
    """The first n real law articles of the corpus (title, text)."""
    out = []
    with open(hl.CORPUS, encoding='utf-8') as f:
        for line in f:
            a = json.loads(line)
            out.append((f"{a['law_title']}, Điều {a['article']}. {a['article_title']}", a['text']))
            if len(out) == n:
                break
    return out


class CustodyTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.h = hl.Home()
        r = cls.h.run('units', 'load', '--quiet')
        if r.rc != 0:
            raise AssertionError(f'units load failed: {r!r}')
        arts = articles(6)
        rows = []
        # HAPHONG: Phường Hà Phong (06652, merged whole into the new Phường Hà Tu, same code);
        # HAKHAU: Phường Hà Khẩu (06655, split); TPHL: Thành phố Hạ Long (193, abolished).
        plan = [('HAPHONG', 'HS01', 1, 'public'), ('HAPHONG', 'HS01', 2, 'secret'),
                ('HAPHONG', 'HS02', 1, 'internal'), ('HAKHAU', 'HS01', 1, 'public'),
                ('TPHL', 'HS01', 1, 'public'), ('TPHL', 'HS01', 2, 'restricted')]
        for (fonds, dossier, ordinal, access), (title, text) in zip(plan, arts):
            rows.append([fonds, dossier, ordinal, title, '12/03/2019', 'Quyết định', access, 2,
                         text])
        cls.arts = arts
        path = hl.write_csv(cls.h.path('m.csv'), HEADER, rows)
        r = cls.h.run('ingest', path)
        if r.rc != 0:
            raise AssertionError(f'ingest failed: {r!r}')
        for fonds, unit, name in [('HAPHONG', '06652', 'UBND phường Hà Phong'),
                                  ('HAKHAU', '06655', 'UBND phường Hà Khẩu'),
                                  ('TPHL', '193', 'UBND thành phố Hạ Long')]:
            r = cls.h.run('fonds', 'set', fonds, '--creator', unit, '--name', name)
            if r.rc != 0:
                raise AssertionError(f'fonds set failed: {r!r}')

    @classmethod
    def tearDownClass(cls):
        cls.h.cleanup()

    def run_ok(self, *args):
        r = self.h.run(*args)
        self.assertEqual(r.rc, 0, r)
        return r

    def json(self, *args):
        return json.loads(self.run_ok(*args, '--json').out)

    def test_1_pending_lists_split_and_abolished(self):
        r = self.run_ok('custody', 'pending')
        self.assertIn('HAKHAU', r.out)
        self.assertIn('06661 Phường Việt Hưng (Nhập một phần)', r.out)
        self.assertIn('06706 Phường Tuần Châu (Nhập một phần)', r.out)
        self.assertIn('usually 22 Tỉnh Quảng Ninh receives', r.out)
        self.assertTrue(r.out.rstrip().endswith('2 fonds waiting for a decision'), r)
        codes = [c['fonds_code'] for c in self.json('custody', 'pending')]
        self.assertEqual(codes, ['HAKHAU', 'TPHL'])

    def test_2_whole_merge_followed_by_itself(self):
        c = self.json('custody', 'show', 'HAPHONG')
        self.assertEqual(c['state'], 'held')
        self.assertEqual(c['creator_name'], 'Phường Hà Phong')
        self.assertEqual(c['custodian_name'], 'Phường Hà Tu')
        self.assertTrue(c['inherited'])
        self.assertEqual(c['steps'][0]['how'], 'merge_whole')
        self.assertIn('1679/NQ-UBTVQH15', c['steps'][0]['basis'])
        before = self.json('custody', 'show', 'HAPHONG', '--at', '30/06/2025')
        self.assertEqual(before['custodian_name'], 'Phường Hà Phong')
        self.assertEqual(before['steps'], [])
        r = self.run_ok('custody', 'of', '06652')
        self.assertIn('HAPHONG  UBND phường Hà Phong  2 dossiers, 3 documents  (inherited from '
                      '06652 Phường Hà Phong, 2025-07-01)', r.out)

    def test_3_assign_split_then_receipt(self):
        r = self.h.run('custody', 'assign', 'HAKHAU', '--to', '06652')
        self.assertEqual(r.rc, 1, r)
        self.assertEqual(r.err.strip(), 'halong: fonds HAKHAU: 06652 is not a successor of '
                         '06655 on 2025-07-01 (the successors are 06661, 06706)')
        r = self.run_ok('custody', 'assign', 'HAKHAU', '--to', '06661', '--basis',
                        'Biên bản thống nhất ngày 25/06/2025')
        self.assertIn('06661 Phường Việt Hưng', r.out)
        of = self.json('custody', 'of', '06661')
        self.assertEqual([c['fonds_code'] for c in of], ['HAKHAU'])
        self.assertEqual(of[0]['steps'][0]['basis'], 'Biên bản thống nhất ngày 25/06/2025')

        csv_path, html_path = self.h.path('r.csv'), self.h.path('r.html')
        r = self.run_ok('custody', 'receipt', '06661', '--csv', csv_path, '--html', html_path)
        self.assertIn('1 fonds, 1 dossiers, 1 documents', r.out)
        head, rows = hl.read_csv(csv_path)
        self.assertEqual(head[:3], ['stt', 'fonds_code', 'fonds_name'])
        self.assertEqual(len(rows), 1)
        row = dict(zip(head, rows[0]))
        self.assertEqual(row['from_name'], 'Phường Hà Khẩu')
        self.assertEqual(row['documents'], '1')
        self.assertEqual(row['pages'], '2')
        self.assertRegex(row['sha256'], r'^[0-9a-f]{64}$')
        with open(html_path, encoding='utf-8') as f:
            page = f.read()
        self.assertIn('BIÊN BẢN GIAO NHẬN TÀI LIỆU LƯU TRỮ', page)
        self.assertIn('Bên giao:</span> Phường Hà Khẩu (mã 06655', page)
        self.assertIn('Bên nhận:</span> Phường Việt Hưng (mã 06661)', page)
        self.assertIn(row['sha256'], page)
        self.assertIn('ĐẠI DIỆN BÊN NHẬN', page)
        parser = html.parser.HTMLParser()
        parser.feed(page)  # well-formed enough for a browser's parser; raises on nothing

    def test_4_receipt_of_the_new_ward(self):
        r = self.json('custody', 'receipt', '06652')
        self.assertEqual(r['to_name'], 'Phường Hà Tu')
        self.assertEqual(r['fonds'], 1)
        self.assertEqual(r['dossiers'], 2)
        self.assertEqual(r['documents'], 3)
        self.assertEqual(r['pages'], 6)
        lines = r['dossiers_list']
        self.assertEqual([l['dossier_code'] for l in lines], ['HS01', 'HS02'])
        self.assertEqual(lines[0]['max_access'], 'secret')
        # the same records, the same receipt: the digest is reproducible
        again = self.json('custody', 'receipt', '06652')
        self.assertEqual(again['sha256'], r['sha256'])
        # CSV on stdout by default
        out = self.run_ok('custody', 'receipt', '06652').out.splitlines()
        self.assertEqual(len(out), 3)
        self.assertTrue(out[1].startswith('1,HAPHONG,UBND phường Hà Phong,06652,Phường Hà Phong,'
                                          '2025-07-01,'))

    def test_5_abolished_district_to_the_province(self):
        self.run_ok('custody', 'assign', 'TPHL', '--to', '22')
        c = self.json('custody', 'show', 'TPHL', '--at', '2026-08-31')
        self.assertEqual(c['custodian_name'], 'Tỉnh Quảng Ninh')
        c = self.json('custody', 'show', 'TPHL', '--at', '2026-09-01')
        self.assertEqual(c['custodian_name'], 'Thành phố Quảng Ninh')
        self.assertEqual([s['how'] for s in c['steps']], ['decision', 'reclassify'])
        r = self.json('custody', 'receipt', '22')
        self.assertEqual({l['from_code'] for l in r['dossiers_list']}, {'193'})

    def test_6_search_unit_filter(self):
        # unit:06652 finds the records now held by Phường Hà Tu, and nothing else
        hits = self.h.search('unit:06652', limit=50)
        self.assertEqual({h['fonds_code'] for h in hits}, {'HAPHONG'})
        self.assertEqual(len(hits), 3)
        word = hl.words(self.arts[0][1])[0]
        hits = self.h.search(f'{word} unit:06652')
        self.assertTrue(hits)
        self.assertTrue(all(h['fonds_code'] == 'HAPHONG' for h in hits))
        # a unit that holds nothing finds nothing; an unknown one is an error
        self.assertEqual(self.h.search('unit:06706'), [])
        r = self.h.run('search', 'unit:99999')
        self.assertEqual(r.rc, 1, r)
        self.assertEqual(r.err.strip(), 'halong: unknown unit code 99999')
        # excluding a unit's records
        hits = self.h.search('ma tuy -unit:06652', limit=50)
        self.assertEqual({h['fonds_code'] for h in hits}, {'HAKHAU', 'TPHL'})

    def test_7_bad_input(self):
        r = self.h.run('fonds', 'set', 'X', '--creator', '99999')
        self.assertEqual((r.rc, r.err.strip()), (1, 'halong: unknown unit code 99999'))
        r = self.h.run('fonds', 'set', 'X', '--creator', '06652', '--creator-at', '2019-01-01')
        self.assertEqual(r.rc, 1, r)
        self.assertIn('before any data', r.err)
        r = self.h.run('fonds', 'set', 'X')
        self.assertEqual(r.rc, 2, r)
        r = self.h.run('custody', 'show', 'NOPE')
        self.assertEqual((r.rc, r.err.strip()), (1, 'halong: unknown fonds NOPE'))
        r = self.h.run('custody', 'of', '06652', '--at', '31/02/2026')
        self.assertEqual(r.rc, 1, r)
        r = self.h.run('custody', 'assign', 'HAPHONG', '--to', '06652')
        self.assertEqual(r.rc, 1, r)
        self.assertIn('waits for no decision', r.err)
        r = self.h.run('custody', 'receipt', '06652', '--bogus')
        self.assertEqual(r.rc, 2, r)
        # nothing half-made: the failed commands created no fonds
        codes = [f['code'] for f in self.json('fonds', 'list')]
        self.assertEqual(codes, ['HAKHAU', 'HAPHONG', 'TPHL'])

    def test_8_the_console_is_audited_by_name(self):
        # the commands go through the library's verbs as the node's operator, who is named in
        # the audit log as the server names a user: cli:USER, not a bare "cli"
        import pwd
        me = 'cli:' + pwd.getpwuid(os.geteuid()).pw_name
        self.run_ok('fonds', 'set', 'HAPHONG', '--creator', '06652', '--name',
                    'UBND phường Hà Phong')
        entries = self.json('audit', 'list', '--limit', '100')['items']
        sets = [e for e in entries if e['action'] == 'fonds.set']
        self.assertEqual({e['object'] for e in sets}, {'HAPHONG', 'HAKHAU', 'TPHL'}, sets)
        self.assertEqual({e['actor'] for e in sets}, {me}, sets)
        decisions = [e for e in entries if e['action'] == 'custody.assign']
        self.assertEqual({e['object'] for e in decisions}, {'HAKHAU', 'TPHL'}, decisions)
        self.assertEqual({e['actor'] for e in decisions}, {me}, decisions)
        # and it still sees everything: the secret record of HAPHONG is counted
        c = self.json('custody', 'show', 'HAPHONG')
        self.assertEqual((c['dossiers'], c['documents']), (2, 3))


if __name__ == '__main__':
    unittest.main()
