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


if __name__ == '__main__':
    unittest.main()
