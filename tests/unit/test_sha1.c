/*
 * test_sha1.c: SHA-1 against the FIPS 180 examples, git's well-known object
 * ids and stock sha1sum on pseudo-random data of awkward lengths.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "helpers.h"
#include "sha1.h"
#include "util.h"

static void sha1_hex(char hex[41], const void *data, size_t len)
{
	svd_sha1 c;
	uint8_t out[20];

	svd_sha1_init(&c);
	svd_sha1_update(&c, data, len);
	svd_sha1_final(&c, out);
	svd_hex_encode(hex, out, 20);
}

/* The SHA-1 of len bytes of data must be want (lowercase hex). */
static void expect_sha1(const void *data, size_t len, const char *want)
{
	char hex[41];

	sha1_hex(hex, data, len);
	assert_string_equal(hex, want);
}

static void test_fips_vectors(void **state)
{
	(void)state;
	expect_sha1("abc", 3, "a9993e364706816aba3e25717850c26c9cd0d89d");
	expect_sha1("", 0, "da39a3ee5e6b4b0d3255bfef95601890afd80709");
	/* 448 bits: the padding must spill into a second block */
	expect_sha1("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56,
	            "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
	expect_sha1(
	    "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqk"
	    "lmnopqrlmnopqrsmnopqrstnopqrstu",
	    112, "a49b2446a02c645bf419f995b67091253a04a259");
}

static void test_million_a(void **state)
{
	char chunk[1000], hex[41];
	uint8_t out[20];
	svd_sha1 c;
	int i;

	(void)state;
	memset(chunk, 'a', sizeof(chunk));
	svd_sha1_init(&c);
	for (i = 0; i < 1000; i++)
		svd_sha1_update(&c, chunk, sizeof(chunk));
	svd_sha1_final(&c, out);
	svd_hex_encode(hex, out, 20);
	assert_string_equal(hex, "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
}

/* git's ids of the empty blob and the empty tree */
static void test_git_ids(void **state)
{
	(void)state;
	expect_sha1("blob 0", 7, "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391");
	expect_sha1("tree 0", 7, "4b825dc642cb6eb9a060e54bf8d69288fbee4904");
	expect_sha1("blob 6\0hello\n", 13, "ce013625030ba8dba906f756967f9e9ca394464a");
}

/* Any way of cutting the input into pieces gives the one-shot digest. */
static void test_split_points(void **state)
{
	uint8_t data[300], out[20], want[20];
	svd_sha1 c;
	size_t i, j;

	(void)state;
	th_fill_random(data, sizeof(data));
	svd_sha1_init(&c);
	svd_sha1_update(&c, data, sizeof(data));
	svd_sha1_final(&c, want);
	for (i = 0; i <= sizeof(data); i++) {
		for (j = i; j <= sizeof(data); j += 17) {
			svd_sha1_init(&c);
			svd_sha1_update(&c, data, i);
			svd_sha1_update(&c, data + i, j - i);
			svd_sha1_update(&c, NULL, 0);
			svd_sha1_update(&c, data + j, sizeof(data) - j);
			svd_sha1_final(&c, out);
			assert_memory_equal(out, want, 20);
		}
	}
	/* byte by byte */
	svd_sha1_init(&c);
	for (i = 0; i < sizeof(data); i++)
		svd_sha1_update(&c, data + i, 1);
	svd_sha1_final(&c, out);
	assert_memory_equal(out, want, 20);
}

/* Our digest of a file against stock sha1sum's. */
static void check_against_sha1sum(const uint8_t *data, size_t len)
{
	char want[41], hex[41];

	th_tool_digest(want, 40, "sha1sum", data, len);
	sha1_hex(hex, data, len);
	assert_string_equal(hex, want);
}

static void test_sha1sum(void **state)
{
	static const size_t sizes[] = {0,    1,    3,    55,    56,     57,      63,     64,
	                               65,   119,  120,  127,   128,    129,     1000,   4095,
	                               4096, 4097, 8191, 65536, 100003, 1048583, 3000017};
	uint8_t *data = malloc(3000017);
	size_t i;

	(void)state;
	assert_non_null(data);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		th_fill_random(data, sizes[i]);
		check_against_sha1sum(data, sizes[i]);
	}
	free(data);
}

/*
 * The SHAttered pair's first 320 bytes (tests/data/collision/): one SHA-1,
 * two SHA-256s. This SHA-1 has no collision detection, so nothing that
 * matters may rest on it alone: the store checks a blob met again by
 * SHA-256 (pack.h, SVD_PACKW_COLLISION; issue 15, item 9).
 */
static void test_shattered(void **state)
{
	size_t l1, l2;
	char *p1 = th_read_fixture("collision/shattered-1.prefix", &l1);
	char *p2 = th_read_fixture("collision/shattered-2.prefix", &l2);
	char h1[41], h2[41];

	(void)state;
	assert_int_equal(l1, 320);
	assert_int_equal(l2, 320);
	assert_memory_not_equal(p1, p2, 320);
	sha1_hex(h1, p1, l1);
	sha1_hex(h2, p2, l2);
	assert_string_equal(h1, "f92d74e3874587aaf443d1db961d4e26dde13e9c");
	assert_string_equal(h2, h1);
	free(p1);
	free(p2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_fips_vectors), cmocka_unit_test(test_million_a),
	    cmocka_unit_test(test_git_ids),      cmocka_unit_test(test_split_points),
	    cmocka_unit_test(test_sha1sum),      cmocka_unit_test(test_shattered),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
