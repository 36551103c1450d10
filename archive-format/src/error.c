/*
 * error.c: the thread-local error message.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "samvydav/common.h"
#include "util.h"

static _Thread_local char message[SVD_MESSAGE_MAX];

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
	case SVD_ENOKEY:
		return "no-key";
	default:
		return "error";
	}
}
