/*
 * test_translit.c: the Latin forms of Cyrillic tokens (SPEC.md, 11.6,
 * render_translit.c). Every case of tests/data/translit-cases.txt (the
 * script's side reads the same file: tests/cli/translit_js.sh); the choice
 * of scheme by language; every letter of both tables giving ASCII; the caps;
 * search/translit.js listing the tables.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "helpers.h"
#include "render_internal.h"
#include "util.h"

/* svd_translit of s under scheme, as a string ("-" for no form); static, overwritten. */
static const char *latin(const char *s, int scheme)
{
	static char got[64];
	svd_buf b;
	int r;

	svd_buf_init(&b, 4096);
	r = svd_translit(&b, s, strlen(s), scheme);
	assert_true(r == 0 || r == 1);
	assert_int_equal(b.error, 0);
	if (r == 0) {
		assert_int_equal(b.len, 0);
		snprintf(got, sizeof(got), "-");
	} else {
		assert_true(b.len >= SVD_TOKEN_MIN && b.len <= SVD_TOKEN_MAX);
		snprintf(got, sizeof(got), "%s", b.data);
	}
	svd_buf_clear(&b);
	return got;
}

static void check(const char *in, int scheme, const char *want, int line)
{
	const char *got = latin(in, scheme);

	if (strcmp(got, want))
		fail_msg("translit-cases.txt:%d: \"%s\" (%s) gives \"%s\", the case says \"%s\"",
		         line, in, scheme == SVD_TRANSLIT_UK ? "uk" : "ru", got, want);
}

/* Every case of tests/data/translit-cases.txt. */
static void test_cases(void **state)
{
	char *text = th_read_fixture("translit-cases.txt", NULL), *line, *next;
	size_t cases = 0;
	int n = 0;

	(void)state;
	for (line = text; line; line = next) {
		char *scheme, *want;

		n++;
		if ((next = strchr(line, '\n')))
			*next++ = '\0';
		if (line[0] == '#' || !line[0])
			continue;
		scheme = strchr(line, '\t');
		assert_non_null(scheme);
		*scheme++ = '\0';
		want = strchr(scheme, '\t');
		assert_non_null(want);
		*want++ = '\0';
		if (!strcmp(scheme, "uk") || !strcmp(scheme, "both"))
			check(line, SVD_TRANSLIT_UK, want, n);
		if (!strcmp(scheme, "ru") || !strcmp(scheme, "both"))
			check(line, SVD_TRANSLIT_RU, want, n);
		if (strcmp(scheme, "uk") && strcmp(scheme, "ru") && strcmp(scheme, "both"))
			fail_msg("translit-cases.txt:%d: scheme \"%s\"", n, scheme);
		cases++;
	}
	assert_true(cases >= 80);
	free(text);
}

static void test_scheme(void **state)
{
	(void)state;
	assert_int_equal(svd_translit_scheme("uk"), SVD_TRANSLIT_UK);
	assert_int_equal(svd_translit_scheme("UK"), SVD_TRANSLIT_UK);
	assert_int_equal(svd_translit_scheme("uk-UA"), SVD_TRANSLIT_UK);
	assert_int_equal(svd_translit_scheme("uk-Latn"), SVD_TRANSLIT_UK);
	assert_int_equal(svd_translit_scheme("ru"), SVD_TRANSLIT_RU);
	assert_int_equal(svd_translit_scheme("be"), SVD_TRANSLIT_RU);
	assert_int_equal(svd_translit_scheme("ukr"), SVD_TRANSLIT_RU);
	assert_int_equal(svd_translit_scheme("u"), SVD_TRANSLIT_RU);
	assert_int_equal(svd_translit_scheme(""), SVD_TRANSLIT_RU);
	assert_int_equal(svd_translit_scheme(NULL), SVD_TRANSLIT_RU);
}

/* Each letter, first, between and last, in both schemes: ASCII a-z only, within the caps. */
static void test_every_letter(void **state)
{
	static const uint32_t extra[] = {0x0454, 0x0456, 0x0457, 0x0491};
	uint32_t cp;
	size_t e;

	(void)state;
	for (cp = 0x0430, e = 0; cp <= 0x044F || e < sizeof(extra) / sizeof(extra[0]);) {
		uint32_t c = cp <= 0x044F ? cp++ : extra[e++];
		char tok[16];
		size_t n = 0;
		int scheme, i;

		tok[n++] = 'a';
		n += svd_utf8_put(tok + n, c);
		tok[n++] = 'a';
		n += svd_utf8_put(tok + n, c);
		tok[n] = '\0';
		for (scheme = SVD_TRANSLIT_UK; scheme <= SVD_TRANSLIT_RU; scheme++) {
			const char *got = latin(tok, scheme);

			assert_string_not_equal(got, "-");
			for (i = 0; got[i]; i++)
				assert_true(got[i] >= 'a' && got[i] <= 'z');
			assert_true(got[0] == 'a'); /* the letter is not first: no initial form */
		}
	}
}

/* What comes back and what goes where: appended, errors, the caps. */
static void test_contract(void **state)
{
	svd_buf b;

	(void)state;
	svd_buf_init(&b, 4096);
	svd_buf_puts(&b, "x ");
	assert_int_equal(svd_translit(&b, "\xd0\xba\xd0\xb8\xd1\x97\xd0\xb2", 8, SVD_TRANSLIT_UK),
	                 1);
	assert_string_equal(b.data, "x kyiv");
	assert_int_equal(svd_translit(&b, "kyiv", 4, SVD_TRANSLIT_UK), 0);
	assert_string_equal(b.data, "x kyiv");
	assert_int_equal(svd_translit(&b, "\xd0\xba\xd0\xb8", 4, 0), SVD_EINVALID);
	assert_int_equal(svd_translit(&b, "\xd0\xba\xd0\xb8", 4, 3), SVD_EINVALID);
	/* invalid UTF-8, a NUL, an empty token: no form */
	assert_int_equal(svd_translit(&b, "\xd0\xba\xd0", 3, SVD_TRANSLIT_RU), 0);
	assert_int_equal(svd_translit(&b, "\xd0\xba\0\xd0\xb8", 5, SVD_TRANSLIT_RU), 0);
	assert_int_equal(svd_translit(&b, "", 0, SVD_TRANSLIT_RU), 0);
	assert_string_equal(b.data, "x kyiv");
	svd_buf_clear(&b);

	/* a full buffer: its error, and it stays */
	svd_buf_init(&b, 3);
	assert_int_equal(svd_translit(&b, "\xd0\xba\xd0\xb8\xd1\x97\xd0\xb2", 8, SVD_TRANSLIT_UK),
	                 SVD_ETOOBIG);
	assert_int_equal(svd_translit(&b, "\xd0\xba\xd0\xb8", 4, SVD_TRANSLIT_UK), SVD_ETOOBIG);
	svd_buf_clear(&b);

	/* 32 Latin letters are a token, 33 are none */
	assert_string_equal(latin("\xd1\x89\xd1\x89\xd1\x89\xd1\x89\xd1\x89\xd1\x89\xd1\x89\xd0\xb6"
	                          "\xd0\xb6",
	                          SVD_TRANSLIT_RU),
	                    "shchshchshchshchshchshchshchzhzh"); /* 28 + 4 */
	assert_string_equal(latin("\xd1\x89\xd1\x89\xd1\x89\xd1\x89\xd1\x89\xd1\x89\xd1\x89\xd0\xb6"
	                          "\xd0\xb6\xd0\xb0",
	                          SVD_TRANSLIT_RU),
	                    "-");
}

/* search/translit.js: ASCII, the call, each table's entries. */
static void test_js(void **state)
{
	svd_buf b;
	size_t i, entries = 0;

	(void)state;
	svd_buf_init(&b, 1 << 16);
	assert_int_equal(svd_render_translit_js(&b), 0);
	for (i = 0; i < b.len; i++)
		assert_true((unsigned char)b.data[i] < 0x80 && b.data[i] != '\0');
	for (i = 0; i + 2 < b.len; i++)
		entries += b.data[i] == '"' && b.data[i + 1] == ':' && b.data[i + 2] == '"';
	/* uk: 37 letters, 5 initial forms, 1 pair; ru: 33 letters; the two "only" */
	assert_int_equal(entries, 37 + 5 + 1 + 33 + 2);
	assert_non_null(strstr(b.data, "svdTranslit({"));
	assert_non_null(strstr(b.data, "\"min\":2,\"max\":32,\"order\":[\"uk\",\"ru\"]"));
	assert_non_null(strstr(b.data, "\"\\u0445\":\"kh\""));        /* х */
	assert_non_null(strstr(b.data, "\"\\u0433\":\"h\""));         /* г, uk */
	assert_non_null(strstr(b.data, "\"\\u0433\":\"g\""));         /* г, ru */
	assert_non_null(strstr(b.data, "\"\\u0437\\u0433\":\"gh\"")); /* зг */
	assert_non_null(strstr(b.data, "\"\\u0457\":\"yi\""));        /* ї, initial */
	assert_non_null(strstr(b.data, "\"\\u02BC\":\"\""));          /* ʼ, not written */
	assert_non_null(strstr(b.data, "\"only\":\"\\u0454\\u0456\\u0457\\u0491\""));
	assert_non_null(strstr(b.data, "\"only\":\"\\u044A\\u044B\\u044D\""));
	assert_non_null(strstr(b.data, "\n});\n"));
	svd_buf_clear(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_cases),        cmocka_unit_test(test_scheme),
	    cmocka_unit_test(test_every_letter), cmocka_unit_test(test_contract),
	    cmocka_unit_test(test_js),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
