#!/usr/bin/env bash
# A killed import loses nothing (SPEC 6.2, 9.7): kill `samvydav import` with
# SIGKILL at many moments. After each, stock git finds the repository
# healthy, main is the old commit or the whole new one (never in between),
# verify passes, and importing the bundle again completes the job.
. "$(dirname "$0")/lib.sh"


# Enough work that a kill lands in the middle: 300 items with 100 KiB
# attachments (seeded, incompressible), about 30 MiB of bundle.
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

# How long a whole import takes here: the kills are spread over that time.
cp -a "$R0" "$R"
start=$(date +%s%N)
check "an uninterrupted import completes" svd -C "$R" import -q "$BUNDLE"
ms=$((($(date +%s%N) - start) / 1000000))
same "$(ids_of "$R" | wc -l)" 301 "an uninterrupted import brings all 300 items"
printf '# a whole import takes %d ms\n' "$ms"
rm -rf "$R"

# 16 kills from the first millisecond to past the end (where the commit is
# made), at fixed fractions of the measured time
kills=0
for pct in 1 3 6 10 15 20 30 40 50 60 70 80 88 94 98 103; do
	rm -rf "$R"
	cp -a "$R0" "$R"
	old=$(head_of "$R")
	delay=$(awk -v ms="$ms" -v p="$pct" 'BEGIN {printf "%.3f", ms * p / 100000}')
	# the binary itself, not a shell function, so that the kill hits it
	"$SVD_BIN" -C "$R" import -q "$BUNDLE" >/dev/null 2>&1 &
	pid=$!
	sleep "$delay"
	kill -9 "$pid" 2>/dev/null && kills=$((kills + 1))
	wait "$pid" 2>/dev/null
	new=$(head_of "$R")
	what="after a kill at ${pct}% (${delay}s)"
	check "$what: git fsck --full --strict is clean" $G fsck --full --strict --no-dangling
	if [ "$new" = "$old" ]; then
		ok "$what: main is the old commit"
	elif [ "$($G rev-parse -q --verify "$new^" 2>/dev/null || true)" = "$old" ] &&
		[ "$(ids_of "$R")" = "$(printf '%s\n' "$all_ids" "$(ids_of "$R0")" | sort)" ]; then
		ok "$what: main is the whole new commit"
	else
		not_ok "$what: main is old or the whole new commit" "old=$old new=$new"
	fi
	check "$what: verify passes" svd -C "$R" verify -q
	expect_exit 0 "" "$what: a rerun completes the import" svd -C "$R" import -q "$BUNDLE"
	same "$(ids_of "$R" | wc -l)" 301 "$what: after the rerun every item is there"
	same "$(ls "$R/store.git/objects/pack" | grep -c '^tmp_svd_')" 0 "$what: no temporary pack is left after the rerun"
done
# half the kills at least must have hit a running import, or the test
# proved little (on a loaded machine the measured time is only a guide)
[ "$kills" -ge 8 ] && ok "$kills of 16 kills hit a running import" || not_ok "half the kills hit a running import" "only $kills of 16"
check "the last archive verifies" svd -C "$R" verify -q

finish
