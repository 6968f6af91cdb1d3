#!/bin/bash
# A throw-away Janus WebRTC server for the tests: Debian's `janus` package run by hand with a private
# configuration written under DIR (never /etc/janus, never the system service), so the video-visit
# tests meet a real media engine.  Everything it listens on is loopback: the HTTP API on 127.0.0.1
# (a free port, or the one given), the admin API on 127.0.0.1 with a random admin secret, ICE
# candidates on `lo` only and no STUN.  Only the videoroom plugin and the HTTP transport load:
# every other plugin, transport (websockets, rabbitmq, mqtt, nanomsg, pfunix), event handler and
# logger is disabled.  Every API call must carry the random api_secret and every room creation the
# videoroom's admin_key (the same random secret, DIR/secret): a process on the machine that does not
# know it cannot open a session, let alone a room.
#
# usage: tools/janus.sh start DIR [PORT]  write DIR/conf afresh, start janus, wait for /janus/info,
#                                         print the base URL http://127.0.0.1:PORT/janus
#        tools/janus.sh stop DIR          stop it; does nothing when stopped
#        tools/janus.sh url DIR           print the base URL of the one started in DIR
#        tools/janus.sh admin-url DIR     print its admin API's base URL (http://127.0.0.1:PORT+1/admin)
#        tools/janus.sh secret DIR        print its secret (api_secret, admin_secret, admin_key)
#
# It installs nothing (tools/install-deps.sh test does): without the janus binary it says so and fails.
set -euo pipefail

usage() { echo "usage: $0 start DIR [PORT] | stop DIR | url DIR | admin-url DIR | secret DIR" >&2; exit 2; }
[ $# -ge 2 ] || usage
cmd=$1
mkdir -p "$2"
DIR=$(cd "$2" && pwd)
JANUS=${JANUS_BIN:-$(command -v janus || true)}
# Debian's plugins live under the architecture's folder (/usr/lib/x86_64-linux-gnu/janus, /usr/lib/aarch64-linux-gnu/janus …).
LIBDIR=${JANUS_LIBDIR:-$(for d in /usr/lib/*/janus; do [ -d "$d/plugins" ] && { echo "$d"; break; }; done)}

port_free() { ! ss -Htln "sport = :$1" 2>/dev/null | grep -q .; }
pick_port() {
  local p
  for _ in $(seq 1 200); do
    p=$((50000 + RANDOM % 5000))
    if port_free "$p" && port_free "$((p + 1))"; then echo "$p"; return 0; fi
  done
  echo "$0: no free port in 50000-54999" >&2
  return 1
}

running() {
  [ -f "$DIR/pid" ] && kill -0 "$(cat "$DIR/pid")" 2>/dev/null
}

do_stop() {
  if running; then
    local pid
    pid=$(cat "$DIR/pid")
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$DIR/pid"
}

write_config() {
  local port=$1 admin_port=$2 secret=$3 conf=$DIR/conf
  rm -rf "$conf"
  mkdir -p "$conf"
  # Everything not named here keeps Janus's defaults; the list of disabled libraries is every one
  # Debian ships but the two Kite uses, so a newer package's extra plugin stays off too.
  local plugins transports events loggers
  plugins=$(cd "$LIBDIR/plugins" && ls lib*.so 2>/dev/null | grep -v '^libjanus_videoroom\.so$' | paste -sd, -)
  transports=$(cd "$LIBDIR/transports" && ls lib*.so 2>/dev/null | grep -v '^libjanus_http\.so$' | paste -sd, -)
  events=$(cd "$LIBDIR/events" 2>/dev/null && ls lib*.so 2>/dev/null | paste -sd, - || true)
  loggers=$(cd "$LIBDIR/loggers" 2>/dev/null && ls lib*.so 2>/dev/null | paste -sd, - || true)
  cat >"$conf/janus.jcfg" <<JCFG
# tools/janus.sh: a throw-away test instance; loopback only.
general: {
	configs_folder = "$conf"
	plugins_folder = "$LIBDIR/plugins"
	transports_folder = "$LIBDIR/transports"
	events_folder = "$LIBDIR/events"
	loggers_folder = "$LIBDIR/loggers"
	log_to_stdout = false
	log_to_file = "$DIR/janus.log"
	debug_level = 4
	api_secret = "$secret"
	admin_secret = "$secret"
	token_auth = false
	session_timeout = 60
	server_name = "kite-test-janus"
	interface = "127.0.0.1"
	protected_folders = ["/bin", "/boot", "/dev", "/etc", "/lib", "/proc", "/sbin", "/sys", "/usr", "/var"]
}
media: {
	rtp_port_range = "40000-49999"
}
nat: {
	nice_debug = false
	full_trickle = false
	ice_enforce_list = "lo"
	ipv6 = false
}
plugins: {
	disable = "$plugins"
}
transports: {
	disable = "$transports"
}
loggers: {
	disable = "$loggers"
}
events: {
	broadcast = false
	disable = "$events"
}
JCFG
  cat >"$conf/janus.transport.http.jcfg" <<JCFG
general: {
	json = "plain"
	base_path = "/janus"
	http = true
	port = $port
	ip = "127.0.0.1"
	https = false
}
admin: {
	admin_base_path = "/admin"
	admin_http = true
	admin_port = $admin_port
	admin_ip = "127.0.0.1"
	admin_https = false
}
cors: {
}
JCFG
  cat >"$conf/janus.plugin.videoroom.jcfg" <<JCFG
# No static rooms: Kite creates one per visit with a secret and pin of its own.
general: {
	admin_key = "$secret"
	lock_rtp_forward = true
	string_ids = false
}
JCFG
}

do_start() {
  local port=${1:-} admin_port secret attempt url
  [ -n "$JANUS" ] && [ -x "$JANUS" ] && [ -n "$LIBDIR" ] || {
    echo "$0: Janus was not found (apt-get install janus, or tools/install-deps.sh test)" >&2; exit 1; }
  do_stop
  rm -f "$DIR/url" "$DIR/admin-url" "$DIR/janus.log" "$DIR/janus.out"
  secret=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
  umask 077
  echo "$secret" >"$DIR/secret"
  for attempt in 1 2 3 4 5; do
    if [ -z "${1:-}" ]; then port=$(pick_port); fi
    admin_port=$((port + 1))
    write_config "$port" "$admin_port" "$secret"
    url="http://127.0.0.1:$port/janus"
    "$JANUS" -F "$DIR/conf" -C "$DIR/conf/janus.jcfg" >"$DIR/janus.out" 2>&1 </dev/null &
    echo $! >"$DIR/pid"
    for _ in $(seq 1 100); do
      running || break
      if curl -fsS -m 2 "$url/info" >/dev/null 2>&1; then
        echo "$url" >"$DIR/url"
        echo "http://127.0.0.1:$admin_port/admin" >"$DIR/admin-url"
        return 0
      fi
      sleep 0.1
    done
    # Most likely the port was taken between the check and the bind: try another one.
    do_stop
    tail -5 "$DIR/janus.log" "$DIR/janus.out" >&2 2>/dev/null || true
    [ -z "${1:-}" ] || break
  done
  echo "$0: janus would not start; logs: $DIR/janus.log $DIR/janus.out" >&2
  exit 1
}

case "$cmd" in
  start) do_start "${3:-}"; cat "$DIR/url" ;;
  stop) do_stop ;;
  url) [ -f "$DIR/url" ] || { echo "$0: no janus started in $DIR" >&2; exit 1; }; cat "$DIR/url" ;;
  admin-url) [ -f "$DIR/admin-url" ] || { echo "$0: no janus started in $DIR" >&2; exit 1; }; cat "$DIR/admin-url" ;;
  secret) [ -f "$DIR/secret" ] || { echo "$0: no janus started in $DIR" >&2; exit 1; }; cat "$DIR/secret" ;;
  *) usage ;;
esac
