/*
 * canon.h: canonical JSON (RFC 8785, restricted) — internal.
 *
 * The restriction: object keys are ASCII; numbers are integers in
 * [-(2^53-1), 2^53-1]; strings hold valid UTF-8 and no control characters
 * (U+0000..U+001F, U+007F, U+0080..U+009F). With those rules the canonical
 * form is: keys sorted by byte value, no white space, strings with only '"'
 * and '\\' escaped, everything else as raw UTF-8, integers in plain decimal.
 */
#ifndef SVD_CANON_H
#define SVD_CANON_H

#include <stddef.h>
#include <jansson.h>

#define SVD_CANON_MAX_DEPTH 16 /* nesting of arrays and objects */

/*
 * Parse bytes that must be canonical JSON: valid UTF-8 throughout, no
 * duplicate keys, within the restriction above, and byte-identical to their
 * own canonical form. *out is the caller's (json_decref). Errors:
 * SVD_ECORRUPT with a message naming the first offence and its byte offset
 * where known.
 */
int svd_canon_parse(json_t **out, const char *buf, size_t len);

/*
 * Serialize a value in the canonical form. Fails (SVD_EINVALID) on anything
 * outside the restriction (a real number, a non-ASCII key, a control
 * character). *out is the caller's (free()), NUL-terminated.
 */
int svd_canon_dump(char **out, size_t *len, const json_t *value);

#endif
