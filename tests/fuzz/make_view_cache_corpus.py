#!/usr/bin/env python3
"""Write the fuzz corpus of ARCHIVE/cache/view (tests/fuzz/corpus/view_cache/):
a good file, an empty one, one at the full level, and one per must-fail
case that tests/unit/test_view.c names. Each corpus file is one byte (the
check level the harness asks for), then the cache file
(archive-format/src/view_cache.c has the layout).

    python3 tests/fuzz/make_view_cache_corpus.py tests/fuzz/corpus/view_cache
"""
import hashlib
import os
import struct
import sys

TRUST = b"\x00" * 32
COMMIT = b"\x22" * 20


def record(rid, tree, kind, date, created, title, lang, sigs, sound=True,
           sup=None, ret=None, why=b"", region=b"", source=b"", authors=b"", tags=b""):
    flags = (1 if sound else 0) | (2 if sup else 0) | (4 if ret else 0)
    out = rid + tree + bytes([flags, kind])
    out += date.ljust(10, b"\0") + created.ljust(20, b"\0")
    if sup:
        out += sup
    if ret:
        out += ret
    out += struct.pack("<H", len(title)) + title + bytes([len(lang)]) + lang
    out += bytes([len(sigs)]) + b"".join(k + p for k, p in sigs)
    out += struct.pack("<H", len(why)) + why
    out += struct.pack("<H", len(region)) + region + struct.pack("<H", len(source)) + source
    out += struct.pack("<I", len(authors)) + authors + struct.pack("<I", len(tags)) + tags
    return out


def cache(records, level=0, count=None):
    body = b"svdview4" + bytes([level]) + TRUST + COMMIT
    body += struct.pack("<I", len(records) if count is None else count)
    body += b"".join(records)
    return body + hashlib.blake2b(body, digest_size=32).digest()


def main(out):
    os.makedirs(out, exist_ok=True)
    key = (bytes.fromhex("0123456789abcdef"), b"\x5a" * 32)
    ids = [bytes([n]) * 32 for n in (0x11, 0x12, 0x13, 0x14)]
    good = [
        record(ids[0], b"\x01" * 20, 0, b"2026-03-01", b"2026-03-01T00:00:00Z", "Стаття".encode(), b"uk", [key],
               region="Херсон".encode(), source=b"https://example.org/a", authors="Олена\x1fPetro\x1f".encode(),
               tags=b"filtration\x1f"),
        record(ids[1], b"\x02" * 20, 3, b"2026-03-01", b"2026-03-01T00:00:00Z", b"Retraction", b"en", [key], ret=ids[0]),
        record(ids[2], b"\x03" * 20, 2, b"2026-03-02", b"2026-03-02T00:00:00Z", b"Fix", b"en", [key, (b"\xfe" * 8, b"\x01" * 32)], sup=ids[0]),
        record(ids[3], b"\x04" * 20, 1, b"", b"", b"", b"", [], sound=False, why=b"manifest.json: canonical: no"),
    ]
    files = {
        "good": b"\x00" + cache(good),
        "empty": b"\x00" + cache([]),
        "full-level": b"\x01" + cache(good[:1], level=1),
        "out-of-order": b"\x00" + cache([good[1], good[0]]),
        "refused-without-why": b"\x00" + cache([record(ids[0], b"\x01" * 20, 0, b"", b"", b"", b"", [], sound=False)]),
        "count-lies": b"\x00" + cache(good, count=5),
        "control-in-date": b"\x00" + cache([record(ids[0], b"\x01" * 20, 0, b"2026-03\x0101", b"", b"T", b"en", [key])]),
    }
    # the fields svdview4 added: each one's own fault
    def one(**kw):
        return b"\x00" + cache([record(ids[0], b"\x01" * 20, 0, b"2026-03-01", b"2026-03-01T00:00:00Z", b"T", b"en", [key], **kw)])
    files["region-not-utf8"] = one(region=b"Kh\xffrson")
    files["region-control"] = one(region=b"Kh\x1erson")
    files["list-unended"] = one(authors=b"Olena\x1fPetro")
    files["list-nul"] = one(tags=b"a\x00b\x1f")
    files["source-too-long"] = one(source=b"s" * 2049)
    g = bytearray(files["good"])
    g[100] ^= 1
    files["bad-sum"] = bytes(g)
    files["cut"] = files["good"][:101]
    for name, data in files.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main(sys.argv[1])
