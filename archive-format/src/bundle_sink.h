/*
 * bundle_sink.h: where the bundle reader's items go (bundle_read.c;
 * internal).
 *
 * The reader owns the format: frames, the tar stream, the index, which
 * entries make an item, what is refused before the gate. What becomes of an
 * item is its sink's: the import stages it into an operation of the
 * store's (import.c), extract writes its files to a folder, inspect only
 * hears the verdict. A sink is a set of callbacks, so that the reader knows
 * neither the store nor the archive it may be filling; the reader calls
 * them in this order for each item:
 *
 *     item_begin                   an item's first entry has come
 *     file_begin, file_write...,   each file of it, its bytes as they are
 *       file_end                   decompressed
 *     item_gate                    the item is whole: through the gate
 *     item_verdict                 what the gate said (or why the item was
 *                                  refused before it), before the caller's
 *                                  item callback hears it
 *     item_drop                    instead of the gate: the item was refused
 *                                  before it, lost, or cut short
 *
 * and damage for each damaged region, after the caller's damage callback.
 * Any callback may be NULL. One returning a negative code stops the read
 * with that code, as an error of the reader's would; an item begun (even
 * by an item_begin that failed) and not yet ended is then dropped
 * (item_drop, SVD_BUNDLE_DROP_LOST), and so is one that a stop by the
 * caller's item callback cuts short. Callbacks run on the reading thread,
 * one at a time.
 */
#ifndef SVD_BUNDLE_SINK_H
#define SVD_BUNDLE_SINK_H

#include <stddef.h>
#include <stdint.h>

#include "samvydav/bundle.h"

/* Why an item ends without the gate (item_drop). */
typedef enum svd_bundle_drop {
	/* refused before the gate (a bad entry in it); also sent with no item
	 * begun, for an entry that belongs to no item (a stray file) */
	SVD_BUNDLE_DROP_REFUSED = 0,
	/* lost with a damaged frame, or given up (an error, a stop) */
	SVD_BUNDLE_DROP_LOST,
	/* a signature update the sink has no update_gate for (inspect, extract):
	   taken back, counted nowhere */
	SVD_BUNDLE_DROP_SKIPPED,
} svd_bundle_drop;

typedef struct svd_bundle_sink {
	/* An item begins; id is its 64 hex digits (borrowed, for the call). */
	int (*item_begin)(void *ctx, const char *id);

	/*
	 * A file of the item: path in the item ("body.md", "sig/K.minisig";
	 * borrowed, for the call), size as its tar entry says. Its bytes come
	 * in pieces (data borrowed, for the call: the reader's own buffer, so
	 * nothing is copied for the sink) that add up to at most size.
	 * file_end follows every file_begin that returned 0: whole is 1 when
	 * all size bytes came and were taken, 0 when the entry was cut short
	 * (damage: the item will be lost) or a callback failed.
	 */
	int (*file_begin)(void *ctx, const char *path, uint64_t size);
	int (*file_write)(void *ctx, const void *data, size_t len);
	int (*file_end)(void *ctx, int whole);

	/*
	 * The item is whole: run the gate on entries (n of them, borrowed;
	 * each with its real size and SHA-256, and the bytes of manifest and
	 * signatures) with source saying where it was ("frame at 123"). *out
	 * gets the verdict (the reader frees it), also when the item is
	 * refused; return 0 then too. NULL: the reader's own gate
	 * (svd_item_check_ext with the trust list it was given).
	 */
	int (*item_gate)(void *ctx, const svd_entry *entries, size_t n, const char *source,
	                 svd_verdict **out);

	/* Every verdict, accepted or refused, before the caller's item callback. */
	int (*item_verdict)(void *ctx, const svd_verdict *v);

	/* The item ends without the gate; see svd_bundle_drop. */
	int (*item_drop)(void *ctx, svd_bundle_drop why);

	/* A damaged region of the bundle, as the caller's damage callback is told. */
	void (*damage)(void *ctx, uint64_t offset, uint64_t length, const char *what);

	void *ctx;

	/*
	 * Instead of item_gate for a signature update (SPEC.md, 9.2: an item
	 * BUNDLE.json lists under "updates", whose entries the reader has
	 * checked are manifest.json and sig/ files only): complete it with
	 * the payload of the item held here and run the gate, as item_gate.
	 * *out NULL and 0 returned: the item is not held here, and the update
	 * was skipped; the sink has ended the item (taken back what it had of
	 * it) either way. NULL: the reader skips every update, and ends it
	 * with item_drop (SVD_BUNDLE_DROP_SKIPPED).
	 */
	int (*update_gate)(void *ctx, const char *id, const svd_entry *entries, size_t n,
	                   const char *source, svd_verdict **out);
} svd_bundle_sink;

/*
 * Read the bundle at path, its items into sink (NULL: none but the
 * reader's gate, as inspect), checked by sink's gate or else against trust
 * (borrowed). cbs and stats as for svd_bundle_inspect().
 *
 * @return as svd_bundle_inspect(), or the first error a callback of sink
 *         returned.
 */
int svd_bundle_read(const char *path, const svd_trust *trust, const svd_bundle_sink *sink,
                    const svd_bundle_cbs *cbs, svd_bundle_stats *stats);

#endif
