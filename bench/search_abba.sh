#!/usr/bin/env bash
# Two halong builds' search side by side with raw Xapian, alternating (ABBA), on the data and
# databases a `bash bench/run.sh BUILD --keep` left in bench/out/ (see bench/README.md).
#
#   bash bench/search_abba.sh OLD_BUILD NEW_BUILD [--docs N] [--rounds R] [--seed S] [--set mix|known|toned]
#
# Each round runs A = OLD, raw Xapian, B = NEW, raw Xapian, B, Xapian, A, Xapian (so R rounds are
# 2R passes of each side, each a warm-up pass then a timed one); each query's median over the
# passes makes the p50/p99, as in run.sh; the ratios are each build's p99 over the p99 of the raw
# Xapian passes of the same run. The two builds must read the same store schema. --set toned: the
# mix's kind of fragments as written, with marks (gen.py's queries_toned.txt; raw Xapian folds
# them, halong weighs their tones on the first 300 hits).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
ARGS="$*"
DOCS=100000
ROUNDS=3
SEED=20250701
SET=mix
POS=()
while [ $# -gt 0 ]; do
	case "$1" in
	--docs) DOCS=$2; shift ;;
	--rounds) ROUNDS=$2; shift ;;
	--seed) SEED=$2; shift ;;
	--set) SET=$2; shift ;;
	-h | --help) sed -n '2,12p' "$0"; exit 0 ;;
	-*) echo "search_abba.sh: unknown option $1" >&2; exit 2 ;;
	*) POS+=("$1") ;;
	esac
	shift
done
[ ${#POS[@]} = 2 ] || { sed -n '2,12p' "$0" >&2; exit 2; }
abs() { case "$1" in /*) echo "$1" ;; *) echo "$PWD/$1" ;; esac; }
OLD=$(abs "${POS[0]}")
NEW=$(abs "${POS[1]}")

renice -n 10 $$ >/dev/null 2>&1 || true

OUT="$ROOT/bench/out"
DATA="$OUT/data-$DOCS-s$SEED"
WORK="$OUT/work-$DOCS"
Q="$DATA/queries.txt"
case "$SET" in
mix) ;;
known) Q="$DATA/known.txt" ;;
toned) Q="$DATA/queries_toned.txt" ;;
*) echo "search_abba.sh: --set mix, known or toned" >&2; exit 2 ;;
esac
for f in "$Q" "$WORK/xapian.db" "$WORK/halong/index"; do
	[ -e "$f" ] || { echo "search_abba.sh: $f is missing: run bash bench/run.sh BUILD --docs $DOCS --keep first" >&2; exit 1; }
done
ninja -C "$OLD" bench/bench_search >/dev/null
ninja -C "$NEW" bench/bench_search bench/raw_xapian >/dev/null
RES="$WORK/abba"
rm -rf "$RES"
mkdir -p "$RES"
LOG="$OUT/abba-$(date +%Y%m%d-%H%M%S)-$DOCS.log"
exec > >(tee "$LOG") 2>&1

echo "== search ABBA, $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "machine: nproc=$(nproc) cpu=\"$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')\""
echo "A (old): $OLD ($(git -C "$OLD/.." describe --always --dirty 2>/dev/null || echo ?))"
echo "B (new): $NEW ($(git -C "$NEW/.." describe --always --dirty 2>/dev/null || echo ?))"
echo "docs=$DOCS set=$SET rounds=$ROUNDS (ABBA each: $((2 * ROUNDS)) passes a side)"
echo "command: bash bench/search_abba.sh $ARGS"
pass=0
xap() {
	"$NEW/bench/raw_xapian" search "$WORK/xapian.db" "$Q" "$RES/xapian.$pass.out"
}
run() { # side build
	"$2/bench/bench_search" "$WORK/halong" "$Q" "$RES/$1.$pass.out" || echo "bench_search $1: exit $?"
}
for r in $(seq 1 "$ROUNDS"); do
	for side in A B B A; do
		pass=$((pass + 1))
		if [ $side = A ]; then run old "$OLD"; else run new "$NEW"; fi
		xap
	done
	echo "round $r done, load $(cut -d' ' -f1-3 /proc/loadavg)"
done

python3 - "$RES" <<'EOF'
import glob, os, statistics, sys
res = sys.argv[1]
def pct(v, p):
    k = max(0, min(len(v) - 1, int(-(-p * len(v) // 100)) - 1))
    return v[k]
def side(name):
    runs = []
    for f in sorted(glob.glob(os.path.join(res, name + ".*.out"))):
        runs.append([float(l.split("\t")[0]) / 1000 for l in open(f)])
    n = min(len(r) for r in runs)
    med = [statistics.median(r[i] for r in runs) for i in range(n)]
    ids = [l.rstrip("\n").partition("\t")[2] for l in open(sorted(glob.glob(os.path.join(res, name + ".*.out")))[-1])]
    return sorted(med), len(runs), ids
s = {k: side(k) for k in ("old", "new", "xapian")}
x99 = pct(s["xapian"][0], 99)
print("\nside      passes   p50 ms   p99 ms  mean ms   max ms   p99 ÷ xapian")
for k in ("old", "new", "xapian"):
    v, n, _ = s[k]
    print("%-8s %7d %8.2f %8.2f %8.2f %8.2f   %s" % (k, n, pct(v, 50), pct(v, 99), statistics.mean(v), v[-1],
          "%.3f" % (pct(v, 99) / x99) if k != "xapian" else ""))
same = sum(1 for a, b in zip(s["old"][2], s["new"][2]) if a == b)
print("top-10 ids identical old/new: %d of %d queries" % (same, len(s["old"][2])))
print("RESULT abba old_p99_ms=%.2f new_p99_ms=%.2f xapian_p99_ms=%.2f old_ratio=%.3f new_ratio=%.3f old_p50_ms=%.2f new_p50_ms=%.2f xapian_p50_ms=%.2f"
      % (pct(s["old"][0], 99), pct(s["new"][0], 99), x99, pct(s["old"][0], 99) / x99, pct(s["new"][0], 99) / x99,
         pct(s["old"][0], 50), pct(s["new"][0], 50), pct(s["xapian"][0], 50)))
EOF
echo "(log: $LOG)"
