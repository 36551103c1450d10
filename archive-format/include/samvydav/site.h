/*
 * site.h: a mirror's reader library served page by page — what samvydavd
 * answers over HTTP, with no HTTP in it (the daemon's http.c is the glue).
 *
 * The paths: / and /index.html, /reader.css, /reader.js, /search/fold.js,
 * the paged library's /list/NNNNN.html, /rows/NNNNN.js, /search/dict.js,
 * /search/dNNNNN.js, /search/pNNNNN.js and /search/facets.js (SPEC.md,
 * 11.1: NNNNN 5 to 9 digits; read from the library folder the builder
 * writes, ARCHIVE/cache/library: 7.2.3), /pages/<id>.html (one item with its verdict),
 * /items/<id[0:2]>/<id>/<file> (the raw file; /items/<id>/<file> too),
 * /items/<id> (moved: its page), /bundle/latest (the newest bundle in the
 * outbox), /api/status and /api/items (JSON). What is shown is the view's
 * (view.h): a withdrawn item's files answer 410, one the gate refuses 404.
 * The index is made once per main commit and trust list, in the
 * background, and shared between threads; its list, rows and search files
 * are on disk, not in memory.
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

/** How long a client or a cache may keep a reply (Cache-Control). */
typedef enum svd_site_cache {
	SVD_SITE_CACHE_NONE = 0,   /**< errors and status: no-store */
	SVD_SITE_CACHE_REVALIDATE, /**< pages, lists, assets, the latest bundle: kept, but
	                                checked with the ETag before each use (no-cache) */
	SVD_SITE_CACHE_IMMUTABLE,  /**< an item's raw file: its path names its content */
} svd_site_cache;

/** What to answer. Everything is borrowed from the reply until svd_site_reply_free(). */
typedef struct svd_site_reply {
	unsigned status;      /**< 200, 301, 400, 404, 410, 414, 500 or 503 */
	const char *type;     /**< the Content-Type */
	const void *data;     /**< the body, len bytes (when fd is -1) */
	size_t len;           /**< its length; with fd, the file's */
	int fd;               /**< >= 0: send this file instead (the reply closes it) */
	int page;             /**< an HTML page: its scripts and styles are its own */
	svd_site_cache cache; /**< how long it may be kept */
	const char *etag;     /**< a strong entity tag, quotes included, or NULL: the
	                           server may derive one from the bytes */
	int64_t mtime;        /**< Last-Modified, seconds since the epoch, or 0 */
	const void *gz_data;  /**< the body gzip-compressed in advance, gz_len bytes, or NULL */
	size_t gz_len;
	int compress;         /**< text worth compressing for a client that takes gzip */
	unsigned retry_after; /**< with 503: seconds to wait before asking again */
	const char *location; /**< with 301: the path it moved to; else NULL */
	const char *filename; /**< a bundle's plain file name for a download, or NULL */
	int pending;          /**< a raw file whose bytes are not read yet: data is NULL, len
	                           and etag are the file's; svd_site_reply_load() reads them
	                           when a body is due (not for a HEAD or a 304) */
} svd_site_reply;

/** How much a site's message matters (svd_site_log_fn). */
typedef enum svd_site_level {
	SVD_SITE_LOG_INFO = 0, /**< an index built */
	SVD_SITE_LOG_WARN,     /**< a catalog file ignored, one not written */
	SVD_SITE_LOG_ERROR,    /**< an index that could not be built (the old one is served) */
} svd_site_level;

/** Told of what the site's builder does; msg is borrowed for the call. */
typedef void (*svd_site_log_fn)(svd_site_level level, const char *msg, void *payload);

/** Settings of a site. Zero fields take the defaults. */
typedef struct svd_site_opts {
	int no_builder;      /**< no builder thread: a request that finds main or the trust list
	                        changed builds the index itself, and waits for it (tests) */
	unsigned poll_ms;    /**< how often the builder looks at main and the trust list;
	                        default 1000 */
	int nice;            /**< the builder thread's niceness; default 10 */
	svd_site_log_fn log; /**< told of each build, and of a catalog file ignored; may be NULL */
	void *log_payload;
	uint64_t send_max; /**< bytes of raw files read from the store into memory for the
	                        replies in flight, all together (each blob held once however
	                        many replies send it); a request past that is answered 503 with
	                        retry_after, a file over it 503 "too large"; default 256 MiB */
} svd_site_opts;

/**
 * Serve the archive at archive_path (opened anew by each thread, so the
 * caller may write the archive meanwhile) and the newest bundle of outbox
 * (may be NULL).
 *
 * The index (the catalog behind item pages and /api/items, and the
 * library folder of index.html, list/, rows/ and search/) is built on the
 * site's own builder thread, at a low priority, from the previous index
 * and the catalog kept in ARCHIVE/cache/site: only items whose folder is
 * new or changed go through the gate. The builder looks at main and the
 * trust list every poll_ms, and at once after svd_site_refresh().
 * Requests never build: they are answered from the newest index built,
 * and until there is one, pages and lists answer 503 with retry_after
 * (the assets and /bundle/latest are served anyway), but for the library
 * folder an earlier run left for this very commit and trust list, which
 * is served at once.
 *
 * @param opts settings, or NULL for the defaults (copied)
 * @param[out] out the caller's, freed with svd_site_free()
 * @return 0; SVD_ENOTFOUND when archive_path is no archive.
 */
int svd_site_new(svd_site **out, const char *archive_path, const char *outbox,
                 const svd_site_opts *opts);

/**
 * Main or the trust list may have changed (an import, a sync, an outbox
 * run, a trust change): wake the builder, which looks now instead of at
 * its next poll. Returns at once; a build takes its time in the background.
 */
void svd_site_refresh(svd_site *s);

/**
 * The reply for a request path, as a server decoded it with
 * svd_site_unescape(), and its query (the bytes after '?' as they came,
 * undecoded, or NULL: the site decodes it). Errors are replies too (a 4xx,
 * 500 or 503 with a plain text saying what is wrong); a negative return is
 * for no memory only.
 *
 * @param[out] out the caller's, freed with svd_site_reply_free() once sent
 */
int svd_site_get(svd_site_reply **out, svd_site *s, const char *path, size_t len,
                 const char *query);

/**
 * Read a pending reply's bytes (r->pending; else nothing to do): shared
 * with the other replies of the same file, within send_max. When they
 * cannot be had, the reply becomes the answer to send instead: 503 with
 * retry_after (past send_max) or 500 (the store cannot be read), with a
 * plain text. Call it on the thread that got the reply.
 *
 * @return 0; a negative error for no memory only.
 */
int svd_site_reply_load(svd_site_reply *r);

/** Release a reply (its bytes, the file, what it holds of the site); NULL is fine. */
void svd_site_reply_free(svd_site_reply *r);

/**
 * Free the site; every reply must have been freed first. NULL is fine. Its
 * builder is stopped and waited for first: a build under way gives up at
 * the gate's next item or at its next phase (listing main, reading the
 * catalog file, finishing the catalog and rendering each run whole), its
 * half-made index dropped and the catalog file not written.
 */
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
