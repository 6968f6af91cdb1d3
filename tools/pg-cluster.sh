#!/bin/bash
# A throw-away PostgreSQL cluster for the tests: everything lives in DIR (the data folder, the
# unix socket, the log and the port), it listens on 127.0.0.1 only and trusts every local
# connection, so it must never hold anything but test data.  It is Debian's postgresql server
# run by hand (initdb + pg_ctl), never the system service.  fsync and synchronous_commit keep
# their defaults: the crash tests count on an acknowledged write surviving.
#
# usage: tools/pg-cluster.sh start DIR   initdb in DIR (afresh) and start the server
#        tools/pg-cluster.sh stop DIR    stop it (fast shutdown); does nothing when stopped
#        tools/pg-cluster.sh url DIR     print the admin URL, postgresql://postgres@127.0.0.1:PORT/postgres
#
# initdb refuses to run as root, so as root the cluster runs as the postgres user; its data folder
# and socket then live in a folder of its own under /tmp (DIR/home names it), since the postgres
# user may not be able to reach DIR at all (a clone in a private mktemp folder).  Otherwise it
# runs as the current user inside DIR.  The port is a free one in 55000-59999 found at
# start; two clusters starting at once may pick the same one, so start retries on another.
set -euo pipefail

usage() { echo "usage: $0 start|stop|url DIR" >&2; exit 2; }
[ $# -eq 2 ] || usage
cmd=$1
if [ "$cmd" = start ]; then
  mkdir -p "$2"
elif [ ! -d "$2" ]; then
  [ "$cmd" = stop ] && exit 0
  echo "$0: no cluster in $2" >&2
  exit 1
fi
DIR=$(cd "$2" && pwd)
# Where the cluster's own files live (see above); DIR keeps the port and the logs.
if [ "$(id -u)" -eq 0 ]; then
  HOME_DIR=$(cat "$DIR/home" 2>/dev/null || true)
else
  HOME_DIR=$DIR
fi
DATA="${HOME_DIR:-$DIR/none}/data"

# shellcheck source=tools/pg-common.sh
. "$(dirname "$0")/pg-common.sh"

running() {
  [ -f "$DATA/postmaster.pid" ] && as_owner "$PG_BIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1
}

do_stop() {
  if running; then
    as_owner "$PG_BIN/pg_ctl" -D "$DATA" -m fast -w -t 60 stop >/dev/null
  fi
  if [ "$(id -u)" -eq 0 ] && [ -n "$HOME_DIR" ] && [ -d "$HOME_DIR" ]; then
    cp "$HOME_DIR/postgresql.log" "$DIR/postgresql.log" 2>/dev/null || true # kept for a look afterwards
    rm -rf "$HOME_DIR" "$DIR/home"
    HOME_DIR=""
  fi
}

do_start() {
  # A cluster left by an interrupted run is stopped and thrown away: every run starts empty.
  do_stop
  rm -rf "$DIR/port" "$DIR/postgresql.log"
  if [ "$(id -u)" -eq 0 ]; then
    HOME_DIR=$(mktemp -d /tmp/kite-pg-XXXXXX)
    echo "$HOME_DIR" >"$DIR/home"
    chown postgres: "$HOME_DIR"
    chmod 700 "$HOME_DIR"
  else
    rm -rf "$DATA"
  fi
  DATA="$HOME_DIR/data"
  as_owner "$PG_BIN/initdb" -D "$DATA" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 \
    >"$DIR/initdb.log" 2>&1 || { cat "$DIR/initdb.log" >&2; exit 1; }
  # The socket sits in DIR, never in /var/run/postgresql, so nothing meets the system's cluster.
  cat >>"$DATA/postgresql.conf" <<EOF

# tools/pg-cluster.sh: a throw-away test cluster
listen_addresses = '127.0.0.1'
unix_socket_directories = '$HOME_DIR'
max_connections = 500
logging_collector = off
EOF
  local attempt port
  for attempt in 1 2 3 4 5; do
    port=$(pick_port)
    if as_owner "$PG_BIN/pg_ctl" -D "$DATA" -l "$HOME_DIR/postgresql.log" -o "-p $port" -w -t 60 start >/dev/null; then
      echo "$port" >"$DIR/port"
      return 0
    fi
    # Most likely the port was taken between the check and the bind: try another one.
    tail -5 "$HOME_DIR/postgresql.log" >&2 || true
  done
  echo "$0: the server would not start; log: $HOME_DIR/postgresql.log" >&2
  exit 1
}

case "$cmd" in
  start) do_start; echo "postgresql://postgres@127.0.0.1:$(cat "$DIR/port")/postgres" ;;
  stop) do_stop ;;
  url)
    [ -f "$DIR/port" ] || { echo "$0: no cluster started in $DIR" >&2; exit 1; }
    echo "postgresql://postgres@127.0.0.1:$(cat "$DIR/port")/postgres" ;;
  *) usage ;;
esac
