/*
 * render_translit.c: the Latin forms of Cyrillic search tokens (SPEC.md,
 * 11.6), so that a query typed in Latin letters (`Kyiv`, `Kherson`) finds
 * the Cyrillic words (`Київ`, `Херсон`).
 *
 * Two schemes: Ukrainian, the national system of the Cabinet of Ministers'
 * resolution 55 of 2010, and for Russian and other Cyrillic text a
 * simplified BGN/PCGN as English-language press writes it. The tables
 * below are the single source of truth: svd_translit() uses them when
 * indexing, and search/translit.js (svd_render_translit_js) hands the same
 * entries to archive-format/reader/lex.js, which makes a query's forms
 * with them and nothing else.
 */
#include <stdint.h>
#include <string.h>

#include "samvydav/render.h"
#include "render_internal.h"
#include "util.h"

/* One letter of a folded token and its Latin form in each scheme (NULL: not a letter of it). */
typedef struct letter {
	uint16_t cp;
	const char *uk, *ru;
} letter;

/* In code point order (a binary search); folded letters only (no capitals, no ё). */
static const letter letters[] = {
    {0x02BC, "", ""}, /* ʼ, the apostrophe of Ukrainian: not written */
    {0x0430, "a", "a"},   {0x0431, "b", "b"},       {0x0432, "v", "v"},   {0x0433, "h", "g"},
    {0x0434, "d", "d"},   {0x0435, "e", "e"},       {0x0436, "zh", "zh"}, {0x0437, "z", "z"},
    {0x0438, "y", "i"},   {0x0439, "i", "y"},       {0x043A, "k", "k"},   {0x043B, "l", "l"},
    {0x043C, "m", "m"},   {0x043D, "n", "n"},       {0x043E, "o", "o"},   {0x043F, "p", "p"},
    {0x0440, "r", "r"},   {0x0441, "s", "s"},       {0x0442, "t", "t"},   {0x0443, "u", "u"},
    {0x0444, "f", "f"},   {0x0445, "kh", "kh"},     {0x0446, "ts", "ts"}, {0x0447, "ch", "ch"},
    {0x0448, "sh", "sh"}, {0x0449, "shch", "shch"}, {0x044A, "", ""}, /* ъ */
    {0x044B, "y", "y"}, /* ы (not Ukrainian: as the Russian scheme) */
    {0x044C, "", ""},   /* ь */
    {0x044D, "e", "e"}, /* э (not Ukrainian: as the Russian scheme) */
    {0x044E, "iu", "yu"}, {0x044F, "ia", "ya"},     {0x0454, "ie", NULL}, /* є */
    {0x0456, "i", NULL},                                                  /* і */
    {0x0457, "i", NULL},                                                  /* ї */
    {0x0491, "g", NULL},                                                  /* ґ */
};

/* Ukrainian: the form of a letter that is the token's first code point. */
static const letter uk_first[] = {
    {0x0439, "y", NULL},  /* й */
    {0x044E, "yu", NULL}, /* ю */
    {0x044F, "ya", NULL}, /* я */
    {0x0454, "ye", NULL}, /* є */
    {0x0457, "yi", NULL}, /* ї */
};

/* Ukrainian: г after з is gh (зг -> zgh, apart from ж zh). */
#define UK_AFTER_PREV 0x0437
#define UK_AFTER_CP   0x0433
#define UK_AFTER      "gh"

/* Letters that choose a scheme whatever the item's language: Ukrainian's first. */
static const uint16_t uk_only[] = {0x0454, 0x0456, 0x0457, 0x0491}; /* є і ї ґ */
static const uint16_t ru_only[] = {0x044A, 0x044B, 0x044D};         /* ъ ы э */

static const letter *find(const letter *t, size_t n, uint32_t cp)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (t[mid].cp == cp)
			return &t[mid];
		if (t[mid].cp < cp)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static int in(const uint16_t *set, size_t n, uint32_t cp)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (set[i] == cp)
			return 1;
	return 0;
}

int svd_translit_scheme(const char *lang)
{
	if (lang && (lang[0] == 'u' || lang[0] == 'U') && (lang[1] == 'k' || lang[1] == 'K') &&
	    (lang[2] == '\0' || lang[2] == '-'))
		return SVD_TRANSLIT_UK;
	return SVD_TRANSLIT_RU;
}

/* The scheme a token is written in: є і ї ґ make it Ukrainian, else ъ ы э Russian. */
static int token_scheme(const char *tok, size_t len, int scheme)
{
	size_t i, used;
	int ru = 0;

	for (i = 0; i < len; i += used) {
		uint32_t cp = svd_utf8_next(tok + i, len - i, &used);
		if (in(uk_only, sizeof(uk_only) / sizeof(uk_only[0]), cp))
			return SVD_TRANSLIT_UK;
		ru |= in(ru_only, sizeof(ru_only) / sizeof(ru_only[0]), cp);
	}
	return ru ? SVD_TRANSLIT_RU : scheme;
}

int svd_translit(svd_buf *out, const char *tok, size_t len, int scheme)
{
	char lat[SVD_TOKEN_MAX];
	size_t i, used, n = 0, k;
	uint32_t prev = 0;
	int cyrillic = 0;

	if (scheme != SVD_TRANSLIT_UK && scheme != SVD_TRANSLIT_RU)
		return svd_error_set(SVD_EINVALID, "no transliteration scheme %d", scheme);
	if (out->error)
		return out->error;
	scheme = token_scheme(tok, len, scheme);
	for (i = 0, k = 0; i < len; i += used, k++) {
		uint32_t cp = svd_utf8_next(tok + i, len - i, &used);
		char ascii[2] = {0, 0};
		const char *s = NULL;
		size_t m;

		if ((cp >= 'a' && cp <= 'z') || (cp >= '0' && cp <= '9')) {
			ascii[0] = (char)cp;
			s = ascii;
		} else {
			const letter *l = find(letters, sizeof(letters) / sizeof(letters[0]), cp);

			if (!l)
				return 0; /* a code point of neither table, or not folded */
			if (scheme == SVD_TRANSLIT_UK) {
				const letter *f;
				if (k == 0 &&
				    (f = find(uk_first, sizeof(uk_first) / sizeof(uk_first[0]),
				              cp)))
					s = f->uk;
				else if (prev == UK_AFTER_PREV && cp == UK_AFTER_CP)
					s = UK_AFTER;
				else
					s = l->uk;
			} else {
				s = l->ru;
			}
			if (!s)
				return 0;
			cyrillic |= cp >= 0x0400;
		}
		m = strlen(s);
		if (n + m > SVD_TOKEN_MAX)
			return 0; /* longer than a token: a query could not hold it either */
		memcpy(lat + n, s, m);
		n += m;
		prev = cp;
	}
	if (!cyrillic || n < SVD_TOKEN_MIN)
		return 0;
	if (svd_buf_put(out, lat, n) < 0)
		return out->error;
	return 1;
}

/* A JavaScript string's characters, ASCII only (\uXXXX for the rest, all in the BMP here). */
static void js_chars(svd_buf *b, const uint32_t *cps, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (cps[i] >= 0x20 && cps[i] < 0x7F && cps[i] != '"' && cps[i] != '\\') {
			char c = (char)cps[i];
			svd_buf_put(b, &c, 1);
		} else {
			svd_buf_printf(b, "\\u%04X", (unsigned)cps[i]);
		}
	}
}

static void js_entry(svd_buf *b, int first, const uint32_t *key, size_t n, const char *latin)
{
	svd_buf_puts(b, first ? "\"" : ",\"");
	js_chars(b, key, n);
	svd_buf_printf(b, "\":\"%s\"", latin);
}

static void js_set(svd_buf *b, const uint16_t *set, size_t n)
{
	size_t i;

	svd_buf_puts(b, "\"");
	for (i = 0; i < n; i++) {
		uint32_t cp = set[i];
		js_chars(b, &cp, 1);
	}
	svd_buf_puts(b, "\"");
}

/* One scheme's object: its letters, word-initial forms, pairs and choosing letters. */
static void js_scheme(svd_buf *b, int scheme)
{
	size_t i;
	int first = 1;

	svd_buf_puts(b, "{\"letters\":{");
	for (i = 0; i < sizeof(letters) / sizeof(letters[0]); i++) {
		const char *s = scheme == SVD_TRANSLIT_UK ? letters[i].uk : letters[i].ru;
		uint32_t cp = letters[i].cp;
		if (s) {
			js_entry(b, first, &cp, 1, s);
			first = 0;
		}
	}
	svd_buf_puts(b, "},\n \"first\":{");
	if (scheme == SVD_TRANSLIT_UK)
		for (i = 0; i < sizeof(uk_first) / sizeof(uk_first[0]); i++) {
			uint32_t cp = uk_first[i].cp;
			js_entry(b, i == 0, &cp, 1, uk_first[i].uk);
		}
	svd_buf_puts(b, "},\n \"after\":{");
	if (scheme == SVD_TRANSLIT_UK) {
		uint32_t pair[2] = {UK_AFTER_PREV, UK_AFTER_CP};
		js_entry(b, 1, pair, 2, UK_AFTER);
	}
	svd_buf_puts(b, "},\n \"only\":");
	if (scheme == SVD_TRANSLIT_UK)
		js_set(b, uk_only, sizeof(uk_only) / sizeof(uk_only[0]));
	else
		js_set(b, ru_only, sizeof(ru_only) / sizeof(ru_only[0]));
	svd_buf_puts(b, "}");
}

int svd_render_translit_json(svd_buf *out)
{
	svd_buf_printf(out, "{\n\"min\":%d,\"max\":%d,\"order\":[\"uk\",\"ru\"],\n\"uk\":",
	               SVD_TOKEN_MIN, SVD_TOKEN_MAX);
	js_scheme(out, SVD_TRANSLIT_UK);
	svd_buf_puts(out, ",\n\"ru\":");
	js_scheme(out, SVD_TRANSLIT_RU);
	svd_buf_puts(out, "\n}");
	return out->error;
}

int svd_render_translit_js(svd_buf *out)
{
	svd_buf_puts(out,
	             "/* samvydav reader: the transliteration tables (SPEC.md 11.6); generated */\n"
	             "svdTranslit(");
	svd_render_translit_json(out);
	svd_buf_puts(out, ");\n");
	return out->error;
}
