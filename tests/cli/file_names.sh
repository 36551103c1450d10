#!/usr/bin/env bash
# Payload file names that would be one file on a stick or a reader's disk
# (SPEC.md 3.3.6): Ф.jpg beside ф.jpg, NFC beside NFD, Straße beside
# STRASSE, Windows device names. add refuses them when it makes an item,
# and add --from and import refuse a signed item that lists them, naming
# the item and both files; main does not move.
. "$(dirname "$0")/lib.sh"

A=$T/archive
new_archive "$A" ed
keyid=$(svd key show "$T/ed.pub")
printf 'Тіло.\n' >"$T/body.md"
mkdir -p "$T/one" "$T/two"
printf 'one' >"$T/one/Ф.jpg"
printf 'two' >"$T/two/ф.jpg"
base=$(head_of "$A")

# made by add: the builder refuses the second name
expect_exit 2 'ф.jpg" is the same name as "Ф.jpg" on a disk that ignores case' \
	"add --attach Ф.jpg --attach ф.jpg is refused, naming both" \
	svd -C "$A" add --kind article --title "Назви" --lang uk --body "$T/body.md" \
	--attach "$T/one/Ф.jpg" --attach "$T/two/ф.jpg" --key "$T/ed.key"
printf 'x' >"$T/one/con.txt"
expect_exit 2 'con.txt.*a name Windows reserves for a device' "add --attach con.txt is refused" \
	svd -C "$A" add --kind article --title "Назви" --lang uk --body "$T/body.md" \
	--attach "$T/one/con.txt" --key "$T/ed.key"
same "$(head_of "$A")" "$base" "main did not move"

# crafted and signed as stock minisign would: item DIR NAME... writes a
# signed item listing the names (each file holding its name) into DIR
item() {
	local dir=$1
	shift
	rm -rf "$dir"
	mkdir -p "$dir/sig"
	cp "$T/body.md" "$dir/body.md"
	for n in "$@"; do printf '%s' "$n" >"$dir/$n"; done
	python3 - "$dir" "$@" <<-'PY'
		import hashlib, json, os, sys
		d = sys.argv[1]
		names = ["body.md"] + sys.argv[2:]
		files = []
		for n in sorted(names, key=lambda s: s.encode()):
		    b = open(os.path.join(d, n), "rb").read()
		    files.append({"path": n, "sha256": hashlib.sha256(b).hexdigest(), "size": len(b)})
		m = {"created": "2026-01-01T00:00:00Z", "files": files, "format": 1, "kind": "article",
		     "lang": "uk", "title": "Назви"}
		open(os.path.join(d, "manifest.json"), "w").write(
		    json.dumps(m, ensure_ascii=False, separators=(",", ":"), sort_keys=True))
	PY
	minisign -S -s "$T/ed.key" -m "$dir/manifest.json" -x "$dir/sig/$keyid.minisig" >/dev/null 2>&1
	cp "$T/ed.pub" "$dir/sig/$keyid.pub"
}
id_of() { sha256sum <"$1/manifest.json" | cut -c1-64; }

# a good one first: the crafting is right, and distinct Unicode names pass
item "$T/good" "é.txt" "e.txt" "фото.jpg"
check "a crafted item with distinct names is accepted" svd -C "$A" add -q --from "$T/good"
base=$(head_of "$A")

nfd=$(printf 'e\xcc\x81.txt')
for pair in "Ф.jpg ф.jpg" "$nfd é.txt" "Straße STRASSE"; do
	set -- $pair
	item "$T/x" "$1" "$2"
	id=$(id_of "$T/x")
	expect_exit 3 "refused .*the same name as files\[[0-9]\] on a disk that ignores case or Unicode normalization" \
		"add --from refuses a signed item listing $1 and $2" svd -C "$A" add --from "$T/x"
	# the same item in a bundle from the independent writer
	rm -rf "$T/src"
	mkdir -p "$T/src"
	cp -r "$T/x" "$T/src/$id"
	craft write "$T/x.tar.zst" "$T/src/$id" >/dev/null
	expect_exit 3 "refused .*x.tar.zst: .*the same name as files\[[0-9]\] on a disk" \
		"import refuses it in a bundle" svd -C "$A" import "$T/x.tar.zst"
done
item "$T/x" "LPT1"
expect_exit 3 "refused .*files\[[0-9]\]\.path: a name Windows reserves" \
	"add --from refuses a signed item listing LPT1" svd -C "$A" add --from "$T/x"
same "$(head_of "$A")" "$base" "main did not move"
check "the archive still verifies" svd -C "$A" verify -q

finish
