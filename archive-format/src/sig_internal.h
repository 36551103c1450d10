/*
 * sig_internal.h: what sig.c shares with the tests (not public).
 */
#ifndef SVD_SIG_INTERNAL_H
#define SVD_SIG_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

/*
 * The one Ed25519 verification that every signature check goes through
 * (libsodium's crypto_sign_verify_detached: it refuses non-canonical S and
 * small-order keys and R). The Ed25519 vectors of test_vectors.c go
 * through it. Returns 0 when valid, SVD_EBADSIG otherwise (no message is
 * set).
 */
int svd_ed25519_verify(const uint8_t sig[64], const void *msg, size_t len, const uint8_t pk[32]);

#endif
