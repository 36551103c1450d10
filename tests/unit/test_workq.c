/*
 * test_workq.c: the work queue every library thread runs on (workq.h): a
 * worker's failure reaches the caller with its message, the first failure
 * wins and stops what has not started, a full queue makes submit wait, no
 * jobs at all, the cap on threads, per-worker state, tasks and their stop.
 *
 * cmocka is not thread-safe: workers only record what happened; every
 * assertion runs on the test's own thread.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "helpers.h"
#include "workq.h"

/* What the workers saw, under its own lock. */
typedef struct record {
	pthread_mutex_t mu;
	pthread_cond_t changed;
	unsigned states;   /* worker states made */
	unsigned freed;    /* worker states freed */
	unsigned ran;      /* jobs run */
	unsigned released; /* jobs released */
	unsigned running;  /* jobs in run() now */
	unsigned most;     /* the most in run() at once */
	int gate;          /* 0: jobs that wait for the gate wait */
	unsigned order[64];
	int fail_state; /* worker_new fails */
} record;

typedef struct tjob {
	svd_job job;
	record *r;
	unsigned n;
	int fail;      /* run returns this, with a message naming n */
	int wait_gate; /* run waits until the gate opens */
	int sleep_ms;  /* run sleeps this long first */
	int heap;      /* release frees it */
} tjob;

static void record_init(record *r)
{
	memset(r, 0, sizeof(*r));
	assert_int_equal(pthread_mutex_init(&r->mu, NULL), 0);
	assert_int_equal(pthread_cond_init(&r->changed, NULL), 0);
}

static void record_clear(record *r)
{
	pthread_cond_destroy(&r->changed);
	pthread_mutex_destroy(&r->mu);
}

static void gate_open(record *r)
{
	pthread_mutex_lock(&r->mu);
	r->gate = 1;
	pthread_cond_broadcast(&r->changed);
	pthread_mutex_unlock(&r->mu);
}

static unsigned read_count(record *r, const unsigned *field)
{
	unsigned v;

	pthread_mutex_lock(&r->mu);
	v = *field;
	pthread_mutex_unlock(&r->mu);
	return v;
}

/* Wait (up to 10 s) until *field reaches want; the value then. */
static unsigned wait_count(record *r, const unsigned *field, unsigned want)
{
	struct timespec at;
	unsigned v;

	clock_gettime(CLOCK_REALTIME, &at);
	at.tv_sec += 10;
	pthread_mutex_lock(&r->mu);
	while ((v = *field) < want)
		if (pthread_cond_timedwait(&r->changed, &r->mu, &at) != 0)
			break;
	v = *field;
	pthread_mutex_unlock(&r->mu);
	return v;
}

static void sleep_ms(int ms)
{
	struct timespec t = {ms / 1000, (long)(ms % 1000) * 1000000L};

	nanosleep(&t, NULL);
}

static int state_new(void **state, void *payload)
{
	record *r = payload;
	int fail;

	pthread_mutex_lock(&r->mu);
	r->states++;
	fail = r->fail_state;
	pthread_cond_broadcast(&r->changed);
	pthread_mutex_unlock(&r->mu);
	if (fail)
		return svd_error_set(SVD_ENOTFOUND, "worker state: nothing to open here");
	*state = r;
	return 0;
}

static void state_free(void *state, void *payload)
{
	record *r = payload;

	(void)state;
	pthread_mutex_lock(&r->mu);
	r->freed++;
	pthread_mutex_unlock(&r->mu);
}

static int run(svd_job *qj, void *state, void *payload)
{
	tjob *j = (tjob *)qj;
	record *r = payload;

	(void)state;
	if (j->sleep_ms)
		sleep_ms(j->sleep_ms);
	pthread_mutex_lock(&r->mu);
	r->running++;
	if (r->running > r->most)
		r->most = r->running;
	if (r->ran < 64)
		r->order[r->ran] = j->n;
	r->ran++;
	pthread_cond_broadcast(&r->changed);
	while (j->wait_gate && !r->gate)
		pthread_cond_wait(&r->changed, &r->mu);
	r->running--;
	pthread_mutex_unlock(&r->mu);
	if (j->fail)
		return svd_error_set(j->fail, "job %u: it broke (on a worker)", j->n);
	return 0;
}

static void release(svd_job *qj, void *payload)
{
	tjob *j = (tjob *)qj;
	record *r = payload;
	int heap = j->heap;

	pthread_mutex_lock(&r->mu);
	r->released++;
	pthread_cond_broadcast(&r->changed);
	pthread_mutex_unlock(&r->mu);
	if (heap)
		free(j);
}

static svd_workq *queue(record *r, unsigned threads, size_t limit, int with_release)
{
	svd_workq_opts o = {.threads = threads,
	                    .limit = limit,
	                    .worker_new = state_new,
	                    .worker_free = state_free,
	                    .run = run,
	                    .release = with_release ? release : NULL,
	                    .payload = r};
	svd_workq *q = NULL;

	assert_int_equal(svd_workq_new(&q, &o), 0);
	assert_non_null(q);
	return q;
}

static tjob *heap_job(record *r, unsigned n, int fail)
{
	tjob *j = calloc(1, sizeof(*j));

	assert_non_null(j);
	j->r = r;
	j->n = n;
	j->fail = fail;
	j->heap = 1;
	return j;
}

static void test_threads_cap(void **state)
{
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned want = cores < 1 ? 1 : cores > SVD_THREADS_MAX ? SVD_THREADS_MAX : (unsigned)cores;

	(void)state;
	assert_int_equal(svd_threads(0), want);
	assert_int_equal(svd_threads(1), 1);
	assert_int_equal(svd_threads(3), 3);
	assert_int_equal(svd_threads(SVD_THREADS_MAX), SVD_THREADS_MAX);
	assert_int_equal(svd_threads(SVD_THREADS_MAX + 1), SVD_THREADS_MAX);
	assert_int_equal(svd_threads(100000), SVD_THREADS_MAX);
}

/* A queue asked for far too many workers starts SVD_THREADS_MAX, each with its state. */
static void test_workers_capped(void **state)
{
	record r;
	svd_workq *q;

	(void)state;
	record_init(&r);
	q = queue(&r, 1000, 1, 0);
	assert_int_equal(wait_count(&r, &r.states, SVD_THREADS_MAX), SVD_THREADS_MAX);
	sleep_ms(50);
	assert_int_equal(read_count(&r, &r.states), SVD_THREADS_MAX);
	assert_int_equal(svd_workq_finish(q), 0);
	assert_int_equal(r.freed, SVD_THREADS_MAX);
	record_clear(&r);
}

/* No jobs at all: finish, drain and free return at once, and clean up. */
static void test_zero_jobs(void **state)
{
	record r;
	svd_workq *q;

	(void)state;
	record_init(&r);
	q = queue(&r, 4, 8, 1);
	assert_int_equal(svd_workq_drain(q), 0);
	assert_int_equal(svd_workq_error(q), 0);
	assert_int_equal(svd_workq_finish(q), 0);
	assert_int_equal(r.ran, 0);
	assert_int_equal(r.released, 0);
	assert_int_equal(r.states, 4);
	assert_int_equal(r.freed, 4);

	q = queue(&r, 2, 8, 1);
	svd_workq_free(q);
	assert_int_equal(svd_workq_finish(NULL), 0);
	svd_workq_free(NULL);
	record_clear(&r);
}

/* Every job runs once and is released once; with one worker, in order. */
static void test_all_run_in_order(void **state)
{
	record r;
	svd_workq *q;
	unsigned i;

	(void)state;
	record_init(&r);
	q = queue(&r, 1, 4, 1);
	for (i = 0; i < 64; i++)
		assert_int_equal(svd_workq_submit(q, &heap_job(&r, i, 0)->job, 1, 0), 0);
	assert_int_equal(svd_workq_finish(q), 0);
	assert_int_equal(r.ran, 64);
	assert_int_equal(r.released, 64);
	for (i = 0; i < 64; i++)
		assert_int_equal(r.order[i], i);
	record_clear(&r);

	record_init(&r);
	q = queue(&r, 3, 5, 1);
	for (i = 0; i < 500; i++)
		assert_int_equal(svd_workq_submit(q, &heap_job(&r, i, 0)->job, 1, 0), 0);
	assert_int_equal(svd_workq_drain(q), 0);
	assert_int_equal(r.ran, 500);
	assert_int_equal(r.released, 500);
	assert_int_equal(svd_workq_finish(q), 0);
	record_clear(&r);
}

/* A worker's failure reaches the caller's thread, code and message. */
static void test_error_reaches_caller(void **state)
{
	record r;
	svd_workq *q;
	unsigned i;

	(void)state;
	record_init(&r);
	q = queue(&r, 2, 16, 1);
	/*
	 * The failing job is the last one submitted: a failure already seen
	 * makes submit refuse (test_first_error_wins), so a failing job in the
	 * middle would race the submissions after it.
	 */
	for (i = 0; i < 6; i++)
		assert_int_equal(
		    svd_workq_submit(q, &heap_job(&r, i, i == 5 ? SVD_ECORRUPT : 0)->job, 1, 0), 0);
	svd_error_set(SVD_ERROR, "the caller's own message");
	assert_int_equal(svd_workq_finish(q), SVD_ECORRUPT);
	assert_string_equal(svd_error_last(), "job 5: it broke (on a worker)");
	assert_int_equal(r.released, 6);
	record_clear(&r);

	/* svd_workq_error says it without waiting; wait and drain say it too */
	record_init(&r);
	q = queue(&r, 1, 16, 1);
	assert_int_equal(svd_workq_submit(q, &heap_job(&r, 7, SVD_ETOOBIG)->job, 1, 0), 0);
	svd_error_clear();
	assert_int_equal(svd_workq_drain(q), SVD_ETOOBIG);
	assert_string_equal(svd_error_last(), "job 7: it broke (on a worker)");
	svd_error_clear();
	assert_int_equal(svd_workq_error(q), SVD_ETOOBIG);
	assert_string_equal(svd_error_last(), "job 7: it broke (on a worker)");
	/* free leaves this thread's message alone */
	svd_error_set(SVD_ERROR, "mine");
	svd_workq_free(q);
	assert_string_equal(svd_error_last(), "mine");
	record_clear(&r);
}

/*
 * The first failure wins: with one worker, job 2's; everything after it
 * is skipped (released, not run), and submit refuses with that failure.
 */
static void test_first_error_wins(void **state)
{
	record r;
	svd_workq *q;
	tjob *later;
	unsigned i;

	(void)state;
	record_init(&r);
	q = queue(&r, 1, 64, 1);
	for (i = 0; i < 10; i++)
		assert_int_equal(
		    svd_workq_submit(q, &heap_job(&r, i, i >= 2 ? -20 - (int)i : 0)->job, 1, 0), 0);
	assert_int_equal(svd_workq_drain(q), -22);
	assert_string_equal(svd_error_last(), "job 2: it broke (on a worker)");
	assert_int_equal(r.ran, 3);
	assert_int_equal(r.released, 10);
	/* refused now: released on this thread, the failure returned */
	later = heap_job(&r, 99, 0);
	svd_error_clear();
	assert_int_equal(svd_workq_submit(q, &later->job, 1, 0), -22);
	assert_string_equal(svd_error_last(), "job 2: it broke (on a worker)");
	assert_int_equal(r.released, 11);
	assert_int_equal(r.ran, 3);
	assert_int_equal(svd_workq_finish(q), -22);
	record_clear(&r);

	/* many workers, every job failing: one code and its own message come back */
	record_init(&r);
	q = queue(&r, 4, 8, 1);
	for (i = 0; i < 40; i++) {
		int e = svd_workq_submit(q, &heap_job(&r, i, -30 - (int)i)->job, 1, 0);
		assert_true(e == 0 || e <= -30);
	}
	{
		int e = svd_workq_finish(q);
		char want[64];
		assert_true(e <= -30 && e > -70);
		snprintf(want, sizeof(want), "job %d: it broke (on a worker)", -30 - e);
		assert_string_equal(svd_error_last(), want);
	}
	assert_int_equal(r.released, 40);
	record_clear(&r);
}

/* svd_workq_fail from the caller's thread: its message, and nothing more starts. */
static void test_fail_from_caller(void **state)
{
	record r;
	svd_workq *q;
	tjob *first;
	unsigned i;

	(void)state;
	record_init(&r);
	q = queue(&r, 1, 64, 1);
	first = heap_job(&r, 0, 0);
	first->wait_gate = 1;
	assert_int_equal(svd_workq_submit(q, &first->job, 1, 0), 0);
	for (i = 1; i < 5; i++)
		assert_int_equal(svd_workq_submit(q, &heap_job(&r, i, 0)->job, 1, 0), 0);
	assert_int_equal(wait_count(&r, &r.ran, 1), 1);
	assert_int_equal(
	    svd_workq_fail(q, svd_error_set(SVD_EINVALID, "the caller gave up: %s", "test")),
	    SVD_EINVALID);
	/* a later failure does not replace it */
	assert_int_equal(svd_workq_fail(q, svd_error_set(SVD_ERROR, "second")), SVD_ERROR);
	assert_int_equal(svd_workq_fail(NULL, SVD_ERROR), SVD_ERROR);
	assert_int_equal(svd_workq_fail(q, 0), 0);
	gate_open(&r);
	svd_error_clear();
	assert_int_equal(svd_workq_finish(q), SVD_EINVALID);
	assert_string_equal(svd_error_last(), "the caller gave up: test");
	assert_int_equal(r.ran, 1);
	assert_int_equal(r.released, 5);
	record_clear(&r);
}

/* A worker whose state cannot be made fails the queue with its message. */
static void test_worker_state_fails(void **state)
{
	record r;
	svd_workq *q;
	unsigned i;

	(void)state;
	record_init(&r);
	r.fail_state = 1;
	q = queue(&r, 2, 8, 1);
	for (i = 0; i < 4; i++) {
		int e = svd_workq_submit(q, &heap_job(&r, i, 0)->job, 1, 0);
		assert_true(e == 0 || e == SVD_ENOTFOUND);
	}
	assert_int_equal(svd_workq_finish(q), SVD_ENOTFOUND);
	assert_string_equal(svd_error_last(), "worker state: nothing to open here");
	assert_int_equal(r.ran, 0);
	assert_int_equal(r.released, 4);
	assert_int_equal(r.freed, 0);
	record_clear(&r);
}

typedef struct submitter {
	svd_workq *q;
	tjob *job;
	size_t weight;
	int result;
	int returned; /* under the record's lock */
	record *r;
} submitter;

static void *submit_thread(void *arg)
{
	submitter *s = arg;

	s->result = svd_workq_submit(s->q, &s->job->job, s->weight, 0);
	pthread_mutex_lock(&s->r->mu);
	s->returned = 1;
	pthread_cond_broadcast(&s->r->changed);
	pthread_mutex_unlock(&s->r->mu);
	return NULL;
}

static int returned(submitter *s)
{
	int v;

	pthread_mutex_lock(&s->r->mu);
	v = s->returned;
	pthread_mutex_unlock(&s->r->mu);
	return v;
}

/* The bound: a full queue makes submit wait until room is given back. */
static void test_bound_blocks(void **state)
{
	record r;
	svd_workq *q;
	tjob *a, *b;
	submitter s = {0};
	pthread_t t;

	(void)state;
	record_init(&r);
	q = queue(&r, 1, 2, 1);
	a = heap_job(&r, 0, 0);
	a->wait_gate = 1;
	b = heap_job(&r, 1, 0);
	b->wait_gate = 1;
	assert_int_equal(svd_workq_submit(q, &a->job, 1, 0), 0);
	assert_int_equal(svd_workq_submit(q, &b->job, 1, 0), 0);
	/* the limit is reached (one running, one waiting): a third must wait */
	s.q = q;
	s.job = heap_job(&r, 2, 0);
	s.weight = 1;
	s.r = &r;
	assert_int_equal(pthread_create(&t, NULL, submit_thread, &s), 0);
	sleep_ms(200);
	assert_false(returned(&s));
	gate_open(&r);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_true(returned(&s));
	assert_int_equal(s.result, 0);
	assert_int_equal(svd_workq_finish(q), 0);
	assert_int_equal(r.ran, 3);
	record_clear(&r);

	/* by weight: 100 of 150 taken, 60 more waits; a job over the limit goes alone */
	record_init(&r);
	q = queue(&r, 2, 150, 1);
	a = heap_job(&r, 0, 0);
	a->wait_gate = 1;
	assert_int_equal(svd_workq_submit(q, &a->job, 100, 0), 0);
	memset(&s, 0, sizeof(s));
	s.q = q;
	s.job = heap_job(&r, 1, 0);
	s.weight = 60;
	s.r = &r;
	assert_int_equal(pthread_create(&t, NULL, submit_thread, &s), 0);
	sleep_ms(200);
	assert_false(returned(&s));
	gate_open(&r);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(s.result, 0);
	assert_int_equal(svd_workq_drain(q), 0);
	assert_int_equal(svd_workq_submit(q, &heap_job(&r, 2, 0)->job, 1000, 0), 0);
	assert_int_equal(svd_workq_submit(q, &heap_job(&r, 3, 0)->job, 1000, 0), 0);
	assert_int_equal(svd_workq_finish(q), 0);
	assert_int_equal(r.ran, 4);
	assert_int_equal(r.most, 1); /* the heavy ones one at a time, though two workers */
	record_clear(&r);
}

/* A submitter waiting for room is woken by a failure, which it returns. */
static void test_failure_wakes_submitter(void **state)
{
	record r;
	svd_workq *q;
	tjob *a;
	submitter s = {0};
	pthread_t t;

	(void)state;
	record_init(&r);
	q = queue(&r, 1, 1, 1);
	a = heap_job(&r, 0, 0);
	a->wait_gate = 1;
	assert_int_equal(svd_workq_submit(q, &a->job, 1, 0), 0);
	s.q = q;
	s.job = heap_job(&r, 1, 0);
	s.weight = 1;
	s.r = &r;
	assert_int_equal(pthread_create(&t, NULL, submit_thread, &s), 0);
	sleep_ms(100);
	assert_false(returned(&s));
	svd_workq_fail(q, svd_error_set(SVD_ELOCKED, "stop now"));
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(s.result, SVD_ELOCKED);
	gate_open(&r);
	assert_int_equal(svd_workq_finish(q), SVD_ELOCKED);
	assert_string_equal(svd_error_last(), "stop now");
	assert_int_equal(r.released, 2);
	record_clear(&r);
}

/* Jobs without a release: waited for one by one, in the caller's order, and reused. */
static void test_wait_and_reuse(void **state)
{
	record r;
	svd_workq *q;
	tjob ring[4];
	unsigned i, head = 0, tail = 0;

	(void)state;
	record_init(&r);
	memset(ring, 0, sizeof(ring));
	q = queue(&r, 3, 4, 0);
	for (i = 0; i < 40; i++) {
		tjob *j;
		if (tail - head == 4) {
			assert_int_equal(svd_workq_wait(q, &ring[head % 4].job), 0);
			assert_int_equal(svd_workq_done(q, &ring[head % 4].job), 1);
			head++;
		}
		j = &ring[tail++ % 4];
		j->n = i;
		j->sleep_ms = (int)(i % 3);
		assert_int_equal(svd_workq_submit(q, &j->job, 1, 0), 0);
	}
	while (head != tail)
		assert_int_equal(svd_workq_wait(q, &ring[head++ % 4].job), 0);
	assert_int_equal(r.ran, 40);
	assert_int_equal(svd_workq_finish(q), 0);
	record_clear(&r);
}

/* free skips what has not started: those are released, never run. */
static void test_free_skips(void **state)
{
	record r;
	svd_workq *q;
	tjob *a;
	unsigned i;

	(void)state;
	record_init(&r);
	q = queue(&r, 1, 64, 1);
	a = heap_job(&r, 0, 0);
	a->sleep_ms = 100;
	assert_int_equal(svd_workq_submit(q, &a->job, 1, 0), 0);
	for (i = 1; i < 20; i++)
		assert_int_equal(svd_workq_submit(q, &heap_job(&r, i, 0)->job, 1, 0), 0);
	svd_workq_free(q);
	assert_true(r.ran <= 1);
	assert_int_equal(r.released, 20);
	record_clear(&r);
}

/* The wake mark: jobs below it wait, but drain and finish start them. */
static void test_wake_mark(void **state)
{
	record r;
	svd_workq_opts o = {.threads = 1,
	                    .limit = 100,
	                    .wake = 50,
	                    .worker_new = state_new,
	                    .worker_free = state_free,
	                    .run = run,
	                    .release = release};
	svd_workq *q;
	unsigned i;

	(void)state;
	record_init(&r);
	o.payload = &r;
	assert_int_equal(svd_workq_new(&q, &o), 0);
	assert_int_equal(wait_count(&r, &r.states, 1), 1);
	sleep_ms(100); /* the worker waits for work by now */
	for (i = 0; i < 3; i++)
		assert_int_equal(svd_workq_submit(q, &heap_job(&r, i, 0)->job, 1, 0), 0);
	sleep_ms(100);
	assert_int_equal(read_count(&r, &r.ran), 0);
	assert_int_equal(svd_workq_submit(q, &heap_job(&r, 3, 0)->job, 1, SVD_WORKQ_WAKE), 0);
	assert_int_equal(wait_count(&r, &r.ran, 4), 4);
	assert_int_equal(svd_workq_submit(q, &heap_job(&r, 4, 0)->job, 1, 0), 0);
	assert_int_equal(svd_workq_finish(q), 0);
	assert_int_equal(r.ran, 5);
	record_clear(&r);
}

/* Tasks: a long job on a thread of its own. */
typedef struct task_arg {
	int loops;
	int result;
	const char *msg;
} task_arg;

static int sleeper(svd_workq *q, void *arg)
{
	task_arg *t = arg;

	while (!svd_workq_pause(q, 10))
		t->loops++;
	return 0;
}

static int quitter(svd_workq *q, void *arg)
{
	task_arg *t = arg;

	(void)q;
	if (t->result < 0)
		return svd_error_set(t->result, "%s", t->msg);
	return 0;
}

static void test_task(void **state)
{
	task_arg t = {0};
	svd_workq *q;

	(void)state;
	/* a task that runs until it is told to stop */
	assert_int_equal(svd_workq_task(&q, sleeper, &t), 0);
	sleep_ms(100);
	svd_workq_free(q);
	assert_true(t.loops > 0);

	/* a task's failure, with its message, from finish */
	t.result = SVD_EPASSPHRASE;
	t.msg = "the task's own failure";
	assert_int_equal(svd_workq_task(&q, quitter, &t), 0);
	svd_error_clear();
	assert_int_equal(svd_workq_finish(q), SVD_EPASSPHRASE);
	assert_string_equal(svd_error_last(), "the task's own failure");

	t.result = 0;
	assert_int_equal(svd_workq_task(&q, quitter, &t), 0);
	assert_int_equal(svd_workq_finish(q), 0);
}

/* svd_workq_pause ends early on a failure, and otherwise sleeps its time. */
static void test_pause(void **state)
{
	record r;
	svd_workq *q;
	struct timespec a, b;

	(void)state;
	record_init(&r);
	q = queue(&r, 1, 1, 1);
	clock_gettime(CLOCK_MONOTONIC, &a);
	assert_int_equal(svd_workq_pause(q, 60), 0);
	clock_gettime(CLOCK_MONOTONIC, &b);
	assert_true((b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000 >= 59);
	svd_workq_fail(q, svd_error_set(SVD_ERROR, "over"));
	assert_int_equal(svd_workq_pause(q, 60000), 1);
	assert_int_equal(svd_workq_finish(q), SVD_ERROR);
	record_clear(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_threads_cap),
	    cmocka_unit_test(test_workers_capped),
	    cmocka_unit_test(test_zero_jobs),
	    cmocka_unit_test(test_all_run_in_order),
	    cmocka_unit_test(test_error_reaches_caller),
	    cmocka_unit_test(test_first_error_wins),
	    cmocka_unit_test(test_fail_from_caller),
	    cmocka_unit_test(test_worker_state_fails),
	    cmocka_unit_test(test_bound_blocks),
	    cmocka_unit_test(test_failure_wakes_submitter),
	    cmocka_unit_test(test_wait_and_reuse),
	    cmocka_unit_test(test_free_skips),
	    cmocka_unit_test(test_wake_mark),
	    cmocka_unit_test(test_task),
	    cmocka_unit_test(test_pause),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
