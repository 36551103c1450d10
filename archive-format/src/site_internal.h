/*
 * site_internal.h: what site.c shares with the tests (not public).
 */
#ifndef SVD_SITE_INTERNAL_H
#define SVD_SITE_INTERNAL_H

#include <stddef.h>

/*
 * Is this request path one the site answers? The same check every request
 * goes through, after svd_site_unescape(). Returns 0 when acceptable,
 * SVD_EINVALID (a 4xx) with a message otherwise.
 */
int svd_site_check_path(const char *path, size_t len);

#endif
