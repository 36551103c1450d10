#!/usr/bin/env bash
# The paged reader library at scale (SPEC.md 11.2, 11.5): 20,000 items of
# the million-item corpus (tests/bench/gen_corpus.py --small) added and
# unpacked; no file of the library over 4 MiB, index.html under 200 KB and
# the same size as a small library's, a list page per 100 rows, a rows file
# per 128, dictionary blocks of about 32-64 KB that the root names in order.
# Prints the figures (sizes, counts, seconds) as TAP comments.
#
# Then near forms at that scale, in a real browser (SPEC.md 11.5 to 11.7):
# the corpus is full of херсон, kherson and київ, and four more items'
# bodies hold "nearcheck"; tests/browser/near.test.mjs types Kyiv, Київ,
# Kherson, херсона... in Debian's headless Chromium, from file:// and over
# http:// (the library served as files), and checks each query's rows. It
# must fail for a library whose dictionary lacks the "~" and "=" keys, and
# for one whose reader.js lacks lex.js. One corpus and one library for both
# (each costs minutes, twice in CI: the suite and the sanitizer suite).
#
# SVD_SCALE_ITEMS=N: another count of corpus items (0: none). Needs
# chromium, node and tests/browser/node_modules (browser.sh installs it).
. "$(dirname "$0")/lib.sh"

N=${SVD_SCALE_ITEMS:-20000}
B=$SVD_SOURCE_DIR/tests/browser
CHROMIUM=${SVD_CHROMIUM:-/usr/bin/chromium}
[ -x "$CHROMIUM" ] || { echo "no Chromium at $CHROMIUM (apt-get install chromium)"; exit 1; }
command -v node >/dev/null || { echo "node is not installed"; exit 1; }
if ! [ -f "$B/node_modules/playwright-core/package.json" ]; then
	timeout -k 10 240 npm ci --prefix "$B" --no-audit --no-fund >"$T/npm.out" 2>&1 ||
		{ not_ok "npm ci installs playwright-core into tests/browser" "$(tail -n 5 "$T/npm.out")"; finish; }
fi
A=$T/a
new_archive "$A" ed || { echo "cannot set up an archive"; exit 1; }
t0=$(date +%s)
check "gen_corpus.py --small --items $N" python3 "$SVD_SOURCE_DIR/tests/bench/gen_corpus.py" --small --items "$N" "$T/corpus"
tg=$(date +%s)
check "add $N items" svd -C "$A" add -q --from "$T/corpus" --key "$T/ed.key"
near() {
	printf '%s nearcheck\n' "$5" >"$T/near.md"
	svd -C "$A" add --kind "$1" --title "$2" --lang "$3" --region "Near check" --published "$4" \
		--body "$T/near.md" --key "$T/ed.key" >/dev/null
}
check "add the Ukrainian Київ" near testimony "Київ під обстрілом" uk 2021-03-02 "Свідчення мешканців."
check "add the English Kyiv" near article "Kyiv diary" en 2022-03-02 "A diary of the war."
# "города" gives the Russian stemmer's ending "а" (the root's "stems")
check "add the Russian Херсон" near article "Херсон после освобождения" ru 2020-11-12 "Жители города вернулись домой."
check "add one none of the queries finds" near article "Одеса вночі" uk 2019-01-01 "Море."

M=$((N + 4))
t1=$(date +%s)
L=$T/lib
expect_exit 0 "" "unpack $M items" svd -C "$A" unpack "$A" -o "$L"
t2=$(date +%s)
printf "# gen_corpus.py %d s, add %d s, unpack %d s\n" $((tg - t0)) $((t1 - tg)) $((t2 - t1))

shown=$(grep -oE 'data-rows="[0-9]+"' "$L/index.html" | grep -oE '[0-9]+')
same "$shown" "$M" "index.html counts every item"
# verify gates main CHECK_CHUNK (4,096) items at a time: every one, each once
v=$(svd -C "$A" verify -q --json | python3 -c 'import json, sys; d = json.load(sys.stdin); print(d["items"], d["failed"], d["shown"])')
same "$v" "$M 0 $M" "verify checks every item once, in chunks, and all pass"
big=$(find "$L" -type f -size +4096k -printf '%P %s\n' | head -n 5)
same "$big" "" "no file of the library is over 4 MiB"
size=$(stat -c %s "$L/index.html")
[ "$size" -lt 204800 ] && ok "index.html is under 200 KB ($size bytes)" || not_ok "index.html is under 200 KB" "$size bytes"
same "$(grep -c '<tr data-n=' "$L/index.html")" 100 "index.html holds the first 100 rows"
same "$(ls "$L/list" | wc -l)" $(( (M + 99) / 100 - 1 )) "a list page for every 100 rows after the first"
same "$(ls "$L/rows" | wc -l)" $(( (M + 127) / 128 )) "a rows file for every 128 rows"
last=$(printf '%05d' $(( (M + 99) / 100 )))
grep -q "<p>Page $((10#$last)) of $((10#$last))</p>" "$L/list/$last.html" && ok "the last list page says so" ||
	not_ok "the last list page says so"
# blocks: in the root's order, each starting with the key the root names, 32 KiB to 64 KiB but the last
python3 - "$L" <<'PY' && ok "the dictionary's blocks follow the root, 32 to 64 KiB each" || not_ok "the dictionary's blocks follow the root, 32 to 64 KiB each"
import json, os, sys
lib = sys.argv[1]
root = open(lib + "/search/dict.js", encoding="utf-8").read()
root = json.loads(root[root.index("(") + 1:root.rindex(")")])
keys = []
for n, first in enumerate(root["blocks"]):
    path = "%s/search/d%05d.js" % (lib, n)
    s = open(path, encoding="utf-8").read()
    entries = json.loads(s[s.index(",") + 1:s.rindex(")")])
    size = os.path.getsize(path)
    if entries[0][0] != first or (n + 1 < len(root["blocks"]) and not 32768 <= size <= 65536):
        print("# block %d: first %r, root %r, %d bytes" % (n, entries[0][0], first, size))
        sys.exit(1)
    keys += [e[0] for e in entries]
enc = [k.encode("utf-8") for k in keys]
sys.exit(0 if enc == sorted(enc) and len(set(enc)) == len(enc) else 1)
PY
for f in search/dict.js search/facets.js; do
	printf '# %s: %d bytes\n' "$f" "$(stat -c %s "$L/$f")"
done
printf '# index.html %d bytes; list/00002.html %d; rows/00000.js %d\n' "$size" \
	"$(stat -c %s "$L/list/00002.html")" "$(stat -c %s "$L/rows/00000.js")"
printf '# search/: %d blocks (%d bytes), %d list files (%d bytes, the largest %d)\n' \
	"$(ls "$L"/search/d[0-9]*.js | wc -l)" "$(cat "$L"/search/d[0-9]*.js | wc -c)" \
	"$(ls "$L"/search/ | grep -c '^p')" "$(cat "$L"/search/p[0-9]*.js 2>/dev/null | wc -c)" \
	"$(ls -S "$L"/search/p[0-9]*.js 2>/dev/null | head -n 1 | xargs -r stat -c %s)"
printf '# largest files: %s\n' "$(find "$L" -type f -not -path '*/items/*' -printf '%s %P\n' | sort -rn | head -n 3 | tr '\n' ' ')"
printf '# keys: %s\n' "$(cat "$L"/search/d[0-9]*.js | grep -c '^\["[^#~=]') words, $(cat "$L"/search/d[0-9]*.js | grep -c '^\["~') stems, $(cat "$L"/search/d[0-9]*.js | grep -c '^\["=') Latin forms"

# run_near NAME BASE: near.test.mjs against BASE; its output as comments
run_near() {
	local out rc
	out=$(timeout 300 node "$B/near.test.mjs" "$2" 2>&1)
	rc=$?
	printf '%s\n' "$out" | sed 's/^/# /'
	same "$rc" 0 "$1"
}
run_near "near.test.mjs passes from file://" "$L"

port=$(free_port)
(cd "$L" && exec python3 -m http.server --bind 127.0.0.1 "$port") >"$T/http.log" 2>&1 &
http_pid=$!
for _ in $(seq 100); do
	curl -sf "http://127.0.0.1:$port/index.html" >/dev/null && break
	sleep 0.1
done
run_near "near.test.mjs passes over http://" "http://127.0.0.1:$port/"
kill "$http_pid" 2>/dev/null
wait "$http_pid" 2>/dev/null

# it can fail: without the near keys, and without lex.js (copies made of
# hard links: a changed file is removed first, never written through)
cp -al "$L" "$T/nokeys"
python3 - "$T/nokeys" <<-'PY'
	import glob, json, os, sys
	for path in glob.glob(sys.argv[1] + "/search/d[0-9]*.js"):
	    s = open(path, encoding="utf-8").read()
	    n, entries = s[s.index("(") + 1:s.index(",")], json.loads(s[s.index(",") + 1:s.rindex(")")])
	    entries = [e for e in entries if e[0][0] not in "~="]
	    os.remove(path)
	    open(path, "w", encoding="utf-8").write("svdDict(%s, %s);\n" % (n, json.dumps(entries, ensure_ascii=False)))
	PY
timeout 300 node "$B/near.test.mjs" "$T/nokeys" >"$T/nokeys.out" 2>&1 &&
	not_ok "near.test.mjs fails without the ~ and = keys" "$(tail -n 3 "$T/nokeys.out")" ||
	ok "near.test.mjs fails without the ~ and = keys ($(grep -c '^not ok' "$T/nokeys.out") checks fail)"
cp -al "$L" "$T/nolex"
rm "$T/nolex/reader.js"
cp "$SVD_SOURCE_DIR/archive-format/reader/reader.js" "$T/nolex/reader.js"
timeout 300 node "$B/near.test.mjs" "$T/nolex" >"$T/nolex.out" 2>&1 &&
	not_ok "near.test.mjs fails with a reader.js without lex.js" "$(tail -n 3 "$T/nolex.out")" ||
	ok "near.test.mjs fails with a reader.js without lex.js ($(grep -c '^not ok' "$T/nolex.out") checks fail)"
finish
