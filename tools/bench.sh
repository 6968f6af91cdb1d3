#!/bin/bash
# make bench / make bench-quick: an optimised build, then bench_run (bench/bench_run.c): Kite on a
# seeded store and its peers - the same statements in bare SQLite, the disk floor, Postfix - in one
# run, printed as one table with each ratio, the CPU steal, and the issue's targets met or not.
#
#   make bench         1,000,000 stored messages (and 10,000 for the size ratio); 15 s windows
#   BIG=1 make bench   10,000,000 instead (seeding takes a few minutes)
#   make bench-quick   100,000 and 10,000; short windows; under 3 minutes
# MESSAGES, SMALL, PHASE_SECONDS, READ_SECONDS, SERVER_THREADS, BATCH, SSE override the sizes and windows;
# KEEP=1 keeps the temporary stores.  ALL=1 then runs the older benchmarks too (bench_search,
# bench_http, bench_messages, and the scale-out on PostgreSQL when root and PostgreSQL 15 are there).
set -euo pipefail
cd "$(dirname "$0")/.."
B=${BENCH_BUILD:-build-bench}
mode=${1:-full}
[ -f "$B/build.ninja" ] || meson setup "$B" --buildtype=release >/dev/null
ninja -C "$B" >/dev/null
if [ "$mode" = quick ]; then
  messages=${MESSAGES:-100000}; seconds=${PHASE_SECONDS:-6}; read_seconds=${READ_SECONDS:-4}
elif [ "${BIG:-0}" = 1 ]; then
  messages=${MESSAGES:-10000000}; seconds=${PHASE_SECONDS:-15}; read_seconds=${READ_SECONDS:-8}
else
  messages=${MESSAGES:-1000000}; seconds=${PHASE_SECONDS:-15}; read_seconds=${READ_SECONDS:-8}
fi
args=(--messages "$messages" --small "${SMALL:-10000}" --seconds "$seconds" --read-seconds "$read_seconds"
      --batch "${BATCH:-64}" --sse "${SSE:-16}" --postfix "$PWD/bench/postfix_peer.sh" --data "$PWD/data")
[ -z "${SERVER_THREADS:-}" ] || args+=(--server-threads "$SERVER_THREADS")
[ "${KEEP:-0}" != 1 ] || args+=(--keep)
echo "== Kite and its peers in one run (bench/bench_run.c): $messages stored messages; load: $(cut -d' ' -f1-3 /proc/loadavg)"
status=0
"$B/bench/bench_run" "$B/src/kite" "${args[@]}" || status=$?
[ "${ALL:-0}" = 1 ] || exit $status

echo "== search over the in-memory index (bench/bench_search.c)"
KITE_DATA_DIR="$PWD/data" "$B/bench/bench_search"
dir=$(mktemp -d)
trap 'kill $pid 2>/dev/null; rm -rf "$dir"' EXIT
"$B/src/kite" serve --db "$dir/kite.db" --listen 127.0.0.1:0 >"$dir/out" 2>"$dir/log" &
pid=$!
for _ in $(seq 100); do grep -q listening "$dir/out" 2>/dev/null && break; sleep 0.2; done
url=$(sed -n 's/^kite: listening on //p' "$dir/out")
echo "== over HTTP against $url (bench/bench_http.c)"
"$B/bench/bench_http" "$url" "${SEARCHES:-5000}" "${SIGNINS:-50}"
echo "== messaging with $messages stored messages, one thread per client (bench/bench_messages.c)"
"$B/bench/bench_messages" "$B/src/kite" --messages "$messages" --data "$PWD/data"
# 1, 2 and 3 `kite serve` behind nginx on one PostgreSQL (issue 9): needs root (nginx is installed
# when missing, PostgreSQL runs as its own user) and PostgreSQL 15; about 4 minutes.  SCALE_OUT=0 skips it.
if [ "${SCALE_OUT:-1}" != 0 ] && [ -x /usr/lib/postgresql/15/bin/initdb ] && [ "$(id -u)" = 0 ]; then
  echo "== scale-out: 1, 2 and 3 kite serve behind nginx on one PostgreSQL (bench/scale_out.sh)"
  BENCH_BUILD="$B" bench/scale_out.sh
else
  echo "== scale-out skipped: it needs root and PostgreSQL 15 (/usr/lib/postgresql/15/bin)"
fi
exit $status
