#!/usr/bin/env bash
# unpack onto a FAT32 or exFAT stick (a real image, mounted: stick_mount) fares
# as import does with names such a disk cannot take: a signature file the
# gate leaves out is left out, an item the gate refuses is refused, and
# neither stops the unpack. Three crafted bundles (craft_bundle.py): beside
# an item's good signature, junk named as it in the other case (one file
# on FAT: the second name exists already), or junk named with : * ? " < >
# | \ (which FAT and exFAT refuse); an unlisted Body.md beside body.md (the item is
# refused). Each unpacks onto the stick with the exit status, the items
# and the signature files it has onto a plain folder of this disk.
. "$(dirname "$0")/lib.sh"

A=$T/a
articles "$A" 3 || exit 1

IMG=$T/stick.img
M=$T/stick
# Where no stick can be mounted here (no loop devices, neither the kernel's
# vfat nor exfat-fuse), stick_mount must fail and say why, as img_mount does
# (tests/cli/stick_image.sh): the unpacks onto this disk are still checked,
# the stick's comparisons are not made (the log says so).
mounted=0
if why=$(stick_mount "$IMG" "$M" 2>&1); then
	mounted=1
	ok "a stick image is mounted ($(awk -v m="$M" '$2 == m {print $3}' /proc/mounts))"
	# the check works: this disk holds two names that differ in case as one file
	: >"$M/probe" && (set -C && : >"$M/PROBE") 2>/dev/null &&
		not_ok "the stick takes PROBE beside probe as two files" ||
		ok "the stick holds PROBE and probe as one file"
	(: >"$M/a:b") 2>/dev/null && not_ok "the stick refuses a:b" || ok "the stick refuses a:b"
	rm -f "$M/probe"
else
	printf '%s' "$why" | grep -q "needs root, loop devices" &&
		ok "no stick can be mounted here, and stick_mount says why: $(printf '%s' "$why" | head -n 1)" ||
		not_ok "stick_mount, where it cannot mount, says why" "$why"
fi

# sigs DIR ID: the item's signature files there, with their SHA-256
sigs() {
	(cd "$1/$(item_path "$2")/sig" 2>/dev/null && sha256sum -- * | sort)
}

for kind in sig-case sig-fat body-case; do
	B=$T/$kind.tar.zst
	craft write --hostile "$kind" "$B" "$T/ex" || exit 1
	svd unpack --trust "$T/ed.pub" "$B" -o "$T/plain-$kind" >"$T/plain.out" 2>&1
	want=$?
	[ -f "$T/plain-$kind/index.html" ] && ok "$kind: the library is on this disk" ||
		not_ok "$kind: the library is on this disk" "$(cat "$T/plain.out")"
	[ "$mounted" = 1 ] || continue
	svd unpack --trust "$T/ed.pub" "$B" -o "$M/$kind" >"$T/fat.out" 2>&1
	got=$?
	same "$got" "$want" "$kind: unpack onto the stick exits as onto this disk ($(tail -n 1 "$T/fat.out"))"
	[ -f "$M/$kind/index.html" ] && ok "$kind: the library is on the stick" ||
		not_ok "$kind: the library is on the stick"
	same "$(ls "$M/$kind/items/"* 2>/dev/null | grep -E '^[0-9a-f]{64}$' | sort | tr '\n' ' ')" \
		"$(ls "$T/plain-$kind/items/"* | grep -E '^[0-9a-f]{64}$' | sort | tr '\n' ' ')" \
		"$kind: the same items as on this disk"
	for id in $(ids_of "$A"); do
		same "$(sigs "$M/$kind" "$id")" "$(sigs "$T/plain-$kind" "$id")" \
			"$kind: item ${id:0:12}: the same signature files, the same bytes"
	done
done
same "$(ls "$T/plain-body-case/items/"* | grep -cE '^[0-9a-f]{64}$')" 2 \
	"body-case: the item with a stray Body.md is refused (on this disk too)"
same "$(ls "$T/plain-sig-case/items/"* | grep -cE '^[0-9a-f]{64}$')" 3 \
	"sig-case: every item is in (the junk left out)"

finish
