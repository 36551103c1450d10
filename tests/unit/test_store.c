/*
 * test_store.c: the git store, on real archives in temporary folders —
 * adding (one operation, one commit, one pack), co-signing, resolving,
 * verifying and the history. Every archive written here must pass stock
 * `git fsck --full --strict`.
 */
#include <dirent.h>
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
#include <sodium.h>

#include "helpers.h"
#include "samvydav/archive.h"
#include "samvydav/ingest.h"
#include "samvydav/item.h"
#include "samvydav/key.h"
#include "samvydav/manifest.h"
#include "samvydav/sig.h"
#include "samvydav/store.h"
#include "store_internal.h"
#include "store_items.h"
#include "util.h"

#define CREATED  "2024-05-01T10:00:00Z"
#define MAX_SEEN 8
#define MAX_SIGS 4
#define NO_ID    "0000000000000000000000000000000000000000000000000000000000000000"

static char tmpdir[64];

/* Editors: a and b are trusted where a test says so, u never is. */
static svd_seckey *sk_a, *sk_b, *sk_u;
static svd_pubkey *pk_a, *pk_b, *pk_u;

/* What a callback was told about one item. */
typedef struct seen_item {
	char id[SVD_ID_HEX_LEN + 1];
	char source[512];
	int ok;
	size_t nproblems;
	char file[64], check[32], message[512];
	size_t nsigs;
	char keyid[MAX_SIGS][SVD_KEYID_HEX_LEN + 1];
	svd_sig_status status[MAX_SIGS];
} seen_item;

typedef struct seen {
	size_t n;
	seen_item v[MAX_SEEN];
} seen;

static int group_setup(void **state)
{
	char path[PATH_MAX];

	(void)state;
	if (th_init(tmpdir, sizeof(tmpdir), "store") < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/bodies", tmpdir);
	if (mkdir(path, 0755) != 0)
		return -1;
	if (svd_key_generate(&sk_a, &pk_a) != 0 || svd_key_generate(&sk_b, &pk_b) != 0 ||
	    svd_key_generate(&sk_u, &pk_u) != 0)
		return -1;
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	svd_seckey_free(sk_a);
	svd_seckey_free(sk_b);
	svd_seckey_free(sk_u);
	svd_pubkey_free(pk_a);
	svd_pubkey_free(pk_b);
	svd_pubkey_free(pk_u);
	th_shutdown(tmpdir);
	return 0;
}

/* A new archive trusting key a, and key b too when asked. */
static svd_archive *make_archive(const char *name, int trust_b)
{
	svd_archive *a = th_archive_new(tmpdir, name);

	assert_int_equal(svd_archive_trust_add(a, pk_a), 0);
	if (trust_b)
		assert_int_equal(svd_archive_trust_add(a, pk_b), 0);
	return a;
}

/* Stock git must find nothing wrong with what we wrote. */
static void expect_fsck(svd_archive *a)
{
	if (th_run("git --git-dir='%s/store.git' fsck --full --strict --no-progress >/dev/null",
	           svd_archive_path(a)) != 0)
		fail_msg("git fsck refuses %s/store.git", svd_archive_path(a));
}

/*
 * objects/pack/ holds complete pack+index pairs and nothing else (no
 * temporary files left behind). Returns how many packs.
 */
static size_t count_packs(svd_archive *a)
{
	char dir[PATH_MAX], other[PATH_MAX];
	struct dirent *e;
	struct stat st;
	size_t packs = 0, idxs = 0;
	DIR *d;

	th_path(dir, sizeof(dir), "%s/store.git/objects/pack", svd_archive_path(a));
	assert_non_null(d = opendir(dir));
	while ((e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);
		const char *want;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (len > 5 && !strcmp(e->d_name + len - 5, ".pack")) {
			want = "idx";
			packs++;
		} else if (len > 4 && !strcmp(e->d_name + len - 4, ".idx")) {
			want = "pack";
			idxs++;
		} else {
			fail_msg("stray file in %s: %s", dir, e->d_name);
		}
		th_path(other, sizeof(other), "%s/%.*s.%s", dir,
		        (int)(len - strlen(strrchr(e->d_name, '.'))), e->d_name, want);
		if (stat(other, &st) != 0)
			fail_msg("%s has no %s", e->d_name, want);
	}
	closedir(d);
	assert_int_equal(packs, idxs);
	return packs;
}

static void expect_head(svd_archive *a, const char *commit)
{
	char head[SVD_COMMIT_HEX_LEN + 1];

	assert_int_equal(svd_store_head(head, a), 0);
	assert_string_equal(head, commit);
}

/* A manifest being built, with everything but its files. */
static svd_manifest *meta(const char *title)
{
	svd_manifest *m = NULL;

	assert_int_equal(svd_manifest_new(&m), 0);
	assert_int_equal(svd_manifest_set(m, "title", title), 0);
	assert_int_equal(svd_manifest_set(m, "lang", "uk"), 0);
	assert_int_equal(svd_manifest_set(m, "created", CREATED), 0);
	return m;
}

/* A body file for an item; the same text always gives the same file. */
static void body_file(char *path, size_t size, const char *text)
{
	uint8_t h[32];
	char hex[17];

	crypto_hash_sha256(h, (const uint8_t *)text, strlen(text));
	svd_hex_encode(hex, h, 8);
	th_path(path, size, "%s/bodies/%s.md", tmpdir, hex);
	th_write_text(path, text);
}

/* Stage one new item signed by key a with body text; its id into id (65 bytes). */
static void stage_new(svd_txn *t, const char *title, const char *text, char *id)
{
	char path[PATH_MAX];
	svd_source_file f = {"body.md", path};
	svd_manifest *m = meta(title);
	svd_verdict *v = NULL;

	body_file(path, sizeof(path), text);
	if (svd_txn_add_new(t, m, &f, 1, sk_a, &v) != 0)
		fail_msg("add %s: %s", title, svd_error_last());
	assert_non_null(v);
	assert_true(svd_verdict_ok(v));
	assert_string_equal(svd_verdict_id(v), svd_manifest_id(m));
	snprintf(id, SVD_ID_HEX_LEN + 1, "%s", svd_verdict_id(v));
	svd_verdict_free(v);
	svd_manifest_free(m);
}

/* One operation adding one item; its id and the new commit. */
static void add_one(svd_archive *a, const char *title, char *id, char *commit)
{
	svd_txn *t = NULL;

	assert_int_equal(svd_txn_begin(&t, a), 0);
	stage_new(t, title, title, id);
	assert_int_equal(svd_txn_commit(t, NULL, commit), 0);
	svd_txn_free(t);
	expect_head(a, commit);
}

static int record(const svd_verdict *v, void *payload)
{
	seen *s = payload;
	seen_item *r;
	size_t i;

	if (s->n == MAX_SEEN)
		fail_msg("told about more than %d items", MAX_SEEN);
	r = &s->v[s->n++];
	memset(r, 0, sizeof(*r));
	snprintf(r->id, sizeof(r->id), "%s", svd_verdict_id(v) ? svd_verdict_id(v) : "");
	snprintf(r->source, sizeof(r->source), "%s",
	         svd_verdict_source(v) ? svd_verdict_source(v) : "");
	r->ok = svd_verdict_ok(v);
	r->nproblems = svd_verdict_problem_count(v);
	if (r->nproblems) {
		const char *file, *chk, *msg;
		svd_verdict_problem(v, 0, &file, &chk, &msg);
		snprintf(r->file, sizeof(r->file), "%s", file);
		snprintf(r->check, sizeof(r->check), "%s", chk);
		snprintf(r->message, sizeof(r->message), "%s", msg);
	}
	r->nsigs = svd_verdict_sig_count(v);
	for (i = 0; i < r->nsigs && i < MAX_SIGS; i++) {
		const char *k;
		svd_verdict_sig(v, i, &k, &r->status[i]);
		snprintf(r->keyid[i], sizeof(r->keyid[i]), "%s", k);
	}
	return 0;
}

/* The status of key's signature in a verdict, failing if it has none. */
static svd_sig_status sig_of(const seen_item *r, const char *keyid)
{
	size_t i;

	for (i = 0; i < r->nsigs; i++)
		if (!strcmp(r->keyid[i], keyid))
			return r->status[i];
	fail_msg("item %s has no signature by %s", r->id, keyid);
	return SVD_SIG_INVALID;
}

/* What svd_store_foreach saw. */
typedef struct listed {
	size_t n;
	char id[MAX_SEEN][SVD_ID_HEX_LEN + 1];
	char title[MAX_SEEN][128];
	size_t files[MAX_SEEN];
	char *bytes[MAX_SEEN]; /* the manifest's bytes, malloc'd */
	size_t len[MAX_SEEN];
} listed;

static int list_cb(const char *id, const svd_manifest *m, void *payload)
{
	listed *l = payload;
	const char *b;

	if (l->n == MAX_SEEN)
		fail_msg("more than %d items", MAX_SEEN);
	assert_non_null(m);
	snprintf(l->id[l->n], sizeof(l->id[l->n]), "%s", id);
	snprintf(l->title[l->n], sizeof(l->title[l->n]), "%s", svd_manifest_get(m, "title"));
	l->files[l->n] = svd_manifest_file_count(m);
	b = svd_manifest_bytes(m, &l->len[l->n]);
	assert_non_null(l->bytes[l->n] = malloc(l->len[l->n]));
	memcpy(l->bytes[l->n], b, l->len[l->n]);
	/* the id in the tree is the manifest's own */
	assert_string_equal(id, svd_manifest_id(m));
	l->n++;
	return 0;
}

static void list_items(listed *l, svd_archive *a)
{
	size_t i;

	memset(l, 0, sizeof(*l));
	assert_int_equal(svd_store_foreach(a, list_cb, l), 0);
	for (i = 1; i < l->n; i++)
		assert_true(strcmp(l->id[i - 1], l->id[i]) < 0);
}

static void listed_free(listed *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->bytes[i]);
}

/* One item, one commit; then found by foreach and by prefixes. */
static void test_add_commit(void **state)
{
	static const char text[] = "# Перший\n\nThe first article.\n";
	char id[SVD_ID_HEX_LEN + 1], out[SVD_ID_HEX_LEN + 1], commit[SVD_COMMIT_HEX_LEN + 1];
	char head[SVD_COMMIT_HEX_LEN + 1], path[PATH_MAX], prefix[SVD_ID_HEX_LEN + 2];
	svd_source_file f = {"body.md", path};
	svd_archive *a;
	svd_txn *t = NULL;
	svd_manifest *m;
	svd_verdict *v = NULL;
	const svd_txn_stats *st;
	listed l;

	(void)state;
	a = make_archive("add", 0);
	assert_int_equal(svd_store_head(head, a), SVD_ENOTFOUND);
	assert_int_equal(count_packs(a), 0);

	assert_int_equal(svd_txn_begin(&t, a), 0);
	body_file(path, sizeof(path), text);
	m = meta("Перший");
	assert_int_equal(svd_txn_add_new(t, m, &f, 1, sk_a, &v), 0);
	assert_true(svd_verdict_ok(v));
	snprintf(id, sizeof(id), "%s", svd_manifest_id(m));
	assert_string_equal(svd_verdict_id(v), id);
	assert_int_equal(svd_verdict_sig_count(v), 1);
	svd_verdict_free(v);
	svd_manifest_free(m);
	st = svd_txn_stats_get(t);
	assert_int_equal(st->added, 1);
	assert_int_equal(st->refused, 0);
	assert_int_equal(st->bytes, strlen(text));

	/* a key this archive does not trust cannot add: nothing is read */
	m = meta("Untrusted");
	v = (svd_verdict *)1;
	assert_int_equal(svd_txn_add_new(t, m, &f, 1, sk_u, &v), SVD_EUNTRUSTED);
	assert_null(v);
	th_expect_msg(svd_seckey_id(sk_u));
	svd_manifest_free(m);
	assert_int_equal(svd_txn_stats_get(t)->added, 1);

	/* main does not move before the commit */
	assert_int_equal(svd_store_head(head, a), SVD_ENOTFOUND);
	assert_int_equal(svd_txn_commit(t, NULL, commit), 0);
	assert_int_equal(strlen(commit), SVD_COMMIT_HEX_LEN);
	assert_int_equal(svd_txn_commit(t, NULL, commit), SVD_EINVALID);
	svd_txn_free(t);
	expect_head(a, commit);
	assert_int_equal(count_packs(a), 1);

	list_items(&l, a);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.id[0], id);
	assert_string_equal(l.title[0], "Перший");
	assert_int_equal(l.files[0], 1);
	listed_free(&l);

	/* prefixes of 4 to 64 lowercase hex digits */
	th_path(prefix, sizeof(prefix), "%.4s", id);
	assert_int_equal(svd_store_resolve(out, a, prefix), 0);
	assert_string_equal(out, id);
	th_path(prefix, sizeof(prefix), "%.11s", id);
	assert_int_equal(svd_store_resolve(out, a, prefix), 0);
	assert_string_equal(out, id);
	assert_int_equal(svd_store_resolve(out, a, id), 0);
	assert_string_equal(out, id);

	th_path(prefix, sizeof(prefix), "%.3s", id);
	assert_int_equal(svd_store_resolve(out, a, prefix), SVD_EINVALID);
	th_path(prefix, sizeof(prefix), "%s0", id);
	assert_int_equal(svd_store_resolve(out, a, prefix), SVD_EINVALID);
	assert_int_equal(svd_store_resolve(out, a, ""), SVD_EINVALID);
	assert_int_equal(svd_store_resolve(out, a, "zzzz"), SVD_EINVALID);
	assert_int_equal(svd_store_resolve(out, a, "ABCD"), SVD_EINVALID);
	assert_int_equal(svd_store_resolve(out, a, "12 4"), SVD_EINVALID);
	/* well-formed but matching nothing: the first digit changed */
	th_path(prefix, sizeof(prefix), "%c%.5s", id[0] == '0' ? '1' : '0', id + 1);
	assert_int_equal(svd_store_resolve(out, a, prefix), SVD_ENOTFOUND);

	expect_fsck(a);
	svd_archive_free(a);
}

/*
 * Two items whose ids share their first four digits, found by trying
 * titles (a birthday search over 65536 prefixes: a few hundred tries).
 */
static void test_resolve_ambiguous(void **state)
{
	static unsigned short first[65536]; /* prefix -> title number + 1 */
	static const char text[] = "# Same body\n";
	char title[2][32], id[2][SVD_ID_HEX_LEN + 1], out[SVD_ID_HEX_LEN + 1];
	char commit[SVD_COMMIT_HEX_LEN + 1], prefix[SVD_ID_HEX_LEN + 1], path[PATH_MAX];
	uint8_t sha[32];
	svd_archive *a;
	svd_txn *t = NULL;
	size_t i, common;
	int found = 0;

	(void)state;
	memset(first, 0, sizeof(first));
	crypto_hash_sha256(sha, (const uint8_t *)text, strlen(text));
	for (i = 1; i < 60000 && !found; i++) {
		svd_manifest *m;
		unsigned long p;
		char t4[5];

		snprintf(title[1], sizeof(title[1]), "Item %zu", i);
		m = meta(title[1]);
		assert_int_equal(svd_manifest_add_file(m, "body.md", strlen(text), sha), 0);
		assert_int_equal(svd_manifest_serialize(m), 0);
		memcpy(t4, svd_manifest_id(m), 4);
		t4[4] = '\0';
		p = strtoul(t4, NULL, 16);
		if (first[p]) {
			snprintf(title[0], sizeof(title[0]), "Item %u", (unsigned)first[p]);
			found = 1;
		} else {
			first[p] = (unsigned short)i;
		}
		svd_manifest_free(m);
	}
	assert_true(found);

	a = make_archive("ambiguous", 0);
	body_file(path, sizeof(path), text);
	assert_int_equal(svd_txn_begin(&t, a), 0);
	stage_new(t, title[0], text, id[0]);
	stage_new(t, title[1], text, id[1]);
	assert_int_equal(svd_txn_stats_get(t)->added, 2);
	assert_int_equal(svd_txn_commit(t, NULL, commit), 0);
	svd_txn_free(t);

	for (common = 0; id[0][common] == id[1][common]; common++)
		;
	assert_true(common >= 4);
	th_path(prefix, sizeof(prefix), "%.4s", id[0]);
	assert_int_equal(svd_store_resolve(out, a, prefix), SVD_EINVALID);
	th_expect_msg("more digits");
	th_path(prefix, sizeof(prefix), "%.*s", (int)common, id[0]);
	assert_int_equal(svd_store_resolve(out, a, prefix), SVD_EINVALID);
	for (i = 0; i < 2; i++) {
		th_path(prefix, sizeof(prefix), "%.*s", (int)common + 1, id[i]);
		assert_int_equal(svd_store_resolve(out, a, prefix), 0);
		assert_string_equal(out, id[i]);
	}
	expect_fsck(a);
	svd_archive_free(a);
}

/* Nothing staged writes nothing; an item held already changes nothing. */
static void test_nothing_new(void **state)
{
	char id[SVD_ID_HEX_LEN + 1], id2[SVD_ID_HEX_LEN + 1];
	char c1[SVD_COMMIT_HEX_LEN + 1], out[SVD_COMMIT_HEX_LEN + 1];
	svd_archive *a;
	svd_txn *t = NULL;
	const svd_txn_stats *st;

	(void)state;
	a = make_archive("nothing", 0);
	assert_int_equal(svd_txn_begin(&t, a), 0);
	memset(out, 'x', sizeof(out));
	assert_int_equal(svd_txn_commit(t, NULL, out), 0);
	assert_string_equal(out, ""); /* no main yet */
	svd_txn_free(t);
	assert_int_equal(svd_store_head(out, a), SVD_ENOTFOUND);
	assert_int_equal(count_packs(a), 0);

	add_one(a, "Twice", id, c1);
	assert_int_equal(count_packs(a), 1);

	assert_int_equal(svd_txn_begin(&t, a), 0);
	assert_int_equal(svd_txn_commit(t, "nothing", out), 0);
	assert_string_equal(out, c1);
	svd_txn_free(t);
	expect_head(a, c1);
	assert_int_equal(count_packs(a), 1);

	/* the same bytes again, signed again by the same key: held already */
	assert_int_equal(svd_txn_begin(&t, a), 0);
	stage_new(t, "Twice", "Twice", id2);
	assert_string_equal(id2, id);
	st = svd_txn_stats_get(t);
	assert_int_equal(st->added, 0);
	assert_int_equal(st->cosigned, 0);
	assert_int_equal(st->unchanged, 1);
	assert_int_equal(svd_txn_commit(t, NULL, out), 0);
	assert_string_equal(out, c1);
	svd_txn_free(t);
	expect_head(a, c1);
	assert_int_equal(count_packs(a), 1);

	expect_fsck(a);
	svd_archive_free(a);
}

/* A folder of item folders: two good, one with an unknown field. */
static void test_add_path_folder(void **state)
{
	static const uint8_t photo[] = {0xff, 0xd8, 0xff, 0xe0, 0, 0x10, 'J', 'F', 'I', 'F', 0};
	char in[PATH_MAX], p[PATH_MAX], commit[SVD_COMMIT_HEX_LEN + 1];
	svd_archive *a;
	svd_txn *t = NULL;
	seen s = {0};
	listed l;

	(void)state;
	a = make_archive("folder", 0);
	th_path(in, sizeof(in), "%s/in-folder", tmpdir);
	th_mkdir(in);
	th_path(p, sizeof(p), "%s/one", in);
	th_mkdir(p);
	th_path(p, sizeof(p), "%s/one/meta.json", in);
	th_write_text(p, "{\"title\": \"One\", \"lang\": \"uk\", \"created\": \"" CREATED "\"}\n");
	th_path(p, sizeof(p), "%s/one/body.md", in);
	th_write_text(p, "# One\n");
	th_path(p, sizeof(p), "%s/two", in);
	th_mkdir(p);
	th_path(p, sizeof(p), "%s/two/meta.json", in);
	th_write_text(p,
	              "{\n  \"kind\": \"testimony\",\n  \"title\": \"Two\",\n  \"lang\": \"en\",\n"
	              "  \"tags\": [\"b\", \"a\", \"b\"],\n  \"region\": null,\n"
	              "  \"created\": \"" CREATED "\"\n}\n");
	th_path(p, sizeof(p), "%s/two/body.md", in);
	th_write_text(p, "# Two\n");
	th_path(p, sizeof(p), "%s/two/photo.jpg", in);
	th_write_file(p, photo, sizeof(photo));
	th_path(p, sizeof(p), "%s/two/.DS_Store", in);
	th_write_text(p, "hidden files are not content");
	th_path(p, sizeof(p), "%s/bad", in);
	th_mkdir(p);
	th_path(p, sizeof(p), "%s/bad/meta.json", in);
	th_write_text(p, "{\"title\": \"Bad\", \"lang\": \"uk\", \"colour\": \"red\"}");
	th_path(p, sizeof(p), "%s/bad/body.md", in);
	th_write_text(p, "# Bad\n");
	/* beside the item folders: a file and a hidden folder, both skipped */
	th_path(p, sizeof(p), "%s/README.txt", in);
	th_write_text(p, "not an item");
	th_path(p, sizeof(p), "%s/.git", in);
	th_mkdir(p);

	assert_int_equal(svd_txn_begin(&t, a), 0);
	assert_int_equal(svd_txn_add_path(t, in, sk_a, record, &s), SVD_ECORRUPT);
	assert_int_equal(s.n, 3); /* in name order: bad, one, two */
	th_path(p, sizeof(p), "%s/bad", in);
	assert_string_equal(s.v[0].source, p);
	assert_false(s.v[0].ok);
	assert_int_equal(s.v[0].nproblems, 1);
	assert_string_equal(s.v[0].file, "meta.json");
	assert_string_equal(s.v[0].check, "metadata");
	assert_non_null(strstr(s.v[0].message, "colour"));
	th_path(p, sizeof(p), "%s/one", in);
	assert_string_equal(s.v[1].source, p);
	assert_true(s.v[1].ok);
	th_path(p, sizeof(p), "%s/two", in);
	assert_string_equal(s.v[2].source, p);
	assert_true(s.v[2].ok);
	assert_int_equal(s.v[2].nsigs, 1);
	assert_int_equal(sig_of(&s.v[2], svd_seckey_id(sk_a)), SVD_SIG_VALID);
	assert_int_equal(svd_txn_stats_get(t)->added, 2);
	assert_int_equal(svd_txn_stats_get(t)->refused, 1);
	assert_int_equal(svd_txn_commit(t, NULL, commit), 0);
	svd_txn_free(t);
	expect_head(a, commit);

	list_items(&l, a);
	assert_int_equal(l.n, 2);
	if (strcmp(l.title[0], "One")) {
		assert_string_equal(l.title[0], "Two");
		assert_int_equal(l.files[0], 2);
	} else {
		assert_string_equal(l.title[1], "Two");
		assert_int_equal(l.files[1], 2);
	}
	assert_true(!strcmp(l.id[0], s.v[1].id) || !strcmp(l.id[1], s.v[1].id));
	assert_true(!strcmp(l.id[0], s.v[2].id) || !strcmp(l.id[1], s.v[2].id));
	listed_free(&l);

	/* meta.json needs a key to sign with */
	s.n = 0;
	assert_int_equal(svd_txn_begin(&t, a), 0);
	th_path(p, sizeof(p), "%s/one", in);
	assert_int_equal(svd_txn_add_path(t, p, NULL, record, &s), SVD_ECORRUPT);
	assert_int_equal(s.n, 1);
	assert_false(s.v[0].ok);
	svd_txn_free(t);
	expect_head(a, commit);

	expect_fsck(a);
	svd_archive_free(a);
}

/* JSON lines: blank lines skipped, a line over the cap and a broken one refused alone. */
static void test_add_path_jsonl(void **state)
{
	static const uint8_t photo[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
	char feed[PATH_MAX], p[PATH_MAX], jsonl[PATH_MAX], commit[SVD_COMMIT_HEX_LEN + 1];
	char expect[PATH_MAX + 8];
	const size_t big = 1024 * 1024 + 16; /* over the 1 MiB line cap */
	char *text;
	size_t len;
	svd_archive *a;
	svd_txn *t = NULL;
	seen s = {0};
	listed l;

	(void)state;
	a = make_archive("jsonl", 0);
	th_path(feed, sizeof(feed), "%s/feed", tmpdir);
	th_mkdir(feed);
	th_path(p, sizeof(p), "%s/texts", feed);
	th_mkdir(p);
	th_path(p, sizeof(p), "%s/photos", feed);
	th_mkdir(p);
	th_path(p, sizeof(p), "%s/texts/one.md", feed);
	th_write_text(p, "# Line one\n");
	th_path(p, sizeof(p), "%s/texts/four.md", feed);
	th_write_text(p, "# Line four\n");
	th_path(p, sizeof(p), "%s/photos/bridge.jpg", feed);
	th_write_file(p, photo, sizeof(photo));

	assert_non_null(text = malloc(big + 4096));
	len =
	    (size_t)snprintf(text, 4096,
	                     "{\"title\":\"Line one\",\"lang\":\"uk\",\"created\":\"" CREATED
	                     "\",\"body\":\"texts/one.md\"}\n"
	                     "\n"
	                     "  \t\r\n"
	                     "{\"kind\":\"testimony\",\"title\":\"Line four\",\"lang\":\"en\","
	                     "\"published\":null,\"created\":\"" CREATED "\","
	                     "\"body\":\"texts/four.md\",\"attachments\":[\"photos/bridge.jpg\"]}\n"
	                     "{\"title\":\"Too long\",\"lang\":\"uk\",\"region\":\"");
	memset(text + len, 'x', big);
	len += big;
	len += (size_t)snprintf(text + len, 4096, "\"}\n{\"title\": \"Broken\", \"lang\"\n");
	th_path(jsonl, sizeof(jsonl), "%s/items.jsonl", feed);
	th_write_file(jsonl, text, len);
	free(text);

	assert_int_equal(svd_txn_begin(&t, a), 0);
	/* items from JSON lines must be signed */
	assert_int_equal(svd_txn_add_path(t, jsonl, NULL, record, &s), SVD_EINVALID);
	assert_int_equal(s.n, 0);

	assert_int_equal(svd_txn_add_path(t, jsonl, sk_a, record, &s), SVD_ECORRUPT);
	assert_int_equal(s.n, 4);
	th_path(expect, sizeof(expect), "%s:1", jsonl);
	assert_string_equal(s.v[0].source, expect);
	assert_true(s.v[0].ok);
	th_path(expect, sizeof(expect), "%s:4", jsonl);
	assert_string_equal(s.v[1].source, expect);
	assert_true(s.v[1].ok);
	th_path(expect, sizeof(expect), "%s:5", jsonl);
	assert_string_equal(s.v[2].source, expect);
	assert_false(s.v[2].ok);
	assert_int_equal(s.v[2].nproblems, 1);
	assert_string_equal(s.v[2].check, "metadata");
	assert_non_null(strstr(s.v[2].message, "over"));
	th_path(expect, sizeof(expect), "%s:6", jsonl);
	assert_string_equal(s.v[3].source, expect);
	assert_false(s.v[3].ok);
	assert_int_equal(s.v[3].nproblems, 1);
	assert_string_equal(s.v[3].check, "metadata");
	assert_int_equal(svd_txn_stats_get(t)->added, 2);
	assert_int_equal(svd_txn_stats_get(t)->refused, 2);
	assert_int_equal(svd_txn_commit(t, NULL, commit), 0);
	svd_txn_free(t);

	list_items(&l, a);
	assert_int_equal(l.n, 2);
	assert_int_equal(l.files[strcmp(l.title[0], "Line four") ? 1 : 0], 2);
	listed_free(&l);
	expect_fsck(a);
	svd_archive_free(a);
}

/*
 * A prepared item folder, taken byte for byte: manifest.json, body.md and
 * a signature by sk, under sig/ or (side) beside the manifest as stock
 * minisign writes it. The item's id into id.
 */
static void write_prepared(const char *dir, const char *title, const svd_seckey *sk, int side,
                           char *id)
{
	char p[PATH_MAX], *text = NULL;
	const char *bytes;
	uint8_t sha[32];
	svd_manifest *m = meta(title);
	svd_sig *sig = NULL;
	size_t len, text_len;

	crypto_hash_sha256(sha, (const uint8_t *)title, strlen(title));
	assert_int_equal(svd_manifest_add_file(m, "body.md", strlen(title), sha), 0);
	assert_int_equal(svd_manifest_serialize(m), 0);
	bytes = svd_manifest_bytes(m, &len);
	snprintf(id, SVD_ID_HEX_LEN + 1, "%s", svd_manifest_id(m));
	th_mkdir(dir);
	th_path(p, sizeof(p), "%s/manifest.json", dir);
	th_write_file(p, bytes, len);
	th_path(p, sizeof(p), "%s/body.md", dir);
	th_write_text(p, title);
	assert_int_equal(svd_sig_create(&sig, sk, bytes, len, "prepared", NULL), 0);
	assert_int_equal(svd_sig_format(&text, &text_len, sig), 0);
	if (side) {
		th_path(p, sizeof(p), "%s/manifest.json.minisig", dir);
	} else {
		th_path(p, sizeof(p), "%s/sig", dir);
		th_mkdir(p);
		th_path(p, sizeof(p), "%s/sig/%s.minisig", dir, svd_seckey_id(sk));
	}
	th_write_file(p, text, text_len);
	free(text);
	svd_sig_free(sig);
	svd_manifest_free(m);
}

/* Prepared items need a trusted signature of their own, or a key to be signed with. */
static void test_add_path_prepared(void **state)
{
	char in[PATH_MAX], p[PATH_MAX], id[3][SVD_ID_HEX_LEN + 1], commit[SVD_COMMIT_HEX_LEN + 1];
	svd_archive *a;
	svd_txn *t = NULL;
	svd_verify_stats st;
	seen s = {0};

	(void)state;
	a = make_archive("prepared", 1);
	th_path(in, sizeof(in), "%s/in-prepared", tmpdir);
	th_mkdir(in);
	th_path(p, sizeof(p), "%s/p1", in);
	write_prepared(p, "Prepared one", sk_a, 0, id[0]);
	th_path(p, sizeof(p), "%s/p2", in);
	write_prepared(p, "Prepared two", sk_b, 1, id[1]);
	th_path(p, sizeof(p), "%s/p3", in);
	write_prepared(p, "Prepared three", sk_u, 0, id[2]);

	assert_int_equal(svd_txn_begin(&t, a), 0);
	assert_int_equal(svd_txn_add_path(t, in, NULL, record, &s), SVD_ECORRUPT);
	assert_int_equal(s.n, 3);
	assert_true(s.v[0].ok);
	assert_string_equal(s.v[0].id, id[0]);
	assert_true(s.v[1].ok);
	assert_string_equal(s.v[1].id, id[1]);
	assert_int_equal(sig_of(&s.v[1], svd_seckey_id(sk_b)), SVD_SIG_VALID);
	assert_false(s.v[2].ok);
	assert_string_equal(s.v[2].id, id[2]);
	assert_string_equal(s.v[2].file, "sig/");
	assert_string_equal(s.v[2].check, "trust");
	/* no key for it anywhere (not beside it, not trusted, not in keys/): not checked */
	assert_int_equal(sig_of(&s.v[2], svd_seckey_id(sk_u)), SVD_SIG_INVALID);

	/* with a trusted key given, the third is signed and taken too */
	s.n = 0;
	th_path(p, sizeof(p), "%s/p3", in);
	assert_int_equal(svd_txn_add_path(t, p, sk_a, record, &s), 0);
	assert_int_equal(s.n, 1);
	assert_true(s.v[0].ok);
	assert_int_equal(sig_of(&s.v[0], svd_seckey_id(sk_a)), SVD_SIG_VALID);
	assert_int_equal(svd_txn_stats_get(t)->added, 3);
	assert_int_equal(svd_txn_commit(t, NULL, commit), 0);
	svd_txn_free(t);

	memset(&s, 0, sizeof(s));
	assert_int_equal(svd_store_verify(a, NULL, 0, 1, record, &s, &st), 0);
	/* the untrusted signature of the third, with no key anywhere to check it, was left out */
	assert_int_equal(st.items, 3);
	assert_int_equal(st.signatures, 3);
	expect_fsck(a);
	svd_archive_free(a);
}

static void verify_one(seen *s, svd_verify_stats *st, svd_archive *a, const char *id, int expect)
{
	const char *ids[1];

	ids[0] = id;
	memset(s, 0, sizeof(*s));
	if (svd_store_verify(a, ids, 1, 1, record, s, st) != expect)
		fail_msg("verify %s: %s", id, svd_error_last());
	assert_int_equal(s->n, 1);
	assert_string_equal(s->v[0].id, id);
}

/* Co-signing adds a signature and keeps the id; a key signs an item once. */
static void test_sign(void **state)
{
	char id[SVD_ID_HEX_LEN + 1], c[4][SVD_COMMIT_HEX_LEN + 1];
	svd_archive *a;
	svd_txn *t = NULL;
	svd_sig *sig = NULL, *forged = NULL;
	svd_verify_stats st;
	seen s;
	listed l;

	(void)state;
	a = make_archive("sign", 1);
	add_one(a, "Signed by many", id, c[0]);

	assert_int_equal(svd_txn_begin(&t, a), 0);
	assert_int_equal(svd_txn_sign(t, id, sk_b, NULL, NULL), 0);
	assert_int_equal(svd_txn_stats_get(t)->cosigned, 1);
	assert_int_equal(svd_txn_stats_get(t)->added, 0);
	assert_int_equal(svd_txn_commit(t, NULL, c[1]), 0);
	svd_txn_free(t);
	assert_string_not_equal(c[0], c[1]);
	expect_head(a, c[1]);

	list_items(&l, a);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.id[0], id);

	verify_one(&s, &st, a, id, 0);
	assert_true(s.v[0].ok);
	assert_int_equal(s.v[0].nsigs, 2);
	assert_int_equal(sig_of(&s.v[0], svd_seckey_id(sk_a)), SVD_SIG_VALID);
	assert_int_equal(sig_of(&s.v[0], svd_seckey_id(sk_b)), SVD_SIG_VALID);
	assert_int_equal(st.items, 1);
	assert_int_equal(st.failed, 0);
	assert_int_equal(st.signatures, 2);

	assert_int_equal(svd_txn_begin(&t, a), 0);
	assert_int_equal(svd_txn_sign(t, id, sk_b, NULL, NULL), SVD_EEXISTS);
	assert_int_equal(svd_txn_sign(t, id, sk_a, NULL, NULL), SVD_EEXISTS);
	assert_int_equal(svd_txn_sign(t, NO_ID, sk_b, NULL, NULL), SVD_ENOTFOUND);

	/* an untrusted editor's signature: checked with the key given, then kept */
	assert_int_equal(svd_sig_create(&sig, sk_u, l.bytes[0], l.len[0], "co-signed", NULL), 0);
	assert_int_equal(svd_sig_create(&forged, sk_u, "other", 5, "co-signed", NULL), 0);
	assert_int_equal(svd_txn_sign(t, id, sk_b, sig, NULL), SVD_EINVALID);
	assert_int_equal(svd_txn_sign(t, id, NULL, NULL, NULL), SVD_EINVALID);
	assert_int_equal(svd_txn_sign(t, id, NULL, sig, NULL), SVD_EUNTRUSTED);
	th_expect_msg(svd_seckey_id(sk_u));
	assert_int_equal(svd_txn_sign(t, id, NULL, forged, pk_u), SVD_EBADSIG);
	assert_int_equal(svd_txn_sign(t, id, NULL, sig, pk_b), SVD_EBADSIG);
	assert_int_equal(svd_txn_stats_get(t)->cosigned, 0);
	assert_int_equal(svd_txn_sign(t, id, NULL, sig, pk_u), 0);
	assert_int_equal(svd_txn_stats_get(t)->cosigned, 1);
	assert_int_equal(svd_txn_commit(t, NULL, c[2]), 0);
	svd_txn_free(t);
	expect_head(a, c[2]);

	verify_one(&s, &st, a, id, 0);
	assert_true(s.v[0].ok);
	assert_int_equal(s.v[0].nsigs, 3);
	assert_int_equal(sig_of(&s.v[0], svd_pubkey_id(pk_u)), SVD_SIG_UNTRUSTED);
	assert_int_equal(sig_of(&s.v[0], svd_seckey_id(sk_b)), SVD_SIG_VALID);

	/* attaching the same signature again is no news */
	assert_int_equal(svd_txn_begin(&t, a), 0);
	assert_int_equal(svd_txn_sign(t, id, NULL, sig, pk_u), SVD_EEXISTS);
	svd_txn_free(t);

	listed_free(&l);
	list_items(&l, a);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.id[0], id);
	listed_free(&l);
	svd_sig_free(sig);
	svd_sig_free(forged);
	expect_fsck(a);
	svd_archive_free(a);
}

/*
 * Co-signing an item staged in the same operation is refused with a clear
 * code (its trees are not readable before the pack is finished); after the
 * commit it works.
 */
static void test_sign_staged(void **state)
{
	char id[SVD_ID_HEX_LEN + 1], commit[SVD_COMMIT_HEX_LEN + 1];
	svd_archive *a;
	svd_txn *t = NULL;
	svd_verify_stats st;
	seen s;

	(void)state;
	a = make_archive("sign-staged", 1);
	assert_int_equal(svd_txn_begin(&t, a), 0);
	stage_new(t, "Staged, then co-signed", "body", id);
	assert_int_equal(svd_txn_sign(t, id, sk_b, NULL, NULL), SVD_EINVALID);
	assert_non_null(strstr(svd_error_last(), "same operation"));
	assert_int_equal(svd_txn_stats_get(t)->added, 1);
	assert_int_equal(svd_txn_commit(t, NULL, commit), 0);
	svd_txn_free(t);

	assert_int_equal(svd_txn_begin(&t, a), 0);
	assert_int_equal(svd_txn_sign(t, id, sk_b, NULL, NULL), 0);
	assert_int_equal(svd_txn_commit(t, NULL, commit), 0);
	svd_txn_free(t);

	verify_one(&s, &st, a, id, 0);
	assert_int_equal(s.v[0].nsigs, 2);
	assert_int_equal(sig_of(&s.v[0], svd_seckey_id(sk_b)), SVD_SIG_VALID);
	expect_fsck(a);
	svd_archive_free(a);
}

/*
 * The same item twice in one operation (a JSON lines file with a repeated
 * line, two copies of one folder): the second is held already, not an error.
 */
static void test_same_item_twice_staged(void **state)
{
	char path[PATH_MAX], id[SVD_ID_HEX_LEN + 1], commit[SVD_COMMIT_HEX_LEN + 1];
	svd_source_file f = {"body.md", path};
	svd_archive *a;
	svd_txn *t = NULL;
	svd_manifest *m;
	int rc;

	(void)state;
	a = make_archive("twice-staged", 0);
	assert_int_equal(svd_txn_begin(&t, a), 0);
	stage_new(t, "Twice in one go", "body", id);
	body_file(path, sizeof(path), "body");
	m = meta("Twice in one go");
	rc = svd_txn_add_new(t, m, &f, 1, sk_a, NULL);
	svd_manifest_free(m);
	if (rc != 0)
		fail_msg("adding a staged item again gave %d: %s", rc, svd_error_last());
	assert_int_equal(svd_txn_stats_get(t)->added, 1);
	assert_int_equal(svd_txn_stats_get(t)->unchanged, 1);
	assert_int_equal(svd_txn_commit(t, NULL, commit), 0);
	svd_txn_free(t);
	expect_fsck(a);
	svd_archive_free(a);
}

/*
 * An operation larger than one pack (PACK_OBJECTS, lowered here): packs are
 * finished between items and a new one begun, main moves once after the
 * last; an item staged again (co-signed by another key) in the same
 * operation keeps both signatures, whether its first copy is in the pack
 * being written (read back from it) or in one finished already (read
 * through libgit2).
 */
static void test_many_packs(void **state)
{
	char ids[24][SVD_ID_HEX_LEN + 1], path[PATH_MAX], title[64], commit[SVD_COMMIT_HEX_LEN + 1];
	svd_source_file f = {"body.md", path};
	svd_verify_stats st;
	svd_archive *a;
	svd_txn *t = NULL;
	svd_manifest *m;
	size_t i, before;
	seen s;

	(void)state;
	a = make_archive("many-packs", 1);
	before = count_packs(a);
	assert_int_equal(svd_txn_begin(&t, a), 0);
	svd_txn_set_pack_objects(t, 12);
	for (i = 0; i < 24; i++) {
		snprintf(title, sizeof(title), "Item %zu of many packs", i);
		stage_new(t, title, title, ids[i]);
		if (i == 3 || i == 23) {
			/* 3: item 0's first copy is in a finished pack by now; 23: in this one */
			size_t packs = svd_txn_packs_done(t);
			if (i == 3)
				assert_true(packs >= 1);
			snprintf(title, sizeof(title), "Item %zu of many packs",
			         i == 3 ? (size_t)0 : i);
			body_file(path, sizeof(path), title);
			m = meta(title);
			if (svd_txn_add_new(t, m, &f, 1, sk_b, NULL) != 0)
				fail_msg("co-sign %s: %s", title, svd_error_last());
			svd_manifest_free(m);
			/* no pack finished as the co-signature began: 23 was read back from this one */
			if (i == 23)
				assert_int_equal(svd_txn_packs_done(t), packs);
		}
	}
	assert_true(svd_txn_packs_done(t) >= 4);
	assert_int_equal(svd_txn_stats_get(t)->added, 24);
	assert_int_equal(svd_txn_stats_get(t)->cosigned, 0);
	assert_int_equal(svd_txn_commit(t, NULL, commit), 0);
	assert_int_equal(count_packs(a), before + svd_txn_packs_done(t) + 1);
	svd_txn_free(t);
	expect_head(a, commit);
	expect_fsck(a);
	for (i = 0; i < 24; i++) {
		verify_one(&s, &st, a, ids[i], 0);
		assert_true(s.v[0].ok);
		assert_int_equal(s.v[0].nsigs, i == 0 || i == 23 ? 2 : 1);
	}
	svd_archive_free(a);
}

static int stop_at_first(const svd_verdict *v, void *payload)
{
	(void)v;
	(*(int *)payload)++;
	return 7;
}

static void expect_same(const seen *x, const seen *y)
{
	size_t i, k;

	assert_int_equal(x->n, y->n);
	for (i = 0; i < x->n; i++) {
		assert_string_equal(x->v[i].id, y->v[i].id);
		assert_int_equal(x->v[i].ok, y->v[i].ok);
		assert_int_equal(x->v[i].nproblems, y->v[i].nproblems);
		assert_string_equal(x->v[i].check, y->v[i].check);
		assert_string_equal(x->v[i].file, y->v[i].file);
		assert_int_equal(x->v[i].nsigs, y->v[i].nsigs);
		for (k = 0; k < x->v[i].nsigs && k < MAX_SIGS; k++) {
			assert_string_equal(x->v[i].keyid[k], y->v[i].keyid[k]);
			assert_int_equal(x->v[i].status[k], y->v[i].status[k]);
		}
	}
}

/*
 * Replace an item's body.md in main with other bytes of the same size,
 * behind the library's back, as a damaged or malicious peer might.
 */
static void tamper(svd_archive *a, const char *id, const char *text)
{
	char path[PATH_MAX];
	git_repository *repo = NULL;
	git_reference *ref = NULL;
	git_commit *head = NULL;
	git_tree *root = NULL, *tree = NULL;
	git_signature *who = NULL;
	git_tree_update up;
	git_oid blob, tree_id, commit;
	const git_commit *parents[1];

	th_path(path, sizeof(path), "%s/store.git", svd_archive_path(a));
	assert_int_equal(git_repository_open_bare(&repo, path), 0);
	assert_int_equal(git_reference_lookup(&ref, repo, "refs/heads/main"), 0);
	assert_int_equal(git_commit_lookup(&head, repo, git_reference_target(ref)), 0);
	assert_int_equal(git_commit_tree(&root, head), 0);
	assert_int_equal(git_blob_create_from_buffer(&blob, repo, text, strlen(text)), 0);
	th_path(path, sizeof(path), "items/%.2s/%s/body.md", id, id);
	memset(&up, 0, sizeof(up));
	up.action = GIT_TREE_UPDATE_UPSERT;
	up.filemode = GIT_FILEMODE_BLOB;
	up.path = path;
	git_oid_cpy(&up.id, &blob);
	assert_int_equal(git_tree_create_updated(&tree_id, repo, root, 1, &up), 0);
	assert_int_equal(git_tree_lookup(&tree, repo, &tree_id), 0);
	assert_int_equal(git_signature_new(&who, "tamper", "tamper@invalid", 1714557600, 0), 0);
	parents[0] = head;
	assert_int_equal(git_commit_create(&commit, repo, "refs/heads/main", who, who, NULL,
	                                   "tamper", tree, 1, parents),
	                 0);
	git_signature_free(who);
	git_tree_free(tree);
	git_tree_free(root);
	git_commit_free(head);
	git_reference_free(ref);
	git_repository_free(repo);
}

static void test_verify(void **state)
{
	static const char *const titles[3] = {"Верифікація", "Second", "Third"};
	char id[3][SVD_ID_HEX_LEN + 1], commit[SVD_COMMIT_HEX_LEN + 1];
	const char *one[1];
	svd_archive *a;
	svd_txn *t = NULL;
	svd_verify_stats st1, st2, st0;
	seen s1, s2, s0;
	uint64_t bytes = 0;
	size_t i;
	int calls = 0;

	(void)state;
	a = make_archive("verify", 1);
	/* empty: nothing to check, and that is fine */
	memset(&s1, 0, sizeof(s1));
	assert_int_equal(svd_store_verify(a, NULL, 0, 1, record, &s1, &st1), 0);
	assert_int_equal(s1.n, 0);
	assert_int_equal(st1.items, 0);

	assert_int_equal(svd_txn_begin(&t, a), 0);
	for (i = 0; i < 3; i++) {
		stage_new(t, titles[i], titles[i], id[i]);
		bytes += strlen(titles[i]);
	}
	assert_int_equal(svd_txn_commit(t, NULL, commit), 0);
	svd_txn_free(t);
	assert_int_equal(svd_txn_begin(&t, a), 0);
	assert_int_equal(svd_txn_sign(t, id[1], sk_b, NULL, NULL), 0);
	assert_int_equal(svd_txn_commit(t, NULL, commit), 0);
	svd_txn_free(t);

	/* one thread, two, and one per core: the same verdicts in the same (id) order */
	memset(&s1, 0, sizeof(s1));
	memset(&s2, 0, sizeof(s2));
	memset(&s0, 0, sizeof(s0));
	assert_int_equal(svd_store_verify(a, NULL, 0, 1, record, &s1, &st1), 0);
	assert_int_equal(svd_store_verify(a, NULL, 0, 2, record, &s2, &st2), 0);
	assert_int_equal(svd_store_verify(a, NULL, 0, 0, record, &s0, &st0), 0);
	assert_int_equal(s1.n, 3);
	for (i = 0; i < 3; i++)
		assert_true(s1.v[i].ok);
	for (i = 1; i < 3; i++)
		assert_true(strcmp(s1.v[i - 1].id, s1.v[i].id) < 0);
	expect_same(&s1, &s2);
	expect_same(&s1, &s0);
	assert_int_equal(st1.items, 3);
	assert_int_equal(st1.failed, 0);
	assert_int_equal(st1.signatures, 4);
	assert_int_equal(st1.bytes, bytes);
	assert_memory_equal(&st1, &st2, sizeof(st1));
	assert_memory_equal(&st1, &st0, sizeof(st1));
	assert_int_equal(svd_store_verify(a, NULL, 0, 2, NULL, NULL, NULL), 0);

	/* one given id */
	one[0] = id[1];
	memset(&s1, 0, sizeof(s1));
	assert_int_equal(svd_store_verify(a, one, 1, 2, record, &s1, &st1), 0);
	assert_int_equal(s1.n, 1);
	assert_string_equal(s1.v[0].id, id[1]);
	assert_int_equal(s1.v[0].nsigs, 2);
	assert_int_equal(st1.items, 1);

	one[0] = NO_ID;
	memset(&s1, 0, sizeof(s1));
	assert_int_equal(svd_store_verify(a, one, 1, 1, record, &s1, NULL), SVD_ENOTFOUND);
	assert_int_equal(s1.n, 0);
	th_expect_msg(NO_ID);

	/* the callback's non-zero value stops the walk and is returned */
	assert_int_equal(svd_store_verify(a, NULL, 0, 1, stop_at_first, &calls, NULL), 7);
	assert_int_equal(calls, 1);

	/* damage one item: found, named, the same with any number of threads */
	tamper(a, id[2], "Thirs");
	memset(&s1, 0, sizeof(s1));
	memset(&s2, 0, sizeof(s2));
	assert_int_equal(svd_store_verify(a, NULL, 0, 1, record, &s1, &st1), SVD_ECORRUPT);
	assert_int_equal(svd_store_verify(a, NULL, 0, 2, record, &s2, &st2), SVD_ECORRUPT);
	expect_same(&s1, &s2);
	assert_int_equal(st1.items, 3);
	assert_int_equal(st1.failed, 1);
	assert_memory_equal(&st1, &st2, sizeof(st1));
	for (i = 0; i < 3; i++) {
		if (strcmp(s1.v[i].id, id[2]))
			continue;
		assert_false(s1.v[i].ok);
		assert_string_equal(s1.v[i].file, "body.md");
		assert_string_equal(s1.v[i].check, "sha256");
	}
	one[0] = id[0];
	assert_int_equal(svd_store_verify(a, one, 1, 1, NULL, NULL, NULL), 0);

	expect_fsck(a);
	svd_archive_free(a);
}

typedef struct history {
	size_t n;
	char commit[4][SVD_COMMIT_HEX_LEN + 1];
	char message[4][512];
	int64_t time[4];
} history;

static int log_cb(const svd_log_entry *e, void *payload)
{
	history *h = payload;

	if (h->n == 4)
		fail_msg("more than 4 commits");
	snprintf(h->commit[h->n], sizeof(h->commit[h->n]), "%s", e->commit);
	snprintf(h->message[h->n], sizeof(h->message[h->n]), "%s", e->message);
	h->time[h->n] = e->time;
	assert_int_equal(e->tz_offset, 0);
	h->n++;
	return 0;
}

static void test_log(void **state)
{
	char id[2][SVD_ID_HEX_LEN + 1], c[3][SVD_COMMIT_HEX_LEN + 1], line[128];
	svd_archive *a;
	svd_txn *t = NULL;
	history h = {0};

	(void)state;
	a = make_archive("log", 1);
	assert_int_equal(svd_store_log(a, log_cb, &h), 0);
	assert_int_equal(h.n, 0);

	add_one(a, "Logged", id[0], c[0]);
	assert_int_equal(svd_txn_begin(&t, a), 0);
	assert_int_equal(svd_txn_sign(t, id[0], sk_b, NULL, NULL), 0);
	assert_int_equal(svd_txn_commit(t, NULL, c[1]), 0);
	svd_txn_free(t);
	assert_int_equal(svd_txn_begin(&t, a), 0);
	stage_new(t, "With a message", "text", id[1]);
	assert_int_equal(svd_txn_commit(t, "Imported by hand\n", c[2]), 0);
	svd_txn_free(t);

	assert_int_equal(svd_store_log(a, log_cb, &h), 0);
	assert_int_equal(h.n, 3);
	assert_string_equal(h.commit[0], c[2]);
	assert_string_equal(h.commit[1], c[1]);
	assert_string_equal(h.commit[2], c[0]);
	assert_true(h.time[0] >= h.time[1] && h.time[1] >= h.time[2]);
	assert_string_equal(h.message[0], "Imported by hand\n");

	/* the default message says what was done and by which key */
	th_path(line, sizeof(line), "Co-sign 1 item, signed by %s\n", svd_seckey_id(sk_b));
	if (strncmp(h.message[1], line, strlen(line)))
		fail_msg("message \"%s\" does not start \"%s\"", h.message[1], line);
	th_path(line, sizeof(line), "Add 1 item, signed by %s\n", svd_seckey_id(sk_a));
	if (strncmp(h.message[2], line, strlen(line)))
		fail_msg("message \"%s\" does not start \"%s\"", h.message[2], line);
	th_path(line, sizeof(line), "%.12s Logged", id[0]);
	assert_non_null(strstr(h.message[2], line));

	expect_fsck(a);
	svd_archive_free(a);
}

/*
 * The default message names each item by its title, shortened: a long
 * title in Cyrillic must be cut between characters, never inside one, or
 * the commit message is not UTF-8 (git assumes it is).
 */
static void test_log_long_title(void **state)
{
	char title[128], id[SVD_ID_HEX_LEN + 1], c[SVD_COMMIT_HEX_LEN + 1];
	svd_archive *a;
	history h = {0};
	size_t i, len;

	(void)state;
	/* one ASCII byte, then 2-byte letters: any even cut lands inside a letter */
	len = (size_t)snprintf(title, sizeof(title), "A");
	for (i = 0; i < 50; i++)
		len += (size_t)snprintf(title + len, sizeof(title) - len, "Ж");
	a = make_archive("log-title", 0);
	add_one(a, title, id, c);
	assert_int_equal(svd_store_log(a, log_cb, &h), 0);
	assert_int_equal(h.n, 1);
	if (!svd_utf8_valid(h.message[0], strlen(h.message[0])))
		fail_msg("the default commit message is not UTF-8: \"%s\"", h.message[0]);
	svd_archive_free(a);
}

static int stop_log(const svd_log_entry *e, void *payload)
{
	(void)e;
	(*(int *)payload)++;
	return 5;
}

static void test_log_stop(void **state)
{
	char id[SVD_ID_HEX_LEN + 1], c[2][SVD_COMMIT_HEX_LEN + 1];
	svd_archive *a;
	int calls = 0;

	(void)state;
	a = make_archive("log-stop", 0);
	add_one(a, "First", id, c[0]);
	add_one(a, "Second", id, c[1]);
	assert_int_equal(svd_store_log(a, stop_log, &calls), 5);
	assert_int_equal(calls, 1);
	svd_archive_free(a);
}

/* An operation freed without commit leaves main and objects/pack as they were. */
static void test_abandon(void **state)
{
	char id[SVD_ID_HEX_LEN + 1], id2[SVD_ID_HEX_LEN + 1], c1[SVD_COMMIT_HEX_LEN + 1];
	char path[PATH_MAX];
	svd_source_file f = {"body.md", path};
	svd_archive *a;
	svd_txn *t = NULL;
	svd_manifest *m;
	char *big;
	const size_t big_len = 600 * 1024; /* several read chunks */
	size_t packs;
	listed l;

	(void)state;
	a = make_archive("abandon", 0);
	add_one(a, "Kept", id, c1);
	packs = count_packs(a);

	assert_non_null(big = malloc(big_len));
	memset(big, 'a', big_len);
	th_path(path, sizeof(path), "%s/bodies/big.md", tmpdir);
	th_write_file(path, big, big_len);
	free(big);
	assert_int_equal(svd_txn_begin(&t, a), 0);
	m = meta("Abandoned");
	assert_int_equal(svd_txn_add_new(t, m, &f, 1, sk_a, NULL), 0);
	snprintf(id2, sizeof(id2), "%s", svd_manifest_id(m));
	svd_manifest_free(m);
	assert_int_equal(svd_txn_stats_get(t)->added, 1);
	svd_txn_free(t);

	expect_head(a, c1);
	assert_int_equal(count_packs(a), packs);
	list_items(&l, a);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.id[0], id);
	listed_free(&l);
	assert_int_equal(svd_store_resolve(id2, a, id2), SVD_ENOTFOUND);

	/* the lock went with it */
	assert_int_equal(svd_txn_begin(&t, a), 0);
	svd_txn_free(t);
	svd_txn_free(NULL);
	expect_fsck(a);
	svd_archive_free(a);
}

/* One writer at a time, even within one process. */
static void test_locked(void **state)
{
	char path[PATH_MAX];
	svd_archive *a, *b = NULL;
	svd_txn *t1 = NULL, *t2 = NULL;

	(void)state;
	a = make_archive("locked", 0);
	th_path(path, sizeof(path), "%s/locked", tmpdir);
	assert_int_equal(svd_archive_open(&b, path), 0);

	assert_int_equal(svd_txn_begin(&t1, a), 0);
	t2 = (svd_txn *)1;
	assert_int_equal(svd_txn_begin(&t2, b), SVD_ELOCKED);
	assert_null(t2);
	th_expect_msg(path);
	svd_txn_free(t1);

	assert_int_equal(svd_txn_begin(&t2, b), 0);
	assert_int_equal(svd_txn_begin(&t1, a), SVD_ELOCKED);
	svd_txn_free(t2);
	assert_int_equal(svd_txn_begin(&t1, a), 0);
	svd_txn_free(t1);

	svd_archive_free(b);
	svd_archive_free(a);
}

/*
 * The store's items as the rooms above it read them (store_items.h): a
 * commit's list, an item's files in a bundle's order with their bytes,
 * the gate with another trust list, the head of one file of main.
 */
static void test_store_items(void **state)
{
	char id[2][SVD_ID_HEX_LEN + 1], c1[SVD_COMMIT_HEX_LEN + 1], c2[SVD_COMMIT_HEX_LEN + 1];
	char want[2][16 + SVD_KEYID_HEX_LEN], prefix[9];
	const char *one[1] = {NO_ID};
	svd_store_items *l = NULL;
	svd_store_reader *r = NULL;
	svd_store_item *it = NULL;
	svd_verify_stats st;
	svd_trust *only_b = NULL;
	svd_archive *a;
	svd_txn *t = NULL;
	const void *data;
	char *head = NULL;
	size_t len, k, first;

	(void)state;
	a = make_archive("items", 1);
	/* nothing yet: an empty list, and no id given can be there */
	assert_int_equal(svd_store_items_list(&l, a, NULL), 0);
	assert_int_equal(svd_store_items_count(l), 0);
	assert_string_equal(svd_store_items_commit(l), "");
	assert_int_equal(svd_store_items_find(l, NO_ID), -1);
	assert_int_equal(svd_store_items_verify(a, l, NULL, NULL, 0, 1, NULL, NULL, &st), 0);
	assert_int_equal(svd_store_items_verify(a, l, NULL, one, 1, 1, NULL, NULL, NULL),
	                 SVD_ENOTFOUND);
	svd_store_items_free(l);

	add_one(a, "Перший", id[0], c1);
	add_one(a, "Second", id[1], c2);
	assert_int_equal(svd_txn_begin(&t, a), 0);
	assert_int_equal(svd_txn_sign(t, id[0], sk_b, NULL, NULL), 0);
	assert_int_equal(svd_txn_commit(t, NULL, c2), 0);
	svd_txn_free(t);

	/* main: both, in id order, each found */
	assert_int_equal(svd_store_items_list(&l, a, NULL), 0);
	assert_string_equal(svd_store_items_commit(l), c2);
	assert_int_equal(svd_store_items_count(l), 2);
	first = strcmp(id[0], id[1]) < 0 ? 0 : 1;
	assert_string_equal(svd_store_items_id(l, 0), id[first]);
	assert_string_equal(svd_store_items_id(l, 1), id[1 - first]);
	assert_int_equal(svd_store_items_find(l, id[0]), (long)first);
	assert_int_equal(svd_store_items_find(l, NO_ID), -1);

	/* id[0]'s files: manifest.json first, the payload, then sig/ sorted */
	assert_int_equal(svd_store_reader_open(&r, a), 0);
	assert_int_equal(svd_store_item_open(&it, r, l, first), 0);
	/* each signature with its key beside it (sig/<KEYID>.pub) */
	assert_int_equal(svd_store_item_count(it), 6);
	assert_string_equal(svd_store_item_name(it, 0), "manifest.json");
	assert_string_equal(svd_store_item_name(it, 1), "body.md");
	th_path(want[0], sizeof(want[0]), "sig/%s.minisig", svd_pubkey_id(pk_a));
	th_path(want[1], sizeof(want[1]), "sig/%s.minisig", svd_pubkey_id(pk_b));
	k = strcmp(want[0], want[1]) < 0 ? 0 : 1;
	assert_string_equal(svd_store_item_name(it, 2), want[k]);
	assert_string_equal(svd_store_item_name(it, 4), want[1 - k]);
	th_path(want[0], sizeof(want[0]), "sig/%s.pub", svd_pubkey_id(k ? pk_b : pk_a));
	th_path(want[1], sizeof(want[1]), "sig/%s.pub", svd_pubkey_id(k ? pk_a : pk_b));
	assert_string_equal(svd_store_item_name(it, 3), want[0]);
	assert_string_equal(svd_store_item_name(it, 5), want[1]);
	assert_int_equal(svd_store_item_find(it, "body.md"), 1);
	assert_int_equal(svd_store_item_find(it, "photo.jpg"), -1);
	assert_int_equal(svd_store_item_data(&data, &len, it, 1), 0);
	assert_int_equal(len, strlen("Перший"));
	assert_memory_equal(data, "Перший", len);
	svd_store_item_drop(it, 1);
	assert_int_equal(svd_store_item_data(&data, &len, it, 1), 0); /* read again */
	assert_memory_equal(data, "Перший", len);
	assert_int_equal(svd_store_item_data(&data, &len, it, 0), 0);
	assert_true(len > 0 && ((const char *)data)[0] == '{');
	svd_store_item_free(it);
	svd_store_reader_free(r);

	/* the gate against another list: only b's co-signed item passes */
	assert_int_equal(svd_trust_new(&only_b), 0);
	assert_int_equal(svd_trust_insert(only_b, pk_b), 0);
	assert_int_equal(svd_store_items_verify(a, l, only_b, NULL, 0, 2, NULL, NULL, &st),
	                 SVD_ECORRUPT);
	assert_non_null(strstr(svd_error_last(), "1 of 2 items failed verification"));
	assert_int_equal(st.items, 2);
	assert_int_equal(st.failed, 1);
	one[0] = id[0];
	assert_int_equal(svd_store_items_verify(a, l, only_b, one, 1, 1, NULL, NULL, &st), 0);
	assert_int_equal(svd_store_items_verify(a, l, NULL, NULL, 0, 0, NULL, NULL, &st), 0);
	assert_int_equal(st.failed, 0);
	svd_trust_free(only_b);
	svd_store_items_free(l);

	/* an earlier commit by its first digits; ids that are no commit */
	snprintf(prefix, sizeof(prefix), "%.8s", c1);
	assert_int_equal(svd_store_items_list(&l, a, prefix), 0);
	assert_int_equal(svd_store_items_count(l), 1);
	assert_string_equal(svd_store_items_id(l, 0), id[0]);
	assert_string_equal(svd_store_items_commit(l), c1);
	svd_store_items_free(l);
	assert_int_equal(svd_store_items_list(&l, a, "zz"), SVD_EINVALID);
	assert_null(l);
	assert_int_equal(svd_store_items_list(&l, a, "deadbeef"), SVD_ENOTFOUND);

	/* the head of one file of main: cut at max, NUL-terminated; none; no item */
	assert_int_equal(svd_store_file_head(&head, &len, a, id[1], "body.md", 3), 0);
	assert_int_equal(len, 3);
	assert_string_equal(head, "Sec");
	free(head);
	assert_int_equal(svd_store_file_head(&head, &len, a, id[1], "photo.jpg", 3), 0);
	assert_null(head);
	assert_int_equal(len, 0);
	assert_int_equal(svd_store_file_head(&head, &len, a, NO_ID, "body.md", 3), SVD_ENOTFOUND);
	assert_null(head);

	svd_archive_free(a);
}

/* A revocation of key pk, by whoever signs it (not serialized). */
static svd_manifest *revocation(const svd_pubkey *pk, svd_outside outside)
{
	svd_manifest *m = meta("Revocation");

	assert_int_equal(svd_manifest_set_kind(m, SVD_KIND_REVOCATION), 0);
	assert_int_equal(svd_manifest_set_key(m, pk), 0);
	assert_int_equal(svd_manifest_set_outside(m, outside), 0);
	return m;
}

/* svd_txn_add_signed: a statement with its signatures, through the gate. */
static void test_add_signed(void **state)
{
	svd_archive *a = make_archive("signed", 0);
	svd_manifest *m = revocation(pk_a, SVD_OUTSIDE_HIDE), *with_files = meta("Files");
	svd_sig *sa = NULL, *sa2 = NULL, *su = NULL;
	const svd_sig *sigs[2];
	svd_verdict *v = NULL;
	svd_txn *t = NULL;
	char commit[SVD_COMMIT_HEX_LEN + 1], again[SVD_COMMIT_HEX_LEN + 1];
	const char *bytes;
	uint8_t zero[32] = {0};
	size_t len;

	(void)state;
	assert_int_equal(svd_manifest_serialize(m), 0);
	bytes = svd_manifest_bytes(m, &len);
	assert_int_equal(svd_sig_create(&sa, sk_a, bytes, len, "one", NULL), 0);
	assert_int_equal(svd_sig_create(&sa2, sk_a, bytes, len, "two", NULL), 0);
	assert_int_equal(svd_sig_create(&su, sk_u, bytes, len, "u", NULL), 0);
	assert_int_equal(svd_txn_begin(&t, a), 0);

	/* a manifest not serialized, one with files, two signatures by one key */
	assert_int_equal(svd_txn_add_signed(t, with_files, NULL, 0, "x", &v), SVD_EINVALID);
	assert_null(v);
	assert_int_equal(svd_manifest_add_file(with_files, "body.md", 1, zero), 0);
	assert_int_equal(svd_manifest_serialize(with_files), 0);
	assert_int_equal(svd_txn_add_signed(t, with_files, NULL, 0, "x", &v), SVD_EINVALID);
	th_expect_msg("lists payload files");
	sigs[0] = sa;
	sigs[1] = sa2;
	assert_int_equal(svd_txn_add_signed(t, m, sigs, 2, "x", &v), SVD_EINVALID);
	th_expect_msg("two signatures by key");
	assert_null(v);
	/* signed only by a key not trusted here: the gate refuses it */
	sigs[0] = su;
	assert_int_equal(svd_txn_add_signed(t, m, sigs, 1, "u.revoke", &v), SVD_ECORRUPT);
	assert_non_null(v);
	assert_false(svd_verdict_ok(v));
	svd_verdict_free(v);
	/* by the trusted key, and by the other beside it: both are stored */
	sigs[0] = sa;
	sigs[1] = su;
	assert_int_equal(svd_txn_add_signed(t, m, sigs, 2, "a.revoke", &v), 0);
	assert_true(svd_verdict_ok(v));
	assert_string_equal(svd_verdict_id(v), svd_manifest_id(m));
	assert_int_equal(svd_verdict_sig_count(v), 2);
	svd_verdict_free(v);
	assert_int_equal(svd_txn_commit(t, NULL, commit), 0);
	assert_int_equal(svd_txn_stats_get(t)->added, 1);
	assert_int_equal(svd_txn_stats_get(t)->refused, 1);
	svd_txn_free(t);
	expect_fsck(a);

	/* again: nothing changes */
	assert_int_equal(svd_txn_begin(&t, a), 0);
	sigs[0] = sa;
	assert_int_equal(svd_txn_add_signed(t, m, sigs, 1, "a.revoke", &v), 0);
	svd_verdict_free(v);
	assert_int_equal(svd_txn_commit(t, NULL, again), 0);
	assert_int_equal(svd_txn_stats_get(t)->added, 0);
	assert_int_equal(svd_txn_stats_get(t)->unchanged, 1);
	svd_txn_free(t);
	assert_string_equal(again, commit);

	svd_sig_free(sa);
	svd_sig_free(sa2);
	svd_sig_free(su);
	svd_manifest_free(m);
	svd_manifest_free(with_files);
	svd_archive_free(a);
}

/* Statements made and signed in one operation, like any item without files. */
static void test_add_statements(void **state)
{
	svd_archive *a = make_archive("statements", 1);
	svd_manifest *cert = meta("Taras"), *rev = revocation(pk_b, SVD_OUTSIDE_KEEP),
	             *cp = meta("Checkpoint");
	svd_verdict *v = NULL;
	svd_txn *t = NULL;
	char id[SVD_ID_HEX_LEN + 1], commit[SVD_COMMIT_HEX_LEN + 1];
	seen s = {0};

	(void)state;
	add_one(a, "An article", id, commit);
	assert_int_equal(svd_manifest_set_kind(cert, SVD_KIND_CERTIFICATE), 0);
	assert_int_equal(svd_manifest_set_key(cert, pk_b), 0);
	assert_int_equal(svd_manifest_set_kind(cp, SVD_KIND_CHECKPOINT), 0);
	assert_int_equal(svd_manifest_add_item(cp, id), 0);
	assert_int_equal(svd_txn_begin(&t, a), 0);
	assert_int_equal(svd_txn_add_new(t, cert, NULL, 0, sk_a, &v), 0);
	assert_true(svd_verdict_ok(v));
	svd_verdict_free(v);
	assert_int_equal(svd_txn_add_new(t, rev, NULL, 0, sk_b, &v), 0);
	assert_true(svd_verdict_ok(v));
	svd_verdict_free(v);
	assert_int_equal(svd_txn_add_new(t, cp, NULL, 0, sk_a, &v), 0);
	assert_true(svd_verdict_ok(v));
	svd_verdict_free(v);
	{
		svd_manifest *untrusted = meta("Not trusted here");
		assert_int_equal(svd_txn_add_new(t, untrusted, NULL, 0, sk_u, &v), SVD_EUNTRUSTED);
		assert_null(v);
		svd_manifest_free(untrusted);
	}
	assert_int_equal(svd_txn_commit(t, NULL, commit), 0);
	assert_int_equal(svd_txn_stats_get(t)->added, 3);
	svd_txn_free(t);
	/* the whole gate accepts them from the store */
	assert_int_equal(svd_store_verify(a, NULL, 0, 1, record, &s, NULL), 0);
	assert_int_equal(s.n, 4);
	expect_fsck(a);
	svd_manifest_free(cert);
	svd_manifest_free(rev);
	svd_manifest_free(cp);
	svd_archive_free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_add_commit),
	    cmocka_unit_test(test_resolve_ambiguous),
	    cmocka_unit_test(test_nothing_new),
	    cmocka_unit_test(test_add_path_folder),
	    cmocka_unit_test(test_add_path_jsonl),
	    cmocka_unit_test(test_add_path_prepared),
	    cmocka_unit_test(test_sign),
	    cmocka_unit_test(test_sign_staged),
	    cmocka_unit_test(test_add_signed),
	    cmocka_unit_test(test_add_statements),
	    cmocka_unit_test(test_same_item_twice_staged),
	    cmocka_unit_test(test_many_packs),
	    cmocka_unit_test(test_verify),
	    cmocka_unit_test(test_store_items),
	    cmocka_unit_test(test_log),
	    cmocka_unit_test(test_log_stop),
	    cmocka_unit_test(test_log_long_title),
	    cmocka_unit_test(test_abandon),
	    cmocka_unit_test(test_locked),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
