"""The server keeps search answers (and, apart, a query's facets) per worker thread, keyed by the
query, its filters, the page and the caller's visibility: an answer must follow every change of
the store (a re-ingest by the command line: new text, a new document, a change of access level)
at the next request, and one caller's answer must never be served to a caller who sees less."""
import unittest
import urllib.parse

import hl
import hlserve

HEADER = ['fonds_code', 'dossier_code', 'doc_ordinal', 'subject', 'access_level', 'text']
Q = '/api/v1/search?q=' + urllib.parse.quote('rừng phòng hộ')
ROUNDS = 6  # requests of each kind: enough to reach, and fill, every worker thread


class SearchCache(hl.HomeCase):
    def ingest(self, name, rows):
        m = hl.write_csv(self.h.path(name), HEADER, rows)
        r = self.h.run('ingest', m)
        self.assertEqual(r.rc, 0, r)

    def search(self, client, path=Q):
        """The answer, the same on every request of a round (whichever thread answers)."""
        first = None
        for _ in range(ROUNDS):
            r = client.get(path)
            self.assertEqual(r.status, 200, r)
            j = r.json()
            if first is None:
                first = j
            self.assertEqual(j, first, 'two answers to one request in one state of the store')
        return first

    def ids(self, j):
        return sorted(it['id'] for it in j['items'])

    def fonds_counts(self, j):
        return {f['value']: f['count'] for f in j['facets']['fonds']}

    def test_answers_follow_the_store_and_the_caller(self):
        self.assertEqual(self.h.run('units', 'load', '--quiet').rc, 0)
        r = self.h.run('user', 'add', 'insp', '--role', 'inspector', '--unit', '22',
                       input=(hlserve.PASSWORD + '\n').encode())
        self.assertEqual(r.rc, 0, r)
        r = self.h.run('user', 'token', 'insp')
        self.assertEqual(r.rc, 0, r)
        token = r.out.strip().splitlines()[-1].strip()

        rows = [['CA', 'HS01', 1, 'Quyết định giao rừng phòng hộ', 'public',
                 'Giao rừng phòng hộ ven biển cho xã quản lý'],
                ['CA', 'HS01', 2, 'Báo cáo mật về rừng phòng hộ', 'restricted',
                 'Rừng phòng hộ bị lấn chiếm, danh sách hộ vi phạm'],
                ['CB', 'HS01', 1, 'Kế hoạch trồng cây', 'public', 'Trồng cây xanh đô thị']]
        self.ingest('m1.csv', rows)
        pub, restr = hl.doc_id('CA', 'HS01', 1), hl.doc_id('CA', 'HS01', 2)
        other = hl.doc_id('CB', 'HS01', 1)
        srv = hlserve.Server(self.h.home).start()
        self.addCleanup(srv.stop)
        guest, insp = srv.client(), srv.client(token)

        j = self.search(guest)
        self.assertEqual(self.ids(j), [pub])
        self.assertEqual((j['total'], j['total_exact'], j['facets_exact']), (1, True, True))
        self.assertEqual(self.fonds_counts(j), {'CA': 1})
        # the inspector sees the restricted report: a different answer, not the guest's
        j = self.search(insp)
        self.assertEqual(self.ids(j), sorted([pub, restr]))
        self.assertEqual(j['total'], 2)
        self.assertEqual(self.fonds_counts(j), {'CA': 2})
        # ... and the guest never gets the inspector's (no id, subject or count of it)
        for _ in range(ROUNDS):
            r = guest.get(Q)
            body = r.body.decode('utf-8')
            self.assertNotIn(restr, body)
            self.assertNotIn('Báo cáo mật', body)
            self.assertEqual(r.json()['total'], 1)
        # another page of a query whose facets are known: the same total and facets
        j2 = self.search(insp, Q + '&offset=1&limit=1')
        self.assertEqual(len(j2['items']), 1)
        self.assertEqual((j2['total'], j2['facets']), (j['total'], j['facets']))
        self.assertIn(j2['items'][0]['id'], [pub, restr])

        # a change of access level (the report made public): seen at the next request
        rows[1][4] = 'public'
        self.ingest('m2.csv', rows)
        j = self.search(guest)
        self.assertEqual(self.ids(j), sorted([pub, restr]))
        self.assertEqual((j['total'], self.fonds_counts(j)), (2, {'CA': 2}))
        j2 = self.search(guest, Q + '&offset=1&limit=1')
        self.assertEqual((j2['total'], j2['facets']), (2, j['facets']))

        # and back to restricted, with a new subject; a third document now matches
        rows[1][4] = 'restricted'
        rows[1][3] = 'Báo cáo mật (bổ sung)'
        rows[2][5] = 'Trồng cây xanh và rừng phòng hộ đô thị'
        self.ingest('m3.csv', rows)
        j = self.search(guest)
        self.assertEqual(self.ids(j), sorted([pub, other]))
        self.assertEqual((j['total'], self.fonds_counts(j)), (2, {'CA': 1, 'CB': 1}))
        self.assertNotIn('Báo cáo mật', str(j))
        j = self.search(insp)
        self.assertEqual(self.ids(j), sorted([pub, restr, other]))
        self.assertIn('Báo cáo mật (bổ sung)', [it['subject'] for it in j['items']])
        # the cached answers go with their threads: nothing leaks at the stop (ASan builds)
        self.assertEqual(srv.stop(), 0, srv.log()[-3000:])


if __name__ == '__main__':
    unittest.main()
