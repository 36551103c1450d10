/*
 * render_internal.h: what the reader library's files share (not public).
 */
#ifndef SVD_RENDER_INTERNAL_H
#define SVD_RENDER_INTERNAL_H

#include <stddef.h>

#include "samvydav/render.h"

/* One static asset, embedded by embed.cmake (reader_assets.c). */
typedef struct svd_asset {
	const char *name;
	const unsigned char *data;
	size_t len;
} svd_asset;

/* The table embed.cmake writes; ends with a NULL name. */
extern const svd_asset svd_reader_assets[];

/* printf into a buffer (a line of at most 1 KiB). */
int svd_buf_printf(svd_buf *b, const char *fmt, ...) SVD_PRINTF(2, 3);

/* Append a NUL-terminated string. */
int svd_buf_puts(svd_buf *b, const char *s);

/* Text as HTML: & < > " ' as entities, control characters and invalid UTF-8 as U+FFFD. */
void svd_buf_html(svd_buf *b, const char *s, size_t n);

/* A file name as one URL path segment: unreserved bytes as they are, the rest %XX. */
void svd_buf_url(svd_buf *b, const char *s);

/* Decode one UTF-8 code point at s (n bytes left); *used gets its length. U+FFFD if invalid. */
uint32_t svd_utf8_next(const char *s, size_t n, size_t *used);

/* Encode cp as UTF-8 into out (4 bytes); returns the length. */
size_t svd_utf8_put(char out[4], uint32_t cp);

/* The id of the i-th item added (borrowed), or NULL past the end. */
const char *svd_catalog_id_at(const svd_catalog *c, size_t i);

/*
 * Early pages and words: `samvydav unpack` adds each item to the catalog as
 * the bundle is read (svd_catalog_add_later, on the reading thread) and
 * hands the rest to other threads: svd_early_prepare gathers the item's
 * search words and, for an item whose page cannot depend on the others (it
 * supersedes and retracts nothing), renders its page; svd_catalog_add_words
 * then puts the words in the catalog. The two catalog calls must not run at
 * the same time (the caller holds a lock); svd_early_prepare needs none.
 * After svd_catalog_finish, svd_catalog_page_final says whether an early
 * page is the final one (nothing shown supersedes the item and it was not
 * retracted); the others are rendered again.
 */
typedef struct svd_early_page svd_early_page;
typedef struct svd_words svd_words;

/*
 * Add v's item without its words: 1 and *out (free() it) for a new item, 0
 * for one already there, or an error. *out points into the catalog: use it
 * before the catalog is finished or freed.
 */
int svd_catalog_add_later(svd_early_page **out, svd_catalog *c, const svd_verdict *v);

/* The item's id (borrowed). */
const char *svd_early_page_id(const svd_early_page *e);

/* Scratch space for one thread's words. */
svd_words *svd_words_new(void);
void svd_words_free(svd_words *w);

/*
 * The item's words into w; and its early page into b (the same bytes as
 * svd_render_item with no verdict gives when nothing relates to it): 1 when
 * a page was rendered, 0 when it must wait for the whole catalog (or b is
 * NULL: words only), or an error.
 */
int svd_early_prepare(svd_words *w, svd_buf *b, const svd_early_page *e, const char *body,
                      size_t body_len);

/* The words svd_early_prepare gathered, into the catalog (once per item). */
int svd_catalog_add_words(svd_catalog *c, const svd_early_page *e, const svd_words *w);

/* 1 when id's early page is its final page, in a finished catalog. */
int svd_catalog_page_final(const svd_catalog *c, const char *id);

/* Every non-identity mapping of the fold table, in code point order. */
typedef struct svd_fold_pair {
	unsigned short from, to; /* to = 0: dropped */
} svd_fold_pair;
extern const svd_fold_pair svd_fold_table[];
extern const size_t svd_fold_table_len;

#endif
