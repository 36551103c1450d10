#!/usr/bin/env bash
# The main job, for now: build, then make an archive in ./demo with an
# editor's key, sign and add the sample corpus (84 real records in ten
# languages), list it and verify every hash and signature; then export it as
# a bundle and import that into a second mirror.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh build -DSVD_TESTS=OFF >/dev/null
svd=$PWD/build/cli/samvydav
demo=$PWD/demo
rm -rf "$demo"
mkdir -p "$demo"

"$svd" init "$demo/archive"
"$svd" key generate --no-passphrase -o "$demo/editor.key" -p "$demo/editor.pub"
"$svd" -C "$demo/archive" trust add "$demo/editor.pub"

# the corpus as a JSON lines file with one Markdown body per record
python3 tests/data/corpus/to_jsonl.py tests/data/corpus/seed-articles.json "$demo/corpus" >/dev/null
"$svd" -C "$demo/archive" add --from "$demo/corpus/items.jsonl" --key "$demo/editor.key"
"$svd" -C "$demo/archive" list
"$svd" -C "$demo/archive" verify
"$svd" -C "$demo/archive" log --oneline

# a courier's bundle, checked by stock tools, then taken in by a second mirror
"$svd" -C "$demo/archive" export -o "$demo/corpus.tar.zst"
zstd -q -t "$demo/corpus.tar.zst" && echo "zstd -t: the bundle is whole"
"$svd" init "$demo/mirror-b"
"$svd" -C "$demo/mirror-b" trust add "$demo/editor.pub"
"$svd" -C "$demo/mirror-b" inspect "$demo/corpus.tar.zst" | tail -n 1
"$svd" -C "$demo/mirror-b" import "$demo/corpus.tar.zst"
"$svd" -C "$demo/mirror-b" verify
echo "The archive is in $demo/archive, a second mirror in $demo/mirror-b;"
echo "try: $svd -C $demo/archive show <id>"
