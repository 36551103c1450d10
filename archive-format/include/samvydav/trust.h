/*
 * trust.h: a trust list — the public keys of the editors and the roots a
 * mirror trusts, and its thresholds (SPEC.md 7.3). The gate counts a
 * signature only when its whole key is in the list; the view adds the
 * editors that roots certified and takes away revoked keys. An archive
 * keeps its list in ARCHIVE/trusted/, ARCHIVE/roots/ and
 * ARCHIVE/trust-policy (archive.h); inspecting or unpacking outside an
 * archive builds one from keys given on the spot.
 */
#ifndef SAMVYDAV_TRUST_H
#define SAMVYDAV_TRUST_H

#include "common.h"
#include "key.h"
#include "manifest.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A list of trusted public keys; opaque. Read-only lists may be shared between threads. */
typedef struct svd_trust svd_trust;

/** What a trusted key may do (bits). */
enum svd_trust_role {
	SVD_TRUST_EDITOR = 1u << 0, /**< its signatures count on items (ARCHIVE/trusted/) */
	SVD_TRUST_ROOT = 1u << 1,   /**< certifies and revokes editors, k together
	                                 (ARCHIVE/roots/); counts on items too */
};

#define SVD_TRUST_POLICY_MAX    4096 /**< bytes of a trust policy file */
#define SVD_TRUST_THRESHOLD_MAX 255  /**< the largest threshold */
#define SVD_TRUST_KINDS         16   /**< kinds a policy can name (svd_kind values below it) */

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

/**
 * Add the root keys of a folder of <KEYID>.pub files (ARCHIVE/roots/; a
 * missing folder adds none). Errors as svd_trust_load(); a key number
 * that the list holds with another key is SVD_ECORRUPT.
 */
int svd_trust_load_roots(svd_trust *t, const char *dir);

/**
 * Read the thresholds of a trust policy file (SPEC.md 7.3); a missing file
 * leaves every threshold at 1. A file that does not parse is SVD_ECORRUPT
 * naming the line: a damaged policy is never half read.
 */
int svd_trust_load_policy(svd_trust *t, const char *path);

/** Parse a trust policy's bytes (where names them in messages). */
int svd_trust_policy_parse(svd_trust *t, const char *buf, size_t len, const char *where);

/** A trust policy file's bytes for the list's thresholds; *out is the caller's (free()). */
int svd_trust_policy_format(char **out, size_t *len, const svd_trust *t);

/** Give dst the thresholds of src (a list built from an archive's, say). */
void svd_trust_copy_thresholds(svd_trust *dst, const svd_trust *src);

/** How many roots must sign a statement for it to take effect (1 unless set). */
unsigned svd_trust_root_threshold(const svd_trust *t);

/** How many counting signatures an item of this kind needs to be shown (1 unless set). */
unsigned svd_trust_kind_threshold(const svd_trust *t, svd_kind kind);

/**
 * Set a threshold, 1..SVD_TRUST_THRESHOLD_MAX: kind -1 for the roots',
 * else a kind's. In memory; the archive saves it (svd_archive_trust_policy_set).
 */
int svd_trust_set_threshold(svd_trust *t, int kind, unsigned k);

/** Add a copy of a key to a trust list as an editor (a key already there is fine). */
int svd_trust_insert(svd_trust *t, const svd_pubkey *pk);

/**
 * Add a copy of a key with a role (enum svd_trust_role); a key already
 * there gains the role. SVD_ECORRUPT when the list holds another key
 * with the same key number.
 */
int svd_trust_insert_role(svd_trust *t, const svd_pubkey *pk, unsigned role);

/** The role bits of the i-th key (enum svd_trust_role). */
unsigned svd_trust_role(const svd_trust *t, size_t i);

/**
 * The trusted key with this key id and exactly this 32-byte public key
 * (borrowed), with its role; NULL when the id is not trusted or is
 * trusted with another key (a key-number collision: never trusted).
 */
const svd_pubkey *svd_trust_match(const svd_trust *t, const uint8_t pk[32], const char *keyid,
                                  unsigned *role);

/** How many keys. */
size_t svd_trust_count(const svd_trust *t);

/** The i-th key, in key id order (borrowed). */
const svd_pubkey *svd_trust_at(const svd_trust *t, size_t i);

/** The trusted key (editor or root) with this id (borrowed), or NULL. */
const svd_pubkey *svd_trust_find(const svd_trust *t, const char *keyid);

/** Free a trust list; NULL is fine. */
void svd_trust_free(svd_trust *t);

#ifdef __cplusplus
}
#endif

#endif
