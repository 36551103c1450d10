#!/usr/bin/env bash
# samvydavd starts fast from its catalog on disk (issue 16, "fast start").
#
# 1. 20,000 small items (generated, then one `samvydav add --from`): the
#    first start gates them all and writes ARCHIVE/cache/site; the next
#    start serves its first page in under 1 s (30 s under sanitizers or
#    valgrind), gating nothing; the check of every carried record that
#    follows finds them as the store has them and keeps the index in place.
# 2. Five items added while the daemon is down: the catalog file is of an
#    older commit, and the next start gates those five only.
# 3. A damaged catalog file (one byte flipped, cut short, garbage) is
#    ignored, logged, every item gated, and the file written again, which
#    the start after that uses.
. "$(dirname "$0")/lib.sh"

daemon_scenario

# Issue 16 asks for 1 s. A start serves the library folder the last run
# wrote for the same commit (SPEC 7.2.3) before its index is built; the
# first index then takes the file's records unchecked (the check of every
# signature follows at once, SPEC 7.2.1). The first page came after
# 0.5-0.55 s on this 2-core machine before the folder, some 0.1 s with it. ctest runs this test alone
# (RUN_SERIAL, tests/CMakeLists.txt); other work on the machine makes a
# start slower by chance, never faster: it is tried up to three times, and
# the fastest must be under 1 s; every figure is printed.
limit_ms=1000
if ldd "$D" 2>/dev/null | grep -q libasan || [ "${SVD_VALGRIND:-0}" != 0 ]; then
	limit_ms=30000
fi

# items DIR N FIRST: N small item folders, numbered from FIRST
items() {
	python3 - "$1" "$2" "$3" <<-'EOF'
		import os, sys
		out, n, first = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
		words = "river bridge harbour field letter market winter school mother witness".split()
		for i in range(first, first + n):
		    d = os.path.join(out, "i%05d" % i)
		    os.makedirs(d)
		    open(d + "/meta.json", "w").write(
		        '{"title":"Item %d","lang":"en","created":"2026-%02d-%02dT%02d:%02d:00Z"}'
		        % (i, i % 12 + 1, i % 28 + 1, i // 60 % 24, i % 60))
		    open(d + "/body.md", "w").write("Item %d: %s %s %s.\n" % (
		        i, words[i % 10], words[i // 10 % 10], words[i // 100 % 10]))
	EOF
}

# first_page URL: milliseconds from now until URL answers 200 (or "none" after 120 s)
first_page() {
	python3 - "$1" "$2" <<-'EOF'
		import sys, time, urllib.error, urllib.request
		t0 = float(sys.argv[2]) / 1e9
		while time.time() - t0 < 120:
		    try:
		        with urllib.request.urlopen(sys.argv[1], timeout=5) as r:
		            if r.status == 200:
		                r.read()
		                print(int((time.time() - t0) * 1000))
		                sys.exit(0)
		    except (urllib.error.URLError, ConnectionError):
		        pass
		    time.sleep(0.01)
		print("none")
	EOF
}

# start_timed CONF LOG: start the daemon, and the ms until its first page (ms)
start_timed() {
	local t0
	t0=$(date +%s%N)
	log=$2
	"$D" -c "$1" 2>>"$log" &
	pid=$!
	ms=$(first_page "$U/" "$t0")
}

# built N: until the log holds N index lines (60 s)
built() {
	for _ in $(seq 600); do
		[ "$(grep -c "site: index " "$log")" -ge "$1" ] && return 0
		sleep 0.1
	done
	return 1
}

# written FILE [OLD]: until the catalog file is there (and no longer OLD's bytes; 60 s)
written() {
	for _ in $(seq 600); do
		if [ -s "$1" ] && { [ -z "${2:-}" ] || ! cmp -s "$1" "$2"; }; then
			return 0
		fi
		sleep 0.1
	done
	return 1
}

############################################################ 1. 20,000 items

A=$T/a
new_archive "$A" ed || exit 1
t=$(date +%s%N)
items "$T/corpus" 20000 1
gen=$((($(date +%s%N) - t) / 1000000))
t=$(date +%s%N)
check "add 20,000 items" svd -C "$A" add -q --from "$T/corpus" --key "$T/ed.key"
add=$((($(date +%s%N) - t) / 1000000))
printf '# 20,000 items generated in %d ms, added in %d ms\n' "$gen" "$add"
rm -rf "$T/corpus"

port=$(free_port)
U=http://127.0.0.1:$port
daemon_conf "$T/a.conf" "$A" "$port"
F=$A/cache/site

start_timed "$T/a.conf" "$T/a.log"
printf '# first start, no catalog file: first page after %s ms\n' "$ms"
built 1 && ok "the first start builds the index" || not_ok "the first start builds the index" "$(tail -n 5 "$log")"
grep -qE "site: index .* 20000 items, 20000 gated, 0 from the catalog file \(none\)" "$log" &&
	ok "the first start gates every item" || not_ok "the first start gates every item" "$(grep 'site: ' "$log")"
written "$F" && ok "cache/site is written" || not_ok "cache/site is written"
stop_daemon

best=none
for try in 1 2 3; do
	: >"$T/a2.log"
	start_timed "$T/a.conf" "$T/a2.log"
	built 1
	printf '# start %d with the catalog file: first page after %s ms\n' "$try" "$ms"
	grep "site: index" "$log" | tail -n 1 | sed 's/^/#   /'
	if [ "$ms" != none ] && { [ "$best" = none ] || [ "$ms" -lt "$best" ]; }; then
		best=$ms
	fi
	{ [ "$best" != none ] && [ "$best" -lt "$limit_ms" ]; } || [ "$try" = 3 ] && break
	# slower than the bound: once the recheck is in place too, again
	built 2
	stop_daemon
done
[ "$best" != none ] && [ "$best" -lt "$limit_ms" ] && ok "the first page within $limit_ms ms of the start ($best ms, the fastest of $try)" ||
	not_ok "the first page within $limit_ms ms of the start" "fastest $best ms of $try"
grep -qE "site: the library of main at [0-9a-f]{12} served from lib-" "$log" &&
	ok "the library folder of the last run served before the index is built" ||
	not_ok "the library folder of the last run served before the index is built" "$(grep 'site: ' "$log")"
grep -qE "site: index .* 20000 items, 0 gated, 20000 from the catalog file \(used\)" "$log" &&
	ok "nothing gated: every item from the catalog file" ||
	not_ok "nothing gated: every item from the catalog file" "$(grep 'site: ' "$log")"
n=$(curl -s "$U/api/status" | python3 -c 'import json,sys; print(json.load(sys.stdin)["shown"])')
same "$n" 20000 "/api/status shows 20,000 items"
curl -s "$U/api/status" | grep -q '"gated":0' && ok "/api/status says 0 gated" || not_ok "/api/status says 0 gated"
# the check that follows the unchecked first index finds every record as
# the store has it: the index in place is kept, no second one is made
built 2
grep -qE "site: index of main at [0-9a-f]{12} checked in [0-9]+ ms: its 20000 items from the catalog file are what the store says; kept" "$log" &&
	ok "the recheck keeps the index in place" ||
	not_ok "the recheck keeps the index in place" "$(grep 'site: ' "$log")"
same "$(grep -c 'site: index of main at .* built in' "$log")" 1 "no second index is built for the recheck"
same "$(curl -s -o /dev/null -w '%{http_code}' "$U/")" 200 "the index is served after the recheck"
stop_daemon

################################################ 2. a file of an older commit

items "$T/more" 5 20001
check "add 5 items while the daemon is down" svd -C "$A" add -q --from "$T/more" --key "$T/ed.key"
: >"$T/a3.log"
start_timed "$T/a.conf" "$T/a3.log"
built 1
printf '# third start, 5 items new since the catalog file: first page after %s ms\n' "$ms"
grep -qE "site: index .* 20005 items, 5 gated, 20000 from the catalog file \(used\)" "$log" &&
	ok "only the 5 new items gated" || not_ok "only the 5 new items gated" "$(grep 'site: ' "$log")"
n=$(curl -s "$U/api/status" | python3 -c 'import json,sys; print(json.load(sys.stdin)["shown"])')
same "$n" 20005 "/api/status shows 20,005 items"
stop_daemon

###################################################### 3. a damaged catalog file

B=$T/b
new_archive "$B" ed || exit 1
items "$T/small" 30 1
check "add 30 items" svd -C "$B" add -q --from "$T/small" --key "$T/ed.key"
port=$(free_port)
U=http://127.0.0.1:$port
daemon_conf "$T/b.conf" "$B" "$port"
G=$B/cache/site
start_daemon "$T/b.conf" "$T/b.log"
built 1 && written "$G" && ok "a small archive's catalog file" || not_ok "a small archive's catalog file"
stop_daemon
cp "$G" "$T/site.good"
size=$(stat -c %s "$G")

# damage NAME COMMAND: damage the file, start, expect it ignored, gated whole, written again
damage() {
	local what=$1
	shift
	cp "$T/site.good" "$G"
	"$@"
	cp "$G" "$T/site.bad"
	: >"$T/b.$what.log"
	start_daemon "$T/b.conf" "$T/b.$what.log"
	built 1
	if grep -qE "site: .*cache/site: .*; ignored: every item goes through the gate" "$log" &&
		grep -qE "site: index .* 30 gated, 0 from the catalog file \(ignored\)" "$log"; then
		ok "$what: ignored, logged, every item gated"
	else
		not_ok "$what: ignored, logged, every item gated" "$(grep 'site: ' "$log")"
	fi
	# nothing was taken from the file, so there is nothing to check again:
	# that first index writes the file (no second gate of every item)
	grep -q "taken unchecked" "$log" &&
		not_ok "$what: the first index is not said to be unchecked" "$(grep 'site: ' "$log")" ||
		ok "$what: the first index is not said to be unchecked"
	same "$(curl -s -o /dev/null -w '%{http_code}' "$U/")" 200 "$what: the pages are served"
	written "$G" "$T/site.bad" && ok "$what: the file is written again" ||
		not_ok "$what: the file is written again"
	stop_daemon
	: >"$T/b.$what.2.log"
	start_daemon "$T/b.conf" "$T/b.$what.2.log"
	built 1
	grep -qE "site: index .* 0 gated, 30 from the catalog file \(used\)" "$log" &&
		ok "$what: the next start uses the new file" ||
		not_ok "$what: the next start uses the new file" "$(grep 'site: ' "$log")"
	stop_daemon
}
flip() {
	python3 - "$G" "$1" <<-'EOF'
		import sys
		p, at = sys.argv[1], int(sys.argv[2])
		b = bytearray(open(p, "rb").read())
		b[at] ^= 0x20
		open(p, "wb").write(b)
	EOF
}
damage "a byte flipped" flip $((size / 2))
damage "cut short" truncate -s $((size - 40)) "$G"
damage "garbage" sh -c "head -c $size /dev/urandom >'$G'"
damage "empty" truncate -s 0 "$G"
# the layout of an older samvydavd (svdsite1), its checksum right
older() {
	python3 - "$G" <<-'EOF'
		import hashlib, sys
		p = sys.argv[1]
		b = b"svdsite1" + open(p, "rb").read()[8:-32]
		open(p, "wb").write(b + hashlib.blake2b(b, digest_size=32).digest())
	EOF
}
damage "older layout" older

############################################ 4. a forged catalog file

# The file's checksum is no seal: whoever can write the file can make it add
# up. An item signed by eve, whose key is then removed from the trust list;
# the file of the start before rewritten to say that ed, trusted, signed it
# (key id and key replaced, the trust print of the list now, the checksum
# recomputed). The daemon checks the item's signatures in the store again,
# gates it, and does not show it.
C=$T/c
new_archive "$C" ed || exit 1
svd key generate --no-passphrase -o "$T/eve.key" -p "$T/eve.pub" >/dev/null
svd -C "$C" trust add "$T/eve.pub" >/dev/null
items "$T/c1" 3 1
items "$T/c2" 1 100
check "add 3 items signed by ed" svd -C "$C" add -q --from "$T/c1" --key "$T/ed.key"
ids_of "$C" >"$T/c.ids.1"
check "add an item signed by eve" svd -C "$C" add -q --from "$T/c2" --key "$T/eve.key"
eve_item=$(ids_of "$C" | comm -13 "$T/c.ids.1" -)
port=$(free_port)
U=http://127.0.0.1:$port
daemon_conf "$T/c.conf" "$C" "$port"
H=$C/cache/site
start_daemon "$T/c.conf" "$T/c.log"
built 1 && written "$H" && ok "eve trusted: the catalog file written" ||
	not_ok "eve trusted: the catalog file written"
same "$(curl -s -o /dev/null -w '%{http_code}' "$U/pages/$eve_item.html")" 200 \
	"eve trusted: her item is shown"
stop_daemon
cp "$H" "$T/site.eve"
check "remove eve's key" svd -C "$C" trust remove "$(svd key show "$T/eve.pub")"
: >"$T/c2.log"
start_daemon "$T/c.conf" "$T/c2.log"
built 1 && written "$H" "$T/site.eve" && ok "eve removed: the catalog file written again" ||
	not_ok "eve removed: the catalog file written again"
same "$(curl -s -o /dev/null -w '%{http_code}' "$U/pages/$eve_item.html")" 404 \
	"eve removed: her item is not shown"
stop_daemon
cat >"$T/forge.py" <<'PY'
import base64, hashlib, sys
old, new, eve_id, eve_pub, ed_id, ed_pub = sys.argv[1:]
def pk(path):
    return base64.b64decode(open(path).read().splitlines()[1])[10:42]
b = bytearray(open(old, "rb").read())
b[9:41] = open(new, "rb").read()[9:41]  # the trust print of the list now
for a, z in ((eve_id.encode(), ed_id.encode()), (pk(eve_pub), pk(ed_pub))):
    assert len(a) == len(z) and b.count(a) == 1, a
    at = b.index(a)
    b[at:at + len(a)] = z
b[-32:] = hashlib.blake2b(bytes(b[:-32]), digest_size=32).digest()
open(new, "wb").write(b)
PY
check "forge the catalog file" python3 "$T/forge.py" "$T/site.eve" "$H" \
	"$(svd key show "$T/eve.pub")" "$T/eve.pub" "$(svd key show "$T/ed.pub")" "$T/ed.pub"
: >"$T/c3.log"
start_daemon "$T/c.conf" "$T/c3.log"
# the first index takes the file as it is (the first page at once), the
# second is made at once with every carried signature checked
built 2
grep -qE "site: index .* 4 items, 0 gated, 4 from the catalog file \(used\).*taken unchecked: checked now" "$log" &&
	ok "forged: the first index after the start took the file unchecked, and said so" ||
	not_ok "forged: the first index after the start took the file unchecked, and said so" "$(grep 'site: ' "$log")"
grep -qE "site: .*1 items' verdicts are not what their folders in the store say" "$log" &&
	grep -qE "site: index .* 4 items, 1 gated, 3 from the catalog file \(used\)" "$log" &&
	ok "forged: the file is read, the forged item gated" ||
	not_ok "forged: the file is read, the forged item gated" "$(grep 'site: ' "$log")"
same "$(curl -s -o /dev/null -w '%{http_code}' "$U/pages/$eve_item.html")" 404 \
	"forged: eve's item is not shown as signed by ed"
n=$(curl -s "$U/api/status" | python3 -c 'import json,sys; print(json.load(sys.stdin)["shown"])')
same "$n" 3 "forged: /api/status shows the 3 items ed signed"
if curl -s "$U/" | grep -q "$eve_item"; then
	not_ok "forged: eve's item is not in the index"
else
	ok "forged: eve's item is not in the index"
fi
stop_daemon

finish
