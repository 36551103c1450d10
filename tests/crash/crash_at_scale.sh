#!/usr/bin/env bash
# Crash consistency at scale (SPEC 6.2): SIGKILL `samvydav import` of a
# large-ish bundle, and samvydavd during an inbox import of it, N times, each
# time at a pause point of the write path (docs/fault-injection.md) chosen
# from a seed: the point, and for the points passed once per item or object
# (txn.staged, pack.object) which item or object. After each kill: stock git
# finds the store healthy (fsck --full --strict), samvydav verify passes,
# main is the old commit or a child of it holding every item of the bundle,
# and no lock is left that blocks the next run: the same import (or the
# restarted daemon) completes and ends with every item, and no temporary
# pack is left.
#
# Not a timed test: tests/cli/crash_scale.sh runs it under ctest with a small
# N. Each run of 15 takes a different (mode, point) pair, in an order drawn
# from the seed (printed; SVD_CRASH_SEED repeats a run). A summary line gives
# runs, kills per point, main old/new, failed checks and the time; a process
# that never reaches its point is a failed check.
#
# usage: tests/crash/crash_at_scale.sh [N]      (default 300)
# env:   SVD_BIN, SVD_SOURCE_DIR, SVD_BUILD_DIR (as under ctest)
#        SVD_CRASH_ITEMS  items in the bundle, 100 KiB each (default 300)
#        SVD_CRASH_SEED   the seed of the points and counts
#        SVD_CRASH_LOG    keep the per-run table (TSV) there
. "$(dirname "$0")/../cli/lib.sh"

: "${SVD_BUILD_DIR:?set SVD_BUILD_DIR to the build tree (ctest does)}"
D=$SVD_BUILD_DIR/daemon/samvydavd
[ -x "$D" ] || { echo "samvydavd is not built at $D"; exit 1; }
runs=${1:-300}
items=${SVD_CRASH_ITEMS:-300}
seed=${SVD_CRASH_SEED:-$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')}
t_start=$(date +%s)

pid=
trap '[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null; [ -n "${KEEP:-}" ] || rm -rf "$T"' EXIT


# The bundle: $items items with 100 KiB seeded, incompressible attachments.
S=$T/sender
new_archive "$S" ed || exit 1
python3 - "$T/src" "$items" <<-'PY'
	import os, random, sys
	r = random.Random(300)
	for i in range(1, int(sys.argv[2]) + 1):
	    d = os.path.join(sys.argv[1], "item%d" % i)
	    os.makedirs(d)
	    open(d + "/meta.json", "w").write(
	        '{"title":"Стаття %d","lang":"uk","created":"2026-01-01T%02d:%02d:%02dZ"}'
	        % (i, i // 3600, i // 60 % 60, i % 60))
	    open(d + "/body.md", "w").write("Текст статті %d.\n" % i)
	    open(d + "/photo.jpg", "wb").write(r.randbytes(100 * 1024))
PY
svd -C "$S" add --from "$T/src" --key "$T/ed.key" -q || exit 1
BUNDLE=$T/big.tar.zst
svd -C "$S" export -q -o "$BUNDLE" || exit 1
bigsum=$(sha256sum <"$BUNDLE" | cut -d' ' -f1)

# The receiver starts with an item of its own, so "old main" is a commit.
R0=$T/r0
R=$T/r
own_item_archive "$R0" || exit 1
want=$(printf '%s\n' "$(ids_of "$S")" "$(ids_of "$R0")" | sort)
cat >"$T/r.conf" <<-EOF
	[archive]
		path = $R
	[inbox]
		folder = $T/kin
		settle = 0
		rescan = 1
	[http]
		enabled = false
	[log]
		level = info
EOF

# One import without a kill: how many new objects it packs (pack.object's range).
rm -rf "$R" && cp -a "$R0" "$R"
in_pack() { git --git-dir="$1/store.git" count-objects -v | awk '/^in-pack:/ {print $2}'; }
svd -C "$R" import -q "$BUNDLE" || { echo "an uninterrupted import fails"; exit 1; }
objects=$(($(in_pack "$R") - $(in_pack "$R0")))
printf '# bundle: %d items, %d KiB, %d new objects; seed %s; %d runs\n' \
	"$items" $(($(stat -c %s "$BUNDLE") / 1024)) "$objects" "$seed" "$runs"

# every (mode, point) pair; each run of 15 takes them all, in a seeded order
points="txn.staged pack.object bundle.read pack.written pack.renamed txn.packed txn.committed"
pairs=$(for p in $points; do echo "import $p"; echo "daemon $p"; done; echo "daemon inbox.recorded")
npairs=$(printf '%s\n' "$pairs" | wc -l)

G="git --git-dir=$R/store.git"
table=$T/runs.tsv
printf 'run\tmode\tpoint\tmain\tfailed_checks\n' >"$table"
olds=0 news=0 bads=0 landed=0
for i in $(seq 1 "$runs"); do
	cycle=$(((i - 1) / npairs))
	pick=$(((i - 1) % npairs))
	set -- $(printf '%s\n' "$pairs" | awk -v s="$seed" -v c="$cycle" -v k="$pick" '
		{ p[NR - 1] = $0 }
		END {
			srand(s * 1000 + c)
			for (j = NR - 1; j > 0; j--) { r = int(rand() * (j + 1)); t = p[j]; p[j] = p[r]; p[r] = t }
			print p[k]
		}')
	mode=$1 point=$2
	at=$point
	case $point in
	txn.staged) at=$point:$(awk -v s="$seed" -v i="$i" -v n="$items" 'BEGIN {srand(s * 1000 + i); print 1 + int(rand() * n)}') ;;
	pack.object) at=$point:$(awk -v s="$seed" -v i="$i" -v n="$objects" 'BEGIN {srand(s * 1000 + i); print 1 + int(rand() * n)}') ;;
	esac
	what="run $i ($mode, killed at $at)"
	f0=$failed
	rm -rf "$R" "$T/kin" "$T/pause"
	cp -a "$R0" "$R"
	mkdir -p "$T/kin"
	old=$(head_of "$R")
	if [ "$mode" = import ]; then
		SVD_PAUSE_AT=$at SVD_PAUSE_FILE=$T/pause "$SVD_BIN" -C "$R" import -q "$BUNDLE" >/dev/null 2>&1 &
		pid=$!
	else
		# in the inbox before the daemon starts: imported at its first scan
		ln "$BUNDLE" "$T/kin/big.tar.zst"
		rm -f "$T/d.log"
		SVD_PAUSE_AT=$at SVD_PAUSE_FILE=$T/pause start_daemon "$T/r.conf" "$T/d.log" ||
			not_ok "$what: the daemon starts" "$(tail -n 3 "$T/d.log")"
	fi
	if got=$(wait_paused "$pid" "$T/pause") && [ "$got" = "$(pause_expect "$at")" ]; then
		landed=$((landed + 1))
	else
		not_ok "$what: the process stopped at its point" "announced: '${got:-nothing}'; the point was never reached"
	fi
	kill_paused "$pid"
	pid=

	# the store as the kill left it
	out=$(fsck_clean "$R" 2>&1) || not_ok "$what: git fsck --full --strict is clean" "$(printf '%s' "$out" | tail -n 2)"
	out=$(svd -C "$R" verify -q 2>&1) || not_ok "$what: verify passes" "$(printf '%s' "$out" | tail -n 2)"
	new=$(head_of "$R")
	if [ "$new" = "$old" ]; then
		state=old
		olds=$((olds + 1))
	elif [ "$($G rev-parse -q --verify "$new^" 2>/dev/null)" = "$old" ] && [ "$(ids_of "$R")" = "$want" ]; then
		state=new
		news=$((news + 1))
	else
		state=bad
		bads=$((bads + 1))
		not_ok "$what: main is the old commit or the whole new one" "old=$old new=$new, $(ids_of "$R" | wc -l) items"
	fi
	if [ "$mode" = daemon ] && grep -q "$bigsum" "$R/daemon-state/imported" 2>/dev/null && [ "$state" != new ]; then
		not_ok "$what: the bundle is recorded as imported only with its commit" "main=$state"
	fi

	# the next run is not blocked, and completes
	if [ "$mode" = import ]; then
		out=$(svd -C "$R" import -q "$BUNDLE" 2>&1) || not_ok "$what: the import run again completes" "$(printf '%s' "$out" | tail -n 2)"
	else
		rm -f "$T/d2.log"
		start_daemon "$T/r.conf" "$T/d2.log" || not_ok "$what: the daemon restarts" "$(tail -n 3 "$T/d2.log")"
		if ! grep -q "$bigsum" "$R/daemon-state/imported" 2>/dev/null; then
			wait_log "inbox: $T/kin/big.tar.zst: imported:" 600 ||
				not_ok "$what: the restarted daemon imports the bundle" "$(tail -n 3 "$T/d2.log")"
		fi
		stop_daemon
	fi
	[ "$(ids_of "$R")" = "$want" ] || not_ok "$what: after the rerun every item is there" "$(ids_of "$R" | wc -l) items"
	left=$(find "$R/store.git" -name 'tmp_svd_*' -o -name '*.lock' | head -n 3)
	[ -z "$left" ] || not_ok "$what: no temporary pack or lock is left after the rerun" "$left"
	printf '%d\t%s\t%s\t%s\t%d\n' "$i" "$mode" "$at" "$state" $((failed - f0)) >>"$table"
	[ $((i % 25)) -eq 0 ] && printf '# %d runs, %d failed checks so far, %d s\n' "$i" "$failed" $(($(date +%s) - t_start))
done
[ -n "${SVD_CRASH_LOG:-}" ] && cp "$table" "$SVD_CRASH_LOG"

secs=$(($(date +%s) - t_start))
printf '# kills per point (import/daemon):'
for p in $points inbox.recorded; do
	printf ' %s %d/%d' "$p" "$(awk -F'\t' -v p="$p" '$2 == "import" && $3 ~ "^" p "(:|$)"' "$table" | wc -l)" \
		"$(awk -F'\t' -v p="$p" '$2 == "daemon" && $3 ~ "^" p "(:|$)"' "$table" | wc -l)"
done
printf '\n# %d runs: %d stopped at their point and were killed there; main old %d, new %d, neither %d; %d failed checks; %d s\n' \
	"$runs" "$landed" "$olds" "$news" "$bads" "$failed" "$secs"
same "$landed" "$runs" "every one of the $runs kills landed at its pause point"
[ "$failed" -eq 0 ] && ok "every check passed after each of $runs kills"
finish
