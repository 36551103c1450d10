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

#ifdef __cplusplus
extern "C" {
#endif

#define SVD_MIRROR_ID_LEN 32 /**< hex digits of a mirror id */

/** An open archive; opaque. */
typedef struct svd_archive svd_archive;

/** A list of trusted public keys; opaque. */
typedef struct svd_trust svd_trust;

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
 * Stop trusting a key (remove trusted/<KEYID>.pub) and reload the list.
 *
 * @return 0; SVD_ENOTFOUND when no such key is trusted.
 */
int svd_archive_trust_remove(svd_archive *a, const char *keyid);

/** Close an archive (releasing its lock); NULL is fine. */
void svd_archive_free(svd_archive *a);

/**
 * Load every <KEYID>.pub in a folder. A file that does not parse, or whose
 * name is not its key's id, is an error naming the file (SVD_ECORRUPT): a
 * damaged trust list is never half-read.
 *
 * @param[out] out the caller's, freed with svd_trust_free()
 */
int svd_trust_load(svd_trust **out, const char *dir);

/**
 * An empty trust list held in memory (for inspecting with keys given on
 * the spot). Fill it with svd_trust_insert().
 *
 * @param[out] out the caller's, freed with svd_trust_free()
 */
int svd_trust_new(svd_trust **out);

/** Add a copy of a key to a trust list (a key already there is fine). */
int svd_trust_insert(svd_trust *t, const svd_pubkey *pk);

/** How many keys. */
size_t svd_trust_count(const svd_trust *t);

/** The i-th key, in key id order (borrowed). */
const svd_pubkey *svd_trust_at(const svd_trust *t, size_t i);

/** The trusted key with this id (borrowed), or NULL. */
const svd_pubkey *svd_trust_find(const svd_trust *t, const char *keyid);

/** Free a trust list; NULL is fine. */
void svd_trust_free(svd_trust *t);

#ifdef __cplusplus
}
#endif

#endif
