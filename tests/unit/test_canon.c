/*
 * test_canon.c: canonical JSON, the restriction of RFC 8785 that manifests use.
 *
 * Every way input can fail to be its own canonical form has a case here.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "helpers.h"
#include "samvydav/common.h"
#include "canon.h"

/* Parse n bytes that must be canonical; the dump must give them back exactly. */
static void accept_n(const char *s, size_t n)
{
	json_t *v = NULL;
	char *out = NULL;
	size_t len = 0;
	int rc = svd_canon_parse(&v, s, n);

	if (rc != 0)
		fail_msg("refused %.*s: %s", (int)n, s, svd_error_last());
	assert_non_null(v);
	assert_int_equal(svd_canon_dump(&out, &len, v), 0);
	assert_int_equal(len, n);
	assert_memory_equal(out, s, n);
	assert_int_equal(out[len], '\0');
	free(out);
	json_decref(v);
}

static void accept(const char *s)
{
	accept_n(s, strlen(s));
}

/* Parse n bytes that must be refused as corrupt, with a message holding needle. */
static void refuse_n(const char *s, size_t n, const char *needle)
{
	json_t *v = (json_t *)1;
	int rc = svd_canon_parse(&v, s, n);

	if (rc != SVD_ECORRUPT)
		fail_msg("accepted or wrong code %d for %.*s", rc, (int)n, s);
	assert_null(v);
	th_expect_msg(needle);
}

static void refuse(const char *s, const char *needle)
{
	refuse_n(s, strlen(s), needle);
}

/* A value that svd_canon_dump() must refuse (SVD_EINVALID), saying needle. */
static void refuse_dump(json_t *v, const char *needle)
{
	char *out = (char *)1;
	size_t len = 1;
	int rc = svd_canon_dump(&out, &len, v);

	if (rc != SVD_EINVALID)
		fail_msg("dump gave %d, not SVD_EINVALID", rc);
	assert_null(out);
	assert_int_equal(len, 0);
	th_expect_msg(needle);
	json_decref(v);
}

static void test_accepts_canonical(void **state)
{
	(void)state;
	accept("{}");
	accept("[]");
	accept("\"\"");
	accept("0");
	accept("-1");
	accept("true");
	accept("false");
	accept("null");
	accept("{\"a\":1,\"b\":[true,false,null],\"c\":\"x\",\"d\":{}}");
	accept("[[],[{}],{\"a\":[]}]");
	accept("{\"format\":1,\"kind\":\"article\"}");
}

static void test_accepts_escaped_quote_and_backslash(void **state)
{
	(void)state;
	accept("\"say \\\"no\\\"\"");
	accept("\"C:\\\\temp\"");
	accept("{\"a\\\"b\":\"\\\\\"}");
}

static void test_accepts_raw_utf8(void **state)
{
	(void)state;
	/* Cyrillic, Greek, Latin with diacritics, CJK, an emoji (4 bytes) */
	accept("\"Обращение к россиянам от украинского социалиста\"");
	accept("\"Ουκρανικά ερωτήματα\"");
	accept("\"Ein Brief aus Kiew an die russische Bevölkerung\"");
	accept("\"Tragédia ukrajinskej triedy\xC2\xA0pracujúcich\""); /* U+00A0 follows C1 */
	accept("\"\xE4\xB8\xAD\xF0\x9F\x87\xBA\xF0\x9F\x87\xA6\"");
	/* U+2028 and U+2029 are not control characters: raw, as in RFC 8785 */
	accept("\"a\xE2\x80\xA8z\xE2\x80\xA9\"");
	accept("\"\xF4\x8F\xBF\xBF\""); /* U+10FFFF */
}

static void test_integer_limits(void **state)
{
	(void)state;
	accept("9007199254740991");
	accept("-9007199254740991");
	accept("[0,1,-1,10,4294967295]");
	refuse("9007199254740992", "out of range");
	refuse("-9007199254740992", "out of range");
	refuse("{\"size\":9223372036854775807}",
	       "size: integer 9223372036854775807 is out of range");
	refuse("99999999999999999999", "too big integer");
}

static void test_key_order_is_bytewise(void **state)
{
	(void)state;
	accept("{\"B\":1,\"_\":2,\"a\":3}"); /* 'B' 0x42 < '_' 0x5F < 'a' 0x61 */
	accept("{\"a\":1,\"aa\":2,\"ab\":3,\"b\":4}");
	refuse("{\"b\":1,\"a\":2}", "key \"a\" comes after \"b\"");
	refuse("{\"aa\":1,\"a\":2}", "key \"a\" comes after \"aa\"");
	refuse("{\"a\":1,\"B\":2}", "byte order");
	refuse("{\"x\":[{\"size\":1,\"path\":\"a\"}]}", "x[0]: key \"path\" comes after");
}

static void test_refuses_whitespace(void **state)
{
	(void)state;
	refuse(" {}", "white space at byte 0");
	refuse("{ }", "white space at byte 1");
	refuse("{\"a\": 1}", "white space at byte 5");
	refuse("{\"a\" :1}", "white space at byte 4");
	refuse("[1, 2]", "white space at byte 3");
	refuse("{\n\"a\":1}", "white space at byte 1");
	refuse("{\"a\":1}\t", "extra bytes after the value at byte 7");
}

static void test_refuses_trailing_newline(void **state)
{
	(void)state;
	refuse("{\"a\":1}\n", "1 extra bytes after the value at byte 7");
	refuse("{\"a\":1}\r\n", "2 extra bytes");
}

static void test_refuses_bom(void **state)
{
	(void)state;
	refuse("\xEF\xBB\xBF{}", "byte order mark");
}

static void test_refuses_escaped_unicode(void **state)
{
	(void)state;
	refuse("\"caf\\u00e9\"", "escape \"\\u\" at byte 4");
	refuse("\"\\u0041\"", "escape \"\\u\" at byte 1");
	/* a surrogate pair for U+1F600 decodes fine, but its form is the raw bytes */
	refuse("\"\\ud83d\\ude00\"", "escape \"\\u\"");
	refuse("{\"\\u0061\":1}", "escape \"\\u\" at byte 2");
}

static void test_refuses_escaped_slash(void **state)
{
	(void)state;
	refuse("\"http:\\/\\/example.org\"", "escape \"\\/\" at byte 6");
}

static void test_refuses_real_numbers(void **state)
{
	(void)state;
	refuse("1.0", "a real number");
	refuse("1e3", "a real number");
	refuse("1E3", "a real number");
	refuse("{\"size\":0.5}", "size: a real number");
	refuse("-0.0", "a real number");
	refuse("1e400", "real number overflow");
}

static void test_refuses_negative_zero(void **state)
{
	(void)state;
	refuse("-0", "-0 at byte 0");
	refuse("{\"size\":-0}", "-0 at byte 8");
}

static void test_refuses_duplicate_keys(void **state)
{
	(void)state;
	refuse("{\"a\":1,\"a\":1}", "duplicate object key");
	refuse("{\"x\":{\"a\":1,\"a\":2}}", "duplicate object key");
}

static void test_refuses_invalid_utf8(void **state)
{
	(void)state;
	refuse("\"\xC0\xAF\"", "unable to decode byte 0xc0");         /* overlong '/' */
	refuse("\"\xE0\x80\xAF\"", "unable to decode byte 0xe0");     /* overlong, 3 bytes */
	refuse("\"\xF0\x80\x80\xAF\"", "unable to decode byte 0xf0"); /* overlong, 4 bytes */
	refuse("\"\xED\xA0\x80\"", "unable to decode byte 0xed");     /* surrogate U+D800 */
	refuse("\"\xE2\x82\"", "unable to decode byte 0xe2");         /* truncated */
	refuse("\"\x80\"", "unable to decode byte 0x80");             /* lone continuation */
	refuse("\"\xF4\x90\x80\x80\"", "unable to decode");           /* over U+10FFFF */
	refuse("\"\xFF\"", "unable to decode byte 0xff");
	refuse("{\"\xC3\":1}", "unable to decode");
	refuse("\"\\ud800\"", "invalid Unicode"); /* a lone escaped surrogate */
}

static void test_refuses_control_characters(void **state)
{
	(void)state;
	refuse("\"a\x01z\"", "control character");         /* raw, jansson refuses */
	refuse("\"a\tz\"", "control character");           /* raw tab */
	refuse("\"a\\u0001z\"", "control character");      /* escaped, we refuse */
	refuse("\"a\\nz\"", "the string holds a control"); /* "\n" is U+000A */
	refuse("\"a\\tz\"", "the string holds a control");
	refuse("\"\\u001f\"", "the string holds a control");
	refuse("\"\\u0000\"", "not allowed");
	refuse_n("\"a\0z\"", 5, "control character");
	refuse("{\"title\":[\"ok\",\"a\\u0007\"]}", "title[1]: the string holds a control");
}

static void test_refuses_del(void **state)
{
	(void)state;
	refuse("\"a\x7Fz\"", "the string holds a control character (byte 1");
	refuse("\"\\u007f\"", "the string holds a control");
}

static void test_refuses_c1(void **state)
{
	(void)state;
	refuse("\"a\xC2\x80z\"", "the string holds a control character (byte 1");
	refuse("\"\xC2\x85\"", "the string holds a control");
	refuse("\"\xC2\x9F\"", "the string holds a control");
	refuse("\"\\u0085\"", "the string holds a control");
	accept("\"\xC2\xA0\"");
}

static void test_refuses_control_in_keys(void **state)
{
	(void)state;
	refuse("{\"a\\u0001\":1}", "a key holds a control character");
	refuse("{\"a\x7F\":1}", "a key holds a control character");
	refuse("{\"a\\u0000\":1}", "NUL byte in object key");
}

static void test_refuses_non_ascii_keys(void **state)
{
	(void)state;
	refuse("{\"t\xC3\xADtulo\":\"x\"}", "is not ASCII");
	refuse("{\"x\":{\"\xCE\xB1\":1}}", "x: key \"??\" is not ASCII");
	refuse("{\"a\xC2\x85\":1}", "is not ASCII");
}

static char *nested(int depth, char *buf)
{
	int i;

	for (i = 0; i < depth; i++)
		buf[i] = '[';
	for (i = 0; i < depth; i++)
		buf[depth + i] = ']';
	buf[2 * depth] = '\0';
	return buf;
}

static void test_depth(void **state)
{
	char buf[2 * 64 + 1];

	(void)state;
	accept(nested(SVD_CANON_MAX_DEPTH, buf));
	refuse(nested(SVD_CANON_MAX_DEPTH + 1, buf), "nested deeper than 16");
	refuse(nested(64, buf), "nested deeper than 16");
	accept("{\"a\":{\"b\":{\"c\":{\"d\":{\"e\":{\"f\":{\"g\":{\"h\":{\"i\":{\"j\":{\"k\":{"
	       "\"l\":{\"m\":{\"n\":{\"o\":{\"p\":1}}}}}}}}}}}}}}}}");
	refuse("{\"a\":{\"b\":{\"c\":{\"d\":{\"e\":{\"f\":{\"g\":{\"h\":{\"i\":{\"j\":{\"k\":{"
	       "\"l\":{\"m\":{\"n\":{\"o\":{\"p\":{}}}}}}}}}}}}}}}}}",
	       "a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p: nested deeper");
}

static void test_refuses_other_syntax(void **state)
{
	(void)state;
	refuse("", "not valid JSON");
	refuse("{}{}", "end of file expected");
	refuse("{}x", "end of file expected");
	refuse("01", "invalid token");
	refuse("[1,]", "unexpected token");
	refuse("{\"a\":1,}", "not valid JSON");
	refuse("'a'", "invalid token");
	refuse("NaN", "invalid token");
	refuse("True", "invalid token");
	refuse_n("{}\0", 3, "not valid JSON");
	refuse("\"unterminated", "not valid JSON");
}

static void test_error_offsets(void **state)
{
	(void)state;
	/* jansson quotes the input near the error; the message stays printable */
	refuse("[\x01]", "invalid token near '?' at byte 2");
	refuse("[\x7F]", "invalid token near '?'");
	refuse("{\"a\":1,\"b\":2,\"c\": 3}", "at byte 17");
	refuse("[1,2,x]", "near 'x' at byte 6"); /* jansson counts the byte it read */
}

static void test_dump_sorts_keys(void **state)
{
	json_t *v = json_pack("{s:i, s:s, s:[i, b, n], s:{s:i, s:i}}", "zeta", 1, "alpha", "A",
	                      "Mid", 2, 1, "mid", "y", 1, "x", 2);
	char *out = NULL;
	size_t len = 0;

	(void)state;
	assert_non_null(v);
	assert_int_equal(svd_canon_dump(&out, &len, v), 0);
	assert_string_equal(out, "{\"Mid\":[2,true,null],\"alpha\":\"A\",\"mid\":{\"x\":2,\"y\":1},"
	                         "\"zeta\":1}");
	assert_int_equal(len, strlen(out));
	free(out);
	json_decref(v);
}

static void test_dump_escapes_only_quote_and_backslash(void **state)
{
	json_t *v = json_string("a\"b\\c/d\xC3\xA9\xE2\x80\xA8");
	char *out = NULL;
	size_t len = 0;

	(void)state;
	assert_int_equal(svd_canon_dump(&out, &len, v), 0);
	assert_string_equal(out, "\"a\\\"b\\\\c/d\xC3\xA9\xE2\x80\xA8\"");
	free(out);
	json_decref(v);
}

static void test_dump_refuses_outside_restriction(void **state)
{
	json_t *deep = json_array(), *inner = deep;
	int i;

	(void)state;
	refuse_dump(json_real(1.0), "a real number");
	refuse_dump(json_pack("{s:[f]}", "a", 2.5), "a[0]: a real number");
	refuse_dump(json_integer(9007199254740992LL), "out of range");
	refuse_dump(json_integer(-9007199254740992LL), "out of range");
	refuse_dump(json_pack("{s:i}", "\xC3\xA9", 1), "not ASCII");
	refuse_dump(json_string("a\x01"), "control character");
	refuse_dump(json_string("a\x7F"), "control character");
	refuse_dump(json_string("a\xC2\x9B"), "control character");
	refuse_dump(json_pack("{s:s}", "a\x1F", "x"), "a key holds a control character");
	/* our own output path checks UTF-8 too, not only jansson's input path */
	refuse_dump(json_stringn_nocheck("\xC0\xAF", 2), "not valid UTF-8");
	refuse_dump(json_stringn_nocheck("\xED\xA0\x80", 3), "not valid UTF-8");
	refuse_dump(json_stringn("a\0b", 3), "control character");
#if JANSSON_VERSION_HEX >= 0x020e00
	{
		json_t *o = json_object();

		json_object_setn_new_nocheck(o, "a\0b", 3, json_true());
		refuse_dump(o, "a key holds a control character");
	}
#endif
	for (i = 0; i < SVD_CANON_MAX_DEPTH; i++) {
		json_t *next = json_array();

		json_array_append_new(inner, next);
		inner = next;
	}
	refuse_dump(deep, "nested deeper than 16");
	refuse_dump(NULL, "no value");
}

static void test_dump_error_paths(void **state)
{
	(void)state;
	refuse_dump(
	    json_pack("{s:[{s:s},{s:s,s:f}]}", "files", "path", "a", "path", "b", "size", 1.5),
	    "files[1].size: a real number");
	refuse_dump(json_pack("{s:[s,s]}", "tags", "ok", "bad\x7F"),
	            "tags[1]: the string holds a control character");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_accepts_canonical),
	    cmocka_unit_test(test_accepts_escaped_quote_and_backslash),
	    cmocka_unit_test(test_accepts_raw_utf8),
	    cmocka_unit_test(test_integer_limits),
	    cmocka_unit_test(test_key_order_is_bytewise),
	    cmocka_unit_test(test_refuses_whitespace),
	    cmocka_unit_test(test_refuses_trailing_newline),
	    cmocka_unit_test(test_refuses_bom),
	    cmocka_unit_test(test_refuses_escaped_unicode),
	    cmocka_unit_test(test_refuses_escaped_slash),
	    cmocka_unit_test(test_refuses_real_numbers),
	    cmocka_unit_test(test_refuses_negative_zero),
	    cmocka_unit_test(test_refuses_duplicate_keys),
	    cmocka_unit_test(test_refuses_invalid_utf8),
	    cmocka_unit_test(test_refuses_control_characters),
	    cmocka_unit_test(test_refuses_del),
	    cmocka_unit_test(test_refuses_c1),
	    cmocka_unit_test(test_refuses_control_in_keys),
	    cmocka_unit_test(test_refuses_non_ascii_keys),
	    cmocka_unit_test(test_depth),
	    cmocka_unit_test(test_refuses_other_syntax),
	    cmocka_unit_test(test_error_offsets),
	    cmocka_unit_test(test_dump_sorts_keys),
	    cmocka_unit_test(test_dump_escapes_only_quote_and_backslash),
	    cmocka_unit_test(test_dump_refuses_outside_restriction),
	    cmocka_unit_test(test_dump_error_paths),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
