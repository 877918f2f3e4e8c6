"""Helpers of the HTTP API tests: build a real data directory with the real binary (units,
documents at every access level in fonds held by different communes, rendered pages recognised
by `ocr run`, users of every role with their API tokens), start `halong serve` on a free port of
127.0.0.1, talk to it with the standard library only (http.client), and stop it with SIGTERM."""
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import unittest

import hl

PASSWORD = 'mat-khau-rat-dai-2025'
HEADER = ['fonds_code', 'dossier_code', 'doc_ordinal', 'subject', 'issued_date', 'doc_type',
          'access_level', 'page_count', 'files', 'text']

# Fonds and who holds them today (data/units): HAPHONG was made by the old Phường Hà Phong
# (06652), HATU by the old Phường Hà Tu (06664); both merged whole into the new Phường Hà Tu
# (06652) on 2025-07-01, which therefore holds both (HATU inherited). GIENGDAY was made by
# Phường Giếng Đáy (06661), merged whole into the new Phường Việt Hưng (06661): another commune.
FONDS = {'HAPHONG': ('06652', 'UBND phường Hà Phong'),
         'HATU': ('06664', 'UBND phường Hà Tu'),
         'GIENGDAY': ('06661', 'UBND phường Giếng Đáy')}
HOLDER = {'HAPHONG': '06652', 'HATU': '06652', 'GIENGDAY': '06661'}
PROVINCE = '22'

# (fonds, dossier, ordinal, access level, file); HS01 holds the readable levels, HS02 the
# guarded ones, so that a dossier's existence can leak too.
PLAN = [('HAPHONG', 'HS01', 1, 'public', 'clean.png'),
        ('HAPHONG', 'HS01', 2, 'internal', 'dpi200.png'),
        ('HAPHONG', 'HS02', 1, 'restricted', 'twocol.png'),
        ('HAPHONG', 'HS02', 2, 'secret', 'text.pdf'),
        ('HATU', 'HS01', 1, 'public', 'text.pdf'),
        ('HATU', 'HS01', 2, 'restricted', 'dpi200.png'),
        ('GIENGDAY', 'HS01', 1, 'public', 'twocol.png'),
        ('GIENGDAY', 'HS01', 2, 'internal', 'clean.png'),
        ('GIENGDAY', 'HS02', 1, 'restricted', 'text.pdf'),
        ('GIENGDAY', 'HS02', 2, 'secret', 'dpi200.png')]

LEVELS = ['public', 'internal', 'restricted', 'secret']
CEILING = {'anonymous': 'public', 'viewer': 'internal', 'officer': 'internal',
           'inspector': 'restricted', 'archivist': 'restricted', 'admin': 'restricted'}

# name -> (role, unit). 'anonymous' has no account.
USERS = {'viewer': ('viewer', '06652'),
         'officer': ('officer', '06652'),
         'officer61': ('officer', '06661'),
         'inspector': ('inspector', PROVINCE),
         'archivist': ('archivist', '06652'),
         'archivist22': ('archivist', PROVINCE),
         'admin': ('admin', PROVINCE)}
CALLERS = ['anonymous'] + list(USERS)


def role_of(caller):
    return 'anonymous' if caller == 'anonymous' else USERS[caller][0]


def unit_of(caller):
    return None if caller == 'anonymous' else USERS[caller][1]


def holds(caller, fonds):
    u = unit_of(caller)
    return u == PROVINCE or (u is not None and HOLDER[fonds] == u)


def visible(caller, fonds, level):
    """docs/api.md, 'What a caller sees'."""
    if level == 'secret':
        return False
    if level == 'public':
        return True
    return LEVELS.index(level) <= LEVELS.index(CEILING[role_of(caller)]) and holds(caller, fonds)


def may(caller, *roles):
    return role_of(caller) in roles


def free_port():
    s = socket.socket()
    s.bind(('127.0.0.1', 0))
    port = s.getsockname()[1]
    s.close()
    return port


def raise_nofile(want=20000):
    """Raises this process's open-file limit toward want (children inherit it); returns it."""
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    new = min(want, hard) if hard != resource.RLIM_INFINITY else want
    if new > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (new, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


class Resp:
    def __init__(self, status, reason, headers, body):
        self.status, self.reason, self.body = status, reason, body
        self.header_list = headers
        self.headers = {}
        for k, v in headers:
            self.headers.setdefault(k.lower(), v)

    def header(self, name, default=None):
        return self.headers.get(name.lower(), default)

    def all(self, name):
        return [v for k, v in self.header_list if k.lower() == name.lower()]

    def json(self):
        return json.loads(self.body.decode('utf-8'))

    def text(self):
        return self.body.decode('utf-8', 'replace')

    def __repr__(self):
        return f'HTTP {self.status} {self.reason} {self.headers} {self.body[:1500]!r}'


def request(port, method, path, body=None, headers=None, source=None, timeout=60):
    """One request on a fresh connection; body bytes, str or a dict/list (sent as JSON)."""
    h = dict(headers or {})
    if isinstance(body, (dict, list)):
        body = json.dumps(body).encode('utf-8')
        h.setdefault('Content-Type', 'application/json')
    elif isinstance(body, str):
        body = body.encode('utf-8')
    c = http.client.HTTPConnection('127.0.0.1', port, timeout=timeout,
                                   source_address=(source, 0) if source else None)
    try:
        c.putrequest(method, path, skip_accept_encoding=True)
        for k, v in h.items():
            c.putheader(k, v)
        if body is not None and 'Content-Length' not in h:
            c.putheader('Content-Length', str(len(body)))
        c.endheaders(body)
        r = c.getresponse()
        data = r.read()
        return Resp(r.status, r.reason, r.getheaders(), data)
    finally:
        c.close()


class Client:
    """A caller: anonymous, a bearer token, or a session cookie with its CSRF token."""

    def __init__(self, port, token=None, source=None):
        self.port, self.token, self.source = port, token, source
        self.cookie = None
        self.csrf = None

    def call(self, method, path, body=None, headers=None, csrf=True):
        h = {}
        if self.token:
            h['Authorization'] = f'Bearer {self.token}'
        if self.cookie:
            h['Cookie'] = f'halong_session={self.cookie}'
            if csrf and self.csrf and method not in ('GET', 'HEAD'):
                h['X-CSRF-Token'] = self.csrf
        h.update(headers or {})
        return request(self.port, method, path, body, h, source=self.source)

    def get(self, path, **kw):
        return self.call('GET', path, **kw)

    def post(self, path, body=None, **kw):
        return self.call('POST', path, body, **kw)

    def put(self, path, body=None, **kw):
        return self.call('PUT', path, body, **kw)

    def login(self, username, password=PASSWORD):
        r = self.post('/api/v1/login', {'username': username, 'password': password})
        if r.status == 200:
            for v in r.all('Set-Cookie'):
                name, _, rest = v.partition('=')
                if name.strip() == 'halong_session':
                    self.cookie = rest.split(';', 1)[0]
            self.csrf = r.json().get('csrf_token')
        return r


def session_cookie(resp):
    """The Set-Cookie header of halong_session and its attributes (lower-cased names)."""
    for v in resp.all('Set-Cookie'):
        parts = [p.strip() for p in v.split(';')]
        name, _, value = parts[0].partition('=')
        if name == 'halong_session':
            attrs = {}
            for p in parts[1:]:
                k, _, val = p.partition('=')
                attrs[k.lower()] = val
            return value, attrs
    return None, None


class Server:
    """`halong serve --listen 127.0.0.1:PORT` on a data directory; stderr kept in a file."""

    def __init__(self, home, args=(), env=None):
        self.home, self.args, self.env = home, list(args), env
        self.port = None
        self.proc = None
        self.log_path = None

    def start(self, wait=60.0):
        self.port = free_port()
        fd, self.log_path = tempfile.mkstemp(prefix='halong-serve-', suffix='.log')
        os.close(fd)
        e = dict(os.environ)
        e.pop('HALONG_HOME', None)
        # ASan's leak check at exit would turn a clean exit into 1 for a leak; keep it on: a
        # leak is a bug worth a failing test. Make the report land in the log.
        if self.env:
            e.update(self.env)
        self.stderr = open(self.log_path, 'wb')
        self.proc = subprocess.Popen(
            [hl.BIN, '--home', self.home, 'serve', '--listen', f'127.0.0.1:{self.port}']
            + self.args, stdout=self.stderr, stderr=self.stderr, env=e)
        t0 = time.time()
        last = None
        while time.time() - t0 < wait:
            if self.proc.poll() is not None:
                raise AssertionError(f'halong serve exited {self.proc.returncode} before '
                                     f'answering: {self.log()[-3000:]}')
            try:
                r = request(self.port, 'GET', '/api/v1/health', timeout=5)
                if r.status == 200:
                    return self
                last = r
            except OSError as ex:
                last = ex
            time.sleep(0.02)
        self.kill()
        raise AssertionError(f'halong serve did not answer /api/v1/health in {wait}s: {last!r}'
                             f' log: {self.log()[-3000:]}')

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout=30):
        """SIGTERM; returns the exit code (None if it had to be killed)."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
                return None
        self.stderr.close()
        return self.proc.returncode

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def log(self):
        with open(self.log_path, 'rb') as f:
            return f.read().decode('utf-8', 'replace')

    def client(self, token=None, source=None):
        return Client(self.port, token, source)


# ---- the world: one data directory, built once per test run ----

def _unique_word(own, others):
    """A folded word of own's text (3+ letters, the longest) that no other text holds."""
    rest = set()
    for o in others:
        rest.update(hl.words(o))
    cands = [w for w in hl.words(own) if len(w) >= 3 and w.isalpha() and w not in rest]
    return max(cands, key=len) if cands else None


class World:
    """The shared data directory; read-only for the tests (mutating tests copy it)."""

    def __init__(self):
        self.h = hl.Home()
        self._build()

    def _run(self, *args, **kw):
        r = self.h.run(*args, **kw)
        if r.rc != 0:
            raise AssertionError(f'{args[0]} failed: {r!r}')
        return r

    def _build(self):
        from test_ocr import pages_dir
        pages = pages_dir()
        self._run('units', 'load', '--quiet')
        arts = hl.articles()
        page_text = {}
        for name in set(p[4] for p in PLAN):
            with open(os.path.join(pages, name.rsplit('.', 1)[0] + '.txt'), encoding='utf-8') as f:
                page_text[name] = f.read()
        # Articles 40.. of the corpus: long enough, different laws' wording
        chosen = []
        i = 40
        while len(chosen) < len(PLAN):
            a = arts[i]
            i += 7
            if len(a['text']) >= 800:
                chosen.append(a)
        files = self.h.path('files')
        os.makedirs(files, exist_ok=True)
        for name in page_text:
            shutil.copy(os.path.join(pages, name), os.path.join(files, name))
        rows = []
        self.docs = []
        texts = []
        for (fonds, dossier, ordinal, level, fname), a in zip(PLAN, chosen):
            title = f"{a['law_title']}, Điều {a['article']}. {a['article_title']}"
            text = a['text']
            texts.append(f'{title} {text} {page_text[fname]}')
            rows.append([fonds, dossier, ordinal, title, '12/03/2019', 'Quyết định', level, 1,
                         fname, text])
        for k, ((fonds, dossier, ordinal, level, fname), row) in enumerate(zip(PLAN, rows)):
            word = _unique_word(row[3] + ' ' + row[9], texts[:k] + texts[k + 1:])
            if word is None:
                raise AssertionError(f'no word unique to document {k}')
            self.docs.append({'fonds': fonds, 'dossier': dossier, 'ordinal': ordinal,
                              'level': level, 'file': fname, 'subject': row[3],
                              'id': hl.doc_id(fonds, dossier, ordinal), 'word': word,
                              'sha256': hl.sha256_file(os.path.join(files, fname))})
        path = hl.write_csv(self.h.path('m.csv'), HEADER, rows)
        self._run('ingest', path, '--files', files, '--ocr')
        for fonds, (unit, name) in FONDS.items():
            self._run('fonds', 'set', fonds, '--creator', unit, '--name', name)
        r = self.h.run('ocr', 'run', '--quiet')
        if r.rc not in (0, 3):
            raise AssertionError(f'ocr run failed: {r!r}')
        self.tokens = {}
        for name, (role, unit) in USERS.items():
            self._run('user', 'add', name, '--role', role, '--unit', unit,
                      input=(PASSWORD + '\n').encode())
            r = self._run('user', 'token', name)
            self.tokens[name] = r.out.strip().splitlines()[-1].strip()
        self.by_id = {d['id']: d for d in self.docs}

    def add_user(self, name, role, unit, password=PASSWORD):
        self._run('user', 'add', name, '--role', role, '--unit', unit,
                  input=(password + '\n').encode())

    def copy(self):
        """A private copy of the data directory (for tests that change things)."""
        d = tempfile.mkdtemp(prefix='halong-e2e-copy-')
        shutil.copytree(self.h.home, os.path.join(d, 'home'))
        return d, os.path.join(d, 'home')

    def visible_docs(self, caller, **where):
        return [d for d in self.docs if visible(caller, d['fonds'], d['level'])
                and all(d[k] == v for k, v in where.items())]


_world = None


def world():
    global _world
    if _world is None:
        _world = World()
        import atexit
        atexit.register(_world.h.cleanup)
    return _world


class ServerCase(unittest.TestCase):
    """A test class with the shared world and its own server, stopped (exit 0 asserted) at the
    end of the class."""
    server_args = ()

    @classmethod
    def setUpClass(cls):
        cls.w = world()
        cls.srv = Server(cls.w.h.home, cls.server_args).start()
        cls.port = cls.srv.port

    @classmethod
    def tearDownClass(cls):
        rc = cls.srv.stop()
        if rc != 0:
            raise AssertionError(f'halong serve exited {rc} on SIGTERM: {cls.srv.log()[-3000:]}')

    def as_(self, caller, source=None):
        return self.srv.client(None if caller == 'anonymous' else self.w.tokens[caller], source)

    def assertError(self, r, status, code=None):
        """The one error shape of docs/api.md with the right status."""
        self.assertEqual(r.status, status, r)
        self.assertTrue((r.header('Content-Type') or '').startswith('application/json'), r)
        e = r.json().get('error')
        self.assertIsInstance(e, dict, r)
        self.assertEqual(e.get('status'), status, r)
        if code:
            self.assertEqual(e.get('code'), code, r)
        self.assertIsInstance(e.get('message'), str, r)
