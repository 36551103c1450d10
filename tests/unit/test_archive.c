/*
 * test_archive.c: the archive folder — init, open, the trust list and the
 * write lock. Every case runs against real folders under a mkdtemp root.
 */
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
#include <git2.h>

#include "helpers.h"
#include "samvydav/archive.h"
#include "samvydav/key.h"
#include "util.h"

/* dir/name under the temporary root. */
static void sub_path(char *out, size_t size, const char *dir, const char *name)
{
	if ((size_t)snprintf(out, size, "%s/%s/%s", th_tmp, dir, name) >= size)
		fail_msg("temporary path too long: %s/%s", dir, name);
}

/* A new archive has the documented layout: a bare repository on main, trust, refused, id. */
static void test_init_layout(void **state)
{
	char path[PATH_MAX], p[PATH_MAX];
	svd_archive *a, *b;
	git_repository *repo = NULL;
	git_reference *head = NULL;
	char *text = NULL;
	size_t len, i;

	(void)state;
	a = th_archive_new(th_tmp, "layout");
	th_join(path, sizeof(path), th_tmp, "layout");
	assert_string_equal(svd_archive_path(a), path);
	assert_int_equal(svd_trust_count(svd_archive_trust(a)), 0);

	sub_path(p, sizeof(p), "layout", "store.git");
	assert_int_equal(git_repository_open_bare(&repo, p), 0);
	assert_true(git_repository_is_bare(repo));
	/* unborn until the first commit, but HEAD already names main */
	assert_int_equal(git_reference_lookup(&head, repo, "HEAD"), 0);
	assert_int_equal(git_reference_type(head), GIT_REFERENCE_SYMBOLIC);
	assert_string_equal(git_reference_symbolic_target(head), "refs/heads/main");
	git_reference_free(head);
	git_repository_free(repo);

	sub_path(p, sizeof(p), "layout", "trusted");
	assert_true(th_is_dir(p));
	sub_path(p, sizeof(p), "layout", "refused");
	assert_true(th_is_dir(p));

	sub_path(p, sizeof(p), "layout", "mirror-id");
	assert_int_equal(svd_file_read(&text, &len, p, 256), 0);
	assert_int_equal(len, SVD_MIRROR_ID_LEN + 1);
	assert_int_equal(text[SVD_MIRROR_ID_LEN], '\n');
	assert_int_equal(strlen(svd_archive_mirror_id(a)), SVD_MIRROR_ID_LEN);
	assert_memory_equal(text, svd_archive_mirror_id(a), SVD_MIRROR_ID_LEN);
	for (i = 0; i < SVD_MIRROR_ID_LEN; i++)
		assert_non_null(strchr("0123456789abcdef", text[i]));
	free(text);

	/* random: two archives never share an id */
	b = th_archive_new(th_tmp, "layout2");
	assert_string_not_equal(svd_archive_mirror_id(a), svd_archive_mirror_id(b));
	svd_archive_free(b);
	svd_archive_free(a);
}

/* An empty folder may become an archive; a non-empty folder or a file may not. */
static void test_init_existing(void **state)
{
	char path[PATH_MAX], p[PATH_MAX];
	svd_archive *a = NULL;

	(void)state;
	th_join(path, sizeof(path), th_tmp, "empty");
	assert_int_equal(mkdir(path, 0755), 0);
	assert_int_equal(svd_archive_init(&a, path), 0);
	assert_non_null(a);
	svd_archive_free(a);

	/* an archive is not empty: init over it is refused, and it is left alone */
	a = (svd_archive *)1;
	assert_int_equal(svd_archive_init(&a, path), SVD_EEXISTS);
	assert_null(a);
	th_expect_msg(path);
	assert_int_equal(svd_archive_open(&a, path), 0);
	svd_archive_free(a);

	th_join(path, sizeof(path), th_tmp, "full");
	assert_int_equal(mkdir(path, 0755), 0);
	sub_path(p, sizeof(p), "full", "notes.txt");
	th_write_text(p, "someone's notes\n");
	a = (svd_archive *)1;
	assert_int_equal(svd_archive_init(&a, path), SVD_EEXISTS);
	assert_null(a);
	sub_path(p, sizeof(p), "full", "store.git");
	assert_false(th_is_dir(p));

	th_join(path, sizeof(path), th_tmp, "a-file");
	th_write_text(path, "x");
	assert_int_equal(svd_archive_init(&a, path), SVD_EEXISTS);
	assert_null(a);
}

static void test_open(void **state)
{
	char path[PATH_MAX], p[PATH_MAX];
	svd_archive *a = NULL, *b = NULL;
	char id[SVD_MIRROR_ID_LEN + 1];

	(void)state;
	a = th_archive_new(th_tmp, "open");
	snprintf(id, sizeof(id), "%s", svd_archive_mirror_id(a));
	svd_archive_free(a);

	th_join(path, sizeof(path), th_tmp, "open");
	assert_int_equal(svd_archive_open(&b, path), 0);
	assert_string_equal(svd_archive_mirror_id(b), id);
	assert_string_equal(svd_archive_path(b), path);
	svd_archive_free(b);

	/* an ordinary folder is not an archive; the message says what is missing */
	th_join(path, sizeof(path), th_tmp, "not-archive");
	assert_int_equal(mkdir(path, 0755), 0);
	a = (svd_archive *)1;
	assert_int_equal(svd_archive_open(&a, path), SVD_ENOTFOUND);
	assert_null(a);
	th_expect_msg("mirror-id");
	th_join(path, sizeof(path), th_tmp, "no-such-folder");
	assert_int_equal(svd_archive_open(&a, path), SVD_ENOTFOUND);
	th_expect_msg("mirror-id");

	/* a mirror-id of the wrong length, or not hex, is damage, not absence */
	th_join(path, sizeof(path), th_tmp, "open");
	sub_path(p, sizeof(p), "open", "mirror-id");
	th_write_text(p, "0123456789abcdef\n");
	assert_int_equal(svd_archive_open(&a, path), SVD_ECORRUPT);
	assert_null(a);
	th_expect_msg("mirror-id");
	th_write_text(p, "0123456789abcdef0123456789ABCDEF\n");
	assert_int_equal(svd_archive_open(&a, path), SVD_ECORRUPT);
	th_write_text(p, "0123456789abcdef0123456789abcdeg\n");
	assert_int_equal(svd_archive_open(&a, path), SVD_ECORRUPT);
	th_write_text(p, "");
	assert_int_equal(svd_archive_open(&a, path), SVD_ECORRUPT);

	/* a good id again opens again */
	th_write_text(p, "0123456789abcdef0123456789abcdef\n");
	assert_int_equal(svd_archive_open(&a, path), 0);
	assert_string_equal(svd_archive_mirror_id(a), "0123456789abcdef0123456789abcdef");
	svd_archive_free(a);
}

/* Keys in the order a trust list must keep: by key id. */
static int cmp_pub(const void *x, const void *y)
{
	return strcmp(svd_pubkey_id(*(svd_pubkey *const *)x),
	              svd_pubkey_id(*(svd_pubkey *const *)y));
}

static void test_trust(void **state)
{
	char path[PATH_MAX], p[PATH_MAX];
	svd_archive *a, *b = NULL;
	svd_seckey *sk[3] = {NULL};
	svd_pubkey *pk[3] = {NULL}, *sorted[3];
	const svd_trust *t;
	size_t i;

	(void)state;
	for (i = 0; i < 3; i++)
		assert_int_equal(svd_key_generate(&sk[i], &pk[i]), 0);
	a = th_archive_new(th_tmp, "trust");
	th_join(path, sizeof(path), th_tmp, "trust");
	for (i = 0; i < 3; i++)
		assert_int_equal(svd_archive_trust_add(a, pk[i]), 0);
	assert_int_equal(svd_archive_trust_add(a, pk[1]), SVD_EEXISTS);
	th_expect_msg(svd_pubkey_id(pk[1]));

	/* the list is reloaded after each change, and sorted by key id */
	memcpy(sorted, pk, sizeof(sorted));
	qsort(sorted, 3, sizeof(*sorted), cmp_pub);
	t = svd_archive_trust(a);
	assert_int_equal(svd_trust_count(t), 3);
	for (i = 0; i < 3; i++) {
		assert_string_equal(svd_pubkey_id(svd_trust_at(t, i)), svd_pubkey_id(sorted[i]));
		assert_memory_equal(svd_pubkey_bytes(svd_trust_at(t, i)),
		                    svd_pubkey_bytes(sorted[i]), 32);
	}
	assert_null(svd_trust_at(t, 3));
	for (i = 0; i < 3; i++)
		assert_memory_equal(svd_pubkey_bytes(svd_trust_find(t, svd_pubkey_id(pk[i]))),
		                    svd_pubkey_bytes(pk[i]), 32);
	assert_null(svd_trust_find(t, "0000000000000000"));
	assert_null(svd_trust_find(t, ""));

	/* each key is a file named by its id */
	sub_path(p, sizeof(p), "trust", "trusted");
	for (i = 0; i < 3; i++) {
		char f[PATH_MAX];
		svd_pubkey *back = NULL;
		th_path(f, sizeof(f), "%s/%s.pub", p, svd_pubkey_id(pk[i]));
		assert_int_equal(svd_pubkey_read(&back, f), 0);
		assert_string_equal(svd_pubkey_id(back), svd_pubkey_id(pk[i]));
		svd_pubkey_free(back);
	}

	/* another handle sees the same list */
	assert_int_equal(svd_archive_open(&b, path), 0);
	assert_int_equal(svd_trust_count(svd_archive_trust(b)), 3);
	svd_archive_free(b);

	assert_int_equal(svd_archive_trust_remove(a, svd_pubkey_id(pk[0])), 0);
	t = svd_archive_trust(a);
	assert_int_equal(svd_trust_count(t), 2);
	assert_null(svd_trust_find(t, svd_pubkey_id(pk[0])));
	assert_non_null(svd_trust_find(t, svd_pubkey_id(pk[2])));
	assert_int_equal(svd_archive_trust_remove(a, svd_pubkey_id(pk[0])), SVD_ENOTFOUND);
	th_expect_msg(svd_pubkey_id(pk[0]));
	assert_int_equal(svd_archive_trust_remove(a, "0000000000000000"), SVD_ENOTFOUND);

	/* not key ids: short, long, lowercase, not hex, a path */
	assert_int_equal(svd_archive_trust_remove(a, "ABCD"), SVD_EINVALID);
	assert_int_equal(svd_archive_trust_remove(a, "0000000000000000A"), SVD_EINVALID);
	assert_int_equal(svd_archive_trust_remove(a, "abcdef0123456789"), SVD_EINVALID);
	assert_int_equal(svd_archive_trust_remove(a, "ABCDEF012345678G"), SVD_EINVALID);
	assert_int_equal(svd_archive_trust_remove(a, "../../mirror-id"), SVD_EINVALID);
	assert_int_equal(svd_archive_trust_remove(a, ""), SVD_EINVALID);
	assert_int_equal(svd_trust_count(svd_archive_trust(a)), 2);

	/* a removed key can be trusted again */
	assert_int_equal(svd_archive_trust_add(a, pk[0]), 0);
	assert_int_equal(svd_trust_count(svd_archive_trust(a)), 3);

	svd_archive_free(a);
	for (i = 0; i < 3; i++) {
		svd_seckey_free(sk[i]);
		svd_pubkey_free(pk[i]);
	}
}

/* A damaged trust list is never half-read: open fails and names the file. */
static void test_trust_damaged(void **state)
{
	char path[PATH_MAX], dir[PATH_MAX], f[PATH_MAX], g[PATH_MAX];
	svd_archive *a;
	svd_trust *t = NULL;
	svd_seckey *sk[2] = {NULL};
	svd_pubkey *pk[2] = {NULL};
	size_t i;

	(void)state;
	for (i = 0; i < 2; i++)
		assert_int_equal(svd_key_generate(&sk[i], &pk[i]), 0);
	a = th_archive_new(th_tmp, "damaged");
	assert_int_equal(svd_archive_trust_add(a, pk[0]), 0);
	svd_archive_free(a);
	th_join(path, sizeof(path), th_tmp, "damaged");
	sub_path(dir, sizeof(dir), "damaged", "trusted");

	/* files that are not .pub are not keys and are ignored */
	th_path(f, sizeof(f), "%s/README", dir);
	th_write_text(f, "the editors this mirror trusts\n");
	assert_int_equal(svd_archive_open(&a, path), 0);
	assert_int_equal(svd_trust_count(svd_archive_trust(a)), 1);
	svd_archive_free(a);

	th_path(f, sizeof(f), "%s/%s.pub", dir, svd_pubkey_id(pk[1]));
	th_write_text(f, "untrusted comment: minisign public key\nnot base64 at all\n");
	a = (svd_archive *)1;
	assert_int_equal(svd_archive_open(&a, path), SVD_ECORRUPT);
	assert_null(a);
	th_expect_msg(f);
	assert_int_equal(svd_trust_load(&t, dir), SVD_ECORRUPT);
	assert_null(t);
	th_expect_msg(f);
	unlink(f);

	/* a good key under another key's name must not be trusted as that key */
	th_path(f, sizeof(f), "%s/%s.pub", dir, svd_pubkey_id(pk[0]));
	th_path(g, sizeof(g), "%s/0123456789ABCDEF.pub", dir);
	assert_int_equal(rename(f, g), 0);
	assert_int_equal(svd_archive_open(&a, path), SVD_ECORRUPT);
	assert_null(a);
	th_expect_msg(g);
	th_expect_msg(svd_pubkey_id(pk[0]));

	/* nor under a name that is not a key id at all */
	th_path(f, sizeof(f), "%s/editor.pub", dir);
	assert_int_equal(rename(g, f), 0);
	assert_int_equal(svd_archive_open(&a, path), SVD_ECORRUPT);
	th_expect_msg(f);

	/* put right, it opens again */
	th_path(g, sizeof(g), "%s/%s.pub", dir, svd_pubkey_id(pk[0]));
	assert_int_equal(rename(f, g), 0);
	assert_int_equal(svd_archive_open(&a, path), 0);
	assert_int_equal(svd_trust_count(svd_archive_trust(a)), 1);
	svd_archive_free(a);

	/* svd_trust_load on its own: an absent folder is not an empty list */
	th_join(f, sizeof(f), th_tmp, "no-such-trust");
	assert_int_equal(svd_trust_load(&t, f), SVD_ENOTFOUND);
	assert_null(t);
	assert_int_equal(svd_trust_count(NULL), 0);
	assert_null(svd_trust_find(NULL, svd_pubkey_id(pk[0])));
	svd_trust_free(NULL);

	for (i = 0; i < 2; i++) {
		svd_seckey_free(sk[i]);
		svd_pubkey_free(pk[i]);
	}
}

/* flock is per open file: two handles in one process exclude each other. */
static void test_lock(void **state)
{
	char path[PATH_MAX];
	svd_archive *a, *b = NULL;

	(void)state;
	a = th_archive_new(th_tmp, "lock");
	th_join(path, sizeof(path), th_tmp, "lock");
	assert_int_equal(svd_archive_open(&b, path), 0);

	assert_int_equal(svd_archive_lock(a), 0);
	assert_int_equal(svd_archive_lock(a), 0); /* held already: fine */
	assert_int_equal(svd_archive_lock(b), SVD_ELOCKED);
	th_expect_msg(path);

	svd_archive_unlock(a);
	svd_archive_unlock(a); /* not held: nothing happens */
	assert_int_equal(svd_archive_lock(b), 0);
	assert_int_equal(svd_archive_lock(a), SVD_ELOCKED);

	/* freeing a handle releases its lock */
	svd_archive_free(b);
	assert_int_equal(svd_archive_lock(a), 0);
	svd_archive_unlock(a);
	svd_archive_unlock(NULL);
	svd_archive_free(a);
	svd_archive_free(NULL);
}

/* The places of an archive folder, and telling an archive from another folder. */
static void test_places(void **state)
{
	char dir[4096], want[4200];
	svd_archive *a;
	char *p;

	(void)state;
	a = th_archive_new(th_tmp, "places");
	th_join(dir, sizeof(dir), th_tmp, "places");
	assert_true(svd_archive_is(dir));
	assert_false(svd_archive_is(th_tmp));
	p = svd_archive_place_path(dir, SVD_PLACE_DAEMON, "imported", 1);
	th_path(want, sizeof(want), "%s/daemon-state/imported", dir);
	assert_string_equal(p, want);
	free(p);
	th_path(want, sizeof(want), "%s/daemon-state", dir);
	assert_true(th_is_dir(want)); /* made */
	p = svd_archive_place_path(dir, SVD_PLACE_CACHE, NULL, 0);
	th_path(want, sizeof(want), "%s/cache", dir);
	assert_string_equal(p, want);
	free(p);
	p = svd_archive_place_path(dir, SVD_PLACE_DAEMON_LOCK, "ignored", 1);
	th_path(want, sizeof(want), "%s/daemon.lock", dir);
	assert_string_equal(p, want);
	free(p);
	assert_null(svd_archive_place_path(dir, (svd_archive_place)99, NULL, 0));
	svd_archive_free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_init_layout),   cmocka_unit_test(test_init_existing),
	    cmocka_unit_test(test_open),          cmocka_unit_test(test_trust),
	    cmocka_unit_test(test_trust_damaged), cmocka_unit_test(test_lock),
	    cmocka_unit_test(test_places),
	};

	return cmocka_run_group_tests(tests, th_group_setup, th_group_teardown);
}
