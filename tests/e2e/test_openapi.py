"""docs/openapi.json: a real OpenAPI linter (@redocly/cli from the root package-lock.json) passes it
with no warning; it names every endpoint of docs/api.md and nothing else; and the real answers of
`halong serve` validate against its schemas (a checker of the JSON Schema subset the document
uses: type, enum, properties, required, additionalProperties, items, oneOf, $ref, minimum,
exclusiveMinimum, maximum, pattern, minLength, maxLength, maxItems) — the plans answers on a home
of their own: the real appendix of Nghị quyết 03/NQ-CP and a small test plan, reported on,
verified, evaluated, closed, inspected, with lessons."""
import json
import os
import re
import subprocess
import time
import unittest

import hl
import hlserve
from hlserve import ServerCase

DOC = os.path.join(hl.SRC, 'docs', 'openapi.json')
API_MD = os.path.join(hl.SRC, 'docs', 'api.md')


def load():
    with open(DOC, encoding='utf-8') as f:
        return json.load(f)


def api_md_endpoints():
    """(METHOD, path template) of every endpoint docs/api.md names; `…/x` continues the path
    before it on the same line."""
    out = set()
    with open(API_MD, encoding='utf-8') as f:
        for line in f:
            last = None
            for m in re.finditer(r'`(?:(GET|POST|PUT|DELETE|PATCH) (/(?:api/v1|dcat)/[^`?\s]*|/healthz|/readyz|/metrics)|…(/[a-z]+))',
                                 line):
                if m.group(1):
                    last = (m.group(1), m.group(2))
                    out.add(last)
                elif last:
                    out.add((last[0], last[1].rsplit('/', 1)[0] + m.group(3)))
    return out


# ---- a JSON Schema checker for the subset docs/openapi.json uses ----

TYPES = {'string': str, 'integer': int, 'number': (int, float), 'boolean': bool,
         'object': dict, 'array': list, 'null': type(None)}


def _is(v, t):
    if t in ('integer', 'number') and isinstance(v, bool):
        return False
    if t == 'integer' and isinstance(v, float):
        return v.is_integer()
    return isinstance(v, TYPES[t])


def check(schema, v, root, where='$'):
    """The list of ways v breaks schema (empty: valid)."""
    errs = []
    if '$ref' in schema:
        ref = schema['$ref']
        assert ref.startswith('#/'), ref
        node = root
        for part in ref[2:].split('/'):
            node = node[part]
        return check(node, v, root, where)
    if 'oneOf' in schema:
        ok = [s for s in schema['oneOf'] if not check(s, v, root, where)]
        if len(ok) != 1:
            errs.append(f'{where}: matches {len(ok)} of oneOf (want 1)')
        return errs
    if 'anyOf' in schema:
        if not any(not check(s, v, root, where) for s in schema['anyOf']):
            errs.append(f'{where}: matches none of anyOf')
        return errs
    t = schema.get('type')
    if t is not None:
        ts = t if isinstance(t, list) else [t]
        if not any(_is(v, x) for x in ts):
            return [f'{where}: {type(v).__name__} {json.dumps(v)[:80]} is not {t}']
    if 'enum' in schema and v not in schema['enum']:
        errs.append(f'{where}: {v!r} not in {schema["enum"]}')
    if isinstance(v, str):
        if 'pattern' in schema and not re.search(schema['pattern'], v):
            errs.append(f'{where}: {v!r} does not match {schema["pattern"]}')
        if len(v) < schema.get('minLength', 0) or len(v) > schema.get('maxLength', 1 << 62):
            errs.append(f'{where}: length {len(v)}')
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        if 'minimum' in schema and v < schema['minimum']:
            errs.append(f'{where}: {v} < {schema["minimum"]}')
        if 'exclusiveMinimum' in schema and v <= schema['exclusiveMinimum']:
            errs.append(f'{where}: {v} <= {schema["exclusiveMinimum"]}')
        if 'maximum' in schema and v > schema['maximum']:
            errs.append(f'{where}: {v} > {schema["maximum"]}')
    if isinstance(v, dict):
        props = schema.get('properties', {})
        for k in schema.get('required', []):
            if k not in v:
                errs.append(f'{where}: missing {k!r}')
        for k, x in v.items():
            if k in props:
                errs += check(props[k], x, root, f'{where}.{k}')
            elif schema.get('additionalProperties') is False:
                errs.append(f'{where}: unexpected key {k!r}')
            elif isinstance(schema.get('additionalProperties'), dict):
                errs += check(schema['additionalProperties'], x, root, f'{where}.{k}')
    if isinstance(v, list) and len(v) > schema.get('maxItems', 1 << 62):
        errs.append(f'{where}: {len(v)} items > {schema["maxItems"]}')
    if isinstance(v, list) and 'items' in schema:
        for i, x in enumerate(v):
            errs += check(schema['items'], x, root, f'{where}[{i}]')
    return errs


def operation(doc, method, path):
    """The path template and operation of doc that serve METHOD path (query string dropped)."""
    path = path.split('?', 1)[0]
    segs = path.strip('/').split('/')
    for tpl, item in doc['paths'].items():
        t = tpl.strip('/').split('/')
        if len(t) == len(segs) and all(a == b or (a.startswith('{') and a.endswith('}'))
                                       for a, b in zip(t, segs)):
            if method.lower() in item:
                return tpl, item[method.lower()]
    return None, None


class CheckerSelfTest(unittest.TestCase):
    """The checker itself can fail: known-bad values of the document's own schemas."""

    def test_checker_catches_bad_values(self):
        doc = load()
        err = {'$ref': '#/components/schemas/Error'}
        self.assertEqual(check(err, {'error': {'status': 404, 'code': 'not_found',
                                               'message': 'no document D1'}}, doc), [])
        self.assertTrue(check(err, {'error': {'status': 404, 'code': 'nope', 'message': ''}},
                              doc))
        self.assertTrue(check(err, {'error': {'status': '404', 'code': 'not_found',
                                              'message': 'x'}}, doc))
        self.assertTrue(check(err, {'error': {'status': 404, 'code': 'not_found'}}, doc))
        self.assertTrue(check(err, {'status': 404}, doc))
        me = {'$ref': '#/components/schemas/Me'}
        self.assertEqual(check(me, {'user': None, 'csrf_token': None}, doc), [])
        self.assertTrue(check(me, {'user': {'username': 'a'}, 'csrf_token': None}, doc))


class OpenApiDocument(unittest.TestCase):

    def test_redocly_lint(self):
        bin_ = os.path.join(hl.SRC, 'node_modules', '.bin', 'redocly')
        self.assertTrue(os.path.exists(bin_), 'node_modules/.bin/redocly is missing: run `npm ci` '
                        'in the source tree (tests/run.py does)')
        p = subprocess.run(['npx', '--no-install', 'redocly', 'lint', '--format', 'stylish',
                            DOC], cwd=hl.SRC, capture_output=True, text=True, timeout=300)
        out = p.stdout + p.stderr
        self.assertEqual(p.returncode, 0, out)
        self.assertNotRegex(out, r'(?i)\b\d+ (warning|error)s?\b', out)

    def test_every_endpoint_of_api_md(self):
        doc = load()
        self.assertEqual(doc['openapi'][:3], '3.1')
        have = {(m.upper(), p) for p, item in doc['paths'].items() for m in item
                if m in ('get', 'put', 'post', 'delete', 'patch')}
        want = api_md_endpoints()
        self.assertGreaterEqual(len(want), 30, sorted(want))
        self.assertEqual(sorted(want - have), [], 'in docs/api.md, not in openapi.json')
        self.assertEqual(sorted(have - want), [], 'in openapi.json, not in docs/api.md')

    def test_error_codes_match_api_md(self):
        doc = load()
        with open(API_MD, encoding='utf-8') as f:
            md = f.read()
        codes = re.findall(r'`([a-z_]+)` (\d{3})', md)
        self.assertGreaterEqual(len(codes), 12)
        codes += [(c, '') for c in re.findall(r'\(code\s+`([a-z_]+)`\)', md)]
        enum = doc['components']['schemas']['Error']['properties']['error']['properties'][
            'code']['enum']
        # a code may serve two statuses (payload_too_large: 413 and 431)
        self.assertEqual(sorted(enum), sorted({c for c, _ in codes}))


class AnswerValidator:
    """validate(): one real answer against the operation's response schema (self.as_ makes the
    caller's client)."""

    def validate(self, caller, method, path, body=None, headers=None):
        doc = load()
        tpl, op = operation(doc, method, path)
        self.assertIsNotNone(op, f'{method} {path} is not in openapi.json')
        r = self.as_(caller).call(method, path, body, headers=headers)
        resp = op['responses'].get(str(r.status))
        self.assertIsNotNone(resp, f'{method} {path} as {caller} answered {r.status}, which '
                             f'openapi.json does not list for {tpl}: {r!r}')
        if '$ref' in resp:
            resp = doc['components']['responses'][resp['$ref'].rsplit('/', 1)[1]]
        ctype = (r.header('Content-Type') or '').split(';')[0].strip()
        content = resp.get('content')
        if not content:
            self.assertEqual(r.body, b'', f'{method} {path}: a body where none is described')
            return r
        self.assertIn(ctype, content, f'{method} {path}: {ctype} not described')
        if ctype == 'application/json':
            errs = check(content[ctype]['schema'], r.json(), doc)
            self.assertEqual(errs, [], f'{method} {path} as {caller} ({r.status}): {errs[:10]}')
        return r


class RealAnswersValidate(AnswerValidator, ServerCase):
    """Real answers of the server, as different callers, against the schemas."""

    def test_answers_validate(self):
        w = self.w
        pub = next(d for d in w.docs if d['level'] == 'public')
        restricted = next(d for d in w.docs if d['level'] == 'restricted')
        word = pub['word']
        calls = [
            ('anonymous', 'GET', '/api/v1/health'),
            ('anonymous', 'GET', '/healthz'),
            ('anonymous', 'GET', '/readyz'),
            ('admin', 'GET', '/readyz'),
            ('anonymous', 'GET', '/api/v1/me'),
            ('viewer', 'GET', '/api/v1/me'),
            ('anonymous', 'GET', f'/api/v1/search?q={word}'),
            ('admin', 'GET', '/api/v1/search?year=2019&limit=100'),
            ('anonymous', 'GET', '/api/v1/search?q=%ff'),
            ('anonymous', 'GET', f'/api/v1/documents/{pub["id"]}'),
            ('anonymous', 'GET', f'/api/v1/documents/{restricted["id"]}'),
            ('anonymous', 'GET', f'/api/v1/documents/{pub["id"]}/files/1'),
            ('anonymous', 'GET', f'/api/v1/documents/{pub["id"]}/pages/1/image?width=100'),
            ('anonymous', 'GET', f'/api/v1/documents/{pub["id"]}/pages/1/alto'),
            ('anonymous', 'GET', f'/api/v1/documents/{pub["id"]}/pdf'),
            ('viewer', 'GET', f'/api/v1/documents/{pub["id"]}/pages/1/text'),
            ('anonymous', 'GET', f'/api/v1/documents/{pub["id"]}/pages/9/text'),
            ('anonymous', 'GET', '/api/v1/fonds'),
            ('archivist', 'GET', '/api/v1/fonds'),
            ('viewer', 'GET', '/api/v1/fonds/HAPHONG'),
            ('viewer', 'GET', '/api/v1/fonds/HAPHONG/dossiers/HS01'),
            ('anonymous', 'GET', '/api/v1/custody/of/06652'),
            ('anonymous', 'GET', '/api/v1/custody/pending'),
            ('viewer', 'GET', '/api/v1/custody/pending'),
            ('inspector', 'GET', '/api/v1/custody/pending'),
            ('inspector', 'GET', '/api/v1/custody/receipt/06652'),
            ('anonymous', 'GET', '/api/v1/units?q=ha%20tu'),
            ('anonymous', 'GET', '/api/v1/units/06652'),
            ('anonymous', 'GET', '/api/v1/units/99999'),
            ('anonymous', 'GET', '/api/v1/units/06664/successors'),
            ('anonymous', 'GET', '/api/v1/units/06652/predecessors'),
            ('anonymous', 'GET', '/api/v1/units/22/tree'),
            ('anonymous', 'GET', '/api/v1/tree?at=2025-06-30'),
            ('viewer', 'GET', '/api/v1/ocr/status'),
            ('archivist', 'GET', '/api/v1/ocr/review?below=100'),
            ('viewer', 'GET', '/api/v1/stats'),
            ('admin', 'GET', '/api/v1/audit?limit=5'),
            ('archivist', 'GET', '/api/v1/audit'),
            ('anonymous', 'GET', '/api/v1/openapi.json'),
            ('anonymous', 'GET', '/api/v1/exchange/directory'),
            ('inspector', 'GET', '/api/v1/exchange/status'),
            ('viewer', 'GET', '/api/v1/exchange/status'),
            ('anonymous', 'GET', '/api/v1/exchange/attachments/' + '0' * 64),
        ]
        bad = []
        for caller, method, path in calls:
            try:
                self.validate(caller, method, path)
            except AssertionError as e:
                bad.append(str(e)[:600])
        # bodies in, bodies out: login, a fonds, a job and its progress
        for caller, method, path, body in (
                ('anonymous', 'POST', '/api/v1/login', {'username': 'viewer',
                                                        'password': hlserve.PASSWORD}),
                ('archivist', 'PUT', '/api/v1/fonds/HAPHONG', {'creator': '06652',
                                                                'name': 'UBND phường Hà Phong'}),
                ('viewer', 'PUT', '/api/v1/fonds/HAPHONG', {'creator': '06652'}),
                ('archivist22', 'POST', '/api/v1/custody/assign', {'fonds': 'NOPE', 'to': '22'}),
                ('anonymous', 'POST', '/api/v1/exchange/inbox', {'v': 1}),
                ('viewer', 'PUT', f'/api/v1/documents/{pub["id"]}/pages/1/text', {'text': 'x'}),
                ('archivist', 'PUT', f'/api/v1/documents/{pub["id"]}/pages/1/text', {'txt': 1}),
                ('anonymous', 'POST', f'/api/v1/documents/{pub["id"]}/pages/1/approve', {})):
            try:
                self.validate(caller, method, path, body)
            except AssertionError as e:
                bad.append(str(e)[:600])
        try:
            r = self.validate('archivist22', 'POST', '/api/v1/ocr/run', {})
            if r.status == 202:
                self.validate('archivist22', 'GET', f'/api/v1/jobs/{r.json()["job"]["id"]}')
        except AssertionError as e:
            bad.append(str(e)[:600])
        r = self.as_('anonymous').post('/api/v1/login', {'username': 'viewer',
                                                         'password': 'wrong-password-1'})
        self.assertEqual(check({'$ref': '#/components/schemas/Error'}, r.json(), load()), [])
        self.assertEqual(bad, [], '\n'.join(bad))


# A small plan of test data (not a real plan) beside the real appendix: one task of a department,
# one of a commune, a monthly duty of another commune.
TEST_PLANS = ('plan_id,number,date,issuer,title,period,compiler\n'
              'THU-KH-2025,01/KH-THU,2025-07-10,UBND tỉnh Quảng Ninh,'
              'Kế hoạch thử (dữ liệu kiểm thử),7/2025 - 12/2025,Sở Khoa học và Công nghệ\n')
TEST_TASKS = ('STT,Nhiệm vụ,Cơ quan chủ trì,Cơ quan phối hợp,Thời gian hoàn thành,Trọng số\n'
              'I,Hạ tầng số,,,,\n'
              '1,Kết nối phần mềm văn bản,Sở Khoa học và Công nghệ,Sở Tài chính,Quý III/2025,2\n'
              '2,Số hóa hồ sơ lưu trữ,Phường Hà Tu,,30/9/2025,1\n'
              '3,Báo cáo chuyển đổi số tháng,Phường Tuần Châu,,Hằng tháng,1\n')
PLAN_USERS = {'admin': ('admin', '22', None), 'viewer': ('viewer', '22', None),
              'inspector': ('inspector', '22', None), 'khcn': ('officer', '22', 'SO-KHCN'),
              'hatu': ('officer', '06652', None), 'tuanchau': ('officer', '06706', None)}
PLAN_TODAY = '2025-10-05'


class PlanAnswersValidate(AnswerValidator, unittest.TestCase):
    """The plans endpoints (docs/api.md "Plans") answering real requests, as each role, on a home
    with the real appendix and the test plan, the server's clock at 2025-10-05."""

    @classmethod
    def setUpClass(cls):
        cls.h = hl.Home()
        h = cls.h

        def run(*args, **kw):
            r = h.run(*args, **kw)
            if r.rc != 0:
                raise AssertionError(f'{args[:2]} failed: {r!r}')
            return r
        run('agency', 'load')
        run('units', 'load', '--quiet')
        data = os.path.join(hl.SRC, 'data', 'plans')
        run('plan', 'import', os.path.join(data, 'NQ03-NQ-CP-2025_plan.csv'), '--compiler',
            'SO-KHCN')
        run('plan', 'import', os.path.join(data, 'NQ03-NQ-CP-2025_tasks.csv'), '--keep-unknown')
        for name, text in (('plans.csv', TEST_PLANS), ('tasks.csv', TEST_TASKS)):
            with open(h.path(name), 'w', encoding='utf-8') as f:
                f.write(text)
        run('plan', 'import', h.path('plans.csv'))
        run('plan', 'import', h.path('tasks.csv'), '--plan', 'THU-KH-2025')
        cls.tokens = {}
        for name, (role, unit, agency) in PLAN_USERS.items():
            run('user', 'add', name, '--role', role, '--unit', unit,
                input=(hlserve.PASSWORD + '\n').encode())
            if agency:
                run('agency', 'assign', name, agency)
            cls.tokens[name] = run('user', 'token', name).out.strip().splitlines()[-1].strip()
        # a report of each task before the server starts, one returned
        run('task', 'report', 'THU-KH-2025/1', '--period', '2025-07', '--progress', '40',
            '--results', 'Đã kết nối 20 xã', '--at', '2025-07-25')
        run('task', 'report', 'THU-KH-2025/3', '--period', '2025-07', '--done', '--at',
            '2025-07-28')
        run('task', 'report', 'THU-KH-2025/2', '--period', '2025-09', '--done', '--done-on',
            '2025-09-20', '--at', '2025-09-22')
        run('task', 'verify', '3', '--return', '--comment', 'Thiếu biên bản', '--at',
            '2025-09-24')
        run('plan', 'close', 'THU-KH-2025', '--period', '2025-Q3', '--at', PLAN_TODAY)
        cls.srv = hlserve.Server(h.home, env={'HALONG_TODAY': PLAN_TODAY}).start()

    @classmethod
    def tearDownClass(cls):
        rc = cls.srv.stop()
        cls.h.cleanup()
        if rc != 0:
            raise AssertionError(f'halong serve exited {rc} on SIGTERM: {cls.srv.log()[-3000:]}')

    def as_(self, caller):
        return self.srv.client(None if caller == 'anonymous' else self.tokens[caller])

    def test_plans_answers_validate(self):
        bad = []

        def v(caller, method, path, body=None, headers=None, status=None):
            try:
                r = self.validate(caller, method, path, body, headers)
                if status is not None:
                    self.assertEqual(r.status, status, f'{method} {path} as {caller}: {r!r}')
                return r
            except AssertionError as e:
                bad.append(str(e)[:600])

        nq, t = 'NQ03-NQ-CP-2025', 'THU-KH-2025'
        r = v('viewer', 'GET', f'/api/v1/plans/{t}', status=200)
        ids = {x['item_no']: x['id'] for x in r.json()['task_list']} if r else {}
        t1, t2, t3 = ids.get('1', 0), ids.get('2', 0), ids.get('3', 0)
        for caller, method, path, status in (
                ('anonymous', 'GET', '/api/v1/plans', 200),
                ('khcn', 'GET', '/api/v1/plans', 200),
                ('viewer', 'GET', f'/api/v1/plans/{nq}?at=2025-07-15', 200),
                ('anonymous', 'GET', f'/api/v1/plans/{nq}', 404),
                ('viewer', 'GET', f'/api/v1/plans/{t}?at=31/12/2025', 200),
                ('viewer', 'GET', f'/api/v1/plans/{t}?at=2025-13-01', 400),
                ('viewer', 'GET', f'/api/v1/plans/{t}/tasks/2?at=2025-09-25', 200),
                ('viewer', 'GET', f'/api/v1/plans/{t}/tasks/I', 200),
                ('viewer', 'GET', f'/api/v1/plans/{t}/tasks/99', 404),
                ('viewer', 'GET', f'/api/v1/plans/{nq}/tasks/2', 200),
                ('viewer', 'GET', f'/api/v1/tasks/{t3}', 200),
                ('viewer', 'GET', '/api/v1/tasks/abc', 400),
                ('viewer', 'GET', f'/api/v1/plans/{t}/eval?period=2025-Q3', 200),
                ('viewer', 'GET', f'/api/v1/plans/{t}/eval?period=2025-Q4', 200),
                ('viewer', 'GET', f'/api/v1/plans/{nq}/eval', 200),
                ('viewer', 'GET', f'/api/v1/plans/{nq}/eval?from=2025-01-01&to=2025-12-31'
                                  '&soon=30&at=2025-06-20', 200),
                ('viewer', 'GET', f'/api/v1/plans/{t}/eval?period=2025-Q5', 400),
                ('viewer', 'GET', '/api/v1/evaluation?period=2025&agency=SO-KHCN', 200),
                ('anonymous', 'GET', '/api/v1/evaluation', 200),
                ('viewer', 'GET', '/api/v1/evaluation?plan=NOPE', 404),
                ('anonymous', 'GET', '/api/v1/periods/2025-Q3', 200),
                ('anonymous', 'GET', '/api/v1/periods/2025-13', 400),
                ('anonymous', 'GET', '/api/v1/plan-settings', 200),
                ('khcn', 'GET', '/api/v1/reports/queue', 200),
                ('hatu', 'GET', f'/api/v1/reports/queue?plan={t}', 200),
                ('viewer', 'GET', '/api/v1/lessons', 200),
                ('anonymous', 'GET', '/api/v1/lessons?q=x', 401),
                ('viewer', 'GET', '/api/v1/lessons?limit=0', 400)):
            v(caller, method, path, status=status)
        # a file of evidence, uploaded, read back by its agency only until a report cites it
        octet = {'Content-Type': 'application/octet-stream'}
        r = v('khcn', 'POST', '/api/v1/evidence?name=bien-ban.pdf', b'%PDF-1.4 test', octet, 201)
        fref = r.json()['ref'] if r else 'file:0'
        v('khcn', 'GET', f'/api/v1/evidence/{fref[5:]}', status=200)
        v('viewer', 'GET', f'/api/v1/evidence/{fref[5:]}', status=404)
        v('viewer', 'POST', '/api/v1/evidence?name=x', b'x', octet, 403)
        v('khcn', 'POST', '/api/v1/evidence', b'x', octet, 400)
        # bodies in, bodies out, in the order a month of work goes
        for caller, method, path, body, status in (
                ('khcn', 'POST', f'/api/v1/tasks/{t1}/reports',
                 {'period': '2025-10', 'progress': 60, 'results': 'Đã kết nối 35 xã',
                  'evidence': fref}, 201),
                ('tuanchau', 'POST', f'/api/v1/tasks/{t3}/reports',
                 {'period': '2025-10', 'state': 'waiting', 'progress': 0,
                  'difficulties': 'Chờ hướng dẫn'}, 201),
                ('hatu', 'POST', f'/api/v1/tasks/{t2}/reports',
                 {'period': '2025-09', 'state': 'done', 'done_on': '2025-09-20',
                  'corrects': 3, 'results': 'Kèm biên bản'}, 201),
                ('hatu', 'POST', f'/api/v1/tasks/{t2}/reports',
                 {'period': '2025-09', 'state': 'done', 'corrects': 3}, 409),
                ('khcn', 'POST', f'/api/v1/tasks/{t1}/reports',
                 {'period': '2025-10', 'progress': 140}, 400),
                ('tuanchau', 'POST', f'/api/v1/tasks/{t1}/reports',
                 {'period': '2025-10', 'progress': 10}, 403),
                ('viewer', 'POST', f'/api/v1/tasks/{t1}/reports',
                 {'period': '2025-10', 'progress': 10}, 403),
                ('anonymous', 'POST', f'/api/v1/tasks/{t1}/reports',
                 {'period': '2025-10', 'progress': 10}, 401),
                ('khcn', 'POST', '/api/v1/reports/4/verify', {'verdict': 'accepted'}, 200),
                ('khcn', 'POST', '/api/v1/reports/4/verify', {'verdict': 'accepted'}, 409),
                ('khcn', 'POST', '/api/v1/reports/1/verify', {'verdict': 'returned'}, 400),
                ('tuanchau', 'POST', '/api/v1/reports/1/verify', {'verdict': 'accepted'}, 403),
                ('khcn', 'POST', '/api/v1/reports/999/verify', {'verdict': 'accepted'}, 404),
                ('khcn', 'POST', f'/api/v1/plans/{t}/close', {'period': '2025-09'}, 200),
                ('khcn', 'POST', f'/api/v1/plans/{t}/close', {'period': '2025-Q3'}, 409),
                ('tuanchau', 'POST', f'/api/v1/plans/{t}/close', {'period': '2025-08'}, 403),
                ('admin', 'PUT', '/api/v1/plan-settings/soon_days', {'value': '14'}, 200),
                ('admin', 'PUT', '/api/v1/plan-settings/cutoff_day', {'value': '29'}, 400),
                ('viewer', 'PUT', '/api/v1/plan-settings/soon_days', {'value': '7'}, 403),
                ('inspector', 'POST', '/api/v1/inspections',
                 {'plan': t, 'date': '2025-10-03', 'team': 'Đoàn kiểm tra', 'scope': 'Nhiệm vụ 3',
                  'agency': '06706', 'rating': 'chua_dat',
                  'follow_up': [{'title': 'Gửi bù báo cáo', 'agency': '06706',
                                 'due': '15/10/2025'}]}, 201),
                ('inspector', 'POST', '/api/v1/inspections',
                 {'plan': t, 'date': '2025-10-09', 'team': 'x', 'scope': 'y'}, 400),
                ('khcn', 'POST', '/api/v1/inspections',
                 {'plan': t, 'date': '2025-10-01', 'team': 'x', 'scope': 'y'}, 403),
                ('tuanchau', 'POST', '/api/v1/lessons',
                 {'title': 'Một đầu mối báo cáo', 'body': 'Giao một công chức gửi báo cáo tháng.',
                  'task': f'{t}/3'}, 201),
                ('khcn', 'POST', '/api/v1/lessons', {'title': 'x', 'body': 'y'}, 400),
                ('viewer', 'POST', '/api/v1/lessons',
                 {'title': 'x', 'body': 'y', 'agency': 'SO-KHCN'}, 403)):
            v(caller, method, path, body, status=status)
        for caller, method, path, status in (
                ('viewer', 'GET', f'/api/v1/plans/{t}/tasks/KT1.1', 200),
                ('viewer', 'GET', f'/api/v1/plans/{t}/eval?period=2025-10', 200),
                ('khcn', 'GET', '/api/v1/reports/queue', 200),
                ('viewer', 'GET', '/api/v1/lessons?q=dau%20moi', 200),
                ('viewer', 'GET', '/api/v1/search?q=kind%3Alesson%20dau%20moi', 200),
                ('viewer', 'GET', f'/api/v1/inspections?plan={t}', 200),
                ('anonymous', 'GET', f'/api/v1/inspections?plan={t}', 404),
                ('viewer', 'GET', '/api/v1/inspections', 400)):
            v(caller, method, path, status=status)
        r = v('viewer', 'GET', f'/api/v1/plans/{t}/eval?period=2025-10', status=200)
        if r:
            self.assertEqual(r.json()['previous']['period'], '2025-09', r)
        # the import, a job: a good file, then a file of bad rows whose failed job names each
        # row; the job's answers are checked too
        csv_type = {'Content-Type': 'text/csv'}

        def import_job(body):
            r = v('admin', 'POST', f'/api/v1/plans/import?plan={t}', body, csv_type, 202)
            for _ in range(600):
                j = v('admin', 'GET', f"/api/v1/jobs/{r.json()['job']['id']}", status=200) \
                    if r else None
                if not j or j.json()['state'] != 'running':
                    return j
                time.sleep(0.05)
        j = import_job(TEST_TASKS)
        if j:
            self.assertEqual(j.json()['state'], 'done', j)
        j = import_job('STT,Nhiệm vụ,Cơ quan chủ trì,Thời gian hoàn thành\n'
                       '1,Một,Sở Khoa học và Công nghệ,6/2025\n'
                       '1,Hai,Sở Không Có,12/2025\n')
        if j:
            self.assertEqual(j.json()['state'], 'failed', j)
            self.assertEqual(j.json()['result']['errors'][:2], [
                'plan:2: due: due 2025-06-30 is before the plan starts (2025-07-01)',
                'plan:3: item_no: "1" repeated (first on line 2)'], j)
        v('khcn', 'POST', '/api/v1/plans/import', TEST_TASKS, csv_type, 403)
        v('admin', 'POST', '/api/v1/plans/import', '', csv_type, 400)
        # indicators, the register, a user's agency, and last a task cancelled
        for caller, method, path, body, status in (
                ('khcn', 'PUT', f'/api/v1/plans/{t}/kpis/KN-XA',
                 {'name': 'Số xã kết nối', 'unit': 'xã', 'baseline': 0, 'target': 54,
                  'task': f'{t}/1'}, 200),
                ('khcn', 'PUT', f'/api/v1/plans/{t}/kpis/TG-XL',
                 {'name': 'Thời gian xử lý', 'unit': 'ngày', 'baseline': 10, 'target': 5,
                  'better': 'lower'}, 200),
                ('khcn', 'POST', f'/api/v1/plans/{t}/kpis/KN-XA/values',
                 {'period': '2025-09', 'actual': 35}, 201),
                ('khcn', 'POST', f'/api/v1/plans/{t}/kpis/TG-XL/values',
                 {'period': '2025-Q3', 'actual': 6, 'target': 7}, 201),
                ('khcn', 'POST', f'/api/v1/plans/{t}/kpis/NOPE/values',
                 {'period': '2025-09', 'actual': 1}, 404),
                ('khcn', 'PUT', f'/api/v1/plans/{t}/kpis/X', {'name': 'x'}, 400),
                ('tuanchau', 'PUT', f'/api/v1/plans/{t}/kpis/X', {'name': 'x', 'target': 1},
                 403),
                ('admin', 'PUT', '/api/v1/users/hatu/agency', {'agency': 'SO-TC'}, 200),
                ('admin', 'PUT', '/api/v1/users/hatu/agency', {'agency': None}, 200),
                ('admin', 'PUT', '/api/v1/users/nobody/agency', {'agency': 'SO-TC'}, 404),
                ('khcn', 'PUT', '/api/v1/users/hatu/agency', {'agency': 'SO-TC'}, 403),
                ('tuanchau', 'POST', f'/api/v1/tasks/{t2}/cancel', {'reason': 'x'}, 403),
                ('khcn', 'POST', f'/api/v1/tasks/{t2}/cancel', {}, 400),
                ('khcn', 'POST', f'/api/v1/tasks/{t2}/cancel',
                 {'reason': 'Gộp vào nhiệm vụ 1'}, 200)):
            v(caller, method, path, body, status=status)
        for caller, path, status in (
                ('viewer', f'/api/v1/plans/{t}/kpis', 200),
                ('viewer', f'/api/v1/plans/{t}/kpis?at=2025-09-01', 200),
                ('anonymous', f'/api/v1/plans/{t}/kpis', 404),
                ('anonymous', '/api/v1/agencies', 200),
                ('anonymous', '/api/v1/agencies?at=2026-01-01', 200),
                ('anonymous', '/api/v1/agencies?name=so%20tai%20chinh&at=2026-01-01', 200),
                ('anonymous', '/api/v1/agencies?name=SO-TTTT&at=2026-01-01', 404),
                ('viewer', f'/api/v1/tasks/{t2}', 200),
                ('viewer', f'/api/v1/evidence/{fref[5:]}', 200)):
            v(caller, 'GET', path, status=status)
        r = v('viewer', 'GET', f'/api/v1/tasks/{t1}', status=200)
        if r:
            self.assertEqual([f['ref'] for x in r.json()['reports'] for f in x.get('files', [])],
                             [fref], r)
        r = v('viewer', 'GET', f'/api/v1/plans/{t}/kpis', status=200)
        if r:
            k = {x['code']: x for x in r.json()['items']}
            self.assertEqual([(x['period'], x['achieved'], x['met'])
                              for x in k['TG-XL']['values']], [('2025-Q3', 133.3, True)], r)
        self.assertEqual(bad, [], '\n'.join(bad))


if __name__ == '__main__':
    unittest.main()
