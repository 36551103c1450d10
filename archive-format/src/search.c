/*
 * search.c: the search shards of a reader library (SPEC.md, 11.5):
 * search/sNN.js, each folded token of the shard with the rows of the shown
 * items that hold it, in byte order.
 */
#include <stdio.h>
#include <string.h>

#include "samvydav/render.h"
#include "catalog_internal.h"
#include "library_paths.h"
#include "render_internal.h"
#include "util.h"

_Static_assert(SVD_LIBRARY_SHARDS == SVD_SEARCH_SHARDS, "one count of search shards");

/* \\uXXXX, upper-case hex */
static void js_u4(svd_buf *b, uint32_t u)
{
	static const char hex[] = "0123456789ABCDEF";
	char e[6] = {'\\',       'u', hex[(u >> 12) & 15], hex[(u >> 8) & 15], hex[(u >> 4) & 15],
	             hex[u & 15]};

	svd_buf_put(b, e, sizeof(e));
}

int svd_render_shard(svd_buf *b, const svd_catalog *c, unsigned n)
{
	size_t i;

	if (!c->finished)
		return svd_error_set(SVD_EINVALID, "the catalog is not finished");
	if (n >= SVD_SEARCH_SHARDS)
		return svd_error_set(SVD_EINVALID, "no search shard %u (0 to 63)", n);
	svd_buf_printf(b, "svdShard(%u, {", n);
	for (i = 0; i < c->shard_n[n] && !b->error; i++) {
		const ctok *t = &c->toks[c->shard_toks[n][i]];
		const char *s = c->arena + t->off;
		size_t k = 0, used;
		uint32_t j;

		svd_buf_puts(b, i ? ",\n\"" : "\n\"");
		/* ASCII only: every other code point as \uXXXX (surrogate pairs above the BMP) */
		while (k < t->len) {
			uint32_t cp = svd_utf8_next(s + k, t->len - k, &used);
			if (cp < 0x80) {
				svd_buf_put(b, s + k, 1);
			} else if (cp < 0x10000) {
				js_u4(b, cp);
			} else {
				js_u4(b, 0xD800 + ((cp - 0x10000) >> 10));
				js_u4(b, 0xDC00 + ((cp - 0x10000) & 0x3FF));
			}
			k += used;
		}
		svd_buf_puts(b, "\":[");
		for (j = c->post_off[c->shard_toks[n][i]]; j < c->post_off[c->shard_toks[n][i] + 1];
		     j++) {
			/* decimal by hand: millions of numbers, printf is most of the time */
			char num[12];
			size_t at = sizeof(num);
			uint32_t v = c->post[j];
			do {
				num[--at] = (char)('0' + v % 10);
				v /= 10;
			} while (v);
			if (j != c->post_off[c->shard_toks[n][i]])
				num[--at] = ',';
			svd_buf_put(b, num + at, sizeof(num) - at);
		}
		svd_buf_puts(b, "]");
	}
	svd_buf_puts(b, "\n});\n");
	return b->error;
}
