/*
 * sha256.h: SHA-256 of item files, manifests and bundles — internal.
 *
 * libsodium's SHA-256 is portable C, and hashing every file took a third of
 * the time of an unpack. On x86-64 processors with the SHA extensions this
 * hashes with them (about five times faster); everywhere else, or when the
 * check at first use finds the two disagree, or when SVD_SHA256=libsodium is
 * set in the environment, it is libsodium's. Both give the same digests: the
 * unit test compares them on every length up to a few blocks and on every
 * split of the input.
 */
#ifndef SVD_SHA256_H
#define SVD_SHA256_H

#include <stddef.h>
#include <stdint.h>

#include <sodium.h>

#define SVD_SHA256_BYTES 32

typedef struct svd_sha256 {
	union {
		crypto_hash_sha256_state lib;
		struct {
			uint32_t h[8];
			uint64_t len;
			uint8_t buf[64];
			size_t used;
		} ni;
	} u;
	int ni;
} svd_sha256;

void svd_sha256_init(svd_sha256 *c);
void svd_sha256_update(svd_sha256 *c, const void *data, size_t len);
void svd_sha256_final(svd_sha256 *c, uint8_t out[SVD_SHA256_BYTES]);

/* The digest of len bytes at data, in one call. */
void svd_sha256_once(uint8_t out[SVD_SHA256_BYTES], const void *data, size_t len);

/*
 * For tests: 1 when the SHA extensions are in use, and an init that picks
 * the implementation (ni 0: libsodium; ni 1: the extensions, which the
 * caller has checked are in use).
 */
int svd_sha256_accelerated(void);
void svd_sha256_init_impl(svd_sha256 *c, int ni);

#endif
