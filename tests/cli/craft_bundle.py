#!/usr/bin/env python3
"""craft_bundle.py: an independent implementation of the bundle format
(archive-format/SPEC.md, section 9), for tests.

It shares no code with the C library: the tar stream (ustar headers, pax
records) is written by hand here, frames are compressed by the stock `zstd`
command, and the index is laid out from the text of SPEC 9.4. It writes good
bundles (so that an independent writer is shown to be accepted) and hostile
ones (each --hostile KIND makes one crafted bundle), reads a bundle's index
back on its own (to tell a test which items sit in which frame), and damages
files deterministically.

    craft_bundle.py write [options] OUT SRC...
        SRC is a folder holding items/<xx>/<id>/ (what `git archive main | tar -x`
        gives) or one item folder named by its id.
    craft_bundle.py index BUNDLE         frames and items from the trailing index
    craft_bundle.py flip IN OUT --seed S (--rate R | --bits N)
    craft_bundle.py kinds                the hostile kinds, one a line

`write --expect FILE` writes what a correct reader must do with the bundle:
lines `imported ID` (must be imported), `refused ID` (must not be imported)
and `lost ID` (in a damaged frame: must not be imported); for the kinds that
change a frame header's content size, also `fcs FRAME DECLARED HOLDS` (the
frame's number, the size its header now declares, the size it holds).

Standard library only, plus the `zstd` command.
"""
import argparse
import calendar
import hashlib
import io
import json
import os
import random
import re
import struct
import subprocess
import sys
import threading
import time
import zipfile
import zlib

ID_RE = re.compile(r"^[0-9a-f]{64}$")
INDEX_MAGIC = 0x184D2A5A
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"

# Each changes one thing in an otherwise good bundle. "entry" kinds put a
# hostile tar entry into the victim item (the gate must refuse that item
# and only it); "frame" kinds damage the victim's frame, which is given to
# the victim alone (only that item may be lost); "extra" kinds add a frame.
# "good" kinds change how the victim is written in a way every reader must
# still read as the same item (it is imported); "salvage" kinds (the victim
# in a frame of its own, too) lie about the bundle around an intact victim,
# which a salvaging reader still imports.
# "sig" kinds add a signature file the gate leaves out, admitting the item.
HOSTILE = {
    "dotdot": "entry",          # items/xx/<id>/../../../../tmp/evil
    "absolute": "entry",        # /tmp/samvydav-evil-<id>
    "symlink": "entry",         # body.md as a symbolic link to /etc/passwd
    "hardlink": "entry",        # body.md as a hard link to another item's body.md
    "chardev": "entry",         # body.md as a character device 1,3
    "blockdev": "entry",        # body.md as a block device 8,0
    "fifo": "entry",            # body.md as a FIFO
    "dir-then-file": "entry",   # folder entry body.md/ and then the file body.md
    "dup-path": "entry",        # body.md twice (the second with other bytes)
    "long-name": "entry",       # a pax path of 5000 bytes
    "nul-name": "entry",        # pax path "body.md\0.exe" in place of body.md
    "bad-utf8": "entry",        # pax path with the raw byte FF, an extra file
    "dotgit": "entry",          # items/xx/<id>/.git/config
    "short-path": "entry",      # a file named "items/a" inside an item
    "esc-path": "entry",        # a file whose name holds ESC sequences, a newline, U+202E
    "esc-sig": "sig",           # a signature file sig/NAME.minisig, NAME as esc-path's
    "wrong-id": "entry",        # the item filed under another valid id (last digit changed)
    "long-sig": "sig",          # a sig/ entry named with 300 bytes, beside the good signature
    # names a disk that ignores case, or FAT's refused characters, cannot take
    "sig-case": "sig",          # after the good signature, junk named as it in the other case
    "sig-fat": "sig",           # junk named sig/a:b*c?"<>|\\.minisig (characters FAT refuses)
    "body-case": "entry",       # after body.md, an unlisted Body.md (another case)
    "tar-size": "frame",        # body.md's header claims 1 MiB more than the frame holds
    "tar-size-tail": "frame",   # ... exactly 1024 bytes more (the reader's synthetic end)
    "window": "frame",          # the frame demands a 2 GiB window (zstd --zstd=wlog=31)
    "fcs-lie": "frame",         # the frame header's content size is 4096 too large
    "fcs-lie-small": "frame",   # ... too small (4096 less, or half)
    "index-lie": "salvage",     # the index says the frame's content is 1 byte longer (its header says right)
    "index-ulen": "salvage",    # ... of a frame whose header declares no content size
    "zip": "frame",             # the victim's files as a zip file inside the zstd frame
    "bomb": "extra",            # a frame of a tar header and 256 MiB of zeros (~9 KB)
    # SPEC 9.7's NUL rule applied to the name stock tar derives
    "sparse-name-nul": "entry", # body.md named by pax GNU.sparse.name "body.md\0.exe" (it wins over path)
    "pax-size-nul": "entry",    # a junk sig file whose pax size (1024) hides its zero data from a
                                # reader that takes the ustar size (0), then nul-name's body.md
    "sparse-name-decoy": "entry",  # pax path body.md, GNU.sparse.name decoy.md: the entry is decoy.md
    "sparse-name": "good",      # pax path decoy.md, GNU.sparse.name body.md: the entry is body.md
    "tar-global": "frame",      # a pax global header ('g') before body.md: read differently by tar readers
    "ustar-magic": "frame",     # after the item, a forged body.md whose magic is "ustarX" and prefix "zz":
                                # GNU tar names it body.md, libarchive zz/items/...
    "v7-prefix": "good",        # body.md's header without magic (V7) and with a stray prefix "zz":
                                # both readers ignore a V7 prefix
    "pax-sparse": "frame",      # body.md with a pax GNU.sparse.realsize record (sparse: never in a bundle)
    "tar-end-inside": "salvage",  # after the item, in its frame, a zero block and then another entry
    # salvage (SPEC 9.4, 9.7)
    "index-shift": "salvage",   # the index moves the victim frame's start 1 byte on, CRC fixed
    "meta-omits": "salvage",    # BUNDLE.json does not list the victim
    "meta-swap": "salvage",     # BUNDLE.json lists another id in the victim's place
    "no-meta": "salvage",       # no BUNDLE.json at all
    "meta-count-lie": "salvage",  # BUNDLE.json's count is 2^53-1, its ids the bundle's
    "meta-cut": "salvage",      # BUNDLE.json is its first half (a whole tar entry, cut JSON)
    "meta-nested": "salvage",   # BUNDLE.json's ids open 100,000 nested arrays
    "sig-junk": "salvage",      # a second entry at the victim's signature path, not a signature
    "sig-junk-first": "salvage",  # ... the junk before the signature
    "sig-big": "salvage",       # a 20000-byte file under the victim's sig/ beside its signature
    "noncanon-manifest": "entry",  # the victim's manifest.json with a space added (not canonical)
}


# A name that talks to a terminal and to line-based records: sets the
# window title, clears the screen, forges a line of a refused/ record
# after a newline, and turns the rest around with U+202E (RIGHT-TO-LEFT
# OVERRIDE): "gpj.exe" shows as "exe.jpg".
ESC_NAME = (b"\x1b]0;pwned\x07\x1b[2J\x1b[31m\nrefused\tforged\tline\xc2\x9b"
            + "\u202egpj.exe".encode())


def die(msg):
    sys.stderr.write("craft_bundle.py: %s\n" % msg)
    sys.exit(2)


# ---------------------------------------------------------------- tar (pax)

def _octal(value, width):
    """A ustar numeric field: octal digits, NUL-terminated, zero-padded."""
    s = b"%o" % value
    if len(s) > width - 1:
        die("value %d does not fit a %d-byte tar field" % (value, width))
    return s.rjust(width - 1, b"0") + b"\0"


def _ustar_header(name, size, mtime, typeflag=b"0", linkname=b"", prefix=b"",
                  mode=0o644, devmajor=0, devminor=0, magic=b"ustar\x0000"):
    """One 512-byte ustar header; the checksum is computed as POSIX says."""
    if len(name) > 100 or len(prefix) > 155 or len(linkname) > 100:
        die("ustar field too long: %r" % name)
    h = bytearray(512)
    h[0:len(name)] = name
    h[100:108] = _octal(mode, 8)
    h[108:116] = _octal(0, 8)          # uid 0
    h[116:124] = _octal(0, 8)          # gid 0
    h[124:136] = _octal(size, 12)
    h[136:148] = _octal(mtime, 12)
    h[148:156] = b" " * 8              # counted as spaces while summing
    h[156:157] = typeflag
    h[157:157 + len(linkname)] = linkname
    h[257:265] = magic                 # 8 bytes: magic and version
    # uname and gname stay empty (SPEC 9.1: no user or group name)
    h[329:337] = _octal(devmajor, 8)
    h[337:345] = _octal(devminor, 8)
    h[345:345 + len(prefix)] = prefix
    h[148:156] = b"%06o\0 " % sum(h)
    return bytes(h)


def _pad(data):
    return data + b"\0" * (-len(data) % 512)


def pax_record(key, value):
    """'LEN key=value\\n' where LEN counts the whole record, itself included.
    value is bytes, taken as it is (so a test can put a NUL or FF in it)."""
    body = b" " + key + b"=" + value + b"\n"
    n = len(body) + 1
    while len(b"%d" % n) + len(body) != n:
        n += 1
    return b"%d" % n + body


def _split_ustar(path):
    """(prefix, name) when path fits ustar's two fields as plain ASCII."""
    if not all(0x20 <= c < 0x7F for c in path):
        return None
    if len(path) <= 100:
        return b"", path
    i = path.rfind(b"/", 0, 156)
    while i > 0:
        if len(path) - i - 1 <= 100 and i <= 155:
            return path[:i], path[i + 1:]
        i = path.rfind(b"/", 0, i)
    return None


def tar_entry(path, data, mtime, typeflag=b"0", linkname=b"", size=None,
              devmajor=0, devminor=0, force_pax=False, with_data=True, mode=0o644):
    """One tar entry: a pax extended header when the name does not fit
    ustar (long or non-ASCII), then the ustar header and the padded data.
    size overrides the size written in the header (for lying headers)."""
    if size is None:
        size = len(data) if typeflag in (b"0",) else 0
    split = None if force_pax else _split_ustar(path)
    out = b""
    if split is None:
        rec = pax_record(b"path", path)
        # the ustar name of a pax'd entry is only a fallback for old readers
        out += _ustar_header(b"PaxHeader/" + str(len(rec)).encode(), len(rec), mtime,
                             typeflag=b"x")
        out += _pad(rec)
        prefix, name = b"", b"pax-named-entry"
    else:
        prefix, name = split
    out += _ustar_header(name, size, mtime, typeflag=typeflag, linkname=linkname,
                         prefix=prefix, mode=mode, devmajor=devmajor, devminor=devminor)
    if with_data:
        out += _pad(data)
    return out


def pax_entry(records, path, data, mtime, size=None, typeflag=b"0", ustar_name=None):
    """A pax extended header with the records given ((key, value) bytes, in
    that order), then a ustar header named ustar_name (default: a fallback
    name, as tar_entry writes) and the padded data."""
    rec = b"".join(pax_record(k, v) for k, v in records)
    out = _ustar_header(b"PaxHeader/" + str(len(rec)).encode(), len(rec), mtime, typeflag=b"x")
    out += _pad(rec)
    out += _ustar_header(ustar_name or b"pax-named-entry", len(data) if size is None else size,
                         mtime, typeflag=typeflag)
    return out + _pad(data)


TAR_END = b"\0" * 1024

# ---------------------------------------------------------------- items


def canonical_json(value):
    """SPEC 3.2 for the values BUNDLE.json holds: sorted keys, no white
    space, strings with only \\" and \\\\ escaped (they are ASCII here)."""
    if isinstance(value, bool) or value is None:
        die("no booleans or null in BUNDLE.json")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, list):
        return "[" + ",".join(canonical_json(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ",".join(canonical_json(k) + ":" + canonical_json(value[k])
                              for k in sorted(value, key=lambda k: k.encode())) + "}"
    die("unexpected value %r" % (value,))


class Item:
    def __init__(self, folder):
        self.id = os.path.basename(os.path.normpath(folder))
        with open(os.path.join(folder, "manifest.json"), "rb") as f:
            self.manifest = f.read()
        if hashlib.sha256(self.manifest).hexdigest() != self.id:
            die("%s: folder name is not the manifest's SHA-256" % folder)
        m = json.loads(self.manifest)
        self.files = []  # (name, bytes) in the order of SPEC 9.3
        self.files.append(("manifest.json", self.manifest))
        for f in m["files"]:
            with open(os.path.join(folder, f["path"]), "rb") as fh:
                self.files.append((f["path"], fh.read()))
        sigdir = os.path.join(folder, "sig")
        sigs = sorted(os.listdir(sigdir), key=lambda n: n.encode()) if os.path.isdir(sigdir) else []
        for s in sigs:
            with open(os.path.join(sigdir, s), "rb") as fh:
                self.files.append(("sig/" + s, fh.read()))

    def prefix(self):
        return ("items/%s/%s/" % (self.id[:2], self.id)).encode()


def load_items(srcs):
    items = {}
    for src in srcs:
        base = os.path.basename(os.path.normpath(src))
        if ID_RE.match(base):
            folders = [src]
        else:
            root = os.path.join(src, "items")
            if not os.path.isdir(root):
                die("%s holds no items/ folder and is not an item folder" % src)
            folders = [os.path.join(root, xx, i) for xx in sorted(os.listdir(root))
                       for i in sorted(os.listdir(os.path.join(root, xx)))]
        for f in folders:
            it = Item(f)
            items[it.id] = it
    return [items[k] for k in sorted(items)]


# ---------------------------------------------------------------- zstd


def zstd_compress(data, level, content_size=True, extra=()):
    """One zstd frame, with its content checksum; the content size goes in
    the header (--stream-size) unless content_size is false, in which case
    the frame carries a window descriptor instead (streamed input)."""
    cmd = ["zstd", "-q", "-c", "--check", "-%d" % level]
    if content_size:
        cmd.append("--stream-size=%d" % len(data))
    cmd.extend(extra)
    out = subprocess.run(cmd, input=data, stdout=subprocess.PIPE, check=True).stdout
    if out[:4] != ZSTD_MAGIC:
        die("zstd wrote no frame")
    return out


def zstd_stream(header, zeros, level=1):
    """A frame of header then `zeros` zero bytes, fed through a pipe so no
    copy of the whole content is held here (the bomb)."""
    p = subprocess.Popen(["zstd", "-q", "-c", "--check", "-%d" % level,
                          "--stream-size=%d" % (len(header) + zeros)],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    chunks = []
    t = threading.Thread(target=lambda: chunks.append(p.stdout.read()))
    t.start()
    p.stdin.write(header)
    block = b"\0" * (1 << 20)
    left = zeros
    while left > 0:
        n = min(left, len(block))
        p.stdin.write(block[:n])
        left -= n
    p.stdin.close()
    t.join()
    if p.wait() != 0:
        die("zstd failed")
    return chunks[0]


def frame_header_fields(frame):
    """Where the Frame_Content_Size field is and how it is coded (RFC 8878 3.1.1.1)."""
    fhd = frame[4]
    fcs_flag, single = fhd >> 6, (fhd >> 5) & 1
    did = (0, 1, 2, 4)[fhd & 3]
    fcs_size = (1 if single else 0, 2, 4, 8)[fcs_flag]
    pos = 5 + (0 if single else 1) + did
    return pos, fcs_size


def patch_content_size(frame, delta):
    """The frame header's content size, changed by delta (the field keeps its width)."""
    pos, size = frame_header_fields(frame)
    if size == 0:
        die("the frame carries no content size to patch")
    bias = 256 if size == 2 else 0  # a 2-byte field holds the size less 256
    value = int.from_bytes(frame[pos:pos + size], "little") + bias + delta - bias
    if value < 0 or value >= 1 << (8 * size):
        die("the lie does not fit the field")
    return frame[:pos] + value.to_bytes(size, "little") + frame[pos + size:]


# ---------------------------------------------------------------- writing


def item_tar(it, mtime, hostile=None, other=None):
    """The victim item's entries, with the hostile change of kind `hostile`."""
    pre = it.prefix()
    out = b""
    body_name = None
    for name, data in it.files:
        if name not in ("manifest.json",) and not name.startswith("sig/") and body_name is None:
            body_name = name
    sig_name = next((n for n, _ in it.files if n.endswith(".minisig")), None)
    for name, data in it.files:
        path = pre + name.encode()
        is_body = name == body_name
        if hostile == "noncanon-manifest" and name == "manifest.json":
            out += tar_entry(path, b"{ " + data[1:], mtime)
            continue
        if hostile in ("sig-junk", "sig-junk-first", "sig-big") and name == sig_name:
            junk = b"this is not a signature\n" if hostile != "sig-big" else b"x" * 20000
            if hostile == "sig-junk-first":
                out += tar_entry(path, junk, mtime)
            out += tar_entry(path, data, mtime)
            if hostile == "sig-junk":
                out += tar_entry(path, junk, mtime)
            if hostile == "sig-big":
                out += tar_entry(pre + b"sig/0000000000000000.minisig", junk, mtime)
            continue
        if hostile == "sig-case" and name == sig_name:
            stem = name[4:-len(".minisig")]
            out += tar_entry(path, data, mtime)
            out += tar_entry(pre + b"sig/" + stem.swapcase().encode() + b".minisig",
                             b"this is not a signature\n", mtime)
            continue
        if hostile == "body-case" and name == "body.md":
            out += tar_entry(path, data, mtime)
            out += tar_entry(pre + b"Body.md", data, mtime)
            continue
        if hostile == "long-sig" and name.startswith("sig/") and not out.count(b"sig/" + b"0" * 300):
            # first of sig/, as its name sorts: over 255 bytes, beside the good one
            out += tar_entry(pre + b"sig/" + b"0" * 300 + b".minisig", data, mtime, force_pax=True)
        if hostile is None or not is_body:
            out += tar_entry(path, data, mtime)
            if hostile and name == "manifest.json":
                out += extra_after_manifest(it, hostile, mtime)
            continue
        # the first payload file, replaced or accompanied as the kind says
        if hostile == "symlink":
            out += tar_entry(path, b"", mtime, typeflag=b"2", linkname=b"/etc/passwd")
        elif hostile == "hardlink":
            out += tar_entry(path, b"", mtime, typeflag=b"1", linkname=other.prefix() + b"manifest.json")
        elif hostile == "chardev":
            out += tar_entry(path, b"", mtime, typeflag=b"3", devmajor=1, devminor=3)
        elif hostile == "blockdev":
            out += tar_entry(path, b"", mtime, typeflag=b"4", devmajor=8, devminor=0)
        elif hostile == "fifo":
            out += tar_entry(path, b"", mtime, typeflag=b"6")
        elif hostile == "dir-then-file":
            out += tar_entry(path + b"/", b"", mtime, typeflag=b"5", mode=0o755)
            out += tar_entry(path, data, mtime)
        elif hostile == "dup-path":
            out += tar_entry(path, data, mtime)
            out += tar_entry(path, data + b"\nand a second body\n", mtime)
        elif hostile in ("nul-name", "pax-size-nul"):
            out += tar_entry(path + b"\0.exe", data, mtime, force_pax=True)
        elif hostile == "sparse-name-nul":
            out += pax_entry([(b"path", path), (b"GNU.sparse.name", path + b"\0.exe")],
                             path, data, mtime)
        elif hostile == "sparse-name-decoy":
            out += pax_entry([(b"path", path), (b"GNU.sparse.name", pre + b"decoy.md")],
                             path, data, mtime)
        elif hostile == "sparse-name":
            out += pax_entry([(b"GNU.sparse.name", path), (b"path", pre + b"decoy.md")],
                             path, data, mtime)
        elif hostile == "tar-global":
            rec = pax_record(b"path", pre + b"decoy.md")
            out += _ustar_header(b"GlobalHead.0", len(rec), mtime, typeflag=b"g") + _pad(rec)
            out += tar_entry(path, data, mtime)
        elif hostile == "v7-prefix":
            out += _ustar_header(path, len(data), mtime, prefix=b"zz", magic=b"\0" * 8) + _pad(data)
        elif hostile == "pax-sparse":
            out += pax_entry([(b"path", path), (b"GNU.sparse.realsize", b"%d" % len(data))],
                             path, data, mtime)
        elif hostile == "tar-size":
            out += tar_entry(path, data, mtime, size=len(data) + (1 << 20))
            return out, True  # the frame ends here, mid-entry
        elif hostile == "tar-size-tail":
            # the data runs out, then the claimed size also eats the 1024
            # bytes of end-of-archive a reader may append
            padded = len(_pad(data))
            out += tar_entry(path, data, mtime, size=padded + 1024)
            return out, True
        else:
            out += tar_entry(path, data, mtime)
    forged = b"# forged\n"
    if hostile == "ustar-magic":
        out += _ustar_header(pre + body_name.encode(), len(forged), mtime, prefix=b"zz",
                             magic=b"ustarX00") + _pad(forged)
    elif hostile == "tar-end-inside":
        out += b"\0" * 512 + tar_entry(pre + b"hidden.md", forged, mtime)
    return out, False


def extra_after_manifest(it, hostile, mtime):
    """Entries put right after the victim's manifest.json."""
    pre = it.prefix()
    evil = b"evil\n"
    if hostile == "dotdot":
        return tar_entry(pre + b"../../../../tmp/samvydav-evil-dotdot", evil, mtime)
    if hostile == "absolute":
        return tar_entry(b"/tmp/samvydav-evil-absolute", evil, mtime)
    if hostile == "long-name":
        return tar_entry(pre + b"a" * 5000, evil, mtime)
    if hostile == "bad-utf8":
        return tar_entry(pre + b"body\xff.md", evil, mtime, force_pax=True)
    if hostile == "dotgit":
        return tar_entry(pre + b".git/config", b"[core]\n\tfsmonitor = touch /tmp/samvydav-evil-git\n", mtime)
    if hostile == "short-path":
        return tar_entry(b"items/a", evil, mtime)
    if hostile == "esc-path":
        return tar_entry(pre + ESC_NAME + b".txt", evil, mtime, force_pax=True)
    if hostile == "sig-fat":
        return tar_entry(pre + b'sig/a:b*c?"<>|\\.minisig', b"junk\n", mtime)
    if hostile == "esc-sig":
        return tar_entry(pre + b"sig/" + ESC_NAME + b".minisig", evil, mtime, force_pax=True)
    if hostile == "pax-size-nul":
        # the ustar header says 0 bytes; pax says 1024, all zero: a reader
        # that missed the pax size would take them for the tar end
        return pax_entry([(b"path", pre + b"sig/0000000000000000.minisig"), (b"size", b"1024")],
                         None, b"\0" * 1024, mtime, size=0)
    return b""


def build_index(frames, ids):
    """SPEC 9.4: the content of the skippable frame, then the frame itself."""
    body = b"SVDX" + struct.pack("<III", 1, len(frames), len(ids))
    for f in frames:
        body += struct.pack("<QQQII", f["offset"], f["clen"], f["ulen"], f["first"], f["count"])
    for i in ids:
        body += bytes.fromhex(i)
    tail = struct.pack("<II", zlib.crc32(body) & 0xFFFFFFFF, len(body)) + b"SVDXEND1"
    content = body + tail
    return struct.pack("<II", INDEX_MAGIC, len(content)) + content


def cmd_write(a):
    items = load_items(a.src)
    if not items:
        die("no items")
    kind = a.hostile
    if kind and kind not in HOSTILE:
        die("unknown hostile kind %s (see: kinds)" % kind)
    mtime = calendar.timegm(time.strptime(a.created, "%Y-%m-%dT%H:%M:%SZ"))
    victim = None
    if kind and HOSTILE[kind] in ("entry", "frame", "sig", "good", "salvage"):
        v = a.victim if a.victim is not None else len(items) // 2
        victim = items[v % len(items)]
    if kind == "wrong-id":
        # a folder name, BUNDLE.json and the index that agree with each
        # other but not with the manifest's SHA-256; same fan-out, same order
        victim.id = victim.id[:-1] + ("1" if victim.id[-1] == "0" else "0")
    other = items[(items.index(victim) + 1) % len(items)] if victim else None
    ids = [it.id for it in items]

    # frame contents: [(tar bytes, [ids], how)]
    listed = list(ids)
    if kind in ("meta-omits", "meta-swap"):
        listed.remove(victim.id)
    if kind == "meta-swap":
        listed = sorted(listed + ["f" * 64])
    meta = canonical_json({"count": len(listed), "created": a.created, "format": 1,
                           "ids": listed, "mirror": a.mirror}).encode()
    if kind == "meta-count-lie":
        meta = meta.replace(b'{"count":%d,' % len(listed), b'{"count":9007199254740991,', 1)
    elif kind == "meta-cut":
        meta = meta[:len(meta) // 2]
    elif kind == "meta-nested":
        at = meta.index(b'"ids":[') + 7
        meta = meta[:at] + b"[" * 100000 + b"]" * 100000 + meta[meta.index(b'],"mirror"'):]
    frames = [{"tar": tar_entry(b"BUNDLE.json", meta, mtime), "ids": [], "how": None}]
    if kind == "no-meta":
        frames = []
    cur = {"tar": b"", "ids": [], "how": None}

    def close():
        nonlocal cur
        if cur["ids"]:
            frames.append(cur)
        cur = {"tar": b"", "ids": [], "how": None}

    isolate = kind and HOSTILE[kind] in ("frame", "salvage")
    for it in items:
        if it is victim and isolate:
            close()
        if it is victim:
            tar, _ = item_tar(it, mtime, kind, other)
            cur["how"] = kind if HOSTILE[kind] in ("frame", "salvage") else None
        else:
            tar, _ = item_tar(it, mtime)
        cur["tar"] += tar
        cur["ids"].append(it.id)
        if len(cur["tar"]) >= a.frame_target or (it is victim and isolate):
            close()
    close()
    if kind == "bomb":
        frames.append({"tar": None, "ids": [], "how": "bomb"})
    frames.append({"tar": TAR_END, "ids": [], "how": None})

    out = b""
    table = []
    first = 0
    fcs = None
    for f in frames:
        how = f["how"]
        tar = f["tar"]
        if how == "zip":
            zb = io.BytesIO()
            with zipfile.ZipFile(zb, "w") as z:
                for name, data in victim.files:
                    z.writestr((victim.prefix() + name.encode()).decode(), data)
            tar = zb.getvalue()
        if how == "bomb":
            header = tar_entry(b"items/00/" + b"0" * 64 + b"/bomb.bin", b"", mtime,
                               size=256 << 20, with_data=False)
            comp = zstd_stream(header, 256 << 20)
            ulen = len(header) + (256 << 20)
        elif how == "index-ulen":
            comp = zstd_compress(tar, a.level, content_size=False)
            ulen = len(tar)
        elif how == "window":
            comp = zstd_compress(tar, a.level, content_size=False, extra=["--zstd=wlog=31"])
            ulen = len(tar)
        else:
            comp = zstd_compress(tar, a.level)
            ulen = len(tar)
        if how == "fcs-lie":
            comp = patch_content_size(comp, 4096)
            fcs = (len(table), len(tar) + 4096, len(tar))
        elif how == "fcs-lie-small":
            lie = min(4096, len(tar) // 2)
            comp = patch_content_size(comp, -lie)
            fcs = (len(table), len(tar) - lie, len(tar))
        entry = {"offset": len(out), "clen": len(comp), "ulen": ulen,
                 "first": first, "count": len(f["ids"])}
        if how in ("index-lie", "index-ulen"):
            entry["ulen"] += 1
        table.append(entry)
        first += len(f["ids"])
        out += comp
    if kind == "index-shift":
        # the victim's frame starts one byte later than it does, and the frame
        # before it ends one byte later: the index still tiles the file and
        # its CRC holds, but it lies about where the victim's frame is
        k = next(n for n, f in enumerate(frames) if victim.id in f["ids"])
        table[k - 1]["clen"] += 1
        table[k]["offset"] += 1
        table[k]["clen"] -= 1
    if not a.no_index:
        out += build_index(table, ids)
    with open(a.out, "wb") as fh:
        fh.write(out)

    if a.expect:
        with open(a.expect, "w") as fh:
            for it in items:
                if it is victim and HOSTILE[kind] in ("good", "salvage", "sig"):
                    fh.write("imported %s\n" % it.id)
                elif it is victim:
                    fh.write("%s %s\n" % ("refused" if HOSTILE[kind] == "entry" else "lost", it.id))
                else:
                    fh.write("imported %s\n" % it.id)
            if fcs:
                fh.write("fcs %d %d %d\n" % fcs)


# ---------------------------------------------------------------- reading


def read_index(path):
    """The trailing index, checked as SPEC 9.4 says, or None."""
    with open(path, "rb") as fh:
        data = fh.read()
    if len(data) < 24 or data[-8:] != b"SVDXEND1":
        return None
    crc, length = struct.unpack("<II", data[-16:-8])
    start = len(data) - 16 - length - 8
    if length < 16 or start < 0:
        return None
    magic, clen = struct.unpack("<II", data[start:start + 8])
    if magic != INDEX_MAGIC or clen != length + 16:
        return None
    body = data[start + 8:start + 8 + length]
    if zlib.crc32(body) & 0xFFFFFFFF != crc or body[:4] != b"SVDX":
        return None
    version, nframes, nitems = struct.unpack("<III", body[4:16])
    if version != 1 or length != 16 + 32 * nframes + 32 * nitems:
        return None
    frames, at = [], 0
    for k in range(nframes):
        off, c, u, first, count = struct.unpack("<QQQII", body[16 + 32 * k:48 + 32 * k])
        if off != at or c == 0 or first + count > nitems:
            return None
        at += c
        frames.append({"offset": off, "clen": c, "ulen": u, "first": first, "count": count})
    if at != start:
        return None
    base = 16 + 32 * nframes
    ids = [body[base + 32 * i:base + 32 * i + 32].hex() for i in range(nitems)]
    return {"frames": frames, "ids": ids, "index_offset": start, "size": len(data)}


def cmd_index(a):
    idx = read_index(a.bundle)
    if idx is None:
        die("%s: no usable index" % a.bundle)
    print("index %d %d" % (idx["index_offset"], idx["size"]))
    for k, f in enumerate(idx["frames"]):
        ids = idx["ids"][f["first"]:f["first"] + f["count"]]
        print("frame %d %d %d %d %s" % (k, f["offset"], f["clen"], f["ulen"], " ".join(ids)))


def cmd_flip(a):
    """Deterministic damage: --bits N flips N random bits; --rate R flips one
    random bit in each of round(R * size) distinct random bytes."""
    with open(a.input, "rb") as fh:
        data = bytearray(fh.read())
    rng = random.Random(a.seed)
    if a.rate is not None:
        n = max(1, round(a.rate * len(data)))
        where = rng.sample(range(len(data)), n)
    else:
        where = [rng.randrange(len(data)) for _ in range(a.bits)]
    for p in where:
        data[p] ^= 1 << rng.randrange(8)
    with open(a.output, "wb") as fh:
        fh.write(data)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    w = sub.add_parser("write")
    w.add_argument("out")
    w.add_argument("src", nargs="+")
    w.add_argument("--created", default="2026-01-01T00:00:00Z")
    w.add_argument("--mirror", default="0123456789abcdef0123456789abcdef")
    w.add_argument("--frame-target", type=int, default=1 << 20,
                   help="close a frame once its tar reaches this (SPEC: 1 MiB)")
    w.add_argument("--level", type=int, default=3)
    w.add_argument("--no-index", action="store_true")
    w.add_argument("--hostile")
    w.add_argument("--victim", type=int)
    w.add_argument("--expect")
    i = sub.add_parser("index")
    i.add_argument("bundle")
    f = sub.add_parser("flip")
    f.add_argument("input")
    f.add_argument("output")
    f.add_argument("--seed", type=int, required=True)
    g = f.add_mutually_exclusive_group(required=True)
    g.add_argument("--rate", type=float)
    g.add_argument("--bits", type=int)
    sub.add_parser("kinds")
    a = p.parse_args()
    if a.cmd == "write":
        cmd_write(a)
    elif a.cmd == "index":
        cmd_index(a)
    elif a.cmd == "flip":
        cmd_flip(a)
    else:
        for k in HOSTILE:
            print(k)


if __name__ == "__main__":
    main()
