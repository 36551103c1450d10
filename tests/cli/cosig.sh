#!/usr/bin/env bash
# Co-signatures travel (SPEC 9.2, 9.5): a signature added on mirror A after
# the others took the item reaches each of them by export --have (a
# have-file of format 2), by export --since COMMIT, by peer sync and by a
# courier's stick, as a signature update (manifest.json and sig/ only)
# counted co-signed, and every mirror ends with A's folder for the item.
# An update of an item not held is skipped, not refused; inspect says what
# it cannot check; a format-1 have-file gets no update. Must-fail: an update
# that carries a payload file, one with another item's manifest, one with a
# junk signature, and a BUNDLE.json that names an id both ways. sign takes
# many ids in one commit: arguments, --from (a file, standard input), --by.
. "$(dirname "$0")/lib.sh"

# folder ARCHIVE ID: the git tree of the item's folder in main
folder() {
	git --git-dir="$1/store.git" rev-parse "main:$(item_path "$2")"
}

# sigs ARCHIVE ID: the names in the item's sig/, one a line
# sigs ARCHIVE ID: the signature files of an item (each has its key file beside it)
sigs() {
	git --git-dir="$1/store.git" ls-tree --name-only "main:$(item_path "$2")/sig" | grep '\.minisig$'
}

# json FILE EXPR: a Python expression over the JSON object j in FILE
json() {
	python3 -c 'import json, sys; j = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}

# update_bundle OUT JSON DIR: a one-frame bundle of BUNDLE.json (JSON, made
# canonical) and the files under DIR/items, written with Python's tarfile and
# the stock zstd, independently of the library
update_bundle() {
	python3 - "$1.tar" "$2" "$3" <<-'PY'
		import io, json, os, sys, tarfile
		out, meta, src = sys.argv[1:]
		def add(t, name, data):
		    ti = tarfile.TarInfo(name)
		    ti.size = len(data)
		    ti.mtime = 1767225600
		    ti.mode = 0o644
		    t.addfile(ti, io.BytesIO(data))
		with tarfile.open(out, "w", format=tarfile.PAX_FORMAT) as t:
		    add(t, "BUNDLE.json", json.dumps(json.loads(meta), sort_keys=True,
		                                     separators=(",", ":")).encode())
		    for root, dirs, files in sorted(os.walk(src)):
		        dirs.sort()
		        for f in sorted(files, key=lambda f: (f != "manifest.json", f)):
		            p = os.path.join(root, f)
		            add(t, os.path.relpath(p, os.path.dirname(src)), open(p, "rb").read())
	PY
	zstd -q -f "$1.tar" -o "$1" && rm -f "$1.tar"
}

A=$T/a
new_archive "$A" ed
svd key generate --no-passphrase -o "$T/co.key" -p "$T/co.pub" >/dev/null
svd -C "$A" trust add "$T/co.pub" >/dev/null
for i in 1 2 3; do
	printf 'Текст %s\n' "$i" >"$T/body.md"
	svd -C "$A" add --kind article --title "Стаття $i" --lang uk --body "$T/body.md" \
		--created 2026-01-0${i}T00:00:00Z --key "$T/ed.key" >/dev/null
done
ids_of "$A" >"$T/a.ids"
X=$(sed -n 1p "$T/a.ids")
Y=$(sed -n 2p "$T/a.ids")
svd -C "$A" export -q -o "$T/full.tar.zst"
same "$(tar --zstd -xOf "$T/full.tar.zst" BUNDLE.json | python3 -c 'import json,sys; print(json.load(sys.stdin)["format"])')" 1 \
	"a bundle with no update stays format 1, for readers that know only it"

# B, C, E take everything by bundle, D by peer sync; F holds nothing
for m in b c e f; do new_archive "$T/$m" ed; done
for m in b c e; do svd -C "$T/$m" import -q "$T/full.tar.zst"; done
B=$T/b C=$T/c D=$T/d E=$T/e F=$T/f
new_archive "$D" ed
check "D syncs from A" svd -C "$D" sync a "$A/store.git"
before=$(head_of "$A")
svd -C "$B" have -o "$T/b.have" >/dev/null
S=$T/stick
mkdir -p "$S"
check "E's stick trip writes E's have-file" svd -C "$E" stick -q "$S"

# --- A co-signs X after everyone took it
check "A co-signs X with a second key" svd -C "$A" sign "$X" --key "$T/co.key"
same "$(sigs "$A" "$X" | wc -l)" 2 "X has two signatures on A"

# --- by --have
svd -C "$A" export --json -q --have "$T/b.have" -o "$T/have.tar.zst" >"$T/have.json"
same "$(json "$T/have.json" '(j["items"], j["updates"])')" "(0, 1)" \
	"export --have B: no item, one signature update"
same "$(tar --zstd -tf "$T/have.tar.zst" | sed 's|items/../[0-9a-f]*/||')" "BUNDLE.json
manifest.json
$(git --git-dir="$A/store.git" ls-tree --name-only "main:$(item_path "$X")/sig" | sed 's|^|sig/|')" \
	"the update holds manifest.json and sig/ only (signatures and their keys), no payload"
same "$(tar --zstd -xOf "$T/have.tar.zst" BUNDLE.json | python3 -c '
import json,sys; j=json.load(sys.stdin); print(j["format"], j["count"], j["ids"], j["updates"])')" "2 0 [] ['$X']" \
	"BUNDLE.json is format 2 and lists the update apart"
expect_exit 0 "update .*only an import" "inspect shows the update and what it cannot check" \
	svd inspect "$T/have.tar.zst"
svd -C "$B" import --json "$T/have.tar.zst" >"$T/bi.json"
same "$?" 0 "B imports the update: exit 0"
same "$(json "$T/bi.json" '(j["added"], j["cosigned"], j["refused"], j["updates"], j["skipped"])')" "(0, 1, 0, 1, 0)" \
	"--json: one co-signed, nothing added or refused"
same "$(folder "$B" "$X")" "$(folder "$A" "$X")" "B now holds A's folder of X"
check "B verifies" svd -C "$B" verify -q
expect_exit 0 "0 co-signed, 1 already here" "the same update again changes nothing" \
	svd -C "$B" import "$T/have.tar.zst"
svd -C "$B" have -o "$T/b2.have" >/dev/null
svd -C "$A" export --json -q --have "$T/b2.have" -o "$T/none.tar.zst" >"$T/none.json"
same "$(json "$T/none.json" '(j["items"], j["updates"])')" "(0, 0)" "B's new have-file asks for nothing"

# --- by --since COMMIT
svd -C "$A" export --json -q --since "$before" -o "$T/since.tar.zst" >"$T/since.json"
same "$(json "$T/since.json" '(j["items"], j["updates"])')" "(0, 1)" \
	"export --since the commit before the co-signature: one update"
expect_exit 0 "0 added, 1 co-signed" "C imports it, co-signed" svd -C "$C" import "$T/since.tar.zst"
same "$(folder "$C" "$X")" "$(folder "$A" "$X")" "C now holds A's folder of X"

# --- by peer sync
check "D syncs from A again" svd -C "$D" sync a "$A/store.git"
same "$(folder "$D" "$X")" "$(folder "$A" "$X")" "D now holds A's folder of X"

# --- by a courier's stick: E's have-file is on it; A writes for E; E imports
check "the stick at A" svd -C "$A" stick -q "$S"
[ -n "$(ls "$S/samvydav/bundles" | grep "^for-$(cat "$E/mirror-id")-")" ] &&
	ok "A wrote a bundle for E on the stick" || not_ok "A wrote a bundle for E on the stick"
svd -C "$E" stick --json "$S" >"$T/e.json" 2>/dev/null
same "$(json "$T/e.json" 'j["cosigned"]')" 1 "the stick at E: one co-signed"
same "$(folder "$E" "$X")" "$(folder "$A" "$X")" "E now holds A's folder of X"
svd -C "$A" stick --json "$S" >"$T/a2.json" 2>/dev/null
same "$(json "$T/a2.json" "[m['files'] for m in j['mirrors'] if m['mirror'] == '$(cat "$E/mirror-id")']")" "[[]]" \
	"the next trip at A writes E nothing: its have-file lists the new signature"

# --- an update of an item not held is skipped, not refused
rm -rf "$F/refused"
expect_exit 0 "skipped: a signature update of an item this archive does not hold" \
	"F, which does not hold X, skips the update (exit 0)" svd -C "$F" import "$T/have.tar.zst"
same "$(ids_of "$F")" "" "and holds nothing"
same "$(ls "$F/refused" 2>/dev/null)" "" "and records no refusal"
mkdir -p "$T/lib"
expect_exit 0 "" "unpack of an update bundle: exit 0" svd unpack "$T/have.tar.zst" -o "$T/lib/u" --trust "$T/ed.pub"
same "$(find "$T/lib/u/items" -mindepth 2 2>/dev/null)" "" "and writes no item for it"

# --- a have-file of format 1 gets no update: its mirror cannot read one
{ printf 'samvydav have 1\nmirror %s\ncreated 2026-01-01T00:00:00Z\ncount 3\n' "$(cat "$B/mirror-id")"; cat "$T/a.ids"; } >"$T/v1.have"
svd -C "$A" export --json -q --have "$T/v1.have" -o "$T/v1.tar.zst" >"$T/v1.json"
same "$(json "$T/v1.json" '(j["items"], j["updates"])')" "(0, 0)" "a format-1 have-file: nothing sent, as before"

# --- must-fail updates, made by hand
G=$T/g
new_archive "$G" ed
svd -C "$G" import -q "$T/full.tar.zst"
mirror=0123456789abcdef0123456789abcdef
mk() { # NAME: a folder $T/NAME/items/xx/X with X's manifest and A's sig/
	rm -rf "$T/$1"
	mkdir -p "$T/$1/items/${X:0:2}"
	export_item "$A" "$X" "$T/$1/items/${X:0:2}/$X"
}
meta() { printf '{"format":2,"created":"2026-01-01T00:00:00Z","mirror":"%s","count":0,"ids":[],"updates":["%s"]}' "$mirror" "$1"; }
mk payload
update_bundle "$T/payload.tar.zst" "$(meta "$X")" "$T/payload/items"
expect_exit 3 "layout: a signature update holds only manifest.json and sig/" \
	"an update carrying a payload file is refused" svd -C "$G" import "$T/payload.tar.zst"
mk other
rm -f "$T/other/items/${X:0:2}/$X/"body.md
git --git-dir="$A/store.git" cat-file blob "main:$(item_path "$Y")/manifest.json" >"$T/other/items/${X:0:2}/$X/manifest.json"
update_bundle "$T/other.tar.zst" "$(meta "$X")" "$T/other/items"
expect_exit 3 "manifest.json: id: a signature update's manifest is not the manifest of item $X" \
	"an update with another item's manifest is refused" svd -C "$G" import "$T/other.tar.zst"
same "$(sigs "$G" "$X" | wc -l)" 1 "... X still has its one signature on G"
mk junk
rm -f "$T/junk/items/${X:0:2}/$X/"body.md
printf 'untrusted comment: junk\nnot a signature\n' >"$T/junk/items/${X:0:2}/$X/sig/0000000000000001.minisig"
update_bundle "$T/junk.tar.zst" "$(meta "$X")" "$T/junk/items"
expect_exit 0 "left out sig/0000000000000001.minisig" "an update with a junk signature beside good ones: the junk is left out" \
	svd -C "$G" import "$T/junk.tar.zst"
same "$(sigs "$G" "$X")" "$(sigs "$A" "$X")" "G holds A's signatures of X and not the junk"
update_bundle "$T/both.tar.zst" \
	"$(printf '{"format":2,"created":"2026-01-01T00:00:00Z","mirror":"%s","count":1,"ids":["%s"],"updates":["%s"]}' "$mirror" "$X" "$X")" \
	"$T/junk/items"
expect_exit 3 "both an item and a signature update" "BUNDLE.json naming an id both ways is damage" \
	svd -C "$G" import "$T/both.tar.zst"
update_bundle "$T/f3.tar.zst" \
	"$(printf '{"format":3,"created":"2026-01-01T00:00:00Z","mirror":"%s","count":0,"ids":[]}' "$mirror")" "$T/junk/items"
expect_exit 3 "format 3, newer than this samvydav reads" "a newer BUNDLE.json format is damage of frame 0, named" \
	svd -C "$G" import "$T/f3.tar.zst"

# --- sign: many ids in one operation, one commit
n0=$(git --git-dir="$A/store.git" rev-list --count main)
svd key generate --no-passphrase -o "$T/third.key" -p "$T/third.pub" >/dev/null
svd -C "$A" trust add "$T/third.pub" >/dev/null
edid=$(sed -n 1p "$T/ed.pub" | grep -oE '[0-9A-F]{16}')
expect_exit 0 "" "sign --by ed's key with a third key" svd -C "$A" sign --by "$edid" --key "$T/third.key"
same "$(git --git-dir="$A/store.git" rev-list --count main)" $((n0 + 1)) "... in one commit"
third=$(sed -n 1p "$T/third.pub" | grep -oE '[0-9A-F]{16}')
for id in $(cat "$T/a.ids"); do sigs "$A" "$id"; done | grep -c "$third" >"$T/count"
same "$(cat "$T/count")" 3 "... every item ed signed now has the third key's signature"
svd -C "$A" sign --json --by "$edid" --key "$T/third.key" >"$T/again.json"
same "$(json "$T/again.json" '(len(j["signed"]), len(j["already"]), len(j["failed"]))')" "(0, 3, 0)" \
	"--by again: every item signed already, nothing to do"
svd key generate --no-passphrase -o "$T/fourth.key" -p "$T/fourth.pub" >/dev/null
svd -C "$A" trust add "$T/fourth.pub" >/dev/null
printf '# two ids and a blank line\n%s\n\n%s\n' "${X:0:12}" "$Y" | svd -C "$A" sign --json --from - --key "$T/fourth.key" >"$T/from.json"
same "$(json "$T/from.json" 'len(j["signed"])')" 2 "--from -: the ids of standard input, shortened or not"
expect_exit 4 "no item beef" "an unknown id exits 4, the others are signed" \
	svd -C "$A" sign "$(sed -n 3p "$T/a.ids")" beef --key "$T/fourth.key"
same "$(sigs "$A" "$(sed -n 3p "$T/a.ids")" | wc -l)" 3 "... and the third item has the fourth key's signature"
expect_exit 2 "one id" "--signature with two ids is a usage error" \
	svd -C "$A" sign "$X" "$Y" --signature "$T/x.minisig"
expect_exit 2 "not a key id" "--by with a bad key id is a usage error" \
	svd -C "$A" sign --by nokey --key "$T/fourth.key"
expect_exit 2 "name the items" "sign with no id at all is a usage error" svd -C "$A" sign --key "$T/fourth.key"

# and all of it travels at once: B's have-file asks for every new signature
svd -C "$B" have -o "$T/b3.have" >/dev/null
svd -C "$A" export --json -q --have "$T/b3.have" -o "$T/all.tar.zst" >"$T/all.json"
same "$(json "$T/all.json" '(j["items"], j["updates"])')" "(0, 3)" "export --have: three updates"
check "B imports them" svd -C "$B" import -q "$T/all.tar.zst"
same "$(git --git-dir="$B/store.git" rev-parse 'main^{tree}')" "$(git --git-dir="$A/store.git" rev-parse 'main^{tree}')" \
	"B holds A's tree"

finish
