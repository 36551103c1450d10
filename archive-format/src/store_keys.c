/*
 * store_keys.c: the archive's registry of keys, keys/<KEYID>.pub in main's
 * tree — the public key of every signature the store holds, the first key
 * seen for each key number (SPEC 6.1). The gate checks signatures whose key
 * is neither beside them nor trusted with it, and refuses a later key that
 * claims a number the registry holds for another. Operations add to it in
 * the commit that stores the signatures (store_txn.c).
 */
#include <stdlib.h>
#include <string.h>

#include <git2.h>

#include "samvydav/key.h"
#include "store_internal.h"

/*
 * One entry of keys/: a blob named <KEYID>.pub that holds that key in its
 * canonical bytes. The store writes nothing else there; anything else
 * (damage, another program) is passed over, never half read into a key.
 */
static int add_key(svd_trust *reg, git_repository *repo, const git_tree_entry *te)
{
	const char *name = git_tree_entry_name(te);
	size_t len = strlen(name);
	git_blob *blob = NULL;
	svd_pubkey *pk = NULL;
	int error = 0;

	if (git_tree_entry_type(te) != GIT_OBJECT_BLOB || len != SVD_KEYID_HEX_LEN + 4 ||
	    strcmp(name + SVD_KEYID_HEX_LEN, ".pub"))
		return 0;
	if (git_blob_lookup(&blob, repo, git_tree_entry_id(te)) < 0)
		return svd_git_error("cannot read a key of the archive's keys/");
	if (git_blob_rawsize(blob) <= SVD_KEYFILE_MAX) {
		error = svd_pubkey_parse(&pk, (const char *)git_blob_rawcontent(blob),
		                         (size_t)git_blob_rawsize(blob));
		if (error == 0 && !strncmp(name, svd_pubkey_id(pk), SVD_KEYID_HEX_LEN))
			error = svd_trust_insert(reg, pk);
		else if (error != SVD_ERROR) /* not a key: passed over; out of memory is ours */
			error = 0;
	}
	if (error == 0)
		svd_error_clear();
	svd_pubkey_free(pk);
	git_blob_free(blob);
	return error;
}

int svd_store_keys_read(svd_trust **out, git_repository *repo, const git_oid *commit)
{
	svd_trust *reg = NULL;
	git_commit *c = NULL;
	git_tree *root = NULL, *keys = NULL;
	const git_tree_entry *te;
	size_t i;
	int error;

	*out = NULL;
	if ((error = svd_trust_new(&reg)) < 0)
		return error;
	if (!commit) {
		*out = reg;
		return 0;
	}
	if (git_commit_lookup(&c, repo, commit) < 0 || git_commit_tree(&root, c) < 0) {
		error = svd_git_error("cannot read main's commit");
		goto cleanup;
	}
	te = git_tree_entry_byname(root, SVD_KEYS_DIR);
	if (te && git_tree_entry_type(te) == GIT_OBJECT_TREE) {
		if (git_tree_lookup(&keys, repo, git_tree_entry_id(te)) < 0) {
			error = svd_git_error("cannot read the archive's keys/");
			goto cleanup;
		}
		for (i = 0; i < git_tree_entrycount(keys) && error == 0; i++)
			error = add_key(reg, repo, git_tree_entry_byindex(keys, i));
		if (error < 0)
			goto cleanup;
	}
	*out = reg;
	reg = NULL;
cleanup:
	svd_trust_free(reg);
	git_tree_free(keys);
	git_tree_free(root);
	git_commit_free(c);
	return error;
}
