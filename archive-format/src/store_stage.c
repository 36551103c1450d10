/*
 * store_stage.c: the staging sequence (stage.h) — an item's files into the
 * operation's pack, the gate, then the item staged or its blobs taken back.
 *
 * Files under sig/ are not written here: they are small and in memory
 * (the gate reads their bytes), and only the ones the gate keeps are
 * written, when the item is staged (store_txn.c). So a signature left out,
 * whatever its size or name, never reaches the pack, not even as a blob
 * that nothing names.
 */
#include <stdlib.h>
#include <string.h>

#include <git2.h>

#include "samvydav/archive.h"
#include "archive_internal.h"
#include "pack.h"
#include "stage.h"
#include "sha256.h"
#include "store_internal.h"
#include "util.h"

/* A file of the item and its blob. */
typedef struct blob {
	char *path;
	git_oid oid;
	int held_before; /* streamed, and skipped as held already: checked at the gate */
} blob;

struct svd_stage {
	svd_txn *t;
	svd_packw *pw;       /* t's, borrowed */
	svd_packw_mark mark; /* where the pack stood when the item began */
	int open;            /* begun, not yet finished or abandoned */
	char *file;          /* the path of the file being streamed, or NULL */
	int held;            /* that file is under sig/: counted, not written */
	uint64_t size, got;  /* a held file's declared size, and bytes seen */
	blob *v;
	size_t n, cap;
};

int svd_stage_begin(svd_stage **out, svd_txn *t)
{
	svd_stage *s;
	int error;

	*out = NULL;
	if ((error = svd_txn_item_open(t, 1)) < 0)
		return error;
	if (!(s = calloc(1, sizeof(*s)))) {
		svd_txn_item_open(t, 0);
		return svd_error_set(SVD_ERROR, "out of memory");
	}
	s->t = t;
	s->pw = svd_txn_packw(t);
	s->open = 1;
	svd_packw_mark_get(s->pw, &s->mark);
	*out = s;
	return 0;
}

static int usable(const svd_stage *s, int streaming)
{
	if (!s->open)
		return svd_error_set(SVD_EINVALID, "no item is being staged");
	if (!s->file != !streaming)
		return svd_error_set(SVD_EINVALID, streaming ? "no file of the item is open"
		                                             : "a file of the item is still open");
	return 0;
}

/* Keep path's blob; path is taken over (freed on failure). */
static int push(svd_stage *s, char *path, const git_oid *oid, int held_before)
{
	if (!path)
		return svd_error_set(SVD_ERROR, "out of memory");
	if (s->n == s->cap) {
		size_t ncap = s->cap ? s->cap * 2 : 16;
		blob *p = realloc(s->v, ncap * sizeof(*p));
		if (!p) {
			free(path);
			return svd_error_set(SVD_ERROR, "out of memory");
		}
		s->v = p;
		s->cap = ncap;
	}
	s->v[s->n].path = path;
	git_oid_cpy(&s->v[s->n].oid, oid);
	s->v[s->n].held_before = held_before;
	s->n++;
	return 0;
}

/* Is this path under sig/? Such files are written only once the gate keeps them. */
static int is_sig(const char *path)
{
	return !strncmp(path, SVD_SIG_DIR "/", strlen(SVD_SIG_DIR) + 1);
}

int svd_stage_file_begin(svd_stage *s, const char *path, uint64_t size)
{
	int error;

	if ((error = usable(s, 0)) < 0)
		return error;
	if (!(s->file = svd_strdup(path)))
		return SVD_ERROR;
	s->held = is_sig(path);
	s->size = size;
	s->got = 0;
	if (s->held)
		return 0;
	if ((error = svd_packw_blob_begin(s->pw, size)) < 0) {
		free(s->file);
		s->file = NULL;
	}
	return error;
}

int svd_stage_file_write(svd_stage *s, const void *data, size_t len)
{
	int error;

	if ((error = usable(s, 1)) < 0)
		return error;
	if (s->held) {
		if (len > s->size - s->got)
			return svd_error_set(SVD_EINVALID, "%s: more bytes than declared", s->file);
		s->got += len;
		return 0;
	}
	return svd_packw_blob_write(s->pw, data, len);
}

int svd_stage_file_end(svd_stage *s)
{
	git_oid oid;
	char *path;
	int error;

	if ((error = usable(s, 1)) < 0)
		return error;
	path = s->file;
	s->file = NULL;
	if (s->held) {
		/* no blob yet: the staged item's is written from the entry's bytes */
		if (s->got != s->size) {
			free(path);
			return svd_error_set(SVD_EINVALID, "fewer bytes than declared");
		}
		memset(&oid, 0, sizeof(oid));
		return push(s, path, &oid, 0);
	}
	if ((error = svd_packw_blob_end(&oid, s->pw)) < 0) {
		free(path);
		return error;
	}
	return push(s, path, &oid, svd_packw_last_found(s->pw) != SVD_PACKW_NEW);
}

int svd_stage_add_blob(git_oid *out, svd_stage *s, const char *path, const void *data, size_t len)
{
	git_oid oid;
	int error;

	if ((error = usable(s, 0)) < 0)
		return error;
	if (is_sig(path)) {
		/* its id, for the caller that checks it; written only if the gate keeps it */
		if (git_odb_hash(&oid, data, len, GIT_OBJECT_BLOB) < 0)
			return svd_git_error("cannot hash a signature file");
	} else if ((error = svd_packw_add(&oid, s->pw, GIT_OBJECT_BLOB, data, len)) < 0) {
		/* a collision is the file's: say which (the writer checked the bytes held) */
		return error == SVD_ECORRUPT
		           ? svd_error_set(error, "%s: %s", path, svd_error_last())
		           : error;
	}
	if ((error = push(s, svd_strdup(path), &oid, 0)) < 0)
		return error;
	if (out)
		git_oid_cpy(out, &oid);
	return 0;
}

int svd_stage_add(svd_stage *s, const char *path, const void *data, size_t len)
{
	return svd_stage_add_blob(NULL, s, path, data, len);
}

static int name_blob(svd_stage *s, const char *path, const git_oid *oid, int check)
{
	int error;

	if ((error = usable(s, 0)) < 0)
		return error;
	return push(s, svd_strdup(path), oid, check);
}

int svd_stage_name(svd_stage *s, const char *path, const git_oid *oid)
{
	return name_blob(s, path, oid, 0);
}

int svd_stage_name_held(svd_stage *s, const char *path, const git_oid *oid)
{
	return name_blob(s, path, oid, 1);
}

/* Forget the item's blobs; the item has ended. */
static void item_end(svd_stage *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		free(s->v[i].path);
	s->n = 0;
	free(s->file);
	s->file = NULL;
	if (s->open)
		svd_txn_item_open(s->t, 0);
	s->open = 0;
}

/*
 * Each entry's blob: the one kept for its path. Files come in the order
 * they were added, so entry i is usually blob i; a path given twice takes
 * its blobs in turn. An entry with no blob (a folder, a file over its cap
 * that was only listed) gets the zero id, which the gate's verdict keeps
 * from being written.
 */
static int match_blobs(git_oid **out, char **check, const svd_stage *s, const svd_entry *entries,
                       size_t n)
{
	git_oid *oids = calloc(n + 1, sizeof(*oids));
	char *taken = calloc(s->n + 1, 1);
	size_t i, j;

	*check = calloc(n + 1, 1);
	if (!oids || !taken || !*check) {
		free(oids);
		free(taken);
		free(*check);
		*check = NULL;
		return svd_error_set(SVD_ERROR, "out of memory");
	}
	for (i = 0; i < n; i++) {
		j = i < s->n && !taken[i] && !strcmp(s->v[i].path, entries[i].path) ? i : s->n;
		if (j == s->n)
			for (j = 0; j < s->n; j++)
				if (!taken[j] && !strcmp(s->v[j].path, entries[i].path))
					break;
		if (j < s->n) {
			taken[j] = 1;
			git_oid_cpy(&oids[i], &s->v[j].oid);
			(*check)[i] = (char)s->v[j].held_before;
		}
	}
	free(taken);
	*out = oids;
	return 0;
}

/*
 * The item's id, for a verdict given before the gate: the SHA-256 of its
 * manifest's bytes, or "" without them.
 */
static void item_id(char id[SVD_ID_HEX_LEN + 1], const svd_entry *entries, size_t n)
{
	uint8_t sum[32];
	size_t i;

	id[0] = '\0';
	for (i = 0; i < n; i++)
		if (!strcmp(entries[i].path, SVD_MANIFEST_NAME) && entries[i].data) {
			svd_sha256_once(sum, entries[i].data, entries[i].data_len);
			svd_hex_encode(id, sum, sizeof(sum));
		}
}

/*
 * The item as main held it when the operation began (its id from the
 * manifest's bytes), or NULL: none, or it cannot be read (then every file
 * is checked).
 */
static git_tree *base_tree(svd_stage *s, const svd_entry *entries, size_t n)
{
	char id[SVD_ID_HEX_LEN + 1];
	git_tree *tree = NULL;
	git_oid oid;

	item_id(id, entries, n);
	if (!id[0] || svd_txn_base_item(&oid, s->t, id) < 0 ||
	    git_tree_lookup(&tree, svd_txn_archive(s->t)->repo, &oid) < 0) {
		svd_error_clear();
		return NULL;
	}
	return tree;
}

/* Does tree name oid at path? */
static int names(git_tree *tree, const char *path, const git_oid *oid)
{
	git_tree_entry *te = NULL;
	int same = tree && git_tree_entry_bypath(&te, tree, path) == 0 &&
	           git_oid_equal(git_tree_entry_id(te), oid);

	git_tree_entry_free(te);
	return same;
}

/*
 * SHA-1 alone does not decide what is stored (pack.h, SVD_PACKW_COLLISION):
 * each streamed file whose blob was skipped because its git id is held
 * already must find its own bytes there, by SHA-256 (the caller's, which
 * the gate holds to the manifest's; a file with its bytes in the entry is
 * hashed from them). Only files whose id was met again are read, and not
 * those that main's copy of the same item names already at the same path
 * (an item coming again: its manifest, so each file's SHA-256, is the one
 * those bytes were checked against when they came in, and nothing new is
 * named). Returns 0, or SVD_ECORRUPT with *bad naming the file whose id
 * holds other bytes; or an error.
 */
static int check_held(svd_stage *s, const svd_entry *entries, const git_oid *oids,
                      const char *check, size_t n, unsigned flags, const char **bad)
{
	uint8_t want[32], held[32];
	git_tree *base = NULL;
	int looked = 0, error = 0;
	size_t i;

	*bad = NULL;
	for (i = 0; i < n; i++) {
		if (!check[i] || entries[i].type != SVD_ENTRY_FILE)
			continue;
		if (!looked) {
			base = base_tree(s, entries, n);
			looked = 1;
		}
		if (names(base, entries[i].path, &oids[i]))
			continue;
		if (entries[i].data)
			svd_sha256_once(want, entries[i].data, entries[i].data_len);
		else if (flags & SVD_CHECK_SIZES_ONLY)
			continue; /* not hashed by the caller: held payload, named, never streamed */
		else
			memcpy(want, entries[i].sha256, sizeof(want));
		error = svd_packw_held_sha256(s->pw, &oids[i], held);
		if (error == 0 && memcmp(want, held, sizeof(want)) != 0) {
			char hex[GIT_OID_HEXSZ + 1];
			error = svd_error_set(SVD_ECORRUPT, "git id %s",
			                      git_oid_tostr(hex, sizeof(hex), &oids[i]));
		}
		if (error == SVD_ECORRUPT || error == SVD_ENOTFOUND) {
			*bad = entries[i].path;
			error = SVD_ECORRUPT;
			break;
		}
		if (error < 0)
			break;
	}
	git_tree_free(base);
	return error;
}

/* The item refused before the gate: a file's git id holds other bytes. */
static int refuse_collision(svd_stage *s, const svd_entry *entries, size_t n, const char *path,
                            const char *source, svd_verdict **verdict)
{
	char id[SVD_ID_HEX_LEN + 1], detail[512];
	svd_verdict *v = NULL;
	int error;

	snprintf(detail, sizeof(detail), "%s", svd_error_last());
	item_id(id, entries, n);
	if ((error = svd_verdict_new(&v)) < 0 ||
	    (id[0] && (error = svd_verdict_set_id(v, id)) < 0) ||
	    (error = svd_verdict_set_source(v, source)) < 0 ||
	    (error = svd_verdict_add_problem(
	         v, path, "collision", SVD_PACKW_COLLISION "; nothing of the item was admitted")) <
	        0) {
		svd_verdict_free(v);
		svd_stage_abandon(s, SVD_STAGE_LOST);
		return error;
	}
	if ((error = svd_stage_abandon(s, SVD_STAGE_REFUSED)) == 0)
		error = svd_error_set(
		    SVD_ECORRUPT, "refused: %s: %s: " SVD_PACKW_COLLISION "%s%s%s",
		    id[0] ? id : source, path, detail[0] ? " (" : "", detail, detail[0] ? ")" : "");
	if (verdict)
		*verdict = v;
	else
		svd_verdict_free(v);
	return error;
}

int svd_stage_finish(svd_stage *s, const char *id, const svd_entry *entries, size_t n,
                     const char *source, unsigned flags, svd_verdict **verdict)
{
	git_oid *oids = NULL;
	char *check = NULL;
	const char *bad = NULL;
	int error, e2;

	if (verdict)
		*verdict = NULL;
	if ((error = usable(s, 0)) < 0) {
		if (s->open)
			svd_stage_abandon(s, SVD_STAGE_LOST);
		return error;
	}
	if ((error = match_blobs(&oids, &check, s, entries, n)) == 0 &&
	    (error = check_held(s, entries, oids, check, n, flags, &bad)) == SVD_ECORRUPT && bad) {
		error = refuse_collision(s, entries, n, bad, source, verdict);
		free(oids);
		free(check);
		return error;
	}
	if (error == 0)
		error = svd_txn_stage_entries(s->t, id, entries, oids, n, source, flags, verdict);
	free(oids);
	free(check);
	/* refused, or failed: nothing of it stays in the pack */
	if (error < 0 && (e2 = svd_packw_rollback(s->pw, &s->mark)) < 0)
		error = e2;
	item_end(s);
	return error;
}

int svd_stage_finish_update(svd_stage *s, const char *id, const svd_entry *entries, size_t n,
                            const char *source, unsigned flags, svd_verdict **verdict)
{
	svd_tree_item ti = {0};
	svd_entry *all = NULL;
	git_oid tree;
	size_t i, k = 0;
	int error;

	if (verdict)
		*verdict = NULL;
	if ((error = usable(s, 0)) < 0) {
		if (s->open)
			svd_stage_abandon(s, SVD_STAGE_LOST);
		return error;
	}
	if ((error = svd_txn_base_item(&tree, s->t, id)) < 0) {
		svd_stage_abandon(s, SVD_STAGE_LOST);
		return error;
	}
	if ((error = svd_tree_item_read(&ti, svd_txn_archive(s->t)->repo, &tree, 0)) < 0)
		goto fail;
	if (!(all = calloc(ti.n + n + 1, sizeof(*all)))) {
		error = svd_error_set(SVD_ERROR, "out of memory");
		goto fail;
	}
	/*
	 * The update's manifest must be the held item's, byte for byte: the
	 * held payload is checked by size only, so another item's manifest
	 * over this payload must not get that far. The gate, told the id,
	 * would refuse it too (check "id"); this says which item, first.
	 */
	for (i = 0; i < n; i++)
		if (!strcmp(entries[i].path, SVD_MANIFEST_NAME))
			for (k = 0; k < ti.n; k++)
				if (!strcmp(ti.entries[k].path, SVD_MANIFEST_NAME) &&
				    (!entries[i].data ||
				     entries[i].data_len != ti.entries[k].data_len ||
				     memcmp(entries[i].data, ti.entries[k].data,
				            entries[i].data_len)))
					goto not_its;
	k = 0;
	/* the held payload first, as a folder lists it; then the update's files */
	for (i = 0; i < ti.n; i++) {
		const char *path = ti.entries[i].path;
		if (!strcmp(path, SVD_MANIFEST_NAME) ||
		    !strncmp(path, SVD_SIG_DIR "/", strlen(SVD_SIG_DIR) + 1) ||
		    ti.entries[i].type != SVD_ENTRY_FILE)
			continue;
		all[k++] = ti.entries[i];
		if ((error = svd_stage_name(s, path, &ti.oids[i])) < 0)
			goto fail;
	}
	for (i = 0; i < n; i++)
		all[k++] = entries[i];
	error = svd_stage_finish(s, id, all, k, source, flags | SVD_CHECK_SIZES_ONLY, verdict);
	goto cleanup;
not_its:
	/* refused as the gate refuses an item filed under another id */
	{
		svd_verdict *v = NULL;
		if ((error = svd_verdict_new(&v)) < 0 || (error = svd_verdict_set_id(v, id)) < 0 ||
		    (error = svd_verdict_set_source(v, source)) < 0 ||
		    (error = svd_verdict_add_problem(
		         v, SVD_MANIFEST_NAME, "id",
		         "a signature update's manifest is not the manifest of item %s", id)) < 0) {
			svd_verdict_free(v);
			goto fail;
		}
		if ((error = svd_stage_abandon(s, SVD_STAGE_REFUSED)) == 0)
			error = svd_error_set(SVD_ECORRUPT, "refused: %s: manifest.json: id", id);
		if (verdict)
			*verdict = v;
		else
			svd_verdict_free(v);
		goto cleanup;
	}
fail:
	svd_stage_abandon(s, SVD_STAGE_LOST);
cleanup:
	free(all);
	svd_tree_item_clear(&ti);
	return error;
}

int svd_stage_abandon(svd_stage *s, svd_stage_end why)
{
	int error;

	if (!s->open)
		return 0;
	error = svd_packw_rollback(s->pw, &s->mark);
	if (why == SVD_STAGE_REFUSED)
		svd_txn_note_refused(s->t);
	item_end(s);
	return error;
}

void svd_stage_free(svd_stage *s)
{
	if (!s)
		return;
	svd_stage_abandon(s, SVD_STAGE_LOST);
	free(s->v);
	free(s);
}

char *svd_txn_refused_dir(svd_txn *t)
{
	return svd_archive_place_path(svd_archive_path(svd_txn_archive(t)), SVD_PLACE_REFUSED, NULL,
	                              0);
}
