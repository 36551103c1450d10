#!/usr/bin/env bash
# samvydavd with peers over real sockets: three daemons, each with its own
# items, sync through stock `git daemon` (git://127.0.0.1) and file://, each
# in its own order, until all three hold the same main tree. A peer that
# accepts and then says nothing is cut off at its timeout while the others
# go on; a peer that rewrites its history takes nothing away.
. "$(dirname "$0")/lib.sh"

: "${SVD_BUILD_DIR:?set SVD_BUILD_DIR to the build tree (ctest does)}"
D=$SVD_BUILD_DIR/daemon/samvydavd
[ -x "$D" ] || { echo "samvydavd is not built at $D"; exit 1; }
git daemon -h 2>&1 | grep -q -- '--base-path' || { echo "git daemon is not installed"; exit 1; }

pids=()
stop_all() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
	pids=()
}
trap 'stop_all; [ -n "${KEEP:-}" ] || rm -rf "$T"' EXIT

# free_port: a TCP port nobody listens on now
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

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
pids+=($!)
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
pids+=($!)

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
	pids+=($!)
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

# new items in B travel on to A and C while the daemons run
add_items "$T/b" late 2
if wait_until 30 bash -c "[ \"\$(git --git-dir='$T/b/store.git' rev-parse 'main^{tree}')\" = \"\$(git --git-dir='$T/c/store.git' rev-parse 'main^{tree}')\" ] && [ \"\$(git --git-dir='$T/a/store.git' rev-parse 'main^{tree}')\" = \"\$(git --git-dir='$T/c/store.git' rev-parse 'main^{tree}')\" ]"; then
	ok "items added later in B reach A and C"
else
	not_ok "items added later in B reach A and C" "$(tail -n 3 "$T"/*.log)"
fi

# C's main rewritten behind the daemons' backs: one commit holding only one
# item. A and B keep everything (items are only ever added by a sync).
before=$(ids_of "$T/a" | wc -l)
one=$(git --git-dir="$T/c/store.git" ls-tree main items/ | head -n 1)
subtree=$(printf '%s\n' "$one" | git --git-dir="$T/c/store.git" mktree)
root=$(printf '040000 tree %s\titems\n' "$subtree" | git --git-dir="$T/c/store.git" mktree)
lone=$(GIT_AUTHOR_NAME=x GIT_AUTHOR_EMAIL=x@x GIT_COMMITTER_NAME=x GIT_COMMITTER_EMAIL=x@x \
	git --git-dir="$T/c/store.git" commit-tree -m rewritten "$root")
git --git-dir="$T/c/store.git" update-ref refs/heads/main "$lone"
sleep 4 # several syncs of A with C at every = 1
same "$(ids_of "$T/a" | wc -l)" "$before" "a peer that rewrites its history takes nothing from A"
check "A's store is still healthy" fsck_clean "$T/a"

stop_all
if grep -q '^<3>.*peer \(a\|b\|c\)\b' "$T"/a.log "$T"/b.log "$T"/c.log; then
	not_ok "no error with the good peers" "$(grep '^<3>' "$T"/*.log | grep -v silent | head -n 3)"
else
	ok "no error with the good peers"
fi

finish
