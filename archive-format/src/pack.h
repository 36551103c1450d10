/*
 * pack.h: writing git objects as one pack file — internal.
 *
 * One store operation writes all its new objects into a single pack (never
 * one loose object per file): objects are deflated as they come into a
 * temporary file under objects/pack/, and finishing writes the pack's
 * header and checksum, its version 2 index, fsyncs both and renames them
 * into place (the .pack first, the .idx last, so git never sees an index
 * without its pack). Only after that may a ref point at the new objects.
 *
 * Objects already in the repository, or already in this pack, are skipped,
 * so the caller may add freely; a blob only once the bytes held are known
 * to be its own (SVD_PACKW_COLLISION below). Memory is per object (an id, an offset and a
 * CRC), never per byte: blobs of any size stream through a queue of at most
 * 8 MiB to a worker thread that deflates and writes while the caller goes on.
 */
#ifndef SVD_PACK_H
#define SVD_PACK_H

#include <stddef.h>
#include <stdint.h>
#include <git2.h>

typedef struct svd_packw svd_packw;

/*
 * Our temporary files in objects/pack/ start with this. Whoever holds the
 * archive's write lock may delete any left by a crash; git's own
 * temporaries (tmp_pack_*) are never touched.
 */
#define SVD_PACK_TMP_PREFIX "tmp_svd_"

/* Remove temporary files a crashed writer left in repo's objects/pack/. */
int svd_packw_clean(git_repository *repo);

/* Start a pack for repo (borrowed; must outlive the writer). */
int svd_packw_new(svd_packw **out, git_repository *repo);

/*
 * The packs one operation has finished, for the writers of its next packs.
 * An operation of a million items writes five packs; every new object is
 * looked up in the store first, and through libgit2 that is a binary
 * search in every pack's index, the operation's own included: 29 MB of
 * index a pack, touched all over. Where memory is short (a machine with
 * 256 MiB free), those pages are read again and again. So a writer made
 * with svd_packw_new_in() asks libgit2 only about the store as the
 * operation found it (an object database opened then and never refreshed),
 * and about its own finished packs asks a Bloom filter of each first
 * (10 bits an object, 1.25 MB for a pack of 1,048,576; about 1% of new
 * objects are then looked up for nothing). Ids are SHA-1s: their bytes
 * are the hashes.
 */
typedef struct svd_packs_done svd_packs_done;

/* The store of repo as it is now (borrowed; must outlive the set), no pack finished yet. */
int svd_packs_done_new(svd_packs_done **out, git_repository *repo);

/* 1 when an object with this id may be in a pack finished into the set, 0 when it is not. */
int svd_packs_done_maybe(const svd_packs_done *d, const git_oid *oid);

/* How many packs the set holds. */
size_t svd_packs_done_count(const svd_packs_done *d);

/* Free; NULL is fine. */
void svd_packs_done_free(svd_packs_done *d);

/*
 * svd_packw_new(), for an operation that may have finished packs into done
 * (borrowed; NULL: none): lookups as said above, and svd_packw_finish()
 * adds the pack to done once it is in place.
 */
int svd_packw_new_in(svd_packw **out, git_repository *repo, svd_packs_done *done);

/* Add a whole object held in memory; *oid receives its id. */
int svd_packw_add(git_oid *oid, svd_packw *pw, git_object_t type, const void *data, size_t len);

/*
 * Add a blob of a known size in pieces: begin, write (any number of times,
 * exactly size bytes in all), end. Nothing else may be added in between.
 * Writing past size, or ending short of it, drops the blob and fails with
 * SVD_EINVALID; the writer stays usable for other objects.
 */
int svd_packw_blob_begin(svd_packw *pw, uint64_t size);
int svd_packw_blob_write(svd_packw *pw, const void *data, size_t len);
int svd_packw_blob_end(git_oid *oid, svd_packw *pw);

/* Where the object last added or ended was found: it is written only when new. */
enum svd_packw_found {
	SVD_PACKW_NEW = 0,  /* written into this pack */
	SVD_PACKW_IN_PACK,  /* skipped: earlier in this pack */
	SVD_PACKW_IN_STORE, /* skipped: in the repository already */
};

/* For the last svd_packw_add() or svd_packw_blob_end() that succeeded. */
int svd_packw_last_found(const svd_packw *pw);

/*
 * SHA-1 alone does not decide what is already stored (SPEC.md, the store):
 * before an object is skipped because its id is held, the bytes held must
 * be the ones coming in. SHA-1 has no collision detection here, and a
 * colliding blob skipped would leave a tree naming bytes the gate never
 * hashed.
 *
 * svd_packw_add() checks a blob in memory itself: the held bytes' SHA-256
 * against that of data, and fails with SVD_ECORRUPT and this message (the
 * caller adds the file's name) when they differ or the held object cannot
 * be read. A streamed blob's bytes are gone by svd_packw_blob_end(), so
 * its caller checks it once it knows their SHA-256, with
 * svd_packw_held_sha256(), when svd_packw_last_found() says it was skipped.
 */
#define SVD_PACKW_COLLISION                                                                        \
	"git object id collision: a stored object has this SHA-1 but other bytes"

/*
 * The SHA-256 of the bytes held under oid, earlier in this pack (read back
 * from what was written) or in the store (read through libgit2, which
 * checks the id as it reads). For ids met again only: it reads the whole
 * object. Errors: SVD_ECORRUPT when the object held cannot be read, does
 * not match its id, or is not a blob; SVD_ENOTFOUND when nothing is held
 * under oid.
 */
int svd_packw_held_sha256(svd_packw *pw, const git_oid *oid, uint8_t sha256[32]);

/*
 * An object written earlier into this pack, read back and inflated: *out
 * (the caller's, freed with free(); NUL after its *len bytes) and its git
 * type. For objects the caller needs again before the pack is finished
 * (libgit2 cannot read them yet). SVD_ENOTFOUND when this pack does not
 * hold oid; SVD_ETOOBIG past max bytes.
 */
int svd_packw_read(svd_packw *pw, const git_oid *oid, int *type, uint8_t **out, size_t *len,
                   size_t max);

/* How many objects the pack holds so far. */
size_t svd_packw_count(const svd_packw *pw);

/* A point to come back to: the objects the pack held then, and its length. */
typedef struct svd_packw_mark {
	size_t count;
	uint64_t offset;
} svd_packw_mark;

/* Remember where the pack is now (before the open blob, if one is open). */
void svd_packw_mark_get(const svd_packw *pw, svd_packw_mark *mark);

/*
 * Take back every object added since mark, an open blob included, as if
 * they had never been added (an item that fails its checks leaves nothing
 * in the pack). Errors: SVD_EINVALID for a mark from a later point or a
 * spent writer; SVD_ERROR if the file cannot be cut back (the writer is
 * unusable after). The cost is that of the objects taken back, whatever
 * the pack held before the mark.
 */
int svd_packw_rollback(svd_packw *pw, const svd_packw_mark *mark);

/*
 * How many slots of the writer's set of ids its rollbacks have looked at
 * so far: for tests, which check that a rollback costs what the objects it
 * takes back cost, not what the pack holds.
 */
uint64_t svd_packw_rollback_visits(const svd_packw *pw);

/*
 * Write header, checksum and index, fsync, rename into place, and refresh
 * the repository's object database so that libgit2 sees the new objects.
 * With no objects added, nothing is written. The writer is spent after.
 */
int svd_packw_finish(svd_packw *pw);

/* Free; an unfinished pack's temporary files are removed. NULL is fine. */
void svd_packw_free(svd_packw *pw);

/* One entry of a tree to serialize. */
typedef struct svd_tree_entry {
	const char *name;
	unsigned int mode; /* 0100644 file, 040000 folder */
	git_oid oid;
} svd_tree_entry;

/*
 * Serialize a tree object in git's form and order (names compared bytewise,
 * a folder's name as if it ended in '/'). The array is sorted in place.
 * Refuses (SVD_EINVALID) empty names, names with '/', ".", "..", ".git" (in
 * any case), duplicate names (a file and a folder of the same name too), and
 * modes other than 0100644, 0100755, 0120000, 040000 and 0160000.
 * *out is the caller's (free()); zero entries make the empty tree.
 */
int svd_tree_serialize(char **out, size_t *len, svd_tree_entry *entries, size_t n);

#endif
