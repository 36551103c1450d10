#!/usr/bin/env bash
# Build and run every test: once as released (warnings are errors), and once
# under AddressSanitizer and UndefinedBehaviorSanitizer. Exits non-zero if
# anything fails.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)

echo "== build (warnings as errors)"
bash scripts/build.sh build
echo "== tests"
(cd build && ctest --output-on-failure -j "$jobs")

echo "== build with -fsanitize=address,undefined"
bash scripts/build.sh build-sanitize -DSVD_SANITIZE=ON
echo "== tests under the sanitizers"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
(cd build-sanitize && ctest --output-on-failure -j "$jobs")
