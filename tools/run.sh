#!/bin/sh
# make run: a store with demo data (created once), a sandbox card processor on
# loopback, then serve it.  The sandbox is stopped when Kite stops.
set -eu
kite="$BUILD/src/kite"
PROCESSOR_LISTEN=${PROCESSOR_LISTEN:-127.0.0.1:8090}
if [ ! -f "$DB" ]; then
  echo "Creating $DB with the facility directory and demo accounts..."
fi
"$kite" demo --db "$DB"

"$kite" processor-sandbox --listen "$PROCESSOR_LISTEN" --slow-ms 15000 &
sandbox=$!
stop_sandbox() { kill "$sandbox" 2>/dev/null || true; wait "$sandbox" 2>/dev/null || true; }
trap stop_sandbox EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

echo
echo "Open http://$LISTEN in your browser.  Stop with Ctrl-C."
echo "Payments go to the sandbox processor on http://$PROCESSOR_LISTEN: add money to a family's"
echo "wallet with test card 4242 4242 4242 4242 (any future expiry, any 3-digit CVC)."
echo
"$kite" serve --db "$DB" --listen "$LISTEN" --processor "http://$PROCESSOR_LISTEN"
