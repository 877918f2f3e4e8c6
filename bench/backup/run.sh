#!/usr/bin/env bash
# The backup benchmark (issue 15), each part against its baseline in the same run, alternating.
# See bench/backup/README.md. The documents are bench/gen.py's (real law text recombined), their
# files made by bench/backup/files.py from each document's own text.
#
#   bash bench/backup/run.sh [--halong PATH] [--docs N] [--full] [--rounds R] [--duration S]
#                            [--seed S] [--keep]
#
# 1. full: `halong backup --to T` of the node (into an empty target) against the baseline
#    `sqlite3 halong.db ".backup T/store.db"` + `rsync -a blobs/ T/blobs/`; the baseline is also
#    timed with a `sync` after it (halong fsyncs every file it writes; rsync does not).
# 2. incremental: ~1% more documents (new files) ingested, then `halong backup` into a target
#    holding the full backup against the baseline into its own full copy (store.db again, rsync
#    copies the new blobs). Each round starts from a hard-linked copy of the full targets.
# 3. restore: `halong restore BACKUP --home NEW` (verifies, copies, rebuilds the search index)
#    against copying the baseline back (`cp store.db NEW/halong.db` + `rsync -a blobs/`).
# 4. api: `halong serve` on the node (HL_SEARCH_NO_CACHE=1: no answer reused), wrk -t2 -c16
#    --latency for S seconds on the fixed 200-query search mix (bench/search_mix.lua), without a
#    backup and while `halong backup` runs (into fresh targets, one after another), alternating;
#    p99 of each.
# Default 20,000 documents (a few minutes); --full 100,000 (the issue's size). Output to the
# terminal and bench/out/backup-<date>-<docs>.log; data in bench/out/ (gitignored).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
ARGS="$*"
HALONG="$ROOT/build-rel/src/cli/halong"
DOCS=20000
ROUNDS=3
DUR=15
SEED=20250701
KEEP=0
while [ $# -gt 0 ]; do
	case "$1" in
	--halong) HALONG=$2; shift ;;
	--docs) DOCS=$2; shift ;;
	--full) DOCS=100000 ;;
	--rounds) ROUNDS=$2; shift ;;
	--duration) DUR=$2; shift ;;
	--seed) SEED=$2; shift ;;
	--keep) KEEP=1 ;;
	-h | --help) sed -n '2,21p' "$0"; exit 0 ;;
	*) echo "run.sh: unknown option $1" >&2; exit 2 ;;
	esac
	shift
done
case "$HALONG" in /*) ;; *) HALONG="$PWD/$HALONG" ;; esac
[ -x "$HALONG" ] || { echo "run.sh: no halong binary at $HALONG (meson setup build-rel --buildtype=release -Dtests=false && ninja -C build-rel)" >&2; exit 1; }
command -v sqlite3 >/dev/null || { echo "run.sh: the sqlite3 shell is needed (the baseline)" >&2; exit 1; }
if ! command -v rsync >/dev/null || ! command -v wrk >/dev/null; then
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q rsync wrk >/dev/null
fi

# Shared 2-core machine: stay below the compilers of the others.
renice -n 10 $$ >/dev/null 2>&1 || true

OUT="$ROOT/bench/out"
DATA="$OUT/data-$DOCS-s$SEED"          # bench/gen.py's set (shared with bench/run.sh)
FSET="$OUT/backup-files-$DOCS-s$SEED"  # its files (files.py)
INC="$OUT/backup-files-$DOCS-s$SEED-inc"
WORK="$OUT/backup-work-$DOCS"
mkdir -p "$OUT"
LOG="$OUT/backup-$(date +%Y%m%d-%H%M%S)-$DOCS.log"
exec > >(tee "$LOG") 2>&1

BINDIR=$(dirname "$HALONG")
BUILDTYPE=$(python3 -c 'import json,sys; print([o["value"] for o in json.load(open(sys.argv[1])) if o["name"] == "buildtype"][0])' \
	"$BINDIR/../../meson-info/intro-buildoptions.json" 2>/dev/null || echo '?')
echo "== halong backup benchmark, $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "machine: nproc=$(nproc) cpu=\"$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')\"" \
	"mem=$(awk '/MemTotal/ {printf "%.1fGB", $2/1048576}' /proc/meminfo) kernel=$(uname -r)" \
	"fs=$(stat -f -c %T "$OUT") on $(df --output=source "$OUT" | tail -1)"
echo "load: $(cut -d' ' -f1-3 /proc/loadavg) (other engineers share this machine)"
echo "versions: $("$HALONG" --version | head -1) at $HALONG (tree $(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo '?')," \
	"buildtype=$BUILDTYPE); sqlite3 shell $(sqlite3 --version | cut -d' ' -f1); $(rsync --version | head -1 | awk '{print $1, $3}');" \
	"$(wrk --version 2>&1 | head -1 | cut -d' ' -f1-2)"
echo "sizes: docs=$DOCS rounds=$ROUNDS api duration=${DUR}s seed=$SEED"
echo "command: bash bench/backup/run.sh $ARGS"
echo "timing: wall clock of each command from bash (\$EPOCHREALTIME); the page cache is warm for both sides (nothing is dropped: no root-only knobs)"

now() { echo "${EPOCHREALTIME/./}"; } # microseconds
# timed NAME CMD...: wall µs appended to $WORK/NAME
timed() {
	local name=$1 t0 t1
	shift
	t0=$(now)
	"$@"
	t1=$(now)
	echo $((t1 - t0)) >>"$WORK/$name"
	printf '  %-22s %8.2f s\n' "$name" "$(echo "($t1 - $t0) / 1000000" | bc -l)" >&2
}
med() {
	python3 - "$WORK/$1" <<'PY'
import statistics, sys
v = [int(x) / 1e6 for x in open(sys.argv[1]) if x.strip()]
print('%.2f' % statistics.median(v))
PY
}
span() {
	python3 - "$WORK/$1" <<'PY'
import sys
v = sorted(int(x) / 1e6 for x in open(sys.argv[1]) if x.strip())
print('%.2f–%.2f' % (v[0], v[-1]))
PY
}
ratio() { python3 -c "import sys; a, b = float(sys.argv[1]), float(sys.argv[2]); print('%.2f' % (a / b) if b else 'inf')" "$1" "$2"; }

SPID=
cleanup() {
	[ -n "$SPID" ] && kill "$SPID" 2>/dev/null && wait "$SPID" 2>/dev/null
	[ "$KEEP" = 1 ] || rm -rf "$WORK"
}
trap cleanup EXIT

# ---- data ----
echo
echo "== data"
if [ ! -f "$DATA/recipe.txt" ]; then
	rm -rf "$DATA"
	echo "+ python3 bench/gen.py --docs $DOCS --seed $SEED --out $DATA"
	python3 "$ROOT/bench/gen.py" --docs "$DOCS" --seed "$SEED" --out "$DATA.tmp" >/dev/null
	mv "$DATA.tmp" "$DATA"
fi
head -3 "$DATA/recipe.txt"
if [ ! -f "$FSET/recipe-files.txt" ]; then
	rm -rf "$FSET"
	python3 "$ROOT/bench/backup/files.py" "$DATA/manifest.csv" "$FSET.tmp" --seed "$SEED" >/dev/null
	mv "$FSET.tmp" "$FSET"
fi
cat "$FSET/recipe-files.txt"
NINC=$((DOCS / 100))
if [ ! -f "$INC/recipe-files.txt" ]; then
	rm -rf "$INC"
	python3 "$ROOT/bench/backup/files.py" "$DATA/manifest.csv" "$INC.tmp" --count "$NINC" \
		--prefix INC --seed $((SEED + 1)) >/dev/null
	mv "$INC.tmp" "$INC"
fi
cat "$INC/recipe-files.txt"

rm -rf "$WORK"
mkdir -p "$WORK"
NODE="$WORK/node"

# ---- the node ----
echo
echo "== the node: init, units, ingest of $DOCS documents with their files"
"$HALONG" --home "$NODE" init >/dev/null
"$HALONG" --home "$NODE" units load --quiet
t0=$(now)
"$HALONG" --home "$NODE" ingest "$FSET/manifest.csv" --files "$FSET/files" --quiet | tail -1
t1=$(now)
echo "ingest: $(echo "($t1 - $t0) / 1000000" | bc -l | cut -c1-6) s"
"$HALONG" --home "$NODE" node init --unit 22 --url http://127.0.0.1:9 >/dev/null
STATS=$("$HALONG" --home "$NODE" stats --json)
echo "node: $STATS"
echo "node on disk: store $(du -sm "$NODE/halong.db" | cut -f1) MB, blobs $(du -sm "$NODE/blobs" | cut -f1) MB in $(find "$NODE/blobs" -type f | wc -l) files, index $(du -sm "$NODE/index" | cut -f1) MB"

# The baseline: the store by the sqlite3 shell's online backup, the blobs by rsync -a.
base_full() { # TARGET
	mkdir -p "$1"
	rm -f "$1/store.db"
	sqlite3 "$NODE/halong.db" ".backup '$1/store.db'"
	rsync -a "$NODE/blobs/" "$1/blobs/"
}
base_full_sync() {
	base_full "$1"
	sync -f "$1"
}
hl_backup() { # TARGET
	"$HALONG" --home "$NODE" backup --to "$1" --json >"$WORK/backup.json"
}

# ---- 1. full ----
echo
echo "== 1. full backup, $ROUNDS rounds, alternating (an empty target each time)"
for r in $(seq 1 "$ROUNDS"); do
	echo "round $r, load $(cut -d' ' -f1-3 /proc/loadavg)"
	if [ $((r % 2)) -eq 1 ]; then sides="halong base base_sync"; else sides="base_sync base halong"; fi
	for side in $sides; do
		rm -rf "$WORK/t-$side"
		sync
		case $side in
		halong) timed full_halong hl_backup "$WORK/t-halong" ;;
		base) timed full_base base_full "$WORK/t-base" ;;
		base_sync) timed full_base_sync base_full_sync "$WORK/t-base_sync" ;;
		esac
	done
done
python3 -c 'import json,sys; b=json.load(open(sys.argv[1])); print("halong backup:", {k: b[k] for k in ("documents", "blobs", "blobs_copied", "bytes_copied") if k in b})' "$WORK/backup.json"
FB=$(ls "$WORK/t-halong" | grep '^halong-backup-' | head -1)
"$HALONG" backup verify "$WORK/t-halong/$FB" | tail -1
FULL_H=$(med full_halong) FULL_B=$(med full_base) FULL_BS=$(med full_base_sync)
echo "# full: halong $FULL_H s, sqlite3 .backup + rsync -a $FULL_B s ($(span full_base)), with sync $FULL_BS s (medians of $ROUNDS): halong $(ratio "$FULL_H" "$FULL_B")x the baseline, $(ratio "$FULL_H" "$FULL_BS")x with sync (target <= 1.2x)"

# ---- 2. incremental ----
echo
echo "== 2. incremental: $NINC more documents (1%, new files), then a backup into the full targets, $ROUNDS rounds"
"$HALONG" --home "$NODE" ingest "$INC/manifest.csv" --files "$INC/files" --quiet | tail -1
mv "$WORK/t-halong" "$WORK/full-halong"
mv "$WORK/t-base" "$WORK/full-base"
rm -rf "$WORK/t-base_sync"
for r in $(seq 1 "$ROUNDS"); do
	echo "round $r, load $(cut -d' ' -f1-3 /proc/loadavg)"
	if [ $((r % 2)) -eq 1 ]; then sides="halong base"; else sides="base halong"; fi
	for side in $sides; do
		rm -rf "$WORK/i-$side"
		cp -al "$WORK/full-$side" "$WORK/i-$side"
		sync
		case $side in
		halong) timed inc_halong hl_backup "$WORK/i-halong" ;;
		base) timed inc_base base_full "$WORK/i-base" ;;
		esac
	done
done
python3 -c 'import json,sys; b=json.load(open(sys.argv[1])); print("halong backup:", {k: b[k] for k in ("documents", "blobs", "blobs_copied", "blobs_present", "bytes_copied") if k in b})' "$WORK/backup.json"
INC_H=$(med inc_halong) INC_B=$(med inc_base)
echo "# incremental (1%): halong $INC_H s, sqlite3 .backup + rsync -a $INC_B s (medians of $ROUNDS): halong $(ratio "$INC_H" "$INC_B")x the baseline; $(ratio "$INC_H" "$FULL_H")x halong's full backup, baseline $(ratio "$INC_B" "$FULL_B")x its full"

# ---- 3. restore ----
echo
echo "== 3. restore, $ROUNDS rounds: halong restore (verify, copy, reindex) vs copying the baseline back"
IB=$(ls "$WORK/i-halong" | grep '^halong-backup-' | sort | tail -1)
copy_back() { # NEWHOME
	mkdir -p "$1"
	cp "$WORK/i-base/store.db" "$1/halong.db"
	rsync -a "$WORK/i-base/blobs/" "$1/blobs/"
}
hl_restore() {
	"$HALONG" restore "$WORK/i-halong/$IB" --home "$1" >/dev/null 2>"$WORK/restore.err" ||
		{ cat "$WORK/restore.err"; return 1; }
}
for r in $(seq 1 "$ROUNDS"); do
	echo "round $r, load $(cut -d' ' -f1-3 /proc/loadavg)"
	if [ $((r % 2)) -eq 1 ]; then sides="halong base"; else sides="base halong"; fi
	for side in $sides; do
		rm -rf "$WORK/r-$side"
		sync
		case $side in
		halong) timed restore_halong hl_restore "$WORK/r-halong" ;;
		base) timed restore_base copy_back "$WORK/r-base" ;;
		esac
	done
done
# what the restore's parts cost: a verify of the backup alone, a reindex alone
timed verify_halong "$HALONG" backup verify "$WORK/i-halong/$IB" >/dev/null
hl_reindex() {
	"$HALONG" --home "$1" reindex >/dev/null 2>"$WORK/reindex.err" || { cat "$WORK/reindex.err"; return 1; }
}
timed reindex_halong hl_reindex "$WORK/r-halong"
"$HALONG" --home "$WORK/r-halong" stats --json
RES_H=$(med restore_halong) RES_B=$(med restore_base)
echo "# restore: halong $RES_H s (its backup verify alone $(med verify_halong) s, a reindex alone $(med reindex_halong) s), copying back $RES_B s (medians of $ROUNDS): $(ratio "$RES_H" "$RES_B")x"
rm -rf "$WORK/r-halong" "$WORK/r-base" "$WORK/i-base" "$WORK/full-base"

# ---- 4. the API while a backup runs ----
echo
echo "== 4. api: wrk -t2 -c16 ${DUR}s on the 200-query search mix (no answer cache), without and during backups, $ROUNDS rounds"
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
# no answer reused (HL_SEARCH_NO_CACHE=1, as bench/search_http.sh's mix_nc): every search reads
# the index and the store, as a backup does
HL_SEARCH_NO_CACHE=1 "$HALONG" --home "$NODE" serve --quiet --listen "127.0.0.1:$PORT" >"$WORK/serve.log" 2>&1 &
SPID=$!
for _ in $(seq 1 200); do
	curl -fsS "http://127.0.0.1:$PORT/api/v1/health" >/dev/null 2>&1 && break
	sleep 0.05
done
URL="http://127.0.0.1:$PORT"
# warm: every query once through the server
wrk -t2 -c4 -d5s -s "$ROOT/bench/search_mix.lua" "$URL" -- "$DATA/queries.txt" >/dev/null 2>&1 || true
: >"$WORK/wrk.res"
backups_loop() { # until the file $WORK/stop exists: full backups into fresh targets
	local k=0
	while [ ! -e "$WORK/stop" ]; do
		k=$((k + 1))
		echo "$k" >"$WORK/backups.n"
		rm -rf "$WORK/a-$k"
		"$HALONG" --home "$NODE" backup --to "$WORK/a-$k" --json >/dev/null 2>&1 &
		echo $! >"$WORK/backup.pid"
		wait $! || true
		rm -rf "$WORK/a-$k"
	done
}
for r in $(seq 1 "$ROUNDS"); do
	echo "round $r, load $(cut -d' ' -f1-3 /proc/loadavg)"
	if [ $((r % 2)) -eq 1 ]; then sides="idle backup"; else sides="backup idle"; fi
	for side in $sides; do
		rm -f "$WORK/stop" "$WORK/backups.n"
		if [ $side = backup ]; then
			backups_loop &
			BPID=$!
			sleep 0.5
		fi
		wrk -t2 -c16 -d"${DUR}s" --latency -s "$ROOT/bench/search_mix.lua" "$URL" -- "$DATA/queries.txt" >"$WORK/wrk.out" 2>&1 || true
		n=
		if [ $side = backup ]; then
			touch "$WORK/stop"
			kill "$(cat "$WORK/backup.pid")" 2>/dev/null || true # the backup still running: stopped (its .partial removed)
			wait "$BPID"
			n=" (backups running all along: $(cat "$WORK/backups.n" 2>/dev/null || echo 0) started)"
		fi
		read -r rps p50 p99 errs < <(python3 "$ROOT/bench/wrk_summary.py" "$WORK/wrk.out")
		echo "  $side: $rps req/s, p50 $p50 ms, p99 $p99 ms, $errs errors$n"
		echo "$side $rps $p50 $p99 $errs" >>"$WORK/wrk.res"
		kill -0 "$SPID" 2>/dev/null || { echo "halong serve died"; tail -20 "$WORK/serve.log"; exit 1; }
		sleep 1
	done
done
API=$(python3 - "$WORK/wrk.res" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
m = {}
for side in ('idle', 'backup'):
    s = [r for r in rows if r[0] == side]
    m[side] = (statistics.median(float(r[1]) for r in s), statistics.median(float(r[2]) for r in s),
               statistics.median(float(r[3]) for r in s), sum(int(r[4]) for r in s))
i, b = m['idle'], m['backup']
print(f'# api: p99 {i[2]:.1f} ms without a backup, {b[2]:.1f} ms during one ({b[2] - i[2]:+.1f} ms, '
      f'{b[2] / i[2]:.2f}x); p50 {i[1]:.2f} -> {b[1]:.2f} ms; {i[0]:.0f} -> {b[0]:.0f} req/s; '
      f'errors {i[3]} / {b[3]} (medians of rounds)', file=sys.stderr)
print(f'api_idle_p99_ms={i[2]:.1f} api_backup_p99_ms={b[2]:.1f} api_idle_p50_ms={i[1]:.2f} '
      f'api_backup_p50_ms={b[1]:.2f} api_idle_rps={i[0]:.0f} api_backup_rps={b[0]:.0f} '
      f'api_errors={i[3] + b[3]}')
PY
)
kill "$SPID" && wait "$SPID" || true
SPID=

echo
echo "(log: $LOG)"
echo "RESULT backup docs=$DOCS full_halong_s=$FULL_H full_base_s=$FULL_B full_base_sync_s=$FULL_BS" \
	"full_ratio=$(ratio "$FULL_H" "$FULL_B") full_ratio_sync=$(ratio "$FULL_H" "$FULL_BS")" \
	"inc_halong_s=$INC_H inc_base_s=$INC_B inc_ratio=$(ratio "$INC_H" "$INC_B")" \
	"restore_halong_s=$RES_H restore_base_s=$RES_B restore_ratio=$(ratio "$RES_H" "$RES_B") $API"
