/*
 * export.c: `samvydav export` and the have-file of an archive (export.h) —
 * which items go (what the view of main shows, then --since, --have), read
 * out of the store (store_items.h) and handed to the bundle writer
 * (bundle_write.h), with the reader library rendered after them for
 * --with-reader (render.h, unpack.h). The format is the writer's.
 *
 * Reading items out of git (inflating their blobs) is most of the calling
 * thread's work in an export, while zstd runs on the others: a reader
 * thread, with a repository handle of its own, reads items ahead into
 * memory, in order, and the calling thread only hands them to the writer,
 * which turns them into tar. The read-ahead is bounded (PREFETCH_BYTES, at
 * least one item), so memory does not grow with the archive.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "samvydav/bundle.h"
#include "samvydav/export.h"
#include "samvydav/manifest.h"
#include "samvydav/render.h"
#include "samvydav/store.h"
#include "samvydav/unpack.h"
#include "samvydav/view.h"
#include "bundle_write.h"
#include "store_items.h"
#include "util.h"
#include "workq.h"

#define PREFETCH_BYTES (8u * 1024 * 1024)

/* The items chosen: indexes into the list of the view's commit, in id order. */
typedef struct chosen {
	svd_store_items *l;
	size_t *sel;
	size_t n;
} chosen;

/* Keep the items not in the commit's tree (both lists are in id order). */
static int filter_since_commit(chosen *ch, svd_archive *a, const char *hex)
{
	svd_store_items *old = NULL;
	size_t i, j = 0, k = 0, nold;
	int error;

	if ((error = svd_store_items_list(&old, a, hex)) < 0)
		return error;
	nold = svd_store_items_count(old);
	for (i = 0; i < ch->n; i++) {
		const char *id = svd_store_items_id(ch->l, ch->sel[i]);
		int c = 1;
		while (j < nold && (c = strcmp(svd_store_items_id(old, j), id)) < 0)
			j++;
		if (j < nold && c == 0)
			continue;
		ch->sel[k++] = ch->sel[i];
	}
	ch->n = k;
	svd_store_items_free(old);
	return 0;
}

/* A date YYYY-MM-DD that exists (the manifest's own check of "published"). */
static int check_date(const char *date)
{
	svd_manifest *m = NULL;
	int error = svd_manifest_new(&m);

	if (error == 0 && svd_manifest_set(m, "published", date) < 0)
		error = svd_error_set(SVD_EINVALID, "--since %s: not a date YYYY-MM-DD", date);
	svd_manifest_free(m);
	return error;
}

/* Items created on or after the date (the view read each one's manifest). */
static int filter_since_date(chosen *ch, const svd_view *v, const char *date)
{
	size_t i, k = 0;
	int error;

	if ((error = check_date(date)) < 0)
		return error;
	for (i = 0; i < ch->n; i++) {
		const svd_view_item *it = svd_view_find(v, svd_store_items_id(ch->l, ch->sel[i]));
		if (it && it->created[0] && strncmp(it->created, date, 10) >= 0)
			ch->sel[k++] = ch->sel[i];
	}
	ch->n = k;
	return 0;
}

static int filter_have(chosen *ch, const char *path)
{
	svd_have *h = NULL;
	size_t i, k = 0;
	int error;

	if ((error = svd_have_read(&h, path)) < 0)
		return error;
	for (i = 0; i < ch->n; i++)
		if (!svd_have_contains(h, svd_store_items_id(ch->l, ch->sel[i])))
			ch->sel[k++] = ch->sel[i];
	ch->n = k;
	svd_have_free(h);
	return 0;
}

/*
 * The items to export: what the view of main shows (view.h: accepted, not
 * withdrawn by a retraction), then each filter of opts. The list is of the
 * view's commit, so that a main moving meanwhile changes nothing.
 */
static int choose(chosen *ch, svd_archive *a, const svd_export_opts *opts)
{
	svd_view_policy pol = {0};
	svd_view *v = NULL;
	size_t i, n;
	int error;

	pol.check = SVD_VIEW_SIGNATURES;
	if ((error = svd_view_open(&v, a, NULL, &pol)) < 0)
		return error;
	if (!svd_view_commit(v)[0])
		goto cleanup; /* nothing in main yet */
	if ((error = svd_store_items_list(&ch->l, a, svd_view_commit(v))) < 0)
		goto cleanup;
	n = svd_store_items_count(ch->l);
	if (!(ch->sel = malloc((n ? n : 1) * sizeof(*ch->sel)))) {
		error = svd_error_set(SVD_ERROR, "out of memory");
		goto cleanup;
	}
	for (i = 0; i < n; i++)
		if (svd_view_carries(v, svd_store_items_id(ch->l, i)))
			ch->sel[ch->n++] = i;
	if (opts->since_commit && (error = filter_since_commit(ch, a, opts->since_commit)) < 0)
		goto cleanup;
	if (opts->since_date && (error = filter_since_date(ch, v, opts->since_date)) < 0)
		goto cleanup;
	if (opts->have_path && (error = filter_have(ch, opts->have_path)) < 0)
		goto cleanup;
cleanup:
	svd_view_free(v);
	return error;
}

/* One item read ahead: its files as the bundle takes them, their bytes in it. */
typedef struct pf_item {
	svd_store_item *it;
	svd_bundle_file *files; /* paths ours, bytes it's */
	size_t n;
	uint64_t bytes;
	struct pf_item *next;
} pf_item;

typedef struct prefetch {
	const svd_archive *a;
	const chosen *ch;
	svd_workq *reader; /* a task; its failure, with the message, is the queue's */
	pthread_mutex_t lock;
	pthread_cond_t changed;
	pf_item *head, *tail; /* read, not yet taken */
	uint64_t queued;      /* bytes in the queue */
	int stop;             /* the calling thread gives up */
} prefetch;

/* Freed by the calling thread: an item read whole touches the reader no more. */
static void pf_item_free(pf_item *pi)
{
	size_t i;

	if (!pi)
		return;
	for (i = 0; i < pi->n; i++)
		free((char *)pi->files[i].path);
	free(pi->files);
	svd_store_item_free(pi->it);
	free(pi);
}

/* Item i of the list, every file read, under its path in the bundle. */
static int pf_read_item(pf_item *pi, svd_store_reader *r, const svd_store_items *l, size_t i)
{
	char path[SVD_BUNDLE_PATH_MAX];
	const char *id = svd_store_items_id(l, i);
	size_t k, count;
	int error;

	if ((error = svd_store_item_open(&pi->it, r, l, i)) < 0)
		return error;
	count = svd_store_item_count(pi->it);
	if (!(pi->files = calloc(count ? count : 1, sizeof(*pi->files))))
		return svd_error_set(SVD_ERROR, "out of memory");
	for (k = 0; k < count; k++) {
		svd_bundle_file *f = &pi->files[pi->n];
		if ((size_t)snprintf(path, sizeof(path), "items/%.2s/%s/%s", id, id,
		                     svd_store_item_name(pi->it, k)) >= sizeof(path))
			continue;
		if ((error = svd_store_item_data(&f->data, &f->len, pi->it, k)) < 0)
			return error;
		if (!(f->path = strdup(path)))
			return svd_error_set(SVD_ERROR, "out of memory");
		pi->n++;
		pi->bytes += f->len;
	}
	return 0;
}

/*
 * The reader's task: the items in order, until the end, a failure or the
 * calling thread's stop. A failure ends the reading; the calling thread
 * takes the items read before it, then finds the failure in pf->reader.
 */
static int pf_run(svd_workq *q, void *arg)
{
	prefetch *pf = arg;
	svd_store_reader *r = NULL;
	size_t i;
	int error;

	error = svd_store_reader_open(&r, pf->a);
	for (i = 0; i < pf->ch->n && error == 0; i++) {
		pf_item *pi = calloc(1, sizeof(*pi));
		int stop;

		if (!pi) {
			error = svd_error_set(SVD_ERROR, "out of memory");
			break;
		}
		if ((error = pf_read_item(pi, r, pf->ch->l, pf->ch->sel[i])) < 0) {
			pf_item_free(pi);
			break;
		}
		pthread_mutex_lock(&pf->lock);
		while (!pf->stop && pf->head && pf->queued >= PREFETCH_BYTES)
			pthread_cond_wait(&pf->changed, &pf->lock);
		if (!(stop = pf->stop)) {
			if (pf->tail)
				pf->tail->next = pi;
			else
				pf->head = pi;
			pf->tail = pi;
			pf->queued += pi->bytes;
			pthread_cond_broadcast(&pf->changed);
		}
		pthread_mutex_unlock(&pf->lock);
		if (stop) {
			pf_item_free(pi);
			break;
		}
	}
	svd_store_reader_free(r);
	/* the failure is kept before the calling thread can see the end */
	svd_workq_fail(q, error);
	pthread_mutex_lock(&pf->lock);
	pf->stop = 2; /* done: nothing more will come */
	pthread_cond_broadcast(&pf->changed);
	pthread_mutex_unlock(&pf->lock);
	return error;
}

/* The next item read, in order; NULL when the reader ended early (svd_workq_error says why). */
static pf_item *pf_take(prefetch *pf)
{
	pf_item *pi;

	pthread_mutex_lock(&pf->lock);
	while (!pf->head && pf->stop != 2)
		pthread_cond_wait(&pf->changed, &pf->lock);
	pi = pf->head;
	if (pi) {
		pf->head = pi->next;
		if (!pf->head)
			pf->tail = NULL;
		pf->queued -= pi->bytes;
		pthread_cond_broadcast(&pf->changed);
	}
	pthread_mutex_unlock(&pf->lock);
	return pi;
}

static int pf_start(prefetch *pf, const svd_archive *a, const chosen *ch)
{
	int error;

	memset(pf, 0, sizeof(*pf));
	pf->a = a;
	pf->ch = ch;
	if (pthread_mutex_init(&pf->lock, NULL) != 0)
		return svd_error_set(SVD_ERROR, "cannot make a lock");
	if (pthread_cond_init(&pf->changed, NULL) != 0) {
		pthread_mutex_destroy(&pf->lock);
		return svd_error_set(SVD_ERROR, "cannot make a condition variable");
	}
	if ((error = svd_workq_task(&pf->reader, pf_run, pf)) < 0) {
		pthread_cond_destroy(&pf->changed);
		pthread_mutex_destroy(&pf->lock);
	}
	return error;
}

static void pf_stop(prefetch *pf)
{
	pf_item *pi;

	pthread_mutex_lock(&pf->lock);
	if (pf->stop != 2)
		pf->stop = 1;
	pthread_cond_broadcast(&pf->changed);
	pthread_mutex_unlock(&pf->lock);
	svd_workq_free(pf->reader);
	while ((pi = pf->head) != NULL) {
		pf->head = pi->next;
		pf_item_free(pi);
	}
	pthread_cond_destroy(&pf->changed);
	pthread_mutex_destroy(&pf->lock);
}

/* Every chosen item, read ahead on the reader thread, into the writer. */
static int write_items(svd_bundle_writer *w, const svd_archive *a, const chosen *ch)
{
	prefetch pf;
	size_t i;
	int error = 0;

	if ((error = pf_start(&pf, a, ch)) < 0)
		return error;
	for (i = 0; i < ch->n && error == 0; i++) {
		pf_item *pi = pf_take(&pf);
		if (!pi) {
			if ((error = svd_workq_error(pf.reader)) == 0)
				error = svd_error_set(SVD_ERROR, "the reader thread stopped early");
			break;
		}
		error = svd_bundle_writer_item(w, pi->files, pi->n);
		pf_item_free(pi);
	}
	pf_stop(&pf);
	return error;
}

static int reader_file(const char *path, const void *data, size_t len, void *payload)
{
	return svd_bundle_writer_extra(payload, path, data, len);
}

/*
 * After the items, before the end marker: the rendered library of the
 * exported items (index.html, reader.*, search/, pages/), checked against
 * this archive's trust list, so that `tar --zstd -xf` gives a library to read.
 */
static int write_reader(svd_bundle_writer *w, svd_archive *a, const char *const *ids, size_t n)
{
	svd_catalog *c = NULL;
	int error;

	error = svd_catalog_from_archive(&c, a, NULL, ids, n, NULL, NULL);
	if (error == SVD_ECORRUPT)
		error =
		    0; /* an item that does not verify has no page; the bundle's reader checks it */
	if (error == 0)
		error = svd_render_library(c, svd_archive_body, a, 1, reader_file, w);
	svd_catalog_free(c);
	return error;
}

int svd_export(svd_archive *a, const char *output, const svd_export_opts *opts,
               svd_export_result *result)
{
	static const svd_export_opts none = {0};
	svd_bundle_writer_opts wo = {0};
	svd_bundle_writer *w = NULL;
	const char **ids = NULL;
	chosen ch = {0};
	size_t i;
	int error = 0;

	memset(result, 0, sizeof(*result));
	if (!opts)
		opts = &none;
	wo.level = opts->level ? opts->level : 3;
	if (wo.level < 1 || wo.level > 19)
		return svd_error_set(SVD_EINVALID, "compression level %d: use 1 to 19", wo.level);
	if (!output || !*output)
		return svd_error_set(SVD_EINVALID, "no output file given");
	if (opts->with_reader && opts->max_size)
		return svd_error_set(SVD_EINVALID,
		                     "--with-reader makes one bundle and does not "
		                     "combine with --max-size; export the reader apart");

	if ((error = choose(&ch, a, opts)) < 0)
		goto cleanup;
	if (!(ids = malloc((ch.n + 1) * sizeof(*ids)))) {
		error = svd_error_set(SVD_ERROR, "out of memory");
		goto cleanup;
	}
	for (i = 0; i < ch.n; i++)
		ids[i] = svd_store_items_id(ch.l, ch.sel[i]);
	wo.mirror = svd_archive_mirror_id(a);
	wo.ids = ids;
	wo.n = ch.n;
	wo.max_size = opts->max_size;
	wo.threads = opts->threads;
	wo.progress = opts->progress;
	wo.payload = opts->payload;
	if ((error = svd_bundle_writer_new(&w, output, &wo)) < 0 ||
	    (error = write_items(w, a, &ch)) < 0 || (error = svd_bundle_writer_items_done(w)) < 0)
		goto cleanup;
	/* past SVD_BUNDLE_MAX_ITEMS the items go into parts, and the reader with none */
	if (opts->with_reader && !svd_bundle_writer_split(w) &&
	    (error = write_reader(w, a, ids, ch.n)) < 0)
		goto cleanup;
	if ((error = svd_bundle_writer_finish(w, &result->files, &result->nfiles, &result->bytes)) <
	    0)
		goto cleanup;
	result->items = ch.n;
cleanup:
	svd_bundle_writer_free(w); /* a failed export leaves nothing: parts written go too */
	svd_store_items_free(ch.l);
	free(ch.sel);
	free(ids);
	if (error < 0)
		svd_export_result_clear(result);
	return error;
}

void svd_export_result_clear(svd_export_result *result)
{
	size_t i;

	if (!result)
		return;
	for (i = 0; i < result->nfiles; i++)
		free(result->files[i]);
	free(result->files);
	memset(result, 0, sizeof(*result));
}

int svd_have_write(svd_archive *a, const char *path)
{
	svd_store_items *l = NULL;
	svd_have *h = NULL;
	const char **ids = NULL;
	size_t i, n;
	int error;

	if ((error = svd_store_items_list(&l, a, NULL)) < 0)
		return error;
	n = svd_store_items_count(l);
	if (!(ids = malloc((n + 1) * sizeof(*ids)))) {
		error = svd_error_set(SVD_ERROR, "out of memory");
		goto cleanup;
	}
	for (i = 0; i < n; i++)
		ids[i] = svd_store_items_id(l, i);
	if ((error = svd_have_from_ids(&h, svd_archive_mirror_id(a), ids, n)) == 0)
		error = svd_have_save(h, path);
cleanup:
	svd_have_free(h);
	free(ids);
	svd_store_items_free(l);
	return error;
}
