"""Faults a node meets (issue 15, "Faults"), with the real binary on real file systems:

- the disk full: a data directory (or a backup target) on a small tmpfs mounted for the test
  (`mount -t tmpfs -o size=...`; the tests run as root in CI; unmounted in cleanup, even when
  the test fails), filled with a file: ingest, OCR, exchange and backup each fail with one
  clear message naming the full disk, nothing already in is lost or half-written (`halong
  verify` and `halong audit verify` pass, the store opens), and once space is back (the filler
  removed, or the tmpfs grown with `mount -o remount,size=`) the same operation succeeds;
- SIGTERM during a write: a server in the middle of an ingest job stops cleanly (exit 0, the job
  `interrupted` and resumable); a CLI ingest killed by SIGTERM leaves a consistent store and a
  rerun completes;
- the clock jumping back an hour (Debian's faketime, preloaded into the real binary): the audit
  chain, the exchange's ordering and replay protection, and sessions.

A test that cannot mount a tmpfs fails (it is not skipped): the machine of `make check` must
allow it."""
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import tempfile
import time
import unittest

import hl
import hlnodes
import hlserve
from hlserve import PASSWORD, Server

MANIFEST = ['fonds_code', 'dossier_code', 'doc_ordinal', 'subject', 'issued_date', 'doc_type',
            'access_level', 'text', 'files']
FULL = re.compile(r'disk is full|disk of the data directory is full|No space left on device')


class Tmpfs:
    """A tmpfs of `kib` KiB mounted on a fresh folder; unmount() (idempotent) removes it."""

    def __init__(self, kib):
        self.dir = tempfile.mkdtemp(prefix='halong-faults-')
        p = subprocess.run(['mount', '-t', 'tmpfs', '-o', f'size={kib}k,mode=0755', 'tmpfs',
                            self.dir], capture_output=True, text=True)
        if p.returncode != 0:
            os.rmdir(self.dir)
            raise AssertionError(f'cannot mount a tmpfs (the faults tests need root): '
                                 f'{p.stderr.strip()}')
        self.mounted = True

    def path(self, *parts):
        return os.path.join(self.dir, *parts)

    def free_kib(self):
        st = os.statvfs(self.dir)
        return st.f_bavail * st.f_frsize // 1024

    def fill(self, leave_kib=0):
        """A filler file taking all the free space but about leave_kib KiB."""
        want = max(0, self.free_kib() - leave_kib) * 1024
        with open(self.path('filler'), 'ab') as f:
            chunk = b'\0' * (1 << 16)
            try:
                while want > 0:
                    n = f.write(chunk[:min(len(chunk), want)])
                    want -= n
                f.flush()
            except OSError:
                pass

    def unfill(self):
        if os.path.exists(self.path('filler')):
            os.unlink(self.path('filler'))

    def grow(self, kib):
        p = subprocess.run(['mount', '-o', f'remount,size={kib}k', self.dir],
                           capture_output=True, text=True)
        if p.returncode != 0:
            raise AssertionError(f'remount: {p.stderr.strip()}')

    def unmount(self):
        if self.mounted:
            p = subprocess.run(['umount', self.dir], capture_output=True, text=True)
            if p.returncode != 0:  # a process still holding a file: detach it
                subprocess.run(['umount', '-l', self.dir], capture_output=True)
            self.mounted = False
            shutil.rmtree(self.dir, True)


def scans(folder, n, first=0, size=200):
    """n documents with one PNG page each (about 110 KiB of noise each): (manifest, files)."""
    arts = hl.articles()
    os.makedirs(folder, exist_ok=True)
    rows = []
    for i in range(n):
        name = f'p{first + i:04d}.png'
        hl.write_bytes(os.path.join(folder, name), hl.png(size, size, 7000 + first + i))
        a = arts[first + i]
        rows.append(['HAPHONG', 'HS01', first + i + 1,
                     f"{a['law_title']}, Điều {a['article']}. {a['article_title']}",
                     '12/03/2025', 'Công văn', 'internal', a['text'], name])
    return rows


def documents(home):
    db = sqlite3.connect(f'file:{os.path.join(home, "halong.db")}?mode=ro', uri=True)
    try:
        return db.execute('SELECT count(*) FROM document').fetchone()[0]
    finally:
        db.close()


class FaultCase(unittest.TestCase):

    def tmpfs(self, kib):
        t = Tmpfs(kib)
        self.addCleanup(t.unmount)
        return t

    def one_line(self, r, pattern=FULL):
        """A failed command's stderr: one error line, matching `pattern` (warnings aside: a
        backup to one target warns that the circular asks for two)."""
        self.assertNotEqual(r.rc, 0, r)
        lines = [l for l in r.err.splitlines() if l.strip() and 'warning:' not in l]
        self.assertEqual(len(lines), 1, f'not one message: {r.err}')
        self.assertRegex(lines[0], pattern)
        return lines[0]

    def whole(self, home):
        """The store opens, every blob is whole, the audit chain holds."""
        for args in (('verify',), ('audit', 'verify'), ('stats', '--json')):
            r = hl.run(args, home=home)
            self.assertEqual(r.rc, 0, r)


class DiskFull(FaultCase):

    def test_store_on_a_full_disk_says_so(self):
        t = self.tmpfs(4096)
        home = t.path('home')
        self.assertEqual(hl.run(('init',), home=home).rc, 0)
        t.fill(0)
        # even a read opens the store (WAL's shared-memory file is made): SQLite's own words are
        # "disk I/O error"; the person reading learns that the disk is full
        line = self.one_line(hl.run(('stats',), home=home))
        self.assertIn('disk is full', line)
        t.unfill()
        self.whole(home)

    def test_ingest(self):
        t = self.tmpfs(8192)
        home = t.path('home')
        self.assertEqual(hl.run(('init',), home=home).rc, 0)
        tmp = tempfile.mkdtemp(prefix='halong-faults-scans-')
        self.addCleanup(shutil.rmtree, tmp, True)
        rows = scans(os.path.join(tmp, 'files'), 30)
        first = hl.write_csv(os.path.join(tmp, 'first.csv'), MANIFEST, rows[:10])
        every = hl.write_csv(os.path.join(tmp, 'every.csv'), MANIFEST, rows)
        r = hl.run(('ingest', first, '--files', os.path.join(tmp, 'files')), home=home)
        self.assertEqual(r.rc, 0, r)
        t.fill(400)  # room for a few of the 20 new scans, not for all
        r = hl.run(('ingest', every, '--files', os.path.join(tmp, 'files')), home=home)
        line = self.one_line(r)  # one message, not one rejected row per scan
        self.assertIn('ingest stopped', line)
        self.assertGreaterEqual(documents(home), 10)
        self.whole(home)
        t.unfill()
        r = hl.run(('ingest', every, '--files', os.path.join(tmp, 'files')), home=home)
        self.assertEqual(r.rc, 0, r)
        s = r.summary()
        self.assertEqual((s['rows'], s['rejected']), (30, 0), r)
        self.assertEqual(documents(home), 30)
        self.whole(home)

    def test_ocr(self):
        t = self.tmpfs(8192)
        home = t.path('home')
        self.assertEqual(hl.run(('init',), home=home).rc, 0)
        tmp = tempfile.mkdtemp(prefix='halong-faults-scans-')
        self.addCleanup(shutil.rmtree, tmp, True)
        rows = scans(os.path.join(tmp, 'files'), 12)
        m = hl.write_csv(os.path.join(tmp, 'm.csv'), MANIFEST, rows)
        r = hl.run(('ingest', m, '--files', os.path.join(tmp, 'files'), '--ocr'), home=home)
        self.assertEqual(r.rc, 0, r)
        hl.run(('stats',), home=home)  # the WAL checkpointed and gone
        t.fill(80)
        r = hl.run(('ocr', 'run', '--quiet'), home=home)
        self.one_line(r)
        self.whole(home)
        t.unfill()
        r = hl.run(('ocr', 'run', '--quiet'), home=home)
        self.assertIn(r.rc, (0, 3), r)  # 3: some pages failed (noise has no text)
        st = hl.run(('ocr', 'status', '--json'), home=home)
        self.assertEqual(st.rc, 0, st)
        self.assertEqual(json.loads(st.out)['pending'], 0, st.out)
        self.whole(home)

    def test_exchange(self):
        """The hub's disk is full when a commune sends it documents: the commune's status names
        the full disk, the messages wait in its outbox; once the hub has space, every message
        is applied, once."""
        hub, a = hlnodes.Node('22'), hlnodes.Node('06652')
        self.addCleanup(a.cleanup)
        self.addCleanup(hub.cleanup)
        t = self.tmpfs(16384)
        # the hub's data directory on the tmpfs (before its server starts)
        shutil.copytree(hub.h.home, t.path('home'))
        hub.h.home = t.path('home')
        hub.log_path = t.path('serve.log')
        for n, (send, recv) in ((hub, (hlnodes.HUB_SEND, hlnodes.HUB_RECV)),
                                (a, (hlnodes.COMMUNE_SEND, hlnodes.COMMUNE_RECV))):
            hub.ok('node', 'enrol', n.unit, '--url', n.url, '--key', n.key, '--may-send', send,
                   '--may-receive', recv)
        hub.start()
        self.addCleanup(hub.kill)
        hlnodes.publish(hub, [a])
        docs = hlnodes.ingest_docs(a, 'HAPHONG', 'HS01', 3, 80, seed=80)
        hub.h.run('stats')
        t.fill(0)
        for did, _, _ in docs:
            a.ok('send', did, '--to', '22')
        a.start()
        st = hlnodes.wait_for(
            lambda: next((p for p in a.json('exchange', 'status')['peers']
                          if p['peer'] == '22' and p['last_error']), None),
            60, "the hub's refusal in the commune's status")
        a.stop()
        self.assertRegex(st['last_error'], FULL)
        self.assertIn('HTTP 507', st['last_error'])  # not 500: the hub is not broken
        self.assertEqual(st['waiting'], 3, st)
        self.assertEqual(hub.applied(), [], 'nothing applied on a full disk')
        t.unfill()
        a.start()
        hlnodes.wait_for(lambda: a.outbox_waiting() == 0 and len(hub.applied('06652')) == 3,
                         120, 'the messages applied once space is back')
        self.assertEqual([x[0] for x in hub.applied()], ['06652'] * 3)
        for did, _, sha in docs:
            self.assertEqual(hub.json('show', did)['files'][0]['sha256'], sha)
        a.stop()
        self.assertEqual(hub.stop(), 0, hub.log()[-2000:])
        self.whole(hub.h.home)

    def test_ingest_job(self):
        """An ingest sent to a server whose disk is full: refused at once with 507 naming the
        full disk (no job started that could not be kept); once space is back, the same
        request makes a job that finishes, and the job survives a restart."""
        t = self.tmpfs(65536)  # the units register takes some MiB
        home = t.path('home')
        for args, inp in ((('init',), None), (('units', 'load', '--quiet'), None),
                          (('user', 'add', 'admin', '--role', 'admin', '--unit', '22'),
                           (PASSWORD + '\n').encode())):
            r = hl.run(args, home=home, input=inp)
            self.assertEqual(r.rc, 0, r)
        token = hl.run(('user', 'token', 'admin'), home=home).out.strip().splitlines()[-1]
        m = text_manifest(os.path.join(tempfile.gettempdir(), f'faults-{os.getpid()}.csv'), 50)
        self.addCleanup(os.unlink, m)
        with open(m, 'rb') as f:
            body = f.read()
        srv = Server(home).start()
        self.addCleanup(srv.kill)
        t.fill(0)
        r = srv.client(token).call('POST', '/api/v1/ingest', body,
                                   headers={'Content-Type': 'text/csv'})
        self.assertEqual(r.status, 507, r)
        self.assertEqual(r.json()['error']['code'], 'insufficient_storage')
        self.assertIn('disk is full', r.json()['error']['message'])
        self.assertNotIn(home, r.text())  # paths stay in the log
        t.unfill()
        r = srv.client(token).call('POST', '/api/v1/ingest', body,
                                   headers={'Content-Type': 'text/csv'})
        self.assertEqual(r.status, 202, r)
        jid = r.json()['job']['id']
        j = hlnodes.wait_for(lambda: (lambda x: x if x['state'] != 'running' else None)(
            srv.client(token).get(f'/api/v1/jobs/{jid}').json()), 300, 'the job')
        self.assertEqual((j['state'], j['result']['inserted']), ('done', 50), j)
        self.assertEqual(srv.stop(), 0, srv.log()[-2000:])
        srv = Server(home).start()
        self.addCleanup(srv.kill)
        self.assertEqual(srv.client(token).get(f'/api/v1/jobs/{jid}').json(), j)
        self.assertEqual(srv.stop(), 0, srv.log()[-2000:])
        self.whole(home)

    def test_backup(self):
        node = hl.Home()
        self.addCleanup(node.cleanup)
        rows = scans(node.path('files'), 30)
        m = hl.write_csv(node.path('m.csv'), MANIFEST, rows)
        self.assertEqual(node.run('ingest', m, '--files', node.path('files')).rc, 0)
        t = self.tmpfs(2048)  # the target: smaller than the node's 30 scans
        target = t.path('target')
        r = node.run('backup', '--to', target)
        self.one_line(r)
        # no backup is listed but a whole one: the failed one is named .partial at most
        r = node.run('backup', 'list', target, '--json')
        self.assertEqual(r.rc, 0, r)
        self.assertNotIn('halong-backup-', r.out.replace('.partial', '#'), r.out)
        self.whole(node.home)
        t.grow(32768)
        r = node.run('backup', '--to', target, '--json')
        self.assertEqual(r.rc, 0, r)
        name = json.loads(r.out)['backup']
        v = node.run('backup', 'verify', os.path.join(target, os.path.basename(name)))
        self.assertEqual(v.rc, 0, v)


def text_manifest(path, n, dossier='HS90'):
    """n rows of law articles' text, no files: an ingest of some seconds."""
    arts = hl.articles()
    rows = [['GIENGDAY', dossier, i + 1, f"{arts[i % len(arts)]['law_title']} ({i + 1})",
             '01/02/2020', 'Công văn', 'internal', arts[i % len(arts)]['text'][:1500]]
            for i in range(n)]
    return hl.write_csv(path, MANIFEST[:8], rows)


class Sigterm(FaultCase):
    ROWS = 20000

    def test_cli_ingest(self):
        """`halong ingest` stopped by SIGTERM while it commits batches: the store is whole
        (the batch in hand rolled back), and a rerun adds exactly the rest."""
        h = hl.Home()
        self.addCleanup(h.cleanup)
        m = text_manifest(h.path('m.csv'), self.ROWS)
        e = dict(os.environ)
        e.pop('HALONG_HOME', None)
        p = subprocess.Popen([hl.BIN, '--home', h.home, 'ingest', m], env=e,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            hlnodes.wait_for(lambda: os.path.exists(os.path.join(h.home, 'halong.db')) and
                             documents(h.home) > 0, 300, 'a first batch committed', 0.01)
        finally:
            p.send_signal(signal.SIGTERM)
            out, err = p.communicate(timeout=120)
        self.assertNotEqual(p.returncode, 0, 'the ingest ended before SIGTERM: more ROWS')
        before = documents(h.home)
        self.assertLess(before, self.ROWS)
        self.whole(h.home)
        r = h.run('ingest', m)
        self.assertEqual(r.rc, 0, r)
        s = r.summary()
        self.assertEqual((s['rows'], s['unchanged'], s['new']),
                         (self.ROWS, before, self.ROWS - before), r)
        self.whole(h.home)

    def test_server_ingest_job(self):
        """A server that gets SIGTERM in the middle of an ingest job stops cleanly (exit 0),
        the job stops at its next safe point and reads `interrupted`; a resume completes."""
        h = hl.Home()
        self.addCleanup(h.cleanup)
        self.assertEqual(h.run('units', 'load', '--quiet').rc, 0)
        r = h.run('user', 'add', 'admin', '--role', 'admin', '--unit', '22',
                  input=(PASSWORD + '\n').encode())
        self.assertEqual(r.rc, 0, r)
        token = h.run('user', 'token', 'admin').out.strip().splitlines()[-1].strip()
        m = text_manifest(h.path('m.csv'), self.ROWS)
        srv = Server(h.home).start()
        self.addCleanup(srv.kill)
        with open(m, 'rb') as f:
            r = srv.client(token).call('POST', '/api/v1/ingest', f.read(),
                                       headers={'Content-Type': 'text/csv'})
        self.assertEqual(r.status, 202, r)
        jid = r.json()['job']['id']
        hlnodes.wait_for(lambda: srv.client(token).get(f'/api/v1/jobs/{jid}').json()['done']
                         > 0, 300, 'the job under way')
        self.assertEqual(srv.stop(timeout=120), 0, srv.log()[-3000:])
        before = documents(h.home)
        self.assertLess(before, self.ROWS, 'the job ended before SIGTERM: more ROWS')
        self.whole(h.home)
        srv = Server(h.home).start()
        self.addCleanup(srv.kill)
        j = srv.client(token).get(f'/api/v1/jobs/{jid}').json()
        self.assertEqual(j['state'], 'interrupted', j)
        self.assertIn('stopped', j['message'])
        self.assertTrue(j['resumable'], j)
        r = srv.client(token).post(f'/api/v1/jobs/{jid}/resume')
        self.assertEqual(r.status, 202, r)
        nid = r.json()['job']['id']
        j = hlnodes.wait_for(lambda: (lambda x: x if x['state'] != 'running' else None)(
            srv.client(token).get(f'/api/v1/jobs/{nid}').json()), 600, 'the resumed job')
        self.assertEqual(j['state'], 'done', j)
        self.assertEqual((j['result']['rows'], j['result']['unchanged']), (self.ROWS, before))
        self.assertEqual(documents(h.home), self.ROWS)
        self.assertEqual(srv.stop(), 0, srv.log()[-3000:])
        self.whole(h.home)


LIBFAKETIME = '/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1'


def behind(hours=1):
    """The environment of a halong whose clock is `hours` behind (Debian's libfaketime,
    preloaded; ASan accepts a library before its runtime with verify_asan_link_order=0)."""
    if not os.path.exists(LIBFAKETIME):
        raise AssertionError(f'{LIBFAKETIME} is missing: apt-get install faketime')
    asan = os.environ.get('ASAN_OPTIONS', '')
    return {'LD_PRELOAD': LIBFAKETIME, 'FAKETIME': f'-{hours}h',
            'FAKETIME_DONT_FAKE_MONOTONIC': '1',
            'ASAN_OPTIONS': (asan + ':' if asan else '') + 'verify_asan_link_order=0'}


def audit_times(home):
    db = sqlite3.connect(f'file:{os.path.join(home, "halong.db")}?mode=ro', uri=True)
    try:
        return db.execute('SELECT at, action, object FROM audit ORDER BY id').fetchall()
    finally:
        db.close()


class ClockBack(FaultCase):
    """The clock jumps back an hour (and forward again)."""

    def test_audit_chain(self):
        h = hl.Home()
        self.addCleanup(h.cleanup)
        self.assertEqual(h.run('units', 'load', '--quiet').rc, 0)
        for name, env in (('u1', None), ('u2', behind()), ('u3', None)):
            r = h.run('user', 'add', name, '--role', 'viewer', '--unit', '22', env=env,
                      input=(PASSWORD + '\n').encode())
            self.assertEqual(r.rc, 0, r)
        m = text_manifest(h.path('m.csv'), 20)
        r = h.run('ingest', m, env=behind())
        self.assertEqual(r.rc, 0, r)
        at = {obj: t for t, action, obj in audit_times(h.home) if action == 'user.add'}
        # the clock was really behind (else this test shows nothing): u2 is an hour "older"
        self.assertLess(at['u2'], at['u1'], at)
        self.assertGreater(at['u3'], at['u2'], at)
        self.whole(h.home)  # audit verify: the chain whole, whatever the times say
        r = h.run('audit', 'verify', env=behind())
        self.assertEqual(r.rc, 0, r)

    def test_sessions(self):
        """A session made before the jump still works after it, and one made an hour "early"
        still works when the clock is right again (sessions last 8 hours)."""
        h = hl.Home()
        self.addCleanup(h.cleanup)
        self.assertEqual(h.run('units', 'load', '--quiet').rc, 0)
        r = h.run('user', 'add', 'admin', '--role', 'admin', '--unit', '22',
                  input=(PASSWORD + '\n').encode())
        self.assertEqual(r.rc, 0, r)
        srv = Server(h.home).start()
        self.addCleanup(srv.kill)
        before = srv.client()
        self.assertEqual(before.login('admin').status, 200)
        self.assertEqual(srv.stop(), 0, srv.log()[-2000:])
        srv = Server(h.home, env=behind()).start()
        self.addCleanup(srv.kill)
        c = srv.client()
        c.cookie, c.csrf = before.cookie, before.csrf
        r = c.get('/api/v1/me')
        self.assertEqual(r.status, 200, r)
        self.assertEqual((r.json()['user'] or {}).get('username'), 'admin', r)
        early = srv.client()
        self.assertEqual(early.login('admin').status, 200)
        self.assertEqual(srv.stop(), 0, srv.log()[-2000:])
        logins = [t for t, action, _ in audit_times(h.home) if action == 'login']
        self.assertLess(logins[1], logins[0], 'the server\'s clock was not behind')
        srv = Server(h.home).start()
        self.addCleanup(srv.kill)
        for cl in (before, early):
            c = srv.client()
            c.cookie, c.csrf = cl.cookie, cl.csrf
            r = c.get('/api/v1/me')
            self.assertEqual((r.status, (r.json()['user'] or {}).get('username')), (200, 'admin'),
                             r)
        self.assertEqual(srv.stop(), 0, srv.log()[-2000:])
        self.whole(h.home)

    def test_exchange(self):
        """A commune whose clock is an hour behind: the hub refuses its messages with the
        reason (clock-skew) in the commune's status, they wait in its outbox (nothing lost,
        nothing applied); once the clock is right they are applied in order, once each. An
        envelope made an hour ago and posted now is refused (replay protection holds)."""
        hub, a = hlnodes.network(('22', '06652'))
        self.addCleanup(a.cleanup)
        self.addCleanup(hub.cleanup)
        ids = []
        for n in (1, 2):
            f = hlnodes.tmpfile(json.dumps({'ky_bao_cao': '2025-11', 'so': n,
                                            'noi_dung': 'Báo cáo tiến độ'},
                                           ensure_ascii=False).encode('utf-8'))
            ids.append(json.loads(a.ok('send', 'report', f, '--to', '22', '--json',
                                       env=behind()).out)['id'])
        a.start(env=behind())
        st = hlnodes.wait_for(
            lambda: next((p for p in a.json('exchange', 'status')['peers']
                          if p['peer'] == '22' and p['last_error']), None),
            60, "the hub's refusal in the commune's status")
        a.stop()
        self.assertIn('clock-skew', st['last_error'])
        self.assertIn('3600 s behind', st['last_error'])  # the reason, with the figure
        self.assertEqual(st['waiting'], 2, st)
        self.assertEqual(hub.applied(), [])
        self.assertEqual(hub.rejects()[0]['reason'], 'clock-skew')
        # the envelope of an hour ago, posted now: a replay, refused
        env = a.ok('send', 'envelope', ids[0], env=behind()).out.strip()
        r = hub.request('POST', '/api/v1/exchange/inbox', env,
                        {'Content-Type': 'application/json'})
        self.assertEqual((r.status, r.json()['error']['reason']), (422, 'clock-skew'), r)
        # the clock right again: a third report, and every one applied in order, once
        f = hlnodes.tmpfile(json.dumps({'ky_bao_cao': '2025-11', 'so': 3, 'noi_dung': 'Báo cáo'},
                                       ensure_ascii=False).encode('utf-8'))
        ids.append(json.loads(a.ok('send', 'report', f, '--to', '22', '--json').out)['id'])
        a.start()
        hlnodes.wait_for(lambda: a.outbox_waiting() == 0 and len(hub.applied('06652')) == 3,
                         120, 'the reports applied once the clock is right')
        applied = hub.applied('06652')
        self.assertEqual([x[1] for x in applied], sorted(x[1] for x in applied))
        self.assertEqual([x[3] for x in applied], ids)
        a.stop()
        self.assertEqual(hub.stop(), 0, hub.log()[-2000:])
        self.whole(hub.h.home)
        self.whole(a.h.home)


if __name__ == '__main__':
    unittest.main()
