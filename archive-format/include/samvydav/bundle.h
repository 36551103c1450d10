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
#include "seal.h"
#include "trust.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SVD_BUNDLE_FORMAT         2 /**< the newest BUNDLE.json this library reads and writes */
#define SVD_BUNDLE_FRAME_TARGET   (1024 * 1024) /**< tar bytes after which a frame is closed */
#define SVD_BUNDLE_META_MAX       (256ull * 1024 * 1024) /**< bytes of BUNDLE.json (SPEC.md, 9.2) */
#define SVD_BUNDLE_WINDOW_LOG_MAX 24                     /**< zstd window: 16 MiB at most */
#define SVD_BUNDLE_PATH_MAX       4096                   /**< bytes of an entry's name */
#define SVD_BUNDLE_RATIO_MAX      64 /**< output per input byte, beyond the slack */
#define SVD_BUNDLE_SLACK          (64ull * 1024 * 1024) /**< output allowed on top of the ratio */
#define SVD_BUNDLE_INDEX_MAGIC    0x184D2A5Au           /**< the index's skippable frame */
#define SVD_HAVE_MAX_IDS          4000000               /**< ids in one have-file */
#define SVD_HAVE_MAX_KEYS         65536                 /**< key ids in a have-file's table */
#define SVD_HAVE_MAX_ITEM_KEYS    1024                  /**< key ids listed for one item */
#define SVD_HAVE_MAX_REFS         16000000              /**< key ids listed, all items together */

/** Told how far a long operation has come: items and bytes so far. */
typedef void (*svd_progress_cb)(uint64_t items, uint64_t bytes, void *payload);

/**
 * A have-file: the ids an archive holds and, in format 2, the key ids of
 * the signatures it holds for each (SPEC.md, 9.5); opaque.
 */
typedef struct svd_have svd_have;

/**
 * A have-set of format 1 of the ids given, naming mirror: what a have-file
 * of those ids would hold, saying nothing of their signatures. The ids
 * may come in any order and repeat.
 *
 * @param[out] out the caller's, freed with svd_have_free()
 * @param mirror 32 lowercase hex digits
 * @param ids n item ids, 64 lowercase hex digits each (borrowed)
 * @return 0; SVD_EINVALID for a malformed mirror or id; SVD_ETOOBIG over
 *         SVD_HAVE_MAX_IDS.
 */
int svd_have_from_ids(svd_have **out, const char *mirror, const char *const *ids, size_t n);

/** An item of a have-set of format 2: its id and the key ids of its signatures (borrowed). */
typedef struct svd_have_item {
	const char *id;            /**< 64 lowercase hex digits */
	const char *const *keyids; /**< 16 uppercase hex digits each, any order; may repeat */
	size_t nkeys;
} svd_have_item;

/**
 * A have-set of format 2 of the items given, naming mirror (a have-file of
 * another mirror plus what a stick carries already, say; an archive's
 * own). Items may come in any order; an id given twice is one item with
 * the key ids of both.
 *
 * @param[out] out the caller's, freed with svd_have_free()
 * @return 0; SVD_EINVALID for a malformed mirror, id or key id;
 *         SVD_ETOOBIG over SVD_HAVE_MAX_IDS, SVD_HAVE_MAX_KEYS,
 *         SVD_HAVE_MAX_ITEM_KEYS or SVD_HAVE_MAX_REFS.
 */
int svd_have_from_items(svd_have **out, const char *mirror, const svd_have_item *items, size_t n);

/**
 * The item of index i, for svd_have_from_sorted(): *item filled, its
 * strings valid until the next call. Returns 0, or an error (the build
 * stops with it).
 */
typedef int (*svd_have_item_fn)(svd_have_item *item, size_t i, void *payload);

/**
 * As svd_have_from_items(), for n items that come one at a time in
 * ascending id order, each id once (an archive's own items): nothing of
 * theirs is held but the set itself, some 40 bytes an item.
 *
 * @return 0; SVD_EINVALID for a malformed id or key id, or ids out of
 *         order; SVD_ETOOBIG as svd_have_from_items(); or next's error.
 */
int svd_have_from_sorted(svd_have **out, const char *mirror, size_t n, svd_have_item_fn next,
                         void *payload);

/**
 * Add every item of from to h (h keeps its mirror and its format); from
 * may be NULL. In format 2, an item in both gets the key ids of both; an
 * item only in a from of format 1 is listed with none.
 *
 * @return 0; SVD_ETOOBIG when the union is over a limit (h unchanged).
 */
int svd_have_merge(svd_have *h, const svd_have *from);

/**
 * Write a have-file of h's mirror and items, in h's format, created now (SPEC.md, 9.5),
 * atomically: a temporary name, fsync, rename, fsync of the folder.
 * svd_have_read() reads it back as it was.
 */
int svd_have_save(const svd_have *h, const char *path);

/**
 * As svd_have_save(), sealed for to (SPEC.md, 12): a file of random bytes
 * only the mirrors of to (and its passphrase) open.
 */
int svd_have_save_sealed(const svd_have *h, const char *path, const svd_seal_to *to);

/**
 * Read a have-file (untrusted input: every line checked, ids capped; a
 * link, a FIFO or a device is refused without blocking).
 *
 * @param[out] out the caller's, freed with svd_have_free()
 * @return 0; SVD_ENOTFOUND; SVD_ECORRUPT naming the line; SVD_ETOOBIG.
 */
int svd_have_read(svd_have **out, const char *path);

/**
 * As svd_have_read(), and a file that does not begin as a plain have-file
 * does is opened with keys (SPEC.md, 12); keys NULL: plain only.
 *
 * @return as svd_have_read(); SVD_ENOKEY when no key opens it;
 *         SVD_EINVALID for a sealed file that holds no have-file.
 */
int svd_have_read_sealed(svd_have **out, const char *path, const svd_seal_keys *keys);

/** How many ids. */
size_t svd_have_count(const svd_have *h);

/**
 * The have-file's format: 1 (ids only: a mirror that cannot read
 * signature updates) or 2 (with each item's key ids); 0 for NULL.
 */
int svd_have_format(const svd_have *h);

/** The mirror that wrote it (borrowed). */
const char *svd_have_mirror(const svd_have *h);

/** Does it list this id (64 hex digits)? 1 or 0. */
int svd_have_contains(const svd_have *h, const char *id);

/** How many key ids it lists for this id: 0 when none, or in format 1. */
size_t svd_have_key_count(const svd_have *h, const char *id);

/**
 * The k-th key id it lists for this id (ascending), into out.
 *
 * @return 0; SVD_ENOTFOUND when there is no such id or k.
 */
int svd_have_key(const svd_have *h, const char *id, size_t k, char out[17]);

/**
 * Does it list a signature by keyid (16 uppercase hex digits) on this id?
 * 1 or 0 (always 0 in format 1, which lists no signatures).
 */
int svd_have_signed(const svd_have *h, const char *id, const char *keyid);

/** Free; NULL is fine. */
void svd_have_free(svd_have *h);

/** What reading a bundle found. */
typedef struct svd_bundle_stats {
	char mirror[SVD_MIRROR_ID_LEN + 1]; /**< the exporter's mirror id ("" if unreadable) */
	char created[32];                   /**< when it was written ("" if unreadable) */
	size_t declared; /**< items and updates BUNDLE.json (or else the index) says it holds */
	size_t items;    /**< items and updates read whole */
	size_t accepted; /**< of those, passed the gate */
	size_t refused;  /**< of those, refused by the gate */
	size_t updates;  /**< of those read, signature updates (SPEC.md, 9.2) */
	size_t skipped;  /**< of the updates, not applied: no such item here, or not an import */
	size_t lost;     /**< declared items never read whole (damage) */
	size_t frames;   /**< frames found */
	size_t damaged;  /**< frames that failed to decompress or parse */
	size_t junk;     /**< entries left out of items as junk (SPEC.md, 9.7): a second
	                      entry at a signature's path that is not a signature or key */
	uint64_t bytes;  /**< bundle bytes read */
	int has_index;   /**< 1 if the trailing index was found and sound */
	int listing;     /**< 1 if BUNDLE.json was read and sound; 0 if the bundle has none
	                      or it was lost (damage says which); -1 if unreadable (damage) */
	size_t unlisted; /**< items and updates read that a sound BUNDLE.json does not list
	                      (SPEC.md, 9.2: it is advisory; a reader warns) */
	int sealed;      /**< 1 if the file was sealed (SPEC.md, 12): offsets are then in the
	                      bundle inside it, but for damage the sealing itself reports */
	uint64_t chunks_damaged; /**< sealed: chunks that did not authenticate */
} svd_bundle_stats;

/**
 * Told about each damaged region of a bundle: where it starts, how long it
 * is, and what went wrong.
 */
typedef void (*svd_damage_cb)(uint64_t offset, uint64_t length, const char *what, void *payload);

/**
 * Told about a signature update of a bundle (SPEC.md, 9.2): the gate's
 * verdict on the item held here with the update's signatures (accepted:
 * applied), or v NULL when it was skipped, with why (the archive does not
 * hold the item; inspect and unpack apply no update). id and why are
 * borrowed for the call. Return non-zero to stop, as for svd_item_cb.
 */
typedef int (*svd_update_cb)(const char *id, const svd_verdict *v, const char *why, void *payload);

/** Callbacks of a bundle read; any may be NULL. */
typedef struct svd_bundle_cbs {
	svd_item_cb item;         /**< each item read, with the gate's verdict */
	svd_damage_cb damage;     /**< each damaged region */
	svd_progress_cb progress; /**< bytes of the bundle read so far */
	void *payload;
	/** each signature update; when NULL, the verdicts of updates go to item
	    (a refused update is reported like a refused item) and skips to no one */
	svd_update_cb update;
	/** what opens a sealed bundle (SPEC.md, 12): tried when the file does not begin as a
	    plain bundle does; NULL: plain bundles only */
	const svd_seal_keys *keys;
} svd_bundle_cbs;

/**
 * Read a bundle and check every item against a trust list, importing
 * nothing.
 *
 * @return 0 when every declared item was read and accepted; SVD_ECORRUPT
 *         when some were refused or lost to damage; SVD_ENOTFOUND;
 *         SVD_EINVALID, at once and unread, when path is not a regular
 *         file (a FIFO, a device, a socket, a folder; svd_file_open()).
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
