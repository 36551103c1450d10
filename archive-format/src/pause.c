/*
 * pause.c: pause points, the crash tests' hook (pause.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
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

/* Where a thread is held: one point per process, set before other threads start. */
static struct {
	char point[64];
	char *file;
	unsigned long seen; /* passes, counted atomically */
} hold;

/*
 * Hold this thread while the file is there: say so in the file first (it
 * is appended to, never made: a test that removed it meanwhile lets the
 * thread go), then look every 10 ms.
 */
static void hold_here(const char *point)
{
	unsigned long n = __atomic_add_fetch(&hold.seen, 1, __ATOMIC_RELAXED);
	struct timespec tick = {0, 10 * 1000 * 1000};
	char line[128];
	int fd, len;

	if (access(hold.file, F_OK) != 0)
		return;
	fd = open(hold.file, O_WRONLY | O_APPEND | O_CLOEXEC);
	if (fd >= 0) {
		len = snprintf(line, sizeof(line), "%s %lu %ld held\n", point, n, (long)getpid());
		if (len > 0 && (size_t)len < sizeof(line) &&
		    svd_write_all(fd, line, (size_t)len) == 0)
			fsync(fd);
		close(fd);
	}
	while (access(hold.file, F_OK) == 0)
		nanosleep(&tick, NULL);
}

void svd_pause_point(const char *point)
{
	if (hold.file && !strcmp(point, hold.point))
		hold_here(point);
	if (hook)
		hook(point, hook_payload);
}

int svd_pause_hold_at(const char *point, const char *file)
{
	if (!point || !*point || strlen(point) >= sizeof(hold.point) || !file || !*file)
		return svd_error_set(SVD_EINVALID, "hold point '%.80s': give a point and a file",
		                     point ? point : "");
	free(hold.file);
	if (!(hold.file = svd_strdup(file)))
		return svd_error_set(SVD_ERROR, "out of memory");
	memcpy(hold.point, point, strlen(point) + 1);
	hold.seen = 0;
	return 0;
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
