#!/usr/bin/env python3
"""Write the fuzz corpus of ARCHIVE/cache/site (tests/fuzz/corpus/site_file/)
from its "good" file (a real one: a daemon's catalog of three articles,
archive-format/src/site_file.c has the layout): one file per must-fail case
that tests/unit/test_site_file.c names, each with its checksum made right
again unless the case is the checksum, so the fault is reached.

    python3 tests/fuzz/make_site_file_corpus.py tests/fuzz/corpus/site_file
"""
import hashlib
import os
import struct
import sys

HEAD = 8 + 1 + 32 + 20 + 8 + 4 + 4


def summed(body):
    return body + hashlib.blake2b(body, digest_size=32).digest()


def parse(data):
    """The good file's parts: head, words (list of bytes), records (raw bytes)."""
    body = data[:-32]
    nwords, count = struct.unpack_from("<II", body, 69)
    at = HEAD
    words = []
    for _ in range(nwords):
        n = body[at]
        words.append(body[at:at + 1 + n])
        at += 1 + n
    recs = []
    for _ in range(count):
        start = at
        passed = body[at + 52]
        at += 53
        if passed:
            at += 2
            (mlen,) = struct.unpack_from("<I", body, at)
            at += 4 + mlen
            nsig = body[at]
            at += 1
            for _ in range(nsig):
                at += 1 + body[at]
                verified = body[at + 1]
                at += 2 + (32 if verified else 0)
            for _ in range(2):
                (k,) = struct.unpack_from("<H", body, at)
                at += 2
                for _ in range(k):
                    (n,) = struct.unpack_from("<H", body, at)
                    at += 2 + n
            (nw,) = struct.unpack_from("<I", body, at)
            at += 4
            for _ in range(nw):
                while body[at] & 0x80:
                    at += 1
                at += 1
        recs.append(body[start:at])
    assert at == len(body), "the good file does not parse"
    return body[:HEAD], words, recs


def nwords_of(rec):
    """How many bytes the word indexes at the end of a passed record take."""
    # walk back over the last record's indexes: every byte after the count
    at = 53 + 2
    (mlen,) = struct.unpack_from("<I", rec, at)
    at += 4 + mlen
    nsig = rec[at]
    at += 1
    for _ in range(nsig):
        at += 1 + rec[at]
        verified = rec[at + 1]
        at += 2 + (32 if verified else 0)
    for _ in range(2):
        (k,) = struct.unpack_from("<H", rec, at)
        at += 2
        for _ in range(k):
            (n,) = struct.unpack_from("<H", rec, at)
            at += 2 + n
    return len(rec) - at - 4


def build(head, words, recs, nwords=None, count=None):
    head = bytearray(head)
    struct.pack_into("<II", head, 69, len(words) if nwords is None else nwords,
                     len(recs) if count is None else count)
    return summed(bytes(head) + b"".join(words) + b"".join(recs))


def main():
    out = sys.argv[1]
    good = open(os.path.join(out, "good"), "rb").read()
    head, words, recs = parse(good)
    assert build(head, words, recs) == good
    cases = {}
    cases["empty"] = b""
    cases["cut"] = good[:-40]
    bad = bytearray(good)
    bad[len(good) // 2] ^= 0x20
    cases["bad-sum"] = bytes(bad)
    cases["bad-magic"] = summed(b"svdsite9" + good[8:-32])
    # the layout before this one (svdsite1: word indexes not ascending)
    cases["old-version"] = summed(b"svdsite1" + good[8:-32])
    cases["bad-level"] = summed(good[:8] + b"\x02" + good[9:-32])
    cases["count-lies"] = build(head, words, recs, count=len(recs) + 1)
    cases["words-lie"] = build(head, words, recs, nwords=len(words) + 5)
    cases["out-of-order"] = build(head, words, [recs[1], recs[0]] + recs[2:])
    cases["twice"] = build(head, words, [recs[0], recs[0]] + recs[1:])
    cases["word-twice"] = build(head, words + [words[0]], recs)
    cases["word-empty"] = build(head, words[:-1] + [b"\x00"], recs)
    cases["word-not-utf8"] = build(head, words[:-1] + [b"\x02\xc3\x28"], recs)
    # the last record's last word index past the words
    r = bytearray(recs[-1])
    r[-1] = 0x7f
    cases["index-past-words"] = build(head, words[:3], recs[:-1] + [bytes(r)])
    # indexes ascending (each a distance from the one before, less one) whose
    # sum goes past the words, each distance below the number of words
    (nw,) = struct.unpack_from("<I", recs[-1], len(recs[-1]) - nwords_of(recs[-1]) - 4)
    assert nw >= 2, "the good file's last item has two words or more"
    r = bytearray(recs[-1][:len(recs[-1]) - nwords_of(recs[-1])])
    r += bytes([len(words) - 1]) * nw
    cases["index-sum-past-words"] = build(head, words, recs[:-1] + [bytes(r)])
    # an index of six bytes
    cases["index-overlong"] = build(head, words, recs[:-1] + [recs[-1][:-1] + b"\x80" * 5 + b"\x00"])
    # an entry flag the format does not have
    r = bytearray(recs[0])
    r[53] |= 0x10
    cases["flag-unknown"] = build(head, words, [bytes(r)] + recs[1:])
    r = bytearray(recs[0])
    r[52] = 2
    cases["passed-2"] = build(head, words, [bytes(r)] + recs[1:])
    # a manifest that is not the item's: the record's id changed
    r = bytearray(recs[0])
    r[0] ^= 0x01
    cases["manifest-of-another"] = build(head, words, [bytes(r)] + recs[1:])
    # a manifest that does not parse: one byte of it changed
    r = bytearray(recs[0])
    r[53 + 2 + 4 + 1] ^= 0x01
    cases["manifest-broken"] = build(head, words, [bytes(r)] + recs[1:])
    # a record refused by the gate (no entry), last: fine
    # a key id with a control character, or not UTF-8: refused as the words are
    mlen = struct.unpack_from("<I", recs[0], 55)[0]
    assert recs[0][59 + mlen] > 0, "the good file's first item has a signature"
    r = bytearray(recs[0])
    r[61 + mlen] = 0x01
    cases["keyid-control"] = build(head, words, [bytes(r)] + recs[1:])
    r[61 + mlen] = 0xff
    cases["keyid-not-utf8"] = build(head, words, [bytes(r)] + recs[1:])
    cases["good-refused"] = build(head, words, recs + [b"\xff" * 32 + b"\x11" * 20 + b"\x00"])
    cases["bytes-after"] = summed(good[:-32] + b"\x00")
    for name, data in cases.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)


main()
