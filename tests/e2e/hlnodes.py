"""Helpers of the exchange tests and bench: real halong nodes on 127.0.0.1, each a data
directory with its Ed25519 identity and its own `halong serve` on a port fixed at creation (the
port is in the directory's URLs, so a node restarts on the same one), the hub's signed directory
served and imported by the communes, and readers of a node's store for the assertions."""
import json
import os
import signal
import sqlite3
import subprocess
import tempfile
import time

import hl
import hlserve

# What each kind of node may send and receive (the hub's directory).
HUB_SEND, HUB_RECV = 'document,feed.units', 'document,report'
COMMUNE_SEND, COMMUNE_RECV = 'document,report', 'document,feed.units'
MANIFEST = ['fonds_code', 'dossier_code', 'doc_ordinal', 'subject', 'issued_date', 'doc_type',
            'access_level', 'text', 'files']


class Node:
    """One node: a data directory, its identity, its server (started on demand)."""

    def __init__(self, unit, env=None):
        self.unit = unit
        self.h = hl.Home()
        self.port = hlserve.free_port()
        self.url = f'http://127.0.0.1:{self.port}'
        self.env = dict(env or {})
        self.proc = None
        self.log_path = self.h.path('serve.log')
        self.ok('node', 'init', '--unit', unit, '--url', self.url)
        self.key = self.json('node', 'show')['public_key']

    # ---- the command line ----
    def run(self, *args, env=None, input=None):
        e = dict(self.env)
        e.update(env or {})
        return self.h.run(*args, env=e, input=input)

    def ok(self, *args, env=None, input=None):
        r = self.run(*args, env=env, input=input)
        if r.rc != 0:
            raise AssertionError(f'node {self.unit}: {r!r}')
        return r

    def json(self, *args, env=None):
        return json.loads(self.ok(*args, '--json', env=env).out)

    # ---- the server ----
    def start(self, wait=60.0, env=None):
        e = dict(os.environ)
        e.pop('HALONG_HOME', None)
        e.setdefault('HALONG_EXCHANGE_POLL_MS', '20')
        e.update(self.env)
        e.update(env or {})
        log = open(self.log_path, 'ab')
        self.proc = subprocess.Popen(
            [hl.BIN, '--home', self.h.home, 'serve', '--quiet', '--listen',
             f'127.0.0.1:{self.port}'], stdout=log, stderr=log, env=e)
        log.close()
        t0 = time.time()
        while time.time() - t0 < wait:
            if self.proc.poll() is not None:
                raise AssertionError(f'node {self.unit}: serve exited {self.proc.returncode}: '
                                     f'{self.log()[-3000:]}')
            try:
                if hlserve.request(self.port, 'GET', '/api/v1/health', timeout=5).status == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.02)
        self.kill()
        raise AssertionError(f'node {self.unit}: serve did not answer: {self.log()[-3000:]}')

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def kill(self):
        """kill -9: no chance to finish anything."""
        if self.alive():
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()

    def stop(self, timeout=60):
        """SIGTERM; the exit code."""
        if self.alive():
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(timeout)
        return self.proc.returncode if self.proc else None

    def log(self):
        try:
            with open(self.log_path, 'rb') as f:
                return f.read().decode('utf-8', 'replace')
        except OSError:
            return ''

    def request(self, method, path, body=None, headers=None, timeout=60):
        return hlserve.request(self.port, method, path, body, headers, timeout=timeout)

    # ---- the store, read for the assertions (read-only; WAL lets the server write on) ----
    def db(self):
        c = sqlite3.connect(f'file:{os.path.join(self.h.home, "halong.db")}?mode=ro', uri=True,
                            timeout=30)
        c.execute('PRAGMA busy_timeout = 30000')
        return c

    def applied(self, sender=None):
        """[(sender, seq, type, id)] of exchange.apply audit entries, in the order applied."""
        with self.db() as c:
            rows = c.execute("SELECT object, detail FROM audit WHERE action = 'exchange.apply' "
                             "ORDER BY id").fetchall()
        out = []
        for obj, detail in rows:
            w = detail.split()  # from X seq N type T
            if sender is None or w[1] == sender:
                out.append((w[1], int(w[3]), w[5], obj))
        return out

    def outbox_waiting(self):
        with self.db() as c:
            return c.execute("SELECT count(*) FROM exchange_outbox WHERE state = 'waiting'"
                             ).fetchone()[0]

    def upload_headers(self, to, sha, offset, size, chunk, t_ms=None, key_of=None):
        """The headers of a signed attachment chunk PUT from this node to unit `to`: Ed25519
        (this node's keys/node.key, or `key_of`'s) over halong's upload line
        (hl_exchange_upload_sign; README of src/lib/exchange)."""
        import hashlib
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
        import base64
        t = int(time.time() * 1000) if t_ms is None else t_ms
        with open(os.path.join((key_of or self).h.home, 'keys', 'node.key'), 'rb') as f:
            seed = f.read()[:32]
        line = (f'halong-upload-v1\n{self.unit}\n{to}\n{sha}\n{offset}\n{size}\n{len(chunk)}\n'
                f'{hashlib.sha256(chunk).hexdigest()}\n{t}\n').encode()
        sig = base64.b64encode(Ed25519PrivateKey.from_private_bytes(seed).sign(line)).decode()
        return {'Content-Type': 'application/octet-stream', 'X-Halong-From': self.unit,
                'X-Halong-Time': str(t), 'X-Halong-Signature': sig}

    def resign(self, env):
        """The envelope `env` (a dict, sig dropped) signed again with this node's key, as a node
        that lies about what it carries would: halong's canonical encoding of ASCII keys and
        NFC text is Python's sorted, compact JSON (src/lib/exchange/README.md)."""
        import base64
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
        env = {k: v for k, v in env.items() if k != 'sig'}

        def canon(v):
            return json.dumps(v, sort_keys=True, separators=(',', ':'), ensure_ascii=False)
        with open(os.path.join(self.h.home, 'keys', 'node.key'), 'rb') as f:
            key = Ed25519PrivateKey.from_private_bytes(f.read()[:32])
        env['sig'] = base64.b64encode(
            key.sign(b'halong-envelope-v1\n' + canon(env).encode('utf-8'))).decode()
        return canon(env)

    def rejects(self):
        return self.json('exchange', 'status', '--limit', '1000')['rejected']

    def cleanup(self):
        self.kill()
        self.h.cleanup()


def network(units=('22', '06652', '06661'), env=None):
    """A hub (the first unit) and communes: every node enrolled on the hub, the directory served
    by the hub's server and imported, verified, by each commune. The hub's server is started;
    the communes' are not."""
    nodes = [Node(u, env) for u in units]
    hub = nodes[0]
    for n in nodes:
        send, recv = (HUB_SEND, HUB_RECV) if n is hub else (COMMUNE_SEND, COMMUNE_RECV)
        hub.ok('node', 'enrol', n.unit, '--url', n.url, '--key', n.key, '--may-send', send,
               '--may-receive', recv)
    hub.start()
    publish(hub, nodes[1:])
    return nodes


def publish(hub, communes):
    """The communes fetch the signed directory from the hub's server and import it."""
    r = hub.request('GET', '/api/v1/exchange/directory')
    if r.status != 200:
        raise AssertionError(f'directory: {r!r}')
    for n in communes:
        path = n.h.path('directory.json')
        with open(path, 'wb') as f:
            f.write(r.body)
        n.ok('node', 'directory', 'import', path, '--hub-key', hub.key)


def ingest_docs(node, fonds, dossier, n, first_article=0, seed=0, access='internal'):
    """n documents of real law articles (fonds/dossier), each with one PNG page made for the
    test; returns [(doc_id, subject, sha256 of its file)]."""
    arts = hl.articles()[first_article:first_article + n]
    rows, out = [], []
    for i, a in enumerate(arts, 1):
        name = f'{dossier}-{i:03d}.png'
        path = hl.write_bytes(node.h.path('scans', name), hl.png(24, 24, seed * 1000 + i))
        subject = f"{a['law_title']}, Điều {a['article']}. {a['article_title']}"
        rows.append([fonds, dossier, i, subject, '12/03/2025', 'Công văn', access, a['text'],
                     name])
        out.append((hl.doc_id(fonds, dossier, i), subject, hl.sha256_file(path)))
    m = hl.write_csv(node.h.path(f'{fonds}-{dossier}.csv'), MANIFEST, rows)
    node.ok('ingest', m, '--files', node.h.path('scans'))
    return out


def wait_for(pred, timeout=120, what='condition', step=0.05):
    t0 = time.time()
    while time.time() - t0 < timeout:
        v = pred()
        if v:
            return v
        time.sleep(step)
    raise AssertionError(f'timed out after {timeout}s waiting for {what}')


def tmpfile(data, suffix='.json'):
    fd, path = tempfile.mkstemp(suffix=suffix)
    with os.fdopen(fd, 'wb') as f:
        f.write(data)
    return path
