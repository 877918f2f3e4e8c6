#!/usr/bin/env bash
# OCR benchmark, side by side in one run on the same 300-dpi A4 pages rendered from the law corpus
# (tests/pages/make_pages.py --count N): halong's library with 2 worker threads (bench_ocr), against
# the `tesseract` command page by page with its defaults, `ocrmypdf --jobs 2`, and two
# `tesseract` processes side by side with OMP_THREAD_LIMIT=1 (the engine's ceiling on two cores).
#
#   bash bench/ocr/run.sh [BUILD] [--pages N] [--full] [--rounds R] [--jobs J]
#
# Default 8 pages, 1 round; --full: 40 pages, 2 rounds (halong and the pair alternate each round).
# Output to the terminal and bench/out/ocr/run-<date>.log; last line `RESULT ocr ...`.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=build
PAGES=8
ROUNDS=1
JOBS=2
while [ $# -gt 0 ]; do
	case "$1" in
	--full) PAGES=40; ROUNDS=2 ;;
	--pages) PAGES=$2; shift ;;
	--rounds) ROUNDS=$2; shift ;;
	--jobs) JOBS=$2; shift ;;
	-h | --help) sed -n '2,9p' "$0"; exit 0 ;;
	-*) echo "run.sh: unknown option $1" >&2; exit 2 ;;
	*) BUILD=$1 ;;
	esac
	shift
done
case "$BUILD" in /*) ;; *) BUILD="$ROOT/$BUILD" ;; esac
renice -n 10 $$ >/dev/null 2>&1 || true

OUT="$ROOT/bench/out/ocr"
mkdir -p "$OUT"
LOG="$OUT/run-$(date +%Y%m%d-%H%M%S)-$PAGES.log"
exec > >(tee "$LOG") 2>&1
TIME=/usr/bin/time
PY=/usr/bin/python3
LANGS=vie+eng

echo "== halong OCR benchmark, $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "machine: nproc=$(nproc) cpu=\"$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')\"" \
	"mem=$(awk '/MemTotal/ {printf "%.1fGB", $2/1048576}' /proc/meminfo)"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg) (a shared machine: other engineers build here)"
echo "tesseract: $(tesseract --version 2>&1 | head -1), models $LANGS; tree: $(git -C "$ROOT" describe --always --dirty)"

ninja -C "$BUILD" bench/bench_ocr >/dev/null
BENCH="$BUILD/bench/bench_ocr"

if ! command -v ocrmypdf >/dev/null; then
	echo "ocrmypdf missing: installing the Debian package"
	SUDO=; [ "$(id -u)" -eq 0 ] || SUDO=sudo
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends ocrmypdf >/dev/null 2>&1 ||
		echo "ocrmypdf could not be installed: that baseline is skipped"
fi

DATA="$OUT/pages-$PAGES"
echo "pages: $PAGES clean full A4 pages at 300 dpi, DejaVu Serif 11, made by" \
	"tests/pages/make_pages.py --count $PAGES (seed 20250701; articles in $DATA/manifest.json)"
"$PY" "$ROOT/tests/pages/make_pages.py" "$DATA" --count "$PAGES"
mapfile -t FILES < <(ls "$DATA"/bench-*.png | sort)
echo "characters on the pages: $(cat "$DATA"/bench-*.txt | wc -m)"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

# The same pages as an image-only PDF for ocrmypdf.
"$PY" - "$WORK/in.pdf" "${FILES[@]}" <<'PYEOF'
import sys
from PIL import Image
ims = [Image.open(p).convert('L') for p in sys.argv[2:]]
ims[0].save(sys.argv[1], save_all=True, append_images=ims[1:], resolution=300)
PYEOF

now() { date +%s.%N; }
ppm() { "$PY" -c "import sys; print('%.2f' % (int(sys.argv[1]) * 60 / float(sys.argv[2])))" "$1" "$2"; }
maxrss() { sort -n "$1" | tail -1; } # KB

run_halong() {
	local out
	out=$("$BENCH" --jobs "$JOBS" "${FILES[@]}")
	echo "$out"
	H_PPM+=("$(echo "$out" | sed -n 's/.*pages_per_min=\([0-9.]*\).*/\1/p')")
	H_WORKER_MB=$(echo "$out" | sed -n 's/.*per_worker_mb=\([0-9.]*\).*/\1/p')
	H_PEAK_MB=$(echo "$out" | sed -n 's/.*peak_rss_mb=\([0-9.]*\).*/\1/p')
	H_CER=$(echo "$out" | sed -n 's/.* cer=\([0-9.]*\).*/\1/p')
}

run_pair() {
	: >"$WORK/pair.rss"
	local half=$(((${#FILES[@]} + 1) / 2)) t0 t1
	t0=$(now)
	(for f in "${FILES[@]:0:$half}"; do
		OMP_THREAD_LIMIT=1 $TIME -f %M -a -o "$WORK/pair.rss" tesseract "$f" "$WORK/pa-$(basename "$f" .png)" -l $LANGS 2>/dev/null
	done) &
	local a=$!
	(for f in "${FILES[@]:$half}"; do
		OMP_THREAD_LIMIT=1 $TIME -f %M -a -o "$WORK/pair.rss" tesseract "$f" "$WORK/pb-$(basename "$f" .png)" -l $LANGS 2>/dev/null
	done) &
	local b=$!
	# by pid: a bare `wait` would also wait for the tee of the log (a process substitution)
	wait "$a" "$b"
	t1=$(now)
	local wall
	wall=$("$PY" -c "print('%.2f' % ($t1 - $t0))")
	P_PPM+=("$(ppm ${#FILES[@]} "$wall")")
	P_RSS_MB=$(($(maxrss "$WORK/pair.rss") / 1024))
	echo "pair (2 x tesseract, OMP_THREAD_LIMIT=1) pages=${#FILES[@]} wall=${wall}s pages_per_min=${P_PPM[-1]} peak_rss_mb_per_process=$P_RSS_MB"
}

run_tesseract() {
	: >"$WORK/t.rss"
	local t0 t1 wall
	t0=$(now)
	for f in "${FILES[@]}"; do
		$TIME -f %M -a -o "$WORK/t.rss" tesseract "$f" "$WORK/t-$(basename "$f" .png)" -l $LANGS 2>/dev/null
	done
	t1=$(now)
	wall=$("$PY" -c "print('%.2f' % ($t1 - $t0))")
	T_PPM=$(ppm ${#FILES[@]} "$wall")
	echo "tesseract (default threads, page by page) pages=${#FILES[@]} wall=${wall}s pages_per_min=$T_PPM peak_rss_mb=$(($(maxrss "$WORK/t.rss") / 1024))"
}

run_ocrmypdf() {
	O_PPM=NA
	command -v ocrmypdf >/dev/null || { echo "ocrmypdf: not installed, skipped"; return; }
	local t0 t1 wall
	t0=$(now)
	if ! $TIME -f %M -o "$WORK/o.rss" ocrmypdf -q -l $LANGS --jobs 2 "$WORK/in.pdf" "$WORK/out.pdf" 2>"$WORK/o.err"; then
		echo "ocrmypdf failed: $(tail -3 "$WORK/o.err")"
		return
	fi
	t1=$(now)
	wall=$("$PY" -c "print('%.2f' % ($t1 - $t0))")
	O_PPM=$(ppm ${#FILES[@]} "$wall")
	echo "ocrmypdf --jobs 2 (defaults: PDF/A output) pages=${#FILES[@]} wall=${wall}s pages_per_min=$O_PPM peak_rss_mb=$(($(maxrss "$WORK/o.rss") / 1024))"
}

H_PPM=()
P_PPM=()
for r in $(seq 1 "$ROUNDS"); do
	echo "-- round $r"
	run_halong
	run_pair
done
run_tesseract
run_ocrmypdf
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"

mean() { "$PY" -c "import sys; v=[float(x) for x in sys.argv[1:]]; print('%.2f' % (sum(v)/len(v)))" "$@"; }
ratio() { "$PY" -c "import sys; a,b=sys.argv[1:]; print('NA' if b=='NA' else '%.2f' % (float(a)/float(b)))" "$1" "$2"; }
H=$(mean "${H_PPM[@]}")
P=$(mean "${P_PPM[@]}")
echo
echo "halong ($JOBS threads):         $H pages/min   CER $H_CER   peak RSS $H_PEAK_MB MB, $H_WORKER_MB MB per worker"
echo "tesseract pair (ceiling):      $P pages/min   peak RSS $P_RSS_MB MB per process"
echo "tesseract, default threads:    $T_PPM pages/min"
echo "ocrmypdf --jobs 2:             $O_PPM pages/min"
echo "ratios: halong/pair $(ratio "$H" "$P") (target >= 0.9), halong/tesseract $(ratio "$H" "$T_PPM"), halong/ocrmypdf $(ratio "$H" "$O_PPM")"
echo "RESULT ocr pages=$PAGES rounds=$ROUNDS halong_ppm=$H pair_ppm=$P tesseract_ppm=$T_PPM ocrmypdf_ppm=$O_PPM ratio_pair=$(ratio "$H" "$P") ratio_ocrmypdf=$(ratio "$H" "$O_PPM") worker_mb=$H_WORKER_MB cer=$H_CER"
