# Shared by the benchmarks: options, a scratch folder, a private copy of the
# binary, a clean environment, and timing. Source it after setting usage_lines
# (the lines of the caller's header comment that show its usage).
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SVD_BIN=${SVD_BIN:-$here/../../build/cli/samvydav}
items=20000
keep=
corpus_dir=
scratch=${TMPDIR:-/tmp}

usage() {
	sed -n "${usage_lines:-4,5}p" "$0" | sed 's/^# *//' >&2
	exit 2
}

while [ $# -gt 0 ]; do
	case $1 in
	--items)
		[ $# -ge 2 ] || usage
		items=$2
		shift 2
		;;
	--keep)
		[ $# -ge 2 ] || usage
		keep=$2
		shift 2
		;;
	--corpus)
		[ $# -ge 2 ] || usage
		corpus_dir=$(cd "$2" && pwd)
		shift 2
		;;
	-h | --help) usage ;;
	-*) usage ;;
	*)
		scratch=$1
		shift
		;;
	esac
done
case $items in '' | *[!0-9]* | 0) usage ;; esac

for tool in /usr/bin/time python3 git cc; do
	command -v "$tool" >/dev/null || {
		echo "bench: $tool is needed (apt-get install time python3 git gcc)" >&2
		exit 1
	}
done
[ -x "$SVD_BIN" ] || {
	echo "bench: no samvydav at $SVD_BIN (bash scripts/build.sh build, or set SVD_BIN)" >&2
	exit 1
}
SVD_BIN=$(cd "$(dirname "$SVD_BIN")" && pwd)/$(basename "$SVD_BIN")

if [ -n "$keep" ]; then
	mkdir -p "$keep"
	if [ -n "$(ls -A "$keep")" ]; then
		echo "bench: --keep $keep is not empty" >&2
		exit 1
	fi
	W=$(cd "$keep" && pwd)
else
	W=$(mktemp -d "$scratch/svd-bench.XXXXXX")
	trap 'rm -rf "$W"' EXIT
fi

# A private copy of the binary: others rebuild the tree while this runs, and
# every figure must come from the same build.
cp "$SVD_BIN" "$W/samvydav"
SVD_BIN=$W/samvydav

# Neither tool may read configuration from this machine or its user: the
# figures must depend only on the binaries and the hardware.
export HOME=$W/home
mkdir -p "$HOME"
unset SAMVYDAV_ARCHIVE
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null
export GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@invalid
export GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@invalid
export LC_ALL=C

# timed NAME COMMAND...: run COMMAND, its output to $W/NAME.out; sets
# wall_NAME (seconds) and rss_NAME (KiB). /usr/bin/time's own %e has only
# 10 ms resolution, so the wall clock is read around it.
timed() {
	local name=$1 t0 t1
	shift
	# flush what earlier steps left dirty, so that no step pays for the
	# write-back of another's files
	sync
	t0=$(date +%s%N)
	if ! /usr/bin/time -f %M -o "$W/$name.rss" "$@" >"$W/$name.out" 2>&1; then
		echo "bench: $name failed:" >&2
		tail -n 20 "$W/$name.out" >&2
		exit 1
	fi
	t1=$(date +%s%N)
	printf -v "wall_$name" '%s' "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')"
	# the last line: GNU time prints "Command exited..." lines before it on failure
	printf -v "rss_$name" '%s' "$(tail -n 1 "$W/$name.rss")"
}

# calc EXPR: floating point arithmetic
calc() { awk "BEGIN { printf \"%.${2:-2}f\", $1 }"; }

# mib KIB: KiB as MiB
mib() { calc "$1 / 1024" 1; }

# The figures are only worth comparing on an idle machine: note the load
# before, and again at the end, so a busy run can be told apart.
load_start=$(cut -d' ' -f1 /proc/loadavg)

# load_line: the load at the start and now, with a warning when busy
load_line() {
	local load_end
	load_end=$(cut -d' ' -f1 /proc/loadavg)
	echo "load average (1 min): $load_start at the start, $load_end at the end$(awk -v a="$load_start" -v b="$load_end" -v n="$(nproc)" \
		'BEGIN { if (a > 1.0 || b > n + 0.5) print " -- busy? (a run just before also raises it) figures are only good on an idle machine" }')"
}

# corpus: generate the corpus into $W/corpus (gen_corpus.py with the options
# in $corpus_opts), or, with --corpus DIR, use DIR (made before by
# gen_corpus.py $corpus_opts --items N: a million items take minutes to write)
corpus() {
	local t0
	if [ -n "$corpus_dir" ]; then
		echo "== corpus: $corpus_dir"
		ln -s "$corpus_dir" "$W/corpus"
	else
		echo "== corpus: $items items in $W/corpus"
		t0=$(date +%s%N)
		# shellcheck disable=SC2086 # options, split on purpose
		python3 "$here/gen_corpus.py" ${corpus_opts:-} --items "$items" "$W/corpus"
		echo "   generated in $(calc "($(date +%s%N) - $t0) / 1e9" 1) s"
	fi
	corpus_bytes=$(du -sbL "$W/corpus" | cut -f1)
}

# ab_line STEP LABEL: one line of an A/B table from wall_STEP_{a,b}_ROUND and
# rss_STEP_{a,b}_ROUND over $rounds rounds: best / median of each build,
# B/A of the medians, and the largest peak RSS of each
ab_line() {
	local step=$1 label=$2 b vals best med rss
	for b in a b; do
		vals=$(for r in $(seq "$rounds"); do v=wall_${step}_${b}_$r; echo "${!v}"; done | sort -n)
		best=$(echo "$vals" | head -n 1)
		med=$(echo "$vals" | sed -n "$(((rounds + 1) / 2))p")
		rss=$(for r in $(seq "$rounds"); do v=rss_${step}_${b}_$r; echo "${!v}"; done | sort -n | tail -n 1)
		eval "best_$b=$best med_$b=$med rss_$b=$rss"
	done
	printf '%-22s %8.3f / %-7.3f %8.3f / %-7.3f %8.2f %6.1f / %-6.1f\n' "$label" "$best_a" "$med_a" "$best_b" \
		"$med_b" "$(calc "$med_b / $med_a")" "$(mib "$rss_a")" "$(mib "$rss_b")"
}
