#!/bin/bash
# make bench: an optimised build, the in-process search benchmark, then a
# server on a temporary store measured over HTTP.
set -euo pipefail
cd "$(dirname "$0")/.."
B=${BENCH_BUILD:-build-bench}
[ -f "$B/build.ninja" ] || meson setup "$B" --buildtype=release >/dev/null
ninja -C "$B" >/dev/null
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
# Messaging with 1,000,000 stored messages: bench_messages starts, seeds and stops its own
# `kite serve` on a temporary store (about 70 s; MESSAGES=... for another size).
echo "== messaging with ${MESSAGES:-1000000} stored messages (bench/bench_messages.c)"
"$B/bench/bench_messages" "$B/src/kite" --messages "${MESSAGES:-1000000}" --data "$PWD/data"
# 1, 2 and 3 `kite serve` behind nginx on one PostgreSQL (issue 9): needs root (nginx is installed
# when missing, PostgreSQL runs as its own user) and PostgreSQL 15; about 4 minutes.  SCALE_OUT=0 skips it.
if [ "${SCALE_OUT:-1}" != 0 ] && [ -x /usr/lib/postgresql/15/bin/initdb ] && [ "$(id -u)" = 0 ]; then
  echo "== scale-out: 1, 2 and 3 kite serve behind nginx on one PostgreSQL (bench/scale_out.sh)"
  BENCH_BUILD="$B" bench/scale_out.sh
else
  echo "== scale-out skipped: it needs root and PostgreSQL 15 (/usr/lib/postgresql/15/bin)"
fi
