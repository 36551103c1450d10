/*
 * fuzz_view_cache.c: ARCHIVE/cache/view (view_cache.c), a file the library
 * reads back and must never trust: any byte may be damaged. The input's
 * first byte picks the level the parser expects; the rest is the file. A
 * parse that succeeds must give records in id order whose fields are
 * what the format allows. The same bytes as a file (a memfd, read through
 * svd_view_cache_open_fd's window) must give the same answer and the same
 * records.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <sodium.h>

#include "fuzz.h"
#include "util.h"
#include "view_cache.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t zero[32];
	svd_view_cache *c = NULL;
	uint8_t trust[32];

	fuzz_init();
	if (size < 1)
		return 0;
	/* the trust print the file claims, so that the records are reached */
	if (size > 1 + 9 + 32)
		memcpy(trust, data + 1 + 9, 32);
	else
		memcpy(trust, zero, 32);
	int fd = memfd_create("cache", MFD_CLOEXEC), in_memory, from_file;
	svd_view_cache *f = NULL;

	if (fd < 0 || svd_write_all(fd, data + 1, size - 1) < 0)
		abort();
	in_memory = svd_view_cache_parse(&c, data + 1, size - 1, data[0] & 1, trust);
	from_file = svd_view_cache_open_fd(&f, fd, data[0] & 1, trust);
	if ((in_memory == 0) != (from_file == 0))
		abort();
	if (in_memory == 0) {
		svd_view_cache_rec a, b;
		const svd_view_cache_rec *ra, *rb;
		size_t n = svd_view_cache_count(c);
		if (n > size || svd_view_cache_count(f) != n)
			abort();
		while ((ra = svd_view_cache_next(c, &a)) != NULL) {
			if (!(rb = svd_view_cache_next(f, &b)) || strcmp(ra->id, rb->id) ||
			    strcmp(ra->f.title, rb->f.title) || memcmp(ra->tree, rb->tree, 20))
				abort();
		}
		if (svd_view_cache_next(f, &b))
			abort();
	}
	svd_view_cache_free(c);
	svd_view_cache_free(f);
	svd_error_clear();
	close(fd);
	return 0;
}
