/*
 * extract_writer.c: the second thread of svd_bundle_extract, which makes
 * the items' folders and writes their files while the reading thread goes
 * on decompressing, hashing and verifying (extract_writer.h).
 *
 * Operations are queued in order and carried out in order; the queue holds
 * at most QUEUE_BYTES of file data, so a slow disk slows the reader instead
 * of filling memory. The first failure is kept (its message too); every
 * later operation is then only dropped, and the reader learns of it at its
 * next check.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "samvydav/common.h"
#include "extract_writer.h"
#include "util.h"

#define QUEUE_BYTES (8u * 1024 * 1024)
#define WAKE_BYTES  (256u * 1024)  /* an idle writer is woken for this much, or an item's end */
#define ROOM_STEP   (1024u * 1024) /* room is given back in steps of this much */

enum op_type { OP_BEGIN, OP_OPEN, OP_DATA, OP_CLOSE, OP_KEEP, OP_DISCARD, OP_QUIT };

typedef struct op {
	struct op *next;
	enum op_type type;
	size_t len; /* OP_DATA: bytes; OP_BEGIN: 1 when the fan folder must be made */
	char data
	    []; /* OP_DATA: the bytes; OP_BEGIN, OP_OPEN: a path; OP_KEEP: NUL-separated names */
} op;

struct svd_dw {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t work; /* for the writer: operations queued */
	pthread_cond_t room; /* for the reading thread: room in the queue, or a failure */
	op *head, *tail;
	size_t queued;      /* bytes of ops waiting or being run */
	int writer_idle;    /* the writer waits on work */
	int reader_waiting; /* the reading thread waits on room */
	int failed;         /* under mu; also read without it as a hint */
	char msg[9000];
	op *quit; /* made at the start: stopping needs no memory */

	/* the writer thread's own */
	char part[4200]; /* the current item's folder */
	char rel[4200];  /* the file open in it */
	int partfd, fd;
};

/* The first failure: "<folder>[/<file>]: <what>: <why>". */
static void fail(svd_dw *w, const char *rel, const char *what, int err)
{
	const char *why = svd_ioerr(err);

	pthread_mutex_lock(&w->mu);
	if (!w->failed) {
		snprintf(w->msg, sizeof(w->msg), "%s%s%s: %s: %s", w->part, rel ? "/" : "",
		         rel ? rel : "", what, why);
		w->failed = 1;
	}
	pthread_cond_signal(&w->room);
	pthread_mutex_unlock(&w->mu);
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path) < 0 && errno != ENOENT ? -1 : 0;
}

static void close_file(svd_dw *w)
{
	if (w->fd >= 0 && close(w->fd) < 0)
		fail(w, w->rel, "cannot write", errno);
	w->fd = -1;
}

static void run(svd_dw *w, op *o)
{
	switch (o->type) {
	case OP_BEGIN: {
		char *slash;
		snprintf(w->part, sizeof(w->part), "%s", o->data);
		slash = strrchr(w->part, '/');
		if (o->len && slash) {
			*slash = '\0';
			if (mkdir(w->part, 0755) < 0 && errno != EEXIST) {
				fail(w, NULL, "cannot make the folder", errno);
				return;
			}
			*slash = '/';
		}
		if (mkdir(w->part, 0755) < 0) {
			if (errno != EEXIST)
				fail(w, NULL, "cannot make the folder", errno);
			return; /* already there: an item seen twice keeps its first copy */
		}
		if ((w->partfd = open(w->part, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
			fail(w, NULL, "cannot make the folder", errno);
		return;
	}
	case OP_OPEN:
		if (w->partfd < 0)
			return;
		snprintf(w->rel, sizeof(w->rel), "%s", o->data);
		if (!strncmp(w->rel, "sig/", 4) && mkdirat(w->partfd, "sig", 0755) < 0 &&
		    errno != EEXIST) {
			fail(w, "sig", "cannot make the folder", errno);
			return;
		}
		w->fd = openat(w->partfd, w->rel,
		               O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
		if (w->fd < 0)
			fail(w, w->rel, "cannot write", errno);
		return;
	case OP_DATA:
		if (w->fd >= 0 && svd_write_all(w->fd, o->data, o->len) < 0)
			fail(w, w->rel, "cannot write", errno);
		return;
	case OP_CLOSE:
		close_file(w);
		return;
	case OP_KEEP: {
		size_t at = 0;
		if (w->partfd < 0)
			return;
		while (at < o->len) {
			unlinkat(w->partfd, o->data + at, 0);
			at += strlen(o->data + at) + 1;
		}
		close(w->partfd);
		w->partfd = -1;
		return;
	}
	case OP_DISCARD:
		close_file(w);
		if (w->partfd < 0)
			return;
		close(w->partfd);
		w->partfd = -1;
		if (nftw(w->part, rm_entry, 16, FTW_DEPTH | FTW_PHYS) < 0)
			fail(w, NULL, "cannot remove a refused item", errno);
		return;
	case OP_QUIT:
		return;
	}
}

/*
 * The writer takes every queued operation at once and runs them without
 * the lock; the room they held is given back a piece at a time, so the
 * reading thread, when it waits for room, is woken a few times per queue
 * and not once per operation.
 */
static void *writer(void *arg)
{
	svd_dw *w = arg;
	int quit = 0;

	while (!quit) {
		size_t freed = 0;
		op *o, *next;
		int failed;

		pthread_mutex_lock(&w->mu);
		while (!w->head) {
			w->writer_idle = 1;
			pthread_cond_wait(&w->work, &w->mu);
		}
		w->writer_idle = 0;
		o = w->head;
		w->head = w->tail = NULL;
		failed = w->failed;
		pthread_mutex_unlock(&w->mu);
		for (; o; o = next) {
			next = o->next;
			quit |= o->type == OP_QUIT;
			if (!failed) {
				run(w, o);
				failed = w->failed; /* only this thread sets it */
			}
			freed += sizeof(*o) + (o->type == OP_DATA ? o->len : 0);
			free(o);
			if (freed >= ROOM_STEP || !next) {
				pthread_mutex_lock(&w->mu);
				w->queued -= freed;
				if (w->reader_waiting)
					pthread_cond_signal(&w->room);
				pthread_mutex_unlock(&w->mu);
				freed = 0;
			}
		}
	}
	return NULL;
}

int svd_dw_start(svd_dw **out)
{
	svd_dw *w = calloc(1, sizeof(*w));

	*out = NULL;
	if (!w)
		return svd_error_set(SVD_ERROR, "out of memory");
	w->partfd = w->fd = -1;
	if (!(w->quit = calloc(1, sizeof(*w->quit) + 1))) {
		free(w);
		return svd_error_set(SVD_ERROR, "out of memory");
	}
	w->quit->type = OP_QUIT;
	if (pthread_mutex_init(&w->mu, NULL) != 0) {
		free(w->quit);
		free(w);
		return svd_error_set(SVD_ERROR, "cannot make a lock");
	}
	if (pthread_cond_init(&w->work, NULL) != 0) {
		pthread_mutex_destroy(&w->mu);
		free(w->quit);
		free(w);
		return svd_error_set(SVD_ERROR, "cannot make a condition variable");
	}
	if (pthread_cond_init(&w->room, NULL) != 0) {
		pthread_cond_destroy(&w->work);
		pthread_mutex_destroy(&w->mu);
		free(w->quit);
		free(w);
		return svd_error_set(SVD_ERROR, "cannot make a condition variable");
	}
	if (pthread_create(&w->thread, NULL, writer, w) != 0) {
		pthread_cond_destroy(&w->room);
		pthread_cond_destroy(&w->work);
		pthread_mutex_destroy(&w->mu);
		free(w->quit);
		free(w);
		return svd_error_set(SVD_ERROR, "cannot start the writing thread");
	}
	*out = w;
	return 0;
}

/*
 * Queue one operation (waiting while the queue is full); its extra bytes
 * copied. An idle writer is woken at the end of an item or when WAKE_BYTES
 * are waiting, so that it takes operations in batches.
 */
static int push(svd_dw *w, enum op_type type, const void *data, size_t len, size_t flag)
{
	op *o = malloc(sizeof(*o) + len + 1);

	if (!o)
		return svd_error_set(SVD_ERROR, "out of memory");
	o->next = NULL;
	o->type = type;
	o->len = type == OP_BEGIN ? flag : len;
	if (len)
		memcpy(o->data, data, len);
	o->data[len] = '\0';
	pthread_mutex_lock(&w->mu);
	while (w->queued > QUEUE_BYTES && !w->failed) {
		if (w->writer_idle)
			pthread_cond_signal(&w->work);
		w->reader_waiting = 1;
		pthread_cond_wait(&w->room, &w->mu);
		w->reader_waiting = 0;
	}
	if (w->tail)
		w->tail->next = o;
	else
		w->head = o;
	w->tail = o;
	w->queued += sizeof(*o) + (type == OP_DATA ? len : 0);
	if (w->writer_idle && (type == OP_KEEP || type == OP_DISCARD || w->queued >= WAKE_BYTES))
		pthread_cond_signal(&w->work);
	pthread_mutex_unlock(&w->mu);
	return 0;
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
	int failed;

	pthread_mutex_lock(&w->mu);
	failed = w->failed ? svd_error_set(SVD_ERROR, "%s", w->msg) : 0;
	pthread_mutex_unlock(&w->mu);
	return failed;
}

int svd_dw_finish(svd_dw *w)
{
	int error;

	if (!w)
		return 0;
	pthread_mutex_lock(&w->mu);
	if (w->tail)
		w->tail->next = w->quit;
	else
		w->head = w->quit;
	w->tail = w->quit;
	pthread_cond_signal(&w->work);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->thread, NULL); /* it freed the quit operation */
	if (w->fd >= 0)
		close(w->fd);
	if (w->partfd >= 0) {
		/* a failure or a stop in the middle of an item: it leaves nothing */
		close(w->partfd);
		nftw(w->part, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	}
	error = w->failed ? svd_error_set(SVD_ERROR, "%s", w->msg) : 0;
	pthread_cond_destroy(&w->room);
	pthread_cond_destroy(&w->work);
	pthread_mutex_destroy(&w->mu);
	free(w);
	return error;
}
