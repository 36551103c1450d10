/*
 * make_seal_corpus.c: write fuzz_seal.c's corpus (tests/fuzz/corpus/seal/),
 * real files sealed with the keys of fuzz_seal_keys.h, each small (the
 * whole corpus is about 120 KB):
 *
 *   empty        0 bytes, from the mirror to the ring's own key
 *   small        100 bytes, the same
 *   have         a have-file of 300 bytes
 *   self         3000 bytes from the own key to itself, the mirror and a
 *                passphrase (three slots, the ring opens the second or third)
 *   two-chunks   65537 bytes: a whole chunk and a chunk of one byte
 *   cut          two-chunks cut inside its first chunk (read as zeros, reported)
 *   flipped      self with a byte of its chunk flipped
 *   head         self with its head overwritten: it opens at the tail
 *   partial      a write that never finished: its header (500 bytes were written)
 *
 *     build/tests/make_seal_corpus tests/fuzz/corpus/seal
 *
 * Every run writes other bytes (fresh file keys, nonces, padding): commit
 * a new corpus only when the format changes.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "fuzz_seal_keys.h"
#include "samvydav/common.h"

static const char *dir;

static void die(const char *what)
{
	fprintf(stderr, "make_seal_corpus: %s: %s\n", what, svd_error_last());
	exit(1);
}

static int create(const char *name)
{
	char path[4096];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644)) < 0) {
		perror(path);
		exit(1);
	}
	return fd;
}

/* Seal len bytes of text into dir/name; finish 0 leaves it as an interrupted write. */
static void seal(const char *name, const svd_seal_to *to, svd_seal_kind kind, size_t len,
                 int finish)
{
	uint8_t *plain = malloc(len + 1);
	svd_sealer *s = NULL;
	int fd = create(name);
	size_t i;

	if (!plain)
		die("out of memory");
	for (i = 0; i < len; i++)
		plain[i] = (uint8_t)("testimony, sealed "[i % 18]);
	if (svd_sealer_new(&s, fd, to, kind) != 0 || svd_sealer_write(s, plain, len) != 0 ||
	    (finish && svd_sealer_finish(s, NULL) != 0))
		die(name);
	svd_sealer_free(s);
	close(fd);
	free(plain);
}

/* dir/to = the first len bytes of dir/from, with the bytes at off (n of them) changed. */
static void derive(const char *to, const char *from, long len, long off, long n)
{
	char path[4096];
	uint8_t buf[200000];
	long got, i;
	FILE *f;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, from);
	if (!(f = fopen(path, "rb")) || (got = (long)fread(buf, 1, sizeof(buf), f)) <= 0) {
		perror(path);
		exit(1);
	}
	fclose(f);
	if (len < 0 || len > got)
		len = got;
	for (i = off; i < off + n && i < len; i++)
		buf[i] ^= 0x5a;
	fd = create(to);
	if (write(fd, buf, (size_t)len) != len)
		die(to);
	close(fd);
}

int main(int argc, char **argv)
{
	svd_seal_keys *own = NULL, *mirror = NULL;
	uint8_t own_pk[SVD_SEAL_KEY_LEN];
	svd_seal_to to;

	if (argc != 2) {
		fprintf(stderr, "usage: make_seal_corpus DIR\n");
		return 2;
	}
	dir = argv[1];
	if (svd_init() != 0 || svd_seal_keys_new(&own) != 0 || svd_seal_keys_new(&mirror) != 0 ||
	    svd_seal_keys_add_own(own, fuzz_seal_own_sk) != 0 ||
	    svd_seal_keys_add_own(mirror, fuzz_seal_mirror_sk) != 0 ||
	    svd_seal_keys_current(own, own_pk) != 0)
		die("keys");

	memset(&to, 0, sizeof(to));
	to.from = mirror;
	to.mirrors = (const uint8_t(*)[SVD_SEAL_KEY_LEN]) & own_pk;
	to.nmirrors = 1;
	seal("empty", &to, SVD_SEAL_BUNDLE, 0, 1);
	seal("small", &to, SVD_SEAL_BUNDLE, 100, 1);
	seal("have", &to, SVD_SEAL_HAVE, 300, 1);
	seal("two-chunks", &to, SVD_SEAL_BUNDLE, SVD_SEAL_CHUNK + 1, 1);
	seal("partial", &to, SVD_SEAL_BUNDLE, 500, 0);
	/* P0 = 2 slots: cut 40000 bytes into the first chunk */
	derive("cut", "two-chunks", 2 * SVD_SEAL_SLOT + 40000, 0, 0);

	memset(&to, 0, sizeof(to));
	to.from = own;
	to.passphrase = "fuzz";
	to.passlen = 4;
	{
		uint8_t mirror_pk[SVD_SEAL_KEY_LEN];
		if (svd_seal_keys_current(mirror, mirror_pk) != 0)
			die("keys");
		to.mirrors = (const uint8_t(*)[SVD_SEAL_KEY_LEN]) & mirror_pk;
		to.nmirrors = 1;
		seal("self", &to, SVD_SEAL_BUNDLE, 3000, 1);
	}
	/* three slots: the chunk is at 264 */
	derive("flipped", "self", -1, 3 * SVD_SEAL_SLOT + 1234, 1);
	derive("head", "self", -1, 0, 3 * SVD_SEAL_SLOT);
	svd_seal_keys_free(own);
	svd_seal_keys_free(mirror);
	svd_shutdown();
	return 0;
}
