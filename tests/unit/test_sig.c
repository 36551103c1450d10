/*
 * test_sig.c: minisign signatures. Stock minisign's signatures verify here
 * and ours verify with stock `minisign -V`; every way a signature file or a
 * signed message can lie is refused with the right code.
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
#include "samvydav/key.h"
#include "samvydav/sig.h"
#include "sig_internal.h"
#include "util.h"

#define PLAIN_KEYID      "A0B4236BD2096A29"
#define FIXTURE_TRUSTED  "samvydav test fixture: message.txt signed by plain.key"
#define SIG_BLOB_LEN     74
#define TRUSTED_TEXT_MAX 8173 /* what minisign reads: 8192 - "trusted comment: " - "\n" - NUL */

static svd_pubkey *fixture_pubkey(const char *name)
{
	char path[PATH_MAX];
	svd_pubkey *pk = NULL;

	th_fixture_path(path, sizeof(path), name);
	if (svd_pubkey_read(&pk, path) < 0)
		fail_msg("%s", svd_error_last());
	return pk;
}

static svd_seckey *fixture_seckey(const char *name)
{
	char path[PATH_MAX];
	svd_seckey *sk = NULL;

	th_fixture_path(path, sizeof(path), name);
	if (svd_seckey_read(&sk, path, NULL, NULL) < 0)
		fail_msg("%s", svd_error_last());
	return sk;
}

/* A copy of text with line n (from 1) replaced; the caller frees it. */
static char *edit_line(const char *text, int n, const char *line)
{
	const char *start = text, *end;
	char *out;
	int i;

	for (i = 1; i < n; i++)
		start = strchr(start, '\n') + 1;
	end = strchr(start, '\n');
	out = malloc(strlen(text) + strlen(line) + 1);
	assert_non_null(out);
	sprintf(out, "%.*s%s%s", (int)(start - text), text, line, end ? end : "");
	return out;
}

/* Line n (from 1) of text, without its ending; the caller frees it. */
static char *get_line(const char *text, int n)
{
	const char *start = text;
	int i;

	for (i = 1; i < n; i++)
		start = strchr(start, '\n') + 1;
	return strndup(start, strcspn(start, "\r\n"));
}

static void b64_line(char *out, size_t size, const uint8_t *bin, size_t n)
{
	sodium_bin2base64(out, size, bin, n, sodium_base64_VARIANT_ORIGINAL);
}

static void b64_decode_line(uint8_t *bin, size_t n, const char *text, int lineno)
{
	char *line = get_line(text, lineno);
	size_t got = 0;

	assert_int_equal(sodium_base642bin(bin, n, line, strlen(line), NULL, &got, NULL,
	                                   sodium_base64_VARIANT_ORIGINAL),
	                 0);
	assert_int_equal(got, n);
	free(line);
}

/* Parse text that must be refused; checks that nothing comes out and a message is set. */
static int parse_fail(const char *text, size_t len)
{
	svd_sig *sig = (svd_sig *)&sig;
	int error;

	svd_error_clear();
	error = svd_sig_parse(&sig, text, len);
	if (error < 0) {
		assert_null(sig);
		assert_true(svd_error_last()[0] != '\0');
	}
	svd_sig_free(sig);
	return error;
}

static int parse_str(const char *text)
{
	return parse_fail(text, strlen(text));
}

/* Parse text and verify it over msg with pk. */
static int parse_verify(const char *text, const svd_pubkey *pk, const void *msg, size_t len)
{
	svd_sig *sig = NULL;
	int error;

	svd_error_clear();
	if ((error = svd_sig_parse(&sig, text, strlen(text))) < 0)
		fail_msg("unexpected: %s", svd_error_last());
	error = svd_sig_verify(sig, pk, msg, len);
	if (error < 0)
		assert_true(svd_error_last()[0] != '\0');
	svd_sig_free(sig);
	return error;
}

static void test_roundtrip(void **state)
{
	svd_seckey *sk = NULL;
	svd_pubkey *pk = NULL;
	svd_sig *sig = NULL, *back = NULL;
	char *text = NULL, *again = NULL;
	size_t len = 0, again_len = 0;
	const char msg[] = "{\"kind\":\"article\"}";

	(void)state;
	assert_int_equal(svd_key_generate(&sk, &pk), 0);
	assert_int_equal(svd_sig_create(&sig, sk, msg, strlen(msg), "item 3f9a\tby editor ✓", NULL),
	                 0);
	assert_string_equal(svd_sig_keyid(sig), svd_pubkey_id(pk));
	assert_string_equal(svd_sig_trusted_comment(sig), "item 3f9a\tby editor ✓");
	assert_int_equal(svd_sig_verify(sig, pk, msg, strlen(msg)), 0);
	assert_int_equal(svd_sig_format(&text, &len, sig), 0);
	assert_int_equal(strlen(text), len);
	assert_true(strncmp(text, "untrusted comment: signature from samvydav secret key\n", 54) ==
	            0);
	assert_non_null(strstr(text, "\ntrusted comment: item 3f9a\tby editor ✓\n"));
	assert_int_equal(text[len - 1], '\n');
	assert_int_equal(svd_sig_parse(&back, text, len), 0);
	assert_string_equal(svd_sig_keyid(back), svd_pubkey_id(pk));
	assert_string_equal(svd_sig_trusted_comment(back), "item 3f9a\tby editor ✓");
	assert_int_equal(svd_sig_verify(back, pk, msg, strlen(msg)), 0);
	assert_int_equal(svd_sig_format(&again, &again_len, back), 0);
	assert_string_equal(again, text);
	free(again);
	free(text);
	svd_sig_free(back);
	svd_sig_free(sig);

	/* a chosen untrusted comment, an empty trusted comment, an empty message */
	assert_int_equal(svd_sig_create(&sig, sk, NULL, 0, "", "from the night editor"), 0);
	assert_int_equal(svd_sig_format(&text, &len, sig), 0);
	assert_true(strncmp(text, "untrusted comment: from the night editor\n", 41) == 0);
	assert_int_equal(parse_verify(text, pk, "", 0), 0);
	free(text);
	svd_sig_free(sig);
	svd_sig_free(NULL);
	svd_pubkey_free(pk);
	svd_seckey_free(sk);
}

/* Signatures made by stock `minisign -S` verify here. */
static void test_stock_fixtures_verify(void **state)
{
	svd_pubkey *plain = fixture_pubkey("minisign/plain.pub"),
	           *enc = fixture_pubkey("minisign/encrypted.pub");
	char *msg, *text;
	size_t msg_len, len;
	svd_sig *sig = NULL;

	(void)state;
	msg = th_read_fixture("minisign/message.txt", &msg_len);
	text = th_read_fixture("minisign/message.txt.minisig", &len);
	assert_int_equal(svd_sig_parse(&sig, text, len), 0);
	assert_string_equal(svd_sig_keyid(sig), PLAIN_KEYID);
	assert_string_equal(svd_sig_trusted_comment(sig), FIXTURE_TRUSTED);
	assert_int_equal(svd_sig_verify(sig, plain, msg, msg_len), 0);
	svd_sig_free(sig);
	free(text);

	text = th_read_fixture("minisign/message.txt.encrypted.minisig", &len);
	assert_int_equal(parse_verify(text, enc, msg, msg_len), 0);
	free(text);
	free(msg);
	svd_pubkey_free(plain);
	svd_pubkey_free(enc);
}

/* Signatures made here verify with stock `minisign -V`. */
static void test_stock_verifies_ours(void **state)
{
	svd_seckey *sk = fixture_seckey("minisign/plain.key"), *fresh = NULL;
	svd_pubkey *fresh_pk = NULL;
	char msgp[PATH_MAX], sigp[PATH_MAX], pub[PATH_MAX], fresh_pub[PATH_MAX];
	char long_comment[TRUSTED_TEXT_MAX + 1];
	char *msg, *text = NULL;
	size_t msg_len, len = 0;
	svd_sig *sig = NULL;

	(void)state;
	th_require_tool("minisign");
	msg = th_read_fixture("minisign/message.txt", &msg_len);
	th_fixture_path(msgp, sizeof(msgp), "minisign/message.txt");
	th_fixture_path(pub, sizeof(pub), "minisign/plain.pub");
	th_join(sigp, sizeof(sigp), th_tmp, "ours.minisig");

	/* the stock key */
	assert_int_equal(svd_sig_create(&sig, sk, msg, msg_len, "signed by samvydav", NULL), 0);
	assert_int_equal(svd_sig_format(&text, &len, sig), 0);
	assert_int_equal(svd_file_write_atomic(sigp, text, len, 0644, 0), 0);
	assert_int_equal(
	    th_run("minisign -Vm '%s' -x '%s' -p '%s' >/dev/null 2>&1", msgp, sigp, pub), 0);
	/* and what stock minisign says about a forged one */
	assert_int_not_equal(th_run("printf 'x' | cat '%s' - > '%s/changed.txt' && "
	                            "minisign -Vm '%s/changed.txt' -x '%s' -p '%s' >/dev/null 2>&1",
	                            msgp, th_tmp, th_tmp, sigp, pub),
	                     0);
	free(text);
	svd_sig_free(sig);

	/* a fresh key, through our public key file */
	assert_int_equal(svd_key_generate(&fresh, &fresh_pk), 0);
	th_join(fresh_pub, sizeof(fresh_pub), th_tmp, "fresh.pub");
	assert_int_equal(svd_pubkey_write(fresh_pk, fresh_pub), 0);
	/* the longest trusted comment minisign can read */
	memset(long_comment, 'c', TRUSTED_TEXT_MAX);
	long_comment[TRUSTED_TEXT_MAX] = '\0';
	assert_int_equal(svd_sig_create(&sig, fresh, msg, msg_len, long_comment, NULL), 0);
	assert_int_equal(svd_sig_format(&text, &len, sig), 0);
	unlink(sigp);
	assert_int_equal(svd_file_write_atomic(sigp, text, len, 0644, 0), 0);
	assert_int_equal(
	    th_run("minisign -Vm '%s' -x '%s' -p '%s' >/dev/null 2>&1", msgp, sigp, fresh_pub), 0);
	assert_int_equal(parse_verify(text, fresh_pk, msg, msg_len), 0);
	/* the stock key's signature is not this key's */
	assert_int_not_equal(
	    th_run("minisign -Vm '%s' -x '%s' -p '%s' >/dev/null 2>&1", msgp, sigp, pub), 0);
	free(text);
	svd_sig_free(sig);
	svd_pubkey_free(fresh_pk);
	svd_seckey_free(fresh);
	svd_seckey_free(sk);
	free(msg);
}

/* A signature stock minisign makes now, with its own default trusted comment. */
static void test_stock_signs_now(void **state)
{
	char key[PATH_MAX], msgp[PATH_MAX], sigp[PATH_MAX], *text = NULL;
	const char body[] = "{\"id\":\"made at test time\"}";
	svd_pubkey *pk = fixture_pubkey("minisign/plain.pub");
	svd_sig *sig = NULL;
	size_t len = 0;

	(void)state;
	th_require_tool("minisign");
	th_fixture_path(key, sizeof(key), "minisign/plain.key");
	th_join(msgp, sizeof(msgp), th_tmp, "manifest.json");
	th_join(sigp, sizeof(sigp), th_tmp, "manifest.json.minisig");
	assert_int_equal(svd_file_write_atomic(msgp, body, strlen(body), 0644, 0), 0);
	assert_int_equal(th_run("minisign -S -s '%s' -m '%s' -x '%s' </dev/null >/dev/null 2>&1",
	                        key, msgp, sigp),
	                 0);
	assert_int_equal(svd_file_read(&text, &len, sigp, SVD_SIGFILE_MAX), 0);
	assert_int_equal(svd_sig_parse(&sig, text, len), 0);
	assert_non_null(strstr(svd_sig_trusted_comment(sig), "timestamp:"));
	assert_non_null(strstr(svd_sig_trusted_comment(sig), "\tfile:manifest.json"));
	assert_int_equal(svd_sig_verify(sig, pk, body, strlen(body)), 0);
	assert_int_equal(svd_sig_verify(sig, pk, body, strlen(body) - 1), SVD_EBADSIG);
	svd_sig_free(sig);
	free(text);
	svd_pubkey_free(pk);
}

/* "\r\n" line endings and a missing final newline are harmless. */
static void test_line_endings(void **state)
{
	svd_pubkey *pk = fixture_pubkey("minisign/plain.pub");
	char *msg, *text, *crlf, *p, *q;
	size_t msg_len, len;

	(void)state;
	msg = th_read_fixture("minisign/message.txt", &msg_len);
	text = th_read_fixture("minisign/message.txt.minisig", &len);
	crlf = malloc(2 * len + 1);
	assert_non_null(crlf);
	for (p = text, q = crlf; *p; p++) {
		if (*p == '\n')
			*q++ = '\r';
		*q++ = *p;
	}
	*q = '\0';
	assert_int_equal(parse_verify(crlf, pk, msg, msg_len), 0);
	crlf[strlen(crlf) - 2] = '\0';
	assert_int_equal(parse_verify(crlf, pk, msg, msg_len), 0);
	text[len - 1] = '\0';
	assert_int_equal(parse_verify(text, pk, msg, msg_len), 0);
	free(crlf);
	free(text);
	free(msg);
	svd_pubkey_free(pk);
}

static void test_parse_must_fail(void **state)
{
	char *text, *edited, *line, *big, buf[512];
	uint8_t blob[SIG_BLOB_LEN + 1], global[65];
	size_t len, i, at;

	(void)state;
	text = th_read_fixture("minisign/message.txt.minisig", &len);
	assert_int_equal(parse_str(text), 0);

	/* empty, and truncated after each line and inside each line */
	assert_int_equal(parse_str(""), SVD_ECORRUPT);
	for (i = 0, at = 0; i < 3; i++) {
		at = (size_t)(strchr(text + at, '\n') - text) + 1;
		assert_int_equal(parse_fail(text, at), SVD_ECORRUPT);
		assert_int_equal(parse_fail(text, at - 1), SVD_ECORRUPT);
	}
	assert_int_equal(parse_fail(text, len - 10), SVD_ECORRUPT);
	line = get_line(text, 2);
	line[strlen(line) - 8] = '\0';
	edited = edit_line(text, 2, line);
	assert_int_equal(parse_str(edited), SVD_ECORRUPT);
	free(edited);
	free(line);

	/* bad base64: outside the alphabet, url-safe, spaces, non-zero padding bits */
	line = get_line(text, 2);
	line[10] = '*';
	edited = edit_line(text, 2, line);
	assert_int_equal(parse_str(edited), SVD_ECORRUPT);
	free(edited);
	line[10] = ' ';
	edited = edit_line(text, 2, line);
	assert_int_equal(parse_str(edited), SVD_ECORRUPT);
	free(edited);
	free(line);
	line = get_line(text, 4);
	for (i = 0; line[i]; i++)
		if (line[i] == '+' || line[i] == '/')
			line[i] = line[i] == '+' ? '-' : '_';
	edited = edit_line(text, 4, line);
	if (strcmp(edited, text) != 0)
		assert_int_equal(parse_str(edited), SVD_ECORRUPT);
	free(edited);
	free(line);
	line = get_line(text, 4);
	assert_string_equal(line + strlen(line) - 4, "CA==");
	line[strlen(line) - 3] = 'B'; /* "CB==": the same byte, stray low bits */
	edited = edit_line(text, 4, line);
	assert_int_equal(parse_str(edited), SVD_ECORRUPT);
	free(edited);
	free(line);

	/* wrong lengths on lines 2 and 4 */
	b64_decode_line(blob, SIG_BLOB_LEN, text, 2);
	blob[SIG_BLOB_LEN] = 0;
	b64_line(buf, sizeof(buf), blob, SIG_BLOB_LEN - 1);
	edited = edit_line(text, 2, buf);
	assert_int_equal(parse_str(edited), SVD_ECORRUPT);
	free(edited);
	b64_line(buf, sizeof(buf), blob, SIG_BLOB_LEN + 1);
	edited = edit_line(text, 2, buf);
	assert_int_equal(parse_str(edited), SVD_ECORRUPT);
	free(edited);
	b64_decode_line(global, 64, text, 4);
	global[64] = 0;
	b64_line(buf, sizeof(buf), global, 63);
	edited = edit_line(text, 4, buf);
	assert_int_equal(parse_str(edited), SVD_ECORRUPT);
	free(edited);
	b64_line(buf, sizeof(buf), global, 65);
	edited = edit_line(text, 4, buf);
	assert_int_equal(parse_str(edited), SVD_ECORRUPT);
	free(edited);

	/* wrong algorithm, and the legacy one */
	blob[0] = 'X';
	blob[1] = 'X';
	b64_line(buf, sizeof(buf), blob, SIG_BLOB_LEN);
	edited = edit_line(text, 2, buf);
	assert_int_equal(parse_str(edited), SVD_ECORRUPT);
	assert_non_null(strstr(svd_error_last(), "algorithm"));
	free(edited);
	free(text);
	text = th_read_fixture("minisign/message.txt.legacy.minisig", &len);
	assert_int_equal(parse_str(text), SVD_ECORRUPT);
	assert_non_null(strstr(svd_error_last(), "legacy non-prehashed signature"));
	free(text);
	text = th_read_fixture("minisign/message.txt.minisig", &len);

	/* the comment prefixes */
	edited = edit_line(text, 3, "trusted comments: " FIXTURE_TRUSTED);
	assert_int_equal(parse_str(edited), SVD_ECORRUPT);
	assert_non_null(strstr(svd_error_last(), "trusted comment: "));
	free(edited);
	edited = edit_line(text, 3, FIXTURE_TRUSTED);
	assert_int_equal(parse_str(edited), SVD_ECORRUPT);
	free(edited);
	edited = edit_line(text, 3, "trusted comment:" FIXTURE_TRUSTED);
	assert_int_equal(parse_str(edited), SVD_ECORRUPT);
	free(edited);
	edited = edit_line(text, 1, "signature from minisign secret key");
	assert_int_equal(parse_str(edited), SVD_ECORRUPT);
	free(edited);
	/* the lines out of order */
	line = get_line(text, 3);
	edited = edit_line(text, 1, line);
	free(line);
	line = edit_line(edited, 3, "untrusted comment: swapped");
	assert_int_equal(parse_str(line), SVD_ECORRUPT);
	free(line);
	free(edited);

	/* extra lines, even empty ones */
	edited = malloc(2 * len + 32);
	assert_non_null(edited);
	sprintf(edited, "%sextra\n", text);
	assert_int_equal(parse_str(edited), SVD_ECORRUPT);
	sprintf(edited, "%s\n", text);
	assert_int_equal(parse_str(edited), SVD_ECORRUPT);
	sprintf(edited, "%s\r\n", text);
	assert_int_equal(parse_str(edited), SVD_ECORRUPT);
	sprintf(edited, "%s%s", text, text);
	assert_int_equal(parse_str(edited), SVD_ECORRUPT);
	free(edited);

	/* a carriage return inside a line; a NUL byte */
	edited = edit_line(text, 3, "trusted comment: a\rb");
	assert_int_equal(parse_str(edited), SVD_ECORRUPT);
	free(edited);
	edited = strdup(text);
	assert_non_null(edited);
	edited[strlen("untrusted comment: ") + 2] = '\0';
	assert_int_equal(parse_fail(edited, len), SVD_ECORRUPT);
	assert_non_null(strstr(svd_error_last(), "NUL"));
	free(edited);

	/* oversized: the file, and each comment */
	big = malloc(SVD_SIGFILE_MAX + 2);
	assert_non_null(big);
	memset(big, 'x', SVD_SIGFILE_MAX + 1);
	big[SVD_SIGFILE_MAX + 1] = '\0';
	assert_int_equal(parse_fail(big, SVD_SIGFILE_MAX + 1), SVD_ETOOBIG);
	memcpy(big, "trusted comment: ", 17);
	big[17 + TRUSTED_TEXT_MAX + 1] = '\0';
	edited = edit_line(text, 3, big);
	assert_int_equal(parse_str(edited), SVD_ETOOBIG);
	free(edited);
	memcpy(big, "untrusted comment: ", 19);
	big[SVD_COMMENT_MAX - 1] = '\0';
	edited = edit_line(text, 1, big);
	assert_int_equal(parse_str(edited), SVD_ETOOBIG);
	free(edited);
	/* one byte less of each is fine */
	big[SVD_COMMENT_MAX - 2] = '\0';
	edited = edit_line(text, 1, big);
	assert_int_equal(parse_str(edited), 0);
	free(edited);
	free(big);
	free(text);
}

static void test_verify_must_fail(void **state)
{
	svd_pubkey *plain = fixture_pubkey("minisign/plain.pub"),
	           *enc = fixture_pubkey("minisign/encrypted.pub");
	svd_seckey *other = NULL;
	svd_pubkey *other_pk = NULL;
	svd_sig *sig = NULL;
	char *msg, *text, *edited, *line, buf[256], *forged = NULL;
	uint8_t blob[SIG_BLOB_LEN], global[64];
	size_t msg_len, len, forged_len = 0;

	(void)state;
	msg = th_read_fixture("minisign/message.txt", &msg_len);
	text = th_read_fixture("minisign/message.txt.minisig", &len);
	assert_int_equal(parse_verify(text, plain, msg, msg_len), 0);

	/* a changed message: one byte, one byte less, one byte more */
	msg[3] ^= 0x20;
	assert_int_equal(parse_verify(text, plain, msg, msg_len), SVD_EBADSIG);
	assert_non_null(strstr(svd_error_last(), "signed file was changed"));
	msg[3] ^= 0x20;
	assert_int_equal(parse_verify(text, plain, msg, msg_len - 1), SVD_EBADSIG);
	assert_int_equal(parse_verify(text, plain, "", 0), SVD_EBADSIG);

	/* a changed trusted comment, and a changed global signature */
	edited = edit_line(text, 3, "trusted comment: " FIXTURE_TRUSTED " (approved)");
	assert_int_equal(parse_verify(edited, plain, msg, msg_len), SVD_EBADSIG);
	assert_non_null(strstr(svd_error_last(), "trusted comment was altered"));
	free(edited);
	b64_decode_line(global, sizeof(global), text, 4);
	global[20] ^= 4;
	b64_line(buf, sizeof(buf), global, sizeof(global));
	edited = edit_line(text, 4, buf);
	assert_int_equal(parse_verify(edited, plain, msg, msg_len), SVD_EBADSIG);
	assert_non_null(strstr(svd_error_last(), "trusted comment"));
	free(edited);
	/* a changed signature byte */
	b64_decode_line(blob, sizeof(blob), text, 2);
	blob[40] ^= 1;
	b64_line(buf, sizeof(buf), blob, sizeof(blob));
	edited = edit_line(text, 2, buf);
	assert_int_equal(parse_verify(edited, plain, msg, msg_len), SVD_EBADSIG);
	free(edited);

	/* the key id in the signature changed: it names another key */
	b64_decode_line(blob, sizeof(blob), text, 2);
	blob[2] ^= 1;
	b64_line(buf, sizeof(buf), blob, sizeof(blob));
	edited = edit_line(text, 2, buf);
	assert_int_equal(parse_verify(edited, plain, msg, msg_len), SVD_EBADSIG);
	assert_non_null(strstr(svd_error_last(), "signature is by key A0B4236BD2096A28, not key "
	                                         "A0B4236BD2096A29"));
	free(edited);
	/* verified with another editor's key */
	assert_int_equal(parse_verify(text, enc, msg, msg_len), SVD_EBADSIG);
	assert_non_null(strstr(svd_error_last(), "not key E77C6FA970DB62A9"));

	/* signed by another key that claims the fixture key's id */
	assert_int_equal(svd_key_generate(&other, &other_pk), 0);
	assert_int_equal(svd_sig_create(&sig, other, msg, msg_len, FIXTURE_TRUSTED, NULL), 0);
	assert_int_equal(svd_sig_format(&forged, &forged_len, sig), 0);
	svd_sig_free(sig);
	b64_decode_line(blob, sizeof(blob), forged, 2);
	memcpy(blob + 2, svd_pubkey_id_bytes(plain), 8);
	b64_line(buf, sizeof(buf), blob, sizeof(blob));
	edited = edit_line(forged, 2, buf);
	assert_int_equal(parse_verify(edited, plain, msg, msg_len), SVD_EBADSIG);
	assert_non_null(strstr(svd_error_last(), "not made by this key"));
	free(edited);
	/* and the same with the fixture's signature grafted on another key's global one */
	line = get_line(text, 2);
	edited = edit_line(forged, 2, line);
	assert_int_equal(parse_verify(edited, plain, msg, msg_len), SVD_EBADSIG);
	assert_non_null(strstr(svd_error_last(), "trusted comment"));
	free(edited);
	free(line);

	free(forged);
	free(text);
	free(msg);
	svd_pubkey_free(other_pk);
	svd_seckey_free(other);
	svd_pubkey_free(plain);
	svd_pubkey_free(enc);
}

static void test_create_must_fail(void **state)
{
	svd_seckey *sk = NULL;
	svd_pubkey *pk = NULL;
	svd_sig *sig = (svd_sig *)&sig;
	char *big;

	(void)state;
	assert_int_equal(svd_key_generate(&sk, &pk), 0);
	assert_int_equal(svd_sig_create(&sig, sk, "m", 1, NULL, NULL), SVD_EINVALID);
	assert_null(sig);
	assert_int_equal(svd_sig_create(&sig, sk, "m", 1, "two\nlines", NULL), SVD_EINVALID);
	assert_int_equal(svd_sig_create(&sig, sk, "m", 1, "cr\r", NULL), SVD_EINVALID);
	assert_int_equal(svd_sig_create(&sig, sk, "m", 1, "ok", "two\nlines"), SVD_EINVALID);
	big = malloc(TRUSTED_TEXT_MAX + 2);
	assert_non_null(big);
	memset(big, 'c', TRUSTED_TEXT_MAX + 1);
	big[TRUSTED_TEXT_MAX + 1] = '\0';
	assert_int_equal(svd_sig_create(&sig, sk, "m", 1, big, NULL), SVD_EINVALID);
	assert_null(sig);
	big[TRUSTED_TEXT_MAX] = '\0';
	assert_int_equal(svd_sig_create(&sig, sk, "m", 1, big, NULL), 0);
	svd_sig_free(sig);
	/* "untrusted comment: " and the comment: at most 1022 bytes */
	big[1022 - 19 + 1] = '\0';
	assert_int_equal(svd_sig_create(&sig, sk, "m", 1, "ok", big), SVD_EINVALID);
	big[1022 - 19] = '\0';
	assert_int_equal(svd_sig_create(&sig, sk, "m", 1, "ok", big), 0);
	svd_sig_free(sig);
	free(big);
	svd_pubkey_free(pk);
	svd_seckey_free(sk);
}

/* The one Ed25519 check: libsodium's strict rules hold through it. */
static void test_ed25519_verify(void **state)
{
	/* the group order L, little-endian */
	static const uint8_t L[32] = {0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58,
	                              0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
	                              0,    0,    0,    0,    0,    0,    0,    0,
	                              0,    0,    0,    0,    0,    0,    0,    0x10};
	uint8_t pk[32], sk[64], sig[64], bad[64], small[32] = {1};
	unsigned carry = 0;
	int i;

	(void)state;
	crypto_sign_keypair(pk, sk);
	crypto_sign_detached(sig, NULL, (const uint8_t *)"msg", 3, sk);
	assert_int_equal(svd_ed25519_verify(sig, "msg", 3, pk), 0);
	assert_int_equal(svd_ed25519_verify(sig, "msh", 3, pk), SVD_EBADSIG);
	memcpy(bad, sig, 64);
	bad[0] ^= 1;
	assert_int_equal(svd_ed25519_verify(bad, "msg", 3, pk), SVD_EBADSIG);
	/* S + L is the same scalar, but not canonical: malleability is refused */
	memcpy(bad, sig, 64);
	for (i = 0; i < 32; i++) {
		unsigned sum = bad[32 + i] + L[i] + carry;
		bad[32 + i] = (uint8_t)sum;
		carry = sum >> 8;
	}
	assert_int_equal(carry, 0);
	assert_int_equal(svd_ed25519_verify(bad, "msg", 3, pk), SVD_EBADSIG);
	/* a small-order public key (the identity) verifies nothing */
	memset(bad, 0, 64);
	bad[0] = 1;
	assert_int_equal(svd_ed25519_verify(bad, "msg", 3, small), SVD_EBADSIG);
	sodium_memzero(sk, sizeof(sk));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_roundtrip),
	    cmocka_unit_test(test_stock_fixtures_verify),
	    cmocka_unit_test(test_stock_verifies_ours),
	    cmocka_unit_test(test_stock_signs_now),
	    cmocka_unit_test(test_line_endings),
	    cmocka_unit_test(test_parse_must_fail),
	    cmocka_unit_test(test_verify_must_fail),
	    cmocka_unit_test(test_create_must_fail),
	    cmocka_unit_test(test_ed25519_verify),
	};

	return cmocka_run_group_tests(tests, th_group_setup, th_group_teardown);
}
