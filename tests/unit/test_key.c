/*
 * test_key.c: minisign key files. Fixtures made by stock minisign read back
 * byte for byte, keys we write are used by stock `minisign -S`, and every way
 * a key file can lie is refused with the right code.
 */
#include <fcntl.h>
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
#include "util.h"

#define PASSPHRASE      "correct horse battery staple"
#define PLAIN_KEYID     "A0B4236BD2096A29"
#define ENCRYPTED_KEYID "E77C6FA970DB62A9"
#define PLAIN_PUB_B64   "RWQpagnSayO0oKRs7sLuJN9MvN6E+/peKkyj3sCDnXLX9kZKCYo6/g0I"
#define SECKEY_BLOB_LEN 158
#define GIVE_UP         (-100) /* any negative code; this one is recognisable */
#define OFF_KDF_ALG     2
#define OFF_CHK_ALG     4
#define OFF_OPSLIMIT    38
#define OFF_MEMLIMIT    46
#define OFF_KEYNUM      54
#define OFF_SK          62
#define OFF_CHK         126

struct pass {
	const char *passphrase;
	int calls;
};

static int pass_cb(char *buf, size_t size, void *payload)
{
	struct pass *p = payload;

	p->calls++;
	if (!p->passphrase)
		return GIVE_UP;
	snprintf(buf, size, "%s", p->passphrase);
	return 0;
}

/* The bytes under a key file's second line. */
static void key_blob(uint8_t *blob, size_t n, const char *text)
{
	const char *line = strchr(text, '\n') + 1;
	size_t got = 0;

	assert_int_equal(sodium_base642bin(blob, n, line, strcspn(line, "\r\n"), NULL, &got, NULL,
	                                   sodium_base64_VARIANT_ORIGINAL),
	                 0);
	assert_int_equal(got, n);
}

/* A key file: a comment line and the base64 of n bytes. */
static void key_text(char *out, size_t size, const char *comment, const uint8_t *blob, size_t n)
{
	char b64[512];

	sodium_bin2base64(b64, sizeof(b64), blob, n, sodium_base64_VARIANT_ORIGINAL);
	snprintf(out, size, "%s\n%s\n", comment, b64);
}

static int pubkey_parse_str(const char *text)
{
	svd_pubkey *pk = (svd_pubkey *)&pk;
	int error = svd_pubkey_parse(&pk, text, strlen(text));

	if (error < 0) {
		assert_null(pk);
		assert_true(svd_error_last()[0] != '\0');
	}
	svd_pubkey_free(pk);
	return error;
}

static void test_keyid_format(void **state)
{
	const uint8_t id[8] = {0x29, 0x6a, 0x09, 0xd2, 0x6b, 0x23, 0xb4, 0xa0};
	const uint8_t small[8] = {0x01, 0, 0, 0, 0, 0, 0, 0};
	char hex[SVD_KEYID_HEX_LEN + 1];

	(void)state;
	svd_keyid_format(hex, id);
	assert_string_equal(hex, PLAIN_KEYID);
	/* leading zeros are kept, as minisign's %016 does */
	svd_keyid_format(hex, small);
	assert_string_equal(hex, "0000000000000001");
	assert_int_equal(svd_keyid_valid(PLAIN_KEYID), 1);
	assert_int_equal(svd_keyid_valid("0000000000000001"), 1);
	assert_int_equal(svd_keyid_valid("a0b4236bd2096a29"), 0);
	assert_int_equal(svd_keyid_valid("A0B4236BD2096A2"), 0);
	assert_int_equal(svd_keyid_valid("A0B4236BD2096A290"), 0);
	assert_int_equal(svd_keyid_valid("A0B4236BD2096A2G"), 0);
	assert_int_equal(svd_keyid_valid(""), 0);
	assert_int_equal(svd_keyid_valid(NULL), 0);
}

/* What we format is byte for byte what `minisign -G` wrote. */
static void test_pubkey_stock_fixture(void **state)
{
	char path[PATH_MAX], *text, *out = NULL;
	size_t len, out_len = 0;
	svd_pubkey *pk = NULL;

	(void)state;
	th_fixture_path(path, sizeof(path), "minisign/plain.pub");
	assert_int_equal(svd_pubkey_read(&pk, path), 0);
	assert_string_equal(svd_pubkey_id(pk), PLAIN_KEYID);
	text = th_read_fixture("minisign/plain.pub", &len);
	assert_int_equal(svd_pubkey_format(&out, &out_len, pk), 0);
	assert_int_equal(out_len, len);
	assert_string_equal(out, text);
	free(out);
	free(text);
	svd_pubkey_free(pk);

	th_fixture_path(path, sizeof(path), "minisign/encrypted.pub");
	assert_int_equal(svd_pubkey_read(&pk, path), 0);
	assert_string_equal(svd_pubkey_id(pk), ENCRYPTED_KEYID);
	svd_pubkey_free(pk);
}

/* The bare base64 line, as `minisign -P` takes it, and other line endings. */
static void test_pubkey_forms(void **state)
{
	svd_pubkey *a = NULL, *b = NULL;
	char *text;
	size_t len;

	(void)state;
	text = th_read_fixture("minisign/plain.pub", &len);
	assert_int_equal(svd_pubkey_parse(&a, text, len), 0);
	assert_int_equal(svd_pubkey_parse(&b, PLAIN_PUB_B64, strlen(PLAIN_PUB_B64)), 0);
	assert_memory_equal(svd_pubkey_bytes(a), svd_pubkey_bytes(b), 32);
	assert_memory_equal(svd_pubkey_id_bytes(a), svd_pubkey_id_bytes(b), 8);
	svd_pubkey_free(b);
	assert_int_equal(pubkey_parse_str(PLAIN_PUB_B64 "\n"), 0);
	assert_int_equal(pubkey_parse_str(PLAIN_PUB_B64 "\r\n"), 0);
	assert_int_equal(pubkey_parse_str("untrusted comment: x\r\n" PLAIN_PUB_B64 "\r\n"), 0);
	assert_int_equal(pubkey_parse_str("untrusted comment: no final newline\n" PLAIN_PUB_B64),
	                 0);
	assert_int_equal(pubkey_parse_str("untrusted comment: \n" PLAIN_PUB_B64 "\n"), 0);
	svd_pubkey_free(a);
	free(text);
	svd_pubkey_free(NULL);
}

static void test_pubkey_must_fail(void **state)
{
	uint8_t blob[64];
	char text[8192], big[SVD_KEYFILE_MAX + 2];
	const char *hdr = "untrusted comment: minisign public key " PLAIN_KEYID;
	svd_pubkey *pk = (svd_pubkey *)&pk;
	size_t got;

	(void)state;
	assert_int_equal(sodium_base642bin(blob, sizeof(blob), PLAIN_PUB_B64, strlen(PLAIN_PUB_B64),
	                                   NULL, &got, NULL, sodium_base64_VARIANT_ORIGINAL),
	                 0);
	assert_int_equal(got, 42);

	assert_int_equal(pubkey_parse_str(""), SVD_ECORRUPT);
	assert_int_equal(pubkey_parse_str("\n"), SVD_ECORRUPT);
	/* truncated: the comment line alone, then a cut key line */
	assert_int_equal(pubkey_parse_str("untrusted comment: x\n"), SVD_ECORRUPT);
	assert_int_equal(pubkey_parse_str("untrusted comment: x\nRWQpagnSayO0oKRs7sLuJN9MvN6E"),
	                 SVD_ECORRUPT);
	/* bad base64: a character outside the alphabet, a space, url-safe alphabet */
	assert_int_equal(
	    pubkey_parse_str("RWQpagnSayO0oKRs7sLuJN9MvN6E*/peKkyj3sCDnXLX9kZKCYo6/g0I"),
	    SVD_ECORRUPT);
	assert_int_equal(
	    pubkey_parse_str("RWQpagnSayO0oKRs7sLuJN9MvN6E /peKkyj3sCDnXLX9kZKCYo6/g0I"),
	    SVD_ECORRUPT);
	assert_int_equal(
	    pubkey_parse_str("RWQpagnSayO0oKRs7sLuJN9MvN6E-_peKkyj3sCDnXLX9kZKCYo6_g0I"),
	    SVD_ECORRUPT);
	/* wrong lengths */
	key_text(text, sizeof(text), hdr, blob, 41);
	assert_int_equal(pubkey_parse_str(text), SVD_ECORRUPT);
	key_text(text, sizeof(text), hdr, blob, 43);
	assert_int_equal(pubkey_parse_str(text), SVD_ECORRUPT);
	/* wrong algorithm */
	blob[1] = 'x';
	key_text(text, sizeof(text), hdr, blob, 42);
	assert_int_equal(pubkey_parse_str(text), SVD_ECORRUPT);
	assert_non_null(strstr(svd_error_last(), "algorithm"));
	blob[1] = 'd';
	/* a key that can never verify: the identity point, of small order */
	memset(blob + 10, 0, 32);
	blob[10] = 1;
	key_text(text, sizeof(text), hdr, blob, 42);
	assert_int_equal(pubkey_parse_str(text), SVD_ECORRUPT);
	/* the comment line */
	assert_int_equal(pubkey_parse_str("comment: x\n" PLAIN_PUB_B64 "\n"), SVD_ECORRUPT);
	memset(text, 'c', SVD_COMMENT_MAX);
	memcpy(text, "untrusted comment: ", 19);
	snprintf(text + SVD_COMMENT_MAX, sizeof(text) - SVD_COMMENT_MAX, "\n%s\n", PLAIN_PUB_B64);
	assert_int_equal(pubkey_parse_str(text), SVD_ETOOBIG);
	/* extra lines, even an empty one */
	assert_int_equal(pubkey_parse_str("untrusted comment: x\n" PLAIN_PUB_B64 "\nextra\n"),
	                 SVD_ECORRUPT);
	assert_int_equal(pubkey_parse_str("untrusted comment: x\n" PLAIN_PUB_B64 "\n\n"),
	                 SVD_ECORRUPT);
	/* a carriage return inside a line */
	assert_int_equal(pubkey_parse_str("untrusted comment: a\rb\n" PLAIN_PUB_B64 "\n"),
	                 SVD_ECORRUPT);
	/* a NUL byte */
	snprintf(text, sizeof(text), "untrusted comment: x\n%s\n", PLAIN_PUB_B64);
	text[5] = '\0';
	assert_int_equal(svd_pubkey_parse(&pk, text, strlen(text + 6) + 6), SVD_ECORRUPT);
	assert_null(pk);
	assert_non_null(strstr(svd_error_last(), "NUL"));
	/* oversized */
	memset(big, ' ', sizeof(big));
	assert_int_equal(svd_pubkey_parse(&pk, big, SVD_KEYFILE_MAX + 1), SVD_ETOOBIG);
	assert_null(pk);
}

static void test_pubkey_files(void **state)
{
	char path[PATH_MAX];
	svd_seckey *sk = NULL;
	svd_pubkey *pk = NULL, *back = NULL, *copy = NULL;
	struct stat st;

	(void)state;
	th_join(path, sizeof(path), th_tmp, "missing.pub");
	assert_int_equal(svd_pubkey_read(&back, path), SVD_ENOTFOUND);
	assert_null(back);

	assert_int_equal(svd_key_generate(&sk, &pk), 0);
	th_join(path, sizeof(path), th_tmp, "files.pub");
	assert_int_equal(svd_pubkey_write(pk, path), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644);
	/* replacing a public key file is fine */
	assert_int_equal(svd_pubkey_write(pk, path), 0);
	assert_int_equal(svd_pubkey_read(&back, path), 0);
	assert_string_equal(svd_pubkey_id(back), svd_pubkey_id(pk));
	assert_memory_equal(svd_pubkey_bytes(back), svd_pubkey_bytes(pk), 32);
	assert_int_equal(svd_pubkey_dup(&copy, back), 0);
	assert_string_equal(svd_pubkey_id(copy), svd_pubkey_id(pk));
	assert_memory_equal(svd_pubkey_bytes(copy), svd_pubkey_bytes(pk), 32);
	svd_pubkey_free(copy);
	svd_pubkey_free(back);
	svd_pubkey_free(pk);
	svd_seckey_free(sk);
}

static void test_generate(void **state)
{
	svd_seckey *a = NULL, *b = NULL;
	svd_pubkey *pa = NULL, *pb = NULL, *half = NULL;
	svd_sig *sig = NULL;

	(void)state;
	assert_int_equal(svd_key_generate(&a, &pa), 0);
	assert_int_equal(svd_key_generate(&b, &pb), 0);
	assert_int_equal(svd_keyid_valid(svd_seckey_id(a)), 1);
	assert_string_equal(svd_seckey_id(a), svd_pubkey_id(pa));
	assert_string_not_equal(svd_pubkey_id(pa), svd_pubkey_id(pb));
	assert_memory_not_equal(svd_pubkey_bytes(pa), svd_pubkey_bytes(pb), 32);
	assert_int_equal(svd_seckey_pubkey(&half, a), 0);
	assert_memory_equal(svd_pubkey_bytes(half), svd_pubkey_bytes(pa), 32);
	assert_memory_equal(svd_pubkey_id_bytes(half), svd_pubkey_id_bytes(pa), 8);
	/* the pair works */
	assert_int_equal(svd_sig_create(&sig, a, "m", 1, "t", NULL), 0);
	assert_int_equal(svd_sig_verify(sig, pa, "m", 1), 0);
	svd_sig_free(sig);
	svd_pubkey_free(half);
	svd_pubkey_free(pa);
	svd_pubkey_free(pb);
	svd_seckey_free(a);
	svd_seckey_free(b);
	svd_seckey_free(NULL);
}

/*
 * A stock minisign key pair, name.key and name.pub: the secret key reads
 * with pass, asking for it only if encrypted, and matches the public key.
 */
static void expect_stock_seckey(const char *name, const char *passphrase, int encrypted,
                                const char *keyid)
{
	char path[PATH_MAX];
	struct pass pass = {passphrase, 0};
	svd_seckey *sk = NULL;
	svd_pubkey *pk = NULL, *half = NULL;

	th_path(path, sizeof(path), "%s/tests/data/minisign/%s.key", th_source_dir(), name);
	assert_int_equal(svd_seckey_file_encrypted(path), encrypted);
	assert_int_equal(svd_seckey_read(&sk, path, pass_cb, &pass), 0);
	assert_int_equal(pass.calls, encrypted);
	assert_string_equal(svd_seckey_id(sk), keyid);
	th_path(path, sizeof(path), "%s/tests/data/minisign/%s.pub", th_source_dir(), name);
	assert_int_equal(svd_pubkey_read(&pk, path), 0);
	assert_int_equal(svd_seckey_pubkey(&half, sk), 0);
	assert_memory_equal(svd_pubkey_bytes(half), svd_pubkey_bytes(pk), 32);
	svd_pubkey_free(half);
	svd_pubkey_free(pk);
	svd_seckey_free(sk);
}

/* `minisign -G -W` writes a zero checksum; the key must still load. */
static void test_seckey_stock_plain(void **state)
{
	char path[PATH_MAX];
	svd_seckey *sk = NULL;

	(void)state;
	expect_stock_seckey("plain", NULL, 0, PLAIN_KEYID);

	/* no callback is needed for an unencrypted key */
	th_fixture_path(path, sizeof(path), "minisign/plain.key");
	assert_int_equal(svd_seckey_read(&sk, path, NULL, NULL), 0);
	svd_seckey_free(sk);
}

/* The one test with minisign's own scrypt strength (1 GiB, a few seconds). */
static void test_seckey_stock_encrypted(void **state)
{
	(void)state;
	expect_stock_seckey("encrypted", PASSPHRASE, 1, ENCRYPTED_KEYID);
}

static void test_seckey_plain_roundtrip(void **state)
{
	char path[PATH_MAX], *text = NULL;
	size_t len = 0;
	svd_seckey *sk = NULL, *back = NULL;
	svd_pubkey *pk = NULL, *half = NULL;
	struct stat st;

	(void)state;
	assert_int_equal(svd_key_generate(&sk, &pk), 0);
	th_join(path, sizeof(path), th_tmp, "plain-roundtrip.key");
	assert_int_equal(svd_seckey_write(sk, path, NULL, SVD_KDF_INTERACTIVE), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(svd_file_read(&text, &len, path, 4096), 0);
	assert_non_null(strstr(text, "untrusted comment: "));
	free(text);
	/* an existing secret key is never replaced */
	assert_int_equal(svd_seckey_write(sk, path, NULL, SVD_KDF_INTERACTIVE), SVD_EEXISTS);
	assert_int_equal(svd_seckey_file_encrypted(path), 0);
	assert_int_equal(svd_seckey_read(&back, path, NULL, NULL), 0);
	assert_string_equal(svd_seckey_id(back), svd_seckey_id(sk));
	assert_int_equal(svd_seckey_pubkey(&half, back), 0);
	assert_memory_equal(svd_pubkey_bytes(half), svd_pubkey_bytes(pk), 32);
	svd_pubkey_free(half);
	svd_seckey_free(back);
	svd_pubkey_free(pk);
	svd_seckey_free(sk);
}

static void test_seckey_encrypted_roundtrip(void **state)
{
	char path[PATH_MAX], other[PATH_MAX], *text = NULL;
	char long_pass[1100];
	size_t len = 0;
	struct pass pass = {"s3cret passphrase", 0};
	svd_seckey *sk = NULL, *back = NULL;
	svd_pubkey *pk = NULL, *half = NULL;
	uint8_t blob[SECKEY_BLOB_LEN];

	(void)state;
	assert_int_equal(svd_key_generate(&sk, &pk), 0);
	th_join(path, sizeof(path), th_tmp, "encrypted-roundtrip.key");
	assert_int_equal(svd_seckey_write(sk, path, "s3cret passphrase", SVD_KDF_INTERACTIVE), 0);
	assert_int_equal(svd_seckey_file_encrypted(path), 1);
	assert_int_equal(svd_file_read(&text, &len, path, 4096), 0);
	key_blob(blob, sizeof(blob), text);
	assert_memory_equal(blob + OFF_KDF_ALG, "Sc", 2);
	free(text);

	assert_int_equal(svd_seckey_read(&back, path, pass_cb, &pass), 0);
	assert_int_equal(pass.calls, 1);
	assert_string_equal(svd_seckey_id(back), svd_seckey_id(sk));
	assert_int_equal(svd_seckey_pubkey(&half, back), 0);
	assert_memory_equal(svd_pubkey_bytes(half), svd_pubkey_bytes(pk), 32);
	svd_pubkey_free(half);
	svd_seckey_free(back);
	back = (svd_seckey *)&back;

	/* wrong passphrase */
	pass.passphrase = "s3cret passphrasE";
	assert_int_equal(svd_seckey_read(&back, path, pass_cb, &pass), SVD_EPASSPHRASE);
	assert_null(back);
	assert_non_null(strstr(svd_error_last(), "wrong passphrase"));
	pass.passphrase = "";
	assert_int_equal(svd_seckey_read(&back, path, pass_cb, &pass), SVD_EPASSPHRASE);
	/* the callback gives up: its code comes back */
	pass.passphrase = NULL;
	assert_int_equal(svd_seckey_read(&back, path, pass_cb, &pass), GIVE_UP);
	assert_null(back);
	/* no callback at all */
	assert_int_equal(svd_seckey_read(&back, path, NULL, NULL), SVD_EINVALID);
	assert_null(back);

	/* what cannot be written */
	th_join(other, sizeof(other), th_tmp, "refused.key");
	assert_int_equal(svd_seckey_write(sk, other, "", SVD_KDF_INTERACTIVE), SVD_EINVALID);
	memset(long_pass, 'p', sizeof(long_pass) - 1);
	long_pass[sizeof(long_pass) - 1] = '\0';
	assert_int_equal(svd_seckey_write(sk, other, long_pass, SVD_KDF_INTERACTIVE), SVD_EINVALID);
	assert_int_equal(svd_seckey_write(sk, other, "x", (svd_kdf_strength)7), SVD_EINVALID);
	assert_int_equal(access(other, F_OK), -1);
	svd_pubkey_free(pk);
	svd_seckey_free(sk);
}

static int seckey_parse_blob(const uint8_t *blob, size_t n, struct pass *pass)
{
	char text[1024];
	svd_seckey *sk = (svd_seckey *)&sk;
	int error;

	key_text(text, sizeof(text), "untrusted comment: test key", blob, n);
	error = svd_seckey_parse(&sk, text, strlen(text), pass_cb, pass);
	if (error < 0) {
		assert_null(sk);
		assert_true(svd_error_last()[0] != '\0');
	}
	svd_seckey_free(sk);
	return error;
}

static int seckey_parse_str(const char *text, size_t len)
{
	svd_seckey *sk = (svd_seckey *)&sk;
	int error = svd_seckey_parse(&sk, text, len, NULL, NULL);

	if (error < 0)
		assert_null(sk);
	svd_seckey_free(sk);
	return error;
}

static void test_seckey_must_fail(void **state)
{
	char path[PATH_MAX], *plain_text = NULL, *enc_text = NULL, text[2048];
	char big[SVD_KEYFILE_MAX + 1];
	size_t len = 0, b64_len;
	uint8_t plain[SECKEY_BLOB_LEN], enc[SECKEY_BLOB_LEN], blob[SECKEY_BLOB_LEN + 1];
	struct pass pass = {"pw", 0};
	svd_seckey *sk = NULL;
	svd_pubkey *pk = NULL;
	const char *line2;

	(void)state;
	assert_int_equal(svd_key_generate(&sk, &pk), 0);
	th_join(path, sizeof(path), th_tmp, "must-fail-plain.key");
	assert_int_equal(svd_seckey_write(sk, path, NULL, SVD_KDF_INTERACTIVE), 0);
	assert_int_equal(svd_file_read(&plain_text, &len, path, 4096), 0);
	key_blob(plain, sizeof(plain), plain_text);
	th_join(path, sizeof(path), th_tmp, "must-fail-enc.key");
	assert_int_equal(svd_seckey_write(sk, path, "pw", SVD_KDF_INTERACTIVE), 0);
	assert_int_equal(svd_file_read(&enc_text, &len, path, 4096), 0);
	key_blob(enc, sizeof(enc), enc_text);
	assert_int_equal(seckey_parse_blob(plain, sizeof(plain), &pass), 0);
	assert_int_equal(seckey_parse_blob(enc, sizeof(enc), &pass), 0);
	assert_int_equal(pass.calls, 1);

	/* truncated: nothing, the comment line alone, a cut key line */
	assert_int_equal(seckey_parse_str("", 0), SVD_ECORRUPT);
	assert_int_equal(seckey_parse_str(plain_text, strchr(plain_text, '\n') + 1 - plain_text),
	                 SVD_ECORRUPT);
	assert_int_equal(seckey_parse_str(plain_text, strlen(plain_text) - 10), SVD_ECORRUPT);
	/* bad base64 */
	snprintf(text, sizeof(text), "%s", plain_text);
	line2 = strchr(text, '\n') + 1;
	text[line2 - text + 20] = '!';
	assert_int_equal(seckey_parse_str(text, strlen(text)), SVD_ECORRUPT);
	/* wrong lengths */
	memcpy(blob, plain, sizeof(plain));
	blob[SECKEY_BLOB_LEN] = 0;
	assert_int_equal(seckey_parse_blob(blob, SECKEY_BLOB_LEN - 1, &pass), SVD_ECORRUPT);
	assert_int_equal(seckey_parse_blob(blob, SECKEY_BLOB_LEN + 1, &pass), SVD_ECORRUPT);
	/* wrong algorithm bytes */
	memcpy(blob, plain, sizeof(plain));
	blob[0] = 'X';
	assert_int_equal(seckey_parse_blob(blob, sizeof(plain), &pass), SVD_ECORRUPT);
	memcpy(blob, plain, sizeof(plain));
	memcpy(blob + OFF_KDF_ALG, "Ar", 2);
	assert_int_equal(seckey_parse_blob(blob, sizeof(plain), &pass), SVD_ECORRUPT);
	memcpy(blob, plain, sizeof(plain));
	memcpy(blob + OFF_CHK_ALG, "B3", 2);
	assert_int_equal(seckey_parse_blob(blob, sizeof(plain), &pass), SVD_ECORRUPT);
	/* a corrupted checksum, key id or key */
	memcpy(blob, plain, sizeof(plain));
	blob[OFF_CHK + 5] ^= 1;
	assert_int_equal(seckey_parse_blob(blob, sizeof(plain), &pass), SVD_ECORRUPT);
	assert_non_null(strstr(svd_error_last(), "checksum"));
	memcpy(blob, plain, sizeof(plain));
	blob[OFF_KEYNUM] ^= 1;
	assert_int_equal(seckey_parse_blob(blob, sizeof(plain), &pass), SVD_ECORRUPT);
	memcpy(blob, plain, sizeof(plain));
	blob[OFF_SK + 40] ^= 1;
	assert_int_equal(seckey_parse_blob(blob, sizeof(plain), &pass), SVD_ECORRUPT);
	/* stock minisign's zero checksum does not excuse a damaged key */
	memcpy(blob, plain, sizeof(plain));
	memset(blob + OFF_CHK, 0, 32);
	assert_int_equal(seckey_parse_blob(blob, sizeof(plain), &pass), 0);
	blob[OFF_SK + 40] ^= 1;
	assert_int_equal(seckey_parse_blob(blob, sizeof(plain), &pass), SVD_ECORRUPT);
	assert_non_null(strstr(svd_error_last(), "does not match its seed"));
	/* an encrypted key damaged after encryption reads as a wrong passphrase */
	memcpy(blob, enc, sizeof(enc));
	blob[OFF_SK + 3] ^= 1;
	assert_int_equal(seckey_parse_blob(blob, sizeof(enc), &pass), SVD_EPASSPHRASE);

	/* hostile scrypt limits: refused before the passphrase is asked for */
	pass.calls = 0;
	memcpy(blob, enc, sizeof(enc));
	memset(blob + OFF_MEMLIMIT, 0, 8);
	blob[OFF_MEMLIMIT] = 1;
	blob[OFF_MEMLIMIT + 3] = 0x80; /* 2 GiB + 1 */
	assert_int_equal(seckey_parse_blob(blob, sizeof(enc), &pass), SVD_ETOOBIG);
	assert_non_null(strstr(svd_error_last(), "memory"));
	assert_int_equal(pass.calls, 0);
	/*
	 * 2 GiB itself is allowed; with this small opslimit scrypt sizes itself
	 * by the opslimit alone, so it stays cheap and the key still opens
	 */
	blob[OFF_MEMLIMIT] = 0;
	assert_int_equal(seckey_parse_blob(blob, sizeof(enc), &pass), 0);
	assert_int_equal(pass.calls, 1);
	pass.calls = 0;
	memset(blob + OFF_MEMLIMIT, 0xff, 8);
	assert_int_equal(seckey_parse_blob(blob, sizeof(enc), &pass), SVD_ETOOBIG);
	memcpy(blob, enc, sizeof(enc));
	memset(blob + OFF_OPSLIMIT, 0, 8);
	blob[OFF_OPSLIMIT + 5] = 1; /* 2^40 */
	assert_int_equal(seckey_parse_blob(blob, sizeof(enc), &pass), SVD_ETOOBIG);
	assert_non_null(strstr(svd_error_last(), "opslimit"));
	assert_int_equal(pass.calls, 0);

	/* the comment line */
	b64_len = strlen(strchr(plain_text, '\n') + 1);
	snprintf(text, sizeof(text), "comment: x\n%s", strchr(plain_text, '\n') + 1);
	assert_int_equal(seckey_parse_str(text, strlen(text)), SVD_ECORRUPT);
	memset(text, 'c', SVD_COMMENT_MAX);
	memcpy(text, "untrusted comment: ", 19);
	snprintf(text + SVD_COMMENT_MAX, sizeof(text) - SVD_COMMENT_MAX, "\n%s",
	         strchr(plain_text, '\n') + 1);
	assert_int_equal(seckey_parse_str(text, strlen(text)), SVD_ETOOBIG);
	/* extra lines */
	snprintf(text, sizeof(text), "%sextra\n", plain_text);
	assert_int_equal(seckey_parse_str(text, strlen(text)), SVD_ECORRUPT);
	snprintf(text, sizeof(text), "%s\n", plain_text);
	assert_int_equal(seckey_parse_str(text, strlen(text)), SVD_ECORRUPT);
	/* line endings that are fine */
	snprintf(text, sizeof(text), "untrusted comment: crlf\r\n%.*s\r\n", (int)(b64_len - 1),
	         strchr(plain_text, '\n') + 1);
	assert_int_equal(seckey_parse_str(text, strlen(text)), 0);
	assert_int_equal(seckey_parse_str(plain_text, strlen(plain_text) - 1), 0);
	/* a NUL byte */
	snprintf(text, sizeof(text), "%s", plain_text);
	text[3] = '\0';
	assert_int_equal(seckey_parse_str(text, strlen(plain_text)), SVD_ECORRUPT);
	/* oversized */
	memset(big, 'A', sizeof(big));
	assert_int_equal(seckey_parse_str(big, sizeof(big)), SVD_ETOOBIG);
	th_join(path, sizeof(path), th_tmp, "big.key");
	assert_int_equal(svd_file_write_atomic(path, big, sizeof(big), 0600, 0), 0);
	assert_int_equal(svd_seckey_file_encrypted(path), SVD_ETOOBIG);
	assert_int_equal(svd_seckey_read(&sk, path, NULL, NULL), SVD_ETOOBIG);
	/* missing */
	th_join(path, sizeof(path), th_tmp, "missing.key");
	assert_int_equal(svd_seckey_file_encrypted(path), SVD_ENOTFOUND);
	assert_int_equal(svd_seckey_read(&sk, path, NULL, NULL), SVD_ENOTFOUND);
	assert_null(sk);

	sodium_memzero(plain, sizeof(plain));
	sodium_memzero(blob, sizeof(blob));
	free(plain_text);
	free(enc_text);
	svd_pubkey_free(pk);
}

/* Keys we write are keys stock minisign signs with, encrypted or not. */
static void test_seckey_stock_signs(void **state)
{
	char key[PATH_MAX], enc[PATH_MAX], pub[PATH_MAX], msg[PATH_MAX], sigp[PATH_MAX];
	char *text = NULL;
	size_t len = 0;
	svd_seckey *sk = NULL;
	svd_pubkey *pk = NULL;
	svd_sig *sig = NULL;
	const char body[] = "signed by stock minisign with a key samvydav wrote\n";

	(void)state;
	th_require_tool("minisign");
	assert_int_equal(svd_key_generate(&sk, &pk), 0);
	th_join(key, sizeof(key), th_tmp, "stock.key");
	th_join(enc, sizeof(enc), th_tmp, "stock-enc.key");
	th_join(pub, sizeof(pub), th_tmp, "stock.pub");
	th_join(msg, sizeof(msg), th_tmp, "stock.txt");
	th_join(sigp, sizeof(sigp), th_tmp, "stock.txt.minisig");
	assert_int_equal(svd_seckey_write(sk, key, NULL, SVD_KDF_INTERACTIVE), 0);
	assert_int_equal(svd_seckey_write(sk, enc, "stock pw", SVD_KDF_INTERACTIVE), 0);
	assert_int_equal(svd_pubkey_write(pk, pub), 0);
	assert_int_equal(svd_file_write_atomic(msg, body, strlen(body), 0644, 0), 0);

	/* unencrypted: minisign -S must not ask for anything */
	assert_int_equal(th_run("minisign -S -s '%s' -m '%s' -x '%s' -t 'stock test' </dev/null "
	                        ">/dev/null 2>&1",
	                        key, msg, sigp),
	                 0);
	assert_int_equal(
	    th_run("minisign -Vm '%s' -x '%s' -p '%s' >/dev/null 2>&1", msg, sigp, pub), 0);
	assert_int_equal(svd_file_read(&text, &len, sigp, SVD_SIGFILE_MAX), 0);
	assert_int_equal(svd_sig_parse(&sig, text, len), 0);
	assert_string_equal(svd_sig_keyid(sig), svd_pubkey_id(pk));
	assert_string_equal(svd_sig_trusted_comment(sig), "stock test");
	assert_int_equal(svd_sig_verify(sig, pk, body, strlen(body)), 0);
	svd_sig_free(sig);
	free(text);
	unlink(sigp);

	/* encrypted: the passphrase on stdin opens it, a wrong one does not */
	assert_int_equal(
	    th_run("echo 'stock pw' | minisign -S -s '%s' -m '%s' -x '%s' >/dev/null 2>&1", enc,
	           msg, sigp),
	    0);
	assert_int_equal(
	    th_run("minisign -Vm '%s' -x '%s' -p '%s' >/dev/null 2>&1", msg, sigp, pub), 0);
	unlink(sigp);
	assert_int_not_equal(th_run("echo 'wrong pw' | minisign -S -s '%s' -m '%s' -x '%s' "
	                            ">/dev/null 2>&1",
	                            enc, msg, sigp),
	                     0);
	svd_pubkey_free(pk);
	svd_seckey_free(sk);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_keyid_format),
	    cmocka_unit_test(test_pubkey_stock_fixture),
	    cmocka_unit_test(test_pubkey_forms),
	    cmocka_unit_test(test_pubkey_must_fail),
	    cmocka_unit_test(test_pubkey_files),
	    cmocka_unit_test(test_generate),
	    cmocka_unit_test(test_seckey_stock_plain),
	    cmocka_unit_test(test_seckey_stock_encrypted),
	    cmocka_unit_test(test_seckey_plain_roundtrip),
	    cmocka_unit_test(test_seckey_encrypted_roundtrip),
	    cmocka_unit_test(test_seckey_must_fail),
	    cmocka_unit_test(test_seckey_stock_signs),
	};

	return cmocka_run_group_tests(tests, th_group_setup, th_group_teardown);
}
