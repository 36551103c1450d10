#!/usr/bin/env bash
# samvydav stick, sealed: three mirrors of one network (each has added the
# others' 'network key') exchange through a FAT32 stick image, A, B, C, A,
# B, C, ..., copied out and back with mtools (img_stick); every mirror ends
# with every item. Then a searcher's scan (tests/tools/forensic.py) of the
# raw image and of each file finds nothing: not the project's name, a
# mirror's id, the editor's key id, an item id, a title (UTF-8 or UTF-16),
# a camera's EXIF string, a public key, nor a zstd, tar, JSON or EXIF
# signature, and every file looks random; the same scan of a plain stick
# finds them (the scan can fail). On folders standing for sticks: a write
# killed at a pause point (the copy of a bundle onto the stick, the
# have-file) leaves a partial sealed file that the next exchange removes;
# files not for this network are left alone, byte for byte; a folder with
# more files than the bound says so and still finds the network's files;
# the network's folder ('network folder', --folder); a plain samvydav/
# folder is still read, and this mirror's plain have-file goes from it; a
# sealed file's hostile name is printed escaped; must-fail usage.
. "$(dirname "$0")/lib.sh"

for tool in mkfs.vfat mcopy; do
	command -v "$tool" >/dev/null || { echo "$tool is not installed (apt-get install dosfstools mtools)"; exit 1; }
done

# json FILE EXPR: a Python expression over the JSON object j in FILE
json() {
	python3 -c 'import json, sys; j = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}

# add_item ARCHIVE TITLE [PHOTO]: an item signed by ed, in Ukrainian, with a photo if given
add_item() {
	local src=$T/src-$RANDOM$RANDOM
	mkdir -p "$src/i"
	python3 -c 'import json, sys; print(json.dumps({"kind": "testimony", "title": sys.argv[1], "lang": "uk",
		"created": "2026-01-01T00:00:00Z", "region": "Херсонська область"}, ensure_ascii=False))' "$2" >"$src/i/meta.json"
	printf '%s. Ми виїхали з міста 12 листопада.\n' "$2" >"$src/i/body.md"
	[ -z "${3:-}" ] || cp "$3" "$src/i/photo.jpg"
	svd -C "$1" add --from "$src" --key "$T/ed.key" -q >/dev/null
}

# sealed_names DIR: the names of the files in DIR that are not 16 lowercase hex digits
odd_names() {
	ls -A "$1" | grep -vxE '[0-9a-f]{16}'
}

A=$T/a
B=$T/b
C=$T/c
for m in "$A" "$B" "$C"; do
	new_archive "$m" ed || not_ok "archive $m" "cannot make it"
	svd -C "$m" network key -o "$m.pub" 2>/dev/null >/dev/null
done
for m in a b c; do
	for o in a b c; do
		[ "$m" = "$o" ] || svd -C "$T/$m" network add --name "mirror-$o" "$T/$o.pub" >/dev/null 2>&1 ||
			not_ok "mirror $m adds mirror $o"
	done
done
same "$(svd -C "$A" network list --json | python3 -c 'import json, sys; print(sorted(m["name"] for m in json.load(sys.stdin)))')" \
	"['mirror-b', 'mirror-c']" "A's network holds B and C"

# a photo that did not compress: a JPEG with an EXIF camera string, then noise
python3 - "$T/photo.jpg" <<'EOF'
import random, struct, sys
exif = b"Exif\0\0MM\0*\0\0\0\x08" + b"Canon EOS 5D Mark IV\0" + b"Kherson 2026:01:01 10:00:00\0"
app1 = b"\xff\xe1" + struct.pack(">H", len(exif) + 2) + exif
body = random.Random(7).randbytes(60000)
open(sys.argv[1], "wb").write(b"\xff\xd8" + app1 + b"\xff\xda\x00\x08\x01\x01\x00\x00\x3f\x00" + body + b"\xff\xd9")
EOF
titles=("Свідчення з Херсона" "Обстріл школи в Бериславі" "Затримання на блокпосту" "Евакуація з Олешок")
add_item "$A" "${titles[0]}" "$T/photo.jpg" && add_item "$A" "${titles[1]}" && add_item "$B" "${titles[2]}" &&
	add_item "$C" "${titles[3]}" && ok "A holds two items (one with a photo), B and C one each" ||
	not_ok "A holds two items (one with a photo), B and C one each"
cat <(ids_of "$A") <(ids_of "$B") <(ids_of "$C") | sort -u >"$T/all.ids"
same "$(wc -l <"$T/all.ids")" 4 "four items in all"

# --- a full exchange through a FAT32 image: A, B, C, A, B, C, A, B, C
IMG=$T/stick.img
check "a 64 MiB FAT32 stick image" img_make "$IMG" 64
bad=
for round in 1 2 3; do
	for m in a b c; do
		img_stick "$IMG" "$T/$m" --json >"$T/x-$round-$m.json" 2>"$T/x-$round-$m.err" ||
			bad="$bad $m$round:$?"
	done
done
same "$bad" "" "every exchange of three rounds exits 0"
same "$(json "$T/x-1-a.json" '(j["layout"], j["safe"])')" "('sealed', True)" "--json: the layout is sealed, and the stick safe to remove"
for m in a b c; do
	same "$(ids_of "$T/$m")" "$(cat "$T/all.ids")" "mirror ${m^^} ends with every item"
done
same "$(json "$T/x-3-a.json" '(j["added"], j["written"], j["partials"], j["foreign"])')" "(0, 0, 0, 0)" \
	"the third round adds and writes nothing; no leftover, no file of anyone else"
same "$(json "$T/x-2-a.json" 'sorted(m["mirror"] for m in j["mirrors"])')" \
	"$(python3 -c 'import sys; print(sorted(sys.argv[1:]))' "$(cat "$B/mirror-id")" "$(cat "$C/mirror-id")")" \
	"--json: A met B and C by the ids inside their sealed have-files"
img_get "$IMG" "$T/out"
same "$(find "$T/out" -mindepth 1 -type d | wc -l)" 0 "the stick holds no folder"
same "$(odd_names "$T/out")" "" "every file on it is named with 16 random hex digits"
same "$(ls "$T/out" | wc -l)" "$(($(json "$T/x-3-c.json" 'j["read"]') + 3))" \
	"it holds the bundles and one have-file for each mirror, no more"
check "fsck.vfat finds the stick healthy" fsck.vfat -n "$IMG"

# --- what a searcher finds: nothing
{
	echo samvydav
	echo SVDX
	echo BUNDLE.json
	echo minisign
	echo "Canon EOS 5D"
	echo "Херсонська"
	cat "$A/mirror-id" "$B/mirror-id" "$C/mirror-id"
	svd -C "$A" trust list --json | python3 -c 'import json, sys; print("\n".join(k["key"] for k in json.load(sys.stdin)["keys"]))'
	cat "$T/all.ids"
	printf '%s\n' "${titles[@]}"
	for m in a b c; do tail -n 1 "$T/$m.pub"; done
	for m in a b c; do tail -n 1 "$T/$m.pub" | cut -c1-16; done
} >"$T/forbid"
same "$(grep -c . "$T/forbid")" 24 \
	"the forbidden strings: the name, 5 marks, 3 mirror ids, the key id, 4 item ids, 4 titles, 3 public keys whole and cut"
forensic --image "$IMG" --forbid-file "$T/forbid" >"$T/scan.out" 2>&1
rc=$?
same "$rc" 0 "forensic --image: the raw image shows nothing (names, bytes, free space, randomness of each file)"
[ "$rc" -eq 0 ] || sed -n 1,40p "$T/scan.out" | sed 's/^/# /'
forensic --forbid-file "$T/forbid" "$T/out"/* >"$T/scan2.out" 2>&1
rc=$?
same "$rc" 0 "forensic: each file on its own shows nothing and looks random"
[ "$rc" -eq 0 ] || sed -n 1,40p "$T/scan2.out" | sed 's/^/# /'
for f in "$T/out"/*; do
	if zstd -qt "$f" 2>/dev/null || tar -tf "$f" >/dev/null 2>&1; then
		not_ok "stock zstd and tar take no file for theirs" "$f"
		break
	fi
done
[ "$f" = "$(ls -d "$T/out"/* | tail -n 1)" ] && ok "stock zstd and tar take no file for theirs"

# the scan can fail: the same exchange on a plain stick is found out
IMG2=$T/plain.img
img_make "$IMG2" 64
for m in a b; do img_stick "$IMG2" "$T/$m" --plain -q >/dev/null 2>&1; done
forensic --image "$IMG2" --forbid-file "$T/forbid" >"$T/scan3.out" 2>&1
same "$?" 1 "the same scan of a plain stick (--plain) finds things"
grep -qi "samvydav" "$T/scan3.out" && grep -q "$(cat "$A/mirror-id")" "$T/scan3.out" &&
	ok "it names the project and A's mirror id" || not_ok "it names the project and A's mirror id" "$(head -n 20 "$T/scan3.out")"

# --- a copy onto the stick killed before its header is in: a partial sealed file
K=$T/k
mkdir -p "$K"
svd -C "$C" stick -q "$K" 2>/dev/null
add_item "$A" "Нове свідчення"
new_id=$(comm -13 "$T/all.ids" <(ids_of "$A"))
ls "$K" >"$T/k.before"
SVD_PAUSE_AT=stick.sealed SVD_PAUSE_FILE=$T/pause "$SVD_BIN" -C "$A" stick "$K" >/dev/null 2>"$T/k.err" &
kill_at stick.sealed "stick command" $! "$T/k.err"
partial=$(comm -13 "$T/k.before" <(ls "$K"))
same "$(printf '%s\n' "$partial" | grep -cxE '[0-9a-f]{16}')" 1 "killed there, the stick holds one new file, with a random name"
[ -s "$K/$partial" ] && ! grep -qa "$new_id" "$K/$partial" && ok "it holds bytes, none of them in the clear" ||
	not_ok "it holds bytes, none of them in the clear"
svd -C "$B" stick --json "$K" >"$T/k2.json" 2>"$T/k2.err"
same "$?" 0 "B's next exchange: exit 0"
same "$(json "$T/k2.json" 'j["partials"]')" 1 "--json: B removed one leftover of an interrupted write"
[ ! -e "$K/$partial" ] && ok "the partial file is gone" || not_ok "the partial file is gone"
svd -C "$A" stick -q "$K" 2>/dev/null && svd -C "$C" stick -q "$K" 2>/dev/null
ids_of "$C" | grep -qx "$new_id" && ok "A's next exchange writes it whole, and C takes the new item" ||
	not_ok "A's next exchange writes it whole, and C takes the new item"

# --- a have-file killed after its header: a partial sealed file of one header
K2=$T/k2
mkdir -p "$K2"
SVD_PAUSE_AT=seal.write SVD_PAUSE_FILE=$T/pause "$SVD_BIN" -C "$A" stick "$K2" >/dev/null 2>"$T/k3.err" &
kill_at seal.write "stick command" $! "$T/k3.err"
same "$(ls "$K2" | grep -cxE '[0-9a-f]{16}')" 1 "killed while its have-file was written, the stick holds one file of random name"
left=$(ls "$K2")
svd -C "$B" stick "$K2" >/dev/null 2>"$T/k4.err"
same "$?" 0 "B's next exchange: exit 0"
grep -qF "$K2/$left: the leftover of an interrupted write: removed" "$T/k4.err" &&
	ok "it says it removed the leftover" || not_ok "it says it removed the leftover" "$(cat "$T/k4.err")"
[ ! -e "$K2/$left" ] && ok "and it is gone" || not_ok "and it is gone"

# --- files not for this network are left alone, byte for byte
F=$T/f
mkdir -p "$F"
new_archive "$T/x" ed && new_archive "$T/y" ed
svd -C "$T/y" network key -o "$T/y.pub" >/dev/null 2>&1
svd -C "$T/x" network add "$T/y.pub" >/dev/null 2>&1
add_item "$T/x" "Чуже свідчення"
svd -C "$T/x" export -q --network -o "$F/0123456789abcdef" >/dev/null 2>&1 ||
	not_ok "a bundle sealed for a mirror of another network" "$(svd -C "$T/x" export --network -o "$T/z" 2>&1)"
head -c 3000 /dev/urandom >"$F/f00dfeedf00dfeed"
printf 'shopping list: bread, milk\n' >"$F/notes.txt"
printf 'tiny' >"$F/tiny"
(cd "$F" && sha256sum ./* >"$T/f.sums")
# and a sealed bundle of this network under a hostile name
evil=$(printf 'ev\033[31mil')
svd -C "$B" export -q --network -o "$F/$evil" >/dev/null 2>&1 || not_ok "a bundle sealed for the network" "$(svd -C "$B" export --network -o "$T/z" 2>&1)"
svd -C "$A" stick --json "$F" >"$T/f.json" 2>"$T/f.err"
same "$?" 0 "a folder with files of others: exit 0"
same "$(json "$T/f.json" 'j["foreign"]')" 4 "--json: four files no key opens"
check "they are left as they were" bash -c "cd '$F' && sha256sum -c --quiet '$T/f.sums'"
same "$(json "$T/f.json" '[b["outcome"] for b in j["bundles"]]')" "['imported']" "the network's bundle is imported"
same "$(json "$T/f.json" 'j["bundles"][0]["file"]')" "$F/ev\\x1b[31mil" "--json: its hostile name is shown escaped"
if grep -q $'\033' "$T/f.json" "$T/f.err"; then
	not_ok "no raw escape character reaches the output"
else
	ok "no raw escape character reaches the output"
fi

# --- more files than are tried: said so; the network's files are still found
M=$T/many
mkdir -p "$M"
svd -C "$C" stick -q "$M" 2>/dev/null
python3 -c 'import os, sys; [open(os.path.join(sys.argv[1], "junk-%04d.txt" % i), "w").close() for i in range(4100)]' "$M"
n=$(ls "$M" | wc -l)
svd -C "$A" stick --json "$M" >"$T/m.json" 2>"$T/m.err"
same "$?" 0 "a folder of $n files: exit 0"
same "$(json "$T/m.json" 'j["unlooked"]')" $((n - 4096)) "--json: the files over the 4096 tried are counted"
grep -q "$M: $((n - 4096)) files more than the 4096 tried were not opened" "$T/m.err" &&
	ok "and the output says so" || not_ok "and the output says so" "$(cat "$T/m.err")"
same "$(json "$T/m.json" '[m["mirror"] for m in j["mirrors"]]')" "['$(cat "$C/mirror-id")']" \
	"C's sealed have-file, named as sealed files are, was still tried first and found"

# --- the network's folder
expect_exit 0 "^/$" "network folder: the stick's root by default" svd -C "$A" network folder
expect_exit 0 "Sealed files go to Documents/misc/" "network folder NAME sets it" svd -C "$A" network folder Documents/misc
same "$(svd -C "$A" network folder)" "Documents/misc" "and shows it"
same "$(cat "$A/network/stick-folder")" "Documents/misc" "ARCHIVE/network/stick-folder holds it, one line"
expect_exit 2 "not a folder a stick can hold" "network folder ../up: refused" svd -C "$A" network folder ../up
expect_exit 2 "not a folder a stick can hold" "network folder a:b: refused (FAT cannot name it)" svd -C "$A" network folder a:b
N=$T/n
mkdir -p "$N"
svd -C "$A" stick --json "$N" >"$T/n.json" 2>/dev/null
same "$(json "$T/n.json" 'j["folder"]')" "$N/Documents/misc" "--json: the folder used"
same "$(ls "$N")" "Documents" "nothing is written beside the folder"
same "$(ls "$N/Documents/misc" | grep -cxE '[0-9a-f]{16}')" 1 "A's have-file is in it"
svd -C "$B" stick --folder Documents/misc --json "$N" >"$T/n2.json" 2>/dev/null
same "$(json "$T/n2.json" '[m["mirror"] for m in j["mirrors"]]')" "['$(cat "$A/mirror-id")']" "--folder: B finds A's have-file there"
printf 'a/../b\n' >"$A/network/stick-folder"
expect_exit 3 "stick-folder: not a stick folder's name" "a stick-folder file that lies: refused (exit 3)" svd -C "$A" network folder
expect_exit 3 "stick-folder: not a stick folder's name" "and a sealed exchange with it refuses to start" svd -C "$A" stick "$N"
expect_exit 0 "Sealed files go to the root" "network folder /: back to the root" svd -C "$A" network folder /
[ ! -e "$A/network/stick-folder" ] && ok "the setting is gone" || not_ok "the setting is gone"

# --- a plain samvydav/ folder is still read; A's plain have-file goes from it
P=$T/p
mkdir -p "$P"
svd -C "$A" stick --plain -q "$P" 2>/dev/null
svd -C "$B" stick --plain -q "$P" 2>/dev/null
svd -C "$C" export -q -o "$P/samvydav/bundles/from-c.tar.zst" >/dev/null
svd -C "$A" stick --json "$P" >"$T/p.json" 2>"$T/p.err"
same "$?" 0 "a stick with a plain folder, at A (sealed): exit 0"
same "$(json "$T/p.json" '[b["outcome"] for b in j["bundles"] if b["file"].endswith("from-c.tar.zst")]')" "['imported']" \
	"its plain bundle is imported"
same "$(json "$T/p.json" '[m["mirror"] for m in j["mirrors"]]')" "['$(cat "$B/mirror-id")']" "B's plain have-file is used"
[ ! -e "$P/samvydav/have/$(cat "$A/mirror-id").have" ] && [ -e "$P/samvydav/have/$(cat "$B/mirror-id").have" ] &&
	ok "A's plain have-file is gone from it, B's stays" || not_ok "A's plain have-file is gone from it, B's stays" "$(ls "$P/samvydav/have")"
same "$(ls "$P" | grep -vx samvydav | grep -cxE '[0-9a-f]{16}')" 1 "A's have-file is sealed, in the root"

# --- must-fail usage
Z=$T/z
new_archive "$Z" ed
mkdir -p "$T/zs"
expect_exit 2 "network has none" "--sealed without mirrors in the network: exit 2" svd -C "$Z" stick --sealed "$T/zs"
same "$(ls -A "$T/zs")" "" "and nothing is written"
expect_exit 2 "one of them" "--plain and --sealed: exit 2" svd -C "$A" stick --plain --sealed "$T/zs"
expect_exit 2 "--folder is the sealed layout's" "--folder with --plain: exit 2" svd -C "$A" stick --plain --folder x "$T/zs"
expect_exit 2 "not a folder a stick can hold" "--folder ../x: exit 2" svd -C "$A" stick --folder ../x "$T/zs"
svd -C "$Z" stick -q "$T/zs" 2>/dev/null
[ -d "$T/zs/samvydav/have" ] && ok "a mirror without a network writes the plain layout" ||
	not_ok "a mirror without a network writes the plain layout"

finish
