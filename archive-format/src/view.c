/*
 * view.c: the rules of what is shown (view.h) over a set of gate verdicts —
 * acceptance, retraction, supersession and the one order. Pure: it reads
 * no store and no file; view_store.c feeds it an archive's items, the
 * catalog feeds it a library's.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "samvydav/view.h"
#include "util.h"
#include "view_internal.h"

#define HIDDEN UINT32_MAX

#define NONE UINT32_MAX /* an arena offset for no string */

#define SVD_ID_LEN 32 /* bytes of an item id */

enum {
	B_TREE = 1,        /* tree is set (svd_view_set_tree) */
	B_ODD_DATE = 2,    /* date is text in the arena */
	B_ODD_CREATED = 4, /* created likewise */
};

/*
 * One item, compact: its id in bytes, its strings in the view's arena
 * (offsets, NONE for none). The public records (svd_view_item) are made
 * from it when asked for, into the caller's struct: a view of a million
 * items holds a million of these, not of those as well.
 */
typedef struct vitem {
	uint8_t id[SVD_ID_LEN];
	uint8_t tree[20]; /* the git id of its folder, with B_TREE */
	uint8_t kind, ok, dup;
	uint8_t rules;   /* vsigs known: the trust rules apply (else ok is taken as it is) */
	uint8_t sound;   /* with rules: passes the gate but for "trust" */
	uint8_t state;   /* svd_view_state, worked out at finish; after it, the public one */
	uint8_t outside; /* a revocation's svd_outside */
	uint8_t bits;    /* B_* */
	/*
	 * "published" as YYYYMMDD + 1 (0: undated), "created" as YYYYMMDD + 1
	 * and HHMMSS (0 and 0: none); with B_ODD_DATE or B_ODD_CREATED, text
	 * of another form, kept as it was in the arena (date and cday its offset).
	 */
	uint32_t date, cday, ctime;
	uint32_t title, lang, signers;
	uint32_t vsigs; /* "KEYID:hex ..." of the signatures that verify, or NONE */
	uint32_t region, source, authors, tags; /* for lists (svd_view_item), or NONE */
	uint32_t rare;                          /* its vrare + 1, or 0: all none */
	uint32_t row, order;                    /* row: HIDDEN when not shown */
} vitem;

/*
 * What few items have: a retraction's or correction's target, a reason,
 * a note, a statement's key and ids, who withdrew or superseded it. Kept
 * apart (vitem.rare), so that a million plain items do not carry 32 bytes
 * each of nothing.
 */
typedef struct vrare {
	uint32_t sup, ret; /* the ids it names, or NONE */
	uint32_t why, note;
	uint32_t skey; /* a certificate's or revocation's key, "KEYID:hex", or NONE */
	uint32_t cp;   /* a checkpoint's ids, space-separated, or NONE */
	uint32_t retracted_by, superseded_by; /* index + 1; 0 none */
} vrare;

static const vrare no_rare = {NONE, NONE, NONE, NONE, NONE, NONE, 0, 0};

#define RARE(v, it) ((it)->rare ? &(v)->rare[(it)->rare - 1] : &no_rare)

struct svd_view {
	vitem *v;
	size_t n, cap;
	char *arena; /* the items' strings, NUL-terminated */
	size_t alen, acap;
	/*
	 * Strings many items share (languages, signers, the keys that signed,
	 * reasons and notes), each once in the arena: their offsets by hash,
	 * NONE for empty. A million items signed by a few editors hold a few
	 * such strings, not a million copies.
	 */
	uint32_t *shared;
	size_t nshared, capshared;
	vrare *rare; /* what few items have (vitem.rare) */
	size_t nrare, caprare;
	svd_manifest **m; /* SVD_VIEW_MANIFESTS: the items' manifests, by index */
	size_t mcap;
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
	char trust_date[21];
	const svd_trust *trust; /* until finish */
	struct rules *rl;       /* during finish */
	struct rkey *cert;      /* the keys certificates in effect certify (finish) */
	size_t ncert;
	int finished;
};

static void rules_free(struct rules *r);

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
	for (i = 0; v->m && i < v->n; i++)
		svd_manifest_free(v->m[i]);
	free(v->m);
	free(v->rare);
	free(v->v);
	free(v->arena);
	free(v->shared);
	free(v->byid);
	free(v->all);
	free(v->rows);
	free(v->sup);
	free(v->rets);
	rules_free(v->rl);
	free(v->cert);
	free(v);
}

void svd_view_set_trust(svd_view *v, const svd_trust *trust)
{
	v->trust = trust;
}

int svd_view_reserve(svd_view *v, size_t n)
{
	vitem *p;

	if (n <= v->cap || v->finished)
		return 0;
	if (n > SIZE_MAX / sizeof(*v->v) || !(p = realloc(v->v, n * sizeof(*v->v))))
		return svd_error_set(SVD_ERROR, "out of memory");
	v->v = p;
	v->cap = n;
	return 0;
}

void svd_view_set_tree(svd_view *v, const uint8_t tree[20])
{
	if (v->n > 0 && !v->finished) {
		memcpy(v->v[v->n - 1].tree, tree, 20);
		v->v[v->n - 1].bits |= B_TREE;
	}
}

const uint8_t *svd_view_tree(const svd_view *v, size_t k)
{
	const vitem *it;

	if (!v->finished || k >= v->nall)
		return NULL;
	it = &v->v[v->byid[k]];
	return it->bits & B_TREE ? it->tree : NULL;
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

static uint32_t text_hash(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

/* A string many items may share, into the arena once: its offset, or NONE for NULL. */
static int stash_shared(svd_view *v, uint32_t *out, const char *s)
{
	size_t i, mask;
	int error;

	*out = NONE;
	if (!s)
		return 0;
	if (2 * (v->nshared + 1) > v->capshared) {
		size_t cap = v->capshared ? v->capshared * 2 : 256, k;
		uint32_t *t = malloc(cap * sizeof(*t));
		if (!t)
			return svd_error_set(SVD_ERROR, "out of memory");
		memset(t, 0xff, cap * sizeof(*t));
		for (k = 0; k < v->capshared; k++) {
			if (v->shared[k] == NONE)
				continue;
			for (i = text_hash(v->arena + v->shared[k]) & (cap - 1); t[i] != NONE;
			     i = (i + 1) & (cap - 1))
				;
			t[i] = v->shared[k];
		}
		free(v->shared);
		v->shared = t;
		v->capshared = cap;
	}
	mask = v->capshared - 1;
	for (i = text_hash(s) & mask; v->shared[i] != NONE; i = (i + 1) & mask) {
		if (!strcmp(v->arena + v->shared[i], s)) {
			*out = v->shared[i];
			return 0;
		}
	}
	if ((error = stash(v, out, s)) < 0)
		return error;
	v->shared[i] = *out;
	v->nshared++;
	return 0;
}

/* A manifest's authors or tags, each followed by SVD_VIEW_LIST_END, shared into the arena. */
static int stash_list(svd_view *v, uint32_t *out, const svd_manifest *m, int authors)
{
	size_t n = authors ? svd_manifest_author_count(m) : svd_manifest_tag_count(m), i, len = 0;
	char *joined;
	int error;

	for (i = 0; i < n; i++)
		len += strlen(authors ? svd_manifest_author(m, i) : svd_manifest_tag(m, i)) + 1;
	if (!(joined = malloc(len + 1)))
		return svd_error_set(SVD_ERROR, "out of memory");
	for (i = 0, len = 0; i < n; i++) {
		const char *s = authors ? svd_manifest_author(m, i) : svd_manifest_tag(m, i);
		size_t k = strlen(s);
		memcpy(joined + len, s, k);
		joined[len + k] = SVD_VIEW_LIST_END;
		len += k + 1;
	}
	joined[len] = '\0';
	error = stash_shared(v, out, joined);
	free(joined);
	return error;
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

/*
 * Set one field of an item's vrare (at: its offsetof) to x; an item with
 * none gets one only for a value other than none.
 */
static int set_rare(svd_view *v, vitem *it, size_t at, uint32_t x)
{
	int error;

	if (!it->rare) {
		if (!memcmp((const char *)&no_rare + at, &x, sizeof(x)))
			return 0;
		if (v->nrare >= HIDDEN - 1)
			return svd_error_set(SVD_ETOOBIG, "too many items for one view");
		if ((error = svd_grow(&v->rare, &v->caprare, v->nrare + 1, sizeof(*v->rare), 64)) <
		    0)
			return error;
		v->rare[v->nrare++] = no_rare;
		it->rare = (uint32_t)v->nrare;
	}
	memcpy((char *)&v->rare[it->rare - 1] + at, &x, sizeof(x));
	return 0;
}

#define SET_RARE(v, it, field, x) set_rare((v), (it), offsetof(vrare, field), (x))

/* n digits of s as a number, or -1 when one is not a digit. */
static long digits(const char *s, size_t n)
{
	long x = 0;

	for (; n > 0; n--, s++) {
		if (*s < '0' || *s > '9')
			return -1;
		x = x * 10 + (*s - '0');
	}
	return x;
}

/* YYYY-MM-DD as YYYYMMDD + 1, or 0 when s is not of that form. */
static uint32_t pack_day(const char *s)
{
	long y, m, d;

	if (strnlen(s, 10) < 10 || (y = digits(s, 4)) < 0 || s[4] != '-' ||
	    (m = digits(s + 5, 2)) < 0 || s[7] != '-' || (d = digits(s + 8, 2)) < 0)
		return 0;
	return (uint32_t)(y * 10000 + m * 100 + d + 1);
}

/*
 * An item's dates, kept in 12 bytes: "published" (at most 10 characters)
 * and "created" (at most 20) of the one form the manifest allows, as
 * numbers that sort as the text does; text of any other form as it is.
 */
static int pack_dates(svd_view *v, vitem *it, const char *date, const char *created)
{
	long hh, mm, ss;
	int error;

	it->date = it->cday = it->ctime = 0;
	if (date[0] && (strlen(date) != 10 || !(it->date = pack_day(date)))) {
		if ((error = stash(v, &it->date, date)) < 0)
			return error;
		it->bits |= B_ODD_DATE;
	}
	if (!created[0])
		return 0;
	if (strlen(created) == 20 && created[10] == 'T' && created[13] == ':' &&
	    created[16] == ':' && created[19] == 'Z' && (hh = digits(created + 11, 2)) >= 0 &&
	    (mm = digits(created + 14, 2)) >= 0 && (ss = digits(created + 17, 2)) >= 0 &&
	    (it->cday = pack_day(created)) != 0) {
		it->ctime = (uint32_t)(hh * 10000 + mm * 100 + ss);
		return 0;
	}
	if ((error = stash(v, &it->cday, created)) < 0)
		return error;
	it->bits |= B_ODD_CREATED;
	return 0;
}

/* An item's "published" as text: in the arena, "", or written into buf (11 bytes). */
static const char *date_text(const svd_view *v, const vitem *it, char *buf)
{
	uint32_t x = it->date - 1;

	if (it->bits & B_ODD_DATE)
		return v->arena + it->date;
	if (it->date == 0)
		return "";
	snprintf(buf, 11, "%04u-%02u-%02u", (unsigned)(x / 10000 % 10000),
	         (unsigned)(x / 100 % 100), (unsigned)(x % 100));
	return buf;
}

/* An item's "created" as text, likewise (buf of 21 bytes). */
static const char *created_text(const svd_view *v, const vitem *it, char *buf)
{
	uint32_t x = it->cday - 1, t = it->ctime;

	if (it->bits & B_ODD_CREATED)
		return v->arena + it->cday;
	if (it->cday == 0)
		return "";
	snprintf(buf, 21, "%04u-%02u-%02uT%02u:%02u:%02uZ", (unsigned)(x / 10000 % 10000),
	         (unsigned)(x / 100 % 100), (unsigned)(x % 100), (unsigned)(t / 10000 % 100),
	         (unsigned)(t / 100 % 100), (unsigned)(t % 100));
	return buf;
}

/* "KEYID:<64 hex>" of a key, into out (16 + 1 + 64 + 1 bytes). */
static void key_text(char *out, const svd_pubkey *pk)
{
	memcpy(out, svd_pubkey_id(pk), SVD_KEYID_HEX_LEN);
	out[SVD_KEYID_HEX_LEN] = ':';
	svd_hex_encode(out + SVD_KEYID_HEX_LEN + 1, svd_pubkey_bytes(pk), 32);
}

/* What the rules need of a statement: its key, what a revocation leaves, a checkpoint's ids. */
static int stash_statement(svd_view *v, vitem *it, const svd_manifest *m)
{
	const svd_pubkey *key = svd_manifest_key(m);
	size_t i, n = svd_manifest_item_count(m);
	char text[SVD_KEYID_HEX_LEN + 66], *ids;
	uint32_t x;
	int error = 0;

	if (key) {
		key_text(text, key);
		if ((error = stash(v, &x, text)) < 0 || (error = SET_RARE(v, it, skey, x)) < 0)
			return error;
	}
	it->outside = (uint8_t)svd_manifest_outside(m);
	if (n == 0)
		return 0;
	if (!(ids = malloc(n * (SVD_ID_HEX_LEN + 1) + 1)))
		return svd_error_set(SVD_ERROR, "out of memory");
	for (i = 0; i < n; i++) {
		memcpy(ids + i * (SVD_ID_HEX_LEN + 1), svd_manifest_item_at(m, i), SVD_ID_HEX_LEN);
		ids[i * (SVD_ID_HEX_LEN + 1) + SVD_ID_HEX_LEN] = i + 1 < n ? ' ' : '\0';
	}
	if ((error = stash(v, &x, ids)) == 0)
		error = SET_RARE(v, it, cp, x);
	free(ids);
	return error;
}

int svd_view_add_fields(svd_view *v, const svd_view_fields *f)
{
	const svd_manifest *m = f->m;
	const char *published, *created;
	char dtext[11], ctext[21];
	uint32_t sup, ret, why;
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
	svd_hex_decode(it->id, SVD_ID_LEN, f->id);
	it->ok = f->ok != 0;
	it->row = HIDDEN;
	if (m) {
		published = svd_manifest_get(m, "published");
		created = svd_manifest_get(m, "created");
		snprintf(ctext, sizeof(ctext), "%s", created ? created : "");
		snprintf(dtext, sizeof(dtext), "%.10s", published ? published : "");
		it->kind = (uint8_t)svd_manifest_kind(m);
		if ((error = stash_id(v, &sup, svd_manifest_get(m, "supersedes"))) < 0 ||
		    (error = stash_id(v, &ret, svd_manifest_get(m, "retracts"))) < 0 ||
		    (error = stash(v, &it->title, svd_manifest_get(m, "title"))) < 0 ||
		    (error = stash_shared(v, &it->lang, svd_manifest_get(m, "lang"))) < 0 ||
		    (error = stash_shared(v, &it->region, svd_manifest_get(m, "region"))) < 0 ||
		    (error = stash(v, &it->source, svd_manifest_get(m, "source"))) < 0 ||
		    (error = stash_list(v, &it->authors, m, 1)) < 0 ||
		    (error = stash_list(v, &it->tags, m, 0)) < 0)
			goto fail;
	} else {
		snprintf(ctext, sizeof(ctext), "%s", f->created ? f->created : "");
		snprintf(dtext, sizeof(dtext), "%s", f->date ? f->date : "");
		it->kind = (uint8_t)f->kind;
		if ((error = stash_id(v, &sup, f->supersedes)) < 0 ||
		    (error = stash_id(v, &ret, f->retracts)) < 0 ||
		    (error = stash(v, &it->title, f->title)) < 0 ||
		    (error = stash_shared(v, &it->lang, f->lang)) < 0 ||
		    (error = stash_shared(v, &it->region, f->region)) < 0 ||
		    (error = stash(v, &it->source, f->source)) < 0 ||
		    (error = stash_shared(v, &it->authors, f->authors)) < 0 ||
		    (error = stash_shared(v, &it->tags, f->tags)) < 0)
			goto fail;
	}
	if ((error = pack_dates(v, it, dtext, ctext)) < 0)
		goto fail;
	it->vsigs = NONE;
	if (f->vsigs) {
		it->rules = 1;
		it->sound = f->sound != 0;
	}
	if ((error = stash_shared(v, &it->signers, f->signers)) < 0 ||
	    (error = stash_shared(v, &why, f->why)) < 0 ||
	    (error = stash_shared(v, &it->vsigs, f->vsigs)) < 0 ||
	    (error = SET_RARE(v, it, sup, sup)) < 0 || (error = SET_RARE(v, it, ret, ret)) < 0 ||
	    (error = SET_RARE(v, it, why, why)) < 0)
		goto fail;
	if (m && (error = stash_statement(v, it, m)) < 0)
		goto fail;
	if (v->flags & SVD_VIEW_MANIFESTS) {
		size_t len;
		const char *bytes = m ? svd_manifest_bytes(m, &len) : NULL;
		if ((error = svd_grow(&v->m, &v->mcap, v->n + 1, sizeof(*v->m), 256)) < 0)
			goto fail;
		v->m[v->n] = NULL;
		if (m && (error = svd_manifest_parse(&v->m[v->n], bytes, len)) < 0)
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
	out->region = it->region;
	out->source = it->source;
	out->authors = it->authors;
	out->tags = it->tags;
}

void svd_view_item_rules(svd_view_fields *out, const svd_view *v, size_t k)
{
	const vitem *x = &v->v[v->byid[k]];

	out->ok = x->rules ? x->sound : out->ok;
	out->sound = x->sound;
	out->vsigs = x->rules ? str(v, x->vsigs) : NULL;
}

int svd_view_add(svd_view *v, const svd_verdict *verdict)
{
	const char *id = verdict ? svd_verdict_id(verdict) : NULL;
	char *why = NULL, *signers = NULL, *vsigs = NULL;
	size_t i, len = 0, vlen = 0, n;
	svd_view_fields f = {0};
	int error;

	if (!id)
		return svd_error_set(SVD_EINVALID, "a verdict that names no item");
	n = svd_verdict_sig_count(verdict);
	if (!(signers = calloc(n * (SVD_KEYID_HEX_LEN + 1) + 1, 1)) ||
	    !(vsigs = calloc(n * (SVD_KEYID_HEX_LEN + 66) + 1, 1))) {
		free(signers);
		return svd_error_set(SVD_ERROR, "out of memory");
	}
	for (i = 0; i < n; i++) {
		const char *keyid;
		const uint8_t *pk = svd_verdict_sig_pk(verdict, i);
		svd_sig_status st;
		svd_verdict_sig(verdict, i, &keyid, &st);
		if (!pk || strlen(keyid) != SVD_KEYID_HEX_LEN)
			continue;
		if (vlen)
			vsigs[vlen++] = ' ';
		memcpy(vsigs + vlen, keyid, SVD_KEYID_HEX_LEN);
		vsigs[vlen + SVD_KEYID_HEX_LEN] = ':';
		svd_hex_encode(vsigs + vlen + SVD_KEYID_HEX_LEN + 1, pk, 32);
		vlen += SVD_KEYID_HEX_LEN + 65;
		if (st != SVD_SIG_VALID)
			continue;
		if (len)
			signers[len++] = ' ';
		memcpy(signers + len, keyid, SVD_KEYID_HEX_LEN);
		len += SVD_KEYID_HEX_LEN;
	}
	f.id = id;
	f.m = svd_verdict_manifest(verdict);
	f.ok = svd_verdict_ok(verdict);
	f.signers = signers;
	f.vsigs = vsigs;
	f.sound = svd_verdict_sound(verdict);
	if (!f.ok && !(why = svd_verdict_summary(verdict)))
		error = svd_error_set(SVD_ERROR, "out of memory");
	else
		f.why = why, error = svd_view_add_fields(v, &f);
	free(why);
	free(signers);
	free(vsigs);
	return error;
}

/*
 * The one order: newest date first, then newest "created", then id. An
 * undated item's date is "", below every date, so it comes after every
 * dated one; one without a manifest (created "" too) after those.
 */
static int cmp_order(const void *x, const void *y, void *arg)
{
	const svd_view *sorting = arg;
	const vitem *a = &sorting->v[*(const uint32_t *)x], *b = &sorting->v[*(const uint32_t *)y];
	char at[21], bt[21];
	int d;

	if (!((a->bits | b->bits) & (B_ODD_DATE | B_ODD_CREATED))) {
		if (a->date != b->date)
			return a->date < b->date ? 1 : -1;
		if (a->cday != b->cday)
			return a->cday < b->cday ? 1 : -1;
		if (a->ctime != b->ctime)
			return a->ctime < b->ctime ? 1 : -1;
	} else {
		if ((d = strcmp(date_text(sorting, b, bt), date_text(sorting, a, at))) != 0)
			return d;
		if ((d = strcmp(created_text(sorting, b, bt), created_text(sorting, a, at))) != 0)
			return d;
	}
	return memcmp(a->id, b->id, SVD_ID_LEN);
}

/* By id; of two items with one id, the one added first. */
static int cmp_id(const void *x, const void *y, void *arg)
{
	const svd_view *sorting = arg;
	uint32_t i = *(const uint32_t *)x, j = *(const uint32_t *)y;
	int d = memcmp(sorting->v[i].id, sorting->v[j].id, SVD_ID_LEN);

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
	int d =
	    strcmp(sorting->arena + RARE(sorting, a)->ret, sorting->arena + RARE(sorting, b)->ret);

	return d ? d : (a->order < b->order ? -1 : a->order > b->order);
}

/* The place in byid of the item with this id (in bytes), or -1. */
static long find_bin(const svd_view *v, const uint8_t id[SVD_ID_LEN])
{
	size_t lo = 0, hi = v->nall;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int d = memcmp(v->v[v->byid[mid]].id, id, SVD_ID_LEN);
		if (d == 0)
			return (long)mid;
		if (d < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

/* The index of the item with this id (64 hex digits), or -1 (after the id table is made). */
static long find(const svd_view *v, const char *id)
{
	uint8_t b[SVD_ID_LEN];
	long k;

	if (!svd_id_valid(id) || svd_hex_decode(b, SVD_ID_LEN, id) < 0)
		return -1;
	return (k = find_bin(v, b)) < 0 ? -1 : (long)v->byid[k];
}

/*
 * The trust rules (SPEC.md 7.3), applied at finish to the items added with
 * their verified signatures. Statements are few; the tables below are
 * searched in a line.
 */
typedef struct rkey {
	char keyid[SVD_KEYID_HEX_LEN + 1];
	uint8_t pk[32];
	uint8_t outside; /* revoked: svd_outside, the strictest seen */
	uint32_t by;     /* certified: the certificate's index */
} rkey;

typedef struct rules {
	const svd_trust *t;
	unsigned root_k;
	rkey *revoked, *certified;
	size_t nrevoked, ncertified;
	uint8_t (*covered)[32]; /* ids of items some checkpoint in effect vouches for, sorted */
	size_t ncovered;
} rules;

/* The next "KEYID:hex" of a list into keyid and pk; 0 at the end, -1 for a malformed one. */
static int next_sig(const char **s, char keyid[SVD_KEYID_HEX_LEN + 1], uint8_t pk[32])
{
	const char *p = *s;

	while (*p == ' ')
		p++;
	if (!*p)
		return 0;
	if (strlen(p) < SVD_KEYID_HEX_LEN + 65 || p[SVD_KEYID_HEX_LEN] != ':' ||
	    svd_hex_decode(pk, 32, p + SVD_KEYID_HEX_LEN + 1) < 0)
		return -1;
	memcpy(keyid, p, SVD_KEYID_HEX_LEN);
	keyid[SVD_KEYID_HEX_LEN] = '\0';
	*s = p + SVD_KEYID_HEX_LEN + 65;
	return 1;
}

static rkey *rk_find(rkey *k, size_t n, const char *keyid, const uint8_t pk[32])
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(k[i].keyid, keyid) && !memcmp(k[i].pk, pk, 32))
			return &k[i];
	return NULL;
}

static int rk_add(rkey **k, size_t *n, const char *keyid, const uint8_t pk[32], unsigned outside,
                  uint32_t by)
{
	size_t cap = *n;
	rkey *e = rk_find(*k, *n, keyid, pk);

	if (e) {
		if (outside > e->outside)
			e->outside = (uint8_t)outside;
		return 0;
	}
	if (svd_grow(k, &cap, *n + 1, sizeof(**k), 8) < 0)
		return SVD_ERROR;
	e = &(*k)[(*n)++];
	memcpy(e->keyid, keyid, sizeof(e->keyid));
	memcpy(e->pk, pk, 32);
	e->outside = (uint8_t)outside;
	e->by = by;
	return 0;
}

/* The role a key has here: a trusted editor or root, or an editor certified by roots. */
static unsigned role_of(const rules *r, const char *keyid, const uint8_t pk[32])
{
	unsigned role = 0;

	if (svd_trust_match(r->t, pk, keyid, &role))
		return role;
	return rk_find(r->certified, r->ncertified, keyid, pk) ? SVD_TRUST_EDITOR : 0;
}

static unsigned revoked(const rules *r, const char *keyid, const uint8_t pk[32])
{
	const rkey *e = rk_find(r->revoked, r->nrevoked, keyid, pk);

	return e ? e->outside : SVD_OUTSIDE_NONE;
}

static int cmp_id32(const void *x, const void *y)
{
	return memcmp(x, y, 32);
}

static int covered(const rules *r, const uint8_t id[SVD_ID_LEN])
{
	return r->ncovered && bsearch(id, r->covered, r->ncovered, 32, cmp_id32) != NULL;
}

/* A statement's key ("KEYID:hex"), split; 0 when it has none. */
static int statement_key(const svd_view *v, const vitem *it, char keyid[SVD_KEYID_HEX_LEN + 1],
                         uint8_t pk[32])
{
	const char *s = str(v, RARE(v, it)->skey);

	return s && next_sig(&s, keyid, pk) == 1;
}

/*
 * Count an item's signatures: those that count (trusted, not revoked, or
 * revoked but kept or vouched for), the roots among them that no
 * revocation touches, and those left out because their key was revoked.
 */
typedef struct tally {
	unsigned count, roots, revoked;
} tally;

static void count_sigs(const svd_view *v, const rules *r, const vitem *it, int vouched, tally *t,
                       char *signers)
{
	const char *s = str(v, it->vsigs);
	char keyid[SVD_KEYID_HEX_LEN + 1];
	uint8_t pk[32];
	size_t len = 0;

	memset(t, 0, sizeof(*t));
	while (s && next_sig(&s, keyid, pk) == 1) {
		unsigned role = role_of(r, keyid, pk), rv = revoked(r, keyid, pk);
		if (!role)
			continue;
		if (rv == SVD_OUTSIDE_HIDE && !vouched) {
			t->revoked++;
			continue;
		}
		t->count++;
		if ((role & SVD_TRUST_ROOT) && rv == SVD_OUTSIDE_NONE)
			t->roots++;
		if (signers) {
			if (len)
				signers[len++] = ' ';
			memcpy(signers + len, keyid, SVD_KEYID_HEX_LEN);
			len += SVD_KEYID_HEX_LEN;
		}
	}
	if (signers)
		signers[len] = '\0';
}

/* Roots trusted here, not revoked, among the signatures that verify on an item. */
static unsigned live_roots(const svd_view *v, const rules *r, const vitem *it)
{
	const char *s = str(v, it->vsigs);
	char keyid[SVD_KEYID_HEX_LEN + 1];
	uint8_t pk[32];
	unsigned n = 0, role;

	while (s && next_sig(&s, keyid, pk) == 1)
		if (svd_trust_match(r->t, pk, keyid, &role) && (role & SVD_TRUST_ROOT) &&
		    revoked(r, keyid, pk) == SVD_OUTSIDE_NONE)
			n++;
	return n;
}

/* Whether one of the item's verified signatures is by this key. */
static int signed_by(const svd_view *v, const vitem *it, const char *keyid, const uint8_t pk[32])
{
	const char *s = str(v, it->vsigs);
	char k[SVD_KEYID_HEX_LEN + 1];
	uint8_t p[32];

	while (s && next_sig(&s, k, p) == 1)
		if (!strcmp(k, keyid) && !memcmp(p, pk, 32))
			return 1;
	return 0;
}

/*
 * Who may retract or supersede an item: one of its own signers (a key
 * whose signature counts on the new item and verifies on the old one), or
 * k roots. Statements are never withdrawn.
 */
static int may_replace(const svd_view *v, const rules *r, const vitem *by, const vitem *target,
                       const char **why)
{
	const char *s = str(v, by->vsigs);
	char keyid[SVD_KEYID_HEX_LEN + 1];
	uint8_t pk[32];
	int vouched = covered(r, by->id);

	if (target->kind > SVD_KIND_RETRACTION) {
		*why = "a certificate, revocation or checkpoint cannot be withdrawn or replaced";
		return 0;
	}
	if (!target->rules || !by->rules)
		return 1;
	while (s && next_sig(&s, keyid, pk) == 1) {
		unsigned rv = revoked(r, keyid, pk);
		if (role_of(r, keyid, pk) && (rv != SVD_OUTSIDE_HIDE || vouched) &&
		    signed_by(v, target, keyid, pk))
			return 1;
	}
	if (live_roots(v, r, by) >= r->root_k)
		return 1;
	*why = "not signed by any of the item's own signers, nor by enough roots";
	return 0;
}

static void rules_free(struct rules *r)
{
	if (!r)
		return;
	free(r->revoked);
	free(r->certified);
	free(r->covered);
	free(r);
}

/* A note or reason (the vrare field at) into the arena (printf); on failure the item goes without. */
static int note(svd_view *v, vitem *it, size_t at, const char *fmt, ...) SVD_PRINTF(4, 5);
static int note(svd_view *v, vitem *it, size_t at, const char *fmt, ...)
{
	char buf[512];
	uint32_t x;
	va_list ap;
	int error;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if ((error = stash_shared(v, &x, buf)) < 0)
		return error;
	return set_rare(v, it, at, x);
}

static int is_statement(const vitem *it)
{
	return it->kind == SVD_KIND_CERTIFICATE || it->kind == SVD_KIND_REVOCATION ||
	       it->kind == SVD_KIND_CHECKPOINT;
}

/*
 * Revocations first (by the key itself; then by k roots that no key's own
 * revocation touched), then certificates (k roots not revoked; of two
 * certified keys with one key number the older certificate's), then
 * checkpoints (one signature that counts), then every item.
 */
static int apply_rules(svd_view *v, rules *r)
{
	char keyid[SVD_KEYID_HEX_LEN + 1], ctext[21], *signers = NULL;
	uint8_t pk[32];
	size_t i, pass, cap = 0, scap = 0;
	int error = 0;

	r->t = v->trust;
	r->root_k = svd_trust_root_threshold(v->trust);
	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < v->nall; i++) {
			vitem *it = &v->v[v->all[i]];
			int ok;
			if (!it->rules || !it->sound || it->kind != SVD_KIND_REVOCATION ||
			    !statement_key(v, it, keyid, pk))
				continue;
			ok = pass == 0 ? signed_by(v, it, keyid, pk)
			               : live_roots(v, r, it) >= r->root_k;
			if (ok && rk_add(&r->revoked, &r->nrevoked, keyid, pk, it->outside,
			                 v->all[i]) < 0)
				return SVD_ERROR;
		}
	}
	/* certificates: oldest first, so that of two keys with one number the first stays */
	for (i = v->nall; i-- > 0;) {
		vitem *it = &v->v[v->all[i]];
		const svd_pubkey *have;
		size_t k;
		int clash = 0;
		if (!it->rules || !it->sound || it->kind != SVD_KIND_CERTIFICATE ||
		    !statement_key(v, it, keyid, pk) || live_roots(v, r, it) < r->root_k)
			continue;
		have = svd_trust_find(v->trust, keyid);
		if (have && memcmp(svd_pubkey_bytes(have), pk, 32))
			clash = 1;
		for (k = 0; k < r->ncertified; k++)
			if (!strcmp(r->certified[k].keyid, keyid) &&
			    memcmp(r->certified[k].pk, pk, 32))
				clash = 1;
		if (clash) {
			if (note(v, it, offsetof(vrare, note),
			         "no effect: another key with the key number %s is trusted or "
			         "certified already; two keys with one number are never trusted",
			         keyid) < 0)
				return SVD_ERROR;
			continue;
		}
		if (rk_add(&r->certified, &r->ncertified, keyid, pk, 0, v->all[i]) < 0)
			return SVD_ERROR;
	}
	/* checkpoints in effect: what they vouch for */
	for (i = 0; i < v->nall; i++) {
		vitem *it = &v->v[v->all[i]];
		const char *ids;
		tally t;
		if (!it->rules || !it->sound || it->kind != SVD_KIND_CHECKPOINT ||
		    RARE(v, it)->cp == NONE)
			continue;
		count_sigs(v, r, it, 0, &t, NULL);
		if (t.count == 0)
			continue;
		for (ids = str(v, RARE(v, it)->cp); *ids; ids += *ids == ' ') {
			if (svd_grow(&r->covered, &cap, r->ncovered + 1, 32, 256) < 0)
				return SVD_ERROR;
			if (svd_hex_decode(r->covered[r->ncovered], 32, ids) == 0)
				r->ncovered++;
			ids += SVD_ID_HEX_LEN;
		}
	}
	if (r->ncovered > 1)
		qsort(r->covered, r->ncovered, 32, cmp_id32);

	/* every item */
	for (i = 0; i < v->nall && error == 0; i++) {
		vitem *it = &v->v[v->all[i]];
		unsigned need;
		size_t n;
		tally t;
		if (!it->rules)
			continue;
		n = (it->vsigs != NONE ? strlen(str(v, it->vsigs)) : 0) + 1;
		if ((error = svd_grow(&signers, &scap, n, 1, 256)) < 0)
			break;
		count_sigs(v, r, it, covered(r, it->id), &t, signers);
		if ((error = stash_shared(v, &it->signers, signers)) < 0)
			break;
		it->ok = 0;
		if (!it->sound) {
			it->state = SVD_VIEW_REFUSED;
			continue;
		}
		if (is_statement(it)) {
			int effect = 0;
			if (it->kind == SVD_KIND_REVOCATION && statement_key(v, it, keyid, pk)) {
				const rkey *e = rk_find(r->revoked, r->nrevoked, keyid, pk);
				effect = e && e->by == v->all[i];
				if (e && !effect)
					effect = 2; /* another revocation of the key is in effect */
			} else if (it->kind == SVD_KIND_CERTIFICATE &&
			           statement_key(v, it, keyid, pk)) {
				const rkey *e = rk_find(r->certified, r->ncertified, keyid, pk);
				effect = e && e->by == v->all[i];
			} else if (it->kind == SVD_KIND_CHECKPOINT) {
				effect = t.count > 0;
			}
			if (live_roots(v, r, it) > 0 &&
			    strcmp(created_text(v, it, ctext), v->trust_date) > 0)
				memcpy(v->trust_date, ctext, sizeof(v->trust_date));
			if (effect || t.count > 0) {
				it->state = SVD_VIEW_STATEMENT;
				if (RARE(v, it)->note == NONE &&
				    (error = note(
				         v, it, offsetof(vrare, note), "%s",
				         effect ? "in effect"
				                : "not in effect: it needs more signatures by "
				                  "roots trusted here (or by the key itself, for "
				                  "a revocation)")) < 0)
					break;
				continue;
			}
		}
		if (t.count == 0) {
			it->state = t.revoked ? SVD_VIEW_REVOKED : SVD_VIEW_REFUSED;
			if (t.revoked)
				error =
				    note(v, it, offsetof(vrare, why),
				         "signed only by revoked keys, and no checkpoint in effect "
				         "vouches for it");
			else if (RARE(v, it)->why == NONE)
				error = note(
				    v, it, offsetof(vrare, why),
				    "no signature by a key trusted here (trust an editor's key "
				    "with 'samvydav trust add', or a root with 'samvydav trust "
				    "add --root')");
			continue;
		}
		need = svd_trust_kind_threshold(v->trust, (svd_kind)it->kind);
		if (!is_statement(it) && t.count < need) {
			it->state = SVD_VIEW_PENDING;
			error = note(v, it, offsetof(vrare, why),
			             "pending: %u of the %u signatures a %s needs here", t.count,
			             need, svd_kind_name((svd_kind)it->kind));
			continue;
		}
		it->state = SVD_VIEW_SHOWN;
		it->ok = 1;
		if ((error = SET_RARE(v, it, why, NONE)) < 0)
			break;
	}
	free(signers);
	return error;
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

	/*
	 * ids: of the entries of one id, the first that passed the gate counts
	 * (else the first), the others are left out. A copy of an item's folder
	 * planted under another name gives a refused verdict of the item's own
	 * id ("filed as ..."); the item itself, filed under its id, passes, and
	 * it must be what the view shows and what its cache keeps, whichever
	 * folder sorts first.
	 */
	for (i = 0; i < v->n; i++)
		v->byid[i] = (uint32_t)i;
	for (i = 1; i < v->n && memcmp(v->v[i - 1].id, v->v[i].id, SVD_ID_LEN) < 0; i++)
		;
	if (i < v->n) /* an archive's items come in id order already */
		qsort_r(v->byid, v->n, sizeof(*v->byid), cmp_id, v);
	for (i = k = 0; i < v->n; i++) {
		if (k && !memcmp(v->v[v->byid[k - 1]].id, v->v[v->byid[i]].id, SVD_ID_LEN)) {
			vitem *kept = &v->v[v->byid[k - 1]], *it = &v->v[v->byid[i]];
			if ((it->bits & ~kept->bits) & B_TREE) { /* the folder filed under the id */
				memcpy(kept->tree, it->tree, 20);
				kept->bits |= B_TREE;
			} else if ((kept->bits & ~it->bits) & B_TREE) {
				memcpy(it->tree, kept->tree, 20);
				it->bits |= B_TREE;
			}
			if (!kept->ok && it->ok) {
				kept->dup = 1;
				v->byid[k - 1] = v->byid[i];
			} else {
				it->dup = 1;
			}
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

	/* who signed what, and what counts: certificates, revocations, checkpoints, thresholds */
	if (v->trust) {
		int error;
		if (!(v->rl = calloc(1, sizeof(*v->rl))))
			return svd_error_set(SVD_ERROR, "out of memory");
		if ((error = apply_rules(v, v->rl)) < 0)
			return error;
	}

	/*
	 * retractions, newest first, so that the first to name an item is its
	 * retracted_by; kept by the id they name, whether the view holds it or
	 * not. One that its signers may not make (may_replace) is kept and
	 * shown, with a note saying it has no effect.
	 */
	for (i = 0; i < v->nall; i++) {
		vitem *r = &v->v[v->all[i]];
		const char *why = NULL;
		long t;
		if (!r->ok || r->kind != SVD_KIND_RETRACTION || RARE(v, r)->ret == NONE)
			continue;
		t = find(v, str(v, RARE(v, r)->ret));
		if (v->trust && t >= 0 && !may_replace(v, v->rl, r, &v->v[t], &why)) {
			if (note(v, r, offsetof(vrare, note), "has no effect: %s", why) < 0)
				return SVD_ERROR;
			continue;
		}
		v->rets[v->nrets++] = v->all[i];
		if (t >= 0 && !RARE(v, &v->v[t])->retracted_by &&
		    SET_RARE(v, &v->v[t], retracted_by, v->all[i] + 1) < 0)
			return SVD_ERROR;
	}
	qsort_r(v->rets, v->nrets, sizeof(*v->rets), cmp_ret, v);

	/* shown: accepted and not withdrawn */
	for (i = 0; i < v->nall; i++) {
		vitem *it = &v->v[v->all[i]];
		if (it->ok && !RARE(v, it)->retracted_by && !is_statement(it)) {
			it->row = (uint32_t)v->nrows;
			v->rows[v->nrows++] = v->all[i];
		}
	}

	/* supersession: (old, new) for every shown new item, newest new first */
	for (i = 0; i < v->nrows; i++) {
		vitem *s = &v->v[v->rows[i]];
		const char *why = NULL;
		long t;
		if (RARE(v, s)->sup == NONE || (t = find(v, str(v, RARE(v, s)->sup))) < 0)
			continue;
		if (v->trust && !may_replace(v, v->rl, s, &v->v[t], &why)) {
			if (note(v, s, offsetof(vrare, note), "supersedes nothing: %s", why) < 0)
				return SVD_ERROR;
			continue;
		}
		v->sup[v->nsup][0] = (uint32_t)t;
		v->sup[v->nsup][1] = v->rows[i];
		v->nsup++;
	}
	qsort_r(v->sup, v->nsup, sizeof(*v->sup), cmp_sup, v);
	for (i = v->nsup; i-- > 0;)
		if (SET_RARE(v, &v->v[v->sup[i][0]], superseded_by, v->sup[i][1] + 1) < 0)
			return SVD_ERROR;

	/* the public state, now that nothing moves (the records are made when asked for) */
	for (i = 0; i < v->n; i++) {
		vitem *it = &v->v[i];
		if (it->rules)
			it->state = RARE(v, it)->retracted_by && (it->state == SVD_VIEW_SHOWN ||
			                                          it->state == SVD_VIEW_PENDING)
			                ? SVD_VIEW_RETRACTED
			                : it->state;
		else
			it->state = !it->ok                     ? SVD_VIEW_REFUSED
			            : RARE(v, it)->retracted_by ? SVD_VIEW_RETRACTED
			            : is_statement(it)          ? SVD_VIEW_STATEMENT
			                                        : SVD_VIEW_SHOWN;
	}
	if (v->rl) { /* the certified keys outlive the rules: admission uses them */
		v->cert = v->rl->certified;
		v->ncert = v->rl->ncertified;
		v->rl->certified = NULL;
	}
	rules_free(v->rl);
	v->rl = NULL;
	v->trust = NULL;
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

/*
 * Item i's public record into *out: its strings borrowed from the view, its
 * ids written into out's own storage. Returns out.
 */
static const svd_view_item *fill(svd_view_item *out, const svd_view *v, uint32_t i)
{
	const vitem *it = &v->v[i];
	const vrare *rare = RARE(v, it);
	svd_view_state state = (svd_view_state)it->state;

	memset(out, 0, offsetof(svd_view_item, ids));
	svd_hex_encode(out->ids[0], it->id, SVD_ID_LEN);
	out->id = out->ids[0];
	out->state = state;
	out->note = str(v, rare->note);
	out->why =
	    state == SVD_VIEW_SHOWN || state == SVD_VIEW_RETRACTED || state == SVD_VIEW_STATEMENT
	        ? NULL
	        : (rare->why != NONE ? str(v, rare->why) : "it does not pass the gate");
	out->manifest = v->m ? v->m[i] : NULL;
	out->kind = (svd_kind)it->kind;
	out->title = it->title != NONE ? str(v, it->title) : "";
	out->lang = it->lang != NONE ? str(v, it->lang) : "";
	out->date = date_text(v, it, out->when[0]);
	out->created = created_text(v, it, out->when[1]);
	out->supersedes = str(v, rare->sup);
	out->retracts = str(v, rare->ret);
	if (rare->retracted_by) {
		svd_hex_encode(out->ids[1], v->v[rare->retracted_by - 1].id, SVD_ID_LEN);
		out->retracted_by = out->ids[1];
	}
	if (rare->superseded_by) {
		svd_hex_encode(out->ids[2], v->v[rare->superseded_by - 1].id, SVD_ID_LEN);
		out->superseded_by = out->ids[2];
	}
	out->signers = it->signers != NONE ? str(v, it->signers) : "";
	out->region = str(v, it->region);
	out->source = str(v, it->source);
	out->authors = it->authors != NONE ? str(v, it->authors) : "";
	out->tags = it->tags != NONE ? str(v, it->tags) : "";
	return out;
}

const svd_view_item *svd_view_row(svd_view_item *out, const svd_view *v, size_t row)
{
	return v->finished && row < v->nrows ? fill(out, v, v->rows[row]) : NULL;
}

size_t svd_view_size(const svd_view *v)
{
	return v->finished ? v->nall : 0;
}

const svd_view_item *svd_view_at(svd_view_item *out, const svd_view *v, size_t i)
{
	return v->finished && i < v->nall ? fill(out, v, v->all[i]) : NULL;
}

/* The public state of the item with this id, or -1 when the view does not hold it. */
static int state_of(const svd_view *v, const char *id)
{
	long t;

	if (!v->finished || !id || (t = find(v, id)) < 0)
		return -1;
	return v->v[t].state;
}

const svd_view_item *svd_view_find(svd_view_item *out, const svd_view *v, const char *id)
{
	long t;

	if (!v->finished || !id || (t = find(v, id)) < 0)
		return NULL;
	return fill(out, v, (uint32_t)t);
}

int svd_view_shows(const svd_view *v, const char *id)
{
	return state_of(v, id) == SVD_VIEW_SHOWN;
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

const svd_view_item *svd_view_superseder(svd_view_item *out, const svd_view *v, const char *id,
                                         size_t k)
{
	long t;
	size_t i;

	if (!v->finished || !id || (t = find(v, id)) < 0)
		return NULL;
	i = sup_first(v, t) + k;
	if (i >= v->nsup || v->sup[i][0] != (uint32_t)t)
		return NULL;
	return fill(out, v, v->sup[i][1]);
}

uint32_t svd_view_row_of(const svd_view *v, const char *id)
{
	long t;

	if (!v->finished || !id || (t = find(v, id)) < 0)
		return HIDDEN;
	return v->v[t].row;
}

const svd_view_item *svd_view_by_id(svd_view_item *out, const svd_view *v, size_t k,
                                    uint32_t *order)
{
	if (!v->finished || k >= v->nall)
		return NULL;
	*order = v->v[v->byid[k]].order;
	return fill(out, v, v->byid[k]);
}

const svd_view_item *svd_view_withdrawn(svd_view_item *out, const svd_view *v, const char *id)
{
	size_t lo = 0, hi;

	if (!v->finished || !id)
		return NULL;
	hi = v->nrets;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(v->arena + RARE(v, &v->v[v->rets[mid]])->ret, id) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < v->nrets && !strcmp(v->arena + RARE(v, &v->v[v->rets[lo]])->ret, id))
		return fill(out, v, v->rets[lo]);
	return NULL;
}

size_t svd_view_certified_count(const svd_view *v)
{
	return v->finished ? v->ncert : 0;
}

void svd_view_certified_at(const svd_view *v, size_t i, const char **keyid, const uint8_t **pk)
{
	*keyid = v->cert[i].keyid;
	*pk = v->cert[i].pk;
}

int svd_view_carries(const svd_view *v, const char *id)
{
	int state = state_of(v, id);

	return state == SVD_VIEW_SHOWN || state == SVD_VIEW_PENDING || state == SVD_VIEW_STATEMENT;
}

const char *svd_view_trust_date(const svd_view *v)
{
	return v->trust_date;
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
	case SVD_VIEW_REVOKED:
		return "revoked";
	case SVD_VIEW_PENDING:
		return "pending";
	case SVD_VIEW_STATEMENT:
		return "statement";
	}
	return "?";
}
