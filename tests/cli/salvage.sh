#!/usr/bin/env bash
# Salvage (SPEC 9.2, 9.4, 9.7): what a reader does with a bundle that lies
# or is not whole in ways a damaged frame does not cover. An index with a
# sound CRC that misplaces a frame is not trusted over the frames; a
# BUNDLE.json that is missing or does not list every item is warned about
# (it is advisory); junk at a signature's path is left out and the valid
# signature still counts; a refused item whose manifest gives no id is
# named by its folder, marked as not verified; and a file of another
# format is "not a samvydav bundle", not damaged bytes. Each bundle is
# crafted by craft_bundle.py, an independent writer.
. "$(dirname "$0")/lib.sh"

A=$T/sender
new_archive "$A" ed
mkdir -p "$T/src"
for i in 1 2 3 4 5; do
	d=$T/src/item$i
	mkdir -p "$d"
	printf '{"kind":"article","title":"Стаття %d","lang":"uk","created":"2026-01-0%dT00:00:00Z"}' "$i" "$i" >"$d/meta.json"
	printf '# Стаття %d\n\nТекст.\n' "$i" >"$d/body.md"
done
svd -C "$A" add --from "$T/src" --key "$T/ed.key" -q || exit 1
mkdir -p "$T/ex"
git --git-dir="$A/store.git" archive main | tar -x -C "$T/ex"
all_ids=$(ids_of "$A")
R0=$T/receiver0
new_archive "$R0" ed

# crafted KIND: the bundle $T/KIND.tar.zst, its victim in $victim
crafted() {
	craft write --hostile "$1" --frame-target 2048 --expect "$T/$1.expect" "$T/$1.tar.zst" "$T/ex" ||
		not_ok "$1: the bundle is crafted"
	victim=$(craft index "$T/$1.tar.zst" 2>/dev/null | awk '$1 == "frame" && NF == 6 && $2 > 0 {print $6; exit}')
}
fresh() {
	rm -rf "$R"
	cp -a "$R0" "$R"
}
R=$T/receiver

# ---------------------------------------------------------------- an index that lies

# Its CRC holds and it tiles the file, but it puts the victim's frame one
# byte after where it begins: trusted, it would cost the victim.
crafted index-shift
fresh
expect_exit 3 "the index at the end does not match the frames \(frame [0-9]+ ends at byte [0-9]+, not at byte [0-9]+ as the index says\); frames are found by scanning" \
	"index-shift: import exits 3 saying the index does not match the frames" svd -C "$R" import -q "$T/index-shift.tar.zst"
same "$(ids_of "$R")" "$all_ids" "index-shift: every item is imported, the one whose frame the index misplaces too"
check "index-shift: verify passes" svd -C "$R" verify -q
same "$(svd -C "$R" inspect --json "$T/index-shift.tar.zst" 2>/dev/null | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["index"], d["lost"], d["accepted"])')" "False 0 5" \
	"index-shift: inspect --json: no index taken, nothing lost, every item would be accepted"

# It says the victim's frame holds 1 byte more than it does, the frame's
# header declaring the right size (index-lie) or none (index-ulen): the
# frame is read on its own terms (its checksum and declared size guard it)
# and the index's word against it is reported, instead of losing the item.
for kind in index-lie index-ulen; do
	crafted "$kind"
	fresh
	expect_exit 3 "frame at [0-9]+: the index says it holds [0-9]+ bytes of content, but it holds [0-9]+ \(the index lies; the frame was read on its own terms\)" \
		"$kind: import exits 3 saying the index lies about the frame's content length" svd -C "$R" import -q "$T/$kind.tar.zst"
	same "$(ids_of "$R")" "$all_ids" "$kind: every item is imported, the one whose length the index gets wrong too"
done

# A damaged frame is no lie of the index: the index is kept (the frames
# around the damaged one are where it says) and only that frame is lost.
craft write --frame-target 2048 "$T/good.tar.zst" "$T/ex"
read -r at v <<<"$(craft index "$T/good.tar.zst" | awk '$1 == "frame" && NF == 6 && $2 > 0 {print $3, $6; exit}')"
cp "$T/good.tar.zst" "$T/frame-magic.tar.zst"
printf 'XXXX' | dd of="$T/frame-magic.tar.zst" bs=1 seek="$at" conv=notrunc status=none
fresh
expect_exit 3 "frame [0-9]+ \(1 items\): no zstd frame begins at byte $at, where the index puts it \(the frame's first bytes are damaged; the index is kept" \
	"frame-magic: a frame whose magic is damaged is reported as damaged, the index kept" svd -C "$R" import -q "$T/frame-magic.tar.zst"
same "$(ids_of "$R")" "$(printf '%s\n' "$all_ids" | grep -v "$v")" "frame-magic: every item but the damaged frame's is imported"
# one block header's size changed: followed, the frame ends where no frame begins
python3 - "$T/good.tar.zst" "$T/block-size.tar.zst" "$at" <<'PY'
import sys
data = bytearray(open(sys.argv[1], "rb").read())
at = int(sys.argv[3])
fhd = data[at + 4]
single = fhd >> 5 & 1
pos = at + 5 + (0 if single else 1) + (0, 1, 2, 4)[fhd & 3] + ((1 if single else 0), 2, 4, 8)[fhd >> 6]
bh = int.from_bytes(data[pos:pos + 3], "little")
bh = (bh & 7) | (((bh >> 3) - 1) << 3)
data[pos:pos + 3] = bh.to_bytes(3, "little")
open(sys.argv[2], "wb").write(data)
PY
fresh
expect_exit 3 "damaged at byte $at" "block-size: a frame with a damaged block header is reported as damaged" \
	svd -C "$R" import -q "$T/block-size.tar.zst"
if svd -C "$R" import "$T/block-size.tar.zst" 2>&1 | grep -q "does not match the frames"; then
	not_ok "block-size: the index is not blamed for the damaged frame"
else
	ok "block-size: the index is not blamed for the damaged frame"
fi
same "$(svd -C "$R" inspect --json "$T/block-size.tar.zst" 2>/dev/null | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["index"], d["lost"])')" "True 1" \
	"block-size: inspect --json: the index is taken, only the damaged frame's item is lost"
same "$(ids_of "$R")" "$(printf '%s\n' "$all_ids" | grep -v "$v")" "block-size: every item but the damaged frame's is imported"

# ---------------------------------------------------------------- BUNDLE.json

# It omits the victim: the item is read and imported, with a warning; exit 0
crafted meta-omits
fresh
expect_exit 0 "warning: 1 item in the bundle is not listed in its BUNDLE.json" \
	"meta-omits: import exits 0 and warns of the item BUNDLE.json does not list" svd -C "$R" import -q "$T/meta-omits.tar.zst"
same "$(ids_of "$R")" "$all_ids" "meta-omits: every item is imported"
same "$(svd -C "$R" inspect --json "$T/meta-omits.tar.zst" 2>/dev/null | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["bundle_json"], d["unlisted"])')" "incomplete 1" \
	"meta-omits: inspect --json says bundle_json incomplete, 1 unlisted"

# It lists an id in the victim's place: the listed one is lost, the victim unlisted
crafted meta-swap
fresh
expect_exit 3 "1 of 5 items were lost to damage" \
	"meta-swap: an item BUNDLE.json lists and the bundle lacks is lost (exit 3), although as many items were read" \
	svd -C "$R" import "$T/meta-swap.tar.zst"
same "$(ids_of "$R")" "$all_ids" "meta-swap: every item the bundle holds is imported"

# It lies (a count of 2^53-1), is cut short, or nests 100,000 arrays deep:
# damage of frame 0, named; nothing is allocated for what it claims, and
# every item is read and imported
for kind in meta-count-lie meta-cut meta-nested; do
	case $kind in
	meta-count-lie) why="BUNDLE.json: its count is 9007199254740991, and it lists 5 ids" ;;
	meta-cut) why="BUNDLE.json ends early" ;;
	meta-nested) why="BUNDLE.json: ids\[0\] is not an item id" ;;
	esac
	crafted "$kind"
	fresh
	expect_exit 3 "$why" "$kind: import exits 3 naming what is wrong with BUNDLE.json" \
		svd -C "$R" import -q "$T/$kind.tar.zst"
	same "$(ids_of "$R")" "$all_ids" "$kind: every item is imported"
	same "$(svd -C "$R" inspect --json "$T/$kind.tar.zst" 2>/dev/null | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["bundle_json"], d["lost"])')" "unreadable 0" \
		"$kind: inspect --json says bundle_json unreadable, nothing lost"
done

# None at all: read as ever, with a warning; exit 0
crafted no-meta
fresh
expect_exit 0 "warning: the bundle has no BUNDLE.json" "no-meta: import exits 0 and warns that BUNDLE.json is missing" \
	svd -C "$R" import -q "$T/no-meta.tar.zst"
same "$(ids_of "$R")" "$all_ids" "no-meta: every item is imported"
same "$(svd -C "$R" import --json "$T/no-meta.tar.zst" 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["bundle_json"])')" missing \
	"no-meta: import --json says bundle_json missing"
# a good bundle has no such warning
fresh
expect_exit 0 "" "good: import exits 0" svd -C "$R" import -q "$T/good.tar.zst"
same "$(svd -C "$R" import -q "$T/good.tar.zst" 2>&1)" "" "good: no warning"

# ---------------------------------------------------------------- junk at a signature's path

for kind in sig-junk sig-junk-first; do
	crafted "$kind"
	fresh
	expect_exit 3 "sig/[0-9A-F]{16}\.minisig: an? (second|earlier) entry at this path that is not what its name says; left out" \
		"$kind: import exits 3 reporting the junk left out" svd -C "$R" import -q "$T/$kind.tar.zst"
	same "$(ids_of "$R")" "$all_ids" "$kind: the validly signed item is imported all the same"
	check "$kind: verify passes" svd -C "$R" verify -q
	rm -rf "$T/unpacked-$kind"
	svd unpack --trust "$T/ed.pub" -q "$T/$kind.tar.zst" -o "$T/unpacked-$kind" >/dev/null 2>&1
	if [ -z "$(find "$T/unpacked-$kind" -path "*/sig/*.minisig" 2>/dev/null)" ] ||
		[ -n "$(find "$T/unpacked-$kind" -path "*/sig/*.minisig" -exec grep -l 'not a signature' {} + 2>/dev/null)" ]; then
		not_ok "$kind: unpack writes the signature, not the junk"
	else
		ok "$kind: unpack writes the signature, not the junk"
	fi
done

# ---------------------------------------------------------------- the id of a manifest that gives none

crafted noncanon-manifest
v=$(awk '$1 == "refused" {print $2}' "$T/noncanon-manifest.expect")
fresh
expect_exit 3 "refused [^ ]+: $v: manifest.json: canonical: .*\(the id its folder names, not verified\)" \
	"noncanon-manifest: the refusal names the item by its folder's id, marked as not verified" \
	svd -C "$R" import -q "$T/noncanon-manifest.tar.zst"
same "$(svd -C "$R" import --json "$T/noncanon-manifest.tar.zst" 2>/dev/null | python3 -c 'import json,sys; r=json.load(sys.stdin)["refusals"][0]; print(r["id"], r["id_verified"])')" "$v False" \
	"noncanon-manifest: import --json gives the folder's id with id_verified false"

# ---------------------------------------------------------------- not a bundle

mkdir -p "$T/plain"
cp -r "$T/ex/items" "$T/plain/"
tar -cf "$T/plain.tar" -C "$T/plain" items
gzip -c "$T/plain.tar" >"$T/plain.tar.gz"
xz -c "$T/plain.tar" >"$T/plain.tar.xz" 2>/dev/null || cp "$T/plain.tar.gz" "$T/plain.tar.xz"
for f in plain.tar:'a tar file that is not compressed with zstd' plain.tar.gz:'a gzip file' \
	plain.tar.xz:'an? (xz|gzip) file'; do
	name=${f%%:*} said=${f#*:}
	fresh
	expect_exit 2 "not a samvydav bundle: this is $said" "$name: import exits 2: not a samvydav bundle, $said" \
		svd -C "$R" import "$T/$name"
	expect_exit 2 "not a samvydav bundle: this is $said" "$name: inspect exits 2 saying the same" \
		svd -C "$R" inspect "$T/$name"
	same "$(head_of "$R")" "$(head_of "$R0")" "$name: nothing imported"
done
# a bundle whose first bytes are destroyed is still a damaged bundle (its index is there)
cp "$T/good.tar.zst" "$T/front.tar.zst"
printf '\037\213\010\000' | dd of="$T/front.tar.zst" bs=1 conv=notrunc status=none
fresh
expect_exit 3 "damaged" "a bundle whose first bytes read as gzip but which ends in its index: damaged, exit 3" \
	svd -C "$R" import -q "$T/front.tar.zst"

finish
