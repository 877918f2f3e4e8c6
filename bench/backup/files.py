#!/usr/bin/env python3
"""The files of bench/backup's node: one file a document of bench/gen.py's manifest, made from
the document's own real text (no random bytes), and the manifest again with a `files` column.

Recipe (printed, and written to OUT/recipe-files.txt):
  - document i of MANIFEST gets files/<i div 1000>/doc-<i>.txt: a first line naming the document
    ("Bản sao số hóa <doc_id> — <subject>"), then its text repeated, paragraph by paragraph, to a
    seeded target size uniform in [MIN_KB, MAX_KB] KiB (default 8–24, mean 16 KiB): the size of a
    scan's text layer or a small page image, so that 100,000 documents make about 1.6 GB of blobs;
  - --prefix P (the ~1% change of the incremental backup): every row's fonds_code and doc_id get
    the prefix P, and the first line of its file names it, so each file is a new blob.

Usage: files.py MANIFEST OUT [--first N] [--count N] [--prefix P] [--seed S] [--min-kb A]
[--max-kb B]; writes OUT/manifest.csv and OUT/files/.
"""
import argparse
import csv
import os
import random
import sys


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('manifest')
    ap.add_argument('out')
    ap.add_argument('--first', type=int, default=0)
    ap.add_argument('--count', type=int, default=-1)
    ap.add_argument('--prefix', default='')
    ap.add_argument('--seed', type=int, default=20261208)
    ap.add_argument('--min-kb', type=int, default=8)
    ap.add_argument('--max-kb', type=int, default=24)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    files = os.path.join(a.out, 'files')
    os.makedirs(files, exist_ok=True)
    csv.field_size_limit(1 << 30)
    n = 0
    total = 0
    with open(a.manifest, encoding='utf-8', newline='') as f, \
            open(os.path.join(a.out, 'manifest.csv'), 'w', encoding='utf-8', newline='') as g:
        r = csv.reader(f)
        w = csv.writer(g, lineterminator='\r\n')
        head = next(r)
        w.writerow(head + ['files'])
        col = {k: i for i, k in enumerate(head)}
        for i, row in enumerate(r):
            if i < a.first:
                continue
            if a.count >= 0 and n >= a.count:
                break
            if a.prefix:
                row[col['fonds_code']] = a.prefix + row[col['fonds_code']]
                row[col['doc_id']] = a.prefix + row[col['doc_id']]
            rel = f'{i // 1000:04d}/doc-{i:07d}.txt'
            size = rng.randint(a.min_kb * 1024, a.max_kb * 1024)
            head_line = f"Bản sao số hóa {row[col['doc_id']]} — {row[col['subject']]}\n"
            paras = [p for p in row[col['text']].split('\n') if p.strip()] or [row[col['subject']]]
            body = bytearray(head_line.encode('utf-8'))
            k = 0
            while len(body) < size:
                body += (paras[k % len(paras)] + '\n').encode('utf-8')
                k += 1
            # cut at a character boundary at or below the size
            body = bytes(body[:size]).decode('utf-8', 'ignore').encode('utf-8')
            p = os.path.join(files, rel)
            os.makedirs(os.path.dirname(p), exist_ok=True)
            with open(p, 'wb') as h:
                h.write(body)
            total += len(body)
            w.writerow(row + [rel])
            n += 1
    recipe = (f'files: {n} documents of {a.manifest} from row {a.first}, one text file each '
              f'(the first line names the document, then its text repeated) of a seeded size '
              f'in [{a.min_kb}, {a.max_kb}] KiB, seed {a.seed}'
              + (f', fonds and doc_id prefixed {a.prefix!r}' if a.prefix else '')
              + f'; {total / 1e6:.1f} MB in all\n')
    with open(os.path.join(a.out, 'recipe-files.txt'), 'w', encoding='utf-8') as f:
        f.write(recipe)
    sys.stdout.write(recipe)


if __name__ == '__main__':
    main()
