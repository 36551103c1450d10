/*
 * seal.h: sealed files — bundles and have-files encrypted for couriers, so
 * that a seized stick shows only files of random bytes (SPEC.md, 12).
 *
 * A sealed file has no magic, no version, no length field: from its first
 * byte it is indistinguishable from random. It is opened with a key ring
 * (svd_seal_keys): this mirror's own X25519 key pairs, the public keys of
 * the network's mirrors, and any passphrases. A file is made for
 * recipients (svd_seal_to): mirrors' public keys, a passphrase, or both;
 * nothing in it says who they are, and a reader finds out by trying.
 *
 * Inside, the plaintext is cut into chunks that are each authenticated on
 * their own, at fixed places, so that damage costs only the chunks it
 * touches: the reader (svd_unseal_pread) gives the bytes of a damaged
 * chunk as zeros and reports it, and the bundle reader inside salvages
 * every intact frame around it.
 *
 * Every primitive is libsodium's: X25519 (crypto_scalarmult), BLAKE2b
 * (crypto_generichash), Argon2id (crypto_pwhash), XChaCha20-Poly1305 and
 * ChaCha20-Poly1305 (crypto_aead_*), randombytes.
 */
#ifndef SAMVYDAV_SEAL_H
#define SAMVYDAV_SEAL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SVD_SEAL_KEY_LEN     32        /**< bytes of an X25519 key, public or secret */
#define SVD_SEAL_CHUNK       65536     /**< plaintext bytes of a chunk (the last may be shorter) */
#define SVD_SEAL_TAG         16        /**< bytes an AEAD adds to a chunk or slot */
#define SVD_SEAL_SLOT        88        /**< bytes of a header slot */
#define SVD_SEAL_MAX_SLOTS   32        /**< slots at each end: a writer's limit, a reader's bound */
#define SVD_SEAL_MAX_TO      30        /**< mirrors a file is sealed to, besides the sender */
#define SVD_SEAL_MAX_OWN     64        /**< own key pairs in a ring (current and retired) */
#define SVD_SEAL_MAX_MIRRORS 4096      /**< mirrors' public keys in a ring */
#define SVD_SEAL_PASS_MAX    1024      /**< bytes of a passphrase */
#define SVD_SEAL_PWHASH_OPS  3         /**< Argon2id passes (SPEC.md, 12.3) */
#define SVD_SEAL_PWHASH_MEM  (64u << 20) /**< Argon2id memory: 64 MiB */

#define SVD_SEAL_NAME_LEN 16 /**< characters of a sealed file's random name */

/**
 * A random name for a sealed file (SPEC.md, 12.6): SVD_SEAL_NAME_LEN
 * lowercase hex digits, no extension: it says nothing of what the file is.
 */
void svd_seal_name(char out[SVD_SEAL_NAME_LEN + 1]);

/** What a sealed file holds, as its header says (inside the encryption). */
typedef enum svd_seal_kind {
	SVD_SEAL_BUNDLE = 1, /**< a bundle (SPEC.md, 9) */
	SVD_SEAL_HAVE = 2,   /**< a have-file (SPEC.md, 9.5) */
	SVD_SEAL_PARTIAL = 3 /**< a write that never finished: its writer removes it when it sees it */
} svd_seal_kind;

/*
 * Keys and their files
 */

/** A new X25519 key pair from the system's random source. */
void svd_seal_keypair(uint8_t pk[SVD_SEAL_KEY_LEN], uint8_t sk[SVD_SEAL_KEY_LEN]);

/** The public key of a secret key. */
int svd_seal_public(uint8_t pk[SVD_SEAL_KEY_LEN], const uint8_t sk[SVD_SEAL_KEY_LEN]);

/**
 * A public key file's text (SPEC.md, 12.1): two lines, "samvydav mirror
 * key 1" and 64 lowercase hex digits. Returns a string of the caller's
 * (free()), or NULL when out of memory.
 */
char *svd_seal_public_format(const uint8_t pk[SVD_SEAL_KEY_LEN]);

/**
 * Parse a public key file's bytes (untrusted: exact lines, nothing else).
 *
 * @return 0; SVD_ECORRUPT saying which line is wrong and how.
 */
int svd_seal_public_parse(uint8_t pk[SVD_SEAL_KEY_LEN], const void *text, size_t len);

/**
 * A secret key file's text (SPEC.md, 12.1): "samvydav mirror secret key 1"
 * and 64 lowercase hex digits, in memory from sodium_malloc; the caller
 * frees it with svd_seal_secret_free(). NULL when out of memory.
 */
char *svd_seal_secret_format(const uint8_t sk[SVD_SEAL_KEY_LEN]);
void svd_seal_secret_free(char *text);

/** Parse a secret key file's bytes; as svd_seal_public_parse(). */
int svd_seal_secret_parse(uint8_t sk[SVD_SEAL_KEY_LEN], const void *text, size_t len);

/**
 * A public key's fingerprint for people to compare over a phone: 16
 * uppercase hex digits in four groups ("1A2B-3C4D-5E6F-7081"), the first
 * 8 bytes of BLAKE2b-256 of the key.
 */
void svd_seal_fingerprint(char out[20], const uint8_t pk[SVD_SEAL_KEY_LEN]);

/*
 * The key ring: what opens sealed files
 */

/** Own key pairs, mirrors' public keys, passphrases; opaque, in secure memory. */
typedef struct svd_seal_keys svd_seal_keys;

/** @param[out] out the caller's, freed with svd_seal_keys_free() */
int svd_seal_keys_new(svd_seal_keys **out);

/** Free, wiping every secret; NULL is fine. */
void svd_seal_keys_free(svd_seal_keys *k);

/**
 * One of this mirror's own secret keys (copied). The first added is the
 * current one, which seals; the others (retired) only open.
 *
 * @return 0; SVD_ETOOBIG over SVD_SEAL_MAX_OWN.
 */
int svd_seal_keys_add_own(svd_seal_keys *k, const uint8_t sk[SVD_SEAL_KEY_LEN]);

/**
 * A mirror of the network (copied): files it sealed can be opened here.
 * Adding the same key twice is harmless.
 *
 * @return 0; SVD_ETOOBIG over SVD_SEAL_MAX_MIRRORS; SVD_EINVALID for a key
 *         no exchange can use (of small order).
 */
int svd_seal_keys_add_mirror(svd_seal_keys *k, const uint8_t pk[SVD_SEAL_KEY_LEN]);

/**
 * A passphrase to try (copied into secure memory). Each costs an Argon2id
 * at each end of every file that no own key opens, so a ring holds at
 * most 16.
 *
 * @return 0; SVD_EINVALID for an empty one or one over SVD_SEAL_PASS_MAX bytes;
 *         SVD_ETOOBIG for a 17th.
 */
int svd_seal_keys_add_passphrase(svd_seal_keys *k, const char *pass, size_t len);

/** How many own keys, mirrors and passphrases it holds. */
size_t svd_seal_keys_own_count(const svd_seal_keys *k);
size_t svd_seal_keys_mirror_count(const svd_seal_keys *k);
size_t svd_seal_keys_passphrase_count(const svd_seal_keys *k);

/** The public key of the current own key. @return 0; SVD_ENOTFOUND when there is none. */
int svd_seal_keys_current(const svd_seal_keys *k, uint8_t pk[SVD_SEAL_KEY_LEN]);

/*
 * Sealing
 */

/** Whom a file is sealed for. Zero-initialise, then set. */
typedef struct svd_seal_to {
	/** the sender: its current own key seals the mirrors' slots, and the sender gets a
	    slot of its own (so that it can read back what it wrote); NULL: passphrase only */
	const svd_seal_keys *from;
	const uint8_t (*mirrors)[SVD_SEAL_KEY_LEN]; /**< recipients' public keys (borrowed) */
	size_t nmirrors;                            /**< at most SVD_SEAL_MAX_TO */
	const char *passphrase;                     /**< or NULL (borrowed) */
	size_t passlen;
} svd_seal_to;

/** A sealed file being written; opaque. */
typedef struct svd_sealer svd_sealer;

/**
 * Begin sealing into fd, an empty file open for writing (read and write,
 * seekable). The header's place is filled with random bytes at once and
 * its slots say SVD_SEAL_PARTIAL until svd_sealer_finish(), so a file cut
 * short at any moment holds nothing in the clear, and its writer can know
 * it again. Derives the passphrase's key here (Argon2id: a fraction of a
 * second).
 *
 * @param[out] out the caller's, freed with svd_sealer_free()
 * @return 0; SVD_EINVALID for no recipient at all, too many, a sender
 *         without an own key; SVD_ERROR for a write that fails.
 */
int svd_sealer_new(svd_sealer **out, int fd, const svd_seal_to *to, svd_seal_kind kind);

/** The next plaintext bytes; whole chunks are encrypted and written as they fill. */
int svd_sealer_write(svd_sealer *s, const void *data, size_t len);

/** Plaintext bytes written so far. */
uint64_t svd_sealer_size(const svd_sealer *s);

/**
 * The last chunk, the padding (to the sizes of SPEC.md, 12.4) and both
 * copies of the header with the file's kind and length. The file is whole
 * but not fsynced: that is the caller's.
 *
 * @param[out] size the file's size, or NULL
 */
int svd_sealer_finish(svd_sealer *s, uint64_t *size);

/** Free, wiping the file key; NULL is fine. The file is the caller's. */
void svd_sealer_free(svd_sealer *s);

/** A sealed file written in place, atomically; opaque. */
typedef struct svd_seal_file svd_seal_file;

/**
 * Begin a sealed file at path: it is written under a random temporary name
 * in path's folder (SPEC.md, 12.6), which holds only sealed bytes.
 *
 * @param[out] out the caller's: svd_seal_file_commit() or svd_seal_file_abort()
 * @return as svd_sealer_new(); SVD_ENOTFOUND when path's folder is missing.
 */
int svd_seal_file_open(svd_seal_file **out, const char *path, const svd_seal_to *to,
                       svd_seal_kind kind);

/** The next plaintext bytes. */
int svd_seal_file_write(svd_seal_file *f, const void *data, size_t len);

/** Finish, fsync, rename into place, fsync the folder; frees f whatever happens. */
int svd_seal_file_commit(svd_seal_file *f);

/** Remove what was written and free; NULL is fine. */
void svd_seal_file_abort(svd_seal_file *f);

/*
 * Opening
 */

/** A sealed file opened for reading; opaque. */
typedef struct svd_unsealer svd_unsealer;

/** Told of each damaged region of a sealed file (file offsets), once. */
typedef void (*svd_seal_damage_cb)(uint64_t offset, uint64_t length, const char *what,
                                   void *payload);

/**
 * Try to open fd (size bytes) with every key of k: own keys against every
 * mirror's, then passphrases, at each of the SVD_SEAL_MAX_SLOTS places at
 * the start and then at the end. Reads at most 2 * SVD_SEAL_MAX_SLOTS *
 * SVD_SEAL_SLOT bytes; without a passphrase it costs microseconds per
 * key pair, with one an Argon2id for each end tried.
 *
 * @param[out] out the caller's, freed with svd_unseal_free()
 * @param[out] kind what the file holds, or NULL
 * @return 0; SVD_ENOKEY when nothing in k opens it (it is not sealed,
 *         not for this mirror, the passphrase is wrong, or both copies of
 *         its header are damaged: a sealed file cannot say which);
 *         SVD_ERROR for a read that fails.
 */
int svd_unseal_open(svd_unsealer **out, int fd, uint64_t size, const svd_seal_keys *k,
                    svd_seal_kind *kind);

/** Where damage is reported (each region once); NULL: nowhere. */
void svd_unseal_on_damage(svd_unsealer *u, svd_seal_damage_cb cb, void *payload);

/** The plaintext's length, as the header says. */
uint64_t svd_unseal_size(const svd_unsealer *u);

/** 1 when the header opened only at the end (its copy at the start is damaged). */
int svd_unseal_head_damaged(const svd_unsealer *u);

/**
 * Read plaintext [off, off + len) (clipped at svd_unseal_size()). Each
 * chunk is checked as it is read; a chunk that fails (damaged, or past
 * the end of a file cut short) reads as zero bytes and is reported. Keeps
 * one chunk decrypted, so reading forward costs one decryption a chunk.
 *
 * @return bytes read (0 at the end); SVD_ERROR for a read that fails.
 */
ssize_t svd_unseal_pread(svd_unsealer *u, void *buf, size_t len, uint64_t off);

/** How many chunks failed so far. */
uint64_t svd_unseal_damaged_chunks(const svd_unsealer *u);

/** Free, wiping the file key; NULL is fine. */
void svd_unseal_free(svd_unsealer *u);

#ifdef __cplusplus
}
#endif

#endif
