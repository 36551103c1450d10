/*
 * fuzz_http_headers.c: the request headers the HTTP service reads itself
 * (daemon/http_parse.c): Range against a body length taken from the
 * input's first 8 bytes, the rest as the header's value; then the same
 * value as Accept-Encoding, If-None-Match, If-Range and an HTTP-date.
 * A range is always inside the body, a date reads back from its own
 * format, and a weak or malformed validator never lets a range through.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "http_parse.h"

#define ETAG "\"0123456789abcdef0123456789abcdef\""

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char date[SVD_HTTP_DATE_LEN + 1], *s;
	uint64_t len = 0, first = 0, last = 0;
	int64_t t, t2;
	size_t i;

	fuzz_init();
	for (i = 0; i < 8 && i < size; i++)
		len = len << 8 | data[i];
	if (size >= 1 && data[0] & 0x80)
		len %= 100000; /* small bodies too, where the edges are */
	data += i;
	size -= i;
	if (!(s = malloc(size + 1)))
		abort();
	memcpy(s, data, size);
	s[size] = '\0';

	switch (svd_http_range_parse(&first, &last, s, len)) {
	case SVD_HTTP_RANGE_PART:
		if (len == 0 || first > last || last >= len)
			abort();
		break;
	case SVD_HTTP_RANGE_WHOLE:
	case SVD_HTTP_RANGE_UNSATISFIABLE:
		break;
	default:
		abort();
	}
	(void)svd_http_accepts_gzip(s);
	if (svd_http_etag_match(s, NULL))
		abort(); /* nothing matches a body without a tag, not even "*" */
	(void)svd_http_etag_match(s, ETAG);
	if (svd_http_etag_valid(s, 128) && !svd_http_etag_match(s, s))
		abort(); /* a tag matches itself */
	if (svd_http_if_range(s, NULL, 0))
		abort(); /* no validator: no range under If-Range */
	if (!strncmp(s, "W/", 2) && svd_http_if_range(s, ETAG, 1))
		abort(); /* a weak tag never validates a range */
	if (svd_http_date_parse(&t, s) == 0) {
		svd_http_date_format(date, t);
		if (t >= 0 && t < 253402300800 && /* up to 9999-12-31 */
		    (svd_http_date_parse(&t2, date) != 0 || t2 != t))
			abort();
		if (t >= 0 && !svd_http_if_range(date, NULL, t))
			abort();
	}
	free(s);
	return 0;
}
