#!/usr/bin/env bash
# The documentation cannot drift from the code: every command that
# 'samvydav --help' lists has a man page that renders without warnings, and
# every long option of 'samvydav COMMAND --help' appears in that page. The
# worked example of SPEC.md checks out with sha256sum and stock minisign.
. "$(dirname "$0")/lib.sh"

MAN=${SVD_MAN_DIR:-$SVD_SOURCE_DIR/docs/man}
SPEC=${SVD_SPEC:-$SVD_SOURCE_DIR/archive-format/SPEC.md}

command -v groff >/dev/null || { echo "groff is not installed (apt-get install groff-base)"; exit 1; }

# the commands, as 'samvydav --help' lists them
commands=$(svd --help | awk '/^Commands:/ {on = 1; next} on && /^  [a-z]/ {print $1; next} on {exit}')
[ -n "$commands" ] && ok "samvydav --help lists commands" || not_ok "samvydav --help lists commands"

# the long options a help text names, one a line
long_options() {
	"$@" --help 2>&1 | grep -oE -- '--[a-z][a-z0-9-]*' | sort -u
}

# a man page's text with roff's \- as plain hyphens, so options can be found
page_text() {
	sed -e 's/\\-/-/g' "$1"
}

# has_option PAGE OPTION: the option appears as a whole word (--from is not --from-dir)
has_option() {
	page_text "$1" | grep -qE -- "(^|[^a-z0-9-])$2([^a-z0-9-]|\$)"
}

# renders PAGE: groff has nothing to say about it, nor has man(1)
renders() {
	local out
	out=$(groff -man -ww -z -t "$1" 2>&1)
	if [ -n "$out" ]; then
		not_ok "$(basename "$1") renders without warnings" "$(printf '%s' "$out" | head -n 3)"
		return
	fi
	if command -v man >/dev/null; then
		out=$(MANWIDTH=80 man -l "$1" 2>&1 >/dev/null)
		if [ -n "$out" ]; then
			not_ok "$(basename "$1") renders without warnings" "man -l: $(printf '%s' "$out" | head -n 3)"
			return
		fi
	fi
	ok "$(basename "$1") renders without warnings"
}

# check_page PAGE COMMAND...: the page exists, renders, and names every long option
check_page() {
	local page=$1 opt missing=""
	shift
	if [ ! -f "$page" ]; then
		not_ok "$(basename "$page") exists" "no such file: $page"
		return
	fi
	ok "$(basename "$page") exists"
	renders "$page"
	for opt in $(long_options "$@"); do
		has_option "$page" "$opt" || missing="$missing $opt"
	done
	if [ -z "$missing" ]; then
		ok "$(basename "$page") names every long option of 'samvydav${*#svd} --help'"
	else
		not_ok "$(basename "$page") names every long option of 'samvydav${*#svd} --help'" "missing:$missing"
	fi
}

check_page "$MAN/samvydav.1" svd
has_option "$MAN/samvydav.1" -C && ok "samvydav.1 documents -C" || not_ok "samvydav.1 documents -C"
grep -q SAMVYDAV_ARCHIVE "$MAN/samvydav.1" && ok "samvydav.1 documents \$SAMVYDAV_ARCHIVE" ||
	not_ok "samvydav.1 documents \$SAMVYDAV_ARCHIVE"
for code in 0 1 2 3 4 5; do
	grep -qx "\\.B $code" "$MAN/samvydav.1" || break
done
same "$code" 5 "samvydav.1 documents the exit codes 0 to 5"

# cut_lines COMMAND...: help lines that stop mid-sentence (on "a", "the",
# "for", "command's", ...) where the next line starts something new
cut_lines() {
	"$@" --help 2>&1 | awk '
		cut && (/^$/ || /^  ?-/ || /^[A-Z][A-Za-z ]*:$/) { print prev }
		{ cut = $0 ~ /(^|[ (])(a|an|the|of|for|to|with|and|or|by|in|on|[a-z]+'\''s)$/; prev = $0 }
		END { if (cut) print prev }'
}
for c in "" $commands; do
	out=$(cut_lines svd $c)
	[ -z "$out" ] && ok "'samvydav${c:+ $c} --help' cuts no line short" ||
		not_ok "'samvydav${c:+ $c} --help' cuts no line short" "$out"
done

for c in $commands; do
	check_page "$MAN/samvydav-$c.1" svd "$c"
	page_text "$MAN/samvydav.1" | grep -q "samvydav-$c (1)" && ok "samvydav.1 refers to samvydav-$c(1)" ||
		not_ok "samvydav.1 refers to samvydav-$c(1)"
done

# the worked example of SPEC.md: the block after each <!-- example:TAG --> marker
example() {
	awk -v tag="<!-- example:$1 -->" '$0 == tag {f = 1; next}
		f == 1 && /^```/ {f = 2; next} f == 2 && /^```/ {exit} f == 2 {print}' "$SPEC"
}
printf '%s' "$(example manifest)" >"$T/manifest.json"
example pubkey >"$T/example.pub"
example signature >"$T/example.minisig"
id=$(example id)
same "$(sha256sum "$T/manifest.json" | cut -d' ' -f1)" "$id" "SPEC.md worked example: sha256sum gives the id"
if command -v minisign >/dev/null; then
	check "SPEC.md worked example: stock minisign verifies the signature" \
		minisign -V -p "$T/example.pub" -m "$T/manifest.json" -x "$T/example.minisig"
else
	not_ok "SPEC.md worked example: stock minisign verifies the signature" "minisign is not installed"
fi
A=$T/archive
svd init "$A" >/dev/null && svd -C "$A" trust add "$T/example.pub" >/dev/null
mkdir -p "$T/prep/item/sig"
cp "$T/manifest.json" "$T/prep/item/"
cp "$T/example.minisig" "$T/prep/item/sig/$(svd key show "$T/example.pub").minisig"
printf '# %s\n' "$(jq -r .title "$T/manifest.json" 2>/dev/null ||
	python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["title"])' "$T/manifest.json")" \
	>"$T/prep/item/body.md"
check "SPEC.md worked example: samvydav accepts the item" svd -C "$A" add --from "$T/prep"
check "SPEC.md worked example: and verifies it" svd -C "$A" verify "$id"

finish
