/*
 * render_fold.c: folding, tokens and shards for the reader's search
 * (SPEC.md, 11.3 and 11.4).
 *
 * One table is the single source of truth: the C side folds the text it
 * indexes with it, and search/fold.js (svd_render_fold_js) hands the very
 * same mappings to the reader's script, which folds queries by looking up
 * each code point and nothing else. So a query matches exactly when its
 * folded tokens equal the indexed ones, in every script. The table is
 * render_fold_table.c, which archive-format/tools/gen_fold.py writes from
 * the Unicode data.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "samvydav/render.h"
#include "render_internal.h"
#include "util.h"

/* The table spread out over U+0000..U+04FF, for a lookup per code point. */
static uint16_t fold_fast[0x500];
static pthread_once_t fold_once = PTHREAD_ONCE_INIT;

static void fold_init(void)
{
	size_t i;

	for (i = 0; i < 0x500; i++)
		fold_fast[i] = (uint16_t)i;
	for (i = 0; i < svd_fold_table_len; i++)
		fold_fast[svd_fold_table[i].from] = svd_fold_table[i].to;
}

uint32_t svd_fold_cp(uint32_t cp)
{
	if (cp < 0x41 || cp > 0x4FF)
		return cp;
	pthread_once(&fold_once, fold_init);
	return fold_fast[cp];
}

int svd_fold(svd_buf *out, const char *s, size_t len)
{
	size_t i = 0, used;

	while (i < len && !out->error) {
		char enc[4];
		uint32_t cp;

		if ((unsigned char)s[i] < 0x80) {
			/* a run of ASCII at once: only A-Z change */
			size_t j = i;
			while (j < len && (unsigned char)s[j] < 0x80 &&
			       !((unsigned char)s[j] >= 'A' && (unsigned char)s[j] <= 'Z'))
				j++;
			if (j > i) {
				svd_buf_put(out, s + i, j - i);
				i = j;
				continue;
			}
		}
		cp = svd_fold_cp(svd_utf8_next(s + i, len - i, &used));
		i += used;
		if (cp)
			svd_buf_put(out, enc, svd_utf8_put(enc, cp));
	}
	return out->error;
}

/* A letter or digit for tokens (SPEC.md, 11.4). */
static int token_cp(uint32_t cp)
{
	if (cp < 0x80)
		return (cp >= '0' && cp <= '9') || (cp >= 'a' && cp <= 'z') ||
		       (cp >= 'A' && cp <= 'Z');
	if (cp < 0xC0 || cp == 0xD7 || cp == 0xF7 || cp == 0xFFFD)
		return 0;
	if ((cp >= 0x2000 && cp <= 0x206F) || (cp >= 0x3000 && cp <= 0x303F))
		return 0;
	return 1;
}

int svd_token_cp(uint32_t cp)
{
	return token_cp(cp);
}

int svd_tokens(const char *s, size_t len, svd_token_cb cb, void *payload)
{
	const unsigned char *p = (const unsigned char *)s;
	char tok[SVD_TOKEN_MAX * 4 + 4];
	size_t i = 0, used, tlen = 0, ncp = 0;
	int over = 0, r;

	pthread_once(&fold_once, fold_init);
	for (;;) {
		uint32_t cp = 0;
		int is_tok = 0;

		if (i < len) {
			if (p[i] < 0x80) {
				cp = p[i++];
			} else {
				cp = svd_utf8_next(s + i, len - i, &used);
				i += used;
			}
			is_tok = token_cp(cp);
		}
		if (is_tok) {
			uint32_t f = cp < 0x41 || cp > 0x4FF ? cp : fold_fast[cp];
			if (f && !over) {
				if (ncp == SVD_TOKEN_MAX) {
					over = 1;
				} else if (f < 0x80) {
					tok[tlen++] = (char)f;
					ncp++;
				} else {
					tlen += svd_utf8_put(tok + tlen, f);
					ncp++;
				}
			}
			continue;
		}
		/* the end of a run */
		if (!over && ncp >= SVD_TOKEN_MIN && (r = cb(tok, tlen, payload)) != 0)
			return r;
		tlen = ncp = 0;
		over = 0;
		if (i >= len)
			return 0;
	}
}

unsigned svd_search_shard(const char *token, size_t len)
{
	uint32_t h = 2166136261u;
	size_t i = 0, used, k;

	for (k = 0; k < 2 && i < len; k++) {
		size_t j;
		svd_utf8_next(token + i, len - i, &used);
		for (j = 0; j < used; j++) {
			h ^= (unsigned char)token[i + j];
			h *= 16777619u;
		}
		i += used;
	}
	return h % SVD_SEARCH_SHARDS;
}

/* A JavaScript string of one code point, ASCII only (\uXXXX for the rest). */
static void js_char(svd_buf *b, uint32_t cp)
{
	if (cp == 0)
		return;
	if (cp >= 0x20 && cp < 0x7F && cp != '"' && cp != '\\') {
		char c = (char)cp;
		svd_buf_put(b, &c, 1);
		return;
	}
	if (cp >= 0x10000) {
		cp -= 0x10000;
		svd_buf_printf(b, "\\u%04X\\u%04X", (unsigned)(0xD800 + (cp >> 10)),
		               (unsigned)(0xDC00 + (cp & 0x3FF)));
		return;
	}
	svd_buf_printf(b, "\\u%04X", (unsigned)cp);
}

int svd_render_fold_js(svd_buf *out)
{
	size_t i;

	svd_buf_puts(out,
	             "/* samvydav reader: the search folding table (SPEC.md 11.3); generated */\n"
	             "svdFold({");
	for (i = 0; i < svd_fold_table_len; i++) {
		svd_buf_puts(out, i ? ",\n\"" : "\n\"");
		js_char(out, svd_fold_table[i].from);
		svd_buf_puts(out, "\":\"");
		js_char(out, svd_fold_table[i].to);
		svd_buf_puts(out, "\"");
	}
	svd_buf_puts(out, "\n});\n");
	return out->error;
}
