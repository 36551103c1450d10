/*
 * buf.h: a growing byte buffer with a hard cap, and writing text into it
 * (printf, HTML escaping, URL segments) — what pages, JSON replies and
 * search data are built in. Not public.
 */
#ifndef SVD_BUF_H
#define SVD_BUF_H

#include <stddef.h>

#include "samvydav/common.h"

/*
 * A growing byte buffer with a hard cap: a page being rendered. The first
 * failure sticks (error); later writes do nothing. data is NUL-terminated
 * while len > 0.
 */
typedef struct svd_buf {
	char *data;
	size_t len, cap, max;
	int error; /* 0, or the SVD_E code of the first failure */
} svd_buf;

/* Start an empty buffer that may grow to max bytes. */
void svd_buf_init(svd_buf *b, size_t max);

/* Append n bytes. Returns 0, SVD_ETOOBIG over the cap, SVD_ERROR without memory. */
int svd_buf_put(svd_buf *b, const void *data, size_t n);

/* Free the bytes (the struct is the caller's); the buffer is empty afterwards. */
void svd_buf_clear(svd_buf *b);

/* printf into a buffer (a line of at most 1 KiB). */
int svd_buf_printf(svd_buf *b, const char *fmt, ...) SVD_PRINTF(2, 3);

/* Append a NUL-terminated string. */
int svd_buf_puts(svd_buf *b, const char *s);

/*
 * Text as HTML: & < > " ' as entities; invalid UTF-8 and the characters of
 * svd_text_control() (tab and newline aside) as U+FFFD (SPEC.md, 13).
 */
void svd_buf_html(svd_buf *b, const char *s, size_t n);

/* A file name as one URL path segment: unreserved bytes as they are, the rest %XX. */
void svd_buf_url(svd_buf *b, const char *s);

#endif
