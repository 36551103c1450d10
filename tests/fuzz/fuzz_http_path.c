/*
 * fuzz_http_path.c: the HTTP service's gate — a request path as
 * libmicrohttpd hands it over, %XX-decoded by svd_site_unescape(), then
 * judged by svd_site_check_path() — and the raw bytes straight into the
 * check. Whatever is accepted must hold no "..", no "." segment, no NUL,
 * no backslash and no '%' left.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "site_internal.h"
#include "http.h"

/* What an accepted path can never hold, whatever was decoded into it. */
static void check_accepted(const char *p, size_t len)
{
	size_t i, seg = 0;

	if (len == 0 || len > SVD_HTTP_URL_MAX || p[0] != '/')
		abort();
	if (memchr(p, '\0', len) || memchr(p, '\\', len) || memchr(p, '%', len))
		abort();
	for (i = 1; i < len; i++)
		if (p[i] == '.' && p[i - 1] == '.')
			abort();
	/* segments are what lies between slashes: none is "." or ".." */
	for (i = 0; i <= len; i++) {
		if (i == len || p[i] == '/') {
			if ((i - seg == 1 && p[seg] == '.') ||
			    (i - seg == 2 && p[seg] == '.' && p[seg + 1] == '.'))
				abort();
			seg = i + 1;
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s;
	size_t len;

	fuzz_init();
	/* the raw bytes, NULs and all, straight into the check */
	if (svd_site_check_path((const char *)data, size) == 0)
		check_accepted((const char *)data, size);

	/* as the service sees it: a C string (MHD stops at a NUL), decoded */
	if (!(s = malloc(size + 1)))
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	len = svd_site_unescape(s);
	if (len != strlen(s) || len > size)
		abort();
	if (svd_site_check_path(s, len) == 0)
		check_accepted(s, len);
	free(s);
	return 0;
}
