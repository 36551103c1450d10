#!/usr/bin/env python3
"""check_layers.py: the library's walls, checked at build time.

archive-format/layers.txt puts every file of archive-format/src and
archive-format/include/samvydav into a room, and every room into a layer
(docs/architecture.md draws them). This script reads each file's
#include lines and fails when

  - a file includes a header of a higher layer;
  - a file includes a header of another room of its own layer (rooms of one
    layer stand side by side and know nothing of each other);
  - a file names <git2.h> outside the rooms the map lets (the store owns git);
  - headers include each other in a circle;
  - a file is in no room, or a room is named twice, or an "allow" line no
    longer matches anything (an exception that was fixed must go).

    check_layers.py [ROOT]          ROOT: the checkout (default: this file's ../..)

Standard library only. Exit 0 when the walls hold, 1 with one line per
breach, 2 when the map itself is wrong.
"""
import fnmatch
import os
import re
import sys

INCLUDE = re.compile(r'^\s*#\s*include\s+([<"])([^>"]+)[>"]', re.M)


def fail_map(msg):
    print("layers.txt: " + msg, file=sys.stderr)
    sys.exit(2)


def read_map(path):
    """rooms: name -> (layer, [patterns]); allows: [(file, target, why)]; git: set of rooms."""
    rooms, allows, git = {}, [], set()
    with open(path, encoding="utf-8") as f:
        for n, raw in enumerate(f, 1):
            line = raw.split("#", 1)[0].strip()
            if not line:
                continue
            words = line.split()
            if words[0] == "room" and len(words) >= 4 and words[2].isdigit():
                name = words[1]
                if name in rooms:
                    fail_map("%d: room %s named twice" % (n, name))
                rooms[name] = (int(words[2]), words[3:])
            elif words[0] == "allow" and len(words) >= 3:
                allows.append([words[1], words[2], n, 0])
            elif words[0] == "git" and len(words) >= 2:
                git.update(words[1:])
            else:
                fail_map("%d: not 'room NAME LAYER FILES...', 'allow FILE HEADER' or 'git ROOMS'" % n)
    for r in git:
        if r not in rooms:
            fail_map("git: no room %s" % r)
    return rooms, allows, git


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "..")
    lib = os.path.join(root, "archive-format")
    rooms, allows, git = read_map(os.path.join(lib, "layers.txt"))

    # every file, by the name it is included as: "util.h" (src) or "samvydav/view.h" (public)
    files = {}
    for name in sorted(os.listdir(os.path.join(lib, "src"))):
        if name.endswith((".c", ".h")):
            files[name] = os.path.join(lib, "src", name)
    for name in sorted(os.listdir(os.path.join(lib, "include", "samvydav"))):
        if name.endswith(".h"):
            files["samvydav/" + name] = os.path.join(lib, "include", "samvydav", name)

    room_of = {}
    for name in files:
        hits = [r for r, (_, pats) in rooms.items() if any(fnmatch.fnmatchcase(name, p) for p in pats)]
        if not hits:
            print("%s: in no room of layers.txt; put it in one" % name)
        elif len(hits) > 1:
            print("%s: in rooms %s at once" % (name, ", ".join(sorted(hits))))
        else:
            room_of[name] = hits[0]
    breaches = sum(1 for n in files if n not in room_of)

    def allowed(src, target):
        for a in allows:
            if fnmatch.fnmatchcase(src, a[0]) and fnmatch.fnmatchcase(target, a[1]):
                a[3] += 1
                return True
        return False

    edges = {}
    for name, path in files.items():
        with open(path, encoding="utf-8") as f:
            text = f.read()
        edges[name] = []
        for kind, inc in INCLUDE.findall(text):
            if kind == "<":
                if inc.startswith("git2") and room_of.get(name) not in git and not allowed(name, "<git2.h>"):
                    print("%s: includes <%s>, but only the store (%s) may use libgit2"
                          % (name, inc, ", ".join(sorted(git))))
                    breaches += 1
                continue
            # "x.h" from a public header is its neighbour; from src, src's or the public dir's
            if name.startswith("samvydav/") and not inc.startswith("samvydav/"):
                inc = "samvydav/" + inc
            if inc not in files:
                continue  # generated (reader_assets.c) or a system header in quotes
            edges[name].append(inc)
            if name not in room_of or inc not in room_of:
                continue
            src_room, dst_room = room_of[name], room_of[inc]
            if src_room == dst_room:
                continue
            ls, ld = rooms[src_room][0], rooms[dst_room][0]
            if ld < ls or allowed(name, inc):
                continue
            if ld > ls:
                print("%s (%s, layer %d) includes %s (%s, layer %d): a layer may not use one above it"
                      % (name, src_room, ls, inc, dst_room, ld))
            else:
                print("%s (%s) includes %s (%s): rooms of layer %d stand side by side and do not use each other"
                      % (name, src_room, inc, dst_room, ls))
            breaches += 1

    # circles among headers
    state = {}

    def visit(n, stack):
        state[n] = 1
        for m in edges.get(n, []):
            if state.get(m) == 1:
                cyc = stack[stack.index(m):] + [m] if m in stack else [n, m]
                print("include circle: " + " -> ".join(cyc))
                return 1
            if not state.get(m) and visit(m, stack + [m]):
                return 1
        state[n] = 2
        return 0

    for n in sorted(edges):
        if not state.get(n):
            breaches += visit(n, [n])

    for a in allows:
        if a[3] == 0:
            print("layers.txt:%d: 'allow %s %s' matches nothing any more; remove it" % (a[2], a[0], a[1]))
            breaches += 1
    if breaches:
        print("check_layers: %d breach(es) of the walls in docs/architecture.md" % breaches, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
