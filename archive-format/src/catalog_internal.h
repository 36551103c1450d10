/*
 * catalog_internal.h: the catalog's insides, shared by the reader
 * library's rooms — catalog.c (items, words, the search index), pages.c
 * (index.html and item pages) and search.c (the shards). Not public.
 */
#ifndef SVD_CATALOG_INTERNAL_H
#define SVD_CATALOG_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include <cmark.h>

#include "samvydav/render.h"
#include "samvydav/view.h"
#include "render_internal.h"

#define HIDDEN UINT32_MAX /* the row of an item not shown */

/*
 * The year of an item without "published", wherever years are values: the
 * index's data-year and f-year option, /api/items?year= (SPEC.md, 11.2).
 */
#define SVD_YEAR_UNDATED "undated"

typedef struct csig {
	char *keyid;
	svd_sig_status st;
	int verified; /* pk holds the key it verified with */
	uint8_t pk[32];
} csig;

typedef struct citem {
	char id[SVD_ID_HEX_LEN + 1];
	svd_manifest *m;
	int checked; /* a verdict was given */
	int ok;
	int sound; /* the verdict's: whole, signatures verify; trust is the view's */
	csig *sigs;
	size_t nsigs;
	char **problems; /* "file: check: message" */
	size_t nproblems;
	char **dropped; /* "file: message" */
	size_t ndropped;
	/* date: "published", "" when undated; year: its first four digits */
	char date[11], created[21], year[5];
	uint32_t row;                /* HIDDEN when not shown */
	size_t pairs_from, pairs_to; /* its (token, item) pairs */
	size_t pairs_title;          /* pairs_from..pairs_title: words of its title and authors */
	int retracted;
	int links;          /* SVD_LINKS_* (library_paths.h): the catalog's when added */
	uint32_t spill_len; /* compact: the manifest's bytes in the spill file, or 0 */
	uint64_t spill_off;
	uint64_t
	    words_off; /* with a spill: where its words are in it (svd_catalog_item_words_of) */
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
	svd_view *view;         /* what is shown, and why not (finish) */
	const svd_trust *trust; /* the rules' trust, until finish; NULL: verdicts as given */
	int links;              /* SVD_LINKS_*, for the items added from now on */
	/* search */
	ctok *toks;
	size_t ntoks, captoks;
	uint32_t *slots; /* token index + 1; 0 empty */
	size_t nslots;
	char *arena;
	size_t alen, acap;
	/*
	 * each item's tokens, item after item (citem.pairs_from..pairs_to, its
	 * title's first): words[k - wbase] is the k-th. With a spill, an item's
	 * words go there once they are all in, and the array holds only the
	 * item being added (wbase: its first).
	 */
	uint32_t *words;
	size_t nwords, capwords, wbase;
	uint32_t *post_off, *post; /* per token: rows, ascending (finish) */
	uint8_t *post_title;       /* bit j: post[j]'s title or authors hold the token */
	uint32_t *shard_toks[SVD_SEARCH_SHARDS];
	size_t shard_n[SVD_SEARCH_SHARDS];
	int finished;
	int compact;        /* svd_catalog_set_compact: manifests kept compact */
	int spill_fd;       /* where their bytes go, or -1 */
	int spill_bad;      /* a write failed: later entries keep no bytes */
	uint64_t spill_end; /* bytes written to it */
	char *packed;       /* every item's sigs, problems and dropped, once the manifests went
	                 (svd_catalog_drop_manifests); the items' own are not freed then */
};

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

/* How much of a body is read: at most SVD_RENDER_BODY_MAX bytes, cut before a character. */
size_t svd_body_shown(const char *body, size_t len);

/* A body parsed as CommonMark (safe options); NULL without memory. */
cmark_node *svd_body_parse(const char *body, size_t len);

/* The words of a parsed body (its text and code), each handed to cb. */
int svd_doc_tokens(cmark_node *doc, svd_token_cb cb, void *payload);

/*
 * An item's page into b. With c NULL (an early page) the relations to
 * other items are left out. doc, when given, is the body already parsed
 * (freed here).
 */
int svd_page_render(svd_buf *b, const svd_catalog *c, const citem *it, const svd_verdict *v,
                    const char *body, size_t body_len, cmark_node *doc);

/*
 * Entries made without a verdict or a body (site_cache.c gives back what
 * an earlier catalog held). svd_catalog_new_item: a zeroed entry for id,
 * the catalog's last, or NULL (a message set) when it holds id already or
 * is finished; the caller fills m, the verdict's fields and the dates
 * (svd_catalog_item_dates once m is set). svd_catalog_token: the index of
 * a word, added when add is set; -2 when absent, -1 without memory.
 * svd_catalog_item_words: the last entry's words, by index, in ascending
 * order (so each once, checked without a look at the words themselves).
 */
citem *svd_catalog_new_item(svd_catalog *c, const char *id);
void svd_catalog_item_dates(citem *it);
long svd_catalog_token(svd_catalog *c, const char *s, size_t len, int add);
int svd_catalog_item_words(svd_catalog *c, citem *it, const uint32_t *toks, size_t n);
/* Room for n more words of entries, made at once (a catalog file says how many). */
int svd_catalog_reserve_words(svd_catalog *c, size_t n);

/*
 * Compact entries (svd_catalog_set_compact). svd_catalog_item_keep: the
 * entry's manifest let go (its row is the view's), its bytes (those
 * given, or the manifest's own when NULL) first appended to the spill
 * file when there is one; 0, or SVD_ERROR out of
 * memory (a spill that cannot be written is not an error: the entry keeps
 * no bytes, and svd_catalog_manifest_bytes says so). The bytes of an
 * entry's manifest: its own, or read back from the spill into b; NULL
 * with a message when the catalog let go of them.
 */
int svd_catalog_item_keep(svd_catalog *c, citem *it, const char *bytes, size_t len);

/*
 * An entry into the catalog's view, once its manifest and verdict are in
 * (add_item does it; svd_catalog_new_item's callers do, before
 * svd_catalog_item_keep).
 */
int svd_catalog_item_view(svd_catalog *c, const citem *it);
const char *svd_catalog_manifest_bytes(const svd_catalog *c, const citem *it, svd_buf *b,
                                       size_t *len);

/*
 * An entry's words (pairs_to - pairs_from of them, its title's first), in
 * the catalog or read back from its spill into buf (room for as many);
 * NULL with a message when they cannot be read. Until svd_catalog_finish.
 */
const uint32_t *svd_catalog_item_words_of(const svd_catalog *c, const citem *it, uint32_t *buf);

/*
 * Row r's fields (title, authors, language, kind, region, date), from the
 * view of a finished catalog (r below its count), filled into buf: what
 * the index, the list pages, the rows and the facets show. The view holds
 * them whether or not the catalog still holds its manifests.
 */
const svd_view_item *svd_catalog_row_item(svd_view_item *buf, const svd_catalog *c, size_t r);

#endif
