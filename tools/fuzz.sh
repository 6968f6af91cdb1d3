#!/bin/bash
# make fuzz: builds the libFuzzer drivers in fuzz/ with clang (its own build folder, ASan + UBSan +
# libFuzzer's coverage) and runs each for a bounded time, then prints per driver its executions,
# executions per second and crashes, and a summary line.  Not part of make test.
#
#   FUZZ_SECONDS=60      seconds per driver
#   FUZZ_RUNS=N          stop a driver after N executions instead (whichever comes first)
#   FUZZ_JOBS=2          run each driver as that many processes at once (one per core), on one
#                        corpus; their executions add up (a slow driver reaches its count sooner)
#   FUZZ_DRIVERS="lang csv"   only these drivers (default: every driver in fuzz/meson.build)
#   FUZZ_BUILD=build-fuzz
#
# Each driver starts from its seeds (fuzz/corpus/DRIVER, in git) and the corpus it grew before
# (FUZZ_BUILD/corpus/DRIVER, never in git).  A crash stops that driver; the input that made it is
# FUZZ_BUILD/artifacts/DRIVER/crash-* and its report is in FUZZ_BUILD/logs/DRIVER.log.  Exit status
# 1 when any driver crashed.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
B=${FUZZ_BUILD:-build-fuzz}
SECONDS_EACH=${FUZZ_SECONDS:-60}
RUNS=${FUZZ_RUNS:-}
JOBS=${FUZZ_JOBS:-1}
# Debian's clang-14: libFuzzer comes with libclang-rt-14-dev (tools/install-deps.sh fuzz).
CC_FUZZ=${CC_FUZZ:-clang-14}

if [ ! -f "$B/build.ninja" ]; then
  # -fsanitize=fuzzer-no-link: libkite is compiled with the fuzzer's coverage; the drivers link
  # libFuzzer itself (fuzz/meson.build).  -Wno-format-nonliteral: clang, unlike gcc, warns on the
  # vsnprintf in Kite's own printf-like helpers, which carry the format attribute.
  CC=$CC_FUZZ meson setup "$B" --buildtype=debugoptimized -Dfuzzing=true -Db_sanitize=address,undefined \
    -Db_lundef=false -Dc_args="-fsanitize=fuzzer-no-link -fno-sanitize-recover=undefined -Wno-format-nonliteral" \
    >/dev/null || { echo "fuzz: meson setup failed"; exit 1; }
fi
# Only the drivers and what they link: the unit tests and benches are make test's and make bench's.
if ! ninja -C "$B" fuzzers >"$B/build.log" 2>&1; then
  cat "$B/build.log"
  echo "fuzz: build failed"
  exit 1
fi

drivers=${FUZZ_DRIVERS:-$(sed -n "s/^fuzz_drivers = \[\(.*\)\]/\1/p" fuzz/meson.build | tr -d "',")}
mkdir -p "$B/logs"
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export KITE_DATA_DIR="$PWD/data"
total_runs=0
total_crashes=0
printf '%-16s %14s %10s %8s\n' driver executions exec/s crashes
for d in $drivers; do
  corpus="$B/corpus/$d"
  artifacts="$B/artifacts/$d"
  mkdir -p "$corpus" "$artifacts"
  extra=()
  case $d in
    # The server's threads allocate while an input runs, so libFuzzer's per-input leak check
    # would blame the wrong input; leaks there are make test's (ASan's exit check) to find.
    api) extra+=(-detect_leaks=0) ;;
    # Rows are checked one by one, so a 1 KiB file (30-40 rows: duplicates, a bad row between good
    # ones, every column) reaches what a longer one does; uncapped, libFuzzer grows inputs to 4 KiB
    # and each execution writes and reads back hundreds of rows twice, a tenth of the rate.
    roster) extra+=(-max_len=1024) ;;
  esac
  [ -n "$RUNS" ] && extra+=("-runs=$((RUNS / JOBS + (RUNS % JOBS > 0)))")
  run_started="$B/logs/$d.started"
  touch "$run_started"
  # JOBS copies of the driver at once, on one corpus folder: each adds what it finds there, and
  # -reload (libFuzzer's default, every 10 s) gives it to the others.  Their executions add up.
  logs=()
  pids=()
  for j in $(seq 1 "$JOBS"); do
    log="$B/logs/$d.log"
    [ "$JOBS" -gt 1 ] && log="$B/logs/$d.$j.log"
    logs+=("$log")
    "$B/fuzz/fuzz_$d" -max_total_time="$SECONDS_EACH" -timeout=30 -rss_limit_mb=4096 -print_final_stats=1 \
      -artifact_prefix="$artifacts/" "${extra[@]}" "$corpus" "fuzz/corpus/$d" >"$log" 2>&1 &
    pids+=($!)
  done
  runs=0
  rate=0
  crashes=0
  for j in "${!pids[@]}"; do
    wait "${pids[$j]}"
    code=$?
    log=${logs[$j]}
    job_runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    job_rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    runs=$((runs + ${job_runs:-0}))
    rate=$((rate + ${job_rate:-0}))
    # A crash, a sanitizer report, a timeout, or running out of memory: libFuzzer stops at the first.
    job_crashes=$(grep -a -c -E '^==[0-9]+== ?ERROR: |^SUMMARY: (libFuzzer|AddressSanitizer|UndefinedBehaviorSanitizer)' "$log")
    # Stopped by hand (SIGINT): libFuzzer prints its statistics and exits non-zero; that is no crash.
    interrupted=$(grep -a -c 'libFuzzer: run interrupted' "$log")
    [ "$code" -ne 0 ] && [ "$job_crashes" -eq 0 ] && [ "$interrupted" -eq 0 ] && job_crashes=1
    if [ "$job_crashes" -ne 0 ]; then
      crashes=1 # one report prints both lines
      echo "  see $log"
    fi
  done
  printf '%-16s %14s %10s %8s\n' "$d" "$runs" "$rate" "$crashes"
  if [ "$crashes" -ne 0 ]; then
    # Only an input this run wrote: older ones stay in the folder until someone removes them.
    echo "  the input: $(find "$artifacts" -type f -newer "$run_started" | head -1)"
  fi
  total_runs=$((total_runs + ${runs:-0}))
  total_crashes=$((total_crashes + crashes))
done
echo "fuzz: $(echo "$drivers" | wc -w) drivers, $total_runs executions, $total_crashes crashes (${SECONDS_EACH} s each, $JOBS process(es) per driver)"
[ "$total_crashes" -eq 0 ]
