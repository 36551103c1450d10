#!/usr/bin/env bash
# Crashes lose nothing: stop `samvydav add` at each pause point of its write
# path (docs/fault-injection.md) and kill it there with SIGKILL. After each,
# stock git finds the repository healthy, main is the old commit before the
# point where it moves (txn.committed) and the whole new one from there on
# (never in between), verify passes, and running the add again finishes the
# job and leaves no temporary pack.
. "$(dirname "$0")/lib.sh"

A0=$T/archive0
A=$T/archive
new_archive "$A0" ed

# 200 items (8 KiB attachments): the counted points stop among them
mkdir -p "$T/src"
for i in $(seq 1 200); do
	d=$T/src/item$i
	mkdir -p "$d"
	printf '{"kind":"article","title":"Стаття %d","lang":"uk","created":"2026-01-01T00:00:00Z"}' "$i" >"$d/meta.json"
	printf 'Текст статті %d.\n' "$i" >"$d/body.md"
	head -c 8192 /dev/urandom >"$d/photo.jpg"
done

G="git --git-dir=$A/store.git"
all_added() { [ "$(svd -C "$A" list | wc -l)" = 200 ]; }
# every point an add passes, the counted ones at the first, a middle and the
# last item (200 items make about 1,400 objects)
for at in txn.staged:1 txn.staged:100 txn.staged:200 pack.object:1 pack.object:700 \
	pack.written pack.renamed txn.packed txn.committed; do
	rm -rf "$A" "$T/pause"
	cp -a "$A0" "$A"
	old=$(head_of "$A")
	what="after a kill at $at"
	# the binary itself, not a shell function, so that the kill hits it
	SVD_PAUSE_AT=$at SVD_PAUSE_FILE=$T/pause \
		"$SVD_BIN" -C "$A" add --from "$T/src" --key "$T/ed.key" -q >/dev/null 2>&1 &
	pid=$!
	kill_at "$at" add "$pid"
	new=$(head_of "$A")
	check "$what: git fsck is clean" $G fsck --full --strict --no-dangling
	main_after_kill "$at" "$old" "$new" "$A/store.git" "$what" all_added
	check "$what: verify passes" svd -C "$A" verify -q
	check "$what: a rerun completes the add" svd -C "$A" add --from "$T/src" --key "$T/ed.key" -q
	same "$(svd -C "$A" list | wc -l)" 200 "$what: after the rerun every item is there"
	same "$(find "$A/store.git" -name 'tmp_svd_*' -o -name '*.lock' | wc -l)" 0 \
		"$what: no temporary pack or lock is left after the rerun"
done
check "the last archive verifies" svd -C "$A" verify -q

# a writer killed while moving main leaves libgit2's lock file; the next one
# (holding the archive's lock) clears it instead of failing for ever
printf 'stale\n' >"$A/store.git/refs/heads/main.lock"
mkdir -p "$T/one/x"
printf '{"kind":"article","title":"Після","lang":"uk"}' >"$T/one/x/meta.json"
printf 'text\n' >"$T/one/x/body.md"
check "a stale refs/heads/main.lock does not block the next add" svd -C "$A" add --from "$T/one" --key "$T/ed.key" -q
same "$(svd -C "$A" list | wc -l)" 201 "and the item went in"

finish
