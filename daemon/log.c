/*
 * log.c: lines on stderr with a level, journald-friendly.
 */
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
