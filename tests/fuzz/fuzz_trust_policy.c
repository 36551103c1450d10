/*
 * fuzz_trust_policy.c: ARCHIVE/trust-policy (SPEC.md 7.3), the local
 * thresholds. What parses has every threshold from 1 to 255, and written
 * again and parsed back it gives the same thresholds; what does not parse
 * leaves the list's thresholds as they were.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "samvydav/trust.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	svd_trust *t = NULL, *back = NULL;
	char *text = NULL;
	size_t len, k;

	fuzz_init();
	if (svd_trust_new(&t) < 0 || svd_trust_new(&back) < 0)
		abort();
	if (svd_trust_policy_parse(t, (const char *)data, size, "fuzz") == 0) {
		if (svd_trust_root_threshold(t) < 1 ||
		    svd_trust_root_threshold(t) > SVD_TRUST_THRESHOLD_MAX)
			abort();
		if (svd_trust_policy_format(&text, &len, t) < 0 ||
		    svd_trust_policy_parse(back, text, len, "again") < 0 ||
		    svd_trust_root_threshold(back) != svd_trust_root_threshold(t))
			abort();
		for (k = 0; k < SVD_TRUST_KINDS; k++) {
			unsigned n = svd_trust_kind_threshold(t, (svd_kind)k);
			if (n < 1 || n > SVD_TRUST_THRESHOLD_MAX ||
			    n != svd_trust_kind_threshold(back, (svd_kind)k))
				abort();
		}
	} else if (svd_trust_root_threshold(t) != 1 ||
	           svd_trust_kind_threshold(t, SVD_KIND_TESTIMONY) != 1) {
		abort(); /* a file that does not parse changes nothing */
	}
	free(text);
	svd_trust_free(t);
	svd_trust_free(back);
	return 0;
}
