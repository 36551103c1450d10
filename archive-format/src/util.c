/*
 * util.c: file, hex and UTF-8 helpers shared inside the library.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "samvydav/common.h"
#include "samvydav/pause.h"
#include "samvydav/seal.h"
#include "samvydav/text.h"
#include "util.h"

const char *svd_file_kind(mode_t mode)
{
	if (S_ISREG(mode))
		return "a regular file";
	if (S_ISDIR(mode))
		return "a folder";
	if (S_ISFIFO(mode))
		return "a FIFO";
	if (S_ISSOCK(mode))
		return "a socket";
	if (S_ISCHR(mode))
		return "a character device";
	if (S_ISBLK(mode))
		return "a block device";
	if (S_ISLNK(mode))
		return "a link";
	return "of an unknown kind";
}

/*
 * What is not a regular file is refused from its stat, never opened: the
 * open of some devices acts (a tape rewinds, a serial line raises DTR).
 * O_NONBLOCK still keeps the open of a FIFO put in its place meanwhile
 * from waiting for a writer (and O_NOCTTY a terminal from becoming ours);
 * fstat must then show the same regular file. O_NONBLOCK is cleared once
 * it has; for a regular file it changes nothing anyway.
 */
static int not_regular(const char *path, const struct stat *st)
{
	return svd_error_set(SVD_ECORRUPT, "%s: is %s, not a regular file (refused unread)", path,
	                     svd_file_kind(st->st_mode));
}

int svd_file_open_regular(int *fd, struct stat *st, const char *path, int nofollow)
{
	struct stat before;
	int f, fl, e;

	*fd = -1;
	if ((nofollow ? lstat(path, &before) : stat(path, &before)) < 0) {
		e = errno;
		if (e == ENOENT)
			return svd_error_set(SVD_ENOTFOUND, "%s: no such file", path);
		return svd_error_set(SVD_ERROR, "%s: cannot open: %s", path, svd_ioerr(e));
	}
	if (S_ISLNK(before.st_mode))
		return svd_error_set(SVD_ECORRUPT,
		                     "%s: is a link, not a regular file (refused: give the file "
		                     "itself)",
		                     path);
	if (!S_ISREG(before.st_mode))
		return not_regular(path, &before);
	f = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC | (nofollow ? O_NOFOLLOW : 0));
	if (f < 0) {
		e = errno;
		if (e == ENOENT)
			return svd_error_set(SVD_ENOTFOUND, "%s: no such file", path);
		return svd_error_set(SVD_ERROR, "%s: cannot open: %s", path, svd_ioerr(e));
	}
	if (fstat(f, st) < 0) {
		e = errno;
		close(f);
		return svd_error_set(SVD_ERROR, "%s: cannot stat: %s", path, svd_ioerr(e));
	}
	if (!S_ISREG(st->st_mode) || st->st_dev != before.st_dev || st->st_ino != before.st_ino) {
		close(f);
		return !S_ISREG(st->st_mode)
		           ? not_regular(path, st)
		           : svd_error_set(SVD_ERROR,
		                           "%s: was replaced while it was opened (try again)",
		                           path);
	}
	if ((fl = fcntl(f, F_GETFL)) < 0 || fcntl(f, F_SETFL, fl & ~O_NONBLOCK) < 0) {
		e = errno;
		close(f);
		return svd_error_set(SVD_ERROR, "%s: cannot open: %s", path, svd_ioerr(e));
	}
	*fd = f;
	return 0;
}

int svd_file_open(int *fd, uint64_t *size, const char *path)
{
	struct stat st;
	int error = svd_file_open_regular(fd, &st, path, 0);

	if (error == 0 && size)
		*size = (uint64_t)st.st_size;
	return error;
}

int svd_file_map(const void **out, size_t *len, const char *path, size_t max)
{
	static const char empty[1];
	struct stat st;
	void *p;
	int fd, error;

	*out = NULL;
	*len = 0;
	if ((error = svd_file_open_regular(&fd, &st, path, 1)) < 0)
		return error;
	if ((uint64_t)st.st_size > max) {
		close(fd);
		return svd_error_set(SVD_ETOOBIG, "%s: %lld bytes, over the limit of %zu bytes",
		                     path, (long long)st.st_size, max);
	}
	if (st.st_size == 0) {
		close(fd);
		*out = empty;
		return 0;
	}
	p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	error = errno;
	close(fd);
	if (p == MAP_FAILED)
		return svd_error_set(SVD_ERROR, "%s: cannot map it: %s", path, svd_ioerr(error));
	madvise(p, (size_t)st.st_size, MADV_SEQUENTIAL);
	*out = p;
	*len = (size_t)st.st_size;
	return 0;
}

void svd_file_unmap(const void *data, size_t len)
{
	if (data && len > 0)
		munmap((void *)(uintptr_t)data, len);
}

int svd_file_read(char **out, size_t *len, const char *path, size_t max)
{
	struct stat st;
	char *buf = NULL;
	size_t got = 0;
	int fd, error = SVD_ERROR;

	*out = NULL;
	*len = 0;
	if ((error = svd_file_open_regular(&fd, &st, path, 1)) < 0)
		return error;
	error = SVD_ERROR;
	if ((uint64_t)st.st_size > max) {
		error = svd_error_set(SVD_ETOOBIG, "%s: %lld bytes, over the limit of %zu bytes",
		                      path, (long long)st.st_size, max);
		goto cleanup;
	}
	/* one byte more than expected, to notice a file that grew meanwhile */
	buf = malloc((size_t)st.st_size + 2);
	if (!buf) {
		svd_error_set(SVD_ERROR, "%s: out of memory", path);
		goto cleanup;
	}
	svd_mem_huge(buf, (size_t)st.st_size + 2);
	for (;;) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size + 1 - got);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			svd_error_set(SVD_ERROR, "%s: cannot read: %s", path, svd_ioerr(errno));
			goto cleanup;
		}
		if (n == 0)
			break;
		got += (size_t)n;
		if (got > (size_t)st.st_size) {
			svd_error_set(SVD_ERROR, "%s: the file changed while it was read", path);
			goto cleanup;
		}
	}
	buf[got] = '\0';
	*out = buf;
	*len = got;
	buf = NULL;
	error = 0;
cleanup:
	free(buf);
	close(fd);
	return error;
}

int svd_write_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int svd_file_put(char *path, const void *data, size_t len, int replace)
{
	int flags = O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC | (replace ? O_TRUNC : O_EXCL);
	int fd, error = 0;

	fd = open(path, flags, 0644);
	if (fd < 0 && !replace && errno == EEXIST && unlink(path) == 0) /* made again */
		fd = open(path, flags, 0644);
	if (fd < 0 && errno == ENOENT) {
		char *slash = strrchr(path, '/');
		if (!slash)
			return svd_error_set(SVD_ERROR, "%s: cannot write: %s", path,
			                     strerror(errno));
		*slash = '\0';
		if (mkdir(path, 0755) < 0 && errno != EEXIST) {
			error = svd_error_set(SVD_ERROR, "%s: cannot make it: %s", path,
			                      strerror(errno));
			*slash = '/';
			return error;
		}
		*slash = '/';
		fd = open(path, flags, 0644);
	}
	if (fd < 0 || svd_write_all(fd, data, len) < 0)
		error = svd_error_set(SVD_ERROR, "%s: cannot write: %s (is the disk full?)", path,
		                      strerror(errno));
	if (fd >= 0 && close(fd) < 0 && !error)
		error = svd_error_set(SVD_ERROR, "%s: cannot write: %s", path, strerror(errno));
	return error;
}

char *svd_path_dir(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir;

	if (!slash)
		return svd_strdup(".");
	if (slash == path)
		return svd_strdup("/");
	dir = malloc((size_t)(slash - path) + 1);
	if (!dir) {
		svd_error_set(SVD_ERROR, "out of memory");
		return NULL;
	}
	memcpy(dir, path, (size_t)(slash - path));
	dir[slash - path] = '\0';
	return dir;
}

int svd_dir_fsync(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return svd_error_set(SVD_ERROR, "%s: cannot open folder: %s", path,
		                     svd_ioerr(errno));
	if (fsync(fd) < 0 && errno != EINVAL) {
		int e = errno;
		close(fd);
		return svd_error_set(SVD_ERROR, "%s: cannot sync folder: %s", path, svd_ioerr(e));
	}
	close(fd);
	return 0;
}

int svd_file_write_atomic(const char *path, const void *data, size_t len, mode_t mode,
                          int exclusive)
{
	char *tmp = NULL, *dir = NULL;
	size_t n = strlen(path) + 32;
	int fd = -1, error = SVD_ERROR;
	uint32_t r = randombytes_random();

	tmp = malloc(n);
	dir = svd_path_dir(path);
	if (!tmp || !dir) {
		svd_error_set(SVD_ERROR, "out of memory");
		goto cleanup;
	}
	snprintf(tmp, n, "%s.tmp-%08x", path, r);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
	if (fd < 0) {
		svd_error_set(SVD_ERROR, "%s: cannot create: %s", tmp, svd_ioerr(errno));
		goto cleanup;
	}
	/* the umask must not widen or narrow what the caller asked for */
	if (fchmod(fd, mode) < 0 || svd_write_all(fd, data, len) < 0 || fsync(fd) < 0) {
		svd_error_set(SVD_ERROR, "%s: cannot write: %s", tmp, svd_ioerr(errno));
		goto cleanup;
	}
	if (close(fd) < 0) {
		fd = -1;
		svd_error_set(SVD_ERROR, "%s: cannot write: %s", tmp, svd_ioerr(errno));
		goto cleanup;
	}
	fd = -1;
	if (exclusive) {
		/* link() fails if the name exists, unlike rename() */
		if (link(tmp, path) < 0) {
			if (errno == EEXIST)
				error = svd_error_set(SVD_EEXISTS,
				                      "%s: already exists (not replaced)", path);
			else
				svd_error_set(SVD_ERROR, "%s: cannot create: %s", path,
				              svd_ioerr(errno));
			goto cleanup;
		}
		unlink(tmp);
	} else if (rename(tmp, path) < 0) {
		svd_error_set(SVD_ERROR, "%s: cannot rename into place: %s", path,
		              svd_ioerr(errno));
		goto cleanup;
	}
	free(tmp);
	tmp = NULL;
	error = svd_dir_fsync(dir);
cleanup:
	if (fd >= 0)
		close(fd);
	if (tmp)
		unlink(tmp);
	free(tmp);
	free(dir);
	return error;
}

int svd_mkdir(const char *path, mode_t mode)
{
	if (mkdir(path, mode ? mode : 0755) < 0 && errno != EEXIST)
		return svd_error_set(SVD_ERROR, "%s: cannot create folder: %s", path,
		                     svd_ioerr(errno));
	return 0;
}

void svd_hex_encode(char *out, const uint8_t *in, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * n] = '\0';
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int svd_hex_decode(uint8_t *out, size_t n, const char *hex)
{
	size_t i;

	for (i = 0; i < n; i++) {
		int hi = hexval(hex[2 * i]), lo;
		if (hi < 0)
			return -1;
		lo = hexval(hex[2 * i + 1]);
		if (lo < 0)
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

/*
 * The one UTF-8 decoder of the library: validation, control characters,
 * HTML escaping, folding, tokens and shards all read text through it, so
 * they agree on what is valid (RFC 3629: shortest form, no surrogates,
 * nothing above U+10FFFF).
 */
uint32_t svd_utf8_next(const char *s, size_t n, size_t *used)
{
	const unsigned char *p = (const unsigned char *)s;
	uint32_t cp, min;
	size_t len, i;

	*used = 1;
	if (n == 0)
		return 0xFFFD;
	if (p[0] < 0x80)
		return p[0];
	if (p[0] >= 0xC2 && p[0] <= 0xDF) {
		len = 2;
		cp = p[0] & 0x1F;
		min = 0x80;
	} else if (p[0] >= 0xE0 && p[0] <= 0xEF) {
		len = 3;
		cp = p[0] & 0x0F;
		min = 0x800;
	} else if (p[0] >= 0xF0 && p[0] <= 0xF4) {
		len = 4;
		cp = p[0] & 0x07;
		min = 0x10000;
	} else {
		return 0xFFFD;
	}
	if (n < len)
		return 0xFFFD;
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xC0) != 0x80)
			return 0xFFFD;
		cp = cp << 6 | (p[i] & 0x3F);
	}
	if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		return 0xFFFD;
	*used = len;
	return cp;
}

size_t svd_utf8_put(char out[4], uint32_t cp)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xC0 | cp >> 6);
		out[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xE0 | cp >> 12);
		out[1] = (char)(0x80 | (cp >> 6 & 0x3F));
		out[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	out[0] = (char)(0xF0 | cp >> 18);
	out[1] = (char)(0x80 | (cp >> 12 & 0x3F));
	out[2] = (char)(0x80 | (cp >> 6 & 0x3F));
	out[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

int svd_utf8_valid(const char *s, size_t len)
{
	size_t i = 0, used;

	while (i < len) {
		if ((unsigned char)s[i] < 0x80) {
			i++;
			continue;
		}
		/* a real U+FFFD is three bytes long */
		if (svd_utf8_next(s + i, len - i, &used) == 0xFFFD && used == 1)
			return 0;
		i += used;
	}
	return 1;
}

char *svd_path_join(const char *dir, const char *name)
{
	size_t a = strlen(dir), b = strlen(name);
	char *p = malloc(a + b + 2);

	if (!p) {
		svd_error_set(SVD_ERROR, "out of memory");
		return NULL;
	}
	memcpy(p, dir, a);
	if (a > 0 && dir[a - 1] != '/')
		p[a++] = '/';
	memcpy(p + a, name, b + 1);
	return p;
}

char *svd_strdup(const char *s)
{
	char *p = strdup(s);

	if (!p)
		svd_error_set(SVD_ERROR, "out of memory");
	return p;
}

long svd_utf8_control_at(const char *s, size_t len)
{
	size_t i = 0, used;

	while (i < len) {
		uint32_t cp = (unsigned char)s[i];

		if (cp < 0x80)
			used = 1;
		else
			cp = svd_utf8_next(s + i, len - i, &used);
		if (cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F))
			return (long)i;
		i += used;
	}
	return -1;
}

/* ----------------------------------------------------------------- text shown (SPEC.md, 13) */

int svd_text_control(uint32_t cp)
{
	/* C0, DEL and C1; Bidi_Control of Unicode's PropList.txt; LS and PS */
	return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || cp == 0x061C || cp == 0x200E ||
	       cp == 0x200F || (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069) ||
	       cp == 0x2028 || cp == 0x2029;
}

/* "\xNN" (lower-case) or "\uNNNN" (upper-case) into e; returns its length. */
static size_t text_escape_one(char e[6], char kind, uint32_t v)
{
	static const char lower[] = "0123456789abcdef", upper[] = "0123456789ABCDEF";

	e[0] = '\\';
	e[1] = kind;
	if (kind == 'x') {
		e[2] = lower[v >> 4 & 15];
		e[3] = lower[v & 15];
		return 4;
	}
	e[2] = upper[v >> 12 & 15];
	e[3] = upper[v >> 8 & 15];
	e[4] = upper[v >> 4 & 15];
	e[5] = upper[v & 15];
	return 6;
}

/*
 * Printable ASCII and two-byte sequences but the C1 controls and U+061C
 * are looked at in line; the rest goes through the one decoder.
 */
int svd_text_plain(const char *str, size_t n, unsigned flags)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, used;

	while (i < n) {
		unsigned c = s[i];
		uint32_t cp;
		if (c >= 0x20 && c < 0x7f) {
			if (c == '\\' && !(flags & SVD_TEXT_KEEP_BACKSLASH))
				return 0;
			i++;
			continue;
		}
		if (c >= 0xC2 && c <= 0xDF && i + 1 < n && (s[i + 1] & 0xC0) == 0x80) {
			if ((c == 0xC2 && s[i + 1] < 0xA0) || (c == 0xD8 && s[i + 1] == 0x9C))
				return 0; /* U+0080-U+009F, U+061C */
			i += 2;
			continue;
		}
		cp = svd_utf8_next(str + i, n - i, &used);
		if ((cp == 0xFFFD && used == 1) || svd_text_control(cp))
			return 0;
		i += used;
	}
	return 1;
}

size_t svd_text_escape(char *out, size_t size, const char *s, size_t n, unsigned flags)
{
	size_t i = 0, o = 0, total = 0, used, elen;
	int cut = size == 0;

	while (i < n) {
		unsigned char c = (unsigned char)s[i];
		uint32_t cp = c;
		const char *from = s + i;
		char e[6];

		if (c < 0x80)
			used = 1;
		else
			cp = svd_utf8_next(s + i, n - i, &used);
		elen = used;
		if (cp == 0xFFFD && used == 1) { /* not UTF-8: the byte itself */
			elen = text_escape_one(e, 'x', c);
			from = e;
		} else if (svd_text_control(cp)) {
			elen = text_escape_one(e, cp < 0x80 ? 'x' : 'u', cp);
			from = e;
		} else if (cp == '\\' && !(flags & SVD_TEXT_KEEP_BACKSLASH)) {
			from = "\\\\";
			elen = 2;
		}
		if (!cut && o + elen < size) {
			memcpy(out + o, from, elen);
			o += elen;
		} else {
			cut = 1; /* nothing after a cut: the result is a prefix */
		}
		total += elen;
		i += used;
	}
	if (size)
		out[o] = '\0';
	return total;
}

char *svd_text_json(const char *json)
{
	size_t n = strlen(json), i = 0, o = 0, used;
	char *out;

	/* at most 6 bytes for each escaped one (of 1 to 3 bytes) */
	if (n > (SIZE_MAX - 1) / 6 || !(out = malloc(6 * n + 1)))
		return NULL;
	while (i < n) {
		unsigned char c = (unsigned char)json[i];
		uint32_t cp = c;

		/* ASCII but DEL is as jansson wrote it: C0 escaped in strings, whitespace outside */
		if (c < 0x7F)
			used = 1;
		else
			cp = svd_utf8_next(json + i, n - i, &used);
		if (c >= 0x7F && svd_text_control(cp)) {
			o += text_escape_one(out + o, 'u', cp);
		} else {
			memcpy(out + o, json + i, used);
			o += used;
		}
		i += used;
	}
	out[o] = '\0';
	return out;
}

char *svd_text_dup(const char *s, unsigned flags)
{
	size_t n = strlen(s), len = svd_text_escape(NULL, 0, s, n, flags);
	char *out = len < SIZE_MAX ? malloc(len + 1) : NULL;

	if (!out) {
		svd_error_set(SVD_ERROR, "out of memory");
		return NULL;
	}
	svd_text_escape(out, len + 1, s, n, flags);
	return out;
}

const char *svd_text_shown(const char *s)
{
	static __thread char ring[SVD_SHOWN_RING][SVD_SHOWN_MAX];
	static __thread unsigned next;
	char *out = ring[next++ % SVD_SHOWN_RING];
	size_t n;

	if (!s)
		return "(null)";
	n = strlen(s);
	if (svd_text_escape(out, SVD_SHOWN_MAX - 3, s, n, 0) >= SVD_SHOWN_MAX - 3)
		strcat(out, "...");
	return out;
}

const char *svd_ioerr(int err)
{
	static __thread char buf[256];
	const char *hint = "";

	switch (err) {
	case ENOSPC:
	case EDQUOT:
		hint = " (the disk is full: free some space and try again; what was there is "
		       "unchanged)";
		break;
	case EROFS:
		hint = " (the file system is read-only: remount it read-write, or work on a "
		       "copy)";
		break;
	case EACCES:
	case EPERM:
		hint = " (no permission: run as the user who owns the archive)";
		break;
	}
	snprintf(buf, sizeof(buf), "%s%s", strerror(err), hint);
	return buf;
}

void svd_mem_huge(void *p, size_t n)
{
#ifdef MADV_HUGEPAGE
	const uintptr_t huge = (uintptr_t)2 << 20;
	uintptr_t a = ((uintptr_t)p + huge - 1) & ~(huge - 1), e = ((uintptr_t)p + n) & ~(huge - 1);

	if (n >= (size_t)4 << 20 && e > a)
		(void)madvise((void *)a, e - a, MADV_HUGEPAGE);
#else
	(void)p;
	(void)n;
#endif
}

int svd_grow(void *array, size_t *cap, size_t need, size_t elem, size_t first)
{
	void *p;
	size_t nc;

	if (need <= *cap)
		return 0;
	for (nc = *cap ? *cap * 2 : first; nc < need; nc *= 2)
		;
	if (nc > SIZE_MAX / elem)
		return svd_error_set(SVD_ERROR, "out of memory");
	memcpy(&p, array, sizeof(p));
	if (!(p = realloc(p, nc * elem)))
		return svd_error_set(SVD_ERROR, "out of memory");
	memcpy(array, &p, sizeof(p));
	*cap = nc;
	svd_mem_huge(p, nc * elem);
	return 0;
}

void svd_seal_name(char out[SVD_SEAL_NAME_LEN + 1])
{
	uint8_t r[SVD_SEAL_NAME_LEN / 2];

	randombytes_buf(r, sizeof(r));
	sodium_bin2hex(out, SVD_SEAL_NAME_LEN + 1, r, sizeof(r));
}

/* Open o->tmp, a name beside path: path.tmp-RANDOM, or (named) RANDOM in path's folder. */
static int outfile_create(svd_outfile *o, const char *path, int named)
{
	char *dir = NULL, name[SVD_SEAL_NAME_LEN + 1];
	size_t n = strlen(path) + 32;

	memset(o, 0, sizeof(*o));
	o->fd = -1;
	if (!(o->path = svd_strdup(path)) || !(o->tmp = malloc(n)) ||
	    (named && !(dir = svd_path_dir(path)))) {
		free(o->path);
		free(o->tmp);
		o->path = o->tmp = NULL;
		return svd_error_set(SVD_ERROR, "out of memory");
	}
	if (named) {
		svd_seal_name(name);
		snprintf(o->tmp, n, "%s/%s", dir, name);
		free(dir);
	} else {
		snprintf(o->tmp, n, "%s.tmp-%08x", path, randombytes_random());
	}
	o->fd = open(o->tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (o->fd < 0) {
		int e = errno;
		free(o->path);
		free(o->tmp);
		o->path = o->tmp = NULL;
		return svd_error_set(e == ENOENT ? SVD_ENOTFOUND : SVD_ERROR,
		                     "%s: cannot create: %s", path, strerror(e));
	}
	return 0;
}

int svd_outfile_open(svd_outfile *o, const char *path)
{
	return outfile_create(o, path, 0);
}

int svd_outfile_open_sealed(svd_outfile *o, const char *path, const struct svd_seal_to *to,
                            int kind)
{
	int error;

	if ((error = outfile_create(o, path, 1)) < 0)
		return error;
	if ((error = svd_sealer_new(&o->sealer, o->fd, to, (svd_seal_kind)kind)) < 0)
		svd_outfile_abort(o);
	return error;
}

int svd_outfile_write(svd_outfile *o, const void *data, size_t len)
{
	if (o->sealer) {
		int error = svd_sealer_write(o->sealer, data, len);
		if (error < 0)
			return error;
		o->size += len;
		svd_pause_point("seal.write");
		return 0;
	}
	if (svd_write_all(o->fd, data, len) < 0)
		return svd_error_set(SVD_ERROR, "%s: cannot write: %s (is the disk full?)", o->path,
		                     strerror(errno));
	o->size += len;
	return 0;
}

void svd_outfile_abort(svd_outfile *o)
{
	svd_sealer_free(o->sealer);
	if (o->fd >= 0)
		close(o->fd);
	if (o->tmp)
		unlink(o->tmp);
	free(o->tmp);
	free(o->path);
	memset(o, 0, sizeof(*o));
	o->fd = -1;
}

int svd_outfile_commit(svd_outfile *o)
{
	char *dir = NULL;
	int error = SVD_ERROR, fd = o->fd;

	o->fd = -1;
	if (o->sealer && (error = svd_sealer_finish(o->sealer, NULL)) < 0) {
		close(fd);
		goto cleanup;
	}
	error = SVD_ERROR;
	if (fsync(fd) < 0) {
		close(fd);
		svd_error_set(SVD_ERROR, "%s: cannot write: %s", o->path, strerror(errno));
		goto cleanup;
	}
	if (close(fd) < 0) {
		svd_error_set(SVD_ERROR, "%s: cannot write: %s", o->path, strerror(errno));
		goto cleanup;
	}
	if (rename(o->tmp, o->path) < 0) {
		svd_error_set(SVD_ERROR, "%s: cannot rename into place: %s", o->path,
		              strerror(errno));
		goto cleanup;
	}
	free(o->tmp);
	o->tmp = NULL;
	if (!(dir = svd_path_dir(o->path)))
		goto cleanup;
	error = svd_dir_fsync(dir);
cleanup:
	free(dir);
	svd_outfile_abort(o);
	return error;
}

struct svd_seal_file {
	svd_outfile o;
};

int svd_seal_file_open(svd_seal_file **out, const char *path, const svd_seal_to *to,
                       svd_seal_kind kind)
{
	svd_seal_file *f = calloc(1, sizeof(*f));
	int error;

	*out = NULL;
	if (!f)
		return svd_error_set(SVD_ERROR, "out of memory");
	if ((error = svd_outfile_open_sealed(&f->o, path, to, (int)kind)) < 0) {
		free(f);
		return error;
	}
	*out = f;
	return 0;
}

int svd_seal_file_write(svd_seal_file *f, const void *data, size_t len)
{
	return svd_outfile_write(&f->o, data, len);
}

int svd_seal_file_commit(svd_seal_file *f)
{
	int error = svd_outfile_commit(&f->o);

	free(f);
	return error;
}

void svd_seal_file_abort(svd_seal_file *f)
{
	if (!f)
		return;
	svd_outfile_abort(&f->o);
	free(f);
}

void svd_time_now(char out[SVD_TIME_LEN + 1], time_t *t)
{
	struct tm tm;

	*t = time(NULL);
	gmtime_r(t, &tm);
	strftime(out, SVD_TIME_LEN + 1, "%Y-%m-%dT%H:%M:%SZ", &tm);
}
