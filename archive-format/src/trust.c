/*
 * trust.c: a trust list — the editors' and roots' public keys a mirror
 * trusts, loaded from folders of <KEYID>.pub files or built in memory, and
 * its thresholds (the trust policy file, SPEC.md 7.3). The gate and the
 * view read it; where the folders are, and how keys are added to them, is
 * the archive's (archive.c).
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "samvydav/trust.h"
#include "buf.h"
#include "util.h"

#define POLICY_HEADER "samvydav trust-policy 1"

struct svd_trust {
	svd_pubkey **keys; /* sorted by key id */
	uint8_t *roles;    /* per key: SVD_TRUST_EDITOR | SVD_TRUST_ROOT */
	size_t n, cap;
	unsigned root_k;                  /* roots needed for a statement; 0: 1 */
	unsigned kind_k[SVD_TRUST_KINDS]; /* signatures needed per kind; 0: 1 */
};

/* Add a key with a role, or give a key already there that role too; takes pk. */
static int put(svd_trust *t, svd_pubkey *pk, unsigned role)
{
	size_t lo = 0, hi = t->n;
	int error;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(svd_pubkey_id(t->keys[mid]), svd_pubkey_id(pk));
		if (c == 0) {
			if (memcmp(svd_pubkey_bytes(t->keys[mid]), svd_pubkey_bytes(pk), 32)) {
				error =
				    svd_error_set(SVD_ECORRUPT,
				                  "two different keys with the key number %s: the "
				                  "trust list may hold only one of them",
				                  svd_pubkey_id(pk));
				svd_pubkey_free(pk);
				return error;
			}
			t->roles[mid] |= (uint8_t)role;
			svd_pubkey_free(pk);
			return 0;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (t->n == t->cap) {
		size_t ncap = t->cap ? t->cap * 2 : 8;
		svd_pubkey **k = realloc(t->keys, ncap * sizeof(*k));
		uint8_t *r;
		if (k)
			t->keys = k;
		if (!k || !(r = realloc(t->roles, ncap))) {
			svd_pubkey_free(pk);
			return svd_error_set(SVD_ERROR, "out of memory");
		}
		t->roles = r;
		t->cap = ncap;
	}
	memmove(t->keys + lo + 1, t->keys + lo, (t->n - lo) * sizeof(*t->keys));
	memmove(t->roles + lo + 1, t->roles + lo, t->n - lo);
	t->keys[lo] = pk;
	t->roles[lo] = (uint8_t)role;
	t->n++;
	return 0;
}

/* Every <KEYID>.pub of a folder, with a role; a missing folder is none when optional. */
static int load_dir(svd_trust *t, const char *dir, unsigned role, int optional)
{
	DIR *d;
	struct dirent *e;
	char *p = NULL;
	int error = 0;

	if (!(d = opendir(dir))) {
		if (errno == ENOENT && optional)
			return 0;
		return svd_error_set(errno == ENOENT ? SVD_ENOTFOUND : SVD_ERROR,
		                     "%s: cannot read the trust list: %s", dir, strerror(errno));
	}
	while (error == 0 && (e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);
		svd_pubkey *pk = NULL;

		if (len < 4 || strcmp(e->d_name + len - 4, ".pub"))
			continue;
		if (!(p = svd_path_join(dir, e->d_name))) {
			error = SVD_ERROR;
			break;
		}
		if ((error = svd_pubkey_read(&pk, p)) < 0) {
			error = svd_error_set(SVD_ECORRUPT, "trust list: %s", svd_error_last());
		} else if (len != SVD_KEYID_HEX_LEN + 4 ||
		           strncmp(e->d_name, svd_pubkey_id(pk), SVD_KEYID_HEX_LEN)) {
			error = svd_error_set(SVD_ECORRUPT,
			                      "%s: holds key %s but is named otherwise; rename it "
			                      "%s.pub or remove it",
			                      p, svd_pubkey_id(pk), svd_pubkey_id(pk));
			svd_pubkey_free(pk);
		} else if ((error = put(t, pk, role)) < 0) {
			error = svd_error_set(error, "%s: %s", p, svd_error_last());
		}
		free(p);
		p = NULL;
	}
	closedir(d);
	return error;
}

int svd_trust_load(svd_trust **out, const char *dir)
{
	svd_trust *t;
	int error;

	*out = NULL;
	if ((error = svd_trust_new(&t)) < 0)
		return error;
	if ((error = load_dir(t, dir, SVD_TRUST_EDITOR, 0)) < 0) {
		svd_trust_free(t);
		return error;
	}
	*out = t;
	return 0;
}

int svd_trust_load_roots(svd_trust *t, const char *dir)
{
	return load_dir(t, dir, SVD_TRUST_ROOT, 1);
}

/* A threshold's value: 1..SVD_TRUST_THRESHOLD_MAX, digits only. */
static int threshold(unsigned *out, const char *s)
{
	unsigned long v;
	char *end;

	if (!s || *s < '1' || *s > '9' || strlen(s) > 3)
		return -1;
	v = strtoul(s, &end, 10);
	if (*end || v < 1 || v > SVD_TRUST_THRESHOLD_MAX)
		return -1;
	*out = (unsigned)v;
	return 0;
}

int svd_trust_policy_parse(svd_trust *t, const char *buf, size_t len, const char *where)
{
	unsigned root_k = 0, kind_k[SVD_TRUST_KINDS] = {0};
	size_t off = 0, line = 0;

	if (len > SVD_TRUST_POLICY_MAX)
		return svd_error_set(SVD_ETOOBIG, "%s: %zu bytes, over the limit of %d", where, len,
		                     SVD_TRUST_POLICY_MAX);
	while (off < len) {
		const char *nl = memchr(buf + off, '\n', len - off);
		size_t n = nl ? (size_t)(nl - (buf + off)) : len - off;
		char l[128], *w[4];
		size_t nw = 0;
		unsigned k;
		char *save = NULL, *tok;
		svd_kind kind;

		line++;
		if (n >= sizeof(l) || memchr(buf + off, '\0', n))
			return svd_error_set(SVD_ECORRUPT, "%s:%zu: line too long or holds a NUL",
			                     where, line);
		memcpy(l, buf + off, n);
		off += n + (nl ? 1 : 0);
		if (n && l[n - 1] == '\r') /* a CR LF line ending (SPEC 1) */
			n--;
		l[n] = '\0';
		if (memchr(l, '\r', n))
			return svd_error_set(SVD_ECORRUPT, "%s:%zu: a CR inside a line", where,
			                     line);
		if (line == 1) {
			if (strcmp(l, POLICY_HEADER))
				return svd_error_set(
				    SVD_ECORRUPT,
				    "%s:1: not a trust policy (the first line must be "
				    "'%s')",
				    where, POLICY_HEADER);
			continue;
		}
		for (tok = strtok_r(l, " ", &save); tok && nw < 4; tok = strtok_r(NULL, " ", &save))
			w[nw++] = tok;
		if (nw == 0 || w[0][0] == '#')
			continue;
		if (nw == 2 && !strcmp(w[0], "roots") && threshold(&k, w[1]) == 0) {
			root_k = k;
		} else if (nw == 3 && !strcmp(w[0], "kind") && svd_kind_parse(&kind, w[1]) == 0 &&
		           kind <= SVD_KIND_RETRACTION && threshold(&k, w[2]) == 0) {
			kind_k[kind] = k;
		} else {
			svd_error_clear();
			return svd_error_set(
			    SVD_ECORRUPT,
			    "%s:%zu: not a policy line (expected 'roots N' or "
			    "'kind KIND N', KIND article, testimony, correction or "
			    "retraction, N from 1 to %d)",
			    where, line, SVD_TRUST_THRESHOLD_MAX);
		}
	}
	if (line == 0)
		return svd_error_set(SVD_ECORRUPT, "%s: empty; the first line must be '%s'", where,
		                     POLICY_HEADER);
	t->root_k = root_k;
	memcpy(t->kind_k, kind_k, sizeof(kind_k));
	return 0;
}

int svd_trust_load_policy(svd_trust *t, const char *path)
{
	char *buf = NULL;
	size_t len = 0;
	int error = svd_file_read(&buf, &len, path, SVD_TRUST_POLICY_MAX);

	if (error == SVD_ENOTFOUND) {
		svd_error_clear();
		return 0;
	}
	if (error == 0)
		error = svd_trust_policy_parse(t, buf, len, path);
	free(buf);
	return error;
}

int svd_trust_policy_format(char **out, size_t *len, const svd_trust *t)
{
	svd_buf b;
	size_t i;

	*out = NULL;
	svd_buf_init(&b, SVD_TRUST_POLICY_MAX);
	svd_buf_printf(&b, "%s\n# this mirror's own; never copied (samvydav trust threshold)\n",
	               POLICY_HEADER);
	if (t->root_k)
		svd_buf_printf(&b, "roots %u\n", t->root_k);
	for (i = 0; i < SVD_TRUST_KINDS; i++)
		if (t->kind_k[i] && svd_kind_name((svd_kind)i))
			svd_buf_printf(&b, "kind %s %u\n", svd_kind_name((svd_kind)i),
			               t->kind_k[i]);
	if (b.error) {
		svd_buf_clear(&b);
		return svd_error_set(b.error, "out of memory");
	}
	*len = b.len;
	*out = b.data;
	return 0;
}

void svd_trust_copy_thresholds(svd_trust *dst, const svd_trust *src)
{
	dst->root_k = src->root_k;
	memcpy(dst->kind_k, src->kind_k, sizeof(dst->kind_k));
}

unsigned svd_trust_root_threshold(const svd_trust *t)
{
	return t && t->root_k ? t->root_k : 1;
}

unsigned svd_trust_kind_threshold(const svd_trust *t, svd_kind kind)
{
	return t && (unsigned)kind < SVD_TRUST_KINDS && t->kind_k[kind] ? t->kind_k[kind] : 1;
}

int svd_trust_set_threshold(svd_trust *t, int kind, unsigned k)
{
	if (k < 1 || k > SVD_TRUST_THRESHOLD_MAX)
		return svd_error_set(SVD_EINVALID, "a threshold is from 1 to %d, not %u",
		                     SVD_TRUST_THRESHOLD_MAX, k);
	if (kind < 0)
		t->root_k = k;
	else if (kind < SVD_TRUST_KINDS)
		t->kind_k[kind] = k;
	else
		return svd_error_set(SVD_EINVALID, "no such kind");
	return 0;
}

unsigned svd_trust_role(const svd_trust *t, size_t i)
{
	return t && i < t->n ? t->roles[i] : 0;
}

const svd_pubkey *svd_trust_match(const svd_trust *t, const uint8_t pk[32], const char *keyid,
                                  unsigned *role)
{
	size_t lo = 0, hi = t ? t->n : 0;

	if (role)
		*role = 0;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(svd_pubkey_id(t->keys[mid]), keyid);
		if (c == 0) {
			if (memcmp(svd_pubkey_bytes(t->keys[mid]), pk, 32))
				return NULL;
			if (role)
				*role = t->roles[mid];
			return t->keys[mid];
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

int svd_trust_new(svd_trust **out)
{
	if (!(*out = calloc(1, sizeof(**out))))
		return svd_error_set(SVD_ERROR, "out of memory");
	return 0;
}

int svd_trust_insert(svd_trust *t, const svd_pubkey *pk)
{
	return svd_trust_insert_role(t, pk, SVD_TRUST_EDITOR);
}

int svd_trust_insert_role(svd_trust *t, const svd_pubkey *pk, unsigned role)
{
	svd_pubkey *copy;
	int error;

	if ((error = svd_pubkey_dup(&copy, pk)) < 0)
		return error;
	return put(t, copy, role);
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
	free(t->roles);
	free(t);
}
