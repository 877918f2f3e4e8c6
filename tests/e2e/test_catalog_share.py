"""Sharing datasets between agencies (issue 14; Nghị định 194/2025/NĐ-CP Điều 16) through a real
`halong serve` and the real CLI: the real health table of ../shared/data/sector loaded as a
restricted dataset of Sở Y tế (restricted is this test's choice, not a fact about the data);
Sở Tài chính's officer asks for it (pending, due 2 working days later); a refusal without a
reason or without a legal basis is a 400 naming the field; granted, Sở Tài chính's viewer reads
its rows where it had a 404 and another agency still has a 404; revoked, a 404 again; every step
in the audit log; the same steps by the CLI."""
import csv
import json
import os
import unittest
import urllib.parse

import hlnodes
import hlserve
import hlplans
from test_catalog import DATA
from test_openapi import AnswerValidator

TODAY = '2025-07-10'  # a Thursday: 2 working days later is Monday 14 July
USERS = {'admin': ('admin', '22', None),
         'yt': ('officer', '22', 'SO-YT'), 'ytv': ('viewer', '22', 'SO-YT'),
         'tc': ('officer', '22', 'SO-TC'), 'tcv': ('viewer', '22', 'SO-TC'),
         'khv': ('viewer', '22', 'SO-KHCN')}
DS = 'yte-qn'
PURPOSE = 'Lập dự toán chi sự nghiệp y tế năm 2026'
BASIS = 'Luật Ngân sách nhà nước 2015, Điều 30'


@unittest.skipUnless(DATA, 'the shared data folder (../shared/data) is not here')
class CatalogShare(AnswerValidator, hlplans.PlansCase):
    """One data directory for the class; the steps run in order."""
    TODAY = TODAY
    USERS = USERS

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        health = os.path.join(DATA, 'sector', 'health.csv')
        for ds, access in ((DS, 'restricted'), ('yte-secret', 'secret'), ('yte-pub', 'public')):
            cls.run_ok('dataset', 'create', ds, '--title', 'Chỉ tiêu y tế Quảng Ninh', '--from',
                       health, '--owner', 'SO-YT', '--sector', 'health', '--access', access)
            cls.run_ok('dataset', 'load', ds, health)
        cls.rows_route = cls.srv.client(None).get('/api/v1/datasets/yte-pub/rows').status != 404

    def rows(self, who):
        """What `who` reads of the restricted dataset, as a status: its description (GET
        /api/v1/datasets/{id}), its export as CSV and, where the query helper's endpoint is on
        this branch, its rows — all three the same answer, or the test fails."""
        show = self.as_(who).get(f'/api/v1/datasets/{DS}')
        export = self.as_(who).get(f'/api/v1/datasets/{DS}/export?format=csv')
        got = {'show': show.status, 'export': export.status}
        if show.status == 200:
            self.assertEqual(show.json()['id'], DS)
            self.assertIn('indicator', export.body.decode('utf-8').splitlines()[0])
        if self.rows_route:
            r = self.as_(who).get(f'/api/v1/datasets/{DS}/rows?limit=5')
            got['rows'] = r.status
            if r.status == 200:
                self.assertEqual(len(r.json()['rows']), 5)
        self.assertEqual(len(set(got.values())), 1, (who, got))
        return show

    def requests(self, who, query=''):
        r = self.as_(who).get('/api/v1/data-requests' + query)
        self.assertEqual(r.status, 200, r)
        return r.json()['requests']

    def test_1_request(self):
        # the agency each user acts for, as the web reads it (GET /me)
        self.assertEqual(self.as_('tc').get('/api/v1/me').json()['user']['agency'], 'SO-TC')
        url = f'/api/v1/datasets/{DS}/requests'
        body = {'purpose': PURPOSE, 'legal_basis': BASIS}
        # who may ask, and what must be said
        self.assertError(self.as_('tcv').post(url, body), 403, 'your role (viewer)')
        self.assertEqual(self.as_('anonymous').post(url, body).status, 401)
        self.assertError(self.as_('tc').post(url, {'legal_basis': BASIS}), 400,
                         'purpose: required')
        self.assertError(self.as_('tc').post(url, {'purpose': PURPOSE, 'legal_basis': ' '}),
                         400, 'legal_basis: required')
        self.assertError(self.as_('tc').post(url, dict(body, purpose=7)), 400, 'purpose')
        self.assertError(self.as_('yt').post(url, body), 400, 'SO-YT owns dataset')
        self.assertError(self.as_('tc').post(url, dict(body, agency='SO-KHCN')), 403,
                         'own agency only')
        self.assertError(self.as_('tc').post('/api/v1/datasets/yte-secret/requests', body),
                         404, 'no dataset yte-secret')
        self.assertError(self.as_('tc').post('/api/v1/datasets/nothing/requests', body), 404,
                         'no dataset nothing')
        self.assertError(self.as_('tc').post('/api/v1/datasets/yte-pub/requests', body), 400,
                         'public')
        self.assertEqual(self.requests('admin'), [])
        r = self.as_('tc').post(url, body)
        self.assertEqual(r.status, 201, r)
        q = r.json()
        self.assertEqual((q['dataset'], q['agency'], q['agency_name'], q['state'], q['due'],
                          q['requested_by'], q['purpose'], q['legal_basis'], q['decided_at']),
                         (DS, 'SO-TC', 'Sở Tài chính tỉnh Quảng Ninh', 'pending', '2025-07-14',
                          'tc', PURPOSE, BASIS, None))
        self.assertEqual(set(q), {'id', 'dataset', 'owner', 'agency', 'agency_name', 'purpose',
                                  'legal_basis', 'state', 'requested_at', 'requested_by', 'due',
                                  'decided_at', 'decided_by', 'reason', 'decision_basis',
                                  'until', 'overdue'})
        self.assertFalse(q['overdue'])
        # past its due day (the answer is late), still pending: overdue
        late = self.h.run('dataset', 'requests', '--json', env={'HALONG_TODAY': '2025-07-15'})
        self.assertEqual(late.rc, 0, late)
        self.assertEqual([(x['id'], x['overdue']) for x in json.loads(late.out)['requests']],
                         [(q['id'], True)])
        late = self.h.run('dataset', 'requests', env={'HALONG_TODAY': '2025-07-15'})
        self.assertIn('due 2025-07-14 (overdue)', late.out)
        self.assertError(self.as_('tc').post(url, body), 409, 'already pending')
        # who sees it: the two agencies and the admin; not a third agency, not the public
        self.assertEqual([x['id'] for x in self.requests('tcv')], [q['id']])
        self.assertEqual([x['id'] for x in self.requests('ytv', '?state=pending')], [q['id']])
        self.assertEqual(self.requests('yt', '?mine=1'), [])
        self.assertEqual([x['id'] for x in self.requests('tc', '?mine=1')], [q['id']])
        self.assertEqual(self.requests('khv'), [])
        self.assertEqual(self.requests('anonymous'), [])
        self.assertEqual(self.requests('admin', '?state=granted'), [])
        self.assertError(self.as_('admin').get('/api/v1/data-requests?state=lost'), 400,
                         'state:')
        self.assertError(self.as_('khv').get(f"/api/v1/data-requests/{q['id']}"), 404,
                         'no request')
        r = self.as_('ytv').get(f"/api/v1/data-requests/{q['id']}")
        self.assertEqual((r.status, r.json()['state']), (200, 'pending'), r)

    def test_2_refuse_only_in_writing(self):
        n = self.requests('tc')[0]['id']
        url = f'/api/v1/data-requests/{n}/refuse'
        self.assertError(self.as_('yt').post(url, {'legal_basis': 'Luật Khám bệnh, chữa bệnh'}),
                         400, 'reason: required')
        self.assertError(self.as_('yt').post(url, {'reason': 'Dữ liệu có thông tin cá nhân'}),
                         400, 'legal_basis: required')
        self.assertError(self.as_('yt').post(url, {'reason': '', 'legal_basis': ''}), 400,
                         'reason')
        # the requester does not decide its own request; nothing was written
        self.assertError(self.as_('tc').post(url, {'reason': 'x', 'legal_basis': 'y'}), 403,
                         'only an officer of the owner of dataset')
        self.assertEqual(self.requests('tc')[0]['state'], 'pending')

    def test_3_grant_opens_rows_revoke_closes(self):
        n = self.requests('tc')[0]['id']
        # before: a 404 for Sở Tài chính's viewer as for a dataset that does not exist
        self.assertEqual(self.rows('tcv').status, 404)
        self.assertEqual(self.rows('khv').status, 404)
        self.assertEqual(self.rows('ytv').status, 200)  # the owner's own agency
        self.assertError(self.as_('yt').post(f'/api/v1/data-requests/{n}/grant',
                                             {'until': '2025-07-01'}), 400, 'until:')
        r = self.as_('yt').post(f'/api/v1/data-requests/{n}/grant',
                                {'reason': 'Phục vụ quản lý nhà nước', 'until': '2025-12-31'})
        self.assertEqual(r.status, 200, r)
        self.assertEqual((r.json()['state'], r.json()['decided_by'], r.json()['until']),
                         ('granted', 'yt', '2025-12-31'))
        self.assertError(self.as_('yt').post(f'/api/v1/data-requests/{n}/refuse',
                                             {'reason': 'r', 'legal_basis': 'b'}), 409,
                         'is granted')
        r = self.rows('tcv')
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()['access'], 'restricted')
        self.assertEqual(self.rows('khv').status, 404)  # another agency still not
        # found by the catalogue's search too; a grant reads, it never loads
        q = urllib.parse.quote('y tế')
        found = self.as_('tcv').get(f'/api/v1/datasets?q={q}').json()['datasets']
        self.assertIn(DS, [d['id'] for d in found])
        self.assertNotIn(DS, [d['id'] for d in
                              self.as_('khv').get('/api/v1/datasets').json()['datasets']])
        r = self.as_('tc').call('POST', f'/api/v1/datasets/{DS}/load', b'indicator\n',
                                headers={'Content-Type': 'text/csv'})
        self.assertError(r, 403, 'not load it')
        # revoked in writing: a 404 again
        self.assertError(self.as_('yt').post(f'/api/v1/data-requests/{n}/revoke',
                                             {'reason': 'Hết nhu cầu'}), 400,
                         'legal_basis: required')
        r = self.as_('admin').post(f'/api/v1/data-requests/{n}/revoke',
                                   {'reason': 'Sử dụng sai mục đích',
                                    'legal_basis': 'Nghị định 194/2025/NĐ-CP, Điều 16'})
        self.assertEqual((r.status, r.json()['state']), (200, 'revoked'), r)
        self.assertEqual(self.rows('tcv').status, 404)

    def test_4_refused_in_writing_and_audited(self):
        body = {'purpose': PURPOSE, 'legal_basis': BASIS}
        r = self.as_('tc').post(f'/api/v1/datasets/{DS}/requests', body)
        self.assertEqual(r.status, 201, r)
        n = r.json()['id']
        r = self.as_('yt').post(f'/api/v1/data-requests/{n}/refuse',
                                {'reason': 'Dữ liệu có thông tin cá nhân',
                                 'legal_basis': 'Luật Bảo vệ dữ liệu cá nhân 2025'})
        self.assertEqual(r.status, 200, r)
        q = r.json()
        self.assertEqual((q['state'], q['reason'], q['decision_basis'], q['decided_by']),
                         ('refused', 'Dữ liệu có thông tin cá nhân',
                          'Luật Bảo vệ dữ liệu cá nhân 2025', 'yt'))
        self.assertEqual(self.rows('tcv').status, 404)
        a = self.as_('admin').get('/api/v1/audit?limit=100')
        self.assertEqual(a.status, 200, a)
        acts = [(x['action'], x['actor']) for x in a.json()['items']
                if x['action'] in ('dataset.request', 'dataset.grant', 'dataset.refuse',
                                   'dataset.revoke')]
        want = [('dataset.request', 'tc'), ('dataset.grant', 'yt'), ('dataset.revoke', 'admin'),
                ('dataset.request', 'tc'), ('dataset.refuse', 'yt')]
        self.assertEqual(list(reversed(acts)), want)

    def cli(self, *args, ok=True):
        """halong ARGS at the server's day; rc 0 asked unless ok is False."""
        r = self.h.run(*args, env={'HALONG_TODAY': TODAY})
        if ok:
            self.assertEqual(r.rc, 0, r)
        return r

    def test_5_cli(self):
        """The same steps by the node's operator at the console."""
        r = self.cli('dataset', 'request', DS, '--purpose', PURPOSE, '--legal-basis', BASIS,
                     ok=False)
        self.assertEqual(r.rc, 1, r)
        self.assertIn('agency: required', r.err)
        r = self.cli('dataset', 'request', DS, '--legal-basis', BASIS, '--agency', 'SO-KHCN',
                     ok=False)
        self.assertEqual(r.rc, 1, r)
        self.assertIn('purpose: required', r.err)
        r = self.cli('dataset', 'request', DS, '--purpose', PURPOSE, '--legal-basis', BASIS,
                     '--agency', 'Sở Khoa học và Công nghệ', '--json')
        q = json.loads(r.out)
        self.assertEqual((q['agency'], q['state'], q['due']), ('SO-KHCN', 'pending',
                                                               '2025-07-14'))
        self.assertTrue(q['requested_by'].startswith('cli:'), q)
        n = str(q['id'])
        r = self.cli('dataset', 'refuse', n, '--reason', 'Không thuộc phạm vi quản lý',
                     ok=False)
        self.assertEqual(r.rc, 1, r)
        self.assertIn('legal_basis: required', r.err)
        r = self.cli('dataset', 'refuse', n, '--legal-basis', 'Điều 16', ok=False)
        self.assertEqual(r.rc, 1, r)
        self.assertIn('reason: required', r.err)
        self.assertEqual(self.cli('dataset', 'grant', 'x', ok=False).rc, 2)
        r = self.cli('dataset', 'grant', n, '--until', '2025-12-31')
        self.assertIn('granted', r.out)
        r = self.cli('dataset', 'requests', '--state', 'granted', '--json')
        self.assertEqual([x['id'] for x in json.loads(r.out)['requests']], [q['id']])
        self.assertEqual(self.rows('khv').status, 200)
        r = self.cli('dataset', 'revoke', n, '--reason', 'Hết thời hạn sử dụng',
                     '--legal-basis', 'Điều 16 Nghị định 194/2025/NĐ-CP')
        self.assertIn('revoked', r.out)
        self.assertEqual(self.rows('khv').status, 404)
        r = self.cli('audit', 'list')
        for action in ('dataset.request', 'dataset.grant', 'dataset.revoke', 'dataset.refuse'):
            self.assertIn(action, r.out)

    def test_6_answers_validate(self):
        """The real answers against docs/openapi.json's schemas."""
        body = {'purpose': PURPOSE, 'legal_basis': BASIS}
        self.validate('anonymous', 'POST', f'/api/v1/datasets/{DS}/requests', body)
        self.validate('tc', 'POST', f'/api/v1/datasets/{DS}/requests', {'purpose': PURPOSE})
        r = self.validate('tc', 'POST', f'/api/v1/datasets/{DS}/requests', body)
        self.assertEqual(r.status, 201, r)
        n = r.json()['id']
        self.validate('tc', 'POST', f'/api/v1/datasets/{DS}/requests', body)  # 409
        self.validate('admin', 'GET', '/api/v1/data-requests')
        self.validate('tcv', 'GET', '/api/v1/data-requests?state=refused&mine=1')
        self.validate('tc', 'GET', f'/api/v1/data-requests/{n}')
        self.validate('khv', 'GET', f'/api/v1/data-requests/{n}')  # 404
        self.validate('yt', 'POST', f'/api/v1/data-requests/{n}/refuse', {'reason': 'x'})
        self.validate('tc', 'POST', f'/api/v1/data-requests/{n}/grant', {})  # 403
        r = self.validate('yt', 'POST', f'/api/v1/data-requests/{n}/grant', {})
        self.assertEqual((r.status, r.json()['until']), (200, None), r)
        r = self.validate('yt', 'POST', f'/api/v1/data-requests/{n}/revoke',
                          {'reason': 'Hết nhu cầu', 'legal_basis': 'Điều 16'})
        self.assertEqual(r.status, 200, r)
        self.validate('yt', 'POST', f'/api/v1/data-requests/{n}/revoke',
                      {'reason': 'Hết nhu cầu', 'legal_basis': 'Điều 16'})  # 409


@unittest.skipUnless(DATA, 'the shared data folder (../shared/data) is not here')
class DatasetFeed(unittest.TestCase):
    """A public dataset of the province's hub (22) through the reference-data feed to Phường Hà
    Tu's node (06652), real nodes with their own `halong serve`/`halong feed pull`: the same rows
    there, a new version when the hub's changes, nothing above public ever published, a dataset
    the commune made itself never overwritten. The steps run in order."""

    @classmethod
    def setUpClass(cls):
        cls.hub, cls.a = hlnodes.network(('22', '06652'), env={'HALONG_FEED_POLL_MS': '600000'})
        cls.hub.ok('agency', 'load')
        cls.health = os.path.join(DATA, 'sector', 'health.csv')
        for ds, access in (('yte-pub', 'public'), ('yte-han', 'restricted')):
            cls.hub.ok('dataset', 'create', ds, '--title', 'Chỉ tiêu y tế Quảng Ninh', '--from',
                       cls.health, '--owner', 'SO-YT', '--sector', 'health', '--access', access)
            cls.hub.ok('dataset', 'load', ds, cls.health)

    @classmethod
    def tearDownClass(cls):
        for n in (cls.hub, cls.a):
            n.cleanup()

    def export(self, node, ds):
        r = node.run('dataset', 'export', ds, '--format', 'csv')
        self.assertEqual(r.rc, 0, r)
        return r.out

    def test_1_only_public(self):
        r = self.hub.run('feed', 'publish', 'datasets', 'yte-han')
        self.assertEqual(r.rc, 1, r)
        self.assertIn('dataset yte-han is restricted: the hub serves its feed to anyone', r.err)
        r = self.hub.run('feed', 'publish', 'datasets')
        self.assertEqual(r.rc, 2, r)
        r = self.hub.run('feed', 'publish', 'datasets', 'nothing')
        self.assertEqual(r.rc, 1, r)
        self.assertIn('no dataset nothing', r.err)

    def test_2_published_and_pulled(self):
        p = self.hub.json('feed', 'publish', 'datasets', 'yte-pub')
        self.assertEqual((p['seq'], p['unchanged'], p['files']), (1, False, 2), p)
        again = self.hub.json('feed', 'publish', 'datasets', 'yte-pub')
        self.assertEqual((again['seq'], again['unchanged']), (1, True))
        self.assertNotEqual(self.a.run('dataset', 'show', 'yte-pub').rc, 0)
        # not followed: the entry is passed over, the feed's position moves
        r = self.a.json('feed', 'pull', 'datasets')
        self.assertEqual((r['applied'], r['seq']), (1, 1), r)
        self.assertNotEqual(self.a.run('dataset', 'show', 'yte-pub').rc, 0)
        with self.a.db() as c:
            (detail,) = c.execute("SELECT detail FROM audit WHERE action = 'feed.apply' AND "
                                  "object = 'datasets' ORDER BY id DESC LIMIT 1").fetchone()
        self.assertIn('dataset yte-pub (the hub\'s version 1): not followed here', detail)
        # the hub follows no hub; a bad id is named
        r = self.hub.run('dataset', 'subscribe', 'yte-pub')
        self.assertEqual(r.rc, 1, r)
        self.assertIn('this node follows no hub', r.err)
        r = self.a.run('dataset', 'subscribe', '../x')
        self.assertEqual(r.rc, 1, r)
        self.assertIn('dataset id: 1 to 64', r.err)
        # followed: the feed read again from its start brings the version published before
        s = self.a.json('dataset', 'subscribe', 'yte-pub', '--json')
        self.assertEqual(s, {'id': 'yte-pub', 'added': True})
        self.assertEqual(self.a.json('dataset', 'subscribe', 'yte-pub', '--json')['added'], False)
        r = self.a.json('feed', 'pull', 'datasets')
        self.assertEqual((r['applied'], r['seq']), (1, 1), r)
        subs = self.a.json('dataset', 'subscriptions', '--json')['subscriptions']
        self.assertEqual([(x['id'], x['applied']) for x in subs], [('yte-pub', 1)])
        d = self.a.json('dataset', 'show', 'yte-pub', '--json')
        h = self.hub.json('dataset', 'show', 'yte-pub', '--json')
        self.assertEqual((d['version'], d['rows'], d['owner'], d['access'], d['created_by']),
                         (1, h['rows'], 'SO-YT', 'public', 'feed'))
        self.assertEqual(d['schema'], h['schema'])
        self.assertEqual(self.export(self.a, 'yte-pub'), self.export(self.hub, 'yte-pub'))
        # the restricted one never reached the commune
        self.assertNotEqual(self.a.run('dataset', 'show', 'yte-han').rc, 0)

    def test_3_a_new_version(self):
        with open(self.health, newline='', encoding='utf-8') as f:
            rows = list(csv.reader(f))
        i = rows[0].index('note')
        # one note changed: test data, not a real figure
        rows[1][i] = 'ghi chú sửa cho kiểm thử (test data)'
        path = self.hub.h.path('health-v2.csv')
        with open(path, 'w', newline='', encoding='utf-8') as f:
            csv.writer(f, lineterminator='\n').writerows(rows)
        self.hub.ok('dataset', 'load', 'yte-pub', path, '--replace')
        p = self.hub.json('feed', 'publish', 'datasets', 'yte-pub')
        self.assertEqual((p['seq'], p['unchanged']), (2, False), p)
        r = self.a.json('feed', 'pull', 'datasets')
        self.assertEqual((r['applied'], r['seq']), (1, 2), r)
        d = self.a.json('dataset', 'show', 'yte-pub', '--json')
        self.assertEqual(d['version'], 2)
        self.assertEqual(self.export(self.a, 'yte-pub'), self.export(self.hub, 'yte-pub'))
        # the table has no primary key: the changed row is one removed and one added, here as
        # on the hub
        diff = self.a.json('dataset', 'diff', 'yte-pub', '1', '2', '--json')
        self.assertEqual((diff['added'], diff['removed'], diff['changed']), (1, 1, 0), diff)
        self.assertEqual(diff, self.hub.json('dataset', 'diff', 'yte-pub', '1', '2', '--json'))
        with self.a.db() as c:
            (detail,) = c.execute("SELECT detail FROM audit WHERE action = 'feed.apply' AND "
                                  "object = 'datasets' ORDER BY id DESC LIMIT 1").fetchone()
        self.assertIn("dataset yte-pub: hub's version 2 as version 2 here", detail)

    def test_4_a_dataset_made_here_is_not_overwritten(self):
        self.a.ok('dataset', 'create', 'yte-local', '--title', 'Bảng của phường', '--from',
                  self.health, '--access', 'public')
        self.hub.ok('dataset', 'create', 'yte-local', '--title', 'Bảng của tỉnh', '--from',
                    self.health, '--access', 'public')
        self.hub.ok('dataset', 'load', 'yte-local', self.health)
        self.hub.ok('feed', 'publish', 'datasets', 'yte-local')
        self.a.ok('dataset', 'subscribe', 'yte-local')
        r = self.a.run('feed', 'pull', 'datasets')
        self.assertNotEqual(r.rc, 0, r)
        self.assertIn('dataset yte-local exists on this node and did not come from the hub', r.err)
        d = self.a.json('dataset', 'show', 'yte-local', '--json')
        self.assertEqual((d['version'], d['title']), (0, 'Bảng của phường'))
        st = [f for f in self.a.json('feed', 'status')['feeds'] if f['feed'] == 'datasets'][0]
        self.assertEqual(st['seq'], 2)
        self.assertIn('did not come from the hub', st['last_error'])
        # following it no more: the feed goes on (the entry passed over)
        self.a.ok('dataset', 'unsubscribe', 'yte-local')
        r = self.a.json('feed', 'pull', 'datasets')
        self.assertEqual(r['seq'], 3, r)

    def test_5_unsubscribed_then_followed_again(self):
        self.a.ok('dataset', 'unsubscribe', 'yte-pub')
        r = self.a.run('dataset', 'unsubscribe', 'yte-pub')
        self.assertEqual(r.rc, 1, r)
        self.assertIn('this node does not follow dataset yte-pub', r.err)
        self.assertEqual(self.a.json('dataset', 'subscriptions', '--json')['subscriptions'], [])
        # a third version on the hub (test data): passed over here, the copy stays at 2
        with open(self.health, newline='', encoding='utf-8') as f:
            rows = list(csv.reader(f))
        i = rows[0].index('note')
        rows[2][i] = 'ghi chú thứ ba cho kiểm thử (test data)'
        path = self.hub.h.path('health-v3.csv')
        with open(path, 'w', newline='', encoding='utf-8') as f:
            csv.writer(f, lineterminator='\n').writerows(rows)
        self.hub.ok('dataset', 'load', 'yte-pub', path, '--replace')
        self.hub.ok('feed', 'publish', 'datasets', 'yte-pub')
        self.a.ok('feed', 'pull', 'datasets')
        self.assertEqual(self.a.json('dataset', 'show', 'yte-pub', '--json')['version'], 2)
        # followed again: the feed from its start, versions 1 and 2 not applied twice, 3 comes
        self.a.ok('dataset', 'subscribe', 'yte-pub')
        self.a.ok('feed', 'pull', 'datasets')
        d = self.a.json('dataset', 'show', 'yte-pub', '--json')
        self.assertEqual(d['version'], 3)
        self.assertEqual(self.export(self.a, 'yte-pub'), self.export(self.hub, 'yte-pub'))
        with self.a.db() as c:
            acts = [a for (a,) in c.execute(
                "SELECT action FROM audit WHERE action LIKE 'dataset.%subscribe' ORDER BY id")]
        self.assertEqual(acts, ['dataset.subscribe', 'dataset.subscribe', 'dataset.unsubscribe',
                                'dataset.unsubscribe', 'dataset.subscribe'])

    def test_6_subscriptions_in_the_api(self):
        tokens = {}
        self.a.ok('units', 'load', '--quiet')
        for name, role in (('qtv', 'admin'), ('xem', 'viewer')):
            self.a.ok('user', 'add', name, '--role', role, '--unit', '06652',
                      input=(hlserve.PASSWORD + '\n').encode())
            tokens[name] = self.a.run('user', 'token', name).out.strip().splitlines()[-1]
        self.a.start()
        try:
            def call(method, path, who=None):
                h = {'Authorization': 'Bearer ' + tokens[who]} if who else {}
                return self.a.request(method, path, headers=h)
            base = '/api/v1/dataset-subscriptions'
            self.assertEqual(call('GET', base).status, 401)
            self.assertEqual(call('PUT', base + '/yte-moi', 'xem').status, 403)
            r = call('PUT', base + '/yte-moi', 'qtv')
            self.assertEqual((r.status, r.json()), (201, {'id': 'yte-moi', 'added': True}), r)
            self.assertEqual(call('PUT', base + '/yte-moi', 'qtv').status, 200)
            ids = [x['id'] for x in call('GET', base, 'xem').json()['subscriptions']]
            self.assertEqual(ids, ['yte-moi', 'yte-pub'])
            self.assertEqual(call('DELETE', base + '/yte-moi', 'qtv').status, 204)
            r = call('DELETE', base + '/yte-moi', 'qtv')
            self.assertEqual(r.status, 404, r)
            self.assertIn('does not follow dataset yte-moi', r.json()['error']['message'])
            self.assertEqual(call('PUT', base + '/..', 'qtv').status, 400)
        finally:
            self.a.stop()


if __name__ == '__main__':
    unittest.main()
