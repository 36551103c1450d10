#!/usr/bin/env bash
# A killed import loses nothing (SPEC 6.2, 9.7): stop `samvydav import` at
# each pause point of its write path (docs/fault-injection.md) and kill it
# there with SIGKILL. After each, stock git finds the repository healthy,
# main is the old commit before the point where it moves (txn.committed) and
# the whole new one from there on (never in between), verify passes, and
# importing the bundle again completes the job.
. "$(dirname "$0")/lib.sh"


# 300 items with 100 KiB attachments (seeded, incompressible), about 30 MiB
# of bundle: the counted points stop among them, and the pack is large.
A=$T/sender
new_archive "$A" ed
mkdir -p "$T/src"
big_items "$T/src"
svd -C "$A" add --from "$T/src" --key "$T/ed.key" -q || exit 1
mkdir -p "$T/ex"
git --git-dir="$A/store.git" archive main | tar -x -C "$T/ex"
BUNDLE=$T/big.tar.zst
craft write --level 1 "$BUNDLE" "$T/ex" || exit 1
all_ids=$(ids_of "$A")

# The receiver starts with an item of its own, so "old main" is a commit.
R=$T/receiver
R0=$T/receiver0
new_archive "$R0" ed
mkdir -p "$T/own"
printf '{"title":"Власна","lang":"uk","created":"2025-12-31T00:00:00Z"}' >"$T/own/meta.json"
printf 'Власний текст.\n' >"$T/own/body.md"
svd -C "$R0" add --from "$T/own" --key "$T/ed.key" -q || exit 1
G="git --git-dir=$R/store.git"
all_imported() { [ "$(ids_of "$R")" = "$(printf '%s\n' "$all_ids" "$(ids_of "$R0")" | sort)" ]; }

# every point an import passes, the counted ones at the first, a middle and
# the last item (300 items make about 1,800 new objects)
for at in txn.staged:1 txn.staged:150 txn.staged:300 pack.object:1 pack.object:900 \
	bundle.read pack.written pack.renamed txn.packed txn.committed; do
	rm -rf "$R" "$T/pause"
	cp -a "$R0" "$R"
	old=$(head_of "$R")
	what="after a kill at $at"
	# the binary itself, not a shell function, so that the kill hits it
	SVD_PAUSE_AT=$at SVD_PAUSE_FILE=$T/pause "$SVD_BIN" -C "$R" import -q "$BUNDLE" >/dev/null 2>&1 &
	pid=$!
	kill_at "$at" import "$pid"
	new=$(head_of "$R")
	check "$what: git fsck --full --strict is clean" $G fsck --full --strict --no-dangling
	main_after_kill "$at" "$old" "$new" "$R/store.git" "$what" all_imported
	check "$what: verify passes" svd -C "$R" verify -q
	expect_exit 0 "" "$what: a rerun completes the import" svd -C "$R" import -q "$BUNDLE"
	same "$(ids_of "$R" | wc -l)" 301 "$what: after the rerun every item is there"
	same "$(find "$R/store.git" -name 'tmp_svd_*' -o -name '*.lock' | wc -l)" 0 \
		"$what: no temporary pack or lock is left after the rerun"
done
check "the last archive verifies" svd -C "$R" verify -q

# ---------------------------------------------------------------- sealed

# The same bundle sealed for the receiver (SPEC.md 12): a killed import of a
# sealed bundle loses nothing either.
svd -C "$A" network key -o "$T/A.pub" 2>/dev/null || exit 1
svd -C "$R0" network key -o "$T/R.pub" 2>/dev/null || exit 1
svd -C "$R0" network add "$T/A.pub" >/dev/null || exit 1
svd -C "$A" seal --to "$T/R.pub" -o "$T/sealed" "$BUNDLE" 2>/dev/null || exit 1
for at in txn.staged:150 bundle.read txn.packed txn.committed; do
	rm -rf "$R" "$T/pause"
	cp -a "$R0" "$R"
	old=$(head_of "$R")
	what="sealed: after a kill at $at"
	SVD_PAUSE_AT=$at SVD_PAUSE_FILE=$T/pause "$SVD_BIN" -C "$R" import -q "$T/sealed" >/dev/null 2>&1 &
	pid=$!
	kill_at "$at" import "$pid"
	new=$(head_of "$R")
	check "$what: git fsck --full --strict is clean" $G fsck --full --strict --no-dangling
	main_after_kill "$at" "$old" "$new" "$R/store.git" "$what" all_imported
	expect_exit 0 "" "$what: a rerun completes the import" svd -C "$R" import -q "$T/sealed"
	same "$(ids_of "$R" | wc -l)" 301 "$what: after the rerun every item is there"
done

# A killed sealed export: stopped after its 20th write (of about 30 MiB) and
# killed. Nothing is under the output's name; what is left is one file
# under a random name that its mirrors open as partial, and that holds no
# plaintext (no title of the corpus, no zstd magic, no JSON).
mkdir -p "$T/out"
rm -f "$T/pause"
SVD_PAUSE_AT=seal.write:20 SVD_PAUSE_FILE=$T/pause "$SVD_BIN" -C "$A" export -q --to "$T/R.pub" -o "$T/out/for-r" >/dev/null 2>&1 &
pid=$!
kill_at seal.write:20 export "$pid"
[ ! -e "$T/out/for-r" ] && ok "a killed sealed export: nothing under the output's name" ||
	not_ok "a killed sealed export: nothing under the output's name"
left=$(find "$T/out" -type f)
same "$(printf '%s\n' "$left" | sed '/^$/d' | wc -l)" 1 "a killed sealed export leaves one file"
same "$(basename "$left" | grep -cE '^[0-9a-f]{16}$')" 1 "its name is 16 random hex digits"
expect_exit 3 "never finished" "the receiver opens it as partial (unseal exits 3)" \
	svd -C "$R0" unseal -o "$T/x" "$left"
if grep -qaE 'Стаття|BUNDLE.json|"title"|ustar' "$left" || LC_ALL=C grep -qaP '\x28\xb5\x2f\xfd' "$left"; then
	not_ok "the partial file holds no plaintext"
else
	ok "the partial file holds no plaintext"
fi

finish
