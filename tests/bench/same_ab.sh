#!/usr/bin/env bash
# Two builds of samvydav, one frozen clock, the same steps: are the bytes the same?
#
#     SVD_BIN_A=OLD/samvydav SVD_BIN_B=NEW/samvydav same_ab.sh [--items N] [--keep DIR] [SCRATCH]
#
# For a change that must not alter any file format (a refactoring): each
# build, under faketime at one instant and with the same keys and mirror
# ids, adds a generated corpus, exports it (full, --level 1 -j 1,
# --max-size parts, --since, --with-reader), writes a have-file, co-signs
# an item, syncs a second archive from it, imports the bundle into a third
# and unpacks both the bundle and the archive. Then every file the two
# builds wrote is compared: the bundles, have-files, libraries, each
# store's main commit and the SHA-256 of every pack. `list --json` is
# compared without its "state" member, which is new with the view (issue
# 12). Exits 0 and prints "same" when nothing differs, else prints the
# difference and exits 1. 300 items by default. Needs faketime
# (apt-get install faketime). Not a test: a check to run by hand beside
# bench_ab.sh.
set -euo pipefail

usage_lines=4,5
SVD_BIN=${SVD_BIN_A:?set SVD_BIN_A and SVD_BIN_B to the two samvydav binaries}
case " $* " in
*" --items "*) ;;
*) set -- --items 300 "$@" ;; # lib.sh's own default is the benches' 20,000
esac
. "$(dirname "$0")/lib.sh"
[ -x "${SVD_BIN_B:-}" ] || usage
command -v faketime >/dev/null || {
	echo "same_ab: faketime is needed (apt-get install faketime)" >&2
	exit 1
}
cp "$SVD_BIN_B" "$W/samvydav-b"
mv "$W/samvydav" "$W/samvydav-a"

python3 "$here/gen_corpus.py" --items "$items" --seed 3 "$W/corpus" >/dev/null
python3 "$here/gen_corpus.py" --items 10 --seed 9 "$W/new" >/dev/null

# at the same instant for both builds: commits, bundles and signatures carry times
ft() { faketime -f "2026-12-01 12:00:00" "$@"; }
ft "$W/samvydav-a" key generate --no-passphrase -o "$W/k.key" -p "$W/k.pub" >/dev/null
ft "$W/samvydav-a" key generate --no-passphrase -o "$W/k2.key" -p "$W/k2.pub" >/dev/null

# new_archive BIN DIR MIRROR-ID: an archive trusting the first key, with a fixed mirror id
new_archive() {
	ft "$1" init "$2" >/dev/null
	echo "$3" >"$2/mirror-id"
	ft "$1" -C "$2" trust add "$W/k.pub" >/dev/null
}

# store_state DIR OUT: an archive's main and the SHA-256 of each of its packs
store_state() {
	{
		git --git-dir "$1/store.git" rev-parse main
		(cd "$1/store.git/objects/pack" && sha256sum -- *.pack)
	} >"$2"
}

# run BUILD: every step with one build; what it wrote goes to $W/out-BUILD
run() {
	local bin=$W/samvydav-$1 o=$W/out-$1 A=$W/a-$1 B=$W/b-$1 C=$W/c-$1 head id
	mkdir -p "$o"
	new_archive "$bin" "$A" 0123456789abcdef0123456789abcdef
	ft "$bin" -C "$A" add -q --from "$W/corpus" --key "$W/k.key" </dev/null
	ft "$bin" -C "$A" export -q -o "$o/full.tar.zst"
	ft "$bin" -C "$A" export -q -j 1 --level 1 -o "$o/level1.tar.zst"
	ft "$bin" -C "$A" export -q --max-size 2M -o "$o/parts.tar.zst"
	ft "$bin" -C "$A" have -o "$o/a.have" >/dev/null
	head=$(ft "$bin" -C "$A" log | awk 'NR == 1 {print $2}')
	ft "$bin" -C "$A" add -q --from "$W/new" --key "$W/k.key" </dev/null
	ft "$bin" -C "$A" export -q --since "$head" -o "$o/since.tar.zst"
	ft "$bin" -C "$A" export -q --with-reader -o "$o/reader.tar.zst"
	id=$(ft "$bin" -C "$A" list --json | python3 -c 'import json, sys; print(json.load(sys.stdin)[0]["id"])')
	ft "$bin" -C "$A" sign "$id" --key "$W/k2.key" >/dev/null
	ft "$bin" -C "$A" list --json |
		python3 -c 'import json, sys
v = json.load(sys.stdin)
for d in v:
    d.pop("state", None)
print(json.dumps(v, sort_keys=True))' >"$o/list.json"
	store_state "$A" "$o/store-a"
	new_archive "$bin" "$C" 00112233445566778899aabbccddeeff
	ft "$bin" -C "$C" trust add "$W/k2.pub" >/dev/null
	ft "$bin" -C "$C" sync -q peer "$A/store.git"
	store_state "$C" "$o/store-synced"
	new_archive "$bin" "$B" fedcba9876543210fedcba9876543210
	ft "$bin" -C "$B" import -q "$o/full.tar.zst"
	store_state "$B" "$o/store-imported"
	ft "$bin" -C "$B" unpack -q "$o/full.tar.zst" -o "$o/library-of-bundle"
	ft "$bin" -C "$B" unpack -q "$A" -o "$o/library-of-archive"
	rm -rf "$A" "$B" "$C"
}

run a
run b
if diff -r "$W/out-a" "$W/out-b"; then
	printf 'same: %s files, %s bytes, %d items\n' "$(find "$W/out-a" -type f | wc -l)" \
		"$(du -sb "$W/out-a" | cut -f1)" "$items"
else
	echo "same_ab: the two builds wrote different bytes (above)" >&2
	exit 1
fi
