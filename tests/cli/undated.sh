#!/usr/bin/env bash
# Items without a publication date (SPEC.md 7.1, point 4): an item added
# without "published" gets "created" now, and must not show as published
# today. list prints '-' for its date, list --json a null "date"; it comes
# after every dated item, the undated newest made first; the reader library
# built by unpack gives it an empty date cell and data-year="undated"; and a
# view cache of the layout before (whose date of such an item was that of
# "created") is ignored and made again, never read.
. "$(dirname "$0")/lib.sh"

A=$T/a
new_archive "$A" ed || { echo "cannot set up an archive"; exit 1; }
added() { svd -C "$A" add --key "$T/ed.key" "$@" | awk '/^Added/ {print $2}'; }
printf 'Body.\n' >"$T/b.md"
OLD=$(added --kind article --title 'Old dated' --lang en --published 2020-05-05 --body "$T/b.md" \
	--created 2020-05-06T00:00:00Z)
NOW=$(added --kind article --title 'Undated, made now' --lang en --body "$T/b.md")
EARLY=$(added --kind testimony --title 'Undated, made early' --lang uk --body "$T/b.md" \
	--created 2019-01-01T00:00:00Z)
DATED=$(added --kind article --title 'Dated' --lang en --published 2024-06-01 --body "$T/b.md" \
	--created 2024-06-01T00:00:00Z)
same "${#OLD}${#NOW}${#EARLY}${#DATED}" 64646464 "add two dated and two undated items"
made=$(svd -C "$A" show --json "$NOW" | python3 -c 'import json,sys; print(json.load(sys.stdin)["created"])')
[ ${#made} = 20 ] && ok "the undated item was given a created time ($made)" ||
	not_ok "the undated item was given a created time" "$made"

# list: dated newest first, then the undated newest made first; '-' for no date
out=$(svd -C "$A" list)
same "$(printf '%s\n' "$out" | cut -c1-12 | tr '\n' ' ')" \
	"${DATED:0:12} ${OLD:0:12} ${NOW:0:12} ${EARLY:0:12} " "list: the dated items first, then the undated"
same "$(printf '%s\n' "$out" | awk '{print $2}' | tr '\n' ' ')" "2024-06-01 2020-05-05 - - " \
	"list: the date column, '-' for an undated item"
same "$(printf '%s\n' "$out" | cut -c15-26 | tr '\n' '|')" \
	"2024-06-01  |2020-05-05  |-           |-           |" "list: '-' padded, the columns stay columns"
printf '%s\n' "$out" | grep -q -- "${made:0:10}" &&
	not_ok "list shows no date of created for the undated item" "$out" ||
	ok "list shows no date of created for the undated item"
printf '%s\n' "$out" | grep -q "^${NOW:0:12}  -           en     article     Undated, made now$" &&
	ok "list: the undated item's line" || not_ok "list: the undated item's line" "$out"

# list --json and list --all --json: "date" is there for every item, null for
# the undated (as "published" is: null when the manifest has none)
for all in "" --all; do
	svd -C "$A" list $all --json | python3 -c '
import json, sys
rows = json.load(sys.stdin)
want = sys.argv[1:5]
ids = [r["id"] for r in rows]
assert ids == want, ids
dates = [r["date"] for r in rows]
assert dates == ["2024-06-01", "2020-05-05", None, None], dates
for r in rows[2:]:
    assert r["published"] is None and len(r["created"]) == 20, r
' "$DATED" "$OLD" "$NOW" "$EARLY" && ok "list${all:+ $all} --json: in order; date null for the undated items" ||
		not_ok "list${all:+ $all} --json: in order; date null for the undated items"
done

# the reader library (paged, SPEC.md 11.2, 11.5): no date in the list and
# the rows file, the year "undated" in the dictionary, "No date" last in
# search/facets.js
check "export a bundle" svd -C "$A" export -q -o "$T/b.tar.zst"
check "unpack it" svd -C "$A" unpack "$T/b.tar.zst" -o "$T/lib"
python3 - "$T/lib" "$DATED" "$OLD" "$NOW" "$EARLY" "${made:0:4}" <<'PY' &&
import json, re, sys
lib = sys.argv[1]
dated, old, now, early, made_year = sys.argv[2:7]
index = open(lib + "/index.html", encoding="utf-8").read()
rows = re.findall(r'<tr data-n="(\d+)" data-id="([0-9a-f]{64})"><td>([^<]*)</td>', index)
assert [r[1] for r in rows] == [dated, old, now, early], rows
assert [r[2] for r in rows] == ["2024-06-01", "2020-05-05", "", ""], rows
def call(path):
    s = open(path, encoding="utf-8").read()
    return json.loads("[" + s[s.index("(") + 1:s.rindex(")")] + "]")
chunk = call(lib + "/rows/00000.js")[1]
assert [(r[0], r[1]) for r in chunk] == [(dated, "2024-06-01"), (old, "2020-05-05"), (now, ""),
                                         (early, "")], chunk
facets = call(lib + "/search/facets.js")[0]
assert facets["year"] == [["2024", 1], ["2020", 1], ["undated", 2, "No date"]], facets["year"]
assert made_year in ("2020", "2024") or all(v[0] != made_year for v in facets["year"]), facets
block = call(lib + "/search/d00000.js")[1]
undated = [e for e in block if e[0] == "#year=undated"]
assert undated and undated[0][1] == "ig", undated  # rows 2 and 3: i = 2, then g = 0 (3 - 2 - 1)
page = open(lib + "/pages/%s.html" % now, encoding="utf-8").read()
assert "<dt>Published</dt><dd>not given</dd>" in page, page
assert "<dt>Made by the editor</dt>" in page, page
PY
	ok "unpack: rows in order, the undated with no date, the year \"undated\" (No date) last" ||
	not_ok "unpack: rows in order, the undated with no date, the year \"undated\" (No date) last"

# a view cache of the layout before (svdview2), its undated item dated as
# created said, adding up: ignored and written again, never read
svd -C "$A" list >/dev/null
python3 - "$A/cache/view" "$NOW" "${made:0:10}" <<'PY' || not_ok "make a cache of the layout before"
import hashlib, sys
path, now, made = sys.argv[1:4]
b = bytearray(open(path, "rb").read())
assert b[:8] == b"svdview4", b[:8]
b[:8] = b"svdview2"
at = b.index(bytes.fromhex(now))
b[at + 54:at + 64] = made.encode()   # the record's date: id 32, tree 20, flags 1, kind 1
b[-32:] = hashlib.blake2b(bytes(b[:-32]), digest_size=32).digest()
open(path, "wb").write(b)
PY
rm -f "$A/cache/list" # so that the view is built
same "$(svd -C "$A" list | awk '{print $2}' | tr '\n' ' ')" "2024-06-01 2020-05-05 - - " \
	"a svdview2 cache is not read: the undated item still has no date"
same "$(head -c 8 "$A/cache/view")" svdview4 "and the cache is written again in the new layout"
finish
