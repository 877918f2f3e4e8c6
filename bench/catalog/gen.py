#!/usr/bin/env python3
"""GENERATED data for bench/catalog (labelled so: every file's name starts with "generated-").

  gen.py csv FILE --rows N [--seed S] [--row-bytes B] [--recipe FILE]
      N rows  unit,period,indicator,value,estimate  (and ,note when --row-bytes is given:
      each row padded to about B bytes with real text, for the memory test)
  gen.py upsert IN OUT --change K [--seed S]
      a copy of IN with the value of K rows changed (the same keys, the same order)
  gen.py sorted IN OUT
      the rows of IN sorted by their key (unit, period, indicator): the order halong keeps
      keys in (the same bytes, the same rows)
  gen.py units
      the 54 unit codes, one a line

Made from real names, recombined; NO figure in it is real:
- unit: the 54 communes, wards and special zones of Quang Ninh since 1 July 2025 (their codes,
  from data/units/quangninh_units_2025.csv, the rows whose parent is 22);
- indicator: the distinct names of the `indicator` column of the six sector tables
  (../shared/data/sector/*.csv: 70 names, press statistics of Quang Ninh);
- period: a month from 2000-01 to 2025-12, written as its first day (yyyy-mm-01);
- the key (unit, period, indicator) is unique: row i takes key (i * 1000003) mod K of the
  K = 54 * 312 * 70 = 1,179,360 keys (a permutation: every key at most once, spread over all);
- value: a number with two decimals drawn from a seeded random stream (NOT a statistic);
  estimate: 0 or 1 from the same stream;
- note (--row-bytes only): the real `value_as_written` and `note` texts of the sector tables,
  picked by the same stream and joined by " | " up to the row's size.
"""

import argparse
import csv
import glob
import os
import random
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
STEP = 1000003  # a prime larger than K: i -> i * STEP mod K is a permutation of the keys
MONTHS = [f"{y}-{m:02d}-01" for y in range(2000, 2026) for m in range(1, 13)]


def shared_data():
    cands = [os.environ.get("HALONG_SHARED_DATA"), os.path.join(ROOT, "..", "shared", "data"),
             os.path.join(ROOT, "..", "..", "shared", "data"), "/work/shared/data"]
    for c in cands:
        if c and os.path.isfile(os.path.join(c, "sector", "tourism.csv")):
            return os.path.abspath(c)
    sys.exit("gen.py: no shared data (set HALONG_SHARED_DATA to ../shared/data)")


def units(data):
    path = os.path.join(ROOT, "data", "units", "quangninh_units_2025.csv")
    if not os.path.isfile(path):
        path = os.path.join(data, "units", "quangninh_units_2025.csv")
    rows = csv.DictReader(open(path, encoding="utf-8", newline=""))
    codes = sorted(r["code"] for r in rows if r["parent_code"] == "22")
    assert len(codes) == 54, len(codes)
    return codes, path


def sector(data):
    names, texts = set(), []
    files = sorted(glob.glob(os.path.join(data, "sector", "*.csv")))
    for f in files:
        for r in csv.DictReader(open(f, encoding="utf-8", newline="")):
            names.add(r["indicator"])
            for k in ("value_as_written", "note"):
                if r.get(k):
                    texts.append(r[k])
    return sorted(names), texts, files


def gen_csv(a):
    data = shared_data()
    codes, upath = units(data)
    inds, texts, files = sector(data)
    K = len(codes) * len(MONTHS) * len(inds)
    if a.rows > K:
        sys.exit(f"gen.py: at most {K} rows (unique keys)")
    rnd = random.Random(a.seed)
    nu, nm = len(codes), len(MONTHS)
    with open(a.file, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        head = ["unit", "period", "indicator", "value", "estimate"]
        if a.row_bytes:
            head.append("note")
        w.writerow(head)
        for i in range(a.rows):
            k = (i * STEP) % K
            u, k = k % nu, k // nu
            m, ind = k % nm, k // nm
            row = [codes[u], MONTHS[m], inds[ind], "%.2f" % (rnd.randrange(0, 10000000) / 100),
                   rnd.randrange(2)]
            if a.row_bytes:
                base = len(",".join(map(str, row)).encode()) + 4
                parts, n = [], 0
                while n < a.row_bytes - base:
                    t = texts[rnd.randrange(len(texts))]
                    parts.append(t)
                    n += len(t.encode()) + 3
                row.append(" | ".join(parts))
            w.writerow(row)
    recipe = (f"recipe (GENERATED data, not real figures): bench/catalog/gen.py csv --rows {a.rows} "
              f"--seed {a.seed}" + (f" --row-bytes {a.row_bytes}" if a.row_bytes else "") +
              f"; units: the 54 codes of {os.path.relpath(upath, ROOT)}; indicators: the {len(inds)} "
              f"names of {data}/sector/*.csv ({len(files)} files); periods: {len(MONTHS)} months "
              f"2000-01..2025-12; key (unit, period, indicator) unique, row i = key i*{STEP} mod {K}; "
              f"value: random.Random({a.seed}) in [0, 100000) with 2 decimals; estimate 0/1"
              + ("; note: real value_as_written/note texts of the sector tables joined by ' | '"
                 if a.row_bytes else ""))
    print(recipe)
    if a.recipe:
        with open(a.recipe, "w", encoding="utf-8") as f:
            f.write(recipe + "\n")


def gen_upsert(a):
    rnd = random.Random(a.seed)
    rows = list(csv.reader(open(a.inp, encoding="utf-8", newline="")))
    n = len(rows) - 1
    pick = sorted(rnd.sample(range(1, n + 1), a.change))
    for i in pick:
        old = rows[i][3]
        while rows[i][3] == old:
            rows[i][3] = "%.2f" % (rnd.randrange(0, 10000000) / 100)
    with open(a.out, "w", encoding="utf-8", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows(rows)
    print(f"upsert file: {a.change} values changed, at data lines {', '.join(map(str, pick))} "
          f"(file lines {', '.join(str(i + 1) for i in pick)}), seed {a.seed}")


def gen_sorted(a):
    rows = list(csv.reader(open(a.inp, encoding="utf-8", newline="")))
    body = sorted(rows[1:], key=lambda r: (r[0], r[1], r[2]))
    with open(a.out, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(rows[0])
        w.writerows(body)
    print(f"sorted file: the {len(body)} rows sorted by (unit, period, indicator)")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("csv")
    c.add_argument("file")
    c.add_argument("--rows", type=int, required=True)
    c.add_argument("--seed", type=int, default=20250701)
    c.add_argument("--row-bytes", type=int, default=0)
    c.add_argument("--recipe")
    u = sub.add_parser("upsert")
    u.add_argument("inp")
    u.add_argument("out")
    u.add_argument("--change", type=int, default=3)
    u.add_argument("--seed", type=int, default=20250701)
    o = sub.add_parser("sorted")
    o.add_argument("inp")
    o.add_argument("out")
    sub.add_parser("units")
    a = p.parse_args()
    if a.cmd == "csv":
        gen_csv(a)
    elif a.cmd == "upsert":
        gen_upsert(a)
    elif a.cmd == "sorted":
        gen_sorted(a)
    else:
        print("\n".join(units(shared_data())[0]))


if __name__ == "__main__":
    main()
