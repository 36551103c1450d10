#!/usr/bin/env bash
# What trust by roots costs (SPEC 7.3): verify, export and import of the
# corpus signed by three editors, with two build side by side.
#
#     SVD_BIN_A=OLD/samvydav SVD_BIN_B=NEW/samvydav bench_trust.sh [--items N] [--keep DIR] [SCRATCH]
#
# A is a build from before roots and statements: its archive trusts the
# three editors' keys directly. B's archive trusts two roots (two needed),
# holds a certificate of each editor signed by both, a checkpoint by a root
# that vouches for every item, and the third editor's own revocation
# (outside: hide), so that every item's signature goes through the rules:
# certified, revoked but vouched for. The corpus (tests/bench/gen_corpus.py)
# is split in three, one part per editor, each added in one commit. Each
# round runs A then B, or B then A, alternating; it prints the best and the
# median wall time and the peak RSS per step, and B/A of the medians. Not a
# test: read it on an idle machine (the load average is printed).
set -euo pipefail

usage_lines=4,5
SVD_BIN=${SVD_BIN_A:?set SVD_BIN_A and SVD_BIN_B to the two samvydav binaries}
. "$(dirname "$0")/lib.sh"
[ -x "${SVD_BIN_B:-}" ] || usage
cp "$SVD_BIN_B" "$W/samvydav-b"
mv "$W/samvydav" "$W/samvydav-a"
rounds=${SVD_AB_ROUNDS:-3}

corpus
# three parts, one per editor
for e in 1 2 3; do mkdir -p "$W/part$e"; done
n=0
for d in "$W/corpus"/*/; do
	mv "$d" "$W/part$((n % 3 + 1))/"
	n=$((n + 1))
done
B=$W/samvydav-b
for k in ed1 ed2 ed3 root1 root2; do
	"$B" key generate --no-passphrase -o "$W/$k.key" -p "$W/$k.pub" >/dev/null
done

# trust BUILD ARCHIVE: A trusts the editors; B the roots, two of them needed
trust() {
	if [ "$1" = a ]; then
		"$W/samvydav-a" -C "$2" trust add "$W/ed1.pub" "$W/ed2.pub" "$W/ed3.pub" >/dev/null
	else
		"$B" -C "$2" trust add --root "$W/root1.pub" "$W/root2.pub" >/dev/null
		"$B" -C "$2" trust threshold roots 2 >/dev/null
	fi
}

# run BUILD ROUND
run() {
	local bin=$W/samvydav-$1 r=$2 A=$W/a-$1-$2 C=$W/c-$1-$2 e id
	"$bin" init "$A" >/dev/null
	trust "$1" "$A"
	if [ "$1" = b ]; then
		for e in 1 2 3; do
			id=$("$B" -C "$A" certify "$W/ed$e.pub" --key "$W/root1.key" --title "Editor $e" --json |
				python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
			"$B" -C "$A" sign "$id" --key "$W/root2.key" >/dev/null
		done
	fi
	for e in 1 2 3; do
		"$bin" -C "$A" add -q --from "$W/part$e" --key "$W/ed$e.key" </dev/null
	done
	if [ "$1" = b ]; then
		"$B" -C "$A" checkpoint --key "$W/root1.key" --title "Everything so far" >/dev/null
		"$B" -C "$A" revoke --publish "$W/ed3.revoke" >/dev/null
		# the rules keep every item shown: certified, and the revoked key's vouched for
		[ "$("$B" -C "$A" list | wc -l)" -ge "$items" ] || {
			echo "bench: B shows fewer items than it holds" >&2
			exit 1
		}
	fi
	rm -rf "$A/cache"
	timed "verify_$1_$r" "$bin" -C "$A" verify -q
	timed "export_$1_$r" "$bin" -C "$A" export -q -o "$W/full-$1-$r.tar.zst"
	"$bin" init "$C" >/dev/null
	trust "$1" "$C"
	timed "import_$1_$r" "$bin" -C "$C" import -q "$W/full-$1-$r.tar.zst"
	rm -rf "$A" "$C" "$W/full-$1-$r.tar.zst"
}

for r in $(seq "$rounds"); do
	echo "== round $r"
	if [ $((r % 2)) -eq 1 ]; then run a "$r" && run b "$r"; else run b "$r" && run a "$r"; fi
done

load_line
printf '\n%d items (3 editors), %d rounds; wall seconds: best / median; peak RSS MiB\n' "$items" "$rounds"
printf '%-22s %18s %18s %8s %14s\n' step "A (editors)" "B (roots)" "B/A" "RSS A / B"
for step in verify export import; do
	ab_line "$step" "$step"
done
