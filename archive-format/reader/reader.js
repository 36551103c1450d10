/*
 * samvydav reader: filters and search for a library's index.html
 * (archive-format/SPEC.md, 11; include/samvydav/render.h).
 *
 * Plain ES2017, no modules, no dependencies, no build step. It must work
 * from file:// as well as over HTTP, so it never uses fetch or XHR: the
 * folding table (search/fold.js), the dictionary (search/dict.js,
 * dNNNNN.js, pNNNNN.js), the rows (rows/NNNNN.js) and the facets are
 * scripts that call the globals svdFold(), svdDictRoot(), svdDict(),
 * svdPost(), svdRows() and svdFacets().
 *
 * Two kinds of index. The paged library that unpack writes (a #items
 * table with data-pages; SPEC.md 11.2, 11.5): index.html holds the first
 * 100 rows; a search looks its words up in the dictionary, ranks the rows
 * and shows the first 50 (startPaged, below). The one-page index the
 * daemon still serves (SPEC.md 11.5.2), with the search shards
 * (search/sNN.js, svdShard()): the rest of this comment, and most of the
 * code before startPaged.
 *
 * Without this script the index is a plain table, readable as it is. With
 * it, the form #filters appears; a row is shown when it passes every
 * filter and every query token matches it. A token matches an item when it
 * is a substring of the item's folded title and authors, or (tokens of two
 * code points or more) a prefix of a word of the item's body, title or
 * authors as listed in the token's shard. The state lives in the URL's
 * fragment (#q=...&lang=...), so a search can be bookmarked.
 *
 * Everything an item says is untrusted: this script reads text with
 * textContent and writes only textContent, attributes and the hidden
 * property, never HTML.
 *
 * Speed (20,000 rows on an old laptop): rows are read and their text
 * folded in slices between frames, typing is debounced, matching runs on
 * typed arrays, and the DOM is only written (hidden toggled on the rows
 * whose state changes), in slices that each end before a frame, never
 * read in the same pass.
 */
(function () {
	"use strict";

	var SHARDS = 64;
	var TOKEN_MIN = 2;
	var TOKEN_MAX = 32;
	var DEBOUNCE_MS = 180;
	var SLICE_MS = 12;            /* work per slice before yielding to the page */
	var CACHE_TOKENS = 64;        /* match sets kept for recent tokens */
	var FILTERS = [["lang", "f-lang"], ["kind", "f-kind"], ["region", "f-region"], ["year", "f-year"]];

	/* The search form's events, for either kind of index: now() runs a
	 * search at once, later() after the typing pause. */
	function wireControls(form, q, countEl, now, later) {
		countEl.setAttribute("aria-live", "polite");
		countEl.setAttribute("role", "status");
		form.addEventListener("submit", function (e) {
			e.preventDefault();
			now();
		});
		q.addEventListener("input", later);
		q.addEventListener("search", now);  /* the clear button of type=search */
		FILTERS.forEach(function (f) {
			var el = document.getElementById(f[1]);
			if (el)
				el.addEventListener("change", now);
		});
	}

	/* The folding table: per BMP code unit the index of its replacement in
	 * foldRepl (0: unchanged), and the rare others (astral) in foldAstral. */
	var foldIdx = null;
	var foldRepl = [""];
	var foldAstral = Object.create(null);
	var foldWaiters = [];

	function setFoldTable(table) {
		var idx = new Uint16Array(65536);
		var seen = Object.create(null);
		var k;

		foldRepl = [""];
		foldAstral = Object.create(null);
		for (k in table) {
			if (!Object.prototype.hasOwnProperty.call(table, k) || typeof table[k] !== "string")
				continue;
			if (k.length === 1) {
				var r = table[k];
				if (!(r in seen)) {
					seen[r] = foldRepl.length;
					foldRepl.push(r);
				}
				idx[k.charCodeAt(0)] = seen[r];
			} else if (k.length === 2) {
				foldAstral[k] = table[k];
			}
		}
		foldIdx = idx;
	}

	/* fold.js calls this; it may run before or after this file. */
	window.svdFold = function (table) {
		if (!table || typeof table !== "object")
			return;
		setFoldTable(table);
		var w = foldWaiters;
		foldWaiters = [];
		w.forEach(function (f) { f(); });
	};

	/*
	 * Fold as the C side does (svd_fold): NFC, then each code point through
	 * the table, ASCII A-Z to a-z when the table does not say otherwise.
	 */
	function fold(s) {
		s = String(s).normalize("NFC");
		var out = "";
		var from = 0;
		var n = s.length;
		for (var i = 0; i < n; i++) {
			var c = s.charCodeAt(i);
			var j = foldIdx ? foldIdx[c] : 0;
			var rep = null;
			if (j) {
				rep = foldRepl[j];
			} else if (c >= 0xD800 && c <= 0xDBFF && i + 1 < n) {
				var pair = s.substr(i, 2);
				if (pair in foldAstral) {
					out += s.slice(from, i) + foldAstral[pair];
					from = i + 2;
				}
				i++;
				continue;
			} else if (c >= 65 && c <= 90) {
				rep = String.fromCharCode(c + 32);
			}
			if (rep !== null) {
				out += s.slice(from, i) + rep;
				from = i + 1;
			}
		}
		return from ? out + s.slice(from) : s;
	}

	/* A letter or digit of a token (SPEC.md, 11.4), by the unfolded code point. */
	function tokenCp(c) {
		if (c < 0x80)
			return (c >= 48 && c <= 57) || (c >= 97 && c <= 122) || (c >= 65 && c <= 90);
		if (c < 0xC0 || c === 0xD7 || c === 0xF7 || c === 0xFFFD)
			return false;
		if ((c >= 0x2000 && c <= 0x206F) || (c >= 0x3000 && c <= 0x303F))
			return false;
		if (c >= 0xD800 && c <= 0xDFFF) /* a lone surrogate: invalid, as U+FFFD in C */
			return false;
		return true;
	}

	function cpCount(s) {
		var n = 0;
		for (var i = 0; i < s.length; i++) {
			var c = s.charCodeAt(i);
			if (c < 0xDC00 || c > 0xDFFF)
				n++;
		}
		return n;
	}

	/*
	 * Split text into folded tokens, as svd_tokens() does: runs of letters
	 * and digits, each code point folded (dropped ones do not count). With
	 * all = false, only tokens of TOKEN_MIN..TOKEN_MAX code points (what the
	 * index holds); with all = true, every non-empty run (queries).
	 */
	function tokens(s, all) {
		s = String(s).normalize("NFC");
		var out = [];
		var tok = "";
		for (var i = 0; i <= s.length; i++) {
			var c = i < s.length ? s.codePointAt(i) : -1;
			if (c >= 0 && tokenCp(c)) {
				var ch = String.fromCodePoint(c);
				if (c > 0xFFFF)
					i++;
				tok += fold(ch);
				continue;
			}
			if (tok) {
				var n = cpCount(tok);
				if (all || (n >= TOKEN_MIN && n <= TOKEN_MAX))
					out.push(tok);
			}
			tok = "";
		}
		return out;
	}

	/* FNV-1a 32 over the UTF-8 of the token's first two code points, mod 64. */
	function shardOf(token) {
		var h = 2166136261;
		var k = 0;
		for (var i = 0; i < token.length && k < 2; i++, k++) {
			var c = token.codePointAt(i);
			if (c > 0xFFFF)
				i++;
			var bytes;
			if (c < 0x80)
				bytes = [c];
			else if (c < 0x800)
				bytes = [0xC0 | c >> 6, 0x80 | (c & 0x3F)];
			else if (c < 0x10000)
				bytes = [0xE0 | c >> 12, 0x80 | (c >> 6 & 0x3F), 0x80 | (c & 0x3F)];
			else
				bytes = [0xF0 | c >> 18, 0x80 | (c >> 12 & 0x3F), 0x80 | (c >> 6 & 0x3F), 0x80 | (c & 0x3F)];
			for (var b = 0; b < bytes.length; b++) {
				h ^= bytes[b];
				h = Math.imul(h, 16777619) >>> 0;
			}
		}
		return (h >>> 0) % SHARDS;
	}

	/* Search shards: loaded once each, by a <script>, kept. */
	var shards = [];        /* n -> {words: sorted keys, map: {word: [rows]}} */
	var shardWaiters = [];  /* n -> [callbacks] while loading */
	var shardFailed = [];

	window.svdShard = function (n, map) {
		if (typeof n !== "number" || n !== (n | 0) || n < 0 || n >= SHARDS || shards[n])
			return;
		if (!map || typeof map !== "object")
			map = {};
		var words = Object.keys(map).sort();
		shards[n] = { words: words, map: map };
	};

	function shardDone(n) {
		var w = shardWaiters[n] || [];
		shardWaiters[n] = null;
		w.forEach(function (f) { f(); });
	}

	function loadShard(n, done) {
		if (shards[n] || shardFailed[n]) {
			done();
			return;
		}
		if (shardWaiters[n]) {
			shardWaiters[n].push(done);
			return;
		}
		shardWaiters[n] = [done];
		var s = document.createElement("script");
		s.src = "search/s" + (n < 10 ? "0" : "") + n + ".js";
		s.async = true;
		s.onload = function () {
			if (!shards[n])
				shardFailed[n] = true;
			s.remove();
			shardDone(n);
		};
		s.onerror = function () {
			shardFailed[n] = true;
			s.remove();
			shardDone(n);
		};
		document.head.appendChild(s);
	}

	/* The index's rows, read once. */
	var table = null;
	var form = null;
	var countEl = null;
	var rows = [];             /* row elements, by position */
	var nOf = null;            /* data-n -> position */
	var facet = {};            /* "lang" -> [value by position] */
	var text = null;           /* folded "title\nauthors" by position, once read */
	var shown = null;          /* Uint8Array: 1 when the row is shown now */
	var total = 0;

	var tokenCache = new Map(); /* token -> Uint8Array of matching positions */

	/* Work split into slices that yield between frames, so the page stays responsive. */
	function sliced(n, step, done) {
		var i = 0;
		function run() {
			var t0 = performance.now();
			while (i < n) {
				step(i++);
				if ((i & 255) === 0 && performance.now() - t0 > SLICE_MS)
					return setTimeout(run, 0);
			}
			done();
		}
		run();
	}

	var rowsReady = false;
	var rowsWaiters = null;

	/*
	 * Read every row once: its data-n and filter values, and its title and
	 * authors folded. In slices, started when the page is idle after load
	 * or by the first search or filter, whichever comes first.
	 */
	function readRows(done) {
		if (rowsReady)
			return done();
		if (rowsWaiters)
			return rowsWaiters.push(done);
		rowsWaiters = [done];
		var t = new Array(total);
		var by = [];
		var fv = {};
		FILTERS.forEach(function (f) { fv[f[0]] = new Array(total); });
		function go() {
			sliced(total, function (i) {
				var r = rows[i];
				var cells = r.cells;
				var n = parseInt(r.getAttribute("data-n"), 10);
				by[isNaN(n) ? i : n] = i;
				for (var f = 0; f < FILTERS.length; f++)
					fv[FILTERS[f][0]][i] = r.getAttribute("data-" + FILTERS[f][0]) || "";
				t[i] = fold((cells.length > 1 ? cells[1].textContent : "") + "\n" +
					(cells.length > 2 ? cells[2].textContent : ""));
			}, function () {
				text = t;
				nOf = by;
				facet = fv;
				rowsReady = true;
				var w = rowsWaiters;
				rowsWaiters = null;
				w.forEach(function (f) { f(); });
			});
		}
		if (foldIdx)
			go();
		else
			foldWaiters.push(go);
	}

	/* The items a token matches: a Uint8Array by position. */
	function matchToken(tok) {
		var m = tokenCache.get(tok);
		if (m)
			return m;
		m = new Uint8Array(total);
		var i;
		for (i = 0; i < total; i++)
			if (text[i].indexOf(tok) >= 0)
				m[i] = 1;
		if (cpCount(tok) >= TOKEN_MIN) {
			var sh = shards[shardOf(tok)];
			if (sh) {
				var w = sh.words;
				var lo = 0, hi = w.length;
				while (lo < hi) {
					var mid = (lo + hi) >>> 1;
					if (w[mid] < tok)
						lo = mid + 1;
					else
						hi = mid;
				}
				for (; lo < w.length && w[lo].lastIndexOf(tok, 0) === 0; lo++) {
					var list = sh.map[w[lo]];
					if (!Array.isArray(list))
						continue;
					for (var k = 0; k < list.length; k++) {
						var p = nOf[list[k]];
						if (p !== undefined && p >= 0)
							m[p] = 1;
					}
				}
			}
		}
		if (tokenCache.size >= CACHE_TOKENS)
			tokenCache.delete(tokenCache.keys().next().value);
		tokenCache.set(tok, m);
		return m;
	}

	/* What the form says now. */
	function readState() {
		var st = { q: document.getElementById("q").value };
		FILTERS.forEach(function (f) {
			var el = document.getElementById(f[1]);
			st[f[0]] = el ? el.value : "";
		});
		return st;
	}

	function stateToHash(st) {
		var p = new URLSearchParams();
		if (st.q.trim())
			p.set("q", st.q);
		FILTERS.forEach(function (f) {
			if (st[f[0]])
				p.set(f[0], st[f[0]]);
		});
		var s = p.toString();
		return s ? "#" + s : "";
	}

	function hashToState(hash) {
		var p = new URLSearchParams(String(hash || "").replace(/^#/, ""));
		var st = { q: p.get("q") || "" };
		FILTERS.forEach(function (f) {
			st[f[0]] = p.get(f[0]) || "";
		});
		return st;
	}

	function writeHash(st) {
		var h = stateToHash(st);
		if (h === (location.hash === "#" ? "" : location.hash))
			return;
		var base = location.href.split("#")[0];
		try {
			history.replaceState(history.state, "", h || base);
		} catch (e) {
			/* some file:// setups refuse replaceState */
			location.replace(h || "#");
		}
	}

	/* Put a state into the form; a value a select does not offer is added. */
	function applyState(st) {
		document.getElementById("q").value = st.q;
		FILTERS.forEach(function (f) {
			var el = document.getElementById(f[1]);
			if (!el)
				return;
			var v = st[f[0]];
			var has = false;
			for (var i = 0; i < el.options.length; i++)
				if (el.options[i].value === v)
					has = true;
			if (!has && v)
				el.appendChild(new Option(v + " (0)", v));
			el.value = has || v ? v : "";
		});
	}

	function setCount(n) {
		var s = n + " of " + total + " item" + (total === 1 ? "" : "s");
		if (countEl.textContent !== s)
			countEl.textContent = s;
	}

	/* Runs of filter(): a newer one cancels an older one; idle() waits for none. */
	var gen = 0;
	var busy = 0;
	var idleWaiters = [];

	function settle() {
		if (busy)
			return;
		var w = idleWaiters;
		idleWaiters = [];
		w.forEach(function (f) { f(); });
	}

	/*
	 * The rows in groups (a <tbody> each) of CHUNK rows, which the style
	 * sheet gives content-visibility: auto. A change then lays out only the
	 * groups on screen; the others keep a size this script sets (rows shown
	 * times the height of a row), without anything inside being laid out.
	 * One <tbody> of 20,000 rows costs a layout of every row at each change.
	 */
	var CHUNK = 200;
	var chunks = [];          /* {el, start, end} over positions */
	var rowH = 0;             /* the height of a row, in px, as last measured */

	function makeChunks() {
		var bodies = Array.prototype.slice.call(table.tBodies);
		var i;
		if (bodies.length > 1 || total <= CHUNK) {
			/* the page has its own groups already (or is small): keep them */
			var at = 0;
			bodies.forEach(function (b) {
				if (bodies.length > 1)
					b.classList.add("svd-chunk");
				chunks.push({ el: b, start: at, end: at + b.rows.length });
				at += b.rows.length;
			});
			sizeChunks(true);
			return;
		}
		/* out of the document first: moving 20,000 rows within a detached
		 * tree costs a fraction of moving them out of a shown one */
		var old = bodies[0];
		var mark = document.createComment("rows");
		table.replaceChild(mark, old);
		var frag = document.createDocumentFragment();
		for (i = 0; i < total; i += CHUNK) {
			var el = document.createElement("tbody");
			var end = Math.min(total, i + CHUNK);
			el.className = "svd-chunk";
			for (var j = i; j < end; j++)
				el.appendChild(rows[j]);
			frag.appendChild(el);
			chunks.push({ el: el, start: i, end: end });
		}
		table.replaceChild(frag, mark);
		sizeChunks(true);
		/* a new width changes a row's height: measure again, size every group */
		var resized = 0;
		window.addEventListener("resize", function () {
			clearTimeout(resized);
			resized = setTimeout(function () {
				measureRow();
				sizeChunks(true);
			}, 250);
		});
	}

	/* Each group's height while it is off screen, from the rows it shows. */
	function sizeChunks(all, from, to) {
		if (chunks.length < 2)
			return;
		var h = rowH || guessRow();
		for (var c = from || 0; c < (to === undefined ? chunks.length : to); c++) {
			var k = chunks[c];
			var n = 0;
			for (var i = k.start; i < k.end; i++)
				n += shown[i];
			if (all || k.n !== n) {
				k.n = n;
				k.el.hidden = n === 0;
				k.el.style.containIntrinsicHeight = Math.round(n * h) + "px";
			}
		}
	}

	/*
	 * A row's height before anything is measured, from reader.css (2.4rem
	 * wide, 6rem narrow; no getComputedStyle, which would restyle the page).
	 */
	function guessRow() {
		return 16 * (window.matchMedia && matchMedia("(max-width: 40rem)").matches ? 6 : 2.4);
	}

	/*
	 * The average height of a row, from the first group that shows rows if
	 * it is on screen (and so laid out for real). A read: call it before
	 * writing anything.
	 */
	function measureRow() {
		for (var c = 0; c < chunks.length; c++) {
			var k = chunks[c];
			if (!k.n)
				continue;
			var r = k.el.getBoundingClientRect();
			if (r.bottom > 0 && r.top < window.innerHeight && r.height > 0)
				rowH = Math.max(8, Math.min(400, r.height / k.n));
			break;
		}
	}

	/*
	 * Show the matching rows: only rows whose state changes are touched,
	 * a group at a time, in slices of at most SLICE_MS, writing and never
	 * reading the DOM. A newer run cancels an older one (gen).
	 */
	function show(want, my, done) {
		var c = 0;
		if (chunks.length > 1)
			measureRow();   /* the one read, before any write */
		function run() {
			if (my !== gen)
				return done();
			var t0 = performance.now();
			while (c < chunks.length) {
				var k = chunks[c];
				for (var i = k.start; i < k.end; i++) {
					if (shown[i] !== want[i]) {
						rows[i].hidden = !want[i];
						shown[i] = want[i];
					}
				}
				sizeChunks(false, c, c + 1);
				c++;
				if (performance.now() - t0 > SLICE_MS && c < chunks.length)
					return setTimeout(run, 0);
			}
			done();
		}
		run();
	}

	var lastKey = null;

	function filter() {
		var st = readState();
		var key = JSON.stringify(st);
		writeHash(st);
		if (key === lastKey)
			return;
		lastKey = key;
		var my = ++gen;
		var toks = null;
		busy++;
		table.setAttribute("aria-busy", "true");
		function finish() {
			busy--;
			if (!busy)
				table.removeAttribute("aria-busy");
			settle();
		}
		function compute() {
			if (my !== gen)
				return finish();
			var want = new Uint8Array(total);
			var sets = toks.map(matchToken);
			var n = 0;
			for (var i = 0; i < total; i++) {
				var ok = 1;
				for (var f = 0; f < FILTERS.length && ok; f++) {
					var v = st[FILTERS[f][0]];
					if (v && facet[FILTERS[f][0]][i] !== v)
						ok = 0;
				}
				for (var t = 0; t < sets.length && ok; t++)
					if (!sets[t][i])
						ok = 0;
				want[i] = ok;
				n += ok;
			}
			setCount(n);
			show(want, my, finish);
		}
		function search() {
			if (my !== gen)
				return finish();
			toks = tokens(st.q, true);
			if (toks.length)
				return searchWith(toks, compute);
			if (FILTERS.some(function (f) { return st[f[0]]; }))
				return readRows(compute);
			compute();
		}
		/* a query is folded with fold.js's table: wait for it if need be */
		if (!foldIdx && /[^\s]/.test(st.q))
			foldWaiters.push(search);
		else
			search();
	}

	/* Load the shards the tokens need, and fold the rows' text, then go on. */
	function searchWith(toks, then) {
		var need = [];
		toks.forEach(function (t) {
			if (cpCount(t) >= TOKEN_MIN) {
				var s = shardOf(t);
				if (need.indexOf(s) < 0)
					need.push(s);
			}
		});
		var pending = need.length + 1;
		function one() {
			if (--pending === 0)
				then();
		}
		if (need.some(function (s) { return !shards[s] && !shardFailed[s]; }))
			countEl.textContent = "Searching\u2026";
		need.forEach(function (s) { loadShard(s, one); });
		readRows(one);
	}

	var timer = 0;
	var runNow = null;   /* now(), or the paged library's */

	function later() {
		clearTimeout(timer);
		timer = setTimeout(function () {
			timer = 0;
			filter();
			settle();
		}, DEBOUNCE_MS);
	}

	function now() {
		clearTimeout(timer);
		timer = 0;
		filter();
	}

	/* For tests and the curious: the reader's own functions. */
	window.svdReader = {
		fold: function (s) { return fold(s); },
		tokens: function (s) { return tokens(s, false); },
		shardOf: shardOf,
		foldLoaded: function () { return !!foldIdx; },
		/*
		 * Resolves once every row shows what the form says. Typing that is
		 * still being debounced is searched at once, unless wait is true.
		 */
		idle: function (wait) {
			return new Promise(function (resolve) {
				function check() {
					if (timer || busy)
						idleWaiters.push(check);
					else
						resolve();
				}
				if (timer && !wait)
					runNow();
				check();
			});
		}
	};


	/*
	 * ---- The paged library (SPEC.md, 11.2 and 11.5) ----
	 *
	 * index.html holds the first page of rows; the whole library is in
	 * rows/NNNNN.js (the rows' data) and one dictionary of folded words,
	 * cut in blocks (search/dict.js names each block's first key). A
	 * query's words are looked up there, each in one block (the last word
	 * also as a prefix: at most PREFIX_KEYS keys from at most PREFIX_BLOCKS
	 * blocks), and only the rows shown are loaded.
	 */
	var PAGE_RESULTS = 50;     /* results shown at once, and added by "more" */
	var SUGGEST = 8;           /* titles suggested as the reader types */
	var PREFIX_KEYS = 100;     /* keys a prefix stands for, at most, in byte order */
	var PREFIX_BLOCKS = 2;     /* blocks a prefix reads, at most */
	var LIST_CACHE = 256;      /* decoded lists kept */
	/* a word's match, best first: title before body; exact, then near (a
	 * stem or a transliteration, "~" and "=" keys), then a prefix */
	var L_TITLE = 0, L_TITLE_NEAR = 1, L_TITLE_PREFIX = 2, L_BODY = 3, L_NONE = 255;

	var root = null;           /* svdDictRoot's */
	var dictBlocks = [];       /* n -> [[key, title, body], ...] */
	var postLists = [];        /* n -> encoded list */
	var rowChunks = [];        /* n -> [[id, date, title, authors, lang, kind, region], ...] */
	var facetData = null;
	var scriptWaiters = Object.create(null);   /* src -> callbacks while loading */
	var scriptFailed = Object.create(null);

	window.svdDictRoot = function (r) {
		if (!root && r && typeof r === "object" && Array.isArray(r.blocks)) {
			root = r;
			/* the transliteration's tables, for lex.js (SPEC.md 11.5, 11.6) */
			if (r.translit && typeof window.svdTranslit === "function")
				window.svdTranslit(r.translit);
		}
	};
	window.svdDict = function (n, entries) {
		if (typeof n === "number" && n >= 0 && Array.isArray(entries) && !dictBlocks[n])
			dictBlocks[n] = entries;
	};
	window.svdPost = function (n, list) {
		if (typeof n === "number" && n >= 0 && typeof list === "string" && postLists[n] === undefined)
			postLists[n] = list;
	};
	window.svdRows = function (n, rows) {
		if (typeof n === "number" && n >= 0 && Array.isArray(rows) && !rowChunks[n])
			rowChunks[n] = rows;
	};
	window.svdFacets = function (f) {
		if (!facetData && f && typeof f === "object")
			facetData = f;
	};

	function pad5(n) {
		var s = String(n);
		while (s.length < 5)
			s = "0" + s;
		return s;
	}

	/* A library script, once: resolves true when have() says it is there. */
	function need(src, have) {
		return new Promise(function (resolve) {
			if (have())
				return resolve(true);
			if (scriptFailed[src])
				return resolve(false);
			if (scriptWaiters[src])
				return scriptWaiters[src].push(resolve);
			scriptWaiters[src] = [resolve];
			var s = document.createElement("script");
			s.src = src;
			s.async = true;
			s.onload = s.onerror = function () {
				s.remove();
				var ok = !!have();
				if (!ok)
					scriptFailed[src] = true;
				var w = scriptWaiters[src];
				delete scriptWaiters[src];
				w.forEach(function (f) { f(ok); });
			};
			document.head.appendChild(s);
		});
	}

	function needRoot() {
		return need("search/dict.js", function () { return root; });
	}
	function needBlock(n) {
		return need("search/d" + pad5(n) + ".js", function () { return dictBlocks[n]; });
	}
	function needChunk(n) {
		return need("rows/" + pad5(n) + ".js", function () { return rowChunks[n]; });
	}

	/* Keys compare as their UTF-8 bytes do: by code point (a surrogate is above the BMP). */
	function cmpKey(a, b) {
		var n = Math.min(a.length, b.length);
		for (var i = 0; i < n; i++) {
			var x = a.charCodeAt(i), y = b.charCodeAt(i);
			if (x === y)
				continue;
			var xs = x >= 0xD800 && x <= 0xDFFF, ys = y >= 0xD800 && y <= 0xDFFF;
			if (xs !== ys)
				return xs ? 1 : -1;
			return x < y ? -1 : 1;
		}
		return a.length - b.length;
	}

	/* The last i with cmp(list[i]) <= 0 (list sorted), or -1. */
	function lastAtMost(list, key, get) {
		var lo = 0, hi = list.length;
		while (lo < hi) {
			var mid = (lo + hi) >>> 1;
			if (cmpKey(get(list[mid]), key) <= 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		return lo - 1;
	}

	function blockOf(key) {
		return lastAtMost(root.blocks, key, function (k) { return k; });
	}

	/* The entry [key, title, body] of an exact key, or null. */
	function lookup(key) {
		return needRoot().then(function () {
			var b = root ? blockOf(key) : -1;
			if (b < 0)
				return null;
			return needBlock(b).then(function () {
				var e = dictBlocks[b] || [];
				var i = lastAtMost(e, key, function (x) { return x[0]; });
				return i >= 0 && e[i][0] === key ? e[i] : null;
			});
		});
	}

	/* The entries whose keys start with p: the first PREFIX_KEYS, from PREFIX_BLOCKS blocks at most. */
	function lookupPrefix(p) {
		return needRoot().then(function () {
			if (!root || !root.blocks.length)
				return [];
			var out = [];
			var b = Math.max(0, blockOf(p));
			var read = 0;
			function scan() {
				return needBlock(b).then(function () {
					var e = dictBlocks[b] || [];
					var i = Math.max(0, lastAtMost(e, p, function (x) { return x[0]; }));
					for (; i < e.length && out.length < PREFIX_KEYS; i++) {
						if (e[i][0].lastIndexOf(p, 0) === 0)
							out.push(e[i]);
						else if (cmpKey(e[i][0], p) > 0)
							return out;
					}
					read++;
					b++;
					if (out.length < PREFIX_KEYS && read < PREFIX_BLOCKS && b < root.blocks.length &&
					    root.blocks[b].lastIndexOf(p, 0) === 0)
						return scan();
					return out;
				});
			}
			return scan();
		});
	}

	/* A list as text to its rows (SPEC.md, 11.5): base-32 gaps, the last digit of each from g-z 0-9 - _. */
	var DIGIT = new Int8Array(128).fill(-1);
	(function () {
		var a = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
		for (var i = 0; i < 64; i++)
			DIGIT[a.charCodeAt(i)] = i;
	})();

	function decodeList(s) {
		var out = new Uint32Array(s.length);
		var n = 0, v = -1, d = 0;
		for (var i = 0; i < s.length; i++) {
			var c = s.charCodeAt(i);
			var x = c < 128 ? DIGIT[c] : -1;
			if (x < 0)
				break;   /* not a list: stop where it stops being one */
			if (x < 32) {
				d = d * 32 + x;
			} else {
				v += d * 32 + (x - 32) + 1;
				out[n++] = v;
				d = 0;
			}
		}
		return out.subarray(0, n);
	}

	var listCache = new Map();

	/* A list of an entry: inline text, or the number of its search/pNNNNN.js. */
	function listOf(v) {
		if (typeof v === "string") {
			var hit = listCache.get(v);
			if (hit)
				return Promise.resolve(hit);
			var l = decodeList(v);
			if (v.length > 64) {
				if (listCache.size >= LIST_CACHE)
					listCache.delete(listCache.keys().next().value);
				listCache.set(v, l);
			}
			return Promise.resolve(l);
		}
		if (typeof v === "number" && v >= 0 && v === (v | 0)) {
			return need("search/p" + pad5(v) + ".js", function () { return postLists[v] !== undefined; })
				.then(function () { return listOf(postLists[v] || ""); });
		}
		return Promise.resolve(new Uint32Array(0));
	}

	/* Rows of one word: best level per row (Uint8Array), and the rows touched. */
	function wordMatch(count) {
		return { lvl: new Uint8Array(count).fill(L_NONE), rows: [] };
	}

	function mark(m, list, level) {
		var lvl = m.lvl;
		for (var i = 0; i < list.length; i++) {
			var r = list[i];
			if (r >= lvl.length)
				continue;
			if (lvl[r] > level) {
				if (lvl[r] === L_NONE)
					m.rows.push(r);
				lvl[r] = level;
			}
		}
	}

	/* An entry's two lists, marked at level (title) and level + L_BODY (body). */
	function markEntry(m, e, level) {
		if (!e)
			return Promise.resolve();
		return Promise.all([listOf(e[1]), listOf(e[2])]).then(function (ls) {
			mark(m, ls[0], level);
			mark(m, ls[1], level + L_BODY);
		});
	}

	/*
	 * One query word (SPEC.md 11.5): its exact key; then its near forms,
	 * each key once: "=" + the word (a Latin word's Cyrillic namesakes);
	 * when lex.js is there (it ends reader.js in a library), each Latin
	 * form of a Cyrillic word, as a key and under "=" (11.6); and for the
	 * word and each of those forms, the stems it may have (svdStemForms
	 * with the root's "stems", 11.7): "~" + stem (the words of that stem),
	 * and the stem itself and "=" + it (a word without an ending, in either
	 * script). Then, when it is the last word, the keys it is a prefix of.
	 */
	function matchWord(w, last, count) {
		var m = wordMatch(count);
		var seen = Object.create(null);
		var jobs = [];
		function near(key) {
			if (seen[key] || key === w)
				return;
			seen[key] = true;
			jobs.push(lookup(key).then(function (e) { return markEntry(m, e, L_TITLE_NEAR); }));
		}
		seen[w] = true;
		jobs.push(lookup(w).then(function (e) { return markEntry(m, e, L_TITLE); }));
		near("=" + w);
		/* the tables and the rules come with the root (search/dict.js) */
		var forms = needRoot().then(function () {
			var words = [w];
			if (typeof window.svdTranslitForms === "function") {
				(window.svdTranslitForms(w) || []).forEach(function (f) {
					f = String(f);
					if (!f || words.indexOf(f) >= 0)
						return;
					words.push(f);
					near(f);
					near("=" + f);
				});
			}
			if (typeof window.svdStemForms === "function") {
				words.forEach(function (x) {
					(window.svdStemForms(x, root && root.stems) || []).forEach(function (s) {
						s = String(s);
						near("~" + s);
						near(s);
						near("=" + s);
					});
				});
			}
			return Promise.all(jobs.slice(0));
		});
		if (last) {
			jobs.push(lookupPrefix(w).then(function (es) {
				return Promise.all(es.map(function (e) {
					return e[0] === w ? null : markEntry(m, e, L_TITLE_PREFIX);
				}));
			}));
		}
		return Promise.all(jobs).then(function () { return forms; }).then(function () { return m; });
	}

	/* A facet's rows as a mask, or null when the value has no rows. */
	function facetMask(name, value, count) {
		return lookup("#" + name + "=" + value).then(function (e) {
			if (!e)
				return new Uint8Array(count);
			return listOf(e[1]).then(function (l) {
				var m = new Uint8Array(count);
				for (var i = 0; i < l.length; i++)
					if (l[i] < count)
						m[l[i]] = 1;
				return m;
			});
		});
	}

	/*
	 * The search: every word must match (AND), and every filter. A row's
	 * score is the sum over the words of their best level; rows by score,
	 * then by row (the library's order: newer first). Resolves to
	 * {rows: Uint32Array in order, suggest: rows whose every word is in
	 * the title, newest first, at most SUGGEST}.
	 */
	function runSearch(words, filters, count) {
		var jobs = words.map(function (w, i) { return matchWord(w, i === words.length - 1, count); });
		var fjobs = filters.map(function (f) { return facetMask(f[0], f[1], count); });
		return Promise.all([Promise.all(jobs), Promise.all(fjobs)]).then(function (got) {
			var ms = got[0], masks = got[1];
			var cand = null, r, i, k;
			if (!ms.length && !masks.length) {
				/* nothing asked: every row, in order */
				cand = [];
				for (r = 0; r < count; r++)
					cand.push(r);
			} else if (ms.length) {
				var best = ms[0];
				ms.forEach(function (m) { if (m.rows.length < best.rows.length) best = m; });
				cand = best.rows;
			} else {
				cand = [];
				var m0 = masks[0];
				for (r = 0; r < count; r++)
					if (m0[r])
						cand.push(r);
			}
			var keys = new Float64Array(cand.length);
			var suggest = [];
			var n = 0;
			for (k = 0; k < cand.length; k++) {
				r = cand[k];
				var score = 0, title = true, ok = true;
				for (i = 0; i < ms.length && ok; i++) {
					var l = ms[i].lvl[r];
					if (l === L_NONE)
						ok = false;
					score += l;
					if (l >= L_BODY)
						title = false;
				}
				for (i = 0; i < masks.length && ok; i++)
					if (!masks[i][r])
						ok = false;
				if (!ok)
					continue;
				keys[n++] = score * 4294967296 + r;
				if (title && ms.length)
					suggest.push(r);
			}
			keys = keys.subarray(0, n).sort();
			var rows = new Uint32Array(n);
			for (k = 0; k < n; k++)
				rows[k] = keys[k] % 4294967296;
			suggest.sort(function (a, b) { return a - b; });
			return { rows: rows, suggest: suggest.slice(0, SUGGEST) };
		});
	}

	/* The rows' data ([id, date, title, authors, lang, kind, region]) of these rows. */
	function rowData(list) {
		var R = (root && root.chunkRows) || 128;
		var need_ = [];
		list.forEach(function (r) {
			var c = Math.floor(r / R);
			if (need_.indexOf(c) < 0)
				need_.push(c);
		});
		return Promise.all(need_.map(needChunk)).then(function () {
			return list.map(function (r) {
				var c = rowChunks[Math.floor(r / R)];
				var d = c && c[r % R];
				return Array.isArray(d) ? d : null;
			});
		});
	}

	function bdi(parent, s) {
		var b = document.createElement("bdi");
		b.textContent = s;
		parent.appendChild(b);
	}

	/* A result row, as index.html's rows are (every text as textContent). */
	function makeRow(r, d) {
		var tr = document.createElement("tr");
		tr.setAttribute("data-n", String(r));
		tr.setAttribute("data-id", String(d[0]));
		var td = [];
		for (var i = 0; i < 6; i++) {
			td.push(document.createElement("td"));
			tr.appendChild(td[i]);
		}
		td[0].textContent = String(d[1] || "");
		var a = document.createElement("a");
		a.href = "pages/" + encodeURIComponent(String(d[0])) + ".html";
		if (d[4])
			a.setAttribute("lang", String(d[4]));
		bdi(a, String(d[2] || d[0]));
		td[1].appendChild(a);
		if (d[3])
			bdi(td[2], String(d[3]));
		if (d[4])
			bdi(td[3], String(d[4]));
		td[4].textContent = String(d[5] || "");
		if (d[6])
			bdi(td[5], String(d[6]));
		return tr;
	}

	function startPaged() {
		var count = parseInt(table.getAttribute("data-rows"), 10) || 0;
		var q = document.getElementById("q");
		var more = document.getElementById("more");
		var moreBtn = more ? more.querySelector("button") : null;
		var suggestEl = document.getElementById("suggest");
		var randomBtn = document.getElementById("random");
		var pagers = Array.prototype.slice.call(document.querySelectorAll(".pager"));
		var firstBody = table.tBodies[0];
		var resultBody = document.createElement("tbody");
		var result = null;        /* the last search's rows, or null: the first page shows */
		var shownN = 0;
		var typed = false;        /* the last change was typing: suggest titles */
		total = count;

		function setBusy(on) {
			if (on)
				table.setAttribute("aria-busy", "true");
			else
				table.removeAttribute("aria-busy");
		}

		function showFirstPage() {
			result = null;
			if (resultBody.parentNode)
				table.replaceChild(firstBody, resultBody);
			pagers.forEach(function (p) { p.hidden = false; });
			if (more)
				more.hidden = true;
			setCount(count);
		}

		/* Rows from..to of the result, into the results' body. */
		function showRows(my, upto) {
			var slice = Array.prototype.slice.call(result.subarray(shownN, upto));
			return rowData(slice).then(function (ds) {
				if (my !== gen)
					return;
				var frag = document.createDocumentFragment();
				slice.forEach(function (r, i) {
					if (ds[i])
						frag.appendChild(makeRow(r, ds[i]));
				});
				resultBody.appendChild(frag);
				shownN = upto;
				if (more)
					more.hidden = shownN >= result.length;
			});
		}

		function showSuggest(my, rows) {
			if (!suggestEl)
				return Promise.resolve();
			if (!rows.length) {
				suggestEl.hidden = true;
				suggestEl.textContent = "";
				return Promise.resolve();
			}
			return rowData(rows).then(function (ds) {
				if (my !== gen)
					return;
				suggestEl.textContent = "";
				rows.forEach(function (r, i) {
					var d = ds[i];
					if (!d)
						return;
					var li = document.createElement("li");
					var a = document.createElement("a");
					a.href = "pages/" + encodeURIComponent(String(d[0])) + ".html";
					a.setAttribute("data-n", String(r));
					if (d[4])
						a.setAttribute("lang", String(d[4]));
					bdi(a, String(d[2] || d[0]));
					li.appendChild(a);
					suggestEl.appendChild(li);
				});
				suggestEl.hidden = !suggestEl.firstChild;
			});
		}

		var lastKeyP = null;

		function filterPaged() {
			var st = readState();
			var key = JSON.stringify(st);
			var suggestNow = typed;
			typed = false;
			writeHash(st);
			if (key === lastKeyP)
				return;
			lastKeyP = key;
			var my = ++gen;
			busy++;
			setBusy(true);
			function finish() {
				busy--;
				if (!busy)
					setBusy(false);
				settle();
			}
			function go() {
				if (my !== gen)
					return finish();
				var words = [];
				tokens(st.q, true).forEach(function (w) {
					if (cpCount(w) >= TOKEN_MIN && words.indexOf(w) < 0)
						words.push(w);
				});
				var filters = [];
				FILTERS.forEach(function (f) {
					if (st[f[0]])
						filters.push([f[0], st[f[0]]]);
				});
				if (!words.length && !filters.length) {
					showFirstPage();
					showSuggest(my, []);
					return finish();
				}
				var t0 = performance.now();
				countEl.textContent = "Searching\u2026";
				runSearch(words, filters, count).then(function (res) {
					if (my !== gen)
						return;
					result = res.rows;
					shownN = 0;
					resultBody.textContent = "";
					if (firstBody.parentNode)
						table.replaceChild(resultBody, firstBody);
					pagers.forEach(function (p) { p.hidden = true; });
					setCount(result.length);
					return Promise.all([
						showRows(my, Math.min(result.length, PAGE_RESULTS)),
						showSuggest(my, suggestNow && words.length ? res.suggest : [])
					]).then(function () {
						window.svdReader.timing.search = performance.now() - t0;
					});
				}).catch(function (e) {
					countEl.textContent = "Search failed: " + (e && e.message || e);
				}).then(finish);
			}
			if (!foldIdx && /[^\s]/.test(st.q))
				foldWaiters.push(go);
			else
				go();
		}

		/* The filter selects, from search/facets.js: "value (count)" each. */
		function fillFacets() {
			return need("search/facets.js", function () { return facetData; }).then(function () {
				if (!facetData)
					return;
				FILTERS.forEach(function (f) {
					var el = document.getElementById(f[1]);
					var list = facetData[f[0]];
					if (!el || !Array.isArray(list))
						return;
					var frag = document.createDocumentFragment();
					list.forEach(function (v) {
						if (!Array.isArray(v) || typeof v[0] !== "string")
							return;
						var label = typeof v[2] === "string" && v[2] ? v[2] : v[0];
						var o = new Option(label + " (" + Number(v[1]) + ")", v[0]);
						o.dir = "auto";
						frag.appendChild(o);
					});
					el.appendChild(frag);
				});
				lastKeyP = null;
				applyState(hashToState(location.hash));
			});
		}

		function laterP() {
			typed = true;
			clearTimeout(timer);
			timer = setTimeout(function () {
				timer = 0;
				typed = true;
				filterPaged();
				settle();
			}, DEBOUNCE_MS);
		}
		function nowP() {
			clearTimeout(timer);
			timer = 0;
			filterPaged();
		}
		runNow = nowP;

		wireControls(form, q, countEl, nowP, laterP);
		if (moreBtn) {
			moreBtn.addEventListener("click", function () {
				if (!result)
					return;
				var my = gen;
				busy++;
				showRows(my, Math.min(result.length, shownN + PAGE_RESULTS)).then(function () {
					busy--;
					settle();
				});
			});
		}
		if (randomBtn) {
			randomBtn.addEventListener("click", function () {
				if (!count)
					return;
				var r = Math.floor(Math.random() * count);
				rowData([r]).then(function (ds) {
					if (ds[0])
						location.href = "pages/" + encodeURIComponent(String(ds[0][0])) + ".html";
				});
			});
		}
		window.addEventListener("hashchange", function () {
			var st = hashToState(location.hash);
			if (JSON.stringify(st) !== JSON.stringify(readState())) {
				applyState(st);
				nowP();
			}
		});
		window.svdReader.timing = {};
		/* what was loaded so far: dictionary blocks, list files, rows files */
		window.svdReader.loaded = function () {
			var n = function (a) { return a.filter(function (x) { return x !== undefined; }).length; };
			return { root: !!root, blocks: n(dictBlocks), posts: n(postLists), rows: n(rowChunks) };
		};
		window.svdReader.search = function (query, filters) {
			var words = tokens(String(query || ""), true).filter(function (w) { return cpCount(w) >= TOKEN_MIN; });
			var fs = [];
			Object.keys(filters || {}).forEach(function (k) {
				if (filters[k])
					fs.push([k, filters[k]]);
			});
			return runSearch(words, fs, count).then(function (res) {
				return { rows: Array.prototype.slice.call(res.rows), suggest: res.suggest };
			});
		};
		showForm(form);
		busy++;
		fillFacets().then(function () {
			busy--;
			nowP();
			settle();
		});
	}

	/*
	 * Once every deferred script has run: if fold.js came before this file
	 * (and so could not call svdFold), load it again.
	 */
	var foldAsked = false;

	/* The form as the address says, shown, and the folding table loaded once the page is. */
	function showForm(form) {
		applyState(hashToState(location.hash));
		form.hidden = false;
		if (document.readyState === "complete") {
			loadFold();
		} else {
			document.addEventListener("DOMContentLoaded", loadFold);
			window.addEventListener("load", loadFold);
		}
	}

	function loadFold() {
		if (foldIdx || foldAsked)
			return;
		foldAsked = true;
		var s = document.createElement("script");
		s.src = "search/fold.js";
		s.onload = s.onerror = function () {
			s.remove();
			if (!foldIdx)   /* no table: fold ASCII only, rather than never search */
				window.svdFold({});
		};
		document.head.appendChild(s);
	}

	function start() {
		var t0 = performance.now();
		form = document.getElementById("filters");
		table = document.getElementById("items");
		countEl = document.getElementById("count");
		var q = document.getElementById("q");
		if (!form || !table || !countEl || !q || !table.tBodies.length)
			return;   /* an item page, or a page this script does not know */
		if (table.hasAttribute("data-pages"))
			return startPaged();
		runNow = now;

		rows = [];
		Array.prototype.forEach.call(table.tBodies, function (b) {
			Array.prototype.push.apply(rows, Array.prototype.slice.call(b.rows));
		});
		total = rows.length;
		shown = new Uint8Array(total).fill(1);   /* the page shows every row */
		makeChunks();
		window.svdReader.timing = { start: performance.now() - t0 };
		wireControls(form, q, countEl, now, later);
		window.addEventListener("hashchange", function () {
			var st = hashToState(location.hash);
			if (JSON.stringify(st) !== JSON.stringify(readState())) {
				applyState(st);
				now();
			}
		});
		showForm(form);
		now();
		/* read the rows while the reader looks at the page, not when they type */
		function idleWork() {
			if (chunks.length > 1 && !rowH) {
				/* the groups' heights from a real row, not the guess */
				measureRow();
				if (rowH)
					sizeChunks(true);
			}
			readRows(function () {});
		}
		function prefetch() {
			if (window.requestIdleCallback)
				requestIdleCallback(idleWork, { timeout: 3000 });
			else
				setTimeout(idleWork, 200);
		}
		if (document.readyState === "complete")
			prefetch();
		else
			window.addEventListener("load", prefetch);
	}

	if (document.readyState === "loading")
		document.addEventListener("DOMContentLoaded", start);
	else
		start();
})();
