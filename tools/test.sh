#!/bin/bash
# make test: build with AddressSanitizer + UndefinedBehaviorSanitizer, then run
# static analysis, the C unit tests and the black-box tests against the built
# binary, on SQLite and then on a throw-away PostgreSQL cluster.  The last line
# is the summary CI reads: "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
B=${TEST_BUILD:-build-test}
# Black-box test files run at once (node --test-concurrency); 1 runs them one after another.
BLACKBOX_FILES_AT_ONCE=${BLACKBOX_FILES_AT_ONCE:-4}
# Browser test files run at once.
WEB_FILES_AT_ONCE=${WEB_FILES_AT_ONCE:-2}
passed=0
failed=0
summary() { echo "$passed passed, $failed failed"; [ "$failed" -eq 0 ]; exit $?; }

# fault_injection: the store's test-only hook and the fault test that uses it (src/db/db.h).
if [ ! -f "$B/build.ninja" ]; then
  meson setup "$B" --buildtype=debug -Db_sanitize=address,undefined -Db_lundef=false -Dfault_injection=true \
    -Dc_args=-fno-sanitize-recover=all -Dc_link_args=-fno-sanitize-recover=all >/dev/null || { failed=1; summary; }
elif ! grep -q -e -DKITE_FAULT_INJECTION "$B/build.ninja"; then
  # A test build configured before the option existed: turn it on, or the fault test would silently not run.
  meson configure "$B" -Dfault_injection=true >/dev/null || { failed=1; summary; }
fi
if ! ninja -C "$B" >"$B/build.log" 2>&1; then
  cat "$B/build.log"
  echo "build failed"
  failed=1
  summary
fi

export ASAN_OPTIONS=abort_on_error=1:detect_leaks=1:strict_string_checks=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export KITE_DATA_DIR="$PWD/data"
# Every server and command the suites start hashes passwords and PINs at Argon2id's minimum cost
# (src/cli/common.c: a test-only setting, honoured only with KITE_ALLOW_TEST_CLOCK=1): at the real
# cost the hashing was a third of the suite's time.  The tests that need a real hash's duration
# ask for it (lifecycle.test.mjs); make bench measures sign-ins at the real cost.
export KITE_ALLOW_TEST_CLOCK=1 KITE_TEST_PASSWORD_COST=min

# A throw-away Janus (tools/janus.sh: loopback only, a private config under the build folder) for the
# video-visit tests: the C client's test, the black-box visit files and the browser visit test.  It
# runs for the whole suite and is stopped at the end, also when interrupted.
janus_dir="$B/janus"
stop_janus() { tools/janus.sh stop "$janus_dir" >/dev/null 2>&1 || true; }
stop_pg() { :; }
trap 'stop_janus; stop_pg' EXIT
trap 'stop_janus; stop_pg; exit 130' INT TERM
echo "== Janus (a throw-away instance in $janus_dir)"
if KITE_TEST_JANUS=$(tools/janus.sh start "$janus_dir" 2>"$B/janus-start.log"); then
  KITE_TEST_JANUS_SECRET=$(tools/janus.sh secret "$janus_dir")
  KITE_TEST_JANUS_ADMIN=$(tools/janus.sh admin-url "$janus_dir")
  export KITE_TEST_JANUS KITE_TEST_JANUS_SECRET KITE_TEST_JANUS_ADMIN
  echo "$KITE_TEST_JANUS"
  passed=$((passed + 1))
else
  cat "$B/janus-start.log"
  echo "Janus did not start: the video-visit tests will fail"
  failed=$((failed + 1))
fi

echo "== cppcheck"
# -D limits cppcheck to one configuration, so the files with test-only fault injection are checked
# a second time with it defined: both sides of every #ifdef KITE_FAULT_INJECTION are analysed.
cppcheck_run() {
  cppcheck --quiet --error-exitcode=1 --enable=warning,performance,portability --std=c11 \
    --suppress=missingIncludeSystem --inline-suppr -D_GNU_SOURCE -I src "$@"
}
if cppcheck_run src tests/unit bench fuzz &&
   cppcheck_run -DKITE_FAULT_INJECTION $(grep -rl KITE_FAULT_INJECTION src tests/unit); then
  passed=$((passed + 1))
else
  echo "cppcheck found problems"
  failed=$((failed + 1))
fi

echo "== structure (includes point down, file and function sizes, no strcmp on a state in domain/)"
if python3 tools/check-structure.py; then
  passed=$((passed + 1))
else
  failed=$((failed + 1))
fi

# The unit's hardening, scored by systemd itself (0 is closed, 10 is open): it must stay under 3.
echo "== systemd unit (systemd-analyze security --offline=true packaging/kite.service)"
if score=$(systemd-analyze security --offline=true --threshold=30 packaging/kite.service 2>&1); then
  printf '%s\n' "$score" | tail -1
  passed=$((passed + 1))
else
  printf '%s\n' "$score" | grep -v '^✓' | tail -40
  echo "the unit's exposure is 3.0 or more, or systemd-analyze could not read it"
  failed=$((failed + 1))
fi

echo "== unit tests (cmocka, under ASan+UBSan)"
programs=0
for t in "$B"/tests/test_*; do
  [ -f "$t" ] && [ -x "$t" ] || continue
  programs=$((programs + 1))
  out=$("$t" 2>&1)
  code=$?
  # A program may run several cmocka groups: add up every group's summary.
  p=$(printf '%s\n' "$out" | sed -n 's/^\[  PASSED  \] \([0-9]*\) test(s)\./\1/p' | awk '{s += $1} END {print s + 0}')
  f=$(printf '%s\n' "$out" | sed -n 's/^\[  FAILED  \] \([0-9]*\) test(s), listed below:/\1/p' | awk '{s += $1} END {print s + 0}')
  p=${p:-0}
  f=${f:-0}
  if [ "$code" -ne 0 ] && [ "$f" -eq 0 ]; then
    f=1 # crashed or a sanitizer stopped it
  fi
  if [ "$f" -ne 0 ]; then
    printf '%s\n' "$out"
  fi
  echo "$(basename "$t"): $p passed, $f failed"
  passed=$((passed + p))
  failed=$((failed + f))
done
# A build configured while cmocka was missing has no unit tests (tests/meson.build): say so, never pass quietly.
sources=$(ls tests/unit/test_*.c | wc -l)
if [ "$programs" -lt "$sources" ]; then
  echo "only $programs of $sources unit test programs were built: is libcmocka-dev installed? (rm -rf $B and run make test again)"
  failed=$((failed + 1))
fi

# Sets p and f from a node --test TAP log and the run's exit code, and prints the failures.
tap_counts() {
  local log=$1 code=$2 lines=$3
  p=$(sed -n 's/^# pass \([0-9]*\)$/\1/p' "$log" | tail -1)
  f=$(sed -n 's/^# fail \([0-9]*\)$/\1/p' "$log" | tail -1)
  p=${p:-0}
  f=${f:-0}
  if [ "$code" -ne 0 ] && [ "$f" -eq 0 ]; then
    f=1
  fi
  if [ "$f" -ne 0 ]; then
    grep -B2 -A30 '^not ok\|^    not ok' "$log" | head -"$lines"
  fi
}

# The black-box files, the longest first: started last, one of them would hold up the end of its
# phase while the other slots stand idle.
LONGEST_BLACKBOX="store-faults money-faults crash"
blackbox_files() {
  local n
  for n in $LONGEST_BLACKBOX; do echo "tests/blackbox/$n.test.mjs"; done
  ls tests/blackbox/*.test.mjs | grep -v -E "/($(echo "$LONGEST_BLACKBOX" | tr ' ' '|'))\.test\.mjs$"
}

echo "== black-box tests (node, against $B/src/kite)"
log="$B/blackbox.tap"
# Four test files at once: most of a black-box test's time is waiting (fsync, timers, a server
# starting), so the two cores stay busy; every file starts servers of its own on ports of their own
# (and on PostgreSQL databases of their own: the cluster takes 500 connections).
started=$SECONDS
KITE_BIN="$PWD/$B/src/kite" node --test --test-concurrency="$BLACKBOX_FILES_AT_ONCE" --test-reporter=tap \
  $(blackbox_files) >"$log" 2>&1
tap_counts "$log" $? 300
echo "black-box: $p passed, $f failed ($((SECONDS - started)) s)"
passed=$((passed + p))
failed=$((failed + f))

# The same suite on PostgreSQL: a throw-away cluster under the build folder (loopback only, its
# own port and socket, never the system service), every server on a database of its own there
# (tests/blackbox/lib/kite.mjs, KITE_TEST_PG).  It is stopped afterwards, also when interrupted.
echo "== black-box tests on PostgreSQL (a throw-away cluster in $B/pg)"
pg_dir="$B/pg"
stop_pg() { tools/pg-cluster.sh stop "$pg_dir" >/dev/null 2>&1 || true; }
log="$B/blackbox-pg.tap"
started=$SECONDS
if pg_url=$(tools/pg-cluster.sh start "$pg_dir" 2>"$B/pg-cluster.log"); then
  KITE_TEST_PG="$pg_url" KITE_BIN="$PWD/$B/src/kite" node --test --test-concurrency="$BLACKBOX_FILES_AT_ONCE" \
    --test-reporter=tap $(blackbox_files) >"$log" 2>&1
  tap_counts "$log" $? 300
else
  cat "$B/pg-cluster.log"
  echo "the PostgreSQL cluster did not start"
  p=0
  f=1
fi
stop_pg
echo "black-box (PostgreSQL): $p passed, $f failed ($((SECONDS - started)) s)"
passed=$((passed + p))
failed=$((failed + f))

echo "== web UI tests (Chromium through playwright-core)"
log="$B/web.tap"
started=$SECONDS
# Two files at once: each starts its own server (port 0) and browser; a page mostly waits on the
# server, the network idle and axe, so two keep both cores busier than one (WEB_FILES_AT_ONCE=1 runs
# them one after another).  The longest file goes first so it does not hold up the end.
KITE_BIN="$PWD/$B/src/kite" node --test --test-concurrency="$WEB_FILES_AT_ONCE" --test-reporter=tap \
  tests/web/every-page.test.mjs $(ls tests/web/*.test.mjs | grep -v '/every-page\.test\.mjs$') >"$log" 2>&1
tap_counts "$log" $? 200
echo "web UI: $p passed, $f failed ($((SECONDS - started)) s)"
passed=$((passed + p))
failed=$((failed + f))
stop_janus
summary
