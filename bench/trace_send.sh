#!/bin/bash
# trace_send.sh - the SQL statements one real POST /api/v1/messages runs, in order, as
# bench_sqlite_peer.c's table of a send must list them (compare the two when the write path
# changes).  A clean message from a contact to their resident at the bench's facility (review
# "flagged_only", pricing "balance"): screened, approved and delivered in its request.
#
# How: bench_messages makes and keeps a small seeded store; kite serve runs on it with
# bench/sqlite_trace.c preloaded (every statement of every connection to a file); one warm-up
# send, then the measured one, whose statements are printed ("<connection> <sql>": the request's
# read transaction for the session, then send_tx between BEGIN IMMEDIATE and COMMIT), then
# compared with `bench_sqlite_peer list`: exit status 1 when they differ.
set -euo pipefail
cd "$(dirname "$0")/.."
B=${BENCH_BUILD:-build-bench}
ninja -C "$B" src/kite bench/bench_messages bench/bench_sqlite_peer bench/libsqlite_trace.so >/dev/null
kept=$("$B/bench/bench_messages" "$B/src/kite" --messages 20000 --clients 1 --submit-seconds 1 --read-seconds 2 \
         --queue-seconds 0 --keep --data "$PWD/data" 2>&1 >/dev/null | sed -n 's/^kept //p')
[ -n "$kept" ] || { echo "trace_send: bench_messages did not keep its store" >&2; exit 1; }
trace="$kept/sql.txt"
KITE_SQL_TRACE="$trace" LD_PRELOAD="$PWD/$B/bench/libsqlite_trace.so" \
  "$B/src/kite" serve --db "$kept/kite.db" --listen 127.0.0.1:0 --data "$PWD/data" >"$kept/out" 2>>"$kept/server.log" &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$kept"' EXIT
for _ in $(seq 100); do grep -q listening "$kept/out" 2>/dev/null && break; sleep 0.1; done
url=$(sed -n 's/^kite: listening on //p' "$kept/out")
contact=$(sqlite3 "$kept/kite.db" "SELECT c.id FROM contacts c JOIN accounts a ON a.id = c.contact_account_id
                                   WHERE a.email = 'bench-c00020@example.org'")
token=$(curl -sf -H 'Content-Type: application/json' -d '{"email":"bench-c00020@example.org","password":"bench password 2026"}' \
          "$url/api/v1/sessions" | sed 's/.*"token":"\([^"]*\)".*/\1/')
send() {
  curl -sf -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' -H "Authorization: Bearer $token" \
    -d "{\"contact_id\":$contact,\"subject\":\"Bench message\",\"body\":\"$1\"}" "$url/api/v1/messages"
}
send "warm-up" >/dev/null
sleep 0.3
from=$(($(wc -l <"$trace") + 1))
status=$(send "Dear family, the week went well.")
sleep 0.3
echo "-- one send (HTTP $status): the statements in order"
tail -n "+$from" "$trace"
# The peer's table, against the trace: the request's read transaction (the last plain BEGIN on
# any connection before the send's BEGIN IMMEDIATE, up to its COMMIT), then the statements of the
# writer's connection from its BEGIN IMMEDIATE (a background task may use another connection
# meanwhile), without the pragmas a connection runs once when it opens and without the group
# commit's own savepoint around the request (src/db/writer.c), the connection's address cut off.
send_sql=$(tail -n "+$from" "$trace" | grep -v " PRAGMA " | awk '
  $2 == "BEGIN" && $3 == "IMMEDIATE" && w == "" { w = $1; for (i = 1; i <= nr; i++) print rd[i]; }
  w == "" && $2 == "BEGIN" && NF == 2 { r = $1; nr = 0; open = 1 }
  w == "" && open && $1 == r { rd[++nr] = $0; if ($2 == "COMMIT") open = 0 }
  w != "" && $1 == w { print }' | cut -d' ' -f2- | grep -v "SAVEPOINT kite_write$")
if diff <(printf '%s\n' "$send_sql") \
        <("$B/bench/bench_sqlite_peer" list) >"$kept/diff"; then
  echo "-- bench_sqlite_peer's table is in step with this send"
else
  echo "-- bench_sqlite_peer's table differs from this send (< the send, > the table):"
  cat "$kept/diff"
  exit 1
fi
