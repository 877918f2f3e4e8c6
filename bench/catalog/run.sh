#!/usr/bin/env bash
# The catalog benchmark (issue 14), each part against a baseline in the same run, alternating. See
# bench/catalog/README.md. All data is GENERATED (bench/catalog/gen.py; files named generated-*).
#
#   bash bench/catalog/run.sh [--halong PATH] [--full] [--rows N] [--rounds R] [--qrounds R]
#                             [--only import|groupby|memory|api] [--no-pg] [--seed S]
#                             [--duration S] [--wrk-rounds R]
#
# 1. import: `halong dataset load` of an N-row CSV into a dataset with a schema (typed columns, a
#    primary key (unit, period, indicator), a unit-code column checked against the units of
#    2025-07-01) against the sqlite3 shell's `.import` of the same file into (a) a table it makes
#    from the header (untyped, no key) and (b) a STRICT typed table with the same primary key and
#    CHECKs (types checked). Then the same file again (0 changes) and an upsert file changing 3 rows,
#    against the same in the shell (.import into a temp table, INSERT … ON CONFLICT DO UPDATE).
# 2. groupby: `halong dataset query ID --group-by unit --sum value --count` against
#    SELECT unit, count(*), sum(value) … GROUP BY unit in the sqlite3 shell (a plain typed table of
#    the same rows) and in psql on a private PostgreSQL 15 cluster (COPY, ANALYZE); answers
#    checked equal first, then R rounds, the order rotating.
# 3. memory (--full only): peak RSS (/usr/bin/time -v) of `halong dataset load` of a ~100 MB and
#    a ~1 GB CSV against sqlite3 .import's; the files are deleted after.
# 4. api: wrk -t2 -c64 for S seconds (10) on three GET /api/v1/datasets/gen/rows questions (one
#    unit's rows, a page deep in another order, a group-by of one unit) with a viewer's token,
#    against nginx serving the same bodies as static files and a second halong that keeps no
#    answer (HL_ROWS_NO_CACHE=1); R rounds (2) each, alternating.
# Quick default: 200,000 rows, 5 import rounds, 10 query rounds. --full: 1,000,000 rows, 3 import
# rounds, 10 query rounds, and the memory test. Output to the terminal and
# bench/out/catalog-<date>-<rows>.log.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
ARGS="$*"
HALONG="$ROOT/build-rel/src/cli/halong"
ROWS=200000
ROUNDS=5
QROUNDS=10
FULL=0
DUR=10
WRK_ROUNDS=2
ONLY=
PG=1
SEED=20250701
while [ $# -gt 0 ]; do
	case "$1" in
	--halong) HALONG=$2; shift ;;
	--full) FULL=1; ROWS=1000000; ROUNDS=3 ;;
	--rows) ROWS=$2; shift ;;
	--rounds) ROUNDS=$2; shift ;;
	--qrounds) QROUNDS=$2; shift ;;
	--only) ONLY=$2; shift ;;
	--duration) DUR=$2; shift ;;
	--wrk-rounds) WRK_ROUNDS=$2; shift ;;
	--no-pg) PG=0 ;;
	--seed) SEED=$2; shift ;;
	-h | --help) sed -n '2,26p' "$0"; exit 0 ;;
	*) echo "run.sh: unknown option $1" >&2; exit 2 ;;
	esac
	shift
done
case "$HALONG" in /*) ;; *) HALONG="$PWD/$HALONG" ;; esac
[ -x "$HALONG" ] || { echo "run.sh: no halong binary at $HALONG (meson setup build-rel --buildtype=release && ninja -C build-rel)" >&2; exit 1; }
command -v sqlite3 >/dev/null || { echo "run.sh: the sqlite3 shell is needed (the baseline)" >&2; exit 1; }
PGBIN=/usr/lib/postgresql/15/bin
if [ "$PG" = 1 ] && ! [ -x "$PGBIN/initdb" ]; then
	echo "run.sh: no PostgreSQL 15 at $PGBIN (apt-get install postgresql-15), or --no-pg" >&2
	exit 1
fi
PY=/usr/bin/python3 # Debian's
want() { [ -z "$ONLY" ] || [ "$ONLY" = "$1" ]; }

# Shared 2-core machine: stay below the compilers of the others.
renice -n 10 $$ >/dev/null 2>&1 || true

OUT="$ROOT/bench/out"
SET="$OUT/catalog-data"
WORK="$OUT/catalog-work"
mkdir -p "$OUT" "$SET"
rm -rf "$WORK"
mkdir -p "$WORK"
LOG="$OUT/catalog-$(date +%Y%m%d-%H%M%S)-$ROWS.log"
exec > >(tee "$LOG") 2>&1

BINDIR=$(dirname "$HALONG")
BUILDTYPE=$(python3 -c 'import json,sys; print([o["value"] for o in json.load(open(sys.argv[1])) if o["name"] == "buildtype"][0])' \
	"$BINDIR/../../meson-info/intro-buildoptions.json" 2>/dev/null || echo '?')
echo "== halong catalog benchmark, $(date -u +%Y-%m-%dT%H:%M:%SZ) — GENERATED data, not real figures"
echo "machine: nproc=$(nproc) cpu=\"$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')\"" \
	"mem=$(awk '/MemTotal/ {printf "%.1fGB", $2/1048576}' /proc/meminfo) kernel=$(uname -r)"
echo "load: $(cut -d' ' -f1-3 /proc/loadavg) (other engineers share this machine)"
echo "versions: $("$HALONG" --version) at $HALONG (tree $(git -C "$BINDIR" describe --always --dirty 2>/dev/null || echo '?')," \
	"buildtype=$BUILDTYPE, binary of $(stat -c %y "$HALONG" | cut -d. -f1)); sqlite3 shell $(sqlite3 --version | cut -d' ' -f1)" \
	"$([ "$PG" = 1 ] && echo "; $("$PGBIN/postgres" --version)")"
echo "sizes: rows=$ROWS import rounds=$ROUNDS query rounds=$QROUNDS seed=$SEED full=$FULL"
echo "command: bash bench/catalog/run.sh $ARGS"
echo "timing: wall clock per process from bash (\$EPOCHREALTIME), process start included on every side; CPU (user+sys) from /usr/bin/time"

now() { echo "${EPOCHREALTIME/./}"; } # microseconds
stats() {
	python3 - "$1" <<'PY'
import sys
v = sorted(int(x) / 1000 for x in open(sys.argv[1]) if x.strip())
n = len(v)
med = v[n // 2] if n % 2 else (v[n // 2 - 1] + v[n // 2]) / 2
print("n=%d min=%.1f median=%.1f max=%.1f" % (n, v[0], med, v[-1]))
PY
}
field() { stats "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }
ratio() { python3 -c "import sys; a, b = float(sys.argv[1]), float(sys.argv[2]); print('%.2f' % (a / b) if b else 'inf')" "$1" "$2"; }
rps() { python3 -c "import sys; print('%.0f' % (float(sys.argv[1]) / (float(sys.argv[2]) / 1000)))" "$1" "$2"; }
# timed NAME CMD...: wall µs appended to $WORK/NAME, CPU µs (user+sys) to $WORK/NAME.cpu
timed() {
	local name=$1 t0 t1
	shift
	t0=$(now)
	/usr/bin/time -o "$WORK/time.out" -f "%U %S" "$@"
	t1=$(now)
	echo $((t1 - t0)) >>"$WORK/$name"
	awk '{printf "%d\n", ($1 + $2) * 1000000}' "$WORK/time.out" >>"$WORK/$name.cpu"
}
RESULT="rows=$ROWS"

# ---- the data (generated, kept in bench/out/catalog-data/ for the next run) ----
echo
echo "== data (GENERATED)"
CSV="$SET/generated-catalog-$ROWS-s$SEED.csv"
UPS="$SET/generated-catalog-$ROWS-s$SEED-upsert3.csv"
SRT="$SET/generated-catalog-$ROWS-s$SEED-sorted.csv"
if [ ! -s "$CSV" ] || [ ! -s "$CSV.recipe" ]; then
	$PY "$ROOT/bench/catalog/gen.py" csv "$CSV" --rows "$ROWS" --seed "$SEED" --recipe "$CSV.recipe" >/dev/null
fi
if [ ! -s "$UPS" ]; then
	$PY "$ROOT/bench/catalog/gen.py" upsert "$CSV" "$UPS" --change 3 --seed "$SEED" >"$UPS.recipe"
fi
if [ ! -s "$SRT" ]; then
	$PY "$ROOT/bench/catalog/gen.py" sorted "$CSV" "$SRT" >"$SRT.recipe"
fi
cat "$CSV.recipe" "$UPS.recipe" "$SRT.recipe"
echo "file: $CSV ($(du -m "$CSV" | cut -f1) MB, $(($(wc -l <"$CSV") - 1)) rows); sha256 $(sha256sum "$CSV" | cut -c1-16)…"

SCHEMA="$WORK/schema.json"
cat >"$SCHEMA" <<'EOF'
{"fields": [
  {"name": "unit", "type": "string", "unitCode": true, "constraints": {"required": true, "pattern": "[0-9]{5}"}},
  {"name": "period", "type": "date"},
  {"name": "indicator", "type": "string", "constraints": {"required": true}},
  {"name": "value", "type": "number", "constraints": {"minimum": 0}},
  {"name": "estimate", "type": "boolean"}],
 "primaryKey": ["unit", "period", "indicator"]}
EOF
sed -e 's/"type": "boolean"}\]/"type": "boolean"}, {"name": "note", "type": "string"}]/' "$SCHEMA" >"$WORK/schema-wide.json"
# a data dir with the units and the two datasets, copied fresh for each load
T="$WORK/template"
"$HALONG" --home "$T" init >/dev/null
"$HALONG" --home "$T" units load --quiet >/dev/null
"$HALONG" --home "$T" dataset create gen --title "Số liệu SINH RA để đo tốc độ (không phải số liệu thật)" \
	--schema "$SCHEMA" --date 2025-07-01 --sector other >/dev/null
"$HALONG" --home "$T" dataset create wide --title "Số liệu SINH RA, dòng dài (không phải số liệu thật)" \
	--schema "$WORK/schema-wide.json" --date 2025-07-01 --sector other >/dev/null
echo "halong dataset: $(cat "$SCHEMA" | tr -d '\n' | tr -s ' '); --date 2025-07-01 (unit codes checked against that day's units)"
TYPED="CREATE TABLE t(unit TEXT NOT NULL, period TEXT NOT NULL CHECK (period IS date(period)), indicator TEXT NOT NULL,
  value REAL CHECK (value >= 0), estimate INTEGER CHECK (estimate IN (0, 1)), PRIMARY KEY (unit, period, indicator)) STRICT;"
TYPED=$(echo "$TYPED" | tr '\n' ' ')
PLAIN="CREATE TABLE t(unit TEXT, period TEXT, indicator TEXT, value REAL, estimate INTEGER);"
upsert_sql() { # FILE: the shell's upsert of FILE into t; prints the rows changed
	cat <<EOF
CREATE TEMP TABLE s(unit TEXT, period TEXT, indicator TEXT, value REAL, estimate INTEGER);
.import --csv --skip 1 --schema temp $1 s
INSERT INTO t SELECT * FROM s WHERE true ON CONFLICT(unit, period, indicator) DO UPDATE SET
  value = excluded.value, estimate = excluded.estimate
  WHERE t.value IS NOT excluded.value OR t.estimate IS NOT excluded.estimate;
SELECT changes();
EOF
}
upsert_sql "$CSV" >"$WORK/reload.sql"
upsert_sql "$UPS" >"$WORK/upsert.sql"

# ---- 1. import ----
if want import; then
	echo
	echo "== 1. import: halong dataset load vs sqlite3 .import of the same CSV ($ROWS rows), $ROUNDS rounds, alternating"
	echo "halong:        cp -a TEMPLATE HOME; $HALONG --home HOME dataset load gen FILE"
	echo "               then the same FILE again (0 changes), then the upsert file (3 changed)"
	echo "sqlite plain:  sqlite3 NEW.db '.import --csv FILE t'   (table made from the header: TEXT columns, no key)"
	echo "sqlite typed:  sqlite3 NEW.db '$TYPED' '.import --csv --skip 1 FILE t'"
	echo "sqlite again:  sqlite3 TYPED.db < reload.sql / upsert.sql (.import into a temp table; INSERT … ON CONFLICT DO UPDATE … WHERE changed)"
	OK=1
	hblock() {
		rm -rf "$WORK/h"
		cp -a "$T" "$WORK/h"
		timed imp-halong "$HALONG" --home "$WORK/h" dataset load gen "$CSV" >"$WORK/h-load.out" 2>"$WORK/h.err"
		timed again-halong "$HALONG" --home "$WORK/h" dataset load gen "$CSV" >"$WORK/h-again.out" 2>"$WORK/h.err"
		timed ups-halong "$HALONG" --home "$WORK/h" dataset load gen "$UPS" >"$WORK/h-ups.out" 2>"$WORK/h.err"
		rm -rf "$WORK/hs"
		cp -a "$T" "$WORK/hs"
		timed imp-halong-sorted "$HALONG" --home "$WORK/hs" dataset load gen "$SRT" >"$WORK/hs-load.out" 2>"$WORK/h.err"
		grep -q ": $ROWS rows; $ROWS added, 0 changed, 0 removed, 0 unchanged, 0 rejected" "$WORK/hs-load.out" || { OK=0; echo "UNEXPECTED: $(cat "$WORK/hs-load.out")"; }
		grep -q ": $ROWS rows; $ROWS added, 0 changed, 0 removed, 0 unchanged, 0 rejected" "$WORK/h-load.out" || { OK=0; echo "UNEXPECTED: $(cat "$WORK/h-load.out")"; }
		grep -q "0 added, 0 changed, 0 removed, $ROWS unchanged, 0 rejected .*no change" "$WORK/h-again.out" || { OK=0; echo "UNEXPECTED: $(cat "$WORK/h-again.out")"; }
		grep -q "0 added, 3 changed, 0 removed, $((ROWS - 3)) unchanged, 0 rejected .*new version 2" "$WORK/h-ups.out" || { OK=0; echo "UNEXPECTED: $(cat "$WORK/h-ups.out")"; }
	}
	sblock() {
		rm -f "$WORK/p.db" "$WORK/t.db"
		timed imp-plain sqlite3 "$WORK/p.db" ".import --csv $CSV t"
		timed imp-typed sqlite3 "$WORK/t.db" "$TYPED" ".import --csv --skip 1 $CSV t"
		rm -f "$WORK/ts.db"
		timed imp-typed-sorted sqlite3 "$WORK/ts.db" "$TYPED" ".import --csv --skip 1 $SRT t"
		[ "$(sqlite3 "$WORK/ts.db" 'SELECT count(*) FROM t')" = "$ROWS" ] || { OK=0; echo "UNEXPECTED: typed table (sorted file) rows"; }
		timed again-sqlite sqlite3 "$WORK/t.db" <"$WORK/reload.sql" >"$WORK/s-again.out"
		timed ups-sqlite sqlite3 "$WORK/t.db" <"$WORK/upsert.sql" >"$WORK/s-ups.out"
		[ "$(sqlite3 "$WORK/p.db" 'SELECT count(*) FROM t')" = "$ROWS" ] || { OK=0; echo "UNEXPECTED: plain table rows"; }
		[ "$(sqlite3 "$WORK/t.db" 'SELECT count(*) FROM t')" = "$ROWS" ] || { OK=0; echo "UNEXPECTED: typed table rows"; }
		[ "$(cat "$WORK/s-again.out")" = 0 ] && [ "$(cat "$WORK/s-ups.out")" = 3 ] || { OK=0; echo "UNEXPECTED: shell upsert changed $(cat "$WORK/s-again.out") and $(cat "$WORK/s-ups.out") rows"; }
	}
	# warm the page cache
	cat "$CSV" "$UPS" "$SRT" >/dev/null
	for r in $(seq 1 "$ROUNDS"); do
		if [ $((r % 2)) -eq 1 ]; then hblock; sblock; else sblock; hblock; fi
		echo "round $r: halong $(($(tail -1 "$WORK/imp-halong") / 1000)) ms (sorted file $(($(tail -1 "$WORK/imp-halong-sorted") / 1000)); again $(($(tail -1 "$WORK/again-halong") / 1000)), upsert $(($(tail -1 "$WORK/ups-halong") / 1000)));" \
			"sqlite3 plain $(($(tail -1 "$WORK/imp-plain") / 1000)) ms, typed $(($(tail -1 "$WORK/imp-typed") / 1000)) ms (sorted file $(($(tail -1 "$WORK/imp-typed-sorted") / 1000)); again $(($(tail -1 "$WORK/again-sqlite") / 1000)), upsert $(($(tail -1 "$WORK/ups-sqlite") / 1000)))"
	done
	echo "halong says: $(cat "$WORK/h-load.out")"
	echo "             $(cat "$WORK/h-again.out")"
	echo "             $(cat "$WORK/h-ups.out")"
	echo "sizes after: halong store $(du -m "$WORK/h/halong.db" | cut -f1) MB (+ WAL $(du -m "$WORK/h/halong.db-wal" 2>/dev/null | cut -f1 || echo 0) MB), sqlite plain $(du -m "$WORK/p.db" | cut -f1) MB, typed $(du -m "$WORK/t.db" | cut -f1) MB"
	echo "checks (counts, 0 and 3 changes on both sides): $([ $OK = 1 ] && echo ok || echo FAILED)"
	echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
	for s in imp-halong imp-plain imp-typed imp-halong-sorted imp-typed-sorted again-halong again-sqlite ups-halong ups-sqlite; do
		printf '   %-17s wall ms: %s   cpu ms: %s\n' "$s" "$(stats "$WORK/$s")" "$(stats "$WORK/$s.cpu")"
	done
	IH=$(field "$WORK/imp-halong" median); IP=$(field "$WORK/imp-plain" median); IT=$(field "$WORK/imp-typed" median)
	AH=$(field "$WORK/again-halong" median); AS=$(field "$WORK/again-sqlite" median)
	UH=$(field "$WORK/ups-halong" median); US=$(field "$WORK/ups-sqlite" median)
	IHS=$(field "$WORK/imp-halong-sorted" median); ITS=$(field "$WORK/imp-typed-sorted" median)
	RP=$(ratio "$IP" "$IH"); RT=$(ratio "$IT" "$IH"); RS=$(ratio "$ITS" "$IHS")
	echo "rows/s (medians): halong $(rps "$ROWS" "$IH"), sqlite3 .import plain $(rps "$ROWS" "$IP"), typed+key $(rps "$ROWS" "$IT")"
	echo "halong rows/s / sqlite3's: ${RP}x the plain .import, ${RT}x the typed .import with the key (target >= 0.5x:" \
		"plain $(python3 -c "print('met' if $RP >= 0.5 else 'NOT met')"), typed $(python3 -c "print('met' if $RT >= 0.5 else 'NOT met')"))"
	echo "the same rows sorted by key (unit, period, indicator): halong $(rps "$ROWS" "$IHS") rows/s, sqlite3 typed+key $(rps "$ROWS" "$ITS") rows/s: ${RS}x;" \
		"halong sorted/unsorted: $(ratio "$IH" "$IHS")x faster"
	echo "the same file again: halong $AH ms, shell upsert $AS ms (${AH} / ${AS} = $(ratio "$AH" "$AS")x the time);" \
		"3 rows changed: halong $UH ms, shell $US ms ($(ratio "$UH" "$US")x the time)"
	RESULT="$RESULT import_ok=$OK import_halong_ms=$IH import_plain_ms=$IP import_typed_ms=$IT import_halong_rps=$(rps "$ROWS" "$IH")"
	RESULT="$RESULT import_plain_rps=$(rps "$ROWS" "$IP") import_typed_rps=$(rps "$ROWS" "$IT") import_ratio_plain=$RP import_ratio_typed=$RT"
	RESULT="$RESULT import_sorted_halong_rps=$(rps "$ROWS" "$IHS") import_sorted_typed_rps=$(rps "$ROWS" "$ITS") import_sorted_ratio_typed=$RS"
	RESULT="$RESULT again_halong_ms=$AH again_sqlite_ms=$AS upsert3_halong_ms=$UH upsert3_sqlite_ms=$US"
fi

# ---- 2. group-by ----
PGD=
pg_cleanup() {
	if [ -n "$PGD" ] && [ -d "$PGD" ]; then
		$AS_PG "$PGBIN/pg_ctl" -D "$PGD/data" -m fast -w stop >/dev/null 2>&1 || true
		rm -rf "$PGD"
	fi
}
trap pg_cleanup EXIT
if want groupby; then
	echo
	echo "== 2. groupby: halong dataset query --group-by unit --sum value --count vs the same GROUP BY in the sqlite3 shell$([ "$PG" = 1 ] && echo " and in PostgreSQL 15"), $ROWS rows, $QROUNDS rounds"
	G="$WORK/g"
	rm -rf "$G" "$WORK/g.db"
	cp -a "$T" "$G"
	"$HALONG" --home "$G" dataset load gen "$CSV" >/dev/null 2>&1
	sqlite3 "$WORK/g.db" "$PLAIN" ".import --csv --skip 1 $CSV t"
	Q="SELECT unit, count(*), sum(value) FROM t GROUP BY unit ORDER BY unit;"
	HQ=("$HALONG" --home "$G" dataset query gen --group-by unit --sum value --count --timeout 60000)
	echo "halong:  ${HQ[*]}"
	echo "sqlite3: sqlite3 g.db '$Q'   (g.db: '$PLAIN' + .import of the same file)"
	if [ "$PG" = 1 ]; then
		PGD=$(mktemp -d /tmp/halong-catbench-pg.XXXXXX)
		AS_PG=
		if [ "$(id -u)" = 0 ]; then
			chown postgres: "$PGD"
			AS_PG="runuser -u postgres --"
		fi
		PGPORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
		$AS_PG "$PGBIN/initdb" -D "$PGD/data" -U postgres --auth=trust -E UTF8 --locale=C >"$PGD/initdb.log" 2>&1 || { cat "$PGD/initdb.log"; exit 1; }
		$AS_PG "$PGBIN/pg_ctl" -D "$PGD/data" -l "$PGD/server.log" -w \
			-o "-p $PGPORT -k $PGD -c listen_addresses='' -c fsync=off" start >/dev/null
		PSQL=("$PGBIN/psql" -X -q -h "$PGD" -p "$PGPORT" -U postgres -d postgres -v ON_ERROR_STOP=1)
		"${PSQL[@]}" -c "CREATE TABLE t(unit text NOT NULL, period date NOT NULL, indicator text NOT NULL, value double precision, estimate smallint)"
		t0=$(now)
		"${PSQL[@]}" -c "\\copy t FROM '$CSV' WITH (FORMAT csv, HEADER true)"
		t1=$(now)
		"${PSQL[@]}" -c "ANALYZE t"
		echo "postgres: a private cluster ($($AS_PG "$PGBIN/postgres" --version | cut -d' ' -f3), initdb --locale=C as $([ -n "$AS_PG" ] && echo postgres || id -un), port $PGPORT, socket dir $PGD, fsync=off, other settings default: shared_buffers $("${PSQL[@]}" -Atc 'SHOW shared_buffers'), max_parallel_workers_per_gather $("${PSQL[@]}" -Atc 'SHOW max_parallel_workers_per_gather'))"
		echo "postgres: \\copy of the file: $(((t1 - t0) / 1000)) ms ($(rps "$ROWS" $(((t1 - t0) / 1000))) rows/s, once, for information); ANALYZE; table $("${PSQL[@]}" -Atc "SELECT pg_size_pretty(pg_total_relation_size('t'))")"
		echo "psql:    ${PSQL[*]} -Atc '$Q'"
	fi
	# the answers first: unit, count, sum (to 1e-9 relative: the sums of doubles in another order)
	"${HQ[@]}" | tail -n +2 >"$WORK/gb-halong.out"
	sqlite3 -separator '	' "$WORK/g.db" "$Q" >"$WORK/gb-sqlite.out"
	[ "$PG" = 1 ] && "${PSQL[@]}" -F '	' -Atc "$Q" >"$WORK/gb-pg.out"
	EQ=$(python3 - "$WORK"/gb-halong.out "$WORK"/gb-sqlite.out $([ "$PG" = 1 ] && echo "$WORK/gb-pg.out") <<'PY'
import sys
def read(p):
    return [(l.split('\t')[0], int(l.split('\t')[1]), float(l.split('\t')[2])) for l in open(p) if l.strip()]
a = read(sys.argv[1])
ok = len(a) == 54 and sum(r[1] for r in a) > 0
for p in sys.argv[2:]:
    b = read(p)
    ok = ok and len(a) == len(b) and all(x[0] == y[0] and x[1] == y[1] and abs(x[2] - y[2]) <= 1e-9 * max(abs(x[2]), 1) for x, y in zip(a, b))
print(1 if ok else 0)
PY
)
	echo "answers: $(wc -l <"$WORK/gb-halong.out") groups, $(awk -F'\t' '{n += $2; s += $3} END {printf "%d rows, sum %.2f", n, s}' "$WORK/gb-halong.out");" \
		"first: $(head -1 "$WORK/gb-halong.out" | tr '\t' ' ') (halong) / $(head -1 "$WORK/gb-sqlite.out" | tr '\t' ' ') (sqlite3)$([ "$PG" = 1 ] && echo " / $(head -1 "$WORK/gb-pg.out" | tr '\t' ' ') (postgres)");" \
		"equal across the $([ "$PG" = 1 ] && echo three || echo two): $([ "$EQ" = 1 ] && echo yes || echo NO)"
	sides="halong sqlite"
	[ "$PG" = 1 ] && sides="halong sqlite pg"
	run_side() {
		case $1 in
		halong) timed "gb-halong" "${HQ[@]}" >/dev/null ;;
		sqlite) timed "gb-sqlite" sqlite3 "$WORK/g.db" "$Q" >/dev/null ;;
		pg) timed "gb-pg" "${PSQL[@]}" -Atc "$Q" >/dev/null ;;
		esac
	}
	for s in $sides; do run_side "$s"; done # warm up
	for r in $(seq 1 "$QROUNDS"); do
		set -- $sides
		case $((r % 3)) in 1) order="$*" ;; 2) order="$(echo "$*" | awk '{for (i = NF; i; i--) printf "%s ", $i}')" ;; 0) order="${*:2} $1" ;; esac
		for s in $order; do run_side "$s"; done
		timed start-halong "$HALONG" --version >/dev/null
		timed start-sqlite sqlite3 :memory: 'SELECT 1;' >/dev/null
		[ "$PG" = 1 ] && timed start-pg "${PSQL[@]}" -Atc 'SELECT 1' >/dev/null
	done
	echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
	for s in $sides; do
		printf '   %-7s wall ms: %s   cpu ms (this process): %s   start-up ms: %s\n' "$s" "$(stats "$WORK/gb-$s")" "$(stats "$WORK/gb-$s.cpu")" "$(stats "$WORK/start-$s")"
	done
	GH=$(field "$WORK/gb-halong" median); GS=$(field "$WORK/gb-sqlite" median)
	GR=$(ratio "$GH" "$GS")
	echo "median: halong $GH ms, sqlite3 $GS ms: halong/sqlite3 = ${GR}x the time (target <= 1.5x at 1M rows: $(python3 -c "print('met' if $GR <= 1.5 else 'NOT met')")$([ "$ROWS" -ge 1000000 ] || echo "; this run: $ROWS rows"));" \
		"best: $(field "$WORK/gb-halong" min) vs $(field "$WORK/gb-sqlite" min) ms ($(ratio "$(field "$WORK/gb-halong" min)" "$(field "$WORK/gb-sqlite" min)")x)"
	SH=$(field "$WORK/start-halong" median); SS=$(field "$WORK/start-sqlite" median)
	echo "minus start-up (medians): halong $(python3 -c "print('%.1f' % ($GH - $SH))") ms, sqlite3 $(python3 -c "print('%.1f' % ($GS - $SS))") ms"
	RESULT="$RESULT groupby_equal=$EQ groupby_halong_ms=$GH groupby_sqlite_ms=$GS groupby_ratio_sqlite=$GR"
	if [ "$PG" = 1 ]; then
		GP=$(field "$WORK/gb-pg" median)
		echo "postgres: $GP ms (median, psql's connection included; psql start-up + SELECT 1: $(field "$WORK/start-pg" median) ms): halong/postgres = $(ratio "$GH" "$GP")x the time"
		RESULT="$RESULT groupby_pg_ms=$GP groupby_ratio_pg=$(ratio "$GH" "$GP")"
		pg_cleanup
		echo "postgres cluster stopped and removed ($PGD: $([ -d "$PGD" ] && echo STILL THERE || echo gone))"
		PGD=
	fi
	rm -rf "$G" "$WORK/g.db"
fi

# ---- 3. memory (--full) ----
if want memory && [ "$FULL" = 1 ]; then
	echo
	echo "== 3. memory: peak RSS of halong dataset load of a ~100 MB and a ~1 GB CSV (GENERATED, wide rows) vs sqlite3 .import"
	FREE=$(df -Pm "$OUT" | awk 'NR == 2 {print $4}')
	echo "free space on $(df -P "$OUT" | awk 'NR == 2 {print $6}') before: $FREE MB (needed: about 6,000 MB: the 1.1 GB of CSVs, the halong store, the sqlite3 file)"
	if [ "$FREE" -lt 6000 ]; then
		echo "not enough free space: memory test skipped"
		RESULT="$RESULT memory=skipped"
	else
		# K keys = 1,179,360: all of them at ~850 bytes a row is ~1 GB; a tenth of them is ~100 MB
		for n in 117936 1179360; do
			$PY "$ROOT/bench/catalog/gen.py" csv "$WORK/generated-wide-$n.csv" --rows "$n" --seed "$SEED" --row-bytes 850 --recipe "$WORK/generated-wide-$n.recipe" >/dev/null
		done
		cat "$WORK/generated-wide-1179360.recipe"
		rss() { sed -n 's/.*Maximum resident set size (kbytes): //p' "$1"; }
		el() { sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$1"; }
		for n in 117936 1179360; do
			F="$WORK/generated-wide-$n.csv"
			MB=$(du -m "$F" | cut -f1)
			cat "$F" >/dev/null
			rm -rf "$WORK/m"
			cp -a "$T" "$WORK/m"
			/usr/bin/time -v -o "$WORK/mh-$n.time" "$HALONG" --home "$WORK/m" dataset load wide "$F" >"$WORK/mh-$n.out" 2>"$WORK/mh-$n.err"
			rm -f "$WORK/m.db"
			/usr/bin/time -v -o "$WORK/ms-$n.time" sqlite3 "$WORK/m.db" ".import --csv $F t"
			echo "$MB MB ($n rows): halong peak RSS $(($(rss "$WORK/mh-$n.time") / 1024)) MB in $(el "$WORK/mh-$n.time")" \
				"($(cut -d';' -f1 "$WORK/mh-$n.out" | sed 's/.*: //')$(grep -o '; [0-9]* added' "$WORK/mh-$n.out"));" \
				"sqlite3 .import peak RSS $(($(rss "$WORK/ms-$n.time") / 1024)) MB in $(el "$WORK/ms-$n.time") ($(sqlite3 "$WORK/m.db" 'SELECT count(*) FROM t') rows)"
			echo "$n $MB $(rss "$WORK/mh-$n.time") $(rss "$WORK/ms-$n.time")" >>"$WORK/mem.res"
			rm -rf "$WORK/m" "$WORK/m.db"
		done
		read -r _ SMB SH1 SS1 < <(sed -n 1p "$WORK/mem.res")
		read -r _ BMB SH2 SS2 < <(sed -n 2p "$WORK/mem.res")
		echo "halong peak RSS ${SMB} MB file -> ${BMB} MB file: $((SH1 / 1024)) -> $((SH2 / 1024)) MB ($(ratio "$SH2" "$SH1")x for $(ratio "$BMB" "$SMB")x the file);" \
			"sqlite3: $((SS1 / 1024)) -> $((SS2 / 1024)) MB; halong/sqlite3 at ${BMB} MB: $(ratio "$SH2" "$SS2")x"
		RESULT="$RESULT mem_small_mb=$SMB mem_big_mb=$BMB rss_halong_small_mb=$((SH1 / 1024)) rss_halong_big_mb=$((SH2 / 1024)) rss_sqlite_small_mb=$((SS1 / 1024)) rss_sqlite_big_mb=$((SS2 / 1024))"
		rm -f "$WORK"/generated-wide-*.csv
		echo "the generated files deleted; free space after: $(df -Pm "$OUT" | awk 'NR == 2 {print $4}') MB"
	fi
elif want memory; then
	echo
	echo "== 3. memory: only with --full (a ~1 GB file)"
fi

# ---- 4. api ----
if want api; then
	echo
	echo "== 4. api: wrk -t2 -c64 on GET /api/v1/datasets/gen/rows (a viewer's token) vs nginx serving the same bodies (static files)"
	if ! command -v wrk >/dev/null || ! [ -x /usr/sbin/nginx ]; then
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk nginx >/dev/null
	fi
	A="$WORK/a"
	rm -rf "$A"
	cp -a "$T" "$A"
	"$HALONG" --home "$A" dataset load gen "$CSV" >/dev/null 2>&1
	echo "bench-viewer-password" | "$HALONG" --home "$A" user add bench-viewer --role viewer --unit 22 >/dev/null
	TOKEN=$("$HALONG" --home "$A" user token bench-viewer --label bench-catalog | grep -Eo '[A-Za-z0-9_-]{20,}' | tail -1)
	port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
	HPORT=$(port)
	UPORT=$(port)
	NPORT=$(port)
	# two servers on the same store: halong as it runs (a JSON answer kept by each worker until
	# the store changes), and "uncached" (HL_ROWS_NO_CACHE=1), which computes every answer
	"$HALONG" --home "$A" serve --listen "127.0.0.1:$HPORT" 2>"$WORK/serve.log" &
	HPID=$!
	HL_ROWS_NO_CACHE=1 "$HALONG" --home "$A" serve --listen "127.0.0.1:$UPORT" 2>"$WORK/serve-uncached.log" &
	UPID=$!
	api_cleanup() {
		kill -TERM "$HPID" "$UPID" 2>/dev/null || true
		[ -f "$WORK/nginx.pid" ] && kill -QUIT "$(cat "$WORK/nginx.pid")" 2>/dev/null || true
		wait "$HPID" "$UPID" 2>/dev/null || true
		pg_cleanup
	}
	trap api_cleanup EXIT
	for p in $HPORT $UPORT; do
		for _ in $(seq 1 300); do
			curl -fsS "http://127.0.0.1:$p/api/v1/health" >/dev/null 2>&1 && break
			sleep 0.1
		done
	done
	# three questions a client asks: one unit's rows (an index), a page deep in the table in
	# another order, and one unit's rows grouped by indicator with count and sum
	QS=("where=unit%20%3D%2006652&limit=100" "offset=5000&limit=100&sort=-value"
		"where=unit%20%3D%2006652&group_by=indicator&count=1&sum=value")
	WWW="$WORK/www"
	mkdir -p "$WWW"
	cat >"$WORK/nginx.conf" <<NGINX
worker_processes $(nproc);
pid $WORK/nginx.pid;
error_log $WORK/nginx-error.log;
events { worker_connections 4096; }
http {
    access_log off;
    sendfile on;
    keepalive_requests 100000;
    server {
        listen 127.0.0.1:$NPORT;
        root $WWW;
        default_type application/json;
        location / { try_files /q\$arg_n.json =404; }
    }
}
NGINX
	/usr/sbin/nginx -c "$WORK/nginx.conf" -p "$WORK" -e "$WORK/nginx-error.log"
	for _ in $(seq 1 100); do
		curl -sS "http://127.0.0.1:$NPORT/" >/dev/null 2>&1 && break
		sleep 0.1
	done
	parse() { python3 "$ROOT/bench/wrk_summary.py" "$1"; }
	: >"$WORK/wrk.res"
	i=0
	for q in "${QS[@]}"; do
		i=$((i + 1))
		curl -fsS -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$HPORT/api/v1/datasets/gen/rows?$q" -o "$WWW/q$i.json"
		cmp <(curl -fsS "http://127.0.0.1:$NPORT/q?n=$i") "$WWW/q$i.json"
		cmp <(curl -fsS -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$HPORT/api/v1/datasets/gen/rows?$q") "$WWW/q$i.json"
		cmp <(curl -fsS -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$UPORT/api/v1/datasets/gen/rows?$q") "$WWW/q$i.json"
		echo "q$i: GET /api/v1/datasets/gen/rows?$q -> $(stat -c %s "$WWW/q$i.json") bytes," \
			"$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["rows"]))' "$WWW/q$i.json") rows"
		for r in $(seq 1 "$WRK_ROUNDS"); do
			if [ $((r % 2)) -eq 1 ]; then sides="halong uncached nginx"; else sides="nginx uncached halong"; fi
			for side in $sides; do
				case $side in
				halong) URL="http://127.0.0.1:$HPORT/api/v1/datasets/gen/rows?$q" ;;
				uncached) URL="http://127.0.0.1:$UPORT/api/v1/datasets/gen/rows?$q" ;;
				*) URL="http://127.0.0.1:$NPORT/q?n=$i" ;;
				esac
				wrk -t2 -c64 -d"${DUR}s" --latency -H "Authorization: Bearer $TOKEN" "$URL" >"$WORK/wrk.out" 2>&1 || true
				read -r rps p50 p99 errs < <(parse "$WORK/wrk.out")
				echo "  round $r $side: $rps req/s, p50 $p50 ms, p99 $p99 ms, $errs errors"
				echo "q$i $side $rps $p50 $p99 $errs" >>"$WORK/wrk.res"
				kill -0 "$HPID" 2>/dev/null || { echo "halong serve died"; tail -20 "$WORK/serve.log"; exit 1; }
				kill -0 "$UPID" 2>/dev/null || { echo "halong serve (uncached) died"; tail -20 "$WORK/serve-uncached.log"; exit 1; }
				sleep 1
			done
		done
	done
	API=$(python3 - "$WORK/wrk.res" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
out = []
for q in sorted({r[0] for r in rows}):
    m = {}
    for side in ('halong', 'uncached', 'nginx'):
        s = [r for r in rows if r[0] == q and r[1] == side]
        m[side] = (statistics.median(float(r[2]) for r in s), statistics.median(float(r[4]) for r in s),
                   sum(int(r[5]) for r in s))
    h, u, n = m['halong'], m['uncached'], m['nginx']
    print(f'# {q} c=64: halong {h[0]:.0f} req/s, p99 {h[1]:.1f} ms, {h[2]} errors; uncached {u[0]:.1f} req/s,'
          f' p99 {u[1]:.1f} ms, {u[2]} errors; nginx {n[0]:.0f} req/s, p99 {n[1]:.1f} ms: halong {h[0] / n[0]:.3f}x'
          f' the requests/s of nginx, uncached {u[0] / n[0]:.4f}x (medians of rounds)', file=sys.stderr)
    out.append(f'api_{q}_halong_rps={h[0]:.0f} api_{q}_halong_p99_ms={h[1]:.1f} api_{q}_halong_errors={h[2]}'
               f' api_{q}_uncached_rps={u[0]:.1f} api_{q}_uncached_p99_ms={u[1]:.1f} api_{q}_uncached_errors={u[2]}'
               f' api_{q}_nginx_rps={n[0]:.0f} api_{q}_ratio={h[0] / n[0]:.3f} api_{q}_uncached_ratio={u[0] / n[0]:.4f}')
print(' '.join(out))
PY
)
	RESULT="$RESULT $API"
	api_cleanup
	trap pg_cleanup EXIT
fi

rm -rf "$WORK/h" "$WORK/hs" "$WORK/p.db" "$WORK/t.db" "$WORK/ts.db" "$WORK/template"
echo
echo "(log: $LOG)"
echo "RESULT catalog $RESULT"
