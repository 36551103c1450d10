/*
 * site_internal.h: what site.c shares with the tests (not public).
 */
#ifndef SVD_SITE_INTERNAL_H
#define SVD_SITE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "samvydav/manifest.h"
#include "samvydav/render.h"
#include "buf.h"

/*
 * Is this request path one the site answers? The same check every request
 * goes through, after svd_site_unescape(). Returns 0 when acceptable,
 * SVD_EINVALID (a 4xx) with a message otherwise.
 */
int svd_site_check_path(const char *path, size_t len);

/* /api/items (site_api.c): paging and filters over the shown items. */

#define SVD_SITE_QUERY_MAX    4096 /* bytes of a raw query string; over it: 414 */
#define SVD_API_VALUE_MAX     1024 /* bytes of one decoded value */
#define SVD_API_LIMIT_DEFAULT 100  /* items in a page without limit= */
#define SVD_API_LIMIT_MAX     1000 /* items in a page, at most */
#define SVD_API_WORDS_MAX     32   /* words of q= */
#define SVD_API_CURSOR_LEN    84   /* characters of an after= cursor */

/* A query of /api/items, parsed and checked. Strings are the query's own. */
typedef struct svd_api_query {
	unsigned limit; /* 1..SVD_API_LIMIT_MAX */
	int after;      /* a cursor was given: the sort key of the last item seen */
	char after_date[11], after_created[21], after_id[SVD_ID_HEX_LEN + 1];
	char *lang;                     /* NULL: any; compared ignoring ASCII case */
	int kind;                       /* -1: any; else an svd_kind */
	char *region;                   /* NULL: any; folded as the search folds (svd_fold) */
	char since[11];                 /* "": any; else YYYY-MM-DD, items dated on or after it */
	char year[8];                   /* "": any; else YYYY, or SVD_YEAR_UNDATED */
	char *words[SVD_API_WORDS_MAX]; /* q's words, folded, as the reader's search splits them */
	size_t nwords;
} svd_api_query;

/*
 * Parse the raw query string of /api/items (application/x-www-form-
 * urlencoded: '&'-separated key=value pairs, %XX and '+' decoded, each key
 * once). Every value is checked; the message of a refusal names the
 * parameter (escaped), says what is wrong and what is allowed.
 *
 * @param[out] out the caller's, freed with svd_api_query_free()
 * @param query the bytes after '?', len of them (NULL or 0: no parameters)
 * @return 0; SVD_EINVALID for a query to answer with 400; SVD_ETOOBIG for
 *         one over SVD_SITE_QUERY_MAX bytes (414); SVD_ERROR without memory.
 */
int svd_api_query_parse(svd_api_query **out, const char *query, size_t len);

/* Free a parsed query; NULL is fine. */
void svd_api_query_free(svd_api_query *q);

/*
 * The reply of /api/items for a finished catalog and a raw query (NUL-
 * terminated, or NULL): {"items":[...],"next":cursor|null} into out with
 * 200, the items in the view's order; or a plain text saying what is wrong
 * with the query, with 400 or 414. out is initialized here; the caller
 * owns its bytes.
 *
 * @return the HTTP status; a negative code without memory (out is empty).
 */
int svd_site_api_items(svd_buf *out, const svd_catalog *c, const char *query);

/*
 * The paged library on disk (site_library.c): ARCHIVE/cache/library holds
 * folders lib-XXXXXX of index.html, list/, rows/ and search/ (no item
 * pages, no assets), and the pointer file "current" naming the one of a
 * commit and trust list. Folder names (SVD_SITE_LIB_NAME bytes with the
 * NUL) are never paths.
 */
#define SVD_SITE_LIB_NAME     11
#define SVD_SITE_LIB_FILE_MAX (16u * 1024 * 1024) /* bytes of one file read for a reply */

/* Write a finished catalog's files into a new folder of root; its name into *out (free()). */
int svd_site_lib_write(char **out, const char *root, const svd_catalog *c);

/*
 * Name the folder of commit ("" for none) and the trust list's print: the
 * folder synced (syncfs), then the pointer (temporary name, fsync, rename).
 */
int svd_site_lib_pointer_write(const char *root, const char *commit, const uint8_t print[32],
                               const char *name);

/* The folder the pointer names for this commit and print, when it is there: 1; else 0. */
int svd_site_lib_pointer_find(char name[SVD_SITE_LIB_NAME], const char *root, const char *commit,
                              const uint8_t print[32]);

/* Remove a folder of root; every lib-XXXXXX of root but keep (NULL: all). */
void svd_site_lib_remove(const char *root, const char *name);
void svd_site_lib_sweep(const char *root, const char *keep);

/*
 * A file of a folder (rel: a path parse_path accepted) into out, which is
 * initialized here: SVD_ENOTFOUND when it is not there, SVD_ETOOBIG over
 * SVD_SITE_LIB_FILE_MAX bytes.
 */
int svd_site_lib_read(svd_buf *out, const char *root, const char *name, const char *rel);

#endif
