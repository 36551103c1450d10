/*
 * test_stem.c: word forms (SPEC.md, 11.7, render_stem.c). Every algorithm
 * the language map names is one of Snowball's (sb_stemmer_list); Ukrainian
 * and Slovak have none; the stems of folded words in Russian, English and
 * the languages whose accents folding removes, their oddities pinned down;
 * the caps and the contract.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <libstemmer.h>

#include "helpers.h"
#include "render_internal.h"

/* The stem of word under lang's stemmer, or word itself when it is its own. */
static void expect_stem(const char *lang, const char *word, const char *want)
{
	svd_stemmer *st = NULL;
	svd_buf b;
	int r;

	assert_int_equal(svd_stemmer_new(&st, lang), 0);
	svd_buf_init(&b, 4096);
	r = svd_stem(&b, st, word, strlen(word));
	if (r == 0 ? strcmp(word, want) : r != 1 || strcmp(b.data, want))
		fail_msg("%s stem of \"%s\": \"%s\" (%d), expected \"%s\"", lang, word,
		         r == 1 ? b.data : word, r, want);
	if (r == 0)
		assert_int_equal(b.len, 0);
	svd_buf_clear(&b);
	svd_stemmer_free(st);
}

static int in_snowball(const char *algorithm)
{
	const char **l;

	for (l = sb_stemmer_list(); *l; l++)
		if (!strcmp(*l, algorithm))
			return 1;
	return 0;
}

/* Every two-letter code: what it maps to is Snowball's; the ones with none. */
static void test_languages(void **state)
{
	char lang[3] = {0};
	int found = 0;

	(void)state;
	for (lang[0] = 'a'; lang[0] <= 'z'; lang[0]++)
		for (lang[1] = 'a'; lang[1] <= 'z'; lang[1]++) {
			const char *a = svd_stem_algorithm(lang);
			if (a) {
				if (!in_snowball(a))
					fail_msg("%s: \"%s\" is not in sb_stemmer_list()", lang, a);
				found++;
			}
		}
	assert_int_equal(found, 29);
	assert_string_equal(svd_stem_algorithm("ru"), "russian");
	assert_string_equal(svd_stem_algorithm("RU"), "russian");
	assert_string_equal(svd_stem_algorithm("ru-UA"), "russian");
	assert_string_equal(svd_stem_algorithm("en-GB"), "english");
	assert_string_equal(svd_stem_algorithm("el"), "greek");
	assert_string_equal(svd_stem_algorithm("pt-BR"), "portuguese");
	assert_string_equal(svd_stem_algorithm("no"), "norwegian");
	assert_string_equal(svd_stem_algorithm("nb"), "norwegian");
	/* no stemmer in Snowball 2.2 */
	assert_null(svd_stem_algorithm("uk"));
	assert_null(svd_stem_algorithm("uk-Latn"));
	assert_null(svd_stem_algorithm("sk"));
	assert_null(svd_stem_algorithm("pl"));
	assert_null(svd_stem_algorithm("be"));
	assert_null(svd_stem_algorithm("cs"));
	assert_null(svd_stem_algorithm("nn"));
	assert_false(in_snowball("ukrainian"));
	assert_false(in_snowball("slovak"));
	/* not a primary subtag of two letters */
	assert_null(svd_stem_algorithm("rus"));
	assert_null(svd_stem_algorithm("r"));
	assert_null(svd_stem_algorithm(""));
	assert_null(svd_stem_algorithm(NULL));
	assert_null(svd_stem_algorithm("r1"));
	assert_null(svd_stem_algorithm("en_GB"));
}

static void test_new(void **state)
{
	svd_stemmer *st = (svd_stemmer *)1;

	(void)state;
	assert_int_equal(svd_stemmer_new(&st, "uk"), SVD_ENOTFOUND);
	assert_null(st);
	assert_non_null(strstr(svd_error_last(), "'uk'"));
	assert_int_equal(svd_stemmer_new(&st, NULL), SVD_ENOTFOUND);
	assert_int_equal(svd_stemmer_new(&st, "de-AT"), 0);
	assert_string_equal(svd_stemmer_algorithm(st), "german");
	svd_stemmer_free(st);
	svd_stemmer_free(NULL);
}

static void test_russian(void **state)
{
	(void)state;
	expect_stem("ru", "херсона", "херсон");
	expect_stem("ru", "херсоне", "херсон");
	expect_stem("ru", "херсоном", "херсон");
	expect_stem("ru", "херсон", "херсон"); /* its own stem: 0, nothing written */
	expect_stem("ru", "москва", "москв");
	expect_stem("ru", "москвы", "москв");
	expect_stem("ru", "москве", "москв");
	/* folding made ё е before the stemmer: it stems е's word the same */
	expect_stem("ru", "елками", "елк");
}

static void test_english(void **state)
{
	(void)state;
	expect_stem("en", "running", "run");
	expect_stem("en", "runs", "run");
	expect_stem("en", "run", "run");
	expect_stem("en", "nationality", "nation");
	expect_stem("en", "witnesses", "wit"); /* Snowball's English: a short stem, as it is */
	expect_stem("en", "2024", "2024");
}

/*
 * Folded words (SPEC 11.3 takes accents off Latin and Greek before the
 * stemmer sees them). Where it costs something, the case says so.
 */
static void test_folded(void **state)
{
	(void)state;
	/* Spanish: the stemmer takes accents off itself; folding changes nothing */
	expect_stem("es", "canciones", "cancion");
	expect_stem("es", "cancion", "cancion");
	expect_stem("es", "rapidamente", "rapid");
	/* German: umlauts folded away are what the stemmer does too; ß -> ss */
	expect_stem("de", "hauser", "haus");
	expect_stem("de", "hauschen", "hausch");
	expect_stem("de", "straße", "strass");
	expect_stem("de", "strasse", "strass");
	/* Greek: accents and final ς folded away; the stemmer reads σ as final */
	expect_stem("el", "ανθρωπων", "ανθρωπ");
	expect_stem("el", "ανθρωποσ", "ανθρωπ");
	expect_stem("el", "σπιτια", "σπιτ");
	/* French: without é some suffixes are not seen: -ité, -ée */
	expect_stem("fr", "societes", "societ");
	expect_stem("fr", "nationalite", "nationalit"); /* nationalité: national */
	expect_stem("fr", "elevees", "eleve");          /* élevées: élev */
	expect_stem("fr", "elever", "elev");
	/* Portuguese: without ç and ã, -ação and -ações are not seen and do not meet */
	expect_stem("pt", "informacao", "informaca");  /* informação: inform */
	expect_stem("pt", "informacoes", "informaco"); /* informações: inform */
	expect_stem("pt", "cidades", "cidad");
	/* Serbian: stems in Latin letters, a Cyrillic word's too, folded again */
	expect_stem("sr", "кућа", "kuc");
	expect_stem("sr", "kuca", "kuc");
	expect_stem("sr", "kucama", "kuc");
}

/* The contract: appended, caps, errors. */
static void test_contract(void **state)
{
	svd_stemmer *st = NULL;
	char long_word[64];
	svd_buf b;

	(void)state;
	assert_int_equal(svd_stemmer_new(&st, "en"), 0);
	svd_buf_init(&b, 4096);
	svd_buf_puts(&b, "x ");
	assert_int_equal(svd_stem(&b, st, "runs", 4), 1);
	assert_string_equal(b.data, "x run");
	assert_int_equal(svd_stem(&b, st, "run", 3), 0);
	assert_int_equal(svd_stem(&b, st, "\xff", 1), SVD_EINVALID);
	/* no token: one code point, 33 code points, a character no token holds */
	assert_int_equal(svd_stem(&b, st, "s", 1), 0);
	memset(long_word, 'a', 33);
	memcpy(long_word + 29, "ings", 4);
	assert_int_equal(svd_stem(&b, st, long_word, 33), 0);
	assert_int_equal(svd_stem(&b, st, long_word + 1, 32), 1); /* 32: a token */
	assert_int_equal(svd_stem(&b, st, "runs-x", 6), 0);
	assert_string_equal(b.data, "x run"
	                            "aaaaaaaaaaaaaaaaaaaaaaaaaaaa");
	svd_buf_clear(&b);
	svd_stemmer_free(st);
	assert_int_equal(svd_stemmer_new(&st, "ru"), 0);
	svd_buf_init(&b, 4096);
	/* a stem of one code point is no token: none (ее -> е) */
	assert_int_equal(svd_stem(&b, st, "\xd0\xb5\xd0\xb5", 4), 0);
	assert_int_equal(b.len, 0);
	assert_int_equal(svd_stem(&b, st, "\xd1\x8f\xd0\xbc\xd0\xb0", 6), 1); /* яма */
	assert_string_equal(b.data, "\xd1\x8f\xd0\xbc");
	svd_buf_clear(&b);
	/* a full buffer: its error */
	svd_buf_init(&b, 1);
	assert_int_equal(svd_stem(&b, st, "\xd1\x8f\xd0\xbc\xd0\xb0", 6), SVD_ETOOBIG);
	assert_int_equal(svd_stem(&b, st, "\xd1\x8f\xd0\xbc\xd0\xb0", 6), SVD_ETOOBIG);
	svd_buf_clear(&b);
	svd_stemmer_free(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_languages), cmocka_unit_test(test_new),
	    cmocka_unit_test(test_russian),   cmocka_unit_test(test_english),
	    cmocka_unit_test(test_folded),    cmocka_unit_test(test_contract),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
