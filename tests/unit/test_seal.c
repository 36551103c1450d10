/*
 * test_seal.c: sealed files (seal.c; SPEC.md, 12) — round trips of every
 * size that has an edge, to one mirror, three, thirty (and thirty-one
 * refused), a passphrase, both; the sender reading what it wrote; a
 * retired key; refusals that must fail (a stranger's ring, and quickly;
 * a wrong passphrase; both headers damaged); damage that costs only the
 * chunks it touches (a flipped byte, a file cut short, a head overwritten);
 * an interrupted write that holds no plaintext; and the file's bytes: a
 * Padmé size, no repeated string, headers that share nothing, and bytes
 * that pass for random (entropy and chi-square) when the plaintext is all
 * zeros.
 *
 * Keys are made here (randombytes_buf, crypto_scalarmult_base); the key
 * files are seal_key.c's and tested apart.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "helpers.h"
#include "samvydav/seal.h"

#define CHUNK_CIPHER (SVD_SEAL_CHUNK + SVD_SEAL_TAG)
#define PASS         "correct horse battery staple"
#define PASSLEN      (sizeof(PASS) - 1)

/* svd_seal_to's recipients are const arrays: ISO C before C2X wants a cast from ours */
#define PKS(p) ((const uint8_t(*)[SVD_SEAL_KEY_LEN])(p))

struct key {
	uint8_t pk[SVD_SEAL_KEY_LEN];
	uint8_t sk[SVD_SEAL_KEY_LEN];
};

static void keygen(struct key *k)
{
	randombytes_buf(k->sk, sizeof(k->sk));
	assert_int_equal(crypto_scalarmult_base(k->pk, k->sk), 0);
}

/* A ring of own keys (the first current), mirrors' public keys and maybe a passphrase. */
static svd_seal_keys *ring(const struct key *own, size_t nown, const struct key *mirrors,
                           size_t nmirrors, const char *pass)
{
	svd_seal_keys *k = NULL;
	size_t i;

	assert_int_equal(svd_seal_keys_new(&k), 0);
	for (i = 0; i < nown; i++)
		assert_int_equal(svd_seal_keys_add_own(k, own[i].sk), 0);
	for (i = 0; i < nmirrors; i++)
		assert_int_equal(svd_seal_keys_add_mirror(k, mirrors[i].pk), 0);
	if (pass)
		assert_int_equal(svd_seal_keys_add_passphrase(k, pass, strlen(pass)), 0);
	return k;
}

/* An empty file in memory. */
static int memfile(void)
{
	int fd = memfd_create("svd-test-seal", 0);

	assert_true(fd >= 0);
	return fd;
}

static uint64_t file_size(int fd)
{
	off_t end = lseek(fd, 0, SEEK_END);

	assert_true(end >= 0);
	return (uint64_t)end;
}

/* The whole file (the caller's). */
static uint8_t *file_bytes(int fd, uint64_t *size)
{
	uint64_t n = file_size(fd);
	uint8_t *p = malloc(n ? n : 1);

	assert_non_null(p);
	assert_int_equal(pread(fd, p, n, 0), (ssize_t)n);
	*size = n;
	return p;
}

static void file_put(int fd, const void *p, size_t n, uint64_t off)
{
	assert_int_equal(pwrite(fd, p, n, (off_t)off), (ssize_t)n);
}

/* Seal len bytes to `to` into a new memory file, written in pieces of `piece` bytes. */
static int seal(const svd_seal_to *to, svd_seal_kind kind, const uint8_t *plain, size_t len,
                size_t piece, uint64_t *size)
{
	svd_sealer *s = NULL;
	int fd = memfile();
	size_t at = 0;
	uint64_t got = 0;

	assert_int_equal(svd_sealer_new(&s, fd, to, kind), 0);
	while (at < len) {
		size_t n = len - at < piece ? len - at : piece;
		assert_int_equal(svd_sealer_write(s, plain + at, n), 0);
		at += n;
	}
	assert_int_equal(svd_sealer_size(s), len);
	assert_int_equal(svd_sealer_finish(s, &got), 0);
	assert_int_equal(svd_sealer_write(s, "x", 1), SVD_ERROR); /* finished */
	svd_sealer_free(s);
	assert_int_equal(got, file_size(fd));
	if (size)
		*size = got;
	return fd;
}

struct damage {
	uint64_t off[64], len[64];
	char what[64][160];
	size_t n;
};

static void on_damage(uint64_t offset, uint64_t length, const char *what, void *payload)
{
	struct damage *d = payload;

	assert_true(d->n < 64);
	d->off[d->n] = offset;
	d->len[d->n] = length;
	snprintf(d->what[d->n], sizeof(d->what[0]), "%s", what);
	d->n++;
}

/* Open fd with k, or fail the test; damage goes to d (may be NULL). */
static svd_unsealer *open_ok(int fd, const svd_seal_keys *k, svd_seal_kind want, struct damage *d)
{
	svd_unsealer *u = NULL;
	svd_seal_kind kind = 0;
	int error = svd_unseal_open(&u, fd, file_size(fd), k, &kind);

	if (error != 0)
		fail_msg("svd_unseal_open: %d, %s", error, svd_error_last());
	assert_int_equal(kind, want);
	if (d)
		svd_unseal_on_damage(u, on_damage, d);
	return u;
}

/* The whole plaintext as the unsealer presents it, read in pieces of `piece` bytes. */
static uint8_t *read_all(svd_unsealer *u, size_t piece)
{
	uint64_t n = svd_unseal_size(u), at = 0;
	uint8_t *p = malloc(n ? n : 1);

	assert_non_null(p);
	while (at < n) {
		ssize_t got = svd_unseal_pread(u, p + at, piece, at);
		assert_true(got > 0);
		at += (uint64_t)got;
	}
	assert_int_equal(at, n);
	assert_int_equal(svd_unseal_pread(u, p, piece, n), 0); /* the end */
	return p;
}

/* Open fd with k and compare its plaintext with plain. */
static void expect_plain(int fd, const svd_seal_keys *k, const uint8_t *plain, size_t len)
{
	struct damage d = {0};
	svd_unsealer *u = open_ok(fd, k, SVD_SEAL_BUNDLE, &d);
	uint8_t *got;

	assert_int_equal(svd_unseal_size(u), len);
	got = read_all(u, 10000);
	assert_memory_equal(got, plain, len);
	assert_int_equal(d.n, 0);
	assert_int_equal(svd_unseal_damaged_chunks(u), 0);
	assert_int_equal(svd_unseal_head_damaged(u), 0);
	free(got);
	svd_unseal_free(u);
}

static void expect_nokey(int fd, const svd_seal_keys *k, const char *needle)
{
	svd_unsealer *u = NULL;

	assert_int_equal(svd_unseal_open(&u, fd, file_size(fd), k, NULL), SVD_ENOKEY);
	assert_null(u);
	th_expect_msg("no key of this mirror opens it");
	if (needle)
		th_expect_msg(needle);
}

/* Padmé, written again from the paper's definition. */
static uint64_t padme(uint64_t x)
{
	uint64_t e, s, mask;

	if (x < 512)
		return 512;
	e = (uint64_t)floor(log2((double)x));
	while (((uint64_t)1 << e) > x) /* log2 of a double may round up near a power of 2 */
		e--;
	while (e < 63 && ((uint64_t)1 << (e + 1)) <= x)
		e++;
	s = (uint64_t)floor(log2((double)e)) + 1;
	mask = ((uint64_t)1 << (e - s)) - 1;
	return (x + mask) & ~mask;
}

static uint64_t chunks_of(uint64_t len)
{
	return (len + SVD_SEAL_CHUNK - 1) / SVD_SEAL_CHUNK;
}

/* The size a file of len plaintext bytes and n slots must have. */
static uint64_t expected_size(uint64_t len, unsigned n)
{
	return padme(2 * (uint64_t)n * SVD_SEAL_SLOT + len + SVD_SEAL_TAG * chunks_of(len));
}

static void test_padme(void **state)
{
	(void)state;
	assert_int_equal(padme(0), 512);
	assert_int_equal(padme(512), 512);
	assert_int_equal(padme(513), 544);         /* E 9, S 4: multiples of 32 */
	assert_int_equal(padme(1000000), 1015808); /* E 19, S 5: multiples of 16384 */
	assert_int_equal(padme(65536), 65536);
	for (uint64_t x = 512; x < 5000000; x = x * 9 / 8 + 7) {
		uint64_t y = padme(x);
		assert_true(y >= x && y - x <= x / 8 && padme(y) == y);
	}
}

static void test_round_trip_sizes(void **state)
{
	static const size_t sizes[] = {0, 1, 65535, 65536, 65537, (1 << 20) + 12345};
	struct key a, b;
	svd_seal_keys *ka, *kb, *stranger;
	uint8_t *plain = malloc(sizes[5]);
	svd_seal_to to = {0};
	size_t i;

	(void)state;
	assert_non_null(plain);
	th_fill_random(plain, sizes[5]);
	keygen(&a);
	keygen(&b);
	ka = ring(&a, 1, &b, 1, NULL);
	kb = ring(&b, 1, &a, 1, NULL);
	stranger = ring(&b, 1, NULL, 0, NULL); /* b's key, but does not know a */
	to.from = ka;
	to.mirrors = PKS(&b.pk);
	to.nmirrors = 1;
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		uint64_t size;
		/* pieces that straddle chunks, and one write of everything */
		int fd =
		    seal(&to, SVD_SEAL_BUNDLE, plain, sizes[i], i % 2 ? 7777 : sizes[i] + 1, &size);
		assert_int_equal(size, expected_size(sizes[i], 2));
		assert_int_equal(size, padme(size));
		expect_plain(fd, kb, plain, sizes[i]);
		expect_plain(fd, ka, plain, sizes[i]); /* the sender reads its own file */
		expect_nokey(fd, stranger, NULL);
		close(fd);
	}
	/* a have-file says so */
	{
		int fd = seal(&to, SVD_SEAL_HAVE, plain, 100, 100, NULL);
		svd_unsealer *u = open_ok(fd, kb, SVD_SEAL_HAVE, NULL);
		svd_unseal_free(u);
		close(fd);
	}
	svd_seal_keys_free(ka);
	svd_seal_keys_free(kb);
	svd_seal_keys_free(stranger);
	free(plain);
}

/* Sealed by a to n mirrors: every one of them opens it, and the file has n + 1 slots. */
static void many_recipients(size_t n)
{
	struct key a, m[SVD_SEAL_MAX_TO];
	uint8_t(*pks)[SVD_SEAL_KEY_LEN] = malloc(n * SVD_SEAL_KEY_LEN);
	uint8_t plain[3000];
	svd_seal_keys *ka;
	svd_seal_to to = {0};
	uint64_t size;
	size_t i;
	int fd;

	assert_non_null(pks);
	keygen(&a);
	for (i = 0; i < n; i++) {
		keygen(&m[i]);
		memcpy(pks[i], m[i].pk, SVD_SEAL_KEY_LEN);
	}
	th_fill_random(plain, sizeof(plain));
	ka = ring(&a, 1, NULL, 0, NULL);
	to.from = ka;
	to.mirrors = PKS(pks);
	to.nmirrors = n;
	fd = seal(&to, SVD_SEAL_BUNDLE, plain, sizeof(plain), 1000, &size);
	assert_int_equal(size, expected_size(sizeof(plain), (unsigned)n + 1));
	for (i = 0; i < n; i++) {
		svd_seal_keys *km = ring(&m[i], 1, &a, 1, NULL);
		expect_plain(fd, km, plain, sizeof(plain));
		svd_seal_keys_free(km);
	}
	expect_plain(fd, ka, plain, sizeof(plain));
	close(fd);
	svd_seal_keys_free(ka);
	free(pks);
}

static void test_recipients(void **state)
{
	struct key a, m[SVD_SEAL_MAX_TO + 1];
	uint8_t pks[SVD_SEAL_MAX_TO + 1][SVD_SEAL_KEY_LEN];
	svd_seal_keys *ka;
	svd_seal_to to = {0};
	svd_sealer *s = NULL;
	size_t i;
	int fd;

	(void)state;
	many_recipients(1);
	many_recipients(3);
	many_recipients(SVD_SEAL_MAX_TO);

	keygen(&a);
	for (i = 0; i <= SVD_SEAL_MAX_TO; i++) {
		keygen(&m[i]);
		memcpy(pks[i], m[i].pk, SVD_SEAL_KEY_LEN);
	}
	ka = ring(&a, 1, NULL, 0, NULL);
	to.from = ka;
	to.mirrors = PKS(pks);
	to.nmirrors = SVD_SEAL_MAX_TO + 1;
	fd = memfile();
	assert_int_equal(svd_sealer_new(&s, fd, &to, SVD_SEAL_BUNDLE), SVD_EINVALID);
	assert_null(s);
	th_expect_msg("31 mirrors, but a file is sealed to at most 30");
	assert_int_equal(file_size(fd), 0);
	close(fd);
	svd_seal_keys_free(ka);
}

static void test_passphrase(void **state)
{
	struct key a, b;
	uint8_t plain[70000];
	svd_seal_keys *kp, *wrong, *kb, *ka;
	svd_seal_to to = {0};
	uint64_t size;
	int fd;

	(void)state;
	th_fill_random(plain, sizeof(plain));
	kp = ring(NULL, 0, NULL, 0, PASS);
	wrong = ring(NULL, 0, NULL, 0, "correct horse battery stapler");

	/* a passphrase only: one slot */
	to.passphrase = PASS;
	to.passlen = PASSLEN;
	fd = seal(&to, SVD_SEAL_BUNDLE, plain, sizeof(plain), 4096, &size);
	assert_int_equal(size, expected_size(sizeof(plain), 1));
	expect_plain(fd, kp, plain, sizeof(plain));
	expect_nokey(fd, wrong, "and the passphrase given does not open it either");
	close(fd);

	/* a mirror and a passphrase: slot 0 the passphrase's, then the sender's and the mirror's */
	keygen(&a);
	keygen(&b);
	ka = ring(&a, 1, NULL, 0, NULL);
	kb = ring(&b, 1, &a, 1, NULL);
	to.from = ka;
	to.mirrors = PKS(&b.pk);
	to.nmirrors = 1;
	fd = seal(&to, SVD_SEAL_BUNDLE, plain, sizeof(plain), 65536, &size);
	assert_int_equal(size, expected_size(sizeof(plain), 3));
	expect_plain(fd, kp, plain, sizeof(plain));
	expect_plain(fd, kb, plain, sizeof(plain));
	expect_plain(fd, ka, plain, sizeof(plain));
	close(fd);

	svd_seal_keys_free(kp);
	svd_seal_keys_free(wrong);
	svd_seal_keys_free(ka);
	svd_seal_keys_free(kb);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A file not for this mirror is refused by trying every pair key: quickly. */
static void test_stranger_fast(void **state)
{
	struct key own[2], mirrors[100], x, y;
	svd_seal_keys *k, *kx;
	svd_seal_to to = {0};
	uint8_t plain[1000] = {0};
	double t, best = 1e9;
	size_t i;
	int fd, round;

	(void)state;
	for (i = 0; i < 2; i++)
		keygen(&own[i]);
	for (i = 0; i < 100; i++)
		keygen(&mirrors[i]);
	keygen(&x);
	keygen(&y);
	k = ring(own, 2, mirrors, 100, NULL);
	assert_int_equal(svd_seal_keys_own_count(k), 2);
	assert_int_equal(svd_seal_keys_mirror_count(k), 100);
	kx = ring(&x, 1, NULL, 0, NULL);
	to.from = kx;
	to.mirrors = PKS(&y.pk);
	to.nmirrors = 1;
	fd = seal(&to, SVD_SEAL_BUNDLE, plain, sizeof(plain), 1000, NULL);
	/* the best of three, so that a busy machine is not measured */
	for (round = 0; round < 3; round++) {
		t = now();
		expect_nokey(fd, k, NULL);
		t = now() - t;
		if (t < best)
			best = t;
	}
	print_message("trial decryption, 2 own keys x 102 senders, both ends: %.2f ms\n",
	              best * 1e3);
	assert_true(best < 0.050);
	close(fd);
	svd_seal_keys_free(k);
	svd_seal_keys_free(kx);
}

/* After a rotation the retired key still opens what was sealed to it, and to itself. */
static void test_retired_key(void **state)
{
	struct key a, old, cur;
	svd_seal_keys *ka, *kold, *krot;
	svd_seal_to to = {0};
	uint8_t plain[5000], pk[SVD_SEAL_KEY_LEN];
	int fd_from_a, fd_own;

	(void)state;
	th_fill_random(plain, sizeof(plain));
	keygen(&a);
	keygen(&old);
	keygen(&cur);
	ka = ring(&a, 1, &old, 1, NULL);
	kold = ring(&old, 1, &a, 1, NULL);
	to.from = ka;
	to.mirrors = PKS(&old.pk);
	to.nmirrors = 1;
	fd_from_a = seal(&to, SVD_SEAL_BUNDLE, plain, sizeof(plain), 999, NULL);
	memset(&to, 0, sizeof(to));
	to.from = kold; /* to itself only */
	fd_own = seal(&to, SVD_SEAL_BUNDLE, plain, sizeof(plain), 999, NULL);

	{
		struct key both[2] = {cur, old};
		krot = ring(both, 2, &a, 1, NULL);
	}
	assert_int_equal(svd_seal_keys_current(krot, pk), 0);
	assert_memory_equal(pk, cur.pk, SVD_SEAL_KEY_LEN);
	expect_plain(fd_from_a, krot, plain, sizeof(plain));
	expect_plain(fd_own, krot, plain, sizeof(plain));
	close(fd_from_a);
	close(fd_own);
	svd_seal_keys_free(ka);
	svd_seal_keys_free(kold);
	svd_seal_keys_free(krot);
}

/* A sender a, a recipient b: 2 slots. */
struct pair {
	struct key a, b;
	svd_seal_keys *ka, *kb;
	svd_seal_to to;
};

static void pair_make(struct pair *p)
{
	memset(p, 0, sizeof(*p));
	keygen(&p->a);
	keygen(&p->b);
	p->ka = ring(&p->a, 1, &p->b, 1, NULL);
	p->kb = ring(&p->b, 1, &p->a, 1, NULL);
	p->to.from = p->ka;
	p->to.mirrors = PKS(&p->b.pk);
	p->to.nmirrors = 1;
}

static void pair_free(struct pair *p)
{
	svd_seal_keys_free(p->ka);
	svd_seal_keys_free(p->kb);
}

static int all_zero(const uint8_t *p, size_t n)
{
	while (n--)
		if (*p++)
			return 0;
	return 1;
}

/* A flipped byte costs its chunk, and only its chunk, reported once. */
static void test_damaged_chunk(void **state)
{
	const size_t len = 5 * SVD_SEAL_CHUNK - 1000; /* 5 chunks, the last shorter */
	const uint64_t base = 2 * SVD_SEAL_SLOT;
	uint8_t *plain = malloc(len), *got;
	struct pair p;
	size_t k;

	(void)state;
	assert_non_null(plain);
	th_fill_random(plain, len);
	pair_make(&p);
	for (k = 0; k < 5; k++) {
		struct damage d = {0};
		int fd = seal(&p.to, SVD_SEAL_BUNDLE, plain, len, 30000, NULL);
		uint64_t at = base + k * CHUNK_CIPHER + (k * 7919) % (CHUNK_CIPHER - 1000);
		uint64_t clen = k == 4 ? len - 4 * SVD_SEAL_CHUNK + SVD_SEAL_TAG : CHUNK_CIPHER;
		svd_unsealer *u;
		uint8_t byte;
		size_t c;

		assert_int_equal(pread(fd, &byte, 1, (off_t)at), 1);
		byte ^= 0x20;
		file_put(fd, &byte, 1, at);
		u = open_ok(fd, p.kb, SVD_SEAL_BUNDLE, &d);
		assert_int_equal(svd_unseal_size(u), len);
		got = read_all(u, 3000);
		for (c = 0; c < 5; c++) {
			size_t from = c * SVD_SEAL_CHUNK;
			size_t n = c == 4 ? len - from : SVD_SEAL_CHUNK;
			if (c == k)
				assert_true(all_zero(got + from, n));
			else
				assert_memory_equal(got + from, plain + from, n);
		}
		free(got);
		got = read_all(u, 65536); /* again: no second report */
		free(got);
		assert_int_equal(d.n, 1);
		assert_int_equal(d.off[0], base + k * CHUNK_CIPHER);
		assert_int_equal(d.len[0], clen);
		assert_non_null(strstr(d.what[0], "does not authenticate"));
		assert_int_equal(svd_unseal_damaged_chunks(u), 1);
		svd_unseal_free(u);
		close(fd);
	}
	pair_free(&p);
	free(plain);
}

/* A file cut short keeps every whole chunk before the cut. */
static void test_truncated(void **state)
{
	const size_t len = 4 * SVD_SEAL_CHUNK + 5000;
	const uint64_t base = 2 * SVD_SEAL_SLOT;
	uint8_t *plain = malloc(len), *whole;
	struct pair p;
	uint64_t size, cuts[6];
	size_t i;
	int fd;

	(void)state;
	assert_non_null(plain);
	th_fill_random(plain, len);
	pair_make(&p);
	fd = seal(&p.to, SVD_SEAL_BUNDLE, plain, len, len, &size);
	whole = file_bytes(fd, &size);
	close(fd);
	cuts[0] = base + 2 * CHUNK_CIPHER + 100;       /* inside chunk 2 */
	cuts[1] = base + 3 * CHUNK_CIPHER;             /* right after chunk 2 */
	cuts[2] = base + 4 * CHUNK_CIPHER + 5000 + 10; /* inside the last chunk's tag */
	cuts[3] = base + 4 * CHUNK_CIPHER + 5016 + 3;  /* in the padding */
	cuts[4] = size - 2 * SVD_SEAL_SLOT + 40;       /* inside the tail */
	cuts[5] = size - 1;                            /* one byte short */
	assert_true(cuts[3] < cuts[4]);
	for (i = 0; i < 6; i++) {
		struct damage d = {0};
		svd_unsealer *u;
		uint64_t whole_chunks = cuts[i] < base ? 0 : (cuts[i] - base) / CHUNK_CIPHER;
		uint64_t keep = whole_chunks * SVD_SEAL_CHUNK;
		uint8_t *got;

		if (keep > len || cuts[i] >= base + 4 * CHUNK_CIPHER + 5016)
			keep = len;
		fd = memfile();
		file_put(fd, whole, cuts[i], 0);
		u = open_ok(fd, p.kb, SVD_SEAL_BUNDLE, &d);
		assert_false(svd_unseal_head_damaged(u));
		assert_true(svd_unseal_size(u) <= len);
		assert_true(svd_unseal_size(u) >= keep);
		got = read_all(u, 5000);
		free(read_all(u, 70000)); /* twice: reported once */
		assert_memory_equal(got, plain, keep);
		if (svd_unseal_size(u) > keep) {
			/* the chunk cut short reads as zeros, reported once */
			assert_true(all_zero(got + keep, svd_unseal_size(u) - keep));
			assert_int_equal(d.n, 1);
			assert_int_equal(d.off[0], base + whole_chunks * CHUNK_CIPHER);
			assert_non_null(strstr(d.what[0], "cut short"));
			assert_int_equal(svd_unseal_damaged_chunks(u), 1);
		} else {
			assert_int_equal(d.n, 0);
		}
		free(got);
		svd_unseal_free(u);
		close(fd);
	}
	free(whole);
	free(plain);
	pair_free(&p);
}

/* The head overwritten: the tail opens it; both ends overwritten: nothing does. */
static void test_head_damaged(void **state)
{
	uint8_t plain[100000], junk[4 * SVD_SEAL_SLOT];
	struct damage d = {0};
	struct pair p;
	svd_seal_keys *kp;
	svd_unsealer *u;
	uint64_t size;
	uint8_t *got;
	int fd;

	(void)state;
	th_fill_random(plain, sizeof(plain));
	randombytes_buf(junk, sizeof(junk));
	pair_make(&p);
	p.to.passphrase = PASS;
	p.to.passlen = PASSLEN;
	kp = ring(NULL, 0, NULL, 0, PASS);
	fd = seal(&p.to, SVD_SEAL_BUNDLE, plain, sizeof(plain), 50000, &size);
	file_put(fd, junk, 3 * SVD_SEAL_SLOT, 0); /* n = 3 slots */

	u = open_ok(fd, p.kb, SVD_SEAL_BUNDLE, &d);
	assert_true(svd_unseal_head_damaged(u));
	got = read_all(u, 65536);
	assert_memory_equal(got, plain, sizeof(plain));
	free(got);
	assert_int_equal(d.n, 1); /* the head, once */
	assert_int_equal(d.off[0], 0);
	assert_int_equal(d.len[0], 3 * SVD_SEAL_SLOT);
	assert_int_equal(svd_unseal_damaged_chunks(u), 0);
	svd_unseal_free(u);

	/* the passphrase's copy is the last slot */
	u = open_ok(fd, kp, SVD_SEAL_BUNDLE, NULL);
	assert_true(svd_unseal_head_damaged(u));
	svd_unseal_free(u);

	/* and the tail too */
	file_put(fd, junk, 3 * SVD_SEAL_SLOT, size - 3 * SVD_SEAL_SLOT);
	expect_nokey(fd, p.kb, NULL);
	expect_nokey(fd, kp, "the passphrase given does not open it either");
	close(fd);
	svd_seal_keys_free(kp);
	pair_free(&p);
}

/* An interrupted write says "partial" to its mirrors and holds no plaintext. */
static void test_partial(void **state)
{
	static const uint8_t pattern[32] = "samvydav: testimony of witness 7";
	uint8_t *plain = malloc(200000), *bytes;
	struct pair p;
	svd_sealer *s = NULL;
	svd_unsealer *u;
	uint64_t size, i;
	size_t j;
	int fd;

	(void)state;
	assert_non_null(plain);
	for (j = 0; j < 200000; j++)
		plain[j] = pattern[j % 32];
	pair_make(&p);
	fd = memfile();
	assert_int_equal(svd_sealer_new(&s, fd, &p.to, SVD_SEAL_BUNDLE), 0);
	assert_int_equal(file_size(fd), 2 * SVD_SEAL_SLOT);
	assert_int_equal(svd_sealer_write(s, plain, 200000), 0);
	svd_sealer_free(s); /* the process dies here */

	u = open_ok(fd, p.kb, SVD_SEAL_PARTIAL, NULL);
	assert_int_equal(svd_unseal_size(u), 0);
	svd_unseal_free(u);
	u = open_ok(fd, p.ka, SVD_SEAL_PARTIAL, NULL); /* its writer knows it too */
	svd_unseal_free(u);

	bytes = file_bytes(fd, &size);
	assert_int_equal(size, 2 * SVD_SEAL_SLOT + 3 * CHUNK_CIPHER); /* 3 whole chunks written */
	for (i = 0; i + 32 <= size; i++)
		assert_true(memcmp(bytes + i, pattern, 32) != 0);
	assert_null(memmem(bytes, size, pattern, 8));
	free(bytes);
	close(fd);
	free(plain);
	pair_free(&p);
}

static const uint8_t *window_base;

static int window_cmp(const void *x, const void *y)
{
	return memcmp(window_base + *(const uint32_t *)x, window_base + *(const uint32_t *)y, 16);
}

/* Offsets of two equal 16-byte strings of p, or 0 when every one is unique. */
static int repeated_window(const uint8_t *p, size_t n, uint32_t *at1, uint32_t *at2)
{
	uint32_t *idx = malloc((n - 15) * sizeof(*idx));
	size_t i;
	int found = 0;

	assert_non_null(idx);
	for (i = 0; i + 16 <= n; i++)
		idx[i] = (uint32_t)i;
	window_base = p;
	qsort(idx, n - 15, sizeof(*idx), window_cmp);
	for (i = 1; i < n - 15 && !found; i++)
		if (!memcmp(p + idx[i - 1], p + idx[i], 16)) {
			*at1 = idx[i - 1];
			*at2 = idx[i];
			found = 1;
		}
	free(idx);
	return found;
}

/*
 * Structure: no 16-byte string of a file occurs twice in it (a nonce
 * reused, a header copied, a chunk under the same key and nonce would),
 * even with a plaintext of zeros and a passphrase's salts.
 */
static void test_no_repeats(void **state)
{
	const size_t len = 3 * SVD_SEAL_CHUNK + 777;
	uint8_t *plain = calloc(1, len), *bytes, copy[64];
	struct key m[3];
	uint8_t pks[3][SVD_SEAL_KEY_LEN];
	svd_seal_keys *ka;
	svd_seal_to to = {0};
	struct key a;
	uint64_t size;
	uint32_t x, y;
	size_t i;
	int fd;

	(void)state;
	assert_non_null(plain);
	keygen(&a);
	for (i = 0; i < 3; i++) {
		keygen(&m[i]);
		memcpy(pks[i], m[i].pk, SVD_SEAL_KEY_LEN);
	}
	ka = ring(&a, 1, NULL, 0, NULL);
	to.from = ka;
	to.mirrors = PKS(pks);
	to.nmirrors = 3;
	to.passphrase = PASS;
	to.passlen = PASSLEN;
	fd = seal(&to, SVD_SEAL_BUNDLE, plain, len, 4000, &size);
	bytes = file_bytes(fd, &size);
	if (repeated_window(bytes, size, &x, &y))
		fail_msg("the 16 bytes at %u occur again at %u", x, y);
	/* the check can fail: a slot copied into the padding is found */
	memcpy(copy, bytes + 10, sizeof(copy));
	memcpy(bytes + size - 5 * SVD_SEAL_SLOT - 100, copy, sizeof(copy));
	assert_true(repeated_window(bytes, size, &x, &y));
	free(bytes);
	close(fd);
	svd_seal_keys_free(ka);
	free(plain);
}

/* The header slots (both ends) of two files to the same mirrors share no 8-byte string. */
static void test_headers_unrelated(void **state)
{
	uint8_t plain[1000] = {0}, *f1, *f2, h1[2 * 4 * SVD_SEAL_SLOT], h2[sizeof(h1)];
	const size_t slots = 4 * SVD_SEAL_SLOT;
	struct key a, m[3];
	uint8_t pks[3][SVD_SEAL_KEY_LEN];
	svd_seal_keys *ka;
	svd_seal_to to = {0};
	uint64_t s1, s2;
	size_t i, j;
	int fd1, fd2, same_place = 0;

	(void)state;
	keygen(&a);
	for (i = 0; i < 3; i++) {
		keygen(&m[i]);
		memcpy(pks[i], m[i].pk, SVD_SEAL_KEY_LEN);
	}
	ka = ring(&a, 1, NULL, 0, NULL);
	to.from = ka;
	to.mirrors = PKS(pks);
	to.nmirrors = 3;
	fd1 = seal(&to, SVD_SEAL_BUNDLE, plain, sizeof(plain), 1000, NULL);
	fd2 = seal(&to, SVD_SEAL_BUNDLE, plain, sizeof(plain), 1000, NULL);
	f1 = file_bytes(fd1, &s1);
	f2 = file_bytes(fd2, &s2);
	assert_int_equal(s1, s2);
	memcpy(h1, f1, slots);
	memcpy(h1 + slots, f1 + s1 - slots, slots);
	memcpy(h2, f2, slots);
	memcpy(h2 + slots, f2 + s2 - slots, slots);
	for (i = 0; i + 8 <= sizeof(h1); i++)
		for (j = 0; j + 8 <= sizeof(h2); j++)
			if (!memcmp(h1 + i, h2 + j, 8))
				fail_msg("8 bytes of one header at %zu are in the other's at %zu",
				         i, j);
	/* and byte by byte they agree only as often as chance says (1 in 256) */
	for (i = 0; i < sizeof(h1); i++)
		same_place += h1[i] == h2[i];
	assert_true(same_place < 20);
	free(f1);
	free(f2);
	close(fd1);
	close(fd2);
	svd_seal_keys_free(ka);
}

/*
 * Do n bytes pass for random? Their byte entropy must be at least 7.99
 * bits, and Pearson's chi-square over the 256 byte values (255 degrees of
 * freedom) within [170, 350]. For truly random bytes the statistic falls
 * below 170 with probability 1.0e-5 and above 350 with 7.1e-5 (the
 * regularised incomplete gamma function): 99.992% of random files pass.
 * The bounds 180..340 would keep 99.960% (1.1e-4 below, 2.9e-4 above): also
 * over 99.9%, but a false alarm every 2,500 runs instead of every 12,000.
 * Entropy is the weaker test: 8 - H is about chi2 / (2 n ln 2), so for a
 * MiB it fails only at chi2 over 14,500.
 */
static int looks_random(const uint8_t *p, size_t n, double *entropy, double *chi2)
{
	uint64_t count[256] = {0};
	double e = (double)n / 256, h = 0, x = 0;
	size_t i;

	for (i = 0; i < n; i++)
		count[p[i]]++;
	for (i = 0; i < 256; i++) {
		double d = (double)count[i] - e, f = (double)count[i] / (double)n;
		x += d * d / e;
		if (count[i])
			h -= f * log2(f);
	}
	*entropy = h;
	*chi2 = x;
	return h >= 7.99 && x >= 170 && x <= 350;
}

static void test_looks_random(void **state)
{
	const size_t len = 1 << 20;
	uint8_t *plain = calloc(1, len), *bytes, *noise = malloc(len);
	struct pair p;
	uint64_t size;
	double h, x;
	size_t i;
	int fd;

	(void)state;
	assert_non_null(plain);
	assert_non_null(noise);
	pair_make(&p);
	fd = seal(&p.to, SVD_SEAL_BUNDLE, plain, len, 65536, &size);
	bytes = file_bytes(fd, &size);
	if (!looks_random(bytes, size, &h, &x))
		fail_msg("a sealed MiB of zeros: entropy %.5f bits/byte, chi-square %.1f", h, x);
	print_message("sealed MiB of zeros (%llu bytes): entropy %.5f bits/byte, chi-square %.1f\n",
	              (unsigned long long)size, h, x);

	/* the check can fail: zeros, and random bytes with one in 200 set to zero */
	assert_false(looks_random(plain, len, &h, &x));
	randombytes_buf(noise, len);
	assert_true(looks_random(noise, len, &h, &x));
	for (i = 0; i < len; i += 200)
		noise[i] = 0;
	assert_false(looks_random(noise, len, &h, &x));
	free(bytes);
	free(noise);
	free(plain);
	close(fd);
	pair_free(&p);
}

/* Every argument the ring and the sealer refuse, and why. */
static void test_refusals(void **state)
{
	static const uint8_t small_order[SVD_SEAL_KEY_LEN] = {1}; /* the point of order 1 */
	uint8_t pk[SVD_SEAL_KEY_LEN], zero[SVD_SEAL_KEY_LEN] = {0}, plain[10] = {0};
	char big[SVD_SEAL_PASS_MAX + 1];
	struct key a, b;
	svd_seal_keys *k, *empty;
	svd_seal_to to = {0};
	svd_sealer *s = NULL;
	size_t i;
	int fd;

	(void)state;
	keygen(&a);
	keygen(&b);
	k = ring(&a, 1, NULL, 0, NULL);
	empty = ring(NULL, 0, NULL, 0, NULL);
	assert_int_equal(svd_seal_keys_current(empty, pk), SVD_ENOTFOUND);
	assert_int_equal(svd_seal_keys_add_mirror(k, small_order), SVD_EINVALID);
	th_expect_msg("small order");
	assert_int_equal(svd_seal_keys_add_mirror(k, zero), SVD_EINVALID);
	assert_int_equal(svd_seal_keys_add_mirror(empty, small_order),
	                 SVD_EINVALID); /* no own key */
	assert_int_equal(svd_seal_keys_mirror_count(empty), 0);
	assert_int_equal(svd_seal_keys_add_mirror(k, b.pk), 0);
	assert_int_equal(svd_seal_keys_add_mirror(k, b.pk), 0); /* twice: once */
	assert_int_equal(svd_seal_keys_mirror_count(k), 1);
	assert_int_equal(svd_seal_keys_add_own(k, a.sk), 0); /* twice: once */
	assert_int_equal(svd_seal_keys_own_count(k), 1);
	memset(big, 'x', sizeof(big));
	assert_int_equal(svd_seal_keys_add_passphrase(k, "", 0), SVD_EINVALID);
	assert_int_equal(svd_seal_keys_add_passphrase(k, big, sizeof(big)), SVD_EINVALID);
	assert_int_equal(svd_seal_keys_add_passphrase(k, big, SVD_SEAL_PASS_MAX), 0);
	assert_int_equal(svd_seal_keys_passphrase_count(k), 1);
	{
		svd_seal_keys *kp = ring(NULL, 0, NULL, 0, NULL);
		for (i = 0; i < 16; i++)
			assert_int_equal(svd_seal_keys_add_passphrase(kp, big, i + 1), 0);
		assert_int_equal(svd_seal_keys_add_passphrase(kp, big, 20), SVD_ETOOBIG);
		assert_int_equal(svd_seal_keys_passphrase_count(kp), 16);
		svd_seal_keys_free(kp);
	}
	for (i = 0; i < SVD_SEAL_MAX_OWN - 1; i++) {
		struct key o;
		keygen(&o);
		assert_int_equal(svd_seal_keys_add_own(k, o.sk), 0);
	}
	assert_int_equal(svd_seal_keys_add_own(k, b.sk), SVD_ETOOBIG);
	assert_int_equal(svd_seal_keys_current(k, pk), 0);
	assert_memory_equal(pk, a.pk, SVD_SEAL_KEY_LEN);

	fd = memfile();
	/* nobody */
	assert_int_equal(svd_sealer_new(&s, fd, &to, SVD_SEAL_BUNDLE), SVD_EINVALID);
	th_expect_msg("no recipient");
	/* mirrors without a sender */
	to.mirrors = PKS(&b.pk);
	to.nmirrors = 1;
	assert_int_equal(svd_sealer_new(&s, fd, &to, SVD_SEAL_BUNDLE), SVD_EINVALID);
	th_expect_msg("own key as the sender");
	/* a sender without an own key */
	to.from = empty;
	assert_int_equal(svd_sealer_new(&s, fd, &to, SVD_SEAL_BUNDLE), SVD_EINVALID);
	th_expect_msg("no own key");
	/* a small-order recipient */
	to.from = k;
	to.mirrors = &small_order;
	assert_int_equal(svd_sealer_new(&s, fd, &to, SVD_SEAL_BUNDLE), SVD_EINVALID);
	th_expect_msg("small order");
	/* "partial" is no kind to seal */
	to.mirrors = PKS(&b.pk);
	assert_int_equal(svd_sealer_new(&s, fd, &to, SVD_SEAL_PARTIAL), SVD_EINVALID);
	/* an empty passphrase */
	to.passphrase = "";
	assert_int_equal(svd_sealer_new(&s, fd, &to, SVD_SEAL_BUNDLE), SVD_EINVALID);
	to.passphrase = NULL;
	assert_int_equal(file_size(fd), 0);
	/* a file that is not empty */
	file_put(fd, plain, sizeof(plain), 0);
	assert_int_equal(svd_sealer_new(&s, fd, &to, SVD_SEAL_BUNDLE), SVD_EINVALID);
	th_expect_msg("not empty");
	assert_null(s);
	close(fd);

	/* not sealed files at all: empty, short, random */
	for (i = 0; i < 3; i++) {
		static const size_t lens[] = {0, 87, 5000};
		uint8_t junk[5000];
		randombytes_buf(junk, sizeof(junk));
		fd = memfile();
		file_put(fd, junk, lens[i], 0);
		expect_nokey(fd, k, NULL);
		close(fd);
	}
	svd_seal_keys_free(k);
	svd_seal_keys_free(empty);
	svd_seal_keys_free(NULL);
	svd_sealer_free(NULL);
	svd_unseal_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_padme),         cmocka_unit_test(test_round_trip_sizes),
	    cmocka_unit_test(test_recipients),    cmocka_unit_test(test_passphrase),
	    cmocka_unit_test(test_stranger_fast), cmocka_unit_test(test_retired_key),
	    cmocka_unit_test(test_damaged_chunk), cmocka_unit_test(test_truncated),
	    cmocka_unit_test(test_head_damaged),  cmocka_unit_test(test_partial),
	    cmocka_unit_test(test_no_repeats),    cmocka_unit_test(test_headers_unrelated),
	    cmocka_unit_test(test_looks_random),  cmocka_unit_test(test_refusals),
	};

	return cmocka_run_group_tests(tests, th_group_setup, th_group_teardown);
}
