# Kite: the conventional entry points.  Meson + ninja do the building.
#   make        build build/src/kite (and link ./kite-bin for convenience: no)
#   make run    build, create kite.db with demo data if missing, serve on http://127.0.0.1:8080
#   make test   build with AddressSanitizer + UBSan and run every test
#   make bench  build optimised and run the benchmarks in bench/: Kite and its peers in one table
#   make bench-quick  the same table on smaller stores and windows, under 3 minutes
#   make deb    the Debian package; make deb-test installs it, starts it as the unit would, purges it
#   make fuzz   build the libFuzzer drivers in fuzz/ with clang and run each FUZZ_SECONDS (60) s

BUILD      ?= build
TEST_BUILD ?= build-test
BENCH_BUILD ?= build-bench
FUZZ_BUILD ?= build-fuzz
DB         ?= kite.db
LISTEN     ?= 127.0.0.1:8080

.PHONY: all build run test deps deps-test deps-bench deps-fuzz bench bench-quick deb deb-test fuzz clean

all: build

deps:
	@tools/install-deps.sh build

deps-test:
	@tools/install-deps.sh test

# The bench's peers (Postfix); make test does not need them.  Without them (not root) the bench
# still runs, and its Postfix row says why it is missing.
deps-bench:
	@tools/install-deps.sh bench || tools/install-deps.sh build

# clang-14 and libFuzzer for make fuzz; make test does not need them.
deps-fuzz:
	@tools/install-deps.sh fuzz

build: deps
	@[ -f $(BUILD)/build.ninja ] || meson setup $(BUILD) --buildtype=debugoptimized >/dev/null
	@ninja -C $(BUILD) src/kite

run: build
	@DB=$(DB) LISTEN=$(LISTEN) BUILD=$(BUILD) tools/run.sh

test: deps-test
	@TEST_BUILD=$(TEST_BUILD) tools/test.sh

bench: deps-bench
	@BENCH_BUILD=$(BENCH_BUILD) tools/bench.sh full

bench-quick: deps-bench
	@BENCH_BUILD=$(BENCH_BUILD) tools/bench.sh quick

# The Debian package (build-deb/kite_VERSION_ARCH.deb), and its install, start and purge on this
# machine (root; outside make test: it changes the machine, then puts it back).
deb:
	@tools/deb.sh build

deb-test:
	@tools/deb.sh test

# Not part of make test: FUZZ_SECONDS per driver (60), FUZZ_RUNS, FUZZ_DRIVERS (see tools/fuzz.sh).
fuzz: deps-fuzz
	@FUZZ_BUILD=$(FUZZ_BUILD) tools/fuzz.sh

clean:
	rm -rf $(BUILD) $(TEST_BUILD) $(BENCH_BUILD) $(FUZZ_BUILD) build-deb
