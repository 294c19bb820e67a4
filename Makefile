# The two commands: `make run` and `make test`. Everything else is plumbing.
# Builds go through CMake + Ninja into build/ (plain), build-asan/ (ASan+UBSan)
# and build-fuzz/ (clang, libFuzzer).

JOBS        ?= $(shell nproc)
CMAKE_GEN   ?= -G Ninja
FUZZ_SECONDS ?= 30
DB          ?= var/lienthong.db

.PHONY: all deps build build-asan build-fuzz test test-unit test-asan fuzz run bench clean format

all: build

deps:
	@scripts/deps

build: deps
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

run: build
	@LIENTHONG_DB=$(DB) scripts/run

bench: build
	@scripts/deps --bench
	@bench/run

clean:
	rm -rf build build-asan build-fuzz

format:
	clang-format -i $$(git ls-files '*.c' '*.h')
