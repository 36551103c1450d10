#!/usr/bin/env bash
# samvydavd and sealed bundles (SPEC.md 12): a mirror whose network has
# mirrors writes sealed bundles into its outbox, named with 16 random hex
# digits; a mirror of the network imports them and an outsider cannot;
# /bundle/latest serves the newest under its random name; keep prunes them
# by modification time, incremental ones with their full bundle; a sealed
# bundle dropped into the inbox is imported; one sealed for someone else is
# refused once, logged under its escaped name, and not tried again; with
# [outbox] sealed = no the outbox stays plain .tar.zst.
. "$(dirname "$0")/lib.sh"

daemon_scenario

# add_items ARCHIVE PREFIX N: N items signed by ed
add_items() {
	local i
	for i in $(seq "$3"); do
		printf '%s %s\n' "$2" "$i" >"$T/body.md"
		svd -C "$1" add --kind article --title "$2 $i" --lang en --body "$T/body.md" \
			--key "$T/ed.key" >/dev/null || return 1
	done
}

# sealed_files DIR: the names in DIR of 16 lowercase hex digits, one a line
sealed_files() { ls "$1" | grep -E '^[0-9a-f]{16}$'; }

# drop FILE NAME: FILE into the inbox as NAME, whole at once (settle is 0)
drop() {
	cp "$1" "$T/inbox/.copying" && mv "$T/inbox/.copying" "$T/inbox/$2"
}

# newest DIR: the most recently modified sealed file of DIR
newest() { ls -t "$1" | grep -E '^[0-9a-f]{16}$' | head -n 1; }

# A keeps the daemon; B is a mirror of its network; O is an outsider that
# knows A's public key but is not a recipient (C, its own network, is not A's)
A=$T/a
B=$T/b
O=$T/o
C=$T/c
new_archive "$A" ed && new_archive "$B" ed && new_archive "$O" ed && new_archive "$C" ed &&
	add_items "$A" alpha 2 && add_items "$B" beta 2 && add_items "$O" omega 1 &&
	ok "four archives with items" || not_ok "four archives with items"
svd -C "$A" network key -o "$T/a.pub" 2>/dev/null
svd -C "$B" network key -o "$T/b.pub" 2>/dev/null
svd -C "$C" network key -o "$T/c.pub" 2>/dev/null
check "A's network: B" svd -C "$A" network add "$T/b.pub"
check "B's network: A" svd -C "$B" network add "$T/a.pub"
check "the outsider knows A's key, and is no recipient" svd -C "$O" network add "$T/a.pub"

mkdir -p "$T/outbox" "$T/inbox" "$T/plain"
conf() {
	printf '[archive]\n\tpath = %s\n[outbox]\n\tfolder = %s\n\tkeep = 2\n' "$A" "$1"
	[ -n "${2:-}" ] && printf '\tsealed = %s\n' "$2"
	printf '[inbox]\n\tfolder = %s\n\tsettle = 0\n\trescan = 1\n' "$T/inbox"
	printf '[http]\n\tenabled = false\n[log]\n\tlevel = debug\n'
}
conf "$T/outbox" >"$T/a.conf"

# --once with sealed = auto (the default) and a network with a mirror
expect_exit 0 "outbox: wrote .*sealed for this mirror and 1 of the network" \
	"--once writes a sealed bundle (sealed = auto, the network has a mirror)" \
	"$D" -c "$T/a.conf" --once
first=$(sealed_files "$T/outbox")
same "$(ls "$T/outbox" | grep -vc '^\.writing$')" 1 "the outbox holds one file"
same "$(printf '%s\n' "$first" | grep -cE '^[0-9a-f]{16}$')" 1 "named with 16 hex digits, no stamp, no extension"
ls "$T/outbox" | grep -q 'samvydav\|tar\|zst' && not_ok "no name in the outbox says what it is" "$(ls "$T/outbox")" ||
	ok "no name in the outbox says what it is"
if zstd -q -t "$T/outbox/$first" 2>/dev/null || grep -qa 'BUNDLE.json\|samvydav' "$T/outbox/$first"; then
	not_ok "the file is no zstd stream and holds nothing in the clear"
else
	ok "the file is no zstd stream and holds nothing in the clear"
fi
[ -z "$(ls -A "$T/outbox/.writing" 2>/dev/null)" ] && ok "nothing is left in the outbox's .writing" ||
	not_ok "nothing is left in the outbox's .writing" "$(ls -A "$T/outbox/.writing")"

check "B, a mirror of the network, imports it" svd -C "$B" import -q "$T/outbox/$first"
same "$(comm -23 <(ids_of "$A") <(ids_of "$B"))" "" "B now holds every item of A"
expect_exit 1 "no key of this mirror" "the outsider cannot import it: exit 1" svd -C "$O" import "$T/outbox/$first"
same "$(ids_of "$O" | wc -l)" 1 "and the outsider's archive is unchanged"

# a second and a third run, each after new items: incremental and full
# bundles, sealed; keep = 2 prunes the first run's, by modification time
add_items "$A" gamma 1
check "a second run" "$D" -c "$T/a.conf" --once
second=$(newest "$T/outbox")
same "$(sealed_files "$T/outbox" | wc -l)" 3 "the second run writes an incremental and a full bundle"
inc=$(sealed_files "$T/outbox" | grep -vxF -e "$first" -e "$second")
[ -n "$inc" ] && grep -qx "$inc" "$A/daemon-state/outbox-new" &&
	ok "the incremental one is noted in daemon-state/outbox-new" ||
	not_ok "the incremental one is noted in daemon-state/outbox-new" "inc=$inc: $(cat "$A/daemon-state/outbox-new" 2>&1)"
svd -C "$B" import -q "$T/outbox/$inc" >/dev/null 2>&1
same "$(comm -23 <(ids_of "$A") <(ids_of "$B"))" "" "B imports the incremental one: what is new since the first"
add_items "$A" delta 1
check "a third run" "$D" -c "$T/a.conf" --once
third=$(newest "$T/outbox")
[ ! -e "$T/outbox/$first" ] && [ -e "$T/outbox/$second" ] && [ -e "$T/outbox/$inc" ] && [ -e "$T/outbox/$third" ] &&
	ok "keep = 2: the first run's bundle is pruned, the second run's stay with its incremental one" ||
	not_ok "keep = 2: the first run's bundle is pruned, the second run's stay with its incremental one" "$(ls -l --time-style=full-iso "$T/outbox")"
same "$(sealed_files "$T/outbox" | wc -l)" 4 "two runs of two files each"

# /bundle/latest: the newest, under its random name
for attempt in 1 2 3; do
	port=$(free_port)
	conf "$T/outbox" | sed "s|\tenabled = false|\tlisten = 127.0.0.1:$port|" >"$T/a.conf"
	log=$T/daemon.log
	: >"$log"
	"$D" -c "$T/a.conf" 2>"$log" &
	pid=$!
	wait_log "http: serving|http: cannot" 600
	grep -q "http: cannot.*in use" "$log" || break
	kill -TERM "$pid" 2>/dev/null
	wait "$pid"
	pid=
done
grep -q "network: this mirror's encryption key [0-9A-F-]\{19\}; 1 mirror in the network" "$log" &&
	ok "the daemon logs its key's fingerprint and the network at start" ||
	not_ok "the daemon logs its key's fingerprint and the network at start" "$(head -n 3 "$log")"
curl -s -D "$T/headers" -o "$T/latest" "http://127.0.0.1:$port/bundle/latest"
cmp -s "$T/latest" "$T/outbox/$third" && ok "/bundle/latest serves the newest sealed bundle" ||
	not_ok "/bundle/latest serves the newest sealed bundle" "$(head -n 5 "$T/headers")"
disp=$(grep -i '^content-disposition:' "$T/headers" | tr -d '\r')
same "$disp" "Content-Disposition: attachment; filename=\"$third\"" "its download name is its random name"
printf '%s' "$disp" | grep -qiE 'samvydav|\.tar\.zst' && not_ok "the download name names neither the project nor the format" "$disp" ||
	ok "the download name names neither the project nor the format"
grep -qi '^content-type: application/octet-stream' "$T/headers" && ok "served as application/octet-stream" ||
	not_ok "served as application/octet-stream" "$(cat "$T/headers")"
check "B imports what /bundle/latest served" svd -C "$B" import -q "$T/latest"

# the inbox: a sealed bundle from B is imported
add_items "$B" beta-new 1
svd -C "$B" export -q --network -o "$T/from-b" >/dev/null 2>&1
name=$(svd -C "$B" network key 2>/dev/null | sha256sum | cut -c1-16)
drop "$T/from-b" "$name"
wait_log "inbox: $T/inbox/$name: imported \(sealed\)" && ok "a sealed bundle dropped into the inbox is imported" ||
	not_ok "a sealed bundle dropped into the inbox is imported" "$(tail -n 5 "$log")"
same "$(comm -13 <(ids_of "$A") <(ids_of "$B"))" "" "A holds every item of B"

# one sealed for someone else (C, not in A's network), under a name with a
# line break in it: refused, logged once with the name escaped
svd -C "$O" export -q --to "$T/c.pub" -o "$T/for-c" >/dev/null 2>&1
drop "$T/for-c" "for"$'\n'"c"
wait_log "inbox: $T/inbox/for\\\\x0ac: refused: no key of this mirror opens it" &&
	ok "a bundle sealed for someone else is refused and logged under its escaped name" ||
	not_ok "a bundle sealed for someone else is refused and logged under its escaped name" "$(tail -n 5 "$log")"
grep -q "nokey $T/inbox/for\\\\x0ac\$" "$A/daemon-state/imported" && ok "it is recorded (nokey)" ||
	not_ok "it is recorded (nokey)" "$(tail -n 3 "$A/daemon-state/imported")"
# later scans (the one that finds the next bundle among them) leave it alone
add_items "$B" beta-later 1
svd -C "$B" export -q --network -o "$T/later" >/dev/null 2>&1
drop "$T/later" later
wait_log "inbox: $T/inbox/later: imported \(sealed\)" && ok "a later bundle is imported" ||
	not_ok "a later bundle is imported" "$(tail -n 5 "$log")"
same "$(grep -c "inbox: $T/inbox/for.*refused" "$log")" 1 "the bundle for someone else is refused once, not at every scan"
same "$(grep -vc '^<[0-7]>' "$log")" 0 "every log line is a whole line of its own (no raw line break from a name)"
kill -0 "$pid" 2>/dev/null && ok "the daemon keeps running" || not_ok "the daemon keeps running"

# a mirror added later: after a reload, its sealed bundle opens
D2=$T/d2
new_archive "$D2" ed && add_items "$D2" epsilon 1 && svd -C "$D2" network add "$T/a.pub" >/dev/null 2>&1
svd -C "$D2" network key -o "$T/d2.pub" 2>/dev/null
svd -C "$D2" export -q --network -o "$T/from-d2" >/dev/null 2>&1
svd -C "$A" network add "$T/d2.pub" >/dev/null 2>&1
kill -HUP "$pid"
wait_log "network: .*2 mirrors in the network" && ok "a reload reads the network again" ||
	not_ok "a reload reads the network again" "$(tail -n 3 "$log")"
drop "$T/from-d2" from-d2
wait_log "inbox: $T/inbox/from-d2: imported \(sealed\)" && ok "and a bundle from the mirror added is imported" ||
	not_ok "and a bundle from the mirror added is imported" "$(tail -n 5 "$log")"
stop_daemon
same "$?" 0 "the daemon stops on SIGTERM"
if grep -q "^<3>" "$log"; then not_ok "no error in the log" "$(grep "^<3>" "$log")"; else ok "no error in the log"; fi

# a courier's stick in the sealed layout, in the folder [sticks] folder names
add_items "$A" zeta 1
mkdir -p "$T/stage" "$T/media"
check "B writes its sealed have-file onto a stick" svd -C "$B" stick -q --folder courier "$T/stage"
printf '[archive]\n\tpath = %s\n[inbox]\n\tfolder = %s\n\tsettle = 0\n\trescan = 1\n' "$A" "$T/media" >"$T/stick.conf"
printf '[sticks]\n\tlayout = auto\n\tfolder = courier\n[http]\n\tenabled = false\n' >>"$T/stick.conf"
log=$T/stick.log
start_daemon "$T/stick.conf" "$log"
mv "$T/stage/courier" "$T/media/courier"
wait_log "stick $T/media/courier: .*have-file .* written \(sealed\); you may remove it now" &&
	ok "the daemon syncs with a sealed stick in [sticks] folder" ||
	not_ok "the daemon syncs with a sealed stick in [sticks] folder" "$(tail -n 5 "$log")"
same "$(ls "$T/media/courier" | grep -vcE '^[0-9a-f]{16}$')" 0 "every file on the stick has a random name"
[ ! -e "$T/media/samvydav" ] && ok "and no samvydav/ folder was made" || not_ok "and no samvydav/ folder was made"
stop_daemon
check "B takes what A wrote for it from the stick" svd -C "$B" stick -q --folder courier "$T/media"
same "$(comm -23 <(ids_of "$A") <(ids_of "$B"))" "" "B holds every item of A, the new one too"

# sealed = no: the outbox stays plain
conf "$T/plain" no >"$T/plain.conf"
check "--once with sealed = no" "$D" -c "$T/plain.conf" --once
plain=$(ls "$T/plain" | grep -v -- '-new\.')
printf '%s\n' "$plain" | grep -qxE 'samvydav-[0-9]{8}T[0-9]{6}Z\.tar\.zst' && ok "the outbox holds samvydav-<UTC time>.tar.zst" ||
	not_ok "the outbox holds samvydav-<UTC time>.tar.zst" "$plain"
check "zstd -t accepts it" zstd -q -t "$T/plain/$plain"
check "the outsider imports a plain bundle" svd -C "$O" import -q "$T/plain/$plain"

# an archive with no key pair yet (made before sealed files): made at start, logged
rm -rf "$A/network/secret"
expect_exit 0 "no encryption key pair; made one now, fingerprint [0-9A-F]{4}-" \
	"a daemon on an archive without a key pair makes one and logs its fingerprint" \
	"$D" -c "$T/plain.conf" --once
[ -s "$A/network/secret" ] && ok "network/secret is there" || not_ok "network/secret is there"

finish
