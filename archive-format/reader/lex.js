/*
 * samvydav reader: the Latin forms of a query's Cyrillic tokens
 * (archive-format/SPEC.md, 11.6), so that what the index holds under
 * svd_translit() is found from the same words.
 *
 * Plain ES2017, no modules, no dependencies. The tables are not written
 * here: search/translit.js, generated from the C tables
 * (svd_render_translit_js), calls the global svdTranslit() with them, so
 * load this script first. Then svdTranslitForms(token) gives the distinct
 * Latin forms of one folded token under both schemes (a query's language
 * is not known): Ukrainian first, then Russian; none for a token that has
 * no Cyrillic letter; svdStemForms(token, rules) the stems it may have.
 * In the library this file is the end of reader.js (render_library.c).
 * Loadable from Node too (module.exports), for tests.
 */
(function (root) {
	"use strict";

	var T = null;

	/* search/translit.js: the tables */
	function svdTranslit(tables) {
		T = tables;
	}

	/*
	 * The Latin form of a folded token under scheme "uk" or "ru", or null:
	 * what svd_translit() writes, rule for rule.
	 */
	function svdTranslitWith(token, scheme) {
		var cps = Array.from(token);
		var i, j, name, t, out = "", cyr = false, prev = "";

		if (!T || T.order.indexOf(scheme) < 0)
			return null;
		/* the letters only one scheme has choose it, in T.order */
		name = scheme;
		for (i = 0; i < T.order.length; i++) {
			var only = T[T.order[i]].only;
			for (j = 0; j < cps.length && only.indexOf(cps[j]) < 0; j++)
				;
			if (j < cps.length) {
				name = T.order[i];
				break;
			}
		}
		t = T[name];
		for (i = 0; i < cps.length; i++) {
			var c = cps[i], s;
			if (/^[a-z0-9]$/.test(c)) {
				s = c;
			} else if (!Object.prototype.hasOwnProperty.call(t.letters, c)) {
				return null;
			} else if (i === 0 && Object.prototype.hasOwnProperty.call(t.first, c)) {
				s = t.first[c];
			} else if (Object.prototype.hasOwnProperty.call(t.after, prev + c)) {
				s = t.after[prev + c];
			} else {
				s = t.letters[c];
			}
			if (c.codePointAt(0) >= 0x400)
				cyr = true;
			out += s;
			if (out.length > T.max)
				return null;
			prev = c;
		}
		if (!cyr || out.length < T.min)
			return null;
		return out;
	}

	/* Every distinct Latin form of a folded token, Ukrainian's first. */
	function svdTranslitForms(token) {
		var forms = [], i, f;

		if (!T)
			return forms;
		for (i = 0; i < T.order.length; i++) {
			f = svdTranslitWith(token, T.order[i]);
			if (f !== null && forms.indexOf(f) < 0)
				forms.push(f);
		}
		return forms;
	}

	/* An ending in Latin letters, letter by letter under a scheme's table, or null. */
	function latinOf(s, scheme) {
		var t = T && T[scheme], out = "", cps = Array.from(s), i;

		if (!t)
			return null;
		for (i = 0; i < cps.length; i++) {
			if (/^[a-z0-9]$/.test(cps[i]))
				out += cps[i];
			else if (Object.prototype.hasOwnProperty.call(t.letters, cps[i]))
				out += t.letters[cps[i]];
			else
				return null;
		}
		return out;
	}

	/*
	 * The stems a folded word may have (SPEC.md 11.7). The page has no
	 * stemmer: it undoes what the library's stemmers did to the library's
	 * own words. rules is the root's "stems" (search/dict.js), [from, to]
	 * pairs, most frequent first: a word that ends in from may have the
	 * stem that ends in to instead ("херсона": ["а", ""] gives "херсон").
	 * A word of Latin letters and digits also takes each Cyrillic rule in
	 * Latin letters, under either scheme ("khersona": ["a", ""] gives
	 * "kherson", the Latin form of the stem). The word itself comes first
	 * (it may be a stem); then at most STEM_FORMS - 1 others, each a token
	 * (min to max code points), once.
	 */
	var STEM_FORMS = 8;

	function svdStemForms(token, rules) {
		var forms = [token], i, k, cps = Array.from(token);
		var min = T ? T.min : 2, max = T ? T.max : 32;
		var latin = /^[a-z0-9]+$/.test(token);

		if (!Array.isArray(rules))
			return forms;
		for (i = 0; i < rules.length && forms.length < STEM_FORMS; i++) {
			var r = rules[i];
			if (!Array.isArray(r) || typeof r[0] !== "string" || typeof r[1] !== "string")
				continue;
			var pairs = [[r[0], r[1]]];
			if (latin && T) {
				for (k = 0; k < T.order.length; k++) {
					var f = latinOf(r[0], T.order[k]), t = latinOf(r[1], T.order[k]);
					if (f !== null && t !== null && f !== r[0])
						pairs.push([f, t]);
				}
			}
			for (k = 0; k < pairs.length && forms.length < STEM_FORMS; k++) {
				var from = Array.from(pairs[k][0]), to = Array.from(pairs[k][1]);
				var keep = cps.length - from.length;
				if (keep < 1 || cps.slice(keep).join("") !== pairs[k][0])
					continue;
				var n = keep + to.length;
				var s = cps.slice(0, keep).join("") + pairs[k][1];
				if (n >= min && n <= max && forms.indexOf(s) < 0)
					forms.push(s);
			}
		}
		return forms;
	}

	root.svdTranslit = svdTranslit;
	root.svdTranslitForms = svdTranslitForms;
	root.svdStemForms = svdStemForms;
	if (typeof module === "object" && module.exports)
		module.exports = {
			svdTranslit: svdTranslit,
			svdTranslitForms: svdTranslitForms,
			svdTranslitWith: svdTranslitWith,
			svdStemForms: svdStemForms
		};
})(typeof window !== "undefined" ? window : globalThis);
