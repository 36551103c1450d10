/* fuzz_have.c: have-files (a courier's "what this mirror holds"). */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "fuzz.h"
#include "samvydav/bundle.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[] = "/tmp/svd-fuzz-have-XXXXXX";
	svd_have *h = NULL;
	int fd;

	fuzz_init();
	if ((fd = mkstemp(path)) < 0)
		abort();
	if (write(fd, data, size) != (ssize_t)size)
		abort();
	close(fd);
	if (svd_have_read(&h, path) == 0 && svd_have_count(h) > SVD_HAVE_MAX_IDS)
		abort();
	svd_have_free(h);
	unlink(path);
	return 0;
}
