"""Description as archivists write it (issue 12, point 2), against a real `halong serve` on a copy of
the shared world and through the real CLI: a fonds' name, dates, extent and history; a series
(mục lục hồ sơ) between the fonds and its dossiers; a dossier's title, series, dates, retention;
what the documents say beside what is written; who may describe where; every bad input answered
400 naming its field with nothing written; one audit entry per change naming the fields; the
answers valid against docs/openapi.json; and the CLI's `fonds show` agreeing with the API."""
import json
import shutil
import unittest

import hl
import hlserve
import test_openapi
from hlserve import Server


class Describe(unittest.TestCase):
    """One changing data directory for the class: the steps run in order (test_1, test_2...)."""

    @classmethod
    def setUpClass(cls):
        cls.w = hlserve.world()
        cls.tmp, cls.home = cls.w.copy()
        cls.srv = Server(cls.home).start()

    @classmethod
    def tearDownClass(cls):
        rc = cls.srv.stop()
        shutil.rmtree(cls.tmp, ignore_errors=True)
        if rc != 0:
            raise AssertionError(f'halong serve exited {rc}: {cls.srv.log()[-3000:]}')

    def as_(self, caller):
        return self.srv.client(None if caller == 'anonymous' else self.w.tokens[caller])

    def cli(self, *args):
        return hl.run(args, home=self.home)

    def assertError(self, r, status, code=None, says=None):
        self.assertEqual(r.status, status, r)
        e = r.json()['error']
        self.assertEqual(e['status'], status, r)
        if code:
            self.assertEqual(e['code'], code, r)
        if says:
            self.assertIn(says, e['message'], r)

    def valid(self, schema, value):
        doc = test_openapi.load()
        errs = test_openapi.check({'$ref': f'#/components/schemas/{schema}'}, value, doc)
        self.assertEqual(errs, [], f'{schema}: {errs[:5]}')

    def fonds(self, caller='archivist', code='HAPHONG'):
        r = self.as_(caller).get(f'/api/v1/fonds/{code}')
        self.assertEqual(r.status, 200, r)
        self.valid('Fonds', r.json())
        return r.json()

    def audit(self):
        r = self.as_('admin').get('/api/v1/audit?limit=100')
        self.assertEqual(r.status, 200, r)
        return [(e['actor'], e['object'], e['detail']) for e in r.json()['items']
                if e['action'] == 'describe']

    def test_1_fonds(self):
        a = self.as_('archivist')
        before = len(self.audit())
        body = {'name': 'Ủy ban nhân dân phường Hà Phong', 'date_from': '01/1995', 'date_to': '30/06/2025',
                'extent': '2 hộp, 2 hồ sơ',
                'history': 'Phường Hà Phong (thành phố Hạ Long) đến 30/6/2025; nhập vào phường '
                           'Hà Tu từ 01/7/2025.'}
        r = a.call('PATCH', '/api/v1/fonds/HAPHONG', body)
        self.assertEqual(r.status, 200, r)
        d = r.json()['description']
        self.assertEqual((d['title'], d['date_from'], d['date_to'], d['extent']),
                         ('Ủy ban nhân dân phường Hà Phong', '1995-01', '2025-06-30', '2 hộp, 2 hồ sơ'))
        self.assertIn('nhập vào phường Hà Tu', d['history'])
        # seen by a guest as well (the fonds holds a public record); one audit entry
        self.assertEqual(self.fonds('anonymous')['description']['date_from'], '1995-01')
        log = self.audit()
        self.assertEqual(len(log), before + 1)
        self.assertEqual(log[0], ('archivist', 'HAPHONG', 'title,date_from,date_to,extent,history'))
        # the same again writes nothing; a cleared field is null
        self.assertEqual(a.call('PATCH', '/api/v1/fonds/HAPHONG', body).status, 200)
        self.assertEqual(len(self.audit()), before + 1)
        r = a.call('PATCH', '/api/v1/fonds/HAPHONG', {'extent': None})
        self.assertIsNone(r.json()['description']['extent'])
        self.assertEqual(self.audit()[0][2], 'extent')

    def test_2_series_and_dossier(self):
        a = self.as_('archivist')
        r = a.put('/api/v1/fonds/HAPHONG/series/MLHC',
                  {'title': 'Mục lục hồ sơ hành chính', 'date_from': '2019', 'date_to': '2025'})
        self.assertEqual(r.status, 200, r)
        self.valid('Series', r.json())
        self.assertEqual((r.json()['code'], r.json()['dossiers']), ('MLHC', 0))
        # an empty series: its keeper sees it, a guest does not
        self.assertEqual([s['code'] for s in self.fonds()['series']], ['MLHC'])
        self.assertEqual(self.fonds('anonymous')['series'], [])
        r = a.call('PATCH', '/api/v1/fonds/HAPHONG/dossiers/HS01',
                   {'title': 'Hồ sơ giao đất năm 2019', 'series': 'MLHC',
                    'retention': '70 năm', 'notes': 'Bản gốc giấy: hộp 1'})
        self.assertEqual(r.status, 200, r)
        self.valid('DossierSummary', r.json())
        d = r.json()
        self.assertEqual((d['title'], d['series'], d['retention']),
                         ('Hồ sơ giao đất năm 2019', 'MLHC', '70'))
        # not described: the dates its documents give (HS01 holds two of 12/03/2019)
        self.assertEqual((d['date_from'], d['first_date'], d['last_date']),
                         (None, '2019-03-12', '2019-03-12'))
        self.assertEqual(d['documents'], 2)
        # the dossier page answers the same description, a guest counting what it sees
        r = self.as_('anonymous').get('/api/v1/fonds/HAPHONG/dossiers/HS01')
        self.assertEqual(r.status, 200, r)
        self.valid('Dossier', r.json())
        self.assertEqual((r.json()['title'], r.json()['series'], r.json()['total']),
                         ('Hồ sơ giao đất năm 2019', 'MLHC', 1))
        self.assertEqual(self.fonds('anonymous')['series'][0]['dossiers'], 1)
        self.assertEqual(self.audit()[0],
                         ('archivist', 'dossier HAPHONG/HS01', 'title,retention,series,notes'))
        # a series holding a dossier is not removed
        self.assertError(a.call('DELETE', '/api/v1/fonds/HAPHONG/series/MLHC'), 409,
                         'conflict', 'holds 1 dossier')

    def test_3_bad_input_names_the_field_and_writes_nothing(self):
        a = self.as_('archivist')
        before = len(self.audit())
        cases = [
            ('PATCH', '/api/v1/fonds/HAPHONG', {'date_from': '31/02/2019'}, 'date_from: bad date'),
            ('PATCH', '/api/v1/fonds/HAPHONG', {'date_from': '2026', 'date_to': '2025'},
             'date_from 2026 is after date_to 2025'),
            ('PATCH', '/api/v1/fonds/HAPHONG', {'retention': '70'}, 'retention: not a field'),
            ('PATCH', '/api/v1/fonds/HAPHONG', {'name': ''}, 'title: a fonds keeps a name'),
            ('PATCH', '/api/v1/fonds/HAPHONG', {'extent': 12}, 'extent: a string'),
            ('PATCH', '/api/v1/fonds/HAPHONG', {}, 'no field to change'),
            ('PATCH', '/api/v1/fonds/HAPHONG', {'notes': 'x' * 20001}, 'notes: at most 20000'),
            ('PATCH', '/api/v1/fonds/HAPHONG', {'extent': 'hai\u0007hộp'}, 'control characters'),
            ('PATCH', '/api/v1/fonds/HAPHONG/dossiers/HS01', {'series': 'KHAC'},
             'has no series KHAC'),
            ('PATCH', '/api/v1/fonds/HAPHONG/dossiers/HS01', {'retention': 'mãi mãi'},
             'retention:'),
            ('PATCH', '/api/v1/fonds/HAPHONG/dossiers/HS01', {'history': 'x'},
             'history: not a field of a dossier'),
            ('PUT', '/api/v1/fonds/HAPHONG/series/MOI', {'date_from': '2019'}, 'give its title'),
        ]
        for method, path, body, says in cases:
            with self.subTest(path=path, body=str(body)[:60]):
                self.assertError(a.call(method, path, body), 400, 'bad_request', says)
        self.assertError(a.call('PATCH', '/api/v1/fonds/HAPHONG/dossiers/HS09', {'title': 'x'}),
                         404, 'not_found')
        self.assertEqual(len(self.audit()), before)
        self.assertNotIn('MOI', [s['code'] for s in self.fonds()['series']])

    def test_4_who_may(self):
        body = {'extent': 'ai đó'}
        self.assertError(self.as_('anonymous').call('PATCH', '/api/v1/fonds/HAPHONG', body), 401)
        for caller in ('viewer', 'officer', 'inspector'):
            with self.subTest(caller=caller):
                self.assertError(self.as_(caller).call('PATCH', '/api/v1/fonds/HAPHONG', body),
                                 403, 'forbidden')
        # the commune's archivist: not another commune's fonds it sees (GIENGDAY has a public
        # record), and a fonds it cannot see answers as a missing one
        self.assertError(self.as_('archivist').call('PATCH', '/api/v1/fonds/GIENGDAY', body), 403,
                         'forbidden', 'not held by your unit')
        # and the answers say so, for a client to offer the forms or not
        self.assertFalse(self.fonds('archivist', 'GIENGDAY')['may_describe'])
        self.assertTrue(self.fonds('archivist', 'HAPHONG')['may_describe'])
        self.assertTrue(self.fonds('archivist22', 'GIENGDAY')['may_describe'])
        for caller in ('anonymous', 'viewer', 'inspector'):
            self.assertFalse(self.fonds(caller)['may_describe'], caller)
        r1 = self.as_('archivist').call('PATCH', '/api/v1/fonds/KHONGCO', body)
        self.assertError(r1, 404, 'not_found')
        # the province's archivist describes any fonds
        r = self.as_('archivist22').call('PATCH', '/api/v1/fonds/GIENGDAY', {
            'name': 'UBND phường Giếng Đáy', 'date_from': '2001'})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(self.audit()[0], ('archivist22', 'GIENGDAY', 'date_from'))
        # a collection named without a creator unit (PUT with a name alone); neither: 400
        r = self.as_('archivist22').put('/api/v1/fonds/SUUTAP', {'name': 'Sưu tập ảnh'})
        self.assertEqual(r.status, 200, r)
        self.assertEqual((r.json()['description']['title'], r.json()['creator_code']),
                         ('Sưu tập ảnh', None))
        self.assertError(self.as_('archivist22').put('/api/v1/fonds/SUUTAP', {}), 400,
                         'bad_request', 'creator unit, its name, or both')

    def test_5_cli_agrees(self):
        r = self.cli('fonds', 'show', 'HAPHONG', '--json')
        self.assertEqual(r.rc, 0, r)
        cli = json.loads(r.out)
        api = self.fonds('archivist22')
        self.assertEqual(cli['description'], api['description'])
        self.assertEqual(cli['series'], api['series'])
        r = self.cli('fonds', 'show', 'HAPHONG')
        self.assertIn('series MLHC  Mục lục hồ sơ hành chính (2019 – 2025, 1 dossier)', r.out)
        self.assertIn('HS01  Hồ sơ giao đất năm 2019', r.out)
        self.assertIn('2019-03-12 (from its documents), 70 years', r.out)
        # bad input: one line naming the field, exit 1, nothing written
        r = self.cli('fonds', 'dossier', 'HAPHONG', 'HS01', '--from', '2020', '--to', '2019')
        self.assertEqual(r.rc, 1, r)
        self.assertEqual(r.err.strip(), 'halong: date_from 2020 is after date_to 2019')
        r = self.cli('fonds', 'series', 'HAPHONG', 'MLHC', '--remove', '--title', 'x')
        self.assertEqual(r.rc, 2, r)
        # a dossier out of its series; then the empty series goes
        self.assertEqual(self.cli('fonds', 'dossier', 'HAPHONG', 'HS01', '--series', '').rc, 0)
        r = self.cli('fonds', 'series', 'HAPHONG', 'MLHC', '--remove')
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(self.fonds()['series'], [])
        self.assertEqual(self.audit()[0][1], 'series HAPHONG/MLHC')

    def test_6_series_from_the_manifest(self):
        # the catalogue (mục lục hồ sơ) names each dossier's series, Vietnamese headers too
        path = hl.write_csv(
            f'{self.tmp}/mucluc.csv',
            ['Mã phông', 'Mã hồ sơ', 'Số thứ tự văn bản', 'Trích yếu nội dung', 'Mục lục số',
             'Tên mục lục', 'Tiêu đề hồ sơ'],
            [['HATU', 'HS07', 1, 'Tờ trình về việc giao đất', 'ML02', 'Mục lục hồ sơ đất đai',
              'Hồ sơ giao đất 2020'],
             ['HATU', 'HS08', 1, 'Quyết định giao đất', 'ML02', '', ''],
             ['HATU', 'HS09', 1, 'Báo cáo', '', 'Tên mục lục không mã', '']])
        r = self.cli('ingest', path)
        self.assertEqual(r.rc, 3, r)  # a batch: the bad row named, the good ones stored
        self.assertIn('mucluc.csv:4', r.err)
        self.assertIn('series_title: a series title without its series_code', r.err)
        f = json.loads(self.cli('fonds', 'show', 'HATU', '--json').out)
        self.assertEqual([(s['code'], s['title'], s['dossiers']) for s in f['series']],
                         [('ML02', 'Mục lục hồ sơ đất đai', 2)])
        got = {d['code']: (d['series'], d['title']) for d in f['dossiers']}
        self.assertEqual(got['HS07'], ('ML02', 'Hồ sơ giao đất 2020'))
        self.assertEqual(got['HS08'], ('ML02', None))
        self.assertNotIn('HS09', got)


if __name__ == '__main__':
    unittest.main()
