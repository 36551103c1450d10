#!/usr/bin/env bash
# Benchmark of the mirror daemon: HTTP throughput and peer sync, each figure
# beside what a stock tool does with the same data.
#
#     bench_daemon.sh [--items N] [--keep DIR] [SCRATCH]
#
# On a generated corpus (default 2,000 items, tests/bench/gen_corpus.py)
# added to an archive, it measures
#   - HTTP: samvydavd serving the archive (no peers, no outbox), wrk -t2 -c32
#     -d10s on an item page (/items/<id>) and on a raw file
#     (/items/<id>/body.md), against nginx serving the store's tree exported
#     with git archive (the same body.md, and the daemon's page saved as a
#     static file of the same size);
#     and against the same nginx with keepalive_timeout 0 (one request per
#     connection: what a reader's phone opening one page mostly costs);
#   - sync: a copy B of the archive, in sync, takes 1,000 new items (one
#     commit in A) with samvydav sync, against git fetch of the same commit
#     into a bare clone of A made before it.
# Needs wrk and nginx (installed with apt-get when missing and run as root).
# Not a test.
set -euo pipefail

usage_lines=4,5
items_set=
for a in "$@"; do [ "$a" = --items ] && items_set=1; done
[ -n "$items_set" ] || set -- --items 2000 "$@"
. "$(dirname "$0")/lib.sh"

SVDD_BIN=${SVDD_BIN:-$here/../../build/daemon/samvydavd}
[ -x "$SVDD_BIN" ] || {
	echo "bench: no samvydavd at $SVDD_BIN (bash scripts/build.sh build, or set SVDD_BIN)" >&2
	exit 1
}
cp "$SVDD_BIN" "$W/samvydavd"
SVDD_BIN=$W/samvydavd
NEW_ITEMS=1000
WRK_ARGS=(-t2 -d10s --latency)
# 32 connections as asked; 16 as well, the daemon's limit per client address
# (DEFAULT_PER_IP in http.c, not set by samvydavd.conf); beyond it the
# daemon refuses a new connection.
WRK_CONNS="32 16"

# wrk and nginx: install them when missing (as root only)
need=()
command -v wrk >/dev/null || need+=(wrk)
NGINX=$(command -v nginx || true)
[ -n "$NGINX" ] || [ ! -x /usr/sbin/nginx ] || NGINX=/usr/sbin/nginx
[ -n "$NGINX" ] || need+=(nginx-light)
if [ ${#need[@]} -gt 0 ]; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "bench: ${need[*]} needed (apt-get install -y ${need[*]})" >&2
		exit 1
	fi
	echo "== apt-get install -y ${need[*]}"
	DEBIAN_FRONTEND=noninteractive apt-get install -y "${need[@]}" >"$W/apt.out" 2>&1 ||
		DEBIAN_FRONTEND=noninteractive apt-get install -y wrk nginx >>"$W/apt.out" 2>&1 || {
		tail -n 20 "$W/apt.out" >&2
		exit 1
	}
	NGINX=$(command -v nginx || echo /usr/sbin/nginx)
fi
command -v curl >/dev/null || {
	echo "bench: curl is needed (apt-get install curl)" >&2
	exit 1
}

# Stop whatever this script started, whatever happens. lib.sh's trap removes
# the scratch folder; keep it, after ours.
pids=()
stop_all() {
	local p
	for p in "${pids[@]}"; do
		kill "$p" 2>/dev/null || true
	done
	for p in "${pids[@]}"; do
		wait "$p" 2>/dev/null || true
	done
	pids=()
}
if [ -n "$keep" ]; then
	trap stop_all EXIT
else
	trap 'stop_all; rm -rf "$W"' EXIT
fi

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
# wait_http URL: until it answers 200, at most 10 s
wait_http() {
	local i
	for i in $(seq 1 100); do
		[ "$(curl -s -o /dev/null -w '%{http_code}' "$1" || true)" = 200 ] && return 0
		sleep 0.1
	done
	echo "bench: $1 does not answer" >&2
	exit 1
}

corpus

echo "== archive with the corpus"
A=$W/archive
"$SVD_BIN" init "$A" >/dev/null
"$SVD_BIN" key generate --no-passphrase -o "$W/editor.key" -p "$W/editor.pub" >/dev/null
"$SVD_BIN" -C "$A" trust add "$W/editor.pub" >/dev/null
"$SVD_BIN" -C "$A" add -q --from "$W/corpus" --key "$W/editor.key" </dev/null

# an item with a body of median-ish size: the first body.md in the store
# between 8 and 20 KB
id_path=$(git --git-dir="$A/store.git" ls-tree -r -l main |
	awk '!done && $5 ~ /\/body\.md$/ && $4 >= 8000 && $4 <= 20000 { print $5; done = 1 }')
[ -n "$id_path" ] || id_path=$(git --git-dir="$A/store.git" ls-tree -r --name-only main | awk '!done && /\/body\.md$/ { print; done = 1 }')
item_dir=${id_path%/body.md}
id=${item_dir##*/}

# ---------------------------------------------------------------- HTTP ----
echo "== samvydavd on the archive"
p_svd=$(free_port)
cat >"$W/samvydavd.conf" <<EOF
[archive]
path = $A
[http]
listen = 127.0.0.1:$p_svd
maxconnections = 256
[log]
level = warn
EOF
"$SVDD_BIN" -c "$W/samvydavd.conf" >"$W/samvydavd.log" 2>&1 &
pids+=($!)
svd_url=http://127.0.0.1:$p_svd
wait_http "$svd_url/items/$id/body.md"

echo "== nginx on the exported tree"
N=$W/nginx
mkdir -p "$N/root" "$N/tmp"
git --git-dir="$A/store.git" archive main | tar -x -C "$N/root"
curl -s -o "$N/root/page.html" "$svd_url/items/$id"
p_ngx=$(free_port)
p_ngc=$(free_port)
cat >"$N/nginx.conf" <<EOF
daemon off;
worker_processes 2;
$([ "$(id -u)" -eq 0 ] && echo 'user root;')
pid $N/nginx.pid;
error_log $N/error.log warn;
events { worker_connections 1024; }
http {
	access_log off;
	include /etc/nginx/mime.types;
	default_type application/octet-stream;
	client_body_temp_path $N/tmp/body;
	proxy_temp_path $N/tmp/proxy;
	fastcgi_temp_path $N/tmp/fastcgi;
	uwsgi_temp_path $N/tmp/uwsgi;
	scgi_temp_path $N/tmp/scgi;
	server {
		listen 127.0.0.1:$p_ngx;
		root $N/root;
	}
	server {
		listen 127.0.0.1:$p_ngc;
		root $N/root;
		keepalive_timeout 0;
	}
}
EOF
[ -f /etc/nginx/mime.types ] || sed -i '/mime.types/d' "$N/nginx.conf"
"$NGINX" -p "$N/" -c "$N/nginx.conf" -e "$N/error.log" >"$N/stdout" 2>&1 &
pids+=($!)
ngx_url=http://127.0.0.1:$p_ngx
ngc_url=http://127.0.0.1:$p_ngc
wait_http "$ngx_url/$item_dir/body.md"
cmp -s <(curl -s "$svd_url/items/$id/body.md") "$N/root/$item_dir/body.md" || {
	echo "bench: the daemon's body.md is not the file in the store" >&2
	exit 1
}
size_page=$(stat -c %s "$N/root/page.html")
size_body=$(stat -c %s "$N/root/$item_dir/body.md")

# bench_wrk NAME URL: wrk, its figures into rps_NAME, lat_NAME (avg ms),
# p50_NAME, p99_NAME (ms), err_NAME (socket errors), non2xx_NAME
ms_of() {
	awk -v v="$1" 'BEGIN {
		if (v ~ /us$/) printf "%.2f", substr(v, 1, length(v) - 2) / 1000;
		else if (v ~ /ms$/) printf "%.2f", substr(v, 1, length(v) - 2);
		else if (v ~ /m$/) printf "%.2f", substr(v, 1, length(v) - 1) * 60000;
		else if (v ~ /s$/) printf "%.2f", substr(v, 1, length(v) - 1) * 1000;
		else print v }'
}
bench_wrk() {
	local name=$1 url=$2 c=$3 out=$W/wrk-$1.out e
	echo "== wrk ${WRK_ARGS[*]} -c$c $url"
	wrk "${WRK_ARGS[@]}" -c"$c" "$url" >"$out" 2>&1 || {
		cat "$out" >&2
		exit 1
	}
	printf -v "rps_$name" '%s' "$(awk '/^Requests\/sec:/ { printf "%.0f", $2 }' "$out")"
	printf -v "lat_$name" '%s' "$(ms_of "$(awk '$1 == "Latency" { print $2; exit }' "$out")")"
	printf -v "p50_$name" '%s' "$(ms_of "$(awk '$1 == "50%" { print $2 }' "$out")")"
	printf -v "p99_$name" '%s' "$(ms_of "$(awk '$1 == "99%" { print $2 }' "$out")")"
	e=$(awk '/Socket errors/ { gsub(",", ""); n += $4 + $6 + $8 + $10 } END { print n + 0 }' "$out")
	printf -v "err_$name" '%s' "$e"
	e=$(awk '/Non-2xx/ { n += $NF } END { print n + 0 }' "$out")
	printf -v "non2xx_$name" '%s' "$e"
}
for c in $WRK_CONNS; do
	bench_wrk svd_page$c "$svd_url/items/$id" "$c"
	bench_wrk ngx_page$c "$ngx_url/page.html" "$c"
	bench_wrk ngc_page$c "$ngc_url/page.html" "$c"
	bench_wrk svd_body$c "$svd_url/items/$id/body.md" "$c"
	bench_wrk ngx_body$c "$ngx_url/$item_dir/body.md" "$c"
	bench_wrk ngc_body$c "$ngc_url/$item_dir/body.md" "$c"
done
rss_svdd=$(awk '/^VmHWM/ { print $2 }' "/proc/${pids[0]}/status")
stop_all

# ---------------------------------------------------------------- sync ----
echo "== B: a copy of A, in sync (samvydav sync once)"
B=$W/b
"$SVD_BIN" init "$B" >/dev/null
"$SVD_BIN" -C "$B" trust add "$W/editor.pub" >/dev/null
timed sync0 "$SVD_BIN" -C "$B" sync -q a "file://$A/store.git"
echo "== a bare clone of A's store, for git fetch"
git clone -q --bare "file://$A/store.git" "$W/clone.git"

echo "== $NEW_ITEMS new items in A, one commit"
python3 "$here/gen_corpus.py" --items "$NEW_ITEMS" --seed 7777 "$W/new" >/dev/null
"$SVD_BIN" -C "$A" add -q --from "$W/new" --key "$W/editor.key" </dev/null
new_bytes=$(du -sb "$W/new" | cut -f1)
head_a=$(git --git-dir="$A/store.git" rev-parse main)

echo "== samvydav sync of the new commit"
timed sync "$SVD_BIN" -C "$B" sync -q a "file://$A/store.git"
echo "== git fetch of the same commit"
timed fetch git -C "$W/clone.git" fetch -q origin main
[ "$(git -C "$W/clone.git" rev-parse FETCH_HEAD)" = "$head_a" ] || {
	echo "bench: git fetch did not get A's main" >&2
	exit 1
}
[ "$(git --git-dir="$B/store.git" rev-parse 'main^{tree}')" = "$(git --git-dir="$A/store.git" rev-parse 'main^{tree}')" ] || {
	echo "bench: B does not hold A's tree after the sync" >&2
	exit 1
}

# --------------------------------------------------------------- table ----
echo
echo "samvydav daemon bench, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $(uname -m), $(git --version), $(wrk -v 2>&1 | head -n 1 | cut -d' ' -f1-2), $("$NGINX" -v 2>&1 | sed 's/.*: //')"
load_line
printf '%d items, %.1f MiB of files; item %s (page %d B, body.md %d B)\n' \
	"$items" "$(calc "$corpus_bytes / 1048576" 1)" "${id:0:12}" "$size_page" "$size_body"
echo "wrk ${WRK_ARGS[*]} -c{${WRK_CONNS// /,}}, on the same machine as the server (it takes a core of its own)"
echo
fmt='%-30s %10s %10s %7s %10s %7s\n'
printf "$fmt" "" "samvydavd" "nginx" "ratio" "nginx,close" "ratio"
row() { # LABEL VAR-PREFIX
	local a=${2}_$s b=${2}_$n c=${2}_$k
	printf "$fmt" "$1" "${!a}" "${!b}" "$(calc "${!a} / ${!b}")" "${!c}" "$(calc "${!a} / ${!c}")"
}
for what in page body; do for c in $WRK_CONNS; do
	s=svd_$what$c n=ngx_$what$c k=ngc_$what$c
	label=$([ $what = page ] && echo "page" || echo "body.md")" -c$c"
	row "$label: requests/s" rps
	row "$label: latency avg (ms)" lat
	row "$label: latency p50 (ms)" p50
	row "$label: latency p99 (ms)" p99
	a=err_$s b=err_$n d=err_$k
	printf "$fmt" "$label: socket errors" "${!a}" "${!b}" "" "${!d}" ""
	a=non2xx_$s b=non2xx_$n d=non2xx_$k
	printf "$fmt" "$label: non-2xx" "${!a}" "${!b}" "" "${!d}" ""
done; done
printf "$fmt" "samvydavd peak RSS (MiB)" "$(mib "$rss_svdd")" "" "" "" ""
echo "(nginx,close is nginx with keepalive_timeout 0, one request per connection;"
echo " samvydavd keeps connections alive. At -c32 samvydavd's socket errors are"
echo " connections over its limit of 16 per client address, refused and retried"
echo " by wrk; an item page is rendered and its item verified on every request)"
echo
fmt='%-34s %12s %12s %8s   %s\n'
printf "$fmt" "" "samvydav" "git fetch" "ratio" ""
printf "$fmt" "sync $NEW_ITEMS new items: wall (s)" "$wall_sync" "$wall_fetch" "$(calc "$wall_sync / $wall_fetch")" \
	"($(calc "$new_bytes / 1048576" 1) MiB of files)"
printf "$fmt" "sync: items/s" "$(calc "$NEW_ITEMS / $wall_sync" 0)" "$(calc "$NEW_ITEMS / $wall_fetch" 0)" "" ""
printf "$fmt" "sync: peak RSS (MiB)" "$(mib "$rss_sync")" "$(mib "$rss_fetch")" "$(calc "$rss_sync / $rss_fetch")" ""
printf "$fmt" "first sync, $items items: wall (s)" "$wall_sync0" "" "" "(into an empty archive)"
