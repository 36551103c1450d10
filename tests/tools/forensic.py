#!/usr/bin/env python3
"""forensic.py: look at files, or at a raw FAT32 stick image, the way a
searcher at a checkpoint would, and report whatever gives them away.

    forensic.py [options] FILE...
    forensic.py [options] --image IMG

Exit status: 0 when nothing was found, 1 when anything was, 2 when the tool
could not do its job (a file it cannot read, an image it cannot parse, a
wrong option).

It looks for:

- known file signatures at any offset: zstd frames and skippable frames, tar
  headers ("ustar" at offset 257 of a 512-byte block), gzip, JPEG, "Exif\\0\\0",
  PNG, PDF, ZIP, git packs, minisign comments, and JSON text;
- printable text: runs of printable ASCII and UTF-8 of at least --min-run
  bytes (12), or longer when the data is long (below);
- the strings given with --forbid and --forbid-file: letters match in
  either case (ASCII, Cyrillic, any with simple case pairs); each is also searched in UTF-16LE (FAT's long names), and a
  hex string of 16 or more digits also as the bytes it spells (an item id in
  a binary index), a 16-digit one (a key number) in both byte orders;
- whether each file looks random: its byte entropy and the chi-square
  statistic of its 256 byte counts, against bounds that random data of the
  same length meets with probability 1 - 1e-4 each. Files under 4096 bytes
  get the signature and string checks only (32 or fewer expected counts per
  byte value are too few for the two statistics to mean much), and say so.

Honest about chance: random bytes hold short patterns too (a 3-byte gzip
magic turns up once in 16 MiB of random data). So a signature counts only
when what follows its magic parses as that format would (a zstd frame header
and block header, a gzip header that inflates, a JPEG marker chain...);
bare magics that do not parse are counted, and reported only when there are
more of them than random data of that length would hold (Poisson tail below
1e-5). A printable run counts only when it is at least as long as --min-run
and longer than random data of that length holds with probability 1e-4. So
random data of any size up to 64 MiB passes all the checks together with
probability above 99.9%, and the self-test (tests/cli/forensic_tool.sh)
shows the tool passes random bytes and fails everything else it is given.

The bounds of the two statistics: for n random bytes the chi-square
statistic X2 = sum((O_i - n/256)^2 / (n/256)) has 255 degrees of freedom,
and so has the G statistic 2 n ln2 (8 - H), H the entropy in bits a byte
(G is the likelihood-ratio form of the same test). The critical values of
chi-square(255) come from the Wilson-Hilferty approximation,
k (1 - 2/(9k) + z sqrt(2/(9k)))^3 with z the normal quantile, accurate to
well under 1% at 255 degrees of freedom. X2 must lie between the 5e-5 and
1 - 5e-5 quantiles (too even a spread is as suspect as too uneven); H must
be at least 8 - G/(2 n ln2) at the 1 - 1e-4 quantile.

--image IMG parses the FAT32 file system in IMG (no mounting, no loop
device, no mtools: this tool reads the bytes) and scans the raw image as a
whole, as a searcher's carving tools would, saying for each finding where
it lies: in a file, in the slack after a file's end, in free space (where
deleted files' bytes stay), in a directory, in the file system's own
structures. The boot sector's and the FAT's bytes are checked for signatures
and forbidden strings only (mkfs writes text there that is no finding);
every name in the directories, deleted ones included, is checked against the
forbidden strings; each file's content gets the randomness tests. The JSON
lists the files.

Standard library only.
"""
import argparse
import collections
import json
import math
import re
import statistics
import struct
import sys
import zlib

MIN_STATS = 4096          # below this, no randomness statistics
ALPHA_STAT = 1e-4         # each of chi-square (two-sided) and entropy
ALPHA_RUN = 1e-4          # printable runs, per target
ALPHA_MAGIC = 1e-5        # bare magics, per signature and target
EXCERPT = 48              # bytes shown of a finding
DF = 255                  # degrees of freedom over 256 byte values


def chi2_quantile(p, k=DF):
    """Wilson-Hilferty: the p-quantile of chi-square with k degrees of freedom."""
    z = statistics.NormalDist().inv_cdf(p)
    a = 2.0 / (9.0 * k)
    return k * (1.0 - a + z * math.sqrt(a)) ** 3


CHI2_LO = chi2_quantile(ALPHA_STAT / 2)
CHI2_HI = chi2_quantile(1 - ALPHA_STAT / 2)
G_HI = chi2_quantile(1 - ALPHA_STAT)


def escape(b):
    """Bytes as text a terminal shows safely: printable ASCII as is, the rest \\xNN."""
    return "".join(chr(c) if 0x20 <= c < 0x7f and c != 0x5c else "\\x%02x" % c for c in b)


def text_escape(s):
    """Decoded text with control characters escaped."""
    return "".join(c if c.isprintable() else "\\x%02x" % ord(c) if ord(c) < 256 else "\\u%04x" % ord(c)
                   for c in s)


# --- printable runs -------------------------------------------------------
# One character of printable text: ASCII 0x20-0x7e, tab, newline, return,
# or a UTF-8 sequence of a printable code point range (no C1 controls, no
# surrogates). The lookahead skips windows that cannot hold a run (cheap in
# random data); the length is checked after.
U8CHAR = (rb"[\t\n\r\x20-\x7e]|\xc2[\xa0-\xbf]|[\xc3-\xdf][\x80-\xbf]"
          rb"|\xe0[\xa0-\xbf][\x80-\xbf]|[\xe1-\xec\xee\xef][\x80-\xbf]{2}|\xed[\x80-\x9f][\x80-\xbf]"
          rb"|\xf0[\x90-\xbf][\x80-\xbf]{2}|[\xf1-\xf3][\x80-\xbf]{3}|\xf4[\x80-\x8f][\x80-\xbf]{2}")
# probability that random bytes at a position are one such character of
# 1, 2, 3, 4 bytes (counted from the ranges above)
U8P = (98 / 256, (32 + 29 * 64) / 256 ** 2, (32 * 64 + 12 * 4096 + 32 * 64 + 2 * 4096) / 256 ** 3,
       (48 * 4096 + 3 * 262144 + 16 * 4096) / 256 ** 4)


def run_prefix_prob(m):
    """Probability that random bytes at a position begin a run of >= m bytes
    (a bound: a character cut by the window's end counts as valid)."""
    f = [1.0] * (m + 1)
    for j in range(1, m + 1):
        f[j] = sum(p * (f[j - i] if j - i >= 0 else 1.0) for i, p in enumerate(U8P, 1))
    return f[m]


def run_threshold(n, min_run):
    """The shortest run length >= min_run that random data of n bytes holds
    with probability below ALPHA_RUN (union bound over the n positions)."""
    m = min_run
    while n * run_prefix_prob(m) > ALPHA_RUN:
        m += 1
    return m


def run_regex(m):
    # at least ceil(m/4) characters make m bytes possible; the lookahead
    # asks for m bytes of the run's byte set first
    return re.compile(rb"(?=[\t\n\r\x20-\x7e\x80-\xbf\xc2-\xf4]{%d})(?:%s){%d,}" % (m, U8CHAR, (m + 3) // 4))


# --- signatures -----------------------------------------------------------
# Each: a name, a regex for its magic, the chance that random bytes match
# the magic at one position, and a validator(data, pos) -> detail or None
# that says whether what follows parses as that format.

def v_zstd(d, i):
    """Frame header descriptor, window, then the chain of block headers up to
    the last block or the data's end: each of a defined type, no larger than
    128 KiB, and inside the data."""
    if i + 5 > len(d):
        return None
    fhd = d[i + 4]
    if fhd & 0x08:                      # reserved bit
        return None
    single = fhd & 0x20
    did = (0, 1, 2, 4)[fhd & 3]
    fcs = (0 if not single else 1, 2, 4, 8)[fhd >> 6]
    p = i + 5
    if not single:
        if p >= len(d) or (d[p] >> 3) > 21:   # window log over 31
            return None
        p += 1
    p += did + fcs
    blocks = 0
    while p + 3 <= len(d) and blocks < 4:
        bh = d[p] | d[p + 1] << 8 | d[p + 2] << 16
        last, btype, size = bh & 1, (bh >> 1) & 3, bh >> 3
        if btype == 3 or size > 131072:
            return None
        blocks += 1
        if last:
            break
        p += 3 + (1 if btype == 1 else size)
        if p > len(d):
            return None
    if blocks == 0:
        return None
    return "zstd frame (%d block header%s parse)" % (blocks, "s" if blocks > 1 else "")


def v_skippable(d, i):
    """The frame fits, and after it comes another frame, the data's end, or
    zeros to the next 512-byte boundary (the end of a file in an image)."""
    if i + 8 > len(d):
        return None
    size = struct.unpack_from("<I", d, i + 4)[0]
    e = i + 8 + size
    if e > len(d):
        return None
    if e == len(d) or d[e:e + 4] == b"\x28\xb5\x2f\xfd" or \
            (e + 4 <= len(d) and (struct.unpack_from("<I", d, e)[0] & 0xfffffff0) == 0x184d2a50):
        return "zstd skippable frame of %d bytes" % size
    pad = (-e) % 512
    if pad and d[e:e + pad] == bytes(min(pad, len(d) - e)):
        return "zstd skippable frame of %d bytes (then zeros)" % size
    return None


def v_gzip(d, i):
    """Flags without reserved bits, a known XFL and OS byte, and a deflate
    stream that inflates for its first bytes without an error."""
    if i + 10 > len(d) or d[i + 3] & 0xe0 or d[i + 8] not in (0, 2, 4) or \
            (d[i + 9] > 13 and d[i + 9] != 255):
        return None
    flg, p = d[i + 3], i + 10
    if flg & 4:
        if p + 2 > len(d):
            return None
        p += 2 + struct.unpack_from("<H", d, p)[0]
    for bit in (8, 16):
        if flg & bit:
            z = d.find(b"\0", p, p + 1024)
            if z < 0:
                return None
            p = z + 1
    if flg & 2:
        p += 2
    z = zlib.decompressobj(-15)
    try:
        out = z.decompress(d[p:p + 4096], 4096)
    except zlib.error:
        return None
    if len(out) < 64 and not z.eof:     # too little data to tell
        return None
    return "gzip member (deflate data inflates: %d bytes from the first %d)" % (len(out), min(4096, len(d) - p))


JPEG_MARKERS = set(range(0xc0, 0xd0)) - {0xc8} | set(range(0xda, 0xe0)) | set(range(0xe0, 0xf0)) | {0xfe}


def v_jpeg(d, i):
    """Three marker segments from SOI: each ff, a known marker, a length
    inside the data (a real JPEG has its tables before the start of scan)."""
    p = i + 2
    for n in range(3):
        if p + 4 > len(d) or d[p] != 0xff or d[p + 1] not in JPEG_MARKERS or (d[p + 1] == 0xda and n < 2):
            return None
        seg = struct.unpack_from(">H", d, p + 2)[0]
        if seg < 2 or p + 2 + seg > len(d):
            return None
        p += 2 + seg
    return "JPEG (three marker segments parse)"


def v_zip(d, i):
    if i + 30 > len(d):
        return None
    ver, flags, method = struct.unpack_from("<HHH", d, i + 4)
    nlen = struct.unpack_from("<H", d, i + 26)[0]
    if ver > 100 or method not in (0, 1, 6, 8, 9, 12, 14, 93, 95, 98, 99) or not 1 <= nlen <= 1024 or \
            i + 30 + nlen > len(d):
        return None
    return "ZIP local header for %s" % escape(d[i + 30:i + 30 + min(nlen, 40)])


def v_pack(d, i):
    if i + 12 > len(d):
        return None
    ver, count = struct.unpack_from(">II", d, i + 4)
    return "git pack version %d, %d objects" % (ver, count) if ver in (2, 3) else None


def v_tar(d, i):
    """'ustar' at 257 of a 512-aligned block (POSIX or GNU form); the name is shown."""
    h = i - 257
    if h < 0 or h % 512 or d[i + 5:i + 8] not in (b"\x0000", b"  \x00"):
        return None
    return "tar header for %s" % escape(d[h:h + 100].split(b"\0")[0][:60])


def v_any(d, i):
    return "magic"


JSON_KEY = rb'\{[ \t\r\n]{0,8}"[\x20\x21\x23-\x5b\x5d-\x7e]{3,64}"[ \t\r\n]{0,8}:[ \t\r\n]{0,8}["\[{0-9tfn-]'

# (name, regex, chance per position of the magic alone, validator)
SIGNATURES = [
    ("zstd", rb"\x28\xb5\x2f\xfd", 2.0 ** -32, v_zstd),
    ("zstd-skippable", rb"[\x50-\x5f]\x2a\x4d\x18", 2.0 ** -28, v_skippable),
    ("tar", rb"ustar", 2.0 ** -40 / 512, v_tar),
    ("gzip", rb"\x1f\x8b\x08", 2.0 ** -24, v_gzip),
    ("jpeg", rb"\xff\xd8\xff", 2.0 ** -24, v_jpeg),
    ("exif", rb"Exif\x00\x00", 2.0 ** -48, v_any),
    ("png", rb"\x89PNG\r\n\x1a\n", 2.0 ** -64, v_any),
    ("pdf", rb"%PDF-[12]\.", 2.0 ** -56, v_any),
    ("zip", rb"PK\x03\x04", 2.0 ** -32, v_zip),
    ("git-pack", rb"PACK", 2.0 ** -32, v_pack),
    ("minisign", rb"untrusted comment: ", 2.0 ** -152, v_any),
    ("json", JSON_KEY, 2.0 ** -38, v_any),
]
# Chance that random bytes at one position pass magic and validator, each
# bounded from the constraints its validator checks (a comment per line):
SIG_CHANCE = {
    "zstd": 2.0 ** -32 / 2 * 3 / 4 / 16,        # reserved bit, block type, block size
    "zstd-skippable": 2.0 ** -28 * 2.0 ** -32 * 18,  # fits, then a magic or the end
    "gzip": 2.0 ** -24 / 8 * 3 / 256 * 15 / 256 / 4,  # flags, XFL, OS, inflates
    "jpeg": 2.0 ** -24 * (2.0 ** -8 * 37 / 256) ** 3,  # three ff + marker pairs
    "zip": 2.0 ** -32 * 11 / 65536 * 1024 / 65536,
    "git-pack": 2.0 ** -63,                     # version 2 or 3
}


def signature_findings(d, report):
    """Report the validated signatures in d (report None: report nothing);
    the counts of bare magics, per signature."""
    bare = {}
    for name, rx, _, validate in SIGNATURES:
        for m in re.finditer(rx, d):
            i = m.start()
            what = validate(d, i)
            if what is None:
                bare[name] = bare.get(name, 0) + 1
            elif report:
                report(i, "signature", "%s: %s" % (name, what), escape(d[i:i + EXCERPT]))
    return bare


def bare_magic_findings(t, bare, n):
    """More bare magics than random data of n bytes holds: a finding."""
    for name, _, p, _ in SIGNATURES:
        k = bare.get(name, 0)
        if k and poisson_tail(k, n * p) < ALPHA_MAGIC:
            t.report(-1, "signature", "%s: %d bare magics where random data of this length holds %.3g"
                     % (name, k, n * p), "")


def poisson_tail(k, lam):
    """P(X >= k) for X ~ Poisson(lam)."""
    if k <= 0:
        return 1.0
    term = math.exp(-lam)
    cdf = 0.0
    for j in range(k):
        cdf += term
        term *= lam / (j + 1)
    return max(0.0, 1.0 - cdf) if lam > 1e-3 else term * (1 + lam / (k + 1))


# --- forbidden strings ----------------------------------------------------

def forbid_patterns(words):
    """(word, encoding, compiled regex, chance per position in random data)
    for every forbidden string. Letters match in either case, each on its
    own (ASCII and every other script with simple case pairs: Херсон,
    херсон, ХЕРСОН)."""
    out = []
    for w in words:
        for enc in ("utf-8", "utf-16le"):
            parts, cased = [], 0
            for ch in w:
                forms = sorted({f for f in (ch, ch.lower(), ch.upper()) if len(f) == 1})
                if len(forms) > 1:
                    cased += 1
                    parts.append(b"(?:" + b"|".join(re.escape(f.encode(enc)) for f in forms) + b")")
                else:
                    parts.append(re.escape(ch.encode(enc)))
            chance = 2.0 ** cased * 256.0 ** -len(w.encode(enc))
            out.append((w, "UTF-16LE" if enc == "utf-16le" else "text", re.compile(b"".join(parts)), chance))
        hexd = w.strip()
        if len(hexd) >= 16 and len(hexd) % 2 == 0 and re.fullmatch(r"[0-9a-fA-F]+", hexd):
            raw = bytes.fromhex(hexd)
            out.append((w, "bytes", re.compile(re.escape(raw)), 256.0 ** -len(raw)))
            if len(raw) == 8:
                out.append((w, "bytes, little-endian", re.compile(re.escape(raw[::-1])), 256.0 ** -len(raw)))
    return out


def forbid_findings(d, patterns, report):
    for w, enc, rx, _ in patterns:
        for m in rx.finditer(d):
            s = max(0, m.start() - 16)
            report(m.start(), "forbidden", '"%s" (%s)' % (text_escape(w), enc),
                   escape(d[s:m.end() + 16]))


# --- randomness -----------------------------------------------------------

def randomness(d):
    n = len(d)
    if n < MIN_STATS:
        return {"tested": False,
                "why": "%d bytes: under %d, too few for the randomness statistics; signature and string checks only"
                       % (n, MIN_STATS)}
    seen = collections.Counter(d)
    counts = [seen.get(v, 0) for v in range(256)]
    e = n / 256.0
    chi2 = sum((c - e) ** 2 for c in counts) / e
    h = max(0.0, -sum(c / n * math.log2(c / n) for c in counts if c))
    hmin = 8.0 - G_HI / (2.0 * n * math.log(2))
    ok = CHI2_LO <= chi2 <= CHI2_HI and h >= hmin
    return {"tested": True, "entropy": h, "entropy_min": hmin, "chi_square": chi2,
            "chi_square_range": [CHI2_LO, CHI2_HI], "looks_random": ok}


# --- FAT32 ----------------------------------------------------------------

class Fat32:
    """Enough of FAT32 to say who owns each byte of an image: reserved
    sectors, the FATs, each cluster (a directory, a file, free, bad, or
    allocated to nothing reachable), and the names in every directory."""

    def __init__(self, img):
        self.img = img
        if len(img) < 512 or img[510:512] != b"\x55\xaa":
            raise ValueError("no boot sector signature 55 aa at offset 510")
        bps, spc, rsvd, nfats = struct.unpack_from("<HBHB", img, 11)
        fatsz16, = struct.unpack_from("<H", img, 22)
        tot16, = struct.unpack_from("<H", img, 19)
        tot32, fatsz32, _, _, root = struct.unpack_from("<IIHHI", img, 32)
        if bps not in (512, 1024, 2048, 4096) or spc == 0 or spc & (spc - 1) or nfats == 0 or fatsz16 != 0 \
                or fatsz32 == 0:
            raise ValueError("not a FAT32 boot sector (bytes a sector %d, sectors a cluster %d, FAT size %d/%d)"
                             % (bps, spc, fatsz16, fatsz32))
        self.bps, self.csize = bps, bps * spc
        self.fat_start = rsvd * bps
        self.fat_end = self.fat_start + nfats * fatsz32 * bps
        self.data = self.fat_end
        total = (tot32 or tot16) * bps
        self.nclusters = min((total - self.data) // self.csize, fatsz32 * bps // 4 - 2) + 2
        self.fat = struct.unpack_from("<%dI" % self.nclusters, img, self.fat_start)
        self.owner = [None] * self.nclusters    # index into self.files, or "dir:<path>"
        self.files = []                         # dicts: path, size, deleted, clusters
        self.walk(root & 0x0fffffff, "")

    def off(self, c):
        return self.data + (c - 2) * self.csize

    def chain(self, c):
        out, seen = [], set()
        while 2 <= c < self.nclusters and c not in seen:
            seen.add(c)
            out.append(c)
            c = self.fat[c] & 0x0fffffff
        return out

    def walk(self, first, path):
        clusters = self.chain(first)
        for c in clusters:
            self.owner[c] = ("dir", path or "/")
        raw = b"".join(self.img[self.off(c):self.off(c) + self.csize] for c in clusters)
        lfn = {}
        deleted_lfn = []
        for p in range(0, len(raw), 32):
            e = raw[p:p + 32]
            if e[0] == 0:
                break
            if e[11] == 0x0f:
                part = (e[1:11] + e[14:26] + e[28:32]).decode("utf-16-le", "replace")
                part = part.split("\0")[0].replace("\uffff", "")
                if e[0] == 0xe5:
                    deleted_lfn.append(part)
                else:
                    if e[0] & 0x40:
                        lfn = {}
                    lfn[e[0] & 0x1f] = part
                continue
            short = e[0:8].rstrip(b" ")
            ext = e[8:11].rstrip(b" ")
            deleted = e[0] == 0xe5
            if deleted:
                short = b"?" + short[1:]
                name = "".join(reversed(deleted_lfn)) or None
            else:
                name = "".join(lfn[k] for k in sorted(lfn)) if lfn else None
            if e[12] & 0x08:
                short = short.lower()
            if e[12] & 0x10:
                ext = ext.lower()
            short_name = (short + (b"." + ext if ext else b"")).decode("cp437", "replace")
            lfn, deleted_lfn = {}, []
            if e[11] & 0x08 or short in (b".", b".."):
                continue
            first_c = (struct.unpack_from("<H", e, 20)[0] << 16) | struct.unpack_from("<H", e, 26)[0]
            size = struct.unpack_from("<I", e, 28)[0]
            full = path + "/" + (name or short_name)
            entry = {"path": full, "short_name": short_name, "size": size, "deleted": deleted,
                     "directory": bool(e[11] & 0x10), "first_cluster": first_c}
            self.files.append(entry)
            if deleted or not first_c:
                continue
            if e[11] & 0x10:
                if self.owner[first_c] is None:
                    self.walk(first_c, full)
                continue
            entry["clusters"] = self.chain(first_c)
            for c in entry["clusters"]:
                self.owner[c] = ("file", len(self.files) - 1)

    def content(self, f):
        d = b"".join(self.img[self.off(c):self.off(c) + self.csize] for c in f.get("clusters", []))
        return d[:f["size"]]

    def index(self):
        """Where each cluster sits in its file, and which free clusters a
        deleted entry names (as undelete tools guess: from its first
        cluster on, as many as its size needs)."""
        self.cpos, self.deleted_c = {}, {}
        for f in self.files:
            for k, c in enumerate(f.get("clusters", [])):
                self.cpos[c] = k
            if f["deleted"] and f["first_cluster"] >= 2 and not f["directory"]:
                for c in range(f["first_cluster"], f["first_cluster"] + max(1, -(-f["size"] // self.csize))):
                    if c < self.nclusters and self.owner[c] is None and not self.fat[c] & 0x0fffffff:
                        self.deleted_c.setdefault(c, f["path"])

    def where(self, o):
        """(region kind, text) for an image offset."""
        if o < self.fat_start:
            return "system", "reserved sectors (boot sector, FSInfo)"
        if o < self.fat_end:
            return "system", "the FAT"
        c = (o - self.data) // self.csize + 2
        if c >= self.nclusters:
            return "beyond", "after the last cluster"
        own = self.owner[c]
        if own is None:
            if self.fat[c] & 0x0fffffff:
                return "lost", "cluster %d, allocated to no file" % c
            if c in self.deleted_c:
                return "free", "free space, where deleted %s was" % self.deleted_c[c]
            return "free", "free space"
        if own[0] == "dir":
            return "system", "directory %s" % own[1]
        f = self.files[own[1]]
        pos = self.cpos[c] * self.csize + (o - self.data) % self.csize
        if pos >= f["size"]:
            return "slack", "slack after the end of %s" % f["path"]
        return "file", "%s at %d" % (f["path"], pos)


class Target:
    def __init__(self, name, size, cap):
        self.name, self.size, self.cap = name, size, cap
        self.findings, self.counts, self.notes, self.stats = [], {}, [], None

    def report(self, offset, kind, what, excerpt, region=None):
        self.counts[kind] = self.counts.get(kind, 0) + 1
        if self.counts[kind] <= self.cap:
            f = {"offset": offset, "kind": kind, "what": what, "excerpt": excerpt}
            if region:
                f["region"] = region
            self.findings.append(f)

    def total(self):
        return sum(self.counts.values())

    def as_json(self):
        j = {"path": self.name, "size": self.size, "findings": self.findings, "counts": self.counts,
             "notes": self.notes}
        if self.stats is not None:
            j["randomness"] = self.stats
        return j


def scan_data(t, d, patterns, min_run, where=None):
    """The signature and string checks over d. With where(offset) given (an
    image), each finding says its region, and the file system's own regions
    get no printable-text or JSON checks (mkfs writes text there)."""
    def rep(o, kind, what, exc):
        if where is None:
            t.report(o, kind, what, exc)
            return
        region, text = where(o)
        if region == "system" and (kind == "text" or what.startswith("json")):
            return
        t.report(o, kind, what, exc, text)

    bare = signature_findings(d, rep)
    if where is None:
        bare_magic_findings(t, bare, len(d))
    m = run_threshold(len(d), min_run)
    t.notes.append("printable runs: reported from %d bytes (--min-run %d; random data of %d bytes holds a run "
                   "that long with probability under %g)" % (m, min_run, len(d), ALPHA_RUN))
    for mm in run_regex(m).finditer(d):
        if mm.end() - mm.start() >= m:
            rep(mm.start(), "text", "printable text, %d bytes" % (mm.end() - mm.start()),
                text_escape(mm.group()[:EXCERPT].decode("utf-8", "replace")))
    forbid_findings(d, patterns, rep)
    chance = sum(len(d) * p for _, _, _, p in patterns)
    if chance > 1e-4:
        t.notes.append("forbidden strings: random data of this length holds one by chance with probability "
                       "about %.2g (a string that short proves little)" % chance)
    chance = sum(len(d) * SIG_CHANCE.get(name, p) for name, _, p, _ in SIGNATURES)
    if chance > 1e-4:
        t.notes.append("signatures: random data of this length shows one by chance with probability about %.2g"
                       % chance)


def test_randomness(t, d):
    t.stats = randomness(d)
    if t.stats["tested"] and not t.stats["looks_random"]:
        t.report(-1, "randomness", stats_text(t.stats), "")
    elif not t.stats["tested"]:
        t.notes.append(t.stats["why"])


def fail(msg):
    """The tool could not do its job: exit 2 (1 means findings)."""
    print("forensic.py: " + msg, file=sys.stderr)
    sys.exit(2)


def read_all(path):
    try:
        with open(path, "rb") as fh:
            return fh.read()
    except OSError as e:
        fail("%s: %s" % (path, e.strerror))


def scan_file(path, args, patterns):
    d = read_all(path)
    t = Target(path, len(d), args.max_findings)
    scan_data(t, d, patterns, args.min_run)
    test_randomness(t, d)
    return [t]


def scan_image(path, args, words, patterns):
    """The image as a whole (one target, findings placed in regions), then
    each file in it (a target each: the randomness tests and the bare
    magics; the string checks too when the file is fragmented, since the
    whole-image scan reads across the gaps)."""
    img = read_all(path)
    try:
        fs = Fat32(img)
    except (ValueError, struct.error) as e:
        fail("%s: not an image this tool reads (FAT32 only): %s" % (path, e))
    fs.index()
    t = Target(path, len(img), args.max_findings)
    t.notes.append("FAT32: %d-byte clusters, %d clusters, %d names (%d deleted)"
                   % (fs.csize, fs.nclusters - 2, len(fs.files), sum(f["deleted"] for f in fs.files)))
    scan_data(t, img, patterns, args.min_run, fs.where)
    for f in fs.files:
        name = f["path"].rsplit("/", 1)[-1]
        for w in words:
            if w.casefold() in name.casefold() or w.casefold() in f["short_name"].casefold():
                t.report(-1, "forbidden", '"%s" in a %sname: %s (short name %s)'
                         % (text_escape(w), "deleted " if f["deleted"] else "", text_escape(f["path"]),
                            text_escape(f["short_name"])), "")
    t.files = [{k: v for k, v in f.items() if k != "clusters"} for f in fs.files]
    targets = [t]
    for f in fs.files:
        if f["deleted"] or f["directory"]:
            continue
        ft = Target("%s:%s" % (path, f["path"]), f["size"], args.max_findings)
        d = fs.content(f)
        cl = f.get("clusters", [])
        if any(b != a + 1 for a, b in zip(cl, cl[1:])):
            ft.notes.append("fragmented: scanned on its own too")
            scan_data(ft, d, patterns, args.min_run)
        else:
            bare_magic_findings(ft, signature_findings(d, None), len(d))
        test_randomness(ft, d)
        targets.append(ft)
    return targets


def stats_text(s):
    return ("entropy %.6f bits/byte (random: >= %.6f), chi-square %.1f (random: %.1f..%.1f)"
            % (s["entropy"], s["entropy_min"], s["chi_square"], s["chi_square_range"][0],
               s["chi_square_range"][1]))


def main():
    ap = argparse.ArgumentParser(
        description="Report what a searcher finds in files or a FAT32 image: known signatures, printable "
                    "text, forbidden strings, data that does not look random. Exit 1 if anything is found.")
    ap.add_argument("files", nargs="*", metavar="FILE")
    ap.add_argument("--image", metavar="IMG", help="a raw FAT32 image: scan it whole, and each file in it")
    ap.add_argument("--forbid", action="append", default=[], metavar="STRING", help="a string that must not "
                    "appear (repeatable)")
    ap.add_argument("--forbid-file", action="append", default=[], metavar="FILE",
                    help="forbidden strings, one a line (repeatable)")
    ap.add_argument("--min-run", type=int, default=12, metavar="N",
                    help="shortest printable run reported (default 12; longer data needs longer runs)")
    ap.add_argument("--max-findings", type=int, default=20, metavar="N",
                    help="findings shown per kind and target (all are counted; default 20)")
    ap.add_argument("--json", action="store_true", help="one JSON object on standard output")
    args = ap.parse_args()
    if not args.files and not args.image:
        ap.error("give files, or --image IMG")
    if args.min_run < 4:
        ap.error("--min-run must be at least 4")
    words = list(args.forbid)
    for ff in args.forbid_file:
        try:
            with open(ff, encoding="utf-8") as fh:
                words += [ln.rstrip("\r\n") for ln in fh]
        except (OSError, UnicodeDecodeError) as e:
            ap.error("--forbid-file %s: %s" % (ff, e))
    words = [w for w in dict.fromkeys(words) if w]
    patterns = forbid_patterns(words)

    targets = []
    if args.image:
        targets += scan_image(args.image, args, words, patterns)
    for f in args.files:
        targets += scan_file(f, args, patterns)
    total = sum(t.total() for t in targets)

    if args.json:
        out = {"findings": total, "targets": [t.as_json() for t in targets],
               "method": {"alpha_statistics": ALPHA_STAT, "alpha_runs": ALPHA_RUN, "alpha_magics": ALPHA_MAGIC,
                          "min_stats_bytes": MIN_STATS,
                          "chi_square_critical": "Wilson-Hilferty approximation, 255 degrees of freedom"},
               "forbidden": words}
        if args.image:
            out["files"] = targets[0].files
        json.dump(out, sys.stdout, indent=1, ensure_ascii=False)
        print()
    else:
        for t in targets:
            s = t.stats
            if s is not None and s["tested"]:
                print("%s: %d bytes: %s: %s" % (t.name, t.size, stats_text(s),
                                                "looks random" if s["looks_random"] else "does NOT look random"))
            else:
                print("%s: %d bytes" % (t.name, t.size))
            for n in t.notes:
                print("%s: note: %s" % (t.name, n))
            for f in t.findings:
                where = "" if f["offset"] < 0 else "offset %d (0x%x): " % (f["offset"], f["offset"])
                region = " [%s]" % f["region"] if "region" in f else ""
                exc = ": %s" % f["excerpt"] if f["excerpt"] else ""
                print("%s: %s%s: %s%s%s" % (t.name, where, f["kind"], f["what"], region, exc))
            for kind, n in sorted(t.counts.items()):
                if n > t.cap:
                    print("%s: %d more %s findings not shown (--max-findings)" % (t.name, n - t.cap, kind))
        print("%d finding%s in %d target%s" % (total, "" if total == 1 else "s", len(targets),
                                              "" if len(targets) == 1 else "s"))
    return 1 if total else 0


if __name__ == "__main__":
    sys.exit(main())
