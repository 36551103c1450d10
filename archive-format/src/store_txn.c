/*
 * store_txn.c: adding to the store. One operation stages items into one
 * pack, then writes the trees and one commit, and moves main last.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <git2.h>
#include <jansson.h>
#include <sodium.h>

#include "samvydav/pause.h"
#include "samvydav/store.h"
#include "archive_internal.h"
#include "pack.h"
#include "sha256.h"
#include "stage.h"
#include "store_internal.h"
#include "util.h"

#define READ_CHUNK     (256 * 1024)
#define JSONL_LINE_MAX (1024 * 1024)
#define MESSAGE_ITEMS  50 /* items named in a commit message */
#define TITLE_IN_LOG   72 /* bytes of a title in a commit message */
#define META_NAME      "meta.json"
#define SIDE_SIG_NAME  "manifest.json.minisig"
#define ITEM_DIR_MAX   (SVD_ITEM_MAX_FILES + 16) /* entries read from one item folder */

typedef struct staged {
	char id[SVD_ID_HEX_LEN + 1];
	git_oid tree;
	int is_new;           /* 1 new item, 0 co-signed */
	svd_tree_entry *sigs; /* its signature files; names owned */
	size_t nsigs;
} staged;

struct svd_txn {
	svd_archive *a;
	svd_packw *pw;
	git_oid base; /* main when the operation began */
	int has_base;
	git_tree *items; /* base's items/ (NULL if none) */
	staged *v;
	size_t n, cap;
	size_t *slots; /* open-addressing index of v by id: index + 1, 0 = empty */
	size_t nslots; /* a power of two, at least twice n */
	/* the first items staged, named in the commit message (the rest only counted) */
	struct {
		char id[SVD_ID_HEX_LEN + 1];
		char *title;
		int is_new;
	} shown[MESSAGE_ITEMS];
	size_t nshown;
	char **keyids; /* signers named in the commit message */
	size_t nkeyids;
	svd_txn_stats stats;
	int staging; /* an item is being staged (stage.h) */
	int committed;
};

/*
 * A writer killed while moving main leaves libgit2's lock file behind
 * (refs/heads/main.lock), and every later update would fail on it. Only a
 * holder of the archive's lock moves main, and we hold it now: a lock file
 * there is a dead writer's, and goes.
 */
static int clean_ref_locks(svd_archive *a)
{
	static const char *const names[] = {SVD_MAIN_REF ".lock", "packed-refs.lock"};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char *p = svd_path_join(a->store_path, names[i]);
		if (!p)
			return SVD_ERROR;
		if (unlink(p) < 0 && errno != ENOENT) {
			svd_error_set(SVD_ERROR, "%s: a stale lock that cannot be removed: %s", p,
			              strerror(errno));
			free(p);
			return SVD_ERROR;
		}
		free(p);
	}
	return 0;
}

int svd_txn_begin(svd_txn **out, svd_archive *a)
{
	svd_txn *t;
	int error;

	*out = NULL;
	if ((error = svd_archive_lock(a)) < 0)
		return error;
	if (!(t = calloc(1, sizeof(*t)))) {
		svd_archive_unlock(a);
		return svd_error_set(SVD_ERROR, "out of memory");
	}
	t->a = a;
	error = svd_store_head_oid(&t->base, a->repo);
	if (error == 0) {
		t->has_base = 1;
		error = svd_store_items_tree(&t->items, a->repo, &t->base);
	} else if (error == SVD_ENOTFOUND) {
		error = 0;
	}
	/* we hold the lock: any temporary pack of ours is a crashed writer's */
	if (error == 0)
		error = svd_packw_clean(a->repo);
	if (error == 0)
		error = clean_ref_locks(a);
	if (error == 0)
		error = svd_packw_new(&t->pw, a->repo);
	if (error < 0) {
		svd_txn_free(t);
		return error;
	}
	*out = t;
	return 0;
}

const svd_txn_stats *svd_txn_stats_get(const svd_txn *t)
{
	return &t->stats;
}

static int note_signer(svd_txn *t, const char *keyid)
{
	size_t i;
	char **p;

	for (i = 0; i < t->nkeyids; i++)
		if (!strcmp(t->keyids[i], keyid))
			return 0;
	if (!(p = realloc(t->keyids, (t->nkeyids + 1) * sizeof(*p))))
		return svd_error_set(SVD_ERROR, "out of memory");
	t->keyids = p;
	if (!(p[t->nkeyids] = svd_strdup(keyid)))
		return SVD_ERROR;
	t->nkeyids++;
	return 0;
}

/* Ids are SHA-256 in hex: their first 16 digits are as good a hash as any. */
static size_t id_hash(const char *id)
{
	uint8_t b[8];
	uint64_t h = 0;
	size_t i;

	svd_hex_decode(b, sizeof(b), id);
	for (i = 0; i < sizeof(b); i++)
		h = h << 8 | b[i];
	return (size_t)h;
}

static staged *find_staged(svd_txn *t, const char *id)
{
	size_t i;

	if (!t->nslots)
		return NULL;
	for (i = id_hash(id) & (t->nslots - 1); t->slots[i]; i = (i + 1) & (t->nslots - 1))
		if (!strcmp(t->v[t->slots[i] - 1].id, id))
			return &t->v[t->slots[i] - 1];
	return NULL;
}

/* Index v[k] by its id; the table doubles to stay at most half full. */
static int index_staged(svd_txn *t, size_t k)
{
	size_t i, j;

	if (2 * (t->n + 1) > t->nslots) {
		size_t nslots = t->nslots ? t->nslots * 2 : 1024;
		size_t *slots = calloc(nslots, sizeof(*slots));
		if (!slots)
			return svd_error_set(SVD_ERROR, "out of memory");
		free(t->slots);
		t->slots = slots;
		t->nslots = nslots;
		for (j = 0; j < t->n; j++) {
			if (j == k)
				continue;
			for (i = id_hash(t->v[j].id) & (nslots - 1); slots[i];
			     i = (i + 1) & (nslots - 1))
				;
			slots[i] = j + 1;
		}
	}
	for (i = id_hash(t->v[k].id) & (t->nslots - 1); t->slots[i]; i = (i + 1) & (t->nslots - 1))
		;
	t->slots[i] = k + 1;
	return 0;
}

/*
 * Entries of an item being staged, for the gate. Files are streamed into
 * the pack (stage.h, which keeps each blob's id) as they are hashed, once.
 */
typedef struct draft {
	svd_entry *entries;
	size_t n, cap;
	char **owned; /* strings and buffers the entries point into */
	size_t nowned, capowned;
} draft;

static void draft_clear(draft *d)
{
	size_t i;

	for (i = 0; i < d->nowned; i++)
		free(d->owned[i]);
	free(d->owned);
	free(d->entries);
	memset(d, 0, sizeof(*d));
}

static int draft_own(draft *d, char *p)
{
	if (!p)
		return svd_error_set(SVD_ERROR, "out of memory");
	if (d->nowned == d->capowned) {
		size_t ncap = d->capowned ? d->capowned * 2 : 16;
		char **q = realloc(d->owned, ncap * sizeof(*q));
		if (!q) {
			free(p);
			return svd_error_set(SVD_ERROR, "out of memory");
		}
		d->owned = q;
		d->capowned = ncap;
	}
	d->owned[d->nowned++] = p;
	return 0;
}

static int draft_push(draft *d, const char *path, svd_entry **out)
{
	char *copy = svd_strdup(path);
	int error;

	if ((error = draft_own(d, copy)) < 0)
		return error;
	if (d->n == d->cap) {
		size_t ncap = d->cap ? d->cap * 2 : 8;
		svd_entry *e = realloc(d->entries, ncap * sizeof(*e));
		if (!e)
			return svd_error_set(SVD_ERROR, "out of memory");
		d->entries = e;
		d->cap = ncap;
	}
	*out = &d->entries[d->n];
	memset(*out, 0, sizeof(**out));
	(*out)->path = copy;
	d->n++;
	return 0;
}

/* An in-memory file (manifest, signature): hashed, kept, and written as a blob. */
static int draft_add_bytes(draft *d, svd_stage *sg, const char *path, const char *data, size_t len)
{
	svd_entry *e;
	char *copy;
	int error;

	if ((error = draft_push(d, path, &e)) < 0)
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
 * computed, in one read. An editor's own files (follow) may be links; in a
 * prepared item, which may come from anywhere, links and special files are
 * listed for the gate to refuse, never followed.
 */
static int draft_add_file(draft *d, svd_stage *sg, const char *name, const char *path, int follow,
                          uint64_t *bytes)
{
	svd_entry *e;
	struct stat st;
	svd_sha256 h;
	uint8_t *buf = NULL;
	uint64_t got = 0;
	int fd, error;

	if ((error = draft_push(d, name, &e)) < 0)
		return error;
	fd = open(path, O_RDONLY | O_CLOEXEC | (follow ? 0 : O_NOFOLLOW));
	if (fd < 0) {
		if (errno == ELOOP && !follow) {
			e->type = SVD_ENTRY_OTHER;
			return 0;
		}
		return svd_error_set(errno == ENOENT ? SVD_ENOTFOUND : SVD_ERROR,
		                     "%s: cannot open: %s", path, strerror(errno));
	}
	if (fstat(fd, &st) < 0) {
		error = svd_error_set(SVD_ERROR, "%s: cannot stat: %s", path, strerror(errno));
		goto cleanup;
	}
	if (S_ISDIR(st.st_mode) || !S_ISREG(st.st_mode)) {
		e->type = S_ISDIR(st.st_mode) ? SVD_ENTRY_DIR : SVD_ENTRY_OTHER;
		error = 0;
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

static int sig_name(char *out, size_t size, const char *keyid)
{
	return snprintf(out, size, "%s/%s.minisig", SVD_SIG_DIR, keyid) >= (int)size ? -1 : 0;
}

/* Sign manifest bytes and add the signature file to the draft. */
static int draft_sign(draft *d, svd_stage *sg, const svd_seckey *sk, const char *bytes, size_t len,
                      const char *id)
{
	char comment[256], path[64];
	svd_sig *sig = NULL;
	char *text = NULL;
	size_t text_len;
	int error;

	snprintf(comment, sizeof(comment), "timestamp:%lld\tfile:%s\titem:%s\thashed",
	         (long long)time(NULL), SVD_MANIFEST_NAME, id);
	sig_name(path, sizeof(path), svd_seckey_id(sk));
	if ((error = svd_sig_create(&sig, sk, bytes, len, comment, NULL)) == 0 &&
	    (error = svd_sig_format(&text, &text_len, sig)) == 0)
		error = draft_add_bytes(d, sg, path, text, text_len);
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
static int draft_sign_once(svd_txn *t, draft *d, svd_stage *sg, const svd_seckey *sk,
                           const char *bytes, size_t len, const char *id)
{
	git_oid item;
	git_tree *tree = NULL;
	git_tree_entry *e = NULL;
	git_blob *blob = NULL;
	char path[64];
	int error;

	sig_name(path, sizeof(path), svd_seckey_id(sk));
	if (!t->items || svd_store_item_tree(&item, t->a->repo, t->items, id) < 0 ||
	    git_tree_lookup(&tree, t->a->repo, &item) < 0 ||
	    git_tree_entry_bypath(&e, tree, path) < 0 ||
	    git_blob_lookup(&blob, t->a->repo, git_tree_entry_id(e)) < 0 ||
	    git_blob_rawsize(blob) > 4096) {
		git_error_clear();
		svd_error_clear();
		error = draft_sign(d, sg, sk, bytes, len, id);
	} else {
		error = draft_add_bytes(d, sg, path, (const char *)git_blob_rawcontent(blob),
		                        (size_t)git_blob_rawsize(blob));
	}
	git_blob_free(blob);
	git_tree_entry_free(e);
	git_tree_free(tree);
	return error;
}

static void free_sigs(staged *s)
{
	size_t i;

	for (i = 0; i < s->nsigs; i++)
		free((char *)s->sigs[i].name);
	free(s->sigs);
	s->sigs = NULL;
	s->nsigs = 0;
}

static int write_tree(git_oid *out, svd_packw *pw, svd_tree_entry *entries, size_t n)
{
	char *buf = NULL;
	size_t len;
	int error;

	if ((error = svd_tree_serialize(&buf, &len, entries, n)) == 0)
		error = svd_packw_add(out, pw, GIT_OBJECT_TREE, buf, len);
	free(buf);
	return error;
}

/* The first max bytes of s, cut at a character boundary (s is valid UTF-8). */
static char *utf8_prefix(const char *s, size_t max)
{
	size_t len = strlen(s);

	if (len > max) {
		len = max;
		while (len > 0 && ((unsigned char)s[len] & 0xC0) == 0x80)
			len--;
	}
	return strndup(s, len);
}

/* Remember a staged item's signature files (copies; they may borrow from a git tree). */
static int keep_sigs(staged *s, const svd_tree_entry *sigs, size_t n)
{
	svd_tree_entry *copy = calloc(n ? n : 1, sizeof(*copy));
	size_t i;

	if (!copy)
		return svd_error_set(SVD_ERROR, "out of memory");
	for (i = 0; i < n; i++) {
		copy[i] = sigs[i];
		if (!(copy[i].name = svd_strdup(sigs[i].name))) {
			while (i > 0)
				free((char *)copy[--i].name);
			free(copy);
			return SVD_ERROR;
		}
	}
	free_sigs(s);
	s->sigs = copy;
	s->nsigs = n;
	return 0;
}

/* Did the gate leave this signature file out? */
static int was_dropped(const svd_verdict *v, const char *path)
{
	size_t i;

	for (i = 0; i < svd_verdict_dropped_count(v); i++) {
		const char *file;
		svd_verdict_dropped(v, i, &file, NULL);
		if (!strcmp(file, path))
			return 1;
	}
	return 0;
}

/*
 * Write an accepted item's folder as trees, merged with the same item's
 * folder in main or earlier in this operation: the files are the same
 * (same id, same hashes), so only the signatures can differ, and the union
 * is kept; for a key that signed twice, the signature with the smaller blob id.
 */
static int stage_item(svd_txn *t, const svd_entry *entries, const git_oid *oids, size_t n,
                      const svd_verdict *v)
{
	const char *id = svd_verdict_id(v);
	svd_tree_entry *top = NULL, *sigs = NULL, *more;
	size_t ntop = 0, nsigs = 0, i, old_sigs = 0;
	int replaced = 0;
	git_oid prev, sigtree, tree;
	git_tree *prev_sig = NULL;
	int had = 0, error;
	staged *s;

	if (!(top = calloc(n + 1, sizeof(*top))) || !(sigs = calloc(n + 1, sizeof(*sigs))))
		goto oom;
	/* staged earlier in this operation: its trees are not readable before the pack is done */
	if ((s = find_staged(t, id)) != NULL) {
		had = 1;
		if (!(more = realloc(sigs, (n + s->nsigs + 1) * sizeof(*sigs))))
			goto oom;
		sigs = more;
		memcpy(sigs, s->sigs, s->nsigs * sizeof(*sigs));
		nsigs = old_sigs = s->nsigs;
		error = SVD_ENOTFOUND;
	} else {
		error =
		    t->items ? svd_store_item_tree(&prev, t->a->repo, t->items, id) : SVD_ENOTFOUND;
	}
	if (error == 0) {
		git_tree *pt = NULL;
		const git_tree_entry *se;
		had = 1;
		if (git_tree_lookup(&pt, t->a->repo, &prev) < 0) {
			error = svd_git_error("cannot read an item already in the archive");
			goto cleanup;
		}
		se = git_tree_entry_byname(pt, SVD_SIG_DIR);
		if (se && git_tree_entry_type(se) == GIT_OBJECT_TREE &&
		    git_tree_lookup(&prev_sig, t->a->repo, git_tree_entry_id(se)) < 0) {
			git_tree_free(pt);
			error = svd_git_error("cannot read an item's signatures");
			goto cleanup;
		}
		git_tree_free(pt);
	} else if (error != SVD_ENOTFOUND) {
		goto cleanup;
	}
	if (prev_sig) {
		more = realloc(sigs, (n + git_tree_entrycount(prev_sig) + 1) * sizeof(*sigs));
		if (!more)
			goto oom;
		sigs = more;
		for (i = 0; i < git_tree_entrycount(prev_sig); i++) {
			const git_tree_entry *te = git_tree_entry_byindex(prev_sig, i);
			sigs[nsigs].name = git_tree_entry_name(te);
			sigs[nsigs].mode = GIT_FILEMODE_BLOB;
			git_oid_cpy(&sigs[nsigs].oid, git_tree_entry_id(te));
			nsigs++;
		}
		old_sigs = nsigs;
	}
	for (i = 0; i < n; i++) {
		const svd_entry *e = &entries[i];
		char keyid[SVD_KEYID_HEX_LEN + 1];
		const char *name;
		size_t j;

		if (strncmp(e->path, SVD_SIG_DIR "/", strlen(SVD_SIG_DIR) + 1)) {
			if (e->type == SVD_ENTRY_FILE) {
				top[ntop].name = e->path;
				top[ntop].mode = GIT_FILEMODE_BLOB;
				git_oid_cpy(&top[ntop].oid, &oids[i]);
				ntop++;
			}
			continue;
		}
		if (was_dropped(v, e->path))
			continue;
		name = e->path + strlen(SVD_SIG_DIR) + 1;
		for (j = 0; j < nsigs; j++)
			if (!strcmp(sigs[j].name, name))
				break;
		if (j < nsigs) {
			/*
			 * One key signed twice (two trusted comments): keep the
			 * signature with the smaller blob id, so that mirrors end with
			 * the same tree whatever order they saw the two in.
			 */
			if (git_oid_cmp(&oids[i], &sigs[j].oid) < 0) {
				git_oid_cpy(&sigs[j].oid, &oids[i]);
				replaced = 1;
			}
			continue;
		}
		sigs[nsigs].name = name;
		sigs[nsigs].mode = GIT_FILEMODE_BLOB;
		git_oid_cpy(&sigs[nsigs].oid, &oids[i]);
		nsigs++;
		snprintf(keyid, sizeof(keyid), "%s", name);
		if ((error = note_signer(t, keyid)) < 0)
			goto cleanup;
	}
	if (had && nsigs == old_sigs && !replaced) {
		t->stats.unchanged++;
		error = 0;
		goto cleanup;
	}
	if ((error = write_tree(&sigtree, t->pw, sigs, nsigs)) < 0)
		goto cleanup;
	top[ntop].name = SVD_SIG_DIR;
	top[ntop].mode = GIT_FILEMODE_TREE;
	git_oid_cpy(&top[ntop].oid, &sigtree);
	ntop++;
	if ((error = write_tree(&tree, t->pw, top, ntop)) < 0)
		goto cleanup;

	if (!s) {
		if (t->n == t->cap) {
			size_t ncap = t->cap ? t->cap * 2 : 64;
			staged *p = realloc(t->v, ncap * sizeof(*p));
			if (!p)
				goto oom;
			t->v = p;
			t->cap = ncap;
		}
		s = &t->v[t->n++];
		memset(s, 0, sizeof(*s));
		memcpy(s->id, id, SVD_ID_HEX_LEN + 1);
		s->is_new = !had;
		if (t->nshown < MESSAGE_ITEMS) {
			/* per-item memory stays small: only these few keep their titles */
			char *title = utf8_prefix(
			    svd_manifest_get(svd_verdict_manifest(v), "title"), TITLE_IN_LOG);
			if (!title)
				goto oom;
			memcpy(t->shown[t->nshown].id, id, SVD_ID_HEX_LEN + 1);
			t->shown[t->nshown].title = title;
			t->shown[t->nshown].is_new = !had;
			t->nshown++;
		}
		if ((error = index_staged(t, t->n - 1)) < 0)
			goto cleanup;
		if (had)
			t->stats.cosigned++;
		else
			t->stats.added++;
	}
	git_oid_cpy(&s->tree, &tree);
	if ((error = keep_sigs(s, sigs, nsigs)) < 0)
		goto cleanup;
	goto cleanup;
oom:
	error = svd_error_set(SVD_ERROR, "out of memory");
cleanup:
	git_tree_free(prev_sig);
	free(top);
	free(sigs);
	return error;
}

/*
 * Run the gate on an item's entries; stage it if it passes. Only the
 * staging sequence (store_stage.c) comes here, through
 * svd_txn_stage_entries(), and it takes a refused item's blobs back.
 */
static int check_and_stage(svd_txn *t, const svd_entry *entries, const git_oid *oids, size_t n,
                           const char *source, unsigned flags, svd_verdict **verdict)
{
	svd_verdict *v = NULL;
	int error;

	if ((error = svd_item_check_ext(&v, NULL, entries, n, t->a->trust, flags)) < 0)
		return error;
	if ((error = svd_verdict_set_source(v, source)) < 0) {
		svd_verdict_free(v);
		return error;
	}
	if (svd_verdict_ok(v)) {
		error = stage_item(t, entries, oids, n, v);
		t->stats.dropped += svd_verdict_dropped_count(v);
		if (error == 0)
			svd_pause_point("txn.staged");
	} else {
		t->stats.refused++;
	}
	if (error == 0 && !svd_verdict_ok(v)) {
		char *summary = svd_verdict_summary(v);
		error = svd_error_set(SVD_ECORRUPT, "refused: %s", summary ? summary : "");
		free(summary);
	}
	if (verdict)
		*verdict = v;
	else
		svd_verdict_free(v);
	return error;
}

/* The part of svd_txn_add_new() shared with meta.json folders and JSON lines. */
static int add_new(svd_txn *t, svd_manifest *m, const svd_source_file *files, size_t n,
                   const svd_seckey *sk, const char *source, svd_verdict **verdict)
{
	svd_stage *sg = NULL;
	draft d = {0};
	const char *bytes;
	size_t i, len;
	int error;

	if (verdict)
		*verdict = NULL;
	if (!svd_trust_find(t->a->trust, svd_seckey_id(sk)))
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
		if ((error = draft_add_file(&d, sg, files[i].name, files[i].path, 1,
		                            &t->stats.bytes)) < 0)
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
	if ((error = draft_add_bytes(&d, sg, SVD_MANIFEST_NAME, bytes, len)) < 0 ||
	    (error = draft_sign_once(t, &d, sg, sk, bytes, len, svd_manifest_id(m))) < 0)
		goto cleanup;
	error = svd_stage_finish(sg, d.entries, d.n, source, SVD_CHECK_DROP_BAD_SIGS, verdict);
cleanup:
	svd_stage_free(sg); /* an item that did not reach the gate leaves nothing in the pack */
	draft_clear(&d);
	return error;
}

int svd_txn_add_new(svd_txn *t, svd_manifest *m, const svd_source_file *files, size_t n,
                    const svd_seckey *sk, svd_verdict **verdict)
{
	return add_new(t, m, files, n, sk, "new item", verdict);
}

/* Metadata fields, as in a manifest, from a meta.json or a JSON line. */
static int meta_to_manifest(svd_manifest *m, json_t *obj, int jsonl, const char *source)
{
	const char *key;
	json_t *val;

	if (!json_is_object(obj))
		return svd_error_set(SVD_EINVALID, "%s: metadata must be a JSON object", source);
	json_object_foreach(obj, key, val)
	{
		int error = 0;
		size_t i;
		json_t *x;

		/* null means "not known", as if the field were not there */
		if (json_is_null(val) ||
		    (jsonl && (!strcmp(key, "body") || !strcmp(key, "attachments"))))
			continue;
		if (!strcmp(key, "kind")) {
			svd_kind kind;
			if (!json_is_string(val) ||
			    svd_kind_parse(&kind, json_string_value(val)) < 0)
				return svd_error_set(SVD_EINVALID,
				                     "%s: kind must be article, testimony, "
				                     "correction or retraction",
				                     source);
			error = svd_manifest_set_kind(m, kind);
		} else if (!strcmp(key, "authors") || !strcmp(key, "tags")) {
			if (!json_is_array(val))
				return svd_error_set(SVD_EINVALID, "%s: %s must be a list of texts",
				                     source, key);
			json_array_foreach(val, i, x)
			{
				if (!json_is_string(x))
					return svd_error_set(SVD_EINVALID,
					                     "%s: %s must be a list of texts",
					                     source, key);
				error = key[0] == 'a'
				            ? svd_manifest_add_author(m, json_string_value(x))
				            : svd_manifest_add_tag(m, json_string_value(x));
				if (error < 0)
					break;
			}
		} else if (!strcmp(key, "title") || !strcmp(key, "lang") ||
		           !strcmp(key, "published") || !strcmp(key, "source") ||
		           !strcmp(key, "region") || !strcmp(key, "supersedes") ||
		           !strcmp(key, "retracts") || !strcmp(key, "created")) {
			if (!json_is_string(val))
				return svd_error_set(SVD_EINVALID, "%s: %s must be a text", source,
				                     key);
			error = svd_manifest_set(m, key, json_string_value(val));
		} else {
			return svd_error_set(SVD_EINVALID, "%s: unknown field \"%s\"", source, key);
		}
		if (error < 0)
			return svd_error_set(error, "%s: %s", source, svd_error_last());
	}
	return 0;
}

/* Report an item refused before the gate ran, through the caller's callback. */
static int report_refusal(svd_txn *t, const char *source, const char *file, const char *check,
                          svd_item_cb cb, void *payload)
{
	const char *last = svd_error_last();
	size_t slen = strlen(source);
	svd_verdict *v = NULL;
	char msg[1024];
	int r = 0;

	/* the message may start with the source too; say it once */
	while (!strncmp(last, source, slen) && !strncmp(last + slen, ": ", 2))
		last += slen + 2;
	snprintf(msg, sizeof(msg), "%s", last);
	t->stats.refused++;
	if (!cb)
		return 0;
	if (svd_verdict_new(&v) < 0 || svd_verdict_set_source(v, source) < 0 ||
	    svd_verdict_add_problem(v, file, check, "%s", msg) < 0) {
		svd_verdict_free(v);
		return SVD_ERROR;
	}
	r = cb(v, payload);
	svd_verdict_free(v);
	return r;
}

static int cmp_str(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

static void free_list(char **v, size_t n)
{
	while (n > 0)
		free(v[--n]);
	free(v);
}

/* The names in a folder, sorted, without "." and "..". */
static int list_dir(char ***out, size_t *n, const char *path, size_t max)
{
	DIR *d = opendir(path);
	struct dirent *e;
	char **v = NULL;
	size_t cap = 0;

	*out = NULL;
	*n = 0;
	if (!d)
		return svd_error_set(errno == ENOENT ? SVD_ENOTFOUND : SVD_ERROR,
		                     "%s: cannot read folder: %s", path, strerror(errno));
	while ((e = readdir(d)) != NULL) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (*n == max) {
			closedir(d);
			free_list(v, *n);
			*n = 0;
			return svd_error_set(
			    SVD_ETOOBIG, "%s: more than %zu entries, more than any item may hold",
			    path, max);
		}
		if (*n == cap) {
			char **p;
			cap = cap ? cap * 2 : 32;
			if (!(p = realloc(v, cap * sizeof(*p))))
				goto oom;
			v = p;
		}
		if (!(v[*n] = strdup(e->d_name)))
			goto oom;
		(*n)++;
	}
	closedir(d);
	qsort(v, *n, sizeof(*v), cmp_str);
	*out = v;
	return 0;
oom:
	closedir(d);
	while (*n > 0)
		free(v[--*n]);
	free(v);
	return svd_error_set(SVD_ERROR, "out of memory");
}

/*
 * Errors that end the whole operation: the archive cannot be written, or
 * the signing key is refused (every item would be). Any other error refuses
 * one item and the operation goes on with the next.
 */
static int is_fatal(int error)
{
	return error == SVD_ERROR || error == SVD_EUNTRUSTED || error == SVD_ELOCKED;
}

/*
 * After one item: tell the caller how it fared and say whether to go on.
 * Returns 0 (accepted), SVD_ECORRUPT (refused; go on), or an error or the
 * callback's non-zero value (stop).
 */
static int finish_item(svd_txn *t, int error, svd_verdict *v, const char *source, const char *file,
                       svd_item_cb cb, void *payload)
{
	int r;

	if (error == 0 || (error == SVD_ECORRUPT && v)) {
		r = cb && v ? cb(v, payload) : 0;
		return r ? r : error;
	}
	if (is_fatal(error))
		return error;
	r = report_refusal(t, source, file, "metadata", cb, payload);
	return r ? r : SVD_ECORRUPT;
}

static int load_json(json_t **out, const char *path)
{
	json_error_t jerr;
	char *buf = NULL;
	size_t len;
	int error;

	*out = NULL;
	if ((error = svd_file_read(&buf, &len, path, SVD_MANIFEST_MAX)) < 0)
		return error;
	if (!(*out = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr)))
		error = svd_error_set(SVD_EINVALID, "%s: line %d: %s", path, jerr.line, jerr.text);
	free(buf);
	return error;
}

/* A source folder: meta.json and its payload files. */
static int add_meta_dir(svd_txn *t, const char *dir, const svd_seckey *sk, svd_item_cb cb,
                        void *payload)
{
	char **names = NULL, *meta_path = NULL;
	svd_source_file *files = NULL;
	svd_manifest *m = NULL;
	svd_verdict *v = NULL;
	json_t *meta = NULL;
	size_t n = 0, nfiles = 0, i;
	int error;

	if (!(meta_path = svd_path_join(dir, META_NAME)))
		return SVD_ERROR;
	if (!sk)
		error = svd_error_set(SVD_EINVALID,
		                      "%s: an item made from meta.json must be signed: give --key",
		                      dir);
	else if ((error = load_json(&meta, meta_path)) == 0 &&
	         (error = svd_manifest_new(&m)) == 0 &&
	         (error = meta_to_manifest(m, meta, 0, meta_path)) == 0 &&
	         (error = list_dir(&names, &n, dir, ITEM_DIR_MAX)) == 0) {
		if (!(files = calloc(n ? n : 1, sizeof(*files))))
			error = svd_error_set(SVD_ERROR, "out of memory");
		for (i = 0; i < n && error == 0; i++) {
			/* meta.json is the recipe, not a payload; hidden files are not content */
			if (!strcmp(names[i], META_NAME) || names[i][0] == '.')
				continue;
			files[nfiles].name = names[i];
			if (!(files[nfiles].path = svd_path_join(dir, names[i])))
				error = SVD_ERROR;
			else
				nfiles++;
		}
		if (error == 0)
			error = add_new(t, m, files, nfiles, sk, dir, &v);
	}
	error = finish_item(t, error, v, dir, META_NAME, cb, payload);
	for (i = 0; i < nfiles; i++)
		free((char *)files[i].path);
	free(files);
	free_list(names, n);
	svd_verdict_free(v);
	svd_manifest_free(m);
	json_decref(meta);
	free(meta_path);
	return error;
}

/* Read a small file (manifest, signature) into the draft, or list it as over the cap. */
static int draft_add_small(draft *d, svd_stage *sg, const char *path, const char *file, size_t cap)
{
	char *buf = NULL;
	size_t len;
	svd_entry *e;
	int error = svd_file_read(&buf, &len, file, cap);

	if (error == 0) {
		error = draft_add_bytes(d, sg, path, buf, len);
	} else if (error == SVD_ETOOBIG || error == SVD_ECORRUPT) {
		/* the gate names it: too big, or a link or special file */
		struct stat st;
		if ((error = draft_push(d, path, &e)) == 0) {
			e->type = lstat(file, &st) == 0 && S_ISREG(st.st_mode) ? SVD_ENTRY_FILE
			                                                       : SVD_ENTRY_OTHER;
			e->size = e->type == SVD_ENTRY_FILE ? (uint64_t)st.st_size : 0;
		}
	}
	free(buf);
	return error;
}

/* The sig/ folder of a prepared item. */
static int draft_add_sig_dir(draft *d, svd_stage *sg, const char *dir)
{
	char **names = NULL, path[SVD_NAME_MAX + 8];
	size_t n = 0, i;
	int error;
	svd_entry *e;

	if ((error = draft_push(d, SVD_SIG_DIR, &e)) < 0)
		return error;
	e->type = SVD_ENTRY_DIR;
	if ((error = list_dir(&names, &n, dir, ITEM_DIR_MAX)) < 0)
		return error;
	for (i = 0; i < n && error == 0; i++) {
		char *file = svd_path_join(dir, names[i]);
		if (!file) {
			error = SVD_ERROR;
			break;
		}
		snprintf(path, sizeof(path), "%s/%s", SVD_SIG_DIR, names[i]);
		error = draft_add_small(d, sg, path, file, SVD_SIGFILE_MAX);
		free(file);
	}
	free_list(names, n);
	return error;
}

/*
 * A signature made by stock minisign beside the manifest
 * (manifest.json.minisig) is filed under sig/ by its key id.
 */
static int draft_add_side_sig(draft *d, svd_stage *sg, const char *file)
{
	char *buf = NULL, path[64];
	size_t len;
	svd_sig *sig = NULL;
	int error = svd_file_read(&buf, &len, file, SVD_SIGFILE_MAX);

	if (error < 0)
		return error;
	if ((error = svd_sig_parse(&sig, buf, len)) < 0) {
		error = svd_error_set(error == SVD_ERROR ? error : SVD_ECORRUPT, "%s: %s", file,
		                      svd_error_last());
		goto cleanup;
	}
	sig_name(path, sizeof(path), svd_sig_keyid(sig));
	error = draft_add_bytes(d, sg, path, buf, len);
cleanup:
	svd_sig_free(sig);
	free(buf);
	return error;
}

/* Does the draft already hold a signature by this key? */
static int draft_has_sig(const draft *d, const char *keyid)
{
	char path[64];
	size_t i;

	sig_name(path, sizeof(path), keyid);
	for (i = 0; i < d->n; i++)
		if (!strcmp(d->entries[i].path, path))
			return 1;
	return 0;
}

/* A prepared item folder: manifest.json, payloads and signatures, taken as they are. */
static int add_prepared_dir(svd_txn *t, const char *dir, const svd_seckey *sk, svd_item_cb cb,
                            void *payload)
{
	svd_stage *sg = NULL;
	char **names = NULL;
	size_t n = 0, i;
	svd_verdict *v = NULL;
	draft d = {0};
	int error;

	if ((error = svd_stage_begin(&sg, t)) < 0 ||
	    (error = list_dir(&names, &n, dir, ITEM_DIR_MAX)) < 0)
		goto done;
	for (i = 0; i < n && error == 0; i++) {
		char *file = svd_path_join(dir, names[i]);
		struct stat st;

		if (!file) {
			error = SVD_ERROR;
			break;
		}
		if (lstat(file, &st) < 0) {
			error = svd_error_set(SVD_ERROR, "%s: %s", file, strerror(errno));
		} else if (!strcmp(names[i], SVD_MANIFEST_NAME)) {
			error = draft_add_small(&d, sg, names[i], file, SVD_MANIFEST_MAX);
		} else if (!strcmp(names[i], SIDE_SIG_NAME)) {
			error = draft_add_side_sig(&d, sg, file);
		} else if (!strcmp(names[i], SVD_SIG_DIR) && S_ISDIR(st.st_mode)) {
			error = draft_add_sig_dir(&d, sg, file);
		} else {
			error = draft_add_file(&d, sg, names[i], file, 0, &t->stats.bytes);
		}
		free(file);
	}
	if (error == 0 && sk) {
		/* sign what the manifest says, if it is one; the gate judges the rest */
		const svd_entry *m = NULL;
		svd_manifest *man = NULL;
		for (i = 0; i < d.n; i++)
			if (!strcmp(d.entries[i].path, SVD_MANIFEST_NAME))
				m = &d.entries[i];
		if (m && m->data && svd_manifest_parse(&man, m->data, m->data_len) == 0 &&
		    !draft_has_sig(&d, svd_seckey_id(sk))) {
			if (!svd_trust_find(t->a->trust, svd_seckey_id(sk)))
				error = svd_error_set(SVD_EUNTRUSTED,
				                      "key %s is not trusted in this archive; "
				                      "trust its public key first "
				                      "('samvydav trust add KEY.pub')",
				                      svd_seckey_id(sk));
			else
				error = draft_sign(&d, sg, sk, m->data, m->data_len,
				                   svd_manifest_id(man));
		}
		svd_manifest_free(man);
	}
	if (error == 0)
		error = svd_stage_finish(sg, d.entries, d.n, dir, SVD_CHECK_DROP_BAD_SIGS, &v);
done:
	/* an item that did not reach the gate leaves nothing in the pack */
	svd_stage_free(sg);
	error = finish_item(t, error, v, dir, "", cb, payload);
	svd_verdict_free(v);
	free_list(names, n);
	draft_clear(&d);
	return error;
}

static int add_item_dir(svd_txn *t, const char *dir, const svd_seckey *sk, svd_item_cb cb,
                        void *payload)
{
	char *p = svd_path_join(dir, META_NAME);
	struct stat st;
	int meta;

	if (!p)
		return SVD_ERROR;
	meta = stat(p, &st) == 0;
	free(p);
	/* a prepared item may carry a payload named meta.json: its manifest decides */
	if (meta && !(p = svd_path_join(dir, SVD_MANIFEST_NAME)))
		return SVD_ERROR;
	if (meta) {
		meta = stat(p, &st) != 0;
		free(p);
	}
	return meta ? add_meta_dir(t, dir, sk, cb, payload)
	            : add_prepared_dir(t, dir, sk, cb, payload);
}

/* Is this folder an item itself (rather than a folder of items)? */
static int is_item_dir(const char *dir)
{
	struct stat st;
	char *a = svd_path_join(dir, SVD_MANIFEST_NAME), *b = svd_path_join(dir, META_NAME);
	int yes = (a && stat(a, &st) == 0) || (b && stat(b, &st) == 0);

	free(a);
	free(b);
	return yes;
}

/* Read one line of at most max bytes; longer lines are an error, not split. */
static int read_line(char **line, size_t *len, FILE *f, size_t max)
{
	size_t cap = 0;
	ssize_t n;

	free(*line);
	*line = NULL;
	n = getline(line, &cap, f);
	if (n < 0) {
		if (ferror(f))
			return svd_error_set(SVD_ERROR, "cannot read: %s", strerror(errno));
		return 1;
	}
	*len = (size_t)n;
	if (*len > max)
		return SVD_ETOOBIG;
	return 0;
}

/* A file named in a JSON line: absolute as given, else relative to the file's folder. */
static char *resolve_path(const char *base, const char *path)
{
	return path[0] == '/' ? svd_strdup(path) : svd_path_join(base, path);
}

/* One JSON line: metadata, "body" (a path) and "attachments" (paths), relative to the file. */
static int add_json_line(svd_txn *t, const char *line, size_t len, const char *base,
                         const svd_seckey *sk, const char *source, svd_verdict **v)
{
	json_error_t jerr;
	json_t *obj = NULL, *body, *att, *x;
	svd_manifest *m = NULL;
	svd_source_file *files = NULL;
	size_t nfiles = 0, i;
	int error;

	if (!(obj = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr)))
		return svd_error_set(SVD_EINVALID, "%s: %s", source, jerr.text);
	if ((error = svd_manifest_new(&m)) < 0 || (error = meta_to_manifest(m, obj, 1, source)) < 0)
		goto cleanup;
	body = json_object_get(obj, "body");
	att = json_object_get(obj, "attachments");
	if ((body && !json_is_string(body)) || (att && !json_is_array(att))) {
		error = svd_error_set(SVD_EINVALID,
		                      "%s: body must be a file name, attachments a list of them",
		                      source);
		goto cleanup;
	}
	if (!(files = calloc(1 + (att ? json_array_size(att) : 0), sizeof(*files)))) {
		error = svd_error_set(SVD_ERROR, "out of memory");
		goto cleanup;
	}
	if (body) {
		files[0].name = "body.md";
		if (!(files[0].path = resolve_path(base, json_string_value(body)))) {
			error = SVD_ERROR;
			goto cleanup;
		}
		nfiles = 1;
	}
	json_array_foreach(att, i, x)
	{
		const char *slash;
		if (!json_is_string(x)) {
			error = svd_error_set(SVD_EINVALID, "%s: attachments must be file names",
			                      source);
			goto cleanup;
		}
		slash = strrchr(json_string_value(x), '/');
		files[nfiles].name = slash ? slash + 1 : json_string_value(x);
		if (!(files[nfiles].path = resolve_path(base, json_string_value(x)))) {
			error = SVD_ERROR;
			goto cleanup;
		}
		nfiles++;
	}
	error = add_new(t, m, files, nfiles, sk, source, v);
cleanup:
	for (i = 0; i < nfiles; i++)
		free((char *)files[i].path);
	free(files);
	svd_manifest_free(m);
	json_decref(obj);
	return error;
}

static int add_jsonl(svd_txn *t, const char *path, const svd_seckey *sk, svd_item_cb cb,
                     void *payload)
{
	FILE *f;
	char *line = NULL, *base, source[4200];
	const char *slash = strrchr(path, '/');
	size_t len = 0, lineno = 0;
	int error = 0, refused = 0, r;

	if (!sk)
		return svd_error_set(SVD_EINVALID,
		                     "%s: items from JSON lines must be signed: give --key", path);
	if (!(base = slash ? strndup(path, (size_t)(slash - path)) : strdup(".")))
		return svd_error_set(SVD_ERROR, "out of memory");
	if (!(f = fopen(path, "r"))) {
		free(base);
		return svd_error_set(errno == ENOENT ? SVD_ENOTFOUND : SVD_ERROR, "%s: %s", path,
		                     strerror(errno));
	}
	while ((r = read_line(&line, &len, f, JSONL_LINE_MAX)) != 1) {
		svd_verdict *v = NULL;

		lineno++;
		snprintf(source, sizeof(source), "%s:%zu", path, lineno);
		if (r == SVD_ERROR) {
			error = svd_error_set(SVD_ERROR, "%s: %s", source, svd_error_last());
			break;
		}
		if (r == SVD_ETOOBIG)
			error = svd_error_set(SVD_ETOOBIG, "%s: a line over %d bytes", source,
			                      JSONL_LINE_MAX);
		else if (strspn(line, " \t\r\n") == len)
			continue;
		else
			error = add_json_line(t, line, len, base, sk, source, &v);
		error = finish_item(t, error, v, source, "", cb, payload);
		svd_verdict_free(v);
		if (error == SVD_ECORRUPT) {
			refused = 1;
			error = 0;
		}
		if (error != 0)
			break;
	}
	free(line);
	fclose(f);
	free(base);
	if (error == 0 && refused)
		error = svd_error_set(SVD_ECORRUPT, "%s: some items were refused", path);
	return error;
}

int svd_txn_add_path(svd_txn *t, const char *path, const svd_seckey *sk, svd_item_cb cb,
                     void *payload)
{
	struct stat st;
	char **names = NULL;
	size_t n = 0, i;
	int error = 0, refused = 0;

	if (stat(path, &st) < 0)
		return svd_error_set(errno == ENOENT ? SVD_ENOTFOUND : SVD_ERROR, "%s: %s", path,
		                     strerror(errno));
	if (S_ISREG(st.st_mode))
		return add_jsonl(t, path, sk, cb, payload);
	if (!S_ISDIR(st.st_mode))
		return svd_error_set(SVD_EINVALID, "%s: neither a folder nor a file", path);
	if (is_item_dir(path))
		return add_item_dir(t, path, sk, cb, payload);
	if ((error = list_dir(&names, &n, path, SIZE_MAX)) < 0)
		return error;
	for (i = 0; i < n && error == 0; i++) {
		char *dir;
		if (names[i][0] == '.')
			continue;
		if (!(dir = svd_path_join(path, names[i]))) {
			error = SVD_ERROR;
			break;
		}
		/* a folder of item folders: anything else in it is not an item */
		if (stat(dir, &st) == 0 && S_ISDIR(st.st_mode)) {
			error = add_item_dir(t, dir, sk, cb, payload);
			if (error == SVD_ECORRUPT) {
				refused = 1;
				error = 0;
			}
		}
		free(dir);
	}
	free_list(names, n);
	if (error == 0 && refused)
		error = svd_error_set(SVD_ECORRUPT, "%s: some items were refused", path);
	return error;
}

int svd_txn_sign(svd_txn *t, const char *id, const svd_seckey *sk, const svd_sig *sig,
                 const svd_pubkey *pk)
{
	svd_stage *sg = NULL;
	svd_tree_item ti = {0};
	svd_sig *made = NULL;
	svd_pubkey *own = NULL;
	const svd_pubkey *key;
	const svd_entry *m = NULL;
	svd_verdict *v = NULL;
	draft d = {0};
	git_oid tree;
	char *text = NULL, comment[256];
	size_t len, i;
	int error;

	if ((!sk) == (!sig))
		return svd_error_set(SVD_EINVALID,
		                     "sign with a key or attach a signature, not both");
	if (find_staged(t, id))
		return svd_error_set(
		    SVD_EINVALID, "item %s was added in this same operation; commit it, then sign",
		    id);
	if (!t->items || (error = svd_store_item_tree(&tree, t->a->repo, t->items, id)) < 0)
		return svd_error_set(SVD_ENOTFOUND, "no item %s in the archive", id);
	if ((error = svd_stage_begin(&sg, t)) < 0 ||
	    (error = svd_tree_item_read(&ti, t->a->repo, &tree, 1)) < 0)
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
	key = svd_trust_find(t->a->trust, svd_sig_keyid(sig));
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
		if ((error = draft_push(&d, ti.entries[i].path, &e)) < 0 ||
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
		sig_name(path, sizeof(path), svd_sig_keyid(sig));
		if ((error = svd_sig_format(&text, &len, sig)) < 0 ||
		    (error = draft_add_bytes(&d, sg, path, text, len)) < 0)
			goto cleanup;
	}
	error = svd_stage_finish(sg, d.entries, d.n, id, SVD_CHECK_DROP_BAD_SIGS, &v);
cleanup:
	svd_stage_free(sg); /* a signature that did not reach the gate leaves nothing in the pack */
	svd_verdict_free(v);
	draft_clear(&d);
	svd_tree_item_clear(&ti);
	svd_sig_free(made);
	svd_pubkey_free(own);
	free(text);
	return error;
}

static int cmp_staged(const void *x, const void *y)
{
	return strcmp(((const staged *)x)->id, ((const staged *)y)->id);
}

/* Entries of an existing tree, or none, with room for extra more. */
static int tree_entries(svd_tree_entry **out, size_t *n, const git_tree *tree, size_t extra)
{
	size_t count = tree ? git_tree_entrycount(tree) : 0, i;

	if (!(*out = calloc(count + extra + 1, sizeof(**out))))
		return svd_error_set(SVD_ERROR, "out of memory");
	for (i = 0; i < count; i++) {
		const git_tree_entry *te = git_tree_entry_byindex(tree, i);
		(*out)[i].name = git_tree_entry_name(te);
		(*out)[i].mode = (unsigned int)git_tree_entry_filemode(te);
		git_oid_cpy(&(*out)[i].oid, git_tree_entry_id(te));
	}
	*n = count;
	return 0;
}

/* Put name -> oid into entries, replacing an entry of that name. */
static void tree_put(svd_tree_entry *entries, size_t *n, const char *name, unsigned int mode,
                     const git_oid *oid)
{
	size_t i;

	for (i = 0; i < *n; i++)
		if (!strcmp(entries[i].name, name))
			break;
	if (i == *n)
		(*n)++;
	entries[i].name = name;
	entries[i].mode = mode;
	git_oid_cpy(&entries[i].oid, oid);
}

/*
 * The new items/ tree: the base's, with each touched fan-out folder
 * rewritten to hold the staged items. Untouched folders are reused as
 * they are, so an operation writes trees in proportion to what it adds.
 */
static int write_items_tree(git_oid *out, svd_txn *t)
{
	svd_tree_entry *top = NULL, *sub = NULL;
	size_t ntop = 0, nsub = 0, i = 0, j;
	char fans[256][3];
	size_t nfans = 0;
	int error;

	qsort(t->v, t->n, sizeof(*t->v), cmp_staged);
	if ((error = tree_entries(&top, &ntop, t->items, 256)) < 0)
		return error;
	while (i < t->n && error == 0) {
		git_tree *old = NULL;
		const git_tree_entry *te;
		git_oid oid;

		memcpy(fans[nfans], t->v[i].id, 2);
		fans[nfans][2] = '\0';
		for (j = i; j < t->n && !strncmp(t->v[j].id, fans[nfans], 2); j++)
			;
		te = t->items ? git_tree_entry_byname(t->items, fans[nfans]) : NULL;
		if (te && git_tree_lookup(&old, t->a->repo, git_tree_entry_id(te)) < 0) {
			error = svd_git_error("cannot read the items folder");
			break;
		}
		if ((error = tree_entries(&sub, &nsub, old, j - i)) == 0) {
			size_t k;
			for (k = i; k < j; k++)
				tree_put(sub, &nsub, t->v[k].id, GIT_FILEMODE_TREE, &t->v[k].tree);
			if ((error = write_tree(&oid, t->pw, sub, nsub)) == 0)
				tree_put(top, &ntop, fans[nfans], GIT_FILEMODE_TREE, &oid);
		}
		free(sub);
		sub = NULL;
		git_tree_free(old);
		nfans++;
		i = j;
	}
	if (error == 0)
		error = write_tree(out, t->pw, top, ntop);
	free(top);
	return error;
}

static int default_message(char **out, const svd_txn *t)
{
	size_t cap = 4096 + (t->n < MESSAGE_ITEMS ? t->n : MESSAGE_ITEMS) *
	                        (SVD_ID_HEX_LEN + 8 + TITLE_IN_LOG * 4);
	size_t used = 0, i, shown = 0;
	char *s = malloc(cap);

	if (!s)
		return svd_error_set(SVD_ERROR, "out of memory");
#define PUT(...) (used += (size_t)snprintf(s + used, cap - used, __VA_ARGS__))
	if (t->stats.added)
		PUT("Add %zu item%s", t->stats.added, t->stats.added == 1 ? "" : "s");
	if (t->stats.cosigned)
		PUT("%s %zu item%s", t->stats.added ? ", co-sign" : "Co-sign", t->stats.cosigned,
		    t->stats.cosigned == 1 ? "" : "s");
	for (i = 0; i < t->nkeyids && i < 3; i++)
		PUT("%s%s", i == 0 ? ", signed by " : ", ", t->keyids[i]);
	if (t->nkeyids > 3)
		PUT(" and %zu more keys", t->nkeyids - 3);
	PUT("\n\n");
	for (i = 0; i < t->nshown; i++, shown++)
		PUT("%s %.12s %s\n", t->shown[i].is_new ? "+" : "s", t->shown[i].id,
		    t->shown[i].title);
	if (t->n > shown)
		PUT("... and %zu more\n", t->n - shown);
#undef PUT
	*out = s;
	return 0;
}

int svd_txn_commit(svd_txn *t, const char *message, char *commit_out)
{
	git_oid items, root, commit;
	git_commit *base = NULL;
	git_tree *base_root = NULL;
	git_reference *ref = NULL;
	svd_tree_entry *entries = NULL;
	char *msg = NULL, *text = NULL, hex[GIT_OID_HEXSZ + 1], phex[GIT_OID_HEXSZ + 1];
	size_t n = 0;
	int error, len;

	if (t->committed)
		return svd_error_set(SVD_EINVALID, "this operation was committed already");
	if (t->staging)
		return svd_error_set(SVD_EINVALID,
		                     "an item is still being staged; finish it first");
	if (t->n == 0) {
		/* nothing new: no pack, no commit, main as it was */
		if (commit_out) {
			if (t->has_base)
				git_oid_tostr(commit_out, SVD_COMMIT_HEX_LEN + 1, &t->base);
			else
				commit_out[0] = '\0';
		}
		t->committed = 1;
		return 0;
	}
	if ((error = write_items_tree(&items, t)) < 0)
		goto cleanup;
	if (t->has_base) {
		if (git_commit_lookup(&base, t->a->repo, &t->base) < 0 ||
		    git_commit_tree(&base_root, base) < 0) {
			error = svd_git_error("cannot read main's commit");
			goto cleanup;
		}
	}
	if ((error = tree_entries(&entries, &n, base_root, 1)) < 0)
		goto cleanup;
	tree_put(entries, &n, SVD_ITEMS_DIR, GIT_FILEMODE_TREE, &items);
	if ((error = write_tree(&root, t->pw, entries, n)) < 0)
		goto cleanup;
	if (!message && (error = default_message(&msg, t)) < 0)
		goto cleanup;
	git_oid_tostr(hex, sizeof(hex), &root);
	git_oid_tostr(phex, sizeof(phex), &t->base);
	/* no names, no addresses: the history must not say who runs this mirror */
	len = asprintf(&text,
	               "tree %s\n%s%s%sauthor samvydav <samvydav@invalid> %lld +0000\n"
	               "committer samvydav <samvydav@invalid> %lld +0000\n\n%s",
	               hex, t->has_base ? "parent " : "", t->has_base ? phex : "",
	               t->has_base ? "\n" : "", (long long)time(NULL), (long long)time(NULL),
	               message ? message : msg);
	if (len < 0) {
		text = NULL;
		error = svd_error_set(SVD_ERROR, "out of memory");
		goto cleanup;
	}
	if ((error = svd_packw_add(&commit, t->pw, GIT_OBJECT_COMMIT, text, (size_t)len)) < 0)
		goto cleanup;
	/* every object on disk first; only then does main move */
	if ((error = svd_packw_finish(t->pw)) < 0)
		goto cleanup;
	svd_pause_point("txn.packed");
	if (git_reference_create_matching(&ref, t->a->repo, SVD_MAIN_REF, &commit, t->has_base,
	                                  t->has_base ? &t->base : NULL, "samvydav: add") < 0) {
		error = svd_git_error("cannot move main (did another program change it "
		                      "meanwhile? run the command again)");
		goto cleanup;
	}
	t->committed = 1;
	svd_pause_point("txn.committed");
	if (commit_out)
		git_oid_tostr(commit_out, SVD_COMMIT_HEX_LEN + 1, &commit);
cleanup:
	git_reference_free(ref);
	git_tree_free(base_root);
	git_commit_free(base);
	free(entries);
	free(msg);
	free(text);
	return error;
}

void svd_txn_free(svd_txn *t)
{
	size_t i;

	if (!t)
		return;
	svd_packw_free(t->pw);
	git_tree_free(t->items);
	for (i = 0; i < t->n; i++)
		free_sigs(&t->v[i]);
	for (i = 0; i < t->nshown; i++)
		free(t->shown[i].title);
	free(t->v);
	free(t->slots);
	for (i = 0; i < t->nkeyids; i++)
		free(t->keyids[i]);
	free(t->keyids);
	svd_archive_unlock(t->a);
	free(t);
}

svd_packw *svd_txn_packw(svd_txn *t)
{
	return t->pw;
}

int svd_txn_item_open(svd_txn *t, int open)
{
	if (open && t->staging)
		return svd_error_set(SVD_EINVALID,
		                     "an item is being staged into this operation already");
	t->staging = open;
	return 0;
}

svd_archive *svd_txn_archive(svd_txn *t)
{
	return t->a;
}

int svd_txn_stage_entries(svd_txn *t, const svd_entry *entries, const git_oid *oids, size_t n,
                          const char *source, unsigned flags, svd_verdict **verdict)
{
	return check_and_stage(t, entries, oids, n, source, flags, verdict);
}

void svd_txn_note_refused(svd_txn *t)
{
	t->stats.refused++;
}
