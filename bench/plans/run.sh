#!/usr/bin/env bash
# The plans benchmark (issue 13), each part against a baseline in the same run, alternating. See
# bench/plans/README.md.
#
#   bash bench/plans/run.sh [--halong PATH] [--full] [--tasks N] [--rounds R] [--duration S]
#                           [--xlsx-tasks N] [--import-rounds R] [--only eval|api|import] [--seed S]
#
# 1. eval: `halong plan eval --period 2025 --at 2026-01-15 --json` (every plan, every agency) against
#    the same question as SQL (eval.sql.in) in the sqlite3 shell on the same store; the answers must
#    be equal (checked at three clocks), then R rounds of each, alternating.
# 2. api: wrk -c64 on GET /api/v1/plans/KH-TINH-2025/eval?period=2025-Q2 (a viewer's token) against
#    nginx serving the same body as a static file, and against a second server that computes every
#    answer again (HL_PLANS_NO_CACHE=1).
# 3. import: `halong plan import` of an XLSX appendix (Vietnamese headers) against the same rows as
#    CSV, openpyxl's own read of the XLSX, and the sqlite3 shell's .import of the CSV.
# Quick default: 5,000 tasks (about 61,000 reports), 2,000-task XLSX, 10 eval rounds, 2 wrk rounds of
# 10 s. --full: 50,000 tasks (about 613,000 reports), 10,000-task XLSX, 20 eval rounds, 3 wrk rounds
# of 20 s. Output to the terminal and bench/out/plans-<date>.log; the store in
# bench/out/plans-<tasks>-s<seed>/ (gitignored, kept for the next run).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
ARGS="$*"
HALONG="$ROOT/build/src/cli/halong"
TASKS=5000
ROUNDS=10
DUR=10
WRK_ROUNDS=2
XTASKS=2000
IROUNDS=3
ONLY=
SEED=20250701
while [ $# -gt 0 ]; do
	case "$1" in
	--halong) HALONG=$2; shift ;;
	--full) TASKS=50000; ROUNDS=20; DUR=20; WRK_ROUNDS=3; XTASKS=10000 ;;
	--tasks) TASKS=$2; shift ;;
	--rounds) ROUNDS=$2; shift ;;
	--duration) DUR=$2; shift ;;
	--wrk-rounds) WRK_ROUNDS=$2; shift ;;
	--xlsx-tasks) XTASKS=$2; shift ;;
	--import-rounds) IROUNDS=$2; shift ;;
	--only) ONLY=$2; shift ;;
	--seed) SEED=$2; shift ;;
	-h | --help) sed -n '2,19p' "$0"; exit 0 ;;
	*) echo "run.sh: unknown option $1" >&2; exit 2 ;;
	esac
	shift
done
case "$HALONG" in /*) ;; *) HALONG="$PWD/$HALONG" ;; esac
[ -x "$HALONG" ] || { echo "run.sh: no halong binary at $HALONG (ninja -C build)" >&2; exit 1; }
command -v sqlite3 >/dev/null || { echo "run.sh: the sqlite3 shell is needed (the baseline)" >&2; exit 1; }
PY=/usr/bin/python3 # Debian's, with python3-openpyxl
$PY -c 'import openpyxl' 2>/dev/null || { echo "run.sh: /usr/bin/python3 with openpyxl is needed (apt-get install python3-openpyxl)" >&2; exit 1; }
want() { [ -z "$ONLY" ] || [ "$ONLY" = "$1" ]; }
if want api && { ! command -v wrk >/dev/null || ! [ -x /usr/sbin/nginx ]; }; then
	echo "run.sh: installing wrk and nginx (Debian packages)"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk nginx >/dev/null
fi
NGINX=/usr/sbin/nginx

# Shared 2-core machine: stay below the compilers of the others.
renice -n 10 $$ >/dev/null 2>&1 || true
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

OUT="$ROOT/bench/out"
SET="$OUT/plans-$TASKS-s$SEED"
WORK="$OUT/plans-work"
mkdir -p "$OUT" "$SET"
rm -rf "$WORK"
mkdir -p "$WORK"
LOG="$OUT/plans-$(date +%Y%m%d-%H%M%S)-$TASKS.log"
exec > >(tee "$LOG") 2>&1

BINDIR=$(dirname "$HALONG")
BUILDTYPE=$(python3 -c 'import json,sys; print([o["value"] for o in json.load(open(sys.argv[1])) if o["name"] == "buildtype"][0])' \
	"$BINDIR/../../meson-info/intro-buildoptions.json" 2>/dev/null || echo '?')
echo "== halong plans benchmark, $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "machine: nproc=$(nproc) cpu=\"$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')\"" \
	"mem=$(awk '/MemTotal/ {printf "%.1fGB", $2/1048576}' /proc/meminfo) kernel=$(uname -r)"
echo "load: $(cut -d' ' -f1-3 /proc/loadavg) (other engineers share this machine)"
echo "versions: $("$HALONG" --version) at $HALONG (tree $(git -C "$BINDIR" describe --always --dirty 2>/dev/null || echo '?')," \
	"buildtype=$BUILDTYPE, binary of $(stat -c %y "$HALONG" | cut -d. -f1)); sqlite3 shell $(sqlite3 --version | cut -d' ' -f1);" \
	"openpyxl $($PY -c 'import openpyxl; print(openpyxl.__version__)')$(want api && echo ", $(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2), $($NGINX -v 2>&1 | cut -d' ' -f3)")"
echo "sizes: tasks=$TASKS eval rounds=$ROUNDS wrk: c=64 ${WRK_ROUNDS}x${DUR}s; xlsx tasks=$XTASKS import rounds=$IROUNDS seed=$SEED"
echo "command: bash bench/plans/run.sh $ARGS"
echo "timing: wall clock per process from bash (\$EPOCHREALTIME), process start included on both sides; CPU (user+sys) from /usr/bin/time"

now() { echo "${EPOCHREALTIME/./}"; } # microseconds
# stats FILE: n, min, median, p90 of the values in FILE (microseconds), in ms.
stats() {
	python3 - "$1" <<'PY'
import sys
v = sorted(int(x) / 1000 for x in open(sys.argv[1]) if x.strip())
n = len(v)
med = v[n // 2] if n % 2 else (v[n // 2 - 1] + v[n // 2]) / 2
print("n=%d min=%.1f median=%.1f p90=%.1f" % (n, v[0], med, v[min(n - 1, int(0.9 * n))]))
PY
}
field() { stats "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }
ratio() { python3 -c "import sys; a, b = float(sys.argv[1]), float(sys.argv[2]); print('%.2f' % (a / b) if b else 'inf')" "$1" "$2"; }
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
RESULT="tasks=$TASKS"

# ---- the data: written straight into a store made by halong (see gen.py), once per size ----
H="$SET/home"
echo
echo "== data"
if [ ! -f "$SET/built" ]; then
	rm -rf "$H"
	"$HALONG" --home "$H" init >/dev/null
	"$HALONG" --home "$H" agency load >/dev/null
	"$HALONG" --home "$H" units load --quiet
	t0=$(now)
	python3 "$ROOT/bench/plans/gen.py" store "$H/halong.db" --tasks "$TASKS" --seed "$SEED" --recipe "$SET/recipe.txt" >/dev/null
	t1=$(now)
	echo "made in $(((t1 - t0) / 1000000)) s (python3 sqlite3, one transaction, then ANALYZE)"
	touch "$SET/built"
fi
cat "$SET/recipe.txt"
DB="$H/halong.db"
NREP=$(sqlite3 "$DB" "SELECT count(*) FROM task_report")
echo "store: $H ($(du -m "$DB" | cut -f1) MB): $(sqlite3 "$DB" "SELECT count(*) FROM plan") plans," \
	"$(sqlite3 "$DB" "SELECT count(*) FROM task t WHERE EXISTS (SELECT 1 FROM task_agency a WHERE a.task_id = t.id)") tasks with agencies," \
	"$NREP reports, $(sqlite3 "$DB" "SELECT count(*) FROM report_verification") verdicts"
RESULT="$RESULT reports=$NREP"

# halong's answer and the SQL's as the same lines: code total done_on_time done_late open_on_time
# overdue waiting not_started cancelled ("*": all), sorted by code
canon() {
	python3 -c '
import json, sys
e = json.load(sys.stdin)
k = ["total", "done_on_time", "done_late", "open_on_time", "overdue", "waiting", "not_started", "cancelled"]
rows = [[a["code"]] + [a[x] for x in k] for a in e["agencies"]]
rows.append(["*"] + [e["total"][x] for x in k])
rows.sort(key=lambda r: r[0])
print("\n".join(" ".join(map(str, r)) for r in rows))'
}
sqlfor() { # LABEL FROM TO AT > eval.sql
	sed -e "s/@LABEL@/$1/g; s/@FROM@/$2/g; s/@TO@/$3/g; s/@AT@/$4/g" "$ROOT/bench/plans/eval.sql.in"
}

# ---- 1. eval ----
if want eval; then
	echo
	echo "== 1. eval: halong plan eval (every plan, per lead agency) vs the same question in SQL (sqlite3 shell), same store"
	EQUAL=1
	for q in "2025 2025-01-01 2025-12-31 2026-01-15" "2025 2025-01-01 2025-12-31 2025-07-15" "2025-Q2 2025-04-01 2025-06-30 2025-07-15"; do
		set -- $q
		sqlfor "$@" >"$WORK/eval-$1-$4.sql"
		"$HALONG" --home "$H" plan eval --period "$1" --at "$4" --json | canon >"$WORK/eval-$1-$4.halong"
		sqlite3 "$DB" <"$WORK/eval-$1-$4.sql" >"$WORK/eval-$1-$4.sqlite"
		if cmp -s "$WORK/eval-$1-$4.halong" "$WORK/eval-$1-$4.sqlite"; then
			echo "answers equal: --period $1 --at $4: $(($(wc -l <"$WORK/eval-$1-$4.halong") - 1)) agencies; all: $(grep '^\* ' "$WORK/eval-$1-$4.halong" |
				awk '{printf "%d due, %d done on time, %d late, %d open on time, %d overdue, %d waiting; %d cancelled", $2, $3, $4, $5, $6, $7, $9}')"
		else
			EQUAL=0
			echo "ANSWERS DIFFER: --period $1 --at $4 (halong < > sqlite3):"
			diff "$WORK/eval-$1-$4.halong" "$WORK/eval-$1-$4.sqlite" | head -20 || true
		fi
	done
	RESULT="$RESULT answers_equal=$EQUAL"
	SQL="$WORK/eval-2025-2026-01-15.sql"
	cp "$SQL" "$OUT/plans-eval.sql"
	echo "halong: $HALONG --home HOME plan eval --period 2025 --at 2026-01-15 --json > /dev/null"
	echo "sqlite3: sqlite3 HOME/halong.db < eval.sql > /dev/null   (the text: bench/out/plans-eval.sql, from bench/plans/eval.sql.in)"
	echo "start-up alone: halong --version; sqlite3 :memory: 'SELECT 1;'"
	# warm the page cache, then alternate (the order flips each round)
	"$HALONG" --home "$H" plan eval --period 2025 --at 2026-01-15 --json >/dev/null
	sqlite3 "$DB" <"$SQL" >/dev/null
	for r in $(seq 1 "$ROUNDS"); do
		if [ $((r % 2)) -eq 1 ]; then
			timed eval-halong "$HALONG" --home "$H" plan eval --period 2025 --at 2026-01-15 --json >/dev/null
			timed eval-sqlite sqlite3 "$DB" <"$SQL" >/dev/null
		else
			timed eval-sqlite sqlite3 "$DB" <"$SQL" >/dev/null
			timed eval-halong "$HALONG" --home "$H" plan eval --period 2025 --at 2026-01-15 --json >/dev/null
		fi
		timed start-halong "$HALONG" --version >/dev/null
		timed start-sqlite sqlite3 :memory: 'SELECT 1;' >/dev/null
	done
	echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
	for s in halong sqlite; do
		echo "   $s wall ms: $(stats "$WORK/eval-$s")   cpu ms: $(stats "$WORK/eval-$s.cpu")   start-up ms: $(stats "$WORK/start-$s")"
	done
	EH=$(field "$WORK/eval-halong" median); ES=$(field "$WORK/eval-sqlite" median)
	CH=$(field "$WORK/eval-halong.cpu" median); CS=$(field "$WORK/eval-sqlite.cpu" median)
	ER=$(ratio "$EH" "$ES"); CR=$(ratio "$CH" "$CS")
	echo "median: halong $EH ms, sqlite3 $ES ms: halong/sqlite3 = ${ER}x (wall), ${CR}x (cpu); best of $ROUNDS:" \
		"$(field "$WORK/eval-halong" min) vs $(field "$WORK/eval-sqlite" min) ms ($(ratio "$(field "$WORK/eval-halong" min)" "$(field "$WORK/eval-sqlite" min)")x)"
	SH=$(field "$WORK/start-halong" median); SS=$(field "$WORK/start-sqlite" median)
	echo "minus start-up (medians): halong $(python3 -c "print('%.1f' % ($EH - $SH))") ms, sqlite3 $(python3 -c "print('%.1f' % ($ES - $SS))") ms:" \
		"$(python3 -c "print('%.2f' % (($EH - $SH) / ($ES - $SS)) if $ES > $SS else 'inf')")x"
	echo "target: <= 1.5x the SQL's time at 50,000 tasks (--full): $(python3 -c "print('met' if $ER <= 1.5 else 'NOT met')")$([ "$TASKS" -ge 50000 ] || echo " (this run: $TASKS tasks)")"
	RESULT="$RESULT eval_halong_ms=$EH eval_sqlite_ms=$ES eval_ratio=$ER eval_halong_cpu_ms=$CH eval_sqlite_cpu_ms=$CS eval_cpu_ratio=$CR"
fi

# ---- 2. api ----
if want api; then
	echo
	echo "== 2. api: wrk -t2 -c64 on the dashboard's evaluation vs nginx serving the same body (static file)"
	PLAN=KH-TINH-2025
	PATH_Q="/api/v1/plans/$PLAN/eval?period=2025-Q2"
	PW="bench-viewer-password"
	if ! "$HALONG" --home "$H" user list 2>/dev/null | grep -q '^bench-viewer\b'; then
		echo "$PW" | "$HALONG" --home "$H" user add bench-viewer --role viewer --unit 22 >/dev/null
	fi
	TOKEN=$("$HALONG" --home "$H" user token bench-viewer --label bench-plans | grep -Eo '[A-Za-z0-9_-]{20,}' | tail -1)
	port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
	HPORT=$(port)
	UPORT=$(port)
	NPORT=$(port)
	# the clock of the whole run: 15 July 2025 (the second quarter just over). Two servers on the
	# same store: halong as it runs (answers kept until the store changes), and "uncached" with
	# HL_PLANS_NO_CACHE=1, which computes every answer again (what the server did before).
	HALONG_TODAY=2025-07-15 "$HALONG" --home "$H" serve --listen "127.0.0.1:$HPORT" 2>"$WORK/serve.log" &
	HPID=$!
	HALONG_TODAY=2025-07-15 HL_PLANS_NO_CACHE=1 "$HALONG" --home "$H" serve --listen "127.0.0.1:$UPORT" 2>"$WORK/serve-uncached.log" &
	UPID=$!
	cleanup() {
		kill -TERM "$HPID" "$UPID" 2>/dev/null || true
		[ -f "$WORK/nginx.pid" ] && kill -QUIT "$(cat "$WORK/nginx.pid")" 2>/dev/null || true
		wait "$HPID" "$UPID" 2>/dev/null || true
	}
	trap cleanup EXIT
	for p in $HPORT $UPORT; do
		for _ in $(seq 1 300); do
			curl -fsS "http://127.0.0.1:$p/api/v1/health" >/dev/null 2>&1 && break
			sleep 0.1
		done
	done
	WWW="$WORK/www"
	mkdir -p "$WWW/api/v1/plans/$PLAN"
	curl -fsS -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$HPORT$PATH_Q" -o "$WWW/api/v1/plans/$PLAN/eval"
	echo "target: GET $PATH_Q (Authorization: Bearer, a viewer; HALONG_TODAY=2025-07-15); body $(stat -c %s "$WWW/api/v1/plans/$PLAN/eval") bytes:" \
		"$(python3 -c 'import json,sys; e=json.load(open(sys.argv[1])); t=e["total"]; print("%d agencies, %d tasks due, %d overdue listed" % (len(e["agencies"]), t["total"], len(e["overdue"])))' "$WWW/api/v1/plans/$PLAN/eval")"
	echo "plan $PLAN: $(sqlite3 "$DB" "SELECT count(*) FROM task WHERE plan_id = '$PLAN'") rows, $(sqlite3 "$DB" "SELECT count(*) FROM task_report r JOIN task t ON t.id = r.task_id WHERE t.plan_id = '$PLAN'") reports"
	cat >"$WORK/nginx.conf" <<EOF
worker_processes $(nproc);
pid $WORK/nginx.pid;
error_log $WORK/nginx-error.log;
events { worker_connections 4096; }
http {
    access_log $WORK/nginx-access.log;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 100000;
    server {
        listen 127.0.0.1:$NPORT;
        root $WWW;
        default_type application/json;
        location / { try_files \$uri =404; }
    }
}
EOF
	$NGINX -c "$WORK/nginx.conf" -p "$WORK" -e "$WORK/nginx-error.log"
	for _ in $(seq 1 100); do
		curl -fsS "http://127.0.0.1:$NPORT$PATH_Q" >/dev/null 2>&1 && break
		sleep 0.1
	done
	cmp <(curl -fsS "http://127.0.0.1:$NPORT$PATH_Q") "$WWW/api/v1/plans/$PLAN/eval"
	# the kept answer (asked a second time) and the uncached server's are the same body
	cmp <(curl -fsS -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$HPORT$PATH_Q") "$WWW/api/v1/plans/$PLAN/eval"
	cmp <(curl -fsS -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$UPORT$PATH_Q") "$WWW/api/v1/plans/$PLAN/eval"
	parse() { python3 "$ROOT/bench/wrk_summary.py" "$1"; }
	: >"$WORK/wrk.res"
	for r in $(seq 1 "$WRK_ROUNDS"); do
		if [ $((r % 2)) -eq 1 ]; then sides="halong uncached nginx"; else sides="nginx uncached halong"; fi
		for side in $sides; do
			case $side in halong) PORT=$HPORT ;; uncached) PORT=$UPORT ;; *) PORT=$NPORT ;; esac
			wrk -t2 -c64 -d"${DUR}s" --latency -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$PORT$PATH_Q" >"$WORK/wrk.out" 2>&1 || true
			read -r rps p50 p99 errs < <(parse "$WORK/wrk.out")
			echo "round $r $side: $rps req/s, p50 $p50 ms, p99 $p99 ms, $errs errors ($(grep -E 'Socket errors|Non-2xx' "$WORK/wrk.out" | tr -s ' ' | tr '\n' ';'))"
			echo "$side $rps $p50 $p99 $errs" >>"$WORK/wrk.res"
			kill -0 "$HPID" 2>/dev/null || { echo "halong serve died"; tail -20 "$WORK/serve.log"; exit 1; }
			kill -0 "$UPID" 2>/dev/null || { echo "halong serve (uncached) died"; tail -20 "$WORK/serve-uncached.log"; exit 1; }
			sleep 2
		done
	done
	API=$(python3 - "$WORK/wrk.res" <<'EOF'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
out = []
for side in ('halong', 'uncached', 'nginx'):
    s = [r for r in rows if r[0] == side]
    rps = statistics.median(float(r[1]) for r in s)
    p50 = statistics.median(float(r[2]) for r in s)
    p99 = statistics.median(float(r[3]) for r in s)
    errs = sum(int(r[4]) for r in s)
    out.append((side, rps, p50, p99, errs))
for side, rps, p50, p99, errs in out:
    print(f'# c=64 {side}: {rps:.1f} req/s, p50 {p50:.1f} ms, p99 {p99:.1f} ms, {errs} errors (medians of rounds)', file=sys.stderr)
h, u, n = out
print(f'api_c64_halong_rps={h[1]:.1f} api_c64_halong_p50_ms={h[2]:.1f} api_c64_halong_p99_ms={h[3]:.1f} api_c64_halong_errors={h[4]}'
      f' api_c64_uncached_rps={u[1]:.1f} api_c64_uncached_p99_ms={u[3]:.1f} api_c64_uncached_errors={u[4]}'
      f' api_c64_nginx_rps={n[1]:.0f} api_c64_nginx_p99_ms={n[3]:.1f} api_c64_nginx_errors={n[4]} api_c64_ratio={h[1] / n[1]:.4f}'
      f' api_c64_cached_vs_uncached={h[1] / u[1]:.1f}')
EOF
)
	echo "halong serve: $(grep -c ' 200 ' "$WORK/serve.log" 2>/dev/null || echo 0) access lines with 200 in its log;" \
		"its other lines: $(grep -v ' 200 ' "$WORK/serve.log" | head -3 | tr '\n' ' ')"
	RESULT="$RESULT $API"
	cleanup
	trap - EXIT
fi

# ---- 3. import ----
if want import; then
	echo
	echo "== 3. import: halong plan import of a $XTASKS-task XLSX vs the same rows as CSV, openpyxl's read, sqlite3 .import"
	X="$OUT/plans-xlsx-$XTASKS-s$SEED"
	if [ ! -s "$X/tasks.xlsx" ]; then
		$PY "$ROOT/bench/plans/gen.py" xlsx "$X" --tasks "$XTASKS" --seed "$SEED" >/dev/null
	fi
	cat "$X/recipe.txt"
	echo "files: tasks.xlsx $(du -k "$X/tasks.xlsx" | cut -f1) KB, tasks.csv $(du -k "$X/tasks.csv" | cut -f1) KB, $(($(wc -l <"$X/tasks.csv") - 1)) rows"
	# a data dir with the registers and the plan, copied fresh for each import
	T="$WORK/import-template"
	"$HALONG" --home "$T" init >/dev/null
	"$HALONG" --home "$T" agency load >/dev/null
	"$HALONG" --home "$T" units load --quiet
	# the communes are named as the province writes them: "Xã Hải Ninh" is Quảng Ninh's, not
	# Lâm Đồng's (without the setting, a name two provinces use is refused)
	"$HALONG" --home "$T" plan setting province 22 >/dev/null
	"$HALONG" --home "$T" plan import "$X/plan.csv" >/dev/null
	cat >"$WORK/openpyxl-read.py" <<'EOF'
import sys, openpyxl
wb = openpyxl.load_workbook(sys.argv[1], read_only=True)
n = sum(1 for row in wb.worksheets[0].iter_rows(values_only=True))
print(n)
EOF
	echo "halong: $HALONG --home FRESH plan import tasks.xlsx --plan KH-XLSX-2025   (and tasks.csv)"
	echo "openpyxl: $PY openpyxl-read.py tasks.xlsx (load_workbook read_only, every row's values)"
	echo "sqlite3: sqlite3 FRESH.db '.import --csv tasks.csv t'"
	for r in $(seq 1 "$IROUNDS"); do
		for side in xlsx csv openpyxl sqlite; do
			rm -rf "$WORK/imp"
			case $side in
			xlsx | csv)
				cp -a "$T" "$WORK/imp"
				timed "imp-$side" "$HALONG" --home "$WORK/imp" plan import "$X/tasks.$side" --plan KH-XLSX-2025 >"$WORK/imp-$side.out"
				[ "$r" -eq 1 ] && "$HALONG" --home "$WORK/imp" plan show KH-XLSX-2025 --at 2025-07-15 --json >"$WORK/imp-$side.json"
				;;
			openpyxl) timed imp-openpyxl $PY "$WORK/openpyxl-read.py" "$X/tasks.xlsx" >"$WORK/imp-openpyxl.out" ;;
			sqlite)
				mkdir -p "$WORK/imp"
				timed imp-sqlite sqlite3 "$WORK/imp/s.db" ".import --csv $X/tasks.csv t" ;;
			esac
		done
	done
	echo "halong (xlsx) says: $(cat "$WORK/imp-xlsx.out")"
	echo "halong (csv)  says: $(cat "$WORK/imp-csv.out")"
	echo "openpyxl read $(cat "$WORK/imp-openpyxl.out") rows; sqlite3 table t: $(sqlite3 "$WORK/imp/s.db" 'SELECT count(*) FROM t') rows"
	if cmp -s "$WORK/imp-xlsx.json" "$WORK/imp-csv.json"; then
		echo "the plan imported from the XLSX and from the CSV: the same (plan show --json)"
		SAMEIMP=1
	else
		echo "THE XLSX AND CSV IMPORTS DIFFER (plan show --json)"
		SAMEIMP=0
	fi
	# importing the same file again changes nothing
	cp -a "$T" "$WORK/imp2"
	"$HALONG" --home "$WORK/imp2" plan import "$X/tasks.xlsx" --plan KH-XLSX-2025 >/dev/null
	t0=$(now)
	"$HALONG" --home "$WORK/imp2" plan import "$X/tasks.xlsx" --plan KH-XLSX-2025 >"$WORK/imp-again.out"
	t1=$(now)
	echo "again (same XLSX into the same plan): $(cat "$WORK/imp-again.out") in $(((t1 - t0) / 1000)) ms"
	for s in xlsx csv openpyxl sqlite; do
		echo "   $s ms: $(stats "$WORK/imp-$s")   cpu ms: $(stats "$WORK/imp-$s.cpu")"
	done
	IX=$(field "$WORK/imp-xlsx" min); IC=$(field "$WORK/imp-csv" min)
	IO=$(field "$WORK/imp-openpyxl" min); IS=$(field "$WORK/imp-sqlite" min)
	echo "best of $IROUNDS: halong xlsx $IX ms, halong csv $IC ms (xlsx/csv $(ratio "$IX" "$IC")x), openpyxl read $IO ms" \
		"(halong xlsx/openpyxl $(ratio "$IX" "$IO")x), sqlite3 .import $IS ms (halong csv/sqlite3 $(ratio "$IC" "$IS")x)"
	RESULT="$RESULT xlsx_tasks=$XTASKS import_xlsx_ms=$IX import_csv_ms=$IC openpyxl_read_ms=$IO sqlite_import_ms=$IS"
	RESULT="$RESULT import_xlsx_vs_csv=$(ratio "$IX" "$IC") import_xlsx_vs_openpyxl=$(ratio "$IX" "$IO") import_same=$SAMEIMP"
fi

rm -rf "$WORK/imp" "$WORK/imp2" "$WORK/import-template"
echo
echo "(log: $LOG)"
echo "RESULT plans $RESULT"
