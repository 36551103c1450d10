/*
 * store.h: the git store — adding items (one operation, one commit, one
 * pack), and reading, listing, verifying and logging what main holds.
 *
 * main's tree is items/<id[0:2]>/<id>/{manifest.json, payload files,
 * sig/<KEYID>.minisig}. Every item passes svd_item_check() before it is
 * written; all objects of an operation go into one pack, and main moves
 * only after the pack and its index are on disk, so a crash at any instant
 * leaves main as it was or as it will be. Items from an editor's folders
 * and JSON lines come in through ingest.h.
 */
#ifndef SAMVYDAV_STORE_H
#define SAMVYDAV_STORE_H

#include "common.h"
#include "archive.h"
#include "item.h"
#include "key.h"
#include "manifest.h"
#include "sig.h"
#include "view.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SVD_COMMIT_HEX_LEN 40

/** One operation on the store, ending in one commit; opaque. */
typedef struct svd_txn svd_txn;

/** What an operation did. */
typedef struct svd_txn_stats {
	size_t added;     /**< new items */
	size_t cosigned;  /**< items already held that gained signatures */
	size_t unchanged; /**< items already held, nothing new */
	size_t refused;   /**< items that failed the gate */
	size_t dropped;   /**< bad signature files left out of accepted items */
	uint64_t bytes;   /**< payload bytes read */
} svd_txn_stats;

/**
 * Start an operation: take the archive's write lock and note main's commit.
 *
 * @param[out] out the caller's, freed with svd_txn_free()
 * @return 0; SVD_ELOCKED when another process is writing.
 */
int svd_txn_begin(svd_txn **out, svd_archive *a);

/** One payload file to put into a new item: its name in the item, and where to read it. */
typedef struct svd_source_file {
	const char *name; /**< name in the item (e.g. "body.md") */
	const char *path; /**< file to read */
} svd_source_file;

/**
 * Make a new item from metadata and files, sign it and stage it.
 *
 * @param m a manifest being built (not yet serialized); the files, sizes,
 *        hashes and "created" (if unset) are filled in here
 * @param sk the editor's key; it must be trusted in this archive
 * @param[out] verdict the gate's verdict on the new item (the caller's; may be NULL)
 * @return 0; SVD_EUNTRUSTED if sk is not trusted (nothing is read);
 *         SVD_EINVALID for metadata the schema refuses; other codes for I/O.
 */
int svd_txn_add_new(svd_txn *t, svd_manifest *m, const svd_source_file *files, size_t n,
                    const svd_seckey *sk, svd_verdict **verdict);

/**
 * Stage an item that is already signed and has no payload files (a
 * statement, such as a revocation certificate's): its manifest and its
 * signatures, through the gate. The signatures are not checked here; the
 * gate checks them and needs one valid by a key trusted here. An item
 * already in main with those signatures is no change.
 *
 * @param m a parsed or serialized manifest listing no files (borrowed)
 * @param sigs signatures of it, one per key at most (borrowed)
 * @param source names the item in messages and in the verdict (e.g. a file name)
 * @param[out] verdict the gate's verdict (the caller's; may be NULL)
 * @return 0 (staged, or held already as it is); SVD_ECORRUPT when the gate
 *         refused it (the verdict says why); SVD_EINVALID for a manifest
 *         without bytes or with files, or two signatures by one key; other
 *         codes for I/O.
 */
int svd_txn_add_signed(svd_txn *t, const svd_manifest *m, const svd_sig *const *sigs, size_t n,
                       const char *source, svd_verdict **verdict);

/**
 * Co-sign an item already in main (not one staged in this same operation:
 * SVD_EINVALID): with a secret key, or by
 * attaching a signature file made elsewhere (e.g. by stock minisign). The
 * id does not change. A signature by a key not trusted here is stored
 * only if it verifies with its own key, which then must be given in pk.
 *
 * @param sk the key to sign with, or NULL
 * @param sig a signature made elsewhere, or NULL (exactly one of sk, sig)
 * @param pk the signer's public key when it is not trusted here, or NULL
 * @return 0; SVD_ENOTFOUND for an unknown id; SVD_EBADSIG if it does not
 *         verify; SVD_EUNTRUSTED if it cannot be checked.
 */
int svd_txn_sign(svd_txn *t, const char *id, const svd_seckey *sk, const svd_sig *sig,
                 const svd_pubkey *pk);

/**
 * Write everything staged as one pack and one commit, then move main.
 * With nothing staged, nothing is written and commit_out is main's commit.
 *
 * @param message the commit message, or NULL for one that says what was
 *        added and by which keys
 * @param[out] commit_out the new commit's id (41 bytes), or NULL
 */
int svd_txn_commit(svd_txn *t, const char *message, char *commit_out);

/** What the operation has staged so far (borrowed). */
const svd_txn_stats *svd_txn_stats_get(const svd_txn *t);

/**
 * Abandon what is not committed, release the archive's write lock (also one
 * the caller took itself before svd_txn_begin()), free; NULL is fine.
 */
void svd_txn_free(svd_txn *t);

/**
 * The commit main points at.
 *
 * @param out 41 bytes
 * @return 0; SVD_ENOTFOUND for an archive with nothing in it yet.
 */
int svd_store_head(char *out, svd_archive *a);

/**
 * Find the one item whose id starts with prefix (4 to 64 hex digits).
 *
 * @param out 65 bytes
 * @return 0; SVD_ENOTFOUND; SVD_EINVALID for an ambiguous or malformed prefix.
 */
int svd_store_resolve(char *out, svd_archive *a, const char *prefix);

/**
 * Called for each item of main in id order with its parsed manifest, or with
 * NULL when the manifest does not parse. Return non-zero to stop.
 */
typedef int (*svd_manifest_cb)(const char *id, const svd_manifest *m, void *payload);

/** Walk main's items, reading only their manifests (fast). */
int svd_store_foreach(svd_archive *a, svd_manifest_cb cb, void *payload);

/** Totals of a verification. */
typedef struct svd_verify_stats {
	size_t items;      /**< items checked */
	size_t failed;     /**< items with a problem */
	uint64_t bytes;    /**< payload bytes hashed */
	size_t signatures; /**< signatures verified */
} svd_verify_stats;

/**
 * Check items of main through the same gate as additions: layout, canonical
 * manifests, every size and SHA-256, every signature, trust.
 *
 * @param ids the items to check (full ids), or NULL for all
 * @param threads worker threads (0 for one per core; at most SVD_THREADS_MAX)
 * @param cb told about every item (from the calling thread, in id order); may be NULL
 * @param[out] stats totals; may be NULL
 * @return 0 when every item passed; SVD_ECORRUPT when some did not;
 *         SVD_ENOTFOUND for a given id that is not in main.
 */
int svd_store_verify(svd_archive *a, const char *const *ids, size_t n, unsigned threads,
                     svd_item_cb cb, void *payload, svd_verify_stats *stats);

/** One commit of main's history. All borrowed for the callback's duration. */
typedef struct svd_log_entry {
	const char *commit;  /**< 40 hex digits */
	int64_t time;        /**< seconds since the epoch */
	int tz_offset;       /**< minutes east of UTC */
	const char *message; /**< the full message */
} svd_log_entry;

/** Called for each commit, newest first; return non-zero to stop. */
typedef int (*svd_log_cb)(const svd_log_entry *e, void *payload);

/** Walk main's history, newest first. */
int svd_store_log(svd_archive *a, svd_log_cb cb, void *payload);

/** A file of an item in main, held in memory; opaque. */
typedef struct svd_store_file svd_store_file;

/**
 * Read one file of an item in main (a payload, "manifest.json" or
 * "sig/KEYID.minisig") into memory, whatever the view says of the item.
 * The bytes stay valid until svd_store_file_free(), even if the archive
 * handle is used meanwhile; not after svd_archive_free().
 *
 * @param max the largest file to read
 * @param[out] out the caller's
 * @return 0; SVD_ENOTFOUND for no such item or file; SVD_ETOOBIG over max.
 */
int svd_store_file_open(svd_store_file **out, svd_archive *a, const char *id, const char *name,
                        uint64_t max);

/**
 * Where a file of an item in main is, without reading it: its git blob id
 * (40 hex digits and a NUL) and size. Errors as svd_store_file_open().
 */
int svd_store_file_find(svd_archive *a, const char *id, const char *name, uint64_t max,
                        char blob_id[41], uint64_t *size);

/**
 * Read a blob named by svd_store_file_find() into memory, as
 * svd_store_file_open() does (main may have moved since: the blob is read
 * all the same).
 *
 * @return 0; SVD_EINVALID for no git id; SVD_ERROR when it cannot be read.
 */
int svd_store_blob_open(svd_store_file **out, svd_archive *a, const char *blob_id);

/** The file's bytes (borrowed) and their number. */
const void *svd_store_file_data(const svd_store_file *f, size_t *len);

/** The file's git blob id, 40 hex digits and a NUL: it names the bytes. */
void svd_store_file_id(char out[41], const svd_store_file *f);

/** Free a file read by svd_store_file_open(); NULL is fine. */
void svd_store_file_free(svd_store_file *f);

/* The view of an archive: what it shows (view.h has the rules). */

/** How much the gate checks when a view is opened on an archive. */
typedef enum svd_view_check {
	/**
	 * The whole gate on manifests, layout and signatures; payload files by
	 * their size (their bytes were hashed when they entered the store, and
	 * 'samvydav verify' hashes them again). What listing and exporting use.
	 */
	SVD_VIEW_SIGNATURES = 0,
	/** The whole gate, every payload byte hashed: what verify and pages use. */
	SVD_VIEW_FULL,
} svd_view_check;

/** How to open a view on an archive. Zero-initialise, then set. */
typedef struct svd_view_policy {
	const svd_trust *trust; /**< the keys to trust; NULL for the archive's own list */
	svd_view_check check;   /**< how much to check */
	unsigned flags;         /**< enum svd_view_flags */
	unsigned threads;       /**< gate workers; 0: one per core */
	/**
	 * Told about each item's verdict (in id order, from the calling thread)
	 * as the view is built, for callers that report on every item (verify).
	 * Return non-zero to stop (svd_view_open returns that value). May be NULL.
	 */
	svd_item_cb item;
	void *payload;
} svd_view_policy;

/**
 * The view of an archive at a commit.
 *
 * @param commit a commit id in hex (4 to 40 digits), or NULL for main
 * @param policy NULL for the defaults
 * @param[out] out the caller's, freed with svd_view_free()
 * @return 0; SVD_ENOTFOUND for an unknown commit (main with nothing in it
 *         gives an empty view); SVD_EINVALID for a malformed commit id.
 */
int svd_view_open(svd_view **out, svd_archive *a, const char *commit,
                  const svd_view_policy *policy);

/*
 * The list of main: the view svd_view_open() last built of main, written
 * down beside the store (ARCHIVE/cache/list, SPEC.md 7.2.2) so that list
 * and show read it instead of building the view: every item in the one
 * order, read one at a time, and any item by id, in memory that does not
 * grow with the archive.
 */

/** An open list file; opaque. */
typedef struct svd_view_list svd_view_list;

/**
 * Open the list of main, when it is of main's commit as it is now and of
 * the archive's trust list.
 *
 * @param[out] out the caller's, freed with svd_view_list_free()
 * @return 0; SVD_ENOTFOUND when there is none, or it is of another commit
 *         or trust list (svd_view_open() on main writes it again);
 *         SVD_ECORRUPT when it is damaged (it is removed, so that the next
 *         svd_view_open() writes it again).
 */
int svd_view_list_open(svd_view_list **out, svd_archive *a);

/** How many items the list holds, shown or hidden (svd_view_size). */
size_t svd_view_list_size(const svd_view_list *l);

/** How many of them are shown (svd_view_count). */
size_t svd_view_list_count(const svd_view_list *l);

/** As svd_view_trust_date() of the view it was written from. */
const char *svd_view_list_trust_date(const svd_view_list *l);

/**
 * The next item in the one order (svd_view_at(), from the first), valid
 * until the next call on l.
 *
 * @return 1 with *it set; 0 after the last; SVD_ECORRUPT when the file is
 *         damaged there (it is removed; the items before it were sound).
 */
int svd_view_list_next(svd_view_list *l, const svd_view_item **it);

/**
 * The item with this full id (svd_view_find()), valid until the next call
 * on l.
 *
 * @return 1 with *it set; 0 when the list does not hold it; SVD_ECORRUPT
 *         as svd_view_list_next().
 */
int svd_view_list_find(svd_view_list *l, const char *id, const svd_view_item **it);

/**
 * For the item last returned, when it is withdrawn (retracted_by set) and
 * its retraction is in the view: that retraction's id, "created" and
 * signers (as svd_view_find(retracted_by) gives them; its other fields
 * empty); else NULL. Valid as the item is.
 */
const svd_view_item *svd_view_list_retraction(const svd_view_list *l);

void svd_view_list_free(svd_view_list *l);

#ifdef __cplusplus
}
#endif

#endif
