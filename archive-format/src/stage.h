/*
 * stage.h: putting one item into an operation — the one staging sequence
 * that add, sign, bundle import and peer sync all follow (internal).
 *
 * The store room owns it (store_stage.c) and it names no git type, so the
 * rooms that stage items without knowing git include this header and
 * nothing else of the store's private ones:
 *
 *     svd_stage_begin        an item begins: where the operation's pack stands is noted
 *     svd_stage_file_begin   a file of the item is streamed into the pack as a blob:
 *       _write, _end         begin, write any number of times, end
 *     svd_stage_add          or a file held in memory, in one call
 *     svd_stage_finish       the caller's entries go through the gate
 *                            (svd_item_check_ext); an accepted item is staged
 *                            into the operation, a refused one's blobs are taken
 *                            back out of the pack
 *     svd_stage_abandon      the item ends before the gate (damage, a bad entry):
 *                            its blobs are taken back, an open file's too
 *     svd_stage_free         frees; an item neither finished nor abandoned is
 *                            abandoned as lost
 *
 * The blob of each file is kept here under the file's path; finish gives
 * each entry the blob streamed or added for its path, so the caller only
 * lists entries (paths, sizes, SHA-256, the bytes of manifest and
 * signatures), as for the gate alone. Nothing of a refused or abandoned
 * item stays in the pack: the operation's pack is the same as if it had
 * never been seen. The pause points on the way (pack.object:N as each new
 * object is queued, txn.staged:N as each accepted item is staged;
 * include/samvydav/pause.h) are passed as they were before this sequence
 * existed.
 *
 * One item at a time per operation: its files share the operation's one
 * pack, so a second svd_stage_begin() on the same operation before the
 * first item ended fails with SVD_EINVALID. Single-threaded, like the
 * operation itself.
 */
#ifndef SVD_STAGE_H
#define SVD_STAGE_H

#include <stddef.h>
#include <stdint.h>

#include "samvydav/item.h"
#include "samvydav/store.h"

/* An item being staged into an operation; opaque. */
typedef struct svd_stage svd_stage;

/*
 * An item begins: note where t's pack stands, so that everything added
 * for it from here can be taken back. *out is the caller's, freed with
 * svd_stage_free(), which ends the item if nothing else did.
 * Returns 0; SVD_EINVALID when another item of t is being staged.
 */
int svd_stage_begin(svd_stage **out, svd_txn *t);

/*
 * Stream a file of size bytes into the pack as a blob: begin, write
 * (exactly size bytes in all, in any pieces), end. path is the file's path
 * in the item ("body.md", "sig/KEYID.minisig"; copied). Nothing else may be
 * added between begin and end. A write past size or an end short of it
 * fails with SVD_EINVALID and drops the blob. Any error leaves the item for
 * the caller to abandon.
 */
int svd_stage_file_begin(svd_stage *s, const char *path, uint64_t size);
int svd_stage_file_write(svd_stage *s, const void *data, size_t len);
int svd_stage_file_end(svd_stage *s);

/* A file held in memory (a manifest, a signature) as a blob of the item; data is copied. */
int svd_stage_add(svd_stage *s, const char *path, const void *data, size_t len);

/*
 * The item is whole: run the gate on entries (what the caller found, with
 * the real size and SHA-256 of every file; borrowed) with flags (enum
 * svd_check_flags; what enters an archive uses SVD_CHECK_DROP_BAD_SIGS),
 * and stage the item if it passes: its folder's trees are written, merged
 * with the same item's folder in main or earlier in the operation. Each
 * file entry gets the blob streamed or added for its path (in order, when
 * a path came twice). If it is refused, its blobs are taken back. The item
 * has ended either way, whatever this returns.
 *
 * @param id the id the item is filed under where it came from (a bundle's
 *        items/xx/<id>/, a peer's): the gate refuses it (check "id") unless
 *        its manifest's SHA-256 is that id, on every path as inspect and
 *        unpack do; NULL for an item that has no id yet (one being made)
 * @param source where the item came from, for the verdict ("frame at 123")
 * @param[out] verdict the gate's verdict (the caller's); set also when the
 *        item was refused, NULL when the gate could not run
 * @return 0 (staged, or already held as it is); SVD_ECORRUPT when the gate
 *         refused it (counted in the operation's refused); an error
 *         (its blobs are taken back too).
 */
int svd_stage_finish(svd_stage *s, const char *id, const svd_entry *entries, size_t n,
                     const char *source, unsigned flags, svd_verdict **verdict);

/*
 * A signature update (SPEC.md, 9.2) of the item id: entries (borrowed) are
 * the update's own, manifest.json and sig/ files, streamed or added like
 * any item's. The item as main held it when t began completes them: its
 * payload files (their blobs, in the store already, named and not written
 * again), so the gate (flags, and SVD_CHECK_SIZES_ONLY: the held payload
 * was hashed when it entered the store) judges the update's manifest and
 * signatures with the payload they sign; what passes is merged as in
 * svd_stage_finish(). The item has ended either way.
 *
 * @return as svd_stage_finish(); SVD_ENOTFOUND, *verdict NULL, when main
 *         does not hold id (not an item staged earlier in t either): the
 *         update's blobs are taken back and nothing is counted.
 */
int svd_stage_finish_update(svd_stage *s, const char *id, const svd_entry *entries, size_t n,
                            const char *source, unsigned flags, svd_verdict **verdict);

/* Why an item ends without the gate (svd_stage_abandon). */
typedef enum svd_stage_end {
	/* refused before the gate (a bad entry, a file not as it is named): counted as refused */
	SVD_STAGE_REFUSED = 0,
	/* lost (a damaged frame) or given up (an error, a stop): counted nowhere */
	SVD_STAGE_LOST,
} svd_stage_end;

/*
 * The item ends without the gate: every blob added for it since
 * svd_stage_begin(), an open file's too, is taken back out of the pack.
 * Does nothing for an item that has ended already.
 *
 * @return 0; SVD_ERROR when the pack cannot be cut back (the operation
 *         cannot go on).
 */
int svd_stage_abandon(svd_stage *s, svd_stage_end why);

/* Free; an item not yet ended is abandoned as lost. NULL is fine. */
void svd_stage_free(svd_stage *s);

/* Count an item of t refused with no item begun (a stray entry, a misfiled folder). */
void svd_txn_note_refused(svd_txn *t);

/*
 * The folder where refusals of what t imports are recorded
 * (ARCHIVE/refused; it may not exist yet). The caller's, free(); NULL when
 * out of memory.
 */
char *svd_txn_refused_dir(svd_txn *t);

/* The archive's trust list (borrowed), as the operation began with it. */
const svd_trust *svd_txn_trust(const svd_txn *t);

/*
 * The keys that admit items in this operation (borrowed): the trust list
 * and the editors roots certified (SPEC 7.3), a certificate staged in it
 * included.
 */
const svd_trust *svd_txn_admission(const svd_txn *t);

#endif
