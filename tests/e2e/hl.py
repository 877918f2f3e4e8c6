"""Helpers of the end-to-end tests: run the real `halong` binary in a private data directory,
read its JSON, fold Vietnamese like a user typing without tones, and make real test files."""
import atexit
import csv
import hashlib
import importlib.util
import json
import os
import re
import shutil
import struct
import subprocess
import tempfile
import unicodedata
import unittest
import zlib

SRC = os.environ.get('HALONG_SRC') or os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
BIN = os.environ.get('HALONG_BIN') or os.path.join(SRC, 'build-san', 'src', 'cli', 'halong')
CORPUS = os.path.join(SRC, 'data', 'corpus', 'alqac2023_law_articles.jsonl')

# Every command gets a timeout so that a hang fails the test instead of the whole run.
TIMEOUT = 600

ANSI = re.compile(r'\x1b\[')
SUMMARY = re.compile(r'^ingest: (\d+) rows: (\d+) new, (\d+) updated, (\d+) unchanged, '
                     r'(\d+) rejected; (\d+) files \((\d+) new blobs\); (\d+) indexed'
                     r'( — nothing changed)?$')
SUMMARY_KEYS = ('rows', 'new', 'updated', 'unchanged', 'rejected', 'files', 'new_blobs',
                'indexed')


def _load_demo_module():
    spec = importlib.util.spec_from_file_location(
        'make_demo_manifest', os.path.join(SRC, 'scripts', 'make_demo_manifest.py'))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


demo = _load_demo_module()


def fold(s):
    """What a user types without tones: NFD, combining marks dropped, đ -> d, lower case."""
    s = s.replace('đ', 'd').replace('Đ', 'D')
    s = unicodedata.normalize('NFD', s)
    return ''.join(c for c in s if unicodedata.category(c) != 'Mn').lower()


def words(s):
    """The folded words of a text, punctuation dropped (how a full-text index sees it)."""
    return re.findall(r'\w+', fold(s))


def nfc(s):
    return unicodedata.normalize('NFC', s)


def doc_id(fonds, dossier, ordinal):
    """The doc_id halong generates when the manifest has none."""
    key = f'{fonds}\x1f{dossier}\x1f{ordinal}'.encode('utf-8')
    return 'D' + hashlib.sha256(key).hexdigest()[:20]


def sha256_file(path):
    with open(path, 'rb') as f:
        return hashlib.sha256(f.read()).hexdigest()


class Result:
    def __init__(self, args, rc, out, err):
        self.args, self.rc, self.out, self.err = args, rc, out, err

    def __repr__(self):
        return (f'halong {" ".join(self.args)}\n  exit {self.rc}\n  stdout: {self.out[-3000:]!r}'
                f'\n  stderr: {self.err[-3000:]!r}')

    def summary(self):
        """The ingest summary line (the last line of stdout that starts with "ingest:"; with
        --ocr an "ocr:" line follows it), parsed; None if absent."""
        lines = [l for l in self.out.splitlines() if l.startswith('ingest:')]
        if not lines:
            return None
        m = SUMMARY.match(lines[-1].strip())
        if not m:
            return None
        d = dict(zip(SUMMARY_KEYS, (int(x) for x in m.groups()[:8])))
        d['nothing_changed'] = m.group(9) is not None
        return d


def run(args, home=None, env=None, cwd=None, timeout=TIMEOUT, input=None):
    """Runs halong [--home HOME] ARGS; returns a Result (text decoded as UTF-8)."""
    cmd = [BIN] + (['--home', home] if home else []) + list(args)
    e = dict(os.environ)
    e.pop('HALONG_HOME', None)
    if env:
        e.update(env)
    p = subprocess.run(cmd, env=e, cwd=cwd, capture_output=True, timeout=timeout, input=input)
    return Result(list(args), p.returncode, p.stdout.decode('utf-8', 'replace'),
                  p.stderr.decode('utf-8', 'replace'))


class Home:
    """A private temporary folder holding a data directory (home) and the test's own files."""

    def __init__(self, init=True):
        self.tmp = tempfile.mkdtemp(prefix='halong-e2e-')
        self.home = os.path.join(self.tmp, 'home')
        if init:
            r = self.run('init')
            if r.rc != 0:
                raise AssertionError(f'init failed: {r!r}')

    def path(self, *parts):
        return os.path.join(self.tmp, *parts)

    def run(self, *args, **kw):
        return run(args, home=self.home, **kw)

    def stats(self):
        r = self.run('stats', '--json')
        if r.rc != 0:
            raise AssertionError(f'stats failed: {r!r}')
        return json.loads(r.out)

    def show(self, id_):
        r = self.run('show', id_, '--json')
        if r.rc != 0:
            raise AssertionError(f'show failed: {r!r}')
        return json.loads(r.out)

    def search(self, query, limit=None, offset=None):
        args = ['search', query, '--json']
        if limit is not None:
            args += ['--limit', str(limit)]
        if offset is not None:
            args += ['--offset', str(offset)]
        r = self.run(*args)
        if r.rc != 0:
            raise AssertionError(f'search {query!r} failed: {r!r}')
        return [json.loads(l) for l in r.out.splitlines() if l.strip()]

    def cleanup(self):
        shutil.rmtree(self.tmp, ignore_errors=True)


class HomeCase(unittest.TestCase):
    """A test with its own data directory, initialised, removed afterwards."""

    def setUp(self):
        self.h = Home()
        self.addCleanup(self.h.cleanup)


def write_csv(path, header, rows, encoding='utf-8', bom=False, newline='\r\n'):
    """Writes an RFC 4180 CSV; rows are lists (or dicts keyed by header)."""
    import io
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator=newline)
    w.writerow(header)
    for r in rows:
        w.writerow([r.get(k, '') for k in header] if isinstance(r, dict) else r)
    data = buf.getvalue().encode(encoding)
    if bom:
        data = b'\xef\xbb\xbf' + data
    with open(path, 'wb') as f:
        f.write(data)
    return path


def read_csv(path):
    """Header and rows (lists) of a UTF-8 CSV, BOM tolerated."""
    with open(path, encoding='utf-8-sig', newline='') as f:
        rows = list(csv.reader(f))
    return rows[0], rows[1:]


def png(width, height, seed):
    """A valid 8-bit RGB PNG whose pixels depend on seed (so each file hashes differently)."""
    def chunk(kind, data):
        c = kind + data
        return struct.pack('>I', len(data)) + c + struct.pack('>I', zlib.crc32(c) & 0xffffffff)
    raw = bytearray()
    for y in range(height):
        raw.append(0)
        for x in range(width):
            raw += bytes(((x * 7 + seed) & 255, (y * 13 + seed * 3) & 255, (x ^ y ^ seed) & 255))
    ihdr = struct.pack('>IIBBBBB', width, height, 8, 2, 0, 0, 0)
    return (b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', ihdr)
            + chunk(b'tEXt', b'Comment\x00halong e2e page %d' % seed)
            + chunk(b'IDAT', zlib.compress(bytes(raw))) + chunk(b'IEND', b''))


def tiff(width, height, seed):
    """A valid uncompressed 8-bit greyscale little-endian TIFF whose pixels depend on seed."""
    pixels = bytes(((x * 5 + y * 11 + seed) & 255) for y in range(height) for x in range(width))
    entries = [  # tag, type (3 SHORT, 4 LONG), value
        (256, 4, width), (257, 4, height), (258, 3, 8), (259, 3, 1), (262, 3, 1),
        (273, 4, 0), (277, 3, 1), (278, 4, height), (279, 4, len(pixels))]
    ifd_off = 8
    data_off = ifd_off + 2 + 12 * len(entries) + 4
    out = bytearray(b'II*\x00' + struct.pack('<I', ifd_off))
    out += struct.pack('<H', len(entries))
    for tag, typ, val in entries:
        if tag == 273:
            val = data_off
        if typ == 3:
            out += struct.pack('<HHIHH', tag, typ, 1, val, 0)
        else:
            out += struct.pack('<HHII', tag, typ, 1, val)
    out += struct.pack('<I', 0)
    return bytes(out) + pixels


def write_bytes(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'wb') as f:
        f.write(data)
    return path


def blob_path(home, sha):
    return os.path.join(home, 'blobs', sha[:2], sha[2:])


_articles = None
_corpus_dir = None


def articles():
    """The corpus articles (cached)."""
    global _articles
    if _articles is None:
        _articles = demo.articles(CORPUS)
    return _articles


def corpus_manifest():
    """The demo manifest of the whole corpus, built once per run by scripts/make_demo_manifest.py."""
    global _corpus_dir
    if _corpus_dir is None:
        _corpus_dir = tempfile.mkdtemp(prefix='halong-e2e-corpus-')
        atexit.register(shutil.rmtree, _corpus_dir, True)
    path = os.path.join(_corpus_dir, 'phap-luat.csv')
    if not os.path.exists(path):
        p = subprocess.run(['python3', os.path.join(SRC, 'scripts', 'make_demo_manifest.py'),
                            CORPUS, path], capture_output=True, text=True)
        if p.returncode != 0:
            raise AssertionError(f'make_demo_manifest.py failed: {p.stderr}')
    return path


def strip_marks(snippet):
    """Snippet text without <mark> tags, HTML entities decoded."""
    import html
    return html.unescape(snippet.replace('<mark>', '').replace('</mark>', ''))


def marked(snippet):
    """The words inside <mark>…</mark>."""
    import html
    return [html.unescape(m) for m in re.findall(r'<mark>(.*?)</mark>', snippet)]
