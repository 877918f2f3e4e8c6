"""Settings (docs/cli.md, "Settings"): `halong --config FILE` and $HALONG_CONFIG applied before any
command with the environment winning, a bad file refused naming FILE:LINE for each problem, and
`halong config check [--config FILE] [--json]` showing each value and where it came from and
checking them (folders, a writable data directory, owner-only secret files whose contents are
never printed). halong serve reads its listen address and web interface from the settings."""
import json
import os
import re
import socket
import subprocess
import unittest
import urllib.request

import hl

# the settings a test machine might have in its environment, kept out of every run here
SETTINGS = ('HALONG_HOME', 'HALONG_CONFIG', 'HALONG_DATA', 'HALONG_WEB_ROOT', 'HALONG_LISTEN',
            'HALONG_READY_QUEUE_MAX', 'HALONG_READY_DISK_MIN_MB', 'HALONG_METRICS_TOKEN_FILE',
            'HALONG_BACKUP_TARGETS', 'HALONG_BACKUP_KEY_FILE', 'HALONG_TODAY', 'HALONG_THREADS',
            'HALONG_PUBLIC_URL', 'HALONG_SECURE_COOKIES')
HUGE_MB = str(1 << 40)


def halong(*args, env=None, cwd=None):
    e = {k: v for k, v in os.environ.items() if k not in SETTINGS}
    e.update(env or {})
    p = subprocess.run([hl.BIN] + list(args), env=e, cwd=cwd, capture_output=True, text=True,
                       timeout=hl.TIMEOUT)
    return p


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


class TestConfig(hl.HomeCase):
    def conf(self, text, name='halong.conf'):
        path = self.h.path(name)
        with open(path, 'w') as f:
            f.write(text)
        return path

    def test_file_applied_environment_wins(self):
        # the disk threshold from the file makes doctor fail; the environment's wins over it
        f = self.conf(f'# a node\n\nhome = {self.h.home}\nready_disk_min_mb = {HUGE_MB}\n')
        p = halong('--config', f, 'doctor', '--json')
        self.assertEqual(p.returncode, 1, p.stderr)
        checks = {c['name']: c for c in json.loads(p.stdout)['checks']}
        self.assertFalse(checks['disk']['ok'])
        self.assertTrue(checks['store']['ok'])  # home came from the file: the store opened
        p = halong('--config', f, 'doctor', '--json', env={'HALONG_READY_DISK_MIN_MB': '0'})
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        # $HALONG_CONFIG when --config is not given; --config=FILE spelled with '='
        p = halong('doctor', env={'HALONG_CONFIG': f})
        self.assertEqual(p.returncode, 1)
        self.assertIn('✗ disk', p.stdout)
        p = halong(f'--config={f}', 'doctor', env={'HALONG_READY_DISK_MIN_MB': '0'})
        self.assertEqual(p.returncode, 0, p.stderr)
        # --home wins over the file's home
        other = hl.Home(init=False)
        self.addCleanup(other.cleanup)
        p = halong('--home', other.home, '--config', f, 'doctor')
        self.assertEqual(p.returncode, 1)
        self.assertIn('not a halong data directory', p.stderr)

    def test_bad_file_refused_naming_each_line(self):
        f = self.conf(f'home = {self.h.home}\n'
                      'colour = blue\n'
                      'ready_queue_max = lots\n'
                      'home = /elsewhere\n'
                      'today = 2026-01-01\n'
                      'listen = localhost:99999\n'
                      'no equals sign here\n')
        p = halong('--config', f, 'doctor')
        self.assertEqual(p.returncode, 1)
        self.assertEqual(p.stdout, '')  # the command did not run
        self.assertEqual(p.stderr.splitlines(), [
            f'halong: {f}:2: unknown key "colour" (see halong config check)',
            f'halong: {f}:3: ready_queue_max: a whole number >= 0 is expected, not "lots"',
            f'halong: {f}:4: home is set twice (first on line 1)',
            f'halong: {f}:5: today is for tests only: not allowed in a settings file',
            f'halong: {f}:6: listen: HOST:PORT is expected (port 0 to 65535), not '
            '"localhost:99999"',
            f'halong: {f}:7: `key = value` is expected, not "no equals sign here"',
        ])
        p = halong('--config', self.h.path('absent.conf'), 'doctor')
        self.assertEqual(p.returncode, 1)
        self.assertEqual(p.stderr.strip(),
                         f'halong: {self.h.path("absent.conf")}: No such file or directory')

    def test_check_sources_and_values(self):
        f = self.conf(f'# settings\nhome = {self.h.home}\nbackup_keep_daily = 9\n'
                      'ready_queue_max = 5\n')
        p = halong('--config', f, 'config', 'check', '--json',
                   env={'HALONG_READY_QUEUE_MAX': '7', 'HALONG_FEED_POLL_MS': '1000'})
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        j = json.loads(p.stdout)
        self.assertTrue(j['ok'])
        self.assertEqual(j['problems'], [])
        self.assertEqual(j['file'], f)
        s = {x['key']: x for x in j['settings']}
        self.assertEqual((s['home']['value'], s['home']['source'], s['home']['line']),
                         (self.h.home, 'file', 2))
        self.assertEqual((s['backup_keep_daily']['value'], s['backup_keep_daily']['source']),
                         ('9', 'file'))
        # the environment wins over the file
        self.assertEqual((s['ready_queue_max']['value'], s['ready_queue_max']['source']),
                         ('7', 'environment'))
        self.assertEqual(s['feed_poll_ms']['source'], 'environment')
        self.assertEqual((s['backup_keep_weekly']['value'], s['backup_keep_weekly']['source']),
                         ('4', 'default'))
        # the source tree's data and web interface for a binary run from its build folder
        self.assertEqual(s['data']['value'], os.path.join(hl.SRC, 'data'))
        self.assertEqual(s['web_root']['value'], os.path.join(hl.SRC, 'web'))
        self.assertIsNone(s['backup_targets']['value'])
        self.assertEqual(s['backup_targets']['env'], 'HALONG_BACKUP_TARGETS')
        self.assertEqual(s['backup_targets']['type'], 'path-list')
        self.assertNotIn('today', s)  # test-only settings listed only when set
        # the text form: one line a setting, where it came from
        p = halong('--home', self.h.home, 'config', 'check', '--config', f)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertRegex(p.stdout, r'(?m)^✓ home +\S+ +command line$')
        self.assertRegex(p.stdout, r'(?m)^✓ backup_keep_daily +9 +file, line 3$')
        self.assertTrue(p.stdout.endswith('settings good\n'))

    def test_check_problems_one_line_each_secrets_unread(self):
        tok = self.h.path('metrics.token')
        with open(tok, 'w') as t:
            t.write('tok-3a9e7f-do-not-print')
        os.chmod(tok, 0o644)
        key = self.h.path('backup.key')
        with open(key, 'wb') as k:
            k.write(b'K' * 32)
        os.chmod(key, 0o600)
        f = self.conf(f'home = {self.h.path("nowhere")}\n'
                      f'metrics_token_file = {tok}\n'
                      f'backup_key_file = {key}\n'
                      f'backup_targets = {self.h.tmp}:{self.h.path("disk2")}\n'
                      'threads = 999\n')
        p = halong('config', 'check', '--config', f,
                   env={'HALONG_TODAY': '2026-01-01', 'HALONG_WEB_ROOT': self.h.path('noweb')})
        self.assertEqual(p.returncode, 1)
        self.assertEqual(sorted(p.stderr.splitlines()), sorted([
            f'{f}:5: threads: a whole number from 1 to 256 is expected, not "999"',
            f'{f}:1: home: {self.h.path("nowhere")}: No such file or directory',
            f'web_root (HALONG_WEB_ROOT, environment): {self.h.path("noweb")}: No such file or '
            'directory',
            f'{f}:4: backup_targets: {self.h.path("disk2")}: No such file or directory',
            f'{f}:2: metrics_token_file: {tok}: mode 0644: readable by others than its owner '
            '(chmod 600)',
            'today (HALONG_TODAY, environment): for tests only: not to be set on a node',
        ]))
        self.assertIn('6 problems', p.stdout)
        self.assertNotIn('tok-3a9e7f', p.stdout + p.stderr)
        self.assertNotIn('KKKK', p.stdout + p.stderr)
        self.assertRegex(p.stdout, r'(?m)^✓ backup_key_file ')
        j = json.loads(halong('config', 'check', '--config', f, '--json').stdout)
        self.assertFalse(j['ok'])
        self.assertEqual(len(j['problems']), 4)
        self.assertNotIn('tok-3a9e7f', json.dumps(j))
        # a data directory the user cannot write: only checkable when not root
        if os.geteuid() != 0:
            os.chmod(self.h.home, 0o555)
            try:
                p = halong('--home', self.h.home, 'config', 'check')
                self.assertIn('not writable by this user', p.stderr)
            finally:
                os.chmod(self.h.home, 0o755)

    def test_serve_listen_and_web_root_from_settings(self):
        port = free_port()
        web = self.h.path('web')
        os.makedirs(web)
        with open(os.path.join(web, 'index.html'), 'w') as w:
            w.write('<!doctype html><title>web_root của thử nghiệm</title>\n')
        f = self.conf(f'home = {self.h.home}\nlisten = 127.0.0.1:{port}\nweb_root = {web}\n')
        e = {k: v for k, v in os.environ.items() if k not in SETTINGS}
        proc = subprocess.Popen([hl.BIN, '--config', f, 'serve', '--quiet'], env=e,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            line = proc.stdout.readline()
            self.assertEqual(line.strip(), f'halong serve: listening on http://127.0.0.1:{port}')
            with urllib.request.urlopen(f'http://127.0.0.1:{port}/', timeout=30) as r:
                self.assertIn('web_root của thử nghiệm', r.read().decode())
        finally:
            proc.terminate()
            proc.wait(timeout=30)
            proc.stdout.close()
            proc.stderr.close()
        # a bad HALONG_LISTEN is named
        p = halong('--home', self.h.home, 'serve', env={'HALONG_LISTEN': 'here'})
        self.assertEqual(p.returncode, 1)
        self.assertIn('HALONG_LISTEN: HOST:PORT is expected', p.stderr)


if __name__ == '__main__':
    unittest.main()
