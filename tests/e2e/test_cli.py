"""The command line itself: init and its layout, --version, --help, usage errors, the data
directory's resolution, and unknown ids — what a user meets in the first minute."""
import json
import os
import re
import stat
import unittest

import hl
import hlnodes


def project_version():
    with open(os.path.join(hl.SRC, 'meson.build'), encoding='utf-8') as f:
        return re.search(r"version\s*:\s*'([^']+)'", f.read()).group(1)


ONE_DOC = ['fonds_code', 'dossier_code', 'doc_ordinal', 'subject', 'issued_date', 'text']


class CliTest(unittest.TestCase):
    def setUp(self):
        self.h = hl.Home(init=False)
        self.addCleanup(self.h.cleanup)

    def one_doc_manifest(self):
        return hl.write_csv(self.h.path('one.csv'), ONE_DOC, [
            ['UBND-HL', 'HS-01', '1', 'Quyết định thành lập Ban chỉ đạo chuyển đổi số',
             '05/09/2025', 'Thành lập Ban chỉ đạo chuyển đổi số của phường Hà Tu.']])

    def test_init_creates_layout(self):
        r = self.h.run('init')
        self.assertEqual(r.rc, 0, r)
        home = self.h.home
        self.assertTrue(os.path.isfile(os.path.join(home, 'halong.db')), r)
        self.assertTrue(os.path.isfile(os.path.join(home, 'halong.conf')), r)
        for d in ('blobs', 'index', 'keys'):
            self.assertTrue(os.path.isdir(os.path.join(home, d)), f'{d}/ missing after init')
        mode = stat.S_IMODE(os.stat(os.path.join(home, 'keys')).st_mode)
        self.assertEqual(mode & 0o077, 0, f'keys/ is open to others: {oct(mode)}')
        with open(os.path.join(home, 'halong.db'), 'rb') as f:
            self.assertEqual(f.read(16), b'SQLite format 3\x00')
        s = self.h.stats()
        for k in ('fonds', 'dossiers', 'documents', 'versions', 'files', 'blobs', 'blob_bytes',
                  'index_docs', 'index_pending'):
            self.assertEqual(s[k], 0, f'{k} in a new data directory: {s}')
        self.assertIsInstance(s['schema_version'], int)
        self.assertGreaterEqual(s['schema_version'], 1)

    def test_init_twice_is_harmless(self):
        self.assertEqual(self.h.run('init').rc, 0)
        with open(os.path.join(self.h.home, 'halong.conf'), 'rb') as f:
            conf = f.read()
        r = self.h.run('ingest', self.one_doc_manifest())
        self.assertEqual(r.rc, 0, r)
        before = self.h.stats()
        self.assertEqual(before['documents'], 1)
        r = self.h.run('init')
        self.assertEqual(r.rc, 0, r)
        with open(os.path.join(self.h.home, 'halong.conf'), 'rb') as f:
            self.assertEqual(f.read(), conf, 'halong.conf rewritten by a second init')
        self.assertEqual(self.h.stats(), before)
        d = self.h.show(hl.doc_id('UBND-HL', 'HS-01', 1))
        self.assertEqual(d['subject'], 'Quyết định thành lập Ban chỉ đạo chuyển đổi số')

    def test_version(self):
        r = hl.run(['--version'])
        self.assertEqual(r.rc, 0, r)
        self.assertIn(project_version(), r.out)
        self.assertIn('halong', r.out.lower())

    def test_help(self):
        r = hl.run(['--help'])
        self.assertEqual(r.rc, 0, r)
        self.assertRegex(r.out.lower(), r'usage')
        for cmd in ('init', 'ingest', 'search', 'show', 'verify', 'stats', 'reindex'):
            self.assertIn(cmd, r.out, f'--help does not list {cmd}')

    def test_ingest_help(self):
        r = hl.run(['ingest', '--help'])
        self.assertEqual(r.rc, 0, r)
        self.assertRegex(r.out.lower(), r'usage')
        for opt in ('--files', '--rejects', '--batch'):
            self.assertIn(opt, r.out, f'ingest --help does not mention {opt}')

    def test_unknown_command_is_usage_error(self):
        r = self.h.run('frobnicate')
        self.assertEqual(r.rc, 2, r)
        self.assertIn('frobnicate', r.err)
        self.assertEqual(r.out, '')

    def test_missing_argument_is_usage_error(self):
        self.assertEqual(self.h.run('init').rc, 0)
        r = self.h.run('ingest')
        self.assertEqual(r.rc, 2, r)
        r = self.h.run('search', 'dat dai', '--limit', 'nhieu')
        self.assertEqual(r.rc, 2, r)

    def test_options_come_from_each_command_table(self):
        """One parser for every command: the same errors, the same forms, help from the table."""
        self.assertEqual(self.h.run('init').rc, 0)
        cases = [
            (('ingest', 'm.csv', '--bogus'), 'unknown option --bogus'),
            (('ingest', 'm.csv', '--files'), '--files wants a DIR'),
            (('ingest', 'm.csv', '--batch', '0'),
             '--batch wants a whole number from 1 to 1000000, not "0"'),
            (('ingest', 'm.csv', '--batch=2x'), 'from 1 to 1000000, not "2x"'),
            (('ingest', 'a.csv', 'b.csv'), 'unexpected argument b.csv'),
            (('show',), 'give ID'),
            (('stats', '--json=yes'), '--json takes no value'),
            (('ocr', 'review', '--below', '101'), '--below wants a number from 0 to 100'),
            (('ocr', 'run', '--jobs', '65'), '--jobs wants a whole number from 1 to 64'),
            (('user', 'add', 'x', '--role', 'boss', '--unit', '06652'),
             '--role is viewer, officer, inspector, archivist or admin, not "boss"'),
            (('units', 'find', 'ha', '--limit', '-1'), '--limit wants a whole number'),
            (('stats', '--js'), None),  # an unambiguous beginning is the option
        ]
        for args, msg in cases:
            with self.subTest(args=args):
                r = self.h.run(*args)
                if msg is None:
                    self.assertEqual(r.rc, 0, r)
                    continue
                self.assertEqual(r.rc, 2, r)
                self.assertIn(msg, r.err)
                # the synopsis follows, from the same table
                self.assertIn('usage: halong ' + args[0], r.err)
                self.assertEqual(r.out, '')
        # a query's words may begin with '-': only the table's options are options
        r = self.h.run('search', 'dat', '-dai', '--limit', '3')
        self.assertEqual(r.rc, 0, r)
        r = self.h.run('search', '--', '--limit')
        self.assertNotEqual(r.rc, 2, r)
        # --help of a subcommand lists its options with their defaults
        r = self.h.run('ocr', 'review', '--help')
        self.assertEqual(r.rc, 0, r)
        self.assertIn('--below C', r.out)
        self.assertIn('(default 70)', r.out)
        r = self.h.run('ocr', '--help')
        for sub in ('run', 'status', 'review', 'eval'):
            self.assertIn(sub, r.out)

    def test_node_exchange_send_feed_options_come_from_their_tables(self):
        """node, exchange, send and feed parse by their tables too: the same errors, the
        synopsis of the very subcommand, --help listing its options."""
        self.assertEqual(self.h.run('init').rc, 0)
        cases = [
            (('node', 'list', '--bogus'), 'node list', 'unknown option --bogus'),
            (('node', 'init', '--unit', '06652'), 'node init', '--url is required'),
            (('node', 'enrol', '06652', '--url', 'http://127.0.0.1:9', '--key'),
             'node enrol', '--key wants a KEY'),
            (('node', 'revoke'), 'node revoke', 'give the unit CODE'),
            (('node', 'directory', 'import'), 'node directory import', 'give the FILE'),
            (('node', 'directory', 'export', 'd.json', '--hub-key', 'K'),
             'node directory export', 'unknown option --hub-key'),
            (('node', 'directory', 'sign'), 'node directory', 'unknown subcommand sign'),
            (('exchange', 'status', '--limit', '1001'), 'exchange status',
             '--limit wants a whole number from 0 to 1000, not "1001"'),
            (('exchange', 'outbox', '06652', '06661'), 'exchange outbox',
             'unexpected argument 06661'),
            (('send', 'D0000000000000000000X'), 'send', '--to is required'),
            (('send', 'report', 'r.json', '--to', '22', '--repeat', '0'), 'send report',
             '--repeat wants a whole number from 1 to 1000000, not "0"'),
            (('send', 'dossier', 'HS-01', '--to', '22'), 'send dossier', 'give FONDS/DOSSIER'),
            (('send', 'envelope', 'M', '--to', '22'), 'send envelope', 'unknown option --to'),
            (('feed', 'publish', 'plans'), 'feed publish', 'no feed named plans'),
            (('feed', 'pull', '--url'), 'feed pull', '--url wants a URL'),
            (('feed', 'status', '--js'), None, None),  # an unambiguous beginning
            (('exchange', 'status', '--lim', '5'), None, None),
        ]
        for args, name, msg in cases:
            with self.subTest(args=args):
                r = self.h.run(*args)
                if msg is None:
                    self.assertEqual(r.rc, 0, r)
                    continue
                self.assertEqual(r.rc, 2, r)
                self.assertIn(f'halong {name}: {msg}', r.err)
                self.assertIn(f'usage: halong {name} ', r.err)
                self.assertEqual(r.out, '')
        # send's own form: a document id is no subcommand, it goes to the library (no node)
        r = self.h.run('send', 'D0000000000000000000X', '--to', '22')
        self.assertEqual(r.rc, 1, r)
        self.assertIn('no identity', r.err)
        # --help of a subcommand lists its options with their defaults
        for args, words in [
                (('send', 'report', '--help'),
                 ('--to CODE', '--access LEVEL', '--repeat N', '(default 1)', '--json')),
                (('exchange', 'status', '--help'), ('--limit N', '(default 10)', '--json')),
                (('node', 'enrol', '--help'),
                 ('--url URL', '--key KEY', '--may-send T,...', '--restricted')),
                (('node', 'directory', 'import', '--help'), ('--hub-key KEY',)),
                (('feed', 'pull', '--help'), ('--url URL', '--json')),
                (('send', '--help'), ('dossier', 'report', 'envelope', '--to CODE')),
                (('node', '--help'), ('init', 'enrol', 'directory', 'trust-hub'))]:
            with self.subTest(args=args):
                r = self.h.run(*args)
                self.assertEqual(r.rc, 0, r)
                self.assertIn('usage: halong ' + ' '.join(args[:-1]), r.out)
                for w in words:
                    self.assertIn(w, r.out)

    def test_short_option_with_its_value_attached(self):
        """-oFILE is -o FILE, as getopt took it before the option tables; a flag takes no value
        attached."""
        self.assertEqual(self.h.run('init').rc, 0)
        scans = self.h.path('scans')
        hl.write_bytes(os.path.join(scans, 'a.png'), hl.png(24, 24, 1))
        m = hl.write_csv(self.h.path('m.csv'), ONE_DOC[:-1] + ['files'], [
            ['UBND-HL', 'HS-01', '1', 'Quyết định thành lập Ban chỉ đạo', '05/09/2025',
             'a.png']])
        self.assertEqual(self.h.run('ingest', m, '--files', scans, '--ocr', '-q').rc, 0)
        self.assertEqual(self.h.run('ocr', 'run', '-q').rc, 0)
        out = self.h.path('attached.pdf')
        r = self.h.run('export', 'pdf', hl.doc_id('UBND-HL', 'HS-01', 1), '-o' + out)
        self.assertEqual(r.rc, 0, r)
        with open(out, 'rb') as f:
            self.assertEqual(f.read(5), b'%PDF-')
        r = self.h.run('ocr', 'run', '-qx')
        self.assertEqual(r.rc, 2, r)
        self.assertIn('unknown option -qx', r.err)

    def test_send_options_before_the_subcommand(self):
        """send --to CODE dossier F/D (and report, --to=CODE): options may come before send's
        subcommand word, as they could when send was parsed by getopt."""
        hub, b = hlnodes.Node('22'), hlnodes.Node('06652')
        self.addCleanup(hub.cleanup)
        self.addCleanup(b.cleanup)
        hub.ok('node', 'enrol', '22', '--url', hub.url, '--key', hub.key, '--may-send',
               'document,report', '--may-receive', hlnodes.HUB_RECV)
        hub.ok('node', 'enrol', '06652', '--url', b.url, '--key', b.key, '--may-send',
               hlnodes.COMMUNE_SEND, '--may-receive', 'document,report')
        m = hl.write_csv(hub.h.path('one.csv'), ONE_DOC, [
            ['UBND-HL', 'HS-01', '1', 'Quyết định thành lập Ban chỉ đạo chuyển đổi số',
             '05/09/2025', 'Thành lập Ban chỉ đạo chuyển đổi số của phường Hà Tu.']])
        hub.ok('ingest', m)
        report = hlnodes.tmpfile(b'{"title": "B\u00e1o c\u00e1o"}')
        self.addCleanup(os.unlink, report)
        for args, what in [
                (('send', '--to', '06652', 'dossier', 'UBND-HL/HS-01', '--json'),
                 'dossier UBND-HL/HS-01 (1 documents)'),
                (('send', '--json', '--to=06652', 'dossier', 'UBND-HL/HS-01'),
                 'dossier UBND-HL/HS-01 (1 documents)'),
                (('send', '--to', '06652', '--json', 'report', report), 'report'),
                (('send', '--to', '06652', '--json', '--', 'dossier', 'UBND-HL/HS-01'),
                 'dossier UBND-HL/HS-01 (1 documents)')]:
            with self.subTest(args=args):
                r = hub.run(*args)
                self.assertEqual(r.rc, 0, r)
                j = json.loads(r.out)
                self.assertEqual((j['to'], j['what']), ('06652', what))
        # --repeat is report's: it is known before the word, and report takes it
        r = hub.run('send', '--to', '06652', '--repeat', '2', '--json', 'report', report)
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(len(r.out.splitlines()), 2, r)
        # a document id is still no subcommand
        r = hub.run('send', '--to', '06652', 'D0000000000000000000X')
        self.assertEqual(r.rc, 1, r)
        self.assertIn('D0000000000000000000X', r.err)

    def test_units_subcommands_take_quiet(self):
        """--quiet was taken by every units subcommand (it only silences load's progress):
        scripts that pass it keep working; it is not offered where it does nothing."""
        self.assertEqual(self.h.run('init').rc, 0)
        self.assertEqual(self.h.run('units', 'load', '--quiet').rc, 0)
        for args in (('units', 'show', '22', '--quiet'), ('units', 'find', 'Hạ Long', '--quiet'),
                     ('units', 'successors', '22', '--quiet'),
                     ('units', 'predecessors', '22', '--quiet'),
                     ('units', 'tree', '22', '--quiet', '--json')):
            with self.subTest(args=args):
                r = self.h.run(*args)
                self.assertEqual(r.rc, 0, r)
                self.assertEqual(r.out, self.h.run(*[a for a in args if a != '--quiet']).out)
        r = self.h.run('units', 'show', '--help')
        self.assertNotIn('--quiet', r.out)

    def test_search_query_length_is_the_librarys(self):
        """One limit on a query's length, the library's (1,024 bytes with its filters), for
        the command line as for the API: whatever the words' count or length."""
        self.assertEqual(self.h.run('init').rc, 0)
        self.assertEqual(self.h.run('ingest', self.one_doc_manifest()).rc, 0)
        # words no document holds, excluded: the record still matches every plain word
        words = ' '.join(f'-chuyendoisoquangninhhalongtinh{i}' for i in range(40))
        r = self.h.run('search', 'thanh lap', words[:1024 - len('thanh lap ')])
        self.assertEqual(r.rc, 0, r)
        self.assertIn(hl.doc_id('UBND-HL', 'HS-01', 1), r.out)
        for args in (('x' * 1025,), ('x' * 6000,), tuple(['ab'] * 2000)):
            with self.subTest(bytes=len(' '.join(args))):
                r = self.h.run('search', *args)
                self.assertEqual(r.rc, 1, r)
                self.assertEqual(r.err, 'halong: the query is longer than 1024 bytes\n')

    def test_synopsis_brackets_only_what_may_be_left_out(self):
        """A required option is written without brackets in the synopsis (--help and usage
        errors), as docs/cli.md writes it; an optional one in brackets."""
        for args, line in [
                (('send', 'dossier'), 'usage: halong send dossier FONDS/DOSSIER --to CODE [--json]'),
                (('node', 'init'), 'usage: halong node init --unit CODE --url URL'),
                (('user', 'add'), 'usage: halong user add NAME --role ROLE --unit CODE'),
                (('ingest',), 'usage: halong ingest MANIFEST.csv [--files DIR]')]:
            with self.subTest(args=args):
                r = hl.run(list(args) + ['--help'])
                self.assertEqual(r.rc, 0, r)
                self.assertTrue(r.out.splitlines()[0].startswith(line), r)
        r = self.h.run('send', 'dossier', 'F/D')
        self.assertEqual(r.rc, 2, r)
        self.assertIn('usage: halong send dossier FONDS/DOSSIER --to CODE [--json]\n', r.err)

    def test_command_before_init_fails_clearly(self):
        r = self.h.run('stats')
        self.assertEqual(r.rc, 1, r)
        lines = r.err.strip().splitlines()
        self.assertEqual(len(lines), 1, r)
        self.assertTrue(lines[0].startswith('halong: '), r)
        self.assertFalse(os.path.exists(os.path.join(self.h.home, 'halong.db')),
                         'stats created a store in a directory that was never initialised')

    def test_home_from_environment_then_default(self):
        envhome = self.h.path('from-env')
        r = hl.run(['init'], env={'HALONG_HOME': envhome})
        self.assertEqual(r.rc, 0, r)
        self.assertTrue(os.path.isfile(os.path.join(envhome, 'halong.db')))
        cwd = self.h.path('cwd')
        os.makedirs(cwd)
        r = hl.run(['init'], cwd=cwd)
        self.assertEqual(r.rc, 0, r)
        self.assertTrue(os.path.isfile(os.path.join(cwd, 'halong-data', 'halong.db')))
        # --home wins over $HALONG_HOME.
        r = hl.run(['init'], home=self.h.home, env={'HALONG_HOME': envhome})
        self.assertEqual(r.rc, 0, r)
        self.assertTrue(os.path.isfile(os.path.join(self.h.home, 'halong.db')))

    def test_show_unknown_id(self):
        self.assertEqual(self.h.run('init').rc, 0)
        r = self.h.run('show', 'D0000000000000000000X', '--json')
        self.assertEqual(r.rc, 1, r)
        self.assertEqual(r.err, 'halong: no document D0000000000000000000X\n')
        self.assertEqual(r.out, '')

    def test_missing_manifest(self):
        self.assertEqual(self.h.run('init').rc, 0)
        missing = self.h.path('khong-co.csv')
        r = self.h.run('ingest', missing)
        self.assertEqual(r.rc, 1, r)
        lines = r.err.strip().splitlines()
        self.assertEqual(len(lines), 1, r)
        self.assertTrue(lines[0].startswith('halong: '), r)
        self.assertIn('khong-co.csv', lines[0])
        self.assertEqual(self.h.stats()['documents'], 0)


if __name__ == '__main__':
    unittest.main()
