#!/usr/bin/env bash
# Benchmark of issue 5, "offline reading": samvydav unpack beside stock tar.
#
#     bench_unpack.sh [--items N] [--keep DIR] [SCRATCH]
#
# On a generated corpus (default 20,000 items, tests/bench/gen_corpus.py)
# added to an archive and exported as one bundle, it times
#   - samvydav unpack of the bundle into a reader library (every item
#     through the gate, pages, search data, one syncfs, a rename)
#   - tar --zstd -xf of the same bundle (stock, no checks, no sync), and
#     the same followed by sync
# in three rounds, and prints the best of each, the ratio (target: at most
# 1.5) and the library's size.
# Both tools spend most of their time making files, and ext4 makes them
# several times slower for a while after many were removed: for figures
# that do not depend on what the disk went through before, give a fresh
# file system as SCRATCH, e.g.
#     truncate -s 40G fs.img && mkfs.ext4 -q -N 6000000 fs.img
#     L=$(losetup --direct-io=on -f --show fs.img) && mount $L /mnt/b
#     bench_unpack.sh /mnt/b
# (direct I/O: the loop device's writes do not go through a second page cache)
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

# Rounds, alternating which goes first, each into a fresh folder, and
# nothing removed until the end: on ext4 the inode allocator is several
# times slower right after a large removal, and each tool must meet the
# file system in the same state. The best round of each is compared.
rounds=3
best_tar= best_tarsync= best_unpack=
run_tar() {
	mkdir -p "$W/tarx$1"
	timed tar tar --zstd -xf "$W/full.tar.zst" -C "$W/tarx$1"
	mkdir -p "$W/tarsx$1"
	timed tarsync sh -c 'tar --zstd -xf "$1" -C "$2" && sync' sh "$W/full.tar.zst" "$W/tarsx$1"
}
run_unpack() {
	timed unpack "$SVD_BIN" unpack -q --trust "$W/editor.pub" "$W/full.tar.zst" -o "$W/library$1"
}
min() { awk -v a="$1" -v b="$2" 'BEGIN { print (a == "" || b < a) ? b : a }'; }
for r in $(seq 1 $rounds); do
	echo "== round $r of $rounds"
	if [ $((r % 2)) -eq 1 ]; then
		run_tar "$r"
		run_unpack "$r"
	else
		run_unpack "$r"
		run_tar "$r"
	fi
	echo "   tar -xf $wall_tar s, tar -xf then sync $wall_tarsync s, unpack $wall_unpack s"
	best_tar=$(min "$best_tar" "$wall_tar")
	best_tarsync=$(min "$best_tarsync" "$wall_tarsync")
	best_unpack=$(min "$best_unpack" "$wall_unpack")
done
mv "$W/library1" "$W/library"
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
r=$(calc "$best_unpack / $best_tar" 3)
printf "$fmt" "best of $rounds rounds" "unpack" "tar -xf" "ratio" "target"
printf "$fmt" "wall (s)" "$best_unpack" "$best_tar" "$(calc "$r")" "<= 1.50  $(awk -v r="$r" 'BEGIN { print (r <= 1.5 ? "met" : "NOT MET") }')"
printf "$fmt" "wall, tar followed by sync (s)" "$best_unpack" "$best_tarsync" "$(calc "$best_unpack / $best_tarsync")" "(unpack syncs what it wrote; tar does not)"
printf "$fmt" "peak RSS (MiB)" "$(mib "$rss_unpack")" "$(mib "$rss_tar")" "$(calc "$rss_unpack / $rss_tar")" ""
