#!/usr/bin/env bash
# Benchmark of the mirror daemon: HTTP throughput and peer sync, each figure
# beside what a stock tool does with the same data.
#
#     bench_daemon.sh [--items N] [--keep DIR] [SCRATCH]
#
# On a generated corpus (default 2,000 items, one in ten with a photo;
# tests/bench/gen_corpus.py) added to an archive, it measures
#   - HTTP: samvydavd serving the archive, wrk -t2 -d10s at 50 and at 200
#     connections on an item page (/pages/<id>.html), the index (/), the
#     index as a browser asks for it (Accept-Encoding: gzip; nginx sends
#     an index.html.gz made beside it with gzip -k, gzip_static on), a raw
#     photo (/items/<id>/photo.jpg) and /api/items?limit=100, each beside
#     nginx serving the same files from the library `samvydav unpack`
#     writes of the same archive (the API's reply saved as a file), run
#     alternately; the daemon's resident memory after every run;
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
. "$here/lib_daemon.sh"
NEW_ITEMS=1000
WRK_ARGS=(-t2 -d10s --latency)
WRK_CONNS="50 200"

need_tools wrk nginx

corpus

echo "== archive with the corpus"
A=$W/archive
"$SVD_BIN" init "$A" >/dev/null
"$SVD_BIN" key generate --no-passphrase -o "$W/editor.key" -p "$W/editor.pub" >/dev/null
"$SVD_BIN" -C "$A" trust add "$W/editor.pub" >/dev/null
"$SVD_BIN" -C "$A" add -q --from "$W/corpus" --key "$W/editor.key" </dev/null

# an item with a photo: its page and its raw photo
item_dir=$(git --git-dir="$A/store.git" ls-tree -r --name-only main |
	awk '!done && /\/photo\.jpg$/ { sub("/photo.jpg$", ""); print; done = 1 }')
[ -n "$item_dir" ] || {
	echo "bench: no item with a photo in the corpus" >&2
	exit 1
}
id=${item_dir##*/}

# ---------------------------------------------------------------- HTTP ----
echo "== samvydavd on the archive"
start_svdd "$A"
svd_pid=$svdd_pid svd_url=$svdd_url
wait_http "$svd_url/"

echo "== nginx on the library samvydav unpack writes"
N=$W/nginx
mkdir -p "$N/tmp"
"$SVD_BIN" -C "$A" export -q -o "$W/all.tar.zst"
"$SVD_BIN" unpack -q --trust "$W/editor.pub" "$W/all.tar.zst" -o "$N/root"
curl -s -o "$N/root/api-items.json" "$svd_url/api/items?limit=100"
gzip -k "$N/root/index.html"
p_ngx=$(free_port)
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
		gzip_static on;
		location = /api/items { default_type application/json; try_files /api-items.json =404; }
	}
}
EOF
[ -f /etc/nginx/mime.types ] || sed -i '/mime.types/d' "$N/nginx.conf"
"$NGINX" -p "$N/" -c "$N/nginx.conf" -e "$N/error.log" >"$N/stdout" 2>&1 &
pids+=($!)
ngx_url=http://127.0.0.1:$p_ngx
wait_http "$ngx_url/index.html"
cmp -s <(curl -s "$svd_url/$item_dir/photo.jpg") "$N/root/$item_dir/photo.jpg" || {
	echo "bench: the daemon's photo.jpg is not the file nginx serves" >&2
	exit 1
}
size_page=$(stat -c %s "$N/root/pages/$id.html")
size_index=$(stat -c %s "$N/root/index.html")
size_gz_svd=$(curl -s -H 'Accept-Encoding: gzip' "$svd_url/" | wc -c)
size_gz_ngx=$(curl -s -H 'Accept-Encoding: gzip' "$ngx_url/" | wc -c)
[ "$size_gz_ngx" -lt "$size_index" ] && [ "$size_gz_svd" -lt "$size_index" ] || {
	echo "bench: the index is not sent gzip'd ($size_gz_svd and $size_gz_ngx of $size_index bytes)" >&2
	exit 1
}
size_photo=$(stat -c %s "$N/root/$item_dir/photo.jpg")
size_api=$(stat -c %s "$N/root/api-items.json")

# bench_wrk NAME URL CONNS [WRK-ARG...]: wrk, its figures into rps_NAME, lat_NAME (avg ms),
# p50_NAME, p99_NAME (ms), err_NAME (socket errors), non2xx_NAME; after a
# run on samvydavd, its resident memory goes on rss_trail
ms_of() {
	awk -v v="$1" 'BEGIN {
		if (v ~ /us$/) printf "%.2f", substr(v, 1, length(v) - 2) / 1000;
		else if (v ~ /ms$/) printf "%.2f", substr(v, 1, length(v) - 2);
		else if (v ~ /m$/) printf "%.2f", substr(v, 1, length(v) - 1) * 60000;
		else if (v ~ /s$/) printf "%.2f", substr(v, 1, length(v) - 1) * 1000;
		else print v }'
}
rss_now() { awk '/^VmRSS/ { printf "%.0f", $2 / 1024 }' "/proc/$svd_pid/status"; }
rss_trail=
bench_wrk() {
	local name=$1 url=$2 c=$3 out=$W/wrk-$1.out e
	shift 3
	echo "== wrk ${WRK_ARGS[*]} -c$c $* $url"
	wrk "${WRK_ARGS[@]}" -c"$c" "$@" "$url" >"$out" 2>&1 || {
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
	case $name in svd_*) rss_trail="$rss_trail $(rss_now)" ;; esac
}
rss_start=$(rss_now)
for c in $WRK_CONNS; do
	bench_wrk svd_page$c "$svd_url/pages/$id.html" "$c"
	bench_wrk ngx_page$c "$ngx_url/pages/$id.html" "$c"
	bench_wrk svd_index$c "$svd_url/" "$c"
	bench_wrk ngx_index$c "$ngx_url/" "$c"
	bench_wrk svd_gzindex$c "$svd_url/" "$c" -H 'Accept-Encoding: gzip'
	bench_wrk ngx_gzindex$c "$ngx_url/" "$c" -H 'Accept-Encoding: gzip'
	bench_wrk svd_photo$c "$svd_url/$item_dir/photo.jpg" "$c"
	bench_wrk ngx_photo$c "$ngx_url/$item_dir/photo.jpg" "$c"
	bench_wrk svd_api$c "$svd_url/api/items?limit=100" "$c"
	bench_wrk ngx_api$c "$ngx_url/api/items?limit=100" "$c"
done
rss_svdd=$(awk '/^VmHWM/ { print $2 }' "/proc/$svd_pid/status")
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
printf '%d items, %.1f MiB of files\n' "$items" "$(calc "$corpus_bytes / 1048576" 1)"
echo "wrk ${WRK_ARGS[*]} -c{${WRK_CONNS// /,}}, on the same machine as the servers (it takes a core of its own)"
printf 'item %s: page %d B, raw photo %d B; index %d B (gzip %d B, nginx %d B); /api/items?limit=100 %d B\n' \
	"${id:0:12}" "$size_page" "$size_photo" "$size_index" "$size_gz_svd" "$size_gz_ngx" "$size_api"
echo
fmt='%-34s %10s %10s %7s\n'
printf "$fmt" "" "samvydavd" "nginx" "ratio"
for what in page index gzindex photo api; do for c in $WRK_CONNS; do
	s=svd_$what$c n=ngx_$what$c
	case $what in page) label="item page" ;; index) label="/" ;; gzindex) label="/ gzip" ;; photo) label="raw photo" ;; api) label="/api/items?limit=100" ;; esac
	label="$label -c$c"
	for m in rps lat p99; do
		a=${m}_$s b=${m}_$n
		case $m in rps) l="requests/s" ;; lat) l="latency avg (ms)" ;; p99) l="latency p99 (ms)" ;; esac
		printf "$fmt" "$label: $l" "${!a}" "${!b}" "$(calc "${!a} / ${!b}")"
	done
	a=err_$s b=err_$n
	printf "$fmt" "$label: socket errors" "${!a}" "${!b}" ""
	a=non2xx_$s b=non2xx_$n
	printf "$fmt" "$label: non-2xx" "${!a}" "${!b}" ""
done; done
printf "$fmt" "samvydavd peak RSS (MiB)" "$(mib "$rss_svdd")" "" ""
echo "samvydavd RSS (MiB) at the start and after each of its runs: $rss_start ->$rss_trail"
echo "(nginx serves the library samvydav unpack wrote from the same archive; samvydavd"
echo " makes an item page, a page of /api/items or a raw file of up to 1 MiB on its first"
echo " request and keeps it with the index, and serves / from memory)"
echo
fmt='%-34s %12s %12s %8s   %s\n'
printf "$fmt" "" "samvydav" "git fetch" "ratio" ""
printf "$fmt" "sync $NEW_ITEMS new items: wall (s)" "$wall_sync" "$wall_fetch" "$(calc "$wall_sync / $wall_fetch")" \
	"($(calc "$new_bytes / 1048576" 1) MiB of files)"
printf "$fmt" "sync: items/s" "$(calc "$NEW_ITEMS / $wall_sync" 0)" "$(calc "$NEW_ITEMS / $wall_fetch" 0)" "" ""
printf "$fmt" "sync: peak RSS (MiB)" "$(mib "$rss_sync")" "$(mib "$rss_fetch")" "$(calc "$rss_sync / $rss_fetch")" ""
printf "$fmt" "first sync, $items items: wall (s)" "$wall_sync0" "" "" "(into an empty archive)"
