/*
 * library_paths.h: which paths are a reader library's own files (not
 * public; render.h declares the same function for the library's users).
 */
#ifndef SVD_LIBRARY_PATHS_H
#define SVD_LIBRARY_PATHS_H

#include "samvydav/manifest.h"

#define SVD_LIBRARY_SHARDS 64 /* search/s00.js .. s63.js; render.h's SVD_SEARCH_SHARDS */

/*
 * Is path the name of a reader library file in a bundle (index.html,
 * reader.css, reader.js, search/fold.js, search/sNN.js of older libraries,
 * search/dict.js, search/facets.js, search/dNNNNN.js, search/pNNNNN.js,
 * list/NNNNN.html, rows/NNNNN.js, pages/<id>.html; NNNNN: 5 to 9 digits)?
 * 1 or 0.
 */
int svd_render_is_library_path(const char *path);

/*
 * How the pages link an item's files (svd_catalog_set_links): straight to
 * the file (the daemon, which serves active types as sandboxed downloads),
 * to the inert name unpack writes it under (a library read from file://),
 * or, for an active type, not at all (export --with-reader: the bundle
 * holds only the item's own names).
 */
enum { SVD_LINKS_DIRECT = 0, SVD_LINKS_INERT, SVD_LINKS_NONE };

/*
 * Would a browser run a file of this name, opened from file://? It decides
 * by the extension: .html .htm .shtml .shtm .xhtml .xhtm .xht .mht .mhtml
 * .svg .svgz .xml .xsl .xslt .rss .rdf .atom .xbl, in any ASCII case (the
 * types Chromium's own table names as HTML, and what it renders as XML,
 * where an XHTML <script> runs). 1 or 0.
 */
int svd_library_name_active(const char *name);

/*
 * The names an item's files have in a reader library unpacked to disk
 * (SPEC.md 11.1): the manifest's name, or for an active one that name with
 * ".txt" added, so that a browser shows it as text. The added name is cut
 * (at a character) to fit SVD_NAME_MAX bytes, and when its key is one of
 * the item's names' or of an inert name given before it (in the
 * manifest's order) it ends "~2.txt", "~3.txt"... instead: m's files and
 * the inert names are all distinct on any disk.
 *
 * All of an item's names are made at once, in O(m's files) (one key is
 * made per candidate; m's own are the manifest's): ask for them once per
 * item. *out is the caller's, freed with svd_library_names_free(); it
 * borrows m, which must outlive it. Returns 0 or an error.
 */
typedef struct svd_library_names svd_library_names;
int svd_library_names_new(svd_library_names **out, const svd_manifest *m);
void svd_library_names_free(svd_library_names *ln);

/* The disk name of m's i-th file (borrowed from ln, or m's own); NULL past the end. */
const char *svd_library_names_at(const svd_library_names *ln, size_t i);

/* The disk name of m's file called name (borrowed); NULL when m has no such file. */
const char *svd_library_names_get(const svd_library_names *ln, const char *name);

/*
 * One name of the above, for a single look (it makes them all: for more,
 * svd_library_names_new). name is one of m's files. out holds SVD_NAME_MAX
 * + 1 bytes. Returns 1 when renamed, 0 when not, or an error.
 */
int svd_library_file_name(char *out, const svd_manifest *m, const char *name);

#endif
