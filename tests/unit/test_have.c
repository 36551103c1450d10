/*
 * test_have.c: have-files of format 2 (have.c; SPEC.md, 9.5) — made from
 * items with their key ids, written byte for byte as the SPEC says, read
 * back, asked which keys signed an item, merged with format 2 and format 1
 * sets, and refused when they lie or pass a limit. Format 1 is still read.
 */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "helpers.h"
#include "samvydav/bundle.h"

#define MIRROR "0123456789abcdef0123456789abcdef"
#define OTHER  "ffffffffffffffffffffffffffffffff"
#define ID_A   "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define ID_B   "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define ID_C   "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"
#define K1     "1111111111111111"
#define K2     "2222222222222222"
#define K3     "ABCDEF0123456789"

static char tmpdir[64];

static int group_setup(void **state)
{
	(void)state;
	return th_init(tmpdir, sizeof(tmpdir), "have");
}

static int group_teardown(void **state)
{
	(void)state;
	th_shutdown(tmpdir);
	return 0;
}

/* The file at path, whole, NUL-terminated (the caller's). */
static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf = calloc(1, 1 << 16);
	size_t n;

	assert_non_null(f);
	assert_non_null(buf);
	n = fread(buf, 1, (1 << 16) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static void spit(const char *path, const char *text)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, strlen(text), f), strlen(text));
	fclose(f);
}

/* The created line is the time of writing: the rest of the file is compared. */
static const char *after_created(const char *text)
{
	const char *p = strstr(text, "\ncount ");

	assert_non_null(p);
	return p + 1;
}

static void test_items_round_trip(void **state)
{
	const char *ka[] = {K3, K1};
	const char *kb[] = {K2};
	const char *kc[] = {K1, K1, K2};
	const char *ka2[] = {K2};
	svd_have_item items[] = {
	    {ID_C, kc, 3}, {ID_A, ka, 2}, {ID_B, kb, 1}, {ID_A, ka2, 1}, /* A twice: one item */
	};
	svd_have *h = NULL, *back = NULL;
	char path[PATH_MAX], key[17], *text;

	(void)state;
	assert_int_equal(svd_have_from_items(&h, MIRROR, items, 4), 0);
	assert_int_equal(svd_have_format(h), 2);
	assert_int_equal(svd_have_count(h), 3);
	assert_int_equal(svd_have_key_count(h, ID_A), 3);
	assert_int_equal(svd_have_key_count(h, ID_C), 2); /* K1 given twice */
	assert_true(svd_have_signed(h, ID_A, K3) && svd_have_signed(h, ID_A, K2));
	assert_false(svd_have_signed(h, ID_B, K1));
	assert_false(svd_have_signed(h, ID_B, "not a key id"));
	assert_int_equal(svd_have_key(h, ID_A, 0, key), 0);
	assert_string_equal(key, K1); /* ascending */
	assert_int_equal(svd_have_key(h, ID_A, 2, key), 0);
	assert_string_equal(key, K3);
	assert_int_equal(svd_have_key(h, ID_A, 3, key), SVD_ENOTFOUND);

	snprintf(path, sizeof(path), "%s/two.have", tmpdir);
	assert_int_equal(svd_have_save(h, path), 0);
	text = slurp(path);
	assert_true(!strncmp(text, "samvydav have 2\nmirror " MIRROR "\ncreated ", 39));
	assert_string_equal(after_created(text), "count 3\n"
	                                         "keys 3\n" K1 "\n" K2 "\n" K3 "\n" ID_A
	                                         " 0,1,2\n" ID_B " 1\n" ID_C " 0,1\n");
	free(text);

	assert_int_equal(svd_have_read(&back, path), 0);
	assert_int_equal(svd_have_format(back), 2);
	assert_int_equal(svd_have_count(back), 3);
	assert_string_equal(svd_have_mirror(back), MIRROR);
	assert_true(svd_have_signed(back, ID_C, K2) && !svd_have_signed(back, ID_C, K3));
	assert_int_equal(svd_have_key_count(back, ID_B), 1);
	svd_have_free(back);
	svd_have_free(h);
}

/* Items for svd_have_from_sorted() from an array. */
static int from_array(svd_have_item *item, size_t i, void *payload)
{
	const svd_have_item *items = payload;

	if (!items[i].id)
		return svd_error_set(SVD_ERROR, "the source failed");
	*item = items[i];
	return 0;
}

/*
 * Item by item in id order: the same set as svd_have_from_items() makes
 * of the same items; ids out of order, bad ids and key ids, too many keys
 * for an item and a failing source refused.
 */
static void test_sorted(void **state)
{
	const char *ka[] = {K3, K1, K2};
	const char *kb[] = {K2};
	const char *kc[] = {K1, K1, K2};
	const char *bad[] = {"abcdef0123456789"};
	const char *keys[SVD_HAVE_MAX_ITEM_KEYS + 1];
	char(*many)[17] = malloc(sizeof(*many) * (SVD_HAVE_MAX_ITEM_KEYS + 1));
	svd_have_item items[] = {{ID_A, ka, 3}, {ID_B, kb, 1}, {ID_C, kc, 3}};
	svd_have_item backwards[] = {{ID_B, kb, 1}, {ID_A, ka, 3}};
	svd_have_item twice[] = {{ID_A, ka, 3}, {ID_A, kb, 1}};
	svd_have_item badkey[] = {{ID_A, bad, 1}};
	svd_have_item badid[] = {{"not an id", kb, 1}};
	svd_have_item fails[] = {{ID_A, ka, 3}, {NULL, NULL, 0}};
	svd_have_item toomany[] = {{ID_A, keys, SVD_HAVE_MAX_ITEM_KEYS + 1}};
	svd_have *h = NULL, *g = NULL;
	char p1[PATH_MAX], p2[PATH_MAX], *t1, *t2;
	size_t i;

	(void)state;
	assert_int_equal(svd_have_from_sorted(&h, MIRROR, 3, from_array, items), 0);
	assert_int_equal(svd_have_from_items(&g, MIRROR, items, 3), 0);
	snprintf(p1, sizeof(p1), "%s/sorted.have", tmpdir);
	snprintf(p2, sizeof(p2), "%s/items.have", tmpdir);
	assert_int_equal(svd_have_save(h, p1), 0);
	assert_int_equal(svd_have_save(g, p2), 0);
	t1 = slurp(p1);
	t2 = slurp(p2);
	assert_string_equal(after_created(t1), after_created(t2));
	assert_int_equal(svd_have_key_count(h, ID_C), 2);
	free(t1);
	free(t2);
	svd_have_free(h);
	svd_have_free(g);
	h = NULL;
	assert_int_equal(svd_have_from_sorted(&h, MIRROR, 0, from_array, items), 0);
	assert_int_equal(svd_have_count(h), 0);
	svd_have_free(h);
	h = NULL;
	assert_int_equal(svd_have_from_sorted(&h, MIRROR, 2, from_array, backwards), SVD_EINVALID);
	assert_int_equal(svd_have_from_sorted(&h, MIRROR, 2, from_array, twice), SVD_EINVALID);
	assert_int_equal(svd_have_from_sorted(&h, MIRROR, 1, from_array, badkey), SVD_EINVALID);
	assert_int_equal(svd_have_from_sorted(&h, MIRROR, 1, from_array, badid), SVD_EINVALID);
	assert_int_equal(svd_have_from_sorted(&h, MIRROR, 2, from_array, fails), SVD_ERROR);
	assert_non_null(many);
	for (i = 0; i <= SVD_HAVE_MAX_ITEM_KEYS; i++) {
		snprintf(many[i], 17, "%016zX", i + 1);
		keys[i] = many[i];
	}
	assert_int_equal(svd_have_from_sorted(&h, MIRROR, 1, from_array, toomany), SVD_ETOOBIG);
	assert_null(h);
	svd_error_clear();
	free(many);
}

static void test_items_refused(void **state)
{
	const char *bad[] = {"abcdef0123456789"}; /* key ids are uppercase */
	const char *keys[SVD_HAVE_MAX_ITEM_KEYS + 1];
	char(*many)[17] = malloc(sizeof(*many) * (SVD_HAVE_MAX_ITEM_KEYS + 1));
	svd_have_item one = {ID_A, bad, 1};
	svd_have *h = NULL;
	size_t i;

	(void)state;
	assert_int_equal(svd_have_from_items(&h, MIRROR, &one, 1), SVD_EINVALID);
	assert_null(h);
	one.id = "A";
	one.nkeys = 0;
	assert_int_equal(svd_have_from_items(&h, MIRROR, &one, 1), SVD_EINVALID);
	one.id = ID_A;
	assert_int_equal(svd_have_from_items(&h, "mirror", &one, 1), SVD_EINVALID);
	assert_non_null(many);
	for (i = 0; i <= SVD_HAVE_MAX_ITEM_KEYS; i++) {
		snprintf(many[i], sizeof(many[i]), "%016zX", i + 1);
		keys[i] = many[i];
	}
	one.keyids = keys;
	one.nkeys = SVD_HAVE_MAX_ITEM_KEYS;
	assert_int_equal(svd_have_from_items(&h, MIRROR, &one, 1), 0); /* the limit itself */
	svd_have_free(h);
	h = NULL;
	one.nkeys = SVD_HAVE_MAX_ITEM_KEYS + 1;
	assert_int_equal(svd_have_from_items(&h, MIRROR, &one, 1), SVD_ETOOBIG);
	assert_null(h);
	free(many);
}

static void test_merge(void **state)
{
	const char *k1[] = {K1}, *k2[] = {K2}, *k3[] = {K3};
	svd_have_item mine[] = {{ID_A, k1, 1}, {ID_B, k2, 1}};
	svd_have_item carried[] = {{ID_A, k3, 1}, {ID_C, k2, 1}};
	const char *ids[] = {ID_B, ID_C};
	svd_have *h = NULL, *g = NULL, *v1 = NULL;

	(void)state;
	assert_int_equal(svd_have_from_items(&h, MIRROR, mine, 2), 0);
	assert_int_equal(svd_have_from_items(&g, OTHER, carried, 2), 0);
	assert_int_equal(svd_have_merge(h, g), 0);
	assert_int_equal(svd_have_count(h), 3);
	assert_string_equal(svd_have_mirror(h), MIRROR);
	assert_true(svd_have_signed(h, ID_A, K1) && svd_have_signed(h, ID_A, K3));
	assert_true(svd_have_signed(h, ID_C, K2) && !svd_have_signed(h, ID_C, K1));
	assert_int_equal(svd_have_merge(h, h), 0); /* with itself: nothing new */
	assert_int_equal(svd_have_key_count(h, ID_A), 2);

	/* a format-1 set adds ids with no key listed */
	assert_int_equal(svd_have_from_ids(&v1, OTHER, ids, 2), 0);
	assert_int_equal(svd_have_format(v1), 1);
	svd_have_free(g);
	assert_int_equal(svd_have_from_items(&g, MIRROR, carried + 1, 0), 0);
	assert_int_equal(svd_have_merge(g, v1), 0);
	assert_int_equal(svd_have_format(g), 2);
	assert_int_equal(svd_have_count(g), 2);
	assert_int_equal(svd_have_key_count(g, ID_B), 0);

	/* and a format-1 set stays format 1: its mirror reads no updates */
	assert_int_equal(svd_have_merge(v1, h), 0);
	assert_int_equal(svd_have_format(v1), 1);
	assert_int_equal(svd_have_count(v1), 3);
	assert_false(svd_have_signed(v1, ID_A, K1));
	svd_have_free(v1);
	svd_have_free(g);
	svd_have_free(h);
}

static void test_format_1_still_read(void **state)
{
	char path[PATH_MAX];
	svd_have *h = NULL;

	(void)state;
	snprintf(path, sizeof(path), "%s/one.have", tmpdir);
	spit(path, "samvydav have 1\nmirror " MIRROR
	           "\ncreated 2026-01-01T00:00:00Z\ncount 2\n" ID_A "\n" ID_B "\n");
	assert_int_equal(svd_have_read(&h, path), 0);
	assert_int_equal(svd_have_format(h), 1);
	assert_int_equal(svd_have_count(h), 2);
	assert_true(svd_have_contains(h, ID_B));
	assert_int_equal(svd_have_key_count(h, ID_B), 0);
	assert_false(svd_have_signed(h, ID_B, K1));
	svd_have_free(h);
	/* and a format-1 line must be an id alone */
	spit(path, "samvydav have 1\nmirror " MIRROR
	           "\ncreated 2026-01-01T00:00:00Z\ncount 1\n" ID_A " 0\n");
	assert_int_equal(svd_have_read(&h, path), SVD_ECORRUPT);
	assert_null(h);
}

/* Each way a format-2 file can lie, and the line it is refused at. */
static void test_format_2_refused(void **state)
{
	static const struct {
		const char *body, *line;
	} cases[] = {
	    {"count 0\n", "line 5"},
	    {"count 0\nkeys 1\n", "line 6"},
	    {"count 0\nkeys 1\n" K1 "\n", NULL}, /* sound: an empty table is fine too */
	    {"count 1\nkeys 1\n" K1 "\n" ID_A "\n", NULL},
	    {"count 1\nkeys 1\n" K1 "\n" ID_A " 0\n", NULL},
	    {"count 1\nkeys 1\n" K1 "\n" ID_A " 1\n", "line 7"},
	    {"count 1\nkeys 2\n" K1 "\n" K2 "\n" ID_A " 1,0\n", "line 8"},
	    {"count 1\nkeys 2\n" K1 "\n" K2 "\n" ID_A " 0,,1\n", "line 8"},
	    {"count 1\nkeys 2\n" K1 "\n" K2 "\n" ID_A " 0 1\n", "line 8"},
	    {"count 1\nkeys 2\n" K1 "\n" K2 "\n" ID_A " 0,1 \n", "line 8"},
	    {"count 1\nkeys 2\n" K2 "\n" K1 "\n" ID_A " 0\n", "line 7"},
	    {"count 1\nkeys 1\n" K1 "\n" ID_A " 0\n" ID_B " 0\n", "line 8"},
	    {"count 2\nkeys 1\n" K1 "\n" ID_A " 0\n", "line 8"},
	    {"count 1\nkeys 01\n", "line 5"},
	};
	char path[PATH_MAX], text[1024];
	size_t i;

	(void)state;
	snprintf(path, sizeof(path), "%s/bad.have", tmpdir);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		svd_have *h = NULL;
		int error;
		snprintf(text, sizeof(text),
		         "samvydav have 2\nmirror " MIRROR "\ncreated 2026-01-01T00:00:00Z\n%s",
		         cases[i].body);
		spit(path, text);
		error = svd_have_read(&h, path);
		if (!cases[i].line) {
			assert_int_equal(error, 0);
			svd_have_free(h);
			continue;
		}
		if (error != SVD_ECORRUPT || !strstr(svd_error_last(), cases[i].line))
			fail_msg("case %zu: %d, %s", i, error, svd_error_last());
		assert_null(h);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_items_round_trip),
	    cmocka_unit_test(test_items_refused),
	    cmocka_unit_test(test_sorted),
	    cmocka_unit_test(test_merge),
	    cmocka_unit_test(test_format_1_still_read),
	    cmocka_unit_test(test_format_2_refused),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
