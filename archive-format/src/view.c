/*
 * view.c: the rules of what is shown (view.h) over a set of gate verdicts —
 * acceptance, retraction, supersession and the one order. Pure: it reads
 * no store and no file; view_store.c feeds it an archive's items, the
 * catalog feeds it a library's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "samvydav/view.h"
#include "util.h"
#include "view_internal.h"

#define HIDDEN UINT32_MAX

typedef struct vitem {
	char id[SVD_ID_HEX_LEN + 1];
	char date[11], created[21];
	char sup[SVD_ID_HEX_LEN + 1], ret[SVD_ID_HEX_LEN + 1]; /* "" when not named */
	char *title, *lang, *why, *signers;
	svd_manifest *m; /* SVD_VIEW_MANIFESTS */
	svd_kind kind;
	int ok, dup;
	uint32_t retracted_by, superseded_by; /* index + 1; 0 none */
	uint32_t row, order;                  /* row: HIDDEN when not shown */
	svd_view_item pub;
} vitem;

struct svd_view {
	vitem *v;
	size_t n, cap;
	unsigned flags;
	uint32_t *byid;  /* indexes, by id (finish) */
	uint32_t *all;   /* indexes, in the one order, duplicates left out */
	size_t nall;
	uint32_t *rows;  /* indexes of shown items, in the one order */
	size_t nrows;
	uint32_t (*sup)[2]; /* (superseded, superseding), by the first, then newest first */
	size_t nsup;
	uint32_t *rets; /* accepted retractions, by the id they name, then newest first */
	size_t nrets;
	char commit[41];
	int finished;
};

int svd_view_new(svd_view **out, unsigned flags)
{
	if (!(*out = calloc(1, sizeof(**out))))
		return svd_error_set(SVD_ERROR, "out of memory");
	(*out)->flags = flags;
	return 0;
}

void svd_view_free(svd_view *v)
{
	size_t i;

	if (!v)
		return;
	for (i = 0; i < v->n; i++) {
		free(v->v[i].title);
		free(v->v[i].lang);
		free(v->v[i].why);
		free(v->v[i].signers);
		svd_manifest_free(v->v[i].m);
	}
	free(v->v);
	free(v->byid);
	free(v->all);
	free(v->rows);
	free(v->sup);
	free(v->rets);
	free(v);
}

void svd_view_set_commit(svd_view *v, const char *commit)
{
	snprintf(v->commit, sizeof(v->commit), "%s", commit ? commit : "");
}

static char *dup_or_empty(const char *s)
{
	return svd_strdup(s ? s : "");
}

/* Copy an id the manifest names, "" when absent (the manifest checked its form). */
static void copy_id(char out[SVD_ID_HEX_LEN + 1], const char *id)
{
	snprintf(out, SVD_ID_HEX_LEN + 1, "%s", id && svd_id_valid(id) ? id : "");
}

int svd_view_add_fields(svd_view *v, const svd_view_fields *f)
{
	const svd_manifest *m = f->m;
	const char *published, *created;
	vitem *it;
	int error;

	if (v->finished)
		return svd_error_set(SVD_EINVALID, "the view is finished; add before finishing");
	if (!f->id || !svd_id_valid(f->id))
		return svd_error_set(SVD_EINVALID, "an item without an id cannot be in a view");
	if (v->n >= HIDDEN - 1)
		return svd_error_set(SVD_ETOOBIG, "too many items for one view");
	if ((error = svd_grow(&v->v, &v->cap, v->n + 1, sizeof(*v->v), 256)) < 0)
		return error;
	it = &v->v[v->n];
	memset(it, 0, sizeof(*it));
	memcpy(it->id, f->id, SVD_ID_HEX_LEN + 1);
	it->ok = f->ok;
	it->row = HIDDEN;
	if (m) {
		published = svd_manifest_get(m, "published");
		created = svd_manifest_get(m, "created");
		snprintf(it->created, sizeof(it->created), "%s", created ? created : "");
		snprintf(it->date, sizeof(it->date), "%.10s", published ? published : it->created);
		copy_id(it->sup, svd_manifest_get(m, "supersedes"));
		copy_id(it->ret, svd_manifest_get(m, "retracts"));
		it->kind = svd_manifest_kind(m);
		it->title = dup_or_empty(svd_manifest_get(m, "title"));
		it->lang = dup_or_empty(svd_manifest_get(m, "lang"));
	} else {
		snprintf(it->created, sizeof(it->created), "%s", f->created ? f->created : "");
		snprintf(it->date, sizeof(it->date), "%s", f->date ? f->date : "");
		copy_id(it->sup, f->supersedes);
		copy_id(it->ret, f->retracts);
		it->kind = f->kind;
		it->title = dup_or_empty(f->title);
		it->lang = dup_or_empty(f->lang);
	}
	it->signers = dup_or_empty(f->signers);
	it->why = f->why ? svd_strdup(f->why) : NULL;
	if (!it->title || !it->lang || !it->signers || (f->why && !it->why))
		goto nomem;
	if (m && (v->flags & SVD_VIEW_MANIFESTS)) {
		size_t len;
		const char *bytes = svd_manifest_bytes(m, &len);
		if ((error = svd_manifest_parse(&it->m, bytes, len)) < 0)
			goto fail;
	}
	v->n++;
	return 0;
nomem:
	error = svd_error_set(SVD_ERROR, "out of memory");
fail:
	free(it->title);
	free(it->lang);
	free(it->signers);
	free(it->why);
	return error;
}

int svd_view_add_item(svd_view *v, const char *id, const svd_manifest *m, int ok,
                      const char *why, const char *signers)
{
	svd_view_fields f = {0};

	f.id = id;
	f.m = m;
	f.ok = ok;
	f.why = why;
	f.signers = signers;
	return svd_view_add_fields(v, &f);
}

void svd_view_item_fields(svd_view_fields *out, const svd_view_item *it)
{
	memset(out, 0, sizeof(*out));
	out->id = it->id;
	out->ok = it->state != SVD_VIEW_REFUSED;
	out->kind = it->kind;
	out->date = it->date;
	out->created = it->created;
	out->supersedes = it->supersedes;
	out->retracts = it->retracts;
	out->title = it->title;
	out->lang = it->lang;
	out->why = it->why;
	out->signers = it->signers;
}

int svd_view_add(svd_view *v, const svd_verdict *verdict)
{
	const char *id = verdict ? svd_verdict_id(verdict) : NULL;
	char *why = NULL, *signers = NULL;
	size_t i, len = 0, n;
	int ok, error;

	if (!id)
		return svd_error_set(SVD_EINVALID, "a verdict that names no item");
	ok = svd_verdict_ok(verdict);
	n = svd_verdict_sig_count(verdict);
	if (!(signers = calloc(n * (SVD_KEYID_HEX_LEN + 1) + 1, 1)))
		return svd_error_set(SVD_ERROR, "out of memory");
	for (i = 0; i < n; i++) {
		const char *keyid;
		svd_sig_status st;
		svd_verdict_sig(verdict, i, &keyid, &st);
		if (st != SVD_SIG_VALID || strlen(keyid) != SVD_KEYID_HEX_LEN)
			continue;
		if (len)
			signers[len++] = ' ';
		memcpy(signers + len, keyid, SVD_KEYID_HEX_LEN);
		len += SVD_KEYID_HEX_LEN;
	}
	if (!ok && !(why = svd_verdict_summary(verdict))) {
		free(signers);
		return svd_error_set(SVD_ERROR, "out of memory");
	}
	error = svd_view_add_item(v, id, svd_verdict_manifest(verdict), ok, why, signers);
	free(why);
	free(signers);
	return error;
}

/* The one order: newest date first, then newest "created", then id; no manifest last. */
static int cmp_order(const void *x, const void *y, void *arg)
{
	const svd_view *sorting = arg;
	const vitem *a = &sorting->v[*(const uint32_t *)x], *b = &sorting->v[*(const uint32_t *)y];
	int d;

	if ((d = strcmp(b->date, a->date)) != 0)
		return d;
	if ((d = strcmp(b->created, a->created)) != 0)
		return d;
	return strcmp(a->id, b->id);
}

/* By id; of two items with one id, the one added first. */
static int cmp_id(const void *x, const void *y, void *arg)
{
	const svd_view *sorting = arg;
	uint32_t i = *(const uint32_t *)x, j = *(const uint32_t *)y;
	int d = strcmp(sorting->v[i].id, sorting->v[j].id);

	return d ? d : (i < j ? -1 : i > j);
}

static int cmp_sup(const void *x, const void *y, void *arg)
{
	const svd_view *sorting = arg;
	const uint32_t *a = x, *b = y;

	if (a[0] != b[0])
		return a[0] < b[0] ? -1 : 1;
	return sorting->v[a[1]].row < sorting->v[b[1]].row ? -1 : 1;
}

/* By the id retracted, then in the one order. */
static int cmp_ret(const void *x, const void *y, void *arg)
{
	const svd_view *sorting = arg;
	const vitem *a = &sorting->v[*(const uint32_t *)x], *b = &sorting->v[*(const uint32_t *)y];
	int d = strcmp(a->ret, b->ret);

	return d ? d : (a->order < b->order ? -1 : a->order > b->order);
}

/* The index of the item with this id, or -1 (after the id table is made). */
static long find(const svd_view *v, const char *id)
{
	size_t lo = 0, hi = v->nall;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int d = strcmp(v->v[v->byid[mid]].id, id);
		if (d == 0)
			return v->byid[mid];
		if (d < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

static const char *id_or_null(const svd_view *v, uint32_t index_plus_one)
{
	return index_plus_one ? v->v[index_plus_one - 1].id : NULL;
}

int svd_view_finish(svd_view *v)
{
	size_t i, k;

	if (v->finished)
		return 0;
	if (!(v->byid = malloc((v->n + 1) * sizeof(*v->byid))) ||
	    !(v->all = malloc((v->n + 1) * sizeof(*v->all))) ||
	    !(v->rows = malloc((v->n + 1) * sizeof(*v->rows))) ||
	    !(v->sup = malloc((v->n + 1) * sizeof(*v->sup))) ||
	    !(v->rets = malloc((v->n + 1) * sizeof(*v->rets))))
		return svd_error_set(SVD_ERROR, "out of memory");

	/* ids: the first of each id counts, later copies are left out */
	for (i = 0; i < v->n; i++)
		v->byid[i] = (uint32_t)i;
	qsort_r(v->byid, v->n, sizeof(*v->byid), cmp_id, v);
	for (i = k = 0; i < v->n; i++) {
		if (k && !strcmp(v->v[v->byid[k - 1]].id, v->v[v->byid[i]].id)) {
			v->v[v->byid[i]].dup = 1;
			continue;
		}
		v->byid[k++] = v->byid[i];
	}
	v->nall = k;

	/* the one order, over every item */
	for (i = k = 0; i < v->n; i++)
		if (!v->v[i].dup)
			v->all[k++] = (uint32_t)i;
	qsort_r(v->all, v->nall, sizeof(*v->all), cmp_order, v);
	for (i = 0; i < v->nall; i++)
		v->v[v->all[i]].order = (uint32_t)i;

	/*
	 * retractions, newest first, so that the first to name an item is its
	 * retracted_by; kept by the id they name, whether the view holds it or not
	 */
	for (i = 0; i < v->nall; i++) {
		const vitem *r = &v->v[v->all[i]];
		long t;
		if (!r->ok || r->kind != SVD_KIND_RETRACTION || !r->ret[0])
			continue;
		v->rets[v->nrets++] = v->all[i];
		if ((t = find(v, r->ret)) >= 0 && !v->v[t].retracted_by)
			v->v[t].retracted_by = v->all[i] + 1;
	}
	qsort_r(v->rets, v->nrets, sizeof(*v->rets), cmp_ret, v);

	/* shown: accepted and not withdrawn */
	for (i = 0; i < v->nall; i++) {
		vitem *it = &v->v[v->all[i]];
		if (it->ok && !it->retracted_by) {
			it->row = (uint32_t)v->nrows;
			v->rows[v->nrows++] = v->all[i];
		}
	}

	/* supersession: (old, new) for every shown new item, newest new first */
	for (i = 0; i < v->nrows; i++) {
		const vitem *s = &v->v[v->rows[i]];
		long t;
		if (!s->sup[0] || (t = find(v, s->sup)) < 0)
			continue;
		v->sup[v->nsup][0] = (uint32_t)t;
		v->sup[v->nsup][1] = v->rows[i];
		v->nsup++;
	}
	qsort_r(v->sup, v->nsup, sizeof(*v->sup), cmp_sup, v);
	for (i = v->nsup; i-- > 0;)
		v->v[v->sup[i][0]].superseded_by = v->sup[i][1] + 1;

	/* the public records, now that nothing moves */
	for (i = 0; i < v->n; i++) {
		vitem *it = &v->v[i];
		svd_view_item *p = &it->pub;
		p->id = it->id;
		p->state = !it->ok             ? SVD_VIEW_REFUSED
		           : it->retracted_by ? SVD_VIEW_RETRACTED
		                              : SVD_VIEW_SHOWN;
		p->why = it->ok ? NULL : (it->why ? it->why : "it does not pass the gate");
		p->manifest = it->m;
		p->kind = it->kind;
		p->title = it->title;
		p->lang = it->lang;
		p->date = it->date;
		p->created = it->created;
		p->supersedes = it->sup[0] ? it->sup : NULL;
		p->retracts = it->ret[0] ? it->ret : NULL;
		p->retracted_by = id_or_null(v, it->retracted_by);
		p->superseded_by = id_or_null(v, it->superseded_by);
		p->signers = it->signers;
	}
	v->finished = 1;
	return 0;
}

const char *svd_view_commit(const svd_view *v)
{
	return v->commit;
}

size_t svd_view_count(const svd_view *v)
{
	return v->finished ? v->nrows : 0;
}

const svd_view_item *svd_view_row(const svd_view *v, size_t row)
{
	return v->finished && row < v->nrows ? &v->v[v->rows[row]].pub : NULL;
}

size_t svd_view_size(const svd_view *v)
{
	return v->finished ? v->nall : 0;
}

const svd_view_item *svd_view_at(const svd_view *v, size_t i)
{
	return v->finished && i < v->nall ? &v->v[v->all[i]].pub : NULL;
}

const svd_view_item *svd_view_find(const svd_view *v, const char *id)
{
	long t;

	if (!v->finished || !id || (t = find(v, id)) < 0)
		return NULL;
	return &v->v[t].pub;
}

int svd_view_shows(const svd_view *v, const char *id)
{
	const svd_view_item *it = svd_view_find(v, id);

	return it && it->state == SVD_VIEW_SHOWN;
}

/* The first (old, new) pair of the item at index t, or nsup. */
static size_t sup_first(const svd_view *v, long t)
{
	size_t lo = 0, hi = v->nsup;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (v->sup[mid][0] < (uint32_t)t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

size_t svd_view_superseder_count(const svd_view *v, const char *id)
{
	long t;
	size_t i, n = 0;

	if (!v->finished || !id || (t = find(v, id)) < 0)
		return 0;
	for (i = sup_first(v, t); i < v->nsup && v->sup[i][0] == (uint32_t)t; i++)
		n++;
	return n;
}

const svd_view_item *svd_view_superseder(const svd_view *v, const char *id, size_t k)
{
	long t;
	size_t i;

	if (!v->finished || !id || (t = find(v, id)) < 0)
		return NULL;
	i = sup_first(v, t) + k;
	if (i >= v->nsup || v->sup[i][0] != (uint32_t)t)
		return NULL;
	return &v->v[v->sup[i][1]].pub;
}

uint32_t svd_view_row_of(const svd_view *v, const char *id)
{
	long t;

	if (!v->finished || !id || (t = find(v, id)) < 0)
		return HIDDEN;
	return v->v[t].row;
}

const svd_view_item *svd_view_withdrawn(const svd_view *v, const char *id)
{
	size_t lo = 0, hi;

	if (!v->finished || !id)
		return NULL;
	hi = v->nrets;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(v->v[v->rets[mid]].ret, id) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < v->nrets && !strcmp(v->v[v->rets[lo]].ret, id))
		return &v->v[v->rets[lo]].pub;
	return NULL;
}

const char *svd_view_state_name(svd_view_state state)
{
	switch (state) {
	case SVD_VIEW_SHOWN:
		return "shown";
	case SVD_VIEW_RETRACTED:
		return "retracted";
	case SVD_VIEW_REFUSED:
		return "refused";
	}
	return "?";
}
