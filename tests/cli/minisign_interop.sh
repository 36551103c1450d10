#!/usr/bin/env bash
# Interop with stock minisign, both ways: what samvydav signs verifies with
# minisign -V; what minisign -S signs is accepted by samvydav. Keys too.
. "$(dirname "$0")/lib.sh"

command -v minisign >/dev/null || { echo "minisign is not installed"; exit 1; }

A=$T/archive
new_archive "$A" ed
keyid=$(svd key show "$T/ed.pub")
printf 'Тіло статті.\n' >"$T/body.md"
id=$(svd -C "$A" add --kind article --title "Мариуполь" --lang ru --body "$T/body.md" \
	--key "$T/ed.key" | awk '/^Added/ {print $2}')
rm -rf "$T/x" && export_item "$A" "$id" "$T/x"

# 1. our signature, stock verifier
check "minisign -V accepts our signature with our public key" \
	minisign -V -p "$T/ed.pub" -m "$T/x/manifest.json" -x "$T/x/sig/$keyid.minisig"
minisign -V -p "$T/ed.pub" -m "$T/x/manifest.json" -x "$T/x/sig/$keyid.minisig" 2>&1 |
	grep -q "item:$id" && ok "the trusted comment names the item" || not_ok "trusted comment"
printf 'x' >>"$T/x/manifest.json"
expect_exit 1 "" "minisign -V refuses our signature over a changed manifest" \
	minisign -V -p "$T/ed.pub" -m "$T/x/manifest.json" -x "$T/x/sig/$keyid.minisig"
minisign -R -s "$T/ed.key" -p "$T/derived.pub" >/dev/null 2>&1
same "$(tail -n 1 "$T/derived.pub" 2>/dev/null)" "$(tail -n 1 "$T/ed.pub")" \
	"minisign -R derives our public key from our secret key"

# 2. stock keys and signatures, our verifier
minisign -G -W -p "$T/mini.pub" -s "$T/mini.key" >/dev/null 2>&1
miniid=$(svd key show "$T/mini.pub")
# minisign 0.11 prints the number without leading zeros; we always write 16 digits
printed=$(head -n 1 "$T/mini.pub" | awk '{print $NF}')
same "$miniid" "$(printf '%016s' "$printed" | tr ' ' 0)" "our key id is the one minisign prints (padded to 16 digits)"
check "trust a key made by minisign -G" svd -C "$A" trust add "$T/mini.pub"
rm -rf "$T/x" && export_item "$A" "$id" "$T/x"
minisign -S -s "$T/mini.key" -m "$T/x/manifest.json" -x "$T/mini.sig" >/dev/null 2>&1
check "sign --signature attaches a minisign -S co-signature" svd -C "$A" sign "$id" --signature "$T/mini.sig"
same "$(git --git-dir="$A/store.git" ls-tree --name-only "main:$(item_path "$id")/sig" | sort | tr '\n' ' ')" \
	"$(printf '%s\n' "$keyid.minisig" "$miniid.minisig" "$keyid.pub" "$miniid.pub" | sort | tr '\n' ' ')" "both signatures are filed by key id, each with its key"
same "$(git --git-dir="$A/store.git" show "main:$(item_path "$id")/manifest.json" | sha256sum | cut -d' ' -f1)" "$id" \
	"co-signing did not change the id"
check "verify accepts the co-signed item" svd -C "$A" verify "$id"
svd -C "$A" show --json "$id" | python3 -c '
import json,sys; d=json.load(sys.stdin); s={x["keyid"]:x["status"] for x in d["signatures"]}
assert s=={sys.argv[1]:"valid",sys.argv[2]:"valid"}, s' "$keyid" "$miniid" &&
	ok "show lists both signatures as valid" || not_ok "show lists both signatures"
expect_exit 0 "already" "signing twice with the same key changes nothing" \
	svd -C "$A" sign "$id" --signature "$T/mini.sig"

# a new item signed only by stock minisign, from a prepared folder
B=$T/other
svd init "$B" >/dev/null && svd -C "$B" trust add "$T/mini.pub" >/dev/null
rm -rf "$T/prep" && export_item "$A" "$id" "$T/prep/item"
rm -rf "$T/prep/item/sig"
minisign -S -s "$T/mini.key" -m "$T/prep/item/manifest.json" >/dev/null 2>&1
[ -f "$T/prep/item/manifest.json.minisig" ] && ok "minisign wrote manifest.json.minisig" || not_ok "minisign output"
check "add --from takes an item signed only with stock minisign -S" svd -C "$B" add --from "$T/prep"
check "and verify accepts it" svd -C "$B" verify "$id"

# a legacy (non-prehashed) minisign signature is refused with a clear reason
rm -rf "$T/prep" && export_item "$A" "$id" "$T/prep/item" && rm -rf "$T/prep/item/sig"
minisign -S -l -s "$T/mini.key" -m "$T/prep/item/manifest.json" >/dev/null 2>&1
C=$T/third
svd init "$C" >/dev/null && svd -C "$C" trust add "$T/mini.pub" >/dev/null
expect_exit 3 "legacy" "a legacy minisign -l signature is refused" svd -C "$C" add --from "$T/prep"

# 3. encrypted keys: ours opened by minisign, minisign's opened by us
printf 'correct horse\ncorrect horse\n' | svd key generate --fast-kdf -o "$T/enc.key" -p "$T/enc.pub" >/dev/null
check "trust the encrypted key" svd -C "$A" trust add "$T/enc.pub"
printf 'hello\n' >"$T/msg"
printf 'correct horse\n' | minisign -S -s "$T/enc.key" -m "$T/msg" >/dev/null 2>&1
check "minisign -S signs with our passphrase-encrypted key" minisign -V -p "$T/enc.pub" -m "$T/msg"
id2=$(printf 'correct horse\n' | svd -C "$A" add --kind article --title "Enc" --lang en --body "$T/body.md" \
	--key "$T/enc.key" | awk '/^Added/ {print $2}')
[ ${#id2} -eq 64 ] && ok "add with an encrypted key and the passphrase on stdin" || not_ok "add with an encrypted key"
expect_exit 1 "passphrase" "a wrong passphrase is refused" \
	sh -c "printf 'wrong\n' | '$SVD_BIN' -C '$A' add --kind article --title x --lang en --body '$T/body.md' --key '$T/enc.key'"
printf 'pw\npw\n' | minisign -G -p "$T/menc.pub" -s "$T/menc.key" >/dev/null 2>&1
check "trust minisign's encrypted key" svd -C "$A" trust add "$T/menc.pub"
id3=$(printf 'pw\n' | svd -C "$A" add --kind article --title "Menc" --lang en --body "$T/body.md" \
	--key "$T/menc.key" | awk '/^Added/ {print $2}')
[ ${#id3} -eq 64 ] && ok "add signs with a key encrypted by minisign -G" || not_ok "add with minisign's encrypted key"
check "everything verifies" svd -C "$A" verify -q

finish
