/*
 * fuzz.h: what the fuzz targets share. Each target is one parser of
 * untrusted input, fed arbitrary bytes; built with clang's libFuzzer
 * (SVD_FUZZ=ON) it explores, built with replay.c it runs a corpus as an
 * ordinary test under ctest.
 */
#ifndef SVD_FUZZ_H
#define SVD_FUZZ_H

#include <stddef.h>
#include <stdint.h>

#include "samvydav/common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The library, started once per process. */
static inline void fuzz_init(void)
{
	static int done;

	if (!done) {
		svd_init();
		done = 1;
	}
}

#endif
