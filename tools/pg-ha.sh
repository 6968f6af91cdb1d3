#!/bin/bash
# A throw-away PostgreSQL primary with a synchronous standby, and the manual failover: the
# failover test (tests/blackbox/failover.test.mjs) and docs/failover.md run it.  It uses
# PostgreSQL's own machinery only: streaming replication from a pg_basebackup, one synchronous
# standby named standby1 (synchronous_commit = on: a COMMIT is acknowledged only once the
# standby has the WAL on disk, so nothing acknowledged is lost when the primary dies), and
# `pg_ctl promote` for the failover.  No home-made replication, no consensus: the operator (or
# the test) decides that the primary is gone and promotes.
#
# usage: tools/pg-ha.sh start DIR         initdb a primary in DIR (afresh), clone a standby, start both
#        tools/pg-ha.sh url DIR [DB]      the multi-host URL Kite is given (DB: kite by default)
#        tools/pg-ha.sh kill-primary DIR  kill -9 the primary's postmaster (the failure under test)
#        tools/pg-ha.sh promote DIR       promote the standby to primary (pg_ctl promote -w)
#        tools/pg-ha.sh stall-standby DIR   SIGSTOP the standby (a stuck disk, a partition): the
#                                           primary's COMMITs then wait for it
#        tools/pg-ha.sh resume-standby DIR  SIGCONT it
#        tools/pg-ha.sh status DIR        which server is up and what it is (primary, standby)
#        tools/pg-ha.sh stop DIR          stop whatever still runs
#
# Everything lives in DIR: primary/ and standby/ (data folders), their logs, their ports, and the
# unix sockets; both listen on 127.0.0.1 only and trust every local connection (replication
# included), so they must never hold anything but test data.  As root the servers run as the
# postgres user on a DIR it owns (initdb refuses root).  Never the system service.
#
# The standby's own configuration names no synchronous standby: once promoted it is a primary
# alone and takes writes at once, rather than waiting forever for a standby that is gone.  That
# is the availability side of the trade; until a new standby is rebuilt from it and named in
# synchronous_standby_names, an acknowledged write lives on one server only (docs/failover.md).
set -euo pipefail

usage() { echo "usage: $0 start|url|kill-primary|promote|stall-standby|resume-standby|status|stop DIR [DB]" >&2; exit 2; }
[ $# -ge 2 ] || usage
cmd=$1
mkdir -p "$2"
DIR=$(cd "$2" && pwd)
PRIMARY="$DIR/primary"
STANDBY="$DIR/standby"

# shellcheck source=tools/pg-common.sh
. "$(dirname "$0")/pg-common.sh"

# pg_ctl status counts a killed postmaster nobody has reaped yet (a zombie) as running: look at
# the process's state as well.
running() { # DATA
  local pid state
  [ -f "$1/postmaster.pid" ] || return 1
  pid=$(head -1 "$1/postmaster.pid")
  state=$(ps -o stat= -p "$pid" 2>/dev/null || true)
  [ -n "$state" ] && [ "${state#Z}" = "$state" ] && as_owner "$PG_BIN/pg_ctl" -D "$1" status >/dev/null 2>&1
}

port_of() { # primary|standby
  [ -f "$DIR/$1.port" ] || { echo "$0: no $1 started in $DIR" >&2; exit 1; }
  cat "$DIR/$1.port"
}

sql() { # PORT SQL: one value, over the socket in DIR
  as_owner psql -XAtq -h "$DIR" -p "$1" -U postgres -d postgres -c "$2"
}

stop_one() { # DATA
  if running "$1"; then
    as_owner "$PG_BIN/pg_ctl" -D "$1" -m fast -w -t 30 stop >/dev/null ||
      as_owner "$PG_BIN/pg_ctl" -D "$1" -m immediate -w -t 30 stop >/dev/null
  fi
}

# Starts DATA on a free port written in its configuration (the last `port` line wins, and the
# standby's clone of the primary's configuration gets one of its own appended); retries on
# another port when one was taken between the check and the bind.
start_one() { # primary|standby DATA [PORT-TO-AVOID]
  local port
  for _ in 1 2 3 4 5; do
    port=$(pick_port "${3:-}")
    echo "port = $port" >>"$2/postgresql.conf"
    if as_owner "$PG_BIN/pg_ctl" -D "$2" -l "$DIR/$1.log" -w -t 60 start >/dev/null; then
      echo "$port" >"$DIR/$1.port"
      return 0
    fi
    tail -5 "$DIR/$1.log" >&2 || true
  done
  echo "$0: the $1 would not start; log: $DIR/$1.log" >&2
  exit 1
}

do_stop() {
  stop_one "$STANDBY"
  stop_one "$PRIMARY"
}

do_start() {
  # A pair left by an interrupted run is stopped and thrown away: every run starts empty.
  do_stop
  rm -rf "$PRIMARY" "$STANDBY" "$DIR"/*.port "$DIR"/*.log
  if [ "$(id -u)" -eq 0 ]; then
    chown postgres: "$DIR"
    chmod 700 "$DIR"
  fi
  as_owner "$PG_BIN/initdb" -D "$PRIMARY" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 \
    >"$DIR/initdb.log" 2>&1 || { cat "$DIR/initdb.log" >&2; exit 1; }
  # The socket sits in DIR, never in /var/run/postgresql, so nothing meets the system's cluster.
  cat >>"$PRIMARY/postgresql.conf" <<EOF

# tools/pg-ha.sh: a throw-away primary with one synchronous standby
listen_addresses = '127.0.0.1'
unix_socket_directories = '$DIR'
max_connections = 200
logging_collector = off
wal_level = replica
max_wal_senders = 10
wal_keep_size = '256MB'
hot_standby = on
synchronous_commit = on
synchronous_standby_names = 'FIRST 1 (standby1)'
EOF
  cat >>"$PRIMARY/pg_hba.conf" <<EOF
# tools/pg-ha.sh: the standby streams over loopback (throw-away: trust)
host replication all 127.0.0.1/32 trust
EOF
  start_one primary "$PRIMARY"
  local p1 p2
  p1=$(cat "$DIR/primary.port")
  # -R writes standby.signal and primary_conninfo; application_name is the name the primary's
  # synchronous_standby_names waits for.
  as_owner pg_basebackup -D "$STANDBY" -X stream -R -c fast \
    -d "host=127.0.0.1 port=$p1 user=postgres application_name=standby1" \
    >"$DIR/basebackup.log" 2>&1 || { cat "$DIR/basebackup.log" >&2; exit 1; }
  cat >>"$STANDBY/postgresql.conf" <<EOF

# tools/pg-ha.sh: the standby; once promoted it is a primary alone (no synchronous standby to wait for)
synchronous_standby_names = ''
EOF
  start_one standby "$STANDBY" "$p1"
  p2=$(cat "$DIR/standby.port")
  # Ready means the primary counts the standby as synchronous: a COMMIT from now on waits for it.
  local state=""
  for _ in $(seq 1 100); do
    state=$(sql "$p1" "SELECT sync_state FROM pg_stat_replication WHERE application_name = 'standby1'" || true)
    [ "$state" = "sync" ] && return 0
    sleep 0.1
  done
  echo "$0: the standby (port $p2) did not become synchronous (state '$state'); logs in $DIR" >&2
  exit 1
}

do_url() {
  local db=${1:-kite}
  echo "postgresql://postgres@127.0.0.1:$(port_of primary),127.0.0.1:$(port_of standby)/$db?target_session_attrs=read-write&connect_timeout=2"
}

do_kill_primary() {
  [ -f "$PRIMARY/postmaster.pid" ] || { echo "$0: the primary is not running" >&2; exit 1; }
  local pid
  pid=$(head -1 "$PRIMARY/postmaster.pid")
  kill -9 "$pid"
  for _ in $(seq 1 50); do
    running "$PRIMARY" || break
    sleep 0.1
  done
  echo "killed the primary's postmaster (pid $pid)"
}

do_promote() {
  as_owner "$PG_BIN/pg_ctl" -D "$STANDBY" -w -t 60 promote >/dev/null
  echo "promoted the standby (port $(port_of standby))"
}

# The standby's postmaster and every process it started (the WAL receiver, the startup process).
signal_standby() { # SIGNAL
  [ -f "$STANDBY/postmaster.pid" ] || { echo "$0: the standby is not running" >&2; exit 1; }
  local pid children
  pid=$(head -1 "$STANDBY/postmaster.pid")
  mapfile -t children < <(pgrep -P "$pid" || true)
  kill "-$1" "$pid" "${children[@]}"
}

do_status() {
  local role
  for role in primary standby; do
    local data="$DIR/$role"
    if running "$data"; then
      local rec
      rec=$(sql "$(port_of "$role")" "SELECT CASE WHEN pg_is_in_recovery() THEN 'standby' ELSE 'primary' END" 2>/dev/null ||
        echo "server not answering yet")
      echo "$role: up on port $(port_of "$role"), now a $rec"
    else
      echo "$role: down"
    fi
  done
}

case "$cmd" in
  start) do_start; do_url postgres ;;
  url) do_url "${3:-}" ;;
  kill-primary) do_kill_primary ;;
  promote) do_promote ;;
  stall-standby) signal_standby STOP ;;
  resume-standby) signal_standby CONT ;;
  status) do_status ;;
  stop) do_stop ;;
  *) usage ;;
esac
