#!/usr/bin/env bash
# samvydavd's HTTP as clients expect it (issue 16, 4), asked with stock curl
# and a raw socket on loopback:
#
# - byte ranges of /bundle/latest (a file) and of a raw photo (in memory),
#   compared with cmp against the bytes on disk; curl -C - resumes a cut
#   download to the whole bundle; a range past the end is 416 with
#   Content-Range: bytes */LEN; several ranges give the whole body;
# - 304 by ETag (If-None-Match) and by date (If-Modified-Since), If-Range;
# - gzip, checked with gunzip, for every reply the site marks compressible;
# - a request with both Content-Length and Transfer-Encoding: 400, and the
#   request smuggled behind it is not answered; logged with its path escaped;
# - Cache-Control: immutable raw files, never-kept errors;
# - [http] sendmemory (the huge file's size + 1M): a slow reader of a
#   huge file (12 MiB, or 3 times tcp_wmem's largest send buffer; a tiny
#   receive window: the kernel cannot take the reply) holds it; the same
#   file is sent to another reader meanwhile (one shared copy), a 1.5 MiB
#   one is 503 with Retry-After until that reader is gone, but its HEAD and
#   its 304 come at once (they read no bytes); 24 downloads of both at once
#   each get the right bytes or a 503.
. "$(dirname "$0")/lib.sh"

daemon_scenario
t0=$(date +%s%N)

A=$T/a
articles "$A" 3 || exit 1
python3 -c 'import os, sys; open(sys.argv[1], "wb").write(os.urandom(300 * 1024))' "$T/photo.jpg"
printf 'With a photo.\n' >"$T/p.md"
P=$(svd -C "$A" add --kind article --title 'Photo' --lang en --body "$T/p.md" --attach "$T/photo.jpg" \
	--created 2026-02-01T00:00:00Z --key "$T/ed.key" | awk '/^Added/ {print $2}')
[ ${#P} -eq 64 ] || { echo "could not add the photo item"; exit 1; }
# a file over the 1 MiB the daemon keeps in memory: sent from the store each time
python3 -c 'import os, sys; open(sys.argv[1], "wb").write(os.urandom(1536 * 1024))' "$T/big.jpg"
G=$(svd -C "$A" add --kind article --title 'Big photo' --lang en --body "$T/p.md" --attach "$T/big.jpg" \
	--created 2026-02-02T00:00:00Z --key "$T/ed.key" | awk '/^Added/ {print $2}')
[ ${#G} -eq 64 ] || { echo "could not add the big photo item"; exit 1; }
# more than the kernel's socket buffers hold: 12 MiB, or 3 times tcp_wmem's
# largest send buffer (4 MiB by default) on a host that raised it
wmax=$(awk '{print $3}' /proc/sys/net/ipv4/tcp_wmem)
huge_mib=$(((3 * wmax >> 20) + 1))
[ "$huge_mib" -ge 12 ] || huge_mib=12
python3 -c 'import os, sys; open(sys.argv[1], "wb").write(os.urandom(int(sys.argv[2]) << 20))' "$T/huge.jpg" "$huge_mib"
H=$(svd -C "$A" add --kind article --title 'Huge photo' --lang en --body "$T/p.md" --attach "$T/huge.jpg" \
	--created 2026-02-03T00:00:00Z --key "$T/ed.key" | awk '/^Added/ {print $2}')
[ ${#H} -eq 64 ] || { echo "could not add the huge photo item"; exit 1; }

mkdir -p "$T/outbox"
port=$(free_port)
printf '[archive]\n\tpath = %s\n[outbox]\n\tfolder = %s\n[http]\n\tlisten = 127.0.0.1:%s\n\theadertimeout = 5\n\tsendmemory = %sM\n[log]\n\tlevel = debug\n' \
	"$A" "$T/outbox" "$port" $((huge_mib + 1)) >"$T/d.conf"
start_daemon "$T/d.conf" "$T/d.log" || not_ok "the daemon starts" "$(tail -n 3 "$T/d.log")"
wait_log "http: serving" 100
wait_log "outbox: wrote" 300 || not_ok "the outbox bundle is written" "$(tail -n 3 "$T/d.log")"
B=$(ls "$T"/outbox/*.tar.zst | head -n 1)
blen=$(stat -c %s "$B")
U=http://127.0.0.1:$port
RAW=$U/items/${P:0:2}/$P/photo.jpg

# c ARGS...: curl quietly, headers to $T/h, body to $T/b; prints the status
c() {
	rm -f "$T/h" "$T/b"
	curl -s --max-time 20 -D "$T/h" -o "$T/b" -w '%{http_code}' "$@"
}

# hdr NAME: a header of the last response ($T/h), without its CR
hdr() {
	grep -i "^$1:" "$T/h" | head -n 1 | cut -d' ' -f2- | tr -d '\r'
}

# part FILE FIRST LAST: those bytes of FILE
part() {
	tail -c +$(($2 + 1)) "$1" | head -c $(($3 - $2 + 1))
}

############################################################## ranges

same "$(c "$U/bundle/latest")" 200 "/bundle/latest: 200"
cmp -s "$T/b" "$B" && ok "/bundle/latest: the outbox's newest bundle" || not_ok "/bundle/latest: the outbox's newest bundle"
same "$(hdr Accept-Ranges)" bytes "/bundle/latest: Accept-Ranges: bytes"

for spec in "0-999" "1000-2999" "$((blen - 10))-$((blen + 100))"; do
	a=${spec%-*}
	b=${spec#*-}
	[ "$b" -ge "$blen" ] && b=$((blen - 1))
	same "$(c -r "$spec" "$U/bundle/latest")" 206 "/bundle/latest bytes=$spec: 206"
	same "$(hdr Content-Range)" "bytes $a-$b/$blen" "/bundle/latest bytes=$spec: Content-Range"
	part "$B" "$a" "$b" >"$T/want"
	cmp -s "$T/b" "$T/want" && ok "/bundle/latest bytes=$spec: the same bytes (cmp)" ||
		not_ok "/bundle/latest bytes=$spec: the same bytes (cmp)"
done
same "$(c -r -100 "$U/bundle/latest")" 206 "/bundle/latest bytes=-100: 206"
tail -c 100 "$B" >"$T/want"
cmp -s "$T/b" "$T/want" && ok "/bundle/latest bytes=-100: its last 100 bytes" || not_ok "/bundle/latest bytes=-100: its last 100 bytes"

# a courier's download cut short, resumed
head -c $((blen / 3)) "$B" >"$T/dl"
code=$(curl -s --max-time 20 -C - -o "$T/dl" -w '%{http_code}' "$U/bundle/latest")
same "$code" 206 "curl -C - resumes /bundle/latest with a 206"
cmp -s "$T/dl" "$B" && ok "the resumed download is the whole bundle (cmp)" || not_ok "the resumed download is the whole bundle (cmp)"
same "$(sha256sum <"$T/dl")" "$(sha256sum <"$B")" "the resumed download's SHA-256 is the bundle's"

# Raw files: the first request reads the store, later ones the copy the
# index keeps (files up to 1 MiB) or the store again (bigger ones); the
# bytes and the tag (the blob's git id) are the same each time.
for f in photo big; do
	url=$U/items/${P:0:2}/$P/photo.jpg
	[ $f = big ] && url=$U/items/${G:0:2}/$G/big.jpg
	want="\"$(git hash-object "$T/$f.jpg")\""
	for n in 1 2 3; do
		same "$(c "$url")" 200 "$f.jpg, request $n: 200"
		cmp -s "$T/b" "$T/$f.jpg" && ok "$f.jpg, request $n: its bytes" || not_ok "$f.jpg, request $n: its bytes"
		same "$(hdr ETag)" "$want" "$f.jpg, request $n: the tag is the blob's git id"
		same "$(c -r 5-9 "$url")" 206 "$f.jpg, range $n: 206"
		cmp -s "$T/b" <(part "$T/$f.jpg" 5 9) && ok "$f.jpg, range $n: its bytes" || not_ok "$f.jpg, range $n: its bytes"
	done
	same "$(c -H "If-None-Match: $want" "$url")" 304 "$f.jpg with its tag: 304"
done

# the raw photo (a body in memory)
same "$(c "$RAW")" 200 "the raw photo: 200"
cmp -s "$T/b" "$T/photo.jpg" && ok "the raw photo: its bytes" || not_ok "the raw photo: its bytes"
same "$(hdr Cache-Control)" "public, max-age=31536000, immutable" "the raw photo: Cache-Control immutable"
same "$(c -r 100000-199999 "$RAW")" 206 "the raw photo bytes=100000-199999: 206"
same "$(hdr Content-Range)" "bytes 100000-199999/307200" "the raw photo: Content-Range"
part "$T/photo.jpg" 100000 199999 >"$T/want"
cmp -s "$T/b" "$T/want" && ok "the raw photo's range: the same bytes (cmp)" || not_ok "the raw photo's range: the same bytes (cmp)"
head -c 1000 "$T/photo.jpg" >"$T/dl"
curl -s --max-time 20 -C - -o "$T/dl" "$RAW"
cmp -s "$T/dl" "$T/photo.jpg" && ok "curl -C - resumes the raw photo" || not_ok "curl -C - resumes the raw photo"

# past the end, several ranges, a malformed one
same "$(c -r "$blen-" "$U/bundle/latest")" 416 "/bundle/latest from its length: 416"
same "$(hdr Content-Range)" "bytes */$blen" "416: Content-Range: bytes */LEN"
same "$(c -r 999999999- "$RAW")" 416 "the raw photo far past its end: 416"
same "$(hdr Content-Range)" "bytes */307200" "416 of the raw photo: Content-Range: bytes */307200"
same "$(c -r 0-1,10-11 "$RAW")" 200 "several ranges: 200, the whole body"
cmp -s "$T/b" "$T/photo.jpg" && ok "several ranges: all of it" || not_ok "several ranges: all of it"
same "$(c -H 'Range: bytes=9-1' "$RAW")" 200 "a malformed range is ignored: 200"

############################################################ validators

c "$U/" >/dev/null
etag=$(hdr ETag)
[ -n "$etag" ] && ok "/ has an ETag ($etag)" || not_ok "/ has an ETag"
same "$(c -H "If-None-Match: $etag" "$U/")" 304 "/ If-None-Match its tag: 304"
[ ! -s "$T/b" ] && ok "304: no body" || not_ok "304: no body"
same "$(hdr ETag)" "$etag" "304: the ETag again"
same "$(c -H 'If-None-Match: "another"' "$U/")" 200 "/ If-None-Match another tag: 200"
same "$(c -H "If-None-Match: W/$etag" "$U/")" 304 "/ If-None-Match its tag, weak: 304"

c "$RAW" >/dev/null
rtag=$(hdr ETag)
same "$(c -H "If-None-Match: $rtag" "$RAW")" 304 "the raw photo If-None-Match its tag: 304"
same "$(c -r 0-9 -H "If-Range: $rtag" "$RAW")" 206 "If-Range with its tag: the range"
same "$(c -r 0-9 -H 'If-Range: "stale"' "$RAW")" 200 "If-Range with another tag: the whole photo"

c "$U/bundle/latest" >/dev/null
lm=$(hdr Last-Modified)
btag=$(hdr ETag)
[ -n "$lm" ] && [ -n "$btag" ] && ok "/bundle/latest has Last-Modified ($lm) and an ETag ($btag)" ||
	not_ok "/bundle/latest has Last-Modified and an ETag" "$(cat "$T/h")"
same "$(c -H "If-Modified-Since: $lm" "$U/bundle/latest")" 304 "/bundle/latest If-Modified-Since its date: 304"
earlier=$(LC_ALL=C date -u -d "@$(($(date -u -d "$lm" +%s) - 1))" '+%a, %d %b %Y %H:%M:%S GMT')
same "$(c -H "If-Modified-Since: $earlier" "$U/bundle/latest")" 200 "/bundle/latest If-Modified-Since a second before: 200"
same "$(c -H "If-None-Match: $btag" "$U/bundle/latest")" 304 "/bundle/latest If-None-Match its tag: 304"
same "$(c -H 'If-None-Match: "x"' -H "If-Modified-Since: $lm" "$U/bundle/latest")" 200 \
	"If-None-Match decides before If-Modified-Since: 200"
same "$(c -r 0-9 -H "If-Range: $lm" "$U/bundle/latest")" 206 "If-Range with its date: the range"

################################################################## gzip

# every reply the site marks compressible (Vary: Accept-Encoding) comes
# gzip'd to a client that takes it, and gunzips to the identity bytes
marked=0 small=0
for path in / /api/items /api/status /reader.js /reader.css /search/fold.js /search/dict.js \
	/search/d00000.js /search/facets.js /rows/00000.js "/pages/$P.html"; do
	c "$U$path" >/dev/null
	cp "$T/b" "$T/identity"
	[ "$(hdr Vary)" = Accept-Encoding ] || continue
	marked=$((marked + 1))
	itag=$(hdr ETag)
	same "$(c -H 'Accept-Encoding: gzip' "$U$path")" 200 "$path, gzip taken: 200"
	# a body under 1 KiB made on request is sent as it is (gzip would not pay)
	if [ "$(hdr Content-Encoding)" != gzip ] && [ "$(wc -c <"$T/identity")" -lt 1024 ]; then
		cmp -s "$T/b" "$T/identity" && ok "$path: under 1 KiB, sent as it is" ||
			not_ok "$path: under 1 KiB, sent as it is"
		small=$((small + 1))
		continue
	fi
	same "$(hdr Content-Encoding)" gzip "$path: Content-Encoding: gzip"
	same "$(hdr ETag)" "${itag%\"}-gz\"" "$path: the gzip variant's ETag is the identity's with -gz"
	gunzip -c <"$T/b" >"$T/gunzipped" 2>/dev/null && cmp -s "$T/gunzipped" "$T/identity" &&
		ok "$path: gunzip gives the identity bytes" || not_ok "$path: gunzip gives the identity bytes"
	same "$(c -H 'Accept-Encoding: gzip' -H "If-None-Match: ${itag%\"}-gz\"" "$U$path")" 304 \
		"$path: If-None-Match the gzip tag, gzip taken: 304"
	same "$(c -H 'Accept-Encoding: gzip' -r 0-9 "$U$path")" 206 "$path: a range of the identity, even with gzip taken"
	[ -z "$(hdr Content-Encoding)" ] && ok "$path: the range is not gzip'd" || not_ok "$path: the range is not gzip'd"
done
printf '# %d of 11 paths are marked compressible by the site, %d of them under 1 KiB\n' "$marked" "$small"
[ $((marked - small)) -ge 6 ] && ok "pages, assets, the search data and the list come gzip'd" ||
	not_ok "pages, assets, the search data and the list come gzip'd" "$((marked - small)) of 8 paths"
c -H 'Accept-Encoding: gzip' "$RAW" >/dev/null
[ -z "$(hdr Content-Encoding)" ] && cmp -s "$T/b" "$T/photo.jpg" && ok "the raw photo is never gzip'd" ||
	not_ok "the raw photo is never gzip'd"

############################################## Content-Length + Transfer-Encoding

out=$(python3 - "$port" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
s.sendall(b"GET /x\x1b[31m HTTP/1.1\r\nHost: m\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n"
          b"0\r\n\r\nGET /api/status HTTP/1.1\r\nHost: m\r\n\r\n")
data = b""
while True:
    chunk = s.recv(65536)
    if not chunk:
        break
    data += chunk
print(data.split(b"\r\n", 1)[0].decode(), data.count(b"HTTP/1.1 "))
PY
)
same "$out" "HTTP/1.1 400 Bad Request 1" "Content-Length with Transfer-Encoding: 400, the connection closed, the request behind it unanswered"
wait_log "http: 127.0.0.1: /x\\\\x1b\[31m: refused \(400\): both Content-Length and Transfer-Encoding" 50 &&
	ok "the refusal is logged, its path escaped" || not_ok "the refusal is logged, its path escaped" "$(grep 'refused (400)' "$T/d.log")"
grep -q $'\x1b' "$T/d.log" && not_ok "no escape character reaches the log" || ok "no escape character reaches the log"


####################################################### made replies kept

# an item page and a page of the list are made once per index and kept (at
# most 4,096 of them): the same bytes and tag again, and past the bound
# every query is still answered, made on the spot
c "$U/pages/$P.html" >/dev/null
cp "$T/b" "$T/page1"
t1=$(hdr ETag)
c "$U/pages/$P.html" >/dev/null
cmp -s "$T/b" "$T/page1" && same "$(hdr ETag)" "$t1" "an item page asked again: the same bytes and tag" ||
	not_ok "an item page asked again: the same bytes and tag"
out=$(python3 - "$port" <<'PY'
import http.client, json, sys
c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]), timeout=10)
ok = bad = 0
for i in range(4500):
    c.request("GET", "/api/items?limit=%d&q=w%d" % (i % 1000 + 1, i))
    r = c.getresponse()
    body = r.read()
    if r.status == 200 and json.loads(body) == {"items": [], "next": None}:
        ok += 1
    else:
        bad += 1
print(ok, bad)
PY
)
same "$out" "4500 0" "4,500 different queries of /api/items (past the 4,096 kept): every one answered"
c "$U/pages/$P.html" >/dev/null
cmp -s "$T/b" "$T/page1" && ok "the kept page is still served after them" || not_ok "the kept page is still served after them"

############################################################ sendmemory

BIG=$U/items/${G:0:2}/$G/big.jpg
HUGE=$U/items/${H:0:2}/$H/huge.jpg
# a reader that reads the headers and a little, then nothing, with a tiny window
python3 - "$port" "/items/${H:0:2}/$H/huge.jpg" "$T/slow" <<'PYSLOW' &
import os, socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.connect(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"GET " + sys.argv[2].encode() + b" HTTP/1.1\r\nHost: x\r\n\r\n")
got = s.recv(4096)
open(sys.argv[3], "wb").write(got[:12])
while not os.path.exists(sys.argv[3] + ".done"):
    time.sleep(0.05)
s.close()
PYSLOW
slow=$!
for _ in $(seq 100); do [ -s "$T/slow" ] && break; sleep 0.1; done
same "$(cat "$T/slow" 2>/dev/null)" "HTTP/1.1 200" "a slow reader of the huge file ($huge_mib MiB) is answered 200"
same "$(c "$BIG")" 503 "with it in flight, the 1.5 MiB file (past sendmemory): 503"
same "$(hdr Retry-After)" 2 "the 503: Retry-After: 2"
grep -q "try again" "$T/b" && ok "the 503 says to try again" || not_ok "the 503 says to try again" "$(cat "$T/b")"
grep -q "1 request for large files answered 503 (busy).*sendmemory" "$T/d.log" &&
	ok "the log tells the operator of the 503 and names sendmemory" ||
	not_ok "the log tells the operator of the 503 and names sendmemory" "$(tail -n 3 "$T/d.log")"
same "$(c "$RAW")" 200 "a raw file kept with the pages is served meanwhile"
same "$(c "$HUGE")" 200 "the huge file to another reader meanwhile (the copy in flight): 200"
cmp -s "$T/b" "$T/huge.jpg" && ok "... with its bytes" || not_ok "... with its bytes"
same "$(c -I "$BIG")" 200 "HEAD of the 1.5 MiB file meanwhile: 200 (no bytes read)"
same "$(hdr Content-Length)" 1572864 "... with its Content-Length"
same "$(hdr ETag)" "\"$(git hash-object "$T/big.jpg")\"" "... and its tag"
same "$(c -H "If-None-Match: \"$(git hash-object "$T/big.jpg")\"" "$BIG")" 304 "its tag: 304 meanwhile"
: >"$T/slow.done"
wait "$slow"
for n in $(seq 100); do [ "$(c "$BIG")" = 200 ] && break; sleep 0.1; done
same "$(c "$BIG")" 200 "once the slow reader is gone, the 1.5 MiB file: 200 (after $n tries)"
cmp -s "$T/b" "$T/big.jpg" && ok "... with its bytes" || not_ok "... with its bytes"
# 24 downloads of both at once: each the right bytes, or a 503
for n in $(seq 24); do
	f=big
	[ $((n % 2)) = 0 ] && f=huge
	url=$BIG
	[ $f = huge ] && url=$HUGE
	printf '%s %s %s\n' "$n" "$f" "$url"
done | xargs -P 24 -L 1 sh -c 'curl -s --max-time 30 -o "$0/par.$1" -w "%{http_code}" "$3" >"$0/par.$1.code"; echo "$2" >"$0/par.$1.f"' "$T"
bad=0 n200=0 n503=0
for n in $(seq 24); do
	code=$(cat "$T/par.$n.code") f=$(cat "$T/par.$n.f")
	case $code in
	200) cmp -s "$T/par.$n" "$T/$f.jpg" && n200=$((n200 + 1)) || bad=$((bad + 1)) ;;
	503) grep -q "try again" "$T/par.$n" && n503=$((n503 + 1)) || bad=$((bad + 1)) ;;
	*) bad=$((bad + 1)) ;;
	esac
done
same "$bad" 0 "24 downloads at once: each the file's bytes or a 503 ($n200 of 200, $n503 of 503)"
same "$(c "$HUGE")" 200 "the huge file afterwards: 200"
cmp -s "$T/b" "$T/huge.jpg" && ok "... with its bytes" || not_ok "... with its bytes"

######################################################### Cache-Control

same "$(c "$U/pages/0000000000000000000000000000000000000000000000000000000000000000.html")" 404 "an unknown page: 404"
same "$(hdr Cache-Control)" no-store "a 404: Cache-Control no-store"
same "$(c -X POST -d x "$U/")" 405 "POST: 405"
same "$(hdr Cache-Control)" no-store "a 405: Cache-Control no-store"
for path in / /api/status /bundle/latest; do
	c "$U$path" >/dev/null
	case $(hdr Cache-Control) in
	no-cache | no-store) ok "$path: Cache-Control $(hdr Cache-Control)" ;;
	*) not_ok "$path: Cache-Control no-cache (or no-store)" "$(hdr Cache-Control)" ;;
	esac
done

stop_daemon
same "$?" 0 "the daemon stops on SIGTERM"
printf '# the whole test took %d s\n' $((($(date +%s%N) - t0) / 1000000000))
finish
