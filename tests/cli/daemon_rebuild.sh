#!/usr/bin/env bash
# samvydavd rebuilds its pages in the background (issue 16, "no stall").
#
# A mirror of 200 items (one with a photo) and an outbox bundle; a bundle
# of 1,000 new items dropped into its inbox. Seven requests at once, again
# and again — /, an item page, reader.css, a raw photo, /bundle/latest,
# /api/items, a block of the search dictionary — all through the import and the rebuild:
# each answered in under 100 ms (1 s under sanitizers or valgrind). With
# the site's builder held at its hold point (SVD_HOLD_AT=site.build, after
# the gate, before the pages), every kind of request is answered from the
# old pages, byte for byte; once released, from the new ones. A change of
# the trust list rebuilds the index, every item through the gate again.
. "$(dirname "$0")/lib.sh"

daemon_scenario

limit_ms=100
if ldd "$D" 2>/dev/null | grep -q libasan || [ "${SVD_VALGRIND:-0}" != 0 ]; then
	limit_ms=1000 # sanitizers slow every request several times over
fi

# items DIR N PREFIX: N small item folders; the first with a photo
items() {
	python3 - "$1" "$2" "$3" <<-'EOF'
		import os, random, sys
		out, n, prefix = sys.argv[1], int(sys.argv[2]), sys.argv[3]
		r = random.Random(n)
		for i in range(n):
		    d = os.path.join(out, "%s%05d" % (prefix, i))
		    os.makedirs(d)
		    open(d + "/meta.json", "w").write(
		        '{"title":"%s item %d","lang":"en","created":"2026-03-%02dT%02d:%02d:00Z"}'
		        % (prefix, i, i % 28 + 1, i // 60 % 24, i % 60))
		    open(d + "/body.md", "w").write(
		        "Words of %s item %d: river%d bridge%d harbour.\n" % (prefix, i, i % 97, i % 13))
		    if i == 0:
		        open(d + "/photo.jpg", "wb").write(r.randbytes(64 * 1024))
	EOF
}

A=$T/a
new_archive "$A" ed || exit 1
items "$T/old" 200 old
check "add 200 items" svd -C "$A" add -q --from "$T/old" --key "$T/ed.key"
# the 1,000 new ones, from another archive by the same editor, as a bundle
S=$T/s
new_archive "$S" ed || exit 1
items "$T/new" 1000 new
check "add 1,000 items elsewhere" svd -C "$S" add -q --from "$T/new" --key "$T/ed.key"
check "export them as a bundle" svd -C "$S" export -q -o "$T/new.tar.zst"

mkdir -p "$T/inbox" "$T/outbox"
printf 'an outbox bundle\n' >"$T/outbox/samvydav-$(date -u +%Y%m%dT%H%M%SZ).tar.zst"
port=$(free_port)
cat >"$T/d.conf" <<-EOF
	[archive]
		path = $A
	[inbox]
		folder = $T/inbox
		settle = 0
		rescan = 1
	[outbox]
		folder = $T/outbox
		every = 86400
	[http]
		listen = 127.0.0.1:$port
	[log]
		level = debug
EOF
U=http://127.0.0.1:$port
hold=$T/hold
SVD_HOLD_AT=site.build SVD_HOLD_FILE=$hold start_daemon "$T/d.conf" "$T/d.log" &&
	ok "the daemon starts" || not_ok "the daemon starts" "$(cat "$T/d.log")"

# until the first index is in place, pages answer 503 (or at once 200)
for _ in $(seq 300); do
	code=$(curl -s -o /dev/null -w '%{http_code}' "$U/api/items")
	[ "$code" = 200 ] && break
	[ "$code" = 503 ] || break
	sleep 0.1
done
same "$code" 200 "the first index is built"

# the pages as they are before the import
curl -s "$U/api/items?limit=1000" >"$T/items.old"
same "$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["items"]))' "$T/items.old")" 200 \
	"/api/items lists the 200 items"
photo_id=$(python3 -c '
import json, sys
print([i["id"] for i in json.load(open(sys.argv[1]))["items"] if i["title"] == "old item 0"][0])' "$T/items.old")
paths="/ /pages/$photo_id.html /reader.css /items/${photo_id:0:2}/$photo_id/photo.jpg /bundle/latest /api/items /search/d00000.js"
i=0
for p in $paths; do
	curl -s -o "$T/old.$i" "$U$p"
	i=$((i + 1))
done
grep -q '"harbour"' "$T/old.6" && ok "the dictionary's block d00000 holds 'harbour'" ||
	not_ok "the dictionary's block d00000 holds 'harbour'" "$(head -c 300 "$T/old.6")"
# the tag the site gives / (sent as ETag by an HTTP layer that sends it)
etag_old=$(curl -s -D - -o /dev/null "$U/" | tr -d '\r' | sed -n 's/^[Ee][Tt][Aa][Gg]: //p')

# seven requests at once, again and again, until told to stop; the slowest of each kind
cat >"$T/load.py" <<-'EOF'
	import concurrent.futures, os, sys, time, urllib.request
	base, stop, out = sys.argv[1], sys.argv[2], sys.argv[3]
	paths = sys.argv[4:]
	worst = {p: 0.0 for p in paths}
	count = 0
	errors = []
	def get(p):
	    t = time.monotonic()
	    try:
	        with urllib.request.urlopen(base + p, timeout=30) as r:
	            r.read()
	            code = r.status
	    except Exception as e:
	        code = str(e)
	    return p, (time.monotonic() - t) * 1000, code
	with concurrent.futures.ThreadPoolExecutor(len(paths)) as pool:
	    while not os.path.exists(stop):
	        for p, ms, code in pool.map(get, paths):
	            worst[p] = max(worst[p], ms)
	            if code != 200:
	                errors.append("%s: %s" % (p, code))
	        count += 1
	        time.sleep(0.02)
	with open(out, "w") as f:
	    f.write("rounds %d\n" % count)
	    for p in paths:
	        f.write("%.1f %s\n" % (worst[p], p))
	    for e in errors[:10]:
	        f.write("error %s\n" % e)
EOF
: >"$hold"
# shellcheck disable=SC2086
python3 "$T/load.py" "$U" "$T/load.stop" "$T/load.out" $paths &
lpid=$!
head_before=$(head_of "$A")
cp "$A/cache/site" "$T/site.before"
cp "$T/new.tar.zst" "$T/inbox/"

# the import commits, the builder gates the 1,000 new items and stops at its hold point
for _ in $(seq 600); do
	grep -q "site.build" "$hold" 2>/dev/null && break
	sleep 0.1
done
grep -q "site.build" "$hold" && ok "the builder is held after the import's gate" ||
	not_ok "the builder is held after the import's gate" "$(tail -n 5 "$T/d.log")"
[ "$(head_of "$A")" != "$head_before" ] && ok "main moved: the 1,000 items are imported" ||
	not_ok "main moved" "$(tail -n 5 "$T/d.log")"
grep -qE "site: index .* 1000 gated, 200 from the catalog file" "$T/d.log" &&
	not_ok "no new index while the builder is held" || ok "no new index while the builder is held"

# while held: every kind of request from the old pages, byte for byte
i=0
for p in $paths; do
	curl -s -o "$T/held.$i" -w '%{http_code}' "$U$p" >"$T/held.$i.code"
	if [ "$(cat "$T/held.$i.code")" = 200 ] && cmp -s "$T/old.$i" "$T/held.$i"; then
		ok "held: $p is the old one"
	else
		not_ok "held: $p is the old one" "status $(cat "$T/held.$i.code")"
	fi
	i=$((i + 1))
done
# the new catalog file is written beside its place, not yet in place
cmp -s "$A/cache/site" "$T/site.before" && [ -s "$A/cache/site.next" ] &&
	ok "held: the old catalog file is in place, the new one beside it" ||
	not_ok "held: the old catalog file is in place, the new one beside it" "$(ls -l "$A/cache")"
new_id=$(git --git-dir="$S/store.git" ls-tree -d --name-only main items/ | head -n 1)
new_id=$(git --git-dir="$S/store.git" ls-tree -d --name-only main "$new_id/" | head -n 1)
new_id=${new_id##*/}
same "$(curl -s -o /dev/null -w '%{http_code}' "$U/pages/$new_id.html")" 404 \
	"held: a new item's page is not there yet"

# released: the new pages
rm -f "$hold"
for _ in $(seq 600); do
	n=$(curl -s "$U/api/status" | python3 -c 'import json,sys; print(json.load(sys.stdin)["shown"])' 2>/dev/null)
	[ "$n" = 1200 ] && break
	sleep 0.1
done
same "$n" 1200 "released: /api/status shows 1,200 items"
grep -qE "site: index .* 1000 gated, 200 from the catalog file" "$T/d.log" &&
	ok "the rebuild gated the 1,000 new items only" ||
	not_ok "the rebuild gated the 1,000 new items only" "$(grep 'site: index' "$T/d.log")"
same "$(curl -s -o /dev/null -w '%{http_code}' "$U/pages/$new_id.html")" 200 "released: the new item's page"
for _ in $(seq 100); do
	[ -e "$A/cache/site.next" ] || break
	sleep 0.1
done
[ ! -e "$A/cache/site.next" ] && ! cmp -s "$A/cache/site" "$T/site.before" &&
	ok "released: the new catalog file is in place" ||
	not_ok "released: the new catalog file is in place" "$(ls -l "$A/cache")"
# the paged library: / holds the first 100 rows, rows/ all 1,200 (10 files of 128)
for n in 0 1 2 3 4 5 6 7 8 9; do curl -s "$U/rows/0000$n.js"; done >"$T/rows.new"
grep -q "$new_id" "$T/rows.new" && ok "released: rows/ lists a new item" ||
	not_ok "released: rows/ lists a new item"
same "$(curl -s -o /dev/null -w '%{http_code}' "$U/list/00012.html")" 200 "released: list/00012.html, the last page"
same "$(curl -s -o /dev/null -w '%{http_code}' "$U/list/00013.html")" 404 "released: no list/00013.html"
etag_new=$(curl -s -D - -o /dev/null "$U/" | tr -d '\r' | sed -n 's/^[Ee][Tt][Aa][Gg]: //p')
if [ -n "$etag_old" ]; then
	[ "$etag_new" != "$etag_old" ] && ok "/ has a new ETag" ||
		not_ok "/ has a new ETag" "$etag_old -> $etag_new"
fi
sleep 1 # a few rounds on the new pages
touch "$T/load.stop"
wait "$lpid"
printf '# the slowest answer of each kind (ms), 7 at once, through the import and the rebuild:\n'
sed 's/^/#   /' "$T/load.out"
grep -q '^error' "$T/load.out" && not_ok "every request answered 200" "$(grep '^error' "$T/load.out")" ||
	ok "every request answered 200 ($(sed -n 's/^rounds //p' "$T/load.out") rounds)"
while read -r ms p; do
	[ "$ms" = rounds ] || [ "$ms" = error ] && continue
	if [ "${ms%.*}" -lt "$limit_ms" ]; then
		ok "$p: every answer under $limit_ms ms (slowest $ms ms)"
	else
		not_ok "$p: every answer under $limit_ms ms" "slowest $ms ms"
	fi
done <"$T/load.out"

# a change of the trust list: every item through the gate again
builds=$(grep -c "site: index " "$T/d.log")
svd key generate --no-passphrase -o "$T/other.key" -p "$T/other.pub" >/dev/null
check "trust a second key" svd -C "$A" trust add "$T/other.pub"
for _ in $(seq 600); do
	[ "$(grep -c "site: index " "$T/d.log")" -gt "$builds" ] && break
	sleep 0.1
done
grep "site: index " "$T/d.log" | tail -n 1 | grep -qE " 1200 gated, 0 from the catalog file" &&
	ok "a trust change rebuilds: 1,200 gated" ||
	not_ok "a trust change rebuilds: 1,200 gated" "$(grep 'site: index' "$T/d.log" | tail -n 2)"

stop_daemon && ok "the daemon stops" || not_ok "the daemon stops" "exit $?"
finish
