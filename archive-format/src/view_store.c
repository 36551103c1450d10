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
 * The items of the commit at the cheap level: those whose folder the cache
 * knows come from it (the list and the cache are both in id order: one
 * pass over each), the rest go through the gate. Returns the indexes in
 * list of the entries still to check (*n of them), or an error.
 */
static int from_cache(svd_view *v, uint32_t **tocheck, size_t *n, svd_archive *a,
                      const svd_item_list *list, const uint8_t trust[32], int *fresh)
{
	svd_view_cache *c = NULL;
	svd_view_cache_rec scratch;
	const svd_view_cache_rec *rec = NULL;
	char *path = cache_path(a);
	size_t i, used = 0;
	int error = 0, fd = -1;

	*tocheck = NULL;
	*n = 0;
	*fresh = 0;
	/*
	 * Read through a window, not mapped: an archive on a stick with a bad
	 * sector must see a read error (the cache ignored), not a SIGBUS (SPEC
	 * 7.2); and never read whole (some 270 MB at a million items).
	 */
	if (path && ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 ||
	             svd_view_cache_open_fd(&c, fd, SVD_VIEW_SIGNATURES, trust) < 0))
		svd_error_clear(); /* none, stale or damaged: made again below */
	free(path);
	if (list->n > UINT32_MAX)
		error = svd_error_set(SVD_ETOOBIG, "over 2^32 items in one commit");
	else if (!(*tocheck = malloc((list->n + 1) * sizeof(**tocheck))))
		error = svd_error_set(SVD_ERROR, "out of memory");
	rec = svd_view_cache_next(c, &scratch);
	for (i = 0; error == 0 && i < list->n; i++) {
		const svd_item_ref *r = &list->v[i];
		while (!r->misfiled && rec && strcmp(rec->id, r->id) < 0)
			rec = svd_view_cache_next(c, &scratch);
		if (!r->misfiled && rec && !strcmp(rec->id, r->id) &&
		    !memcmp(rec->tree, r->tree.id, 20)) {
			if ((error = svd_view_add_fields(v, &rec->f)) == 0)
				svd_view_set_tree(v, rec->tree);
			used++;
			rec = svd_view_cache_next(c, &scratch);
		} else {
			(*tocheck)[(*n)++] = (uint32_t)i;
		}
	}
	*fresh = c != NULL && *n == 0 && used == svd_view_cache_count(c);
	svd_view_cache_free(c);
	if (fd >= 0)
		close(fd);
	return error;
}

int svd_view_open(svd_view **out, svd_archive *a, const char *commit, const svd_view_policy *policy)
{
	static const svd_view_policy defaults = {0};
	const svd_view_policy *p = policy ? policy : &defaults;
	const svd_trust *trust = p->trust ? p->trust : a->trust;
	char hex[GIT_OID_HEXSZ + 1] = "";
	svd_item_list list = {0};
	uint32_t *tocheck = NULL;
	svd_item_ref *refs = NULL; /* the entries to gate: list's own, or a copy of some */
	uint8_t print[32];
	git_oid oid;
	svd_view *v = NULL;
	open_ctx o = {0};
	size_t n = 0, i;
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
		if (cached && (error = svd_store_list(&list, a->repo, &oid)) == 0 &&
		    (error = svd_view_reserve(v, list.n)) == 0)
			error = from_cache(v, &tocheck, &n, a, &list, print, &fresh);
		/* what the cache does not know, from the listing at hand (not made again) */
		if (error == 0 && cached && n > 0 && n < list.n &&
		    !(refs = malloc(n * sizeof(*refs))))
			error = svd_error_set(SVD_ERROR, "out of memory");
		for (i = 0; error == 0 && refs && i < n; i++)
			refs[i] = list.v[tocheck[i]];
		if (refs) { /* the rest of the listing is in the view now, with its folders */
			free(list.v);
			list.v = NULL;
		}
		free(tocheck);
		tocheck = NULL;
		o.refs = refs ? refs : list.v;
		o.k = 0;
		if (error == 0 && cached && n > 0)
			error = svd_store_check_refs(
			    a, &oid, refs ? refs : list.v, n, p->threads, trust,
			    p->check == SVD_VIEW_FULL ? 0 : SVD_CHECK_SIZES_ONLY, on_verdict, &o,
			    NULL);
		o.refs = NULL;
		if (error == 0 && !cached)
			error =
			    svd_store_check(a, &oid, NULL, 0, p->threads, trust,
			                    p->check == SVD_VIEW_FULL ? 0 : SVD_CHECK_SIZES_ONLY,
			                    on_verdict, &o, NULL);
	}
	/* main's listing is let go before the view finishes: the view keeps the folders */
	free(refs);
	refs = NULL;
	free(list.v);
	list.v = NULL;
	svd_view_set_commit(v, hex);
	if (error == 0)
		error = svd_view_finish(v);
	if (error == 0 && has_commit && cached && !fresh)
		cache_save(a, v, print, &oid);
	if (error == 0 && has_commit && cached && !commit && !p->trust)
		list_save(a, v, &oid);
	free(refs);
	free(tocheck);
	free(list.v);
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
