/*
 * test_bundle_meta.c: BUNDLE.json parsed as a stream (bundle_meta.c;
 * SPEC.md, 9.2): what earlier versions wrote reads the same, in one piece
 * or a byte at a time; every way the bytes can lie fails, naming it, and
 * costs no memory for what is claimed and not there (a count of 2^53 - 1,
 * nesting a hundred thousand deep, a list cut short).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bundle_internal.h"
#include "helpers.h"

#define MIRROR  "0123456789abcdef0123456789abcdef"
#define CREATED "2026-12-04T21:00:00Z"
#define ID0     "00aa000000000000000000000000000000000000000000000000000000000000"
#define ID1     "01bb000000000000000000000000000000000000000000000000000000000000"
#define ID2     "02cc000000000000000000000000000000000000000000000000000000000000"
#define HEAD    "{\"count\":2,\"created\":\"" CREATED "\",\"format\":1,\"ids\":["

/* As earlier versions wrote it (svd_canon_dump of the members of 9.2). */
static const char v1[] = "{\"count\":2,\"created\":\"" CREATED "\",\"format\":1,\"ids\":[\"" ID0
                         "\",\"" ID1 "\"],\"mirror\":\"" MIRROR "\"}";
static const char v2[] = "{\"count\":1,\"created\":\"" CREATED "\",\"format\":2,\"ids\":[\"" ID1
                         "\"],\"mirror\":\"" MIRROR "\",\"updates\":[\"" ID0 "\",\"" ID2 "\"]}";

/* Parse text in pieces of step bytes (0: whole); the result of the end. */
static int parse(svd_bundle_meta *m, const char *text, size_t len, size_t step)
{
	size_t at = 0;
	int error = 0;

	svd_bundle_meta_init(m);
	if (step == 0)
		step = len ? len : 1;
	while (at < len && error == 0) {
		size_t n = len - at < step ? len - at : step;
		error = svd_bundle_meta_feed(m, text + at, n);
		at += n;
	}
	return error ? error : svd_bundle_meta_end(m);
}

/* text must fail, with needle in the message, whole and a byte at a time. */
static void refuse(const char *text, const char *needle)
{
	svd_bundle_meta m;
	size_t step;

	for (step = 0; step <= 1; step++) {
		assert_int_equal(parse(&m, text, strlen(text), step), SVD_ECORRUPT);
		th_expect_msg(needle);
		/* a failure sticks */
		assert_int_equal(svd_bundle_meta_feed(&m, "x", 1), SVD_ECORRUPT);
		assert_int_equal(svd_bundle_meta_end(&m), SVD_ECORRUPT);
		svd_bundle_meta_clear(&m);
	}
}

static void test_sound(void **state)
{
	svd_bundle_meta m;
	size_t step;

	(void)state;
	for (step = 0; step <= 7; step++) {
		assert_int_equal(parse(&m, v1, strlen(v1), step), 0);
		assert_int_equal(m.format, 1);
		assert_int_equal(m.count, 2);
		assert_int_equal(m.nids, 2);
		assert_int_equal(m.nupdates, 0);
		assert_int_equal(m.ids[0][0], 0x00);
		assert_int_equal(m.ids[0][1], 0xaa);
		assert_int_equal(m.ids[1][1], 0xbb);
		assert_string_equal(m.mirror, MIRROR);
		assert_string_equal(m.created, CREATED);
		svd_bundle_meta_clear(&m);

		assert_int_equal(parse(&m, v2, strlen(v2), step), 0);
		assert_int_equal(m.format, 2);
		assert_int_equal(m.nids, 1);
		assert_int_equal(m.nupdates, 2);
		assert_int_equal(m.updates[1][1], 0xcc);
		svd_bundle_meta_clear(&m);
	}
	/* an empty bundle; format 2 with no update (read, as before); a canonical escape */
	assert_int_equal(parse(&m,
	                       "{\"count\":0,\"created\":\"" CREATED
	                       "\",\"format\":1,\"ids\":[],\"mirror\":\"" MIRROR "\"}",
	                       strlen("{\"count\":0,\"created\":\"" CREATED
	                              "\",\"format\":1,\"ids\":[],\"mirror\":\"" MIRROR "\"}"),
	                       0),
	                 0);
	assert_int_equal(m.nids, 0);
	svd_bundle_meta_clear(&m);
	{
		const char *t = "{\"count\":0,\"created\":\"a\\\"b\\\\\",\"format\":2,\"ids\":[],"
		                "\"mirror\":\"\xc3\xa9\",\"updates\":[]}";
		assert_int_equal(parse(&m, t, strlen(t), 1), 0);
		assert_string_equal(m.created, "a\"b\\");
		assert_string_equal(m.mirror, "\xc3\xa9");
		svd_bundle_meta_clear(&m);
	}
}

/* Every cut of a sound BUNDLE.json fails at its end, and nothing leaks. */
static void test_truncated(void **state)
{
	svd_bundle_meta m;
	size_t len;

	(void)state;
	for (len = 0; len < strlen(v2); len++) {
		assert_int_equal(parse(&m, v2, len, 3), SVD_ECORRUPT);
		svd_bundle_meta_clear(&m);
	}
	refuse("{\"count\":2,", "ends early");
	refuse(HEAD "\"" ID0 "\",\"" ID1, "ends early");
}

/* The count lies: more ids, fewer, or a count that nothing backs. */
static void test_count_lies(void **state)
{
	svd_bundle_meta m;
	char *t;
	size_t i, len, n = 10000;

	(void)state;
	refuse("{\"count\":1,\"created\":\"" CREATED "\",\"format\":1,\"ids\":[\"" ID0 "\",\"" ID1
	       "\"],\"mirror\":\"" MIRROR "\"}",
	       "ids holds more than its count of 1");
	refuse("{\"count\":3,\"created\":\"" CREATED "\",\"format\":1,\"ids\":[\"" ID0 "\",\"" ID1
	       "\"],\"mirror\":\"" MIRROR "\"}",
	       "its count is 3, and it lists 2 ids");
	/* the largest count there is, and one id: memory for that id, not for the claim */
	assert_int_equal(parse(&m,
	                       "{\"count\":9007199254740991,\"created\":\"x\",\"format\":1,\"ids\":"
	                       "[\"" ID0 "\"",
	                       strlen("{\"count\":9007199254740991,\"created\":\"x\",\"format\":1,"
	                              "\"ids\":[\"" ID0 "\""),
	                       0),
	                 SVD_ECORRUPT);
	assert_int_equal(m.nids, 1);
	assert_true(m.capids <= 256);
	svd_bundle_meta_clear(&m);
	refuse("{\"count\":9007199254740992,", "not a bundle description");
	refuse("{\"count\":99999999999999999999,", "not a bundle description");
	refuse("{\"count\":-1,", "not a bundle description");
	refuse("{\"count\":01,", "not a bundle description");
	refuse("{\"count\":1e3,", "not a bundle description");

	/* n ids with a count of n: the list grows to n, not past it */
	len = 200 + n * 67;
	t = malloc(len);
	assert_non_null(t);
	len =
	    (size_t)snprintf(t, 200, "{\"count\":%zu,\"created\":\"x\",\"format\":1,\"ids\":[", n);
	for (i = 0; i < n; i++)
		len += (size_t)sprintf(t + len, "%s\"%064zx\"", i ? "," : "", i);
	len += (size_t)sprintf(t + len, "],\"mirror\":\"m\"}");
	assert_int_equal(parse(&m, t, len, 4096), 0);
	assert_int_equal(m.nids, n);
	assert_int_equal(m.capids, n);
	svd_bundle_meta_clear(&m);
	free(t);
}

/* Ids that are not ids, out of order, repeated, or both items and updates. */
static void test_ids(void **state)
{
	(void)state;
	refuse(HEAD "\"" ID1 "\",\"" ID0 "\"],\"mirror\":\"m\"}", "ids[1] is not an item id");
	refuse(HEAD "\"" ID0 "\",\"" ID0 "\"],\"mirror\":\"m\"}", "ids[1] is not an item id");
	refuse(HEAD "\"00AA000000000000000000000000000000000000000000000000000000000000\"",
	       "ids[0] is not an item id");
	refuse(HEAD "\"00aa\"", "ids[0] is not an item id");
	refuse(HEAD "\"" ID0 "0\"", "ids[0] is not an item id");
	refuse(HEAD "5]", "ids[0] is not an item id");
	refuse(HEAD "\"" ID0 "\",]", "ids[1] is not an item id");
	refuse(HEAD "\"" ID0 "\" ]", "not a bundle description");
	refuse("{\"count\":1,\"created\":\"x\",\"format\":2,\"ids\":[\"" ID0
	       "\"],\"mirror\":\"m\",\"updates\":[\"" ID0 "\"]}",
	       "both an item and a signature update");
	refuse(
	    "{\"count\":0,\"created\":\"x\",\"format\":2,\"ids\":[],\"mirror\":\"m\",\"updates\":["
	    "\"" ID1 "\",\"" ID0 "\"]}",
	    "updates[1] is not an item id");
}

/* Nesting of any depth fails at its first byte: nothing is pushed, nothing recurses. */
static void test_nesting(void **state)
{
	svd_bundle_meta m;
	size_t n = 100000, k;
	char *t = malloc(strlen(HEAD) + n + 1);

	(void)state;
	assert_non_null(t);
	strcpy(t, HEAD);
	memset(t + strlen(HEAD), '[', n);
	t[strlen(HEAD) + n] = '\0';
	refuse(t, "ids[0] is not an item id");
	free(t);
	refuse(HEAD "{\"a\":1}]", "ids[0] is not an item id");
	refuse("{\"count\":{\"count\":1}}", "not a bundle description");
	refuse("[{\"count\":1}]", "not a bundle description");
	refuse("{\"count\":0,\"created\":[\"x\"],", "not a bundle description");
	/* a deep prefix fed a byte at a time: the failure sticks, nothing grows */
	svd_bundle_meta_init(&m);
	assert_int_equal(svd_bundle_meta_feed(&m, HEAD, strlen(HEAD)), 0);
	assert_int_equal(svd_bundle_meta_feed(&m, "[", 1), SVD_ECORRUPT);
	for (k = 0; k < 1000; k++)
		assert_int_equal(svd_bundle_meta_feed(&m, "[", 1), SVD_ECORRUPT);
	assert_null(m.ids);
	svd_bundle_meta_clear(&m);
}

/* Members, order, format, white space and strings: only the canonical form of 9.2. */
static void test_shape(void **state)
{
	svd_bundle_meta m;

	(void)state;
	refuse("{\"format\":1,\"count\":0,", "not a bundle description");
	refuse("{ \"count\":0,", "not a bundle description");
	refuse("{\"count\":0,\"created\":\"x\",\"format\":1,\"ids\":[],\"mirror\":\"m\"}\n",
	       "bytes after its end");
	refuse("{\"count\":0,\"created\":\"x\",\"format\":1,\"ids\":[],\"mirror\":\"m\","
	       "\"updates\":[]}",
	       "not a bundle description");
	refuse("{\"count\":0,\"created\":\"x\",\"format\":2,\"ids\":[],\"mirror\":\"m\"}",
	       "not a bundle description");
	refuse("{\"count\":0,\"created\":\"x\",\"format\":0,", "not a bundle description");
	refuse("{\"count\":0,\"created\":\"x\",\"format\":1,\"ids\":[],\"mirror\":\"m\",\"zz\":1}",
	       "not a bundle description");
	/* a newer format is named as such */
	assert_int_equal(parse(&m,
	                       "{\"count\":0,\"created\":\"x\",\"format\":3,\"ids\":[],\"mirror\":"
	                       "\"m\"}",
	                       strlen("{\"count\":0,\"created\":\"x\",\"format\":3,\"ids\":[],"
	                              "\"mirror\":\"m\"}"),
	                       1),
	                 SVD_ECORRUPT);
	assert_int_equal(m.newer, 1);
	th_expect_msg("format 3, newer than this samvydav reads");
	svd_bundle_meta_clear(&m);
	/* strings: canonical escapes only, no control characters, valid UTF-8, bounded */
	refuse("{\"count\":0,\"created\":\"\\u0041\",", "BUNDLE.json: not canonical");
	refuse("{\"count\":0,\"created\":\"a\nb\",", "BUNDLE.json: ");
	refuse("{\"count\":0,\"created\":\"\xff\",", "BUNDLE.json: ");
	refuse(
	    "{\"count\":0,\"created\":\"x\",\"format\":1,\"ids\":[],\"mirror\":\"aaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "\"}",
	    "mirror is over 255 bytes");
	refuse("", "ends early");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sound),      cmocka_unit_test(test_truncated),
	    cmocka_unit_test(test_count_lies), cmocka_unit_test(test_ids),
	    cmocka_unit_test(test_nesting),    cmocka_unit_test(test_shape),
	};

	return cmocka_run_group_tests(tests, th_group_setup, th_group_teardown);
}
