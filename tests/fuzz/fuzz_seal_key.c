/* fuzz_seal_key.c: mirrors' public and secret key files (SPEC.md 12.1). */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "samvydav/seal.h"

/*
 * What parses is exactly what the writer writes: formatted again it gives
 * the same bytes, so there is one spelling of each key file.
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t key[SVD_SEAL_KEY_LEN];
	char *text;

	fuzz_init();
	if (svd_seal_public_parse(key, data, size) == 0) {
		if (!(text = svd_seal_public_format(key)))
			abort();
		if (strlen(text) != size || memcmp(text, data, size))
			abort();
		free(text);
	}
	if (svd_seal_secret_parse(key, data, size) == 0) {
		if (!(text = svd_seal_secret_format(key)))
			abort();
		if (strlen(text) != size || memcmp(text, data, size))
			abort();
		svd_seal_secret_free(text);
	}
	return 0;
}
