"""The permission matrix of the HTTP API against a real `halong serve`: every endpoint that returns
records × every caller (anonymous, viewer/officer/archivist of commune 06652, officer of 06661,
inspector/archivist/admin of the province 22) × every access level, in fonds held by 06652 (one
of them inherited) and by another commune. Asserts the status docs/api.md gives (200, 401, 403,
404) and that no record the caller may not see shows through a count, a facet, a snippet or a
list: the body of every answer is searched for the ids and subjects of the hidden records."""
import hashlib
import unittest
import urllib.parse

import hl
from hlserve import (CALLERS, HOLDER, PLAN, ServerCase, holds, may, role_of, unit_of,
                     visible)

q = urllib.parse.quote


class AccessMatrix(ServerCase):

    def hidden(self, caller):
        return [d for d in self.w.docs if not visible(caller, d['fonds'], d['level'])]

    def assertNoLeak(self, caller, r, what):
        """No id or subject of a record the caller may not see anywhere in the body."""
        body = r.body.decode('utf-8', 'replace')
        for d in self.hidden(caller):
            self.assertNotIn(d['id'], body, f'{what} as {caller}: {d["level"]} {d["id"]} of '
                             f'{d["fonds"]} leaks')
            self.assertNotIn(d['subject'], body, f'{what} as {caller}: subject of {d["level"]} '
                             f'{d["id"]} leaks')

    def per_doc(self, path_fmt, check_ok):
        bad = []
        for caller in CALLERS:
            c = self.as_(caller)
            for d in self.w.docs:
                r = c.get(path_fmt.format(id=d['id']))
                want = 200 if visible(caller, d['fonds'], d['level']) else 404
                if r.status != want:
                    bad.append(f'{caller} {d["level"]} {d["fonds"]} {d["id"]}: {r.status} '
                               f'(want {want}) {r.body[:200]!r}')
                    continue
                if want == 404:
                    self.assertError(r, 404, 'not_found')
                    # the same answer as for a document that does not exist
                    missing = c.get(path_fmt.format(id='D00000000000000000000'))
                    self.assertEqual(missing.status, 404, missing)
                else:
                    check_ok(caller, d, r)
        self.assertEqual(bad, [], '\n'.join(bad))

    # ---- single records ----

    def test_document_get(self):
        def ok(caller, d, r):
            j = r.json()
            self.assertEqual(j.get('id', j.get('doc_id')), d['id'], r)
            self.assertEqual(j.get('access', j.get('access_level')), d['level'], r)
            self.assertEqual(j['files'][0]['sha256'], d['sha256'], r)
            self.assertEqual(len(j['pages']), 1, r)
        self.per_doc('/api/v1/documents/{id}', ok)

    def test_document_file(self):
        def ok(caller, d, r):
            self.assertEqual(hashlib.sha256(r.body).hexdigest(), d['sha256'])
        self.per_doc('/api/v1/documents/{id}/files/1', ok)

    def test_page_image(self):
        def ok(caller, d, r):
            self.assertTrue(r.body.startswith(b'\x89PNG\r\n\x1a\n'), r)
            self.assertEqual(r.header('Content-Type'), 'image/png', r)
        self.per_doc('/api/v1/documents/{id}/pages/1/image?width=300', ok)

    def test_page_alto(self):
        def ok(caller, d, r):
            self.assertIn(b'<alto', r.body[:2000], r)
        self.per_doc('/api/v1/documents/{id}/pages/1/alto', ok)

    def test_pdf(self):
        def ok(caller, d, r):
            self.assertTrue(r.body.startswith(b'%PDF-'), r)
        self.per_doc('/api/v1/documents/{id}/pdf', ok)

    # ---- search: hits, totals, facets, snippets ----

    def test_search_word_only_one_document_has(self):
        bad = []
        for caller in CALLERS:
            c = self.as_(caller)
            for d in self.w.docs:
                r = c.get(f'/api/v1/search?q={q(d["word"])}')
                self.assertEqual(r.status, 200, r)
                j = r.json()
                self.assertNoLeak(caller, r, f'search {d["word"]}')
                want = 1 if visible(caller, d['fonds'], d['level']) else 0
                ids = [h['id'] for h in j['items']]
                facet_sum = sum(f['count'] for f in j['facets'].get('fonds', []))
                if (j['total'], ids, facet_sum) != (want, [d['id']] * want, want):
                    bad.append(f'{caller} {d["level"]} {d["fonds"]} q={d["word"]}: total '
                               f'{j["total"]} ids {ids} fonds facets {j["facets"].get("fonds")}')
                for h in j['items']:
                    self.assertIn(f'<mark>', h['snippet'], h)
        self.assertEqual(bad, [], '\n'.join(bad))

    def test_search_filters_list_and_facets(self):
        for caller in CALLERS:
            c = self.as_(caller)
            r = c.get('/api/v1/search?q=&year=2019&limit=100')
            self.assertEqual(r.status, 200, r)
            j = r.json()
            self.assertNoLeak(caller, r, 'search year=2019')
            vis = self.w.visible_docs(caller)
            self.assertEqual(j['total'], len(vis), f'{caller}: {j["total"]}')
            self.assertEqual(sorted(h['id'] for h in j['items']), sorted(d['id'] for d in vis),
                             caller)
            want = {}
            for d in vis:
                want[d['fonds']] = want.get(d['fonds'], 0) + 1
            got = {f['value']: f['count'] for f in j['facets']['fonds'] if f['count']}
            self.assertEqual(got, want, f'{caller}: fonds facets')
            got_y = {f['value']: f['count'] for f in j['facets']['year'] if f['count']}
            self.assertEqual(got_y, {'2019': len(vis)} if vis else {}, f'{caller}: year facets')
            got_t = {f['value']: f['count'] for f in j['facets']['type'] if f['count']}
            self.assertEqual(got_t, {'Quyết định': len(vis)} if vis else {}, caller)
            # the unit facet: the commune holding each visible record today
            want_u = {}
            for d in vis:
                want_u[HOLDER[d['fonds']]] = want_u.get(HOLDER[d['fonds']], 0) + 1
            got_u = {f['value']: f['count'] for f in j['facets']['unit'] if f['count']}
            self.assertEqual(got_u, want_u, f'{caller}: unit facets {j["facets"]["unit"]}')
            for fonds in ('HAPHONG', 'HATU', 'GIENGDAY'):
                r = c.get(f'/api/v1/search?fonds={fonds}&limit=100')
                self.assertEqual(r.status, 200, r)
                j = r.json()
                self.assertEqual(sorted(h['id'] for h in j['items']),
                                 sorted(d['id'] for d in self.w.visible_docs(caller,
                                                                               fonds=fonds)),
                                 f'{caller} fonds={fonds}')
                self.assertEqual(j['total'], len(self.w.visible_docs(caller, fonds=fonds)))
            # unit:CODE in the query and the unit= filter: what 06652 holds
            r = c.get('/api/v1/search?q=unit%3A06652&limit=100')
            self.assertEqual(r.status, 200, r)
            want_ids = sorted(d['id'] for d in vis if d['fonds'] in ('HAPHONG', 'HATU'))
            self.assertEqual(sorted(h['id'] for h in r.json()['items']), want_ids, caller)
            self.assertNoLeak(caller, r, 'search unit:06652')

    def test_search_word_every_document_has(self):
        # every subject reads "…, Điều N. …": a word query matching all ten records counts,
        # lists and facets only the visible ones
        for caller in CALLERS:
            r = self.as_(caller).get('/api/v1/search?q=dieu&limit=100')
            self.assertEqual(r.status, 200, r)
            self.assertNoLeak(caller, r, 'search dieu')
            j = r.json()
            vis = self.w.visible_docs(caller)
            self.assertEqual((j['total'], sorted(h['id'] for h in j['items'])),
                             (len(vis), sorted(d['id'] for d in vis)), caller)
            self.assertEqual(sum(f['count'] for f in j['facets']['fonds']), len(vis), caller)
            self.assertEqual(sum(f['count'] for f in j['facets']['year']), len(vis), caller)

    def test_search_snippets_of_hidden_text(self):
        # a query naming the hidden record's own words finds nothing, and shows none of them
        for caller in ('anonymous', 'viewer', 'officer61'):
            c = self.as_(caller)
            for d in self.hidden(caller):
                r = c.get('/api/v1/search?q=' + q(' '.join(hl.words(d['subject'])[:6])))
                self.assertEqual(r.status, 200, r)
                self.assertNoLeak(caller, r, f'search subject of {d["id"]}')
                self.assertNotIn(d['id'], [h['id'] for h in r.json()['items']])

    # ---- counts: stats, fonds, dossiers ----

    def test_stats_counts_what_the_caller_sees(self):
        for caller in CALLERS:
            r = self.as_(caller).get('/api/v1/stats')
            self.assertEqual(r.status, 200, r)
            j = r.json()
            n = len(self.w.visible_docs(caller))
            self.assertEqual(j.get('documents'), n, f'{caller}: {j}')

    def test_fonds_list(self):
        for caller in CALLERS:
            r = self.as_(caller).get('/api/v1/fonds')
            self.assertEqual(r.status, 200, r)
            j = r.json()
            items = j['items'] if isinstance(j, dict) else j
            got = {f['code']: (f['documents'], f['dossiers']) for f in items}
            want = {}
            for fonds in ('HAPHONG', 'HATU', 'GIENGDAY'):
                vis = self.w.visible_docs(caller, fonds=fonds)
                in_scope = may(caller, 'archivist', 'admin') and holds(caller, fonds)
                if vis or in_scope:
                    want[fonds] = (len(vis), len({d['dossier'] for d in vis}))
            self.assertEqual(got, want, caller)

    def test_fonds_detail_and_dossiers(self):
        for caller in CALLERS:
            c = self.as_(caller)
            for fonds in ('HAPHONG', 'HATU', 'GIENGDAY'):
                vis = self.w.visible_docs(caller, fonds=fonds)
                r = c.get(f'/api/v1/fonds/{fonds}')
                in_scope = may(caller, 'archivist', 'admin') and holds(caller, fonds)
                if not vis and not in_scope:
                    self.assertEqual(r.status, 404, f'{caller} {fonds}: {r!r}')
                    continue
                self.assertEqual(r.status, 200, f'{caller} {fonds}: {r!r}')
                self.assertNoLeak(caller, r, f'fonds {fonds}')
                got = {x['code']: x['documents'] for x in r.json()['dossiers']
                       if x['documents']}
                want = {}
                for d in vis:
                    want[d['dossier']] = want.get(d['dossier'], 0) + 1
                self.assertEqual(got, want, f'{caller} {fonds}')
                if not in_scope:  # a dossier of hidden records does not show at all
                    self.assertEqual({x['code'] for x in r.json()['dossiers']}, set(want),
                                     f'{caller} {fonds}')
                for dossier in ('HS01', 'HS02'):
                    dv = [d for d in vis if d['dossier'] == dossier]
                    r = c.get(f'/api/v1/fonds/{fonds}/dossiers/{dossier}?limit=100')
                    if not dv and r.status == 404:
                        self.assertError(r, 404, 'not_found')
                        continue
                    if dossier not in {p[1] for p in PLAN if p[0] == fonds}:
                        self.assertEqual(r.status, 404, r)
                        continue
                    self.assertEqual(r.status, 200, f'{caller} {fonds}/{dossier}: {r!r}')
                    j = r.json()
                    self.assertEqual(j['total'], len(dv), f'{caller} {fonds}/{dossier}')
                    self.assertEqual(sorted(i['id'] for i in j['items']),
                                     sorted(d['id'] for d in dv), f'{caller} {fonds}/{dossier}')
                    self.assertNoLeak(caller, r, f'dossier {fonds}/{dossier}')

    def test_custody_of_counts(self):
        for caller in CALLERS:
            c = self.as_(caller)
            for unit in ('06652', '06661'):
                r = c.get(f'/api/v1/custody/of/{unit}')
                self.assertEqual(r.status, 200, f'{caller} {unit}: {r!r}')
                self.assertNoLeak(caller, r, f'custody of {unit}')
                j = r.json()
                items = j['items'] if isinstance(j, dict) else j
                for f in items:
                    if 'documents' in f:
                        self.assertLessEqual(f['documents'],
                                             len(self.w.visible_docs(caller,
                                                                     fonds=f['fonds_code'])),
                                             f'{caller}: custody of {unit}: {f}')

    # ---- role-gated endpoints ----

    def gate(self, method, path, roles, body=None, ok=(200,)):
        out = {}
        for caller in CALLERS:
            r = self.as_(caller).call(method, path, body)
            out[caller] = r
            if caller == 'anonymous':
                self.assertError(r, 401, 'unauthorized')
            elif role_of(caller) not in roles:
                self.assertError(r, 403, 'forbidden')
            else:
                self.assertIn(r.status, ok, f'{caller} {method} {path}: {r!r}')
        return out

    def test_ocr_review(self):
        out = self.gate('GET', '/api/v1/ocr/review?below=100&limit=100',
                        ('archivist', 'admin', 'inspector'))
        for caller, r in out.items():
            if r.status == 200:
                self.assertNoLeak(caller, r, 'ocr review')
        # exactly the pages `halong ocr review` lists on the machine, of the documents the
        # caller may see
        r = self.w.h.run('ocr', 'review', '--below', '100', '--limit', '100', '--json')
        self.assertEqual(r.rc, 0, r)
        import json
        cli = json.loads(r.out)
        cli_ids = {p['doc_id'] for p in (cli['items'] if isinstance(cli, dict) else cli)}
        self.assertTrue(cli_ids)
        for caller, r in out.items():
            if r.status != 200:
                continue
            j = r.json()
            got = {p['doc_id'] for p in (j['items'] if isinstance(j, dict) else j)}
            want = {i for i in cli_ids if visible(caller, self.w.by_id[i]['fonds'],
                                                  self.w.by_id[i]['level'])}
            self.assertEqual(got, want, caller)

    def test_custody_receipt(self):
        out = self.gate('GET', '/api/v1/custody/receipt/06652?format=json',
                        ('archivist', 'admin', 'inspector'))
        for caller, r in out.items():
            if r.status != 200:
                continue
            self.assertNoLeak(caller, r, 'receipt')
            j = r.json()
            # every path counts only what the caller sees: the secret record of HAPHONG is not
            # counted over HTTP (docs/api.md, 'What a caller sees')
            want = len(self.w.visible_docs(caller, fonds='HAPHONG')) + \
                len(self.w.visible_docs(caller, fonds='HATU'))
            self.assertEqual(j['documents'], want, f'{caller}: receipt {j}')
        # an archivist of 06652 gets no receipt of another commune's records
        r = self.as_('archivist').get('/api/v1/custody/receipt/06661?format=json')
        self.assertIn(r.status, (403, 404), r)
        for fmt, ctype in (('csv', 'text/csv'), ('html', 'text/html')):
            r = self.as_('admin').get(f'/api/v1/custody/receipt/06652?format={fmt}')
            self.assertEqual(r.status, 200, r)
            self.assertTrue(r.header('Content-Type', '').startswith(ctype), r)
            self.assertNoLeak('admin', r, f'receipt {fmt}')

    def test_custody_pending(self):
        self.gate('GET', '/api/v1/custody/pending', ('archivist', 'admin', 'inspector'))

    def test_audit_log(self):
        out = self.gate('GET', '/api/v1/audit?limit=100', ('inspector', 'admin'))
        self.assertEqual(out['archivist22'].status, 403)

    def test_restricted_read_is_audited(self):
        d = next(d for d in self.w.docs if d['level'] == 'restricted' and d['fonds'] == 'HATU')
        r = self.as_('inspector').get(f'/api/v1/documents/{d["id"]}')
        self.assertEqual(r.status, 200, r)
        r = self.as_('admin').get('/api/v1/audit?limit=100')
        self.assertEqual(r.status, 200, r)
        entries = r.json()['items']
        self.assertTrue(any(d['id'] in str(e) and 'inspector' in str(e) for e in entries),
                        entries[:5])

    def test_write_endpoints_refuse_lesser_roles(self):
        # who may not: anonymous 401, other roles 403 — nothing is changed
        for method, path, body in (
                ('PUT', '/api/v1/fonds/HAPHONG', {'creator': '06652'}),
                ('POST', '/api/v1/custody/assign', {'fonds': 'HATU', 'to': '22'}),
                ('POST', '/api/v1/ocr/run', {}),
        ):
            for caller in ('anonymous', 'viewer', 'officer', 'officer61', 'inspector'):
                r = self.as_(caller).call(method, path, body)
                self.assertError(r, 401 if caller == 'anonymous' else 403)
        for caller in ('anonymous', 'viewer', 'officer', 'inspector'):
            r = self.as_(caller).call('POST', '/api/v1/ingest', 'fonds_code,dossier_code\r\n',
                                      headers={'Content-Type': 'text/csv'})
            self.assertError(r, 401 if caller == 'anonymous' else 403)

    def test_put_fonds_in_and_out_of_scope(self):
        body = {'creator': '06652', 'name': 'UBND phường Hà Phong'}  # the same: changes nothing
        r = self.as_('archivist').put('/api/v1/fonds/HAPHONG', body)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json().get('fonds_code'), 'HAPHONG', r)
        r = self.as_('archivist').put('/api/v1/fonds/GIENGDAY',
                                      {'creator': '06661', 'name': 'UBND phường Giếng Đáy'})
        self.assertIn(r.status, (403, 404), f'an archivist of 06652 sets GIENGDAY: {r!r}')

    def test_me_says_who(self):
        for caller in CALLERS:
            r = self.as_(caller).get('/api/v1/me')
            self.assertEqual(r.status, 200, r)
            u = r.json()['user']
            if caller == 'anonymous':
                self.assertIsNone(u)
                continue
            self.assertEqual((u['username'], u['role'], u['unit_code']),
                             (caller, role_of(caller), unit_of(caller)))
            self.assertEqual(u['max_access'],
                             'internal' if role_of(caller) in ('viewer', 'officer')
                             else 'restricted')


if __name__ == '__main__':
    unittest.main()
