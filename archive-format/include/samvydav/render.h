/*
 * render.h: the reader library — static HTML pages, search data and assets
 * made from verified items (archive-format/SPEC.md, 11). One renderer, three
 * outlets: `samvydav unpack` writes the pages as files (unpack.h), the
 * daemon serves the same pages over HTTP, `export --with-reader` puts them
 * into a bundle. Where the items come from is the outlet's affair.
 *
 *     index.html                every item but retracted ones, newest first
 *     reader.css, reader.js     the static assets (embedded at build time)
 *     search/fold.js            the case and diacritic folding table
 *     search/sNN.js             NN = 00..63: token -> row numbers
 *     pages/<id>.html           one page per item
 *     items/<id[0:2]>/<id>/...  the item's files, as in the archive
 *
 * Every link is relative, so one tree works from file:// and over HTTP.
 * Everything an item says (title, authors, body) is untrusted: it is
 * escaped, Markdown is rendered without raw HTML and with dangerous links
 * (javascript:, vbscript:, file:, data: but images) blanked, and a page
 * never loads anything from outside the library.
 */
#ifndef SAMVYDAV_RENDER_H
#define SAMVYDAV_RENDER_H

#include "common.h"
#include "item.h"
#include "manifest.h"
#include "view.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SVD_RENDER_PAGE_MAX  (16u * 1024 * 1024)  /**< bytes of one item page */
#define SVD_RENDER_INDEX_MAX (512u * 1024 * 1024) /**< bytes of index.html or a shard */
#define SVD_RENDER_BODY_MAX  (4u * 1024 * 1024)   /**< bytes of body.md rendered and indexed */
#define SVD_SEARCH_SHARDS    64                   /**< search/s00.js .. s63.js (the daemon's) */
#define SVD_LIST_ROWS        100                  /**< rows of index.html and of each list page */
#define SVD_CHUNK_ROWS       128                  /**< rows of each rows/NNNNN.js */
#define SVD_TOKEN_MIN        2                    /**< code points of a token, at least */
#define SVD_TOKEN_MAX        32                   /**< code points of a token, at most */

/** The items a library shows, with what the gate said of each; opaque. */
typedef struct svd_catalog svd_catalog;

/** @param[out] out an empty catalog; the caller's, freed with svd_catalog_free() */
int svd_catalog_new(svd_catalog **out);

/**
 * Add an item that went through the gate. The manifest, the verdict's
 * signatures and problems are copied; the body (body.md's bytes, or NULL)
 * is read for search tokens and not kept. An item already in the catalog
 * is ignored.
 *
 * @return 0; SVD_EINVALID for a verdict without a manifest; SVD_ERROR without memory.
 */
int svd_catalog_add(svd_catalog *c, const svd_verdict *v, const char *body, size_t body_len);

/**
 * Add an item with no verdict (its page says it was not checked), as an
 * outlet that checks items when a page is asked for does.
 */
int svd_catalog_add_manifest(svd_catalog *c, const svd_manifest *m, const char *body,
                             size_t body_len);

/**
 * Close the catalog: work out retractions, what supersedes what, the order
 * of the index (newest first) and the row numbers. Call once, after the
 * last add; the render calls need it.
 */
int svd_catalog_finish(svd_catalog *c);

/** How many items the index shows (retracted ones are not shown). */
size_t svd_catalog_count(const svd_catalog *c);

/** The id of the item on index row n (borrowed), or NULL past the end. */
const char *svd_catalog_row(const svd_catalog *c, size_t n);

/** How many items were added (shown or not). */
size_t svd_catalog_size(const svd_catalog *c);

/** Is this id withdrawn by a retraction in the catalog? 1 or 0. */
int svd_catalog_retracted(const svd_catalog *c, const char *id);

/**
 * The view the catalog's rows come from (borrowed; NULL before
 * svd_catalog_finish()): its items, why hidden ones are hidden, and what
 * supersedes what (view.h).
 */
const svd_view *svd_catalog_view(const svd_catalog *c);

/** Free a catalog; NULL is fine. */
void svd_catalog_free(svd_catalog *c);

/**
 * A static asset embedded at build time ("reader.css", "reader.js").
 *
 * @param[out] data borrowed, static
 * @return 0; SVD_ENOTFOUND for another name
 */
int svd_render_asset(const char *name, const void **data, size_t *len);

/**
 * Asked for an item's body.md while the library is written.
 *
 * @param[out] out the bytes (the caller's, free()), or NULL when the item has none
 */
typedef int (*svd_body_cb)(char **out, size_t *len, const char *id, void *payload);

/** Told about each file of the library; path is relative ("pages/<id>.html"). */
typedef int (*svd_render_file_cb)(const char *path, const void *data, size_t len, void *payload);

/**
 * Render the whole library but items/ (index.html, list/NNNNN.html,
 * rows/NNNNN.js, reader.css, reader.js, search/fold.js, search/dict.js,
 * search/dNNNNN.js, search/pNNNNN.js, search/facets.js, pages/<id>.html:
 * SPEC.md, 11.1) and hand each
 * file to cb, one at a time (pages in no set order). Pages are rendered on
 * worker threads, which call body and cb, one call at a time; with threads
 * 1, all of it happens on the calling thread, pages in row order.
 *
 * @param body reads each shown item's body.md
 * @param threads pages rendered at once (0: one per core; at most SVD_THREADS_MAX)
 */
int svd_render_library(const svd_catalog *c, svd_body_cb body, void *body_payload, unsigned threads,
                       svd_render_file_cb cb, void *payload);

/**
 * Is path the name of a reader library file in a bundle (index.html,
 * reader.css, reader.js, search/fold.js, search/sNN.js, search/dict.js,
 * search/facets.js, search/dNNNNN.js, search/pNNNNN.js, list/NNNNN.html,
 * rows/NNNNN.js, pages/<id>.html)?
 * Such entries are skipped by import and inspect. @return 1 or 0.
 */
int svd_render_is_library_path(const char *path);

#ifdef __cplusplus
}
#endif

#endif
