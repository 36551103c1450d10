/*
 * site_file.c: ARCHIVE/cache/site, the catalog the mirror's pages were
 * last built from (SPEC.md, 7.3), so that the next build runs the gate
 * only on the items whose folders changed since, and reads no body of the
 * others. Derived data: a file that is missing, for another trust list, or
 * damaged in any way is ignored and made again; nothing is taken from it
 * for an item whose folder in main is not the one it names, and no verdict
 * is taken on trust: site.c checks each carried item's signatures in the
 * store again (svd_site_file_agrees), since anyone can make the checksum
 * add up.
 *
 * The file, all integers little-endian:
 *
 *   "svdsite2"                      8 bytes
 *   check level                     1 byte: 1, every payload byte hashed
 *   trust                           32 bytes: BLAKE2b-256 of the trusted keys
 *   commit                          20 bytes: the commit the records are of
 *   time                            8 bytes: its time, seconds since the epoch
 *   words                           4 bytes: how many
 *   count                           4 bytes: how many records
 *   the words (the catalog's search tokens), each: length 1 (1 to 255) +
 *     bytes (UTF-8, no NUL, each word once)
 *   count records, in id order, each once:
 *     id 32, folder (git tree id) 20, passed 1 (0 the gate refused it: nothing
 *     follows; 1 it passed: its entry follows)
 *     entry: flags 1 (1 ok, 2 sound), links 1 (0 to 2),
 *       manifest: length 4 (1 to SVD_MANIFEST_MAX) + bytes,
 *       signatures: count 1, each: key id length 1 (1 to 255) + bytes
 *         (UTF-8 with no control character, as the problems and dropped files),
 *         status 1 (svd_sig_status), verified 1 (0 or 1), key 32 when verified,
 *       problems: count 2, each length 2 + bytes ("file: check: message"),
 *       dropped files: count 2, each length 2 + bytes ("file: message"),
 *       words: count 4, then the item's word indexes in ascending order,
 *         each as LEB128 (at most 5 bytes) of its distance from the one
 *         before less one (the first: the index itself); every index below
 *         the number of words. Ascending, each is once per item by
 *         construction, and the load checks it without touching the words.
 *   BLAKE2b-256 of everything before it  32 bytes
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "samvydav/manifest.h"
#include "library_paths.h"
#include "site_file.h"
#include "store_items.h"
#include "util.h"

#define MAGIC    "svdsite2"
#define OLD      "svdsite1" /* each item's word indexes as they came, not ascending */
#define LEVEL    1
#define HEAD_LEN (8 + 1 + 32 + 20 + 8 + 4 + 4)
#define SUM_LEN  32
#define REC_MIN  (32 + 20 + 1)
#define TEXT_MAX 65535u /* bytes of a problem; a longer one is cut when written */
#define LIST_MAX 65535u /* problems or dropped files of one item */
#define SIGS_MAX 255u

typedef svd_rd rd;

struct svd_site_file {
	const uint8_t *data; /* the file's bytes (borrowed) */
	size_t len;
	char commit[41];
	int64_t time;
	uint32_t nwords, count, next;
	size_t total;            /* words of all entries: room made for them at once */
	rd words;                /* where the words start */
	svd_site_file_rec *recs; /* every record, as svd_site_file_parse() read it */
	size_t cap;
};

static uint32_t le32(const uint8_t *b)
{
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static unsigned le16(const uint8_t *b)
{
	return (unsigned)b[0] | (unsigned)b[1] << 8;
}

/* A length-prefixed text (lenbytes 1 or 2): at least min bytes, no NUL. */
static int skip_text(rd *r, size_t lenbytes, size_t min, const uint8_t **s, size_t *n)
{
	const uint8_t *b;

	if (svd_rd_take(r, &b, lenbytes) < 0)
		return -1;
	*n = lenbytes == 1 ? b[0] : le16(b);
	if (*n < min || svd_rd_take(r, s, *n) < 0 || memchr(*s, 0, *n))
		return -1;
	return 0;
}

/* A text as skip_text, and also UTF-8 with no control character (a key id, a problem). */
static int skip_clean(rd *r, size_t lenbytes, size_t min, const uint8_t **s, size_t *n)
{
	if (skip_text(r, lenbytes, min, s, n) < 0 || !svd_utf8_valid((const char *)*s, *n) ||
	    svd_utf8_control_at((const char *)*s, *n) >= 0)
		return -1;
	return 0;
}

/*
 * The next of an item's word indexes (at most 5 bytes of LEB128): the
 * distance from *at, the one before, less one (*first: the index itself);
 * below limit.
 */
static int read_index(rd *r, uint32_t *at, int *first, uint32_t limit)
{
	uint64_t v = 0;
	const uint8_t *b;
	unsigned shift;

	for (shift = 0; shift < 35; shift += 7) {
		if (svd_rd_take(r, &b, 1) < 0)
			return -1;
		v |= (uint64_t)(b[0] & 0x7f) << shift;
		if (!(b[0] & 0x80)) {
			if (!*first)
				v += (uint64_t)*at + 1;
			if (v >= limit)
				return -1;
			*at = (uint32_t)v;
			*first = 0;
			return 0;
		}
	}
	return -1;
}

/* An entry's layout, every length and index checked; *nw: how many words it has. */
static int walk_entry(rd *r, uint32_t nwords, size_t *nw)
{
	const uint8_t *b, *s;
	size_t n, k, i;
	uint32_t count, w = 0;
	int first = 1;

	if (svd_rd_take(r, &b, 2) < 0 || (b[0] & ~3u) || b[1] > SVD_LINKS_NONE)
		return -1;
	if (svd_rd_take(r, &b, 4) < 0 || (n = le32(b)) == 0 || n > SVD_MANIFEST_MAX ||
	    svd_rd_take(r, &s, n) < 0)
		return -1;
	if (svd_rd_take(r, &b, 1) < 0)
		return -1;
	for (k = b[0]; k > 0; k--) {
		if (skip_clean(r, 1, 1, &s, &n) < 0 || svd_rd_take(r, &b, 2) < 0 ||
		    b[0] > SVD_SIG_UNCHECKED || b[1] > 1 || (b[1] && svd_rd_take(r, &s, 32) < 0))
			return -1;
	}
	for (i = 0; i < 2; i++) {
		if (svd_rd_take(r, &b, 2) < 0)
			return -1;
		for (k = le16(b); k > 0; k--)
			if (skip_clean(r, 2, 0, &s, &n) < 0)
				return -1;
	}
	if (svd_rd_take(r, &b, 4) < 0 || (count = le32(b)) > r->left)
		return -1;
	for (k = 0; k < count; k++)
		if (read_index(r, &w, &first, nwords) < 0)
			return -1;
	*nw = count;
	return 0;
}

/* One record at r into rec; -1 when it does not parse. prev: the id before (32 bytes) or NULL. */
static int read_record(svd_site_file_rec *rec, rd *r, uint32_t nwords, const uint8_t *prev,
                       size_t *total)
{
	const uint8_t *b, *start;
	size_t nw;

	memset(rec, 0, sizeof(*rec));
	if (svd_rd_take(r, &b, REC_MIN) < 0 || b[52] > 1)
		return -1;
	if (prev && memcmp(prev, b, 32) >= 0)
		return -1; /* in id order, each id once */
	svd_hex_encode(rec->id, b, 32);
	rec->tree = b + 32;
	rec->passed = b[52];
	if (!rec->passed)
		return 0;
	start = r->p;
	if (walk_entry(r, nwords, &nw) < 0)
		return -1;
	*total += nw;
	rec->entry = start;
	rec->entry_len = (size_t)(r->p - start);
	return 0;
}

int svd_site_file_parse(svd_site_file **out, const uint8_t *data, size_t len,
                        const uint8_t trust[32])
{
	uint8_t sum[SUM_LEN];
	svd_site_file *sc = NULL;
	const uint8_t *prev = NULL, *b, *s;
	uint64_t t = 0;
	uint32_t i;
	size_t n;
	rd r;

	*out = NULL;
	if (len < HEAD_LEN + SUM_LEN || len > SVD_SITE_FILE_MAX)
		return svd_error_set(SVD_ECORRUPT, "the site's catalog file has a wrong size");
	crypto_generichash(sum, SUM_LEN, data, len - SUM_LEN, NULL, 0);
	if (sodium_memcmp(sum, data + len - SUM_LEN, SUM_LEN) != 0)
		return svd_error_set(SVD_ECORRUPT,
		                     "the site's catalog file's checksum does not match");
	if (memcmp(data, OLD, 8) == 0)
		return svd_error_set(SVD_ENOTFOUND,
		                     "the site's catalog file is of an older samvydavd (" OLD ")");
	if (memcmp(data, MAGIC, 8) != 0 || data[8] != LEVEL)
		return svd_error_set(SVD_ECORRUPT,
		                     "the site's catalog file does not start with " MAGIC
		                     " and level 1");
	if (sodium_memcmp(data + 9, trust, 32) != 0)
		return svd_error_set(SVD_ENOTFOUND,
		                     "the site's catalog file is for another trust list");
	if (!(sc = calloc(1, sizeof(*sc))))
		return svd_error_set(SVD_ERROR, "out of memory reading the site's catalog file");
	sc->data = data;
	sc->len = len;
	svd_hex_encode(sc->commit, data + 41, 20);
	for (i = 0; i < 8; i++)
		t |= (uint64_t)data[61 + i] << (8 * i);
	sc->time = (int64_t)t;
	sc->nwords = le32(data + 69);
	sc->count = le32(data + 73);
	r.p = data + HEAD_LEN;
	r.left = len - HEAD_LEN - SUM_LEN;
	/* every word and record is checked before the first is used: whole or ignored */
	if (sc->nwords > r.left / 2 || sc->count > r.left / REC_MIN)
		goto corrupt;
	sc->words = r;
	for (i = 0; i < sc->nwords; i++)
		if (skip_text(&r, 1, 1, &s, &n) < 0 || !svd_utf8_valid((const char *)s, n))
			goto corrupt;
	for (i = 0; i < sc->count; i++) {
		b = r.p;
		/* grown as records parse: a count that lies costs nothing */
		if (svd_grow(&sc->recs, &sc->cap, (size_t)i + 1, sizeof(*sc->recs), 1024) < 0) {
			svd_site_file_free(sc);
			return -1;
		}
		if (read_record(&sc->recs[i], &r, sc->nwords, prev, &sc->total) < 0) {
			svd_site_file_free(sc);
			return svd_error_set(SVD_ECORRUPT,
			                     "the site's catalog file's record %u does not parse",
			                     (unsigned)i + 1);
		}
		prev = b;
	}
	if (r.left != 0)
		goto corrupt;
	*out = sc;
	return 0;
corrupt:
	svd_site_file_free(sc);
	return svd_error_set(SVD_ECORRUPT,
	                     "the site's catalog file's words or records do not add up");
}

const char *svd_site_file_commit(const svd_site_file *sc)
{
	return sc->commit;
}

int64_t svd_site_file_time(const svd_site_file *sc)
{
	return sc->time;
}

size_t svd_site_file_count(const svd_site_file *sc)
{
	return sc ? sc->count : 0;
}

void svd_site_file_free(svd_site_file *sc)
{
	if (sc)
		free(sc->recs);
	free(sc);
}

int svd_site_file_words(svd_catalog *c, const svd_site_file *sc)
{
	rd r = sc->words;
	const uint8_t *s;
	uint32_t i;
	size_t n;
	long t;

	if (svd_catalog_reserve_words(c, sc->total) < 0)
		return -1;
	for (i = 0; i < sc->nwords; i++) {
		if (skip_text(&r, 1, 1, &s, &n) < 0)
			return svd_error_set(SVD_ECORRUPT, "the site's catalog file changed");
		if ((t = svd_catalog_token(c, (const char *)s, n, 0)) != -2)
			return t == -1
			           ? -1
			           : svd_error_set(SVD_ECORRUPT,
			                           "the site's catalog file holds a word twice");
		if ((t = svd_catalog_token(c, (const char *)s, n, 1)) < 0)
			return svd_error_set(SVD_ERROR, "out of memory reading the site's catalog");
		if ((uint32_t)t != i)
			return svd_error_set(SVD_EINVALID,
			                     "the catalog held words before the file's");
	}
	return 0;
}

int svd_site_file_next(svd_site_file *sc, svd_site_file_rec *rec)
{
	if (!sc || sc->next >= sc->count)
		return 0;
	*rec = sc->recs[sc->next++]; /* as svd_site_file_parse() read and checked it */
	return 1;
}

/* A text of n bytes as a string of its own; NULL without memory. */
static char *dup_text(const uint8_t *s, size_t n)
{
	char *t = malloc(n + 1);

	if (t) {
		memcpy(t, s, n);
		t[n] = '\0';
	}
	return t;
}

int svd_site_file_manifest(svd_manifest **out, const svd_site_file_rec *rec)
{
	*out = NULL;
	if (!rec->passed || rec->entry_len < 6 || le32(rec->entry + 2) > rec->entry_len - 6)
		return svd_error_set(SVD_ECORRUPT, "the site's catalog file: no manifest here");
	return svd_manifest_parse(out, (const char *)rec->entry + 6, le32(rec->entry + 2));
}

int svd_site_file_add(svd_catalog *c, const svd_site_file_rec *rec, svd_manifest *m)
{
	rd r = {rec->entry, rec->entry_len};
	const uint8_t *b, *s;
	const char *mbytes;
	size_t mlen;
	uint32_t *words = NULL;
	size_t n, k, nw = 0;
	uint32_t at = 0;
	int first = 1;
	citem *it;
	char ***lists[2];
	size_t *counts[2];
	int error;

	if (!rec->passed) {
		svd_manifest_free(m);
		return 0;
	}
	if (!(it = svd_catalog_new_item(c, rec->id))) {
		svd_manifest_free(m);
		return -1;
	}
	it->m = m; /* the entry's now, parsed already, or NULL */
	if (svd_rd_take(&r, &b, 2) < 0)
		goto corrupt;
	it->checked = 1;
	it->ok = b[0] & 1;
	it->sound = (b[0] >> 1) & 1;
	it->links = b[1];
	if (svd_rd_take(&r, &b, 4) < 0 || svd_rd_take(&r, &s, le32(b)) < 0)
		goto corrupt;
	if (!it->m && (error = svd_manifest_parse(&it->m, (const char *)s, le32(b))) < 0) {
		if (error == SVD_ERROR)
			return error;
		goto corrupt;
	}
	if (!svd_manifest_id(it->m) || strcmp(svd_manifest_id(it->m), rec->id) != 0)
		goto corrupt;
	svd_catalog_item_dates(it);
	mbytes = (const char *)s;
	mlen = le32(b);
	if (svd_rd_take(&r, &b, 1) < 0 || !(it->sigs = calloc((size_t)b[0] + 1, sizeof(*it->sigs))))
		goto nomem;
	for (k = b[0]; k > 0; k--, it->nsigs++) {
		csig *sg = &it->sigs[it->nsigs];
		if (skip_text(&r, 1, 1, &s, &n) < 0)
			goto corrupt;
		if (!(sg->keyid = dup_text(s, n)))
			goto nomem;
		if (svd_rd_take(&r, &b, 2) < 0)
			goto corrupt;
		sg->st = (svd_sig_status)b[0];
		sg->verified = b[1];
		if (sg->verified) {
			if (svd_rd_take(&r, &s, 32) < 0)
				goto corrupt;
			memcpy(sg->pk, s, 32);
		}
	}
	lists[0] = &it->problems;
	lists[1] = &it->dropped;
	counts[0] = &it->nproblems;
	counts[1] = &it->ndropped;
	for (int l = 0; l < 2; l++) {
		if (svd_rd_take(&r, &b, 2) < 0)
			goto corrupt;
		if (!(*lists[l] = calloc(le16(b) + 1, sizeof(char *))))
			goto nomem;
		for (k = le16(b); k > 0; k--, (*counts[l])++) {
			if (skip_text(&r, 2, 0, &s, &n) < 0)
				goto corrupt;
			if (!((*lists[l])[*counts[l]] = dup_text(s, n)))
				goto nomem;
		}
	}
	/* the manifest (parsed from these bytes, perhaps compact already) and verdict are in */
	if ((error = svd_catalog_item_view(c, it)) < 0 ||
	    (error = svd_catalog_item_keep(c, it, mbytes, mlen)) < 0) {
		free(words);
		return error;
	}
	if (svd_rd_take(&r, &b, 4) < 0 || (n = le32(b)) > r.left)
		goto corrupt;
	if (!(words = malloc((n + 1) * sizeof(*words))))
		goto nomem;
	for (nw = 0; nw < n; nw++) {
		if (read_index(&r, &at, &first, (uint32_t)c->ntoks) < 0)
			goto corrupt;
		words[nw] = at;
	}
	error = svd_catalog_item_words(c, it, words, nw);
	free(words);
	if (error == SVD_EINVALID)
		return svd_error_set(SVD_ECORRUPT, "item %.12s...: %s", rec->id, svd_error_last());
	return error;
nomem:
	free(words);
	return svd_error_set(SVD_ERROR, "out of memory reading the site's catalog");
corrupt:
	free(words);
	return svd_error_set(SVD_ECORRUPT,
	                     "the site's catalog file: item %.12s... does not read back", rec->id);
}

/* Is the text of n bytes at s the one of the parts given, cut at TEXT_MAX as written? */
static int same_text(const uint8_t *s, size_t n, const char *a, const char *sep1, const char *b,
                     const char *sep2, const char *c)
{
	const char *parts[5] = {a, sep1, b, sep2, c};
	size_t i, at = 0, k;

	for (i = 0; i < 5; i++)
		for (k = 0; parts[i][k] && at < TEXT_MAX; k++, at++)
			if (at >= n || s[at] != (uint8_t)parts[i][k])
				return 0;
	return at == n;
}

int svd_site_file_agrees(const svd_site_file_rec *rec, const svd_verdict *v)
{
	rd r = {rec->entry, rec->entry_len};
	const uint8_t *b, *s;
	const char *keyid, *file, *check, *msg;
	svd_sig_status st;
	const uint8_t *pk;
	size_t n, k, count;

	if (!rec->passed || svd_rd_take(&r, &b, 2) < 0)
		return 0;
	if ((b[0] & 1) != (svd_verdict_ok(v) ? 1 : 0) ||
	    ((b[0] >> 1) & 1) != (svd_verdict_sound(v) ? 1 : 0))
		return 0;
	if (svd_rd_take(&r, &b, 4) < 0 || svd_rd_take(&r, &s, le32(b)) < 0 ||
	    svd_rd_take(&r, &b, 1) < 0)
		return 0;
	if (b[0] != svd_verdict_sig_count(v))
		return 0;
	for (k = 0; k < svd_verdict_sig_count(v); k++) {
		svd_verdict_sig(v, k, &keyid, &st);
		pk = svd_verdict_sig_pk(v, k);
		if (skip_text(&r, 1, 1, &s, &n) < 0 ||
		    !same_text(s, n, keyid[0] ? keyid : "?", "", "", "", "") ||
		    svd_rd_take(&r, &b, 2) < 0 || b[0] != (uint8_t)st || b[1] != (pk ? 1 : 0))
			return 0;
		if (pk && (svd_rd_take(&r, &s, 32) < 0 || sodium_memcmp(s, pk, 32) != 0))
			return 0;
	}
	if (svd_rd_take(&r, &b, 2) < 0 || (count = le16(b)) != svd_verdict_problem_count(v))
		return 0;
	for (k = 0; k < count; k++) {
		svd_verdict_problem(v, k, &file, &check, &msg);
		if (skip_text(&r, 2, 0, &s, &n) < 0 ||
		    !same_text(s, n, file, ": ", check, ": ", msg))
			return 0;
	}
	if (svd_rd_take(&r, &b, 2) < 0 || (count = le16(b)) != svd_verdict_dropped_count(v))
		return 0;
	for (k = 0; k < count; k++) {
		svd_verdict_dropped(v, k, &file, &msg);
		if (skip_text(&r, 2, 0, &s, &n) < 0 || !same_text(s, n, file, ": ", msg, "", ""))
			return 0;
	}
	return 1;
}

/* Writing. */

static void put(svd_buf *w, const void *data, size_t n)
{
	svd_buf_put(w, data, n);
}

static void put16(svd_buf *w, size_t v)
{
	uint8_t b[2] = {(uint8_t)v, (uint8_t)(v >> 8)};

	put(w, b, 2);
}

static void put32(svd_buf *w, size_t v)
{
	uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};

	put(w, b, 4);
}

/* A text of at most max bytes (cut there), its length in lenbytes. */
static void put_text(svd_buf *w, const char *s, size_t max, size_t lenbytes)
{
	size_t n = strlen(s);

	if (n > max)
		n = max;
	if (lenbytes == 1) {
		uint8_t b = (uint8_t)n;
		put(w, &b, 1);
	} else {
		put16(w, n);
	}
	put(w, s, n);
}

static void put_index(svd_buf *w, uint32_t v)
{
	uint8_t b[5];
	size_t n = 0;

	do {
		b[n] = (uint8_t)(v & 0x7f);
		v >>= 7;
		if (v)
			b[n] |= 0x80;
		n++;
	} while (v);
	put(w, b, n);
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * An entry; sorted: room for its words (put in ascending order); mb: room
 * for its manifest's bytes when the catalog spilled them.
 */
static int put_entry(svd_buf *w, const svd_catalog *c, const citem *it, uint32_t *sorted,
                     svd_buf *mb)
{
	uint8_t b[2] = {(uint8_t)((it->ok ? 1 : 0) | (it->sound ? 2 : 0)), (uint8_t)it->links};
	const uint32_t *words;
	const char *m;
	size_t len, i, n;

	if (!(m = svd_catalog_manifest_bytes(c, it, mb, &len)))
		return -1;
	put(w, b, 2);
	put32(w, len);
	put(w, m, len);
	n = it->nsigs > SIGS_MAX ? SIGS_MAX : it->nsigs;
	b[0] = (uint8_t)n;
	put(w, b, 1);
	for (i = 0; i < n; i++) {
		const csig *sg = &it->sigs[i];
		put_text(w, sg->keyid[0] ? sg->keyid : "?", 255, 1);
		b[0] = (uint8_t)sg->st;
		b[1] = sg->verified ? 1 : 0;
		put(w, b, 2);
		if (sg->verified)
			put(w, sg->pk, 32);
	}
	n = it->nproblems > LIST_MAX ? LIST_MAX : it->nproblems;
	put16(w, n);
	for (i = 0; i < n; i++)
		put_text(w, it->problems[i], TEXT_MAX, 2);
	n = it->ndropped > LIST_MAX ? LIST_MAX : it->ndropped;
	put16(w, n);
	for (i = 0; i < n; i++)
		put_text(w, it->dropped[i], TEXT_MAX, 2);
	n = it->pairs_to - it->pairs_from;
	put32(w, n);
	if (!(words = svd_catalog_item_words_of(c, it, sorted)))
		return -1;
	if (words != sorted)
		memcpy(sorted, words, n * sizeof(*sorted));
	qsort(sorted, n, sizeof(*sorted), cmp_u32);
	for (i = 0; i < n; i++)
		put_index(w, i == 0 ? sorted[0] : sorted[i] - sorted[i - 1] - 1);
	return 0;
}

/* The file as it is written: a buffer handed on a MiB at a time, and its checksum. */
typedef struct file_out {
	svd_buf w;
	crypto_generichash_state hash;
	uint64_t total;
	svd_site_file_out out;
	void *payload;
} file_out;

#define FLUSH_AT (1u << 20)

static int flush(file_out *f)
{
	int error;

	if (f->w.error)
		return svd_error_set(f->w.error, "cannot build the site's catalog file");
	if (!f->w.len)
		return 0;
	f->total += f->w.len;
	if (f->total > SVD_SITE_FILE_MAX)
		return svd_error_set(SVD_ETOOBIG, "the site's catalog file would be over %u bytes",
		                     SVD_SITE_FILE_MAX);
	crypto_generichash_update(&f->hash, (const uint8_t *)f->w.data, f->w.len);
	if ((error = f->out(f->w.data, f->w.len, f->payload)) < 0)
		return error;
	f->w.len = 0;
	return 0;
}

int svd_site_file_build(const svd_catalog *c, const svd_store_items *l, const uint8_t trust[32],
                        svd_site_file_out out, void *payload, uint8_t sum[32])
{
	uint8_t head[HEAD_LEN], passed;
	int64_t time = svd_store_items_time(l);
	size_t i, n = svd_store_items_count(l), most = 0;
	uint32_t *sorted = NULL;
	svd_buf mb;
	file_out f;
	int error = 0;

	if (c->finished)
		return svd_error_set(SVD_EINVALID, "the catalog is finished: its words are gone");
	if (n > UINT32_MAX || c->ntoks > UINT32_MAX)
		return svd_error_set(SVD_ETOOBIG, "too many items for the site's catalog file");
	for (i = 0; i < c->n; i++)
		if (c->v[i].pairs_to - c->v[i].pairs_from > most)
			most = c->v[i].pairs_to - c->v[i].pairs_from;
	if (!(sorted = malloc((most + 1) * sizeof(*sorted))))
		return svd_error_set(SVD_ERROR, "out of memory building the site's catalog file");
	memset(&f, 0, sizeof(f));
	svd_buf_init(&f.w, SVD_SITE_FILE_MAX);
	svd_buf_init(&mb, SVD_MANIFEST_MAX + 1);
	crypto_generichash_init(&f.hash, NULL, 0, SUM_LEN);
	f.out = out;
	f.payload = payload;
	memset(head, 0, sizeof(head));
	memcpy(head, MAGIC, 8);
	head[8] = LEVEL;
	memcpy(head + 9, trust, 32);
	if (svd_hex_decode(head + 41, 20, svd_store_items_commit(l)) < 0)
		memset(head + 41, 0, 20); /* an archive with nothing yet */
	for (i = 0; i < 8; i++)
		head[61 + i] = (uint8_t)((uint64_t)time >> (8 * i));
	for (i = 0; i < 4; i++) {
		head[HEAD_LEN - 8 + i] = (uint8_t)(c->ntoks >> (8 * i));
		head[HEAD_LEN - 4 + i] = (uint8_t)(n >> (8 * i));
	}
	put(&f.w, head, HEAD_LEN);
	for (i = 0; i < c->ntoks && error == 0; i++) {
		uint8_t len = (uint8_t)c->toks[i].len;
		if (c->toks[i].len == 0 || c->toks[i].len > 255) {
			error = svd_error_set(SVD_EINVALID, "a search word the file cannot hold");
			break;
		}
		put(&f.w, &len, 1);
		put(&f.w, c->arena + c->toks[i].off, len);
		if (f.w.len >= FLUSH_AT)
			error = flush(&f);
	}
	for (i = 0; i < n && error == 0; i++) {
		const char *id = svd_store_items_id(l, i);
		long t = svd_catalog_find(c, id);
		uint8_t raw[32];
		if (svd_hex_decode(raw, 32, id) < 0) {
			error = svd_error_set(SVD_EINVALID, "not an item id: %.64s", id);
			break;
		}
		put(&f.w, raw, 32);
		put(&f.w, svd_store_items_folder(l, i), 20);
		passed = t >= 0;
		put(&f.w, &passed, 1);
		if (passed && (error = put_entry(&f.w, c, &c->v[t], sorted, &mb)) < 0)
			break;
		if (f.w.len >= FLUSH_AT)
			error = flush(&f);
	}
	if (error == 0)
		error = flush(&f);
	if (error == 0) {
		crypto_generichash_final(&f.hash, sum, SUM_LEN);
		error = out(sum, SUM_LEN, payload);
	}
	free(sorted);
	svd_buf_clear(&mb);
	svd_buf_clear(&f.w);
	return error;
}
