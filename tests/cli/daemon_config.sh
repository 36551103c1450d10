#!/usr/bin/env bash
# samvydavd's configuration and operations: --check-config on the example
# file and on every way a file can be wrong, the lock that keeps a second
# daemon off an archive, SIGHUP with a broken file, SIGTERM, journald-style
# log lines, and --once writing a bundle that stock zstd and tar accept.
. "$(dirname "$0")/lib.sh"

: "${SVD_BUILD_DIR:?set SVD_BUILD_DIR to the build tree (ctest does)}"
D=$SVD_BUILD_DIR/daemon/samvydavd
EXAMPLE=$SVD_SOURCE_DIR/daemon/samvydavd.conf.example
[ -x "$D" ] || { echo "samvydavd is not built at $D"; exit 1; }

svdd() { "$D" "$@"; }

# a daemon left running by a failed check must not outlive the test
pid=
trap '[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null; rm -rf "$T"' EXIT

A=$T/archive
check "an archive to keep" svd init "$A"
mkdir -p "$T/outbox" "$T/inbox"

# --help, --version, usage errors
svdd --help | grep -q -- "--check-config" && ok "--help names --check-config" ||
	not_ok "--help names --check-config"
same "$(svdd --version)" "samvydavd 0.1.0" "--version"
expect_exit 2 "unknown option --frobnicate" "an unknown option is a usage error" svdd --frobnicate
expect_exit 2 "unexpected argument" "a stray argument is a usage error" svdd stray

# the example file, pointed at a real archive, checks out
sed "s|^path = .*|path = $A|" "$EXAMPLE" >"$T/example.conf"
expect_exit 0 "configuration is good" "--check-config accepts the example file" \
	svdd -c "$T/example.conf" --check-config
out=$(svdd -c "$T/example.conf" --check-config 2>/dev/null)
printf '%s' "$out" | grep -q "listen = 127.0.0.1:8737" &&
	printf '%s' "$out" | grep -q "every = 86400" && printf '%s' "$out" | grep -q "level = info" &&
	ok "--check-config prints the effective settings with their defaults" ||
	not_ok "--check-config prints the effective settings with their defaults" "$out"
# every key of the example, uncommented, is a key the daemon knows
grep -E '^# [a-z]+ = ' "$EXAMPLE" | sed 's/^# //' >"$T/keys"
[ "$(wc -l <"$T/keys")" -ge 13 ] && ok "the example shows an example of every key" ||
	not_ok "the example shows an example of every key" "$(cat "$T/keys")"
svdd -c "$T/example.conf" --check-config >/dev/null 2>&1

# conf NAME <<EOF ... EOF: a configuration file from standard input
conf() { cat >"$T/$1.conf"; }
base() {
	printf '[archive]\n\tpath = %s\n[http]\n\tenabled = false\n' "$A"
}

# bad NAME PATTERN DESCRIPTION: the file must be refused (exit 2) with PATTERN,
# and the message must name the file
bad() {
	expect_exit 2 "$T/$1.conf: .*$2" "$3" svdd -c "$T/$1.conf" --check-config
}

expect_exit 2 "nowhere.conf: cannot read" "a missing file is refused" \
	svdd -c "$T/nowhere.conf" --check-config
printf '[outbox]\n\tfolder = %s\n' "$T/outbox" | conf nopath
bad nopath "\[archive\] path is missing" "no archive path"
printf '[archive]\n\tpath = %s\n' "$T/outbox" | conf notarchive
bad notarchive "not a samvydav archive.*samvydav init" "an archive path that is not an archive"
printf '[archive]\n\tpath = archive\n' | conf relative
bad relative "not an absolute path" "a relative archive path"
{ base; printf '[outbox]\n\tfolder = %s\n\tkeep = many\n' "$T/outbox"; } | conf badnumber
bad badnumber "\[outbox\] keep = many: is not a whole number" "a number that is not one"
{ base; printf '[outbox]\n\tkeep = 0\n'; } | conf zerokeep
bad zerokeep "\[outbox\] keep = 0: is out of range" "keep of 0"
{ base; printf '[peer "kyiv"]\n\turl = file://%s\n\tevery = -60\n' "$A"; } | conf negative
bad negative '\[peer "kyiv"\] every = -60: must not be negative' "a negative interval"
{ base; printf '[peer "kyiv"]\n\turl = file://%s\n\ttimeout = 0\n' "$A"; } | conf peertimeout
bad peertimeout '\[peer "kyiv"\] timeout = 0: must be at least 1 second' "a peer timeout of 0"
{ base; printf '[peer "kyiv"]\n\turl = file://%s\n\tmaxsize = 100\n' "$A"; } | conf peersize
bad peersize '\[peer "kyiv"\] maxsize = 100: is too small' "a peer size cap under 1K"
{ base; printf '[inbox]\n\trescan = 0\n'; } | conf zero
bad zero "\[inbox\] rescan = 0: must be at least 1 second" "an interval of 0"
{ base; printf '[outbox]\n\tevery = 10x\n'; } | conf unit
bad unit "\[outbox\] every = 10x: is not a number of seconds" "an unknown unit"
{ base; printf '[outbox]\n\tmaxsize = 12Q\n'; } | conf size
bad size "\[outbox\] maxsize = 12Q: is not a size" "a bad size"
{ base; printf '[log]\n\tlevel = verbose\n'; } | conf level
bad level "\[log\] level = verbose: is not a log level \(error, warn, info or debug\)" \
	"an unknown log level"
# sealing and sticks (sealed bundles, SPEC.md 12)
{ base; printf '[outbox]\n\tsealed = true\n'; } | conf sealed
bad sealed "\[outbox\] sealed = true: is not auto, yes or no" "sealed is auto, yes or no, nothing else"
{ base; printf '[sticks]\n\tlayout = encrypted\n'; } | conf layout
bad layout "\[sticks\] layout = encrypted: is not auto, plain or sealed" "an unknown stick layout"
{ base; printf '[sticks]\n\tfolder = /media/stick\n'; } | conf stickabs
bad stickabs "\[sticks\] folder = /media/stick: is an absolute path" "a stick folder that is an absolute path"
{ base; printf '[sticks]\n\tfolder = a/../../etc\n'; } | conf stickdots
bad stickdots "\[sticks\] folder = a/../../etc: has an empty, '.' or '..' part" "a stick folder that climbs out of the stick"
{ base; printf '[sticks]\n\tfolder = a//b\n'; } | conf stickempty
bad stickempty "\[sticks\] folder = a//b: has an empty" "a stick folder with an empty part"
{ base; printf '[sticks]\n\tfolder = a/\n'; } | conf stickslash
bad stickslash "\[sticks\] folder = a/: ends with '/'" "a stick folder ending in /"
{ base; printf '[sticks]\n\tfolder = "a\\tb"\n'; } | conf stickctl
bad stickctl "\[sticks\] folder = .*: holds a control character" "a stick folder with a control character"
{ base; printf '[sticks]\n\tfolder = %s\n' "$(printf 'x%.0s' $(seq 256))"; } | conf sticklong
bad sticklong "\[sticks\] folder = x+: is too long" "a stick folder over 255 bytes"
{ base; printf '[outbox]\n\tsealed = no\n\tsealed = yes\n'; } | conf sealedtwice
bad sealedtwice "\[outbox\] sealed: is set twice" "sealed given twice"
{ base; printf '[outbox]\n\tsealed = yes\n[sticks]\n\tlayout = sealed\n\tfolder = ""\n'; } | conf sealedgood
out=$(svdd -c "$T/sealedgood.conf" --check-config 2>&1)
printf '%s' "$out" | grep -q "sealed = yes" && printf '%s' "$out" | grep -q "layout = sealed" &&
	printf '%s' "$out" | grep -qF 'folder = ""' &&
	ok "sealed, layout and an empty stick folder (its root) check out and print" ||
	not_ok "sealed, layout and an empty stick folder (its root) check out and print" "$out"
{ base; printf '[http]\n\tlisten = localhost:8737\n'; } | conf listen1
bad listen1 "\[http\] listen = localhost:8737: .*not a numeric" "a listen address that is a name"
{ base; printf '[http]\n\tlisten = 127.0.0.1:99999\n'; } | conf listen2
bad listen2 "\[http\] listen = 127.0.0.1:99999: has no valid port" "a listen port out of range"
{ base; printf '[http]\n\tlisten = 127.0.0.1\n'; } | conf listen3
bad listen3 "\[http\] listen = 127.0.0.1: is not ADDRESS:PORT" "a listen address without port"
{ base; printf '[http]\n\tlisten = [::1]:8080\n'; } | conf listen6
expect_exit 0 "listen = \[::1\]:8080" "an IPv6 listen address" svdd -c "$T/listen6.conf" --check-config
{ base; printf '[http]\n\theadertimeout = 0\n'; } | conf hdr0
bad hdr0 "\[http\] headertimeout = 0: must be at least 1 second" "a header timeout of 0"
{ base; printf '[http]\n\theadertimeout = 2h\n'; } | conf hdrlong
bad hdrlong "\[http\] headertimeout = 2h: is too large" "a header timeout over an hour"
{ base; printf '[http]\n\tperaddress = 0\n'; } | conf per0
bad per0 "\[http\] peraddress = 0: is out of range" "a per-address limit of 0"
{ base; printf '[http]\n\tmaxconnections = 100001\n'; } | conf maxbig
bad maxbig "\[http\] maxconnections = 100001: is out of range \(1 to 100000\)" "too many connections"
{ base; printf '[http]\n\theadertimeout = 5\n\tperaddress = 64\n'; } | conf hdrgood
out=$(svdd -c "$T/hdrgood.conf" --check-config 2>&1)
printf '%s' "$out" | grep -q "headertimeout = 5" && printf '%s' "$out" | grep -q "peraddress = 64" &&
	printf '%s' "$out" | grep -q "maxconnections = 4096" &&
	ok "headertimeout and peraddress check out and print, maxconnections defaults to 4096" ||
	not_ok "headertimeout and peraddress check out and print, maxconnections defaults to 4096" "$out"
{ base; printf '[http]\n\tsendmemory = 0\n'; } | conf send0
bad send0 "\[http\] sendmemory = 0: is too small \(at least 1M" "a send memory of 0"
{ base; printf '[http]\n\tsendmemory = 512K\n'; } | conf sendsmall
bad sendsmall "\[http\] sendmemory = 512K: is too small \(at least 1M" "a send memory under 1M"
{ base; printf '[http]\n\tsendmemory = lots\n'; } | conf sendword
bad sendword "\[http\] sendmemory = lots: is not a size" "a send memory that is no size"
{ base; printf '[http]\n\tsendmemory = 64M\n'; } | conf sendgood
out=$(svdd -c "$T/sendgood.conf" --check-config 2>&1)
printf '%s' "$out" | grep -q "sendmemory = 67108864" &&
	ok "sendmemory = 64M checks out and prints in bytes" ||
	not_ok "sendmemory = 64M checks out and prints in bytes" "$out"
out=$(svdd -c "$T/hdrgood.conf" --check-config 2>&1)
printf '%s' "$out" | grep -q "sendmemory = 268435456" &&
	ok "sendmemory defaults to 256M" || not_ok "sendmemory defaults to 256M" "$out"
printf '[archive]\n\tpath = %s\n[http]\n\tenabled = maybe\n' "$A" | conf bool
bad bool "\[http\] enabled = maybe: is not a boolean" "a bad boolean"
{ base; printf '[peer "kyiv"]\n\tevery = 60\n'; } | conf nourl
bad nourl '\[peer "kyiv"\]: no url' "a peer without url"
{ base; printf '[peer "kyiv"]\n\turl = /srv/store.git\n'; } | conf badurl
bad badurl '\[peer "kyiv"\] url = /srv/store.git: is not a URL' "a peer URL without a scheme"
# a carriage return inside quotes (found by fuzz_config: printed unquoted, it was read back without it)
{ base; printf '[peer "kyiv"]\n\turl = "file:///srv/store.git\r"\n'; } | conf crurl
bad crurl 'url = file:///srv/store.git\\r: holds a control character' "a peer URL with a control character, shown escaped"
{ base; printf '[peer "ky iv"]\n\turl = file:///x\n'; } | conf peername
bad peername "peer's name may hold only" "a peer name with a space"
{ base; printf '[outbox]\n\tkepp = 3\n'; } | conf typo
bad typo "\[outbox\] kepp: is not a key this daemon knows" "an unknown key (a typo)"
{ base; printf '[archiv]\n\tpath = /x\n'; } | conf section
bad section "\[archiv\] path: is not a key this daemon knows" "an unknown section"
{ base; printf '[log]\n\tlevel = info\n\tlevel = debug\n'; } | conf twice
bad twice "\[log\] level: is set twice" "a key given twice"
{ base; printf '[outbox]\n\tfolder = %s\n' "$T/nothere"; } | conf nooutbox
bad nooutbox "\[outbox\] folder = .*: is not a folder" "an outbox that does not exist"
{ base; printf '[inbox\n'; } | conf syntax
bad syntax "not a valid configuration file" "a file git-config cannot parse"
{ base; printf '[inbox]\n\tfolder = %s\n\tfolder = %s\n' "$T/inbox" "$T/outbox"; } | conf inboxes
out=$(svdd -c "$T/inboxes.conf" --check-config 2>/dev/null)
same "$(printf '%s\n' "$out" | grep -c '^	folder = ')" 2 "several inbox folders"

# --once writes one full bundle that stock zstd and tar accept, and prunes to keep
{ base; printf '[outbox]\n\tfolder = %s\n\tkeep = 2\n' "$T/outbox"; } | conf run
touch "$T/outbox/samvydav-20200101T000000Z.tar.zst" "$T/outbox/samvydav-20210101T000000Z.1.tar.zst" \
	"$T/outbox/samvydav-20210101T000000Z.2.tar.zst" "$T/outbox/notes.txt"
check "--once runs every task and exits 0" svdd -c "$T/run.conf" --once
bundle=$(ls "$T/outbox" | grep -E '^samvydav-[0-9]{8}T[0-9]{6}Z\.tar\.zst$' | grep -v '^samvydav-202[01]')
same "$(printf '%s\n' "$bundle" | grep -c .)" 1 "--once wrote one bundle named samvydav-<UTC time>.tar.zst"
check "zstd -t accepts the bundle" zstd -q -t "$T/outbox/$bundle"
tar --zstd -tf "$T/outbox/$bundle" | head -n 1 | grep -q '^BUNDLE.json$' &&
	ok "tar --zstd lists BUNDLE.json first" || not_ok "tar --zstd lists BUNDLE.json first"
[ ! -e "$T/outbox/samvydav-20200101T000000Z.tar.zst" ] && [ -e "$T/outbox/samvydav-20210101T000000Z.1.tar.zst" ] &&
	[ -e "$T/outbox/samvydav-20210101T000000Z.2.tar.zst" ] && [ -e "$T/outbox/notes.txt" ] &&
	ok "the outbox is pruned to keep bundles (a split one counts once; other files stay)" ||
	not_ok "the outbox is pruned to keep bundles (a split one counts once; other files stay)" "$(ls "$T/outbox")"

# a running daemon
log=$T/daemon.log
"$D" -c "$T/run.conf" 2>"$log" &
pid=$!
for _ in $(seq 100); do
	grep -q "samvydavd 0.1.0: archive" "$log" 2>/dev/null && break
	sleep 0.1
done
grep -q '^<6>samvydavd 0.1.0: archive' "$log" &&
	ok "log lines carry a syslog priority prefix when stderr is not a terminal" ||
	not_ok "log lines carry a syslog priority prefix when stderr is not a terminal" "$(cat "$log")"
same "$(cat "$A/daemon.lock")" "$pid" "ARCHIVE/daemon.lock holds the daemon's pid"
expect_exit 5 "another samvydavd \(pid $pid\)" "a second daemon on the same archive exits 5 naming the pid" \
	svdd -c "$T/run.conf"
expect_exit 5 "pid $pid" "--once also keeps off an archive a daemon keeps" svdd -c "$T/run.conf" --once
check "samvydav commands still work beside the daemon" svd -C "$A" verify

cp "$T/run.conf" "$T/run.good"
printf '[log]\n\tlevel = loud\n' >>"$T/run.conf"
kill -HUP "$pid"
for _ in $(seq 100); do
	grep -q "keeping the configuration in use" "$log" && break
	sleep 0.1
done
grep -q "^<3>reload: .*level = loud: is not a log level.*keeping the configuration in use" "$log" &&
	ok "SIGHUP with a broken file logs the error" || not_ok "SIGHUP with a broken file logs the error" "$(tail -n 3 "$log")"
kill -0 "$pid" 2>/dev/null && ok "and the daemon keeps running" || not_ok "and the daemon keeps running"

cp "$T/run.good" "$T/run.conf"
printf '[log]\n\tlevel = debug\n' >>"$T/run.conf"
kill -HUP "$pid"
for _ in $(seq 100); do
	grep -q "reload: .* read" "$log" && break
	sleep 0.1
done
grep -q "^<6>reload: $T/run.conf read" "$log" && ok "SIGHUP with a good file reloads it" ||
	not_ok "SIGHUP with a good file reloads it" "$(tail -n 3 "$log")"

kill -TERM "$pid"
start=$(date +%s)
wait "$pid"
rc=$?
pid=
same "$rc" 0 "SIGTERM: the daemon exits 0"
[ $(($(date +%s) - start)) -le 5 ] && ok "promptly" || not_ok "promptly"
grep -q "stopping" "$log" && ok "and says it is stopping" || not_ok "and says it is stopping"

"$D" -c "$T/run.conf" 2>"$log" &
pid=$!
for _ in $(seq 100); do
	grep -q "samvydavd 0.1.0: archive" "$log" 2>/dev/null && break
	sleep 0.1
done
kill -INT "$pid"
wait "$pid"
rc=$?
pid=
same "$rc" 0 "SIGINT: the daemon exits 0 (and the lock of a stopped daemon does not bind)"
ls "$T/outbox" | grep -c '^samvydav-' | grep -qx 3 && ok "a restart writes no new bundle before 'every'" ||
	not_ok "a restart writes no new bundle before 'every'" "$(ls "$T/outbox")"

# with HTTP on: served while running, stopped at exit
# a port nothing listens on; if another process takes it first, another one
for attempt in 1 2 3; do
	port=$(free_port)
	{ printf '[archive]\n\tpath = %s\n[outbox]\n\tfolder = %s\n' "$A" "$T/outbox"
	  printf '[http]\n\tlisten = 127.0.0.1:%s\n' "$port"; } | conf http
	"$D" -c "$T/http.conf" 2>"$log" &
	pid=$!
	# up to a minute: on a loaded machine the first start can be slow
	for _ in $(seq 600); do
		grep -q "http: serving\|http: cannot" "$log" 2>/dev/null && break
		sleep 0.1
	done
	grep -q "http: cannot.*in use" "$log" || break
	kill -TERM "$pid" 2>/dev/null
	wait "$pid"
	pid=
done
grep -q "http: serving $A on 127.0.0.1 port $port" "$log" && ok "http: the daemon says where it serves" ||
	not_ok "http: the daemon says where it serves" "$(tail -n 3 "$log")"
if command -v curl >/dev/null; then
	code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/api/status")
	same "$code" 200 "http: /api/status answers while the daemon runs"
fi
kill -TERM "$pid"
wait "$pid"
rc=$?
pid=
same "$rc" 0 "SIGTERM with HTTP on: exit 0"
grep -q "http: stopped" "$log" && ok "http: stopped at exit" || not_ok "http: stopped at exit" "$(tail -n 3 "$log")"

# a peer over file://: its items arrive through the gate, in one commit
P=$T/peer
R=$T/receiver
new_archive "$P" ed && new_archive "$R" ed && ok "two archives trusting one editor" ||
	not_ok "two archives trusting one editor"
printf 'Текст.\n' >"$T/body.md"
svd -C "$P" add --kind article --title "Стаття" --lang uk --body "$T/body.md" --key "$T/ed.key" >/dev/null
printf '[archive]\n\tpath = %s\n[peer "p"]\n\turl = file://%s/store.git\n' "$R" "$P" | conf peer
expect_exit 0 "peer p: .*1 accepted" "--once syncs with a file:// peer" svdd -c "$T/peer.conf" --once
same "$(ids_of "$R")" "$(ids_of "$P")" "the receiver now holds the peer's items"
check "and stock git finds it healthy" fsck_clean "$R"
printf '[archive]\n\tpath = %s\n[peer "gone"]\n\turl = file://%s/none.git\n' "$R" "$T" | conf gone
expect_exit 1 "peer gone" "--once exits 1 when a peer cannot be reached, naming it" \
	svdd -c "$T/gone.conf" --once

finish
