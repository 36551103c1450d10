/*
 * view_cache.h: the view's record of what it found per item
 * (ARCHIVE/cache/view; view_cache.c has the format). Not public.
 */
#ifndef SVD_VIEW_CACHE_H
#define SVD_VIEW_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "samvydav/archive.h"
#include "view_internal.h"

#define SVD_VIEW_CACHE_MAX (1024u * 1024 * 1024) /* bytes of the file */

/* One item's record: its fields (strings borrowed from the cache) and folder. */
typedef struct svd_view_cache_rec {
	svd_view_fields f;
	uint8_t tree[20]; /* the git id of the item's folder */
	char id[65], sup[65], ret[65], date[11], created[21];
} svd_view_cache_rec;

typedef struct svd_view_cache svd_view_cache;

/* BLAKE2b-256 of the trust list's key ids and keys, in its order. */
void svd_view_trust_print(uint8_t out[32], const svd_trust *trust);

/*
 * Check a cache file's bytes whole: SVD_ECORRUPT for any fault (size,
 * checksum, magic, a record, records out of id order), SVD_ENOTFOUND for
 * one made at another level or with another trust list. The cache borrows
 * data, which must outlive it; *out is the caller's (svd_view_cache_free).
 */
int svd_view_cache_parse(svd_view_cache **out, const uint8_t *data, size_t len, int level,
                         const uint8_t trust[32]);

/*
 * The same from an open file (borrowed: it stays open until
 * svd_view_cache_free()), read through a window of about 1.5 MiB in three
 * passes (the checksum, every record, then the records as they are asked
 * for): a cache of a million items is never all in memory.
 */
int svd_view_cache_open_fd(svd_view_cache **out, int fd, int level, const uint8_t trust[32]);

/* How many records it holds. */
size_t svd_view_cache_count(const svd_view_cache *c);

/*
 * The next record, in id order, into *rec (its strings valid until the
 * next call), or NULL after the last.
 */
const svd_view_cache_rec *svd_view_cache_next(svd_view_cache *c, svd_view_cache_rec *rec);

/* The records to write, one per call, in id order: 1 with *rec filled, 0 after the last. */
typedef int (*svd_view_cache_source)(svd_view_cache_rec *rec, void *payload);

/* Write the records to path under a temporary name, then rename. */
int svd_view_cache_write(const char *path, int level, const uint8_t trust[32],
                         const uint8_t commit[20], svd_view_cache_source next, void *payload);

void svd_view_cache_free(svd_view_cache *c);

#endif
