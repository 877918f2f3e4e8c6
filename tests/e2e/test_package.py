"""The Debian package, built and used on this machine as an operator would: dpkg-buildpackage
from a clean copy of the tree (the files git tracks, as they are in the working tree, and the
web interface's vendored Chart.js when present), `dpkg -i`, the files, owners and modes in place,
`halong` run as its user (doctor, config check, serve answering the installed web interface and
openapi.json), the units scored by `systemd-analyze security --offline=true` (at most 2.0), then
`dpkg -r` and `dpkg -P` leaving no file, no user, no group.

Needs root (dpkg -i, runuser), as CI runs `make check`. The build is DEB_BUILD_OPTIONS=noopt
(-O0) with the unit tests off: what is tested is the packaging, not the optimiser; its time is
printed."""
import json
import os
import pwd
import grp
import re
import shutil
import stat
import subprocess
import tempfile
import time
import unittest

SRC = os.environ.get('HALONG_SRC') or os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
CONF = '/etc/halong/halong.conf'
UNITS = '/lib/systemd/system'
STATE = '/var/lib/halong'
MAX_EXPOSURE = 2.0


def run(cmd, **kw):
    kw.setdefault('capture_output', True)
    kw.setdefault('text', True)
    kw.setdefault('timeout', 900)
    return subprocess.run(cmd, **kw)


def as_halong(*args, env=None):
    # cwd / : the user halong cannot enter the test's own folders
    return run(['runuser', '-u', 'halong', '--', '/usr/bin/halong', '--config', CONF] +
               list(args), cwd='/', env=env)


def installed():
    p = run(['dpkg-query', '-W', '-f=${Status}', 'halong'])
    return p.returncode == 0 and 'installed' in p.stdout and 'not-installed' not in p.stdout


def exists_user(name):
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


def exists_group(name):
    try:
        grp.getgrnam(name)
        return True
    except KeyError:
        return False


def exposure(unit):
    p = run(['systemd-analyze', 'security', '--offline=true', '--no-pager', unit])
    m = re.search(r'Overall exposure level for \S+: (\d+\.\d+)', p.stdout + p.stderr)
    if not m:
        raise AssertionError(f'systemd-analyze security gave no score for {unit}: '
                             f'{p.stdout[-1500:]}{p.stderr[-1500:]}')
    return float(m.group(1))


def mode_owner(path):
    st = os.stat(path)
    return (stat.S_IMODE(st.st_mode), pwd.getpwuid(st.st_uid).pw_name,
            grp.getgrgid(st.st_gid).gr_name)


class TestPackage(unittest.TestCase):
    """One install for every test; the last one (test_z) removes and purges."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = None
        if os.geteuid() != 0:
            raise AssertionError('test_package needs root (dpkg -i, runuser): CI runs as root')
        for tool in ('dpkg-buildpackage', 'dh', 'runuser', 'systemd-analyze'):
            if not shutil.which(tool):
                raise AssertionError(f'{tool} is missing (scripts/deps.sh installs it)')
        # never clobber a real installation or account of this machine
        if installed() or exists_user('halong') or exists_group('halong'):
            raise AssertionError('a package, user or group named halong is already on this '
                                 'machine: test_package will not replace it')
        cls.tmp = tempfile.mkdtemp(prefix='hl_pkg_')
        src = os.path.join(cls.tmp, 'halong-src')
        os.makedirs(src)
        ls = run(['git', '-C', SRC, 'ls-files', '-z'], text=False)
        if ls.returncode == 0:
            for f in ls.stdout.split(b'\0'):
                f = f.decode()
                p = os.path.join(SRC, f)
                if f and os.path.isfile(p) and not os.path.islink(p):
                    os.makedirs(os.path.dirname(os.path.join(src, f)), exist_ok=True)
                    shutil.copy2(p, os.path.join(src, f))
        else:  # not a git checkout (a release tarball): the tree without builds and modules
            shutil.rmtree(src)
            shutil.copytree(SRC, src, symlinks=True, ignore=shutil.ignore_patterns(
                'build*', 'node_modules', 'halong-data', '.git', 'obj-*'))
        vendor = os.path.join(SRC, 'web', 'vendor')
        if os.path.isdir(vendor) and not os.path.isdir(os.path.join(src, 'web', 'vendor')):
            shutil.copytree(vendor, os.path.join(src, 'web', 'vendor'))
        env = dict(os.environ)
        env['DEB_BUILD_OPTIONS'] = 'noopt nocheck parallel=%d' % min(os.cpu_count() or 1, 4)
        t0 = time.time()
        p = run(['dpkg-buildpackage', '-us', '-uc', '-b', '-Pnocheck'], cwd=src, env=env)
        cls.build_seconds = time.time() - t0
        print(f'\ntest_package: dpkg-buildpackage took {cls.build_seconds:.0f} s', flush=True)
        if p.returncode != 0:
            raise AssertionError(f'dpkg-buildpackage failed:\n{p.stdout[-3000:]}\n'
                                 f'{p.stderr[-3000:]}')
        debs = [f for f in os.listdir(cls.tmp) if re.match(r'halong_.*\.deb$', f)]
        if len(debs) != 1:
            raise AssertionError(f'one halong_*.deb expected, found {os.listdir(cls.tmp)}')
        cls.deb = os.path.join(cls.tmp, debs[0])
        p = run(['dpkg', '-i', cls.deb], env=dict(env, DEBIAN_FRONTEND='noninteractive'))
        if p.returncode != 0:
            raise AssertionError(f'dpkg -i failed:\n{p.stdout[-3000:]}\n{p.stderr[-3000:]}')
        cls.install_out = p.stdout + p.stderr

    @classmethod
    def tearDownClass(cls):
        if cls.tmp and installed():
            run(['dpkg', '-P', 'halong'])
        if cls.tmp:
            shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_a_files_owners_modes(self):
        self.assertTrue(os.access('/usr/bin/halong', os.X_OK))
        self.assertEqual(mode_owner('/usr/bin/halong'), (0o755, 'root', 'root'))
        for f in ('web/index.html', 'web/js/app.js', 'data/openapi.json',
                  'data/units/quangninh_units_2025.csv',
                  'data/agencies/quang_ninh_agencies.csv'):
            self.assertTrue(os.path.isfile('/usr/share/halong/' + f), f)
        # the demo's material stays in the source tree
        self.assertFalse(os.path.exists('/usr/share/halong/data/corpus'))
        for u in ('halong.service', 'halong-backup.service', 'halong-backup.timer'):
            self.assertTrue(os.path.isfile(os.path.join(UNITS, u)), u)
        # the user: a system account, no login, its home the data directory
        pw = pwd.getpwnam('halong')
        self.assertLess(pw.pw_uid, 1000)
        self.assertEqual(pw.pw_dir, STATE)
        self.assertIn(pw.pw_shell, ('/usr/sbin/nologin', '/bin/false'))
        self.assertEqual(grp.getgrgid(pw.pw_gid).gr_name, 'halong')
        # settings: a conffile open to root and the group halong only
        self.assertEqual(mode_owner(CONF), (0o640, 'root', 'halong'))
        with open(CONF) as f:
            self.assertRegex(f.read(), r'(?m)^home = /var/lib/halong$')
        conffiles = run(['dpkg-query', '-W', '-f=${Conffiles}', 'halong']).stdout
        self.assertIn(CONF, conffiles)
        # the data directory, initialised as halong
        self.assertEqual(mode_owner(STATE), (0o750, 'halong', 'halong'))
        self.assertEqual(mode_owner(STATE + '/halong.db')[1:], ('halong', 'halong'))
        self.assertEqual(mode_owner(STATE + '/keys'), (0o700, 'halong', 'halong'))
        # no systemd running here: nothing was started, the units were enabled for the next boot
        if not os.path.isdir('/run/systemd/system'):
            self.assertTrue(os.path.islink(
                '/etc/systemd/system/multi-user.target.wants/halong.service'))
            self.assertTrue(os.path.islink(
                '/etc/systemd/system/timers.target.wants/halong-backup.timer'))

    def test_b_doctor_and_config_check_as_halong(self):
        p = as_halong('doctor', '--json')
        self.assertEqual(p.returncode, 0, p.stderr)
        j = json.loads(p.stdout)
        self.assertTrue(j['ready'])
        self.assertEqual({c['name']: c['ok'] for c in j['checks']}['store'], True)

        p = as_halong('config', 'check', '--json')
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        j = json.loads(p.stdout)
        self.assertTrue(j['ok'])
        self.assertEqual(j['file'], CONF)
        s = {x['key']: x for x in j['settings']}
        self.assertEqual((s['home']['value'], s['home']['source'], s['home']['line']),
                         (STATE, 'file', 7))
        self.assertEqual((s['data']['value'], s['data']['source']),
                         ('/usr/share/halong/data', 'default'))
        self.assertEqual(s['web_root']['value'], '/usr/share/halong/web')

        # a token file others can read is a problem, named, its contents never shown
        tok = os.path.join(STATE, 'metrics.token')
        with open(tok, 'w') as f:
            f.write('tok-6c1f0e-secret')
        shutil.chown(tok, 'halong', 'halong')
        os.chmod(tok, 0o644)
        try:
            p = as_halong('config', 'check', env=dict(os.environ,
                                                      HALONG_METRICS_TOKEN_FILE=tok))
            self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
            self.assertIn(f'metrics_token_file (HALONG_METRICS_TOKEN_FILE, environment): '
                          f'{tok}: mode 0644', p.stderr)
            self.assertNotIn('tok-6c1f0e', p.stdout + p.stderr)
            os.chmod(tok, 0o600)
            p = as_halong('config', 'check', env=dict(os.environ,
                                                      HALONG_METRICS_TOKEN_FILE=tok))
            self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        finally:
            os.unlink(tok)

    def test_c_serve_installed_web_and_openapi(self):
        """The installed binary finds its web interface and openapi.json under /usr/share."""
        import urllib.request
        proc = subprocess.Popen(['runuser', '-u', 'halong', '--', '/usr/bin/halong', '--config',
                                 CONF, 'serve', '--quiet', '--listen', '127.0.0.1:0'],
                                cwd='/', stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True)
        try:
            line = proc.stdout.readline()
            m = re.search(r'listening on (http://\S+)', line)
            self.assertTrue(m, line + proc.stderr.read() if proc.poll() is not None else line)
            url = m.group(1)
            with urllib.request.urlopen(url + '/', timeout=30) as r:
                body = r.read().decode()
            with open('/usr/share/halong/web/index.html') as f:
                self.assertEqual(body, f.read())
            with urllib.request.urlopen(url + '/api/v1/openapi.json', timeout=30) as r:
                self.assertIn('openapi', json.load(r))
        finally:
            proc.terminate()
            proc.wait(timeout=30)
            proc.stdout.close()
            proc.stderr.close()

    def test_d_units_scored(self):
        for unit in (os.path.join(SRC, 'packaging', 'halong.service'),
                     os.path.join(UNITS, 'halong.service'),
                     os.path.join(UNITS, 'halong-backup.service')):
            score = exposure(unit)
            print(f'\ntest_package: systemd-analyze security --offline=true {unit}: {score}',
                  flush=True)
            self.assertLessEqual(score, MAX_EXPOSURE, unit)
        p = run(['systemd-analyze', 'verify', os.path.join(UNITS, 'halong.service'),
                 os.path.join(UNITS, 'halong-backup.service'),
                 os.path.join(UNITS, 'halong-backup.timer')])
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)

    def test_z_remove_then_purge(self):
        p = run(['dpkg', '-r', 'halong'])
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertFalse(os.path.exists('/usr/bin/halong'))
        self.assertFalse(os.path.exists('/usr/share/halong'))
        self.assertFalse(os.path.exists(os.path.join(UNITS, 'halong.service')))
        # remove keeps the settings (a conffile), the data and the user
        self.assertTrue(os.path.isfile(CONF))
        self.assertTrue(os.path.isfile(STATE + '/halong.db'))
        self.assertTrue(exists_user('halong'))

        p = run(['dpkg', '-P', 'halong'])
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertFalse(installed())
        for path in (CONF, '/etc/halong', STATE,
                     '/etc/systemd/system/multi-user.target.wants/halong.service',
                     '/etc/systemd/system/timers.target.wants/halong-backup.timer'):
            self.assertFalse(os.path.lexists(path), path)
        self.assertFalse(exists_user('halong'))
        self.assertFalse(exists_group('halong'))
        left = run(['dpkg-query', '-W', 'halong'])
        self.assertNotEqual(left.returncode, 0, left.stdout)


if __name__ == '__main__':
    unittest.main()
