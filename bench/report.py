#!/usr/bin/env python3
"""Turns one bench/run.sh run into the side-by-side table and the RESULT lines: ingest rates and
peak RSS from the timing files, search p50/p99 (each query's median over the alternating rounds)
and known-item recall@10 from the searchers' output files.

    report.py WORK DATA DOCS ROUNDS
WORK holds ingest.<side> ("<seconds> <peak KB> <docs>") and search/<side>.<set>.<round>.out lines
("<microseconds>\t<id>,<id>,..."); DATA holds known.tsv.
"""

import os
import statistics
import sys

SIDES = ["halong", "xapian", "fts5"]


def pct(sorted_vals, p):
    """Nearest-rank percentile (p in 0..100) of an ascending list."""
    if not sorted_vals:
        return float("nan")
    k = max(0, min(len(sorted_vals) - 1, int(-(-p * len(sorted_vals) // 100)) - 1))
    return sorted_vals[k]


def read_out(path):
    rows = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            us, _, ids = line.rstrip("\n").partition("\t")
            rows.append((float(us), [i for i in ids.split(",") if i]))
    return rows


def search_side(work, side, qset, rounds):
    runs = []
    for r in range(1, rounds + 1):
        p = os.path.join(work, "search", "%s.%s.%d.out" % (side, qset, r))
        if os.path.exists(p):
            runs.append(read_out(p))
    if not runs:
        return None
    n = min(len(x) for x in runs)
    med = sorted(statistics.median(run[i][0] for run in runs) / 1000.0 for i in range(n))
    return {"p50": pct(med, 50), "p99": pct(med, 99), "mean": statistics.mean(med),
            "max": med[-1], "n": n, "rounds": len(runs), "ids": [runs[-1][i][1] for i in range(n)],
            "empty": sum(1 for i in range(n) if not runs[-1][i][1])}


def recall(known, ids):
    hit = sum(1 for (q, want), got in zip(known, ids) if want & set(got[:10]))
    return hit / len(known) if known else float("nan")


def fmt(x, nd=1):
    return "-" if x is None else ("%.*f" % (nd, x))


def main():
    work, data, docs, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    irounds = int(sys.argv[5]) if len(sys.argv) > 5 else 1
    known = []
    with open(os.path.join(data, "known.tsv"), encoding="utf-8") as f:
        for line in f:
            q, _, ids = line.rstrip("\n").partition("\t")
            known.append((q, set(ids.split(","))))

    ing = {}
    for s in SIDES:
        p = os.path.join(work, "ingest." + s)
        if os.path.exists(p):
            runs = [line.split() for line in open(p) if line.strip()]
            # the fastest round counts; peak RSS is the highest of any round
            best = min(runs, key=lambda x: float(x[0]))
            ing[s] = (float(best[0]), max(int(x[1]) for x in runs) / 1024.0, int(best[2]),
                      [float(x[0]) for x in runs])

    print()
    print("== ingest: %d documents, best of %d alternating rounds (wall time of the whole command;"
          " peak RSS from /usr/bin/time)" % (docs, irounds))
    print("%-8s %10s %10s %12s %10s  %s" % ("side", "seconds", "docs/s", "peak RSS MB",
                                             "halong ÷", "all rounds (s)"))
    dps = {s: (ing[s][2] / ing[s][0] if s in ing and ing[s][0] > 0 else None) for s in SIDES}
    for s in SIDES:
        if s not in ing:
            print("%-8s %10s" % (s, "not run"))
            continue
        ratio = dps["halong"] / dps[s] if dps["halong"] and s != "halong" else None
        print("%-8s %10.1f %10.0f %12.1f %10s  %s" % (
            s, ing[s][0], dps[s], ing[s][1], fmt(ratio, 2) if ratio else "",
            " ".join("%.1f" % t for t in ing[s][3])))

    res = {s: search_side(work, s, "mix", rounds) for s in SIDES}
    kres = {s: search_side(work, s, "known", rounds) for s in SIDES}
    rec = {s: (recall(known, kres[s]["ids"]) if kres[s] else None) for s in SIDES}
    print()
    print("== search: %d documents, %s tone-free 1-4 word queries, per-query median of %d "
          "alternating rounds (each after a warm-up pass)" % (
              docs, res["xapian"]["n"] if res["xapian"] else "?", rounds))
    print("%-8s %8s %8s %8s %8s %10s %10s %8s %10s" % (
        "side", "p50 ms", "p99 ms", "mean ms", "max ms", "p99 hal÷", "no result",
        "recall@10", "known p99"))
    for s in SIDES:
        r = res[s]
        if not r:
            print("%-8s %8s" % (s, "not run"))
            continue
        ratio = (res["halong"]["p99"] / r["p99"]) if res["halong"] and s != "halong" else None
        print("%-8s %8.2f %8.2f %8.2f %8.2f %10s %10d %8s %10s" % (
            s, r["p50"], r["p99"], r["mean"], r["max"], fmt(ratio, 2) if ratio else "",
            r["empty"], fmt(rec[s], 3), fmt(kres[s]["p99"] if kres[s] else None, 2)))
    print("(recall@10: %d known items, the subject typed without tones, đ as d; "
          "'p99 hal÷' < 1 means halong is faster)" % len(known))
    print()

    def kv(d, key, nd):
        return "%s=%s" % (key, fmt(d, nd) if d is not None else "NA")

    h = ing.get("halong")
    print(" ".join(["RESULT ingest", "docs=%d" % docs,
                    kv(dps["halong"], "halong_dps", 0), kv(dps["xapian"], "xapian_dps", 0),
                    kv(dps["fts5"], "fts5_dps", 0),
                    kv(dps["halong"] / dps["xapian"] if dps["halong"] and dps["xapian"] else None,
                       "ratio_vs_xapian", 3),
                    kv(dps["halong"] / dps["fts5"] if dps["halong"] and dps["fts5"] else None,
                       "ratio_vs_fts5", 3),
                    kv(h[1] if h else None, "halong_peak_rss_mb", 1)]))
    parts = ["RESULT search", "docs=%d" % docs]
    for s in SIDES:
        parts.append(kv(res[s]["p50"] if res[s] else None, s + "_p50_ms", 2))
        parts.append(kv(res[s]["p99"] if res[s] else None, s + "_p99_ms", 2))
    for s in SIDES:
        parts.append(kv(rec[s], "recall10_" + s, 3))
    print(" ".join(parts))


if __name__ == "__main__":
    main()
