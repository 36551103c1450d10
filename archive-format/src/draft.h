/*
 * draft.h: an item being built from files and signed, for the gate
 * (internal). The store room owns it (store_draft.c) and it names no git
 * type, so the ingest of an editor's folders and JSON lines (ingest.c,
 * features) builds items through this header and stage.h and nothing else
 * of the store's.
 *
 * A draft lists an item's entries as the gate wants them (svd_entry: path,
 * type, size, SHA-256, the bytes of manifest and signatures). Its files go
 * into the operation's pack through the item's staging (stage.h) as they
 * are added, each read once; svd_stage_finish() then runs the gate on the
 * draft's entries. Single-threaded, like the operation.
 */
#ifndef SVD_DRAFT_H
#define SVD_DRAFT_H

#include <stddef.h>
#include <stdint.h>

#include "samvydav/item.h"
#include "samvydav/key.h"
#include "samvydav/manifest.h"
#include "samvydav/store.h"
#include "stage.h"

/* The names of an item's own files: its manifest, and the folder of its signatures. */
#define SVD_MANIFEST_NAME "manifest.json"
#define SVD_SIG_DIR       "sig"

/*
 * Entries of an item being staged, for the gate. Files are streamed into
 * the pack (stage.h, which keeps each blob's id) as they are hashed, once.
 * Zeroed is empty; svd_draft_clear() frees what it holds.
 */
typedef struct svd_draft {
	svd_entry *entries;
	size_t n, cap;
	char **owned; /* strings and buffers the entries point into */
	size_t nowned, capowned;
} svd_draft;

/* Free what d holds and empty it. */
void svd_draft_clear(svd_draft *d);

/*
 * A new entry at path (copied), zeroed but for its path, for the caller to
 * fill in; *out is d's, valid until the next entry is added.
 */
int svd_draft_push(svd_draft *d, const char *path, svd_entry **out);

/* A file held in memory (a manifest, a signature): kept, hashed and added to the pack. */
int svd_draft_add_bytes(svd_draft *d, svd_stage *sg, const char *path, const char *data,
                        size_t len);

/*
 * A payload file from disk (path) as the item's file name: streamed into
 * the pack while it is hashed, in one read; the bytes read are added to
 * *bytes. A link is followed only with follow non-zero (an editor's own
 * files); a folder, a special file or a link not followed is listed
 * (SVD_ENTRY_DIR, SVD_ENTRY_OTHER) for the gate to refuse, not read.
 */
int svd_draft_add_file(svd_draft *d, svd_stage *sg, const char *name, const char *path, int follow,
                       uint64_t *bytes);

/* The path of keyid's signature in an item (sig/KEYID.minisig); -1 if size is too small. */
int svd_draft_sig_path(char *out, size_t size, const char *keyid);

/*
 * Sign a prepared item's manifest in d with sk as well, unless d holds no
 * manifest that parses or sk has signed it already. SVD_EUNTRUSTED when sk
 * is not trusted in t's archive.
 */
int svd_draft_sign_manifest(svd_txn *t, svd_draft *d, svd_stage *sg, const svd_seckey *sk);

/*
 * svd_txn_add_new() with the item's source named for messages and the
 * verdict (a folder, "FILE:LINE").
 */
int svd_txn_add_new_from(svd_txn *t, svd_manifest *m, const svd_source_file *files, size_t n,
                         const svd_seckey *sk, const char *source, svd_verdict **verdict);

/* Count n payload bytes read for t (its stats' bytes). */
void svd_txn_note_bytes(svd_txn *t, uint64_t n);

#endif
