#!/usr/bin/env bash
# samvydavd with peers over real sockets: three daemons, each with its own
# items, sync through stock `git daemon` (git://127.0.0.1) and file://, each
# in its own order, until all three hold the same main tree. A peer that
# accepts and then says nothing is cut off at its timeout while the others
# go on; a peer that rewrites its history takes nothing away.
. "$(dirname "$0")/lib.sh"

daemon_bin
git daemon -h 2>&1 | grep -q -- '--base-path' || { echo "git daemon is not installed"; exit 1; }

# The mirrors are stopped before the servers they fetch from: a mirror in
# the middle of a sync when git daemon goes away would log a refused
# connection, which is no fault of the peer.
mirrors=() servers=()
declare -A mirror_pid
stop_pids() {
	local p
	for p in "$@"; do kill "$p" 2>/dev/null || true; done
	for p in "$@"; do wait "$p" 2>/dev/null || true; done
}
stop_all() {
	stop_pids "${mirrors[@]}"
	mirrors=()
	stop_pids "${servers[@]}"
	servers=()
}
trap 'stop_all; [ -n "${KEEP:-}" ] || rm -rf "$T"' EXIT

# free_port: a TCP port nobody listens on now
# wait_until SECONDS COMMAND...: until the command succeeds
wait_until() {
	local end=$((SECONDS + $1))
	shift
	while [ $SECONDS -lt $end ]; do
		"$@" && return 0
		sleep 0.2
	done
	return 1
}

# add_items ARCHIVE PREFIX N: N items signed by ed; while a daemon holds the
# archive's lock for a sync, add exits 5 and is tried again
add_items() {
	local i try rc
	for i in $(seq "$3"); do
		printf '%s %s\n' "$2" "$i" >"$T/body.md"
		for try in $(seq 50); do
			rc=0
			svd -C "$1" add --kind article --title "$2 $i" --lang en --body "$T/body.md" \
				--created 2026-02-0${i}T00:00:00Z --key "$T/ed.key" >/dev/null 2>&1 || rc=$?
			[ "$rc" -eq 5 ] || break
			sleep 0.1
		done
		[ "$rc" -eq 0 ] || return 1
	done
}

tree_of() { git --git-dir="$1/store.git" rev-parse -q --verify 'main^{tree}' 2>/dev/null; }
same_trees() {
	local a b c
	a=$(tree_of "$T/a") && b=$(tree_of "$T/b") && c=$(tree_of "$T/c") &&
		[ "$a" = "$b" ] && [ "$b" = "$c" ]
}

new_archive "$T/a" ed && new_archive "$T/b" ed && new_archive "$T/c" ed &&
	add_items "$T/a" alpha 3 && add_items "$T/b" beta 2 && add_items "$T/c" gamma 4 &&
	ok "three archives with their own items" || not_ok "three archives with their own items"

# stock git daemon serves all three stores, read-only
gport=$(free_port)
git daemon --reuseaddr --listen=127.0.0.1 --port="$gport" --base-path="$T" --export-all \
	--informative-errors "$T" 2>"$T/git-daemon.log" &
servers+=($!)
wait_until 10 bash -c "exec 3<>/dev/tcp/127.0.0.1/$gport" 2>/dev/null &&
	ok "git daemon listens on 127.0.0.1:$gport" || not_ok "git daemon listens" "$(cat "$T/git-daemon.log")"

# a peer that accepts connections and never answers
sport=$(free_port)
python3 -c '
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(8)
held = []
while True:
    c, _ = s.accept(); held.append(c)
' "$sport" &
servers+=($!)

# conf NAME PEERS...: each peer as name=url
conf() {
	local name=$1 p
	shift
	{
		printf '[archive]\n\tpath = %s\n[http]\n\tenabled = false\n[log]\n\tlevel = debug\n' "$T/$name"
		for p in "$@"; do
			printf '[peer "%s"]\n\turl = %s\n\tevery = 1\n\ttimeout = 2\n' "${p%%=*}" "${p#*=}"
		done
	} >"$T/$name.conf"
}
# A takes B over git:// and C from its folder, and has a silent peer;
# B takes C over git://; C takes A over git://. So B's items reach C only
# through A, and A's reach B only through C: each daemon learns the
# others' items by a different road and in a different order.
conf a "b=git://127.0.0.1:$gport/b/store.git" "c=file://$T/c/store.git" \
	"silent=git://127.0.0.1:$sport/x/store.git"
conf b "c=git://127.0.0.1:$gport/c/store.git"
conf c "a=git://127.0.0.1:$gport/a/store.git"
for n in a b c; do
	"$D" -c "$T/$n.conf" --check-config >/dev/null 2>"$T/$n.check" ||
		not_ok "the configuration of $n is valid" "$(cat "$T/$n.check")"
	"$D" -c "$T/$n.conf" 2>"$T/$n.log" &
	mirrors+=($!)
	mirror_pid[$n]=$!
done

if wait_until 60 same_trees; then
	ok "the three daemons converge to the same main tree ($(tree_of "$T/a" | cut -c1-12))"
else
	not_ok "the three daemons converge to the same main tree" \
		"a $(tree_of "$T/a") b $(tree_of "$T/b") c $(tree_of "$T/c"); $(tail -n 5 "$T"/*.log)"
fi
same "$(ids_of "$T/a" | wc -l)" 9 "each holds all 9 items"
for n in a b c; do
	check "$n's store is healthy" fsck_clean "$T/$n"
	check "$n's items all verify" svd -C "$T/$n" verify -q
done
wait_until 10 grep -q 'peer silent.*did not answer for 2 s' "$T/a.log" &&
	ok "the silent peer is cut off after its timeout, and the others went on" ||
	not_ok "the silent peer is cut off after its timeout" "$(grep silent "$T/a.log" | tail -n 3)"
grep -q 'peer silent.*main is unchanged' "$T/a.log" && ok "the log says main is unchanged" ||
	not_ok "the log says main is unchanged" "$(grep silent "$T/a.log" | tail -n 3)"
grep 'peer silent.*main is unchanged' "$T/a.log" | grep -q 'peer silent.*peer silent' &&
	not_ok "the log names the silent peer once" "$(grep 'main is unchanged' "$T/a.log" | tail -n 1)" ||
	ok "the log names the silent peer once"

# new items in B travel on to A and C while the daemons run
add_items "$T/b" late 2
if wait_until 30 bash -c "[ \"\$(git --git-dir='$T/b/store.git' rev-parse 'main^{tree}')\" = \"\$(git --git-dir='$T/c/store.git' rev-parse 'main^{tree}')\" ] && [ \"\$(git --git-dir='$T/a/store.git' rev-parse 'main^{tree}')\" = \"\$(git --git-dir='$T/c/store.git' rev-parse 'main^{tree}')\" ]"; then
	ok "items added later in B reach A and C"
else
	not_ok "items added later in B reach A and C" "$(tail -n 3 "$T"/*.log)"
fi

# C rewrites its history: its daemon stopped (so that it does not take the
# items back from A at once), then with stock git a new root commit holding
# only one of its items, to which main is forced. A reads C in place and B
# fetches it over git://; both must see the rewritten main (B's quarantine
# ref is the new commit) and take nothing away: the same items, the same
# main as before, and the sync's log line says 0 new and main where it was.
kill "${mirror_pid[c]}" && wait "${mirror_pid[c]}"
mirrors=("${mirror_pid[a]}" "${mirror_pid[b]}")
a_main=$(head_of "$T/a") b_main=$(head_of "$T/b")
a_ids=$(ids_of "$T/a") b_ids=$(ids_of "$T/b")
kept=$(ids_of "$T/c" | head -n 1)
old_c=$(head_of "$T/c")
lone=$(
	export GIT_DIR=$T/c/store.git
	t=$(git rev-parse "main:items/${kept:0:2}/$kept") &&
		t=$(printf '040000 tree %s\t%s\n' "$t" "$kept" | git mktree) &&
		t=$(printf '040000 tree %s\t%s\n' "$t" "${kept:0:2}" | git mktree) &&
		t=$(printf '040000 tree %s\titems\n' "$t" | git mktree) &&
		git commit-tree -m "rewritten: one item, no parent" "$t"
)
# B's log before the rewrite: its warning may come at its next sync, before
# the checks below are done
lb0=$(wc -l <"$T/b.log")
if [ -n "$lone" ] && git --git-dir="$T/c/store.git" update-ref refs/heads/main "$lone" "$old_c" &&
	[ "$(ids_of "$T/c")" = "$kept" ] &&
	! git --git-dir="$T/c/store.git" merge-base --is-ancestor "$old_c" main; then
	ok "C's history is rewritten: main is a new root holding 1 item, the old main no longer an ancestor"
else
	not_ok "C's history is rewritten" "main $(head_of "$T/c"), $(ids_of "$T/c" | wc -l) items"
fi
# synced_after LOG LINE: a sync with C that began after line LINE of LOG has
# finished, and its result line
synced_after() {
	tail -n +"$(($2 + 1))" "$1" | awk '/^<7>peer c: syncing with/ {s = 1; next}
		s && /^<[0-9]>peer c: [0-9]+ new, / {print; exit}' | grep .
}
la=$(wc -l <"$T/a.log") lb=$(wc -l <"$T/b.log")
# B's quarantine ref moves to the rewritten main when B fetches it
wait_until 20 bash -c "[ \"\$(git --git-dir='$T/b/store.git' rev-parse -q --verify refs/quarantine/c)\" = '$lone' ]" &&
	ok "B fetched C's rewritten main into its quarantine ref" ||
	not_ok "B fetched C's rewritten main" "$(grep 'peer c' "$T/b.log" | tail -n 3)"
# rewrite_said NAME LINE MAIN: NAME's first sync with C begun after line LINE
# of its log ends with 0 new and main still at MAIN
rewrite_said() {
	local line
	if ! wait_until 20 synced_after "$T/$1.log" "$2" >/dev/null; then
		not_ok "$1: a sync with the rewritten C ends" "$(grep 'peer c' "$T/$1.log" | tail -n 3)"
		return
	fi
	line=$(synced_after "$T/$1.log" "$2")
	if printf '%s' "$line" | grep -qE "peer c: 0 new, 0 accepted, 0 refused, [0-9]+ bytes received; main at ${3:0:12}\$"; then
		ok "$1: the sync with the rewritten C says 0 new and main where it was (${line#<?>})"
	else
		not_ok "$1: the sync with the rewritten C says 0 new and main at ${3:0:12}" "$line"
	fi
}
rewrite_said a "$la" "$a_main"
rewrite_said b "$lb" "$b_main"
# B fetches C over git:// and so holds C's last main: it tells the operator
# (A reads C's folder in place and keeps no record to compare with)
tail -n +"$((lb0 + 1))" "$T/b.log" | grep -q '<4>peer c: its main no longer holds the history it sent before' &&
	ok "B warns that C rewrote its history" ||
	not_ok "B warns that C rewrote its history" "$(tail -n +"$((lb0 + 1))" "$T/b.log" | grep 'peer c' | head -n 3)"
same "$(head_of "$T/a")" "$a_main" "a peer that rewrites its history leaves A's main where it was"
same "$(head_of "$T/b")" "$b_main" "a peer that rewrites its history leaves B's main where it was"
same "$(ids_of "$T/a")" "$a_ids" "A keeps all its $(printf '%s\n' "$a_ids" | wc -l) items"
same "$(ids_of "$T/b")" "$b_ids" "B keeps all its $(printf '%s\n' "$b_ids" | wc -l) items"
if [ -z "$lone" ] || git --git-dir="$T/b/store.git" merge-base --is-ancestor "$lone" main; then
	not_ok "the rewritten history is not in B's main"
else
	ok "the rewritten history is not in B's main"
fi
check "A's store is still healthy" fsck_clean "$T/a"
check "B's store is still healthy" fsck_clean "$T/b"

stop_all
if grep -q '^<3>.*peer \(a\|b\|c\)\b' "$T"/a.log "$T"/b.log "$T"/c.log; then
	not_ok "no error with the good peers" "$(grep '^<3>' "$T"/*.log | grep -v silent | head -n 3)"
else
	ok "no error with the good peers"
fi

finish
