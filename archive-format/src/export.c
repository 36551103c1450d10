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
#include "library_paths.h"
#include "render_internal.h"
#include "store_items.h"
#include "util.h"
#include "workq.h"

#define PREFETCH_BYTES (8u * 1024 * 1024)

/*
 * The items chosen: indexes into the list of the view's commit, in id
 * order, and how each goes. Each filter votes for an item to go whole or
 * as a signature update (its manifest and sig/ only, SPEC.md 9.2), or
 * takes it out; an item goes as an update only when every vote was for
 * one, so a filter that says the receiver lacks it wins.
 */
enum { VOTE_WHOLE = 1, VOTE_UPDATE = 2 };

typedef struct chosen {
	svd_store_items *l;
	size_t *sel;
	uint8_t *votes; /* per sel: VOTE_* bits; after choose(), 1 for an update, else 0 */
	size_t n, nupdates;
} chosen;

/*
 * Items not in the commit's tree go whole; items there with another folder
 * (signatures added since) as updates; the rest stay (both lists in id order).
 */
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
		if (j < nold && c == 0) {
			if (svd_store_items_same(ch->l, ch->sel[i], old, j))
				continue;
			ch->votes[i] |= VOTE_UPDATE;
		} else {
			ch->votes[i] |= VOTE_WHOLE;
		}
		ch->votes[k] = ch->votes[i];
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
		svd_view_item buf;
		const svd_view_item *it =
		    svd_view_find(&buf, v, svd_store_items_id(ch->l, ch->sel[i]));
		if (it && it->created[0] && strncmp(it->created, date, 10) >= 0) {
			ch->votes[k] = ch->votes[i] | VOTE_WHOLE;
			ch->sel[k++] = ch->sel[i];
		}
	}
	ch->n = k;
	return 0;
}

/* The key id of a signature file's name in an item ("sig/KEYID.minisig"): 0, or -1 for another file. */
static int sig_keyid(char out[SVD_KEYID_HEX_LEN + 1], const char *name)
{
	static const char suffix[] = ".minisig";

	if (strncmp(name, "sig/", 4) ||
	    strlen(name) != 4 + SVD_KEYID_HEX_LEN + sizeof(suffix) - 1 ||
	    strcmp(name + 4 + SVD_KEYID_HEX_LEN, suffix))
		return -1;
	memcpy(out, name + 4, SVD_KEYID_HEX_LEN);
	out[SVD_KEYID_HEX_LEN] = '\0';
	return svd_keyid_valid(out) ? 0 : -1;
}

/*
 * Does the have-file's mirror lack a signature of item i of l (one of its
 * sig/KEYID.minisig by a key the have-file does not list for it)?
 */
static int lacks_signature(int *out, svd_store_reader *r, const svd_store_items *l, size_t i,
                           const svd_have *h)
{
	svd_store_item *it = NULL;
	size_t k;
	int error;

	*out = 0;
	if ((error = svd_store_item_open(&it, r, l, i)) < 0)
		return error;
	for (k = 0; k < svd_store_item_count(it) && !*out; k++) {
		char keyid[SVD_KEYID_HEX_LEN + 1];
		if (sig_keyid(keyid, svd_store_item_name(it, k)) == 0 &&
		    !svd_have_signed(h, svd_store_items_id(l, i), keyid))
			*out = 1;
	}
	svd_store_item_free(it);
	return 0;
}

/*
 * Items the have-file does not list go whole; with a have-file of format 2,
 * items it lists without a signature we hold go as updates; the rest stay.
 * A have-file of format 1 says nothing of signatures (and its mirror reads
 * no updates): what it lists stays, as before.
 */
static int filter_have(chosen *ch, svd_archive *a, const char *path, const svd_seal_keys *keys)
{
	svd_store_reader *r = NULL;
	svd_have *h = NULL;
	size_t i, k = 0;
	int error;

	if ((error = svd_have_read_sealed(&h, path, keys)) < 0)
		return error;
	if (svd_have_format(h) >= 2 && (error = svd_store_reader_open(&r, a)) < 0)
		goto cleanup;
	for (i = 0; i < ch->n; i++) {
		const char *id = svd_store_items_id(ch->l, ch->sel[i]);
		int lacks = 0;
		if (!svd_have_contains(h, id)) {
			ch->votes[i] |= VOTE_WHOLE;
		} else if (r) {
			if ((error = lacks_signature(&lacks, r, ch->l, ch->sel[i], h)) < 0)
				goto cleanup;
			if (!lacks)
				continue;
			ch->votes[i] |= VOTE_UPDATE;
		} else {
			continue;
		}
		ch->votes[k] = ch->votes[i];
		ch->sel[k++] = ch->sel[i];
	}
	ch->n = k;
cleanup:
	svd_store_reader_free(r);
	svd_have_free(h);
	return error;
}

/*
 * The items to export: what the view of main shows (view.h: accepted, not
 * withdrawn by a retraction), then each filter of opts. The list is of the
 * view's commit, so that a main moving meanwhile changes nothing.
 */
/* Where an item goes in a bundle: certificates, revocations, checkpoints, then the rest. */
static int rank(const svd_view *v, const char *id)
{
	svd_view_item buf;
	const svd_view_item *it = svd_view_find(&buf, v, id);

	if (!it)
		return 3;
	return it->kind == SVD_KIND_CERTIFICATE  ? 0
	       : it->kind == SVD_KIND_REVOCATION ? 1
	       : it->kind == SVD_KIND_CHECKPOINT ? 2
	                                         : 3;
}

/*
 * Statements first (SPEC 9.3), each group in id order: an importer then
 * has a certificate before the items of the editor it certifies, and a
 * revocation before what it hides, in one pass. A stable pass per rank.
 */
static int statements_first(chosen *ch, const svd_view *v)
{
	size_t *sel;
	uint8_t *votes;
	size_t i, k = 0;
	int r;

	if (!(sel = malloc((ch->n + 1) * sizeof(*sel))) || !(votes = malloc(ch->n + 1))) {
		free(sel);
		return svd_error_set(SVD_ERROR, "out of memory");
	}
	for (r = 0; r <= 3; r++)
		for (i = 0; i < ch->n; i++)
			if (rank(v, svd_store_items_id(ch->l, ch->sel[i])) == r) {
				sel[k] = ch->sel[i];
				votes[k++] = ch->votes[i];
			}
	memcpy(ch->sel, sel, ch->n * sizeof(*sel));
	memcpy(ch->votes, votes, ch->n);
	free(sel);
	free(votes);
	return 0;
}

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
	if (!(ch->sel = malloc((n ? n : 1) * sizeof(*ch->sel))) ||
	    !(ch->votes = calloc(n ? n : 1, 1))) {
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
	if (opts->have_path && (error = filter_have(ch, a, opts->have_path, opts->keys)) < 0)
		goto cleanup;
	for (i = 0; i < ch->n; i++) {
		ch->votes[i] = ch->votes[i] == VOTE_UPDATE;
		ch->nupdates += ch->votes[i];
	}
	error = statements_first(ch, v);
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

/*
 * Item i of the list, every file read, under its path in the bundle; for a
 * signature update, only manifest.json and the files of sig/.
 */
static int pf_read_item(pf_item *pi, svd_store_reader *r, const svd_store_items *l, size_t i,
                        int update)
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
		const char *name = svd_store_item_name(pi->it, k);
		if (update && strcmp(name, "manifest.json") && strncmp(name, "sig/", 4))
			continue;
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
		if ((error = pf_read_item(pi, r, pf->ch->l, pf->ch->sel[i], pf->ch->votes[i])) <
		    0) {
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
	if (error == 0) {
		/* read from file:// after tar -x, with the items' own names (SPEC.md 11.2) */
		svd_catalog_set_links(c, SVD_LINKS_NONE);
		error = svd_render_library(c, svd_archive_body, a, 1, reader_file, w);
	}
	svd_catalog_free(c);
	return error;
}

int svd_export(svd_archive *a, const char *output, const svd_export_opts *opts,
               svd_export_result *result)
{
	static const svd_export_opts none = {0};
	svd_bundle_writer_opts wo = {0};
	svd_bundle_writer *w = NULL;
	const char **ids = NULL, **whole = NULL;
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
	wo.updates = ch.nupdates ? ch.votes : NULL;
	wo.max_size = opts->max_size;
	wo.threads = opts->threads;
	wo.progress = opts->progress;
	wo.payload = opts->payload;
	wo.seal = opts->seal;
	if ((error = svd_bundle_writer_new(&w, output, &wo)) < 0 ||
	    (error = write_items(w, a, &ch)) < 0 || (error = svd_bundle_writer_items_done(w)) < 0)
		goto cleanup;
	/* past what one BUNDLE.json lists (SVD_BUNDLE_META_MAX) the items go into parts,
	   and the reader with none */
	if (opts->with_reader && !svd_bundle_writer_split(w)) {
		/* pages for the whole items only: an update's item is not in the bundle */
		size_t k = 0;
		if (!(whole = malloc((ch.n + 1) * sizeof(*whole)))) {
			error = svd_error_set(SVD_ERROR, "out of memory");
			goto cleanup;
		}
		for (i = 0; i < ch.n; i++)
			if (!ch.votes[i])
				whole[k++] = ids[i];
		if ((error = write_reader(w, a, whole, k)) < 0)
			goto cleanup;
	}
	if ((error = svd_bundle_writer_finish(w, &result->files, &result->nfiles, &result->bytes)) <
	    0)
		goto cleanup;
	result->items = ch.n - ch.nupdates;
	result->updates = ch.nupdates;
cleanup:
	svd_bundle_writer_free(w); /* a failed export leaves nothing: parts written go too */
	svd_store_items_free(ch.l);
	free(ch.sel);
	free(ch.votes);
	free(ids);
	free(whole);
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

/*
 * The have-file of main, format 2: every item's id and the key ids of its
 * signatures, read from the names in its sig/ (no signature's bytes).
 */
int svd_have_write(svd_archive *a, const char *path)
{
	return svd_have_write_sealed(a, path, NULL);
}

/* Items of main for svd_have_from_sorted(): each one's id and its sig/ names' key ids. */
typedef struct have_src {
	svd_archive *a;
	const char *commit; /* main's, when the walk began */
	svd_store_items *l; /* the fan-out folder being walked */
	unsigned fan;       /* its number; 256 before the first */
	size_t first;       /* the index of its first item in the whole walk */
	svd_store_reader *r;
	/* one more than a have-file may list: the set refuses such an item, as before */
	char keys[SVD_HAVE_MAX_ITEM_KEYS + 1][SVD_KEYID_HEX_LEN + 1];
	const char *kp[SVD_HAVE_MAX_ITEM_KEYS + 1];
} have_src;

static int have_next(svd_have_item *item, size_t i, void *payload)
{
	have_src *s = payload;
	svd_store_item *it = NULL;
	size_t k, n = 0;
	int error;

	/* the folders in order, one held at a time (the items of one: a million / 256) */
	while (s->fan == 256 || i - s->first >= svd_store_items_count(s->l)) {
		if (s->fan != 256)
			s->first += svd_store_items_count(s->l);
		s->fan = s->fan == 256 ? 0 : s->fan + 1;
		svd_store_items_free(s->l);
		s->l = NULL;
		if (s->fan > 255)
			return svd_error_set(SVD_ERROR,
			                     "main's items changed while they were read");
		if ((error = svd_store_items_list_fan(&s->l, s->a, s->commit, s->fan)) < 0)
			return error;
	}
	i -= s->first;
	if ((error = svd_store_item_open(&it, s->r, s->l, i)) < 0)
		return error;
	for (k = 0; k < svd_store_item_count(it) && n <= SVD_HAVE_MAX_ITEM_KEYS; k++)
		if (sig_keyid(s->keys[n], svd_store_item_name(it, k)) == 0) {
			s->kp[n] = s->keys[n];
			n++;
		}
	svd_store_item_free(it);
	item->id = svd_store_items_id(s->l, i);
	item->keyids = s->kp;
	item->nkeys = n;
	return 0;
}

int svd_have_write_sealed(svd_archive *a, const char *path, const svd_seal_to *to)
{
	svd_store_items *l = NULL;
	have_src *src = NULL;
	svd_have *h = NULL;
	char commit[SVD_COMMIT_HEX_LEN + 1];
	size_t n = 0;
	unsigned fan;
	int error;

	/*
	 * Item by item, in id order: only the set is held (a million items: some
	 * 40 MB), and main's items one fan-out folder at a time, counted first
	 * (listed whole they were 96 MB more, and with the pack indexes a
	 * million items read no longer fit in 256 MiB).
	 */
	if (!(src = calloc(1, sizeof(*src))))
		return svd_error_set(SVD_ERROR, "out of memory");
	if ((error = svd_store_items_list_fan(&l, a, NULL, 0)) < 0)
		goto cleanup;
	snprintf(commit, sizeof(commit), "%s", svd_store_items_commit(l));
	for (fan = 0; fan < 256 && error == 0; fan++) {
		if (fan && *commit) {
			svd_store_items_free(l);
			l = NULL;
			if ((error = svd_store_items_list_fan(&l, a, commit, fan)) < 0)
				break;
		}
		n += svd_store_items_count(l);
	}
	if (error < 0 || (error = svd_store_reader_open(&src->r, a)) < 0)
		goto cleanup;
	src->a = a;
	src->commit = commit;
	src->fan = 256;
	if ((error = svd_have_from_sorted(&h, svd_archive_mirror_id(a), n, have_next, src)) == 0)
		error = svd_have_save_sealed(h, path, to);
cleanup:
	svd_have_free(h);
	if (src) {
		svd_store_reader_free(src->r);
		svd_store_items_free(src->l);
	}
	free(src);
	svd_store_items_free(l);
	return error;
}
