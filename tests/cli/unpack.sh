#!/usr/bin/env bash
# samvydav unpack: a bundle or an archive made into a reader library
# (SPEC.md, 11). Hostile titles come out as text, a tampered item is refused
# and absent, a retracted item is absent, supersession links both ways; a
# bundle made with export --with-reader unpacks with stock tar into a
# library and still imports; and each way the command line can be wrong
# fails with the documented exit code.
. "$(dirname "$0")/lib.sh"

command -v zstd >/dev/null || { echo "zstd is not installed"; exit 1; }

A=$T/a
new_archive "$A" ed || { echo "cannot set up an archive"; exit 1; }
seed_corpus "$A"

# added: ADD-ARGS... -> the new item's id
added() { svd -C "$A" add --key "$T/ed.key" "$@" | awk '/^Added/ {print $2}'; }
printf 'Body with <script>alert(2)</script> and [x](javascript:alert(3)).\n\nКиїв — слово.\n' >"$T/hostile.md"
hostile=$(added --kind article --title '<script>alert(1)</script>' --lang uk --body "$T/hostile.md" \
	--created 2026-02-01T00:00:00Z)
printf 'First version.\n' >"$T/v1.md"
printf 'Second version.\n' >"$T/v2.md"
old=$(added --kind article --title 'Version one' --lang en --body "$T/v1.md" --created 2026-02-02T00:00:00Z)
new=$(added --kind correction --title 'Version two' --lang en --body "$T/v2.md" --supersedes "$old" \
	--created 2026-02-03T00:00:00Z)
printf 'To be withdrawn.\n' >"$T/gone.md"
gone=$(added --kind article --title 'Withdrawn article' --lang en --body "$T/gone.md" --created 2026-02-04T00:00:00Z)
printf 'Withdrawn: it was wrong.\n' >"$T/ret.md"
ret=$(added --kind retraction --title 'Retraction' --lang en --body "$T/ret.md" --retracts "$gone" \
	--created 2026-02-05T00:00:00Z)
same "${#hostile}${#old}${#new}${#gone}${#ret}" 6464646464 "add the hostile, superseded, corrected, retracted and retraction items"
total=$(ids_of "$A" | wc -l)
shown=$((total - 1))

check "export a bundle" svd -C "$A" export -q -o "$T/b.tar.zst"
tar --zstd -tf "$T/b.tar.zst" | grep -q "$gone" && not_ok "export leaves the retracted item out" ||
	ok "export leaves the retracted item out"
# a bundle that carries the retracted item beside its retraction (an older
# mirror's export, or a hostile one), by the independent writer
mkdir -p "$T/every" && git -C "$A/store.git" archive main | tar -x -C "$T/every"
check "a bundle of every item, retracted one included" python3 "$(dirname "$0")/craft_bundle.py" write "$T/all.tar.zst" "$T/every"

# the library from a bundle
expect_exit 0 "$shown items shown" "unpack a bundle" svd -C "$A" unpack "$T/b.tar.zst" -o "$T/lib"
L=$T/lib
for f in index.html reader.css reader.js search/fold.js search/dict.js search/d00000.js search/facets.js \
	rows/00000.js; do
	[ -s "$L/$f" ] && ok "the library has $f" || not_ok "the library has $f"
done
same "$(ls "$L/pages" | wc -l)" "$shown" "one page per shown item"
# index.html holds the first 100 rows; list/NNNNN.html the rest, 100 a page
rows=$(cat "$L/index.html" "$L"/list/*.html 2>/dev/null | grep -c '<tr data-n=')
same "$rows" "$shown" "one row per shown item in index.html and the list pages"
same "$(ls "$L/list" 2>/dev/null | wc -l)" "$(( (shown + 99) / 100 - 1 ))" "a list page for every 100 rows after the first"
same "$(grep -c '<noscript>' "$L/index.html")" 1 "index.html says what needs JavaScript"
same "$(find "$L/items" -name manifest.json | wc -l)" "$shown" "the shown items' files are there"
cmp -s "$L/items/${hostile:0:2}/$hostile/body.md" "$T/hostile.md" && ok "an item's files as in the archive" ||
	not_ok "an item's files as in the archive"
[ "$(sha256sum <"$L/items/${hostile:0:2}/$hostile/manifest.json" | cut -d' ' -f1)" = "$hostile" ] &&
	ok "sha256sum of manifest.json is the id" || not_ok "sha256sum of manifest.json is the id"
grep -q '<html lang="mul">' "$L/index.html" && ok "index.html is multilingual" || not_ok "index.html is multilingual"
grep -q '<form id="filters" hidden' "$L/index.html" && grep -q '<input id="q" type="search"' "$L/index.html" &&
	grep -q '<select id="f-lang"' "$L/index.html" && grep -q '<p id="count">' "$L/index.html" &&
	ok "the filter form is there" || not_ok "the filter form is there"
# the items added here have no publication date: after the dated seed corpus, the newest made first
python3 - "$L" "$ret" <<'PY' &&
import glob, json, sys
lib, ret = sys.argv[1:3]
rows = []
for f in sorted(glob.glob(lib + "/rows/[0-9]*.js")):
    s = open(f, encoding="utf-8").read()
    rows += json.loads(s[s.index(",") + 1:s.rindex(")")])
sys.exit(0 if [r[0] for r in rows if r[1] == ""][:1] == [ret] else 1)
PY
	ok "newest first: the retraction, made last, is the first undated row" ||
	not_ok "newest first: the retraction, made last, is the first undated row"

# hostile text is text
P=$L/pages/$hostile.html
grep -q '&lt;script&gt;alert(1)&lt;/script&gt;' "$L/index.html" && ok "the hostile title is escaped in index.html" ||
	not_ok "the hostile title is escaped in index.html"
grep -q '<h1><bdi>&lt;script&gt;alert(1)&lt;/script&gt;</bdi></h1>' "$P" && ok "the hostile title is escaped on its page" ||
	not_ok "the hostile title is escaped on its page"
if grep -qi '<script>alert\|javascript:' "$P" "$L/index.html"; then
	not_ok "no script and no javascript: link survives"
else
	ok "no script and no javascript: link survives"
fi
grep -q '<html lang="uk">' "$P" && ok "the page has the item's language" || not_ok "the page has the item's language"
grep -q 'href="\.\./index.html"' "$P" && ok "the page links back to the index" || not_ok "the page links back to the index"
grep -q '<section id="verdict">' "$P" && grep -q 'Accepted' "$P" && keyid=$(head -n 1 "$T/ed.pub" | grep -oE '[0-9A-F]{16}' | head -n 1)
[ -n "$keyid" ] && grep -q "<code>$keyid</code></a>: valid, by a trusted key" "$P" &&
	ok "the verdict names the signing key" || not_ok "the verdict names the signing key"
if grep -hoE '(src|href)="[a-z]+:[^"]*' "$L/index.html" "$L"/pages/*.html | grep -v '^href="https\?://' | grep -q .; then
	not_ok "no resource from outside the library"
elif grep -hoE 'src="https?:' "$L/index.html" "$L"/pages/*.html | grep -q .; then
	not_ok "no resource from outside the library"
else
	ok "no resource from outside the library"
fi
# search: the folded word of the hostile item's body, in the dictionary, with its row
row=$(grep -oE '<tr data-n="[0-9]+" data-id="'"$hostile"'"' "$L/index.html" | grep -oE '[0-9]+' | head -n 1)
python3 - "$L" "$row" <<'PY' && ok "search finds a body word (Київ, folded) in the dictionary" || not_ok "search finds a body word (Київ, folded) in the dictionary"
import glob, json, sys
lib, row = sys.argv[1], int(sys.argv[2])
word = "київ"
digits = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
def rows(s):
    out, v, d = [], -1, 0
    for ch in s:
        x = digits.index(ch)
        if x < 32:
            d = d * 32 + x
        else:
            v += d * 32 + x - 32 + 1
            out.append(v)
            d = 0
    return out
for f in glob.glob(lib + "/search/d[0-9]*.js"):
    s = open(f, encoding="utf-8").read()
    for key, t, b in json.loads(s[s.index(",") + 1:s.rindex(")")]):
        if key == word:
            sys.exit(0 if row in rows(t) + rows(b) else 1)
sys.exit(1)
PY

# retraction and supersession
[ ! -e "$L/pages/$gone.html" ] && ! grep -q "$gone\"" "$L/index.html" && [ ! -e "$L/items/${gone:0:2}/$gone" ] &&
	ok "the retracted item is absent" || not_ok "the retracted item is absent"
grep -q "Superseded by</strong> <a href=\"$new.html\"" "$L/pages/$old.html" && ok "the old version links to the new" ||
	not_ok "the old version links to the new"
grep -q "Supersedes</strong> <a href=\"$old.html\"" "$L/pages/$new.html" && ok "the new version links to the old" ||
	not_ok "the new version links to the new"

# from the archive folder: the same pages
expect_exit 0 "$shown items shown" "unpack an archive" svd unpack "$A" -o "$T/lib2"
same "$(cd "$T/lib2" && find . -type f | sort | xargs sha256sum | sha256sum)" \
	"$(cd "$L" && find . -type f | sort | xargs sha256sum | sha256sum)" "the archive gives the same library as its bundle"

# on a terminal, progress for both sources (script gives the command a terminal)
if command -v script >/dev/null; then
	for src in "$T/b.tar.zst" "$A"; do
		rm -rf "$T/tty"
		n=$total
		[ "$src" = "$A" ] || n=$shown # the bundle carries no retracted item
		out=$(script -qec "'$SVD_BIN' unpack --trust '$T/ed.pub' '$src' -o '$T/tty'" /dev/null </dev/null | tr '\r' '\n')
		# a line while it works (ending in spaces, overwritten by the next) and the last
		printf '%s\n' "$out" | grep -qE '^unpack: [0-9]+ items, [0-9.]+ MiB, [0-9]+ items/s +$' &&
			printf '%s\n' "$out" | grep -qE "^unpack: $n items, [0-9.]+ MiB" &&
			ok "progress on a terminal ($(basename "$src"))" ||
			not_ok "progress on a terminal ($(basename "$src"))" "$(printf '%s' "$out" | tail -n 3)"
	done
fi

# --json, and an earlier library is replaced; a retracted item a bundle carries is left out
out=$(svd -C "$A" unpack --json "$T/all.tar.zst" -o "$L")
same "$(printf '%s' "$out" | python3 -c 'import json,sys; j=json.load(sys.stdin); print(j["accepted"], j["shown"], j["retracted"], j["refused"])')" \
	"$total $shown 1 0" "--json counts, and an earlier library is replaced"
same "$(cd "$L" && find . -type f | sort | xargs sha256sum | sha256sum)" \
	"$(cd "$T/lib2" && find . -type f | sort | xargs sha256sum | sha256sum)" \
	"a bundle with the retracted item gives the same library"
[ -z "$(ls -d "$T"/lib.tmp-* 2>/dev/null)" ] && ok "no temporary folder is left" || not_ok "no temporary folder is left"

# a tampered item is refused and absent; the rest is written
mkdir -p "$T/tamper" && tar --zstd -xf "$T/b.tar.zst" -C "$T/tamper"
printf 'Forged words.\n' >"$T/tamper/items/${old:0:2}/$old/body.md"
(cd "$T/tamper" && tar --format=pax -c BUNDLE.json items | zstd -q -o "$T/tampered.tar.zst")
expect_exit 3 "refused: $old: body.md: (size|sha256)" "a tampered item is refused, exit 3" \
	svd -C "$A" unpack "$T/tampered.tar.zst" -o "$T/lib3"
[ ! -e "$T/lib3/pages/$old.html" ] && [ ! -e "$T/lib3/items/${old:0:2}/$old" ] && [ -e "$T/lib3/pages/$new.html" ] &&
	ok "the tampered item is absent, the others are there" || not_ok "the tampered item is absent, the others are there"
grep -q "Supersedes</strong> <code>$old</code> (not in this library)" "$T/lib3/pages/$new.html" &&
	ok "a link to a refused item says it is not there" || not_ok "a link to a refused item says it is not there"

# --with-reader: stock tar gives a library, and import still verifies every item
check "export --with-reader" svd -C "$A" export -q --with-reader -o "$T/r.tar.zst"
check "zstd -t of a bundle with the reader" zstd -q -t "$T/r.tar.zst"
mkdir -p "$T/x" && tar --zstd -xf "$T/r.tar.zst" -C "$T/x"
[ -s "$T/x/index.html" ] && [ -s "$T/x/pages/$hostile.html" ] && [ -s "$T/x/search/fold.js" ] &&
	[ -s "$T/x/items/${hostile:0:2}/$hostile/manifest.json" ] &&
	ok "tar --zstd -xf gives a library" || not_ok "tar --zstd -xf gives a library"
# export renders every page after the last item, never early: the reference
# for the early pages of unpack (superseded, retracted and hostile items included)
same "$(cd "$T/x" && find index.html reader.css reader.js pages search $(ls -d list rows 2>/dev/null) -type f | sort | xargs sha256sum | sha256sum)" \
	"$(cd "$L" && find index.html reader.css reader.js pages search $(ls -d list rows 2>/dev/null) -type f | sort | xargs sha256sum | sha256sum)" \
	"the pages unpack writes early are the ones rendered at the end"
grep -q '\.\./items/'"${hostile:0:2}/$hostile"'/' "$T/x/pages/$hostile.html" && ok "its pages link to the items beside them" ||
	not_ok "its pages link to the items beside them"
expect_exit 0 "$shown would be accepted, 0 refused" "inspect of a bundle with the reader" svd -C "$A" inspect "$T/r.tar.zst"
B=$T/b
new_archive "$B" ed
expect_exit 0 "$shown added" "import of a bundle with the reader" svd -C "$B" import "$T/r.tar.zst"
same "$(ids_of "$B")" "$(ids_of "$A" | grep -v "$gone")" "the import holds every shown item and nothing else"
expect_exit 2 "max-size" "--with-reader with --max-size" svd -C "$A" export --with-reader --max-size 1M -o "$T/s.tar.zst"
# a reader file that lies is never imported, and an unknown path still is refused
mkdir -p "$T/y" && cp -r "$T/x/." "$T/y/" && printf '<script>alert(1)</script>' >"$T/y/index.html"
(cd "$T/y" && tar --format=pax -c BUNDLE.json items index.html pages | zstd -q -o "$T/y.tar.zst")
expect_exit 0 "$shown would be accepted" "reader files in a bundle are skipped" svd -C "$A" inspect "$T/y.tar.zst"
expect_exit 0 "" "unpack writes its own pages, not the bundle's" svd -C "$A" unpack -q "$T/y.tar.zst" -o "$T/lib4"
grep -q '<script>alert(1)</script>' "$T/lib4/index.html" && not_ok "the bundle's index.html is not used" ||
	ok "the bundle's index.html is not used"

# must fail
expect_exit 4 "no such bundle" "a missing SRC" svd -C "$A" unpack "$T/nothing.tar.zst" -o "$T/o1"
size=$(stat -c %s "$T/b.tar.zst")
head -c $((size / 2)) "$T/b.tar.zst" >"$T/cut.tar.zst"
expect_exit 3 "" "a truncated bundle" svd -C "$A" unpack -q "$T/cut.tar.zst" -o "$T/o2"
printf 'not a bundle' >"$T/junk.tar.zst"
expect_exit 3 "" "a file that is no bundle" svd -C "$A" unpack -q "$T/junk.tar.zst" -o "$T/o3"
[ ! -e "$T/o3" ] && ok "nothing is written when nothing was accepted" || not_ok "nothing is written when nothing was accepted"
mkdir -p "$T/full" && printf 'mine' >"$T/full/notes.txt"
expect_exit 1 "not a reader library" "an existing folder that is not a library" svd -C "$A" unpack "$T/b.tar.zst" -o "$T/full"
same "$(cat "$T/full/notes.txt")" mine "the folder is left as it was"
printf 'x' >"$T/afile"
expect_exit 1 "not a folder" "an existing file as DIR" svd -C "$A" unpack "$T/b.tar.zst" -o "$T/afile"
expect_exit 2 "-o DIR" "no -o" svd -C "$A" unpack "$T/b.tar.zst"
expect_exit 2 "unknown option" "an unknown option" svd -C "$A" unpack --frobnicate "$T/b.tar.zst" -o "$T/o4"
expect_exit 2 "one bundle" "two sources" svd -C "$A" unpack "$T/b.tar.zst" "$T/b.tar.zst" -o "$T/o4"
expect_exit 2 "threads" "bad --threads" svd -C "$A" unpack -j 0 "$T/b.tar.zst" -o "$T/o4"
expect_exit 2 "no key is trusted" "no trusted key" svd -C "$T" unpack "$T/b.tar.zst" -o "$T/o5"
expect_exit 0 "items shown" "--trust alone" svd -C "$T" unpack --trust "$T/ed.pub" "$T/b.tar.zst" -o "$T/o6"
svd key generate --no-passphrase -o "$T/other.key" -p "$T/other.pub" >/dev/null
expect_exit 3 "trust" "items signed by an untrusted key are refused" svd -C "$T" unpack --trust "$T/other.pub" "$T/b.tar.zst" -o "$T/o7"
expect_exit 0 "usage: samvydav unpack" "--help" svd unpack --help

finish
