#!/usr/bin/env bash
# The reader library in a real browser: samvydav unpack writes a library
# from an archive (the seed corpus, Ukrainian items, a Greek one, one with
# a hostile title and author, one with a photo, a correction), then
# tests/browser/reader.test.mjs opens it from file:// in Debian's headless
# Chromium and checks search in three casings and two scripts, body-only
# words, filters (the year filter's "undated" among them: 20 of the notes
# have no publication date), the URL fragment, an item page's verdict, the
# phone and print styles, that hostile text stays text, that no dialog
# opens and that no request leaves file://. Then the same checks against
# samvydavd serving the same archive over http://.
#
# Needs chromium, node (18 or later) and npm; tests/browser/node_modules is
# installed with `npm ci` (from the npm registry, as the user's ~/.npmrc
# says) when it is missing or incomplete. When that fails the test fails,
# showing npm's error and the end of its debug log.
# SVD_READER_OUT=DIR keeps the screenshots.
. "$(dirname "$0")/lib.sh"

B=$SVD_SOURCE_DIR/tests/browser
export SVD_READER_OUT=${SVD_READER_OUT:-$T/shots}
for tool in node npm; do
	command -v "$tool" >/dev/null || { echo "$tool is not installed (apt-get install nodejs npm)"; exit 1; }
done
CHROMIUM=${SVD_CHROMIUM:-/usr/bin/chromium}
[ -x "$CHROMIUM" ] || { echo "no Chromium at $CHROMIUM (apt-get install chromium)"; exit 1; }

# escaped: stdin as TAP comment lines, control characters (colour codes,
# carriage returns) shown as \xNN and each line cut at 300 characters
escaped() {
	python3 -c '
import sys
text = sys.stdin.buffer.read().decode("utf-8", "replace")
for line in text.split("\n")[:-1] if text.endswith("\n") else text.split("\n"):
    line = "".join(c if c == "\t" or (ord(c) >= 32 and ord(c) != 127) else "\\x%02x" % ord(c)
                   for c in line)
    print("#     " + line[:300])
'
}

# npm_settings: where npm fetches from, as npm sees it (a password in a
# proxy URL shown as ***)
npm_settings() {
	local k v out=""
	for k in registry https-proxy proxy cafile userconfig; do
		v=$(npm config get "$k" 2>/dev/null | sed -E 's#//[^/@]*@#//***@#')
		[ "$v" = null ] && v=
		out="$out${out:+, }$k ${v:-none}"
	done
	printf '%s' "$out"
}

# npm ci of tests/browser. Everything npm said is kept in $T and shown here
# when it fails, since $T (npm's debug log with it) is gone once the script
# ends: a missing registry, a proxy or a certificate must be seen in this
# test's own output. Without playwright-core nothing can be tested, so the
# script fails there and then.
npm_install() {
	local logs=$T/npm-logs rc=0 log what
	# lib.sh gave npm an empty HOME: the user's own ~/.npmrc (a proxy, a
	# registry, a certificate authority) still applies
	local home
	home=$(getent passwd "$(id -u)" | cut -d: -f6)
	if [ -z "${npm_config_userconfig:-}" ] && [ -n "$home" ] && [ -f "$home/.npmrc" ]; then
		export npm_config_userconfig=$home/.npmrc
	fi
	timeout -k 10 240 npm ci --prefix "$B" --no-audit --no-fund --logs-dir="$logs" >"$T/npm.out" 2>&1 || rc=$?
	if [ "$rc" -eq 0 ] && installed; then
		ok "npm ci installs playwright-core"
		return
	fi
	log=$(ls -t "$logs"/*-debug-*.log 2>/dev/null | head -n 1)
	# npm's own words: the error code, then the line that says what it tried
	what=$(sed -nE 's/^npm (error|ERR!) code (.*)/\2/p' "$T/npm.out" | head -n 1)
	what="$what${what:+: }$(grep -m 1 -E '^npm (error|ERR!) [A-Za-z]*Error|request to|reason:|certificate' "$T/npm.out" |
		sed -E 's/^npm (error|ERR!) //')"
	{ [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; } && what="it did not finish in 240 s; ${what:-the registry does not answer}"
	not_ok "npm ci installs playwright-core into tests/browser" \
		"npm ci exited $rc: ${what:-see its output below} ($(npm_settings))"
	if [ -s "$T/npm.out" ]; then
		printf '#   npm ci output, last 25 lines:\n'
		tail -n 25 "$T/npm.out" | escaped
	else
		printf '#   npm ci printed nothing\n'
	fi
	if [ -n "$log" ]; then
		printf '#   its debug log %s (removed with the test folder), last 25 lines:\n' "${log##*/}"
		tail -n 25 "$log" | escaped
	else
		printf '#   npm wrote no debug log\n'
	fi
	printf '#   (install it by hand with: npm ci --prefix tests/browser; behind a proxy or with\n'
	printf '#   a private certificate authority, set https_proxy or NODE_EXTRA_CA_CERTS first)\n'
	finish
}
# installed: a whole install, not what a killed or failed npm ci left (an
# empty node_modules/playwright-core): npm writes node_modules/.package-lock.json last
installed() {
	[ -f "$B/node_modules/.package-lock.json" ] && [ -f "$B/node_modules/playwright-core/package.json" ]
}
installed || npm_install

A=$T/a
new_archive "$A" ed || { echo "cannot set up an archive"; exit 1; }

# the seed corpus (English, French, Greek, Russian and others), as basic.sh adds it
seed_corpus "$A"
# 160 short notes more, so that the index has over 200 rows: reader.js
# then groups them (the path a large library takes); 20 of them undated
mkdir -p "$T/notes"
python3 - "$T/notes" <<-'PY'
	import json, os, sys
	out = sys.argv[1]
	places = ["Kherson", "Melitopol", "Mariupol", "Crimea", "Donetsk"]
	with open(os.path.join(out, "items.jsonl"), "w", encoding="utf-8") as f:
	    for i in range(160):
	        body = "note%03d.md" % i
	        with open(os.path.join(out, body), "w", encoding="utf-8") as b:
	            b.write("Нотатка %d. Черга біля пункту %d, вода, світло.\n" % (i, i % 7))
	        f.write(json.dumps({"kind": "testimony" if i % 3 else "article",
	            "title": "Нотатка %d з міста" % i if i % 2 else "Note %d from the town" % i,
	            "lang": "uk" if i % 2 else "en", "region": places[i % 5],
	            # every eighth undated: no date, after the dated rows, year "undated"
	            **({} if i % 8 == 7 else
	               {"published": "20%02d-%02d-%02d" % (15 + i % 10, 1 + i % 12, 1 + i % 28)}),
	            "body": body, "created": "2026-02-01T00:%02d:%02dZ" % (i // 60, i % 60)},
	            ensure_ascii=False) + "\n")
	PY
check "add 160 notes" svd -C "$A" add --from "$T/notes/items.jsonl" --key "$T/ed.key"

# add_one ARGS...: one signed item; prints its id
add_one() {
	svd -C "$A" add "$@" --key "$T/ed.key" | awk '/^Added/ {print $2}'
}

# Ukrainian: a title word in the body of another item, and a word only one
# body has ("самвидавний"); Greek with accents; a hostile title and author
printf '# Київ\n\nСвідчення мешканців про ніч обстрілу. Слово лише в тексті: самвидавний.\n' >"$T/kyiv.md"
printf 'Ніч у Києві. Київ не спав.\n' >"$T/night.md"
printf 'Η Αθήνα και το Κίεβο: μαρτυρίες.\n' >"$T/athens.md"
printf 'Hostile text: <script>alert(3)</script> and <img src=x onerror=alert(4)>.\n\n![remote](https://example.invalid/x.png)\n' >"$T/hostile.md"
printf '# Фото\n\nЗнімок із Херсона.\n' >"$T/photo.md"
head -c 2000 /dev/urandom >"$T/фото.jpg"

kyiv=$(add_one --kind testimony --title "Київ під обстрілом" --lang uk --author "Олена Петренко" \
	--region Kyiv --published 2024-03-02 --body "$T/kyiv.md" --created 2026-03-01T00:00:00Z)
same "${#kyiv}" 64 "add a Ukrainian testimony"
night=$(add_one --kind article --title "КИЇВ уночі" --lang uk --region Kyiv --published 2023-05-01 \
	--body "$T/night.md" --created 2026-03-01T00:01:00Z)
same "${#night}" 64 "add a Ukrainian article with the word in capitals"
athens=$(add_one --kind article --title "Αθήνα: Ουκρανοί πρόσφυγες μιλούν" --lang el --author "Νίκος Παπαδόπουλος" \
	--published 2024-05-05 --body "$T/athens.md" --created 2026-03-01T00:02:00Z)
same "${#athens}" 64 "add a Greek article"
hostile=$(add_one --kind article --title "<script>alert(1)</script>" --lang en --author "<img src=x onerror=alert(2)>" \
	--region Kherson --published 2024-01-01 --body "$T/hostile.md" --created 2026-03-01T00:03:00Z)
same "${#hostile}" 64 "add an item with a hostile title, author and body"
photo=$(add_one --kind testimony --title "Херсон: фото" --lang uk --region Kherson --published 2024-06-10 \
	--body "$T/photo.md" --attach "$T/фото.jpg" --created 2026-03-01T00:04:00Z)
same "${#photo}" 64 "add an item with a photo"
# ranking: a newer item whose title word "київ" is only a prefix of, and a
# newer one still with "Київ" only in its body
printf 'Весна прийшла.\n' >"$T/spring.md"
printf 'Вечір. Київ світиться.\n' >"$T/evening.md"
spring=$(add_one --kind article --title "Київська весна" --lang uk --region Kyiv --published 2025-02-01 \
	--body "$T/spring.md" --created 2026-03-01T00:06:00Z)
same "${#spring}" 64 "add a newer item with a longer word in its title"
evening=$(add_one --kind article --title "Вечір у місті" --lang uk --published 2025-03-01 \
	--body "$T/evening.md" --created 2026-03-01T00:07:00Z)
same "${#evening}" 64 "add a newer item with the word only in its body"
fix=$(add_one --kind correction --title "Київ під обстрілом (виправлено)" --lang uk --region Kyiv \
	--published 2024-03-03 --supersedes "$kyiv" --body "$T/kyiv.md" --created 2026-03-01T00:05:00Z)
same "${#fix}" 64 "add a correction that supersedes the testimony"

L=$T/library
expect_exit 0 "" "samvydav unpack writes the library" svd -C "$A" unpack "$A" -o "$L"
for f in index.html list/00002.html rows/00000.js reader.css reader.js search/fold.js search/dict.js \
	search/d00000.js search/facets.js \
	"pages/$kyiv.html" "$(item_path "$kyiv")/manifest.json"; do
	[ -f "$L/$f" ] || not_ok "the library has $f"
done
# the library's reader.js is the tree's, then a line break and lex.js
cat "$SVD_SOURCE_DIR/archive-format/reader/reader.js" >"$T/reader.js"
printf '\n' >>"$T/reader.js"
cat "$SVD_SOURCE_DIR/archive-format/reader/lex.js" >>"$T/reader.js"
cmp -s "$L/reader.js" "$T/reader.js" &&
	cmp -s "$L/reader.css" "$SVD_SOURCE_DIR/archive-format/reader/reader.css"
same $? 0 "the library's reader.js and reader.css are this tree's"

# SVD_READER_KEEP=DIR: keep a copy of the library (to look at it, or to
# serve it and run reader.test.mjs against http://)
[ -n "${SVD_READER_KEEP:-}" ] && rm -rf "$SVD_READER_KEEP" && cp -r "$L" "$SVD_READER_KEEP"

# the whole browser suite; each of its checks is one line of its own
# the items without a publication date, which the reader's year filter finds under "undated"
export SVD_READER_UNDATED
SVD_READER_UNDATED=$(svd -C "$A" list --json |
	python3 -c 'import json, sys; print(sum(r.get("published") is None for r in json.load(sys.stdin)))')
[ "$SVD_READER_UNDATED" -ge 20 ] && ok "the library has $SVD_READER_UNDATED undated items" ||
	not_ok "the library has undated items" "$SVD_READER_UNDATED"
out=$(SVD_FOLD_CASES=$SVD_SOURCE_DIR/tests/data/fold-cases.txt timeout 300 node "$B/reader.test.mjs" "$L" 2>&1)
rc=$?
printf '%s\n' "$out" | sed 's/^/# /'
same "$rc" 0 "tests/browser/reader.test.mjs passes against the library (from file://)"
bad=$(printf '%s\n' "$out" | grep -c '^not ok')
same "$bad" 0 "no browser check failed"
n=$(printf '%s\n' "$out" | grep -c '^ok ')
[ "$n" -ge 40 ] && ok "the browser ran $n checks" || not_ok "the browser ran $n checks" "expected 40 or more"

# the same checks against the daemon: samvydavd serves the same paged
# library from the archive itself (one renderer, two outlets) over
# http://127.0.0.1
D=$SVD_BUILD_DIR/daemon/samvydavd
port=$(free_port)
printf '[archive]\n\tpath = %s\n[http]\n\tlisten = 127.0.0.1:%s\n[log]\n\tlevel = info\n' "$A" "$port" >"$T/d.conf"
"$D" -c "$T/d.conf" 2>"$T/daemon.log" &
http_pid=$!
for _ in $(seq 100); do
	grep -q "http: serving" "$T/daemon.log" 2>/dev/null && break
	sleep 0.1
done
# serving is not yet built: until its first index the daemon answers 503
# (Retry-After), longer under the sanitizers on a busy machine; the pages
# and the API both answer once it is there
for _ in $(seq 600); do
	curl -sf -o /dev/null "http://127.0.0.1:$port/" &&
		curl -sf -o /dev/null "http://127.0.0.1:$port/api/items?limit=1" && break
	sleep 0.2
done
if grep -q "http: serving" "$T/daemon.log"; then
	out=$(SVD_READER_OUT=$T/shots-http SVD_FOLD_CASES=$SVD_SOURCE_DIR/tests/data/fold-cases.txt \
		timeout 300 node "$B/reader.test.mjs" "http://127.0.0.1:$port/" 2>&1)
	rc=$?
	printf '%s\n' "$out" | grep -v '^ok ' | sed 's/^/# /'
	same "$rc" 0 "reader.test.mjs passes against samvydavd's pages over http://"
	# the paged library, the same bytes: index.html, list/, rows/, search/
	bad=
	for f in "$L"/index.html "$L"/list/*.html "$L"/rows/*.js "$L"/search/*.js; do
		[ -f "$f" ] || continue
		rel=${f#"$L"/}
		curl -s -o "$T/got" "http://127.0.0.1:$port/$rel" && cmp -s "$T/got" "$f" || bad="$bad $rel"
	done
	same "$bad" "" "samvydavd serves the unpacked library's index, list pages, rows and search files, byte for byte"
else
	not_ok "samvydavd serves the archive" "$(cat "$T/daemon.log")"
fi
kill "$http_pid" 2>/dev/null
wait "$http_pid" 2>/dev/null

# it can fail: a library whose reader.js is broken must not pass
cp -r "$L" "$T/broken"
printf 'window.svdReader = undefined;\n' >"$T/broken/reader.js"
SVD_READER_OUT=$T/broken-shots SVD_FOLD_CASES=$SVD_SOURCE_DIR/tests/data/fold-cases.txt \
	timeout 300 node "$B/reader.test.mjs" "$T/broken" >"$T/broken.out" 2>&1
rc=$?
[ "$rc" -ne 0 ] && ok "the browser test fails for a library without a working reader.js" ||
	not_ok "the browser test fails for a library without a working reader.js" "$(tail -n 3 "$T/broken.out")"

finish
