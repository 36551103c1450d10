/*
 * util.h: small helpers shared inside the library (not public).
 */
#ifndef SVD_UTIL_H
#define SVD_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>

#include "samvydav/text.h"

/* Bytes of an error message, its NUL included: error.c keeps one per thread. */
#define SVD_MESSAGE_MAX 2048

/*
 * What a file of this mode is, for a message: "a FIFO", "a folder", "a
 * character device", ... ("a regular file" for one). Static.
 */
const char *svd_file_kind(mode_t mode);

/*
 * Open a file from outside to read it, as svd_file_open() (common.h):
 * anything but a regular file is refused unread, and a FIFO does not block
 * the open. With nofollow set a link is refused too (SVD_ECORRUPT). *st is
 * the file's, *fd the caller's (-1 on failure).
 */
int svd_file_open_regular(int *fd, struct stat *st, const char *path, int nofollow);

/*
 * Read a whole file of at most max bytes into a new NUL-terminated buffer.
 * *out is the caller's (free()). A link or anything but a regular file is
 * refused unread (svd_file_open_regular). Errors: SVD_ENOTFOUND,
 * SVD_ECORRUPT (not a regular file), SVD_ETOOBIG (the message names the
 * file and the limit), SVD_ERROR.
 */
int svd_file_read(char **out, size_t *len, const char *path, size_t max);

/*
 * Map a whole file of at most max bytes, read-only, as svd_file_read()
 * checks it (a regular file, not a link): its pages are the page cache's,
 * which the kernel may drop and read again, not the process's own memory.
 * For files only this program replaces, and only by rename: one cut short
 * in place while mapped would fault on the bytes it lost. Released with
 * svd_file_unmap(data, len) (an empty file maps to a static byte).
 */
int svd_file_map(const void **out, size_t *len, const char *path, size_t max);
void svd_file_unmap(const void *data, size_t len);

/*
 * Write a file so that a crash leaves either the old file or the new one:
 * a temporary name in the same folder, fsync, rename, fsync of the folder.
 * With exclusive set, an existing file is not replaced (SVD_EEXISTS).
 */
int svd_file_write_atomic(const char *path, const void *data, size_t len, mode_t mode,
                          int exclusive);

/* write() all of data, retrying after signals. Returns 0, or -1 with errno set. */
int svd_write_all(int fd, const void *data, size_t len);

/*
 * Write len bytes to path, a file of a library being built (mode 0644, no
 * link followed), making its folder when that is missing (one level).
 * replace: an existing file's bytes are replaced (O_TRUNC); else the file
 * is made new (O_EXCL), and one already there is removed first. path is
 * cut and mended on the way, so it is not const.
 */
int svd_file_put(char *path, const void *data, size_t len, int replace);

/* fsync a folder so that a rename or a new entry in it is durable. */
int svd_dir_fsync(const char *path);

/* Create a folder (mode 0755 unless given) if missing; parents must exist. */
int svd_mkdir(const char *path, mode_t mode);

/* Lowercase hex of n bytes into out (2n+1 bytes, NUL-terminated). */
void svd_hex_encode(char *out, const uint8_t *in, size_t n);

/* Parse 2n hex digits (either case) into n bytes. Returns 0 or -1. */
int svd_hex_decode(uint8_t *out, size_t n, const char *hex);

/*
 * Decode the UTF-8 code point at s (n bytes left) and put its length in
 * *used. Bytes that do not start a whole sequence in its shortest form, of
 * a code point up to U+10FFFF that is no surrogate (or n = 0), give
 * U+FFFD with *used = 1; a U+FFFD in the text has *used = 3.
 */
uint32_t svd_utf8_next(const char *s, size_t n, size_t *used);

/* Encode cp (up to U+10FFFF) as UTF-8 into out; returns the length, 1 to 4. */
size_t svd_utf8_put(char out[4], uint32_t cp);

/* Is [s, s+len) valid UTF-8 (shortest forms, no surrogates, <= U+10FFFF)? 1 or 0. */
int svd_utf8_valid(const char *s, size_t len);

/*
 * The offset of the first control character (U+0000..U+001F, U+007F,
 * U+0080..U+009F) in valid UTF-8, or -1 when there is none.
 */
long svd_utf8_control_at(const char *s, size_t len);

/* svd_text_escape() of s in a new string (free()); NULL when out of memory. */
char *svd_text_dup(const char *s, unsigned flags);

/* Bytes of one svd_text_shown() result, and how many a thread has in turn. */
#define SVD_SHOWN_MAX  1024
#define SVD_SHOWN_RING 8

/*
 * A name from outside as a message may hold it: svd_text_escape() of s
 * (SPEC.md, 13), cut to SVD_SHOWN_MAX bytes with "..." at the end. The
 * text is in thread-local storage, one of SVD_SHOWN_RING used in turn:
 * good for one svd_error_set() of up to that many names.
 */
const char *svd_text_shown(const char *s);

/* Join a folder and a name into a new string (malloc); NULL on no memory. */
char *svd_path_join(const char *dir, const char *name);

/* The folder part of a path ("." when none), as a new string; NULL on no memory. */
char *svd_path_dir(const char *path);

/* strdup that sets the error message on failure. */
char *svd_strdup(const char *s);

/*
 * strerror(err), and for the errors a user can act on (a full disk, a
 * read-only file system, no permission) what to do about it. The text is
 * in thread-local storage, good until the next call on this thread.
 */
const char *svd_ioerr(int err);

/*
 * A hint that [p, p + n) is big and read through soon: huge pages for its
 * 2 MiB-aligned part when the kernel gives them on request (Linux's
 * transparent huge pages in "madvise" mode, Debian's default). A big
 * catalog's arrays then take a fault per 2 MiB instead of per 4 KiB: the
 * first page at 20,000 items came 0.4 s sooner on a 2-core VM. Nothing
 * when n is under 4 MiB or the kernel says no.
 */
void svd_mem_huge(void *p, size_t n);

/*
 * A growable array: room for need elements of elem bytes in *array (array
 * is the address of the pointer), doubling from first. 0, or SVD_ERROR
 * "out of memory" with the array as it was.
 */
int svd_grow(void *array, size_t *cap, size_t need, size_t elem, size_t first);

/*
 * A file written as it comes, so that a crash leaves the old file or the
 * new one: open makes a temporary name beside path; commit fsyncs it,
 * renames it into place and fsyncs the folder; abort removes it. Either
 * way the struct is left empty (fd -1), and abort after commit does nothing.
 */
struct svd_seal_to;
struct svd_sealer;

typedef struct svd_outfile {
	char *path, *tmp;
	int fd;
	uint64_t size;             /* bytes written so far (plaintext, when sealed) */
	struct svd_sealer *sealer; /* sealing what is written, or NULL */
} svd_outfile;

int svd_outfile_open(svd_outfile *o, const char *path);

/*
 * Open as svd_outfile_open(), but seal everything written (SPEC.md, 12)
 * for to, as a file of kind (an svd_seal_kind). The temporary name is
 * random, of the shape of a stick's file names (SPEC.md, 12.6), and the
 * file holds only sealed bytes from the first write on: cut short, it is
 * a partial sealed file, not plaintext.
 */
int svd_outfile_open_sealed(svd_outfile *o, const char *path, const struct svd_seal_to *to,
                            int kind);
int svd_outfile_write(svd_outfile *o, const void *data, size_t len);
int svd_outfile_commit(svd_outfile *o);
void svd_outfile_abort(svd_outfile *o);

/* Bytes of a UTC time YYYY-MM-DDTHH:MM:SSZ, its NUL not counted. */
#define SVD_TIME_LEN 20

/* The current time into out as YYYY-MM-DDTHH:MM:SSZ, and as seconds into *t. */
void svd_time_now(char out[SVD_TIME_LEN + 1], time_t *t);

/* A reader over bytes in memory (the caches' parsers): it never reads past the end. */
typedef struct svd_rd {
	const uint8_t *p;
	size_t left;
} svd_rd;

/* The next n bytes into *out, or -1 when fewer are left. */
static inline int svd_rd_take(svd_rd *r, const uint8_t **out, size_t n)
{
	if (r->left < n)
		return -1;
	*out = r->p;
	r->p += n;
	r->left -= n;
	return 0;
}

#endif
