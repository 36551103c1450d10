/*
 * trust.h: a trust list — the public keys of the editors a mirror trusts.
 * The gate counts a signature only when its key is in the list. An
 * archive keeps its list in ARCHIVE/trusted/ (archive.h); inspecting or
 * unpacking outside an archive builds one from keys given on the spot.
 */
#ifndef SAMVYDAV_TRUST_H
#define SAMVYDAV_TRUST_H

#include "common.h"
#include "key.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A list of trusted public keys; opaque. Read-only lists may be shared between threads. */
typedef struct svd_trust svd_trust;

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
