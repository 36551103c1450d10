#!/usr/bin/env bash
# tests/tools/forensic.py, the searcher's view that the courier-safety tests
# rely on, shown able to pass and able to fail: random bytes of several
# sizes pass; a stock .tar.zst, what it holds once decompressed, samvydav's
# own plain bundle and have-file, a forbidden string in UTF-16LE, in other
# case, as a key number's bytes, a JPEG with EXIF (whose scan data alone
# looks random), zeros, text, bytes too evenly spread, and magics repeated
# more often than chance are each caught; small files get the signature and
# string checks only, and say so; --json; bad arguments exit 2.
. "$(dirname "$0")/lib.sh"

# seeded (Mersenne Twister) bytes: random to every statistic here, and the
# same on every run, so that a must-pass never fails by chance
# (fresh random bytes pass with probability above 99.9%: forensic.py)
randbytes() {
	python3 -c 'import random, sys; sys.stdout.buffer.write(random.Random(int(sys.argv[2])).randbytes(int(sys.argv[1])))' "$1" "$2"
}

# finds PATTERN DESCRIPTION ARGS...: forensic.py exits 1 and reports PATTERN
finds() {
	local pattern=$1 what=$2
	shift 2
	expect_exit 1 "$pattern" "$what" forensic "$@"
}

# --- random bytes pass, whatever the length, with forbidden strings given
for n in 100 4095 4096 65536 1048576 4194304; do
	randbytes "$n" "$n" >"$T/random.$n"
	expect_exit 0 "0 findings" "random bytes, $n of them, pass" \
		forensic --forbid samvydav --forbid "Свідчення з Херсона" --forbid 7C1B2A3D4E5F6071 "$T/random.$n"
done
expect_exit 0 "4096 bytes: .*looks random" "4096 random bytes get the randomness statistics" forensic "$T/random.4096"
expect_exit 0 "under 4096, too few for the randomness statistics; signature and string checks only" \
	"4095 bytes get the signature and string checks only, and it says so" forensic "$T/random.4095"
expect_exit 0 "printable runs: reported from [0-9]+ bytes" "it says from which length text counts for data that long" \
	forensic "$T/random.1048576"

# --- a JPEG with EXIF (a camera's headers, then 60 KiB of scan data)
python3 - "$T/photo.jpg" <<-'PY'
	import random, struct, sys
	def seg(marker, body):
	    return b"\xff" + bytes([marker]) + struct.pack(">H", len(body) + 2) + body
	# TIFF header and IFD0 with Make and Model, as a phone writes them
	make, model = b"Canon\0", b"Canon EOS 5D Mark IV\0"
	ifd_at = 8
	data_at = ifd_at + 2 + 2 * 12 + 4
	ifd = struct.pack("<H", 2)
	ifd += struct.pack("<HHII", 0x010F, 2, len(make), data_at)
	ifd += struct.pack("<HHII", 0x0110, 2, len(model), data_at + len(make))
	ifd += struct.pack("<I", 0)
	exif = b"Exif\0\0" + b"II*\0" + struct.pack("<I", ifd_at) + ifd + make + model
	out = b"\xff\xd8" + seg(0xE1, exif) + seg(0xDB, bytes([0]) + bytes(range(1, 65)))
	out += seg(0xC0, bytes([8, 0, 16, 0, 16, 1, 1, 0x11, 0]))
	out += seg(0xC4, bytes([0]) + bytes([0, 1] + [0] * 14) + bytes([0]))
	out += seg(0xDA, bytes([1, 1, 0, 0, 63, 0]))
	out += random.Random(8).randbytes(60 * 1024) + b"\xff\xd9"
	open(sys.argv[1], "wb").write(out)
PY
finds "signature: jpeg: JPEG \(three marker segments parse\)" "a JPEG: its marker chain" "$T/photo.jpg"
finds "signature: exif: magic" "a JPEG: its EXIF block" "$T/photo.jpg"
finds 'forbidden: "canon eos" \(text\)' "a JPEG: the camera's model, forbidden (in any case)" --forbid "canon eos" "$T/photo.jpg"
expect_exit 1 "photo.jpg: [0-9]+ bytes: .*: looks random" "a JPEG's statistics look random: its headers give it away" \
	forensic "$T/photo.jpg"

# --- a stock .tar.zst (stock tar and zstd) of a testimony with a photo
mkdir -p "$T/tree/item"
printf '{"title":"Свідчення з Херсона","lang":"uk","created":"2026-01-01T00:00:00Z"}' >"$T/tree/item/meta.json"
printf 'Ми виїхали з міста 12 листопада.\n' >"$T/tree/item/body.md"
cp "$T/photo.jpg" "$T/tree/item/photo.jpg"
tar -C "$T/tree" -cf - item | zstd -q -o "$T/plain.tar.zst"
finds "offset 0 \(0x0\): signature: zstd: zstd frame" "a stock .tar.zst: the zstd frame at offset 0" "$T/plain.tar.zst"
# a photo does not compress: zstd stores it, EXIF and all, as it is
finds 'signature: exif: magic' "the photo's EXIF is there, where zstd stored it" "$T/plain.tar.zst"
finds 'forbidden: "canon eos"' "and its camera's model" --forbid "canon eos" "$T/plain.tar.zst"
zstd -q -d -o "$T/plain.tar" "$T/plain.tar.zst"
finds "signature: tar: tar header for item/" "decompressed: the tar header" "$T/plain.tar"
finds "signature: json: " "decompressed: the JSON of meta.json" "$T/plain.tar"
finds "does NOT look random" "decompressed: not random" "$T/plain.tar"

# --- forbidden strings: in UTF-16LE, in other case, from a file, as bytes
{
	randbytes 9000 1
	printf 'mirror SamVydav-Kherson' | iconv -f UTF-8 -t UTF-16LE
	randbytes 9000 2
} >"$T/utf16.bin"
finds 'offset 9014 \(0x2336\): forbidden: "samvydav" \(UTF-16LE\)' "a forbidden string in UTF-16LE, in other case" \
	--forbid samvydav "$T/utf16.bin"
expect_exit 0 "0 findings" "without --forbid, the same file passes (the rest is random)" forensic "$T/utf16.bin"
{
	randbytes 5000 3
	printf 'Херсона' | iconv -f UTF-8 -t UTF-16LE
	randbytes 5000 4
} >"$T/utf16-cyr.bin"
printf 'samvydav\nХерсона\n' >"$T/forbidden"
finds 'forbidden: "Херсона" \(UTF-16LE\)' "--forbid-file: a Cyrillic word in UTF-16LE" --forbid-file "$T/forbidden" "$T/utf16-cyr.bin"
{
	randbytes 5000 5
	printf '\x71\x60\x5f\x4e\x3d\x2a\x1b\x7c'
	randbytes 5000 6
} >"$T/keyid.bin"
finds 'forbidden: "7C1B2A3D4E5F6071" \(bytes, little-endian\)' "a key number as its 8 bytes in little-endian order" \
	--forbid 7C1B2A3D4E5F6071 "$T/keyid.bin"

# --- what does not look random
head -c 100000 /dev/zero >"$T/zeros"
finds "randomness: entropy 0.000000 bits/byte" "zeros fail the randomness tests" "$T/zeros"
python3 -c 'import sys; sys.stdout.buffer.write(bytes(range(256)) * 400)' >"$T/counter"
finds "randomness: entropy 8.000000 bits/byte .*chi-square 0.0 \(random: [0-9.]+\.\." \
	"every byte value equally often: chi-square too small (too even to be chance)" "$T/counter"
for i in $(seq 300); do printf 'Ми виїхали з міста %d листопада.\n' "$i"; done >"$T/text"
finds "does NOT look random" "plain text fails the randomness tests" "$T/text"
finds "text: printable text, [0-9]+ bytes: Ми виїхали" "plain text: its runs of text (UTF-8)" "$T/text"
randbytes 200 9 >"$T/small"
printf 'untrusted comment: signature from samvydav secret key\n' >>"$T/small"
finds "signature: minisign" "a small file: a minisign comment" "$T/small"

# magics that do not parse count only when more than chance: 8 gzip
# magics in 64 KiB (random data holds 0.004)
python3 - "$T/magics" <<-'PY'
	import random, sys
	r = random.Random(10)
	d = bytearray(r.randbytes(65536))
	for k in range(8):
	    d[4096 * k + 100:4096 * k + 104] = b"\x1f\x8b\x08\xff"   # reserved flag bits: no gzip header
	open(sys.argv[1], "wb").write(d)
PY
finds "signature: gzip: 8 bare magics where random data of this length holds 0.0039" \
	"magics that do not parse, more often than chance" "$T/magics"

# --- samvydav's own plain bundle and have-file today (issue 14): caught
A=$T/a
new_archive "$A" ed &&
	printf 'Ми виїхали з міста 12 листопада.\n' >"$T/body.md" &&
	svd -C "$A" add --kind testimony --title "Свідчення з Херсона" --lang uk --body "$T/body.md" \
		--created 2026-01-01T00:00:00Z --key "$T/ed.key" >/dev/null &&
	svd -C "$A" export -o "$T/bundle.tar.zst" >/dev/null 2>&1 &&
	svd -C "$A" have -o "$T/a.have" >/dev/null 2>&1
check "a plain bundle and a have-file of samvydav" test -s "$T/bundle.tar.zst" -a -s "$T/a.have"
Aid=$(cat "$A/mirror-id")
id=$(ids_of "$A")
finds "signature: zstd: zstd frame" "samvydav's plain bundle: the zstd frame" "$T/bundle.tar.zst"
finds "signature: zstd-skippable" "samvydav's plain bundle: its index frame" "$T/bundle.tar.zst"
finds "forbidden: \"$id\" \(bytes\)" "samvydav's plain bundle: an item id as raw bytes in the index" \
	--forbid "$id" "$T/bundle.tar.zst"
finds "forbidden: \"$Aid\" \(text\)" "samvydav's have-file: the mirror id" --forbid "$Aid" "$T/a.have"
finds "forbidden: \"$id\" \(text\)" "samvydav's have-file: the item id" --forbid "$id" "$T/a.have"

# --- --json, and several files at once
forensic --json --forbid samvydav "$T/random.65536" "$T/utf16.bin" "$T/zeros" "$T/random.100" >"$T/out.json"
same "$?" 1 "--json: exit 1 when anything is found"
same "$(python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))
t = {x["path"].rsplit("/", 1)[-1]: x for x in j["targets"]}
print(j["findings"], t["random.65536"]["randomness"]["looks_random"], t["zeros"]["randomness"]["looks_random"],
      t["utf16.bin"]["counts"], t["random.100"]["randomness"]["tested"],
      j["method"]["chi_square_critical"].startswith("Wilson-Hilferty"))' "$T/out.json")" \
	"2 True False {'forbidden': 1} False True" \
	"--json: the findings, each file's statistics and counts, and the method"

# --- the tool's own failures: exit 2, not 0 or 1
expect_exit 2 "no-such-file" "a file that does not exist: exit 2" forensic "$T/no-such-file"
expect_exit 2 "give files" "no file: exit 2" forensic
expect_exit 2 "not an image this tool reads" "--image of something that is not FAT32: exit 2" forensic --image "$T/zeros"

finish
