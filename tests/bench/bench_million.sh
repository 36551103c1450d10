#!/usr/bin/env bash
# Benchmark of issue "a million items": every command's cost per item and
# peak memory, at 20,000 and at 1,000,000 small items.
#
#     bench_million.sh [--items N] [--corpus DIR] [--keep DIR] [--no-unpack]
#                      [--limit SIZE] [SCRATCH]
#
# The corpus is tests/bench/gen_corpus.py --small (bodies of 300-1,500 bytes,
# one item in a hundred with a photo, one in twenty undated); a million items
# take some 25 minutes to write on two cores and 12 GB of disk (most of it
# file system blocks of small files), so write it once and give it with
# --corpus:
#     python3 tests/bench/gen_corpus.py --small --items 1000000 /var/tmp/c1m
#     bash tests/bench/bench_million.sh --corpus /var/tmp/c1m /var/tmp
# In one scratch folder (removed at the end unless --keep), archive A gets the
# corpus and every command runs on it:
#   add (one commit), verify, list (building the view, then from
#   ARCHIVE/cache/list: all, --lang, --json), show, have,
#   export (full, then incremental after 10 more items), import of the full
#   bundle into an empty archive B, export --have of what B lacks, the stick
#   exchange A <-> B through a plain folder, sync of an empty archive C from
#   A's store over file://, unpack of A into a library (--no-unpack leaves it
#   out: at a million items it writes some 7 million files), and samvydavd on
#   A: the time from its start to the first page, and its resident memory.
# Each line gives the wall time, the time per item in microseconds, the peak
# resident memory (/usr/bin/time) and the peak of anonymous memory (the
# command's own; the rest is file pages mapped, see step() below). Not a
# test: nothing fails when a target is missed. MiB throughout.
#
# --limit SIZE (256M, say) runs every command in a memory cgroup of that
# size (root; cgroup v2 with the memory controller, or v1's memory
# hierarchy): the kernel's answer to "does it run on a machine with SIZE
# free", page cache included. A command the kernel kills for it is FAILED.
set -euo pipefail

usage_lines=4,6
no_unpack= limit=
args=()
while [ $# -gt 0 ]; do
	case $1 in
	--no-unpack) no_unpack=1 ;;
	--limit)
		[ $# -ge 2 ] || { echo "bench: --limit needs a size (256M, say)" >&2; exit 2; }
		limit=$2
		shift
		;;
	*) args+=("$1") ;;
	esac
	shift
done
set -- "${args[@]+"${args[@]}"}"
corpus_opts=--small
. "$(dirname "$0")/lib.sh"
. "$here/lib_daemon.sh"

corpus
if [ -n "$corpus_dir" ]; then
	items=$(find "$W/corpus/" -mindepth 1 -maxdepth 1 -type d -name 'item-*' | wc -l)
fi
echo "   $items items, $(calc "$corpus_bytes / 1048576" 1) MiB"

A=$W/A B=$W/B C=$W/C S=$W/stick
for x in "$A" "$B" "$C"; do "$SVD_BIN" init "$x" >/dev/null; done
"$SVD_BIN" key generate --no-passphrase -o "$W/editor.key" -p "$W/editor.pub" >/dev/null
for x in "$A" "$B" "$C"; do "$SVD_BIN" -C "$x" trust add "$W/editor.pub" >/dev/null; done

# The memory cgroup of --limit: cg_procs is the file a process joins it by.
cg_dir= cg_procs=
if [ -n "$limit" ]; then
	if grep -qw memory /sys/fs/cgroup/cgroup.controllers 2>/dev/null; then
		cg_dir=/sys/fs/cgroup/svd-bench-$$
		mkdir "$cg_dir"
		echo "$limit" >"$cg_dir/memory.max"
		echo 0 >"$cg_dir/memory.swap.max" 2>/dev/null || true
		cg_procs=$cg_dir/cgroup.procs
	elif [ -d /sys/fs/cgroup/memory ]; then
		cg_dir=/sys/fs/cgroup/memory/svd-bench-$$
		mkdir "$cg_dir"
		echo "$limit" >"$cg_dir/memory.limit_in_bytes"
		cg_procs=$cg_dir/tasks
	else
		echo "bench: --limit needs a memory cgroup (cgroup v2 with the memory controller, or v1's /sys/fs/cgroup/memory) and root" >&2
		exit 2
	fi
	# after the traps of lib.sh and lib_daemon.sh (stop, remove the scratch folder)
	trap "$(trap -p EXIT | sed "s/^trap -- '//; s/' EXIT\$//"); rmdir '$cg_dir' 2>/dev/null || true" EXIT
	echo "   every command in a memory cgroup of $limit ($cg_dir)"
fi
# in_limit COMMAND...: the command, in the cgroup of --limit if given
in_limit() {
	if [ -n "$cg_procs" ]; then
		sh -c 'echo $$ >"$1" && shift && exec "$@"' sh "$cg_procs" "$@"
	else
		"$@"
	fi
}

rows=()
# step NAME COMMAND...: timed as lib.sh's timed does (wall_NAME, rss_NAME: the
# peak resident set, /usr/bin/time), and anon_NAME: the peak of the
# command's anonymous memory (RssAnon, read every 50 ms). The difference is
# file pages mapped: libgit2 maps a pack's index whole (28 bytes an object,
# some 140 MB for a million items), page cache the kernel drops under
# pressure, which a machine with little memory free does not need to hold.
step() {
	local name=$1 t0 t1 tp pid= a peak=0 rc=0
	shift
	echo "== $name"
	rows+=("$name")
	sync
	t0=$(date +%s%N)
	in_limit /usr/bin/time -f %M -o "$W/$name.rss" "$@" >"$W/$name.out" 2>&1 &
	tp=$!
	while kill -0 "$tp" 2>/dev/null; do
		[ -n "$pid" ] || pid=$(pgrep -P "$tp" | head -n 1 || true)
		if [ -n "$pid" ]; then
			a=$(awk '/^RssAnon/ { print $2 }' "/proc/$pid/status" 2>/dev/null || true)
			[ -z "$a" ] || [ "$a" -le "$peak" ] || peak=$a
		fi
		sleep 0.05
	done
	wait "$tp" || rc=$?
	t1=$(date +%s%N)
	if [ "$rc" -ne 0 ]; then
		echo "bench: $name failed:" >&2
		tail -n 20 "$W/$name.out" >&2
		printf -v "failed_$name" 1
	fi
	printf -v "wall_$name" '%s' "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')"
	printf -v "rss_$name" '%s' "$(tail -n 1 "$W/$name.rss")"
	printf -v "anon_$name" '%s' "$peak"
}

step add "$SVD_BIN" -C "$A" add -q --from "$W/corpus" --key "$W/editor.key"
step verify "$SVD_BIN" -C "$A" verify -q
# the first list after add builds the view (and writes cache/view and
# cache/list); the next ones read cache/list
step list_view "$SVD_BIN" -C "$A" list
step list "$SVD_BIN" -C "$A" list
step list_lang "$SVD_BIN" -C "$A" list --lang uk
step list_json "$SVD_BIN" -C "$A" list --json
mid=$(sed -n "$((items / 2 + 1))p" "$W/list.out" | cut -d' ' -f1)
step show "$SVD_BIN" -C "$A" show "$mid"
step have "$SVD_BIN" -C "$A" have -o "$W/A.have"
step export_full "$SVD_BIN" -C "$A" export -q -o "$W/full.tar.zst"
prev=$(git -C "$A/store.git" rev-parse main)
python3 "$here/gen_corpus.py" --small --items 10 --seed more "$W/more" >/dev/null
"$SVD_BIN" -C "$A" add -q --from "$W/more" --key "$W/editor.key"
step export_inc "$SVD_BIN" -C "$A" export -q --since "$prev" -o "$W/inc.tar.zst"
# past the bundle's item limit (if any) an export writes numbered parts
step import "$SVD_BIN" -C "$B" import -q "$W"/full*.tar.zst
"$SVD_BIN" -C "$B" have -o "$W/B.have" >/dev/null
step export_have "$SVD_BIN" -C "$A" export -q --have "$W/B.have" -o "$W/diff.tar.zst"
mkdir -p "$S"
step stick_b1 "$SVD_BIN" -C "$B" stick -q --plain "$S"
step stick_a "$SVD_BIN" -C "$A" stick -q --plain "$S"
step stick_b2 "$SVD_BIN" -C "$B" stick -q --plain "$S"
step sync "$SVD_BIN" -C "$C" sync -q a "file://$A/store.git"
if [ -z "$no_unpack" ]; then
	step unpack "$SVD_BIN" -C "$A" unpack -q "$A" -o "$W/library"
	lib_files=$(find "$W/library" -type f | wc -l)
	lib_big=$(find "$W/library" -type f -printf '%s %P\n' | sort -n | tail -n 1)
fi

echo "== samvydavd on A"
t0=$(date +%s%N)
start_svdd "$A"
# from nothing (no catalog file yet) the first build reads every item
wait_http "$svdd_url/" 3600
first_page=$(calc "($(date +%s%N) - $t0) / 1e9" 2)
# the builder's check after a start, then a quiet moment
sleep 20
rss_serving=$(awk '/VmRSS/ { print $2 }' "/proc/$svdd_pid/status")
rss_peak=$(awk '/VmHWM/ { print $2 }' "/proc/$svdd_pid/status")
stop_all

echo
echo "samvydav at scale, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $(uname -m), $items items"
load_line
printf '%-14s %10s %12s %10s %10s\n' "step" "wall (s)" "us per item" "peak RSS" "peak anon"
for r in "${rows[@]}"; do
	w=wall_$r m=rss_$r f=failed_$r an=anon_$r
	printf '%-14s %10.3f %12.1f %10.1f %10.1f%s\n' "$r" "${!w}" "$(calc "${!w} * 1e6 / $items" 1)" \
		"$(mib "${!m}")" "$(mib "${!an}")" "${!f:+  FAILED (see $r.out)}"
done
echo "samvydavd: first page $first_page s after the start; resident $(mib "$rss_serving") MiB 20 s later, peak $(mib "$rss_peak") MiB"
if [ -z "$no_unpack" ]; then
	echo "library: $lib_files files; the largest $(echo "$lib_big" | awk '{ printf "%.1f MiB (%s)", $1 / 1048576, $2 }')"
fi
echo "bundle: $(du -cb "$W"/full*.tar.zst | tail -n 1 | awk '{ printf "%.1f MiB", $1 / 1048576 }') in $(ls "$W"/full*.tar.zst | wc -l) file(s); store.git: $(du -sb "$A/store.git" | awk '{ printf "%.1f MiB", $1 / 1048576 }')"
