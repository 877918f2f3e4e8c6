#!/usr/bin/env bash
# The demo: the reference fonds from the law corpus, the administrative units, custody, scans
# through OCR, demo accounts; then the server on http://127.0.0.1:8080.
# Usage: bash scripts/demo.sh BIN HOME   (make demo: bash scripts/demo.sh build/src/cli/halong $(pwd)/halong-data)
#        bash scripts/demo.sh --plans BIN HOME   the plans part alone, into a HOME whose units are
#        loaded, without serving (the browser tests use it)
#        bash scripts/demo.sh --datasets BIN HOME   the shared database's datasets alone (the units
#        loaded first), into an initialised HOME, without serving (tests/e2e/test_catalog_regroup.py)
set -euo pipefail

PLANS_ONLY=
DATASETS_ONLY=
if [ "${1:-}" = --plans ]; then
	PLANS_ONLY=1
	shift
elif [ "${1:-}" = --datasets ]; then
	DATASETS_ONLY=1
	shift
fi
if [ $# -ne 2 ]; then
	echo "usage: bash scripts/demo.sh [--plans|--datasets] BIN HOME" >&2
	exit 2
fi
BIN=$1
HOME_DIR=$2
ROOT=$(cd "$(dirname "$0")/.." && pwd)

# The plans' clock of the demo: its reports are dated up to this day and the dashboard counts as
# on it, whatever day the demo runs (HALONG_TODAY; DEMO_TODAY to choose another day).
DEMO_TODAY=${DEMO_TODAY:-2026-10-15}

# Plans (issue 13): the Government's programme for Resolution 57 (Nghị quyết 03/NQ-CP, its real
# Phụ lục II, 140 tasks) as the province receives it, compiled by Sở Khoa học và Công nghệ; and
# plan DEMO-KH-2026, DEMO DATA (data/plans/demo/README.md): a provincial plan of 2026 assigning
# tasks to real communes and departments, with reports, verifications, an inspection and a
# lesson made here, dated before DEMO_TODAY.
demo_plans() {
	local hl=("$BIN" --home "$HOME_DIR") p=DEMO-KH-2026 id ret ev
	echo "== plans: Nghị quyết 03/NQ-CP, Phụ lục II (real, national; compiler SO-KHCN), names not in the register kept as written"
	"${hl[@]}" plan import "$ROOT/data/plans/NQ03-NQ-CP-2025_plan.csv" --compiler SO-KHCN
	"${hl[@]}" plan import "$ROOT/data/plans/NQ03-NQ-CP-2025_tasks.csv" --keep-unknown 2>&1 | grep -v '^note: '
	echo "== plans: DEMO-KH-2026, a provincial plan of 2026 — DEMO DATA (data/plans/demo)"
	"${hl[@]}" plan import "$ROOT/data/plans/demo/DEMO-KH-2026_plan.csv"
	"${hl[@]}" plan import "$ROOT/data/plans/demo/DEMO-KH-2026_tasks.csv" --plan "$p"
	"${hl[@]}" ingest "$ROOT/data/plans/demo/evidence.csv" --quiet
	if [ "$("${hl[@]}" task show "$p/1" --json | python3 -c 'import json, sys; print(len(json.load(sys.stdin)["reports"]))')" != 0 ]; then
		echo "   (its reports are there already: a second run of make demo adds none)"
		return 0
	fi
	ev=$("${hl[@]}" search fonds:DEMO-KH --json | python3 -c 'import json, sys; print(json.loads(sys.stdin.readline())["id"])')
	# report TASK AT ARGS… → the report's id; verify ID AT accept|return [COMMENT]
	plan_report() {
		local task=$1 at=$2
		shift 2
		"${hl[@]}" task report "$p/$task" --at "$at" --json "$@" | python3 -c 'import json, sys; print(json.load(sys.stdin)["id"])'
	}
	plan_verify() {
		if [ "$3" = accept ]; then
			"${hl[@]}" task verify "$1" --accept --at "$2"
		else
			"${hl[@]}" task verify "$1" --return --comment "$4" --at "$2"
		fi
	}
	echo "== plans: DEMO-KH-2026's reports and their verification by SO-KHCN (demo data)"
	id=$(plan_report 1 2026-03-25 --period 2026-03 --done --done-on 2026-03-20 \
		--results "Ban hành chương trình tuyên truyền; mở chuyên mục trên báo, đài của tỉnh (dữ liệu mẫu)")
	plan_verify "$id" 2026-03-27 accept
	id=$(plan_report 11 2026-03-28 --period 2026-Q1 --done --results "Báo cáo quý I đã gửi (dữ liệu mẫu)")
	plan_verify "$id" 2026-03-30 accept
	id=$(plan_report 2 2026-05-25 --period 2026-05 --progress 60 \
		--results "Ban hành kế hoạch của phường; tổ chức 3 lớp hướng dẫn (dữ liệu mẫu)")
	plan_verify "$id" 2026-05-28 accept
	id=$(plan_report 4 2026-05-25 --period 2026-05 --waiting --progress 30 \
		--results "Đã rà soát các quy định hiện hành của tỉnh (dữ liệu mẫu)" \
		--difficulties "Chưa có văn bản hướng dẫn của Trung ương để sửa đổi quy định (dữ liệu mẫu)" \
		--proposals "Đề nghị tạm dừng tính hạn đến khi có hướng dẫn (dữ liệu mẫu)")
	plan_verify "$id" 2026-05-28 accept
	id=$(plan_report 9 2026-06-25 --period 2026-06 --progress 70 --results "Cập nhật hồ sơ tại các trạm y tế (dữ liệu mẫu)")
	plan_verify "$id" 2026-06-27 accept
	id=$(plan_report 11 2026-06-26 --period 2026-Q2 --done --results "Báo cáo quý II đã gửi (dữ liệu mẫu)")
	plan_verify "$id" 2026-06-29 accept
	id=$(plan_report 2 2026-07-12 --period 2026-07 --done --done-on 2026-07-10 \
		--results "Hoàn thành phong trào, tổng kết ngày 10/7 (dữ liệu mẫu)")
	plan_verify "$id" 2026-07-15 accept
	id=$(plan_report 9 2026-07-22 --period 2026-07 --done --done-on 2026-07-20 --results "Hoàn thành (dữ liệu mẫu)")
	plan_verify "$id" 2026-07-24 accept
	id=$(plan_report 3 2026-08-25 --period 2026-08 --progress 60 \
		--results "Dự thảo chương trình bồi dưỡng, đang lấy ý kiến (dữ liệu mẫu)" \
		--difficulties "Chưa thống nhất nội dung với các cơ sở đào tạo (dữ liệu mẫu)")
	plan_verify "$id" 2026-08-27 accept
	id=$(plan_report 5 2026-09-25 --period 2026-09 --progress 40 --results "Dự thảo cơ chế hỗ trợ (dữ liệu mẫu)")
	plan_verify "$id" 2026-09-28 accept
	id=$(plan_report 7 2026-09-25 --period 2026-09 --progress 80 --results "Lắp đặt thiết bị phòng họp (dữ liệu mẫu)")
	plan_verify "$id" 2026-09-28 accept
	# Phường Hà Tu reports task 6 done without evidence; the compiler returns it; the corrected
	# report names the record of the acceptance and is accepted.
	ret=$(plan_report 6 2026-09-26 --period 2026-09 --done --done-on 2026-09-25 \
		--results "Số hóa xong hồ sơ thủ tục hành chính còn hiệu lực (dữ liệu mẫu)")
	plan_verify "$ret" 2026-09-29 return "Chưa có tài liệu minh chứng: đề nghị bổ sung biên bản nghiệm thu kết quả số hóa."
	id=$(plan_report 6 2026-10-02 --period 2026-09 --done --done-on 2026-09-25 --corrects "$ret" --evidence "$ev" \
		--results "Số hóa xong hồ sơ thủ tục hành chính còn hiệu lực; kèm biên bản nghiệm thu (dữ liệu mẫu)")
	plan_verify "$id" 2026-10-05 accept
	# waiting for verification: the queue of SO-KHCN
	plan_report 11 2026-09-28 --period 2026-Q3 --done --results "Báo cáo quý III đã gửi (dữ liệu mẫu)" >/dev/null
	plan_report 8 2026-10-14 --period 2026-10 --progress 50 \
		--results "Rà soát danh mục thủ tục đủ điều kiện cung cấp toàn trình (dữ liệu mẫu)" >/dev/null
	echo "== plans: an inspection of Phường Hà Tu with a follow-up task, and a lesson (demo data)"
	"${hl[@]}" inspection add "$p" "Xây dựng quy trình lưu trữ hồ sơ điện tử sau số hóa|06652|12/2026" \
		--date 2026-10-08 --team "Đoàn kiểm tra của Sở Khoa học và Công nghệ (dữ liệu mẫu)" \
		--scope "Việc thực hiện các nhiệm vụ chuyển đổi số năm 2026 tại Phường Hà Tu" --agency 06652 \
		--findings "Hoàn thành số hóa hồ sơ một cửa; chưa có quy trình lưu trữ hồ sơ điện tử sau số hóa (dữ liệu mẫu)" \
		--rating kha --at 2026-10-08
	"${hl[@]}" lesson add --title "Báo cáo hoàn thành kèm minh chứng ngay từ đầu" \
		--body "Báo cáo hoàn thành nhiệm vụ số hóa bị trả lại vì thiếu biên bản nghiệm thu. Gắn tài liệu minh chứng đã lưu trữ vào báo cáo ngay khi gửi giúp Sở Khoa học và Công nghệ duyệt nhanh (dữ liệu mẫu)." \
		--task "$p/6" --agency 06652 --at 2026-10-06
	echo "== plans: DEMO-KH-2026 on $DEMO_TODAY"
	"${hl[@]}" plan eval "$p" --at "$DEMO_TODAY" | sed -n 1,3p
}

# The shared database (issue 14): real data only, each dataset as data/catalog/datasets.csv lists
# it (file, Table Schema, sector, access, date): the area and population of the 54 units of 2025
# (data/units, the merger portal's table; code a unit code checked on 2025-07-01) and the six
# Quảng Ninh sector tables of data/sector (press figures, mostly estimates: every row keeps
# value_as_written and its source; read data/sector/README.md). Created once; a second run loads
# the same files again, which changes nothing (no new version).
demo_datasets() {
	local hl=("$BIN" --home "$HOME_DIR") id file schema sector access date title prov lic
	echo "== datasets: the area and population of the 54 units (data/units) and the six sector tables (data/sector, press figures)"
	# fields between U+001F: a tab is white space to read, and an empty date would vanish
	while IFS=$'\x1f' read -r id file schema sector access date title; do
		if ! "${hl[@]}" dataset show "$id" >/dev/null 2>&1; then
			case $file in
			units/*)
				prov="Cổng thông tin sắp xếp đơn vị hành chính, bảng công bố 17/7/2025, qua github.com/tranngocminhhieu/vietnamadminunits (data/units/SOURCES.md)"
				lic="MIT (data/units/LICENSE.vietnamadminunits)" ;;
			*)
				prov="Số liệu báo chí đưa tin (phần lớn là số ước), gõ lại từ bản lưu của từng trang; nguồn của từng dòng ở cột source_url, cách viết gốc ở value_as_written (data/sector/SOURCES.md, README.md)"
				lic="Số liệu của các trang báo nêu ở từng dòng; xem data/sector/SOURCES.md" ;;
			esac
			"${hl[@]}" dataset create "$id" --title "$title" --schema "$ROOT/data/catalog/$schema" \
				--sector "$sector" --access "$access" ${date:+--date "$date"} --provenance "$prov" \
				--licence "$lic" --keywords "Quảng Ninh,$sector" >/dev/null
		fi
		"${hl[@]}" dataset load "$id" "$ROOT/data/$file"
	done < <(python3 -c 'import csv, sys
for r in csv.DictReader(open(sys.argv[1], encoding="utf-8")):
    print("\x1f".join(r[k] for k in ("id", "file", "schema", "sector", "access", "date", "title")))' "$ROOT/data/catalog/datasets.csv")
	"${hl[@]}" dataset list
}

if [ ! -x "$BIN" ]; then
	echo "demo: $BIN is not built (run: make build)" >&2
	exit 1
fi

# demo_users "NAME ROLE UNIT [AGENCY]"…: each user added once (password halong-demo-2026), and
# given the agency it reports for (halong agency assign) when one is named.
demo_users() {
	local u
	for u in "$@"; do
		set -- $u
		if ! "$BIN" --home "$HOME_DIR" user list | grep -q "^$1 "; then
			echo "halong-demo-2026" | "$BIN" --home "$HOME_DIR" user add "$1" --role "$2" --unit "$3"
		fi
		if [ $# -eq 4 ]; then
			"$BIN" --home "$HOME_DIR" agency assign "$1" "$4" >/dev/null
		fi
	done
}

# The accounts of the plans: canbo-hatu reports for Phường Hà Tu and canbo-baichay for Phường Bãi
# Cháy (their units), canbo-sogddt for Sở Giáo dục và Đào tạo, tonghop-sokhcn for Sở Khoa học và
# Công nghệ, the plans' compiler, who verifies the reports; thanhtra records inspections.
PLAN_USERS=("canbo-hatu officer 06652" "canbo-baichay officer 06673" "canbo-sogddt officer 22 SO-GDDT"
	"tonghop-sokhcn officer 22 SO-KHCN" "thanhtra inspector 22 TT-TINH")

if [ -n "$DATASETS_ONLY" ]; then
	"$BIN" --home "$HOME_DIR" units load --quiet
	demo_datasets
	exit 0
fi

if [ -n "$PLANS_ONLY" ]; then
	"$BIN" --home "$HOME_DIR" agency load >/dev/null
	demo_users "${PLAN_USERS[@]}"
	demo_plans
	exit 0
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

demo_datasets

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
demo_users "admin admin 22" "luutru-hatu archivist 06652" "canbo-hatu officer 06652" "xem viewer 06661"
demo_users "${PLAN_USERS[@]}"
"$BIN" --home "$HOME_DIR" user list

demo_plans

echo "== halong stats"
"$BIN" --home "$HOME_DIR" stats

echo
echo "The data is in $HOME_DIR. Open http://127.0.0.1:8080 (Ctrl-C stops the server)."
echo "Plans: #/plans (log in as tonghop-sokhcn, canbo-hatu, canbo-baichay, canbo-sogddt or thanhtra); their clock is $DEMO_TODAY."
HALONG_TODAY=$DEMO_TODAY exec "$BIN" --home "$HOME_DIR" serve --listen 127.0.0.1:8080 --web "$ROOT/web"
