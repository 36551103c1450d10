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
		const char *published = svd_manifest_get(it->m, "published");
		size_t i;

		/* the date as the manifest gives it (a date, checked at parse), cut to 10 bytes */
		svd_buf_printf(b, "%s\n[\"%s\",\"", r % SVD_CHUNK_ROWS ? "," : "", it->id);
		if (published)
			js_str(b, published, strnlen(published, 10));
		svd_buf_puts(b, "\",");
		js_quoted(b, svd_manifest_get(it->m, "title"));
		svd_buf_puts(b, ",\"");
		for (i = 0; i < svd_manifest_author_count(it->m); i++) {
			const char *a = svd_manifest_author(it->m, i);
			if (i)
				svd_buf_puts(b, ", ");
			js_str(b, a, strlen(a));
		}
		svd_buf_puts(b, "\",");
		js_quoted(b, svd_manifest_get(it->m, "lang"));
		svd_buf_printf(b, ",\"%s\",", svd_kind_name(svd_manifest_kind(it->m)));
		js_quoted(b, svd_manifest_get(it->m, "region"));
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

/* One key of the dictionary: a word (tok >= 0) or a facet's value (rows). */
typedef struct dkey {
	const char *s;
	uint32_t len;
	long tok;
	const uint32_t *rows; /* a facet's, ascending */
	size_t nrows;
} dkey;

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

/* The value of facet f for an item, into v (the region folded); 0 when it has none. */
static int facet_value(svd_buf *v, const citem *it, int f)
{
	const char *s = NULL, *published;

	switch (f) {
	case 0:
		s = svd_manifest_get(it->m, "lang");
		break;
	case 1:
		s = svd_kind_name(svd_manifest_kind(it->m));
		break;
	case 2:
		if ((s = svd_manifest_get(it->m, "region")) && *s) {
			svd_fold(v, s, strlen(s));
			return v->len > strlen(facet_names[f]) + 2;
		}
		return 0;
	default:
		published = svd_manifest_get(it->m, "published");
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
		v.len = 0;
		svd_buf_printf(&v, "#%s=", facet_names[f]);
		if (!facet_value(&v, &c->v[c->rows[r]], f))
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
			    cmp_dkey(&(dkey){s->arena + s->v[i].off, s->v[i].len, 0, 0, 0},
			             &(dkey){s->arena + s->v[i - 1].off, s->v[i - 1].len, 0, 0, 0}))
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
				const char *label =
				    svd_manifest_get(c->v[c->rows[e->row]].m, "region");
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

typedef struct dict_out {
	const svd_catalog *c;
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
	for (title = 1; title >= 0; title--) {
		d->list.len = 0;
		l.last = -1;
		if (k->tok < 0) {
			size_t i;
			for (i = 0; title && i < k->nrows; i++)
				list_put(&l, k->rows[i]);
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
	dkey *keys = NULL;
	size_t nkeys = 0, i, cap;
	dict_out d;
	int f, error = 0;

	if (!c->finished)
		return svd_error_set(SVD_EINVALID, "the catalog is not finished");
	memset(fs, 0, sizeof(fs));
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
	if (error < 0)
		goto cleanup;
	cap = c->ntoks + 1;
	for (f = 0; f < FACETS; f++)
		cap += fs[f].n;
	if (!(keys = malloc(cap * sizeof(*keys)))) {
		error = svd_error_set(SVD_ERROR, "out of memory building the search index");
		goto cleanup;
	}
	for (i = 0; i < c->ntoks; i++)
		if (c->post_off[i + 1] > c->post_off[i])
			keys[nkeys++] =
			    (dkey){c->arena + c->toks[i].off, c->toks[i].len, (long)i, NULL, 0};
	for (f = 0; f < FACETS; f++) {
		for (i = 0; i < fs[f].n;) {
			size_t j = i;
			while (j < fs[f].n && fs[f].v[j].len == fs[f].v[i].len &&
			       !memcmp(fs[f].arena + fs[f].v[j].off, fs[f].arena + fs[f].v[i].off,
			               fs[f].v[i].len))
				j++;
			keys[nkeys++] = (dkey){fs[f].arena + fs[f].v[i].off, fs[f].v[i].len, -1,
			                       fs[f].rows + i, j - i};
			i = j;
		}
	}
	qsort(keys, nkeys, sizeof(*keys), cmp_dkey);
	for (i = 0; i < nkeys && error == 0; i++)
		error = dict_key(&d, &keys[i]);
	if (error == 0)
		error = dict_flush(&d);
	if (error < 0)
		goto cleanup;
	d.block.len = 0;
	svd_buf_printf(&d.block,
	               "svdDictRoot({\"format\": 1, \"rows\": %zu, \"pages\": %zu, "
	               "\"pageRows\": %u, \"chunkRows\": %u, \"blocks\": [",
	               c->nrows, svd_list_pages(c), SVD_LIST_ROWS, SVD_CHUNK_ROWS);
	svd_buf_put(&d.block, d.root.data, d.root.len);
	svd_buf_puts(&d.block, "\n]});\n");
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
	free(keys);
	svd_buf_clear(&d.block);
	svd_buf_clear(&d.root);
	svd_buf_clear(&d.list);
	svd_buf_clear(&d.post);
	return error;
}
