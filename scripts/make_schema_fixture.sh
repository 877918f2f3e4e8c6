#!/bin/bash
# Makes the fixture of schema version N with the halong of an earlier commit: builds that commit's
# CLI in a temporary git worktree, makes a small node with it (documents, units, custody, OCR,
# users, exchange, feed, description, agencies, plans, datasets: what that version had), and keeps
# its store as a text SQL dump with the blobs, keys and configuration it needs in
# tests/fixtures/schemas/vN/ (tests/e2e/test_upgrade.py upgrades each with today's halong).
#
# Usage: scripts/make_schema_fixture.sh COMMIT N
#   COMMIT  a commit whose src/lib/store/schema.c has exactly N migrations
#   N       the schema version it makes
# Environment: HALONG_FIXTURE_TREE (default /tmp/halong-fixture-tree): the worktree, reused from
# one run to the next (stepping between commits, ninja rebuilds only what changed); when done:
# git worktree remove --force /tmp/halong-fixture-tree.
# Needs: git, meson, ninja, a C toolchain and the libraries of scripts/deps.sh, sqlite3,
# /usr/bin/python3; tesseract for versions 4 and later (OCR). Nothing built is kept in the repo.
set -euo pipefail
trap 'echo "make_schema_fixture: failed at line $LINENO: $BASH_COMMAND" >&2' ERR

if [ $# -ne 2 ] || ! [[ $2 =~ ^[0-9]+$ ]]; then
	echo "usage: scripts/make_schema_fixture.sh COMMIT N" >&2
	exit 2
fi
ROOT=$(cd "$(dirname "$0")/.." && pwd)
N=$2
COMMIT=$(git -C "$ROOT" rev-parse --verify "$1^{commit}")
SHORT=$(git -C "$ROOT" rev-parse --short=7 "$COMMIT")
TREE=${HALONG_FIXTURE_TREE:-/tmp/halong-fixture-tree}
IN=$ROOT/tests/fixtures/schemas/input
OUT=$ROOT/tests/fixtures/schemas/v$N
PY=/usr/bin/python3

have=$(git -C "$ROOT" show "$COMMIT:src/lib/store/schema.c" | grep -cE '^\s*/\* [0-9]+: ' || true)
if [ "$have" != "$N" ]; then
	echo "make_schema_fixture: $SHORT has $have migrations, not $N" >&2
	exit 1
fi

# The worktree: made once, then moved from commit to commit.
if [ ! -e "$TREE/.git" ]; then
	git -C "$ROOT" worktree add --detach "$TREE" "$COMMIT" >/dev/null
else
	git -C "$TREE" checkout --quiet --detach "$COMMIT"
fi
if [ ! -f "$TREE/build-rel/build.ninja" ]; then
	meson setup "$TREE/build-rel" "$TREE" --buildtype=release -Dtests=false >/dev/null
fi
if ! ninja -C "$TREE/build-rel" -j2 src/cli/halong >/dev/null; then
	echo "make_schema_fixture: rebuilding $SHORT from a fresh build folder" >&2
	rm -rf "$TREE/build-rel"
	meson setup "$TREE/build-rel" "$TREE" --buildtype=release -Dtests=false >/dev/null
	ninja -C "$TREE/build-rel" -j2 src/cli/halong >/dev/null
fi
BIN=$TREE/build-rel/src/cli/halong

WORK=$(mktemp -d "${TMPDIR:-/tmp}/halong-fixture.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
H=$WORK/home
P=$WORK/peer
hl() { "$BIN" --home "$H" "$@"; }
PASSWORD=mat-khau-fixture-2025
DONE=()

# Its clock: the dates a fixture's rows carry are the day it was made; HALONG_TODAY (plans)
# is fixed so that a plan's status reads the same later.
export HALONG_TODAY=2026-10-15

hl init >/dev/null
v=$(sqlite3 "$H/halong.db" 'PRAGMA user_version')
if [ "$v" != "$N" ]; then
	echo "make_schema_fixture: $SHORT's halong made schema $v, not $N" >&2
	exit 1
fi
hl ingest "$IN/manifest.csv" --files "$IN" >/dev/null
DONE+=("ingest of 4 documents with text and files (input/manifest.csv)")
if [ "$N" -ge 2 ]; then
	# That version's data/units, the country-wide tables cut to Quảng Ninh (22) and its
	# neighbours' rows that name it: a fixture of kilobytes, not megabytes.
	mkdir "$WORK/units"
	$PY - "$TREE/data/units" "$WORK/units" <<'PYEND'
import csv, os, shutil, sys
src, dst = sys.argv[1], sys.argv[2]
for name in sorted(os.listdir(src)):
    if not name.endswith('.csv'):
        continue
    if not name.startswith('vn_') or name.startswith('vn_provinces'):
        shutil.copy(os.path.join(src, name), dst)
        continue
    with open(os.path.join(src, name), encoding='utf-8', newline='') as f:
        r = csv.reader(f)
        head = next(r)
        keys = [i for i, c in enumerate(head) if c in ('parent_code', 'old_province_code', 'new_province_code')]
        rows = [row for row in r if any(row[i] == '22' for i in keys)]
    with open(os.path.join(dst, name), 'w', encoding='utf-8', newline='') as f:
        w = csv.writer(f, lineterminator='\n')
        w.writerow(head)
        w.writerows(rows)
PYEND
	hl units load "$WORK/units" >/dev/null 2>&1
	DONE+=("units load of that version's data/units, the vn_ tables cut to province 22")
fi
if [ "$N" -ge 3 ]; then
	hl fonds set QN-LUAT --creator 193 --name "UBND thành phố Hạ Long (mẫu)" >/dev/null
	hl custody assign QN-LUAT --to 22 --from 193 --date 2025-07-01 \
		--basis "Quyết định giao nhận hồ sơ (mẫu)" >/dev/null
	DONE+=("fonds set QN-LUAT --creator 193, custody assign to 22")
fi
if [ "$N" -ge 4 ]; then
	hl ingest "$IN/ocr.csv" --files "$IN" --ocr >/dev/null 2>&1
	hl ocr run >/dev/null
	DONE+=("ingest --ocr of one scanned page (input/page.png), ocr run")
fi
if [ "$N" -ge 5 ]; then
	echo "$PASSWORD" | hl user add an.viewer --role viewer --unit 22 >/dev/null
	echo "$PASSWORD" | hl user add binh.admin --role admin --unit 22 >/dev/null
	DONE+=("user add an.viewer (viewer), binh.admin (admin)")
fi
if [ "$N" -ge 6 ]; then
	hl node init --unit 22 --url http://127.0.0.1:9 >/dev/null
	"$BIN" --home "$P" init >/dev/null
	"$BIN" --home "$P" node init --unit 06652 --url http://127.0.0.1:9 >/dev/null
	hubkey=$(hl node show --json | $PY -c 'import json, sys; print(json.load(sys.stdin)["public_key"])')
	peerkey=$("$BIN" --home "$P" node show --json |
		$PY -c 'import json, sys; print(json.load(sys.stdin)["public_key"])')
	hl node enrol 22 --url http://127.0.0.1:9 --key "$hubkey" --may-send "*" --may-receive "*" >/dev/null
	hl node enrol 06652 --url http://127.0.0.1:9 --key "$peerkey" --may-receive document >/dev/null
	id=$(hl search "ma tuy" --json | $PY -c 'import json, sys; print(json.loads(sys.stdin.readline())["id"])')
	hl send "$id" --to 06652 >/dev/null
	DONE+=("node init (hub 22), node enrol 22 and 06652, send one document to 06652 (waiting)")
fi
if [ "$N" -ge 7 ]; then
	hl feed publish units "$WORK/units" >/dev/null
	DONE+=("feed publish units")
fi
if [ "$N" -ge 8 ]; then
	hl audit verify >/dev/null
	DONE+=("audit verify (the witness)")
fi
if [ "$N" -ge 10 ]; then
	doc=$(hl search fonds:QN-LUAT --json | $PY -c 'import json, sys
for l in sys.stdin:
    r = json.loads(l)
    if r["subject"].startswith("Trang"):
        print(r["id"])')
	printf 'Điều 138. Chi trả dịch vụ hệ sinh thái tự nhiên\n' >"$WORK/p1.txt"
	hl ocr correct "$doc" 1 --file "$WORK/p1.txt" >/dev/null
	hl ocr approve "$doc" 1 >/dev/null
	DONE+=("ocr correct and approve page 1 of the scanned document")
fi
if [ "$N" -ge 11 ]; then
	hl fonds describe QN-LUAT --from 2019 --to 2025 --extent "4 văn bản (mẫu)" >/dev/null
	hl fonds series QN-LUAT MLHS-01 --title "Văn bản luật (mẫu)" >/dev/null
	hl fonds dossier QN-LUAT HS-01 --title "Luật, điều 1 (mẫu)" --series MLHS-01 >/dev/null
	DONE+=("fonds describe, series MLHS-01, dossier HS-01 described")
fi
if [ "$N" -ge 12 ]; then
	hl agency load >/dev/null
	DONE+=("agency load (that version's data/agencies)")
fi
if [ "$N" -ge 13 ]; then
	hl plan import "$TREE/data/plans/demo/DEMO-KH-2026_plan.csv" >/dev/null
	hl plan import "$TREE/data/plans/demo/DEMO-KH-2026_tasks.csv" --plan DEMO-KH-2026 >/dev/null
	hl task report DEMO-KH-2026/1 --at 2026-03-25 --period 2026-03 --progress 50 \
		--results "Ban hành chương trình tuyên truyền (dữ liệu mẫu)" >/dev/null
	DONE+=("plan import DEMO-KH-2026 (plan and tasks), one task report")
fi
if [ "$N" -ge 14 ]; then
	hl lesson add --title "Báo cáo kèm minh chứng (mẫu)" \
		--body "Gắn tài liệu minh chứng vào báo cáo ngay khi gửi (dữ liệu mẫu)." \
		--task DEMO-KH-2026/1 --agency 06652 --at 2026-10-06 >/dev/null
	DONE+=("lesson add")
fi
if [ "$N" -ge 15 ]; then
	hl dataset create qn-education --title "Giáo dục Quảng Ninh (mẫu)" \
		--from "$IN/education.csv" --key indicator,period --sector education \
		--access restricted >/dev/null
	hl dataset load qn-education "$IN/education.csv" >/dev/null
	DONE+=("dataset create qn-education --from input/education.csv (restricted), dataset load")
fi
if [ "$N" -ge 16 ]; then
	hl dataset request qn-education --purpose "Tổng hợp báo cáo (mẫu)" \
		--legal-basis "Nghị định 194/2025/NĐ-CP" --agency SO-KHCN >/dev/null
	DONE+=("dataset request qn-education by SO-KHCN (pending)")
fi

# What the test compares after the upgrade: these counts, and every table's rows.
count() { sqlite3 "$H/halong.db" "SELECT count(*) FROM $1" 2>/dev/null || echo -; }
COUNTS="documents=$(count document) blobs=$(count blob) audit=$(count audit)"
[ "$N" -ge 2 ] && COUNTS+=" unit_version=$(count unit_version)"
[ "$N" -ge 4 ] && COUNTS+=" page=$(count page)"
[ "$N" -ge 5 ] && COUNTS+=" users=$(count auth_user)"
[ "$N" -ge 6 ] && COUNTS+=" outbox=$(count exchange_outbox)"
[ "$N" -ge 7 ] && COUNTS+=" feed_entry=$(count feed_entry)"
[ "$N" -ge 13 ] && COUNTS+=" plan=$(count plan)"
[ "$N" -ge 15 ] && COUNTS+=" dataset=$(count dataset)"

# A node at rest: the WAL folded into the file before it is dumped.
sqlite3 "$H/halong.db" 'PRAGMA wal_checkpoint(TRUNCATE);' >/dev/null
rm -rf "$OUT"
mkdir -p "$OUT"
# .dump leaves out the schema version (PRAGMA user_version): it is the dump's last line.
{
	sqlite3 "$H/halong.db" .dump
	echo "PRAGMA user_version=$(sqlite3 "$H/halong.db" 'PRAGMA user_version');"
} >"$OUT/halong.sql"
cp -r "$H/blobs" "$OUT/blobs"
if [ -n "$(ls -A "$H/keys" 2>/dev/null)" ]; then
	cp -r "$H/keys" "$OUT/keys"
fi
[ -f "$H/halong.conf" ] && cp "$H/halong.conf" "$OUT/halong.conf"
{
	echo "# Schema $N, made by halong at $SHORT"
	echo
	echo "commit: $COMMIT"
	echo "version: $("$BIN" --version)"
	echo "command: scripts/make_schema_fixture.sh $SHORT $N"
	echo "made: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
	echo "counts: $COUNTS"
	echo
	echo "A node of that version (a test fixture: a node key here is a test key, nothing secret):"
	for d in "${DONE[@]}"; do
		echo "- $d"
	done
	echo
	echo "halong.sql is \`sqlite3 halong.db .dump\` of its store and its PRAGMA user_version;"
	echo "blobs/ and keys/ are its folders, halong.conf its configuration."
} >"$OUT/README.md"
echo "make_schema_fixture: tests/fixtures/schemas/v$N from $SHORT ($COUNTS)"
