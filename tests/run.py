#!/usr/bin/env python3
"""Runs every test suite of halong and prints, last, `N passed, N failed` summed over every case.

Suites: the cmocka unit tests registered with meson (TAP output), the fuzz corpora replayed by the
fuzz replayers, and the end-to-end tests in tests/e2e (Python unittest, driving the real binary).
A suite that crashes counts its unreported cases, or at least one case, as failed.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import time
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TAP = re.compile(r'^(not ok|ok)\b\s*\d*\s*-?\s*(.*)$')


class Tally:
    def __init__(self):
        self.passed = 0
        self.failed = 0
        self.failures = []

    def add(self, suite, name, ok, detail=''):
        if ok:
            self.passed += 1
        else:
            self.failed += 1
            self.failures.append(f'{suite}: {name} {detail}'.rstrip())
        print(f'{"ok" if ok else "FAIL"}  {suite}: {name}', flush=True)


def run_tap(tally, suite, cmd, env=None, cwd=None, timeout=900):
    t0 = time.time()
    try:
        p = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True,
                           timeout=timeout, errors='replace')
        out, err, rc = p.stdout, p.stderr, p.returncode
    except subprocess.TimeoutExpired as e:
        out, err, rc = (e.stdout or b'').decode(errors='replace') if isinstance(e.stdout, bytes) else (e.stdout or ''), 'timeout', -1
    plan = None
    seen = 0
    bad = 0
    for line in out.splitlines():
        m = re.match(r'^1\.\.(\d+)', line)
        if m:
            plan = int(m.group(1))
            continue
        m = TAP.match(line)
        if m:
            seen += 1
            ok = m.group(1) == 'ok'
            bad += not ok
            tally.add(suite, m.group(2).strip() or f'case {seen}', ok)
    missing = (plan - seen) if plan is not None and plan > seen else 0
    if rc != 0 and bad == 0 and missing == 0:
        missing = 1
    for i in range(missing):
        tally.add(suite, f'crashed or unreported case {i + 1} (exit {rc})', False)
    if rc != 0 or bad:
        sys.stdout.write(out[-4000:])
        sys.stdout.write(err[-6000:])
    print(f'--- {suite}: {seen} cases in {time.time() - t0:.1f}s', flush=True)


def unit_suites(tally, build):
    tests = json.loads(subprocess.check_output(['meson', 'introspect', '--tests', build], text=True))
    for t in tests:
        env = dict(os.environ)
        env.update(t.get('env') or {})
        env['CMOCKA_MESSAGE_OUTPUT'] = 'TAP'
        env.setdefault('HALONG_SRC', ROOT)
        run_tap(tally, t['name'], t['cmd'], env=env, cwd=t.get('workdir') or ROOT)


def structure_suite(tally, build):
    """The library's one door kept closed (tests/nevers.py): clients include only public
    headers and reach no store, index or SQLite function."""
    run_tap(tally, 'nevers', [sys.executable, os.path.join(ROOT, 'tests', 'nevers.py'),
                              '--build', build])


def fuzz_suites(tally, build):
    fdir = os.path.join(build, 'fuzz')
    if not os.path.isdir(fdir):
        return
    for name in sorted(os.listdir(fdir)):
        exe = os.path.join(fdir, name)
        corpus = os.path.join(ROOT, 'fuzz', 'corpus', name.replace('fuzz_', ''))
        if name.startswith('fuzz_') and os.access(exe, os.X_OK) and os.path.isdir(corpus):
            run_tap(tally, name, [exe, corpus])


class TapResult(unittest.TestResult):
    def __init__(self, tally):
        super().__init__()
        self.tally = tally
        self.t0 = {}

    def addSuccess(self, test):
        self.tally.add('e2e', test.id().replace('test_', '', 1), True)

    def _bad(self, test, err):
        self.tally.add('e2e', test.id(), False)
        print(self._exc_info_to_string(err, test), flush=True)

    def addFailure(self, test, err):
        self._bad(test, err)

    def addError(self, test, err):
        self._bad(test, err)

    def addSkip(self, test, reason):
        # A skipped test is not a pass: it is reported, and counted as failed.
        self.tally.add('e2e', f'{test.id()} (skipped: {reason})', False)

    def addSubTest(self, test, subtest, err):
        # A failing subTest fails its test: unittest then never calls addSuccess for it, so
        # without this it would be counted neither way.
        if err is not None:
            self._bad(subtest, err)

    def addUnexpectedSuccess(self, test):
        self.tally.add('e2e', test.id(), False)


def e2e_suites(tally, build, pattern):
    os.environ['HALONG_BIN'] = os.path.abspath(os.path.join(build, 'src', 'cli', 'halong'))
    os.environ['HALONG_SRC'] = ROOT
    sys.path.insert(0, os.path.join(ROOT, 'tests', 'e2e'))
    suite = unittest.defaultTestLoader.discover(os.path.join(ROOT, 'tests', 'e2e'), pattern=pattern,
                                                top_level_dir=os.path.join(ROOT, 'tests', 'e2e'))
    suite.run(TapResult(tally))


def test_pages(tally, build):
    """Renders the OCR test pages once per build folder (tests/pages/make_pages.py keeps a folder
    whose stamp matches) and tells the unit and e2e tests where they are."""
    out = os.path.join(build, 'test-pages')
    p = subprocess.run(['/usr/bin/python3', os.path.join(ROOT, 'tests', 'pages', 'make_pages.py'),
                        out], capture_output=True, text=True, timeout=900)
    if p.returncode != 0:
        tally.add('setup', 'render the OCR test pages', False, p.stderr[-2000:])
        return
    os.environ['HL_TEST_PAGES'] = out
    os.environ['HL_OCR_PAGES'] = out


def browser_suite(tally, build):
    """The browser tests: headless Chromium driven by playwright-core against a real server."""
    runner = os.path.join(ROOT, 'tests', 'browser', 'run.mjs')
    if not os.path.exists(runner):
        return
    env = dict(os.environ)
    env['HALONG_BIN'] = os.path.abspath(os.path.join(build, 'src', 'cli', 'halong'))
    env['HALONG_SRC'] = ROOT
    env['HL_ARTIFACTS'] = os.path.join(build, 'artifacts', 'browser')
    run_tap(tally, 'browser', ['node', runner], env=env, cwd=ROOT, timeout=1200)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--build', default='build-san')
    ap.add_argument('--only', choices=['unit', 'nevers', 'fuzz', 'e2e', 'browser'])
    ap.add_argument('--e2e-pattern', default='test_*.py')
    a = ap.parse_args()
    build = os.path.abspath(a.build)
    tally = Tally()
    t0 = time.time()
    if a.only in (None, 'unit', 'e2e'):
        test_pages(tally, build)
    if a.only in (None, 'unit'):
        unit_suites(tally, build)
    if a.only in (None, 'nevers'):
        structure_suite(tally, build)
    if a.only in (None, 'fuzz'):
        fuzz_suites(tally, build)
    if a.only in (None, 'e2e'):
        e2e_suites(tally, build, a.e2e_pattern)
    if a.only in (None, 'browser'):
        browser_suite(tally, build)
    if tally.failures:
        print('\nFailed:')
        for f in tally.failures:
            print('  ' + f)
    print(f'\n(total time {time.time() - t0:.0f}s)')
    print(f'{tally.passed} passed, {tally.failed} failed')
    return 1 if tally.failed or tally.passed == 0 else 0


if __name__ == '__main__':
    sys.exit(main())
