/*
 * store_internal.h: pieces shared by the store's writing and reading halves.
 */
#ifndef SVD_STORE_INTERNAL_H
#define SVD_STORE_INTERNAL_H

#include <git2.h>

#include "samvydav/item.h"
#include "samvydav/store.h"
#include "draft.h" /* SVD_MANIFEST_NAME, SVD_SIG_DIR */

#define SVD_ITEMS_DIR "items"
#define SVD_KEYS_DIR  "keys" /* the registry: keys/<KEYID>.pub, first key seen per number */

/* An item's folder read from a git tree: entries for the gate, and the blobs they borrow from. */
typedef struct svd_tree_item {
	svd_entry *entries;
	git_oid *oids; /* the git id of each entry */
	size_t n, cap;
	git_blob **blobs; /* kept alive while entries point into them */
	size_t nblobs, capblobs;
	uint64_t bytes; /* payload bytes hashed */
} svd_tree_item;

/*
 * Read an item's tree (items/xx/<id>) into entries: every blob hashed with
 * SHA-256; the bytes of manifest.json and sig files kept (capped). With
 * hash_payloads zero, payload files are listed with their size only.
 */
int svd_tree_item_read(svd_tree_item *out, git_repository *repo, const git_oid *tree,
                       int hash_payloads);
void svd_tree_item_clear(svd_tree_item *ti);

/* One entry of items/xx/: an item's id and folder. */
typedef struct svd_item_ref {
	char id[SVD_ID_HEX_LEN + 1];
	char fan[3];
	git_oid tree;
	const char *misfiled; /* why this entry is not an item where it stands, or NULL */
} svd_item_ref;

typedef struct svd_item_list {
	svd_item_ref *v; /* in tree order, which is id order for well-filed items */
	size_t n, cap;
} svd_item_list;

/*
 * Every entry of items/xx/ in a commit's tree (main's when commit is NULL;
 * an archive with nothing yet gives an empty list). The caller frees out->v.
 */
int svd_store_list(svd_item_list *out, git_repository *repo, const git_oid *commit);

/* The entries of items/<fan>/ alone (fan 0 to 255, as two hex digits), as svd_store_list has them. */
int svd_store_list_fan(svd_item_list *out, git_repository *repo, const git_oid *commit,
                       unsigned fan);

/*
 * The same entries one fan-out folder at a time, in the same order: cb
 * gets each folder's (part, borrowed until it returns), so that a million
 * items are never listed at once (96 bytes an entry). Returns 0, cb's
 * non-zero value, or an error.
 */
int svd_store_list_each(git_repository *repo, const git_oid *commit,
                        int (*cb)(const svd_item_list *part, void *payload), void *payload);

/* The tree of items/ in main's tree at commit (NULL when main has none). */
int svd_store_items_tree(git_tree **out, git_repository *repo, const git_oid *commit);

/* Look up items/<id[0:2]>/<id> in an items tree; SVD_ENOTFOUND if absent. */
int svd_store_item_tree(git_oid *out, git_repository *repo, const git_tree *items, const char *id);

/*
 * The registry of keys in a commit's tree (keys/<KEYID>.pub; store_keys.c):
 * the first key seen for each key number, as a list of keys for the gate
 * (svd_item_check_keys). An empty list when commit is NULL or has no keys/.
 * *out is the caller's (svd_trust_free()); read-only, it may be shared
 * between threads.
 */
int svd_store_keys_read(svd_trust **out, git_repository *repo, const git_oid *commit);

/* main's commit id; SVD_ENOTFOUND when main does not exist yet. */
int svd_store_head_oid(git_oid *out, git_repository *repo);

struct svd_packw;

/* The pack an operation writes into (the staging sequence's, store_stage.c). */
struct svd_packw *svd_txn_packw(svd_txn *t);

/*
 * For tests: the objects one pack of t holds before the next item starts a
 * new one (default 1,048,576), and how many packs t has finished so far.
 */
void svd_txn_set_pack_objects(svd_txn *t, size_t n);
size_t svd_txn_packs_done(const svd_txn *t);

/* The archive an operation writes to. */
svd_archive *svd_txn_archive(svd_txn *t);

/* items/<id> in main as t began; SVD_ENOTFOUND when main holds no such item. */
int svd_txn_base_item(git_oid *out, svd_txn *t, const char *id);

/* Is an item of this id staged in t already? 1 or 0. */
int svd_txn_is_staged(svd_txn *t, const char *id);

/*
 * An item begins (open 1) or ends (open 0) being staged into t
 * (store_stage.c): one at a time, as they share the pack. SVD_EINVALID
 * when one begins while another is open.
 */
int svd_txn_item_open(svd_txn *t, int open);

/*
 * Run the gate (with flags, enum svd_check_flags) on an item whose files
 * are already in the operation's pack (oids[i] is entries[i]'s blob;
 * ignored for folders), and stage it if it passes; id, when not NULL, is
 * the id the item is filed under, which must be its manifest's SHA-256
 * (the gate's check "id"). Returns 0, SVD_ECORRUPT
 * when refused, or an error; nothing is taken back here (svd_stage_finish
 * does that). *verdict is the caller's. Only the staging sequence calls it.
 */
int svd_txn_stage_entries(svd_txn *t, const char *id, const svd_entry *entries, const git_oid *oids,
                          size_t n, const char *source, unsigned flags, svd_verdict **verdict);

struct svd_stage;

/*
 * The staging sequence (stage.h) for the store's own files, which know
 * git ids: name a blob that is in the store already (a co-signed item's
 * files, a fetched peer's) as the item's file at path, writing nothing;
 * or add a file held in memory and learn its id (*out may be NULL).
 */
int svd_stage_name(struct svd_stage *s, const char *path, const git_oid *oid);
/*
 * The same for a file whose bytes were read elsewhere (a folder peer's
 * store) and whose git id our store holds already: at svd_stage_finish the
 * bytes held must have the entry's SHA-256, or the item is refused as a
 * collision (pack.h), as for a streamed blob skipped as held.
 */
int svd_stage_name_held(struct svd_stage *s, const char *path, const git_oid *oid);
int svd_stage_add_blob(git_oid *out, struct svd_stage *s, const char *path, const void *data,
                       size_t len);

/*
 * Run the gate on the items of a commit (main's when commit is NULL; the
 * ids given, or all) against trust, with threads workers; flags are
 * svd_check_flags (SVD_CHECK_SIZES_ONLY: payloads by size, not hashed).
 * cb gets each verdict in id order from the calling thread. Returns 0 also
 * when items failed (stats says how many), SVD_ENOTFOUND for an id given
 * that is not there, cb's non-zero value, or an error.
 */
int svd_store_check(svd_archive *a, const git_oid *commit, const char *const *ids, size_t n,
                    unsigned threads, const svd_trust *trust, unsigned flags, svd_item_cb cb,
                    void *payload, svd_verify_stats *stats);

/*
 * The same over entries of the commit's listing the caller already holds
 * (refs, in id order, borrowed): a view that has listed main gates what
 * its cache does not know without listing main again.
 */
int svd_store_check_refs(svd_archive *a, const git_oid *commit, const svd_item_ref *refs, size_t n,
                         unsigned threads, const svd_trust *trust, unsigned flags, svd_item_cb cb,
                         void *payload, svd_verify_stats *stats);

/*
 * A commit of this store named by hex (4 to 40 digits): SVD_EINVALID for
 * something else, SVD_ENOTFOUND for no such commit.
 */
int svd_store_commit_resolve(git_oid *out, git_repository *repo, const char *hex);

/* libgit2 started with the store's settings for the whole process (svd_init); and stopped. */
int svd_store_global_init(void);
void svd_store_global_shutdown(void);

/*
 * The keys whose signatures admit an item into the store (SPEC 7.3): the
 * trust list, and the editors that certificates in effect in main certify
 * (view_store.c). *out is NULL when that is the trust list as it is (no
 * roots, so nothing certified); else the caller's (svd_trust_free).
 */
int svd_view_admission_trust(svd_trust **out, svd_archive *a);

/* A libgit2 failure as our error: what we were doing, and libgit2's message. */
int svd_git_error(const char *what);

#endif
