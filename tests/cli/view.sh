#!/usr/bin/env bash
# One view of what an archive shows (view.h, SPEC.md 8): every outlet is
# checked against one retracted item (G, withdrawn by R) and one superseded
# item (X, superseded by Y). G stays in the store and is named by list --all,
# show and verify; it is in no bundle, no library, no page, no raw file and
# no /api/items. X is everywhere, marked as superseded by Y.
. "$(dirname "$0")/lib.sh"

command -v zstd >/dev/null || { echo "zstd is not installed"; exit 1; }
D=${SVD_BUILD_DIR:?}/daemon/samvydavd
A=$T/a
new_archive "$A" ed || { echo "cannot set up an archive"; exit 1; }
added() { svd -C "$A" add --key "$T/ed.key" "$@" | awk '/^Added/ {print $2}'; }
printf 'First.\n' >"$T/x.md"
printf 'Second.\n' >"$T/y.md"
printf 'Wrong.\n' >"$T/g.md"
printf 'Withdrawn.\n' >"$T/r.md"
X=$(added --kind article --title 'Old version' --lang en --body "$T/x.md" --created 2026-03-01T00:00:00Z)
Y=$(added --kind correction --title 'New version' --lang en --body "$T/y.md" --supersedes "$X" \
	--created 2026-03-02T00:00:00Z)
before_g=$(head_of "$A")
G=$(added --kind testimony --title 'Withdrawn testimony' --lang uk --body "$T/g.md" --created 2026-03-03T00:00:00Z)
R=$(added --kind retraction --title 'Retraction' --lang en --body "$T/r.md" --retracts "$G" \
	--created 2026-03-04T00:00:00Z)
same "${#X}${#Y}${#G}${#R}" 64646464 "add the superseded, correcting, retracted and retraction items"
same "$(ids_of "$A" | grep -c "$G")" 1 "the retracted item is in the store"

# in_bundle FILE ID: the bundle carries the item
in_bundle() { tar --zstd -tf "$1" | grep -q "items/${2:0:2}/$2/manifest.json"; }
# bundle_says FILE: what a bundle carries: X Y R shown, G absent
bundle_says() {
	in_bundle "$1" "$X" && in_bundle "$1" "$Y" && in_bundle "$1" "$R" && ! in_bundle "$1" "$G"
}

# list, list --all, list --json
out=$(svd -C "$A" list)
printf '%s\n' "$out" | grep -q "^${G:0:12}" && not_ok "list leaves the retracted item out" "$out" ||
	ok "list leaves the retracted item out"
same "$(printf '%s\n' "$out" | cut -c1-12 | tr '\n' ' ')" "${R:0:12} ${Y:0:12} ${X:0:12} " \
	"list shows the rest newest first"
expect_exit 0 "^${G:0:12} .*withdrawn by retraction ${R:0:12} \(created 2026-03-04T00:00:00Z, signed by [0-9A-F]{16}\)" \
	"list --all names the retracted item, the retraction, when and by whom" svd -C "$A" list --all
svd -C "$A" list --all --json | python3 -c '
import json, sys
X, Y, G, R = sys.argv[1:5]
rows = {r["id"]: r for r in json.load(sys.stdin)}
assert rows[G]["state"] == "retracted", rows[G]
assert rows[G]["withdrawn"]["retraction"] == R and rows[G]["withdrawn"]["created"] == "2026-03-04T00:00:00Z"
assert len(rows[G]["withdrawn"]["signers"]) == 1
assert rows[X]["state"] == "shown" and rows[X]["superseded_by"] == Y
assert rows[R]["state"] == "shown" and "superseded_by" not in rows[Y]
' "$X" "$Y" "$G" "$R" && ok "list --all --json: states, withdrawal, supersession" ||
	not_ok "list --all --json: states, withdrawal, supersession"
svd -C "$A" list --json | python3 -c '
import json, sys
ids = [r["id"] for r in json.load(sys.stdin)]
assert sys.argv[1] not in ids and len(ids) == 3' "$G" && ok "list --json leaves it out" || not_ok "list --json leaves it out"

# the view's cache (ARCHIVE/cache/view) is derived: damaged, cut or foreign, it is ignored and made again
# (fresh: without the list of main, so that the view is built)
fresh() { rm -f "$A/cache/list"; svd -C "$A" "$@"; }
want=$(svd -C "$A" list --all)
[ -s "$A/cache/view" ] && ok "list leaves a view cache" || not_ok "list leaves a view cache"
python3 -c 'import sys; p=sys.argv[1]; b=bytearray(open(p,"rb").read()); b[len(b)//2]^=1; open(p,"wb").write(b)' "$A/cache/view"
same "$(fresh list --all)" "$want" "a cache with a flipped bit is ignored"
head -c 100 "$A/cache/view" >"$T/cut" && cp "$T/cut" "$A/cache/view"
same "$(fresh list --all)" "$want" "a cut cache is ignored"
cmp -s "$T/cut" "$A/cache/view" && not_ok "and made again" || ok "and made again"
printf 'svdview1 junk' >"$A/cache/view"
same "$(fresh list --all)" "$want" "a cache of junk is ignored"

# the list of main (ARCHIVE/cache/list, SPEC 7.2.2): list and show read it
# instead of the view while it is of main's commit; without it they build the
# view (which writes it again); damaged, it is removed and made again
[ -s "$A/cache/list" ] && ok "a view of main leaves its list" || not_ok "a view of main leaves its list"
for args in "list" "list --all" "list --all --json" "list --json --lang uk" "show $G" "show --json $G" "show $X"; do
	# shellcheck disable=SC2086
	want=$(fresh $args)
	rm -f "$A/cache/view"
	# shellcheck disable=SC2086
	same "$(svd -C "$A" $args 2>&1)" "$want" "$args: from the list, as from the view"
	[ -e "$A/cache/view" ] && not_ok "$args: the view was not built" || ok "$args: the view was not built"
done
want=$(fresh list --all)
python3 -c 'import sys; p=sys.argv[1]; b=bytearray(open(p,"rb").read()); b[200]^=1; open(p,"wb").write(b)' "$A/cache/list"
cp "$A/cache/list" "$T/list.bad"
same "$(svd -C "$A" list --all 2>"$T/err")" "$want" "a list with a flipped bit: the view instead"
grep -q "the list cache is damaged" "$T/err" && ok "and says so" || not_ok "and says so" "$(cat "$T/err")"
[ -s "$A/cache/list" ] && ! cmp -s "$T/list.bad" "$A/cache/list" && ok "and the list is made again" ||
	not_ok "and the list is made again"
want=$(fresh show "$G")
head -c 100 "$A/cache/list" >"$T/cut" && cp "$T/cut" "$A/cache/list"
same "$(svd -C "$A" show "$G" 2>/dev/null)" "$want" "show with a cut list: the view instead"
svd -C "$A" list >/dev/null
cp -a "$A" "$T/a2"
printf 'Later.\n' >"$T/later.md"
L=$(svd -C "$T/a2" add --key "$T/ed.key" --kind article --title 'Later article' --lang en --body "$T/later.md" |
	awk '/^Added/ {print $2}')
cp "$A/cache/list" "$T/a2/cache/list"
svd -C "$T/a2" list | grep -q "^${L:0:12} " && ok "a list of an older commit is not used" ||
	not_ok "a list of an older commit is not used"

# show and verify still name it
expect_exit 0 "shown +withdrawn by retraction ${R:0:12}" "show says the item was withdrawn" svd -C "$A" show "$G"
expect_exit 0 "superseded by $Y" "show says the item was superseded" svd -C "$A" show "$X"
svd -C "$A" show --json "$G" | python3 -c '
import json, sys
o = json.load(sys.stdin)
assert o["verified"] and o["state"] == "retracted" and o["withdrawn"]["retraction"] == sys.argv[1]' "$R" &&
	ok "show --json: verified, and retracted by R" || not_ok "show --json: verified, and retracted by R"
svd -C "$A" verify --json | python3 -c '
import json, sys
o = json.load(sys.stdin)
assert o["items"] == 4 and o["failed"] == 0 and o["shown"] == 3, o
assert [h["id"] for h in o["hidden"]] == [sys.argv[1]] and o["hidden"][0]["state"] == "retracted"' "$G" &&
	ok "verify --json checks all four and names the hidden one" ||
	not_ok "verify --json checks all four and names the hidden one"
expect_exit 0 "1 of them withdrawn by retractions" "verify says one is withdrawn" svd -C "$A" verify

# export: full, --since, --have, --max-size, --with-reader
check "export" svd -C "$A" export -q -o "$T/full.tar.zst"
bundle_says "$T/full.tar.zst" && ok "export: X, Y, R, not G" || not_ok "export: X, Y, R, not G"
check "export --since the commit before G" svd -C "$A" export -q --since "$before_g" -o "$T/since.tar.zst"
in_bundle "$T/since.tar.zst" "$R" && ! in_bundle "$T/since.tar.zst" "$G" && ! in_bundle "$T/since.tar.zst" "$X" &&
	ok "export --since: R, not G" || not_ok "export --since: R, not G"
check "export --since a date" svd -C "$A" export -q --since 2026-03-03 -o "$T/date.tar.zst"
in_bundle "$T/date.tar.zst" "$R" && ! in_bundle "$T/date.tar.zst" "$G" && ok "export --since DATE: R, not G" ||
	not_ok "export --since DATE: R, not G"
E=$T/empty
new_archive "$E" ed
check "have-file of an empty archive" svd -C "$E" have -o "$T/empty.have"
check "export --have" svd -C "$A" export -q --have "$T/empty.have" -o "$T/have.tar.zst"
bundle_says "$T/have.tar.zst" && ok "export --have: X, Y, R, not G" || not_ok "export --have: X, Y, R, not G"
check "export --max-size" svd -C "$A" export -q --max-size 20K -o "$T/parts.tar.zst"
parts=$(ls "$T"/parts.*.tar.zst | wc -l)
n=0
for p in "$T"/parts.*.tar.zst; do
	in_bundle "$p" "$G" && n=$((n + 1))
done
[ "$parts" -ge 1 ] && [ "$n" -eq 0 ] && ok "export --max-size: no part carries G" || not_ok "export --max-size: no part carries G"
check "export --with-reader" svd -C "$A" export -q --with-reader -o "$T/reader.tar.zst"
bundle_says "$T/reader.tar.zst" && ok "export --with-reader: X, Y, R, not G" || not_ok "export --with-reader: X, Y, R, not G"
mkdir -p "$T/rx" && tar --zstd -xf "$T/reader.tar.zst" -C "$T/rx"
[ ! -e "$T/rx/pages/$G.html" ] && ! grep -q "$G\"" "$T/rx/index.html" &&
	grep -q "Superseded by</strong> <a href=\"$Y.html\"" "$T/rx/pages/$X.html" &&
	grep -q "Retracts</strong> <code>$G</code> (retracted; not in this library)" "$T/rx/pages/$R.html" &&
	ok "the bundle's library: no page for G, X superseded by Y" || not_ok "the bundle's library: no page for G, X superseded by Y"

# a courier's stick: what is written for another mirror is what the view shows
mkdir -p "$T/stick"
check "mirror E's side of the stick" svd -C "$E" stick -q "$T/stick"
out=$(svd -C "$A" stick "$T/stick" 2>/dev/null)
n=0
for f in $out; do
	bundle_says "$f" && n=$((n + 1))
done
[ -n "$out" ] && [ "$n" -eq "$(printf '%s\n' $out | wc -l)" ] && ok "stick: the bundle for E carries X, Y, R, not G" ||
	not_ok "stick: the bundle for E carries X, Y, R, not G" "$out"

# an importer of the bundle gets the retraction, and shows what we show
B=$T/b
new_archive "$B" ed
check "import the export" svd -C "$B" import -q "$T/full.tar.zst"
same "$(svd -C "$B" list | cut -c1-12 | tr '\n' ' ')" "$(svd -C "$A" list | cut -c1-12 | tr '\n' ' ')" \
	"the importer lists what the exporter lists"

# unpack: from the archive, and from a bundle that still carries G
check "unpack the archive" svd unpack "$A" -o "$T/lib"
[ ! -e "$T/lib/pages/$G.html" ] && [ ! -e "$T/lib/items/${G:0:2}/$G" ] && ! grep -q "$G\"" "$T/lib/index.html" &&
	grep -q "Superseded by</strong> <a href=\"$Y.html\"" "$T/lib/pages/$X.html" &&
	ok "unpack: no page or files for G, X superseded by Y" || not_ok "unpack: no page or files for G, X superseded by Y"
same "$(cd "$T/lib" && find pages search index.html $(ls -d list rows 2>/dev/null) -type f | sort | xargs sha256sum | sha256sum)" \
	"$(cd "$T/rx" && find pages search index.html $(ls -d list rows 2>/dev/null) -type f | sort | xargs sha256sum | sha256sum)" \
	"unpack and export --with-reader make the same pages"
mkdir -p "$T/every" && git -C "$A/store.git" archive main | tar -x -C "$T/every"
check "a bundle that carries G" craft write "$T/every.tar.zst" "$T/every"
check "unpack it" svd -C "$A" unpack -q "$T/every.tar.zst" -o "$T/lib2"
[ ! -e "$T/lib2/pages/$G.html" ] && [ ! -e "$T/lib2/items/${G:0:2}/$G" ] &&
	ok "unpack of a bundle that carries G leaves it out" || not_ok "unpack of a bundle that carries G leaves it out"

# the daemon: the outbox bundle, pages, raw files, /api/items
mkdir -p "$T/outbox"
port=$(free_port)
printf '[archive]\n\tpath = %s\n[outbox]\n\tfolder = %s\n[http]\n\tlisten = 127.0.0.1:%s\n' \
	"$A" "$T/outbox" "$port" >"$T/d.conf"
start_daemon "$T/d.conf" "$T/d.log" || not_ok "the daemon starts" "$(tail -n 3 "$T/d.log")"
wait_log "http: serving" 100
for _ in $(seq 100); do
	ls "$T"/outbox/*.tar.zst >/dev/null 2>&1 && break
	sleep 0.1
done
wait_log "outbox: wrote" 100
outbox=$(ls "$T"/outbox/samvydav-*.tar.zst | head -n 1)
bundle_says "$outbox" && ok "the outbox bundle: X, Y, R, not G" || not_ok "the outbox bundle: X, Y, R, not G"
python3 - "$port" "$X" "$Y" "$G" "$R" <<'PY' && ok "HTTP: G is in no page, list or file; X is" || not_ok "HTTP: G is in no page, list or file; X is"
import json, sys, urllib.request, urllib.error
port, X, Y, G, R = sys.argv[1:6]
base = "http://127.0.0.1:%s/" % port
def get(path):
    try:
        with urllib.request.urlopen(base + path, timeout=20) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()
status, body = get("api/items")
page = json.loads(body)
ids = [r["id"] for r in page["items"]]
assert status == 200 and ids == [R, Y, X] and page["next"] is None, (ids, page["next"])
# a page at a time: the withdrawn G is in none of them either
seen, after = [], ""
while True:
    status, body = get("api/items?limit=1" + ("&after=" + after if after else ""))
    page = json.loads(body)
    seen += [r["id"] for r in page["items"]]
    if page["next"] is None:
        break
    after = page["next"]
assert seen == [R, Y, X], seen
status, body = get("index.html")
assert status == 200 and G not in body and X in body, "index.html"
assert get("pages/%s.html" % G)[0] == 404, "G's page"
status, body = get("items/%s/%s/body.md" % (G[:2], G))
assert status == 410 and R[:12] in body, (status, body)
assert get("items/%s/%s/manifest.json" % (G[:2], G))[0] == 410, "G's manifest"
status, body = get("items/%s/%s/body.md" % (X[:2], X))
assert status == 200 and body == "First.\n", (status, body)
status, body = get("pages/%s.html" % X)
assert status == 200 and 'Superseded by</strong> <a href="%s.html"' % Y in body, "X's page"
status, body = get("api/status")
o = json.loads(body)
assert o["items"] == 4 and o["shown"] == 3, o
PY
stop_daemon

# a key no longer trusted: its items are hidden as refused everywhere (nothing deleted)
K=$T/k
new_archive "$K" ed
svd key generate --no-passphrase -o "$T/other.key" -p "$T/other.pub" >/dev/null 2>&1
check "trust a second editor" svd -C "$K" trust add "$T/other.pub"
O=$(svd -C "$K" add --key "$T/other.key" --kind article --title 'By the other' --lang en --body "$T/x.md" | awk '/^Added/ {print $2}')
check "export while trusted" svd -C "$K" export -q -o "$T/k1.tar.zst"
in_bundle "$T/k1.tar.zst" "$O" && ok "the item travels while its key is trusted" || not_ok "the item travels while its key is trusted"
check "remove the key" svd -C "$K" trust remove "$(svd key show "$T/other.pub")"
check "export after" svd -C "$K" export -q -o "$T/k2.tar.zst"
in_bundle "$T/k2.tar.zst" "$O" && not_ok "an item no trusted key signs is not exported" ||
	ok "an item no trusted key signs is not exported"
expect_exit 0 "^${O:0:12} .*refused: .*trust" "list --all says why it is hidden" svd -C "$K" list --all
same "$(ids_of "$K" | grep -c "$O")" 1 "and it is still in the store"

finish
