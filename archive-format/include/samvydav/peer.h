/*
 * peer.h: syncing with a peer mirror over any git transport.
 *
 * A peer is an ordinary git remote (file://, git://, http(s)://) serving
 * another archive's store.git. Its main is fetched into a quarantine ref
 * (refs/quarantine/<name>), never into main (a peer in a folder on this
 * machine, file:// or a path, is read in place instead, and each accepted
 * item's files are copied from there); every item it has that this
 * archive lacks (or holds with fewer signatures) goes through the same gate
 * as a bundle, and what passes is staged into an operation, which the
 * caller commits. Because paths are content ids, merging is the union of
 * the item sets: no conflicts. A peer that stalls, sends endless data or
 * junk is cut off by the limits below and main is untouched: every
 * connect, read and write on the network waits at most timeout_s, and
 * every byte read counts against max_bytes.
 */
#ifndef SAMVYDAV_PEER_H
#define SAMVYDAV_PEER_H

#include "common.h"
#include "item.h"
#include "store.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Limits and callbacks of a sync. Zero fields take the defaults. */
typedef struct svd_peer_opts {
	uint64_t max_bytes; /**< bytes the peer may send; default 4 GiB */
	unsigned timeout_s; /**< give up when the peer is silent this long; default 60 */
	svd_item_cb item;   /**< told about each new item checked; may be NULL */
	void *payload;
} svd_peer_opts;

/** What a sync did. */
typedef struct svd_peer_stats {
	size_t seen;     /**< items of the peer's main not already held as they are */
	size_t accepted; /**< of those, passed the gate and staged */
	size_t refused;  /**< of those, refused */
	uint64_t bytes;  /**< bytes received */
	/**
	 * 1 when the peer's main no longer descends from the main it sent at
	 * the last sync over the network: it rewrote its history. Nothing of a
	 * peer's history is ever taken, only its items, so this changes nothing
	 * here; it is for the operator to hear of. Always 0 for a peer in a
	 * local folder, which is read in place and leaves no record.
	 */
	int rewritten;
} svd_peer_stats;

/**
 * Fetch a peer's main into refs/quarantine/<name>, check every item this
 * archive lacks, and stage the accepted ones into t.
 *
 * @param name a short name for the peer ([A-Za-z0-9._-], used in the ref)
 * @param url a git URL
 * @return 0; SVD_ECORRUPT when some items were refused (the rest staged);
 *         SVD_EINVALID for a bad name or URL; SVD_ETOOBIG when the peer sent
 *         more than max_bytes; SVD_ERROR for a network failure or timeout.
 */
int svd_peer_sync(svd_txn *t, const char *name, const char *url, const svd_peer_opts *opts,
                  svd_peer_stats *stats);

#ifdef __cplusplus
}
#endif

#endif
