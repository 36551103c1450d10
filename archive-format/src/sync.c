/*
 * sync.c: syncing with a peer mirror (peer.h; docs/architecture.md,
 * "Peers"): which of a peer's items to take, what is refused before the
 * gate, the counts and what the caller is told.
 *
 * The store does the reading (fetch.h, store_fetch.c: the peer's main
 * fetched into refs/quarantine/<name>, or a folder peer opened in place;
 * its items listed, read back and staged), so nothing here knows git. No
 * history is merged, only items: every item the peer holds that main
 * lacks, or holds with a different folder (new signatures), is checked
 * against the folder it is filed under and put through the same gate as an
 * item from a bundle; what passes is staged into the caller's operation.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "samvydav/peer.h"
#include "fetch.h"
#include "stage.h"
#include "util.h"

#define PEER_URL_MAX         2048
#define PEER_DEFAULT_BYTES   ((uint64_t)4 << 30)
#define PEER_DEFAULT_TIMEOUT 60

static int name_valid(const char *name)
{
	size_t len = name ? strlen(name) : 0;

	return len >= 1 && len <= SVD_FETCH_NAME_MAX &&
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

/* Tell the caller about an item refused before the gate could run. */
static int refuse(const svd_peer_opts *opts, const char *id, const char *source, const char *file,
                  const char *check, const char *msg, int *stop)
{
	svd_verdict *v = NULL;
	int error;

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
 * One item of the peer's main: read back, then staged through the gate,
 * which checks its id against the folder it is filed under. Returns 0
 * (accepted or refused: *ok says which), or an error.
 */
static int take_item(svd_txn *t, svd_fetch *f, size_t k, const svd_fetch_item *it, const char *name,
                     const svd_peer_opts *opts, int defer, int *ok, int *stop)
{
	const svd_entry *entries;
	svd_verdict *v = NULL;
	char source[SVD_FETCH_NAME_MAX + SVD_ID_HEX_LEN + 64], file[SVD_ID_HEX_LEN + 16];
	char msg[256];
	size_t n;
	int error;

	*ok = 0;
	snprintf(source, sizeof(source), "peer %s: items/%s/%.64s", name, it->fan, it->id);
	snprintf(file, sizeof(file), "items/%s/%.64s", it->fan, it->id);
	if (it->misfiled) {
		svd_txn_note_refused(t);
		return refuse(opts, it->id, source, file, "layout", it->misfiled, stop);
	}
	error = svd_fetch_read(&entries, &n, f, k);
	if (error == SVD_ETOOBIG || error == SVD_ECORRUPT) {
		svd_txn_note_refused(t);
		return refuse(opts, it->id, source, file, "layout", svd_error_last(), stop);
	}
	if (error < 0)
		return svd_error_set(error, "peer %s: cannot read item %s from what it sent: %s",
		                     name, it->id, svd_error_last());
	/* the gate checks that its manifest's SHA-256 is the id its folder names */
	error = svd_fetch_stage(f, source, &v);
	if (error == SVD_ECORRUPT && !v) {
		/* a file not as its folder names it (counted as refused by the store) */
		snprintf(msg, sizeof(msg), "%s", svd_error_last());
		return refuse(opts, it->id, source, file, "layout", msg, stop);
	}
	if (error < 0 && error != SVD_ECORRUPT)
		goto cleanup;
	error = 0;
	*ok = v && svd_verdict_ok(v);
	if (v && !*ok && defer && svd_verdict_sound(v)) {
		*ok = -1; /* refused for trust alone: tried again after the statements (defer) */
		goto cleanup;
	}
	if (*ok && svd_verdict_manifest(v) &&
	    svd_manifest_kind(svd_verdict_manifest(v)) == SVD_KIND_CERTIFICATE)
		*ok = 2;
	if (v && opts->item)
		*stop = opts->item(v, opts->payload);
cleanup:
	svd_verdict_free(v);
	return error;
}

int svd_peer_sync(svd_txn *t, const char *name, const char *url, const svd_peer_opts *opts,
                  svd_peer_stats *stats)
{
	svd_peer_opts o = {0};
	svd_peer_stats st = {0};
	svd_fetch *f = NULL;
	uint8_t *deferred = NULL; /* per listed item: refused for trust alone, tried again */
	size_t i, pass, ndeferred = 0;
	int stop = 0, error;

	if (opts)
		o = *opts;
	if (!o.max_bytes)
		o.max_bytes = PEER_DEFAULT_BYTES;
	if (!o.timeout_s)
		o.timeout_s = PEER_DEFAULT_TIMEOUT;

	if (!name_valid(name)) {
		error =
		    svd_error_set(SVD_EINVALID,
		                  "peer name '%.80s' is not usable: give 1 to %d letters, digits, "
		                  "'.', '_' or '-'",
		                  name ? name : "", SVD_FETCH_NAME_MAX);
		goto cleanup;
	}
	if ((error = svd_fetch_name_check(name)) < 0)
		goto cleanup;
	if (!url_valid(url)) {
		error = svd_error_set(SVD_EINVALID,
		                      "peer %s: '%.200s' is not a peer URL: give file://, git://, "
		                      "http:// or https:// followed by the store's address, or an "
		                      "absolute path",
		                      name, url ? url : "");
		goto cleanup;
	}
	if ((error = svd_fetch_open(&f, t, name, url, o.timeout_s, o.max_bytes)) < 0)
		goto cleanup;
	st.rewritten = svd_fetch_rewritten(f);
	if ((error = svd_fetch_list(f)) < 0)
		goto cleanup;
	for (i = 0; i < svd_trust_count(svd_txn_trust(t)); i++)
		if (svd_trust_role(svd_txn_trust(t), i) & SVD_TRUST_ROOT)
			break;
	if (i < svd_trust_count(svd_txn_trust(t)) &&
	    !(deferred = calloc(svd_fetch_count(f) + 1, 1))) {
		error = svd_error_set(SVD_ERROR, "out of memory");
		goto cleanup;
	}

	/*
	 * Items come in id order, a certificate perhaps after the items of the
	 * editor it certifies: an item refused for trust alone is tried again
	 * once the rest is staged, when a certificate came in meanwhile.
	 */
	for (pass = 0; pass < 2 && !stop; pass++) {
		for (i = 0; i < svd_fetch_count(f) && !stop; i++) {
			svd_fetch_item it;
			int ok = 0;

			if (pass == 1 && (!deferred || !deferred[i]))
				continue;
			svd_fetch_item_get(&it, f, i);
			if (it.held)
				continue;
			if (pass == 0)
				st.seen++;
			if ((error = take_item(t, f, i, &it, name, &o,
			                       pass == 0 && deferred != NULL, &ok, &stop)) < 0)
				goto cleanup;
			if (ok == -1) {
				deferred[i] = 1;
				ndeferred++;
				continue;
			}
			if (ok)
				st.accepted++;
			else
				st.refused++;
		}
		if (!ndeferred)
			break;
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
	if (f)
		st.bytes = svd_fetch_bytes(f);
	svd_fetch_free(f);
	free(deferred);
	if (stats)
		*stats = st;
	return error;
}
