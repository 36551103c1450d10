#!/usr/bin/env bash
# SHA-1 alone does not decide what is already stored (issue 15, item 9;
# SPEC.md, the store). A store that holds, under the git id of an incoming
# file, an object with other bytes (what a SHA-1 collision of git objects
# would leave: planted here by hand, from the SHAttered pair's prefixes,
# tests/data/collision/) must not have the file skipped as held: the item is
# refused, naming the file, and nothing of it is admitted; by import and by
# add. Re-imports and attachments shared by items (ids met again with the
# same bytes, in the store and earlier in the same pack) still pass.
. "$(dirname "$0")/lib.sh"

D=$SVD_SOURCE_DIR/tests/data/collision
P1=$D/shattered-1.prefix
P2=$D/shattered-2.prefix
COLL='git object id collision: a stored object has this SHA-1 but other bytes'

# the file's blob id, by stock git; the other bytes have the same length
blob_id=$(git hash-object "$P1")
same "$(stat -c %s "$P1")" "$(stat -c %s "$P2")" "the two prefixes have one length"

# plant ARCHIVE: a loose object named by the file's blob id, holding the
# other prefix (zlib of "blob 320\0" and the bytes, as git writes them)
plant() {
	python3 - "$1/store.git/objects" "$blob_id" "$P2" <<'PY'
import os, sys, zlib
objects, oid, other = sys.argv[1:]
data = open(other, "rb").read()
os.makedirs(os.path.join(objects, oid[:2]), exist_ok=True)
with open(os.path.join(objects, oid[:2], oid[2:]), "wb") as f:
    f.write(zlib.compress(b"blob %d\0" % len(data) + data))
PY
}

# The sender: an item whose attachment is the first prefix, and a second
# item with the same attachment (shared: one blob, met again in the pack).
A=$T/sender
new_archive "$A" ed || exit 1
for i in 1 2; do
	mkdir -p "$T/src/item$i"
	printf '{"kind":"article","title":"Стаття %d","lang":"uk","created":"2026-01-0%dT00:00:00Z"}' "$i" "$i" >"$T/src/item$i/meta.json"
	printf '# Стаття %d\n\nТекст.\n' "$i" >"$T/src/item$i/body.md"
	cp "$P1" "$T/src/item$i/shattered.pdf"
done
svd -C "$A" add --from "$T/src" --key "$T/ed.key" -q || exit 1
svd -C "$A" export -q -o "$T/both.tar.zst" || exit 1
same "$(ids_of "$A" | wc -l)" 2 "the sender holds two items"
same "$(git --git-dir="$A/store.git" cat-file -t "$blob_id")" blob \
	"the sender's store holds the file's blob"

# import into a store that holds other bytes under the file's id: refused
R=$T/planted
new_archive "$R" ed || exit 1
plant "$R"
expect_exit 3 "shattered.pdf: .*$COLL" "import: an item whose file's id holds other bytes is refused, naming the file" \
	svd -C "$R" import "$T/both.tar.zst"
same "$(ids_of "$R")" "" "import: nothing of it was admitted"
same "$(head_of "$R")" "" "import: main was not made"
same "$(grep -rl "collision" "$R/refused" 2>/dev/null | wc -l | tr -d ' ')" 1 "import: the refusal is recorded"

# sync from a folder peer (the sender's store.git, opened in place) into
# such a store: the file's id is held, its bytes were read from the peer's
# store, so the bytes held are checked too: refused, nothing admitted
R3=$T/planted-sync
new_archive "$R3" ed || exit 1
plant "$R3"
expect_exit 3 "" "sync from a folder peer: the item whose file's id holds other bytes is refused" \
	svd -C "$R3" sync a "$A/store.git"
same "$(ids_of "$R3")" "" "sync: nothing of it was admitted"
out=$(svd -C "$R3" sync a "$A/store.git" 2>&1)
printf "%s" "$out" | grep -q "shattered.pdf.*$COLL" && ok "sync: the refusal names the file" || not_ok "sync: the refusal names the file" "$out"

# add of the same files into such a store: refused as well, main unchanged
R2=$T/planted-add
new_archive "$R2" ed || exit 1
mkdir -p "$T/own"
printf '{"title":"Власна","lang":"uk","created":"2025-12-31T00:00:00Z"}' >"$T/own/meta.json"
printf 'Власний текст.\n' >"$T/own/body.md"
svd -C "$R2" add --from "$T/own" --key "$T/ed.key" -q || exit 1
before=$(head_of "$R2")
plant "$R2"
out=$(svd -C "$R2" add --from "$T/src/item1" --key "$T/ed.key" -q 2>&1)
rc=$?
if [ "$rc" -ne 0 ] && printf '%s' "$out" | grep -q "shattered.pdf.*$COLL"; then
	ok "add: the file whose id holds other bytes is refused, named (exit $rc)"
else
	not_ok "add: the file whose id holds other bytes is refused, named" "exit $rc: $out"
fi
same "$(head_of "$R2")" "$before" "add: main is unchanged"
same "$(ids_of "$R2" | wc -l)" 1 "add: the archive holds its own item only"

# the same bytes met again are no collision: a fresh import (the shared
# attachment met again in the pack), a re-import (every blob held), and an
# add of an item sharing the attachment with a held one
G=$T/good
new_archive "$G" ed || exit 1
expect_exit 0 "" "import: two items sharing an attachment come in" svd -C "$G" import -q "$T/both.tar.zst"
same "$(ids_of "$G")" "$(ids_of "$A")" "import: both items held"
expect_exit 0 "" "re-import: every blob held already, nothing refused" svd -C "$G" import -q "$T/both.tar.zst"
mkdir -p "$T/third"
printf '{"kind":"article","title":"Третя","lang":"uk","created":"2026-01-03T00:00:00Z"}' >"$T/third/meta.json"
printf '# Третя\n' >"$T/third/body.md"
cp "$P1" "$T/third/shattered.pdf"
expect_exit 0 "" "add: an item sharing a held attachment comes in" \
	svd -C "$G" add --from "$T/third" --key "$T/ed.key" -q
same "$(ids_of "$G" | wc -l)" 3 "add: three items held"
check "stock git finds the store healthy" fsck_clean "$G"
check "samvydav verify passes" svd -C "$G" verify -q

finish
