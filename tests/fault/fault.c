/*
 * fault.c: fault injection for the test build (cmake -DSVD_FAULT=ON).
 *
 * In that build the objects of libsamvydav.a are rewritten (objcopy
 * --redefine-syms=wrap.syms) so that their calls to malloc, write, fsync,
 * rename and the rest land here instead. Each wrapper counts its call and,
 * when told to, fails it the way the system would: an allocation returns NULL
 * (ENOMEM), a write ENOSPC, an fsync EIO. Calls made inside libgit2, libsodium,
 * jansson, libzstd and libarchive, and the CLI's own calls, are not rewritten
 * and never fail here.
 *
 * The library never reads the environment; this test-only file does, once,
 * before main:
 *
 *   SVD_FAULT=alloc:K    the K-th allocation fails (K from 1)
 *   SVD_FAULT=io:K       the K-th write-side file call fails
 *   SVD_FAULT=io:K+      it and every later one fail (a disk that stays full)
 *   SVD_FAULT_COUNT=FILE at exit, write "alloc N", "io N" and "fired N" lines
 *                        to FILE: N calls of each kind, N injected failures
 *   SVD_FAULT_TRACE=FILE append the call stack of each injected failure
 *
 * Unset, every wrapper passes straight through.
 */
#include <errno.h>
#include <execinfo.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fault.h"

enum { KIND_ALLOC, KIND_IO, KIND_COUNT };

static const char *const kind_names[KIND_COUNT] = {"alloc", "io"};

static atomic_ulong calls[KIND_COUNT];
static atomic_ulong fired;
static int fail_kind = -1;
static unsigned long fail_at;
static int fail_onward;
static char count_path[4096];
static char trace_path[4096];

static void write_counts(void)
{
	char buf[256];
	int fd, len;

	fd = open(count_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return;
	len = snprintf(buf, sizeof(buf), "alloc %lu\nio %lu\nfired %lu\n",
	               atomic_load(&calls[KIND_ALLOC]), atomic_load(&calls[KIND_IO]),
	               atomic_load(&fired));
	if (len > 0 && write(fd, buf, (size_t)len) != len)
		len = -1;
	close(fd);
}

static void copy_env(char *dst, size_t cap, const char *name)
{
	const char *v = getenv(name);

	if (v && strlen(v) < cap)
		strcpy(dst, v);
}

/* Read the settings before main, so that every call of the run is counted. */
__attribute__((constructor)) static void fault_setup(void)
{
	const char *spec = getenv("SVD_FAULT");
	char *end;
	int i;

	copy_env(count_path, sizeof(count_path), "SVD_FAULT_COUNT");
	copy_env(trace_path, sizeof(trace_path), "SVD_FAULT_TRACE");
	if (*count_path)
		atexit(write_counts);
	if (!spec || !*spec)
		return;
	for (i = 0; i < KIND_COUNT; i++) {
		size_t n = strlen(kind_names[i]);

		if (!strncmp(spec, kind_names[i], n) && spec[n] == ':') {
			fail_at = strtoul(spec + n + 1, &end, 10);
			fail_onward = *end == '+';
			if (fail_at > 0)
				fail_kind = i;
			return;
		}
	}
}

static void trace(int kind, unsigned long n)
{
	void *frames[32];
	char head[64];
	int fd, len, depth;

	fd = open(trace_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd < 0)
		return;
	len = snprintf(head, sizeof(head), "== %s %lu\n", kind_names[kind], n);
	if (len > 0 && write(fd, head, (size_t)len) == len) {
		depth = backtrace(frames, 32);
		backtrace_symbols_fd(frames, depth, fd);
	}
	close(fd);
}

/* Count one call of a kind; nonzero when this one is to fail. */
static int fault(int kind)
{
	unsigned long n = atomic_fetch_add(&calls[kind], 1) + 1;

	if (kind != fail_kind || n < fail_at || (!fail_onward && n != fail_at))
		return 0;
	atomic_fetch_add(&fired, 1);
	if (*trace_path)
		trace(kind, n);
	return 1;
}

static int fail_errno(int e)
{
	errno = e;
	return -1;
}

void *svd_fault_malloc(size_t size)
{
	if (fault(KIND_ALLOC)) {
		errno = ENOMEM;
		return NULL;
	}
	return malloc(size);
}

void *svd_fault_calloc(size_t n, size_t size)
{
	if (fault(KIND_ALLOC)) {
		errno = ENOMEM;
		return NULL;
	}
	return calloc(n, size);
}

void *svd_fault_realloc(void *p, size_t size)
{
	if (fault(KIND_ALLOC)) {
		errno = ENOMEM;
		return NULL;
	}
	return realloc(p, size);
}

char *svd_fault_strdup(const char *s)
{
	if (fault(KIND_ALLOC)) {
		errno = ENOMEM;
		return NULL;
	}
	return strdup(s);
}

char *svd_fault_strndup(const char *s, size_t n)
{
	if (fault(KIND_ALLOC)) {
		errno = ENOMEM;
		return NULL;
	}
	return strndup(s, n);
}

int svd_fault_asprintf(char **out, const char *fmt, ...)
{
	va_list ap;
	int r;

	if (fault(KIND_ALLOC)) {
		errno = ENOMEM;
		return -1;
	}
	va_start(ap, fmt);
	r = vasprintf(out, fmt, ap);
	va_end(ap);
	return r;
}

ssize_t svd_fault_write(int fd, const void *buf, size_t n)
{
	return fault(KIND_IO) ? fail_errno(ENOSPC) : write(fd, buf, n);
}

ssize_t svd_fault_pwrite(int fd, const void *buf, size_t n, off_t offset)
{
	return fault(KIND_IO) ? fail_errno(ENOSPC) : pwrite(fd, buf, n, offset);
}

int svd_fault_fsync(int fd)
{
	return fault(KIND_IO) ? fail_errno(EIO) : fsync(fd);
}

int svd_fault_fdatasync(int fd)
{
	return fault(KIND_IO) ? fail_errno(EIO) : fdatasync(fd);
}

int svd_fault_rename(const char *from, const char *to)
{
	return fault(KIND_IO) ? fail_errno(ENOSPC) : rename(from, to);
}

int svd_fault_link(const char *from, const char *to)
{
	return fault(KIND_IO) ? fail_errno(ENOSPC) : link(from, to);
}

/* Only opens that may create or change a file are write-side calls. */
int svd_fault_open(const char *path, int flags, ...)
{
	mode_t mode = 0;

	if (flags & (O_CREAT | O_TMPFILE)) {
		va_list ap;

		va_start(ap, flags);
		mode = (mode_t)va_arg(ap, int);
		va_end(ap);
	}
	if ((flags & (O_CREAT | O_WRONLY | O_RDWR | O_TRUNC)) && fault(KIND_IO))
		return fail_errno(ENOSPC);
	return open(path, flags, mode);
}

int svd_fault_mkostemp(char *tmpl, int flags)
{
	return fault(KIND_IO) ? fail_errno(ENOSPC) : mkostemp(tmpl, flags);
}

int svd_fault_mkdir(const char *path, mode_t mode)
{
	return fault(KIND_IO) ? fail_errno(ENOSPC) : mkdir(path, mode);
}

int svd_fault_ftruncate(int fd, off_t length)
{
	return fault(KIND_IO) ? fail_errno(EIO) : ftruncate(fd, length);
}

int svd_fault_fallocate(int fd, int mode, off_t offset, off_t len)
{
	return fault(KIND_IO) ? fail_errno(ENOSPC) : fallocate(fd, mode, offset, len);
}

ssize_t svd_fault_copy_file_range(int in, off_t *in_off, int out, off_t *out_off, size_t len,
                                  unsigned int flags)
{
	if (fault(KIND_IO))
		return fail_errno(ENOSPC);
	return copy_file_range(in, in_off, out, out_off, len, flags);
}

FILE *svd_fault_fopen(const char *path, const char *mode)
{
	if (strpbrk(mode, "wa+") && fault(KIND_IO)) {
		errno = ENOSPC;
		return NULL;
	}
	return fopen(path, mode);
}
