#!/usr/bin/env bash
# Demo of the archive core: builds the reference fonds from the law corpus, ingests it, searches it.
# Usage: bash scripts/demo.sh BIN HOME   (make demo: bash scripts/demo.sh build/src/cli/halong $(pwd)/halong-data)
set -euo pipefail

if [ $# -ne 2 ]; then
	echo "usage: bash scripts/demo.sh BIN HOME" >&2
	exit 2
fi
BIN=$1
HOME_DIR=$2
ROOT=$(cd "$(dirname "$0")/.." && pwd)

if [ ! -x "$BIN" ]; then
	echo "demo: $BIN is not built (run: make build)" >&2
	exit 1
fi

# The manifest is derived data: it goes to a temporary file, removed on exit.
MANIFEST=$(mktemp --suffix=.csv "${TMPDIR:-/tmp}/halong-demo-manifest.XXXXXX")
trap 'rm -f "$MANIFEST" "${MANIFEST%.csv}.rejects.csv"' EXIT

echo "== manifest: the 2,131 law articles as fonds PL (metadata generated, see scripts/make_demo_manifest.py)"
python3 "$ROOT/scripts/make_demo_manifest.py" "$ROOT/data/corpus/alqac2023_law_articles.jsonl" "$MANIFEST"

echo "== halong --home $HOME_DIR init"
"$BIN" --home "$HOME_DIR" init

echo "== halong ingest (a second run of make demo changes nothing)"
"$BIN" --home "$HOME_DIR" ingest "$MANIFEST"

echo "== halong units load (the administrative units and their history, data/units)"
"$BIN" --home "$HOME_DIR" units load

echo '== halong units find "ha phong"'
"$BIN" --home "$HOME_DIR" units find "ha phong"

# Custody needs fonds of old units; the demo names three empty fonds "(demo)" after real units
# of the reform: a ward merged whole, one split, a district abolished.
echo "== halong fonds set: three empty demo fonds of real old units"
"$BIN" --home "$HOME_DIR" fonds set DEMO-HP --creator 06652 --name "UBND phường Hà Phong (demo)"
"$BIN" --home "$HOME_DIR" fonds set DEMO-HK --creator 06655 --name "UBND phường Hà Khẩu (demo)"
"$BIN" --home "$HOME_DIR" fonds set DEMO-HL --creator 193 --name "UBND thành phố Hạ Long (demo)"

echo "== halong custody pending"
"$BIN" --home "$HOME_DIR" custody pending

echo '== halong search "quyen va nghia vu" --limit 5'
"$BIN" --home "$HOME_DIR" search "quyen va nghia vu" --limit 5

echo "== halong stats"
"$BIN" --home "$HOME_DIR" stats

echo
echo "The data is in $HOME_DIR; try: $BIN --home $HOME_DIR search 'dat dai' or show ID."
echo "The web server (halong serve) comes with a later issue."
