#!/usr/bin/env bash
# Trust that survives a lost key (SPEC.md 7.3): roots and their threshold,
# certified editors, revocation by the key itself, checkpoints, who may
# retract, thresholds per kind, and the same view whatever the order in
# which statements arrive. Real archives, real bundles, real keys.
. "$(dirname "$0")/lib.sh"

command -v zstd >/dev/null || { echo "zstd is not installed"; exit 1; }

key() { svd key generate --no-passphrase -o "$T/$1.key" -p "$T/$1.pub" >/dev/null; }
keyid_of() { tail -n 1 "$T/$1.pub" | base64 -d | od -An -tx1 -j2 -N8 | tr -d ' \n' |
	python3 -c 'import sys; b=bytes.fromhex(sys.stdin.read()); print(b[::-1].hex().upper())'; }
for k in root1 root2 ed ed2; do key "$k" || { echo "cannot make key $k"; exit 1; }; done
ED=$(keyid_of ed)
[ -f "$T/ed.revoke" ] && ok "key generate writes a revocation certificate beside the key" ||
	not_ok "key generate writes a revocation certificate beside the key" "$(ls "$T")"

# shown ARCHIVE: the ids it shows, sorted
shown() { svd -C "$1" list --json | python3 -c 'import json,sys; print(" ".join(sorted(r["id"] for r in json.load(sys.stdin))))'; }
# state ARCHIVE ID: the view's state of one item
state() { svd -C "$1" list --all --json | python3 -c '
import json, sys
rows = {r["id"]: r for r in json.load(sys.stdin)}
print(rows[sys.argv[1]]["state"] if sys.argv[1] in rows else "absent")' "$2"; }
added() { local a=$1 k=$2; shift 2; svd -C "$a" add --key "$T/$k.key" "$@" | awk '/^Added/ {print $2}'; }
body() { printf '%s\n' "$1" >"$T/body.md"; printf '%s' "$T/body.md"; }

# The editors' own archive: E and E2 write there, trusting themselves.
E=$T/editors
svd init "$E" >/dev/null && svd -C "$E" trust add "$T/ed.pub" "$T/ed2.pub" >/dev/null
OLD=$(added "$E" ed --kind testimony --title 'Before the capture' --lang uk --body "$(body one)" \
	--created 2026-05-01T00:00:00Z)
OTHER=$(added "$E" ed2 --kind article --title 'By the second editor' --lang uk --body "$(body two)" \
	--created 2026-05-02T00:00:00Z)
same "${#OLD}${#OTHER}" 6464 "the editors add two items"

# A mirror that trusts two roots, two of them needed, and no editor.
M=$T/mirror
svd init "$M" >/dev/null
check "trust add --root" svd -C "$M" trust add --root "$T/root1.pub" "$T/root2.pub"
check "trust threshold roots 2" svd -C "$M" trust threshold roots 2
expect_exit 0 "threshold roots 2" "trust list shows the roots' threshold" svd -C "$M" trust list
expect_exit 2 "" "a threshold of 0 is refused" svd -C "$M" trust threshold roots 0
printf 'samvydav trust-policy 1\nroots two\n' >"$T/bad-policy"
cp "$M/trust-policy" "$T/good-policy"
cp "$T/bad-policy" "$M/trust-policy"
expect_exit 3 "trust-policy:2: not a policy line" "a damaged trust policy keeps the archive shut" \
	svd -C "$M" list
cp "$T/good-policy" "$M/trust-policy"

svd -C "$E" export -q -o "$T/editors.tar.zst" >/dev/null
expect_exit 3 "" "items by an editor no root certified are refused" svd -C "$M" import "$T/editors.tar.zst"
same "$(shown "$M")" "" "the mirror shows nothing yet"

# A certificate signed by one root of the two needed: kept, not in effect.
CERT=$(svd -C "$M" certify "$T/ed.pub" --key "$T/root1.key" --title 'Editor One' --json |
	python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
same "${#CERT}" 64 "a root certifies the editor's key"
same "$(state "$M" "$CERT")" statement "the certificate is a statement, not reader content"
svd -C "$M" list --all --json | python3 -c '
import json, sys
r = {x["id"]: x for x in json.load(sys.stdin)}[sys.argv[1]]
assert r["note"].startswith("not in effect"), r' "$CERT" &&
	ok "with one root of two it is not in effect" || not_ok "with one root of two it is not in effect"
check "the second root co-signs the certificate" svd -C "$M" sign "$CERT" --key "$T/root2.key"
svd -C "$M" import "$T/editors.tar.zst" >/dev/null
same "$(state "$M" "$OLD")" shown "the certified editor's item is shown, with no edit of the trust list"
same "$(state "$M" "$OTHER")" absent "the uncertified editor's item is refused at the door: not in the store"

# Thresholds per kind: two signatures for testimony.
check "trust threshold testimony 2" svd -C "$M" trust threshold testimony 2
same "$(state "$M" "$OLD")" pending "a testimony with one signature is pending"
expect_exit 0 "^${OLD:0:12}" "list --pending shows it" svd -C "$M" list --pending
svd -C "$M" export -q -o "$T/m1.tar.zst" >/dev/null
tar --zstd -tf "$T/m1.tar.zst" | grep -q "$OLD/manifest.json" &&
	ok "a pending item is carried, so that others can co-sign it" ||
	not_ok "a pending item is carried, so that others can co-sign it"
svd -C "$M" trust threshold testimony 1 >/dev/null
same "$(state "$M" "$OLD")" shown "back to one: shown again"

# The key is lost. A checkpoint by a root vouches for what was published
# before; then the key's own revocation certificate is published.
check "a root makes a checkpoint" svd -C "$M" checkpoint --key "$T/root1.key" --title 'Before the capture'
svd -C "$M" export -q -o "$T/before-revocation.tar.zst" >/dev/null
check "the editor's revocation certificate is published" svd -C "$M" revoke --publish "$T/ed.revoke"
same "$(state "$M" "$OLD")" shown "an item vouched for by a checkpoint stays shown after the revocation"

# The captor signs forged testimony with the captured key.
FORGED=$(added "$E" ed --kind testimony --title 'Forged' --lang uk --body "$(body forged)" \
	--created 2026-06-01T00:00:00Z)
svd -C "$E" export -q -o "$T/forged.tar.zst" >/dev/null
svd -C "$M" import "$T/forged.tar.zst" >/dev/null
st=$(state "$M" "$FORGED")
case $st in revoked | absent) ok "the forgery after the revocation is not shown ($st)" ;;
*) not_ok "the forgery after the revocation is not shown" "$st" ;; esac
svd -C "$M" list | grep -q "${FORGED:0:12}" && not_ok "list leaves the forgery out" || ok "list leaves the forgery out"
svd -C "$M" export -q -o "$T/m2.tar.zst" >/dev/null
tar --zstd -tf "$T/m2.tar.zst" | grep -q "$FORGED/" && not_ok "the forgery is not carried" ||
	ok "the forgery is not carried"

expect_exit 0 "signed only by revoked keys" \
	"verify passes: the certified editor's items are whole, the forgery is whole and hidden" \
	svd -C "$M" verify

# Replaying an older bundle restores nothing.
svd -C "$M" import "$T/before-revocation.tar.zst" >/dev/null
st=$(state "$M" "$FORGED")
[ "$st" != shown ] && ok "replaying a bundle from before the revocation restores nothing" ||
	not_ok "replaying a bundle from before the revocation restores nothing"

# Same items, any order: three mirrors take the statements and the forgery
# in three orders (revocation first, forgery first, all in one bundle).
svd -C "$M" export -q -o "$T/all.tar.zst" >/dev/null
for n in 1 2 3; do
	svd init "$T/o$n" >/dev/null
	svd -C "$T/o$n" trust add --root "$T/root1.pub" "$T/root2.pub" >/dev/null
	svd -C "$T/o$n" trust threshold roots 2 >/dev/null
done
svd -C "$T/o1" import "$T/all.tar.zst" >/dev/null
svd -C "$T/o1" import "$T/forged.tar.zst" >/dev/null
svd -C "$T/o2" import "$T/forged.tar.zst" >/dev/null
svd -C "$T/o2" import "$T/before-revocation.tar.zst" >/dev/null
svd -C "$T/o2" import "$T/all.tar.zst" >/dev/null
svd -C "$T/o2" import "$T/forged.tar.zst" >/dev/null
svd -C "$T/o3" import "$T/all.tar.zst" >/dev/null
want=$(shown "$M")
same "$(shown "$T/o1")" "$want" "revocation first: the same shown items"
same "$(shown "$T/o2")" "$want" "forgery first: the same shown items"
same "$(shown "$T/o3")" "$want" "all in one bundle: the same shown items"

# Who may retract: a second editor's retraction of the first's item has no effect.
svd -C "$M" certify "$T/ed2.pub" --key "$T/root1.key" --title 'Editor Two' --json >"$T/c2.json"
C2=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$T/c2.json")
svd -C "$M" sign "$C2" --key "$T/root2.key" >/dev/null
R=$(added "$M" ed2 --kind retraction --title 'Not mine to retract' --lang en --body "$(body no)" --retracts "$OLD" \
	--created 2026-06-02T00:00:00Z)
same "$(state "$M" "$OLD")" shown "a retraction by someone who did not sign the item does not withdraw it"
svd -C "$M" list --all --json | python3 -c '
import json, sys
r = {x["id"]: x for x in json.load(sys.stdin)}[sys.argv[1]]
assert r["state"] == "shown" and r.get("note", "").startswith("has no effect"), r' "$R" &&
	ok "the retraction is kept and shown as having no effect, with the reason" ||
	not_ok "the retraction is kept and shown as having no effect, with the reason"

# Through a peer and through a stick: P syncs from M, Q gets M's data on a
# courier's stick; both show what M shows, the forgery hidden.
for n in P Q; do
	svd init "$T/$n" >/dev/null
	svd -C "$T/$n" trust add --root "$T/root1.pub" "$T/root2.pub" >/dev/null
	svd -C "$T/$n" trust threshold roots 2 >/dev/null
done
svd -C "$T/P" sync m "$M/store.git" >/dev/null 2>&1
same "$(shown "$T/P")" "$(shown "$M")" "through a peer: the same shown items"
st=$(state "$T/P" "$FORGED")
[ "$st" != shown ] && ok "through a peer: the forgery is not shown ($st)" || not_ok "through a peer: the forgery is not shown"
mkdir -p "$T/stick"
svd -C "$T/Q" stick "$T/stick" >/dev/null 2>&1
svd -C "$M" stick "$T/stick" >/dev/null 2>&1
svd -C "$T/Q" stick "$T/stick" >/dev/null 2>&1
same "$(shown "$T/Q")" "$(shown "$M")" "through a stick: the same shown items"

# A threshold of two holds a testimony back until a second signature comes
# from another mirror: W and H trust both editors; H wants two per testimony.
for n in W H; do
	svd init "$T/$n" >/dev/null
	svd -C "$T/$n" trust add "$T/ed.pub" "$T/ed2.pub" >/dev/null
done
svd -C "$T/H" trust threshold testimony 2 >/dev/null
TWO=$(added "$T/W" ed --kind testimony --title 'Needs two' --lang uk --body "$(body two-needed)" \
	--created 2026-07-01T00:00:00Z)
svd -C "$T/W" export -q -o "$T/w1.tar.zst"
svd -C "$T/H" import "$T/w1.tar.zst" >/dev/null
same "$(state "$T/H" "$TWO")" pending "one signature of the two needed: pending"
check "the second editor co-signs on W" svd -C "$T/W" sign "$TWO" --key "$T/ed2.key"
svd -C "$T/H" have -o "$T/h.have" >/dev/null
svd -C "$T/W" export -q --have "$T/h.have" -o "$T/w2.tar.zst"
svd -C "$T/H" import "$T/w2.tar.zst" >/dev/null
same "$(state "$T/H" "$TWO")" shown "the second signature arrives from the other mirror: shown"

# Freshness: show and the status say the newest root statement's time.
expect_exit 0 "trust as of 20[0-9]{2}-" "show says the trust date" svd -C "$M" show "$OLD"
svd -C "$M" show --json "$OLD" | python3 -c '
import json, sys
assert json.load(sys.stdin)["trust_as_of"]' && ok "show --json has trust_as_of" || not_ok "show --json has trust_as_of"

finish
