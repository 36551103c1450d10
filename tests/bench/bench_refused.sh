#!/usr/bin/env bash
# Refusals after good items in one bundle (issue 15, item 4).
#
#     bench_refused.sh [--items N] [--refused M] [--keep DIR] [SCRATCH]
#
# Makes N good items (default 20,000; small ones, signed by a trusted key)
# and M more (default 3 x N) whose body.md is changed after signing, so
# that the gate refuses each of them; writes all of them into
# one bundle with tests/cli/craft_bundle.py (items in id order: good and
# refused ones interleaved) and times its import into an empty archive.
# Each refused item's blobs are taken back out of the operation's pack;
# that used to rebuild the pack's whole set of ids, so the time grew as
# good x refused. Also times the import of the good items alone, so the
# cost of a refusal can be read off. SVD_BIN picks the binary; with
# SVD_BEFORE=BINARY (a build from before the fix) the same two imports are
# timed with it too, on the same bundles. Not a test: it prints figures.
set -euo pipefail

refused=
args=()
while [ $# -gt 0 ]; do
	case $1 in
	--refused)
		[ $# -ge 2 ] || { sed -n 4,5p "$0" | sed 's/^# *//' >&2; exit 2; }
		refused=$2
		shift 2
		;;
	*)
		args+=("$1")
		shift
		;;
	esac
done
set -- "${args[@]+"${args[@]}"}"
usage_lines=4,5
. "$(dirname "$0")/lib.sh"
before=
if [ -n "${SVD_BEFORE:-}" ]; then
	cp "$SVD_BEFORE" "$W/samvydav-before"
	before=$W/samvydav-before
fi
refused=${refused:-$((3 * items))}
case $refused in '' | *[!0-9]*) usage ;; esac
command -v zstd >/dev/null || { echo "bench: zstd is needed (apt-get install zstd)" >&2; exit 1; }

total=$((items + refused))
# small items, so that what a refusal costs is not drowned in hashing
echo "== $total small items in $W/corpus"
python3 - "$W/corpus" "$total" <<'PY'
import json, os, sys
out, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    d = os.path.join(out, "i%06d" % i)
    os.makedirs(d)
    with open(os.path.join(d, "meta.json"), "w") as f:
        json.dump({"kind": "article", "title": "Item %d" % i, "lang": "en"}, f)
    with open(os.path.join(d, "body.md"), "w") as f:
        f.write("# Item %d\n\nA short text, number %d.\n" % (i, i))
PY

echo "== archive with $total items"
A=$W/archive
"$SVD_BIN" init "$A" >/dev/null
"$SVD_BIN" key generate --no-passphrase -o "$W/editor.key" -p "$W/editor.pub" >/dev/null
"$SVD_BIN" -C "$A" trust add "$W/editor.pub" >/dev/null
"$SVD_BIN" -C "$A" add -q --from "$W/corpus" --key "$W/editor.key" </dev/null

echo "== the items as folders; $refused of them changed after signing"
mkdir -p "$W/all" "$W/good"
git --git-dir="$A/store.git" archive main items | tar -x -C "$W/all"
# which are refused: every item folder past the first N, in a fixed order
python3 - "$W/all/items" "$W/good/items" "$items" <<'PY'
import os, shutil, sys
src, good, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
folders = sorted(os.path.join(xx, i) for xx in os.listdir(src) for i in os.listdir(os.path.join(src, xx)))
for k, f in enumerate(folders):
    if k < n:
        shutil.copytree(os.path.join(src, f), os.path.join(good, f))
    else:
        with open(os.path.join(src, f, "body.md"), "ab") as fh:
            fh.write(b"x")
PY
python3 "$here/../cli/craft_bundle.py" write "$W/mixed.tar.zst" "$W/all"
python3 "$here/../cli/craft_bundle.py" write "$W/good.tar.zst" "$W/good"

import_into() { # NAME BUNDLE [BINARY]
	local B=$W/target-$1 t0 t1 status held bin=${3:-$SVD_BIN}
	"$bin" init "$B" >/dev/null
	"$bin" -C "$B" trust add "$W/editor.pub" >/dev/null
	# exit 3 is the import's answer when it refused items: not a failure here
	sync
	t0=$(date +%s%N)
	status=0
	/usr/bin/time -f %M -o "$W/$1.rss" "$bin" -C "$B" import -q "$2" >"$W/$1.out" 2>&1 || status=$?
	t1=$(date +%s%N)
	[ "$status" = 0 ] || [ "$status" = 3 ] || {
		echo "bench: import of $2 failed (exit $status):" >&2
		tail -n 20 "$W/$1.out" >&2
		exit 1
	}
	printf -v "wall_$1" '%s' "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')"
	printf -v "rss_$1" '%s' "$(tail -n 1 "$W/$1.rss")"
	held=$(git --git-dir="$B/store.git" ls-tree -r --name-only main items 2>/dev/null |
		grep -c '/manifest.json$' || true)
	printf -v "held_$1" '%s' "$held"
}

for b in ${before:+before} after; do
	bin=$SVD_BIN
	[ "$b" = before ] && bin=$before
	echo "== $b: import of the $items good items alone"
	import_into "good_$b" "$W/good.tar.zst" "$bin"
	echo "== $b: import of $items good + $refused refused items"
	import_into "mixed_$b" "$W/mixed.tar.zst" "$bin"
	g=held_good_$b m=held_mixed_$b
	[ "${!g}" = "$items" ] && [ "${!m}" = "$items" ] || {
		echo "bench: expected $items items held, got ${!g} (good) and ${!m} (mixed)" >&2
		exit 1
	}
done

echo
echo "samvydav refusals bench, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $(uname -m)"
load_line
fmt='%-44s %10s %10s\n'
printf "$fmt" "" "${before:+before}" "after"
row() { # LABEL VAR
	local a=${2}_after b=${2}_before
	printf "$fmt" "$1" "${before:+${!b}}" "${!a}"
}
for b in ${before:+before} after; do
	g=wall_good_$b m=wall_mixed_$b r=rss_mixed_$b
	printf -v "per_$b" '%s' "$(calc "(${!m} - ${!g}) * 1e6 / $refused" 0)"
	printf -v "mib_$b" '%s' "$(mib "${!r}")"
done
row "import, $items good (s)" wall_good
row "import, $items good + $refused refused (s)" wall_mixed
row "one refusal, the difference / $refused (us)" per
row "peak RSS, good + refused (MiB)" mib
