/*
 * http_parse.h: the request headers samvydavd's HTTP service reads itself
 * (Range, If-Range, If-None-Match, If-Modified-Since, Accept-Encoding), as
 * RFC 9110 writes them. Every value is untrusted: whatever a client sends,
 * these functions read no further than its NUL, allocate nothing, and take
 * time linear in its length. A value that does not parse is treated as if
 * the header were absent (the whole body, no 304, no gzip), never as a
 * match.
 */
#ifndef SVDD_HTTP_PARSE_H
#define SVDD_HTTP_PARSE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SVD_HTTP_DATE_LEN 29 /**< "Sun, 06 Nov 1994 08:49:37 GMT" */

/** What a Range header asks of a body. */
typedef enum svd_http_range_kind {
	SVD_HTTP_RANGE_WHOLE = 0,     /**< not a single byte range we serve: send it all (200) */
	SVD_HTTP_RANGE_PART,          /**< one satisfiable range: 206 */
	SVD_HTTP_RANGE_UNSATISFIABLE, /**< one range that lies past the end: 416 */
} svd_http_range_kind;

/**
 * Read a Range header against a body of len bytes. One range of bytes
 * (first-last, first-, or -suffix) is served; several ranges, another unit
 * or a malformed value give SVD_HTTP_RANGE_WHOLE (RFC 9110, 14.2 lets a
 * server ignore Range).
 *
 * @param[out] first, last the bytes asked for, both included, within len
 *                         (set with SVD_HTTP_RANGE_PART only)
 * @param value            the header's value (NUL-terminated)
 */
svd_http_range_kind svd_http_range_parse(uint64_t *first, uint64_t *last, const char *value,
                                         uint64_t len);

/**
 * Does an Accept-Encoding value take gzip: "gzip" or "x-gzip" with a q
 * above 0, or else "*" with a q above 0? A malformed element counts as
 * absent.
 *
 * @return 1 or 0.
 */
int svd_http_accepts_gzip(const char *value);

/**
 * Does an If-None-Match value match etag (a quoted entity tag): "*", or a
 * list holding the same opaque tag, compared weakly (W/ ignored, RFC 9110,
 * 8.8.3.2)? A list that does not parse matches nothing.
 *
 * @return 1 or 0.
 */
int svd_http_etag_match(const char *value, const char *etag);

/**
 * May a Range be served under this If-Range value: one strong entity tag
 * equal to etag, or an HTTP-date equal to mtime (a strong validator only:
 * a weak tag or anything else is no)?
 *
 * @param etag  the body's strong entity tag, or NULL
 * @param mtime its Last-Modified, or 0 for none
 * @return 1 or 0.
 */
int svd_http_if_range(const char *value, const char *etag, int64_t mtime);

/**
 * An HTTP-date in any of its three forms (IMF-fixdate, RFC 850 with a
 * two-digit year read as 1970..2069, asctime), as seconds since the epoch.
 *
 * @return 0, or -1 for anything else (which a recipient must ignore).
 */
int svd_http_date_parse(int64_t *out, const char *value);

/** Seconds since the epoch as an IMF-fixdate, into out (SVD_HTTP_DATE_LEN + 1 bytes). */
void svd_http_date_format(char *out, int64_t t);

/**
 * Is s a strong entity tag a response may carry: a quoted string of at
 * most max bytes of etagc (visible ASCII but '"', or bytes >= 0x80)?
 *
 * @return 1 or 0.
 */
int svd_http_etag_valid(const char *s, size_t max);

#ifdef __cplusplus
}
#endif

#endif
