# Shared by the CLI scenario tests. Source it; it sets up a scratch folder,
# counts checks, and prints "N passed, N failed" at the end.
set -u

: "${SVD_BIN:?set SVD_BIN to the samvydav binary (ctest does)}"
: "${SVD_SOURCE_DIR:?set SVD_SOURCE_DIR to the source tree (ctest does)}"

T=$(mktemp -d "${TMPDIR:-/tmp}/svd-test.XXXXXX")
# a test that sets its own EXIT trap calls img_umount_all in it too
trap 'img_umount_all; rm -rf "$T"' EXIT
export HOME=$T/home
mkdir -p "$HOME"
unset SAMVYDAV_ARCHIVE
# stock git must not pick up anything from the machine
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null
export GIT_AUTHOR_NAME=test GIT_AUTHOR_EMAIL=test@invalid GIT_COMMITTER_NAME=test GIT_COMMITTER_EMAIL=test@invalid

# SVD_VALGRIND set (and not 0): every run of samvydav through "$SVD_BIN"
# goes under valgrind's memcheck; an error or a definite leak makes that run
# exit 99, and finish() fails the script with the report. SVD_VALGRIND_LOGS keeps
# the reports (one file a process) after the script's folder is gone.
if [ "${SVD_VALGRIND:-0}" != 0 ]; then
	VG_LOGS=${SVD_VALGRIND_LOGS:-$T/valgrind}
	mkdir -p "$VG_LOGS" "$T/bin"
	printf '#!/bin/sh\nexec valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite --log-file="%s" "%s" "$@"\n' \
		"$VG_LOGS/$(basename "$0" .sh).%p.log" "$SVD_BIN" >"$T/bin/samvydav"
	chmod +x "$T/bin/samvydav"
	SVD_BIN=$T/bin/samvydav
fi

passed=0
failed=0

svd() { "$SVD_BIN" "$@"; }

ok() {
	passed=$((passed + 1))
	printf 'ok %d - %s\n' $((passed + failed)) "$1"
}

not_ok() {
	failed=$((failed + 1))
	printf 'not ok %d - %s\n' $((passed + failed)) "$1"
	[ -n "${2:-}" ] && printf '#   %s\n' "$2"
	return 0
}

# check DESCRIPTION COMMAND...: the command must succeed
check() {
	local what=$1
	shift
	local out
	if out=$("$@" 2>&1); then
		ok "$what"
	else
		not_ok "$what" "exit $?: $(printf '%s' "$out" | tail -n 3)"
	fi
}

# expect_exit CODE PATTERN DESCRIPTION COMMAND...: the command must exit
# with CODE and print (stdout or stderr) something matching PATTERN
expect_exit() {
	local code=$1 pattern=$2 what=$3
	shift 3
	local out rc
	out=$("$@" 2>&1)
	rc=$?
	if [ "$rc" -ne "$code" ]; then
		not_ok "$what" "expected exit $code, got $rc: $(printf '%s' "$out" | tail -n 3)"
	elif [ -n "$pattern" ] && ! printf '%s' "$out" | grep -qE -- "$pattern"; then
		not_ok "$what" "output does not match /$pattern/: $(printf '%s' "$out" | tail -n 3)"
	else
		ok "$what"
	fi
}

# same VALUE1 VALUE2 DESCRIPTION
same() {
	if [ "$1" = "$2" ]; then
		ok "$3"
	else
		not_ok "$3" "'$1' != '$2'"
	fi
}

# main's commit in an archive (empty when it has none)
head_of() {
	git --git-dir="$1/store.git" rev-parse -q --verify refs/heads/main 2>/dev/null || true
}

# free_port: a TCP port on 127.0.0.1 that nothing listens on now (the
# kernel's choice; another process may still take it before the caller
# binds it, so a caller that starts a server retries on "in use")
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# a new archive with a trusted unencrypted key: new_archive DIR KEYNAME
new_archive() {
	svd init "$1" >/dev/null &&
		{ [ -f "$T/$2.key" ] || svd key generate --no-passphrase -o "$T/$2.key" -p "$T/$2.pub" >/dev/null; } &&
		svd -C "$1" trust add "$T/$2.pub" >/dev/null
}

# articles ARCHIVE N: a new archive of N small articles signed by ed, its
# main's tree extracted into $T/ex (what craft_bundle.py writes bundles of)
articles() {
	local i
	new_archive "$1" ed || return 1
	for i in $(seq "$2"); do
		printf 'body %d\n' "$i" >"$T/body.md"
		svd -C "$1" add --kind article --title "item $i" --lang en --body "$T/body.md" \
			--created "2026-01-$(printf %02d "$i")T00:00:00Z" --key "$T/ed.key" >/dev/null || return 1
	done
	mkdir -p "$T/ex" && git --git-dir="$1/store.git" archive main | tar -x -C "$T/ex"
}

# the item folder path inside a store: item_path ID
item_path() {
	printf 'items/%s/%s' "${1:0:2}" "$1"
}

# copy an item's folder out of an archive's store: export_item ARCHIVE ID DEST
export_item() {
	mkdir -p "$3"
	git --git-dir="$1/store.git" archive main "$(item_path "$2")" | tar -x -C "$3" --strip-components=3
}

# forensic ARGS...: a searcher's look at files or a FAT32 image
# (tests/tools/forensic.py: signatures, text, forbidden strings, randomness)
forensic() { python3 "$SVD_SOURCE_DIR/tests/tools/forensic.py" "$@"; }

# craft ARGS...: the independent bundle writer of the tests (craft_bundle.py)
craft() { python3 "$SVD_SOURCE_DIR/tests/cli/craft_bundle.py" "$@"; }

# ids_of ARCHIVE: the item ids in its main, sorted
ids_of() {
	git --git-dir="$1/store.git" ls-tree -r -d --name-only main items 2>/dev/null |
		grep -E '^items/[0-9a-f]{2}/[0-9a-f]{64}$' | cut -d/ -f3 | sort
}

# fsck_clean ARCHIVE: stock git finds its repository healthy
fsck_clean() {
	git --git-dir="$1/store.git" fsck --full --strict --no-dangling
}

# big_items DIR: 300 item folders with 100 KiB seeded, incompressible
# attachments (about 30 MiB): enough work that a kill lands in the middle
big_items() {
	python3 - "$1" <<-'PY'
		import os, random, sys
		r = random.Random(300)
		for i in range(1, 301):
		    d = os.path.join(sys.argv[1], "item%d" % i)
		    os.makedirs(d)
		    open(d + "/meta.json", "w").write(
		        '{"title":"Стаття %d","lang":"uk","created":"2026-01-01T00:%02d:%02dZ"}' % (i, i // 60, i % 60))
		    open(d + "/body.md", "w").write("Текст статті %d.\n" % i)
		    open(d + "/photo.jpg", "wb").write(r.randbytes(100 * 1024))
	PY
}

# seed_corpus ARCHIVE: the seed corpus (tests/data/corpus) as
# $T/corpus/items.jsonl, added to ARCHIVE by ed (one check)
seed_corpus() {
	mkdir -p "$T/corpus"
	python3 "$SVD_SOURCE_DIR/tests/data/corpus/to_jsonl.py" \
		"$SVD_SOURCE_DIR/tests/data/corpus/seed-articles.json" "$T/corpus" \
		--created 2026-01-01T00:00:00Z >/dev/null
	check "add the seed corpus" svd -C "$1" add -q --from "$T/corpus/items.jsonl" --key "$T/ed.key"
}

# own_item_archive DIR: a new archive (ed trusted) holding one item of its
# own, so that its main is a commit before anything is imported
own_item_archive() {
	new_archive "$1" ed || return 1
	mkdir -p "$T/own"
	printf '{"title":"Власна","lang":"uk","created":"2025-12-31T00:00:00Z"}' >"$T/own/meta.json"
	printf 'Власний текст.\n' >"$T/own/body.md"
	svd -C "$1" add --from "$T/own" --key "$T/ed.key" -q
}

# The daemon, for the scenarios that run it (D: its binary; log: its log).
# daemon_bin: D, or the test fails when the daemon is not built
daemon_bin() {
	: "${SVD_BUILD_DIR:?set SVD_BUILD_DIR to the build tree (ctest does)}"
	D=$SVD_BUILD_DIR/daemon/samvydavd
	[ -x "$D" ] || { echo "samvydavd is not built at $D"; exit 1; }
}

# daemon_scenario: daemon_bin, and an EXIT trap that kills a daemon left
# running (pid) before the test's folder goes (kept when KEEP is set)
daemon_scenario() {
	daemon_bin
	pid=
	trap '[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null; img_umount_all; [ -n "${KEEP:-}" ] || rm -rf "$T"' EXIT
}

# daemon_conf FILE ARCHIVE PORT: a configuration serving ARCHIVE over HTTP on
# 127.0.0.1:PORT, logging at debug
daemon_conf() {
	cat >"$1" <<-EOF
		[archive]
			path = $2
		[http]
			listen = 127.0.0.1:$3
		[log]
			level = debug
	EOF
}

# wait_log PATTERN [TENTHS]: until the log matches (default 20 s)
wait_log() {
	for _ in $(seq "${2:-200}"); do
		grep -qE -- "$1" "$log" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# start_daemon CONF LOG: start it (pid) and wait for its first line
start_daemon() {
	log=$2
	"$D" -c "$1" 2>>"$log" &
	pid=$!
	wait_log "samvydavd [^ ]+: archive " 100
}

# stop_daemon: SIGTERM and wait; its exit status
stop_daemon() {
	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	local rc=$?
	pid=
	return $rc
}

finish() {
	local f
	if [ "${SVD_VALGRIND:-0}" != 0 ]; then
		for f in "$VG_LOGS/$(basename "$0" .sh)".*.log; do
			[ -s "$f" ] && not_ok "valgrind is clean (${f##*/})" "$(head -n 30 "$f")"
		done
	fi
	printf '%d passed, %d failed\n' "$passed" "$failed"
	[ "$failed" -eq 0 ]
	exit
}

# Pause points (docs/fault-injection.md): samvydav and samvydavd started
# with SVD_PAUSE_AT=POINT[:N] and SVD_PAUSE_FILE=FILE stop themselves (SIGSTOP)
# the Nth time the code passes POINT, after appending "POINT N PID" to FILE.
# wait_paused PID FILE [SECONDS]: until PID is stopped there (default 60 s);
# prints "POINT N" as announced. Fails when PID ends first or time runs out.
wait_paused() {
	local pid=$1 file=$2 n=$((${3:-60} * 50)) stat state line
	while [ "$n" -gt 0 ]; do
		stat=
		{ read -r stat <"/proc/$pid/stat"; } 2>/dev/null || return 1
		state=${stat##*) }
		case ${state%% *} in
		T | t)
			line=$(grep -E " $pid\$" "$file" 2>/dev/null | tail -n 1)
			[ -n "$line" ] && { printf '%s\n' "${line% *}"; return 0; }
			;;
		Z | X) return 1 ;;
		esac
		sleep 0.02
		n=$((n - 1))
	done
	return 1
}

# pause_expect POINT[:N]: the "POINT N" that wait_paused prints for it
pause_expect() {
	case $1 in
	*:*) printf '%s %s\n' "${1%%:*}" "${1##*:}" ;;
	*) printf '%s 1\n' "$1" ;;
	esac
}

# kill_paused PID: SIGKILL a process stopped at a pause point, and reap it
kill_paused() {
	kill -9 "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	return 0
}

# kill_at POINT NAME PID [LOG]: PID, a NAME started with SVD_PAUSE_AT=POINT
# and SVD_PAUSE_FILE=$T/pause, stopped at POINT (a check that says so, or
# that it never got there, with the end of its LOG); then it is killed there
kill_at() {
	local got
	if got=$(wait_paused "$3" "$T/pause"); then
		same "$got" "$(pause_expect "$1")" "the $2 stopped at $1, and was killed there"
	else
		not_ok "the $2 stopped at $1, and was killed there" \
			"the point was never reached${4:+: $(tail -n 3 "$4")}"
	fi
	kill_paused "$3"
}

# main_after_kill POINT OLD NEW GITDIR WHAT CHECK...: main moves at
# txn.committed and at no other point, so after a kill before it main (NEW)
# is still OLD, and after a kill at it NEW is a child of OLD for which CHECK
# (the whole new content) succeeds
main_after_kill() {
	local at=$1 old=$2 new=$3 gitdir=$4 what=$5
	shift 5
	if [ "$at" != txn.committed ]; then
		same "$new" "$old" "$what: main is the old commit"
	elif [ "$new" != "$old" ] &&
		[ "$(git --git-dir="$gitdir" rev-parse -q --verify "$new^" 2>/dev/null || true)" = "$old" ] && "$@"; then
		ok "$what: main is the whole new commit"
	else
		not_ok "$what: main is the whole new commit" "old=$old new=$new"
	fi
}

# --- Stick images (tests/cli/stick_image.sh shows each helper at work) ---
# A courier's stick is a FAT32 file system in a plain file: made by
# mkfs.vfat (dosfstools), read and written with mtools through `-i IMG`.
# Nothing here needs root, a loop device or a mount, so these run in any
# container; a searcher's tools read the same bytes (forensic --image IMG).
# mtools: MTOOLS_SKIP_CHECK=1 takes images whose geometry it finds odd,
# C.UTF-8 keeps non-ASCII names as they are (UTF-8 in, UTF-16 long names).
mt() { MTOOLS_SKIP_CHECK=1 LC_ALL=C.UTF-8 "$@"; }

# img_make IMG [MIB]: a new, empty FAT32 stick image of MIB mebibytes
# (default 40: enough clusters that mkfs.vfat makes a proper FAT32)
img_make() {
	rm -f "$1" && mkfs.vfat -F 32 -C "$1" $((${2:-40} * 1024)) >/dev/null
}

# img_ls IMG: every folder (with a / at its end) and file on the stick,
# one path a line from its root (/samvydav/have/...), sorted
img_ls() {
	mt mdir -i "$1" -/ -b :: 2>/dev/null | sed 's|^::||' | LC_ALL=C sort
}

# img_put IMG DIR [TO]: copy what DIR holds (folders with their contents,
# modification times kept) into the stick's folder TO (default its root,
# which must exist); a file of the same name is overwritten
img_put() {
	(
		shopt -s dotglob nullglob
		set -- "$1" "${3:-/}" "$2"/*
		[ $# -gt 2 ] || exit 0
		mt mcopy -i "$1" -s -m -Q -o -D o "${@:3}" "::$2"
	)
}

# img_get IMG DIR: copy the whole stick out into DIR (made when missing)
img_get() {
	mkdir -p "$2" || return
	[ -n "$(img_ls "$1")" ] || return 0
	mt mcopy -i "$1" -s -m -n '::/*' "$2/"
}

# img_rm IMG PATH...: delete files (mdel) or whole folders (mdeltree) on
# the stick. FAT only marks their entries and clusters free: the bytes
# stay in the image until something else is written over them.
img_rm() {
	local img=$1 p
	shift
	for p in "$@"; do
		if img_ls "$img" | grep -qxF -- "${p%/}/"; then
			mt mdeltree -i "$img" "::${p%/}" || return
		else
			mt mdel -i "$img" "::$p" || return
		fi
	done
}

# img_sync IMG BEFORE AFTER: make the stick what AFTER is, given that it
# was BEFORE (two folders): files gone from AFTER are deleted, new folders
# made, new and changed files copied in; unchanged files are not touched,
# so they keep their clusters as a real stick would. FAT holds only
# folders and regular files: anything else in AFTER is refused.
img_sync() {
	local img=$1 before=$2 after=$3 f odd
	[ -d "$before" ] && [ -d "$after" ] || { echo "img_sync: $before or $after is not a folder" >&2; return 1; }
	odd=$(cd "$after" && find . -mindepth 1 ! -type f ! -type d | head -n 3)
	if [ -n "$odd" ]; then
		printf '%s\n' "$odd" | sed 's/^/img_sync: /; s/$/: not a file or a folder, which FAT cannot hold/' >&2
		return 1
	fi
	(cd "$before" && find . -type f -print0) | while IFS= read -r -d '' f; do
		[ -f "$after/$f" ] || mt mdel -i "$img" "::/${f#./}" || exit 1
	done || return
	(cd "$before" && find . -mindepth 1 -depth -type d -print0) | while IFS= read -r -d '' f; do
		[ -d "$after/$f" ] || mt mrd -i "$img" "::/${f#./}" || exit 1
	done || return
	(cd "$after" && find . -mindepth 1 -type d -print0) | while IFS= read -r -d '' f; do
		[ -d "$before/$f" ] || mt mmd -i "$img" "::/${f#./}" || exit 1
	done || return
	(cd "$after" && find . -type f -print0) | while IFS= read -r -d '' f; do
		cmp -s "$before/$f" "$after/$f" 2>/dev/null ||
			mt mcopy -i "$img" -m -o -D o "$after/$f" "::/${f#./}" || exit 1
	done
}

# img_stick IMG ARCHIVE [OPTION...]: `samvydav -C ARCHIVE stick` run on the
# stick in IMG, its output as is; its exit status (125: the copy out or
# back failed). This is a copy, not a mount: the stick is copied out to
# the folder $img_stick_dir (the paths samvydav prints are in it), the
# command runs on that folder, and img_sync writes back what it changed.
# Why: a mount needs root, a loop device and the kernel's vfat, which CI
# containers often lack. What it means: the image ends holding the files
# the command left, but not the way a mounted stick would get them: the
# command's temporary files, its renames, the order of its writes, and
# whatever an interrupted write leaves never reach the image. A test of
# those needs the real file system: img_mount.
img_stick() {
	local img=$1 archive=$2 rc
	shift 2
	img_stick_dir=$T/img_stick
	rm -rf "$img_stick_dir" "$T/img_stick.before"
	img_get "$img" "$T/img_stick.before" && cp -a "$T/img_stick.before" "$img_stick_dir" || return 125
	svd -C "$archive" stick "$@" "$img_stick_dir"
	rc=$?
	img_sync "$img" "$T/img_stick.before" "$img_stick_dir" || return 125
	return $rc
}

# loop_ready: whether `mount -o loop` of a FAT32 image works here (root,
# /dev/loop-control, the kernel's vfat: tried with a small image); when it
# does not, says why on stderr
loop_ready() {
	local why=
	if [ "$(id -u)" -ne 0 ]; then
		why="not root"
	elif [ ! -e /dev/loop-control ]; then
		why="no /dev/loop-control (a container without loop devices)"
	else
		mkdir -p "$T/loop-probe" && img_make "$T/loop-probe.img" 40 || why="mkfs.vfat failed"
		if [ -z "$why" ]; then
			why=$(mount -o loop "$T/loop-probe.img" "$T/loop-probe" 2>&1) && umount "$T/loop-probe" && why=
			rm -f "$T/loop-probe.img"
		fi
	fi
	[ -z "$why" ] && return 0
	printf 'loop mount unavailable: %s\n' "$(printf '%s' "$why" | head -n 1)" >&2
	return 1
}

# img_mount IMG DIR: mount IMG on DIR through a loop device (a real vfat,
# for what img_stick cannot show). Where that cannot work it fails and says
# why: a test that needs it fails there rather than skip. Unmounted by
# img_umount, or at the script's end (img_umount_all).
img_mount() {
	if ! loop_ready; then
		printf 'img_mount %s: this test needs a loop mount (root, /dev/loop-control, vfat); prefer the mtools helpers (img_stick)\n' "$1" >&2
		return 1
	fi
	mkdir -p "$2" && mount -o loop "$1" "$2"
}

# stick_mount IMG DIR: make IMG, a 64 MiB stick, and mount it on DIR so
# that samvydav writes to it with its own system calls: FAT32 through the
# kernel's vfat where a loop mount works (img_mount); else exFAT through a
# loop device and FUSE (Debian's exfat-fuse and exfatprogs, where they are
# installed: scripts/setup.sh does not install them), which holds names the same way (one file for two
# names that differ only in case; : * ? " < > | \ refused). Where neither
# works it fails and says why: a test needing it fails there rather than
# skip. Unmounted by img_umount, or at the script's end (img_umount_all).
stick_mount() {
	local why dev
	if why=$(loop_ready 2>&1); then
		img_make "$1" 64 && img_mount "$1" "$2"
		return
	fi
	if ! command -v mount.exfat-fuse >/dev/null || ! command -v mkfs.exfat >/dev/null ||
		[ ! -e /dev/fuse ] || [ ! -e /dev/loop-control ] || [ "$(id -u)" -ne 0 ]; then
		printf 'stick_mount %s: %s; an exFAT one needs root, loop devices, /dev/fuse, exfat-fuse and exfatprogs\n' "$1" "$why" >&2
		return 1
	fi
	truncate -s 64M "$1" && mkfs.exfat "$1" >/dev/null && mkdir -p "$2" &&
		dev=$(losetup -f --show "$1") || return 1
	mount.exfat-fuse "$dev" "$2" >/dev/null 2>&1
	why=$?
	losetup -d "$dev" # now, or when the mount lets go of it
	return $why
}

# img_umount DIR: unmount it (everything written reaches the image file)
img_umount() {
	umount "$1"
}

# img_umount_all: unmount whatever is mounted under $T, deepest first (the
# EXIT trap's, before the folder is removed; found in /proc/mounts, so a
# mount made in a subshell is found too)
img_umount_all() {
	local m
	[ -r /proc/mounts ] || return 0
	awk -v t="$T/" 'index($2, t) == 1 {print $2}' /proc/mounts | sort -r | while read -r m; do
		umount "$m" 2>/dev/null
	done
}
