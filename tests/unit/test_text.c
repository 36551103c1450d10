/*
 * test_text.c: the one escaper of text from outside (SPEC.md, 13):
 * svd_text_escape() on known strings, the bidirectional controls exactly
 * Unicode's Bidi_Control, cutting, and on random bytes that every result
 * is printable UTF-8 with no control in it and reads back to its input;
 * the JSON and HTML writers that share its classification.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "samvydav/text.h"
#include "buf.h"
#include "util.h"

static void expect_escape(const char *in, size_t n, unsigned flags, const char *want)
{
	char out[256];
	size_t len = svd_text_escape(out, sizeof(out), in, n, flags);

	if (strcmp(out, want))
		fail_msg("escaped \"%s\", wanted \"%s\"", out, want);
	assert_int_equal(len, strlen(want));
}

static void test_known(void **state)
{
	(void)state;
	expect_escape("plain text", 10, 0, "plain text");
	expect_escape("Стаття 1", strlen("Стаття 1"), 0, "Стаття 1");
	/* a terminal's title set and screen cleared, a forged line */
	expect_escape("\x1b]0;pwned\x07\x1b[2J\nrefused\tx", 24, 0,
	              "\\x1b]0;pwned\\x07\\x1b[2J\\x0arefused\\x09x");
	expect_escape("a\\b", 3, 0, "a\\\\b");
	expect_escape("a\\b", 3, SVD_TEXT_KEEP_BACKSLASH, "a\\b");
	expect_escape("a\0b", 3, 0, "a\\x00b");
	expect_escape("\x7f", 1, 0, "\\x7f");
	/* C1 as UTF-8, and a lone C1 byte (not UTF-8) */
	expect_escape("\xc2\x9b", 2, 0, "\\u009B");
	expect_escape("\x9b", 1, 0, "\\x9b");
	/* RIGHT-TO-LEFT OVERRIDE: "gpj.exe" would show as "exe.jpg" */
	expect_escape("\xe2\x80\xaegpj.exe", 10, 0, "\\u202Egpj.exe");
	expect_escape("\xe2\x80\xa8|\xe2\x80\xa9", 7, 0, "\\u2028|\\u2029");
	expect_escape("\xd8\x9c", 2, 0, "\\u061C");
	/* not UTF-8: each byte alone, the good sequence after it kept */
	expect_escape("\xff\xfe", 2, 0, "\\xff\\xfe");
	expect_escape("\xe2\x80", 2, 0, "\\xe2\\x80");
	expect_escape("\xc0\xaf", 2, 0, "\\xc0\\xaf");          /* overlong '/' */
	expect_escape("\xed\xa0\x80", 3, 0, "\\xed\\xa0\\x80"); /* a surrogate */
	expect_escape("\xe2\x80\xe2\x80\xae", 5, 0, "\\xe2\\x80\\u202E");
	/* what stays: joiners some scripts need, a real U+FFFD, emoji */
	expect_escape("\xe2\x80\x8c\xe2\x80\x8d", 6, 0, "\xe2\x80\x8c\xe2\x80\x8d");
	expect_escape("\xef\xbf\xbd", 3, 0, "\xef\xbf\xbd");
	expect_escape("\xf0\x9f\x93\x9c", 4, 0, "\xf0\x9f\x93\x9c");
}

/* The bidirectional controls are Unicode's Bidi_Control (PropList.txt), and their neighbours are not. */
static void test_bidi_set(void **state)
{
	static const uint32_t bidi[] = {0x061C, 0x200E, 0x200F, 0x202A, 0x202B, 0x202C,
	                                0x202D, 0x202E, 0x2066, 0x2067, 0x2068, 0x2069};
	static const uint32_t not [] = {0x20,   0x7E,   0xA0,   0xAD,   0x061B, 0x061D,
	                                0x200B, 0x200C, 0x200D, 0x2010, 0x2027, 0x202F,
	                                0x2060, 0x2065, 0x206A, 0xFEFF, 0xFFFD, 0x10FFFF};
	FILE *f = fopen("/usr/share/unicode/PropList.txt", "r");
	char line[512];
	uint32_t cp;
	size_t i, listed = 0;

	(void)state;
	for (i = 0; i < sizeof(bidi) / sizeof(bidi[0]); i++)
		assert_true(svd_text_control(bidi[i]));
	for (i = 0; i < sizeof(not ) / sizeof(not [0]); i++)
		if (svd_text_control(not [i]))
			fail_msg("U+%04X is escaped, but is no control", (unsigned)not [i]);
	for (cp = 0; cp < 0x20; cp++)
		assert_true(svd_text_control(cp));
	for (cp = 0x7F; cp <= 0x9F; cp++)
		assert_true(svd_text_control(cp));
	/* Debian's unicode-data, when installed: the same list */
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		unsigned lo, hi;
		if (!strstr(line, "; Bidi_Control"))
			continue;
		if (sscanf(line, "%x..%x", &lo, &hi) != 2)
			hi = lo;
		for (cp = lo; cp <= hi; cp++, listed++)
			if (!svd_text_control(cp))
				fail_msg("U+%04X is Bidi_Control, but not escaped", (unsigned)cp);
	}
	fclose(f);
	assert_int_equal(listed, sizeof(bidi) / sizeof(bidi[0]));
}

/* A result cut to fit: a prefix, cut between escapes, and the whole length returned. */
static void test_cut(void **state)
{
	const char *in = "ab\x1b\xe2\x80\xae";
	char whole[64], out[64];
	size_t size, len = svd_text_escape(whole, sizeof(whole), in, strlen(in), 0);

	(void)state;
	assert_string_equal(whole, "ab\\x1b\\u202E");
	assert_int_equal(svd_text_escape(NULL, 0, in, strlen(in), 0), len);
	for (size = 1; size <= len + 1; size++) {
		memset(out, 'X', sizeof(out));
		assert_int_equal(svd_text_escape(out, size, in, strlen(in), 0), len);
		assert_true(strlen(out) < size);
		assert_memory_equal(out, whole, strlen(out));
		/* never half an escape */
		assert_true(strlen(out) == 0 || strlen(out) == 1 || strlen(out) == 2 ||
		            strlen(out) == 6 || strlen(out) == len);
	}
}

/* Read an escaped text back into bytes; -1 when it is not one svd_text_escape() writes. */
static long unescape(const char *s, char *out)
{
	size_t i = 0, o = 0;
	unsigned v;

	while (s[i]) {
		if (s[i] != '\\') {
			out[o++] = s[i++];
			continue;
		}
		if (s[i + 1] == '\\') {
			out[o++] = '\\';
			i += 2;
		} else if (s[i + 1] == 'x' && sscanf(s + i + 2, "%2x", &v) == 1) {
			out[o++] = (char)v;
			i += 4;
		} else if (s[i + 1] == 'u' && sscanf(s + i + 2, "%4x", &v) == 1) {
			char enc[4];
			size_t k = svd_utf8_put(enc, v);
			memcpy(out + o, enc, k);
			o += k;
			i += 6;
		} else {
			return -1;
		}
	}
	return (long)o;
}

/*
 * Random bytes (and bytes biased to controls, bidi controls and
 * backslashes): every result is valid UTF-8, holds no byte below 0x20, no
 * DEL and no character of svd_text_control(), and reads back to its input.
 */
static void test_random(void **state)
{
	static const char *const pieces[] = {
	    "\\",       "\x1b", "\n",       "\xe2\x80\xae", "\xe2\x81\xa6", "\xc2\x85", "\xff",
	    "\xe2\x80", "x",    "\xd0\xb0", "\\x1b",        "\xe2\x80\xa8", "\xd8\x9c", "\xc2\xa0"};
	char in[64], out[64 * 6 + 1], back[64];
	unsigned seed = 15;
	int round;

	(void)state;
	for (round = 0; round < 200000; round++) {
		size_t n = 0, len, i, used;
		long got;
		while (n < 48) {
			seed = seed * 1103515245u + 12345u;
			if ((seed >> 16) & 1) {
				in[n++] = (char)(seed >> 20);
			} else {
				const char *p = pieces[(seed >> 20) % 14];
				memcpy(in + n, p, strlen(p));
				n += strlen(p);
			}
			if (((seed >> 8) & 7) == 0)
				break;
		}
		len = svd_text_escape(out, sizeof(out), in, n, 0);
		assert_int_equal(len, strlen(out));
		/* plain exactly when the escape gives it back as it is */
		assert_int_equal(svd_text_plain(in, n, 0), len == n && !memcmp(out, in, n));
		assert_true(svd_utf8_valid(out, len));
		for (i = 0; i < len; i += used) {
			uint32_t cp = svd_utf8_next(out + i, len - i, &used);
			if (svd_text_control(cp))
				fail_msg("round %d: U+%04X in the result", round, (unsigned)cp);
		}
		got = unescape(out, back);
		assert_int_equal(got, (long)n);
		assert_memory_equal(back, in, n);
		/* a message of escaped parts goes through again unchanged */
		assert_int_equal(svd_text_escape(back, 0, out, len, SVD_TEXT_KEEP_BACKSLASH), len);
		len = svd_text_escape(out, sizeof(out), in, n, SVD_TEXT_KEEP_BACKSLASH);
		assert_int_equal(svd_text_plain(in, n, SVD_TEXT_KEEP_BACKSLASH),
		                 len == n && !memcmp(out, in, n));
	}
}

/* The message form: escaped, cut to SVD_SHOWN_MAX with "...", SVD_SHOWN_RING at once. */
static void test_shown(void **state)
{
	char long_name[3000];
	const char *a, *b, *cut;

	(void)state;
	memset(long_name, '\x1b', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	a = svd_text_shown("a\x1b\\");
	b = svd_text_shown("\xe2\x80\xae");
	cut = svd_text_shown(long_name);
	assert_string_equal(a, "a\\x1b\\\\");
	assert_string_equal(b, "\\u202E");
	assert_true(strlen(cut) < SVD_SHOWN_MAX);
	assert_string_equal(cut + strlen(cut) - 7, "\\x1b...");
}

static void test_json(void **state)
{
	char *s;

	(void)state;
	s = svd_text_json("{\"t\":\"a\xe2\x80\xae"
	                  "b\xc2\x85\x7f\xd0\xb0\\u001b\"}\n");
	assert_non_null(s);
	assert_string_equal(s, "{\"t\":\"a\\u202Eb\\u0085\\u007F\xd0\xb0\\u001b\"}\n");
	free(s);
}

static void test_html(void **state)
{
	const char *in = "<a>\xe2\x80\xae\x1b\xe2\x81\xa6x\xd0\xb0\n";
	svd_buf b;

	(void)state;
	svd_buf_init(&b, 1024);
	svd_buf_html(&b, in, strlen(in));
	assert_int_equal(b.error, 0);
	assert_string_equal(b.data, "&lt;a&gt;\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbdx\xd0\xb0\n");
	svd_buf_clear(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_known), cmocka_unit_test(test_bidi_set),
	    cmocka_unit_test(test_cut),   cmocka_unit_test(test_random),
	    cmocka_unit_test(test_shown), cmocka_unit_test(test_json),
	    cmocka_unit_test(test_html),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
