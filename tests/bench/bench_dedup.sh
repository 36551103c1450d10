#!/usr/bin/env bash
# The cost of checking blobs met again (issue 15, item 9).
#
#     bench_dedup.sh [--items N] [--keep DIR] [SCRATCH]
#
# A blob whose git id is held already (in the store, or earlier in the
# same pack) is skipped only once the bytes held there are read back and
# found to have its SHA-256; new blobs are not read back. This times, on
# a generated corpus of N items (default 5,000; tests/bench/gen_corpus.py),
#   - import of its bundle into an empty archive (every blob new)
#   - the same import again (every blob held: each one read from the store)
#   - import of a bundle of 100 items that share one 8 MiB attachment (the
#     attachment met again in the pack 99 times)
# with SVD_BIN, and with SVD_BEFORE=BINARY (a build without the check) too,
# on the same bundles. Not a test: it prints figures.
set -euo pipefail

usage_lines=4,5
. "$(dirname "$0")/lib.sh"
before=
if [ -n "${SVD_BEFORE:-}" ]; then
	cp "$SVD_BEFORE" "$W/samvydav-before"
	before=$W/samvydav-before
fi

corpus
echo "== archive with the corpus"
A=$W/archive
"$SVD_BIN" init "$A" >/dev/null
"$SVD_BIN" key generate --no-passphrase -o "$W/editor.key" -p "$W/editor.pub" >/dev/null
"$SVD_BIN" -C "$A" trust add "$W/editor.pub" >/dev/null
"$SVD_BIN" -C "$A" add -q --from "$W/corpus" --key "$W/editor.key" </dev/null
"$SVD_BIN" -C "$A" export -q -o "$W/full.tar.zst"

echo "== 100 items sharing one 8 MiB attachment"
S=$W/shared-archive
"$SVD_BIN" init "$S" >/dev/null
"$SVD_BIN" -C "$S" trust add "$W/editor.pub" >/dev/null
python3 -c 'import random,sys; sys.stdout.buffer.write(random.Random(15).randbytes(8 << 20))' >"$W/shared.bin"
for i in $(seq 1 100); do
	mkdir -p "$W/shared/s$i"
	printf '{"kind":"article","title":"Shared %d","lang":"en"}' "$i" >"$W/shared/s$i/meta.json"
	printf '# Shared %d\n' "$i" >"$W/shared/s$i/body.md"
	ln "$W/shared.bin" "$W/shared/s$i/scan.pdf"
done
"$SVD_BIN" -C "$S" add -q --from "$W/shared" --key "$W/editor.key" </dev/null
"$SVD_BIN" -C "$S" export -q -o "$W/shared.tar.zst"

run_import() { # NAME ARCHIVE BUNDLE BINARY
	local t0 t1
	sync
	t0=$(date +%s%N)
	/usr/bin/time -f %M -o "$W/$1.rss" "$4" -C "$2" import -q "$3" >"$W/$1.out" 2>&1 || {
		echo "bench: $1 failed:" >&2
		tail -n 20 "$W/$1.out" >&2
		exit 1
	}
	t1=$(date +%s%N)
	printf -v "wall_$1" '%s' "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')"
	printf -v "rss_$1" '%s' "$(tail -n 1 "$W/$1.rss")"
}

for b in ${before:+before} after; do
	bin=$SVD_BIN
	[ "$b" = before ] && bin=$before
	for what in new shared; do
		B=$W/target-$what-$b
		"$bin" init "$B" >/dev/null
		"$bin" -C "$B" trust add "$W/editor.pub" >/dev/null
	done
	echo "== $b: import, every blob new"
	run_import "new_$b" "$W/target-new-$b" "$W/full.tar.zst" "$bin"
	echo "== $b: the same import again, every blob held"
	run_import "again_$b" "$W/target-new-$b" "$W/full.tar.zst" "$bin"
	echo "== $b: 100 items sharing an 8 MiB attachment"
	run_import "shared_$b" "$W/target-shared-$b" "$W/shared.tar.zst" "$bin"
done

echo
echo "samvydav dedup check bench, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $(uname -m)"
load_line
printf '%d items, %.1f MiB of files\n' "$items" "$(calc "$corpus_bytes / 1048576" 1)"
fmt='%-46s %10s %10s\n'
printf "$fmt" "" "${before:+before}" "after"
row() { # LABEL VAR
	local a=${2}_after b=${2}_before
	printf "$fmt" "$1" "${before:+${!b}}" "${!a}"
}
row "import, every blob new (s)" wall_new
row "import again, every blob held (s)" wall_again
row "100 items sharing 8 MiB (s)" wall_shared
for b in ${before:+before} after; do
	r=rss_shared_$b
	printf -v "mib_$b" '%s' "$(mib "${!r}")"
done
row "peak RSS, shared (MiB)" mib
