#!/usr/bin/env bash
# The outbox: each run writes a full bundle and, when main moved since the
# last full one, an incremental bundle of exactly what is new; old runs are
# pruned together (full and incremental), newest kept.
. "$(dirname "$0")/lib.sh"

D=${SVD_BUILD_DIR:?}/daemon/samvydavd
A=$T/a
new_archive "$A" ed
mkdir -p "$T/outbox"
printf 'x\n' >"$T/b.md"
add() { svd -C "$A" add --kind article --title "$1" --lang en --body "$T/b.md" --key "$T/ed.key" >/dev/null; }
printf '[archive]\n\tpath = %s\n[outbox]\n\tfolder = %s\n\tkeep = 2\n[http]\n\tenabled = false\n' \
	"$A" "$T/outbox" >"$T/d.conf"

add "One"
check "a first run writes a full bundle" "$D" -c "$T/d.conf" --once
same "$(ls "$T/outbox" | grep -c -- '-new')" 0 "and no incremental one: there was no full one before"
sleep 1 # stamps are to the second
before=$(svd -C "$A" list --json | python3 -c 'import json,sys; print(" ".join(sorted(r["id"] for r in json.load(sys.stdin))))')
add "Two"
add "Three"
check "a second run" "$D" -c "$T/d.conf" --once
new=$(ls "$T/outbox"/*-new.tar.zst)
same "$(tar --zstd -xOf "$new" BUNDLE.json | python3 -c 'import json,sys; print(json.load(sys.stdin)["count"])')" 2 \
	"the incremental bundle holds exactly the two new items"
tar --zstd -xOf "$new" BUNDLE.json | python3 -c '
import json,sys
ids=set(json.load(sys.stdin)["ids"]); old=set(sys.argv[1].split())
assert not ids & old, "an old item in the incremental bundle"' "$before" &&
	ok "and none of the old ones" || not_ok "the incremental bundle holds old items"
check "zstd -t accepts it" zstd -q -t "$new"
full=$(ls "$T/outbox"/samvydav-*Z.tar.zst | sort | tail -n 1)
same "$(tar --zstd -xOf "$full" BUNDLE.json | python3 -c 'import json,sys; print(json.load(sys.stdin)["count"])')" 3 \
	"the full bundle holds all three"
sleep 1
check "a third run with nothing new" "$D" -c "$T/d.conf" --once
same "$(ls "$T/outbox" | grep -c -- '-new')" 1 "writes no incremental bundle"
same "$(ls "$T/outbox" | grep -vc -- '-new')" 2 "and keeps the newest two full bundles"

# a co-signature added since the last full bundle goes in the next
# incremental one as a signature update (SPEC 9.2)
sleep 1
svd key generate --no-passphrase -o "$T/co.key" -p "$T/co.pub" >/dev/null
svd -C "$A" trust add "$T/co.pub" >/dev/null
one=$(echo "$before" | cut -d' ' -f1)
svd -C "$A" sign "$one" --key "$T/co.key" >/dev/null
check "a run after a co-signature" "$D" -c "$T/d.conf" --once
new=$(ls "$T/outbox"/*-new.tar.zst | sort | tail -n 1)
same "$(tar --zstd -xOf "$new" BUNDLE.json | python3 -c 'import json,sys; j=json.load(sys.stdin); print(j["format"], j["count"], j["updates"])')" \
	"2 0 ['$one']" "the incremental bundle holds the co-signature as an update, and no item"

finish
