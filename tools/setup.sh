#!/usr/bin/env bash
# Installs the Debian packages wbe needs, but only those that are missing, so that a
# second run costs a dpkg query and nothing else. Used by `make demo` and `make test`.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config ccache
  libeigen3-dev libboost-math-dev libhdf5-dev libyaml-cpp-dev
  libdeflate-dev   # the store's chunks are deflated by wbe itself, on every core (hdf5_store.cpp)
  libhwy-dev       # Highway's vqsort: Kaplan–Meier sorts its detected values with it (kaplan_meier.cpp)
  libgtest-dev libbenchmark-dev pybind11-dev python3-dev
  libcli11-dev libfmt-dev libfast-float-dev libxxhash-dev
  python3-numpy python3-h5py python3-pytest python3-pandas python3-tables
  python3-matplotlib python3-hypothesis python3-yaml python3-statsmodels
  clang-14 libclang-rt-14-dev   # make fuzz: clang and its libFuzzer/sanitizer runtimes (not pulled in by clang-14)
  chromium   # headless rendering of `wbe report` in tests/python/test_report.py
)

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
  [ "$status" = "installed" ] || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "wbe setup: installing ${missing[*]}"
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
