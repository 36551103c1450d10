#!/usr/bin/env bash
# Bundles as stock tools see them: samvydav export writes one .tar.zst that
# zstd -t, tar --zstd -t and -x accept, with BUNDLE.json first, whole items
# per frame and a sound index (SPEC.md, 9); --since, --have and --max-size
# choose and split; have-files that lie are refused, naming the line.
. "$(dirname "$0")/lib.sh"

command -v zstd >/dev/null || { echo "zstd is not installed"; exit 1; }

A=$T/a
new_archive "$A" ed || { echo "cannot set up an archive"; exit 1; }

# the seed corpus, as basic.sh adds it
seed_corpus "$A"
svd -C "$A" list --json | python3 -c 'import json,sys; print("\n".join(sorted(r["id"] for r in json.load(sys.stdin))))' >"$T/seed.ids"
# one item with a non-ASCII attachment name and one over 1 MiB
printf '# Фото\n' >"$T/photo-body.md"
head -c 20000 /dev/urandom >"$T/фото.jpg"
head -c 1500000 /dev/urandom >"$T/large.bin"
check "add an item with a non-ASCII file name" svd -C "$A" add --kind article --title "Фото" --lang uk \
	--body "$T/photo-body.md" --attach "$T/фото.jpg" --created 2026-02-01T00:00:00Z --key "$T/ed.key"
large=$(svd -C "$A" add --kind article --title "Large" --lang en --body "$T/photo-body.md" \
	--attach "$T/large.bin" --created 2026-02-02T00:00:00Z --key "$T/ed.key" | awk '/^Added/ {print $2}')
same "${#large}" 64 "add an item over 1 MiB"
svd -C "$A" list --json | python3 -c 'import json,sys; print("\n".join(sorted(r["id"] for r in json.load(sys.stdin))))' >"$T/all.ids"
same "$(wc -l <"$T/all.ids")" 86 "the archive holds 86 items"

# check_bundle FILE [IDS_FILE]: BUNDLE.json, frames, index and items per SPEC 9;
# with IDS_FILE, the bundle holds exactly those ids
cat >"$T/check.py" <<'PY'
import json, struct, subprocess, sys, tarfile, io, zlib, hashlib
path = sys.argv[1]
want = open(sys.argv[2]).read().split() if len(sys.argv) > 2 else None
data = open(path, "rb").read()
def fail(msg):
    print("%s: %s" % (path, msg)); sys.exit(1)
# the index, from the end
if data[-8:] != b"SVDXEND1": fail("no SVDXEND1 at the end")
crc, length = struct.unpack("<II", data[-16:-8])
start = len(data) - 16 - length - 8
magic, clen = struct.unpack("<II", data[start:start + 8])
if magic != 0x184D2A5A or clen != length + 16: fail("bad skippable frame header")
body = data[start + 8:start + 8 + length]
if zlib.crc32(body) != crc: fail("bad CRC")
tag, ver, nframes, nitems = struct.unpack("<4sIII", body[:16])
if tag != b"SVDX" or ver != 1: fail("bad index head")
if length != 16 + 32 * nframes + 32 * nitems: fail("bad index length")
frames = [struct.unpack("<QQQII", body[16 + 32 * i:48 + 32 * i]) for i in range(nframes)]
ids = [body[16 + 32 * nframes + 32 * i:48 + 32 * nframes + 32 * i].hex() for i in range(nitems)]
pos = 0
for off, csize, usize, first, count in frames:
    if off != pos: fail("frames do not tile the file at %d" % off)
    pos += csize
if pos != start: fail("frames end at %d, the index starts at %d" % (pos, start))
if frames[0][4] != 0 or frames[-1][4] != 0: fail("frame 0 or the last frame holds items")
# each frame alone: decompress with stock zstd, read its tar entries
def unz(b):
    p = subprocess.run(["zstd", "-dc"], input=b, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if p.returncode: fail("zstd -d refuses a frame: %s" % p.stderr.decode())
    return p.stdout
def entries(b):
    out = []
    with tarfile.open(fileobj=io.BytesIO(b), mode="r:") as t:
        for m in t:
            if not m.isreg() or m.mode != 0o644 or m.uid or m.gid or m.uname or m.gname:
                fail("entry %s: not a plain 0644 file owned by 0:0 without names" % m.name)
            out.append((m.name, t.extractfile(m).read(), m.mtime))
    return out
f0 = unz(data[:frames[0][1]])
if len(f0) != frames[0][2]: fail("frame 0 content size")
e0 = entries(f0)
if [e[0] for e in e0] != ["BUNDLE.json"]: fail("frame 0 is not BUNDLE.json alone")
meta = e0[0][1]
m = json.loads(meta)
if json.dumps(m, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode() != meta:
    fail("BUNDLE.json is not canonical")
if sorted(m) != ["count", "created", "format", "ids", "mirror"] or m["format"] != 1: fail("BUNDLE.json members")
if m["ids"] != sorted(set(m["ids"])) or m["count"] != len(m["ids"]): fail("BUNDLE.json ids or count")
if m["ids"] != ids: fail("the index's items differ from BUNDLE.json's")
if want is not None and sorted(want) != ids: fail("holds %d items, expected %d" % (len(ids), len(want)))
end = unz(data[frames[-1][0]:frames[-1][0] + frames[-1][1]])
if end != bytes(1024): fail("the last frame is not the end marker")
seen = []
for off, csize, usize, first, count in frames[1:-1]:
    raw = unz(data[off:off + csize])
    if len(raw) != usize: fail("frame at %d: content size" % off)
    es = entries(raw)
    items = []
    for name, content, mtime in es:
        parts = name.split("/")
        if parts[0] != "items" or parts[1] != parts[2][:2]: fail("bad path " + name)
        if not items or items[-1][0] != parts[2]:
            if parts[3:] != ["manifest.json"]: fail("item %s does not start with its manifest" % parts[2])
            if hashlib.sha256(content).hexdigest() != parts[2]: fail("manifest hash of " + name)
            items.append((parts[2], []))
        items[-1][1].append("/".join(parts[3:]))
    got = [i for i, _ in items]
    if got != ids[first:first + count]: fail("frame at %d: items differ from the index" % off)
    for i, names in items:
        sigs = [n for n in names if n.startswith("sig/")]
        pay = [n for n in names[1:] if not n.startswith("sig/")]
        if names != ["manifest.json"] + pay + sigs or pay != sorted(pay, key=lambda s: s.encode()) or sigs != sorted(sigs):
            fail("item %s: entries out of order: %s" % (i, names))
    seen += got
if seen != ids: fail("the frames do not hold every item once, in id order")
print("%s: %d items, %d frames" % (path, len(ids), len(frames)))
PY
check_bundle() { python3 "$T/check.py" "$@"; }
bundle_ids() { python3 -c '
import json,subprocess,sys
for p in sys.argv[1:]:
    out = subprocess.run(["tar","--zstd","-xOf",p,"BUNDLE.json"],stdout=subprocess.PIPE,check=True).stdout
    print("\n".join(json.loads(out)["ids"]))' "$@" | sed '/^$/d'; }

# the whole archive
check "export of the archive" svd -C "$A" export -q -o "$T/all.tar.zst"
check "zstd -t accepts the bundle" zstd -q -t "$T/all.tar.zst"
tar --zstd -tf "$T/all.tar.zst" >"$T/list" 2>&1 && ok "tar --zstd -tf lists the bundle" || not_ok "tar --zstd -tf" "$(head -3 "$T/list")"
same "$(head -n 1 "$T/list")" BUNDLE.json "BUNDLE.json comes first"
same "$(sed 1d "$T/list" | grep -vc '^items/../[0-9a-f]\{64\}/')" 0 "every other entry is under items/xx/ID/"
grep -q "/фото.jpg$" "$T/list" && ok "a non-ASCII file name survives (pax, UTF-8)" || not_ok "non-ASCII name" "$(grep -v body "$T/list" | head -3)"
mkdir -p "$T/x" && tar --zstd -xf "$T/all.tar.zst" -C "$T/x" && ok "tar --zstd -xf unpacks it" || not_ok "tar --zstd -xf unpacks it"
bad=0
for d in "$T"/x/items/*/*/; do
	[ "$(sha256sum <"$d/manifest.json" | cut -d' ' -f1)" = "$(basename "$d")" ] || bad=$((bad + 1))
done
same "$bad" 0 "sha256sum of each manifest.json is its folder's name"
same "$(ls -d "$T"/x/items/*/* | wc -l)" 86 "the unpacked bundle holds every item"
(cd "$T/x/items" && for d in */*/; do
	id=$(basename "$d")
	python3 -c '
import json,sys
m=json.load(open(sys.argv[1]+"/manifest.json"))
for f in m["files"]: print(f["sha256"]+"  "+sys.argv[1]+"/"+f["path"])' "$d"
done) >"$T/sums"
(cd "$T/x/items" && sha256sum -c --quiet "$T/sums") && ok "every payload matches its manifest" || not_ok "every payload matches its manifest"
check "BUNDLE.json, frames, index and items are as SPEC 9 says" check_bundle "$T/all.tar.zst" "$T/all.ids"
# one data frame on its own, cut out with stock tools, lists whole items
read -r off len < <(python3 -c '
import struct,sys
d=open(sys.argv[1],"rb").read(); n=struct.unpack("<I",d[-12:-8])[0]; s=len(d)-16-n
f=struct.unpack("<QQQII",d[s+16+32:s+48+32]); print(f[0],f[1])' "$T/all.tar.zst")
tail -c +$((off + 1)) "$T/all.tar.zst" | head -c "$len" | zstd -dc | tar -t >"$T/frame1" 2>/dev/null
head -n 1 "$T/frame1" | grep -q '/manifest.json$' && ok "frame 1 alone: zstd -d | tar -t lists items from their manifest" ||
	not_ok "frame 1 alone" "$(head -n 2 "$T/frame1")"
tar --zstd -xOf "$T/all.tar.zst" BUNDLE.json | python3 -c '
import json,sys
m=json.load(sys.stdin)
assert m["mirror"]==open(sys.argv[1]).read().strip(), m["mirror"]
assert m["created"].endswith("Z") and len(m["created"])==20
' "$A/mirror-id" && ok "BUNDLE.json names this mirror and when" || not_ok "BUNDLE.json names this mirror and when"
svd -C "$A" export --json -o "$T/j.tar.zst" | python3 -c '
import json,sys,os
d=json.load(sys.stdin)
assert d["items"]==86 and d["files"]==[sys.argv[1]] and d["bytes"]==os.path.getsize(sys.argv[1]), d' "$T/j.tar.zst" &&
	ok "export --json says files, items and bytes" || not_ok "export --json"
same "$(ls "$T" | grep -c 'tmp-')" 0 "no temporary file is left behind"

# a large item: alone in its frame; and an item streamed in a frame of its own (over 8 MiB)
L=$T/large
new_archive "$L" ed >/dev/null
head -c 9000000 /dev/urandom >"$T/huge.bin"
svd -C "$L" add --kind article --title "Huge" --lang en --body "$T/photo-body.md" --attach "$T/huge.bin" --key "$T/ed.key" >/dev/null
svd -C "$L" add --kind article --title "Small" --lang en --body "$T/photo-body.md" --key "$T/ed.key" >/dev/null
svd -C "$L" add --kind article --title "Small 2" --lang en --body "$T/photo-body.md" --key "$T/ed.key" >/dev/null
check "export of an item over 8 MiB" svd -C "$L" export -q -j 2 -o "$T/large.tar.zst"
check "zstd -t accepts a streamed frame" zstd -q -t "$T/large.tar.zst"
check "the streamed bundle is as SPEC 9 says" check_bundle "$T/large.tar.zst"
mkdir -p "$T/lx" && tar --zstd -xf "$T/large.tar.zst" -C "$T/lx"
same "$(find "$T/lx" -name huge.bin -exec sha256sum {} + | cut -d' ' -f1)" "$(sha256sum <"$T/huge.bin" | cut -d' ' -f1)" \
	"the 9 MB file comes out byte for byte"

# --since COMMIT: exactly what was added after it
c0=$(head_of "$A")
for i in 1 2 3; do
	svd -C "$A" add --kind article --title "New $i" --lang en --body "$T/photo-body.md" \
		--created 2031-0$i-01T00:00:00Z --key "$T/ed.key" | awk '/^Added/ {print $2}'
done | sort >"$T/new.ids"
same "$(wc -l <"$T/new.ids")" 3 "three more items"
check "export --since COMMIT" svd -C "$A" export -q --since "$c0" -o "$T/since.tar.zst"
check "--since COMMIT holds exactly the items added after it" check_bundle "$T/since.tar.zst" "$T/new.ids"
check "export --since a short commit id" svd -C "$A" export -q --since "${c0:0:10}" -o "$T/since2.tar.zst"
same "$(bundle_ids "$T/since2.tar.zst")" "$(cat "$T/new.ids")" "--since a short commit id gives the same items"
expect_exit 4 "no commit" "an unknown commit exits 4" svd -C "$A" export -q --since deadbeef00 -o "$T/u.tar.zst"
expect_exit 2 "not a commit id" "a --since that is neither a date nor a commit id exits 2" \
	svd -C "$A" export -q --since yesterday -o "$T/u.tar.zst"
expect_exit 2 "not a date" "a date that does not exist exits 2" svd -C "$A" export -q --since 2031-02-30 -o "$T/u.tar.zst"

# --since DATE: created on or after it
svd -C "$A" list --json | python3 -c '
import json,sys
print("\n".join(sorted(r["id"] for r in json.load(sys.stdin) if r["created"][:10]>="2031-02-01")))' >"$T/date.ids"
same "$(wc -l <"$T/date.ids")" 2 "two items created on or after 2031-02-01"
check "export --since DATE" svd -C "$A" export -q --since 2031-02-01 -o "$T/date.tar.zst"
check "--since DATE holds the items created on or after it" check_bundle "$T/date.tar.zst" "$T/date.ids"
cat "$T/all.ids" "$T/new.ids" | sort >"$T/all2.ids"
svd -C "$A" export -q --since 2026-01-01 -o "$T/d2.tar.zst" && check "--since an early date holds every item" check_bundle "$T/d2.tar.zst" "$T/all2.ids"

# --have: mirror B holds some items; A exports exactly what B lacks
B=$T/b
new_archive "$B" ed >/dev/null
head -n 30 "$T/seed.ids" >"$T/b.ids"
mkdir -p "$T/bsrc"
while read -r id; do export_item "$A" "$id" "$T/bsrc/$id"; done <"$T/b.ids"
check "mirror B takes 30 of A's items" svd -C "$B" add -q --from "$T/bsrc"
check "have -o writes B's have-file" svd -C "$B" have -o "$T/b.have"
same "$(sed -n 1p "$T/b.have")" "samvydav have 2" "the have-file starts with its header"
same "$(sed -n 4p "$T/b.have")" "count 30" "the have-file counts B's items"
same "$(sed -n 5,6p "$T/b.have")" "keys 1
$(sed -n 2p "$T/ed.pub" | base64 -d | python3 -c 'import sys; print(sys.stdin.buffer.read()[2:10][::-1].hex().upper())')" \
	"then the key ids that sign them: ed's alone"
same "$(sed 1,6d "$T/b.have")" "$(sed 's/$/ 0/' "$T/b.ids")" "the have-file lists B's ids, sorted, each signed by key 0"
svd -C "$B" have --json -o "$T/b2.have" | python3 -c '
import json,sys; d=json.load(sys.stdin); assert d["items"]==30 and len(d["mirror"])==32, d' &&
	ok "have --json" || not_ok "have --json"
comm -23 "$T/all2.ids" "$T/b.ids" >"$T/lack.ids"
check "export --have B's have-file" svd -C "$A" export -q --have "$T/b.have" -o "$T/lack.tar.zst"
check "--have: the bundle holds exactly what B lacks" check_bundle "$T/lack.tar.zst" "$T/lack.ids"
svd -C "$A" have -o "$T/a.have" >/dev/null
check "export --have of a mirror that has everything" svd -C "$A" export -q --have "$T/a.have" -o "$T/none.tar.zst"
check "... is a valid bundle of no items" check_bundle "$T/none.tar.zst" /dev/null
check "an empty bundle passes zstd -t" zstd -q -t "$T/none.tar.zst"
same "$(tar --zstd -tf "$T/none.tar.zst")" BUNDLE.json "an empty bundle lists BUNDLE.json alone"
expect_exit 4 "no such file|cannot open" "a missing have-file exits 4" svd -C "$A" export -q --have "$T/nope.have" -o "$T/u.tar.zst"

# have-files that lie: each refused (exit 3), naming the line
mirror=$(cat "$B/mirror-id")
id1=$(sed -n 1p "$T/b.ids")
id2=$(sed -n 2p "$T/b.ids")
bad_have() { # NAME LINE CONTENT
	printf '%b' "$3" >"$T/bad-$1.have"
	expect_exit 3 "line $2" "a have-file with $1 is refused naming line $2" \
		svd -C "$A" export -q --have "$T/bad-$1.have" -o "$T/u.tar.zst"
}
hdr="samvydav have 1\nmirror $mirror\ncreated 2026-01-01T00:00:00Z\n"
bad_have "a bad header" 1 "samvydav have 3\nmirror $mirror\ncreated 2026-01-01T00:00:00Z\ncount 0\n"
bad_have "a bad mirror" 2 "samvydav have 1\nmirror XYZ\ncreated 2026-01-01T00:00:00Z\ncount 0\n"
bad_have "a bad time" 3 "samvydav have 1\nmirror $mirror\ncreated 2026-13-01T00:00:00Z\ncount 0\n"
bad_have "a bad count" 4 "${hdr}count 01\n"
bad_have "unsorted ids" 6 "${hdr}count 2\n$id2\n$id1\n"
bad_have "a duplicate id" 6 "${hdr}count 2\n$id1\n$id1\n"
bad_have "a bad id" 5 "${hdr}count 1\n${id1^^}\n"
bad_have "a short id" 5 "${hdr}count 1\n${id1:0:63}\n"
bad_have "fewer ids than counted" 6 "${hdr}count 2\n$id1\n"
bad_have "more ids than counted" 6 "${hdr}count 1\n$id1\n$id2\n"
bad_have "a too long line" 5 "${hdr}count 1\n$id1$id1\n"
bad_have "no final newline" 5 "${hdr}count 1\n$id1"
bad_have "CRLF" 1 "samvydav have 1\r\nmirror $mirror\r\n"
bad_have "a NUL byte" 1 "samvydav have 1\0x\nmirror $mirror\n"
bad_have "an empty file" 1 ""
# format 2: the key table and each item's indexes into it, as strictly
h2="samvydav have 2\nmirror $mirror\ncreated 2026-01-01T00:00:00Z\n"
ka=1111111111111111
kb=2222222222222222
bad_have "format 2 without its key table" 5 "${h2}count 0\n"
bad_have "a bad keys line" 5 "${h2}count 0\nkeyz 0\n"
bad_have "a key id in lowercase" 6 "${h2}count 0\nkeys 1\nabcdef0123456789\n"
bad_have "a short key id" 6 "${h2}count 0\nkeys 1\n${ka:0:15}\n"
bad_have "key ids out of order" 7 "${h2}count 0\nkeys 2\n$kb\n$ka\n"
bad_have "a key id twice" 7 "${h2}count 0\nkeys 2\n$ka\n$ka\n"
bad_have "a key table cut short" 7 "${h2}count 0\nkeys 2\n$ka\n"
bad_have "an index past the table" 7 "${h2}count 1\nkeys 1\n$ka\n$id1 1\n"
bad_have "indexes out of order" 8 "${h2}count 1\nkeys 2\n$ka\n$kb\n$id1 1,0\n"
bad_have "an index twice" 8 "${h2}count 1\nkeys 2\n$ka\n$kb\n$id1 0,0\n"
bad_have "an index with a leading zero" 7 "${h2}count 1\nkeys 1\n$ka\n$id1 00\n"
bad_have "a trailing comma" 7 "${h2}count 1\nkeys 1\n$ka\n$id1 0,\n"
bad_have "two spaces" 7 "${h2}count 1\nkeys 1\n$ka\n$id1  0\n"
bad_have "a sign in an index" 7 "${h2}count 1\nkeys 1\n$ka\n$id1 -0\n"
bad_have "unsorted ids in format 2" 8 "${h2}count 2\nkeys 1\n$ka\n$id2 0\n$id1 0\n"
printf "${h2}count 0\nkeys 65537\n" >"$T/bigk.have"
expect_exit 3 "over the limit" "a key table over 65,536 key ids is refused" \
	svd -C "$A" export -q --have "$T/bigk.have" -o "$T/u.tar.zst"
{ printf "${h2}count 1\nkeys 1\n$ka\n$id1 0"; printf ',0%.0s' $(seq 3000); printf '\n'; } >"$T/long2.have"
expect_exit 3 "line 7" "a format-2 line over 8192 bytes is refused" \
	svd -C "$A" export -q --have "$T/long2.have" -o "$T/u.tar.zst"
printf "${h2}count 1\nkeys 1\n$ka\n$id1\n" >"$T/bare.have"
check "a format-2 line with an id alone (no signatures listed) is read" \
	svd -C "$A" export -q --have "$T/bare.have" -o "$T/bare.tar.zst"
printf "${hdr}count 4000001\n" >"$T/big.have"
expect_exit 3 "over the limit" "a have-file counting over 4,000,000 ids is refused" \
	svd -C "$A" export -q --have "$T/big.have" -o "$T/u.tar.zst"
same "$(ls "$T" | grep -c '^u\.')" 0 "a failed export leaves no file"

# --max-size: several complete bundles, each under the size, every item once
# (mirror B's 30 items of the seed corpus, a few KiB each)
check "export --max-size 12K" svd -C "$B" export -q --max-size 12K -o "$T/split.tar.zst"
nparts=$(ls "$T"/split.*.tar.zst | wc -l)
[ "$nparts" -gt 2 ] && ok "--max-size 12K writes several parts ($nparts)" || not_ok "--max-size writes several parts" "$nparts"
[ ! -e "$T/split.tar.zst" ] && ok "no unsplit file beside the parts" || not_ok "no unsplit file beside the parts"
over=0
for p in "$T"/split.*.tar.zst; do
	[ "$(stat -c %s "$p")" -le 12288 ] || over=$((over + 1))
	check_bundle "$p" >/dev/null || over=$((over + 1))
	zstd -q -t "$p" || over=$((over + 1))
done
same "$over" 0 "each part is a complete bundle of at most 12 KiB"
same "$(bundle_ids $(ls "$T"/split.*.tar.zst | sort -t. -k2 -n) )" "$(cat "$T/b.ids")" \
	"the parts hold every item once, in id order"
same "$(ls "$T" | grep -c 'frames\|tmp-')" 0 "no scratch file is left behind"
expect_exit 2 "item $large .*max-size" "an item that cannot fit alone fails naming it" \
	svd -C "$A" export -q --max-size 1M -o "$T/tiny.tar.zst"
same "$(ls "$T" | grep -c '^tiny')" 0 "... and leaves no part behind"
expect_exit 2 "max-size" "--max-size takes a size" svd -C "$A" export -q --max-size 12Q -o "$T/u.tar.zst"
expect_exit 2 "-o FILE" "export needs -o" svd -C "$A" export -q
expect_exit 2 "level" "--level takes 1 to 19" svd -C "$A" export -q --level 22 -o "$T/u.tar.zst"

finish
