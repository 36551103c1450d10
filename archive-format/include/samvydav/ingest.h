/*
 * ingest.h: an editor's files added to an operation of the store
 * (`samvydav add --from`; SPEC.md, "Adding from files"). The operation, its
 * commit, and a new item made from metadata and files named one by one are
 * store.h's.
 */
#ifndef SAMVYDAV_INGEST_H
#define SAMVYDAV_INGEST_H

#include "common.h"
#include "item.h"
#include "key.h"
#include "store.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Stage items from a path: a folder holding one item, a folder of item
 * folders, or a JSON lines file (see SPEC.md, "Adding from files"). An item
 * folder holds either manifest.json (a prepared item, taken byte for byte,
 * with sig/<KEYID>.minisig or manifest.json.minisig signatures) or
 * meta.json (metadata; every other regular file is a payload).
 *
 * @param sk a key to sign every item with, or NULL (prepared items must
 *        then carry a trusted signature)
 * @param cb told about each item, accepted or refused; may be NULL
 * @return 0 when every item was accepted; SVD_ECORRUPT when some were
 *         refused (the rest are staged); other codes for I/O.
 */
int svd_txn_add_path(svd_txn *t, const char *path, const svd_seckey *sk, svd_item_cb cb,
                     void *payload);

#ifdef __cplusplus
}
#endif

#endif
