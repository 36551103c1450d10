/*
 * import.h: taking a bundle into an archive (`samvydav import`, the
 * daemon's inbox, a stick's exchange): every item through the gate and
 * into one operation of the store (store.h). Reading the bundle is
 * bundle.h's.
 */
#ifndef SAMVYDAV_IMPORT_H
#define SAMVYDAV_IMPORT_H

#include "common.h"
#include "bundle.h"
#include "store.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Import a bundle into an operation: every item through the gate, the
 * accepted ones staged (svd_txn_commit() then writes one commit), refusals
 * recorded in ARCHIVE/refused/.
 *
 * @return 0 when every declared item was read and accepted; SVD_ECORRUPT
 *         when some were refused or lost to damage (the rest are staged);
 *         SVD_ENOTFOUND; other codes when the archive cannot be written.
 */
int svd_bundle_import(svd_txn *t, const char *path, const svd_bundle_cbs *cbs,
                      svd_bundle_stats *stats);

#ifdef __cplusplus
}
#endif

#endif
