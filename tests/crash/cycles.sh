#!/bin/bash
# tests/crash/cycles.sh [N]: N cycles (default 100) of kill -9 under a mixed
# load of paid requests (tests/blackbox/crash.test.mjs, which make test runs
# with 20), then its counts, one per line.
#
#   N          how many kill -9 and restarts (or CYCLES; default 100)
#   KITE_BIN   the kite to crash (default: build-test/src/kite when built, else build/src/kite)
#   KITE_TEST_PG  a PostgreSQL server URL: crash on PostgreSQL instead of SQLite
#
# Exit status: the test's (0 when every answered success was found whole and
# every verify passed).
set -uo pipefail
cd "$(dirname "$0")/../.."
if [ -z "${KITE_BIN:-}" ]; then
  if [ -x build-test/src/kite ]; then KITE_BIN=$PWD/build-test/src/kite; else KITE_BIN=$PWD/build/src/kite; fi
fi
export KITE_BIN KITE_DATA_DIR="${KITE_DATA_DIR:-$PWD/data}" KITE_CRASH_CYCLES="${1:-${CYCLES:-100}}"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
started=$(date +%s)
node --test tests/blackbox/crash.test.mjs >"$log" 2>&1
status=$?
counts=$(sed -n 's/^# crash-counts: //p' "$log" | head -1)
if [ -z "$counts" ]; then
  echo "crash: the test printed no counts; its output:" >&2
  cat "$log" >&2
  exit 1
fi
echo "crash test: $KITE_CRASH_CYCLES cycles of kill -9 with $KITE_BIN ($(($(date +%s) - started)) s)"
node -e '
const c = JSON.parse(process.argv[1]);
const rows = [
  ["cycles (kill -9, restart)", c.cycles],
  ["requests sent", c.sent],
  ["answered with success", c.answered_success],
  ["  of which found whole in the ledger", c.success_found],
  ["answered otherwise (402, 202 pending)", c.answered_other],
  ["unanswered (in flight at the kill)", c.unanswered],
  ["  found whole in the ledger", c.unanswered_found],
  ["  not found", c.unanswered_not_found],
  ["    of which a top-up pending (processor not heard)", c.unanswered_pending],
  ["top-ups still pending at the end, then settled by the sweeper", c.settled_by_sweeper],
  ["charges at the card processor", c.card_charges],
  ["  approved top-ups in the store (must be equal)", c.top_ups_approved],
  ["verify failures (ledger or audit)", c.verify_failures],
  ["answered with success, by paid request:", ""],
  ...Object.entries(c.success_by_row || {}).map(([name, n]) => [`  ${name}`, n]),
];
for (const [k, v] of rows) console.log(`${k.padEnd(62)} ${v}`);
' "$counts"
if [ "$status" -ne 0 ]; then
  echo "crash: FAILED; the test said:" >&2
  grep -v '^ *at ' "$log" | sed -n '/not ok/,$p' | head -60 >&2
fi
exit "$status"
