/*
 * workq.h: the library's threads (not public).
 *
 * Every thread the library starts is a worker of an svd_workq and is
 * started in workq.c, nowhere else (libmicrohttpd starts the HTTP
 * service's threads itself). A queue owns its workers and their state,
 * the order and weight of the jobs waiting, and the first failure with
 * its message. It does not own the jobs: a job is an svd_job embedded
 * first in the caller's own structure, and it is the caller's again once
 * it is done (svd_workq_wait), or once the queue has handed it to
 * opts.release.
 *
 * The shape:
 *
 * - Jobs are taken in the order they were submitted; with one worker they
 *   run in that order.
 * - At most opts.limit of weight (bytes of data, or 1 per job) is queued
 *   or running: svd_workq_submit waits for room beyond it. A job heavier
 *   than the limit goes alone.
 * - The first failure wins: a job that returns a negative code, a worker
 *   whose state cannot be made, or svd_workq_fail from any thread. Its code
 *   and message are kept; every job not yet started is then skipped (only
 *   released), and svd_workq_submit, _wait, _drain, _finish and _error
 *   return that code with its message set again on the calling thread.
 * - svd_workq_finish waits for every job; svd_workq_free skips what has not
 *   started. Both stop the workers and free the queue.
 *
 * A background task, one long function on a thread of its own (an
 * export's reader, an unpack's flusher), is a queue of one worker and one
 * job: svd_workq_task.
 *
 * Thread counts come from svd_threads(), capped at SVD_THREADS_MAX
 * (common.h) for the whole library.
 */
#ifndef SVD_WORKQ_H
#define SVD_WORKQ_H

#include <stddef.h>

#include "samvydav/common.h"

typedef struct svd_workq svd_workq;

/* The queue's part of a job: embed it first; the caller sets none of it. */
typedef struct svd_job {
	struct svd_job *next;
	size_t weight;
	int done;   /* run or skipped; a released job is never marked */
	int waited; /* someone waits for this one */
} svd_job;

typedef struct svd_workq_opts {
	unsigned threads; /* workers: 0 for one per core; at most SVD_THREADS_MAX */
	size_t limit;     /* weight queued or running, at most (0 means 1) */
	size_t wake;      /* an idle worker is woken once this much waits (0: at once) */

	/* Made on each worker's own thread before its first job, freed after its last. */
	int (*worker_new)(void **state, void *payload);
	void (*worker_free)(void *state, void *payload);

	/* One job, on a worker: 0, or a negative SVD_E* code with the message set. */
	int (*run)(svd_job *job, void *state, void *payload);

	/*
	 * Optional: after a job is run or skipped (on a worker), or refused by
	 * svd_workq_submit (on the caller's thread); it may free the job. A job
	 * with a release is not marked done and must not be waited for.
	 */
	void (*release)(svd_job *job, void *payload);
	void *payload;
} svd_workq_opts;

#define SVD_WORKQ_WAKE 1 /* svd_workq_submit: wake an idle worker now (the end of a batch) */

/*
 * The number of threads to use: asked, or one per online core when 0; at
 * least 1, at most SVD_THREADS_MAX.
 */
unsigned svd_threads(unsigned asked);

/*
 * Start the workers. *out is the caller's: svd_workq_finish or
 * svd_workq_free. Fewer workers start when the system refuses more;
 * SVD_ERROR when none does. opts is copied.
 */
int svd_workq_new(svd_workq **out, const svd_workq_opts *opts);

/*
 * Queue a job of this weight (0 counts as 1), waiting while the queue is
 * full. After a failure the job is not queued but released (or marked
 * done), and the failure is returned with its message.
 */
int svd_workq_submit(svd_workq *q, svd_job *job, size_t weight, int flags);

/* Is the job done (run, or skipped after a failure)? 1 or 0; never waits. */
int svd_workq_done(svd_workq *q, svd_job *job);

/* Wait until the job is done: 0, or the first failure (of any job) with its message. */
int svd_workq_wait(svd_workq *q, svd_job *job);

/* Wait until every job submitted is done; the queue stays up. 0 or the first failure. */
int svd_workq_drain(svd_workq *q);

/* 0, or the first failure with its message set on this thread; never waits. */
int svd_workq_error(svd_workq *q);

/*
 * Make code, with this thread's message, the queue's failure unless it has
 * one already; jobs not started are skipped from now on. NULL q is
 * allowed. Returns code, so that `return svd_workq_fail(q, svd_error_set(...))`
 * works.
 */
int svd_workq_fail(svd_workq *q, int code);

/*
 * For a job that runs a long time: sleep up to ms milliseconds. 1 when the
 * job should end (svd_workq_free was called, or the queue failed), else 0.
 */
int svd_workq_pause(svd_workq *q, unsigned ms);

/* Wait for every job, stop the workers, free q: 0 or the first failure. NULL: 0. */
int svd_workq_finish(svd_workq *q);

/*
 * Skip the jobs not started, wait for the running ones, stop the workers
 * and free q; this thread's message is left alone. NULL is allowed.
 */
void svd_workq_free(svd_workq *q);

/*
 * Run fn(q, arg) on a thread of its own: a queue of one worker and one
 * job. It ends when fn returns; fn's code is the queue's failure.
 * svd_workq_free tells it to stop (svd_workq_pause), then waits for it.
 */
int svd_workq_task(svd_workq **out, int (*fn)(svd_workq *q, void *arg), void *arg);

#endif
