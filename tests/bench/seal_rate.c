/*
 * How fast sealed files are written and read on this machine, on one
 * thread, beside memcpy and libsodium's bare ChaCha20-Poly1305: the cost
 * of --to on an export and of a sealed import. Also what a file that is
 * not for this mirror costs to refuse (every pair key at 64 places), what
 * a ring costs to make, and one Argon2id of a passphrase.
 *
 *     seal_rate [MIB] [DIR]      (default 256 MiB, in memory)
 *
 * Built with the tests (build/tests/seal_rate). With DIR, the sealed file
 * is written there (and the page cache holds it for the read): the disk
 * joins the figures. MB/s are 10^6 bytes of plaintext a second.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "samvydav/seal.h"

#define PIECE (1u << 20)

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
	fprintf(stderr, "seal_rate: %s: %s\n", what, svd_error_last());
	exit(1);
}

static void keygen(uint8_t pk[SVD_SEAL_KEY_LEN], uint8_t sk[SVD_SEAL_KEY_LEN])
{
	randombytes_buf(sk, SVD_SEAL_KEY_LEN);
	crypto_scalarmult_base(pk, sk);
}

static int scratch_file(const char *dir)
{
	char path[4096];
	int fd;

	if (!dir)
		return memfd_create("seal_rate", 0);
	snprintf(path, sizeof(path), "%s/seal_rate-XXXXXX", dir);
	if ((fd = mkstemp(path)) >= 0)
		unlink(path);
	return fd;
}

/* A ring of own keys and n mirrors' public keys (random ones). */
static svd_seal_keys *ring_of(uint8_t own[][SVD_SEAL_KEY_LEN], size_t nown, size_t n)
{
	svd_seal_keys *k = NULL;
	uint8_t pk[SVD_SEAL_KEY_LEN], sk[SVD_SEAL_KEY_LEN];
	size_t i;

	if (svd_seal_keys_new(&k) != 0)
		die("ring");
	for (i = 0; i < nown; i++)
		if (svd_seal_keys_add_own(k, own[i]) != 0)
			die("ring");
	for (i = 0; i < n; i++) {
		keygen(pk, sk);
		if (svd_seal_keys_add_mirror(k, pk) != 0)
			die("ring");
	}
	return k;
}

/* The best of five opens of fd by a ring it is not for, in seconds. */
static double refusal(int fd, uint64_t size, const svd_seal_keys *k)
{
	double best = 1e9;
	int i;

	for (i = 0; i < 5; i++) {
		svd_unsealer *u = NULL;
		double t = now();
		if (svd_unseal_open(&u, fd, size, k, NULL) != SVD_ENOKEY)
			die("a stranger's ring opened the file");
		t = now() - t;
		if (t < best)
			best = t;
	}
	return best;
}

int main(int argc, char **argv)
{
	size_t mib = argc > 1 ? (size_t)atol(argv[1]) : 256, i;
	const char *dir = argc > 2 ? argv[2] : NULL;
	uint64_t total, size, file_size, at;
	uint8_t *src, *dst, key[32], nonce[12] = {0}, tag[16];
	uint8_t own[2][SVD_SEAL_KEY_LEN], b_sk[1][SVD_SEAL_KEY_LEN], b_pk[SVD_SEAL_KEY_LEN];
	uint8_t x_sk[1][SVD_SEAL_KEY_LEN], x_pk[SVD_SEAL_KEY_LEN], pk[SVD_SEAL_KEY_LEN];
	svd_seal_keys *ka, *kb, *kx, *k100, *k4096, *kpass;
	svd_seal_to to = {0};
	svd_sealer *s = NULL;
	svd_unsealer *u = NULL;
	double t, t_memcpy, t_aead, t_seal, t_unseal, t_ring, t_pass;
	int fd;

	if (sodium_init() < 0 || mib == 0 || svd_init() != 0) {
		fprintf(stderr, "usage: seal_rate [MIB] [DIR]\n");
		return 2;
	}
	total = (uint64_t)mib << 20;
	src = malloc(PIECE);
	dst = malloc(PIECE);
	if (!src || !dst)
		die("out of memory");
	randombytes_buf(src, PIECE);
	randombytes_buf(key, sizeof(key));

	t = now();
	for (at = 0; at < total; at += PIECE) {
		src[at / PIECE % PIECE] ^= 1; /* so that no copy is skipped */
		memcpy(dst, src, PIECE);
	}
	t_memcpy = now() - t;
	if (dst[0] == 0x5a && dst[1] == 0xa5)
		printf(" "); /* keeps the copies */

	t = now();
	for (at = 0; at < total; at += SVD_SEAL_CHUNK) {
		for (i = 0; i < 8; i++)
			nonce[i] = (uint8_t)((at / SVD_SEAL_CHUNK) >> (8 * i));
		crypto_aead_chacha20poly1305_ietf_encrypt_detached(
		    dst, tag, NULL, src + at % PIECE, SVD_SEAL_CHUNK, NULL, 0, NULL, nonce, key);
	}
	t_aead = now() - t;

	/* a sender a, a recipient b: a's file has two slots */
	keygen(pk, own[0]);
	keygen(pk, own[1]);
	keygen(b_pk, b_sk[0]);
	keygen(x_pk, x_sk[0]);
	ka = ring_of(own, 1, 0);
	kb = ring_of(b_sk, 1, 0);
	if (svd_seal_keys_current(ka, pk) != 0 || svd_seal_keys_add_mirror(kb, pk) != 0)
		die("ring");
	to.from = ka;
	to.mirrors = (const uint8_t(*)[SVD_SEAL_KEY_LEN]) & b_pk;
	to.nmirrors = 1;
	if ((fd = scratch_file(dir)) < 0) {
		perror("seal_rate: a scratch file");
		return 1;
	}
	t = now();
	if (svd_sealer_new(&s, fd, &to, SVD_SEAL_BUNDLE) != 0)
		die("seal");
	for (at = 0; at < total; at += PIECE)
		if (svd_sealer_write(s, src, PIECE) != 0)
			die("seal");
	if (svd_sealer_finish(s, &file_size) != 0)
		die("seal");
	t_seal = now() - t;
	svd_sealer_free(s);

	t = now();
	if (svd_unseal_open(&u, fd, file_size, kb, NULL) != 0)
		die("unseal");
	for (at = 0; at < total; at += PIECE)
		if (svd_unseal_pread(u, dst, PIECE, at) != PIECE)
			die("unseal");
	t_unseal = now() - t;
	if (svd_unseal_damaged_chunks(u) != 0 || memcmp(dst, src, PIECE) != 0)
		die("unseal: not the same bytes");
	svd_unseal_free(u);
	close(fd);

	printf("seal_rate: %zu MiB of plaintext, one thread, %s\n", mib,
	       dir ? dir : "a file in memory");
	printf("memcpy                %8.0f MB/s\n", (double)total / t_memcpy / 1e6);
	printf("chacha20-poly1305     %8.0f MB/s  (libsodium, 64 KiB at a time)\n",
	       (double)total / t_aead / 1e6);
	printf(
	    "seal                  %8.0f MB/s  (to one mirror; the file %llu bytes, %.2f%% more)\n",
	    (double)total / t_seal / 1e6, (unsigned long long)file_size,
	    100.0 * (double)(file_size - total) / (double)total);
	printf("unseal                %8.0f MB/s\n", (double)total / t_unseal / 1e6);

	/* refusals: a small file from x to b, opened by rings it is not for */
	kx = ring_of(x_sk, 1, 0);
	to.from = kx;
	if ((fd = scratch_file(dir)) < 0 || svd_sealer_new(&s, fd, &to, SVD_SEAL_BUNDLE) != 0 ||
	    svd_sealer_write(s, src, 100000) != 0 || svd_sealer_finish(s, &size) != 0)
		die("seal");
	svd_sealer_free(s);
	k100 = ring_of(own, 2, 100);
	t = now();
	k4096 = ring_of(own, 2, SVD_SEAL_MAX_MIRRORS);
	t_ring = now() - t;
	printf("not for this mirror   %8.2f ms  (2 own keys, 100 mirrors: 204 pair keys x 64 "
	       "places)\n",
	       refusal(fd, size, k100) * 1e3);
	printf(
	    "not for this mirror   %8.2f ms  (2 own keys, %d mirrors: %d pair keys x 64 places)\n",
	    refusal(fd, size, k4096) * 1e3, SVD_SEAL_MAX_MIRRORS, 2 * SVD_SEAL_MAX_MIRRORS + 4);
	printf("a ring of 2 own keys and %d mirrors made in %.0f ms\n", SVD_SEAL_MAX_MIRRORS,
	       t_ring * 1e3);
	if (svd_seal_keys_new(&kpass) != 0 || svd_seal_keys_add_passphrase(kpass, "bench", 5) != 0)
		die("ring");
	t = now();
	if (svd_unseal_open(&u, fd, size, kpass, NULL) != SVD_ENOKEY)
		die("a passphrase opened the file");
	t_pass = now() - t;
	printf("a passphrase that does not open it: %.0f ms (Argon2id, %d passes, %u MiB, at each "
	       "end)\n",
	       t_pass * 1e3, SVD_SEAL_PWHASH_OPS, SVD_SEAL_PWHASH_MEM >> 20);
	close(fd);
	svd_seal_keys_free(ka);
	svd_seal_keys_free(kb);
	svd_seal_keys_free(kx);
	svd_seal_keys_free(k100);
	svd_seal_keys_free(k4096);
	svd_seal_keys_free(kpass);
	free(src);
	free(dst);
	svd_shutdown();
	return 0;
}
