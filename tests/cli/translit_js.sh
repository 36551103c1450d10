#!/usr/bin/env bash
# The reader's transliteration (archive-format/reader/lex.js) gives what
# the C side gives (svd_translit, SPEC.md 11.6): every case of
# tests/data/translit-cases.txt, and every token of up to three code points
# over both tables' letters and a few others, through search/translit.js as
# the library writes it. Needs node: without it this test fails, it does
# not skip.
. "$(dirname "$0")/lib.sh"

DUMP=$SVD_BUILD_DIR/tests/translit_dump
LEX=$SVD_SOURCE_DIR/archive-format/reader/lex.js
CASES=$SVD_SOURCE_DIR/tests/data/translit-cases.txt

if ! command -v node >/dev/null; then
	not_ok "node is installed (apt-get install nodejs; scripts/setup.sh --tests)"
	finish
fi

check "translit_dump writes search/translit.js" sh -c '"$1" js >"$2"' - "$DUMP" "$T/translit.js"
grep -q '^svdTranslit({$' "$T/translit.js" && ok "it calls svdTranslit" ||
	not_ok "it calls svdTranslit" "$(head -n 3 "$T/translit.js")"
LC_ALL=C grep -q '[^ -~]' "$T/translit.js" && not_ok "it is ASCII" || ok "it is ASCII"

# the C forms of the cases' inputs and of every short token
grep -v '^#' "$CASES" | cut -f1 | grep . | sort -u >"$T/inputs"
check "the C forms of the cases' inputs" sh -c '"$1" forms <"$2" >"$3"' - "$DUMP" "$T/inputs" "$T/cases.forms"
check "the C forms of every short token" sh -c '"$1" combos >"$2"' - "$DUMP" "$T/combos.forms"

if out=$(timeout 300 node "$SVD_SOURCE_DIR/tests/tools/lex_test.js" "$LEX" "$T/translit.js" "$CASES" \
	"$T/cases.forms" "$T/combos.forms" 2>&1); then
	ok "lex.js gives the C forms ($(printf '%s' "$out" | head -n 1))"
else
	not_ok "lex.js gives the C forms" "$(printf '%s' "$out" | head -n 12)"
fi

# lex.js before its tables: no form, no error
if out=$(node -e 'const l = require(process.argv[1]); const f = l.svdTranslitForms("київ");
	if (f.length) process.exit(1);' "$LEX" 2>&1); then
	ok "without search/translit.js, svdTranslitForms gives no form"
else
	not_ok "without search/translit.js, svdTranslitForms gives no form" "$out"
fi

# the test fails when lex.js and the C side differ: a changed table is caught
sed 's/"\\u0433":"h"/"\\u0433":"g"/' "$T/translit.js" >"$T/wrong.js"
if cmp -s "$T/translit.js" "$T/wrong.js"; then
	not_ok "a table changed for the must-fail case" "no \\u0433 entry found"
else
	expect_exit 1 "differences" "a table that differs from the C side fails the comparison" \
		node "$SVD_SOURCE_DIR/tests/tools/lex_test.js" "$LEX" "$T/wrong.js" "$CASES" "$T/cases.forms"
fi

finish
