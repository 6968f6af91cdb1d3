#!/bin/bash
# bench/scale_out.sh - paid sends/s and searches/s through nginx in front of
# 1, 2 and 3 `kite serve` on one PostgreSQL 15 database, in one run.
#
# Design: everything is private to one temporary folder and stopped at the
# end: a throw-away PostgreSQL cluster (initdb as the postgres user, loopback
# and a socket in the folder, default fsync and synchronous_commit), an nginx
# started with its own config, prefix and pid file (never the system
# service), and the kite servers.  One database and one setup serve every N:
# server 1 migrates the database and loads the directory, bench_scale sets up
# residents with contacts and trust money through it, then for N = 1, 2, 3
# the servers 1..N run behind nginx (round robin, keep-alive to the
# upstreams) and bench_scale measures the same client count for the same
# window: paid sends, then searches (which take no writer lock).  At each
# measured window's edges bench_scale reads /proc (the machine's busy, idle
# and steal, and the shares of the servers, PostgreSQL, nginx and the
# clients, which all share this machine); around each call the script reads
# PostgreSQL's counters (commits, rollbacks, WAL fsyncs and their time), and
# four times a second it asks pg_locks whether the writers' advisory lock
# (src/db/pg.c) is held and how many wait for it: held all the time while
# cores stay idle means that lock, not the CPU, bounds sends/s.
#
# Usage (as root: apt-get for nginx, runuser for PostgreSQL):
#   bench/scale_out.sh
#   CLIENTS=8 SECONDS_PER_N=20 WARMUP=3 SERVERS=3 SERVER_THREADS=4 RAW=out.txt KEEP=1 bench/scale_out.sh
set -euo pipefail
cd "$(dirname "$0")/.."
B=${BENCH_BUILD:-build-bench}
CLIENTS=${CLIENTS:-8}
SECONDS_PER_N=${SECONDS_PER_N:-20}
WARMUP=${WARMUP:-3}
SERVERS=${SERVERS:-3}
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
RAW=${RAW:-$PWD/$B/scale_out-$(date -u +%Y%m%dT%H%M%SZ).txt}

[ -x "$PG_BIN/initdb" ] || { echo "scale_out: no PostgreSQL 15 in $PG_BIN (apt-get install postgresql-15)" >&2; exit 1; }
if ! command -v nginx >/dev/null; then
  echo "== installing nginx (the package only; its service is never started)"
  # Debian starts a service on install unless policy-rc.d says no: say no for this install only.
  guard=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && guard=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y nginx-light >/dev/null ||
    DEBIAN_FRONTEND=noninteractive apt-get install -y nginx >/dev/null
  [ -z "$guard" ] || rm -f /usr/sbin/policy-rc.d
fi
[ -f "$B/build.ninja" ] || meson setup "$B" --buildtype=release >/dev/null
ninja -C "$B" >/dev/null

dir=$(mktemp -d /tmp/kite-scale-out-XXXXXX)
chmod 755 "$dir"
kite_pids=()
nginx_pid=""
sampler=""
cleanup() {
  [ -z "$sampler" ] || { touch "$dir/stop$n" 2>/dev/null; kill "$sampler" 2>/dev/null || true; }
  [ -z "$nginx_pid" ] || { kill "$nginx_pid" 2>/dev/null; wait "$nginx_pid" 2>/dev/null || true; }
  for p in "${kite_pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${kite_pids[@]}"; do wait "$p" 2>/dev/null || true; done
  [ ! -f "$dir/pg/data/postmaster.pid" ] || runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$dir/pg/data" -m fast stop >/dev/null 2>&1 || true
  if [ -n "${KEEP:-}" ]; then echo "kept $dir" >&2; else rm -rf "$dir"; fi
}
trap cleanup EXIT

# A loopback port in 55000-59999 that nothing listens on.
free_port() {
  local p
  for _ in $(seq 200); do
    p=$((55000 + RANDOM % 5000))
    ss -Hltn "sport = :$p" | grep -q . || { echo "$p"; return; }
  done
  echo "scale_out: no free port" >&2; exit 1
}

echo "== PostgreSQL 15: a throw-away cluster in $dir/pg"
mkdir -p "$dir/pg" && chown postgres: "$dir/pg"
pg_port=$(free_port)
runuser -u postgres -- "$PG_BIN/initdb" -D "$dir/pg/data" -U postgres -A trust -E UTF8 >/dev/null
runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$dir/pg/data" -l "$dir/pg/log" -w start \
  -o "-p $pg_port -k $dir/pg -c listen_addresses=127.0.0.1 -c track_wal_io_timing=on \
      -c shared_preload_libraries=pg_stat_statements" >/dev/null
psql_() { psql -XAtq -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$pg_port" -U postgres "$@"; }
psql_ -d postgres -c "CREATE DATABASE kite_bench"
# Statements the clients send (top level: not the foreign-key checks PostgreSQL runs by itself).
psql_ -d kite_bench -c "CREATE EXTENSION pg_stat_statements"
db="postgresql://postgres@127.0.0.1:$pg_port/kite_bench"
echo "   port $pg_port; fsync=$(psql_ -d postgres -c 'SHOW fsync'), synchronous_commit=$(psql_ -d postgres -c 'SHOW synchronous_commit')"

ports=()
start_server() { # $1: index
  local out="$dir/kite$1.out"
  "$B/src/kite" serve --db "$db" --listen 127.0.0.1:0 --data "$PWD/data" --trusted-proxy 127.0.0.1 ${SERVER_THREADS:+--threads "$SERVER_THREADS"} \
    >"$out" 2>"$dir/kite$1.log" &
  kite_pids+=($!)
  for _ in $(seq 300); do grep -q '^kite: listening on' "$out" && break; sleep 0.1; done
  grep -q '^kite: listening on' "$out" || { echo "scale_out: kite serve $1 did not start:" >&2; tail "$dir/kite$1.log" >&2; exit 1; }
  ports+=("$(sed -n 's/^kite: listening on http:\/\/127.0.0.1:\([0-9]*\).*/\1/p' "$out")")
}

nginx_port=$(free_port)
start_nginx() { # $1: the number of upstream servers
  local upstreams="" i
  for ((i = 0; i < $1; i++)); do upstreams+="    server 127.0.0.1:${ports[$i]};"$'\n'; done
  mkdir -p "$dir/nginx/tmp"
  cat >"$dir/nginx/nginx.conf" <<EOF
daemon off;
worker_processes auto;
pid $dir/nginx/nginx.pid;
error_log $dir/nginx/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $dir/nginx/tmp/body;
  proxy_temp_path $dir/nginx/tmp/proxy;
  fastcgi_temp_path $dir/nginx/tmp/fastcgi;
  uwsgi_temp_path $dir/nginx/tmp/uwsgi;
  scgi_temp_path $dir/nginx/tmp/scgi;
  upstream kite {
$upstreams    keepalive 64;
  }
  server {
    listen 127.0.0.1:$nginx_port;
    location / {
      proxy_pass http://kite;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host \$host;
      proxy_set_header X-Forwarded-For \$remote_addr;
    }
  }
}
EOF
  nginx -c "$dir/nginx/nginx.conf" -p "$dir/nginx" -e "$dir/nginx/error.log" &
  nginx_pid=$!
  for _ in $(seq 100); do curl -fs -o /dev/null "http://127.0.0.1:$nginx_port/api/v1/facilities?q=avenal" && return; sleep 0.1; done
  echo "scale_out: nginx did not answer:" >&2; cat "$dir/nginx/error.log" >&2; exit 1
}
stop_nginx() { kill "$nginx_pid"; wait "$nginx_pid" 2>/dev/null || true; nginx_pid=""; }

# Commits, rollbacks, messages stored and WAL fsyncs (count, ms) so far.
pg_now() {
  psql_ -d kite_bench -F ' ' -c "SELECT d.xact_commit, d.xact_rollback, (SELECT count(*) FROM messages), w.wal_sync, w.wal_sync_time
    FROM pg_stat_database d, pg_stat_wal w WHERE d.datname = 'kite_bench'"
}

echo "== kite serve 1 migrates the database and loads the directory"
start_server 0
echo "== setup through server 1 (bench/bench_scale.c)"
"$B/bench/bench_scale" setup "http://127.0.0.1:${ports[0]}" "$dir/state" --kite "$B/src/kite" --db "$db" \
  --pairs $((CLIENTS * 2)) | tee "$dir/setup.txt"
postmaster=$(head -1 "$dir/pg/data/postmaster.pid")

cores=$(nproc)
{
  echo "# kite scale-out benchmark, $(date -u +%FT%TZ), $(uname -n), $cores cores, load before: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "# clients=$CLIENTS seconds=$SECONDS_PER_N warmup=$WARMUP server_threads=${SERVER_THREADS:-default}"
  sed 's/^/# /' "$dir/setup.txt"
} >"$RAW"

# pg_advisory_xact_lock(1262094405), the writers' lock of src/db/pg.c, as pg_locks shows a bigint key.
writer_lock=1262094405

# One bench_scale phase against nginx; prints its key=value line plus PostgreSQL's counters over it.
measure() { # $1: sends|searches, $2: N
  local c0 r0 m0 w0 wt0 c1 r1 m1 w1 wt1 line
  psql_ -d kite_bench -c "SELECT pg_stat_statements_reset()" >/dev/null
  read -r c0 r0 m0 w0 wt0 <<<"$(pg_now)"
  line=$("$B/bench/bench_scale" measure "http://127.0.0.1:$nginx_port" "$dir/state" --clients "$CLIENTS" \
    --seconds "$SECONDS_PER_N" --warmup "$WARMUP" --label "n$2-$1" --phase "$1" \
    --watch "kite=$(IFS=,; echo "${kite_pids[*]:0:$2}");postgres=$postmaster;nginx=$nginx_pid" | tee -a /dev/stderr | tail -1)
  read -r c1 r1 m1 w1 wt1 <<<"$(pg_now)"
  local stmts
  # The advisory lock's statement apart: its time is the time spent waiting for another process's writer.
  stmts=$(psql_ -d kite_bench -F ' ' -c "SELECT COALESCE(sum(calls), 0),
      round(COALESCE(sum(total_exec_time) FILTER (WHERE query NOT LIKE '%pg_advisory_xact_lock%'), 0)::numeric, 1),
      round(COALESCE(sum(total_exec_time) FILTER (WHERE query LIKE '%pg_advisory_xact_lock%'), 0)::numeric, 1)
    FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = 'kite_bench')")
  local calls exec_ms lock_ms
  read -r calls exec_ms lock_ms <<<"$stmts"
  # Over the whole call (sign-ins and warm-up included), so per stored message, not per measured send.
  echo "$line ${1}_commits=$((c1 - c0)) ${1}_rollbacks=$((r1 - r0)) ${1}_stored=$((m1 - m0)) ${1}_wal_fsyncs=$((w1 - w0))" \
    "${1}_wal_fsync_ms_total=$(awk -v a="$wt0" -v b="$wt1" 'BEGIN { printf "%.1f", b - a }')" \
    "${1}_statements=$calls ${1}_statement_ms_total=$exec_ms ${1}_lock_wait_ms_total=$lock_ms"
}

rows=()
cpu_rows=()
for ((n = 1; n <= SERVERS; n++)); do
  while [ "${#ports[@]}" -lt "$n" ]; do start_server "${#ports[@]}"; done
  start_nginx "$n"
  echo "== N=$n: ${CLIENTS} clients through nginx :$nginx_port to kite on ports ${ports[*]:0:$n}"
  # What N idle servers commit by themselves (sweepers, the mailer, sessions): part of every figure below.
  read -r ic0 _ <<<"$(pg_now)"; sleep 3; read -r ic1 _ <<<"$(pg_now)"
  idle_commits=$(awk -v c=$((ic1 - ic0)) 'BEGIN { printf "%.1f", c / 3 }')
  # Four times a second: is the writers' advisory lock held, how many backends wait for it, how many
  # are active (epoch ms first).  One psql reads them all, so the sampling costs little CPU.
  (while [ -d "$dir" ] && [ ! -e "$dir/stop$n" ]; do
     printf '%s\n' "SELECT (extract(epoch FROM clock_timestamp()) * 1000)::bigint,
       count(*) FILTER (WHERE granted), count(*) FILTER (WHERE NOT granted),
       (SELECT count(*) FROM pg_stat_activity WHERE datname = 'kite_bench' AND state = 'active' AND pid <> pg_backend_pid())
       FROM pg_locks WHERE locktype = 'advisory' AND classid = 0 AND objid = $writer_lock AND objsubid = 1;"
     sleep 0.25
   done) | psql_ -d kite_bench >"$dir/locks$n" 2>/dev/null &
  sampler=$!
  line="servers=$n $(measure sends "$n") $(measure searches "$n" | sed 's/^label=[^ ]* clients=[^ ]* seconds=[^ ]* //')"
  touch "$dir/stop$n"; wait "$sampler" 2>/dev/null || true; sampler=""
  stop_nginx
  val() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<" $line"; }
  # The lock samples inside the measured send window only.
  locks=$(awk -F'|' -v from="$(val sends_from_ms)" -v to="$(val sends_to_ms)" \
    'NF == 4 && $1 >= from && $1 <= to { h += ($2 > 0); w += $3; a += $4; n++ }
     END { if (n) printf "%.0f %.1f %.1f %d", 100*h/n, w/n, a/n, n; else print "? ? ? 0" }' "$dir/locks$n")
  read -r held waiting active samples <<<"$locks"
  per=$(awk -v w="$(val sends_wal_fsyncs)" -v s="$(val sends_stored)" -v ms="$(val sends_wal_fsync_ms_total)" \
    -v c="$(val sends_commits)" -v r="$(val sends_rollbacks)" -v q="$(val sends_statements)" -v qms="$(val sends_statement_ms_total)" \
    -v lms="$(val sends_lock_wait_ms_total)" \
    'BEGIN { if (s == 0) s = -1; printf "%.2f %.2f %.1f %.2f %.0f %.2f %.2f", w/s, (w > 0 ? ms/w : 0), c/s, r/s, q/s, qms/s, lms/s }')
  read -r fsync_per_send fsync_ms commits_per_send rollbacks_per_send stmts_per_send stmt_ms_per_send lock_wait_ms <<<"$per"
  line+=" sends_lock_held_pct=$held sends_lock_waiters_avg=$waiting sends_active_backends_avg=$active sends_lock_samples=$samples"
  line+=" sends_wal_fsyncs_per_stored=$fsync_per_send sends_wal_fsync_ms=$fsync_ms sends_commits_per_stored=$commits_per_send"
  line+=" sends_rollbacks_per_stored=$rollbacks_per_send sends_statements_per_stored=$stmts_per_send"
  line+=" sends_statement_ms_per_stored=$stmt_ms_per_send sends_lock_wait_ms_per_stored=$lock_wait_ms idle_commits_per_s=$idle_commits"
  echo "$line" >>"$RAW"
  rows+=("$(printf '%2d | %8s | %7s | %7s | %6s | %10s | %7s | %6s' "$n" "$(val sends_per_s)" "$(val sends_p50_ms)" \
    "$(val sends_p99_ms)" "$(val sends_errors)" "$(val reads_per_s)" "$(val reads_p99_ms)" "$(val reads_errors)")")
  cpu_rows+=("$(printf '%2d | %5s %5s %5s %5s %5s | %5s %5s | %4s%% %7s %6s %7s | %5s %7s %7s %6s %6s %7s | %5s %5s %5s %5s %5s %5s | %5s' "$n" \
    "$(val sends_cpu_kite_pct)" "$(val sends_cpu_postgres_pct)" "$(val sends_cpu_nginx_pct)" "$(val sends_cpu_clients_pct)" \
    "$(val sends_cpu_other_pct)" "$(val sends_idle_pct)" "$(val sends_steal_pct)" "$held" "$waiting" "$active" "$lock_wait_ms" \
    "$stmts_per_send" "$stmt_ms_per_send" "$commits_per_send" "$rollbacks_per_send" "$fsync_per_send" "$fsync_ms" \
    "$(val reads_cpu_kite_pct)" "$(val reads_cpu_postgres_pct)" "$(val reads_cpu_nginx_pct)" "$(val reads_cpu_clients_pct)" \
    "$(val reads_cpu_other_pct)" "$(val reads_idle_pct)" "$idle_commits")")
done

# The peer in the same run: one kite serve on SQLite (the embedded default), the same setup, the
# same clients, through the same nginx.  SQLITE_PEER=0 skips it.
sqlite_row=""
if [ "${SQLITE_PEER:-1}" = 1 ]; then
  for p in "${kite_pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${kite_pids[@]}"; do wait "$p" 2>/dev/null || true; done
  kite_pids=()
  ports=()
  mkdir -p "$dir/sqlite"
  db="$dir/sqlite/kite.db"
  echo "== the peer: one kite serve on SQLite ($db)"
  start_server 0
  "$B/bench/bench_scale" setup "http://127.0.0.1:${ports[0]}" "$dir/state-sqlite" --kite "$B/src/kite" --db "$db" \
    --pairs $((CLIENTS * 2)) >"$dir/setup-sqlite.txt"
  start_nginx 1
  line=$("$B/bench/bench_scale" measure "http://127.0.0.1:$nginx_port" "$dir/state-sqlite" --clients "$CLIENTS" \
    --seconds "$SECONDS_PER_N" --warmup "$WARMUP" --label sqlite --phase both \
    --watch "kite=${kite_pids[0]};nginx=$nginx_pid" | tee -a /dev/stderr | tail -1)
  stop_nginx
  echo "store=sqlite servers=1 $line" >>"$RAW"
  sqlite_row=$(printf '%2s | %8s | %7s | %7s | %6s | %10s | %7s | %6s   (SQLite, one server)' "1" "$(val sends_per_s)" \
    "$(val sends_p50_ms)" "$(val sends_p99_ms)" "$(val sends_errors)" "$(val reads_per_s)" "$(val reads_p99_ms)" "$(val reads_errors)")
fi
steal_all=$(awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^(sends|reads)_steal_pct=/) { split($i, kv, "="); s += kv[2]; n++ } }
  END { if (n) printf "%.1f", s/n; else print "?" }' <(grep -E '^(servers|store)=' "$RAW"))
echo "# cpu steal, mean over the measured windows: $steal_all%" >>"$RAW"

echo
echo "kite scale-out: paid sends and searches through nginx; $CLIENTS clients, ${SECONDS_PER_N} s per phase after ${WARMUP} s of warm-up"
echo " N |  sends/s |  p50 ms |  p99 ms | errors | searches/s |  p99 ms | errors"
for r in "${rows[@]}"; do echo "$r"; done
[ -z "$sqlite_row" ] || echo "$sqlite_row"
echo
echo "where the CPU went (% of the whole machine: $cores cores shared by the servers, PostgreSQL, nginx, the clients and whatever else runs here)"
echo "   | during the sends (% of machine) | cores free  | writer lock                  | per message stored                          | during the searches                 | idle"
echo " N |  kite    pg nginx clnts other |  idle steal |  held waiters active wait ms | stmts exec ms commits rollbk fsyncs fsyncms |  kite    pg nginx clnts other  idle | c/s"
for r in "${cpu_rows[@]}"; do echo "$r"; done
echo "cpu steal (mean over the measured windows): $steal_all%; cores: $cores; load average now: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "raw figures: $RAW"
