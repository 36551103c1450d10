/*
 * have.c: have-files (SPEC.md, 9.5), the format's one writer and one
 * reader — the sorted ids a mirror holds, made from ids (svd_have_from_ids),
 * merged, saved atomically and read back under caps. Which ids an archive
 * holds is the export's to say (svd_have_write, export.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "samvydav/bundle.h"
#include "samvydav/manifest.h"
#include "util.h"

#define HAVE_HEADER   "samvydav have 1"
#define HAVE_LINE_MAX 80 /* bytes of a have-file line, LF included */

struct svd_have {
	char mirror[SVD_MIRROR_ID_LEN + 1];
	char created[SVD_TIME_LEN + 1];
	uint8_t *ids; /* n * 32 bytes, sorted */
	size_t n;
};

/* The four header lines of a have-file, into buf; their length. */
static size_t have_header(char *buf, size_t cap, const char *mirror, size_t n)
{
	char created[SVD_TIME_LEN + 1];
	time_t t;

	svd_time_now(created, &t);
	return (size_t)snprintf(buf, cap, "%s\nmirror %s\ncreated %s\ncount %zu\n", HAVE_HEADER,
	                        mirror, created, n);
}

/* Append one id's line to buf, writing buf out when it is full. */
static int have_put(svd_outfile *o, uint8_t *buf, size_t cap, size_t *len, const char *hex)
{
	int error;

	if (*len + SVD_ID_HEX_LEN + 1 > cap) {
		if ((error = svd_outfile_write(o, buf, *len)) < 0)
			return error;
		*len = 0;
	}
	memcpy(buf + *len, hex, SVD_ID_HEX_LEN);
	buf[*len + SVD_ID_HEX_LEN] = '\n';
	*len += SVD_ID_HEX_LEN + 1;
	return 0;
}

int svd_have_save(const svd_have *h, const char *path)
{
	svd_outfile o = {0};
	char hex[SVD_ID_HEX_LEN + 1];
	uint8_t *buf = NULL;
	size_t i, len = 0, cap = 1 << 16;
	int error;

	o.fd = -1;
	if (!(buf = malloc(cap))) {
		error = svd_error_set(SVD_ERROR, "out of memory");
		goto cleanup;
	}
	len = have_header((char *)buf, cap, h->mirror, h->n);
	if ((error = svd_outfile_open(&o, path)) < 0)
		goto cleanup;
	for (i = 0; i < h->n; i++) {
		svd_hex_encode(hex, h->ids + i * 32, 32);
		if ((error = have_put(&o, buf, cap, &len, hex)) < 0)
			goto cleanup;
	}
	if ((error = svd_outfile_write(&o, buf, len)) < 0)
		goto cleanup;
	error = svd_outfile_commit(&o);
cleanup:
	svd_outfile_abort(&o);
	free(buf);
	return error;
}

static int id_cmp(const void *a, const void *b)
{
	return memcmp(a, b, 32);
}

static int is_lower_hex(const char *s, size_t len)
{
	return strlen(s) == len && strspn(s, "0123456789abcdef") == len;
}

int svd_have_from_ids(svd_have **out, const char *mirror, const char *const *ids, size_t n)
{
	svd_have *h = NULL;
	size_t i, k;
	int error = SVD_ERROR;

	*out = NULL;
	if (!mirror || !is_lower_hex(mirror, SVD_MIRROR_ID_LEN))
		return svd_error_set(SVD_EINVALID,
		                     "a have-file's mirror must be %d lowercase hex "
		                     "digits",
		                     SVD_MIRROR_ID_LEN);
	if (n > SVD_HAVE_MAX_IDS)
		return svd_error_set(SVD_ETOOBIG, "%zu ids, over the have-file limit of %d", n,
		                     SVD_HAVE_MAX_IDS);
	if (!(h = calloc(1, sizeof(*h))) || !(h->ids = malloc(n ? n * 32 : 1))) {
		error = svd_error_set(SVD_ERROR, "out of memory");
		goto cleanup;
	}
	memcpy(h->mirror, mirror, SVD_MIRROR_ID_LEN + 1);
	for (i = 0; i < n; i++) {
		if (!ids[i] || !is_lower_hex(ids[i], SVD_ID_HEX_LEN)) {
			error = svd_error_set(SVD_EINVALID,
			                      "id %zu of a have-file: not an item id (64 lowercase "
			                      "hex digits)",
			                      i + 1);
			goto cleanup;
		}
		svd_hex_decode(h->ids + i * 32, 32, ids[i]);
	}
	if (n)
		qsort(h->ids, n, 32, id_cmp);
	for (i = k = 0; i < n; i++)
		if (!k || memcmp(h->ids + (k - 1) * 32, h->ids + i * 32, 32))
			memmove(h->ids + k++ * 32, h->ids + i * 32, 32);
	h->n = k;
	*out = h;
	h = NULL;
	error = 0;
cleanup:
	svd_have_free(h);
	return error;
}

int svd_have_merge(svd_have *h, const svd_have *from)
{
	uint8_t *v;
	size_t i = 0, j = 0, k = 0;

	if (!from || from->n == 0)
		return 0;
	if (h->n > SIZE_MAX / 32 - from->n || !(v = malloc((h->n + from->n) * 32)))
		return svd_error_set(SVD_ERROR, "out of memory");
	/* both sorted and unique: one pass */
	while (i < h->n || j < from->n) {
		int c = i == h->n      ? 1
		        : j == from->n ? -1
		                       : memcmp(h->ids + i * 32, from->ids + j * 32, 32);
		memcpy(v + k++ * 32, c <= 0 ? h->ids + i * 32 : from->ids + j * 32, 32);
		i += c <= 0;
		j += c >= 0;
	}
	if (k > SVD_HAVE_MAX_IDS) {
		free(v);
		return svd_error_set(SVD_ETOOBIG, "%zu ids, over the have-file limit of %d", k,
		                     SVD_HAVE_MAX_IDS);
	}
	free(h->ids);
	h->ids = v;
	h->n = k;
	return 0;
}

/* Reads a have-file line by line, each capped. */
typedef struct line_reader {
	int fd;
	uint8_t buf[65536];
	size_t pos, len;
	int eof;
} line_reader;

/*
 * The next line without its LF, in line (NUL-terminated). Returns 1 for a
 * line, 0 at the end, -1 for a line over the cap or without its LF, -2 for
 * a read error.
 */
static int next_line(line_reader *r, char line[HAVE_LINE_MAX + 1], size_t *len)
{
	size_t n = 0;

	for (;;) {
		uint8_t *nl;
		size_t take;
		if (r->pos == r->len) {
			ssize_t got;
			if (r->eof)
				return n ? -1 : 0;
			got = read(r->fd, r->buf, sizeof(r->buf));
			if (got < 0) {
				if (errno == EINTR)
					continue;
				return -2;
			}
			if (got == 0) {
				r->eof = 1;
				continue;
			}
			r->pos = 0;
			r->len = (size_t)got;
		}
		nl = memchr(r->buf + r->pos, '\n', r->len - r->pos);
		take = nl ? (size_t)(nl - (r->buf + r->pos)) : r->len - r->pos;
		if (n + take >= HAVE_LINE_MAX)
			return -1;
		memcpy(line + n, r->buf + r->pos, take);
		n += take;
		r->pos += take;
		if (nl) {
			r->pos++;
			line[n] = '\0';
			*len = n;
			return 1;
		}
	}
}

/* A decimal count: digits only, no leading zero, at most SVD_HAVE_MAX_IDS. */
static int parse_count(size_t *out, const char *s)
{
	size_t v = 0, len = strlen(s), i;

	if (len == 0 || len > 9 || strspn(s, "0123456789") != len || (s[0] == '0' && len > 1))
		return -1;
	for (i = 0; i < len; i++)
		v = v * 10 + (size_t)(s[i] - '0');
	*out = v;
	return 0;
}

static int check_created(const char *s)
{
	svd_manifest *m = NULL;
	int ok = svd_manifest_new(&m) == 0 && svd_manifest_set(m, "created", s) == 0;

	svd_manifest_free(m);
	svd_error_clear();
	return ok ? 0 : -1;
}

int svd_have_read(svd_have **out, const char *path)
{
	line_reader *r = NULL;
	svd_have *h = NULL;
	char line[HAVE_LINE_MAX + 1];
	size_t len, lineno = 0, count = 0, cap = 0;
	int got, error = SVD_ECORRUPT;
	struct stat st;

	*out = NULL;
	if (!(r = malloc(sizeof(*r))) || !(h = calloc(1, sizeof(*h)))) {
		free(r);
		return svd_error_set(SVD_ERROR, "out of memory");
	}
	r->pos = r->len = 0;
	r->eof = 0;
	r->fd =
	    open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK); /* a FIFO must not hang */
	if (r->fd < 0) {
		error = svd_error_set(errno == ENOENT ? SVD_ENOTFOUND : SVD_ERROR,
		                      "%s: cannot open the have-file: %s", path, strerror(errno));
		goto cleanup;
	}
	if (fstat(r->fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		svd_error_set(SVD_ECORRUPT, "%s: not a regular file", path);
		goto cleanup;
	}
	for (;;) {
		got = next_line(r, line, &len);
		if (got == -2) {
			error =
			    svd_error_set(SVD_ERROR, "%s: cannot read: %s", path, strerror(errno));
			goto cleanup;
		}
		if (got == -1) {
			svd_error_set(SVD_ECORRUPT,
			              "%s: line %zu: too long or without its end of line (a "
			              "have-file holds short lines, each ending in LF)",
			              path, lineno + 1);
			goto cleanup;
		}
		if (got == 0)
			break;
		lineno++;
		if (memchr(line, '\0', len)) {
			svd_error_set(SVD_ECORRUPT, "%s: line %zu: a NUL byte", path, lineno);
			goto cleanup;
		}
		if (lineno == 1 && strcmp(line, HAVE_HEADER)) {
			svd_error_set(SVD_ECORRUPT, "%s: line 1: not a have-file (expected '%s')",
			              path, HAVE_HEADER);
			goto cleanup;
		} else if (lineno == 2) {
			if (strncmp(line, "mirror ", 7) ||
			    !is_lower_hex(line + 7, SVD_MIRROR_ID_LEN)) {
				svd_error_set(SVD_ECORRUPT,
				              "%s: line 2: expected 'mirror' and %d lowercase hex "
				              "digits",
				              path, SVD_MIRROR_ID_LEN);
				goto cleanup;
			}
			memcpy(h->mirror, line + 7, SVD_MIRROR_ID_LEN + 1);
		} else if (lineno == 3) {
			if (strncmp(line, "created ", 8) || check_created(line + 8) < 0) {
				svd_error_set(SVD_ECORRUPT,
				              "%s: line 3: expected 'created' and a time "
				              "YYYY-MM-DDTHH:MM:SSZ",
				              path);
				goto cleanup;
			}
			memcpy(h->created, line + 8, SVD_TIME_LEN + 1);
		} else if (lineno == 4) {
			if (strncmp(line, "count ", 6) || parse_count(&count, line + 6) < 0) {
				svd_error_set(SVD_ECORRUPT,
				              "%s: line 4: expected 'count' and a number", path);
				goto cleanup;
			}
			if (count > SVD_HAVE_MAX_IDS) {
				error = svd_error_set(SVD_ETOOBIG,
				                      "%s: line 4: %zu ids, over the limit of %d",
				                      path, count, SVD_HAVE_MAX_IDS);
				goto cleanup;
			}
		} else if (lineno > 4) {
			uint8_t *id;
			if (h->n == count) {
				svd_error_set(SVD_ECORRUPT,
				              "%s: line %zu: more ids than the count (%zu)", path,
				              lineno, count);
				goto cleanup;
			}
			if (!is_lower_hex(line, SVD_ID_HEX_LEN)) {
				svd_error_set(
				    SVD_ECORRUPT,
				    "%s: line %zu: not an item id (64 lowercase hex digits)", path,
				    lineno);
				goto cleanup;
			}
			if (h->n == cap) {
				size_t ncap = cap ? cap * 2 : 1024;
				uint8_t *p;
				if (ncap > count)
					ncap = count;
				if (!(p = realloc(h->ids, ncap * 32))) {
					error = svd_error_set(SVD_ERROR, "out of memory");
					goto cleanup;
				}
				h->ids = p;
				cap = ncap;
			}
			id = h->ids + h->n * 32;
			svd_hex_decode(id, 32, line);
			if (h->n > 0 && memcmp(id - 32, id, 32) >= 0) {
				svd_error_set(
				    SVD_ECORRUPT,
				    "%s: line %zu: ids out of order or repeated (they must be "
				    "sorted and unique)",
				    path, lineno);
				goto cleanup;
			}
			h->n++;
		}
	}
	if (lineno < 4) {
		svd_error_set(SVD_ECORRUPT, "%s: line %zu: the have-file ends in its header", path,
		              lineno + 1);
		goto cleanup;
	}
	if (h->n != count) {
		svd_error_set(SVD_ECORRUPT, "%s: line %zu: %zu ids, but the count says %zu", path,
		              lineno + 1, h->n, count);
		goto cleanup;
	}
	*out = h;
	h = NULL;
	error = 0;
cleanup:
	if (r->fd >= 0)
		close(r->fd);
	free(r);
	svd_have_free(h);
	return error;
}

size_t svd_have_count(const svd_have *h)
{
	return h ? h->n : 0;
}

const char *svd_have_mirror(const svd_have *h)
{
	return h ? h->mirror : "";
}

int svd_have_contains(const svd_have *h, const char *id)
{
	uint8_t raw[32];

	if (!h || h->n == 0 || !id || strlen(id) != SVD_ID_HEX_LEN ||
	    svd_hex_decode(raw, 32, id) < 0)
		return 0;
	return bsearch(raw, h->ids, h->n, 32, id_cmp) != NULL;
}

void svd_have_free(svd_have *h)
{
	if (!h)
		return;
	free(h->ids);
	free(h);
}
