/*
 * archive_internal.h: the archive's folder layout and struct (internal).
 */
#ifndef SVD_ARCHIVE_INTERNAL_H
#define SVD_ARCHIVE_INTERNAL_H

#include <git2.h>

#include "samvydav/archive.h"

#define SVD_STORE_DIR   "store.git"
#define SVD_TRUST_DIR   "trusted"
#define SVD_ROOTS_DIR   "roots"
#define SVD_POLICY_FILE "trust-policy"
#define SVD_REFUSED_DIR "refused"
#define SVD_MIRROR_FILE "mirror-id"
#define SVD_LOCK_FILE   "lock"
#define SVD_MAIN_REF    "refs/heads/main"

struct svd_archive {
	char *path;
	char *store_path;
	char *trust_path;
	char mirror_id[SVD_MIRROR_ID_LEN + 1];
	git_repository *repo;
	svd_trust *trust;
	int lock_fd;
};

#endif
