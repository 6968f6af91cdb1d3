#!/bin/sh
# make run: a store with demo data (created once), then serve it.
set -eu
kite="$BUILD/src/kite"
if [ ! -f "$DB" ]; then
  echo "Creating $DB with the facility directory and demo accounts..."
fi
"$kite" demo --db "$DB"
echo
echo "Open http://$LISTEN in your browser.  Stop with Ctrl-C."
echo
exec "$kite" serve --db "$DB" --listen "$LISTEN"
