/*
 * helpers.h: what the unit tests share — temporary folders, fixtures under
 * tests/data, whole-file reads and writes, shell commands and expected error
 * messages. Test code only: a helper that cannot do its job fails the
 * running cmocka test with a message saying why, rather than returning a code.
 */
#ifndef SVD_TEST_HELPERS_H
#define SVD_TEST_HELPERS_H

#include <stddef.h>
#include <stdint.h>

#include "samvydav/archive.h"
#include "samvydav/common.h"

/**
 * Make a fresh folder /tmp/svd-test-<tag>-XXXXXX.
 *
 * @param[out] out  the folder's path
 * @return 0, or -1 if it does not fit in size or mkdtemp refuses
 */
int th_tmpdir(char *out, size_t size, const char *tag);

/** Remove path and everything below it, following no links. */
void th_rmrf(const char *path);

/**
 * A group setup's usual start: svd_init(), then th_tmpdir().
 *
 * @return 0, or -1 if either fails
 */
int th_init(char *tmpdir, size_t size, const char *tag);

/** A group teardown's usual end: th_rmrf(tmpdir), then svd_shutdown(). */
void th_shutdown(const char *tmpdir);

/** The folder th_group_setup() made, for tests that need nothing more. */
extern char th_tmp[64];

/** A cmocka group setup: th_init() of th_tmp. */
int th_group_setup(void **state);

/** A cmocka group teardown: th_shutdown() of th_tmp. */
int th_group_teardown(void **state);

/** Format a path that must fit in size; a test never works on a cut-off path. */
void th_path(char *out, size_t size, const char *fmt, ...) SVD_PRINTF(3, 4);

/** dir/name, which must fit in size. */
void th_join(char *out, size_t size, const char *dir, const char *name);

/** The checkout's root: $SVD_SOURCE_DIR under ctest, else found from this file's path. */
const char *th_source_dir(void);

/** The path of rel under tests/data/ in the checkout. */
void th_fixture_path(char *out, size_t size, const char *rel);

/**
 * A whole file (at most 1 MiB), NUL-terminated.
 *
 * @param[out] len  its length, if not NULL
 * @return the contents, the caller's to free()
 */
char *th_read_file(const char *path, size_t *len);

/** th_read_file() of rel under tests/data/. */
char *th_read_fixture(const char *rel, size_t *len);

/** Write len bytes to path (mode 0644), replacing what was there. */
void th_write_file(const char *path, const void *data, size_t len);

/** th_write_file() of a string, without its NUL. */
void th_write_text(const char *path, const char *text);

/** Create the folder path (mode 0755); it must not exist yet. */
void th_mkdir(const char *path);

/** 1 if path is a folder, else 0. */
int th_is_dir(const char *path);

/**
 * Run a shell command.
 *
 * @return its exit status, or 128 if it did not exit
 */
int th_run(const char *fmt, ...) SVD_PRINTF(1, 2);

/** Fail the test unless the stock tool is in PATH (the interop tests need it). */
void th_require_tool(const char *tool);

/** Fail the test unless svd_error_last() contains needle. */
void th_expect_msg(const char *needle);

/**
 * A new archive in dir/name.
 *
 * @return the archive, the caller's to svd_archive_free()
 */
svd_archive *th_archive_new(const char *dir, const char *name);

/**
 * Fill p with n pseudo-random bytes (xorshift64, one fixed seed per test
 * program): the same bytes on every run, so a failure can be replayed.
 */
void th_fill_random(uint8_t *p, size_t n);

/**
 * What a stock digest tool (sha1sum, sha256sum) prints for n bytes of data:
 * the data written to a temporary file, the tool run on it, the first
 * hexlen characters of its output into hex (hexlen + 1 bytes).
 */
void th_tool_digest(char *hex, size_t hexlen, const char *tool, const void *data, size_t n);

#endif
