/*
 * test_sha256.c: both SHA-256 implementations (the x86 SHA extensions and
 * libsodium's) against the FIPS 180 examples, against each other on every
 * length and split of a few blocks, and against stock sha256sum.
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
#include "sha256.h"
#include "util.h"

/* Does /proc/cpuinfo list the SHA extensions (flag sha_ni)? */
static int cpu_lists_sha(void)
{
	static int known = -1;
	char line[8192];
	FILE *f;

	if (known >= 0)
		return known;
	known = 0;
	if (!(f = fopen("/proc/cpuinfo", "r")))
		return known;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, "flags", 5) == 0 && strstr(line, " sha_ni"))
			known = 1;
	fclose(f);
	return known;
}

/*
 * The implementations this processor can run: libsodium's, and the
 * extensions when the kernel lists them (whether or not the library's own
 * check at first use chose them: test_chosen says it must have).
 */
static int impls(void)
{
	return cpu_lists_sha() ? 2 : 1;
}

static void digest(uint8_t out[32], int ni, const void *data, size_t len)
{
	svd_sha256 c;

	svd_sha256_init_impl(&c, ni);
	svd_sha256_update(&c, data, len);
	svd_sha256_final(&c, out);
}

static void expect_sha256(const void *data, size_t len, const char *want)
{
	uint8_t out[32];
	char hex[65];
	int ni;

	for (ni = 0; ni < impls(); ni++) {
		digest(out, ni, data, len);
		svd_hex_encode(hex, out, 32);
		assert_string_equal(hex, want);
	}
	svd_sha256_once(out, data, len);
	svd_hex_encode(hex, out, 32);
	assert_string_equal(hex, want);
}

static void test_fips_vectors(void **state)
{
	(void)state;
	expect_sha256("abc", 3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	expect_sha256("", 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	/* 448 bits: the padding spills into a second block */
	expect_sha256("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56,
	              "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	expect_sha256(
	    "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqk"
	    "lmnopqrlmnopqrsmnopqrstnopqrstu",
	    112, "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
}

static void test_million_a(void **state)
{
	char chunk[1000], hex[65];
	uint8_t out[32];
	svd_sha256 c;
	int ni, i;

	(void)state;
	memset(chunk, 'a', sizeof(chunk));
	for (ni = 0; ni < impls(); ni++) {
		svd_sha256_init_impl(&c, ni);
		for (i = 0; i < 1000; i++)
			svd_sha256_update(&c, chunk, sizeof(chunk));
		svd_sha256_final(&c, out);
		svd_hex_encode(hex, out, 32);
		assert_string_equal(
		    hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
	}
}

/*
 * Every length up to 300 bytes, cut at every point and at a second point,
 * gives libsodium's one-shot digest.
 */
static void test_against_libsodium(void **state)
{
	uint8_t data[300], out[32], want[32];
	svd_sha256 c;
	size_t len, i, j;
	int ni;

	(void)state;
	th_fill_random(data, sizeof(data));
	for (len = 0; len <= sizeof(data); len++) {
		crypto_hash_sha256(want, data, len);
		for (ni = 0; ni < impls(); ni++) {
			for (i = 0; i <= len; i++) {
				for (j = i; j <= len; j += 23) {
					svd_sha256_init_impl(&c, ni);
					svd_sha256_update(&c, data, i);
					svd_sha256_update(&c, NULL, 0);
					svd_sha256_update(&c, data + i, j - i);
					svd_sha256_update(&c, data + j, len - j);
					svd_sha256_final(&c, out);
					assert_memory_equal(out, want, 32);
				}
			}
		}
	}
}

/* Our digest of a file against stock sha256sum's. */
static void check_against_sha256sum(const uint8_t *data, size_t len)
{
	char want[65], hex[65];
	uint8_t out[32];
	int ni;

	th_tool_digest(want, 64, "sha256sum", data, len);
	for (ni = 0; ni < impls(); ni++) {
		digest(out, ni, data, len);
		svd_hex_encode(hex, out, 32);
		assert_string_equal(hex, want);
	}
}

static void test_sha256sum(void **state)
{
	static const size_t sizes[] = {0,   1,    55,    56,     64,      65,     127,
	                               128, 4095, 65536, 100003, 1048583, 3000017};
	uint8_t *data = malloc(3000017);
	size_t i;

	(void)state;
	assert_non_null(data);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		th_fill_random(data, sizes[i]);
		check_against_sha256sum(data, sizes[i]);
	}
	free(data);
}

/* A processor with the extensions uses them: the check at first use passed. */
static void test_chosen(void **state)
{
	(void)state;
	if (getenv("SVD_SHA256")) {
		print_message("note: SVD_SHA256 is set; the choice was not tested\n");
		skip();
	}
	assert_int_equal(svd_sha256_accelerated(), cpu_lists_sha());
}

/* SVD_SHA256=libsodium turns the extensions off (seen from a child process) */
static void test_env_turns_off(void **state)
{
	char cmd[4200], self[4096], line[16];
	ssize_t n;
	FILE *f;

	(void)state;
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	assert_true(n > 0);
	self[n] = '\0';
	snprintf(cmd, sizeof(cmd), "SVD_SHA256=libsodium '%s' --accelerated", self);
	f = popen(cmd, "r");
	assert_non_null(f);
	assert_non_null(fgets(line, sizeof(line), f));
	assert_int_equal(pclose(f), 0);
	assert_string_equal(line, "0\n");
	if (!svd_sha256_accelerated())
		print_message("note: this processor has no SHA extensions; only libsodium's "
		              "SHA-256 was tested\n");
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_fips_vectors),
	    cmocka_unit_test(test_million_a),
	    cmocka_unit_test(test_against_libsodium),
	    cmocka_unit_test(test_sha256sum),
	    cmocka_unit_test(test_chosen),
	    cmocka_unit_test(test_env_turns_off),
	};

	if (argc == 2 && strcmp(argv[1], "--accelerated") == 0) {
		printf("%d\n", svd_sha256_accelerated());
		return 0;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
