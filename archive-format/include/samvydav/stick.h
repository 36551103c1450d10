/*
 * stick.h: a courier's stick — the one-plug exchange between an archive and
 * the files it carries (docs/architecture.md, "Sticks"). A stick has one of
 * two layouts.
 *
 * The sealed layout (SPEC.md, 12), used when the archive's network has
 * mirrors (network.h): one folder, the stick's root unless the network
 * sets another (svd_network_stick_folder()), holding sealed files with
 * random names (svd_seal_name()), each sealed for every mirror of the
 * network and for this one:
 *
 *     STICK/[FOLDER/]0123456789abcdef   a bundle, a mirror's have-file, or
 *                                       the leftover of a write cut short
 *
 * Nothing on the stick names the project, a mirror, a key or a time: a
 * searcher sees files of random bytes. A mirror knows its files by trying
 * to open each regular file of the folder with its key ring (at most
 * SVD_STICK_MAX_FILES files, and at most 2 * SVD_SEAL_MAX_SLOTS *
 * SVD_SEAL_SLOT bytes read of each); a file no key opens is someone
 * else's and is left alone.
 *
 * The plain layout, for an archive without a network (and read in the
 * sealed one too, so that sticks written before still bring what they
 * carry):
 *
 *     STICK/samvydav/bundles/NAME.tar.zst   the bundles being carried
 *     STICK/samvydav/have/MIRROR.have       one have-file per mirror met (SPEC.md, 9.5)
 *
 * svd_stick_sync() does the whole exchange, in this order:
 *
 *  1. import every bundle, in name order (the plain layout's first), each
 *     in its own operation (one commit per bundle), unless the caller's
 *     record says it was handled already; the ids of the sound items the
 *     stick carries are noted either way. In the sealed layout, a sealed
 *     file whose write never finished (SVD_SEAL_PARTIAL) is removed;
 *  2. for every other mirror's have-file, write onto the stick one bundle
 *     (or several parts) of what that mirror lacks and the stick does not
 *     carry already, within the stick's free space; parts that do not fit
 *     are left for the next trip. Plain: for-<MIRROR>-<UTC time>.tar.zst;
 *     sealed: made sealed in the scratch folder on this machine, then its
 *     sealed bytes copied onto the stick under a random name (the header
 *     last, so that a copy cut short is a partial file), synced, renamed
 *     to another random name;
 *  3. replace this mirror's own have-file: plain, have/MIRROR.have; sealed,
 *     a new one written under a random name, then the old ones (and a
 *     plain one the stick may still hold) removed;
 *  4. flush the files and folders to the device: the stick may be removed.
 *
 * Everything on a stick is untrusted: bundles go through the gate, have-file
 * names are checked and have-files parsed strictly (they only choose what is
 * exported), links, FIFOs and devices are passed over, and every name from
 * the stick that a message or an event repeats is escaped (see
 * svd_stick_event). Nothing on the stick is changed or removed but this
 * mirror's own have-files and the leftovers of interrupted writes; new
 * files are written under a temporary name (plain: NAME.part; sealed: a
 * random one), fsynced and renamed. Nothing is ever written on the stick
 * in the clear in the sealed layout, not even for a moment.
 *
 * The library keeps no record of the bundles it has seen: a caller that
 * keeps one (the daemon's ARCHIVE/daemon-state/imported) answers through
 * the seen and record callbacks. Without them, every bundle on the stick is
 * imported each time, which changes nothing the second time but costs the
 * reading. Waiting for a stick to settle is the caller's business too.
 */
#ifndef SAMVYDAV_STICK_H
#define SAMVYDAV_STICK_H

#include "common.h"
#include "archive.h"
#include "bundle.h"
#include "item.h"
#include "store.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SVD_STICK_DIR       "samvydav"              /**< the folder on a stick */
#define SVD_STICK_MAX_SIZE  (3900ull * 1024 * 1024) /**< default bytes per bundle: FAT32 */
#define SVD_STICK_MARGIN    (16ull * 1024 * 1024)   /**< free space left on a stick */
#define SVD_STICK_NAME_MAX  64   /**< bytes of a mirror's name in have/ (before .have) */
#define SVD_STICK_MAX_FILES 4096 /**< files of the sealed layout's folder tried at most */

/** A stick's layout (see the top of this file). */
typedef enum svd_stick_layout {
	SVD_STICK_AUTO = 0, /**< sealed when the archive's network has mirrors, else plain */
	SVD_STICK_PLAIN,    /**< samvydav/bundles and samvydav/have, in the clear */
	SVD_STICK_SEALED    /**< sealed files with random names in one folder */
} svd_stick_layout;

/** A bundle file on the stick, or one written onto it. */
typedef struct svd_stick_file {
	const char *path;  /**< its path (borrowed; raw bytes from the stick: never print it) */
	const char *shown; /**< the same, escaped for messages (borrowed) */
	uint64_t size, dev, ino;
	int64_t mtime_ns;
	const char *sha256; /**< 64 hex digits, or NULL while it is not hashed yet */
} svd_stick_file;

/**
 * Was this bundle handled already? Asked first with sha256 NULL (a record
 * that matches the size, time, inode and device spares hashing the file),
 * then, if the answer was 0, with its SHA-256.
 *
 * @return 1: do not import it again (its items still count as carried); 0: import it
 */
typedef int (*svd_stick_seen_cb)(const svd_stick_file *f, void *payload);

/**
 * Remember a bundle: outcome is "imported", "partly" (some items refused
 * or lost), "refused" (nothing usable in it) or "written" (this sync wrote
 * it onto the stick: it is never to be imported back).
 */
typedef void (*svd_stick_record_cb)(const svd_stick_file *f, const char *outcome, void *payload);

/**
 * The steps a sync reports, in the order they come. What each one fills
 * in of svd_stick_event is after the colon.
 */
typedef enum svd_stick_step {
	/** a bundle on the stick is about to be read: file */
	SVD_STICK_BUNDLE_BEGIN,
	/** the record knows it, so it is not imported again: file */
	SVD_STICK_BUNDLE_SKIPPED,
	/** imported and committed: file, outcome, stats, txn, commit */
	SVD_STICK_BUNDLE_IMPORTED,
	/** could not be read or imported, and was passed over: file, message */
	SVD_STICK_BUNDLE_FAILED,
	/** another mirror's have-file was refused; nothing is written for it: mirror, message */
	SVD_STICK_HAVE_REFUSED,
	/** something odd that stops nothing: message, and mirror if one is concerned */
	SVD_STICK_WARNING,
	/** a mirror lacks nothing that the stick does not carry: mirror */
	SVD_STICK_MIRROR_LACKS_NOTHING,
	/** a bundle was written onto the stick: mirror, file, items and parts of its export */
	SVD_STICK_WRITTEN,
	/** nothing, or not everything, could be written for a mirror: mirror, message */
	SVD_STICK_MIRROR_FAILED,
	/** parts that did not fit, left for the next trip: mirror, message, left, parts, budget */
	SVD_STICK_PARTS_LEFT,
	/** this mirror's own have-file was written: file */
	SVD_STICK_HAVE_WRITTEN,
	/** a sealed file whose write never finished was removed from the stick: file */
	SVD_STICK_PARTIAL_REMOVED,
} svd_stick_step;

/**
 * One step of a sync. Fields not named for a step are 0 or NULL. Every
 * string is borrowed for the call and printable: bytes from the stick that
 * are control characters, a backslash, or not UTF-8 are shown as \xNN.
 */
typedef struct svd_stick_event {
	svd_stick_step step;
	const svd_stick_file *file;
	const char *mirror;            /**< the other mirror: its have-file's name without .have
	                                    (plain), the id its have-file names (sealed) */
	const char *message;           /**< what went wrong and what to do */
	const char *outcome;           /**< BUNDLE_IMPORTED: "imported", "partly" or "refused" */
	const svd_bundle_stats *stats; /**< BUNDLE_IMPORTED */
	const svd_txn_stats *txn;      /**< BUNDLE_IMPORTED: what main gained */
	const char *commit;            /**< BUNDLE_IMPORTED: the new commit, or "" */
	size_t items;                  /**< WRITTEN: items of the whole export (all its parts) */
	size_t parts;                  /**< WRITTEN, PARTS_LEFT: the files the export made */
	size_t left;                   /**< PARTS_LEFT: of those, the ones left */
	uint64_t budget;               /**< PARTS_LEFT: the bytes there were room for */
	size_t updates;                /**< WRITTEN: signature updates of the whole export */
} svd_stick_event;

/**
 * Told about each step. Return 0 to go on; a negative value stops the sync
 * before its next step, and svd_stick_sync() returns that value (the
 * daemon stops this way on a signal). The stick is then not flushed.
 */
typedef int (*svd_stick_cb)(const svd_stick_event *ev, void *payload);

/** Options of a sync. Zero-initialise, then set. */
typedef struct svd_stick_opts {
	uint64_t max_size; /**< bytes per bundle written; 0: SVD_STICK_MAX_SIZE */
	unsigned threads;  /**< zstd threads of the exports; 0: one per core */
	/** where bundles are made before they are copied onto the stick (a
	    folder on this machine, made if missing); NULL: ARCHIVE/tmp */
	const char *scratch;
	svd_stick_seen_cb seen;     /**< may be NULL: nothing is known */
	svd_stick_record_cb record; /**< may be NULL */
	svd_stick_cb step;          /**< may be NULL */
	svd_item_cb item;           /**< each item read from an imported bundle; may be NULL */
	svd_damage_cb damage;       /**< each damaged region of an imported bundle; may be NULL */
	svd_progress_cb progress;   /**< bytes of the bundle being imported; may be NULL */
	void *payload;              /**< for every callback */
	/** the layout (SVD_STICK_AUTO: sealed when the archive's network has mirrors) */
	svd_stick_layout layout;
	/** sealed layout: the folder on the stick ("" its root; made if missing, a path
	    svd_network_stick_folder_valid() accepts); NULL: the network's setting */
	const char *folder;
} svd_stick_opts;

/** What one other mirror got. */
typedef struct svd_stick_mirror {
	char *name;   /**< its have-file's name without .have (plain) or its id (sealed), escaped */
	int refused;  /**< 1: its have-file was refused; nothing written */
	int failed;   /**< 1: something could not be written for it */
	size_t files; /**< bundle files written for it */
	size_t items; /**< items in them */
	uint64_t bytes; /**< their size */
	size_t left;    /**< parts left for the next trip */
	char **written; /**< the files' paths on the stick (files of them) */
	size_t updates; /**< signature updates in them (SPEC.md, 9.2) */
} svd_stick_mirror;

/** What a sync did. svd_stick_result_clear() frees what it holds. */
typedef struct svd_stick_result {
	size_t bundles;  /**< bundles found on the stick (*.tar.zst, and sealed ones) */
	size_t imported; /**< of those, imported now (committed) */
	size_t skipped;  /**< known to the record: not imported again */
	size_t failed;   /**< could not be read or imported */
	size_t refused;  /**< items refused by the gate, over all bundles imported */
	size_t lost;     /**< items lost to damage, over all bundles imported */
	size_t added;    /**< items main gained */
	size_t cosigned; /**< items main held that gained signatures */
	size_t carried;  /**< sound items the stick carries (not written again for anyone) */
	svd_stick_mirror *mirrors; /**< one per other mirror's have-file, in name order */
	size_t nmirrors;
	size_t files;    /**< bundle files written, for all mirrors */
	size_t left;     /**< parts left for the next trip, for all mirrors */
	char *have;      /**< this mirror's have-file on the stick, or NULL if not written */
	int safe;        /**< 1: all is written and flushed: the stick may be removed */
	int sealed;      /**< 1: the sealed layout was used */
	char *folder;    /**< sealed: the folder on the stick, escaped; else NULL */
	size_t partials; /**< sealed files of interrupted writes removed */
	size_t foreign;  /**< files in the folder no key of this mirror opens, left alone */
	size_t unlooked; /**< files over SVD_STICK_MAX_FILES, not tried (reported) */
} svd_stick_result;

/**
 * Exchange with a courier's stick: import what it carries, write for each
 * other mirror what it lacks, replace this mirror's have-file, flush (see
 * the top of this file). The archive's write lock is taken for each import
 * and released after it.
 *
 * A bundle that cannot be read, a have-file that is refused, a bundle that
 * cannot be written for one mirror are reported (events) and counted, and
 * the sync goes on; the call still succeeds when this mirror's have-file
 * was written and everything flushed, and result->safe says so.
 *
 * The sealed layout loads the archive's key ring (svd_archive_seal_keys())
 * and seals for every mirror of svd_network_recipients(); this mirror's
 * key pair is made first when it has none (a warning says so).
 *
 * @param stick the stick's folder: the one that holds samvydav/ (plain,
 *        made if missing) or the sealed layout's folder
 * @param opts may be NULL
 * @param[out] result filled in as far as the sync got, also on failure
 * @return 0; SVD_ENOTFOUND when stick is not a folder; SVD_ELOCKED when
 *         another process writes to the archive (nothing more is done:
 *         try again); SVD_EINVALID for the sealed layout asked for with no
 *         mirror in the network (or more than SVD_SEAL_MAX_TO), or a folder
 *         that is not valid; SVD_ECORRUPT for the archive's damaged key
 *         files (sealed layout) or a stick whose folders are links;
 *         SVD_ERROR when this mirror's have-file cannot be written or the
 *         stick cannot be flushed (do not remove it); a callback's
 *         negative value.
 */
int svd_stick_sync(svd_archive *a, const char *stick, const svd_stick_opts *opts,
                   svd_stick_result *result);

/** Free what a result holds; the struct itself is the caller's. */
void svd_stick_result_clear(svd_stick_result *result);

#ifdef __cplusplus
}
#endif

#endif
