#!/usr/bin/env bash
# /api/items against a real samvydavd: 160 items in several languages,
# kinds, regions and dates, with authors and bodies drawn from a small
# vocabulary (Latin and Cyrillic). Paging with after= at several sizes
# returns every shown item exactly once, in the order of index.html; every
# filter, and q, agree with a recomputation in Python from the full list and
# what was added (q as the reader's search matches: reader.js); a fifth of
# the items have no "published": their date is null (never that of
# "created"), they come after every dated item, newest made first, are
# found by year=undated and by no year, and index.html gives them
# data-year="undated" and no date; a cursor
# taken before items are added and withdrawn (its own item among them) goes
# on after the rebuild with exactly the items that follow it; refusals are
# 400 (414 for a long query) in plain text.
. "$(dirname "$0")/lib.sh"

D=${SVD_BUILD_DIR:?}/daemon/samvydavd
A=$T/a
new_archive "$A" ed || not_ok "an archive"

# the items: JSON lines written by Python, with what the check needs kept aside
mkdir -p "$T/feed"
python3 - "$T/feed" <<'PY' || not_ok "the feed"
import json, random, sys
out = sys.argv[1]
rnd = random.Random(16)
vocab = ["bread", "prices", "water", "pumping", "station", "school", "bridge", "market",
         "хліб", "ціни", "вода", "школа", "міст", "ринок", "свідчення", "вибори",
         "Kherson", "Mariupol", "Melitopol", "Берданськ", "Енергодар"]
regions = [None, None, "Kherson", "KHERSON", "kherson", "Маріуполь", "МАРІУПОЛЬ", "Zaporizhzhia"]
langs = ["uk", "en", "EN", "ru", "crh-Latn", "de"]
kinds = ["article", "article", "testimony"]
authors = ["Olena Petrenko", "Ivan Franko", "Марія Коваль", "Taras", None]
meta = []
with open(out + "/items.jsonl", "w") as f:
    for n in range(160):
        words = [rnd.choice(vocab) for _ in range(rnd.randint(2, 5))]
        title = " ".join(words[:rnd.randint(1, len(words))]).capitalize() + " n%03d" % n
        body = " ".join(rnd.choice(vocab) for _ in range(rnd.randint(3, 12))) + ".\n"
        day = "20%02d-%02d-%02d" % (rnd.randint(15, 24), rnd.randint(1, 12), rnd.randint(1, 28))
        o = {"kind": rnd.choice(kinds), "title": title, "lang": rnd.choice(langs),
             "created": day + "T%02d:%02d:00Z" % (rnd.randint(0, 23), rnd.randint(0, 59)),
             "body": "b%03d.md" % n}
        if rnd.random() < 0.8:  # else undated: no date, after every dated item
            o["published"] = day
        r = rnd.choice(regions)
        if r:
            o["region"] = r
        a = [x for x in {rnd.choice(authors), rnd.choice(authors)} if x]
        if a:
            o["authors"] = sorted(a)
        f.write(json.dumps(o, ensure_ascii=False) + "\n")
        with open(out + "/b%03d.md" % n, "w") as b:
            b.write(body)
        meta.append({"title": title, "authors": o.get("authors", []), "body": body, "region": r,
                     "published": o.get("published"), "created": o["created"]})
with open(out + "/meta.json", "w") as f:
    json.dump(meta, f, ensure_ascii=False)
PY
check "add 160 items" svd -C "$A" add --from "$T/feed/items.jsonl" --key "$T/ed.key"

port=$(free_port)
printf '[archive]\n\tpath = %s\n[http]\n\tlisten = 127.0.0.1:%s\n' "$A" "$port" >"$T/d.conf"
start_daemon "$T/d.conf" "$T/d.log" || not_ok "the daemon starts" "$(tail -n 3 "$T/d.log")"
wait_log "http: serving" 100 || not_ok "the daemon serves" "$(tail -n 3 "$T/d.log")"
# until the first index is built (the API answers 503 before)
for _ in $(seq 300); do
	[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/api/status")" = 200 ] && break
	sleep 0.1
done

# the checks, each an "ok"/"not ok" line of its own; state for the second part in $T/state.json
cat >"$T/api.py" <<'PY'
import json, random, re, sys, unicodedata, urllib.error, urllib.parse, urllib.request
port, feed, state_path, part = sys.argv[1:5]
base = "http://127.0.0.1:%s" % port
meta = {m["title"]: m for m in json.load(open(feed + "/meta.json"))}
failed = 0

def report(ok, what, detail=""):
    global failed
    print(("ok - " if ok else "not ok - ") + what)
    if not ok:
        failed += 1
        print("#   " + str(detail)[:600])

def get(query):
    try:
        with urllib.request.urlopen(base + "/api/items" + ("?" + query if query else ""), timeout=30) as r:
            return r.status, r.headers.get("Content-Type"), r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type"), e.read().decode()

def pages(params, limit):
    """Every page of a query; the items in order and the number of pages."""
    got, after, n = [], None, 0
    while True:
        q = dict(params, limit=str(limit))
        if after:
            q["after"] = after
        status, ctype, body = get(urllib.parse.urlencode(q))
        assert status == 200 and ctype == "application/json", (q, status, body)
        page = json.loads(body)
        assert set(page) == {"items", "next"}, page.keys()
        assert len(page["items"]) <= limit
        got += page["items"]
        n += 1
        if page["next"] is None:
            return got, n
        assert len(page["items"]) == limit, "a cursor on a page that is not full"
        after = page["next"]
        assert n < 10000

# the reader's folding for the text here: Latin and Cyrillic, no diacritics
def fold(s):
    return unicodedata.normalize("NFC", s).lower()

def tokens(s, all_runs):
    out = []
    for run in re.findall(r"[^\W_]+", fold(s)):
        if all_runs or 2 <= len(run) <= 32:
            out.append(run)
    return out

def matches(item, words):
    m = meta[item["title"]]
    text = fold(m["title"]) + "\n" + ", ".join(fold(a) for a in m["authors"])
    idx = set(tokens(m["title"] + " " + " ".join(m["authors"]) + " " + m["body"], False))
    for w in words:
        if w in text:
            continue
        if len(w) >= 2 and any(t.startswith(w) for t in idx):
            continue
        return False
    return True

def expected(full, params):
    out = []
    for it in full:
        if "lang" in params and it["lang"].lower() != params["lang"].lower():
            continue
        if "kind" in params and it["kind"] != params["kind"]:
            continue
        if "region" in params and fold(it.get("region", "\0")) != fold(params["region"]):
            continue
        if "since" in params and (it["date"] is None or it["date"] < params["since"]):
            continue
        if "year" in params and (it["date"][:4] if it["date"] else "undated") != params["year"]:
            continue
        if "q" in params and not matches(it, tokens(params["q"], True)):
            continue
        out.append(it)
    return out

status, _, body = get("limit=1000")
full = json.loads(body)["items"]
ids = [it["id"] for it in full]
# the paged library: index.html and list/00002.html, 100 rows a page
index = ""
for path in ("/index.html", "/list/00002.html"):
    try:
        with urllib.request.urlopen(base + path, timeout=30) as r:
            index += r.read().decode()
    except urllib.error.HTTPError:
        pass
with urllib.request.urlopen(base + "/search/facets.js", timeout=30) as r:
    facets = r.read().decode()
index_ids = re.findall(r'data-id="([0-9a-f]{64})"', index)

if part == "1":
    report(status == 200 and len(full) == 160, "the whole list in one page: 160 items", (status, len(full)))
    report(ids == index_ids, "in the order of index.html and list/00002.html")
    report(all(it.get("region") == meta[it["title"]]["region"] for it in full) and
           all(set(it) <= {"id", "title", "lang", "kind", "date", "region"} for it in full),
           "each item: id, title, lang, kind, date, region when it has one")
    report(all(it["date"] == meta[it["title"]]["published"] for it in full),
           "each item's date is its published, null when it has none",
           [(it["date"], meta[it["title"]]) for it in full if it["date"] != meta[it["title"]]["published"]][:3])
    dated = [it for it in full if it["date"]]
    undated = [it for it in full if not it["date"]]
    report(len(undated) >= 10 and full == dated + undated and
           [it["date"] for it in dated] == sorted((it["date"] for it in dated), reverse=True) and
           [meta[it["title"]]["created"] for it in undated] ==
           sorted((meta[it["title"]]["created"] for it in undated), reverse=True),
           "the dated items newest first, then the %d undated, newest made first" % len(undated))
    rows = {m[0]: m[1] for m in re.findall(r'data-id="([0-9a-f]{64})"><td>([^<]*)</td>', index)}
    report(all(rows.get(it["id"]) == (it["date"] or "") for it in full),
           "the list pages: each row's date cell, empty for the undated")
    report(re.search(r'\["undated",%d,"No date"\]\]' % len(undated), facets),
           "search/facets.js: the year of the undated items, with their count, last")
    status, _, body = get("")
    page = json.loads(body)
    report(len(page["items"]) == 100 and page["next"], "without limit: 100 items and a cursor")
    for limit in (1, 7, 50, 159, 160, 1000):
        got, n = pages({}, limit)
        report([it["id"] for it in got] == ids and len(set(it["id"] for it in got)) == 160 and
               n == max(1, -(-160 // limit)),
               "limit=%d: %d pages, every item exactly once, in order" % (limit, n),
               (len(got), n))

    rnd = random.Random(7)
    vocab_q = ["bread", "BREAD", "bre", "b", "read", "pump", "umping", "хліб", "ХЛІБ", "хл", "лі",
               "школа", "ринок", "свід", "kherson", "KHER", "olena", "petrenko", "етренк",
               "марія", "ко", "n00", "n1", "n159", "x", "q", "енерго", "mariupol market",
               "water bread", "вода школа ціни", "zzz", "taras", "ivan fr"]
    queries = [{"q": q} for q in vocab_q]
    queries += [{"lang": l} for l in ("uk", "UK", "en", "crh-latn", "fr")]
    queries += [{"kind": k} for k in ("article", "testimony", "correction")]
    queries += [{"region": r} for r in ("kherson", "Маріуполь", "маріуполь", "zaporizhzhia", "Lviv")]
    queries += [{"since": s} for s in ("2015-01-01", "2020-02-29", "2024-12-28", "2030-01-01")]
    queries += [{"year": y} for y in ("2015", "2020", "2024", "1999", "undated")]
    for _ in range(25):
        p = {}
        for k, vals in (("lang", ["uk", "en"]), ("kind", ["article", "testimony"]),
                        ("region", ["KHERSON", "маріуполь"]), ("since", ["2019-06-01", "2022-01-01"]),
                        ("year", ["2021", "undated"]),
                        ("q", ["bread", "хл", "w", "school market", "olena"])):
            if rnd.random() < 0.4:
                p[k] = rnd.choice(vals)
        queries.append(p)
    bad = []
    for p in queries:
        want = [it["id"] for it in expected(full, p)]
        got, _ = pages(p, rnd.choice((1, 3, 10, 100)))
        if [it["id"] for it in got] != want:
            bad.append((p, len(got), len(want)))
    report(not bad, "%d filter queries agree with the recomputation" % len(queries), bad)
    nonempty = sum(1 for p in queries if expected(full, p))
    report(nonempty >= len(queries) // 2, "most of them find something (%d)" % nonempty)

    # refusals
    for q, code, want in (("offset=10", 400, "unknown parameter 'offset'"),
                          ("limit=0", 400, "limit: not a whole number from 1 to 1000"),
                          ("lang=uk&lang=en", 400, "lang: given twice"),
                          ("since=2024-02-30", 400, "since: not a date"),
                          ("year=24", 400, "year: not a year YYYY (such as 2024) or undated"),
                          ("year=UNDATED", 400, "year: not a year"),
                          ("kind=story", 400, "kind: not a kind of item"),
                          ("after=xyz", 400, "after: not a cursor"),
                          ("q=%FF", 400, "q: not UTF-8"),
                          ("%E2%80%AEx=1", 400, "unknown parameter '\\u202Ex'"),
                          ("q=" + "a" * 5000, 414, "URI too long")):
        status, ctype, body = get(q)
        report(status == code and ctype.startswith("text/plain") and want in body,
               "?%s: %d, %s" % (q[:40], code, want), (status, ctype, body))

    # a cursor taken now, for after the rebuild: the first 10, and the tenth's id
    status, _, body = get("limit=10")
    page = json.loads(body)
    json.dump({"first": [it["id"] for it in page["items"]], "next": page["next"],
               "later": ids[30], "full": ids}, open(state_path, "w"))
else:
    st = json.load(open(state_path))
    last = st["first"][-1]
    report(last not in ids and st["later"] not in ids, "the withdrawn items are no longer listed")
    # items that sort before the cursor's item are not on the pages after it
    added = [it for it in full if it["id"] not in st["full"]]
    before = {it["id"] for it in added if it["date"] and it["date"] >= "2029-01-01"}
    want = [i for i in ids if i not in st["first"] and i not in before]
    got, _ = pages({"after": st["next"]}, 9)
    got = [it["id"] for it in got]
    report(got == want and len(set(got)) == len(got),
           "the cursor of before the rebuild (its own item withdrawn) goes on with exactly the "
           "items after it (%d)" % len(got), (len(got), len(want)))
    report(any(it["date"] and it["date"] < "2000-01-01" and it["id"] in got for it in added),
           "an item added with an older date is among them")
    report(not (before & set(got)), "the newer ones are not")
print("# failed %d" % failed)
sys.exit(1 if failed else 0)
PY

run_py() {
	local out
	out=$(python3 "$T/api.py" "$port" "$T/feed" "$T/state.json" "$1" 2>&1)
	while IFS= read -r line; do
		case $line in
		"ok - "*) ok "${line#ok - }" ;;
		"not ok - "*) not_ok "${line#not ok - }" ;;
		"#   "*) echo "$line" ;;
		esac
	done <<<"$out"
	grep -q "^# failed 0$" <<<"$out" || not_ok "the checks of part $1 ran through" "$(tail -n 5 <<<"$out")"
}
run_py 1

# a rebuild between two pages: one item newer than all, one older than all,
# two withdrawn (the last item of the first page, and one further on)
printf 'Late news.\n' >"$T/late.md"
check "add a newer item" svd -C "$A" add --kind article --title 'Late news zz1' --lang en \
	--published 2030-01-01 --body "$T/late.md" --key "$T/ed.key"
check "add an older item" svd -C "$A" add --kind article --title 'Old news zz2' --lang en \
	--published 1999-01-01 --body "$T/late.md" --key "$T/ed.key"
for which in first later; do
	id=$(python3 -c 'import json,sys; s=json.load(open(sys.argv[1])); print(s["first"][-1] if sys.argv[2]=="first" else s["later"])' "$T/state.json" "$which")
	check "withdraw the $which item" svd -C "$A" add --kind retraction --title "Withdrawn $which" \
		--lang en --published 2029-06-01 --retracts "$id" --body "$T/late.md" --key "$T/ed.key"
done
python3 - "$T/feed/meta.json" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
m += [{"title": t, "authors": [], "body": "Late news.\n"}
      for t in ("Late news zz1", "Old news zz2", "Withdrawn first", "Withdrawn later")]
json.dump(m, open(sys.argv[1], "w"), ensure_ascii=False)
PY
# the pages follow main once the index is made again in the background:
# until the index served is of main's last commit (the last retraction)
head=$(head_of "$A")
for _ in $(seq 300); do
	curl -s "http://127.0.0.1:$port/api/status" | grep -q "\"head\": *\"$head\"" && break
	sleep 0.1
done
run_py 2

stop_daemon || not_ok "the daemon stops cleanly"
finish
