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
 * no Cyrillic letter. Loadable from Node too (module.exports), for tests.
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

	root.svdTranslit = svdTranslit;
	root.svdTranslitForms = svdTranslitForms;
	if (typeof module === "object" && module.exports)
		module.exports = {
			svdTranslit: svdTranslit,
			svdTranslitForms: svdTranslitForms,
			svdTranslitWith: svdTranslitWith
		};
})(typeof window !== "undefined" ? window : globalThis);
