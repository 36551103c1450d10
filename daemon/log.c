/*
 * log.c: lines on stderr with a level, journald-friendly.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

#define LOG_LINE_MAX 4096 /* longer messages are cut, never split at random */

static svdd_level threshold = SVDD_INFO;
static int on_terminal;

void svdd_log_init(void)
{
	on_terminal = isatty(STDERR_FILENO);
}

void svdd_log_set_level(svdd_level level)
{
	threshold = level;
}

const char *svdd_level_name(svdd_level level)
{
	switch (level) {
	case SVDD_ERROR:
		return "error";
	case SVDD_WARN:
		return "warn";
	case SVDD_INFO:
		return "info";
	case SVDD_DEBUG:
		return "debug";
	}
	return "info";
}

int svdd_level_parse(svdd_level *out, const char *name)
{
	static const svdd_level levels[] = {SVDD_ERROR, SVDD_WARN, SVDD_INFO, SVDD_DEBUG};
	size_t i;

	for (i = 0; i < sizeof(levels) / sizeof(levels[0]); i++) {
		if (!strcmp(name, svdd_level_name(levels[i]))) {
			*out = levels[i];
			return 0;
		}
	}
	return -1;
}

/*
 * Each line of the message gets its own prefix: journald reads the level of
 * every line separately, and a bare continuation line would be logged at
 * the unit's default level.
 */
void svdd_log(svdd_level level, const char *fmt, ...)
{
	char buf[LOG_LINE_MAX];
	const char *line, *end;
	va_list ap;

	if (level > threshold)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	for (line = buf;; line = end + 1) {
		end = strchr(line, '\n');
		if (!end)
			end = line + strlen(line);
		if (on_terminal)
			fprintf(stderr, "%s: %.*s\n", svdd_level_name(level), (int)(end - line),
			        line);
		else
			fprintf(stderr, "<%d>%.*s\n", (int)level, (int)(end - line), line);
		if (!*end || !end[1])
			break;
	}
	fflush(stderr);
}

/* Bytes of the UTF-8 sequence at s that a log may show as it is, or 0. */
static size_t utf8_len(const unsigned char *s)
{
	uint32_t c;
	size_t n, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xC2 && s[0] <= 0xDF)
		n = 2, c = s[0] & 0x1F;
	else if (s[0] >= 0xE0 && s[0] <= 0xEF)
		n = 3, c = s[0] & 0x0F;
	else if (s[0] >= 0xF0 && s[0] <= 0xF4)
		n = 4, c = s[0] & 0x07;
	else
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xC0) != 0x80) /* the NUL at the end stops here too */
			return 0;
		c = c << 6 | (s[i] & 0x3F);
	}
	if ((n == 2 && c <= 0x9F) || (n == 3 && (c < 0x800 || (c >= 0xD800 && c <= 0xDFFF))) ||
	    (n == 4 && (c < 0x10000 || c > 0x10FFFF)))
		return 0;
	return n;
}

const char *svdd_shown(char *out, size_t size, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t o = 0, n;

	while (*p) {
		n = *p < 0x20 || *p == 0x7F || *p == '\\' ? 0 : utf8_len(p);
		if (n ? o + n >= size : o + 4 >= size)
			break;
		if (n) {
			memcpy(out + o, p, n);
			o += n;
			p += n;
		} else {
			o += (size_t)snprintf(out + o, size - o, "\\x%02x", *p++);
		}
	}
	out[o] = '\0';
	return out;
}
