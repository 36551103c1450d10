/*
 * http_internal.h: what http.c shares with the tests (not public).
 */
#ifndef SVD_HTTP_INTERNAL_H
#define SVD_HTTP_INTERNAL_H

#include <stddef.h>

/*
 * Is this request path one the service answers? The same check every
 * request goes through, after svd_http_unescape(). Returns 0 when
 * acceptable, SVD_EINVALID (4xx) with a message otherwise.
 */
int svd_http_check_path(const char *path, size_t len);

/*
 * Decode a request path's %XX escapes in place, as the service does before
 * svd_http_check_path(). A malformed escape, or one that stands for '/',
 * '\\', '%' or a control character, leaves the whole string as it came (its
 * '%' then has it refused). Returns the new length; s stays NUL-terminated.
 */
size_t svd_http_unescape(char *s);

#endif
