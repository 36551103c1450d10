/*
 * lex_test.js: archive-format/reader/lex.js against the C side
 * (tests/cli/translit_js.sh runs it):
 *
 *     node lex_test.js LEX_JS TRANSLIT_JS CASES FORMS...
 *
 * TRANSLIT_JS is search/translit.js as the library writes it, CASES
 * tests/data/translit-cases.txt, each FORMS a file of TOKEN<TAB>UK<TAB>RU
 * lines that svd_translit() gave (tests/tools/translit_dump.c). Every case
 * and every token must come out the same; prints one line of counts, and
 * the first differences.
 */
"use strict";
const fs = require("fs");
const path = require("path");
const vm = require("vm");

const [lexPath, tablePath, casesPath, ...formsPaths] = process.argv.slice(2);
const lex = require(path.resolve(lexPath));
vm.runInNewContext(fs.readFileSync(tablePath, "utf8"), { svdTranslit: lex.svdTranslit });

let bad = [], cases = 0, tokens = 0;
const want = (s) => (s === "-" ? null : s);
function expect(what, got, exp) {
	if (JSON.stringify(got) !== JSON.stringify(exp))
		bad.push(`${what}: ${JSON.stringify(got)}, expected ${JSON.stringify(exp)}`);
}

fs.readFileSync(casesPath, "utf8").split("\n").forEach((line, i) => {
	if (!line || line[0] === "#")
		return;
	const [input, scheme, output] = line.split("\t");
	const schemes = scheme === "both" ? ["uk", "ru"] : [scheme];
	if (!["uk", "ru", "both"].includes(scheme) || output === undefined)
		bad.push(`cases line ${i + 1}: not input<TAB>scheme<TAB>output`);
	schemes.forEach((s) => expect(`cases line ${i + 1} ${input} (${s})`,
		lex.svdTranslitWith(input, s), want(output)));
	cases++;
});

formsPaths.forEach((p) => {
	fs.readFileSync(p, "utf8").split("\n").forEach((line) => {
		if (!line)
			return;
		const [tok, uk, ru] = line.split("\t");
		expect(`${tok} (uk)`, lex.svdTranslitWith(tok, "uk"), want(uk));
		expect(`${tok} (ru)`, lex.svdTranslitWith(tok, "ru"), want(ru));
		const forms = [];
		[uk, ru].forEach((f) => { if (f !== "-" && !forms.includes(f)) forms.push(f); });
		expect(`svdTranslitForms(${tok})`, lex.svdTranslitForms(tok), forms);
		tokens++;
	});
});

console.log(`${cases} cases, ${tokens} tokens, ${bad.length} differences`);
bad.slice(0, 20).forEach((b) => console.log(`  ${b}`));
process.exit(bad.length || cases < 80 || tokens < 1000 ? 1 : 0);
