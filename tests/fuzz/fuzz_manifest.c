/* fuzz_manifest.c: manifest.json — canonical JSON and the schema. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "samvydav/manifest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	svd_manifest *m = NULL;

	fuzz_init();
	if (svd_manifest_parse(&m, (const char *)data, size) == 0) {
		size_t len, i;
		/* what parses must be its own canonical form, named by its SHA-256 */
		const char *bytes = svd_manifest_bytes(m, &len);
		if (len != size || memcmp(bytes, data, size) || !svd_id_valid(svd_manifest_id(m)))
			abort();
		for (i = 0; i < svd_manifest_file_count(m); i++)
			if (svd_manifest_check_path(svd_manifest_file_at(m, i)->path) < 0)
				abort();
	}
	svd_manifest_free(m);
	return 0;
}
