#!/usr/bin/env bash
# An item twice in one bundle (a frame duplicated: a copy made twice by a
# stick, or a concatenation) is unpacked once: the first copy is written,
# the second checked and not written. When the item has an attachment of
# an active type (HTML, SVG, XML), renamed to its inert name once the
# files are written (SPEC.md 11.1), the second copy must not ask for that
# rename again: it used to, the second rename found no file, and the whole
# unpack failed. One bundle lists the copy in its index too, another has
# no index (its frames are scanned).
. "$(dirname "$0")/lib.sh"

A=$T/a
new_archive "$A" ed || exit 1
printf '<!doctype html><p>report</p>\n' >"$T/report.html"
printf '<svg xmlns="http://www.w3.org/2000/svg"><circle r="5"/></svg>\n' >"$T/map.svg"
printf '# Звіт\n\nДив. [звіт](report.html).\n' >"$T/body.md"
id=$(svd -C "$A" add --kind article --title "Звіт" --lang uk --body "$T/body.md" \
	--attach "$T/report.html" --attach "$T/map.svg" --key "$T/ed.key" | awk '/^Added/ {print $2}')
printf 'plain\n' >"$T/body2.md"
svd -C "$A" add --kind article --title "plain" --lang en --body "$T/body2.md" \
	--key "$T/ed.key" >/dev/null || exit 1
same "${#id}" 64 "an item with an HTML and an SVG attachment"
mkdir -p "$T/ex"
git --git-dir="$A/store.git" archive main | tar -x -C "$T/ex"
craft write --frame-target 1 "$T/one.tar.zst" "$T/ex" || exit 1

# the frame that holds the item written twice in a row: with an index that
# says so, and without an index
python3 - "$T/one.tar.zst" "$T/twice.tar.zst" "$id" <<-'PY' || exit 1
	import sys
	sys.path.insert(0, __import__("os").environ["SVD_SOURCE_DIR"] + "/tests/cli")
	import craft_bundle as cb
	src, out, id = sys.argv[1:4]
	idx = cb.read_index(src)
	data = open(src, "rb").read()
	frames, ids, table, body = [], [], [], b""
	for f in idx["frames"]:
	    fids = idx["ids"][f["first"]:f["first"] + f["count"]]
	    for _ in range(2 if id in fids else 1):
	        table.append(dict(f, offset=len(body), first=len(ids)))
	        ids += fids
	        body += data[f["offset"]:f["offset"] + f["clen"]]
	open(out, "wb").write(body + cb.build_index(table, ids))
	open(out + ".noindex", "wb").write(body)
PY
mv "$T/twice.tar.zst.noindex" "$T/twice-noindex.tar.zst"
same "$(tar --zstd -tf "$T/twice.tar.zst" | grep -c "/$id/map.svg\$")" 2 "the bundle holds the item twice"

for b in twice twice-noindex; do
	L=$T/lib-$b
	svd unpack --trust "$T/ed.pub" "$T/$b.tar.zst" -o "$L" >"$T/out" 2>&1
	rc=$?
	same "$rc" 0 "$b: unpack succeeds ($(tail -n 1 "$T/out"))"
	[ -f "$L/index.html" ] && ok "$b: the library is in place" || not_ok "$b: the library is in place"
	d=$L/$(item_path "$id")
	cmp -s "$d/report.html.txt" "$T/report.html" && cmp -s "$d/map.svg.txt" "$T/map.svg" &&
		ok "$b: the attachments are there under their inert names" ||
		not_ok "$b: the attachments are there under their inert names" "$(ls "$d" 2>&1)"
	[ ! -e "$d/report.html" ] && [ ! -e "$d/map.svg" ] &&
		ok "$b: not under their own names" || not_ok "$b: not under their own names"
	same "$(grep -o "$id" "$L/index.html" | head -n 1)" "$id" "$b: the index lists the item"
done

finish
