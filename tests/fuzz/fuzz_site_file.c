/*
 * fuzz_site_file.c: ARCHIVE/cache/site (site_file.c), the mirror's
 * catalog on disk, a file the library reads back and must never trust:
 * any byte may be damaged. The trust print the parser expects is the one
 * the file claims, so that the records are reached; a file that parses is
 * loaded into a catalog as a start would load it (words, then every
 * record's entry, manifests parsed), and the catalog finished.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "site_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t zero[32];
	svd_site_file *sf = NULL;
	svd_site_file_rec rec;
	svd_catalog *c = NULL;
	uint8_t trust[32];
	size_t n = 0;
	int error = 0;

	fuzz_init();
	memcpy(trust, size > 9 + 32 ? data + 9 : zero, 32);
	if (svd_site_file_parse(&sf, data, size, trust) != 0)
		return 0;
	if (svd_site_file_count(sf) > size)
		abort();
	if (svd_catalog_new(&c) == 0 && (error = svd_site_file_words(c, sf)) == 0) {
		while (error == 0 && svd_site_file_next(sf, &rec)) {
			error = svd_site_file_add(c, &rec, NULL);
			n++;
		}
		if (error == 0 && n != svd_site_file_count(sf))
			abort(); /* every record checked by the parse reads again */
		if (error == 0)
			svd_catalog_finish(c);
	}
	svd_catalog_free(c);
	svd_site_file_free(sf);
	return 0;
}
