/*
 * seal_key.c: mirrors' X25519 key pairs and their files (SPEC.md, 12.1).
 *
 *   public key file  "samvydav mirror key 1\n" + 64 lowercase hex digits + "\n"
 *   secret key file  "samvydav mirror secret key 1\n" + 64 lowercase hex digits + "\n"
 *
 * One way to write each, so one way to read it: a file that differs from
 * what svd_seal_*_format() writes by a single byte (a CR, a capital, a
 * missing newline, a trailing line) is refused, and the message says which
 * line is wrong and how. A key file comes from another mirror, by hand or
 * on a stick, and is untrusted. The key itself is never quoted in a
 * message.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "samvydav/seal.h"

#define PUBLIC_HEADER "samvydav mirror key 1"
#define SECRET_HEADER "samvydav mirror secret key 1"
#define MINISIGN_HEAD "untrusted comment:"
#define HEX_LEN       (2 * SVD_SEAL_KEY_LEN)

_Static_assert(SVD_SEAL_KEY_LEN == crypto_scalarmult_BYTES, "an X25519 key is 32 bytes");
_Static_assert(SVD_SEAL_KEY_LEN == crypto_scalarmult_SCALARBYTES, "an X25519 key is 32 bytes");

void svd_seal_keypair(uint8_t pk[SVD_SEAL_KEY_LEN], uint8_t sk[SVD_SEAL_KEY_LEN])
{
	/* every 32 bytes are a secret key (X25519 clamps), and its public key is never zero */
	randombytes_buf(sk, SVD_SEAL_KEY_LEN);
	crypto_scalarmult_base(pk, sk);
}

int svd_seal_public(uint8_t pk[SVD_SEAL_KEY_LEN], const uint8_t sk[SVD_SEAL_KEY_LEN])
{
	if (crypto_scalarmult_base(pk, sk) != 0 || sodium_is_zero(pk, SVD_SEAL_KEY_LEN))
		return svd_error_set(SVD_EINVALID, "not a usable X25519 secret key");
	return 0;
}

/* header + "\n" + hex + "\n" into out (hlen + HEX_LEN + 3 bytes, NUL-terminated). */
static void format_into(char *out, const char *header, const uint8_t key[SVD_SEAL_KEY_LEN])
{
	static const char digits[] = "0123456789abcdef";
	size_t hlen = strlen(header), i;
	char *p = out;

	memcpy(p, header, hlen);
	p += hlen;
	*p++ = '\n';
	for (i = 0; i < SVD_SEAL_KEY_LEN; i++) {
		*p++ = digits[key[i] >> 4];
		*p++ = digits[key[i] & 15];
	}
	*p++ = '\n';
	*p = '\0';
}

char *svd_seal_public_format(const uint8_t pk[SVD_SEAL_KEY_LEN])
{
	char *out = malloc(sizeof(PUBLIC_HEADER) + HEX_LEN + 2);

	if (!out) {
		svd_error_set(SVD_ERROR, "out of memory");
		return NULL;
	}
	format_into(out, PUBLIC_HEADER, pk);
	return out;
}

char *svd_seal_secret_format(const uint8_t sk[SVD_SEAL_KEY_LEN])
{
	char *out = sodium_malloc(sizeof(SECRET_HEADER) + HEX_LEN + 2);

	if (!out) {
		svd_error_set(SVD_ERROR, "out of memory");
		return NULL;
	}
	format_into(out, SECRET_HEADER, sk);
	return out;
}

void svd_seal_secret_free(char *text)
{
	/* sodium_free() wipes the pages before it unmaps them */
	sodium_free(text);
}

static int lower_hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Why line 1 is not header: the likely mistakes first, named. */
static int bad_first_line(const char *s, size_t len, const char *header, const char *what)
{
	int public = strcmp(header, PUBLIC_HEADER) == 0;
	const char *other = public ? SECRET_HEADER : PUBLIC_HEADER;
	size_t olen = strlen(other), hlen = strlen(header);

	if (len > olen && !memcmp(s, other, olen) && s[olen] == '\n')
		return svd_error_set(SVD_ECORRUPT, "%s: line 1: this is a %s key file, not a %s",
		                     what, public ? "secret" : "public", what);
	if (len == hlen && !memcmp(s, header, hlen))
		return svd_error_set(SVD_ECORRUPT,
		                     "%s: the file ends in line 1 (it is cut short: line 2, the "
		                     "key, is missing)",
		                     what);
	if (len >= strlen(MINISIGN_HEAD) && !memcmp(s, MINISIGN_HEAD, strlen(MINISIGN_HEAD)))
		return svd_error_set(SVD_ECORRUPT,
		                     "%s: line 1: this is a minisign key (an editor's, for "
		                     "'samvydav trust'), not a mirror's encryption key",
		                     what);
	return svd_error_set(SVD_ECORRUPT, "%s: line 1 is not \"%s\"", what, header);
}

/*
 * The one parser of both files. The key is decoded straight into key and
 * wiped there on any failure, so no copy of a secret is left behind.
 */
static int parse(uint8_t key[SVD_SEAL_KEY_LEN], const void *text, size_t len, const char *header,
                 const char *what)
{
	const char *s = text, *hex, *nul;
	size_t hlen = strlen(header), digits, i;

	if (!s || len == 0)
		return svd_error_set(SVD_ECORRUPT,
		                     "%s: empty (it has two lines: \"%s\" and 64 hex "
		                     "digits)",
		                     what, header);
	if ((nul = memchr(s, '\0', len)))
		return svd_error_set(SVD_ECORRUPT, "%s: a NUL byte at offset %zu (not a text file)",
		                     what, (size_t)(nul - s));
	if (len < hlen + 1 || memcmp(s, header, hlen) != 0 || s[hlen] != '\n') {
		if (len > hlen && !memcmp(s, header, hlen) && s[hlen] == '\r')
			return svd_error_set(
			    SVD_ECORRUPT,
			    "%s: line 1 ends in CR LF; a key file's lines end in LF "
			    "alone",
			    what);
		return bad_first_line(s, len, header, what);
	}
	hex = s + hlen + 1;
	len -= hlen + 1;
	if (len == 0)
		return svd_error_set(SVD_ECORRUPT,
		                     "%s: the file ends after line 1 (it is cut short: line 2, the "
		                     "key, is missing)",
		                     what);
	for (digits = 0; digits < len && hex[digits] != '\n'; digits++)
		if (lower_hex(hex[digits]) < 0)
			break;
	if (digits < len && hex[digits] != '\n') {
		char c = hex[digits];
		if (c >= 'A' && c <= 'F')
			return svd_error_set(
			    SVD_ECORRUPT,
			    "%s: line 2: an uppercase hex digit at column %zu (the key "
			    "is written in lowercase)",
			    what, digits + 1);
		if (c == '\r' && digits + 1 < len && hex[digits + 1] == '\n')
			return svd_error_set(
			    SVD_ECORRUPT,
			    "%s: line 2 ends in CR LF; a key file's lines end in LF "
			    "alone",
			    what);
		return svd_error_set(SVD_ECORRUPT,
		                     "%s: line 2: column %zu is not a hex digit (the line is 64 "
		                     "lowercase hex digits)",
		                     what, digits + 1);
	}
	if (digits != HEX_LEN)
		return svd_error_set(SVD_ECORRUPT, "%s: line 2: %zu hex digits, not %d", what,
		                     digits, HEX_LEN);
	if (len == HEX_LEN)
		return svd_error_set(
		    SVD_ECORRUPT, "%s: line 2 does not end with a newline (the file is cut short?)",
		    what);
	if (len > HEX_LEN + 1)
		return svd_error_set(SVD_ECORRUPT,
		                     "%s: %zu bytes after line 2 (a key file has two lines and "
		                     "nothing else)",
		                     what, len - HEX_LEN - 1);
	for (i = 0; i < SVD_SEAL_KEY_LEN; i++)
		key[i] = (uint8_t)(lower_hex(hex[2 * i]) << 4 | lower_hex(hex[2 * i + 1]));
	return 0;
}

int svd_seal_public_parse(uint8_t pk[SVD_SEAL_KEY_LEN], const void *text, size_t len)
{
	return parse(pk, text, len, PUBLIC_HEADER, "public key file");
}

int svd_seal_secret_parse(uint8_t sk[SVD_SEAL_KEY_LEN], const void *text, size_t len)
{
	int error = parse(sk, text, len, SECRET_HEADER, "secret key file");

	if (error < 0)
		sodium_memzero(sk, SVD_SEAL_KEY_LEN);
	return error;
}

void svd_seal_fingerprint(char out[20], const uint8_t pk[SVD_SEAL_KEY_LEN])
{
	uint8_t h[32];

	crypto_generichash(h, sizeof(h), pk, SVD_SEAL_KEY_LEN, NULL, 0);
	snprintf(out, 20, "%02X%02X-%02X%02X-%02X%02X-%02X%02X", h[0], h[1], h[2], h[3], h[4], h[5],
	         h[6], h[7]);
}
