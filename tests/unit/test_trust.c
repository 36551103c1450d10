/*
 * test_trust.c: a trust list's roles and thresholds (trust.c; SPEC.md 7,
 * 7.3): the trust policy file and every way it can be wrong, roots loaded
 * beside editors, a key that is both, trust by the whole key, and a key
 * number held with two keys refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>
#include <sodium.h>

#include "helpers.h"
#include "samvydav/samvydav.h"

/* A random key; with num, its key number is those 8 bytes. */
static svd_pubkey *make_key(const uint8_t *num)
{
	uint8_t raw[42], sk[64];
	char b64[64], text[160];
	svd_pubkey *pk = NULL;

	raw[0] = 'E';
	raw[1] = 'd';
	if (num)
		memcpy(raw + 2, num, 8);
	else
		randombytes_buf(raw + 2, 8);
	crypto_sign_keypair(raw + 10, sk);
	sodium_bin2base64(b64, sizeof(b64), raw, 42, sodium_base64_VARIANT_ORIGINAL);
	snprintf(text, sizeof(text), "untrusted comment: test\n%s\n", b64);
	assert_int_equal(svd_pubkey_parse(&pk, text, strlen(text)), 0);
	return pk;
}

static int parse(svd_trust *t, const char *text)
{
	return svd_trust_policy_parse(t, text, strlen(text), "trust-policy");
}

static void test_policy(void **state)
{
	static const char *bad[] = {
	    "",                                             /* no first line */
	    "samvydav trust-policy 2\n",                    /* another version */
	    "samvydav trust-policy 1\nroots 0\n",           /* below 1 */
	    "samvydav trust-policy 1\nroots 256\n",         /* above 255 */
	    "samvydav trust-policy 1\nroots 02\n",          /* not plain digits */
	    "samvydav trust-policy 1\nroots -1\n",          /* a sign */
	    "samvydav trust-policy 1\nroots two\n",         /* a word */
	    "samvydav trust-policy 1\nroots 2 3\n",         /* one value too many */
	    "samvydav trust-policy 1\nroots\n",             /* no value */
	    "samvydav trust-policy 1\nkind poem 2\n",       /* no such kind */
	    "samvydav trust-policy 1\nkind revocation 2\n", /* statements have no threshold */
	    "samvydav trust-policy 1\nkind testimony\n",    /* no value */
	    "samvydav trust-policy 1\nthreshold 2\n",       /* no such line */
	    "samvydav trust-policy 1\nroots 2\r3\n",        /* a CR inside a line */
	};
	svd_trust *t = NULL;
	char *text = NULL;
	size_t i, len;

	(void)state;
	assert_int_equal(svd_trust_new(&t), 0);
	assert_int_equal(svd_trust_root_threshold(t), 1);
	assert_int_equal(svd_trust_kind_threshold(t, SVD_KIND_TESTIMONY), 1);
	assert_int_equal(parse(t, "samvydav trust-policy 1\r\n# note\r\n\r\nroots 2\r\n"
	                          "kind testimony 3\r\nkind article 1"),
	                 0);
	assert_int_equal(svd_trust_root_threshold(t), 2);
	assert_int_equal(svd_trust_kind_threshold(t, SVD_KIND_TESTIMONY), 3);
	assert_int_equal(svd_trust_kind_threshold(t, SVD_KIND_ARTICLE), 1);
	assert_int_equal(svd_trust_kind_threshold(t, SVD_KIND_CORRECTION), 1);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (parse(t, bad[i]) != SVD_ECORRUPT)
			fail_msg("accepted: %s", bad[i]);
		/* a refused file changes nothing */
		assert_int_equal(svd_trust_root_threshold(t), 2);
		assert_int_equal(svd_trust_kind_threshold(t, SVD_KIND_TESTIMONY), 3);
	}
	assert_int_equal(svd_trust_policy_parse(t, "samvydav trust-policy 1\nroots\0 2\n", 34, "x"),
	                 SVD_ECORRUPT);
	/* written and read back */
	assert_int_equal(svd_trust_policy_format(&text, &len, t), 0);
	svd_trust_free(t);
	assert_int_equal(svd_trust_new(&t), 0);
	assert_int_equal(svd_trust_policy_parse(t, text, len, "again"), 0);
	assert_int_equal(svd_trust_root_threshold(t), 2);
	assert_int_equal(svd_trust_kind_threshold(t, SVD_KIND_TESTIMONY), 3);
	assert_int_equal(svd_trust_set_threshold(t, -1, 0), SVD_EINVALID);
	assert_int_equal(svd_trust_set_threshold(t, -1, 256), SVD_EINVALID);
	free(text);
	svd_trust_free(t);
}

static void test_roles(void **state)
{
	uint8_t num[8] = {1, 2, 3, 4, 5, 6, 7, 8};
	svd_pubkey *ed = make_key(NULL), *root = make_key(num), *twin = make_key(num);
	svd_trust *t = NULL;
	unsigned role = 0;

	(void)state;
	assert_int_equal(svd_trust_new(&t), 0);
	assert_int_equal(svd_trust_insert_role(t, ed, SVD_TRUST_EDITOR), 0);
	assert_int_equal(svd_trust_insert_role(t, root, SVD_TRUST_ROOT), 0);
	assert_int_equal(svd_trust_insert_role(t, ed, SVD_TRUST_ROOT), 0); /* both */
	assert_int_equal(svd_trust_count(t), 2);
	assert_non_null(svd_trust_match(t, svd_pubkey_bytes(ed), svd_pubkey_id(ed), &role));
	assert_int_equal(role, SVD_TRUST_EDITOR | SVD_TRUST_ROOT);
	assert_non_null(svd_trust_match(t, svd_pubkey_bytes(root), svd_pubkey_id(root), &role));
	assert_int_equal(role, SVD_TRUST_ROOT);
	/* one key number, another key: never trusted, and never added */
	assert_string_equal(svd_pubkey_id(twin), svd_pubkey_id(root));
	assert_null(svd_trust_match(t, svd_pubkey_bytes(twin), svd_pubkey_id(twin), &role));
	assert_int_equal(role, 0);
	assert_int_equal(svd_trust_insert_role(t, twin, SVD_TRUST_EDITOR), SVD_ECORRUPT);
	assert_int_equal(svd_trust_count(t), 2);
	svd_trust_free(t);
	svd_pubkey_free(ed);
	svd_pubkey_free(root);
	svd_pubkey_free(twin);
}

/* An archive's roots and policy: added, read back by every open, removed. */
static void test_archive_roots(void **state)
{
	svd_pubkey *root = make_key(NULL);
	svd_archive *a = NULL, *b = NULL;
	char dir[4096], p[4096];
	struct stat st;
	FILE *f;

	(void)state;
	th_join(dir, sizeof(dir), th_tmp, "roots");
	assert_int_equal(svd_archive_init(&a, dir), 0);
	assert_int_equal(svd_archive_trust_add_role(a, root, SVD_TRUST_ROOT), 0);
	assert_int_equal(svd_archive_trust_add_role(a, root, SVD_TRUST_ROOT), SVD_EEXISTS);
	assert_int_equal(svd_archive_trust_threshold(a, -1, 2), 0);
	assert_int_equal(svd_archive_trust_threshold(a, SVD_KIND_TESTIMONY, 2), 0);
	assert_int_equal(svd_archive_open(&b, dir), 0);
	assert_int_equal(svd_trust_role(svd_archive_trust(b), 0), SVD_TRUST_ROOT);
	assert_int_equal(svd_trust_root_threshold(svd_archive_trust(b)), 2);
	assert_int_equal(svd_trust_kind_threshold(svd_archive_trust(b), SVD_KIND_TESTIMONY), 2);
	svd_archive_free(b);
	/* removed as a root: its file goes */
	assert_int_equal(svd_archive_trust_remove(a, svd_pubkey_id(root)), 0);
	th_path(p, sizeof(p), "%s/roots/%s.pub", dir, svd_pubkey_id(root));
	assert_int_equal(stat(p, &st), -1);
	/* a damaged policy keeps the archive shut, naming the file and line */
	th_path(p, sizeof(p), "%s/trust-policy", dir);
	f = fopen(p, "w");
	assert_non_null(f);
	fputs("samvydav trust-policy 1\nroots many\n", f);
	fclose(f);
	assert_int_equal(svd_archive_open(&b, dir), SVD_ECORRUPT);
	assert_non_null(strstr(svd_error_last(), "trust-policy:2"));
	svd_archive_free(a);
	svd_pubkey_free(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_policy),
	    cmocka_unit_test(test_roles),
	    cmocka_unit_test(test_archive_roots),
	};
	return cmocka_run_group_tests(tests, th_group_setup, th_group_teardown);
}
