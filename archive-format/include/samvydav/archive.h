/*
 * archive.h: an archive folder — the git store, the local trust list, the
 * mirror's id and the write lock.
 *
 *     ARCHIVE/store.git/   bare git repository; branch main holds items/...
 *     ARCHIVE/trusted/     <KEYID>.pub, the editors this mirror trusts
 *     ARCHIVE/refused/     what was refused, kept aside for the operator
 *     ARCHIVE/mirror-id    a random id, made at init (no names, no addresses)
 *     ARCHIVE/lock         held (flock) by whoever writes
 *
 * The trust list sits beside the repository, not inside it: it is never
 * replicated and never read from a bundle or a peer.
 */
#ifndef SAMVYDAV_ARCHIVE_H
#define SAMVYDAV_ARCHIVE_H

#include "common.h"
#include "key.h"
#include "trust.h"

#ifdef __cplusplus
extern "C" {
#endif

/** An open archive; opaque. */
typedef struct svd_archive svd_archive;

/**
 * Create a new archive at path (a folder that does not exist yet or is
 * empty): the bare repository with main as its branch, the trust folder and
 * a new mirror id.
 *
 * @param[out] out the open archive; the caller's, freed with svd_archive_free()
 * @return 0; SVD_EEXISTS when path holds anything already.
 */
int svd_archive_init(svd_archive **out, const char *path);

/**
 * Open the archive at path and load its trust list.
 *
 * @param[out] out the caller's, freed with svd_archive_free()
 * @return 0; SVD_ENOTFOUND when path is not an archive (the message says what is missing).
 */
int svd_archive_open(svd_archive **out, const char *path);

/** The archive's folder as given to open or init (borrowed). */
const char *svd_archive_path(const svd_archive *a);

/** The mirror id (borrowed). */
const char *svd_archive_mirror_id(const svd_archive *a);

/** The trust list loaded at open (borrowed; reloaded after trust changes). */
const svd_trust *svd_archive_trust(const svd_archive *a);

/**
 * Take the archive's write lock without waiting.
 *
 * @return 0; SVD_ELOCKED when another process holds it.
 */
int svd_archive_lock(svd_archive *a);

/** Release the write lock (nothing happens if it is not held). */
void svd_archive_unlock(svd_archive *a);

/**
 * Trust a key: write trusted/<KEYID>.pub atomically and reload the list.
 *
 * @return 0; SVD_EEXISTS when the key is trusted already.
 */
int svd_archive_trust_add(svd_archive *a, const svd_pubkey *pk);

/**
 * Trust a key as an editor (trusted/<KEYID>.pub) or a root
 * (roots/<KEYID>.pub; role from enum svd_trust_role), atomically, and
 * reload the list.
 *
 * @return 0; SVD_EEXISTS when the key has that role already; SVD_EINVALID
 *         when another key with the same key number is trusted.
 */
int svd_archive_trust_add_role(svd_archive *a, const svd_pubkey *pk, unsigned role);

/**
 * Stop trusting a key, as an editor and as a root (remove its files) and
 * reload the list.
 *
 * @return 0; SVD_ENOTFOUND when no such key is trusted.
 */
int svd_archive_trust_remove(svd_archive *a, const char *keyid);

/**
 * Set a threshold of the archive's trust policy (ARCHIVE/trust-policy,
 * SPEC.md 7.3), written whole and atomically: kind -1 for how many roots a
 * statement needs, else how many counting signatures an item of that kind
 * needs to be shown.
 */
int svd_archive_trust_threshold(svd_archive *a, int kind, unsigned k);

/** The places in an archive folder besides the store and the trust list. */
typedef enum svd_archive_place {
	SVD_PLACE_REFUSED = 0, /**< refused/: records of what imports refused */
	SVD_PLACE_CACHE,       /**< cache/: derived data that may be deleted (SPEC 7.2) */
	SVD_PLACE_TMP,         /**< tmp/: scratch files, e.g. bundles being made for a stick */
	SVD_PLACE_DAEMON,      /**< daemon-state/: the daemon's records */
	SVD_PLACE_DAEMON_LOCK, /**< daemon.lock: held by a running daemon (name is ignored) */
} svd_archive_place;

/**
 * Where a file of one of an archive's places is: DIR/PLACE/NAME, or
 * DIR/PLACE with name NULL. The layout of the folder is the library's
 * alone; front ends ask here. With make set, the place's folder is made
 * when missing.
 *
 * @param dir the archive's folder (svd_archive_path() of an open one)
 * @return the path, the caller's (free()); NULL with the error set
 */
char *svd_archive_place_path(const char *dir, svd_archive_place place, const char *name, int make);

/** 1 when dir holds an archive (its store and its mirror id), else 0. */
int svd_archive_is(const char *dir);

/** Close an archive (releasing its lock); NULL is fine. */
void svd_archive_free(svd_archive *a);

#ifdef __cplusplus
}
#endif

#endif
