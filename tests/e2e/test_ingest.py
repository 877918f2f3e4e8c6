"""Ingest of hand-made manifests: every rejection reason with its line and column, the rejects
file and its round trip, updates with versions, Vietnamese headers, generated ids, and manifests
in the wrong encoding or with BOM, CRLF and line breaks inside quoted fields."""
import hashlib
import os
import re
import shutil
import subprocess
import tempfile
import unicodedata
import unittest

import hl

COLS = ['doc_id', 'fonds_code', 'dossier_code', 'doc_ordinal', 'subject', 'issued_date',
        'access_level', 'confidence', 'retention', 'page_count', 'files', 'text']


def row(**kw):
    r = {'fonds_code': 'QN', 'dossier_code': 'HS-03', 'doc_ordinal': '1',
         'subject': 'Văn bản thử', 'issued_date': '01/07/2025', 'access_level': 'public',
         'confidence': 'original', 'retention': 'permanent', 'text': 'Nội dung văn bản.'}
    r.update(kw)
    return r


GOOD = [
    row(dossier_code='HS-01', doc_ordinal='1', subject='Quyết định thành lập phường Hà Tu',
        issued_date='05/09/2025', page_count='2', files='scans/a1.png;scans/a2.png'),
    row(dossier_code='HS-01', doc_ordinal='2',
        subject='Tờ trình về việc sắp xếp đơn vị hành chính cấp xã', issued_date='03/2025',
        access_level='công khai', confidence='bản chính', retention='vĩnh viễn'),
    row(dossier_code='HS-01', doc_ordinal='3', subject='Công văn gửi Sở Nội vụ',
        issued_date='2024', access_level='hạn chế', confidence='bản sao', retention='70',
        page_count='9', files='scans/c1.pdf'),
    row(dossier_code='HS-02', doc_ordinal='1', subject='Báo cáo tổng kết năm 2024',
        issued_date='2024-12-31', access_level='internal', confidence='digitized',
        retention='20', page_count='1', files='scans/b1.png'),
]

# (row, the column that must be named); one defect per row, ordinals distinct otherwise.
BAD = [
    (row(doc_ordinal='1', fonds_code=''), 'fonds_code'),
    (row(doc_ordinal='2', dossier_code=''), 'dossier_code'),
    (row(doc_ordinal=''), 'doc_ordinal'),
    (row(doc_ordinal='4', subject=''), 'subject'),
    (row(doc_ordinal='5', issued_date='31/02/2020'), 'issued_date'),
    (row(doc_ordinal='6', issued_date='2020-13-01'), 'issued_date'),
    (row(doc_ordinal='7', issued_date='hôm qua'), 'issued_date'),
    (row(doc_ordinal='8', access_level='mọi người'), 'access_level'),
    (row(doc_ordinal='abc'), 'doc_ordinal'),
    (row(doc_ordinal='0'), 'doc_ordinal'),
    (row(doc_ordinal='-2'), 'doc_ordinal'),
    (row(dossier_code='HS-01', doc_ordinal='1', subject='Bản trùng số thứ tự'), 'doc_ordinal'),
    (row(doc_id='QN-KHAC', dossier_code='HS-05', doc_ordinal='1'), 'doc_ordinal'),
    (row(doc_ordinal='14', page_count='1', files='scans/khong-co.png'), 'files'),
    (row(doc_ordinal='15', page_count='3', files='scans/a1.png;scans/b1.png'), 'page_count'),
    (row(doc_ordinal='16', retention='mãi mãi'), 'retention'),
    (row(doc_ordinal='17', retention='12.5'), 'retention'),
    (row(doc_ordinal='18', confidence='bản nháp'), 'confidence'),
]

# How a clerk fixes each column in the rejects file.
FIX = {'fonds_code': 'QN', 'dossier_code': 'HS-03', 'subject': 'Văn bản bổ sung trích yếu',
       'issued_date': '28/02/2020', 'access_level': 'public', 'page_count': '2',
       'retention': '10', 'confidence': 'copy'}

ERR = re.compile(r'^(.*):(\d+): (\w+): (.+)$')


def cp1258(s):
    """s in Windows-1258, the old Vietnamese code page: tone marks as combining characters."""
    out = b''
    for ch in unicodedata.normalize('NFC', s):
        try:
            out += ch.encode('cp1258')
            continue
        except UnicodeEncodeError:
            pass
        d = unicodedata.normalize('NFD', ch)
        tones = [c for c in d[1:] if c in '\u0300\u0301\u0303\u0309\u0323']
        rest = d[0] + ''.join(c for c in d[1:] if c not in tones)
        out += unicodedata.normalize('NFC', rest).encode('cp1258') + ''.join(tones).encode('cp1258')
    return out


class IngestTest(hl.HomeCase):
    def errors(self, r, manifest):
        """(line, column) of every `MANIFEST:LINE: COLUMN: reason` line on stderr."""
        out = []
        for l in r.err.splitlines():
            m = ERR.match(l)
            if m and os.path.basename(m.group(1)) == os.path.basename(manifest):
                out.append((int(m.group(2)), m.group(3)))
        return out

    def make_scans(self):
        hl.write_bytes(self.h.path('scans', 'a1.png'), hl.png(24, 16, 1))
        hl.write_bytes(self.h.path('scans', 'a2.png'), hl.png(24, 16, 2))
        hl.write_bytes(self.h.path('scans', 'b1.png'), hl.png(24, 16, 3))
        hl.write_bytes(self.h.path('scans', 'c1.pdf'), b'%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n'
                       b'<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n')

    def test_bad_rows_rejected_with_line_and_column(self):
        self.make_scans()
        pre = hl.write_csv(self.h.path('pre.csv'), COLS, [
            row(doc_id='QN-GIU-CHO', dossier_code='HS-05', doc_ordinal='1',
                subject='Tờ trình giữ số thứ tự')])
        r = self.h.run('ingest', pre)
        self.assertEqual(r.rc, 0, r)
        # Good and bad rows interleaved; every row is one physical line.
        rows, expect = [], {}
        bad = list(BAD)
        for i, g in enumerate(GOOD):
            rows.append(g)
            for _ in range(5 if i < 3 else len(bad)):
                if bad:
                    b, col = bad.pop(0)
                    rows.append(b)
                    expect[len(rows) + 1] = (b, col)
        m = hl.write_csv(self.h.path('bad.csv'), COLS, rows)
        rej = self.h.path('out', 'bad-rows.csv')
        os.makedirs(os.path.dirname(rej))
        r = self.h.run('ingest', m, '--rejects', rej)
        self.assertEqual(r.rc, 3, r)
        s = r.summary()
        self.assertIsNotNone(s, r)
        self.assertEqual((s['rows'], s['new'], s['rejected']), (len(rows), 4, len(BAD)), r)
        got = self.errors(r, m)
        self.assertEqual(sorted(got), sorted((ln, col) for ln, (_, col) in expect.items()),
                         f'stderr:\n{r.err}')
        self.assertEqual(self.h.stats()['documents'], 1 + len(GOOD))
        for g in GOOD:
            d = self.h.show(hl.doc_id('QN', g['dossier_code'], int(g['doc_ordinal'])))
            self.assertEqual(d['subject'], g['subject'])
        # The good rows' Vietnamese values arrive as the canonical ones.
        d = self.h.show(hl.doc_id('QN', 'HS-01', 2))
        self.assertEqual((d['issued_date'], d['access_level'], d['confidence'], d['retention']),
                         ('2025-03', 'public', 'original', 'permanent'))
        d = self.h.show(hl.doc_id('QN', 'HS-01', 3))
        self.assertEqual((d['issued_date'], d['access_level'], d['confidence']),
                         ('2024', 'restricted', 'copy'))
        self.assertEqual(str(d['retention']), '70')
        self.assertEqual(self.h.show('QN-GIU-CHO')['subject'], 'Tờ trình giữ số thứ tự')

        header, rejected = hl.read_csv(rej)
        self.assertEqual(header, COLS + ['_line', '_column', '_reason'])
        self.assertEqual(len(rejected), len(BAD))
        for rr in rejected:
            ln = int(rr[-3])
            self.assertIn(ln, expect, rr)
            b, col = expect[ln]
            self.assertEqual(rr[:len(COLS)], [b.get(k, '') for k in COLS])
            self.assertEqual(rr[-2], col)
            self.assertTrue(rr[-1].strip(), f'no reason given: {rr}')
        self.assertEqual(sorted(int(rr[-3]) for rr in rejected), sorted(expect))

        # The clerk fixes the rejects file in place and ingests it: everything loads.
        fixed = []
        for k, rr in enumerate(rejected):
            vals = dict(zip(header, rr))
            col = vals['_column']
            if col == 'doc_ordinal':
                vals[col] = str(100 + k)
            elif col == 'files':
                hl.write_bytes(os.path.join(self.h.tmp, vals['files']), hl.png(24, 16, 99))
            else:
                vals[col] = FIX[col]
            fixed.append([vals[c] for c in header])
        fixed_path = self.h.path('bad-rows-fixed.csv')
        hl.write_csv(fixed_path, header, fixed)
        r = self.h.run('ingest', fixed_path)
        self.assertEqual(r.rc, 0, r)
        s = r.summary()
        self.assertEqual((s['rows'], s['new'], s['rejected']), (len(BAD), len(BAD), 0), r)
        self.assertFalse(os.path.exists(self.h.path('bad-rows-fixed.rejects.csv')))
        self.assertEqual(self.h.stats()['documents'], 1 + len(GOOD) + len(BAD))
        self.assertEqual(self.h.show('QN-KHAC')['dossier_code'], 'HS-05')

    def test_default_rejects_file(self):
        m = hl.write_csv(self.h.path('muc-luc.csv'), COLS, [
            row(doc_ordinal='1'), row(doc_ordinal='2', issued_date='30/02/2024')])
        r = self.h.run('ingest', m)
        self.assertEqual(r.rc, 3, r)
        self.assertEqual(self.errors(r, m), [(3, 'issued_date')])
        header, rejected = hl.read_csv(self.h.path('muc-luc.rejects.csv'))
        self.assertEqual(len(rejected), 1)
        self.assertEqual(rejected[0][-3:-1], ['3', 'issued_date'])
        good = hl.write_csv(self.h.path('tot.csv'), COLS, [row(doc_ordinal='5')])
        r = self.h.run('ingest', good)
        self.assertEqual(r.rc, 0, r)
        self.assertFalse(os.path.exists(self.h.path('tot.rejects.csv')),
                         'a rejects file written when nothing was rejected')

    def test_short_row_and_long_values_are_rejected_cleanly(self):
        # a row shorter than the header was read past its end (a crash the fuzzer found); a
        # long Vietnamese value quoted in a reason was cut inside a character, and the rejects
        # file could not be ingested again
        m = self.h.path('ngan.csv')
        long_date = 'ngày ' * 80
        with open(m, 'w', encoding='utf-8', newline='') as f:
            f.write(','.join(COLS) + '\r\n')
            f.write(',QN,HS-05,1,Văn bản đủ cột,01/07/2025,public,original,permanent,,,x\r\n')
            f.write(',QN\r\n')
            f.write(f',QN,HS-05,3,Văn bản ngày dài,{long_date},public,original,permanent,,,x\r\n')
        r = self.h.run('ingest', m)
        self.assertEqual(r.rc, 3, r)
        self.assertIn('ngan.csv:3: row: row has 2 fields, the header has 12', r.err)
        self.assertIn('ngan.csv:4: issued_date: bad date', r.err)
        self.assertEqual(self.h.stats()['documents'], 1)
        with open(self.h.path('ngan.rejects.csv'), 'rb') as f:
            data = f.read()
        data.decode('utf-8')  # whole characters only
        # the rejects file, fixed, goes in again
        fixed = self.h.path('sua.csv')
        header, rows = hl.read_csv(self.h.path('ngan.rejects.csv'))
        keep = header.index('_line')
        rows = [r_[:keep] for r_ in rows]
        rows[0] = [''] + ['QN', 'HS-05', '2', 'Văn bản sửa', '01/07/2025', 'public',
                          'original', 'permanent', '', '', 'x']
        rows[1][COLS.index('issued_date')] = '02/07/2025'
        hl.write_csv(fixed, header[:keep], rows)
        r = self.h.run('ingest', fixed)
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(self.h.stats()['documents'], 3)

    def test_changed_row_updates_and_keeps_version(self):
        rows = [row(dossier_code='HS-09', doc_ordinal=str(i), subject=s, text=t) for i, (s, t) in
                enumerate([('Kế hoạch chuyển đổi số năm 2025', 'Triển khai dịch vụ công.'),
                           ('Thông báo lịch tiếp công dân', 'Tháng 7, mỗi thứ Năm.'),
                           ('Báo cáo giải ngân vốn đầu tư', 'Tiến độ giải ngân.')], 1)]
        m = self.h.path('hs09.csv')
        hl.write_csv(m, COLS, rows)
        r = self.h.run('ingest', m)
        self.assertEqual(r.rc, 0, r)
        before = self.h.stats()
        i = hl.doc_id('QN', 'HS-09', 2)
        self.assertEqual(self.h.search('tiep cong dan')[0]['id'], i)
        rows[1]['subject'] = 'Thông báo lịch họp giao ban tháng 7'
        hl.write_csv(m, COLS, rows)
        r = self.h.run('ingest', m)
        self.assertEqual(r.rc, 0, r)
        s = r.summary()
        self.assertEqual((s['rows'], s['new'], s['updated'], s['unchanged'], s['rejected']),
                         (3, 0, 1, 2, 0), r)
        self.assertFalse(s['nothing_changed'])
        self.assertRegex(r.out, r'\b1 updated\b')
        d = self.h.show(i)
        self.assertEqual(d['subject'], 'Thông báo lịch họp giao ban tháng 7')
        self.assertEqual(d['version'], 2)
        self.assertEqual([v['version'] for v in d['versions']], [1])
        self.assertTrue(d['versions'][0]['replaced_at'])
        self.assertGreaterEqual(d['updated_at'], d['created_at'])
        after = self.h.stats()
        self.assertEqual(after['documents'], before['documents'])
        self.assertEqual(after['versions'], before['versions'] + 1)
        self.assertEqual([x['id'] for x in self.h.search('giao ban')], [i])
        self.assertEqual([x['id'] for x in self.h.search('"lich tiep cong dan"')], [],
                         'the index still holds the old subject')
        r = self.h.run('ingest', m)
        self.assertTrue(r.summary()['nothing_changed'], r)

    def test_vietnamese_headers_and_generated_id(self):
        header = ['MÃ PHÔNG', 'Ma ho so', 'Số thứ tự văn bản', 'Mã định danh văn bản',
                  'Trích yếu nội dung', 'Ngày tháng năm văn bản', 'Tên loại văn bản',
                  'Cơ quan ban hành', 'Chế độ sử dụng', 'Thời hạn bảo quản', 'Từ khóa',
                  'Ghi chú', 'Nội dung']
        rows = [
            ['UBND-HB', 'HB-1987-04', '7', '', 'Quyết định về việc thành lập thị trấn Trới',
             '12/05/1987', 'Quyết định', 'Ủy ban nhân dân huyện Hoành Bồ', 'công khai',
             'vĩnh viễn', 'thị trấn; địa giới', 'Giấy ố vàng', 'Thành lập thị trấn Trới.'],
            ['UBND-HB', 'HB-1987-04', '8', 'HB-1987-04-008', 'Tờ trình xin thành lập xã mới',
             '1987', 'Tờ trình', 'Ủy ban nhân dân huyện Hoành Bồ', 'nội bộ', '50', '', '',
             'Đề nghị thành lập xã.'],
        ]
        m = hl.write_csv(self.h.path('muc-luc-ho-so.csv'), header, rows)
        r = self.h.run('ingest', m)
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(r.summary()['new'], 2, r)
        i = hl.doc_id('UBND-HB', 'HB-1987-04', 7)
        d = self.h.show(i)
        self.assertEqual(d['doc_id'], i)
        self.assertEqual((d['fonds_code'], d['dossier_code'], str(d['doc_ordinal'])),
                         ('UBND-HB', 'HB-1987-04', '7'))
        self.assertEqual(d['subject'], 'Quyết định về việc thành lập thị trấn Trới')
        self.assertEqual((d['issued_date'], d['doc_type'], d['issuer']),
                         ('1987-05-12', 'Quyết định', 'Ủy ban nhân dân huyện Hoành Bồ'))
        self.assertEqual((d['access_level'], d['retention']), ('public', 'permanent'))
        self.assertEqual((d['notes'], d['text']), ('Giấy ố vàng', 'Thành lập thị trấn Trới.'))
        kw = d['keywords'] if isinstance(d['keywords'], list) else \
            [k.strip() for k in d['keywords'].split(';')]
        self.assertEqual(kw, ['thị trấn', 'địa giới'])
        d = self.h.show('HB-1987-04-008')
        self.assertEqual((d['access_level'], str(d['retention']), d['issued_date']),
                         ('internal', '50', '1987'))
        r = self.h.run('show', hl.doc_id('UBND-HB', 'HB-1987-04', 8))
        self.assertEqual(r.rc, 1, 'a given doc_id was replaced by a generated one')

    def test_non_utf8_manifest_cp1258(self):
        text = ('fonds_code,dossier_code,doc_ordinal,subject\r\n'
                'QN,HS-01,1,Bao cao thang 6\r\n')
        data = text.encode('ascii') + cp1258('QN,HS-01,2,Quyết định về việc tổ chức lại bộ máy\r\n')
        self.assertRaises(UnicodeDecodeError, data.decode, 'utf-8')
        m = self.h.path('cp1258.csv')
        hl.write_bytes(m, data)
        r = self.h.run('ingest', m)
        self.assert_encoding_error(r, 'cp1258.csv', 3)

    def test_non_utf8_manifest_utf16(self):
        m = self.h.path('utf16.csv')
        hl.write_bytes(m, ('fonds_code,dossier_code,doc_ordinal,subject\r\n'
                           'QN,HS-01,1,Quyết định thành lập\r\n').encode('utf-16'))
        r = self.h.run('ingest', m)
        self.assert_encoding_error(r, 'utf16.csv', 1)

    def assert_encoding_error(self, r, name, line):
        self.assertEqual(r.rc, 1, r)
        lines = [l for l in r.err.splitlines() if l.strip()]
        self.assertEqual(len(lines), 1, r)
        self.assertTrue(lines[0].startswith('halong: '), r)
        self.assertIn(name, lines[0])
        self.assertRegex(lines[0], rf'(:{line}\b|line {line}\b)')
        self.assertRegex(lines[0].lower(), r'utf-?8')
        s = self.h.stats()
        self.assertEqual((s['documents'], s['dossiers'], s['fonds']), (0, 0, 0))

    def test_bom_crlf_and_quoted_line_breaks(self):
        header = ['fonds_code', 'dossier_code', 'doc_ordinal', 'subject', 'issued_date', 'text']
        rows = [
            ['QN', 'HS-01', '1', 'Biên bản họp', '01/07/2025', 'Dòng một\r\nDòng hai\r\nDòng ba'],
            ['QN', 'HS-01', '2', 'Thông báo kết luận', '02/07/2025', 'Một dòng, có "ngoặc kép"'],
            ['QN', 'HS-01', '3', 'Kế hoạch\r\nnăm 2025', '03/07/2025', 'a\r\nb'],
            ['QN', 'HS-01', '4', 'Tờ trình', '31/02/2025', 'ngày không có thật'],
            ['QN', 'HS-01', '5', 'Giấy mời', '05/07/2025', 'Kính mời.'],
        ]
        m = hl.write_csv(self.h.path('bom-crlf.csv'), header, rows, bom=True)
        with open(m, 'rb') as f:
            raw = f.read()
        self.assertTrue(raw.startswith(b'\xef\xbb\xbffonds_code,'))
        self.assertEqual(raw.count(b'\r\n'), 10)
        r = self.h.run('ingest', m)
        self.assertEqual(r.rc, 3, r)
        # Lines 2-4 hold row 1, 5 row 2, 6-8 row 3 (two line breaks), 9 the bad row.
        self.assertEqual(self.errors(r, m), [(9, 'issued_date')], r.err)
        self.assertEqual(self.h.stats()['documents'], 4)
        d = self.h.show(hl.doc_id('QN', 'HS-01', 1))
        self.assertEqual(d['fonds_code'], 'QN')
        self.assertEqual(d['text'].replace('\r\n', '\n'), 'Dòng một\nDòng hai\nDòng ba')
        self.assertEqual(self.h.show(hl.doc_id('QN', 'HS-01', 2))['text'],
                         'Một dòng, có "ngoặc kép"')
        self.assertEqual(self.h.show(hl.doc_id('QN', 'HS-01', 3))['subject'].replace('\r\n', '\n'),
                         'Kế hoạch\nnăm 2025')
        _, rejected = hl.read_csv(self.h.path('bom-crlf.rejects.csv'))
        self.assertEqual([(rr[3], rr[-3], rr[-2]) for rr in rejected],
                         [('Tờ trình', '9', 'issued_date')])


LINK_COLS = ['fonds_code', 'dossier_code', 'doc_ordinal', 'subject', 'access_level', 'files']


class DossierTitleTest(hl.HomeCase):
    def test_manifest_gives_the_dossier_its_title(self):
        """`dossier_title` (or `Tiêu đề hồ sơ`) titles the row's dossier; the last row naming one
        wins; a row without one leaves it; ingesting again with another title changes it."""
        import hlserve
        hdr = ['Mã phông', 'Mã hồ sơ', 'Số thứ tự văn bản', 'Trích yếu nội dung', 'Tiêu đề hồ sơ',
               'Mức độ tiếp cận']
        m = hl.write_csv(self.h.path('t.csv'), hdr, [
            ['QN01', 'HS-01', '1', 'Tờ trình một', 'Hồ sơ giải phóng mặt bằng', 'công khai'],
            ['QN01', 'HS-01', '2', 'Tờ trình hai', '', 'công khai'],
            ['QN01', 'HS-02', '1', 'Công văn', '', 'công khai']])
        self.assertEqual(self.h.run('ingest', m).rc, 0)
        srv = hlserve.Server(self.h.home).start()
        self.addCleanup(srv.stop)
        c = srv.client()

        def titles():
            # public rows: a guest sees the dossiers
            r = c.get('/api/v1/fonds/QN01')
            self.assertEqual(r.status, 200, r)
            j = r.json()
            return {d['code']: d.get('title') for d in j['dossiers']}
        self.assertEqual(titles(), {'HS-01': 'Hồ sơ giải phóng mặt bằng', 'HS-02': None})
        m2 = hl.write_csv(self.h.path('t2.csv'), hdr, [
            ['QN01', 'HS-01', '1', 'Tờ trình một', 'Hồ sơ bồi thường, hỗ trợ, tái định cư',
             'công khai']])
        self.assertEqual(self.h.run('ingest', m2).rc, 0)
        self.assertEqual(titles()['HS-01'], 'Hồ sơ bồi thường, hỗ trợ, tái định cư')


class FilesFolderTest(hl.HomeCase):
    """`--files DIR` is a boundary: a scans folder as an attacker leaves it (symbolic links to
    the node's secret key, to a file in /tmp, to a folder outside, a chain of links that ends
    outside, /dev/zero through a link, a fifo, a folder) has each of those rows refused with
    one reason naming the `files` column and the file, the rest of the batch loaded, and not
    one byte of an outside file in the blob store. A link that stays inside is followed."""

    def setUp(self):
        super().setUp()
        r = self.h.run('node', 'init', '--unit', '22', '--url', 'http://127.0.0.1:9')
        self.assertEqual(r.rc, 0, r)
        self.key = os.path.join(self.h.home, 'keys', 'node.key')
        with open(self.key, 'rb') as f:
            self.key_bytes = f.read()
        self.assertEqual(len(self.key_bytes), 64)
        # A file and a folder outside, in /tmp, away from the test's own folder.
        self.outside = tempfile.mkdtemp(prefix='halong-e2e-outside-')
        self.addCleanup(shutil.rmtree, self.outside, True)
        self.secret_bytes = b'%PDF-1.4\n% bien ban mat, khong duoc cong bo\n' + os.urandom(64)
        hl.write_bytes(os.path.join(self.outside, 'secret.pdf'), self.secret_bytes)
        hl.write_bytes(os.path.join(self.outside, 'dir', 'x.pdf'), self.secret_bytes + b'x')
        scans = self.scans = self.h.path('scans')
        self.good = {'a.png': hl.png(24, 16, 41), 'sub/b.png': hl.png(24, 16, 42)}
        for name, data in self.good.items():
            hl.write_bytes(os.path.join(scans, name), data)
        os.symlink(self.key, os.path.join(scans, 'key.pdf'))
        os.symlink('../home/keys/node.key', os.path.join(scans, 'key-rel.pdf'))
        os.symlink(os.path.join(self.outside, 'secret.pdf'), os.path.join(scans, 'tmp-secret.pdf'))
        os.symlink(os.path.join(self.outside, 'dir'), os.path.join(scans, 'dir-link'))
        os.symlink('chain2.pdf', os.path.join(scans, 'chain1.pdf'))
        os.symlink('sub/chain3.pdf', os.path.join(scans, 'chain2.pdf'))
        os.symlink('../../home/keys/node.key', os.path.join(scans, 'sub', 'chain3.pdf'))
        os.symlink('/dev/zero', os.path.join(scans, 'zero.tif'))
        os.symlink('sub/../sub/b.png', os.path.join(scans, 'link-in.png'))
        os.symlink('sub', os.path.join(scans, 'sub-link'))
        os.mkfifo(os.path.join(scans, 'fifo.pdf'))
        # (file, refused?) one row each, in this order
        self.rows = [('a.png', False), ('key.pdf', True), ('key-rel.pdf', True),
                     ('tmp-secret.pdf', True), ('dir-link/x.pdf', True), ('chain1.pdf', True),
                     ('zero.tif', True), ('fifo.pdf', True), ('sub', True),
                     ('link-in.png', False), ('sub-link/b.png', False)]

    def ingest(self, *extra):
        rows = [['QN', 'HS-LINK', str(i + 1), f'Hồ sơ {i + 1}', 'public', name]
                for i, (name, _) in enumerate(self.rows)]
        m = hl.write_csv(self.h.path('links.csv'), LINK_COLS, rows)
        # a fifo that blocked the ingest would fail here, not hang the suite
        r = self.h.run('ingest', m, '--files', self.scans, *extra, timeout=300)
        self.assertEqual(r.rc, 3, r)
        return m, r

    def check(self, m, r):
        s = r.summary()
        refused = [n for n, bad in self.rows if bad]
        self.assertEqual((s['rows'], s['new'], s['rejected']),
                         (len(self.rows), len(self.rows) - len(refused), len(refused)), r)
        got = {}
        for l in r.err.splitlines():
            mm = ERR.match(l)
            if mm and os.path.basename(mm.group(1)) == 'links.csv':
                self.assertNotIn(int(mm.group(2)), got, f'two reasons for one row: {r.err}')
                got[int(mm.group(2))] = (mm.group(3), mm.group(4))
        want_lines = {i + 2 for i, (_, bad) in enumerate(self.rows) if bad}
        self.assertEqual(set(got), want_lines, r.err)
        for i, (name, bad) in enumerate(self.rows):
            if bad:
                col, reason = got[i + 2]
                self.assertEqual(col, 'files', reason)
                self.assertTrue(reason.startswith(name + ': '), reason)
        for name in ('key.pdf', 'key-rel.pdf', 'tmp-secret.pdf', 'dir-link/x.pdf',
                     'chain1.pdf', 'zero.tif'):
            ln = 2 + [n for n, _ in self.rows].index(name)
            self.assertIn('outside the folder', got[ln][1])
        self.assertIn('fifo', got[2 + [n for n, _ in self.rows].index('fifo.pdf')][1])
        self.assertIn('folder', got[2 + [n for n, _ in self.rows].index('sub')][1])
        _, rejected = hl.read_csv(m.replace('.csv', '.rejects.csv'))
        self.assertEqual(sorted((rr[5], rr[-2]) for rr in rejected),
                         sorted((n, 'files') for n in refused))
        # the good rows, the link that stays inside among them, hold their own bytes
        for i, (name, bad) in enumerate(self.rows):
            if not bad:
                d = self.h.show(hl.doc_id('QN', 'HS-LINK', i + 1))
                real = {'a.png': 'a.png', 'link-in.png': 'sub/b.png',
                        'sub-link/b.png': 'sub/b.png'}[name]
                sha = hashlib.sha256(self.good[real]).hexdigest()
                self.assertEqual([f['sha256'] for f in d['files']], [sha])
        # not one byte of an outside file anywhere in the blob store, nor left in tmp/
        for root in ('blobs', 'tmp'):
            for dirpath, _, names in os.walk(os.path.join(self.h.home, root)):
                for n in names:
                    with open(os.path.join(dirpath, n), 'rb') as f:
                        data = f.read()
                    self.assertNotIn(self.key_bytes, data, f'the node key is in {root}/{n}')
                    self.assertNotIn(self.secret_bytes, data, f'a /tmp file is in {root}/{n}')
                    self.assertNotEqual(root, 'tmp', f'a copy left behind: tmp/{n}')
        st = self.h.stats()
        self.assertEqual((st['files'], st['blobs']), (3, 2), st)
        r = self.h.run('verify')
        self.assertEqual(r.rc, 0, r)
        self.assertNotRegex(r.out, r'(?m)^(missing|corrupt|orphan) ')

    def test_links_out_of_the_files_folder_refused(self):
        self.check(*self.ingest())

    def test_links_out_refused_with_ocr(self):
        """The same with --ocr: the probe sees only what was opened beneath the folder."""
        self.check(*self.ingest('--ocr'))

    def test_data_directory_inside_the_files_folder(self):
        """The files folder holds the data directory (a manifest beside the default
        ./halong-data): a name into it, or a link inside the folder that leads into it, is
        refused; the other files of the folder load."""
        os.symlink('../home/keys/node.key', os.path.join(self.scans, 'key-in.pdf'))
        rows = [['QN', 'HS-HOME', '1', 'Khóa', 'public', 'home/keys/node.key'],
                ['QN', 'HS-HOME', '2', 'Cơ sở dữ liệu', 'public', 'home/halong.db'],
                ['QN', 'HS-HOME', '3', 'Liên kết', 'public', 'scans/key-in.pdf'],
                ['QN', 'HS-HOME', '4', 'Trang', 'public', 'scans/a.png']]
        m = hl.write_csv(self.h.path('home.csv'), LINK_COLS, rows)
        r = self.h.run('ingest', m)  # files relative to the manifest's folder, which holds home/
        self.assertEqual(r.rc, 3, r)
        self.assertEqual(sorted(self.errors(r, m)), [(2, 'files'), (3, 'files'), (4, 'files')],
                         r.err)
        for l in r.err.splitlines():
            if ': files: ' in l:
                self.assertIn("inside the node's data directory", l)
        self.assertEqual(r.summary()['new'], 1, r)
        for dirpath, _, names in os.walk(os.path.join(self.h.home, 'blobs')):
            for n in names:
                with open(os.path.join(dirpath, n), 'rb') as f:
                    self.assertNotIn(self.key_bytes, f.read())

    def test_rejects_file_is_not_a_link_to_follow(self):
        """The rejects file is written beside a manifest that came with its folder: a link
        planted under its name (to the node's database) or a fifo is refused, not written
        through; the database is untouched."""
        db = os.path.join(self.h.home, 'halong.db')
        with open(db, 'rb') as f:
            before = f.read()
        bad = [['QN', 'HS-X', '1', 'Ngày sai', 'public', 'missing.png']]
        m = hl.write_csv(self.h.path('evil.csv'), LINK_COLS, bad)
        os.symlink(db, self.h.path('evil.rejects.csv'))
        r = self.h.run('ingest', m, '--files', self.scans, timeout=300)
        self.assertEqual(r.rc, 1, r)
        self.assertIn('evil.rejects.csv: cannot write: a symbolic link is there (refused)', r.err)
        self.assertTrue(os.path.islink(self.h.path('evil.rejects.csv')))
        with open(db, 'rb') as f:
            self.assertEqual(f.read(), before, 'the database was written through the link')
        self.assertEqual(self.h.stats()['documents'], 0)
        m = hl.write_csv(self.h.path('fifo.csv'), LINK_COLS, bad)
        os.mkfifo(self.h.path('fifo.rejects.csv'))
        r = self.h.run('ingest', m, '--files', self.scans, timeout=300)
        self.assertEqual(r.rc, 1, r)
        self.assertIn('fifo.rejects.csv: cannot write:', r.err)

    def test_refused_row_leaves_no_blob(self):
        """A row's files reach the blob store only when the row is accepted: a row refused for
        a missing second file, for an ordinal another document holds, or (with --ocr) for a
        broken scan after a good one leaves nothing in blobs/ and no blob record."""
        pre = hl.write_csv(self.h.path('pre.csv'), ['doc_id'] + LINK_COLS,
                           [['GIU', 'QN', 'HS-R', '1', 'Giữ số', 'public', '']])
        self.assertEqual(self.h.run('ingest', pre).rc, 0)
        hl.write_bytes(os.path.join(self.scans, 'c.png'), hl.png(24, 16, 43))
        hl.write_bytes(os.path.join(self.scans, 'bad.tif'), b'II*\x00' + b'\xff' * 40)
        rows = [['', 'QN', 'HS-R', '2', 'Thiếu tệp thứ hai', 'public', 'a.png;missing.png'],
                ['KHAC', 'QN', 'HS-R', '1', 'Trùng số thứ tự', 'public', 'sub/b.png'],
                ['', 'QN', 'HS-R', '3', 'Tốt', 'public', 'c.png']]
        m = hl.write_csv(self.h.path('r.csv'), ['doc_id'] + LINK_COLS, rows)
        r = self.h.run('ingest', m, '--files', self.scans)
        self.assertEqual(r.rc, 3, r)
        self.assertEqual(sorted(self.errors(r, m)), [(2, 'files'), (3, 'doc_ordinal')], r.err)
        m2 = hl.write_csv(self.h.path('r2.csv'), LINK_COLS,
                          [['QN', 'HS-R', '4', 'Bản quét hỏng', 'public', 'link-in.png;bad.tif']])
        r = self.h.run('ingest', m2, '--files', self.scans, '--ocr')
        self.assertEqual(r.rc, 3, r)
        self.assertEqual(self.errors(r, m2), [(2, 'files')], r.err)
        blobs = []
        for dirpath, _, names in os.walk(os.path.join(self.h.home, 'blobs')):
            blobs += [os.path.basename(dirpath) + n for n in names]
        self.assertEqual(blobs, [hashlib.sha256(hl.png(24, 16, 43)).hexdigest()])
        self.assertEqual(os.listdir(os.path.join(self.h.home, 'tmp')), [])
        st = self.h.stats()
        self.assertEqual((st['documents'], st['files'], st['blobs']), (2, 1, 1), st)
        r = self.h.run('verify')
        self.assertEqual((r.rc, r.out.strip().splitlines()[-1]),
                         (0, 'verify: 1 blobs checked: 1 ok, 0 missing, 0 corrupt'), r)

    errors = IngestTest.errors


class VerifyOrphansTest(hl.HomeCase):
    """`verify` walks blobs/ beside the store: a blob nobody refers to (a crash between its
    write and its batch's commit), a stray file, a killed ingest's copy in tmp/ are each listed
    as `orphan`, counted apart, and do not fail the exit code; a missing or corrupt blob still
    does. Re-running the ingest adopts the orphan blob and sweeps the dead copy."""

    def test_orphans_listed_counted_and_not_failed(self):
        scans = self.h.path('scans')
        a, c = hl.png(24, 16, 51), hl.png(24, 16, 52)
        hl.write_bytes(os.path.join(scans, 'a.png'), a)
        hl.write_bytes(os.path.join(scans, 'c.png'), c)
        m = hl.write_csv(self.h.path('m.csv'), LINK_COLS,
                         [['QN', 'HS-O', '1', 'Một', 'public', 'a.png']])
        r = self.h.run('ingest', m, '--files', scans)
        self.assertEqual(r.rc, 0, r)
        r = self.h.run('verify')
        self.assertEqual((r.rc, r.out.strip().splitlines()[-1]),
                         (0, 'verify: 1 blobs checked: 1 ok, 0 missing, 0 corrupt'), r)

        blobs, tmp = os.path.join(self.h.home, 'blobs'), os.path.join(self.h.home, 'tmp')
        c_sha = hashlib.sha256(c).hexdigest()
        hl.write_bytes(hl.blob_path(self.h.home, c_sha), c)  # written, batch never committed
        hl.write_bytes(os.path.join(blobs, c_sha[:2], 'blob.tmp'), b'half')
        hl.write_bytes(os.path.join(blobs, 'README'), b'not a blob')
        os.makedirs(os.path.join(blobs, 'zz'))
        p = subprocess.Popen(['true'])
        p.wait()
        hl.write_bytes(os.path.join(tmp, f'blob.{p.pid}.3'), c[:10])  # its ingest was killed
        hl.write_bytes(os.path.join(tmp, f'blob.{os.getpid()}.4'), b'')  # a live process's
        hl.write_bytes(os.path.join(tmp, 'feed.part'), b'')  # another module's file

        r = self.h.run('verify')
        self.assertEqual(r.rc, 0, r)
        lines = r.out.strip().splitlines()
        self.assertEqual(lines[-1], 'verify: 1 blobs checked: 1 ok, 0 missing, 0 corrupt; '
                         '5 orphans (not referred to, not an error)', r)
        got = sorted(l.split(' ')[1] for l in lines if l.startswith('orphan '))
        self.assertEqual(got, sorted([c_sha, f'blobs/{c_sha[:2]}/blob.tmp', 'blobs/README',
                                      'blobs/zz', f'tmp/blob.{p.pid}.3']), r.out)
        self.assertIn(f'orphan {c_sha} ({len(c)} bytes in blobs/, not known to the store)',
                      lines)

        # a missing blob still fails, orphans or not
        a_sha = hashlib.sha256(a).hexdigest()
        os.rename(hl.blob_path(self.h.home, a_sha), self.h.path('a.blob'))
        r = self.h.run('verify')
        self.assertEqual(r.rc, 1, r)
        self.assertIn(f'missing {a_sha} (the blob file is gone)', r.out)
        self.assertTrue(r.out.strip().endswith('5 orphans (not referred to, not an error)'), r)
        os.rename(self.h.path('a.blob'), hl.blob_path(self.h.home, a_sha))

        # the ingest that refers to the orphan blob adopts it; the dead copy is swept
        m = hl.write_csv(self.h.path('m2.csv'), LINK_COLS,
                         [['QN', 'HS-O', '2', 'Hai', 'public', 'c.png']])
        r = self.h.run('ingest', m, '--files', scans)
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(r.summary()['new_blobs'], 0, r)
        self.assertFalse(os.path.exists(os.path.join(tmp, f'blob.{p.pid}.3')))
        self.assertTrue(os.path.exists(os.path.join(tmp, f'blob.{os.getpid()}.4')))
        r = self.h.run('verify')
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(r.out.strip().splitlines()[-1],
                         'verify: 2 blobs checked: 2 ok, 0 missing, 0 corrupt; '
                         '3 orphans (not referred to, not an error)', r)


if __name__ == '__main__':
    unittest.main()
