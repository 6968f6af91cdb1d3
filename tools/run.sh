#!/bin/sh
# make run: a store with demo data (created once), a sandbox card processor on
# loopback, then serve it.  The sandbox is stopped when Kite stops.
set -eu
kite="$BUILD/src/kite"
# The sandbox takes a free port unless PROCESSOR_LISTEN names one, so a busy 8090 never stops make run.
PROCESSOR_LISTEN=${PROCESSOR_LISTEN:-127.0.0.1:0}
if [ ! -f "$DB" ]; then
  echo "Creating $DB with the facility directory and demo accounts..."
fi
"$kite" demo --db "$DB"

out=$(mktemp)
"$kite" processor-sandbox --listen "$PROCESSOR_LISTEN" --slow-ms 15000 >"$out" &
sandbox=$!
stop_sandbox() { kill "$sandbox" 2>/dev/null || true; wait "$sandbox" 2>/dev/null || true; rm -f "$out"; }
trap stop_sandbox EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
processor=""
for _ in $(seq 100); do
  processor=$(sed -n 's/^kite: listening on //p' "$out")
  [ -n "$processor" ] && break
  kill -0 "$sandbox" 2>/dev/null || break
  sleep 0.1
done
if [ -z "$processor" ]; then
  echo "make run: the sandbox card processor did not start on $PROCESSOR_LISTEN" >&2
  exit 1
fi
PROCESSOR_LISTEN=${processor#http://}

echo
echo "Open http://$LISTEN in your browser.  Stop with Ctrl-C."
echo "Payments go to the sandbox processor on http://$PROCESSOR_LISTEN: add money to a family's"
echo "wallet with test card 4242 4242 4242 4242 (any future expiry, any 3-digit CVC)."
echo
"$kite" serve --db "$DB" --listen "$LISTEN" --processor "http://$PROCESSOR_LISTEN"
