/*
 * sig.c: minisign-compatible signatures.
 *
 * A signature file is four lines (src/minisign.c in jedisct1/minisign):
 *
 *   untrusted comment: <text>
 *   base64("ED" || keynum[8] || Ed25519(BLAKE2b-512(message)))
 *   trusted comment: <text>
 *   base64(Ed25519(signature[64] || trusted comment))
 *
 * Only the prehashed "ED" kind is made and accepted.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "samvydav/sig.h"
#include "key_internal.h"
#include "sig_internal.h"
#include "util.h"

#define SIG_ALG_HASHED "ED"
#define SIG_ALG_LEGACY "Ed"
#define KEYNUM_LEN     8
#define SIG_BLOB_LEN   (2 + KEYNUM_LEN + crypto_sign_BYTES)

#define TRUSTED_PREFIX    "trusted comment: "
#define DEFAULT_UNTRUSTED "signature from samvydav secret key"

/*
 * The longest trusted comment line (prefix included, line ending not) that
 * minisign reads: it fgets() the line, its "\n" and a NUL into
 * SVD_TRUSTED_COMMENT_MAX bytes. The comments alone are shorter by their prefix.
 */
#define TRUSTED_LINE_MAX   (SVD_TRUSTED_COMMENT_MAX - 2)
#define TRUSTED_TEXT_MAX   (TRUSTED_LINE_MAX - (int)(sizeof(TRUSTED_PREFIX) - 1))
#define UNTRUSTED_TEXT_MAX (SVD_COMMENT_LINE_MAX - (int)(sizeof(SVD_COMMENT_PREFIX) - 1))

struct svd_sig {
	uint8_t keynum[KEYNUM_LEN];
	uint8_t sig[crypto_sign_BYTES];
	uint8_t global_sig[crypto_sign_BYTES];
	char keyid[SVD_KEYID_HEX_LEN + 1];
	char *untrusted_comment;
	char *trusted_comment;
};

int svd_ed25519_verify(const uint8_t sig[64], const void *msg, size_t len, const uint8_t pk[32])
{
	if (crypto_sign_verify_detached(sig, msg, len, pk) != 0)
		return SVD_EBADSIG;
	return 0;
}

static char *strndup_or_fail(const char *s, size_t len)
{
	char *p = malloc(len + 1);

	if (!p) {
		svd_error_set(SVD_ERROR, "out of memory for a signature");
		return NULL;
	}
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

void svd_sig_free(svd_sig *sig)
{
	if (!sig)
		return;
	free(sig->untrusted_comment);
	free(sig->trusted_comment);
	free(sig);
}

static svd_sig *sig_new(void)
{
	svd_sig *sig = calloc(1, sizeof(*sig));

	if (!sig)
		svd_error_set(SVD_ERROR, "out of memory for a signature");
	return sig;
}

/*
 * Every line is checked before anything is kept, and nothing may follow the
 * fourth: minisign ignores trailing text, and what it ignores could be made
 * to look like part of the signature to a reader.
 */
int svd_sig_parse(svd_sig **out, const char *buf, size_t len)
{
	static const char what[] = "signature";
	const size_t tplen = strlen(TRUSTED_PREFIX);
	struct svd_line lines[4];
	uint8_t blob[SIG_BLOB_LEN];
	svd_sig *sig = NULL;
	int n, error;

	*out = NULL;
	if (len > SVD_SIGFILE_MAX)
		return svd_error_set(SVD_ETOOBIG, "%s: %zu bytes, over the limit of %d bytes", what,
		                     len, SVD_SIGFILE_MAX);
	n = svd_lines_split(lines, 4, buf, len, what);
	if (n < 0)
		return n;
	if (n < 4)
		return svd_error_set(SVD_ECORRUPT, "%s: %d of 4 lines (a truncated file)", what, n);
	if ((error = svd_comment_line_check(&lines[0], 1, what)) < 0)
		return error;
	if (svd_base64_decode(blob, sizeof(blob), &lines[1]) < 0)
		return svd_error_set(SVD_ECORRUPT,
		                     "%s: line 2: not the base64 of a %d-byte minisign signature",
		                     what, SIG_BLOB_LEN);
	if (memcmp(blob, SIG_ALG_LEGACY, 2) == 0)
		return svd_error_set(SVD_ECORRUPT,
		                     "%s: legacy non-prehashed signature; sign with minisign 0.10+ "
		                     "or samvydav",
		                     what);
	if (memcmp(blob, SIG_ALG_HASHED, 2) != 0)
		return svd_error_set(SVD_ECORRUPT,
		                     "%s: unsupported signature algorithm (bytes %02x %02x; "
		                     "expected \"" SIG_ALG_HASHED "\")",
		                     what, blob[0], blob[1]);
	if (lines[2].len < tplen || memcmp(lines[2].s, TRUSTED_PREFIX, tplen) != 0)
		return svd_error_set(SVD_ECORRUPT, "%s: line 3 does not start with \"%s\"", what,
		                     TRUSTED_PREFIX);
	if (lines[2].len > TRUSTED_LINE_MAX)
		return svd_error_set(
		    SVD_ETOOBIG,
		    "%s: line 3: trusted comment line of %zu bytes, over the limit "
		    "of %d",
		    what, lines[2].len, TRUSTED_LINE_MAX);

	if (!(sig = sig_new()))
		return SVD_ERROR;
	if (svd_base64_decode(sig->global_sig, sizeof(sig->global_sig), &lines[3]) < 0) {
		error = svd_error_set(SVD_ECORRUPT,
		                      "%s: line 4: not the base64 of a %d-byte global signature",
		                      what, crypto_sign_BYTES);
		goto cleanup;
	}
	memcpy(sig->keynum, blob + 2, KEYNUM_LEN);
	memcpy(sig->sig, blob + 2 + KEYNUM_LEN, sizeof(sig->sig));
	svd_keyid_format(sig->keyid, sig->keynum);
	sig->untrusted_comment = strndup_or_fail(lines[0].s + strlen(SVD_COMMENT_PREFIX),
	                                         lines[0].len - strlen(SVD_COMMENT_PREFIX));
	sig->trusted_comment = strndup_or_fail(lines[2].s + tplen, lines[2].len - tplen);
	if (!sig->untrusted_comment || !sig->trusted_comment) {
		error = SVD_ERROR;
		goto cleanup;
	}
	*out = sig;
	sig = NULL;
	error = 0;
cleanup:
	svd_sig_free(sig);
	return error;
}

/* A comment becomes one line of the file: no line breaks, and short enough for minisign. */
static int comment_check(const char *comment, int max, const char *what)
{
	size_t len = strlen(comment);

	if (strpbrk(comment, "\r\n"))
		return svd_error_set(SVD_EINVALID, "%s: contains a line break (refused)", what);
	if (len > (size_t)max)
		return svd_error_set(SVD_EINVALID, "%s: %zu bytes, over the limit of %d", what, len,
		                     max);
	return 0;
}

/* The global signature covers the signature and the trusted comment, as minisign's does. */
static uint8_t *global_message(const svd_sig *sig, size_t *len)
{
	size_t tclen = strlen(sig->trusted_comment);
	uint8_t *buf = malloc(sizeof(sig->sig) + tclen);

	if (!buf) {
		svd_error_set(SVD_ERROR, "out of memory for a signature");
		return NULL;
	}
	memcpy(buf, sig->sig, sizeof(sig->sig));
	memcpy(buf + sizeof(sig->sig), sig->trusted_comment, tclen);
	*len = sizeof(sig->sig) + tclen;
	return buf;
}

int svd_sig_create(svd_sig **out, const svd_seckey *sk, const void *msg, size_t len,
                   const char *trusted_comment, const char *untrusted_comment)
{
	uint8_t hash[crypto_generichash_BYTES_MAX];
	uint8_t *global = NULL;
	size_t global_len = 0;
	svd_sig *sig = NULL;
	int error;

	*out = NULL;
	if (!trusted_comment)
		return svd_error_set(SVD_EINVALID, "signing: no trusted comment given");
	if (!untrusted_comment)
		untrusted_comment = DEFAULT_UNTRUSTED;
	if ((error = comment_check(trusted_comment, TRUSTED_TEXT_MAX, "trusted comment")) < 0 ||
	    (error = comment_check(untrusted_comment, UNTRUSTED_TEXT_MAX, "untrusted comment")) < 0)
		return error;

	if (!(sig = sig_new()))
		return SVD_ERROR;
	memcpy(sig->keynum, svd_seckey_id_bytes(sk), KEYNUM_LEN);
	svd_keyid_format(sig->keyid, sig->keynum);
	sig->untrusted_comment = svd_strdup(untrusted_comment);
	sig->trusted_comment = svd_strdup(trusted_comment);
	if (!sig->untrusted_comment || !sig->trusted_comment) {
		error = SVD_ERROR;
		goto cleanup;
	}
	crypto_generichash(hash, sizeof(hash), msg, len, NULL, 0);
	if ((error = svd_seckey_sign(sig->sig, sk, hash, sizeof(hash))) < 0)
		goto cleanup;
	if (!(global = global_message(sig, &global_len))) {
		error = SVD_ERROR;
		goto cleanup;
	}
	if ((error = svd_seckey_sign(sig->global_sig, sk, global, global_len)) < 0)
		goto cleanup;
	*out = sig;
	sig = NULL;
	error = 0;
cleanup:
	free(global);
	svd_sig_free(sig);
	return error;
}

int svd_sig_format(char **out, size_t *len, const svd_sig *sig)
{
	uint8_t blob[SIG_BLOB_LEN];
	char b64_sig[sodium_base64_ENCODED_LEN(SIG_BLOB_LEN, sodium_base64_VARIANT_ORIGINAL)];
	char b64_global[sodium_base64_ENCODED_LEN(crypto_sign_BYTES,
	                                          sodium_base64_VARIANT_ORIGINAL)];
	size_t size;
	char *buf;

	*out = NULL;
	*len = 0;
	memcpy(blob, SIG_ALG_HASHED, 2);
	memcpy(blob + 2, sig->keynum, KEYNUM_LEN);
	memcpy(blob + 2 + KEYNUM_LEN, sig->sig, sizeof(sig->sig));
	sodium_bin2base64(b64_sig, sizeof(b64_sig), blob, sizeof(blob),
	                  sodium_base64_VARIANT_ORIGINAL);
	sodium_bin2base64(b64_global, sizeof(b64_global), sig->global_sig, sizeof(sig->global_sig),
	                  sodium_base64_VARIANT_ORIGINAL);
	size = strlen(SVD_COMMENT_PREFIX) + strlen(sig->untrusted_comment) + 1 + sizeof(b64_sig) +
	       strlen(TRUSTED_PREFIX) + strlen(sig->trusted_comment) + 1 + sizeof(b64_global) + 1;
	if (!(buf = malloc(size)))
		return svd_error_set(SVD_ERROR, "out of memory for a signature");
	*len = (size_t)snprintf(buf, size, "%s%s\n%s\n%s%s\n%s\n", SVD_COMMENT_PREFIX,
	                        sig->untrusted_comment, b64_sig, TRUSTED_PREFIX,
	                        sig->trusted_comment, b64_global);
	*out = buf;
	return 0;
}

const char *svd_sig_keyid(const svd_sig *sig)
{
	return sig->keyid;
}

const char *svd_sig_trusted_comment(const svd_sig *sig)
{
	return sig->trusted_comment;
}

/*
 * The key id is compared first only to give a better message: the two
 * Ed25519 checks are what decide.
 */
int svd_sig_verify(const svd_sig *sig, const svd_pubkey *pk, const void *msg, size_t len)
{
	uint8_t hash[crypto_generichash_BYTES_MAX];
	uint8_t *global = NULL;
	size_t global_len = 0;
	int error;

	if (memcmp(sig->keynum, svd_pubkey_id_bytes(pk), KEYNUM_LEN) != 0)
		return svd_error_set(SVD_EBADSIG, "signature is by key %s, not key %s", sig->keyid,
		                     svd_pubkey_id(pk));
	crypto_generichash(hash, sizeof(hash), msg, len, NULL, 0);
	if (svd_ed25519_verify(sig->sig, hash, sizeof(hash), svd_pubkey_bytes(pk)) < 0)
		return svd_error_set(SVD_EBADSIG,
		                     "signature by key %s does not verify: the signed file was "
		                     "changed, or the signature was not made by this key",
		                     sig->keyid);
	if (!(global = global_message(sig, &global_len)))
		return SVD_ERROR;
	error = svd_ed25519_verify(sig->global_sig, global, global_len, svd_pubkey_bytes(pk));
	if (error < 0)
		error = svd_error_set(SVD_EBADSIG,
		                      "signature by key %s: the trusted comment was altered (its "
		                      "signature does not verify)",
		                      sig->keyid);
	free(global);
	return error;
}
