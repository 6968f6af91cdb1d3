#!/bin/bash
# postfix_peer.sh COUNT [SESSIONS] - Postfix's durable accepts/s, Kite's peer in bench_run's table.
#
# A PRIVATE Postfix instance (Debian's package; tools/install-deps.sh bench installs it without
# configuring, starting or enabling the system's own): its config, queue and data folders in a
# temporary folder, smtpd on 127.0.0.1 and a free port, no chroot, and every message put on HOLD
# as it is accepted (smtpd_client_restrictions = check_client_access static:HOLD), so nothing is
# delivered and the queue keeps each message durably: Postfix's cleanup fsyncs the queue file
# before smtpd answers 250, as Kite commits (synchronous=FULL) before its 202.  smtp-source (in
# the package) sends COUNT 500-byte messages over SESSIONS (default 16) parallel sessions;
# accepts/s = COUNT / elapsed.  The hold queue is counted after the run: every message must be
# there.  The instance is stopped and its folder removed on exit (KEEP=1 keeps the folder).
#
# Prints one line: postfix count=N held=N seconds=S per_second=X
# Needs root (the master process runs as root and hands the queue to the postfix user).
set -euo pipefail
count=${1:?usage: postfix_peer.sh COUNT [SESSIONS]}
sessions=${2:-16}
if [ "$(id -u)" != 0 ]; then
  echo "postfix_peer: needs root (Postfix's master runs as root)"
  exit 1
fi
for tool in postfix smtp-source postconf; do
  command -v "$tool" >/dev/null 2>&1 || { echo "postfix_peer: $tool missing (tools/install-deps.sh bench installs postfix)"; exit 1; }
done
d=$(mktemp -d /tmp/kite-postfix-XXXXXX)
chmod 755 "$d"
started=""
cleanup() {
  if [ -n "$started" ]; then postfix -c "$d/etc" stop >/dev/null 2>&1 || true; fi
  # The master exits after its children; wait for it so the folder can go.
  for _ in $(seq 50); do [ -e "$d/spool/pid/master.pid" ] && kill -0 "$(tr -d ' ' <"$d/spool/pid/master.pid")" 2>/dev/null || break; sleep 0.1; done
  if [ "${KEEP:-0}" = 1 ]; then echo "postfix_peer: kept $d" >&2; else rm -rf "$d"; fi
}
trap cleanup EXIT
mkdir -p "$d/etc" "$d/spool" "$d/lib"
chown postfix "$d/lib"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

# master.cf: Debian's, with smtpd on 127.0.0.1:PORT only and no service chrooted (a chroot would
# need copies of /etc files in the queue folder).
awk -v listen="127.0.0.1:$port" '
  /^#/ || /^[ \t]/ || NF < 8 { print; next }
  $1 == "smtp" && $2 == "inet" { $1 = listen }
  { $5 = "n"; print }' /etc/postfix/master.cf >"$d/etc/master.cf"
cat >"$d/etc/main.cf" <<EOF
compatibility_level = 3.6
queue_directory = $d/spool
data_directory = $d/lib
meta_directory = /etc/postfix
mail_owner = postfix
setgid_group = postdrop
myhostname = bench.kite.invalid
mydomain = kite.invalid
myorigin = \$myhostname
mydestination =
relay_domains =
inet_interfaces = loopback-only
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtpd_client_restrictions = check_client_access static:HOLD
smtpd_recipient_restrictions = permit_mynetworks, reject
alias_maps =
alias_database =
local_recipient_maps =
smtpd_tls_security_level = none
smtp_tls_security_level = none
maillog_file_prefixes = $d
maillog_file = $d/maillog
default_process_limit = 100
smtpd_client_connection_count_limit = 0
smtpd_client_connection_rate_limit = 0
smtpd_client_message_rate_limit = 0
EOF
# postfix logs its own failures to syslog or a terminal only: run it under script(1) for them.
postfix -c "$d/etc" start >"$d/start.log" 2>&1 || { echo "postfix_peer: postfix did not start (script -qc 'postfix -c $d/etc start' /dev/null says why)"; KEEP=1; exit 1; }
started=1
for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done

t0=$(date +%s.%N)
smtp-source -s "$sessions" -l 500 -m "$count" -f bench@kite.invalid -t family@example.org "127.0.0.1:$port"
t1=$(date +%s.%N)
held=$(find "$d/spool/hold" -type f | wc -l)
seconds=$(python3 -c "print(f'{$t1 - $t0:.3f}')")
if [ "$held" -lt "$count" ]; then
  echo "postfix_peer: only $held of $count messages on hold; see $d/maillog"
  KEEP=1
  exit 1
fi
python3 -c "print(f'postfix count=$count held=$held seconds=$seconds per_second={$count / $seconds:.1f}')"
