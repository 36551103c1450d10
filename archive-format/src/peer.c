/*
 * peer.c: syncing with a peer mirror over any git transport (docs/architecture.md,
 * "Peers").
 *
 * The peer's main is fetched into refs/quarantine/<name> of our store,
 * never into main: no history is merged, only items. Every item the peer
 * holds that main lacks, or holds with a different folder (new
 * signatures), is read back from the fetched objects, hashed, and put
 * through the same gate as an item from a bundle; what passes is staged
 * into the caller's operation. The fetched blobs are already in the
 * store's object database, so staging only names them.
 *
 * Limits: the peer may send at most max_bytes, and must make progress
 * every timeout_s seconds while it sends. libgit2 1.5 has no socket
 * timeout (GIT_OPT_SET_SERVER_TIMEOUT came in 1.7), so for git://, http://
 * and https:// peers the TCP connections are our own (net_stream.c): every
 * connect, read and write has the same deadline, and every byte read, the
 * ref advertisement included, counts against max_bytes. A file:// peer is
 * a folder on this machine and has no such limits.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <git2.h>
#include <sodium.h>

#include "archive_internal.h"
#include "net_stream.h"
#include "samvydav/pause.h"
#include "samvydav/peer.h"
#include "sha256.h"
#include "stage.h"
#include "store_internal.h"
#include "util.h"

#define PEER_NAME_MAX        64
#define PEER_URL_MAX         2048
#define PEER_QUARANTINE      "refs/quarantine/"
#define PEER_DEFAULT_BYTES   ((uint64_t)4 << 30)
#define PEER_DEFAULT_TIMEOUT 60

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

static int name_valid(const char *name)
{
	size_t len = name ? strlen(name) : 0;

	return len >= 1 && len <= PEER_NAME_MAX &&
	       strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") ==
	           len;
}

static int url_valid(const char *url)
{
	static const char *const schemes[] = {"file://", "git://", "http://", "https://"};
	size_t i, len = url ? strlen(url) : 0;

	if (len == 0 || len > PEER_URL_MAX)
		return 0;
	for (i = 0; i < len; i++)
		if ((unsigned char)url[i] <= ' ' || url[i] == 0x7f)
			return 0;
	if (url[0] == '/')
		return 1;
	for (i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++) {
		size_t n = strlen(schemes[i]);
		if (!strncmp(url, schemes[i], n) && len > n)
			return 1;
	}
	return 0;
}

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
	char spec[sizeof(PEER_QUARANTINE) + PEER_NAME_MAX + 32];
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

/* Tell the caller about an item refused before the gate could run. */
static int refuse(svd_txn *t, const svd_peer_opts *opts, const char *id, const char *source,
                  const char *file, const char *check, const char *msg, int *stop)
{
	svd_verdict *v = NULL;
	int error;

	svd_txn_note_refused(t);
	if ((error = svd_verdict_new(&v)) < 0 ||
	    (svd_id_valid(id) && (error = svd_verdict_set_id(v, id)) < 0) ||
	    (error = svd_verdict_set_source(v, source)) < 0 ||
	    (error = svd_verdict_add_problem(v, file, check, "%s", msg)) < 0)
		goto cleanup;
	if (opts->item)
		*stop = opts->item(v, opts->payload);
cleanup:
	svd_verdict_free(v);
	return error;
}

/*
 * A peer in a folder on this machine is read in place, not fetched:
 * libgit2's local transport would build a pack for us with a delta search
 * (seconds for a thousand items). Each file of an item the gate is to see
 * is copied into the operation's pack from the bytes read here, and those
 * same bytes must hash to the git id the peer's tree names and to the
 * SHA-256 the gate checked, so a folder that changes under us between two
 * reads cannot slip other bytes in. Returns 0, or SVD_ECORRUPT with *why.
 */
static int copy_files(svd_txn *t, svd_stage *sg, git_repository *from, const svd_tree_item *ti,
                      uint64_t *copied, uint64_t max_bytes, char *why, size_t whylen)
{
	git_odb *src = NULL, *dst = NULL;
	git_odb_object *obj = NULL;
	unsigned char sha[32];
	git_oid got;
	size_t i;
	int error = 0;

	if (git_repository_odb(&src, from) < 0 ||
	    git_repository_odb(&dst, svd_txn_archive(t)->repo) < 0) {
		error = svd_git_error("cannot open an object database");
		goto cleanup;
	}
	for (i = 0; i < ti->n; i++) {
		const svd_entry *e = &ti->entries[i];
		if (e->type != SVD_ENTRY_FILE ||
		    git_odb_exists_ext(dst, &ti->oids[i], GIT_ODB_LOOKUP_NO_REFRESH) == 1) {
			/* in our store already: named, not copied */
			if ((error = svd_stage_name(sg, e->path, &ti->oids[i])) < 0)
				goto cleanup;
			continue;
		}
		git_odb_object_free(obj);
		obj = NULL;
		if (git_odb_read(&obj, src, &ti->oids[i]) < 0 ||
		    git_odb_object_type(obj) != GIT_OBJECT_BLOB) {
			snprintf(why, whylen, "%s cannot be read back from the peer's store",
			         e->path);
			error = SVD_ECORRUPT;
			goto cleanup;
		}
		*copied += git_odb_object_size(obj);
		if (*copied > max_bytes) {
			error = svd_error_set(SVD_ETOOBIG, "more than %llu bytes",
			                      (unsigned long long)max_bytes);
			goto cleanup;
		}
		svd_sha256_once(sha, git_odb_object_data(obj), git_odb_object_size(obj));
		if (sodium_memcmp(sha, e->sha256, sizeof(sha)) != 0) {
			snprintf(why, whylen, "%s changed while it was read", e->path);
			error = SVD_ECORRUPT;
			goto cleanup;
		}
		if ((error = svd_stage_add_blob(&got, sg, e->path, git_odb_object_data(obj),
		                                git_odb_object_size(obj))) < 0)
			goto cleanup;
		if (!git_oid_equal(&got, &ti->oids[i])) {
			snprintf(why, whylen,
			         "%s is filed under a git id that is not its content's", e->path);
			error = SVD_ECORRUPT;
			goto cleanup;
		}
	}
cleanup:
	git_odb_object_free(obj);
	git_odb_free(src);
	git_odb_free(dst);
	return error;
}

/*
 * One item of the peer's main: read from the fetched objects (or from the
 * peer's own store when it is a folder here: local != 0), its id
 * checked against the folder it is filed under, then through the gate.
 * Returns 0 (accepted or refused: *ok says which), or an error.
 */
static int take_item(svd_txn *t, git_repository *repo, uint64_t *copied, const svd_item_ref *r,
                     const char *name, const svd_peer_opts *opts, int *ok, int *stop)
{
	svd_stage *sg = NULL;
	svd_tree_item ti;
	svd_verdict *v = NULL;
	char source[PEER_NAME_MAX + SVD_ID_HEX_LEN + 64], file[SVD_ID_HEX_LEN + 16];
	char hex[SVD_ID_HEX_LEN + 1], msg[256];
	size_t i;
	int error;

	*ok = 0;
	snprintf(source, sizeof(source), "peer %s: items/%s/%.64s", name, r->fan, r->id);
	snprintf(file, sizeof(file), "items/%s/%.64s", r->fan, r->id);
	if (r->misfiled)
		return refuse(t, opts, r->id, source, file, "layout", r->misfiled, stop);
	error = svd_tree_item_read(&ti, repo, &r->tree, 1);
	if (error == SVD_ETOOBIG || error == SVD_ECORRUPT)
		return refuse(t, opts, r->id, source, file, "layout", svd_error_last(), stop);
	if (error < 0)
		return svd_error_set(error, "peer %s: cannot read item %s from what it sent: %s",
		                     name, r->id, svd_error_last());
	/* the gate names an item by its manifest; the folder must say the same */
	for (i = 0; i < ti.n; i++) {
		if (ti.entries[i].type != SVD_ENTRY_FILE ||
		    strcmp(ti.entries[i].path, SVD_MANIFEST_NAME))
			continue;
		svd_hex_encode(hex, ti.entries[i].sha256, 32);
		if (strcmp(hex, r->id)) {
			snprintf(msg, sizeof(msg),
			         "filed under %.64s but its manifest's SHA-256 is %s; an item is "
			         "filed under its id",
			         r->id, hex);
			error = refuse(t, opts, r->id, source, SVD_MANIFEST_NAME, "id", msg, stop);
			goto cleanup;
		}
	}
	if ((error = svd_stage_begin(&sg, t)) < 0)
		goto cleanup;
	if (copied) {
		error = copy_files(t, sg, repo, &ti, copied, opts->max_bytes, msg, sizeof(msg));
		/* a file not as the folder names it: refused (and counted) before the gate */
		if (error == SVD_ECORRUPT && (error = svd_stage_abandon(sg, SVD_STAGE_LOST)) == 0) {
			error = refuse(t, opts, r->id, source, file, "layout", msg, stop);
			goto cleanup;
		}
		if (error < 0)
			goto cleanup;
	} else {
		/* fetched: every file is in our store already */
		for (i = 0; i < ti.n; i++)
			if ((error = svd_stage_name(sg, ti.entries[i].path, &ti.oids[i])) < 0)
				goto cleanup;
	}
	/* staged, or refused and what was copied for it taken back */
	error = svd_stage_finish(sg, ti.entries, ti.n, source, SVD_CHECK_DROP_BAD_SIGS, &v);
	if (error < 0 && error != SVD_ECORRUPT)
		goto cleanup;
	error = 0;
	*ok = v && svd_verdict_ok(v);
	if (v && opts->item)
		*stop = opts->item(v, opts->payload);
cleanup:
	svd_stage_free(sg);
	svd_verdict_free(v);
	svd_tree_item_clear(&ti);
	return error;
}

/* The folder of a peer on this machine (file:///path or /path), or NULL. */
static const char *local_path(const char *url)
{
	const char *p = url[0] == '/' ? url : !strncmp(url, "file://", 7) ? url + 7 : NULL;

	/* %-escapes and the like are left to libgit2's transport */
	return p && p[0] == '/' && !strchr(p, '%') ? p : NULL;
}

/* Open a local peer's store and find its main (*have = 0 when it has none). */
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

int svd_peer_sync(svd_txn *t, const char *name, const char *url, const svd_peer_opts *opts,
                  svd_peer_stats *stats)
{
	svd_archive *a = svd_txn_archive(t);
	svd_peer_opts o = {0};
	svd_peer_stats st = {0};
	svd_item_list mine = {0}, theirs = {0};
	fetch_watch w = {0};
	char refname[sizeof(PEER_QUARANTINE) + PEER_NAME_MAX];
	git_repository *peer = NULL, *src = a->repo;
	const char *local;
	git_oid qoid;
	size_t i;
	int have = 0, valid = 0, stop = 0, error;

	if (opts)
		o = *opts;
	if (!o.max_bytes)
		o.max_bytes = PEER_DEFAULT_BYTES;
	if (!o.timeout_s)
		o.timeout_s = PEER_DEFAULT_TIMEOUT;
	w.max_bytes = o.max_bytes;
	w.timeout_s = o.timeout_s;

	if (!name_valid(name)) {
		error =
		    svd_error_set(SVD_EINVALID,
		                  "peer name '%.80s' is not usable: give 1 to %d letters, digits, "
		                  "'.', '_' or '-'",
		                  name ? name : "", PEER_NAME_MAX);
		goto cleanup;
	}
	snprintf(refname, sizeof(refname), PEER_QUARANTINE "%s", name);
	if (git_reference_name_is_valid(&valid, refname) < 0 || !valid) {
		error =
		    svd_error_set(SVD_EINVALID,
		                  "peer name '%s' cannot name a git ref (no leading '.', no '..', "
		                  "no trailing '.lock'); choose another",
		                  name);
		goto cleanup;
	}
	if (!url_valid(url)) {
		error = svd_error_set(SVD_EINVALID,
		                      "peer %s: '%.200s' is not a peer URL: give file://, git://, "
		                      "http:// or https:// followed by the store's address, or an "
		                      "absolute path",
		                      name, url ? url : "");
		goto cleanup;
	}

	if ((local = local_path(url))) {
		if ((error = open_local(&peer, &qoid, &have, name, url, local)) < 0)
			goto cleanup;
		src = peer;
	} else {
		if ((error = fetch_main(&qoid, &have, &st.rewritten, a->repo, name, url, refname,
		                        &w)) < 0)
			goto cleanup;
		st.bytes = w.bytes;
		svd_pause_point("peer.fetched");
	}
	if (!have)
		goto cleanup;
	if ((error = svd_store_list(&theirs, src, &qoid)) < 0) {
		error = svd_error_set(error, "peer %s (%s): its main is not an archive: %s", name,
		                      url, svd_error_last());
		goto cleanup;
	}
	if ((error = svd_store_list(&mine, a->repo, NULL)) < 0)
		goto cleanup;
	if (mine.n)
		qsort(mine.v, mine.n, sizeof(*mine.v), ref_cmp);

	for (i = 0; i < theirs.n && !stop; i++) {
		const svd_item_ref *r = &theirs.v[i];
		const svd_item_ref *held =
		    r->misfiled || !mine.n ? NULL
		                           : bsearch(r, mine.v, mine.n, sizeof(*mine.v), ref_cmp);
		int ok = 0;

		if (held && !held->misfiled && git_oid_equal(&held->tree, &r->tree))
			continue;
		st.seen++;
		error = take_item(t, src, peer ? &st.bytes : NULL, r, name, &o, &ok, &stop);
		if (error == SVD_ETOOBIG && peer)
			error =
			    svd_error_set(SVD_ETOOBIG,
			                  "peer %s (%s): sent more than %llu bytes, the limit of "
			                  "one sync; nothing was taken (raise the limit if this "
			                  "peer is trusted to be that large)",
			                  name, url, (unsigned long long)o.max_bytes);
		if (error < 0)
			goto cleanup;
		if (ok)
			st.accepted++;
		else
			st.refused++;
	}
	if (stop) {
		error = stop;
		goto cleanup;
	}
	if (st.refused)
		error = svd_error_set(SVD_ECORRUPT,
		                      "peer %s (%s): %zu of %zu new items refused (the rest are "
		                      "staged); the peer holds items this archive does not accept",
		                      name, url, st.refused, st.seen);
cleanup:
	free(mine.v);
	free(theirs.v);
	git_repository_free(peer);
	if (stats)
		*stats = st;
	return error;
}
