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

# None at all: read as ever, with a warning; exit 0
crafted no-meta
fresh
expect_exit 0 "warning: the bundle has no BUNDLE.json" "no-meta: import exits 0 and warns that BUNDLE.json is missing" \
	svd -C "$R" import -q "$T/no-meta.tar.zst"
same "$(ids_of "$R")" "$all_ids" "no-meta: every item is imported"
same "$(svd -C "$R" import --json "$T/no-meta.tar.zst" 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["bundle_json"])')" missing \
	"no-meta: import --json says bundle_json missing"
# a good bundle has no such warning
craft write "$T/good.tar.zst" "$T/ex"
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
