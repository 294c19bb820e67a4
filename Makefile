# The two commands: `make run` and `make test`. Everything else is plumbing.
# Builds go through CMake + Ninja into build/ (plain), build-asan/ (ASan+UBSan)
# and build-fuzz/ (clang, libFuzzer).

JOBS        ?= $(shell nproc)
CMAKE_GEN   ?= -G Ninja
FUZZ_SECONDS ?= 30
DB          ?= var/lienthong.db

.PHONY: all deps build build-asan build-fuzz test test-unit test-asan fuzz run bench clean format web test-browser clean-web

all: build

deps:
	@scripts/deps

build: deps web
	@cmake -S . -B build $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build build -j $(JOBS)

build-asan: deps
	@cmake -S . -B build-asan $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=Debug -DLT_SANITIZE=ON >/dev/null
	@cmake --build build-asan -j $(JOBS)

build-fuzz: deps
	@CC=clang cmake -S . -B build-fuzz $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=RelWithDebInfo \
		-DLT_SANITIZE=ON -DLT_FUZZ=ON -DLT_TESTS=OFF >/dev/null
	@cmake --build build-fuzz -j $(JOBS)

# Every test, in the plain build and again under the sanitizers, then a short
# fuzz run of every parser.
test: build build-asan
	@cd build && ctest --output-on-failure -j $(JOBS)
	@cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ctest --output-on-failure -j $(JOBS)
	@$(MAKE) --no-print-directory test-browser
	@$(MAKE) --no-print-directory fuzz FUZZ_SECONDS=$(or $(TEST_FUZZ_SECONDS),10)

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

web/node_modules/.package-lock.json: web/package-lock.json web/package.json
	@command -v npm >/dev/null || { echo "make web: npm (Node.js) is needed to fetch the web libraries" >&2; exit 1; }
	@npm ci --prefix web --no-audit --no-fund --loglevel=error
	@touch $@

web/vendor/chart.umd.min.js: web/node_modules/.package-lock.json
	@mkdir -p web/vendor
	@cp web/node_modules/chart.js/dist/chart.umd.min.js $@

# Browser tests: playwright-core (tests/browser/package-lock.json) drives
# Debian's chromium against a daemon of their own; SCREENSHOTS=1 also renews
# the pictures in docs/img/.
tests/browser/node_modules/.package-lock.json: tests/browser/package-lock.json tests/browser/package.json
	@command -v npm >/dev/null || { echo "make test-browser: npm (Node.js) is needed" >&2; exit 1; }
	@npm ci --prefix tests/browser --no-audit --no-fund --loglevel=error
	@touch $@

test-browser: build tests/browser/node_modules/.package-lock.json
	@scripts/deps --browser
	@node tests/browser/run.mjs

clean-web:
	rm -rf web/vendor web/node_modules tests/browser/node_modules

run: build
	@LIENTHONG_DB=$(DB) scripts/run

bench: build
	@scripts/deps --bench
	@bench/run

clean:
	rm -rf build build-asan build-fuzz

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

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
