"""Lessons learned (bài học kinh nghiệm) found by the archive's own search (issue 13): recorded
through the CLI and a real `halong serve`, found with `kind:lesson` by `halong search`, `halong
lesson search`, GET /api/v1/search and GET /api/v1/lessons — tones and case aside, Telex typed
without an input method, words marked in the snippet — never among the archive's documents, each
seen only by the readers of its plan (a lesson of a restricted plan is not a viewer's), and
still found after `halong reindex`. The plans are test data (labelled so), their agencies and
ward real."""
import json
import urllib.parse
import unittest

import hlplans


class Lessons(hlplans.PlansCase):
    """One data directory for the class; the steps run in order."""
    FILES = (hlplans.plan_files('QN-TEST-2025', 'internal', 'Kế hoạch thử nghiệm (dữ liệu kiểm thử)',
                                '1,Số hóa hồ sơ lưu trữ của phường,Phường Hà Tu,Quý III/2025\n') +
             hlplans.plan_files('QN-MAT-2025', 'restricted', 'Kế hoạch hạn chế (dữ liệu kiểm thử)',
                                '1,Việc hạn chế,Sở Tài chính,9/2025\n'))
    USERS = {'viewer': ('viewer', '22', None), 'inspector': ('inspector', '22', None),
             'hatu': ('officer', '06652', None)}

    def api_search(self, who, q):
        r = self.as_(who).get('/api/v1/search?q=' + urllib.parse.quote(q))
        self.assertEqual(r.status, 200, r)
        return r.json()

    def test_1_recorded_and_found_by_the_archives_search(self):
        r = self.h.run('lesson', 'add', '--title', 'Lập danh mục hồ sơ trước khi quét',
                       '--body', 'Danh mục lập trước giúp kiểm tra số trang và tránh quét sót.',
                       '--task', 'QN-TEST-2025/1', '--agency', 'Phường Hà Tu',
                       '--at', '2025-07-05')
        self.assertEqual((r.rc, r.out.strip()), (0, 'lesson add: lesson 1 recorded'), r)
        # the CLI's search: tones and case aside, the lesson named, its words marked
        r = self.h.run('search', 'kind:lesson DANH muc')
        self.assertEqual(r.rc, 0, r)
        self.assertIn('1. Lập danh mục hồ sơ trước khi quét', r.out)
        self.assertIn('lesson 1   task QN-TEST-2025/1   06652, 2025-07-05', r.out)
        self.assertIn('[Danh] [mục] lập trước', r.out)
        self.assertIn('1 shown of 1 matches', r.out)
        hits = self.h.search('kind:lesson danh muc')
        self.assertEqual([(x['kind'], x['lesson'], x['task'], x['agency'], x['id'])
                          for x in hits], [('lesson', 1, 'QN-TEST-2025/1', '06652', None)])
        self.assertEqual(hits[0]['issuer'], 'Phường Hà Tu')
        # never among the archive's documents
        self.assertEqual(self.h.search('danh muc'), [])
        # Telex typed without an input method, and a prefix
        r = self.h.run('lesson', 'search', 'danh mucj', 'quet*', '--json')
        self.assertEqual(r.rc, 0, r)
        got = json.loads(r.out)
        self.assertEqual([(x['id'], x['task'], x['by'][:4]) for x in got],
                         [(1, 'QN-TEST-2025/1', 'cli:')], got)
        self.assertIn('<mark>mục</mark>', got[0]['snippet'])
        r = self.h.run('lesson', 'search', 'kế hoạch năm')
        self.assertEqual((r.rc, r.out.strip()), (0, 'no lesson matches'), r)
        r = self.h.run('search', 'kind:bogus danh')
        self.assertEqual(r.rc, 1, r)
        self.assertIn('kind: wants lesson or document, not "bogus"', r.err)

    def test_2_through_the_api(self):
        r = self.as_('hatu').post('/api/v1/lessons',
                                  {'title': 'Phân công rõ người, rõ việc',
                                   'body': 'Mỗi nhiệm vụ số hóa có một cán bộ đầu mối.',
                                   'task': 'QN-TEST-2025/1'})
        self.assertEqual(r.status, 201, r)
        new = r.json()['id']
        # at once in the archive's search (the index took it with the lesson)
        j = self.api_search('viewer', 'kind:lesson can bo dau moi')
        self.assertEqual([(x['kind'], x['lesson'], x['subject']) for x in j['items']],
                         [('lesson', new, 'Phân công rõ người, rõ việc')], j)
        self.assertEqual((j['total'], j['total_exact']), (1, True), j)
        self.assertIn('<mark>đầu</mark> <mark>mối</mark>', j['items'][0]['snippet'])
        self.assertEqual(self.api_search('viewer', 'dau moi')['items'], [])
        # kind:lesson alone: every lesson the caller reads, newest first
        j = self.api_search('viewer', 'kind:lesson')
        self.assertEqual([x['lesson'] for x in j['items']], [new, 1], j)
        r = self.as_('viewer').get('/api/v1/lessons?q=' + urllib.parse.quote('cán bộ'))
        self.assertEqual(r.status, 200, r)
        self.assertEqual([x['id'] for x in r.json()['items']], [new], r)
        self.assertEqual(r.json()['items'][0]['body'],
                         'Mỗi nhiệm vụ số hóa có một cán bộ đầu mối.')
        # nobody anonymous reads lessons, by either door
        self.assertEqual(self.api_search('anonymous', 'kind:lesson')['items'], [])
        self.assertEqual(self.as_('anonymous').get('/api/v1/lessons?q=x').status, 401)
        r = self.as_('viewer').get('/api/v1/search?q=' + urllib.parse.quote('kind:x danh'))
        self.assertEqual(r.status, 400, r)
        self.assertIn('kind: wants lesson or document', r.json()['error']['message'])

    def test_3_a_restricted_plans_lesson_to_its_readers_only(self):
        r = self.h.run('lesson', 'add', '--title', 'Bài học mật về ngân sách',
                       '--body', 'Chỉ người đọc được kế hoạch hạn chế mới thấy điều này.',
                       '--task', 'QN-MAT-2025/1', '--at', '2025-07-06')
        self.assertEqual(r.rc, 0, r)
        secret_id = int(r.out.split()[3])
        for q in ('kind:lesson ngan sach', 'kind:lesson'):
            ids = [x['lesson'] for x in self.api_search('viewer', q)['items']]
            self.assertNotIn(secret_id, ids, q)
            ids = [x['lesson'] for x in self.api_search('inspector', q)['items']]
            self.assertIn(secret_id, ids, q)
        j = self.api_search('viewer', 'kind:lesson ngan sach')
        self.assertEqual((j['items'], j['total']), ([], 0), j)
        r = self.as_('viewer').get('/api/v1/lessons?q=' + urllib.parse.quote('ngân sách'))
        self.assertEqual(r.json()['items'], [], r)
        r = self.as_('inspector').get('/api/v1/lessons?q=' + urllib.parse.quote('ngân sách'))
        self.assertEqual([x['id'] for x in r.json()['items']], [secret_id], r)
        # a restricted lesson's snippet shown is a read, audited
        r = self.h.run('audit', 'list', '--json')
        self.assertEqual(r.rc, 0, r)
        self.assertIn(f'lesson {secret_id}', r.out)

    def test_4_reindexed(self):
        r = self.h.run('reindex')
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(len(self.h.search('kind:lesson')), 3)
        self.assertEqual(self.h.search('dau moi'), [])


if __name__ == '__main__':
    unittest.main()
