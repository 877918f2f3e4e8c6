"""Backup and restore (issue 15): a node with documents, users, an identity and its audit chain
is backed up while it runs, the backup verifies, restores into a new folder where `verify`,
`audit verify` and the same searches answer as on the node; a second backup copies no blob again;
every kind of damage (a blob, the store, the manifest, a missing file, a manifest edited and
re-hashed but not re-signed, a signature by another node's key, a file or a folder replaced by a
symbolic link) is refused by `backup verify` and by `restore`, naming the file and the kind;
restore never writes into a folder that is not empty, and over a node (--force) only when no
process has it open, keeping what it replaces. Then: two targets on separate media (and the
warnings when they are not), the `backups` readiness check (age, read from the manifests),
retention (grandfather-father-son), and encrypted backups."""
import datetime
import glob
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
import unittest

import hl
import hlserve

# Nothing of the runner's own environment decides where backups go or whether they are encrypted.
for _v in ('HALONG_BACKUP_TARGETS', 'HALONG_BACKUP_KEY_FILE', 'HALONG_BACKUP_MAX_AGE_HOURS',
           'HALONG_BACKUP_KEEP_DAILY', 'HALONG_BACKUP_KEEP_WEEKLY', 'HALONG_BACKUP_KEEP_MONTHLY'):
    os.environ.pop(_v, None)

ROWS = [
    ('QN', 'HS-01', '1', 'Quyết định về giá lúa gạo vụ đông xuân', 'public', 'a.png'),
    ('QN', 'HS-01', '2', 'Công văn tu bổ đê điều xã Tân Lập', 'public', 'b.png'),
    ('QN', 'HS-02', '1', 'Báo cáo phòng chống bão lụt', 'internal', 'c.png'),
    ('QN', 'HS-02', '2', 'Tờ trình về giá lúa và phân bón', 'public', 'd.png'),
]
COLS = ['fonds_code', 'dossier_code', 'doc_ordinal', 'subject', 'access_level', 'files']
WORDS = ['lúa', 'đê điều', 'bão', 'phân bón']
PASSWORD = b'mat-khau-rat-dai-2025\n'


def flip(path, at=None):
    with open(path, 'r+b') as f:
        data = bytearray(f.read())
        i = len(data) // 2 if at is None else at
        data[i] ^= 0x01
        f.seek(0)
        f.write(data)


def make_node(tag):
    """Another node with an identity (its own key) and one document."""
    h = hl.Home()
    for args in (('units', 'load', '--quiet'),
                 ('node', 'init', '--unit', '22', '--url', 'http://127.0.0.1:9')):
        r = h.run(*args)
        assert r.rc == 0, r
    scans = h.path('scans')
    hl.write_bytes(os.path.join(scans, 'z.png'), hl.png(24, 16, 200))
    m = hl.write_csv(h.path('m.csv'), COLS,
                     [['QN', 'HS-Z', '1', f'Văn bản của nút {tag}', 'public', 'z.png']])
    r = h.run('ingest', m, '--files', scans)
    assert r.rc == 0, r
    return h


def snapshots(node):
    return sorted(glob.glob(node.rstrip('/') + '.before-restore-*'))


class BackupTest(unittest.TestCase):

    @classmethod
    def ok(cls, *args, **kw):
        r = cls.h.run(*args, **kw)
        assert r.rc == 0, r
        return r

    @classmethod
    def setUpClass(cls):
        cls.h = hl.Home()
        cls.ok('units', 'load', '--quiet')
        cls.ok('node', 'init', '--unit', '22', '--url', 'http://127.0.0.1:9')
        scans = cls.h.path('scans')
        for i, row in enumerate(ROWS):
            hl.write_bytes(os.path.join(scans, row[-1]), hl.png(24, 16, 70 + i))
        m = hl.write_csv(cls.h.path('m.csv'), COLS, [list(r) for r in ROWS])
        cls.ok('ingest', m, '--files', scans)
        cls.ok('user', 'add', 'an.viewer', '--role', 'viewer', '--unit', '22', input=PASSWORD)
        cls.ok('user', 'add', 'binh.admin', '--role', 'admin', '--unit', '22', input=PASSWORD)
        cls.target = cls.h.path('target')
        r = cls.ok('backup', '--to', cls.target, '--json')
        cls.first = json.loads(r.out)
        cls.bdir = os.path.join(cls.target, cls.first['backup'])

    @classmethod
    def tearDownClass(cls):
        cls.h.cleanup()

    def first_blob_sha(self):
        with open(os.path.join(self.bdir, 'manifest.json'), encoding='utf-8') as f:
            return json.load(f)['blobs'][0]['sha256']

    def copy_backup(self, name):
        """A copy of the first backup in a target of its own (with its blobs) to damage."""
        t = self.h.path('damaged-' + name)
        shutil.copytree(self.target, t)
        return os.path.join(t, self.first['backup'])

    def refused(self, bdir, file, kind):
        r = hl.run(('backup', 'verify', bdir))
        self.assertEqual(r.rc, 1, r)
        self.assertIn(f'{file}: {kind}', r.err)
        r = hl.run(('backup', 'verify', bdir, '--json'))
        self.assertEqual(r.rc, 1, r)
        got = json.loads(r.out)
        self.assertFalse(got['ok'])
        self.assertIn((file, kind), [(p['file'], p['problem']) for p in got['problems']])
        home = self.h.path('restore-' + os.path.basename(os.path.dirname(bdir)))
        r = hl.run(('restore', bdir, '--home', home))
        self.assertEqual(r.rc, 1, r)
        self.assertIn(f'{file}: {kind}', r.err)
        self.assertIn('nothing restored', r.err)
        self.assertFalse(os.path.exists(home))

    def test_1_backup_verify_restore(self):
        self.assertEqual(self.first['documents'], len(ROWS))
        self.assertEqual(self.first['blobs'], len(ROWS))
        self.assertEqual(self.first['blobs_copied'], len(ROWS))
        self.assertTrue(self.first['signed'])
        with open(os.path.join(self.bdir, 'manifest.json'), encoding='utf-8') as f:
            m = json.load(f)
        self.assertEqual(m['counts']['documents'], len(ROWS))
        self.assertTrue(m['signed'])
        self.assertGreater(m['schema_version'], 0)
        paths = {f['path']: f for f in m['files']}
        self.assertEqual(set(paths), {'store.db', 'keys/node.key', 'halong.conf'})
        for p, f in paths.items():
            self.assertEqual(hl.sha256_file(os.path.join(self.bdir, p)), f['sha256'])
        self.assertEqual(os.stat(os.path.join(self.bdir, 'keys', 'node.key')).st_mode & 0o777,
                         0o600)
        self.assertFalse(os.path.exists(os.path.join(self.bdir, 'index')))
        for b in m['blobs']:
            self.assertEqual(hl.sha256_file(hl.blob_path(self.target, b['sha256'])),
                             b['sha256'])

        r = hl.run(('backup', 'verify', self.bdir))
        self.assertEqual(r.rc, 0, r)
        self.assertIn('OK', r.out)
        self.assertIn('signature valid', r.out)
        # a record's file on the target (often a shared disk): for the backup's owner alone
        blob = hl.blob_path(self.target, self.first_blob_sha())
        self.assertEqual(os.stat(blob).st_mode & 0o777, 0o600)
        self.assertEqual(os.stat(os.path.dirname(blob)).st_mode & 0o777, 0o700)
        self.assertEqual(os.stat(os.path.join(self.target, 'blobs')).st_mode & 0o777, 0o700)
        r = hl.run(('backup', 'list', self.target, '--json'))
        self.assertEqual(r.rc, 0, r)
        self.assertIn(self.first['backup'], [b['backup'] for b in json.loads(r.out)['backups']])

        home2 = self.h.path('restored')
        r = hl.run(('restore', self.bdir, '--home', home2))
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(hl.run(('verify',), home=home2).rc, 0)
        r = hl.run(('audit', 'verify', '--offline'), home=home2)
        self.assertEqual(r.rc, 0, r)
        self.assertIn('chain whole', r.out)
        for w in WORDS:
            a = self.h.search(w)
            b = [json.loads(l) for l in hl.run(('search', w, '--json'), home=home2)
                 .out.splitlines() if l.strip()]
            self.assertTrue(a, w)
            self.assertEqual([x['id'] for x in a], [x['id'] for x in b], w)
        self.assertEqual(self.h.stats()['documents'], json.loads(
            hl.run(('stats', '--json'), home=home2).out)['documents'])
        r = hl.run(('user', 'list'), home=home2)
        self.assertIn('an.viewer', r.out + r.err)
        # the restored node still signs as the node it was
        r = hl.run(('node', 'show'), home=home2)
        self.assertEqual(r.rc, 0, r)

    def test_2_a_second_backup_copies_no_blob(self):
        r = self.ok('backup', '--to', self.target, '--json')
        second = json.loads(r.out)
        self.assertNotEqual(second['backup'], self.first['backup'])
        self.assertEqual(second['blobs_copied'], 0)
        self.assertEqual(second['blobs_present'], len(ROWS))
        self.assertEqual(second['bytes_copied'], 0)
        r = hl.run(('backup', 'verify', os.path.join(self.target, second['backup'])))
        self.assertEqual(r.rc, 0, r)
        # a new document: only its blob is copied
        scans = self.h.path('scans2')
        hl.write_bytes(os.path.join(scans, 'e.png'), hl.png(24, 16, 99))
        m = hl.write_csv(self.h.path('m2.csv'), COLS,
                         [['QN', 'HS-03', '1', 'Kế hoạch thủy lợi', 'public', 'e.png']])
        self.ok('ingest', m, '--files', scans)
        third = json.loads(self.ok('backup', '--to', self.target, '--json').out)
        self.assertEqual((third['blobs_copied'], third['blobs_present']), (1, len(ROWS)))

    def test_2b_a_blob_damaged_on_the_target(self):
        """A blob the last backup listed is kept unread when its size matches (an incremental
        backup reads only what changed): the damage is found by verify, and `backup --rehash`
        reads every blob and replaces the damaged one."""
        t = self.h.path('target-rehash')
        first = json.loads(self.ok('backup', '--to', t, '--json').out)
        sha = self.first_blob_sha()
        flip(hl.blob_path(t, sha))
        second = json.loads(self.ok('backup', '--to', t, '--json').out)
        self.assertEqual(second['blobs_copied'], 0)
        r = hl.run(('backup', 'verify', os.path.join(t, second['backup'])))
        self.assertEqual(r.rc, 1, r)
        self.assertIn(f'blobs/{sha[:2]}/{sha[2:]}: hash', r.err)
        third = json.loads(self.ok('backup', '--to', t, '--rehash', '--json').out)
        self.assertEqual(third['blobs_copied'], 1)
        for b in (first, second, third):
            r = hl.run(('backup', 'verify', os.path.join(t, b['backup'])))
            self.assertEqual(r.rc, 0, r)

    def test_3_a_flipped_blob(self):
        bdir = self.copy_backup('blob')
        with open(os.path.join(bdir, 'manifest.json'), encoding='utf-8') as f:
            sha = json.load(f)['blobs'][0]['sha256']
        flip(hl.blob_path(os.path.dirname(bdir), sha))
        self.refused(bdir, f'blobs/{sha[:2]}/{sha[2:]}', 'hash')

    def test_4_a_flipped_store(self):
        bdir = self.copy_backup('store')
        flip(os.path.join(bdir, 'store.db'), at=5000)
        self.refused(bdir, 'store.db', 'hash')

    def test_5_a_flipped_manifest(self):
        bdir = self.copy_backup('manifest')
        p = os.path.join(bdir, 'manifest.json')
        with open(p, 'rb') as f:
            data = f.read()
        # a count changed by one digit: still JSON, no longer what was signed
        i = data.index(b'"documents": ') + len(b'"documents": ')
        flip(p, at=i)
        self.refused(bdir, 'manifest.sig', 'signature')

    def test_6_a_missing_file(self):
        bdir = self.copy_backup('missing')
        os.unlink(os.path.join(bdir, 'halong.conf'))
        self.refused(bdir, 'halong.conf', 'missing')

    def test_6b_a_file_replaced_by_a_link(self):
        """A file of the backup replaced by a symbolic link to a file outside with the same
        bytes: verify and restore refuse it (they would read outside the backup)."""
        bdir = self.copy_backup('link')
        p = os.path.join(bdir, 'halong.conf')
        outside = self.h.path('outside.conf')
        shutil.copyfile(p, outside)
        os.unlink(p)
        os.symlink(outside, p)
        self.refused(bdir, 'halong.conf', 'link')

    def test_7_edited_rehashed_not_resigned(self):
        bdir = self.copy_backup('resign')
        p = os.path.join(bdir, 'manifest.json')
        with open(os.path.join(bdir, 'halong.conf'), 'a') as f:
            f.write('unit_code = 99\n')
        with open(p, encoding='utf-8') as f:
            m = json.load(f)
        for e in m['files']:
            if e['path'] == 'halong.conf':
                e['sha256'] = hl.sha256_file(os.path.join(bdir, 'halong.conf'))
                e['size'] = os.path.getsize(os.path.join(bdir, 'halong.conf'))
        with open(p, 'w', encoding='utf-8') as f:
            json.dump(m, f, indent=2, ensure_ascii=False)
        self.refused(bdir, 'manifest.sig', 'signature')
        # nor does saying it is unsigned pass, with the node's key in the backup
        m['signed'] = False
        with open(p, 'w', encoding='utf-8') as f:
            json.dump(m, f, indent=2, ensure_ascii=False)
        self.refused(bdir, 'manifest.json', 'signature')

    def test_8_restore_into_a_folder_not_empty(self):
        home = self.h.path('busy')
        os.makedirs(home)
        with open(os.path.join(home, 'keep.txt'), 'w') as f:
            f.write('mine\n')
        r = hl.run(('restore', self.bdir, '--home', home))
        self.assertEqual(r.rc, 1, r)
        self.assertIn('not empty', r.err)
        self.assertEqual(os.listdir(home), ['keep.txt'])
        # an empty folder is fine; nothing is left beside it
        empty = self.h.path('empty')
        os.makedirs(empty)
        r = hl.run(('restore', self.bdir + '/', '--home', empty + '/'))
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(hl.run(('verify',), home=empty).rc, 0)
        self.assertEqual([n for n in os.listdir(self.h.tmp) if 'restoring' in n], [])
        # nor over a running node's own data directory
        r = hl.run(('restore', self.bdir, '--home', self.h.home))
        self.assertEqual(r.rc, 1, r)

    def test_6c_a_folder_replaced_by_a_link(self):
        """keys/ of the backup replaced by a symbolic link to a folder outside holding the same
        key: never followed (only files were checked before), for verify and restore; nor a
        blob folder of the target."""
        bdir = self.copy_backup('keysdir')
        outside = self.h.path('outside-keys')
        shutil.move(os.path.join(bdir, 'keys'), outside)
        os.symlink(outside, os.path.join(bdir, 'keys'))
        self.refused(bdir, 'keys/node.key', 'link')
        bdir = self.copy_backup('blobdir')
        sha = self.first_blob_sha()
        sub = os.path.join(os.path.dirname(bdir), 'blobs', sha[:2])
        outside = self.h.path('outside-blobs-' + sha[:2])
        shutil.move(sub, outside)
        os.symlink(outside, sub)
        self.refused(bdir, f'blobs/{sha[:2]}/{sha[2:]}', 'link')

    def test_7b_signed_by_another_node(self):
        """The signature is checked against the target's own record of the node key
        (TARGET/node.pub, written by its first backup), not against the key inside the
        backup: another node's whole, self-consistent backup put in this target is refused,
        and so is this node's manifest carrying another node's signature."""
        other = make_node('khac')
        try:
            t_other = other.path('target')
            r = other.run('backup', '--to', t_other, '--json')
            self.assertEqual(r.rc, 0, r)
            b_other = os.path.join(t_other, json.loads(r.out)['backup'])
            # whole in its own target
            self.assertEqual(hl.run(('backup', 'verify', b_other)).rc, 0)
            # put in this node's target (with its blobs): made by another key
            t = self.h.path('mixed-target')
            shutil.copytree(self.target, t)
            for f in glob.glob(os.path.join(t_other, 'blobs', '*', '*')):
                dst = os.path.join(t, os.path.relpath(f, t_other))
                os.makedirs(os.path.dirname(dst), exist_ok=True)
                shutil.copyfile(f, dst)
            moved = os.path.join(t, 'halong-backup-29990101T000000Z')
            shutil.copytree(b_other, moved)
            self.refused(moved, 'manifest.sig', 'signature')
            # this node's manifest with the other node's signature
            bdir = self.copy_backup('othersig')
            shutil.copyfile(os.path.join(b_other, 'manifest.sig'),
                            os.path.join(bdir, 'manifest.sig'))
            self.refused(bdir, 'manifest.sig', 'signature')
            # the other node cannot back up into this node's target
            r = other.run('backup', '--to', self.target)
            self.assertEqual(r.rc, 1, r)
            self.assertIn('another node key', r.err)
            self.assertIn('node.pub', r.err)
        finally:
            other.cleanup()

    def test_7c_expect_key(self):
        """--expect-key: the node's public key (as `node show` prints it), a file holding it,
        or the node's data directory, instead of the target's node.pub; a target without
        node.pub and no expected key is a problem named node.pub."""
        pk = json.loads(self.ok('node', 'show', '--json').out)['public_key']
        bdir = self.copy_backup('expect')
        t = os.path.dirname(bdir)
        with open(os.path.join(t, 'node.pub'), encoding='utf-8') as f:
            self.assertEqual(f.read().strip(), pk)
        os.unlink(os.path.join(t, 'node.pub'))
        r = hl.run(('backup', 'verify', bdir))
        self.assertEqual(r.rc, 1, r)
        self.assertIn('node.pub: missing', r.err)
        keyfile = self.h.path('expected.pub')
        with open(keyfile, 'w') as f:
            f.write(pk + '\n')
        for given in (pk, keyfile, self.h.home):
            r = hl.run(('backup', 'verify', bdir, '--expect-key', given))
            self.assertEqual(r.rc, 0, (given, r))
            self.assertIn('signature valid', r.out)
        other = make_node('expect-other')
        try:
            opk = json.loads(other.run('node', 'show', '--json').out)['public_key']
        finally:
            other.cleanup()
        r = hl.run(('backup', 'verify', bdir, '--expect-key', opk))
        self.assertEqual(r.rc, 1, r)
        self.assertIn('manifest.sig: signature', r.err)
        r = hl.run(('restore', bdir, '--home', self.h.path('nope'), '--expect-key', opk))
        self.assertEqual(r.rc, 1, r)
        self.assertIn('manifest.sig: signature', r.err)
        r = hl.run(('backup', 'verify', bdir, '--expect-key', 'not-a-key'))
        self.assertEqual(r.rc, 1, r)
        self.assertIn('not-a-key', r.err)

    def test_8b_restore_over_a_node(self):
        """restore --force over a node's data directory: refused while `halong serve` has it
        open; a damaged backup leaves it as it was; otherwise the node becomes the backup and
        what it was is kept whole in DIR.before-restore-<UTC time>."""
        node = self.h.path('over')
        self.assertEqual(hl.run(('restore', self.bdir, '--home', node)).rc, 0)
        # the node moves on after the backup: one more document
        scans = self.h.path('scans-over')
        hl.write_bytes(os.path.join(scans, 'o.png'), hl.png(24, 16, 7))
        m = hl.write_csv(self.h.path('over.csv'), COLS,
                         [['QN', 'HS-09', '1', 'Văn bản sau sao lưu', 'public', 'o.png']])
        self.assertEqual(hl.run(('ingest', m, '--files', scans), home=node).rc, 0)
        after = json.loads(hl.run(('stats', '--json'), home=node).out)['documents']
        self.assertEqual(after, self.first['documents'] + 1)

        r = hl.run(('restore', self.bdir, '--home', node))
        self.assertEqual(r.rc, 1, r)
        self.assertIn('--force', r.err)
        # a folder that is not a node
        junk = self.h.path('junk')
        os.makedirs(junk)
        hl.write_bytes(os.path.join(junk, 'x'), b'x')
        r = hl.run(('restore', self.bdir, '--home', junk, '--force'))
        self.assertEqual(r.rc, 1, r)
        self.assertIn('holds no halong.db', r.err)

        s = hlserve.Server(node).start()
        try:
            r = hl.run(('restore', self.bdir, '--home', node, '--force'))
            self.assertEqual(r.rc, 1, r)
            self.assertIn('in use', r.err)
        finally:
            self.assertEqual(s.stop(), 0)
        self.assertEqual(snapshots(node), [])

        bad = self.copy_backup('force-bad')
        flip(os.path.join(bad, 'store.db'), at=5000)
        r = hl.run(('restore', bad, '--home', node, '--force'))
        self.assertEqual(r.rc, 1, r)
        self.assertIn('store.db: hash', r.err)
        self.assertEqual(snapshots(node), [])
        self.assertEqual(json.loads(hl.run(('stats', '--json'), home=node).out)['documents'],
                         after)

        r = hl.run(('restore', self.bdir, '--home', node, '--force'))
        self.assertEqual(r.rc, 0, r)
        snaps = snapshots(node)
        self.assertEqual(len(snaps), 1, snaps)
        self.assertIn(snaps[0], r.out)
        self.assertRegex(os.path.basename(snaps[0]), r'^over\.before-restore-\d{8}T\d{6}Z$')
        self.assertEqual(json.loads(hl.run(('stats', '--json'), home=node).out)['documents'],
                         self.first['documents'])
        self.assertEqual(hl.run(('verify',), home=node).rc, 0)
        # the snapshot is the node as it was, whole
        self.assertEqual(json.loads(hl.run(('stats', '--json'),
                                           home=snaps[0]).out)['documents'], after)
        self.assertEqual(hl.run(('verify',), home=snaps[0]).rc, 0)

    def test_9_backup_while_an_ingest_writes(self):
        """Backups taken while another process ingests are each one committed state: whole
        SQLite files whose blobs are all there, that verify and count what they hold."""
        scans = self.h.path('scans-busy')
        rows = []
        for i in range(400):
            name = f'p{i}.png'
            hl.write_bytes(os.path.join(scans, name), hl.png(8, 8, 1000 + i))
            rows.append(['QN', f'HS-B{i // 50}', str(i % 50 + 1), f'Văn bản số {i}', 'public',
                         name])
        m = hl.write_csv(self.h.path('busy.csv'), COLS, rows)
        t = self.h.path('target-busy')
        base = self.h.stats()['documents']
        p = subprocess.Popen([hl.BIN, '--home', self.h.home, 'ingest', m, '--files', scans,
                              '--batch', '10'],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        names = []
        try:
            while p.poll() is None and len(names) < 40:
                names.append(json.loads(self.ok('backup', '--to', t, '--json').out)['backup'])
        finally:
            self.assertEqual(p.wait(timeout=120), 0)
        names.append(json.loads(self.ok('backup', '--to', t, '--json').out)['backup'])
        counts = []
        for n in names:
            bdir = os.path.join(t, n)
            r = hl.run(('backup', 'verify', bdir))
            self.assertEqual(r.rc, 0, r)
            with open(os.path.join(bdir, 'manifest.json'), encoding='utf-8') as f:
                man = json.load(f)
            db = sqlite3.connect(f'file:{bdir}/store.db?mode=ro', uri=True)
            try:
                self.assertEqual(db.execute('PRAGMA integrity_check').fetchone()[0], 'ok')
                self.assertEqual(db.execute('SELECT count(*) FROM document').fetchone()[0],
                                 man['counts']['documents'])
                counts.append(man['counts']['documents'])
                self.assertEqual(db.execute('SELECT count(*) FROM blob').fetchone()[0],
                                 len(man['blobs']))
            finally:
                db.close()
        self.assertEqual(man['counts']['documents'], self.h.stats()['documents'])
        # some backups were taken in the middle of the ingest
        self.assertTrue(any(base < c < base + 400 for c in counts), counts)



class OtherMedium:
    """A folder on another file system than the test's temporary folder: /dev/shm when it is
    one (a tmpfs), else a small tmpfs mounted for the test (CI runs as root). Neither: the test
    fails, it is not skipped."""

    def __init__(self):
        self.mounted = None
        base = tempfile.gettempdir()
        if os.path.isdir('/dev/shm') and os.stat('/dev/shm').st_dev != os.stat(base).st_dev:
            self.path = tempfile.mkdtemp(prefix='halong-e2e-medium-', dir='/dev/shm')
            return
        self.path = tempfile.mkdtemp(prefix='halong-e2e-medium-')
        r = subprocess.run(['mount', '-t', 'tmpfs', '-o', 'size=64m', 'tmpfs', self.path],
                           capture_output=True)
        if r.returncode != 0:
            raise AssertionError(f'no second file system for a second backup medium: {r!r}')
        self.mounted = self.path

    def cleanup(self):
        if self.mounted:
            subprocess.run(['umount', self.mounted])
        shutil.rmtree(self.path, ignore_errors=True)


def doctor(h, env):
    r = h.run('doctor', '--json', env=env)
    return r, {c['name']: c for c in json.loads(r.out)['checks']}


class TargetsTest(unittest.TestCase):
    """Two targets on separate media (Circular 02/2019/TT-BNV): from HALONG_BACKUP_TARGETS or
    --to given twice, the store copied once and written to each; warnings for one target and for
    two on one file system, by `backup` and by the `backups` check of `doctor`; that check's
    age, read from the newest manifest that parses."""

    @classmethod
    def setUpClass(cls):
        cls.h = make_node('targets')
        cls.medium = OtherMedium()

    @classmethod
    def tearDownClass(cls):
        cls.medium.cleanup()
        cls.h.cleanup()

    def test_1_no_target(self):
        r = self.h.run('backup')
        self.assertEqual(r.rc, 2, r)
        self.assertIn('HALONG_BACKUP_TARGETS', r.err)
        r, by = doctor(self.h, {})
        self.assertIs(by['backups'].get('skipped'), True, by)
        self.assertIn('not configured', by['backups']['reason'])

    def test_2_two_media_from_settings(self):
        a = self.h.path('disk-a')
        b = os.path.join(self.medium.path, 'disk-b')
        env = {'HALONG_BACKUP_TARGETS': f'{a}:{b}'}
        # configured, nothing there yet: failing, naming the target
        r, by = doctor(self.h, env)
        self.assertEqual(r.rc, 1, r)
        self.assertIs(by['backups']['ok'], False, by)
        self.assertIn(a, by['backups']['reason'])
        self.assertIn('no complete backup', by['backups']['reason'])

        r = self.h.run('backup', '--json', env=env)
        self.assertEqual(r.rc, 0, r)
        self.assertNotIn('warning', r.err)
        got = json.loads(r.out)
        self.assertEqual([t['target'] for t in got['targets']], [a, b])
        shas = []
        for t in got['targets']:
            bdir = os.path.join(t['target'], t['backup'])
            self.assertEqual(hl.run(('backup', 'verify', bdir)).rc, 0)
            with open(os.path.join(bdir, 'manifest.json'), encoding='utf-8') as f:
                m = json.load(f)
            shas.append([e['sha256'] for e in m['files'] if e['path'] == 'store.db'][0])
            self.assertEqual(t['blobs_copied'], 1)
        # one copy of the store, the same bytes on both media
        self.assertEqual(shas[0], shas[1])

        r, by = doctor(self.h, env)
        self.assertEqual(r.rc, 0, r)
        self.assertIs(by['backups']['ok'], True, by)
        self.assertNotIn('skipped', by['backups'])
        self.assertIn(a, by['backups']['reason'])
        self.assertIn(b, by['backups']['reason'])
        r = self.h.run('doctor', env=env)
        self.assertTrue(any(l.startswith('✓ backups') for l in r.out.splitlines()), r.out)

        # too old for HALONG_BACKUP_MAX_AGE_HOURS: a copy of the backup dated 30 hours ago
        # stands alone in a target of its own
        old_t = self.h.path('old-target')
        os.makedirs(old_t)
        src = os.path.join(a, got['targets'][0]['backup'])
        when = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(hours=30)
        old = os.path.join(old_t, 'halong-backup-' + when.strftime('%Y%m%dT%H%M%SZ'))
        shutil.copytree(src, old)
        set_created(old, when)
        env_old = {'HALONG_BACKUP_TARGETS': f'{old_t}:{b}'}
        r, by = doctor(self.h, env_old)
        self.assertEqual(r.rc, 1, r)
        self.assertIn(old_t, by['backups']['reason'])
        self.assertIn('30 hours old', by['backups']['reason'])
        self.assertIn('more than 26', by['backups']['reason'])
        r, by = doctor(self.h, dict(env_old, HALONG_BACKUP_MAX_AGE_HOURS='48'))
        self.assertIn('younger than 48 hours', by['backups']['reason'], by)
        r, by = doctor(self.h, dict(env_old, HALONG_BACKUP_MAX_AGE_HOURS='lâu'))
        self.assertIn('HALONG_BACKUP_MAX_AGE_HOURS', by['backups']['reason'], by)
        # a newer folder whose manifest does not parse is not taken for a backup
        junk = os.path.join(old_t, 'halong-backup-29991231T000000Z')
        os.makedirs(junk)
        hl.write_bytes(os.path.join(junk, 'manifest.json'), b'{not json')
        r, by = doctor(self.h, env_old)
        self.assertIn('30 hours old', by['backups']['reason'], by)

    def test_3_to_twice_and_warnings(self):
        a, b = self.h.path('to-a'), os.path.join(self.medium.path, 'to-b')
        r = self.h.run('backup', '--to', a, '--to', b, '--json')
        self.assertEqual(r.rc, 0, r)
        self.assertNotIn('warning', r.err)
        self.assertEqual(len(json.loads(r.out)['targets']), 2)
        # one target: done, with the warning naming the circular
        r = self.h.run('backup', '--to', a)
        self.assertEqual(r.rc, 0, r)
        self.assertIn('warning: only one backup target', r.err)
        self.assertIn('Circular 02/2019/TT-BNV', r.err)
        r, by = doctor(self.h, {'HALONG_BACKUP_TARGETS': a})
        self.assertEqual(r.rc, 1, r)
        self.assertIn('only one backup target', by['backups']['reason'])
        # two on the same file system
        c = self.h.path('to-c')
        r = self.h.run('backup', '--to', a, '--to', c)
        self.assertEqual(r.rc, 0, r)
        self.assertIn('same file system', r.err)
        r, by = doctor(self.h, {'HALONG_BACKUP_TARGETS': f'{a}:{c}'})
        self.assertEqual(r.rc, 1, r)
        self.assertIn('same file system', by['backups']['reason'])
        # the same folder twice is one copy, refused
        r = self.h.run('backup', '--to', a, '--to', a + '/')
        self.assertEqual(r.rc, 1, r)
        self.assertIn('same folder', r.err)


def set_created(bdir, when):
    """Rewrites a backup's created_at (its signature no longer matches: only for what reads
    manifests without verifying them, the readiness check and prune)."""
    p = os.path.join(bdir, 'manifest.json')
    with open(p, encoding='utf-8') as f:
        m = json.load(f)
    m['created_at'] = when.strftime('%Y-%m-%dT%H:%M:%SZ')
    with open(p, 'w', encoding='utf-8') as f:
        json.dump(m, f, indent=2, ensure_ascii=False)
    return m


def gfs(backups, daily, weekly, monthly):
    """The names grandfather-father-son keeps, from (name, datetime): the newest of all, and
    the newest of each of the last N days, ISO weeks and months that have a backup."""
    order = sorted(backups, key=lambda b: (b[1], b[0]), reverse=True)
    keep = {order[0][0]}
    for n, fmt in ((daily, '%Y-%m-%d'), (weekly, '%G-W%V'), (monthly, '%Y-%m')):
        last, kept = None, 0
        for name, t in order:
            if kept >= n:
                break
            k = t.strftime(fmt)
            if k != last:
                last, kept = k, kept + 1
                keep.add(name)
    return keep


class PruneTest(unittest.TestCase):
    """`backup prune`: grandfather-father-son by created_at (UTC), blobs no kept backup refers
    to, --dry-run, never the newest, a backup whose manifest cannot be read neither removed
    nor letting any blob go, `backup --prune`, and the defaults from the settings."""

    @classmethod
    def setUpClass(cls):
        cls.h = make_node('prune')

    @classmethod
    def tearDownClass(cls):
        cls.h.cleanup()

    def target_with_history(self, name):
        """A real backup (today) and, beside it, two backups a day from 1 October to 30
        November 2026 (manifests only: prune reads nothing else), one of 15 October referring
        to a blob of its own, one of 31 October to another."""
        t = self.h.path(name)
        r = self.h.run('backup', '--to', t, '--json')
        self.assertEqual(r.rc, 0, r)
        real = json.loads(r.out)['backup']
        with open(os.path.join(t, real, 'manifest.json'), encoding='utf-8') as f:
            base = json.load(f)
        extra = {}
        for tag in ('oct15', 'oct31'):
            data = f'blob only the {tag} backup has'.encode()
            sha = hashlib.sha256(data).hexdigest()
            hl.write_bytes(hl.blob_path(t, sha), data)
            extra[tag] = sha
        names = [(real, datetime.datetime.strptime(base['created_at'], '%Y-%m-%dT%H:%M:%SZ'))]
        day = datetime.datetime(2026, 10, 1)
        while day < datetime.datetime(2026, 12, 1):
            for hour in (6, 18):
                when = day.replace(hour=hour)
                n = 'halong-backup-' + when.strftime('%Y%m%dT%H%M%SZ')
                m = json.loads(json.dumps(base))
                m['created_at'] = when.strftime('%Y-%m-%dT%H:%M:%SZ')
                if hour == 18 and day.day in (15, 31) and day.month == 10:
                    sha = extra['oct15' if day.day == 15 else 'oct31']
                    m['blobs'].append({'sha256': sha, 'size': 29})
                os.makedirs(os.path.join(t, n))
                with open(os.path.join(t, n, 'manifest.json'), 'w', encoding='utf-8') as f:
                    json.dump(m, f)
                names.append((n, when))
            day += datetime.timedelta(days=1)
        # an orphan blob and a backup that never finished
        hl.write_bytes(hl.blob_path(t, 'ab' * 32), b'nobody refers to me')
        os.makedirs(os.path.join(t, 'halong-backup-20261101T000000Z.partial'))
        return t, real, names, extra

    def test_1_gfs(self):
        t, real, names, extra = self.target_with_history('gfs')
        before = sorted(os.listdir(t))
        keep = ('--keep-daily', '3', '--keep-weekly', '3', '--keep-monthly', '3')
        r = self.h.run('backup', 'prune', '--to', t, *keep, '--dry-run', '--json')
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(sorted(os.listdir(t)), before)  # nothing removed
        dry = json.loads(r.out)['targets'][0]
        self.assertTrue(dry['dry_run'])

        r = self.h.run('backup', 'prune', '--to', t, *keep)
        self.assertEqual(r.rc, 0, r)
        left = sorted(n for n in os.listdir(t) if n.startswith('halong-backup-'))
        expected = gfs(names, 3, 3, 3)
        self.assertEqual(left, sorted(expected))
        # by hand: today's, the evenings of 30 and 29 November (daily; weeks 49 and 48 and
        # November's newest are among them) and of 31 October (monthly)
        self.assertEqual(left, sorted([real, 'halong-backup-20261129T180000Z',
                                       'halong-backup-20261130T180000Z',
                                       'halong-backup-20261031T180000Z']))
        self.assertEqual(dry['removed'], len(names) - 4)
        self.assertEqual(dry['kept'], 4)
        # what it printed: each removed backup, the orphan and the 15 October blob, the partial
        for n, _ in names:
            if n not in expected:
                self.assertIn(f'backup {n}: not kept', r.out)
        orphan = 'blobs/ab/' + 'ab' * 31
        self.assertIn(f'blob {orphan}: no kept backup refers to it', r.out)
        s15, s31 = extra['oct15'], extra['oct31']
        self.assertIn(f'blob blobs/{s15[:2]}/{s15[2:]}', r.out)
        self.assertNotIn(s31, r.out)
        self.assertIn('partial halong-backup-20261101T000000Z.partial', r.out)
        self.assertFalse(os.path.exists(hl.blob_path(t, s15)))
        self.assertFalse(os.path.exists(hl.blob_path(t, 'ab' * 32)))
        self.assertTrue(os.path.exists(hl.blob_path(t, s31)))
        # the real backup still verifies: none of its blobs went
        self.assertEqual(hl.run(('backup', 'verify', os.path.join(t, real))).rc, 0)

    def test_2_never_the_newest(self):
        t, real, names, extra = self.target_with_history('newest')
        r = self.h.run('backup', 'prune', '--to', t, '--keep-daily', '0', '--keep-weekly', '0',
                       '--keep-monthly', '0')
        self.assertEqual(r.rc, 0, r)
        self.assertEqual([n for n in os.listdir(t) if n.startswith('halong-backup-')], [real])
        self.assertEqual(hl.run(('backup', 'verify', os.path.join(t, real))).rc, 0)

    def test_3_unreadable_manifest_keeps_blobs(self):
        t, real, names, extra = self.target_with_history('unreadable')
        bad = os.path.join(t, 'halong-backup-20261005T060000Z', 'manifest.json')
        hl.write_bytes(bad, b'{cut sho')
        r = self.h.run('backup', 'prune', '--to', t, '--keep-daily', '1', '--keep-weekly', '0',
                       '--keep-monthly', '0', '--json')
        self.assertEqual(r.rc, 0, r)
        got = json.loads(r.out)['targets'][0]
        self.assertEqual(got['unreadable'], 1)
        self.assertEqual(got['blobs_removed'], 0)
        self.assertTrue(os.path.exists(bad))
        self.assertTrue(os.path.exists(hl.blob_path(t, 'ab' * 32)))
        self.assertEqual(sorted(n for n in os.listdir(t) if n.startswith('halong-backup-')),
                         sorted([real, 'halong-backup-20261005T060000Z']))

    def test_4_settings_and_backup_prune(self):
        t, real, names, extra = self.target_with_history('settings')
        env = {'HALONG_BACKUP_KEEP_DAILY': '2', 'HALONG_BACKUP_KEEP_WEEKLY': '0',
               'HALONG_BACKUP_KEEP_MONTHLY': '0'}
        r = self.h.run('backup', '--to', t, '--prune', '--json', env=env)
        self.assertEqual(r.rc, 0, r)
        got = json.loads(r.out)
        newest = got['backup']
        left = sorted(n for n in os.listdir(t) if n.startswith('halong-backup-'))
        # today's two (the newest and the day's newest are the same: day 2 is 30 November)
        self.assertIn(newest, left)
        self.assertEqual(len(left), 2 if real[:22] == newest[:22] else 3, left)
        self.assertEqual(got['pruned'][0]['target'], t)
        r = self.h.run('backup', 'prune', '--to', t, env={'HALONG_BACKUP_KEEP_DAILY': 'bảy'})
        self.assertEqual(r.rc, 1, r)
        self.assertIn('HALONG_BACKUP_KEEP_DAILY', r.err)
        r = self.h.run('backup', 'prune', '--to', t, '--keep-weekly', '-1')
        self.assertEqual(r.rc, 2, r)
        self.assertIn('--keep-weekly', r.err)


class EncryptedTest(unittest.TestCase):
    """Backups encrypted with a 32-byte key (libsodium's secretstream XChaCha20-Poly1305):
    nothing of the node in clear on the target; the manifest lists each plaintext SHA-256
    (blobs deduplicated by it) and each ciphertext's; verify checks ciphertexts without the
    key and plaintexts with it; restore needs the key; a wrong key is named."""

    @classmethod
    def setUpClass(cls):
        cls.h = make_node('enc')
        cls.key = cls.h.path('backup.key')
        r = cls.h.run('backup', 'keygen', cls.key)
        assert r.rc == 0, r
        cls.target = cls.h.path('enc-target')
        r = cls.h.run('backup', '--to', cls.target, '--json',
                      env={'HALONG_BACKUP_KEY_FILE': cls.key})
        assert r.rc == 0, r
        cls.first = json.loads(r.out)
        cls.bdir = os.path.join(cls.target, cls.first['backup'])

    @classmethod
    def tearDownClass(cls):
        cls.h.cleanup()

    def manifest(self, bdir=None):
        with open(os.path.join(bdir or self.bdir, 'manifest.json'), encoding='utf-8') as f:
            return json.load(f)

    def copy_backup(self, name):
        t = self.h.path('damaged-' + name)
        shutil.copytree(self.target, t)
        return os.path.join(t, self.first['backup'])

    def test_1_keygen(self):
        self.assertEqual(os.stat(self.key).st_mode & 0o777, 0o600)
        self.assertEqual(os.path.getsize(self.key), 32)
        r = self.h.run('backup', 'keygen', self.key)
        self.assertEqual(r.rc, 1, r)
        self.assertIn('exists', r.err)

    def test_2_nothing_in_clear(self):
        self.assertTrue(self.first['encrypted'])
        m = self.manifest()
        self.assertEqual(m['encryption']['cipher'], 'xchacha20poly1305-secretstream')
        self.assertEqual(sorted(os.listdir(self.bdir)),
                         ['halong.conf.enc', 'keys', 'manifest.json', 'manifest.sig',
                          'store.db.enc'])
        self.assertEqual(os.listdir(os.path.join(self.bdir, 'keys')), ['node.key.enc'])
        with open(os.path.join(self.bdir, 'store.db.enc'), 'rb') as f:
            data = f.read()
        self.assertNotIn(b'SQLite format 3', data)
        self.assertNotIn('Văn bản của nút'.encode(), data)
        for e in m['files']:
            p = os.path.join(self.bdir, e['path'] + '.enc')
            self.assertEqual(hl.sha256_file(p), e['enc_sha256'])
            self.assertEqual(os.path.getsize(p), e['enc_size'])
        for b in m['blobs']:
            p = hl.blob_path(self.target, b['sha256']) + '.enc'
            self.assertEqual(hl.sha256_file(p), b['enc_sha256'])
            self.assertNotEqual(b['enc_sha256'], b['sha256'])
            # the node's own blob, in clear, is not what the target holds
            with open(hl.blob_path(self.h.home, b['sha256']), 'rb') as f:
                plain = f.read()
            with open(p, 'rb') as f:
                self.assertNotIn(plain[8:40], f.read())
        self.assertFalse(os.path.exists(hl.blob_path(self.target, m['blobs'][0]['sha256'])))
        # the plaintext store copy went through the node's tmp/, and is gone
        self.assertEqual(glob.glob(os.path.join(self.h.home, 'tmp', 'backup-store-*')), [])

    def test_3_verify_with_and_without_key(self):
        r = hl.run(('backup', 'verify', self.bdir, '--json'))
        self.assertEqual(r.rc, 0, r)
        got = json.loads(r.out)
        self.assertTrue(got['encrypted'])
        self.assertFalse(got['plaintext_checked'])
        r = hl.run(('backup', 'verify', self.bdir))
        self.assertIn('ciphertext checked', r.out)
        r = hl.run(('backup', 'verify', self.bdir, '--key-file', self.key, '--json'))
        self.assertEqual(r.rc, 0, r)
        self.assertTrue(json.loads(r.out)['plaintext_checked'])

    def test_4_dedupe_by_plaintext_hash(self):
        env = {'HALONG_BACKUP_KEY_FILE': self.key}
        r = self.h.run('backup', '--to', self.target, '--json', env=env)
        self.assertEqual(r.rc, 0, r)
        second = json.loads(r.out)
        self.assertEqual(second['blobs_copied'], 0)
        self.assertEqual(second['blobs_present'], self.first['blobs'])
        # another key on the same target is refused: a target keeps one key
        other = self.h.path('other.key')
        self.assertEqual(self.h.run('backup', 'keygen', other).rc, 0)
        r = self.h.run('backup', '--to', self.target, '--key-file', other)
        self.assertEqual(r.rc, 1, r)
        self.assertIn('another key', r.err)

    def test_5_restore_needs_the_key(self):
        home = self.h.path('enc-restored')
        r = hl.run(('restore', self.bdir, '--home', home))
        self.assertEqual(r.rc, 1, r)
        self.assertIn('is encrypted: give its key', r.err)
        self.assertFalse(os.path.exists(home))
        wrong = self.h.path('wrong.key')
        self.assertEqual(self.h.run('backup', 'keygen', wrong).rc, 0)
        for args in (('restore', self.bdir, '--home', home, '--key-file', wrong),
                     ('backup', 'verify', self.bdir, '--key-file', wrong)):
            r = hl.run(args)
            self.assertEqual(r.rc, 1, r)
            self.assertIn(f'{wrong}: not the key this backup was encrypted with', r.err)
        self.assertFalse(os.path.exists(home))
        # a key readable by others, a file that is not a key
        loose = self.h.path('loose.key')
        shutil.copyfile(self.key, loose)
        os.chmod(loose, 0o644)
        r = hl.run(('restore', self.bdir, '--home', home, '--key-file', loose))
        self.assertEqual(r.rc, 1, r)
        self.assertIn(f'{loose}: the backup key is readable by others', r.err)
        short = self.h.path('short.key')
        hl.write_bytes(short, b'0123456789')
        os.chmod(short, 0o600)
        r = hl.run(('backup', 'verify', self.bdir, '--key-file', short))
        self.assertEqual(r.rc, 1, r)
        self.assertIn(f'{short}: not a backup key', r.err)

        r = hl.run(('restore', self.bdir, '--home', home, '--key-file', self.key))
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(hl.run(('verify',), home=home).rc, 0)
        self.assertEqual(json.loads(hl.run(('stats', '--json'), home=home).out)['documents'],
                         self.h.stats()['documents'])
        r = hl.run(('search', 'nút', '--json'), home=home)
        self.assertIn('Văn bản của nút', r.out)
        self.assertEqual(hl.run(('audit', 'verify', '--offline'), home=home).rc, 0)

    def refused(self, bdir, file, kind, with_key_too=True):
        for extra in ((), ('--key-file', self.key)) if with_key_too else ((),):
            r = hl.run(('backup', 'verify', bdir) + extra)
            self.assertEqual(r.rc, 1, (extra, r))
            self.assertIn(f'{file}: {kind}', r.err)
        home = self.h.path('restore-' + os.path.basename(os.path.dirname(bdir)))
        r = hl.run(('restore', bdir, '--home', home, '--key-file', self.key))
        self.assertEqual(r.rc, 1, r)
        self.assertIn(f'{file}: {kind}', r.err)
        self.assertIn('nothing restored', r.err)
        self.assertFalse(os.path.exists(home))

    def test_6_damage(self):
        """One flipped byte in an encrypted blob, in the encrypted store, in the manifest; a
        missing file: refused with and without the key, naming the stored file."""
        sha = self.manifest()['blobs'][0]['sha256']
        bdir = self.copy_backup('enc-blob')
        flip(hl.blob_path(os.path.dirname(bdir), sha) + '.enc')
        self.refused(bdir, f'blobs/{sha[:2]}/{sha[2:]}.enc', 'hash')
        bdir = self.copy_backup('enc-store')
        flip(os.path.join(bdir, 'store.db.enc'), at=5000)
        self.refused(bdir, 'store.db.enc', 'hash')
        bdir = self.copy_backup('enc-manifest')
        p = os.path.join(bdir, 'manifest.json')
        with open(p, 'rb') as f:
            data = f.read()
        flip(p, at=data.index(b'"documents": ') + len(b'"documents": '))
        self.refused(bdir, 'manifest.sig', 'signature')
        bdir = self.copy_backup('enc-missing')
        os.unlink(os.path.join(bdir, 'keys', 'node.key.enc'))
        self.refused(bdir, 'keys/node.key.enc', 'missing')

    def test_7_reencrypted_with_the_right_hashes(self):
        """A file replaced by another ciphertext whose hashes are put in the manifest (and
        re-signed would need the node key): the signature refuses it; and a ciphertext the
        key cannot open, its hash matching, is a decrypt problem."""
        bdir = self.copy_backup('enc-swap')
        m = self.manifest(bdir)
        # the encrypted halong.conf swapped for a copy of the encrypted node key, the
        # manifest's ciphertext hash updated: ciphertext checks pass, the signature does not
        src = os.path.join(bdir, 'keys', 'node.key.enc')
        dst = os.path.join(bdir, 'halong.conf.enc')
        shutil.copyfile(src, dst)
        for e in m['files']:
            if e['path'] == 'halong.conf':
                e['enc_sha256'] = hl.sha256_file(dst)
                e['enc_size'] = os.path.getsize(dst)
        with open(os.path.join(bdir, 'manifest.json'), 'w', encoding='utf-8') as f:
            json.dump(m, f, indent=2, ensure_ascii=False)
        r = hl.run(('backup', 'verify', bdir, '--key-file', self.key))
        self.assertEqual(r.rc, 1, r)
        self.assertIn('halong.conf.enc: hash', r.err)  # decrypts to the wrong plaintext
        self.assertIn('manifest.sig: signature', r.err)


if __name__ == '__main__':
    unittest.main()
