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
    """The C text with its comments and the insides of its string and character literals
    removed, in one left-to-right pass as the compiler reads it (a "/*" or "//" inside a string
    opens nothing; a '"' is a character, not a string), line breaks kept so that line numbers
    stay true."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith('//', i):
            j = i + 2
            while j < n and text[j] != '\n':
                j += 2 if text.startswith('\\\n', j) else 1  # a "\" line break continues it
            out.append('\n' * text.count('\n', i, j))
            i = j
        elif text.startswith('/*', i):
            j = text.find('*/', i + 2)
            j = n if j < 0 else j + 2
            out.append(' ' + '\n' * text.count('\n', i, j))
            i = j
        elif c in '"\'':
            j = i + 1
            while j < n and text[j] != c and text[j] != '\n':
                j += 2 if text[j] == '\\' else 1
            j = min(j + 1, n)
            out.append(c + c + '\n' * text.count('\n', i, j))
            i = j
        else:
            j = i
            while j < n and text[j] not in '/"\'':
                j += 1
            if j == i:  # a '/' that opens no comment
                j = i + 1
            out.append(text[i:j])
            i = j
    return ''.join(out)


def check_stripper():
    """strip_comments on the cases a regex got wrong: each sample's names as the compiler
    sees them."""
    samples = [
        ('f("http://host/x"); hl_store_get(st);', ['hl_store_get']),
        ('g("/*"); hl_index_open(x); h("*/");', ['hl_index_open']),
        ("c = '\"'; hl_store_put(st); d = \"x\";", ['hl_store_put']),
        ('/* hl_store_a */ x = "hl_store_b"; // hl_store_c\nhl_store_d();', ['hl_store_d']),
        ('// a comment \\\n continued hl_store_e\nhl_store_f();', ['hl_store_f']),
        ('s = "a\\"hl_store_g"; t = 1 / 2; hl_store_h();', ['hl_store_h']),
    ]
    bad = []
    for src, want in samples:
        got = FORBIDDEN.findall(strip_comments(src))
        if got != want:
            bad.append(f'{src!r}: {got} (want {want})')
    src = 'a("/*");\n/* two\nlines */ hl_store_x();\n'
    line = strip_comments(src).count('\n', 0, strip_comments(src).find('hl_store_x')) + 1
    if line != 3:
        bad.append(f'{src!r}: hl_store_x found on line {line} (want 3)')
    return bad


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
    cases = [('the stripper reads strings and comments as the compiler does', check_stripper),
             ('clients include only public headers', check_includes),
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
