/*
 * test_site_api.c: /api/items over a catalog (site_api.c) — pages that
 * cover the list once each, a cursor that survives a rebuild, each filter
 * against items chosen to tell right from nearly right (case, diacritics,
 * Cyrillic, same day, prefix against substring), and a must-fail case for
 * every way a parameter can be wrong.
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
#include <sodium.h>

#include "helpers.h"
#include "render_internal.h"
#include "samvydav/manifest.h"
#include "samvydav/render.h"
#include "site_internal.h"

/* A record for a view's reader to fill, of the enclosing block (one per call site). */
#define VB (&(svd_view_item){0})

#define FILLERS 20

typedef struct fixture_item {
	const char *title, *lang, *kind, *published, *created, *region, *author, *body;
} fixture_item;

/* ids: what the tests ask for by name */
enum { BREAD, SVID, WATER, CAFE, NOTE, NAMED };

static const fixture_item named[NAMED] = {
    {"Bread prices in Kherson", "uk", "article", "2024-05-01", "2024-05-01T10:00:00Z", "Kherson",
     "Olena Petrenko", "Prices rose sharply.\n"},
    {"\xd0\xa1\xd0\xb2\xd1\x96\xd0\xb4\xd1\x87\xd0\xb5\xd0\xbd\xd0\xbd\xd1\x8f \xd0\xb7 "
     "\xd0\x9c\xd0\xb0\xd1\x80\xd1\x96\xd1\x83\xd0\xbf\xd0\xbe\xd0\xbb\xd1\x8f", /* Свідчення з Маріуполя */
     "uk", "testimony", "2024-04-15", "2024-04-15T09:00:00Z",
     "\xd0\x9c\xd0\xb0\xd1\x80\xd1\x96\xd1\x83\xd0\xbf\xd0\xbe\xd0\xbb\xd1\x8c", /* Маріуполь */
     "\xd0\x86\xd0\xb2\xd0\xb0\xd0\xbd", "We remember.\n"},
    {"Water supply", "en", "article", "2024-04-15", "2024-04-15T12:00:00Z", "KHERSON", NULL,
     "Pumping stations restored.\n"},
    {"Caf\xc3\xa9 reopening", "en", "article", "2024-03-01", "2024-03-01T08:00:00Z", NULL,
     "Jos\xc3\xa9 N\xc3\xba\xc3\xb1\x65z", "Coffee again.\n"},
    {"Archive note", "de", "article", "2023-12-31", "2023-12-31T23:00:00Z", NULL, NULL,
     "Nothing.\n"},
};

static char ids[NAMED + FILLERS + 1][SVD_ID_HEX_LEN + 1];

static svd_manifest *make_manifest(const fixture_item *f)
{
	static const uint8_t sha[32] = {7};
	svd_manifest *m = NULL;
	svd_kind k;

	assert_int_equal(svd_manifest_new(&m), 0);
	assert_int_equal(svd_kind_parse(&k, f->kind), 0);
	assert_int_equal(svd_manifest_set_kind(m, k), 0);
	assert_int_equal(svd_manifest_set(m, "title", f->title), 0);
	assert_int_equal(svd_manifest_set(m, "lang", f->lang), 0);
	assert_int_equal(svd_manifest_set(m, "created", f->created), 0);
	if (f->published)
		assert_int_equal(svd_manifest_set(m, "published", f->published), 0);
	if (f->region)
		assert_int_equal(svd_manifest_set(m, "region", f->region), 0);
	if (f->author)
		assert_int_equal(svd_manifest_add_author(m, f->author), 0);
	assert_int_equal(svd_manifest_add_file(m, "body.md", strlen(f->body), sha), 0);
	assert_int_equal(svd_manifest_serialize(m), 0);
	return m;
}

static void add(svd_catalog *c, const fixture_item *f, char *id_out)
{
	svd_manifest *m = make_manifest(f);

	assert_int_equal(svd_catalog_add_manifest(c, m, f->body, strlen(f->body)), 0);
	if (id_out)
		snprintf(id_out, SVD_ID_HEX_LEN + 1, "%s", svd_manifest_id(m));
	svd_manifest_free(m);
}

static void add_filler(svd_catalog *c, int i, char *id_out)
{
	char title[64], created[32], published[16];
	fixture_item f = {title, "pl", "article", published, created, NULL, NULL, "Filler text.\n"};

	snprintf(title, sizeof(title), "Filler %d", i);
	/* pairs of fillers share a day: the order then rests on created */
	snprintf(published, sizeof(published), "2023-01-%02d", 1 + i / 2);
	snprintf(created, sizeof(created), "2023-01-%02dT%02d:00:00Z", 1 + i / 2, i % 24);
	add(c, &f, id_out);
}

/* The fixture's catalog: the named items, then the fillers; skip one index (or -1). */
static svd_catalog *catalog(int skip, const fixture_item *extra)
{
	svd_catalog *c = NULL;
	int i;

	assert_int_equal(svd_catalog_new(&c), 0);
	for (i = 0; i < NAMED; i++)
		if (i != skip)
			add(c, &named[i], ids[i]);
	for (i = 0; i < FILLERS; i++)
		if (NAMED + i != skip)
			add_filler(c, i, ids[NAMED + i]);
	if (extra)
		add(c, extra, ids[NAMED + FILLERS]);
	assert_int_equal(svd_catalog_finish(c), 0);
	return c;
}

static svd_catalog *cat;

static int setup(void **state)
{
	(void)state;
	svd_init();
	cat = catalog(-1, NULL);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	svd_catalog_free(cat);
	svd_shutdown();
	return 0;
}

/* Ask; the status, and the body (the caller's to free). */
static int ask(const svd_catalog *c, const char *query, char **body)
{
	svd_buf b;
	int status = svd_site_api_items(&b, c, query);

	assert_true(status > 0);
	*body = b.data ? b.data : strdup("");
	assert_non_null(*body);
	return status;
}

/* A page: the JSON, checked for its shape. */
static json_t *page(const svd_catalog *c, const char *query)
{
	json_error_t je;
	json_t *j, *items, *next;
	char *body;
	int status = ask(c, query, &body);

	if (status != 200)
		fail_msg("?%s: status %d: %s", query, status, body);
	if (!(j = json_loads(body, 0, &je)))
		fail_msg("?%s: not JSON (%s): %.300s", query, je.text, body);
	free(body);
	assert_true(json_is_object(j));
	assert_int_equal(json_object_size(j), 2);
	assert_true(json_is_array(items = json_object_get(j, "items")));
	next = json_object_get(j, "next");
	assert_true(json_is_null(next) || (json_is_string(next) &&
	                                   strlen(json_string_value(next)) == SVD_API_CURSOR_LEN));
	return j;
}

static const char *item_id(json_t *j, size_t i)
{
	return json_string_value(
	    json_object_get(json_array_get(json_object_get(j, "items"), i), "id"));
}

static size_t count(json_t *j)
{
	return json_array_size(json_object_get(j, "items"));
}

/* The page holds exactly these named items, in this order (-1 ends the list). */
static void expect_ids(const char *query, ...)
{
	json_t *j = page(cat, query);
	va_list ap;
	size_t n = 0;
	int k;

	va_start(ap, query);
	while ((k = va_arg(ap, int)) >= 0) {
		if (n >= count(j) || strcmp(item_id(j, n), ids[k]) != 0)
			fail_msg("?%s: item %zu is %s, not fixture %d", query, n,
			         n < count(j) ? item_id(j, n) : "(none)", k);
		n++;
	}
	va_end(ap);
	if (count(j) != n)
		fail_msg("?%s: %zu items, not %zu", query, count(j), n);
	assert_true(json_is_null(json_object_get(j, "next")));
	json_decref(j);
}

/* Refused with this status, the message holding want. */
static void expect_refused(const char *query, int status, const char *want)
{
	char *body;
	int got = ask(cat, query, &body);

	if (got != status || !strstr(body, want))
		fail_msg("?%.200s: status %d, not %d; body: %.300s (wanted \"%s\")", query, got,
		         status, body, want);
	free(body);
}

/* Everything, newest first; the fields; region only where the manifest has one. */
static void test_all(void **state)
{
	const svd_view *v = svd_catalog_view(cat);
	json_t *j = page(cat, NULL), *o;
	size_t i;

	(void)state;
	assert_int_equal(count(j), NAMED + FILLERS);
	assert_true(json_is_null(json_object_get(j, "next")));
	for (i = 0; i < count(j); i++)
		assert_string_equal(item_id(j, i), svd_view_row(VB, v, i)->id);
	assert_string_equal(item_id(j, 0), ids[BREAD]);
	o = json_array_get(json_object_get(j, "items"), 0);
	assert_string_equal(json_string_value(json_object_get(o, "title")), named[BREAD].title);
	assert_string_equal(json_string_value(json_object_get(o, "lang")), "uk");
	assert_string_equal(json_string_value(json_object_get(o, "kind")), "article");
	assert_string_equal(json_string_value(json_object_get(o, "date")), "2024-05-01");
	assert_string_equal(json_string_value(json_object_get(o, "region")), "Kherson");
	assert_int_equal(json_object_size(o), 6);
	o = json_array_get(json_object_get(j, "items"), 4);
	assert_string_equal(json_string_value(json_object_get(o, "id")), ids[NOTE]);
	assert_null(json_object_get(o, "region"));
	assert_int_equal(json_object_size(o), 5);
	json_decref(j);
	/* an empty query, and empty pairs, are no parameters */
	j = page(cat, "");
	assert_int_equal(count(j), NAMED + FILLERS);
	json_decref(j);
	j = page(cat, "&&limit=3&");
	assert_int_equal(count(j), 3);
	json_decref(j);
}

/* Pages of every size from 1 to past the end cover the list, each item once, in order. */
static void test_paging(void **state)
{
	const svd_view *v = svd_catalog_view(cat);
	char query[256];
	unsigned limit;

	(void)state;
	for (limit = 1; limit <= NAMED + FILLERS + 1; limit++) {
		char cursor[SVD_API_CURSOR_LEN + 1] = "";
		size_t seen = 0, pages = 0;

		for (;;) {
			json_t *j, *next;
			size_t i;

			snprintf(query, sizeof(query), "limit=%u%s%s", limit,
			         cursor[0] ? "&after=" : "", cursor);
			j = page(cat, query);
			pages++;
			assert_true(count(j) <= limit);
			for (i = 0; i < count(j); i++)
				assert_string_equal(item_id(j, i),
				                    svd_view_row(VB, v, seen + i)->id);
			seen += count(j);
			next = json_object_get(j, "next");
			if (json_is_null(next)) {
				json_decref(j);
				break;
			}
			/* a cursor only when there is more */
			assert_int_equal(count(j), limit);
			snprintf(cursor, sizeof(cursor), "%s", json_string_value(next));
			json_decref(j);
			assert_true(pages <= NAMED + FILLERS);
		}
		assert_int_equal(seen, NAMED + FILLERS);
		assert_int_equal(pages, (NAMED + FILLERS + limit - 1) / limit);
	}
}

/*
 * A cursor from one index goes on in the next: the item it names is gone
 * and a newer one came before it, and the next page is still the items
 * after it, none twice.
 */
static void test_cursor_survives_rebuild(void **state)
{
	fixture_item newer = {"Late news", "en", "article", "2024-04-20", "2024-04-20T00:00:00Z",
	                      NULL,        NULL, "Late.\n"};
	json_t *j1, *j2;
	char cursor[SVD_API_CURSOR_LEN + 1], query[256];
	svd_catalog *rebuilt;
	const char *second;
	int gone;

	(void)state;
	j1 = page(cat, "limit=2");
	assert_string_equal(item_id(j1, 0), ids[BREAD]);
	second = item_id(j1, 1);
	/* WATER and SVID share a day; WATER was created later, so it comes first */
	assert_string_equal(second, ids[WATER]);
	gone = WATER;
	snprintf(cursor, sizeof(cursor), "%s", json_string_value(json_object_get(j1, "next")));
	json_decref(j1);

	rebuilt = catalog(gone, &newer);
	snprintf(query, sizeof(query), "limit=2&after=%s", cursor);
	j2 = page(rebuilt, query);
	assert_string_equal(item_id(j2, 0), ids[SVID]);
	assert_string_equal(item_id(j2, 1), ids[CAFE]);
	json_decref(j2);
	svd_catalog_free(rebuilt);

	/* a cursor past the last item: an empty page */
	rebuilt = catalog(-1, NULL);
	snprintf(query, sizeof(query), "limit=%d", NAMED + FILLERS - 1);
	j1 = page(rebuilt, query);
	snprintf(query, sizeof(query), "after=%s", json_string_value(json_object_get(j1, "next")));
	json_decref(j1);
	j2 = page(rebuilt, query);
	assert_int_equal(count(j2), 1);
	json_decref(j2);
	svd_catalog_free(rebuilt);
}

static void test_filters(void **state)
{
	(void)state;
	/* lang: any case */
	expect_ids("lang=uk", BREAD, SVID, -1);
	expect_ids("lang=UK", BREAD, SVID, -1);
	expect_ids("lang=En", WATER, CAFE, -1);
	expect_ids("lang=fr", -1);
	/* kind */
	expect_ids("kind=testimony", SVID, -1);
	expect_ids("kind=correction", -1);
	/* region: as the manifest says it, case folded, in any script */
	expect_ids("region=kherson", BREAD, WATER, -1);
	expect_ids("region=KHERSON", BREAD, WATER, -1);
	expect_ids("region=%D0%BC%D0%B0%D1%80%D1%96%D1%83%D0%BF%D0%BE%D0%BB%D1%8C", SVID, -1);
	expect_ids("region=Kherson+Oblast", -1);
	/* since: on or after that day */
	expect_ids("since=2024-04-15", BREAD, WATER, SVID, -1);
	expect_ids("since=2024-04-16", BREAD, -1);
	expect_ids("since=2030-01-01", -1);
	/* together */
	expect_ids("lang=uk&since=2024-04-16", BREAD, -1);
	expect_ids("region=kherson&kind=article&lang=en", WATER, -1);
}

/*
 * Items without "published": after every dated item, the newest made
 * first, with a null date, under year=undated and under no year of their
 * "created"; since= leaves them out (they are dated on no day), and a
 * cursor goes on across the line between dated and undated.
 */
static void test_undated(void **state)
{
	static const fixture_item items[] = {
	    {"Old dated", "en", "article", "2020-01-02", "2020-01-02T00:00:00Z", NULL, NULL,
	     "A.\n"},
	    {"Undated, made late", "en", "article", NULL, "2026-12-04T10:00:00Z", NULL, NULL,
	     "B.\n"},
	    {"Dated, made later", "en", "article", "2024-06-01", "2026-12-05T00:00:00Z", NULL, NULL,
	     "C.\n"},
	    {"Undated, made early", "en", "testimony", NULL, "2019-05-05T05:00:00Z", NULL, NULL,
	     "D.\n"},
	};
	/* the order: C (2024), A (2020), then the undated: B (made 2026), D (made 2019) */
	static const int order[] = {2, 0, 1, 3};
	char id[4][SVD_ID_HEX_LEN + 1], query[256];
	const char *next;
	svd_catalog *c = NULL;
	json_t *j, *o;
	size_t i;

	(void)state;
	assert_int_equal(svd_catalog_new(&c), 0);
	for (i = 0; i < 4; i++)
		add(c, &items[i], id[i]);
	assert_int_equal(svd_catalog_finish(c), 0);
	j = page(c, NULL);
	assert_int_equal(count(j), 4);
	for (i = 0; i < 4; i++)
		assert_string_equal(item_id(j, i), id[order[i]]);
	o = json_array_get(json_object_get(j, "items"), 0);
	assert_string_equal(json_string_value(json_object_get(o, "date")), "2024-06-01");
	for (i = 2; i < 4; i++) {
		o = json_array_get(json_object_get(j, "items"), i);
		assert_true(json_is_null(json_object_get(o, "date")));
		assert_int_equal(json_object_size(o), 5);
	}
	json_decref(j);
	/* year= */
	j = page(c, "year=undated");
	assert_int_equal(count(j), 2);
	assert_string_equal(item_id(j, 0), id[1]);
	assert_string_equal(item_id(j, 1), id[3]);
	json_decref(j);
	j = page(c, "year=2026"); /* B was made in 2026, but published in no year */
	assert_int_equal(count(j), 0);
	json_decref(j);
	j = page(c, "year=2019");
	assert_int_equal(count(j), 0);
	json_decref(j);
	j = page(c, "year=2024");
	assert_int_equal(count(j), 1);
	assert_string_equal(item_id(j, 0), id[2]);
	json_decref(j);
	j = page(c, "year=undated&kind=testimony");
	assert_int_equal(count(j), 1);
	assert_string_equal(item_id(j, 0), id[3]);
	json_decref(j);
	/* since=: dated items only */
	j = page(c, "since=2019-01-01");
	assert_int_equal(count(j), 2);
	assert_string_equal(item_id(j, 0), id[2]);
	assert_string_equal(item_id(j, 1), id[0]);
	json_decref(j);
	/* one at a time, across the line */
	snprintf(query, sizeof(query), "limit=1");
	for (i = 0; i < 4; i++) {
		j = page(c, query);
		assert_int_equal(count(j), 1);
		assert_string_equal(item_id(j, 0), id[order[i]]);
		next = json_string_value(json_object_get(j, "next"));
		assert_true(i == 3 ? next == NULL : next != NULL);
		if (next)
			snprintf(query, sizeof(query), "limit=1&after=%s", next);
		json_decref(j);
	}
	svd_catalog_free(c);
}

/* q: as reader.js's search matches (matchToken), every word must match. */
static void test_words(void **state)
{
	(void)state;
	/* a prefix of a word of the body, title or authors (the postings) */
	expect_ids("q=pump", WATER, -1);
	expect_ids("q=PUMPING+stations", WATER, -1);
	expect_ids("q=coffee", CAFE, -1);
	expect_ids("q=remem", SVID, -1);
	/* inside a word only in title and authors: "umping" is in no title */
	expect_ids("q=umping", -1);
	expect_ids("q=rices", BREAD, -1);
	expect_ids("q=etrenk", BREAD, -1);
	/* folded: diacritics, case, Cyrillic capitals */
	expect_ids("q=cafe", CAFE, -1);
	expect_ids("q=NUNEZ", CAFE, -1);
	expect_ids("q=%D0%A1%D0%92%D0%86%D0%94", SVID, -1); /* СВІД */
	expect_ids("q=%D1%96%D0%B2%D0%B0%D0%BD", SVID, -1); /* іван, the author */
	/* one code point: titles and authors only (no shard) */
	expect_ids("q=k", BREAD, -1);
	/* every word */
	expect_ids("q=bread+kherson", BREAD, -1);
	expect_ids("q=bread+water", -1);
	expect_ids("q=water&lang=uk", -1);
	/* punctuation is no word: no filter */
	{
		json_t *j = page(cat, "q=%2C+%21");
		assert_int_equal(count(j), NAMED + FILLERS);
		json_decref(j);
		j = page(cat, "q=");
		assert_int_equal(count(j), NAMED + FILLERS);
		json_decref(j);
	}
	/* words with a page: fillers 0..19 all say "filler" */
	{
		json_t *j = page(cat, "q=filler&limit=15");
		char query[256];

		assert_int_equal(count(j), 15);
		snprintf(query, sizeof(query), "q=filler&limit=15&after=%s",
		         json_string_value(json_object_get(j, "next")));
		json_decref(j);
		j = page(cat, query);
		assert_int_equal(count(j), FILLERS - 15);
		assert_true(json_is_null(json_object_get(j, "next")));
		json_decref(j);
	}
}

/*
 * The daemon's catalog lets go of its manifests once the library is
 * written (svd_catalog_drop_manifests): /api/items answers the same bytes
 * from the view, and a page rendered with the manifest read again is the
 * page the whole catalog renders; a manifest that is not the item's is
 * refused.
 */
static void test_without_manifests(void **state)
{
	static const char *const queries[] = {
	    "",          "limit=3",          "q=pump",          "q=umping",        "q=etrenk",
	    "q=k",       "q=NUNEZ",          "q=%D1%96%D0%B2",  "q=bacor",         "q=cora+anna",
	    "q=ba",      "region=kherson",   "region=KHERSON",  "lang=UK&q=bread", "kind=testimony",
	    "year=2024", "since=2024-04-15", "q=filler&limit=4"};
	fixture_item two = {"Two authors",          "en",    "article", "2022-06-01",
	                    "2022-06-01T00:00:00Z", "Odesa", "Anna Ba", "Anything.\n"};
	svd_catalog *whole, *slim;
	svd_manifest *m, *other;
	svd_buf a, b;
	size_t i;

	(void)state;
	/* a second author: the reader folds "anna ba, cora di", never "anna bacora di" */
	{
		svd_manifest *mm = NULL;
		char id[SVD_ID_HEX_LEN + 1];

		assert_int_equal(svd_catalog_new(&whole), 0);
		assert_int_equal(svd_catalog_new(&slim), 0);
		for (i = 0; i < NAMED; i++) {
			add(whole, &named[i], ids[i]);
			add(slim, &named[i], NULL);
		}
		mm = make_manifest(&two);
		assert_int_equal(svd_manifest_add_author(mm, "Cora Di"), 0);
		assert_int_equal(svd_manifest_serialize(mm), 0);
		snprintf(id, sizeof(id), "%s", svd_manifest_id(mm));
		assert_int_equal(svd_catalog_add_manifest(whole, mm, two.body, strlen(two.body)),
		                 0);
		assert_int_equal(svd_catalog_add_manifest(slim, mm, two.body, strlen(two.body)), 0);
		svd_manifest_free(mm);
		assert_int_equal(svd_catalog_finish(whole), 0);
		assert_int_equal(svd_catalog_finish(slim), 0);
		svd_catalog_drop_manifests(slim);
		svd_catalog_drop_manifests(slim); /* twice: nothing more to let go */
		for (i = 0; i < sizeof(queries) / sizeof(*queries); i++) {
			char *x = NULL, *y = NULL;

			assert_int_equal(ask(whole, queries[i], &x), 200);
			assert_int_equal(ask(slim, queries[i], &y), 200);
			if (strcmp(x, y) != 0)
				fail_msg("%s: %s, without the manifests %s", queries[i], x, y);
			if (!strcmp(queries[i], "q=bacor"))
				assert_null(strstr(x, id)); /* no word runs across two authors */
			if (!strcmp(queries[i], "q=cora+anna") || !strcmp(queries[i], "q=ba"))
				assert_non_null(strstr(x, id));
			free(x);
			free(y);
		}
	}
	/* a page: the same bytes from the manifest read again */
	m = make_manifest(&named[WATER]);
	other = make_manifest(&named[BREAD]);
	svd_buf_init(&a, SVD_RENDER_PAGE_MAX);
	svd_buf_init(&b, SVD_RENDER_PAGE_MAX);
	assert_int_equal(svd_render_item(&a, whole, ids[WATER], NULL, named[WATER].body,
	                                 strlen(named[WATER].body)),
	                 0);
	assert_int_equal(svd_render_item_manifest(&b, slim, ids[WATER], m, named[WATER].body,
	                                          strlen(named[WATER].body)),
	                 0);
	assert_int_equal(a.len, b.len);
	assert_memory_equal(a.data, b.data, a.len);
	/* must fail: another item's manifest, none, an id not there, the catalog's own */
	b.len = 0;
	assert_int_equal(svd_render_item_manifest(&b, slim, ids[WATER], other, NULL, 0),
	                 SVD_ECORRUPT);
	assert_int_equal(svd_render_item_manifest(&b, slim, ids[WATER], NULL, NULL, 0),
	                 SVD_ECORRUPT);
	assert_int_equal(svd_render_item_manifest(&b, slim,
	                                          "00000000000000000000000000000000"
	                                          "00000000000000000000000000000000",
	                                          m, NULL, 0),
	                 SVD_ENOTFOUND);
	assert_int_equal(svd_render_item(&b, slim, ids[WATER], NULL, NULL, 0), SVD_EINVALID);
	svd_error_clear();
	svd_buf_clear(&a);
	svd_buf_clear(&b);
	svd_manifest_free(m);
	svd_manifest_free(other);
	svd_catalog_free(whole);
	svd_catalog_free(slim);
}

/* Every way a parameter can be wrong: 400 (414 for a long query), saying what and why. */
static void test_refused(void **state)
{
	char *huge, *cursor, query[512];
	json_t *j;
	size_t i;

	(void)state;
	/* keys */
	expect_refused("limit=1&limit=2", 400, "limit: given twice");
	expect_refused("q=a&q=b", 400, "q: given twice");
	expect_refused("offset=10", 400, "unknown parameter 'offset'");
	expect_refused("Limit=10", 400, "unknown parameter 'Limit'");
	expect_refused("=10", 400, "unknown parameter ''");
	expect_refused("%1B%5B31mx=1", 400, "unknown parameter '\\x1b[31mx'");
	expect_refused("%FF=1", 400, "not UTF-8");
	expect_refused("%00=1", 400, "not UTF-8");
	expect_refused("li%6Dit=1&limit=2", 400, "limit: given twice");
	expect_refused("%zz=1", 400, "not followed by two hex digits");
	/* values, whatever the key */
	expect_refused("q=%", 400, "q: a '%' that is not followed");
	expect_refused("q=%4", 400, "q: a '%' that is not followed");
	expect_refused("q=%G0", 400, "q: a '%' that is not followed");
	expect_refused("q=%C3%28", 400, "q: not UTF-8");
	expect_refused("q=%ED%A0%80", 400, "q: not UTF-8"); /* a surrogate */
	expect_refused("q=%C0%AF", 400, "q: not UTF-8");    /* overlong */
	expect_refused("region=a%0Ab", 400, "region: holds a control character");
	expect_refused("region=a%00b", 400, "region: holds a control character");
	expect_refused("q=a%7F", 400, "q: holds a control character");
	/* limit */
	expect_refused("limit=0", 400, "limit: not a whole number from 1 to 1000");
	expect_refused("limit=1001", 400, "limit: not a whole number from 1 to 1000");
	expect_refused("limit=-1", 400, "limit:");
	expect_refused("limit=+5", 400, "limit:");
	expect_refused("limit=5x", 400, "limit:");
	expect_refused("limit=99999999999999999999", 400, "limit:");
	expect_refused("limit=", 400, "limit: empty");
	expect_refused("limit", 400, "limit: empty");
	/* after */
	expect_refused("after=", 400, "after: empty");
	expect_refused("after=abc", 400, "after: not a cursor this mirror gives");
	j = page(cat, "limit=1");
	cursor = strdup(json_string_value(json_object_get(j, "next")));
	json_decref(j);
	assert_non_null(cursor);
	snprintf(query, sizeof(query), "after=%sA", cursor);
	expect_refused(query, 400, "after: not a cursor");
	snprintf(query, sizeof(query), "after=%.*s", SVD_API_CURSOR_LEN - 1, cursor);
	expect_refused(query, 400, "after: not a cursor");
	/* the same length, one character changed: the version byte */
	snprintf(query, sizeof(query), "after=%s", cursor);
	query[6] = query[6] == 'B' ? 'C' : 'B';
	expect_refused(query, 400, "after: not a cursor");
	/* base64 of the standard alphabet, not base64url */
	snprintf(query, sizeof(query), "after=%s", cursor);
	for (i = 6; query[i]; i++)
		if (query[i] == '-' || query[i] == '_')
			query[i] = query[i] == '-' ? '+' : '/';
	if (strcmp(query + 6, cursor) != 0)
		expect_refused(query, 400, "after: not a cursor");
	/*
	 * decodes, but says what no cursor says: another version (1: from before
	 * undated items sorted last, whose keys meant another place), a byte
	 * after a field's end
	 */
	{
		unsigned char bin[63] = {2};
		char made[SVD_API_CURSOR_LEN + 1];

		memcpy(bin + 1, "2024-05-01", 10);
		memcpy(bin + 11, "2024-05-01T10:00:00Z", 20);
		sodium_bin2base64(made, sizeof(made), bin, sizeof(bin),
		                  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
		snprintf(query, sizeof(query), "after=%s", made);
		j = page(cat, query); /* well formed: taken */
		json_decref(j);
		for (bin[0] = 1; bin[0] <= 3; bin[0] += 2) {
			sodium_bin2base64(made, sizeof(made), bin, sizeof(bin),
			                  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
			snprintf(query, sizeof(query), "after=%s", made);
			expect_refused(query, 400, "after: not a cursor");
		}
		bin[0] = 2;
		memcpy(bin + 11, "2024\0x", 6);
		sodium_bin2base64(made, sizeof(made), bin, sizeof(bin),
		                  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
		snprintf(query, sizeof(query), "after=%s", made);
		expect_refused(query, 400, "after: not a cursor");
		memcpy(bin + 11, "2024\x01", 5);
		sodium_bin2base64(made, sizeof(made), bin, sizeof(bin),
		                  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
		snprintf(query, sizeof(query), "after=%s", made);
		expect_refused(query, 400, "after: not a cursor");
	}
	free(cursor);
	/* lang */
	expect_refused("lang=", 400, "lang: empty");
	expect_refused("lang=en_GB", 400, "lang: not a language tag");
	expect_refused("lang=-en", 400, "lang: not a language tag");
	expect_refused("lang=%D1%83%D0%BA", 400, "lang: not a language tag");
	expect_refused("lang=abcdefghijklmnopqrstuvwxyzabcdefghij", 400,
	               "lang: not a language tag");
	/* kind */
	expect_refused("kind=articles", 400,
	               "kind: not a kind of item (one of: article, testimony");
	expect_refused("kind=Article", 400, "kind: not a kind");
	expect_refused("kind=", 400, "kind: empty");
	/* region */
	expect_refused("region=", 400, "region: empty");
	/* since */
	expect_refused("since=2024-02-30", 400, "since: not a date YYYY-MM-DD");
	expect_refused("since=2023-02-29", 400, "since: not a date");
	expect_refused("since=2024-13-01", 400, "since: not a date");
	expect_refused("since=2024-00-10", 400, "since: not a date");
	expect_refused("since=2024-1-01", 400, "since: not a date");
	expect_refused("since=2024-01-01T00:00:00Z", 400, "since: not a date");
	expect_refused("since=yesterday", 400, "since: not a date");
	expect_refused("since=", 400, "since: empty");
	j = page(cat, "since=2024-02-29"); /* a leap day is a day */
	json_decref(j);
	/* year: four digits, or "undated" as it is spelt */
	expect_refused("year=24", 400, "year: not a year YYYY (such as 2024) or undated");
	expect_refused("year=20245", 400, "year: not a year");
	expect_refused("year=0000", 400, "year: not a year");
	expect_refused("year=2024-05", 400, "year: not a year");
	expect_refused("year=Undated", 400, "year: not a year");
	expect_refused("year=none", 400, "year: not a year");
	expect_refused("year=", 400, "year: empty");
	expect_refused("year=2024&year=2023", 400, "year: given twice");
	/* q: words bounded */
	expect_refused("q=a+b+c+d+e+f+g+h+i+j+k+l+m+n+o+p+q+r+s+t+u+v+w+x+y+z+aa+bb+cc+dd+ee+ff+gg",
	               400, "q: more than 32 words");
	/* a value over its bound, and a query over its bound */
	huge = malloc(SVD_SITE_QUERY_MAX + 16);
	assert_non_null(huge);
	memcpy(huge, "q=", 2);
	memset(huge + 2, 'a', SVD_API_VALUE_MAX + 1);
	huge[SVD_API_VALUE_MAX + 3] = '\0';
	expect_refused(huge, 400, "q: over 1024 bytes");
	memset(huge + 2, 'a', SVD_SITE_QUERY_MAX);
	huge[SVD_SITE_QUERY_MAX + 2] = '\0';
	expect_refused(huge, 414, "the query is over 4096 bytes");
	free(huge);
}

/* The parser alone: defaults, decoding, a NUL in the raw bytes. */
static void test_parse(void **state)
{
	svd_api_query *q = NULL;

	(void)state;
	assert_int_equal(svd_api_query_parse(&q, NULL, 0), 0);
	assert_int_equal(q->limit, SVD_API_LIMIT_DEFAULT);
	assert_int_equal(q->kind, -1);
	assert_false(q->after);
	assert_null(q->lang);
	assert_null(q->region);
	assert_int_equal(q->nwords, 0);
	svd_api_query_free(q);
	assert_int_equal(svd_api_query_parse(&q, "q=Caf%C3%A9+au-LAIT&lang=en-GB&limit=7", 38), 0);
	assert_int_equal(q->limit, 7);
	assert_string_equal(q->lang, "en-GB");
	assert_int_equal(q->nwords, 3);
	assert_string_equal(q->words[0], "cafe");
	assert_string_equal(q->words[1], "au");
	assert_string_equal(q->words[2], "lait");
	svd_api_query_free(q);
	assert_int_equal(svd_api_query_parse(&q, "region=Kyi%CC%88v", 17), 0);
	/* combining marks are dropped by the fold */
	assert_string_equal(q->region, "kyiv");
	svd_api_query_free(q);
	assert_int_equal(svd_api_query_parse(&q, "q=a\0b", 5), SVD_EINVALID);
	assert_null(q);
	/* the length is judged before a byte is read */
	assert_int_equal(svd_api_query_parse(&q, "x", SVD_SITE_QUERY_MAX + 1), SVD_ETOOBIG);
	assert_null(q);
	svd_api_query_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_all),
	    cmocka_unit_test(test_paging),
	    cmocka_unit_test(test_cursor_survives_rebuild),
	    cmocka_unit_test(test_filters),
	    cmocka_unit_test(test_undated),
	    cmocka_unit_test(test_words),
	    cmocka_unit_test(test_without_manifests),
	    cmocka_unit_test(test_refused),
	    cmocka_unit_test(test_parse),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
