#!/usr/bin/env bash
# Benchmark of the reader library in a browser: a large archive unpacked,
# then its index.html opened, searched and filtered in headless Chromium.
#
#     bench_reader.sh [--items N] [--keep DIR] [SCRATCH]
#
# Generates N items (default 20,000; tests/bench/gen_corpus.py), adds them
# to a fresh archive, times `samvydav unpack` of it, then runs
# bench_reader.mjs on the library, which prints for a desktop window and a
# phone-sized one: DOMContentLoaded and load of index.html, the time from
# a typed query (cold, then warm), a prefix, a filter and clearing them to
# the rows being updated and painted, and the longest main-thread task
# (PerformanceObserver "longtask") during each.
#
# SVD_READER_LIBRARY=DIR skips the archive and unpack and measures an
# existing library. SVD_READER_ARGS passes options to bench_reader.mjs
# (e.g. "--cpu-slowdown 4 --query херсон"). Needs chromium, node and
# tests/browser/node_modules (npm ci --prefix tests/browser).
# This prints figures; it is not a test and is not run by ctest.
set -euo pipefail
usage_lines=5,5
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
B=$here/../browser

command -v node >/dev/null || { echo "bench: node is needed (apt-get install nodejs npm)" >&2; exit 1; }
[ -d "$B/node_modules/playwright-core" ] || {
	echo "bench: run 'npm ci --prefix tests/browser' first" >&2
	exit 1
}

if [ -n "${SVD_READER_LIBRARY:-}" ]; then
	# shellcheck disable=SC2086
	exec node "$here/bench_reader.mjs" "$SVD_READER_LIBRARY" ${SVD_READER_ARGS:-}
fi

. "$here/lib.sh"

corpus
A=$W/archive
"$SVD_BIN" init "$A" >/dev/null
"$SVD_BIN" key generate --no-passphrase -o "$W/editor.key" -p "$W/editor.pub" >/dev/null
"$SVD_BIN" -C "$A" trust add "$W/editor.pub" >/dev/null
echo "== samvydav add --from ($items items, one commit)"
timed add "$SVD_BIN" -C "$A" add --from "$W/corpus" --key "$W/editor.key" </dev/null
echo "   $wall_add s, peak RSS $(mib "$rss_add") MiB"
echo "== samvydav unpack (the library)"
timed unpack "$SVD_BIN" -C "$A" unpack "$A" -o "$W/library" -q </dev/null
echo "   $wall_unpack s, peak RSS $(mib "$rss_unpack") MiB; library $(du -sh "$W/library" | cut -f1)," \
	"index.html $(du -h "$W/library/index.html" | cut -f1), search/ $(du -sh "$W/library/search" | cut -f1)"

# shellcheck disable=SC2086
node "$here/bench_reader.mjs" "$W/library" ${SVD_READER_ARGS:-}
load_line
