#!/usr/bin/env bash
# An entry the gate leaves out does not stop unpack: a bundle (crafted by
# craft_bundle.py --hostile long-sig) whose item carries, beside its good
# signature, a sig/ file named with 308 bytes (more than a file system's
# 255) is imported whole, the entry left out, and unpack does the same:
# it writes the library with the item, without that file, and says so.
. "$(dirname "$0")/lib.sh"

A=$T/a
articles "$A" 2 || exit 1
B=$T/long-sig.tar.zst
craft write --hostile long-sig --expect "$T/expect" "$B" "$T/ex" || exit 1
long=sig/$(printf '0%.0s' $(seq 300)).minisig
tar --zstd -tf "$B" | grep -q "/$long\$" && ok "the bundle holds a sig/ entry of 308 bytes" ||
	not_ok "the bundle holds a sig/ entry of 308 bytes"
victim=$(tar --zstd -tf "$B" | grep "/$long\$" | cut -d/ -f3)

# import, the reference: the item admitted, the entry left out
R=$T/r
new_archive "$R" ed || exit 1
expect_exit 0 "left out $long: signature" "import admits the item and leaves the entry out, saying so" \
	svd -C "$R" import "$B"
same "$(ids_of "$R")" "$(ids_of "$A")" "import: both items are in"

# unpack: the same
expect_exit 0 "left out: $victim: $long: signature" \
	"unpack succeeds and says it left the entry out" \
	svd unpack --trust "$T/ed.pub" "$B" -o "$T/lib"
[ -f "$T/lib/index.html" ] && ok "the library is written" || not_ok "the library is written"
for id in $(ids_of "$A"); do
	[ -f "$T/lib/items/${id:0:2}/$id/manifest.json" ] && ok "item ${id:0:12} is in the library" ||
		not_ok "item ${id:0:12} is in the library"
done
same "$(ls "$T/lib/items/${victim:0:2}/$victim/sig" | sort | tr '\n' ' ')" \
	"$(git --git-dir="$A/store.git" ls-tree --name-only "main:items/${victim:0:2}/$victim/sig/" | sort | tr '\n' ' ')" \
	"the item's signatures are its good ones, without the long entry"
json=$(svd unpack --json --trust "$T/ed.pub" "$B" -o "$T/lib2" 2>/dev/null)
printf '%s' "$json" | python3 -c '
import json, sys
j = json.load(sys.stdin)
assert j["accepted"] == 2 and j["refused"] == 0, j
assert len(j["left_out"]) == 1 and j["left_out"][0]["file"].startswith("sig/000"), j["left_out"]
assert j["left_out"][0]["check"] == "signature", j["left_out"]
' && ok "--json lists the entry under left_out" || not_ok "--json lists the entry under left_out" "$json"

finish
