#!/usr/bin/env bash
# samvydav stick: a courier's stick shuttled between two mirrors by hand.
# Each plug imports what the stick carries, writes for the other mirror
# exactly what it lacks and the stick does not carry, and replaces its own
# have-file; after two round trips both hold the same main tree. --json is
# checked field by field. Must-fail: hostile have-file names (escaped when
# printed), have-files that lie, a FIFO and a link for a have-file, a
# damaged and a junk bundle, links where the stick's folders should be, a
# busy archive, a missing stick. As root (CI): a full stick on a small
# tmpfs (parts left for the next trip, then written once there is room), a
# stick that has no room at all, a read-only stick; and a kill between a
# bundle's fsync and its rename leaves no half bundle on the stick.
. "$(dirname "$0")/lib.sh"

# add_items ARCHIVE PREFIX N: N small items signed by ed
add_items() {
	local i
	for i in $(seq "$3"); do
		printf '%s %s\n' "$2" "$i" >"$T/body.md"
		svd -C "$1" add --kind article --title "$2 $i" --lang en --body "$T/body.md" \
			--created 2026-01-0${i}T00:00:00Z --key "$T/ed.key" >/dev/null || return 1
	done
}

# bundle_ids FILE...: the item ids the bundles hold, sorted
bundle_ids() {
	local f
	for f in "$@"; do tar --zstd -tf "$f"; done |
		grep -oE '^items/[0-9a-f]{2}/[0-9a-f]{64}' | cut -d/ -f3 | sort -u
}

# json FILE EXPR: a Python expression over the JSON object j in FILE
json() {
	python3 -c 'import json, sys; j = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}

# for_bundles STICK MIRROR: the bundles on the stick written for MIRROR
for_bundles() {
	ls "$1/samvydav/bundles" | grep -E "^for-$2-[0-9]{8}T[0-9]{6}Z(\.[0-9]+)?\.tar\.zst$"
}

A=$T/a
B=$T/b
S=$T/stick
new_archive "$A" ed && new_archive "$B" ed && add_items "$A" alpha 3 && add_items "$B" beta 2 &&
	ok "two mirrors with items of their own" || not_ok "two mirrors with items of their own"
Aid=$(cat "$A/mirror-id")
Bid=$(cat "$B/mirror-id")
ids_of "$A" >"$T/a.ids"
ids_of "$B" >"$T/b.ids"
mkdir -p "$S"

# --- the stick's first trip: an empty stick at A carries A's have-file
expect_exit 0 "You may remove the stick now" "an empty stick at A: done, it may be removed" \
	svd -C "$A" stick "$S"
[ -f "$S/samvydav/have/$Aid.have" ] && head -n 2 "$S/samvydav/have/$Aid.have" | grep -qx "mirror $Aid" &&
	ok "the stick now holds A's have-file in samvydav/have/" || not_ok "the stick now holds A's have-file in samvydav/have/"
same "$(grep -E '^[0-9a-f]{64}' "$S/samvydav/have/$Aid.have" | cut -c1-64)" "$(cat "$T/a.ids")" "it lists exactly A's items"

# --- at B: nothing to import, a bundle for A of what A lacks; --json
svd -C "$B" stick --json "$S" >"$T/b1.json" 2>"$T/b1.err"
same "$?" 0 "at B: exit 0"
same "$(json "$T/b1.json" 'j["safe"]')" True "--json: safe is true"
same "$(json "$T/b1.json" 'j["mirror"]')" "$Bid" "--json: mirror is B's id"
same "$(json "$T/b1.json" 'j["have"]')" "$S/samvydav/have/$Bid.have" "--json: have is B's have-file on the stick"
same "$(json "$T/b1.json" '(j["read"], j["imported"], j["written"], j["left"])')" "(0, 0, 1, 0)" \
	"--json: nothing read, one file written, nothing left"
same "$(json "$T/b1.json" '[m["mirror"] for m in j["mirrors"]]')" "['$Aid']" "--json: one other mirror, A"
same "$(json "$T/b1.json" 'j["mirrors"][0]["items"]')" 2 "--json: B wrote A its 2 items"
fora=$(for_bundles "$S" "$Aid")
same "$(printf '%s\n' "$fora" | grep -c .)" 1 "the stick holds one bundle for A, named for-<A>-<UTC time>.tar.zst"
same "$(json "$T/b1.json" 'j["mirrors"][0]["files"]')" "['$S/samvydav/bundles/$fora']" "--json: and names it"
same "$(bundle_ids "$S/samvydav/bundles/$fora")" "$(comm -13 "$T/a.ids" "$T/b.ids")" "it holds exactly what A lacked"
check "stock zstd finds it whole" zstd -qt "$S/samvydav/bundles/$fora"
[ -f "$S/samvydav/have/$Bid.have" ] && ok "B's have-file is on the stick" || not_ok "B's have-file is on the stick"
same "$(find "$S" -name '*.part' -o -name '*.tmp*' | wc -l)" 0 "no temporary file is left on the stick"

# --- back at A: import, and for B only what the stick does not carry
svd -C "$A" stick "$S" >"$T/a2.out" 2>"$T/a2.err"
same "$?" 0 "back at A: exit 0"
grep -q "$fora: 2 items: 2 added" "$T/a2.err" && ok "A imports B's bundle (its line says what was added)" ||
	not_ok "A imports B's bundle (its line says what was added)" "$(cat "$T/a2.err")"
same "$(ids_of "$A")" "$(sort -u "$T/a.ids" "$T/b.ids")" "A holds every item now"
forb=$(for_bundles "$S" "$Bid")
same "$(printf '%s\n' "$forb" | grep -c .)" 1 "the stick holds one bundle for B"
same "$(cat "$T/a2.out")" "$S/samvydav/bundles/$forb" "its path is printed on standard output"
same "$(bundle_ids "$S/samvydav/bundles/$forb")" "$(cat "$T/a.ids")" \
	"it holds A's own items, not B's, which B has (and the stick carries)"
grep -q "You may remove the stick now" "$T/a2.err" && ok "the summary says the stick may be removed" ||
	not_ok "the summary says the stick may be removed" "$(tail -n 2 "$T/a2.err")"

# --- back at B, given the samvydav folder itself: B gets A's items
expect_exit 0 "lacks nothing" "at B (PATH/samvydav given): done; A lacks nothing now" \
	svd -C "$B" stick "$S/samvydav"
[ ! -e "$S/samvydav/samvydav" ] && ok "PATH/samvydav is taken for its stick" || not_ok "PATH/samvydav is taken for its stick"
same "$(ids_of "$B")" "$(ids_of "$A")" "A and B hold the same items"
same "$(git --git-dir="$B/store.git" rev-parse 'main^{tree}')" \
	"$(git --git-dir="$A/store.git" rev-parse 'main^{tree}')" "A and B hold the same main tree"
n=$(ls "$S/samvydav/bundles" | wc -l)
svd -C "$A" stick --json "$S" >"$T/a3.json" 2>/dev/null
same "$(json "$T/a3.json" '(j["safe"], j["written"], j["added"], j["mirrors"][0]["files"])')" "(True, 0, 0, [])" \
	"once both hold everything, a plug writes nothing and adds nothing"
same "$(ls "$S/samvydav/bundles" | wc -l)" "$n" "and the stick's bundles are as they were"
check "A's store is healthy" fsck_clean "$A"
check "B's store is healthy" fsck_clean "$B"

# --- hostile have-files: refused (exit 3), named escaped, nothing written for them
C=$T/c
new_archive "$C" ed && add_items "$C" gamma 1
H=$T/hostile
mkdir -p "$H/samvydav/have" "$H/samvydav/bundles"
evil=$(printf 'ev\033[31mil\nname')
printf 'x\n' >"$H/samvydav/have/$evil.have"
printf 'x\n' >"$H/samvydav/have/$(printf '%070d' 0).have"
svd -C "$C" stick --json "$H" >"$T/h.json" 2>"$T/h.err"
same "$?" 3 "a have-file named with control characters: exit 3"
if grep -q $'\033' "$T/h.err" "$T/h.json"; then
	not_ok "no raw escape character reaches the output" "$(od -c "$T/h.err" | head -n 5)"
else
	ok "no raw escape character reaches the output"
fi
grep -qF 'ev\x1b[31mil\x0aname.have: not a mirror'"'"'s name' "$T/h.err" &&
	ok "the name is shown with \\xNN escapes, and refused" || not_ok "the name is shown with \\xNN escapes, and refused" "$(cat "$T/h.err")"
grep -qF "$(printf '%070d' 0).have: not a mirror's name" "$T/h.err" &&
	ok "a name over 64 bytes is refused" || not_ok "a name over 64 bytes is refused" "$(cat "$T/h.err")"
same "$(json "$T/h.json" 'sorted(m["refused"] for m in j["mirrors"])')" "[True, True]" "--json: both marked refused"
same "$(json "$T/h.json" 'j["safe"]')" True "the stick may still be removed"
same "$(ls "$H/samvydav/bundles" | wc -l)" 0 "nothing was written for them"

# have-files that lie, under good names
rm -f "$H/samvydav/have/"*
m1=$(printf '1%.0s' $(seq 32))
m2=$(printf '2%.0s' $(seq 32))
m3=$(printf '3%.0s' $(seq 32))
m4=$(printf '4%.0s' $(seq 32))
id1=$(head -n 1 "$T/a.ids")
id2=$(sed -n 2p "$T/a.ids")
lo=$(printf '%s\n%s\n' "$id1" "$id2" | sort | head -n 1)
hi=$(printf '%s\n%s\n' "$id1" "$id2" | sort | tail -n 1)
printf 'samvydav have 1\nmirror %s\ncreated 2026-01-01T00:00:00Z\ncount 5\n%s\n' "$m1" "$lo" >"$H/samvydav/have/$m1.have"
printf 'samvydav have 1\nmirror %s\ncreated 2026-01-01T00:00:00Z\ncount 2\n%s\n%s\n' "$m2" "$hi" "$lo" >"$H/samvydav/have/$m2.have"
printf 'GIF89a junk\n' >"$H/samvydav/have/$m3.have"
mkfifo "$H/samvydav/have/$m4.have"
ln -s /etc/passwd "$H/samvydav/have/$(printf '5%.0s' $(seq 32)).have"
timeout 60 "$SVD_BIN" -C "$C" stick "$H" >/dev/null 2>"$T/h2.err"
rc=$?
same "$rc" 3 "have-files that lie, a FIFO and a link: exit 3, and no hang on the FIFO"
grep -q "$m1.have: refused: .*5 ids\|$m1.have: refused: .*count says 5" "$T/h2.err" &&
	ok "a count that lies is refused, saying so" || not_ok "a count that lies is refused, saying so" "$(grep "$m1" "$T/h2.err")"
grep -q "$m2.have: refused: .*out of order" "$T/h2.err" &&
	ok "ids out of order are refused, saying so" || not_ok "ids out of order are refused, saying so" "$(grep "$m2" "$T/h2.err")"
grep -q "$m3.have: refused: .*line 1: not a have-file" "$T/h2.err" &&
	ok "junk is refused: not a have-file" || not_ok "junk is refused: not a have-file" "$(grep "$m3" "$T/h2.err")"
grep -q "$m4.have: refused: .*not a regular file" "$T/h2.err" &&
	ok "a FIFO is refused without being read" || not_ok "a FIFO is refused without being read" "$(grep "$m4" "$T/h2.err")"
grep -q "5555.*\.have: refused:" "$T/h2.err" && ok "a link is refused" || not_ok "a link is refused" "$(cat "$T/h2.err")"
same "$(ls "$H/samvydav/bundles" | wc -l)" 0 "nothing was written for any of them"
rm -f "$H/samvydav/have/"*
# this mirror's own have-file under another name, and one naming another mirror
svd -C "$C" have -o "$H/samvydav/have/$m1.have" >/dev/null
sed "2s/.*/mirror $m3/" "$H/samvydav/have/$m1.have" >"$H/samvydav/have/$m2.have"
svd -C "$C" stick "$H" >/dev/null 2>"$T/h3.err"
same "$?" 3 "C's own have-file under another name: exit 3"
grep -q "$m1.have: this mirror's own have-file under another name; skipped" "$T/h3.err" &&
	ok "it is skipped, saying so" || not_ok "it is skipped, saying so" "$(cat "$T/h3.err")"
grep -q "$m2.have says it is mirror $m3; writing for $m2" "$T/h3.err" &&
	ok "a have-file that names another mirror is written for by its file name, with a warning" ||
	not_ok "a have-file that names another mirror is written for by its file name, with a warning" "$(cat "$T/h3.err")"
same "$(for_bundles "$H" "$m1" | wc -l)" 0 "nothing is written for C itself"

# --- damaged and junk bundles on the stick
D=$T/damaged
mkdir -p "$D/samvydav/bundles"
svd -C "$A" export -q -o "$T/whole.tar.zst" >/dev/null
size=$(stat -c %s "$T/whole.tar.zst")
head -c $((size * 2 / 3)) "$T/whole.tar.zst" >"$D/samvydav/bundles/1-cut.tar.zst"
head -c 3000 /dev/urandom >"$D/samvydav/bundles/2-junk.tar.zst"
cp "$T/whole.tar.zst" "$D/samvydav/bundles/3-$(printf 'tab\there').tar.zst"
ln -s "$T/whole.tar.zst" "$D/samvydav/bundles/4-link.tar.zst"
new_archive "$T/r" ed
svd -C "$T/r" stick --json "$D" >"$T/d.json" 2>"$T/d.err"
rc=$?
same "$rc" 1 "a cut bundle, junk and a link on the stick: exit 1 (a link is not read)"
same "$(json "$T/d.json" '[b["outcome"] for b in j["bundles"]]')" "['partly', 'refused', 'imported', 'failed']" \
	"--json: the cut one partly imported, the junk refused, the whole one imported, the link failed"
grep -q "1-cut.tar.zst: damaged at byte [0-9]" "$T/d.err" && ok "the damage is reported with its offset" ||
	not_ok "the damage is reported with its offset" "$(cat "$T/d.err")"
same "$(json "$T/d.json" 'len(j["bundles"][0]["damage"]) > 0')" True "--json: the cut bundle's damage is listed"
same "$(json "$T/d.json" 'j["bundles"][2]["file"]')" "$D/samvydav/bundles/3-tab\x09here.tar.zst" \
	"--json: a bundle's name with a tab is shown escaped"
grep -q "4-link.tar.zst: cannot open: a link, not a bundle" "$T/d.err" && ok "a link is passed over, saying so" ||
	not_ok "a link is passed over, saying so" "$(cat "$T/d.err")"
same "$(ids_of "$T/r")" "$(cat "$T/a.ids" "$T/b.ids" | sort -u)" "every item of the whole bundle is imported"
same "$(json "$T/d.json" 'j["safe"]')" True "and the stick may be removed"
check "the receiver's store is healthy" fsck_clean "$T/r"

# --- links where the stick's folders should be: refused whole
L=$T/linked
mkdir -p "$L/samvydav" "$T/elsewhere"
ln -s "$T/elsewhere" "$L/samvydav/bundles"
mkdir "$L/samvydav/have" && svd -C "$B" have -o "$L/samvydav/have/$Bid.have" >/dev/null
expect_exit 3 "samvydav/bundles: not a folder but a link" "samvydav/bundles a link: refused whole (exit 3)" \
	svd -C "$A" stick "$L"
same "$(ls "$T/elsewhere" | wc -l)" 0 "nothing was written where the link points"
same "$(ls "$L/samvydav/have")" "$Bid.have" "and the stick is not touched"

# --- a busy archive, a missing stick
if command -v flock >/dev/null; then
	flock "$A/lock" sleep 3 &
	holder=$!
	sleep 0.5
	cp "$T/whole.tar.zst" "$S/samvydav/bundles/again.tar.zst"
	expect_exit 5 "busy|another samvydav" "a busy archive: exit 5, nothing done" svd -C "$A" stick "$S"
	wait "$holder"
	rm -f "$S/samvydav/bundles/again.tar.zst"
fi
expect_exit 4 "no such folder \(is the stick mounted\?\)" "a missing stick: exit 4" svd -C "$A" stick "$T/nowhere"
expect_exit 2 "say where the stick is" "no PATH: exit 2" svd -C "$A" stick

# --- a kill between a bundle's fsync and its rename onto the stick
K=$T/killed
mkdir -p "$K/samvydav/have"
svd -C "$C" have -o "$K/samvydav/have/$(cat "$C/mirror-id").have" >/dev/null
SVD_PAUSE_AT=stick.part SVD_PAUSE_FILE=$T/pause "$SVD_BIN" -C "$A" stick "$K" >/dev/null 2>"$T/k.err" &
kill_at stick.part "stick command" $! "$T/k.err"
same "$(ls "$K/samvydav/bundles" | grep -c '\.tar\.zst$')" 0 "killed there, the stick holds no bundle under its name, only the .part"
svd -C "$A" stick "$K" >/dev/null 2>&1
same "$(ls "$K/samvydav/bundles" | grep -c '\.part$')" 0 "the next plug removes the .part"
same "$(bundle_ids "$K/samvydav/bundles/"*.tar.zst)" "$(comm -23 <(ids_of "$A") <(ids_of "$C"))" \
	"and writes the whole bundle"

# --- as root: a full stick, a stick with no room, a read-only stick (tmpfs)
M=$T/mnt
mkdir -p "$M"
if [ "$(id -u)" -ne 0 ] || ! mount -t tmpfs -o size=20m,mode=0755 tmpfs "$M" 2>/dev/null; then
	echo "# skip: a full and a read-only stick need root (mount -t tmpfs)"
	finish
fi
trap 'umount "$M" 2>/dev/null; rm -rf "$T"' EXIT
free_kib() { df -k --output=avail "$M" | tail -n 1 | tr -d ' '; }
# E holds three items with 700 KiB incompressible attachments
E=$T/e
new_archive "$E" ed
for j in 1 2 3; do
	mkdir -p "$T/esrc/e$j"
	printf '{"kind":"article","title":"Велика %s","lang":"uk","created":"2026-01-01T00:00:00Z"}' "$j" >"$T/esrc/e$j/meta.json"
	printf 'Текст %s.\n' "$j" >"$T/esrc/e$j/body.md"
	head -c 716800 /dev/urandom >"$T/esrc/e$j/photo.jpg"
done
svd -C "$E" add --from "$T/esrc" --key "$T/ed.key" -q
mkdir -p "$M/samvydav/have"
svd -C "$C" have -o "$M/samvydav/have/$(cat "$C/mirror-id").have" >/dev/null
# leave 16 MiB (the margin) + 1.6 MiB: room for two of the three items
head -c $((($(free_kib) - 16384 - 1640) * 1024)) /dev/zero >"$M/filler"
svd -C "$E" stick --json --max-size 800K "$M" >"$T/f.json" 2>"$T/f.err"
same "$?" 0 "a stick with room for part of it: exit 0"
same "$(json "$T/f.json" '(j["safe"], j["written"], j["left"])')" "(True, 2, 1)" \
	"--json: two parts written, one left for the next trip, safe to remove"
grep -q "1 of 3 files for .* did not fit in the [0-9]* bytes free on $M/samvydav/bundles; they will go on the next trip" "$T/f.err" &&
	ok "the output says a part is left for the next trip" || not_ok "the output says a part is left for the next trip" "$(cat "$T/f.err")"
same "$(ls "$M/samvydav/bundles" | grep -c '\.part$')" 0 "no .part is left"
rm -f "$M/filler"
svd -C "$E" stick --json --max-size 800K "$M" >"$T/f2.json" 2>"$T/f2.err"
same "$(json "$T/f2.json" '(j["written"], j["left"], j["mirrors"][0]["items"])')" "(1, 0, 1)" \
	"with room again, the next plug writes the one item left, and only that"
same "$(bundle_ids "$M/samvydav/bundles/"*.tar.zst)" "$(comm -23 <(ids_of "$E") <(ids_of "$C"))" \
	"the stick now carries all that C lacks"
rm -f "$M/samvydav/bundles/"*
head -c $((($(free_kib) - 16384 - 512) * 1024)) /dev/zero >"$M/filler"
expect_exit 1 "only [0-9]+ bytes free; nothing written for .*make room on the stick" \
	"a stick with no room: exit 1, saying so" svd -C "$E" stick "$M"
grep -q "mirror $(cat "$E/mirror-id")" "$M/samvydav/have/$(cat "$E/mirror-id").have" &&
	ok "its have-file is still written" || not_ok "its have-file is still written"
rm -f "$M/filler" "$M/samvydav/bundles/"*
# read-only: the bundles are imported, the have-file cannot be written
svd -C "$A" export -q -o "$M/samvydav/bundles/from-a.tar.zst" >/dev/null
new_archive "$T/ro" ed
mount -o remount,ro "$M"
expect_exit 1 "cannot write this mirror's have-file .*do not remove the stick yet \(is it full or read-only\?\)" \
	"a read-only stick: exit 1, do not remove it yet" svd -C "$T/ro" stick "$M"
same "$(ids_of "$T/ro")" "$(ids_of "$A")" "its bundles were imported all the same"
mount -o remount,rw "$M"

finish
