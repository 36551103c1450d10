/*
 * search.c: the search shards of a reader library (SPEC.md, 11.5):
 * search/sNN.js, each folded token of the shard with the rows of the shown
 * items that hold it, in byte order (the daemon's); and the paged library's
 * rows, dictionary and facets (SPEC.md, 11.5 and 11.6).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "samvydav/render.h"
#include "samvydav/text.h"
#include "catalog_internal.h"
#include "library_paths.h"
#include "render_internal.h"
#include "util.h"

_Static_assert(SVD_LIBRARY_SHARDS == SVD_SEARCH_SHARDS, "one count of search shards");

/* \\uXXXX, upper-case hex */
static void js_u4(svd_buf *b, uint32_t u)
{
	static const char hex[] = "0123456789ABCDEF";
	char e[6] = {'\\',       'u', hex[(u >> 12) & 15], hex[(u >> 8) & 15], hex[(u >> 4) & 15],
	             hex[u & 15]};

	svd_buf_put(b, e, sizeof(e));
}

int svd_render_shard(svd_buf *b, const svd_catalog *c, unsigned n)
{
	size_t i;

	if (!c->finished)
		return svd_error_set(SVD_EINVALID, "the catalog is not finished");
	if (n >= SVD_SEARCH_SHARDS)
		return svd_error_set(SVD_EINVALID, "no search shard %u (0 to 63)", n);
	svd_buf_printf(b, "svdShard(%u, {", n);
	for (i = 0; i < c->shard_n[n] && !b->error; i++) {
		const ctok *t = &c->toks[c->shard_toks[n][i]];
		const char *s = c->arena + t->off;
		size_t k = 0, used;
		uint32_t j;

		svd_buf_puts(b, i ? ",\n\"" : "\n\"");
		/* ASCII only: every other code point as \uXXXX (surrogate pairs above the BMP) */
		while (k < t->len) {
			uint32_t cp = svd_utf8_next(s + k, t->len - k, &used);
			if (cp < 0x80) {
				svd_buf_put(b, s + k, 1);
			} else if (cp < 0x10000) {
				js_u4(b, cp);
			} else {
				js_u4(b, 0xD800 + ((cp - 0x10000) >> 10));
				js_u4(b, 0xDC00 + ((cp - 0x10000) & 0x3FF));
			}
			k += used;
		}
		svd_buf_puts(b, "\":[");
		for (j = c->post_off[c->shard_toks[n][i]]; j < c->post_off[c->shard_toks[n][i] + 1];
		     j++) {
			/* decimal by hand: millions of numbers, printf is most of the time */
			char num[12];
			size_t at = sizeof(num);
			uint32_t v = c->post[j];
			do {
				num[--at] = (char)('0' + v % 10);
				v /= 10;
			} while (v);
			if (j != c->post_off[c->shard_toks[n][i]])
				num[--at] = ',';
			svd_buf_put(b, num + at, sizeof(num) - at);
		}
		svd_buf_puts(b, "]");
	}
	svd_buf_puts(b, "\n});\n");
	return b->error;
}

/*
 * The paged library's search data (SPEC.md, 11.5): rows/NNNNN.js, the
 * dictionary (search/dict.js, dNNNNN.js, pNNNNN.js) and search/facets.js.
 */

#define DICT_BLOCK  32768 /* a block is closed once it holds this many bytes */
#define POST_INLINE 8192  /* a list longer than this (encoded) has a file of its own */

/*
 * A JavaScript string literal's content: UTF-8 as it is, but for '"', '\\',
 * '<', controls and U+2028/U+2029 escaped, and bytes that are not UTF-8 and
 * the controls SPEC.md 13 names as U+FFFD (as svd_buf_html shows them).
 */
static void js_str(svd_buf *b, const char *s, size_t n)
{
	size_t i = 0, run = 0, used;

	while (i < n) {
		unsigned char ch = (unsigned char)s[i];
		uint32_t cp = ch < 0x80 ? (used = 1, ch) : svd_utf8_next(s + i, n - i, &used);
		int plain = cp != '\t' && cp != '\n' && !svd_text_control(cp) &&
		            !(cp == 0xFFFD && used == 1);

		if (plain && cp != '"' && cp != '\\' && cp != '<') {
			i += used;
			continue;
		}
		svd_buf_put(b, s + run, i - run);
		if (cp == '"' || cp == '\\') {
			char e[2] = {'\\', (char)cp};
			svd_buf_put(b, e, 2);
		} else {
			js_u4(b, plain || cp == '\t' || cp == '\n' ? cp : 0xFFFD);
		}
		i += used;
		run = i;
	}
	svd_buf_put(b, s + run, n - run);
}

static void js_quoted(svd_buf *b, const char *s)
{
	svd_buf_puts(b, "\"");
	if (s)
		js_str(b, s, strlen(s));
	svd_buf_puts(b, "\"");
}

int svd_render_rows(svd_buf *b, const svd_catalog *c, size_t n)
{
	size_t r, end;

	if (!c->finished)
		return svd_error_set(SVD_EINVALID, "the catalog is not finished");
	if (n * SVD_CHUNK_ROWS >= c->nrows && !(n == 0 && c->nrows == 0))
		return svd_error_set(SVD_ENOTFOUND, "no rows chunk %zu", n);
	end = (n + 1) * SVD_CHUNK_ROWS < c->nrows ? (n + 1) * SVD_CHUNK_ROWS : c->nrows;
	svd_buf_printf(b, "svdRows(%zu, [", n);
	for (r = n * SVD_CHUNK_ROWS; r < end && !b->error; r++) {
		const citem *it = &c->v[c->rows[r]];
		svd_view_item vi;
		const svd_view_item *row = svd_catalog_row_item(&vi, c, r);
		const char *a, *aend;

		/* the date as the manifest gives it (a date, checked at parse), cut to 10 bytes */
		svd_buf_printf(b, "%s\n[\"%s\",\"", r % SVD_CHUNK_ROWS ? "," : "", it->id);
		js_str(b, row->date, strnlen(row->date, 10));
		svd_buf_puts(b, "\",");
		js_quoted(b, row->title);
		svd_buf_puts(b, ",\"");
		for (a = row->authors; a && *a; a = aend + 1) {
			if (!(aend = strchr(a, SVD_VIEW_LIST_END)))
				aend = a + strlen(a); /* the view ends each one: never */
			if (a != row->authors)
				svd_buf_puts(b, ", ");
			js_str(b, a, (size_t)(aend - a));
			if (!*aend)
				break;
		}
		svd_buf_puts(b, "\",");
		js_quoted(b, row->lang);
		svd_buf_printf(b, ",\"%s\",", svd_kind_name(row->kind));
		js_quoted(b, row->region);
		svd_buf_puts(b, "]");
	}
	svd_buf_puts(b, "\n]);\n");
	return b->error;
}

/*
 * A list of rows, ascending, as text (SPEC.md, 11.5): each row as its gap
 * from the one before (the first from -1) less one, in base 32, most
 * significant digit first, the last digit from one alphabet and the ones
 * before it from another, so that a list of every row is a byte a row.
 */
typedef struct rowlist {
	svd_buf *b;
	long last;
} rowlist;

static void list_put(rowlist *l, uint32_t row)
{
	static const char more[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef";
	static const char end[] = "ghijklmnopqrstuvwxyz0123456789-_";
	uint32_t d = (uint32_t)((long)row - l->last - 1);
	char digits[8];
	size_t at = sizeof(digits);

	digits[--at] = end[d & 31];
	for (d >>= 5; d; d >>= 5)
		digits[--at] = more[d & 31];
	svd_buf_put(l->b, digits + at, sizeof(digits) - at);
	l->last = row;
}

/*
 * A near form (SPEC.md, 11.5 to 11.7): a "~stem" or "=latin" key for some
 * of one token's rows: all of them (FORM_ALL), those whose item's language
 * has stemmer sel (FORM_STEM: form_set.row_stem), or those whose item's
 * scheme is sel (FORM_SCHEME: form_set.row_scheme). Several forms may name
 * one key; its rows are theirs together.
 */
enum { FORM_ALL, FORM_STEM, FORM_SCHEME };

typedef struct dform {
	uint32_t off, len; /* the key, in form_set.arena */
	uint32_t tok;
	uint8_t kind, sel;
} dform;

/* One key of the dictionary: a word (tok >= 0), a facet's value (rows) or near forms. */
typedef struct dkey {
	const char *s;
	uint32_t len;
	long tok;             /* the word's; KEY_FACET, KEY_FORMS */
	const uint32_t *rows; /* a facet's, ascending */
	size_t nrows;
	const dform *forms; /* KEY_FORMS: forms[0..nforms), all of this key */
	size_t nforms;
} dkey;

#define KEY_FACET (-1)
#define KEY_FORMS (-2)

static int cmp_dkey(const void *x, const void *y)
{
	const dkey *a = x, *b = y;
	int d = memcmp(a->s, b->s, a->len < b->len ? a->len : b->len);

	if (d)
		return d;
	return a->len < b->len ? -1 : a->len > b->len;
}

/* Facets: per row, its key ("#lang=uk"), sorted by key then row. */
#define FACETS 4
static const char *const facet_names[FACETS] = {"lang", "kind", "region", "year"};

typedef struct fent {
	uint32_t off, len, row;
} fent;

typedef struct facet_set {
	char *arena; /* the keys, one after the other */
	size_t alen, acap;
	fent *v;
	size_t n;
	uint32_t *rows; /* v's rows, in v's order */
} facet_set;

/* By key, then row; arg is the keys' arena. */
static int cmp_fent(const void *x, const void *y, void *arg)
{
	const char *arena = arg;
	const fent *a = x, *b = y;
	int d = memcmp(arena + a->off, arena + b->off, a->len < b->len ? a->len : b->len);

	if (d)
		return d;
	if (a->len != b->len)
		return a->len < b->len ? -1 : 1;
	return a->row < b->row ? -1 : a->row > b->row;
}

/* The value of facet f for a row (the view's fields), into v (the region folded); 0 when it has none. */
static int facet_value(svd_buf *v, const svd_view_item *row, int f)
{
	const char *s = NULL, *published;

	switch (f) {
	case 0:
		s = row->lang;
		break;
	case 1:
		s = svd_kind_name(row->kind);
		break;
	case 2:
		if ((s = row->region) && *s) {
			svd_fold(v, s, strlen(s));
			return v->len > strlen(facet_names[f]) + 2;
		}
		return 0;
	default:
		published = row->date;
		if (published && strlen(published) >= 4)
			svd_buf_printf(v, "%.4s", published);
		else
			svd_buf_puts(v, SVD_YEAR_UNDATED);
		return 1;
	}
	if (!s || !*s)
		return 0;
	svd_buf_puts(v, s);
	return 1;
}

static int facet_build(facet_set *fs, const svd_catalog *c, int f)
{
	svd_buf v;
	size_t r;
	int error = 0;

	memset(fs, 0, sizeof(*fs));
	if (!(fs->v = malloc((c->nrows + 1) * sizeof(*fs->v))))
		return svd_error_set(SVD_ERROR, "out of memory building the search index");
	svd_buf_init(&v, 4096 + SVD_RENDER_PAGE_MAX);
	for (r = 0; r < c->nrows && error == 0; r++) {
		svd_view_item vi;
		v.len = 0;
		svd_buf_printf(&v, "#%s=", facet_names[f]);
		if (!facet_value(&v, svd_catalog_row_item(&vi, c, r), f))
			continue;
		if ((error = v.error) < 0 ||
		    (error = svd_grow(&fs->arena, &fs->acap, fs->alen + v.len, 1, 1u << 16)) < 0)
			break;
		memcpy(fs->arena + fs->alen, v.data, v.len);
		fs->v[fs->n].off = (uint32_t)fs->alen;
		fs->v[fs->n].len = (uint32_t)v.len;
		fs->v[fs->n].row = (uint32_t)r;
		fs->alen += v.len;
		fs->n++;
	}
	svd_buf_clear(&v);
	if (error < 0)
		return error;
	qsort_r(fs->v, fs->n, sizeof(*fs->v), cmp_fent, fs->arena);
	if (!(fs->rows = malloc((fs->n + 1) * sizeof(*fs->rows))))
		return svd_error_set(SVD_ERROR, "out of memory building the search index");
	for (r = 0; r < fs->n; r++)
		fs->rows[r] = fs->v[r].row;
	return 0;
}

static void facet_clear(facet_set *fs)
{
	free(fs->arena);
	free(fs->v);
	free(fs->rows);
}

/* search/facets.js: each facet's values (by bytes; years newest first, "undated" last). */
static int facets_js(svd_buf *b, const svd_catalog *c, facet_set *fs)
{
	int f;

	svd_buf_puts(b, "svdFacets({");
	for (f = 0; f < FACETS; f++) {
		size_t pre = strlen(facet_names[f]) + 2, i, ng = 0, *g;
		const facet_set *s = &fs[f];

		if (!(g = malloc((s->n + 1) * sizeof(*g))))
			return svd_error_set(SVD_ERROR, "out of memory");
		for (i = 0; i < s->n; i++)
			if (i == 0 ||
			    cmp_dkey(&(dkey){s->arena + s->v[i].off, s->v[i].len, 0, 0, 0, 0, 0},
			             &(dkey){s->arena + s->v[i - 1].off, s->v[i - 1].len, 0, 0, 0,
			                     0, 0}))
				g[ng++] = i;
		g[ng] = s->n;
		svd_buf_printf(b, "%s\n\"%s\": [", f ? "," : "", facet_names[f]);
		for (i = 0; i < ng; i++) {
			/* years: newest first, then "undated" (after the digits in bytes) */
			size_t k = i;
			const fent *e;
			if (f == 3) {
				int undated =
				    ng && s->v[g[ng - 1]].len == pre + strlen(SVD_YEAR_UNDATED);
				k = undated ? (i + 1 < ng ? ng - 2 - i : ng - 1) : ng - 1 - i;
			}
			e = &s->v[g[k]];
			svd_buf_puts(b, i ? ",\n[\"" : "\n[\"");
			js_str(b, s->arena + e->off + pre, e->len - pre);
			svd_buf_printf(b, "\",%zu", g[k + 1] - g[k]);
			if (f == 2) {
				svd_view_item vi;
				const char *label = svd_catalog_row_item(&vi, c, e->row)->region;
				svd_buf_puts(b, ",");
				js_quoted(b, label);
			} else if (f == 3 && e->len == pre + strlen(SVD_YEAR_UNDATED)) {
				svd_buf_puts(b,
				             ",\"No date\""); /* "undated", as the one-page index */
			}
			svd_buf_puts(b, "]");
		}
		svd_buf_puts(b, "]");
		free(g);
	}
	svd_buf_puts(b, "\n});\n");
	return b->error;
}

/*
 * The near forms of the words (SPEC.md, 11.6, 11.7), and the endings the
 * stemmers cut (the root's "stems", for the reader, which has no stemmer
 * of its own): per item, its stemmer and scheme; per word, a form for each
 * stemmer and scheme among its rows' that gives one. What this holds: a
 * byte or two per row, a dform and a key per form, a rule per stem.
 */
#define STEMMERS_MAX 32  /* Snowball 2.2 has 29 of the languages of SPEC.md 11.7 */
#define RULE_FROM    8   /* code points an ending cut may have, at most */
#define RULE_TO      4   /* code points a stem may end in instead, at most */
#define RULES_MAX    256 /* the most frequent endings the root lists */

typedef struct form_set {
	char *arena; /* the forms' keys and the rules ("from", a NUL, "to") */
	size_t alen, acap;
	dform *v;
	size_t n, cap;
	fent *rules; /* off, len into arena; row: how many words gave it */
	size_t nrules, caprules;
	uint8_t *row_stem;   /* per row: its item's stemmer + 1; 0 for none */
	uint8_t *row_scheme; /* per row: its item's scheme (SVD_TRANSLIT_*) */
	svd_stemmer *st[STEMMERS_MAX];
	size_t nst;
	uint32_t *tmp; /* one key's rows while it is written: row * 2 + (0 title, 1 body) */
	size_t ntmp, tmpcap;
} form_set;

static void form_clear(form_set *fo)
{
	size_t i;

	for (i = 0; i < fo->nst; i++)
		svd_stemmer_free(fo->st[i]);
	free(fo->arena);
	free(fo->v);
	free(fo->rules);
	free(fo->row_stem);
	free(fo->row_scheme);
	free(fo->tmp);
}

static int form_add(form_set *fo, const char *prefix, const char *s, size_t len, uint32_t tok,
                    int kind, int sel)
{
	size_t klen = strlen(prefix) + len;
	int error;

	if ((error = svd_grow(&fo->arena, &fo->acap, fo->alen + klen, 1, 1u << 16)) < 0 ||
	    (error = svd_grow(&fo->v, &fo->cap, fo->n + 1, sizeof(*fo->v), 1024)) < 0)
		return error;
	memcpy(fo->arena + fo->alen, prefix, strlen(prefix));
	memcpy(fo->arena + fo->alen + strlen(prefix), s, len);
	fo->v[fo->n++] =
	    (dform){(uint32_t)fo->alen, (uint32_t)klen, tok, (uint8_t)kind, (uint8_t)sel};
	fo->alen += klen;
	return 0;
}

/* Code points of s[0..len). */
static size_t cps_of(const char *s, size_t len)
{
	size_t i, n = 0;

	for (i = 0; i < len; i++)
		n += ((unsigned char)s[i] & 0xC0) != 0x80;
	return n;
}

/*
 * The rule a stem makes of its word: the word's ending past what the two
 * share, and what the stem has there instead ("херсона" -> "херсон": "а"
 * and ""), kept when short enough to be an ending.
 */
static int rule_add(form_set *fo, const char *w, size_t wlen, const char *stem, size_t slen)
{
	size_t k = 0, used, rlen;
	int error;

	while (k < wlen && k < slen) {
		svd_utf8_next(w + k, wlen - k, &used);
		if (k + used > slen || memcmp(w + k, stem + k, used))
			break;
		k += used;
	}
	if (cps_of(w + k, wlen - k) > RULE_FROM || cps_of(stem + k, slen - k) > RULE_TO)
		return 0;
	rlen = (wlen - k) + 1 + (slen - k);
	if ((error = svd_grow(&fo->arena, &fo->acap, fo->alen + rlen, 1, 1u << 16)) < 0 ||
	    (error = svd_grow(&fo->rules, &fo->caprules, fo->nrules + 1, sizeof(*fo->rules), 256)) <
	        0)
		return error;
	memcpy(fo->arena + fo->alen, w + k, wlen - k);
	fo->arena[fo->alen + wlen - k] = '\0';
	memcpy(fo->arena + fo->alen + wlen - k + 1, stem + k, slen - k);
	fo->rules[fo->nrules++] = (fent){(uint32_t)fo->alen, (uint32_t)rlen, 1};
	fo->alen += rlen;
	return 0;
}

/* Each row's stemmer and scheme, a stemmer for each language that has one. */
static int form_rows(form_set *fo, const svd_catalog *c)
{
	const char *alg[STEMMERS_MAX];
	size_t r, k;
	int error;

	if (!(fo->row_stem = calloc(c->nrows + 1, 1)) ||
	    !(fo->row_scheme = calloc(c->nrows + 1, 1)))
		return svd_error_set(SVD_ERROR, "out of memory building the search index");
	for (r = 0; r < c->nrows; r++) {
		svd_view_item vi;
		const char *lang = svd_catalog_row_item(&vi, c, r)->lang;
		const char *a = svd_stem_algorithm(lang);

		fo->row_scheme[r] = (uint8_t)svd_translit_scheme(lang);
		if (!a)
			continue;
		for (k = 0; k < fo->nst && strcmp(alg[k], a); k++)
			;
		if (k == fo->nst) {
			if (k == STEMMERS_MAX)
				continue;
			if ((error = svd_stemmer_new(&fo->st[k], lang)) < 0)
				return error;
			alg[fo->nst++] = a;
		}
		fo->row_stem[r] = (uint8_t)(k + 1);
	}
	return 0;
}

/*
 * A word's Latin forms: one for all its rows when both schemes write the
 * same (or its letters choose one), else one per scheme its rows have.
 */
static int word_latin(form_set *fo, svd_buf *w, uint32_t tok, const char *t, size_t len,
                      unsigned schemes)
{
	size_t ulen;
	int uk, ru, error;

	w->len = 0;
	if ((uk = svd_translit(w, t, len, SVD_TRANSLIT_UK)) < 0)
		return uk;
	ulen = w->len;
	if ((ru = svd_translit(w, t, len, SVD_TRANSLIT_RU)) < 0)
		return ru;
	if (uk && ru && w->len - ulen == ulen && !memcmp(w->data, w->data + ulen, ulen))
		return form_add(fo, "=", w->data, ulen, tok, FORM_ALL, 0);
	if (uk && (schemes & (1u << SVD_TRANSLIT_UK)) &&
	    (error = form_add(fo, "=", w->data, ulen, tok, FORM_SCHEME, SVD_TRANSLIT_UK)) < 0)
		return error;
	if (ru && (schemes & (1u << SVD_TRANSLIT_RU)))
		return form_add(fo, "=", w->data + ulen, w->len - ulen, tok, FORM_SCHEME,
		                SVD_TRANSLIT_RU);
	return 0;
}

/* By the bytes of the forms' keys, then token. */
static int cmp_dform(const void *x, const void *y, void *arg)
{
	const char *arena = arg;
	const dform *a = x, *b = y;
	int d = memcmp(arena + a->off, arena + b->off, a->len < b->len ? a->len : b->len);

	if (d)
		return d;
	if (a->len != b->len)
		return a->len < b->len ? -1 : 1;
	return a->tok < b->tok ? -1 : a->tok > b->tok;
}

/* Rules: most words first, then by bytes. */
static int cmp_rule(const void *x, const void *y, void *arg)
{
	const fent *a = x, *b = y;

	if (a->row != b->row)
		return a->row > b->row ? -1 : 1;
	return cmp_fent(x, y, arg);
}

/*
 * Every word's near forms: for each stemmer among its rows' items, "~" +
 * its stem when it has one; "=" + its Latin form, one for all its rows
 * when both schemes write the same (or the word's letters choose one),
 * else one per scheme among its rows'. Then the forms by key, and the
 * rules counted and cut to the RULES_MAX most frequent.
 */
static int form_build(form_set *fo, const svd_catalog *c)
{
	svd_buf w;
	size_t i, j, n;
	int error;

	memset(fo, 0, sizeof(*fo));
	if ((error = form_rows(fo, c)) < 0)
		return error;
	svd_buf_init(&w, 4 * SVD_TOKEN_MAX + 64);
	for (i = 0; i < c->ntoks && error == 0; i++) {
		const char *t = c->arena + c->toks[i].off;
		size_t len = c->toks[i].len, s;
		uint64_t stems = 0;
		unsigned schemes = 0;
		uint32_t p;

		for (p = c->post_off[i]; p < c->post_off[i + 1]; p++) {
			stems |=
			    fo->row_stem[c->post[p]] ? 1ull << (fo->row_stem[c->post[p]] - 1) : 0;
			schemes |= 1u << fo->row_scheme[c->post[p]];
		}
		for (s = 0; s < fo->nst && error == 0; s++) {
			if (!(stems & (1ull << s)))
				continue;
			w.len = 0;
			if ((error = svd_stem(&w, fo->st[s], t, len)) == 1 &&
			    (error = form_add(fo, "~", w.data, w.len, (uint32_t)i, FORM_STEM,
			                      (int)s + 1)) == 0)
				error = rule_add(fo, t, len, w.data, w.len);
		}
		if (error < 0)
			break;
		error = word_latin(fo, &w, (uint32_t)i, t, len, schemes);
	}
	svd_buf_clear(&w);
	if (error < 0)
		return error;
	/* (no array when there is nothing to sort, and qsort_r wants one) */
	if (fo->n)
		qsort_r(fo->v, fo->n, sizeof(*fo->v), cmp_dform, fo->arena);
	if (!fo->nrules)
		return 0;
	/* rules: count equal ones, keep the most frequent */
	qsort_r(fo->rules, fo->nrules, sizeof(*fo->rules), cmp_fent, fo->arena);
	for (i = 0, n = 0; i < fo->nrules; i = j) {
		for (j = i + 1; j < fo->nrules && fo->rules[j].len == fo->rules[i].len &&
		                !memcmp(fo->arena + fo->rules[j].off, fo->arena + fo->rules[i].off,
		                        fo->rules[i].len);
		     j++)
			;
		fo->rules[n] = fo->rules[i];
		fo->rules[n++].row = (uint32_t)(j - i);
	}
	qsort_r(fo->rules, n, sizeof(*fo->rules), cmp_rule, fo->arena);
	fo->nrules = n < RULES_MAX ? n : RULES_MAX;
	return 0;
}

typedef struct dict_out {
	const svd_catalog *c;
	form_set *fo;
	svd_render_file_cb cb;
	void *payload;
	svd_buf block, root, list, post;
	size_t nblocks, nposts, inblock;
	char path[40];
} dict_out;

static int dict_flush(dict_out *d)
{
	int error;

	if (!d->inblock)
		return 0;
	svd_buf_puts(&d->block, "\n]);\n");
	if ((error = d->block.error) < 0)
		return error;
	snprintf(d->path, sizeof(d->path), "search/d%05zu.js", d->nblocks);
	if ((error = d->cb(d->path, d->block.data, d->block.len, d->payload)) < 0)
		return error;
	d->block.len = 0;
	d->inblock = 0;
	d->nblocks++;
	return 0;
}

/* A list encoded in d->list, into the block's entry or a file of its own. */
static int dict_list(dict_out *d)
{
	int error;

	if ((error = d->list.error) < 0)
		return error;
	if (d->list.len <= POST_INLINE) {
		svd_buf_puts(&d->block, "\"");
		svd_buf_put(&d->block, d->list.data, d->list.len);
		svd_buf_puts(&d->block, "\"");
		return 0;
	}
	d->post.len = 0;
	svd_buf_printf(&d->post, "svdPost(%zu, \"", d->nposts);
	svd_buf_put(&d->post, d->list.data, d->list.len);
	svd_buf_puts(&d->post, "\");\n");
	if ((error = d->post.error) < 0)
		return error;
	snprintf(d->path, sizeof(d->path), "search/p%05zu.js", d->nposts);
	if ((error = d->cb(d->path, d->post.data, d->post.len, d->payload)) < 0)
		return error;
	svd_buf_printf(&d->block, "%zu", d->nposts++);
	return 0;
}

static int cmp_u32(const void *x, const void *y)
{
	uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;

	return a < b ? -1 : a > b;
}

/*
 * The rows of a key of near forms into fo->tmp (its first fo->ntmp), each as
 * row * 2 + (0 in the title, 1 in the body), ascending: a row's first
 * entry says whether it goes in the title list.
 */
static int form_rows_of(form_set *fo, const svd_catalog *c, const dkey *k)
{
	size_t i, n = 0, need = 0;
	uint32_t j;
	int error;

	for (i = 0; i < k->nforms; i++)
		need += c->post_off[k->forms[i].tok + 1] - c->post_off[k->forms[i].tok];
	if ((error = svd_grow(&fo->tmp, &fo->tmpcap, need + 1, sizeof(*fo->tmp), 1024)) < 0)
		return error;
	for (i = 0; i < k->nforms; i++) {
		const dform *f = &k->forms[i];
		for (j = c->post_off[f->tok]; j < c->post_off[f->tok + 1]; j++) {
			uint32_t row = c->post[j];
			if ((f->kind == FORM_STEM && fo->row_stem[row] != f->sel) ||
			    (f->kind == FORM_SCHEME && fo->row_scheme[row] != f->sel))
				continue;
			fo->tmp[n++] = row * 2 + !(c->post_title[j / 8] & (1u << (j % 8)));
		}
	}
	qsort(fo->tmp, n, sizeof(*fo->tmp), cmp_u32);
	fo->ntmp = n;
	return 0;
}

/* One key: [key, titleList, bodyList], the lists inline or a p-file's number. */
static int dict_key(dict_out *d, const dkey *k)
{
	const svd_catalog *c = d->c;
	rowlist l = {&d->list, -1};
	uint32_t j;
	int error, title;

	if (!d->inblock) {
		svd_buf_printf(&d->block, "svdDict(%zu, [", d->nblocks);
		svd_buf_puts(&d->root, d->nblocks ? ",\n\"" : "\n\"");
		js_str(&d->root, k->s, k->len);
		svd_buf_puts(&d->root, "\"");
		if ((error = d->root.error) < 0)
			return error;
	}
	svd_buf_puts(&d->block, d->inblock++ ? ",\n[\"" : "\n[\"");
	js_str(&d->block, k->s, k->len);
	svd_buf_puts(&d->block, "\",");
	if (k->tok == KEY_FORMS && (error = form_rows_of(d->fo, c, k)) < 0)
		return error;
	for (title = 1; title >= 0; title--) {
		d->list.len = 0;
		l.last = -1;
		if (k->tok == KEY_FACET) {
			size_t i;
			for (i = 0; title && i < k->nrows; i++)
				list_put(&l, k->rows[i]);
		} else if (k->tok == KEY_FORMS) {
			size_t i;
			/* a row once, in the title list when any of its words is in its title */
			for (i = 0; i < d->fo->ntmp; i++)
				if ((d->fo->tmp[i] & 1) == (uint32_t)!title &&
				    (i == 0 || d->fo->tmp[i] >> 1 != d->fo->tmp[i - 1] >> 1))
					list_put(&l, d->fo->tmp[i] >> 1);
		} else {
			for (j = c->post_off[k->tok]; j < c->post_off[k->tok + 1]; j++)
				if (!!(c->post_title[j / 8] & (1u << (j % 8))) == title)
					list_put(&l, c->post[j]);
		}
		if ((error = dict_list(d)) < 0)
			return error;
		svd_buf_puts(&d->block, title ? "," : "]");
	}
	if (d->block.len >= DICT_BLOCK)
		return dict_flush(d);
	return d->block.error;
}

/*
 * Every key in the byte order of its UTF-8, cut into blocks: the words
 * from the catalog's postings (title and body rows told apart by
 * post_title), the facets from one sort of the rows per facet. What this
 * holds beside the catalog: a dkey per distinct word and facet value, and
 * per facet a key and a row per item (facet_set).
 */
int svd_render_search(const svd_catalog *c, svd_render_file_cb cb, void *payload)
{
	facet_set fs[FACETS];
	form_set fo;
	dkey *keys = NULL;
	size_t nkeys = 0, i, cap;
	dict_out d;
	int f, error = 0;

	if (!c->finished)
		return svd_error_set(SVD_EINVALID, "the catalog is not finished");
	memset(fs, 0, sizeof(fs));
	memset(&fo, 0, sizeof(fo));
	memset(&d, 0, sizeof(d));
	d.c = c;
	d.cb = cb;
	d.payload = payload;
	svd_buf_init(&d.block, SVD_RENDER_INDEX_MAX);
	svd_buf_init(&d.root, SVD_RENDER_INDEX_MAX);
	svd_buf_init(&d.list, SVD_RENDER_INDEX_MAX);
	svd_buf_init(&d.post, SVD_RENDER_INDEX_MAX);
	for (f = 0; f < FACETS && error == 0; f++)
		error = facet_build(&fs[f], c, f);
	if (error < 0 || (error = form_build(&fo, c)) < 0)
		goto cleanup;
	d.fo = &fo;
	cap = c->ntoks + fo.n + 1;
	for (f = 0; f < FACETS; f++)
		cap += fs[f].n;
	if (!(keys = malloc(cap * sizeof(*keys)))) {
		error = svd_error_set(SVD_ERROR, "out of memory building the search index");
		goto cleanup;
	}
	for (i = 0; i < c->ntoks; i++)
		if (c->post_off[i + 1] > c->post_off[i])
			keys[nkeys++] = (dkey){
			    c->arena + c->toks[i].off, c->toks[i].len, (long)i, NULL, 0, NULL, 0};
	for (f = 0; f < FACETS; f++) {
		for (i = 0; i < fs[f].n;) {
			size_t j = i;
			while (j < fs[f].n && fs[f].v[j].len == fs[f].v[i].len &&
			       !memcmp(fs[f].arena + fs[f].v[j].off, fs[f].arena + fs[f].v[i].off,
			               fs[f].v[i].len))
				j++;
			keys[nkeys++] = (dkey){fs[f].arena + fs[f].v[i].off,
			                       fs[f].v[i].len,
			                       KEY_FACET,
			                       fs[f].rows + i,
			                       j - i,
			                       NULL,
			                       0};
			i = j;
		}
	}
	for (i = 0; i < fo.n;) {
		size_t j = i;
		while (j < fo.n && fo.v[j].len == fo.v[i].len &&
		       !memcmp(fo.arena + fo.v[j].off, fo.arena + fo.v[i].off, fo.v[i].len))
			j++;
		keys[nkeys++] = (dkey){
		    fo.arena + fo.v[i].off, fo.v[i].len, KEY_FORMS, NULL, 0, fo.v + i, j - i};
		i = j;
	}
	qsort(keys, nkeys, sizeof(*keys), cmp_dkey);
	for (i = 0; i < nkeys && error == 0; i++)
		error = dict_key(&d, &keys[i]);
	if (error == 0)
		error = dict_flush(&d);
	if (error < 0)
		goto cleanup;
	/* the blocks first, then what a query's near forms need (SPEC.md 11.5) */
	d.block.len = 0;
	svd_buf_printf(&d.block,
	               "svdDictRoot({\"format\": 1, \"rows\": %zu, \"pages\": %zu, "
	               "\"pageRows\": %u, \"chunkRows\": %u, \"blocks\": [",
	               c->nrows, svd_list_pages(c), SVD_LIST_ROWS, SVD_CHUNK_ROWS);
	svd_buf_put(&d.block, d.root.data, d.root.len);
	svd_buf_puts(&d.block, "\n],\n\"stems\": [");
	for (i = 0; i < fo.nrules; i++) {
		const char *r = fo.arena + fo.rules[i].off;
		size_t from = strlen(r); /* "from\0to" */
		svd_buf_puts(&d.block, i ? ",[\"" : "[\"");
		js_str(&d.block, r, from);
		svd_buf_puts(&d.block, "\",\"");
		js_str(&d.block, r + from + 1, fo.rules[i].len - from - 1);
		svd_buf_puts(&d.block, "\"]");
	}
	svd_buf_puts(&d.block, "],\n\"translit\": ");
	svd_render_translit_json(&d.block);
	svd_buf_puts(&d.block, "});\n");
	/* the root gathered as the blocks went: a failure there is this file's */
	if ((error = d.root.error) < 0 || (error = d.block.error) < 0 ||
	    (error = cb("search/dict.js", d.block.data, d.block.len, payload)) < 0)
		goto cleanup;
	d.block.len = 0;
	if ((error = facets_js(&d.block, c, fs)) == 0)
		error = cb("search/facets.js", d.block.data, d.block.len, payload);
cleanup:
	for (f = 0; f < FACETS; f++)
		facet_clear(&fs[f]);
	form_clear(&fo);
	free(keys);
	svd_buf_clear(&d.block);
	svd_buf_clear(&d.root);
	svd_buf_clear(&d.list);
	svd_buf_clear(&d.post);
	return error;
}
