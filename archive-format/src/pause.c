/*
 * pause.c: pause points, the crash tests' hook (pause.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "samvydav/pause.h"
#include "util.h"

/* Set once by the caller before other threads start; read at every point. */
static svd_pause_fn hook;
static void *hook_payload;

void svd_pause_set_hook(svd_pause_fn fn, void *payload)
{
	hook = fn;
	hook_payload = payload;
}

void svd_pause_point(const char *point)
{
	if (hook)
		hook(point, hook_payload);
}

/* Where the stopping hook stops: one per process. */
static struct {
	char point[64];
	unsigned long nth, seen;
	int fd; /* -1: stderr */
} target;

/*
 * The line reaches the disk before the stop, so that a test which finds the
 * process stopped also finds which point stopped it.
 */
static void stop_hook(const char *point, void *payload)
{
	char line[128];
	int len, fd;

	(void)payload;
	if (strcmp(point, target.point) || ++target.seen != target.nth)
		return;
	fd = target.fd >= 0 ? target.fd : STDERR_FILENO;
	len = snprintf(line, sizeof(line), "%s %lu %ld\n", point, target.nth, (long)getpid());
	if (len > 0 && (size_t)len < sizeof(line) && svd_write_all(fd, line, (size_t)len) == 0 &&
	    target.fd >= 0)
		fsync(fd);
	raise(SIGSTOP);
}

int svd_pause_stop_at(const char *spec, const char *announce)
{
	const char *colon = strchr(spec, ':');
	size_t len = colon ? (size_t)(colon - spec) : strlen(spec);
	unsigned long nth = 1;
	char *end = NULL;
	int fd = -1;

	if (len == 0 || len >= sizeof(target.point))
		return svd_error_set(SVD_EINVALID, "pause point '%.80s': give POINT or POINT:N",
		                     spec);
	if (colon) {
		errno = 0;
		nth = strtoul(colon + 1, &end, 10);
		if (errno || end == colon + 1 || *end || nth == 0 || colon[1] == '-')
			return svd_error_set(SVD_EINVALID,
			                     "pause point '%.80s': N must be a whole number from 1",
			                     spec);
	}
	if (announce && *announce) {
		fd = open(announce, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
		if (fd < 0)
			return svd_error_set(SVD_ERROR, "%s: cannot open to announce pauses: %s",
			                     announce, strerror(errno));
	}
	memcpy(target.point, spec, len);
	target.point[len] = '\0';
	target.nth = nth;
	target.seen = 0;
	target.fd = fd;
	svd_pause_set_hook(stop_hook, NULL);
	return 0;
}
