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

// the stems a query word may have, from the root's rules (SPEC.md 11.7)
const rules = [["а", ""], ["ами", ""], ["y", "i"], ["и", ""]];
const stems = [
	["херсона", rules, ["херсона", "херсон"]],
	["херсонами", rules, ["херсонами", "херсон", "херсонам"]],  // the rules' order
	["khersona", rules, ["khersona", "kherson"]],  // "а" in Latin letters, both schemes
	["happy", rules, ["happy", "happi", "happ"]],  // "и" in Ukrainian Latin is "y"
	["ма", rules, ["ма"]],                           // "м" is no token
	["херсона", null, ["херсона"]],
	["херсона", [[1, 2], "а", ["а"], null], ["херсона"]],  // what is not a rule is left out
	["abcdefghij", "abcdefghij".split("").map((c) => [c, ""]), ["abcdefghij", "abcdefghi"]],
	["aaaaaaaaaaaa", Array.from({ length: 12 }, (_, i) => ["a".repeat(i + 1), ""]),
		Array.from({ length: 8 }, (_, i) => "a".repeat(12 - i))],  // at most 8 forms
];
stems.forEach(([w, r, exp]) => {
	expect(`svdStemForms(${w}, ${JSON.stringify(r)})`, lex.svdStemForms(w, r), exp);
	cases++;
});

console.log(`${cases} cases, ${tokens} tokens, ${bad.length} differences`);
bad.slice(0, 20).forEach((b) => console.log(`  ${b}`));
process.exit(bad.length || cases < 80 || tokens < 1000 ? 1 : 0);
