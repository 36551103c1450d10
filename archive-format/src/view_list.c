/*
 * view_list.c: ARCHIVE/cache/list, the finished view of main written down
 * (SPEC.md, 7.2.2), so that list and show answer at a million items in a
 * fraction of a second and a few hundred KiB instead of building the view
 * (which reads every item's record and holds them all). Derived data: a
 * file of another commit or trust list is not used, a damaged one is
 * removed, and svd_view_open() on main writes it again.
 *
 * The file, all integers little-endian:
 *
 *   head, 132 bytes:
 *     "svdlist1" 8, check level 1, zero 3, trust 32 (svd_view_list_print:
 *     the trusted keys, their roles and every threshold), commit 20, size 4 (items, shown
 *     or hidden), count 4 (shown), blocks 4, index blocks 4, table offset
 *     8, table length 4, trust date 24 (NUL-padded), BLAKE2b-128 of the
 *     116 bytes before it 16
 *   record blocks, one after another from byte 132: records, each item of
 *     the view in the one order (svd_view_at), then BLAKE2b-128 of them 16
 *   index blocks, after them: up to 1024 entries (id 32, its place in the
 *     one order 4) in id order, then BLAKE2b-128 of them 16
 *   table, after them, table length bytes: per record block its offset 8,
 *     length 4 (without the sum) and records 4; per index block its offset
 *     8, entries 4 and first id 32; then BLAKE2b-128 of the table 16; the
 *     file ends there.
 *
 * A record:
 *   id 32, state 1, kind 1, flags 2 (1 supersedes, 2 retracts, 4
 *   retracted_by, 8 superseded_by, 16 why, 32 note, 64 region, 128
 *   source, 256 the retraction that withdraws it is in the view),
 *   date 10 (NUL-padded; all NULs: undated), created 20 (NUL-padded),
 *   the ids of flags 1, 2, 4 and 8 in that order, 32 each,
 *   title: length 2 + bytes, lang: 1 + bytes, signers: 2 + bytes,
 *   why, note, region, source (each with its flag): 2 + bytes,
 *   authors, tags: 4 + bytes (each entry followed by U+001F),
 *   with flag 256: the retraction's created 1 + bytes, signers 2 + bytes.
 * Each string's bytes are followed by a NUL (not counted in its length),
 * so that a reader hands them out in place. Text is UTF-8 with no control
 * character but U+001F; signers printable ASCII. A record that does not
 * read has its block refused.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <git2.h>
#include <sodium.h>

#include "archive_internal.h"
#include "store_internal.h"
#include "util.h"
#include "view_cache.h"
#include "view_internal.h"
#include "view_list.h"

#define MAGIC       "svdlist1"
#define HEAD_BODY   116
#define HEAD_LEN    (HEAD_BODY + SUM_LEN)
#define SUM_LEN     16
#define BLOCK_AIM   (64u * 1024)        /* bytes of records a block is closed at */
#define BLOCK_MAX   (16u * 1024 * 1024) /* bytes of one block, read */
#define INDEX_N     1024                /* entries of an index block */
#define ENTRY_LEN   36
#define TABLE_BLOCK 16
#define TABLE_INDEX 44
#define TABLE_MAX   (256u * 1024 * 1024)
#define DATE_LEN    24

enum {
	F_SUP = 1,
	F_RET = 2,
	F_RETBY = 4,
	F_SUPBY = 8,
	F_WHY = 16,
	F_NOTE = 32,
	F_REGION = 64,
	F_SOURCE = 128,
	F_RITEM = 256,
	F_ALL = 511,
};

static void put16(uint8_t *b, uint32_t x)
{
	b[0] = (uint8_t)x;
	b[1] = (uint8_t)(x >> 8);
}

static void put32(uint8_t *b, uint32_t x)
{
	put16(b, x);
	put16(b + 2, x >> 16);
}

static void put64(uint8_t *b, uint64_t x)
{
	put32(b, (uint32_t)x);
	put32(b + 4, (uint32_t)(x >> 32));
}

static uint32_t get16(const uint8_t *b)
{
	return (uint32_t)b[0] | (uint32_t)b[1] << 8;
}

static uint32_t get32(const uint8_t *b)
{
	return get16(b) | get16(b + 2) << 16;
}

static uint64_t get64(const uint8_t *b)
{
	return get32(b) | (uint64_t)get32(b + 4) << 32;
}

static void sum(uint8_t out[SUM_LEN], const uint8_t *b, size_t n)
{
	crypto_generichash(out, SUM_LEN, b, n, NULL, 0);
}

void svd_view_list_print(uint8_t out[32], const svd_trust *trust)
{
	crypto_generichash_state st;
	uint8_t b[33];
	int k;

	svd_view_trust_print(b, trust);
	b[32] = (uint8_t)(trust ? svd_trust_root_threshold(trust) : 1);
	crypto_generichash_init(&st, NULL, 0, 32);
	crypto_generichash_update(&st, b, sizeof(b));
	for (k = SVD_KIND_ARTICLE; k <= SVD_KIND_CHECKPOINT; k++) {
		uint8_t t = (uint8_t)(trust ? svd_trust_kind_threshold(trust, (svd_kind)k) : 1);
		crypto_generichash_update(&st, &t, 1);
	}
	crypto_generichash_final(&st, out, 32);
}

/* ---- writing ---- */

typedef struct wr {
	svd_outfile o;
	uint8_t *buf; /* the block being filled */
	size_t len, cap;
	uint32_t nrec;
	uint8_t *table; /* record blocks' entries, then index blocks' */
	size_t tlen, tcap;
	uint64_t at; /* bytes written */
	int error;
} wr;

static void need(wr *w, size_t n)
{
	if (!w->error && svd_grow(&w->buf, &w->cap, w->len + n, 1, BLOCK_AIM + 4096) < 0)
		w->error = SVD_ERROR;
}

static void put(wr *w, const void *p, size_t n)
{
	need(w, n);
	if (!w->error) {
		memcpy(w->buf + w->len, p, n);
		w->len += n;
	}
}

/* A string with a length of lenbytes (1, 2 or 4) bytes; too long for it is an error. */
static void put_str(wr *w, const char *s, unsigned lenbytes)
{
	size_t n = s ? strlen(s) : 0;
	uint8_t b[4];

	if (lenbytes < 4 && n >> (8 * lenbytes)) {
		w->error =
		    svd_error_set(SVD_ETOOBIG, "a text of %zu bytes does not fit the list", n);
		return;
	}
	put32(b, (uint32_t)n);
	put(w, b, lenbytes);
	put(w, s ? s : "", n + 1); /* its NUL too: read in place */
}

static void put_id(wr *w, const char *hex)
{
	uint8_t b[32];

	if (!hex || svd_hex_decode(b, 32, hex) < 0) {
		w->error = svd_error_set(SVD_EINVALID, "not an item id in the view");
		return;
	}
	put(w, b, 32);
}

static void put_padded(wr *w, const char *s, size_t n)
{
	uint8_t b[32] = {0};

	memcpy(b, s, strnlen(s, n));
	put(w, b, n);
}

static void put_record(wr *w, const svd_view_item *it, const svd_view_item *r)
{
	unsigned flags = (it->supersedes ? F_SUP : 0) | (it->retracts ? F_RET : 0) |
	                 (it->retracted_by ? F_RETBY : 0) | (it->superseded_by ? F_SUPBY : 0) |
	                 (it->why ? F_WHY : 0) | (it->note ? F_NOTE : 0) |
	                 (it->region ? F_REGION : 0) | (it->source ? F_SOURCE : 0) |
	                 (it->retracted_by && r ? F_RITEM : 0);
	uint8_t b[4];

	put_id(w, it->id);
	b[0] = (uint8_t)it->state;
	b[1] = (uint8_t)it->kind;
	put16(b + 2, flags);
	put(w, b, 4);
	put_padded(w, it->date, 10);
	put_padded(w, it->created, 20);
	if (flags & F_SUP)
		put_id(w, it->supersedes);
	if (flags & F_RET)
		put_id(w, it->retracts);
	if (flags & F_RETBY)
		put_id(w, it->retracted_by);
	if (flags & F_SUPBY)
		put_id(w, it->superseded_by);
	put_str(w, it->title, 2);
	put_str(w, it->lang, 1);
	put_str(w, it->signers, 2);
	if (flags & F_WHY)
		put_str(w, it->why, 2);
	if (flags & F_NOTE)
		put_str(w, it->note, 2);
	if (flags & F_REGION)
		put_str(w, it->region, 2);
	if (flags & F_SOURCE)
		put_str(w, it->source, 2);
	put_str(w, it->authors, 4);
	put_str(w, it->tags, 4);
	if (flags & F_RITEM) {
		put_str(w, r->created, 1);
		put_str(w, r->signers, 2);
	}
	w->nrec++;
}

static void table_add(wr *w, const uint8_t *entry, size_t n)
{
	if (!w->error && svd_grow(&w->table, &w->tcap, w->tlen + n, 1, 4096) < 0)
		w->error = SVD_ERROR;
	if (!w->error) {
		memcpy(w->table + w->tlen, entry, n);
		w->tlen += n;
	}
}

/* Write the block filled so far, its sum after it; its table entry is made by the caller. */
static void flush_block(wr *w)
{
	uint8_t s[SUM_LEN];

	if (w->error)
		return;
	sum(s, w->buf, w->len);
	if ((w->error = svd_outfile_write(&w->o, w->buf, w->len)) == 0 &&
	    (w->error = svd_outfile_write(&w->o, s, SUM_LEN)) == 0)
		w->at += w->len + SUM_LEN;
}

static void close_records(wr *w)
{
	uint8_t e[TABLE_BLOCK];

	put64(e, w->at);
	put32(e + 8, (uint32_t)w->len);
	put32(e + 12, w->nrec);
	flush_block(w);
	table_add(w, e, sizeof(e));
	w->len = 0;
	w->nrec = 0;
}

/* 1 when path holds the list of this commit and trust list (its head alone is checked). */
static int current(const char *path, const uint8_t trust[32], const uint8_t commit[20])
{
	uint8_t head[HEAD_LEN], s[SUM_LEN];
	int fd = open(path, O_RDONLY | O_CLOEXEC), ok;

	if (fd < 0)
		return 0;
	ok = pread(fd, head, HEAD_LEN, 0) == HEAD_LEN;
	close(fd);
	sum(s, head, HEAD_BODY);
	return ok && !memcmp(head, MAGIC, 8) && head[8] == SVD_VIEW_SIGNATURES &&
	       !memcmp(head + 12, trust, 32) && !memcmp(head + 44, commit, 20) &&
	       !sodium_memcmp(s, head + HEAD_BODY, SUM_LEN);
}

int svd_view_list_save(const char *path, const svd_view *v, const uint8_t trust[32],
                       const uint8_t commit[20])
{
	wr w = {0};
	size_t i, n = svd_view_size(v), nblocks;
	uint8_t head[HEAD_LEN];
	uint64_t toff;

	if (current(path, trust, commit))
		return 0;
	if (n > UINT32_MAX)
		return svd_error_set(SVD_ETOOBIG, "a view of %zu items does not fit the list", n);
	if ((w.error = svd_outfile_open(&w.o, path)) < 0)
		return w.error;
	/* the umask must not narrow it: a daemon of the archive's group reads it too */
	if (fchmod(w.o.fd, 0644) < 0)
		w.error = svd_error_set(SVD_ERROR, "%s: cannot set its mode: %s", w.o.tmp,
		                        svd_ioerr(errno));
	memset(head, 0, sizeof(head));
	if (!w.error && (w.error = svd_outfile_write(&w.o, head, HEAD_LEN)) == 0)
		w.at = HEAD_LEN;
	for (i = 0; i < n && !w.error; i++) {
		svd_view_item buf, rbuf;
		const svd_view_item *it = svd_view_at(&buf, v, i);
		put_record(&w, it,
		           it->retracted_by ? svd_view_find(&rbuf, v, it->retracted_by) : NULL);
		if (w.len >= BLOCK_AIM)
			close_records(&w);
	}
	if (w.nrec)
		close_records(&w);
	nblocks = w.tlen / TABLE_BLOCK;
	/* the index: ids in order, with their places */
	for (i = 0; i < n && !w.error; i++) {
		uint32_t order = 0;
		svd_view_item buf;
		const svd_view_item *it = svd_view_by_id(&buf, v, i, &order);
		uint8_t b[4];
		if (w.nrec == 0) { /* a new block: its table entry, its first id */
			uint8_t e[TABLE_INDEX] = {0};
			put64(e, w.at);
			put32(e + 8, (uint32_t)(n - i < INDEX_N ? n - i : INDEX_N));
			if (!it || svd_hex_decode(e + 12, 32, it->id) < 0)
				w.error = svd_error_set(SVD_EINVALID, "not an item id in the view");
			table_add(&w, e, sizeof(e));
		}
		put_id(&w, it ? it->id : NULL);
		put32(b, order);
		put(&w, b, 4);
		if (++w.nrec == INDEX_N || i + 1 == n) {
			flush_block(&w);
			w.len = 0;
			w.nrec = 0;
		}
	}
	toff = w.at;
	if (!w.error) {
		uint8_t s[SUM_LEN];
		sum(s, w.table, w.tlen);
		if ((w.error = svd_outfile_write(&w.o, w.table, w.tlen)) == 0)
			w.error = svd_outfile_write(&w.o, s, SUM_LEN);
	}
	if (!w.error) {
		memcpy(head, MAGIC, 8);
		head[8] = SVD_VIEW_SIGNATURES;
		memcpy(head + 12, trust, 32);
		memcpy(head + 44, commit, 20);
		put32(head + 64, (uint32_t)n);
		put32(head + 68, (uint32_t)svd_view_count(v));
		put32(head + 72, (uint32_t)nblocks);
		put32(head + 76, (uint32_t)((w.tlen - nblocks * TABLE_BLOCK) / TABLE_INDEX));
		put64(head + 80, toff);
		put32(head + 88, (uint32_t)w.tlen);
		memcpy(head + 92, svd_view_trust_date(v), strnlen(svd_view_trust_date(v), 20));
		sum(head + HEAD_BODY, head, HEAD_BODY);
		if (pwrite(w.o.fd, head, HEAD_LEN, 0) != HEAD_LEN)
			w.error = svd_error_set(SVD_ERROR, "%s: cannot write: %s", w.o.tmp,
			                        svd_ioerr(errno));
	}
	if (!w.error)
		w.error = svd_outfile_commit(&w.o);
	else
		svd_outfile_abort(&w.o);
	free(w.buf);
	free(w.table);
	return w.error;
}

/* ---- reading ---- */

/* A NUL-padded field of n bytes into out (n + 1): printable ASCII, then NULs only. */
static int padded(char *out, const uint8_t *b, size_t n)
{
	size_t len = 0, i;

	while (len < n && b[len])
		len++;
	for (i = len; i < n; i++)
		if (b[i])
			return -1;
	for (i = 0; i < len; i++)
		if (b[i] < 0x20 || b[i] > 0x7e)
			return -1;
	memcpy(out, b, len);
	out[len] = '\0';
	return 0;
}

static int padded_ok(const uint8_t *b)
{
	char scratch[DATE_LEN + 1];

	return padded(scratch, b, DATE_LEN);
}

typedef struct blk {
	uint64_t off;
	uint32_t len, nrec, first; /* first: the place of its first record */
} blk;

typedef struct iblk {
	uint64_t off;
	uint32_t n;
	uint8_t first[32];
} iblk;

struct svd_view_list {
	int fd;
	char *path; /* removed when found damaged; NULL for none */
	uint32_t size, count, nblocks, niblocks;
	char trust_date[DATE_LEN + 1];
	blk *blk;
	iblk *iblk;
	uint8_t *buf; /* the record block loaded */
	size_t cap;
	uint32_t cur; /* its number, or UINT32_MAX */
	uint32_t seq, seq_rec;
	size_t seq_off; /* svd_view_list_next: block, record and byte in it */
	svd_view_item item, ritem;
	int has_ritem;
	char ids[5][SVD_ID_HEX_LEN + 1], date[11], created[21], rcreated[21];
};

static int damaged(svd_view_list *l, const char *what)
{
	if (l->path)
		unlink(l->path); /* best effort: the next view of main writes it again */
	return svd_error_set(SVD_ECORRUPT, "the list cache is damaged (%s); it is made again",
	                     what);
}

static int read_at(svd_view_list *l, uint8_t *b, size_t n, uint64_t off)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = pread(l->fd, b + got, n - got, (off_t)(off + got));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return damaged(l, r < 0 ? svd_ioerr(errno) : "cut short");
		got += (size_t)r;
	}
	return 0;
}

/* Read n bytes at off and the sum after them into l->buf (grown), checking the sum. */
static int read_block(svd_view_list *l, size_t n, uint64_t off)
{
	uint8_t s[SUM_LEN];
	int error;

	if (n + SUM_LEN > l->cap) {
		uint8_t *b = realloc(l->buf, n + SUM_LEN);
		if (!b)
			return svd_error_set(SVD_ERROR, "out of memory");
		l->buf = b;
		l->cap = n + SUM_LEN;
	}
	l->cur = UINT32_MAX;
	if ((error = read_at(l, l->buf, n + SUM_LEN, off)) < 0)
		return error;
	sum(s, l->buf, n);
	if (sodium_memcmp(s, l->buf + n, SUM_LEN))
		return damaged(l, "a block's sum does not match");
	return 0;
}

static int load(svd_view_list *l, uint32_t b)
{
	int error;

	if (l->cur == b)
		return 0;
	if ((error = read_block(l, l->blk[b].len, l->blk[b].off)) == 0)
		l->cur = b;
	return error;
}

int svd_view_list_open_fd(svd_view_list **out, int fd, const uint8_t trust[32],
                          const uint8_t commit[20])
{
	svd_view_list *l = calloc(1, sizeof(*l));
	uint8_t head[HEAD_LEN], s[SUM_LEN], *t = NULL;
	uint64_t toff, at = HEAD_LEN, recs = 0;
	uint32_t tlen, i;
	struct stat st;
	int error = 0;

	*out = NULL;
	if (!l)
		return svd_error_set(SVD_ERROR, "out of memory");
	l->fd = fd;
	l->cur = UINT32_MAX;
	if ((error = read_at(l, head, HEAD_LEN, 0)) < 0)
		goto fail;
	sum(s, head, HEAD_BODY);
	if (memcmp(head, MAGIC, 8) || sodium_memcmp(s, head + HEAD_BODY, SUM_LEN) ||
	    head[9] | head[10] | head[11]) {
		error = damaged(l, "its head");
		goto fail;
	}
	if (head[8] != SVD_VIEW_SIGNATURES || (trust && memcmp(head + 12, trust, 32)) ||
	    (commit && memcmp(head + 44, commit, 20))) {
		error = svd_error_set(SVD_ENOTFOUND, "the list cache is of another commit");
		goto fail;
	}
	l->size = get32(head + 64);
	l->count = get32(head + 68);
	l->nblocks = get32(head + 72);
	l->niblocks = get32(head + 76);
	toff = get64(head + 80);
	tlen = get32(head + 88);
	if (fstat(fd, &st) < 0 || l->count > l->size || l->nblocks > l->size ||
	    l->niblocks != ((uint64_t)l->size + INDEX_N - 1) / INDEX_N || tlen > TABLE_MAX ||
	    (uint64_t)tlen !=
	        (uint64_t)l->nblocks * TABLE_BLOCK + (uint64_t)l->niblocks * TABLE_INDEX ||
	    toff > (uint64_t)st.st_size ||
	    (uint64_t)st.st_size - toff != (uint64_t)tlen + SUM_LEN ||
	    (l->size > 0) != (l->nblocks > 0) || padded_ok(head + 92) < 0) {
		error = damaged(l, "its head");
		goto fail;
	}
	memcpy(l->trust_date, head + 92, DATE_LEN);
	if (!(t = malloc((size_t)tlen + SUM_LEN)) ||
	    !(l->blk = calloc(l->nblocks + 1, sizeof(*l->blk))) ||
	    !(l->iblk = calloc(l->niblocks + 1, sizeof(*l->iblk)))) {
		error = svd_error_set(SVD_ERROR, "out of memory");
		goto fail;
	}
	if ((error = read_at(l, t, (size_t)tlen + SUM_LEN, toff)) < 0)
		goto fail;
	sum(s, t, tlen);
	if (sodium_memcmp(s, t + tlen, SUM_LEN)) {
		error = damaged(l, "its table");
		goto fail;
	}
	/* the blocks follow one another with no gap, and their counts add up */
	for (i = 0; i < l->nblocks; i++) {
		const uint8_t *e = t + (size_t)i * TABLE_BLOCK;
		blk *b = &l->blk[i];
		b->off = get64(e);
		b->len = get32(e + 8);
		b->nrec = get32(e + 12);
		b->first = (uint32_t)recs;
		recs += b->nrec;
		if (b->off != at || b->len == 0 || b->len > BLOCK_MAX || b->nrec == 0 ||
		    recs > l->size) {
			error = damaged(l, "its table");
			goto fail;
		}
		at += (uint64_t)b->len + SUM_LEN;
	}
	for (i = 0; i < l->niblocks; i++) {
		const uint8_t *e = t + (size_t)l->nblocks * TABLE_BLOCK + (size_t)i * TABLE_INDEX;
		iblk *b = &l->iblk[i];
		b->off = get64(e);
		b->n = get32(e + 8);
		memcpy(b->first, e + 12, 32);
		if (b->off != at ||
		    b->n != (i + 1 < l->niblocks ? INDEX_N : l->size - i * INDEX_N) ||
		    (i && memcmp(l->iblk[i - 1].first, b->first, 32) >= 0)) {
			error = damaged(l, "its table");
			goto fail;
		}
		at += (uint64_t)b->n * ENTRY_LEN + SUM_LEN;
	}
	if (recs != l->size || at != toff) {
		error = damaged(l, "its table");
		goto fail;
	}
	free(t);
	*out = l;
	return 0;
fail:
	free(t);
	svd_view_list_free(l);
	return error;
}

static void hex(char *out, const uint8_t *b)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < 32; i++) {
		out[2 * i] = digits[b[i] >> 4];
		out[2 * i + 1] = digits[b[i] & 15];
	}
	out[64] = '\0';
}

/* The parse of one block's records, from r. */
typedef struct rp {
	svd_rd r;
} rp;

/* Eight bytes at b: 1 when each is printable ASCII (0x20 to 0x7e). */
static int printable8(const uint8_t *b)
{
	const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
	uint64_t w, del;

	memcpy(&w, b, 8);
	del = w ^ (0x7f * ones);
	/* no high bit, no byte below 0x20 (w - 0x20 borrows), no 0x7f (del has a zero) */
	return !(w & highs) && !((w - 0x20 * ones) & ~w & highs) && !((del - ones) & ~del & highs);
}

/*
 * n bytes of b: text (1) is UTF-8 without a control character but U+001F;
 * else printable ASCII. Printable ASCII eight bytes at a time, two-byte
 * sequences (Cyrillic, Greek, accented Latin) in line, the rest through
 * the library's one decoder.
 */
static int valid_text(const uint8_t *b, size_t n, int text)
{
	size_t i = 0, used;

	while (i < n) {
		unsigned c;
		while (i + 8 <= n && printable8(b + i))
			i += 8;
		if (i == n)
			break;
		c = b[i];
		if (c >= 0x20 && c < 0x7f) {
			i++;
			continue;
		}
		if (!text || c == 0x7f || (c < 0x20 && c != SVD_VIEW_LIST_END))
			return 0;
		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xC2 && c <= 0xDF && i + 1 < n && (b[i + 1] & 0xC0) == 0x80) {
			i += 2;
			continue;
		}
		/* a real U+FFFD is three bytes long */
		if (svd_utf8_next((const char *)b + i, n - i, &used) == 0xFFFD && used == 1)
			return 0;
		i += used;
	}
	return 1;
}

/*
 * A string of lenbytes' length, then its NUL, read in place (valid while
 * the block is loaded); text as valid_text() says.
 */
static const char *take_str(rp *p, unsigned lenbytes, int text)
{
	const uint8_t *b;
	uint32_t n;

	if (svd_rd_take(&p->r, &b, lenbytes) < 0)
		return NULL;
	n = lenbytes == 1 ? b[0] : lenbytes == 2 ? get16(b) : get32(b);
	if (svd_rd_take(&p->r, &b, (size_t)n + 1) < 0 || b[n] != 0 || !valid_text(b, n, text))
		return NULL;
	return (const char *)b;
}

static const char *take_id(rp *p, char *out)
{
	const uint8_t *b;

	if (svd_rd_take(&p->r, &b, 32) < 0)
		return NULL;
	hex(out, b);
	return out;
}

/* The record at p into l->item (and l->ritem); -1 when it does not parse. */
static int parse_record(svd_view_list *l, rp *p)
{
	svd_view_item *it = &l->item;
	const uint8_t *b;
	unsigned flags;

	memset(it, 0, sizeof(*it));
	memset(&l->ritem, 0, sizeof(l->ritem));
	l->has_ritem = 0;
	if (!(it->id = take_id(p, l->ids[0])) || svd_rd_take(&p->r, &b, 34) < 0)
		return -1;
	flags = get16(b + 2);
	if (b[0] > SVD_VIEW_STATEMENT || b[1] > SVD_KIND_CHECKPOINT || flags & ~(unsigned)F_ALL ||
	    (flags & F_RITEM && !(flags & F_RETBY)) || padded(l->date, b + 4, 10) < 0 ||
	    padded(l->created, b + 14, 20) < 0)
		return -1;
	it->state = (svd_view_state)b[0];
	it->kind = (svd_kind)b[1];
	it->date = l->date;
	it->created = l->created;
	if ((flags & F_SUP && !(it->supersedes = take_id(p, l->ids[1]))) ||
	    (flags & F_RET && !(it->retracts = take_id(p, l->ids[2]))) ||
	    (flags & F_RETBY && !(it->retracted_by = take_id(p, l->ids[3]))) ||
	    (flags & F_SUPBY && !(it->superseded_by = take_id(p, l->ids[4]))))
		return -1;
	if (!(it->title = take_str(p, 2, 1)) || !(it->lang = take_str(p, 1, 1)) ||
	    !(it->signers = take_str(p, 2, 0)) ||
	    (flags & F_WHY && !(it->why = take_str(p, 2, 1))) ||
	    (flags & F_NOTE && !(it->note = take_str(p, 2, 1))) ||
	    (flags & F_REGION && !(it->region = take_str(p, 2, 1))) ||
	    (flags & F_SOURCE && !(it->source = take_str(p, 2, 1))) ||
	    !(it->authors = take_str(p, 4, 1)) || !(it->tags = take_str(p, 4, 1)))
		return -1;
	if (flags & F_RITEM) {
		const char *c = take_str(p, 1, 0);
		if (!c || strlen(c) > 20 || !(l->ritem.signers = take_str(p, 2, 0)))
			return -1;
		memcpy(l->rcreated, c, strlen(c) + 1);
		l->ritem.id = it->retracted_by;
		l->ritem.created = l->rcreated;
		l->ritem.title = l->ritem.lang = l->ritem.date = "";
		l->ritem.authors = l->ritem.tags = "";
		l->ritem.kind = SVD_KIND_RETRACTION;
		l->has_ritem = 1;
	}
	return 0;
}

/*
 * Record k (0-based) of the loaded block b into l->item. Every record of a
 * block before it is parsed too (a block holds some hundreds): a record
 * that does not parse anywhere in the block refuses the block.
 */
static int record_in(svd_view_list *l, uint32_t b, uint32_t k)
{
	rp p = {.r = {.p = l->buf, .left = l->blk[b].len}};
	uint32_t i;

	for (i = 0; i <= k; i++) {
		if (parse_record(l, &p) < 0)
			return damaged(l, "a record does not read");
	}
	return 0;
}

int svd_view_list_next(svd_view_list *l, const svd_view_item **it)
{
	rp p;
	int error;

	*it = NULL;
	if (l->seq >= l->nblocks)
		return 0;
	if ((error = load(l, l->seq)) < 0)
		return error;
	p.r.p = l->buf + l->seq_off;
	p.r.left = l->blk[l->seq].len - l->seq_off;
	if (parse_record(l, &p) < 0)
		return damaged(l, "a record does not read");
	if (++l->seq_rec == l->blk[l->seq].nrec) {
		if (p.r.left != 0)
			return damaged(l, "a block holds more than its records");
		l->seq++;
		l->seq_rec = 0;
		l->seq_off = 0;
	} else {
		l->seq_off = l->blk[l->seq].len - p.r.left;
	}
	*it = &l->item;
	return 1;
}

int svd_view_list_find(svd_view_list *l, const char *id, const svd_view_item **it)
{
	uint8_t want[32], *e;
	size_t lo = 0, hi, n;
	uint32_t order, b;
	const iblk *ib;
	int error;

	*it = NULL;
	if (l->niblocks == 0 || strlen(id) != SVD_ID_HEX_LEN || svd_hex_decode(want, 32, id) < 0)
		return 0;
	/* the last index block whose first id is not after it */
	hi = l->niblocks;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (memcmp(l->iblk[mid].first, want, 32) <= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return 0;
	ib = &l->iblk[lo - 1];
	n = ib->n;
	if ((error = read_block(l, n * ENTRY_LEN, ib->off)) < 0)
		return error;
	e = l->buf;
	if (memcmp(e, ib->first, 32))
		return damaged(l, "an index block");
	for (size_t i = 1; i < n; i++)
		if (memcmp(e + (i - 1) * ENTRY_LEN, e + i * ENTRY_LEN, 32) >= 0)
			return damaged(l, "an index block");
	lo = 0;
	hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int d = memcmp(e + mid * ENTRY_LEN, want, 32);
		if (d == 0) {
			lo = mid;
			break;
		}
		if (d < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo >= n || memcmp(e + lo * ENTRY_LEN, want, 32))
		return 0;
	if ((order = get32(e + lo * ENTRY_LEN + 32)) >= l->size)
		return damaged(l, "an index entry");
	/* the record block holding that place */
	lo = 0;
	hi = l->nblocks;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (l->blk[mid].first <= order)
			lo = mid + 1;
		else
			hi = mid;
	}
	b = (uint32_t)lo - 1;
	if ((error = load(l, b)) < 0 || (error = record_in(l, b, order - l->blk[b].first)) < 0)
		return error;
	if (strcmp(l->item.id, id))
		return damaged(l, "an index entry");
	*it = &l->item;
	return 1;
}

const svd_view_item *svd_view_list_retraction(const svd_view_list *l)
{
	return l->has_ritem ? &l->ritem : NULL;
}

size_t svd_view_list_size(const svd_view_list *l)
{
	return l->size;
}

size_t svd_view_list_count(const svd_view_list *l)
{
	return l->count;
}

const char *svd_view_list_trust_date(const svd_view_list *l)
{
	return l->trust_date;
}

void svd_view_list_free(svd_view_list *l)
{
	if (!l)
		return;
	if (l->path && l->fd >= 0)
		close(l->fd); /* opened by svd_view_list_open */
	free(l->path);
	free(l->blk);
	free(l->iblk);
	free(l->buf);
	free(l);
}

int svd_view_list_open(svd_view_list **out, svd_archive *a)
{
	char *path = svd_archive_place_path(a->path, SVD_PLACE_CACHE, "list", 0);
	uint8_t print[32];
	git_oid oid;
	int fd, error;

	*out = NULL;
	if (!path)
		return svd_error_set(SVD_ERROR, "out of memory");
	if ((error = svd_store_head_oid(&oid, a->repo)) < 0) {
		free(path);
		return error; /* no commit: no list (an empty view costs nothing) */
	}
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		error = svd_error_set(errno == ENOENT ? SVD_ENOTFOUND : SVD_ERROR,
		                      "%s: cannot open: %s", path, svd_ioerr(errno));
		free(path);
		return error;
	}
	svd_view_list_print(print, a->trust);
	if ((error = svd_view_list_open_fd(out, fd, print, oid.id)) < 0) {
		if (error == SVD_ECORRUPT)
			unlink(path);
		close(fd);
		free(path);
		return error;
	}
	(*out)->path = path;
	return 0;
}
