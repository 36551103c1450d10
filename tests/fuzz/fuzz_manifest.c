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
		size_t len, i, j, n;
		char **keys = NULL;
		/* what parses must be its own canonical form, named by its SHA-256 */
		const char *bytes = svd_manifest_bytes(m, &len);
		if (len != size || memcmp(bytes, data, size) || !svd_id_valid(svd_manifest_id(m)))
			abort();
		/* every name passes the path check, and no two would be one file on
		 * a disk that ignores case or normalization (their keys differ) */
		n = svd_manifest_file_count(m);
		if (n > 0 && !(keys = calloc(n, sizeof(*keys))))
			abort();
		for (i = 0; i < n; i++)
			if (svd_manifest_check_path(svd_manifest_file_at(m, i)->path) < 0 ||
			    svd_manifest_path_key(&keys[i], svd_manifest_file_at(m, i)->path) < 0)
				abort();
		for (i = 0; i < n; i++)
			for (j = 0; j < i; j++)
				if (strcmp(keys[i], keys[j]) == 0)
					abort();
		for (i = 0; i < n; i++)
			free(keys[i]);
		free(keys);
	}
	svd_manifest_free(m);
	return 0;
}
