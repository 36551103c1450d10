#!/usr/bin/env bash
# samvydavd under load and under SIGKILL.
#
# 1. A flood: 1,000 files copied into the inbox at once, 900 of them copies
#    of 30 distinct bundles and 100 of them junk (random bytes, truncated
#    bundles, empty files). Every file is handled, each distinct bundle is
#    imported once, every junk file is refused, no file is changed or
#    removed, the daemon keeps running in bounded memory, and the archive is
#    healthy.
# 2. SIGKILL during an inbox import, at each pause point of its write path
#    (docs/fault-injection.md): git fsck is clean, main is the old commit or
#    the whole new one, verify passes, the bundle is recorded as imported
#    only with its commit; a restarted daemon imports the bundle and ends
#    with every item.
. "$(dirname "$0")/lib.sh"

daemon_scenario
t0=$(date +%s%N)


# conf FILE ARCHIVE INBOX [SETTLE]: a daemon config watching one inbox,
# settle 1 (or SETTLE), rescan 1
conf() {
	cat >"$1" <<-EOF
		[archive]
			path = $2
		[inbox]
			folder = $3
			settle = ${4:-1}
			rescan = 1
		[http]
			enabled = false
		[log]
			level = debug
	EOF
}


############################################################### 1. the flood

A=$T/a
new_archive "$A" ed || exit 1
python3 - "$T/src" <<-'EOF'
	import os, sys
	for b in range(1, 31):
	    for i in range(1, 31):
	        d = os.path.join(sys.argv[1], "b%02d" % b, "i%02d" % i)
	        os.makedirs(d)
	        open(d + "/meta.json", "w").write(
	            '{"title":"Flood %d.%d","lang":"en","created":"2026-02-%02dT00:%02d:00Z"}'
	            % (b, i, b % 28 + 1, i))
	        open(d + "/body.md", "w").write("Flood item %d.%d.\n" % (b, i))
EOF
mkdir -p "$T/bundles" "$T/stage" "$T/inbox"
prev=$(head_of "$A")
for b in $(seq -w 1 30); do
	svd -C "$A" add --from "$T/src/b$b" --key "$T/ed.key" -q || { echo "add b$b failed"; exit 1; }
	if [ -n "$prev" ]; then
		svd -C "$A" export -q --level 1 -j 1 --since "$prev" -o "$T/bundles/b$b.tar.zst" || exit 1
	else
		svd -C "$A" export -q --level 1 -j 1 -o "$T/bundles/b$b.tar.zst" || exit 1
	fi
	prev=$(head_of "$A")
done
same "$(ids_of "$A" | wc -l)" 900 "the source archive holds 900 items in 30 commits"
nb=0
for f in "$T"/bundles/*.tar.zst; do
	n=$(tar --zstd -tf "$f" | grep -oE '^items/[0-9a-f]{2}/[0-9a-f]{64}' | sort -u | wc -l)
	[ "$n" -eq 30 ] && nb=$((nb + 1))
done
same "$nb" 30 "30 bundles of 30 items each"

# 900 good files: each bundle 30 times under other names
for f in "$T"/bundles/*.tar.zst; do
	b=$(basename "$f" .tar.zst)
	for c in $(seq -w 1 30); do cp "$f" "$T/stage/good-$b-$c.tar.zst"; done
done
# 100 junk files: 40 random, 30 truncated bundles, 30 empty
python3 - "$T/stage" "$T/bundles" <<-'EOF'
	import os, random, sys
	r = random.Random(1000)
	stage, bundles = sys.argv[1], sys.argv[2]
	for i in range(40):
	    open(os.path.join(stage, "junk-random-%02d.tar.zst" % i), "wb").write(
	        r.randbytes(r.randint(1, 20000)))
	for i in range(30):
	    data = open(os.path.join(bundles, "b%02d.tar.zst" % (i + 1)), "rb").read()
	    cut = r.randint(1, len(data) - 1)
	    open(os.path.join(stage, "junk-trunc-%02d.tar.zst" % i), "wb").write(data[:cut])
	for i in range(30):
	    open(os.path.join(stage, "junk-empty-%02d.tar.zst" % i), "wb").close()
EOF
same "$(ls "$T/stage" | wc -l)" 1000 "1,000 files staged: 900 good, 100 junk"
(cd "$T/stage" && sha256sum -- * | sort -k2) >"$T/before.sums"

R=$T/r
new_archive "$R" ed || exit 1
commits0=$(git --git-dir="$R/store.git" rev-list --count main 2>/dev/null || echo 0)
conf "$T/r.conf" "$R" "$T/inbox"
start_daemon "$T/r.conf" "$T/flood.log" && ok "the daemon starts" || not_ok "the daemon starts" "$(cat "$log")"
dpid=$pid

tf=$(date +%s%N)
cp -- "$T"/stage/* "$T/inbox/"
dropped=$((($(date +%s%N) - tf) / 1000000))
printf '# the 1,000 files were copied into the inbox in %d ms\n' "$dropped"

# a file is handled once the log gives its outcome
handled() {
	grep -oE "inbox: $T/inbox/[^:]+: (imported:|refused|the same bundle as)" "$log" |
		sed -E "s|^inbox: $T/inbox/||; s|: [a-z].*$||" | sort -u
}
tf=$(date +%s%N)
for _ in $(seq 1200); do
	[ "$(handled | wc -l)" -ge 1000 ] && break
	kill -0 "$pid" 2>/dev/null || break
	sleep 0.1
done
ms=$((($(date +%s%N) - tf) / 1000000))
printf '# the daemon handled the flood in %d ms\n' "$ms"
same "$(handled | wc -l)" 1000 "the log gives an outcome for every one of the 1,000 files"
kill -0 "$pid" 2>/dev/null && ok "the daemon is still running" || not_ok "the daemon is still running"
same "$(ids_of "$R")" "$(ids_of "$A")" "the receiver holds every one of the 900 good items"

# each distinct bundle is imported once, every other copy is a duplicate
# (a truncated bundle handled first may already have brought some of its items)
same "$(grep -cE "inbox: $T/inbox/good-[^:]+: imported: 30 items: " "$log")" 30 \
	"each of the 30 distinct bundles is imported once"
same "$(grep -cE "inbox: $T/inbox/good-[^:]+: the same bundle as .*, imported\); not importing it again" "$log")" 870 \
	"the 870 other copies are known as duplicates"
same "$(grep -oE "inbox: $T/inbox/[^:]+: imported: [0-9]+ items: [0-9]+ added" "$log" |
	awk '{s += $(NF-1)} END {print s + 0}')" 900 "900 items added in all, none twice"
same "$(($(git --git-dir="$R/store.git" rev-list --count main) - commits0))" 30 "one commit per distinct bundle"

# junk: random bytes and empty files are refused (random bytes look like a
# bundle sealed for other mirrors: recorded as "nokey", so the same bytes
# met again are tried again, as are the 30 identical empty files); a truncated
# bundle is logged as damaged, then refused or imported in part (its sound
# items), at warn level
bad=
for f in $(ls "$T/stage" | grep -E '^junk-(random|empty)-'); do
	grep -qE "inbox: $T/inbox/$f: (refused|the same bundle as .*, refused\); not importing)" "$log" ||
		bad="$bad $f=[$(grep -F "inbox: $T/inbox/$f:" "$log" | tail -n 1 | cut -c1-160)]"
done
same "${bad:-none}" none "each of the 70 random or empty junk files is logged as refused"
bad=
for f in $(ls "$T/stage" | grep -E '^junk-trunc-'); do
	grep -qE "^(<4>|warn: )inbox: $T/inbox/$f: damaged at byte " "$log" &&
		grep -qE "^(<4>|warn: )inbox: $T/inbox/$f: (refused: not a readable bundle|imported: .*(lost to damage|already here))" "$log" ||
		bad="$bad $f=[$(grep -F "inbox: $T/inbox/$f:" "$log" | tail -n 1 | cut -c1-160)]"
done
same "${bad:-none}" none "each of the 30 truncated bundles is logged as damaged, with a warning"
same "$(grep -E "/junk-" "$R/daemon-state/imported" | awk '{print $6}' | grep -cvE '^(refused|nokey|partly|duplicate)$')" 0 \
	"no junk file is recorded as imported whole"
for k in random trunc empty; do
	printf '# junk-%s: %d refused outright, %d as a duplicate of refused junk, %d imported in part\n' "$k" \
		"$(grep -cE "inbox: $T/inbox/junk-$k-[0-9]+\.tar\.zst: refused" "$log")" \
		"$(grep -cE "inbox: $T/inbox/junk-$k-[0-9]+\.tar\.zst: the same bundle as .*refused\)" "$log")" \
		"$(grep -cE "inbox: $T/inbox/junk-$k-[0-9]+\.tar\.zst: imported:" "$log")"
done
same "$(grep -cE "inbox: $T/inbox/[^:]+: (cannot|.*trying again)" "$log")" 0 "no file had to be retried"

(cd "$T/inbox" && sha256sum -- * | sort -k2) >"$T/after.sums"
if cmp -s "$T/before.sums" "$T/after.sums"; then
	ok "no inbox file was removed, added or changed (sha256 lists match)"
else
	not_ok "no inbox file was removed, added or changed" "$(diff "$T/before.sums" "$T/after.sums" | head -n 5)"
fi

hwm=$(awk '/^VmHWM:/ {print $2}' "/proc/$pid/status" 2>/dev/null)
printf '# the daemon peak memory (VmHWM): %s kB\n' "${hwm:-?}"
# AddressSanitizer's shadow memory and quarantine make any figure meaningless
if ldd "$D" 2>/dev/null | grep -q libasan; then
	ok "the daemon's peak memory is not judged under AddressSanitizer (${hwm:-?} kB)"
elif [ -n "$hwm" ] && [ "$hwm" -lt $((128 * 1024)) ]; then
	ok "the daemon peak memory is below 128 MiB (${hwm} kB)"
else
	not_ok "the daemon peak memory is below 128 MiB" "VmHWM=${hwm:-unknown} kB"
fi

check "samvydav verify passes on the receiver" svd -C "$R" verify -q
check "git fsck --full --strict is clean on the receiver" fsck_clean "$R"
# a few rescans later nothing is handled again
sleep 2.5
same "$(grep -cE "inbox: $T/inbox/.*: (imported|refused|the same bundle)" "$log")" 1000 \
	"later rescans handle no file again"
stop_daemon
same "$?" 0 "the daemon stops on SIGTERM after the flood"

########################################## 2. SIGKILL during an inbox import

S=$T/sender
new_archive "$S" ed || exit 1
big_items "$T/bigsrc"
svd -C "$S" add --from "$T/bigsrc" --key "$T/ed.key" -q || exit 1
mkdir -p "$T/ex"
git --git-dir="$S/store.git" archive main | tar -x -C "$T/ex"
BIG=$T/big.tar.zst
craft write --level 1 "$BIG" "$T/ex" || exit 1
bigsum=$(sha256sum <"$BIG" | cut -d' ' -f1)

R0=$T/k0
own_item_archive "$R0" || exit 1
want=$(printf '%s\n' "$(ids_of "$S")" "$(ids_of "$R0")" | sort)

# The bundle is in the inbox before the daemon starts (settle 0: imported
# at the first scan), and the daemon stops itself at the point.
K=$T/k
conf "$T/k.conf" "$K" "$T/kin" 0
for at in txn.staged:1 txn.staged:150 pack.object:900 bundle.read pack.written pack.renamed \
	txn.packed txn.committed inbox.recorded; do
	what="after a SIGKILL at $at"
	rm -rf "$K" "$T/kin" "$T/pause"
	cp -a "$R0" "$K"
	mkdir -p "$T/kin"
	ln "$BIG" "$T/kin/big.tar.zst"
	old=$(head_of "$K")
	klog=$T/k-${at/:/-}.log
	SVD_PAUSE_AT=$at SVD_PAUSE_FILE=$T/pause start_daemon "$T/k.conf" "$klog" ||
		not_ok "$what: the daemon starts" "$(cat "$klog")"
	kill_at "$at" daemon "$pid" "$klog"
	pid=
	new=$(head_of "$K")
	check "$what: git fsck --full --strict is clean" fsck_clean "$K"
	if [ "$new" = "$old" ]; then
		ok "$what: main is the old commit"
		state=old
	elif [ "$(git --git-dir="$K/store.git" rev-parse -q --verify "$new^" 2>/dev/null || true)" = "$old" ] &&
		[ "$(ids_of "$K")" = "$want" ]; then
		ok "$what: main is the whole new commit"
		state=new
	else
		not_ok "$what: main is old or the whole new commit" "old=$old new=$new"
		state=bad
	fi
	check "$what: verify passes" svd -C "$K" verify -q
	recorded=no
	grep -q "$bigsum" "$K/daemon-state/imported" 2>/dev/null && recorded=yes
	# the point comes after the record is written and synced: a kill there
	# that finds no record means the record was never made
	if [ "$at" = inbox.recorded ] && [ "$recorded" != yes ]; then
		not_ok "$what: the bundle is recorded" "no line for $bigsum in $K/daemon-state/imported"
	fi
	if [ "$recorded" = yes ] && [ "$state" != new ]; then
		not_ok "$what: the bundle is recorded as imported only with the new commit" "recorded, main=$state"
	else
		ok "$what: the bundle is recorded as imported only with the new commit (recorded=$recorded, main=$state)"
	fi
	# the restarted daemon's lines only
	klog0=$klog
	klog=$T/k-${at/:/-}-restart.log
	start_daemon "$T/k.conf" "$klog" || not_ok "$what: the daemon restarts" "$(tail -n 3 "$klog")"
	if [ "$recorded" = no ]; then
		wait_log "inbox: $T/kin/big.tar.zst: imported:" 600 && ok "$what: the restarted daemon imports the bundle" ||
			not_ok "$what: the restarted daemon imports the bundle" "$(tail -n 3 "$klog")"
	else
		# a junk file dropped after the start may still meet the bundle in
		# the daemon's first scan (the start line comes before it), and be
		# refused before the bundle is looked at; a second one, dropped
		# after the first was refused, is found by a later scan, when
		# whatever the first scan found has been handled
		printf 'not a bundle' >"$T/marker" && mv "$T/marker" "$T/kin/marker.tar.zst"
		printf 'not a bundle either' >"$T/marker" &&
			wait_log "inbox: $T/kin/marker.tar.zst: refused" 600 &&
			mv "$T/marker" "$T/kin/marker2.tar.zst" &&
			wait_log "inbox: $T/kin/marker2.tar.zst: refused" 600 &&
			! grep -q "inbox: $T/kin/big.tar.zst: imported:" "$klog" &&
			ok "$what: the bundle was recorded with its commit; the restarted daemon leaves it" ||
			not_ok "$what: the restarted daemon leaves the bundle recorded with its commit" "$(tail -n 3 "$klog")"
	fi
	same "$(ids_of "$K")" "$want" "$what: every item is there in the end (301)"
	check "$what: verify passes at the end" svd -C "$K" verify -q
	stop_daemon
	same "$?" 0 "$what: the restarted daemon stops on SIGTERM"
	# only once the daemon is gone: its own next step may hold a lock or a
	# temporary pack for a moment after the log line waited for above
	left=$(find "$K/store.git" -name 'tmp_svd_*' -o -name '*.lock')
	same "$left" "" "$what: no temporary pack or lock is left"
	if grep -q "^<3>\|^error" "$klog0" "$klog"; then not_ok "$what: no error in the logs" "$(grep "^<3>\|^error" "$klog0" "$klog" | head -n 3)"; else ok "$what: no error in the logs"; fi
done

printf '# the whole test took %d s\n' $((($(date +%s%N) - t0) / 1000000000))
finish
