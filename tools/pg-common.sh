# Sourced by tools/pg-cluster.sh and tools/pg-ha.sh: finding Debian's PostgreSQL server, running it
# as its owner, and a free loopback port.  Sets PG_BIN; defines as_owner, port_free, pick_port.

# Debian installs the server binaries off PATH, one folder per major version: 15 first.
PG_BIN=${PG_BIN:-}
if [ -z "$PG_BIN" ]; then
  # shellcheck disable=SC2012 # Debian's own folder names: digits only
  for d in /usr/lib/postgresql/15/bin $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -Vr); do
    [ -x "$d/initdb" ] && { PG_BIN=$d; break; }
  done
fi
# shellcheck disable=SC2015 # either test failing leads to the message
[ -n "$PG_BIN" ] && [ -x "$PG_BIN/initdb" ] || {
  echo "$0: PostgreSQL's initdb not found (apt-get install postgresql, or set PG_BIN)" >&2; exit 1; }

# initdb refuses to run as root: as root, the server runs as the postgres user.
if [ "$(id -u)" -eq 0 ]; then
  as_owner() { runuser -u postgres -- "$@"; }
else
  as_owner() { "$@"; }
fi

port_free() {
  # Nothing listening on it, on any address (ss lists listeners; bash's /dev/tcp would connect).
  ! ss -Htln "sport = :$1" 2>/dev/null | grep -q .
}

# A free port in 55000-59999, other than $1 when given (a port just picked for another server).
pick_port() {
  local p
  for _ in $(seq 1 200); do
    p=$((55000 + RANDOM % 5000))
    if port_free "$p" && [ "$p" != "${1:-}" ]; then echo "$p"; return 0; fi
  done
  echo "$0: no free port in 55000-59999" >&2
  return 1
}
