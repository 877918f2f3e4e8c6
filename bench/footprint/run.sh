#!/usr/bin/env bash
# The footprint benchmark (issue 5): idle RSS of `halong serve` and the time from start to the first
# 200 on /api/v1/health, N times, on an empty data directory and on the HTTP benchmark's document
# set, with nginx measured the same way in the same run as a reference. See bench/footprint/README.md.
#
#   bash bench/footprint/run.sh [--halong PATH] [--runs N] [--full] [--docs N]
#
# Quick default: 10 runs, the 20,000-document set of bench/http (made by it if missing); --full: 30
# runs and the 100,000-document set. Output to the terminal and bench/out/footprint-<date>.log.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
ARGS="$*"
HALONG="$ROOT/build/src/cli/halong"
RUNS=10
DOCS=20000
SEED=20250701
while [ $# -gt 0 ]; do
	case "$1" in
	--halong) HALONG=$2; shift ;;
	--runs) RUNS=$2; shift ;;
	--full) RUNS=30; DOCS=100000 ;;
	--docs) DOCS=$2; shift ;;
	-h | --help) sed -n '2,10p' "$0"; exit 0 ;;
	*) echo "run.sh: unknown option $1" >&2; exit 2 ;;
	esac
	shift
done
case "$HALONG" in /*) ;; *) HALONG="$PWD/$HALONG" ;; esac
[ -x "$HALONG" ] || { echo "run.sh: no halong binary at $HALONG (ninja -C build)" >&2; exit 1; }
[ -x /usr/sbin/nginx ] || DEBIAN_FRONTEND=noninteractive apt-get install -y -q nginx >/dev/null

renice -n 10 $$ >/dev/null 2>&1 || true
OUT="$ROOT/bench/out"
mkdir -p "$OUT"
LOG="$OUT/footprint-$(date +%Y%m%d-%H%M%S).log"
exec > >(tee "$LOG") 2>&1

echo "== halong footprint, $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "machine: nproc=$(nproc) mem=$(awk '/MemTotal/ {printf "%.1fGB", $2/1048576}' /proc/meminfo) kernel=$(uname -r)"
echo "load: $(cut -d' ' -f1-3 /proc/loadavg) (other engineers share this machine)"
echo "halong: source tree $(cd "$ROOT" && git describe --always --dirty 2>/dev/null), binary $HALONG of" \
	"$(stat -c %y "$HALONG" | cut -d. -f1); $(/usr/sbin/nginx -v 2>&1 | cut -d' ' -f3)"
echo "command: bench/footprint/run.sh $ARGS"

EMPTY=$(mktemp -d)/home
trap 'rm -rf "$(dirname "$EMPTY")"' EXIT
"$HALONG" --home "$EMPTY" init >/dev/null
"$HALONG" --home "$EMPTY" units load --quiet

SET="$OUT/http-$DOCS-s$SEED"
if [ ! -f "$SET/ingested" ]; then
	echo "the $DOCS-document set is made by bench/http/run.sh; making it (data only)"
	DATA="$OUT/data-$DOCS-s$SEED"
	[ -s "$DATA/manifest.csv" ] || python3 "$ROOT/bench/gen.py" --docs "$DOCS" --seed "$SEED" --out "$DATA"
	mkdir -p "$SET"
	rm -rf "$SET/home"
	"$HALONG" --home "$SET/home" init >/dev/null
	"$HALONG" --home "$SET/home" units load --quiet
	"$HALONG" --home "$SET/home" ingest "$DATA/manifest.csv" | tail -1
	touch "$SET/ingested"
fi
echo "sizes: runs=$RUNS; homes: empty (units only), docs$DOCS ($(du -sh "$SET/home" | cut -f1))"

python3 "$ROOT/bench/footprint/footprint.py" --halong "$HALONG" --runs "$RUNS" \
	--home "empty=$EMPTY" --home "docs$DOCS=$SET/home"
