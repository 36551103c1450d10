/*
 * error.c: the thread-local error message and library set-up.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <git2.h>
#include <sodium.h>

#include "samvydav/common.h"
#include "util.h"

static _Thread_local char message[SVD_MESSAGE_MAX];

int svd_init(void)
{
	if (sodium_init() < 0)
		return svd_error_set(SVD_ERROR, "libsodium failed to start");
	if (git_libgit2_init() < 0)
		return svd_error_set(SVD_ERROR, "libgit2 failed to start");
	/* refs, packs and indexes written by libgit2 reach the disk before we go on */
	git_libgit2_opts(GIT_OPT_ENABLE_FSYNC_GITDIR, 1);
	/*
	 * Memory stays flat whatever the size of the archive: by default libgit2
	 * maps packs a GiB at a time and keeps every page it read resident, and
	 * its object cache held 30 MiB more during an export of 20,000 items.
	 * Every object is read about once here, so nothing is lost without it.
	 */
	git_libgit2_opts(GIT_OPT_SET_MWINDOW_SIZE, (size_t)4 << 20);
	git_libgit2_opts(GIT_OPT_SET_MWINDOW_MAPPED_LIMIT, (size_t)16 << 20);
	git_libgit2_opts(GIT_OPT_ENABLE_CACHING, 0);
	/*
	 * Every file of an item is checked against the SHA-256 in its signed
	 * manifest, and zlib's own checksum catches damage inside a pack;
	 * libgit2's SHA-1 of each object read (collision-detecting, slow) adds
	 * nothing to that and doubles the time of every read.
	 */
	git_libgit2_opts(GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION, 0);
	return 0;
}

void svd_shutdown(void)
{
	git_libgit2_shutdown();
}

const char *svd_error_last(void)
{
	return message;
}

int svd_error_set(int code, const char *fmt, ...)
{
	char buf[SVD_MESSAGE_MAX];
	va_list ap;

	/* through a copy: callers often add context to the last message itself */
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	memcpy(message, buf, sizeof(message));
	return code;
}

void svd_error_clear(void)
{
	message[0] = '\0';
}

const char *svd_error_name(int code)
{
	switch (code) {
	case SVD_OK:
		return "ok";
	case SVD_ENOTFOUND:
		return "not-found";
	case SVD_EEXISTS:
		return "exists";
	case SVD_EBADSIG:
		return "bad-signature";
	case SVD_EUNTRUSTED:
		return "untrusted";
	case SVD_ECORRUPT:
		return "corrupt";
	case SVD_ETOOBIG:
		return "too-big";
	case SVD_EPASSPHRASE:
		return "passphrase";
	case SVD_ELOCKED:
		return "locked";
	case SVD_EINVALID:
		return "invalid";
	default:
		return "error";
	}
}
