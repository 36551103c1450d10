#!/usr/bin/env bash
# The gate: every way an item can lie is refused with a message that names
# the item, the file and the check; main does not move; nothing is lost.
. "$(dirname "$0")/lib.sh"

A=$T/source   # where good items are made
B=$T/target   # where tampered copies are offered
new_archive "$A" ed
new_archive "$B" ed
svd key generate --no-passphrase -o "$T/stranger.key" -p "$T/stranger.pub" >/dev/null
strangerid=$(svd key show "$T/stranger.pub")
keyid=$(svd key show "$T/ed.pub")

mkitem() { # mkitem TITLE -> id
	printf 'Body of %s\n' "$1" >"$T/body.md"
	head -c 500 /dev/urandom >"$T/att.bin"
	svd -C "$A" add --kind article --title "$1" --lang uk --body "$T/body.md" \
		--attach "$T/att.bin" --key "$T/ed.key" | awk '/^Added/ {print $2}'
}
id1=$(mkitem "Перша стаття")
id2=$(mkitem "Друга стаття")

# a fresh copy of item 1's folder to tamper with
fresh() {
	rm -rf "$T/x"
	export_item "$A" "${1:-$id1}" "$T/x"
}
resign() { # re-sign the (edited) manifest with the trusted key, as stock minisign would
	rm -f "$T/x/sig/"*
	minisign -S -s "$T/ed.key" -m "$T/x/manifest.json" -x "$T/x/sig/$keyid.minisig" >/dev/null 2>&1
}

base=$(head_of "$B")
refused() { # refused CHECK DESCRIPTION: offering $T/x to B is refused with CHECK
	expect_exit 3 "refused .*$2" "$1" svd -C "$B" add --from "$T/x"
	same "$(head_of "$B")" "$base" "$1: main did not move"
}

fresh
check "an untouched copy is accepted elsewhere" svd -C "$T/source" verify
fresh; printf 'X' | dd of="$T/x/body.md" bs=1 seek=3 conv=notrunc 2>/dev/null
refused "a changed body byte" "body.md: sha256"
fresh; sed -i 's/Перша/Перща/' "$T/x/manifest.json"
refused "a changed manifest byte" "sig/$keyid.minisig: signature"
fresh; python3 -c '
import json,sys; p=sys.argv[1]; d=json.load(open(p)); open(p,"w").write(json.dumps(d, indent=1, ensure_ascii=False))' "$T/x/manifest.json"; resign
refused "a non-canonical manifest, even when signed" "manifest.json: canonical"
fresh; python3 -c '
import sys; p=sys.argv[1]; b=open(p,"rb").read(); open(p,"wb").write(b.replace("Перша".encode(), b"\xd0\x9f\xc0\xaf"))' "$T/x/manifest.json"; resign
refused "invalid UTF-8 in the manifest" "manifest.json: canonical"
fresh; rm -f "$T/x/sig/"*
minisign -S -s "$T/stranger.key" -m "$T/x/manifest.json" -x "$T/x/sig/$strangerid.minisig" >/dev/null 2>&1
refused "a signature by an untrusted key" "trust: no signature by a trusted key"
fresh; f="$T/x/sig/$keyid.minisig"; head -c 100 "$f" >"$f.t" && mv "$f.t" "$f"
refused "a truncated signature file" "signature"
fresh; printf 'untrusted comment: x\nnot base64 at all\ntrusted comment: y\nzz\n' >"$T/x/sig/$keyid.minisig"
refused "a malformed signature file" "signature"
fresh; rm -rf "$T/y"; export_item "$A" "$id2" "$T/y"
cp "$T/y/sig/$keyid.minisig" "$T/x/sig/$keyid.minisig"
refused "a signature over another item" "sig/$keyid.minisig: signature"
fresh; mv "$T/x/sig/$keyid.minisig" "$T/x/sig/$strangerid.minisig"
refused "a signature filed under another key id" "must be named sig/$keyid.minisig"
fresh; python3 - "$T/x/sig/$keyid.minisig" "$T/stranger.pub" <<'PY'
import base64, sys
sig, pub = sys.argv[1], sys.argv[2]
lines = open(sig).read().split("\n")
raw = bytearray(base64.b64decode(lines[1]))
other = base64.b64decode(open(pub).read().split("\n")[1])[2:10]
raw[2:10] = other  # claim another key made it
lines[1] = base64.b64encode(bytes(raw)).decode()
open(sig, "w").write("\n".join(lines))
PY
refused "a wrong key id inside the signature" "signature"
fresh; rm "$T/x/att.bin"
refused "a missing payload file" "att.bin: missing"
fresh; printf 'extra' >"$T/x/notes.txt"
refused "an extra unlisted file" "notes.txt: layout"
fresh; python3 -c '
import json,sys; p=sys.argv[1]; d=json.load(open(p)); d["files"][0]["path"]="../att.bin"
open(p,"w").write(json.dumps(d, ensure_ascii=False, separators=(",",":"), sort_keys=True))' "$T/x/manifest.json"; resign
refused "a path with .." "manifest.json: canonical"
fresh; rm "$T/x/att.bin"; ln -s /etc/passwd "$T/x/att.bin"
refused "a symbolic link in place of a file" "att.bin: layout"
fresh; mkdir "$T/x/sub"
refused "an unexpected folder" "sub: layout"
fresh; rm -rf "$T/x/sig"
refused "an unsigned item" "not signed"
fresh; head -c 300000 /dev/zero | tr '\0' 'a' >"$T/x/manifest.json"
refused "a manifest over the size limit" "manifest.json: manifest"

# a refused item among good ones: the good ones go in, the bad one is named
mkdir -p "$T/mix"
export_item "$A" "$id1" "$T/mix/good"
export_item "$A" "$id2" "$T/mix/bad"
printf 'Z' | dd of="$T/mix/bad/body.md" bs=1 seek=0 conv=notrunc 2>/dev/null
expect_exit 3 "refused $T/mix/bad: $id2: body.md: sha256" "one bad item among good ones is named" \
	svd -C "$B" add --from "$T/mix"
svd -C "$B" list | grep -q "${id1:0:12}" && ok "the good item went in" || not_ok "the good item went in"
svd -C "$B" list | grep -q "${id2:0:12}" && not_ok "the bad item stayed out" || ok "the bad item stayed out"
check "the target still verifies" svd -C "$B" verify -q
check "the target's repository is healthy" git --git-dir="$B/store.git" fsck --full --strict

# damage inside the store itself is found by verify
S="$B/store.git"
path=$(item_path "$id1")
tree=$(git --git-dir="$S" rev-parse "main:$path")
bad=$(git --git-dir="$S" show "main:$path/body.md" | sed 's/Body/body/' | git --git-dir="$S" hash-object -w --stdin)
newitem=$(git --git-dir="$S" ls-tree "$tree" | sed "s/[0-9a-f]\{40\}\tbody.md/$bad\tbody.md/" | git --git-dir="$S" mktree)
fan=$(git --git-dir="$S" ls-tree "main:items/${id1:0:2}" | sed "s/tree [0-9a-f]\{40\}\t$id1/tree $newitem\t$id1/" | git --git-dir="$S" mktree)
items=$(git --git-dir="$S" ls-tree "main:items" | sed "s/tree [0-9a-f]\{40\}\t${id1:0:2}\$/tree $fan\t${id1:0:2}/" | git --git-dir="$S" mktree)
root=$(printf '040000 tree %s\titems\n' "$items" | git --git-dir="$S" mktree)
c=$(git --git-dir="$S" commit-tree "$root" -p main -m forged)
git --git-dir="$S" update-ref refs/heads/main "$c"
expect_exit 3 "$id1: body.md: sha256" "verify finds a body changed inside the repository" svd -C "$B" verify
expect_exit 3 "NOT VERIFIED" "show says so too" svd -C "$B" show "$id1"

# an item filed under the wrong fan-out folder, and a file where a folder belongs
C=$T/third
new_archive "$C" ed
svd -C "$C" add --from "$T/mix/good" >/dev/null
S="$C/store.git"
itemtree=$(git --git-dir="$S" rev-parse "main:$(item_path "$id1")")
wrong=$(printf '040000 tree %s\t%s\n' "$itemtree" "$id1" | git --git-dir="$S" mktree)
blob=$(printf 'junk' | git --git-dir="$S" hash-object -w --stdin)
fake=$(printf '100644 blob %s\t%s\n' "$blob" "$(printf 'f%.0s' $(seq 64))" | git --git-dir="$S" mktree)
items=$( (git --git-dir="$S" ls-tree "main:items"; printf '040000 tree %s\tzz\n040000 tree %s\tff\n' "$wrong" "$fake") | git --git-dir="$S" mktree)
root=$(printf '040000 tree %s\titems\n' "$items" | git --git-dir="$S" mktree)
git --git-dir="$S" update-ref refs/heads/main "$(git --git-dir="$S" commit-tree "$root" -p main -m misfiled)"
expect_exit 3 "items/zz/.*layout: filed under the wrong folder" "verify finds an item under the wrong folder" svd -C "$C" verify
expect_exit 3 "items/ff/.*layout: not a folder" "verify finds a file where an item folder belongs" svd -C "$C" verify

finish
