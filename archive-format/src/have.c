/*
 * have.c: have-files (SPEC.md, 9.5), the format's one writer and one
 * reader — the sorted ids a mirror holds and, in format 2, the key ids of
 * the signatures it holds for each (a table of the key ids that occur,
 * then indexes into it per item): made from ids or items
 * (svd_have_from_ids, svd_have_from_items), merged, saved atomically and
 * read back under caps. Which items an archive holds is the export's to
 * say (svd_have_write, export.c).
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
#include "samvydav/key.h"
#include "samvydav/manifest.h"
#include "util.h"

#define HAVE_HEADER_1  "samvydav have 1"
#define HAVE_HEADER_2  "samvydav have 2"
#define HAVE_LINE_MAX  80   /* bytes of a format-1 line, LF included */
#define HAVE2_LINE_MAX 8192 /* bytes of a format-2 line: an id and up to 1024 indexes */

struct svd_have {
	char mirror[SVD_MIRROR_ID_LEN + 1];
	char created[SVD_TIME_LEN + 1];
	int format;   /* 1: ids only; 2: with each item's key ids */
	uint8_t *ids; /* n * 32 bytes, sorted */
	size_t n;
	/* format 2 */
	uint64_t *keys; /* the table: key numbers as their ids read, sorted, unique */
	size_t nkeys;
	uint32_t *off;  /* n + 1: item i's indexes are refs[off[i] .. off[i + 1]) */
	uint32_t *refs; /* indexes into keys, ascending within an item */
	size_t nrefs;
};

static int id_cmp(const void *a, const void *b)
{
	return memcmp(a, b, 32);
}

static int u64_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int u32_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static int is_lower_hex(const char *s, size_t len)
{
	return strlen(s) == len && strspn(s, "0123456789abcdef") == len;
}

/* A key id (16 uppercase hex digits, as minisign prints it) as its number. */
static int keyid_parse(uint64_t *out, const char *s)
{
	uint64_t v = 0;
	size_t i;

	if (!svd_keyid_valid(s) || strlen(s) != SVD_KEYID_HEX_LEN)
		return -1;
	for (i = 0; i < SVD_KEYID_HEX_LEN; i++)
		v = v << 4 | (uint64_t)(s[i] <= '9' ? s[i] - '0' : s[i] - 'A' + 10);
	*out = v;
	return 0;
}

static void keyid_text(char out[SVD_KEYID_HEX_LEN + 1], uint64_t v)
{
	static const char digits[] = "0123456789ABCDEF";
	int i;

	for (i = SVD_KEYID_HEX_LEN - 1; i >= 0; i--, v >>= 4)
		out[i] = digits[v & 15];
	out[SVD_KEYID_HEX_LEN] = '\0';
}

/* ----------------------------------------------------------------- writing */

/* A buffer written out to o whenever the next piece would not fit. */
typedef struct wbuf {
	svd_outfile *o;
	uint8_t *p;
	size_t len, cap;
} wbuf;

static int put(wbuf *b, const void *data, size_t len)
{
	int error;

	if (b->len + len > b->cap) {
		if ((error = svd_outfile_write(b->o, b->p, b->len)) < 0)
			return error;
		b->len = 0;
	}
	memcpy(b->p + b->len, data, len);
	b->len += len;
	return 0;
}

/* The header lines of a have-file (format 2: with the key table's size). */
static int put_header(wbuf *b, const svd_have *h)
{
	char line[256], created[SVD_TIME_LEN + 1];
	time_t t;
	int len;

	svd_time_now(created, &t);
	len = snprintf(line, sizeof(line), "%s\nmirror %s\ncreated %s\ncount %zu\n",
	               h->format == 2 ? HAVE_HEADER_2 : HAVE_HEADER_1, h->mirror, created, h->n);
	if (h->format == 2)
		len += snprintf(line + len, sizeof(line) - (size_t)len, "keys %zu\n", h->nkeys);
	return put(b, line, (size_t)len);
}

/* Item i's line: its id and, in format 2, the indexes of its key ids. */
static int put_item(wbuf *b, const svd_have *h, size_t i)
{
	char line[HAVE2_LINE_MAX + 32];
	size_t len = SVD_ID_HEX_LEN, k;

	svd_hex_encode(line, h->ids + i * 32, 32);
	if (h->format == 2)
		for (k = h->off[i]; k < h->off[i + 1]; k++)
			len += (size_t)snprintf(line + len, sizeof(line) - len, "%c%u",
			                        k == h->off[i] ? ' ' : ',', h->refs[k]);
	line[len++] = '\n';
	return put(b, line, len);
}

int svd_have_save(const svd_have *h, const char *path)
{
	return svd_have_save_sealed(h, path, NULL);
}

int svd_have_save_sealed(const svd_have *h, const char *path, const svd_seal_to *to)
{
	svd_outfile o = {0};
	char key[SVD_KEYID_HEX_LEN + 2];
	wbuf b = {0};
	size_t i;
	int error;

	o.fd = -1;
	b.o = &o;
	b.cap = 1 << 16;
	if (!(b.p = malloc(b.cap))) {
		error = svd_error_set(SVD_ERROR, "out of memory");
		goto cleanup;
	}
	if ((error = to ? svd_outfile_open_sealed(&o, path, to, SVD_SEAL_HAVE)
	                : svd_outfile_open(&o, path)) < 0 ||
	    (error = put_header(&b, h)) < 0)
		goto cleanup;
	for (i = 0; i < h->nkeys; i++) {
		keyid_text(key, h->keys[i]);
		key[SVD_KEYID_HEX_LEN] = '\n';
		if ((error = put(&b, key, SVD_KEYID_HEX_LEN + 1)) < 0)
			goto cleanup;
	}
	for (i = 0; i < h->n; i++)
		if ((error = put_item(&b, h, i)) < 0)
			goto cleanup;
	if ((error = svd_outfile_write(&o, b.p, b.len)) < 0)
		goto cleanup;
	error = svd_outfile_commit(&o);
cleanup:
	svd_outfile_abort(&o);
	free(b.p);
	return error;
}

/* ----------------------------------------------------------------- making */

static int have_new(svd_have **out, const char *mirror, int format)
{
	svd_have *h;

	*out = NULL;
	if (!mirror || !is_lower_hex(mirror, SVD_MIRROR_ID_LEN))
		return svd_error_set(SVD_EINVALID,
		                     "a have-file's mirror must be %d lowercase hex digits",
		                     SVD_MIRROR_ID_LEN);
	if (!(h = calloc(1, sizeof(*h))))
		return svd_error_set(SVD_ERROR, "out of memory");
	memcpy(h->mirror, mirror, SVD_MIRROR_ID_LEN + 1);
	h->format = format;
	*out = h;
	return 0;
}

static int bad_id(size_t i)
{
	return svd_error_set(
	    SVD_EINVALID, "id %zu of a have-file: not an item id (64 lowercase hex digits)", i + 1);
}

/* A new set of format for up to n ids, its ids' room made (and, in format 2, the offsets'). */
static int have_sized(svd_have **out, const char *mirror, int format, size_t n)
{
	int error;

	*out = NULL;
	if (n > SVD_HAVE_MAX_IDS)
		return svd_error_set(SVD_ETOOBIG, "%zu ids, over the have-file limit of %d", n,
		                     SVD_HAVE_MAX_IDS);
	if ((error = have_new(out, mirror, format)) < 0)
		return error;
	if (!((*out)->ids = malloc(n ? n * 32 : 1)) ||
	    (format == 2 && !((*out)->off = malloc((n + 1) * sizeof(*(*out)->off))))) {
		svd_have_free(*out);
		*out = NULL;
		return svd_error_set(SVD_ERROR, "out of memory");
	}
	return 0;
}

int svd_have_from_ids(svd_have **out, const char *mirror, const char *const *ids, size_t n)
{
	svd_have *h = NULL;
	size_t i, k;
	int error = SVD_ERROR;

	*out = NULL;
	if ((error = have_sized(&h, mirror, 1, n)) < 0)
		return error;
	for (i = 0; i < n; i++) {
		if (!ids[i] || !is_lower_hex(ids[i], SVD_ID_HEX_LEN)) {
			error = bad_id(i);
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

/* An item of svd_have_from_items, its id decoded, for sorting. */
typedef struct ord {
	uint8_t id[32];
	size_t i;
} ord;

static int ord_cmp(const void *a, const void *b)
{
	const ord *x = a, *y = b;
	int c = memcmp(x->id, y->id, 32);

	return c ? c : x->i < y->i ? -1 : x->i > y->i;
}

/* The index of key v in h's table (which holds it). */
static uint32_t key_index(const svd_have *h, uint64_t v)
{
	const uint64_t *p = bsearch(&v, h->keys, h->nkeys, sizeof(*h->keys), u64_cmp);

	return (uint32_t)(p - h->keys);
}

int svd_have_from_items(svd_have **out, const char *mirror, const svd_have_item *items, size_t n)
{
	svd_have *h = NULL;
	ord *o = NULL;
	uint32_t *run = NULL;
	size_t i, j, k, total = 0;
	int error = SVD_ERROR;

	*out = NULL;
	if ((error = have_new(&h, mirror, 2)) < 0)
		return error;
	if (n > SVD_HAVE_MAX_IDS) {
		error = svd_error_set(SVD_ETOOBIG, "%zu ids, over the have-file limit of %d", n,
		                      SVD_HAVE_MAX_IDS);
		goto cleanup;
	}
	for (i = 0; i < n; i++) {
		if (items[i].nkeys > SVD_HAVE_MAX_REFS - total) {
			error = svd_error_set(SVD_ETOOBIG,
			                      "over %d signatures in all, the have-file limit",
			                      SVD_HAVE_MAX_REFS);
			goto cleanup;
		}
		total += items[i].nkeys;
	}
	if (!(o = malloc((n ? n : 1) * sizeof(*o))) ||
	    !(h->keys = malloc((total ? total : 1) * sizeof(*h->keys))) ||
	    !(h->ids = malloc(n ? n * 32 : 1)) || !(h->off = malloc((n + 1) * sizeof(*h->off))) ||
	    !(h->refs = malloc((total ? total : 1) * sizeof(*h->refs))) ||
	    !(run = malloc((total ? total : 1) * sizeof(*run)))) {
		error = svd_error_set(SVD_ERROR, "out of memory");
		goto cleanup;
	}
	/* every id and key id checked; the table: every key id, sorted, unique */
	for (i = 0; i < n; i++) {
		if (!items[i].id || !is_lower_hex(items[i].id, SVD_ID_HEX_LEN)) {
			error = bad_id(i);
			goto cleanup;
		}
		svd_hex_decode(o[i].id, 32, items[i].id);
		o[i].i = i;
		for (k = 0; k < items[i].nkeys; k++)
			if (keyid_parse(&h->keys[h->nkeys++], items[i].keyids[k]) < 0) {
				error =
				    svd_error_set(SVD_EINVALID,
				                  "item %s of a have-file: key id %zu is not 16 "
				                  "uppercase hex digits",
				                  items[i].id, k + 1);
				goto cleanup;
			}
	}
	if (h->nkeys)
		qsort(h->keys, h->nkeys, sizeof(*h->keys), u64_cmp);
	for (i = k = 0; i < h->nkeys; i++)
		if (!k || h->keys[k - 1] != h->keys[i])
			h->keys[k++] = h->keys[i];
	h->nkeys = k;
	if (h->nkeys > SVD_HAVE_MAX_KEYS) {
		error = svd_error_set(SVD_ETOOBIG, "%zu key ids, over the have-file limit of %d",
		                      h->nkeys, SVD_HAVE_MAX_KEYS);
		goto cleanup;
	}
	/* the items in id order; one id given twice is one item with the keys of both */
	if (n)
		qsort(o, n, sizeof(*o), ord_cmp);
	for (i = 0; i < n; i = j) {
		size_t nrun = 0;
		for (j = i; j < n && !memcmp(o[j].id, o[i].id, 32); j++) {
			const svd_have_item *it = &items[o[j].i];
			for (k = 0; k < it->nkeys; k++) {
				uint64_t v;
				keyid_parse(&v, it->keyids[k]);
				run[nrun++] = key_index(h, v);
			}
		}
		if (nrun)
			qsort(run, nrun, sizeof(*run), u32_cmp);
		memcpy(h->ids + h->n * 32, o[i].id, 32);
		h->off[h->n] = (uint32_t)h->nrefs;
		for (k = 0; k < nrun; k++)
			if (!k || run[k] != run[k - 1])
				h->refs[h->nrefs++] = run[k];
		if (h->nrefs - h->off[h->n] > SVD_HAVE_MAX_ITEM_KEYS) {
			error = svd_error_set(SVD_ETOOBIG,
			                      "item %s: signatures by %zu keys, over the have-file "
			                      "limit of %d",
			                      items[o[i].i].id, h->nrefs - h->off[h->n],
			                      SVD_HAVE_MAX_ITEM_KEYS);
			goto cleanup;
		}
		h->n++;
	}
	h->off[h->n] = (uint32_t)h->nrefs;
	*out = h;
	h = NULL;
	error = 0;
cleanup:
	free(o);
	free(run);
	svd_have_free(h);
	return error;
}

int svd_have_from_sorted(svd_have **out, const char *mirror, size_t n, svd_have_item_fn next,
                         void *payload)
{
	svd_have *h = NULL;
	uint64_t *vals = NULL; /* every item's key numbers, until the table is known */
	size_t i, k, cap = 0, tcap = 0;
	int error;

	*out = NULL;
	if ((error = have_sized(&h, mirror, 2, n)) < 0)
		return error;
	for (i = 0; i < n; i++) {
		svd_have_item it = {0};
		size_t first = h->nrefs, m;
		if ((error = next(&it, i, payload)) < 0)
			goto cleanup;
		if (!it.id || !is_lower_hex(it.id, SVD_ID_HEX_LEN)) {
			error = bad_id(i);
			goto cleanup;
		}
		svd_hex_decode(h->ids + i * 32, 32, it.id);
		if (i && memcmp(h->ids + (i - 1) * 32, h->ids + i * 32, 32) >= 0) {
			error = svd_error_set(SVD_EINVALID, "item %s: not after the one before it",
			                      it.id);
			goto cleanup;
		}
		if (it.nkeys > SVD_HAVE_MAX_REFS - h->nrefs) {
			error = svd_error_set(SVD_ETOOBIG,
			                      "over %d signatures in all, the have-file limit",
			                      SVD_HAVE_MAX_REFS);
			goto cleanup;
		}
		if ((error = svd_grow(&vals, &cap, h->nrefs + it.nkeys, sizeof(*vals), 4096)) < 0)
			goto cleanup;
		for (k = 0; k < it.nkeys; k++)
			if (keyid_parse(&vals[h->nrefs + k], it.keyids[k]) < 0) {
				error =
				    svd_error_set(SVD_EINVALID,
				                  "item %s of a have-file: key id %zu is not 16 "
				                  "uppercase hex digits",
				                  it.id, k + 1);
				goto cleanup;
			}
		/* this item's keys sorted, each once */
		qsort(vals + first, it.nkeys, sizeof(*vals), u64_cmp);
		for (k = m = 0; k < it.nkeys; k++)
			if (!m || vals[first + m - 1] != vals[first + k])
				vals[first + m++] = vals[first + k];
		if (m > SVD_HAVE_MAX_ITEM_KEYS) {
			error = svd_error_set(SVD_ETOOBIG,
			                      "item %s: signatures by %zu keys, over the have-file "
			                      "limit of %d",
			                      it.id, m, SVD_HAVE_MAX_ITEM_KEYS);
			goto cleanup;
		}
		/* the table: each key number once, kept sorted (a few editors' keys) */
		for (k = 0; k < m; k++) {
			uint64_t v = vals[first + k];
			size_t lo = 0, hi = h->nkeys;
			while (lo < hi) {
				size_t mid = lo + (hi - lo) / 2;
				if (h->keys[mid] < v)
					lo = mid + 1;
				else
					hi = mid;
			}
			if (lo < h->nkeys && h->keys[lo] == v)
				continue;
			if (h->nkeys == SVD_HAVE_MAX_KEYS) {
				error = svd_error_set(SVD_ETOOBIG,
				                      "over %d key ids, the have-file limit",
				                      SVD_HAVE_MAX_KEYS);
				goto cleanup;
			}
			if ((error =
			         svd_grow(&h->keys, &tcap, h->nkeys + 1, sizeof(*h->keys), 16)) < 0)
				goto cleanup;
			memmove(h->keys + lo + 1, h->keys + lo, (h->nkeys - lo) * sizeof(*h->keys));
			h->keys[lo] = v;
			h->nkeys++;
		}
		h->off[i] = (uint32_t)first;
		h->nrefs = first + m;
	}
	h->n = n;
	h->off[n] = (uint32_t)h->nrefs;
	/* the key numbers as indexes of the table, ascending within an item as the numbers were */
	if (!(h->refs = malloc((h->nrefs ? h->nrefs : 1) * sizeof(*h->refs)))) {
		error = svd_error_set(SVD_ERROR, "out of memory");
		goto cleanup;
	}
	for (k = 0; k < h->nrefs; k++)
		h->refs[k] = key_index(h, vals[k]);
	*out = h;
	h = NULL;
	error = 0;
cleanup:
	free(vals);
	svd_have_free(h);
	return error;
}

/*
 * Merge two sorted lists of indexes through maps into a new table (both
 * maps ascending): the union, ascending, into out; how many.
 */
static size_t merge_refs(uint32_t *out, const uint32_t *a, size_t na, const uint32_t *amap,
                         const uint32_t *b, size_t nb, const uint32_t *bmap)
{
	size_t i = 0, j = 0, k = 0;

	while (i < na || j < nb) {
		uint32_t x = i < na ? amap[a[i]] : UINT32_MAX, y = j < nb ? bmap[b[j]] : UINT32_MAX;
		out[k++] = x < y ? x : y;
		i += x <= y;
		j += y <= x;
	}
	return k;
}

int svd_have_merge(svd_have *h, const svd_have *from)
{
	uint8_t *ids = NULL;
	uint64_t *keys = NULL;
	uint32_t *amap = NULL, *bmap = NULL, *off = NULL, *refs = NULL;
	size_t i = 0, j = 0, k = 0, nkeys = 0, nrefs = 0;
	int two = h->format == 2, error = SVD_ERROR;
	size_t bkeys = two && from ? from->nkeys : 0, brefs = two && from ? from->nrefs : 0;

	if (!from || from->n == 0)
		return 0;
	if (h->n > SIZE_MAX / 32 - from->n || !(ids = malloc((h->n + from->n) * 32 + 1)) ||
	    (two && (!(keys = malloc((h->nkeys + bkeys + 1) * sizeof(*keys))) ||
	             !(amap = malloc((h->nkeys + 1) * sizeof(*amap))) ||
	             !(bmap = malloc((bkeys + 1) * sizeof(*bmap))) ||
	             !(off = malloc((h->n + from->n + 1) * sizeof(*off))) ||
	             !(refs = malloc((h->nrefs + brefs + 1) * sizeof(*refs)))))) {
		error = svd_error_set(SVD_ERROR, "out of memory");
		goto cleanup;
	}
	/* the new table, and where each old index goes in it */
	while (two && (i < h->nkeys || j < bkeys)) {
		int c = i == h->nkeys ? 1 : j == bkeys ? -1 : u64_cmp(&h->keys[i], &from->keys[j]);
		keys[nkeys] = c <= 0 ? h->keys[i] : from->keys[j];
		if (c <= 0)
			amap[i++] = (uint32_t)nkeys;
		if (c >= 0)
			bmap[j++] = (uint32_t)nkeys;
		nkeys++;
	}
	if (nkeys > SVD_HAVE_MAX_KEYS) {
		error = svd_error_set(SVD_ETOOBIG, "%zu key ids, over the have-file limit of %d",
		                      nkeys, SVD_HAVE_MAX_KEYS);
		goto cleanup;
	}
	/* both sorted and unique: one pass; an item in both gets the keys of both */
	for (i = j = 0; i < h->n || j < from->n; k++) {
		int c = i == h->n      ? 1
		        : j == from->n ? -1
		                       : memcmp(h->ids + i * 32, from->ids + j * 32, 32);
		memcpy(ids + k * 32, c <= 0 ? h->ids + i * 32 : from->ids + j * 32, 32);
		if (two) {
			const uint32_t *a = c <= 0 ? h->refs + h->off[i] : NULL;
			size_t na = c <= 0 ? h->off[i + 1] - h->off[i] : 0;
			int fb = c >= 0 && from->format == 2;
			const uint32_t *b = fb ? from->refs + from->off[j] : NULL;
			size_t nb = fb ? from->off[j + 1] - from->off[j] : 0;
			off[k] = (uint32_t)nrefs;
			nrefs += merge_refs(refs + nrefs, a, na, amap, b, nb, bmap);
			if (nrefs - off[k] > SVD_HAVE_MAX_ITEM_KEYS) {
				error =
				    svd_error_set(SVD_ETOOBIG,
				                  "an item signed by over %d keys, the have-file "
				                  "limit",
				                  SVD_HAVE_MAX_ITEM_KEYS);
				goto cleanup;
			}
		}
		i += c <= 0;
		j += c >= 0;
	}
	if (k > SVD_HAVE_MAX_IDS) {
		error = svd_error_set(SVD_ETOOBIG, "%zu ids, over the have-file limit of %d", k,
		                      SVD_HAVE_MAX_IDS);
		goto cleanup;
	}
	if (two) {
		off[k] = (uint32_t)nrefs;
		free(h->keys);
		free(h->off);
		free(h->refs);
		h->keys = keys;
		h->nkeys = nkeys;
		h->off = off;
		h->refs = refs;
		h->nrefs = nrefs;
		keys = NULL;
		off = refs = NULL;
	}
	free(h->ids);
	h->ids = ids;
	h->n = k;
	ids = NULL;
	error = 0;
cleanup:
	free(ids);
	free(keys);
	free(amap);
	free(bmap);
	free(off);
	free(refs);
	return error;
}

/* ----------------------------------------------------------------- reading */

/* Reads a have-file line by line, each capped. */
typedef struct line_reader {
	int fd;
	svd_unsealer *unsealer; /* a sealed have-file's plaintext, read through it; or NULL */
	uint64_t off;           /* the next plaintext byte, when sealed */
	uint8_t buf[65536];
	size_t pos, len;
	int eof;
} line_reader;

/*
 * The next line without its LF, in line (NUL-terminated; room for max + 1
 * bytes). Returns 1 for a line, 0 at the end, -1 for a line of max bytes or
 * more, LF included, or one without its LF, -2 for a read error.
 */
static int next_line(line_reader *r, char *line, size_t max, size_t *len)
{
	size_t n = 0;

	for (;;) {
		uint8_t *nl;
		size_t take;
		if (r->pos == r->len) {
			ssize_t got;
			if (r->eof)
				return n ? -1 : 0;
			got = r->unsealer
			          ? svd_unseal_pread(r->unsealer, r->buf, sizeof(r->buf), r->off)
			          : read(r->fd, r->buf, sizeof(r->buf));
			if (got > 0)
				r->off += (uint64_t)got;
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
		if (n + take >= max)
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

/* A decimal number: digits only, no leading zero, at most max. */
static int parse_count(size_t *out, const char *s, size_t max)
{
	size_t v = 0, len = strlen(s), i;

	if (len == 0 || len > 9 || strspn(s, "0123456789") != len || (s[0] == '0' && len > 1))
		return -1;
	for (i = 0; i < len; i++)
		v = v * 10 + (size_t)(s[i] - '0');
	if (v > max)
		return -1;
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

/* What reading a have-file has found so far. */
typedef struct have_reader {
	const char *path;
	svd_have *h;
	size_t lineno, count, nkeys, capids, caprefs;
} have_reader;

static int corrupt(const have_reader *hr, const char *what)
{
	return svd_error_set(SVD_ECORRUPT, "%s: line %zu: %s", hr->path, hr->lineno, what);
}

/* A header line: "NAME VALUE", the value a count of at most max. */
static int header_count(have_reader *hr, const char *line, const char *name, size_t max,
                        size_t *out)
{
	size_t len = strlen(name);
	char what[128];

	if (strncmp(line, name, len) || line[len] != ' ' ||
	    parse_count(out, line + len + 1, SIZE_MAX) < 0) {
		snprintf(what, sizeof(what), "expected '%s' and a number", name);
		return corrupt(hr, what);
	}
	if (*out > max)
		return svd_error_set(SVD_ETOOBIG, "%s: line %zu: %zu %s, over the limit of %zu",
		                     hr->path, hr->lineno, *out, name, max);
	return 0;
}

/* A key line of the table: a key id, after the one before it. */
static int key_line(have_reader *hr, const char *line)
{
	svd_have *h = hr->h;
	uint64_t v;

	if (keyid_parse(&v, line) < 0)
		return corrupt(hr, "not a key id (16 uppercase hex digits)");
	if (h->nkeys > 0 && h->keys[h->nkeys - 1] >= v)
		return corrupt(hr, "key ids out of order or repeated (they must be sorted and "
		                   "unique)");
	h->keys[h->nkeys++] = v;
	return 0;
}

/* The indexes of an item's line (after its id and a space): "0,3,17", ascending. */
static int item_refs(have_reader *hr, const char *s)
{
	svd_have *h = hr->h;
	size_t first = h->nrefs;

	for (;;) {
		size_t len = strspn(s, "0123456789"), v;
		char num[16];
		if (len == 0 || len > 9)
			return corrupt(hr, "expected a key index (a decimal number)");
		memcpy(num, s, len);
		num[len] = '\0';
		if (parse_count(&v, num, SIZE_MAX) < 0 || v >= h->nkeys)
			return corrupt(hr, "a key index with a leading zero or past the key table");
		if (h->nrefs > first && h->refs[h->nrefs - 1] >= v)
			return corrupt(hr, "key indexes out of order or repeated (they must be "
			                   "ascending)");
		if (h->nrefs - first == SVD_HAVE_MAX_ITEM_KEYS)
			return svd_error_set(
			    SVD_ETOOBIG, "%s: line %zu: signatures by over %d keys for one item",
			    hr->path, hr->lineno, SVD_HAVE_MAX_ITEM_KEYS);
		if (h->nrefs == SVD_HAVE_MAX_REFS)
			return svd_error_set(SVD_ETOOBIG,
			                     "%s: line %zu: over %d signatures in all, the limit",
			                     hr->path, hr->lineno, SVD_HAVE_MAX_REFS);
		if (svd_grow(&h->refs, &hr->caprefs, h->nrefs + 1, sizeof(*h->refs), 4096) < 0)
			return SVD_ERROR;
		h->refs[h->nrefs++] = (uint32_t)v;
		s += len;
		if (!*s)
			return 0;
		if (*s != ',' || !s[1])
			return corrupt(hr, "key indexes are separated by one comma");
		s++;
	}
}

/* An item's line: its id after the one before it; in format 2, its key indexes. */
static int item_line(have_reader *hr, char *line)
{
	svd_have *h = hr->h;
	uint8_t *id;
	char *rest = NULL;
	int error;

	if (h->n == hr->count)
		return corrupt(hr, "more ids than the count");
	if (h->format == 2 && strlen(line) > SVD_ID_HEX_LEN && line[SVD_ID_HEX_LEN] == ' ') {
		line[SVD_ID_HEX_LEN] = '\0';
		rest = line + SVD_ID_HEX_LEN + 1;
	}
	if (!is_lower_hex(line, SVD_ID_HEX_LEN))
		return corrupt(hr, h->format == 2 ? "not an item id (64 lowercase hex digits), "
		                                    "then its key indexes"
		                                  : "not an item id (64 lowercase hex digits)");
	if (h->n == hr->capids) {
		size_t ncap = hr->capids ? hr->capids * 2 : 1024;
		uint8_t *p;
		uint32_t *q;
		if (ncap > hr->count)
			ncap = hr->count;
		if (!(p = realloc(h->ids, ncap * 32)))
			return svd_error_set(SVD_ERROR, "out of memory");
		h->ids = p;
		if (h->format == 2) {
			if (!(q = realloc(h->off, (ncap + 1) * sizeof(*q))))
				return svd_error_set(SVD_ERROR, "out of memory");
			h->off = q;
		}
		hr->capids = ncap;
	}
	id = h->ids + h->n * 32;
	svd_hex_decode(id, 32, line);
	if (h->n > 0 && memcmp(id - 32, id, 32) >= 0)
		return corrupt(hr, "ids out of order or repeated (they must be sorted and unique)");
	if (h->format == 2) {
		h->off[h->n] = (uint32_t)h->nrefs;
		if (rest && (error = item_refs(hr, rest)) < 0)
			return error;
	}
	h->n++;
	return 0;
}

/* One line of the header: which one is by its number (format 2 has a fifth). */
static int header_line(have_reader *hr, const char *line)
{
	svd_have *h = hr->h;
	int error;

	switch (hr->lineno) {
	case 1:
		if (!strcmp(line, HAVE_HEADER_1))
			h->format = 1;
		else if (!strcmp(line, HAVE_HEADER_2))
			h->format = 2;
		else
			return corrupt(hr,
			               "not a have-file (expected 'samvydav have 1' or "
			               "'samvydav have 2'; a newer format needs a newer samvydav)");
		return 0;
	case 2:
		if (strncmp(line, "mirror ", 7) || !is_lower_hex(line + 7, SVD_MIRROR_ID_LEN))
			return corrupt(hr, "expected 'mirror' and 32 lowercase hex digits");
		memcpy(h->mirror, line + 7, SVD_MIRROR_ID_LEN + 1);
		return 0;
	case 3:
		if (strncmp(line, "created ", 8) || check_created(line + 8) < 0)
			return corrupt(hr, "expected 'created' and a time YYYY-MM-DDTHH:MM:SSZ");
		memcpy(h->created, line + 8, SVD_TIME_LEN + 1);
		return 0;
	case 4:
		return header_count(hr, line, "count", SVD_HAVE_MAX_IDS, &hr->count);
	default:
		if ((error = header_count(hr, line, "keys", SVD_HAVE_MAX_KEYS, &hr->nkeys)) < 0)
			return error;
		if (!(h->keys = malloc((hr->nkeys ? hr->nkeys : 1) * sizeof(*h->keys))))
			return svd_error_set(SVD_ERROR, "out of memory");
		return 0;
	}
}

/*
 * A have-file that does not begin as a plain one does is tried as a sealed
 * one (SPEC.md, 12) with keys; opened, r reads its plaintext. A sealed
 * file that no key opens is refused here: a have-file is small, and one
 * that is not plain text is no have-file of this mirror's.
 */
static int open_sealed(line_reader *r, const char *path, const svd_seal_keys *keys, uint64_t size)
{
	static const char plain[] = "samvydav have ";
	char head[sizeof(plain) - 1];
	svd_seal_kind kind;
	ssize_t n;
	int error;

	if (!keys || size < SVD_SEAL_MIN_SIZE) /* too small to be sealed: read as plain text */
		return 0;
	n = pread(r->fd, head, sizeof(head), 0);
	if (n == (ssize_t)sizeof(head) && !memcmp(head, plain, sizeof(head)))
		return 0;
	error = svd_unseal_open(&r->unsealer, r->fd, size, keys, &kind);
	if (error == SVD_ENOKEY)
		return svd_error_set(
		    SVD_ENOKEY,
		    "%s: not a plain have-file, and no key of this mirror%s opens "
		    "it: it is sealed for other mirrors or %s passphrase, both copies of its "
		    "header "
		    "are damaged, or it is not a have-file",
		    path, svd_seal_keys_passphrase_count(keys) ? " nor the passphrase" : "",
		    svd_seal_keys_passphrase_count(keys) ? "another" : "a");
	if (error < 0)
		return svd_error_set(error, "%s: %s", path, svd_error_last());
	if (kind != SVD_SEAL_HAVE)
		return svd_error_set(SVD_EINVALID, "%s: %s, not a have-file", path,
		                     kind == SVD_SEAL_BUNDLE
		                         ? "a sealed bundle"
		                         : "a sealed file whose writing never finished (nothing "
		                           "in it can be read; it may be deleted)");
	return 0;
}

int svd_have_read(svd_have **out, const char *path)
{
	return svd_have_read_sealed(out, path, NULL);
}

int svd_have_read_sealed(svd_have **out, const char *path, const svd_seal_keys *keys)
{
	line_reader *r = NULL;
	have_reader hr = {0};
	char *line = NULL;
	size_t len = 0, header = 4;
	int got, error = SVD_ECORRUPT;
	struct stat st;

	*out = NULL;
	hr.path = path;
	if (!(r = malloc(sizeof(*r))) || !(hr.h = calloc(1, sizeof(*hr.h))) ||
	    !(line = malloc(HAVE2_LINE_MAX + 1))) {
		free(r);
		free(hr.h);
		return svd_error_set(SVD_ERROR, "out of memory");
	}
	r->pos = r->len = 0;
	r->eof = 0;
	r->unsealer = NULL;
	r->off = 0;
	/* a link, a FIFO (which must not hang), a device: refused unread */
	if ((error = svd_file_open_regular(&r->fd, &st, path, 1)) < 0)
		goto cleanup;
	if ((error = open_sealed(r, path, keys, (uint64_t)st.st_size)) < 0)
		goto cleanup;
	error = SVD_ECORRUPT;
	for (;;) {
		/* format 1 keeps its short lines; the first line decides */
		got = next_line(r, line, hr.h->format == 2 ? HAVE2_LINE_MAX : HAVE_LINE_MAX, &len);
		if (got == -2) {
			error =
			    svd_error_set(SVD_ERROR, "%s: cannot read: %s", path, strerror(errno));
			goto cleanup;
		}
		hr.lineno++;
		if (got == -1) {
			svd_error_set(SVD_ECORRUPT,
			              "%s: line %zu: too long or without its end of line (a "
			              "have-file holds short lines, each ending in LF)",
			              path, hr.lineno);
			goto cleanup;
		}
		if (got == 0)
			break;
		if (memchr(line, '\0', len)) {
			error = corrupt(&hr, "a NUL byte");
			goto cleanup;
		}
		if (hr.lineno <= header) {
			if ((error = header_line(&hr, line)) < 0)
				goto cleanup;
			if (hr.lineno == 1 && hr.h->format == 2)
				header = 5;
			error = SVD_ECORRUPT;
		} else if (hr.lineno <= header + hr.nkeys) {
			if ((error = key_line(&hr, line)) < 0)
				goto cleanup;
			error = SVD_ECORRUPT;
		} else if ((error = item_line(&hr, line)) < 0) {
			goto cleanup;
		} else {
			error = SVD_ECORRUPT;
		}
	}
	if (hr.lineno <= header + hr.nkeys) {
		error = corrupt(&hr, hr.lineno <= header ? "the have-file ends in its header"
		                                         : "the have-file ends in its key table");
		goto cleanup;
	}
	if (hr.h->n != hr.count) {
		error = svd_error_set(SVD_ECORRUPT, "%s: line %zu: %zu ids, but the count says %zu",
		                      path, hr.lineno, hr.h->n, hr.count);
		goto cleanup;
	}
	if (hr.h->format == 2) {
		uint32_t *q = realloc(hr.h->off, (hr.h->n + 1) * sizeof(*q));
		if (!q) {
			error = svd_error_set(SVD_ERROR, "out of memory");
			goto cleanup;
		}
		hr.h->off = q;
		hr.h->off[hr.h->n] = (uint32_t)hr.h->nrefs;
	}
	*out = hr.h;
	hr.h = NULL;
	error = 0;
cleanup:
	if (r->unsealer && svd_unseal_damaged_chunks(r->unsealer) && error == 0) {
		/* zeros where a chunk was damaged cannot parse; this is belt and braces */
		svd_have_free(*out);
		*out = NULL;
		error = svd_error_set(SVD_ECORRUPT, "%s: the sealed have-file is damaged", path);
	}
	svd_unseal_free(r->unsealer);
	if (r->fd >= 0)
		close(r->fd);
	free(r);
	free(line);
	svd_have_free(hr.h);
	return error;
}

/* ----------------------------------------------------------------- asking */

size_t svd_have_count(const svd_have *h)
{
	return h ? h->n : 0;
}

int svd_have_format(const svd_have *h)
{
	return h ? h->format : 0;
}

const char *svd_have_mirror(const svd_have *h)
{
	return h ? h->mirror : "";
}

/* The index of an id (64 hex digits) in h, or -1. */
static long find(const svd_have *h, const char *id)
{
	uint8_t raw[32];
	const uint8_t *p;

	if (!h || h->n == 0 || !id || strlen(id) != SVD_ID_HEX_LEN ||
	    svd_hex_decode(raw, 32, id) < 0)
		return -1;
	p = bsearch(raw, h->ids, h->n, 32, id_cmp);
	return p ? (long)((p - h->ids) / 32) : -1;
}

int svd_have_contains(const svd_have *h, const char *id)
{
	return find(h, id) >= 0;
}

size_t svd_have_key_count(const svd_have *h, const char *id)
{
	long i = h && h->format == 2 ? find(h, id) : -1;

	return i < 0 ? 0 : h->off[i + 1] - h->off[i];
}

int svd_have_key(const svd_have *h, const char *id, size_t k, char out[17])
{
	long i = h && h->format == 2 ? find(h, id) : -1;

	if (i < 0 || k >= h->off[i + 1] - h->off[i])
		return SVD_ENOTFOUND;
	keyid_text(out, h->keys[h->refs[h->off[i] + k]]);
	return 0;
}

int svd_have_signed(const svd_have *h, const char *id, const char *keyid)
{
	long i = h && h->format == 2 ? find(h, id) : -1;
	uint64_t v;
	uint32_t k;
	const uint64_t *p;

	if (i < 0 || keyid_parse(&v, keyid) < 0 ||
	    !(p = bsearch(&v, h->keys, h->nkeys, sizeof(*h->keys), u64_cmp)))
		return 0;
	k = (uint32_t)(p - h->keys);
	return bsearch(&k, h->refs + h->off[i], h->off[i + 1] - h->off[i], sizeof(k), u32_cmp) !=
	       NULL;
}

void svd_have_free(svd_have *h)
{
	if (!h)
		return;
	free(h->ids);
	free(h->keys);
	free(h->off);
	free(h->refs);
	free(h);
}
