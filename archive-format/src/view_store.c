/*
 * view_store.c: a view of an archive at a commit — every item of the
 * commit through the gate (view.h, svd_view_open), fed to the rules in
 * view.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <git2.h>
#include <sodium.h>

#include "samvydav/view.h"
#include "archive_internal.h"
#include "store_internal.h"
#include "util.h"
#include "view_cache.h"
#include "view_internal.h"
#include "view_list.h"

typedef struct open_ctx {
	svd_view *v;
	const svd_view_policy *p;
	const svd_item_ref *refs; /* the entries gated, one verdict each in their order, or NULL */
	size_t k;                 /* the entry of the next verdict */
} open_ctx;

static int on_verdict(const svd_verdict *verdict, void *payload)
{
	open_ctx *o = payload;
	int error, stop;

	const svd_item_ref *r = o->refs ? &o->refs[o->k++] : NULL;

	if (o->p->item && (stop = o->p->item(verdict, o->p->payload)) != 0)
		return stop;
	/* a verdict for an entry that is no item at all (misfiled) names it; it is refused */
	if ((error = svd_view_add(o->v, verdict)) == SVD_EINVALID) {
		svd_error_clear();
		return 0;
	}
	/* the folder filed under the item's id, for the cache */
	if (error == 0 && r && !r->misfiled && !strcmp(svd_verdict_id(verdict), r->id))
		svd_view_set_tree(o->v, r->tree.id);
	return error;
}

/* ARCHIVE/cache/view, its folder made when missing; NULL when it cannot be. */
static char *cache_path(svd_archive *a)
{
	return svd_archive_place_path(a->path, SVD_PLACE_CACHE, "view", 1);
}

/*
 * The records cache_save() writes: the view's items in id order, those
 * with the folder filed under their id (svd_view_set_tree: not a misfiled
 * twin, which is checked every time).
 */
typedef struct save_ctx {
	const svd_view *v;
	size_t k;
	svd_view_item it; /* the record's strings point into it */
} save_ctx;

static int save_next(svd_view_cache_rec *rec, void *payload)
{
	save_ctx *s = payload;
	uint32_t order;

	for (; s->k < svd_view_size(s->v); s->k++) {
		const uint8_t *tree = svd_view_tree(s->v, s->k);
		const svd_view_item *it;
		if (!tree || !(it = svd_view_by_id(&s->it, s->v, s->k, &order)))
			continue;
		if (it->kind > SVD_KIND_RETRACTION)
			continue; /* a statement: the rules read its manifest every time */
		memset(rec, 0, sizeof(*rec));
		svd_view_item_fields(&rec->f, it);
		svd_view_item_rules(&rec->f, s->v, s->k);
		memcpy(rec->tree, tree, 20);
		s->k++;
		return 1;
	}
	return 0;
}

/*
 * Write the cache for the view just built: every well-filed item's fields
 * and folder. Best effort: an archive on read-only media has no cache, and
 * the next view checks every item again.
 */
static void cache_save(svd_archive *a, const svd_view *v, const uint8_t trust[32],
                       const git_oid *commit)
{
	save_ctx s = {.v = v};
	char *path = cache_path(a);

	if (path &&
	    svd_view_cache_write(path, SVD_VIEW_SIGNATURES, trust, commit->id, save_next, &s) < 0)
		svd_error_clear();
	free(path);
}

/*
 * Write ARCHIVE/cache/list for the view of main just built, unless it is
 * there already. Best effort, as the cache.
 */
static void list_save(svd_archive *a, const svd_view *v, const git_oid *commit)
{
	char *path = svd_archive_place_path(a->path, SVD_PLACE_CACHE, "list", 1);
	uint8_t print[32];

	svd_view_list_print(print, a->trust);
	if (path && svd_view_list_save(path, v, print, commit->id) < 0)
		svd_error_clear();
	free(path);
}

/*
 * Entries to gate held from the first listing (384 KiB); more are listed
 * again, GATE_CHUNK at a time (6 MiB), rather than held all at once.
 */
#define GATE_HELD  4096u
#define GATE_CHUNK (64u * 1024)

/*
 * The items of a commit at the cheap level, main's listing read one
 * fan-out folder at a time beside the cache (both in id order: one pass
 * over each): what the cache knows of, with the same folder, is added
 * from it; the rest is marked (bit i for the i-th entry) and, while few,
 * held for the gate, which sees them after every cached item, in listing
 * order, as it always has.
 */
typedef struct walk_ctx {
	svd_view *v;
	svd_view_cache *c;
	svd_view_cache_rec scratch;
	const svd_view_cache_rec *rec;
	size_t seen, used, n; /* entries listed, added from the cache, to gate */
	uint8_t *marks;       /* bit i: entry i is to gate */
	size_t capmarks;
	svd_item_ref *held; /* the entries to gate, while n <= GATE_HELD; else NULL */
	size_t caphold;
	int spilled; /* more than GATE_HELD: listed again to gate them */
} walk_ctx;

static int walk_part(const svd_item_list *part, void *payload)
{
	walk_ctx *w = payload;
	size_t i;
	int error = 0;

	if (w->seen + part->n > UINT32_MAX)
		return svd_error_set(SVD_ETOOBIG, "over 2^32 items in one commit");
	if ((error = svd_grow(&w->marks, &w->capmarks, (w->seen + part->n) / 8 + 1, 1, 1024)) < 0)
		return error;
	for (i = 0; error == 0 && i < part->n; i++, w->seen++) {
		const svd_item_ref *r = &part->v[i];
		while (!r->misfiled && w->rec && strcmp(w->rec->id, r->id) < 0)
			w->rec = svd_view_cache_next(w->c, &w->scratch);
		if (!r->misfiled && w->rec && !strcmp(w->rec->id, r->id) &&
		    !memcmp(w->rec->tree, r->tree.id, 20)) {
			if ((error = svd_view_add_fields(w->v, &w->rec->f)) == 0)
				svd_view_set_tree(w->v, w->rec->tree);
			w->used++;
			w->rec = svd_view_cache_next(w->c, &w->scratch);
			continue;
		}
		w->marks[w->seen / 8] |= (uint8_t)(1u << (w->seen % 8));
		w->n++;
		if (w->spilled)
			continue;
		if (w->n > GATE_HELD) { /* too many to hold: listed again at the gate */
			free(w->held);
			w->held = NULL;
			w->spilled = 1;
			continue;
		}
		if ((error = svd_grow(&w->held, &w->caphold, w->n, sizeof(*w->held), 256)) == 0)
			w->held[w->n - 1] = *r;
	}
	return error;
}

/* The marked entries, gathered from a second listing and gated GATE_CHUNK at a time. */
typedef struct gate_ctx {
	svd_archive *a;
	const git_oid *commit;
	const svd_view_policy *p;
	const svd_trust *trust;
	open_ctx *o;
	const uint8_t *marks;
	size_t seen;
	svd_item_ref *refs;
	size_t n, cap;
} gate_ctx;

static int gate_flush(gate_ctx *g)
{
	int error;

	if (g->n == 0)
		return 0;
	g->o->refs = g->refs;
	g->o->k = 0;
	error = svd_store_check_refs(g->a, g->commit, g->refs, g->n, g->p->threads, g->trust,
	                             g->p->check == SVD_VIEW_FULL ? 0 : SVD_CHECK_SIZES_ONLY,
	                             on_verdict, g->o, NULL);
	g->o->refs = NULL;
	g->n = 0;
	return error;
}

static int gate_part(const svd_item_list *part, void *payload)
{
	gate_ctx *g = payload;
	size_t i;
	int error = 0;

	for (i = 0; error == 0 && i < part->n; i++, g->seen++) {
		if (!(g->marks[g->seen / 8] & (1u << (g->seen % 8))))
			continue;
		if ((error = svd_grow(&g->refs, &g->cap, g->n + 1, sizeof(*g->refs), 256)) < 0)
			break;
		g->refs[g->n++] = part->v[i];
		if (g->n == GATE_CHUNK)
			error = gate_flush(g);
	}
	return error;
}

/*
 * The cheap level with the cache: *fresh when the cache knew every item
 * and nothing else (it need not be written again).
 */
static int from_cache(svd_view *v, open_ctx *o, svd_archive *a, const git_oid *commit,
                      const svd_view_policy *p, const svd_trust *trust, const uint8_t print[32],
                      int *fresh)
{
	walk_ctx w = {0};
	char *path = cache_path(a);
	int error, fd = -1;

	*fresh = 0;
	w.v = v;
	/*
	 * Read through a window, not mapped: an archive on a stick with a bad
	 * sector must see a read error (the cache ignored), not a SIGBUS (SPEC
	 * 7.2); and never read whole (some 270 MB at a million items).
	 */
	if (path && ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 ||
	             svd_view_cache_open_fd(&w.c, fd, SVD_VIEW_SIGNATURES, print) < 0))
		svd_error_clear(); /* none, stale or damaged: made again below */
	free(path);
	w.rec = svd_view_cache_next(w.c, &w.scratch);
	if ((error = svd_view_reserve(v, svd_view_cache_count(w.c))) == 0)
		error = svd_store_list_each(a->repo, commit, walk_part, &w);
	*fresh = w.c != NULL && w.n == 0 && w.used == svd_view_cache_count(w.c);
	svd_view_cache_free(w.c);
	if (fd >= 0)
		close(fd);
	if (error == 0)
		error = svd_view_reserve(v, w.used + w.n);
	if (error == 0 && w.n > 0 && !w.spilled) {
		o->refs = w.held;
		o->k = 0;
		error = svd_store_check_refs(a, commit, w.held, w.n, p->threads, trust,
		                             p->check == SVD_VIEW_FULL ? 0 : SVD_CHECK_SIZES_ONLY,
		                             on_verdict, o, NULL);
		o->refs = NULL;
	} else if (error == 0 && w.n > 0) {
		gate_ctx g = {.a = a, .commit = commit, .p = p, .trust = trust, .o = o};
		g.marks = w.marks;
		if ((error = svd_store_list_each(a->repo, commit, gate_part, &g)) == 0)
			error = gate_flush(&g);
		free(g.refs);
	}
	free(w.held);
	free(w.marks);
	return error;
}

int svd_view_open(svd_view **out, svd_archive *a, const char *commit, const svd_view_policy *policy)
{
	static const svd_view_policy defaults = {0};
	const svd_view_policy *p = policy ? policy : &defaults;
	const svd_trust *trust = p->trust ? p->trust : a->trust;
	char hex[GIT_OID_HEXSZ + 1] = "";
	uint8_t print[32];
	git_oid oid;
	svd_view *v = NULL;
	open_ctx o = {0};
	int error, has_commit = 1, cached, fresh = 0;

	*out = NULL;
	if (commit)
		error = svd_store_commit_resolve(&oid, a->repo, commit);
	else if ((error = svd_store_head_oid(&oid, a->repo)) == SVD_ENOTFOUND) {
		svd_error_clear();
		has_commit = 0;
		error = 0;
	}
	if (error < 0)
		return error;
	if ((error = svd_view_new(&v, p->flags)) < 0)
		return error;
	svd_view_set_trust(v, trust);
	/* the cache holds no manifests and no verdicts: not for callers that want them */
	cached = p->check == SVD_VIEW_SIGNATURES && !p->item && !(p->flags & SVD_VIEW_MANIFESTS);
	if (has_commit) {
		git_oid_tostr(hex, sizeof(hex), &oid);
		o.v = v;
		o.p = p;
		svd_view_trust_print(print, trust);
		if (cached)
			error = from_cache(v, &o, a, &oid, p, trust, print, &fresh);
		if (error == 0 && !cached)
			error =
			    svd_store_check(a, &oid, NULL, 0, p->threads, trust,
			                    p->check == SVD_VIEW_FULL ? 0 : SVD_CHECK_SIZES_ONLY,
			                    on_verdict, &o, NULL);
	}
	svd_view_set_commit(v, hex);
	if (error == 0)
		error = svd_view_finish(v);
	if (error == 0 && has_commit && cached && !fresh)
		cache_save(a, v, print, &oid);
	if (error == 0 && has_commit && cached && !commit && !p->trust)
		list_save(a, v, &oid);
	if (error != 0) {
		svd_view_free(v);
		return error;
	}
	*out = v;
	return 0;
}

/* A public key from its key id and 32 bytes, as a trust list holds one. */
static int pubkey_of(svd_pubkey **out, const char *keyid, const uint8_t pk[32])
{
	uint8_t raw[42], num[8];
	char b64[64], text[128];
	size_t i;

	if (svd_hex_decode(num, 8, keyid) < 0)
		return svd_error_set(SVD_EINVALID, "not a key id: %s", keyid);
	raw[0] = 'E';
	raw[1] = 'd';
	for (i = 0; i < 8; i++) /* the key id is the number read little-endian */
		raw[2 + i] = num[7 - i];
	memcpy(raw + 10, pk, 32);
	sodium_bin2base64(b64, sizeof(b64), raw, sizeof(raw), sodium_base64_VARIANT_ORIGINAL);
	snprintf(text, sizeof(text), "untrusted comment: certified key %s\n%s\n", keyid, b64);
	return svd_pubkey_parse(out, text, strlen(text));
}

int svd_view_admission_trust(svd_trust **out, svd_archive *a)
{
	svd_view_policy pol = {0};
	svd_trust *t = NULL;
	svd_view *v = NULL;
	size_t i, roots = 0;
	int error;

	*out = NULL;
	for (i = 0; i < svd_trust_count(a->trust); i++)
		if (svd_trust_role(a->trust, i) & SVD_TRUST_ROOT)
			roots++;
	if (roots == 0)
		return 0; /* no roots, no certificate can count: the list as it is */
	pol.check = SVD_VIEW_SIGNATURES;
	if ((error = svd_view_open(&v, a, NULL, &pol)) < 0 || (error = svd_trust_new(&t)) < 0)
		goto cleanup;
	for (i = 0; error == 0 && i < svd_trust_count(a->trust); i++)
		error = svd_trust_insert_role(t, svd_trust_at(a->trust, i),
		                              svd_trust_role(a->trust, i));
	for (i = 0; error == 0 && i < svd_view_certified_count(v); i++) {
		const char *keyid;
		const uint8_t *pk;
		svd_pubkey *key = NULL;
		svd_view_certified_at(v, i, &keyid, &pk);
		if ((error = pubkey_of(&key, keyid, pk)) == 0 &&
		    (error = svd_trust_insert_role(t, key, SVD_TRUST_EDITOR)) == SVD_ECORRUPT) {
			svd_error_clear(); /* a key number the list holds with another key: not trusted */
			error = 0;
		}
		svd_pubkey_free(key);
	}
	if (error == 0) {
		*out = t;
		t = NULL;
	}
cleanup:
	svd_trust_free(t);
	svd_view_free(v);
	return error;
}
