/*
 * bundle_meta.c: BUNDLE.json (SPEC.md, 9.2) parsed as a stream
 * (bundle_internal.h), for the bundle reader and its fuzz target.
 *
 * A bundle of a million items lists a million ids (67 MB of JSON); a JSON
 * tree of them took hundreds of MB, and a hostile bundle could claim any
 * count. Here the bytes go by once, through the one canonical form the
 * members of 9.2 can take:
 *
 *     {"count":N,"created":"S","format":1,"ids":[ID,...],"mirror":"S"}
 *     {"count":N,"created":"S","format":2,"ids":[...],"mirror":"S","updates":[ID,...]}
 *
 * (members sorted, no white space, integers in plain decimal, each ID 64
 * lowercase hex digits in quotes, the strings canonical strings). Anything
 * else fails at the first byte that does not fit, nested or not: nothing is
 * ever pushed on a stack. An id costs 32 bytes when it has been read whole;
 * "ids" never holds more than "count" says.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "samvydav/bundle.h"
#include "bundle_internal.h"
#include "canon.h"

/* The steps of the grammar, in order. */
enum {
	S_OPEN,     /* {"count": */
	S_COUNT,    /* N */
	S_CREATED,  /* ,"created": */
	S_CREATEDV, /* "S" */
	S_FORMAT,   /* ,"format": */
	S_FORMATV,  /* 1 or 2 */
	S_IDS,      /* ,"ids":[ */
	S_IDSV,     /* ID,... ] */
	S_MIRROR,   /* ,"mirror": */
	S_MIRRORV,  /* "S" */
	S_AFTER,    /* } (format 1) or ,"updates":[ (format 2) */
	S_UPDATESV, /* ID,... ] */
	S_CLOSE,    /* } */
	S_END,      /* nothing more */
};

static const char *const literal[] = {
    [S_OPEN] = "{\"count\":", [S_CREATED] = ",\"created\":", [S_FORMAT] = ",\"format\":",
    [S_IDS] = ",\"ids\":[",   [S_MIRROR] = ",\"mirror\":",   [S_CLOSE] = "}",
};

static uint64_t meta_max = SVD_BUNDLE_META_MAX;

void svd_bundle_set_meta_max(uint64_t bytes)
{
	meta_max = bytes ? bytes : SVD_BUNDLE_META_MAX;
}

uint64_t svd_bundle_meta_max(void)
{
	return meta_max;
}

void svd_bundle_meta_init(svd_bundle_meta *m)
{
	memset(m, 0, sizeof(*m));
	m->lpos = -2;
}

void svd_bundle_meta_clear(svd_bundle_meta *m)
{
	free(m->ids);
	free(m->updates);
	m->ids = m->updates = NULL;
	m->nids = m->capids = m->nupdates = m->capupdates = 0;
}

static int not_description(svd_bundle_meta *m)
{
	return m->error = svd_error_set(
	           SVD_ECORRUPT,
	           "BUNDLE.json is not a bundle description of format 1 (format, created, "
	           "mirror, count, ids) or 2 (and updates) (byte %llu)",
	           (unsigned long long)m->at);
}

static const char *list_name(const svd_bundle_meta *m)
{
	return m->step == S_IDSV ? "ids" : "updates";
}

static int not_id(svd_bundle_meta *m)
{
	return m->error = svd_error_set(SVD_ECORRUPT,
	                                "BUNDLE.json: %s[%zu] is not an item id in sorted order",
	                                list_name(m), m->step == S_IDSV ? m->nids : m->nupdates);
}

/* A canonical string of 9.2's ("created", "mirror"): checked as canonical JSON, then kept. */
static int string_done(svd_bundle_meta *m, char *to)
{
	json_t *j = NULL;
	int error;

	if ((error = svd_canon_parse(&j, m->str, m->slen)) < 0) {
		if (error == SVD_ERROR)
			return m->error = error;
		return m->error = svd_error_set(SVD_ECORRUPT, "BUNDLE.json: %s", svd_error_last());
	}
	if (!json_is_string(j) || json_string_length(j) > SVD_BUNDLE_META_STR) {
		json_decref(j);
		return not_description(m);
	}
	memcpy(to, json_string_value(j), json_string_length(j) + 1);
	json_decref(j);
	return 0;
}

/* The id just read, appended to its list: sorted after the one before, no more than count. */
static int id_done(svd_bundle_meta *m)
{
	int ids = m->step == S_IDSV;
	uint8_t(**v)[32] = ids ? &m->ids : &m->updates;
	size_t *n = ids ? &m->nids : &m->nupdates, *cap = ids ? &m->capids : &m->capupdates;

	if (*n > 0 && memcmp((*v)[*n - 1], m->cur, 32) >= 0)
		return not_id(m);
	if (ids && *n >= m->count)
		return m->error = svd_error_set(
		           SVD_ECORRUPT, "BUNDLE.json: ids holds more than its count of %llu",
		           (unsigned long long)m->count);
	if (*n == *cap) {
		/* grown as ids come, never past the count: a count that lies costs nothing */
		size_t ncap = *cap ? *cap * 2 : 256;
		uint8_t(*p)[32];
		if (ids && ncap > m->count)
			ncap = (size_t)m->count;
		if (!(p = realloc(*v, ncap * 32)))
			return m->error = svd_error_set(SVD_ERROR, "out of memory");
		*v = p;
		*cap = ncap;
	}
	memcpy((*v)[(*n)++], m->cur, 32);
	return 0;
}

static int hex_value(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* A byte inside a list of ids: 0 taken, or the error. */
static int list_byte(svd_bundle_meta *m, int c)
{
	int v;

	if (m->lpos == -2 && c == ']') {
		m->step++;
		return 0;
	}
	if (m->lpos < 0) {
		if (c != '"')
			return not_id(m);
		memset(m->cur, 0, sizeof(m->cur));
		m->lpos = 0;
	} else if (m->lpos < 64) {
		if ((v = hex_value(c)) < 0)
			return not_id(m);
		m->cur[m->lpos / 2] = (uint8_t)(m->cur[m->lpos / 2] << 4 | v);
		m->lpos++;
	} else if (m->lpos == 64) {
		if (c != '"')
			return not_id(m);
		m->lpos = 65;
		return id_done(m);
	} else if (c == ',') {
		m->lpos = -1;
	} else if (c == ']') {
		m->lpos = -2;
		m->step++;
	} else {
		return not_description(m);
	}
	return 0;
}

/* A byte of a string value, quotes included: 0 taken, or the error. */
static int string_byte(svd_bundle_meta *m, int c)
{
	if (m->slen == 0 && c != '"')
		return not_description(m);
	if (m->slen == sizeof(m->str) - 1)
		return m->error = svd_error_set(SVD_ECORRUPT, "BUNDLE.json: %s is over %d bytes",
		                                m->step == S_CREATEDV ? "created" : "mirror",
		                                SVD_BUNDLE_META_STR);
	m->str[m->slen++] = (char)c;
	if (m->slen > 1 && c == '"' && !m->esc) {
		int error = string_done(m, m->step == S_CREATEDV ? m->created : m->mirror);
		m->slen = 0;
		if (error < 0)
			return error;
		m->step++;
		return 0;
	}
	m->esc = m->slen > 1 && c == '\\' && !m->esc;
	return 0;
}

/*
 * A byte of an integer, or the one after it (taken by the next step: 1).
 * Canonical: "0" or digits without a leading zero, at most 2^53-1.
 */
static int number_byte(svd_bundle_meta *m, int c)
{
	if (c >= '0' && c <= '9') {
		if ((m->ndig > 0 && m->num == 0) || m->ndig == 16)
			return not_description(m);
		m->num = m->num * 10 + (uint64_t)(c - '0');
		m->ndig++;
		return 0;
	}
	if (m->ndig == 0 || m->num > 9007199254740991ull)
		return not_description(m);
	if (m->step == S_COUNT) {
		m->count = m->num;
	} else if (m->num > SVD_BUNDLE_FORMAT) {
		m->newer = 1;
		return m->error = svd_error_set(SVD_ECORRUPT,
		                                "BUNDLE.json is of format %llu, newer than this "
		                                "samvydav reads (%d); its "
		                                "items are read as items",
		                                (unsigned long long)m->num, SVD_BUNDLE_FORMAT);
	} else if (m->num != 1 && m->num != 2) {
		return not_description(m);
	} else {
		m->format = (int)m->num;
	}
	m->num = 0;
	m->ndig = 0;
	m->step++;
	return 1;
}

/* One byte, at the step it belongs to. */
static int meta_byte(svd_bundle_meta *m, int c)
{
	const char *lit;

	for (;;) {
		int r;
		switch (m->step) {
		case S_COUNT:
		case S_FORMATV:
			if ((r = number_byte(m, c)) != 1)
				return r;
			continue; /* the byte after the number is the next step's */
		case S_CREATEDV:
		case S_MIRRORV:
			return string_byte(m, c);
		case S_IDSV:
		case S_UPDATESV:
			return list_byte(m, c);
		case S_END:
			return m->error = svd_error_set(
			           SVD_ECORRUPT, "BUNDLE.json: bytes after its end (byte %llu)",
			           (unsigned long long)m->at);
		case S_AFTER:
			lit = m->format == 2 ? ",\"updates\":[" : "}";
			break;
		default:
			lit = literal[m->step];
			break;
		}
		if (lit[m->li] != c)
			return not_description(m);
		if (lit[++m->li] == '\0') {
			m->li = 0;
			m->step = m->step == S_AFTER && m->format == 1 ? S_END : m->step + 1;
		}
		return 0;
	}
}

int svd_bundle_meta_feed(svd_bundle_meta *m, const void *data, size_t len)
{
	const unsigned char *p = data;
	size_t i;

	if (m->error)
		return m->error;
	for (i = 0; i < len; i++, m->at++)
		if (meta_byte(m, p[i]) < 0)
			return m->error;
	return 0;
}

int svd_bundle_meta_end(svd_bundle_meta *m)
{
	size_t i = 0, j = 0;

	if (m->error)
		return m->error;
	if (m->step != S_END)
		return m->error = svd_error_set(
		           SVD_ECORRUPT, "BUNDLE.json ends early, after %llu bytes (cut short?)",
		           (unsigned long long)m->at);
	if (m->nids != m->count)
		return m->error = svd_error_set(
		           SVD_ECORRUPT, "BUNDLE.json: its count is %llu, and it lists %zu ids",
		           (unsigned long long)m->count, m->nids);
	/* both lists sorted: one pass says whether they meet */
	while (i < m->nids && j < m->nupdates) {
		int c = memcmp(m->ids[i], m->updates[j], 32);
		if (c == 0)
			return m->error = svd_error_set(
			           SVD_ECORRUPT,
			           "BUNDLE.json: an id is both an item and a signature update");
		i += c < 0;
		j += c > 0;
	}
	return 0;
}
