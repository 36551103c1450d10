/*
 * test_stick.c: have-sets (svd_have_from_ids, svd_have_merge,
 * svd_have_save, read back with svd_have_read) and the stick's exchange
 * (svd_stick_sync) through its callbacks: the caller's record skips a
 * bundle and is told what was imported and written, the events come in
 * order with names from the stick escaped, and a caller that stops the
 * sync stops it before its next step, with the stick not declared safe.
 */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "helpers.h"
#include "samvydav/archive.h"
#include "samvydav/bundle.h"
#include "samvydav/export.h"
#include "samvydav/item.h"
#include "samvydav/key.h"
#include "samvydav/manifest.h"
#include "samvydav/stick.h"
#include "samvydav/store.h"
#include "util.h"

#define CREATED "2024-05-01T10:00:00Z"
#define MIRROR  "0123456789abcdef0123456789abcdef"
#define ID_A    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define ID_B    "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define ID_C    "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"
#define MAX_EV  64

static char tmpdir[64];
static svd_seckey *sk;
static svd_pubkey *pk;

static int group_setup(void **state)
{
	char path[PATH_MAX];

	(void)state;
	if (th_init(tmpdir, sizeof(tmpdir), "stick") < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/bodies", tmpdir);
	if (mkdir(path, 0755) != 0)
		return -1;
	return svd_key_generate(&sk, &pk) == 0 ? 0 : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	svd_seckey_free(sk);
	svd_pubkey_free(pk);
	th_shutdown(tmpdir);
	return 0;
}

/* A new archive trusting the one editor. */
static svd_archive *make_archive(const char *name)
{
	svd_archive *a = th_archive_new(tmpdir, name);

	assert_int_equal(svd_archive_trust_add(a, pk), 0);
	return a;
}

/* Add one item with body text (its title). */
static void add_item(svd_archive *a, const char *title)
{
	char path[PATH_MAX], hex[17];
	uint8_t h[32];
	svd_source_file f = {"body.md", path};
	svd_manifest *m = NULL;
	svd_verdict *v = NULL;
	svd_txn *t = NULL;

	crypto_hash_sha256(h, (const uint8_t *)title, strlen(title));
	svd_hex_encode(hex, h, 8);
	th_path(path, sizeof(path), "%s/bodies/%s.md", tmpdir, hex);
	th_write_text(path, title);
	assert_int_equal(svd_manifest_new(&m), 0);
	assert_int_equal(svd_manifest_set(m, "title", title), 0);
	assert_int_equal(svd_manifest_set(m, "lang", "uk"), 0);
	assert_int_equal(svd_manifest_set(m, "created", CREATED), 0);
	assert_int_equal(svd_txn_begin(&t, a), 0);
	if (svd_txn_add_new(t, m, &f, 1, sk, &v) != 0)
		fail_msg("add %s: %s", title, svd_error_last());
	assert_true(svd_verdict_ok(v));
	assert_int_equal(svd_txn_commit(t, NULL, NULL), 0);
	svd_txn_free(t);
	svd_verdict_free(v);
	svd_manifest_free(m);
}

/* ----------------------------------------------------------------- have-sets */

static void test_have_from_ids(void **state)
{
	const char *ids[] = {ID_C, ID_A, ID_C, ID_B, ID_A};
	const char *bad[] = {ID_A,
	                     "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"};
	char path[PATH_MAX];
	svd_have *h = NULL, *back = NULL;

	(void)state;
	assert_int_equal(svd_have_from_ids(&h, MIRROR, ids, 5), 0);
	assert_int_equal(svd_have_count(h), 3); /* sorted, repeats dropped */
	assert_true(svd_have_contains(h, ID_A) && svd_have_contains(h, ID_B) &&
	            svd_have_contains(h, ID_C));
	assert_string_equal(svd_have_mirror(h), MIRROR);
	th_join(path, sizeof(path), tmpdir, "set.have");
	assert_int_equal(svd_have_save(h, path), 0);
	/* what the one reader reads back is what was saved, in the SPEC's order */
	assert_int_equal(svd_have_read(&back, path), 0);
	assert_int_equal(svd_have_count(back), 3);
	assert_string_equal(svd_have_mirror(back), MIRROR);
	assert_true(svd_have_contains(back, ID_B));
	{
		char *text = th_read_file(path, NULL);
		assert_non_null(strstr(text, "count 3\n" ID_A "\n" ID_B "\n" ID_C "\n"));
		assert_int_equal(strncmp(text, "samvydav have 1\nmirror " MIRROR "\ncreated ", 40),
		                 0);
		free(text);
	}
	svd_have_free(back);
	svd_have_free(h);

	h = NULL;
	assert_int_equal(svd_have_from_ids(&h, MIRROR, bad, 2), SVD_EINVALID);
	th_expect_msg("id 2 of a have-file: not an item id");
	assert_null(h);
	assert_int_equal(svd_have_from_ids(&h, "0123", ids, 1), SVD_EINVALID);
	assert_null(h);

	/* no ids: a have-file of nothing, which reads back */
	assert_int_equal(svd_have_from_ids(&h, MIRROR, NULL, 0), 0);
	assert_int_equal(svd_have_save(h, path), 0);
	assert_int_equal(svd_have_read(&back, path), 0);
	assert_int_equal(svd_have_count(back), 0);
	svd_have_free(back);
	svd_have_free(h);
}

static void test_have_merge(void **state)
{
	const char *one[] = {ID_A, ID_C};
	const char *two[] = {ID_B, ID_C};
	svd_have *h = NULL, *g = NULL;

	(void)state;
	assert_int_equal(svd_have_from_ids(&h, MIRROR, one, 2), 0);
	assert_int_equal(svd_have_from_ids(&g, "ffffffffffffffffffffffffffffffff", two, 2), 0);
	assert_int_equal(svd_have_merge(h, NULL), 0);
	assert_int_equal(svd_have_count(h), 2);
	assert_int_equal(svd_have_merge(h, g), 0);
	assert_int_equal(svd_have_count(h), 3);
	assert_true(svd_have_contains(h, ID_B));
	assert_string_equal(svd_have_mirror(h), MIRROR); /* h keeps its mirror */
	assert_int_equal(svd_have_merge(h, h), 0);       /* with itself: nothing new */
	assert_int_equal(svd_have_count(h), 3);
	svd_have_free(g);
	svd_have_free(h);
}

/* ----------------------------------------------------------------- the exchange */

typedef struct trace {
	int nev;
	svd_stick_step step[MAX_EV];
	char shown[MAX_EV][512];
	int stop_at; /* answer -42 to this step, once */
	int nrec;
	char outcome[MAX_EV][16];
	const char *skip_sha; /* the "record" knows this bundle */
	int seen_calls, seen_hashed;
	size_t items;
} trace;

static int on_seen(const svd_stick_file *f, void *payload)
{
	trace *t = payload;

	t->seen_calls++;
	assert_non_null(f->shown);
	if (!f->sha256)
		return 0;
	t->seen_hashed++;
	assert_int_equal(strlen(f->sha256), 64);
	return t->skip_sha && !strcmp(t->skip_sha, f->sha256);
}

static void on_record(const svd_stick_file *f, const char *outcome, void *payload)
{
	trace *t = payload;

	assert_non_null(f->sha256);
	assert_true(t->nrec < MAX_EV);
	snprintf(t->outcome[t->nrec++], sizeof(t->outcome[0]), "%s", outcome);
}

static int on_step(const svd_stick_event *ev, void *payload)
{
	trace *t = payload;
	const char *s = ev->file ? ev->file->shown : ev->mirror ? ev->mirror : "";

	assert_true(t->nev < MAX_EV);
	t->step[t->nev] = ev->step;
	snprintf(t->shown[t->nev], sizeof(t->shown[0]), "%s", s);
	t->nev++;
	if ((int)ev->step == t->stop_at) {
		t->stop_at = -1;
		return -42;
	}
	return 0;
}

static int on_item(const svd_verdict *v, void *payload)
{
	(void)v;
	((trace *)payload)->items++;
	return 0;
}

static svd_stick_opts opts_for(trace *t)
{
	svd_stick_opts o = {0};

	o.seen = on_seen;
	o.record = on_record;
	o.step = on_step;
	o.item = on_item;
	o.threads = 1;
	o.payload = t;
	return o;
}

static int count_steps(const trace *t, svd_stick_step step)
{
	int i, n = 0;

	for (i = 0; i < t->nev; i++)
		n += t->step[i] == step;
	return n;
}

static void test_exchange(void **state)
{
	svd_archive *a = make_archive("xa"), *b = make_archive("xb");
	svd_stick_result r;
	svd_stick_opts o;
	trace t;
	char stick[PATH_MAX], path[PATH_MAX], junk[PATH_MAX];
	svd_have *h = NULL;

	(void)state;
	add_item(a, "альфа");
	add_item(a, "бета");
	add_item(b, "гамма");
	th_join(stick, sizeof(stick), tmpdir, "xstick");
	th_mkdir(stick);

	/* B first: a stick with nothing gets samvydav/ and B's have-file */
	memset(&t, 0, sizeof(t));
	t.stop_at = -1;
	o = opts_for(&t);
	assert_int_equal(svd_stick_sync(b, stick, &o, &r), 0);
	assert_true(r.safe);
	assert_int_equal(r.bundles, 0);
	assert_int_equal(r.nmirrors, 0);
	assert_non_null(r.have);
	assert_int_equal(t.nev, 1);
	assert_int_equal(t.step[0], SVD_STICK_HAVE_WRITTEN);
	svd_stick_result_clear(&r);

	/* A: writes B what it lacks; the record hears of it as "written" */
	th_path(junk, sizeof(junk), "%s/samvydav/bundles/a\033b.tar.zst", stick);
	th_write_text(junk, "not a bundle at all, but junk from a hostile stick");
	memset(&t, 0, sizeof(t));
	t.stop_at = -1;
	o = opts_for(&t);
	assert_int_equal(svd_stick_sync(a, stick, &o, &r), 0);
	assert_true(r.safe);
	assert_int_equal(r.bundles, 1);
	assert_int_equal(r.imported, 1); /* the junk: read, nothing in it */
	assert_int_equal(r.nmirrors, 1);
	assert_string_equal(r.mirrors[0].name, svd_archive_mirror_id(b));
	assert_int_equal(r.mirrors[0].files, 1);
	assert_int_equal(r.mirrors[0].items, 2);
	assert_int_equal(r.files, 1);
	/* the junk's name is escaped in every event, and passed through the record */
	assert_int_equal(t.step[0], SVD_STICK_BUNDLE_BEGIN);
	assert_non_null(strstr(t.shown[0], "a\\x1bb.tar.zst"));
	assert_null(strchr(t.shown[0], '\033'));
	assert_int_equal(t.step[1], SVD_STICK_BUNDLE_IMPORTED);
	assert_int_equal(count_steps(&t, SVD_STICK_WRITTEN), 1);
	assert_int_equal(t.step[t.nev - 1], SVD_STICK_HAVE_WRITTEN);
	assert_int_equal(t.nrec, 2);
	assert_string_equal(t.outcome[0], "refused");
	assert_string_equal(t.outcome[1], "written");
	assert_int_equal(t.seen_hashed, 1); /* asked again once hashed */
	th_path(path, sizeof(path), "%s/samvydav/have/%s.have", stick, svd_archive_mirror_id(a));
	assert_int_equal(svd_have_read(&h, path), 0);
	assert_int_equal(svd_have_count(h), 2);
	svd_have_free(h);
	svd_stick_result_clear(&r);
	unlink(junk);

	/* B again, with a record that knows the bundle: skipped, but what it
	   carries still counts, so nothing of it is written back for A */
	{
		char sha[65], *out;
		th_path(path, sizeof(path), "%s/sha", tmpdir);
		assert_int_equal(
		    th_run("sha256sum %s/samvydav/bundles/for-*.tar.zst | cut -c1-64 >%s", stick,
		           path),
		    0);
		out = th_read_file(path, NULL);
		snprintf(sha, sizeof(sha), "%s", out);
		free(out);
		memset(&t, 0, sizeof(t));
		t.stop_at = -1;
		t.skip_sha = sha;
		o = opts_for(&t);
		assert_int_equal(svd_stick_sync(b, stick, &o, &r), 0);
	}
	assert_true(r.safe);
	assert_int_equal(r.skipped, 1);
	assert_int_equal(r.imported, 0);
	assert_int_equal(r.carried, 2);
	assert_int_equal(t.items, 0); /* a skipped bundle's items are not told */
	assert_int_equal(count_steps(&t, SVD_STICK_BUNDLE_SKIPPED), 1);
	/* A lacks B's item: written, not A's own two (carried) */
	assert_int_equal(r.nmirrors, 1);
	assert_int_equal(r.mirrors[0].items, 1);
	svd_stick_result_clear(&r);

	svd_archive_free(a);
	svd_archive_free(b);
}

static void test_stop(void **state)
{
	svd_archive *a = make_archive("sa"), *b = make_archive("sb");
	svd_stick_result r;
	svd_stick_opts o;
	svd_export_result er = {0};
	trace t;
	char stick[PATH_MAX], path[PATH_MAX];
	struct stat st;

	(void)state;
	add_item(a, "один");
	th_join(stick, sizeof(stick), tmpdir, "sstick");
	th_path(path, sizeof(path), "%s/samvydav", stick);
	th_mkdir(stick);
	th_mkdir(path);
	th_path(path, sizeof(path), "%s/samvydav/bundles", stick);
	th_mkdir(path);
	th_path(path, sizeof(path), "%s/samvydav/bundles/one.tar.zst", stick);
	assert_int_equal(svd_export(a, path, NULL, &er), 0);
	svd_export_result_clear(&er);

	/* stopped at the first bundle: nothing imported, no have-file, not safe */
	memset(&t, 0, sizeof(t));
	t.stop_at = SVD_STICK_BUNDLE_BEGIN;
	o = opts_for(&t);
	assert_int_equal(svd_stick_sync(b, stick, &o, &r), -42);
	th_expect_msg("stopped by its caller");
	assert_false(r.safe);
	assert_int_equal(r.imported, 0);
	assert_null(r.have);
	th_path(path, sizeof(path), "%s/samvydav/have/%s.have", stick, svd_archive_mirror_id(b));
	assert_int_equal(stat(path, &st), -1);
	svd_stick_result_clear(&r);

	/* stopped after the import: it is committed, the stick not flushed */
	memset(&t, 0, sizeof(t));
	t.stop_at = SVD_STICK_BUNDLE_IMPORTED;
	o = opts_for(&t);
	assert_int_equal(svd_stick_sync(b, stick, &o, &r), -42);
	assert_int_equal(r.imported, 1);
	assert_int_equal(r.added, 1);
	assert_false(r.safe);
	svd_stick_result_clear(&r);

	/* and a stick that is not there */
	th_path(path, sizeof(path), "%s/nowhere", tmpdir);
	assert_int_equal(svd_stick_sync(b, path, NULL, &r), SVD_ENOTFOUND);
	th_expect_msg("no such folder (is the stick mounted?)");
	svd_stick_result_clear(&r);

	svd_archive_free(a);
	svd_archive_free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_have_from_ids),
	    cmocka_unit_test(test_have_merge),
	    cmocka_unit_test(test_exchange),
	    cmocka_unit_test(test_stop),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
