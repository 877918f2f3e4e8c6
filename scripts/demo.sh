#!/usr/bin/env bash
# The demo: the reference fonds from the law corpus, the administrative units, custody, scans
# through OCR, demo accounts; then the server on http://127.0.0.1:8080.
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

echo "== halong fonds describe/series/dossier: fonds PL described (a series per National Assembly term)"
python3 "$ROOT/scripts/make_demo_manifest.py" --describe "$ROOT/data/corpus/alqac2023_law_articles.jsonl" |
	while IFS=$'\t' read -r -a cmd; do
		"$BIN" --home "$HOME_DIR" fonds "${cmd[@]}" >/dev/null
	done
"$BIN" --home "$HOME_DIR" fonds show PL

echo "== halong units load (the administrative units and their history, data/units)"
"$BIN" --home "$HOME_DIR" units load

echo "== halong agency load (the province's departments and offices after the 2025 merger, data/agencies)"
"$BIN" --home "$HOME_DIR" agency load

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

echo "== demo scans: A4 pages rendered from the law corpus (GENERATED test pages, tests/pages/README.md)"
SCANS="${HOME_DIR}-scans"
/usr/bin/python3 "$ROOT/tests/pages/make_pages.py" "$SCANS" >/dev/null
python3 - "$SCANS" "$ROOT/scripts" <<'PY'
# A catalogue for the rendered pages: fonds DEMO-HP (UBND phường Hà Phong, now held by Phường Hà
# Tu). The subjects name the law articles printed on the pages, and the type and date are those
# of the printed law (scripts/make_demo_manifest.py LAWS); the rest is demo metadata.
import csv, json, os, sys
d = sys.argv[1]
sys.path.insert(0, sys.argv[2])
from make_demo_manifest import LAWS
m = json.load(open(os.path.join(d, 'manifest.json'), encoding='utf-8'))['pages']
def law(key):
    return m[key]['articles'][0].split('@')
def title(key):
    name, art = law(key)
    return f'Trang quét mẫu: {name}, Điều {art}'
def date(key):
    return LAWS[law(key)[0]][3]
rows = [('HS-2024-01', 1, title('clean'), 1, 'public', 'clean.png', date('clean')),
        ('HS-2024-01', 2, title('multi-1'), 3, 'public', 'multi.tif', date('multi-1')),
        ('HS-2024-01', 3, title('scan-1'), 2, 'internal', 'scan.pdf', date('scan-1')),
        ('HS-2024-02', 1, title('noisy'), 1, 'internal', 'noisy.png', date('noisy')),
        ('HS-2024-02', 2, title('twocol'), 1, 'restricted', 'twocol.png', date('twocol')),
        ('HS-2024-02', 3, title('text'), 1, 'public', 'text.pdf', date('text'))]
dossier = {'HS-2024-01': 'Trang quét mẫu số 1: ảnh PNG, TIFF nhiều trang, PDF quét (demo)',
           'HS-2024-02': 'Trang quét mẫu số 2: ảnh nhiễu, hai cột, PDF có lớp chữ (demo)'}
with open(os.path.join(d, 'mucluc.csv'), 'w', encoding='utf-8', newline='') as f:
    w = csv.writer(f)
    w.writerow(['fonds_code', 'dossier_code', 'doc_ordinal', 'subject', 'page_count',
                'access_level', 'files', 'issued_date', 'doc_type', 'dossier_title', 'notes'])
    for r in rows:
        w.writerow(['DEMO-HP', *r, 'Điều luật', dossier[r[0]],
                    'Dữ liệu mẫu (demo): trang in lại từ văn bản luật'])
PY
"$BIN" --home "$HOME_DIR" ingest "$SCANS/mucluc.csv" --files "$SCANS" --ocr
"$BIN" --home "$HOME_DIR" ocr run

echo "== exchange: this demo is the province's hub (22): its node identity, itself in the directory, the units feed"
if ! "$BIN" --home "$HOME_DIR" node show >/dev/null 2>&1; then
	"$BIN" --home "$HOME_DIR" node init --unit 22 --url http://127.0.0.1:8080
fi
HUBKEY=$("$BIN" --home "$HOME_DIR" node show --json | python3 -c 'import json, sys; print(json.load(sys.stdin)["public_key"])')
"$BIN" --home "$HOME_DIR" node enrol 22 --url http://127.0.0.1:8080 --key "$HUBKEY" \
	--may-send document,feed.units --may-receive document,report
"$BIN" --home "$HOME_DIR" feed publish units

echo "== demo accounts (demo only; password: halong-demo-2026)"
for u in "admin admin 22" "luutru-hatu archivist 06652" "canbo-hatu officer 06652" "xem viewer 06661"; do
	set -- $u
	if ! "$BIN" --home "$HOME_DIR" user list | grep -q "^$1 "; then
		echo "halong-demo-2026" | "$BIN" --home "$HOME_DIR" user add "$1" --role "$2" --unit "$3"
	fi
done
"$BIN" --home "$HOME_DIR" user list

echo "== halong stats"
"$BIN" --home "$HOME_DIR" stats

echo
echo "The data is in $HOME_DIR. Open http://127.0.0.1:8080 (Ctrl-C stops the server)."
exec "$BIN" --home "$HOME_DIR" serve --listen 127.0.0.1:8080 --web "$ROOT/web"
