#!/usr/bin/env bash
# Memory of the mirror daemon under slow readers of big raw files, beside
# nginx serving the same files.
#
#     bench_sendmemory.sh [--items FILES] [--keep DIR] [SCRATCH]
#
# An archive of FILES items (default 16), each with a photo of 24 MiB of
# random bytes. Ten readers per file connect, ask for it, read the first
# bytes of the reply and then nothing (a 4 KiB receive window: the kernel
# takes a few MiB of each reply, the server holds the rest). Measured: the
# resident memory of samvydavd before and while they hold on, with
# [http] sendmemory = 128M (fewer files fit: the rest answered 503) and 1G
# (every file fits: one copy a file however many readers), and of nginx
# (its master and workers) serving the same files from disk. A server that
# read a file into memory per reply would hold readers x size.
# Needs nginx (installed with apt-get when missing and run as root).
# Not a test.
set -euo pipefail

usage_lines=5,5
items_set=
for a in "$@"; do [ "$a" = --items ] && items_set=1; done
[ -n "$items_set" ] || set -- --items 16 "$@"
. "$(dirname "$0")/lib.sh"
. "$here/lib_daemon.sh"
MIB=24
PER=10

need_tools nginx

# rss_of PID...: the resident memory of these processes together, KiB
rss_of() {
	local p s=0 v
	for p in "$@"; do
		v=$(awk '/^VmRSS/ {print $2}' "/proc/$p/status" 2>/dev/null || echo 0)
		s=$((s + ${v:-0}))
	done
	echo "$s"
}

echo "== an archive of $items items with a $MIB MiB photo each"
A=$W/a
"$SVD_BIN" init "$A" >/dev/null
"$SVD_BIN" key generate --no-passphrase -o "$W/ed.key" -p "$W/ed.pub" >/dev/null
"$SVD_BIN" -C "$A" trust add "$W/ed.pub" >/dev/null
printf 'A photo.\n' >"$W/body.md"
mkdir -p "$W/root"
: >"$W/paths"
for i in $(seq "$items"); do
	head -c $((MIB << 20)) /dev/urandom >"$W/p.jpg"
	id=$("$SVD_BIN" -C "$A" add --kind article --title "photo $i" --lang en --body "$W/body.md" \
		--attach "$W/p.jpg" --created 2026-02-01T00:00:00Z --key "$W/ed.key" |
		awk '/^Added/ {print $2}')
	mkdir -p "$W/root/items/${id:0:2}/$id"
	mv "$W/p.jpg" "$W/root/items/${id:0:2}/$id/p.jpg"
	echo "/items/${id:0:2}/$id/p.jpg" >>"$W/paths"
done

# hold PORT: PER readers a file that read a little and stop; prints their
# status codes; holds until $W/release exists
hold() {
	rm -f "$W/held" "$W/release"
	python3 - "$1" "$W/paths" "$PER" "$W/held" "$W/release" <<'PY' &
import os, socket, sys, time
port, paths, per, held, release = int(sys.argv[1]), open(sys.argv[2]).read().split(), int(sys.argv[3]), sys.argv[4], sys.argv[5]
socks, codes = [], {}
for _ in range(per):
    for p in paths:
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.connect(("127.0.0.1", port))
        s.sendall(("GET %s HTTP/1.1\r\nHost: x\r\n\r\n" % p).encode())
        head = s.recv(200)
        code = head[9:12].decode(errors="replace")
        codes[code] = codes.get(code, 0) + 1
        socks.append(s)
open(held, "w").write(" ".join("%s: %d" % kv for kv in sorted(codes.items())))
while not os.path.exists(release):
    time.sleep(0.1)
PY
	holder=$!
	for _ in $(seq 1200); do [ -s "$W/held" ] && break; sleep 0.1; done
	sleep 1 # what the servers hold settles
}
release() {
	: >"$W/release"
	wait "$holder"
}

readers=$((items * PER))
printf '\n%-28s %12s %12s  %s\n' "$readers slow readers" "before" "held" "replies"
for sm in 128M 1G; do
	port=$(free_port)
	printf '[archive]\n\tpath = %s\n[http]\n\tlisten = 127.0.0.1:%s\n\tsendmemory = %s\n[log]\n\tlevel = warn\n' \
		"$A" "$port" "$sm" >"$W/d.conf"
	"$SVDD_BIN" -c "$W/d.conf" 2>>"$W/d.log" &
	dpid=$!
	pids+=("$dpid")
	wait_http "http://127.0.0.1:$port/"
	r0=$(rss_of "$dpid")
	hold "$port"
	r1=$(rss_of "$dpid")
	printf '%-28s %9d MiB %9d MiB  %s\n' "samvydavd sendmemory=$sm" $((r0 >> 10)) $((r1 >> 10)) "$(cat "$W/held")"
	release
	kill "$dpid"
	wait "$dpid" 2>/dev/null || true
done

N=$W/nginx
mkdir -p "$N/tmp"
port=$(free_port)
cat >"$N/nginx.conf" <<EOF
daemon off;
worker_processes 2;
$([ "$(id -u)" -eq 0 ] && echo 'user root;')
pid $N/nginx.pid;
error_log $N/error.log warn;
events { worker_connections 1024; }
http {
	access_log off;
	default_type application/octet-stream;
	client_body_temp_path $N/tmp/body;
	proxy_temp_path $N/tmp/proxy;
	fastcgi_temp_path $N/tmp/fastcgi;
	uwsgi_temp_path $N/tmp/uwsgi;
	scgi_temp_path $N/tmp/scgi;
	server {
		listen 127.0.0.1:$port;
		root $W/root;
	}
}
EOF
"$NGINX" -p "$N/" -c "$N/nginx.conf" -e "$N/error.log" >"$N/stdout" 2>&1 &
npid=$!
pids+=("$npid")
wait_http "http://127.0.0.1:$port$(head -n 1 "$W/paths")"
r0=$(rss_of "$npid" $(pgrep -P "$npid" || true))
hold "$port"
r1=$(rss_of "$npid" $(pgrep -P "$npid" || true))
printf '%-28s %9d MiB %9d MiB  %s\n' "nginx (files from disk)" $((r0 >> 10)) $((r1 >> 10)) "$(cat "$W/held")"
release
printf '\n(a copy per reply would hold %d x %d MiB = %d MiB)\n' "$readers" "$MIB" $((readers * MIB))
