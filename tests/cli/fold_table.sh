#!/usr/bin/env bash
# The search folding table is what archive-format/tools/gen_fold.py makes of
# the Unicode data: run again, the script writes render_fold_table.c byte
# for byte. The data files (Debian's unicode-data, installed by
# 'scripts/setup.sh --tests') must be there: without them this test fails,
# it does not skip. And the script refuses to write a table from data that
# is missing or cut off.
. "$(dirname "$0")/lib.sh"

GEN=$SVD_SOURCE_DIR/archive-format/tools/gen_fold.py
TABLE=$SVD_SOURCE_DIR/archive-format/src/render_fold_table.c
UCD=${SVD_UCD:-/usr/share/unicode}

if python3 "$GEN" --ucd "$UCD" -o "$T/table.c" >"$T/err" 2>&1; then
	ok "gen_fold.py writes a table from $UCD"
	if cmp -s "$T/table.c" "$TABLE"; then
		ok "it is render_fold_table.c byte for byte"
	else
		not_ok "it is render_fold_table.c byte for byte" \
			"$(diff "$TABLE" "$T/table.c" | head -n 8)"
	fi
else
	not_ok "gen_fold.py writes a table from $UCD" "$(tail -n 3 "$T/err")"
fi

# without -o, the same bytes on standard output
if python3 "$GEN" --ucd "$UCD" >"$T/stdout.c" 2>/dev/null && cmp -s "$T/stdout.c" "$TABLE"; then
	ok "on standard output, the same table"
else
	not_ok "on standard output, the same table"
fi

# no data at all: an error, and no file
mkdir "$T/empty"
expect_exit 1 "ReadMe.txt.*unicode-data" "no Unicode data: gen_fold.py fails, saying what to install" \
	python3 "$GEN" --ucd "$T/empty" -o "$T/none.c"
[ ! -e "$T/none.c" ] && ok "and writes nothing" || not_ok "and writes nothing" "$T/none.c is there"

# UnicodeData.txt missing, or cut off before Cyrillic: an error, not a smaller table
mkdir "$T/nodata" "$T/cut"
if [ -r "$UCD/ReadMe.txt" ] && [ -r "$UCD/UnicodeData.txt" ]; then
	cp "$UCD/ReadMe.txt" "$T/nodata/"
	cp "$UCD/ReadMe.txt" "$T/cut/"
	sed '/^0400;/,$d' "$UCD/UnicodeData.txt" >"$T/cut/UnicodeData.txt"
	expect_exit 1 "UnicodeData.txt" "no UnicodeData.txt: gen_fold.py fails" \
		python3 "$GEN" --ucd "$T/nodata" -o "$T/none.c"
	expect_exit 1 "U\+0410 is missing" "UnicodeData.txt cut off: gen_fold.py fails" \
		python3 "$GEN" --ucd "$T/cut" -o "$T/none.c"
	[ ! -e "$T/none.c" ] && ok "and writes nothing" || not_ok "and writes nothing" "$T/none.c is there"
else
	not_ok "the must-fail cases need $UCD/ReadMe.txt and UnicodeData.txt"
fi

finish
