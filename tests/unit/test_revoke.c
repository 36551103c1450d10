/*
 * test_revoke.c: revocation certificates (NAME.revoke): made, written,
 * read back, and one must-fail case for each way the file can lie.
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

#include "helpers.h"
#include "samvydav/samvydav.h"

static svd_seckey *sk_a, *sk_b;

static int setup(void **state)
{
	svd_pubkey *pk = NULL;

	if (th_group_setup(state) != 0)
		return -1;
	if (svd_key_generate(&sk_a, &pk) != 0)
		return -1;
	svd_pubkey_free(pk);
	if (svd_key_generate(&sk_b, &pk) != 0)
		return -1;
	svd_pubkey_free(pk);
	return 0;
}

static int teardown(void **state)
{
	svd_seckey_free(sk_a);
	svd_seckey_free(sk_b);
	return th_group_teardown(state);
}

/* The text of sk's revocation certificate (the caller's, free()). */
static char *good_text(const svd_seckey *sk, svd_outside outside)
{
	svd_revoke_file *r = NULL;
	char *text = NULL;
	size_t len;

	if (svd_revoke_file_make(&r, sk, outside, "2026-12-03T10:00:00Z") != 0)
		fail_msg("make: %s", svd_error_last());
	assert_int_equal(svd_revoke_file_format(&text, &len, r), 0);
	assert_int_equal(strlen(text), len);
	svd_revoke_file_free(r);
	return text;
}

/* text with the first `from` replaced by `to` (the caller's). */
static char *replaced(const char *text, const char *from, const char *to)
{
	const char *at = strstr(text, from);
	size_t n = strlen(text) - strlen(from) + strlen(to) + 1;
	char *out = malloc(n);

	assert_non_null(at);
	assert_non_null(out);
	snprintf(out, n, "%.*s%s%s", (int)(at - text), text, to, at + strlen(from));
	return out;
}

/* The line of text that starts with prefix, with its "\n" (the caller's). */
static char *line_of(const char *text, const char *prefix)
{
	const char *at = strstr(text, prefix), *end;
	char *out;

	assert_non_null(at);
	end = strchr(at, '\n');
	assert_non_null(end);
	out = malloc((size_t)(end - at) + 2);
	assert_non_null(out);
	memcpy(out, at, (size_t)(end - at) + 1);
	out[end - at + 1] = '\0';
	return out;
}

static void refuse(const char *text, size_t len, int code, const char *needle)
{
	svd_revoke_file *r = (svd_revoke_file *)1;
	int rc = svd_revoke_file_parse(&r, text, len);

	if (rc != code)
		fail_msg("parse gave %d, not %d (%s), for %s", rc, code, svd_error_last(), needle);
	assert_null(r);
	th_expect_msg(needle);
}

/* refuse() of text, freed. */
static void refuse_text(char *text, int code, const char *needle)
{
	refuse(text, strlen(text), code, needle);
	free(text);
}

static void test_round_trip(void **state)
{
	svd_revoke_file *r = NULL;
	svd_pubkey *pk = NULL;
	char *text = good_text(sk_a, SVD_OUTSIDE_HIDE), *again = NULL;
	const svd_manifest *m;
	size_t len;

	(void)state;
	assert_non_null(strstr(text, "# samvydav revocation certificate for key "));
	assert_non_null(strstr(text, "samvydav revoke --publish"));
	if (svd_revoke_file_parse(&r, text, strlen(text)) != 0)
		fail_msg("parse: %s", svd_error_last());
	m = svd_revoke_file_manifest(r);
	assert_int_equal(svd_manifest_kind(m), SVD_KIND_REVOCATION);
	assert_int_equal(svd_manifest_format(m), 2);
	assert_int_equal(svd_manifest_outside(m), SVD_OUTSIDE_HIDE);
	{
		char title[64];
		snprintf(title, sizeof(title), "Revocation of key %s", svd_seckey_id(sk_a));
		assert_string_equal(svd_manifest_get(m, "title"), title);
	}
	assert_string_equal(svd_pubkey_id(svd_revoke_file_pubkey(r)), svd_seckey_id(sk_a));
	assert_string_equal(svd_sig_keyid(svd_revoke_file_sig(r)), svd_seckey_id(sk_a));
	assert_int_equal(svd_seckey_pubkey(&pk, sk_a), 0);
	assert_memory_equal(svd_pubkey_bytes(svd_manifest_key(m)), svd_pubkey_bytes(pk), 32);
	/* what parses formats to the same bytes */
	assert_int_equal(svd_revoke_file_format(&again, &len, r), 0);
	assert_string_equal(again, text);
	svd_revoke_file_free(r);
	free(again);
	free(text);
	svd_pubkey_free(pk);

	text = good_text(sk_a, SVD_OUTSIDE_KEEP);
	assert_int_equal(svd_revoke_file_parse(&r, text, strlen(text)), 0);
	assert_int_equal(svd_manifest_outside(svd_revoke_file_manifest(r)), SVD_OUTSIDE_KEEP);
	assert_non_null(strstr(text, "stays\n# shown."));
	svd_revoke_file_free(r);
	free(text);
}

/* Typed back from paper on another system: CR LF, no final line ending. */
static void test_line_endings(void **state)
{
	char *text = good_text(sk_a, SVD_OUTSIDE_HIDE), *crlf = malloc(2 * strlen(text) + 1);
	svd_revoke_file *r = NULL;
	size_t i, o = 0;

	(void)state;
	assert_non_null(crlf);
	for (i = 0; text[i]; i++) {
		if (text[i] == '\n')
			crlf[o++] = '\r';
		crlf[o++] = text[i];
	}
	crlf[o] = '\0';
	assert_int_equal(svd_revoke_file_parse(&r, crlf, o), 0);
	svd_revoke_file_free(r);
	assert_int_equal(svd_revoke_file_parse(&r, text, strlen(text) - 1), 0);
	svd_revoke_file_free(r);
	free(crlf);
	free(text);
}

static void test_make_refuses(void **state)
{
	svd_revoke_file *r = (svd_revoke_file *)1;

	(void)state;
	assert_int_equal(svd_revoke_file_make(&r, sk_a, SVD_OUTSIDE_NONE, NULL), SVD_EINVALID);
	assert_null(r);
	th_expect_msg("\"keep\" or \"hide\"");
	assert_int_equal(svd_revoke_file_make(&r, sk_a, SVD_OUTSIDE_HIDE, "2026-12-03"),
	                 SVD_EINVALID);
	assert_null(r);
	th_expect_msg("created");
	assert_int_equal(svd_revoke_file_make(&r, sk_a, SVD_OUTSIDE_HIDE, NULL), 0);
	assert_non_null(r);
	svd_revoke_file_free(r);
	svd_revoke_file_free(NULL);
	assert_null(svd_revoke_file_manifest(NULL));
	assert_null(svd_revoke_file_sig(NULL));
	assert_null(svd_revoke_file_pubkey(NULL));
}

static void test_write_and_read(void **state)
{
	svd_revoke_file *r = NULL, *back = NULL;
	char path[512];
	struct stat st;

	(void)state;
	th_join(path, sizeof(path), th_tmp, "a.revoke");
	assert_int_equal(svd_revoke_file_make(&r, sk_a, SVD_OUTSIDE_HIDE, NULL), 0);
	assert_int_equal(svd_revoke_file_write(r, path), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(svd_revoke_file_write(r, path), SVD_EEXISTS);
	if (svd_revoke_file_read(&back, path) != 0)
		fail_msg("read: %s", svd_error_last());
	assert_string_equal(svd_manifest_id(svd_revoke_file_manifest(back)),
	                    svd_manifest_id(svd_revoke_file_manifest(r)));
	svd_revoke_file_free(back);
	svd_revoke_file_free(r);
	th_join(path, sizeof(path), th_tmp, "none.revoke");
	assert_int_equal(svd_revoke_file_read(&back, path), SVD_ENOTFOUND);
	assert_null(back);
}

static void test_refuses_size_and_bytes(void **state)
{
	char *text = good_text(sk_a, SVD_OUTSIDE_HIDE), *big;
	size_t n = strlen(text);

	(void)state;
	big = malloc(SVD_REVOKE_FILE_MAX + 2);
	assert_non_null(big);
	memset(big, '#', SVD_REVOKE_FILE_MAX + 1);
	big[SVD_REVOKE_FILE_MAX + 1] = '\0';
	refuse(big, SVD_REVOKE_FILE_MAX + 1, SVD_ETOOBIG, "over the limit of 32768 bytes");
	free(big);
	refuse("", 0, SVD_ECORRUPT, "line 1 is not");
	refuse("\n", 1, SVD_ECORRUPT, "line 1 is not");
	/* a NUL, a stray carriage return */
	text[10] = '\0';
	refuse(text, n, SVD_ECORRUPT, "NUL byte");
	text[10] = '\r';
	refuse(text, n, SVD_ECORRUPT, "carriage return");
	free(text);
}

static void test_refuses_first_line(void **state)
{
	char *text = good_text(sk_a, SVD_OUTSIDE_HIDE);
	const char *id = svd_seckey_id(sk_a);
	char lower[17];
	size_t i;

	(void)state;
	refuse_text(replaced(text, "# samvydav revocation certificate", "# samvydav revocation"),
	            SVD_ECORRUPT, "not a samvydav revocation certificate");
	refuse_text(replaced(text, "# samvydav", "#samvydav"), SVD_ECORRUPT, "line 1 is not");
	refuse_text(replaced(text, "# samvydav", "\n# samvydav"), SVD_ECORRUPT, "line 1 is not");
	for (i = 0; i < 16; i++)
		lower[i] = (char)(id[i] >= 'A' ? id[i] - 'A' + 'a' : id[i]);
	lower[16] = '\0';
	{
		char from[80], to[80];
		snprintf(from, sizeof(from), "certificate for key %s\n", id);
		snprintf(to, sizeof(to), "certificate for key %s\n", lower);
		if (strcmp(lower, id) != 0)
			refuse_text(replaced(text, from, to), SVD_ECORRUPT,
			            "16 uppercase hex digits");
		snprintf(to, sizeof(to), "certificate for key %s \n", id);
		refuse_text(replaced(text, from, to), SVD_ECORRUPT, "line 1 is not");
	}
	free(text);
}

static void test_refuses_notes(void **state)
{
	char *text = good_text(sk_a, SVD_OUTSIDE_HIDE), *long_note, *many;
	size_t i, o;

	(void)state;
	refuse_text(replaced(text, "#\n# If the key", "#\n\n# If the key"), SVD_ECORRUPT,
	            "lines after the notes, not 10");
	refuse_text(replaced(text, "# If the key", "# If\tthe key"), SVD_ECORRUPT,
	            "line 7: a note that is not UTF-8 text");
	refuse_text(replaced(text, "# If the key", "# If \xC3 key"), SVD_ECORRUPT,
	            "a note that is not UTF-8 text");
	refuse_text(replaced(text, "# If the key", "# If \xC2\x9B key"), SVD_ECORRUPT,
	            "a note that is not UTF-8 text");
	long_note = malloc(1100);
	assert_non_null(long_note);
	memset(long_note, 'x', 1099);
	memcpy(long_note, "# ", 2);
	memcpy(long_note + 1090, "\n# If the", 10);
	refuse_text(replaced(text, "# If the", long_note), SVD_ETOOBIG, "over the limit of 1024");
	free(long_note);
	/* 32 notes in all at most */
	many = malloc(40 * 3 + 1);
	assert_non_null(many);
	for (i = 0, o = 0; i < 20; i++, o += 2)
		memcpy(many + o, "#\n", 2);
	memcpy(many + o, "# If the", 9);
	refuse_text(replaced(text, "# If the", many), SVD_ECORRUPT, "more than");
	free(many);
	free(text);
}

static void test_refuses_parts(void **state)
{
	char *text = good_text(sk_a, SVD_OUTSIDE_HIDE), *b_text = good_text(sk_b, SVD_OUTSIDE_HIDE);
	char label[80], to[80], *sig_a, *sig_b, *pub_b, *x;
	const char *id = svd_seckey_id(sk_a);

	(void)state;
	/* the labels */
	refuse_text(replaced(text, "#\nmanifest.json\n", "#\nmanifest\n"), SVD_ECORRUPT,
	            "is not \"manifest.json\"");
	snprintf(label, sizeof(label), "sig/%s.minisig\n", id);
	snprintf(to, sizeof(to), "sig/%s.minisig\n", svd_seckey_id(sk_b));
	refuse_text(replaced(text, label, to), SVD_ECORRUPT, "is not \"sig/");
	refuse_text(replaced(text, label, "manifest.json.minisig\n"), SVD_ECORRUPT,
	            "is not \"sig/");
	snprintf(label, sizeof(label), "\n%s.pub\n", id);
	snprintf(to, sizeof(to), "\nsig/%s.pub\n", id);
	refuse_text(replaced(text, label, to), SVD_ECORRUPT, ".pub\"");
	/* a line too few, a line too many */
	x = line_of(text, "untrusted comment: minisign public key");
	refuse_text(replaced(text, x, ""), SVD_ECORRUPT, "lines after the notes, not 10");
	free(x);
	x = malloc(strlen(text) + 8);
	assert_non_null(x);
	sprintf(x, "%sextra\n", text);
	refuse_text(x, SVD_ECORRUPT, "lines after the notes, not 10");
	/* the manifest: not canonical, not a revocation, changed */
	refuse_text(replaced(text, "{\"created\"", "{ \"created\""), SVD_ECORRUPT,
	            "manifest.json: not canonical JSON");
	refuse_text(replaced(text, "\"outside\":\"hide\"", "\"outside\":\"gone\""), SVD_ECORRUPT,
	            "outside: not \"keep\"");
	refuse_text(replaced(text, "\"outside\":\"hide\"", "\"outside\":\"keep\""), SVD_EBADSIG,
	            "does not verify");
	refuse_text(replaced(text, "\"lang\":\"en\"", "\"lang\":\"uk\""), SVD_EBADSIG,
	            "does not verify");
	/* the signature: damaged, its trusted comment changed, another key's */
	refuse_text(
	    replaced(text, "\ntrusted comment: timestamp:", "\ntrusted comment: timestamp:1"),
	    SVD_EBADSIG, "does not verify");
	refuse_text(replaced(text, "untrusted comment: signature", "untrusted: signature"),
	            SVD_ECORRUPT, "lines 21-24");
	sig_a = line_of(text, "untrusted comment: signature");
	{
		/* line 2 of the signature, damaged */
		char *l2 = line_of(strstr(text, sig_a) + strlen(sig_a), "RU");
		char *bad = strdup(l2);
		assert_non_null(bad);
		bad[20] = bad[20] == 'A' ? 'B' : 'A';
		x = replaced(text, l2, bad);
		refuse_text(x, SVD_EBADSIG, "does not verify");
		bad[2] = '*';
		refuse_text(replaced(text, l2, bad), SVD_ECORRUPT, "lines 21-24");
		free(bad);
		free(l2);
	}
	/* B's signature and key lines, in A's file */
	{
		const char *s = strstr(b_text, "sig/"), *e = strstr(s, "\ntrusted comment: ") + 1;
		const char *sa = strstr(text, "sig/"), *ea = strstr(sa, "\ntrusted comment: ") + 1;
		size_t n = strlen(text) + 200;
		char *mix = malloc(n);
		const char *nl_b = strchr(s, '\n') + 1, *nl_a = strchr(sa, '\n') + 1;

		assert_non_null(mix);
		/* A's label, B's first two signature lines */
		snprintf(mix, n, "%.*s%.*s%s", (int)(nl_a - text), text, (int)(e - nl_b), nl_b, ea);
		refuse_text(mix, SVD_ECORRUPT, "the signature is by key");
	}
	pub_b = line_of(b_text, "untrusted comment: minisign public key");
	{
		const char *kb = strstr(b_text, pub_b) + strlen(pub_b);
		const char *ka = strstr(text, "untrusted comment: minisign public key");
		size_t n = strlen(text) + 200;
		char *mix = malloc(n);

		assert_non_null(mix);
		snprintf(mix, n, "%.*s%s%s", (int)(ka - text), text, pub_b, kb);
		refuse_text(mix, SVD_ECORRUPT, "the public key is key");
	}
	sig_b = line_of(b_text, "untrusted comment: signature");
	free(sig_a);
	free(sig_b);
	free(pub_b);
	free(b_text);
	free(text);
}

/* A revocation of key B, signed by A, in a file of A's: a certificate revokes its own key. */
static void test_refuses_other_keys_revocation(void **state)
{
	svd_manifest *m = NULL;
	svd_pubkey *pb = NULL, *pa = NULL;
	svd_sig *sig = NULL;
	char *sigtext = NULL, *pubtext = NULL, text[8192];
	const char *bytes;
	size_t len, slen, plen;

	(void)state;
	assert_int_equal(svd_seckey_pubkey(&pb, sk_b), 0);
	assert_int_equal(svd_seckey_pubkey(&pa, sk_a), 0);
	assert_int_equal(svd_manifest_new(&m), 0);
	assert_int_equal(svd_manifest_set_kind(m, SVD_KIND_REVOCATION), 0);
	assert_int_equal(svd_manifest_set(m, "title", "Revocation"), 0);
	assert_int_equal(svd_manifest_set(m, "lang", "en"), 0);
	assert_int_equal(svd_manifest_set(m, "created", "2026-12-03T10:00:00Z"), 0);
	assert_int_equal(svd_manifest_set_key(m, pb), 0);
	assert_int_equal(svd_manifest_set_outside(m, SVD_OUTSIDE_HIDE), 0);
	assert_int_equal(svd_manifest_serialize(m), 0);
	bytes = svd_manifest_bytes(m, &len);
	assert_int_equal(svd_sig_create(&sig, sk_a, bytes, len, "x", NULL), 0);
	assert_int_equal(svd_sig_format(&sigtext, &slen, sig), 0);
	assert_int_equal(svd_pubkey_format(&pubtext, &plen, pa), 0);
	snprintf(text, sizeof(text),
	         "# samvydav revocation certificate for key %s\nmanifest.json\n%s\nsig/%s.minisig\n"
	         "%s%s.pub\n%s",
	         svd_seckey_id(sk_a), bytes, svd_seckey_id(sk_a), sigtext, svd_seckey_id(sk_a),
	         pubtext);
	refuse(text, strlen(text), SVD_ECORRUPT, "the revocation is of key");
	/* and a certificate, or any statement but a revocation, is no revocation */
	svd_manifest_free(m);
	assert_int_equal(svd_manifest_new(&m), 0);
	assert_int_equal(svd_manifest_set_kind(m, SVD_KIND_CERTIFICATE), 0);
	assert_int_equal(svd_manifest_set(m, "title", "Certificate"), 0);
	assert_int_equal(svd_manifest_set(m, "lang", "en"), 0);
	assert_int_equal(svd_manifest_set(m, "created", "2026-12-03T10:00:00Z"), 0);
	assert_int_equal(svd_manifest_set_key(m, pa), 0);
	assert_int_equal(svd_manifest_serialize(m), 0);
	bytes = svd_manifest_bytes(m, &len);
	svd_sig_free(sig);
	free(sigtext);
	assert_int_equal(svd_sig_create(&sig, sk_a, bytes, len, "x", NULL), 0);
	assert_int_equal(svd_sig_format(&sigtext, &slen, sig), 0);
	snprintf(text, sizeof(text),
	         "# samvydav revocation certificate for key %s\nmanifest.json\n%s\nsig/%s.minisig\n"
	         "%s%s.pub\n%s",
	         svd_seckey_id(sk_a), bytes, svd_seckey_id(sk_a), sigtext, svd_seckey_id(sk_a),
	         pubtext);
	refuse(text, strlen(text), SVD_ECORRUPT, "kind is certificate, not revocation");
	svd_manifest_free(m);
	svd_sig_free(sig);
	svd_pubkey_free(pa);
	svd_pubkey_free(pb);
	free(sigtext);
	free(pubtext);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_round_trip),
	    cmocka_unit_test(test_line_endings),
	    cmocka_unit_test(test_make_refuses),
	    cmocka_unit_test(test_write_and_read),
	    cmocka_unit_test(test_refuses_size_and_bytes),
	    cmocka_unit_test(test_refuses_first_line),
	    cmocka_unit_test(test_refuses_notes),
	    cmocka_unit_test(test_refuses_parts),
	    cmocka_unit_test(test_refuses_other_keys_revocation),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
