/*
 * fuzz_bundle_meta.c: BUNDLE.json parsed as a stream (bundle_meta.c), fed
 * the input whole and again in pieces whose sizes the input's first byte
 * chooses. Both readings agree; what is read holds sorted, unique ids, no
 * more than its count, none both an item and an update, and the memory it
 * took is for the ids it read (never for a count it claims).
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "bundle_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	svd_bundle_meta a, b;
	size_t step, at, i;
	int ea, eb = 0;

	fuzz_init();
	svd_bundle_meta_init(&a);
	ea = svd_bundle_meta_feed(&a, data, size);
	if (ea == 0)
		ea = svd_bundle_meta_end(&a);
	step = size ? (size_t)data[0] % 97 + 1 : 1;
	svd_bundle_meta_init(&b);
	for (at = 0; at < size && eb == 0; at += step)
		eb = svd_bundle_meta_feed(&b, data + at, size - at < step ? size - at : step);
	if (eb == 0)
		eb = svd_bundle_meta_end(&b);
	if (ea != eb || (ea != 0 && ea != SVD_ECORRUPT && ea != SVD_ERROR))
		abort();
	/* what was read, whatever the end: within the bytes, and no more than claimed */
	if (a.nids > size / 66 || a.nupdates > size / 66 || a.capids > a.nids * 2 + 256 ||
	    a.capupdates > a.nupdates * 2 + 256 || a.nids != b.nids || a.nupdates != b.nupdates)
		abort();
	if (ea == 0) {
		if ((a.format != 1 && a.format != 2) || a.nids != a.count ||
		    (a.format == 1 && a.nupdates) || strcmp(a.created, b.created) ||
		    strcmp(a.mirror, b.mirror))
			abort();
		for (i = 1; i < a.nids; i++)
			if (memcmp(a.ids[i - 1], a.ids[i], 32) >= 0)
				abort();
		for (i = 1; i < a.nupdates; i++)
			if (memcmp(a.updates[i - 1], a.updates[i], 32) >= 0)
				abort();
		if (a.nids && memcmp(a.ids[0], b.ids[0], 32))
			abort();
	}
	svd_bundle_meta_clear(&a);
	svd_bundle_meta_clear(&b);
	return 0;
}
