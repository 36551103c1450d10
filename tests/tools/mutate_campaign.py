#!/usr/bin/env python3
"""mutate_campaign.py: damage a valid bundle in many seeded ways and import
each mutant with the real `samvydav` (built with -DSVD_SANITIZE=ON), checking
after every import that nothing wrong got in (docs/fuzzing.md, "The mutation
campaign").

    mutate_campaign.py source WORK            build WORK/source/ (once)
    mutate_campaign.py run WORK [options]     the campaign (builds the source if missing)
    mutate_campaign.py replay WORK --seed S --mutant I [--out FILE] [--keep DIR]
    mutate_campaign.py report WORK LOG [--summary FILE]   figures again from a run's log
    mutate_campaign.py kinds                  the mutation kinds, one a line

The source (WORK/source/) is a small archive of signed items: short
articles and items with attachments, signed by three keys the receiver
trusts (ed, olena, taras), several co-signed, some co-signed by a fourth key
(mallory) the receiver does not trust, and items signed by mallory alone,
which no import may ever admit. It is exported by `samvydav export
--max-size 512K` (frames of about 32 KiB: several items share a frame, an
item with a large attachment is alone in its frame), and the same bundle
without its trailing index (cut at the index's offset) is the second
variant. The receiver template trusts ed, olena and taras and holds one item
of its own.

Mutant I of seed S is a pure function of (S, I, the source bundle): its
kind is KINDS[I % len(KINDS)], its variant (with or without the index)
alternates every len(KINDS) mutants, and its parameters come from
random.Random("S/I"). Each mutant is imported into a fresh copy of the
template, under AddressSanitizer and UndefinedBehaviorSanitizer
(halt_on_error=1, leak detection on, reports to a log file), with a
timeout. A finding is any of: a sanitizer report, a signal, a timeout, an
exit status other than 0, 1 or 3; an item in the receiver that is not one
the receiver may hold (an item outside the source, or one signed only by
mallory); a tree entry of the receiver's main that is neither the
template's nor the source's (same path, mode and blob id); a payload file or
the manifest of an admitted item missing, or an admitted item without a
signature by a trusted key; a template entry lost; main moved without
anything admitted, or by more than one commit; `git fsck --strict` failing
(every --fsck-every mutant that admitted something). Each finding is saved
under WORK/findings/ (the mutant, what import said, the sanitizer log).

Exit 0 with an item lost is counted as `exit0_loss` (SPEC 9.7 asks a
non-zero exit whenever items are lost) and also saved as a finding.

Salvage: the items of the frames a mutation did not touch (by the source
index, read by tests/cli/craft_bundle.py, independently of the reader) are
"intact"; recovered/intact per kind is the salvage figure.

Standard library only; git on PATH.
"""
import argparse
import concurrent.futures
import hashlib
import importlib.util
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_DIR = os.environ.get("SVD_SOURCE_DIR") or os.path.dirname(os.path.dirname(HERE))

KINDS = ["flip", "overwrite", "sector_zero", "sector_drop", "truncate", "insert",
         "delete", "frame_swap", "frame_drop", "frame_dup"]
VARIANTS = ["index", "noindex"]
TRUSTED = ["ed", "olena", "taras"]
UNTRUSTED = "mallory"
OK_EXITS = (0, 1, 3)
ASAN_EXIT, UBSAN_EXIT = 86, 87


def load_craft():
    spec = importlib.util.spec_from_file_location(
        "craft_bundle", os.path.join(SOURCE_DIR, "tests", "cli", "craft_bundle.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def die(msg):
    sys.stderr.write("mutate_campaign.py: %s\n" % msg)
    sys.exit(2)


def base_env(home):
    env = dict(os.environ)
    env.update(HOME=home, GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL="/dev/null",
               GIT_AUTHOR_NAME="test", GIT_AUTHOR_EMAIL="test@invalid",
               GIT_COMMITTER_NAME="test", GIT_COMMITTER_EMAIL="test@invalid")
    env.pop("SAMVYDAV_ARCHIVE", None)
    return env


def run(cmd, env, check=True, **kw):
    p = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kw)
    if check and p.returncode != 0:
        die("%s: exit %d: %s" % (" ".join(cmd), p.returncode,
                                 p.stderr.decode(errors="replace")[-800:]))
    return p


def git(gitdir, *args, env=None, check=True):
    return run(["git", "--git-dir=" + gitdir] + list(args), env or os.environ, check=check)


def tree_of(gitdir, env=None):
    """{path: (mode, type, oid)} of main's whole tree, or {} without main."""
    p = git(gitdir, "ls-tree", "-r", "--full-tree", "main", env=env, check=False)
    if p.returncode != 0:
        return {}
    out = {}
    for line in p.stdout.decode().splitlines():
        meta, path = line.split("\t", 1)
        mode, typ, oid = meta.split()
        out[path] = (mode, typ, oid)
    return out


def item_ids(tree):
    ids = set()
    for path in tree:
        parts = path.split("/")
        if len(parts) >= 4 and parts[0] == "items":
            ids.add(parts[2])
    return ids


# ---------------------------------------------------------------- the source

def make_items(root):
    """Item folders, grouped by the key that adds them. Deterministic."""
    r = random.Random(15)
    groups = {k: [] for k in TRUSTED + [UNTRUSTED]}
    n = 0

    def item(signer, title, body, attach=()):
        nonlocal n
        n += 1
        d = os.path.join(root, signer, "item%02d" % n)
        os.makedirs(d)
        with open(os.path.join(d, "meta.json"), "w") as fh:
            json.dump({"kind": "testimony" if n % 3 == 0 else "article", "title": title,
                       "lang": "uk", "created": "2026-02-01T00:%02d:%02dZ" % (n // 60, n % 60)},
                      fh, ensure_ascii=False)
        with open(os.path.join(d, "body.md"), "w") as fh:
            fh.write(body)
        for name, data in attach:
            with open(os.path.join(d, name), "wb") as fh:
                fh.write(data)
        groups[signer].append(d)

    words = "свідчення село місто річка міст школа лікарня дорога поле ліс вода світло".split()

    def text(k):
        return " ".join(r.choice(words) for _ in range(k)) + "\n"

    signers = ["ed"] * 10 + ["olena"] * 7 + ["taras"] * 5
    for i, s in enumerate(signers):
        item(s, "Стаття %d" % (i + 1), "# Стаття %d\n\n%s" % (i + 1, text(20 + 7 * i)))
    item("ed", "Запис звуку", text(30), [("audio.ogg", r.randbytes(48 * 1024))])
    item("olena", "Фото мосту", text(12), [("photo.jpg", r.randbytes(36 * 1024))])
    item("taras", "Скан і нотатки", text(15),
         [("scan.png", r.randbytes(20 * 1024)), ("notes.txt", text(5000).encode())])
    item("ed", "Документ", text(10), [("doc.pdf", r.randbytes(35 * 1024) + bytes(35 * 1024))])
    item("olena", "Таблиця", text(8),
         [("data.csv", "".join("%d,%d,%s\n" % (i, r.randrange(10**6), r.choice(words))
                               for i in range(1500)).encode())])
    item("ed", "Мала картка", text(6), [("card.png", r.randbytes(3 * 1024))])
    for i in range(3):
        item(UNTRUSTED, "Підроблена стаття %d" % (i + 1), text(25))
    item(UNTRUSTED, "Підроблене фото", text(9), [("fake.jpg", r.randbytes(10 * 1024))])
    return groups


def cmd_source(a):
    build_source(a.work, a.bin)


def build_source(work, svd_bin):
    src = os.path.join(work, "source")
    if os.path.exists(os.path.join(src, "source.json")):
        return
    if os.path.exists(src):
        shutil.rmtree(src)
    os.makedirs(os.path.join(src, "home"))
    env = base_env(os.path.join(src, "home"))
    env["ASAN_OPTIONS"] = "halt_on_error=1:detect_leaks=1"
    env["UBSAN_OPTIONS"] = "halt_on_error=1:print_stacktrace=1"

    def svd(*args, check=True):
        return run([svd_bin] + list(args), env, check=check)

    keys = os.path.join(src, "keys")
    os.makedirs(keys)
    for k in TRUSTED + [UNTRUSTED, "receiver"]:
        svd("key", "generate", "--no-passphrase", "-o", os.path.join(keys, k + ".key"),
            "-p", os.path.join(keys, k + ".pub"))
    arch = os.path.join(src, "archive")
    svd("init", arch)
    for k in TRUSTED + [UNTRUSTED]:
        svd("-C", arch, "trust", "add", os.path.join(keys, k + ".pub"))
    groups = make_items(os.path.join(src, "items"))
    gitdir = os.path.join(arch, "store.git")
    by = {}
    for k in TRUSTED + [UNTRUSTED]:
        before = item_ids(tree_of(gitdir, env))
        svd("-C", arch, "add", "-q", "--from", os.path.dirname(groups[k][0]),
            "--key", os.path.join(keys, k + ".key"))
        by[k] = sorted(item_ids(tree_of(gitdir, env)) - before)
        if len(by[k]) != len(groups[k]):
            die("adding %s's items gave %d ids, not %d" % (k, len(by[k]), len(groups[k])))
    # co-signatures: some of ed's by olena, some of olena's by taras and ed,
    # and a few by mallory (valid signatures by a key the receiver does not trust)
    cosign = {"olena": by["ed"][:4], "taras": by["olena"][:2], "ed": by["olena"][:2] + by["taras"][:1],
              UNTRUSTED: [by["ed"][5], by["olena"][3], by["taras"][2]]}
    for k, ids in cosign.items():
        svd("-C", arch, "sign", *ids, "--key", os.path.join(keys, k + ".key"))
    out = os.path.join(src, "out")
    svd("-C", arch, "export", "-q", "-o", out, "--max-size", "512K")
    parts = sorted(f for f in os.listdir(src) if f.startswith("out.") and f.endswith(".tar.zst"))
    if parts != ["out.1.tar.zst"]:
        die("the export gave %s, not one part" % parts)
    bundle = os.path.join(src, "bundle.tar.zst")
    os.rename(os.path.join(src, parts[0]), bundle)
    craft = load_craft()
    idx = craft.read_index(bundle)
    if idx is None:
        die("the exported bundle has no index that craft_bundle.py reads")
    with open(bundle, "rb") as fh:
        data = fh.read()
    with open(os.path.join(src, "bundle-noindex.tar.zst"), "wb") as fh:
        fh.write(data[:idx["index_offset"]])
    # the receiver template: trusts ed, olena, taras; one item of its own
    tpl = os.path.join(src, "template")
    svd("init", tpl)
    for k in TRUSTED + ["receiver"]:
        svd("-C", tpl, "trust", "add", os.path.join(keys, k + ".pub"))
    own = os.path.join(src, "own")
    os.makedirs(own)
    with open(os.path.join(own, "meta.json"), "w") as fh:
        json.dump({"title": "Власна", "lang": "uk", "created": "2025-12-31T00:00:00Z"}, fh,
                  ensure_ascii=False)
    with open(os.path.join(own, "body.md"), "w") as fh:
        fh.write("Власний текст.\n")
    svd("-C", tpl, "add", "-q", "--from", own, "--key", os.path.join(keys, "receiver.key"))
    keyids = {}
    for k in TRUSTED + [UNTRUSTED]:
        with open(os.path.join(keys, k + ".pub")) as fh:
            keyids[k] = fh.read().split("\n")[0].split()[-1]
    src_tree = tree_of(gitdir, env)
    legit = sorted(set(by["ed"]) | set(by["olena"]) | set(by["taras"]))
    frames = []
    for k, f in enumerate(idx["frames"]):
        frames.append({"offset": f["offset"], "clen": f["clen"], "ulen": f["ulen"],
                       "ids": idx["ids"][f["first"]:f["first"] + f["count"]]})
    info = {
        "bundle_sha256": hashlib.sha256(data).hexdigest(),
        "size": len(data), "index_offset": idx["index_offset"], "frames": frames,
        "legit": legit, "untrusted_only": by[UNTRUSTED],
        "trusted_keyids": sorted(keyids[k] for k in TRUSTED), "keyids": keyids,
        "source_tree": {p: list(v) for p, v in src_tree.items()},
        "template_tree": {p: list(v) for p, v in tree_of(os.path.join(tpl, "store.git"), env).items()},
        "template_head": git(os.path.join(tpl, "store.git"), "rev-parse", "main", env=env)
        .stdout.decode().strip(),
        "items": {k: by[k] for k in by}, "cosigned": cosign,
    }
    with open(os.path.join(src, "source.json.tmp"), "w") as fh:
        json.dump(info, fh, indent=1, sort_keys=True)
    os.rename(os.path.join(src, "source.json.tmp"), os.path.join(src, "source.json"))


def load_source(work):
    with open(os.path.join(work, "source", "source.json")) as fh:
        info = json.load(fh)
    for v in VARIANTS:
        name = "bundle.tar.zst" if v == "index" else "bundle-noindex.tar.zst"
        with open(os.path.join(work, "source", name), "rb") as fh:
            info["data_" + v] = fh.read()
    if hashlib.sha256(info["data_index"]).hexdigest() != info["bundle_sha256"]:
        die("%s/source/bundle.tar.zst changed since source.json was written" % work)
    return info


# ---------------------------------------------------------------- mutations

def _len(rng, hi):
    """A length from 1 to hi, log-uniform (many short, some long)."""
    return max(1, min(hi, int(2 ** rng.uniform(0, hi.bit_length()))))


def mutate(info, seed, i):
    """Mutant I of SEED: (bytes, description dict). The description holds the
    touched ranges of the original file (what bytes the mutation altered or
    removed), from which the touched frames follow."""
    kind = KINDS[i % len(KINDS)]
    variant = VARIANTS[(i // len(KINDS)) % 2]
    rng = random.Random("%d/%d" % (seed, i))
    data = bytearray(info["data_" + variant])
    size = len(data)
    frames = [(f["offset"], f["offset"] + f["clen"]) for f in info["frames"]]
    d = {"mutant": i, "seed": seed, "kind": kind, "variant": variant}
    touched = []  # [start, end) ranges of the original file
    if kind == "flip":
        n = rng.choice([1, 1, 1, 2, 3, 4, 8, 32])
        where = []
        for _ in range(n):
            p, b = rng.randrange(size), rng.randrange(8)
            data[p] ^= 1 << b
            where.append([p, b])
            touched.append([p, p + 1])
        d["bits"] = where
    elif kind == "overwrite":
        n = _len(rng, 512)
        p = rng.randrange(size)
        n = min(n, size - p)
        fill = rng.choice(["random", "random", "zero", "ff"])
        data[p:p + n] = (rng.randbytes(n) if fill == "random" else
                         bytes(n) if fill == "zero" else b"\xff" * n)
        d.update(offset=p, length=n, fill=fill)
        touched.append([p, p + n])
    elif kind in ("sector_zero", "sector_drop"):
        sectors = (size + 511) // 512
        n = rng.choice([1, 1, 1, 2, 4, 8])
        s = rng.randrange(sectors)
        p, e = s * 512, min(size, (s + n) * 512)
        if kind == "sector_zero":
            data[p:e] = bytes(e - p)
        else:
            del data[p:e]
        d.update(offset=p, length=e - p)
        touched.append([p, e])
    elif kind == "truncate":
        p = rng.randrange(size)
        del data[p:]
        d.update(offset=p)
        touched.append([p, size])
    elif kind == "insert":
        n = _len(rng, 4096)
        p = rng.randrange(size + 1)
        if rng.random() < 0.5:
            src = rng.randrange(size)
            ins = bytes(info["data_" + variant][src:src + n])
            d["copy_of"] = src
        else:
            ins = rng.randbytes(n)
        data[p:p] = ins
        d.update(offset=p, length=len(ins))
        touched.append([p, p])  # a point: touches a frame only strictly inside it
    elif kind == "delete":
        n = _len(rng, 4096)
        p = rng.randrange(size)
        n = min(n, size - p)
        del data[p:p + n]
        d.update(offset=p, length=n)
        touched.append([p, p + n])
    else:
        nf = len(frames)
        if kind == "frame_swap":
            a, b = sorted(rng.sample(range(nf), 2))
            fa, fb = frames[a], frames[b]
            out = (data[:fa[0]] + data[fb[0]:fb[1]] + data[fa[1]:fb[0]] + data[fa[0]:fa[1]] +
                   data[fb[1]:])
            data = out
            d["frames"] = [a, b]
        elif kind == "frame_drop":
            a = rng.randrange(nf)
            del data[frames[a][0]:frames[a][1]]
            d["frames"] = [a]
            touched.append(list(frames[a]))
        else:  # frame_dup: a copy of frame a put before frame b (b may be N: before the index/end)
            a = rng.randrange(nf)
            b = a + 1 if rng.random() < 0.5 else rng.randrange(nf + 1)
            at = frames[b][0] if b < nf else frames[-1][1]
            data[at:at] = bytes(data[frames[a][0]:frames[a][1]])
            d["frames"] = [a, b]
    d["touched"] = touched
    tf = set()
    for s, e in touched:
        for k, (fs, fe) in enumerate(frames):
            if (s < fe and e > fs) if e > s else (fs < s < fe):
                tf.add(k)
    d["touched_frames"] = sorted(tf)
    d["size"] = len(data)
    return bytes(data), d


# ---------------------------------------------------------------- one import

class Ctx:
    """What a worker needs: set once per worker process."""
    info = None
    args = None


def worker_init(work, args):
    Ctx.info = load_source(work)
    Ctx.args = args
    Ctx.work = work
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def check_mutant(i):
    """Import mutant i into a fresh receiver; the record of what happened."""
    info, a = Ctx.info, Ctx.args
    data, d = mutate(info, a.seed, i)
    t0 = time.monotonic()
    scratch = tempfile.mkdtemp(prefix="m%06d." % i, dir=a.scratch)
    try:
        rec = import_and_check(info, a, data, d, scratch, i)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    rec["seconds"] = round(time.monotonic() - t0, 3)
    return rec


def import_and_check(info, a, data, d, scratch, i, keep=False):
    rx = os.path.join(scratch, "rx")
    shutil.copytree(os.path.join(Ctx.work, "source", "template"), rx, symlinks=True)
    bundle = os.path.join(scratch, "mutant.tar.zst")
    with open(bundle, "wb") as fh:
        fh.write(data)
    home = os.path.join(scratch, "home")
    os.makedirs(home)
    env = base_env(home)
    env["ASAN_OPTIONS"] = ("halt_on_error=1:abort_on_error=0:detect_leaks=1:strict_string_checks=1:"
                           "exitcode=%d:log_path=%s/asan" % (ASAN_EXIT, scratch))
    env["UBSAN_OPTIONS"] = ("halt_on_error=1:print_stacktrace=1:exitcode=%d:log_path=%s/ubsan"
                            % (UBSAN_EXIT, scratch))
    rec = dict(d)
    del rec["touched"]
    findings = []
    try:
        p = subprocess.run([a.bin, "-C", rx, "import", "--json", bundle], env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=a.timeout)
        rc, out, err = p.returncode, p.stdout, p.stderr
    except subprocess.TimeoutExpired as e:
        rc, out, err = "timeout", e.stdout or b"", e.stderr or b""
    rec["rc"] = rc
    if rc not in (0, 3):
        rec["err_tail"] = err.decode(errors="replace").strip().splitlines()[-3:]
    san = ""
    for f in sorted(os.listdir(scratch)):
        if f.startswith(("asan", "ubsan")):
            with open(os.path.join(scratch, f), errors="replace") as fh:
                san += "==== %s\n%s" % (f, fh.read())
    if san:
        findings.append("sanitizer")
    if rc == "timeout":
        findings.append("timeout")
    elif rc < 0:
        findings.append("signal %d" % -rc)
    elif rc not in OK_EXITS:
        findings.append("exit %d" % rc)
    try:
        j = json.loads(out.decode().strip().splitlines()[-1]) if out.strip() else {}
    except (ValueError, IndexError):
        j = {}
    for k in ("read", "added", "refused", "lost", "damaged_frames", "index"):
        if k in j:
            rec["j_" + k] = j[k]
    gitdir = os.path.join(rx, "store.git")
    tree = tree_of(gitdir)
    src_tree = info["source_tree"]
    tpl_tree = info["template_tree"]
    got = item_ids(tree) - item_ids(tpl_tree)
    legit = set(info["legit"])
    rec["admitted"] = len(got)
    bad_items = sorted(got - legit)
    if bad_items:
        findings.append("admitted not legitimately signed: " + " ".join(bad_items))
    wrong = []
    for path, v in tree.items():
        if list(v) != tpl_tree.get(path) and list(v) != src_tree.get(path):
            wrong.append(path)
    if wrong:
        findings.append("tree entries neither the template's nor the source's: " + " ".join(wrong[:5]))
    lost_tpl = [p for p in tpl_tree if p not in tree]
    if lost_tpl:
        findings.append("template entries lost: " + " ".join(lost_tpl[:5]))
    trusted = set(info["trusted_keyids"])
    partial = 0
    for iid in sorted(got & legit):
        pre = "items/%s/%s/" % (iid[:2], iid)
        want = {p for p in src_tree if p.startswith(pre)}
        have = {p for p in tree if p.startswith(pre)}
        missing = sorted(p for p in want - have if "/sig/" not in p)
        if missing:
            findings.append("item %s misses %s" % (iid, " ".join(missing)))
        if not any(p[len(pre):] == "sig/%s.minisig" % k for p in have for k in trusted):
            findings.append("item %s has no signature by a trusted key" % iid)
        if want != have:
            partial += 1
    rec["partial_sigs"] = partial
    heads = git(gitdir, "rev-list", "--max-count=3", "main", check=False).stdout.decode().split()
    if not got:
        if heads[:1] != [info["template_head"]]:
            findings.append("nothing admitted, yet main moved")
    elif len(heads) < 2 or heads[1] != info["template_head"]:
        findings.append("main is not one commit on the template's")
    if got and a.fsck_every and i % a.fsck_every == 0:
        f = git(gitdir, "fsck", "--full", "--strict", "--no-dangling", check=False)
        rec["fsck"] = f.returncode == 0
        if f.returncode != 0:
            findings.append("git fsck: " + f.stderr.decode(errors="replace")[-300:])
    intact = set()
    touched = set()
    for k, fr in enumerate(info["frames"]):
        (touched if k in d["touched_frames"] else intact).update(fr["ids"])
    rec["intact"] = len(intact & legit)
    rec["recovered"] = len(got & intact)
    rec["touched_items"] = len(touched & legit)
    rec["admitted_touched"] = len(got & touched)
    missing_legit = legit - got
    if rc == 0 and missing_legit:
        findings.append("exit0_loss: exit 0 with %d signed items not admitted" % len(missing_legit))
    rec["findings"] = findings
    if findings and not keep:
        save_finding(a, data, rec, out, err, san)
    return rec


def save_finding(a, data, rec, out, err, san):
    fd = os.path.join(a.findings)
    os.makedirs(fd, exist_ok=True)
    base = os.path.join(fd, "s%d-m%06d-%s-%s" % (rec["seed"], rec["mutant"], rec["kind"], rec["variant"]))
    with open(base + ".tar.zst", "wb") as fh:
        fh.write(data)
    with open(base + ".txt", "w") as fh:
        fh.write("reproduce: tests/tools/mutate_campaign.py replay WORK --seed %d --mutant %d\n"
                 % (rec["seed"], rec["mutant"]))
        fh.write(json.dumps(rec, indent=1, sort_keys=True) + "\n")
        fh.write("==== stdout\n%s\n==== stderr\n%s\n%s" % (
            out.decode(errors="replace")[-4000:], err.decode(errors="replace")[-8000:], san[-20000:]))


# ---------------------------------------------------------------- the campaign

def summarise(recs, a, info, t_start, commit, wall=None):
    per = {}
    for r in recs:
        for key in (r["kind"] + "/" + r["variant"], r["kind"], "all"):
            s = per.setdefault(key, {"mutants": 0, "exit": {}, "admitted_any": 0, "admitted_none": 0,
                                     "items_admitted": 0, "intact": 0, "recovered": 0,
                                     "touched_items": 0, "admitted_touched": 0, "partial_sigs": 0,
                                     "findings": 0, "seconds": 0.0, "fsck_runs": 0,
                                     "reported_read": 0, "reported_refused": 0, "reported_lost": 0,
                                     "reported_damaged_frames": 0, "index_sound": 0,
                                     "all_signed_admitted": 0})
            s["mutants"] += 1
            s["exit"][str(r["rc"])] = s["exit"].get(str(r["rc"]), 0) + 1
            s["admitted_any" if r["admitted"] else "admitted_none"] += 1
            s["all_signed_admitted"] += 1 if r["admitted"] == len(info["legit"]) else 0
            s["items_admitted"] += r["admitted"]
            for k in ("intact", "recovered", "touched_items", "admitted_touched", "partial_sigs"):
                s[k] += r[k]
            s["findings"] += 1 if r["findings"] else 0
            s["seconds"] += r["seconds"]
            s["fsck_runs"] += 1 if "fsck" in r else 0
            for k in ("read", "refused", "lost", "damaged_frames"):
                s["reported_" + k] += r.get("j_" + k, 0)
            s["index_sound"] += 1 if r.get("j_index") else 0
    for s in per.values():
        s["salvage"] = round(s["recovered"] / s["intact"], 4) if s["intact"] else None
        s["seconds"] = round(s["seconds"], 1)
    return {
        "seed": a.seed, "count": a.count, "done": len(recs), "jobs": a.jobs, "binary": a.bin,
        "commit": commit, "bundle_sha256": info["bundle_sha256"], "bundle_size": info["size"],
        "frames": len(info["frames"]), "legit_items": len(info["legit"]),
        "untrusted_only_items": len(info["untrusted_only"]),
        "wall_seconds": wall if wall is not None else round(time.monotonic() - t_start, 1),
        "findings": [{"mutant": r["mutant"], "kind": r["kind"], "variant": r["variant"],
                      "what": r["findings"]} for r in recs if r["findings"]],
        "per_kind": dict(sorted(per.items())),
    }


def write_json(path, obj):
    with open(path + ".tmp", "w") as fh:
        json.dump(obj, fh, indent=1, sort_keys=False)
    os.rename(path + ".tmp", path)


def baseline(info, a):
    """The unmutated bundles import every legitimately signed item, whole,
    and nothing else: without this the campaign could pass vacuously."""
    for v in VARIANTS:
        scratch = tempfile.mkdtemp(prefix="base.", dir=a.scratch)
        try:
            d = {"mutant": -1, "seed": a.seed, "kind": "none", "variant": v, "touched": [],
                 "touched_frames": []}
            rec = import_and_check(info, a, info["data_" + v], d, scratch, 0, keep=True)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
        if rec["findings"] or rec["admitted"] != len(info["legit"]) or rec["partial_sigs"] or rec["rc"] != 3:
            die("the unmutated bundle (%s) does not import as it should: %s" % (v, json.dumps(rec)))
        print("baseline %s: exit %d, %d of %d signed items admitted whole, %d signed by mallory alone refused"
              % (v, rec["rc"], rec["admitted"], len(info["legit"]), len(info["untrusted_only"])), flush=True)


def cmd_run(a):
    work = os.path.abspath(a.work)
    a.findings = a.findings or os.path.join(work, "findings")
    a.scratch = a.scratch or ("/dev/shm" if os.path.isdir("/dev/shm") else None)
    if a.scratch:
        a.scratch = tempfile.mkdtemp(prefix="svd-mutate.", dir=a.scratch)
    else:
        a.scratch = tempfile.mkdtemp(prefix="svd-mutate.")
    try:
        return campaign(a, work)
    finally:
        shutil.rmtree(a.scratch, ignore_errors=True)


def campaign(a, work):
    build_source(work, a.bin)
    info = load_source(work)
    Ctx.info, Ctx.args, Ctx.work = info, a, work
    commit = a.commit or ""
    print("mutate campaign: seed %d, %d mutants from %d, %d jobs, binary %s%s" % (
        a.seed, a.count, a.start, a.jobs, a.bin, " (commit %s)" % commit if commit else ""), flush=True)
    print("source: %s, %d bytes, %d frames, %d signed items, %d by mallory alone" % (
        info["bundle_sha256"][:16], info["size"], len(info["frames"]), len(info["legit"]),
        len(info["untrusted_only"])), flush=True)
    baseline(info, a)
    log = open(a.log, "a") if a.log else None
    recs = []
    t0 = time.monotonic()
    todo = range(a.start, a.start + a.count)
    try:
        with concurrent.futures.ProcessPoolExecutor(a.jobs, initializer=worker_init,
                                                    initargs=(work, a)) as ex:
            futs = [ex.submit(check_mutant, i) for i in todo]
            for n, fut in enumerate(concurrent.futures.as_completed(futs), 1):
                r = fut.result()
                recs.append(r)
                if log:
                    log.write(json.dumps(r, sort_keys=True) + "\n")
                    log.flush()
                if r["findings"]:
                    print("FINDING mutant %d (%s, %s): %s" % (r["mutant"], r["kind"], r["variant"],
                                                             "; ".join(r["findings"])[:300]), flush=True)
                if n % a.every == 0 or n == a.count:
                    el = time.monotonic() - t0
                    print("%d/%d mutants, %.1f s, %.3f s a mutant, %d findings" % (
                        n, a.count, el, el / n, sum(1 for x in recs if x["findings"])), flush=True)
                    if a.summary:
                        write_json(a.summary, summarise(recs, a, info, t0, commit))
    except KeyboardInterrupt:
        print("interrupted: %d mutants done" % len(recs), flush=True)
    recs.sort(key=lambda r: r["mutant"])
    s = summarise(recs, a, info, t0, commit)
    if a.summary:
        write_json(a.summary, s)
    print_table(s)
    if a.check:
        return ctest_check(s)
    return 1 if s["findings"] else 0


def print_table(s):
    print("%-12s %-8s %7s %6s %6s %6s %9s %9s %8s %5s" % (
        "kind", "variant", "mutants", "exit0", "exit3", "other", "admitted", "salvage", "touched+", "find"))
    for key, v in s["per_kind"].items():
        kind, _, variant = key.partition("/")
        other = v["mutants"] - v["exit"].get("0", 0) - v["exit"].get("3", 0)
        print("%-12s %-8s %7d %6d %6d %6d %9d %9s %8d %5d" % (
            kind, variant or "both", v["mutants"], v["exit"].get("0", 0), v["exit"].get("3", 0), other,
            v["items_admitted"], "%d/%d" % (v["recovered"], v["intact"]), v["admitted_touched"],
            v["findings"]))


def ctest_check(s):
    """The small run under ctest: no finding, and not vacuous: some mutants
    admitted items, some lost signed items, intact items were recovered,
    refusals were reported, git fsck ran, and every kind was tried."""
    a = s["per_kind"]["all"]
    bad = []
    if s["findings"]:
        bad.append("%d findings (see above and the findings folder)" % len(s["findings"]))
    if a["admitted_any"] == 0:
        bad.append("no mutant admitted anything")
    if a["all_signed_admitted"] == a["mutants"]:
        bad.append("no mutant lost a signed item")
    if a["reported_refused"] == 0:
        bad.append("import never reported a refusal (the items signed by mallory alone)")
    if a["recovered"] == 0:
        bad.append("no intact item was recovered")
    if a["fsck_runs"] == 0:
        bad.append("git fsck never ran")
    for k in KINDS:
        if s["per_kind"].get(k, {}).get("mutants", 0) == 0:
            bad.append("no mutant of kind %s" % k)
    for b in bad:
        print("not ok: " + b)
    print("ok" if not bad else "FAILED")
    return 1 if bad else 0


def cmd_report(a):
    """The summary of a run again, from its log (a partial run's figures too)."""
    work = os.path.abspath(a.work)
    info = load_source(work)
    recs = {}
    with open(a.log) as fh:
        for line in fh:
            if line.strip():
                r = json.loads(line)
                recs[(r["seed"], r["mutant"])] = r
    recs = [recs[k] for k in sorted(recs)]
    if not recs:
        die("%s: no mutant recorded" % a.log)
    a.seed = recs[0]["seed"]
    a.count, a.jobs = len(recs), None
    s = summarise(recs, a, info, 0, a.commit or "", wall=a.wall)
    if a.summary:
        write_json(a.summary, s)
    print_table(s)
    return 0


def cmd_replay(a):
    work = os.path.abspath(a.work)
    info = load_source(work)
    data, d = mutate(info, a.seed, a.mutant)
    print(json.dumps(d, sort_keys=True))
    if a.out:
        with open(a.out, "wb") as fh:
            fh.write(data)
        print("mutant written to %s" % a.out)
    if a.bin:
        a.findings = None
        a.fsck_every = 1
        scratch = a.keep or tempfile.mkdtemp(prefix="svd-replay.")
        os.makedirs(scratch, exist_ok=True)
        Ctx.info, Ctx.args, Ctx.work = info, a, work
        rec = import_and_check(info, a, data, d, scratch, a.mutant, keep=True)
        print(json.dumps(rec, indent=1, sort_keys=True))
        if not a.keep:
            shutil.rmtree(scratch, ignore_errors=True)
        else:
            print("receiver kept in %s/rx" % scratch)
        return 1 if rec["findings"] else 0
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    default_bin = os.environ.get("SVD_BIN")
    s = sub.add_parser("source")
    s.add_argument("work")
    s.add_argument("--bin", default=default_bin)
    r = sub.add_parser("run")
    r.add_argument("work")
    r.add_argument("--bin", default=default_bin)
    r.add_argument("--seed", type=int, default=15)
    r.add_argument("--count", type=int, default=200)
    r.add_argument("--start", type=int, default=0)
    r.add_argument("--jobs", type=int, default=2)
    r.add_argument("--timeout", type=float, default=120)
    r.add_argument("--fsck-every", type=int, default=10)
    r.add_argument("--every", type=int, default=100, help="progress line and summary every N mutants")
    r.add_argument("--log", help="one JSON line a mutant")
    r.add_argument("--summary", help="the summary JSON (rewritten every --every mutants)")
    r.add_argument("--findings", help="where findings go (default WORK/findings)")
    r.add_argument("--scratch", help="where receivers are made (default /dev/shm)")
    r.add_argument("--commit", help="the commit the binary was built from, for the record")
    r.add_argument("--check", action="store_true",
                   help="ctest mode: fail unless some mutants admitted items and some did not")
    p = sub.add_parser("replay")
    p.add_argument("work")
    p.add_argument("--seed", type=int, required=True)
    p.add_argument("--mutant", type=int, required=True)
    p.add_argument("--out", help="write the mutant here")
    p.add_argument("--bin", default=default_bin, help="also import it and check (default $SVD_BIN)")
    p.add_argument("--keep", help="make the receiver in this folder and keep it")
    p.add_argument("--timeout", type=float, default=120)
    q = sub.add_parser("report")
    q.add_argument("work")
    q.add_argument("log")
    q.add_argument("--bin", default=default_bin)
    q.add_argument("--summary")
    q.add_argument("--commit")
    q.add_argument("--wall", type=float, help="the run's wall-clock seconds, for the record")
    sub.add_parser("kinds")
    a = ap.parse_args()
    if a.cmd == "kinds":
        print("\n".join(KINDS))
        return 0
    if a.cmd in ("source", "run") and not a.bin:
        die("--bin or SVD_BIN: the samvydav binary (a -DSVD_SANITIZE=ON build)")
    if a.cmd == "source":
        return cmd_source(a) or 0
    if a.cmd == "run":
        return cmd_run(a)
    if a.cmd == "report":
        return cmd_report(a)
    return cmd_replay(a)


if __name__ == "__main__":
    sys.exit(main())
