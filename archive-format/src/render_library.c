/*
 * render_library.c: the whole reader library of a finished catalog, each
 * file handed to a callback (svd_render_library): the assets, the folding
 * table, the search index, the rows, index.html and the list pages, then
 * the item pages on a queue's page workers. Where the catalog's items and bodies come from, and where
 * the files go, is the caller's (unpack.c, export.c).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "samvydav/render.h"
#include "render_internal.h"
#include "workq.h"

#define PAGE_QUEUE 64 /* pages waiting for a worker */

typedef struct lib_job {
	const svd_catalog *c;
	svd_body_cb body;
	svd_manifest_read_cb mf; /* NULL: the catalog's manifests are whole */
	void *body_payload;
	svd_render_file_cb cb;
	void *payload;
	pthread_mutex_t mu; /* bodies are read and files handed over one at a time */
} lib_job;

typedef struct page_job {
	svd_job job; /* the queue's */
	const char *id;
} page_job;

/* One item's page, into b (a worker's, or the caller's when it renders alone). */
static int render_page(lib_job *j, svd_buf *b, const char *id)
{
	char path[6 + SVD_ID_HEX_LEN + 6], *body = NULL;
	svd_manifest *m = NULL;
	size_t len = 0;
	int error;

	pthread_mutex_lock(&j->mu);
	error = j->body(&body, &len, id, j->body_payload);
	if (error == 0 && j->mf)
		error = j->mf(&m, id, j->body_payload);
	pthread_mutex_unlock(&j->mu);
	if (error < 0) {
		free(body);
		return error;
	}
	b->len = 0;
	b->error = 0;
	error = j->mf ? svd_render_item_manifest(b, j->c, id, m, body, len)
	              : svd_render_item(b, j->c, id, NULL, body, len);
	svd_manifest_free(m);
	free(body);
	if (error < 0)
		return error;
	snprintf(path, sizeof(path), "pages/%s.html", id);
	pthread_mutex_lock(&j->mu);
	error = j->cb(path, b->data, b->len, j->payload);
	pthread_mutex_unlock(&j->mu);
	return error;
}

/* Each page worker's buffer. */
static int page_buf_new(void **state, void *payload)
{
	svd_buf *b = malloc(sizeof(*b));

	(void)payload;
	if (!b)
		return svd_error_set(SVD_ERROR, "out of memory");
	svd_buf_init(b, SVD_RENDER_PAGE_MAX);
	*state = b;
	return 0;
}

static void page_buf_free(void *state, void *payload)
{
	(void)payload;
	svd_buf_clear(state);
	free(state);
}

static int page_run(svd_job *qj, void *state, void *payload)
{
	return render_page(payload, state, ((page_job *)qj)->id);
}

static void page_release(svd_job *qj, void *payload)
{
	(void)payload;
	free(qj);
}

/*
 * The pages, on workers; alone, on this thread, so that cb is called
 * where svd_render_library was (an export's bundle writer, in row order).
 */
static int render_pages(lib_job *j, unsigned threads, int skip_final)
{
	svd_workq_opts o = {.threads = threads,
	                    .limit = PAGE_QUEUE,
	                    .worker_new = page_buf_new,
	                    .worker_free = page_buf_free,
	                    .run = page_run,
	                    .release = page_release,
	                    .payload = j};
	svd_workq *q = NULL;
	const char *id;
	svd_buf b;
	size_t row;
	int error = 0;

	svd_buf_init(&b, SVD_RENDER_PAGE_MAX);
	if (threads > 1 && svd_workq_new(&q, &o) < 0)
		q = NULL; /* no thread to be had: all of them here */
	for (row = 0; error == 0 && (id = svd_catalog_row(j->c, row)); row++) {
		page_job *pj;

		if (skip_final && svd_catalog_page_final(j->c, id))
			continue; /* its early page is final */
		if (!q) {
			error = render_page(j, &b, id);
		} else if (!(pj = malloc(sizeof(*pj)))) {
			error = svd_error_set(SVD_ERROR, "out of memory");
		} else {
			pj->id = id;
			error = svd_workq_submit(q, &pj->job, 1, 0);
		}
	}
	if (error == 0)
		error = svd_workq_finish(q);
	else
		svd_workq_free(q);
	svd_buf_clear(&b);
	return error;
}

int svd_render_library_ex(const svd_catalog *c, svd_body_cb body, svd_manifest_read_cb mf,
                          void *body_payload, unsigned threads, int skip_final,
                          svd_render_file_cb cb, void *payload)
{
	static const char *const assets[] = {"reader.css", "reader.js"};
	lib_job j;
	svd_buf b;
	unsigned t;
	size_t i;
	int error = 0;

	memset(&j, 0, sizeof(j));
	j.c = c;
	j.body = body;
	j.mf = mf;
	j.body_payload = body_payload;
	j.cb = cb;
	j.payload = payload;
	if (pthread_mutex_init(&j.mu, NULL) != 0)
		return svd_error_set(SVD_ERROR, "cannot make a lock");
	svd_buf_init(&b, SVD_RENDER_INDEX_MAX);
	for (i = 0; i < 2 && error == 0; i++) {
		const void *data;
		size_t len;
		if ((error = svd_render_asset(assets[i], &data, &len)) == 0)
			error = cb(assets[i], data, len, payload);
	}
	if (error == 0 && (error = svd_render_fold_js(&b)) == 0)
		error = cb("search/fold.js", b.data, b.len, payload);
	if (error == 0)
		error = svd_render_search(c, cb, payload);
	/* the rows and the list pages, in row order, one file in memory at a time */
	for (i = 0; error == 0 && i * SVD_CHUNK_ROWS < svd_catalog_count(c); i++) {
		char path[32];
		b.len = 0;
		snprintf(path, sizeof(path), "rows/%05zu.js", i);
		if ((error = svd_render_rows(&b, c, i)) == 0)
			error = cb(path, b.data, b.len, payload);
	}
	for (i = 1; error == 0 && i <= svd_list_pages(c); i++) {
		char path[32];
		b.len = 0;
		snprintf(path, sizeof(path), i == 1 ? "index.html" : "list/%05zu.html", i);
		if ((error = svd_render_list(&b, c, i)) == 0)
			error = cb(path, b.data, b.len, payload);
	}
	svd_buf_clear(&b);
	if (error < 0)
		goto cleanup;

	t = svd_threads(threads);
	if (t > svd_catalog_count(c))
		t = svd_catalog_count(c) ? (unsigned)svd_catalog_count(c) : 1;
	error = render_pages(&j, t, skip_final);
cleanup:
	pthread_mutex_destroy(&j.mu);
	return error;
}

int svd_render_library(const svd_catalog *c, svd_body_cb body, void *body_payload, unsigned threads,
                       svd_render_file_cb cb, void *payload)
{
	return svd_render_library_ex(c, body, NULL, body_payload, threads, 0, cb, payload);
}
