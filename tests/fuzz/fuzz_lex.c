/*
 * fuzz_lex.c: the search's word forms — bytes to svd_tokens(), then each
 * token to svd_translit() under both schemes and to svd_stem() under
 * Russian, English, French, German, Greek and Spanish (SPEC.md 11.4, 11.6,
 * 11.7). Every token is valid UTF-8 of 2 to 32 code points, folded; a
 * Latin form is 2 to 32 characters of ASCII a-z and 0-9; a stem is valid
 * UTF-8 of 2 to 32 token code points, folded, and not the token. The input
 * as one token too (no crash, no form that breaks those rules).
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "render_internal.h"
#include "util.h"

static const char *const langs[] = {"ru", "en", "fr", "de", "el", "es"};
#define NLANGS (sizeof(langs) / sizeof(langs[0]))
static svd_stemmer *stemmers[NLANGS];

/* Code points of valid UTF-8 s, each a token's (folded when fold is set), else 0. */
static size_t token_cps(const char *s, size_t len, int fold)
{
	size_t i, used, n = 0;

	if (!svd_utf8_valid(s, len))
		return 0;
	for (i = 0; i < len; i += used, n++) {
		uint32_t cp = svd_utf8_next(s + i, len - i, &used);
		if (!svd_token_cp(cp) || (fold && svd_fold_cp(cp) != cp))
			return 0;
	}
	return n;
}

static void check_translit(const char *tok, size_t len, int scheme)
{
	svd_buf b;
	size_t i;
	int r;

	svd_buf_init(&b, 4096);
	if ((r = svd_translit(&b, tok, len, scheme)) < 0)
		abort();
	if (r == 0 && b.len != 0)
		abort();
	if (r == 1) {
		if (b.len < SVD_TOKEN_MIN || b.len > SVD_TOKEN_MAX)
			abort();
		for (i = 0; i < b.len; i++)
			if (!((b.data[i] >= 'a' && b.data[i] <= 'z') ||
			      (b.data[i] >= '0' && b.data[i] <= '9')))
				abort();
	}
	svd_buf_clear(&b);
}

static void check_stem(svd_stemmer *st, const char *tok, size_t len)
{
	size_t n;
	svd_buf b;
	int r;

	svd_buf_init(&b, 4096);
	if ((r = svd_stem(&b, st, tok, len)) < 0)
		abort();
	if (r == 0 && b.len != 0)
		abort();
	if (r == 1) {
		n = token_cps(b.data, b.len, 1);
		if (n < SVD_TOKEN_MIN || n > SVD_TOKEN_MAX)
			abort();
		if (b.len == len && memcmp(b.data, tok, len) == 0)
			abort();
	}
	svd_buf_clear(&b);
}

static int each_token(const char *tok, size_t len, void *payload)
{
	size_t n = token_cps(tok, len, 1), i;

	(void)payload;
	if (n < SVD_TOKEN_MIN || n > SVD_TOKEN_MAX)
		abort();
	check_translit(tok, len, SVD_TRANSLIT_UK);
	check_translit(tok, len, SVD_TRANSLIT_RU);
	for (i = 0; i < NLANGS; i++)
		check_stem(stemmers[i], tok, len);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t i;

	fuzz_init();
	if (!stemmers[0])
		for (i = 0; i < NLANGS; i++)
			if (svd_stemmer_new(&stemmers[i], langs[i]) < 0)
				abort();
	if (svd_tokens((const char *)data, size, each_token, NULL) != 0)
		abort();
	/* the bytes as one token, as a caller might pass anything: no crash, no form that lies */
	if (size <= 256) {
		check_translit((const char *)data, size, SVD_TRANSLIT_UK);
		check_translit((const char *)data, size, SVD_TRANSLIT_RU);
		if (svd_utf8_valid((const char *)data, size))
			check_stem(stemmers[0], (const char *)data, size);
	}
	return 0;
}
