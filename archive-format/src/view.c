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

#define NONE UINT32_MAX /* an arena offset for no string */

/* One item, compact: its strings live in the view's arena (offsets, NONE for none). */
typedef struct vitem {
	char id[SVD_ID_HEX_LEN + 1];
	char date[11], created[21];
	uint8_t kind, ok, dup;
	uint32_t sup, ret; /* the ids it names, or NONE */
	uint32_t title, lang, why, signers;
	uint32_t retracted_by, superseded_by; /* index + 1; 0 none */
	uint32_t row, order;                  /* row: HIDDEN when not shown */
	svd_manifest *m;                      /* SVD_VIEW_MANIFESTS */
} vitem;

struct svd_view {
	vitem *v;
	size_t n, cap;
	char *arena; /* the items' strings, NUL-terminated */
	size_t alen, acap;
	svd_view_item *pub; /* the public records, by item index (finish) */
	unsigned flags;
	uint32_t *byid; /* indexes, by id (finish) */
	uint32_t *all;  /* indexes, in the one order, duplicates left out */
	size_t nall;
	uint32_t *rows; /* indexes of shown items, in the one order */
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
	for (i = 0; i < v->n; i++)
		svd_manifest_free(v->v[i].m);
	free(v->v);
	free(v->arena);
	free(v->pub);
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

/* A string into the arena: its offset, or NONE for NULL. */
static int stash(svd_view *v, uint32_t *out, const char *s)
{
	size_t n;
	int error;

	*out = NONE;
	if (!s)
		return 0;
	n = strlen(s) + 1;
	if (v->alen + n >= NONE)
		return svd_error_set(SVD_ETOOBIG, "too much text for one view");
	if ((error = svd_grow(&v->arena, &v->acap, v->alen + n, 1, 1 << 16)) < 0)
		return error;
	memcpy(v->arena + v->alen, s, n);
	*out = (uint32_t)v->alen;
	v->alen += n;
	return 0;
}

/* An id the manifest names, into the arena; NONE when absent or malformed. */
static int stash_id(svd_view *v, uint32_t *out, const char *id)
{
	*out = NONE;
	return id && svd_id_valid(id) ? stash(v, out, id) : 0;
}

static const char *str(const svd_view *v, uint32_t off)
{
	return off == NONE ? NULL : v->arena + off;
}

int svd_view_add_fields(svd_view *v, const svd_view_fields *f)
{
	const svd_manifest *m = f->m;
	const char *published, *created;
	size_t mark = v->alen;
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
	it->ok = f->ok != 0;
	it->row = HIDDEN;
	if (m) {
		published = svd_manifest_get(m, "published");
		created = svd_manifest_get(m, "created");
		snprintf(it->created, sizeof(it->created), "%s", created ? created : "");
		snprintf(it->date, sizeof(it->date), "%.10s", published ? published : it->created);
		it->kind = (uint8_t)svd_manifest_kind(m);
		if ((error = stash_id(v, &it->sup, svd_manifest_get(m, "supersedes"))) < 0 ||
		    (error = stash_id(v, &it->ret, svd_manifest_get(m, "retracts"))) < 0 ||
		    (error = stash(v, &it->title, svd_manifest_get(m, "title"))) < 0 ||
		    (error = stash(v, &it->lang, svd_manifest_get(m, "lang"))) < 0)
			goto fail;
	} else {
		snprintf(it->created, sizeof(it->created), "%s", f->created ? f->created : "");
		snprintf(it->date, sizeof(it->date), "%s", f->date ? f->date : "");
		it->kind = (uint8_t)f->kind;
		if ((error = stash_id(v, &it->sup, f->supersedes)) < 0 ||
		    (error = stash_id(v, &it->ret, f->retracts)) < 0 ||
		    (error = stash(v, &it->title, f->title)) < 0 ||
		    (error = stash(v, &it->lang, f->lang)) < 0)
			goto fail;
	}
	if ((error = stash(v, &it->signers, f->signers)) < 0 ||
	    (error = stash(v, &it->why, f->why)) < 0)
		goto fail;
	if (m && (v->flags & SVD_VIEW_MANIFESTS)) {
		size_t len;
		const char *bytes = svd_manifest_bytes(m, &len);
		if ((error = svd_manifest_parse(&it->m, bytes, len)) < 0)
			goto fail;
	}
	v->n++;
	return 0;
fail:
	v->alen = mark; /* the strings of an item that was not added */
	return error;
}

int svd_view_add_item(svd_view *v, const char *id, const svd_manifest *m, int ok, const char *why,
                      const char *signers)
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
	int d = strcmp(sorting->arena + a->ret, sorting->arena + b->ret);

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
	for (i = 1; i < v->n && strcmp(v->v[i - 1].id, v->v[i].id) < 0; i++)
		;
	if (i < v->n) /* an archive's items come in id order already */
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
		if (!r->ok || r->kind != SVD_KIND_RETRACTION || r->ret == NONE)
			continue;
		v->rets[v->nrets++] = v->all[i];
		if ((t = find(v, str(v, r->ret))) >= 0 && !v->v[t].retracted_by)
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
		if (s->sup == NONE || (t = find(v, str(v, s->sup))) < 0)
			continue;
		v->sup[v->nsup][0] = (uint32_t)t;
		v->sup[v->nsup][1] = v->rows[i];
		v->nsup++;
	}
	qsort_r(v->sup, v->nsup, sizeof(*v->sup), cmp_sup, v);
	for (i = v->nsup; i-- > 0;)
		v->v[v->sup[i][0]].superseded_by = v->sup[i][1] + 1;

	/* the public records, now that nothing moves */
	if (!(v->pub = calloc(v->n + 1, sizeof(*v->pub))))
		return svd_error_set(SVD_ERROR, "out of memory");
	for (i = 0; i < v->n; i++) {
		vitem *it = &v->v[i];
		svd_view_item *p = &v->pub[i];
		p->id = it->id;
		p->state = !it->ok            ? SVD_VIEW_REFUSED
		           : it->retracted_by ? SVD_VIEW_RETRACTED
		                              : SVD_VIEW_SHOWN;
		p->why = it->ok ? NULL
		                : (it->why != NONE ? str(v, it->why) : "it does not pass the gate");
		p->manifest = it->m;
		p->kind = (svd_kind)it->kind;
		p->title = it->title != NONE ? str(v, it->title) : "";
		p->lang = it->lang != NONE ? str(v, it->lang) : "";
		p->date = it->date;
		p->created = it->created;
		p->supersedes = str(v, it->sup);
		p->retracts = str(v, it->ret);
		p->retracted_by = id_or_null(v, it->retracted_by);
		p->superseded_by = id_or_null(v, it->superseded_by);
		p->signers = it->signers != NONE ? str(v, it->signers) : "";
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
	return v->finished && row < v->nrows ? &v->pub[v->rows[row]] : NULL;
}

size_t svd_view_size(const svd_view *v)
{
	return v->finished ? v->nall : 0;
}

const svd_view_item *svd_view_at(const svd_view *v, size_t i)
{
	return v->finished && i < v->nall ? &v->pub[v->all[i]] : NULL;
}

const svd_view_item *svd_view_find(const svd_view *v, const char *id)
{
	long t;

	if (!v->finished || !id || (t = find(v, id)) < 0)
		return NULL;
	return &v->pub[t];
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
	return &v->pub[v->sup[i][1]];
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
		if (strcmp(v->arena + v->v[v->rets[mid]].ret, id) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < v->nrets && !strcmp(v->arena + v->v[v->rets[lo]].ret, id))
		return &v->pub[v->rets[lo]];
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
