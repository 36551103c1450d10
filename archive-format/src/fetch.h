/*
 * fetch.h: the store's half of a peer sync — a peer's main, its items, and
 * each item read back and staged into an operation (internal; names no git
 * type, for the sync in the features room, sync.c).
 *
 * store_fetch.c owns what touches git: the peer's main fetched into
 * refs/quarantine/<name> of our store over our own TCP streams
 * (net_stream.c: a deadline on every connect, read and write, a cap on the
 * bytes), or a peer's store in a folder on this machine opened in place;
 * the items its main lists, and which of them our main holds with the very
 * same folder; an item's folder read back from the fetched objects or the
 * peer's store, every file hashed; and its staging (stage.h), with the files
 * of a folder peer copied into the operation's pack. Which items to take,
 * what to refuse before the gate, what to count and tell the caller is the
 * sync's (sync.c, samvydav/peer.h).
 *
 * Everything read from a peer is untrusted: an item's folder is capped
 * (SVD_ITEM_MAX_FILES entries, manifest and signature sizes) and read into
 * entries for the gate, never trusted by itself.
 */
#ifndef SVD_FETCH_H
#define SVD_FETCH_H

#include <stddef.h>
#include <stdint.h>

#include "samvydav/item.h"
#include "samvydav/store.h"

#define SVD_FETCH_NAME_MAX 64 /* bytes of a peer's name */

/* A peer's main opened for a sync; opaque. */
typedef struct svd_fetch svd_fetch;

/*
 * Can name end a git ref (refs/quarantine/<name>)? 0, or SVD_EINVALID with
 * a message saying why not.
 */
int svd_fetch_name_check(const char *name);

/*
 * Open peer name's main at url, for a sync into the operation t (borrowed;
 * it must outlive the fetch): a folder on this machine (file:///path or
 * /path) in place, anything else fetched into refs/quarantine/<name> of
 * t's store, where every connect, read and write waits at most timeout_s
 * and the peer may send max_bytes (which also caps what is copied from a
 * folder later). A peer with no main (nothing in it yet) will list no
 * items; its old quarantine ref, if any, is removed. Passes the pause
 * point peer.fetched after a fetch over the network.
 *
 * @param[out] out the caller's, freed with svd_fetch_free()
 * @return 0; SVD_EINVALID for a URL git cannot fetch from; SVD_ETOOBIG
 *         when the peer sent more than max_bytes; SVD_ERROR for a network
 *         failure or a timeout. Messages name the peer and its URL.
 */
int svd_fetch_open(svd_fetch **out, svd_txn *t, const char *name, const char *url,
                   unsigned timeout_s, uint64_t max_bytes);

/*
 * List the items of the peer's main, and which of them t's main holds as
 * they are (once; later calls do nothing).
 *
 * @return 0; SVD_ECORRUPT (or another code) when the peer's main is not an
 *         archive (the message names the peer).
 */
int svd_fetch_list(svd_fetch *f);

/*
 * 1 when the peer's main no longer descends from the one fetched at the
 * last sync over the network (peer.h, svd_peer_stats.rewritten); 0 for a
 * folder peer.
 */
int svd_fetch_rewritten(const svd_fetch *f);

/* Bytes received from the peer over the network, or copied from its folder so far. */
uint64_t svd_fetch_bytes(const svd_fetch *f);

/* The items of the peer's main, once listed (0 when it has no main). */
size_t svd_fetch_count(const svd_fetch *f);

/* One item of the peer's main, in its tree's order; the strings are borrowed from f. */
typedef struct svd_fetch_item {
	const char *id;       /* the folder's name as filed (an item id when well filed) */
	const char *fan;      /* the folder of items/ it is filed under */
	const char *misfiled; /* why it is not an item where it stands, or NULL */
	int held;             /* our main holds this item with the very same folder */
} svd_fetch_item;

/* Item i (below svd_fetch_count()). */
void svd_fetch_item_get(svd_fetch_item *out, const svd_fetch *f, size_t i);

/*
 * Read item i's folder from what the peer sent (or from its store): the
 * entries for the gate, every file hashed. The entries are borrowed, valid
 * until the next svd_fetch_read() or svd_fetch_free().
 *
 * @return 0; SVD_ETOOBIG or SVD_ECORRUPT for a folder that cannot be an item
 *         (the message says why); another code when it cannot be read.
 */
int svd_fetch_read(const svd_entry **entries, size_t *n, svd_fetch *f, size_t i);

/*
 * Stage the item last read into the operation through the staging
 * sequence (stage.h): from a folder peer, each file our store lacks is copied into
 * the operation's pack from the bytes read there, which must hash to the
 * SHA-256 the gate checks and to the git id the peer's folder names (a
 * folder changed under us between two reads slips nothing in); fetched
 * files are in our store already. Then the gate (SVD_CHECK_DROP_BAD_SIGS).
 *
 * @param[out] verdict the gate's (the caller's); NULL when the gate did not run
 * @return 0 (staged); SVD_ECORRUPT when refused, by the gate (*verdict) or
 *         before it (*verdict NULL; a file not as its folder names it: the
 *         message says which; counted as refused); SVD_ETOOBIG when the
 *         copies pass max_bytes; another code for an error. Nothing of an
 *         item that is not staged stays in the pack.
 */
int svd_fetch_stage(svd_fetch *f, const char *source, svd_verdict **verdict);

/* Close the peer's store and free; NULL is fine. The quarantine ref stays. */
void svd_fetch_free(svd_fetch *f);

#endif
