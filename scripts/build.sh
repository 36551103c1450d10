#!/usr/bin/env bash
# Configure and build into a folder: build.sh [BUILD_DIR] [extra cmake options...]
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-build}
shift || true
cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSVD_WERROR=ON "$@" >/dev/null
cmake --build "$dir" -j "$(nproc)"
