#!/usr/bin/env bash
# samvydavd's inbox and sticks: a bundle copied into a watched folder is
# imported once it settles, and the file stays; the same bundle under
# another name is not imported twice; junk is refused and logged while the
# daemon keeps running; a courier's stick (samvydav/bundles, samvydav/have)
# is synced end to end between two mirrors that end with the same tree.
. "$(dirname "$0")/lib.sh"

daemon_scenario


# add_items ARCHIVE PREFIX N: N items signed by ed
add_items() {
	local i
	for i in $(seq "$3"); do
		printf '%s %s\n' "$2" "$i" >"$T/body.md"
		svd -C "$1" add --kind article --title "$2 $i" --lang en --body "$T/body.md" \
			--created 2026-01-0${i}T00:00:00Z --key "$T/ed.key" >/dev/null || return 1
	done
}

# bundle_ids FILE: the item ids a bundle holds, sorted
bundle_ids() {
	tar --zstd -tf "$1" | grep -oE '^items/[0-9a-f]{2}/[0-9a-f]{64}' | cut -d/ -f3 | sort -u
}

A=$T/a
B=$T/b
C=$T/c
new_archive "$A" ed && new_archive "$B" ed && new_archive "$C" ed &&
	add_items "$A" alpha 2 && add_items "$B" beta 3 && add_items "$C" gamma 2 &&
	ok "three archives with their own items" || not_ok "three archives with their own items"
svd -C "$C" export -q -o "$T/c.tar.zst" >/dev/null 2>&1
mkdir -p "$T/inbox" "$T/media"

cat >"$T/a.conf" <<EOF
[archive]
	path = $A
[inbox]
	folder = $T/inbox
	folder = $T/media
	settle = 1
	rescan = 1
[http]
	enabled = false
[log]
	level = debug
EOF
log=$T/daemon.log
"$D" -c "$T/a.conf" 2>"$log" &
pid=$!
wait_log "samvydavd 0.1.0: archive .*2 inbox folders" && ok "the daemon starts with two inbox folders" ||
	not_ok "the daemon starts with two inbox folders" "$(cat "$log")"

# a bundle copied into the inbox
cp "$T/c.tar.zst" "$T/inbox/first.tar.zst"
sum=$(sha256sum <"$T/inbox/first.tar.zst")
wait_log "inbox: $T/inbox/first.tar.zst: imported" && ok "a bundle in the inbox is imported" ||
	not_ok "a bundle in the inbox is imported" "$(tail -n 5 "$log")"
missing=$(comm -13 <(ids_of "$A") <(ids_of "$C"))
same "$missing" "" "A holds every item of the bundle"
svd -C "$A" list | grep -q "gamma 2" && ok "list shows the imported items" ||
	not_ok "list shows the imported items" "$(svd -C "$A" list 2>&1 | tail -n 3)"
same "$(sha256sum <"$T/inbox/first.tar.zst")" "$sum" "the bundle file is still there, unchanged"
grep -q "first.tar.zst" "$A/daemon-state/imported" && ok "it is recorded in ARCHIVE/daemon-state/imported" ||
	not_ok "it is recorded in ARCHIVE/daemon-state/imported"
headA=$(head_of "$A")

# the same bundle again under another name
cp "$T/c.tar.zst" "$T/inbox/again.tar.zst"
wait_log "inbox: $T/inbox/again.tar.zst: the same bundle as $T/inbox/first.tar.zst.*not importing it again" &&
	ok "the same bundle under another name is not imported twice (the log says so)" ||
	not_ok "the same bundle under another name is not imported twice (the log says so)" "$(tail -n 5 "$log")"
same "$(head_of "$A")" "$headA" "main is unchanged"
[ -f "$T/inbox/again.tar.zst" ] && ok "and that file is left too" || not_ok "and that file is left too"

# a file still being written waits for settle; junk is refused, logged, kept
head -c 3000 /dev/urandom >"$T/inbox/x.tar.zst"
wait_log "inbox: $T/inbox/x.tar.zst: refused" && ok "a junk x.tar.zst is refused and logged with its reason" ||
	not_ok "a junk x.tar.zst is refused and logged with its reason" "$(tail -n 5 "$log")"
grep -q "x.tar.zst: damaged at byte 0" "$log" && ok "the reason names the damage" ||
	not_ok "the reason names the damage" "$(grep x.tar.zst "$log")"
sleep 2.5
same "$(grep -c "inbox: $T/inbox/x.tar.zst: refused" "$log")" 1 "the junk file is refused once, not at every rescan"
kill -0 "$pid" 2>/dev/null && ok "the daemon keeps running" || not_ok "the daemon keeps running"
[ -f "$T/inbox/x.tar.zst" ] && ok "the junk file is not removed" || not_ok "the junk file is not removed"
same "$(head_of "$A")" "$headA" "and main is unchanged by it"

# the archive's write lock held by a samvydav command: the import waits and retries
if command -v flock >/dev/null; then
	add_items "$C" delta 1 && svd -C "$C" export -q -o "$T/c2.tar.zst" >/dev/null 2>&1
	flock -x "$A/lock" sleep 3 &
	holder=$!
	sleep 0.3
	cp "$T/c2.tar.zst" "$T/inbox/busy.tar.zst"
	wait_log "inbox: $T/inbox/busy.tar.zst: the archive is busy.*trying again" &&
		ok "a busy archive is logged and the import is put off" ||
		not_ok "a busy archive is logged and the import is put off" "$(tail -n 3 "$log")"
	wait "$holder"
	wait_log "inbox: $T/inbox/busy.tar.zst: imported" && ok "and done once the lock is free" ||
		not_ok "and done once the lock is free" "$(tail -n 3 "$log")"
fi

# a courier's stick from B, mounted in the second folder
Bid=$(cat "$B/mirror-id")
Aid=$(cat "$A/mirror-id")
S=$T/stage/samvydav
mkdir -p "$S/bundles" "$S/have"
svd -C "$B" have -o "$S/have/$Bid.have" >/dev/null
svd -C "$B" export -q -o "$S/bundles/from-b.tar.zst" >/dev/null 2>&1
ids_of "$A" >"$T/a-before.ids"
ids_of "$B" >"$T/b.ids"
comm -23 "$T/a-before.ids" "$T/b.ids" >"$T/b-lacks.ids"
mv "$T/stage/samvydav" "$T/media/samvydav"
wait_log "stick $T/media/samvydav: .*you may remove it now" && ok "the stick is synced and the log says it may be removed" ||
	not_ok "the stick is synced and the log says it may be removed" "$(tail -n 8 "$log")"
same "$(comm -13 <(ids_of "$A") "$T/b.ids")" "" "A imported B's bundle from the stick"
forb=$(ls "$T/media/samvydav/bundles" | grep -E "^for-$Bid-[0-9]{8}T[0-9]{6}Z\.tar\.zst$")
same "$(printf '%s\n' "$forb" | grep -c .)" 1 "the stick holds one bundle for B, named for-<B>-<UTC time>.tar.zst"
same "$(bundle_ids "$T/media/samvydav/bundles/$forb")" "$(cat "$T/b-lacks.ids")" \
	"it holds exactly what B lacked"
[ -f "$T/media/samvydav/have/$Aid.have" ] && head -n 2 "$T/media/samvydav/have/$Aid.have" | grep -q "mirror $Aid" &&
	ok "the stick holds A's own have-file" || not_ok "the stick holds A's own have-file"
[ -f "$T/media/samvydav/bundles/from-b.tar.zst" ] && ok "B's bundle is left on the stick" ||
	not_ok "B's bundle is left on the stick"
kill -HUP "$pid"
sleep 2.5
same "$(grep -c "stick $T/media/samvydav: .*you may remove it now" "$log")" 1 \
	"a stick that stays is synced once (a reload in between too)"

# the courier comes back to A before going to B: nothing is written twice
mv "$T/media/samvydav" "$T/stage/samvydav"
sleep 2.5
mv "$T/stage/samvydav" "$T/media/samvydav"
for _ in $(seq 200); do
	[ "$(grep -c "stick $T/media/samvydav: .*you may remove it now" "$log")" -ge 2 ] && break
	sleep 0.1
done
same "$(grep -c "stick $T/media/samvydav: .*you may remove it now" "$log")" 2 "a stick put back is synced again"
grep -q "stick $T/media/samvydav: mirror $Bid lacks nothing" "$log" &&
	ok "what the stick already carries for B is not written again" ||
	not_ok "what the stick already carries for B is not written again" "$(tail -n 5 "$log")"
same "$(ls "$T/media/samvydav/bundles" | grep -c "^for-$Bid-")" 1 "still one bundle for B on the stick"

# the courier goes back to B
check "B imports the bundle from the stick" svd -C "$B" import -q "$T/media/samvydav/bundles/$forb"
same "$(ids_of "$B")" "$(ids_of "$A")" "A and B hold the same items"
same "$(git --git-dir="$B/store.git" rev-parse 'main^{tree}')" \
	"$(git --git-dir="$A/store.git" rev-parse 'main^{tree}')" "A and B hold the same main tree"
check "A's store is healthy" fsck_clean "$A"

kill -TERM "$pid"
wait "$pid"
rc=$?
pid=
same "$rc" 0 "the daemon stops on SIGTERM"
if grep -q "ERROR\|^<3>" "$log"; then not_ok "no error in the log" "$(grep "^<3>" "$log")"; else ok "no error in the log"; fi

# a crash mid-record leaves a torn last line in daemon-state/imported: on
# restart it is dropped, what was recorded before still counts, and the
# next record is a whole line of its own
printf '%s' "0123456789abcdef torn" >>"$A/daemon-state/imported"
lines_before=$(grep -c '^[0-9a-f]\{64\} ' "$A/daemon-state/imported")
add_items "$C" delta 1
svd -C "$C" export -q -o "$T/c2.tar.zst" >/dev/null 2>&1
"$D" -c "$T/a.conf" 2>"$log.2" &
pid=$!
log=$log.2
cp "$T/c2.tar.zst" "$T/inbox/after-crash.tar.zst"
wait_log "inbox: $T/inbox/after-crash.tar.zst: imported" &&
	ok "after a torn record, a new bundle is imported" ||
	not_ok "after a torn record, a new bundle is imported" "$(tail -n 5 "$log")"
if grep -q "inbox: $T/inbox/first.tar.zst: imported" "$log"; then
	not_ok "a bundle recorded before the torn line is not imported again"
else
	ok "a bundle recorded before the torn line is not imported again"
fi
grep -q 'torn' "$A/daemon-state/imported" && not_ok "the torn line is dropped" ||
	ok "the torn line is dropped"
same "$(grep -c '^[0-9a-f]\{64\} ' "$A/daemon-state/imported")" "$((lines_before + 1))" \
	"the new record is one whole line"
kill -TERM "$pid"
wait "$pid"
pid=

finish
