/*
 * store_items.c: the store's items for the rooms above it (store_items.h)
 * — a commit's list, the gate over it with a trust list, an item's files
 * read through a thread's own repository handle, the head of one file of
 * main. The git behind them stays here.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <git2.h>

#include "samvydav/store.h"
#include "archive_internal.h"
#include "store_internal.h"
#include "store_items.h"
#include "util.h"

struct svd_store_items {
	svd_item_ref *v; /* well-filed items only: in id order */
	size_t n;
	char commit[GIT_OID_HEXSZ + 1];
	int64_t time; /* the commit's, seconds since the epoch */
};

/* One fan-out folder (fan < 256) or all of them. */
static int items_list(svd_store_items **out, svd_archive *a, const char *commit, unsigned fan)
{
	svd_store_items *l = NULL;
	svd_item_list list = {0};
	git_commit *c = NULL;
	git_oid oid;
	size_t i, k = 0;
	int error, has_commit = 1;

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
	if (!(l = calloc(1, sizeof(*l))))
		return svd_error_set(SVD_ERROR, "out of memory");
	if (has_commit) {
		if ((error = fan < 256 ? svd_store_list_fan(&list, a->repo, &oid, fan)
		                       : svd_store_list(&list, a->repo, &oid)) < 0) {
			free(l);
			return error;
		}
		for (i = 0; i < list.n; i++)
			if (!list.v[i].misfiled)
				list.v[k++] = list.v[i];
		git_oid_tostr(l->commit, sizeof(l->commit), &oid);
		if (git_commit_lookup(&c, a->repo, &oid) == 0) {
			l->time = (int64_t)git_commit_time(c);
			git_commit_free(c);
		}
	}
	l->v = list.v;
	l->n = k;
	*out = l;
	return 0;
}

int svd_store_items_list(svd_store_items **out, svd_archive *a, const char *commit)
{
	return items_list(out, a, commit, 256);
}

int svd_store_items_list_fan(svd_store_items **out, svd_archive *a, const char *commit,
                             unsigned fan)
{
	if (fan > 255)
		return svd_error_set(SVD_EINVALID, "no fan-out folder %u", fan);
	return items_list(out, a, commit, fan);
}

const char *svd_store_items_commit(const svd_store_items *l)
{
	return l->commit;
}

int64_t svd_store_items_time(const svd_store_items *l)
{
	return l->time;
}

const uint8_t *svd_store_items_folder(const svd_store_items *l, size_t i)
{
	return l->v[i].tree.id;
}

size_t svd_store_items_count(const svd_store_items *l)
{
	return l->n;
}

const char *svd_store_items_id(const svd_store_items *l, size_t i)
{
	return l->v[i].id;
}

static int cmp_ref(const void *key, const void *r)
{
	return strcmp(key, ((const svd_item_ref *)r)->id);
}

long svd_store_items_find(const svd_store_items *l, const char *id)
{
	const svd_item_ref *r = l->n ? bsearch(id, l->v, l->n, sizeof(*l->v), cmp_ref) : NULL;

	return r ? (long)(r - l->v) : -1;
}

int svd_store_items_same(const svd_store_items *a, size_t i, const svd_store_items *b, size_t j)
{
	return git_oid_equal(&a->v[i].tree, &b->v[j].tree);
}

void svd_store_items_free(svd_store_items *l)
{
	if (!l)
		return;
	free(l->v);
	free(l);
}

int svd_store_items_verify(svd_archive *a, const svd_store_items *l, const svd_trust *trust,
                           const char *const *ids, size_t n, unsigned threads, svd_item_cb cb,
                           void *payload, svd_verify_stats *stats)
{
	svd_verify_stats st = {0};
	git_oid oid;
	int error;

	if (!l->commit[0]) {
		/* nothing in the archive yet: no id given can be there */
		error = ids && n > 0
		            ? svd_error_set(SVD_ENOTFOUND, "no item %s in the archive", ids[0])
		            : 0;
	} else if (git_oid_fromstr(&oid, l->commit) < 0) {
		error = svd_git_error("cannot read the listed commit");
	} else {
		error = svd_store_check(a, &oid, ids, n, threads, trust ? trust : a->trust, 0, cb,
		                        payload, &st);
	}
	if (stats)
		*stats = st;
	if (error == 0 && st.failed > 0)
		error = svd_error_set(SVD_ECORRUPT, "%zu of %zu items failed verification",
		                      st.failed, st.items);
	return error;
}

struct svd_store_reader {
	git_repository *repo;
};

int svd_store_reader_open(svd_store_reader **out, const svd_archive *a)
{
	svd_store_reader *r;

	*out = NULL;
	if (!(r = calloc(1, sizeof(*r))))
		return svd_error_set(SVD_ERROR, "out of memory");
	if (git_repository_open_bare(&r->repo, a->store_path) < 0) {
		free(r);
		return svd_git_error("cannot open the archive's repository");
	}
	*out = r;
	return 0;
}

void svd_store_reader_free(svd_store_reader *r)
{
	if (!r)
		return;
	git_repository_free(r->repo);
	free(r);
}

int svd_store_item_recheck(svd_verdict **out, svd_store_reader *r, const svd_store_items *l,
                           size_t i, const svd_trust *trust, const svd_trust *registry)
{
	svd_tree_item ti;
	int error;

	*out = NULL;
	if ((error = svd_tree_item_read(&ti, r->repo, &l->v[i].tree, 0)) < 0)
		return error;
	error = svd_item_check_keys(out, l->v[i].id, ti.entries, ti.n, trust, registry,
	                            SVD_CHECK_SIZES_ONLY);
	svd_tree_item_clear(&ti);
	return error;
}

int svd_store_items_registry(svd_trust **out, svd_archive *a, const svd_store_items *l)
{
	git_oid oid;

	*out = NULL;
	if (!l->commit[0])
		return 0; /* nothing in the archive yet */
	if (git_oid_fromstr(&oid, l->commit) < 0)
		return svd_git_error("cannot read the listed commit");
	return svd_store_keys_read(out, a->repo, &oid);
}

typedef struct item_file {
	char *name;
	git_oid oid;
	git_blob *blob; /* once read; with libgit2's cache off, no other object shares it */
} item_file;

struct svd_store_item {
	git_repository *repo; /* the reader's */
	char id[SVD_ID_HEX_LEN + 1];
	item_file *files;
	size_t n, cap;
};

static int is_file(const git_tree_entry *te)
{
	return git_tree_entry_filemode(te) == GIT_FILEMODE_BLOB ||
	       git_tree_entry_filemode(te) == GIT_FILEMODE_BLOB_EXECUTABLE;
}

static int add_file(svd_store_item *it, const char *prefix, const git_tree_entry *te)
{
	const char *name = git_tree_entry_name(te);
	item_file *f;

	if (svd_grow(&it->files, &it->cap, it->n + 1, sizeof(*it->files), 8) < 0)
		return SVD_ERROR;
	f = &it->files[it->n];
	if (!(f->name = malloc(strlen(prefix) + strlen(name) + 1)))
		return svd_error_set(SVD_ERROR, "out of memory");
	strcpy(f->name, prefix);
	strcat(f->name, name);
	git_oid_cpy(&f->oid, git_tree_entry_id(te));
	f->blob = NULL;
	it->n++;
	return 0;
}

/*
 * The item's regular files in a bundle's order: manifest.json, the payload
 * files (git's order of names is byte order, the manifest's order), then
 * sig/ sorted. Anything else in the folder (links, other folders) is not
 * listed: the gate would refuse it.
 */
static int list_files(svd_store_item *it, const git_oid *folder)
{
	git_tree *tree = NULL, *sig = NULL;
	const git_tree_entry *te;
	size_t i, n;
	int error = 0;

	if (git_tree_lookup(&tree, it->repo, folder) < 0)
		return svd_git_error("cannot read an item's folder");
	if ((te = git_tree_entry_byname(tree, SVD_MANIFEST_NAME)) && is_file(te) &&
	    (error = add_file(it, "", te)) < 0)
		goto cleanup;
	n = git_tree_entrycount(tree);
	for (i = 0; i < n && error == 0; i++) {
		te = git_tree_entry_byindex(tree, i);
		if (is_file(te) && strcmp(git_tree_entry_name(te), SVD_MANIFEST_NAME))
			error = add_file(it, "", te);
	}
	te = git_tree_entry_byname(tree, SVD_SIG_DIR);
	if (error == 0 && te && git_tree_entry_type(te) == GIT_OBJECT_TREE) {
		if (git_tree_lookup(&sig, it->repo, git_tree_entry_id(te)) < 0) {
			error = svd_git_error("cannot read an item's signatures");
			goto cleanup;
		}
		n = git_tree_entrycount(sig);
		for (i = 0; i < n && error == 0; i++) {
			te = git_tree_entry_byindex(sig, i);
			if (is_file(te))
				error = add_file(it, SVD_SIG_DIR "/", te);
		}
	}
cleanup:
	git_tree_free(sig);
	git_tree_free(tree);
	return error;
}

int svd_store_item_open(svd_store_item **out, svd_store_reader *r, const svd_store_items *l,
                        size_t i)
{
	svd_store_item *it;
	int error;

	*out = NULL;
	if (!(it = calloc(1, sizeof(*it))))
		return svd_error_set(SVD_ERROR, "out of memory");
	it->repo = r->repo;
	memcpy(it->id, l->v[i].id, sizeof(it->id));
	if ((error = list_files(it, &l->v[i].tree)) < 0) {
		svd_store_item_free(it);
		return error;
	}
	*out = it;
	return 0;
}

size_t svd_store_item_count(const svd_store_item *it)
{
	return it->n;
}

const char *svd_store_item_name(const svd_store_item *it, size_t k)
{
	return it->files[k].name;
}

long svd_store_item_find(const svd_store_item *it, const char *name)
{
	size_t k;

	for (k = 0; k < it->n; k++)
		if (!strcmp(it->files[k].name, name))
			return (long)k;
	return -1;
}

int svd_store_item_data(const void **data, size_t *len, svd_store_item *it, size_t k)
{
	item_file *f = &it->files[k];

	if (!f->blob && git_blob_lookup(&f->blob, it->repo, &f->oid) < 0) {
		char what[SVD_ID_HEX_LEN + 128];
		f->blob = NULL;
		snprintf(what, sizeof(what), "items/%.2s/%s/%.40s", it->id, it->id, f->name);
		return svd_git_error(what);
	}
	*data = git_blob_rawcontent(f->blob);
	*len = (size_t)git_blob_rawsize(f->blob);
	return 0;
}

void svd_store_item_drop(svd_store_item *it, size_t k)
{
	git_blob_free(it->files[k].blob);
	it->files[k].blob = NULL;
}

void svd_store_item_free(svd_store_item *it)
{
	size_t k;

	if (!it)
		return;
	for (k = 0; k < it->n; k++) {
		free(it->files[k].name);
		git_blob_free(it->files[k].blob);
	}
	free(it->files);
	free(it);
}

/* An item's folder in main. */
static int main_item_tree(git_tree **out, svd_archive *a, const char *id)
{
	git_oid head, oid;
	git_tree *items = NULL;
	int error;

	*out = NULL;
	if ((error = svd_store_head_oid(&head, a->repo)) < 0 ||
	    (error = svd_store_items_tree(&items, a->repo, &head)) < 0)
		return error;
	if (!items)
		return svd_error_set(SVD_ENOTFOUND, "no item %s in the archive", id);
	if ((error = svd_store_item_tree(&oid, a->repo, items, id)) == 0 &&
	    git_tree_lookup(out, a->repo, &oid) < 0)
		error = svd_git_error("cannot read an item's folder");
	git_tree_free(items);
	return error;
}

int svd_store_file_head(char **out, size_t *len, svd_archive *a, const char *id, const char *name,
                        size_t max)
{
	const git_tree_entry *te;
	git_tree *tree = NULL;
	git_blob *blob = NULL;
	size_t n;
	int error;

	*out = NULL;
	*len = 0;
	if ((error = main_item_tree(&tree, a, id)) < 0)
		return error;
	te = git_tree_entry_byname(tree, name);
	if (!te || git_tree_entry_type(te) != GIT_OBJECT_BLOB)
		goto cleanup;
	if (git_blob_lookup(&blob, a->repo, git_tree_entry_id(te)) < 0) {
		error = svd_git_error(name);
		goto cleanup;
	}
	n = (size_t)git_blob_rawsize(blob);
	if (n > max)
		n = max;
	if (!(*out = malloc(n + 1))) {
		error = svd_error_set(SVD_ERROR, "out of memory");
		goto cleanup;
	}
	memcpy(*out, git_blob_rawcontent(blob), n);
	(*out)[n] = '\0';
	*len = n;
cleanup:
	git_blob_free(blob);
	git_tree_free(tree);
	return error;
}
