#!/usr/bin/env bash
# Near forms at scale, in a real browser (SPEC.md 11.5 to 11.7): 20,000
# items of the million-item corpus (tests/bench/gen_corpus.py --small),
# which is full of херсон, kherson and київ, and four items whose bodies
# hold "nearcheck"; samvydav unpack writes the library, and
# tests/browser/near.test.mjs types Kyiv, Київ, Kherson, херсона... in
# Debian's headless Chromium, from file:// and then over http:// (the
# library served as files), and checks each query's rows. Then it must fail
# for a library whose dictionary lacks the "~" and "=" keys, and for one
# whose reader.js lacks lex.js.
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
if [ "$N" -gt 0 ]; then
	check "gen_corpus.py --small --items $N" python3 "$SVD_SOURCE_DIR/tests/bench/gen_corpus.py" --small --items "$N" "$T/corpus"
	check "add $N items" svd -C "$A" add -q --from "$T/corpus" --key "$T/ed.key"
fi
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

L=$T/lib
t0=$(date +%s)
expect_exit 0 "" "unpack $((N + 4)) items" svd -C "$A" unpack "$A" -o "$L"
t1=$(date +%s)
printf '# unpack %d s; search/: %d files, %d bytes; search/dict.js %d bytes\n' $((t1 - t0)) \
	"$(ls "$L/search" | wc -l)" "$(cat "$L"/search/* | wc -c)" "$(stat -c %s "$L/search/dict.js")"
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
