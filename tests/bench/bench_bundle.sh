#!/usr/bin/env bash
# Benchmark of issue "step 2": bundles, each figure beside what a user would
# otherwise do with stock tools.
#
#     bench_bundle.sh [--items N] [--keep DIR] [SCRATCH]
#
# On a generated corpus (default 20,000 items, tests/bench/gen_corpus.py)
# added to an archive, it times
#   - samvydav export (everything)
#     against git bundle create --all on the archive's own store.git,
#     and tar -c | zstd -3 -T0 of the same files
#   - samvydav import of that bundle into an empty archive (every hash and
#     signature checked) against git clone --bare from the git bundle
#   - an incremental export of 10 new items (--since the previous commit)
# and prints sizes, peak memory and the issue's targets. Not a test.
set -euo pipefail

usage_lines=4,5
. "$(dirname "$0")/lib.sh"

corpus

echo "== archive with the corpus"
A=$W/archive
"$SVD_BIN" init "$A" >/dev/null
"$SVD_BIN" key generate --no-passphrase -o "$W/editor.key" -p "$W/editor.pub" >/dev/null
"$SVD_BIN" -C "$A" trust add "$W/editor.pub" >/dev/null
"$SVD_BIN" -C "$A" add -q --from "$W/corpus" --key "$W/editor.key" </dev/null

echo "== samvydav export (everything)"
timed export "$SVD_BIN" -C "$A" export -q -o "$W/full.tar.zst"
echo "== git bundle create --all"
timed gitbundle git -C "$A/store.git" bundle create -q "$W/full.bundle" --all
echo "== tar -c | zstd -3 -T0 of the corpus"
timed tarzstd sh -c "tar -c -C '$W/corpus' . | zstd -q -3 -T0 -o '$W/corpus.tar.zst'"

echo "== samvydav import into an empty archive"
B=$W/target
"$SVD_BIN" init "$B" >/dev/null
"$SVD_BIN" -C "$B" trust add "$W/editor.pub" >/dev/null
timed import "$SVD_BIN" -C "$B" import -q "$W/full.tar.zst"
echo "== git clone --bare from the git bundle"
timed gitclone git clone -q --bare "$W/full.bundle" "$W/clone.git"
same_tree=$(git --git-dir="$A/store.git" rev-parse 'main^{tree}')
[ "$(git --git-dir="$B/store.git" rev-parse 'main^{tree}')" = "$same_tree" ] || {
	echo "bench: the imported archive does not hold the same tree" >&2
	exit 1
}

echo "== incremental: 10 new items, export --since the previous commit"
base=$(git --git-dir="$A/store.git" rev-parse main)
mkdir -p "$W/new"
for i in $(seq 1 10); do
	mkdir -p "$W/new/n$i"
	printf '{"kind":"article","title":"Нова стаття %d","lang":"uk"}' "$i" >"$W/new/n$i/meta.json"
	head -c 12000 "$(find "$W/corpus" -name body.md | head -n "$i" | tail -n 1)" >"$W/new/n$i/body.md"
done
"$SVD_BIN" -C "$A" add -q --from "$W/new" --key "$W/editor.key" </dev/null
timed incr "$SVD_BIN" -C "$A" export -q --since "$base" -o "$W/incr.tar.zst"

size() { stat -c %s "$1"; }
s_full=$(size "$W/full.tar.zst")
s_git=$(size "$W/full.bundle")
s_tz=$(size "$W/corpus.tar.zst")
s_incr=$(size "$W/incr.tar.zst")
ms() { calc "$1 * 1000" 0; }

echo
echo "samvydav bundle bench, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $(uname -m), $(git --version), $(zstd -V | head -n 1)"
load_line
printf '%d items, %.1f MiB of files\n' "$items" "$(calc "$corpus_bytes / 1048576" 1)"
echo
fmt='%-34s %12s %12s %8s   %s\n'
verdict() { awk -v r="$1" -v t="$2" 'BEGIN { print (r <= t ? "met" : "NOT MET") }'; }
printf "$fmt" "" "samvydav" "stock" "ratio" "target"
r=$(calc "$wall_export / $wall_gitbundle" 3)
printf "$fmt" "export: wall (s) vs git bundle" "$wall_export" "$wall_gitbundle" "$(calc "$r")" "<= 2.00  $(verdict "$r" 2)"
r=$(calc "$wall_export / $wall_tarzstd" 3)
printf "$fmt" "export: wall (s) vs tar|zstd -3 -T0" "$wall_export" "$wall_tarzstd" "$(calc "$r")" "<= 2.00  $(verdict "$r" 2)"
printf "$fmt" "export: peak RSS (MiB)" "$(mib "$rss_export")" "$(mib "$rss_gitbundle")" "$(calc "$rss_export / $rss_gitbundle")" "< 64 MiB  $(verdict "$(mib "$rss_export")" 64)"
r=$(calc "$s_full / $s_git" 3)
printf "$fmt" "bundle size (MiB) vs git bundle" "$(calc "$s_full / 1048576" 1)" "$(calc "$s_git / 1048576" 1)" "$(calc "$r")" "<= 1.00  $(verdict "$r" 1)"
printf "$fmt" "bundle size (MiB) vs tar|zstd -3" "$(calc "$s_full / 1048576" 1)" "$(calc "$s_tz / 1048576" 1)" "$(calc "$s_full / $s_tz")" ""
r=$(calc "$wall_import / $wall_gitclone" 3)
printf "$fmt" "import: wall (s) vs git clone" "$wall_import" "$wall_gitclone" "$(calc "$r")" "<= 2.00  $(verdict "$r" 2)"
printf "$fmt" "import: items/s" "$(calc "$items / $wall_import" 0)" "" "" ""
printf "$fmt" "import: peak RSS (MiB)" "$(mib "$rss_import")" "$(mib "$rss_gitclone")" "$(calc "$rss_import / $rss_gitclone")" "< 64 MiB  $(verdict "$(mib "$rss_import")" 64)"
printf "$fmt" "incremental export, 10 items (ms)" "$(ms "$wall_incr")" "" "" "< 100 ms  $(verdict "$(ms "$wall_incr")" 100)"
r=$(calc "100 * $s_incr / $s_full" 3)
printf "$fmt" "incremental size (KiB, % of full)" "$(calc "$s_incr / 1024" 1)" "" "$(calc "$r")%" "< 1%  $(verdict "$r" 1)"
printf "$fmt" "incremental export: peak RSS (MiB)" "$(mib "$rss_incr")" "" "" ""
