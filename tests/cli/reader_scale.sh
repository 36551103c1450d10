#!/usr/bin/env bash
# The paged reader library at scale (SPEC.md 11.2, 11.5): 20,000 items of
# the million-item corpus (tests/bench/gen_corpus.py --small) added and
# unpacked; no file of the library over 4 MiB, index.html under 200 KB and
# the same size as a small library's, a list page per 100 rows, a rows file
# per 128, dictionary blocks of about 32-64 KB that the root names in order.
# Prints the figures (sizes, counts, seconds) as TAP comments.
. "$(dirname "$0")/lib.sh"

N=${SVD_SCALE_ITEMS:-20000}
A=$T/a
new_archive "$A" ed || { echo "cannot set up an archive"; exit 1; }
t0=$(date +%s)
check "gen_corpus.py --small --items $N" python3 "$SVD_SOURCE_DIR/tests/bench/gen_corpus.py" --small --items "$N" "$T/corpus"
tg=$(date +%s)
check "add $N items" svd -C "$A" add -q --from "$T/corpus" --key "$T/ed.key"
t1=$(date +%s)
L=$T/lib
expect_exit 0 "" "unpack $N items" svd -C "$A" unpack "$A" -o "$L"
t2=$(date +%s)
printf "# gen_corpus.py %d s, add %d s, unpack %d s\n" $((tg - t0)) $((t1 - tg)) $((t2 - t1))

shown=$(grep -oE 'data-rows="[0-9]+"' "$L/index.html" | grep -oE '[0-9]+')
same "$shown" "$N" "index.html counts every item"
big=$(find "$L" -type f -size +4096k -printf '%P %s\n' | head -n 5)
same "$big" "" "no file of the library is over 4 MiB"
size=$(stat -c %s "$L/index.html")
[ "$size" -lt 204800 ] && ok "index.html is under 200 KB ($size bytes)" || not_ok "index.html is under 200 KB" "$size bytes"
same "$(grep -c '<tr data-n=' "$L/index.html")" 100 "index.html holds the first 100 rows"
same "$(ls "$L/list" | wc -l)" $(( (N + 99) / 100 - 1 )) "a list page for every 100 rows after the first"
same "$(ls "$L/rows" | wc -l)" $(( (N + 127) / 128 )) "a rows file for every 128 rows"
last=$(printf '%05d' $(( (N + 99) / 100 )))
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
finish
