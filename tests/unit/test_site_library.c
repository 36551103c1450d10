/*
 * test_site_library.c: the daemon's library folder on disk
 * (ARCHIVE/cache/library, site_library.c, SPEC.md 7.2.3) — a folder
 * written and named by the pointer, found again for its commit and trust
 * print only; a pointer that lies in any way names nothing; a file read
 * for a reply, and what is not one; the sweep of old folders.
 */
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

#include "helpers.h"
#include "site_internal.h"

#define COMMIT "0123456789abcdef0123456789abcdef01234567"

static const uint8_t print_a[32] = {1, 2, 3};
static const uint8_t print_b[32] = {1, 2, 4};

/* A library folder of an empty catalog in a fresh root; its name into name. */
static void write_lib(char *root, size_t size, const char *tag, char name[SVD_SITE_LIB_NAME])
{
	svd_catalog *c = NULL;
	char *n = NULL;

	th_path(root, size, "%s/%s", th_tmp, tag);
	assert_int_equal(svd_catalog_new(&c), 0);
	assert_int_equal(svd_catalog_finish(c), 0);
	assert_int_equal(svd_site_lib_write(&n, root, c), 0);
	assert_non_null(n);
	assert_int_equal(strlen(n), SVD_SITE_LIB_NAME - 1);
	assert_memory_equal(n, "lib-", 4);
	memcpy(name, n, SVD_SITE_LIB_NAME);
	free(n);
	svd_catalog_free(c);
}

static void test_written_and_found(void **state)
{
	char root[4096], name[SVD_SITE_LIB_NAME], got[SVD_SITE_LIB_NAME], path[4096];
	svd_buf b;

	(void)state;
	write_lib(root, sizeof(root), "found", name);
	/* no pointer yet: nothing to serve */
	assert_int_equal(svd_site_lib_pointer_find(got, root, COMMIT, print_a), 0);
	assert_int_equal(svd_site_lib_pointer_write(root, COMMIT, print_a, name), 0);
	memset(got, 0, sizeof(got));
	assert_int_equal(svd_site_lib_pointer_find(got, root, COMMIT, print_a), 1);
	assert_string_equal(got, name);
	/* another commit, another trust list, an empty main: not this folder */
	assert_int_equal(svd_site_lib_pointer_find(
	                     got, root, "1123456789abcdef0123456789abcdef01234567", print_a),
	                 0);
	assert_int_equal(svd_site_lib_pointer_find(got, root, COMMIT, print_b), 0);
	assert_int_equal(svd_site_lib_pointer_find(got, root, "", print_a), 0);
	assert_int_equal(svd_site_lib_pointer_find(got, NULL, COMMIT, print_a), 0);
	/* an empty main has a pointer of its own */
	assert_int_equal(svd_site_lib_pointer_write(root, "", print_a, name), 0);
	assert_int_equal(svd_site_lib_pointer_find(got, root, "", print_a), 1);
	assert_int_equal(svd_site_lib_pointer_find(got, root, COMMIT, print_a), 0);

	/* its files: the index, the search data; nothing past them */
	assert_int_equal(svd_site_lib_read(&b, root, name, "index.html"), 0);
	assert_non_null(strstr(b.data, "data-pages=\"1\""));
	svd_buf_clear(&b);
	assert_int_equal(svd_site_lib_read(&b, root, name, "search/dict.js"), 0);
	assert_non_null(strstr(b.data, "svdDictRoot("));
	svd_buf_clear(&b);
	assert_int_equal(svd_site_lib_read(&b, root, name, "search/facets.js"), 0);
	svd_buf_clear(&b);
	assert_int_equal(svd_site_lib_read(&b, root, name, "rows/00000.js"), SVD_ENOTFOUND);
	assert_int_equal(svd_site_lib_read(&b, root, name, "list/00002.html"), SVD_ENOTFOUND);
	/* a link in the folder, a folder where a file is asked for, a file where a folder was */
	th_path(path, sizeof(path), "%s/%s/list", root, name);
	th_mkdir(path);
	th_path(path, sizeof(path), "%s/%s/list/00002.html", root, name);
	assert_int_equal(symlink("/etc/passwd", path), 0);
	assert_int_equal(svd_site_lib_read(&b, root, name, "list/00002.html"), SVD_ENOTFOUND);
	th_path(path, sizeof(path), "%s/%s/rows", root, name);
	th_mkdir(path);
	assert_int_equal(svd_site_lib_read(&b, root, name, "rows"), SVD_ENOTFOUND);
	assert_int_equal(svd_site_lib_read(&b, root, name, "index.html/x"), SVD_ENOTFOUND);
	/* over SVD_SITE_LIB_FILE_MAX: refused, not read */
	th_path(path, sizeof(path), "%s/%s/search/p00000.js", root, name);
	th_write_text(path, "");
	assert_int_equal(truncate(path, (off_t)SVD_SITE_LIB_FILE_MAX + 1), 0);
	assert_int_equal(svd_site_lib_read(&b, root, name, "search/p00000.js"), SVD_ETOOBIG);
	svd_error_clear();
}

/* The pointer file as given; then whether it names the folder. */
static int find_with(const char *root, const char *text)
{
	char path[4096], got[SVD_SITE_LIB_NAME];

	th_path(path, sizeof(path), "%s/current", root);
	unlink(path);
	th_write_text(path, text);
	return svd_site_lib_pointer_find(got, root, COMMIT, print_a);
}

/* Every way the pointer file can lie names nothing: a start then waits for its index. */
static void test_pointer_lies(void **state)
{
	char root[4096], name[SVD_SITE_LIB_NAME], line[512], hex[65], path[4096];
	size_t i;

	(void)state;
	write_lib(root, sizeof(root), "lies", name);
	for (i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", print_a[i]);
	snprintf(line, sizeof(line), "svdlib1 %s %s %s\n", COMMIT, hex, name);
	assert_int_equal(find_with(root, line), 1); /* the true one, written by hand */

	snprintf(line, sizeof(line), "svdlib2 %s %s %s\n", COMMIT, hex, name);
	assert_int_equal(find_with(root, line), 0); /* another layout */
	snprintf(line, sizeof(line), "svdlib1 %s %s %s", COMMIT, hex, name);
	assert_int_equal(find_with(root, line), 0); /* no newline: cut short */
	snprintf(line, sizeof(line), "svdlib1 %s %s %s\nmore\n", COMMIT, hex, name);
	assert_int_equal(find_with(root, line), 0); /* more after the line */
	snprintf(line, sizeof(line), "svdlib1 %s %s lib-../../x\n", COMMIT, hex);
	assert_int_equal(find_with(root, line), 0); /* a path, not a name */
	snprintf(line, sizeof(line), "svdlib1 %s %s lib-ab/def\n", COMMIT, hex);
	assert_int_equal(find_with(root, line), 0);
	snprintf(line, sizeof(line), "svdlib1 %s %s lib-abcdefg\n", COMMIT, hex);
	assert_int_equal(find_with(root, line), 0); /* too long */
	snprintf(line, sizeof(line), "svdlib1 %s %s lib-abcde\n", COMMIT, hex);
	assert_int_equal(find_with(root, line), 0); /* too short */
	snprintf(line, sizeof(line), "svdlib1 %s %s tmp-abcdef\n", COMMIT, hex);
	assert_int_equal(find_with(root, line), 0); /* not a library folder's name */
	snprintf(line, sizeof(line), "svdlib1 %s %s lib-zzzzzz\n", COMMIT, hex);
	assert_int_equal(find_with(root, line), 0); /* no such folder */
	snprintf(line, sizeof(line), "svdlib1  %s %s %s\n", COMMIT, hex, name);
	assert_int_equal(find_with(root, line), 0); /* two spaces */
	assert_int_equal(find_with(root, ""), 0);   /* empty */
	memset(line, 'x', sizeof(line) - 1);
	line[sizeof(line) - 1] = '\0';
	assert_int_equal(find_with(root, line), 0); /* over the size of a line */

	/* a folder without its index.html is not served */
	snprintf(line, sizeof(line), "svdlib1 %s %s %s\n", COMMIT, hex, name);
	th_path(path, sizeof(path), "%s/%s/index.html", root, name);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(find_with(root, line), 0);
	th_mkdir(path); /* nor one whose index.html is a folder */
	assert_int_equal(find_with(root, line), 0);

	/* a pointer that is a link is not followed */
	th_path(path, sizeof(path), "%s/elsewhere", th_tmp);
	th_write_text(path, line);
	th_path(line, sizeof(line), "%s/current", root);
	unlink(line);
	assert_int_equal(symlink(path, line), 0);
	assert_int_equal(svd_site_lib_pointer_find(name, root, COMMIT, print_a), 0);
}

static void test_sweep(void **state)
{
	char root[4096], a[SVD_SITE_LIB_NAME], b[SVD_SITE_LIB_NAME], path[4096], *n = NULL;
	svd_catalog *c = NULL;

	(void)state;
	write_lib(root, sizeof(root), "sweep", a);
	assert_int_equal(svd_catalog_new(&c), 0);
	assert_int_equal(svd_catalog_finish(c), 0);
	assert_int_equal(svd_site_lib_write(&n, root, c), 0);
	memcpy(b, n, sizeof(b));
	free(n);
	svd_catalog_free(c);
	assert_string_not_equal(a, b);
	th_path(path, sizeof(path), "%s/notes.txt", root);
	th_write_text(path, "not the library's\n");
	svd_site_lib_sweep(root, b);
	th_path(path, sizeof(path), "%s/%s", root, a);
	assert_false(th_is_dir(path));
	th_path(path, sizeof(path), "%s/%s", root, b);
	assert_true(th_is_dir(path));
	th_path(path, sizeof(path), "%s/notes.txt", root);
	assert_int_equal(access(path, F_OK), 0);
	/* a name that is no folder of root is never removed */
	svd_site_lib_remove(root, "..");
	svd_site_lib_remove(root, "../sweep");
	svd_site_lib_remove(root, "");
	svd_site_lib_remove(root, NULL);
	assert_true(th_is_dir(root));
	svd_site_lib_sweep(root, NULL);
	th_path(path, sizeof(path), "%s/%s", root, b);
	assert_false(th_is_dir(path));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_written_and_found),
	    cmocka_unit_test(test_pointer_lies),
	    cmocka_unit_test(test_sweep),
	};
	return cmocka_run_group_tests(tests, th_group_setup, th_group_teardown);
}
