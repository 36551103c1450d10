#!/usr/bin/env bash
# Stick images (lib.sh): a FAT32 file system in a file, made by mkfs.vfat
# and read and written with mtools, no loop device needed. Each helper at
# work: make, put a tree, list, get it back whole, delete; fsck.vfat finds
# the file system healthy after each. forensic.py --image reads the raw
# image: an empty stick and one holding only random bytes show nothing, a
# known string in a file is found (so a scan of an image can find
# things), and after the file is deleted it is found still, in free
# space, with the deleted file's name: FAT keeps a deleted file's bytes,
# so deleting a plain file from a stick does not remove it. `samvydav
# stick` runs against images (img_stick) for a full exchange between two
# mirrors, and today's plain stick is caught by the scan. A loop mount,
# where it works here, sees what mtools wrote; where it does not,
# img_mount fails and says why (a test needing it fails, it never skips).
. "$(dirname "$0")/lib.sh"

IMG=$T/stick.img
known="KNOWN-Свідчення-7f3a9c"
note="testimony of 12 November.txt"

# fsck IMG: fsck.vfat finds nothing to repair
fsck_img() {
	fsck.vfat -n "$1" >"$T/fsck.out" 2>&1
}

# --- make, and an empty stick shows a searcher nothing
check "img_make: a 40 MiB FAT32 image" img_make "$IMG"
same "$(img_ls "$IMG")" "" "img_ls: the new stick is empty"
check "fsck.vfat: the new stick is healthy" fsck_img "$IMG"
expect_exit 0 "FAT32: 512-byte clusters, [0-9]+ clusters, 0 names" \
	"forensic --image: an empty stick shows nothing (mkfs's own text is not a finding)" forensic --image "$IMG"

# --- a tree of folders and files, names with spaces and Cyrillic letters
mkdir -p "$T/tree/samvydav/bundles" "$T/tree/Херсон/листопад"
printf 'Testimony. %s. Ми виїхали з міста 12 листопада.\n' "$known" >"$T/tree/samvydav/bundles/$note"
printf 'a second file\n' >"$T/tree/Херсон/листопад/свідчення 2.md"
python3 -c 'import random, sys; sys.stdout.buffer.write(random.Random(1).randbytes(100000))' >"$T/tree/Херсон/k3x9q2"
check "img_put: the tree onto the stick" img_put "$IMG" "$T/tree"
same "$(img_ls "$IMG" | tr '\n' ' ')" \
	"/samvydav/ /samvydav/bundles/ /samvydav/bundles/$note /Херсон/ /Херсон/k3x9q2 /Херсон/листопад/ /Херсон/листопад/свідчення 2.md " \
	"img_ls: every folder and file, with its long name"
check "img_get: the whole stick back out" img_get "$IMG" "$T/out"
check "what comes back is the tree, byte for byte" diff -r "$T/tree" "$T/out"
check "fsck.vfat: healthy after the writes" fsck_img "$IMG"

# --- the scan of the raw image finds the string, and says where
# a long name is UTF-16LE in pieces of 5, 6 and 2 characters between the
# fields of its directory entries: "херс" is found in the bytes, "херсон"
# only in the names the tool puts together
forensic --image "$IMG" --forbid "$known" --forbid херсон --forbid херс >"$T/scan1" 2>&1
same "$?" 1 "forensic --image: the known string is found (exit 1)"
grep -qF "forbidden: \"$known\" (text) [/samvydav/bundles/$note at 11]" "$T/scan1" &&
	ok "it names the file and the offset in it" || not_ok "it names the file and the offset in it" "$(grep -F "$known" "$T/scan1")"
grep -qF '"херс" (UTF-16LE) [directory /]' "$T/scan1" &&
	ok "a piece of a folder's long name is found in UTF-16LE in the root directory" ||
	not_ok "a piece of a folder's long name is found in UTF-16LE in the root directory" "$(head -n 20 "$T/scan1")"
grep -qF '"херсон" in a name: /Херсон ' "$T/scan1" &&
	ok "the whole name in the names of the file system" || not_ok "the whole name in the names of the file system" "$(head -n 20 "$T/scan1")"
grep -qE 'stick.img:/Херсон/k3x9q2: 100000 bytes: .*: looks random' "$T/scan1" &&
	ok "a file of random bytes in the image looks random" || not_ok "a file of random bytes in the image looks random" "$(cat "$T/scan1")"
grep -qE "stick.img:/samvydav/bundles/$note: [0-9]+ bytes\$" "$T/scan1" &&
	grep -qF "$note: note: $(wc -c <"$T/tree/samvydav/bundles/$note") bytes: under 4096, too few for the randomness statistics" "$T/scan1" &&
	ok "a small file gets no statistics, and it says so" || not_ok "a small file gets no statistics, and it says so" "$(grep -F "$note" "$T/scan1")"

# --- delete it: gone from the listing, not from the bytes
check "img_rm: delete the file" img_rm "$IMG" "/samvydav/bundles/$note"
img_ls "$IMG" | grep -qF "$note" && not_ok "img_ls no longer lists it" || ok "img_ls no longer lists it"
check "fsck.vfat: healthy after the delete" fsck_img "$IMG"
forensic --image "$IMG" --forbid "$known" >"$T/scan2" 2>&1
same "$?" 1 "the deleted file's text is still in the image (exit 1)"
grep -qF "forbidden: \"$known\" (text) [free space, where deleted /samvydav/bundles/$note was]" "$T/scan2" &&
	ok "found in free space, where the deleted file was: FAT keeps a deleted file's bytes" ||
	not_ok "found in free space, where the deleted file was: FAT keeps a deleted file's bytes" "$(cat "$T/scan2")"
forensic --json --image "$IMG" >"$T/scan2.json"
same "$(python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))
print([(f["path"], f["short_name"]) for f in j["files"] if f["deleted"]])' "$T/scan2.json")" \
	"[('/samvydav/bundles/$note', '?ESTIM~1.TXT')]" \
	"its long name stays too, in the deleted directory entries, but for one byte of the short name (--json)"
check "img_rm: delete a folder and all it holds" img_rm "$IMG" /Херсон
same "$(img_ls "$IMG" | tr '\n' ' ')" "/samvydav/ /samvydav/bundles/ " "only the empty folders are left"
check "fsck.vfat: healthy after the folder's delete" fsck_img "$IMG"

# --- samvydav stick against images (a copy out and back: lib.sh says why)
A=$T/a
B=$T/b
new_archive "$A" ed && new_archive "$B" ed &&
	printf 'Ми виїхали з міста 12 листопада.\n' >"$T/body.md" &&
	svd -C "$A" add --kind testimony --title "Свідчення з Херсона" --lang uk --body "$T/body.md" \
		--created 2026-01-01T00:00:00Z --key "$T/ed.key" >/dev/null &&
	svd -C "$B" add --kind testimony --title "Свідчення з Одеси" --lang uk --body "$T/body.md" \
		--created 2026-01-02T00:00:00Z --key "$T/ed.key" >/dev/null
same "$?" 0 "two mirrors, an item each"
Aid=$(cat "$A/mirror-id")
Bid=$(cat "$B/mirror-id")
S=$T/stick2.img
img_make "$S"
expect_exit 0 "You may remove the stick now" "img_stick at A: done" img_stick "$S" "$A"
img_ls "$S" | grep -qxF "/samvydav/have/$Aid.have" && ok "the image holds A's have-file" ||
	not_ok "the image holds A's have-file" "$(img_ls "$S")"
expect_exit 0 "You may remove the stick now" "img_stick at B: done" img_stick "$S" "$B"
img_ls "$S" | grep -qE "^/samvydav/bundles/for-$Aid-[0-9TZ.]+\.tar\.zst\$" && ok "the image holds B's bundle for A" ||
	not_ok "the image holds B's bundle for A" "$(img_ls "$S")"
expect_exit 0 "You may remove the stick now" "img_stick at A again: done" img_stick "$S" "$A"
expect_exit 0 "You may remove the stick now" "img_stick at B again: done" img_stick "$S" "$B"
same "$(ids_of "$A")" "$(ids_of "$B")" "through the image, A and B came to hold the same items"
same "$(ids_of "$A" | wc -l)" 2 "both items"
check "fsck.vfat: the stick is healthy after four plugs" fsck_img "$S"
ida=$(ids_of "$A" | head -n 1)
forensic --image "$S" --forbid samvydav --forbid "$Aid" --forbid "$Bid" --forbid "$ida" \
	--forbid "Свідчення з Херсона" >"$T/scan3" 2>&1
same "$?" 1 "today's plain stick: the scan of its image finds things (issue 14)"
for what in '"samvydav" in a name: /samvydav ' "\"$Aid\" in a name" "\"$Bid\" (text)" "\"$ida\" (bytes)" \
	'signature: zstd: zstd frame' 'signature: zstd-skippable'; do
	grep -qF -- "$what" "$T/scan3" && ok "today's stick gives away: $what" ||
		not_ok "today's stick gives away: $what" "$(head -n 30 "$T/scan3")"
done

# --- a loop mount, where it works here; where not, img_mount fails loudly
L=$T/loop.img
img_make "$L"
mkdir -p "$T/loopfile"
printf 'through mtools\n' >"$T/loopfile/mtools.txt"
img_put "$L" "$T/loopfile"
if why=$(loop_ready 2>&1); then
	img_mount "$L" "$T/mnt" && ok "img_mount: the image mounted through a loop device" ||
		not_ok "img_mount: the image mounted through a loop device"
	same "$(cat "$T/mnt/mtools.txt" 2>/dev/null)" "through mtools" "the kernel's vfat reads what mtools wrote"
	printf 'through the kernel\n' >"$T/mnt/kernel.txt"
	img_umount "$T/mnt" && ok "img_umount" || not_ok "img_umount"
	same "$(mt mtype -i "$L" ::/kernel.txt)" "through the kernel" "mtools reads what the kernel's vfat wrote"
else
	printf '# %s: the loop-mount cross-check is not run (no other check here needs a mount)\n' "$why"
	expect_exit 1 "this test needs a loop mount" "img_mount, where no loop mount works, fails and says why" \
		img_mount "$L" "$T/mnt"
fi

finish
