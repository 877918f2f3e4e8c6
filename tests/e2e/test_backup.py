"""Backup and restore (issue 15): a node with documents, users, an identity and its audit chain
is backed up while it runs, the backup verifies, restores into a new folder where `verify`,
`audit verify` and the same searches answer as on the node; a second backup copies no blob again;
every kind of damage (a blob, the store, the manifest, a missing file, a manifest edited and
re-hashed but not re-signed) is refused by `backup verify` and by `restore`, naming the file;
restore never writes into a folder that is not empty."""
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import unittest

import hl

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
        self.assertIn(file, r.err)
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
