/*
 * key.c: editors' Ed25519 keys in minisign's public and secret key files.
 *
 * The layouts are minisign's (src/minisign.h in jedisct1/minisign):
 *
 *   public key  "Ed" || keynum[8] || pk[32]
 *   secret key  "Ed" || kdf ("Sc", or two zero bytes when unencrypted) || "B2"
 *               || salt[32] || opslimit[8, LE] || memlimit[8, LE]
 *               || keynum[8] || sk[64] || chk[32]
 *
 * chk = BLAKE2b-256("Ed" || keynum || sk). When encrypted, the last 104 bytes
 * are XORed with as many bytes of scrypt(passphrase, salt, opslimit, memlimit).
 * Each file is an untrusted comment line and the base64 of those bytes.
 */
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "samvydav/key.h"
#include "key_internal.h"
#include "util.h"

#define SIG_ALG    "Ed"
#define KDF_ALG    "Sc"
#define CHK_ALG    "B2"
#define KEYNUM_LEN 8

#define PUBKEY_COMMENT           "minisign public key "
#define SECKEY_COMMENT_ENCRYPTED "minisign encrypted secret key"
#define SECKEY_COMMENT_PLAIN     "minisign unencrypted secret key"

/* bytes for a passphrase and its NUL, as much as minisign reads */
#define PASSPHRASE_MAX 1024

/*
 * scrypt limits beyond these come from a damaged or hostile file: minisign
 * writes OPSLIMIT_SENSITIVE and 1 GiB (or less), and scrypt's time grows
 * with opslimit even when memory is capped.
 */
#define KDF_MEMLIMIT_MAX ((uint64_t)2 << 30)
#define KDF_OPSLIMIT_MAX ((uint64_t)crypto_pwhash_scryptsalsa208sha256_OPSLIMIT_SENSITIVE * 4)

#define PUBKEY_BLOB_LEN (2 + KEYNUM_LEN + crypto_sign_PUBLICKEYBYTES)

struct svd_pubkey {
	uint8_t keynum[KEYNUM_LEN];
	uint8_t pk[crypto_sign_PUBLICKEYBYTES];
	char id[SVD_KEYID_HEX_LEN + 1];
};

/* Only byte arrays: sodium_malloc() memory is not aligned for anything else. */
struct svd_seckey {
	uint8_t keynum[KEYNUM_LEN];
	uint8_t sk[crypto_sign_SECRETKEYBYTES];
	char id[SVD_KEYID_HEX_LEN + 1];
};

/* A secret key file's bytes, in minisign's layout. */
struct seckey_blob {
	uint8_t sig_alg[2];
	uint8_t kdf_alg[2];
	uint8_t chk_alg[2];
	uint8_t kdf_salt[crypto_pwhash_scryptsalsa208sha256_SALTBYTES];
	uint8_t opslimit_le[8];
	uint8_t memlimit_le[8];
	/* from here to the end, encrypted as one */
	uint8_t keynum[KEYNUM_LEN];
	uint8_t sk[crypto_sign_SECRETKEYBYTES];
	uint8_t chk[crypto_generichash_BYTES];
};

#define SECKEY_CIPHER_OFFSET offsetof(struct seckey_blob, keynum)
#define SECKEY_CIPHER_LEN    (sizeof(struct seckey_blob) - SECKEY_CIPHER_OFFSET)

_Static_assert(sizeof(struct seckey_blob) == 158, "minisign's secret key is 158 bytes");
_Static_assert(SECKEY_CIPHER_LEN == 104, "minisign encrypts 104 bytes");

static uint64_t le64_load(const uint8_t p[8])
{
	uint64_t x = 0;
	int i;

	for (i = 7; i >= 0; i--)
		x = x << 8 | p[i];
	return x;
}

static void le64_store(uint8_t p[8], uint64_t x)
{
	int i;

	for (i = 0; i < 8; i++)
		p[i] = (uint8_t)(x >> (8 * i));
}

void svd_keyid_format(char out[SVD_KEYID_HEX_LEN + 1], const uint8_t id[8])
{
	snprintf(out, SVD_KEYID_HEX_LEN + 1, "%016" PRIX64, le64_load(id));
}

int svd_keyid_valid(const char *s)
{
	size_t i;

	if (!s)
		return 0;
	for (i = 0; i < SVD_KEYID_HEX_LEN; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'A' && s[i] <= 'F')))
			return 0;
	return s[i] == '\0';
}

/*
 * Strict line splitting: minisign's own reader silently cuts a line at a
 * stray "\r" and ignores whatever follows the lines it wants, so text that
 * would read differently here and there is refused instead.
 */
int svd_lines_split(struct svd_line *lines, size_t max, const char *buf, size_t len,
                    const char *what)
{
	const char *nul = memchr(buf, '\0', len);
	size_t n = 0, start = 0;

	if (nul)
		return svd_error_set(SVD_ECORRUPT, "%s: NUL byte at offset %zu (not a text file)",
		                     what, (size_t)(nul - buf));
	while (start < len) {
		const char *nl = memchr(buf + start, '\n', len - start);
		size_t end = nl ? (size_t)(nl - buf) : len;
		size_t line_len = end - start;

		if (nl && line_len > 0 && buf[end - 1] == '\r')
			line_len--;
		if (n == max)
			return svd_error_set(
			    SVD_ECORRUPT,
			    "%s: more than %zu lines (unexpected text after line %zu)", what, max,
			    max);
		if (memchr(buf + start, '\r', line_len))
			return svd_error_set(SVD_ECORRUPT,
			                     "%s: line %zu: carriage return inside the line", what,
			                     n + 1);
		lines[n].s = buf + start;
		lines[n].len = line_len;
		n++;
		start = nl ? end + 1 : len;
	}
	return (int)n;
}

int svd_comment_line_check(const struct svd_line *line, size_t lineno, const char *what)
{
	size_t plen = strlen(SVD_COMMENT_PREFIX);

	if (line->len < plen || memcmp(line->s, SVD_COMMENT_PREFIX, plen) != 0)
		return svd_error_set(SVD_ECORRUPT, "%s: line %zu does not start with \"%s\"", what,
		                     lineno, SVD_COMMENT_PREFIX);
	if (line->len > SVD_COMMENT_LINE_MAX)
		return svd_error_set(
		    SVD_ETOOBIG, "%s: line %zu: comment line of %zu bytes, over the limit of %d",
		    what, lineno, line->len, SVD_COMMENT_LINE_MAX);
	return 0;
}

int svd_base64_decode(uint8_t *out, size_t n, const struct svd_line *line)
{
	size_t got = 0;

	if (sodium_base642bin(out, n, line->s, line->len, NULL, &got, NULL,
	                      sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    got != n)
		return -1;
	return 0;
}

/* minisign's checksum over the plaintext key: BLAKE2b-256("Ed" || keynum || sk). */
static void seckey_checksum(uint8_t chk[crypto_generichash_BYTES], const struct seckey_blob *blob)
{
	crypto_generichash_state st;

	crypto_generichash_init(&st, NULL, 0, crypto_generichash_BYTES);
	crypto_generichash_update(&st, blob->sig_alg, sizeof(blob->sig_alg));
	crypto_generichash_update(&st, blob->keynum, sizeof(blob->keynum));
	crypto_generichash_update(&st, blob->sk, sizeof(blob->sk));
	crypto_generichash_final(&st, chk, crypto_generichash_BYTES);
	sodium_memzero(&st, sizeof(st));
}

/* XOR the keynum, sk and chk with scrypt's output: encrypts and decrypts alike. */
static int seckey_crypt(struct seckey_blob *blob, const char *passphrase, const char *what)
{
	uint8_t *stream = sodium_malloc(SECKEY_CIPHER_LEN);
	uint8_t *p = (uint8_t *)blob + SECKEY_CIPHER_OFFSET;
	size_t i;
	int error = SVD_ERROR;

	if (!stream)
		return svd_error_set(SVD_ERROR, "%s: out of memory", what);
	if (crypto_pwhash_scryptsalsa208sha256(
	        stream, SECKEY_CIPHER_LEN, passphrase, strlen(passphrase), blob->kdf_salt,
	        le64_load(blob->opslimit_le), (size_t)le64_load(blob->memlimit_le)) != 0) {
		svd_error_set(SVD_ERROR,
		              "%s: scrypt failed to derive a key from the passphrase (out of "
		              "memory?)",
		              what);
		goto cleanup;
	}
	for (i = 0; i < SECKEY_CIPHER_LEN; i++)
		p[i] ^= stream[i];
	error = 0;
cleanup:
	sodium_free(stream);
	return error;
}

/* Check the layout and the algorithm bytes; decrypts nothing. */
static int seckey_blob_parse(struct seckey_blob *blob, const char *buf, size_t len,
                             const char *what)
{
	struct svd_line lines[2];
	int n, error;

	if (len > SVD_KEYFILE_MAX)
		return svd_error_set(SVD_ETOOBIG, "%s: %zu bytes, over the limit of %d bytes", what,
		                     len, SVD_KEYFILE_MAX);
	n = svd_lines_split(lines, 2, buf, len, what);
	if (n < 0)
		return n;
	if (n < 2)
		return svd_error_set(SVD_ECORRUPT,
		                     "%s: truncated (a secret key file has a comment line and a "
		                     "key line)",
		                     what);
	if ((error = svd_comment_line_check(&lines[0], 1, what)) < 0)
		return error;
	if (svd_base64_decode((uint8_t *)blob, sizeof(*blob), &lines[1]) < 0)
		return svd_error_set(SVD_ECORRUPT,
		                     "%s: line 2: not the base64 of a %zu-byte minisign secret key",
		                     what, sizeof(*blob));
	if (memcmp(blob->sig_alg, SIG_ALG, 2) != 0)
		return svd_error_set(SVD_ECORRUPT,
		                     "%s: unsupported signature algorithm (bytes %02x %02x; "
		                     "expected \"" SIG_ALG "\")",
		                     what, blob->sig_alg[0], blob->sig_alg[1]);
	if (memcmp(blob->chk_alg, CHK_ALG, 2) != 0)
		return svd_error_set(SVD_ECORRUPT,
		                     "%s: unsupported checksum algorithm (bytes %02x %02x; "
		                     "expected \"" CHK_ALG "\")",
		                     what, blob->chk_alg[0], blob->chk_alg[1]);
	if (memcmp(blob->kdf_alg, KDF_ALG, 2) != 0 && !sodium_is_zero(blob->kdf_alg, 2))
		return svd_error_set(SVD_ECORRUPT,
		                     "%s: unsupported key derivation (bytes %02x %02x; expected "
		                     "\"" KDF_ALG "\" or none)",
		                     what, blob->kdf_alg[0], blob->kdf_alg[1]);
	return 0;
}

static int blob_encrypted(const struct seckey_blob *blob)
{
	return memcmp(blob->kdf_alg, KDF_ALG, 2) == 0;
}

/*
 * Decrypt in place. The limits are checked before the passphrase is asked
 * for, so a hostile file can neither exhaust memory nor bother the user.
 */
static int seckey_decrypt(struct seckey_blob *blob, svd_passphrase_cb cb, void *payload,
                          const char *what)
{
	uint64_t opslimit = le64_load(blob->opslimit_le), memlimit = le64_load(blob->memlimit_le);
	uint8_t chk[crypto_generichash_BYTES];
	char *passphrase = NULL;
	int error;

	if (memlimit > KDF_MEMLIMIT_MAX)
		return svd_error_set(SVD_ETOOBIG,
		                     "%s: scrypt would need %" PRIu64 " bytes of memory, over the "
		                     "limit of %" PRIu64
		                     " (a damaged or hostile key file; refused)",
		                     what, memlimit, KDF_MEMLIMIT_MAX);
	if (opslimit > KDF_OPSLIMIT_MAX)
		return svd_error_set(SVD_ETOOBIG,
		                     "%s: scrypt opslimit %" PRIu64 " is over the limit of %" PRIu64
		                     " (a damaged or hostile key file; refused)",
		                     what, opslimit, KDF_OPSLIMIT_MAX);
	if (!cb)
		return svd_error_set(SVD_EINVALID,
		                     "%s: the secret key is encrypted, and there is no way to ask "
		                     "for its passphrase",
		                     what);
	passphrase = sodium_malloc(PASSPHRASE_MAX);
	if (!passphrase)
		return svd_error_set(SVD_ERROR, "%s: out of memory", what);
	memset(passphrase, 0, PASSPHRASE_MAX);
	error = cb(passphrase, PASSPHRASE_MAX, payload);
	if (error < 0)
		goto cleanup;
	if (!memchr(passphrase, '\0', PASSPHRASE_MAX)) {
		error = svd_error_set(SVD_EINVALID, "%s: passphrase longer than %d bytes", what,
		                      PASSPHRASE_MAX - 1);
		goto cleanup;
	}
	if ((error = seckey_crypt(blob, passphrase, what)) < 0)
		goto cleanup;
	seckey_checksum(chk, blob);
	if (sodium_memcmp(chk, blob->chk, sizeof(chk)) != 0) {
		error = svd_error_set(SVD_EPASSPHRASE,
		                      "%s: wrong passphrase (the secret key does not open with it)",
		                      what);
		goto cleanup;
	}
	error = 0;
cleanup:
	sodium_free(passphrase);
	sodium_memzero(chk, sizeof(chk));
	return error;
}

/* Does the public half stored in sk belong to its seed? */
static int seckey_consistent(const uint8_t sk[crypto_sign_SECRETKEYBYTES])
{
	uint8_t pk[crypto_sign_PUBLICKEYBYTES], sk2[crypto_sign_SECRETKEYBYTES];
	int ok;

	crypto_sign_seed_keypair(pk, sk2, sk);
	ok = sodium_memcmp(pk, sk + crypto_sign_SEEDBYTES, sizeof(pk)) == 0;
	sodium_memzero(sk2, sizeof(sk2));
	return ok;
}

static svd_seckey *seckey_new(const uint8_t keynum[KEYNUM_LEN])
{
	svd_seckey *sk = sodium_malloc(sizeof(*sk));

	if (!sk) {
		svd_error_set(SVD_ERROR, "out of memory for a secret key");
		return NULL;
	}
	memset(sk, 0, sizeof(*sk));
	memcpy(sk->keynum, keynum, KEYNUM_LEN);
	svd_keyid_format(sk->id, keynum);
	return sk;
}

/*
 * Secret keys are read-only once made: a stray write faults instead of
 * changing the key. (Not no-access: signing takes a const key, possibly from
 * several threads.)
 */
static void seckey_seal(svd_seckey *sk)
{
	sodium_mprotect_readonly(sk);
}

/*
 * The checksum cannot be trusted for an unencrypted key: stock `minisign -G
 * -W` writes zeros there. So a zero checksum is accepted, any other must be
 * right, and either way the public half must belong to the seed.
 */
static int seckey_parse_as(svd_seckey **out, const char *buf, size_t len, svd_passphrase_cb cb,
                           void *payload, const char *what)
{
	struct seckey_blob *blob;
	uint8_t chk[crypto_generichash_BYTES];
	svd_seckey *sk = NULL;
	int error;

	*out = NULL;
	blob = sodium_malloc(sizeof(*blob));
	if (!blob)
		return svd_error_set(SVD_ERROR, "%s: out of memory", what);
	if ((error = seckey_blob_parse(blob, buf, len, what)) < 0)
		goto cleanup;
	if (blob_encrypted(blob)) {
		if ((error = seckey_decrypt(blob, cb, payload, what)) < 0)
			goto cleanup;
	} else if (!sodium_is_zero(blob->chk, sizeof(blob->chk))) {
		seckey_checksum(chk, blob);
		if (sodium_memcmp(chk, blob->chk, sizeof(chk)) != 0) {
			error = svd_error_set(SVD_ECORRUPT,
			                      "%s: the checksum does not match (a damaged secret "
			                      "key file)",
			                      what);
			goto cleanup;
		}
	}
	if (!seckey_consistent(blob->sk)) {
		error = svd_error_set(SVD_ECORRUPT,
		                      "%s: the public half of the secret key does not match its "
		                      "seed (a damaged secret key file)",
		                      what);
		goto cleanup;
	}
	if (!(sk = seckey_new(blob->keynum))) {
		error = SVD_ERROR;
		goto cleanup;
	}
	memcpy(sk->sk, blob->sk, sizeof(sk->sk));
	seckey_seal(sk);
	*out = sk;
	error = 0;
cleanup:
	sodium_free(blob);
	sodium_memzero(chk, sizeof(chk));
	return error;
}

int svd_seckey_parse(svd_seckey **out, const char *buf, size_t len, svd_passphrase_cb cb,
                     void *payload)
{
	return seckey_parse_as(out, buf, len, cb, payload, "secret key");
}

/* The file's bytes hold the key itself when it is unencrypted: wipe them. */
static void key_file_free(char *buf, size_t len)
{
	if (buf) {
		sodium_memzero(buf, len);
		free(buf);
	}
}

int svd_seckey_read(svd_seckey **out, const char *path, svd_passphrase_cb cb, void *payload)
{
	char *buf = NULL;
	size_t len = 0;
	int error;

	*out = NULL;
	if ((error = svd_file_read(&buf, &len, path, SVD_KEYFILE_MAX)) < 0)
		return error;
	error = seckey_parse_as(out, buf, len, cb, payload, path);
	key_file_free(buf, len);
	return error;
}

int svd_seckey_file_encrypted(const char *path)
{
	struct seckey_blob *blob = NULL;
	char *buf = NULL;
	size_t len = 0;
	int error;

	if ((error = svd_file_read(&buf, &len, path, SVD_KEYFILE_MAX)) < 0)
		return error;
	blob = sodium_malloc(sizeof(*blob));
	if (!blob) {
		error = svd_error_set(SVD_ERROR, "%s: out of memory", path);
		goto cleanup;
	}
	if ((error = seckey_blob_parse(blob, buf, len, path)) < 0)
		goto cleanup;
	error = blob_encrypted(blob);
cleanup:
	sodium_free(blob);
	key_file_free(buf, len);
	return error;
}

/*
 * The whole file is secret when the key is unencrypted, so it is built in
 * guarded memory and wiped right after it is written.
 */
int svd_seckey_write(const svd_seckey *sk, const char *path, const char *passphrase,
                     svd_kdf_strength strength)
{
	const size_t b64_size =
	    sodium_base64_ENCODED_LEN(sizeof(struct seckey_blob), sodium_base64_VARIANT_ORIGINAL);
	struct seckey_blob *blob = NULL;
	char *b64 = NULL, *text = NULL;
	size_t text_size, text_len;
	uint64_t opslimit, memlimit;
	int error = SVD_ERROR;

	if (strength == SVD_KDF_SENSITIVE) {
		opslimit = crypto_pwhash_scryptsalsa208sha256_OPSLIMIT_SENSITIVE;
		memlimit = crypto_pwhash_scryptsalsa208sha256_MEMLIMIT_SENSITIVE;
	} else if (strength == SVD_KDF_INTERACTIVE) {
		opslimit = crypto_pwhash_scryptsalsa208sha256_OPSLIMIT_INTERACTIVE;
		memlimit = crypto_pwhash_scryptsalsa208sha256_MEMLIMIT_INTERACTIVE;
	} else {
		return svd_error_set(SVD_EINVALID, "%s: unknown scrypt strength %d", path,
		                     (int)strength);
	}
	if (passphrase && passphrase[0] == '\0')
		return svd_error_set(
		    SVD_EINVALID, "%s: empty passphrase (give one, or write the key unencrypted)",
		    path);
	if (passphrase && strlen(passphrase) >= PASSPHRASE_MAX)
		return svd_error_set(SVD_EINVALID, "%s: passphrase longer than %d bytes", path,
		                     PASSPHRASE_MAX - 1);

	text_size = sizeof(SVD_COMMENT_PREFIX SECKEY_COMMENT_PLAIN "\n") + b64_size + 1;
	blob = sodium_malloc(sizeof(*blob));
	b64 = sodium_malloc(b64_size);
	text = sodium_malloc(text_size);
	if (!blob || !b64 || !text) {
		svd_error_set(SVD_ERROR, "%s: out of memory", path);
		goto cleanup;
	}
	memset(blob, 0, sizeof(*blob));
	memcpy(blob->sig_alg, SIG_ALG, 2);
	memcpy(blob->chk_alg, CHK_ALG, 2);
	memcpy(blob->keynum, sk->keynum, sizeof(blob->keynum));
	memcpy(blob->sk, sk->sk, sizeof(blob->sk));
	seckey_checksum(blob->chk, blob);
	if (passphrase) {
		memcpy(blob->kdf_alg, KDF_ALG, 2);
		randombytes_buf(blob->kdf_salt, sizeof(blob->kdf_salt));
		le64_store(blob->opslimit_le, opslimit);
		le64_store(blob->memlimit_le, memlimit);
		if ((error = seckey_crypt(blob, passphrase, path)) < 0)
			goto cleanup;
	}
	sodium_bin2base64(b64, b64_size, (const uint8_t *)blob, sizeof(*blob),
	                  sodium_base64_VARIANT_ORIGINAL);
	text_len =
	    (size_t)snprintf(text, text_size, "%s%s\n%s\n", SVD_COMMENT_PREFIX,
	                     passphrase ? SECKEY_COMMENT_ENCRYPTED : SECKEY_COMMENT_PLAIN, b64);
	error = svd_file_write_atomic(path, text, text_len, 0600, 1);
cleanup:
	sodium_free(blob);
	sodium_free(b64);
	sodium_free(text);
	return error;
}

const char *svd_seckey_id(const svd_seckey *sk)
{
	return sk->id;
}

const uint8_t *svd_seckey_id_bytes(const svd_seckey *sk)
{
	return sk->keynum;
}

int svd_seckey_sign(uint8_t sig[64], const svd_seckey *sk, const void *msg, size_t len)
{
	if (crypto_sign_detached(sig, NULL, msg, len, sk->sk) != 0)
		return svd_error_set(SVD_ERROR, "key %s: Ed25519 signing failed", sk->id);
	return 0;
}

static svd_pubkey *pubkey_new(const uint8_t keynum[KEYNUM_LEN], const uint8_t *pk)
{
	svd_pubkey *out = malloc(sizeof(*out));

	if (!out) {
		svd_error_set(SVD_ERROR, "out of memory for a public key");
		return NULL;
	}
	memcpy(out->keynum, keynum, KEYNUM_LEN);
	memcpy(out->pk, pk, sizeof(out->pk));
	svd_keyid_format(out->id, keynum);
	return out;
}

int svd_seckey_pubkey(svd_pubkey **out, const svd_seckey *sk)
{
	*out = pubkey_new(sk->keynum, sk->sk + crypto_sign_SEEDBYTES);
	return *out ? 0 : SVD_ERROR;
}

void svd_seckey_free(svd_seckey *sk)
{
	/* sodium_free() makes the pages writable, wipes and unmaps them */
	sodium_free(sk);
}

int svd_key_generate(svd_seckey **sk, svd_pubkey **pk)
{
	uint8_t keynum[KEYNUM_LEN], public[crypto_sign_PUBLICKEYBYTES];
	svd_seckey *s;

	*sk = NULL;
	*pk = NULL;
	randombytes_buf(keynum, sizeof(keynum));
	if (!(s = seckey_new(keynum)))
		return SVD_ERROR;
	crypto_sign_keypair(public, s->sk);
	seckey_seal(s);
	if (svd_seckey_pubkey(pk, s) < 0) {
		svd_seckey_free(s);
		return SVD_ERROR;
	}
	*sk = s;
	return 0;
}

/*
 * A public key that can never verify anything (small order, not on the
 * curve, not canonical) is refused here, where the user can be told why.
 */
static int pubkey_parse_as(svd_pubkey **out, const char *buf, size_t len, const char *what)
{
	uint8_t blob[PUBKEY_BLOB_LEN];
	struct svd_line lines[2];
	const struct svd_line *key_line;
	size_t key_lineno;
	int n, error;

	*out = NULL;
	if (len > SVD_KEYFILE_MAX)
		return svd_error_set(SVD_ETOOBIG, "%s: %zu bytes, over the limit of %d bytes", what,
		                     len, SVD_KEYFILE_MAX);
	n = svd_lines_split(lines, 2, buf, len, what);
	if (n < 0)
		return n;
	if (n == 0)
		return svd_error_set(SVD_ECORRUPT, "%s: empty (no public key in it)", what);
	if (n == 2) {
		if ((error = svd_comment_line_check(&lines[0], 1, what)) < 0)
			return error;
		key_line = &lines[1];
		key_lineno = 2;
	} else {
		size_t plen = strlen(SVD_COMMENT_PREFIX);

		if (lines[0].len >= plen && memcmp(lines[0].s, SVD_COMMENT_PREFIX, plen) == 0)
			return svd_error_set(SVD_ECORRUPT,
			                     "%s: a comment line but no key line (truncated file)",
			                     what);
		key_line = &lines[0];
		key_lineno = 1;
	}
	if (svd_base64_decode(blob, sizeof(blob), key_line) < 0)
		return svd_error_set(
		    SVD_ECORRUPT, "%s: line %zu: not the base64 of a %d-byte minisign public key",
		    what, key_lineno, PUBKEY_BLOB_LEN);
	if (memcmp(blob, SIG_ALG, 2) != 0)
		return svd_error_set(SVD_ECORRUPT,
		                     "%s: unsupported signature algorithm (bytes %02x %02x; "
		                     "expected \"" SIG_ALG "\")",
		                     what, blob[0], blob[1]);
	if (!crypto_core_ed25519_is_valid_point(blob + 2 + KEYNUM_LEN))
		return svd_error_set(SVD_ECORRUPT,
		                     "%s: not a usable Ed25519 public key (small order or not a "
		                     "valid point)",
		                     what);
	*out = pubkey_new(blob + 2, blob + 2 + KEYNUM_LEN);
	return *out ? 0 : SVD_ERROR;
}

int svd_pubkey_parse(svd_pubkey **out, const char *buf, size_t len)
{
	return pubkey_parse_as(out, buf, len, "public key");
}

int svd_pubkey_read(svd_pubkey **out, const char *path)
{
	char *buf = NULL;
	size_t len = 0;
	int error;

	*out = NULL;
	if ((error = svd_file_read(&buf, &len, path, SVD_KEYFILE_MAX)) < 0)
		return error;
	error = pubkey_parse_as(out, buf, len, path);
	free(buf);
	return error;
}

int svd_pubkey_format(char **out, size_t *len, const svd_pubkey *pk)
{
	uint8_t blob[PUBKEY_BLOB_LEN];
	char b64[sodium_base64_ENCODED_LEN(PUBKEY_BLOB_LEN, sodium_base64_VARIANT_ORIGINAL)];
	const size_t size =
	    sizeof(SVD_COMMENT_PREFIX PUBKEY_COMMENT "\n") + SVD_KEYID_HEX_LEN + sizeof(b64) + 1;
	char *buf;

	*out = NULL;
	*len = 0;
	memcpy(blob, SIG_ALG, 2);
	memcpy(blob + 2, pk->keynum, KEYNUM_LEN);
	memcpy(blob + 2 + KEYNUM_LEN, pk->pk, sizeof(pk->pk));
	sodium_bin2base64(b64, sizeof(b64), blob, sizeof(blob), sodium_base64_VARIANT_ORIGINAL);
	if (!(buf = malloc(size)))
		return svd_error_set(SVD_ERROR, "out of memory");
	*len = (size_t)snprintf(buf, size, "%s%s%s\n%s\n", SVD_COMMENT_PREFIX, PUBKEY_COMMENT,
	                        pk->id, b64);
	*out = buf;
	return 0;
}

int svd_pubkey_write(const svd_pubkey *pk, const char *path)
{
	char *buf = NULL;
	size_t len = 0;
	int error;

	if ((error = svd_pubkey_format(&buf, &len, pk)) < 0)
		return error;
	error = svd_file_write_atomic(path, buf, len, 0644, 0);
	free(buf);
	return error;
}

const char *svd_pubkey_id(const svd_pubkey *pk)
{
	return pk->id;
}

const uint8_t *svd_pubkey_id_bytes(const svd_pubkey *pk)
{
	return pk->keynum;
}

const uint8_t *svd_pubkey_bytes(const svd_pubkey *pk)
{
	return pk->pk;
}

int svd_pubkey_dup(svd_pubkey **out, const svd_pubkey *pk)
{
	*out = pubkey_new(pk->keynum, pk->pk);
	return *out ? 0 : SVD_ERROR;
}

void svd_pubkey_free(svd_pubkey *pk)
{
	free(pk);
}
