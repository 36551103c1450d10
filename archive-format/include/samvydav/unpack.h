/*
 * unpack.h: reader libraries made from what is at hand (SPEC.md, 11) —
 * `samvydav unpack` from a bundle or an archive folder, and the catalog of
 * an archive's main that the daemon's pages and `export --with-reader`
 * render. Every item goes through the gate first; the rendering itself is
 * render.h's, the reading bundle.h's and store.h's.
 */
#ifndef SAMVYDAV_UNPACK_H
#define SAMVYDAV_UNPACK_H

#include "common.h"
#include "archive.h"
#include "bundle.h"
#include "item.h"
#include "render.h"
#include "trust.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * A catalog of main's items, each checked through the gate against trust.
 * Items that do not pass are told to cb and left out.
 *
 * @param ids the items to take (full ids, sorted), or NULL for all of main
 * @param[out] out the caller's, freed with svd_catalog_free(); finished
 */
int svd_catalog_from_archive(svd_catalog **out, svd_archive *a, const svd_trust *trust,
                             const char *const *ids, size_t n, svd_item_cb cb, void *payload);

/** An item's body.md in main (svd_body_cb over an svd_archive *payload). */
int svd_archive_body(char **out, size_t *len, const char *id, void *archive);

/** What an unpack takes. Zero-initialise, then set. */
typedef struct svd_unpack_opts {
	const svd_trust *trust;   /**< the keys to trust (required) */
	unsigned threads;         /**< pages rendered at once; 0: one per core but one
	                               (at least one) while the items are read, one per
	                               core for the pages left after the last */
	svd_item_cb item;         /**< each item checked, with its verdict; may be NULL */
	svd_damage_cb damage;     /**< each damaged region of a bundle; may be NULL */
	svd_progress_cb progress; /**< items checked and bytes so far (of the bundle
	                               read, or of the archive's item files written);
	                               may be NULL */
	void *payload;
} svd_unpack_opts;

/** What an unpack found and wrote. */
typedef struct svd_unpack_stats {
	size_t checked;   /**< items read whole and checked */
	size_t accepted;  /**< of those, passed the gate and written */
	size_t refused;   /**< of those, refused (not written) */
	size_t lost;      /**< items a bundle declares that were lost to damage */
	size_t retracted; /**< accepted items withdrawn by a retraction (not written) */
	size_t shown;     /**< items in index.html */
	size_t damaged;   /**< damaged frames of a bundle */
	uint64_t bytes;   /**< bytes of the library written */
} svd_unpack_stats;

/**
 * Make a reader library at dir from a bundle (read frame by frame, never
 * imported) or from an archive folder: every item through the gate against
 * opts->trust, only accepted ones written. The library is built in
 * dir.tmp-XXXXXX beside dir, synced, then renamed into place; an existing
 * library at dir is swapped out atomically and removed. dir may not be
 * anything else (a file, a folder that holds something but a library).
 *
 * @return 0 when every item was accepted; SVD_ECORRUPT when some were
 *         refused or lost (the library holds the rest); SVD_EEXISTS for a
 *         dir that is not a library; SVD_ENOTFOUND for a missing source.
 */
int svd_unpack(const char *src, const char *dir, const svd_unpack_opts *opts,
               svd_unpack_stats *stats);

#ifdef __cplusplus
}
#endif

#endif
