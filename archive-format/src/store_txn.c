/*
 * store_txn.c: adding to the store. One operation stages items into one
 * pack, then writes the trees and one commit, and moves main last.
 *
 * It owns the operation itself: begin, the index of the items staged, an
 * item that passed the gate staged (its folder's trees, merged with main's
 * or an earlier one's), the items tree, the commit message and the commit,
 * free, and the accessors the store's other files use. Items are made from
 * source files and signed in store_draft.c (draft.h), read from an editor's
 * folders and JSON lines in ingest.c, and put into an operation by the one
 * staging sequence of store_stage.c (stage.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <git2.h>

#include "samvydav/pause.h"
#include "samvydav/store.h"
#include "archive_internal.h"
#include "draft.h"
#include "pack.h"
#include "stage.h"
#include "store_internal.h"
#include "util.h"

#define MESSAGE_ITEMS 50 /* items named in a commit message */
#define TITLE_IN_LOG  72 /* bytes of a title in a commit message */
/*
 * Objects in one pack, at most: past it, at the start of the next item, the
 * pack is finished (written, synced, in place) and a new one begun, so that
 * the writer's memory (some 50 bytes an object) stays bounded however many
 * items one operation brings. main still moves once, after the last pack.
 */
#define PACK_OBJECTS (1u << 20)
#define SIG_TREE_MAX (16u * 1024 * 1024) /* bytes of an item's sig/ tree read back */

/* An item staged: some 80 bytes, whatever the item (a million fit in 80 MB). */
typedef struct staged {
	uint8_t id[32];
	git_oid
	    tree; /* its folder (its sig/ folder is read back from it when the item comes again) */
	int is_new; /* 1 new item, 0 co-signed */
} staged;

/* One fan-out folder of main's items/ (items/xx/), as sorted ids, read when first asked. */
typedef struct fan_index {
	int read;
	size_t n;
	struct fan_entry {
		uint8_t id[32];
		git_oid tree;
		int is_tree;
	} * v;
} fan_index;

struct svd_txn {
	svd_archive *a;
	svd_packw *pw;
	svd_packs_done *done; /* the packs finished so far (PACK_OBJECTS), for the next ones */
	git_oid base;         /* main when the operation began */
	int has_base;
	git_tree *items; /* base's items/ (NULL if none) */
	staged *v;
	size_t n, cap;
	uint32_t *slots;     /* open-addressing index of v by id: index + 1, 0 = empty */
	size_t nslots;       /* a power of two, at least twice n */
	fan_index *fans;     /* main's items/xx/, 256 of them, each read on first use */
	size_t packs;        /* packs finished before the one being written */
	size_t pack_objects; /* PACK_OBJECTS, or less for tests */
	/* the first items staged, named in the commit message (the rest only counted) */
	struct {
		char id[SVD_ID_HEX_LEN + 1];
		char *title;
		int is_new;
	} shown[MESSAGE_ITEMS];
	size_t nshown;
	char **keyids; /* signers named in the commit message */
	size_t nkeyids;
	svd_trust *registry;     /* keys/ of main as the operation began, and the keys it adds */
	struct sigfile *newkeys; /* keys/<KEYID>.pub the operation adds */
	size_t nnewkeys, capnewkeys;
	svd_txn_stats stats;
	svd_trust *admit; /* the trust list and certified editors; NULL: the list alone */
	int staging;      /* an item is being staged (stage.h) */
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
		error = svd_store_keys_read(&t->registry, a->repo, t->has_base ? &t->base : NULL);
	if (error == 0)
		error = svd_packw_clean(a->repo);
	if (error == 0)
		error = clean_ref_locks(a);
	if (error == 0)
		error = svd_packs_done_new(&t->done, a->repo);
	if (error == 0)
		error = svd_packw_new_in(&t->pw, a->repo, t->done);
	/* who may bring items in: the trust list, and editors that roots certified */
	if (error == 0)
		error = svd_view_admission_trust(&t->admit, a);
	if (error < 0) {
		svd_txn_free(t);
		return error;
	}
	*out = t;
	return 0;
}

const svd_trust *svd_txn_trust(const svd_txn *t)
{
	return t->a->trust;
}

const svd_trust *svd_txn_admission(const svd_txn *t)
{
	return t->admit ? t->admit : t->a->trust;
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

/* Ids are SHA-256: their first 8 bytes are as good a hash as any. */
static size_t id_hash(const uint8_t id[32])
{
	uint64_t h = 0;
	size_t i;

	for (i = 0; i < 8; i++)
		h = h << 8 | id[i];
	return (size_t)h;
}

static staged *find_staged(svd_txn *t, const char *id)
{
	uint8_t raw[32];
	size_t i;

	if (!t->nslots || !svd_id_valid(id) || svd_hex_decode(raw, 32, id) < 0)
		return NULL;
	for (i = id_hash(raw) & (t->nslots - 1); t->slots[i]; i = (i + 1) & (t->nslots - 1))
		if (!memcmp(t->v[t->slots[i] - 1].id, raw, 32))
			return &t->v[t->slots[i] - 1];
	return NULL;
}

/* Index v[k] by its id; the table doubles to stay at most half full. */
static int index_staged(svd_txn *t, size_t k)
{
	size_t i, j;

	if (2 * (t->n + 1) > t->nslots) {
		size_t nslots = t->nslots ? t->nslots * 2 : 1024;
		uint32_t *slots;
		if (nslots > (size_t)UINT32_MAX)
			return svd_error_set(SVD_ETOOBIG, "too many items for one operation");
		if (!(slots = calloc(nslots, sizeof(*slots))))
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
			slots[i] = (uint32_t)(j + 1);
		}
	}
	for (i = id_hash(t->v[k].id) & (t->nslots - 1); t->slots[i]; i = (i + 1) & (t->nslots - 1))
		;
	t->slots[i] = (uint32_t)(k + 1);
	return 0;
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

/* The first max bytes of s, cut at a character boundary (s is valid UTF-8), escaped. */
static char *utf8_prefix(const char *s, size_t max)
{
	size_t len = strlen(s);
	char *cut, *shown;

	if (len > max) {
		len = max;
		while (len > 0 && ((unsigned char)s[len] & 0xC0) == 0x80)
			len--;
	}
	/* a title from outside, escaped in the commit message (SPEC.md, 13) */
	if (!(cut = strndup(s, len)))
		return NULL;
	shown = svd_text_dup(cut, 0);
	free(cut);
	return shown;
}

/* One file of an item's sig/ folder as it will be written: its name and blob. */
typedef struct sigfile {
	char name[SVD_KEYID_HEX_LEN + 9]; /* <KEYID>.minisig or <KEYID>.pub */
	git_oid oid;
} sigfile;

typedef struct sigset {
	sigfile *v;
	size_t n, cap;
	int changed;
} sigset;

static sigfile *sigset_find(sigset *ss, const char *keyid, const char *suffix)
{
	char name[sizeof(ss->v->name)];
	size_t i;

	snprintf(name, sizeof(name), "%s%s", keyid, suffix);
	for (i = 0; i < ss->n; i++)
		if (!strcmp(ss->v[i].name, name))
			return &ss->v[i];
	return NULL;
}

/* Put name -> oid, replacing a file of that name; notes a change. */
static int sigset_put(sigset *ss, const char *keyid, const char *suffix, const git_oid *oid)
{
	sigfile *f = sigset_find(ss, keyid, suffix);
	int error;

	if (f && git_oid_equal(&f->oid, oid))
		return 0;
	ss->changed = 1;
	if (!f) {
		if ((error = svd_grow(&ss->v, &ss->cap, ss->n + 1, sizeof(*ss->v), 16)) < 0)
			return error;
		f = &ss->v[ss->n++];
		snprintf(f->name, sizeof(f->name), "%s%s", keyid, suffix);
	}
	git_oid_cpy(&f->oid, oid);
	return 0;
}

static void sigset_remove(sigset *ss, sigfile *f)
{
	size_t i = (size_t)(f - ss->v);

	memmove(&ss->v[i], &ss->v[i + 1], (ss->n - i - 1) * sizeof(*ss->v));
	ss->n--;
	ss->changed = 1;
}

/* The key id of a name <KEYID><suffix> (out: 17 bytes), or 0 when it is not one. */
static int sig_name_key(char *out, const char *name, const char *suffix)
{
	if (strlen(name) != SVD_KEYID_HEX_LEN + strlen(suffix) ||
	    strcmp(name + SVD_KEYID_HEX_LEN, suffix))
		return 0;
	memcpy(out, name, SVD_KEYID_HEX_LEN);
	out[SVD_KEYID_HEX_LEN] = '\0';
	return svd_keyid_valid(out);
}

/*
 * Does the signature stored as blob oid verify over the manifest with pk?
 * 1 or 0; negative only on an error of the store's.
 */
static int stored_sig_verifies(svd_txn *t, const git_oid *oid, const svd_pubkey *pk,
                               const char *manifest, size_t len)
{
	git_blob *blob = NULL;
	svd_sig *sig = NULL;
	int error = SVD_EBADSIG;

	if (git_blob_lookup(&blob, t->a->repo, oid) < 0)
		return svd_git_error("cannot read a signature already in the archive");
	if (git_blob_rawsize(blob) <= SVD_SIGFILE_MAX &&
	    (error = svd_sig_parse(&sig, (const char *)git_blob_rawcontent(blob),
	                           (size_t)git_blob_rawsize(blob))) == 0)
		error = svd_sig_verify(sig, pk, manifest, len);
	svd_sig_free(sig);
	git_blob_free(blob);
	if (error == SVD_ERROR) /* out of memory: no verdict on the signature */
		return error;
	svd_error_clear();
	return error == 0;
}

/*
 * A key the item's signatures verified with: its canonical key file goes
 * beside the signature (sig/<KEYID>.pub), and into the registry if the
 * registry has no key of that number yet (the first key seen keeps it; the
 * gate has refused any other key for a number the registry holds, unless
 * the trust list holds that number, which decides then).
 */
static int put_key(svd_txn *t, sigset *ss, const svd_pubkey *pk)
{
	char *text = NULL;
	size_t len;
	git_oid oid;
	int error;

	if ((error = svd_pubkey_format(&text, &len, pk)) < 0)
		return error;
	if ((error = svd_packw_add(&oid, t->pw, GIT_OBJECT_BLOB, text, len)) == 0)
		error = sigset_put(ss, svd_pubkey_id(pk), ".pub", &oid);
	if (error == 0 && !svd_trust_find(t->registry, svd_pubkey_id(pk))) {
		if ((error = svd_trust_insert(t->registry, pk)) == 0 &&
		    (error = svd_grow(&t->newkeys, &t->capnewkeys, t->nnewkeys + 1,
		                      sizeof(*t->newkeys), 8)) == 0) {
			sigfile *k = &t->newkeys[t->nnewkeys++];
			snprintf(k->name, sizeof(k->name), "%s.pub", svd_pubkey_id(pk));
			git_oid_cpy(&k->oid, &oid);
		}
	}
	free(text);
	return error;
}

/*
 * The signatures the gate passed (verified: valid or untrusted) merged into
 * what the item's sig/ holds already: the union of verified signatures,
 * and for one key signed twice the signature with the smaller blob id, both
 * checked now. A stored signature that does not verify with the key is
 * replaced. Only what is kept is written: a signature left out never
 * reaches the pack.
 */
static int merge_new_sigs(svd_txn *t, sigset *ss, const svd_entry *entries, size_t n,
                          const svd_verdict *v, int stored_readable)
{
	const char *manifest;
	size_t mlen, i, j;
	int error;

	manifest = svd_manifest_bytes(svd_verdict_manifest(v), &mlen);
	for (i = 0; i < svd_verdict_sig_count(v); i++) {
		const svd_pubkey *pk = svd_verdict_sig_key(v, i);
		const svd_entry *e = NULL;
		char path[SVD_KEYID_HEX_LEN + 16];
		const char *keyid;
		svd_sig_status st;
		sigfile *old;
		git_oid oid;

		svd_verdict_sig(v, i, &keyid, &st);
		if ((st != SVD_SIG_VALID && st != SVD_SIG_UNTRUSTED) || !pk)
			continue;
		snprintf(path, sizeof(path), "%s/%s.minisig", SVD_SIG_DIR, keyid);
		for (j = 0; j < n; j++)
			if (!strcmp(entries[j].path, path))
				e = &entries[j];
		if (!e || !e->data)
			return svd_error_set(SVD_ERROR, "%s: a signature passed without its bytes",
			                     path);
		if (git_odb_hash(&oid, e->data, e->data_len, GIT_OBJECT_BLOB) < 0)
			return svd_git_error("cannot hash a signature file");
		old = sigset_find(ss, keyid, ".minisig");
		if (old && !git_oid_equal(&old->oid, &oid) && git_oid_cmp(&old->oid, &oid) < 0) {
			/* the stored one is smaller: it stays if it verifies with this key */
			int ok = stored_readable
			             ? stored_sig_verifies(t, &old->oid, pk, manifest, mlen)
			             : 1; /* staged earlier in this operation: checked */
			if (ok < 0)
				return ok;
			if (ok) {
				if ((error = put_key(t, ss, pk)) < 0)
					return error;
				continue;
			}
			t->stats.dropped++;
		}
		if (!old || !git_oid_equal(&old->oid, &oid)) {
			if ((error = svd_packw_add(&oid, t->pw, GIT_OBJECT_BLOB, e->data,
			                           e->data_len)) < 0 ||
			    (error = sigset_put(ss, keyid, ".minisig", &oid)) < 0)
				return error;
			if (!old && (error = note_signer(t, keyid)) < 0)
				return error;
		}
		if ((error = put_key(t, ss, pk)) < 0)
			return error;
	}
	return 0;
}

/*
 * Signatures stored before keys travelled with items (a sig/<KEYID>.minisig
 * with no <KEYID>.pub beside it) are checked when their item is staged
 * again: with the trusted key of their number, else the registry's. One
 * that verifies gets its key file; one that does not, or that no key here
 * can check, is left out, as it would be on entry. Anything else in sig/
 * that is not a signature with its key goes too.
 */
static int check_stored_sigs(svd_txn *t, sigset *ss, const svd_verdict *v)
{
	const char *manifest;
	size_t mlen, i = 0;
	int error;

	manifest = svd_manifest_bytes(svd_verdict_manifest(v), &mlen);
	while (i < ss->n) {
		char keyid[SVD_KEYID_HEX_LEN + 1];
		const svd_pubkey *pk;
		int ok = 0;

		if (sig_name_key(keyid, ss->v[i].name, ".pub")) {
			if (sigset_find(ss, keyid, ".minisig")) {
				i++;
				continue;
			}
		} else if (sig_name_key(keyid, ss->v[i].name, ".minisig")) {
			if (sigset_find(ss, keyid, ".pub")) {
				i++;
				continue;
			}
			pk = svd_trust_find(t->a->trust, keyid);
			if (!pk)
				pk = svd_trust_find(t->registry, keyid);
			if (pk &&
			    (ok = stored_sig_verifies(t, &ss->v[i].oid, pk, manifest, mlen)) < 0)
				return ok;
			if (ok) {
				if ((error = put_key(t, ss, pk)) < 0)
					return error;
				i++;
				continue;
			}
		}
		t->stats.dropped++;
		sigset_remove(ss, &ss->v[i]);
	}
	return 0;
}

/*
 * The next entry of a tree this operation wrote itself ("<mode> <name>\0<20
 * bytes>" each): *p moves past it. 1 with name (NUL-terminated in place)
 * and oid set, 0 at the end, SVD_ERROR for bytes that are not a tree.
 */
static int raw_tree_next(const uint8_t **p, const uint8_t *end, const char **name, git_oid *oid)
{
	const uint8_t *sp, *nul;

	if (*p >= end)
		return 0;
	if (!(sp = memchr(*p, ' ', (size_t)(end - *p))) ||
	    !(nul = memchr(sp, '\0', (size_t)(end - sp))) || end - nul < 21)
		return svd_error_set(SVD_ERROR,
		                     "a tree written by this operation does not read back");
	*name = (const char *)sp + 1;
	git_oid_fromraw(oid, nul + 1);
	*p = nul + 21;
	return 1;
}

/*
 * A tree this operation wrote (its bytes, *buf the caller's): read back
 * from the pack being written, or, when that pack was finished already
 * (PACK_OBJECTS), through libgit2. what names it in messages.
 */
static int staged_tree(svd_txn *t, const git_oid *oid, uint8_t **buf, size_t *len, const char *what)
{
	git_odb *odb = NULL;
	git_odb_object *obj = NULL;
	int type = 0, error;

	error = svd_packw_read(t->pw, oid, &type, buf, len, SIG_TREE_MAX);
	if (error == SVD_ENOTFOUND) {
		svd_error_clear();
		if (git_repository_odb(&odb, t->a->repo) < 0 || git_odb_read(&obj, odb, oid) < 0) {
			git_odb_free(odb);
			return svd_git_error("cannot read a folder staged earlier");
		}
		type = (int)git_odb_object_type(obj);
		*len = git_odb_object_size(obj);
		error = *len > SIG_TREE_MAX ? svd_error_set(SVD_ETOOBIG, "%s is too big", what) : 0;
		if (error == 0 && !(*buf = malloc(*len + 1)))
			error = svd_error_set(SVD_ERROR, "out of memory");
		if (error == 0)
			memcpy(*buf, git_odb_object_data(obj), *len);
		git_odb_object_free(obj);
		git_odb_free(odb);
	}
	if (error == 0 && type != GIT_OBJECT_TREE)
		error = svd_error_set(SVD_ERROR, "%s is not a folder", what);
	if (error < 0) {
		free(*buf);
		*buf = NULL;
	}
	return error;
}

/*
 * The signature files of an item staged earlier in this operation, from
 * its sig/ folder, found in its folder. (The sig/ folder's id kept in the
 * staged entry cost 24 bytes an item, 24 MB at a million, to spare this
 * read for the rare item that comes twice in one operation.)
 */
static int staged_sigs(svd_txn *t, const staged *s, sigset *ss)
{
	uint8_t *buf = NULL;
	const uint8_t *p;
	const char *name = NULL;
	git_oid sigtree, oid;
	size_t len;
	int error;

	if ((error = staged_tree(t, &s->tree, &buf, &len, "an item staged earlier")) < 0)
		return error;
	p = buf;
	while ((error = raw_tree_next(&p, buf + len, &name, &sigtree)) == 1)
		if (!strcmp(name, SVD_SIG_DIR))
			break;
	free(buf);
	if (error == 0)
		error = svd_error_set(SVD_ERROR, "an item staged earlier has no sig/ folder");
	if (error < 0)
		return error;
	if ((error = staged_tree(t, &sigtree, &buf, &len,
	                         "the signatures of an item staged earlier")) < 0)
		return error;
	p = buf;
	while ((error = raw_tree_next(&p, buf + len, &name, &oid)) == 1) {
		if (strlen(name) >= sizeof(ss->v->name)) {
			error = svd_error_set(SVD_ERROR, "a sig/ tree written by this operation "
			                                 "does not read back");
			break;
		}
		if ((error = sigset_put(ss, name, "", &oid)) < 0)
			break;
	}
	free(buf);
	return error;
}

/*
 * Write an accepted item's folder as trees, merged with the same item's
 * folder in main or earlier in this operation: the files are the same
 * (same id, same hashes), so only the signatures can differ, and the union
 * of verified signatures is kept, each with its key file (merge_new_sigs).
 */
static int stage_item(svd_txn *t, const svd_entry *entries, const git_oid *oids, size_t n,
                      const svd_verdict *v)
{
	const char *id = svd_verdict_id(v);
	svd_tree_entry *top = NULL, *sigs = NULL;
	size_t ntop = 0, i;
	sigset ss = {0};
	git_oid prev, sigtree, tree;
	git_tree *prev_sig = NULL;
	int had = 0, strays = 0, error;
	staged *s;

	if (!(top = calloc(n + 1, sizeof(*top))))
		goto oom;
	/* staged earlier in this operation: its signatures as staged then */
	if ((s = find_staged(t, id)) != NULL) {
		had = 1;
		if ((error = staged_sigs(t, s, &ss)) < 0)
			goto cleanup;
		error = SVD_ENOTFOUND;
	} else {
		error = svd_txn_base_item(&prev, t, id);
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
		for (i = 0; prev_sig && i < git_tree_entrycount(prev_sig); i++) {
			const git_tree_entry *te = git_tree_entry_byindex(prev_sig, i);
			if (strlen(git_tree_entry_name(te)) >= sizeof(ss.v->name)) {
				strays = 1; /* not a name the store writes: it goes */
				t->stats.dropped++;
				continue;
			}
			if ((error = sigset_put(&ss, git_tree_entry_name(te), "",
			                        git_tree_entry_id(te))) < 0)
				goto cleanup;
		}
	} else if (error != SVD_ENOTFOUND) {
		goto cleanup;
	}
	ss.changed = strays; /* what was there is the base; changes count from here */
	for (i = 0; i < n; i++) {
		const svd_entry *e = &entries[i];

		if (strncmp(e->path, SVD_SIG_DIR "/", strlen(SVD_SIG_DIR) + 1) &&
		    e->type == SVD_ENTRY_FILE) {
			top[ntop].name = e->path;
			top[ntop].mode = GIT_FILEMODE_BLOB;
			git_oid_cpy(&top[ntop].oid, &oids[i]);
			ntop++;
		}
	}
	if ((error = merge_new_sigs(t, &ss, entries, n, v, s == NULL)) < 0)
		goto cleanup;
	if (had && !s && (error = check_stored_sigs(t, &ss, v)) < 0)
		goto cleanup;
	if (had && !ss.changed) {
		t->stats.unchanged++;
		error = 0;
		goto cleanup;
	}
	if (!(sigs = calloc(ss.n + 1, sizeof(*sigs))))
		goto oom;
	for (i = 0; i < ss.n; i++) {
		sigs[i].name = ss.v[i].name;
		sigs[i].mode = GIT_FILEMODE_BLOB;
		git_oid_cpy(&sigs[i].oid, &ss.v[i].oid);
	}
	if ((error = write_tree(&sigtree, t->pw, sigs, ss.n)) < 0)
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
		if (svd_hex_decode(s->id, sizeof(s->id), id) < 0) {
			t->n--;
			error = svd_error_set(SVD_EINVALID, "not an item id: %s", id);
			goto cleanup;
		}
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
	goto cleanup;
oom:
	error = svd_error_set(SVD_ERROR, "out of memory");
cleanup:
	git_tree_free(prev_sig);
	free(top);
	free(sigs);
	free(ss.v);
	return error;
}

/*
 * A certificate just staged, signed by as many roots as the trust policy
 * asks: its editor's key admits items for the rest of the operation, so
 * that a bundle that carries the certificate before the editor's items
 * (statements come first, SPEC 9.3) brings both in. The view decides
 * later whether the certificate is in effect (revocations, SPEC 7.3);
 * this only lets the items in.
 */
static int admit_certified(svd_txn *t, const svd_verdict *v)
{
	const svd_manifest *m = svd_verdict_manifest(v);
	const svd_trust *base = t->a->trust;
	size_t i, roots = 0;
	int error = 0;

	if (!m || svd_manifest_kind(m) != SVD_KIND_CERTIFICATE || !svd_manifest_key(m))
		return 0;
	for (i = 0; i < svd_verdict_sig_count(v); i++) {
		const uint8_t *pk = svd_verdict_sig_pk(v, i);
		const char *keyid;
		unsigned role = 0;
		svd_verdict_sig(v, i, &keyid, NULL);
		if (pk && svd_trust_match(base, pk, keyid, &role) && (role & SVD_TRUST_ROOT))
			roots++;
	}
	if (roots < svd_trust_root_threshold(base))
		return 0;
	if (!t->admit) {
		if ((error = svd_trust_new(&t->admit)) < 0)
			return error;
		for (i = 0; error == 0 && i < svd_trust_count(base); i++)
			error = svd_trust_insert_role(t->admit, svd_trust_at(base, i),
			                              svd_trust_role(base, i));
	}
	if (error == 0 && (error = svd_trust_insert_role(t->admit, svd_manifest_key(m),
	                                                 SVD_TRUST_EDITOR)) == SVD_ECORRUPT) {
		svd_error_clear(); /* a key number trusted with another key: never admitted by it */
		error = 0;
	}
	return error;
}

/*
 * Run the gate on an item's entries; stage it if it passes. Only the
 * staging sequence (store_stage.c) comes here, through
 * svd_txn_stage_entries(), and it takes a refused item's blobs back. An
 * item filed under id (a bundle's or a peer's folder) is refused unless
 * that is its manifest's SHA-256, the same check inspect and unpack make.
 */
static int check_and_stage(svd_txn *t, const char *id, const svd_entry *entries,
                           const git_oid *oids, size_t n, const char *source, unsigned flags,
                           svd_verdict **verdict)
{
	svd_verdict *v = NULL;
	int error;

	if ((error = svd_item_check_keys(&v, id, entries, n, t->admit ? t->admit : t->a->trust,
	                                 t->registry, flags)) < 0)
		return error;
	if ((error = svd_verdict_set_source(v, source)) < 0) {
		svd_verdict_free(v);
		return error;
	}
	if (svd_verdict_ok(v)) {
		error = stage_item(t, entries, oids, n, v);
		t->stats.dropped += svd_verdict_dropped_count(v);
		if (error == 0)
			error = admit_certified(t, v);
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

static int cmp_staged(const void *x, const void *y)
{
	return memcmp(((const staged *)x)->id, ((const staged *)y)->id, 32);
}

static int cmp_entry_name(const void *x, const void *y)
{
	return strcmp(((const svd_tree_entry *)x)->name, ((const svd_tree_entry *)y)->name);
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
 * A touched folder's entries and the staged items, both sorted by name,
 * are merged in one pass: linear in the folder, whatever the count staged.
 */
static int write_items_tree(git_oid *out, svd_txn *t)
{
	svd_tree_entry *top = NULL, *sub = NULL;
	char(*hex)[SVD_ID_HEX_LEN + 1] = NULL;
	size_t ntop = 0, i = 0, j;
	char fans[256][3];
	size_t nfans = 0;
	int error;

	qsort(t->v, t->n, sizeof(*t->v), cmp_staged);
	if ((error = tree_entries(&top, &ntop, t->items, 256)) < 0)
		return error;
	while (i < t->n && error == 0) {
		git_tree *old = NULL;
		const git_tree_entry *te;
		size_t nold, a, b, k, nsub = 0;
		svd_tree_entry *olds = NULL;
		git_oid oid;

		svd_hex_encode(fans[nfans], t->v[i].id, 1);
		for (j = i; j < t->n && t->v[j].id[0] == t->v[i].id[0]; j++)
			;
		te = t->items ? git_tree_entry_byname(t->items, fans[nfans]) : NULL;
		if (te && git_tree_lookup(&old, t->a->repo, git_tree_entry_id(te)) < 0) {
			error = svd_git_error("cannot read the items folder");
			break;
		}
		if ((error = tree_entries(&olds, &nold, old, 0)) == 0 &&
		    !(sub = calloc(nold + (j - i) + 1, sizeof(*sub))))
			error = svd_error_set(SVD_ERROR, "out of memory");
		if (error == 0 && !(hex = calloc(j - i + 1, sizeof(*hex))))
			error = svd_error_set(SVD_ERROR, "out of memory");
		if (error == 0) {
			for (k = i; k < j; k++)
				svd_hex_encode(hex[k - i], t->v[k].id, 32);
			qsort(olds, nold, sizeof(*olds), cmp_entry_name);
			/* a staged item replaces the folder of its name; the rest stays */
			for (a = 0, b = i; a < nold || b < j;) {
				int c = a == nold ? 1
				        : b == j  ? -1
				                  : strcmp(olds[a].name, hex[b - i]);
				if (c < 0) {
					sub[nsub++] = olds[a++];
					continue;
				}
				sub[nsub].name = hex[b - i];
				sub[nsub].mode = GIT_FILEMODE_TREE;
				git_oid_cpy(&sub[nsub++].oid, &t->v[b].tree);
				b++;
				a += c == 0;
			}
			if ((error = write_tree(&oid, t->pw, sub, nsub)) == 0)
				tree_put(top, &ntop, fans[nfans], GIT_FILEMODE_TREE, &oid);
		}
		free(sub);
		sub = NULL;
		free(olds);
		free(hex);
		hex = NULL;
		git_tree_free(old);
		nfans++;
		i = j;
	}
	if (error == 0)
		error = write_tree(out, t->pw, top, ntop);
	free(top);
	return error;
}

/*
 * The new keys/ tree: the base's, with the keys this operation saw first
 * (one commit stores the signatures and their keys together, SPEC 6.2).
 */
static int write_keys_tree(git_oid *out, svd_txn *t, const git_tree *base_root)
{
	const git_tree_entry *te =
	    base_root ? git_tree_entry_byname(base_root, SVD_KEYS_DIR) : NULL;
	git_tree *old = NULL;
	svd_tree_entry *v = NULL;
	size_t n = 0, i;
	int error;

	if (te && git_tree_entry_type(te) == GIT_OBJECT_TREE &&
	    git_tree_lookup(&old, t->a->repo, git_tree_entry_id(te)) < 0)
		return svd_git_error("cannot read the archive's keys/");
	if ((error = tree_entries(&v, &n, old, t->nnewkeys)) == 0) {
		for (i = 0; i < t->nnewkeys; i++)
			tree_put(v, &n, t->newkeys[i].name, GIT_FILEMODE_BLOB, &t->newkeys[i].oid);
		error = write_tree(out, t->pw, v, n);
	}
	free(v);
	git_tree_free(old);
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

	if (!t->pw)
		return svd_error_set(SVD_ERROR, "this operation cannot write any more (a pack "
		                                "could not be started)");
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
	if ((error = tree_entries(&entries, &n, base_root, 2)) < 0)
		goto cleanup;
	tree_put(entries, &n, SVD_ITEMS_DIR, GIT_FILEMODE_TREE, &items);
	if (t->nnewkeys) {
		git_oid keys;
		if ((error = write_keys_tree(&keys, t, base_root)) < 0)
			goto cleanup;
		tree_put(entries, &n, SVD_KEYS_DIR, GIT_FILEMODE_TREE, &keys);
	}
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
	svd_packs_done_free(t->done);
	svd_trust_free(t->admit);
	git_tree_free(t->items);
	for (i = 0; t->fans && i < 256; i++)
		free(t->fans[i].v);
	free(t->fans);
	for (i = 0; i < t->nshown; i++)
		free(t->shown[i].title);
	free(t->v);
	free(t->slots);
	for (i = 0; i < t->nkeyids; i++)
		free(t->keyids[i]);
	free(t->keyids);
	svd_trust_free(t->registry);
	free(t->newkeys);
	svd_archive_unlock(t->a);
	free(t);
}

svd_packw *svd_txn_packw(svd_txn *t)
{
	return t->pw;
}

void svd_txn_set_pack_objects(svd_txn *t, size_t n)
{
	t->pack_objects = n;
}

size_t svd_txn_packs_done(const svd_txn *t)
{
	return t->packs;
}

/*
 * Between items, a pack that has reached PACK_OBJECTS is finished and a
 * new one begun. Its objects are then in the store but named by no ref
 * until main moves: a crash before that leaves them unreachable (git gc
 * removes them), never a main that names what is not there.
 */
static int next_pack(svd_txn *t)
{
	int error;

	if (svd_packw_count(t->pw) < (t->pack_objects ? t->pack_objects : PACK_OBJECTS))
		return 0;
	if ((error = svd_packw_finish(t->pw)) < 0)
		return error;
	svd_packw_free(t->pw);
	t->pw = NULL;
	t->packs++;
	svd_pause_point("txn.next_pack");
	return svd_packw_new_in(&t->pw, t->a->repo, t->done);
}

int svd_txn_item_open(svd_txn *t, int open)
{
	int error;

	if (open && t->staging)
		return svd_error_set(SVD_EINVALID,
		                     "an item is being staged into this operation already");
	if (!t->pw)
		return svd_error_set(SVD_ERROR, "this operation cannot write any more (an earlier "
		                                "pack could not be started)");
	if (open && (error = next_pack(t)) < 0)
		return error;
	t->staging = open;
	return 0;
}

svd_archive *svd_txn_archive(svd_txn *t)
{
	return t->a;
}

int svd_txn_stage_entries(svd_txn *t, const char *id, const svd_entry *entries, const git_oid *oids,
                          size_t n, const char *source, unsigned flags, svd_verdict **verdict)
{
	return check_and_stage(t, id, entries, oids, n, source, flags, verdict);
}

void svd_txn_note_refused(svd_txn *t)
{
	t->stats.refused++;
}

static int cmp_fan_entry(const void *x, const void *y)
{
	return memcmp(((const struct fan_entry *)x)->id, ((const struct fan_entry *)y)->id, 32);
}

/* items/xx/ of main as sorted ids: read once, so each look-up is a search, not a parse. */
static int fan_read(svd_txn *t, fan_index *f, const char *fan)
{
	const git_tree_entry *te = git_tree_entry_byname(t->items, fan);
	git_tree *tree = NULL;
	size_t i, count;

	if (!te || git_tree_entry_type(te) != GIT_OBJECT_TREE) {
		f->read = 1;
		return 0;
	}
	if (git_tree_lookup(&tree, t->a->repo, git_tree_entry_id(te)) < 0)
		return svd_git_error("cannot read the items folder");
	count = git_tree_entrycount(tree);
	if (!(f->v = calloc(count + 1, sizeof(*f->v)))) {
		git_tree_free(tree);
		return svd_error_set(SVD_ERROR, "out of memory");
	}
	for (i = 0; i < count; i++) {
		const git_tree_entry *e = git_tree_entry_byindex(tree, i);
		const char *name = git_tree_entry_name(e);
		struct fan_entry *x = &f->v[f->n];
		/* only names an id can look up: 64 hex digits (lower case) */
		if (!svd_id_valid(name) || svd_hex_decode(x->id, 32, name) < 0)
			continue;
		git_oid_cpy(&x->tree, git_tree_entry_id(e));
		x->is_tree = git_tree_entry_type(e) == GIT_OBJECT_TREE;
		f->n++;
	}
	git_tree_free(tree);
	qsort(f->v, f->n, sizeof(*f->v), cmp_fan_entry);
	f->read = 1; /* only now: a failed read is tried again, never taken for an empty folder */
	return 0;
}

int svd_txn_base_item(git_oid *out, svd_txn *t, const char *id)
{
	struct fan_entry key, *hit;
	fan_index *f;
	int error;

	if (!t->items || !svd_id_valid(id) || svd_hex_decode(key.id, 32, id) < 0)
		return svd_error_set(SVD_ENOTFOUND, "no item %s in the archive", id);
	if (!t->fans && !(t->fans = calloc(256, sizeof(*t->fans))))
		return svd_error_set(SVD_ERROR, "out of memory");
	f = &t->fans[key.id[0]];
	if (!f->read) {
		char fan[3];
		svd_hex_encode(fan, key.id, 1);
		if ((error = fan_read(t, f, fan)) < 0)
			return error;
	}
	hit = f->n ? bsearch(&key, f->v, f->n, sizeof(*f->v), cmp_fan_entry) : NULL;
	if (!hit)
		return svd_error_set(SVD_ENOTFOUND, "no item %s in the archive", id);
	if (!hit->is_tree)
		return svd_error_set(SVD_ECORRUPT, "items/%.2s/%s is not a folder", id, id);
	git_oid_cpy(out, &hit->tree);
	return 0;
}

int svd_txn_is_staged(svd_txn *t, const char *id)
{
	return find_staged(t, id) != NULL;
}

void svd_txn_note_bytes(svd_txn *t, uint64_t n)
{
	t->stats.bytes += n;
}
