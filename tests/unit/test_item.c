/*
 * test_item.c: the gate. svd_item_check() is fed hand-built folder listings
 * (no git, no files but the trust list), one per way an item can lie, and
 * each verdict must name the exact check and file that failed.
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
#include <sodium.h>

#include "helpers.h"
#include "samvydav/archive.h"
#include "samvydav/item.h"
#include "samvydav/key.h"
#include "samvydav/manifest.h"
#include "samvydav/sig.h"

#define MAX_ENTRIES 16
#define OTHER_ID    "7c1b000000000000000000000000000000000000000000000000000000000001"

static const char body[] = "# Лист з Херсона\n\nThe text of the article.\n";
static const uint8_t photo[] = {0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 'J', 'F', 'I', 'F', 0x00};

/* Keys, trust and the signed item every case starts from. */
static struct {
	char tmpdir[64];
	svd_seckey *sk[3]; /* 0 and 1 trusted, 2 not */
	svd_pubkey *pk[3];
	svd_trust *trust;
	svd_manifest *m;
	const char *bytes; /* the manifest's canonical bytes (borrowed from m) */
	size_t len;
	char *sig[3]; /* sig[i]: a signature file by key i over bytes */
	size_t sig_len[3];
	char *pubtext[3]; /* key i's public key file, canonical */
	size_t pubtext_len[3];
	char *forged; /* by key 0, over other bytes */
	size_t forged_len;
	uint8_t body_sha[32], photo_sha[32];
} fx;

/* One item's folder as a source would list it. */
typedef struct listing {
	svd_entry e[MAX_ENTRIES];
	char paths[MAX_ENTRIES][64];
	size_t n;
} listing;

/* A signature file by sk over msg, as svd_sig_format() writes it. */
static char *make_sig(size_t *len, const svd_seckey *sk, const void *msg, size_t msg_len)
{
	svd_sig *sig = NULL;
	char *text = NULL;

	if (svd_sig_create(&sig, sk, msg, msg_len, "timestamp:0\tfile:manifest.json", NULL) != 0 ||
	    svd_sig_format(&text, len, sig) != 0)
		fail_msg("cannot sign: %s", svd_error_last());
	svd_sig_free(sig);
	return text;
}

static int group_setup(void **state)
{
	char path[PATH_MAX];
	const char other[] = "{\"not\":\"this manifest\"}";
	size_t i;

	(void)state;
	if (th_init(fx.tmpdir, sizeof(fx.tmpdir), "item") < 0)
		return -1;
	for (i = 0; i < 3; i++)
		if (svd_key_generate(&fx.sk[i], &fx.pk[i]) != 0)
			return -1;
	/* the trust list holds keys 0 and 1, written as an archive would */
	for (i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/%s.pub", fx.tmpdir, svd_pubkey_id(fx.pk[i]));
		if (svd_pubkey_write(fx.pk[i], path) != 0)
			return -1;
	}
	if (svd_trust_load(&fx.trust, fx.tmpdir) != 0 || svd_trust_count(fx.trust) != 2)
		return -1;

	crypto_hash_sha256(fx.body_sha, (const uint8_t *)body, strlen(body));
	crypto_hash_sha256(fx.photo_sha, photo, sizeof(photo));
	if (svd_manifest_new(&fx.m) != 0 || svd_manifest_set(fx.m, "title", "Лист з Херсона") ||
	    svd_manifest_set(fx.m, "lang", "uk") ||
	    svd_manifest_set(fx.m, "created", "2024-05-01T10:00:00Z") ||
	    svd_manifest_add_author(fx.m, "Olena") ||
	    svd_manifest_add_file(fx.m, "body.md", strlen(body), fx.body_sha) ||
	    svd_manifest_add_file(fx.m, "photo.jpg", sizeof(photo), fx.photo_sha) ||
	    svd_manifest_serialize(fx.m) != 0)
		return -1;
	fx.bytes = svd_manifest_bytes(fx.m, &fx.len);
	for (i = 0; i < 3; i++) {
		fx.sig[i] = make_sig(&fx.sig_len[i], fx.sk[i], fx.bytes, fx.len);
		if (svd_pubkey_format(&fx.pubtext[i], &fx.pubtext_len[i], fx.pk[i]) != 0)
			return -1;
	}
	fx.forged = make_sig(&fx.forged_len, fx.sk[0], other, strlen(other));
	return 0;
}

static int group_teardown(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < 3; i++) {
		svd_seckey_free(fx.sk[i]);
		svd_pubkey_free(fx.pk[i]);
		free(fx.sig[i]);
		free(fx.pubtext[i]);
	}
	free(fx.forged);
	svd_manifest_free(fx.m);
	svd_trust_free(fx.trust);
	th_shutdown(fx.tmpdir);
	return 0;
}

static svd_entry *put(listing *l, const char *path, svd_entry_type type)
{
	svd_entry *e;

	if (l->n == MAX_ENTRIES)
		fail_msg("too many entries");
	e = &l->e[l->n];
	memset(e, 0, sizeof(*e));
	snprintf(l->paths[l->n], sizeof(l->paths[l->n]), "%s", path);
	e->path = l->paths[l->n];
	e->type = type;
	l->n++;
	return e;
}

/* A file entry with its real size and SHA-256; kept bytes only when keep is set. */
static svd_entry *put_file(listing *l, const char *path, const void *data, size_t len, int keep)
{
	svd_entry *e = put(l, path, SVD_ENTRY_FILE);

	e->size = len;
	crypto_hash_sha256(e->sha256, data, len);
	if (keep) {
		e->data = data;
		e->data_len = len;
	}
	return e;
}

static svd_entry *put_sig(listing *l, const char *keyid, const char *text, size_t len)
{
	char path[64];

	snprintf(path, sizeof(path), "sig/%s.minisig", keyid);
	return put_file(l, path, text, len, 1);
}

static const char *kid(size_t i)
{
	return svd_pubkey_id(fx.pk[i]);
}

/* Key i's file beside its signature, sig/<KEYID>.pub, in canonical bytes. */
static svd_entry *put_key(listing *l, size_t i)
{
	char path[64];

	snprintf(path, sizeof(path), "sig/%s.pub", kid(i));
	return put_file(l, path, fx.pubtext[i], fx.pubtext_len[i], 1);
}

/* The item as a good source lists it, without signatures. */
static void unsigned_item(listing *l)
{
	memset(l, 0, sizeof(*l));
	put_file(l, "manifest.json", fx.bytes, fx.len, 1);
	put_file(l, "body.md", body, strlen(body), 0);
	put_file(l, "photo.jpg", photo, sizeof(photo), 0);
	put(l, "sig", SVD_ENTRY_DIR);
}

/* The item signed by trusted key 0: it passes. */
static void good_item(listing *l)
{
	unsigned_item(l);
	put_sig(l, kid(0), fx.sig[0], fx.sig_len[0]);
}

static svd_verdict *check(const listing *l, const char *expected_id)
{
	svd_verdict *v = NULL;

	assert_int_equal(svd_item_check(&v, expected_id, l->e, l->n, fx.trust), 0);
	assert_non_null(v);
	return v;
}

static void print_problems(const svd_verdict *v)
{
	size_t i;

	for (i = 0; i < svd_verdict_problem_count(v); i++) {
		const char *file, *chk, *msg;
		svd_verdict_problem(v, i, &file, &chk, &msg);
		print_error("  problem %zu: %s: %s: %s\n", i, file, chk, msg);
	}
}

/* Refused for exactly one problem: this check, on this file. */
static void expect_refused(const svd_verdict *v, const char *file, const char *chk)
{
	const char *f = NULL, *c = NULL, *msg = NULL;

	if (svd_verdict_ok(v))
		fail_msg("accepted an item that should fail %s on %s", chk, file);
	if (svd_verdict_problem_count(v) != 1) {
		print_problems(v);
		fail_msg("%zu problems, expected one (%s on %s)", svd_verdict_problem_count(v), chk,
		         file);
	}
	svd_verdict_problem(v, 0, &f, &c, &msg);
	assert_string_equal(c, chk);
	assert_string_equal(f, file);
	assert_non_null(msg);
	assert_true(strlen(msg) > 0);
}

static void expect_ok(const svd_verdict *v)
{
	if (!svd_verdict_ok(v)) {
		print_problems(v);
		fail_msg("refused a good item");
	}
	assert_int_equal(svd_verdict_problem_count(v), 0);
	assert_non_null(svd_verdict_manifest(v));
	assert_string_equal(svd_verdict_id(v), svd_manifest_id(fx.m));
}

static void expect_sig(const svd_verdict *v, size_t i, const char *keyid, svd_sig_status status)
{
	const char *k = NULL;
	svd_sig_status s;

	assert_true(i < svd_verdict_sig_count(v));
	svd_verdict_sig(v, i, &k, &s);
	assert_string_equal(k, keyid);
	assert_int_equal(s, status);
}

static void test_ok(void **state)
{
	listing l;
	svd_verdict *v;
	const char *b;
	size_t len = 0;

	(void)state;
	good_item(&l);
	v = check(&l, svd_manifest_id(fx.m));
	expect_ok(v);
	b = svd_manifest_bytes(svd_verdict_manifest(v), &len);
	assert_int_equal(len, fx.len);
	assert_memory_equal(b, fx.bytes, len);
	assert_int_equal(svd_verdict_sig_count(v), 1);
	expect_sig(v, 0, kid(0), SVD_SIG_VALID);
	assert_null(svd_verdict_source(v));
	svd_verdict_free(v);

	/* without an expected id, and without the (optional) sig folder entry */
	good_item(&l);
	l.e[3] = l.e[4];
	l.n--;
	v = check(&l, NULL);
	expect_ok(v);
	svd_verdict_free(v);
	svd_verdict_free(NULL);
}

static void test_id_mismatch(void **state)
{
	listing l;
	svd_verdict *v;

	(void)state;
	good_item(&l);
	v = check(&l, OTHER_ID);
	expect_refused(v, "manifest.json", "id");
	/* the id is what the bytes say, not what the folder claims */
	assert_string_equal(svd_verdict_id(v), svd_manifest_id(fx.m));
	svd_verdict_free(v);
}

static void test_manifest_absent(void **state)
{
	listing l;
	svd_verdict *v;

	(void)state;
	memset(&l, 0, sizeof(l));
	put_file(&l, "body.md", body, strlen(body), 0);
	put_sig(&l, kid(0), fx.sig[0], fx.sig_len[0]);
	v = check(&l, OTHER_ID);
	expect_refused(v, "manifest.json", "manifest");
	assert_null(svd_verdict_manifest(v));
	assert_string_equal(svd_verdict_id(v), OTHER_ID);
	svd_verdict_free(v);

	v = check(&l, NULL);
	expect_refused(v, "manifest.json", "manifest");
	assert_null(svd_verdict_id(v));
	svd_verdict_free(v);

	/* an empty folder */
	assert_int_equal(svd_item_check(&v, NULL, NULL, 0, fx.trust), 0);
	expect_refused(v, "manifest.json", "manifest");
	svd_verdict_free(v);

	/* a folder named manifest.json */
	good_item(&l);
	l.e[0].type = SVD_ENTRY_DIR;
	v = check(&l, NULL);
	expect_refused(v, "manifest.json", "manifest");
	svd_verdict_free(v);
}

/* A source that found a manifest over the cap lists it without its bytes. */
static void test_manifest_over_cap(void **state)
{
	listing l;
	svd_verdict *v;

	(void)state;
	good_item(&l);
	l.e[0].data = NULL;
	l.e[0].data_len = 0;
	l.e[0].size = SVD_MANIFEST_MAX + 1;
	v = check(&l, svd_manifest_id(fx.m));
	expect_refused(v, "manifest.json", "manifest");
	assert_null(svd_verdict_manifest(v));
	svd_verdict_free(v);
}

static void test_not_canonical(void **state)
{
	char bad[2][4096];
	listing l;
	svd_verdict *v;
	size_t i;

	(void)state;
	assert_true(fx.len + 2 < sizeof(bad[0]));
	/* a trailing newline, and a space after the opening brace */
	snprintf(bad[0], sizeof(bad[0]), "%.*s\n", (int)fx.len, fx.bytes);
	snprintf(bad[1], sizeof(bad[1]), "{ %.*s", (int)fx.len - 1, fx.bytes + 1);
	for (i = 0; i < 2; i++) {
		char *sig;
		size_t sig_len;

		unsigned_item(&l);
		l.e[0].data = bad[i];
		l.e[0].data_len = l.e[0].size = strlen(bad[i]);
		crypto_hash_sha256(l.e[0].sha256, (const uint8_t *)bad[i], strlen(bad[i]));
		/* a valid signature over the very bytes does not make them canonical */
		sig = make_sig(&sig_len, fx.sk[0], bad[i], strlen(bad[i]));
		put_sig(&l, kid(0), sig, sig_len);
		v = check(&l, NULL);
		expect_refused(v, "manifest.json", "canonical");
		assert_null(svd_verdict_manifest(v));
		svd_verdict_free(v);
		free(sig);
	}
}

static void test_payload_size(void **state)
{
	listing l;
	svd_verdict *v;

	(void)state;
	good_item(&l);
	l.e[1].size++;
	v = check(&l, NULL);
	expect_refused(v, "body.md", "size");
	svd_verdict_free(v);

	good_item(&l);
	l.e[2].size = 0;
	v = check(&l, NULL);
	expect_refused(v, "photo.jpg", "size");
	svd_verdict_free(v);
}

static void test_payload_sha256(void **state)
{
	listing l;
	svd_verdict *v;

	(void)state;
	good_item(&l);
	l.e[1].sha256[31] ^= 1;
	v = check(&l, NULL);
	expect_refused(v, "body.md", "sha256");
	svd_verdict_free(v);
}

static void test_payload_missing(void **state)
{
	listing l;
	svd_verdict *v;

	(void)state;
	good_item(&l);
	l.e[2] = l.e[--l.n]; /* photo.jpg gone */
	v = check(&l, NULL);
	expect_refused(v, "photo.jpg", "missing");
	svd_verdict_free(v);
}

static void test_layout(void **state)
{
	static const char notes[] = "not listed anywhere\n";
	listing l;
	svd_verdict *v;

	(void)state;
	/* a file the manifest does not list */
	good_item(&l);
	put_file(&l, "notes.txt", notes, strlen(notes), 0);
	v = check(&l, NULL);
	expect_refused(v, "notes.txt", "layout");
	svd_verdict_free(v);

	/* a link beside the payloads */
	good_item(&l);
	put(&l, "link", SVD_ENTRY_OTHER);
	v = check(&l, NULL);
	expect_refused(v, "link", "layout");
	svd_verdict_free(v);

	/* a listed payload that is a link, not a file */
	good_item(&l);
	l.e[1].type = SVD_ENTRY_OTHER;
	v = check(&l, NULL);
	expect_refused(v, "body.md", "layout");
	svd_verdict_free(v);

	/* folders other than sig/, empty or not */
	good_item(&l);
	put(&l, "extra", SVD_ENTRY_DIR);
	v = check(&l, NULL);
	expect_refused(v, "extra", "layout");
	svd_verdict_free(v);

	good_item(&l);
	put_file(&l, "extra/notes.txt", notes, strlen(notes), 0);
	v = check(&l, NULL);
	expect_refused(v, "extra/notes.txt", "layout");
	svd_verdict_free(v);

	/* sig as a file */
	unsigned_item(&l);
	l.e[3].type = SVD_ENTRY_FILE;
	put_sig(&l, kid(0), fx.sig[0], fx.sig_len[0]);
	v = check(&l, NULL);
	expect_refused(v, "sig", "layout");
	svd_verdict_free(v);

	/* a folder inside sig/ */
	good_item(&l);
	put(&l, "sig/deeper", SVD_ENTRY_DIR);
	v = check(&l, NULL);
	expect_refused(v, "sig/deeper", "layout");
	expect_sig(v, 1, "?", SVD_SIG_INVALID);
	svd_verdict_free(v);

	/* stock minisign's side file belongs under sig/ by its key id, not beside the manifest */
	good_item(&l);
	put_file(&l, "manifest.json.minisig", fx.sig[1], fx.sig_len[1], 1);
	v = check(&l, NULL);
	expect_refused(v, "manifest.json.minisig", "layout");
	svd_verdict_free(v);
}

/* Key 0's good signature filed under key 1's name. */
static void test_sig_misnamed(void **state)
{
	char path[64];
	listing l;
	svd_verdict *v;

	(void)state;
	unsigned_item(&l);
	put_sig(&l, kid(1), fx.sig[0], fx.sig_len[0]);
	v = check(&l, NULL);
	snprintf(path, sizeof(path), "sig/%s.minisig", kid(1));
	expect_refused(v, path, "signature");
	assert_int_equal(svd_verdict_sig_count(v), 1);
	expect_sig(v, 0, kid(0), SVD_SIG_INVALID);
	svd_verdict_free(v);

	/* a name that is no key id at all */
	unsigned_item(&l);
	put_file(&l, "sig/editor.minisig", fx.sig[0], fx.sig_len[0], 1);
	v = check(&l, NULL);
	expect_refused(v, "sig/editor.minisig", "signature");
	svd_verdict_free(v);
}

static void test_sig_malformed(void **state)
{
	static const char junk[] = "untrusted comment: hello\nnot a signature\n";
	char path[64];
	listing l;
	svd_verdict *v;

	(void)state;
	unsigned_item(&l);
	put_sig(&l, kid(0), junk, strlen(junk));
	v = check(&l, NULL);
	snprintf(path, sizeof(path), "sig/%s.minisig", kid(0));
	expect_refused(v, path, "signature");
	expect_sig(v, 0, "?", SVD_SIG_INVALID);
	svd_verdict_free(v);

	/* over the cap: listed without its bytes */
	unsigned_item(&l);
	put_sig(&l, kid(0), fx.sig[0], fx.sig_len[0]);
	l.e[4].data = NULL;
	l.e[4].size = SVD_SIGFILE_MAX + 1;
	v = check(&l, NULL);
	expect_refused(v, path, "signature");
	svd_verdict_free(v);
}

static void test_sig_other_bytes(void **state)
{
	char path[64];
	listing l;
	svd_verdict *v;

	(void)state;
	unsigned_item(&l);
	put_sig(&l, kid(0), fx.forged, fx.forged_len);
	v = check(&l, NULL);
	snprintf(path, sizeof(path), "sig/%s.minisig", kid(0));
	expect_refused(v, path, "signature");
	expect_sig(v, 0, kid(0), SVD_SIG_INVALID);
	svd_verdict_free(v);
}

static void test_untrusted_only(void **state)
{
	listing l;
	svd_verdict *v;
	const char *msg = NULL;

	(void)state;
	unsigned_item(&l);
	put_sig(&l, kid(2), fx.sig[2], fx.sig_len[2]);
	put_key(&l, 2);
	v = check(&l, NULL);
	expect_refused(v, "sig/", "trust");
	svd_verdict_problem(v, 0, NULL, NULL, &msg);
	assert_non_null(strstr(msg, kid(2)));
	assert_int_equal(svd_verdict_sig_count(v), 1);
	expect_sig(v, 0, kid(2), SVD_SIG_UNTRUSTED);
	/* verified with the key beside it */
	assert_non_null(svd_verdict_sig_pk(v, 0));
	assert_memory_equal(svd_verdict_sig_pk(v, 0), svd_pubkey_bytes(fx.pk[2]), 32);
	/* everything else was fine: the manifest is there for the operator to look at */
	assert_non_null(svd_verdict_manifest(v));
	svd_verdict_free(v);
}

static void test_unsigned(void **state)
{
	listing l;
	svd_verdict *v;

	(void)state;
	unsigned_item(&l);
	v = check(&l, NULL);
	expect_refused(v, "sig/", "trust");
	assert_int_equal(svd_verdict_sig_count(v), 0);
	svd_verdict_free(v);

	/* no sig folder at all */
	unsigned_item(&l);
	l.n--;
	v = check(&l, NULL);
	expect_refused(v, "sig/", "trust");
	svd_verdict_free(v);
}

/* An untrusted co-signature neither helps nor hurts. */
static void test_trusted_and_untrusted(void **state)
{
	listing l;
	svd_verdict *v;

	(void)state;
	good_item(&l);
	put_sig(&l, kid(2), fx.sig[2], fx.sig_len[2]);
	put_key(&l, 2);
	v = check(&l, svd_manifest_id(fx.m));
	expect_ok(v);
	assert_int_equal(svd_verdict_sig_count(v), 2);
	expect_sig(v, 0, kid(0), SVD_SIG_VALID);
	expect_sig(v, 1, kid(2), SVD_SIG_UNTRUSTED);
	assert_memory_equal(svd_verdict_sig_pk(v, 0), svd_pubkey_bytes(fx.pk[0]), 32);
	svd_verdict_free(v);

	/* in the store, stored before keys travelled: no key anywhere, not checked */
	good_item(&l);
	put_sig(&l, kid(2), fx.sig[2], fx.sig_len[2]);
	v = check(&l, NULL);
	expect_ok(v);
	expect_sig(v, 1, kid(2), SVD_SIG_UNCHECKED);
	assert_null(svd_verdict_sig_pk(v, 1));
	svd_verdict_free(v);

	/* two trusted editors */
	good_item(&l);
	put_sig(&l, kid(1), fx.sig[1], fx.sig_len[1]);
	v = check(&l, NULL);
	expect_ok(v);
	expect_sig(v, 1, kid(1), SVD_SIG_VALID);
	svd_verdict_free(v);
}

/* A bad signature by a trusted key is a lie, even beside a good one. */
static void test_trusted_and_invalid(void **state)
{
	char path[64];
	listing l;
	svd_verdict *v;
	char *bad;
	size_t bad_len;

	(void)state;
	bad = make_sig(&bad_len, fx.sk[1], "other", 5);
	good_item(&l);
	put_sig(&l, kid(1), bad, bad_len);
	v = check(&l, NULL);
	snprintf(path, sizeof(path), "sig/%s.minisig", kid(1));
	expect_refused(v, path, "signature");
	assert_int_equal(svd_verdict_sig_count(v), 2);
	expect_sig(v, 0, kid(0), SVD_SIG_VALID);
	expect_sig(v, 1, kid(1), SVD_SIG_INVALID);
	svd_verdict_free(v);
	free(bad);
}

/*
 * A minisign file (key or signature) whose key number is rewritten to
 * keynum: the bytes after the algorithm in line 2. A signature does not
 * sign its key number, so key 2's signature renumbered still verifies with
 * key 2's Ed25519 key under the new number: a second key with that number.
 */
static char *renumber(const char *text, size_t *len, const uint8_t keynum[8])
{
	const char *l2 = strchr(text, '\n') + 1, *end = strchr(l2, '\n');
	uint8_t raw[128];
	char b64[256], *out;
	size_t rawlen = 0;

	if (sodium_base642bin(raw, sizeof(raw), l2, (size_t)(end - l2), NULL, &rawlen, NULL,
	                      sodium_base64_VARIANT_ORIGINAL) != 0)
		fail_msg("renumber: not base64");
	memcpy(raw + 2, keynum, 8);
	sodium_bin2base64(b64, sizeof(b64), raw, rawlen, sodium_base64_VARIANT_ORIGINAL);
	if (asprintf(&out, "%.*s%s%s", (int)(l2 - text), text, b64, end) < 0)
		fail_msg("out of memory");
	*len = strlen(out);
	return out;
}

/* Key 2 made to carry key i's number: its signature file and canonical key file. */
static void impostor(size_t i, char **sig, size_t *sig_len, char **pub, size_t *pub_len)
{
	svd_pubkey *pk = NULL;
	char *raw;
	size_t raw_len;

	*sig = renumber(fx.sig[2], sig_len, svd_pubkey_id_bytes(fx.pk[i]));
	raw = renumber(fx.pubtext[2], &raw_len, svd_pubkey_id_bytes(fx.pk[i]));
	assert_int_equal(svd_pubkey_parse(&pk, raw, raw_len), 0);
	assert_string_equal(svd_pubkey_id(pk), kid(i));
	assert_int_equal(svd_pubkey_format(pub, pub_len, pk), 0);
	svd_pubkey_free(pk);
	free(raw);
}

static svd_verdict *check_keys(const listing *l, const svd_trust *registry, unsigned flags)
{
	svd_verdict *v = NULL;

	assert_int_equal(svd_item_check_keys(&v, NULL, l->e, l->n, fx.trust, registry, flags), 0);
	assert_non_null(v);
	return v;
}

/* Is file among the dropped, for this check? */
static int dropped(const svd_verdict *v, const char *file, const char *chk)
{
	size_t i;

	for (i = 0; i < svd_verdict_dropped_count(v); i++) {
		const char *f;
		svd_verdict_dropped(v, i, &f, NULL);
		if (!strcmp(f, file) && !strcmp(svd_verdict_dropped_check(v, i), chk))
			return 1;
	}
	return 0;
}

/* Trust is by the whole key: another key with a trusted key's number is a collision. */
static void test_key_collision_trusted(void **state)
{
	char *sig, *pub, spath[64], kpath[64];
	size_t sig_len, pub_len;
	listing l;
	svd_verdict *v;

	(void)state;
	impostor(1, &sig, &sig_len, &pub, &pub_len);
	snprintf(spath, sizeof(spath), "sig/%s.minisig", kid(1));
	snprintf(kpath, sizeof(kpath), "sig/%s.pub", kid(1));

	/* alone: refused, check "key" (its key file goes with it) */
	unsigned_item(&l);
	put_sig(&l, kid(1), sig, sig_len);
	put_file(&l, kpath, pub, pub_len, 1);
	v = check_keys(&l, NULL, SVD_CHECK_DROP_BAD_SIGS);
	assert_false(svd_verdict_ok(v));
	assert_int_equal(svd_verdict_problem_count(v), 2);
	{
		const char *f, *c;
		svd_verdict_problem(v, 0, &f, &c, NULL);
		assert_string_equal(f, spath);
		assert_string_equal(c, "key");
		svd_verdict_problem(v, 1, &f, &c, NULL);
		assert_string_equal(f, kpath);
		assert_string_equal(c, "signature");
	}
	expect_sig(v, 0, kid(1), SVD_SIG_INVALID);
	assert_null(svd_verdict_sig_pk(v, 0));
	svd_verdict_free(v);

	/* beside a valid signature, on entry: left out, with its key file */
	good_item(&l);
	put_sig(&l, kid(1), sig, sig_len);
	put_file(&l, kpath, pub, pub_len, 1);
	v = check_keys(&l, NULL, SVD_CHECK_DROP_BAD_SIGS);
	expect_ok(v);
	assert_int_equal(svd_verdict_dropped_count(v), 2);
	assert_true(dropped(v, spath, "key"));
	assert_true(dropped(v, kpath, "signature"));
	svd_verdict_free(v);

	/* in the store (no leniency): a failure */
	v = check_keys(&l, NULL, 0);
	assert_false(svd_verdict_ok(v));
	svd_verdict_free(v);
	free(sig);
	free(pub);
}

/* For a number nobody here trusts, the registry's key (the first seen) keeps it. */
static void test_key_collision_registry(void **state)
{
	char *sig, *pub, spath[64], kpath[64];
	size_t sig_len, pub_len;
	svd_trust *reg = NULL;
	svd_seckey *sk3 = NULL;
	svd_pubkey *pk3 = NULL;
	listing l;
	svd_verdict *v;

	(void)state;
	/* a key 3 the registry holds; key 2 renumbered as key 3 */
	assert_int_equal(svd_key_generate(&sk3, &pk3), 0);
	assert_int_equal(svd_trust_new(&reg), 0);
	assert_int_equal(svd_trust_insert(reg, pk3), 0);
	sig = renumber(fx.sig[2], &sig_len, svd_pubkey_id_bytes(pk3));
	{
		svd_pubkey *pk = NULL;
		char *raw;
		size_t raw_len;
		raw = renumber(fx.pubtext[2], &raw_len, svd_pubkey_id_bytes(pk3));
		assert_int_equal(svd_pubkey_parse(&pk, raw, raw_len), 0);
		assert_int_equal(svd_pubkey_format(&pub, &pub_len, pk), 0);
		svd_pubkey_free(pk);
		free(raw);
	}
	snprintf(spath, sizeof(spath), "sig/%s.minisig", svd_pubkey_id(pk3));
	snprintf(kpath, sizeof(kpath), "sig/%s.pub", svd_pubkey_id(pk3));

	good_item(&l);
	put_sig(&l, svd_pubkey_id(pk3), sig, sig_len);
	put_file(&l, kpath, pub, pub_len, 1);
	/* with no registry it verifies with the key beside it: untrusted, kept */
	v = check_keys(&l, NULL, SVD_CHECK_DROP_BAD_SIGS);
	expect_ok(v);
	assert_int_equal(svd_verdict_dropped_count(v), 0);
	expect_sig(v, 1, svd_pubkey_id(pk3), SVD_SIG_UNTRUSTED);
	assert_memory_equal(svd_verdict_sig_pk(v, 1), svd_pubkey_bytes(fx.pk[2]), 32);
	svd_verdict_free(v);
	/* the registry holds another key of that number: a collision, left out */
	v = check_keys(&l, reg, SVD_CHECK_DROP_BAD_SIGS);
	expect_ok(v);
	assert_true(dropped(v, spath, "key"));
	assert_true(dropped(v, kpath, "signature"));
	expect_sig(v, 1, svd_pubkey_id(pk3), SVD_SIG_INVALID);
	svd_verdict_free(v);

	/* in the store, an untrusted signature without its key that the registry's key
	 * does not verify (an older samvydav stored it unchecked): invalid, not a failure */
	{
		char *bad;
		size_t bad_len;
		svd_trust *reg2 = NULL;
		bad = make_sig(&bad_len, fx.sk[2], "other", 5);
		assert_int_equal(svd_trust_new(&reg2), 0);
		assert_int_equal(svd_trust_insert(reg2, fx.pk[2]), 0);
		good_item(&l);
		put_sig(&l, kid(2), bad, bad_len);
		v = check_keys(&l, reg2, 0);
		expect_ok(v);
		expect_sig(v, 1, kid(2), SVD_SIG_INVALID);
		svd_verdict_free(v);
		/* on entry it is left out */
		v = check_keys(&l, reg2, SVD_CHECK_DROP_BAD_SIGS);
		expect_ok(v);
		assert_int_equal(svd_verdict_dropped_count(v), 1);
		svd_verdict_free(v);
		svd_trust_free(reg2);
		free(bad);
	}

	/* a signature with no key beside it is checked with the registry's */
	good_item(&l);
	put_sig(&l, kid(2), fx.sig[2], fx.sig_len[2]);
	assert_int_equal(svd_trust_insert(reg, fx.pk[2]), 0);
	v = check_keys(&l, reg, SVD_CHECK_DROP_BAD_SIGS);
	expect_ok(v);
	assert_int_equal(svd_verdict_dropped_count(v), 0);
	expect_sig(v, 1, kid(2), SVD_SIG_UNTRUSTED);
	svd_verdict_free(v);

	svd_trust_free(reg);
	svd_seckey_free(sk3);
	svd_pubkey_free(pk3);
	free(sig);
	free(pub);
}

/* Every signature is verified: an untrusted one that does not verify is not kept. */
static void test_untrusted_not_verifying(void **state)
{
	char spath[64], kpath[64];
	char *bad;
	size_t bad_len;
	listing l;
	svd_verdict *v;

	(void)state;
	bad = make_sig(&bad_len, fx.sk[2], "other", 5);
	snprintf(spath, sizeof(spath), "sig/%s.minisig", kid(2));
	snprintf(kpath, sizeof(kpath), "sig/%s.pub", kid(2));
	good_item(&l);
	put_sig(&l, kid(2), bad, bad_len);
	put_key(&l, 2);
	v = check_keys(&l, NULL, SVD_CHECK_DROP_BAD_SIGS);
	expect_ok(v);
	assert_true(dropped(v, spath, "signature"));
	assert_true(dropped(v, kpath, "signature"));
	expect_sig(v, 1, kid(2), SVD_SIG_INVALID);
	svd_verdict_free(v);
	/* in the store: a failure, where it used to pass unchecked */
	v = check_keys(&l, NULL, 0);
	assert_false(svd_verdict_ok(v));
	svd_verdict_free(v);

	/* on entry, a signature no key here can check is left out too */
	good_item(&l);
	put_sig(&l, kid(2), fx.sig[2], fx.sig_len[2]);
	v = check_keys(&l, NULL, SVD_CHECK_DROP_BAD_SIGS);
	expect_ok(v);
	assert_true(dropped(v, spath, "signature"));
	expect_sig(v, 1, kid(2), SVD_SIG_INVALID);
	svd_verdict_free(v);
	free(bad);
}

/* Key files: canonical, named after their key, beside their signature. */
static void test_key_files(void **state)
{
	char kpath[64], other[64], *text;
	listing l;
	svd_verdict *v;

	(void)state;
	snprintf(kpath, sizeof(kpath), "sig/%s.pub", kid(0));
	/* not canonical (another comment): left out; the signature is checked with the trusted key */
	good_item(&l);
	assert_true(
	    asprintf(&text, "untrusted comment: my key\n%s", strchr(fx.pubtext[0], '\n') + 1) > 0);
	put_file(&l, kpath, text, strlen(text), 1);
	v = check_keys(&l, NULL, 0);
	expect_refused(v, kpath, "signature");
	expect_sig(v, 0, kid(0), SVD_SIG_VALID);
	svd_verdict_free(v);
	v = check_keys(&l, NULL, SVD_CHECK_DROP_BAD_SIGS);
	expect_ok(v);
	assert_true(dropped(v, kpath, "signature"));
	svd_verdict_free(v);
	free(text);

	/* named after another key */
	good_item(&l);
	snprintf(other, sizeof(other), "sig/%s.pub", kid(1));
	put_file(&l, other, fx.pubtext[0], fx.pubtext_len[0], 1);
	v = check_keys(&l, NULL, 0);
	expect_refused(v, other, "signature");
	svd_verdict_free(v);

	/* with no signature beside it */
	good_item(&l);
	put_key(&l, 1);
	v = check_keys(&l, NULL, 0);
	snprintf(other, sizeof(other), "sig/%s.pub", kid(1));
	expect_refused(v, other, "signature");
	svd_verdict_free(v);

	/* over the cap of a key file */
	good_item(&l);
	put_file(&l, kpath, fx.pubtext[0], fx.pubtext_len[0], 0);
	v = check_keys(&l, NULL, 0);
	expect_refused(v, kpath, "signature");
	svd_verdict_free(v);

	/* and the good one: the trusted key beside its signature */
	good_item(&l);
	put_key(&l, 0);
	v = check_keys(&l, NULL, 0);
	expect_ok(v);
	assert_int_equal(svd_verdict_sig_count(v), 1);
	expect_sig(v, 0, kid(0), SVD_SIG_VALID);
	assert_non_null(svd_verdict_sig_key(v, 0));
	assert_string_equal(svd_pubkey_id(svd_verdict_sig_key(v, 0)), kid(0));
	svd_verdict_free(v);
}

static void test_summary(void **state)
{
	listing l;
	svd_verdict *v;
	char *s, expect[256];

	(void)state;
	good_item(&l);
	v = check(&l, NULL);
	s = svd_verdict_summary(v);
	assert_non_null(s);
	snprintf(expect, sizeof(expect), "%s: ok", svd_manifest_id(fx.m));
	assert_string_equal(s, expect);
	free(s);
	svd_verdict_free(v);

	good_item(&l);
	l.e[1].sha256[0] ^= 0x80;
	v = check(&l, NULL);
	s = svd_verdict_summary(v);
	assert_non_null(s);
	snprintf(expect, sizeof(expect), "%s: body.md: sha256: ", svd_manifest_id(fx.m));
	if (strncmp(s, expect, strlen(expect)))
		fail_msg("summary \"%s\" does not start \"%s\"", s, expect);
	assert_null(strstr(s, "more"));
	free(s);
	svd_verdict_free(v);

	/* more than one problem: the first, and how many more */
	good_item(&l);
	l.e[1].sha256[0] ^= 0x80;
	l.e[2].size++;
	v = check(&l, NULL);
	assert_int_equal(svd_verdict_problem_count(v), 2);
	s = svd_verdict_summary(v);
	assert_non_null(s);
	assert_non_null(strstr(s, "body.md: sha256"));
	assert_non_null(strstr(s, "and 1 more"));
	free(s);
	svd_verdict_free(v);
}

/* A verdict made by a caller for an item refused before the gate. */
static void test_verdict_new(void **state)
{
	svd_verdict *v = NULL;
	const char *file, *chk, *msg;
	char *s;

	(void)state;
	assert_int_equal(svd_verdict_new(&v), 0);
	assert_non_null(v);
	assert_false(svd_verdict_ok(v)); /* no manifest: never ok */
	assert_int_equal(svd_verdict_problem_count(v), 0);
	assert_int_equal(svd_verdict_sig_count(v), 0);
	assert_null(svd_verdict_id(v));
	assert_null(svd_verdict_source(v));
	assert_null(svd_verdict_manifest(v));

	assert_int_equal(svd_verdict_set_source(v, "DIR/first"), 0);
	assert_int_equal(svd_verdict_set_source(v, "items.jsonl:12"), 0);
	assert_string_equal(svd_verdict_source(v), "items.jsonl:12");
	assert_int_equal(
	    svd_verdict_add_problem(v, "meta.json", "metadata", "unknown field \"%s\"", "colour"),
	    0);
	assert_int_equal(svd_verdict_problem_count(v), 1);
	svd_verdict_problem(v, 0, &file, &chk, &msg);
	assert_string_equal(file, "meta.json");
	assert_string_equal(chk, "metadata");
	assert_string_equal(msg, "unknown field \"colour\"");
	assert_false(svd_verdict_ok(v));

	/* with no id, the summary names the source */
	s = svd_verdict_summary(v);
	assert_non_null(s);
	assert_string_equal(s, "items.jsonl:12: meta.json: metadata: unknown field \"colour\"");
	free(s);
	svd_verdict_free(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ok),
	    cmocka_unit_test(test_id_mismatch),
	    cmocka_unit_test(test_manifest_absent),
	    cmocka_unit_test(test_manifest_over_cap),
	    cmocka_unit_test(test_not_canonical),
	    cmocka_unit_test(test_payload_size),
	    cmocka_unit_test(test_payload_sha256),
	    cmocka_unit_test(test_payload_missing),
	    cmocka_unit_test(test_layout),
	    cmocka_unit_test(test_sig_misnamed),
	    cmocka_unit_test(test_sig_malformed),
	    cmocka_unit_test(test_sig_other_bytes),
	    cmocka_unit_test(test_untrusted_only),
	    cmocka_unit_test(test_unsigned),
	    cmocka_unit_test(test_trusted_and_untrusted),
	    cmocka_unit_test(test_trusted_and_invalid),
	    cmocka_unit_test(test_key_collision_trusted),
	    cmocka_unit_test(test_key_collision_registry),
	    cmocka_unit_test(test_untrusted_not_verifying),
	    cmocka_unit_test(test_key_files),
	    cmocka_unit_test(test_summary),
	    cmocka_unit_test(test_verdict_new),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
