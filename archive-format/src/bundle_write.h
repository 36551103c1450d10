/*
 * bundle_write.h: the bundle format's writer (bundle_write.c; SPEC.md, 9),
 * fed items as files by its caller: BUNDLE.json, the items' tar entries
 * in independent zstd frames (compressed on a work queue's workers), the
 * end marker and the index; with a size limit, parts NAME.N.tar.zst.
 * It knows nothing of where items come from. Not public.
 *
 *     svd_bundle_writer_new      the ids, in the order the items will come
 *     svd_bundle_writer_item     each item's files, in that order
 *     svd_bundle_writer_items_done
 *     svd_bundle_writer_extra    then other files, in frames of no item
 *                                (a reader library, SPEC.md, 9.8)
 *     svd_bundle_writer_finish   the end, the index, the files in place
 *     svd_bundle_writer_free     and what an unfinished writer wrote is removed
 */
#ifndef SVD_BUNDLE_WRITE_H
#define SVD_BUNDLE_WRITE_H

#include <stddef.h>
#include <stdint.h>

#include "samvydav/bundle.h"

/* A bundle being written; opaque. */
typedef struct svd_bundle_writer svd_bundle_writer;

/* What a writer writes. Zero-initialise, then set. */
typedef struct svd_bundle_writer_opts {
	const char *mirror;       /* the writer's mirror id, for BUNDLE.json */
	const char *const *ids;   /* the items' ids (borrowed until svd_bundle_writer_free) */
	size_t n;                 /* how many */
	uint64_t max_size;        /* bytes per file; 0: one file (more past SVD_BUNDLE_META_MAX) */
	int level;                /* zstd level, 1 to 19 */
	unsigned threads;         /* compression workers; 0: one per core */
	svd_progress_cb progress; /* items and bytes written so far; may be NULL */
	void *payload;            /* for progress */
	const uint8_t *updates;   /* n flags, 1 for a signature update (manifest.json and sig/
	                             only, SPEC.md 9.2), or NULL for none (borrowed, as ids) */
	/* seal every file for these recipients (SPEC.md, 12), or NULL: plain .tar.zst. Parts
	   are then NAME.N (no .tar.zst), and a splitting writer keeps its frames in the
	   system's temporary folder, not beside the output (borrowed) */
	const svd_seal_to *seal;
} svd_bundle_writer_opts;

/* One file of an item, as a tar entry: its path in the bundle and its bytes (borrowed). */
typedef struct svd_bundle_file {
	const char *path; /* "items/<id[0:2]>/<id>/body.md" */
	const void *data;
	size_t len;
} svd_bundle_file;

/*
 * Start a bundle at output (with max_size, or with more items than one
 * BUNDLE.json of SVD_BUNDLE_META_MAX bytes lists, parts NAME.1.tar.zst,
 * ... beside it, NAME being output without .tar.zst). Nothing is in
 * place until svd_bundle_writer_finish().
 *
 * @param[out] out the caller's, freed with svd_bundle_writer_free()
 * @return 0; SVD_EINVALID for a level out of range; SVD_ENOTFOUND when
 *         output's folder is missing; SVD_ERROR.
 */
int svd_bundle_writer_new(svd_bundle_writer **out, const char *output,
                          const svd_bundle_writer_opts *opts);

/* Does the writer write parts (1) or one file (0)? */
int svd_bundle_writer_split(const svd_bundle_writer *w);

/*
 * The next item's files, in the order they go into the bundle. Called
 * once for each id, in the order of opts->ids, on one thread.
 *
 * @return 0; SVD_EINVALID for an item that does not fit in a part of
 *         max_size; SVD_ERROR.
 */
int svd_bundle_writer_item(svd_bundle_writer *w, const svd_bundle_file *files, size_t n);

/*
 * Every item has come: their last frames are compressed and written now,
 * before the caller turns to something long (rendering the extra files).
 * The next call may be svd_bundle_writer_extra() or _finish(), which do
 * it themselves when it was not done.
 */
int svd_bundle_writer_items_done(svd_bundle_writer *w);

/*
 * A file after the items, in frames of no item (which readers skip): the
 * reader library of SPEC.md, 9.8. Only for one file: SVD_EINVALID when
 * the writer splits.
 */
int svd_bundle_writer_extra(svd_bundle_writer *w, const char *path, const void *data, size_t len);

/*
 * The end marker and index, each file fsynced and renamed into place.
 *
 * @param[out] files the paths written (the caller's: each and the array free())
 * @param[out] nfiles how many
 * @param[out] bytes their total size
 */
int svd_bundle_writer_finish(svd_bundle_writer *w, char ***files, size_t *nfiles, uint64_t *bytes);

/* Free; NULL is fine. Unless finished, every file it wrote is removed. */
void svd_bundle_writer_free(svd_bundle_writer *w);

#endif
