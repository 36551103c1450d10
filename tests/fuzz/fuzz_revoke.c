/* fuzz_revoke.c: revocation certificates (NAME.revoke): layout, parts, signature. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "samvydav/revoke.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	svd_revoke_file *r = NULL, *again = NULL;
	char *text = NULL;
	size_t len;

	fuzz_init();
	if (svd_revoke_file_parse(&r, (const char *)data, size) == 0) {
		const svd_manifest *m = svd_revoke_file_manifest(r);
		const svd_pubkey *pk = svd_revoke_file_pubkey(r);

		/* a revocation of the file's own key, signed by it */
		if (svd_manifest_kind(m) != SVD_KIND_REVOCATION || !svd_manifest_key(m) ||
		    memcmp(svd_pubkey_bytes(svd_manifest_key(m)), svd_pubkey_bytes(pk), 32) ||
		    strcmp(svd_sig_keyid(svd_revoke_file_sig(r)), svd_pubkey_id(pk)))
			abort();
		/* what parses formats to a file that parses to the same revocation */
		if (svd_revoke_file_format(&text, &len, r) != 0 ||
		    svd_revoke_file_parse(&again, text, len) != 0 ||
		    strcmp(svd_manifest_id(svd_revoke_file_manifest(again)), svd_manifest_id(m)))
			abort();
	}
	svd_revoke_file_free(again);
	svd_revoke_file_free(r);
	free(text);
	return 0;
}
