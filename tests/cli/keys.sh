#!/usr/bin/env bash
# Every stored signature is checked (issue 13, part 1): keys travel with the
# signatures they check (sig/KEYID.pub) and into the store's registry
# (keys/KEYID.pub); a forged co-signature with a smaller blob id is refused
# and never written, not even as a blob; mirrors converge on one tree
# whatever the order of arrival; a key that shares a trusted or registered
# key's number is refused with check "key"; stock minisign checks every
# signature stored.
. "$(dirname "$0")/lib.sh"

A=$T/a B=$T/b C=$T/c D=$T/d
new_archive "$A" ed
new_archive "$B" ed
new_archive "$C" ed
new_archive "$D" ed
K=$(svd key show "$T/ed.pub")
svd key generate --no-passphrase -o "$T/co.key" -p "$T/co.pub" >/dev/null
L=$(svd key show "$T/co.pub")
check "B also trusts a second editor" svd -C "$B" trust add "$T/co.pub"

printf '# Свідчення\n\nThe text.\n' >"$T/body.md"
X=$(svd -C "$A" add --kind testimony --title "Свідчення" --lang uk --body "$T/body.md" \
	--key "$T/ed.key" | awk '/^Added/ {print $2}')
[ ${#X} -eq 64 ] && ok "A adds an item signed by K" || not_ok "A adds an item signed by K" "$X"
check "A co-signs it with L, a key A does not trust" svd -C "$A" sign "$X" --key "$T/co.key"
GA="git --git-dir=$A/store.git"
same "$($GA ls-tree --name-only "main:$(item_path "$X")/sig" | tr '\n' ' ')" \
	"$(printf '%s\n' "$K.minisig" "$K.pub" "$L.minisig" "$L.pub" | sort | tr '\n' ' ')" \
	"each signature has its key beside it, the untrusted one's too"
same "$($GA ls-tree --name-only main:keys | tr '\n' ' ')" \
	"$(printf '%s\n' "$K.pub" "$L.pub" | sort | tr '\n' ' ')" "A's registry holds both keys"
same "$(svd -C "$A" show "$X" | grep "^signature $L")" \
	"signature $L  valid, key not in the trust list" "show: the untrusted co-signature was checked"
check "A exports" svd -C "$A" export -q -o "$T/good.tar.zst"

# ---- the attack: a junk sig/K.minisig with a smaller blob id, and 12 MiB of junk under
# sig/, beside L's valid signature (so that the item passes on B, which trusts L)
mkdir -p "$T/attack" && tar --zstd -xf "$T/good.tar.zst" -C "$T/attack"
P=$T/attack/$(item_path "$X")
valid_oid=$(git hash-object "$P/sig/$K.minisig")
cp "$P/sig/$K.minisig" "$T/valid.minisig"
# flip one character of the signature line until the file's blob id is smaller
python3 - "$P/sig/$K.minisig" "$valid_oid" <<'EOF'
import base64, hashlib, sys
path, valid = sys.argv[1], sys.argv[2]
lines = open(path, "rb").read().split(b"\n")
raw = bytearray(base64.b64decode(lines[1]))
for i in range(10, 74):
    for x in range(1, 256):
        r = bytearray(raw); r[i] ^= x
        lines2 = list(lines); lines2[1] = base64.b64encode(bytes(r))
        data = b"\n".join(lines2)
        oid = hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()
        if oid < valid:
            open(path, "wb").write(data); sys.exit(0)
sys.exit(1)
EOF
junk_oid=$(git hash-object "$P/sig/$K.minisig")
[[ "$junk_oid" < "$valid_oid" ]] && ok "the junk K signature has the smaller blob id" ||
	not_ok "the junk K signature has the smaller blob id" "$junk_oid >= $valid_oid"
head -c $((12 * 1024 * 1024)) /dev/urandom >"$P/sig/0000000000000000.minisig"
big_oid=$(git hash-object "$P/sig/0000000000000000.minisig")
check "craft the attack bundle" craft write "$T/attack.tar.zst" "$T/attack"

GB="git --git-dir=$B/store.git"
check "B imports the good bundle" svd -C "$B" import -q "$T/good.tar.zst"
tree_b=$($GB rev-parse "main:$(item_path "$X")")
size_b=$($GB count-objects -v | awk '/^size-pack/ {print $2}')
expect_exit 0 "left out sig/$K.minisig: signature: .*does not verify" \
	"B: the forged K signature is left out, and said so" svd -C "$B" import "$T/attack.tar.zst"
expect_exit 0 "left out sig/0000000000000000.minisig: signature: .*over the limit" \
	"B: the 12 MiB junk is left out, and said so" svd -C "$B" import "$T/attack.tar.zst"
same "$($GB rev-parse "main:$(item_path "$X")")" "$tree_b" "B keeps the valid K signature: the item's tree is unchanged"
same "$($GB show "main:$(item_path "$X")/sig/$K.minisig" | git hash-object --stdin)" "$valid_oid" \
	"B's stored K signature is the valid one"
$GB cat-file -e "$junk_oid" 2>/dev/null && not_ok "the junk signature left no blob in B's store" ||
	ok "the junk signature left no blob in B's store"
$GB cat-file -e "$big_oid" 2>/dev/null && not_ok "the 12 MiB junk left no blob in B's store" ||
	ok "the 12 MiB junk left no blob in B's store"
size_after=$($GB count-objects -v | awk '/^size-pack/ {print $2}')
[ $((size_after - size_b)) -lt 64 ] && ok "B's store grew by less than 64 KiB ($size_b -> $size_after KiB)" ||
	not_ok "B's store grew by less than 64 KiB" "$size_b -> $size_after KiB"
check "B verifies" svd -C "$B" verify -q
check "git fsck on B" fsck_clean "$B"

# stock minisign checks every signature B stores, with the key beside it
n=0 bad=0
for s in $($GB ls-tree -r --name-only main items | grep '\.minisig$'); do
	k=${s%.minisig}
	$GB show "main:$s" >"$T/s.minisig"
	$GB show "main:$k.pub" >"$T/s.pub"
	$GB show "main:$(dirname "$(dirname "$s")")/manifest.json" >"$T/s.json"
	n=$((n + 1))
	minisign -Vq -p "$T/s.pub" -m "$T/s.json" -x "$T/s.minisig" >/dev/null 2>&1 || bad=$((bad + 1))
done
[ "$n" -ge 2 ] && [ "$bad" -eq 0 ] && ok "stock minisign -V checks all $n signatures B stores" ||
	not_ok "stock minisign -V checks every signature B stores" "$bad of $n fail"

# ---- C trusts only K: it takes the item from B, and ends with B's tree
check "C syncs from B" svd -C "$C" sync b "$B/store.git"
same "$(git --git-dir="$C/store.git" rev-parse "main:$(item_path "$X")")" "$tree_b" \
	"C holds the item with B's very tree (L's co-signature too, checked with its key)"
# D sees the attack first, then the good bundle: the same tree
expect_exit 3 "refused .*sig/$K.minisig: signature: .*does not verify" "D, which trusts only K, refuses the attack bundle's item" \
	svd -C "$D" import -q "$T/attack.tar.zst"
check "then the good one" svd -C "$D" import -q "$T/good.tar.zst"
same "$(git --git-dir="$D/store.git" rev-parse "main:$(item_path "$X")")" "$tree_b" \
	"D, attacked first, ends with the same tree as B and C"

# ---- one key signed twice: both verify, the smaller blob id is kept, in either order
mkdir -p "$T/twice" && tar --zstd -xf "$T/good.tar.zst" -C "$T/twice"
P2=$T/twice/$(item_path "$X")
for i in 1 2 3 4 5 6; do
	minisign -S -s "$T/ed.key" -m "$P2/manifest.json" -x "$T/k$i.minisig" -t "second signature $i" >/dev/null 2>&1 </dev/null
done
second=$(for i in 1 2 3 4 5 6; do printf '%s %s\n' "$(git hash-object "$T/k$i.minisig")" "$i"; done | sort | tail -n 1 | cut -d' ' -f2)
# keep the second signature larger than the first if we can, so that the rule shows
cp "$T/k$second.minisig" "$P2/sig/$K.minisig"
second_oid=$(git hash-object "$P2/sig/$K.minisig")
check "craft a bundle with a second, valid K signature" craft write "$T/twice.tar.zst" "$T/twice"
check "B imports it" svd -C "$B" import -q "$T/twice.tar.zst"
check "D imports it" svd -C "$D" import -q "$T/twice.tar.zst"
E=$T/e
new_archive "$E" ed
check "E imports the second signature first" svd -C "$E" import -q "$T/twice.tar.zst"
check "then the first" svd -C "$E" import -q "$T/good.tar.zst"
want=$(printf '%s\n%s\n' "$valid_oid" "$second_oid" | sort | head -n 1)
same "$($GB show "main:$(item_path "$X")/sig/$K.minisig" | git hash-object --stdin)" "$want" \
	"B keeps the smaller blob id of K's two valid signatures"
tb=$($GB rev-parse "main:$(item_path "$X")")
same "$(git --git-dir="$D/store.git" rev-parse "main:$(item_path "$X")")" "$tb" "D converges with B"
same "$(git --git-dir="$E/store.git" rev-parse "main:$(item_path "$X")")" "$tb" "E, in the other order, converges with B"
check "C syncs again" svd -C "$C" sync b "$B/store.git"
same "$(git --git-dir="$C/store.git" rev-parse "main:$(item_path "$X")")" "$tb" "C converges with B"

# ---- key-number collisions: a real, distinct Ed25519 key made to carry K's number (and L's)
collide() { # collide KEYID SRC_PREFIX DEST_PREFIX: a fresh key pair renumbered KEYID
	svd key generate --no-passphrase -o "$3.key" -p "$3.pub" >/dev/null &&
		python3 - "$1" "$3" <<'EOF'
import base64, hashlib, sys
keyid, out = sys.argv[1], sys.argv[2]
num = int(keyid, 16).to_bytes(8, "little")
pub = open(out + ".pub").read().split("\n")
b = bytearray(base64.b64decode(pub[1])); b[2:10] = num
open(out + ".pub", "w").write("untrusted comment: minisign public key %s\n%s\n" % (keyid, base64.b64encode(bytes(b)).decode()))
sec = open(out + ".key").read().split("\n")
s = bytearray(base64.b64decode(sec[1])); s[54:62] = num
s[126:158] = hashlib.blake2b(b"Ed" + num + bytes(s[62:126]), digest_size=32).digest()
open(out + ".key", "w").write("%s\n%s\n" % (sec[0], base64.b64encode(bytes(s)).decode()))
EOF
}
collide "$K" "$T/ed" "$T/evil"
same "$(svd key show "$T/evil.pub")" "$K" "the crafted key carries K's number"
[ "$(sed -n 2p "$T/evil.pub")" != "$(sed -n 2p "$T/ed.pub")" ] && ok "but it is another key" || not_ok "but it is another key"
M=$T/m
new_archive "$M" evil
printf 'forged\n' >"$T/forged.md"
Y=$(svd -C "$M" add --kind testimony --title "Forged" --lang uk --body "$T/forged.md" \
	--key "$T/evil.key" | awk '/^Added/ {print $2}')
check "M exports" svd -C "$M" export -q -o "$T/evil.tar.zst"
expect_exit 3 "refused .*$Y: sig/$K.minisig: key: .*two keys share one key number" \
	"B refuses an item signed by a key with K's number that is not K, with check key" \
	svd -C "$B" import "$T/evil.tar.zst"
same "$(ids_of "$B" | grep -c "$Y")" 0 "the forged item is not in B"
same "$($GB rev-parse "main:$(item_path "$X")")" "$tb" "X is unchanged on B"
check "B still verifies" svd -C "$B" verify -q

# L is not trusted on C, but C's registry holds L's key (it came with X): an L impostor is refused
collide "$L" "$T/co" "$T/evil2"
rm -rf "$T/imp" && mkdir -p "$T/imp" && tar --zstd -xf "$T/twice.tar.zst" -C "$T/imp"
P3=$T/imp/$(item_path "$X")
minisign -S -s "$T/evil2.key" -m "$P3/manifest.json" -x "$P3/sig/$L.minisig" >/dev/null 2>&1 </dev/null
cp "$T/evil2.pub" "$P3/sig/$L.pub"
check "craft a bundle with an L impostor's co-signature" craft write "$T/imp.tar.zst" "$T/imp"
before=$(git --git-dir="$C/store.git" rev-parse "main:$(item_path "$X")")
expect_exit 0 "left out sig/$L.minisig: key: .*keys/$L.pub" \
	"C leaves out a co-signature whose key collides with its registry's, with check key" \
	svd -C "$C" import "$T/imp.tar.zst"
same "$(git --git-dir="$C/store.git" rev-parse "main:$(item_path "$X")")" "$before" "C's item is unchanged"
same "$(git --git-dir="$C/store.git" show "main:keys/$L.pub")" "$(cat "$T/co.pub")" "the first key seen keeps its number"

# ---- an untrusted signature that does not verify is left out (it used to be stored unchecked)
F=$T/f
new_archive "$F" ed
rm -rf "$T/u" && mkdir -p "$T/u" && tar --zstd -xf "$T/good.tar.zst" -C "$T/u"
P4=$T/u/$(item_path "$X")
python3 - "$P4/sig/$L.minisig" <<'EOF'
import base64, sys
lines = open(sys.argv[1], "rb").read().split(b"\n")
raw = bytearray(base64.b64decode(lines[1])); raw[40] ^= 1
lines[1] = base64.b64encode(bytes(raw))
open(sys.argv[1], "wb").write(b"\n".join(lines))
EOF
check "craft a bundle with a broken untrusted co-signature" craft write "$T/u.tar.zst" "$T/u"
expect_exit 0 "left out sig/$L.minisig: signature: .*does not verify" \
	"F leaves out the untrusted signature that does not verify" svd -C "$F" import "$T/u.tar.zst"
same "$(git --git-dir="$F/store.git" ls-tree --name-only "main:$(item_path "$X")/sig" | tr '\n' ' ')" \
	"$K.minisig $K.pub " "F stores K's signature and key only"
# and one with no key anywhere (not beside it, not trusted, not registered) cannot be checked
G=$T/g
new_archive "$G" ed
rm -rf "$T/n" && mkdir -p "$T/n" && tar --zstd -xf "$T/good.tar.zst" -C "$T/n"
rm "$T/n/$(item_path "$X")/sig/$L.pub"
check "craft a bundle with an untrusted co-signature without its key" craft write "$T/n.tar.zst" "$T/n"
expect_exit 0 "left out sig/$L.minisig: signature: .*cannot be checked" \
	"G leaves out an untrusted signature it has no key to check" svd -C "$G" import "$T/n.tar.zst"

# ---- an archive made before keys travelled: signatures without sig/KEYID.pub, no keys/,
# and an untrusted co-signature stored unchecked (junk, with a smaller blob id)
H=$T/h
new_archive "$H" ed
check "H imports the good bundle" svd -C "$H" import -q "$T/good.tar.zst"
GH="git --git-dir=$H/store.git"
XP=$(item_path "$X")
python3 - "$T/l-junk.minisig" "$($GH show "main:$XP/sig/$L.minisig" | git hash-object --stdin)" \
	<<EOF2
import base64, hashlib, subprocess, sys
out, valid = sys.argv[1], sys.argv[2]
data = subprocess.run(["git", "--git-dir=$H/store.git", "show", "main:$XP/sig/$L.minisig"],
                      capture_output=True, check=True).stdout
lines = data.split(b"\n")
raw = bytearray(base64.b64decode(lines[1]))
for i in range(10, 74):
    for x in range(1, 256):
        r = bytearray(raw); r[i] ^= x
        lines[1] = base64.b64encode(bytes(r)); d = b"\n".join(lines)
        if hashlib.sha1(b"blob %d\0" % len(d) + d).hexdigest() < valid:
            open(out, "wb").write(d); sys.exit(0)
sys.exit(1)
EOF2
junk_l=$($GH hash-object -w "$T/l-junk.minisig")
export GIT_INDEX_FILE=$T/legacy.index
$GH read-tree main &&
	$GH rm -q --cached "$XP/sig/$K.pub" "$XP/sig/$L.pub" &&
	$GH update-index --cacheinfo "100644,$junk_l,$XP/sig/$L.minisig" &&
	$GH rm -q --cached -r keys &&
	legacy=$($GH commit-tree "$($GH write-tree)" -p main -m "before keys travelled") &&
	$GH update-ref refs/heads/main "$legacy" && ok "make H's store as an older samvydav left it" ||
	not_ok "make H's store as an older samvydav left it"
unset GIT_INDEX_FILE
expect_exit 0 "all good" "verify passes the old item on its trusted signature" svd -C "$H" verify
expect_exit 0 "1 signature stored by an older samvydav without its key could not be checked" \
	"verify says one old signature could not be checked" svd -C "$H" verify
same "$(svd -C "$H" show "$X" | grep "^signature $L")" \
	"signature $L  key not known here (stored before keys travelled; not checked, does not count)" \
	"show: the old untrusted signature cannot be checked, and says so"
check "H imports the good bundle again" svd -C "$H" import -q "$T/good.tar.zst"
same "$($GH rev-parse "main:$XP")" "$($GA rev-parse "main:$XP")" \
	"the item is staged again: the junk is replaced by the valid signature, keys beside both (A's tree)"
same "$($GH ls-tree --name-only main:keys | tr '\n' ' ')" \
	"$(printf '%s\n' "$K.pub" "$L.pub" | sort | tr '\n' ' ')" "H's registry holds both keys now"
check "H verifies" svd -C "$H" verify -q

finish
