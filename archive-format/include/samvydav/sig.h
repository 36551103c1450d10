/*
 * sig.h: minisign-compatible signatures over manifests.
 *
 * A signature file is minisign's: an untrusted comment line, the base64 of
 * "ED" || key id || Ed25519(BLAKE2b-512(message)), a "trusted comment: " line,
 * and the base64 of Ed25519(signature || trusted comment). Only prehashed
 * ("ED") signatures are accepted; the legacy "Ed" kind is refused.
 *
 * Signature files are untrusted input: their size is capped and every field
 * is checked before any key is used.
 */
#ifndef SAMVYDAV_SIG_H
#define SAMVYDAV_SIG_H

#include "common.h"
#include "key.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SVD_SIGFILE_MAX 16384 /**< bytes; a larger signature file is refused */
/**
 * minisign's buffer for the trusted comment line: the line, its "\n" and a
 * NUL. So a trusted comment (after "trusted comment: ") has at most 8173 bytes.
 */
#define SVD_TRUSTED_COMMENT_MAX 8192

/** A parsed signature; opaque. */
typedef struct svd_sig svd_sig;

/**
 * Parse a signature file's bytes. Checks the layout, the base64, the
 * algorithm and the lengths; does not verify anything.
 *
 * @param[out] out the caller's, freed with svd_sig_free()
 * @return 0, SVD_ETOOBIG, or SVD_ECORRUPT saying which line is wrong.
 */
int svd_sig_parse(svd_sig **out, const char *buf, size_t len);

/**
 * Sign a message the way `minisign -S` does (prehashed).
 *
 * @param trusted_comment NUL-terminated, no newline; signed too
 * @param untrusted_comment NUL-terminated, no newline; not signed; NULL for a default
 * @param[out] out the caller's, freed with svd_sig_free()
 */
int svd_sig_create(svd_sig **out, const svd_seckey *sk, const void *msg, size_t len,
                   const char *trusted_comment, const char *untrusted_comment);

/**
 * The file's bytes for a signature, NUL-terminated.
 *
 * @param[out] out the caller's, freed with free()
 */
int svd_sig_format(char **out, size_t *len, const svd_sig *sig);

/** The signer's key id, 16 uppercase hex digits (borrowed). */
const char *svd_sig_keyid(const svd_sig *sig);

/** The trusted comment (borrowed). Signed, but only meaningful once verified. */
const char *svd_sig_trusted_comment(const svd_sig *sig);

/**
 * Verify a signature over a message with a public key: the key ids match,
 * the signature over BLAKE2b-512(message) verifies, and the global signature
 * over the trusted comment verifies.
 *
 * @return 0; SVD_EBADSIG saying which part fails (the key id is another
 *         key's, the message was changed or the signature is not this key's,
 *         the trusted comment was changed).
 */
int svd_sig_verify(const svd_sig *sig, const svd_pubkey *pk, const void *msg, size_t len);

/** Free a signature; NULL is fine. */
void svd_sig_free(svd_sig *sig);

#ifdef __cplusplus
}
#endif

#endif
