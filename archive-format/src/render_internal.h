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

/* Every non-identity mapping of the fold table, in code point order. */
typedef struct svd_fold_pair {
	unsigned short from, to; /* to = 0: dropped */
} svd_fold_pair;
extern const svd_fold_pair svd_fold_table[];
extern const size_t svd_fold_table_len;

#endif
