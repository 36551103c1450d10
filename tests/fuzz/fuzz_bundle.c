/*
 * fuzz_bundle.c: the bundle reader end to end — zstd frames, the index,
 * tar, BUNDLE.json, manifests, signatures — as `samvydav inspect` runs it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "fuzz.h"
#include "samvydav/bundle.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[] = "/tmp/svd-fuzz-bundle-XXXXXX";
	static svd_trust *trust;
	svd_bundle_stats st = {0};
	int fd;

	fuzz_init();
	if (!trust && svd_trust_new(&trust) < 0)
		abort();
	if ((fd = mkstemp(path)) < 0)
		abort();
	if (write(fd, data, size) != (ssize_t)size)
		abort();
	close(fd);
	/* with no trusted key nothing is accepted, whatever the bytes */
	svd_bundle_inspect(path, trust, NULL, &st);
	if (st.accepted > 0)
		abort();
	unlink(path);
	return 0;
}
