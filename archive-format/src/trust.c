/*
 * trust.c: a trust list — the editors' public keys a mirror trusts, loaded
 * from a folder of <KEYID>.pub files or built in memory. The gate reads it;
 * where the folder is, and how keys are added to it, is the archive's
 * (archive.c).
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "samvydav/trust.h"
#include "util.h"

struct svd_trust {
	svd_pubkey **keys; /* sorted by key id */
	size_t n;
};

static int cmp_key(const void *x, const void *y)
{
	return strcmp(svd_pubkey_id(*(svd_pubkey *const *)x),
	              svd_pubkey_id(*(svd_pubkey *const *)y));
}

int svd_trust_load(svd_trust **out, const char *dir)
{
	svd_trust *t;
	DIR *d = NULL;
	struct dirent *e;
	char *p = NULL;
	size_t cap = 0;
	int error = SVD_ERROR;

	*out = NULL;
	if (!(t = calloc(1, sizeof(*t))))
		return svd_error_set(SVD_ERROR, "out of memory");
	if (!(d = opendir(dir))) {
		error = svd_error_set(errno == ENOENT ? SVD_ENOTFOUND : SVD_ERROR,
		                      "%s: cannot read the trust list: %s", dir, strerror(errno));
		goto cleanup;
	}
	while ((e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);
		svd_pubkey *pk = NULL;

		if (len < 4 || strcmp(e->d_name + len - 4, ".pub"))
			continue;
		if (!(p = svd_path_join(dir, e->d_name)))
			goto cleanup;
		if ((error = svd_pubkey_read(&pk, p)) < 0) {
			error = svd_error_set(SVD_ECORRUPT, "trust list: %s", svd_error_last());
			goto cleanup;
		}
		if (len != SVD_KEYID_HEX_LEN + 4 ||
		    strncmp(e->d_name, svd_pubkey_id(pk), SVD_KEYID_HEX_LEN)) {
			error = svd_error_set(SVD_ECORRUPT,
			                      "%s: holds key %s but is named otherwise; rename it "
			                      "%s.pub or remove it",
			                      p, svd_pubkey_id(pk), svd_pubkey_id(pk));
			svd_pubkey_free(pk);
			goto cleanup;
		}
		if (t->n == cap) {
			size_t ncap = cap ? cap * 2 : 8;
			svd_pubkey **k = realloc(t->keys, ncap * sizeof(*k));
			if (!k) {
				svd_pubkey_free(pk);
				error = svd_error_set(SVD_ERROR, "out of memory");
				goto cleanup;
			}
			t->keys = k;
			cap = ncap;
		}
		t->keys[t->n++] = pk;
		free(p);
		p = NULL;
	}
	if (t->n > 1)
		qsort(t->keys, t->n, sizeof(*t->keys), cmp_key);
	*out = t;
	t = NULL;
	error = 0;
cleanup:
	if (d)
		closedir(d);
	free(p);
	svd_trust_free(t);
	return error;
}

int svd_trust_new(svd_trust **out)
{
	if (!(*out = calloc(1, sizeof(**out))))
		return svd_error_set(SVD_ERROR, "out of memory");
	return 0;
}

int svd_trust_insert(svd_trust *t, const svd_pubkey *pk)
{
	svd_pubkey **keys, *copy;
	int error;

	if (svd_trust_find(t, svd_pubkey_id(pk)))
		return 0;
	if ((error = svd_pubkey_dup(&copy, pk)) < 0)
		return error;
	if (!(keys = realloc(t->keys, (t->n + 1) * sizeof(*keys)))) {
		svd_pubkey_free(copy);
		return svd_error_set(SVD_ERROR, "out of memory");
	}
	t->keys = keys;
	t->keys[t->n++] = copy;
	qsort(t->keys, t->n, sizeof(*t->keys), cmp_key);
	return 0;
}

size_t svd_trust_count(const svd_trust *t)
{
	return t ? t->n : 0;
}

const svd_pubkey *svd_trust_at(const svd_trust *t, size_t i)
{
	return i < t->n ? t->keys[i] : NULL;
}

const svd_pubkey *svd_trust_find(const svd_trust *t, const char *keyid)
{
	size_t lo = 0, hi = t ? t->n : 0;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(svd_pubkey_id(t->keys[mid]), keyid);
		if (c == 0)
			return t->keys[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

void svd_trust_free(svd_trust *t)
{
	size_t i;

	if (!t)
		return;
	for (i = 0; i < t->n; i++)
		svd_pubkey_free(t->keys[i]);
	free(t->keys);
	free(t);
}
