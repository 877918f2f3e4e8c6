#!/usr/bin/env bash
# The search half of the HTTP benchmark (issue 5), beyond the one repeated query of
# bench/http/run.sh: wrk on GET /api/v1/search of `halong serve`
#   repeat   the same query every time (q = the first 2-word query of the mix: an answer cache hit)
#   mix      each request the next query of the fixed 200-query mix (bench/search_mix.lua), the
#            server's answer cache warm (a first pass over the mix is done before)
#   mix_nc   the mix on a server started with HL_SEARCH_NO_CACHE=1: no answer is ever reused,
#            every request a search never asked before (the uncached speed)
# and, in the same run, alternating which goes first, the same on a baseline binary (--baseline,
# e.g. a build from before a change), plus the library alone in-process on the same mix
# (bench_search --api: what two cores could do with no HTTP at all).
#
#   bash bench/search_http.sh [--halong PATH] [--baseline PATH] [--bench-search PATH] [--docs N]
#                             [--rounds R] [--duration S] [--connections "C1 C2"] [--seed S]
#
# Default: the 100,000-document set of bench/http (ingested there once, kept), 1 round of 10 s,
# connections "256 64". Output to the terminal and bench/out/search-http-<date>-<docs>.log; the
# last line is `RESULT search_http …`.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
ARGS="$*"
HALONG="$ROOT/build/src/cli/halong"
BASE=""
BSEARCH="$ROOT/build/bench/bench_search"
DOCS=100000
ROUNDS=1
DUR=10
CONNS="256 64"
SEED=20250701
while [ $# -gt 0 ]; do
	case "$1" in
	--halong) HALONG=$2; shift ;;
	--baseline) BASE=$2; shift ;;
	--bench-search) BSEARCH=$2; shift ;;
	--docs) DOCS=$2; shift ;;
	--rounds) ROUNDS=$2; shift ;;
	--duration) DUR=$2; shift ;;
	--connections) CONNS=$2; shift ;;
	--seed) SEED=$2; shift ;;
	-h | --help) sed -n '2,17p' "$0"; exit 0 ;;
	*) echo "search_http.sh: unknown option $1" >&2; exit 2 ;;
	esac
	shift
done
abs() { case "$1" in /*) echo "$1" ;; *) echo "$PWD/$1" ;; esac; }
HALONG=$(abs "$HALONG")
[ -x "$HALONG" ] || { echo "search_http.sh: no halong binary at $HALONG (ninja -C build)" >&2; exit 1; }
if [ -n "$BASE" ]; then
	BASE=$(abs "$BASE")
	[ -x "$BASE" ] || { echo "search_http.sh: no baseline binary at $BASE" >&2; exit 1; }
fi
command -v wrk >/dev/null || { echo "search_http.sh: wrk missing (apt-get install wrk)" >&2; exit 1; }

renice -n 10 $$ >/dev/null 2>&1 || true
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

OUT="$ROOT/bench/out"
DATA="$OUT/data-$DOCS-s$SEED"
WORK="$OUT/http-$DOCS-s$SEED" # shared with bench/http/run.sh: the same ingested set
mkdir -p "$OUT" "$WORK"
LOG="$OUT/search-http-$(date +%Y%m%d-%H%M%S)-$DOCS.log"
exec > >(tee "$LOG") 2>&1

echo "== halong search over HTTP, $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "machine: nproc=$(nproc) cpu=\"$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')\"" \
	"mem=$(awk '/MemTotal/ {printf "%.1fGB", $2/1048576}' /proc/meminfo) kernel=$(uname -r)"
echo "load: $(cut -d' ' -f1-3 /proc/loadavg) (other engineers share this machine)"
echo "halong: source tree $(cd "$ROOT" && git describe --always --dirty 2>/dev/null), binary $HALONG of $(stat -c %y "$HALONG" | cut -d. -f1)"
[ -n "$BASE" ] && echo "baseline: binary $BASE of $(stat -c %y "$BASE" | cut -d. -f1)"
echo "command: bench/search_http.sh $ARGS"
echo "sizes: docs=$DOCS rounds=$ROUNDS duration=${DUR}s connections=$CONNS wrk threads=2 seed=$SEED"

if [ ! -s "$DATA/manifest.csv" ]; then
	python3 "$ROOT/bench/gen.py" --docs "$DOCS" --seed "$SEED" --out "$DATA"
fi
HOME_DIR="$WORK/home"
if [ ! -f "$WORK/ingested" ]; then
	rm -rf "$HOME_DIR"
	"$HALONG" --home "$HOME_DIR" init >/dev/null
	"$HALONG" --home "$HOME_DIR" units load --quiet
	echo "ingesting $DOCS documents (once; kept in $WORK)"
	"$HALONG" --home "$HOME_DIR" ingest "$DATA/manifest.csv" | tail -1
	touch "$WORK/ingested"
fi
QUERIES="$DATA/queries.txt"
QUERY=$(awk 'NF == 2 {print $1 "+" $2; exit}' "$QUERIES")
echo "repeat: GET /api/v1/search?q=$QUERY ; mix: the $(grep -c . "$QUERIES") queries of $QUERIES in turn"

port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
	# the servers only: a bare wait would wait for the log's tee, which waits for us
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
}
trap cleanup EXIT
# serve NAME BINARY [ENV=VALUE] -> prints the port
start() {
	local name=$1 bin=$2 p
	shift 2
	p=$(port)
	env "$@" "$bin" --home "$HOME_DIR" serve --listen "127.0.0.1:$p" 2>"$WORK/search-$name.log" &
	PIDS+=($!)
	for _ in $(seq 1 300); do
		curl -fsS "http://127.0.0.1:$p/api/v1/health" >/dev/null 2>&1 && break
		sleep 0.1
	done
	eval "PORT_$name=$p"
}
start halong "$HALONG"
start nocache "$HALONG" HL_SEARCH_NO_CACHE=1
[ -n "$BASE" ] && start base "$BASE"

# the answers are the same with and without the cache (and, for the record, the baseline's)
A=$(curl -fsS "http://127.0.0.1:$PORT_halong/api/v1/search?q=$QUERY")
B=$(curl -fsS "http://127.0.0.1:$PORT_nocache/api/v1/search?q=$QUERY")
[ "$A" = "$B" ] || { echo "search_http.sh: cached and uncached answers differ"; exit 1; }
echo "answer: $(printf %s "$A" | wc -c) bytes, $(printf %s "$A" | python3 -c 'import json,sys; j=json.load(sys.stdin); print(j["total"], "hits, total_exact", j.get("total_exact"), "facets_exact", j.get("facets_exact"))')"

# the library alone, in-process, on the same mix (as the API asks: public, 20 hits, facets)
if [ -x "$BSEARCH" ]; then
	echo "in-process: $("$BSEARCH" --api "$HOME_DIR" "$QUERIES" "$WORK/search-inproc.out" | tail -1)"
else
	echo "in-process: skipped (no $BSEARCH: ninja -C build bench/bench_search)"
fi

# The cached mix is measured warm: every query once through each server thread first (wrk at 4
# connections for a few seconds; the first pass over the mix is as slow as mix_nc).
wrk -t2 -c4 -d"$(( DUR < 8 ? DUR : 8 ))s" -s "$ROOT/bench/search_mix.lua" "http://127.0.0.1:$PORT_halong" \
	-- "$QUERIES" | grep -E 'Requests/sec' | sed 's/^/warm-up of the cached mix: /'

parse() {
	python3 - "$1" <<'EOF'
import re, sys
t = open(sys.argv[1]).read()
rps = float(re.search(r'Requests/sec:\s*([\d.]+)', t).group(1))
m = re.search(r'^\s*99%\s+([\d.]+)(us|ms|s)\b', t, re.M)
p99 = float(m.group(1)) * {'us': 0.001, 'ms': 1, 's': 1000}[m.group(2)] if m else float('nan')
errs = 0
m = re.search(r'Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)', t)
if m:
    errs += sum(int(x) for x in m.groups())
m = re.search(r'Non-2xx or 3xx responses: (\d+)', t)
if m:
    errs += int(m.group(1))
print(f'{rps:.0f} {p99:.2f} {errs}')
EOF
}

RES="$WORK/search-results.txt"
: >"$RES"
for r in $(seq 1 "$ROUNDS"); do
	for C in $CONNS; do
		runs="halong:repeat halong:mix nocache:mix_nc"
		[ -n "$BASE" ] && runs="$runs base:repeat base:mix"
		# alternate the order between rounds
		[ $((r % 2)) -eq 0 ] && runs=$(echo "$runs" | tr ' ' '\n' | tac | tr '\n' ' ')
		for run in $runs; do
			side=${run%%:*} target=${run#*:}
			eval "P=\$PORT_$side"
			if [ "$target" = repeat ]; then
				wrk -t2 -c"$C" -d"${DUR}s" --latency "http://127.0.0.1:$P/api/v1/search?q=$QUERY" \
					>"$WORK/wrk-search.out" 2>&1 || true
			else
				wrk -t2 -c"$C" -d"${DUR}s" --latency -s "$ROOT/bench/search_mix.lua" \
					"http://127.0.0.1:$P" -- "$QUERIES" >"$WORK/wrk-search.out" 2>&1 || true
			fi
			read -r rps p99 errs < <(parse "$WORK/wrk-search.out")
			name=$target
			[ "$side" = base ] && name="base_$target"
			echo "round $r c=$C $name: ${rps} req/s, p99 ${p99} ms, ${errs} errors" \
				"($(grep -E 'Socket errors|Non-2xx' "$WORK/wrk-search.out" | tr -s ' ' | tr '\n' ';'))" \
				"load $(cut -d' ' -f1 /proc/loadavg)"
			echo "$name $C $rps $p99 $errs" >>"$RES"
			sleep 2 # let the closed connections drain
		done
	done
done

python3 - "$RES" "$DOCS" <<'EOF'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
out = [f'docs={sys.argv[2]}']
for name in dict.fromkeys(r[0] for r in rows):
    for c in dict.fromkeys(r[1] for r in rows):
        sel = [r for r in rows if r[0] == name and r[1] == c]
        if not sel:
            continue
        rps = statistics.median(float(r[2]) for r in sel)
        p99 = statistics.median(float(r[3]) for r in sel)
        errs = sum(int(r[4]) for r in sel)
        print(f'c={c} {name}: {rps:.0f} req/s, p99 {p99:.1f} ms, {errs} errors')
        out += [f'{name}_c{c}_rps={rps:.0f}', f'{name}_c{c}_p99_ms={p99:.1f}',
                f'{name}_c{c}_errors={errs}']
# the baseline keeps no answers: its mix is uncached too
for c in dict.fromkeys(r[1] for r in rows):
    for t, bt in (('repeat', 'base_repeat'), ('mix', 'base_mix'), ('mix_nc', 'base_mix')):
        a = [float(r[2]) for r in rows if r[0] == t and r[1] == c]
        b = [float(r[2]) for r in rows if r[0] == bt and r[1] == c]
        if a and b:
            ratio = statistics.median(a) / max(statistics.median(b), 1)
            print(f'c={c} {t} / {bt}: {ratio:.1f}x')
            out.append(f'{t}_c{c}_vs_baseline={ratio:.2f}')
print('RESULT search_http ' + ' '.join(out))
EOF
echo "(log: $LOG)"
