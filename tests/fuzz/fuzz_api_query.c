/*
 * fuzz_api_query.c: the query of /api/items — bytes to
 * svd_api_query_parse() as they are (NULs included), then as the service
 * gets them (a C string, cut at a NUL) to svd_site_api_items() over a small
 * catalog made on the first input. Whatever parses is within its bounds;
 * every answer is 200 with JSON of at most limit items of the catalog and a
 * cursor or null, or 400/414 with one line of text holding no control
 * character and nothing that is not UTF-8 (a refused key is escaped).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "fuzz.h"
#include "render_internal.h"
#include "samvydav/manifest.h"
#include "samvydav/render.h"
#include "samvydav/text.h"
#include "site_internal.h"
#include "util.h"

static svd_catalog *cat;

/* An item published on day, or undated (made on day) when undated is set. */
static void add(const char *title, const char *lang, const char *day, int undated,
                const char *region, const char *author, const char *body)
{
	static const uint8_t sha[32] = {9};
	static int n;
	svd_manifest *m = NULL;
	char created[32];

	snprintf(created, sizeof(created), "%.10sT%02d:00:00Z", day, n++ % 24);
	if (svd_manifest_new(&m) < 0 || svd_manifest_set_kind(m, SVD_KIND_ARTICLE) < 0 ||
	    svd_manifest_set(m, "title", title) < 0 || svd_manifest_set(m, "lang", lang) < 0 ||
	    svd_manifest_set(m, "created", created) < 0 ||
	    (!undated && svd_manifest_set(m, "published", day) < 0) ||
	    (region && svd_manifest_set(m, "region", region) < 0) ||
	    (author && svd_manifest_add_author(m, author) < 0) ||
	    svd_manifest_add_file(m, "body.md", strlen(body), sha) < 0 ||
	    svd_manifest_serialize(m) < 0 ||
	    svd_catalog_add_manifest(cat, m, body, strlen(body)) < 0)
		abort();
	svd_manifest_free(m);
}

static void make_catalog(void)
{
	int i;

	if (svd_catalog_new(&cat) < 0)
		abort();
	add("Bread prices in Kherson", "uk", "2024-05-01", 0, "Kherson", "Olena", "Prices rose.\n");
	add("\xd0\xa1\xd0\xb2\xd1\x96\xd0\xb4\xd1\x87\xd0\xb5\xd0\xbd\xd0\xbd\xd1\x8f", "uk",
	    "2024-04-15", 0,
	    "\xd0\x9c\xd0\xb0\xd1\x80\xd1\x96\xd1\x83\xd0\xbf\xd0\xbe\xd0\xbb\xd1\x8c", NULL,
	    "We remember.\n");
	add("Caf\xc3\xa9", "en", "2024-04-15", 0, "KHERSON", "Jos\xc3\xa9", "Coffee again.\n");
	for (i = 0; i < 12; i++) {
		char t[32], d[16];

		snprintf(t, sizeof(t), "Filler %d", i);
		snprintf(d, sizeof(d), "2023-0%d-1%d", 1 + i % 9, i % 10);
		/* every fourth undated: after the dated ones, year=undated */
		add(t, i % 2 ? "pl" : "en", d, i % 4 == 3, i % 3 ? NULL : "Lviv", NULL,
		    "Filler text.\n");
	}
	if (svd_catalog_finish(cat) < 0)
		abort();
}

/* What a parsed query can never hold. */
static void check_query(const svd_api_query *q)
{
	size_t i;

	if (q->limit < 1 || q->limit > SVD_API_LIMIT_MAX || q->nwords > SVD_API_WORDS_MAX)
		abort();
	if (q->lang && (strlen(q->lang) < 1 || strlen(q->lang) > 35))
		abort();
	if (q->since[0] && strlen(q->since) != 10)
		abort();
	if (q->year[0] && strlen(q->year) != 4 && strcmp(q->year, "undated") != 0)
		abort();
	if (q->after && strlen(q->after_id) != SVD_ID_HEX_LEN)
		abort();
	for (i = 0; i < q->nwords; i++)
		if (!q->words[i][0] || !svd_utf8_valid(q->words[i], strlen(q->words[i])))
			abort();
}

/* One answer to a query, as the service gives it. */
static void check_answer(const char *query)
{
	svd_api_query *q = NULL;
	json_t *j, *items, *next;
	svd_buf b;
	size_t i;
	int status = svd_site_api_items(&b, cat, query);

	if (status < 0)
		abort(); /* no memory: not in a fuzz run */
	if (status != 200) {
		const char *nl;

		if ((status != 400 && status != 414) || !b.data)
			abort();
		/* one line, UTF-8, no control character: a hostile key is shown escaped */
		nl = strchr(b.data, '\n');
		if (!nl || (size_t)(nl - b.data) != b.len - 1 || !svd_utf8_valid(b.data, b.len))
			abort();
		for (i = 0; i + 1 < b.len; i++)
			if ((unsigned char)b.data[i] < 0x20 || b.data[i] == 0x7f)
				abort();
		svd_buf_clear(&b);
		return;
	}
	if (svd_api_query_parse(&q, query, strlen(query)) < 0)
		abort(); /* answered, so it parses */
	if (!(j = json_loadb(b.data, b.len, 0, NULL)) || !json_is_object(j) ||
	    !json_is_array(items = json_object_get(j, "items")) ||
	    json_array_size(items) > q->limit || !(next = json_object_get(j, "next")))
		abort();
	if (!json_is_null(next) &&
	    (!json_is_string(next) || strlen(json_string_value(next)) != SVD_API_CURSOR_LEN ||
	     json_array_size(items) != q->limit))
		abort();
	for (i = 0; i < json_array_size(items); i++) {
		const char *id = json_string_value(json_object_get(json_array_get(items, i), "id"));
		json_t *date = json_object_get(json_array_get(items, i), "date");

		if (!id || !svd_view_shows(svd_catalog_view(cat), id))
			abort();
		/* YYYY-MM-DD, or null for an undated item (and only one: year=undated) */
		if (json_is_null(date)
		        ? q->year[0] && strcmp(q->year, "undated") != 0
		        : !json_is_string(date) || strlen(json_string_value(date)) != 10 ||
		              !strcmp(q->year, "undated"))
			abort();
	}
	json_decref(j);
	svd_api_query_free(q);
	svd_buf_clear(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	svd_api_query *q = NULL;
	char *s;

	fuzz_init();
	if (!cat)
		make_catalog();
	/* the raw bytes, NULs and all */
	if (svd_api_query_parse(&q, (const char *)data, size) == 0) {
		check_query(q);
		svd_api_query_free(q);
	}
	/* as the service sees it: a C string */
	if (!(s = malloc(size + 1)))
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	check_answer(s);
	free(s);
	return 0;
}
