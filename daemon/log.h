/*
 * log.h: the daemon's log, on standard error.
 *
 * When stderr is not a terminal (systemd, a pipe), every line starts with
 * "<N>", its syslog priority, which journald reads as the line's level
 * (SyslogLevelPrefix) and strips. On a terminal, lines start with
 * "level: " instead.
 */
#ifndef SVDD_LOG_H
#define SVDD_LOG_H

#include <stddef.h>
#include <stdarg.h>

/* Levels, numbered as syslog priorities so that "<N>" is the level itself. */
typedef enum svdd_level {
	SVDD_ERROR = 3,
	SVDD_WARN = 4,
	SVDD_INFO = 6,
	SVDD_DEBUG = 7,
} svdd_level;

/* Look at stderr once: terminal or not. Call before the first line. */
void svdd_log_init(void);

/* Lines below this level are dropped (default SVDD_INFO). */
void svdd_log_set_level(svdd_level level);

/* The name of a level ("error", "warn", "info", "debug"). */
const char *svdd_level_name(svdd_level level);

/* Parse a level's name; 0, or -1 for a name that is none of them. */
int svdd_level_parse(svdd_level *out, const char *name);

/*
 * A name from outside (a file in the inbox, on a stick) as a log line may
 * show it, into out: svd_text_escape() (SPEC.md, 13), so that a name can
 * neither forge a line of the log, nor move a terminal's cursor, nor pass
 * for another name. Cut short to fit size (at least 1). Returns out.
 */
const char *svdd_shown(char *out, size_t size, const char *s);

/* Log a message; a message of several lines gives several log lines. */
void svdd_log(svdd_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
