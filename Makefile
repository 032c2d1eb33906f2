# Thin entry points. Everything real lives in CMake; this file only chains
# "install what is missing" → "configure once" → "build" → "run".
#
#   make demo   run the embedded example city end to end (build/bin/wbe run)
#   make test   every test: `make check`, then `make sanitize`, then `make fuzz` for
#               TEST_FUZZ_SECONDS per target (what CI runs: .ci/run)
#   make check  the quick loop: GoogleTest via CTest, then pytest (build/)
#   make bench  run the benchmarks against their numpy peers
#   make sanitize  the GoogleTest suite built with -fsanitize=address,undefined (build-san/)
#   make fuzz      every libFuzzer target for FUZZ_SECONDS on its seed corpus (build-san/)

BUILD   ?= build
# ccache hits across clones and build directories: paths under the clone are hashed relative to
# it, and the working directory (which -g would hash) is left out. Headers are still hashed by
# content, so a generated header naming the clone's path keeps its objects apart.
export CCACHE_BASEDIR   := $(CURDIR)
export CCACHE_NOHASHDIR := 1
CONFIG  ?= Release
PYTHON  := /usr/bin/python3
JOBS    ?= $(shell nproc)

.PHONY: all setup configure build demo test check bench sanitize fuzz clean

all: build

setup:
	@bash tools/setup.sh

$(BUILD)/build.ninja:
	@cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=$(CONFIG) \
	  -DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_INTERPROCEDURAL_OPTIMIZATION=OFF

configure: setup $(BUILD)/build.ninja

build: configure
	@cmake --build $(BUILD) -j $(JOBS)

# The example store is the demo's own: a store left by an older engine is upgraded first.
# Then the HTML report of the example city (wbe report prints its path).
demo: build
	@if [ -f out/example.h5 ]; then $(BUILD)/bin/wbe migrate out/example.h5 >/dev/null; fi
	@$(BUILD)/bin/wbe run
	@$(BUILD)/bin/wbe report -o out/example-report.html

check: build
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS)
	@PYTHONPATH=$(CURDIR)/$(BUILD)/python WBE_BUILD_DIR=$(CURDIR)/$(BUILD) \
	  $(PYTHON) -m pytest -q tests/python

# Issue 8: the sanitizer suite and a bounded fuzzing run belong to every test run, CI included.
TEST_FUZZ_SECONDS ?= 20
test: check
	@$(MAKE) --no-print-directory sanitize
	@$(MAKE) --no-print-directory fuzz FUZZ_SECONDS=$(TEST_FUZZ_SECONDS) FUZZ_JOBS=$(JOBS)

bench: build
	@$(PYTHON) bench/run.py --build $(BUILD)

# Sanitizers (issue 8; tests/fuzz/README.md). One clang-14 build serves both: every target is
# compiled with ASan, UBSan and libFuzzer's coverage instrumentation, the GoogleTest suite runs
# in it with any report failing its test (the `compile` tests, which exercise the compiler, are
# left out), and the libFuzzer targets link libFuzzer's main. -O1 -g: usable stack traces at a
# bearable speed. Configured once; ccache keeps a second run fast.
SAN_BUILD    ?= build-san
FUZZ_SECONDS ?= 60
FUZZ_JOBS    ?= 1
SAN_CMAKE    := -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g" \
  -DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DWBE_BUILD_BENCH=OFF -DWBE_BUILD_PYTHON=OFF \
  -DWBE_FUZZ=ON -DCMAKE_C_COMPILER=clang-14 -DCMAKE_CXX_COMPILER=clang++-14

$(SAN_BUILD)/build.ninja:
	@cmake -S . -B $(SAN_BUILD) $(SAN_CMAKE)

sanitize: setup $(SAN_BUILD)/build.ninja
	@cmake --build $(SAN_BUILD) -j $(JOBS)
	@cd $(SAN_BUILD) && UBSAN_OPTIONS=print_stacktrace=1 ctest --output-on-failure -j $(JOBS) -LE compile

fuzz: setup $(SAN_BUILD)/build.ninja
	@cmake --build $(SAN_BUILD) -j $(JOBS) --target wbe_fuzzers
	@bash tests/fuzz/run.sh $(SAN_BUILD) $(FUZZ_SECONDS) $(FUZZ_JOBS)

clean:
	@rm -rf $(BUILD)
