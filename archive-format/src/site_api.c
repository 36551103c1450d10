/*
 * site_api.c: /api/items — the items a mirror shows, a page at a time,
 * filtered (site_internal.h; docs/operators.md, "The items as JSON").
 *
 * The query is untrusted: it is decoded here (application/x-www-form-
 * urlencoded), bounded, checked for UTF-8, and every key and value is
 * judged before anything is looked up. A page is found by walking the
 * view's rows from the cursor until enough items pass; the cursor is the
 * sort key of the last item of the page before (date, created, id), not a
 * row number, so it still points at the right place after the index was
 * rebuilt with items added or withdrawn. Words are matched as the reader's
 * search matches them (reader.js: matchToken): a word is a prefix of one
 * of the item's indexed words (the catalog's postings, never the bodies),
 * or a substring of its folded title and authors.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>
#include <sodium.h>

#include "samvydav/manifest.h"
#include "samvydav/text.h"
#include "samvydav/view.h"
#include "catalog_internal.h"
#include "render_internal.h"
#include "site_internal.h"
#include "util.h"

/* 2: an undated item's date is "", not that of "created" (version 1), so a cursor of 1 is refused */
#define CURSOR_VERSION 2
#define CURSOR_BYTES   63 /* version, date (10), created (20), id (32) */
#define KEY_SHOWN_MAX  48 /* bytes of a refused key quoted in a message */
#define PAGE_MAX       (64u * 1024 * 1024)
#define TEXT_MAX       (64u * 1024)

_Static_assert(SVD_API_CURSOR_LEN + 1 ==
                   sodium_base64_ENCODED_LEN(CURSOR_BYTES,
                                             sodium_base64_VARIANT_URLSAFE_NO_PADDING),
               "a cursor's length");

/* The query. */

static const char *const keys[] = {"limit",  "after", "lang", "kind",
                                   "region", "since", "year", "q"};

void svd_api_query_free(svd_api_query *q)
{
	size_t i;

	if (!q)
		return;
	free(q->lang);
	free(q->region);
	for (i = 0; i < q->nwords; i++)
		free(q->words[i]);
	free(q);
}

/*
 * Decode one key or value of a form-encoded query: '+' is a space, %XX a
 * byte. Returns the length, or -1 for a '%' not followed by two hex digits.
 * out has room for len bytes and a NUL (decoding never grows).
 */
static long form_decode(char *out, const char *s, size_t len)
{
	size_t i, o = 0;

	for (i = 0; i < len; i++) {
		if (s[i] == '+') {
			out[o++] = ' ';
		} else if (s[i] == '%') {
			uint8_t v;

			if (i + 2 >= len || svd_hex_decode(&v, 1, s + i + 1) < 0)
				return -1;
			out[o++] = (char)v;
			i += 2;
		} else {
			out[o++] = s[i];
		}
	}
	out[o] = '\0';
	return (long)o;
}

/* A key as a message may quote it: escaped (text.h), cut at KEY_SHOWN_MAX bytes. */
static const char *shown_key(char *buf, size_t size, const char *key, size_t len)
{
	size_t n = len > KEY_SHOWN_MAX ? KEY_SHOWN_MAX : len;

	if (svd_text_escape(buf, size, key, n, 0) >= size || n < len) {
		size_t at = strlen(buf);
		if (at + 4 > size)
			at = size - 4;
		memcpy(buf + at, "...", 4);
	}
	return buf;
}

/* limit: 1 to SVD_API_LIMIT_MAX, decimal. */
static int parse_limit(svd_api_query *q, const char *v)
{
	size_t n = strlen(v), i;
	unsigned long x = 0;

	if (n == 0 || n > 7 || strspn(v, "0123456789") != n)
		goto bad;
	for (i = 0; i < n; i++)
		x = x * 10 + (unsigned long)(v[i] - '0');
	if (x < 1 || x > SVD_API_LIMIT_MAX)
		goto bad;
	q->limit = (unsigned)x;
	return 0;
bad:
	return svd_error_set(SVD_EINVALID, "limit: not a whole number from 1 to %d (default %d)",
	                     SVD_API_LIMIT_MAX, SVD_API_LIMIT_DEFAULT);
}

/* One field of a cursor: bytes up to a NUL, then NULs only; no control characters. */
static int cursor_field(char *out, const unsigned char *f, size_t n)
{
	size_t len = strnlen((const char *)f, n), i;

	for (i = len; i < n; i++)
		if (f[i])
			return -1;
	for (i = 0; i < len; i++)
		if (f[i] < 0x20 || f[i] == 0x7f)
			return -1;
	memcpy(out, f, len);
	out[len] = '\0';
	return 0;
}

/*
 * after: a cursor as encode_cursor() wrote it, and nothing else: base64url
 * of the version and the sort key, the only encoding of those bytes.
 */
static int parse_after(svd_api_query *q, const char *v)
{
	unsigned char bin[CURSOR_BYTES];
	char again[SVD_API_CURSOR_LEN + 1];
	size_t got = 0;

	if (strlen(v) != SVD_API_CURSOR_LEN ||
	    sodium_base642bin(bin, sizeof(bin), v, SVD_API_CURSOR_LEN, NULL, &got, NULL,
	                      sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
	    got != sizeof(bin))
		goto bad;
	sodium_bin2base64(again, sizeof(again), bin, sizeof(bin),
	                  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	if (strcmp(again, v) != 0 || bin[0] != CURSOR_VERSION ||
	    cursor_field(q->after_date, bin + 1, 10) < 0 ||
	    cursor_field(q->after_created, bin + 11, 20) < 0)
		goto bad;
	svd_hex_encode(q->after_id, bin + 31, 32);
	q->after = 1;
	return 0;
bad:
	return svd_error_set(SVD_EINVALID,
	                     "after: not a cursor this mirror gives (%d characters: pass the "
	                     "\"next\" of the page before as it came)",
	                     SVD_API_CURSOR_LEN);
}

/* lang: a language tag as BCP 47 spells them (letters, digits, '-'), up to 35 characters. */
static int parse_lang(svd_api_query *q, const char *v)
{
	size_t n = strlen(v);

	if (n == 0 || n > 35 ||
	    strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-") != n ||
	    v[0] == '-')
		return svd_error_set(SVD_EINVALID,
		                     "lang: not a language tag (letters, digits and '-', up to 35, "
		                     "such as uk, en or crh-Latn; any case)");
	return (q->lang = svd_strdup(v)) ? 0 : svd_error_set(SVD_ERROR, "out of memory");
}

static int parse_kind(svd_api_query *q, const char *v)
{
	char names[256] = "";
	svd_kind k;
	int i;

	if (svd_kind_parse(&k, v) == 0) {
		q->kind = (int)k;
		return 0;
	}
	for (i = 0; svd_kind_name((svd_kind)i); i++) {
		if (i)
			strncat(names, ", ", sizeof(names) - strlen(names) - 1);
		strncat(names, svd_kind_name((svd_kind)i), sizeof(names) - strlen(names) - 1);
	}
	return svd_error_set(SVD_EINVALID, "kind: not a kind of item (one of: %s)", names);
}

static int parse_region(svd_api_query *q, const char *v)
{
	svd_buf b;

	svd_buf_init(&b, SVD_API_VALUE_MAX * 2 + 1);
	if (svd_fold(&b, v, strlen(v)) < 0 || svd_buf_put(&b, "", 1) < 0) {
		svd_buf_clear(&b);
		return svd_error_set(SVD_ERROR, "out of memory");
	}
	q->region = b.data;
	return 0;
}

/* since: YYYY-MM-DD, a day of the Gregorian calendar. */
static int parse_since(svd_api_query *q, const char *v)
{
	static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int y, m, d, i;

	if (strlen(v) != 10 || v[4] != '-' || v[7] != '-')
		goto bad;
	for (i = 0; i < 10; i++)
		if (i != 4 && i != 7 && (v[i] < '0' || v[i] > '9'))
			goto bad;
	y = atoi(v);
	m = (v[5] - '0') * 10 + (v[6] - '0');
	d = (v[8] - '0') * 10 + (v[9] - '0');
	if (m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
		goto bad;
	if (m == 2 && d == 29 && !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)))
		goto bad;
	memcpy(q->since, v, 11);
	return 0;
bad:
	return svd_error_set(SVD_EINVALID, "since: not a date YYYY-MM-DD (such as 2024-02-29)");
}

/*
 * year: YYYY (0001 to 9999, the years a "published" may have), or
 * SVD_YEAR_UNDATED for the items without one: the values of the index's
 * f-year.
 */
static int parse_year(svd_api_query *q, const char *v)
{
	if (!strcmp(v, SVD_YEAR_UNDATED) ||
	    (strlen(v) == 4 && strspn(v, "0123456789") == 4 && strcmp(v, "0000") != 0)) {
		snprintf(q->year, sizeof(q->year), "%s", v);
		return 0;
	}
	return svd_error_set(SVD_EINVALID,
	                     "year: not a year YYYY (such as 2024) or " SVD_YEAR_UNDATED
	                     " (the items without a publication date)");
}

/*
 * q: the words the reader's search finds in a query (reader.js: tokens(q,
 * true)): every run of letters and digits, each code point folded, of any
 * length.
 */
static int parse_q(svd_api_query *q, const char *v)
{
	size_t len = strlen(v), i = 0, used, tlen = 0;
	char *tok = malloc(len * 2 + 4);

	if (!tok)
		return svd_error_set(SVD_ERROR, "out of memory");
	for (;;) {
		uint32_t cp = 0, f;
		int is_tok = 0;

		if (i < len) {
			cp = svd_utf8_next(v + i, len - i, &used);
			i += used;
			is_tok = svd_token_cp(cp);
		}
		if (is_tok) {
			if ((f = svd_fold_cp(cp)) != 0)
				tlen += svd_utf8_put(tok + tlen, f);
			continue;
		}
		if (tlen) {
			if (q->nwords == SVD_API_WORDS_MAX) {
				free(tok);
				return svd_error_set(
				    SVD_EINVALID,
				    "q: more than %d words; every word must match, so "
				    "fewer say as much",
				    SVD_API_WORDS_MAX);
			}
			tok[tlen] = '\0';
			if (!(q->words[q->nwords] = svd_strdup(tok))) {
				free(tok);
				return svd_error_set(SVD_ERROR, "out of memory");
			}
			q->nwords++;
		}
		tlen = 0;
		if (i >= len)
			break;
	}
	free(tok);
	return 0;
}

/* One key=value pair, decoded; seen marks the keys given so far. */
static int parse_pair(svd_api_query *q, unsigned *seen, const char *pair, size_t len, char *key,
                      char *val)
{
	const char *eq = memchr(pair, '=', len);
	size_t klen = eq ? (size_t)(eq - pair) : len, vlen = eq ? len - klen - 1 : 0;
	char shown[KEY_SHOWN_MAX * 4 + 8];
	long kn, vn;
	size_t k, i;

	if ((kn = form_decode(key, pair, klen)) < 0)
		return svd_error_set(SVD_EINVALID,
		                     "a parameter's name holds a '%%' that is not followed by two "
		                     "hex digits (write a '%%' as %%25)");
	if (!svd_utf8_valid(key, (size_t)kn) || memchr(key, '\0', (size_t)kn))
		return svd_error_set(SVD_EINVALID, "parameter '%s': its name is not UTF-8 text",
		                     shown_key(shown, sizeof(shown), key, (size_t)kn));
	for (k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
		if (strlen(keys[k]) == (size_t)kn && !memcmp(keys[k], key, (size_t)kn))
			break;
	if (k == sizeof(keys) / sizeof(keys[0]))
		return svd_error_set(SVD_EINVALID,
		                     "unknown parameter '%s' (known: limit, after, lang, kind, "
		                     "region, since, year, q)",
		                     shown_key(shown, sizeof(shown), key, (size_t)kn));
	if (*seen & (1u << k))
		return svd_error_set(SVD_EINVALID, "%s: given twice (give each parameter once)",
		                     keys[k]);
	*seen |= 1u << k;
	if (vlen > SVD_API_VALUE_MAX * 3)
		goto toolong;
	if ((vn = form_decode(val, eq ? eq + 1 : pair + len, vlen)) < 0)
		return svd_error_set(SVD_EINVALID,
		                     "%s: a '%%' that is not followed by two hex digits (write a "
		                     "'%%' as %%25)",
		                     keys[k]);
	if ((size_t)vn > SVD_API_VALUE_MAX)
		goto toolong;
	if (!svd_utf8_valid(val, (size_t)vn))
		return svd_error_set(SVD_EINVALID, "%s: not UTF-8 text", keys[k]);
	for (i = 0; i < (size_t)vn; i++)
		if ((unsigned char)val[i] < 0x20 || val[i] == 0x7f)
			return svd_error_set(SVD_EINVALID, "%s: holds a control character",
			                     keys[k]);
	if (vn == 0 && strcmp(keys[k], "q") != 0)
		return svd_error_set(SVD_EINVALID, "%s: empty (give a value, or leave %s out)",
		                     keys[k], keys[k]);
	switch (k) {
	case 0:
		return parse_limit(q, val);
	case 1:
		return parse_after(q, val);
	case 2:
		return parse_lang(q, val);
	case 3:
		return parse_kind(q, val);
	case 4:
		return parse_region(q, val);
	case 5:
		return parse_since(q, val);
	case 6:
		return parse_year(q, val);
	default:
		return parse_q(q, val);
	}
toolong:
	return svd_error_set(SVD_EINVALID, "%s: over %d bytes", keys[k], SVD_API_VALUE_MAX);
}

int svd_api_query_parse(svd_api_query **out, const char *query, size_t len)
{
	svd_api_query *q = NULL;
	char *key = NULL, *val = NULL;
	unsigned seen = 0;
	size_t at = 0;
	int error = 0;

	*out = NULL;
	if (!query)
		len = 0;
	if (len > SVD_SITE_QUERY_MAX)
		return svd_error_set(SVD_ETOOBIG, "the query is over %d bytes", SVD_SITE_QUERY_MAX);
	if (!(q = calloc(1, sizeof(*q))) || !(key = malloc(len + 1)) || !(val = malloc(len + 1))) {
		error = svd_error_set(SVD_ERROR, "out of memory");
		goto cleanup;
	}
	q->limit = SVD_API_LIMIT_DEFAULT;
	q->kind = -1;
	if (len && memchr(query, '\0', len)) {
		error = svd_error_set(SVD_EINVALID, "the query holds a NUL byte");
		goto cleanup;
	}
	/* empty pairs ("a=1&&b=2", a trailing '&') are nothing, as in a browser's forms */
	while (at < len) {
		const char *amp = memchr(query + at, '&', len - at);
		size_t n = amp ? (size_t)(amp - (query + at)) : len - at;

		if (n && (error = parse_pair(q, &seen, query + at, n, key, val)) < 0)
			goto cleanup;
		at += n + 1;
	}
	*out = q;
	q = NULL;
cleanup:
	free(key);
	free(val);
	svd_api_query_free(q);
	return error;
}

/* The page. */

/* The version and sort key of a row as a cursor: base64url, SVD_API_CURSOR_LEN characters. */
static void encode_cursor(char out[SVD_API_CURSOR_LEN + 1], const svd_view_item *it)
{
	unsigned char bin[CURSOR_BYTES] = {CURSOR_VERSION};

	memcpy(bin + 1, it->date, strnlen(it->date, 10));
	memcpy(bin + 11, it->created, strnlen(it->created, 20));
	if (svd_hex_decode(bin + 31, 32, it->id) < 0)
		memset(bin + 31, 0, 32); /* a view holds full ids only */
	sodium_bin2base64(out, SVD_API_CURSOR_LEN + 1, bin, sizeof(bin),
	                  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

/* The view's order (view.c, cmp_order) between a row and the cursor: > 0 when it comes after. */
static int cmp_cursor(const svd_view_item *it, const svd_api_query *q)
{
	int d;

	if ((d = strcmp(q->after_date, it->date)) != 0)
		return d;
	if ((d = strcmp(q->after_created, it->created)) != 0)
		return d;
	return strcmp(it->id, q->after_id);
}

/* The first row after the cursor (a binary search: the rows are in that order). */
static size_t first_row(const svd_view *v, const svd_api_query *q)
{
	size_t lo = 0, hi = svd_view_count(v);

	if (!q->after)
		return 0;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		svd_view_item buf;

		if (cmp_cursor(svd_view_row(&buf, v, mid), q) > 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

/* Token t of the catalog starts with w (len bytes). */
static int tok_prefix(const svd_catalog *c, uint32_t t, const char *w, size_t len)
{
	return c->toks[t].len >= len && !memcmp(c->arena + c->toks[t].off, w, len);
}

/* Token t against w, in the shard's order (search.c: bytes, then length). */
static int tok_cmp(const svd_catalog *c, uint32_t t, const char *w, size_t len)
{
	size_t tl = c->toks[t].len;
	int d = memcmp(c->arena + c->toks[t].off, w, tl < len ? tl : len);

	if (d)
		return d;
	return tl < len ? -1 : tl > len;
}

static size_t cp_count(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xC0) != 0x80;
	return n;
}

/*
 * The rows whose indexed words start with w, as a bitmap (NULL for a word
 * of one code point, which the reader looks up in no shard). Every word
 * that starts with w has w's first two code points, so it is in w's shard,
 * where words are sorted: a binary search, then each posting list once.
 */
static int word_rows(uint8_t **out, const svd_catalog *c, const char *w)
{
	size_t len = strlen(w), lo, hi;
	unsigned shard;
	const uint32_t *st;
	uint8_t *bits;

	*out = NULL;
	if (cp_count(w) < SVD_TOKEN_MIN)
		return 0;
	if (!(bits = calloc(c->nrows / 8 + 1, 1)))
		return svd_error_set(SVD_ERROR, "out of memory");
	shard = svd_search_shard(w, len);
	st = c->shard_toks[shard];
	lo = 0;
	hi = c->shard_n[shard];
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (tok_cmp(c, st[mid], w, len) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < c->shard_n[shard] && tok_prefix(c, st[lo], w, len); lo++) {
		uint32_t j;

		for (j = c->post_off[st[lo]]; j < c->post_off[st[lo] + 1]; j++)
			bits[c->post[j] / 8] |= (uint8_t)(1u << (c->post[j] % 8));
	}
	*out = bits;
	return 0;
}

/*
 * The text the reader folds for a row: its title cell, a newline, its
 * authors cell. From the view's copy of the manifest's fields: the
 * daemon's catalog lets go of the manifests once its library is written.
 */
static int row_text(svd_buf *b, const svd_view_item *it)
{
	const char *title = it->title, *a, *end;

	b->len = 0;
	b->error = 0;
	if (!title || !*title)
		title = it->id;
	svd_fold(b, title, strlen(title));
	svd_buf_put(b, "\n", 1);
	for (a = it->authors; a && *a; a = end + 1) {
		if (!(end = strchr(a, SVD_VIEW_LIST_END)))
			end = a + strlen(a); /* the view ends each one: never */
		if (a != it->authors)
			svd_buf_put(b, ", ", 2);
		svd_fold(b, a, (size_t)(end - a));
		if (!*end)
			break;
	}
	return svd_buf_put(b, "", 1); /* a NUL for strstr; not counted below */
}

/* Does row r (item it) pass every filter and word of q? 1, 0, or an error. */
static int row_matches(size_t r, const svd_view_item *it, const svd_api_query *q,
                       uint8_t *const *bits, svd_buf *scratch)
{
	int have_text = 0;
	size_t w;

	if (q->lang && strcasecmp(it->lang, q->lang) != 0)
		return 0;
	if (q->kind >= 0 && (int)it->kind != q->kind)
		return 0;
	if (q->year[0] && (!strcmp(q->year, SVD_YEAR_UNDATED) ? it->date[0] != '\0'
	                                                      : strncmp(it->date, q->year, 4) != 0))
		return 0;
	if (q->region) {
		int error;

		if (!it->region)
			return 0;
		scratch->len = 0;
		scratch->error = 0;
		if ((error = svd_fold(scratch, it->region, strlen(it->region))) < 0 ||
		    (error = svd_buf_put(scratch, "", 1)) < 0)
			return error;
		if (strcmp(scratch->data, q->region) != 0)
			return 0;
	}
	for (w = 0; w < q->nwords; w++) {
		int error;

		if (bits[w] && (bits[w][r / 8] >> (r % 8) & 1))
			continue;
		if (!have_text) {
			if ((error = row_text(scratch, it)) < 0)
				return error;
			have_text = 1;
		}
		if (!strstr(scratch->data, q->words[w]))
			return 0;
	}
	return 1;
}

static json_t *item_json(const svd_view_item *it)
{
	const char *region = it->region;
	/* an undated item's date is null, never that of "created" */
	json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:o}", "id", it->id, "title", it->title, "lang",
	                      it->lang, "kind", svd_kind_name(it->kind), "date",
	                      it->date[0] ? json_string(it->date) : json_null());

	if (o && region && json_object_set_new(o, "region", json_string(region)) < 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/*
 * The page: the rows after the cursor that match, up to the limit, and
 * whether one more matches (then "next" is the last one's cursor). The walk
 * ends at the first row dated before since (the rows are newest first, the
 * undated ones last: "" is before every date).
 */
static int page(svd_buf *out, const svd_catalog *c, const svd_api_query *q)
{
	const svd_view *v = svd_catalog_view(c);
	uint8_t *bits[SVD_API_WORDS_MAX] = {0};
	svd_view_item buf;
	size_t last = SIZE_MAX; /* the row of the last item on the page */
	json_t *root = NULL, *items = NULL;
	char *dumped = NULL, *s = NULL, cursor[SVD_API_CURSOR_LEN + 1];
	size_t r, n = 0, w;
	svd_buf scratch;
	int error = 0, more = 0, m;

	svd_buf_init(&scratch, TEXT_MAX * 4);
	if (!v)
		return svd_error_set(SVD_EINVALID, "the catalog is not finished");
	for (w = 0; w < q->nwords; w++)
		if ((error = word_rows(&bits[w], c, q->words[w])) < 0)
			goto cleanup;
	if (!(root = json_object()) || !(items = json_array()) ||
	    json_object_set(root, "items", items) < 0)
		goto nomem;
	for (r = first_row(v, q); r < svd_view_count(v); r++) {
		const svd_view_item *it = svd_view_row(&buf, v, r);

		if (q->since[0] && strcmp(it->date, q->since) < 0)
			break;
		if ((m = row_matches(r, it, q, bits, &scratch)) < 0) {
			error = m;
			goto cleanup;
		}
		if (!m)
			continue;
		if (n == q->limit) {
			more = 1;
			break;
		}
		if (json_array_append_new(items, item_json(it)) < 0)
			goto nomem;
		last = r;
		n++;
	}
	if (more && last != SIZE_MAX) {
		encode_cursor(cursor, svd_view_row(&buf, v, last));
		error = json_object_set_new(root, "next", json_string(cursor));
	} else {
		error = json_object_set_new(root, "next", json_null());
	}
	if (error < 0)
		goto nomem;
	/* titles with their bidirectional controls as \u escapes (SPEC.md, 13) */
	if (!(dumped = json_dumps(root, JSON_COMPACT)) || !(s = svd_text_json(dumped)))
		goto nomem;
	error = svd_buf_put(out, s, strlen(s));
	goto cleanup;
nomem:
	error = svd_error_set(SVD_ERROR, "out of memory building the item list");
cleanup:
	for (w = 0; w < q->nwords; w++)
		free(bits[w]);
	svd_buf_clear(&scratch);
	json_decref(items);
	json_decref(root);
	free(dumped);
	free(s);
	return error;
}

int svd_site_api_items(svd_buf *out, const svd_catalog *c, const char *query)
{
	svd_api_query *q = NULL;
	size_t len = query ? strnlen(query, SVD_SITE_QUERY_MAX + 1) : 0;
	int error;

	svd_buf_init(out, PAGE_MAX);
	error = svd_api_query_parse(&q, query, len);
	if (error == SVD_EINVALID || error == SVD_ETOOBIG) {
		unsigned status = error == SVD_ETOOBIG ? 414 : 400;

		svd_buf_printf(out, "%u %s: ", status,
		               status == 414 ? "URI too long" : "bad request");
		svd_buf_put(out, svd_error_last(), strnlen(svd_error_last(), 1024));
		svd_buf_puts(out, "\n");
		error = out->error ? out->error : (int)status;
	} else if (error == 0) {
		error = page(out, c, q);
		svd_api_query_free(q);
		error = error < 0 ? error : 200;
	}
	if (error < 0)
		svd_buf_clear(out);
	return error;
}
