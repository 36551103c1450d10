/*
 * test_stage.c: the staging sequence (stage.h) on real archives — an item
 * streamed into an operation's pack and staged, a refused one taken back
 * whole, an item abandoned in the middle of a file, two items of which the
 * first is refused, the blobs matched to entries by path, one item at a
 * time. What the pack holds is read from the pack writer itself and, after
 * the commit, from the store; every archive must pass `git fsck --strict`.
 */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <git2.h>

#include "helpers.h"
#include "pack.h"
#include "samvydav/archive.h"
#include "samvydav/item.h"
#include "samvydav/key.h"
#include "samvydav/manifest.h"
#include "samvydav/sig.h"
#include "samvydav/store.h"
#include "sha256.h"
#include "stage.h"
#include "store_internal.h"

#define CREATED  "2024-05-01T10:00:00Z"
#define ATT_SIZE (700 * 1024) /* more than one write, more than one pack chunk */
#define PIECE    (64 * 1024)

static char tmpdir[64];

/* a is trusted in every archive here, u never */
static svd_seckey *sk_a, *sk_u;
static svd_pubkey *pk_a, *pk_u;

/* One item held in memory, as a bundle reader or a peer would find it. */
typedef struct item {
	char id[SVD_ID_HEX_LEN + 1];
	char sig_path[64];
	char *manifest, *sig; /* bytes */
	size_t manifest_len, sig_len;
	char body[128];
	uint8_t *att;   /* ATT_SIZE bytes */
	svd_entry e[4]; /* in the order the gate is given them */
} item;

static int group_setup(void **state)
{
	(void)state;
	if (th_init(tmpdir, sizeof(tmpdir), "stage") < 0)
		return -1;
	if (svd_key_generate(&sk_a, &pk_a) != 0 || svd_key_generate(&sk_u, &pk_u) != 0)
		return -1;
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	svd_seckey_free(sk_a);
	svd_seckey_free(sk_u);
	svd_pubkey_free(pk_a);
	svd_pubkey_free(pk_u);
	th_shutdown(tmpdir);
	return 0;
}

static svd_archive *make_archive(const char *name)
{
	svd_archive *a = th_archive_new(tmpdir, name);

	assert_int_equal(svd_archive_trust_add(a, pk_a), 0);
	return a;
}

static void set_entry(svd_entry *e, const char *path, const void *data, size_t len, int keep)
{
	memset(e, 0, sizeof(*e));
	e->path = path;
	e->type = SVD_ENTRY_FILE;
	e->size = len;
	svd_sha256_once(e->sha256, data, len);
	if (keep) {
		e->data = data;
		e->data_len = len;
	}
}

/* An item with a body and an attachment of its own (random bytes), signed by sk. */
static void item_make(item *it, const char *title, const svd_seckey *sk)
{
	uint8_t sha[32];
	svd_manifest *m = NULL;
	svd_sig *sig = NULL;
	char comment[256];
	const char *bytes;

	memset(it, 0, sizeof(*it));
	snprintf(it->body, sizeof(it->body), "The body of %s.\n", title);
	assert_non_null(it->att = malloc(ATT_SIZE));
	th_fill_random(it->att, ATT_SIZE);

	assert_int_equal(svd_manifest_new(&m), 0);
	assert_int_equal(svd_manifest_set_kind(m, SVD_KIND_ARTICLE), 0);
	assert_int_equal(svd_manifest_set(m, "title", title), 0);
	assert_int_equal(svd_manifest_set(m, "lang", "en"), 0);
	assert_int_equal(svd_manifest_set(m, "created", CREATED), 0);
	svd_sha256_once(sha, it->body, strlen(it->body));
	assert_int_equal(svd_manifest_add_file(m, "body.md", strlen(it->body), sha), 0);
	svd_sha256_once(sha, it->att, ATT_SIZE);
	assert_int_equal(svd_manifest_add_file(m, "photo.bin", ATT_SIZE, sha), 0);
	assert_int_equal(svd_manifest_serialize(m), 0);
	bytes = svd_manifest_bytes(m, &it->manifest_len);
	assert_non_null(it->manifest = malloc(it->manifest_len + 1));
	memcpy(it->manifest, bytes, it->manifest_len + 1);
	snprintf(it->id, sizeof(it->id), "%s", svd_manifest_id(m));
	svd_manifest_free(m);

	snprintf(comment, sizeof(comment), "timestamp:%lld\tfile:manifest.json\titem:%s\thashed",
	         (long long)time(NULL), it->id);
	assert_int_equal(svd_sig_create(&sig, sk, it->manifest, it->manifest_len, comment, NULL),
	                 0);
	assert_int_equal(svd_sig_format(&it->sig, &it->sig_len, sig), 0);
	snprintf(it->sig_path, sizeof(it->sig_path), "sig/%s.minisig", svd_sig_keyid(sig));
	svd_sig_free(sig);

	set_entry(&it->e[0], "body.md", it->body, strlen(it->body), 0);
	set_entry(&it->e[1], "manifest.json", it->manifest, it->manifest_len, 1);
	set_entry(&it->e[2], "photo.bin", it->att, ATT_SIZE, 0);
	set_entry(&it->e[3], it->sig_path, it->sig, it->sig_len, 1);
}

static void item_free(item *it)
{
	free(it->manifest);
	free(it->sig);
	free(it->att);
}

/* Stream the attachment in pieces, as the bundle reader does. */
static void stream_att(svd_stage *sg, const item *it)
{
	size_t at;

	assert_int_equal(svd_stage_file_begin(sg, "photo.bin", ATT_SIZE), 0);
	for (at = 0; at < ATT_SIZE; at += PIECE)
		assert_int_equal(
		    svd_stage_file_write(sg, it->att + at,
		                         ATT_SIZE - at < PIECE ? ATT_SIZE - at : PIECE),
		    0);
	assert_int_equal(svd_stage_file_end(sg), 0);
}

/*
 * The whole sequence for one item: its files in another order than the
 * entries list them (the blobs are matched by path), then the gate.
 */
static int stage_item(svd_txn *t, const item *it, svd_verdict **v)
{
	svd_stage *sg = NULL;
	int error;

	assert_int_equal(svd_stage_begin(&sg, t), 0);
	assert_int_equal(svd_stage_add(sg, "manifest.json", it->manifest, it->manifest_len), 0);
	stream_att(sg, it);
	assert_int_equal(svd_stage_add(sg, "body.md", it->body, strlen(it->body)), 0);
	assert_int_equal(svd_stage_add(sg, it->sig_path, it->sig, it->sig_len), 0);
	error = svd_stage_finish(sg, NULL, it->e, 4, "test", SVD_CHECK_DROP_BAD_SIGS, v);
	svd_stage_free(sg);
	return error;
}

/* Is this blob in the store? (After the commit: the pack is in place.) */
static int has_blob(svd_archive *a, const void *data, size_t len)
{
	char path[PATH_MAX];
	git_repository *repo = NULL;
	git_odb *odb = NULL;
	git_oid oid;
	int yes;

	th_path(path, sizeof(path), "%s/store.git", svd_archive_path(a));
	assert_int_equal(git_repository_open(&repo, path), 0);
	assert_int_equal(git_repository_odb(&odb, repo), 0);
	assert_int_equal(git_odb_hash(&oid, data, len, GIT_OBJECT_BLOB), 0);
	yes = git_odb_exists(odb, &oid);
	git_odb_free(odb);
	git_repository_free(repo);
	return yes;
}

static int count_cb(const git_oid *id, void *payload)
{
	(void)id;
	(*(size_t *)payload)++;
	return 0;
}

/* Every object in the store. */
static size_t count_objects(svd_archive *a)
{
	char path[PATH_MAX];
	git_repository *repo = NULL;
	git_odb *odb = NULL;
	size_t n = 0;

	th_path(path, sizeof(path), "%s/store.git", svd_archive_path(a));
	assert_int_equal(git_repository_open(&repo, path), 0);
	assert_int_equal(git_repository_odb(&odb, repo), 0);
	assert_int_equal(git_odb_foreach(odb, count_cb, &n), 0);
	git_odb_free(odb);
	git_repository_free(repo);
	return n;
}

static void expect_fsck(svd_archive *a)
{
	if (th_run("git --git-dir='%s/store.git' fsck --full --strict --no-progress >/dev/null",
	           svd_archive_path(a)) != 0)
		fail_msg("git fsck refuses %s/store.git", svd_archive_path(a));
}

/* Each of the item's files is in the store (1), or none is (0). */
static void expect_item_blobs(svd_archive *a, const item *it, int present)
{
	assert_int_equal(has_blob(a, it->manifest, it->manifest_len), present);
	assert_int_equal(has_blob(a, it->sig, it->sig_len), present);
	assert_int_equal(has_blob(a, it->body, strlen(it->body)), present);
	assert_int_equal(has_blob(a, it->att, ATT_SIZE), present);
}

/* The file of an item in main, read back, is these bytes. */
static void expect_file(svd_archive *a, const char *id, const char *name, const void *data,
                        size_t len)
{
	svd_store_file *f = NULL;
	const void *got;
	size_t got_len;

	assert_int_equal(svd_store_file_open(&f, a, id, name, (uint64_t)len + 1), 0);
	got = svd_store_file_data(f, &got_len);
	assert_int_equal(got_len, len);
	assert_memory_equal(got, data, len);
	svd_store_file_free(f);
}

/* An accepted item: staged, committed, every file under its own path. */
static void test_staged(void **state)
{
	svd_archive *a;
	svd_txn *t = NULL;
	svd_verdict *v = NULL;
	item it;

	(void)state;
	a = make_archive("staged");
	item_make(&it, "Staged", sk_a);
	assert_int_equal(svd_txn_begin(&t, a), 0);
	assert_int_equal(stage_item(t, &it, &v), 0);
	assert_non_null(v);
	assert_true(svd_verdict_ok(v));
	assert_string_equal(svd_verdict_id(v), it.id);
	svd_verdict_free(v);
	/* four blobs, the signer's key beside its signature, the item's folder, its sig/ */
	assert_int_equal(svd_packw_count(svd_txn_packw(t)), 7);
	assert_int_equal(svd_txn_stats_get(t)->added, 1);
	assert_int_equal(svd_txn_commit(t, NULL, NULL), 0);
	svd_txn_free(t);

	expect_item_blobs(a, &it, 1);
	expect_file(a, it.id, "body.md", it.body, strlen(it.body));
	expect_file(a, it.id, "photo.bin", it.att, ATT_SIZE);
	expect_file(a, it.id, "manifest.json", it.manifest, it.manifest_len);
	expect_file(a, it.id, it.sig_path, it.sig, it.sig_len);
	expect_fsck(a);
	item_free(&it);
	svd_archive_free(a);
}

/* A refused item's blobs are taken back: the pack holds none of them. */
static void test_refused_taken_back(void **state)
{
	svd_archive *a;
	svd_txn *t = NULL;
	svd_verdict *v = NULL;
	char commit[SVD_COMMIT_HEX_LEN + 1];
	item it;

	(void)state;
	a = make_archive("refused");
	item_make(&it, "Untrusted", sk_u);
	assert_int_equal(svd_txn_begin(&t, a), 0);
	assert_int_equal(stage_item(t, &it, &v), SVD_ECORRUPT);
	assert_non_null(v);
	assert_false(svd_verdict_ok(v));
	svd_verdict_free(v);
	assert_int_equal(svd_packw_count(svd_txn_packw(t)), 0);
	assert_int_equal(svd_txn_stats_get(t)->refused, 1);
	assert_int_equal(svd_txn_stats_get(t)->added, 0);
	/* nothing staged: no pack, no commit */
	assert_int_equal(svd_txn_commit(t, NULL, commit), 0);
	assert_string_equal(commit, "");
	svd_txn_free(t);
	expect_item_blobs(a, &it, 0);
	assert_int_equal(count_objects(a), 0);
	item_free(&it);
	svd_archive_free(a);
}

/* Abandoned in the middle of a file, or with its files whole: nothing stays. */
static void test_abandon_mid_file(void **state)
{
	svd_archive *a;
	svd_txn *t = NULL;
	svd_stage *sg = NULL;
	svd_verdict *v = NULL;
	item it, kept;

	(void)state;
	a = make_archive("abandon");
	item_make(&it, "Cut short", sk_a);
	item_make(&kept, "Kept", sk_a);
	assert_int_equal(svd_txn_begin(&t, a), 0);

	/* lost mid-file (a damaged frame): counted nowhere */
	assert_int_equal(svd_stage_begin(&sg, t), 0);
	assert_int_equal(svd_stage_add(sg, "manifest.json", it.manifest, it.manifest_len), 0);
	assert_int_equal(svd_stage_add(sg, "body.md", it.body, strlen(it.body)), 0);
	assert_int_equal(svd_packw_count(svd_txn_packw(t)), 2);
	assert_int_equal(svd_stage_file_begin(sg, "photo.bin", ATT_SIZE), 0);
	assert_int_equal(svd_stage_file_write(sg, it.att, ATT_SIZE / 2), 0);
	assert_int_equal(svd_stage_abandon(sg, SVD_STAGE_LOST), 0);
	assert_int_equal(svd_packw_count(svd_txn_packw(t)), 0);
	assert_int_equal(svd_txn_stats_get(t)->refused, 0);
	/* the item has ended: the handle takes nothing more */
	assert_int_equal(svd_stage_file_write(sg, it.att, 1), SVD_EINVALID);
	assert_int_equal(svd_stage_abandon(sg, SVD_STAGE_REFUSED), 0);
	assert_int_equal(svd_txn_stats_get(t)->refused, 0);
	svd_stage_free(sg);

	/* refused before the gate, mid-file (a bad entry): counted as refused */
	assert_int_equal(svd_stage_begin(&sg, t), 0);
	assert_int_equal(svd_stage_file_begin(sg, "photo.bin", ATT_SIZE), 0);
	assert_int_equal(svd_stage_file_write(sg, it.att, PIECE), 0);
	assert_int_equal(svd_stage_abandon(sg, SVD_STAGE_REFUSED), 0);
	assert_int_equal(svd_txn_stats_get(t)->refused, 1);
	svd_stage_free(sg);

	/* freed mid-file, never ended: abandoned as lost */
	assert_int_equal(svd_stage_begin(&sg, t), 0);
	assert_int_equal(svd_stage_add(sg, it.sig_path, it.sig, it.sig_len), 0);
	assert_int_equal(svd_stage_file_begin(sg, "photo.bin", ATT_SIZE), 0);
	assert_int_equal(svd_stage_file_write(sg, it.att, PIECE), 0);
	svd_stage_free(sg);
	assert_int_equal(svd_packw_count(svd_txn_packw(t)), 0);
	assert_int_equal(svd_txn_stats_get(t)->refused, 1);

	/* the writer goes on as if none of it had come */
	assert_int_equal(stage_item(t, &kept, &v), 0);
	assert_true(svd_verdict_ok(v));
	svd_verdict_free(v);
	assert_int_equal(svd_packw_count(svd_txn_packw(t)), 7);
	assert_int_equal(svd_txn_commit(t, NULL, NULL), 0);
	svd_txn_free(t);
	expect_item_blobs(a, &it, 0);
	expect_item_blobs(a, &kept, 1);
	expect_fsck(a);
	item_free(&it);
	item_free(&kept);
	svd_archive_free(a);
}

/*
 * Signatures left out of an accepted item never reach the pack: one that
 * cannot be checked, and junk streamed under sig/ far over the cap of a
 * signature file (the 20 MiB grew a store by as much). The pack is
 * the one the item alone makes.
 */
static void test_left_out_not_written(void **state)
{
	svd_archive *a;
	svd_txn *t = NULL;
	svd_verdict *v = NULL;
	svd_stage *sg = NULL;
	svd_entry e[6];
	svd_sig *sig = NULL;
	char *forged = NULL, forged_path[64];
	size_t forged_len, at;
	uint8_t *junk;
	const size_t junk_size = 1 << 20;
	item it;

	(void)state;
	a = make_archive("left-out");
	item_make(&it, "Left out", sk_a);
	/* by a key nobody here knows (no key file beside it): it cannot be checked */
	assert_int_equal(svd_sig_create(&sig, sk_u, it.manifest, it.manifest_len, "t", NULL), 0);
	assert_int_equal(svd_sig_format(&forged, &forged_len, sig), 0);
	svd_sig_free(sig);
	snprintf(forged_path, sizeof(forged_path), "sig/%s.minisig", svd_seckey_id(sk_u));
	assert_non_null(junk = malloc(junk_size));
	th_fill_random(junk, junk_size);

	memcpy(e, it.e, sizeof(it.e));
	set_entry(&e[4], forged_path, forged, forged_len, 1);
	set_entry(&e[5], "sig/0000000000000000.minisig", junk, junk_size, 0);
	assert_int_equal(svd_txn_begin(&t, a), 0);
	assert_int_equal(svd_stage_begin(&sg, t), 0);
	assert_int_equal(svd_stage_add(sg, "manifest.json", it.manifest, it.manifest_len), 0);
	stream_att(sg, &it);
	assert_int_equal(svd_stage_add(sg, "body.md", it.body, strlen(it.body)), 0);
	assert_int_equal(svd_stage_add(sg, it.sig_path, it.sig, it.sig_len), 0);
	assert_int_equal(svd_stage_add(sg, forged_path, forged, forged_len), 0);
	assert_int_equal(svd_stage_file_begin(sg, "sig/0000000000000000.minisig", junk_size), 0);
	for (at = 0; at < junk_size; at += PIECE)
		assert_int_equal(svd_stage_file_write(sg, junk + at, PIECE), 0);
	assert_int_equal(svd_stage_file_end(sg), 0);
	/* held, not written: the pack has the payload blobs only so far */
	assert_int_equal(svd_packw_count(svd_txn_packw(t)), 3);
	assert_int_equal(svd_stage_finish(sg, NULL, e, 6, "test", SVD_CHECK_DROP_BAD_SIGS, &v), 0);
	svd_stage_free(sg);
	assert_true(svd_verdict_ok(v));
	assert_int_equal(svd_verdict_dropped_count(v), 2);
	svd_verdict_free(v);
	/* the item alone: four blobs, the key file, two trees */
	assert_int_equal(svd_packw_count(svd_txn_packw(t)), 7);
	assert_int_equal(svd_txn_stats_get(t)->dropped, 2);
	assert_int_equal(svd_txn_commit(t, NULL, NULL), 0);
	svd_txn_free(t);
	expect_item_blobs(a, &it, 1);
	assert_false(has_blob(a, forged, forged_len));
	assert_false(has_blob(a, junk, junk_size));
	expect_fsck(a);
	free(junk);
	free(forged);
	item_free(&it);
	svd_archive_free(a);
}

/* Two items, the first refused: the pack is what the second alone makes. */
static void test_first_refused(void **state)
{
	svd_archive *a, *ref;
	svd_txn *t = NULL;
	svd_verdict *v = NULL;
	item bad, good;
	size_t objects;

	(void)state;
	a = make_archive("first-refused");
	ref = make_archive("second-alone");
	item_make(&bad, "Refused first", sk_u);
	item_make(&good, "Accepted second", sk_a);

	assert_int_equal(svd_txn_begin(&t, a), 0);
	assert_int_equal(stage_item(t, &bad, &v), SVD_ECORRUPT);
	assert_false(svd_verdict_ok(v));
	svd_verdict_free(v);
	assert_int_equal(stage_item(t, &good, &v), 0);
	assert_true(svd_verdict_ok(v));
	svd_verdict_free(v);
	assert_int_equal(svd_txn_stats_get(t)->refused, 1);
	assert_int_equal(svd_txn_stats_get(t)->added, 1);
	objects = svd_packw_count(svd_txn_packw(t));
	assert_int_equal(svd_txn_commit(t, NULL, NULL), 0);
	svd_txn_free(t);

	assert_int_equal(svd_txn_begin(&t, ref), 0);
	assert_int_equal(stage_item(t, &good, &v), 0);
	svd_verdict_free(v);
	assert_int_equal(svd_packw_count(svd_txn_packw(t)), objects);
	assert_int_equal(svd_txn_commit(t, NULL, NULL), 0);
	svd_txn_free(t);

	expect_item_blobs(a, &bad, 0);
	expect_item_blobs(a, &good, 1);
	/* its objects and the root tree, items/, items/xx/, keys/ and the commit */
	assert_int_equal(count_objects(a), objects + 5);
	assert_int_equal(count_objects(a), count_objects(ref));
	expect_fsck(a);
	item_free(&bad);
	item_free(&good);
	svd_archive_free(ref);
	svd_archive_free(a);
}

/* One item at a time per operation; and the calls out of order fail without harm. */
static void test_one_at_a_time(void **state)
{
	svd_archive *a;
	svd_txn *t = NULL;
	svd_stage *sg = NULL, *other = NULL;
	svd_verdict *v = NULL;
	item it;

	(void)state;
	a = make_archive("one-at-a-time");
	item_make(&it, "One", sk_a);
	assert_int_equal(svd_txn_begin(&t, a), 0);
	assert_int_equal(svd_stage_begin(&sg, t), 0);
	assert_int_equal(svd_stage_begin(&other, t), SVD_EINVALID);
	assert_null(other);
	assert_int_equal(svd_txn_commit(t, NULL, NULL), SVD_EINVALID);
	assert_int_equal(svd_stage_file_write(sg, "x", 1), SVD_EINVALID);
	assert_int_equal(svd_stage_file_end(sg), SVD_EINVALID);
	assert_int_equal(svd_stage_file_begin(sg, "photo.bin", ATT_SIZE), 0);
	assert_int_equal(svd_stage_add(sg, "body.md", it.body, strlen(it.body)), SVD_EINVALID);
	/* a file still open cannot go to the gate: the item is given up */
	assert_int_equal(svd_stage_finish(sg, NULL, it.e, 4, "test", SVD_CHECK_DROP_BAD_SIGS, &v),
	                 SVD_EINVALID);
	assert_null(v);
	assert_int_equal(svd_packw_count(svd_txn_packw(t)), 0);
	svd_stage_free(sg);

	/* a file short of its size is dropped */
	assert_int_equal(svd_stage_begin(&sg, t), 0);
	assert_int_equal(svd_stage_file_begin(sg, "photo.bin", ATT_SIZE), 0);
	assert_int_equal(svd_stage_file_write(sg, it.att, PIECE), 0);
	assert_int_equal(svd_stage_file_end(sg), SVD_EINVALID);
	assert_int_equal(svd_stage_abandon(sg, SVD_STAGE_LOST), 0);
	svd_stage_free(sg);
	svd_stage_free(NULL);

	/* and then one whole item */
	assert_int_equal(stage_item(t, &it, &v), 0);
	svd_verdict_free(v);
	assert_int_equal(svd_txn_commit(t, NULL, NULL), 0);
	svd_txn_free(t);
	expect_item_blobs(a, &it, 1);
	expect_fsck(a);
	item_free(&it);
	svd_archive_free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_staged),
	    cmocka_unit_test(test_refused_taken_back),
	    cmocka_unit_test(test_abandon_mid_file),
	    cmocka_unit_test(test_first_refused),
	    cmocka_unit_test(test_left_out_not_written),
	    cmocka_unit_test(test_one_at_a_time),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
