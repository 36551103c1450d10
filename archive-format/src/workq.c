/*
 * workq.c: the one place where the library starts threads (workq.h).
 *
 * One mutex guards a queue; four condition variables say what changed:
 * work for idle workers, room for a submitter waiting, done for those
 * waiting for a job or for the queue to empty, stop for a long job in
 * svd_workq_pause. Signals go only to those who wait, and only when their
 * condition may hold, so that a worker busy with a stream of small jobs
 * and a submitter feeding it do not wake each other for every job.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util.h"
#include "workq.h"

struct svd_workq {
	pthread_mutex_t mu;
	pthread_cond_t work; /* idle workers: a job queued, or the end */
	pthread_cond_t room; /* submitters: room in the queue, or a failure */
	pthread_cond_t done; /* waiters: a job they wait for done, the queue empty, a failure */
	pthread_cond_t stop; /* svd_workq_pause: the end, or a failure (monotonic clock) */
	svd_job *head, *tail; /* waiting, in order */
	size_t pending;       /* weight waiting */
	size_t inflight;      /* weight waiting or running */
	size_t step;          /* room given back before a waiting submitter is woken */
	unsigned idle, room_waiting, drainers;
	int closing;   /* workers leave once nothing waits */
	int cancelled; /* jobs not started are skipped */
	int error;     /* the first failure */
	char msg[SVD_MESSAGE_MAX];
	svd_workq_opts o;
	pthread_t tids[SVD_THREADS_MAX];
	unsigned n;
	/* svd_workq_task */
	svd_job task;
	int (*task_fn)(svd_workq *q, void *arg);
	void *task_arg;
};

unsigned svd_threads(unsigned asked)
{
	if (asked == 0) {
		long cores = sysconf(_SC_NPROCESSORS_ONLN);
		asked = cores < 1 ? 1 : cores > SVD_THREADS_MAX ? SVD_THREADS_MAX : (unsigned)cores;
	}
	return asked > SVD_THREADS_MAX ? SVD_THREADS_MAX : asked;
}

/* The first failure, with this thread's message; everyone waiting is told. Under mu. */
static void fail_locked(svd_workq *q, int code)
{
	if (q->error)
		return;
	q->error = code;
	snprintf(q->msg, sizeof(q->msg), "%s", svd_error_last());
	pthread_cond_broadcast(&q->room);
	pthread_cond_broadcast(&q->done);
	pthread_cond_broadcast(&q->stop);
}

/* Under mu: the failure as this thread's error, or 0. */
static int error_locked(svd_workq *q)
{
	return q->error ? svd_error_set(q->error, "%s", q->msg) : 0;
}

static void *worker(void *arg)
{
	svd_workq *q = arg;
	void *state = NULL;
	int error = 0;

	if (q->o.worker_new && (error = q->o.worker_new(&state, q->o.payload)) < 0) {
		/* this worker still takes jobs: after the failure, only to skip them */
		state = NULL;
		svd_workq_fail(q, error);
	}
	pthread_mutex_lock(&q->mu);
	for (;;) {
		svd_job *job;
		size_t weight;
		int skip;

		while (!q->head && !q->closing) {
			q->idle++;
			pthread_cond_wait(&q->work, &q->mu);
			q->idle--;
		}
		if (!(job = q->head))
			break;
		if (!(q->head = job->next))
			q->tail = NULL;
		weight = job->weight;
		q->pending -= weight;
		skip = q->error || q->cancelled;
		pthread_mutex_unlock(&q->mu);

		error = skip ? 0 : q->o.run(job, state, q->o.payload);
		if (error < 0)
			svd_workq_fail(q, error);
		if (q->o.release)
			q->o.release(job, q->o.payload);

		pthread_mutex_lock(&q->mu);
		if (!q->o.release) {
			job->done = 1;
			if (job->waited)
				pthread_cond_broadcast(&q->done);
		}
		q->inflight -= weight;
		if (q->room_waiting && (q->inflight == 0 || (q->inflight <= q->o.limit &&
		                                             q->o.limit - q->inflight >= q->step)))
			pthread_cond_broadcast(&q->room);
		if (q->drainers && q->inflight == 0)
			pthread_cond_broadcast(&q->done);
	}
	pthread_mutex_unlock(&q->mu);
	if (q->o.worker_free && state)
		q->o.worker_free(state, q->o.payload);
	return NULL;
}

/* The lock and condition variables: 0, or -1 with none of them left. */
static int sync_init(svd_workq *q)
{
	pthread_condattr_t ca;
	int ok;

	if (pthread_mutex_init(&q->mu, NULL) != 0)
		return -1;
	if (pthread_cond_init(&q->work, NULL) != 0)
		goto no_work;
	if (pthread_cond_init(&q->room, NULL) != 0)
		goto no_room;
	if (pthread_cond_init(&q->done, NULL) != 0)
		goto no_done;
	if (pthread_condattr_init(&ca) != 0)
		goto no_stop;
	ok = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) == 0 &&
	     pthread_cond_init(&q->stop, &ca) == 0;
	pthread_condattr_destroy(&ca);
	if (ok)
		return 0;
no_stop:
	pthread_cond_destroy(&q->done);
no_done:
	pthread_cond_destroy(&q->room);
no_room:
	pthread_cond_destroy(&q->work);
no_work:
	pthread_mutex_destroy(&q->mu);
	return -1;
}

static void sync_destroy(svd_workq *q)
{
	pthread_cond_destroy(&q->stop);
	pthread_cond_destroy(&q->done);
	pthread_cond_destroy(&q->room);
	pthread_cond_destroy(&q->work);
	pthread_mutex_destroy(&q->mu);
}

int svd_workq_new(svd_workq **out, const svd_workq_opts *opts)
{
	unsigned want = svd_threads(opts->threads);
	svd_workq *q;
	int err = 0;

	*out = NULL;
	if (!(q = calloc(1, sizeof(*q))))
		return svd_error_set(SVD_ERROR, "out of memory");
	q->o = *opts;
	if (q->o.limit == 0)
		q->o.limit = 1;
	q->step = q->o.limit / 8 ? q->o.limit / 8 : 1;
	if (sync_init(q) < 0) {
		free(q);
		return svd_error_set(SVD_ERROR, "cannot make a lock for threads");
	}
	for (q->n = 0; q->n < want; q->n++)
		if ((err = pthread_create(&q->tids[q->n], NULL, worker, q)) != 0)
			break;
	if (q->n == 0) {
		sync_destroy(q);
		free(q);
		return svd_error_set(SVD_ERROR, "cannot start a thread: %s", strerror(err));
	}
	*out = q;
	return 0;
}

int svd_workq_submit(svd_workq *q, svd_job *job, size_t weight, int flags)
{
	int error;

	if (weight == 0)
		weight = 1; /* every job counts, or drain could miss it */
	pthread_mutex_lock(&q->mu);
	while (!q->error && q->inflight > 0 && q->inflight + weight > q->o.limit) {
		/* those below the wake mark must start, or the room never comes */
		if (q->idle)
			pthread_cond_broadcast(&q->work);
		q->room_waiting++;
		pthread_cond_wait(&q->room, &q->mu);
		q->room_waiting--;
	}
	if ((error = error_locked(q)) < 0) {
		if (!q->o.release)
			job->done = 1;
		pthread_mutex_unlock(&q->mu);
		if (q->o.release)
			q->o.release(job, q->o.payload);
		return error;
	}
	job->next = NULL;
	job->weight = weight;
	job->done = 0;
	job->waited = 0;
	if (q->tail)
		q->tail->next = job;
	else
		q->head = job;
	q->tail = job;
	q->pending += weight;
	q->inflight += weight;
	if (q->idle && (q->pending >= q->o.wake || (flags & SVD_WORKQ_WAKE)))
		pthread_cond_signal(&q->work);
	pthread_mutex_unlock(&q->mu);
	return 0;
}

int svd_workq_done(svd_workq *q, svd_job *job)
{
	int done;

	pthread_mutex_lock(&q->mu);
	done = job->done;
	pthread_mutex_unlock(&q->mu);
	return done;
}

int svd_workq_wait(svd_workq *q, svd_job *job)
{
	int error;

	pthread_mutex_lock(&q->mu);
	if (!job->done && q->idle && q->head)
		pthread_cond_broadcast(&q->work);
	while (!job->done) {
		job->waited = 1;
		pthread_cond_wait(&q->done, &q->mu);
	}
	error = error_locked(q);
	pthread_mutex_unlock(&q->mu);
	return error;
}

int svd_workq_drain(svd_workq *q)
{
	int error;

	pthread_mutex_lock(&q->mu);
	if (q->idle && q->head)
		pthread_cond_broadcast(&q->work);
	q->drainers++;
	while (q->inflight > 0)
		pthread_cond_wait(&q->done, &q->mu);
	q->drainers--;
	error = error_locked(q);
	pthread_mutex_unlock(&q->mu);
	return error;
}

int svd_workq_error(svd_workq *q)
{
	int error;

	pthread_mutex_lock(&q->mu);
	error = error_locked(q);
	pthread_mutex_unlock(&q->mu);
	return error;
}

int svd_workq_fail(svd_workq *q, int code)
{
	if (!q || code >= 0)
		return code;
	pthread_mutex_lock(&q->mu);
	fail_locked(q, code);
	pthread_mutex_unlock(&q->mu);
	return code;
}

int svd_workq_pause(svd_workq *q, unsigned ms)
{
	struct timespec at;
	int end;

	clock_gettime(CLOCK_MONOTONIC, &at);
	at.tv_sec += ms / 1000;
	at.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (at.tv_nsec >= 1000000000L) {
		at.tv_sec++;
		at.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&q->mu);
	while (!(end = q->cancelled || q->error != 0))
		if (pthread_cond_timedwait(&q->stop, &q->mu, &at) == ETIMEDOUT)
			break;
	end = q->cancelled || q->error != 0;
	pthread_mutex_unlock(&q->mu);
	return end;
}

int svd_workq_finish(svd_workq *q)
{
	int error;

	if (!q)
		return 0;
	error = svd_workq_drain(q);
	svd_workq_free(q);
	return error;
}

void svd_workq_free(svd_workq *q)
{
	unsigned i;

	if (!q)
		return;
	pthread_mutex_lock(&q->mu);
	q->closing = 1;
	q->cancelled = 1;
	pthread_cond_broadcast(&q->work);
	pthread_cond_broadcast(&q->stop);
	pthread_mutex_unlock(&q->mu);
	for (i = 0; i < q->n; i++)
		pthread_join(q->tids[i], NULL);
	sync_destroy(q);
	free(q);
}

static int task_run(svd_job *job, void *state, void *payload)
{
	svd_workq *q = (svd_workq *)(void *)((char *)job - offsetof(svd_workq, task));

	(void)state;
	(void)payload;
	return q->task_fn(q, q->task_arg);
}

int svd_workq_task(svd_workq **out, int (*fn)(svd_workq *q, void *arg), void *arg)
{
	svd_workq_opts o = {.threads = 1, .limit = 1, .run = task_run};
	svd_workq *q;
	int error;

	*out = NULL;
	if ((error = svd_workq_new(&q, &o)) < 0)
		return error;
	q->task_fn = fn;
	q->task_arg = arg;
	/* set before the job is queued: the mutex hands them to the worker */
	if ((error = svd_workq_submit(q, &q->task, 1, SVD_WORKQ_WAKE)) < 0) {
		svd_workq_free(q);
		return error;
	}
	*out = q;
	return 0;
}
