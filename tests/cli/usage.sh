#!/usr/bin/env bash
# Every command has --help; wrong usage exits 2; a missing archive 4; a
# locked one 5.
. "$(dirname "$0")/lib.sh"

for c in init key trust network add sign list show verify log export have inspect import sync stick; do
	expect_exit 0 "usage: samvydav $c" "$c --help" svd "$c" --help
	expect_exit 0 "usage: samvydav $c" "help $c" svd help "$c"
done
expect_exit 0 "Commands:" "samvydav --help lists the commands" svd --help
expect_exit 0 "Exit codes:" "samvydav --help documents the exit codes" svd --help
expect_exit 0 "^samvydav [0-9]" "--version" svd --version
expect_exit 2 "no command" "an unknown command exits 2" svd frobnicate
expect_exit 2 "" "no command at all exits 2" svd
expect_exit 2 "unknown option" "an unknown option exits 2" svd list --bogus
expect_exit 4 "not a samvydav archive" "no archive here exits 4 and says what to do" svd -C "$T" list
expect_exit 2 "one --body" "two --body options" svd add --kind article --body a --body b
expect_exit 2 "kind" "a bad --kind" svd add --kind poem
expect_exit 2 "published" "a bad date names the field" \
	svd add --kind article --title t --lang uk --published 2022-02-30 --key k --body b

A=$T/a
new_archive "$A" ed
printf 'x\n' >"$T/b.md"
expect_exit 4 "no item" "show of an unknown id exits 4" svd -C "$A" show 0123456789abcdef
expect_exit 2 "not an item id" "show of a malformed id exits 2" svd -C "$A" show XYZ
expect_exit 4 "nope.md: no such file" "a missing body file exits 4 and names it" \
	svd -C "$A" add --kind article --title t --lang uk --body "$T/nope.md" --key "$T/ed.key"
svd key generate --no-passphrase -o "$T/u.key" -p "$T/u.pub" >/dev/null
expect_exit 3 "not trusted" "adding with an untrusted key is refused before anything is read" \
	svd -C "$A" add --kind article --title t --lang uk --body "$T/b.md" --key "$T/u.key"
same "$(head_of "$A")" "" "nothing was committed"

# a second writer waits for nobody: it says the archive is busy. The lock
# is held (flock, util-linux) from before the add starts until after it
# ended, however slow the machine: the holder says when it has the lock
# and lets go only when told.
flock "$A/lock" sh -c 'touch "$1/locked"; while [ ! -e "$1/release" ]; do sleep 0.05; done' sh "$T" &
holder=$!
while [ ! -e "$T/locked" ] && kill -0 "$holder" 2>/dev/null; do sleep 0.05; done
check "the lock is held by another process" test -e "$T/locked"
expect_exit 5 "another samvydav process" "a locked archive exits 5" \
	svd -C "$A" add --kind article --title t --lang uk --body "$T/b.md" --key "$T/ed.key"
touch "$T/release"
wait "$holder"
check "after the lock is gone the add works" \
	svd -C "$A" add --kind article --title t --lang uk --body "$T/b.md" --key "$T/ed.key"

# an archive with a damaged trust list says which file
printf 'garbage\n' >"$A/trusted/0000000000000000.pub"
expect_exit 3 "0000000000000000.pub" "a damaged trust list names the file" svd -C "$A" list

finish
