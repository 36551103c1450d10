#!/usr/bin/env bash
# Install the Debian 12 packages that samvydav needs. Safe to run again: it
# installs only what is missing, and nothing at all when nothing is.
#
#   bash scripts/setup.sh           what building and running need (the main job)
#   bash scripts/setup.sh --tests   that, and the tools the tests run
#                                   (scripts/test.sh calls it so)
#
# Needs root, or sudo. apt's own output is shown, so a slow download is seen
# as one. docs/architecture.md says what each library is for.
set -euo pipefail

usage() {
	sed -n '2,9s/^# \{0,1\}//p' "$0"
}

tests=0
for arg in "$@"; do
	case $arg in
	--tests) tests=1 ;;
	-h | --help) usage; exit 0 ;;
	*) echo "setup.sh: unknown option '$arg'" >&2; usage >&2; exit 2 ;;
	esac
done

packages=(
	# the build: a C compiler, cmake, and the libraries of docs/architecture.md
	gcc libc6-dev make cmake pkg-config
	libgit2-dev libsodium-dev libjansson-dev libarchive-dev libzstd-dev libmicrohttpd-dev
	libcmark-dev libutf8proc-dev
	# Snowball's stemmers for the search's word forms (no pkg-config file:
	# CMakeLists.txt finds libstemmer.h and the library by name)
	libstemmer-dev
	# scripts/run.sh turns the sample corpus into items with python3
	python3
)
if [ "$tests" = 1 ]; then
	packages+=(
		# unit tests and the scenarios' stock tools (groff renders the man
		# pages in docs.sh, man finds installed ones, script(1) is in
		# bsdutils, flock in util-linux; jq is in the docs' examples)
		libcmocka-dev git minisign groff-base man-db zstd tar curl ca-certificates jq
		bsdutils util-linux procps
		# sanitizer runtime for the ASan/UBSan build
		libasan8 libubsan1
		# fuzzing (libFuzzer) and memcheck of the CLI scenarios
		clang libclang-rt-14-dev valgrind
		# benchmarks: peak memory through GNU time
		time
		# courier sticks as FAT32 images in plain files, made by mkfs.vfat
		# and read and written with mtools: no loop device, no mount
		# (tests/cli/stick_image.sh, the stick helpers of tests/cli/lib.sh)
		dosfstools mtools
		# the Unicode data the search folding table is generated from
		# (tests/cli/fold_table.sh runs archive-format/tools/gen_fold.py)
		unicode-data
		# nginx in front of samvydavd (tests/cli/daemon_nginx.sh runs the
		# configuration docs/operators.md gives); the tests start their own
		# nginx, not the system's (see below)
		nginx-light
		# the reader library in a browser (tests/cli/browser.sh): Debian's
		# headless Chromium, driven by playwright-core from npm; node alone
		# checks reader/lex.js against the C side (tests/cli/translit_js.sh)
		chromium nodejs
	)
	# a node from elsewhere (NodeSource) brings its own npm; Debian's would clash with it
	command -v npm >/dev/null || packages+=(npm)
fi

missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
	echo "setup: every package is installed" >&2
	exit 0
fi

# sudo resets the environment: the variable goes through env, inside it
sudo=()
if [ "$(id -u)" -ne 0 ]; then
	sudo=(sudo)
fi
echo "setup: installing ${#missing[@]} packages and what they depend on: ${missing[*]}" >&2
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update
had_nginx=0
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] && had_nginx=1
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
# Debian starts a newly installed nginx as the system's web server on port
# 80; the tests run their own on loopback, so a machine that had none is
# left with none running
if [ "$had_nginx" = 0 ] && [ -d /run/systemd/system ] && command -v systemctl >/dev/null &&
	systemctl is-enabled --quiet nginx 2>/dev/null; then
	echo "setup: nginx was installed for the tests only: stopping and disabling its system service" >&2
	"${sudo[@]}" systemctl disable --now nginx >&2 || true
fi
