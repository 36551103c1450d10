/*
 * store_items.h: the store's items read by the rooms above it, with no git
 * type in sight (store_items.c): the items of main or of a commit, the gate
 * over them against a trust list, and an item's files by name and bytes.
 * Not public.
 *
 * An export reads items ahead on a worker thread while the calling thread
 * writes them; an unpack and the daemon's catalog read what the gate
 * accepted. So the items of a commit are listed once (svd_store_items, read
 * only after that, by any thread), and read through a repository handle
 * of a thread's own (svd_store_reader).
 */
#ifndef SVD_STORE_ITEMS_H
#define SVD_STORE_ITEMS_H

#include <stddef.h>
#include <stdint.h>

#include "samvydav/archive.h"
#include "samvydav/item.h"
#include "samvydav/store.h"

/* The items of one commit, in id order; opaque. */
typedef struct svd_store_items svd_store_items;

/*
 * List the items of a commit: main's when commit is NULL (an archive with
 * nothing in it yet gives an empty list), else a commit id in hex (4 to 40
 * digits: SVD_EINVALID for a malformed one, SVD_ENOTFOUND for none such).
 * Entries of items/ that are not an item where they stand (misfiled) are
 * left out. *out is the caller's, freed with svd_store_items_free(); it
 * does not need a after the call.
 */
int svd_store_items_list(svd_store_items **out, svd_archive *a, const char *commit);

/*
 * The same, of one fan-out folder only (items/<fan>/, fan 0 to 255), for
 * a walk over every item that holds a folder's worth at a time: commit
 * then names the commit in full (svd_store_items_commit() of a list made
 * before), so that every folder is of the same one.
 */
int svd_store_items_list_fan(svd_store_items **out, svd_archive *a, const char *commit,
                             unsigned fan);

/* The commit listed, 40 hex digits, or "" for an archive with nothing yet (borrowed). */
const char *svd_store_items_commit(const svd_store_items *l);

/* The commit's time, seconds since the epoch (0 for an archive with nothing yet). */
int64_t svd_store_items_time(const svd_store_items *l);

/* Item i's folder: the git id of its tree, 20 bytes (borrowed, as long as l). */
const uint8_t *svd_store_items_folder(const svd_store_items *l, size_t i);

/* How many items. */
size_t svd_store_items_count(const svd_store_items *l);

/* Item i's id, 64 hex digits (borrowed, as long as l). */
const char *svd_store_items_id(const svd_store_items *l, size_t i);

/* The index of the item with this id, or -1 when l does not hold it. */
long svd_store_items_find(const svd_store_items *l, const char *id);

/* Is item i of a the same folder (the same git tree: same files, same signatures) as item j of b? */
int svd_store_items_same(const svd_store_items *a, size_t i, const svd_store_items *b, size_t j);

/* Free; NULL is fine. */
void svd_store_items_free(svd_store_items *l);

/*
 * svd_store_verify() of l's commit against trust (NULL: the archive's own
 * list): the gate on the ids given (or all, misfiled entries too), every
 * payload byte hashed, threads workers, cb told in id order from the
 * calling thread. Returns 0; SVD_ECORRUPT when some failed (stats says
 * how many); SVD_ENOTFOUND for an id given that is not there; cb's
 * non-zero value; or an error.
 */
int svd_store_items_verify(svd_archive *a, const svd_store_items *l, const svd_trust *trust,
                           const char *const *ids, size_t n, unsigned threads, svd_item_cb cb,
                           void *payload, svd_verify_stats *stats);

/*
 * A repository handle of a thread's own on an archive's store: opened on
 * any thread (a is only read for where its store is), then used by one
 * thread at a time. *out is the caller's, freed with svd_store_reader_free().
 */
typedef struct svd_store_reader svd_store_reader;

int svd_store_reader_open(svd_store_reader **out, const svd_archive *a);

/* Free; NULL is fine. */
void svd_store_reader_free(svd_store_reader *r);

/*
 * The gate again on item i of l, its payloads compared with the manifest
 * by size only (as svd_store_check() with SVD_CHECK_SIZES_ONLY; the folder's
 * tree id pins their bytes, hashed when the item entered): the manifest,
 * the layout and every signature, verified with libsodium against trust
 * and registry (the commit's keys/, svd_store_items_registry()). For a
 * verdict kept elsewhere (ARCHIVE/cache/site) that must not be taken on
 * trust. Through r, on its thread. *out the caller's (svd_verdict_free).
 */
int svd_store_item_recheck(svd_verdict **out, svd_store_reader *r, const svd_store_items *l,
                           size_t i, const svd_trust *trust, const svd_trust *registry);

/* The registry of keys (keys/) in l's commit; *out the caller's (svd_trust_free), NULL for none. */
int svd_store_items_registry(svd_trust **out, svd_archive *a, const svd_store_items *l);

/* One item's files; opaque. */
typedef struct svd_store_item svd_store_item;

/*
 * Open item i of l through r: the names of its regular files, in the order
 * a bundle carries them (manifest.json, the payload files in byte order of
 * their names, then sig/ and its files, as "sig/KEYID.minisig"). Links and
 * other folders are not listed. No file's bytes are read yet. *out is the
 * caller's, freed with svd_store_item_free().
 */
int svd_store_item_open(svd_store_item **out, svd_store_reader *r, const svd_store_items *l,
                        size_t i);

/* How many files. */
size_t svd_store_item_count(const svd_store_item *it);

/* File k's name in the item ("body.md", "sig/KEYID.minisig"; borrowed). */
const char *svd_store_item_name(const svd_store_item *it, size_t k);

/* The index of the file of this name, or -1. */
long svd_store_item_find(const svd_store_item *it, const char *name);

/*
 * File k's bytes, read through the reader on the first call (on its
 * thread), then kept: borrowed until svd_store_item_drop() or
 * svd_store_item_free().
 */
int svd_store_item_data(const void **data, size_t *len, svd_store_item *it, size_t k);

/* Let go of file k's bytes (read again by the next svd_store_item_data()). */
void svd_store_item_drop(svd_store_item *it, size_t k);

/*
 * Free; NULL is fine. An item whose files were read (or never will be)
 * touches its reader no more: it may be handed to another thread, which
 * reads the bytes already read and frees it.
 */
void svd_store_item_free(svd_store_item *it);

/*
 * The first max bytes of one file of an item in main, NUL-terminated
 * (*out the caller's, free()), or *out NULL and 0 when the item holds no
 * such file: what a page needs of body.md, on the archive's own handle.
 * SVD_ENOTFOUND for no such item.
 */
int svd_store_file_head(char **out, size_t *len, svd_archive *a, const char *id, const char *name,
                        size_t max);

#endif
