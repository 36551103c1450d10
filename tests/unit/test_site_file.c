/*
 * test_site_file.c: the parser of the mirror's catalog on disk
 * (ARCHIVE/cache/site, site_file.c) on each way its file can be wrong —
 * the files of the fuzz corpus tests/fuzz/corpus/site_file, made by
 * tests/fuzz/make_site_file_corpus.py — and a good file loaded back into a
 * catalog as a start loads it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "helpers.h"
#include "site_file.h"

/* How far a corpus file gets: 0 parsed and loaded, else the step's error. */
typedef struct outcome {
	int parse, load;
	size_t count, passed;
} outcome;

static char *corpus(const char *name, size_t *len)
{
	char path[4096];

	th_path(path, sizeof(path), "%s/tests/fuzz/corpus/site_file/%s", th_source_dir(), name);
	return th_read_file(path, len);
}

/* Parse with the trust print the file claims (or other), then load into a new catalog. */
static outcome run(const char *name, const uint8_t *other)
{
	static const uint8_t zero[32];
	outcome o = {0};
	svd_site_file *sf = NULL;
	svd_site_file_rec rec;
	svd_catalog *c = NULL;
	uint8_t trust[32];
	size_t len;
	char *data = corpus(name, &len);

	memcpy(trust, other ? other : len > 41 ? (const uint8_t *)data + 9 : zero, 32);
	o.parse = svd_site_file_parse(&sf, (const uint8_t *)data, len, trust);
	if (o.parse == 0) {
		assert_non_null(sf);
		o.count = svd_site_file_count(sf);
		assert_int_equal(svd_catalog_new(&c), 0);
		o.load = svd_site_file_words(c, sf);
		while (o.load == 0 && svd_site_file_next(sf, &rec)) {
			o.passed += rec.passed;
			o.load = svd_site_file_add(c, &rec, NULL);
		}
		if (o.load == 0)
			o.load = svd_catalog_finish(c);
	} else {
		assert_null(sf);
	}
	svd_catalog_free(c);
	svd_site_file_free(sf);
	free(data);
	return o;
}

static void test_good(void **state)
{
	outcome o;

	(void)state;
	o = run("good", NULL);
	assert_int_equal(o.parse, 0);
	assert_int_equal(o.load, 0);
	assert_int_equal(o.count, 3);
	assert_int_equal(o.passed, 3);
	/* a record the gate refused carries no entry */
	o = run("good-refused", NULL);
	assert_int_equal(o.parse, 0);
	assert_int_equal(o.load, 0);
	assert_int_equal(o.count, 4);
	assert_int_equal(o.passed, 3);
}

/* Faults of the file as a whole or of a record's layout: refused by the parse. */
static void test_parse_refused(void **state)
{
	static const char *bad[] = {"empty",          "cut",           "bad-sum",
	                            "bad-magic",      "bad-level",     "count-lies",
	                            "words-lie",      "out-of-order",  "twice",
	                            "word-empty",     "word-not-utf8", "index-past-words",
	                            "index-overlong", "flag-unknown",  "passed-2",
	                            "bytes-after",    "keyid-control", "keyid-not-utf8",
	                            "index-sum-past-words"};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		outcome o = run(bad[i], NULL);
		if (o.parse != SVD_ECORRUPT)
			fail_msg("%s: parse gave %d, not SVD_ECORRUPT", bad[i], o.parse);
	}
}

/* Faults only the load sees: refused there, and the caller ignores the whole file. */
static void test_load_refused(void **state)
{
	static const char *bad[] = {"word-twice", "manifest-broken", "manifest-of-another"};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		outcome o = run(bad[i], NULL);
		if (o.parse == SVD_ECORRUPT)
			continue; /* caught earlier still: fine */
		if (o.parse != 0 || o.load != SVD_ECORRUPT)
			fail_msg("%s: parse %d, load %d: not refused as damaged", bad[i], o.parse,
			         o.load);
	}
}

/* A file made with another trust list, or by an older samvydavd: not damaged, not used. */
static void test_other_trust(void **state)
{
	static const uint8_t other[32] = {1};
	outcome o;

	(void)state;
	o = run("good", other);
	assert_int_equal(o.parse, SVD_ENOTFOUND);
	th_expect_msg("another trust list");
	/* the layout before this one: not damaged, made again */
	o = run("old-version", NULL);
	assert_int_equal(o.parse, SVD_ENOTFOUND);
	th_expect_msg("older samvydavd");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_good),
	    cmocka_unit_test(test_parse_refused),
	    cmocka_unit_test(test_load_refused),
	    cmocka_unit_test(test_other_trust),
	};

	svd_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
