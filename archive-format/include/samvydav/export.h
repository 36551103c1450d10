/*
 * export.h: writing an archive's items as bundles to carry away (`samvydav
 * export`, the daemon's outbox, a stick's exchange), and its have-file
 * (SPEC.md, 9). What is exported is what the view of main shows (view.h),
 * narrowed by the options; the bundle format itself is bundle.h's.
 */
#ifndef SAMVYDAV_EXPORT_H
#define SAMVYDAV_EXPORT_H

#include "common.h"
#include "archive.h"
#include "bundle.h"

#ifdef __cplusplus
extern "C" {
#endif

/** What an export takes and how it writes. Zero-initialise, then set. */
typedef struct svd_export_opts {
	/** only items added after this commit (hex), and signature updates of items whose
	    folder changed since (new signatures); or NULL */
	const char *since_commit;
	const char *since_date; /**< only items created on or after YYYY-MM-DD, or NULL */
	/** only items a have-file does not list, and (format 2) signature updates of items it
	    lists without a signature held here; or NULL */
	const char *have_path;
	uint64_t max_size; /**< bytes per bundle file; 0: one file, no limit */
	int level;         /**< zstd level, 1 to 19; 0 means 3 */
	unsigned threads;  /**< zstd worker threads; 0: one per core; at most SVD_THREADS_MAX */
	svd_progress_cb progress; /**< may be NULL */
	void *payload;            /**< for progress */
	int with_reader; /**< also the rendered reader library (SPEC.md, 9.8); not with max_size */
	/** seal every bundle file for these recipients (SPEC.md, 12), or NULL: plain
	    .tar.zst; with max_size the parts are then NAME.1, NAME.2, ... (borrowed) */
	const svd_seal_to *seal;
	/** what opens a sealed have-file at have_path, or NULL: plain only (borrowed) */
	const svd_seal_keys *keys;
} svd_export_opts;

/** What an export wrote. */
typedef struct svd_export_result {
	size_t items;   /**< whole items written, over all files */
	size_t updates; /**< signature updates written (SPEC.md, 9.2), over all files */
	size_t nfiles;  /**< bundle files written */
	char **files;   /**< their paths (the caller's, freed by svd_export_result_clear()) */
	uint64_t bytes; /**< their total size */
} svd_export_result;

/**
 * Write the chosen items of main as one bundle at output (or, with
 * max_size, as NAME.1.tar.zst, NAME.2.tar.zst, ... beside it). Each file is
 * written under a temporary name, fsynced and renamed into place. With
 * nothing to export, a valid bundle of no items is written.
 *
 * @return 0; SVD_ENOTFOUND for an unknown since_commit or a missing
 *         have-file; SVD_EINVALID for a bad date, or an item larger than
 *         max_size allows; SVD_ECORRUPT for a have-file that does not parse.
 */
int svd_export(svd_archive *a, const char *output, const svd_export_opts *opts,
               svd_export_result *result);

/** Free what an export result holds; the struct itself is the caller's. */
void svd_export_result_clear(svd_export_result *result);

/**
 * Write the have-file of this archive's main (atomically), format 2: the
 * ids of every item main holds with the key ids of their signatures, and
 * this mirror's id (svd_have_save()).
 *
 * @return 0; SVD_ETOOBIG over SVD_HAVE_MAX_IDS; other codes for I/O.
 */
int svd_have_write(svd_archive *a, const char *path);

/** As svd_have_write(), sealed for to (SPEC.md, 12); to NULL: plain. */
int svd_have_write_sealed(svd_archive *a, const char *path, const svd_seal_to *to);

#ifdef __cplusplus
}
#endif

#endif
