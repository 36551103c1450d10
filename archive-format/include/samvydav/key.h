/*
 * key.h: editors' Ed25519 keys in minisign's file formats.
 *
 * A public key file is what `minisign -G` writes (an untrusted comment line
 * and the base64 of "Ed" || key id || public key). A secret key file is
 * minisign's too: scrypt-encrypted with a passphrase, or unencrypted (what
 * `minisign -G -W` writes). Secret keys live in sodium_malloc() memory and are
 * wiped when freed.
 *
 * Key files are untrusted input; their sizes and scrypt limits are capped.
 */
#ifndef SAMVYDAV_KEY_H
#define SAMVYDAV_KEY_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SVD_KEYID_HEX_LEN 16   /**< hex digits of a key id, as minisign prints it */
#define SVD_KEYFILE_MAX   4096 /**< bytes; a larger key file is refused */
/**
 * minisign's buffer for an untrusted comment line: the line, its "\n" and a
 * NUL. So a line has at most 1022 bytes, and a comment after its
 * "untrusted comment: " prefix at most 1003.
 */
#define SVD_COMMENT_MAX 1024

/** A public key; opaque. */
typedef struct svd_pubkey svd_pubkey;

/** A secret key, held in guarded memory; opaque. */
typedef struct svd_seckey svd_seckey;

/**
 * Asks for a passphrase. Write it NUL-terminated into buf (size bytes, in
 * guarded memory) and return 0, or return a negative code to give up.
 */
typedef int (*svd_passphrase_cb)(char *buf, size_t size, void *payload);

/** How hard scrypt works when a secret key is encrypted. */
typedef enum svd_kdf_strength {
	SVD_KDF_SENSITIVE = 0, /**< minisign's own choice: 1 GiB of memory, a few seconds */
	SVD_KDF_INTERACTIVE,   /**< 16 MiB; for tests and slow machines */
} svd_kdf_strength;

/**
 * Make a new key pair.
 *
 * @param[out] sk the secret key; the caller's, freed with svd_seckey_free()
 * @param[out] pk the public key; the caller's, freed with svd_pubkey_free()
 */
int svd_key_generate(svd_seckey **sk, svd_pubkey **pk);

/**
 * Parse a public key from a minisign public key file's bytes, or from the
 * bare base64 line alone (as `minisign -P` takes it).
 *
 * @return 0, SVD_ETOOBIG, or SVD_ECORRUPT saying what is wrong.
 */
int svd_pubkey_parse(svd_pubkey **out, const char *buf, size_t len);

/** Read and parse a public key file. @return as svd_pubkey_parse(), or SVD_ENOTFOUND. */
int svd_pubkey_read(svd_pubkey **out, const char *path);

/**
 * The file's bytes for a public key (minisign's format), NUL-terminated.
 *
 * @param[out] out the caller's, freed with free()
 */
int svd_pubkey_format(char **out, size_t *len, const svd_pubkey *pk);

/** Write a public key file atomically (temporary name, fsync, rename), mode 0644. */
int svd_pubkey_write(const svd_pubkey *pk, const char *path);

/** The key id: 16 uppercase hex digits (borrowed). */
const char *svd_pubkey_id(const svd_pubkey *pk);

/** The 8 raw key id bytes as stored in minisign's files (borrowed). */
const uint8_t *svd_pubkey_id_bytes(const svd_pubkey *pk);

/** The 32 raw Ed25519 public key bytes (borrowed). */
const uint8_t *svd_pubkey_bytes(const svd_pubkey *pk);

/** Copy a public key. @param[out] out the caller's. */
int svd_pubkey_dup(svd_pubkey **out, const svd_pubkey *pk);

/** Free a public key; NULL is fine. */
void svd_pubkey_free(svd_pubkey *pk);

/**
 * Does this secret key file need a passphrase? Reads the file.
 *
 * @return 1 if encrypted, 0 if not, or a negative code (the file cannot be read or parsed).
 */
int svd_seckey_file_encrypted(const char *path);

/**
 * Parse and, when encrypted, decrypt a secret key file's bytes. The
 * passphrase callback is called only for an encrypted key.
 *
 * @param[out] out the caller's, freed with svd_seckey_free()
 * @return 0; SVD_EPASSPHRASE when the passphrase does not open the key;
 *         SVD_ECORRUPT or SVD_ETOOBIG for a damaged file (also scrypt limits
 *         beyond 2 GiB of memory); the callback's code if it gives up;
 *         SVD_EINVALID when the key is encrypted and cb is NULL.
 */
int svd_seckey_parse(svd_seckey **out, const char *buf, size_t len, svd_passphrase_cb cb,
                     void *payload);

/** Read a secret key file and parse it as svd_seckey_parse() does. */
int svd_seckey_read(svd_seckey **out, const char *path, svd_passphrase_cb cb, void *payload);

/**
 * Write a secret key file (mode 0600, temporary name, fsync, rename; an
 * existing file is not replaced: SVD_EEXISTS).
 *
 * @param passphrase NUL-terminated, or NULL to write the key unencrypted
 * @param strength scrypt's work when a passphrase is given
 */
int svd_seckey_write(const svd_seckey *sk, const char *path, const char *passphrase,
                     svd_kdf_strength strength);

/** The key id: 16 uppercase hex digits (borrowed). */
const char *svd_seckey_id(const svd_seckey *sk);

/** The public half of a secret key. @param[out] out the caller's. */
int svd_seckey_pubkey(svd_pubkey **out, const svd_seckey *sk);

/** Wipe and free a secret key; NULL is fine. */
void svd_seckey_free(svd_seckey *sk);

/**
 * Format 8 key id bytes as minisign prints them: the little-endian 64-bit
 * number in 16 uppercase hex digits.
 *
 * @param out 17 bytes
 */
void svd_keyid_format(char out[SVD_KEYID_HEX_LEN + 1], const uint8_t id[8]);

/** Is s a key id in that form (16 uppercase hex digits)? @return 1 or 0. */
int svd_keyid_valid(const char *s);

#ifdef __cplusplus
}
#endif

#endif
