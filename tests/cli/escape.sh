#!/usr/bin/env bash
# Text from outside never reaches an output raw (SPEC.md, 13). Bundles
# crafted by craft_bundle.py carry a signature file and a stray file whose
# names set a terminal's title, clear the screen, hold a newline, tabs, a
# C1 control and U+202E (RIGHT-TO-LEFT OVERRIDE); an item is signed with
# U+202E and a backslash in its title. import and inspect (text and
# --json), the refused/ record, list, show, log and the reader library's
# pages must show all of that escaped: no control byte, no bidirectional
# control, no line a name forged.
. "$(dirname "$0")/lib.sh"

# raw_free WHAT FILE [tabs]: FILE holds no control character (but newline,
# and tab when asked), no C1, no bidirectional control, no U+2028/9, and
# is valid UTF-8
raw_free() {
	local out
	if out=$(python3 - "$2" "${3:-}" <<'EOF'
import re, sys
data = open(sys.argv[1], "rb").read()
try:
    text = data.decode("utf-8")
except UnicodeDecodeError as e:
    sys.exit("not UTF-8 at byte %d" % e.start)
allowed = "\n\t" if sys.argv[2] == "tabs" else "\n"
bad = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]")
for m in bad.finditer(text):
    if m.group() not in allowed:
        sys.exit("U+%04X at character %d: %r" % (ord(m.group()), m.start(),
                 text[max(0, m.start() - 30):m.start() + 10]))
EOF
	); then
		ok "$1"
	else
		not_ok "$1" "$out"
	fi
}

# has WHAT FILE FIXED-STRING
has() {
	if grep -qF -- "$3" "$2"; then ok "$1"; else not_ok "$1" "no '$3' in $(head -c 600 "$2")"; fi
}

# The sending archive: three items, one titled with U+202E and a backslash
A=$T/sender
new_archive "$A" ed
mkdir -p "$T/src"
for i in 1 2 3; do
	mkdir -p "$T/src/item$i"
	printf '# Стаття %d\n\nТекст.\n' "$i" >"$T/src/item$i/body.md"
done
printf '{"title":"Стаття 1","lang":"uk","created":"2026-01-01T00:00:00Z"}' >"$T/src/item1/meta.json"
printf '{"title":"Стаття 2","lang":"uk","created":"2026-01-02T00:00:00Z"}' >"$T/src/item2/meta.json"
python3 -c 'import json, sys; json.dump({"title": "invoice \u202egpj.exe \\ end", "authors": ["\u2067Ann\u2069"],
	"lang": "uk", "created": "2026-01-03T00:00:00Z"}, open(sys.argv[1], "w"))' "$T/src/item3/meta.json"
check "items with bidirectional controls in their title and author are accepted" \
	svd -C "$A" add --from "$T/src" --key "$T/ed.key" -q
mkdir -p "$T/ex"
git --git-dir="$A/store.git" archive main | tar -x -C "$T/ex"

# ---------------------------------------------------------------- a signature file's name

craft write --hostile esc-sig --expect "$T/sig.expect" "$T/sig.tar.zst" "$T/ex"
R=$T/recv-sig
new_archive "$R" ed
svd -C "$R" import "$T/sig.tar.zst" >"$T/sig.out" 2>"$T/sig.err"
same "$?" 0 "esc-sig: import exits 0 (the bad signature file is left out, the item comes in)"
raw_free "esc-sig: import's messages hold no raw control or bidirectional control" "$T/sig.err"
has "esc-sig: the name is shown with its escapes" "$T/sig.err" 'left out sig/\x1b]0;pwned\x07\x1b[2J\x1b[31m\x0arefused\x09forged\x09line\u009B\u202Egpj.exe.minisig'
same "$(grep forged "$T/sig.err" | grep -c 'left out sig/')" 1 "esc-sig: the name's newline forges no second line"
svd -C "$R" inspect "$T/sig.tar.zst" >"$T/sig.inspect" 2>&1
raw_free "esc-sig: inspect's output holds no raw control" "$T/sig.inspect"

# ---------------------------------------------------------------- a stray entry's path

craft write --hostile esc-path --expect "$T/path.expect" "$T/path.tar.zst" "$T/ex"
victim=$(awk '$1 == "refused" {print $2}' "$T/path.expect")
R=$T/recv-path
new_archive "$R" ed
svd -C "$R" import "$T/path.tar.zst" >"$T/path.out" 2>"$T/path.err"
same "$?" 3 "esc-path: import exits 3 (the item with the stray file is refused)"
raw_free "esc-path: import's messages hold no raw control" "$T/path.err"
has "esc-path: the stray path is shown with its escapes" "$T/path.err" '\x0arefused\x09forged\x09line\u009B\u202Egpj.exe.txt'
record=$(ls "$R"/refused/*.txt 2>/dev/null | head -n 1)
if [ -n "$record" ]; then
	ok "esc-path: a refused/ record is written"
	raw_free "esc-path: the record holds no raw control but its tabs" "$record" tabs
	if awk -F'\t' '!/^# / && !($1 == "refused" && $2 ~ /^[0-9a-f]+$/ && length($2) == 64 && NF == 5) && !($1 == "damage" && NF == 4) {bad = 1} END {exit bad}' "$record"; then
		ok "esc-path: every line of the record is the record's own (no forged line or field)"
	else
		not_ok "esc-path: every line of the record is the record's own (no forged line or field)" "$(cat -A "$record" | head -c 600)"
	fi
	has "esc-path: the record names the refused item" "$record" "$victim"
else
	not_ok "esc-path: a refused/ record is written"
fi
svd -C "$R" inspect "$T/path.tar.zst" >"$T/path.inspect" 2>&1
raw_free "esc-path: inspect prints the stray path escaped" "$T/path.inspect"
same "$(grep forged "$T/path.inspect" | grep -c '^ *items/')" 1 "esc-path: inspect: the name's newline forges no line"

# --json: the same value, read back; the text itself holds no raw control
R=$T/recv-json
new_archive "$R" ed
svd -C "$R" import --json "$T/path.tar.zst" >"$T/path.json" 2>/dev/null
raw_free "esc-path: import --json holds no raw bidirectional or C1 control" "$T/path.json"
got=$(python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))
print(ascii([r["file"] for r in j["refusals"]]))' "$T/path.json" 2>&1)
want=$(python3 -c '
import sys
sys.path.insert(0, sys.argv[1])
import craft_bundle
print(ascii(["items/%s/%s/" % (sys.argv[2][:2], sys.argv[2]) + (craft_bundle.ESC_NAME + b".txt").decode()]))' \
	"$SVD_SOURCE_DIR/tests/cli" "$victim")
same "$got" "$want" "esc-path: import --json gives the stray path whole (as JSON escapes)"

# ---------------------------------------------------------------- titles

id3=$(svd -C "$A" list --json | python3 -c 'import json,sys; print([i["id"] for i in json.load(sys.stdin) if "invoice" in i["title"]][0])')
svd -C "$A" list >"$T/list.out" 2>&1
raw_free "list shows no raw bidirectional control" "$T/list.out"
has "list shows U+202E as \\u202E, and the backslash doubled" "$T/list.out" 'invoice \u202Egpj.exe \\ end'
svd -C "$A" show "$id3" >"$T/show.out" 2>&1
raw_free "show shows no raw bidirectional control" "$T/show.out"
has "show: the title escaped" "$T/show.out" 'title     invoice \u202Egpj.exe \\ end'
has "show: the author escaped" "$T/show.out" 'author    \u2067Ann\u2069'
svd -C "$A" list --json >"$T/list.json"
raw_free "list --json holds no raw bidirectional control" "$T/list.json"
same "$(python3 -c 'import json,sys; print(ascii([i["title"] for i in json.load(open(sys.argv[1])) if "invoice" in i["title"]][0]))' "$T/list.json")" \
	"'invoice \\u202egpj.exe \\\\ end'" "list --json: the title's value is whole"
svd -C "$A" log >"$T/log.out" 2>&1
raw_free "log holds no raw control" "$T/log.out"
git --git-dir="$A/store.git" log --format=%B main >"$T/commits.txt"
raw_free "the commit messages (read by stock git) hold the title escaped" "$T/commits.txt"

# ---------------------------------------------------------------- the reader library

check "unpack writes the library" svd -C "$A" unpack "$A" -o "$T/lib"
raw_free "index.html holds no raw bidirectional control" "$T/lib/index.html"
has "index.html isolates the title in <bdi>" "$T/lib/index.html" "<bdi>invoice "
page=$T/lib/pages/$id3.html
raw_free "the item's page holds no raw bidirectional control" "$page"
has "the item's page isolates its title" "$page" "<h1><bdi>invoice "
if grep -qiE '&#(x202[a-e]|x206[6-9]|820[2-6]|8294)' "$T/lib/index.html" "$page"; then
	not_ok "no bidirectional control as a character reference (it would act)"
else
	ok "no bidirectional control as a character reference (it would act)"
fi

finish
