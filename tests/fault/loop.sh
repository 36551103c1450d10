#!/usr/bin/env bash
# Fault injection (SVD_FAULT=ON build, docs/fault-injection.md): run
# `samvydav add`, `import` and `export` once to count their allocations and
# write-side file calls (N of each), then once per failure point k with the
# k-th call failing. Each run must either succeed (the failure was tolerated)
# or exit non-zero with a message that names the cause, never crash (exit
# >= 128, a sanitizer report); and then stock git finds the store healthy
# (fsck --strict), samvydav verify passes, main is exactly the old commit or
# a child of it holding exactly the tree of a run without faults, no
# temporary pack or lock is left, and the same command run again without a
# fault completes. An export leaves no file under the final name, or a whole
# bundle that samvydav inspect accepts, and nothing else. An unpack (of the
# import's bundle; reading, writing and page threads) and an unpack-archive
# (of the archive folder; verifying, page threads) leave nothing under any
# name, or the whole library of a run without faults.
#
# These checks do fail on a damaged result: a pack cut short or an object
# missing fails fsck and verify, a commit holding part of the items has
# another tree than the reference run, a moved main with a missing parent is
# neither old nor new, and a half bundle fails inspect (export.sh and
# bundle_damage.sh show inspect refusing cut files). SVD_FAULT_SELFTEST=1
# damages one result on purpose and expects the loop to report it.
#
# SVD_FAULT_MAX (default 400): at most this many points per command and kind;
# above it, an even sample that always holds the first and last 20 points.
# Usage: tests/fault/loop.sh [add|import|export|unpack|unpack-archive]...  (default: all five)
. "$(dirname "$0")/../cli/lib.sh"

: "${SVD_BUILD_DIR:?set SVD_BUILD_DIR to the build tree (ctest does)}"
if ! grep -q '^SVD_FAULT:BOOL=ON' "$SVD_BUILD_DIR/CMakeCache.txt" 2>/dev/null; then
	echo "skip: $SVD_BUILD_DIR is not a fault-injection build (cmake -DSVD_FAULT=ON)"
	exit 77
fi
unset SVD_FAULT SVD_FAULT_COUNT SVD_FAULT_TRACE
max=${SVD_FAULT_MAX:-400}
commands=${*:-add import export unpack unpack-archive}
start_all=$(date +%s)

# The archive every run starts from: 3 items by ed.
A0=$T/a0
new_archive "$A0" ed || exit 1
item() { # item DIR TITLE SIZE
	mkdir -p "$1"
	printf '{"kind":"article","title":"%s","lang":"uk","created":"2026-01-01T00:00:00Z"}' "$2" >"$1/meta.json"
	printf 'Текст: %s.\n' "$2" >"$1/body.md"
	head -c "$3" /dev/urandom >"$1/photo.jpg"
}
for i in 1 2 3; do item "$T/seed/s$i" "Наявна $i" 30000; done
svd -C "$A0" add --from "$T/seed" --key "$T/ed.key" -q || exit 1

# add: 2 new items, one of them over the 64 KiB write buffer
item "$T/new/n1" "Нова 1" 20000
item "$T/new/n2" "Нова 2" 200000

# import: a bundle of 3 items from another archive, one already in A0
S=$T/sender
new_archive "$S" ed || exit 1
for i in 1 2; do item "$T/other/o$i" "Інша $i" 40000; done
cp -r "$T/seed/s1" "$T/other/s1"
svd -C "$S" add --from "$T/other" --key "$T/ed.key" -q || exit 1
BUNDLE=$T/in.tar.zst
svd -C "$S" export -q -o "$BUNDLE" >/dev/null || exit 1

# run_cmd NAME ARCHIVE: the command under test, with whatever SVD_FAULT says
run_cmd() {
	case $1 in
	add) "$SVD_BIN" -C "$2" add --from "$T/new" --key "$T/ed.key" -q ;;
	import) "$SVD_BIN" -C "$2" import -q "$BUNDLE" ;;
	export) "$SVD_BIN" -C "$2" export -q -j 2 -o "$T/out/b.tar.zst" ;;
	unpack) "$SVD_BIN" -C "$2" unpack -q -j 2 "$BUNDLE" -o "$T/out/lib" ;;
	unpack-archive) "$SVD_BIN" unpack -q -j 2 --trust "$T/ed.pub" "$2" -o "$T/out/lib" ;;
	esac
}

# tree_of ARCHIVE: main's files and their blobs, but only the names of the
# signature files (add signs anew each run, and a signature holds its time)
tree_of() {
	git --git-dir="$1/store.git" ls-tree -r main 2>/dev/null |
		awk -F'\t' '{ if ($2 ~ /\/sig\//) print $2; else print }' | sha256sum
}
# library_sum DIR: every file of a reader library and its bytes
library_sum() { (cd "$1" && find . -type f | sort | xargs sha256sum | sha256sum); }
parent_of() { git --git-dir="$1/store.git" rev-parse -q --verify 'main^' 2>/dev/null; }

# points N: the failure points to try, all of them or an even sample
points() {
	local n=$1 k step
	if [ "$n" -le "$max" ]; then
		seq 1 "$n"
		return
	fi
	step=$(((n - 40 + max - 41) / (max - 40)))
	{
		seq 1 20
		seq 21 "$step" $((n - 20))
		seq $((n - 19)) "$n"
	} | sort -nu
}

# problem K WHAT DETAIL: one failed check at point K
problem() {
	bad=$((bad + 1))
	not_ok "$cmd $kind:$1: $2" "${3:-}"
}

W=$T/w
old=$(head_of "$A0")
for cmd in $commands; do
	# the reference: a run without faults, and its counts
	rm -rf "$W" "$T/out"
	mkdir -p "$T/out"
	cp -a "$A0" "$W"
	SVD_FAULT_COUNT=$T/count run_cmd "$cmd" "$W" >/dev/null 2>&1 || {
		not_ok "$cmd runs without faults"
		continue
	}
	ref_tree=$(tree_of "$W")
	ref_ids=$(ids_of "$W")
	[ "$cmd" = export ] && ref_bundle=$(tar --zstd -tf "$T/out/b.tar.zst" | sort | sha256sum)
	case $cmd in unpack*) ref_lib=$(library_sum "$T/out/lib") ;; esac
	# io+: the k-th write-side call and every later one fail (a full disk)
	for kind in alloc io io+; do
		n=$(awk -v k="${kind%+}" '$1 == k {print $2}' "$T/count")
		bad=0
		runs=0
		fired_runs=0
		failed_runs=0
		t0=$(date +%s%N)
		for k in $(points "$n"); do
			runs=$((runs + 1))
			rm -rf "$W" "$T/out" "$T/count"
			mkdir -p "$T/out"
			cp -a "$A0" "$W"
			SVD_FAULT=${kind%+}:$k${kind//[a-z]/} SVD_FAULT_COUNT=$T/count run_cmd "$cmd" "$W" >"$T/stdout" 2>"$T/stderr"
			rc=$?
			fired=$(awk '$1 == "fired" {print $2}' "$T/count" 2>/dev/null)
			[ "${fired:-0}" -gt 0 ] && fired_runs=$((fired_runs + 1))
			[ "$rc" -ne 0 ] && failed_runs=$((failed_runs + 1))
			msg=$(tr '\n' ' ' <"$T/stderr" | cut -c1-300)
			if [ "$rc" -ge 128 ] || [ ! -f "$T/count" ]; then
				problem "$k" "crashed (exit $rc)" "$msg"
			elif grep -qE 'Sanitizer|runtime error:' "$T/stderr"; then
				problem "$k" "sanitizer report (exit $rc)" "$(grep -m1 -E 'Sanitizer|runtime error:' "$T/stderr")"
			elif [ "$rc" -ne 0 ] && [ "${fired:-0}" -eq 0 ]; then
				problem "$k" "fails (exit $rc) with no fault injected" "$msg"
			elif [ "$rc" -ne 0 ] && ! grep -qE '^samvydav: .*(out of memory|Cannot allocate memory|No space left on device|Input/output error)' "$T/stderr"; then
				problem "$k" "exit $rc without a message that names the cause" "$msg"
			fi
			if [ -n "${SVD_FAULT_SELFTEST:-}" ] && [ "$k" = 1 ] && [ "$cmd" != export ]; then
				# a damaged store: the loop must see it
				p=$(ls "$W"/store.git/objects/pack/*.pack | head -n 1)
				truncate -s -100 "$p"
			fi
			if [ "$cmd" = export ] || [ "${cmd%-archive}" = unpack ]; then
				# an output beside an untouched archive: all of it or nothing
				if [ "$cmd" = export ]; then name=b.tar.zst what=bundle; else name=lib what=library; fi
				same_head=$(head_of "$W")
				[ "$same_head" = "$old" ] || problem "$k" "$cmd moved main" "$old -> $same_head"
				others=$(ls -A "$T/out" | grep -vx "$name")
				[ -z "$others" ] || problem "$k" "$cmd left files beside the $what" "$others"
				if [ ! -e "$T/out/$name" ]; then
					[ "$rc" -ne 0 ] || problem "$k" "exit 0 without a $what"
				elif [ "${cmd%-archive}" = unpack ]; then
					[ "$(library_sum "$T/out/lib")" = "$ref_lib" ] ||
						problem "$k" "a library under the final name with other contents (exit $rc)"
				elif ! out=$(svd -C "$W" inspect "$T/out/b.tar.zst" 2>&1); then
					problem "$k" "a bundle under the final name that inspect refuses (exit $rc)" \
						"$(printf '%s' "$out" | tail -n 2)"
				elif [ "$(tar --zstd -tf "$T/out/b.tar.zst" | sort | sha256sum)" != "$ref_bundle" ]; then
					problem "$k" "a bundle under the final name with other contents"
				fi
				continue
			fi
			if ! out=$(fsck_clean "$W" 2>&1); then
				problem "$k" "git fsck --strict fails (exit $rc)" "$(printf '%s' "$out" | tail -n 2)"
			fi
			if ! out=$(svd -C "$W" verify -q 2>&1); then
				problem "$k" "verify fails (exit $rc)" "$(printf '%s' "$out" | tail -n 2)"
			fi
			new=$(head_of "$W")
			if [ "$new" != "$old" ] && { [ "$(parent_of "$W")" != "$old" ] || [ "$(tree_of "$W")" != "$ref_tree" ]; }; then
				problem "$k" "main is neither the old commit nor the whole new one (exit $rc)" \
					"$(ids_of "$W" | wc -l) items, want $(printf '%s\n' "$ref_ids" | wc -l)"
			fi
			if [ "$rc" -eq 0 ] && [ "$new" = "$old" ]; then
				problem "$k" "exit 0 but main did not move"
			fi
			leftovers=$(cd "$W/store.git" && find . -name 'tmp_*' -o -name '*.lock' | head -n 3)
			[ -z "$leftovers" ] || problem "$k" "leftover temporary or lock files" "$leftovers"
			if [ "$new" = "$old" ]; then
				if ! out=$(run_cmd "$cmd" "$W" 2>&1); then
					problem "$k" "the rerun without a fault fails" "$(printf '%s' "$out" | tail -n 2)"
				elif [ "$(tree_of "$W")" != "$ref_tree" ]; then
					problem "$k" "the rerun ends with another tree"
				fi
			fi
		done
		ms=$((($(date +%s%N) - t0) / 1000000))
		printf '# %s %s: N=%s points, %d runs (%d failed, %d injected), %d ms\n' \
			"$cmd" "$kind" "$n" "$runs" "$failed_runs" "$fired_runs" "$ms"
		[ "$bad" -eq 0 ] && ok "$cmd: $runs runs failing one of $n $kind calls each leave the archive sound"
		# most runs must have met their fault, or the loop proved little
		if [ "$fired_runs" -lt $((runs * 9 / 10)) ]; then
			not_ok "$cmd $kind: the fault fired in most runs" "$fired_runs of $runs"
		fi
	done
done
printf '# all: %d s\n' $(($(date +%s) - start_all))
if [ -n "${SVD_FAULT_SELFTEST:-}" ]; then
	# the damage must have been seen, once per command and kind that write
	[ "$failed" -gt 0 ] && { echo "selftest: the damaged store was reported"; exit 0; }
	echo "selftest: the damaged store was not reported"
	exit 1
fi
finish
