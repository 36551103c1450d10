#!/usr/bin/env bash
# Install the Debian packages that samvydav's build and tests need.
# Safe to run again; does nothing that is not needed. Needs root (or sudo).
set -euo pipefail

packages=(
	# build
	build-essential cmake pkg-config
	# libraries (see ../shared/DESIGN.md, "Dependencies")
	libgit2-dev libsodium-dev libjansson-dev libarchive-dev libzstd-dev libmicrohttpd-dev
	libcmark-dev
	# tests (groff renders the man pages in docs.sh)
	libcmocka-dev git minisign python3 groff-base zstd tar curl
	# sanitizer runtime for the ASan/UBSan build
	libasan8 libubsan1
	# fuzzing (libFuzzer) and memcheck of the CLI scenarios
	clang libclang-rt-14-dev valgrind
	# benchmarks: peak memory through GNU time
	time
	# the reader library in a browser (tests/cli/browser.sh): Debian's headless
	# Chromium, driven by playwright-core from npm (tests/browser; node 18 is enough)
	chromium nodejs
)
# a node from elsewhere (NodeSource) brings its own npm; Debian's would clash with it
command -v npm >/dev/null || packages+=(npm)

missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
	exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
	sudo="sudo"
fi
echo "setup: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
