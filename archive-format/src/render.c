/*
 * render.c: the reader library's pages (SPEC.md, 11) — the catalog of
 * items, index.html, pages/<id>.html and the search shards.
 *
 * The catalog copies what the pages need from each item as it is added
 * (the manifest, the gate's verdict, the search tokens of title, authors
 * and body) and keeps no body: pages are rendered later, one at a time,
 * from a body the caller reads again, so memory stays at the manifests and
 * the search index whatever the size of the texts. Everything an item says
 * is untrusted and goes through svd_buf_html() or cmark's safe renderer.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cmark.h>

#include "samvydav/render.h"
#include "render_internal.h"
#include "view_internal.h"
#include "util.h"

#define POSTINGS_MAX (512u * 1024 * 1024)  /* (token, item) pairs in one catalog */
#define ARENA_MAX    (1024u * 1024 * 1024) /* bytes of distinct tokens */
#define HIDDEN       UINT32_MAX

/* Buffers. */

void svd_buf_init(svd_buf *b, size_t max)
{
	memset(b, 0, sizeof(*b));
	b->max = max;
}

int svd_buf_put(svd_buf *b, const void *data, size_t n)
{
	size_t want;
	char *p;

	if (b->error)
		return b->error;
	if (n > b->max - b->len)
		return b->error =
		           svd_error_set(SVD_ETOOBIG, "a page over its limit of %zu bytes", b->max);
	if (b->len + n + 1 > b->cap) {
		want = b->cap ? b->cap : 4096;
		while (want < b->len + n + 1)
			want *= 2;
		if (!(p = realloc(b->data, want)))
			return b->error =
			           svd_error_set(SVD_ERROR, "out of memory rendering a page");
		b->data = p;
		b->cap = want;
	}
	if (n)
		memcpy(b->data + b->len, data, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

void svd_buf_clear(svd_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
	b->error = 0;
}

int svd_buf_puts(svd_buf *b, const char *s)
{
	return svd_buf_put(b, s, strlen(s));
}

int svd_buf_printf(svd_buf *b, const char *fmt, ...)
{
	char tmp[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		if (!b->error)
			b->error = svd_error_set(SVD_ERROR, "a line of a page is too long");
		return b->error;
	}
	return svd_buf_put(b, tmp, (size_t)n);
}

void svd_buf_html(svd_buf *b, const char *s, size_t n)
{
	int utf8 = svd_utf8_valid(s, n);
	size_t i, run = 0;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		const char *rep = NULL;

		switch (c) {
		case '&':
			rep = "&amp;";
			break;
		case '<':
			rep = "&lt;";
			break;
		case '>':
			rep = "&gt;";
			break;
		case '"':
			rep = "&quot;";
			break;
		case '\'':
			rep = "&#39;";
			break;
		default:
			if ((c < 0x20 && c != '\t' && c != '\n') || c == 0x7f ||
			    (c >= 0x80 && !utf8))
				rep = "\xEF\xBF\xBD";
			break;
		}
		if (!rep)
			continue;
		svd_buf_put(b, s + run, i - run);
		svd_buf_puts(b, rep);
		run = i + 1;
	}
	svd_buf_put(b, s + run, n - run);
}

static void html(svd_buf *b, const char *s)
{
	if (s)
		svd_buf_html(b, s, strlen(s));
}

void svd_buf_url(svd_buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		char e[3];

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '.' || c == '_' || c == '~') {
			svd_buf_put(b, s, 1);
			continue;
		}
		e[0] = '%';
		e[1] = hex[c >> 4];
		e[2] = hex[c & 15];
		svd_buf_put(b, e, 3);
	}
}

/* The catalog. */

typedef struct csig {
	char *keyid;
	svd_sig_status st;
} csig;

typedef struct citem {
	char id[SVD_ID_HEX_LEN + 1];
	svd_manifest *m;
	int checked; /* a verdict was given */
	int ok;
	csig *sigs;
	size_t nsigs;
	char **problems; /* "file: check: message" */
	size_t nproblems;
	char **dropped; /* "file: message" */
	size_t ndropped;
	char date[11], created[21], year[5];
	uint32_t row;                /* HIDDEN when not shown */
	size_t pairs_from, pairs_to; /* its (token, item) pairs */
	int retracted;
} citem;

typedef struct ctok {
	uint32_t hash, len, off; /* off into the arena */
	uint32_t last;           /* the last item (index + 1) that had it */
	uint32_t count;          /* items that have it */
} ctok;

struct svd_catalog {
	citem *v;
	size_t n, cap;
	uint32_t *idslots; /* item index + 1, by id hash; 0 empty */
	size_t nidslots;
	uint32_t *byid; /* item indexes sorted by id (finish) */
	uint32_t *rows; /* row -> item index */
	size_t nrows;
	svd_view *view; /* what is shown, and why not (finish) */
	/* search */
	ctok *toks;
	size_t ntoks, captoks;
	uint32_t *slots; /* token index + 1; 0 empty */
	size_t nslots;
	char *arena;
	size_t alen, acap;
	uint32_t (*pairs)[2]; /* (token, item) */
	size_t npairs, cappairs;
	uint32_t *post_off, *post; /* per token: rows, ascending (finish) */
	uint32_t *shard_toks[SVD_SEARCH_SHARDS];
	size_t shard_n[SVD_SEARCH_SHARDS];
	int finished;
};

/*
 * The hash of a word or an id for the catalog's tables (never written
 * out): eight bytes at a time, the last eight overlapping the ones before,
 * short words read as two halves; then mixed (a multiply and shifts).
 */
static uint32_t word_hash(const char *s, size_t n)
{
	const uint64_t mul = 0x9E3779B97F4A7C15ull;
	uint64_t h = (uint64_t)n * mul, v;
	uint32_t a, b;

	if (n >= 8) {
		const char *end = s + n - 8;
		for (; s < end; s += 8) {
			memcpy(&v, s, 8);
			h = (h ^ v) * mul;
			h ^= h >> 31;
		}
		memcpy(&v, end, 8);
	} else if (n >= 4) {
		memcpy(&a, s, 4);
		memcpy(&b, s + n - 4, 4);
		v = (uint64_t)a << 32 | b;
	} else {
		v = n ? (uint64_t)(unsigned char)s[0] << 16 |
		            (uint64_t)(unsigned char)s[n / 2] << 8 | (unsigned char)s[n - 1]
		      : 0;
	}
	h = (h ^ v) * 0xD6E8FEB86659FD93ull;
	h ^= h >> 32;
	h *= mul;
	return (uint32_t)(h >> 32);
}

int svd_catalog_new(svd_catalog **out)
{
	if (!(*out = calloc(1, sizeof(**out))))
		return svd_error_set(SVD_ERROR, "out of memory");
	return 0;
}

static void citem_clear(citem *it)
{
	size_t i;

	svd_manifest_free(it->m);
	for (i = 0; i < it->nsigs; i++)
		free(it->sigs[i].keyid);
	free(it->sigs);
	for (i = 0; i < it->nproblems; i++)
		free(it->problems[i]);
	free(it->problems);
	for (i = 0; i < it->ndropped; i++)
		free(it->dropped[i]);
	free(it->dropped);
}

void svd_catalog_free(svd_catalog *c)
{
	size_t i;

	if (!c)
		return;
	for (i = 0; i < c->n; i++)
		citem_clear(&c->v[i]);
	free(c->v);
	free(c->idslots);
	free(c->byid);
	free(c->rows);
	svd_view_free(c->view);
	free(c->toks);
	free(c->slots);
	free(c->arena);
	free(c->pairs);
	free(c->post_off);
	free(c->post);
	for (i = 0; i < SVD_SEARCH_SHARDS; i++)
		free(c->shard_toks[i]);
	free(c);
}

/* The item with this id (index), or -1. */
static long id_find(const svd_catalog *c, const char *id)
{
	size_t mask, k;

	if (!c->nidslots)
		return -1;
	mask = c->nidslots - 1;
	for (k = word_hash(id, SVD_ID_HEX_LEN) & mask; c->idslots[k]; k = (k + 1) & mask)
		if (!strcmp(c->v[c->idslots[k] - 1].id, id))
			return (long)c->idslots[k] - 1;
	return -1;
}

static int id_insert(svd_catalog *c, uint32_t idx)
{
	size_t mask, k, i;

	if ((c->n + 1) * 2 > c->nidslots) {
		size_t nn = c->nidslots ? c->nidslots * 2 : 1024;
		uint32_t *ns = calloc(nn, sizeof(*ns));
		if (!ns)
			return svd_error_set(SVD_ERROR, "out of memory");
		for (i = 0; i < c->nidslots; i++) {
			if (!c->idslots[i])
				continue;
			for (k = word_hash(c->v[c->idslots[i] - 1].id, SVD_ID_HEX_LEN) & (nn - 1);
			     ns[k]; k = (k + 1) & (nn - 1))
				;
			ns[k] = c->idslots[i];
		}
		free(c->idslots);
		c->idslots = ns;
		c->nidslots = nn;
	}
	mask = c->nidslots - 1;
	for (k = word_hash(c->v[idx].id, SVD_ID_HEX_LEN) & mask; c->idslots[k]; k = (k + 1) & mask)
		;
	c->idslots[k] = idx + 1;
	return 0;
}

/* Tokens: one entry per distinct token, one pair per (token, item). */
typedef struct tok_ctx {
	svd_catalog *c;
	uint32_t item;
	int error;
} tok_ctx;

static int tok_grow(svd_catalog *c)
{
	size_t nn = c->nslots ? c->nslots * 2 : 1u << 16, i, k;
	uint32_t *ns = calloc(nn, sizeof(*ns));

	if (!ns)
		return svd_error_set(SVD_ERROR, "out of memory indexing for search");
	for (i = 0; i < c->ntoks; i++) {
		for (k = c->toks[i].hash & (nn - 1); ns[k]; k = (k + 1) & (nn - 1))
			;
		ns[k] = (uint32_t)i + 1;
	}
	free(c->slots);
	c->slots = ns;
	c->nslots = nn;
	return 0;
}

/* Room for need bytes of words in an arena (doubling from first). */
static int arena_fit(char **arena, size_t *cap, size_t need, size_t first)
{
	if (need <= *cap)
		return 0;
	if (need > ARENA_MAX)
		return svd_error_set(SVD_ETOOBIG, "over %u bytes of distinct search words",
		                     ARENA_MAX);
	return svd_grow(arena, cap, need, 1, first);
}

/* A word of item tc->item, whose word_hash is h, into the search index. */
static int tok_add(tok_ctx *tc, const char *s, size_t len, uint32_t h)
{
	svd_catalog *c = tc->c;
	uint32_t t;
	size_t k, mask;
	ctok *tk;

	if ((c->ntoks + 1) * 2 > c->nslots && (tc->error = tok_grow(c)) < 0)
		return tc->error;
	mask = c->nslots - 1;
	for (k = h & mask; c->slots[k]; k = (k + 1) & mask) {
		tk = &c->toks[c->slots[k] - 1];
		if (tk->hash == h && tk->len == len && !memcmp(c->arena + tk->off, s, len))
			break;
	}
	if (c->slots[k]) {
		t = c->slots[k] - 1;
	} else {
		if ((tc->error =
		         svd_grow(&c->toks, &c->captoks, c->ntoks + 1, sizeof(*c->toks), 4096)) < 0)
			return tc->error;
		if ((tc->error = arena_fit(&c->arena, &c->acap, c->alen + len, 1u << 20)) < 0)
			return tc->error;
		t = (uint32_t)c->ntoks++;
		tk = &c->toks[t];
		tk->hash = h;
		tk->len = (uint32_t)len;
		tk->off = (uint32_t)c->alen;
		tk->last = 0;
		tk->count = 0;
		memcpy(c->arena + c->alen, s, len);
		c->alen += len;
		c->slots[k] = t + 1;
	}
	tk = &c->toks[t];
	if (tk->last == tc->item + 1)
		return 0; /* this item has it already */
	tk->last = tc->item + 1;
	if (c->npairs >= POSTINGS_MAX)
		return tc->error = svd_error_set(
		           SVD_ETOOBIG, "over %u search entries in one library", POSTINGS_MAX);
	if ((tc->error =
	         svd_grow(&c->pairs, &c->cappairs, c->npairs + 1, sizeof(*c->pairs), 1u << 16)) < 0)
		return tc->error;
	c->pairs[c->npairs][0] = t;
	c->pairs[c->npairs][1] = tc->item;
	c->npairs++;
	return 0;
}

static int on_token(const char *s, size_t len, void *payload)
{
	return tok_add(payload, s, len, word_hash(s, len));
}

/* How much of a body is read: at most SVD_RENDER_BODY_MAX bytes, cut before a character. */
static size_t body_shown(const char *body, size_t len)
{
	size_t shown = len;

	if (shown > SVD_RENDER_BODY_MAX) {
		shown = SVD_RENDER_BODY_MAX;
		while (shown > 0 && ((unsigned char)body[shown] & 0xC0) == 0x80)
			shown--;
	}
	return shown;
}

static cmark_node *body_parse(const char *body, size_t len)
{
	return cmark_parse_document(body, body_shown(body, len), CMARK_OPT_DEFAULT);
}

/* The words of a parsed body (its text and code), each handed to cb. */
static int doc_tokens(cmark_node *doc, svd_token_cb cb, void *payload)
{
	cmark_node *node;
	cmark_iter *it;
	cmark_event_type ev;
	int r = 0;

	if (!(it = cmark_iter_new(doc)))
		return svd_error_set(SVD_ERROR, "out of memory reading a body");
	while (r == 0 && (ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
		cmark_node_type t;
		const char *lit;

		if (ev != CMARK_EVENT_ENTER)
			continue;
		node = cmark_iter_get_node(it);
		t = cmark_node_get_type(node);
		if (t != CMARK_NODE_TEXT && t != CMARK_NODE_CODE && t != CMARK_NODE_CODE_BLOCK)
			continue;
		if ((lit = cmark_node_get_literal(node)))
			r = svd_tokens(lit, strlen(lit), cb, payload);
	}
	cmark_iter_free(it);
	return r;
}

/* The text of a Markdown body, tokenized. */
static int body_tokens(tok_ctx *tc, const char *body, size_t len)
{
	cmark_node *doc = body_parse(body, len);
	int r;

	if (!doc)
		return svd_error_set(SVD_ERROR, "out of memory reading a body");
	r = doc_tokens(doc, on_token, tc);
	cmark_node_free(doc);
	return r;
}

static char *dup_join(const char *a, const char *sep, const char *b, const char *sep2,
                      const char *c)
{
	size_t n = strlen(a) + strlen(sep) + strlen(b) + strlen(sep2) + strlen(c) + 1;
	char *s = malloc(n);

	if (s)
		snprintf(s, n, "%s%s%s%s%s", a, sep, b, sep2, c);
	return s;
}

static int add_item(svd_catalog *c, const svd_manifest *m, const svd_verdict *v, int words,
                    const char *body, size_t body_len)
{
	const char *id, *published, *created, *title;
	const uint8_t *bytes;
	size_t len, i;
	citem *it;
	tok_ctx tc;
	int error;

	if (c->finished)
		return svd_error_set(SVD_EINVALID, "the catalog is finished; add before finishing");
	if (!m || !(id = svd_manifest_id(m)))
		return svd_error_set(SVD_EINVALID, "an item without a manifest cannot be shown");
	if (id_find(c, id) >= 0)
		return 0;
	if (c->n >= HIDDEN - 1)
		return svd_error_set(SVD_ETOOBIG, "too many items for one library");
	if ((error = svd_grow(&c->v, &c->cap, c->n + 1, sizeof(*c->v), 256)) < 0)
		return error;
	it = &c->v[c->n];
	memset(it, 0, sizeof(*it));
	bytes = (const uint8_t *)svd_manifest_bytes(m, &len);
	if ((error = svd_manifest_parse(&it->m, (const char *)bytes, len)) < 0)
		return error;
	memcpy(it->id, id, SVD_ID_HEX_LEN + 1);
	it->row = HIDDEN;
	published = svd_manifest_get(m, "published");
	created = svd_manifest_get(m, "created");
	snprintf(it->created, sizeof(it->created), "%s", created ? created : "");
	snprintf(it->date, sizeof(it->date), "%.10s", published ? published : it->created);
	snprintf(it->year, sizeof(it->year), "%.4s", it->date);
	if (v) {
		it->checked = 1;
		it->ok = svd_verdict_ok(v);
		if (!(it->sigs = calloc(svd_verdict_sig_count(v) + 1, sizeof(*it->sigs))) ||
		    !(it->problems = calloc(svd_verdict_problem_count(v) + 1, sizeof(char *))) ||
		    !(it->dropped = calloc(svd_verdict_dropped_count(v) + 1, sizeof(char *))))
			goto nomem;
		for (i = 0; i < svd_verdict_sig_count(v); i++, it->nsigs++) {
			const char *keyid;
			svd_verdict_sig(v, i, &keyid, &it->sigs[i].st);
			if (!(it->sigs[i].keyid = strdup(keyid)))
				goto nomem;
		}
		for (i = 0; i < svd_verdict_problem_count(v); i++, it->nproblems++) {
			const char *file, *check, *msg;
			svd_verdict_problem(v, i, &file, &check, &msg);
			if (!(it->problems[i] = dup_join(file, ": ", check, ": ", msg)))
				goto nomem;
		}
		for (i = 0; i < svd_verdict_dropped_count(v); i++, it->ndropped++) {
			const char *file, *msg;
			svd_verdict_dropped(v, i, &file, &msg);
			if (!(it->dropped[i] = dup_join(file, ": ", msg, "", "")))
				goto nomem;
		}
	}
	if ((error = id_insert(c, (uint32_t)c->n)) < 0)
		goto fail;
	c->n++;
	if (!words)
		return 1; /* added; its words come later (svd_catalog_add_words) */
	/* search: title, authors, body */
	it->pairs_from = c->npairs;
	tc.c = c;
	tc.item = (uint32_t)(c->n - 1);
	tc.error = 0;
	title = svd_manifest_get(m, "title");
	if (title)
		svd_tokens(title, strlen(title), on_token, &tc);
	for (i = 0; i < svd_manifest_author_count(m) && !tc.error; i++)
		svd_tokens(svd_manifest_author(m, i), strlen(svd_manifest_author(m, i)), on_token,
		           &tc);
	if (body && !tc.error)
		tc.error = body_tokens(&tc, body, body_len);
	c->v[tc.item].pairs_to = c->npairs;
	return tc.error;
nomem:
	error = svd_error_set(SVD_ERROR, "out of memory");
fail:
	citem_clear(it);
	return error;
}

int svd_catalog_add(svd_catalog *c, const svd_verdict *v, const char *body, size_t body_len)
{
	if (!v)
		return svd_error_set(SVD_EINVALID, "no verdict given");
	return add_item(c, svd_verdict_manifest(v), v, 1, body, body_len);
}

int svd_catalog_add_manifest(svd_catalog *c, const svd_manifest *m, const char *body,
                             size_t body_len)
{
	return add_item(c, m, NULL, 1, body, body_len);
}

static int cmp_tok(const void *x, const void *y, void *arg)
{
	const svd_catalog *sorting = arg;
	const ctok *a = &sorting->toks[*(const uint32_t *)x],
	           *b = &sorting->toks[*(const uint32_t *)y];
	int d = memcmp(sorting->arena + a->off, sorting->arena + b->off,
	               a->len < b->len ? a->len : b->len);

	if (d)
		return d;
	return a->len < b->len ? -1 : a->len > b->len;
}

/*
 * The search index: postings per token, in rows of shown items, and the
 * tokens of each shard. Walking the items in row order fills every posting
 * list in ascending order; each shard's tokens are sorted by their bytes.
 */
static int finish_search(svd_catalog *c)
{
	size_t i, r, total = 0;
	uint32_t *fill = NULL;
	int error = 0;

	if (!(c->post_off = calloc(c->ntoks + 1, sizeof(*c->post_off))))
		goto nomem;
	for (i = 0; i < c->npairs; i++)
		if (c->v[c->pairs[i][1]].row != HIDDEN)
			c->toks[c->pairs[i][0]].count++;
	for (i = 0; i < c->ntoks; i++) {
		c->post_off[i] = (uint32_t)total;
		total += c->toks[i].count;
	}
	c->post_off[c->ntoks] = (uint32_t)total;
	if (!(c->post = malloc((total + 1) * sizeof(*c->post))) ||
	    !(fill = malloc((c->ntoks + 1) * sizeof(*fill))))
		goto nomem;
	memcpy(fill, c->post_off, c->ntoks * sizeof(*fill));
	for (r = 0; r < c->nrows; r++) {
		const citem *it = &c->v[c->rows[r]];
		for (i = it->pairs_from; i < it->pairs_to; i++)
			c->post[fill[c->pairs[i][0]]++] = (uint32_t)r;
	}
	free(c->pairs);
	c->pairs = NULL;
	c->npairs = c->cappairs = 0;
	for (i = 0; i < c->ntoks; i++)
		if (c->toks[i].count)
			c->shard_n[svd_search_shard(c->arena + c->toks[i].off, c->toks[i].len)]++;
	for (i = 0; i < SVD_SEARCH_SHARDS; i++) {
		if (!(c->shard_toks[i] = malloc((c->shard_n[i] + 1) * sizeof(uint32_t))))
			goto nomem;
		c->shard_n[i] = 0;
	}
	for (i = 0; i < c->ntoks; i++) {
		unsigned s;
		if (!c->toks[i].count)
			continue;
		s = svd_search_shard(c->arena + c->toks[i].off, c->toks[i].len);
		c->shard_toks[s][c->shard_n[s]++] = (uint32_t)i;
	}
	/* in byte order: the same files whatever order the items' words came in */
	for (i = 0; i < SVD_SEARCH_SHARDS; i++)
		qsort_r(c->shard_toks[i], c->shard_n[i], sizeof(uint32_t), cmp_tok, c);
	goto cleanup;
nomem:
	error = svd_error_set(SVD_ERROR, "out of memory building the search index");
cleanup:
	free(fill);
	return error;
}

/* The trusted key ids whose signatures verify, space-separated (the view's signers). */
static char *valid_signers(const citem *it)
{
	char *s = calloc(it->nsigs * (SVD_KEYID_HEX_LEN + 1) + 1, 1);
	size_t i;

	for (i = 0; s && i < it->nsigs; i++) {
		if (it->sigs[i].st != SVD_SIG_VALID)
			continue;
		if (*s)
			strcat(s, " ");
		strncat(s, it->sigs[i].keyid, SVD_KEYID_HEX_LEN);
	}
	return s;
}

/*
 * Close the catalog: what is shown, in which order, and what supersedes
 * what are the view's decisions (view.c); the catalog takes them and
 * builds the search index over the shown rows.
 */
int svd_catalog_finish(svd_catalog *c)
{
	size_t i, k;
	int error;

	if (c->finished)
		return 0;
	if ((error = svd_view_new(&c->view, 0)) < 0)
		return error;
	for (i = 0; i < c->n; i++) {
		const citem *it = &c->v[i];
		char *signers = valid_signers(it);
		if (!signers)
			return svd_error_set(SVD_ERROR, "out of memory");
		/* an item added without a verdict is shown as its caller chose */
		error = svd_view_add_item(c->view, it->id, it->m, !it->checked || it->ok,
		                          it->checked && !it->ok ? "it does not pass the gate" : NULL,
		                          signers);
		free(signers);
		if (error < 0)
			return error;
	}
	if ((error = svd_view_finish(c->view)) < 0)
		return error;
	if (!(c->rows = malloc((c->n + 1) * sizeof(*c->rows))))
		return svd_error_set(SVD_ERROR, "out of memory");
	for (k = 0; k < svd_view_count(c->view); k++) {
		long t = id_find(c, svd_view_row(c->view, k)->id);
		c->rows[k] = (uint32_t)t;
		c->v[t].row = (uint32_t)k;
	}
	c->nrows = k;
	for (i = 0; i < c->n; i++)
		c->v[i].retracted =
		    svd_view_find(c->view, c->v[i].id)->state == SVD_VIEW_RETRACTED;
	c->finished = 1;
	return finish_search(c);
}

const svd_view *svd_catalog_view(const svd_catalog *c)
{
	return c->finished ? c->view : NULL;
}

size_t svd_catalog_count(const svd_catalog *c)
{
	return c->finished ? c->nrows : 0;
}

size_t svd_catalog_size(const svd_catalog *c)
{
	return c->n;
}

const char *svd_catalog_row(const svd_catalog *c, size_t n)
{
	return c->finished && n < c->nrows ? c->v[c->rows[n]].id : NULL;
}

const char *svd_catalog_id_at(const svd_catalog *c, size_t i)
{
	return i < c->n ? c->v[i].id : NULL;
}

int svd_catalog_retracted(const svd_catalog *c, const char *id)
{
	long t = id_find(c, id);

	return t >= 0 && c->v[t].retracted;
}

/* Pages. */

static void page_head(svd_buf *b, const char *lang, const char *title, const char *up)
{
	svd_buf_puts(b, "<!DOCTYPE html>\n<html lang=\"");
	html(b, lang);
	svd_buf_puts(b, "\">\n<head>\n<meta charset=\"utf-8\">\n"
	                "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
	                "<meta name=\"referrer\" content=\"no-referrer\">\n<title>");
	html(b, title);
	svd_buf_printf(b, "</title>\n<link rel=\"stylesheet\" href=\"%sreader.css\">\n", up);
}

/* One facet: the distinct values of the shown items, with counts, as <option>s. */
typedef const char *(*facet_fn)(const citem *it);

static const char *f_lang(const citem *it)
{
	return svd_manifest_get(it->m, "lang");
}

static const char *f_kind(const citem *it)
{
	return svd_kind_name(svd_manifest_kind(it->m));
}

static const char *f_region(const citem *it)
{
	return svd_manifest_get(it->m, "region");
}

static const char *f_year(const citem *it)
{
	return it->year[0] ? it->year : NULL;
}

static int cmp_str(const void *x, const void *y)
{
	return strcmp(*(const char *const *)x, *(const char *const *)y);
}

static int cmp_str_desc(const void *x, const void *y)
{
	return -cmp_str(x, y);
}

static void facet(svd_buf *b, const svd_catalog *c, const char *sel, const char *label, facet_fn fn,
                  int newest_first)
{
	const char **v = malloc((c->nrows + 1) * sizeof(*v));
	size_t i, n = 0;

	if (!v) {
		if (!b->error)
			b->error = svd_error_set(SVD_ERROR, "out of memory");
		return;
	}
	for (i = 0; i < c->nrows; i++) {
		const char *s = fn(&c->v[c->rows[i]]);
		if (s)
			v[n++] = s;
	}
	qsort(v, n, sizeof(*v), newest_first ? cmp_str_desc : cmp_str);
	svd_buf_printf(b, "<select id=\"%s\" aria-label=\"%s\">\n<option value=\"\">%s</option>\n",
	               sel, label, label);
	for (i = 0; i < n;) {
		size_t j = i;
		while (j < n && !strcmp(v[j], v[i]))
			j++;
		svd_buf_puts(b, "<option value=\"");
		html(b, v[i]);
		svd_buf_puts(b, "\">");
		html(b, v[i]);
		svd_buf_printf(b, " (%zu)</option>\n", j - i);
		i = j;
	}
	svd_buf_puts(b, "</select>\n");
	free(v);
}

static void authors(svd_buf *b, const svd_manifest *m)
{
	size_t i;

	for (i = 0; i < svd_manifest_author_count(m); i++) {
		if (i)
			svd_buf_puts(b, ", ");
		html(b, svd_manifest_author(m, i));
	}
}

int svd_render_index(svd_buf *b, const svd_catalog *c)
{
	size_t i;

	if (!c->finished)
		return svd_error_set(SVD_EINVALID, "the catalog is not finished");
	page_head(b, "mul", "Library", "");
	/* reader.js first: it defines svdFold(), which fold.js calls */
	svd_buf_puts(b, "<script src=\"reader.js\" defer></script>"
	                "<script src=\"search/fold.js\" defer></script>\n"
	                "</head>\n<body class=\"index\">\n<header>\n<h1>Library</h1>\n");
	svd_buf_printf(b,
	               "<p>%zu item%s. Each was checked when this library was made: its files "
	               "match their SHA-256 hashes and it is signed by a trusted editor's key. "
	               "Each item's page says by whom.</p>\n</header>\n",
	               c->nrows, c->nrows == 1 ? "" : "s");
	svd_buf_puts(b, "<form id=\"filters\" hidden role=\"search\">\n"
	                "<input id=\"q\" type=\"search\" placeholder=\"Search titles, authors "
	                "and text\" aria-label=\"Search\">\n");
	facet(b, c, "f-lang", "All languages", f_lang, 0);
	facet(b, c, "f-kind", "All kinds", f_kind, 0);
	facet(b, c, "f-region", "All regions", f_region, 0);
	facet(b, c, "f-year", "All years", f_year, 1);
	svd_buf_printf(b, "<p id=\"count\">%zu item%s</p>\n</form>\n", c->nrows,
	               c->nrows == 1 ? "" : "s");
	svd_buf_puts(b, "<table id=\"items\">\n<thead><tr><th>Date</th><th>Title</th>"
	                "<th>Authors</th><th>Language</th><th>Kind</th><th>Region</th></tr>"
	                "</thead>\n<tbody>\n");
	for (i = 0; i < c->nrows && !b->error; i++) {
		const citem *it = &c->v[c->rows[i]];
		const char *lang = svd_manifest_get(it->m, "lang");
		const char *region = svd_manifest_get(it->m, "region");
		const char *title = svd_manifest_get(it->m, "title");
		const char *kind = svd_kind_name(svd_manifest_kind(it->m));

		svd_buf_printf(b, "<tr data-n=\"%zu\" data-id=\"%s\" data-lang=\"", i, it->id);
		html(b, lang);
		svd_buf_printf(b, "\" data-kind=\"%s\" data-region=\"", kind);
		html(b, region);
		svd_buf_printf(
		    b, "\" data-year=\"%s\"><td>%s</td><td><a href=\"pages/%s.html\" lang=\"",
		    it->year, it->date, it->id);
		html(b, lang);
		svd_buf_puts(b, "\">");
		html(b, title && *title ? title : it->id);
		svd_buf_puts(b, "</a></td><td>");
		authors(b, it->m);
		svd_buf_puts(b, "</td><td>");
		html(b, lang);
		svd_buf_printf(b, "</td><td>%s</td><td>", kind);
		html(b, region);
		svd_buf_puts(b, "</td></tr>\n");
	}
	svd_buf_puts(b, "</tbody>\n</table>\n<footer>\n<p>Made by samvydav " SVD_VERSION
	                ". Every file is in <code>items/</code>; to check an item yourself, see "
	                "its page.</p>\n</footer>\n</body>\n</html>\n");
	return b->error;
}

/* Attachments. */

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n >= k && !strcasecmp(s + n - k, suffix);
}

static int any_suffix(const char *s, const char *const *list)
{
	for (; *list; list++)
		if (ends_with(s, *list))
			return 1;
	return 0;
}

static const char *const image_ext[] = {".jpg",  ".jpeg", ".png", ".gif", ".webp",
                                        ".avif", ".svg",  ".bmp", NULL};
static const char *const audio_ext[] = {".mp3", ".ogg",  ".oga", ".opus", ".wav",
                                        ".m4a", ".flac", ".aac", NULL};
static const char *const video_ext[] = {".mp4", ".webm", ".ogv", ".m4v", ".mov", NULL};

/* ../items/<aa>/<id>/<file>, the file name percent-encoded. */
static void file_href(svd_buf *b, const citem *it, const char *name)
{
	svd_buf_printf(b, "../items/%.2s/%s/", it->id, it->id);
	svd_buf_url(b, name);
}

static void attachments(svd_buf *b, const citem *it)
{
	size_t i, n = svd_manifest_file_count(it->m), shown = 0;

	for (i = 0; i < n; i++) {
		const svd_manifest_file *f = svd_manifest_file_at(it->m, i);
		if (!strcmp(f->path, "body.md"))
			continue;
		if (!shown++)
			svd_buf_puts(b, "<section id=\"attachments\">\n<h2>Attachments</h2>\n");
		svd_buf_puts(b, "<figure>\n");
		if (any_suffix(f->path, image_ext)) {
			svd_buf_puts(b, "<img src=\"");
			file_href(b, it, f->path);
			svd_buf_puts(b, "\" alt=\"");
			html(b, f->path);
			svd_buf_puts(b, "\" loading=\"lazy\">\n");
		} else if (any_suffix(f->path, audio_ext)) {
			svd_buf_puts(b, "<audio controls preload=\"none\" src=\"");
			file_href(b, it, f->path);
			svd_buf_puts(b, "\"></audio>\n");
		} else if (any_suffix(f->path, video_ext)) {
			svd_buf_puts(b, "<video controls preload=\"none\" src=\"");
			file_href(b, it, f->path);
			svd_buf_puts(b, "\"></video>\n");
		}
		svd_buf_puts(b, "<figcaption><a href=\"");
		file_href(b, it, f->path);
		svd_buf_puts(b, "\">");
		html(b, f->path);
		svd_buf_printf(b, "</a> (%llu bytes)</figcaption>\n</figure>\n",
		               (unsigned long long)f->size);
	}
	if (shown)
		svd_buf_puts(b, "</section>\n");
}

static int ascii_space(char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}

/* a and b hold the same words: white space at the ends and inside runs aside */
static int same_words(const char *a, const char *b)
{
	for (;;) {
		while (ascii_space(*a))
			a++;
		while (ascii_space(*b))
			b++;
		if (!*a || !*b)
			return !*a && !*b;
		while (*a && !ascii_space(*a) && *a == *b)
			a++, b++;
		if ((*a && !ascii_space(*a)) || (*b && !ascii_space(*b)))
			return 0;
	}
}

/*
 * A body that opens with its own "# Title" would show the title twice, under
 * the page's <h1>: that first heading is left out when its text is the
 * title (white space aside). Any other first block stays.
 */
static void drop_title_heading(cmark_node *doc, const char *title)
{
	cmark_node *h = cmark_node_first_child(doc);
	cmark_iter *iter;
	cmark_event_type ev;
	svd_buf text;

	if (!title || !*title || !h || cmark_node_get_type(h) != CMARK_NODE_HEADING ||
	    cmark_node_get_heading_level(h) != 1 || !(iter = cmark_iter_new(h)))
		return;
	svd_buf_init(&text, SVD_RENDER_PAGE_MAX);
	svd_buf_puts(&text, "");
	while ((ev = cmark_iter_next(iter)) != CMARK_EVENT_DONE) {
		cmark_node *node = cmark_iter_get_node(iter);
		cmark_node_type t = cmark_node_get_type(node);
		const char *lit;

		if (ev != CMARK_EVENT_ENTER)
			continue;
		if (t == CMARK_NODE_SOFTBREAK || t == CMARK_NODE_LINEBREAK)
			svd_buf_puts(&text, " ");
		else if ((t == CMARK_NODE_TEXT || t == CMARK_NODE_CODE) &&
		         (lit = cmark_node_get_literal(node)))
			svd_buf_puts(&text, lit);
	}
	cmark_iter_free(iter);
	if (!text.error && same_words(text.data, title)) {
		cmark_node_unlink(h);
		cmark_node_free(h);
	}
	svd_buf_clear(&text);
}

/*
 * Markdown to HTML with cmark's safe defaults (raw HTML omitted, dangerous
 * URLs blanked). Links and images that name one of the item's own files
 * are pointed at it; an image from anywhere else becomes a plain link, so
 * that opening a page never fetches anything from outside the library. A
 * first heading that repeats the title is left out (drop_title_heading).
 * doc is the body already parsed (body_parse), or NULL; it is freed.
 */
static void markdown(svd_buf *b, const citem *it, const char *body, size_t len, cmark_node *doc)
{
	cmark_node *node;
	cmark_iter *iter;
	cmark_event_type ev;
	cmark_node **images = NULL;
	size_t nimages = 0, capimages = 0, i, shown = body_shown(body, len);
	char *out;
	svd_buf href;

	if (!doc && !(doc = body_parse(body, len))) {
		svd_buf_puts(b, "<p>The text cannot be shown.</p>\n");
		return;
	}
	drop_title_heading(doc, svd_manifest_get(it->m, "title"));
	svd_buf_init(&href, 4096);
	iter = cmark_iter_new(doc);
	while ((ev = cmark_iter_next(iter)) != CMARK_EVENT_DONE) {
		cmark_node_type t;
		const char *url;

		if (ev != CMARK_EVENT_ENTER)
			continue;
		node = cmark_iter_get_node(iter);
		t = cmark_node_get_type(node);
		if (t != CMARK_NODE_LINK && t != CMARK_NODE_IMAGE)
			continue;
		url = cmark_node_get_url(node);
		if (url && *url && svd_manifest_file_find(it->m, url) &&
		    strcmp(url, "manifest.json")) {
			href.len = 0;
			href.error = 0;
			file_href(&href, it, url);
			if (!href.error)
				cmark_node_set_url(node, href.data);
		} else if (t == CMARK_NODE_IMAGE) {
			if (svd_grow(&images, &capimages, nimages + 1, sizeof(*images), 8) < 0)
				break;
			images[nimages++] = node;
		}
	}
	cmark_iter_free(iter);
	svd_buf_clear(&href);
	/* after the walk: outside images become links with the same text */
	for (i = 0; i < nimages; i++) {
		cmark_node *img = images[i], *link = cmark_node_new(CMARK_NODE_LINK), *child;
		if (!link)
			continue;
		cmark_node_set_url(link, cmark_node_get_url(img));
		while ((child = cmark_node_first_child(img)))
			cmark_node_append_child(link, child);
		if (!cmark_node_first_child(link)) {
			cmark_node *text = cmark_node_new(CMARK_NODE_TEXT);
			if (text) {
				cmark_node_set_literal(text, "[image]");
				cmark_node_append_child(link, text);
			}
		}
		cmark_node_replace(img, link);
		cmark_node_free(img);
	}
	free(images);
	out = cmark_render_html(doc, CMARK_OPT_DEFAULT);
	cmark_node_free(doc);
	if (out) {
		svd_buf_puts(b, out);
		free(out);
	}
	if (shown < len) {
		svd_buf_printf(b, "<p class=\"cut\">The text goes on: <a href=\"");
		file_href(b, it, "body.md");
		svd_buf_printf(b, "\">all of body.md</a> (%zu bytes).</p>\n", len);
	}
}

static const char *sig_words(svd_sig_status st)
{
	switch (st) {
	case SVD_SIG_VALID:
		return "valid, by a trusted key";
	case SVD_SIG_UNTRUSTED:
		return "by a key that was not trusted (not checked, does not count)";
	case SVD_SIG_INVALID:
		return "INVALID";
	}
	return "?";
}

static void verdict_block(svd_buf *b, const citem *it, const svd_verdict *v)
{
	size_t i, nsigs, nproblems, nfiles = svd_manifest_file_count(it->m);
	int checked = v ? 1 : it->checked, ok = v ? svd_verdict_ok(v) : it->ok;

	svd_buf_puts(b, "<section id=\"verdict\">\n<h2>Verification</h2>\n");
	if (!checked)
		svd_buf_puts(b,
		             "<p class=\"unchecked\"><strong>Not checked.</strong> This page "
		             "was made without checking the item's hashes and signatures.</p>\n");
	else if (ok)
		svd_buf_printf(b,
		               "<p class=\"ok\"><strong>Accepted.</strong> When this page was "
		               "made, every file's SHA-256 was checked against the manifest (%zu "
		               "file%s, all matching) and the item is signed by at least one "
		               "trusted key.</p>\n",
		               nfiles, nfiles == 1 ? "" : "s");
	else
		svd_buf_puts(b, "<p class=\"bad\"><strong>Not accepted.</strong> This item did "
		                "not pass the checks: do not rely on it.</p>\n");
	nproblems = v ? svd_verdict_problem_count(v) : it->nproblems;
	if (nproblems) {
		svd_buf_puts(b, "<ul class=\"problems\">\n");
		for (i = 0; i < nproblems; i++) {
			svd_buf_puts(b, "<li>");
			if (v) {
				const char *file, *check, *msg;
				svd_verdict_problem(v, i, &file, &check, &msg);
				html(b, file);
				svd_buf_puts(b, ": ");
				html(b, check);
				svd_buf_puts(b, ": ");
				html(b, msg);
			} else {
				html(b, it->problems[i]);
			}
			svd_buf_puts(b, "</li>\n");
		}
		svd_buf_puts(b, "</ul>\n");
	}
	nsigs = v ? svd_verdict_sig_count(v) : it->nsigs;
	if (checked) {
		svd_buf_printf(b, "<p>Signed by %zu key%s:</p>\n<ul class=\"signatures\">\n", nsigs,
		               nsigs == 1 ? "" : "s");
		for (i = 0; i < nsigs; i++) {
			const char *keyid;
			svd_sig_status st;
			if (v)
				svd_verdict_sig(v, i, &keyid, &st);
			else {
				keyid = it->sigs[i].keyid;
				st = it->sigs[i].st;
			}
			svd_buf_printf(b, "<li class=\"%s\">", st == SVD_SIG_VALID ? "ok" : "bad");
			if (svd_keyid_valid(keyid)) {
				svd_buf_printf(
				    b,
				    "<a "
				    "href=\"../items/%.2s/%s/sig/%s.minisig\"><code>%s</code></a>",
				    it->id, it->id, keyid, keyid);
			} else {
				svd_buf_puts(b, "<code>");
				html(b, keyid);
				svd_buf_puts(b, "</code>");
			}
			svd_buf_printf(b, ": %s</li>\n", sig_words(st));
		}
		svd_buf_puts(b, "</ul>\n");
	}
	if (!v && it->ndropped) {
		svd_buf_puts(
		    b, "<p>Signature files left out because they did not verify:</p>\n<ul>\n");
		for (i = 0; i < it->ndropped; i++) {
			svd_buf_puts(b, "<li>");
			html(b, it->dropped[i]);
			svd_buf_puts(b, "</li>\n");
		}
		svd_buf_puts(b, "</ul>\n");
	}
	svd_buf_printf(b,
	               "<p>Item id <code>%s</code>: the SHA-256 of its <a "
	               "href=\"../items/%.2s/%s/manifest.json\">manifest.json</a>. To check it "
	               "yourself: <code>sha256sum items/%.2s/%s/manifest.json</code> prints this "
	               "id; <code>minisign -V -m items/%.2s/%s/manifest.json -x "
	               "items/%.2s/%s/sig/KEYID.minisig -p KEYID.pub</code> checks a signature "
	               "with the editor's public key; <code>samvydav inspect</code> or "
	               "<code>samvydav import</code> of the bundle checks everything.</p>\n"
	               "</section>\n",
	               it->id, it->id, it->id, it->id, it->id, it->id, it->id, it->id, it->id);
}

/* A link to another item's page, by title, or its id when it is not shown. */
static void item_link(svd_buf *b, const svd_catalog *c, const char *id)
{
	long t = svd_id_valid(id) ? id_find(c, id) : -1;

	if (t >= 0 && c->v[t].row != HIDDEN) {
		const char *title = svd_manifest_get(c->v[t].m, "title");
		svd_buf_printf(b, "<a href=\"%s.html\" lang=\"", id);
		html(b, svd_manifest_get(c->v[t].m, "lang"));
		svd_buf_puts(b, "\">");
		html(b, title && *title ? title : id);
		svd_buf_printf(b, "</a> (%s)", c->v[t].date);
		return;
	}
	svd_buf_puts(b, "<code>");
	html(b, id);
	svd_buf_puts(b, "</code>");
	svd_buf_puts(b, svd_view_withdrawn(c->view, id) ? " (retracted; not in this library)"
	                                               : " (not in this library)");
}

static void relations(svd_buf *b, const svd_catalog *c, const citem *it)
{
	const char *sup = svd_manifest_get(it->m, "supersedes");
	const char *ret = svd_manifest_get(it->m, "retracts");
	size_t k, nby = svd_view_superseder_count(c->view, it->id), opened = 0;

	if (sup || ret || nby) {
		svd_buf_puts(b, "<section id=\"relations\">\n");
		opened = 1;
	}
	for (k = 0; k < nby; k++) {
		svd_buf_puts(b, "<p class=\"superseded\"><strong>Superseded by</strong> ");
		item_link(b, c, svd_view_superseder(c->view, it->id, k)->id);
		svd_buf_puts(b, "</p>\n");
	}
	if (sup) {
		svd_buf_puts(b, "<p class=\"supersedes\"><strong>Supersedes</strong> ");
		item_link(b, c, sup);
		svd_buf_puts(b, "</p>\n");
	}
	if (ret) {
		svd_buf_puts(b, "<p class=\"retracts\"><strong>Retracts</strong> ");
		item_link(b, c, ret);
		svd_buf_puts(b, "</p>\n");
	}
	if (opened)
		svd_buf_puts(b, "</section>\n");
}

static void meta_row(svd_buf *b, const char *name, const char *value)
{
	if (!value)
		return;
	svd_buf_printf(b, "<dt>%s</dt><dd>", name);
	html(b, value);
	svd_buf_puts(b, "</dd>\n");
}

/*
 * An item's page. With c NULL (an early page) the relations to other items
 * are left out: only right for an item that names none and that nothing
 * supersedes (svd_catalog_page_early).
 */
static int page(svd_buf *b, const svd_catalog *c, const citem *it, const svd_verdict *v,
                const char *body, size_t body_len, cmark_node *doc)
{
	const char *title, *lang, *source;
	size_t i;

	title = svd_manifest_get(it->m, "title");
	lang = svd_manifest_get(it->m, "lang");
	source = svd_manifest_get(it->m, "source");
	page_head(b, lang, title && *title ? title : it->id, "../");
	svd_buf_puts(b, "</head>\n<body class=\"item\">\n<nav><a href=\"../index.html\">"
	                "&larr; All items</a></nav>\n<article>\n<h1>");
	html(b, title && *title ? title : it->id);
	svd_buf_puts(b, "</h1>\n<dl class=\"meta\">\n");
	if (svd_manifest_author_count(it->m)) {
		svd_buf_puts(b, "<dt>Authors</dt><dd>");
		authors(b, it->m);
		svd_buf_puts(b, "</dd>\n");
	}
	meta_row(b, "Published", svd_manifest_get(it->m, "published"));
	meta_row(b, "Created", svd_manifest_get(it->m, "created"));
	meta_row(b, "Language", lang);
	meta_row(b, "Kind", svd_kind_name(svd_manifest_kind(it->m)));
	meta_row(b, "Region", svd_manifest_get(it->m, "region"));
	if (source) {
		svd_buf_puts(b, "<dt>Source</dt><dd><a rel=\"noreferrer noopener\" href=\"");
		html(b, source);
		svd_buf_puts(b, "\">");
		html(b, source);
		svd_buf_puts(b, "</a></dd>\n");
	}
	if (svd_manifest_tag_count(it->m)) {
		svd_buf_puts(b, "<dt>Tags</dt><dd>");
		for (i = 0; i < svd_manifest_tag_count(it->m); i++) {
			if (i)
				svd_buf_puts(b, ", ");
			html(b, svd_manifest_tag(it->m, i));
		}
		svd_buf_puts(b, "</dd>\n");
	}
	svd_buf_puts(b, "</dl>\n");
	if (c)
		relations(b, c, it);
	if (body) {
		svd_buf_puts(b, "<div class=\"body\">\n");
		markdown(b, it, body, body_len, doc);
		svd_buf_puts(b, "</div>\n");
	} else if (doc) {
		cmark_node_free(doc);
	}
	attachments(b, it);
	verdict_block(b, it, v);
	svd_buf_puts(b, "</article>\n<footer><p><a href=\"../index.html\">All items</a></p>"
	                "</footer>\n</body>\n</html>\n");
	return b->error;
}

int svd_render_item(svd_buf *b, const svd_catalog *c, const char *id, const svd_verdict *v,
                    const char *body, size_t body_len)
{
	long t;

	if (!c->finished)
		return svd_error_set(SVD_EINVALID, "the catalog is not finished");
	t = svd_id_valid(id) ? id_find(c, id) : -1;
	if (t < 0 || c->v[t].row == HIDDEN)
		return svd_error_set(SVD_ENOTFOUND, "no item %.64s in this library%s", id,
		                     svd_view_withdrawn(c->view, id) ? " (it was retracted)" : "");
	return page(b, c, &c->v[t], v, body, body_len, NULL);
}

/*
 * Early pages and words gathered off the catalog (render_internal.h). The
 * copy of the item's entry points at parts that stay where they are until
 * the catalog is freed.
 */
struct svd_early_page {
	citem it;
	uint32_t index; /* in c->v */
	int page;       /* its page needs no other item */
};

int svd_catalog_add_later(svd_early_page **out, svd_catalog *c, const svd_verdict *v)
{
	const citem *it;
	int added;

	*out = NULL;
	if (!v)
		return svd_error_set(SVD_EINVALID, "no verdict given");
	if ((added = add_item(c, svd_verdict_manifest(v), v, 0, NULL, 0)) <= 0)
		return added;
	it = &c->v[c->n - 1];
	if (!(*out = malloc(sizeof(**out))))
		return svd_error_set(SVD_ERROR, "out of memory");
	(*out)->it = *it;
	(*out)->index = (uint32_t)(c->n - 1);
	(*out)->page =
	    !svd_manifest_get(it->m, "supersedes") && !svd_manifest_get(it->m, "retracts");
	return 1;
}

const char *svd_early_page_id(const svd_early_page *e)
{
	return e->it.id;
}

/* One item's words, each once, with its hash: gathered without the catalog. */
struct svd_words {
	char *arena;
	size_t alen, acap;
	uint32_t (*w)[3]; /* offset, length, hash */
	size_t n, cap;
	uint32_t *slots; /* word index + 1; 0 empty */
	size_t nslots;
	int error;
};

svd_words *svd_words_new(void)
{
	return calloc(1, sizeof(svd_words));
}

void svd_words_free(svd_words *w)
{
	if (!w)
		return;
	free(w->arena);
	free(w->w);
	free(w->slots);
	free(w);
}

static int words_grow(svd_words *w)
{
	size_t nn = w->nslots ? w->nslots * 2 : 1024, i, k;
	uint32_t *ns = calloc(nn, sizeof(*ns));

	if (!ns)
		return svd_error_set(SVD_ERROR, "out of memory indexing for search");
	for (i = 0; i < w->n; i++) {
		for (k = w->w[i][2] & (nn - 1); ns[k]; k = (k + 1) & (nn - 1))
			;
		ns[k] = (uint32_t)i + 1;
	}
	free(w->slots);
	w->slots = ns;
	w->nslots = nn;
	return 0;
}

static int on_word(const char *s, size_t len, void *payload)
{
	svd_words *w = payload;
	uint32_t h = word_hash(s, len);
	size_t k, mask;

	if ((w->n + 1) * 2 > w->nslots && (w->error = words_grow(w)) < 0)
		return w->error;
	mask = w->nslots - 1;
	for (k = h & mask; w->slots[k]; k = (k + 1) & mask) {
		const uint32_t *e = w->w[w->slots[k] - 1];
		if (e[2] == h && e[1] == len && !memcmp(w->arena + e[0], s, len))
			return 0; /* this item has it already */
	}
	if (w->n == w->cap &&
	    (w->error = svd_grow(&w->w, &w->cap, w->n + 1, sizeof(*w->w), 512)) < 0)
		return w->error;
	if (w->alen + len > w->acap &&
	    (w->error = arena_fit(&w->arena, &w->acap, w->alen + len, 8192)) < 0)
		return w->error;
	memcpy(w->arena + w->alen, s, len);
	w->w[w->n][0] = (uint32_t)w->alen;
	w->w[w->n][1] = (uint32_t)len;
	w->w[w->n][2] = h;
	w->alen += len;
	w->slots[k] = (uint32_t)++w->n;
	return 0;
}

int svd_early_prepare(svd_words *w, svd_buf *b, const svd_early_page *e, const char *body,
                      size_t body_len)
{
	const svd_manifest *m = e->it.m;
	const char *title = svd_manifest_get(m, "title");
	cmark_node *doc = NULL;
	size_t i;
	int error = 0;

	w->alen = w->n = 0;
	w->error = 0;
	if (w->slots)
		memset(w->slots, 0, w->nslots * sizeof(*w->slots));
	/* the same words as add_item finds */
	if (title)
		error = svd_tokens(title, strlen(title), on_word, w);
	for (i = 0; i < svd_manifest_author_count(m) && error == 0; i++)
		error = svd_tokens(svd_manifest_author(m, i), strlen(svd_manifest_author(m, i)),
		                   on_word, w);
	if (body && error == 0) {
		/* parsed once, for the words and the page (freed by page()) */
		if (!(doc = body_parse(body, body_len)))
			return svd_error_set(SVD_ERROR, "out of memory reading a body");
		error = doc_tokens(doc, on_word, w);
	}
	if (error < 0 || !e->page || !b) {
		if (doc)
			cmark_node_free(doc);
		return error;
	}
	if ((error = page(b, NULL, &e->it, NULL, body, body_len, doc)) < 0)
		return error;
	return 1;
}

int svd_catalog_add_words(svd_catalog *c, const svd_early_page *e, const svd_words *w)
{
	tok_ctx tc = {c, e->index, 0};
	size_t i;

	if (c->finished || e->index >= c->n)
		return svd_error_set(SVD_EINVALID, "words for an item the catalog does not hold");
	c->v[e->index].pairs_from = c->npairs;
	for (i = 0; i < w->n && tc.error == 0; i++)
		tok_add(&tc, w->arena + w->w[i][0], w->w[i][1], w->w[i][2]);
	c->v[e->index].pairs_to = c->npairs;
	return tc.error;
}

int svd_catalog_page_final(const svd_catalog *c, const char *id)
{
	long t = svd_id_valid(id) ? id_find(c, id) : -1;

	if (!c->finished || t < 0 || c->v[t].row == HIDDEN)
		return 0;
	if (svd_manifest_get(c->v[t].m, "supersedes") || svd_manifest_get(c->v[t].m, "retracts"))
		return 0;
	return svd_view_superseder_count(c->view, id) == 0;
}

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

int svd_render_asset(const char *name, const void **data, size_t *len)
{
	const svd_asset *a;

	for (a = svd_reader_assets; a->name; a++) {
		if (!strcmp(a->name, name)) {
			*data = a->data;
			*len = a->len;
			return 0;
		}
	}
	return svd_error_set(SVD_ENOTFOUND, "no reader asset %s", name);
}

int svd_render_is_library_path(const char *p)
{
	size_t len = strlen(p);

	if (!strcmp(p, "index.html") || !strcmp(p, "reader.css") || !strcmp(p, "reader.js") ||
	    !strcmp(p, "search/fold.js"))
		return 1;
	if (len == 13 && !strncmp(p, "search/s", 8) && p[8] >= '0' && p[8] <= '6' && p[9] >= '0' &&
	    p[9] <= '9' && (p[8] - '0') * 10 + (p[9] - '0') < SVD_SEARCH_SHARDS &&
	    !strcmp(p + 10, ".js"))
		return 1;
	if (len == 6 + SVD_ID_HEX_LEN + 5 && !strncmp(p, "pages/", 6) &&
	    !strcmp(p + 6 + SVD_ID_HEX_LEN, ".html")) {
		char id[SVD_ID_HEX_LEN + 1];
		memcpy(id, p + 6, SVD_ID_HEX_LEN);
		id[SVD_ID_HEX_LEN] = '\0';
		return svd_id_valid(id);
	}
	return 0;
}
