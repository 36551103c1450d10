#!/usr/bin/env bash
# Crashes lose nothing: kill an add with SIGKILL at several moments. After
# each, stock git finds the repository healthy, main is the old commit or the
# new one (never in between), verify passes, and running the add again
# finishes the job.
. "$(dirname "$0")/lib.sh"

A=$T/archive
new_archive "$A" ed

# enough work that a kill lands in the middle: 200 items with 200 KiB attachments
mkdir -p "$T/src"
for i in $(seq 1 200); do
	d=$T/src/item$i
	mkdir -p "$d"
	printf '{"kind":"article","title":"Стаття %d","lang":"uk","created":"2026-01-01T00:00:00Z"}' "$i" >"$d/meta.json"
	printf 'Текст статті %d.\n' "$i" >"$d/body.md"
	head -c 204800 /dev/urandom >"$d/photo.jpg"
done

G="git --git-dir=$A/store.git"
for delay in 0.05 0.15 0.3 0.5 0.8; do
	old=$(head_of "$A")
	"$SVD_BIN" -C "$A" add --from "$T/src" --key "$T/ed.key" -q >/dev/null 2>&1 &
	pid=$!
	sleep "$delay"
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	new=$(head_of "$A")
	check "after a kill at ${delay}s: git fsck is clean" $G fsck --full --strict --no-dangling
	if [ "$new" = "$old" ]; then
		ok "after a kill at ${delay}s: main is the old commit"
	elif [ "$($G rev-parse -q --verify "$new^" 2>/dev/null || true)" = "$old" ] ||
		{ [ -z "$old" ] && [ "$($G rev-list --count "$new")" = 1 ]; }; then
		ok "after a kill at ${delay}s: main is the whole new commit"
	else
		not_ok "after a kill at ${delay}s: main is old or new" "old=$old new=$new"
	fi
	check "after a kill at ${delay}s: verify passes" svd -C "$A" verify -q
	# start again from nothing for the next round, so each kill meets a full add
	if [ "$new" != "$old" ]; then
		rm -rf "$A"
		new_archive "$A" ed
	fi
done

check "a rerun after a kill completes the add" svd -C "$A" add --from "$T/src" --key "$T/ed.key" -q
same "$(svd -C "$A" list | wc -l)" 200 "every item is there"
check "and the archive verifies" svd -C "$A" verify -q
same "$(ls "$A/store.git/objects/pack" | grep -c '^tmp_svd_')" 0 "no temporary pack is left behind"

# a writer killed while moving main leaves libgit2's lock file; the next one
# (holding the archive's lock) clears it instead of failing for ever
printf 'stale\n' >"$A/store.git/refs/heads/main.lock"
mkdir -p "$T/one/x"
printf '{"kind":"article","title":"Після","lang":"uk"}' >"$T/one/x/meta.json"
printf 'text\n' >"$T/one/x/body.md"
check "a stale refs/heads/main.lock does not block the next add" svd -C "$A" add --from "$T/one" --key "$T/ed.key" -q
same "$(svd -C "$A" list | wc -l)" 201 "and the item went in"

finish
