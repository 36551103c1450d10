/*
 * test_manifest.c: the manifest schema, its canonical bytes and the item id.
 *
 * Must-fail cases come one per way a manifest can lie; the passing cases use
 * the 84 records of the seed corpus (Latin with diacritics, Greek, Cyrillic).
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
#include <jansson.h>
#include <sodium.h>
#include <utf8proc.h>

#include "helpers.h"
#include "samvydav/manifest.h"
#include "canon.h"
#include "util.h"

#define ID_A     "3f9a0c1b2d3e4f5061728394a5b6c7d8e9f00112233445566778899aabbccdde"
#define ID_UPPER "3F9A0C1B2D3E4F5061728394A5B6C7D8E9F00112233445566778899AABBCCDDE"
#define ID_SHORT "3f9a0c1b2d3e4f5061728394a5b6c7d8e9f00112233445566778899aabbccdd"
#define ID_B     "7c1b000000000000000000000000000000000000000000000000000000000001"
#define HASH     "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

/* The worked example of SPEC-manifest.md; the test checks both the bytes and the id. */
#define EX_TITLE                                                                                                                                                         \
	"Ρώσοι στρατιώτες κατηγορούνται για στοχευμένες επιθέσεις κατά των ομοφυλοφίλων στην " \
	"Ουκρανία"
#define EX_BODY_SHA256 "8f4fd7eeacc6571e3f9a006b2b33d75c2c252d45ecefc99668319823f3aa0193"
#define EX_BYTES                                                                                   \
	"{\"authors\":[\"Finbarr Toesland\"],\"created\":\"2022-11-26T09:30:00Z\",\"files\":[{"    \
	"\"path\":\"body.md\",\"sha256\":\"" EX_BODY_SHA256 "\",\"size\":177}],\"format\":1,"      \
	"\"kind\":\"article\",\"lang\":\"el\",\"published\":\"2022-11-25\",\"region\":"            \
	"\"Херсонська область\",\"source\":\"https://example.org/el/2022/11/25/"  \
	"rosoi-stratiotes\",\"tags\":[\"Kherson\",\"LGBT\",\"occupation\"],\"title\":\"" EX_TITLE  \
	"\"}"
#define EX_ID "1457ef7b015c5caab4f88cd225fdbf9499562ac79c14ccb103f1f402b591fab3"

static uint8_t zero_hash[32];

static int setup(void **state)
{
	(void)state;
	return sodium_init() < 0 ? -1 : 0;
}

/* A good manifest as a jansson value, to change one thing in. */
static json_t *base(void)
{
	json_t *v =
	    json_pack("{s:i, s:s, s:s, s:s, s:s, s:[s], s:s, s:[{s:s, s:s, s:i}]}", "format", 1,
	              "kind", "article", "title", "Ουκρανικά ερωτήματα", "lang", "el", "created",
	              "2022-10-04T08:00:00Z", "authors", "Daria Saburova", "published",
	              "2022-10-03", "files", "path", "body.md", "sha256", HASH, "size", 1234);

	assert_non_null(v);
	return v;
}

static json_t *file(const char *path, const char *sha256, json_int_t size)
{
	json_t *f = json_pack("{s:s, s:s, s:I}", "path", path, "sha256", sha256, "size", size);

	assert_non_null(f);
	return f;
}

/* Canonical bytes of v (the canon layer must not be what refuses it). */
static void dump(char **out, size_t *len, json_t *v)
{
	if (svd_canon_dump(out, len, v) != 0)
		fail_msg("cannot dump: %s", svd_error_last());
}

static svd_manifest *accept_json(json_t *v)
{
	svd_manifest *m = NULL;
	size_t len;
	char *bytes = NULL;

	dump(&bytes, &len, v);
	if (svd_manifest_parse(&m, bytes, len) != 0)
		fail_msg("refused %s: %s", bytes, svd_error_last());
	free(bytes);
	json_decref(v);
	return m;
}

static void refuse_bytes(const char *bytes, size_t len, const char *needle)
{
	svd_manifest *m = (svd_manifest *)1;
	int rc = svd_manifest_parse(&m, bytes, len);

	if (rc != SVD_ECORRUPT)
		fail_msg("parse gave %d, not SVD_ECORRUPT, for %.*s", rc, (int)len, bytes);
	assert_null(m);
	th_expect_msg(needle);
}

static void refuse_json(json_t *v, const char *needle)
{
	size_t len;
	char *bytes = NULL;

	dump(&bytes, &len, v);
	refuse_bytes(bytes, len, needle);
	free(bytes);
	json_decref(v);
}

/* The base manifest with key set to value (stolen; NULL deletes the key), refused. */
static void refuse_field(const char *key, json_t *value, const char *needle)
{
	json_t *v = base();

	if (value)
		json_object_set_new(v, key, value);
	else
		json_object_del(v, key);
	refuse_json(v, needle);
}

static void accept_field(const char *key, json_t *value)
{
	json_t *v = base();

	json_object_set_new(v, key, value);
	svd_manifest_free(accept_json(v));
}

static void refuse_files(json_t *files, const char *needle)
{
	refuse_field("files", files, needle);
}

/* A manifest being built, with everything required and one file. */
static svd_manifest *builder(void)
{
	svd_manifest *m = NULL;

	assert_int_equal(svd_manifest_new(&m), 0);
	assert_int_equal(svd_manifest_set(m, "title",
	                                  "Ein Brief aus Kiew an die russische "
	                                  "Bevölkerung"),
	                 0);
	assert_int_equal(svd_manifest_set(m, "lang", "de"), 0);
	assert_int_equal(svd_manifest_set(m, "created", "2022-03-04T12:00:00Z"), 0);
	assert_int_equal(svd_manifest_add_file(m, "body.md", 42, zero_hash), 0);
	return m;
}

static void refuse_serialize(svd_manifest *m, const char *needle)
{
	int rc = svd_manifest_serialize(m);

	if (rc != SVD_EINVALID)
		fail_msg("serialize gave %d, not SVD_EINVALID", rc);
	assert_null(svd_manifest_id(m));
	th_expect_msg(needle);
	svd_manifest_free(m);
}

/* Serialize, parse the bytes back, and check that nothing moved. */
static svd_manifest *round_trip(svd_manifest *m)
{
	svd_manifest *p = NULL;
	const char *bytes;
	unsigned char hash[32];
	char hex[65];
	size_t len, len2, i;

	if (svd_manifest_serialize(m) != 0)
		fail_msg("serialize: %s", svd_error_last());
	bytes = svd_manifest_bytes(m, &len);
	assert_non_null(bytes);
	assert_int_equal(strlen(bytes), len);
	if (svd_manifest_parse(&p, bytes, len) != 0)
		fail_msg("parse of our own bytes %s: %s", bytes, svd_error_last());
	assert_string_equal(svd_manifest_bytes(p, &len2), bytes);
	assert_int_equal(len2, len);
	assert_string_equal(svd_manifest_id(p), svd_manifest_id(m));
	crypto_hash_sha256(hash, (const unsigned char *)bytes, len);
	svd_hex_encode(hex, hash, 32);
	assert_string_equal(svd_manifest_id(m), hex);
	assert_true(svd_id_valid(svd_manifest_id(m)));
	assert_int_equal(svd_manifest_kind(p), svd_manifest_kind(m));
	for (i = 0; i < 9; i++) {
		static const char *const names[] = {"title",  "lang",       "created",
		                                    "kind",   "published",  "source",
		                                    "region", "supersedes", "retracts"};
		const char *a = svd_manifest_get(m, names[i]), *b = svd_manifest_get(p, names[i]);

		if (a || b) {
			assert_non_null(a);
			assert_non_null(b);
			assert_string_equal(a, b);
		}
	}
	assert_int_equal(svd_manifest_author_count(p), svd_manifest_author_count(m));
	for (i = 0; i < svd_manifest_author_count(m); i++)
		assert_string_equal(svd_manifest_author(p, i), svd_manifest_author(m, i));
	assert_int_equal(svd_manifest_tag_count(p), svd_manifest_tag_count(m));
	for (i = 0; i < svd_manifest_tag_count(m); i++)
		assert_string_equal(svd_manifest_tag(p, i), svd_manifest_tag(m, i));
	assert_int_equal(svd_manifest_file_count(p), svd_manifest_file_count(m));
	for (i = 0; i < svd_manifest_file_count(m); i++) {
		const svd_manifest_file *f = svd_manifest_file_at(m, i),
		                        *g = svd_manifest_file_at(p, i);

		assert_string_equal(f->path, g->path);
		assert_int_equal(f->size, g->size);
		assert_memory_equal(f->sha256, g->sha256, 32);
	}
	return p;
}

/* ---- passing cases ---- */

static void test_base_is_accepted(void **state)
{
	svd_manifest *m;
	const svd_manifest_file *f;

	(void)state;
	m = accept_json(base());
	assert_int_equal(svd_manifest_kind(m), SVD_KIND_ARTICLE);
	assert_string_equal(svd_manifest_get(m, "kind"), "article");
	assert_string_equal(svd_manifest_get(m, "title"), "Ουκρανικά ερωτήματα");
	assert_string_equal(svd_manifest_get(m, "lang"), "el");
	assert_string_equal(svd_manifest_get(m, "published"), "2022-10-03");
	assert_string_equal(svd_manifest_get(m, "created"), "2022-10-04T08:00:00Z");
	assert_null(svd_manifest_get(m, "source"));
	assert_null(svd_manifest_get(m, "region"));
	assert_null(svd_manifest_get(m, "supersedes"));
	assert_null(svd_manifest_get(m, "retracts"));
	assert_null(svd_manifest_get(m, "format"));
	assert_null(svd_manifest_get(m, "no-such-field"));
	assert_int_equal(svd_manifest_author_count(m), 1);
	assert_string_equal(svd_manifest_author(m, 0), "Daria Saburova");
	assert_null(svd_manifest_author(m, 1));
	assert_int_equal(svd_manifest_tag_count(m), 0);
	assert_null(svd_manifest_tag(m, 0));
	assert_int_equal(svd_manifest_file_count(m), 1);
	f = svd_manifest_file_at(m, 0);
	assert_string_equal(f->path, "body.md");
	assert_int_equal(f->size, 1234);
	assert_int_equal(f->sha256[0], 0xe3);
	assert_int_equal(f->sha256[31], 0x55);
	assert_ptr_equal(svd_manifest_file_find(m, "body.md"), f);
	assert_null(svd_manifest_file_find(m, "BODY.md"));
	assert_null(svd_manifest_file_at(m, 1));
	svd_manifest_free(m);
}

static void test_id_is_sha256_of_bytes(void **state)
{
	json_t *v = base();
	svd_manifest *m = NULL;
	unsigned char hash[32];
	char hex[65];
	size_t len, blen;
	char *bytes = NULL;

	(void)state;
	dump(&bytes, &len, v);
	assert_int_equal(svd_manifest_parse(&m, bytes, len), 0);
	crypto_hash_sha256(hash, (const unsigned char *)bytes, len);
	svd_hex_encode(hex, hash, 32);
	assert_string_equal(svd_manifest_id(m), hex);
	assert_memory_equal(svd_manifest_bytes(m, &blen), bytes, len);
	assert_int_equal(blen, len);
	svd_manifest_free(m);
	free(bytes);
	json_decref(v);
}

static void test_worked_example(void **state)
{
	svd_manifest *m = NULL, *p;
	uint8_t sha[32];
	size_t len;

	(void)state;
	assert_int_equal(svd_manifest_new(&m), 0);
	assert_int_equal(svd_manifest_set_kind(m, SVD_KIND_ARTICLE), 0);
	assert_int_equal(svd_manifest_set(m, "title", EX_TITLE), 0);
	assert_int_equal(svd_manifest_set(m, "lang", "el"), 0);
	assert_int_equal(svd_manifest_add_author(m, "Finbarr Toesland"), 0);
	assert_int_equal(svd_manifest_set(m, "published", "2022-11-25"), 0);
	assert_int_equal(svd_manifest_set(m, "created", "2022-11-26T09:30:00Z"), 0);
	assert_int_equal(
	    svd_manifest_set(m, "source", "https://example.org/el/2022/11/25/rosoi-stratiotes"), 0);
	assert_int_equal(svd_manifest_set(m, "region", "Херсонська область"), 0);
	assert_int_equal(svd_manifest_add_tag(m, "occupation"), 0);
	assert_int_equal(svd_manifest_add_tag(m, "Kherson"), 0);
	assert_int_equal(svd_manifest_add_tag(m, "LGBT"), 0);
	assert_int_equal(svd_hex_decode(sha, 32, EX_BODY_SHA256), 0);
	assert_int_equal(svd_manifest_add_file(m, "body.md", 177, sha), 0);
	p = round_trip(m);
	if (strcmp(svd_manifest_bytes(m, &len), EX_BYTES) != 0)
		fail_msg("bytes:\n%s\nexpected:\n%s", svd_manifest_bytes(m, &len), EX_BYTES);
	if (strcmp(svd_manifest_id(m), EX_ID) != 0)
		fail_msg("id %s, the spec says %s", svd_manifest_id(m), EX_ID);
	svd_manifest_free(p);
	svd_manifest_free(m);
}

static void test_passes_cyrillic_greek_latin(void **state)
{
	static const char *const titles[] = {
	    "Обращение к россиянам от украинского социалиста",
	    ("Макс пошёл, чтобы с оружием в руках защищать те же ценности, за которые боролся "
	     "всю жизнь"),
	    "Ουκρανικά ερωτήματα",
	    "Tragédia ukrajinskej triedy\xC2\xA0pracujúcich",
	    "¿Dónde está la gente de Bucha?",
	    "Ucrânia: A paz em Donbas “requer a retirada completa das forças armadas russas”",
	    "Volodimir Artiuh: Rusia nu vrea să cucerească Ucraina ca pe o colonie",
	    "\"Le bus avait une inscription \" Ecole \" écrit en ukrainien",
	    "C:\\path with a backslash \\ and \"quotes\"",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(titles) / sizeof(titles[0]); i++) {
		svd_manifest *m = builder(), *p;

		assert_int_equal(svd_manifest_set(m, "title", titles[i]), 0);
		assert_int_equal(svd_manifest_add_author(m, "Александр Володарский"), 0);
		assert_int_equal(svd_manifest_add_author(m, "Léa Masseguin"), 0);
		assert_int_equal(svd_manifest_add_tag(m, "Україна"), 0);
		assert_int_equal(svd_manifest_set(m, "region", "Ζαπορίζια"), 0);
		assert_int_equal(svd_manifest_add_file(m, "фото-1.jpg", 99, zero_hash), 0);
		p = round_trip(m);
		assert_string_equal(svd_manifest_get(p, "title"), titles[i]);
		assert_string_equal(svd_manifest_author(p, 0), "Александр Володарский");
		assert_non_null(svd_manifest_file_find(p, "фото-1.jpg"));
		svd_manifest_free(p);
		svd_manifest_free(m);
	}
}

/* A manifest for one corpus record, with body.md holding the title. */
static svd_manifest *from_record(const json_t *rec)
{
	const char *title = json_string_value(json_object_get(rec, "title"));
	const char *byline = json_string_value(json_object_get(rec, "byline"));
	const char *published = json_string_value(json_object_get(rec, "published"));
	uint8_t sha[32];
	svd_manifest *m = NULL;

	assert_non_null(title);
	assert_int_equal(svd_manifest_new(&m), 0);
	assert_int_equal(svd_manifest_set(m, "title", title), 0);
	if (svd_manifest_set(m, "lang", json_string_value(json_object_get(rec, "lang"))) != 0)
		fail_msg("%s", svd_error_last());
	if (byline && *byline)
		assert_int_equal(svd_manifest_add_author(m, byline), 0);
	if (published)
		assert_int_equal(svd_manifest_set(m, "published", published), 0);
	assert_int_equal(svd_manifest_set(m, "created", "2024-05-01T10:00:00Z"), 0);
	crypto_hash_sha256(sha, (const unsigned char *)title, strlen(title));
	assert_int_equal(svd_manifest_add_file(m, "body.md", strlen(title), sha), 0);
	return m;
}

static void test_seed_corpus(void **state)
{
	char path[PATH_MAX];
	json_error_t err;
	json_t *doc, *items;
	char(*ids)[65];
	size_t i, j, n, greek = 0, cyrillic = 0, langs = 0;
	const char *seen[16];

	(void)state;
	th_fixture_path(path, sizeof(path), "corpus/seed-articles.json");
	doc = json_load_file(path, 0, &err);
	if (!doc)
		fail_msg("%s: %s", path, err.text);
	items = json_object_get(doc, "items");
	n = json_array_size(items);
	assert_int_equal(n, 84);
	ids = calloc(n, sizeof(*ids));
	assert_non_null(ids);
	for (i = 0; i < n; i++) {
		const json_t *rec = json_array_get(items, i);
		const char *lang = json_string_value(json_object_get(rec, "lang"));
		const char *title = json_string_value(json_object_get(rec, "title"));
		svd_manifest *m = from_record(rec), *p, *again;

		p = round_trip(m);
		strcpy(ids[i], svd_manifest_id(m));
		/* the same record gives the same id, built again or serialized twice */
		again = from_record(rec);
		assert_int_equal(svd_manifest_serialize(again), 0);
		assert_string_equal(svd_manifest_id(again), ids[i]);
		assert_int_equal(svd_manifest_serialize(again), 0);
		assert_string_equal(svd_manifest_id(again), ids[i]);
		assert_string_equal(svd_manifest_get(p, "title"), title);
		assert_string_equal(svd_manifest_get(p, "lang"), lang);
		for (j = 0; j < langs && strcmp(seen[j], lang) != 0; j++)
			;
		if (j == langs && langs < 16)
			seen[langs++] = lang;
		greek += strstr(title, "\xCE") != NULL;    /* U+0380..U+03BF */
		cyrillic += strstr(title, "\xD0") != NULL; /* U+0400..U+043F */
		svd_manifest_free(again);
		svd_manifest_free(p);
		svd_manifest_free(m);
	}
	assert_int_equal(langs, 10);
	assert_true(greek >= 2);
	assert_true(cyrillic >= 2);
	/* ids differ unless the records do */
	for (i = 0; i < n; i++) {
		for (j = i + 1; j < n; j++) {
			int same = json_equal(json_array_get(items, i), json_array_get(items, j));

			assert_int_equal(strcmp(ids[i], ids[j]) == 0, same);
		}
	}
	free(ids);
	json_decref(doc);
}

static void test_builder_keeps_order(void **state)
{
	svd_manifest *m = builder(), *p;
	size_t i;

	(void)state;
	assert_int_equal(svd_manifest_add_author(m, "Zoe"), 0);
	assert_int_equal(svd_manifest_add_author(m, "Adam"), 0);
	assert_int_equal(svd_manifest_add_author(m, "Zoe"), 0); /* a namesake is allowed */
	assert_int_equal(svd_manifest_add_tag(m, "war"), 0);
	assert_int_equal(svd_manifest_add_tag(m, "Donbas"), 0);
	assert_int_equal(svd_manifest_add_tag(m, "війна"), 0);
	assert_int_equal(svd_manifest_add_tag(m, "war"), 0); /* again: no change */
	assert_int_equal(svd_manifest_add_tag(m, "Zaporizhzhia"), 0);
	assert_int_equal(svd_manifest_add_file(m, "z.txt", 1, zero_hash), 0);
	assert_int_equal(svd_manifest_add_file(m, "B.txt", 2, zero_hash), 0);
	assert_int_equal(svd_manifest_add_file(m, "a.txt", 3, zero_hash), 0);
	assert_int_equal(svd_manifest_add_file(m, "фото.jpg", 4, zero_hash), 0);
	assert_int_equal(svd_manifest_author_count(m), 3);
	assert_string_equal(svd_manifest_author(m, 0), "Zoe");
	assert_string_equal(svd_manifest_author(m, 1), "Adam");
	assert_int_equal(svd_manifest_tag_count(m), 4);
	assert_string_equal(svd_manifest_tag(m, 0), "Donbas");
	assert_string_equal(svd_manifest_tag(m, 1), "Zaporizhzhia");
	assert_string_equal(svd_manifest_tag(m, 2), "war");
	assert_string_equal(svd_manifest_tag(m, 3), "війна");
	assert_int_equal(svd_manifest_file_count(m), 5);
	assert_string_equal(svd_manifest_file_at(m, 0)->path, "B.txt");
	assert_string_equal(svd_manifest_file_at(m, 1)->path, "a.txt");
	assert_string_equal(svd_manifest_file_at(m, 2)->path, "body.md");
	assert_string_equal(svd_manifest_file_at(m, 3)->path, "z.txt");
	assert_string_equal(svd_manifest_file_at(m, 4)->path, "фото.jpg");
	for (i = 0; i < 5; i++) {
		const svd_manifest_file *f = svd_manifest_file_at(m, i);

		assert_ptr_equal(svd_manifest_file_find(m, f->path), f);
	}
	p = round_trip(m);
	assert_non_null(strstr(svd_manifest_bytes(p, NULL),
	                       "\"tags\":[\"Donbas\",\"Zaporizhzhia\",\"war\",\"війна\"]"));
	assert_non_null(
	    strstr(svd_manifest_bytes(p, NULL), "\"authors\":[\"Zoe\",\"Adam\",\"Zoe\"]"));
	svd_manifest_free(p);
	svd_manifest_free(m);
}

static void test_changes_make_bytes_stale(void **state)
{
	svd_manifest *m = builder();
	char id[65];

	(void)state;
	assert_null(svd_manifest_id(m));
	assert_null(svd_manifest_bytes(m, NULL));
	assert_int_equal(svd_manifest_serialize(m), 0);
	strcpy(id, svd_manifest_id(m));
	assert_int_equal(svd_manifest_set(m, "region", "Kherson"), 0);
	assert_null(svd_manifest_id(m));
	assert_int_equal(svd_manifest_serialize(m), 0);
	assert_string_not_equal(svd_manifest_id(m), id);
	assert_int_equal(svd_manifest_set(m, "region", NULL), 0);
	assert_null(svd_manifest_get(m, "region"));
	assert_int_equal(svd_manifest_serialize(m), 0);
	assert_string_equal(svd_manifest_id(m), id);
	/* a refused value changes nothing */
	assert_int_equal(svd_manifest_set(m, "lang", "en_GB"), SVD_EINVALID);
	assert_string_equal(svd_manifest_id(m), id);
	assert_string_equal(svd_manifest_get(m, "lang"), "de");
	svd_manifest_free(m);
}

static void test_kinds(void **state)
{
	svd_kind k = SVD_KIND_ARTICLE;

	(void)state;
	assert_string_equal(svd_kind_name(SVD_KIND_ARTICLE), "article");
	assert_string_equal(svd_kind_name(SVD_KIND_TESTIMONY), "testimony");
	assert_string_equal(svd_kind_name(SVD_KIND_CORRECTION), "correction");
	assert_string_equal(svd_kind_name(SVD_KIND_RETRACTION), "retraction");
	assert_string_equal(svd_kind_name(SVD_KIND_CERTIFICATE), "certificate");
	assert_string_equal(svd_kind_name(SVD_KIND_REVOCATION), "revocation");
	assert_string_equal(svd_kind_name(SVD_KIND_CHECKPOINT), "checkpoint");
	assert_null(svd_kind_name((svd_kind)7));
	assert_null(svd_kind_name((svd_kind)-1));
	assert_int_equal(svd_kind_parse(&k, "checkpoint"), 0);
	assert_int_equal(k, SVD_KIND_CHECKPOINT);
	assert_false(svd_kind_is_statement(SVD_KIND_ARTICLE));
	assert_false(svd_kind_is_statement(SVD_KIND_RETRACTION));
	assert_true(svd_kind_is_statement(SVD_KIND_CERTIFICATE));
	assert_true(svd_kind_is_statement(SVD_KIND_REVOCATION));
	assert_true(svd_kind_is_statement(SVD_KIND_CHECKPOINT));
	assert_false(svd_kind_is_statement((svd_kind)7));
	assert_int_equal(svd_kind_parse(&k, "testimony"), 0);
	assert_int_equal(k, SVD_KIND_TESTIMONY);
	assert_int_equal(svd_kind_parse(&k, "Article"), SVD_EINVALID);
	assert_int_equal(svd_kind_parse(&k, ""), SVD_EINVALID);
	assert_int_equal(svd_kind_parse(&k, NULL), SVD_EINVALID);
	assert_int_equal(k, SVD_KIND_TESTIMONY);
}

static void test_id_valid(void **state)
{
	(void)state;
	assert_true(svd_id_valid(ID_A));
	assert_true(svd_id_valid(HASH));
	assert_false(svd_id_valid(NULL));
	assert_false(svd_id_valid(""));
	assert_false(svd_id_valid(ID_UPPER));
	assert_false(svd_id_valid(ID_SHORT));
	assert_false(svd_id_valid(ID_A "0"));
	assert_false(svd_id_valid(ID_SHORT "g"));
	assert_false(svd_id_valid(ID_SHORT " "));
}

static void test_null_is_fine(void **state)
{
	svd_manifest *m = (svd_manifest *)1;
	size_t len = 7;

	(void)state;
	svd_manifest_free(NULL);
	assert_null(svd_manifest_bytes(NULL, &len));
	assert_int_equal(len, 0);
	assert_null(svd_manifest_id(NULL));
	assert_null(svd_manifest_get(NULL, "title"));
	assert_int_equal(svd_manifest_author_count(NULL), 0);
	assert_int_equal(svd_manifest_tag_count(NULL), 0);
	assert_int_equal(svd_manifest_file_count(NULL), 0);
	assert_null(svd_manifest_file_at(NULL, 0));
	assert_null(svd_manifest_file_find(NULL, "body.md"));
	assert_int_equal(svd_manifest_format(NULL), 0);
	assert_null(svd_manifest_key(NULL));
	assert_int_equal(svd_manifest_outside(NULL), SVD_OUTSIDE_NONE);
	assert_int_equal(svd_manifest_item_count(NULL), 0);
	assert_null(svd_manifest_item_at(NULL, 0));
	assert_int_equal(svd_manifest_set_key(NULL, NULL), SVD_EINVALID);
	assert_int_equal(svd_manifest_set_outside(NULL, SVD_OUTSIDE_KEEP), SVD_EINVALID);
	assert_int_equal(svd_manifest_add_item(NULL, ID_A), SVD_EINVALID);
	assert_int_equal(svd_manifest_set(NULL, "title", "x"), SVD_EINVALID);
	assert_int_equal(svd_manifest_serialize(NULL), SVD_EINVALID);
	assert_int_equal(svd_manifest_check_path(NULL), SVD_EINVALID);
	assert_int_equal(svd_manifest_parse(&m, NULL, 0), SVD_EINVALID);
	assert_null(m);
}

/* Messages repeat a caller's bad value only printable, valid UTF-8 and short. */
static void test_messages_are_safe(void **state)
{
	char name[300];
	const char *msg;
	size_t i;

	(void)state;
	assert_int_equal(svd_manifest_check_path("a\x1b[31m/\xC2\x9B\xFF"), SVD_EINVALID);
	msg = svd_error_last();
	assert_true(svd_utf8_valid(msg, strlen(msg)));
	for (i = 0; msg[i]; i++)
		assert_true((unsigned char)msg[i] >= 0x20 && msg[i] != 0x7F);
	assert_non_null(strstr(msg, "\"a?[31m/???\""));
	/* a long name is cut, and not inside a UTF-8 sequence */
	strcpy(name, "/");
	for (i = 0; i < 100; i++)
		strcat(name, "ї");
	assert_int_equal(svd_manifest_check_path(name), SVD_EINVALID);
	msg = svd_error_last();
	assert_true(svd_utf8_valid(msg, strlen(msg)));
	assert_non_null(strstr(msg, "її...\": holds '/'"));
	assert_true(strlen(msg) < 200);
}

/* ---- what canonical JSON refuses, at the manifest level ---- */

/* The base manifest (with a source) as bytes, find replaced by ins, must be refused. */
static void refuse_edit(const char *find, const char *ins, const char *needle)
{
	json_t *v = base();
	size_t len, at;
	char *bytes = NULL, *edited, *hit;

	json_object_set_new(v, "source", json_string("https://example.org/a"));
	dump(&bytes, &len, v);
	hit = strstr(bytes, find);
	if (!hit)
		fail_msg("\"%s\" not in %s", find, bytes);
	at = (size_t)(hit - bytes);
	edited = malloc(len + strlen(ins) + 1);
	assert_non_null(edited);
	memcpy(edited, bytes, at);
	strcpy(edited + at, ins);
	strcat(edited, bytes + at + strlen(find));
	refuse_bytes(edited, strlen(edited), needle);
	free(edited);
	free(bytes);
	json_decref(v);
}

static void test_refuses_non_canonical_whitespace(void **state)
{
	(void)state;
	refuse_edit("\"format\":1", "\"format\": 1", "white space at byte");
	refuse_edit("{\"authors\"", "{ \"authors\"", "white space at byte 1");
	refuse_edit("],\"created\"", "],\n\"created\"", "white space");
	refuse_edit("{\"authors\"", "\t{\"authors\"", "white space at byte 0");
}

static void test_refuses_key_order(void **state)
{
	(void)state;
	refuse_edit("\"format\":1,\"kind\":\"article\"", "\"kind\":\"article\",\"format\":1",
	            "key \"format\" comes after \"kind\"");
	refuse_edit("\"path\":\"body.md\",\"sha256\":\"" HASH "\"",
	            "\"sha256\":\"" HASH "\",\"path\":\"body.md\"",
	            "files[0]: key \"path\" comes after \"sha256\"");
}

static void test_refuses_escaped_unicode(void **state)
{
	(void)state;
	/* "Ο" (U+039F) written as an escape */
	refuse_edit("\"Ουκρανικά", "\"\\u039fυκρανικά", "escape \"\\u\"");
	refuse_edit("Daria", "D\\u0061ria", "escape \"\\u\"");
}

static void test_refuses_escaped_slash(void **state)
{
	(void)state;
	refuse_edit("https://example.org/a", "https:\\/\\/example.org\\/a", "escape \"\\/\"");
}

static void test_refuses_trailing_newline_and_bom(void **state)
{
	json_t *v = base();
	size_t len;
	char *bytes = NULL, *buf;

	(void)state;
	dump(&bytes, &len, v);
	buf = malloc(len + 4);
	assert_non_null(buf);
	memcpy(buf, bytes, len);
	buf[len] = '\n';
	refuse_bytes(buf, len + 1, "extra bytes after the value");
	memcpy(buf, "\xEF\xBB\xBF", 3);
	memcpy(buf + 3, bytes, len);
	refuse_bytes(buf, len + 3, "byte order mark");
	free(buf);
	free(bytes);
	json_decref(v);
}

static void test_refuses_numbers(void **state)
{
	(void)state;
	refuse_edit("\"format\":1", "\"format\":1.0", "format: a real number");
	refuse_edit("\"format\":1", "\"format\":1e0", "format: a real number");
	refuse_edit("\"size\":1234", "\"size\":1.234e3", "files[0].size: a real number");
	refuse_edit("\"size\":1234", "\"size\":9007199254740992", "files[0].size: integer");
	refuse_edit("\"size\":1234", "\"size\":18446744073709551616", "too big integer");
	refuse_edit("\"size\":1234", "\"size\":-0", "-0 at byte");
}

static void test_refuses_duplicate_key(void **state)
{
	(void)state;
	refuse_edit("\"format\":1,", "\"format\":1,\"format\":1,", "duplicate object key");
}

static void test_refuses_invalid_utf8(void **state)
{
	(void)state;
	refuse_edit("Daria", "D\xC1\xA1ria", "unable to decode");             /* overlong 'a' */
	refuse_edit("Daria", "D\xE0\x81\xA1ria", "unable to decode");         /* overlong, 3 */
	refuse_edit("Daria", "D\xED\xB0\x80ria", "unable to decode");         /* surrogate */
	refuse_edit("Daria", "D\xE2\x82ria", "unable to decode");             /* truncated */
	refuse_edit("\"el\"", "\"e\xCE\"", "unable to decode");               /* cut at the end */
	refuse_edit("Daria", "D\xF8\x88\x80\x80\x80ria", "unable to decode"); /* 5 bytes */
}

static void test_refuses_control_characters(void **state)
{
	(void)state;
	refuse_edit("Daria", "Da\\u0000ria", "not allowed");
	refuse_edit("Daria", "Da\\nria", "authors[0]: the string holds a control");
	refuse_edit("Daria", "Da\\u001bria", "authors[0]: the string holds a control");
	refuse_edit("\"el\"", "\"e\x01l\"", "control character");
}

static void test_refuses_del(void **state)
{
	(void)state;
	refuse_edit("Daria", "Da\x7Fria", "authors[0]: the string holds a control");
	refuse_edit("body.md", "body\x7F.md", "files[0].path: the string holds a control");
}

static void test_refuses_c1(void **state)
{
	(void)state;
	refuse_edit("Daria", "Da\xC2\x85ria", "authors[0]: the string holds a control");
	refuse_edit("body.md", "body\xC2\x9B.md", "files[0].path: the string holds a control");
	refuse_edit("Daria", "Da\\u0085ria", "the string holds a control");
}

static void test_refuses_non_ascii_key(void **state)
{
	(void)state;
	refuse_edit("\"title\"", "\"títle\"", "key \"t??tle\" is not ASCII");
}

static void test_refuses_too_big(void **state)
{
	char *buf = malloc(SVD_MANIFEST_MAX + 2);
	svd_manifest *m = (svd_manifest *)1;

	(void)state;
	assert_non_null(buf);
	memset(buf, ' ', SVD_MANIFEST_MAX + 1);
	buf[SVD_MANIFEST_MAX + 1] = '\0';
	assert_int_equal(svd_manifest_parse(&m, buf, SVD_MANIFEST_MAX + 1), SVD_ETOOBIG);
	assert_null(m);
	th_expect_msg("over the limit of 262144 bytes");
	/* at the limit, the size is no reason to refuse */
	assert_int_equal(svd_manifest_parse(&m, buf, SVD_MANIFEST_MAX), SVD_ECORRUPT);
	free(buf);
}

/* ---- schema ---- */

static void test_refuses_unknown_key(void **state)
{
	(void)state;
	refuse_field("id", json_string(ID_A), "unknown key \"id\"");
	refuse_field("Title", json_string("x"), "unknown key \"Title\"");
	refuse_field("signature", json_null(), "unknown key \"signature\"");
	refuse_files(json_pack("[{s:s, s:s, s:i, s:s}]", "path", "body.md", "sha256", HASH, "size",
	                       1, "type", "text/markdown"),
	             "files[0]: needs exactly the keys path, sha256 and size");
}

static void test_refuses_missing_required(void **state)
{
	(void)state;
	refuse_field("format", NULL, "format: missing");
	refuse_field("kind", NULL, "kind: missing");
	refuse_field("title", NULL, "title: missing");
	refuse_field("lang", NULL, "lang: missing");
	refuse_field("created", NULL, "created: missing");
	refuse_field("files", NULL, "files: missing");
	refuse_files(json_pack("[{s:s, s:s}]", "path", "body.md", "sha256", HASH),
	             "files[0]: needs exactly the keys");
	refuse_files(json_pack("[{s:s, s:i}]", "path", "body.md", "size", 1),
	             "files[0]: needs exactly the keys");
	refuse_files(json_pack("[{s:s, s:i}]", "sha256", HASH, "size", 1),
	             "files[0]: needs exactly the keys");
}

static void test_refuses_wrong_types(void **state)
{
	(void)state;
	refuse_json(json_array(), "not a JSON object");
	refuse_json(json_string("x"), "not a JSON object");
	refuse_field("format", json_string("1"), "format: not 1 or 2");
	refuse_field("format", json_integer(0), "format: not 1 or 2");
	refuse_field("format", json_integer(-1), "format: not 1 or 2");
	refuse_field("format", json_integer(3), "format: 3 is newer than this samvydav reads");
	refuse_field("format", json_true(), "format: not 1 or 2");
	refuse_field("kind", json_integer(0), "kind: not one of");
	refuse_field("kind", json_string("Article"), "kind: not one of");
	refuse_field("kind", json_string("opinion"), "kind: not one of");
	refuse_field("title", json_integer(5), "title: not a string");
	refuse_field("title", json_null(), "title: not a string");
	refuse_field("lang", json_pack("[s]", "el"), "lang: not a string");
	refuse_field("created", json_integer(1664870400), "created: not a string");
	refuse_field("published", json_false(), "published: not a string");
	refuse_field("source", json_object(), "source: not a string");
	refuse_field("region", json_integer(1), "region: not a string");
	refuse_field("supersedes", json_null(), "supersedes: not a string");
	refuse_field("authors", json_string("Daria Saburova"), "authors: not an array");
	refuse_field("authors", json_pack("[s, i]", "a", 1), "authors[1]: not a string");
	refuse_field("tags", json_string("war"), "tags: not an array");
	refuse_field("tags", json_pack("[n]"), "tags[0]: not a string");
	refuse_files(json_object(), "files: not an array");
	refuse_files(json_pack("[s]", "body.md"), "files[0]: not an object");
	refuse_files(json_pack("[{s:i, s:s, s:i}]", "path", 1, "sha256", HASH, "size", 1),
	             "files[0].path: not a string");
	refuse_files(json_pack("[{s:s, s:b, s:i}]", "path", "a", "sha256", 1, "size", 1),
	             "files[0].sha256: not 64 lowercase hex");
	refuse_files(json_pack("[{s:s, s:s, s:s}]", "path", "a", "sha256", HASH, "size", "1"),
	             "files[0].size: not an integer");
}

static void test_refuses_bad_lang(void **state)
{
	static const char *const bad[] = {
	    "e",
	    "english1",
	    "toolongtag",
	    "en_GB",
	    "en-",
	    "-en",
	    "en--GB",
	    "en-GB-",
	    "12",
	    "e1",
	    "en-Латн",
	    "en-abcdefghi",
	    "en GB",
	    "",
	    "ü",
	    "en-GB-x-abcdefghi",
	    "abcdefgh-aaaaaaaa-bbbbbbbb-cccccccc" /* 35 bytes is fine, see below */};
	size_t i;

	(void)state;
	for (i = 0; i + 1 < sizeof(bad) / sizeof(bad[0]); i++)
		refuse_field("lang", json_string(bad[i]), "lang: ");
	accept_field("lang", json_string(bad[i]));
	refuse_field("lang", json_string("abcdefgh-aaaaaaaa-bbbbbbbb-cccccccc-d"),
	             "lang: longer than 35 bytes");
	accept_field("lang", json_string("uk"));
	accept_field("lang", json_string("en-GB"));
	accept_field("lang", json_string("crh-Latn"));
	accept_field("lang", json_string("sr-Cyrl"));
	accept_field("lang", json_string("zh-Hant-TW"));
	accept_field("lang", json_string("de-CH-1996"));
	accept_field("lang", json_string("en-US-x-twain"));
	accept_field("lang", json_string("EN-gb"));
	accept_field("lang", json_string("abcd"));
}

static void test_refuses_bad_dates(void **state)
{
	static const char *const bad_date[] = {
	    "2022-02-30", "2022-13-01",           "2022-00-10",     "2022-04-31",
	    "2023-02-29", "1900-02-29",           "0000-01-01",     "2022-01-00",
	    "22-01-01",   "2022/01/01",           "2022-1-01",      "2022-01-1",
	    "+022-01-01", "2022-01-01T00:00:00Z", "２０２２-01-01", "2022-01-01 "};
	static const char *const bad_time[] = {
	    "2022-02-30T00:00:00Z", "2022-13-01T00:00:00Z",      "2022-01-01T24:00:00Z",
	    "2022-01-01T23:60:00Z", "2022-01-01T23:59:60Z",      "2022-01-01 00:00:00Z",
	    "2022-01-01T00:00:00",  "2022-01-01T00:00:00+00:00", "2022-01-01T00:00:00.5Z",
	    "2022-01-01t00:00:00z", "2022-01-01T0:00:00Z",       "2022-01-01T00:00:-1Z",
	    "2022-01-01",           "2022-01-01T00:00:00ZZ"};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad_date) / sizeof(bad_date[0]); i++)
		refuse_field("published", json_string(bad_date[i]), "published: ");
	for (i = 0; i < sizeof(bad_time) / sizeof(bad_time[0]); i++)
		refuse_field("created", json_string(bad_time[i]), "created: ");
	refuse_field("published", json_string("2022-02-30"), "published: no such date");
	refuse_field("created", json_string("2022-01-01T24:00:00Z"),
	             "created: no such time of day");
	accept_field("published", json_string("2024-02-29"));
	accept_field("published", json_string("2000-02-29"));
	accept_field("published", json_string("1933-01-01"));
	accept_field("published", json_string("9999-12-31"));
	accept_field("created", json_string("2024-02-29T23:59:59Z"));
	accept_field("created", json_string("2022-01-01T00:00:00Z"));
}

static void test_refuses_bad_source(void **state)
{
	char long_url[2100];

	(void)state;
	refuse_field("source", json_string("ftp://example.org/a"), "source: not an http");
	refuse_field("source", json_string("HTTPS://example.org/a"), "source: not an http");
	refuse_field("source", json_string("javascript:alert(1)"), "source: not an http");
	refuse_field("source", json_string("//example.org/a"), "source: not an http");
	refuse_field("source", json_string("example.org"), "source: not an http");
	refuse_field("source", json_string("https://"), "source: a URL without a host");
	refuse_field("source", json_string("https:///etc/passwd"), "source: a URL without a host");
	refuse_field("source", json_string("https://example.org/a b"), "source: holds a space");
	memcpy(long_url, "https://example.org/", 20);
	memset(long_url + 20, 'a', 2029);
	long_url[2049] = '\0';
	refuse_field("source", json_string(long_url), "source: longer than 2048 bytes");
	long_url[2048] = '\0';
	accept_field("source", json_string(long_url));
	accept_field("source", json_string("http://example.org"));
	accept_field("source", json_string("https://uk.wikipedia.org/wiki/Херсон?a=b#c"));
}

static void test_refuses_bad_ids(void **state)
{
	(void)state;
	refuse_field("supersedes", json_string(ID_UPPER), "supersedes: not an item id");
	refuse_field("supersedes", json_string(ID_SHORT), "supersedes: not an item id");
	refuse_field("supersedes", json_string("3f9a0c1b"), "supersedes: not an item id");
	refuse_field("supersedes", json_string(ID_A "0"), "supersedes: not an item id");
	refuse_field("supersedes", json_string(" " ID_A), "supersedes: not an item id");
	refuse_files(json_pack("[{s:s, s:s, s:i}]", "path", "a", "sha256",
	                       "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855",
	                       "size", 0),
	             "files[0].sha256: not 64 lowercase hex");
	refuse_files(json_pack("[{s:s, s:s, s:i}]", "path", "a", "sha256", "e3b0c442", "size", 0),
	             "files[0].sha256: not 64 lowercase hex");
	accept_field("supersedes", json_string(ID_A));
}

static void test_refuses_unsorted_files(void **state)
{
	(void)state;
	refuse_files(json_pack("[o, o]", file("b.txt", HASH, 1), file("a.txt", HASH, 1)),
	             "files[1].path: out of order");
	refuse_files(json_pack("[o, o]", file("a.txt", HASH, 1), file("B.txt", HASH, 1)),
	             "files[1].path: out of order");
	refuse_files(json_pack("[o, o]", file("фото.jpg", HASH, 1), file("z", HASH, 1)),
	             "files[1].path: out of order");
	svd_manifest_free(accept_json(json_pack(
	    "{s:i, s:s, s:s, s:s, s:s, s:[o, o, o, o]}", "format", 1, "kind", "article", "title",
	    "t", "lang", "en", "created", "2022-01-01T00:00:00Z", "files", file("B.txt", HASH, 1),
	    file("a.txt", HASH, 1), file("body.md", HASH, 1), file("фото.jpg", HASH, 1))));
}

static void test_refuses_duplicate_paths(void **state)
{
	(void)state;
	refuse_files(json_pack("[o, o]", file("a.txt", HASH, 1), file("a.txt", HASH, 2)),
	             "files[1].path: listed twice");
}

static void test_refuses_case_duplicate_paths(void **state)
{
	(void)state;
	refuse_files(json_pack("[o, o]", file("A.txt", HASH, 1), file("a.txt", HASH, 2)),
	             "files[1].path: the same name as files[0] on a disk that ignores case");
	/* sorted by bytes, the two are not neighbours */
	refuse_files(json_pack("[o, o, o]", file("A.txt", HASH, 1), file("B.txt", HASH, 1),
	                       file("a.TXT", HASH, 1)),
	             "files[2].path: the same name as files[0] on a disk that ignores case");
	/* of two pairs, the one the list reaches first */
	refuse_files(json_pack("[o, o, o, o, o]", file("B", HASH, 1), file("D", HASH, 1),
	                       file("a", HASH, 1), file("b", HASH, 1), file("d", HASH, 1)),
	             "files[3].path: the same name as files[0] on");
}

/*
 * Names that are one file on some disk an item is unpacked to (SPEC.md
 * 3.3.6): refused in a parsed manifest and by the builder. Each pair is in
 * byte order, as a manifest lists them.
 */
static void test_refuses_unicode_duplicate_paths(void **state)
{
	static const struct {
		const char *a, *b, *why;
	} same[] = {
	    {"\xD0\xA4.jpg", "\xD1\x84.jpg", "Cyrillic capital and small ef"},
	    {"e\xCC\x81.txt", "\xC3\xA9.txt", "e + combining acute (NFD) and NFC e-acute"},
	    {"\xC3\x89t\xC3\xA9", "\xC3\xA9TE\xCC\x81", "case and normalization at once"},
	    {"STRASSE",
	     "Stra\xC3\x9F"
	     "e",
	     "full case folding: sharp s is ss"},
	    {"i.txt", "\xC4\xB1.txt", "dotless i: NTFS uppercases it to I"},
	    {"k", "\xE2\x84\xAA", "KELVIN SIGN folds to k"},
	    {"ab",
	     "a\xE2\x80\x8B"
	     "b",
	     "a ZERO WIDTH SPACE is ignored"},
	    {"\xCE\xA3\xCE\x91\xCE\xA3", "\xCF\x83\xCE\xB1\xCF\x82", "final sigma"},
	    {"\xCE\xB1\xCD\x85", "\xE1\xBE\xB3", "ypogegrammeni, decomposed and not"},
	    {"fi", "\xEF\xAC\x81", "full case folding: the ligature fi is f, i"},
	};
	static const struct {
		const char *a, *b;
	} apart[] = {
	    {"e.txt", "\xC3\xA9.txt"}, /* a diacritic makes another name */
	    {"x2", "x\xC2\xB2"},       /* compatibility forms are not folded */
	    {"A", "\xEF\xBC\xA1"},     /* FULLWIDTH LATIN CAPITAL LETTER A */
	    {"i.txt", "\xC4\xB0.txt"}, /* capital I with dot above: NTFS keeps it apart */
	    {"\xD0\xB5", "\xD1\x91"},  /* Cyrillic e and io (the search folds them) */
	};
	char *ka = NULL, *kb = NULL;
	size_t i;

	(void)state;
	assert_string_equal(utf8proc_unicode_version(), "15.0.0"); /* the SPEC's rule */
	for (i = 0; i < sizeof(same) / sizeof(same[0]); i++) {
		svd_manifest *m = builder();

		assert_true(strcmp(same[i].a, same[i].b) < 0);
		assert_int_equal(svd_manifest_check_path(same[i].a), 0);
		assert_int_equal(svd_manifest_check_path(same[i].b), 0);
		assert_int_equal(svd_manifest_path_key(&ka, same[i].a), 0);
		assert_int_equal(svd_manifest_path_key(&kb, same[i].b), 0);
		if (strcmp(ka, kb) != 0)
			fail_msg("%s: \"%s\" and \"%s\" have the keys \"%s\" and \"%s\"",
			         same[i].why, same[i].a, same[i].b, ka, kb);
		free(ka);
		free(kb);
		refuse_files(
		    json_pack("[o, o]", file(same[i].a, HASH, 1), file(same[i].b, HASH, 1)),
		    "files[1].path: the same name as files[0] on a disk that ignores case "
		    "or Unicode normalization");
		assert_int_equal(svd_manifest_add_file(m, same[i].b, 1, zero_hash), 0);
		if (svd_manifest_add_file(m, same[i].a, 1, zero_hash) != SVD_EINVALID)
			fail_msg("%s: the builder took \"%s\" beside \"%s\"", same[i].why,
			         same[i].a, same[i].b);
		th_expect_msg("is the same name as");
		assert_int_equal(svd_manifest_file_count(m), 2);
		svd_manifest_free(m);
	}
	for (i = 0; i < sizeof(apart) / sizeof(apart[0]); i++) {
		svd_manifest *m = builder();

		assert_int_equal(svd_manifest_add_file(m, apart[i].a, 1, zero_hash), 0);
		if (svd_manifest_add_file(m, apart[i].b, 1, zero_hash) != 0)
			fail_msg("\"%s\" beside \"%s\" refused: %s", apart[i].a, apart[i].b,
			         svd_error_last());
		svd_manifest_free(round_trip(m));
		svd_manifest_free(m);
	}
	assert_int_equal(svd_manifest_path_key(&ka, "a/b"), SVD_EINVALID);
	assert_null(ka);
}

static void test_refuses_file_size(void **state)
{
	(void)state;
	refuse_files(json_pack("[o]", file("a", HASH, (json_int_t)SVD_FILE_MAX_SIZE + 1)),
	             "files[0].size: 4294967296 is out of range");
	refuse_files(json_pack("[o]", file("a", HASH, -1)), "files[0].size: -1 is out of range");
	svd_manifest_free(accept_json(
	    json_pack("{s:i, s:s, s:s, s:s, s:s, s:[o, o]}", "format", 1, "kind", "article",
	              "title", "t", "lang", "en", "created", "2022-01-01T00:00:00Z", "files",
	              file("a", HASH, 0), file("b", HASH, (json_int_t)SVD_FILE_MAX_SIZE))));
}

/* Each rule of svd_manifest_check_path(), in a parsed manifest and in the builder. */
static void test_refuses_bad_paths(void **state)
{
	static const struct {
		const char *path, *why;
	} bad[] = {
	    {"", "empty"},
	    {"a/b", "holds '/'"},
	    {"/etc", "holds '/'"},
	    {"a\\b", "holds '/' or '\\'"},
	    {"a\x01z", "control character"},
	    {"a\tz", "control character"},
	    {"a\x7Fz", "control character"},
	    {"a\xC2\x85z", "control character"},
	    {"a:b", "holds one of"},
	    {"a*b", "holds one of"},
	    {"a?b", "holds one of"},
	    {"a\"b", "holds one of"},
	    {"a<b", "holds one of"},
	    {"a>b", "holds one of"},
	    {"a|b", "holds one of"},
	    {".hidden", "starts with '.'"},
	    {".", "starts with '.'"},
	    {"..", "starts with '.'"},
	    {".git", "starts with '.'"},
	    {"a.", "ends with '.' or a space"},
	    {"a ", "ends with '.' or a space"},
	    {"manifest.json", "a reserved name"},
	    {"Manifest.JSON", "a reserved name"},
	    {"sig", "a reserved name"},
	    {"SIG", "a reserved name"},
	    {"\xC5\xBFig", "a reserved name"}, /* long s: "sig" on NTFS and ext4 casefold */
	    {"CON", "a name Windows reserves"},
	    {"con.txt", "a name Windows reserves"},
	    {"Nul.tar.gz", "a name Windows reserves"},
	    {"aux .md", "a name Windows reserves"},
	    {"PRN.x", "a name Windows reserves"},
	    {"LPT1", "a name Windows reserves"},
	    {"com9.jpg", "a name Windows reserves"},
	    {"COM0", "a name Windows reserves"},
	    {"COM\xC2\xB9.txt", "a name Windows reserves"},
	    {"lpt\xC2\xB3", "a name Windows reserves"},
	    {"CONIN$", "a name Windows reserves"},
	    {"conout$.txt", "a name Windows reserves"},
	    {"a\xCD\xB8", "does not assign"},         /* U+0378 */
	    {"a\xEF\xBF\xBE", "does not assign"},     /* U+FFFE, a noncharacter */
	    {"\xF3\xA0\x80\x80x", "does not assign"}, /* U+E0000 */
	    {"\xC0\xAF", "not valid UTF-8"},
	    {"a\xED\xA0\x80", "not valid UTF-8"},
	    {"a\xE2\x82", "not valid UTF-8"},
	};
	char name[SVD_NAME_MAX + 2];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		svd_manifest *m = builder();
		int rc = svd_manifest_check_path(bad[i].path);

		if (rc != SVD_EINVALID)
			fail_msg("\"%s\" allowed", bad[i].path);
		th_expect_msg(bad[i].why);
		assert_int_equal(svd_manifest_add_file(m, bad[i].path, 1, zero_hash), SVD_EINVALID);
		th_expect_msg(bad[i].why);
		assert_int_equal(svd_manifest_file_count(m), 1);
		svd_manifest_free(m);
		/* canonical JSON cannot hold the others; test_canon refuses them */
		if (strcmp(bad[i].why, "control character") != 0 &&
		    strcmp(bad[i].why, "not valid UTF-8") != 0)
			refuse_files(json_pack("[o]", file(bad[i].path, HASH, 1)),
			             "files[0].path: ");
	}
	memset(name, 'a', SVD_NAME_MAX + 1);
	name[SVD_NAME_MAX + 1] = '\0';
	assert_int_equal(svd_manifest_check_path(name), SVD_EINVALID);
	th_expect_msg("longer than 255 bytes");
	refuse_files(json_pack("[o]", file(name, HASH, 1)), "files[0].path: longer than 255");
	name[SVD_NAME_MAX] = '\0';
	assert_int_equal(svd_manifest_check_path(name), 0);
	assert_int_equal(svd_manifest_check_path("body.md"), 0);
	assert_int_equal(svd_manifest_check_path("фото 1.jpg"), 0);
	assert_int_equal(svd_manifest_check_path("a..b"), 0);
	assert_int_equal(svd_manifest_check_path("sig.txt"), 0);
	assert_int_equal(svd_manifest_check_path("manifest.json.txt"), 0);
	assert_int_equal(svd_manifest_check_path("Ουκρανία_2022-11-25.pdf"), 0);
	assert_int_equal(svd_manifest_check_path("a\xC2\xA0z"), 0);
	assert_int_equal(svd_manifest_check_path("CONSOLE.txt"), 0);
	assert_int_equal(svd_manifest_check_path("con-2.txt"), 0);
	assert_int_equal(svd_manifest_check_path("a.con"), 0);
	assert_int_equal(svd_manifest_check_path("COM10"), 0);
	assert_int_equal(svd_manifest_check_path("LPT"), 0);
	assert_int_equal(svd_manifest_check_path("COM\xC2\xB9"
	                                         "0"),
	                 0);
	assert_int_equal(svd_manifest_check_path("\xEE\x80\x80.bin"), 0); /* private use */
}

static void test_refuses_empty_arrays(void **state)
{
	(void)state;
	refuse_field("authors", json_array(), "authors: empty array (leave the key out");
	refuse_field("tags", json_array(), "tags: empty array");
	refuse_files(json_array(), "files: empty; every item but a retraction");
}

static void test_refuses_empty_strings(void **state)
{
	(void)state;
	refuse_field("title", json_string(""), "title: empty");
	refuse_field("region", json_string(""), "region: empty");
	refuse_field("source", json_string(""), "source: not an http");
	refuse_field("published", json_string(""), "published: not a date");
	refuse_field("created", json_string(""), "created: not a UTC time");
	refuse_field("lang", json_string(""), "lang: not a BCP 47");
	refuse_field("supersedes", json_string(""), "supersedes: not an item id");
	refuse_field("authors", json_pack("[s]", ""), "authors[0]: empty");
	refuse_field("tags", json_pack("[s]", ""), "tags[0]: empty");
}

static void test_refuses_tag_order(void **state)
{
	(void)state;
	refuse_field("tags", json_pack("[s, s]", "war", "Donbas"), "tags[1]: out of order");
	refuse_field("tags", json_pack("[s, s]", "war", "war"), "tags[1]: a repeat");
	accept_field("tags", json_pack("[s, s, s]", "Donbas", "war", "війна"));
	accept_field("authors", json_pack("[s, s, s]", "Zoe", "Adam", "Zoe"));
}

static void test_text_limits(void **state)
{
	char *text = malloc(SVD_TEXT_MAX + 2);
	json_t *list;
	size_t i;

	(void)state;
	assert_non_null(text);
	memset(text, 'x', SVD_TEXT_MAX + 1);
	text[SVD_TEXT_MAX + 1] = '\0';
	refuse_field("title", json_string(text), "title: longer than 4096 bytes");
	refuse_field("region", json_string(text), "region: longer than 4096 bytes");
	refuse_field("authors", json_pack("[s]", text), "authors[0]: longer than 4096");
	text[SVD_TEXT_MAX] = '\0';
	accept_field("title", json_string(text));
	list = json_array();
	for (i = 0; i <= SVD_LIST_MAX; i++)
		json_array_append_new(list, json_string("Taras Bilous"));
	refuse_field("authors", list, "authors: 257 entries, over the limit of 256");
	free(text);
}

static void test_retraction_rules(void **state)
{
	json_t *v;

	(void)state;
	v = base();
	json_object_set_new(v, "kind", json_string("retraction"));
	refuse_json(v, "retracts: missing; a retraction names the item it withdraws");

	v = base();
	json_object_set_new(v, "kind", json_string("retraction"));
	json_object_set_new(v, "retracts", json_string(ID_A));
	json_object_set_new(v, "files", json_array());
	svd_manifest_free(accept_json(v));

	v = base();
	json_object_set_new(v, "kind", json_string("retraction"));
	json_object_set_new(v, "retracts", json_string(ID_A));
	svd_manifest_free(accept_json(v)); /* a retraction may carry a statement */

	refuse_field("retracts", json_string(ID_A), "retracts: only a retraction has it");
	v = base();
	json_object_set_new(v, "kind", json_string("correction"));
	json_object_set_new(v, "supersedes", json_string(ID_A));
	json_object_set_new(v, "retracts", json_string(ID_B));
	refuse_json(v, "retracts: only a retraction has it (kind is correction)");
	v = base();
	json_object_set_new(v, "kind", json_string("testimony"));
	json_object_set_new(v, "retracts", json_string(ID_A));
	refuse_json(v, "retracts: only a retraction has it (kind is testimony)");
	v = base();
	json_object_set_new(v, "kind", json_string("retraction"));
	json_object_set_new(v, "retracts", json_string("not-an-id"));
	refuse_json(v, "retracts: not an item id");
}

static void test_correction_rules(void **state)
{
	json_t *v = base();

	(void)state;
	json_object_set_new(v, "kind", json_string("correction"));
	refuse_json(v, "supersedes: missing; a correction names the item it corrects");
	v = base();
	json_object_set_new(v, "kind", json_string("correction"));
	json_object_set_new(v, "supersedes", json_string(ID_A));
	svd_manifest_free(accept_json(v));
	v = base();
	json_object_set_new(v, "kind", json_string("correction"));
	json_object_set_new(v, "supersedes", json_string(ID_A));
	json_object_set_new(v, "files", json_array());
	refuse_json(v, "files: empty");
}

/* ---- the builder refuses the same things ---- */

static void expect_set_refused(const char *field, const char *value, const char *needle)
{
	svd_manifest *m = builder();
	const char *before = svd_manifest_get(m, field);
	char *copy = before ? strdup(before) : NULL;

	if (svd_manifest_set(m, field, value) != SVD_EINVALID)
		fail_msg("%s = \"%s\" accepted", field, value);
	th_expect_msg(needle);
	if (copy)
		assert_string_equal(svd_manifest_get(m, field), copy);
	else
		assert_null(svd_manifest_get(m, field));
	free(copy);
	svd_manifest_free(m);
}

static void test_setters_check_values(void **state)
{
	char long_text[SVD_TEXT_MAX + 2];

	(void)state;
	expect_set_refused("title", "", "manifest: title: empty");
	expect_set_refused("title", "a\x01z", "manifest: title: holds a control character");
	expect_set_refused("title", "a\nz", "title: holds a control character");
	expect_set_refused("title", "a\x7Fz", "title: holds a control character");
	expect_set_refused("title", "a\xC2\x80z", "title: holds a control character");
	expect_set_refused("title", "a\xC0\xAFz", "title: not valid UTF-8");
	expect_set_refused("title", "a\xED\xA0\x80z", "title: not valid UTF-8");
	expect_set_refused("title", "a\xE2\x82", "title: not valid UTF-8");
	memset(long_text, 'x', SVD_TEXT_MAX + 1);
	long_text[SVD_TEXT_MAX + 1] = '\0';
	expect_set_refused("title", long_text, "title: longer than 4096 bytes");
	expect_set_refused("region", long_text, "region: longer than 4096 bytes");
	expect_set_refused("region", "", "region: empty");
	expect_set_refused("lang", "e", "lang: not a BCP 47 language tag");
	expect_set_refused("lang", "en_GB", "lang: not a BCP 47");
	expect_set_refused("created", "2022-02-30T00:00:00Z", "created: no such date");
	expect_set_refused("created", "2022-13-01T00:00:00Z", "created: no such date");
	expect_set_refused("created", "2022-01-01T24:00:00Z", "created: no such time of day");
	expect_set_refused("created", "2022-01-01", "created: not a UTC time");
	expect_set_refused("published", "2022-02-30", "published: no such date");
	expect_set_refused("published", "2022-13-01", "published: no such date");
	expect_set_refused("published", "", "published: not a date");
	expect_set_refused("source", "ftp://example.org", "source: not an http");
	expect_set_refused("source", "https://a b", "source: holds a space");
	expect_set_refused("source", "https://a\xC0\xAF", "source: not valid UTF-8");
	expect_set_refused("source", "https://a\x7F", "source: holds a space or a control");
	expect_set_refused("supersedes", "ABC", "supersedes: not an item id");
	expect_set_refused("retracts", ID_A "00", "retracts: not an item id");
	expect_set_refused("kind", "opinion", "manifest: kind: not one of");
	expect_set_refused("kind", NULL, "kind: not one of");
	expect_set_refused("format", "2", "no field \"format\"");
	expect_set_refused("id", ID_A, "no field \"id\"");
	expect_set_refused("authors", "x", "no field \"authors\"");
}

static void test_builder_lists(void **state)
{
	svd_manifest *m = builder();
	char name[32];
	size_t i;

	(void)state;
	assert_int_equal(svd_manifest_add_author(m, ""), SVD_EINVALID);
	th_expect_msg("authors[0]: empty");
	assert_int_equal(svd_manifest_add_author(m, "a\x1b[31m"), SVD_EINVALID);
	th_expect_msg("control character");
	assert_int_equal(svd_manifest_add_author(m, NULL), SVD_EINVALID);
	assert_int_equal(svd_manifest_add_tag(m, ""), SVD_EINVALID);
	assert_int_equal(svd_manifest_add_tag(m, "\xC2\x9B"), SVD_EINVALID);
	assert_int_equal(svd_manifest_add_tag(m, NULL), SVD_EINVALID);
	for (i = 0; i < SVD_LIST_MAX; i++) {
		snprintf(name, sizeof(name), "author %zu", i);
		assert_int_equal(svd_manifest_add_author(m, name), 0);
		snprintf(name, sizeof(name), "tag %03zu", i);
		assert_int_equal(svd_manifest_add_tag(m, name), 0);
	}
	assert_int_equal(svd_manifest_add_author(m, "one more"), SVD_EINVALID);
	th_expect_msg("authors: more than 256");
	assert_int_equal(svd_manifest_add_tag(m, "one more"), SVD_EINVALID);
	th_expect_msg("tags: more than 256");
	assert_int_equal(svd_manifest_add_tag(m, "tag 000"), 0); /* present: no change */
	assert_int_equal(svd_manifest_author_count(m), SVD_LIST_MAX);
	assert_int_equal(svd_manifest_tag_count(m), SVD_LIST_MAX);
	svd_manifest_free(round_trip(m));
	svd_manifest_free(m);
}

static void test_builder_files(void **state)
{
	svd_manifest *m = builder();
	char name[32];
	size_t i;

	(void)state;
	assert_int_equal(svd_manifest_add_file(m, "body.md", 1, zero_hash), SVD_EINVALID);
	th_expect_msg("\"body.md\" is already listed");
	assert_int_equal(svd_manifest_add_file(m, "BODY.MD", 1, zero_hash), SVD_EINVALID);
	th_expect_msg("\"BODY.MD\" is the same name as \"body.md\" on a disk");
	assert_int_equal(svd_manifest_add_file(m, "big", SVD_FILE_MAX_SIZE + 1, zero_hash),
	                 SVD_EINVALID);
	th_expect_msg("4294967296 bytes, over the limit of 4294967295 bytes");
	assert_int_equal(svd_manifest_add_file(m, "big", SVD_FILE_MAX_SIZE, zero_hash), 0);
	assert_int_equal(svd_manifest_add_file(m, "x", 1, NULL), SVD_EINVALID);
	assert_int_equal(svd_manifest_add_file(m, NULL, 1, zero_hash), SVD_EINVALID);
	for (i = svd_manifest_file_count(m); i < SVD_ITEM_MAX_FILES; i++) {
		snprintf(name, sizeof(name), "f%04zu", i);
		assert_int_equal(svd_manifest_add_file(m, name, i, zero_hash), 0);
	}
	assert_int_equal(svd_manifest_add_file(m, "one-more", 1, zero_hash), SVD_EINVALID);
	th_expect_msg("files: more than 1000");
	svd_manifest_free(round_trip(m));
	svd_manifest_free(m);
}

static void test_refuses_too_many_files(void **state)
{
	json_t *files = json_array();
	char name[32];
	size_t i;

	(void)state;
	for (i = 0; i <= SVD_ITEM_MAX_FILES; i++) {
		snprintf(name, sizeof(name), "f%04zu", i);
		json_array_append_new(files, file(name, HASH, 1));
	}
	refuse_files(files, "files: 1001 files, over the limit of 1000");
}

static void test_serialize_checks_schema(void **state)
{
	svd_manifest *m;

	(void)state;
	m = builder();
	assert_int_equal(svd_manifest_set(m, "title", NULL), 0);
	refuse_serialize(m, "manifest: title: missing");
	m = builder();
	assert_int_equal(svd_manifest_set(m, "lang", NULL), 0);
	refuse_serialize(m, "manifest: lang: missing");
	m = builder();
	assert_int_equal(svd_manifest_set(m, "created", NULL), 0);
	refuse_serialize(m, "manifest: created: missing");

	assert_int_equal(svd_manifest_new(&m), 0);
	assert_int_equal(svd_manifest_set(m, "title", "t"), 0);
	assert_int_equal(svd_manifest_set(m, "lang", "uk"), 0);
	assert_int_equal(svd_manifest_set(m, "created", "2022-01-01T00:00:00Z"), 0);
	refuse_serialize(m, "manifest: files: empty");

	m = builder();
	assert_int_equal(svd_manifest_set_kind(m, SVD_KIND_CORRECTION), 0);
	refuse_serialize(m, "manifest: supersedes: missing");
	m = builder();
	assert_int_equal(svd_manifest_set_kind(m, SVD_KIND_RETRACTION), 0);
	refuse_serialize(m, "manifest: retracts: missing");
	m = builder();
	assert_int_equal(svd_manifest_set(m, "retracts", ID_A), 0);
	refuse_serialize(m, "manifest: retracts: only a retraction has it (kind is article)");
	m = builder();
	assert_int_equal(svd_manifest_set_kind(m, (svd_kind)7), SVD_EINVALID);
	assert_int_equal(svd_manifest_set_kind(NULL, SVD_KIND_ARTICLE), SVD_EINVALID);
	svd_manifest_free(m);
}

static void test_serialize_kinds(void **state)
{
	svd_manifest *m, *p;

	(void)state;
	/* a correction */
	m = builder();
	assert_int_equal(svd_manifest_set(m, "kind", "correction"), 0);
	assert_int_equal(svd_manifest_set(m, "supersedes", ID_A), 0);
	p = round_trip(m);
	assert_int_equal(svd_manifest_kind(p), SVD_KIND_CORRECTION);
	assert_string_equal(svd_manifest_get(p, "supersedes"), ID_A);
	svd_manifest_free(p);
	svd_manifest_free(m);
	/* a retraction with no files */
	assert_int_equal(svd_manifest_new(&m), 0);
	assert_int_equal(svd_manifest_set_kind(m, SVD_KIND_RETRACTION), 0);
	assert_int_equal(svd_manifest_set(m, "title", "Retraction"), 0);
	assert_int_equal(svd_manifest_set(m, "lang", "en"), 0);
	assert_int_equal(svd_manifest_set(m, "created", "2022-12-01T00:00:00Z"), 0);
	assert_int_equal(svd_manifest_set(m, "retracts", ID_B), 0);
	p = round_trip(m);
	assert_int_equal(svd_manifest_kind(p), SVD_KIND_RETRACTION);
	assert_string_equal(svd_manifest_get(p, "retracts"), ID_B);
	assert_int_equal(svd_manifest_file_count(p), 0);
	assert_non_null(strstr(svd_manifest_bytes(p, NULL), "\"files\":[]"));
	svd_manifest_free(p);
	svd_manifest_free(m);
	/* a testimony with every optional field */
	m = builder();
	assert_int_equal(svd_manifest_set_kind(m, SVD_KIND_TESTIMONY), 0);
	assert_int_equal(svd_manifest_set(m, "published", "2022-03-03"), 0);
	assert_int_equal(svd_manifest_set(m, "source", "https://example.org/t/1"), 0);
	assert_int_equal(svd_manifest_set(m, "region", "Запорізька область"), 0);
	assert_int_equal(svd_manifest_set(m, "supersedes", ID_A), 0);
	assert_int_equal(svd_manifest_add_author(m, "Taras Bilous"), 0);
	assert_int_equal(svd_manifest_add_tag(m, "testimony"), 0);
	p = round_trip(m);
	assert_string_equal(svd_manifest_get(p, "kind"), "testimony");
	svd_manifest_free(p);
	svd_manifest_free(m);
}

static void test_serialize_size_limit(void **state)
{
	svd_manifest *m = builder();
	char *tag = malloc(SVD_TEXT_MAX + 1);
	size_t i;

	(void)state;
	assert_non_null(tag);
	memset(tag, 'x', SVD_TEXT_MAX);
	tag[SVD_TEXT_MAX] = '\0';
	for (i = 0; i < 70; i++) {
		tag[0] = (char)('A' + i % 26);
		tag[1] = (char)('A' + i / 26);
		assert_int_equal(svd_manifest_add_tag(m, tag), 0);
	}
	refuse_serialize(m, "over the limit of 262144 bytes");
	free(tag);
}

/* ---- statements (format 2) ---- */

/* SPEC.md's worked example key (8BF5CD94F100854A), as its base64 line. */
#define KEY_LINE "RWRKhQDxlM31i9wRvhBT+lEaD1G0EFAQxBMqJxDfSa2+bpKaY2itA4/h"
#define KEY_ID   "8BF5CD94F100854A"

/* A good statement of a kind as a jansson value, to change one thing in. */
static json_t *statement(const char *kind)
{
	json_t *v = json_pack("{s:i, s:s, s:s, s:s, s:s, s:[]}", "format", 2, "kind", kind, "title",
	                      "Olena Kovalenko, Kyiv desk", "lang", "uk", "created",
	                      "2026-12-01T10:00:00Z", "files");

	assert_non_null(v);
	if (!strcmp(kind, "certificate") || !strcmp(kind, "revocation"))
		json_object_set_new(v, "key", json_string(KEY_LINE));
	if (!strcmp(kind, "revocation"))
		json_object_set_new(v, "outside", json_string("hide"));
	if (!strcmp(kind, "checkpoint"))
		json_object_set_new(v, "items", json_pack("[s, s]", ID_A, ID_B));
	return v;
}

/* A statement of kind with key set to value (stolen; NULL deletes the key), refused. */
static void refuse_statement(const char *kind, const char *key, json_t *value, const char *needle)
{
	json_t *v = statement(kind);

	if (value)
		json_object_set_new(v, key, value);
	else
		json_object_del(v, key);
	refuse_json(v, needle);
}

/* The base64 line of "Ed" (or alg) || keynum || pk, for keys that lie. */
static json_t *key_value(const char *alg, const uint8_t pk[32])
{
	uint8_t blob[42];
	char line[57];

	memcpy(blob, alg, 2);
	memset(blob + 2, 0x5a, 8);
	memcpy(blob + 10, pk, 32);
	sodium_bin2base64(line, sizeof(line), blob, sizeof(blob), sodium_base64_VARIANT_ORIGINAL);
	return json_string(line);
}

static void test_statements_are_accepted(void **state)
{
	svd_manifest *m;
	char id[SVD_KEYID_HEX_LEN + 1];

	(void)state;
	m = accept_json(statement("certificate"));
	assert_int_equal(svd_manifest_kind(m), SVD_KIND_CERTIFICATE);
	assert_int_equal(svd_manifest_format(m), 2);
	assert_non_null(svd_manifest_key(m));
	assert_string_equal(svd_pubkey_id(svd_manifest_key(m)), KEY_ID);
	svd_keyid_format(id, svd_pubkey_id_bytes(svd_manifest_key(m)));
	assert_string_equal(id, KEY_ID);
	assert_string_equal(svd_manifest_get(m, "key"), KEY_LINE);
	assert_null(svd_manifest_get(m, "outside"));
	assert_int_equal(svd_manifest_outside(m), SVD_OUTSIDE_NONE);
	assert_int_equal(svd_manifest_item_count(m), 0);
	assert_int_equal(svd_manifest_file_count(m), 0);
	svd_manifest_free(m);

	m = accept_json(statement("revocation"));
	assert_int_equal(svd_manifest_kind(m), SVD_KIND_REVOCATION);
	assert_string_equal(svd_pubkey_id(svd_manifest_key(m)), KEY_ID);
	assert_int_equal(svd_manifest_outside(m), SVD_OUTSIDE_HIDE);
	assert_string_equal(svd_manifest_get(m, "outside"), "hide");
	svd_manifest_free(m);
	{
		json_t *v = statement("revocation");
		json_object_set_new(v, "outside", json_string("keep"));
		m = accept_json(v);
		assert_int_equal(svd_manifest_outside(m), SVD_OUTSIDE_KEEP);
		svd_manifest_free(m);
	}

	m = accept_json(statement("checkpoint"));
	assert_int_equal(svd_manifest_kind(m), SVD_KIND_CHECKPOINT);
	assert_null(svd_manifest_key(m));
	assert_int_equal(svd_manifest_item_count(m), 2);
	assert_string_equal(svd_manifest_item_at(m, 0), ID_A);
	assert_string_equal(svd_manifest_item_at(m, 1), ID_B);
	assert_null(svd_manifest_item_at(m, 2));
	svd_manifest_free(m);

	/* format 2 holds the old kinds too; writers keep writing 1 for them */
	{
		json_t *v = base();
		json_object_set_new(v, "format", json_integer(2));
		m = accept_json(v);
		assert_int_equal(svd_manifest_format(m), 2);
		assert_int_equal(svd_manifest_kind(m), SVD_KIND_ARTICLE);
		svd_manifest_free(m);
		m = accept_json(base());
		assert_int_equal(svd_manifest_format(m), 1);
		svd_manifest_free(m);
	}
}

/* A format-1 manifest knows no statements: what a newer samvydav reads is refused as such. */
static void test_format_1_refuses_statements(void **state)
{
	static const char *const kinds[] = {"certificate", "revocation", "checkpoint"};
	size_t i;

	(void)state;
	for (i = 0; i < 3; i++) {
		char needle[64];
		snprintf(needle, sizeof(needle), "kind: \"%s\" needs format 2", kinds[i]);
		refuse_statement(kinds[i], "format", json_integer(1), needle);
	}
	refuse_field("key", json_string(KEY_LINE), "key: not in format 1");
	refuse_field("outside", json_string("hide"), "outside: not in format 1");
	refuse_field("items", json_pack("[s]", ID_A), "items: not in format 1");
	refuse_field("items", json_pack("[s]", ID_A), "a newer samvydav reads");
	refuse_statement("certificate", "format", json_integer(3), "a newer samvydav is needed");
}

static void test_statements_refuse_other_members(void **state)
{
	static const char *const kinds[] = {"certificate", "revocation", "checkpoint"};
	size_t i;

	(void)state;
	for (i = 0; i < 3; i++) {
		const char *k = kinds[i];

		refuse_statement(k, "supersedes", json_string(ID_A), "supersedes: a ");
		refuse_statement(k, "retracts", json_string(ID_A), "retracts: a ");
		refuse_statement(k, "authors", json_pack("[s]", "Taras"), "authors: a ");
		refuse_statement(k, "tags", json_pack("[s]", "keys"), "tags: a ");
		refuse_statement(k, "published", json_string("2026-12-01"), "published: a ");
		refuse_statement(k, "source", json_string("https://example.org/"), "source: a ");
		refuse_statement(k, "region", json_string("Kyiv"), "region: a ");
		refuse_statement(
		    k, "files",
		    json_pack("[{s:s, s:s, s:i}]", "path", "body.md", "sha256", HASH, "size", 1),
		    "files: a ");
		refuse_statement(k, "files", NULL, "files: missing");
		refuse_statement(k, "title", NULL, "title: missing");
		refuse_statement(k, "lang", NULL, "lang: missing");
		refuse_statement(k, "created", NULL, "created: missing");
		refuse_statement(k, "format", NULL, "format: missing");
	}
	/* each statement's members belong to it alone */
	refuse_statement("certificate", "outside", json_string("hide"),
	                 "outside: only a revocation has it (kind is certificate)");
	refuse_statement("certificate", "items", json_pack("[s]", ID_A),
	                 "items: only a checkpoint has it (kind is certificate)");
	refuse_statement("revocation", "items", json_pack("[s]", ID_A),
	                 "items: only a checkpoint has it (kind is revocation)");
	refuse_statement("checkpoint", "key", json_string(KEY_LINE),
	                 "key: only a certificate or a revocation has it (kind is checkpoint)");
	refuse_statement("checkpoint", "outside", json_string("keep"),
	                 "outside: only a revocation has it");
	/* and to no other kind, in format 2 either */
	{
		static const char *const members[] = {"key", "outside", "items"};
		for (i = 0; i < 3; i++) {
			json_t *v = base();
			char needle[64];
			json_object_set_new(v, "format", json_integer(2));
			json_object_set_new(v, members[i],
			                    i == 0   ? json_string(KEY_LINE)
			                    : i == 1 ? json_string("hide")
			                             : json_pack("[s]", ID_A));
			snprintf(needle, sizeof(needle), "%s: only a", members[i]);
			refuse_json(v, needle);
		}
	}
}

static void test_statements_require_members(void **state)
{
	(void)state;
	refuse_statement("certificate", "key", NULL, "key: missing; a certificate names the key");
	refuse_statement("revocation", "key", NULL, "key: missing; a revocation names the key");
	refuse_statement("revocation", "outside", NULL, "outside: missing");
	refuse_statement("checkpoint", "items", NULL, "items: missing");
}

static void test_refuses_bad_keys(void **state)
{
	uint8_t pk[32], small[32] = {1}, off[32];
	char line[80];

	(void)state;
	memset(off, 0xff, sizeof(off));
	refuse_statement("certificate", "key", json_integer(1), "key: not a string");
	refuse_statement("certificate", "key", json_string(""), "key: not the base64 line");
	refuse_statement("certificate", "key", json_string(KEY_LINE "AAAA"),
	                 "key: not the base64 line");
	refuse_statement("revocation", "key", json_string("RWRKhQDxlM31i9wRvhBT+lEaD1G0EFAQ"),
	                 "key: not the base64 line");
	/* base64url, padding and spaces are not the line minisign writes */
	refuse_statement("certificate", "key",
	                 json_string("RWRKhQDxlM31i9wRvhBT-lEaD1G0EFAQxBMqJxDfSa2-bpKaY2itA4_h"),
	                 "key: not the base64 line");
	refuse_statement("certificate", "key",
	                 json_string("RWRKhQDxlM31i9wRvhBT+lEaD1G0EFAQxBMqJxDfSa2+bpKaY2itA4=="),
	                 "key: not the base64 line");
	refuse_statement("certificate", "key",
	                 json_string(" RWRKhQDxlM31i9wRvhBT+lEaD1G0EFAQxBMqJxDfSa2+bpKaY2itA4/"),
	                 "key: not the base64 line");
	/* a whole key file is not the line */
	snprintf(line, sizeof(line), "untrusted comment: x %s", KEY_LINE);
	refuse_statement("certificate", "key", json_string(line), "key: not the base64 line");
	/* another algorithm, a small-order point, bytes that are no point */
	crypto_sign_keypair(pk, (uint8_t[64]){0});
	{
		json_t *good = key_value("Ed", pk);
		json_t *v = statement("certificate");
		json_object_set_new(v, "key", good);
		svd_manifest_free(accept_json(v));
	}
	refuse_statement("certificate", "key", key_value("ED", pk), "key: not a usable");
	refuse_statement("certificate", "key", key_value("\0\0", pk), "key: not a usable");
	refuse_statement("revocation", "key", key_value("Ed", small), "key: not a usable");
	refuse_statement("revocation", "key", key_value("Ed", off), "key: not a usable");
}

static void test_refuses_bad_outside(void **state)
{
	(void)state;
	refuse_statement("revocation", "outside", json_string("Keep"), "outside: not \"keep\"");
	refuse_statement("revocation", "outside", json_string("delete"), "outside: not \"keep\"");
	refuse_statement("revocation", "outside", json_string("hide "), "outside: not \"keep\"");
	refuse_statement("revocation", "outside", json_string(""), "outside: not \"keep\"");
	refuse_statement("revocation", "outside", json_true(), "outside: not a string");
	refuse_statement("revocation", "outside", json_null(), "outside: not a string");
}

static void test_refuses_bad_items(void **state)
{
	json_t *many, *v;
	char id[SVD_ID_HEX_LEN + 1];
	size_t i;

	(void)state;
	refuse_statement("checkpoint", "items", json_string(ID_A), "items: not an array");
	refuse_statement("checkpoint", "items", json_array(), "items: empty");
	refuse_statement("checkpoint", "items", json_pack("[i]", 1), "items[0]: not a string");
	refuse_statement("checkpoint", "items", json_pack("[s]", ID_UPPER),
	                 "items[0]: not an item id");
	refuse_statement("checkpoint", "items", json_pack("[s, s]", ID_A, ID_SHORT),
	                 "items[1]: not an item id");
	refuse_statement("checkpoint", "items", json_pack("[s, s]", ID_B, ID_A),
	                 "items[1]: out of order");
	refuse_statement("checkpoint", "items", json_pack("[s, s]", ID_A, ID_A),
	                 "items[1]: a repeat");
	refuse_statement("checkpoint", "items", json_pack("[[s]]", ID_A), "items[0]: not a string");
	/* the cap, and one over it */
	many = json_array();
	for (i = 0; i < SVD_CHECKPOINT_MAX; i++) {
		snprintf(id, sizeof(id), "%064zx", i);
		json_array_append_new(many, json_string(id));
	}
	v = statement("checkpoint");
	json_object_set(v, "items", many);
	{
		svd_manifest *m = accept_json(v);
		assert_int_equal(svd_manifest_item_count(m), SVD_CHECKPOINT_MAX);
		svd_manifest_free(m);
	}
	snprintf(id, sizeof(id), "%064zx", i);
	json_array_append_new(many, json_string(id));
	refuse_statement("checkpoint", "items", many, "items: 3501 ids, over the limit of 3500");
}

/* A built statement: one setter a member, serialized as format 2, parsed back the same. */
static svd_manifest *statement_builder(svd_kind kind)
{
	svd_manifest *m = NULL;

	assert_int_equal(svd_manifest_new(&m), 0);
	assert_int_equal(svd_manifest_set_kind(m, kind), 0);
	assert_int_equal(svd_manifest_set(m, "title", "Taras Bilous, editor"), 0);
	assert_int_equal(svd_manifest_set(m, "lang", "en"), 0);
	assert_int_equal(svd_manifest_set(m, "created", "2026-12-02T08:00:00Z"), 0);
	return m;
}

static void test_serialize_statements(void **state)
{
	svd_manifest *m, *p;
	svd_seckey *sk = NULL;
	svd_pubkey *pk = NULL;
	size_t len;

	(void)state;
	assert_int_equal(svd_key_generate(&sk, &pk), 0);

	m = statement_builder(SVD_KIND_CERTIFICATE);
	assert_int_equal(svd_manifest_format(m), 2);
	refuse_serialize(m, "key: missing");
	m = statement_builder(SVD_KIND_CERTIFICATE);
	assert_int_equal(svd_manifest_set_key(m, pk), 0);
	assert_string_equal(svd_pubkey_id(svd_manifest_key(m)), svd_pubkey_id(pk));
	p = round_trip(m);
	assert_non_null(strstr(svd_manifest_bytes(m, &len), "\"files\":[],\"format\":2,"));
	assert_int_equal(svd_manifest_format(p), 2);
	assert_memory_equal(svd_pubkey_bytes(svd_manifest_key(p)), svd_pubkey_bytes(pk), 32);
	assert_memory_equal(svd_pubkey_id_bytes(svd_manifest_key(p)), svd_pubkey_id_bytes(pk), 8);
	svd_manifest_free(p);
	/* a statement carries no article fields, and no files */
	assert_int_equal(svd_manifest_add_tag(m, "keys"), 0);
	refuse_serialize(m, "tags: a certificate has none");
	m = statement_builder(SVD_KIND_CERTIFICATE);
	assert_int_equal(svd_manifest_set_key(m, pk), 0);
	assert_int_equal(svd_manifest_add_file(m, "body.md", 1, zero_hash), 0);
	refuse_serialize(m, "files: a certificate lists no files");
	m = statement_builder(SVD_KIND_CERTIFICATE);
	assert_int_equal(svd_manifest_set(m, "key", KEY_LINE), 0);
	assert_string_equal(svd_pubkey_id(svd_manifest_key(m)), KEY_ID);
	assert_int_equal(svd_manifest_set_key(m, NULL), 0);
	assert_null(svd_manifest_key(m));
	assert_null(svd_manifest_get(m, "key"));
	assert_int_equal(svd_manifest_set(m, "key", "RWRK"), SVD_EINVALID);
	th_expect_msg("key: not the base64 line");
	assert_null(svd_manifest_key(m));
	assert_int_equal(svd_manifest_set_outside(m, SVD_OUTSIDE_KEEP), 0);
	assert_int_equal(svd_manifest_set_key(m, pk), 0);
	refuse_serialize(m, "outside: only a revocation has it");

	m = statement_builder(SVD_KIND_REVOCATION);
	assert_int_equal(svd_manifest_set_key(m, pk), 0);
	refuse_serialize(m, "outside: missing");
	m = statement_builder(SVD_KIND_REVOCATION);
	assert_int_equal(svd_manifest_set_key(m, pk), 0);
	assert_int_equal(svd_manifest_set_outside(m, SVD_OUTSIDE_KEEP), 0);
	assert_int_equal(svd_manifest_set_outside(m, (svd_outside)9), SVD_EINVALID);
	assert_int_equal(svd_manifest_set(m, "outside", "maybe"), SVD_EINVALID);
	assert_int_equal(svd_manifest_outside(m), SVD_OUTSIDE_KEEP);
	p = round_trip(m);
	assert_int_equal(svd_manifest_outside(p), SVD_OUTSIDE_KEEP);
	svd_manifest_free(p);
	assert_int_equal(svd_manifest_set_outside(m, SVD_OUTSIDE_HIDE), 0);
	assert_null(svd_manifest_id(m));
	p = round_trip(m);
	assert_int_equal(svd_manifest_outside(p), SVD_OUTSIDE_HIDE);
	svd_manifest_free(p);
	svd_manifest_free(m);

	m = statement_builder(SVD_KIND_CHECKPOINT);
	refuse_serialize(m, "items: missing");
	m = statement_builder(SVD_KIND_CHECKPOINT);
	assert_int_equal(svd_manifest_add_item(m, ID_B), 0);
	assert_int_equal(svd_manifest_add_item(m, ID_A), 0);
	assert_int_equal(svd_manifest_add_item(m, ID_B), 0); /* there already: no change */
	assert_int_equal(svd_manifest_add_item(m, ID_UPPER), SVD_EINVALID);
	assert_int_equal(svd_manifest_add_item(m, ID_SHORT), SVD_EINVALID);
	assert_int_equal(svd_manifest_item_count(m), 2);
	p = round_trip(m);
	assert_string_equal(svd_manifest_item_at(p, 0), ID_A);
	assert_string_equal(svd_manifest_item_at(p, 1), ID_B);
	svd_manifest_free(p);
	svd_manifest_free(m);

	/* an article is still written as format 1 */
	m = builder();
	assert_int_equal(svd_manifest_format(m), 1);
	p = round_trip(m);
	assert_int_equal(svd_manifest_format(p), 1);
	assert_int_equal(svd_manifest_set(m, "key", KEY_LINE), 0);
	refuse_serialize(m, "key: not in format 1");
	svd_manifest_free(p);
	svd_seckey_free(sk);
	svd_pubkey_free(pk);
}

/* The cap is chosen so that any checkpoint fits: the longest title, fully escaped, too. */
static void test_checkpoint_cap_fits(void **state)
{
	svd_manifest *m = statement_builder(SVD_KIND_CHECKPOINT), *p;
	char id[SVD_ID_HEX_LEN + 1], *title = malloc(SVD_TEXT_MAX + 1);
	size_t i, len;

	(void)state;
	assert_non_null(title);
	memset(title, '"', SVD_TEXT_MAX);
	title[SVD_TEXT_MAX] = '\0';
	assert_int_equal(svd_manifest_set(m, "title", title), 0);
	assert_int_equal(svd_manifest_set(m, "lang", "abcdefgh-abcdefgh-abcdefgh-abcdefgh"), 0);
	for (i = 0; i < SVD_CHECKPOINT_MAX; i++) {
		snprintf(id, sizeof(id), "%064zx", i);
		assert_int_equal(svd_manifest_add_item(m, id), 0);
	}
	snprintf(id, sizeof(id), "%064zx", i);
	assert_int_equal(svd_manifest_add_item(m, id), SVD_EINVALID);
	th_expect_msg("more than 3500");
	p = round_trip(m);
	svd_manifest_bytes(p, &len);
	assert_true(len <= SVD_MANIFEST_MAX);
	assert_int_equal(svd_manifest_item_count(p), SVD_CHECKPOINT_MAX);
	svd_manifest_free(p);
	svd_manifest_free(m);
	free(title);
}

/*
 * A compact copy (what a library's catalog keeps an item): the same id,
 * kind, format, fields, authors, tags and checkpoint ids in one block; no
 * files and no bytes; read-only; a manifest with a key stays whole.
 */
static void test_compact(void **state)
{
	svd_manifest *m = NULL, *orig = NULL, *cert;
	const char *bytes;
	svd_pubkey *pk = NULL;
	svd_seckey *sk = NULL;
	size_t i, len;

	(void)state;
	assert_int_equal(svd_manifest_new(&m), 0);
	assert_int_equal(svd_manifest_set(m, "title", "Обстріл Херсона"), 0);
	assert_int_equal(svd_manifest_set(m, "lang", "uk"), 0);
	assert_int_equal(svd_manifest_set(m, "created", "2026-01-01T00:00:00Z"), 0);
	assert_int_equal(svd_manifest_set(m, "published", "2025-12-31"), 0);
	assert_int_equal(svd_manifest_set(m, "region", "UA-65"), 0);
	assert_int_equal(svd_manifest_add_author(m, "Олена"), 0);
	assert_int_equal(svd_manifest_add_author(m, "Petro"), 0);
	assert_int_equal(svd_manifest_add_tag(m, "shelling"), 0);
	assert_int_equal(svd_manifest_add_tag(m, "kherson"), 0);
	assert_int_equal(svd_manifest_add_file(m, "body.md", 5, zero_hash), 0);
	assert_int_equal(svd_manifest_serialize(m), 0);
	bytes = svd_manifest_bytes(m, &len);
	assert_int_equal(svd_manifest_parse(&orig, bytes, len), 0);
	assert_int_equal(svd_manifest_is_compact(m), 0);
	assert_int_equal(svd_manifest_compact(&m), 0);
	assert_int_equal(svd_manifest_is_compact(m), 1);
	assert_string_equal(svd_manifest_id(m), svd_manifest_id(orig));
	assert_int_equal(svd_manifest_kind(m), svd_manifest_kind(orig));
	assert_int_equal(svd_manifest_format(m), svd_manifest_format(orig));
	assert_string_equal(svd_manifest_get(m, "title"), "Обстріл Херсона");
	assert_string_equal(svd_manifest_get(m, "published"), "2025-12-31");
	assert_string_equal(svd_manifest_get(m, "region"), "UA-65");
	assert_null(svd_manifest_get(m, "source"));
	assert_int_equal(svd_manifest_author_count(m), 2);
	for (i = 0; i < 2; i++) {
		assert_string_equal(svd_manifest_author(m, i), svd_manifest_author(orig, i));
		assert_string_equal(svd_manifest_tag(m, i), svd_manifest_tag(orig, i));
	}
	assert_int_equal(svd_manifest_tag_count(m), 2);
	assert_null(svd_manifest_author(m, 2));
	assert_int_equal(svd_manifest_file_count(m), 0);
	assert_null(svd_manifest_file_find(m, "body.md"));
	assert_null(svd_manifest_bytes(m, &len));
	assert_int_equal(len, 0);
	/* read-only: every setter and the serializer refuse it, and it is unchanged */
	assert_int_equal(svd_manifest_set(m, "title", "x"), SVD_EINVALID);
	th_expect_msg("compact");
	assert_int_equal(svd_manifest_add_author(m, "x"), SVD_EINVALID);
	assert_int_equal(svd_manifest_add_tag(m, "x"), SVD_EINVALID);
	assert_int_equal(svd_manifest_add_file(m, "a.txt", 1, zero_hash), SVD_EINVALID);
	assert_int_equal(svd_manifest_set_kind(m, SVD_KIND_TESTIMONY), SVD_EINVALID);
	assert_int_equal(svd_manifest_serialize(m), SVD_EINVALID);
	assert_string_equal(svd_manifest_get(m, "title"), "Обстріл Херсона");
	assert_int_equal(svd_manifest_compact(&m), 0); /* twice: the same */
	assert_int_equal(svd_manifest_is_compact(m), 1);
	svd_manifest_free(m);
	svd_manifest_free(orig);

	/* a certificate keeps its key, and so stays whole */
	assert_int_equal(svd_key_generate(&sk, &pk), 0);
	cert = statement_builder(SVD_KIND_CERTIFICATE);
	assert_int_equal(svd_manifest_set_key(cert, pk), 0);
	assert_int_equal(svd_manifest_serialize(cert), 0);
	assert_int_equal(svd_manifest_compact(&cert), 0);
	assert_int_equal(svd_manifest_is_compact(cert), 0);
	assert_non_null(svd_manifest_key(cert));
	svd_manifest_free(cert);
	/* one never serialized has no id to keep: left as it is */
	assert_int_equal(svd_manifest_new(&m), 0);
	assert_int_equal(svd_manifest_compact(&m), 0);
	assert_int_equal(svd_manifest_is_compact(m), 0);
	svd_manifest_free(m);
	assert_int_equal(svd_manifest_compact(NULL), 0);
	svd_pubkey_free(pk);
	svd_seckey_free(sk);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_base_is_accepted),
	    cmocka_unit_test(test_compact),
	    cmocka_unit_test(test_id_is_sha256_of_bytes),
	    cmocka_unit_test(test_worked_example),
	    cmocka_unit_test(test_passes_cyrillic_greek_latin),
	    cmocka_unit_test(test_seed_corpus),
	    cmocka_unit_test(test_builder_keeps_order),
	    cmocka_unit_test(test_changes_make_bytes_stale),
	    cmocka_unit_test(test_kinds),
	    cmocka_unit_test(test_id_valid),
	    cmocka_unit_test(test_null_is_fine),
	    cmocka_unit_test(test_messages_are_safe),
	    cmocka_unit_test(test_refuses_non_canonical_whitespace),
	    cmocka_unit_test(test_refuses_key_order),
	    cmocka_unit_test(test_refuses_escaped_unicode),
	    cmocka_unit_test(test_refuses_escaped_slash),
	    cmocka_unit_test(test_refuses_trailing_newline_and_bom),
	    cmocka_unit_test(test_refuses_numbers),
	    cmocka_unit_test(test_refuses_duplicate_key),
	    cmocka_unit_test(test_refuses_invalid_utf8),
	    cmocka_unit_test(test_refuses_control_characters),
	    cmocka_unit_test(test_refuses_del),
	    cmocka_unit_test(test_refuses_c1),
	    cmocka_unit_test(test_refuses_non_ascii_key),
	    cmocka_unit_test(test_refuses_too_big),
	    cmocka_unit_test(test_refuses_unknown_key),
	    cmocka_unit_test(test_refuses_missing_required),
	    cmocka_unit_test(test_refuses_wrong_types),
	    cmocka_unit_test(test_refuses_bad_lang),
	    cmocka_unit_test(test_refuses_bad_dates),
	    cmocka_unit_test(test_refuses_bad_source),
	    cmocka_unit_test(test_refuses_bad_ids),
	    cmocka_unit_test(test_refuses_unsorted_files),
	    cmocka_unit_test(test_refuses_duplicate_paths),
	    cmocka_unit_test(test_refuses_case_duplicate_paths),
	    cmocka_unit_test(test_refuses_unicode_duplicate_paths),
	    cmocka_unit_test(test_refuses_file_size),
	    cmocka_unit_test(test_refuses_bad_paths),
	    cmocka_unit_test(test_refuses_empty_arrays),
	    cmocka_unit_test(test_refuses_empty_strings),
	    cmocka_unit_test(test_refuses_tag_order),
	    cmocka_unit_test(test_text_limits),
	    cmocka_unit_test(test_retraction_rules),
	    cmocka_unit_test(test_correction_rules),
	    cmocka_unit_test(test_setters_check_values),
	    cmocka_unit_test(test_builder_lists),
	    cmocka_unit_test(test_builder_files),
	    cmocka_unit_test(test_refuses_too_many_files),
	    cmocka_unit_test(test_serialize_checks_schema),
	    cmocka_unit_test(test_serialize_kinds),
	    cmocka_unit_test(test_serialize_size_limit),
	    cmocka_unit_test(test_statements_are_accepted),
	    cmocka_unit_test(test_format_1_refuses_statements),
	    cmocka_unit_test(test_statements_refuse_other_members),
	    cmocka_unit_test(test_statements_require_members),
	    cmocka_unit_test(test_refuses_bad_keys),
	    cmocka_unit_test(test_refuses_bad_outside),
	    cmocka_unit_test(test_refuses_bad_items),
	    cmocka_unit_test(test_serialize_statements),
	    cmocka_unit_test(test_checkpoint_cap_fits),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
