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
	SVD_ENOKEY = -12,     /**< a sealed file that no key or passphrase given opens */
};

/**
 * Hex digits of a mirror id: the random name an archive gives itself at
 * init, found in bundles, have-files and sticks.
 */
#define SVD_MIRROR_ID_LEN 32

/** Library version, as a string. */
#define SVD_VERSION "0.1.0"

/*
 * Threads
 *
 * What may run at once:
 *
 * - svd_init() once, before any other call and before the process starts
 *   threads that use the library; svd_shutdown() once, after they are
 *   done. Neither may run beside any other call.
 * - Objects are not locked. An svd_archive, and whatever works on it (an
 *   svd_txn operation), is used by one thread at a time; so is any other
 *   object that a call may change. Distinct objects may be used in
 *   distinct threads at once, on the same archive folder too: each thread
 *   opens its own svd_archive (a second writer gets SVD_ELOCKED, in this
 *   process as in another).
 * - An svd_trust list and a finished svd_catalog that no thread changes
 *   may be read by several threads at once (the library does so itself).
 * - svd_error_last() is per thread: a message is read on the thread whose
 *   call failed. A failure on one of the library's own threads is handed to
 *   the calling thread with its message before the call returns.
 * - Callbacks are called one at a time, from the calling thread, except
 *   where a function's comment says otherwise (svd_render_library's body
 *   and file callbacks, from its worker threads).
 * - svd_pause_set_hook() and svd_pause_stop_at() change the whole process:
 *   call them before other threads use the library.
 *
 * The library's own threads: a call may start worker threads and waits
 * for all of them before it returns, at most SVD_THREADS_MAX for one task
 * (a thread count of 0 in the options means one per core, capped the
 * same). Two kinds outlive a call: an operation's pack writer (one thread,
 * from svd_txn_begin() to svd_txn_free()) and the HTTP service's
 * (libmicrohttpd's, from svd_http_start() to svd_http_stop()). libzstd
 * also starts its own workers, for the length of an export, to compress an
 * item large enough for a frame of its own. All of them inherit the
 * signal mask of the thread that made them.
 *
 * What svd_init() changes for the whole process, for every user of
 * libgit2 in it and not only for samvydav:
 *
 * - git_libgit2_init() (and svd_shutdown() calls git_libgit2_shutdown());
 * - GIT_OPT_ENABLE_FSYNC_GITDIR on: refs, packs and indexes that libgit2
 *   writes are fsynced;
 * - GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION off: libgit2 no longer hashes
 *   each object it reads to check its id (samvydav checks every file of an
 *   item against the SHA-256 in its signed manifest instead, and zlib's
 *   checksum catches damage inside a pack; other code in the process loses
 *   libgit2's check);
 * - GIT_OPT_ENABLE_CACHING off: no object cache;
 * - GIT_OPT_SET_MWINDOW_SIZE 4 MiB and GIT_OPT_SET_MWINDOW_MAPPED_LIMIT
 *   16 MiB: packs are mapped a little at a time.
 *
 * It also starts libsodium (sodium_init()). The first svd_peer_sync() of
 * the process registers samvydav's TCP stream, with its deadlines and byte
 * cap, as libgit2's standard stream: from then on every network
 * connection libgit2 makes in the process goes through it.
 */

/** Threads at most for one task of the library (compression, verification, pages). */
#define SVD_THREADS_MAX 16

/**
 * Initialise libsodium and libgit2, and set libgit2's options for the
 * whole process (see "Threads" above). Call once, before any other
 * function and before other threads use the library.
 *
 * @return 0, or SVD_ERROR if a dependency failed to start.
 */
int svd_init(void);

/** Release what svd_init() set up, once no other thread uses the library. */
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

/**
 * Open a file given from outside (a bundle, a have-file, a key, a file to
 * seal) to read it. Anything but a regular file (a FIFO, a device, a
 * socket, a folder) is refused at once, unread: the open cannot block on a
 * FIFO with no writer, nor take a terminal as its controlling one. A link
 * is followed.
 *
 * @param[out] fd the descriptor, the caller's (close()); -1 on failure
 * @param[out] size the file's size in bytes (may be NULL)
 * @return 0; SVD_ENOTFOUND when there is no such file; SVD_ECORRUPT when
 *         it is not a regular file (the message says what it is);
 *         SVD_ERROR when it cannot be opened
 */
int svd_file_open(int *fd, uint64_t *size, const char *path);

#ifdef __cplusplus
}
#endif

#endif
