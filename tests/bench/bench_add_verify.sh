#!/usr/bin/env bash
# Benchmark of issue "step 1": add and verify of a large corpus, each beside
# what stock git takes for the same work.
#
#     bench_add_verify.sh [--items N] [--keep DIR] [SCRATCH]
#
# Generates N items (default 20,000; tests/bench/gen_corpus.py), then times
#   - samvydav add --from CORPUS (all items, one commit)
#     against git add -A && git commit of the same files in a fresh repository
#   - samvydav verify (default threads, and -j 1)
#     against git fsck --full of the archive's own store.git
#   - libsodium's raw Ed25519 verify rate, single thread (ed25519_rate.c)
# and prints a table with the issue's targets. Wall times come from the
# monotonic clock, peak RSS from /usr/bin/time -f %M (Debian package "time").
#
# The work happens in a fresh folder under SCRATCH (default $TMPDIR or /tmp)
# and is removed at the end; --keep DIR works in DIR instead and leaves it.
# SVD_BIN names the samvydav binary (default: the build folder of this tree).
# This prints figures; it is not a test and is not run by ctest.
set -euo pipefail

usage_lines=4,5
. "$(dirname "$0")/lib.sh"

corpus

echo "== archive, key, trust"
A=$W/archive
"$SVD_BIN" init "$A" >/dev/null
"$SVD_BIN" key generate --no-passphrase -o "$W/editor.key" -p "$W/editor.pub" >/dev/null
"$SVD_BIN" -C "$A" trust add "$W/editor.pub" >/dev/null

# git's copy is made before anything is timed, so both tools find the
# files equally warm in the page cache.
cp -r "$W/corpus" "$W/gitcorpus"
git init -q "$W/gitcorpus"

echo "== samvydav add --from (one commit)"
timed add "$SVD_BIN" -C "$A" add --from "$W/corpus" --key "$W/editor.key" </dev/null
tail -n 1 "$W/add.out" | sed 's/^/   /'

echo "== git add -A && git commit"
# Automatic gc is off: with tens of thousands of loose objects, commit would
# start a detached "git gc --auto" that packs in the background while the
# next steps are timed. The baseline is thus git's foreground cost only,
# which favours git.
timed gitadd git -C "$W/gitcorpus" -c gc.auto=0 -c maintenance.auto=false add -A
timed gitcommit git -C "$W/gitcorpus" -c gc.auto=0 -c maintenance.auto=false commit -q -m x
wall_git=$(calc "$wall_gitadd + $wall_gitcommit" 3)
rss_git=$((rss_gitadd > rss_gitcommit ? rss_gitadd : rss_gitcommit))

echo "== samvydav verify"
timed verify "$SVD_BIN" -C "$A" verify --json
ver_items=$(python3 -c 'import json,sys; v=json.load(open(sys.argv[1])); print(v["items"] if not v["failed"] else -1)' "$W/verify.out")
if [ "$ver_items" != "$items" ]; then
	echo "bench: verify checked $ver_items items, expected $items, all good" >&2
	exit 1
fi
timed verify1 "$SVD_BIN" -C "$A" verify -j 1 -q

echo "== git fsck --full of store.git"
timed fsck git -C "$A/store.git" fsck --full

echo "== libsodium Ed25519, one thread"
cc -O2 -o "$W/ed25519_rate" "$here/ed25519_rate.c" -lsodium
read -r _ raw_verify _ raw_sign < <("$W/ed25519_rate" 3 | tr -d '/s')
echo "   verify $raw_verify/s, sign $raw_sign/s"

store_bytes=$(du -sb "$A/store.git" | cut -f1)
git_bytes=$(du -sb "$W/gitcorpus/.git" | cut -f1)

# rates and ratios; a ratio is samvydav / git, lower is better for times
add_ips=$(calc "$items / $wall_add" 0)
git_ips=$(calc "$items / $wall_git" 0)
ver_ips=$(calc "$items / $wall_verify" 0)
ver1_ips=$(calc "$items / $wall_verify1" 0)
fsck_ips=$(calc "$items / $wall_fsck" 0)

echo
echo "samvydav bench, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $(uname -m), $(git --version)"
load_line
printf '%d items, %.1f MiB of files, %d with an attachment\n' "$items" "$(calc "$corpus_bytes / 1048576" 1)" \
	"$(find "$W/corpus" -name photo.jpg | wc -l)"
echo
fmt='%-28s %12s %12s %8s   %s\n'
printf "$fmt" "" "samvydav" "git" "ratio" "target"
printf "$fmt" "add: wall (s)" "$wall_add" "$wall_git" "$(calc "$wall_add / $wall_git")" \
	"<= 1.00 (add+commit)  $(awk -v r="$(calc "$wall_add / $wall_git" 3)" 'BEGIN { print (r <= 1.0 ? "met" : "NOT MET") }')"
printf "$fmt" "  git add -A / git commit (s)" "" "$wall_gitadd / $wall_gitcommit" "" ""
printf "$fmt" "add: items/s" "$add_ips" "$git_ips" "$(calc "$add_ips / $git_ips")" ""
printf "$fmt" "add: peak RSS (MiB)" "$(mib "$rss_add")" "$(mib "$rss_git")" "$(calc "$rss_add / $rss_git")" "(git: max of add, commit)"
printf "$fmt" "verify: wall (s)" "$wall_verify" "$wall_fsck" "$(calc "$wall_verify / $wall_fsck")" \
	"<= 1.50 (fsck --full)  $(awk -v r="$(calc "$wall_verify / $wall_fsck" 3)" 'BEGIN { print (r <= 1.5 ? "met" : "NOT MET") }')"
printf "$fmt" "verify: items/s" "$ver_ips" "$fsck_ips" "$(calc "$ver_ips / $fsck_ips")" ""
printf "$fmt" "verify: peak RSS (MiB)" "$(mib "$rss_verify")" "$(mib "$rss_fsck")" "$(calc "$rss_verify / $rss_fsck")" ""
printf "$fmt" "verify -j 1: wall (s)" "$wall_verify1" "$wall_fsck" "$(calc "$wall_verify1 / $wall_fsck")" ""
printf "$fmt" "verify -j 1: peak RSS (MiB)" "$(mib "$rss_verify1")" "$(mib "$rss_fsck")" "$(calc "$rss_verify1 / $rss_fsck")" ""
printf "$fmt" "repository size (MiB)" "$(calc "$store_bytes / 1048576" 1)" "$(calc "$git_bytes / 1048576" 1)" "$(calc "$store_bytes / $git_bytes")" "(git: loose objects)"
echo
# Each item carries one minisign signature, and a minisign signature is two
# Ed25519 checks (the BLAKE2b hash of manifest.json, then the signature and
# trusted comment), so the ceiling in signatures/s is half the raw rate.
echo "signatures (one per item; each is 2 Ed25519 verifies, minisign's signature + global signature):"
printf '  libsodium raw Ed25519 verify, 1 thread:  %8s/s  (= %s minisign signatures/s)\n' "$raw_verify" "$(calc "$raw_verify / 2" 0)"
printf '  samvydav verify (default threads):       %8s signatures/s = %s%% of raw 1 thread, %s%% of 2x raw (2 cores)\n' \
	"$ver_ips" "$(calc "100 * $ver_ips / $raw_verify" 1)" "$(calc "100 * $ver_ips / (2 * $raw_verify)" 1)"
printf '  samvydav verify -j 1:                    %8s signatures/s = %s%% of raw 1 thread\n' \
	"$ver1_ips" "$(calc "100 * $ver1_ips / $raw_verify" 1)"
printf '  against the minisign ceiling (raw / 2): default threads %s%% of 2 cores, -j 1 %s%% of 1 core\n' \
	"$(calc "100 * 2 * $ver_ips / (2 * $raw_verify)" 1)" "$(calc "100 * 2 * $ver1_ips / $raw_verify" 1)"
# add signs each manifest (2 Ed25519 signatures) and then, at the gate,
# verifies what it signed (2 Ed25519 checks): their share of add's wall time
printf '  add: signing takes ~%s%% of its wall time, the gate re-verifying ~%s%% (at the raw rates)\n' \
	"$(calc "100 * 2 * $add_ips / $raw_sign" 1)" "$(calc "100 * 2 * $add_ips / $raw_verify" 1)"
if [ -n "$keep" ]; then
	echo
	echo "kept: $W (corpus/, archive/, gitcorpus/, editor.key, *.out)"
fi
