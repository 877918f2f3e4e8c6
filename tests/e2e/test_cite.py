"""Citations of a document (`halong cite`, GET /api/v1/documents/{id}/cite): the Vietnamese
archival line, BibTeX and CSL-JSON, the same from the CLI and the API, under the access rules of
reading the document (a restricted one's citation audited, a hidden one's 404)."""
import json
import re
import subprocess
import unittest
import urllib.parse

import hlserve
from hlserve import ServerCase

q = urllib.parse.quote


class Cite(ServerCase):

    def doc(self, fonds, dossier, ordinal):
        return next(d for d in self.w.docs
                    if (d['fonds'], d['dossier'], d['ordinal']) == (fonds, dossier, ordinal))

    def test_vietnamese_line_as_the_cli(self):
        d = self.doc('HAPHONG', 'HS01', 1)
        r = self.as_('anonymous').get(f"/api/v1/documents/{q(d['id'])}/cite")
        self.assertEqual(r.status, 200, r)
        self.assertTrue(r.header('Content-Type', '').startswith('text/plain'), r)
        line = r.body.decode('utf-8')
        # the archive holding the fonds today, the fonds with its name, the dossier, the place
        self.assertTrue(line.startswith('Lưu trữ Phường Hà Tu, Phông HAPHONG (UBND phường Hà '
                                        'Phong), hồ sơ HS01, văn bản số 1: Quyết định ngày '
                                        '12/03/2019'), line)
        self.assertIn(f"“{d['subject']}”", line)
        self.assertTrue(line.endswith(f"Mã định danh: {d['id']}.\n"), line)
        self.assertEqual(line.count('\n'), 1)
        cli = self.w.h.run('cite', d['id'])
        self.assertEqual(cli.rc, 0, cli)
        self.assertEqual(cli.out, line)

    def test_bibtex_and_csl_json(self):
        d = self.doc('HATU', 'HS01', 1)
        r = self.as_('anonymous').get(f"/api/v1/documents/{q(d['id'])}/cite?format=bibtex")
        self.assertEqual(r.status, 200, r)
        self.assertTrue(r.header('Content-Type', '').startswith('application/x-bibtex'), r)
        bib = r.body.decode('utf-8')
        self.assertTrue(bib.startswith('@misc{'), bib)
        # balanced braces, one field a line, the values of the record
        depth = 0
        for ch in bib.replace('\\{', '').replace('\\}', ''):
            depth += {'{': 1, '}': -1}.get(ch, 0)
            self.assertGreaterEqual(depth, 0, bib)
        self.assertEqual(depth, 0, bib)
        fields = dict(re.findall(r'^  (\w+) = \{(.*)\},?$', bib, re.M))
        self.assertEqual(fields['date'], '2019-03-12')
        self.assertEqual(fields['year'], '2019')
        self.assertEqual(fields['type'], 'Quyết định')
        self.assertEqual(fields['note'], d['id'])
        self.assertIn('Phông HATU', fields['howpublished'])
        self.assertEqual(self.w.h.run('cite', d['id'], '--format', 'bibtex').out, bib)
        # an outside reader agrees: Debian's python3-bibtexparser (scripts/deps.sh) parses one
        # @misc entry with the same fields, LaTeX-unescaped back to the record's words
        out = subprocess.run(
            ['/usr/bin/python3', '-c',
             'import json, sys, bibtexparser\n'
             'from bibtexparser.bparser import BibTexParser\n'
             'from bibtexparser.customization import convert_to_unicode\n'
             'p = BibTexParser(common_strings=False)\n'
             'p.customization = convert_to_unicode\n'
             'db = bibtexparser.loads(sys.stdin.read(), parser=p)\n'
             'print(json.dumps(db.entries, ensure_ascii=False))'],
            input=bib, capture_output=True, text=True, timeout=60)
        self.assertEqual(out.returncode, 0, out.stderr)
        entries = json.loads(out.stdout)
        self.assertEqual(len(entries), 1, entries)
        e = entries[0]
        self.assertEqual((e['ENTRYTYPE'], e['date'], e['year'], e['note']),
                         ('misc', '2019-03-12', '2019', d['id']))
        self.assertEqual(e['title'].strip('{}'), d['subject'])

        r = self.as_('anonymous').get(f"/api/v1/documents/{q(d['id'])}/cite?format=csl-json")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.header('Content-Type'), 'application/vnd.citationstyles.csl+json')
        items = json.loads(r.body)
        self.assertEqual(len(items), 1)
        it = items[0]
        self.assertEqual((it['id'], it['type'], it['title'], it['genre']),
                         (d['id'], 'document', d['subject'], 'Quyết định'))
        self.assertEqual(it['issued'], {'date-parts': [[2019, 3, 12]]})
        self.assertEqual(it['archive'], 'Phường Hà Tu')
        self.assertEqual(it['archive_location'], 'Phông HATU, hồ sơ HS01, văn bản số 1')

    def test_access_rules_of_reading_hold(self):
        hidden = self.doc('HAPHONG', 'HS02', 1)  # restricted
        path = f"/api/v1/documents/{q(hidden['id'])}/cite"
        self.assertError(self.as_('anonymous').get(path), 404, 'not_found')
        self.assertError(self.as_('officer61').get(path), 404, 'not_found')
        secret = self.doc('HAPHONG', 'HS02', 2)
        self.assertError(self.as_('archivist').get(
            f"/api/v1/documents/{q(secret['id'])}/cite"), 404, 'not_found')
        r = self.as_('archivist').get(path)
        self.assertEqual(r.status, 200, r)
        self.assertIn(hidden['subject'], r.body.decode('utf-8'))
        # the read of a restricted record's citation is audited, as a read of it
        audit = self.w.h.run('audit', 'list', '--json')
        self.assertEqual(audit.rc, 0, audit)
        self.assertIn('citation', audit.out)
        self.assertIn(hidden['id'], audit.out)

    def test_bad_format_and_unknown_document(self):
        d = self.doc('HAPHONG', 'HS01', 1)
        r = self.as_('anonymous').get(f"/api/v1/documents/{q(d['id'])}/cite?format=apa")
        self.assertError(r, 400, 'bad_request')
        self.assertIn('vi, bibtex or csl-json', r.json()['error']['message'])
        self.assertError(self.as_('anonymous').get('/api/v1/documents/KHONGCO/cite'), 404)
        cli = self.w.h.run('cite', d['id'], '--format', 'apa')
        self.assertEqual(cli.rc, 2, cli)
        self.assertIn('--format', cli.err)
        cli = self.w.h.run('cite', 'KHONGCO')
        self.assertEqual(cli.rc, 1, cli)
        self.assertIn('KHONGCO', cli.err)


if __name__ == '__main__':
    unittest.main()
