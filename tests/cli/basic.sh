#!/usr/bin/env bash
# The first day of an archive: init, a key, trust, add, list, show, verify,
# log — and stock git and sha256sum see what samvydav wrote.
. "$(dirname "$0")/lib.sh"

A=$T/archive
check "init creates an archive" svd init "$A"
expect_exit 1 "already exists" "init refuses a folder that is not empty" svd init "$A"
check "key generate --no-passphrase" svd key generate --no-passphrase -o "$T/ed.key" -p "$T/ed.pub"
same "$(stat -c %a "$T/ed.key")" 600 "secret key file is mode 0600"
expect_exit 1 "already exists" "key generate never replaces a key" \
	svd key generate --no-passphrase -o "$T/ed.key" -p "$T/ed2.pub"
check "trust add" svd -C "$A" trust add "$T/ed.pub"
keyid=$(svd key show "$T/ed.pub")
same "$(svd -C "$A" trust list)" "$keyid" "trust list shows the key"
same "$(ls "$A/trusted")" "$keyid.pub" "trust list lives beside the repository, not in it"

printf '# Херсон\n\nЖителі Херсона розповідають про депортації.\n' >"$T/body.md"
head -c 3000 /dev/urandom >"$T/photo.jpg"
out=$(cd "$A" && svd add --kind testimony --title "Свідчення з Херсона" --lang uk \
	--author "Олена Коваленко" --author "Ivan P." --published 2022-11-25 \
	--source https://example.org/kherson --region Kherson --tag deportation \
	--body "$T/body.md" --attach "$T/photo.jpg" --key "$T/ed.key" 2>&1)
rc=$?
same "$rc" 0 "add one item in the current folder's archive"
id=$(printf '%s' "$out" | awk '/^Added/ {print $2}')
case "$id" in
[0-9a-f][0-9a-f]*) [ ${#id} -eq 64 ] && ok "add prints the new item's id" || not_ok "add prints the new item's id" "$out" ;;
*) not_ok "add prints the new item's id" "$out" ;;
esac

G="git --git-dir=$A/store.git"
check "git fsck --full --strict is clean" $G fsck --full --strict
same "$($G show "main:$(item_path "$id")/manifest.json" | sha256sum | cut -d' ' -f1)" "$id" \
	"sha256sum of manifest.json is the item id"
same "$($G show "main:$(item_path "$id")/body.md" | sha256sum)" "$(sha256sum <"$T/body.md")" \
	"the body is stored byte for byte"
same "$($G ls-tree --name-only "main:$(item_path "$id")/sig" | tr '\n' ' ')" "$keyid.minisig $keyid.pub " \
	"the signature is sig/KEYID.minisig, its key sig/KEYID.pub beside it"
same "$($G show "main:$(item_path "$id")/sig/$keyid.pub")" "$(cat "$T/ed.pub")" \
	"the key beside it is the editor's public key file, byte for byte"
same "$($G show "main:keys/$keyid.pub")" "$(cat "$T/ed.pub")" \
	"the archive's registry holds it as keys/KEYID.pub"
same "$(find "$A/store.git/objects" -type f ! -path '*/pack/*' ! -path '*/info/*' | wc -l)" 0 \
	"no loose objects: everything is in packs"
same "$(ls "$A/store.git/objects/pack" | grep -c '\.pack$')" 1 "one operation wrote one pack"
$G log -1 --format=%s main | grep -q "Add 1 item, signed by $keyid" &&
	ok "git log shows what was added and by which key" ||
	not_ok "git log shows what was added and by which key" "$($G log -1 --format=%B main)"

check "verify passes" svd -C "$A" verify
export SAMVYDAV_ARCHIVE=$A
check "SAMVYDAV_ARCHIVE names the archive" svd verify "$id"
unset SAMVYDAV_ARCHIVE
svd -C "$A" show "${id:0:8}" | grep -q "^verdict   verified" &&
	ok "show with a short id says verified" || not_ok "show with a short id says verified"
svd -C "$A" show --json "$id" | python3 -c '
import json,sys
d=json.load(sys.stdin)
assert d["verified"] is True, d
assert d["title"]=="Свідчення з Херсона", d["title"]
assert d["authors"]==["Олена Коваленко","Ivan P."], d["authors"]
assert [f["path"] for f in d["files"]]==["body.md","photo.jpg"], d["files"]
assert d["signatures"][0]["status"]=="valid"
' && ok "show --json carries the fields, files and verdict" || not_ok "show --json"

# the same item twice changes nothing
before=$(head_of "$A")
(cd "$A" && svd add --kind testimony --title "Свідчення з Херсона" --lang uk --created 2000-01-01T00:00:00Z \
	--body "$T/body.md" --key "$T/ed.key" >/dev/null)
(cd "$A" && svd add --kind testimony --title "Свідчення з Херсона" --lang uk --created 2000-01-01T00:00:00Z \
	--body "$T/body.md" --key "$T/ed.key" >/dev/null)
same "$($G rev-list --count main)" 2 "adding the same item again makes no commit"

# the sample corpus: 84 real records, ten languages, three scripts
mkdir -p "$T/corpus"
python3 "$SVD_SOURCE_DIR/tests/data/corpus/to_jsonl.py" "$SVD_SOURCE_DIR/tests/data/corpus/seed-articles.json" \
	"$T/corpus" --created 2026-01-01T00:00:00Z
check "add --from a JSON lines file of the corpus" svd -C "$A" add --from "$T/corpus/items.jsonl" --key "$T/ed.key"
n=$(svd -C "$A" list | wc -l)
same "$n" 86 "list shows every item"
same "$(ls "$A/store.git/objects/pack" | grep -c '\.pack$')" 3 "84 items came in one more pack"
svd -C "$A" list --lang el | grep -q "Ρώσοι στρατιώτες" && ok "list --lang el finds the Greek title" || not_ok "list --lang el"
same "$(svd -C "$A" list --kind testimony | wc -l)" 2 "list --kind testimony"
svd -C "$A" list --json | python3 -c '
import json,sys
rows=json.load(sys.stdin)
assert len(rows)==86
assert len({r["lang"] for r in rows})>=10
dates=[r["date"] for r in rows]
dated=[d for d in dates if d is not None]
assert dated==sorted(dated, reverse=True), "newest first"
assert dates==dated+[None]*(len(dates)-len(dated)), "the undated (date null) last"
' && ok "list --json: all items, ten languages, newest first, the undated last" || not_ok "list --json"
check "verify the whole archive" svd -C "$A" verify -q
svd -C "$A" verify --json | python3 -c '
import json,sys
d=json.load(sys.stdin); assert d["items"]==86 and d["failed"]==0, d' &&
	ok "verify --json reports 86 items, none failed" || not_ok "verify --json"
check "git fsck after the corpus" $G fsck --full --strict
same "$(svd -C "$A" log --oneline | wc -l)" 3 "log shows three commits"
svd -C "$A" log | grep -q "Add 84 items, signed by $keyid" && ok "log names the count and the key" || not_ok "log message"
check "git clone of the store works" git clone -q "$A/store.git" "$T/clone"
same "$(find "$T/clone/items" -name manifest.json | wc -l)" 86 "a clone holds every item"

# item folders with meta.json
mkdir -p "$T/dir/one" "$T/dir/two"
printf '{"kind":"article","title":"Bucha: a year after","lang":"en","published":"2023-03-31"}' >"$T/dir/one/meta.json"
printf 'Text.\n' >"$T/dir/one/body.md"
printf '{"kind":"article","title":"Буча через рік","lang":"uk"}' >"$T/dir/two/meta.json"
printf 'Текст.\n' >"$T/dir/two/body.md"
printf 'x' >"$T/dir/two/.DS_Store"
check "add --from-dir with meta.json folders" svd -C "$A" add --from-dir "$T/dir" --key "$T/ed.key"
same "$(svd -C "$A" list | wc -l)" 88 "both folders became items"

finish
