#!/usr/bin/env bash
# The HTTP benchmark (issue 5): wrk against `halong serve` (a document GET and a search) and, in the
# same run, alternating, against nginx serving the very same JSON bodies as static files. See
# bench/http/README.md.
#
#   bash bench/http/run.sh [--halong PATH] [--full] [--docs N] [--rounds R] [--duration S]
#                          [--connections "C1 C2 …"] [--seed S]
#
# Quick default: 20,000 documents, 2 rounds of 10 s per side, target and connection count (256,
# the target and the server's limit per client address — wrk connects from one address — and 64).
# --full: the 100,000-document set, 3 rounds of 20 s. Output to the terminal and bench/out/http-<date>.log; the data
# directory in bench/out/http-<docs>-s<seed>/ (gitignored, kept for the next run).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
ARGS="$*"
HALONG="$ROOT/build/src/cli/halong"
DOCS=20000
ROUNDS=2
DUR=10
CONNS="256 64"
SEED=20250701
while [ $# -gt 0 ]; do
	case "$1" in
	--halong) HALONG=$2; shift ;;
	--full) DOCS=100000; ROUNDS=3; DUR=20 ;;
	--docs) DOCS=$2; shift ;;
	--rounds) ROUNDS=$2; shift ;;
	--duration) DUR=$2; shift ;;
	--connections) CONNS=$2; shift ;;
	--seed) SEED=$2; shift ;;
	-h | --help) sed -n '2,11p' "$0"; exit 0 ;;
	*) echo "run.sh: unknown option $1" >&2; exit 2 ;;
	esac
	shift
done
case "$HALONG" in /*) ;; *) HALONG="$PWD/$HALONG" ;; esac
[ -x "$HALONG" ] || { echo "run.sh: no halong binary at $HALONG (ninja -C build)" >&2; exit 1; }

# wrk and nginx come from Debian; install them if missing (the benchmark needs both).
if ! command -v wrk >/dev/null || ! [ -x /usr/sbin/nginx ]; then
	echo "run.sh: installing wrk and nginx (Debian packages)"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk nginx >/dev/null
fi
NGINX=/usr/sbin/nginx

# Shared 2-core machine: stay below the compilers of the others.
renice -n 10 $$ >/dev/null 2>&1 || true
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

OUT="$ROOT/bench/out"
DATA="$OUT/data-$DOCS-s$SEED"
WORK="$OUT/http-$DOCS-s$SEED"
mkdir -p "$OUT" "$WORK"
LOG="$OUT/http-$(date +%Y%m%d-%H%M%S)-$DOCS.log"
exec > >(tee "$LOG") 2>&1

echo "== halong HTTP benchmark, $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "machine: nproc=$(nproc) cpu=\"$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')\"" \
	"mem=$(awk '/MemTotal/ {printf "%.1fGB", $2/1048576}' /proc/meminfo) kernel=$(uname -r)"
echo "load: $(cut -d' ' -f1-3 /proc/loadavg) (other engineers share this machine)"
echo "versions: $(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2), $($NGINX -v 2>&1 | cut -d' ' -f3)," \
	"halong: source tree $(cd "$ROOT" && git describe --always --dirty 2>/dev/null), binary $HALONG of $(stat -c %y "$HALONG" | cut -d. -f1)"
echo "command: bench/http/run.sh $ARGS"
echo "sizes: docs=$DOCS rounds=$ROUNDS duration=${DUR}s connections=$CONNS threads=2 seed=$SEED"

# ---- the data: bench/gen.py's documents (real corpus, recombined; recipe printed) ----
if [ ! -s "$DATA/manifest.csv" ]; then
	python3 "$ROOT/bench/gen.py" --docs "$DOCS" --seed "$SEED" --out "$DATA"
fi
sed 's/^/recipe: /' "$DATA/recipe.txt" | head -20
HOME_DIR="$WORK/home"
if [ ! -f "$WORK/ingested" ]; then
	rm -rf "$HOME_DIR"
	"$HALONG" --home "$HOME_DIR" init >/dev/null
	"$HALONG" --home "$HOME_DIR" units load --quiet
	echo "ingesting $DOCS documents (once; kept in $WORK)"
	"$HALONG" --home "$HOME_DIR" ingest "$DATA/manifest.csv" | tail -1
	touch "$WORK/ingested"
fi

# A public document of the set and a 2-word query of the fixed mix (anonymous caller: only public
# records, as nginx would serve them).
DOC_ID=$(python3 - "$DATA/manifest.csv" <<'EOF'
import csv, sys
for row in csv.DictReader(open(sys.argv[1], encoding='utf-8')):
    if row['access_level'] == 'public':
        print(row['doc_id']); break
EOF
)
QUERY=$(awk 'NF == 2 {print $1 "+" $2; exit}' "$DATA/queries.txt")
GET_PATH="/api/v1/documents/$DOC_ID"
SEARCH_PATH="/api/v1/search?q=$QUERY"
echo "targets: GET $GET_PATH ; GET $SEARCH_PATH"

port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
HPORT=$(port)
NPORT=$(port)

"$HALONG" --home "$HOME_DIR" serve --listen "127.0.0.1:$HPORT" 2>"$WORK/halong-serve.log" &
HPID=$!
cleanup() {
	kill -TERM "$HPID" 2>/dev/null || true
	[ -f "$WORK/nginx.pid" ] && kill -QUIT "$(cat "$WORK/nginx.pid")" 2>/dev/null || true
	# not a bare `wait`: that would also wait for the `tee` below, which waits for us
	wait "$HPID" 2>/dev/null || true
}
trap cleanup EXIT
for _ in $(seq 1 300); do
	curl -fsS "http://127.0.0.1:$HPORT/api/v1/health" >/dev/null 2>&1 && break
	sleep 0.1
done

# The same bodies, byte for byte, as static files for nginx.
WWW="$WORK/www"
rm -rf "$WWW"
mkdir -p "$WWW/api/v1/documents"
curl -fsS "http://127.0.0.1:$HPORT$GET_PATH" -o "$WWW$GET_PATH"
curl -fsS "http://127.0.0.1:$HPORT$SEARCH_PATH" -o "$WWW/api/v1/search"
echo "bodies: document $(stat -c %s "$WWW$GET_PATH") bytes, search $(stat -c %s "$WWW/api/v1/search") bytes" \
	"($(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["total"])' "$WWW/api/v1/search") hits)"

# nginx as Debian ships it, one worker per core (halong: one thread per core), access log on
# (halong logs every request too), no gzip (wrk sends no Accept-Encoding).
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
	curl -fsS "http://127.0.0.1:$NPORT$GET_PATH" >/dev/null 2>&1 && break
	sleep 0.1
done
cmp <(curl -fsS "http://127.0.0.1:$NPORT$GET_PATH") "$WWW$GET_PATH"
cmp <(curl -fsS "http://127.0.0.1:$NPORT$SEARCH_PATH") "$WWW/api/v1/search"

# wrk's report -> "rps p99_ms errors" (errors: socket errors of every kind + non-2xx/3xx).
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

RES="$WORK/results.txt"
: >"$RES"
for r in $(seq 1 "$ROUNDS"); do
	for C in $CONNS; do
	for target in get search; do
		[ "$target" = get ] && P="$GET_PATH" || P="$SEARCH_PATH"
		# alternate which side goes first
		if [ $((r % 2)) -eq 1 ]; then sides="halong nginx"; else sides="nginx halong"; fi
		for side in $sides; do
			[ "$side" = halong ] && PORT=$HPORT || PORT=$NPORT
			wrk -t2 -c"$C" -d"${DUR}s" --latency "http://127.0.0.1:$PORT$P" >"$WORK/wrk.out" 2>&1 || true
			read -r rps p99 errs < <(parse "$WORK/wrk.out")
			echo "round $r c=$C $target $side: ${rps} req/s, p99 ${p99} ms, ${errs} errors" \
				"($(grep -E 'Socket errors|Non-2xx' "$WORK/wrk.out" | tr -s ' ' | tr '\n' ';'))"
			echo "$target $side $rps $p99 $errs $C" >>"$RES"
			kill -0 "$HPID" 2>/dev/null || { echo "halong serve died"; tail -20 "$WORK/halong-serve.log"; exit 1; }
			sleep 2 # let the closed connections drain between runs
		done
	done
	done
done

python3 - "$RES" "$DOCS" <<'EOF'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
def sel(t, side, c):
    return [r for r in rows if r[0] == t and r[1] == side and r[5] == c]
def med(t, side, c, col):
    return statistics.median(float(r[col]) for r in sel(t, side, c))
def tot(t, side, c):
    return sum(int(r[4]) for r in sel(t, side, c))
out = [f'docs={sys.argv[2]}']
for c in sorted({r[5] for r in rows}, key=int, reverse=True):
    for t in ('get', 'search'):
        h, n = med(t, 'halong', c, 2), med(t, 'nginx', c, 2)
        hp, np_ = med(t, 'halong', c, 3), med(t, 'nginx', c, 3)
        print(f'c={c} {t}: halong {h:.0f} req/s (p99 {hp:.1f} ms, {tot(t, "halong", c)} errors)'
              f' vs nginx static {n:.0f} req/s (p99 {np_:.1f} ms, {tot(t, "nginx", c)} errors):'
              f' ratio {h / n:.3f}')
        k = f'{t}_c{c}'
        out += [f'{k}_halong_rps={h:.0f}', f'{k}_nginx_rps={n:.0f}', f'{k}_ratio={h / n:.3f}',
                f'{k}_halong_p99_ms={hp:.1f}', f'{k}_nginx_p99_ms={np_:.1f}',
                f'{k}_halong_errors={tot(t, "halong", c)}', f'{k}_nginx_errors={tot(t, "nginx", c)}']
print('target: get ratio >= 0.5 and no errors at 256 connections')
print('RESULT http ' + ' '.join(out))
EOF
