/*
 * samvydav: a signed, content-addressed archive of articles and testimony.
 *
 * common.h: error codes, the thread-local error message, library set-up.
 *
 * Every function of the library returns 0 on success or a negative SVD_E*
 * code on failure, and leaves a message for the user in svd_error_last().
 * The library never prints, never exits and never reads the environment.
 */
#ifndef SAMVYDAV_COMMON_H
#define SAMVYDAV_COMMON_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define SVD_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define SVD_PRINTF(fmt, args)
#endif

/** Error codes; every failing call returns one of these (negative). */
enum svd_error_code {
	SVD_OK = 0,
	SVD_ERROR = -1,       /**< anything not listed below (I/O, memory, git) */
	SVD_ENOTFOUND = -3,   /**< no such item, key, file or archive */
	SVD_EEXISTS = -4,     /**< the thing to create is already there */
	SVD_EBADSIG = -5,     /**< a signature that does not verify */
	SVD_EUNTRUSTED = -6,  /**< a valid signature by a key that is not trusted */
	SVD_ECORRUPT = -7,    /**< input that is malformed, damaged or lies */
	SVD_ETOOBIG = -8,     /**< input over one of the library's size limits */
	SVD_EPASSPHRASE = -9, /**< a secret key that the passphrase does not open */
	SVD_ELOCKED = -10,    /**< another process holds the archive's write lock */
	SVD_EINVALID = -11,   /**< a caller's argument that is not acceptable */
};

/** Library version, as a string. */
#define SVD_VERSION "0.1.0"

/**
 * Initialise libsodium and libgit2. Call once, before any other function,
 * from the main thread.
 *
 * @return 0, or SVD_ERROR if a dependency failed to start.
 */
int svd_init(void);

/** Release what svd_init() set up. */
void svd_shutdown(void);

/**
 * The message of the last failure on this thread: what failed, where, and
 * what to do. Borrowed; valid until the next library call on this thread.
 *
 * @return the message, or "" when there is none.
 */
const char *svd_error_last(void);

/**
 * Set this thread's error message (printf format). Used by the library; a
 * caller may use it to add its own context.
 *
 * @return code, so that `return svd_error_set(SVD_ECORRUPT, ...)` works.
 */
int svd_error_set(int code, const char *fmt, ...) SVD_PRINTF(2, 3);

/** Forget this thread's error message. */
void svd_error_clear(void);

/**
 * A short, stable name for an error code ("corrupt", "bad-signature", ...),
 * for --json output and logs. Never NULL.
 */
const char *svd_error_name(int code);

#ifdef __cplusplus
}
#endif

#endif
