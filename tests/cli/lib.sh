# Shared by the CLI scenario tests. Source it; it sets up a scratch folder,
# counts checks, and prints "N passed, N failed" at the end.
set -u

: "${SVD_BIN:?set SVD_BIN to the samvydav binary (ctest does)}"
: "${SVD_SOURCE_DIR:?set SVD_SOURCE_DIR to the source tree (ctest does)}"

T=$(mktemp -d "${TMPDIR:-/tmp}/svd-test.XXXXXX")
trap 'rm -rf "$T"' EXIT
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

