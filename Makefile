# The two commands: `make run` and `make test`. Everything else is plumbing.
# Builds go through CMake + Ninja into build/ (plain), build-asan/ (ASan+UBSan),
# build-tsan/ (ThreadSanitizer) and build-fuzz/ (clang, libFuzzer).

JOBS        ?= $(shell nproc)
CMAKE_GEN   ?= -G Ninja
FUZZ_SECONDS ?= 30
DB          ?= var/lienthong.db

.PHONY: all deps deps-browser build build-asan build-tsan build-fuzz test test-unit test-asan test-tsan fuzz run bench \
	clean format check-format web test-browser clean-web

all: build

deps:
	@scripts/deps

deps-browser:
	@scripts/deps --browser

build: deps web
	@cmake -S . -B build $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build build -j $(JOBS)

build-asan: deps
	@cmake -S . -B build-asan $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=Debug -DLT_SANITIZE=ON >/dev/null
	@cmake --build build-asan -j $(JOBS)

# ThreadSanitizer cannot share a binary with ASan, so it has a build of its own.
build-tsan: deps
	@cmake -S . -B build-tsan $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLT_TSAN=ON >/dev/null
	@cmake --build build-tsan -j $(JOBS)

build-fuzz: deps
	@CC=clang cmake -S . -B build-fuzz $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=RelWithDebInfo \
		-DLT_SANITIZE=ON -DLT_FUZZ=ON -DLT_TESTS=OFF >/dev/null
	@cmake --build build-fuzz -j $(JOBS)

# Every test, in the plain build and again under the sanitizers, the threaded
# ones under ThreadSanitizer, then a short fuzz run of every parser.
test: build build-asan
	@cd build && ctest --output-on-failure -j $(JOBS)
	@cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ctest --output-on-failure -j $(JOBS)
	@$(MAKE) --no-print-directory test-tsan
	@$(MAKE) --no-print-directory test-browser
	@$(MAKE) --no-print-directory fuzz FUZZ_SECONDS=$(or $(TEST_FUZZ_SECONDS),10)

# The tests whose threads share memory: the store's reader pool, concurrent registry writers and the group
# commit, the conformance suite's racing writers and streaming lists on both backends (cmocka), the daemon's worker threads under concurrent clients and
# the signature verifier's gate (integration). setarch -R turns address randomisation off for the run,
# because TSan's fixed shadow layout fails on kernels that randomise mmap
# with more bits than it expects; tests/tsan.supp holds the reports proven false.
TSAN_TESTS = ^(unit/test_store|unit/test_store_conformance|unit/test_store_conformance_pg|unit/test_ctx|unit/test_exchange|integration/test_exchange_durability|integration/test_daemon_abuse|integration/test_daemon_api|integration/test_signatures|unit/test_ops|integration/test_ops_catchup|integration/test_inbox_longpoll|integration/test_exchange_commit|integration/test_exchange_body_sync|integration/test_federation)$$
test-tsan: build-tsan
	@cd build-tsan && TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 suppressions=$(CURDIR)/tests/tsan.supp" \
		setarch "$$(uname -m)" -R ctest --output-on-failure -j $(JOBS) -R '$(TSAN_TESTS)'

# Runs every libFuzzer target for FUZZ_SECONDS seconds each, from its corpus.
fuzz: build-fuzz
	@for t in build-fuzz/tests/fuzz/fuzz_*; do \
		name=$$(basename $$t); mkdir -p build-fuzz/corpus/$$name; \
		seeds=tests/fuzz/corpus/$$name; [ -d $$seeds ] || seeds=; \
		echo "fuzz: $$name for $(FUZZ_SECONDS)s"; \
		$$t -max_total_time=$(FUZZ_SECONDS) -print_final_stats=0 -artifact_prefix=build-fuzz/$$name- \
			build-fuzz/corpus/$$name $$seeds 2>build-fuzz/$$name.log \
			|| { tail -50 build-fuzz/$$name.log; exit 1; }; \
		grep -E '^(#[0-9]+[[:space:]]+DONE|Done)' build-fuzz/$$name.log | tail -1; \
	done

# The web interface's libraries come from npm, pinned by web/package-lock.json,
# and are copied into web/vendor/ (not committed), where lienthongd serves
# them: nothing is loaded from outside the hub at run time. npm runs only when
# web/node_modules is missing or the lock changed.
WEB_VENDOR = web/vendor/chart.umd.min.js

web: $(WEB_VENDOR)

# scripts/deps (order-only: it never makes the lock look stale) brings npm
# onto a machine that lacks it before npm is needed.
web/node_modules/.package-lock.json: web/package-lock.json web/package.json | deps
	@npm ci --prefix web --no-audit --no-fund --loglevel=error
	@touch $@

web/vendor/chart.umd.min.js: web/node_modules/.package-lock.json
	@mkdir -p web/vendor
	@cp web/node_modules/chart.js/dist/chart.umd.min.js $@

# Browser tests: playwright-core (tests/browser/package-lock.json) drives
# Debian's chromium against a daemon of their own; SCREENSHOTS=1 also renews
# the pictures in docs/img/.
tests/browser/node_modules/.package-lock.json: tests/browser/package-lock.json tests/browser/package.json | deps-browser
	@npm ci --prefix tests/browser --no-audit --no-fund --loglevel=error
	@touch $@

test-browser: build deps-browser tests/browser/node_modules/.package-lock.json
	@node tests/browser/run.mjs

clean-web:
	rm -rf web/vendor web/node_modules tests/browser/node_modules

run: build
	@LIENTHONG_DB=$(DB) scripts/run

bench: build
	@scripts/deps --bench
	@bench/run

clean:
	rm -rf build build-asan build-tsan build-fuzz

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

# Fails, naming each file, when clang-format would change a C file (CI runs it).
check-format:
	@scripts/check-format

# ---- installing, and the Debian package (docs/operations.md) ----
# make install PREFIX=/usr DESTDIR=/tmp/stage: the binaries, the web UI, the
# data tables, docs, man pages, the default configuration (kept when one
# exists) and the systemd unit. make deb: a .deb in dist/, built with
# dpkg-deb from a tree staged the same way (PREFIX=/usr, /etc/lienthong,
# /lib/systemd/system, the state in /var/lib/lienthong).
PREFIX     ?= /usr/local
DESTDIR    ?=
SYSCONFDIR ?= $(if $(filter /usr,$(PREFIX)),/etc,$(PREFIX)/etc)
STATEDIR   ?= /var/lib/lienthong
UNITDIR    ?= $(PREFIX)/lib/systemd/system

.PHONY: install deb

install: build
	@DESTDIR="$(DESTDIR)" PREFIX="$(PREFIX)" SYSCONFDIR="$(SYSCONFDIR)" STATEDIR="$(STATEDIR)" \
		UNITDIR="$(UNITDIR)" scripts/install build

deb: build
	@scripts/deb build dist
