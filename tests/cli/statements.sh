#!/usr/bin/env bash
# Statements (certify, revoke, checkpoint, key generate's revocation
# certificate) as SPEC.md says: each is an item whose manifest is format 2
# with no files, sha256sum gives its id, stock minisign -V checks its
# signature against the signer's public key; a damaged .revoke file is
# refused with a clear message, and publishing one twice changes nothing.
. "$(dirname "$0")/lib.sh"

command -v minisign >/dev/null || { echo "minisign is not installed"; exit 1; }

A=$T/archive
new_archive "$A" ed
svd key generate --no-passphrase -o "$T/root.key" -p "$T/root.pub" >/dev/null
svd key generate --no-passphrase -o "$T/root2.key" -p "$T/root2.pub" >/dev/null
svd key generate --no-passphrase -o "$T/other.key" -p "$T/other.pub" >/dev/null
svd -C "$A" trust add "$T/root.pub" >/dev/null
svd -C "$A" trust add "$T/root2.pub" >/dev/null
ED=$(svd key show "$T/ed.pub")
ROOT=$(svd key show "$T/root.pub")
ROOT2=$(svd key show "$T/root2.pub")
OTHER=$(svd key show "$T/other.pub")

# json FIELD: a field of the JSON object on stdin
json() { python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }

# statement_ok ID KIND SIGNER.pub...: the item's manifest is a format-2
# statement of KIND without files, sha256sum gives its id, and stock
# minisign verifies each signer's signature
statement_ok() {
	local id=$1 kind=$2 pub k d=$T/st/$1
	shift 2
	rm -rf "$d" && export_item "$A" "$id" "$d"
	same "$(sha256sum "$d/manifest.json" | cut -d' ' -f1)" "$id" "$kind $id: sha256sum of manifest.json is its id"
	if grep -q "\"files\":\[\],\"format\":2," "$d/manifest.json" && grep -q "\"kind\":\"$kind\"" "$d/manifest.json"; then
		ok "$kind $id: a format-2 $kind without files"
	else
		not_ok "$kind $id: a format-2 $kind without files" "$(cat "$d/manifest.json")"
	fi
	for pub in "$@"; do
		k=$(svd key show "$pub")
		check "$kind $id: stock minisign -V verifies the signature by $k" \
			minisign -V -p "$pub" -m "$d/manifest.json" -x "$d/sig/$k.minisig"
	done
}

# --- key generate writes a revocation certificate beside the key ---
cd "$T" || exit 1
check "key generate makes a key and its revocation certificate" \
	svd key generate --no-passphrase -o "$T/lost.key" -p "$T/lost.pub"
LOST=$(svd key show "$T/lost.pub")
[ -f "$T/lost.revoke" ] && ok "it is lost.revoke, beside lost.key" || not_ok "lost.revoke written"
same "$(stat -c %a "$T/lost.revoke")" 600 "the revocation certificate has mode 0600"
same "$(head -n 1 "$T/lost.revoke")" "# samvydav revocation certificate for key $LOST" \
	"its first line says what it is, for which key"
grep -q '^#     samvydav revoke --publish' "$T/lost.revoke" && ok "its notes say how to publish it" ||
	not_ok "its notes say how to publish it"
grep -q '"outside":"hide"' "$T/lost.revoke" && ok "by default it hides the key's items outside checkpoints" ||
	not_ok "outside hide by default"
# stock tools take it apart: the manifest line, the signature's 4 lines, the key's 2
printf '%s' "$(sed -n '/^manifest.json$/{n;p;q}' "$T/lost.revoke")" >"$T/rev.json"
sed -n '/^sig\/[0-9A-F]\{16\}\.minisig$/{n;N;N;N;p;q}' "$T/lost.revoke" >"$T/rev.minisig"
sed -n '/^[0-9A-F]\{16\}\.pub$/{n;N;p;q}' "$T/lost.revoke" >"$T/rev.pub"
check "stock minisign verifies the certificate's signature with lost.pub" \
	minisign -V -p "$T/lost.pub" -m "$T/rev.json" -x "$T/rev.minisig"
same "$(cat "$T/rev.pub")" "$(cat "$T/lost.pub")" "the certificate holds the key's public key file"
same "$(sed -n 2p "$T/lost.pub")" "$(sed 's/.*"key":"\([^"]*\)".*/\1/' "$T/rev.json")" \
	"the revocation's key is the public key's base64 line"
before=$(cat "$T/lost.revoke")
expect_exit 1 "already exists" "key generate never replaces a revocation certificate" \
	svd key generate --no-passphrase -o "$T/lost2.key" -p "$T/lost2.pub" --revoke "$T/lost.revoke"
[ ! -e "$T/lost2.key" ] && ok "and then writes no key either" || not_ok "no key written"
same "$(cat "$T/lost.revoke")" "$before" "the old revocation certificate is as it was"
check "key generate --revoke FILE --revoke-outside keep" \
	svd key generate --no-passphrase -o "$T/kept.key" -p "$T/kept.pub" --revoke "$T/elsewhere.revoke" \
	--revoke-outside keep
grep -q '"outside":"keep"' "$T/elsewhere.revoke" && ok "--revoke-outside keep says keep" || not_ok "outside keep"
[ ! -e "$T/kept.revoke" ] && ok "--revoke FILE writes there only" || not_ok "--revoke FILE"
expect_exit 2 "keep or hide" "--revoke-outside takes keep or hide" \
	svd key generate --no-passphrase -o "$T/x.key" -p "$T/x.pub" --revoke-outside maybe
printf 'pass-for-the-test\n' | svd key generate --fast-kdf -o "$T/enc.key" -p "$T/enc.pub" >/dev/null 2>&1 &&
	svd revoke --help >/dev/null && [ -f "$T/enc.revoke" ] && ok "an encrypted key gets its certificate too" ||
	not_ok "an encrypted key gets its certificate too"

# --- certify ---
printf 'Тіло статті.\n' >"$T/body.md"
art=$(svd -C "$A" add --kind article --title "Стаття" --lang uk --body "$T/body.md" --key "$T/ed.key" |
	awk '/^Added/ {print $2}')
out=$(svd -C "$A" certify "$T/ed.pub" --key "$T/root.key" --title "Olena Kovalenko, Kyiv desk" \
	--lang en --created 2026-12-01T10:00:00Z --json)
cert=$(printf '%s' "$out" | json id)
same "$(printf '%s' "$out" | json key)/$(printf '%s' "$out" | json signer)" "$ED/$ROOT" "certify --json names the key and the signer"
statement_ok "$cert" certificate "$T/root.pub"
same "$(sed -n 2p "$T/ed.pub")" "$(sed 's/.*"key":"\([^"]*\)".*/\1/' "$T/st/$cert/manifest.json")" \
	"the certificate's key is the editor's public key line"
check "another root co-signs the certificate with sign" svd -C "$A" sign "$cert" --key "$T/root2.key"
statement_ok "$cert" certificate "$T/root.pub" "$T/root2.pub"
expect_exit 2 "certify itself" "a key cannot certify itself" \
	svd -C "$A" certify "$T/root.pub" --key "$T/root.key" --title Root
expect_exit 3 "not trusted" "a root not trusted here cannot certify (yet)" \
	svd -C "$A" certify "$T/ed.pub" --key "$T/other.key" --title Olena
expect_exit 2 "--title" "certify needs --title" svd -C "$A" certify "$T/ed.pub" --key "$T/root.key"
expect_exit 4 "" "certify a missing key file" svd -C "$A" certify "$T/nope.pub" --key "$T/root.key" --title X
expect_exit 3 "" "certify a file that is no public key" svd -C "$A" certify "$T/body.md" --key "$T/root.key" --title X
expect_exit 2 "revoke" "add refuses to make a statement" \
	svd -C "$A" add --kind revocation --title X --lang en --key "$T/ed.key"

# SPEC.md 4.8's recipe, as written, checks the certificate with stock tools only
recipe=$(awk '$0 == "<!-- example:certificate-check -->" {f = 1; next}
	f == 1 && /^```/ {f = 2; next} f == 2 && /^```/ {exit} f == 2 {print}' "$SVD_SOURCE_DIR/archive-format/SPEC.md")
[ -n "$recipe" ] && ok "SPEC.md has the certificate-check recipe" || not_ok "SPEC.md has the certificate-check recipe"
# run_recipe ROOT.pub EDITOR.pub: the recipe in a fresh folder, under set -e
run_recipe() {
	rm -rf "$T/recipe" && mkdir -p "$T/recipe" && cp "$1" "$T/recipe/root.pub" && cp "$2" "$T/recipe/editor.pub" &&
		(cd "$T/recipe" && SAMVYDAV_ARCHIVE=$A ID=$cert bash -e -o pipefail -c "$recipe")
}
check "the recipe checks the certificate with git, sha256sum, grep, sed and minisign" run_recipe "$T/root.pub" "$T/ed.pub"
check "it checks the second root's signature too" run_recipe "$T/root2.pub" "$T/ed.pub"
run_recipe "$T/other.pub" "$T/ed.pub" >/dev/null 2>&1 && not_ok "the recipe fails for a root that did not sign" ||
	ok "the recipe fails for a root that did not sign"
run_recipe "$T/root.pub" "$T/other.pub" >/dev/null 2>&1 && not_ok "the recipe fails for another editor's key" ||
	ok "the recipe fails for another editor's key"

# --- checkpoint ---
printf 'Друга.\n' >"$T/body2.md"
art2=$(svd -C "$A" add --kind testimony --title "Свідчення" --lang uk --body "$T/body2.md" --key "$T/ed.key" |
	awk '/^Added/ {print $2}')
out=$(svd -C "$A" checkpoint --key "$T/root.key" --created 2026-12-02T10:00:00Z --json)
cp1=$(printf '%s' "$out" | python3 -c 'import json,sys; print(json.load(sys.stdin)["checkpoints"][0]["id"])')
statement_ok "$cp1" checkpoint "$T/root.pub"
want=$(printf '%s\n' "$art" "$art2" | sort | tr '\n' ' ')
got=$(printf '%s\n' "$(sed 's/.*"items":\[\([^]]*\)\].*/\1/' "$T/st/$cp1/manifest.json")" | tr -d '"' | tr ',' '\n' | tr '\n' ' ')
same "$got" "$want" "the checkpoint lists every item the archive shows (statements are not vouched for), sorted"
out=$(svd -C "$A" checkpoint --key "$T/ed.key" --by "$ED" --title "Olena's work" --json)
cp2=$(printf '%s' "$out" | python3 -c 'import json,sys; print(json.load(sys.stdin)["checkpoints"][0]["id"])')
statement_ok "$cp2" checkpoint "$T/ed.pub"
got=$(printf '%s\n' "$(sed 's/.*"items":\[\([^]]*\)\].*/\1/' "$T/st/$cp2/manifest.json")" | tr -d '"' | tr ',' '\n' | tr '\n' ' ')
same "$got" "$(printf '%s\n' "$art" "$art2" | sort | tr '\n' ' ')" "--by KEYID: only the items that key signed"
expect_exit 4 "no items" "a checkpoint of no items is refused" svd -C "$A" checkpoint --key "$T/root.key" --by "$OTHER"
expect_exit 2 "not a key id" "--by takes a key id" svd -C "$A" checkpoint --key "$T/root.key" --by olena

# --- revoke ---
out=$(svd -C "$A" revoke "$ROOT2" --key "$T/root2.key" --outside keep --json)
rev1=$(printf '%s' "$out" | json id)
same "$(printf '%s' "$out" | json key)/$(printf '%s' "$out" | json outside)" "$ROOT2/keep" "revoke KEYID --key itself"
statement_ok "$rev1" revocation "$T/root2.pub"
grep -q '"outside":"keep"' "$T/st/$rev1/manifest.json" && ok "the revocation says keep" || not_ok "outside keep"
out=$(svd -C "$A" revoke "$T/other.pub" --key "$T/root.key" --outside hide --title "Lost at the border" --json)
rev2=$(printf '%s' "$out" | json id)
statement_ok "$rev2" revocation "$T/root.pub"
grep -q '"title":"Lost at the border"' "$T/st/$rev2/manifest.json" && ok "revoke --title" || not_ok "revoke --title"
expect_exit 2 "--outside" "revoke needs --outside" svd -C "$A" revoke "$ED" --key "$T/ed.key"
expect_exit 2 "--outside" "--outside is keep or hide" svd -C "$A" revoke "$ED" --key "$T/ed.key" --outside delete
expect_exit 4 "give its .pub" "revoke KEYID of a key this archive has not" \
	svd -C "$A" revoke "$LOST" --key "$T/root.key" --outside hide

# --- revoke --publish ---
svd -C "$A" trust add "$T/lost.pub" >/dev/null
head=$(head_of "$A")
out=$(svd -C "$A" revoke --publish "$T/lost.revoke" --json)
pub=$(printf '%s' "$out" | json id)
same "$(printf '%s' "$out" | json added)" True "revoke --publish adds the revocation certificate"
same "$pub" "$(sha256sum "$T/rev.json" | cut -d' ' -f1)" "its id is the sha256sum of the manifest line in the file"
statement_ok "$pub" revocation "$T/lost.pub"
head=$(head_of "$A")
expect_exit 0 "Already in the archive" "publishing it twice is no error" svd -C "$A" revoke --publish "$T/lost.revoke"
same "$(head_of "$A")" "$head" "and changes nothing"

# damaged certificates: refused, nothing added
bad() {
	cp "$T/lost.revoke" "$T/bad.revoke"
	sed -i "$1" "$T/bad.revoke"
	expect_exit 3 "$2" "$3" svd -C "$A" revoke --publish "$T/bad.revoke"
}
bad 's/"outside":"hide"/"outside":"keep"/' "does not verify" "a changed revocation is refused: its signature does not verify"
bad '$d' "lines after the notes, not 10" "a certificate cut short is refused"
bad '1s/revocation certificate/revocation/' "not a samvydav revocation certificate" "a file that is no certificate is refused"
bad 's/^trusted comment: timestamp:/trusted comment: timestamp:9/' "does not verify" "a changed trusted comment is refused"
bad '/^manifest.json$/i\\' "lines after the notes" "a blank line in it is refused"
cp "$T/lost.revoke" "$T/bad.revoke"
sed -i "s/^$LOST.pub\$/$OTHER.pub/" "$T/bad.revoke"
expect_exit 3 "is not \"$LOST.pub\"" "a certificate with another key's label is refused" \
	svd -C "$A" revoke --publish "$T/bad.revoke"
head -c 40000 /dev/zero | tr '\0' '#' >"$T/bad.revoke"
expect_exit 3 "over the limit of 32768" "an oversized file is refused" svd -C "$A" revoke --publish "$T/bad.revoke"
expect_exit 4 "" "a missing file" svd -C "$A" revoke --publish "$T/none.revoke"
same "$(head_of "$A")" "$head" "nothing was added by any of them"

# a certificate of a key this archive does not trust: the gate refuses it
expect_exit 3 "trust" "the certificate of a key not trusted here is refused (its own signature does not count)" \
	svd -C "$A" revoke --publish "$T/elsewhere.revoke"

# everything made above passes the gate again
check "verify accepts every statement" svd -C "$A" verify
show=$(svd -C "$A" show "$cp1")
printf '%s' "$show" | grep -q '^items     2 item ids' && ok "show tells a checkpoint's ids" || not_ok "show checkpoint" "$show"
show=$(svd -C "$A" show "$rev1")
printf '%s' "$show" | grep -q "^key       $ROOT2 " && printf '%s' "$show" | grep -q '^outside   keep' &&
	ok "show tells a revocation's key and outside" || not_ok "show revocation" "$show"

# --- more than 3500 items: several checkpoints in one commit ---
B=$T/big
new_archive "$B" ed
mkdir -p "$T/many"
printf 'x\n' >"$T/many/b.md"
python3 - "$T/many/items.jsonl" <<-'PY'
	import sys
	with open(sys.argv[1], "w") as f:
	    for i in range(3502):
	        f.write('{"kind":"article","title":"Item %d","lang":"en","created":"2026-01-01T00:00:00Z","body":"b.md"}\n' % i)
PY
svd -C "$B" add --from "$T/many/items.jsonl" --key "$T/ed.key" -q >/dev/null
before=$(git --git-dir="$B/store.git" rev-list --count main)
out=$(svd -C "$B" checkpoint --key "$T/ed.key" --json)
same "$(printf '%s' "$out" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["items"], [c["items"] for c in d["checkpoints"]])')" \
	"3502 [3500, 2]" "3502 items make two checkpoints, of 3500 and 2"
same "$(git --git-dir="$B/store.git" rev-list --count main)" "$((before + 1))" "both in one commit"
first=$(printf '%s' "$out" | python3 -c 'import json,sys; print(json.load(sys.stdin)["checkpoints"][0]["id"])')
git --git-dir="$B/store.git" show "main:$(item_path "$first")/manifest.json" >"$T/big.json"
same "$(wc -c <"$T/big.json" | awk '{print ($1 <= 262144)}')" 1 "a full checkpoint fits the manifest's limit"
grep -q '"title":"Checkpoint of 3500 items (part 1 of 2)"' "$T/big.json" && ok "its title says which part" ||
	not_ok "part title" "$(head -c 300 "$T/big.json")"

finish
