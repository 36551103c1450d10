/*
 * test_utf8.c: the library's one UTF-8 decoder (util.c) and what is built
 * on it: validation, control characters, encoding. Every way bytes can fail
 * to be UTF-8 (overlong forms, surrogates, code points above U+10FFFF,
 * sequences cut short, stray or missing continuation bytes) must come out
 * as U+FFFD one byte long, as invalid, and the same through every caller.
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

/* s (n bytes) decodes to cp, used bytes long. */
static void expect_next(const char *s, size_t n, uint32_t cp, size_t used)
{
	size_t got = 99;
	uint32_t c = svd_utf8_next(s, n, &got);

	if (c != cp || got != used)
		fail_msg("%zu bytes from %02X: U+%04X (%zu bytes), want U+%04X (%zu bytes)", n,
		         n ? (unsigned char)s[0] : 0, (unsigned)c, got, (unsigned)cp, used);
}

/* Not UTF-8 at its first byte: U+FFFD, one byte long, and not valid. */
static void expect_bad(const char *s, size_t n)
{
	expect_next(s, n, 0xFFFD, 1);
	assert_false(svd_utf8_valid(s, n));
}

static void test_shortest_forms(void **state)
{
	const char *mixed = "Київ, Αθήνα, 日本, \xF0\x9F\x98\x80";

	(void)state;
	expect_next("A", 1, 'A', 1);
	expect_next("\x00", 1, 0, 1);
	expect_next("\x7F", 1, 0x7F, 1);
	/* the first and last code point of each length */
	expect_next("\xC2\x80", 2, 0x80, 2);
	expect_next("\xDF\xBF", 2, 0x7FF, 2);
	expect_next("\xE0\xA0\x80", 3, 0x800, 3);
	expect_next("\xED\x9F\xBF", 3, 0xD7FF, 3);
	expect_next("\xEE\x80\x80", 3, 0xE000, 3);
	expect_next("\xEF\xBF\xBF", 3, 0xFFFF, 3);
	expect_next("\xF0\x90\x80\x80", 4, 0x10000, 4);
	expect_next("\xF4\x8F\xBF\xBF", 4, 0x10FFFF, 4);
	/* a U+FFFD in the text is three bytes long, and valid */
	expect_next("\xEF\xBF\xBD", 3, 0xFFFD, 3);
	assert_true(svd_utf8_valid("\xEF\xBF\xBD", 3));
	/* only the sequence is read, whatever follows */
	expect_next("\xD0\x9A\xD0\xB8", 4, 0x41A, 2);
	assert_true(svd_utf8_valid(mixed, strlen(mixed)));
	assert_true(svd_utf8_valid("", 0));
}

static void test_overlong(void **state)
{
	(void)state;
	expect_bad("\xC0\x80", 2); /* U+0000 in two bytes */
	expect_bad("\xC0\xAF", 2); /* '/' */
	expect_bad("\xC1\xBF", 2); /* U+007F */
	expect_bad("\xE0\x80\x80", 3);
	expect_bad("\xE0\x80\xAF", 3);
	expect_bad("\xE0\x9F\xBF", 3); /* U+07FF in three bytes */
	expect_bad("\xF0\x80\x80\x80", 4);
	expect_bad("\xF0\x80\x80\xAF", 4);
	expect_bad("\xF0\x8F\xBF\xBF", 4); /* U+FFFF in four bytes */
	/* five- and six-byte forms of old */
	expect_bad("\xF8\x80\x80\x80\xAF", 5);
	expect_bad("\xFC\x80\x80\x80\x80\xAF", 6);
}

static void test_surrogates(void **state)
{
	(void)state;
	expect_bad("\xED\xA0\x80", 3); /* U+D800 */
	expect_bad("\xED\xAD\xBF", 3); /* U+DB7F */
	expect_bad("\xED\xB0\x80", 3); /* U+DC00 */
	expect_bad("\xED\xBF\xBF", 3); /* U+DFFF */
	/* a pair, as CESU-8 writes U+10000 */
	expect_bad("\xED\xA0\x80\xED\xB0\x80", 6);
}

static void test_above_max(void **state)
{
	(void)state;
	expect_bad("\xF4\x90\x80\x80", 4); /* U+110000 */
	expect_bad("\xF4\xBF\xBF\xBF", 4);
	expect_bad("\xF5\x80\x80\x80", 4);
	expect_bad("\xF7\xBF\xBF\xBF", 4); /* U+1FFFFF */
	expect_bad("\xFE", 1);
	expect_bad("\xFF", 1);
}

static void test_truncated(void **state)
{
	(void)state;
	/* nothing left to read (the empty text itself is valid) */
	expect_next("", 0, 0xFFFD, 1);
	expect_bad("\xC3", 1);
	expect_bad("\xE2\x82", 2);
	expect_bad("\xE2", 1);
	expect_bad("\xF0\x9F\x98", 3);
	expect_bad("\xF0\x9F", 2);
	/* the bytes are there, but n says they are not ours */
	expect_bad("\xE2\x82\xAC", 2);
	expect_next("\xE2\x82\xAC", 3, 0x20AC, 3);
	/* a good start, then the text ends */
	assert_false(svd_utf8_valid("abc\xD0", 4));
	assert_false(svd_utf8_valid("abc\xF0\x9F\x98", 6));
}

static void test_continuation(void **state)
{
	(void)state;
	/* a continuation byte where a sequence should start */
	expect_bad("\x80", 1);
	expect_bad("\xBF", 1);
	expect_bad("\x80\x80", 2);
	/* a sequence that does not go on */
	expect_bad("\xC3\x28", 2);
	expect_bad("\xE2\x28\xA1", 3);
	expect_bad("\xE2\x82\x28", 3);
	expect_bad("\xF0\x9F\x98\x28", 4);
	expect_bad("\xC3\xC3\xA9", 3);
	/* after a bad byte the next one is read on its own */
	expect_next("\xC3\x28" + 1, 1, '(', 1);
}

/* The offset of the first control character, or -1. */
static void test_control_at(void **state)
{
	(void)state;
	assert_int_equal(svd_utf8_control_at("abc", 3), -1);
	assert_int_equal(svd_utf8_control_at("", 0), -1);
	assert_int_equal(svd_utf8_control_at("a\x00z", 3), 1);
	assert_int_equal(svd_utf8_control_at("ab\tc", 4), 2);
	assert_int_equal(svd_utf8_control_at("ab\x1F", 3), 2);
	assert_int_equal(svd_utf8_control_at("ab\x7F", 3), 2);
	assert_int_equal(svd_utf8_control_at("ab \x20", 4), -1);
	/* C1 controls U+0080..U+009F, after a two- and a three-byte character */
	assert_int_equal(svd_utf8_control_at("\xC3\xA9\xC2\x80", 4), 2);
	assert_int_equal(svd_utf8_control_at("\xE2\x82\xAC\xC2\x9F", 5), 3);
	/* U+00A0 and the rest of Latin-1 are no controls */
	assert_int_equal(svd_utf8_control_at("\xC2\xA0\xC2\xBF\xC3\xBF", 6), -1);
	/* nor are the continuation bytes 80..9F inside other characters */
	assert_int_equal(svd_utf8_control_at("\xD0\x80\xE2\x80\x9F\xF0\x9F\x98\x80", 9), -1);
	/* a C1 control cut short is no control */
	assert_int_equal(svd_utf8_control_at("a\xC2", 2), -1);
}

/*
 * Every code point but the surrogates encodes and decodes back, in the
 * shortest form; valid says yes to it, and a byte less is truncated.
 */
static void test_round_trip(void **state)
{
	uint32_t cp;

	(void)state;
	for (cp = 0; cp <= 0x10FFFF; cp++) {
		char enc[4];
		size_t n, used;

		if (cp >= 0xD800 && cp <= 0xDFFF)
			continue;
		n = svd_utf8_put(enc, cp);
		assert_int_equal(n, cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4);
		if (svd_utf8_next(enc, n, &used) != cp || used != n)
			fail_msg("U+%04X does not come back from its UTF-8", (unsigned)cp);
		if (!svd_utf8_valid(enc, n))
			fail_msg("U+%04X: its UTF-8 is not valid", (unsigned)cp);
		if (n > 1 && svd_utf8_valid(enc, n - 1))
			fail_msg("U+%04X: its UTF-8 less a byte is valid", (unsigned)cp);
	}
}

/*
 * The callers agree with the decoder on every string of two bytes: valid
 * exactly when decoding never gives a one-byte U+FFFD; folding and the HTML
 * escape turn invalid bytes into U+FFFD and keep valid text.
 */
static void test_callers_agree(void **state)
{
	unsigned a, b;

	(void)state;
	for (a = 0; a < 256; a++) {
		for (b = 0; b < 256; b++) {
			char s[2] = {(char)a, (char)b};
			size_t i = 0, used;
			int valid = 1;
			svd_buf html;

			while (i < 2) {
				if (svd_utf8_next(s + i, 2 - i, &used) == 0xFFFD && used == 1)
					valid = 0;
				i += used;
			}
			assert_int_equal(svd_utf8_valid(s, 2), valid);
			svd_buf_init(&html, 64);
			svd_buf_html(&html, s, 2);
			assert_int_equal(html.error, 0);
			if (valid)
				assert_true(svd_utf8_valid(html.data, html.len));
			else
				assert_non_null(strstr(html.data, "\xEF\xBF\xBD"));
			svd_buf_clear(&html);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_shortest_forms), cmocka_unit_test(test_overlong),
	    cmocka_unit_test(test_surrogates),     cmocka_unit_test(test_above_max),
	    cmocka_unit_test(test_truncated),      cmocka_unit_test(test_continuation),
	    cmocka_unit_test(test_control_at),     cmocka_unit_test(test_round_trip),
	    cmocka_unit_test(test_callers_agree),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
