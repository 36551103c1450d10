/*
 * bundle.h: bundles — one NAME.tar.zst file that carries items between
 * archives, readable by stock tar and zstd (archive-format/SPEC.md, 9).
 *
 * A bundle from a stick or a peer is hostile until proven otherwise: the
 * reader decompresses frame by frame under a window limit and an output
 * cap, reads tar entries in memory (never extracting them as given), and
 * every item passes the same gate as everything else. A damaged frame costs
 * only the items inside it.
 */
#ifndef SAMVYDAV_BUNDLE_H
#define SAMVYDAV_BUNDLE_H

#include "common.h"
#include "item.h"
#include "trust.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SVD_BUNDLE_FORMAT         1
#define SVD_BUNDLE_FRAME_TARGET   (1024 * 1024)      /**< tar bytes after which a frame is closed */
#define SVD_BUNDLE_MAX_ITEMS      250000             /**< items in one bundle */
#define SVD_BUNDLE_META_MAX       (17 * 1024 * 1024) /**< bytes of BUNDLE.json */
#define SVD_BUNDLE_WINDOW_LOG_MAX 24                 /**< zstd window: 16 MiB at most */
#define SVD_BUNDLE_PATH_MAX       4096               /**< bytes of an entry's name */
#define SVD_BUNDLE_RATIO_MAX      64                 /**< output per input byte, beyond the slack */
#define SVD_BUNDLE_SLACK          (64ull * 1024 * 1024) /**< output allowed on top of the ratio */
#define SVD_BUNDLE_INDEX_MAGIC    0x184D2A5Au           /**< the index's skippable frame */
#define SVD_HAVE_MAX_IDS          4000000               /**< ids in one have-file */

/** Told how far a long operation has come: items and bytes so far. */
typedef void (*svd_progress_cb)(uint64_t items, uint64_t bytes, void *payload);

/** A have-file: the ids an archive holds; opaque. */
typedef struct svd_have svd_have;

/**
 * A have-set of the ids given, naming mirror: what a have-file of those
 * ids would hold (for a have-file of another mirror plus what a stick
 * carries already, say). The ids may come in any order and repeat.
 *
 * @param[out] out the caller's, freed with svd_have_free()
 * @param mirror 32 lowercase hex digits
 * @param ids n item ids, 64 lowercase hex digits each (borrowed)
 * @return 0; SVD_EINVALID for a malformed mirror or id; SVD_ETOOBIG over
 *         SVD_HAVE_MAX_IDS.
 */
int svd_have_from_ids(svd_have **out, const char *mirror, const char *const *ids, size_t n);

/**
 * Add every id of from to h (h keeps its mirror); from may be NULL.
 *
 * @return 0; SVD_ETOOBIG when the union is over SVD_HAVE_MAX_IDS (h unchanged).
 */
int svd_have_merge(svd_have *h, const svd_have *from);

/**
 * Write a have-file of h's mirror and ids, created now (SPEC.md, 9.5),
 * atomically: a temporary name, fsync, rename, fsync of the folder.
 * svd_have_read() reads it back as it was.
 */
int svd_have_save(const svd_have *h, const char *path);

/**
 * Read a have-file (untrusted input: every line checked, ids capped; a
 * link, a FIFO or a device is refused without blocking).
 *
 * @param[out] out the caller's, freed with svd_have_free()
 * @return 0; SVD_ENOTFOUND; SVD_ECORRUPT naming the line; SVD_ETOOBIG.
 */
int svd_have_read(svd_have **out, const char *path);

/** How many ids. */
size_t svd_have_count(const svd_have *h);

/** The mirror that wrote it (borrowed). */
const char *svd_have_mirror(const svd_have *h);

/** Does it list this id (64 hex digits)? 1 or 0. */
int svd_have_contains(const svd_have *h, const char *id);

/** Free; NULL is fine. */
void svd_have_free(svd_have *h);

/** What reading a bundle found. */
typedef struct svd_bundle_stats {
	char mirror[SVD_MIRROR_ID_LEN + 1]; /**< the exporter's mirror id ("" if unreadable) */
	char created[32];                   /**< when it was written ("" if unreadable) */
	size_t declared; /**< items BUNDLE.json (or else the index) says it holds */
	size_t items;    /**< items read whole and checked */
	size_t accepted; /**< of those, passed the gate */
	size_t refused;  /**< of those, refused by the gate */
	size_t lost;     /**< declared items never read whole (damage) */
	size_t frames;   /**< frames found */
	size_t damaged;  /**< frames that failed to decompress or parse */
	uint64_t bytes;  /**< bundle bytes read */
	int has_index;   /**< 1 if the trailing index was found and sound */
} svd_bundle_stats;

/**
 * Told about each damaged region of a bundle: where it starts, how long it
 * is, and what went wrong.
 */
typedef void (*svd_damage_cb)(uint64_t offset, uint64_t length, const char *what, void *payload);

/** Callbacks of a bundle read; any may be NULL. */
typedef struct svd_bundle_cbs {
	svd_item_cb item;         /**< each item read, with the gate's verdict */
	svd_damage_cb damage;     /**< each damaged region */
	svd_progress_cb progress; /**< bytes of the bundle read so far */
	void *payload;
} svd_bundle_cbs;

/**
 * Read a bundle and check every item against a trust list, importing
 * nothing.
 *
 * @return 0 when every declared item was read and accepted; SVD_ECORRUPT
 *         when some were refused or lost to damage; SVD_ENOTFOUND.
 */
int svd_bundle_inspect(const char *path, const svd_trust *trust, const svd_bundle_cbs *cbs,
                       svd_bundle_stats *stats);

/**
 * Read a bundle, check every item against a trust list, and write each
 * accepted item's files to dir/items/<id[0:2]>/<id>/ as they are read
 * (signature files the gate leaves out are not kept). A refused or lost
 * item leaves nothing in dir: its files, written as they came, are removed
 * again, so dir should be a folder nobody reads until the call returns.
 * Nothing is imported. dir must exist; what it holds is the caller's to
 * make durable. The files are written by a second thread, so an item's
 * callback may come before its files are on disk; when the call returns,
 * all are, or it failed (a failed write fails the whole call). Returns as
 * svd_bundle_inspect().
 */
int svd_bundle_extract(const char *path, const svd_trust *trust, const char *dir,
                       const svd_bundle_cbs *cbs, svd_bundle_stats *stats);

#ifdef __cplusplus
}
#endif

#endif
