/*
 * test_vectors.c: external Ed25519 test vectors through svd_ed25519_verify(),
 * the one verification every signature check goes through.
 *
 * - Project Wycheproof (ed25519_test.json): every case must get its expected
 *   verdict: valid accepted, every malleable or non-canonical one refused.
 * - C2SP ed25519vectors.json: edge cases with no single right answer; our
 *   verdicts are recorded in tests/data/c2sp-ed25519-verdicts.txt, and the
 *   test fails if a library upgrade changes any. To record them anew (after
 *   reading why they changed): SVD_RECORD_C2SP=1 ./test_vectors
 *
 * The vectors are copied into tests/data/vectors/ (origin, commit and
 * licence in its README.md). A missing or unreadable vector file fails the
 * test: a skip would count as passed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "helpers.h"
#include "samvydav/sig.h"
#include "sig_internal.h"
#include "util.h"

/* The vector file tests/data/vectors/NAME, parsed; the test fails without it. */
static json_t *load_vectors(const char *name)
{
	char rel[256], path[4096];
	json_error_t err;
	json_t *j;

	snprintf(rel, sizeof(rel), "vectors/%s", name);
	th_fixture_path(path, sizeof(path), rel);
	if (!(j = json_load_file(path, 0, &err)))
		fail_msg("%s: cannot load the test vectors (%s, line %d); they belong in the "
		         "repository, see tests/data/vectors/README.md",
		         path, err.text, err.line);
	return j;
}

/* Hex of exactly n bytes; -1 for any other length or a bad digit. */
static int unhex(uint8_t *out, size_t n, const char *hex)
{
	if (strlen(hex) != 2 * n)
		return -1;
	return svd_hex_decode(out, n, hex);
}

static void test_wycheproof(void **state)
{
	json_t *j = load_vectors("wycheproof-ed25519_test.json"), *g, *t;
	size_t gi, ti, total = 0, valid = 0, refused = 0, failures = 0;

	(void)state;
	json_array_foreach(json_object_get(j, "testGroups"), gi, g)
	{
		const char *pkhex =
		    json_string_value(json_object_get(json_object_get(g, "publicKey"), "pk"));
		uint8_t pk[32];
		int pk_ok = pkhex && unhex(pk, 32, pkhex) == 0;

		json_array_foreach(json_object_get(g, "tests"), ti, t)
		{
			const char *msghex = json_string_value(json_object_get(t, "msg"));
			const char *sighex = json_string_value(json_object_get(t, "sig"));
			const char *result = json_string_value(json_object_get(t, "result"));
			size_t mlen = msghex ? strlen(msghex) / 2 : 0;
			uint8_t *msg = malloc(mlen + 1), sig[64];
			int accepted;

			assert_non_null(msg);
			assert_int_equal(svd_hex_decode(msg, mlen, msghex), 0);
			/* a signature that is not 64 bytes never reaches the check:
			 * the signature file's parser refuses its length */
			accepted = pk_ok && unhex(sig, 64, sighex) == 0 &&
			           svd_ed25519_verify(sig, msg, mlen, pk) == 0;
			total++;
			if (!strcmp(result, "valid")) {
				valid++;
				if (!accepted) {
					failures++;
					print_message(
					    "tcId %lld (%s): valid, but refused\n",
					    (long long)json_integer_value(
					        json_object_get(t, "tcId")),
					    json_string_value(json_object_get(t, "comment")));
				}
			} else if (!strcmp(result, "invalid")) {
				refused++;
				if (accepted) {
					failures++;
					print_message(
					    "tcId %lld (%s): invalid, but accepted\n",
					    (long long)json_integer_value(
					        json_object_get(t, "tcId")),
					    json_string_value(json_object_get(t, "comment")));
				}
			}
			free(msg);
		}
	}
	print_message("Wycheproof: %zu cases, %zu valid accepted, %zu invalid refused, %zu wrong\n",
	              total, valid, refused, failures);
	json_decref(j);
	assert_true(total >= 100);
	assert_int_equal(failures, 0);
}

static void test_c2sp(void **state)
{
	json_t *j = load_vectors("c2sp-ed25519vectors.json"), *v;
	char path[4096], *want = NULL, *got;
	size_t i, used = 0, cap, accepted = 0;
	int record = getenv("SVD_RECORD_C2SP") != NULL;

	(void)state;
	cap = json_array_size(j) * 16 + 256;
	got = malloc(cap);
	assert_non_null(got);
	used += (size_t)snprintf(got, cap,
	                         "# samvydav's verdicts on the C2SP ed25519 edge cases: "
	                         "number, then accept or reject\n");
	json_array_foreach(j, i, v)
	{
		const char *msg = json_string_value(json_object_get(v, "msg"));
		uint8_t pk[32], sig[64];
		int ok;

		assert_int_equal(unhex(pk, 32, json_string_value(json_object_get(v, "key"))), 0);
		assert_int_equal(unhex(sig, 64, json_string_value(json_object_get(v, "sig"))), 0);
		ok = svd_ed25519_verify(sig, msg, strlen(msg), pk) == 0;
		accepted += (size_t)ok;
		used +=
		    (size_t)snprintf(got + used, cap - used, "%lld %s\n",
		                     (long long)json_integer_value(json_object_get(v, "number")),
		                     ok ? "accept" : "reject");
	}
	print_message("C2SP: %zu vectors, %zu accepted\n", json_array_size(j), accepted);
	th_fixture_path(path, sizeof(path), "c2sp-ed25519-verdicts.txt");
	if (record) {
		th_write_file(path, got, used);
		print_message("recorded in %s\n", path);
	} else {
		want = th_read_file(path, NULL);
		if (strcmp(want, got)) {
			print_message("our verdicts differ from %s: a library upgrade changed how "
			              "edge-case signatures are judged; read why, then record anew "
			              "with SVD_RECORD_C2SP=1\n",
			              path);
			fail();
		}
	}
	free(want);
	free(got);
	json_decref(j);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_wycheproof),
	    cmocka_unit_test(test_c2sp),
	};

	return cmocka_run_group_tests(tests, th_group_setup, th_group_teardown);
}
