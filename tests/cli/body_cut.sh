#!/usr/bin/env bash
# A body over the 4 MiB that pages show (SVD_RENDER_BODY_MAX): the page
# shows the first 4 MiB and a note that names the file's real size, the
# same from an archive and from a bundle, not the 4,194,305 bytes read to
# see that there is more.
. "$(dirname "$0")/lib.sh"

A=$T/a
new_archive "$A" ed || exit 1
# 5,242,921 bytes of Markdown: lines of text, every one ending in LF
python3 -c '
import sys
line = b"word " * 15 + b"\n"
body = line * (5242921 // len(line))
body += b"x" * (5242921 - len(body) - 1) + b"\n"
sys.stdout.buffer.write(body)' >"$T/body.md"
same "$(stat -c %s "$T/body.md")" 5242921 "a body of 5,242,921 bytes"
printf 'short\n' >"$T/short.md"
svd -C "$A" add --kind article --title long --lang en --body "$T/body.md" --key "$T/ed.key" \
	>/dev/null || exit 1
svd -C "$A" add --kind article --title short --lang en --body "$T/short.md" --key "$T/ed.key" \
	>/dev/null || exit 1
svd -C "$A" export -q -o "$T/b.tar.zst" >/dev/null 2>&1 || exit 1

# note LIBRARY WHERE: the item page's note names 5242921 bytes, once
note() {
	local pages
	pages=$(grep -rl 'class="cut"' "$1" --include='*.html')
	same "$(printf '%s\n' "$pages" | grep -c .)" 1 "$2: one page says the text goes on"
	grep -q 'all of body.md</a> (5242921 bytes)' $pages &&
		ok "$2: the note gives the file's size, 5242921 bytes" ||
		not_ok "$2: the note gives the file's size, 5242921 bytes" \
			"$(grep -oh 'all of body.md</a> ([0-9]* bytes)' $pages)"
}
check "unpack of the archive" svd -C "$A" unpack -q "$A" -o "$T/lib-a"
note "$T/lib-a" "from the archive"
check "unpack of the bundle" svd unpack -q --trust "$T/ed.pub" "$T/b.tar.zst" -o "$T/lib-b"
note "$T/lib-b" "from the bundle"

finish
