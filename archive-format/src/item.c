/*
 * item.c: the gate. Every item, from wherever it comes, is compared with
 * its manifest and its signatures are checked against the trust list here.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "samvydav/item.h"
#include "samvydav/sig.h"
#include "util.h"

#define MANIFEST_NAME "manifest.json"
#define SIG_DIR       "sig"
#define SIG_SUFFIX    ".minisig"
#define KEY_SUFFIX    ".pub"

typedef struct problem {
	char *file;
	const char *check;
	char *message;
} problem;

typedef struct sigres {
	char keyid[SVD_KEYID_HEX_LEN + 1];
	svd_sig_status status;
	svd_pubkey *key; /* the key it verified with (a copy), or NULL */
	int unknown;     /* no key for it anywhere */
} sigres;

/* A key file beside the signatures, sig/<KEYID>.pub. */
typedef struct keyfile {
	const svd_entry *e;
	svd_pubkey *pk; /* NULL when it is not a good key file */
} keyfile;

struct svd_verdict {
	char id[SVD_ID_HEX_LEN + 1];
	int id_named; /* id is only what the item's folder names: the manifest gave none */
	svd_manifest *manifest;
	problem *problems;
	size_t nproblems;
	sigres *sigs;
	size_t nsigs;
	problem *dropped; /* bad signature files left out of an accepted item */
	size_t ndropped;
	char *source;
	int oom;
};

int svd_verdict_new(svd_verdict **out)
{
	if (!(*out = calloc(1, sizeof(**out))))
		return svd_error_set(SVD_ERROR, "out of memory");
	return 0;
}

int svd_verdict_set_id(svd_verdict *v, const char *id)
{
	snprintf(v->id, sizeof(v->id), "%s", id);
	return 0;
}

int svd_verdict_set_named_id(svd_verdict *v, const char *id)
{
	if (v->id[0] || !svd_id_valid(id))
		return 0;
	snprintf(v->id, sizeof(v->id), "%s", id);
	v->id_named = 1;
	return 0;
}

int svd_verdict_id_verified(const svd_verdict *v)
{
	return v->id[0] && !v->id_named;
}

int svd_verdict_set_source(svd_verdict *v, const char *source)
{
	char *s = svd_strdup(source);

	if (!s)
		return SVD_ERROR;
	free(v->source);
	v->source = s;
	return 0;
}

const char *svd_verdict_source(const svd_verdict *v)
{
	return v->source;
}

int svd_verdict_add_problem(svd_verdict *v, const char *file, const char *check, const char *fmt,
                            ...)
{
	problem *p;
	va_list ap;
	char msg[1024];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);

	p = realloc(v->problems, (v->nproblems + 1) * sizeof(*p));
	if (!p) {
		v->oom = 1;
		return svd_error_set(SVD_ERROR, "out of memory");
	}
	v->problems = p;
	p += v->nproblems;
	p->check = check;
	p->file = strdup(file);
	p->message = strdup(msg);
	if (!p->file || !p->message) {
		free(p->file);
		free(p->message);
		v->oom = 1;
		return svd_error_set(SVD_ERROR, "out of memory");
	}
	v->nproblems++;
	return 0;
}

static const svd_entry *find_entry(const svd_entry *entries, size_t n, const char *path)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(entries[i].path, path))
			return &entries[i];
	return NULL;
}

static int add_sig(svd_verdict *v, const char *keyid, svd_sig_status status, const svd_pubkey *key)
{
	sigres *s = realloc(v->sigs, (v->nsigs + 1) * sizeof(*s));

	if (!s) {
		v->oom = 1;
		return svd_error_set(SVD_ERROR, "out of memory");
	}
	v->sigs = s;
	s += v->nsigs;
	snprintf(s->keyid, sizeof(s->keyid), "%s", keyid);
	s->status = status;
	s->key = NULL;
	s->unknown = 0;
	if (key && svd_pubkey_dup(&s->key, key) < 0) {
		v->oom = 1;
		return SVD_ERROR;
	}
	v->nsigs++;
	return 0;
}

/* Is this name (in sig/) a key file's, <KEYID>.pub? */
static int is_key_name(const char *name)
{
	size_t len = strlen(name);

	return len == SVD_KEYID_HEX_LEN + strlen(KEY_SUFFIX) &&
	       !strcmp(name + SVD_KEYID_HEX_LEN, KEY_SUFFIX);
}

static int same_key(const svd_pubkey *a, const svd_pubkey *b)
{
	return sodium_memcmp(svd_pubkey_bytes(a), svd_pubkey_bytes(b), 32) == 0;
}

/*
 * A key file, sig/<KEYID>.pub: the public key of the signature beside it,
 * in the canonical bytes samvydav writes (so that every mirror stores the
 * same file for one key, and the folder's tree is the same everywhere),
 * named after its own key id. A bad one is a signature problem, like a bad
 * signature file: left out on entry, and the signature beside it is checked
 * with the trusted or registered key instead.
 */
/*
 * The key file is, byte for byte, the canonical file of a key the trust
 * list or the registry holds under its name: that key, copied, without
 * decoding and checking the point again (every item of an editor carries
 * the same file; verify would otherwise check the point once per item).
 */
static svd_pubkey *known_key(const svd_entry *e, const char *name, const svd_trust *trust,
                             const svd_trust *registry)
{
	const svd_trust *lists[2] = {trust, registry};
	char keyid[SVD_KEYID_HEX_LEN + 1], *canon = NULL;
	size_t i, len = 0;
	svd_pubkey *pk = NULL;

	if (strlen(name) != SVD_KEYID_HEX_LEN + 4)
		return NULL;
	memcpy(keyid, name, SVD_KEYID_HEX_LEN);
	keyid[SVD_KEYID_HEX_LEN] = '\0';
	for (i = 0; i < 2 && !pk; i++) {
		const svd_pubkey *k = lists[i] ? svd_trust_find(lists[i], keyid) : NULL;
		if (!k || svd_pubkey_format(&canon, &len, k) < 0) {
			svd_error_clear();
			continue;
		}
		if (len == e->data_len && !memcmp(canon, e->data, len) &&
		    svd_pubkey_dup(&pk, k) < 0)
			pk = NULL; /* out of memory: the full check below says so */
		free(canon);
		canon = NULL;
	}
	return pk;
}

static void check_key(svd_verdict *v, keyfile *k, const svd_trust *trust, const svd_trust *registry)
{
	const svd_entry *e = k->e;
	const char *name = e->path + strlen(SIG_DIR) + 1;
	char *canon = NULL;
	size_t canon_len = 0;
	svd_pubkey *pk = NULL;
	int error;

	if (!e->data || e->data_len > SVD_KEYFILE_MAX) {
		svd_verdict_add_problem(v, e->path, "signature",
		                        "key file of %llu bytes, over the limit of %d",
		                        (unsigned long long)e->size, SVD_KEYFILE_MAX);
		return;
	}
	if ((k->pk = known_key(e, name, trust, registry)) != NULL)
		return;
	if ((error = svd_pubkey_parse(&pk, e->data, e->data_len)) < 0) {
		if (error == SVD_ERROR)
			v->oom = 1;
		else
			svd_verdict_add_problem(v, e->path, "signature", "%s", svd_error_last());
		return;
	}
	if (strncmp(name, svd_pubkey_id(pk), SVD_KEYID_HEX_LEN)) {
		svd_verdict_add_problem(v, e->path, "signature",
		                        "holds key %s, so it must be named sig/%s.pub",
		                        svd_pubkey_id(pk), svd_pubkey_id(pk));
		goto cleanup;
	}
	if ((error = svd_pubkey_format(&canon, &canon_len, pk)) < 0) {
		v->oom = 1;
		goto cleanup;
	}
	if (canon_len != e->data_len || memcmp(canon, e->data, canon_len)) {
		svd_verdict_add_problem(v, e->path, "signature",
		                        "key %s is not in the canonical form (the comment line "
		                        "'untrusted comment: minisign public key %s', the key "
		                        "line, each ending in LF)",
		                        svd_pubkey_id(pk), svd_pubkey_id(pk));
		goto cleanup;
	}
	k->pk = pk;
	pk = NULL;
cleanup:
	free(canon);
	svd_pubkey_free(pk);
}

static const svd_pubkey *item_key(const keyfile *keys, size_t nkeys, const char *keyid)
{
	size_t i;

	for (i = 0; i < nkeys; i++)
		if (keys[i].pk && !strcmp(svd_pubkey_id(keys[i].pk), keyid))
			return keys[i].pk;
	return NULL;
}

/*
 * A signature file: sig/<KEYID>.minisig. Its name must be the key id inside
 * it, so that two editors' signatures never collide and nobody can file one
 * key's signature under another's name. Every signature is verified, by a
 * trusted key or not: with the key beside it (sig/<KEYID>.pub), else the
 * trusted key of that number, else the archive's registered one (keys/).
 * Trust goes by the whole key, never by the number alone: a key beside the
 * signature that is not the trusted (or, for a number nobody here trusts,
 * the registered) key of its number is a collision, check "key".
 */
static void check_sig(svd_verdict *v, const svd_entry *e, const keyfile *keys, size_t nkeys,
                      const svd_trust *trust, const svd_trust *registry, unsigned int flags,
                      size_t *valid)
{
	const char *name = e->path + strlen(SIG_DIR) + 1;
	const char *keyid;
	const svd_pubkey *mine, *trusted, *known, *pk;
	const char *bytes;
	size_t bytes_len, len = strlen(name);
	svd_sig *sig = NULL;
	int error;

	if (e->type != SVD_ENTRY_FILE) {
		svd_verdict_add_problem(
		    v, e->path, "layout",
		    "only signature files belong in sig/, not folders or links");
		add_sig(v, "?", SVD_SIG_INVALID, NULL);
		return;
	}
	if (!e->data) {
		svd_verdict_add_problem(v, e->path, "signature",
		                        "signature file of %llu bytes, over the limit of %d",
		                        (unsigned long long)e->size, SVD_SIGFILE_MAX);
		add_sig(v, "?", SVD_SIG_INVALID, NULL);
		return;
	}
	if ((error = svd_sig_parse(&sig, e->data, e->data_len)) < 0) {
		if (error == SVD_ERROR) { /* out of memory: no fault of the item's */
			v->oom = 1;
			return;
		}
		svd_verdict_add_problem(v, e->path, "signature", "%s", svd_error_last());
		add_sig(v, "?", SVD_SIG_INVALID, NULL);
		return;
	}
	keyid = svd_sig_keyid(sig);
	if (len != SVD_KEYID_HEX_LEN + strlen(SIG_SUFFIX) ||
	    strncmp(name, keyid, SVD_KEYID_HEX_LEN) ||
	    strcmp(name + SVD_KEYID_HEX_LEN, SIG_SUFFIX)) {
		svd_verdict_add_problem(v, e->path, "signature",
		                        "holds a signature by key %s, so it must be named "
		                        "sig/%s.minisig",
		                        keyid, keyid);
		add_sig(v, keyid, SVD_SIG_INVALID, NULL);
		goto cleanup;
	}
	mine = item_key(keys, nkeys, keyid);
	trusted = svd_trust_find(trust, keyid);
	known = registry ? svd_trust_find(registry, keyid) : NULL;
	if (mine && trusted && !same_key(mine, trusted)) {
		svd_verdict_add_problem(v, e->path, "key",
		                        "signed with a key numbered %s that is not the trusted "
		                        "key %s: two keys share one key number",
		                        keyid, keyid);
		add_sig(v, keyid, SVD_SIG_INVALID, NULL);
		goto cleanup;
	}
	if (mine && !trusted && known && !same_key(mine, known)) {
		svd_verdict_add_problem(v, e->path, "key",
		                        "signed with a key numbered %s that is not the key the "
		                        "archive holds as keys/%s.pub: two keys share one key "
		                        "number, and the first one seen keeps it",
		                        keyid, keyid);
		add_sig(v, keyid, SVD_SIG_INVALID, NULL);
		goto cleanup;
	}
	pk = mine ? mine : trusted ? trusted : known;
	if (!pk) {
		/* a problem only beside a valid signature (check_unknown); else "trust" says it */
		if (add_sig(v, keyid,
		            flags & SVD_CHECK_DROP_BAD_SIGS ? SVD_SIG_INVALID : SVD_SIG_UNCHECKED,
		            NULL) == 0)
			v->sigs[v->nsigs - 1].unknown = 1;
		goto cleanup;
	}
	bytes = svd_manifest_bytes(v->manifest, &bytes_len);
	if ((error = svd_sig_verify(sig, pk, bytes, bytes_len)) < 0) {
		if (error == SVD_ERROR)
			v->oom = 1;
		else if (mine || trusted || (flags & SVD_CHECK_DROP_BAD_SIGS))
			svd_verdict_add_problem(v, e->path, "signature", "%s", svd_error_last());
		/*
		 * else: in the store, an untrusted signature without its key, checked
		 * with the registry's: one an older samvydav stored unchecked. It is
		 * invalid and counts for nothing, but does not fail an item that
		 * stands on its other signatures; it goes when the item is staged
		 * again (SPEC 4.6).
		 */
		add_sig(v, keyid, SVD_SIG_INVALID, NULL);
		goto cleanup;
	}
	if (trusted && same_key(pk, trusted)) {
		add_sig(v, keyid, SVD_SIG_VALID, pk);
		(*valid)++;
	} else {
		add_sig(v, keyid, SVD_SIG_UNTRUSTED, pk);
	}
cleanup:
	svd_sig_free(sig);
}

/*
 * On entry, signatures whose key is known nowhere here cannot be checked,
 * so they are not stored: beside a valid signature they are left out like
 * any bad signature file. An item with no valid signature is refused for
 * that ("trust"), which names the signers.
 */
static void check_unknown(svd_verdict *v)
{
	size_t i;

	for (i = 0; i < v->nsigs; i++)
		if (v->sigs[i].unknown) {
			char path[SVD_KEYID_HEX_LEN + 16];
			snprintf(path, sizeof(path), SIG_DIR "/%s" SIG_SUFFIX, v->sigs[i].keyid);
			svd_verdict_add_problem(
			    v, path, "signature",
			    "by key %s, whose public key is neither beside it "
			    "(sig/%s.pub), nor trusted, nor held by the archive "
			    "(keys/): it cannot be checked",
			    v->sigs[i].keyid, v->sigs[i].keyid);
		}
}

/* Did a signature by this key pass (verified, trusted or not)? */
static int sig_kept(const svd_verdict *v, const char *keyid)
{
	size_t i;

	for (i = 0; i < v->nsigs; i++)
		if ((v->sigs[i].status == SVD_SIG_VALID ||
		     v->sigs[i].status == SVD_SIG_UNTRUSTED) &&
		    !strcmp(v->sigs[i].keyid, keyid))
			return 1;
	return 0;
}

/*
 * sig/: key files first, then each signature with them. A key file goes
 * with its signature: one with no good signature beside it is a signature
 * problem too, so that it is left out with it.
 */
static void check_sigs(svd_verdict *v, const svd_entry *entries, size_t n, const svd_trust *trust,
                       const svd_trust *registry, unsigned int flags, size_t *valid)
{
	keyfile *keys = NULL;
	size_t nkeys = 0, i;

	for (i = 0; i < n; i++)
		if (!strncmp(entries[i].path, SIG_DIR "/", strlen(SIG_DIR) + 1) &&
		    entries[i].type == SVD_ENTRY_FILE &&
		    is_key_name(entries[i].path + strlen(SIG_DIR) + 1))
			nkeys++;
	if (nkeys && !(keys = calloc(nkeys, sizeof(*keys)))) {
		v->oom = 1;
		return;
	}
	nkeys = 0;
	for (i = 0; i < n; i++)
		if (!strncmp(entries[i].path, SIG_DIR "/", strlen(SIG_DIR) + 1) &&
		    entries[i].type == SVD_ENTRY_FILE &&
		    is_key_name(entries[i].path + strlen(SIG_DIR) + 1)) {
			keys[nkeys].e = &entries[i];
			check_key(v, &keys[nkeys++], trust, registry);
		}
	for (i = 0; i < n; i++) {
		const char *p = entries[i].path;
		if (!strncmp(p, SIG_DIR "/", strlen(SIG_DIR) + 1) &&
		    !(entries[i].type == SVD_ENTRY_FILE && is_key_name(p + strlen(SIG_DIR) + 1)))
			check_sig(v, &entries[i], keys, nkeys, trust, registry, flags, valid);
	}
	for (i = 0; i < nkeys; i++) {
		const char *keyid = keys[i].pk ? svd_pubkey_id(keys[i].pk) : NULL;
		if (keyid && !sig_kept(v, keyid))
			svd_verdict_add_problem(v, keys[i].e->path, "signature",
			                        "key %s with no valid signature by it beside it "
			                        "(sig/%s.minisig)",
			                        keyid, keyid);
		svd_pubkey_free(keys[i].pk);
	}
	free(keys);
}

/* Every entry must be the manifest, a listed payload file, or sig/ and its files. */
static void check_layout(svd_verdict *v, const svd_entry *entries, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		const svd_entry *e = &entries[i];
		const char *slash = strchr(e->path, '/');

		if (!strcmp(e->path, MANIFEST_NAME))
			continue;
		if (!strcmp(e->path, SIG_DIR)) {
			if (e->type != SVD_ENTRY_DIR)
				svd_verdict_add_problem(v, e->path, "layout",
				                        "sig must be a folder of signatures");
			continue;
		}
		if (slash && (size_t)(slash - e->path) == strlen(SIG_DIR) &&
		    !strncmp(e->path, SIG_DIR, strlen(SIG_DIR)))
			continue; /* checked with the signatures */
		if (e->type == SVD_ENTRY_OTHER) {
			svd_verdict_add_problem(
			    v, e->path, "layout",
			    "a link or special file; items hold only regular files");
			continue;
		}
		if (slash || e->type == SVD_ENTRY_DIR) {
			svd_verdict_add_problem(
			    v, e->path, "layout",
			    "an unexpected folder; items hold only their files and sig/");
			continue;
		}
		if (!svd_manifest_file_find(v->manifest, e->path))
			svd_verdict_add_problem(v, e->path, "layout",
			                        "a file the manifest does not list");
	}
}

static void check_files(svd_verdict *v, const svd_entry *entries, size_t n, int sizes_only)
{
	size_t i, count = svd_manifest_file_count(v->manifest);

	for (i = 0; i < count; i++) {
		const svd_manifest_file *f = svd_manifest_file_at(v->manifest, i);
		const svd_entry *e = find_entry(entries, n, f->path);

		if (!e || e->type != SVD_ENTRY_FILE) {
			if (!e)
				svd_verdict_add_problem(v, f->path, "missing",
				                        "listed in the manifest but not present");
			continue;
		}
		if (e->size != f->size)
			svd_verdict_add_problem(
			    v, f->path, "size", "%llu bytes, but the manifest says %llu",
			    (unsigned long long)e->size, (unsigned long long)f->size);
		else if (!sizes_only && sodium_memcmp(e->sha256, f->sha256, 32) != 0)
			svd_verdict_add_problem(v, f->path, "sha256",
			                        "the content does not match the manifest's SHA-256 "
			                        "(the file was changed or damaged)");
	}
}

/*
 * An item that a trusted key validly signed is not held hostage by a bad
 * signature file beside it (a damaged stick, a relay that added junk, a
 * forged co-signature, a key that collides with another's number): with
 * SVD_CHECK_DROP_BAD_SIGS such files, and the key files that go with them,
 * are left out and reported, and the item passes on its valid signatures.
 * Any other problem still refuses it.
 */
static void drop_bad_sigs(svd_verdict *v)
{
	size_t i;

	for (i = 0; i < v->nproblems; i++)
		if (strcmp(v->problems[i].check, "signature") &&
		    strcmp(v->problems[i].check, "key"))
			return;
	v->dropped = v->problems;
	v->ndropped = v->nproblems;
	v->problems = NULL;
	v->nproblems = 0;
}

int svd_item_check(svd_verdict **out, const char *expected_id, const svd_entry *entries, size_t n,
                   const svd_trust *trust)
{
	return svd_item_check_keys(out, expected_id, entries, n, trust, NULL, 0);
}

int svd_item_check_ext(svd_verdict **out, const char *expected_id, const svd_entry *entries,
                       size_t n, const svd_trust *trust, unsigned int flags)
{
	return svd_item_check_keys(out, expected_id, entries, n, trust, NULL, flags);
}

int svd_item_check_keys(svd_verdict **out, const char *expected_id, const svd_entry *entries,
                        size_t n, const svd_trust *trust, const svd_trust *registry,
                        unsigned int flags)
{
	svd_verdict *v;
	const svd_entry *m;
	size_t valid = 0;
	int error = 0;

	*out = NULL;
	if (svd_verdict_new(&v) < 0)
		return SVD_ERROR;
	/* until the manifest is read, the item is known by the id it is filed under */
	if (expected_id) {
		snprintf(v->id, sizeof(v->id), "%s", expected_id);
		v->id_named = 1;
	}

	m = find_entry(entries, n, MANIFEST_NAME);
	if (!m || m->type != SVD_ENTRY_FILE) {
		svd_verdict_add_problem(v, MANIFEST_NAME, "manifest",
		                        m ? "not a regular file" : "no manifest.json");
		goto done;
	}
	if (!m->data) {
		svd_verdict_add_problem(v, MANIFEST_NAME, "manifest",
		                        "%llu bytes, over the limit of %d",
		                        (unsigned long long)m->size, SVD_MANIFEST_MAX);
		goto done;
	}
	if ((error = svd_manifest_parse(&v->manifest, m->data, m->data_len)) < 0) {
		if (error == SVD_ERROR) /* out of memory: no fault of the item's */
			v->oom = 1;
		else
			svd_verdict_add_problem(v, MANIFEST_NAME, "canonical", "%s",
			                        svd_error_last());
		goto done;
	}
	snprintf(v->id, sizeof(v->id), "%s", svd_manifest_id(v->manifest));
	v->id_named = 0;
	if (expected_id && strcmp(expected_id, v->id))
		svd_verdict_add_problem(v, MANIFEST_NAME, "id",
		                        "filed as %s, but the manifest's SHA-256 is %s",
		                        expected_id, v->id);

	check_layout(v, entries, n);
	check_files(v, entries, n, (flags & SVD_CHECK_SIZES_ONLY) != 0);
	check_sigs(v, entries, n, trust, registry, flags, &valid);
	if (valid > 0 && (flags & SVD_CHECK_DROP_BAD_SIGS)) {
		check_unknown(v);
		drop_bad_sigs(v);
	}
	if (v->nproblems == 0 && valid == 0) {
		if (v->nsigs == 0)
			svd_verdict_add_problem(v, SIG_DIR "/", "trust", "the item is not signed");
		else
			svd_verdict_add_problem(v, SIG_DIR "/", "trust",
			                        "no signature by a trusted key (signed by %s%s); "
			                        "trust an editor's key with 'samvydav trust add'",
			                        v->sigs[0].keyid,
			                        v->nsigs > 1 ? " and others" : "");
	}
done:
	if (v->oom) {
		error = SVD_ERROR;
		svd_verdict_free(v);
		return svd_error_set(error, "out of memory");
	}
	*out = v;
	return 0;
}

int svd_verdict_ok(const svd_verdict *v)
{
	return v->nproblems == 0 && v->manifest != NULL;
}

const char *svd_verdict_id(const svd_verdict *v)
{
	return v->id[0] ? v->id : NULL;
}

const svd_manifest *svd_verdict_manifest(const svd_verdict *v)
{
	return v->manifest;
}

size_t svd_verdict_problem_count(const svd_verdict *v)
{
	return v->nproblems;
}

void svd_verdict_problem(const svd_verdict *v, size_t i, const char **file, const char **check,
                         const char **message)
{
	const problem *p = &v->problems[i];

	if (file)
		*file = p->file;
	if (check)
		*check = p->check;
	if (message)
		*message = p->message;
}

size_t svd_verdict_dropped_count(const svd_verdict *v)
{
	return v->ndropped;
}

void svd_verdict_dropped(const svd_verdict *v, size_t i, const char **file, const char **message)
{
	if (file)
		*file = v->dropped[i].file;
	if (message)
		*message = v->dropped[i].message;
}

const char *svd_verdict_dropped_check(const svd_verdict *v, size_t i)
{
	return v->dropped[i].check;
}

size_t svd_verdict_sig_count(const svd_verdict *v)
{
	return v->nsigs;
}

void svd_verdict_sig(const svd_verdict *v, size_t i, const char **keyid, svd_sig_status *status)
{
	if (keyid)
		*keyid = v->sigs[i].keyid;
	if (status)
		*status = v->sigs[i].status;
}

const uint8_t *svd_verdict_sig_pk(const svd_verdict *v, size_t i)
{
	return v->sigs[i].key ? svd_pubkey_bytes(v->sigs[i].key) : NULL;
}

const svd_pubkey *svd_verdict_sig_key(const svd_verdict *v, size_t i)
{
	return v->sigs[i].key;
}

char *svd_verdict_summary(const svd_verdict *v)
{
	char *s = NULL;
	const char *id = v->id[0] ? v->id : v->source ? v->source : "(unknown item)";
	int r;

	if (v->nproblems == 0)
		r = asprintf(&s, "%s: ok", id);
	else if (v->nproblems == 1)
		r = asprintf(&s, "%s: %s: %s: %s", id, v->problems[0].file, v->problems[0].check,
		             v->problems[0].message);
	else
		r = asprintf(&s, "%s: %s: %s: %s (and %zu more problems)", id, v->problems[0].file,
		             v->problems[0].check, v->problems[0].message, v->nproblems - 1);
	if (r < 0) {
		svd_error_set(SVD_ERROR, "out of memory");
		return NULL;
	}
	return s;
}

void svd_verdict_free(svd_verdict *v)
{
	size_t i;

	if (!v)
		return;
	for (i = 0; i < v->nproblems; i++) {
		free(v->problems[i].file);
		free(v->problems[i].message);
	}
	free(v->problems);
	for (i = 0; i < v->ndropped; i++) {
		free(v->dropped[i].file);
		free(v->dropped[i].message);
	}
	free(v->dropped);
	for (i = 0; i < v->nsigs; i++)
		svd_pubkey_free(v->sigs[i].key);
	free(v->sigs);
	free(v->source);
	svd_manifest_free(v->manifest);
	free(v);
}

int svd_verdict_sound(const svd_verdict *v)
{
	size_t i;

	if (!v->manifest)
		return 0;
	for (i = 0; i < v->nproblems; i++)
		if (strcmp(v->problems[i].check, "trust"))
			return 0;
	return 1;
}
