/*
 * store_draft.c: drafts and signing (draft.h). A draft is an item being
 * built for the gate: its files streamed from disk into the operation's
 * pack as they are hashed, its manifest and signatures held in memory. It
 * owns a new item made from metadata and source files and signed with the
 * editor's key (svd_txn_add_new), a prepared item signed as well, and an
 * item already in main co-signed (svd_txn_sign). Which files make an item
 * is the caller's: the CLI's, or the ingest of an editor's folders and
 * JSON lines (ingest.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <git2.h>

#include "samvydav/store.h"
#include "archive_internal.h"
#include "draft.h"
#include "sha256.h"
#include "stage.h"
#include "store_internal.h"
#include "util.h"

#define READ_CHUNK (256 * 1024)

void svd_draft_clear(svd_draft *d)
{
	size_t i;

	for (i = 0; i < d->nowned; i++)
		free(d->owned[i]);
	free(d->owned);
	free(d->entries);
	memset(d, 0, sizeof(*d));
}

static int draft_own(svd_draft *d, char *p)
{
	if (!p)
		return svd_error_set(SVD_ERROR, "out of memory");
	if (svd_grow(&d->owned, &d->capowned, d->nowned + 1, sizeof(*d->owned), 16) < 0) {
		free(p);
		return SVD_ERROR;
	}
	d->owned[d->nowned++] = p;
	return 0;
}

int svd_draft_push(svd_draft *d, const char *path, svd_entry **out)
{
	char *copy = svd_strdup(path);
	int error;

	if ((error = draft_own(d, copy)) < 0)
		return error;
	if ((error = svd_grow(&d->entries, &d->cap, d->n + 1, sizeof(*d->entries), 8)) < 0)
		return error;
	*out = &d->entries[d->n];
	memset(*out, 0, sizeof(**out));
	(*out)->path = copy;
	d->n++;
	return 0;
}

/* An in-memory file (manifest, signature): hashed, kept, and written as a blob. */
int svd_draft_add_bytes(svd_draft *d, svd_stage *sg, const char *path, const char *data, size_t len)
{
	svd_entry *e;
	char *copy;
	int error;

	if ((error = svd_draft_push(d, path, &e)) < 0)
		return error;
	if (!(copy = malloc(len + 1)))
		return svd_error_set(SVD_ERROR, "out of memory");
	memcpy(copy, data, len);
	copy[len] = '\0';
	if ((error = draft_own(d, copy)) < 0)
		return error;
	e->type = SVD_ENTRY_FILE;
	e->size = len;
	e->data = copy;
	e->data_len = len;
	svd_sha256_once(e->sha256, data, len);
	return svd_stage_add(sg, path, data, len);
}

/*
 * A payload file from disk: streamed into the pack while its SHA-256 is
 * computed, in one read. An editor's own files (follow) may be links, and
 * anything but a regular file among them is refused unread
 * (svd_file_open_regular); in a prepared item, which may come from
 * anywhere, links and special files are listed for the gate to refuse,
 * never followed nor read.
 */
int svd_draft_add_file(svd_draft *d, svd_stage *sg, const char *name, const char *path, int follow,
                       uint64_t *bytes)
{
	svd_entry *e;
	struct stat st;
	svd_sha256 h;
	uint8_t *buf = NULL;
	uint64_t got = 0;
	int fd, fl, error;

	if ((error = svd_draft_push(d, name, &e)) < 0)
		return error;
	/* SVD_EINVALID, as for any other argument: SVD_ECORRUPT says the gate refused the item */
	if (follow && (error = svd_file_open_regular(&fd, &st, path, 0)) < 0)
		return error == SVD_ECORRUPT ? SVD_EINVALID : error;
	/*
	 * A prepared item's: what lstat shows is no regular file is listed
	 * unopened (the open of a device may act); the open never blocks on a
	 * FIFO put in its place meanwhile, nor opens a socket (ENXIO).
	 */
	if (!follow && lstat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
		e->type = S_ISDIR(st.st_mode) ? SVD_ENTRY_DIR : SVD_ENTRY_OTHER;
		return 0;
	}
	if (!follow &&
	    (fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | O_NOFOLLOW)) < 0) {
		if (errno == ELOOP || errno == ENXIO) {
			e->type = SVD_ENTRY_OTHER;
			return 0;
		}
		return svd_error_set(errno == ENOENT ? SVD_ENOTFOUND : SVD_ERROR,
		                     "%s: cannot open: %s", path, strerror(errno));
	}
	if (!follow && fstat(fd, &st) < 0) {
		error = svd_error_set(SVD_ERROR, "%s: cannot stat: %s", path, strerror(errno));
		goto cleanup;
	}
	if (!S_ISREG(st.st_mode)) {
		e->type = S_ISDIR(st.st_mode) ? SVD_ENTRY_DIR : SVD_ENTRY_OTHER;
		error = 0;
		goto cleanup;
	}
	if (!follow &&
	    ((fl = fcntl(fd, F_GETFL)) < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0)) {
		error = svd_error_set(SVD_ERROR, "%s: %s", path, strerror(errno));
		goto cleanup;
	}
	if ((uint64_t)st.st_size > SVD_FILE_MAX_SIZE) {
		error = svd_error_set(SVD_ETOOBIG,
		                      "%s: %lld bytes, over the limit of %llu per file", path,
		                      (long long)st.st_size, (unsigned long long)SVD_FILE_MAX_SIZE);
		goto cleanup;
	}
	if (!(buf = malloc(READ_CHUNK))) {
		error = svd_error_set(SVD_ERROR, "out of memory");
		goto cleanup;
	}
	svd_sha256_init(&h);
	if ((error = svd_stage_file_begin(sg, name, (uint64_t)st.st_size)) < 0)
		goto cleanup;
	while (got < (uint64_t)st.st_size) {
		size_t want = (uint64_t)st.st_size - got < READ_CHUNK
		                  ? (size_t)((uint64_t)st.st_size - got)
		                  : READ_CHUNK;
		ssize_t r = read(fd, buf, want);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			error = svd_error_set(SVD_ERROR, "%s: %s", path,
			                      r < 0 ? strerror(errno)
			                            : "the file shrank while it was read");
			goto cleanup;
		}
		svd_sha256_update(&h, buf, (size_t)r);
		if ((error = svd_stage_file_write(sg, buf, (size_t)r)) < 0)
			goto cleanup;
		got += (uint64_t)r;
	}
	if ((error = svd_stage_file_end(sg)) < 0)
		goto cleanup;
	svd_sha256_final(&h, e->sha256);
	e->type = SVD_ENTRY_FILE;
	e->size = got;
	*bytes += got;
cleanup:
	free(buf);
	close(fd);
	return error;
}

int svd_draft_sig_path(char *out, size_t size, const char *keyid)
{
	return snprintf(out, size, "%s/%s.minisig", SVD_SIG_DIR, keyid) >= (int)size ? -1 : 0;
}

/* Does the draft already hold a signature by this key? */
static int draft_has_sig(const svd_draft *d, const char *keyid)
{
	char path[64];
	size_t i;

	svd_draft_sig_path(path, sizeof(path), keyid);
	for (i = 0; i < d->n; i++)
		if (!strcmp(d->entries[i].path, path))
			return 1;
	return 0;
}

/* Sign manifest bytes and add the signature file to the draft. */
static int draft_sign(svd_draft *d, svd_stage *sg, const svd_seckey *sk, const char *bytes,
                      size_t len, const char *id)
{
	char comment[256], path[64];
	svd_sig *sig = NULL;
	char *text = NULL;
	size_t text_len;
	int error;

	snprintf(comment, sizeof(comment), "timestamp:%lld\tfile:%s\titem:%s\thashed",
	         (long long)time(NULL), SVD_MANIFEST_NAME, id);
	svd_draft_sig_path(path, sizeof(path), svd_seckey_id(sk));
	if ((error = svd_sig_create(&sig, sk, bytes, len, comment, NULL)) == 0 &&
	    (error = svd_sig_format(&text, &text_len, sig)) == 0)
		error = svd_draft_add_bytes(d, sg, path, text, text_len);
	free(text);
	svd_sig_free(sig);
	return error;
}

/*
 * Sign, unless main already holds this key's signature of this item: then
 * that signature is taken as it is. Adding the same item twice is then no
 * change at all, where a new signature (another timestamp in its trusted
 * comment) would be a second one by the same key, and a commit.
 */
static int draft_sign_once(svd_txn *t, svd_draft *d, svd_stage *sg, const svd_seckey *sk,
                           const char *bytes, size_t len, const char *id)
{
	git_repository *repo = svd_txn_archive(t)->repo;
	git_oid item;
	git_tree *tree = NULL;
	git_tree_entry *e = NULL;
	git_blob *blob = NULL;
	char path[64];
	int error;

	svd_draft_sig_path(path, sizeof(path), svd_seckey_id(sk));
	if (svd_txn_base_item(&item, t, id) < 0 || git_tree_lookup(&tree, repo, &item) < 0 ||
	    git_tree_entry_bypath(&e, tree, path) < 0 ||
	    git_blob_lookup(&blob, repo, git_tree_entry_id(e)) < 0 ||
	    git_blob_rawsize(blob) > 4096) {
		git_error_clear();
		svd_error_clear();
		error = draft_sign(d, sg, sk, bytes, len, id);
	} else {
		error = svd_draft_add_bytes(d, sg, path, (const char *)git_blob_rawcontent(blob),
		                            (size_t)git_blob_rawsize(blob));
	}
	git_blob_free(blob);
	git_tree_entry_free(e);
	git_tree_free(tree);
	return error;
}

/*
 * A prepared item signed with sk as well: what its manifest says, if it is
 * one and sk has not signed it yet; the gate judges the rest.
 */
int svd_draft_sign_manifest(svd_txn *t, svd_draft *d, svd_stage *sg, const svd_seckey *sk)
{
	const svd_entry *m = NULL;
	svd_manifest *man = NULL;
	size_t i;
	int error = 0;

	for (i = 0; i < d->n; i++)
		if (!strcmp(d->entries[i].path, SVD_MANIFEST_NAME))
			m = &d->entries[i];
	if (m && m->data && svd_manifest_parse(&man, m->data, m->data_len) == 0 &&
	    !draft_has_sig(d, svd_seckey_id(sk))) {
		if (!svd_trust_find(svd_txn_admission(t), svd_seckey_id(sk)))
			error = svd_error_set(SVD_EUNTRUSTED,
			                      "key %s is not trusted in this archive; "
			                      "trust its public key first "
			                      "('samvydav trust add KEY.pub')",
			                      svd_seckey_id(sk));
		else
			error = draft_sign(d, sg, sk, m->data, m->data_len, svd_manifest_id(man));
	}
	svd_manifest_free(man);
	return error;
}

int svd_txn_add_new_from(svd_txn *t, svd_manifest *m, const svd_source_file *files, size_t n,
                         const svd_seckey *sk, const char *source, svd_verdict **verdict)
{
	svd_stage *sg = NULL;
	svd_draft d = {0};
	const char *bytes;
	uint64_t payload = 0; /* bytes read from files */
	size_t i, len;
	int error;

	if (verdict)
		*verdict = NULL;
	/* trusted here, or certified by roots (the gate checks the whole key) */
	if (!svd_trust_find(svd_txn_admission(t), svd_seckey_id(sk)))
		return svd_error_set(SVD_EUNTRUSTED,
		                     "key %s is not trusted in this archive, so what it signs "
		                     "would be refused; trust its public key first "
		                     "('samvydav trust add KEY.pub')",
		                     svd_seckey_id(sk));
	for (i = 0; i < n; i++) {
		if (svd_manifest_check_path(files[i].name) < 0)
			return svd_error_set(SVD_EINVALID, "%s: %s", source, svd_error_last());
	}
	if ((error = svd_stage_begin(&sg, t)) < 0)
		return error;
	for (i = 0; i < n; i++) {
		if ((error =
		         svd_draft_add_file(&d, sg, files[i].name, files[i].path, 1, &payload)) < 0)
			goto cleanup;
		if (d.entries[d.n - 1].type != SVD_ENTRY_FILE) {
			error = svd_error_set(SVD_EINVALID, "%s: %s: not a regular file", source,
			                      files[i].path);
			goto cleanup;
		}
		if ((error = svd_manifest_add_file(m, files[i].name, d.entries[d.n - 1].size,
		                                   d.entries[d.n - 1].sha256)) < 0) {
			error = svd_error_set(error, "%s: %s", source, svd_error_last());
			goto cleanup;
		}
	}
	if (!svd_manifest_get(m, "created")) {
		char now[32];
		time_t tt = time(NULL);
		struct tm tm;
		gmtime_r(&tt, &tm);
		strftime(now, sizeof(now), "%Y-%m-%dT%H:%M:%SZ", &tm);
		if ((error = svd_manifest_set(m, "created", now)) < 0)
			goto cleanup;
	}
	if ((error = svd_manifest_serialize(m)) < 0) {
		error = svd_error_set(error, "%s: %s", source, svd_error_last());
		goto cleanup;
	}
	bytes = svd_manifest_bytes(m, &len);
	if ((error = svd_draft_add_bytes(&d, sg, SVD_MANIFEST_NAME, bytes, len)) < 0 ||
	    (error = draft_sign_once(t, &d, sg, sk, bytes, len, svd_manifest_id(m))) < 0)
		goto cleanup;
	error =
	    svd_stage_finish(sg, NULL, d.entries, d.n, source, SVD_CHECK_DROP_BAD_SIGS, verdict);
cleanup:
	svd_stage_free(sg); /* an item that did not reach the gate leaves nothing in the pack */
	svd_txn_note_bytes(t, payload);
	svd_draft_clear(&d);
	return error;
}

int svd_txn_add_new(svd_txn *t, svd_manifest *m, const svd_source_file *files, size_t n,
                    const svd_seckey *sk, svd_verdict **verdict)
{
	return svd_txn_add_new_from(t, m, files, n, sk, "new item", verdict);
}

int svd_txn_add_signed(svd_txn *t, const svd_manifest *m, const svd_sig *const *sigs, size_t n,
                       const char *source, svd_verdict **verdict)
{
	svd_stage *sg = NULL;
	svd_draft d = {0};
	const char *bytes;
	char *text = NULL, path[64];
	size_t len, tlen, i;
	int error;

	if (verdict)
		*verdict = NULL;
	if (!m || !(bytes = svd_manifest_bytes(m, &len)))
		return svd_error_set(SVD_EINVALID, "%s: a manifest without its bytes", source);
	if (svd_manifest_file_count(m) > 0)
		return svd_error_set(SVD_EINVALID,
		                     "%s: item %s lists payload files; add it from its folder",
		                     source, svd_manifest_id(m));
	if ((error = svd_stage_begin(&sg, t)) < 0 ||
	    (error = svd_draft_add_bytes(&d, sg, SVD_MANIFEST_NAME, bytes, len)) < 0)
		goto cleanup;
	for (i = 0; i < n; i++) {
		if (draft_has_sig(&d, svd_sig_keyid(sigs[i]))) {
			error = svd_error_set(SVD_EINVALID, "%s: two signatures by key %s", source,
			                      svd_sig_keyid(sigs[i]));
			goto cleanup;
		}
		svd_draft_sig_path(path, sizeof(path), svd_sig_keyid(sigs[i]));
		if ((error = svd_sig_format(&text, &tlen, sigs[i])) < 0 ||
		    (error = svd_draft_add_bytes(&d, sg, path, text, tlen)) < 0)
			goto cleanup;
		free(text);
		text = NULL;
	}
	error =
	    svd_stage_finish(sg, NULL, d.entries, d.n, source, SVD_CHECK_DROP_BAD_SIGS, verdict);
cleanup:
	svd_stage_free(sg); /* an item that did not reach the gate leaves nothing in the pack */
	svd_draft_clear(&d);
	free(text);
	return error;
}

int svd_txn_sign(svd_txn *t, const char *id, const svd_seckey *sk, const svd_sig *sig,
                 const svd_pubkey *pk)
{
	svd_archive *a = svd_txn_archive(t);
	svd_stage *sg = NULL;
	svd_tree_item ti = {0};
	svd_sig *made = NULL;
	svd_pubkey *own = NULL;
	const svd_pubkey *key;
	const svd_entry *m = NULL;
	svd_verdict *v = NULL;
	svd_draft d = {0};
	git_oid tree;
	char *text = NULL, comment[256];
	size_t len, i;
	int error;

	if ((!sk) == (!sig))
		return svd_error_set(SVD_EINVALID,
		                     "sign with a key or attach a signature, not both");
	if (svd_txn_is_staged(t, id))
		return svd_error_set(
		    SVD_EINVALID, "item %s was added in this same operation; commit it, then sign",
		    id);
	if (svd_txn_base_item(&tree, t, id) < 0)
		return svd_error_set(SVD_ENOTFOUND, "no item %s in the archive", id);
	if ((error = svd_stage_begin(&sg, t)) < 0 ||
	    (error = svd_tree_item_read(&ti, a->repo, &tree, 1)) < 0)
		goto cleanup;
	for (i = 0; i < ti.n; i++)
		if (!strcmp(ti.entries[i].path, SVD_MANIFEST_NAME))
			m = &ti.entries[i];
	if (!m || !m->data) {
		error = svd_error_set(SVD_ECORRUPT, "item %s has no readable manifest.json", id);
		goto cleanup;
	}
	if (sk) {
		snprintf(comment, sizeof(comment), "timestamp:%lld\tfile:%s\titem:%s\thashed",
		         (long long)time(NULL), SVD_MANIFEST_NAME, id);
		if ((error = svd_sig_create(&made, sk, m->data, m->data_len, comment, NULL)) < 0 ||
		    (error = svd_seckey_pubkey(&own, sk)) < 0)
			goto cleanup;
		sig = made;
	}
	/* check the new signature by itself first, so an untrusted one is checked too */
	key = svd_trust_find(a->trust, svd_sig_keyid(sig));
	if (!key)
		key = own ? own : pk;
	if (!key) {
		error = svd_error_set(SVD_EUNTRUSTED,
		                      "the signature is by key %s, which is not trusted here, so "
		                      "it cannot be checked; give that key's public key file too",
		                      svd_sig_keyid(sig));
		goto cleanup;
	}
	if ((error = svd_sig_verify(sig, key, m->data, m->data_len)) < 0)
		goto cleanup;

	/* the item as it is (its blobs are in the store), plus the new signature, through
	 * the gate once more */
	for (i = 0; i < ti.n; i++) {
		svd_entry *e;
		if ((error = svd_draft_push(&d, ti.entries[i].path, &e)) < 0 ||
		    (error = svd_stage_name(sg, ti.entries[i].path, &ti.oids[i])) < 0)
			goto cleanup;
		*e = ti.entries[i];
		e->path = d.owned[d.nowned - 1];
	}
	if (draft_has_sig(&d, svd_sig_keyid(sig))) {
		error = svd_error_set(SVD_EEXISTS, "item %s is signed by key %s already", id,
		                      svd_sig_keyid(sig));
		goto cleanup;
	}
	{
		char path[64];
		svd_draft_sig_path(path, sizeof(path), svd_sig_keyid(sig));
		if ((error = svd_sig_format(&text, &len, sig)) < 0 ||
		    (error = svd_draft_add_bytes(&d, sg, path, text, len)) < 0)
			goto cleanup;
		/* its key beside it, so that every mirror can check it (SPEC 2) */
		free(text);
		text = NULL;
		snprintf(path, sizeof(path), "%s/%s.pub", SVD_SIG_DIR, svd_sig_keyid(sig));
		if ((error = svd_pubkey_format(&text, &len, key)) < 0 ||
		    (error = svd_draft_add_bytes(&d, sg, path, text, len)) < 0)
			goto cleanup;
	}
	error = svd_stage_finish(sg, id, d.entries, d.n, id, SVD_CHECK_DROP_BAD_SIGS, &v);
cleanup:
	svd_stage_free(sg); /* a signature that did not reach the gate leaves nothing in the pack */
	svd_verdict_free(v);
	svd_draft_clear(&d);
	svd_tree_item_clear(&ti);
	svd_sig_free(made);
	svd_pubkey_free(own);
	free(text);
	return error;
}
