# Thin entry points. Everything real lives in CMake; this file only chains
# "install what is missing" → "configure once" → "build" → "run".
#
#   make demo   run the embedded example city end to end (build/bin/wbe run)
#   make test   run every test: GoogleTest via CTest, then pytest
#   make bench  run the benchmarks against their numpy peers

BUILD   ?= build
CONFIG  ?= Release
PYTHON  := /usr/bin/python3
JOBS    ?= $(shell nproc)

.PHONY: all setup configure build demo test bench clean

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

clean:
	@rm -rf $(BUILD)
