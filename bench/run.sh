#!/usr/bin/env bash
# The ingest and search benchmarks, side by side in one run: halong against raw Xapian (a few
# lines of folding) and raw SQLite FTS5 (unicode61 remove_diacritics 2) on the same documents and
# queries made from the real law corpus. See bench/README.md.
#
#   bash bench/run.sh [BUILD] [--full] [--docs N] [--rounds R] [--ingest-rounds R] [--seed S] [--keep]
#
# Default 100,000 documents; --full 1,000,000. Output goes to the terminal and to
# bench/out/run-<date>-<docs>.log; data and databases to bench/out/ (gitignored).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
ARGS="$*"
BUILD=build
DOCS=100000
ROUNDS=3
INGEST_ROUNDS=
SEED=20250701
KEEP=0
while [ $# -gt 0 ]; do
	case "$1" in
	--full) DOCS=1000000 ;;
	--docs) DOCS=$2; shift ;;
	--rounds) ROUNDS=$2; shift ;;
	--ingest-rounds) INGEST_ROUNDS=$2; shift ;;
	--seed) SEED=$2; shift ;;
	--keep) KEEP=1 ;;
	-h | --help) sed -n '2,10p' "$0"; exit 0 ;;
	-*) echo "run.sh: unknown option $1" >&2; exit 2 ;;
	*) BUILD=$1 ;;
	esac
	shift
done
# Two ingest rounds by default (a few minutes at 100k); one at 1M (tens of minutes each).
[ -n "$INGEST_ROUNDS" ] || { [ "$DOCS" -ge 1000000 ] && INGEST_ROUNDS=1 || INGEST_ROUNDS=2; }
case "$BUILD" in /*) ;; *) BUILD="$ROOT/$BUILD" ;; esac

# Shared 2-core machine: stay below the compilers of the others.
renice -n 10 $$ >/dev/null 2>&1 || true

OUT="$ROOT/bench/out"
DATA="$OUT/data-$DOCS-s$SEED"
WORK="$OUT/work-$DOCS"
mkdir -p "$OUT"
LOG="$OUT/run-$(date +%Y%m%d-%H%M%S)-$DOCS.log"
exec > >(tee "$LOG") 2>&1

TIME=/usr/bin/time
if [ ! -x "$TIME" ]; then
	echo "run.sh: /usr/bin/time is needed for peak RSS" >&2
	exit 1
fi

echo "== halong ingest + search benchmark, $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "machine: nproc=$(nproc) cpu=\"$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')\"" \
	"mem=$(awk '/MemTotal/ {printf "%.1fGB", $2/1048576}' /proc/meminfo) kernel=$(uname -r)"
echo "load: $(cut -d' ' -f1-3 /proc/loadavg) (other engineers share this machine)"
BUILDTYPE=$(python3 -c 'import json,sys; print([o["value"] for o in json.load(open(sys.argv[1])) if o["name"] == "buildtype"][0])' \
	"$BUILD/meson-info/intro-buildoptions.json" 2>/dev/null || echo '?')
echo "versions: xapian $(xapian-config --version | awk '{print $NF}'), sqlite3 shell $(sqlite3 --version | cut -d' ' -f1)," \
	"halong $(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo "?") (the build holds the working tree), build $BUILD (buildtype=$BUILDTYPE)"
echo "sizes: docs=$DOCS search rounds=$ROUNDS ingest rounds=$INGEST_ROUNDS seed=$SEED"
echo "command: bash bench/run.sh $ARGS"

# ---- build ----
echo
echo "== build"
ninja -C "$BUILD" bench/raw_xapian bench/raw_fts5 >/dev/null
HALONG="$BUILD/src/cli/halong"
BSEARCH="$BUILD/bench/bench_search"
HAVE_HALONG=1
if ! ninja -C "$BUILD" src/cli/halong bench/bench_search >"$OUT/halong-build.log" 2>&1; then
	HAVE_HALONG=0
	echo "halong: does not build yet (see $OUT/halong-build.log); baselines only"
fi
XAPIAN="$BUILD/bench/raw_xapian"
FTS5="$BUILD/bench/raw_fts5"

# ---- data ----
echo
echo "== data"
if [ ! -f "$DATA/recipe.txt" ]; then
	rm -rf "$DATA"
	echo "+ python3 bench/gen.py --docs $DOCS --seed $SEED --out $DATA"
	python3 "$ROOT/bench/gen.py" --docs "$DOCS" --seed "$SEED" --out "$DATA.tmp" >/dev/null
	mv "$DATA.tmp" "$DATA"
fi
cat "$DATA/recipe.txt"
echo "manifest: $DATA/manifest.csv ($(du -m "$DATA/manifest.csv" | cut -f1) MB)"

rm -rf "$WORK"
mkdir -p "$WORK/search"

# Runs a command under /usr/bin/time; appends "<seconds> <peak KB> <docs>" to $WORK/ingest.<side>.
timed() {
	local side=$1
	shift
	echo "+ $*"
	"$TIME" -f "%e %M" -o "$WORK/time.$side" "$@" || return $?
	echo "$(cat "$WORK/time.$side") $DOCS" >>"$WORK/ingest.$side"
}

# The sqlite3 shell: .import into a plain table (the metadata), then the FTS5 table.
cat >"$WORK/fts5-import.sql" <<EOF
.bail on
CREATE TABLE docs(fonds_code, dossier_code, doc_ordinal, doc_id, doc_number, doc_notation,
  issued_date, doc_type, issuer, subject, access_level, keywords, text);
.import --csv --skip 1 $DATA/manifest.csv docs
CREATE VIRTUAL TABLE fts USING fts5(doc_id UNINDEXED, subject, text,
  tokenize='unicode61 remove_diacritics 2');
INSERT INTO fts(doc_id, subject, text) SELECT doc_id, subject, text FROM docs;
EOF

# ---- ingest: a fresh database each, in turn, INGEST_ROUNDS times (the best round counts) ----
echo
echo "== ingest ($INGEST_ROUNDS rounds: xapian, halong, fts5, ...)"
for r in $(seq 1 "$INGEST_ROUNDS"); do
	echo "round $r, load $(cut -d' ' -f1-3 /proc/loadavg)"
	rm -rf "$WORK/xapian.db" "$WORK/fts5.db" "$WORK/halong"
	timed xapian "$XAPIAN" index "$WORK/xapian.db" "$DATA/manifest.csv"
	if [ $HAVE_HALONG = 1 ]; then
		"$HALONG" --home "$WORK/halong" init >/dev/null
		rc=0
		# Progress lines go to a file, stamped, to split the time between store and index.
		t0=$EPOCHREALTIME
		timed halong "$HALONG" --home "$WORK/halong" ingest "$DATA/manifest.csv" \
			2> >(while IFS= read -r l; do echo "$EPOCHREALTIME $l"; done >"$WORK/halong-ingest.$r.err") || rc=$?
		sleep 0.2
		grep -v '^[0-9.]* \(ingest\|index\):' "$WORK/halong-ingest.$r.err" | head -5 || true
		# "index: D of N (P%), R docs/s ...": the index phase began about D/R seconds before that line.
		awk -v t0="$t0" '$2 == "index:" && !f && $7 + 0 > 0 { f = $1 - $3 / $7 }
			END { if (f) printf "halong phases (estimated from the first index progress line): store %.0f s, index from then on\n", f - t0 }' \
			"$WORK/halong-ingest.$r.err"
		if [ $rc -ne 0 ] && [ $rc -ne 3 ]; then
			echo "halong ingest failed (exit $rc); halong left out"
			HAVE_HALONG=0
			rm -f "$WORK/ingest.halong"
		fi
	fi
	timed fts5 sqlite3 "$WORK/fts5.db" ".read $WORK/fts5-import.sql"
done
n=$(sqlite3 "$WORK/fts5.db" "SELECT count(*) FROM fts")
[ "$n" = "$DOCS" ] || echo "WARNING: fts5 holds $n documents, not $DOCS"
if [ $HAVE_HALONG = 1 ]; then
	"$HALONG" --home "$WORK/halong" stats || true
fi
echo "sizes on disk: xapian $(du -sm "$WORK/xapian.db" | cut -f1) MB, fts5 $(du -sm "$WORK/fts5.db" | cut -f1) MB$(
	[ $HAVE_HALONG = 1 ] && echo ", halong $(du -sm "$WORK/halong" | cut -f1) MB (store + index)")"

# ---- search: the three searchers in turn, ROUNDS times, each warm (a pass before the timed one) ----
echo
echo "== search ($ROUNDS rounds: halong, xapian, fts5, ...)"
for r in $(seq 1 "$ROUNDS"); do
	for set in mix known; do
		q="$DATA/queries.txt"
		[ $set = known ] && q="$DATA/known.txt"
		if [ $HAVE_HALONG = 1 ]; then
			"$BSEARCH" "$WORK/halong" "$q" "$WORK/search/halong.$set.$r.out" ||
				echo "bench_search: exit $? (some queries failed)"
		fi
		"$XAPIAN" search "$WORK/xapian.db" "$q" "$WORK/search/xapian.$set.$r.out"
		"$FTS5" "$WORK/fts5.db" "$q" "$WORK/search/fts5.$set.$r.out"
	done
	echo "round $r done, load $(cut -d' ' -f1-3 /proc/loadavg)"
done
echo "+ $XAPIAN search DB QUERIES OUT; $FTS5 DB QUERIES OUT; $BSEARCH HOME QUERIES OUT"

[ $KEEP = 1 ] || rm -rf "$WORK/xapian.db" "$WORK/fts5.db" "$WORK/halong"
echo "(log: $LOG)"
python3 "$ROOT/bench/report.py" "$WORK" "$DATA" "$DOCS" "$ROUNDS" "$INGEST_ROUNDS"
