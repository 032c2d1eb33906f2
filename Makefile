# Thin entry points. Everything real lives in CMake; this file only chains
# "install what is missing" → "configure once" → "build" → "run".
#
#   make demo   run the embedded example city end to end (build/bin/wbe run)
#   make test   run every test: GoogleTest via CTest, then pytest
#   make bench  run the benchmarks against their numpy peers
#   make sanitize  the GoogleTest suite built with -fsanitize=address,undefined (build-asan/)
#   make fuzz      every libFuzzer target for FUZZ_SECONDS on its seed corpus (build-fuzz/)

BUILD   ?= build
CONFIG  ?= Release
PYTHON  := /usr/bin/python3
JOBS    ?= $(shell nproc)

.PHONY: all setup configure build demo test bench sanitize fuzz clean

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

test: build
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS)
	@PYTHONPATH=$(CURDIR)/$(BUILD)/python WBE_BUILD_DIR=$(CURDIR)/$(BUILD) \
	  $(PYTHON) -m pytest -q tests/python

bench: build
	@$(PYTHON) bench/run.py --build $(BUILD)

# Sanitizers (issue 8; tests/fuzz/README.md). GCC builds the GoogleTest suite with ASan and UBSan,
# any report failing its test; clang-14 builds the libFuzzer targets. -O1 -g: usable stack
# traces at a bearable speed. Each has its own build directory, configured once.
SAN_BUILD    ?= build-asan
FUZZ_BUILD   ?= build-fuzz
FUZZ_SECONDS ?= 60
FUZZ_JOBS    ?= 1
SAN_CMAKE    := -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g" \
  -DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DWBE_BUILD_BENCH=OFF -DWBE_BUILD_PYTHON=OFF

$(SAN_BUILD)/build.ninja:
	@cmake -S . -B $(SAN_BUILD) $(SAN_CMAKE) -DWBE_SANITIZE=ON

$(FUZZ_BUILD)/build.ninja:
	@cmake -S . -B $(FUZZ_BUILD) $(SAN_CMAKE) -DWBE_FUZZ=ON -DWBE_BUILD_TESTS=OFF \
	  -DCMAKE_C_COMPILER=clang-14 -DCMAKE_CXX_COMPILER=clang++-14

sanitize: setup $(SAN_BUILD)/build.ninja
	@cmake --build $(SAN_BUILD) -j $(JOBS)
	@cd $(SAN_BUILD) && UBSAN_OPTIONS=print_stacktrace=1 ctest --output-on-failure -j $(JOBS)

fuzz: setup $(FUZZ_BUILD)/build.ninja
	@cmake --build $(FUZZ_BUILD) -j $(JOBS) --target wbe_fuzzers
	@bash tests/fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_SECONDS) $(FUZZ_JOBS)

clean:
	@rm -rf $(BUILD)
