/*
 * test_view.c: the rules of what is shown (view.c) — retraction,
 * withdrawal of an item the view does not hold, supersession, the one
 * order, duplicates, refusal — and the view cache's parser on each way its
 * file can be wrong (the fuzz corpus of tests/fuzz/corpus/view_cache).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "helpers.h"
#include "view_cache.h"
#include "util.h"
#include "view_internal.h"

/* A record for a view's reader to fill, of the enclosing block (one per call site). */
#define VB (&(svd_view_item){0})

/* A made-up id: 64 copies of one hex digit. */
static const char *fake_id(char buf[65], char digit)
{
	memset(buf, digit, 64);
	buf[64] = '\0';
	return buf;
}

static void add(svd_view *v, const char *id, svd_kind kind, const char *date, const char *sup,
                const char *ret, int ok)
{
	svd_view_fields f = {0};

	f.id = id;
	f.ok = ok;
	f.kind = kind;
	f.date = date;
	f.created = "";
	f.supersedes = sup;
	f.retracts = ret;
	f.title = "t";
	f.lang = "en";
	f.why = ok ? NULL : "x: trust: no signature by a trusted key";
	f.signers = ok ? "0123456789ABCDEF" : "";
	assert_int_equal(svd_view_add_fields(v, &f), 0);
}

static void test_rules(void **state)
{
	char a[65], b[65], c[65], d[65], e[65], g[65], r[65];
	svd_view *v = NULL;

	(void)state;
	fake_id(a, 'a');
	fake_id(b, 'b');
	fake_id(c, 'c');
	fake_id(d, 'd');
	fake_id(e, 'e');
	fake_id(g, '9');
	fake_id(r, '1');
	assert_int_equal(svd_view_new(&v, 0), 0);
	add(v, a, SVD_KIND_ARTICLE, "2026-01-01", NULL, NULL, 1); /* superseded by b and c */
	add(v, b, SVD_KIND_CORRECTION, "2026-01-02", a, NULL, 1);
	add(v, c, SVD_KIND_CORRECTION, "2026-01-03", a, NULL, 1);
	add(v, d, SVD_KIND_ARTICLE, "2026-01-04", NULL, NULL, 1); /* retracted by r */
	add(v, r, SVD_KIND_RETRACTION, "2026-01-05", NULL, d, 1);
	add(v, e, SVD_KIND_RETRACTION, "2026-01-06", NULL, g, 0); /* refused: counts for nothing */
	add(v, a, SVD_KIND_ARTICLE, "2030-01-01", NULL, NULL, 0); /* a second a: left out */
	add(v, g, SVD_KIND_RETRACTION, "2026-01-07", NULL, fake_id(b, 'f'),
	    1); /* names an absent f */
	fake_id(b, 'b');
	assert_int_equal(svd_view_finish(v), 0);

	assert_int_equal(svd_view_size(v), 7);
	assert_int_equal(svd_view_count(v), 5); /* g, r, c, b, a */
	assert_string_equal(svd_view_row(VB, v, 0)->id, g);
	assert_string_equal(svd_view_row(VB, v, 1)->id, r);
	assert_string_equal(svd_view_row(VB, v, 2)->id, c);
	assert_string_equal(svd_view_row(VB, v, 4)->id, a);
	assert_null(svd_view_row(VB, v, 5));
	assert_int_equal(svd_view_find(VB, v, d)->state, SVD_VIEW_RETRACTED);
	assert_string_equal(svd_view_find(VB, v, d)->retracted_by, r);
	assert_int_equal(svd_view_find(VB, v, e)->state, SVD_VIEW_REFUSED);
	assert_non_null(svd_view_find(VB, v, e)->why);
	assert_int_equal(svd_view_find(VB, v, a)->state, SVD_VIEW_SHOWN); /* the first a counts */
	assert_string_equal(svd_view_find(VB, v, a)->superseded_by, c);   /* the newest */
	assert_int_equal(svd_view_superseder_count(v, a), 2);
	assert_string_equal(svd_view_superseder(VB, v, a, 1)->id, b);
	assert_null(svd_view_superseder(VB, v, a, 2));
	assert_false(svd_view_shows(v, d));
	assert_true(svd_view_shows(v, r));
	/* withdrawal is known for an id the view does not hold, and not from a refused retraction */
	assert_string_equal(svd_view_withdrawn(VB, v, fake_id(b, 'f'))->id, g);
	assert_null(svd_view_withdrawn(VB, v, g)); /* e names g, but e was refused */
	{ /* two records filled at once are apart: each holds its own ids */
		svd_view_item x, y;
		char upper[SVD_ID_HEX_LEN + 1];
		const svd_view_item *dx = svd_view_find(&x, v, d), *rx = svd_view_find(&y, v, r);
		size_t i;
		assert_ptr_equal(dx, &x);
		assert_ptr_equal(rx, &y);
		assert_string_equal(dx->id, d);
		assert_string_equal(dx->retracted_by, r);
		assert_string_equal(rx->id, r);
		assert_null(rx->retracted_by);
		for (i = 0; i <= SVD_ID_HEX_LEN;
		     i++) /* an id is lower-case hex: no other spelling */
			upper[i] = (char)(d[i] >= 'a' && d[i] <= 'f' ? d[i] - 'a' + 'A' : d[i]);
		if (strcmp(upper, d))
			assert_null(svd_view_find(&x, v, upper));
	}
	assert_string_equal(svd_view_state_name(SVD_VIEW_RETRACTED), "retracted");
	assert_int_equal(svd_view_add_fields(v, &(svd_view_fields){.id = a}), SVD_EINVALID);
	svd_view_free(v);
}

/* An article's manifest: published when not NULL, created always. */
static svd_manifest *dated(const char *published, const char *created)
{
	static const uint8_t sha[32] = {7};
	svd_manifest *m = NULL;

	assert_int_equal(svd_manifest_new(&m), 0);
	assert_int_equal(svd_manifest_set_kind(m, SVD_KIND_ARTICLE), 0);
	assert_int_equal(svd_manifest_set(m, "title", "t"), 0);
	assert_int_equal(svd_manifest_set(m, "lang", "en"), 0);
	assert_int_equal(svd_manifest_set(m, "created", created), 0);
	if (published)
		assert_int_equal(svd_manifest_set(m, "published", published), 0);
	assert_int_equal(svd_manifest_add_file(m, "body.md", 2, sha), 0);
	assert_int_equal(svd_manifest_serialize(m), 0);
	return m;
}

/*
 * The one order over manifests: dated items newest first; then every item
 * without "published", newest "created" first, then by id; the date of
 * such an item is "", never the day of its "created" (an item added today
 * is not news of today); an item whose manifest does not parse is last.
 */
/*
 * A refused verdict of an item's id (a copy of its folder filed elsewhere)
 * that comes first does not hide the item, which passed: the accepted entry
 * counts, whichever comes first; of two refused ones, the first.
 */
static void test_accepted_copy_counts(void **state)
{
	char a[65], b[65];
	const svd_view_item *it;
	svd_view *v = NULL;

	(void)state;
	fake_id(a, 'a');
	fake_id(b, 'b');
	assert_int_equal(svd_view_new(&v, 0), 0);
	add(v, a, SVD_KIND_ARTICLE, "2024-01-01", NULL, NULL, 0);
	add(v, a, SVD_KIND_ARTICLE, "2024-01-01", NULL, NULL, 1);
	add(v, b, SVD_KIND_ARTICLE, "2024-01-02", NULL, NULL, 1);
	add(v, b, SVD_KIND_ARTICLE, "2024-01-02", NULL, NULL, 0);
	assert_int_equal(svd_view_finish(v), 0);
	assert_int_equal(svd_view_size(v), 2);
	assert_int_equal(svd_view_count(v), 2);
	assert_non_null(it = svd_view_find(VB, v, a));
	assert_int_equal(it->state, SVD_VIEW_SHOWN);
	assert_non_null(it = svd_view_find(VB, v, b));
	assert_int_equal(it->state, SVD_VIEW_SHOWN);
	svd_view_free(v);
}

static void test_order_undated(void **state)
{
	static const struct {
		char digit;
		const char *published, *created;
	} items[] = {
	    {'1', NULL, "2026-12-04T09:00:00Z"},         /* undated, made last */
	    {'2', "2020-05-05", "2026-12-04T10:00:00Z"}, /* dated long before it was made */
	    {'3', NULL, "2018-01-01T00:00:00Z"},         /* undated, made first */
	    {'4', "2024-01-01", "2024-01-01T00:00:00Z"},
	    {'6', NULL, "2025-01-01T00:00:00Z"}, /* undated, one time with 5: by id */
	    {'5', NULL, "2025-01-01T00:00:00Z"},
	};
	static const char want[] = "421563"; /* rows, by the ids' digit */
	char id[65], bad[65];
	svd_view *v = NULL;
	size_t i;

	(void)state;
	assert_int_equal(svd_view_new(&v, 0), 0);
	for (i = 0; i < sizeof(items) / sizeof(items[0]); i++) {
		svd_manifest *m = dated(items[i].published, items[i].created);
		assert_int_equal(svd_view_add_item(v, fake_id(id, items[i].digit), m, 1, NULL,
		                                   "0123456789ABCDEF"),
		                 0);
		svd_manifest_free(m);
	}
	assert_int_equal(svd_view_add_item(v, fake_id(bad, '0'), NULL, 0, "manifest.json: no", ""),
	                 0);
	assert_int_equal(svd_view_finish(v), 0);
	assert_int_equal(svd_view_count(v), 6);
	for (i = 0; i < 6; i++) {
		const svd_view_item *it = svd_view_row(VB, v, i);
		if (it->id[0] != want[i])
			fail_msg("row %zu is item %c, not %c", i, it->id[0], want[i]);
		assert_string_equal(svd_view_at(VB, v, i)->id, it->id);
	}
	assert_string_equal(svd_view_row(VB, v, 0)->date, "2024-01-01");
	assert_string_equal(svd_view_row(VB, v, 1)->date, "2020-05-05");
	for (i = 2; i < 6; i++)
		assert_string_equal(svd_view_row(VB, v, i)->date, "");
	assert_string_equal(svd_view_row(VB, v, 2)->created, "2026-12-04T09:00:00Z");
	assert_string_equal(svd_view_at(VB, v, 6)->id, bad); /* no manifest: last of all */
	svd_view_free(v);
}

/*
 * The view keeps dates of the manifest's form as numbers: dates of any
 * other form (a builder's fields, a refused item's manifest) come back as
 * they were given and sort as text among the others.
 */
static void test_dates_kept(void **state)
{
	static const struct {
		char digit;
		const char *date, *created;
	} items[] = {
	    {'1', "2024-01-01", "2024-01-01T00:00:00Z"},
	    {'2', "2024-1-1", "2024-01-01T00:00:00Z"},   /* "2024-1-1" > "2024-01-01" */
	    {'3', "2024-01-01", "2024-01-01T00:00:01Z"}, /* newer: before 1 */
	    {'4', "2024-01-01", "yesterday"},            /* "y" > "2": before 3 */
	    {'5', "0000-00-00", "0000-00-00T00:00:00Z"}, /* dated, and before the undated 6 */
	    {'6', "", "2024-01-01T00:00:00"},            /* no Z */
	    {'7', "9999-99-99", "9999-99-99T99:99:99Z"},
	};
	static const char want[] = "7243156"; /* every item, by the ids' digit */
	char id[65];
	svd_view *v = NULL;
	size_t i;

	(void)state;
	assert_int_equal(svd_view_new(&v, 0), 0);
	for (i = 0; i < sizeof(items) / sizeof(items[0]); i++) {
		svd_view_fields f = {0};
		f.id = fake_id(id, items[i].digit);
		f.ok = 1;
		f.kind = SVD_KIND_ARTICLE;
		f.date = items[i].date;
		f.created = items[i].created;
		assert_int_equal(svd_view_add_fields(v, &f), 0);
	}
	assert_int_equal(svd_view_finish(v), 0);
	assert_int_equal(svd_view_count(v), 7);
	for (i = 0; i < 7; i++) {
		svd_view_item it;
		size_t k = (size_t)(want[i] - '1');
		assert_non_null(svd_view_row(&it, v, i));
		if (it.id[0] != want[i])
			fail_msg("row %zu is item %c, not %c", i, it.id[0], want[i]);
		assert_string_equal(it.date, items[k].date);
		assert_string_equal(it.created, items[k].created);
	}
	svd_view_free(v);
}

/* A retracted retraction: hidden, but what it withdrew stays withdrawn. */
static void test_withdrawal_is_final(void **state)
{
	char a[65], r1[65], r2[65];
	svd_view *v = NULL;

	(void)state;
	assert_int_equal(svd_view_new(&v, 0), 0);
	add(v, fake_id(a, 'a'), SVD_KIND_ARTICLE, "2026-01-01", NULL, NULL, 1);
	add(v, fake_id(r1, 'b'), SVD_KIND_RETRACTION, "2026-01-02", NULL, a, 1);
	add(v, fake_id(r2, 'c'), SVD_KIND_RETRACTION, "2026-01-03", NULL, r1, 1);
	assert_int_equal(svd_view_finish(v), 0);
	assert_int_equal(svd_view_find(VB, v, a)->state, SVD_VIEW_RETRACTED);
	assert_int_equal(svd_view_find(VB, v, r1)->state, SVD_VIEW_RETRACTED);
	assert_int_equal(svd_view_count(v), 1);
	svd_view_free(v);
}

/* Parse a file of the fuzz corpus: its first byte is the level, the rest the file. */
static int parse_corpus(const char *name, size_t *count)
{
	char path[4096];
	svd_view_cache *c = NULL;
	uint8_t trust[32];
	size_t len;
	char *data;
	int error;

	th_path(path, sizeof(path), "%s/tests/fuzz/corpus/view_cache/%s", th_source_dir(), name);
	data = th_read_file(path, &len);
	assert_true(len > 1 + 9 + 32);
	memcpy(trust, data + 1 + 9, 32);
	error = svd_view_cache_parse(&c, (const uint8_t *)data + 1, len - 1, data[0] & 1, trust);
	*count = svd_view_cache_count(c);
	if (error == 0)
		assert_non_null(c);
	else
		assert_null(c);
	svd_view_cache_free(c);
	free(data);
	return error;
}

static void test_cache_parse(void **state)
{
	static const char *bad[] = {"bad-sum",         "out-of-order",    "refused-without-why",
	                            "count-lies",      "control-in-date", "cut",
	                            "region-not-utf8", "region-control",  "list-unended",
	                            "list-nul",        "source-too-long"};
	size_t i, count;
	int error;

	(void)state;
	assert_int_equal(parse_corpus("good", &count), 0);
	assert_int_equal(count, 4);
	assert_int_equal(parse_corpus("empty", &count), 0);
	assert_int_equal(count, 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if ((error = parse_corpus(bad[i], &count)) != SVD_ECORRUPT)
			fail_msg("%s: %d (%s)", bad[i], error, svd_error_last());
	}
}

static int from_array(svd_view_cache_rec *rec, void *payload)
{
	svd_view_cache_rec **p = payload;

	if (!(*p)->f.id)
		return 0;
	*rec = **p;
	(*p)++;
	return 1;
}

/* Written, read back, and the same records; another trust list or level is not used. */
static void test_cache_round_trip(void **state)
{
	char a[65], b[65], path[4096], *data;
	svd_view_cache_rec recs[3], *at = recs, scratch;
	const svd_view_cache_rec *r;
	uint8_t trust[32] = {1}, other[32] = {2}, commit[20] = {3};
	svd_view_cache *c = NULL;
	size_t len;

	(void)state;
	memset(recs, 0, sizeof(recs));
	recs[0].f = (svd_view_fields){
	    .id = fake_id(a, 'a'),
	    .ok = 1,
	    .kind = SVD_KIND_ARTICLE,
	    .date = "2026-01-01",
	    .created = "2026-01-01T00:00:00Z",
	    .title = "Заголовок",
	    .lang = "uk",
	    .vsigs = "0123456789ABCDEF:"
	             "5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a "
	             "FEDCBA9876543210:"
	             "0101010101010101010101010101010101010101010101010101010101010101"};
	recs[1].f = (svd_view_fields){.id = fake_id(b, 'b'),
	                              .ok = 0,
	                              .kind = SVD_KIND_RETRACTION,
	                              .date = "",
	                              .created = "",
	                              .retracts = a,
	                              .title = "",
	                              .lang = "",
	                              .why = "manifest.json: canonical: no",
	                              .vsigs = ""};
	memset(recs[0].tree, 7, 20);
	memset(recs[1].tree, 8, 20);
	th_join(path, sizeof(path), th_tmp, "view-cache");
	assert_int_equal(svd_view_cache_write(path, 0, trust, commit, from_array, &at), 0);
	data = th_read_file(path, &len);
	assert_int_equal(svd_view_cache_parse(&c, (const uint8_t *)data, len, 0, trust), 0);
	assert_int_equal(svd_view_cache_count(c), 2);
	r = svd_view_cache_next(c, &scratch);
	assert_non_null(r);
	assert_string_equal(r->id, a);
	assert_memory_equal(r->tree, recs[0].tree, 20);
	assert_string_equal(r->f.title, "Заголовок");
	assert_string_equal(r->f.vsigs, recs[0].f.vsigs);
	assert_true(r->f.sound);
	r = svd_view_cache_next(c, &scratch);
	assert_non_null(r);
	assert_false(r->f.ok);
	assert_string_equal(r->f.retracts, a);
	assert_string_equal(r->f.why, "manifest.json: canonical: no");
	assert_null(svd_view_cache_next(c, &scratch));
	svd_view_cache_free(c);
	c = NULL;
	assert_int_equal(svd_view_cache_parse(&c, (const uint8_t *)data, len, 0, other),
	                 SVD_ENOTFOUND);
	assert_int_equal(svd_view_cache_parse(&c, (const uint8_t *)data, len, 1, trust),
	                 SVD_ENOTFOUND);
	assert_null(c);
	/*
	 * The same bytes as the layout before (svdview2: an undated item's date
	 * was that of "created"), adding up: refused whole, never read as this one
	 */
	memcpy(data, "svdview2", 8);
	crypto_generichash((uint8_t *)data + len - 32, 32, (const uint8_t *)data, len - 32, NULL,
	                   0);
	assert_int_equal(svd_view_cache_parse(&c, (const uint8_t *)data, len, 0, trust),
	                 SVD_ECORRUPT);
	assert_null(c);
	free(data);
}

/* The trust rules (SPEC 7.3) over real keys and statements. */
typedef struct tkey {
	svd_pubkey *pk;
	char vsig[16 + 1 + 64 + 1]; /* "KEYID:hex" */
} tkey;

static void tkey_make(tkey *k)
{
	uint8_t raw[42], sk[64];
	char b64[64], text[160];

	raw[0] = 'E';
	raw[1] = 'd';
	randombytes_buf(raw + 2, 8);
	crypto_sign_keypair(raw + 10, sk);
	sodium_bin2base64(b64, sizeof(b64), raw, 42, sodium_base64_VARIANT_ORIGINAL);
	snprintf(text, sizeof(text), "untrusted comment: test\n%s\n", b64);
	assert_int_equal(svd_pubkey_parse(&k->pk, text, strlen(text)), 0);
	memcpy(k->vsig, svd_pubkey_id(k->pk), 16);
	k->vsig[16] = ':';
	svd_hex_encode(k->vsig + 17, svd_pubkey_bytes(k->pk), 32);
}

/* "KEYID:hex KEYID:hex" of up to three keys. */
static const char *sigs(char *buf, const tkey *a, const tkey *b, const tkey *c)
{
	buf[0] = '\0';
	if (a)
		strcat(buf, a->vsig);
	if (b)
		strcat(strcat(buf, " "), b->vsig);
	if (c)
		strcat(strcat(buf, " "), c->vsig);
	return buf;
}

/* A content item by id, kind, what it retracts, signed by vsigs. */
static void add_signed(svd_view *v, const char *id, svd_kind kind, const char *created,
                       const char *ret, const char *vsigs)
{
	svd_view_fields f = {0};

	f.id = id;
	f.kind = kind;
	f.date = "2026-01-01";
	f.created = created;
	f.retracts = ret;
	f.title = "t";
	f.lang = "en";
	f.signers = "";
	f.vsigs = vsigs;
	f.sound = 1;
	assert_int_equal(svd_view_add_fields(v, &f), 0);
}

/* A statement: kind, its key (certificate, revocation), outside, or one id vouched for. */
static char *add_statement(svd_view *v, svd_kind kind, const tkey *key, svd_outside outside,
                           const char *item, const char *vsigs)
{
	svd_manifest *m = NULL;
	svd_view_fields f = {0};
	char *id;

	assert_int_equal(svd_manifest_new(&m), 0);
	assert_int_equal(svd_manifest_set_kind(m, kind), 0);
	assert_int_equal(svd_manifest_set(m, "title", "statement"), 0);
	assert_int_equal(svd_manifest_set(m, "lang", "en"), 0);
	assert_int_equal(svd_manifest_set(m, "created", "2026-02-01T00:00:00Z"), 0);
	if (key)
		assert_int_equal(svd_manifest_set_key(m, key->pk), 0);
	if (outside)
		assert_int_equal(svd_manifest_set_outside(m, outside), 0);
	if (item)
		assert_int_equal(svd_manifest_add_item(m, item), 0);
	if (svd_manifest_serialize(m) < 0)
		fail_msg("statement: %s", svd_error_last());
	id = strdup(svd_manifest_id(m));
	f.id = id;
	f.m = m;
	f.signers = "";
	f.vsigs = vsigs;
	f.sound = 1;
	assert_int_equal(svd_view_add_fields(v, &f), 0);
	svd_manifest_free(m);
	return id;
}

static svd_trust *trust_of(const tkey *editors[], const tkey *roots[], unsigned root_k)
{
	svd_trust *t = NULL;
	size_t i;

	assert_int_equal(svd_trust_new(&t), 0);
	for (i = 0; editors && editors[i]; i++)
		assert_int_equal(svd_trust_insert_role(t, editors[i]->pk, SVD_TRUST_EDITOR), 0);
	for (i = 0; roots && roots[i]; i++)
		assert_int_equal(svd_trust_insert_role(t, roots[i]->pk, SVD_TRUST_ROOT), 0);
	assert_int_equal(svd_trust_set_threshold(t, -1, root_k), 0);
	return t;
}

/* A certificate takes effect with k roots, and only then does its editor count. */
static void test_trust_certificates(void **state)
{
	tkey r1, r2, e, twin;
	const tkey *roots[] = {&r1, &r2, NULL};
	char a[65], buf[300];
	svd_trust *t;
	svd_view *v = NULL;
	char *cert;

	(void)state;
	tkey_make(&r1);
	tkey_make(&r2);
	tkey_make(&e);
	t = trust_of(NULL, roots, 2);
	/* one root of two: not in effect; the editor's item is refused */
	assert_int_equal(svd_view_new(&v, 0), 0);
	svd_view_set_trust(v, t);
	fake_id(a, 'a');
	add_signed(v, a, SVD_KIND_ARTICLE, "2026-01-01T00:00:00Z", NULL, e.vsig);
	cert = add_statement(v, SVD_KIND_CERTIFICATE, &e, SVD_OUTSIDE_NONE, NULL, r1.vsig);
	assert_int_equal(svd_view_finish(v), 0);
	assert_int_equal(svd_view_find(VB, v, a)->state, SVD_VIEW_REFUSED);
	assert_int_equal(svd_view_find(VB, v, cert)->state, SVD_VIEW_STATEMENT);
	assert_non_null(strstr(svd_view_find(VB, v, cert)->note, "not in effect"));
	assert_false(svd_view_carries(v, a));
	assert_true(svd_view_carries(v, cert));
	assert_int_equal(svd_view_count(v), 0);
	svd_view_free(v);
	free(cert);
	/* both roots: the editor counts, with no edit of the trust list */
	assert_int_equal(svd_view_new(&v, 0), 0);
	svd_view_set_trust(v, t);
	add_signed(v, a, SVD_KIND_ARTICLE, "2026-01-01T00:00:00Z", NULL, e.vsig);
	cert = add_statement(v, SVD_KIND_CERTIFICATE, &e, SVD_OUTSIDE_NONE, NULL,
	                     sigs(buf, &r1, &r2, NULL));
	assert_int_equal(svd_view_finish(v), 0);
	assert_int_equal(svd_view_find(VB, v, a)->state, SVD_VIEW_SHOWN);
	assert_string_equal(svd_view_find(VB, v, a)->signers, svd_pubkey_id(e.pk));
	assert_string_equal(svd_view_find(VB, v, cert)->note, "in effect");
	assert_string_equal(svd_view_trust_date(v), "2026-02-01T00:00:00Z");
	svd_view_free(v);
	free(cert);
	/* a key with the editor's key number but another key is never trusted by it */
	tkey_make(&twin);
	memcpy(twin.vsig, e.vsig, 16);
	assert_int_equal(svd_view_new(&v, 0), 0);
	svd_view_set_trust(v, t);
	add_signed(v, a, SVD_KIND_ARTICLE, "2026-01-01T00:00:00Z", NULL, twin.vsig);
	cert = add_statement(v, SVD_KIND_CERTIFICATE, &e, SVD_OUTSIDE_NONE, NULL,
	                     sigs(buf, &r1, &r2, NULL));
	assert_int_equal(svd_view_finish(v), 0);
	assert_int_equal(svd_view_find(VB, v, a)->state, SVD_VIEW_REFUSED);
	svd_view_free(v);
	free(cert);
	svd_trust_free(t);
	svd_pubkey_free(r1.pk);
	svd_pubkey_free(r2.pk);
	svd_pubkey_free(e.pk);
	svd_pubkey_free(twin.pk);
}

/* A key's own revocation hides what it signed, but for what a checkpoint vouches for. */
static void test_trust_revocation(void **state)
{
	tkey r, e;
	const tkey *editors[] = {&e, NULL}, *roots[] = {&r, NULL};
	char a[65], b[65];
	svd_outside outside;
	svd_trust *t;

	(void)state;
	tkey_make(&r);
	tkey_make(&e);
	t = trust_of(editors, roots, 1);
	fake_id(a, 'a');
	fake_id(b, 'b');
	for (outside = SVD_OUTSIDE_KEEP; outside <= SVD_OUTSIDE_HIDE; outside++) {
		svd_view *v = NULL;
		char *rev, *cp;
		assert_int_equal(svd_view_new(&v, 0), 0);
		svd_view_set_trust(v, t);
		add_signed(v, a, SVD_KIND_TESTIMONY, "2026-01-01T00:00:00Z", NULL, e.vsig);
		add_signed(v, b, SVD_KIND_TESTIMONY, "2026-03-01T00:00:00Z", NULL, e.vsig);
		rev = add_statement(v, SVD_KIND_REVOCATION, &e, outside, NULL, e.vsig);
		cp = add_statement(v, SVD_KIND_CHECKPOINT, NULL, SVD_OUTSIDE_NONE, a, r.vsig);
		assert_int_equal(svd_view_finish(v), 0);
		assert_int_equal(svd_view_find(VB, v, a)->state, SVD_VIEW_SHOWN);
		assert_int_equal(svd_view_find(VB, v, b)->state,
		                 outside == SVD_OUTSIDE_KEEP ? SVD_VIEW_SHOWN : SVD_VIEW_REVOKED);
		assert_int_equal(svd_view_find(VB, v, rev)->state, SVD_VIEW_STATEMENT);
		assert_string_equal(svd_view_find(VB, v, rev)->note, "in effect");
		assert_true(svd_view_carries(v, rev));
		assert_int_equal(svd_view_carries(v, b), outside == SVD_OUTSIDE_KEEP);
		svd_view_free(v);
		free(rev);
		free(cp);
	}
	svd_trust_free(t);
	svd_pubkey_free(r.pk);
	svd_pubkey_free(e.pk);
}

/* Only an item's own signers, or k roots, withdraw it; thresholds hold items back. */
static void test_trust_retract_and_thresholds(void **state)
{
	tkey r, e, e2;
	const tkey *editors[] = {&e, &e2, NULL}, *roots[] = {&r, NULL};
	char a[65], b[65], c[65], d[65], x[65], buf[300];
	svd_trust *t;
	svd_view *v = NULL;

	(void)state;
	tkey_make(&r);
	tkey_make(&e);
	tkey_make(&e2);
	t = trust_of(editors, roots, 1);
	assert_int_equal(svd_trust_set_threshold(t, SVD_KIND_TESTIMONY, 2), 0);
	assert_int_equal(svd_view_new(&v, 0), 0);
	svd_view_set_trust(v, t);
	add_signed(v, fake_id(a, 'a'), SVD_KIND_ARTICLE, "2026-01-01T00:00:00Z", NULL, e.vsig);
	add_signed(v, fake_id(b, 'b'), SVD_KIND_ARTICLE, "2026-01-01T00:00:00Z", NULL, e.vsig);
	add_signed(v, fake_id(c, 'c'), SVD_KIND_RETRACTION, "2026-01-02T00:00:00Z", a, e2.vsig);
	add_signed(v, fake_id(d, 'd'), SVD_KIND_RETRACTION, "2026-01-02T00:00:00Z", b, r.vsig);
	add_signed(v, fake_id(x, 'e'), SVD_KIND_TESTIMONY, "2026-01-03T00:00:00Z", NULL, e.vsig);
	assert_int_equal(svd_view_finish(v), 0);
	assert_int_equal(svd_view_find(VB, v, a)->state, SVD_VIEW_SHOWN);
	assert_int_equal(svd_view_find(VB, v, c)->state, SVD_VIEW_SHOWN);
	assert_non_null(strstr(svd_view_find(VB, v, c)->note, "has no effect"));
	assert_int_equal(svd_view_find(VB, v, b)->state, SVD_VIEW_RETRACTED);
	assert_int_equal(svd_view_find(VB, v, x)->state, SVD_VIEW_PENDING);
	assert_true(svd_view_carries(v, x));
	assert_false(svd_view_shows(v, x));
	svd_view_free(v);
	/* the second signature arrives */
	assert_int_equal(svd_view_new(&v, 0), 0);
	svd_view_set_trust(v, t);
	add_signed(v, x, SVD_KIND_TESTIMONY, "2026-01-03T00:00:00Z", NULL,
	           sigs(buf, &e, &e2, NULL));
	assert_int_equal(svd_view_finish(v), 0);
	assert_int_equal(svd_view_find(VB, v, x)->state, SVD_VIEW_SHOWN);
	svd_view_free(v);
	svd_trust_free(t);
	svd_pubkey_free(r.pk);
	svd_pubkey_free(e.pk);
	svd_pubkey_free(e2.pk);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rules),
	    cmocka_unit_test(test_withdrawal_is_final),
	    cmocka_unit_test(test_order_undated),
	    cmocka_unit_test(test_dates_kept),
	    cmocka_unit_test(test_accepted_copy_counts),
	    cmocka_unit_test(test_cache_parse),
	    cmocka_unit_test(test_cache_round_trip),
	    cmocka_unit_test(test_trust_certificates),
	    cmocka_unit_test(test_trust_revocation),
	    cmocka_unit_test(test_trust_retract_and_thresholds),
	};

	return cmocka_run_group_tests(tests, th_group_setup, th_group_teardown);
}
