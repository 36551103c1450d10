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
#include <stdint.h>

#include "samvydav/bundle.h"

/*
 * BUNDLE.json read as its bytes come (bundle_meta.c; SPEC.md, 9.2), never
 * whole and never as a JSON tree: what it takes is 32 bytes an id it lists,
 * grown as the ids arrive (for "ids", never past what "count" says), so a
 * count that lies costs nothing and the memory follows the bytes that are
 * there. The grammar is the one canonical form (3.2) of the members of
 * 9.2, so that every BUNDLE.json earlier versions read is read the same.
 *
 *     svd_bundle_meta_init      a parser
 *     svd_bundle_meta_feed      the entry's bytes, in pieces of any size
 *     svd_bundle_meta_end       the last byte came: is it whole and sound?
 *     svd_bundle_meta_clear     its lists freed (also after a failure)
 *
 * feed and end return 0, SVD_ECORRUPT with a message naming what is wrong
 * ("BUNDLE.json: ..."; newer is set for a format newer than this library
 * reads), or SVD_ERROR (out of memory). A failure sticks: later calls
 * return it again and set nothing.
 */
#define SVD_BUNDLE_META_STR 255 /* bytes of "created" or "mirror" as written */

typedef struct svd_bundle_meta {
	/* what it says, once svd_bundle_meta_end() returned 0 */
	int format;     /* 1 or 2 */
	uint64_t count; /* its "count": how many ids */
	char created[SVD_BUNDLE_META_STR + 1];
	char mirror[SVD_BUNDLE_META_STR + 1];
	uint8_t (*ids)[32]; /* sorted, unique (the caller may take them: set NULL) */
	size_t nids, capids;
	uint8_t (*updates)[32]; /* format 2: the signature updates, sorted, unique */
	size_t nupdates, capupdates;
	int newer; /* failed: its format is newer than SVD_BUNDLE_FORMAT */
	/* the parser's */
	int step, error;
	uint64_t at;  /* bytes fed */
	size_t li;    /* bytes of the step's literal matched */
	uint64_t num; /* the integer being read */
	unsigned ndig;
	char str[SVD_BUNDLE_META_STR + 3]; /* the string being read, with its quotes */
	size_t slen;
	int esc;
	int lpos;        /* in a list: -2 after '[', -1 after ',', 0..64 in an id, 65 after it */
	uint8_t cur[32]; /* the id being read */
} svd_bundle_meta;

void svd_bundle_meta_init(svd_bundle_meta *m);
int svd_bundle_meta_feed(svd_bundle_meta *m, const void *data, size_t len);
int svd_bundle_meta_end(svd_bundle_meta *m);
void svd_bundle_meta_clear(svd_bundle_meta *m);

/*
 * The most bytes of BUNDLE.json a reader takes and a writer writes in one
 * bundle: SVD_BUNDLE_META_MAX, or less for tests (0: back to it). It is
 * what bounds the items of one bundle (some 4,000,000 ids); past it an
 * export writes parts (bundle_write.c).
 */
void svd_bundle_set_meta_max(uint64_t bytes);
uint64_t svd_bundle_meta_max(void);

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
