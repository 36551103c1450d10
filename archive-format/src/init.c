/*
 * init.c: setting the library up and down for the whole process — what
 * svd_init() changes (common.h says it to callers): libsodium started, and
 * the store's libgit2 options (store_read.c, svd_store_global_init).
 */
#include <sodium.h>

#include "samvydav/common.h"
#include "store_internal.h"

int svd_init(void)
{
	if (sodium_init() < 0)
		return svd_error_set(SVD_ERROR, "libsodium failed to start");
	return svd_store_global_init();
}

void svd_shutdown(void)
{
	svd_store_global_shutdown();
}
