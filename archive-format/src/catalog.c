/*
 * catalog.c: the catalog of a reader library (render.h) — the items it
 * holds, what the view decides of them (view.c), and their search words,
 * gathered as items are added or off the catalog on other threads (early
 * pages and words), then the search index at finish.
 *
 * The catalog copies what the pages need from each item as it is added
 * (the manifest, the gate's verdict, the search tokens of title, authors
 * and body) and keeps no body: pages are rendered later, one at a time,
 * from a body the caller reads again, so memory stays at the manifests and
 * the search index whatever the size of the texts.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <errno.h>
#include <unistd.h>

#include <cmark.h>

#include "samvydav/render.h"
#include "catalog_internal.h"
#include "render_internal.h"
#include "util.h"
#include "view_internal.h"

#define POSTINGS_MAX (512u * 1024 * 1024) /* (token, item) pairs in one catalog */
#define SPILL_MAX    (1ull << 40)         /* bytes of manifests spilled (svd_catalog_set_compact) */
#define ARENA_MAX    (1024u * 1024 * 1024) /* bytes of distinct tokens */

/* The catalog. */

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
	int error;

	if (!(*out = calloc(1, sizeof(**out))))
		return svd_error_set(SVD_ERROR, "out of memory");
	(*out)->spill_fd = -1;
	/* each item goes into the view as it is added (view_feed) */
	if ((error = svd_view_new(&(*out)->view, 0)) < 0) {
		free(*out);
		*out = NULL;
	}
	return error;
}

int svd_catalog_set_compact(svd_catalog *c, int spill_fd)
{
	if (c->n > 0)
		return svd_error_set(SVD_EINVALID,
		                     "a catalog is made compact before its first item");
	c->compact = 1;
	c->spill_fd = spill_fd;
	c->spill_end = 0;
	c->spill_bad = 0;
	return 0;
}

int svd_catalog_item_keep(svd_catalog *c, citem *it, const char *bytes, size_t len)
{
	if (!c->compact)
		return 0;
	if (!bytes)
		bytes = it->m && !svd_manifest_is_compact(it->m) ? svd_manifest_bytes(it->m, &len)
		                                                 : NULL;
	if (c->spill_fd >= 0 && !c->spill_bad && bytes && len > 0) {
		if (c->spill_end + len > SPILL_MAX || svd_write_all(c->spill_fd, bytes, len) < 0) {
			svd_error_clear(); /* svd_catalog_manifest_bytes says so when asked */
			c->spill_bad = 1;
		} else {
			it->spill_off = c->spill_end;
			it->spill_len = (uint32_t)len;
			c->spill_end += len;
		}
	}
	/* its row is the view's now, its page reads the manifest again */
	svd_manifest_free(it->m);
	it->m = NULL;
	return 0;
}

const char *svd_catalog_manifest_bytes(const svd_catalog *c, const citem *it, svd_buf *b,
                                       size_t *len)
{
	ssize_t n;

	*len = 0;
	if (it->m && !svd_manifest_is_compact(it->m))
		return svd_manifest_bytes(it->m, len);
	if (!it->spill_len) {
		svd_error_set(SVD_EINVALID, "item %.12s...: the catalog kept no manifest bytes%s",
		              it->id,
		              c->spill_bad ? " (the scratch file beside the catalog file could not "
		                             "be written: is the disk full?)"
		                           : "");
		return NULL;
	}
	b->len = 0;
	b->error = 0;
	if (b->cap < (size_t)it->spill_len + 1) {
		char *p = realloc(b->data, (size_t)it->spill_len + 1);
		if (!p) {
			svd_error_set(SVD_ERROR, "out of memory");
			return NULL;
		}
		b->data = p;
		b->cap = (size_t)it->spill_len + 1;
	}
	n = pread(c->spill_fd, b->data, it->spill_len, (off_t)it->spill_off);
	if (n != (ssize_t)it->spill_len) {
		svd_error_set(SVD_ERROR, "item %.12s...: cannot read its manifest back: %s", it->id,
		              n < 0 ? svd_ioerr(errno)
		                    : "the scratch file beside the catalog file is short");
		return NULL;
	}
	b->data[it->spill_len] = '\0';
	b->len = it->spill_len;
	*len = it->spill_len;
	return b->data;
}

/* Do an entry's words go to the spill? With a catalog file to write (the daemon's). */
static int words_spill(const svd_catalog *c)
{
	return c->compact && c->spill_fd >= 0;
}

/*
 * An entry's words are all in: with a spill, appended there and the array
 * made free for the next entry's. A write that fails (a full disk) fails
 * the add: the words are in no other place.
 */
static int words_done(svd_catalog *c, size_t item)
{
	citem *it = &c->v[item];
	size_t n = it->pairs_to - it->pairs_from;

	if (!words_spill(c))
		return 0;
	if (c->spill_end + n * sizeof(uint32_t) > SPILL_MAX ||
	    svd_write_all(c->spill_fd, c->words + (it->pairs_from - c->wbase),
	                  n * sizeof(uint32_t)) < 0)
		return svd_error_set(SVD_ERROR,
		                     "cannot write the search words to a scratch file beside the "
		                     "catalog file: %s (is the disk full?)",
		                     svd_error_last());
	it->words_off = c->spill_end;
	c->spill_end += n * sizeof(uint32_t);
	c->wbase = c->nwords;
	return 0;
}

const uint32_t *svd_catalog_item_words_of(const svd_catalog *c, const citem *it, uint32_t *buf)
{
	size_t n = it->pairs_to - it->pairs_from;
	ssize_t got;

	if (!words_spill(c) || n == 0)
		return c->words ? c->words + (it->pairs_from - c->wbase) : buf;
	got = pread(c->spill_fd, buf, n * sizeof(uint32_t), (off_t)it->words_off);
	if (got != (ssize_t)(n * sizeof(uint32_t))) {
		svd_error_set(SVD_ERROR, "item %.12s...: cannot read its search words back: %s",
		              it->id, got < 0 ? svd_ioerr(errno) : "the scratch file is short");
		return NULL;
	}
	return buf;
}

static void citem_clear(citem *it, int packed)
{
	size_t i;

	svd_manifest_free(it->m);
	if (packed)
		return;
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
		citem_clear(&c->v[i], c->packed != NULL);
	free(c->packed);
	free(c->v);
	free(c->idslots);
	free(c->byid);
	free(c->rows);
	svd_view_free(c->view);
	free(c->toks);
	free(c->slots);
	free(c->arena);
	free(c->words);
	if (c->spill_fd >= 0)
		close(c->spill_fd);
	free(c->post_off);
	free(c->post);
	free(c->post_title);
	for (i = 0; i < SVD_SEARCH_SHARDS; i++)
		free(c->shard_toks[i]);
	free(c);
}

/* The item with this id (index), or -1. */
long svd_catalog_find(const svd_catalog *c, const char *id)
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
	if (c->nwords >= POSTINGS_MAX)
		return tc->error = svd_error_set(
		           SVD_ETOOBIG, "over %u search entries in one library", POSTINGS_MAX);
	if ((tc->error = svd_grow(&c->words, &c->capwords, c->nwords - c->wbase + 1,
	                          sizeof(*c->words), 1u << 16)) < 0)
		return tc->error;
	c->words[c->nwords++ - c->wbase] = t;
	return 0;
}

static int on_token(const char *s, size_t len, void *payload)
{
	return tok_add(payload, s, len, word_hash(s, len));
}

/* How much of a body is read: at most SVD_RENDER_BODY_MAX bytes, cut before a character. */
size_t svd_body_shown(const char *body, size_t len)
{
	size_t shown = len;

	if (shown > SVD_RENDER_BODY_MAX) {
		shown = SVD_RENDER_BODY_MAX;
		while (shown > 0 && ((unsigned char)body[shown] & 0xC0) == 0x80)
			shown--;
	}
	return shown;
}

cmark_node *svd_body_parse(const char *body, size_t len)
{
	return cmark_parse_document(body, svd_body_shown(body, len), CMARK_OPT_DEFAULT);
}

/* The words of a parsed body (its text and code), each handed to cb. */
int svd_doc_tokens(cmark_node *doc, svd_token_cb cb, void *payload)
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
	cmark_node *doc = svd_body_parse(body, len);
	int r;

	if (!doc)
		return svd_error_set(SVD_ERROR, "out of memory reading a body");
	r = svd_doc_tokens(doc, on_token, tc);
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
	const char *id, *title;
	const uint8_t *bytes;
	size_t len, i;
	citem *it;
	tok_ctx tc;
	int error;

	if (c->finished)
		return svd_error_set(SVD_EINVALID, "the catalog is finished; add before finishing");
	if (!m || !(id = svd_manifest_id(m)) || !svd_manifest_bytes(m, NULL))
		return svd_error_set(SVD_EINVALID, "an item without a manifest cannot be shown");
	if (svd_catalog_find(c, id) >= 0)
		return 0;
	if (c->n >= HIDDEN - 1)
		return svd_error_set(SVD_ETOOBIG, "too many items for one library");
	if ((error = svd_grow(&c->v, &c->cap, c->n + 1, sizeof(*c->v), 256)) < 0)
		return error;
	it = &c->v[c->n];
	memset(it, 0, sizeof(*it));
	it->links = c->links;
	bytes = (const uint8_t *)svd_manifest_bytes(m, &len);
	if ((error = svd_manifest_parse(&it->m, (const char *)bytes, len)) < 0)
		return error;
	memcpy(it->id, id, SVD_ID_HEX_LEN + 1);
	it->row = HIDDEN;
	svd_catalog_item_dates(it);
	if (v) {
		it->checked = 1;
		it->ok = svd_verdict_ok(v);
		it->sound = svd_verdict_sound(v);
		if (!(it->sigs = calloc(svd_verdict_sig_count(v) + 1, sizeof(*it->sigs))) ||
		    !(it->problems = calloc(svd_verdict_problem_count(v) + 1, sizeof(char *))) ||
		    !(it->dropped = calloc(svd_verdict_dropped_count(v) + 1, sizeof(char *))))
			goto nomem;
		for (i = 0; i < svd_verdict_sig_count(v); i++, it->nsigs++) {
			const char *keyid;
			const uint8_t *pk = svd_verdict_sig_pk(v, i);
			svd_verdict_sig(v, i, &keyid, &it->sigs[i].st);
			if (!(it->sigs[i].keyid = strdup(keyid)))
				goto nomem;
			if (pk) {
				it->sigs[i].verified = 1;
				memcpy(it->sigs[i].pk, pk, 32);
			}
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
	/* an early page (words later) reads the whole manifest until its words come */
	if ((error = svd_catalog_item_view(c, it)) < 0 ||
	    (words && (error = svd_catalog_item_keep(c, it, NULL, 0)) < 0))
		goto fail;
	if ((error = id_insert(c, (uint32_t)c->n)) < 0)
		goto fail;
	c->n++;
	if (!words)
		return 1; /* added; its words come later (svd_catalog_add_words) */
	/* search: title, authors, body */
	it->pairs_from = c->nwords;
	tc.c = c;
	tc.item = (uint32_t)(c->n - 1);
	tc.error = 0;
	title = svd_manifest_get(m, "title");
	if (title)
		svd_tokens(title, strlen(title), on_token, &tc);
	for (i = 0; i < svd_manifest_author_count(m) && !tc.error; i++)
		svd_tokens(svd_manifest_author(m, i), strlen(svd_manifest_author(m, i)), on_token,
		           &tc);
	c->v[tc.item].pairs_title = c->nwords; /* the body's own words come after */
	if (body && !tc.error)
		tc.error = body_tokens(&tc, body, body_len);
	c->v[tc.item].pairs_to = c->nwords;
	return tc.error ? tc.error : words_done(c, tc.item);
nomem:
	error = svd_error_set(SVD_ERROR, "out of memory");
fail:
	citem_clear(it, 0);
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
	size_t i, r, total = 0, most = 0;
	uint32_t *fill = NULL, *buf = NULL;
	const uint32_t *w;
	int error = 0;

	for (i = 0; i < c->n; i++)
		if (c->v[i].pairs_to - c->v[i].pairs_from > most)
			most = c->v[i].pairs_to - c->v[i].pairs_from;
	if (!(c->post_off = calloc(c->ntoks + 1, sizeof(*c->post_off))) ||
	    !(buf = malloc((most + 1) * sizeof(*buf))))
		goto nomem;
	for (r = 0; r < c->nrows; r++) {
		const citem *it = &c->v[c->rows[r]];
		if (!(w = svd_catalog_item_words_of(c, it, buf))) {
			error = -1;
			goto cleanup;
		}
		for (i = 0; i < it->pairs_to - it->pairs_from; i++)
			c->toks[w[i]].count++;
	}
	for (i = 0; i < c->ntoks; i++) {
		c->post_off[i] = (uint32_t)total;
		total += c->toks[i].count;
	}
	c->post_off[c->ntoks] = (uint32_t)total;
	if (!(c->post = malloc((total + 1) * sizeof(*c->post))) ||
	    !(c->post_title = calloc(total / 8 + 1, 1)) ||
	    !(fill = malloc((c->ntoks + 1) * sizeof(*fill))))
		goto nomem;
	svd_mem_huge(c->post, (total + 1) * sizeof(*c->post));
	memcpy(fill, c->post_off, c->ntoks * sizeof(*fill));
	for (r = 0; r < c->nrows; r++) {
		const citem *it = &c->v[c->rows[r]];
		if (!(w = svd_catalog_item_words_of(c, it, buf))) {
			error = -1;
			goto cleanup;
		}
		for (i = 0; i < it->pairs_to - it->pairs_from; i++) {
			uint32_t at = fill[w[i]]++;
			c->post[at] = (uint32_t)r;
			if (it->pairs_from + i < it->pairs_title)
				c->post_title[at / 8] |= (uint8_t)(1u << (at % 8));
		}
	}
	free(c->words);
	c->words = NULL;
	c->nwords = c->capwords = c->wbase = 0;
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
	free(buf);
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

/* Every signature that verifies, "KEYID:hex ..." (the view's rules read them). */
static char *verified_sigs(const citem *it)
{
	char *s = calloc(it->nsigs * (SVD_KEYID_HEX_LEN + 66) + 1, 1), *p = s;
	size_t i;

	for (i = 0; s && i < it->nsigs; i++) {
		if (!it->sigs[i].verified || strlen(it->sigs[i].keyid) != SVD_KEYID_HEX_LEN)
			continue;
		if (p != s)
			*p++ = ' ';
		memcpy(p, it->sigs[i].keyid, SVD_KEYID_HEX_LEN);
		p[SVD_KEYID_HEX_LEN] = ':';
		svd_hex_encode(p + SVD_KEYID_HEX_LEN + 1, it->sigs[i].pk, 32);
		p += SVD_KEYID_HEX_LEN + 65;
	}
	return s;
}

void svd_catalog_set_trust(svd_catalog *c, const svd_trust *trust)
{
	c->trust = trust;
	svd_view_set_trust(c->view, trust);
}

int svd_catalog_item_view(svd_catalog *c, const citem *it)
{
	char *signers = valid_signers(it), *vsigs = NULL;
	svd_view_fields f = {0};
	int error;

	if (!signers || (c->trust && it->checked && !(vsigs = verified_sigs(it)))) {
		free(signers);
		return svd_error_set(SVD_ERROR, "out of memory");
	}
	/* an item added without a verdict is shown as its caller chose */
	f.id = it->id;
	f.m = it->m;
	f.ok = !it->checked || it->ok;
	f.why = it->checked && !it->ok ? "it does not pass the gate" : NULL;
	f.signers = signers;
	f.vsigs = vsigs;
	f.sound = it->sound;
	error = svd_view_add_fields(c->view, &f);
	free(signers);
	free(vsigs);
	return error;
}

const svd_view_item *svd_catalog_row_item(svd_view_item *buf, const svd_catalog *c, size_t r)
{
	return svd_view_row(buf, c->view, r);
}

void svd_catalog_set_links(svd_catalog *c, int links)
{
	size_t i;

	c->links = links;
	for (i = 0; i < c->n; i++)
		c->v[i].links = links;
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
	c->trust = NULL;
	if ((error = svd_view_finish(c->view)) < 0)
		return error;
	if (!(c->rows = malloc((c->n + 1) * sizeof(*c->rows))))
		return svd_error_set(SVD_ERROR, "out of memory");
	for (k = 0; k < svd_view_count(c->view); k++) {
		svd_view_item buf;
		long t = svd_catalog_find(c, svd_view_row(&buf, c->view, k)->id);
		c->rows[k] = (uint32_t)t;
		c->v[t].row = (uint32_t)k;
	}
	c->nrows = k;
	for (i = 0; i < c->n; i++) {
		svd_view_item buf;
		c->v[i].retracted =
		    svd_view_find(&buf, c->view, c->v[i].id)->state == SVD_VIEW_RETRACTED;
	}
	c->finished = 1;
	error = finish_search(c);
	/* the words are postings now, the catalog file made: the spill is not needed */
	if (c->spill_fd >= 0)
		close(c->spill_fd);
	c->spill_fd = -1;
	c->spill_bad = 1;
	return error;
}

_Static_assert(sizeof(csig) % sizeof(char *) == 0, "packed csig arrays keep pointers aligned");

/* Bytes of an item's verdict parts: the arrays, then the strings. */
static size_t verdict_bytes(const citem *it, size_t *strings)
{
	size_t i;

	for (i = 0; i < it->nsigs; i++)
		*strings += strlen(it->sigs[i].keyid) + 1;
	for (i = 0; i < it->nproblems; i++)
		*strings += strlen(it->problems[i]) + 1;
	for (i = 0; i < it->ndropped; i++)
		*strings += strlen(it->dropped[i]) + 1;
	return it->nsigs * sizeof(csig) + (it->nproblems + it->ndropped) * sizeof(char *);
}

/* A string into the block at *at; the copy. */
static char *pack_string(char **at, const char *s)
{
	size_t n = strlen(s) + 1;
	char *out = memcpy(*at, s, n);

	*at += n;
	return out;
}

/*
 * Every item's signatures, problems and dropped files moved into one block
 * (c->packed), their own allocations freed: they were made between the
 * manifests' (four or more small ones an item), and would keep the pages
 * the manifests leave from going back to the system. Without memory for
 * the block they stay where they are.
 */
static void pack_verdicts(svd_catalog *c)
{
	size_t i, k, arrays = 0, strings = 0;
	char *block, *arr, *str;

	for (i = 0; i < c->n; i++)
		arrays += verdict_bytes(&c->v[i], &strings);
	if (!(block = malloc(arrays + strings + 1)))
		return;
	arr = block;
	str = block + arrays;
	for (i = 0; i < c->n; i++) {
		citem *it = &c->v[i];
		csig *sigs = it->nsigs ? (csig *)(void *)arr : NULL;
		char **problems, **dropped;

		arr += it->nsigs * sizeof(csig);
		problems = it->nproblems ? (char **)(void *)arr : NULL;
		arr += it->nproblems * sizeof(char *);
		dropped = it->ndropped ? (char **)(void *)arr : NULL;
		arr += it->ndropped * sizeof(char *);
		for (k = 0; k < it->nsigs; k++) {
			sigs[k] = it->sigs[k];
			sigs[k].keyid = pack_string(&str, it->sigs[k].keyid);
			free(it->sigs[k].keyid);
		}
		for (k = 0; k < it->nproblems; k++) {
			problems[k] = pack_string(&str, it->problems[k]);
			free(it->problems[k]);
		}
		for (k = 0; k < it->ndropped; k++) {
			dropped[k] = pack_string(&str, it->dropped[k]);
			free(it->dropped[k]);
		}
		free(it->sigs);
		free(it->problems);
		free(it->dropped);
		it->sigs = sigs;
		it->problems = problems;
		it->dropped = dropped;
	}
	c->packed = block;
}

void svd_catalog_drop_manifests(svd_catalog *c)
{
	size_t i;

	if (!c->finished || c->packed)
		return;
	for (i = 0; i < c->n; i++) {
		svd_manifest_free(c->v[i].m);
		c->v[i].m = NULL;
	}
	pack_verdicts(c);
	/* the entries' room to grow (up to as many again) is not needed any more */
	if (c->n > 0 && c->n < c->cap) {
		citem *v = realloc(c->v, c->n * sizeof(*c->v));

		if (v) {
			c->v = v;
			c->cap = c->n;
		}
	}
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
	long t = svd_catalog_find(c, id);

	return t >= 0 && c->v[t].retracted;
}

/*
 * Early pages and words gathered off the catalog (render_internal.h). The
 * copy of the item's entry points at parts that stay where they are until
 * the catalog is freed.
 */

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
	size_t ntitle; /* the first ntitle words are the title's and the authors' */
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

	w->alen = w->n = w->ntitle = 0;
	w->error = 0;
	if (w->slots)
		memset(w->slots, 0, w->nslots * sizeof(*w->slots));
	/* the same words as add_item finds */
	if (title)
		error = svd_tokens(title, strlen(title), on_word, w);
	for (i = 0; i < svd_manifest_author_count(m) && error == 0; i++)
		error = svd_tokens(svd_manifest_author(m, i), strlen(svd_manifest_author(m, i)),
		                   on_word, w);
	w->ntitle = w->n;
	if (body && error == 0) {
		/* parsed once, for the words and the page (freed by page()) */
		if (!(doc = svd_body_parse(body, body_len)))
			return svd_error_set(SVD_ERROR, "out of memory reading a body");
		error = svd_doc_tokens(doc, on_word, w);
	}
	if (error < 0 || !e->page || !b) {
		if (doc)
			cmark_node_free(doc);
		return error;
	}
	if ((error = svd_page_render(b, NULL, &e->it, NULL, body, body_len, doc)) < 0)
		return error;
	return 1;
}

int svd_catalog_add_words(svd_catalog *c, const svd_early_page *e, const svd_words *w)
{
	tok_ctx tc = {c, e->index, 0};
	size_t i;

	if (c->finished || e->index >= c->n)
		return svd_error_set(SVD_EINVALID, "words for an item the catalog does not hold");
	c->v[e->index].pairs_from = c->v[e->index].pairs_title = c->nwords;
	for (i = 0; i < w->n && tc.error == 0; i++) {
		tok_add(&tc, w->arena + w->w[i][0], w->w[i][1], w->w[i][2]);
		if (i + 1 == w->ntitle)
			c->v[e->index].pairs_title = c->nwords;
	}
	c->v[e->index].pairs_to = c->nwords;
	if (tc.error == 0)
		tc.error = words_done(c, e->index);
	if (tc.error == 0) /* its page is made */
		tc.error = svd_catalog_item_keep(c, &c->v[e->index], NULL, 0);
	return tc.error;
}

/*
 * Entries made without a verdict or a body: the site's catalog file
 * (site_cache.c) gives back what an earlier catalog held of an item.
 */

citem *svd_catalog_new_item(svd_catalog *c, const char *id)
{
	citem *it;

	if (c->finished || c->n >= HIDDEN - 1 || svd_catalog_find(c, id) >= 0) {
		svd_error_set(SVD_EINVALID, "item %.12s... cannot be added to the catalog", id);
		return NULL;
	}
	if (svd_grow(&c->v, &c->cap, c->n + 1, sizeof(*c->v), 256) < 0)
		return NULL;
	it = &c->v[c->n];
	memset(it, 0, sizeof(*it));
	memcpy(it->id, id, SVD_ID_HEX_LEN);
	it->row = HIDDEN;
	it->links = c->links;
	if (id_insert(c, (uint32_t)c->n) < 0)
		return NULL;
	it->pairs_from = it->pairs_to = it->pairs_title = c->nwords;
	c->n++;
	return it;
}

/*
 * The date is "published" alone: "created" is when the editor made the
 * item, not when it was published, so an item without "published" is
 * undated (date and year "") rather than dated the day it was added.
 */
void svd_catalog_item_dates(citem *it)
{
	const char *published = svd_manifest_get(it->m, "published");
	const char *created = svd_manifest_get(it->m, "created");

	snprintf(it->created, sizeof(it->created), "%s", created ? created : "");
	snprintf(it->date, sizeof(it->date), "%.10s", published ? published : "");
	snprintf(it->year, sizeof(it->year), "%.4s", it->date);
}

long svd_catalog_token(svd_catalog *c, const char *s, size_t len, int add)
{
	uint32_t h = word_hash(s, len);
	size_t k, mask;
	ctok *tk;

	if (add && (c->ntoks + 1) * 2 > c->nslots && tok_grow(c) < 0)
		return -1;
	if (!c->nslots)
		return -2;
	mask = c->nslots - 1;
	for (k = h & mask; c->slots[k]; k = (k + 1) & mask) {
		tk = &c->toks[c->slots[k] - 1];
		if (tk->hash == h && tk->len == len && !memcmp(c->arena + tk->off, s, len))
			return (long)c->slots[k] - 1;
	}
	if (!add)
		return -2;
	if (svd_grow(&c->toks, &c->captoks, c->ntoks + 1, sizeof(*c->toks), 4096) < 0 ||
	    arena_fit(&c->arena, &c->acap, c->alen + len, 1u << 20) < 0)
		return -1;
	tk = &c->toks[c->ntoks];
	memset(tk, 0, sizeof(*tk));
	tk->hash = h;
	tk->len = (uint32_t)len;
	tk->off = (uint32_t)c->alen;
	memcpy(c->arena + c->alen, s, len);
	c->alen += len;
	c->slots[k] = (uint32_t)++c->ntoks;
	return (long)c->ntoks - 1;
}

int svd_catalog_reserve_words(svd_catalog *c, size_t n)
{
	if (words_spill(c))
		return 0; /* one entry's words at a time */
	if (c->nwords + n > POSTINGS_MAX)
		return svd_error_set(SVD_ETOOBIG, "over %u search entries in one library",
		                     POSTINGS_MAX);
	return svd_grow(&c->words, &c->capwords, c->nwords - c->wbase + n, sizeof(*c->words),
	                1u << 16);
}

int svd_catalog_item_words(svd_catalog *c, citem *it, const uint32_t *toks, size_t n)
{
	size_t i;

	if (c->finished || it != &c->v[c->n - 1] || it->pairs_to != c->nwords)
		return svd_error_set(SVD_EINVALID, "words for an item that is not the last one");
	if (c->nwords + n > POSTINGS_MAX)
		return svd_error_set(SVD_ETOOBIG, "over %u search entries in one library",
		                     POSTINGS_MAX);
	if (svd_grow(&c->words, &c->capwords, c->nwords - c->wbase + n, sizeof(*c->words),
	             1u << 16) < 0)
		return -1;
	for (i = 0; i < n; i++) {
		if (toks[i] >= c->ntoks || (i > 0 && toks[i] <= toks[i - 1]))
			return svd_error_set(SVD_EINVALID,
			                     "a word the catalog does not hold, or out of order");
		c->words[c->nwords - c->wbase + i] = toks[i];
	}
	c->nwords += n;
	it->pairs_to = c->nwords;
	return words_done(c, (size_t)(it - c->v));
}

int svd_catalog_page_final(const svd_catalog *c, const char *id)
{
	long t = svd_id_valid(id) ? svd_catalog_find(c, id) : -1;

	if (!c->finished || t < 0 || c->v[t].row == HIDDEN)
		return 0;
	{
		svd_view_item vi;
		const svd_view_item *r = svd_view_find(&vi, c->view, id);
		if (!r || r->supersedes || r->retracts)
			return 0;
	}
	return svd_view_superseder_count(c->view, id) == 0;
}
