"""A page's text corrected and approved by a person (issue 12, point 3), against a real
`halong serve` on a copy of the shared world (real pages recognised by Tesseract): the
corrected word is found by search through the API and the CLI and the machine's word no longer
is; the machine's text is kept; every version with its author; approval; the audit entries;
the searchable PDF and ALTO carry the correction; the review lists a page by its suspicious
words and lets it go once approved; who may (the unit holding the fonds) and every bad input
answered with its status and one message."""
import json
import os
import re
import shutil
import subprocess
import unittest
import urllib.parse

import hl
import hlserve
import test_openapi
from hlserve import Server

NEW_WORD = 'quảngninhsửa'  # a word no page and no law holds


def _folded_words(*texts):
    out = set()
    for t in texts:
        out.update(hl.words(t or ''))
    return out


class PageEdit(unittest.TestCase):
    """One changing data directory for the class: the steps run in order (test_1, test_2...)."""

    @classmethod
    def setUpClass(cls):
        cls.w = hlserve.world()
        cls.tmp, cls.home = cls.w.copy()
        cls.srv = Server(cls.home).start()
        # HAPHONG's internal record: its page (dpi200.png) is the only one of the fonds with
        # its article's words (clean.png and text.pdf both hold another)
        doc = next(d for d in cls.w.docs if d['fonds'] == 'HAPHONG' and d['level'] == 'internal')
        cls.doc = doc['id']
        cls.other_public = next(d['id'] for d in cls.w.docs
                                if d['fonds'] == 'GIENGDAY' and d['level'] == 'public')
        cls.other_internal = next(d['id'] for d in cls.w.docs
                                  if d['fonds'] == 'GIENGDAY' and d['level'] == 'internal')

    @classmethod
    def tearDownClass(cls):
        rc = cls.srv.stop()
        shutil.rmtree(cls.tmp, ignore_errors=True)
        if rc != 0:
            raise AssertionError(f'halong serve exited {rc}: {cls.srv.log()[-3000:]}')

    def as_(self, caller):
        return self.srv.client(None if caller == 'anonymous' else self.w.tokens[caller])

    def cli(self, *args, **kw):
        return hl.run(args, home=self.home, **kw)

    def url(self, doc=None, seq=1, what='text'):
        return f'/api/v1/documents/{doc or self.doc}/pages/{seq}/{what}'

    def assertError(self, r, status, code=None, says=None):
        self.assertEqual(r.status, status, r)
        e = r.json()['error']
        self.assertEqual(e['status'], status, r)
        if code:
            self.assertEqual(e['code'], code, r)
        if says:
            self.assertIn(says, e['message'], r)

    def valid(self, schema, value):
        """value against a schema of docs/openapi.json."""
        doc = test_openapi.load()
        errs = test_openapi.check({'$ref': f'#/components/schemas/{schema}'}, value, doc)
        self.assertEqual(errs, [], f'{schema}: {errs[:5]}')

    def page(self, caller='archivist', doc=None):
        r = self.as_(caller).get(f'/api/v1/documents/{doc or self.doc}')
        self.assertEqual(r.status, 200, r)
        return r.json()['pages'][0]

    # The records holding the word as typed: none when the search took a word found nowhere
    # for a typo of another and searched that instead (it says so: searched_as).
    def found_api(self, word, caller='archivist'):
        q = urllib.parse.quote(word)
        r = self.as_(caller).get(f'/api/v1/search?q={q}&fonds=HAPHONG&limit=100')
        self.assertEqual(r.status, 200, r)
        if r.json()['searched_as'] is not None:
            return []
        return [h['id'] for h in r.json()['items']]

    def found_cli(self, word):
        plain = self.cli('search', f'{word} fonds:HAPHONG', '--limit', '1')
        self.assertEqual(plain.rc, 0, plain)
        if plain.out.startswith('searched as:'):
            return []
        r = self.cli('search', f'{word} fonds:HAPHONG', '--json', '--limit', '100')
        self.assertEqual(r.rc, 0, r)
        return [json.loads(l)['id'] for l in r.out.splitlines() if l.strip()]

    def machine_only_word(self, machine):
        """A folded word of the page's machine text that no other text of fonds HAPHONG holds
        (nor this document's typed text or subject)."""
        other = []
        for d in self.w.docs:
            if d['fonds'] != 'HAPHONG':
                continue
            s = json.loads(self.cli('show', d['id'], '--json').out)
            other += [s.get('subject'), s.get('text')]
            if d['id'] != self.doc:
                other += [p.get('text') for p in s['pages']]
        rest = _folded_words(*other)
        cands = [w for w in hl.words(machine) if len(w) >= 4 and w.isalpha() and w not in rest]
        self.assertTrue(cands, 'no word of the page is its own')
        return max(cands, key=len)

    # ---- the steps ----

    def test_1_round_trip(self):
        p = self.page()
        self.assertEqual((p['text_source'], p['text_version'], p['approved']),
                         ('machine', 0, False))
        self.assertIsNone(p['machine_text'])
        self.assertIsInstance(p['check'], dict)
        machine = p['text']
        gone = self.machine_only_word(machine)
        self.assertIn(self.doc, self.found_api(gone))
        self.assertIn(self.doc, self.found_cli(gone))
        self.assertEqual(self.found_api(hl.fold(NEW_WORD)), [])

        # the archivist of the holding unit (06652), by session: the CSRF rule of every change
        c = self.srv.client()
        self.assertEqual(c.login('archivist').status, 200)
        parts = re.split(r'(\w+)', machine)
        fixed = NEW_WORD + ' ' + ''.join(x for x in parts if hl.fold(x) != gone)
        self.assertNotIn(gone, hl.words(fixed))
        r = c.put(self.url(), {'text': fixed, 'base_version': 0}, csrf=False)
        self.assertError(r, 403, says='X-CSRF-Token')
        r = c.put(self.url(), {'text': fixed, 'base_version': 0})
        self.assertEqual(r.status, 200, r)
        j = r.json()
        self.assertEqual((j['text_source'], j['text_version'], j['changed'], j['indexed']),
                         ('corrected', 1, True, True))
        self.assertEqual(j['corrected_by'], 'archivist')
        self.assertFalse(j['approved'])
        self.valid('PageTextState', j)

        # search through the API and the CLI: the new word found, the machine's no longer
        self.assertEqual(self.found_api(hl.fold(NEW_WORD)), [self.doc])
        self.assertEqual(self.found_api(NEW_WORD), [self.doc])
        self.assertEqual(self.found_cli(hl.fold(NEW_WORD)), [self.doc])
        self.assertNotIn(self.doc, self.found_api(gone))
        self.assertNotIn(self.doc, self.found_cli(gone))

        # the page says which text it is; the machine's is kept, in the page and its versions
        p = self.page('viewer')
        self.assertEqual((p['text_source'], p['text_version']), ('corrected', 1))
        self.assertEqual(hl.nfc(p['text']), hl.nfc(fixed))
        self.assertEqual(p['machine_text'], machine)
        self.assertEqual(p['corrected_by'], 'archivist')
        self.valid('Page', p)
        r = self.as_('viewer').get(self.url())
        self.assertEqual(r.status, 200, r)
        v = r.json()
        self.valid('PageTexts', v)
        self.assertFalse(v['may_edit'])
        self.assertEqual([(x['version'], x['source'], x['by']) for x in v['versions']],
                         [(0, 'machine', None), (1, 'corrected', 'archivist')])
        self.assertEqual(v['versions'][0]['text'], machine)
        self.assertTrue(self.as_('archivist').get(self.url()).json()['may_edit'])
        self.assertFalse(self.as_('archivist').get(self.url(self.other_public)).json()['may_edit'])

        # `halong show` and `ocr text` use it too; ALTO and the searchable PDF carry it
        s = json.loads(self.cli('show', self.doc, '--json').out)
        self.assertEqual(s['pages'][0]['text_source'], 'corrected')
        self.assertIn(NEW_WORD, s['pages'][0]['text'])
        self.assertIn(NEW_WORD, self.cli('ocr', 'text', self.doc, '1').out)
        self.assertEqual(self.cli('ocr', 'text', self.doc, '1', '--version', '0').out.rstrip('\n'),
                         machine.rstrip('\n'))
        r = self.as_('viewer').get(self.url(what='alto'))
        self.assertEqual(r.status, 200, r)
        self.assertIn(f'CONTENT="{NEW_WORD}"', r.text())
        r = self.as_('viewer').get(f'/api/v1/documents/{self.doc}/pdf')
        self.assertEqual(r.status, 200, r)
        pdf = os.path.join(self.tmp, 'p.pdf')
        with open(pdf, 'wb') as f:
            f.write(r.body)
        text = subprocess.run(['pdftotext', pdf, '-'], capture_output=True, text=True,
                              check=True).stdout
        self.assertIn(NEW_WORD, hl.nfc(text))
        self.assertNotIn(gone, hl.words(text))

    def test_2_review_then_approve(self):
        # the corrected page holds a word the law never writes: the review lists it, saying so
        r = self.as_('archivist').get('/api/v1/ocr/review?below=0&limit=100')
        self.assertEqual(r.status, 200, r)
        j = r.json()
        self.valid('OcrReview', j)
        self.assertEqual(j['unchecked'], 0)
        mine = [i for i in j['items'] if i['doc_id'] == self.doc]
        self.assertEqual(len(mine), 1, j)
        self.assertGreaterEqual(mine[0]['reasons']['unknown_words'], 1)
        self.assertIn(NEW_WORD, mine[0]['suspect_words'])
        self.assertEqual(mine[0]['text_source'], 'corrected')
        scores = [i['score'] for i in j['items']]
        self.assertEqual(scores, sorted(scores, reverse=True))
        cli = json.loads(self.cli('ocr', 'review', '--below', '0', '--json').out)
        self.assertIn(self.doc, [i['doc_id'] for i in cli])

        # approved (the version read); again: nothing changes
        r = self.as_('archivist').post(self.url(what='approve'), {'version': 0})
        self.assertError(r, 409, 'conflict', 'at version 1 now')
        r = self.as_('archivist').post(self.url(what='approve'), {'version': 1})
        self.assertEqual(r.status, 200, r)
        self.assertEqual((r.json()['approved'], r.json()['approved_by'], r.json()['changed']),
                         (True, 'archivist', True))
        r = self.as_('admin').post(self.url(what='approve'))
        self.assertEqual(r.status, 200, r)
        self.assertEqual((r.json()['approved_by'], r.json()['changed']), ('archivist', False))
        p = self.page('viewer')
        self.assertEqual((p['approved'], p['approved_by']), (True, 'archivist'))
        r = self.as_('archivist').get('/api/v1/ocr/review?below=0&limit=100')
        self.assertNotIn(self.doc, [i['doc_id'] for i in r.json()['items']])

        # audited, by who did it, naming the page and version
        r = self.as_('admin').get('/api/v1/audit?limit=50')
        self.assertEqual(r.status, 200, r)
        mine = [(e['action'], e['actor'], e['detail']) for e in r.json()['items']
                if e['object'] == self.doc and e['action'].startswith('page.')]
        self.assertIn(('page.correct', 'archivist', 'page 1: version 1 ('),
                      [(a, b, c[:len('page 1: version 1 (')]) for a, b, c in mine])
        self.assertIn(('page.approve', 'archivist', 'page 1: version 1'), mine)
        self.assertEqual(len([m for m in mine if m[0] == 'page.approve']), 1, mine)

    def test_3_cli_correct_and_stale_version(self):
        f = os.path.join(self.tmp, 'p1.txt')
        with open(f, 'w', encoding='utf-8') as fh:
            fh.write('Điều 1. Văn bản sửa lần hai\r\nbởi người vận hành\n')
        r = self.cli('ocr', 'correct', self.doc, '1', '--file', f, '--base-version', '0')
        self.assertEqual(r.rc, 1, r)
        self.assertIn('at version 1 now, not 0', r.err)
        r = self.cli('ocr', 'correct', self.doc, '1', '--file', f, '--base-version', '1', '--json')
        self.assertEqual(r.rc, 0, r)
        j = json.loads(r.out)
        self.assertEqual((j['text_version'], j['approved'], j['corrected_by'][:4]),
                         (2, False, 'cli:'))
        # the API sees it at once; the approval went with the text it approved
        p = self.page()
        self.assertEqual(p['text'], 'Điều 1. Văn bản sửa lần hai\nbởi người vận hành\n')
        self.assertFalse(p['approved'])
        r = self.as_('archivist').put(self.url(), {'text': 'x', 'base_version': 1})
        self.assertError(r, 409, 'conflict', 'at version 2 now, not 1')
        self.assertIn('corrected (version 2', self.cli('show', self.doc).out)
        r = self.cli('ocr', 'approve', self.doc, '1')
        self.assertEqual(r.rc, 0, r)
        self.assertIn('version 2 approved by cli:', r.out)

    def test_4_who_may(self):
        body = {'text': 'Luật này'}
        self.assertError(self.as_('anonymous').put(self.url(), body), 401, 'unauthorized')
        self.assertError(self.as_('anonymous').post(self.url(what='approve')), 401)
        for caller in ('viewer', 'officer', 'inspector'):
            self.assertError(self.as_(caller).put(self.url(), body), 403, 'forbidden')
            self.assertError(self.as_(caller).post(self.url(what='approve')), 403, 'forbidden')
        # a commune's archivist: another commune's record it sees is refused, one it does not
        # see is not there
        self.assertError(self.as_('archivist').put(self.url(self.other_public), body), 403,
                         'forbidden', 'not held by your unit')
        self.assertError(self.as_('archivist').post(self.url(self.other_public, what='approve')),
                         403)
        self.assertError(self.as_('archivist').put(self.url(self.other_internal), body), 404,
                         'not_found', f'no document {self.other_internal}')
        # the province's archivist: any fonds
        r = self.as_('archivist22').put(self.url(self.other_public), body)
        self.assertEqual(r.status, 200, r)
        # nothing was changed by the refusals
        p = self.page('archivist22', self.other_internal)
        self.assertEqual(p['text_source'], 'machine')

    def test_5_bad_input(self):
        a = self.as_('archivist')
        for seq in ('99', '0', 'x'):
            self.assertError(a.put(self.url(seq=seq), {'text': 'a'}), 404, 'not_found')
        self.assertError(a.post(self.url(seq='99', what='approve')), 404, 'not_found')
        self.assertError(a.get(self.url(seq='99')), 404, 'not_found')
        # over the route's body limit: 413 before it is read
        big = b'{"text": "' + b'a' * (3 << 20) + b'"}'
        self.assertError(a.put(self.url(), big, headers={'Content-Type': 'application/json'}),
                         413)
        # within it, over a page's text: 400 naming the text
        self.assertError(a.put(self.url(), {'text': 'a' * (300 << 10)}), 400, 'bad_request',
                         'text: too long')
        # not UTF-8, not JSON, no text, a NUL, a control character, a bad version
        self.assertError(a.put(self.url(), b'{"text": "Lu\xe1\xba"}',
                               headers={'Content-Type': 'application/json'}), 400)
        self.assertError(a.put(self.url(), b'a', headers={'Content-Type': 'text/plain'}), 415)
        self.assertError(a.put(self.url(), {'txt': 'a'}), 400, 'bad_request', '"text"')
        self.assertError(a.put(self.url(), {'text': 5}), 400)
        self.assertError(a.put(self.url(), {'text': 'a\x1b[2Jb'}), 400, 'bad_request',
                         'control character')
        self.assertError(a.put(self.url(), {'text': 'a', 'base_version': -1}), 400)
        self.assertError(a.post(self.url(what='approve'), {'version': 'x'}), 400)
        # the CLI: one line naming the file
        bad = os.path.join(self.tmp, 'bad.txt')
        with open(bad, 'wb') as f:
            f.write(b'Lu\xe1\xba t')
        r = self.cli('ocr', 'correct', self.doc, '1', '--file', bad)
        self.assertEqual((r.rc, r.err.strip()),
                         (1, f'halong: {bad}: not UTF-8 (an invalid byte at 2)'))
        r = self.cli('ocr', 'correct', self.doc, '1', '--file', os.path.join(self.tmp, 'none'))
        self.assertEqual(r.rc, 1, r)
        self.assertIn('none', r.err)
        r = self.cli('ocr', 'correct', self.doc, 'x', '--file', bad)
        self.assertEqual(r.rc, 2, r)
        r = self.cli('ocr', 'correct', self.doc, '1')
        self.assertEqual(r.rc, 2, r)
        self.assertIn('--file is required', r.err)
        # nothing of the refused texts reached the page
        self.assertEqual(self.page()['text_version'], 2)
        # nor the server's log: it holds no request's text
        self.assertNotIn('Lu\ufffd', self.srv.log())
        self.assertNotIn('Văn bản sửa', self.srv.log())


if __name__ == '__main__':
    unittest.main()
