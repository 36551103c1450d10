#!/usr/bin/env bash
# Fuzz every target for a while with libFuzzer (clang), starting from the
# committed corpus; new inputs that reach new code are added to it, crashes
# are written to tests/fuzz/crashes/.
#
#     tests/fuzz/run.sh [SECONDS_PER_TARGET] [TARGET...]      (default 60, all)
#
# Targets run side by side, one a core (SVD_JOBS sets how many).
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

# fuzz_one T OUT: fuzz target T for $secs, its report to OUT; non-zero on a crash
fuzz_one() {
	local t=$1 out=$2 new stamp
	# new coverage goes to a scratch folder first; merge keeps only inputs that add coverage
	new=$(mktemp -d)
	stamp=$(mktemp)
	{
		echo "== fuzz_$t for ${secs}s"
		if "$build"/tests/fuzz_"$t" -max_total_time="$secs" -max_len=65536 -timeout=10 \
			-rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix=tests/fuzz/crashes/"$t"- \
			"$new" tests/fuzz/corpus/"$t" >"$out.log" 2>&1; then
			# the last status line: "#EXECS DONE cov: N ft: N corp: N/SIZE ..."
			grep -E '^#[0-9]+' "$out.log" | tail -n 1 || true
			grep -E 'stat::(number_of_executed_units|average_exec_per_sec)' "$out.log" || true
			echo ok >"$out.ok"
		else
			tail -n 40 "$out.log"
			echo "fuzz_$t FAILED; reproduce with: $build/tests/fuzz_$t FILE, FILE one of:"
			find tests/fuzz/crashes -name "$t-*" -newer "$stamp" | sed 's|^|    |'
		fi
	} >"$out" 2>&1
	if [ "${SVD_FUZZ_MERGE:-1}" != 0 ]; then
		"$build"/tests/fuzz_"$t" -merge=1 tests/fuzz/corpus/"$t" "$new" >/dev/null 2>&1 || true
	fi
	rm -rf "$new" "$stamp" "$out.log"
}

# The targets run as many at a time as there are jobs (SVD_JOBS, else one
# a core): each is single-threaded, so the stage takes secs x targets / jobs.
jobs=${SVD_JOBS:-$(nproc)}
outs=$(mktemp -d)
trap 'rm -rf "$outs"' EXIT
running=0
for t in "${targets[@]}"; do
	if [ "$running" -ge "$jobs" ]; then
		wait -n || true
		running=$((running - 1))
	fi
	fuzz_one "$t" "$outs/$t" &
	running=$((running + 1))
done
wait || true
status=0
for t in "${targets[@]}"; do
	cat "$outs/$t"
	[ -f "$outs/$t.ok" ] || status=1
done
exit $status
