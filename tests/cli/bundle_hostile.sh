#!/usr/bin/env bash
# Hostile bundles (SPEC 9.7): each crafted by craft_bundle.py, an
# independent writer, with one hostile change in an otherwise good bundle.
# Import must exit 3 naming what failed, import nothing unverified (only the
# untouched items of the same bundle come in), leave a repository that stock
# git and `samvydav verify` find healthy, and inspect must exit 3 too. A good
# bundle from the same writer must import whole, pass stock zstd and tar,
# import a second time as a no-op, and import whole without its index.
. "$(dirname "$0")/lib.sh"



# The sending archive: 8 small articles, and one with a 1.5 MiB attachment
# so that a bundle at the writer's default 1 MiB frames has several frames.
A=$T/sender
new_archive "$A" ed
mkdir -p "$T/src"
for i in 1 2 3 4 5 6 7 8; do
	d=$T/src/item$i
	mkdir -p "$d"
	printf '{"kind":"article","title":"Стаття %d","lang":"uk","created":"2026-01-0%dT00:00:00Z"}' "$i" "$i" >"$d/meta.json"
	printf '# Стаття %d\n\nТекст.\n' "$i" >"$d/body.md"
done
# seeded, so the big item's id is the same on every run
python3 -c 'import random,sys; sys.stdout.buffer.write(random.Random(7).randbytes(1536*1024))' >"$T/src/item8/photo.jpg"
svd -C "$A" add --from "$T/src" --key "$T/ed.key" -q || exit 1
mkdir -p "$T/ex"
git --git-dir="$A/store.git" archive main | tar -x -C "$T/ex"
all_ids=$(ids_of "$A")

# The receiving archive as every case finds it: trusts ed, and already holds
# one item of its own, so "main unchanged" means something.
R0=$T/receiver0
new_archive "$R0" ed
mkdir -p "$T/own"
printf '{"title":"Власна","lang":"uk","created":"2025-12-31T00:00:00Z"}' >"$T/own/meta.json"
printf 'Власний текст.\n' >"$T/own/body.md"
svd -C "$R0" add --from "$T/own" --key "$T/ed.key" -q || exit 1
own_ids=$(ids_of "$R0")

fresh() {
	rm -rf "$1"
	cp -a "$R0" "$1"
}

# the health checks after any import: stock git, the archive's own verify
healthy() {
	check "$2: git fsck --full --strict is clean" fsck_clean "$1"
	check "$2: samvydav verify passes" svd -C "$1" verify -q
}

# ---------------------------------------------------------------- good bundles

GOOD=$T/good.tar.zst
check "the independent writer makes a bundle" craft write "$GOOD" "$T/ex"
check "stock zstd -t accepts it" zstd -q -t "$GOOD"
check "stock tar --zstd -tf lists it" tar --zstd -tf "$GOOD"
same "$(tar --zstd -tf "$GOOD" | head -n 1)" BUNDLE.json "BUNDLE.json is its first entry"
same "$(craft index "$GOOD" | grep -c '^frame')" 4 "it has 4 frames (BUNDLE.json, small items, the big item, the end)"

R=$T/recv-good
fresh "$R"
old=$(head_of "$R")
expect_exit 0 "" "a good bundle from the independent writer imports with exit 0" svd -C "$R" import -q "$GOOD"
same "$(ids_of "$R")" "$(printf '%s\n%s\n' "$all_ids" "$own_ids" | sort)" "every item of the good bundle is imported"
same "$(git --git-dir="$R/store.git" rev-parse -q --verify main^)" "$old" "as one commit on top of the old main"
healthy "$R" "good bundle"
mid=$(head_of "$R")
expect_exit 0 "" "importing the same bundle again exits 0" svd -C "$R" import -q "$GOOD"
same "$(head_of "$R")" "$mid" "importing it again changes nothing (main unchanged)"
expect_exit 0 "" "inspect of the good bundle exits 0" svd -C "$R" inspect "$GOOD"

# without the index (the trailing skippable frame cut off) the reader scans
idx_at=$(craft index "$GOOD" | awk '$1 == "index" {print $2}')
head -c "$idx_at" "$GOOD" >"$T/noindex.tar.zst"
R=$T/recv-noindex
fresh "$R"
expect_exit 0 "" "the good bundle without its index imports with exit 0" svd -C "$R" import -q "$T/noindex.tar.zst"
same "$(ids_of "$R")" "$(printf '%s\n%s\n' "$all_ids" "$own_ids" | sort)" "without the index every item is still imported"
healthy "$R" "no index"
# the writer's own --no-index gives the same file
craft write --no-index "$T/noindex2.tar.zst" "$T/ex"
same "$(cmp "$T/noindex.tar.zst" "$T/noindex2.tar.zst" && echo same)" same "the index is the only trailing thing (--no-index writes the same bytes)"

# SPEC 3.3.6 allows non-ASCII payload names, and SPEC 9.1 carries them as
# UTF-8 in pax records: such an item must import like any other.
U=$T/utf8
new_archive "$U" ed
mkdir -p "$T/usrc/u1"
printf '{"title":"Фото з мосту","lang":"uk","created":"2026-02-01T00:00:00Z"}' >"$T/usrc/u1/meta.json"
printf 'Текст.\n' >"$T/usrc/u1/body.md"
printf 'not really a photo\n' >"$T/usrc/u1/фото 1.jpg"
svd -C "$U" add --from "$T/usrc" --key "$T/ed.key" -q
mkdir -p "$T/uex"
git --git-dir="$U/store.git" archive main | tar -x -C "$T/uex"
craft write "$T/utf8.tar.zst" "$T/uex"
R=$T/recv-utf8
fresh "$R"
expect_exit 0 "" "an item with a UTF-8 file name (фото 1.jpg) in a pax header imports with exit 0" \
	svd -C "$R" import -q "$T/utf8.tar.zst"
same "$(ids_of "$R" | grep -c "$(ids_of "$U")")" 1 "the item with a UTF-8 file name is imported"
healthy "$R" "UTF-8 name"

# ---------------------------------------------------------------- hostile bundles

# hostile KIND PATTERN: craft the bundle, import it into a fresh receiver, and
# compare what came in with what the writer says a correct reader imports
# (the "imported" lines of --expect: every item but the victim; the victim
# is refused, or lost with its frame, which the writer gives to it alone).
hostile() {
	local kind=$1 pattern=$2
	local b=$T/h-$kind.tar.zst R=$T/recv-$kind want
	if ! craft write --hostile "$kind" --frame-target 4096 --expect "$T/$kind.expect" "$b" "$T/ex"; then
		not_ok "$kind: the bundle is crafted"
		return
	fi
	fresh "$R"
	expect_exit 3 "$pattern" "$kind: import exits 3 naming the problem" svd -C "$R" import -q "$b"
	want=$({ awk '$1 == "imported" {print $2}' "$T/$kind.expect"; printf '%s\n' "$own_ids"; } | sort)
	same "$(ids_of "$R")" "$want" "$kind: only the untouched items are imported ($(awk '$1 == "lost" || $1 == "refused" {print $1}' "$T/$kind.expect") the victim)"
	healthy "$R" "$kind"
	# a refused item is recorded for the operator (SPEC 9.7); damage alone
	# is only reported, so frame kinds are not held to this
	if grep -q '^refused ' "$T/$kind.expect"; then
		if grep -qs "$(awk '$1 == "refused" {print $2}' "$T/$kind.expect")" "$R"/refused/*; then
			ok "$kind: the refused item is recorded in refused/"
		else
			not_ok "$kind: the refused item is recorded in refused/"
		fi
	fi
	expect_exit 3 "" "$kind: inspect exits 3" svd -C "$R" inspect "$b"
	rm -rf "$R"
}

hostile dotdot 'a path with \.\.'
hostile absolute 'an absolute path'
hostile symlink 'symbolic link'
hostile hardlink 'hard link'
hostile chardev 'a device'
hostile blockdev 'a device'
hostile fifo 'FIFO'
hostile dir-then-file 'a folder entry'
hostile dup-path 'the same path twice'
hostile long-name 'over 4096 bytes'
hostile nul-name 'NUL'
hostile bad-utf8 'not valid UTF-8'
hostile dotgit 'hidden name'
hostile short-path 'outside the layout'
# filed under another valid id (BUNDLE.json and the index agree with the folder):
# import refuses it as inspect and unpack do, and nothing of it comes in
hostile wrong-id "manifest.json: id: filed as [0-9a-f]{64}, but the manifest's SHA-256 is"
hostile tar-size 'runs past the end of its frame|Truncated tar|cut short'
# the claimed size eats exactly the reader's synthetic end-of-archive: the
# entry then reads as 1536 bytes where the manifest says 7, and the gate
# refuses it (size); either that or damage is a clear refusal
hostile tar-size-tail 'size|[Tt]runcated|cut short'
hostile window 'too much memory|window'
# a frame header that declares more (fcs-lie) or less (fcs-lie-small) than
# the frame holds: the reader counts what it holds and says both numbers in
# its own words, whatever libzstd it runs on (fcs_exact below)
fcs_said='frame [0-9]+ \(1 items\): its header declares [0-9]+ bytes of content, but the frame holds [0-9]+ \(the frame is damaged'
hostile fcs-lie "$fcs_said"
hostile fcs-lie-small "$fcs_said"
hostile zip 'Unrecognized archive format|tar'
# the bomb is the last data frame, so every good item precedes it; the cap
# is on the whole bundle's output, so frames after a bomb would be cut off too
hostile bomb 'zstd bomb'
# SPEC 9.7's NUL rule on the name stock tar derives: GNU tar 1.34 and
# libarchive take a pax GNU.sparse.name over the path (whatever their
# order), cut every name at a NUL, and honour a pax size over the ustar one
hostile sparse-name-nul 'a name with a NUL byte'
hostile pax-size-nul 'a name with a NUL byte'
hostile sparse-name-decoy 'decoy\.md'
hostile tar-global 'a pax global header'
# a ustar magic that is neither POSIX's nor old GNU's: GNU tar reads the
# appended entry as the item's body.md, libarchive as zz/items/...; the
# frame is damaged, so the item is not accepted beside a forged body
hostile ustar-magic 'a tar header whose magic is neither POSIX'
hostile pax-sparse 'a pax sparse record'
# bytes after a zero block in a frame: stock tar stops reading there, so
# they are reported; the item before them is whole and imported
hostile tar-end-inside 'frame at [0-9]+: bytes that are not zeros after the tar end in it'

# interop: what stock tar lists of a crafted stream is what the reader reads
victim_of() { awk '$1 == "refused" || $1 == "lost" {print $2}' "$T/$1.expect"; }
v=$(victim_of sparse-name-nul)
same "$(tar --zstd -tf "$T/h-sparse-name-nul.tar.zst" | grep -c "^items/../$v/body\.md\$")" 1 \
	"sparse-name-nul: stock tar lists the victim's body.md (the name cut at its NUL), which the reader refuses"
v=$(victim_of pax-size-nul)
same "$(tar --zstd -tf "$T/h-pax-size-nul.tar.zst" | grep -c "^items/../$v/\(sig/0000000000000000\.minisig\|body\.md\)\$")" 2 \
	"pax-size-nul: stock tar reads past the zero data of the pax size to body.md, as the reader does"
v=$(victim_of sparse-name-decoy)
same "$(tar --zstd -tf "$T/h-sparse-name-decoy.tar.zst" | grep -c "^items/../$v/\(decoy\|body\)\.md\$")" 1 \
	"sparse-name-decoy: stock tar lists decoy.md and no body.md, the name the reader refuses"
v=$(victim_of ustar-magic)
same "$(tar --zstd -tf "$T/h-ustar-magic.tar.zst" 2>/dev/null | grep -c "^items/../$v/body\.md\$")" 2 \
	"ustar-magic: stock tar lists the victim's body.md twice (the forged one would overwrite it), which the reader does not accept"
same "$(tar --zstd -tf "$T/h-tar-end-inside.tar.zst" 2>/dev/null | grep -c 'hidden\.md$')" 0 \
	"tar-end-inside: stock tar stops at the zero block and never lists hidden.md after it"
b=$T/h-v7-prefix.tar.zst
craft write --hostile v7-prefix --frame-target 4096 --expect "$T/v7-prefix.expect" "$b" "$T/ex"
same "$(tar --zstd -tf "$b" | grep -c '^zz/')" 0 "v7-prefix: stock tar ignores the prefix of a header without ustar magic"
R=$T/recv-v7-prefix
fresh "$R"
expect_exit 0 "" "v7-prefix: the reader ignores it too, and imports every item" svd -C "$R" import -q "$b"
same "$(ids_of "$R")" "$(printf '%s\n%s\n' "$all_ids" "$own_ids" | sort)" "v7-prefix: every item is imported"
b=$T/h-sparse-name.tar.zst
craft write --hostile sparse-name --frame-target 4096 --expect "$T/sparse-name.expect" "$b" "$T/ex"
v=$(awk 'NR == 1 {print $2}' "$T/sparse-name.expect")
same "$(tar --zstd -tf "$b" | grep -c 'decoy\.md$')" 0 "sparse-name: stock tar lists GNU.sparse.name's body.md, not the pax path decoy.md"
R=$T/recv-sparse-name
fresh "$R"
expect_exit 0 "" "sparse-name: the reader reads the same name, body.md, and imports every item" svd -C "$R" import -q "$b"
same "$(ids_of "$R")" "$(printf '%s\n%s\n' "$all_ids" "$own_ids" | sort)" "sparse-name: every item is imported"

# fcs_exact KIND: the numbers and the place are the ones craft_bundle.py
# wrote, with the index (frame N) and without it (the frame found by scanning)
fcs_exact() {
	local kind=$1 b=$T/h-$1.tar.zst R=$T/recv-exact-$1 n d h at end
	read -r n d h <<<"$(awk '$1 == "fcs" {print $2, $3, $4}' "$T/$kind.expect")"
	at=$(craft index "$b" | awk -v n="$n" '$1 == "frame" && $2 == n {print $3}')
	if [ -z "$h" ] || [ -z "$at" ] || [ "$d" = "$h" ]; then
		not_ok "$kind: the writer says which frame lies and by how much"
		return
	fi
	fresh "$R"
	expect_exit 3 "damaged at byte $at \([0-9]+ bytes\): frame $n \(1 items\): its header declares $d bytes of content, but the frame holds $h \(the frame is damaged; its items are lost\)" \
		"$kind: import names frame $n at byte $at, $d bytes declared and $h held" svd -C "$R" import -q "$b"
	end=$(craft index "$b" | awk '$1 == "index" {print $2}')
	head -c "$end" "$b" >"$T/h-$kind-noindex.tar.zst"
	fresh "$R"
	expect_exit 3 "damaged at byte $at \([0-9]+ bytes\): frame at $at: its header declares $d bytes of content, but the frame holds $h \(the frame is damaged; its items are lost\)" \
		"$kind: without the index too, $d bytes declared and $h held" svd -C "$R" import -q "$T/h-$kind-noindex.tar.zst"
	rm -rf "$R"
}
fcs_exact fcs-lie
fcs_exact fcs-lie-small
for f in /tmp/samvydav-evil-dotdot /tmp/samvydav-evil-absolute /tmp/samvydav-evil-git; do
	[ -e "$f" ] && not_ok "nothing was written outside the archive ($f exists)" && continue
	ok "nothing was written outside the archive ($f)"
done

# An item signed only by a key the receiver does not trust, among good ones.
O=$T/other
new_archive "$O" other
mkdir -p "$T/osrc/o1"
printf '{"title":"Чужа","lang":"uk","created":"2026-03-01T00:00:00Z"}' >"$T/osrc/o1/meta.json"
printf 'Чужий текст.\n' >"$T/osrc/o1/body.md"
svd -C "$O" add --from "$T/osrc" --key "$T/other.key" -q
mkdir -p "$T/oex"
git --git-dir="$O/store.git" archive main | tar -x -C "$T/oex"
other_id=$(ids_of "$O")
craft write "$T/untrusted.tar.zst" "$T/ex" "$T/oex"
R=$T/recv-untrusted
fresh "$R"
expect_exit 3 "$other_id: sig/: trust" "untrusted: import exits 3 with a trust refusal naming the item" \
	svd -C "$R" import -q "$T/untrusted.tar.zst"
same "$(ids_of "$R")" "$(printf '%s\n%s\n' "$all_ids" "$own_ids" | sort)" "untrusted: the trusted items are imported, the untrusted one is not"
healthy "$R" "untrusted"
expect_exit 3 "" "untrusted: inspect exits 3" svd -C "$R" inspect "$T/untrusted.tar.zst"

# The manifest and signature of an item of the sender with the body of the
# other archive's item: a bundle of that one item imports nothing.
victim=$(printf '%s\n' "$all_ids" | head -n 1)
mkdir -p "$T/mix/items/${victim:0:2}"
cp -r "$T/ex/items/${victim:0:2}/$victim" "$T/mix/items/${victim:0:2}/"
cp "$T/oex/items/${other_id:0:2}/$other_id/body.md" "$T/mix/items/${victim:0:2}/$victim/body.md"
craft write "$T/mixed.tar.zst" "$T/mix"
R=$T/recv-mixed
fresh "$R"
old=$(head_of "$R")
expect_exit 3 "$victim: body.md: (size|sha256)" "mixed: import exits 3 naming the payload that does not match" \
	svd -C "$R" import -q "$T/mixed.tar.zst"
same "$(head_of "$R")" "$old" "mixed: main is unchanged"
healthy "$R" "mixed"
expect_exit 3 "" "mixed: inspect exits 3" svd -C "$R" inspect "$T/mixed.tar.zst"

finish
