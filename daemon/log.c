/*
 * log.c: lines on stderr with a level, journald-friendly.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <samvydav/text.h>

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
	char buf[LOG_LINE_MAX], shown[LOG_LINE_MAX];
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
		/*
		 * Names from outside were escaped where they went into the message;
		 * whatever else slipped in is escaped here, backslashes aside, so
		 * that nothing is escaped twice (SPEC.md, 13).
		 */
		svd_text_escape(shown, sizeof(shown), line, (size_t)(end - line),
		                SVD_TEXT_KEEP_BACKSLASH);
		if (on_terminal)
			fprintf(stderr, "%s: %s\n", svdd_level_name(level), shown);
		else
			fprintf(stderr, "<%d>%s\n", (int)level, shown);
		if (!*end || !end[1])
			break;
	}
	fflush(stderr);
}

const char *svdd_shown(char *out, size_t size, const char *s)
{
	svd_text_escape(out, size, s, strlen(s), 0);
	return out;
}
