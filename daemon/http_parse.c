/*
 * http_parse.c: the request headers the HTTP service reads itself, as RFC
 * 9110 writes them (grammar in the comments). Kept apart from http.c so
 * that the unit tests and a fuzz target reach them without a server.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "http_parse.h"

static int is_ows(char c)
{
	return c == ' ' || c == '\t';
}

static const char *skip_ows(const char *p)
{
	while (is_ows(*p))
		p++;
	return p;
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* tchar of RFC 9110, 5.6.2: the characters of a token */
static int is_tchar(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* etagc: %x21 / %x23-7E / obs-text */
static int is_etagc(unsigned char c)
{
	return c == 0x21 || (c >= 0x23 && c <= 0x7e) || c >= 0x80;
}

/*
 * Digits as a number; one too large for 64 bits saturates at UINT64_MAX
 * (a position past any body). Returns the end, or NULL with no digit.
 */
static const char *digits(const char *p, uint64_t *out)
{
	uint64_t v = 0;
	const char *start = p;

	for (; is_digit(*p); p++) {
		unsigned d = (unsigned)(*p - '0');
		v = v > (UINT64_MAX - d) / 10 ? UINT64_MAX : v * 10 + d;
	}
	*out = v;
	return p == start ? NULL : p;
}

/*
 * Range = ranges-specifier = range-unit "=" range-set
 * range-set = 1#range-spec; range-spec = int-range / suffix-range / other-range
 * int-range = first-pos "-" [ last-pos ]; suffix-range = "-" suffix-length
 */
svd_http_range_kind svd_http_range_parse(uint64_t *first, uint64_t *last, const char *value,
                                         uint64_t len)
{
	const char *p = skip_ows(value), *end;
	uint64_t a = 0, b = UINT64_MAX;
	int suffix = 0, seen = 0;

	if (strncasecmp(p, "bytes", 5) != 0) /* the unit is case-insensitive */
		return SVD_HTTP_RANGE_WHOLE;
	p += 5;
	if (*p++ != '=')
		return SVD_HTTP_RANGE_WHOLE;
	/* the list: empty elements are allowed (5.6.1); more than one range is not served */
	for (;;) {
		p = skip_ows(p);
		if (*p == ',') {
			p++;
			continue;
		}
		if (!*p)
			break;
		if (seen++)
			return SVD_HTTP_RANGE_WHOLE;
		if (*p == '-') {
			suffix = 1;
			if (!(end = digits(p + 1, &b)))
				return SVD_HTTP_RANGE_WHOLE;
		} else {
			if (!(end = digits(p, &a)) || *end != '-')
				return SVD_HTTP_RANGE_WHOLE;
			end++;
			if (is_digit(*end))
				end = digits(end, &b);
			if (a > b) /* invalid: ignored */
				return SVD_HTTP_RANGE_WHOLE;
		}
		p = skip_ows(end);
		if (*p && *p != ',')
			return SVD_HTTP_RANGE_WHOLE;
	}
	if (!seen)
		return SVD_HTTP_RANGE_WHOLE;
	if (suffix) {
		if (b == 0 || len == 0)
			return SVD_HTTP_RANGE_UNSATISFIABLE;
		*first = b >= len ? 0 : len - b;
		*last = len - 1;
		return SVD_HTTP_RANGE_PART;
	}
	if (a >= len)
		return SVD_HTTP_RANGE_UNSATISFIABLE;
	*first = a;
	*last = b >= len ? len - 1 : b;
	return SVD_HTTP_RANGE_PART;
}

/*
 * weight = OWS ";" OWS "q=" qvalue
 * qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )
 * In thousandths, or -1 when it is not one.
 */
static int qvalue(const char **pp)
{
	const char *p = *pp;
	int v, n;

	if (*p != '0' && *p != '1')
		return -1;
	v = (*p++ - '0') * 1000;
	if (*p == '.') {
		p++;
		for (n = 0; n < 3 && is_digit(*p); n++, p++)
			v += (*p - '0') * (n == 0 ? 100 : n == 1 ? 10 : 1);
	}
	if (v > 1000)
		return -1;
	*pp = p;
	return v;
}

/* Accept-Encoding = #( codings [ weight ] ); codings = content-coding / "identity" / "*" */
int svd_http_accepts_gzip(const char *value)
{
	const char *p = value, *tok;
	size_t n;
	int gzip = -1, star = -1, q;

	while (*p) {
		p = skip_ows(p);
		if (*p == ',') {
			p++;
			continue;
		}
		if (!*p)
			break;
		for (tok = p; is_tchar(*p); p++)
			;
		n = (size_t)(p - tok);
		q = 1000;
		p = skip_ows(p);
		/* parameters: only q is defined; anything else makes the element void */
		while (*p == ';') {
			p = skip_ows(p + 1);
			if ((p[0] == 'q' || p[0] == 'Q') && p[1] == '=') {
				p += 2;
				q = qvalue(&p);
			} else {
				q = -1;
			}
			if (q < 0)
				break;
			p = skip_ows(p);
		}
		if (n == 0 || q < 0 || (*p && *p != ',')) {
			/* a malformed element: skip to the next */
			while (*p && *p != ',')
				p++;
			continue;
		}
		if ((n == 4 && !strncasecmp(tok, "gzip", 4)) ||
		    (n == 6 && !strncasecmp(tok, "x-gzip", 6)))
			gzip = gzip > q ? gzip : q;
		else if (n == 1 && *tok == '*')
			star = star > q ? star : q;
	}
	if (gzip >= 0)
		return gzip > 0;
	return star > 0;
}

/*
 * One entity-tag = [ weak ] opaque-tag; weak = %s"W/"; opaque-tag = DQUOTE
 * *etagc DQUOTE. Sets the opaque tag (quotes included); returns the end,
 * or NULL.
 */
static const char *entity_tag(const char *p, const char **tag, size_t *n, int *weak)
{
	const char *start;

	*weak = 0;
	if (p[0] == 'W' && p[1] == '/') {
		*weak = 1;
		p += 2;
	}
	if (*p != '"')
		return NULL;
	start = p++;
	while (is_etagc((unsigned char)*p))
		p++;
	if (*p != '"')
		return NULL;
	p++;
	*tag = start;
	*n = (size_t)(p - start);
	return p;
}

/* If-None-Match = "*" / #entity-tag */
int svd_http_etag_match(const char *value, const char *etag)
{
	const char *p = skip_ows(value), *tag;
	size_t n, elen;
	int weak, match = 0;

	if (!etag)
		return 0;
	elen = strlen(etag);
	if (*p == '*')
		return *skip_ows(p + 1) == '\0';
	while (*p) {
		p = skip_ows(p);
		if (*p == ',') {
			p++;
			continue;
		}
		if (!*p)
			break;
		if (!(p = entity_tag(p, &tag, &n, &weak)))
			return 0;
		if (n == elen && !memcmp(tag, etag, n))
			match = 1;
		p = skip_ows(p);
		if (*p && *p != ',')
			return 0;
	}
	return match;
}

int svd_http_if_range(const char *value, const char *etag, int64_t mtime)
{
	const char *p = skip_ows(value), *tag;
	size_t n;
	int64_t t;
	int weak;

	if (*p == '"' || (p[0] == 'W' && p[1] == '/')) {
		if (!(p = entity_tag(p, &tag, &n, &weak)) || *skip_ows(p))
			return 0;
		return !weak && etag && n == strlen(etag) && !memcmp(tag, etag, n);
	}
	return mtime > 0 && svd_http_date_parse(&t, value) == 0 && t == mtime;
}

static const char days[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
static const char *const long_days[7] = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                         "Thursday", "Friday", "Saturday"};

/* Days since 1970-01-01 of a civil date (proleptic Gregorian). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? (unsigned)-3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static int leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Exactly n digits as a number, or -1. */
static int fixed(const char **pp, int n)
{
	const char *p = *pp;
	int v = 0, i;

	for (i = 0; i < n; i++) {
		if (!is_digit(p[i]))
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	*pp = p + n;
	return v;
}

static int expect(const char **pp, const char *s)
{
	size_t n = strlen(s);

	if (strncmp(*pp, s, n))
		return -1;
	*pp += n;
	return 0;
}

static int month_of(const char **pp)
{
	int i;

	for (i = 0; i < 12; i++)
		if (!strncmp(*pp, months[i], 3)) {
			*pp += 3;
			return i + 1;
		}
	return -1;
}

/* hour ":" minute ":" second */
static int time_of_day(const char **pp, int *h, int *mi, int *s)
{
	if ((*h = fixed(pp, 2)) < 0 || expect(pp, ":") || (*mi = fixed(pp, 2)) < 0 ||
	    expect(pp, ":") || (*s = fixed(pp, 2)) < 0)
		return -1;
	return 0;
}

int svd_http_date_parse(int64_t *out, const char *value)
{
	static const unsigned char mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	const char *p = skip_ows(value);
	int wd = -1, d, m, y, h, mi, s, i;

	for (i = 0; i < 7; i++)
		if (!strncmp(p, days[i], 3))
			wd = i;
	if (wd < 0)
		return -1;
	if (p[3] == ',') {
		/* IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT */
		p += 4;
		if (expect(&p, " ") || (d = fixed(&p, 2)) < 0 || expect(&p, " ") ||
		    (m = month_of(&p)) < 0 || expect(&p, " ") || (y = fixed(&p, 4)) < 0 ||
		    expect(&p, " ") || time_of_day(&p, &h, &mi, &s) || expect(&p, " GMT"))
			return -1;
	} else if (p[3] == ' ') {
		/* asctime: Sun Nov  6 08:49:37 1994 */
		p += 4;
		if ((m = month_of(&p)) < 0 || expect(&p, " "))
			return -1;
		if (*p == ' ') {
			p++;
			if ((d = fixed(&p, 1)) < 0)
				return -1;
		} else if ((d = fixed(&p, 2)) < 0) {
			return -1;
		}
		if (expect(&p, " ") || time_of_day(&p, &h, &mi, &s) || expect(&p, " ") ||
		    (y = fixed(&p, 4)) < 0)
			return -1;
	} else {
		/* RFC 850: Sunday, 06-Nov-94 08:49:37 GMT */
		if (expect(&p, long_days[wd]) || expect(&p, ", ") || (d = fixed(&p, 2)) < 0 ||
		    expect(&p, "-") || (m = month_of(&p)) < 0 || expect(&p, "-") ||
		    (y = fixed(&p, 2)) < 0 || expect(&p, " ") || time_of_day(&p, &h, &mi, &s) ||
		    expect(&p, " GMT"))
			return -1;
		y += y < 70 ? 2000 : 1900;
	}
	if (*skip_ows(p))
		return -1;
	if (y < 1900 || d < 1 || d > mdays[m - 1] + (m == 2 && leap(y)) || h > 23 || mi > 59 ||
	    s > 60)
		return -1;
	if (s == 60) /* a leap second: the second before */
		s = 59;
	*out = days_from_civil(y, (unsigned)m, (unsigned)d) * 86400 + h * 3600 + mi * 60 + s;
	return 0;
}

void svd_http_date_format(char *out, int64_t t)
{
	struct tm tm;
	time_t tt = (time_t)t;

	if (!gmtime_r(&tt, &tm) || tm.tm_year + 1900 > 9999 || tm.tm_year + 1900 < 0) {
		tt = 0;
		gmtime_r(&tt, &tm);
	}
	/* unsigned and bounded: every field has exactly its width */
	snprintf(out, SVD_HTTP_DATE_LEN + 1, "%s, %02u %s %04u %02u:%02u:%02u GMT",
	         days[(unsigned)tm.tm_wday % 7u], (unsigned)tm.tm_mday % 100u,
	         months[(unsigned)tm.tm_mon % 12u], (unsigned)(tm.tm_year + 1900) % 10000u,
	         (unsigned)tm.tm_hour % 100u, (unsigned)tm.tm_min % 100u,
	         (unsigned)tm.tm_sec % 100u);
}

int svd_http_etag_valid(const char *s, size_t max)
{
	size_t n = strlen(s), i;

	if (n < 2 || n > max || s[0] != '"' || s[n - 1] != '"')
		return 0;
	for (i = 1; i + 1 < n; i++)
		if (!is_etagc((unsigned char)s[i]))
			return 0;
	return 1;
}
