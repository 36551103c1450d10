/*
 * site.h: a mirror's reader library served page by page — what samvydavd
 * answers over HTTP, with no HTTP in it (the daemon's http.c is the glue).
 *
 * The paths: / and /index.html, /reader.css, /reader.js, /search/fold.js,
 * /search/sNN.js, /pages/<id>.html (one item with its verdict),
 * /items/<id[0:2]>/<id>/<file> (the raw file; /items/<id>/<file> too),
 * /items/<id> (moved: its page), /bundle/latest (the newest bundle in the
 * outbox), /api/status and /api/items (JSON). What is shown is the view's
 * (view.h): a withdrawn item's files answer 410, one the gate refuses 404.
 * The pages are made once per main commit and trust list, every item
 * through the gate, and shared between threads.
 *
 * Every path is untrusted: anything but these forms (traversal, encoded
 * dots, NUL, control characters, overlong paths) is refused with a 4xx, and
 * nothing is ever read from a path on disk but the outbox's own bundles.
 * svd_site_get() may be called from several threads at once.
 */
#ifndef SAMVYDAV_SITE_H
#define SAMVYDAV_SITE_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SVD_SITE_URL_MAX 1024 /**< bytes of a request path */

/** The pages of one archive; opaque. */
typedef struct svd_site svd_site;

/** What to answer. Everything is borrowed from the reply until svd_site_reply_free(). */
typedef struct svd_site_reply {
	unsigned status;      /**< 200, 301, 400, 404, 410, 414 or 500 */
	const char *type;     /**< the Content-Type */
	const void *data;     /**< the body, len bytes (when fd is -1) */
	size_t len;           /**< its length; with fd, the file's */
	int fd;               /**< >= 0: send this file instead (the reply closes it) */
	int page;             /**< an HTML page: its scripts and styles are its own */
	int immutable;        /**< a raw file, whose content never changes at its path */
	const char *location; /**< with 301: the path it moved to; else NULL */
	const char *filename; /**< a bundle's plain file name for a download, or NULL */
} svd_site_reply;

/**
 * Serve the archive at archive_path (opened anew by each thread, so the
 * caller may write the archive meanwhile) and the newest bundle of outbox
 * (may be NULL).
 *
 * @param[out] out the caller's, freed with svd_site_free()
 * @return 0; SVD_ENOTFOUND when archive_path is no archive.
 */
int svd_site_new(svd_site **out, const char *archive_path, const char *outbox);

/**
 * The reply for a request path, as a server decoded it with
 * svd_site_unescape(). Errors are replies too (a 4xx or 500 with a plain
 * text saying what is wrong); a negative return is for no memory only.
 *
 * @param[out] out the caller's, freed with svd_site_reply_free() once sent
 */
int svd_site_get(svd_site_reply **out, svd_site *s, const char *path, size_t len);

/** Release a reply (its bytes, the file, what it holds of the site); NULL is fine. */
void svd_site_reply_free(svd_site_reply *r);

/** Free the site; every reply must have been freed first. NULL is fine. */
void svd_site_free(svd_site *s);

/**
 * Decode a request path's %XX escapes in place, the one decoding a server
 * must apply before svd_site_get(). A malformed escape, or one that stands
 * for '/', '\\', '%' or a control character, leaves the whole string as it
 * came (its '%' then has it refused). Returns the new length; s stays
 * NUL-terminated.
 */
size_t svd_site_unescape(char *s);

#ifdef __cplusplus
}
#endif

#endif
