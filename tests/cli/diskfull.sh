#!/usr/bin/env bash
# A full disk and a read-only one, for real: a small tmpfs holds the archive.
# add, import and export run until ENOSPC; each refusal exits 1 with a
# message that says the disk is full, stock git finds the store healthy,
# verify passes, main is the old commit, no temporary file is left, and once
# space is freed the same command succeeds. Remounted read-only, add and
# import refuse with a message about the read-only file system while verify,
# list and export (to elsewhere) still work.
# Needs root (mount); otherwise skipped with exit 77 (SKIP_RETURN_CODE).
. "$(dirname "$0")/lib.sh"

if [ "$(id -u)" -ne 0 ]; then
	echo "skip: needs root to mount a small tmpfs"
	exit 77
fi
M=$T/mnt
mkdir -p "$M"
if ! mount -t tmpfs -o size=4096k,mode=0755 tmpfs "$M" 2>/dev/null; then
	echo "skip: needs root to mount (mount -t tmpfs failed here)"
	exit 77
fi
trap 'umount "$M" 2>/dev/null; rm -rf "$T"' EXIT

G="git --git-dir=$M/a/store.git"
free_kib() { df -k --output=avail "$M" | tail -n 1 | tr -d ' '; }

# fill LEAVE_KIB: take the free space down to about LEAVE_KIB with a filler
fill() {
	rm -f "$M/filler"
	head -c $(($(free_kib) * 1024)) /dev/zero >"$M/filler" 2>/dev/null
	truncate -s "-$(($1 * 1024))" "$M/filler"
}

# item DIR N SIZE: an item folder with an incompressible attachment
item() {
	mkdir -p "$1"
	printf '{"kind":"article","title":"Стаття %s","lang":"uk","created":"2026-01-01T00:00:00Z"}' "$2" >"$1/meta.json"
	printf 'Текст %s.\n' "$2" >"$1/body.md"
	head -c "$3" /dev/urandom >"$1/photo.jpg"
}

# sound WHAT OLD: the archive after a refused operation
sound() {
	check "$1: git fsck --strict is clean" fsck_clean "$M/a"
	check "$1: verify passes" svd -C "$M/a" verify -q
	same "$(head_of "$M/a")" "$2" "$1: main is the old commit"
	same "$(find "$M/a/store.git" -name 'tmp_*' -o -name '*.lock' | wc -l)" 0 \
		"$1: no temporary pack or lock file is left"
}

# the message of a refusal for want of space: exit 1, the cause named
NOSPACE='No space left on device'

new_archive "$M/a" ed || { echo "cannot set up an archive on the tmpfs"; exit 1; }
# export: 4 items into a bundle on the tmpfs, with half a bundle free, then none
for j in 1 2 3 4; do item "$T/esrc/e$j" "e$j" 102400; done
svd -C "$M/a" add --from "$T/esrc" --key "$T/ed.key" -q || exit 1
mkdir -p "$M/out"
head=$(head_of "$M/a")
svd -C "$M/a" export -q -o "$T/size.tar.zst" || exit 1
bsize=$(($(stat -c %s "$T/size.tar.zst") / 1024))
for leave in $((bsize / 2)) 0; do
	fill "$leave"
	expect_exit 1 "$NOSPACE" "export with $leave KiB free fails cleanly" svd -C "$M/a" export -q -o "$M/out/x.tar.zst"
	svd -C "$M/a" export -q -o "$M/out/x.tar.zst" 2>&1 | sed 's/^/# message: /' 
	same "$(ls -A "$M/out" | wc -l)" 0 "export with $leave KiB free: no file is left, under any name"
	same "$(head_of "$M/a")" "$head" "export with $leave KiB free: main is unchanged"
done
rm -f "$M/filler"
check "after freeing space, the export succeeds" svd -C "$M/a" export -q -o "$M/out/x.tar.zst"
check "and inspect accepts the bundle" svd -C "$M/a" inspect "$M/out/x.tar.zst"
rm -rf "$M/out" "$T/size.tar.zst"

# add: items of 150 KiB one by one until the disk is full; a ballast file
# is what is freed then
head -c 1572864 /dev/zero >"$M/ballast"

adds=0
for i in $(seq 1 40); do
	item "$T/src/i$i" "$i" 153600
	old=$(head_of "$M/a")
	if ! svd -C "$M/a" add --from "$T/src/i$i" --key "$T/ed.key" -q >"$T/out" 2>&1; then
		break
	fi
	adds=$((adds + 1))
done
printf '# %d adds fit, add %d meets a full disk (%s KiB free)\n' "$adds" "$i" "$(free_kib)"
[ "$adds" -ge 3 ] && [ "$adds" -lt 40 ] && ok "the tmpfs fills up after $adds adds" ||
	not_ok "the tmpfs fills up after a few adds" "$adds adds"
sed 's/^/# message: /' "$T/out"
grep -qE "^samvydav: .*$NOSPACE" "$T/out" && ok "add on a full disk: the message says so" ||
	not_ok "add on a full disk: the message says so" "$(cat "$T/out")"
sound "add on a full disk" "$old"
# a disk that is full from the first byte
fill 0
expect_exit 1 "$NOSPACE" "add on a disk with no byte free fails cleanly" \
	svd -C "$M/a" add --from "$T/src/i$i" --key "$T/ed.key" -q
sound "add with no byte free" "$old"
# make room (the archive itself is never touched): the same add succeeds
rm -f "$M/filler"
rm -f "$M/ballast"
check "after freeing space, the same add succeeds" svd -C "$M/a" add --from "$T/src/i$i" --key "$T/ed.key" -q
same "$(ids_of "$M/a" | wc -l)" $((4 + adds + 1)) "and the item is there"
check "and the archive verifies" svd -C "$M/a" verify -q

# import: a bundle of 8 items of 100 KiB, into a disk with about half of it free
S=$T/sender
new_archive "$S" ed
for j in $(seq 1 8); do item "$T/bsrc/b$j" "b$j" 102400; done
svd -C "$S" add --from "$T/bsrc" --key "$T/ed.key" -q || exit 1
svd -C "$S" export -q -o "$T/b.tar.zst" || exit 1
size_kib=$(($(stat -c %s "$T/b.tar.zst") / 1024))
for leave in $((size_kib / 2)) 16 0; do
	fill "$leave"
	old=$(head_of "$M/a")
	expect_exit 1 "$NOSPACE" "import with $leave KiB free fails cleanly" svd -C "$M/a" import -q "$T/b.tar.zst"
	svd -C "$M/a" import -q "$T/b.tar.zst" 2>&1 | sed 's/^/# message: /' 
	sound "import with $leave KiB free" "$old"
done
rm -f "$M/filler"
check "after freeing space, the import succeeds" svd -C "$M/a" import -q "$T/b.tar.zst"
same "$(comm -13 <(ids_of "$M/a") <(ids_of "$S") | wc -l)" 0 "and every item of the bundle is there"
check "and the archive verifies" svd -C "$M/a" verify -q

# unpack: a library of that bundle on the full disk (files written by a
# second thread, pages by others): the cause named, no folder left
for leave in $((size_kib / 2)) 0; do
	fill "$leave"
	expect_exit 1 "$NOSPACE" "unpack with $leave KiB free fails cleanly" \
		svd -C "$M/a" unpack -q "$T/b.tar.zst" -o "$M/lib"
	same "$(find "$M" -maxdepth 1 -name 'lib*' | wc -l)" 0 \
		"unpack with $leave KiB free: no folder is left, under any name"
	same "$(svd -C "$M/a" unpack -q "$T/b.tar.zst" -o "$M/lib" 2>&1 | grep -c -i 'damage')" 0 \
		"unpack with $leave KiB free: the bundle is not called damaged"
done
rm -f "$M/filler"

# read-only
mount -o remount,ro "$M" || { not_ok "remount read-only"; finish; }
old=$(head_of "$M/a")
item "$T/ro/r1" ro 1000
expect_exit 1 "[Rr]ead-only file system" "add on a read-only file system refuses, naming it" \
	svd -C "$M/a" add --from "$T/ro" --key "$T/ed.key" -q
expect_exit 1 "[Rr]ead-only file system" "import on a read-only file system refuses, naming it" \
	svd -C "$M/a" import -q "$T/b.tar.zst"
same "$(head_of "$M/a")" "$old" "main is unchanged"
check "verify works on a read-only file system" svd -C "$M/a" verify -q
same "$(svd -C "$M/a" list | wc -l)" $((4 + adds + 1 + 8)) "list works on a read-only file system"
check "export from a read-only archive to elsewhere works" svd -C "$M/a" export -q -o "$T/ro.tar.zst"
check "and inspect accepts that bundle" svd -C "$M/a" inspect "$T/ro.tar.zst"
mount -o remount,rw "$M"
check "mounted read-write again, git fsck is clean" fsck_clean "$M/a"

finish
