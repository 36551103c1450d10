#!/usr/bin/env bash
# The mutation campaign in small (docs/fuzzing.md, "The mutation campaign"):
# 200 seeded mutants of a valid bundle of signed items (bit flips, byte
# overwrites, lost sectors zeroed and removed, truncation, insertion,
# deletion, swapped, dropped and duplicated frames; with and without the
# index), each imported into a fresh receiver. After every import: no crash
# or sanitizer report (in the sanitizer build), a documented exit status,
# no item but the legitimately signed ones, every tree entry the signed
# source's (or the receiver's own), main one commit on or unchanged, and
# git fsck clean for every tenth mutant that admitted something. Not
# vacuous: the unmutated bundles must import every signed item whole and
# refuse the ones signed by an untrusted key alone, and the run must see
# mutants that admitted items and mutants that lost signed items, intact
# items recovered, refusals reported, and every mutation kind.
# SVD_MUTATE_COUNT and SVD_MUTATE_SEED change the run; SVD_MUTATE_FINDINGS=DIR
# keeps the failing mutants.
. "$(dirname "$0")/lib.sh"

count=${SVD_MUTATE_COUNT:-200}
seed=${SVD_MUTATE_SEED:-15}
# the mutants that fail are saved here (the default goes with the scratch folder)
findings=${SVD_MUTATE_FINDINGS:-$T/findings}
out=$(python3 "$SVD_SOURCE_DIR/tests/tools/mutate_campaign.py" run "$T/work" --bin "$SVD_BIN" \
	--seed "$seed" --count "$count" --jobs 2 --scratch "$T" --every 50 --check \
	--summary "$T/summary.json" --findings "$findings" 2>&1)
rc=$?
printf '%s\n' "$out" | sed 's/^/# /'
if [ "$rc" -eq 0 ]; then
	ok "$count mutants of seed $seed: no finding, some imported and some refused"
else
	not_ok "$count mutants of seed $seed: no finding, some imported and some refused" \
		"exit $rc; the mutants that failed are in the output above (replay one with: tests/tools/mutate_campaign.py replay WORK --seed $seed --mutant N)"
	[ -d "$findings" ] && ls "$findings" | head -n 20 | sed 's/^/#   /'
fi
same "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["done"])' "$T/summary.json" 2>/dev/null)" \
	"$count" "every mutant was imported and checked"

finish
