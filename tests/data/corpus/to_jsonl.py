#!/usr/bin/env python3
"""Turn the seed corpus into what `samvydav add --from` takes: OUT/items.jsonl
and one Markdown body per record (OUT/body000.md, ...).

    to_jsonl.py SEED.json OUT [--created YYYY-MM-DDTHH:MM:SSZ]

Records with no byline get no authors; a null publication date stays null
("not known"). With --created, every item gets that creation time, so the
same corpus always gives the same item ids."""
import json
import os
import sys


def main(argv):
    if len(argv) not in (3, 5) or (len(argv) == 5 and argv[3] != "--created"):
        sys.exit(__doc__)
    src, out = argv[1], argv[2]
    created = argv[4] if len(argv) == 5 else None
    os.makedirs(out, exist_ok=True)
    with open(src, encoding="utf-8") as f:
        items = json.load(f)["items"]
    with open(os.path.join(out, "items.jsonl"), "w", encoding="utf-8") as f:
        for i, it in enumerate(items):
            body = "body%03d.md" % i
            with open(os.path.join(out, body), "w", encoding="utf-8") as b:
                b.write("# %s\n\n%s\n" % (it["title"], it["byline"] or ""))
            rec = {"kind": "article", "title": it["title"], "lang": it["lang"],
                   "published": it["published"], "body": body}
            if it["byline"]:
                rec["authors"] = [it["byline"]]
            if created:
                rec["created"] = created
            f.write(json.dumps(rec, ensure_ascii=False) + "\n")
    print(len(items))


if __name__ == "__main__":
    main(sys.argv)
