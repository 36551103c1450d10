#!/usr/bin/env bash
# samvydavd stops promptly while its site's builder is busy (issue 16).
#
# A mirror of 5,000 items and no catalog file: the first build gates every
# one. The builder is held at the gate's first verdict (SVD_HOLD_AT=
# site.gate), so the build is known to be under way; then SIGTERM, and the
# hold released. The gate gives up at its next item: the daemon exits 0
# within 3 s, its half-made index dropped (no "built" line) and the catalog
# file not written; a builder that ignored the stop would finish the build
# (the gate's time is printed from the second start) and write both. A start without the hold then builds the
# index through the gate, every item, and writes the file.
. "$(dirname "$0")/lib.sh"

daemon_scenario

n=${SVD_STOP_ITEMS:-5000}
limit_s=3

A=$T/a
new_archive "$A" ed || exit 1
python3 - "$T/items" "$n" <<-'EOF'
	import os, sys
	out, n = sys.argv[1], int(sys.argv[2])
	for i in range(n):
	    d = os.path.join(out, "item%05d" % i)
	    os.makedirs(d)
	    open(d + "/meta.json", "w").write(
	        '{"title":"item %d","lang":"en","created":"2026-03-%02dT%02d:%02d:00Z"}'
	        % (i, i % 28 + 1, i // 60 % 24, i % 60))
	    open(d + "/body.md", "w").write("Words of item %d: river%d bridge.\n" % (i, i % 97))
EOF
check "add $n items" svd -C "$A" add -q --from "$T/items" --key "$T/ed.key"
rm -f "$A/cache/site"

port=$(free_port)
cat >"$T/d.conf" <<-EOF
	[archive]
		path = $A
	[http]
		listen = 127.0.0.1:$port
	[log]
		level = debug
EOF
U=http://127.0.0.1:$port
hold=$T/hold
: >"$hold"
SVD_HOLD_AT=site.gate SVD_HOLD_FILE=$hold start_daemon "$T/d.conf" "$T/d.log" &&
	ok "the daemon starts" || not_ok "the daemon starts" "$(cat "$T/d.log")"

for _ in $(seq 600); do
	grep -q "site.gate" "$hold" 2>/dev/null && break
	sleep 0.1
done
grep -q "^site.gate 1 " "$hold" && ok "the builder is held in its first gate" ||
	not_ok "the builder is held in its first gate" "$(cat "$hold" "$T/d.log" 2>/dev/null)"
code=$(curl -s -o /dev/null -w '%{http_code}' "$U/")
[ "$code" = 503 ] && ok "no index yet: 503" || not_ok "no index yet: 503" "got $code"

# SIGTERM while the gate is under way; once the server has closed its port
# (the site is freed next), the hold released: the gate goes on, and must
# see the stop at its next item
kill -TERM "$pid"
start=$(date +%s.%N)
for _ in $(seq 100); do
	[ "$(curl -s -o /dev/null -w '%{http_code}' "$U/")" = 000 ] && break
	sleep 0.05
done
rm -f "$hold"
exited=
for _ in $(seq $((limit_s * 10 + 300))); do
	kill -0 "$pid" 2>/dev/null || { exited=1; break; }
	sleep 0.1
done
took=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
wait "$pid"
rc=$?
pid=
[ -n "$exited" ] && awk -v t="$took" -v l="$limit_s" 'BEGIN { exit !(t < l) }' &&
	ok "SIGTERM in the gate: exits within ${limit_s} s (${took} s)" ||
	not_ok "SIGTERM in the gate: exits within ${limit_s} s" "took ${took} s; $(tail -n 5 "$T/d.log")"
[ "$rc" = 0 ] && ok "it exits 0" || not_ok "it exits 0" "exit $rc"
grep -q "not built: the site stops" "$T/d.log" && ok "the log says the build stopped" ||
	not_ok "the log says the build stopped" "$(tail -n 5 "$T/d.log")"
grep -q "site: index of main at .* built in" "$T/d.log" &&
	not_ok "no index was put in place" "$(grep 'built in' "$T/d.log")" ||
	ok "no index was put in place"
[ ! -e "$A/cache/site" ] && [ ! -e "$A/cache/site.next" ] && ok "the catalog file is not written" ||
	not_ok "the catalog file is not written" "$(ls -l "$A/cache")"

# the next start gates every item again, and writes the file
start_daemon "$T/d.conf" "$T/d2.log" &&
	ok "the daemon starts again" || not_ok "the daemon starts again" "$(cat "$T/d2.log")"
wait_log "site: index of main at .* built in .* $n items, $n gated" 1200 &&
	ok "its build gates all $n items" || not_ok "its build gates all $n items" "$(tail -n 5 "$T/d2.log")"
grep -o "gate [0-9]* ms" "$T/d2.log" | head -n 1 | sed 's/^/# the whole gate: /'
for _ in $(seq 100); do
	[ -s "$A/cache/site" ] && break
	sleep 0.1
done
[ -s "$A/cache/site" ] && ok "the catalog file is written" ||
	not_ok "the catalog file is written" "$(ls -l "$A/cache" 2>&1)"
stop_daemon && ok "the daemon stops" || not_ok "the daemon stops" "exit $?"

finish
