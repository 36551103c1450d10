/*
 * buf.c: the capped byte buffer (buf.h): growing, printf, HTML escaping,
 * URL segments. The first failure sticks, so a page is written without a
 * check after every line and tested once at the end.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "samvydav/text.h"
#include "buf.h"
#include "util.h"

void svd_buf_init(svd_buf *b, size_t max)
{
	memset(b, 0, sizeof(*b));
	b->max = max;
}

int svd_buf_put(svd_buf *b, const void *data, size_t n)
{
	size_t want;
	char *p;

	if (b->error)
		return b->error;
	if (n > b->max - b->len)
		return b->error =
		           svd_error_set(SVD_ETOOBIG, "a page over its limit of %zu bytes", b->max);
	if (b->len + n + 1 > b->cap) {
		want = b->cap ? b->cap : 4096;
		while (want < b->len + n + 1)
			want *= 2;
		if (!(p = realloc(b->data, want)))
			return b->error =
			           svd_error_set(SVD_ERROR, "out of memory rendering a page");
		b->data = p;
		b->cap = want;
		svd_mem_huge(p, want);
	}
	if (n)
		memcpy(b->data + b->len, data, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

void svd_buf_clear(svd_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
	b->error = 0;
}

int svd_buf_puts(svd_buf *b, const char *s)
{
	return svd_buf_put(b, s, strlen(s));
}

int svd_buf_printf(svd_buf *b, const char *fmt, ...)
{
	char tmp[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		if (!b->error)
			b->error = svd_error_set(SVD_ERROR, "a line of a page is too long");
		return b->error;
	}
	return svd_buf_put(b, tmp, (size_t)n);
}

void svd_buf_html(svd_buf *b, const char *s, size_t n)
{
	size_t i = 0, run = 0, used;

	while (i < n) {
		unsigned char c = (unsigned char)s[i];
		uint32_t cp = c < 0x80 ? (used = 1, c) : svd_utf8_next(s + i, n - i, &used);
		const char *rep = NULL;

		switch (cp) {
		case '&':
			rep = "&amp;";
			break;
		case '<':
			rep = "&lt;";
			break;
		case '>':
			rep = "&gt;";
			break;
		case '"':
			rep = "&quot;";
			break;
		case '\'':
			rep = "&#39;";
			break;
		case '\t':
		case '\n':
			break;
		default:
			/*
			 * Not UTF-8, or a control (SPEC.md, 13): U+FFFD. A character
			 * reference would not do: &#x202E; turns the text around as
			 * the character itself does.
			 */
			if ((cp == 0xFFFD && used == 1) || svd_text_control(cp))
				rep = "\xEF\xBF\xBD";
			break;
		}
		i += used;
		if (!rep)
			continue;
		svd_buf_put(b, s + run, i - used - run);
		svd_buf_puts(b, rep);
		run = i;
	}
	svd_buf_put(b, s + run, n - run);
}

void svd_buf_url(svd_buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		char e[3];

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '.' || c == '_' || c == '~') {
			svd_buf_put(b, s, 1);
			continue;
		}
		e[0] = '%';
		e[1] = hex[c >> 4];
		e[2] = hex[c & 15];
		svd_buf_put(b, e, 3);
	}
}
