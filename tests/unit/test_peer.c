/*
 * test_peer.c: syncing archives with each other over git transports —
 * file:// and stock `git daemon` — on real archives in temporary folders.
 * What a peer holds goes through the gate like a bundle's items: untrusted
 * signers and forged files are refused and reported, main moves only when
 * the caller commits, and mirrors end with the same tree whatever the order.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <zlib.h>
#include <git2.h>
#include <sodium.h>

#include "archive_internal.h"
#include "helpers.h"
#include "samvydav/archive.h"
#include "samvydav/item.h"
#include "samvydav/key.h"
#include "samvydav/manifest.h"
#include "samvydav/peer.h"
#include "samvydav/store.h"
#include "store_internal.h"
#include "util.h"

#define CREATED  "2024-05-01T10:00:00Z"
#define MAX_SEEN 8

static char tmpdir[64];

/* Editors a, b, c are trusted where a test says so; u is trusted only by its own archive. */
static svd_seckey *sk_a, *sk_b, *sk_c, *sk_u;
static svd_pubkey *pk_a, *pk_b, *pk_c, *pk_u;

/* What the item callback was told. */
typedef struct seen {
	size_t n;
	struct {
		char id[SVD_ID_HEX_LEN + 1];
		int ok;
		char source[256], file[64], check[32];
	} v[MAX_SEEN];
} seen;

static int group_setup(void **state)
{
	char path[PATH_MAX];

	(void)state;
	if (th_init(tmpdir, sizeof(tmpdir), "peer") < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/bodies", tmpdir);
	if (mkdir(path, 0755) != 0)
		return -1;
	if (svd_key_generate(&sk_a, &pk_a) != 0 || svd_key_generate(&sk_b, &pk_b) != 0 ||
	    svd_key_generate(&sk_c, &pk_c) != 0 || svd_key_generate(&sk_u, &pk_u) != 0)
		return -1;
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	svd_seckey_free(sk_a);
	svd_seckey_free(sk_b);
	svd_seckey_free(sk_c);
	svd_seckey_free(sk_u);
	svd_pubkey_free(pk_a);
	svd_pubkey_free(pk_b);
	svd_pubkey_free(pk_c);
	svd_pubkey_free(pk_u);
	th_shutdown(tmpdir);
	return 0;
}

/* A new archive trusting editors a, b and c. */
static svd_archive *make_archive(const char *name)
{
	svd_archive *a = th_archive_new(tmpdir, name);

	assert_int_equal(svd_archive_trust_add(a, pk_a), 0);
	assert_int_equal(svd_archive_trust_add(a, pk_b), 0);
	assert_int_equal(svd_archive_trust_add(a, pk_c), 0);
	return a;
}

/* Add one item with body text, signed by sk; its id into id (65 bytes). */
static void add_item(svd_archive *a, const char *title, const svd_seckey *sk, char *id)
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
	if (id)
		snprintf(id, SVD_ID_HEX_LEN + 1, "%s", svd_verdict_id(v));
	assert_int_equal(svd_txn_commit(t, NULL, NULL), 0);
	svd_txn_free(t);
	svd_verdict_free(v);
	svd_manifest_free(m);
}

static int record(const svd_verdict *v, void *payload)
{
	seen *s = payload;

	if (s->n == MAX_SEEN)
		fail_msg("told about more than %d items", MAX_SEEN);
	snprintf(s->v[s->n].id, sizeof(s->v[s->n].id), "%s",
	         svd_verdict_id(v) ? svd_verdict_id(v) : "");
	s->v[s->n].ok = svd_verdict_ok(v);
	snprintf(s->v[s->n].source, sizeof(s->v[s->n].source), "%s",
	         svd_verdict_source(v) ? svd_verdict_source(v) : "");
	if (svd_verdict_problem_count(v)) {
		const char *file, *check, *msg;
		svd_verdict_problem(v, 0, &file, &check, &msg);
		snprintf(s->v[s->n].file, sizeof(s->v[s->n].file), "%s", file);
		snprintf(s->v[s->n].check, sizeof(s->v[s->n].check), "%s", check);
	}
	s->n++;
	return 0;
}

static void url_of(char *out, size_t size, svd_archive *peer)
{
	th_path(out, size, "file://%s/store.git", svd_archive_path(peer));
}

/* One operation: sync to from peer, then commit. Returns what svd_peer_sync returned. */
static int sync_commit(svd_archive *to, const char *name, const char *url,
                       const svd_peer_opts *opts, svd_peer_stats *st)
{
	svd_txn *t = NULL;
	int error, commit;

	/* no assertion here: a caller may have git daemon to stop first */
	if ((error = svd_txn_begin(&t, to)) < 0)
		return error;
	error = svd_peer_sync(t, name, url, opts, st);
	if ((error == 0 || error == SVD_ECORRUPT) && (commit = svd_txn_commit(t, NULL, NULL)) < 0)
		error = commit;
	svd_txn_free(t);
	return error;
}

static int sync_from(svd_archive *to, svd_archive *peer, const char *name, seen *s,
                     svd_peer_stats *st)
{
	char url[PATH_MAX];
	svd_peer_opts o = {0};

	url_of(url, sizeof(url), peer);
	o.item = record;
	o.payload = s;
	return sync_commit(to, name, url, &o, st);
}

/* main's commit, or all zeros for an archive with nothing yet. */
static void head_of(svd_archive *a, git_oid *out)
{
	if (git_reference_name_to_id(out, a->repo, SVD_MAIN_REF) < 0)
		memset(out, 0, sizeof(*out));
}

static void tree_of(svd_archive *a, git_oid *out)
{
	git_commit *c = NULL;
	git_oid head;

	head_of(a, &head);
	assert_int_equal(git_commit_lookup(&c, a->repo, &head), 0);
	git_oid_cpy(out, git_commit_tree_id(c));
	git_commit_free(c);
}

static size_t count_items(svd_archive *a)
{
	svd_item_list l;
	size_t n;

	assert_int_equal(svd_store_list(&l, a->repo, NULL), 0);
	n = l.n;
	free(l.v);
	return n;
}

static void expect_verified(svd_archive *a, size_t items)
{
	svd_verify_stats vs = {0};

	if (svd_store_verify(a, NULL, 0, 1, NULL, NULL, &vs) != 0)
		fail_msg("verify %s: %s", svd_archive_path(a), svd_error_last());
	assert_int_equal(vs.items, items);
	assert_int_equal(vs.failed, 0);
	if (th_run(
	        "git --git-dir='%s/store.git' fsck --full --strict --no-progress >/dev/null 2>&1",
	        svd_archive_path(a)) != 0)
		fail_msg("git fsck refuses %s/store.git", svd_archive_path(a));
}

static void test_sync_file(void **state)
{
	svd_archive *a = make_archive("f-a"), *b = make_archive("f-b");
	svd_peer_stats st;
	git_oid a_before, a_after, b1, b2;
	char id1[SVD_ID_HEX_LEN + 1], id2[SVD_ID_HEX_LEN + 1], res[SVD_ID_HEX_LEN + 1];
	seen s = {0};

	(void)state;
	add_item(a, "перша стаття", sk_a, id1);
	add_item(a, "друга стаття", sk_b, id2);
	head_of(a, &a_before);

	assert_int_equal(sync_from(b, a, "mirror-a", &s, &st), 0);
	assert_int_equal(st.seen, 2);
	assert_int_equal(st.accepted, 2);
	assert_int_equal(st.refused, 0);
	assert_true(st.bytes > 0);
	assert_int_equal(s.n, 2);
	assert_true(s.v[0].ok && s.v[1].ok);
	assert_non_null(strstr(s.v[0].source, "peer mirror-a"));
	expect_verified(b, 2);
	assert_int_equal(count_items(b), 2);
	assert_int_equal(svd_store_resolve(res, b, id1), 0);
	assert_int_equal(svd_store_resolve(res, b, id2), 0);
	head_of(a, &a_after);
	assert_true(git_oid_equal(&a_before, &a_after));
	/* a peer in a folder here is read in place: no quarantine ref, no fetch */
	assert_int_equal(git_reference_name_to_id(&b1, b->repo, "refs/quarantine/mirror-a"),
	                 GIT_ENOTFOUND);

	/* nothing new: nothing staged, main does not move */
	head_of(b, &b1);
	memset(&s, 0, sizeof(s));
	assert_int_equal(sync_from(b, a, "mirror-a", &s, &st), 0);
	assert_int_equal(st.seen, 0);
	assert_int_equal(st.accepted, 0);
	assert_int_equal(s.n, 0);
	head_of(b, &b2);
	assert_true(git_oid_equal(&b1, &b2));

	/* a plain absolute path works too, and an empty peer gives nothing */
	{
		char url[PATH_MAX];
		svd_archive *e = make_archive("f-empty"), *none = make_archive("f-none");
		th_path(url, sizeof(url), "%s/store.git", svd_archive_path(a));
		assert_int_equal(sync_commit(e, "by-path", url, NULL, &st), 0);
		assert_int_equal(st.accepted, 2);
		assert_int_equal(count_items(e), 2);
		url_of(url, sizeof(url), none);
		head_of(b, &b1);
		assert_int_equal(sync_commit(b, "empty", url, NULL, &st), 0);
		assert_int_equal(st.seen, 0);
		head_of(b, &b2);
		assert_true(git_oid_equal(&b1, &b2));
		svd_archive_free(e);
		svd_archive_free(none);
	}
	svd_archive_free(a);
	svd_archive_free(b);
}

static void test_converge(void **state)
{
	svd_archive *a = make_archive("c-a"), *b = make_archive("c-b"), *c = make_archive("c-c");
	svd_archive *all[3] = {a, b, c};
	svd_peer_stats st;
	git_oid ta, tb, tc;
	char shared_a[SVD_ID_HEX_LEN + 1], shared_b[SVD_ID_HEX_LEN + 1];
	size_t i;

	(void)state;
	add_item(a, "from a", sk_a, NULL);
	add_item(b, "from b", sk_b, NULL);
	add_item(c, "from c", sk_c, NULL);
	/* the same item signed apart by a and by b: the mirrors must end with both signatures */
	add_item(a, "shared", sk_a, shared_a);
	add_item(b, "shared", sk_b, shared_b);
	assert_string_equal(shared_a, shared_b);

	assert_int_equal(sync_from(a, b, "b", &(seen){0}, &st), 0); /* A <- B */
	assert_int_equal(st.seen, 2);                               /* b's item, and a cosign */
	assert_int_equal(sync_from(c, a, "a", &(seen){0}, &st), 0); /* C <- A */
	assert_int_equal(sync_from(b, c, "c", &(seen){0}, &st), 0); /* B <- C */
	assert_int_equal(sync_from(a, c, "c", &(seen){0}, &st), 0); /* A <- C */

	for (i = 0; i < 3; i++)
		expect_verified(all[i], 4);
	tree_of(a, &ta);
	tree_of(b, &tb);
	tree_of(c, &tc);
	if (!git_oid_equal(&ta, &tb) || !git_oid_equal(&tb, &tc)) {
		char x[41], y[41], z[41];
		git_oid_tostr(x, sizeof(x), &ta);
		git_oid_tostr(y, sizeof(y), &tb);
		git_oid_tostr(z, sizeof(z), &tc);
		fail_msg("mirrors differ: A %s, B %s, C %s", x, y, z);
	}
	/* and once converged, nobody has anything new for anybody */
	assert_int_equal(sync_from(c, b, "b", &(seen){0}, &st), 0);
	assert_int_equal(st.seen, 0);
	for (i = 0; i < 3; i++)
		svd_archive_free(all[i]);
}

static void test_untrusted(void **state)
{
	svd_archive *a = make_archive("u-a"), *b = make_archive("u-b");
	svd_peer_stats st;
	char bad[SVD_ID_HEX_LEN + 1], res[SVD_ID_HEX_LEN + 1];
	seen s = {0};

	(void)state;
	assert_int_equal(svd_archive_trust_add(a, pk_u), 0);
	add_item(a, "signed by u, whom b does not trust", sk_u, bad);
	add_item(a, "signed by a", sk_a, NULL);

	assert_int_equal(sync_from(b, a, "a", &s, &st), SVD_ECORRUPT);
	th_expect_msg("peer a");
	th_expect_msg("1 of 2 new items refused");
	assert_int_equal(st.seen, 2);
	assert_int_equal(st.accepted, 1);
	assert_int_equal(st.refused, 1);
	assert_int_equal(s.n, 2);
	assert_true((s.v[0].ok && !s.v[1].ok) || (!s.v[0].ok && s.v[1].ok));
	assert_string_equal(s.v[0].ok ? s.v[1].id : s.v[0].id, bad);
	assert_int_equal(count_items(b), 1);
	assert_int_equal(svd_store_resolve(res, b, bad), SVD_ENOTFOUND);
	expect_verified(b, 1);
	svd_archive_free(a);
	svd_archive_free(b);
}

/* Replace a file of an item in main by other bytes, as a lying peer would. */
static void forge(svd_archive *a, const char *id, const char *file, const char *bytes)
{
	git_oid head, blob, tree, commit;
	git_commit *c = NULL;
	git_tree *root = NULL, *next = NULL;
	git_tree_update up;
	git_signature *who = NULL;
	char path[128];

	head_of(a, &head);
	assert_int_equal(git_commit_lookup(&c, a->repo, &head), 0);
	assert_int_equal(git_commit_tree(&root, c), 0);
	assert_int_equal(git_blob_create_from_buffer(&blob, a->repo, bytes, strlen(bytes)), 0);
	snprintf(path, sizeof(path), "items/%.2s/%s/%s", id, id, file);
	memset(&up, 0, sizeof(up));
	up.action = GIT_TREE_UPDATE_UPSERT;
	up.id = blob;
	up.filemode = GIT_FILEMODE_BLOB;
	up.path = path;
	assert_int_equal(git_tree_create_updated(&tree, a->repo, root, 1, &up), 0);
	assert_int_equal(git_tree_lookup(&next, a->repo, &tree), 0);
	assert_int_equal(git_signature_new(&who, "forger", "forger@example.org", 1714557600, 0), 0);
	assert_int_equal(git_commit_create_v(&commit, a->repo, SVD_MAIN_REF, who, who, NULL,
	                                     "forged", next, 1, c),
	                 0);
	git_signature_free(who);
	git_tree_free(next);
	git_tree_free(root);
	git_commit_free(c);
}

/*
 * A local peer whose object is filed under a git id that is not its
 * content's (a loose object written under another name): the item's bytes
 * are right, so the gate passes them, but they must not enter our store
 * under a false name.
 */
static void test_false_git_id(void **state)
{
	svd_archive *a = make_archive("g-a"), *b = make_archive("g-b");
	svd_peer_stats st;
	git_oid head, fake, tree, commit;
	git_commit *c = NULL;
	git_tree *root = NULL, *next = NULL;
	git_tree_entry *e = NULL;
	git_blob *blob = NULL;
	git_tree_update up;
	git_signature *who = NULL;
	char id[SVD_ID_HEX_LEN + 1], res[SVD_ID_HEX_LEN + 1], path[PATH_MAX],
	    hex[GIT_OID_HEXSZ + 1];
	unsigned char *raw, *z;
	uLongf zlen;
	size_t len, hlen;
	seen s = {0};
	FILE *f;

	(void)state;
	add_item(a, "справжня", sk_a, id);
	head_of(a, &head);
	assert_int_equal(git_commit_lookup(&c, a->repo, &head), 0);
	assert_int_equal(git_commit_tree(&root, c), 0);
	snprintf(path, sizeof(path), "items/%.2s/%s/body.md", id, id);
	assert_int_equal(git_tree_entry_bypath(&e, root, path), 0);
	assert_int_equal(git_blob_lookup(&blob, a->repo, git_tree_entry_id(e)), 0);
	/* the right bytes, stored loose under the id of other bytes */
	assert_int_equal(git_odb_hash(&fake, "other bytes", 11, GIT_OBJECT_BLOB), 0);
	len = (size_t)git_blob_rawsize(blob);
	assert_non_null(raw = malloc(len + 32));
	hlen = (size_t)snprintf((char *)raw, 32, "blob %zu", len) + 1;
	memcpy(raw + hlen, git_blob_rawcontent(blob), len);
	zlen = compressBound(hlen + len);
	assert_non_null(z = malloc(zlen));
	assert_int_equal(compress(z, &zlen, raw, hlen + len), Z_OK);
	git_oid_tostr(hex, sizeof(hex), &fake);
	th_path(path, sizeof(path), "%s/store.git/objects/%.2s", svd_archive_path(a), hex);
	mkdir(path, 0755);
	th_path(path, sizeof(path), "%s/store.git/objects/%.2s/%s", svd_archive_path(a), hex,
	        hex + 2);
	assert_non_null(f = fopen(path, "wb"));
	assert_int_equal(fwrite(z, 1, zlen, f), zlen);
	assert_int_equal(fclose(f), 0);
	free(raw);
	free(z);

	memset(&up, 0, sizeof(up));
	up.action = GIT_TREE_UPDATE_UPSERT;
	up.id = fake;
	up.filemode = GIT_FILEMODE_BLOB;
	snprintf(path, sizeof(path), "items/%.2s/%s/body.md", id, id);
	up.path = path;
	assert_int_equal(git_tree_create_updated(&tree, a->repo, root, 1, &up), 0);
	assert_int_equal(git_tree_lookup(&next, a->repo, &tree), 0);
	assert_int_equal(git_signature_new(&who, "forger", "f@example.org", 1714557600, 0), 0);
	assert_int_equal(git_commit_create_v(&commit, a->repo, SVD_MAIN_REF, who, who, NULL,
	                                     "false id", next, 1, c),
	                 0);

	head_of(b, &head);
	assert_int_equal(sync_from(b, a, "falsename", &s, &st), SVD_ECORRUPT);
	assert_int_equal(st.refused, 1);
	assert_int_equal(s.n, 1);
	assert_false(s.v[0].ok);
	assert_string_equal(s.v[0].check, "layout"); /* not the gate's: the copy's */
	head_of(b, &commit);
	assert_true(git_oid_equal(&head, &commit));
	assert_int_equal(svd_store_resolve(res, b, id), SVD_ENOTFOUND);
	{
		git_odb *odb = NULL;
		assert_int_equal(git_repository_odb(&odb, b->repo), 0);
		assert_int_equal(git_odb_exists(odb, &fake), 0);
		git_odb_free(odb);
	}

	git_signature_free(who);
	git_tree_free(next);
	git_tree_entry_free(e);
	git_blob_free(blob);
	git_tree_free(root);
	git_commit_free(c);
	svd_archive_free(a);
	svd_archive_free(b);
}

static void test_tampered(void **state)
{
	svd_archive *a = make_archive("t-a"), *b = make_archive("t-b");
	svd_peer_stats st;
	git_oid before, after;
	char id[SVD_ID_HEX_LEN + 1], res[SVD_ID_HEX_LEN + 1];
	seen s = {0};

	(void)state;
	add_item(a, "свідчення", sk_a, id);
	/* the same length, other bytes: only the SHA-256 can tell */
	forge(a, id, "body.md", "свідченнЯ");
	assert_int_equal(strlen("свідченнЯ"), strlen("свідчення"));
	head_of(b, &before);

	assert_int_equal(sync_from(b, a, "liar", &s, &st), SVD_ECORRUPT);
	th_expect_msg("peer liar");
	assert_int_equal(st.seen, 1);
	assert_int_equal(st.refused, 1);
	assert_int_equal(s.n, 1);
	assert_false(s.v[0].ok);
	assert_string_equal(s.v[0].id, id);
	assert_string_equal(s.v[0].file, "body.md");
	assert_string_equal(s.v[0].check, "sha256");
	head_of(b, &after);
	assert_true(git_oid_equal(&before, &after));
	assert_int_equal(svd_store_resolve(res, b, id), SVD_ENOTFOUND);

	/* an item filed under an id its manifest does not have */
	{
		svd_archive *c = make_archive("t-c");
		char other[SVD_ID_HEX_LEN + 1];
		git_oid head, tree;
		git_commit *cm = NULL;
		git_tree *root = NULL, *next = NULL;
		git_tree_entry *e = NULL;
		git_tree_update up;
		git_signature *who = NULL;
		char path[128];

		add_item(c, "правдива", sk_a, other);
		head_of(c, &head);
		assert_int_equal(git_commit_lookup(&cm, c->repo, &head), 0);
		assert_int_equal(git_commit_tree(&root, cm), 0);
		snprintf(path, sizeof(path), "items/%.2s/%s", other, other);
		assert_int_equal(git_tree_entry_bypath(&e, root, path), 0);
		memset(&up, 0, sizeof(up));
		up.action = GIT_TREE_UPDATE_UPSERT;
		git_oid_cpy(&up.id, git_tree_entry_id(e));
		up.filemode = GIT_FILEMODE_TREE;
		snprintf(path, sizeof(path), "items/%.2s/%.2s%s", other, other, other + 2);
		/* same fan, last digit changed: well filed by name, but not its id */
		path[strlen(path) - 1] = path[strlen(path) - 1] == '0' ? '1' : '0';
		up.path = path;
		assert_int_equal(git_tree_create_updated(&tree, c->repo, root, 1, &up), 0);
		assert_int_equal(git_tree_lookup(&next, c->repo, &tree), 0);
		assert_int_equal(git_signature_new(&who, "forger", "f@example.org", 1714557600, 0),
		                 0);
		assert_int_equal(git_commit_create_v(&head, c->repo, SVD_MAIN_REF, who, who, NULL,
		                                     "misfiled", next, 1, cm),
		                 0);
		git_signature_free(who);
		git_tree_free(next);
		git_tree_free(root);
		git_tree_entry_free(e);
		git_commit_free(cm);

		memset(&s, 0, sizeof(s));
		assert_int_equal(sync_from(b, c, "misfiler", &s, &st), SVD_ECORRUPT);
		assert_int_equal(st.seen, 2);
		assert_int_equal(st.accepted, 1);
		assert_int_equal(st.refused, 1);
		assert_int_equal(count_items(b), 1);
		expect_verified(b, 1);
		svd_archive_free(c);
	}
	svd_archive_free(a);
	svd_archive_free(b);
}

static void test_bad_peer(void **state)
{
	svd_archive *a = make_archive("b-a"), *b = make_archive("b-b");
	svd_peer_opts o = {0};
	svd_peer_stats st;
	git_oid before, after;
	char url[PATH_MAX];

	(void)state;
	add_item(a, "велика", sk_a, NULL);
	add_item(b, "своя", sk_b, NULL);
	head_of(b, &before);

	th_path(url, sizeof(url), "file://%s/no-such-archive/store.git", tmpdir);
	assert_int_equal(sync_commit(b, "gone", url, NULL, &st), SVD_ERROR);
	th_expect_msg("peer gone");
	th_expect_msg("cannot fetch");

	url_of(url, sizeof(url), a);
	o.max_bytes = 16;
	assert_int_equal(sync_commit(b, "flood", url, &o, &st), SVD_ETOOBIG);
	th_expect_msg("peer flood");
	th_expect_msg("more than 16 bytes");
	assert_int_equal(st.accepted, 0);

	assert_int_equal(sync_commit(b, "bad name", url, NULL, &st), SVD_EINVALID);
	assert_int_equal(sync_commit(b, "..", url, NULL, &st), SVD_EINVALID);
	assert_int_equal(sync_commit(b, "x.lock", url, NULL, &st), SVD_EINVALID);
	assert_int_equal(sync_commit(b, "", url, NULL, &st), SVD_EINVALID);
	assert_int_equal(sync_commit(b, "ok", "ssh://host/store.git", NULL, &st), SVD_EINVALID);
	assert_int_equal(sync_commit(b, "ok", "relative/store.git", NULL, &st), SVD_EINVALID);
	assert_int_equal(sync_commit(b, "ok", "file://", NULL, &st), SVD_EINVALID);
	assert_int_equal(sync_commit(b, "ok", "http://a b", NULL, &st), SVD_EINVALID);

	head_of(b, &after);
	assert_true(git_oid_equal(&before, &after));
	assert_int_equal(count_items(b), 1);
	svd_archive_free(a);
	svd_archive_free(b);
}

/* A TCP port nobody listens on right now (the kernel's pick). */
static int free_port(void)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	assert_true(fd >= 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	port = ntohs(sa.sin_port);
	close(fd);
	return port;
}

/* Wait until something accepts connections on port (5 s at most). */
static int wait_listening(int port)
{
	struct sockaddr_in sa;
	int i;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = htons((uint16_t)port);
	for (i = 0; i < 100; i++) {
		int fd = socket(AF_INET, SOCK_STREAM, 0);
		struct timespec pause = {0, 50 * 1000 * 1000};
		if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
			close(fd);
			return 0;
		}
		if (fd >= 0)
			close(fd);
		nanosleep(&pause, NULL);
	}
	return -1;
}

/*
 * A hostile server on 127.0.0.1, in a child process: it accepts every
 * connection, reads the request, then either says nothing and holds the
 * connection (stall) or talks forever (a ref advertisement with no end).
 */
static pid_t hostile_server(int port, int endless)
{
	struct sockaddr_in sa;
	int lfd, one = 1;
	pid_t pid;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = htons((uint16_t)port);
	assert_true((lfd = socket(AF_INET, SOCK_STREAM, 0)) >= 0);
	assert_int_equal(setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)), 0);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(lfd, 8), 0);
	assert_true((pid = fork()) >= 0);
	if (pid == 0) {
		static const char http[] = "HTTP/1.1 200 OK\r\nContent-Type: "
		                           "application/x-git-upload-pack-advertisement\r\n"
		                           "\r\n001e# service=git-upload-pack\n0000";
		static const char line[] = "0046"
		                           "0123456789012345678901234567890123456789"
		                           " refs/heads/more-and-more\n";
		char buf[4096];
		int fd;

		signal(SIGPIPE, SIG_IGN);
		while ((fd = accept(lfd, NULL, NULL)) >= 0) {
			if (read(fd, buf, sizeof(buf)) < 0)
				_exit(1);
			if (!endless) {
				sleep(60); /* hold it, say nothing */
			} else {
				if (!strncmp(buf, "GET ", 4) &&
				    write(fd, http, sizeof(http) - 1) < 0)
					_exit(1);
				while (write(fd, line, sizeof(line) - 1) > 0)
					;
			}
			close(fd);
		}
		_exit(0);
	}
	close(lfd);
	return pid;
}

/* A peer that stalls or never stops talking is cut off; main stays as it was. */
static void test_hostile_network_peer(void **state)
{
	static const char *const schemes[] = {"git", "http"};
	svd_archive *b = make_archive("h-b");
	svd_peer_opts o = {0};
	svd_peer_stats st;
	git_oid before, after;
	char url[128];
	time_t t0;
	size_t i;
	pid_t pid;
	int port, endless, error;

	(void)state;
	add_item(b, "своя", sk_b, NULL);
	head_of(b, &before);
	for (endless = 0; endless <= 1; endless++) {
		for (i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++) {
			port = free_port();
			pid = hostile_server(port, endless);
			snprintf(url, sizeof(url), "%s://127.0.0.1:%d/store.git", schemes[i], port);
			o.timeout_s = 2;
			o.max_bytes = endless ? 1 << 20 : 0;
			t0 = time(NULL);
			error = sync_commit(b, "hostile", url, &o, &st);
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			if (error >= 0)
				fail_msg("%s (%s): accepted", url, endless ? "endless" : "stall");
			/* cut off at the deadline, not by the kernel minutes later */
			assert_true(time(NULL) - t0 <= 15);
			th_expect_msg("peer hostile");
			th_expect_msg(endless ? "more than" : "did not answer for 2 s");
			assert_int_equal(st.accepted, 0);
		}
	}
	head_of(b, &after);
	assert_true(git_oid_equal(&before, &after));
	assert_int_equal(count_items(b), 1);
	svd_archive_free(b);
}

static void test_git_daemon(void **state)
{
	svd_archive *a, *b;
	svd_peer_stats st[3] = {0};
	char base[PATH_MAX], logpath[PATH_MAX], portarg[32], basearg[PATH_MAX + 16], url[128];
	int port, status;
	pid_t pid;
	seen s = {0};

	(void)state;
	if (th_run("test -x \"$(git --exec-path 2>/dev/null)/git-daemon\"") != 0)
		fail_msg(
		    "git daemon is not installed (apt-get install git; scripts/setup.sh --tests "
		    "does): the git:// sync cannot be tested");
	a = make_archive("d-a");
	b = make_archive("d-b");
	add_item(a, "через git://", sk_a, NULL);
	add_item(a, "ще одна", sk_c, NULL);
	snprintf(base, sizeof(base), "%s", svd_archive_path(a));
	port = free_port();
	snprintf(portarg, sizeof(portarg), "--port=%d", port);
	snprintf(basearg, sizeof(basearg), "--base-path=%s", base);
	th_path(logpath, sizeof(logpath), "%s/git-daemon.log", tmpdir);

	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* its messages (a probe's connection closing unused, too) go to a log */
		int log = open(logpath, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (log >= 0)
			dup2(log, 2);
		execlp("git", "git", "daemon", "--export-all", basearg, "--reuseaddr", portarg,
		       "--listen=127.0.0.1", base, (char *)NULL);
		_exit(127);
	}
	if (wait_listening(port) != 0) {
		kill(pid, SIGTERM);
		waitpid(pid, &status, 0);
		fail_msg("git daemon did not start listening on 127.0.0.1:%d (see %s)", port,
		         logpath);
	}
	/*
	 * Three syncs while git daemon runs: the first takes A's items; then A's
	 * main is replaced by a new root commit of the same tree (stock git),
	 * which the second sees as a rewrite; the third sees the same main
	 * again. Nothing is asserted before git daemon is stopped, so that a
	 * failure cannot leave it running.
	 */
	snprintf(url, sizeof(url), "git://127.0.0.1:%d/store.git", port);
	status =
	    sync_commit(b, "daemon", url, &(svd_peer_opts){.item = record, .payload = &s}, &st[0]);
	if (status == 0)
		status = th_run("set -e; cd '%s/store.git'; "
		                "export GIT_AUTHOR_NAME=test GIT_AUTHOR_EMAIL=test@invalid "
		                "GIT_COMMITTER_NAME=test GIT_COMMITTER_EMAIL=test@invalid; "
		                "c=$(git commit-tree -m rewritten 'main^{tree}'); "
		                "git update-ref refs/heads/main \"$c\"",
		                base)
		             ? -2
		             : 0;
	if (status == 0)
		status = sync_commit(b, "daemon", url, NULL, &st[1]);
	if (status == 0)
		status = sync_commit(b, "daemon", url, NULL, &st[2]);
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	if (status == -2)
		fail_msg("stock git could not rewrite A's main (git commit-tree, update-ref)");
	if (status != 0)
		fail_msg("sync over %s: %s (git daemon's log: %s)", url, svd_error_last(), logpath);
	assert_int_equal(st[0].seen, 2);
	assert_int_equal(st[0].accepted, 2);
	assert_true(st[0].bytes > 0);
	assert_int_equal(st[0].rewritten, 0);
	assert_int_equal(s.n, 2);
	assert_int_equal(st[1].seen, 0);
	assert_int_equal(st[1].rewritten, 1);
	assert_int_equal(st[2].rewritten, 0);
	expect_verified(b, 2);
	svd_archive_free(a);
	svd_archive_free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sync_file),    cmocka_unit_test(test_converge),
	    cmocka_unit_test(test_untrusted),    cmocka_unit_test(test_tampered),
	    cmocka_unit_test(test_false_git_id), cmocka_unit_test(test_bad_peer),
	    cmocka_unit_test(test_git_daemon),   cmocka_unit_test(test_hostile_network_peer),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
