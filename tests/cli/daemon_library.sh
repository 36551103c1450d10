#!/usr/bin/env bash
# samvydavd serves the paged library that `samvydav unpack` writes (issue
# 17, "a million items"; SPEC.md 11.1, 11.5.2, 7.2.3).
#
# An archive of 333 items (four pages of the list, three rows files, a few
# undated). The daemon's index.html, list/NNNNN.html, rows/NNNNN.js,
# search/ files, assets and item pages are byte for byte the files unpack
# writes of the same archive; the numbered files past the last answer 404,
# the one-page index's shards too. Its files are in ARCHIVE/cache/library,
# one folder named by the pointer file; a restart serves that folder at
# once (before the index is built); items added while the daemon runs give
# a new folder, and the old one goes. A pointer of another commit is not
# served, nor a folder removed behind the daemon's back. Where no folder
# can be made, the index, list pages and rows are made for each request
# (the same bytes) and search/ answers 404 but fold.js.
. "$(dirname "$0")/lib.sh"

daemon_scenario

# items DIR N FIRST: N small item folders, numbered from FIRST; one in ten undated
items() {
	python3 - "$1" "$2" "$3" <<-'EOF'
		import os, sys
		out, n, first = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
		words = "river bridge harbour field letter market winter school mother witness".split()
		for i in range(first, first + n):
		    d = os.path.join(out, "i%05d" % i)
		    os.makedirs(d)
		    pub = '' if i % 10 == 3 else ',"published":"2025-%02d-%02d"' % (i % 12 + 1, i % 28 + 1)
		    open(d + "/meta.json", "w").write(
		        '{"title":"Item %d","lang":"%s","created":"2026-%02d-%02dT%02d:%02d:00Z"%s}'
		        % (i, "uk" if i % 3 else "en", i % 12 + 1, i % 28 + 1, i // 60 % 24, i % 60, pub))
		    open(d + "/body.md", "w").write("Item %d: %s %s %s.\n" % (
		        i, words[i % 10], words[i // 10 % 10], words[i // 100 % 10]))
	EOF
}

# built N: until the log holds N index lines (60 s)
built() {
	for _ in $(seq 600); do
		[ "$(grep -c "site: index " "$log")" -ge "$1" ] && return 0
		sleep 0.1
	done
	return 1
}

code() { curl -s -o "${2:-/dev/null}" -w '%{http_code}' "$U$1"; }
folders() { find "$A/cache/library" -mindepth 1 -maxdepth 1 -name 'lib-*' | wc -l; }

A=$T/a
new_archive "$A" ed || exit 1
items "$T/c" 333 1
check "add 333 items" svd -C "$A" add -q --from "$T/c" --key "$T/ed.key"
port=$(free_port)
U=http://127.0.0.1:$port
daemon_conf "$T/a.conf" "$A" "$port"
start_daemon "$T/a.conf" "$T/a.log"
built 1 && ok "the index is built" || not_ok "the index is built" "$(tail -n 5 "$log")"
# the recheck is not due (every item was gated): one index is enough
same "$(folders)" 1 "one library folder in cache/library"
grep -q "library [0-9]* ms (written)" "$log" && ok "the log says the library was written" ||
	not_ok "the log says the library was written" "$(grep 'site: ' "$log")"

######################################################## the same bytes as unpack

L=$T/lib
check "unpack the archive" svd -C "$A" unpack "$A" -o "$L"
n=0 bad=
while IFS= read -r f; do
	rel=${f#"$L"/}
	case $rel in items/*) continue ;; esac
	n=$((n + 1))
	if [ "$(code "/$rel" "$T/got")" != 200 ] || ! cmp -s "$T/got" "$f"; then
		bad="$bad $rel"
	fi
done < <(find "$L" -type f | sort)
[ -z "$bad" ] && ok "every file of unpack's library but items/ is the daemon's, byte for byte ($n files)" ||
	not_ok "every file of unpack's library but items/ is the daemon's, byte for byte" "differ:$bad"
[ -f "$L/list/00004.html" ] && [ ! -f "$L/list/00005.html" ] && [ -f "$L/rows/00002.js" ] &&
	ok "four list pages, three rows files" || not_ok "four list pages, three rows files" "$(ls "$L/list" "$L/rows")"
same "$(grep -c '<tr data-n=' "$L/index.html")" 100 "index.html holds 100 rows"
same "$(code /list/00005.html)" 404 "list/00005.html, past the last page: 404"
same "$(code /list/00001.html)" 404 "list/00001.html: 404 (page 1 is index.html)"
same "$(code /rows/00003.js)" 404 "rows/00003.js, past the last row: 404"
same "$(code /search/d99999.js)" 404 "a block of the dictionary that is not there: 404"
same "$(code /search/s00.js)" 404 "the one-page index's shards: 404"
same "$(curl -s --path-as-is -o /dev/null -w "%{http_code}" "$U/list/../index.html")" 400 "list/../index.html: 400"

######################################################## a restart

stop_daemon
: >"$T/a2.log"
start_daemon "$T/a.conf" "$T/a2.log"
# the first thing the builder does: the folder of this commit, served before the index is built
wait_log "site: the library of main at [0-9a-f]{12} served from lib-" 100 &&
	ok "a restart serves the library folder before its index is built" ||
	not_ok "a restart serves the library folder before its index is built" "$(grep 'site: ' "$log")"
same "$(code /)" 200 "/ answers at once"
built 2
grep -qE "library [0-9]+ ms \(kept\)" "$log" && ok "the index keeps the folder (the same catalog)" ||
	not_ok "the index keeps the folder (the same catalog)" "$(grep 'site: ' "$log")"
same "$(folders)" 1 "still one library folder"
code /list/00004.html "$T/got" >/dev/null
cmp -s "$T/got" "$L/list/00004.html" && ok "list/00004.html as before" || not_ok "list/00004.html as before"

######################################################## main moves

old=$(cat "$A/cache/library/current")
items "$T/more" 7 1000
check "add 7 items while the daemon runs" svd -C "$A" add -q --from "$T/more" --key "$T/ed.key"
for _ in $(seq 600); do
	[ "$(cat "$A/cache/library/current")" != "$old" ] && [ "$(folders)" = 1 ] && break
	sleep 0.1
done
[ "$(cat "$A/cache/library/current")" != "$old" ] && ok "the pointer names a new folder" ||
	not_ok "the pointer names a new folder"
same "$(folders)" 1 "the old folder is gone"
grep -q '"harbour"' < <(for f in "$A"/cache/library/lib-*/search/d*.js; do cat "$f"; done) &&
	ok "the new folder has the dictionary" || not_ok "the new folder has the dictionary"
c=$(curl -s "$U/" | grep -o '[0-9]* items\.' | head -n 1)
same "$c" "340 items." "/ counts 340 items"
stop_daemon

######################################################## what is not served

# a pointer of another commit: the start waits for its index
sed -i 's/^svdlib1 [0-9a-f]*/svdlib1 0000000000000000000000000000000000000000/' "$A/cache/library/current"
: >"$T/a3.log"
start_daemon "$T/a.conf" "$T/a3.log"
built 1
grep -q "served from lib-" "$log" && not_ok "a pointer of another commit is not served" ||
	ok "a pointer of another commit is not served"
grep -q "library [0-9]* ms (written)" "$log" && ok "the index writes a new folder" ||
	not_ok "the index writes a new folder" "$(grep 'site: ' "$log")"
same "$(code /list/00004.html)" 200 "list/00004.html is served"
stop_daemon
# a folder removed behind its back: not served, written again
rm -rf "$A"/cache/library/lib-*
: >"$T/a4.log"
start_daemon "$T/a.conf" "$T/a4.log"
built 1
grep -q "served from lib-" "$log" && not_ok "a removed folder is not served" ||
	ok "a removed folder is not served"
same "$(code /rows/00002.js)" 200 "rows/00002.js is served from the folder written again"
same "$(folders)" 1 "one library folder"
stop_daemon

# no folder can be made (cache/library is a plain file): the index, list
# pages and rows made from the catalog for each request, the same bytes;
# no search data but fold.js
rm -rf "$A/cache/library"
printf 'not a folder\n' >"$A/cache/library"
: >"$T/a5.log"
start_daemon "$T/a.conf" "$T/a5.log"
built 1
grep -q "cannot write the library's files" "$log" && ok "no library folder: logged" ||
	not_ok "no library folder: logged" "$(grep 'site: ' "$log")"
check "unpack the archive again" svd -C "$A" unpack "$A" -o "$T/lib2"
bad=
for rel in index.html list/00002.html list/00004.html rows/00000.js rows/00002.js; do
	[ "$(code "/$rel" "$T/got")" = 200 ] && cmp -s "$T/got" "$T/lib2/$rel" || bad="$bad $rel"
done
same "$bad" "" "no library folder: index.html, list/ and rows/ made per request, unpack's bytes"
same "$(code /list/00005.html)" 404 "no library folder: list/00005.html, past the last page: 404"
same "$(code /rows/00003.js)" 404 "no library folder: rows/00003.js, past the last row: 404"
same "$(code /search/dict.js)" 404 "no library folder: no search/dict.js (404)"
same "$(code /search/fold.js)" 200 "no library folder: search/fold.js is served"
stop_daemon

finish
