#!/usr/bin/env bash
# samvydav sync: a peer's items over git, through the gate, in one commit;
# a second sync takes nothing; an untrusted signer's item stays out.
. "$(dirname "$0")/lib.sh"

A=$T/a
B=$T/b
new_archive "$A" ed
new_archive "$B" ed
printf 'Текст\n' >"$T/body.md"
svd -C "$A" add --kind article --title "Перша" --lang uk --body "$T/body.md" --key "$T/ed.key" >/dev/null
svd -C "$A" add --kind article --title "Друга" --lang uk --body "$T/body.md" --key "$T/ed.key" >/dev/null
svd key generate --no-passphrase -o "$T/other.key" -p "$T/other.pub" >/dev/null
svd -C "$A" trust add "$T/other.pub" >/dev/null
svd -C "$A" add --kind article --title "Чужа" --lang uk --body "$T/body.md" --key "$T/other.key" >/dev/null

expect_exit 3 "refused from peer a: .*trust" "sync takes what passes and names the untrusted item" \
	svd -C "$B" sync a "file://$A/store.git"
same "$(svd -C "$B" list | wc -l)" 2 "the two items signed by a trusted key came in"
same "$(git --git-dir="$B/store.git" for-each-ref refs/quarantine/)" "" \
	"a peer in a folder here is read in place: no quarantine ref is left"
before=$(head_of "$B")
expect_exit 3 "" "a second sync still refuses the untrusted item" svd -C "$B" sync a "$A/store.git"
same "$(head_of "$B")" "$before" "and takes nothing new"
svd -C "$B" trust add "$T/other.pub" >/dev/null
check "once its signer is trusted, the item comes in" svd -C "$B" sync a "$A/store.git"
same "$(git --git-dir="$B/store.git" rev-parse 'main^{tree}')" "$(git --git-dir="$A/store.git" rev-parse 'main^{tree}')" \
	"both mirrors hold the same tree"
check "the synced archive verifies" svd -C "$B" verify -q
check "git fsck is clean" git --git-dir="$B/store.git" fsck --full --strict
expect_exit 2 "not a peer URL" "a bad URL exits 2" svd -C "$B" sync x "ftp://example.org/x"
expect_exit 2 "name" "a bad peer name exits 2" svd -C "$B" sync "../x" "$A/store.git"
expect_exit 1 "" "an unreachable peer exits 1" svd -C "$B" sync gone "file://$T/nowhere/store.git"
svd -C "$B" sync --json a "$A/store.git" | python3 -c '
import json,sys; d=json.load(sys.stdin); assert d["peer"]=="a" and d["accepted"]==0, d' &&
	ok "sync --json reports the peer and counts" || not_ok "sync --json"

finish
