#!/usr/bin/env bash
# Two builds of samvydav side by side on one corpus: the A/B of a change
# that must not make anything slower.
#
#     SVD_BIN_A=OLD/samvydav SVD_BIN_B=NEW/samvydav bench_ab.sh [--items N] [--keep DIR] [SCRATCH]
#
# Each round runs every step with A, then with B, then B, then A (so that
# neither build always goes first after the other), each on its own
# archive: add (the corpus, one commit), verify, list, export (full),
# export --since (10 new items), import of the full bundle, unpack of the
# bundle, and unpack of the archive (every item through the gate and the
# catalog, pages and search data). It prints, per step and build, the best
# and the median wall time of the rounds and the peak RSS, and B/A of the
# medians. Three rounds by default (SVD_AB_ROUNDS). Not a test: read it on an
# idle machine (it prints the load average at the start and the end).
set -euo pipefail

usage_lines=4,5
SVD_BIN=${SVD_BIN_A:?set SVD_BIN_A and SVD_BIN_B to the two samvydav binaries}
. "$(dirname "$0")/lib.sh"
[ -x "${SVD_BIN_B:-}" ] || usage
cp "$SVD_BIN_B" "$W/samvydav-b"
mv "$W/samvydav" "$W/samvydav-a"
rounds=${SVD_AB_ROUNDS:-3}

corpus
python3 "$here/gen_corpus.py" --items 10 --seed 7 "$W/new" >/dev/null

# run BUILD ROUND: every step once with one build, on its own archive
run() {
	local bin=$W/samvydav-$1 r=$2 A=$W/a-$1-$2 B=$W/b-$1-$2 head
	"$bin" init "$A" >/dev/null
	[ -f "$W/editor.key" ] ||
		"$bin" key generate --no-passphrase -o "$W/editor.key" -p "$W/editor.pub" >/dev/null
	"$bin" -C "$A" trust add "$W/editor.pub" >/dev/null
	timed "add_$1_$r" "$bin" -C "$A" add -q --from "$W/corpus" --key "$W/editor.key" </dev/null
	timed "verify_$1_$r" "$bin" -C "$A" verify -q
	timed "list_$1_$r" "$bin" -C "$A" list
	timed "export_$1_$r" "$bin" -C "$A" export -q -o "$W/full-$1-$r.tar.zst"
	head=$("$bin" -C "$A" log | awk 'NR == 1 {print $2}')
	"$bin" -C "$A" add -q --from "$W/new" --key "$W/editor.key" </dev/null
	timed "since_$1_$r" "$bin" -C "$A" export -q --since "$head" -o "$W/new-$1-$r.tar.zst"
	"$bin" init "$B" >/dev/null
	"$bin" -C "$B" trust add "$W/editor.pub" >/dev/null
	timed "import_$1_$r" "$bin" -C "$B" import -q "$W/full-$1-$r.tar.zst"
	timed "unpackb_$1_$r" "$bin" -C "$B" unpack -q "$W/full-$1-$r.tar.zst" -o "$W/lib-$1-$r"
	rm -rf "$W/lib-$1-$r"
	timed "unpacka_$1_$r" "$bin" -C "$B" unpack -q "$A" -o "$W/lib-$1-$r"
	rm -rf "$W/lib-$1-$r" "$A" "$B" "$W/full-$1-$r.tar.zst" "$W/new-$1-$r.tar.zst"
}

for r in $(seq "$rounds"); do
	echo "== round $r"
	if [ $((r % 2)) -eq 1 ]; then run a "$r" && run b "$r"; else run b "$r" && run a "$r"; fi
done

load_line
printf '\n%d items, %d rounds; wall seconds: best / median; peak RSS MiB (largest)\n' "$items" "$rounds"
printf '%-22s %18s %18s %8s %14s\n' step A B "B/A" "RSS A / B"
for step in add verify list export since import unpackb unpacka; do
	label=$step
	case $step in
	since) label="export --since (10)" ;;
	unpackb) label="unpack (bundle)" ;;
	unpacka) label="unpack (archive)" ;;
	esac
	ab_line "$step" "$label"
done
