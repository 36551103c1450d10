#!/usr/bin/env bash
# Inputs that are not regular files: a FIFO, a folder, a character device
# (/dev/null) and a unix socket, given as a bundle (import, inspect,
# unpack), a have-file (export --have), a key file (trust add, network
# add, add --key), a file to seal or unseal, a passphrase file and a body.
# Each is refused at once, unread, with a message naming the path and what
# it is; a FIFO with no writer never hangs a command (each run is under
# timeout: a hang fails the check instead of the suite). samvydavd's inbox
# passes a FIFO by and imports the bundle beside it.
. "$(dirname "$0")/lib.sh"

daemon_scenario

A=$T/a
new_archive "$A" ed || exit 1
printf 'a body\n' >"$T/body.md"
svd -C "$A" add --kind article --title one --lang en --body "$T/body.md" --key "$T/ed.key" \
	>/dev/null || exit 1
svd -C "$A" export -q -o "$T/good.tar.zst" >/dev/null 2>&1 || exit 1
printf 'correct horse battery staple\n' >"$T/pass"
head0=$(head_of "$A")

mkfifo "$T/fifo"
mkdir "$T/folder"
python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$T/socket" ||
	exit 1

# refused CODE WHAT PATH DESCRIPTION ARGS...: samvydav ARGS exits CODE at
# once (10 s at most: 124 is a hang) and names PATH as WHAT
refused() {
	local code=$1 what=$2 path=$3 desc=$4
	shift 4
	expect_exit "$code" "$path: is $what, not a regular file" "$desc" \
		timeout 10 "$SVD_BIN" -C "$A" "$@"
}

for kind in fifo folder null socket; do
	case $kind in
	fifo) p=$T/fifo what="a FIFO" ;;
	folder) p=$T/folder what="a folder" ;;
	null) p=/dev/null what="a character device" ;;
	socket) p=$T/socket what="a socket" ;;
	esac
	# a bundle or a body: 2, as any value a command cannot take (SVD_EINVALID)
	refused 2 "$what" "$p" "import of $kind: refused at once" import "$p"
	refused 2 "$what" "$p" "inspect of $kind: refused at once" inspect "$p"
	# unpack takes a folder as an archive: that one says it is no archive
	[ "$kind" != folder ] &&
		refused 2 "$what" "$p" "unpack of $kind: refused at once" \
			unpack --trust "$T/ed.pub" "$p" -o "$T/lib-$kind"
	# a have-file or a key file: refused (3), as the files found in an archive or on a stick
	refused 3 "$what" "$p" "export --have $kind: refused at once" \
		export --have "$p" -o "$T/out-$kind.tar.zst"
	refused 3 "$what" "$p" "trust add $kind: refused at once" trust add "$p"
	refused 3 "$what" "$p" "network add $kind: refused at once" network add --name "x$kind" "$p"
	refused 3 "$what" "$p" "add --key $kind: refused at once" \
		add --kind article --title two --lang en --body "$T/body.md" --key "$p"
	refused 2 "$what" "$p" "add --body $kind: refused at once" \
		add --kind article --title two --lang en --body "$p" --key "$T/ed.key"
	refused 3 "$what" "$p" "seal of $kind: refused at once" \
		seal --passphrase-file "$T/pass" -o "$T/sealed-$kind" "$p"
	refused 3 "$what" "$p" "seal --passphrase-file $kind: refused at once" \
		seal --passphrase-file "$p" -o "$T/sealed-$kind" "$T/good.tar.zst"
	refused 3 "$what" "$p" "unseal of $kind: refused at once" \
		unseal --passphrase-file "$T/pass" -o "$T/unsealed-$kind" "$p"
	[ ! -e "$T/out-$kind.tar.zst" ] && [ ! -e "$T/sealed-$kind" ] && [ ! -e "$T/unsealed-$kind" ] &&
		ok "nothing was written for the $kind" || not_ok "nothing was written for the $kind"
done

# add --from: a FIFO among an editor's files, or in a prepared item, is not waited on
mkdir -p "$T/item" "$T/prepared"
printf '{"kind":"article","title":"x","lang":"en"}' >"$T/item/meta.json"
printf 'a body\n' >"$T/item/body.md"
mkfifo "$T/item/photo.jpg"
expect_exit 3 "item/photo.jpg: is a FIFO, not a regular file" \
	"add --from: a FIFO beside meta.json is refused at once, named" \
	timeout 10 "$SVD_BIN" -C "$A" add --key "$T/ed.key" --from "$T/item"
printf '{}' >"$T/prepared/manifest.json"
mkfifo "$T/prepared/x.bin"
expect_exit 3 "refused" "add --from: a FIFO in a prepared item is refused at once" \
	timeout 10 "$SVD_BIN" -C "$A" add --from "$T/prepared"
same "$(head_of "$A")" "$head0" "main is unchanged"
same "$(ls "$A/trusted" | wc -l)" 1 "no key was trusted"
same "$(ls "$A/network/mirrors" | wc -l)" 0 "no mirror was added"
[ -p "$T/fifo" ] && ok "the FIFO is left as it was" || not_ok "the FIFO is left as it was"

# the daemon's inbox: a FIFO named as a bundle is passed by, the bundle beside it imported
B=$T/b
new_archive "$B" ed || exit 1
mkdir -p "$T/inbox"
cat >"$T/b.conf" <<EOF
[archive]
	path = $B
[inbox]
	folder = $T/inbox
	settle = 1
	rescan = 1
[http]
	enabled = false
[log]
	level = debug
EOF
mkfifo "$T/inbox/a-fifo.tar.zst"
start_daemon "$T/b.conf" "$T/daemon.log" && ok "the daemon starts beside a FIFO in its inbox" ||
	not_ok "the daemon starts beside a FIFO in its inbox" "$(cat "$T/daemon.log")"
sleep 2 # a rescan or two over the FIFO
cp "$T/good.tar.zst" "$T/inbox/good.tar.zst"
wait_log "inbox: $T/inbox/good.tar.zst: imported" &&
	ok "the bundle beside the FIFO is imported" ||
	not_ok "the bundle beside the FIFO is imported" "$(tail -n 5 "$T/daemon.log")"
same "$(ids_of "$B")" "$(ids_of "$A")" "the daemon's archive holds the bundle's item"
grep -q "a-fifo" "$T/daemon.log" &&
	not_ok "the FIFO is left alone: never settled, opened or refused" "$(grep a-fifo "$T/daemon.log")" ||
	ok "the FIFO is left alone: never settled, opened or refused"
[ -p "$T/inbox/a-fifo.tar.zst" ] && ok "the FIFO is still there" || not_ok "the FIFO is still there"
kill -0 "$pid" 2>/dev/null && ok "the daemon still runs" || not_ok "the daemon still runs"
stop_daemon && ok "the daemon stops cleanly" || not_ok "the daemon stops cleanly"

finish
