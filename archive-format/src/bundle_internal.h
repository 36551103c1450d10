/*
 * bundle_internal.h: the layout of a bundle's trailing index (SPEC.md, 9.4),
 * shared by the writer (bundle_write.c) and the reader.
 *
 *     skippable frame header   u32 SVD_BUNDLE_INDEX_MAGIC, u32 content length
 *     head                     "SVDX", u32 version, u32 frames, u32 items
 *     per frame                u64 offset, u64 compressed, u64 content,
 *                              u32 first_item, u32 item_count
 *     per item                 32 bytes: the raw SHA-256
 *     tail                     u32 crc32, u32 length, "SVDXEND1"
 *
 * All integers little-endian; length counts head, frames and items; the
 * crc32 (zlib's) covers the same bytes. The skippable frame's content
 * length is length + SVD_BUNDLE_INDEX_TAIL.
 */
#ifndef SVD_BUNDLE_INTERNAL_H
#define SVD_BUNDLE_INTERNAL_H

#define SVD_BUNDLE_META_NAME     "BUNDLE.json"
#define SVD_BUNDLE_INDEX_TAG     "SVDX" /* 4 bytes, at the start of the content */
#define SVD_BUNDLE_INDEX_VERSION 1u
#define SVD_BUNDLE_INDEX_END     "SVDXEND1" /* 8 bytes, the file's last */
#define SVD_BUNDLE_SKIP_HEADER   8u         /* skippable frame: magic, content length */
#define SVD_BUNDLE_INDEX_HEAD    16u        /* tag, version, frames, items */
#define SVD_BUNDLE_INDEX_FRAME   32u        /* offset, compressed, content, first, count */
#define SVD_BUNDLE_INDEX_ITEM    32u        /* raw SHA-256 */
#define SVD_BUNDLE_INDEX_TAIL    16u        /* crc32, length, "SVDXEND1" */
#define SVD_BUNDLE_TAR_END       1024u      /* the end-of-archive marker: two zero blocks */

#include <stddef.h>

#include "samvydav/bundle.h"

/*
 * svd_bundle_extract, also keeping the first cap bytes of each item's
 * body.md for the item callback: during the callback, have is 1 when the
 * item has a body.md and buf holds its first len bytes (len <= cap). The
 * buffer is the reader's (made and freed by the call).
 */
typedef struct svd_extract_body {
	size_t cap;
	char *buf;
	size_t len;
	int have;
} svd_extract_body;

int svd_bundle_extract_ex(const char *path, const svd_trust *trust, const char *dir,
                          const svd_bundle_cbs *cbs, svd_bundle_stats *stats,
                          svd_extract_body *body);

#endif
