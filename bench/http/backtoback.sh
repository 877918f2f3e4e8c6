#!/usr/bin/env bash
# wrk runs at the per-address connection limit started back to back against one `halong serve`:
# does the next run meet "Server reached connection limit" (libmicrohttpd's message: the last
# run's connections still counted) or stall? See bench/http/README.md.
#
#   bash bench/http/backtoback.sh [--halong PATH] [--docs N] [--runs R] [--duration S]
#                                 [--connections C] [--gap S] [--threads T]
#
# Default: 12 runs of 8 s of `wrk -t2 -c256` on the document GET, no pause between them, on the
# data of bench/http/run.sh (run that first: it makes and ingests the set); --threads: the
# server's worker threads (default one per core). One line per run:
# req/s, wrk's errors, and the refusals the server logged during it; a run under a quarter of
# the median req/s is counted as stalled. Last line machine-readable.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
ARGS="$*"
HALONG="$ROOT/build/src/cli/halong"
DOCS=100000
RUNS=12
DUR=8
C=256
GAP=0
THREADS=
SEED=20250701
while [ $# -gt 0 ]; do
	case "$1" in
	--halong) HALONG=$2; shift ;;
	--docs) DOCS=$2; shift ;;
	--runs) RUNS=$2; shift ;;
	--duration) DUR=$2; shift ;;
	--connections) C=$2; shift ;;
	--gap) GAP=$2; shift ;;
	--threads) THREADS=$2; shift ;;
	-h | --help) sed -n '2,13p' "$0"; exit 0 ;;
	*) echo "backtoback.sh: unknown option $1" >&2; exit 2 ;;
	esac
	shift
done
case "$HALONG" in /*) ;; *) HALONG="$PWD/$HALONG" ;; esac
[ -x "$HALONG" ] || { echo "backtoback.sh: no halong binary at $HALONG" >&2; exit 1; }
command -v wrk >/dev/null || { echo "backtoback.sh: wrk is missing (bench/http/run.sh installs it)" >&2; exit 1; }

renice -n 10 $$ >/dev/null 2>&1 || true
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

DATA="$ROOT/bench/out/data-$DOCS-s$SEED"
WORK="$ROOT/bench/out/http-$DOCS-s$SEED"
[ -f "$WORK/ingested" ] || { echo "backtoback.sh: no data in $WORK (bash bench/http/run.sh --docs $DOCS first)" >&2; exit 1; }
DOC_ID=$(python3 - "$DATA/manifest.csv" <<'EOF'
import csv, sys
for row in csv.DictReader(open(sys.argv[1], encoding='utf-8')):
    if row['access_level'] == 'public':
        print(row['doc_id']); break
EOF
)
URL_PATH="/api/v1/documents/$DOC_ID"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
SLOG="$WORK/backtoback-serve.log"

echo "== back-to-back wrk runs, $(date -u +%Y-%m-%dT%H:%M:%SZ), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "halong: $HALONG of $(stat -c %y "$HALONG" | cut -d. -f1), source tree $(cd "$ROOT" && git describe --always --dirty 2>/dev/null)"
echo "command: bench/http/backtoback.sh $ARGS"
echo "runs=$RUNS duration=${DUR}s connections=$C gap=${GAP}s threads=${THREADS:-one per core} target=GET $URL_PATH"

: >"$SLOG"
# O_APPEND: the log can be emptied after each run while the server writes on
"$HALONG" --home "$WORK/home" serve --listen "127.0.0.1:$PORT" ${THREADS:+--threads "$THREADS"} 2>>"$SLOG" &
HPID=$!
trap 'kill -TERM $HPID 2>/dev/null || true; wait $HPID 2>/dev/null || true' EXIT
for _ in $(seq 1 300); do
	curl -fsS "http://127.0.0.1:$PORT/api/v1/health" >/dev/null 2>&1 && break
	sleep 0.1
done

RES=$(mktemp)
for i in $(seq 1 "$RUNS"); do
	wrk -t2 -c"$C" -d"${DUR}s" "http://127.0.0.1:$PORT$URL_PATH" >"$WORK/backtoback-wrk.out" 2>&1 || true
	rps=$(sed -n 's/^Requests\/sec: *\([0-9.]*\).*/\1/p' "$WORK/backtoback-wrk.out")
	errs=$(sed -n 's/.*Socket errors: connect \([0-9]*\), read \([0-9]*\), write \([0-9]*\), timeout \([0-9]*\).*/\1+\2+\3+\4/p' "$WORK/backtoback-wrk.out")
	non2xx=$(sed -n 's/.*Non-2xx or 3xx responses: \([0-9]*\).*/\1/p' "$WORK/backtoback-wrk.out")
	errs=$(( ${errs:-0} + ${non2xx:-0} ))
	refused=$(grep -c 'reached connection limit' "$SLOG" || true)
	printf 'run %2d: %8.0f req/s, %6d wrk errors, %4d refusals logged\n' "$i" "${rps:-0}" "$errs" "$refused"
	# anything else the server said (not an access line), counted
	grep -v '^[0-9]\{4\}-' "$SLOG" | sed 's/[0-9]\+/N/g' | sort | uniq -c | sed 's/^/        /' || true
	: >"$SLOG"
	echo "${rps:-0} $errs $refused" >>"$RES"
	kill -0 "$HPID" 2>/dev/null || { echo "halong serve died"; exit 1; }
	[ "$GAP" = 0 ] || sleep "$GAP"
done
python3 - "$RES" "$C" "$DUR" <<'EOF'
import statistics, sys
rows = [[float(x) for x in l.split()] for l in open(sys.argv[1])]
med = statistics.median(r[0] for r in rows)
stalled = sum(1 for r in rows if r[0] < med / 4)
refused = int(sum(r[2] for r in rows))
errs = int(sum(r[1] for r in rows))
print(f'{len(rows)} runs of {sys.argv[3]} s at c={sys.argv[2]}: median {med:.0f} req/s, '
      f'{stalled} stalled (< a quarter of the median), {refused} refusals logged, {errs} wrk errors')
print(f'RESULT backtoback runs={len(rows)} c={sys.argv[2]} median_rps={med:.0f} stalled={stalled} '
      f'refused={refused} wrk_errors={errs} min_rps={min(r[0] for r in rows):.0f}')
EOF
rm -f "$RES"
