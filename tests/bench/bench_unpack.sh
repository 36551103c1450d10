#!/usr/bin/env bash
# Benchmark of issue 5, "offline reading": samvydav unpack beside stock tar.
#
#     bench_unpack.sh [--items N] [--keep DIR] [SCRATCH]
#
# On a generated corpus (default 20,000 items, tests/bench/gen_corpus.py)
# added to an archive and exported as one bundle, it times
#   - samvydav unpack of the bundle into a reader library (every item
#     through the gate, pages, search data, one syncfs, a rename)
#   - tar --zstd -xf of the same bundle (stock, no checks, no sync)
# and prints both, the ratio (target: at most 1.5) and the library's size.
# Not a test.
set -euo pipefail

usage_lines=4,5
. "$(dirname "$0")/lib.sh"

corpus

echo "== archive and bundle"
A=$W/archive
"$SVD_BIN" init "$A" >/dev/null
"$SVD_BIN" key generate --no-passphrase -o "$W/editor.key" -p "$W/editor.pub" >/dev/null
"$SVD_BIN" -C "$A" trust add "$W/editor.pub" >/dev/null
"$SVD_BIN" -C "$A" add -q --from "$W/corpus" --key "$W/editor.key" </dev/null
"$SVD_BIN" -C "$A" export -q -o "$W/full.tar.zst"

echo "== tar --zstd -xf"
mkdir -p "$W/tarx"
timed tar tar --zstd -xf "$W/full.tar.zst" -C "$W/tarx"
rm -rf "$W/tarx"
echo "== samvydav unpack"
timed unpack "$SVD_BIN" unpack -q --trust "$W/editor.pub" "$W/full.tar.zst" -o "$W/library"
shown=$(grep -c '<tr data-n=' "$W/library/index.html")
[ "$shown" -eq "$items" ] || {
	echo "bench: the library shows $shown items, not $items" >&2
	exit 1
}

echo
echo "samvydav unpack bench, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $(uname -m), $(tar --version | head -n 1), $(zstd -V | head -n 1)"
load_line
printf '%d items, %.1f MiB of files, bundle %.1f MiB, library %.1f MiB (pages %.1f, search %.1f)\n' "$items" \
	"$(calc "$corpus_bytes / 1048576" 1)" "$(calc "$(stat -c %s "$W/full.tar.zst") / 1048576" 1)" \
	"$(calc "$(du -sb "$W/library" | cut -f1) / 1048576" 1)" "$(calc "$(du -sb "$W/library/pages" | cut -f1) / 1048576" 1)" \
	"$(calc "$(du -sb "$W/library/search" | cut -f1) / 1048576" 1)"
echo
fmt='%-34s %12s %12s %8s   %s\n'
r=$(calc "$wall_unpack / $wall_tar" 3)
printf "$fmt" "" "unpack" "tar -xf" "ratio" "target"
printf "$fmt" "wall (s)" "$wall_unpack" "$wall_tar" "$(calc "$r")" "<= 1.50  $(awk -v r="$r" 'BEGIN { print (r <= 1.5 ? "met" : "NOT MET") }')"
printf "$fmt" "peak RSS (MiB)" "$(mib "$rss_unpack")" "$(mib "$rss_tar")" "$(calc "$rss_unpack / $rss_tar")" ""
