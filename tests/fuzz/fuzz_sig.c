/* fuzz_sig.c: minisign signature files, parsed and verified against a fixed key. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "samvydav/key.h"
#include "samvydav/sig.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static svd_pubkey *pk;
	static svd_seckey *sk;
	svd_sig *sig = NULL;
	char *out = NULL;
	size_t len;

	fuzz_init();
	if (!pk && svd_key_generate(&sk, &pk) < 0)
		abort();
	if (svd_sig_parse(&sig, (const char *)data, size) == 0) {
		/* what parses formats back to something that parses */
		svd_sig *again = NULL;
		if (svd_sig_format(&out, &len, sig) < 0 || svd_sig_parse(&again, out, len) < 0)
			abort();
		svd_sig_free(again);
		/* a key we just made cannot have signed fuzz input */
		if (svd_sig_verify(sig, pk, "message", 7) == 0)
			abort();
	}
	free(out);
	svd_sig_free(sig);
	return 0;
}
