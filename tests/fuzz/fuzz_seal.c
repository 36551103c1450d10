/*
 * fuzz_seal.c: the sealed-file reader (svd_unseal_open, svd_unseal_pread)
 * with a fixed ring: one own key and one mirror (fuzz_seal_keys.h), no
 * passphrase (each would cost two Argon2id of 64 MiB an input; the slot it
 * opens is read by the same code as a pair key's). The corpus is files
 * sealed with these keys (make_seal_corpus.c), so that mutations reach the
 * chunks, the padding and the tail of files that open.
 *
 * What opens presents no more plaintext than the file has room for; it is
 * read whole, in pieces that straddle chunks, and again backwards, with
 * the same bytes; each damaged chunk is reported once, inside the file.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <sodium.h>

#include "fuzz.h"
#include "fuzz_seal_keys.h"
#include "samvydav/seal.h"

struct seen {
	uint64_t size, reports, last_off;
};

static void on_damage(uint64_t offset, uint64_t length, const char *what, void *payload)
{
	struct seen *s = payload;

	/* a region that begins inside the file, said in words */
	if (offset >= s->size || length == 0 || !what || !*what)
		abort();
	s->reports++;
	s->last_off = offset;
}

static svd_seal_keys *fuzz_ring(void)
{
	static svd_seal_keys *k;
	uint8_t pk[SVD_SEAL_KEY_LEN];

	if (k)
		return k;
	if (svd_seal_keys_new(&k) != 0 || svd_seal_keys_add_own(k, fuzz_seal_own_sk) != 0 ||
	    crypto_scalarmult_base(pk, fuzz_seal_mirror_sk) != 0 ||
	    svd_seal_keys_add_mirror(k, pk) != 0)
		abort();
	return k;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	svd_unsealer *u = NULL;
	svd_seal_kind kind = 0;
	struct seen seen = {size, 0, 0};
	uint8_t *one = NULL, *two = NULL;
	uint64_t len, at, chunks, damaged;
	int fd, error;

	fuzz_init();
	if ((fd = memfd_create("fuzz-seal", 0)) < 0)
		abort();
	if (size && write(fd, data, size) != (ssize_t)size)
		abort();
	error = svd_unseal_open(&u, fd, size, fuzz_ring(), &kind);
	if (error != 0) {
		if (error != SVD_ENOKEY || u)
			abort();
		close(fd);
		return 0;
	}
	if (kind < SVD_SEAL_BUNDLE || kind > SVD_SEAL_PARTIAL)
		abort();
	svd_unseal_on_damage(u, on_damage, &seen);
	len = svd_unseal_size(u);
	/* never more than the file can hold: 65536 of every 65552 bytes */
	if (len > size || (kind == SVD_SEAL_PARTIAL && len != 0))
		abort();
	one = malloc(len + 1);
	two = malloc(len + 1);
	if (!one || !two)
		abort();
	for (at = 0; at < len;) {
		ssize_t got = svd_unseal_pread(u, one + at, 40000, at);
		if (got <= 0)
			abort();
		at += (uint64_t)got;
	}
	if (at != len || svd_unseal_pread(u, one, 1, len) != 0)
		abort();
	/* backwards, one byte short of a chunk at a time: the same bytes, no new report */
	damaged = svd_unseal_damaged_chunks(u);
	for (at = len; at > 0;) {
		uint64_t from = at > 65535 ? at - 65535 : 0;
		if (svd_unseal_pread(u, two + from, at - from, from) != (ssize_t)(at - from))
			abort();
		at = from;
	}
	if (memcmp(one, two, len) != 0 || svd_unseal_damaged_chunks(u) != damaged)
		abort();
	chunks = len / SVD_SEAL_CHUNK + (len % SVD_SEAL_CHUNK != 0);
	if (damaged > chunks || seen.reports != damaged + (uint64_t)svd_unseal_head_damaged(u))
		abort();
	free(one);
	free(two);
	svd_unseal_free(u);
	close(fd);
	return 0;
}
