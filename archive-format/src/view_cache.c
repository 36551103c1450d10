/*
 * view_cache.c: ARCHIVE/cache/view, what the last view of the archive found
 * for each item (SPEC.md, 7.2), so that the next view runs the gate only on
 * the items whose folders changed since. Derived data: a cache that is
 * missing, stale, for another trust list, or damaged in any way is ignored
 * and written again; nothing is ever taken from it that the store does not
 * hold.
 *
 * The file, all integers little-endian:
 *
 *   "svdview4"                      8 bytes
 *   check level                     1 byte (svd_view_check)
 *   trust                           32 bytes: BLAKE2b-256 of the trusted keys
 *   commit                          20 bytes: the commit the records are of
 *   count                           4 bytes
 *   count records, in id order:
 *     id 32, tree 20, flags 1 (1 sound: no problem but perhaps "trust",
 *     2 supersedes, 4 retracts), kind 1,
 *     date 10 (the manifest's "published", NUL-padded; all NULs when it
 *     has none), created 20 (NUL-padded),
 *     supersedes 32 (with flag 2), retracts 32 (with flag 4),
 *     title: length 2 + bytes, lang: length 1 + bytes,
 *     signatures that verify: count 1 + (key id 8, as its hex reads,
 *     key 32) each,
 *     why (when not sound): length 2 + bytes,
 *     region: length 2 + bytes (0: none), source: length 2 + bytes
 *     (0: none), authors and tags: length 4 + bytes, each entry followed
 *     by U+001F (SVD_VIEW_LIST_END)
 *   BLAKE2b-256 of everything before it  32 bytes
 *
 * Statements (certificates, revocations, checkpoints) are not kept: the
 * view reads their manifests, so they go through the gate every time.
 * Earlier layouts start "svdview1", "svdview2" (whose date was that of
 * "created" when there was no "published") and "svdview3" (without
 * region, source, authors and tags): any other magic is a fault, so such
 * a file is ignored and written again, never read as this one.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "util.h"
#include "view_cache.h"

#define MAGIC       "svdview4"
#define HEAD_LEN    (8 + 1 + 32 + 20 + 4)
#define SUM_LEN     32
#define TEXT_MAX    4096 /* title and why; SVD_TEXT_MAX for titles */
#define LANG_MAX    35
#define SIGNERS_MAX 64
#define SOURCE_MAX  2048
#define LIST_MAX    SVD_MANIFEST_MAX /* bytes of authors or of tags, joined */

typedef svd_rd rd;
typedef rd rd_state;

/* The most bytes one record can take (each field at its limit). */
#define REC_MAX                                                                                    \
	(32 + 20 + 2 + 10 + 20 + 2 * 32 + 2 + TEXT_MAX + 1 + LANG_MAX + 1 + SIGNERS_MAX * 40 +     \
	 3 * (2 + TEXT_MAX) + 2 + SOURCE_MAX + 2 * (4 + LIST_MAX))
#define WINDOW (1u << 20) /* bytes of a file read at a time, beyond REC_MAX */

/*
 * The records come from bytes in memory (data), or from a file read
 * through a window (fd): at a million items the file is some 270 MB,
 * which is never all in memory.
 */
struct svd_view_cache {
	const uint8_t *data; /* the file's bytes (borrowed from the caller), or NULL */
	int fd;              /* or the file (borrowed) */
	uint8_t *win;        /* its bytes from woff on, wlen of them */
	uint64_t woff, wlen;
	uint64_t at, stop; /* the next record's offset; where the records end */
	uint32_t count;
	uint32_t next; /* records read by svd_view_cache_next() */
	/* one record's strings */
	char arena[3 * TEXT_MAX + LANG_MAX + SIGNERS_MAX * 82 + SOURCE_MAX + 2 * LIST_MAX + 16];
};

void svd_view_cache_free(svd_view_cache *c)
{
	if (c)
		free(c->win);
	free(c);
}

void svd_view_trust_print(uint8_t out[32], const svd_trust *trust)
{
	crypto_generichash_state st;
	size_t i;

	crypto_generichash_init(&st, NULL, 0, 32);
	for (i = 0; trust && i < svd_trust_count(trust); i++) {
		const svd_pubkey *pk = svd_trust_at(trust, i);
		uint8_t role = (uint8_t)svd_trust_role(trust, i);
		crypto_generichash_update(&st, svd_pubkey_id_bytes(pk), 8);
		crypto_generichash_update(&st, svd_pubkey_bytes(pk), 32);
		crypto_generichash_update(&st, &role, 1);
	}
	crypto_generichash_final(&st, out, 32);
}

static void hex(char *out, const uint8_t *b, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[b[i] >> 4];
		out[2 * i + 1] = digits[b[i] & 15];
	}
	out[2 * n] = '\0';
}

/* A NUL-padded field of at most n bytes: printable ASCII, then NULs only. */
static int padded(char *out, const uint8_t *b, size_t n)
{
	size_t len = 0;

	while (len < n && b[len])
		len++;
	for (size_t i = len; i < n; i++)
		if (b[i])
			return -1;
	for (size_t i = 0; i < len; i++)
		if (b[i] < 0x20 || b[i] > 0x7e)
			return -1;
	memcpy(out, b, len);
	out[len] = '\0';
	return 0;
}

/*
 * Copy n bytes of text into the arena as a string: valid UTF-8 with no
 * control character but U+001F, which ends each entry of a list (a title
 * or region with it is no manifest's: lists alone hold it, SPEC 3.3.1).
 */
static char *text(char **arena, const uint8_t *b, size_t n)
{
	char *s = *arena;
	size_t i;

	for (i = 0; i < n; i++)
		if ((b[i] < 0x20 && b[i] != SVD_VIEW_LIST_END) || b[i] == 0x7f)
			return NULL;
	if (!svd_utf8_valid((const char *)b, n))
		return NULL;
	memcpy(s, b, n);
	s[n] = '\0';
	*arena += n + 1;
	return s;
}

/*
 * One record at r into e, its strings into arena (room for one record's);
 * -1 when it does not parse. prev is the id before it ("" for the first).
 */
static int read_record(svd_view_cache_rec *e, rd *r, char *arena, const char *prev)
{
	const uint8_t *b;
	unsigned flags, n, k;

	memset(e, 0, sizeof(*e));
	if (svd_rd_take(r, &b, 32 + 20 + 2 + 10 + 20) < 0)
		return -1;
	hex(e->id, b, 32);
	memcpy(e->tree, b + 32, 20);
	flags = b[52];
	if (flags & ~7u || b[53] > SVD_KIND_RETRACTION)
		return -1;
	e->f.ok = flags & 1;
	e->f.kind = (svd_kind)b[53];
	if (padded(e->date, b + 54, 10) < 0 || padded(e->created, b + 64, 20) < 0)
		return -1;
	if (strcmp(prev, e->id) >= 0)
		return -1; /* in id order, each id once */
	if (flags & 2) {
		if (svd_rd_take(r, &b, 32) < 0)
			return -1;
		hex(e->sup, b, 32);
		e->f.supersedes = e->sup;
	}
	if (flags & 4) {
		if (svd_rd_take(r, &b, 32) < 0)
			return -1;
		hex(e->ret, b, 32);
		e->f.retracts = e->ret;
	}
	if (svd_rd_take(r, &b, 2) < 0 || (n = (unsigned)b[0] | (unsigned)b[1] << 8) > TEXT_MAX ||
	    svd_rd_take(r, &b, n) < 0 || !(e->f.title = text(&arena, b, n)))
		return -1;
	if (svd_rd_take(r, &b, 1) < 0 || (n = b[0]) > LANG_MAX || svd_rd_take(r, &b, n) < 0 ||
	    !(e->f.lang = text(&arena, b, n)))
		return -1;
	if (svd_rd_take(r, &b, 1) < 0 || (n = b[0]) > SIGNERS_MAX ||
	    svd_rd_take(r, &b, 40 * (size_t)n) < 0)
		return -1;
	e->f.vsigs = arena;
	for (k = 0; k < n; k++) {
		static const char digits[] = "0123456789ABCDEF";
		if (k)
			*arena++ = ' ';
		for (unsigned j = 0; j < 8; j++) {
			*arena++ = digits[b[40 * k + j] >> 4];
			*arena++ = digits[b[40 * k + j] & 15];
		}
		*arena++ = ':';
		hex(arena, b + 40 * k + 8, 32);
		arena += 64;
	}
	*arena++ = '\0';
	if (svd_rd_take(r, &b, 2) < 0 || (n = (unsigned)b[0] | (unsigned)b[1] << 8) > TEXT_MAX ||
	    svd_rd_take(r, &b, n) < 0)
		return -1;
	if (n && !(e->f.why = text(&arena, b, n)))
		return -1;
	if (!e->f.ok && !e->f.why)
		return -1; /* an unsound item says why */
	if (svd_rd_take(r, &b, 2) < 0 || (n = (unsigned)b[0] | (unsigned)b[1] << 8) > TEXT_MAX ||
	    svd_rd_take(r, &b, n) < 0)
		return -1;
	if (n && !(e->f.region = text(&arena, b, n)))
		return -1;
	if (svd_rd_take(r, &b, 2) < 0 || (n = (unsigned)b[0] | (unsigned)b[1] << 8) > SOURCE_MAX ||
	    svd_rd_take(r, &b, n) < 0)
		return -1;
	if (n && !(e->f.source = text(&arena, b, n)))
		return -1;
	for (k = 0; k < 2; k++) {
		uint32_t m;
		const char *t;
		if (svd_rd_take(r, &b, 4) < 0 ||
		    (m = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
		         (uint32_t)b[3] << 24) > LIST_MAX ||
		    svd_rd_take(r, &b, m) < 0 || !(t = text(&arena, b, m)) ||
		    (m && b[m - 1] != SVD_VIEW_LIST_END))
			return -1;
		if (k == 0)
			e->f.authors = t;
		else
			e->f.tags = t;
	}
	e->f.sound = e->f.ok;
	e->f.id = e->id;
	e->f.date = e->date;
	e->f.created = e->created;
	return 0;
}

/* pread n bytes at off into b; -1 (the error said) when they cannot all be read. */
static int read_at(int fd, uint8_t *b, size_t n, uint64_t off)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = pread(fd, b + got, n - got, (off_t)(off + got));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			svd_error_set(SVD_ECORRUPT, "the view cache cannot be read: %s",
			              r < 0 ? svd_ioerr(errno) : "cut short");
			return -1;
		}
		got += (size_t)r;
	}
	return 0;
}

/*
 * The bytes from c->at to the end of the records, as far as memory holds
 * them (from a file: at least one whole record's worth, REC_MAX, or to the
 * end); -1 for a read error.
 */
static int window(svd_view_cache *c, rd *r)
{
	if (c->data) {
		r->p = c->data + c->at;
		r->left = (size_t)(c->stop - c->at);
		return 0;
	}
	if (c->at < c->woff || c->at + REC_MAX > c->woff + c->wlen) {
		uint64_t n = c->stop - c->at;
		if (n > WINDOW + REC_MAX)
			n = WINDOW + REC_MAX;
		if (c->at < c->woff || c->woff + c->wlen < c->stop) {
			c->woff = c->at;
			c->wlen = 0;
			if (read_at(c->fd, c->win, (size_t)n, c->at) < 0)
				return -1;
			c->wlen = n;
		}
	}
	r->p = c->win + (c->at - c->woff);
	r->left = (size_t)(c->woff + c->wlen - c->at);
	if (r->left > c->stop - c->at)
		r->left = (size_t)(c->stop - c->at);
	return 0;
}

/* The record at c->at into e (see read_record), c->at moved past it. */
static int next_record(svd_view_cache *c, svd_view_cache_rec *e, const char *prev)
{
	rd r;
	size_t before;

	if (window(c, &r) < 0)
		return -1;
	before = r.left;
	if (read_record(e, &r, c->arena, prev) < 0)
		return -1;
	c->at += before - r.left;
	return 0;
}

/*
 * The head, the checksum and every record checked, from data or the file:
 * the file is whole or ignored, before the first record is used.
 */
static int check_whole(svd_view_cache *c, uint64_t len, int level, const uint8_t trust[32])
{
	uint8_t sum[SUM_LEN], stored[SUM_LEN], head[HEAD_LEN];
	svd_view_cache_rec e;
	char prev[65] = "";
	uint32_t i;

	if (len < HEAD_LEN + SUM_LEN || len > SVD_VIEW_CACHE_MAX)
		return svd_error_set(SVD_ECORRUPT, "the view cache has a wrong size");
	if (c->data) {
		crypto_generichash(sum, SUM_LEN, c->data, (size_t)len - SUM_LEN, NULL, 0);
		memcpy(stored, c->data + len - SUM_LEN, SUM_LEN);
		memcpy(head, c->data, HEAD_LEN);
	} else {
		crypto_generichash_state st;
		uint64_t off;
		crypto_generichash_init(&st, NULL, 0, SUM_LEN);
		for (off = 0; off < len - SUM_LEN;) {
			size_t n =
			    len - SUM_LEN - off > WINDOW ? WINDOW : (size_t)(len - SUM_LEN - off);
			if (read_at(c->fd, c->win, n, off) < 0)
				return SVD_ECORRUPT;
			if (off == 0)
				memcpy(head, c->win, HEAD_LEN);
			crypto_generichash_update(&st, c->win, n);
			off += n;
		}
		crypto_generichash_final(&st, sum, SUM_LEN);
		if (read_at(c->fd, stored, SUM_LEN, len - SUM_LEN) < 0)
			return SVD_ECORRUPT;
	}
	if (sodium_memcmp(sum, stored, SUM_LEN) != 0)
		return svd_error_set(SVD_ECORRUPT, "the view cache's checksum does not match");
	if (memcmp(head, MAGIC, 8) != 0)
		return svd_error_set(SVD_ECORRUPT, "the view cache does not start with " MAGIC);
	if (head[8] != (uint8_t)level || sodium_memcmp(head + 9, trust, 32) != 0)
		return svd_error_set(SVD_ENOTFOUND, "the view cache is for another trust list");
	c->count = (uint32_t)head[61] | (uint32_t)head[62] << 8 | (uint32_t)head[63] << 16 |
	           (uint32_t)head[64] << 24;
	/* a record is at least 32 + 20 + 2 + 30 + 2 + 1 + 1 + 2 + 2 + 2 + 4 + 4 bytes */
	if (c->count > (len - HEAD_LEN - SUM_LEN) / 102)
		return svd_error_set(SVD_ECORRUPT,
		                     "the view cache counts more records than it holds");
	c->stop = len - SUM_LEN;
	c->at = HEAD_LEN;
	for (i = 0; i < c->count; i++) {
		if (next_record(c, &e, prev) < 0) {
			svd_error_clear();
			return svd_error_set(SVD_ECORRUPT,
			                     "the view cache's record %u does not parse",
			                     (unsigned)i + 1);
		}
		memcpy(prev, e.id, sizeof(prev));
	}
	if (c->at != c->stop)
		return svd_error_set(SVD_ECORRUPT, "the view cache has bytes after its records");
	c->at = HEAD_LEN;
	return 0;
}

int svd_view_cache_parse(svd_view_cache **out, const uint8_t *data, size_t len, int level,
                         const uint8_t trust[32])
{
	svd_view_cache *c;
	int error;

	*out = NULL;
	if (!(c = calloc(1, sizeof(*c))))
		return svd_error_set(SVD_ERROR, "out of memory reading the view cache");
	c->data = data;
	c->fd = -1;
	if ((error = check_whole(c, len, level, trust)) < 0) {
		svd_view_cache_free(c);
		return error;
	}
	*out = c;
	return 0;
}

int svd_view_cache_open_fd(svd_view_cache **out, int fd, int level, const uint8_t trust[32])
{
	svd_view_cache *c;
	struct stat st;
	int error;

	*out = NULL;
	if (fstat(fd, &st) < 0)
		return svd_error_set(SVD_ERROR, "the view cache cannot be read: %s",
		                     svd_ioerr(errno));
	if (!(c = calloc(1, sizeof(*c))) || !(c->win = malloc(WINDOW + REC_MAX))) {
		svd_view_cache_free(c);
		return svd_error_set(SVD_ERROR, "out of memory reading the view cache");
	}
	c->fd = fd;
	if ((error = check_whole(c, (uint64_t)st.st_size, level, trust)) < 0) {
		svd_view_cache_free(c);
		return error;
	}
	*out = c;
	return 0;
}

const svd_view_cache_rec *svd_view_cache_next(svd_view_cache *c, svd_view_cache_rec *rec)
{
	if (!c || c->next >= c->count)
		return NULL;
	/* checked whole before: it parses again, unless the file changed under us */
	if (next_record(c, rec, "") < 0) {
		svd_error_clear();
		return NULL;
	}
	c->next++;
	return rec;
}

size_t svd_view_cache_count(const svd_view_cache *c)
{
	return c ? c->count : 0;
}

/*
 * The file being written, through a buffer: records go out as they come,
 * so that a million of them (some 200 MB) are never all in memory.
 */
typedef struct wbuf {
	svd_outfile o;
	uint8_t p[1 << 16];
	size_t len;
	uint64_t total; /* bytes put so far, the buffer's included */
	int error;
} wbuf;

static void flush_out(wbuf *w)
{
	if (!w->error && w->len && svd_outfile_write(&w->o, w->p, w->len) < 0)
		w->error = SVD_ERROR;
	w->len = 0;
}

static void put(wbuf *w, const void *data, size_t n)
{
	const uint8_t *b = data;

	if (w->error)
		return;
	if (w->total + n + SUM_LEN > SVD_VIEW_CACHE_MAX) {
		w->error = SVD_ETOOBIG;
		return;
	}
	w->total += n;
	while (n > 0) {
		size_t k = sizeof(w->p) - w->len < n ? sizeof(w->p) - w->len : n;
		memcpy(w->p + w->len, b, k);
		w->len += k;
		b += k;
		n -= k;
		if (w->len == sizeof(w->p))
			flush_out(w);
	}
}

static void put_id(wbuf *w, const char *hexid)
{
	uint8_t b[32];

	if (sodium_hex2bin(b, sizeof(b), hexid, 64, NULL, NULL, NULL) < 0) {
		w->error = SVD_EINVALID;
		return;
	}
	put(w, b, 32);
}

static void put_padded(wbuf *w, const char *s, size_t n)
{
	char b[32] = {0};

	memcpy(b, s, strnlen(s, n));
	put(w, b, n);
}

static void put_text(wbuf *w, const char *s, size_t max, int two)
{
	size_t n = strlen(s);
	uint8_t len[2];

	if (n > max)
		n = max; /* a longer reason is cut (never a title: the manifest caps those) */
	len[0] = (uint8_t)n;
	len[1] = (uint8_t)(n >> 8);
	put(w, len, two ? 2 : 1);
	put(w, s, n);
}

/* Authors or tags as the view joins them: a length of 4 bytes, then the bytes. */
static void put_list(wbuf *w, const char *s)
{
	size_t n = s ? strlen(s) : 0;
	uint8_t len[4] = {(uint8_t)n, (uint8_t)(n >> 8), (uint8_t)(n >> 16), (uint8_t)(n >> 24)};

	if (n > LIST_MAX) {
		w->error = SVD_EINVALID;
		return;
	}
	put(w, len, 4);
	put(w, s ? s : "", n);
}

static void put_record(wbuf *w, const svd_view_fields *f, const uint8_t tree[20])
{
	uint8_t flags =
	    (uint8_t)((f->ok ? 1 : 0) | (f->supersedes ? 2 : 0) | (f->retracts ? 4 : 0));
	uint8_t kind = (uint8_t)f->kind, nsig = 0, keys[SIGNERS_MAX * 40];
	const char *s = f->vsigs ? f->vsigs : "";

	put_id(w, f->id);
	put(w, tree, 20);
	put(w, &flags, 1);
	put(w, &kind, 1);
	put_padded(w, f->date ? f->date : "", 10);
	put_padded(w, f->created ? f->created : "", 20);
	if (f->supersedes)
		put_id(w, f->supersedes);
	if (f->retracts)
		put_id(w, f->retracts);
	put_text(w, f->title ? f->title : "", TEXT_MAX, 1);
	put_text(w, f->lang ? f->lang : "", LANG_MAX, 0);
	while (*s && nsig < SIGNERS_MAX) {
		uint8_t *k = keys + 40 * nsig;
		if (strlen(s) < 81 || s[16] != ':' ||
		    sodium_hex2bin(k, 8, s, 16, NULL, NULL, NULL) < 0 ||
		    sodium_hex2bin(k + 8, 32, s + 17, 64, NULL, NULL, NULL) < 0) {
			w->error = SVD_EINVALID;
			return;
		}
		nsig++;
		s += 81;
		while (*s == ' ')
			s++;
	}
	put(w, &nsig, 1);
	put(w, keys, 40 * (size_t)nsig);
	put_text(w, f->ok ? "" : (f->why ? f->why : "refused"), TEXT_MAX, 1);
	put_text(w, f->region ? f->region : "", TEXT_MAX, 1);
	put_text(w, f->source ? f->source : "", SOURCE_MAX, 1);
	put_list(w, f->authors);
	put_list(w, f->tags);
}

/* The checksum of the file's first n bytes, read back (the header was filled in last). */
static int sum_back(wbuf *w, uint8_t sum[SUM_LEN], uint64_t n)
{
	crypto_generichash_state st;
	uint64_t at = 0;

	crypto_generichash_init(&st, NULL, 0, SUM_LEN);
	while (at < n) {
		size_t want = n - at < sizeof(w->p) ? (size_t)(n - at) : sizeof(w->p);
		ssize_t got = pread(w->o.fd, w->p, want, (off_t)at);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			return svd_error_set(SVD_ERROR, "%s: cannot read back: %s", w->o.tmp,
			                     got < 0 ? svd_ioerr(errno) : "file shrank");
		crypto_generichash_update(&st, w->p, (size_t)got);
		at += (uint64_t)got;
	}
	crypto_generichash_final(&st, sum, SUM_LEN);
	return 0;
}

int svd_view_cache_write(const char *path, int level, const uint8_t trust[32],
                         const uint8_t commit[20], svd_view_cache_source next, void *payload)
{
	svd_view_cache_rec rec;
	wbuf *w = calloc(1, sizeof(*w));
	uint8_t head[HEAD_LEN], sum[SUM_LEN];
	uint64_t n = 0, body;
	int error;

	if (!w)
		return svd_error_set(SVD_ERROR, "out of memory");
	if ((error = svd_outfile_open(&w->o, path)) < 0) {
		free(w);
		return error;
	}
	/* the umask must not narrow it: a daemon of the archive's group reads it too */
	if (fchmod(w->o.fd, 0644) < 0) {
		error = svd_error_set(SVD_ERROR, "%s: cannot set its mode: %s", w->o.tmp,
		                      svd_ioerr(errno));
		goto fail;
	}
	memset(head, 0, sizeof(head));
	put(w, head, sizeof(head)); /* filled in once the records are counted */
	while (!w->error && next(&rec, payload) > 0) {
		put_record(w, &rec.f, rec.tree);
		n++;
	}
	flush_out(w);
	body = w->total;
	if (w->error || n > UINT32_MAX) {
		error = w->error == SVD_ERROR ? SVD_ERROR
		                              : svd_error_set(w->error ? w->error : SVD_ETOOBIG,
		                                              "cannot build the view cache");
		goto fail;
	}
	memcpy(head, MAGIC, 8);
	head[8] = (uint8_t)level;
	memcpy(head + 9, trust, 32);
	memcpy(head + 41, commit, 20);
	head[61] = (uint8_t)n;
	head[62] = (uint8_t)(n >> 8);
	head[63] = (uint8_t)(n >> 16);
	head[64] = (uint8_t)(n >> 24);
	if (pwrite(w->o.fd, head, sizeof(head), 0) != (ssize_t)sizeof(head)) {
		error =
		    svd_error_set(SVD_ERROR, "%s: cannot write: %s", w->o.tmp, svd_ioerr(errno));
		goto fail;
	}
	if ((error = sum_back(w, sum, body)) < 0 ||
	    (error = svd_outfile_write(&w->o, sum, SUM_LEN)) < 0 ||
	    (error = svd_outfile_commit(&w->o)) < 0)
		goto fail;
	free(w);
	return 0;
fail:
	svd_outfile_abort(&w->o);
	free(w);
	return error;
}
