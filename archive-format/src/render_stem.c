/*
 * render_stem.c: word forms for the reader's search (SPEC.md, 11.7): the
 * stem of a folded token by Snowball's stemmer for the item's language
 * (libstemmer, Debian's libstemmer-dev 2.2), so that `херсона` and
 * `херсоном` meet at `херсон`. No stemmer of our own: a language Snowball
 * 2.2 does not have (Ukrainian, Slovak, ...) is not stemmed.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libstemmer.h>

#include "samvydav/render.h"
#include "render_internal.h"
#include "util.h"

struct svd_stemmer {
	struct sb_stemmer *sb; /* not thread-safe: the stemmer is one thread's */
	const char *algorithm;
};

/*
 * ISO 639-1 codes to Snowball 2.2's algorithms (sb_stemmer_list()), in
 * code order. "porter" (the old English) is not used; Norwegian is
 * Snowball's Bokmål stemmer, so "nn" is left out.
 */
static const struct {
	char lang[3];
	const char *algorithm;
} stem_langs[] = {
    {"ar", "arabic"},     {"ca", "catalan"},    {"da", "danish"},     {"de", "german"},
    {"el", "greek"},      {"en", "english"},    {"es", "spanish"},    {"eu", "basque"},
    {"fi", "finnish"},    {"fr", "french"},     {"ga", "irish"},      {"hi", "hindi"},
    {"hu", "hungarian"},  {"hy", "armenian"},   {"id", "indonesian"}, {"it", "italian"},
    {"lt", "lithuanian"}, {"nb", "norwegian"},  {"ne", "nepali"},     {"nl", "dutch"},
    {"no", "norwegian"},  {"pt", "portuguese"}, {"ro", "romanian"},   {"ru", "russian"},
    {"sr", "serbian"},    {"sv", "swedish"},    {"ta", "tamil"},      {"tr", "turkish"},
    {"yi", "yiddish"},
};

const char *svd_stem_algorithm(const char *lang)
{
	char code[3];
	size_t i;

	/* the primary subtag: two letters, then the end or a hyphen */
	if (!lang || !lang[0] || !lang[1] || (lang[2] != '\0' && lang[2] != '-'))
		return NULL;
	for (i = 0; i < 2; i++) {
		char c = lang[i];
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (c < 'a' || c > 'z')
			return NULL;
		code[i] = c;
	}
	code[2] = '\0';
	for (i = 0; i < sizeof(stem_langs) / sizeof(stem_langs[0]); i++)
		if (strcmp(stem_langs[i].lang, code) == 0)
			return stem_langs[i].algorithm;
	return NULL;
}

int svd_stemmer_new(svd_stemmer **out, const char *lang)
{
	const char *algorithm = svd_stem_algorithm(lang);
	svd_stemmer *st;

	*out = NULL;
	if (!algorithm)
		return svd_error_set(SVD_ENOTFOUND, "no stemmer for language '%s' in Snowball 2.2",
		                     lang ? lang : "");
	if (!(st = calloc(1, sizeof(*st))))
		return svd_error_set(SVD_ERROR, "out of memory");
	/* NULL from sb_stemmer_new is an unknown algorithm or no memory: ours are all there */
	if (!(st->sb = sb_stemmer_new(algorithm, "UTF_8"))) {
		free(st);
		return svd_error_set(
		    SVD_ERROR, "cannot start Snowball's %s stemmer (out of memory)", algorithm);
	}
	st->algorithm = algorithm;
	*out = st;
	return 0;
}

void svd_stemmer_free(svd_stemmer *st)
{
	if (!st)
		return;
	sb_stemmer_delete(st->sb);
	free(st);
}

const char *svd_stemmer_algorithm(const svd_stemmer *st)
{
	return st->algorithm;
}

/* The code points of s when it is a token's run (each svd_token_cp), else 0. */
static size_t token_cps(const char *s, size_t len)
{
	size_t i, used, n = 0;

	for (i = 0; i < len; i += used, n++)
		if (!svd_token_cp(svd_utf8_next(s + i, len - i, &used)))
			return 0;
	return n;
}

int svd_stem(svd_buf *out, svd_stemmer *st, const char *tok, size_t len)
{
	char stem[SVD_TOKEN_MAX * 4];
	const sb_symbol *sb;
	size_t n, i, used, sb_len, stem_len = 0;

	if (out->error)
		return out->error;
	if (!svd_utf8_valid(tok, len))
		return svd_error_set(SVD_EINVALID, "a token to stem that is not UTF-8");
	n = token_cps(tok, len);
	if (n < SVD_TOKEN_MIN || n > SVD_TOKEN_MAX)
		return 0;
	if (!(sb = sb_stemmer_stem(st->sb, (const sb_symbol *)tok, (int)len)))
		return svd_error_set(SVD_ERROR, "out of memory (Snowball's %s stemmer)",
		                     st->algorithm);
	sb_len = (size_t)sb_stemmer_length(st->sb);
	if (!svd_utf8_valid((const char *)sb, sb_len))
		return 0;
	/* folded again: what a stemmer writes is not always folded; a token's letters only */
	for (i = 0, n = 0; i < sb_len; i += used) {
		uint32_t cp = svd_fold_cp(svd_utf8_next((const char *)sb + i, sb_len - i, &used));

		if (!cp)
			continue;
		if (!svd_token_cp(cp) || n == SVD_TOKEN_MAX)
			return 0;
		stem_len += svd_utf8_put(stem + stem_len, cp);
		n++;
	}
	if (n < SVD_TOKEN_MIN || (stem_len == len && memcmp(stem, tok, len) == 0))
		return 0;
	if (svd_buf_put(out, stem, stem_len) < 0)
		return out->error;
	return 1;
}
