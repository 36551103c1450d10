/*
 * key_internal.h: what sig.c needs from key.c (not public).
 *
 * Both parse minisign's line-based files the same way, and signing needs the
 * secret key bytes, which never leave key.c's guarded memory.
 */
#ifndef SVD_KEY_INTERNAL_H
#define SVD_KEY_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "samvydav/key.h"

/* The untrusted comment line of every minisign file starts with this. */
#define SVD_COMMENT_PREFIX "untrusted comment: "

/*
 * The longest comment line (prefix included, line ending not) that minisign
 * reads: it fgets() the line, its "\n" and a NUL into SVD_COMMENT_MAX bytes.
 */
#define SVD_COMMENT_LINE_MAX (SVD_COMMENT_MAX - 2)

/* One line of a minisign file, without its line ending; points into the input. */
struct svd_line {
	const char *s;
	size_t len;
};

/*
 * Split buf into at most max lines, each ending in "\n" or "\r\n" (the last
 * one may lack it). NUL bytes, a carriage return inside a line and more than
 * max lines are refused (SVD_ECORRUPT; messages start with what).
 *
 * @return the number of lines, or SVD_ECORRUPT
 */
int svd_lines_split(struct svd_line *lines, size_t max, const char *buf, size_t len,
                    const char *what);

/*
 * Is the line an untrusted comment line that minisign can read (the prefix,
 * at most SVD_COMMENT_LINE_MAX bytes)? @return 0, SVD_ECORRUPT or SVD_ETOOBIG.
 */
int svd_comment_line_check(const struct svd_line *line, size_t lineno, const char *what);

/*
 * Decode base64 (the original alphabet, padded) that must come to exactly n
 * bytes. @return 0, or -1 with no message set.
 */
int svd_base64_decode(uint8_t *out, size_t n, const struct svd_line *line);

/* The 8 raw key id bytes of a secret key (borrowed). */
const uint8_t *svd_seckey_id_bytes(const svd_seckey *sk);

/* Ed25519-sign len bytes of msg with the secret key. @return 0 or SVD_ERROR. */
int svd_seckey_sign(uint8_t sig[64], const svd_seckey *sk, const void *msg, size_t len);

#endif
