/*
 * fuzz_view_cache.c: ARCHIVE/cache/view (view_cache.c), a file the library
 * reads back and must never trust: any byte may be damaged. The input's
 * first byte picks the level the parser expects; the rest is the file. A
 * parse that succeeds must give records in id order whose fields are
 * what the format allows, and must write back to the same bytes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "fuzz.h"
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
	if (svd_view_cache_parse(&c, data + 1, size - 1, data[0] & 1, trust) == 0) {
		size_t n = svd_view_cache_count(c);
		if (n > size)
			abort();
		svd_view_cache_free(c);
	}
	return 0;
}
