/*
 * extract_writer.c: the second thread of svd_bundle_extract, which makes
 * the items' folders and writes their files while the reading thread goes
 * on decompressing, hashing and verifying (extract_writer.h).
 *
 * Operations are jobs of a queue with one worker (workq.h), carried out
 * in order; the queue holds at most QUEUE_BYTES of file data, so a slow
 * disk slows the reader instead of filling memory. The first failure is
 * the queue's (its message too); every later operation is then only
 * dropped, and the reader learns of it at its next call or check.
 *
 * A file whose name this file system cannot take is not written and not
 * yet a failure: over 255 bytes; a character FAT, exFAT or NTFS refuses
 * (: * ? " < > | \); a name the disk holds as one already written, on a
 * disk that ignores case or normalization (sig/ABCD.minisig beside a junk
 * sig/abcd.minisig, a stray Body.md beside body.md). The gate, which runs
 * after the item's files are read, may leave that entry out (a signature
 * file it drops) or refuse the item (a file the manifest does not list),
 * as import does. It fails the unpack only when the item is kept with it.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "samvydav/common.h"
#include "extract_writer.h"
#include "util.h"
#include "workq.h"

#define QUEUE_BYTES (8u * 1024 * 1024) /* the reader waits when this much is queued */
#define WAKE_BYTES  (256u * 1024)      /* an idle writer is woken for this much, or an item's end */

enum op_type { OP_BEGIN, OP_OPEN, OP_DATA, OP_CLOSE, OP_KEEP, OP_DISCARD };

typedef struct op {
	svd_job job; /* the queue's */
	enum op_type type;
	size_t len; /* OP_DATA: bytes; OP_BEGIN: 1 when the fan folder must be made */
	char data
	    []; /* OP_DATA: the bytes; OP_BEGIN, OP_OPEN: a path; OP_KEEP: NUL-separated names */
} op;

struct svd_dw {
	svd_workq *q;

	/* the writer thread's own, until svd_dw_finish has stopped it */
	char part[4200]; /* the current item's folder */
	char rel[4200];  /* the file open in it */
	int partfd, fd;
	char *unwritten; /* names of the item's files this disk cannot take, NUL-separated */
	size_t nunwritten;
	int *why; /* their errno values, in the same order */
	size_t nwhy;
};

/* A failure: "<folder>[/<file>]: <what>: <why>"; the first one stops the writing. */
static int fail(svd_dw *w, const char *rel, const char *what, int err)
{
	return svd_error_set(SVD_ERROR, "%s%s%s: %s: %s", w->part, rel ? "/" : "", rel ? rel : "",
	                     what, svd_ioerr(err));
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path) < 0 && errno != ENOENT ? -1 : 0;
}

/*
 * Can this failure to make a file be the name's alone (the gate may still
 * leave the file out), not the disk's? Every failure but the disk's own
 * (full, read-only, broken, out of handles or memory, not allowed): what a
 * disk says of a name it cannot take varies (ENAMETOOLONG; EEXIST for a
 * name it holds as one already written; EINVAL from the kernel's FAT and
 * exFAT for a character they refuse, EPERM from a FUSE FAT, ENOENT from
 * FUSE exFAT; EILSEQ), and a failure put off is not lost: it fails the
 * unpack if the item is kept with that file (OP_KEEP).
 */
static int name_only(int err)
{
	return err != ENOSPC && err != EDQUOT && err != EIO && err != EROFS && err != ENOMEM &&
	       err != EMFILE && err != ENFILE && err != EACCES && err != ENOTDIR;
}

/* A name this disk cannot take: noted, to be judged when the item is kept. */
static int note_unwritten(svd_dw *w, const char *rel, int err)
{
	size_t len = strlen(rel) + 1;
	char *grown = realloc(w->unwritten, w->nunwritten + len);
	int *why;

	if (!grown)
		return svd_error_set(SVD_ERROR, "out of memory");
	w->unwritten = grown;
	if (!(why = realloc(w->why, (w->nwhy + 1) * sizeof(*why))))
		return svd_error_set(SVD_ERROR, "out of memory");
	w->why = why;
	memcpy(grown + w->nunwritten, rel, len);
	w->nunwritten += len;
	w->why[w->nwhy++] = err;
	return 0;
}

/* Is name one of the NUL-separated names of list (len bytes)? */
static int listed(const char *list, size_t len, const char *name)
{
	size_t at;

	for (at = 0; at < len; at += strlen(list + at) + 1)
		if (!strcmp(list + at, name))
			return 1;
	return 0;
}

static void forget_unwritten(svd_dw *w)
{
	free(w->unwritten);
	free(w->why);
	w->unwritten = NULL;
	w->why = NULL;
	w->nunwritten = w->nwhy = 0;
}

static int close_file(svd_dw *w)
{
	int error = 0;

	if (w->fd >= 0 && close(w->fd) < 0)
		error = fail(w, w->rel, "cannot write", errno);
	w->fd = -1;
	return error;
}

/* One operation, on the writer's thread. */
static int run(svd_job *job, void *state, void *payload)
{
	op *o = (op *)job;
	svd_dw *w = payload;
	int error;

	(void)state;
	switch (o->type) {
	case OP_BEGIN: {
		char *slash;
		forget_unwritten(w);
		snprintf(w->part, sizeof(w->part), "%s", o->data);
		slash = strrchr(w->part, '/');
		if (o->len && slash) {
			*slash = '\0';
			if (mkdir(w->part, 0755) < 0 && errno != EEXIST)
				return fail(w, NULL, "cannot make the folder", errno);
			*slash = '/';
		}
		if (mkdir(w->part, 0755) < 0) {
			if (errno != EEXIST)
				return fail(w, NULL, "cannot make the folder", errno);
			return 0; /* already there: an item seen twice keeps its first copy */
		}
		if ((w->partfd = open(w->part, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
			return fail(w, NULL, "cannot make the folder", errno);
		return 0;
	}
	case OP_OPEN:
		if (w->partfd < 0)
			return 0;
		snprintf(w->rel, sizeof(w->rel), "%s", o->data);
		if (!strncmp(w->rel, "sig/", 4) && mkdirat(w->partfd, "sig", 0755) < 0 &&
		    errno != EEXIST)
			return fail(w, "sig", "cannot make the folder", errno);
		w->fd = openat(w->partfd, w->rel,
		               O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
		if (w->fd < 0 && name_only(errno))
			return note_unwritten(w, w->rel, errno); /* its bytes go nowhere (fd -1) */
		if (w->fd < 0)
			return fail(w, w->rel, "cannot write", errno);
		return 0;
	case OP_DATA:
		if (w->fd >= 0 && svd_write_all(w->fd, o->data, o->len) < 0)
			return fail(w, w->rel, "cannot write", errno);
		return 0;
	case OP_CLOSE:
		return close_file(w);
	case OP_KEEP: {
		size_t at = 0, k = 0;
		if (w->partfd < 0)
			return 0;
		/* a file not written must be one the gate left out */
		for (at = 0; at < w->nunwritten; at += strlen(w->unwritten + at) + 1, k++)
			if (!listed(o->data, o->len, w->unwritten + at))
				return fail(w, w->unwritten + at, "cannot write", w->why[k]);
		/* and is not removed: on a disk that ignores case its name is a kept file's */
		for (at = 0; at < o->len; at += strlen(o->data + at) + 1)
			if (!listed(w->unwritten, w->nunwritten, o->data + at))
				unlinkat(w->partfd, o->data + at, 0);
		forget_unwritten(w);
		close(w->partfd);
		w->partfd = -1;
		return 0;
	}
	case OP_DISCARD:
		forget_unwritten(w);
		error = close_file(w);
		if (w->partfd < 0)
			return error;
		close(w->partfd);
		w->partfd = -1;
		if (nftw(w->part, rm_entry, 16, FTW_DEPTH | FTW_PHYS) < 0 && error == 0)
			error = fail(w, NULL, "cannot remove a refused item", errno);
		return error;
	}
	return 0;
}

static void release(svd_job *job, void *payload)
{
	(void)payload;
	free(job);
}

int svd_dw_start(svd_dw **out)
{
	svd_dw *w = calloc(1, sizeof(*w));
	svd_workq_opts o = {
	    .threads = 1, .limit = QUEUE_BYTES, .wake = WAKE_BYTES, .run = run, .release = release};
	int error;

	*out = NULL;
	if (!w)
		return svd_error_set(SVD_ERROR, "out of memory");
	w->partfd = w->fd = -1;
	o.payload = w;
	if ((error = svd_workq_new(&w->q, &o)) < 0) {
		free(w);
		return error;
	}
	*out = w;
	return 0;
}

/*
 * Queue one operation (waiting while the queue is full); its extra bytes
 * copied. An idle writer is woken at the end of an item or when WAKE_BYTES
 * are waiting, so that it takes operations in batches. After a failure of
 * the writer, its failure.
 */
static int push(svd_dw *w, enum op_type type, const void *data, size_t len, size_t flag)
{
	op *o = malloc(sizeof(*o) + len + 1);

	if (!o)
		return svd_error_set(SVD_ERROR, "out of memory");
	o->type = type;
	o->len = type == OP_BEGIN ? flag : len;
	if (len)
		memcpy(o->data, data, len);
	o->data[len] = '\0';
	return svd_workq_submit(w->q, &o->job, sizeof(*o) + (type == OP_DATA ? len : 0),
	                        type == OP_KEEP || type == OP_DISCARD ? SVD_WORKQ_WAKE : 0);
}

int svd_dw_begin(svd_dw *w, const char *part, int make_fan)
{
	return push(w, OP_BEGIN, part, strlen(part), make_fan ? 1 : 0);
}

int svd_dw_open(svd_dw *w, const char *rel)
{
	return push(w, OP_OPEN, rel, strlen(rel), 0);
}

int svd_dw_write(svd_dw *w, const void *data, size_t len)
{
	return len ? push(w, OP_DATA, data, len, 0) : 0;
}

int svd_dw_close(svd_dw *w)
{
	return push(w, OP_CLOSE, NULL, 0, 0);
}

int svd_dw_keep(svd_dw *w, const char *names, size_t len)
{
	return push(w, OP_KEEP, names, len, 0);
}

int svd_dw_discard(svd_dw *w)
{
	return push(w, OP_DISCARD, NULL, 0, 0);
}

int svd_dw_failed(svd_dw *w)
{
	return svd_workq_error(w->q);
}

int svd_dw_finish(svd_dw *w)
{
	int error;

	if (!w)
		return 0;
	error = svd_workq_finish(w->q); /* the writer has stopped */
	if (w->fd >= 0)
		close(w->fd);
	if (w->partfd >= 0) {
		/* a failure or a stop in the middle of an item: it leaves nothing */
		close(w->partfd);
		nftw(w->part, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	}
	forget_unwritten(w);
	free(w);
	return error;
}
