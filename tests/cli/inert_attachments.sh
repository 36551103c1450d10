#!/usr/bin/env bash
# An HTML or SVG attachment must not run from a library read from file://
# (SPEC.md 11.1, docs/readers.md): unpack writes it as NAME.txt (the same
# bytes) and the item's page links that, saying so; a body's link to it
# goes there too. Debian's headless Chromium opens every link of the page
# that leads to such a file, and the script inside must not have run. A
# bundle made with export --with-reader and opened after tar -x holds the
# items' own names: its pages do not link such a file at all.
. "$(dirname "$0")/lib.sh"

CHROMIUM=${SVD_CHROMIUM:-/usr/bin/chromium}
[ -x "$CHROMIUM" ] || { echo "no Chromium at $CHROMIUM (apt-get install chromium)"; exit 1; }

A=$T/a
new_archive "$A" ed
# each script marks the document with a value that only running makes
run='document.documentElement.setAttribute("data-ran", "R" + "AN" + "42")'
printf '<!doctype html><title>x</title><body><script>%s</script><p>page</p>\n' "$run" >"$T/report.html"
printf '<svg xmlns="http://www.w3.org/2000/svg"><script>%s</script><circle r="5"/></svg>\n' "$run" >"$T/map.SVG"
printf '<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml"><body><script>%s</script></body></html>\n' "$run" >"$T/data.xml"
# extensions Chromium's own table maps to HTML and XHTML (net/base/mime_util.cc)
cp "$T/report.html" "$T/notes.shtm"
cp "$T/data.xml" "$T/page.xhtm"
head -c 300 /dev/urandom >"$T/photo.jpg"
printf '# Звіт\n\nДив. [звіт](report.html), [мапу](map.SVG) і [фото](photo.jpg).\n' >"$T/body.md"
id=$(svd -C "$A" add --kind article --title "Звіт" --lang uk --body "$T/body.md" \
	--attach "$T/report.html" --attach "$T/map.SVG" --attach "$T/data.xml" --attach "$T/photo.jpg" \
	--attach "$T/notes.shtm" --attach "$T/page.xhtm" \
	--key "$T/ed.key" | awk '/^Added/ {print $2}')
same "${#id}" 64 "add an item with HTML, SVG, XML, .shtm and .xhtm attachments"

# ran URL: 0 when the page's script ran in Chromium (its DOM carries the mark)
ran() {
	timeout 60 "$CHROMIUM" --headless --no-sandbox --disable-gpu --no-first-run \
		--user-data-dir="$T/profile" --dump-dom "$1" 2>/dev/null | grep -q 'data-ran="RAN42"'
}
# links LIBRARY: every href of the item's page that leads to one of the
# five active files (as a browser resolves it), one file:// URL a line
links() {
	python3 - "$1/pages/$id.html" <<-'PY'
		import html.parser, pathlib, sys, urllib.parse
		page = pathlib.Path(sys.argv[1]).resolve()
		base = page.as_uri()
		class P(html.parser.HTMLParser):
		    def handle_starttag(self, tag, attrs):
		        href = dict(attrs).get("href")
		        if tag == "a" and href:
		            url = urllib.parse.urljoin(base, href)
		            name = urllib.parse.unquote(url.rsplit("/", 1)[-1])
		            if name.startswith(("report.html", "map.SVG", "data.xml", "notes.shtm",
		                                "page.xhtm")):
		                print(url)
		P().feed(page.read_text(encoding="utf-8"))
	PY
}

# the test can see a script run: the file itself, opened from disk, runs
for f in report.html notes.shtm page.xhtm; do
	ran "file://$T/$f" && ok "Chromium runs $f opened from disk (the check works)" ||
		not_ok "Chromium runs $f opened from disk (the check works)"
done

check_library() { # check_library DIR WHAT
	local L=$1 what=$2 n=0 url
	for url in $(links "$L"); do
		n=$((n + 1))
		if ran "$url"; then
			not_ok "$what: the link to ${url##*/} does not run its script" "it ran, from $url"
		else
			ok "$what: the link to ${url##*/} does not run its script"
		fi
	done
	[ "$n" -ge 7 ] && ok "$what: the page links the five files and the body its two ($n links)" ||
		not_ok "$what: the page links the five files and the body its two" "$n links"
	local d=$L/$(item_path "$id")
	for f in report.html map.SVG data.xml notes.shtm page.xhtm; do
		cmp -s "$d/$f.txt" "$T/$f" && ok "$what: $f is $f.txt, the same bytes" ||
			not_ok "$what: $f is $f.txt, the same bytes"
		[ ! -e "$d/$f" ] && ok "$what: no $f under its own name" || not_ok "$what: no $f under its own name"
	done
	cmp -s "$d/photo.jpg" "$T/photo.jpg" && ok "$what: photo.jpg keeps its name" ||
		not_ok "$what: photo.jpg keeps its name"
	grep -q 'report.html</a> ([0-9]* bytes), as text' "$L/pages/$id.html" &&
		ok "$what: the page names the file as the item does and says it is shown as text" ||
		not_ok "$what: the page names the file as the item does and says it is shown as text"
}

expect_exit 0 "" "unpack the archive" svd unpack --trust "$T/ed.pub" "$A" -o "$T/lib1"
check_library "$T/lib1" "from the archive"
expect_exit 0 "" "export a bundle" svd -C "$A" export -o "$T/b.tar.zst"
expect_exit 0 "" "unpack the bundle" svd unpack --trust "$T/ed.pub" "$T/b.tar.zst" -o "$T/lib2"
check_library "$T/lib2" "from a bundle"

# export --with-reader, opened after tar -x: the items' own names, no link
expect_exit 0 "" "export --with-reader" svd -C "$A" export --with-reader -o "$T/r.tar.zst"
mkdir "$T/lib3"
tar --zstd -xf "$T/r.tar.zst" -C "$T/lib3"
same "$(links "$T/lib3" | wc -l)" 0 "with-reader: the page links none of the five files"
grep -q "not linked: opened from disk" "$T/lib3/pages/$id.html" &&
	ok "with-reader: the page says why and where the file is" ||
	not_ok "with-reader: the page says why and where the file is"
cmp -s "$T/lib3/$(item_path "$id")/report.html" "$T/report.html" &&
	ok "with-reader: the bundle holds the item as signed" || not_ok "with-reader: the bundle holds the item as signed"

finish
