/*
 * test_bundle_write.c: the bundle format's writer on its own (bundle_write.h),
 * fed files that come from no archive: one bundle that stock zstd and tar
 * read, BUNDLE.json naming the ids and the mirror, extra files after the
 * items; parts under a size limit; the calls it refuses; an unfinished
 * writer that leaves nothing behind; and bundles of any number of items:
 * past the 250,000 that once split an export, one file that the reader
 * reads whole, and parts only past what one BUNDLE.json may hold.
 */
#include <dirent.h>
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

#include "bundle_internal.h"
#include "bundle_write.h"
#include "helpers.h"

#define MIRROR "0123456789abcdef0123456789abcdef"
#define ID0    "00aa000000000000000000000000000000000000000000000000000000000000"
#define ID1    "01bb000000000000000000000000000000000000000000000000000000000000"
#define ID2    "02cc000000000000000000000000000000000000000000000000000000000000"

static const char *const ids[3] = {ID0, ID1, ID2};

/* Item i's two files: a small manifest stand-in and size bytes of a body. */
static void item_files(svd_bundle_file f[2], char paths[2][128], char *body, size_t size, size_t i)
{
	size_t k;

	for (k = 0; k < size; k++)
		body[k] = (char)('a' + (k * 7 + i * 13) % 26);
	th_path(paths[0], sizeof(paths[0]), "items/%.2s/%s/manifest.json", ids[i], ids[i]);
	th_path(paths[1], sizeof(paths[1]), "items/%.2s/%s/body.md", ids[i], ids[i]);
	f[0] = (svd_bundle_file){paths[0], "{}", 2};
	f[1] = (svd_bundle_file){paths[1], body, size};
}

/* size bytes that zstd cannot shrink, the same for the same seed. */
static void noise(char *body, size_t size, uint32_t seed)
{
	size_t k;

	for (k = 0; k < size; k++) {
		seed = seed * 1103515245u + 12345u;
		body[k] = (char)(seed >> 24);
	}
}

/* How many entries of dir begin with prefix. */
static size_t count_files(const char *dir, const char *prefix)
{
	struct dirent *e;
	size_t n = 0;
	DIR *d = opendir(dir);

	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		n += !strncmp(e->d_name, prefix, strlen(prefix));
	closedir(d);
	return n;
}

static void test_one_bundle(void **state)
{
	svd_bundle_writer_opts o = {MIRROR, ids, 2, 0, 3, 2, NULL, NULL, NULL, NULL};
	svd_bundle_writer *w = NULL;
	svd_bundle_file f[2];
	char dir[256], out[300], paths[2][128], body[3000], **files = NULL;
	size_t nfiles = 0, i;
	uint64_t bytes = 0;

	(void)state;
	th_path(dir, sizeof(dir), "%s/one", th_tmp);
	th_mkdir(dir);
	th_path(out, sizeof(out), "%s/b.tar.zst", dir);
	assert_int_equal(svd_bundle_writer_new(&w, out, &o), 0);
	assert_int_equal(svd_bundle_writer_split(w), 0);
	for (i = 0; i < 2; i++) {
		item_files(f, paths, body, sizeof(body), i);
		assert_int_equal(svd_bundle_writer_item(w, f, 2), 0);
	}
	/* an item more than the ids: refused */
	assert_int_equal(svd_bundle_writer_item(w, f, 2), SVD_EINVALID);
	assert_int_equal(svd_bundle_writer_extra(w, "index.html", "<p>", 3), 0);
	assert_int_equal(svd_bundle_writer_finish(w, &files, &nfiles, &bytes), 0);
	svd_bundle_writer_free(w);
	assert_int_equal(nfiles, 1);
	assert_string_equal(files[0], out);
	free(files[0]);
	free(files);
	assert_true(bytes > 0);
	assert_int_equal(count_files(dir, "b.tar.zst.tmp"), 0);

	/* what stock tools see: every frame sound, BUNDLE.json first, the items, then the extra file */
	assert_int_equal(th_run("zstd -qt '%s'", out), 0);
	assert_int_equal(th_run("tar --zstd -tf '%s' | tr '\\n' ' ' | grep -qx 'BUNDLE.json "
	                        "items/00/%s/manifest.json items/00/%s/body.md "
	                        "items/01/%s/manifest.json items/01/%s/body.md index.html '",
	                        out, ID0, ID0, ID1, ID1),
	                 0);
	assert_int_equal(th_run("tar --zstd -xOf '%s' BUNDLE.json | grep -q '\"count\":2,.*\"ids\":"
	                        "\\[\"%s\",\"%s\"\\],\"mirror\":\"%s\"'",
	                        out, ID0, ID1, MIRROR),
	                 0);
}

static void test_parts(void **state)
{
	svd_bundle_writer_opts o = {MIRROR, ids, 3, 32 * 1024, 3, 1, NULL, NULL, NULL, NULL};
	svd_bundle_writer *w = NULL;
	svd_bundle_file f[2];
	char dir[256], out[300], paths[2][128], body[20000], **files = NULL;
	size_t nfiles = 0, i;
	uint64_t bytes = 0;

	(void)state;
	th_path(dir, sizeof(dir), "%s/parts", th_tmp);
	th_mkdir(dir);
	th_path(out, sizeof(out), "%s/p.tar.zst", dir);
	assert_int_equal(svd_bundle_writer_new(&w, out, &o), 0);
	assert_int_equal(svd_bundle_writer_split(w), 1);
	for (i = 0; i < 3; i++) {
		item_files(f, paths, body, sizeof(body), i);
		noise(body, sizeof(body), (uint32_t)i + 1); /* each item most of a part */
		assert_int_equal(svd_bundle_writer_item(w, f, 2), 0);
	}
	/* no reader library in parts */
	assert_int_equal(svd_bundle_writer_extra(w, "index.html", "<p>", 3), SVD_EINVALID);
	assert_int_equal(svd_bundle_writer_finish(w, &files, &nfiles, &bytes), 0);
	svd_bundle_writer_free(w);
	assert_true(nfiles >= 2);
	for (i = 0; i < nfiles; i++) {
		struct stat st;
		char want[320];
		th_path(want, sizeof(want), "%s/p.%zu.tar.zst", dir, i + 1);
		assert_string_equal(files[i], want);
		assert_int_equal(stat(files[i], &st), 0);
		assert_true((uint64_t)st.st_size <= 32 * 1024);
		assert_int_equal(
		    th_run("zstd -qt '%s' && tar --zstd -tf '%s' >/dev/null", files[i], files[i]),
		    0);
		free(files[i]);
	}
	free(files);
	/* the scratch file is gone; only the parts stay */
	assert_int_equal(count_files(dir, "p."), nfiles);
}

/* A writer freed before it finishes leaves nothing: not the bundle, not its parts. */
static void test_unfinished(void **state)
{
	svd_bundle_writer_opts o = {MIRROR, ids, 3, 32 * 1024, 3, 1, NULL, NULL, NULL, NULL};
	svd_bundle_writer *w = NULL;
	svd_bundle_file f[2];
	char dir[256], out[300], paths[2][128], body[20000], **files = NULL;
	size_t nfiles = 0, i;
	uint64_t bytes = 0;

	(void)state;
	th_path(dir, sizeof(dir), "%s/unfinished", th_tmp);
	th_mkdir(dir);
	th_path(out, sizeof(out), "%s/u.tar.zst", dir);
	/* parts: two items in, at least one part written, then given up */
	assert_int_equal(svd_bundle_writer_new(&w, out, &o), 0);
	for (i = 0; i < 2; i++) {
		item_files(f, paths, body, sizeof(body), i);
		noise(body, sizeof(body), (uint32_t)i + 7);
		assert_int_equal(svd_bundle_writer_item(w, f, 2), 0);
	}
	assert_int_equal(svd_bundle_writer_finish(w, &files, &nfiles, &bytes), SVD_EINVALID);
	svd_bundle_writer_free(w);
	assert_int_equal(count_files(dir, "u."), 0);
	/* one file: nothing under the name, no temporary file */
	o.max_size = 0;
	assert_int_equal(svd_bundle_writer_new(&w, out, &o), 0);
	item_files(f, paths, body, 100, 0);
	assert_int_equal(svd_bundle_writer_item(w, f, 2), 0);
	svd_bundle_writer_free(w);
	assert_int_equal(count_files(dir, "u."), 0);
	/* a level out of range, a folder that is not there */
	o.level = 20;
	assert_int_equal(svd_bundle_writer_new(&w, out, &o), SVD_EINVALID);
	assert_null(w);
	o.level = 3;
	th_path(out, sizeof(out), "%s/missing/u.tar.zst", dir);
	assert_int_equal(svd_bundle_writer_new(&w, out, &o), SVD_ENOTFOUND);
	assert_null(w);
}

/*
 * n items of one small file each, ids "%064zx" of 1..n (sorted), written
 * to out with o (ids and n set here); the files written. The ids are the
 * caller's to free (th_free_ids).
 */
static char **many_ids(size_t n)
{
	char **v = malloc(n * sizeof(*v));
	size_t i;

	assert_non_null(v);
	for (i = 0; i < n; i++) {
		v[i] = malloc(SVD_ID_HEX_LEN + 1);
		assert_non_null(v[i]);
		snprintf(v[i], SVD_ID_HEX_LEN + 1, "%064zx", i + 1);
	}
	return v;
}

static void free_ids(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static size_t write_many(const char *out, char **v, size_t n, uint64_t max_size, char ***files)
{
	svd_bundle_writer_opts o = {
	    MIRROR, (const char *const *)v, n, max_size, 1, 2, NULL, NULL, NULL, NULL};
	svd_bundle_writer *w = NULL;
	svd_bundle_file f;
	char path[128];
	size_t nfiles = 0, i;
	uint64_t bytes = 0;

	assert_int_equal(svd_bundle_writer_new(&w, out, &o), 0);
	for (i = 0; i < n; i++) {
		th_path(path, sizeof(path), "items/%.2s/%s/manifest.json", v[i], v[i]);
		f = (svd_bundle_file){path, "{}", 2};
		assert_int_equal(svd_bundle_writer_item(w, &f, 1), 0);
	}
	assert_int_equal(svd_bundle_writer_finish(w, files, &nfiles, &bytes), 0);
	svd_bundle_writer_free(w);
	return nfiles;
}

/* Read a bundle with no key trusted: every item is read, and refused by the gate. */
static void inspect(const char *path, svd_bundle_stats *st)
{
	svd_trust *trust = NULL;

	assert_int_equal(svd_trust_new(&trust), 0);
	memset(st, 0, sizeof(*st));
	assert_int_equal(svd_bundle_inspect(path, trust, NULL, st), SVD_ECORRUPT);
	svd_trust_free(trust);
}

/*
 * Past 250,000 items (the cap of earlier versions, which split an export
 * there and refused more in a reader): one file, BUNDLE.json listing every
 * item, the index sound, every item read.
 */
static void test_past_old_cap(void **state)
{
	size_t n = 250001, nfiles;
	char **v = many_ids(n), **files = NULL, out[300];
	svd_bundle_stats st;

	(void)state;
	th_path(out, sizeof(out), "%s/many.tar.zst", th_tmp);
	nfiles = write_many(out, v, n, 0, &files);
	assert_int_equal(nfiles, 1);
	assert_string_equal(files[0], out);
	free(files[0]);
	free(files);
	inspect(out, &st);
	assert_int_equal(st.listing, 1);
	assert_int_equal(st.has_index, 1);
	assert_int_equal(st.declared, n);
	assert_int_equal(st.items, n);
	assert_int_equal(st.lost, 0);
	assert_int_equal(st.unlisted, 0);
	assert_int_equal(st.damaged, 0);
	assert_string_equal(st.mirror, MIRROR);
	assert_int_equal(
	    th_run("tar --zstd -xOf '%s' BUNDLE.json | grep -q '^{\"count\":250001,'", out), 0);
	unlink(out);
	free_ids(v, n);
}

/*
 * The limit is BUNDLE.json's size (lowered here, as a test may): past it
 * the writer makes parts even without --max-size, each listing what it
 * holds, and a reader refuses a BUNDLE.json over it (damage of frame 0)
 * and still reads every item.
 */
static void test_meta_limit(void **state)
{
	size_t n = 40, nfiles, i, total = 0;
	char **v = many_ids(n), **files = NULL, out[300], dir[256];
	svd_bundle_stats st;

	(void)state;
	th_path(dir, sizeof(dir), "%s/metamax", th_tmp);
	th_mkdir(dir);
	th_path(out, sizeof(out), "%s/m.tar.zst", dir);
	svd_bundle_set_meta_max(2048); /* 26 ids */
	assert_int_equal(svd_bundle_meta_max(), 2048);
	nfiles = write_many(out, v, n, 0, &files);
	assert_int_equal(nfiles, 2);
	for (i = 0; i < nfiles; i++) {
		inspect(files[i], &st);
		assert_int_equal(st.listing, 1);
		assert_int_equal(st.lost, 0);
		assert_true(st.items <= 26);
		total += st.items;
		unlink(files[i]);
		free(files[i]);
	}
	free(files);
	assert_int_equal(total, n);

	/* written under the default, read under 2048 bytes: over the limit, items kept */
	svd_bundle_set_meta_max(0);
	assert_int_equal(svd_bundle_meta_max(), SVD_BUNDLE_META_MAX);
	assert_int_equal(write_many(out, v, n, 0, &files), 1);
	free(files[0]);
	free(files);
	svd_bundle_set_meta_max(2048);
	inspect(out, &st);
	svd_bundle_set_meta_max(0);
	assert_int_equal(st.listing, -1);
	assert_true(st.damaged >= 1);
	assert_int_equal(st.items, n);
	assert_int_equal(st.lost, 0);
	free_ids(v, n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_one_bundle), cmocka_unit_test(test_parts),
	    cmocka_unit_test(test_unfinished), cmocka_unit_test(test_past_old_cap),
	    cmocka_unit_test(test_meta_limit),
	};

	return cmocka_run_group_tests(tests, th_group_setup, th_group_teardown);
}
