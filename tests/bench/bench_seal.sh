#!/usr/bin/env bash
# Benchmark of sealed bundles (issue "step 4", SPEC.md 12): what sealing
# costs beside a plain export and import of the same archive.
#
#     bench_seal.sh [--items N] [--keep DIR] [SCRATCH]
#
# On a generated corpus (default 20,000 items, gen_corpus.py) in archive A,
# whose network holds mirror B, it times in alternating rounds (plain,
# sealed, sealed, plain, ...; SVD_SEAL_ROUNDS, 5 by default):
#   - samvydav export (everything), plain and sealed for B (--to B.pub)
#   - samvydav import of each into an empty copy of B
# and prints the medians, the sealed/plain ratio (the issue's bar: at most
# 1.10), the sizes, libsodium's raw sealing rate beside memcpy
# (seal_rate.c, build/tests/seal_rate or $SVD_SEAL_RATE) and the time a mirror takes to find that a file is not
# for it. Not a test.
set -euo pipefail

usage_lines=6,7
. "$(dirname "$0")/lib.sh"
rounds=${SVD_SEAL_ROUNDS:-5}
seal_rate=${SVD_SEAL_RATE:-$here/../../build/tests/seal_rate}
[ -x "$seal_rate" ] || {
	echo "bench: no seal_rate at $seal_rate (build with the tests, or set SVD_SEAL_RATE)" >&2
	exit 1
}
cp "$seal_rate" "$W/seal_rate"
seal_rate=$W/seal_rate

corpus

echo "== archive A with the corpus; mirror B in its network"
A=$W/a
B0=$W/b0
"$SVD_BIN" init "$A" >/dev/null
"$SVD_BIN" init "$B0" >/dev/null
"$SVD_BIN" key generate --no-passphrase -o "$W/editor.key" -p "$W/editor.pub" >/dev/null
"$SVD_BIN" -C "$A" trust add "$W/editor.pub" >/dev/null
"$SVD_BIN" -C "$B0" trust add "$W/editor.pub" >/dev/null
"$SVD_BIN" -C "$A" network key -o "$W/A.pub" 2>/dev/null
"$SVD_BIN" -C "$B0" network key -o "$W/B.pub" 2>/dev/null
"$SVD_BIN" -C "$A" network add "$W/B.pub" >/dev/null
"$SVD_BIN" -C "$B0" network add "$W/A.pub" >/dev/null
"$SVD_BIN" -C "$A" add -q --from "$W/corpus" --key "$W/editor.key" </dev/null

# step KIND ROUND: export and import, plain or sealed
step() {
	local kind=$1 r=$2 out=$W/out-$1 to=()
	[ "$kind" = sealed ] && to=(--to "$W/B.pub")
	rm -f "$out"
	timed "export_${kind}_$r" "$SVD_BIN" -C "$A" export -q "${to[@]}" -o "$out"
	rm -rf "$W/b"
	cp -a "$B0" "$W/b"
	timed "import_${kind}_$r" "$SVD_BIN" -C "$W/b" import -q "$out"
	size_kind=$(stat -c %s "$out")
	printf -v "size_$kind" '%s' "$size_kind"
}

for r in $(seq "$rounds"); do
	echo "== round $r of $rounds"
	if [ $((r % 2)) -eq 1 ]; then
		step plain "$r"
		step sealed "$r"
	else
		step sealed "$r"
		step plain "$r"
	fi
done

# median STEP KIND: the median wall time of the rounds
median() {
	for r in $(seq "$rounds"); do
		v=wall_$1_$2_$r
		echo "${!v}"
	done | sort -n | sed -n "$(((rounds + 1) / 2))p"
}
peak() {
	for r in $(seq "$rounds"); do
		v=rss_$1_$2_$r
		echo "${!v}"
	done | sort -n | tail -n 1
}

echo "== raw rates (seal_rate.c, built with the tests)"
"$seal_rate" >"$W/rate.out"

echo
echo "samvydav seal bench, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $(uname -m), $rounds rounds, medians"
load_line
printf '%d items, %.1f MiB of files\n' "$items" "$(calc "$corpus_bytes / 1048576" 1)"
echo
fmt='%-26s %12s %12s %8s   %s\n'
verdict() { awk -v r="$1" -v t="$2" 'BEGIN { print (r <= t ? "met" : "NOT MET") }'; }
printf "$fmt" "" "plain" "sealed" "ratio" "target"
for s in export import; do
	p=$(median "$s" plain)
	q=$(median "$s" sealed)
	r=$(calc "$q / $p" 3)
	printf "$fmt" "$s: wall (s)" "$p" "$q" "$(calc "$r")" "<= 1.10  $(verdict "$r" 1.10)"
	printf "$fmt" "$s: peak RSS (MiB)" "$(mib "$(peak "$s" plain)")" "$(mib "$(peak "$s" sealed)")" "" ""
done
printf "$fmt" "bundle size (MiB)" "$(calc "$size_plain / 1048576" 2)" "$(calc "$size_sealed / 1048576" 2)" \
	"$(calc "$size_sealed / $size_plain" 3)" "padded to a Padmé size"
echo
cat "$W/rate.out"
