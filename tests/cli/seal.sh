#!/usr/bin/env bash
# Sealed bundles and have-files (SPEC.md 12): round trips to one mirror, to
# three, to a passphrase; who can open what; what a sealed file shows to
# stock tools; and every salvage guarantee of a plain bundle through the
# sealing: a damaged chunk costs only the items whose frames it touches, a
# cut file keeps what came before the cut, a damaged head opens from the
# tail. Which frames hold which items is read from the plain bundle's index
# by craft_bundle.py; where each chunk lies follows from SPEC.md 12.4.
. "$(dirname "$0")/lib.sh"

# Mirrors A, B, C (trusting editor ed), each with its encryption key; A and B
# are one network (each added the other's public key), C is outside it.
A=$T/a B=$T/b C=$T/c
for m in A B C; do
	dir=${!m}
	new_archive "$dir" ed || exit 1
	svd -C "$dir" network key -o "$T/$m.pub" 2>/dev/null || exit 1
done
check "A adds B to its network" svd -C "$A" network add "$T/B.pub"
check "B adds A to its network" svd -C "$B" network add "$T/A.pub"

# 30 items in several frames: 26 short ones, 4 with an 80 KiB attachment.
mkdir -p "$T/src"
for i in $(seq 1 30); do
	d=$T/src/item$i
	mkdir -p "$d"
	printf '{"kind":"testimony","title":"Свідчення %d","lang":"uk","created":"2026-01-01T00:00:%02dZ"}' "$i" "$i" >"$d/meta.json"
	printf 'Свідчення номер %d.\n' "$i" >"$d/body.md"
done
python3 - "$T/src" <<-'EOF'
	import random, sys
	r = random.Random(30)
	for i in (5, 12, 19, 26):
	    open("%s/item%d/audio.ogg" % (sys.argv[1], i), "wb").write(r.randbytes(80 * 1024))
EOF
svd -C "$A" add --from "$T/src" --key "$T/ed.key" -q || exit 1
all_ids=$(ids_of "$A")

# ---------------------------------------------------------------- round trips

# fresh ARCHIVE NAME: a copy of the empty receiver ARCHIVE, as $T/NAME
fresh() {
	rm -rf "${T:?}/$2"
	cp -a "$1" "$T/$2"
}
# C knows A (so it can open what A seals for it), but A seals nothing for
# C unless told to
svd -C "$C" network add "$T/A.pub" >/dev/null || exit 1
cp -a "$B" "$T/b0"
cp -a "$C" "$T/c0"

check "export sealed for B" svd -C "$A" export -q --to "$T/B.pub" -o "$T/to-b"
expect_exit 1 "no key of this mirror" "C, outside the network, cannot open it (exit 1)" \
	svd -C "$C" import "$T/to-b"
same "$(ids_of "$C")" "" "C imported nothing"
fresh "$T/b0" rb
check "B imports the sealed bundle" svd -C "$T/rb" import -q "$T/to-b"
same "$(ids_of "$T/rb")" "$all_ids" "B holds every item"
check "A, the sender, inspects what it sealed" svd -C "$A" inspect "$T/to-b"
json=$(svd -C "$T/rb" inspect --json "$T/to-b" 2>/dev/null)
same "$(printf '%s' "$json" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["sealed"], d["accepted"])')" \
	"True 30" "inspect --json says sealed, 30 items accepted"

# stock tools see no bundle in it
if zstd -t -q "$T/to-b" 2>/dev/null; then not_ok "zstd -t refuses a sealed bundle"; else ok "zstd -t refuses a sealed bundle"; fi
if tar --zstd -tf "$T/to-b" >/dev/null 2>&1; then not_ok "tar cannot list a sealed bundle"; else ok "tar cannot list a sealed bundle"; fi

# to three: B and C by --to, and the network (B again) with it
check "export sealed for the network and C" svd -C "$A" export -q --network --to "$T/C.pub" -o "$T/to-bc"
fresh "$T/b0" rb
fresh "$T/c0" rc
check "B imports the bundle sealed for three" svd -C "$T/rb" import -q "$T/to-bc"
check "C imports the bundle sealed for three" svd -C "$T/rc" import -q "$T/to-bc"
same "$(ids_of "$T/rc")" "$all_ids" "C holds every item"

# a passphrase, read from a file; a wrong one
printf 'correct horse battery staple\n' >"$T/pass"
printf 'wrong horse\n' >"$T/wrong"
check "export sealed for a passphrase" svd -C "$A" export -q --passphrase-file "$T/pass" -o "$T/to-pass"
fresh "$T/c0" rc
expect_exit 1 "passphrase" "a wrong passphrase opens nothing (exit 1)" \
	svd -C "$T/rc" import --passphrase-file "$T/wrong" "$T/to-pass"
same "$(ids_of "$T/rc")" "" "after a wrong passphrase, nothing is imported"
check "the right passphrase opens it" svd -C "$T/rc" import -q --passphrase-file "$T/pass" "$T/to-pass"
same "$(ids_of "$T/rc")" "$all_ids" "with the passphrase, every item"
printf 'correct horse battery staple\n' | svd -C "$T/c0" inspect --passphrase "$T/to-pass" >/dev/null 2>&1
same "$?" 0 "--passphrase reads the first line of standard input when it is no terminal"

# plain stays plain
check "a plain export is a stock .tar.zst" svd -C "$A" export -q -o "$T/plain.tar.zst"
check "stock zstd checks the plain bundle" zstd -t -q "$T/plain.tar.zst"

# sizes are Padmé sizes: 9 and 11 items give the same size
# (a Padmé size keeps only its top bits: x is one when rounding it up changes nothing)
padme() {
	python3 -c '
import sys
x = int(sys.argv[1])
E = x.bit_length() - 1
S = E.bit_length()
mask = (1 << (E - S)) - 1
print(1 if x >= 512 and x & mask == 0 else 0)' "$1"
}
same "$(padme "$(stat -c %s "$T/to-b")")" 1 "the sealed bundle's size is a Padmé size"
same "$(padme "$(stat -c %s "$T/to-pass")")" 1 "the passphrase-sealed bundle's size is a Padmé size"

# ---------------------------------------------------------------- have-files

check "B writes a have-file sealed for A" svd -C "$T/rb" have --to "$T/A.pub" -o "$T/b.have"
if grep -qa "samvydav" "$T/b.have"; then not_ok "the sealed have-file names nothing"; else ok "the sealed have-file names nothing"; fi
json=$(svd -C "$A" export --json --have "$T/b.have" -o "$T/for-b" 2>/dev/null)
same "$(printf '%s' "$json" | python3 -c 'import json,sys; print(json.load(sys.stdin)["items"])')" 0 \
	"A reads B's sealed have-file: B lacks nothing"
expect_exit 1 "no key of this mirror" "C cannot read a have-file sealed for A" \
	svd -C "$T/rc" export --have "$T/b.have" -o "$T/nope"

# seal and unseal: a plain file sealed afterwards, and opened again
check "seal a plain bundle for B" svd -C "$A" seal --to "$T/B.pub" -o "$T/sealed-later" "$T/plain.tar.zst"
check "B unseals it" svd -C "$B" unseal -o "$T/opened.tar.zst" "$T/sealed-later"
same "$(sha256sum <"$T/opened.tar.zst")" "$(sha256sum <"$T/plain.tar.zst")" "unseal gives back the plain bundle byte for byte"
expect_exit 1 "no key" "C cannot unseal it" svd -C "$C" unseal -o "$T/x" "$T/sealed-later"
expect_exit 3 "neither" "seal refuses a file that is no bundle" svd -C "$A" seal --to "$T/B.pub" -o "$T/x" "$T/pass"

# ---------------------------------------------------------------- salvage through the sealing

# The bundle of the damage tests: 32 KiB frames, so that the frames are
# smaller than a chunk (64 KiB) and a chunk holds several of them.
mkdir -p "$T/ex"
git --git-dir="$A/store.git" archive main | tar -x -C "$T/ex"
craft write --frame-target 32768 "$T/b.tar.zst" "$T/ex" || exit 1
craft index "$T/b.tar.zst" >"$T/index" || exit 1
check "seal the crafted bundle for B" svd -C "$A" seal --to "$T/B.pub" -o "$T/sb" "$T/b.tar.zst"
size=$(stat -c %s "$T/sb")
# slots: B's and A's own; chunk k of the plaintext [65536k, 65536(k+1)) is
# at 2*88 + 65552k in the file
P0=$((2 * 88))

# lost_for START END: the ids of the items whose frames overlap plaintext [START, END)
lost_for() {
	awk -v s="$1" -v e="$2" '$1 == "frame" && $3 < e && $3 + $4 > s {for (i = 6; i <= NF; i++) print $i}' "$T/index"
}
not_in() {
	comm -23 <(printf '%s\n' "$1" | sed '/^$/d' | sort) <(printf '%s\n' "$2" | sed '/^$/d' | sort)
}
R=$T/rs
run_import() {
	rm -rf "$R"
	cp -a "$T/b0" "$R"
	out=$(svd -C "$R" import --json "$1" 2>/dev/null)
	rc=$?
	got=$(ids_of "$R")
}

# one byte flipped in chunk 1: exactly the items of the frames it touches may go
k=1
cp "$T/sb" "$T/flip"
printf '\x55' | dd of="$T/flip" bs=1 seek=$((P0 + 65552 * k + 1000)) conv=notrunc status=none
run_import "$T/flip"
same "$rc" 3 "a flipped byte in a chunk: import exits 3"
may=$(lost_for $((65536 * k)) $((65536 * (k + 1))))
same "$(not_in "$(not_in "$all_ids" "$may")" "$got")" "" "a flipped byte: every item outside the chunk's frames is imported"
[ -n "$(not_in "$all_ids" "$got")" ] && ok "a flipped byte: the chunk's items are lost" ||
	not_ok "a flipped byte: the chunk's items are lost"
same "$(printf '%s' "$out" | python3 -c 'import json,sys; print(json.load(sys.stdin)["damaged_chunks"])')" 1 \
	"a flipped byte: one damaged chunk reported"
check "a flipped byte: verify passes" svd -C "$R" verify -q

# a lost sector (4096 bytes of zeros) in chunk 0
cp "$T/sb" "$T/sector"
dd if=/dev/zero of="$T/sector" bs=1 seek=$((P0 + 20000)) count=4096 conv=notrunc status=none
run_import "$T/sector"
same "$rc" 3 "a lost sector: import exits 3"
may=$(lost_for 0 65536)
same "$(not_in "$(not_in "$all_ids" "$may")" "$got")" "" "a lost sector: every item outside chunk 0's frames is imported"

# cut short in the middle of chunk 2: every item of the frames before it comes in
cut=$((P0 + 65552 * 2 + 30000))
head -c "$cut" "$T/sb" >"$T/cut"
run_import "$T/cut"
same "$rc" 3 "a cut file: import exits 3"
must=$(awk -v c=$((65536 * 2)) '$1 == "frame" && $3 + $4 <= c {for (i = 6; i <= NF; i++) print $i}' "$T/index")
same "$(not_in "$must" "$got")" "" "a cut file: every item of the whole chunks before the cut is imported"
check "a cut file: verify passes" svd -C "$R" verify -q

# cut short at 16 places spread over the file: the items of the frames
# whose plaintext lies in whole chunks before the cut come in, and none
# from beyond the plaintext the file still holds
cuts=$(python3 -c 'import sys; s=int(sys.argv[1]); print("\n".join(str(s*k//17) for k in range(1, 17)))' "$size")
bad_cuts=""
for c in $cuts; do
	head -c "$c" "$T/sb" >"$T/cut"
	run_import "$T/cut"
	whole=$(((c - P0) / 65552 * 65536))
	[ "$whole" -lt 0 ] && whole=0
	avail=$(((c - P0) / 65552 * 65536 + (c - P0) % 65552))
	must=$(awk -v w="$whole" '$1 == "frame" && $3 + $4 <= w {for (i = 6; i <= NF; i++) print $i}' "$T/index")
	never=$(awk -v a="$avail" '$1 == "frame" && $3 >= a {for (i = 6; i <= NF; i++) print $i}' "$T/index")
	if [ "$rc" -ne 3 ]; then
		bad_cuts="$bad_cuts $c(exit $rc)"
	elif [ -n "$(not_in "$must" "$got")" ]; then
		bad_cuts="$bad_cuts $c(missing)"
	elif [ -n "$(comm -12 <(printf '%s\n' "$never" | sed '/^$/d' | sort) <(printf '%s\n' "$got" | sed '/^$/d' | sort))" ]; then
		bad_cuts="$bad_cuts $c(beyond)"
	fi
done
same "$bad_cuts" "" "16 cuts: each exits 3, keeps every item of the whole chunks before it, nothing from beyond"

# bit rot: 1 to 8 bits flipped at 24 seeds; whatever comes in verifies,
# exit 0 only with every item, items only from the bundle
bad_rot=""
for seed in $(seq 1 24); do
	craft flip "$T/sb" "$T/rot" --seed "$seed" --bits $((seed % 8 + 1))
	run_import "$T/rot"
	if [ "$rc" -ne 0 ] && [ "$rc" -ne 3 ] && { [ "$rc" -ne 1 ] || [ -n "$got" ]; }; then
		bad_rot="$bad_rot $seed(exit $rc)"
	elif [ "$rc" -eq 0 ] && [ "$got" != "$all_ids" ]; then
		bad_rot="$bad_rot $seed(exit 0, items missing)"
	elif [ -n "$(not_in "$got" "$all_ids")" ]; then
		bad_rot="$bad_rot $seed(foreign item)"
	elif [ -n "$got" ] && ! svd -C "$R" verify -q >/dev/null 2>&1; then
		bad_rot="$bad_rot $seed(verify)"
	fi
done
same "$bad_rot" "" "bit rot at 24 seeds: exit 0 only when whole, only verified items from the bundle"

# the head destroyed: the tail opens it, nothing is lost, the damage is told
cp "$T/sb" "$T/nohead"
dd if=/dev/urandom of="$T/nohead" bs=1 count=$P0 conv=notrunc status=none
run_import "$T/nohead"
same "$rc" 3 "a damaged head: import exits 3 (damage)"
same "$got" "$all_ids" "a damaged head: every item is imported (from the tail's copy)"

# both ends destroyed: nothing opens it
cp "$T/nohead" "$T/noends"
dd if=/dev/urandom of="$T/noends" bs=1 seek=$((size - P0)) count=$P0 conv=notrunc status=none
expect_exit 1 "no key of this mirror" "head and tail destroyed: no key opens it (exit 1)" \
	svd -C "$T/b0" import "$T/noends"

finish
