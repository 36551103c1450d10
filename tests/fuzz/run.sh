#!/usr/bin/env bash
# Fuzz every target for a while with libFuzzer (clang), starting from the
# committed corpus; new inputs that reach new code are added to it, crashes
# are written to tests/fuzz/crashes/.
#
#     tests/fuzz/run.sh [SECONDS_PER_TARGET] [TARGET...]      (default 60, all)
#
# Needs clang and its runtime (Debian: clang libclang-rt-14-dev). A crash is
# a bug: add the crashing input to the target's corpus, fix the code, and the
# replay under ctest keeps it fixed.
set -euo pipefail
cd "$(dirname "$0")/../.."
secs=${1:-60}
shift || true
command -v clang >/dev/null || { echo "run.sh: clang is needed (apt-get install clang libclang-rt-14-dev)" >&2; exit 1; }

CC=clang cmake -S . -B build-fuzz -DSVD_FUZZ=ON -DSVD_SANITIZE=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
	for f in tests/fuzz/fuzz_*.c; do
		n=$(basename "$f" .c)
		targets+=("${n#fuzz_}")
	done
fi
cmake --build build-fuzz -j "$(nproc)" --target $(printf 'fuzz_%s ' "${targets[@]}") >/dev/null
mkdir -p tests/fuzz/crashes
status=0
for t in "${targets[@]}"; do
	echo "== fuzz_$t for ${secs}s"
	# new coverage goes to a scratch folder first; merge keeps only inputs that add coverage
	new=$(mktemp -d)
	if ! ./build-fuzz/tests/fuzz_"$t" -max_total_time="$secs" -max_len=65536 -timeout=10 \
		-rss_limit_mb=2048 -artifact_prefix=tests/fuzz/crashes/"$t"- \
		"$new" tests/fuzz/corpus/"$t" 2>&1 | tail -n 3; then
		status=1
	fi
	./build-fuzz/tests/fuzz_"$t" -merge=1 tests/fuzz/corpus/"$t" "$new" >/dev/null 2>&1 || true
	rm -rf "$new"
done
exit $status
