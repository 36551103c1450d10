#!/usr/bin/env bash
# The main job: build, then run the mirror daemon in the foreground on a
# local default archive (./demo-mirror), serving readers on 127.0.0.1:8737.
# The first time, the archive is made and seeded with the sample corpus (84
# real records in ten languages) signed by a demo editor key. Stop it with
# Ctrl-C (it finishes the step in progress and exits).
set -euo pipefail
cd "$(dirname "$0")/.."
echo "run.sh: building samvydav and samvydavd into build/" >&2
bash scripts/build.sh build -DSVD_TESTS=OFF >/dev/null
svd=$PWD/build/cli/samvydav
svdd=$PWD/build/daemon/samvydavd
home=$PWD/demo-mirror
A=$home/archive

if [ ! -f "$A/mirror-id" ]; then
	mkdir -p "$home/outbox"
	"$svd" init "$A"
	"$svd" key generate --no-passphrase -o "$home/demo-editor.key" -p "$home/demo-editor.pub"
	"$svd" -C "$A" trust add "$home/demo-editor.pub"
	python3 tests/data/corpus/to_jsonl.py tests/data/corpus/seed-articles.json "$home/corpus" >/dev/null
	"$svd" -C "$A" add -q --from "$home/corpus/items.jsonl" --key "$home/demo-editor.key"
fi
mkdir -p "$home/outbox"
cat >"$home/samvydavd.conf" <<CONF
# made by scripts/run.sh; see daemon/samvydavd.conf.example for every key
[archive]
	path = $A
[outbox]
	folder = $home/outbox
	every = 1h
	keep = 2
[http]
	listen = 127.0.0.1:8737
[log]
	level = info
CONF
"$svdd" -c "$home/samvydavd.conf" --check-config >/dev/null
echo "samvydavd: $("$svd" -C "$A" list | wc -l) items; readers at http://127.0.0.1:8737/ (Ctrl-C stops)"
exec "$svdd" -c "$home/samvydavd.conf"
