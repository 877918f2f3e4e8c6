#!/usr/bin/env bash
# The administrative units and custody benchmark (issue 3): halong against the sqlite3 shell on the
# same shipped CSV files (data/units), in the same run, alternating. See bench/units/README.md.
#
#   bash bench/units/run.sh [--halong PATH] [--full] [--load-rounds N] [--calls K] [--reg-rounds R]
#
# Quick default (under a minute): 10 load rounds, 50 calls per question, 2 registration rounds.
# --full: 30 load rounds, 200 calls, 5 registration rounds (a few minutes). Output to the terminal and to
# bench/out/units-<date>.log; work files in bench/out/units-work/ (gitignored, removed at the end).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
ARGS="$*"
HALONG="$ROOT/build/src/cli/halong"
LOAD_ROUNDS=10
CALLS=50
REG_ROUNDS=2
FULL=0
while [ $# -gt 0 ]; do
	case "$1" in
	--halong) HALONG=$2; shift ;;
	--full) FULL=1; LOAD_ROUNDS=30; CALLS=200; REG_ROUNDS=5 ;;
	--load-rounds) LOAD_ROUNDS=$2; shift ;;
	--calls) CALLS=$2; shift ;;
	--reg-rounds) REG_ROUNDS=$2; shift ;;
	-h | --help) sed -n '2,10p' "$0"; exit 0 ;;
	*) echo "run.sh: unknown option $1" >&2; exit 2 ;;
	esac
	shift
done
case "$HALONG" in /*) ;; *) HALONG="$PWD/$HALONG" ;; esac
[ -x "$HALONG" ] || { echo "run.sh: no halong binary at $HALONG (ninja -C build)" >&2; exit 1; }
TIME=/usr/bin/time
[ -x "$TIME" ] || { echo "run.sh: /usr/bin/time is needed for peak RSS" >&2; exit 1; }
command -v sqlite3 >/dev/null || { echo "run.sh: the sqlite3 shell is needed (the baseline)" >&2; exit 1; }

# Shared 2-core machine: stay below the compilers of the others.
renice -n 10 $$ >/dev/null 2>&1 || true

UNITS="$ROOT/data/units"
CORPUS="$ROOT/data/corpus/alqac2023_law_articles.jsonl"
OUT="$ROOT/bench/out"
WORK="$OUT/units-work"
mkdir -p "$OUT"
rm -rf "$WORK"
mkdir -p "$WORK"
LOG="$OUT/units-$(date +%Y%m%d-%H%M%S).log"
exec > >(tee "$LOG") 2>&1
trap 'rm -rf "$WORK"' EXIT

# The commit the binary was built from, when it lives in a git work tree (a worktree of HEAD, say).
BINDIR=$(dirname "$HALONG")
BINREV=$(git -C "$BINDIR" describe --always --dirty 2>/dev/null || echo "?")
BUILDTYPE=$(python3 -c 'import json,sys; print([o["value"] for o in json.load(open(sys.argv[1])) if o["name"] == "buildtype"][0])' \
	"$BINDIR/../../meson-info/intro-buildoptions.json" 2>/dev/null || echo '?')

echo "== halong units + custody benchmark, $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "machine: nproc=$(nproc) cpu=\"$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')\"" \
	"mem=$(awk '/MemTotal/ {printf "%.1fGB", $2/1048576}' /proc/meminfo) kernel=$(uname -r)"
echo "load: $(cut -d' ' -f1-3 /proc/loadavg) (other engineers share this machine)"
echo "versions: $("$HALONG" --version) at $HALONG (tree $BINREV, buildtype=$BUILDTYPE); sqlite3 shell $(sqlite3 --version | cut -d' ' -f1)"
FILES_READ="events vn_provinces_34 vn_communes_3321 quangninh_units_2025 quangninh_units_pre2025 vn_mapping_old_to_new_all quangninh_mapping_old_to_new"
echo "data: $UNITS: the 7 CSV files halong's load reads, $(for t in $FILES_READ; do cat "$UNITS/$t.csv"; done | wc -c) bytes," \
	"$(python3 -c 'import csv,sys; print(sum(sum(1 for _ in csv.reader(open(sys.argv[1] + "/" + t + ".csv", encoding="utf-8", newline=""))) - 1 for t in sys.argv[2:]))' "$UNITS" $FILES_READ) rows" \
	"(quangninh_ward_area_population_2025.csv is not loaded by halong and not imported)"
echo "sizes: load rounds=$LOAD_ROUNDS calls per question=$CALLS registration rounds=$REG_ROUNDS (full=$FULL)"
echo "command: bash bench/units/run.sh $ARGS"
echo "timing: wall clock per process from bash (\$EPOCHREALTIME), process start included on both sides"

now() { echo "${EPOCHREALTIME/./}"; } # microseconds
# stats FILE: n, min, median, p90, mean of the microsecond values in FILE, printed in ms.
stats() {
	python3 - "$1" <<'PY'
import sys
v = sorted(int(x) / 1000 for x in open(sys.argv[1]) if x.strip())
n = len(v)
med = v[n // 2] if n % 2 else (v[n // 2 - 1] + v[n // 2]) / 2
p90 = v[min(n - 1, int(0.9 * n))]
print("n=%d min=%.2f median=%.2f p90=%.2f mean=%.2f" % (n, v[0], med, p90, sum(v) / n))
PY
}
field() { stats "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }
ratio() { python3 -c "import sys; a, b = float(sys.argv[1]), float(sys.argv[2]); print('%.2f' % (a / b) if b else 'inf')" "$1" "$2"; }

# ---- the baseline's import: the CSV files halong's load reads (src/lib/units/load.c), each into a
# plain table named after the file; quangninh_ward_area_population_2025.csv is not loaded by halong.
FILES=$FILES_READ
IMPORT_SQL="$WORK/import.sql"
: >"$IMPORT_SQL"
for t in $FILES; do
	echo ".import --csv '$UNITS/$t.csv' $t" >>"$IMPORT_SQL"
done

# ---- 1. load ----
echo
echo "== 1. load: halong units load into a freshly initialised data dir vs sqlite3 .import --csv into a fresh file"
echo "halong: $HALONG --home DIR init (not timed) ; $HALONG --home DIR units load $UNITS"
echo "sqlite3: sqlite3 FILE < import.sql  ($(wc -l <"$IMPORT_SQL") lines: .import --csv FILE TABLE, header = column names)"
: >"$WORK/load-halong" ; : >"$WORK/load-sqlite" ; : >"$WORK/init-halong"
for r in $(seq 1 "$LOAD_ROUNDS"); do
	d="$WORK/h-load-$r"
	t0=$(now); "$HALONG" --home "$d" init >/dev/null; t1=$(now)
	echo $((t1 - t0)) >>"$WORK/init-halong"
	t0=$(now); "$HALONG" --home "$d" units load "$UNITS" >"$WORK/load-out"; t1=$(now)
	echo $((t1 - t0)) >>"$WORK/load-halong"
	db="$WORK/s-load-$r.db"
	t0=$(now); sqlite3 "$db" <"$IMPORT_SQL"; t1=$(now)
	echo $((t1 - t0)) >>"$WORK/load-sqlite"
	[ "$r" -eq "$LOAD_ROUNDS" ] || rm -rf "$d" "$db"
done
echo "halong says: $(cat "$WORK/load-out")"
echo "sqlite3 rows: $(for t in $FILES; do printf '%s=%s ' "$t" "$(sqlite3 "$WORK/s-load-$LOAD_ROUNDS.db" "SELECT count(*) FROM $t")"; done)"
echo "halong init      ms: $(stats "$WORK/init-halong")"
echo "halong load      ms: $(stats "$WORK/load-halong")"
echo "sqlite3 .import  ms: $(stats "$WORK/load-sqlite")"
LOAD_H=$(field "$WORK/load-halong" min)
LOAD_S=$(field "$WORK/load-sqlite" min)
LOAD_RATIO=$(ratio "$LOAD_H" "$LOAD_S")
echo "best of $LOAD_ROUNDS: halong ${LOAD_H} ms, sqlite3 ${LOAD_S} ms: halong/sqlite3 = ${LOAD_RATIO}x"
echo "store sizes: halong.db $(du -k "$WORK/h-load-$LOAD_ROUNDS/halong.db" | cut -f1) KB, sqlite3 file $(du -k "$WORK/s-load-$LOAD_ROUNDS.db" | cut -f1) KB"
# Peak RSS, measured apart from the timed rounds.
d="$WORK/h-rss"
"$HALONG" --home "$d" init >/dev/null
$TIME -v "$HALONG" --home "$d" units load "$UNITS" >/dev/null 2>"$WORK/rss-halong"
$TIME -v sqlite3 "$WORK/s-rss.db" <"$IMPORT_SQL" 2>"$WORK/rss-sqlite"
RSS_H=$(awk -F: '/Maximum resident/ {printf "%.1f", $2/1024}' "$WORK/rss-halong")
RSS_S=$(awk -F: '/Maximum resident/ {printf "%.1f", $2/1024}' "$WORK/rss-sqlite")
echo "peak RSS (/usr/bin/time -v): halong units load ${RSS_H} MB, sqlite3 .import ${RSS_S} MB"
rm -rf "$d" "$WORK/s-rss.db"

H="$WORK/h-load-$LOAD_ROUNDS" # the loaded store the questions use
S="$WORK/s-load-$LOAD_ROUNDS.db"

# ---- 2. questions ----
echo
echo "== 2. questions: $CALLS calls each, alternating halong / sqlite3 / halong --version; ms per call"
# name | halong arguments | the sqlite3 shell's equivalent on the raw tables
Q_NAMES=(show find successors tree)
Q_HALONG=(
	"units show 06652 --at 2025-06-30"
	"units find ha phong"
	"units successors 06655"
	"units tree 22 --at 2025-06-30"
)
Q_SQL=(
	"SELECT code, name, type, district_code, district_name FROM quangninh_units_pre2025 WHERE code = '06652';"
	"SELECT old_code, old_name, old_district, new_code, new_name, merge_type FROM vn_mapping_old_to_new_all WHERE old_name LIKE '%Hà Phong%' UNION ALL SELECT code, full_name, '', '', '', '' FROM vn_communes_3321 WHERE full_name LIKE '%Hà Phong%';"
	"SELECT old_code, new_code, new_name, merge_type FROM vn_mapping_old_to_new_all WHERE old_code = '06655';"
	"SELECT district_code, district_name, code, name, type FROM quangninh_units_pre2025 WHERE province_code = '22' ORDER BY district_code, code;"
)
echo "halong --home DIR <question>; sqlite3 -readonly FILE \"<SQL>\"; halong --version and sqlite3 :memory: 'SELECT 1' (start-up alone)"
echo "(sqlite3 cannot fold tones: its find is given the toned words 'Hà Phong'; halong is given 'ha phong')"
RESULT_Q=""
: >"$WORK/version"; : >"$WORK/sqlite-start"
for i in "${!Q_NAMES[@]}"; do
	n=${Q_NAMES[$i]}
	read -r -a qa <<<"${Q_HALONG[$i]}"
	# units find takes the name as one argument
	[ "$n" = find ] && qa=(units find "ha phong")
	sql=${Q_SQL[$i]}
	: >"$WORK/q-$n-halong"; : >"$WORK/q-$n-sqlite"
	for _ in $(seq 1 "$CALLS"); do
		t0=$(now); "$HALONG" --home "$H" "${qa[@]}" >"$WORK/q-$n-halong.out"; t1=$(now)
		echo $((t1 - t0)) >>"$WORK/q-$n-halong"
		t0=$(now); sqlite3 -readonly "$S" "$sql" >"$WORK/q-$n-sqlite.out"; t1=$(now)
		echo $((t1 - t0)) >>"$WORK/q-$n-sqlite"
		t0=$(now); "$HALONG" --version >/dev/null; t1=$(now)
		echo $((t1 - t0)) >>"$WORK/version"
		t0=$(now); sqlite3 :memory: 'SELECT 1;' >/dev/null; t1=$(now)
		echo $((t1 - t0)) >>"$WORK/sqlite-start"
	done
	hm=$(field "$WORK/q-$n-halong" median); sm=$(field "$WORK/q-$n-sqlite" median)
	echo "-- $n: halong ${qa[*]}   |   sqlite3: $sql"
	echo "   answer: halong $(wc -l <"$WORK/q-$n-halong.out") lines, sqlite3 $(wc -l <"$WORK/q-$n-sqlite.out") rows;" \
		"halong's first line: $(head -1 "$WORK/q-$n-halong.out")"
	echo "   halong  ms: $(stats "$WORK/q-$n-halong")"
	echo "   sqlite3 ms: $(stats "$WORK/q-$n-sqlite")"
	echo "   median halong/sqlite3 = $(ratio "$hm" "$sm")x"
	RESULT_Q="$RESULT_Q ${n}_halong_ms=$hm ${n}_sqlite_ms=$sm"
done
VER=$(field "$WORK/version" median)
SQLSTART=$(field "$WORK/sqlite-start" median)
echo "-- start-up alone: halong --version ms: $(stats "$WORK/version")"
echo "                   sqlite3 :memory: 'SELECT 1' ms: $(stats "$WORK/sqlite-start")"
for n in "${Q_NAMES[@]}"; do
	echo "   $n minus start-up (medians): halong $(python3 -c "print('%.2f' % ($(field "$WORK/q-$n-halong" median) - $VER))") ms," \
		"sqlite3 $(python3 -c "print('%.2f' % ($(field "$WORK/q-$n-sqlite" median) - $SQLSTART))") ms"
done
TREE_COMMUNES=$(grep -c '^    [0-9]\{5\} ' "$WORK/q-tree-halong.out" || true)
TREE_DISTRICTS=$(grep -c '^  [0-9]\{3\} ' "$WORK/q-tree-halong.out" || true)
echo "   tree 22 on 2025-06-30: halong $TREE_DISTRICTS districts, $TREE_COMMUNES communes; sqlite3 $(wc -l <"$WORK/q-tree-sqlite.out") communes"

# ---- 3. custody ----
echo
echo "== 3. custody: the 171 old Quang Ninh communes as fonds F<code> --creator <code>"
python3 "$ROOT/bench/units/docs.py" "$UNITS/quangninh_mapping_old_to_new.csv" "$CORPUS" "$WORK/docs.csv" 2 5
CODES=$(python3 -c 'import csv,sys; seen=[]; [seen.append(r["old_code"]) for r in csv.DictReader(open(sys.argv[1], encoding="utf-8", newline="")) if r["old_code"] not in seen]; print(" ".join(seen))' \
	"$UNITS/quangninh_mapping_old_to_new.csv")
NCODES=$(echo "$CODES" | wc -w)
t0=$(now); "$HALONG" --home "$H" ingest "$WORK/docs.csv" >"$WORK/ingest-out"; t1=$(now)
echo "setup (not compared): $(cat "$WORK/ingest-out") in $(((t1 - t0) / 1000)) ms"
# The baseline's custody tables: the same documents, imported raw, and a plain fonds table.
sqlite3 "$S" ".import --csv '$WORK/docs.csv' docs" "CREATE TABLE fonds (fonds_code TEXT PRIMARY KEY, creator TEXT);"
cp -a "$H" "$WORK/h-base"
cp "$S" "$WORK/s-base.db"
echo "registration: $NCODES processes each side: halong --home DIR fonds set F<code> --creator <code>" \
	"| sqlite3 FILE \"INSERT OR REPLACE INTO fonds VALUES('F<code>','<code>')\" | halong --version"
: >"$WORK/reg-halong"; : >"$WORK/reg-sqlite"; : >"$WORK/reg-version"
for r in $(seq 1 "$REG_ROUNDS"); do
	if [ "$r" -gt 1 ]; then # a fresh store each round: the same starting point
		rm -rf "$H" "$S"
		cp -a "$WORK/h-base" "$H"
		cp "$WORK/s-base.db" "$S"
	fi
	t0=$(now)
	for c in $CODES; do "$HALONG" --home "$H" fonds set "F$c" --creator "$c" >/dev/null; done
	t1=$(now)
	echo $((t1 - t0)) >>"$WORK/reg-halong"
	t0=$(now)
	for c in $CODES; do sqlite3 "$S" "INSERT OR REPLACE INTO fonds VALUES('F$c','$c');"; done
	t1=$(now)
	echo $((t1 - t0)) >>"$WORK/reg-sqlite"
	t0=$(now)
	for c in $CODES; do "$HALONG" --version >/dev/null; done
	t1=$(now)
	echo $((t1 - t0)) >>"$WORK/reg-version"
done
REG_H=$(field "$WORK/reg-halong" min); REG_S=$(field "$WORK/reg-sqlite" min); REG_V=$(field "$WORK/reg-version" min)
echo "   best of $REG_ROUNDS for $NCODES: halong ${REG_H} ms ($(python3 -c "print('%.2f' % ($REG_H / $NCODES))") ms/fonds)," \
	"sqlite3 ${REG_S} ms, halong --version x$NCODES ${REG_V} ms; halong/sqlite3 = $(ratio "$REG_H" "$REG_S")x"
echo "   fonds with a creator: halong $("$HALONG" --home "$H" fonds list --json | python3 -c 'import json,sys; print(sum(1 for f in json.load(sys.stdin) if f.get("creator_code")))' 2>/dev/null || echo '?')," \
	"sqlite3 $(sqlite3 "$S" 'SELECT count(*) FROM fonds')"

# The baseline answers the one step the Quang Ninh mapping shows (no walk, no decisions, no digest).
PEND_SQL="SELECT f.fonds_code, group_concat(m.new_code) FROM fonds f JOIN quangninh_mapping_old_to_new m ON m.old_code = f.creator GROUP BY f.fonds_code HAVING count(*) > 1 OR max(m.merge_type LIKE '%một phần%');"
OF_SQL="SELECT f.fonds_code, (SELECT count(*) FROM docs d WHERE d.fonds_code = f.fonds_code) FROM fonds f JOIN quangninh_mapping_old_to_new m ON m.old_code = f.creator WHERE m.new_code = '06652' AND f.creator NOT IN (SELECT old_code FROM quangninh_mapping_old_to_new GROUP BY old_code HAVING count(*) > 1 OR max(merge_type LIKE '%một phần%'));"
REC_SQL="SELECT d.fonds_code, m.old_code, m.old_name, d.dossier_code, count(*), max(d.access_level) FROM docs d JOIN fonds f ON f.fonds_code = d.fonds_code JOIN quangninh_mapping_old_to_new m ON m.old_code = f.creator WHERE m.new_code = '06652' AND f.creator NOT IN (SELECT old_code FROM quangninh_mapping_old_to_new GROUP BY old_code HAVING count(*) > 1 OR max(merge_type LIKE '%một phần%')) GROUP BY d.fonds_code, d.dossier_code ORDER BY 1, 4;"
C_NAMES=(pending of receipt)
C_HALONG=("custody pending --json" "custody of 06652 --json" "custody receipt 06652")
C_SQL=("$PEND_SQL" "$OF_SQL" "$REC_SQL")
RESULT_C=""
for i in "${!C_NAMES[@]}"; do
	n=${C_NAMES[$i]}
	read -r -a qa <<<"${C_HALONG[$i]}"
	sql=${C_SQL[$i]}
	: >"$WORK/c-$n-halong"; : >"$WORK/c-$n-sqlite"
	for _ in $(seq 1 "$CALLS"); do
		t0=$(now); "$HALONG" --home "$H" "${qa[@]}" >"$WORK/c-$n-halong.out"; t1=$(now)
		echo $((t1 - t0)) >>"$WORK/c-$n-halong"
		t0=$(now); sqlite3 -readonly "$S" "$sql" >"$WORK/c-$n-sqlite.out"; t1=$(now)
		echo $((t1 - t0)) >>"$WORK/c-$n-sqlite"
	done
	hm=$(field "$WORK/c-$n-halong" median); sm=$(field "$WORK/c-$n-sqlite" median)
	echo "-- $n: halong ${qa[*]}   |   sqlite3: $sql"
	echo "   halong  ms: $(stats "$WORK/c-$n-halong")"
	echo "   sqlite3 ms: $(stats "$WORK/c-$n-sqlite")"
	echo "   median halong/sqlite3 = $(ratio "$hm" "$sm")x"
	echo "   minus start-up (medians): halong $(python3 -c "print('%.2f' % ($hm - $VER))") ms, sqlite3 $(python3 -c "print('%.2f' % ($sm - $SQLSTART))") ms"
	RESULT_C="$RESULT_C ${n}_halong_ms=$hm ${n}_sqlite_ms=$sm"
done
# The answers, counted, so a reader sees they are right (12 split communes wait for a decision).
PEND_H=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' "$WORK/c-pending-halong.out")
PEND_S=$(wc -l <"$WORK/c-pending-sqlite.out")
OF_H=$(python3 -c 'import json,sys; a = json.load(open(sys.argv[1])); print("%d fonds (%s), %d documents" % (len(a), " ".join(f["fonds_code"] for f in a), sum(f["documents"] for f in a)))' "$WORK/c-of-halong.out")
REC_H=$(($(wc -l <"$WORK/c-receipt-halong.out") - 1))
echo "answers: pending halong $PEND_H fonds ($(python3 -c 'import json,sys; print(" ".join(f["fonds_code"] for f in json.load(open(sys.argv[1]))))' "$WORK/c-pending-halong.out")), sqlite3 $PEND_S rows"
echo "         custody of 06652: halong $OF_H; sqlite3 $(wc -l <"$WORK/c-of-sqlite.out") rows: $(tr '\n' ' ' <"$WORK/c-of-sqlite.out")"
echo "         receipt 06652: halong $REC_H dossier lines; sqlite3 $(wc -l <"$WORK/c-receipt-sqlite.out") rows"

echo
echo "RESULT units rows=$(grep -o '[0-9]* rows' "$WORK/load-out" | head -1 | cut -d' ' -f1) load_halong_ms=$LOAD_H load_sqlite_ms=$LOAD_S" \
	"load_ratio=$LOAD_RATIO halong_peak_rss_mb=$RSS_H start_ms=$VER sqlite_start_ms=$SQLSTART$RESULT_Q fonds=$NCODES register_halong_ms=$REG_H" \
	"register_sqlite_ms=$REG_S pending=$PEND_H$RESULT_C"
