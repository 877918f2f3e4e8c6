#!/usr/bin/env python3
"""The library's one door, kept closed (docs/internals/README.md): prints TAP, one case a rule.

The CLI (src/cli) and the server (src/server) are clients of libhalong. They
  - include only the public headers (include/halong/*.h), system headers and their own;
  - never name a store, index or SQLite function, nor a library-internal one (hl_<module>__x);
  - link no such symbol (checked on the compiled objects with nm, when a build folder is given).
And every public header has its headertest file (tests/headers/NAME.c), so that each one keeps
compiling alone.

Usage: tests/nevers.py [--build BUILD]
"""
import argparse
import glob
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CLIENTS = ['src/cli', 'src/server']
# Headers of one client another may include: the server's public header (`halong serve` starts
# it); nothing else of src/server.
SHARED = {('src/cli', 'server.h'): 'src/server/server.h'}
# Names a client may never use: the library-private ones (the store's and the index's functions
# and types, the HTTP client, the canonical encoder), SQLite, Xapian, and module-internal entry
# points (a double underscore after the module's name).
FORBIDDEN = re.compile(r'\b(hl_store_\w+|hl_index_\w+|hl_index\b|hl_http_\w+|hl_canon_\w+|sqlite3\w*|Xapian\w*|hl_[a-z]+__\w+)')
INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]', re.M)
LIBRARY_DIRS = set(os.listdir(os.path.join(ROOT, 'src', 'lib')))


def strip_comments(text):
    text = re.sub(r'/\*.*?\*/', lambda m: '\n' * m.group(0).count('\n'), text, flags=re.S)
    text = re.sub(r'//[^\n]*', '', text)
    return re.sub(r'"(?:\\.|[^"\\\n])*"', '""', text)


def client_files():
    for d in CLIENTS:
        for path in sorted(glob.glob(os.path.join(ROOT, d, '*.[ch]'))):
            yield d, path


def check_includes():
    bad = []
    for d, path in client_files():
        text = open(path, encoding='utf-8').read()
        for m in INCLUDE.finditer(text):
            kind, name = m.group(1), m.group(2)
            line = text.count('\n', 0, m.start()) + 1
            rel = os.path.relpath(path, ROOT)
            if kind == '<':
                if name.split('/')[0] in ('halong',) or name.startswith('sqlite3') or \
                        name.startswith('xapian'):
                    bad.append(f'{rel}:{line}: #include <{name}>')
                continue
            if name.startswith('halong/'):
                if not os.path.exists(os.path.join(ROOT, 'include', name)):
                    bad.append(f'{rel}:{line}: #include "{name}" is not a public header')
                continue
            if '/' not in name and os.path.exists(os.path.join(ROOT, d, name)):
                continue  # the client's own header
            if (d, name) in SHARED:
                continue
            bad.append(f'{rel}:{line}: #include "{name}" is private to the library')
    return bad


def check_names():
    bad = []
    for d, path in client_files():
        text = strip_comments(open(path, encoding='utf-8').read())
        for m in FORBIDDEN.finditer(text):
            line = text.count('\n', 0, m.start()) + 1
            bad.append(f'{os.path.relpath(path, ROOT)}:{line}: {m.group(1)}')
    return bad


def check_symbols(build):
    """Undefined symbols of the clients' objects that are the library's private ones."""
    bad = []
    objs = glob.glob(os.path.join(build, 'src', 'server', '*.p', '*.o')) + \
        glob.glob(os.path.join(build, 'src', 'cli', '*.p', '*.o'))
    if not objs:
        return [f'no compiled objects of src/cli or src/server under {build}']
    out = subprocess.run(['nm', '-u', '-A'] + sorted(objs), capture_output=True, text=True)
    for line in out.stdout.splitlines():
        obj, _, sym = line.rpartition(' ')
        if FORBIDDEN.match(sym):
            bad.append(f'{os.path.relpath(obj.rstrip(":"), build)} uses {sym}')
    return bad


def check_include_paths(build):
    """The clients are compiled without the library's private folder on their include path: a
    private header could not even be found."""
    bad = []
    try:
        ninja = open(os.path.join(build, 'build.ninja'), encoding='utf-8').read()
    except OSError as e:
        return [f'{build}/build.ninja: {e}']
    for block in ninja.split('\nbuild ')[1:]:
        head = block.split('\n', 1)[0]
        if not re.match(r'src/(cli|server)/[^ ]*\.o:', head):
            continue
        for flag in re.findall(r'-I(\S+)', block.split('\n\n', 1)[0]):
            if os.path.normpath(flag).rstrip('/').endswith(os.path.join('src', 'lib')):
                bad.append(f'{head.split(":")[0]} is compiled with -I{flag}')
                break
    return bad


def check_headertests():
    bad = []
    for h in sorted(glob.glob(os.path.join(ROOT, 'include', 'halong', '*.h'))):
        name = os.path.basename(h)[:-2]
        t = os.path.join(ROOT, 'tests', 'headers', name + '.c')
        if not os.path.exists(t):
            bad.append(f'include/halong/{name}.h has no tests/headers/{name}.c')
            continue
        meson = open(os.path.join(ROOT, 'tests', 'headers', 'meson.build')).read()
        if f"'{name}'" not in meson:
            bad.append(f'tests/headers/meson.build does not compile {name}.c')
        if f'"halong/{name}.h"' not in open(os.path.join(ROOT, 'tests', 'headers', 'all.cc')).read():
            bad.append(f'tests/headers/all.cc does not include halong/{name}.h')
    return bad


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--build')
    a = ap.parse_args()
    cases = [('clients include only public headers', check_includes),
             ('clients name no store, index, SQLite or internal function', check_names),
             ('each public header has its headertest', check_headertests)]
    if a.build:
        cases.append(('clients link no store, index, SQLite or internal symbol',
                      lambda: check_symbols(a.build)))
        cases.append(("clients are compiled without the library's private headers in sight",
                      lambda: check_include_paths(a.build)))
    print(f'1..{len(cases)}')
    failed = 0
    for i, (name, fn) in enumerate(cases, 1):
        bad = fn()
        print(f'{"not ok" if bad else "ok"} {i} - {name}')
        for b in bad:
            print(f'#   {b}')
        failed += bool(bad)
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
