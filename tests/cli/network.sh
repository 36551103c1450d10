#!/usr/bin/env bash
# The network's keys (samvydav network): the key pair init makes and the
# one an older archive gets on first need, public key files exchanged
# between mirrors and their fingerprints, what 'network add' refuses (our
# own key, a name or key twice, malformed files: exit 3), rotation that
# keeps the old key retired, forgetting that leaves no file behind, and the
# modes of what holds secrets.
. "$(dirname "$0")/lib.sh"

A=$T/a
B=$T/b
C=$T/c
out=$(svd init "$A")
printf '%s' "$out" | grep -qE 'fingerprint [0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}' &&
	ok "init names the encryption key's fingerprint" ||
	not_ok "init names the encryption key's fingerprint" "$out"
svd init "$B" >/dev/null
svd init "$C" >/dev/null

mode() { stat -c %a "$1"; }
same "$(mode "$A/network")" 700 "network/ is mode 0700"
same "$(mode "$A/network/secret")" 600 "network/secret is mode 0600"
same "$(mode "$A/network/mirrors")" 700 "network/mirrors/ is mode 0700"
same "$(mode "$A/network/retired")" 700 "network/retired/ is mode 0700"
same "$(head -n 1 "$A/network/secret")" "samvydav mirror secret key 1" "the secret key file's first line"

# network key: the public key file on stdout (or -o FILE), the fingerprint on stderr
svd -C "$A" network key >"$T/a.pub" 2>"$T/a.err"
same "$(head -n 1 "$T/a.pub")" "samvydav mirror key 1" "network key prints the public key file"
grep -qxE '[0-9a-f]{64}' <(tail -n 1 "$T/a.pub") && ok "its second line is 64 lowercase hex digits" ||
	not_ok "its second line is 64 lowercase hex digits" "$(cat "$T/a.pub")"
same "$(wc -c <"$T/a.pub")" 87 "a public key file is 87 bytes"
FPA=$(grep -oE '[0-9A-F]{4}(-[0-9A-F]{4}){3}' "$T/a.err")
[ -n "$FPA" ] && ok "the fingerprint goes to stderr" || not_ok "the fingerprint goes to stderr" "$(cat "$T/a.err")"
check "network key -o FILE" svd -C "$B" network key -o "$T/b.pub"
svd -C "$C" network key -o "$T/c.pub" 2>/dev/null >&2
same "$(mode "$T/b.pub")" 644 "the public key file is mode 0644"
cmp -s "$T/a.pub" <(svd -C "$A" network key 2>/dev/null) && ok "network key is the same each time" ||
	not_ok "network key is the same each time"

# add: named after the file, fingerprint printed; list and list --json
expect_exit 0 "Added mirror b, key fingerprint" "network add FILE.pub" svd -C "$A" network add "$T/b.pub"
expect_exit 0 "Added mirror kyiv-1" "network add --name" svd -C "$A" network add --name kyiv-1 "$T/c.pub"
FPB=$(svd -C "$B" network key 2>&1 >/dev/null | grep -oE '[0-9A-F]{4}(-[0-9A-F]{4}){3}')
svd -C "$A" network list >"$T/list"
same "$(awk '{print $1}' "$T/list" | tr '\n' ' ')" "b kyiv-1 " "network list: every mirror, by name"
same "$(awk '$1 == "b" {print $2}' "$T/list")" "$FPB" "network list: the fingerprint that mirror's network key prints"
svd -C "$A" network list --json >"$T/list.json"
python3 - "$T/list.json" "$FPB" <<-'PY' && ok "network list --json" || not_ok "network list --json" "$(cat "$T/list.json")"
	import json, sys
	rows = json.load(open(sys.argv[1]))
	assert [r["name"] for r in rows] == ["b", "kyiv-1"], rows
	assert rows[0]["fingerprint"] == sys.argv[2], rows
	assert all(set(r) == {"name", "fingerprint"} for r in rows), rows
	PY
same "$(mode "$A/network/mirrors/b.pub")" 644 "a mirror's key file is mode 0644"
cmp -s "$A/network/mirrors/b.pub" "$T/b.pub" && ok "the mirror's file is the key file as given" ||
	not_ok "the mirror's file is the key file as given"
check "the other mirror adds this one" svd -C "$B" network add --name a "$T/a.pub"

# refused: our own key, a name twice, a key twice, bad names
expect_exit 2 "own public key" "our own key is refused" svd -C "$A" network add --name me "$T/a.pub"
expect_exit 1 "already" "the same name twice is refused" svd -C "$A" network add --name b "$T/c.pub"
expect_exit 1 "as mirror b" "the same key under a second name is refused" svd -C "$A" network add --name b2 "$T/b.pub"
expect_exit 2 "not a mirror's name" "a name with a slash is refused" svd -C "$A" network add --name ../x "$T/b.pub"
expect_exit 2 "not a mirror's name" "a name starting with a dot is refused" svd -C "$A" network add --name .x "$T/b.pub"
cp "$T/b.pub" "$T/with space.pub"
expect_exit 2 "give one with --name" "a file whose name is no mirror's name needs --name" \
	svd -C "$A" network add "$T/with space.pub"
cp "$T/b.pub" "$T/$(printf 'esc\033[2J').pub"
expect_exit 2 'esc\\x1b\[2J' "a name from outside is escaped in messages" \
	svd -C "$A" network add "$T/$(printf 'esc\033[2J').pub"
same "$(ls "$A/network/mirrors" | tr '\n' ' ')" "b.pub kyiv-1.pub " "nothing refused was written"

# malformed key files: exit 3, saying what is wrong
hex=$(tail -n 1 "$T/b.pub")
bad() { printf "$2" >"$T/bad-$1.pub"; expect_exit 3 "$3" "a malformed key file is refused: $1" \
	svd -C "$A" network add --name "bad-$1" "$T/bad-$1.pub"; }
bad first-line "samvydav mirror key 2\n$hex\n" "line 1 is not"
bad uppercase "samvydav mirror key 1\n$(printf '%s' "$hex" | tr a-f A-F)\n" "uppercase|not a hex digit"
bad 63-digits "samvydav mirror key 1\n${hex:1}\n" "63 hex digits"
bad 65-digits "samvydav mirror key 1\n${hex}0\n" "65 hex digits"
bad no-newline "samvydav mirror key 1\n$hex" "does not end with a newline"
bad extra-line "samvydav mirror key 1\n$hex\n# comment\n" "after line 2"
bad crlf "samvydav mirror key 1\r\n$hex\r\n" "CR LF"
bad nul "samvydav mirror key 1\n${hex:0:10}\\0000${hex:11}\n" "NUL"
bad secret "$(sed 's/%/%%/g' "$A/network/secret" | sed -n 1p)\n$hex\n" "secret key file, not a public"
bad minisign "untrusted comment: minisign public key 0123\nRWQ=\n" "minisign"
bad empty "" "empty"
expect_exit 4 "no such file" "a missing key file exits 4" svd -C "$A" network add "$T/nope.pub"
ln -s "$T/b.pub" "$T/link.pub"
expect_exit 3 "a link" "a link is refused" svd -C "$A" network add --name link "$T/link.pub"
mkfifo "$T/fifo.pub"
expect_exit 3 "not a regular file" "a FIFO is refused, without waiting for a writer" \
	timeout 10 "$SVD_BIN" -C "$A" network add --name fifo "$T/fifo.pub"
same "$(ls "$A/network/mirrors" | tr '\n' ' ')" "b.pub kyiv-1.pub " "nothing malformed was written"

# a damaged file in the network folder: list says which, exit 3
printf 'samvydav mirror key 1\n%s' "$hex" >"$A/network/mirrors/broken.pub"
expect_exit 3 "broken.pub: public key file: line 2 does not end" "a damaged mirror's file is named" \
	svd -C "$A" network list
rm "$A/network/mirrors/broken.pub"

# remove
expect_exit 0 "Removed mirror kyiv-1" "network remove" svd -C "$A" network remove kyiv-1
expect_exit 4 "no mirror kyiv-1" "removing it again exits 4" svd -C "$A" network remove kyiv-1
[ -e "$A/network/mirrors/kyiv-1.pub" ] && not_ok "its file is gone" || ok "its file is gone"

# rotate: a new current key, the old one retired (0600), which B must now replace
old=$(cat "$A/network/secret")
expect_exit 0 "Give the new public key to every mirror" "network rotate" svd -C "$A" network rotate
new=$(cat "$A/network/secret")
[ "$old" != "$new" ] && ok "rotate makes a new secret key" || not_ok "rotate makes a new secret key"
retired=$(ls "$A/network/retired")
[[ $retired =~ ^[0-9]{8}T[0-9]{6}Z\.secret$ ]] && ok "the old key is retired as STAMP.secret" ||
	not_ok "the old key is retired as STAMP.secret" "$retired"
same "$(cat "$A/network/retired/$retired" 2>/dev/null)" "$old" "the retired file is the old secret key"
same "$(mode "$A/network/retired/$retired")" 600 "a retired key is mode 0600"
same "$(mode "$A/network/secret")" 600 "the new secret key is mode 0600"
expect_exit 2 "own" "the retired key is still ours: refused as a mirror" \
	svd -C "$A" network add --name old "$T/a.pub"
svd -C "$A" network key -o "$T/a2.pub" >/dev/null 2>&1
cmp -s "$T/a.pub" "$T/a2.pub" && not_ok "network key gives the new public key" ||
	ok "network key gives the new public key"
check "the other mirror removes the old key" svd -C "$B" network remove a
check "... and adds the new one" svd -C "$B" network add --name a "$T/a2.pub"

# forget: --older-than keeps the recent one; then all, and the file is gone
expect_exit 0 "No retired key to forget" "forget --older-than 1 keeps a key retired today" \
	svd -C "$A" network forget --older-than 1
[ -e "$A/network/retired/$retired" ] && ok "it is still there" || not_ok "it is still there"
cp "$A/network/retired/$retired" "$A/network/retired/20200101T000000Z.secret"
expect_exit 0 "Forgot the key retired 20200101T000000Z" "forget --older-than 30 forgets an old one" \
	svd -C "$A" network forget --older-than 30
expect_exit 0 "Forgot the key retired ${retired%.secret}" "network forget forgets every retired key" \
	svd -C "$A" network forget
same "$(ls -A "$A/network/retired")" "" "the retired keys' files are gone"
expect_exit 2 "number of days" "forget --older-than needs a number" svd -C "$A" network forget --older-than soon
expect_exit 2 "number of days" "a negative number of days is refused" svd -C "$A" network forget --older-than -1

# an archive made before sealed files gets its key on first need, and says so
rm -r "$B/network"
expect_exit 0 "made one now" "network key makes a missing key pair, and says so" svd -C "$B" network key -o "$T/b3.pub"
same "$(mode "$B/network")" 700 "... network/ 0700"
same "$(mode "$B/network/secret")" 600 "... its secret 0600"
expect_exit 0 "" "the second time says nothing of it" svd -C "$B" network key -o "$T/b3.pub"
out=$(svd -C "$B" network key 2>&1 >/dev/null)
printf '%s' "$out" | grep -q "made one now" && not_ok "made once only" "$out" || ok "made once only"
# a damaged secret key is never replaced
printf 'samvydav mirror secret key 1\n00\n' >"$B/network/secret"
expect_exit 3 "network/secret: secret key file: line 2" "a damaged secret key file is named, exit 3" \
	svd -C "$B" network key
same "$(cat "$B/network/secret")" "$(printf 'samvydav mirror secret key 1\n00')" "... and left as it was"

# usage
expect_exit 2 "no network command" "an unknown subcommand exits 2" svd -C "$A" network frob
expect_exit 2 "unknown option" "an unknown option exits 2" svd -C "$A" network list --bogus
expect_exit 2 "usage" "network with nothing exits 2" svd -C "$A" network
expect_exit 0 "usage: samvydav network" "network rotate --help" svd network rotate --help
expect_exit 4 "not a samvydav archive" "outside an archive: exit 4" svd -C "$T" network list

finish
