/*
 * store_fetch.c: the store's half of a peer sync (fetch.h): a peer's main
 * fetched into refs/quarantine/<name> of our store, or a peer's store in a
 * folder here opened in place; its items listed, read back and staged.
 *
 * The peer's main is fetched into the quarantine ref, never into main: no
 * history is merged, only items, and which ones is the sync's choice
 * (sync.c). The fetched blobs are already in the store's object database,
 * so staging only names them.
 *
 * Limits: the peer may send at most max_bytes, and must make progress
 * every timeout_s seconds while it sends. libgit2 1.5 has no socket
 * timeout (GIT_OPT_SET_SERVER_TIMEOUT came in 1.7), so for git://, http://
 * and https:// peers the TCP connections are our own (net_stream.c): every
 * connect, read and write has the same deadline, and every byte read, the
 * ref advertisement included, counts against max_bytes. A file:// peer is
 * a folder on this machine; only what is copied from it counts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <git2.h>
#include <sodium.h>

#include "samvydav/pause.h"
#include "archive_internal.h"
#include "fetch.h"
#include "net_stream.h"
#include "sha256.h"
#include "stage.h"
#include "store_internal.h"
#include "util.h"

#define PEER_QUARANTINE "refs/quarantine/"

/* What the fetch callbacks watch. */
typedef struct fetch_watch {
	uint64_t max_bytes;
	unsigned timeout_s;
	uint64_t bytes;       /* pack bytes received */
	uint64_t side_bytes;  /* progress messages received */
	unsigned objects;     /* objects received or indexed, for progress */
	struct timespec last; /* when something last arrived */
	int too_big, timed_out;
} fetch_watch;

static double seconds_since(const struct timespec *then)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - then->tv_sec) + (double)(now.tv_nsec - then->tv_nsec) / 1e9;
}

/* A check shared by both callbacks: over the byte cap, or silent too long. */
static int watch_check(fetch_watch *w, int progressed)
{
	if (w->bytes + w->side_bytes > w->max_bytes) {
		w->too_big = 1;
		return -1;
	}
	if (progressed) {
		clock_gettime(CLOCK_MONOTONIC, &w->last);
	} else if (seconds_since(&w->last) >= (double)w->timeout_s) {
		w->timed_out = 1;
		return -1;
	}
	return 0;
}

static int on_transfer(const git_indexer_progress *st, void *payload)
{
	fetch_watch *w = payload;
	unsigned objects = st->received_objects + st->indexed_objects + st->indexed_deltas;
	int progressed = st->received_bytes != w->bytes || objects != w->objects;

	w->bytes = st->received_bytes;
	w->objects = objects;
	return watch_check(w, progressed);
}

/* The server's "Counting objects…" messages: they count against the cap, too. */
static int on_sideband(const char *str, int len, void *payload)
{
	fetch_watch *w = payload;

	(void)str;
	w->side_bytes += len > 0 ? (uint64_t)len : 0;
	return watch_check(w, len > 0);
}

struct svd_fetch {
	svd_txn *t;             /* the operation items are staged into; borrowed */
	svd_archive *a;         /* its archive */
	const char *name, *url; /* borrowed, for messages */
	uint64_t max_bytes;
	git_repository *peer; /* a folder peer's store, opened in place; else NULL */
	git_repository *src;  /* where the items are read: peer, or our store */
	uint64_t bytes;       /* received, or copied from a folder peer */
	int rewritten;
	git_oid main_id; /* the peer's main, when have */
	int have, listed;
	svd_item_list theirs; /* the peer's items */
	char *held;           /* held[i]: our main holds theirs.v[i] as it is */
	svd_tree_item ti;     /* the item last read */
	int has_ti;
	const char *ti_id; /* the id its folder names (theirs.v[i].id) */
};

/* Why a fetch failed, in the user's words: the limits first, then libgit2's message. */
static int fetch_failed(const fetch_watch *w, const char *name, const char *url)
{
	int error;

	if (w->too_big)
		error =
		    svd_error_set(SVD_ETOOBIG,
		                  "peer %s (%s): sent more than %llu bytes, the limit of one sync; "
		                  "nothing was taken (raise the limit if this peer is trusted to "
		                  "be that large)",
		                  name, url, (unsigned long long)w->max_bytes);
	else if (w->timed_out)
		error =
		    svd_error_set(SVD_ERROR,
		                  "peer %s (%s): no progress for %u seconds; gave up, nothing was "
		                  "taken (try again later)",
		                  name, url, w->timeout_s);
	else
		error =
		    svd_error_set(SVD_ERROR,
		                  "peer %s (%s): cannot fetch its main: %s (check the URL and that "
		                  "the peer is up; nothing was taken)",
		                  name, url, git_error_last() ? git_error_last()->message : "?");
	return error;
}

/*
 * Fetch the peer's main into refname. *have is 0 when the peer has no main
 * (an archive with nothing in it yet); then refname is removed, so that a
 * stale quarantine is never taken for the peer's items. *rewritten is 1 when
 * refname held a main of the peer's before and the new one does not descend
 * from it.
 */
static int fetch_main(git_oid *out, int *have, int *rewritten, git_repository *repo,
                      const char *name, const char *url, const char *refname, fetch_watch *w)
{
	git_remote *remote = NULL;
	git_remote_create_options ro;
	git_fetch_options fo;
	const git_remote_head **heads = NULL;
	git_reference *ref = NULL;
	char spec[sizeof(PEER_QUARANTINE) + SVD_FETCH_NAME_MAX + 32];
	char *specs[1] = {spec};
	git_strarray refspecs = {specs, 1};
	size_t nheads = 0, i;
	git_oid before;
	int error = SVD_ERROR, had = 0, descends;

	*have = 0;
	*rewritten = 0;
	if (git_reference_name_to_id(&before, repo, refname) == 0)
		had = 1;
	/* deadlines and a byte cap on the sockets too: see net_stream.c */
	if ((error = svd_net_install()) < 0)
		return error;
	svd_net_limits(w->timeout_s, w->max_bytes);
	if (git_fetch_options_init(&fo, GIT_FETCH_OPTIONS_VERSION) < 0)
		return svd_git_error("cannot set up a fetch");
	snprintf(spec, sizeof(spec), "+" SVD_MAIN_REF ":%s", refname);
	fo.callbacks.transfer_progress = on_transfer;
	fo.callbacks.sideband_progress = on_sideband;
	fo.callbacks.payload = w;
	fo.prune = GIT_FETCH_NO_PRUNE;
	fo.update_fetchhead = 0;
	fo.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE;
	clock_gettime(CLOCK_MONOTONIC, &w->last);

	/*
	 * An anonymous remote that ignores url.*.insteadOf of the store's
	 * config: the peer is the URL given, nothing else (and libgit2 1.5
	 * leaks in that lookup).
	 */
	if (git_remote_create_options_init(&ro, GIT_REMOTE_CREATE_OPTIONS_VERSION) < 0)
		return svd_git_error("cannot set up a remote");
	ro.repository = repo;
	ro.flags = GIT_REMOTE_CREATE_SKIP_INSTEADOF | GIT_REMOTE_CREATE_SKIP_DEFAULT_FETCHSPEC;
	if (git_remote_create_with_opts(&remote, url, &ro) < 0) {
		error =
		    svd_error_set(SVD_EINVALID, "peer %s: %s is not a URL git can fetch from: %s",
		                  name, url, git_error_last() ? git_error_last()->message : "?");
		goto cleanup;
	}
	if (git_remote_connect(remote, GIT_DIRECTION_FETCH, &fo.callbacks, NULL, NULL) < 0 ||
	    git_remote_ls(&heads, &nheads, remote) < 0) {
		error = fetch_failed(w, name, url);
		goto cleanup;
	}
	for (i = 0; i < nheads; i++)
		if (!strcmp(heads[i]->name, SVD_MAIN_REF))
			break;
	if (i == nheads) {
		/* nothing to fetch; forget what an earlier sync left */
		if (git_reference_lookup(&ref, repo, refname) == 0 &&
		    git_reference_delete(ref) < 0) {
			error = svd_git_error("cannot remove an old quarantine ref");
			goto cleanup;
		}
		error = 0;
		goto cleanup;
	}
	if (git_remote_download(remote, &refspecs, &fo) < 0 ||
	    git_remote_update_tips(remote, &fo.callbacks, 0, GIT_REMOTE_DOWNLOAD_TAGS_NONE,
	                           "samvydav: peer sync") < 0) {
		error = fetch_failed(w, name, url);
		goto cleanup;
	}
	if (git_reference_name_to_id(out, repo, refname) < 0) {
		error =
		    svd_git_error("the peer's main was fetched but its quarantine ref is missing");
		goto cleanup;
	}
	/*
	 * Only a note for the operator: when the old commit cannot be read (an
	 * operator's git gc took it), the sync goes on without it.
	 */
	if (had && !git_oid_equal(out, &before)) {
		if ((descends = git_graph_descendant_of(repo, out, &before)) < 0)
			git_error_clear();
		else
			*rewritten = !descends;
	}
	*have = 1;
	error = 0;
cleanup:
	git_reference_free(ref);
	if (remote) {
		git_remote_disconnect(remote);
		git_remote_free(remote);
	}
	return error;
}

static int ref_cmp(const void *a, const void *b)
{
	return strcmp(((const svd_item_ref *)a)->id, ((const svd_item_ref *)b)->id);
}

int svd_fetch_name_check(const char *name)
{
	char refname[sizeof(PEER_QUARANTINE) + SVD_FETCH_NAME_MAX];
	int valid = 0;

	snprintf(refname, sizeof(refname), PEER_QUARANTINE "%s", name);
	if (git_reference_name_is_valid(&valid, refname) < 0 || !valid)
		return svd_error_set(
		    SVD_EINVALID,
		    "peer name '%s' cannot name a git ref (no leading '.', no '..', "
		    "no trailing '.lock'); choose another",
		    name);
	return 0;
}

/* The folder of a peer on this machine (file:///path or /path), or NULL. */
static const char *local_path(const char *url)
{
	const char *p = url[0] == '/' ? url : !strncmp(url, "file://", 7) ? url + 7 : NULL;

	/* %-escapes and the like are left to libgit2's transport */
	return p && p[0] == '/' && !strchr(p, '%') ? p : NULL;
}

/*
 * A peer in a folder on this machine is read in place, not fetched:
 * libgit2's local transport would build a pack for us with a delta search
 * (seconds for a thousand items). Open its store and find its main (*have
 * = 0 when it has none).
 */
static int open_local(git_repository **out, git_oid *main_oid, int *have, const char *name,
                      const char *url, const char *path)
{
	int rc;

	*have = 0;
	if (git_repository_open_ext(
	        out, path, GIT_REPOSITORY_OPEN_NO_SEARCH | GIT_REPOSITORY_OPEN_BARE, NULL) < 0)
		return svd_error_set(SVD_ERROR,
		                     "peer %s (%s): cannot fetch its main: cannot open its store: "
		                     "%s (check the path; nothing was taken)",
		                     name, url, git_error_last() ? git_error_last()->message : "?");
	rc = git_reference_name_to_id(main_oid, *out, SVD_MAIN_REF);
	if (rc == GIT_ENOTFOUND)
		return 0;
	if (rc < 0)
		return svd_error_set(SVD_ERROR, "peer %s (%s): cannot read its main: %s", name, url,
		                     git_error_last() ? git_error_last()->message : "?");
	*have = 1;
	return 0;
}

int svd_fetch_list(svd_fetch *f)
{
	svd_item_list mine = {0};
	git_oid head;
	int has_head = 1;
	unsigned listed = 256; /* the fan-out folder of ours in mine, 256 for none yet */
	size_t i;
	int error;

	if (!f->have || f->listed)
		return 0;
	if ((error = svd_store_list(&f->theirs, f->src, &f->main_id)) < 0) {
		error = svd_error_set(error, "peer %s (%s): its main is not an archive: %s",
		                      f->name, f->url, svd_error_last());
		goto cleanup;
	}
	if ((error = svd_store_head_oid(&head, f->a->repo)) == SVD_ENOTFOUND) {
		svd_error_clear();
		has_head = 0;
		error = 0;
	} else if (error < 0) {
		goto cleanup;
	}
	if (!(f->held = calloc(f->theirs.n + 1, 1))) {
		error = svd_error_set(SVD_ERROR, "out of memory");
		goto cleanup;
	}
	/*
	 * Ours one fan-out folder at a time, the one their item is filed under:
	 * listed whole, ours and theirs together were 192 bytes an item (the
	 * peer's list is in tree order, so each folder of ours is listed once).
	 */
	for (i = 0; i < f->theirs.n && has_head; i++) {
		const svd_item_ref *r = &f->theirs.v[i], *held;
		unsigned fan;

		if (r->misfiled || sscanf(r->fan, "%2x", &fan) != 1 || fan > 255)
			continue;
		if (fan != listed) {
			free(mine.v);
			memset(&mine, 0, sizeof(mine));
			if ((error = svd_store_list_fan(&mine, f->a->repo, &head, fan)) < 0)
				goto cleanup;
			if (mine.n)
				qsort(mine.v, mine.n, sizeof(*mine.v), ref_cmp);
			listed = fan;
		}
		held = mine.n ? bsearch(r, mine.v, mine.n, sizeof(*mine.v), ref_cmp) : NULL;
		f->held[i] = held && !held->misfiled && git_oid_equal(&held->tree, &r->tree);
	}
	f->listed = 1;
cleanup:
	if (error < 0) {
		free(f->theirs.v);
		memset(&f->theirs, 0, sizeof(f->theirs));
		free(f->held);
		f->held = NULL;
	}
	free(mine.v);
	return error;
}

int svd_fetch_open(svd_fetch **out, svd_txn *t, const char *name, const char *url,
                   unsigned timeout_s, uint64_t max_bytes)
{
	svd_archive *a = svd_txn_archive(t);
	char refname[sizeof(PEER_QUARANTINE) + SVD_FETCH_NAME_MAX];
	fetch_watch w = {0};
	const char *local;
	svd_fetch *f;
	int error;

	*out = NULL;
	if (!(f = calloc(1, sizeof(*f))))
		return svd_error_set(SVD_ERROR, "out of memory");
	f->t = t;
	f->a = a;
	f->name = name;
	f->url = url;
	f->max_bytes = max_bytes;
	f->src = a->repo;
	w.max_bytes = max_bytes;
	w.timeout_s = timeout_s;
	snprintf(refname, sizeof(refname), PEER_QUARANTINE "%s", name);
	if ((local = local_path(url))) {
		if ((error = open_local(&f->peer, &f->main_id, &f->have, name, url, local)) < 0)
			goto cleanup;
		f->src = f->peer;
	} else {
		if ((error = fetch_main(&f->main_id, &f->have, &f->rewritten, a->repo, name, url,
		                        refname, &w)) < 0)
			goto cleanup;
		f->bytes = w.bytes;
		svd_pause_point("peer.fetched");
	}
cleanup:
	if (error < 0) {
		svd_fetch_free(f);
		return error;
	}
	*out = f;
	return 0;
}

int svd_fetch_rewritten(const svd_fetch *f)
{
	return f->rewritten;
}

uint64_t svd_fetch_bytes(const svd_fetch *f)
{
	return f->bytes;
}

size_t svd_fetch_count(const svd_fetch *f)
{
	return f->theirs.n;
}

void svd_fetch_item_get(svd_fetch_item *out, const svd_fetch *f, size_t i)
{
	const svd_item_ref *r = &f->theirs.v[i];

	out->id = r->id;
	out->fan = r->fan;
	out->misfiled = r->misfiled;
	out->held = f->held[i];
}

int svd_fetch_read(const svd_entry **entries, size_t *n, svd_fetch *f, size_t i)
{
	int error;

	*entries = NULL;
	*n = 0;
	if (f->has_ti)
		svd_tree_item_clear(&f->ti);
	f->has_ti = 0;
	if ((error = svd_tree_item_read(&f->ti, f->src, &f->theirs.v[i].tree, 1)) < 0)
		return error;
	f->has_ti = 1;
	f->ti_id = f->theirs.v[i].id;
	*entries = f->ti.entries;
	*n = f->ti.n;
	return 0;
}

/*
 * A file of a folder peer's item that our store lacks, copied into the
 * operation's pack from the bytes read here. Those same bytes must hash to
 * the git id the peer's tree names and to the SHA-256 the gate checks, so
 * a folder that changes under us between two reads cannot slip other bytes
 * in. Returns 0, SVD_ECORRUPT (the message says which file and why),
 * SVD_ETOOBIG, or an error.
 */
static int copy_file(svd_fetch *f, svd_stage *sg, git_odb *src, const svd_entry *e,
                     const git_oid *oid)
{
	git_odb_object *obj = NULL;
	unsigned char sha[32];
	git_oid got;
	int error = 0;

	if (git_odb_read(&obj, src, oid) < 0 || git_odb_object_type(obj) != GIT_OBJECT_BLOB) {
		error = svd_error_set(SVD_ECORRUPT, "%s cannot be read back from the peer's store",
		                      e->path);
		goto cleanup;
	}
	f->bytes += git_odb_object_size(obj);
	if (f->bytes > f->max_bytes) {
		error = svd_error_set(SVD_ETOOBIG,
		                      "peer %s (%s): sent more than %llu bytes, the limit of "
		                      "one sync; nothing was taken (raise the limit if this "
		                      "peer is trusted to be that large)",
		                      f->name, f->url, (unsigned long long)f->max_bytes);
		goto cleanup;
	}
	svd_sha256_once(sha, git_odb_object_data(obj), git_odb_object_size(obj));
	if (sodium_memcmp(sha, e->sha256, sizeof(sha)) != 0) {
		error = svd_error_set(SVD_ECORRUPT, "%s changed while it was read", e->path);
		goto cleanup;
	}
	if ((error = svd_stage_add_blob(&got, sg, e->path, git_odb_object_data(obj),
	                                git_odb_object_size(obj))) < 0)
		goto cleanup;
	if (!git_oid_equal(&got, oid))
		error = svd_error_set(
		    SVD_ECORRUPT, "%s is filed under a git id that is not its content's", e->path);
cleanup:
	git_odb_object_free(obj);
	return error;
}

int svd_fetch_stage(svd_fetch *f, const char *source, svd_verdict **verdict)
{
	const svd_tree_item *ti = &f->ti;
	git_odb *src = NULL, *dst = NULL;
	svd_stage *sg = NULL;
	size_t i;
	int error;

	*verdict = NULL;
	if (!f->has_ti)
		return svd_error_set(SVD_EINVALID, "no item of the peer's was read");
	if ((error = svd_stage_begin(&sg, f->t)) < 0)
		return error;
	if (f->peer &&
	    (git_repository_odb(&src, f->peer) < 0 || git_repository_odb(&dst, f->a->repo) < 0)) {
		error = svd_git_error("cannot open an object database");
		goto cleanup;
	}
	for (i = 0; i < ti->n; i++) {
		const svd_entry *e = &ti->entries[i];

		/*
		 * Fetched files are in our store already, read from it; a folder
		 * peer's file that we hold by its git id was read from the peer's
		 * store: the bytes we hold must be the same (SHA-1 alone does not
		 * decide, pack.h).
		 */
		if (!f->peer || e->type != SVD_ENTRY_FILE)
			error = svd_stage_name(sg, e->path, &ti->oids[i]);
		else if (git_odb_exists_ext(dst, &ti->oids[i], GIT_ODB_LOOKUP_NO_REFRESH) == 1)
			error = svd_stage_name_held(sg, e->path, &ti->oids[i]);
		else
			error = copy_file(f, sg, src, e, &ti->oids[i]);
		if (error == SVD_ECORRUPT) {
			/* not as its folder names it: refused before the gate */
			int e2 = svd_stage_abandon(sg, SVD_STAGE_REFUSED);
			if (e2 < 0)
				error = e2;
		}
		if (error < 0)
			goto cleanup;
	}
	/* the gate refuses it unless its folder names it by its manifest's SHA-256 */
	error = svd_stage_finish(sg, f->ti_id, ti->entries, ti->n, source, SVD_CHECK_DROP_BAD_SIGS,
	                         verdict);
cleanup:
	svd_stage_free(sg);
	git_odb_free(src);
	git_odb_free(dst);
	return error;
}

void svd_fetch_free(svd_fetch *f)
{
	if (!f)
		return;
	if (f->has_ti)
		svd_tree_item_clear(&f->ti);
	free(f->theirs.v);
	free(f->held);
	git_repository_free(f->peer);
	free(f);
}
