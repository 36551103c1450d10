#!/usr/bin/env bash
# Fuzz every target for a while with libFuzzer (clang), starting from the
# committed corpus; new inputs that reach new code are added to it, crashes
# are written to tests/fuzz/crashes/.
#
#     tests/fuzz/run.sh [SECONDS_PER_TARGET] [TARGET...]      (default 60, all)
#
# SVD_FUZZ_SECONDS gives the time when no argument does; SVD_FUZZ_BUILD the
# build folder (default build-fuzz, configured here if it is not yet);
# SVD_FUZZ_MERGE=0 leaves the corpus as it is (CI: nothing found there is
# committed by itself). Each target ends with one line of figures: seconds,
# executions, coverage (libFuzzer's cov:) and corpus size.
#
# Needs clang and its runtime (Debian: clang libclang-rt-14-dev). A crash is
# a bug: add the crashing input to the target's corpus, fix the code, and the
# replay under ctest keeps it fixed.
set -euo pipefail
cd "$(dirname "$0")/../.."
secs=${1:-${SVD_FUZZ_SECONDS:-60}}
shift || true
build=${SVD_FUZZ_BUILD:-build-fuzz}
command -v clang >/dev/null || { echo "run.sh: clang is needed (apt-get install clang libclang-rt-14-dev)" >&2; exit 1; }

if [ ! -f "$build/CMakeCache.txt" ]; then
	CC=clang cmake -S . -B "$build" -DSVD_FUZZ=ON -DSVD_SANITIZE=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
	for f in tests/fuzz/fuzz_*.c; do
		n=$(basename "$f" .c)
		targets+=("${n#fuzz_}")
	done
fi
cmake --build "$build" -j "${SVD_JOBS:-$(nproc)}" --target $(printf 'fuzz_%s ' "${targets[@]}") >/dev/null
mkdir -p tests/fuzz/crashes
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
status=0
for t in "${targets[@]}"; do
	echo "== fuzz_$t for ${secs}s"
	# new coverage goes to a scratch folder first; merge keeps only inputs that add coverage
	new=$(mktemp -d)
	log=$(mktemp)
	before=$(ls tests/fuzz/crashes | wc -l)
	if "$build"/tests/fuzz_"$t" -max_total_time="$secs" -max_len=65536 -timeout=10 \
		-rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix=tests/fuzz/crashes/"$t"- \
		"$new" tests/fuzz/corpus/"$t" >"$log" 2>&1; then
		# the last status line: "#EXECS DONE cov: N ft: N corp: N/SIZE ..."
		grep -E '^#[0-9]+' "$log" | tail -n 1
		grep -E 'stat::(number_of_executed_units|average_exec_per_sec)' "$log" || true
	else
		status=1
		tail -n 40 "$log"
		echo "fuzz_$t FAILED; reproduce with: $build/tests/fuzz_$t FILE, FILE one of:"
		ls -t tests/fuzz/crashes | head -n $(($(ls tests/fuzz/crashes | wc -l) - before)) |
			sed 's|^|    tests/fuzz/crashes/|'
	fi
	rm -f "$log"
	if [ "${SVD_FUZZ_MERGE:-1}" != 0 ]; then
		"$build"/tests/fuzz_"$t" -merge=1 tests/fuzz/corpus/"$t" "$new" >/dev/null 2>&1 || true
	fi
	rm -rf "$new"
done
exit $status
