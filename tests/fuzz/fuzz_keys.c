/* fuzz_keys.c: minisign public and secret key files. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "samvydav/key.h"

static int passphrase(char *buf, size_t size, void *payload)
{
	(void)payload;
	if (size < 4)
		return -1;
	memcpy(buf, "abc", 4);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	svd_pubkey *pk = NULL;
	svd_seckey *sk = NULL;

	fuzz_init();
	if (svd_pubkey_parse(&pk, (const char *)data, size) == 0 &&
	    !svd_keyid_valid(svd_pubkey_id(pk)))
		abort();
	svd_pubkey_free(pk);
	/* scrypt with hostile limits is refused before any work; small ones run */
	if (svd_seckey_parse(&sk, (const char *)data, size, passphrase, NULL) == 0 &&
	    !svd_keyid_valid(svd_seckey_id(sk)))
		abort();
	svd_seckey_free(sk);
	return 0;
}
