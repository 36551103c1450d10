/*
 * revoke.h: revocation certificates (NAME.revoke), made beside a new key.
 *
 * A revocation certificate is a key's own revocation, signed in advance by
 * the key and kept apart from it (with a colleague, or on paper) to be
 * published when the key or its holder is lost. The file is plain text
 * (SPEC.md, 4.7): a few lines that say in plain words what it is and what
 * to do with it, then the revocation's manifest.json on one line, its
 * minisign signature (four lines) and the key's public key file (two
 * lines), each after a line naming it, so that stock tools can cut the
 * parts out and check them.
 *
 * The file is untrusted input: its size, its lines and every part are
 * capped and checked, the layout exactly; the signature must verify.
 */
#ifndef SAMVYDAV_REVOKE_H
#define SAMVYDAV_REVOKE_H

#include "common.h"
#include "key.h"
#include "manifest.h"
#include "sig.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SVD_REVOKE_FILE_MAX  32768 /**< bytes; a larger revocation certificate is refused */
#define SVD_REVOKE_NOTES_MAX 32    /**< "#" lines of explanation after the first line */

/** A revocation certificate: a key's revocation, its signature, the key; opaque. */
typedef struct svd_revoke_file svd_revoke_file;

/**
 * Make the revocation certificate of sk's own key: a revocation (manifest
 * format 2) of the key, titled "Revocation of key KEYID", signed by sk.
 *
 * @param outside what happens to the key's items outside every checkpoint
 *        (SVD_OUTSIDE_KEEP or SVD_OUTSIDE_HIDE)
 * @param created the revocation's "created" (YYYY-MM-DDTHH:MM:SSZ), or NULL for now
 * @param[out] out the caller's, freed with svd_revoke_file_free()
 * @return 0; SVD_EINVALID for a bad outside or created.
 */
int svd_revoke_file_make(svd_revoke_file **out, const svd_seckey *sk, svd_outside outside,
                         const char *created);

/**
 * Parse and check a revocation certificate's bytes: the layout (SPEC.md,
 * 4.7), the manifest (a revocation), the signature and the public key, all
 * of one key; the revocation is of that key and its signature verifies.
 *
 * @param[out] out the caller's, freed with svd_revoke_file_free()
 * @return 0; SVD_ETOOBIG over SVD_REVOKE_FILE_MAX (or a note line over
 *         1024 bytes); SVD_EBADSIG for a
 *         signature that does not verify; SVD_ECORRUPT for anything else
 *         (the message names the line and what is wrong).
 */
int svd_revoke_file_parse(svd_revoke_file **out, const char *buf, size_t len);

/** Read a file and parse it as svd_revoke_file_parse() does; SVD_ENOTFOUND if none. */
int svd_revoke_file_read(svd_revoke_file **out, const char *path);

/**
 * The file's text, NUL-terminated.
 *
 * @param[out] out the caller's, freed with free()
 */
int svd_revoke_file_format(char **out, size_t *len, const svd_revoke_file *r);

/**
 * Write the file with mode 0600 (temporary name, fsync, link): an existing
 * file is never replaced (SVD_EEXISTS).
 */
int svd_revoke_file_write(const svd_revoke_file *r, const char *path);

/** The revocation's manifest (borrowed). */
const svd_manifest *svd_revoke_file_manifest(const svd_revoke_file *r);

/** The revocation's signature, by the revoked key itself (borrowed). */
const svd_sig *svd_revoke_file_sig(const svd_revoke_file *r);

/** The revoked key, which signed it (borrowed). */
const svd_pubkey *svd_revoke_file_pubkey(const svd_revoke_file *r);

/** Free a revocation certificate; NULL is fine. */
void svd_revoke_file_free(svd_revoke_file *r);

#ifdef __cplusplus
}
#endif

#endif
