/*
 * store_read.c: reading main — items, manifests, verification, history.
 */
#include <stdlib.h>
#include <string.h>

#include <git2.h>
#include <sodium.h>

#include "samvydav/sig.h"
#include "samvydav/store.h"
#include "archive_internal.h"
#include "sha256.h"
#include "store_internal.h"
#include "util.h"
#include "workq.h"

#define VERIFY_BATCH 16 /* items in one job: the calling thread waits once for them */
#define VERIFY_JOBS  32 /* jobs out at once: 512 items checked ahead of the callbacks */

/*
 * libgit2 for the whole process, set once by svd_init(): the settings the
 * store's reading and writing rely on.
 */
int svd_store_global_init(void)
{
	if (git_libgit2_init() < 0)
		return svd_error_set(SVD_ERROR, "libgit2 failed to start");
	/* refs, packs and indexes written by libgit2 reach the disk before we go on */
	git_libgit2_opts(GIT_OPT_ENABLE_FSYNC_GITDIR, 1);
	/*
	 * Memory stays flat whatever the size of the archive: by default libgit2
	 * maps packs a GiB at a time and keeps every page it read resident, and
	 * its object cache held 30 MiB more during an export of 20,000 items.
	 * Every object is read about once here, so nothing is lost without it.
	 */
	git_libgit2_opts(GIT_OPT_SET_MWINDOW_SIZE, (size_t)4 << 20);
	git_libgit2_opts(GIT_OPT_SET_MWINDOW_MAPPED_LIMIT, (size_t)16 << 20);
	/*
	 * Except a signer's key file (sig/<KEYID>.pub, about 112 bytes): one blob
	 * that every item its key signed names, read once per item, from wherever
	 * in the pack the first of them put it. Cached, it costs no jump across
	 * the pack (a window mapped, then dropped) per item: blobs up to 128
	 * bytes, nothing else, at most 1 MiB in all.
	 */
	git_libgit2_opts(GIT_OPT_ENABLE_CACHING, 1);
	git_libgit2_opts(GIT_OPT_SET_CACHE_MAX_SIZE, (ssize_t)1 << 20);
	git_libgit2_opts(GIT_OPT_SET_CACHE_OBJECT_LIMIT, GIT_OBJECT_COMMIT, (size_t)0);
	git_libgit2_opts(GIT_OPT_SET_CACHE_OBJECT_LIMIT, GIT_OBJECT_TREE, (size_t)0);
	git_libgit2_opts(GIT_OPT_SET_CACHE_OBJECT_LIMIT, GIT_OBJECT_TAG, (size_t)0);
	git_libgit2_opts(GIT_OPT_SET_CACHE_OBJECT_LIMIT, GIT_OBJECT_BLOB, (size_t)128);
	/*
	 * Every file of an item is checked against the SHA-256 in its signed
	 * manifest, and zlib's own checksum catches damage inside a pack;
	 * libgit2's SHA-1 of each object read (collision-detecting, slow) adds
	 * nothing to that and doubles the time of every read.
	 */
	git_libgit2_opts(GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION, 0);
	return 0;
}

void svd_store_global_shutdown(void)
{
	git_libgit2_shutdown();
}

int svd_git_error(const char *what)
{
	const git_error *e = git_error_last();

	return svd_error_set(SVD_ERROR, "%s: %s", what, e ? e->message : "unknown git error");
}

int svd_store_head_oid(git_oid *out, git_repository *repo)
{
	int r = git_reference_name_to_id(out, repo, SVD_MAIN_REF);

	if (r == GIT_ENOTFOUND)
		return svd_error_set(SVD_ENOTFOUND,
		                     "the archive holds no items yet (no main branch)");
	if (r < 0)
		return svd_git_error("cannot read main");
	return 0;
}

int svd_store_commit_resolve(git_oid *out, git_repository *repo, const char *hex)
{
	size_t len = strlen(hex);
	git_object *obj = NULL;
	git_oid prefix;
	int r;

	if (len < 4 || len > GIT_OID_HEXSZ || strspn(hex, "0123456789abcdefABCDEF") != len)
		return svd_error_set(SVD_EINVALID,
		                     "'%s' is not a commit id (4 to 40 hex digits; see "
		                     "'samvydav log')",
		                     hex);
	if (git_oid_fromstrn(&prefix, hex, len) < 0)
		return svd_git_error(hex);
	r = git_object_lookup_prefix(&obj, repo, &prefix, len, GIT_OBJECT_COMMIT);
	if (r == GIT_ENOTFOUND || r == GIT_EINVALIDSPEC)
		return svd_error_set(SVD_ENOTFOUND,
		                     "no commit %s in this archive (see 'samvydav log')", hex);
	if (r == GIT_EAMBIGUOUS)
		return svd_error_set(SVD_EINVALID,
		                     "%s is the start of several ids; give more digits", hex);
	if (r < 0)
		return svd_git_error(hex);
	git_oid_cpy(out, git_object_id(obj));
	git_object_free(obj);
	return 0;
}

int svd_store_head(char *out, svd_archive *a)
{
	git_oid oid;
	int error = svd_store_head_oid(&oid, a->repo);

	if (error == 0)
		git_oid_tostr(out, SVD_COMMIT_HEX_LEN + 1, &oid);
	return error;
}

int svd_store_items_tree(git_tree **out, git_repository *repo, const git_oid *commit)
{
	git_commit *c = NULL;
	git_tree *root = NULL;
	git_tree_entry *e = NULL;
	int error = SVD_ERROR;

	*out = NULL;
	if (git_commit_lookup(&c, repo, commit) < 0 || git_commit_tree(&root, c) < 0) {
		svd_git_error("cannot read main's commit");
		goto cleanup;
	}
	if (git_tree_entry_bypath(&e, root, SVD_ITEMS_DIR) < 0) {
		error = 0; /* a commit without items/ holds no items */
		goto cleanup;
	}
	if (git_tree_entry_type(e) != GIT_OBJECT_TREE) {
		error = svd_error_set(SVD_ECORRUPT, "main's items is not a folder");
		goto cleanup;
	}
	if (git_tree_lookup(out, repo, git_tree_entry_id(e)) < 0) {
		svd_git_error("cannot read main's items folder");
		goto cleanup;
	}
	error = 0;
cleanup:
	git_tree_entry_free(e);
	git_tree_free(root);
	git_commit_free(c);
	return error;
}

int svd_store_item_tree(git_oid *out, git_repository *repo, const git_tree *items, const char *id)
{
	char path[3 + SVD_ID_HEX_LEN + 1];
	git_tree_entry *e = NULL;
	int error;

	(void)repo;
	snprintf(path, sizeof(path), "%.2s/%s", id, id);
	if (!items || git_tree_entry_bypath(&e, items, path) < 0)
		return svd_error_set(SVD_ENOTFOUND, "no item %s in the archive", id);
	if (git_tree_entry_type(e) != GIT_OBJECT_TREE)
		error = svd_error_set(SVD_ECORRUPT, "items/%s is not a folder", path);
	else {
		git_oid_cpy(out, git_tree_entry_id(e));
		error = 0;
	}
	git_tree_entry_free(e);
	return error;
}

static int push_entry(svd_tree_item *ti, svd_entry **out)
{
	if (ti->n == ti->cap) {
		size_t ncap = ti->cap ? ti->cap * 2 : 8;
		svd_entry *e = realloc(ti->entries, ncap * sizeof(*e));
		git_oid *o;
		if (!e)
			return svd_error_set(SVD_ERROR, "out of memory");
		ti->entries = e;
		if (!(o = realloc(ti->oids, ncap * sizeof(*o))))
			return svd_error_set(SVD_ERROR, "out of memory");
		ti->oids = o;
		ti->cap = ncap;
	}
	*out = &ti->entries[ti->n++];
	memset(*out, 0, sizeof(**out));
	return 0;
}

static int keep_blob(svd_tree_item *ti, git_blob *b)
{
	if (ti->nblobs == ti->capblobs) {
		size_t ncap = ti->capblobs ? ti->capblobs * 2 : 8;
		git_blob **p = realloc(ti->blobs, ncap * sizeof(*p));
		if (!p) {
			git_blob_free(b);
			return svd_error_set(SVD_ERROR, "out of memory");
		}
		ti->blobs = p;
		ti->capblobs = ncap;
	}
	ti->blobs[ti->nblobs++] = b;
	return 0;
}

static svd_entry_type entry_type(git_filemode_t mode)
{
	if (mode == GIT_FILEMODE_BLOB)
		return SVD_ENTRY_FILE;
	if (mode == GIT_FILEMODE_TREE)
		return SVD_ENTRY_DIR;
	return SVD_ENTRY_OTHER; /* links, executables, submodules */
}

/* Read one level of an item's tree; prefix is "" or "sig/". */
static int read_level(svd_tree_item *ti, git_repository *repo, const git_oid *oid,
                      const char *prefix, int hash_payloads, int depth)
{
	git_tree *tree = NULL;
	size_t i, count;
	int error = 0;

	if (git_tree_lookup(&tree, repo, oid) < 0)
		return svd_git_error("cannot read an item's folder");
	count = git_tree_entrycount(tree);
	if (count > SVD_ITEM_MAX_FILES + 8) {
		error = svd_error_set(SVD_ETOOBIG, "an item folder with %zu entries", count);
		goto cleanup;
	}
	for (i = 0; i < count && error == 0; i++) {
		const git_tree_entry *te = git_tree_entry_byindex(tree, i);
		const char *name = git_tree_entry_name(te);
		svd_entry *e = NULL;
		git_blob *blob = NULL;
		char *path;
		int keep;

		if ((error = push_entry(ti, &e)) < 0)
			break;
		if (!(path = malloc(strlen(prefix) + strlen(name) + 1))) {
			error = svd_error_set(SVD_ERROR, "out of memory");
			break;
		}
		strcpy(path, prefix);
		strcat(path, name);
		e->path = path;
		e->type = entry_type(git_tree_entry_filemode(te));
		git_oid_cpy(&ti->oids[ti->n - 1], git_tree_entry_id(te));
		if (e->type == SVD_ENTRY_DIR) {
			/* only sig/ is looked into; any other folder is refused by the gate */
			if (depth == 0 && !strcmp(name, SVD_SIG_DIR))
				error = read_level(ti, repo, git_tree_entry_id(te), SVD_SIG_DIR "/",
				                   hash_payloads, 1);
			continue;
		}
		if (e->type != SVD_ENTRY_FILE)
			continue;
		keep = depth > 0 || !strcmp(name, SVD_MANIFEST_NAME);
		if (!keep && !hash_payloads) {
			git_odb *odb;
			size_t len;
			git_object_t type;
			if (git_repository_odb(&odb, repo) < 0) {
				error = svd_git_error("cannot open the object database");
				break;
			}
			if (git_odb_read_header(&len, &type, odb, git_tree_entry_id(te)) < 0)
				error = svd_git_error("cannot read a file's size");
			git_odb_free(odb);
			if (error < 0)
				break;
			e->size = len;
			continue;
		}
		if (git_blob_lookup(&blob, repo, git_tree_entry_id(te)) < 0) {
			error = svd_git_error("cannot read a file of an item");
			break;
		}
		e->size = (uint64_t)git_blob_rawsize(blob);
		svd_sha256_once(e->sha256, git_blob_rawcontent(blob), e->size);
		if (keep && e->size <= (depth > 0 ? SVD_SIGFILE_MAX : SVD_MANIFEST_MAX)) {
			e->data = git_blob_rawcontent(blob);
			e->data_len = (size_t)e->size;
		} else if (!keep) {
			ti->bytes += e->size;
		}
		error = keep_blob(ti, blob);
	}
cleanup:
	git_tree_free(tree);
	return error;
}

int svd_tree_item_read(svd_tree_item *out, git_repository *repo, const git_oid *tree,
                       int hash_payloads)
{
	int error;

	memset(out, 0, sizeof(*out));
	error = read_level(out, repo, tree, "", hash_payloads, 0);
	if (error < 0)
		svd_tree_item_clear(out);
	return error;
}

void svd_tree_item_clear(svd_tree_item *ti)
{
	size_t i;

	for (i = 0; i < ti->n; i++)
		free((char *)ti->entries[i].path);
	for (i = 0; i < ti->nblobs; i++)
		git_blob_free(ti->blobs[i]);
	free(ti->entries);
	free(ti->oids);
	free(ti->blobs);
	memset(ti, 0, sizeof(*ti));
}

/* An entry of items/xx/ must be a folder named for an id that begins with xx. */
static const char *misfiled(const git_tree_entry *fan, const git_tree_entry *te)
{
	const char *name = git_tree_entry_name(te);

	if (!svd_id_valid(name))
		return "not an item id (64 lowercase hex digits)";
	if (strlen(git_tree_entry_name(fan)) != 2 || strncmp(name, git_tree_entry_name(fan), 2))
		return "filed under the wrong folder: an item belongs in items/<first two digits "
		       "of its id>/";
	if (git_tree_entry_type(te) != GIT_OBJECT_TREE)
		return "not a folder";
	return NULL;
}

/* Add the entries of the fan-out folder items/<fan> to out. */
static int list_fan(svd_item_list *out, git_repository *repo, const git_tree_entry *fan)
{
	git_tree *sub = NULL;
	size_t j;
	int error = 0;

	if (git_tree_entry_type(fan) != GIT_OBJECT_TREE)
		return svd_error_set(SVD_ECORRUPT, "items/%s is not a folder",
		                     git_tree_entry_name(fan));
	if (git_tree_lookup(&sub, repo, git_tree_entry_id(fan)) < 0)
		return svd_git_error("cannot read the items folder");
	for (j = 0; j < git_tree_entrycount(sub); j++) {
		const git_tree_entry *te = git_tree_entry_byindex(sub, j);
		svd_item_ref *r;

		if (out->n == out->cap) {
			size_t ncap = out->cap ? out->cap * 2 : 1024;
			svd_item_ref *p = realloc(out->v, ncap * sizeof(*p));
			if (!p) {
				error = svd_error_set(SVD_ERROR, "out of memory");
				break;
			}
			out->v = p;
			out->cap = ncap;
		}
		r = &out->v[out->n++];
		snprintf(r->id, sizeof(r->id), "%s", git_tree_entry_name(te));
		snprintf(r->fan, sizeof(r->fan), "%s", git_tree_entry_name(fan));
		git_oid_cpy(&r->tree, git_tree_entry_id(te));
		r->misfiled = misfiled(fan, te);
	}
	git_tree_free(sub);
	return error;
}

/* items/ of commit, main's when NULL; *items NULL (and 0) for none, or an archive with nothing yet. */
static int items_of(git_tree **items, git_repository *repo, const git_oid *commit)
{
	git_oid head;
	int error;

	*items = NULL;
	if (!commit) {
		if ((error = svd_store_head_oid(&head, repo)) == SVD_ENOTFOUND)
			svd_error_clear();
		if (error < 0)
			return error == SVD_ENOTFOUND ? 0 : error;
		commit = &head;
	}
	return svd_store_items_tree(items, repo, commit);
}

/*
 * The items of commit (main when NULL), or with fans only those filed
 * under the fan-out folders it marks (fans[16 * hi + lo] for items/<hi><lo>/).
 */
static int list_items(svd_item_list *out, git_repository *repo, const git_oid *commit,
                      const uint8_t *fans)
{
	git_tree *items = NULL;
	size_t i;
	int error;

	memset(out, 0, sizeof(*out));
	if ((error = items_of(&items, repo, commit)) < 0 || !items)
		return error;
	for (i = 0; fans && i < 256 && error == 0; i++) {
		char name[3];
		const git_tree_entry *e;
		snprintf(name, sizeof(name), "%02x", (unsigned)i);
		if (fans[i] && (e = git_tree_entry_byname(items, name)) != NULL)
			error = list_fan(out, repo, e);
	}
	for (i = 0; !fans && i < git_tree_entrycount(items) && error == 0; i++)
		error = list_fan(out, repo, git_tree_entry_byindex(items, i));
	git_tree_free(items);
	if (error < 0) {
		free(out->v);
		memset(out, 0, sizeof(*out));
	}
	return error;
}

int svd_store_list(svd_item_list *out, git_repository *repo, const git_oid *commit)
{
	return list_items(out, repo, commit, NULL);
}

int svd_store_list_fan(svd_item_list *out, git_repository *repo, const git_oid *commit,
                       unsigned fan)
{
	uint8_t fans[256] = {0};

	fans[fan & 255] = 1;
	return list_items(out, repo, commit, fans);
}

int svd_store_list_each(git_repository *repo, const git_oid *commit,
                        int (*cb)(const svd_item_list *part, void *payload), void *payload)
{
	svd_item_list part = {0};
	git_tree *items = NULL;
	size_t i;
	int error;

	if ((error = items_of(&items, repo, commit)) < 0 || !items)
		return error;
	for (i = 0; i < git_tree_entrycount(items) && error == 0; i++) {
		part.n = 0;
		if ((error = list_fan(&part, repo, git_tree_entry_byindex(items, i))) == 0)
			error = cb(&part, payload);
	}
	git_tree_free(items);
	free(part.v);
	return error;
}

int svd_store_resolve(char *out, svd_archive *a, const char *prefix)
{
	svd_item_list list;
	uint8_t fans[256] = {0};
	unsigned fan;
	size_t i, len = strlen(prefix), found = 0;
	int error;

	if (len < 4 || len > SVD_ID_HEX_LEN || strspn(prefix, "0123456789abcdef") != len)
		return svd_error_set(
		    SVD_EINVALID, "'%s' is not an item id (4 to 64 lowercase hex digits)", prefix);
	/* an item is filed under items/<its first two digits>/: that folder alone is read */
	sscanf(prefix, "%2x", &fan);
	fans[fan & 255] = 1;
	if ((error = list_items(&list, a->repo, NULL, fans)) < 0)
		return error;
	for (i = 0; i < list.n; i++) {
		if (!list.v[i].misfiled && !strncmp(list.v[i].id, prefix, len)) {
			if (found++ == 0)
				memcpy(out, list.v[i].id, SVD_ID_HEX_LEN + 1);
		}
	}
	free(list.v);
	if (found == 0)
		return svd_error_set(SVD_ENOTFOUND, "no item %s in the archive", prefix);
	if (found > 1)
		return svd_error_set(SVD_EINVALID,
		                     "%s is the start of %zu item ids; give more digits", prefix,
		                     found);
	return 0;
}

int svd_store_foreach(svd_archive *a, svd_manifest_cb cb, void *payload)
{
	svd_item_list list;
	size_t i;
	int error;

	if ((error = svd_store_list(&list, a->repo, NULL)) < 0)
		return error;
	for (i = 0; i < list.n && error == 0; i++) {
		git_tree *tree = NULL;
		const git_tree_entry *te;
		git_blob *blob = NULL;
		svd_manifest *m = NULL;

		if (list.v[i].misfiled) {
			error = cb(list.v[i].id, NULL, payload);
			continue;
		}
		if (git_tree_lookup(&tree, a->repo, &list.v[i].tree) < 0) {
			error = svd_git_error("cannot read an item's folder");
			break;
		}
		te = git_tree_entry_byname(tree, SVD_MANIFEST_NAME);
		if (te && git_tree_entry_type(te) == GIT_OBJECT_BLOB &&
		    git_blob_lookup(&blob, a->repo, git_tree_entry_id(te)) == 0 &&
		    git_blob_rawsize(blob) <= SVD_MANIFEST_MAX)
			svd_manifest_parse(&m, git_blob_rawcontent(blob),
			                   (size_t)git_blob_rawsize(blob));
		error = cb(list.v[i].id, m, payload);
		svd_manifest_free(m);
		git_blob_free(blob);
		git_tree_free(tree);
	}
	free(list.v);
	return error;
}

/*
 * Verification: one job per item on a queue's workers (workq.h), each
 * with its own repository handle; the callbacks follow on the calling
 * thread in id order, at most VERIFY_AHEAD items behind.
 */
typedef struct verify_job {
	svd_job job; /* the queue's */
	const svd_item_ref *items;
	size_t n;
	svd_verdict *verdicts[VERIFY_BATCH];
	uint64_t bytes[VERIFY_BATCH];
} verify_job;

typedef struct verify_ctx {
	const char *store_path;
	const svd_trust *trust;
	const svd_trust *registry; /* the commit's keys/ */
	int sizes_only;            /* payloads by size, not hashed (SVD_CHECK_SIZES_ONLY) */
} verify_ctx;

static int verify_one(svd_verdict **out, uint64_t *bytes, git_repository *repo,
                      const svd_item_ref *r, const verify_ctx *vc)
{
	svd_tree_item ti;
	char path[64];
	int error;

	if (r->misfiled) {
		snprintf(path, sizeof(path), "items/%s/%.12s...", r->fan, r->id);
		if ((error = svd_verdict_new(out)) < 0 ||
		    (error = svd_verdict_set_id(*out, r->id)) < 0 ||
		    (error = svd_verdict_add_problem(*out, path, "layout", "%s", r->misfiled)) <
		        0) {
			svd_verdict_free(*out);
			*out = NULL;
		}
		return error;
	}
	if ((error = svd_tree_item_read(&ti, repo, &r->tree, !vc->sizes_only)) < 0)
		return error;
	error = svd_item_check_keys(out, r->id, ti.entries, ti.n, vc->trust, vc->registry,
	                            vc->sizes_only ? SVD_CHECK_SIZES_ONLY : 0);
	*bytes += ti.bytes;
	svd_tree_item_clear(&ti);
	return error;
}

static int verify_repo_open(void **state, void *payload)
{
	const verify_ctx *vc = payload;

	if (git_repository_open_bare((git_repository **)state, vc->store_path) < 0)
		return svd_git_error("cannot open the archive's repository");
	return 0;
}

static void verify_repo_free(void *state, void *payload)
{
	(void)payload;
	git_repository_free(state);
}

static int verify_run(svd_job *qj, void *state, void *payload)
{
	verify_job *j = (verify_job *)qj;
	const verify_ctx *vc = payload;
	size_t k;
	int error = 0;

	for (k = 0; k < j->n && error == 0; k++)
		error = verify_one(&j->verdicts[k], &j->bytes[k], state, &j->items[k], vc);
	return error;
}

static int cmp_id(const void *x, const void *y)
{
	return strcmp(((const svd_item_ref *)x)->id, ((const svd_item_ref *)y)->id);
}

/* Pick the requested ids out of the full list (which is in id order). */
/*
 * The items of commit filed where ids would be (their fan-out folders
 * alone: show and verify of a few items read a few folders, not a million
 * entries); an id that is no id is left for select_items() to refuse.
 */
static int list_for(svd_item_list *out, git_repository *repo, const git_oid *commit,
                    const char *const *ids, size_t n)
{
	uint8_t fans[256] = {0};
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned fan;
		if (strspn(ids[i], "0123456789abcdef") < 2 || sscanf(ids[i], "%2x", &fan) != 1)
			return svd_store_list(out, repo, commit);
		fans[fan & 255] = 1;
	}
	return list_items(out, repo, commit, fans);
}

static int select_items(svd_item_list *list, const char *const *ids, size_t n)
{
	svd_item_ref *sel;
	size_t i;

	if (!(sel = calloc(n ? n : 1, sizeof(*sel))))
		return svd_error_set(SVD_ERROR, "out of memory");
	for (i = 0; i < n; i++) {
		svd_item_ref key, *r;
		snprintf(key.id, sizeof(key.id), "%s", ids[i]);
		r = bsearch(&key, list->v, list->n, sizeof(*list->v), cmp_id);
		if (!r) {
			free(sel);
			return svd_error_set(SVD_ENOTFOUND, "no item %s in the archive", ids[i]);
		}
		sel[i] = *r;
	}
	free(list->v);
	list->v = sel;
	list->n = list->cap = n;
	return 0;
}

int svd_store_verify(svd_archive *a, const char *const *ids, size_t n, unsigned threads,
                     svd_item_cb cb, void *payload, svd_verify_stats *stats)
{
	svd_verify_stats st = {0};
	int error = svd_store_check(a, NULL, ids, n, threads, a->trust, 0, cb, payload, &st);

	if (stats)
		*stats = st;
	if (error == 0 && st.failed > 0)
		error = svd_error_set(SVD_ECORRUPT, "%zu of %zu items failed verification",
		                      st.failed, st.items);
	return error;
}

/* The gate over the items of list (borrowed) of commit, as svd_store_check(). */
static int check_list(svd_archive *a, const git_oid *commit, const svd_item_list *list,
                      unsigned threads, const svd_trust *trust, unsigned flags, svd_item_cb cb,
                      void *payload, svd_verify_stats *stats)
{
	svd_verify_stats st = {0};
	verify_ctx vc = {a->store_path, trust, NULL, (flags & SVD_CHECK_SIZES_ONLY) != 0};
	svd_trust *registry = NULL;
	git_oid head;
	svd_workq_opts o = {.limit = VERIFY_JOBS,
	                    .worker_new = verify_repo_open,
	                    .worker_free = verify_repo_free,
	                    .run = verify_run,
	                    .payload = &vc};
	svd_workq *q = NULL;
	verify_job *jobs = NULL;
	size_t b, k, nb, next = 0;
	int error = 0, stop;

	/* the registry of keys in the same commit: signatures stored without their key */
	if (!commit && (error = svd_store_head_oid(&head, a->repo)) == 0)
		commit = &head;
	if ((error == 0 || error == SVD_ENOTFOUND) &&
	    (error = svd_store_keys_read(&registry, a->repo, commit)) < 0)
		goto cleanup;
	vc.registry = registry;
	if (!(jobs = calloc(VERIFY_JOBS, sizeof(*jobs)))) {
		error = svd_error_set(SVD_ERROR, "out of memory");
		goto cleanup;
	}
	/* no more workers than jobs: each opens the repository */
	nb = (list->n + VERIFY_BATCH - 1) / VERIFY_BATCH;
	o.threads = svd_threads(threads);
	if (o.threads > nb)
		o.threads = (unsigned)nb;
	if (nb > 0 && (error = svd_workq_new(&q, &o)) < 0)
		goto cleanup;
	/* jobs[b % VERIFY_JOBS] is batch b's, from its submission to its callbacks */
	for (b = 0; b < nb && error == 0; b++) {
		verify_job *j = &jobs[b % VERIFY_JOBS];

		while (error == 0 && next < nb && next < b + VERIFY_JOBS) {
			verify_job *s = &jobs[next % VERIFY_JOBS];
			s->items = &list->v[next * VERIFY_BATCH];
			s->n = list->n - next * VERIFY_BATCH < VERIFY_BATCH
			           ? list->n - next * VERIFY_BATCH
			           : VERIFY_BATCH;
			memset(s->verdicts, 0, sizeof(s->verdicts));
			memset(s->bytes, 0, sizeof(s->bytes));
			next++;
			error = svd_workq_submit(q, &s->job, 1, 0);
		}
		if (error < 0 || (error = svd_workq_wait(q, &j->job)) < 0)
			break;
		for (k = 0; k < j->n; k++) {
			st.items++;
			st.bytes += j->bytes[k];
			st.signatures += svd_verdict_sig_count(j->verdicts[k]);
			if (!svd_verdict_ok(j->verdicts[k]))
				st.failed++;
			if (cb && error == 0 && (stop = cb(j->verdicts[k], payload)) != 0)
				error = stop;
			svd_verdict_free(j->verdicts[k]);
			j->verdicts[k] = NULL;
		}
	}
	/* after a failure or a stop: the jobs still out are waited for, their verdicts dropped */
	svd_workq_free(q);
	for (; b < next; b++)
		for (k = 0; k < jobs[b % VERIFY_JOBS].n; k++)
			svd_verdict_free(jobs[b % VERIFY_JOBS].verdicts[k]);
cleanup:
	free(jobs);
	svd_trust_free(registry);
	if (stats)
		*stats = st;
	return error;
}

/*
 * Every item of a commit goes through the gate CHECK_CHUNK at a time, as
 * main lists them one fan-out folder after another: the whole listing was
 * 96 bytes an entry (96 MB at a million) beside everything else verify and
 * a view made from nothing hold.
 */
#define CHECK_CHUNK 4096

typedef struct check_chunks {
	svd_archive *a;
	const git_oid *commit;
	unsigned threads, flags;
	const svd_trust *trust;
	svd_item_cb cb;
	void *payload;
	svd_verify_stats st; /* of the chunks checked so far */
	svd_item_list held;  /* entries not checked yet */
} check_chunks;

static int check_flush(check_chunks *cc)
{
	svd_verify_stats st = {0};
	int error;

	if (!cc->held.n)
		return 0;
	error = check_list(cc->a, cc->commit, &cc->held, cc->threads, cc->trust, cc->flags, cc->cb,
	                   cc->payload, &st);
	cc->st.items += st.items;
	cc->st.failed += st.failed;
	cc->st.bytes += st.bytes;
	cc->st.signatures += st.signatures;
	cc->held.n = 0;
	return error;
}

static int check_part(const svd_item_list *part, void *payload)
{
	check_chunks *cc = payload;
	int error;

	if (cc->held.n + part->n > cc->held.cap) {
		size_t cap =
		    cc->held.n + part->n > CHECK_CHUNK ? cc->held.n + part->n : CHECK_CHUNK;
		svd_item_ref *v = realloc(cc->held.v, cap * sizeof(*v));
		if (!v)
			return svd_error_set(SVD_ERROR, "out of memory");
		cc->held.v = v;
		cc->held.cap = cap;
	}
	if (part->n)
		memcpy(cc->held.v + cc->held.n, part->v, part->n * sizeof(*part->v));
	cc->held.n += part->n;
	error = cc->held.n >= CHECK_CHUNK ? check_flush(cc) : 0;
	return error;
}

int svd_store_check(svd_archive *a, const git_oid *commit, const char *const *ids, size_t n,
                    unsigned threads, const svd_trust *trust, unsigned flags, svd_item_cb cb,
                    void *payload, svd_verify_stats *stats)
{
	check_chunks cc = {a, NULL, threads, flags, trust, cb, payload, {0}, {0}};
	svd_item_list list;
	git_oid head;
	int error;

	if (stats)
		memset(stats, 0, sizeof(*stats));
	if (ids) {
		if ((error = list_for(&list, a->repo, commit, ids, n)) < 0)
			return error;
		if ((error = select_items(&list, ids, n)) == 0)
			error =
			    check_list(a, commit, &list, threads, trust, flags, cb, payload, stats);
		free(list.v);
		return error;
	}
	/* one commit for every chunk, main's as it is now when none is given */
	if (!commit) {
		if ((error = svd_store_head_oid(&head, a->repo)) == SVD_ENOTFOUND) {
			svd_error_clear();
			return 0; /* nothing in the archive yet */
		}
		if (error < 0)
			return error;
		commit = &head;
	}
	cc.commit = commit;
	if ((error = svd_store_list_each(a->repo, commit, check_part, &cc)) == 0)
		error = check_flush(&cc);
	free(cc.held.v);
	if (stats)
		*stats = cc.st;
	return error;
}

int svd_store_check_refs(svd_archive *a, const git_oid *commit, const svd_item_ref *refs, size_t n,
                         unsigned threads, const svd_trust *trust, unsigned flags, svd_item_cb cb,
                         void *payload, svd_verify_stats *stats)
{
	svd_item_list list = {(svd_item_ref *)refs, n, n};

	if (stats)
		memset(stats, 0, sizeof(*stats));
	return check_list(a, commit, &list, threads, trust, flags, cb, payload, stats);
}

int svd_store_log(svd_archive *a, svd_log_cb cb, void *payload)
{
	git_revwalk *walk = NULL;
	git_oid oid;
	int error;

	if ((error = svd_store_head_oid(&oid, a->repo)) < 0)
		return error == SVD_ENOTFOUND ? 0 : error;
	if (git_revwalk_new(&walk, a->repo) < 0 || git_revwalk_push(walk, &oid) < 0) {
		error = svd_git_error("cannot walk main's history");
		goto cleanup;
	}
	git_revwalk_sorting(walk, GIT_SORT_TOPOLOGICAL | GIT_SORT_TIME);
	while (error == 0 && git_revwalk_next(&oid, walk) == 0) {
		git_commit *c = NULL;
		char hex[SVD_COMMIT_HEX_LEN + 1];
		svd_log_entry e;

		if (git_commit_lookup(&c, a->repo, &oid) < 0) {
			error = svd_git_error("cannot read a commit");
			break;
		}
		git_oid_tostr(hex, sizeof(hex), &oid);
		e.commit = hex;
		e.time = (int64_t)git_commit_time(c);
		e.tz_offset = git_commit_time_offset(c);
		e.message = git_commit_message(c);
		error = cb(&e, payload);
		git_commit_free(c);
	}
cleanup:
	git_revwalk_free(walk);
	return error;
}

/* A file of an item in main, held in memory while the caller needs it. */
struct svd_store_file {
	git_blob *blob;
};

int svd_store_file_find(svd_archive *a, const char *id, const char *name, uint64_t max,
                        char blob_id[41], uint64_t *size)
{
	git_oid head, oid;
	git_tree *items = NULL, *tree = NULL;
	git_tree_entry *te = NULL;
	git_odb *odb = NULL;
	git_object_t type;
	size_t n;
	int error;

	if ((error = svd_store_head_oid(&head, a->repo)) < 0) {
		if (error == SVD_ENOTFOUND)
			svd_error_set(SVD_ENOTFOUND, "no item %.64s in the archive", id);
		return error;
	}
	if ((error = svd_store_items_tree(&items, a->repo, &head)) < 0 ||
	    (error = svd_store_item_tree(&oid, a->repo, items, id)) < 0)
		goto cleanup;
	if (git_tree_lookup(&tree, a->repo, &oid) < 0) {
		error = svd_git_error("cannot read an item's folder");
		goto cleanup;
	}
	if (git_tree_entry_bypath(&te, tree, name) < 0 ||
	    git_tree_entry_type(te) != GIT_OBJECT_BLOB) {
		error = svd_error_set(SVD_ENOTFOUND, "item %.12s... holds no file %s", id, name);
		goto cleanup;
	}
	if (git_repository_odb(&odb, a->repo) < 0 ||
	    git_odb_read_header(&n, &type, odb, git_tree_entry_id(te)) < 0) {
		error = svd_git_error("cannot read a file's size");
		goto cleanup;
	}
	if ((uint64_t)n > max) {
		error = svd_error_set(SVD_ETOOBIG, "file of %zu bytes is over the limit of %llu", n,
		                      (unsigned long long)max);
		goto cleanup;
	}
	git_oid_tostr(blob_id, 41, git_tree_entry_id(te));
	*size = n;
cleanup:
	git_odb_free(odb);
	git_tree_entry_free(te);
	git_tree_free(tree);
	git_tree_free(items);
	return error;
}

int svd_store_blob_open(svd_store_file **out, svd_archive *a, const char *blob_id)
{
	git_oid oid;

	*out = NULL;
	if (strlen(blob_id) != 40 || git_oid_fromstr(&oid, blob_id) < 0)
		return svd_error_set(SVD_EINVALID, "not a git id: %.40s", blob_id);
	if (!(*out = calloc(1, sizeof(**out))))
		return svd_error_set(SVD_ERROR, "out of memory");
	if (git_blob_lookup(&(*out)->blob, a->repo, &oid) < 0) {
		free(*out);
		*out = NULL;
		return svd_git_error("cannot read a file");
	}
	return 0;
}

int svd_store_file_open(svd_store_file **out, svd_archive *a, const char *id, const char *name,
                        uint64_t max)
{
	char blob_id[41];
	uint64_t size;
	int error;

	*out = NULL;
	if ((error = svd_store_file_find(a, id, name, max, blob_id, &size)) < 0)
		return error;
	return svd_store_blob_open(out, a, blob_id);
}

void svd_store_file_id(char out[41], const svd_store_file *f)
{
	git_oid_tostr(out, 41, git_blob_id(f->blob));
}

const void *svd_store_file_data(const svd_store_file *f, size_t *len)
{
	*len = (size_t)git_blob_rawsize(f->blob);
	return git_blob_rawcontent(f->blob);
}

void svd_store_file_free(svd_store_file *f)
{
	if (!f)
		return;
	git_blob_free(f->blob);
	free(f);
}
