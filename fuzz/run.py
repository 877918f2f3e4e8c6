#!/usr/bin/env python3
"""Runs the libFuzzer targets of a fuzzing build (meson -Dfuzzing=true; `make fuzz` sets it up)
one after the other, each for a set time or a set number of executions, and prints a table:
executions, exec/s, coverage (cov, ft), corpus growth and crashes.

Each target starts from its seed corpus, fuzz/corpus/<name>/ (read, never written), and writes
the new interesting inputs it finds to a scratch folder, BUILD/fuzz-work/<name>/corpus/, kept
between runs and never in git. A crash, leak or timeout is saved by libFuzzer as a file in
BUILD/fuzz-work/<name>/crashes/ (the run prints where, and how to replay it). With --merge, the
inputs of the scratch folder that add coverage to the seed corpus are copied into
fuzz/corpus/<name>/ (libFuzzer's -merge=1: a minimised set, named by their SHA-1).

Every run is also a line of BUILD/fuzz-work/<name>/campaign.tsv (when, the source's commit, seconds,
executions, crashes): a campaign of 10 million executions may take several runs, each going on
from the corpus of the one before, and --campaign adds them up per target and commit.

usage: fuzz/run.py [--build build-fuzz] [--targets csv,text] [--seconds 60 | --runs N] [--merge]
                   [-- LIBFUZZER_FLAGS, e.g. -detect_leaks=0 to get past a known leak]
       fuzz/run.py --merge-only ...   (no fuzzing: merge what earlier runs found)
       fuzz/run.py --campaign ...     (no fuzzing: the runs so far, added up)
Environment (the Makefile passes them): FUZZ_TARGETS, FUZZ_SECONDS, FUZZ_RUNS, FUZZ_MERGE=1.
Exit status: 0 when no target crashed, 1 when one did, 2 on a usage or setup error.
"""
import argparse
import glob
import os
import re
import shutil
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SEEDS = os.path.join(ROOT, 'fuzz', 'corpus')
ARTIFACTS = ('crash-', 'leak-', 'timeout-', 'oom-', 'slow-unit-')
# libFuzzer's status lines: "#123456 NEW cov: 1234 ft: 5678 corp: 90/12Kb ... exec/s: 4321 ..."
STATUS = re.compile(r'^#(\d+)\s+\w+\s+cov: (\d+) ft: (\d+) corp: (\d+)/')
STAT = re.compile(r'^stat::(\w+):\s*(\d+)')


def targets_of(build):
    fdir = os.path.join(build, 'fuzz')
    names = []
    for path in sorted(glob.glob(os.path.join(fdir, 'fuzz_*'))):
        name = os.path.basename(path)[len('fuzz_'):]
        if os.path.isfile(path) and os.access(path, os.X_OK) and \
                os.path.isdir(os.path.join(SEEDS, name)):
            names.append(name)
    return names


def is_fuzzing_build(exe):
    """A replayer (the default build) takes a folder and prints TAP; a libFuzzer binary knows
    -help=1. Running a replayer as a fuzzer would only replay the seeds."""
    try:
        p = subprocess.run([exe, '-help=1'], capture_output=True, text=True, timeout=60,
                           errors='replace')
    except (OSError, subprocess.TimeoutExpired):
        return False
    return 'libFuzzer' in p.stdout + p.stderr


def sanitizer_env(extra=()):
    env = dict(os.environ)
    # Abort on the first report so that libFuzzer saves the input; symbolised stacks. Without
    # leak checks per input (-detect_leaks=0, to get past a known leak), none at exit either:
    # LeakSanitizer would report at exit what the run accumulated and fail it.
    leaks = 0 if '-detect_leaks=0' in extra else 1
    env.setdefault('ASAN_OPTIONS', 'abort_on_error=1:detect_leaks=%d:symbolize=1:'
                   'allocator_may_return_null=1' % leaks)
    env.setdefault('UBSAN_OPTIONS', 'halt_on_error=1:abort_on_error=1:print_stacktrace=1:'
                   'symbolize=1')
    sym = shutil.which('llvm-symbolizer')
    if sym:
        env.setdefault('ASAN_SYMBOLIZER_PATH', sym)
    return env


def artifacts(folder):
    if not os.path.isdir(folder):
        return set()
    return {f for f in os.listdir(folder) if f.startswith(ARTIFACTS)}


def fuzz_one(build, name, seconds, runs, extra):
    exe = os.path.abspath(os.path.join(build, 'fuzz', 'fuzz_' + name))
    work = os.path.abspath(os.path.join(build, 'fuzz-work', name))
    corpus = os.path.join(work, 'corpus')
    crashes = os.path.join(work, 'crashes')
    os.makedirs(corpus, exist_ok=True)
    os.makedirs(crashes, exist_ok=True)
    log = os.path.join(work, 'log.txt')
    before = artifacts(crashes)
    cmd = [exe, '-artifact_prefix=' + crashes + '/', '-print_final_stats=1',
           '-timeout=25', '-rss_limit_mb=2560', '-malloc_limit_mb=2048', '-print_pcs=0']
    if runs:
        cmd.append('-runs=%d' % runs)
    else:
        cmd.append('-max_total_time=%d' % seconds)
    dict_path = os.path.join(ROOT, 'fuzz', name + '.dict')
    if os.path.exists(dict_path):
        cmd.append('-dict=' + dict_path)
    cmd += extra
    cmd += [corpus, os.path.join(SEEDS, name)]
    print(f'--- fuzz_{name}: ' + (f'{runs} executions' if runs else f'{seconds} s') +
          f', log {os.path.relpath(log, ROOT)}', flush=True)
    t0 = time.time()
    with open(log, 'w') as out:
        out.write(' '.join(cmd) + '\n')
        out.flush()
        p = subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT, env=sanitizer_env(extra),
                           cwd=work)
    elapsed = time.time() - t0
    text = open(log, errors='replace').read()
    r = {'name': name, 'rc': p.returncode, 'seconds': elapsed, 'execs': 0, 'execs_s': 0,
         'cov': 0, 'ft': 0, 'corp': 0, 'new': 0, 'rss': 0, 'log': log}
    for line in text.splitlines():
        m = STATUS.match(line)
        if m:
            r['execs'] = max(r['execs'], int(m.group(1)))
            r['cov'], r['ft'], r['corp'] = int(m.group(2)), int(m.group(3)), int(m.group(4))
        m = STAT.match(line)
        if m:
            key, v = m.group(1), int(m.group(2))
            if key == 'number_of_executed_units':
                r['execs'] = v
            elif key == 'average_exec_per_sec':
                r['execs_s'] = v
            elif key == 'new_units_added':
                r['new'] = v
            elif key == 'peak_rss_mb':
                r['rss'] = v
    if not r['execs_s'] and elapsed > 0:
        r['execs_s'] = int(r['execs'] / elapsed)
    found = sorted(artifacts(crashes) - before)
    r['crashes'] = [os.path.join(crashes, f) for f in found]
    if p.returncode != 0 and not found:
        # A failure libFuzzer saved no input for (a setup error, a crash in the seeds' loading)
        r['crashes'] = ['(no input saved: exit %d, see the log)' % p.returncode]
    with open(os.path.join(work, 'campaign.tsv'), 'a') as led:
        led.write('%s\t%s\t%.0f\t%d\t%d\n' % (time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime()),
                                             source_commit(), elapsed, r['execs'],
                                             len(r['crashes'])))
    if r['crashes']:
        print(f'!!! fuzz_{name} failed (exit {p.returncode}); its report:', flush=True)
        report = [l for l in text.splitlines() if l.startswith(('==', '    #', 'SUMMARY',
                                                                 'fuzz_', 'artifact_prefix'))
                  or 'runtime error' in l or 'invariant' in l or 'ERROR' in l]
        print('\n'.join(report[:60]))
        for c in r['crashes']:
            if os.path.exists(c):
                print(f'    input saved: {os.path.relpath(c, ROOT)}')
                print(f'    replay it:   {os.path.relpath(exe, ROOT)} {os.path.relpath(c, ROOT)}')
    return r


def source_commit():
    """The source tree's commit as the run ends, '+' when tracked files differ from it. The
    build is taken to be of it: `make fuzz` builds before it runs (run.py alone does not)."""
    try:
        head = subprocess.run(['git', '-C', ROOT, 'rev-parse', '--short', 'HEAD'],
                              capture_output=True, text=True).stdout.strip()
        dirty = subprocess.run(['git', '-C', ROOT, 'status', '--porcelain', '--untracked-files=no'],
                               capture_output=True, text=True).stdout.strip()
    except OSError:
        return '?'
    return (head or '?') + ('+' if dirty else '')


def campaign(build, names):
    """The runs of each target so far (campaign.tsv), added up per commit of the source."""
    rows = [('target', 'commit', 'runs', 'seconds', 'executions', 'crashes', 'last run')]
    for name in names:
        led = os.path.join(build, 'fuzz-work', name, 'campaign.tsv')
        per = {}
        if os.path.exists(led):
            for line in open(led):
                f = line.rstrip('\n').split('\t')
                if len(f) != 5:
                    continue
                c = per.setdefault(f[1], [0, 0, 0, 0, ''])
                c[0] += 1
                c[1] += int(f[2])
                c[2] += int(f[3])
                c[3] += int(f[4])
                c[4] = f[0]
        if not per:
            rows.append(('fuzz_' + name, '-', '0', '0', '0', '0', '-'))
        for commit, c in per.items():
            rows.append(('fuzz_' + name, commit, str(c[0]), str(c[1]), str(c[2]), str(c[3]), c[4]))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for i, row in enumerate(rows):
        print('  '.join(c.ljust(w) if j < 2 else c.rjust(w)
                        for j, (c, w) in enumerate(zip(row, widths))))
        if i == 0:
            print('  '.join('-' * w for w in widths))


def merge_one(build, name):
    """Adds to fuzz/corpus/<name>/ the scratch inputs that give it new coverage."""
    exe = os.path.abspath(os.path.join(build, 'fuzz', 'fuzz_' + name))
    work = os.path.abspath(os.path.join(build, 'fuzz-work', name))
    corpus = os.path.join(work, 'corpus')
    seeds = os.path.join(SEEDS, name)
    if not os.path.isdir(corpus) or not os.listdir(corpus):
        print(f'--- merge fuzz_{name}: nothing found yet ({os.path.relpath(corpus, ROOT)} is empty)')
        return 0
    before = set(os.listdir(seeds))
    log = os.path.join(work, 'merge.txt')
    with open(log, 'w') as out:
        p = subprocess.run([exe, '-merge=1', '-timeout=25', '-rss_limit_mb=2560', seeds, corpus],
                           stdout=out, stderr=subprocess.STDOUT, env=sanitizer_env(), cwd=work)
    added = sorted(set(os.listdir(seeds)) - before)
    print(f'--- merge fuzz_{name}: {len(added)} inputs added to fuzz/corpus/{name}/'
          + ('' if p.returncode == 0 else f' (exit {p.returncode}, see {os.path.relpath(log, ROOT)})'))
    return p.returncode


def table(results):
    head = ('target', 'seconds', 'executions', 'exec/s', 'cov', 'ft', 'corpus', 'new',
            'rss MB', 'crashes')
    rows = [head]
    for r in results:
        rows.append(('fuzz_' + r['name'], '%.0f' % r['seconds'], str(r['execs']),
                     str(r['execs_s']), str(r['cov']), str(r['ft']), str(r['corp']),
                     str(r['new']), str(r['rss']), str(len(r['crashes']))))
    widths = [max(len(row[i]) for row in rows) for i in range(len(head))]
    print()
    for i, row in enumerate(rows):
        print('  '.join(c.ljust(w) if j == 0 else c.rjust(w)
                        for j, (c, w) in enumerate(zip(row, widths))))
        if i == 0:
            print('  '.join('-' * w for w in widths))
    for r in results:
        for c in r['crashes']:
            print(f'fuzz_{r["name"]}: {os.path.relpath(c, ROOT) if os.path.exists(c) else c}')


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--build', default='build-fuzz')
    ap.add_argument('--targets', default=os.environ.get('FUZZ_TARGETS', ''),
                    help='comma- or space-separated names (csv, text, fuzz_query, ...); '
                         'default: all')
    ap.add_argument('--seconds', type=int, default=int(os.environ.get('FUZZ_SECONDS') or 60),
                    help='per target (default 60)')
    ap.add_argument('--runs', type=int, default=int(os.environ.get('FUZZ_RUNS') or 0),
                    help='stop each target after this many executions instead of a time')
    ap.add_argument('--merge', action='store_true', default=os.environ.get('FUZZ_MERGE') == '1',
                    help='after fuzzing, merge new coverage into fuzz/corpus/<name>/')
    ap.add_argument('--merge-only', action='store_true', help='merge, do not fuzz')
    ap.add_argument('--campaign', action='store_true',
                    help='do not fuzz: the runs so far of each target, added up per commit')
    ap.add_argument('extra', nargs='*', help='more libFuzzer flags, after --')
    a = ap.parse_args()

    if not os.path.isdir(os.path.join(a.build, 'fuzz')):
        print(f'{a.build}/fuzz: no fuzzing build here (`make fuzz` sets one up)', file=sys.stderr)
        return 2
    known = targets_of(a.build)
    wanted = [t.strip() for t in re.split(r'[,\s]+', a.targets) if t.strip()]
    wanted = [t[len('fuzz_'):] if t.startswith('fuzz_') else t for t in wanted] or known
    unknown = [t for t in wanted if t not in known]
    if unknown:
        print(f'unknown target(s) {", ".join(unknown)}; built with a seed corpus: '
              f'{", ".join(known)}', file=sys.stderr)
        return 2
    if a.campaign:
        campaign(a.build, wanted)
        return 0
    if not is_fuzzing_build(os.path.join(a.build, 'fuzz', 'fuzz_' + wanted[0])):
        print(f'{a.build} is not a fuzzing build (meson -Dfuzzing=true with clang)',
              file=sys.stderr)
        return 2
    if a.merge_only:
        return 1 if any(merge_one(a.build, t) for t in wanted) else 0
    results = []
    for t in wanted:
        results.append(fuzz_one(a.build, t, a.seconds, a.runs, a.extra))
    table(results)
    if a.merge:
        for t in wanted:
            merge_one(a.build, t)
    return 1 if any(r['crashes'] for r in results) else 0


if __name__ == '__main__':
    sys.exit(main())
