#!/usr/bin/env bash
# samvydavd behind Debian's nginx, with the configuration docs/operators.md
# gives (daemon/nginx-samvydav.conf, run as it is but for its certificate,
# ports and cache folder): over TLS, pages come through whole, ranges of
# /bundle/latest and of a raw file come back as the bytes they name (and a
# download resumes), ETags and 304 come through, nginx keeps raw files and
# answers from its copy, a client over the rate limit gets 429, and nothing
# but GET and HEAD passes.
. "$(dirname "$0")/lib.sh"

daemon_scenario
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
[ -x "$NGINX" ] || { not_ok "nginx is installed" "no nginx (bash scripts/setup.sh --tests installs nginx-light)"; finish; }
npid=
trap '[ -n "$npid" ] && kill "$npid" 2>/dev/null; [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null; rm -rf "$T"' EXIT

# an archive with an article and a photo (random bytes: nothing compresses it)
A=$T/a
new_archive "$A" ed || exit 1
printf '# With a photo\n\nSee the picture.\n' >"$T/body.md"
head -c 300000 /dev/urandom >"$T/photo.jpg"
id=$(svd -C "$A" add --kind article --title "With a photo" --lang en --body "$T/body.md" \
	--attach "$T/photo.jpg" --created 2026-03-01T00:00:00Z --key "$T/ed.key" | awk '/^Added/ {print $2}')
[ ${#id} = 64 ] || { echo "add printed no id"; exit 1; }
svd -C "$A" add --kind article --title "Plain" --lang en --body "$T/body.md" \
	--created 2026-03-02T00:00:00Z --key "$T/ed.key" -q >/dev/null || exit 1
mkdir -p "$T/outbox"

port=$(free_port)
cat >"$T/d.conf" <<-EOT
	[archive]
		path = $A
	[http]
		listen = 127.0.0.1:$port
	[outbox]
		folder = $T/outbox
		every = 1d
	[log]
		level = info
EOT
start_daemon "$T/d.conf" "$T/d.log" || { not_ok "samvydavd starts" "$(tail -n 5 "$T/d.log")"; finish; }
direct=http://127.0.0.1:$port
# the daemon's first outbox run writes the bundle /bundle/latest offers
wait_log "outbox: wrote" 300 || { not_ok "the daemon writes a bundle" "$(tail -n 5 "$T/d.log")"; finish; }
for _ in $(seq 100); do
	[ "$(curl -s -o /dev/null -w '%{http_code}' "$direct/api/status")" = 200 ] && break
	sleep 0.1
done
bundle=$(ls -t "$T"/outbox/*.tar.zst | head -n 1)

# the documented file, with this test's port, certificate and folders: each
# change must find its line, or the file changed shape and the doc with it
N=$T/nginx
mkdir -p "$N/cache" "$N/tmp"
nport=$(free_port)
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
	-subj /CN=mirror.example.org -addext subjectAltName=DNS:mirror.example.org \
	-keyout "$N/key.pem" -out "$N/cert.pem" 2>"$N/openssl.err" ||
	{ not_ok "openssl makes a certificate" "$(cat "$N/openssl.err")"; finish; }
src=$SVD_SOURCE_DIR/daemon/nginx-samvydav.conf
cp "$src" "$N/samvydav.conf"
subst() {
	local n
	n=$(grep -cF -- "$1" "$N/samvydav.conf")
	if [ "$n" -lt 1 ]; then
		not_ok "the documented configuration holds '$1'"
		return
	fi
	python3 - "$N/samvydav.conf" "$1" "$2" <<-'EOP'
		import sys
		p, a, b = sys.argv[1:]
		s = open(p).read().replace(a, b)
		open(p, "w").write(s)
	EOP
}
subst "server 127.0.0.1:8737;" "server 127.0.0.1:$port;"
subst "listen 443 ssl;" "listen 127.0.0.1:$nport ssl;"
subst "listen [::]:443 ssl;" ""
subst "/var/cache/nginx/samvydav" "$N/cache"
subst "/etc/letsencrypt/live/mirror.example.org/fullchain.pem" "$N/cert.pem"
subst "/etc/letsencrypt/live/mirror.example.org/privkey.pem" "$N/key.pem"
user=
[ "$(id -u)" = 0 ] && user="user root root;"
cat >"$N/nginx.conf" <<-EOT
	daemon off;
	$user
	worker_processes 1;
	pid $N/nginx.pid;
	error_log $N/error.log warn;
	events { worker_connections 256; }
	http {
		client_body_temp_path $N/tmp/body;
		proxy_temp_path $N/tmp/proxy;
		fastcgi_temp_path $N/tmp/fastcgi;
		uwsgi_temp_path $N/tmp/uwsgi;
		scgi_temp_path $N/tmp/scgi;
		include $N/samvydav.conf;
	}
EOT
check "nginx -t accepts the documented configuration" "$NGINX" -e "$N/error.log" -p "$N" -c "$N/nginx.conf" -t
"$NGINX" -e "$N/error.log" -p "$N" -c "$N/nginx.conf" &
npid=$!
for _ in $(seq 100); do
	curl -s -o /dev/null "https://mirror.example.org:$nport/" --resolve "mirror.example.org:$nport:127.0.0.1" \
		--cacert "$N/cert.pem" && break
	sleep 0.1
done
C=(curl -s --resolve "mirror.example.org:$nport:127.0.0.1" --cacert "$N/cert.pem")
U=https://mirror.example.org:$nport

# pages come through whole
for p in / "/pages/$id.html" /reader.css /api/status; do
	curl -s -o "$T/direct" "$direct$p"
	"${C[@]}" -o "$T/via" -w '%{http_code}' "$U$p" >"$T/code"
	same "$(cat "$T/code")" 200 "GET $p through nginx: 200"
	cmp -s "$T/direct" "$T/via" && ok "GET $p through nginx: the daemon's bytes" ||
		not_ok "GET $p through nginx: the daemon's bytes" "$(wc -c <"$T/direct") against $(wc -c <"$T/via")"
done
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://127.0.0.1:$nport/" || true)
[ "$code" = 400 ] && ok "plain HTTP to the TLS port is refused (400)" || not_ok "plain HTTP to the TLS port is refused (400)" "got $code"

# ranges of the bundle (passed to the daemon) and of a raw file (nginx's copy)
size=$(stat -c %s "$bundle")
raw=/items/${id:0:2}/$id/photo.jpg
range_check() { # PATH FILE FIRST LAST
	local got
	got=$("${C[@]}" -o "$T/part" -D "$T/hdr" -w '%{http_code}' -r "$3-$4" "$U$1")
	same "$got" 206 "a range $3-$4 of $1 through nginx: 206"
	tail -c +"$(($3 + 1))" "$2" | head -c "$(($4 - $3 + 1))" >"$T/want"
	cmp -s "$T/part" "$T/want" && ok "a range $3-$4 of $1 through nginx: the bytes it names" ||
		not_ok "a range $3-$4 of $1 through nginx: the bytes it names" "$(wc -c <"$T/part") bytes"
	grep -qi "^content-range: bytes $3-$4/$(stat -c %s "$2")" "$T/hdr" &&
		ok "a range $3-$4 of $1 through nginx: Content-Range" ||
		not_ok "a range $3-$4 of $1 through nginx: Content-Range" "$(grep -i content-range "$T/hdr")"
}
range_check /bundle/latest "$bundle" 100 1099
range_check /bundle/latest "$bundle" $((size - 10)) $((size - 1))
range_check "$raw" "$T/photo.jpg" 0 0
range_check "$raw" "$T/photo.jpg" 150000 299999
got=$("${C[@]}" -o /dev/null -w '%{http_code}' -r "$size-" "$U/bundle/latest")
same "$got" 416 "a range past the bundle's end through nginx: 416"

# a courier's download cut short resumes (curl -C -)
head -c 65536 "$bundle" >"$T/resumed"
got=$("${C[@]}" -C - -o "$T/resumed" -w '%{http_code}' "$U/bundle/latest")
same "$got" 206 "curl -C - resumes a download cut at 64 KiB (206)"
cmp -s "$T/resumed" "$bundle" && ok "a download cut at 64 KiB resumes to the whole bundle" ||
	not_ok "a download cut at 64 KiB resumes to the whole bundle" "$(wc -c <"$T/resumed") of $size bytes"
sha256sum "$bundle" | sed "s#$bundle#$T/resumed#" | sha256sum -c --quiet - &&
	ok "sha256sum agrees on the resumed download" || not_ok "sha256sum agrees on the resumed download"

# ETags and 304 through nginx
etag_of() { grep -i '^etag:' "$1" | head -n 1 | tr -d '\r' | sed 's/^[Ee][Tt][Aa][Gg]: *//'; }
curl -s -o /dev/null -D "$T/dh" "$direct/"
"${C[@]}" -o /dev/null -D "$T/vh" "$U/"
e=$(etag_of "$T/vh")
[ -n "$e" ] && ok "/ through nginx has an ETag ($e)" || not_ok "/ through nginx has an ETag" "$(cat "$T/vh")"
same "$e" "$(etag_of "$T/dh")" "the ETag through nginx is the daemon's"
same "$("${C[@]}" -o /dev/null -w '%{http_code}' -H "If-None-Match: $e" "$U/")" 304 "If-None-Match through nginx: 304"
same "$("${C[@]}" -o /dev/null -w '%{http_code}' -H 'If-None-Match: "other"' "$U/")" 200 "another ETag through nginx: 200"

# nginx keeps raw files and answers from its copy
"${C[@]}" -o "$T/r1" -D "$T/h1" "$U$raw"
"${C[@]}" -o "$T/r2" -D "$T/h2" "$U$raw"
cmp -s "$T/r2" "$T/photo.jpg" && ok "the raw photo through nginx is the file" || not_ok "the raw photo through nginx is the file"
grep -qi '^x-cache-status: HIT' "$T/h2" && ok "nginx answers the raw photo again from its cache" ||
	not_ok "nginx answers the raw photo again from its cache" "$(grep -i x-cache "$T/h1" "$T/h2")"
e=$(etag_of "$T/h2")
[ -n "$e" ] && same "$("${C[@]}" -o /dev/null -w '%{http_code}' -H "If-None-Match: $e" "$U$raw")" 304 \
	"If-None-Match on the kept raw photo: 304" || not_ok "the kept raw photo has an ETag" "$(cat "$T/h2")"

# only GET and HEAD
same "$("${C[@]}" -o /dev/null -w '%{http_code}' -X POST -d x=1 "$U/")" 403 "POST through nginx: 403"
same "$("${C[@]}" -o /dev/null -w '%{http_code}' -I "$U/")" 200 "HEAD through nginx: 200"

# the rate limit: 200 requests at once from one address, over 10 a second and a burst of 40
codes=$(for _ in $(seq 200); do printf 'url = "%s/reader.css"\noutput = /dev/null\n' "$U"; done |
	"${C[@]}" -K - -w '%{http_code}\n' | sort | uniq -c)
grep -q ' 429$' <<<"$codes" && ok "a client over the rate limit gets 429" || not_ok "a client over the rate limit gets 429" "$codes"
grep -q ' 200$' <<<"$codes" && ok "and the burst before it was served" || not_ok "and the burst before it was served" "$codes"

grep -E '\[(emerg|alert|crit)\]' "$N/error.log" && not_ok "nginx logged no error" || ok "nginx logged no error"
kill "$npid" 2>/dev/null; wait "$npid" 2>/dev/null; npid=
stop_daemon; same $? 0 "samvydavd stops cleanly"
finish
