#!/usr/bin/env bash
# The documents' examples run as written. Every ```sh block of README.md and
# docs/*.md is run, in order, one shell per document (as a reader types them
# into one terminal), under 'set -e -o pipefail', in a fresh folder with a
# fresh HOME, with samvydav, samvydavd and their man pages installed in a
# temporary prefix ('cmake --install') and on PATH. The folder holds 'build',
# a link to the build tree, as a clone does after scripts/build.sh. Standard
# input repeats one passphrase line, for the commands that ask for one; it is
# 32 bytes long, so that a command whose stdio reads 4096 bytes of it leaves
# the next command at the start of a line.
#
# Every fence needs a language: ```sh runs; ```text, ```ini, ```json ... (a
# layout, a configuration, an output) do not. A sh block that cannot run in a
# test is marked by a line right before its fence,
#     <!-- not run: REASON what it needs -->
# with REASON one of $not_run_reasons below; the test counts and prints them.
#
# Also: 'cmake --install' puts the programs and the man pages where README.md
# says, and man(1) finds the pages from PATH alone.
. "$(dirname "$0")/lib.sh"

BUILD=${SVD_BUILD_DIR:-$(dirname "$(dirname "$SVD_BIN")")}
DOCS=${SVD_DOCS:-"$SVD_SOURCE_DIR/README.md $(ls "$SVD_SOURCE_DIR"/docs/*.md)"}

# root: installs packages or system users; systemd: needs a running systemd;
# forever: a server that runs until stopped; browser: opens a window;
# stick: a courier's real stick; network: another machine; build: builds
# the project (scripts/test.sh and scripts/fresh-check.sh do)
not_run_reasons="root systemd forever browser stick network build"

# the install, as README.md's "A first archive" does it, into a temporary prefix
P=$T/prefix
check "cmake --install puts samvydav in a prefix" cmake --install "$BUILD" --prefix "$P"
for f in bin/samvydav sbin/samvydavd share/man/man1/samvydav.1 share/man/man1/samvydav-add.1 \
	share/man/man1/samvydav-export.1 share/man/man8/samvydavd.8; do
	[ -f "$P/$f" ] && ok "installed $f" || not_ok "installed $f" "no $P/$f"
done
check "the installed samvydav runs" "$P/bin/samvydav" --version
check "the installed samvydavd runs" "$P/sbin/samvydavd" --help
if command -v man >/dev/null; then
	out=$(MANWIDTH=80 MANPAGER=cat man -M "$P/share/man" samvydav-add 2>&1)
	printf '%s' "$out" | grep -q -- '--attach' && ok "man -M PREFIX/share/man samvydav-add shows the page" ||
		not_ok "man -M PREFIX/share/man samvydav-add shows the page" "$(printf '%s' "$out" | head -n 3)"
	# man-db derives the manual path from PATH: PREFIX/bin gives PREFIX/share/man
	out=$(env -u MANPATH PATH="$P/bin:$PATH" man -w samvydav-export 2>&1)
	same "$out" "$P/share/man/man1/samvydav-export.1" "with PREFIX/bin on PATH, man finds samvydav-export(1)"
	out=$(env -u MANPATH PATH="$P/sbin:$PATH" man -w samvydavd 2>&1)
	same "$out" "$P/share/man/man8/samvydavd.8" "with PREFIX/sbin on PATH, man finds samvydavd(8)"
else
	not_ok "man finds the installed pages" "man is not installed (apt-get install man-db)"
fi

# script DOC OUT: the document as a shell script whose line N is the
# document's line N: the lines of sh blocks as they are (without the
# block's indent), every other line empty. Prints "runs notrun reasons...";
# exits non-zero (with a message) on a fence without a language or a bad marker.
script() {
	awk -v out="$2" -v reasons="$not_run_reasons" '
		BEGIN { n = split(reasons, r, " "); for (i = 1; i <= n; i++) ok[r[i]] = 1 }
		function bad(msg) { print FILENAME ":" NR ": " msg > "/dev/stderr"; err = 1 }
		{ line = "" }
		!inb && /^<!-- not run: / {
			split(substr($0, 15), w, /[ :]/)
			if (!(w[1] in ok)) bad("a not-run marker with a reason not in: " reasons)
			marker = w[1]; markerline = NR
		}
		!inb && /^ *```/ {
			match($0, /^ */); indent = RLENGTH
			lang = substr($0, indent + 4); sub(/[ \t].*/, "", lang)
			if (lang == "") bad("a code block without a language (```sh runs; ```text, ```ini... do not)")
			inb = 1; run = lang == "sh" && marker == ""
			if (marker != "" && lang != "sh") bad("a not-run marker before a block that is not sh")
			if (marker != "") { notrun++; why = why " " marker }
			else if (run) runs++
			marker = ""
			print "" > out; next
		}
		inb && /^ *```/ { inb = 0; print "" > out; next }
		!inb && marker != "" && NR > markerline && !/^[ \t]*$/ { bad("a not-run marker not right before a block"); marker = "" }
		inb && run { line = substr($0, 1, indent) ~ /^ *$/ ? substr($0, indent + 1) : $0 }
		{ print line > out }
		END {
			if (inb) bad("a code block that is never closed")
			printf "%d %d%s\n", runs, notrun, why
			exit err
		}' "$1"
}

total_start=$SECONDS
for doc in $DOCS; do
	name=${doc#"$SVD_SOURCE_DIR"/}
	tag=$(printf '%s' "$name" | tr '/.' '__')
	w=$T/run/$tag
	mkdir -p "$w/home" "$w/work"
	ln -s "$BUILD" "$w/work/build"
	if ! counts=$(script "$doc" "$w/doc.sh" 2>"$w/err"); then
		not_ok "$name: every code block is labelled" "$(head -n 5 "$w/err")"
		continue
	fi
	read -r runs notrun why <<<"$counts"
	ok "$name: every code block is labelled ($runs run, $notrun not run${why:+:$why})"
	[ "$runs" -gt 0 ] || continue
	[ -z "$(head -n 1 "$w/doc.sh")" ] || { not_ok "$name: its first line is no code"; continue; }
	# line 1, never code, sets the shell up; every other line is the document's
	{
		printf '%s\n' 'set -eE -o pipefail; trap '\''s=$?; [ -e "$SVD_DOC_FAILED" ] || printf "%s\n" "line $LINENO: $BASH_COMMAND (exit $s)" >"$SVD_DOC_FAILED"'\'' ERR'
		tail -n +2 "$w/doc.sh"
	} >"$w/run.sh"
	# README.md installs samvydav itself, as its tutorial says; the guides find it installed
	path=$P/bin:$P/sbin:$PATH
	[ "$name" = README.md ] && path=$PATH
	start=$SECONDS
	(
		cd "$w/work" &&
			yes docs-test-passphrase-0123456789 |
			HOME=$w/home PATH="$path" SVD_DOC_FAILED=$w/failed \
				timeout 300 bash --noprofile --norc "$w/run.sh" >"$w/log" 2>&1
	)
	rc=$?
	if [ "$rc" -eq 0 ] && [ ! -e "$w/failed" ]; then
		ok "$name: its $runs sh blocks run ($((SECONDS - start)) s)"
	else
		at=$(cat "$w/failed" 2>/dev/null || echo "exit $rc (timeout 300 s?)")
		not_ok "$name: its $runs sh blocks run" "$name: $at
$(tail -n 15 "$w/log" | sed 's/^/#   | /')"
	fi
done
echo "# documents' examples: $((SECONDS - total_start)) s"

finish
