/*
 * bundle_read.c: reading a bundle that may be damaged or hostile (SPEC.md,
 * 9.7), for inspect and extract here and for the import through a sink
 * (bundle_sink.h, import.c).
 *
 * The file is taken apart frame by frame: each zstd frame is decompressed
 * on its own, under a window limit and an output cap, and its content is
 * handed to libarchive (tar only) followed by a synthetic end-of-archive
 * marker, so that every frame parses as a tar stream by itself. Entries are
 * read in memory and grouped into items; each item's files stream to a
 * sink as they are read, and the finished item goes through the gate (the
 * sink's, or the reader's with a trust list) and then to the sink: the
 * import's staging, extract's folder, or nothing for inspect. A frame that
 * fails in any way is reported as damaged and costs only its own items;
 * reading goes on at the next frame, from the index or by scanning for
 * frame magic.
 */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <sodium.h>
#include <zlib.h>
#include <zstd.h>

#include "samvydav/bundle.h"
#include "samvydav/manifest.h"
#include "samvydav/key.h"
#include "samvydav/sig.h"
#include "bundle_internal.h"
#include "bundle_sink.h"
#include "canon.h"
#include "extract_writer.h"
#include "library_paths.h"
#include "sha256.h"
#include "util.h"

#define ZSTD_MAGIC      0xFD2FB528u
#define SKIP_MAGIC_MASK 0xFFFFFFF0u
#define SKIP_MAGIC      0x184D2A50u
#define IN_CHUNK        (128 * 1024)
#define MAX_FRAMES      (16u * 1024 * 1024)

/* One frame: where it is, and what the index says of it (0 when unknown). */
typedef struct frame {
	uint64_t offset, clen, ulen;
	uint32_t first_item, item_count;
} frame;

/* One entry of the item being read. */
typedef struct rentry {
	char *path; /* relative to the item: "body.md", "sig/K.minisig" */
	svd_entry_type type;
	uint64_t size;
	uint8_t sha256[32];
	char *data; /* manifest.json and sig files, when within their caps */
} rentry;

/*
 * A second reading of each frame's tar stream, header by header, as it
 * goes by on its way to libarchive, made the way stock tar (GNU tar 1.34,
 * libarchive) reads names and entry boundaries (SPEC 9.7):
 *
 * - an entry's name comes from a pax 'x' header's GNU.sparse.name, which
 *   wins over its path whatever their order, else its path, else a GNU 'L'
 *   header, else the ustar fields; every one of these readers cuts a name
 *   at a NUL byte, so "body.md\0.exe" would reach us as "body.md". The NUL
 *   rule is applied here to every name record an entry carries (path,
 *   linkpath, GNU.sparse.name, 'L', 'K'), so whichever of them names the
 *   entry, a NUL in it refuses the entry.
 * - the data that follows a header is as long as a pax size record says,
 *   else its size field; links, folders and devices have none.
 *
 * Each entry is noted with the offset of its first header, and libarchive
 * must give the same entries at the same offsets (tar_agree()), so the two
 * readings cannot drift apart without the frame being damaged. Headers
 * that tar readers read differently make the frame unreadable (bad): a pax
 * global header (GNU tar applies it to every later entry, libarchive
 * ignores it), vendor types (volume, sparse, ACL, multi-volume...), pax
 * sparse records, a malformed pax size, a link or device that carries
 * data, a ustar magic other than POSIX's "ustar\0" "00" and old GNU's
 * "ustar  \0" (GNU tar reads the prefix after the one, libarchive after
 * any "ustar"; with no "ustar" at all, a V7 header, neither does). Bytes
 * that are not zeros after a zero block, which ends the stream for both,
 * are noted (past_end) and reported. A name given by
 * two headers (a pax header and a GNU one, or two of a kind), which GNU tar
 * and libarchive resolve differently, refuses the entry.
 */
#define TS_META_MAX  (64 * 1024) /* pax or GNU name data looked into */
#define TS_QUEUE_MAX 8192        /* entries the scan may be ahead of libarchive */

typedef struct tsent {
	uint64_t start;  /* where its first header begins in the frame's content */
	const char *why; /* why the entry is refused, or NULL */
} tsent;

typedef struct tscan {
	uint8_t hdr[512];
	size_t hlen;   /* bytes of the header being gathered */
	uint64_t at;   /* content bytes seen */
	uint64_t skip; /* data and padding still to pass over */
	int meta;      /* the data being passed over is a pax or GNU name record */
	char meta_type;
	uint8_t *mbuf; /* TS_META_MAX bytes */
	size_t mlen;
	uint64_t meta_size;
	/* the entry whose headers are being read */
	int in_entry;
	uint64_t entry_start;
	unsigned npax, nlong, nlink;
	int has_size; /* a pax size record gives its data's length */
	uint64_t size;
	const char *why;
	int ended;       /* a zero block: the tar stream's end */
	int past_end;    /* bytes that are not zero after it */
	const char *bad; /* what makes the frame unreadable, or NULL */
	tsent *q;        /* entries read here and not yet by libarchive */
	size_t qhead, qlen;
} tscan;

static uint64_t tar_size(const uint8_t *h)
{
	const uint8_t *f = h + 124;
	uint64_t v = 0;
	size_t i = 0;

	if (f[0] & 0x80) {
		/* base-256, for sizes beyond 8 GiB: the value in the remaining bytes */
		for (i = 1; i < 12; i++)
			v = v << 8 | f[i];
		return v;
	}
	while (i < 12 && (f[i] == ' ' || f[i] == '\t')) /* as tar readers skip them */
		i++;
	for (; i < 12 && f[i] >= '0' && f[i] <= '7'; i++)
		v = v * 8 + (uint64_t)(f[i] - '0');
	return v;
}

/* Is key (klen bytes) the name given? */
static int key_is(const uint8_t *key, size_t klen, const char *name)
{
	return klen == strlen(name) && !memcmp(key, name, klen);
}

/*
 * The records of a pax header, for the entry they belong to: a NUL in a
 * name refuses it; a size record sets its data's length.
 */
static void ts_pax(tscan *ts)
{
	const uint8_t *p = ts->mbuf, *end = ts->mbuf + ts->mlen;

	while (p < end) {
		/* "<len> <key>=<value>\n", len counting the whole record */
		size_t len = 0, klen, vlen, i;
		const uint8_t *q = p, *eq, *v;
		while (q < end && *q >= '0' && *q <= '9' && len < TS_META_MAX)
			len = len * 10 + (size_t)(*q++ - '0');
		if (len == 0 || len > (size_t)(end - p) || q >= end || *q != ' ' ||
		    p[len - 1] != '\n' || !(eq = memchr(q, '=', (size_t)(p + len - q)))) {
			ts->why = "a malformed pax header";
			return;
		}
		klen = (size_t)(eq - q - 1);
		v = eq + 1;
		vlen = (size_t)(p + len - 1 - v);
		if ((key_is(q + 1, klen, "path") || key_is(q + 1, klen, "linkpath") ||
		     key_is(q + 1, klen, "GNU.sparse.name")) &&
		    memchr(v, 0, vlen))
			ts->why = "a name with a NUL byte";
		/* sparse files, which bundles never hold: each reader expands them its own way */
		if ((klen > 11 && !memcmp(q + 1, "GNU.sparse.", 11) &&
		     !key_is(q + 1, klen, "GNU.sparse.name")) ||
		    key_is(q + 1, klen, "SCHILY.realsize")) {
			ts->bad =
			    "a pax sparse record (GNU.sparse.*, SCHILY.realsize), which bundles "
			    "never hold (tar readers expand a sparse file each their own way)";
			return;
		}
		if (key_is(q + 1, klen, "size")) {
			uint64_t n = 0;
			for (i = 0; i < vlen && i < 18 && v[i] >= '0' && v[i] <= '9'; i++)
				n = n * 10 + (uint64_t)(v[i] - '0');
			if (vlen == 0 || i != vlen) {
				ts->bad = "a pax size that is not a plain number (tar readers "
				          "disagree on where its entry ends)";
				return;
			}
			ts->has_size = 1;
			ts->size = n;
		}
		p += len;
	}
}

/* The record being passed over is whole: what it says of its entry. */
static void ts_meta_end(tscan *ts)
{
	const uint8_t *p = ts->mbuf;
	size_t n = ts->mlen;

	ts->meta = 0;
	if (ts->meta_size > TS_META_MAX) {
		/* far beyond any name we take, and its records are not all seen */
		ts->bad = "a pax or GNU name header over 64 KiB";
		return;
	}
	if (ts->meta_type == 'x' || ts->meta_type == 'X') {
		ts_pax(ts);
		return;
	}
	/* 'L' or 'K': the name, then its terminating NUL */
	while (n > 0 && p[n - 1] == 0)
		n--;
	if (memchr(p, 0, n))
		ts->why = "a name with a NUL byte";
}

static void ts_push(tscan *ts)
{
	if (ts->qhead == ts->qlen)
		ts->qhead = ts->qlen = 0;
	if (ts->qlen == TS_QUEUE_MAX && ts->qhead > 0) {
		memmove(ts->q, ts->q + ts->qhead, (ts->qlen - ts->qhead) * sizeof(*ts->q));
		ts->qlen -= ts->qhead;
		ts->qhead = 0;
	}
	if (ts->qlen == TS_QUEUE_MAX) {
		ts->bad = "more tar entries in a row than can be checked";
		return;
	}
	ts->q[ts->qlen].start = ts->entry_start;
	ts->q[ts->qlen].why = ts->why;
	ts->qlen++;
}

static void ts_header(tscan *ts)
{
	size_t i;
	int posix;
	char type = (char)ts->hdr[156];
	uint64_t size = tar_size(ts->hdr);

	for (i = 0; i < 512 && ts->hdr[i] == 0; i++)
		;
	if (i == 512) {
		ts->ended = 1;
		return;
	}
	/* GNU tar takes the ustar prefix only after "ustar\0", libarchive after any
	 * "ustar" but old GNU's "ustar  \0": the two would name the entry apart */
	posix = !memcmp(ts->hdr + 257, "ustar\0", 6) && !memcmp(ts->hdr + 263, "00", 2);
	if (!memcmp(ts->hdr + 257, "ustar", 5) && !posix && memcmp(ts->hdr + 257, "ustar  \0", 8)) {
		ts->bad =
		    "a tar header whose magic is neither POSIX's \"ustar\\0\" \"00\" nor old "
		    "GNU's \"ustar  \\0\" (tar readers disagree on whether its prefix is part "
		    "of the name)";
		return;
	}
	if (!ts->in_entry) {
		ts->in_entry = 1;
		ts->entry_start = ts->at - 512;
		ts->npax = ts->nlong = ts->nlink = 0;
		ts->has_size = 0;
		ts->why = NULL;
	}
	switch (type) {
	case 'x':
	case 'X': /* Solaris' pax header: both readers take it as 'x' */
	case 'L':
	case 'K':
		ts->npax += type == 'x' || type == 'X';
		ts->nlong += type == 'L';
		ts->nlink += type == 'K';
		ts->meta = 1;
		ts->meta_type = type;
		ts->meta_size = size;
		ts->mlen = 0;
		ts->skip = (size + 511) / 512 * 512;
		if (ts->skip == 0)
			ts_meta_end(ts);
		return;
	case '0':
	case '\0':
	case '7':
		ts->skip = ts->has_size ? ts->size : size;
		break;
	case '1':
	case '2':
	case '3':
	case '4':
	case '5':
	case '6':
		/* libarchive reads no data after these, GNU tar may: they carry none */
		if (size || (ts->has_size && ts->size))
			ts->bad = "a link, folder or device entry that carries data (tar readers "
			          "disagree on where it ends)";
		ts->skip = 0;
		break;
	case 'g':
		ts->bad = "a pax global header, which bundles never hold (GNU tar applies it to "
		          "every later entry, libarchive ignores it)";
		return;
	default:
		ts->bad = "a tar header of a type bundles never hold (a volume, sparse or "
		          "vendor header, which tar readers read differently)";
		return;
	}
	ts->skip = (ts->skip + 511) / 512 * 512;
	if (ts->npax > 1 || ts->nlong > 1 || ts->nlink > 1 || (ts->npax && ts->nlong + ts->nlink))
		ts->why = "a name given by more than one header (tar readers differ on which "
		          "one names the entry)";
	ts->in_entry = 0;
	ts_push(ts);
}

static void ts_feed(tscan *ts, const uint8_t *p, size_t n)
{
	while (n > 0 && !ts->ended && !ts->bad) {
		if (ts->skip > 0) {
			size_t take = ts->skip < n ? (size_t)ts->skip : n;
			if (ts->meta) {
				size_t want = ts->meta_size > ts->mlen
				                  ? (size_t)(ts->meta_size - ts->mlen)
				                  : 0;
				size_t keep = take < want ? take : want;
				if (ts->mlen + keep > TS_META_MAX)
					keep = TS_META_MAX - ts->mlen;
				memcpy(ts->mbuf + ts->mlen, p, keep);
				ts->mlen += keep;
			}
			ts->skip -= take;
			ts->at += take;
			p += take;
			n -= take;
			if (ts->skip == 0 && ts->meta)
				ts_meta_end(ts);
			continue;
		}
		{
			size_t take = 512 - ts->hlen < n ? 512 - ts->hlen : n;
			memcpy(ts->hdr + ts->hlen, p, take);
			ts->hlen += take;
			ts->at += take;
			p += take;
			n -= take;
			if (ts->hlen == 512) {
				ts->hlen = 0;
				ts_header(ts);
			}
		}
	}
	/* what stock tar never reads: GNU tar stops at the zero block, libarchive too */
	for (; n > 0 && ts->ended && !ts->past_end; p++, n--)
		ts->past_end = *p != 0;
}

/*
 * libarchive gave an entry whose headers begin at pos: it must be the next
 * one read here. *why is the reason to refuse it (or NULL); returns -1
 * when the two readings disagree, with *why saying how.
 */
static int ts_take(tscan *ts, uint64_t pos, const char **why)
{
	*why = NULL;
	if (ts->qhead < ts->qlen && ts->q[ts->qhead].start == pos) {
		*why = ts->q[ts->qhead++].why;
		return 0;
	}
	*why = ts->bad ? ts->bad
	               : "tar readers disagree on where an entry begins (a header or "
	                 "size that stock tar and this reader take differently)";
	return -1;
}

/* libarchive is at the tar end: no entry read here may be left over. */
static const char *ts_done(const tscan *ts)
{
	if (ts->bad)
		return ts->bad;
	if (ts->qhead < ts->qlen || ts->in_entry)
		return "tar readers disagree on where the tar stream ends (an entry that "
		       "stock tar reads and this reader does not)";
	return NULL;
}

/* Does the frame end in the middle of an entry? */
static int ts_cut(const tscan *ts)
{
	return !ts->ended && !ts->bad && (ts->hlen > 0 || ts->skip > 0 || ts->in_entry);
}

static void ts_reset(tscan *ts)
{
	uint8_t *mbuf = ts->mbuf;
	tsent *q = ts->q;

	memset(ts, 0, sizeof(*ts));
	ts->mbuf = mbuf;
	ts->q = q;
}

/*
 * Extract's sink: each item's files written to dir as they are read, by a
 * second thread (extract_writer.c), and kept or removed by the verdict.
 */
typedef struct extractor {
	const char *dir;  /* the folder that gets items/<xx>/<id>/ */
	svd_dw *dw;       /* the thread that writes the files */
	int in_part;      /* the current item's files are being written */
	char part[4200];  /* its folder */
	uint8_t fans[32]; /* which items/<xx> folders exist (a bit each) */
} extractor;

typedef struct reader {
	int fd;
	uint64_t size;          /* of the bundle: the plaintext's, when sealed */
	svd_unsealer *unsealer; /* reading a sealed file through it, or NULL */
	size_t sealed_damage;   /* damaged regions it reported */
	frame *frames;          /* from the index, or found while scanning */
	size_t nframes, capframes;
	uint32_t index_items;
	uint8_t (*meta_ids)[32]; /* BUNDLE.json's ids, sorted */
	size_t meta_count;
	uint8_t (*meta_updates)[32]; /* its signature updates (format 2), sorted */
	size_t meta_nupdates;
	int meta_seen;
	uint8_t *meta_read; /* per id of meta_ids, then of meta_updates: 1 once read */

	ZSTD_DCtx *dctx;
	uint8_t *in, *out, *data; /* file bytes; decompressed bytes for libarchive; entry bytes */
	size_t out_cap;
	/* the frame being read */
	uint64_t pos, end;        /* file position; where the frame must end (or file size) */
	uint64_t out_frame, ulen; /* decompressed so far; the index's content length, 0 unknown */
	uint64_t out_total, out_cap_total;
	ZSTD_inBuffer zin;
	size_t zin_size;
	int zdone, zfailed, tail_sent;
	uint64_t frame_cap; /* output this frame may give: a bomb is cut off here */
	tscan ts;
	uint64_t frame_start;
	uint64_t fcs; /* the content size its header declares, or ZSTD_CONTENTSIZE_UNKNOWN */
	char zerr[256];

	/* the item being read */
	char id[SVD_ID_HEX_LEN + 1];
	rentry *ents;
	size_t nents, capents;
	int bad_entry; /* a refused entry belongs to this item */
	char bad_path[160], bad_why[256];
	int update; /* it is a signature update (BUNDLE.json's "updates") */

	const svd_bundle_cbs *cbs;
	svd_bundle_stats *st;
	const svd_bundle_sink *sk;
	const svd_trust *trust; /* the reader's gate, for a sink without one */
	svd_extract_body *body; /* extract: where the callback finds body.md */
	size_t entries_seen;
	int stop; /* a callback asked to stop, or a fatal error */
	int fatal;
} reader;

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const uint8_t *p)
{
	return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

static int pread_all(reader *r, void *buf, size_t len, uint64_t off)
{
	uint8_t *p = buf;

	while (len > 0) {
		ssize_t n = r->unsealer ? svd_unseal_pread(r->unsealer, p, len, off)
		                        : pread(r->fd, p, len, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	return 0;
}

static void damage(reader *r, uint64_t offset, uint64_t length, const char *fmt, ...)
    SVD_PRINTF(4, 5);

static void damage(reader *r, uint64_t offset, uint64_t length, const char *fmt, ...)
{
	char what[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (r->cbs && r->cbs->damage)
		r->cbs->damage(offset, length, what, r->cbs->payload);
	if (r->sk->damage)
		r->sk->damage(r->sk->ctx, offset, length, what);
}

/*
 * The trailing index (SPEC 9.4): 1 when found and sound, 0 when there is
 * none, -1 when its end marker is there but the rest does not hold up. In
 * both of these cases the frames are found by scanning. -2: out of memory.
 */
static int read_index(reader *r)
{
	uint8_t foot[SVD_BUNDLE_INDEX_TAIL], head[8];
	uint8_t *body = NULL;
	uint64_t len, start, at = 0;
	uint32_t frames, items, i;
	int ok = -1;

	if (r->size < SVD_BUNDLE_INDEX_TAIL + 8 ||
	    pread_all(r, foot, SVD_BUNDLE_INDEX_TAIL, r->size - SVD_BUNDLE_INDEX_TAIL) < 0 ||
	    memcmp(foot + 8, SVD_BUNDLE_INDEX_END, 8))
		return 0;
	len = le32(foot + 4);
	if (len < SVD_BUNDLE_INDEX_HEAD || len > r->size - SVD_BUNDLE_INDEX_TAIL - 8)
		return -1;
	start = r->size - SVD_BUNDLE_INDEX_TAIL - len - 8; /* the skippable frame's header */
	if (pread_all(r, head, 8, start) < 0 || le32(head) != SVD_BUNDLE_INDEX_MAGIC ||
	    le32(head + 4) != len + SVD_BUNDLE_INDEX_TAIL)
		return -1;
	if (!(body = malloc(len)))
		return -2;
	if (pread_all(r, body, len, start + 8) < 0)
		goto done;
	if ((uint32_t)crc32(0L, body, (uInt)len) != le32(foot) ||
	    memcmp(body, SVD_BUNDLE_INDEX_TAG, 4) || le32(body + 4) != SVD_BUNDLE_INDEX_VERSION)
		goto done;
	frames = le32(body + 8);
	items = le32(body + 12);
	/* as many items as the bytes there hold: len is within the file */
	if (frames == 0 || frames > MAX_FRAMES ||
	    len != SVD_BUNDLE_INDEX_HEAD + (uint64_t)frames * SVD_BUNDLE_INDEX_FRAME +
	               (uint64_t)items * 32)
		goto done;
	if (!(r->frames = calloc(frames, sizeof(*r->frames)))) {
		ok = -2;
		goto done;
	}
	for (i = 0; i < frames; i++) {
		const uint8_t *f =
		    body + SVD_BUNDLE_INDEX_HEAD + (size_t)i * SVD_BUNDLE_INDEX_FRAME;
		frame *fr = &r->frames[i];
		fr->offset = le64(f);
		fr->clen = le64(f + 8);
		fr->ulen = le64(f + 16);
		fr->first_item = le32(f + 24);
		fr->item_count = le32(f + 28);
		/* frames tile the file from 0 to the index, and items tile the list */
		if (fr->offset != at || fr->clen == 0 || fr->clen > start - at ||
		    (uint64_t)fr->first_item + fr->item_count > items)
			goto done;
		at += fr->clen;
	}
	if (at != start)
		goto done;
	r->nframes = r->capframes = frames;
	r->index_items = items;
	ok = 1;
done:
	if (ok < 0) {
		free(r->frames);
		r->frames = NULL;
	}
	free(body);
	return ok;
}

#define FRAME_HEADER_MAX 18 /* magic, descriptor, window, dictionary id, content size */

/*
 * Where the zstd frame at off really ends, from its own structure (RFC
 * 8878, 3.1.1): its header, then each block's 3-byte header and length,
 * then the checksum, without decompressing anything. 0 with *end set; -1
 * when there is no sound frame at off before limit (damage, or no frame).
 */
static int frame_span(reader *r, uint64_t off, uint64_t limit, uint64_t *end)
{
	static const unsigned did_bytes[4] = {0, 1, 2, 4}, fcs_bytes[4] = {0, 2, 4, 8};
	uint8_t h[5];
	uint64_t at;
	unsigned fhd, single;
	int last = 0;

	if (limit < off + 5 || pread_all(r, h, 5, off) < 0 || le32(h) != ZSTD_MAGIC)
		return -1;
	fhd = h[4];
	single = fhd >> 5 & 1;
	if (fhd & 0x08) /* the reserved bit */
		return -1;
	at = off + 5 + !single + did_bytes[fhd & 3] +
	     (single && !(fhd >> 6) ? 1 : fcs_bytes[fhd >> 6]);
	while (!last) {
		uint32_t bh, type, size;
		if (limit < at + 3 || pread_all(r, h, 3, at) < 0)
			return -1;
		bh = (uint32_t)h[0] | (uint32_t)h[1] << 8 | (uint32_t)h[2] << 16;
		last = bh & 1;
		type = bh >> 1 & 3;
		size = bh >> 3;
		if (type == 3 || size > 128 * 1024) /* reserved; over the largest block */
			return -1;
		at += 3 + (type == 1 ? 1 : size);
	}
	at += fhd & 0x04 ? 4 : 0; /* the content checksum */
	if (at > limit)
		return -1;
	*end = at;
	return 0;
}

/* Is there a frame (zstd or skippable) at off? */
static int magic_at(reader *r, uint64_t off)
{
	uint8_t m[4];

	return pread_all(r, m, 4, off) == 0 &&
	       (le32(m) == ZSTD_MAGIC || (le32(m) & SKIP_MAGIC_MASK) == SKIP_MAGIC);
}

/*
 * Does the index agree with the frames themselves? An index with a sound
 * CRC may still lie about where frames begin and end (a writer's bug, or
 * on purpose); trusted, it would cost the items of frames it misplaces. It
 * is taken only when every frame it lists starts with the zstd magic and,
 * where the frame's structure can be followed, ends where it says; else
 * the reader scans the file as when there is no index (SPEC 9.4). What it
 * says a frame holds is checked as the frame is read (frame_whole()).
 *
 * A frame that is damaged is no lie, and costs only itself: the index is
 * kept when the frames around it bear out where the index puts it. A frame
 * without its magic is damaged when the frame before it ends right where
 * it should begin (or it is the first); a frame whose structure, followed,
 * ends elsewhere is damaged (a block header hit, leading the walk astray)
 * unless another frame begins where the walk ends, which the index would
 * have misplaced. NULL when the index agrees, else what does not.
 */
static const char *index_lies(reader *r, char *why, size_t len)
{
	uint64_t limit = r->frames[r->nframes - 1].offset + r->frames[r->nframes - 1].clen;
	uint64_t prev_end = 0; /* where the frame before ends, by its structure; 0 unknown */
	size_t k;

	for (k = 0; k < r->nframes; k++) {
		const frame *f = &r->frames[k];
		uint8_t m[4];
		uint64_t end, at = prev_end;

		prev_end = 0;
		if (pread_all(r, m, 4, f->offset) < 0 || le32(m) != ZSTD_MAGIC) {
			if (k > 0 && at != f->offset) {
				snprintf(why, len,
				         "frame %zu does not begin at byte %llu, where the index "
				         "puts it",
				         k, (unsigned long long)f->offset);
				return why;
			}
			continue;
		}
		if (frame_span(r, f->offset, limit, &end) == 0) {
			if (end != f->offset + f->clen && magic_at(r, end)) {
				snprintf(why, len,
				         "frame %zu ends at byte %llu, not at byte %llu as the "
				         "index says",
				         k, (unsigned long long)end,
				         (unsigned long long)(f->offset + f->clen));
				return why;
			}
			if (end != f->offset + f->clen)
				continue;
			prev_end = end;
		}
	}
	return NULL;
}

/* Start decompressing the frame at off, which must end by end. */
static void frame_begin(reader *r, uint64_t off, uint64_t end, uint64_t ulen)
{
	uint8_t head[FRAME_HEADER_MAX];
	size_t n = end - off < sizeof(head) ? (size_t)(end - off) : sizeof(head);

	ZSTD_DCtx_reset(r->dctx, ZSTD_reset_session_only);
	r->pos = off;
	r->frame_start = off;
	r->end = end;
	r->ulen = ulen;
	r->out_frame = 0;
	r->zin.src = r->in;
	r->zin.size = r->zin.pos = 0;
	r->zdone = r->zfailed = r->tail_sent = 0;
	r->zerr[0] = '\0';
	/* each frame has its own budget, so one bomb does not cost the frames after it */
	r->frame_cap = (end - off) * SVD_BUNDLE_RATIO_MAX + SVD_BUNDLE_SLACK;
	/* an unreadable header is zstd's to report as it decompresses */
	r->fcs = ZSTD_CONTENTSIZE_UNKNOWN;
	if (n > 0 && pread_all(r, head, n, off) == 0) {
		unsigned long long fcs = ZSTD_getFrameContentSize(head, n);
		if (fcs != ZSTD_CONTENTSIZE_ERROR)
			r->fcs = fcs;
	}
	ts_reset(&r->ts);
}

static ssize_t zfail(reader *r, const char *fmt, ...) SVD_PRINTF(2, 3);

static ssize_t zfail(reader *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->zerr, sizeof(r->zerr), fmt, ap);
	va_end(ap);
	r->zfailed = 1;
	return -1;
}

/*
 * How much content the frame being read really holds: it is decoded once
 * more, its output thrown away, with its header rewritten to declare no
 * size (and, for a single-segment frame, whose window is its declared size,
 * a window of the largest size we allow). Every libzstd refuses a frame
 * that holds more or less than it declares, but each version says so with
 * another error (dstSize_tooSmall, corruption_detected, ...) or at another
 * point; counting here lets the reader say what is wrong the same way
 * whatever libzstd it runs on. *found is what it gave; 0 when the frame
 * decoded whole, its checksum included, within the frame's output cap; -1
 * when it is damaged in some other way as well, with *why saying how (NULL
 * when it could not be tried).
 */
static int frame_measure(reader *r, uint64_t *found, const char **why)
{
	static const size_t did_bytes[4] = {0, 1, 2, 4}, fcs_bytes[4] = {0, 2, 4, 8};
	uint8_t head[FRAME_HEADER_MAX], fresh[FRAME_HEADER_MAX];
	uint8_t *in = NULL, *out = NULL;
	size_t n = r->end - r->frame_start < sizeof(head) ? (size_t)(r->end - r->frame_start)
	                                                  : sizeof(head);
	size_t hlen, flen, out_size = ZSTD_DStreamOutSize();
	uint64_t pos, total = 0;
	unsigned fhd, single;
	int ok = -1;

	*found = 0;
	*why = NULL;
	if (n < 6 || pread_all(r, head, n, r->frame_start) < 0 || le32(head) != ZSTD_MAGIC)
		return -1;
	fhd = head[4];
	single = fhd >> 5 & 1;
	if (fhd & 0x08) /* the reserved bit */
		return -1;
	hlen = 5 + !single + did_bytes[fhd & 3] + (single && !(fhd >> 6) ? 1 : fcs_bytes[fhd >> 6]);
	if (hlen > n)
		return -1;
	/* the same frame, declaring no content size: checksum and dictionary
	 * flags kept, then a window descriptor, then the dictionary id */
	memcpy(fresh, head, 4);
	fresh[4] = (uint8_t)(fhd & 0x07);
	fresh[5] = single ? (uint8_t)((SVD_BUNDLE_WINDOW_LOG_MAX - 10) << 3) : head[5];
	memcpy(fresh + 6, head + 5 + !single, did_bytes[fhd & 3]);
	flen = 6 + did_bytes[fhd & 3];
	if (!(in = malloc(IN_CHUNK)) || !(out = malloc(out_size)))
		goto done;
	ZSTD_DCtx_reset(r->dctx, ZSTD_reset_session_only);
	{
		ZSTD_inBuffer zin = {fresh, flen, 0};
		pos = r->frame_start + hlen;
		for (;;) {
			ZSTD_outBuffer zout = {out, out_size, 0};
			size_t ret;
			if (zin.pos == zin.size) {
				size_t want =
				    r->end - pos < IN_CHUNK ? (size_t)(r->end - pos) : IN_CHUNK;
				if (want == 0 || pread_all(r, in, want, pos) < 0) {
					*why = "the frame is cut short";
					break;
				}
				pos += want;
				zin.src = in;
				zin.size = want;
				zin.pos = 0;
			}
			ret = ZSTD_decompressStream(r->dctx, &zout, &zin);
			if (ZSTD_isError(ret)) {
				*why = ZSTD_getErrorName(ret);
				break;
			}
			total += zout.pos;
			*found = total;
			if (total > r->frame_cap || r->out_total + total > r->out_cap_total) {
				*why = "the frame expands beyond 64 times its size (a zstd bomb?)";
				break;
			}
			if (ret == 0) {
				ok = 0;
				break;
			}
		}
	}
done:
	free(in);
	free(out);
	return ok;
}

/*
 * The frame holds more or less than its header declares, or zstd failed
 * (with zstd_error) on a frame that declares its size: one message of our
 * own, the same whatever libzstd says, from a count of what the frame holds.
 * A frame damaged beyond its size is reported with what the count ran into,
 * which no declared size colours.
 */
static ssize_t fcs_fail(reader *r, const char *zstd_error)
{
	const char *why;
	uint64_t found;
	int whole = frame_measure(r, &found, &why) == 0;

	if (whole && found != r->fcs)
		return zfail(r,
		             "its header declares %llu bytes of content, but the frame holds %llu "
		             "(the frame is damaged; its items are lost)",
		             (unsigned long long)r->fcs, (unsigned long long)found);
	if (!whole && found > r->fcs)
		return zfail(r,
		             "its header declares %llu bytes of content, but the frame holds more, "
		             "and then fails: %s (the frame is damaged; its items are lost)",
		             (unsigned long long)r->fcs, why ? why : "unreadable");
	if (why || zstd_error)
		return zfail(r, "zstd: %s", why ? why : zstd_error);
	return zfail(r,
	             "its header declares %llu bytes of content, but the frame holds more "
	             "(the frame is damaged; its items are lost)",
	             (unsigned long long)r->fcs);
}

/*
 * The frame decoded whole, its checksum and declared size included: what is
 * still wrong that costs none of its items. A content length in the index
 * that is not the frame's is the index's lie: the frame was read on its
 * own terms (its checksum and content size guard it), not lost to it.
 * Bytes after the tar end are reported: stock tar stops reading there.
 */
static void frame_whole(reader *r)
{
	if (r->ulen && r->out_frame != r->ulen) {
		r->st->damaged++;
		damage(r, r->frame_start, r->pos - r->frame_start,
		       "frame at %llu: the index says it holds %llu bytes of content, but it holds "
		       "%llu (the index lies; the frame was read on its own terms)",
		       (unsigned long long)r->frame_start, (unsigned long long)r->ulen,
		       (unsigned long long)r->out_frame);
	}
	if (r->ts.past_end) {
		r->st->damaged++;
		damage(r, r->frame_start, r->pos - r->frame_start,
		       "frame at %llu: bytes that are not zeros after the tar end in it (stock "
		       "tar stops reading the bundle there; they are not read)",
		       (unsigned long long)r->frame_start);
	}
}

/*
 * libarchive's read callback: the frame's decompressed bytes, then a
 * synthetic end-of-archive marker, so that the frame parses as a whole tar
 * stream whatever follows it in the file.
 */
static la_ssize_t frame_read(struct archive *ar, void *payload, const void **buf)
{
	static const uint8_t zeros[SVD_BUNDLE_TAR_END];
	reader *r = payload;
	ZSTD_outBuffer zout;

	(void)ar;
	if (r->zfailed)
		return -1;
	if (r->zdone) {
		if (r->tail_sent)
			return 0;
		r->tail_sent = 1;
		*buf = zeros;
		return SVD_BUNDLE_TAR_END;
	}
	zout.dst = r->out;
	zout.size = r->out_cap;
	zout.pos = 0;
	while (zout.pos == 0) {
		size_t ret;

		if (r->zin.pos == r->zin.size) {
			size_t want = IN_CHUNK;
			if (r->pos >= r->end)
				return zfail(r, "the frame is cut short");
			if (r->end - r->pos < want)
				want = (size_t)(r->end - r->pos);
			if (pread_all(r, r->in, want, r->pos) < 0)
				return zfail(r, "cannot read the file");
			r->pos += want;
			r->zin.size = want;
			r->zin.pos = 0;
			if (r->cbs && r->cbs->progress)
				r->cbs->progress(r->st->items, r->pos, r->cbs->payload);
		}
		ret = ZSTD_decompressStream(r->dctx, &zout, &r->zin);
		if (ZSTD_isError(ret))
			return r->fcs != ZSTD_CONTENTSIZE_UNKNOWN
			           ? fcs_fail(r, ZSTD_getErrorName(ret))
			           : zfail(r, "zstd: %s", ZSTD_getErrorName(ret));
		r->out_frame += zout.pos;
		if (r->out_frame > r->frame_cap || r->out_total + r->out_frame > r->out_cap_total)
			return zfail(r,
			             "the frame expands beyond 64 times its size (a zstd bomb?)");
		if (r->fcs != ZSTD_CONTENTSIZE_UNKNOWN && r->out_frame > r->fcs)
			return fcs_fail(r, NULL);
		ts_feed(&r->ts, r->out, zout.pos);
		if (ret == 0) {
			/* the frame is over: what is left of the input is the next one's */
			r->pos -= r->zin.size - r->zin.pos;
			r->zin.pos = r->zin.size;
			if (r->fcs != ZSTD_CONTENTSIZE_UNKNOWN && r->out_frame != r->fcs)
				return fcs_fail(r, NULL);
			if (r->ts.bad)
				return zfail(r, "tar: %s", r->ts.bad);
			if (ts_cut(&r->ts))
				return zfail(r, "a tar entry runs past the end of its frame");
			r->out_total += r->out_frame;
			r->zdone = 1;
			frame_whole(r);
			if (zout.pos == 0) {
				r->tail_sent = 1;
				*buf = zeros;
				return SVD_BUNDLE_TAR_END;
			}
		}
	}
	*buf = r->out;
	return (la_ssize_t)zout.pos;
}

/*
 * Extract: the current item's folder, items/<xx>/<id>, made when the item
 * begins (the library being built is nobody's to see until it is renamed
 * into place, so a refused item's files can go straight there and be
 * removed again). The same item a second time in one bundle is checked
 * but not written: the first stays. The writing is done by a second thread
 * (extract_writer.c), in the order it is asked for.
 */
static int part_begin(void *ctx, const char *id)
{
	extractor *ex = ctx;
	uint8_t fan = 0;
	unsigned x;
	int error, make_fan;

	snprintf(ex->part, sizeof(ex->part), "%.4000s/items/%.2s/%s", ex->dir, id, id);
	svd_hex_decode(&fan, 1, id); /* the first byte of the id: its fan-out folder */
	x = fan;
	make_fan = !(ex->fans[x / 8] & (1u << (x % 8)));
	ex->fans[x / 8] |= (uint8_t)(1u << (x % 8));
	if ((error = svd_dw_begin(ex->dw, ex->part, make_fan)) < 0)
		return error;
	ex->in_part = 1;
	return 0;
}

static int part_file_begin(void *ctx, const char *path, uint64_t size)
{
	extractor *ex = ctx;

	(void)size;
	return ex->in_part ? svd_dw_open(ex->dw, path) : 0;
}

static int part_file_write(void *ctx, const void *data, size_t len)
{
	extractor *ex = ctx;

	return ex->in_part ? svd_dw_write(ex->dw, data, len) : 0;
}

/* The file is closed even when it was cut short: the item goes, and its folder with it. */
static int part_file_end(void *ctx, int whole)
{
	extractor *ex = ctx;
	int error = 0;

	(void)whole;
	if (ex->in_part)
		error = svd_dw_close(ex->dw);
	/* a failed write, seen at the next file */
	return error < 0 ? error : svd_dw_failed(ex->dw);
}

/* Extract: a refused, lost or cut short item leaves nothing behind. */
static int part_discard(void *ctx, svd_bundle_drop why)
{
	extractor *ex = ctx;

	(void)why;
	if (!ex->in_part)
		return 0;
	ex->in_part = 0;
	return svd_dw_discard(ex->dw);
}

/* Extract: an accepted item stays, without the signature files the gate left out. */
static int part_verdict(void *ctx, const svd_verdict *v)
{
	extractor *ex = ctx;
	char *names = NULL;
	size_t i, len = 0;
	int error;

	if (!svd_verdict_ok(v))
		return part_discard(ctx, SVD_BUNDLE_DROP_REFUSED);
	if (!ex->in_part)
		return 0;
	ex->in_part = 0;
	for (i = 0; i < svd_verdict_dropped_count(v); i++) {
		const char *file;
		svd_verdict_dropped(v, i, &file, NULL);
		len += strlen(file) + 1;
	}
	if (len && !(names = malloc(len)))
		return svd_error_set(SVD_ERROR, "out of memory");
	for (i = 0, len = 0; i < svd_verdict_dropped_count(v); i++) {
		const char *file;
		svd_verdict_dropped(v, i, &file, NULL);
		memcpy(names + len, file, strlen(file) + 1);
		len += strlen(file) + 1;
	}
	error = svd_dw_keep(ex->dw, names, len);
	free(names);
	return error;
}

static void item_clear(reader *r)
{
	size_t i;

	for (i = 0; i < r->nents; i++) {
		free(r->ents[i].path);
		free(r->ents[i].data);
	}
	r->nents = 0;
	r->id[0] = '\0';
	r->bad_entry = 0;
	r->update = 0;
	if (r->body) {
		r->body->len = 0;
		r->body->have = 0;
	}
}

/*
 * Tell the sink about an item (extract keeps or removes its files, the
 * import records a refusal), then the caller. Returns non-zero to stop.
 */
static int report(reader *r, const svd_verdict *v)
{
	int error;

	if (r->sk->item_verdict && (error = r->sk->item_verdict(r->sk->ctx, v)) < 0) {
		if (!r->fatal)
			r->fatal = error;
		return 1;
	}
	if (r->update && r->cbs && r->cbs->update) {
		if (r->cbs->update(r->id, v, NULL, r->cbs->payload) != 0)
			r->stop = 1;
	} else if (r->cbs && r->cbs->item && r->cbs->item(v, r->cbs->payload) != 0) {
		r->stop = 1;
	}
	return r->stop;
}

static int id_cmp32(const void *a, const void *b)
{
	return memcmp(a, b, 32);
}

/*
 * The item being read was read (whole, or refused as it was read): ticked
 * off BUNDLE.json's lists, or counted as one they do not list.
 */
static void note_read(reader *r)
{
	uint8_t raw[32];
	uint8_t(*hit)[32];

	r->st->items++;
	if (!r->meta_seen || svd_hex_decode(raw, 32, r->id) < 0)
		return;
	if (r->meta_count && (hit = bsearch(raw, r->meta_ids, r->meta_count, 32, id_cmp32)) != NULL)
		r->meta_read[hit - r->meta_ids] = 1;
	else if (r->meta_nupdates &&
	         (hit = bsearch(raw, r->meta_updates, r->meta_nupdates, 32, id_cmp32)) != NULL)
		r->meta_read[r->meta_count + (size_t)(hit - r->meta_updates)] = 1;
	else
		r->st->unlisted++;
}

/* Is the item being read a signature update that BUNDLE.json lists? */
static int is_update(const reader *r)
{
	uint8_t raw[32];

	return r->meta_nupdates && svd_hex_decode(raw, 32, r->id) == 0 &&
	       bsearch(raw, r->meta_updates, r->meta_nupdates, 32, id_cmp32) != NULL;
}

/* A signature update skipped: counted, and the caller told why. */
static void skip_update(reader *r, const char *why)
{
	r->st->skipped++;
	if (r->cbs && r->cbs->update && r->cbs->update(r->id, NULL, why, r->cbs->payload) != 0)
		r->stop = 1;
}

/*
 * The item being read ends without the gate (refused, or lost): the sink
 * takes back what it has of it (the import its blobs, extract its files).
 * A refusal with no item begun is told too, to be counted.
 */
static int drop_item(reader *r, svd_bundle_drop why)
{
	int error = r->sk->item_drop ? r->sk->item_drop(r->sk->ctx, why) : 0;

	if (error < 0 && !r->fatal)
		r->fatal = error;
	return error;
}

/* An item refused before the gate (a bad entry in it): a verdict saying why. */
static int refuse_item(reader *r, const char *file, const char *check, const char *msg)
{
	svd_verdict *v = NULL;
	char source[64];

	if (r->id[0])
		note_read(r);
	/* an item in progress has something to take back; a stray entry has none */
	if (drop_item(r, SVD_BUNDLE_DROP_REFUSED) < 0)
		return -1;
	r->st->refused++;
	snprintf(source, sizeof(source), "frame at %llu", (unsigned long long)r->frame_start);
	if (svd_verdict_new(&v) < 0 || (r->id[0] && svd_verdict_set_named_id(v, r->id) < 0) ||
	    svd_verdict_set_source(v, source) < 0 ||
	    svd_verdict_add_problem(v, file, check, "%s", msg) < 0) {
		svd_verdict_free(v);
		r->fatal = SVD_ERROR;
		return -1;
	}
	report(r, v);
	svd_verdict_free(v);
	return 0;
}

/*
 * Does a file under sig/ read as what its name says: a minisign signature
 * (.minisig), a minisign public key (.pub)? A file that does not is junk
 * where a second entry at its path is concerned (SPEC 9.7).
 */
static int sig_parses(const rentry *re)
{
	size_t len = strlen(re->path);
	int ok = 0;

	if (!re->data)
		return 0;
	if (len > 8 && !strcmp(re->path + len - 8, ".minisig")) {
		svd_sig *sig = NULL;
		ok = svd_sig_parse(&sig, re->data, (size_t)re->size) == 0;
		svd_sig_free(sig);
	} else if (len > 4 && !strcmp(re->path + len - 4, ".pub")) {
		svd_pubkey *pk = NULL;
		ok = svd_pubkey_parse(&pk, re->data, (size_t)re->size) == 0;
		svd_pubkey_free(pk);
	}
	svd_error_clear();
	return ok;
}

/* An entry left out of the item being read as junk: reported, and the read exits non-zero. */
static void junk(reader *r, const char *file, const char *why)
{
	r->st->junk++;
	damage(r, r->frame_start, 0, "item %s: %s: %s; left out, the item is read without it",
	       r->id, file, why);
}

/*
 * The item's files under sig/, read into memory as they came, go to the
 * sink only now: what the reader left out as junk never reaches it. One
 * over the limit was only hashed and counted: the sink gets as many zero
 * bytes (the gate leaves it out as a bad signature file, so nothing of it
 * is kept).
 */
static int sink_sigs(reader *r)
{
	static const uint8_t zeros[4096];
	const svd_bundle_sink *sk = r->sk;
	size_t i;
	int error = 0;

	for (i = 0; i < r->nents && error == 0; i++) {
		rentry *re = &r->ents[i];
		uint64_t left = re->size;
		if (strncmp(re->path, "sig/", 4))
			continue;
		if (sk->file_begin && (error = sk->file_begin(sk->ctx, re->path, re->size)) < 0)
			break;
		if (sk->file_write && re->data && left)
			error = sk->file_write(sk->ctx, re->data, (size_t)left);
		while (sk->file_write && !re->data && left && error == 0) {
			size_t n = left < sizeof(zeros) ? (size_t)left : sizeof(zeros);
			error = sk->file_write(sk->ctx, zeros, n);
			left -= n;
		}
		if (error == 0 && sk->file_end)
			error = sk->file_end(sk->ctx, 1);
	}
	return error < 0 ? (r->fatal = error) : 0;
}

/* The item read whole: through the gate (the sink's, or ours), then to the sink. */
static int item_finish(reader *r)
{
	svd_entry *ents = NULL;
	svd_verdict *v = NULL;
	char source[64];
	size_t i;
	int error = 0;

	if (!r->id[0])
		return 0;
	if ((r->update = is_update(r)) != 0) {
		r->st->updates++;
		for (i = 0; i < r->nents && !r->bad_entry; i++)
			if (strcmp(r->ents[i].path, "manifest.json") &&
			    strncmp(r->ents[i].path, "sig/", 4)) {
				r->bad_entry = 1;
				snprintf(r->bad_path, sizeof(r->bad_path), "%.150s",
				         r->ents[i].path);
				snprintf(r->bad_why, sizeof(r->bad_why),
				         "a signature update holds only manifest.json and sig/ "
				         "(SPEC 9.2)");
			}
	}
	if (r->bad_entry) {
		error = refuse_item(r, r->bad_path, "layout", r->bad_why);
		item_clear(r);
		return error;
	}
	if (r->update && !r->sk->update_gate) {
		/* inspect and extract: the item it updates is not at hand */
		note_read(r);
		if ((error = drop_item(r, SVD_BUNDLE_DROP_SKIPPED)) == 0)
			skip_update(r, "a signature update: only an import into an archive that "
			               "holds the item applies it");
		item_clear(r);
		return error;
	}
	if ((error = sink_sigs(r)) < 0)
		goto cleanup;
	if (!(ents = calloc(r->nents + 1, sizeof(*ents)))) {
		error = r->fatal = svd_error_set(SVD_ERROR, "out of memory");
		goto cleanup;
	}
	for (i = 0; i < r->nents; i++) {
		ents[i].path = r->ents[i].path;
		ents[i].type = r->ents[i].type;
		ents[i].size = r->ents[i].size;
		memcpy(ents[i].sha256, r->ents[i].sha256, 32);
		ents[i].data = r->ents[i].data;
		ents[i].data_len = r->ents[i].data ? (size_t)r->ents[i].size : 0;
	}
	snprintf(source, sizeof(source), "frame at %llu", (unsigned long long)r->frame_start);
	note_read(r);
	if (r->update)
		error = r->sk->update_gate(r->sk->ctx, r->id, ents, r->nents, source, &v);
	else if (r->sk->item_gate)
		error = r->sk->item_gate(r->sk->ctx, ents, r->nents, source, &v);
	else if ((error = svd_item_check_ext(&v, r->id, ents, r->nents, r->trust,
	                                     SVD_CHECK_DROP_BAD_SIGS)) >= 0)
		error = svd_verdict_set_source(v, source);
	if (error < 0) {
		r->fatal = error;
		goto cleanup;
	}
	if (!v) { /* an update of an item not held here */
		skip_update(r, "a signature update of an item this archive does not hold");
		goto cleanup;
	}
	/* a manifest that gave no id: the item is named by its folder, not verified */
	svd_verdict_set_named_id(v, r->id);
	if (svd_verdict_ok(v))
		r->st->accepted++;
	else
		r->st->refused++;
	report(r, v);
cleanup:
	svd_verdict_free(v);
	free(ents);
	item_clear(r);
	return error;
}

/* An item lost with a damaged frame: the sink takes back what it has of it. */
static void item_lose(reader *r)
{
	drop_item(r, SVD_BUNDLE_DROP_LOST);
	item_clear(r);
}

/* Split "items/xx/<id>/rest": checks the layout of 9.3; rest is what follows. */
static const char *item_path(const char *path, char id[SVD_ID_HEX_LEN + 1], int *nomem)
{
	const char *rest;
	int e;

	if (strncmp(path, "items/", 6) || strlen(path) < 6 + 3 + SVD_ID_HEX_LEN + 2)
		return NULL;
	if (path[8] != '/' || path[9 + SVD_ID_HEX_LEN] != '/')
		return NULL;
	memcpy(id, path + 9, SVD_ID_HEX_LEN);
	id[SVD_ID_HEX_LEN] = '\0';
	if (!svd_id_valid(id) || strncmp(path + 6, id, 2))
		return NULL;
	rest = path + 10 + SVD_ID_HEX_LEN;
	if (!strncmp(rest, "sig/", 4)) {
		const char *name = rest + 4;
		if (!*name || strchr(name, '/') || name[0] == '.')
			return NULL;
		return rest;
	}
	if (!nomem)
		return rest; /* a name of the caller's own (layout_folder) */
	/* a name that cannot be judged for want of memory is no refusal: the read fails */
	if ((e = svd_manifest_check_path(rest)) == SVD_ERROR) {
		*nomem = 1;
		return NULL;
	}
	if (e < 0 && strcmp(rest, "manifest.json"))
		return NULL;
	return rest;
}

/*
 * A folder entry on the layout's own folders (items/, items/xx/,
 * items/xx/<id>/, items/xx/<id>/sig/), as stock tar writes them when a
 * bundle is made from an unpacked one: harmless, and skipped.
 */
static int layout_folder(const char *path)
{
	char p[SVD_ID_HEX_LEN + 32], id[SVD_ID_HEX_LEN + 1];
	size_t len = strlen(path);

	if (len == 0 || len >= sizeof(p))
		return 0;
	memcpy(p, path, len + 1);
	if (p[len - 1] == '/')
		p[--len] = '\0';
	if (!strcmp(p, "items"))
		return 1;
	if (len == 8 && !strncmp(p, "items/", 6) && strspn(p + 6, "0123456789abcdef") == 2)
		return 1;
	if (len == 9 + SVD_ID_HEX_LEN ||
	    (len == 9 + SVD_ID_HEX_LEN + 4 && !strcmp(p + len - 4, "/sig"))) {
		p[9 + SVD_ID_HEX_LEN] = '\0';
		strcat(p, "/x");
		return item_path(p, id, NULL) != NULL;
	}
	return 0;
}

/* Why a path or entry is refused, or NULL when it is fine. */
static const char *entry_problem(struct archive_entry *e, const char *path)
{
	size_t len;

	if (!path)
		return "a name that is not valid UTF-8";
	len = strlen(path);
	if (len > SVD_BUNDLE_PATH_MAX)
		return "a name over 4096 bytes";
	if (!svd_utf8_valid(path, len))
		return "a name that is not valid UTF-8";
	if (archive_entry_hardlink(e))
		return "a hard link; bundles hold only regular files";
	if (archive_entry_sparse_count(e) > 0)
		return "a sparse file; bundles hold only plain regular files";
	switch (archive_entry_filetype(e)) {
	case AE_IFREG:
		break;
	case AE_IFDIR:
		return "a folder entry; bundles hold only regular files";
	case AE_IFLNK:
		return "a symbolic link; bundles hold only regular files";
	case AE_IFIFO:
		return "a FIFO; bundles hold only regular files";
	case AE_IFCHR:
	case AE_IFBLK:
		return "a device; bundles hold only regular files";
	default:
		return "not a regular file";
	}
	if (path[0] == '/')
		return "an absolute path";
	if (!strcmp(path, "..") || !strncmp(path, "../", 3) || strstr(path, "/../") ||
	    (len >= 3 && !strcmp(path + len - 3, "/..")))
		return "a path with ..";
	if (strstr(path, "/.") || path[0] == '.')
		return "a path with a hidden name (.git, ...)";
	if (!archive_entry_size_is_set(e) || archive_entry_size(e) < 0)
		return "an entry with no size";
	return NULL;
}

/*
 * Read an entry's data: hash it, keep small files, and, when it is an
 * item's file (to_sink), stream it to the sink as it comes.
 */
static int entry_read(reader *r, struct archive *ar, rentry *re, int keep, int to_sink)
{
	const svd_bundle_sink *sk = r->sk;
	int (*put)(void *, const void *, size_t) = to_sink ? sk->file_write : NULL;
	svd_extract_body *body =
	    to_sink && r->body && r->body->cap && !strcmp(re->path, "body.md") ? r->body : NULL;
	svd_sha256 h;
	uint64_t got = 0;
	int error = 0, e2;

	if (keep && !(re->data = malloc((size_t)re->size + 1)))
		return r->fatal = svd_error_set(SVD_ERROR, "out of memory");
	svd_sha256_init(&h);
	if (to_sink && sk->file_begin && (error = sk->file_begin(sk->ctx, re->path, re->size)) < 0)
		return r->fatal = error;
	for (;;) {
		la_ssize_t n = archive_read_data(ar, r->data, IN_CHUNK);
		if (n < 0 || got + (uint64_t)n > re->size) {
			error = -1; /* damage: the caller reports it */
			break;
		}
		if (n == 0)
			break;
		svd_sha256_update(&h, r->data, (size_t)n);
		if (keep)
			memcpy(re->data + got, r->data, (size_t)n);
		if (put && (error = put(sk->ctx, r->data, (size_t)n)) < 0) {
			r->fatal = error;
			break;
		}
		if (body && body->len < body->cap) {
			size_t take =
			    body->cap - body->len < (size_t)n ? body->cap - body->len : (size_t)n;
			memcpy(body->buf + body->len, r->data, take);
			body->len += take;
		}
		got += (uint64_t)n;
	}
	if (error == 0 && got != re->size)
		error = -1;
	if (error == 0) {
		svd_sha256_final(&h, re->sha256);
		if (keep)
			re->data[got] = '\0';
		if (body)
			body->have = 1;
	}
	if (to_sink && sk->file_end && (e2 = sk->file_end(sk->ctx, error == 0)) < 0 && !r->fatal)
		error = r->fatal = e2;
	return error;
}

static int add_entry(reader *r, rentry **out)
{
	if (r->nents == r->capents) {
		size_t ncap = r->capents ? r->capents * 2 : 16;
		rentry *p = realloc(r->ents, ncap * sizeof(*p));
		if (!p)
			return r->fatal = svd_error_set(SVD_ERROR, "out of memory");
		r->ents = p;
		r->capents = ncap;
	}
	*out = &r->ents[r->nents++];
	memset(*out, 0, sizeof(**out));
	return 0;
}

/*
 * BUNDLE.json, parsed as it is read (bundle_meta.c): canonical, the members
 * of 9.2 for its format (1: format, created, mirror, count, ids; 2: and
 * updates), ids and updates sorted, unique and apart. It is never held
 * whole: what stays is 32 bytes an id. Anything else is damage of frame 0:
 * the items are still read, and without its list of updates none is taken
 * for one. Returns 0; -1 when the entry is cut short (damage of the frame,
 * which the caller reports); the fatal error.
 */
static int read_meta(reader *r, struct archive *ar, uint64_t size)
{
	svd_bundle_meta m;
	char why[512] = "";
	uint64_t got = 0;
	int perr = 0;

	r->st->listing = -1; /* until it is found sound */
	if (size > svd_bundle_meta_max()) {
		r->st->damaged++;
		damage(r, r->frame_start, 0,
		       "BUNDLE.json of %llu bytes is over the limit of %llu bytes",
		       (unsigned long long)size, (unsigned long long)svd_bundle_meta_max());
		return 0;
	}
	/* BUNDLE.json is read, never stored */
	svd_bundle_meta_init(&m);
	for (;;) {
		la_ssize_t n = archive_read_data(ar, r->data, IN_CHUNK);
		if (n < 0 || got + (uint64_t)n > size) {
			svd_bundle_meta_clear(&m);
			return -1; /* damage: the caller reports it */
		}
		if (n == 0)
			break;
		got += (uint64_t)n;
		if (perr == 0)
			perr = svd_bundle_meta_feed(&m, r->data, (size_t)n);
		if (perr == SVD_ERROR) {
			svd_bundle_meta_clear(&m);
			return r->fatal = perr; /* out of memory: no damage of the bundle's */
		}
		if (perr < 0 && !why[0])
			snprintf(why, sizeof(why), "%s", svd_error_last());
	}
	if (got != size) {
		svd_bundle_meta_clear(&m);
		return -1;
	}
	if (perr == 0 && (perr = svd_bundle_meta_end(&m)) < 0)
		snprintf(why, sizeof(why), "%s", svd_error_last());
	if (perr < 0) {
		/* the whole entry came, and it is no bundle description */
		svd_bundle_meta_clear(&m);
		r->st->damaged++;
		damage(r, r->frame_start, 0, "%s", why);
		return 0;
	}
	if (!(r->meta_read = calloc(m.nids + m.nupdates + 1, 1))) {
		svd_bundle_meta_clear(&m);
		return r->fatal = svd_error_set(SVD_ERROR, "out of memory");
	}
	r->meta_ids = m.ids;
	r->meta_count = m.nids;
	r->meta_updates = m.updates;
	r->meta_nupdates = m.nupdates;
	if (strlen(m.mirror) == SVD_MIRROR_ID_LEN)
		memcpy(r->st->mirror, m.mirror, SVD_MIRROR_ID_LEN + 1);
	if (strlen(m.created) == 20)
		memcpy(r->st->created, m.created, 21);
	r->meta_seen = 1;
	r->st->listing = 1;
	return 0;
}

/*
 * One frame: its tar entries, grouped into items. Returns 0 when the frame
 * was read whole, -1 when it is damaged (the caller reports it), or the
 * fatal error.
 */
static int read_frame(reader *r, int first)
{
	struct archive *ar = archive_read_new();
	struct archive_entry *e;
	int ret, error = 0, nentries = 0, nomem = 0;

	if (!ar)
		return r->fatal = svd_error_set(SVD_ERROR, "out of memory");
	archive_read_support_format_tar(ar);
	/* a "._name" entry is an entry, not metadata of the next (as GNU tar reads it) */
	archive_read_set_format_option(ar, "tar", "mac-ext", NULL);
	if (archive_read_open(ar, r, NULL, frame_read, NULL) != ARCHIVE_OK) {
		if (!r->zerr[0])
			snprintf(r->zerr, sizeof(r->zerr), "tar: %s",
			         archive_error_string(ar) ? archive_error_string(ar)
			                                  : "unreadable");
		error = -1;
		goto done;
	}
	while (!r->stop && !r->fatal) {
		const char *path, *rest, *why, *tswhy;
		char id[SVD_ID_HEX_LEN + 1];
		rentry *re = NULL;
		int keep, sig;

		ret = archive_read_next_header(ar, &e);
		if (ret == ARCHIVE_EOF) {
			/* every entry of the scan was one of libarchive's */
			if ((tswhy = ts_done(&r->ts)) != NULL) {
				if (!r->zerr[0])
					snprintf(r->zerr, sizeof(r->zerr), "tar: %s", tswhy);
				error = -1;
			}
			break;
		}
		/* a warning (a name libarchive cannot show in this locale) is no
		 * failure: the UTF-8 name is taken below and checked like any other */
		if (ret != ARCHIVE_OK && ret != ARCHIVE_WARN) {
			if (!r->zerr[0])
				snprintf(r->zerr, sizeof(r->zerr), "tar: %s",
				         archive_error_string(ar) ? archive_error_string(ar) : "?");
			error = -1;
			break;
		}
		nentries++;
		r->entries_seen++;
		/* the entry the scan read at the same place, or the frame is not one tar stream */
		if (ts_take(&r->ts, (uint64_t)archive_read_header_position(ar), &tswhy) < 0) {
			if (!r->zerr[0])
				snprintf(r->zerr, sizeof(r->zerr), "tar: %s", tswhy);
			error = -1;
			break;
		}
		path = archive_entry_pathname_utf8(e);
		if (!path)
			path = archive_entry_pathname(e);
		if (first && nentries == 1 && path && !tswhy &&
		    !strcmp(path, SVD_BUNDLE_META_NAME)) {
			if (entry_problem(e, path) == NULL) {
				if ((error = read_meta(r, ar, (uint64_t)archive_entry_size(e))) < 0)
					break;
				continue;
			}
		}
		if (archive_entry_filetype(e) == AE_IFDIR && !archive_entry_hardlink(e) && path &&
		    (layout_folder(path) || !strcmp(path, "pages/") || !strcmp(path, "pages") ||
		     !strcmp(path, "search/") || !strcmp(path, "search") ||
		     !strcmp(path, "list/") || !strcmp(path, "list") || !strcmp(path, "rows/") ||
		     !strcmp(path, "rows")))
			continue; /* the reader library's folders too, from a stock tar */
		/* the rendered reader library (export --with-reader): never read, never trusted */
		if (path && svd_render_is_library_path(path) && entry_problem(e, path) == NULL &&
		    !tswhy) {
			archive_read_data_skip(ar);
			continue;
		}
		why = tswhy ? tswhy : entry_problem(e, path);
		rest = why ? NULL : item_path(path, id, &nomem);
		if (nomem) {
			error = r->fatal = svd_error_set(SVD_ERROR, "out of memory");
			break;
		}
		if (!why && !rest)
			why = path && !strcmp(path, SVD_BUNDLE_META_NAME)
			          ? "BUNDLE.json anywhere but first in the bundle"
			          : "a path outside the layout items/<xx>/<id>/<file>";
		if (why && (!rest || !path)) {
			/* belongs to no item we can name: an item in progress is refused with it */
			if (r->id[0] && path && strlen(path) >= 9 + SVD_ID_HEX_LEN &&
			    !strncmp(path, "items/", 6) &&
			    !strncmp(path + 9, r->id, SVD_ID_HEX_LEN)) {
				r->bad_entry = 1;
				snprintf(r->bad_path, sizeof(r->bad_path), "%.150s", path);
				snprintf(r->bad_why, sizeof(r->bad_why), "%s", why);
			} else {
				char shown[120];
				snprintf(shown, sizeof(shown), "%.100s", path ? path : "?");
				svd_error_clear();
				if ((error = item_finish(r)) < 0)
					break;
				refuse_item(r, shown, "layout", why);
			}
			archive_read_data_skip(ar);
			continue;
		}
		if (strcmp(id, r->id)) {
			/* a new item: the previous one is whole */
			if ((error = item_finish(r)) < 0)
				break;
			memcpy(r->id, id, sizeof(id));
			if (r->sk->item_begin &&
			    (error = r->sk->item_begin(r->sk->ctx, r->id)) < 0) {
				r->fatal = error;
				break;
			}
		}
		sig = !strncmp(rest, "sig/", 4);
		{
			size_t i;
			for (i = 0; i < r->nents; i++)
				if (!strcmp(r->ents[i].path, rest))
					break;
			if (i < r->nents && sig) {
				/* a second entry at a signature's path: the one that
				 * reads as what its name says counts, junk is left out */
				rentry dup = {0};
				dup.path = (char *)rest;
				dup.size = (uint64_t)archive_entry_size(e);
				ret = entry_read(r, ar, &dup, dup.size <= SVD_SIGFILE_MAX, 0);
				if (r->fatal || ret < 0) {
					free(dup.data);
					if (r->fatal) {
						error = r->fatal;
						break;
					}
					if (!r->zerr[0])
						snprintf(r->zerr, sizeof(r->zerr), "tar: %s",
						         archive_error_string(ar)
						             ? archive_error_string(ar)
						             : "an entry is cut short");
					error = -1;
					break;
				}
				if (sig_parses(&dup) && sig_parses(&r->ents[i])) {
					r->bad_entry = 1;
					snprintf(r->bad_path, sizeof(r->bad_path), "%.150s", rest);
					snprintf(
					    r->bad_why, sizeof(r->bad_why),
					    "the same path twice in one item, each a signature "
					    "or key");
					free(dup.data);
				} else if (sig_parses(&dup)) {
					junk(r, rest,
					     "an earlier entry at this path that is not "
					     "what its name says");
					free(r->ents[i].data);
					r->ents[i].data = dup.data;
					r->ents[i].size = dup.size;
					memcpy(r->ents[i].sha256, dup.sha256, 32);
				} else {
					junk(r, rest,
					     "a second entry at this path that is not what "
					     "its name says");
					free(dup.data);
				}
				continue;
			}
			if (i < r->nents) {
				r->bad_entry = 1;
				snprintf(r->bad_path, sizeof(r->bad_path), "%.150s", rest);
				snprintf(r->bad_why, sizeof(r->bad_why),
				         "the same path twice in one item");
				archive_read_data_skip(ar);
				continue;
			}
		}
		if (r->nents >= SVD_ITEM_MAX_FILES + 16) {
			r->bad_entry = 1;
			snprintf(r->bad_path, sizeof(r->bad_path), "%.150s", rest);
			snprintf(r->bad_why, sizeof(r->bad_why),
			         "more files than an item may hold");
			archive_read_data_skip(ar);
			continue;
		}
		if ((error = add_entry(r, &re)) < 0)
			break;
		if (!(re->path = strdup(rest))) {
			error = r->fatal = svd_error_set(SVD_ERROR, "out of memory");
			break;
		}
		re->type = SVD_ENTRY_FILE;
		re->size = (uint64_t)archive_entry_size(e);
		keep = !strcmp(rest, "manifest.json") ? re->size <= SVD_MANIFEST_MAX
		       : sig                          ? re->size <= SVD_SIGFILE_MAX
		                                      : 0;
		if (re->size > SVD_FILE_MAX_SIZE) {
			r->bad_entry = 1;
			snprintf(r->bad_path, sizeof(r->bad_path), "%.150s", rest);
			snprintf(r->bad_why, sizeof(r->bad_why), "a file over the size limit");
			archive_read_data_skip(ar);
			continue;
		}
		/* files under sig/ reach the sink when the item is whole (sink_sigs) */
		ret = entry_read(r, ar, re, keep, !sig);
		if (r->fatal) {
			error = r->fatal;
			break;
		}
		if (ret < 0) {
			if (!r->zerr[0])
				snprintf(r->zerr, sizeof(r->zerr), "tar: %s",
				         archive_error_string(ar) ? archive_error_string(ar)
				                                  : "an entry is cut short");
			error = -1;
			break;
		}
	}
	if (error == 0 && !r->stop && !r->fatal)
		error = item_finish(r);
	/* the tar end may come before the frame's end: decompress the rest, checksum included */
	while (error == 0 && !r->zdone && !r->zfailed && !r->stop && !r->fatal) {
		const void *buf;
		if (frame_read(ar, r, &buf) < 0)
			error = -1;
	}
	if (error == 0 && r->zfailed)
		error = -1;
done:
	if (error < 0 && !r->fatal)
		item_lose(r);
	archive_read_free(ar);
	return r->fatal ? r->fatal : error;
}

/* The next place a frame (zstd or skippable) may start, after from; size if none. */
static uint64_t scan_magic(reader *r, uint64_t from)
{
	uint8_t buf[IN_CHUNK + 3];
	uint64_t at = from;

	while (at + 4 <= r->size) {
		size_t want = r->size - at < sizeof(buf) ? (size_t)(r->size - at) : sizeof(buf);
		size_t i;
		if (pread_all(r, buf, want, at) < 0)
			return r->size;
		for (i = 0; i + 4 <= want; i++) {
			uint32_t m = le32(buf + i);
			if (m == ZSTD_MAGIC || (m & SKIP_MAGIC_MASK) == SKIP_MAGIC)
				return at + i;
		}
		if (want < 4)
			break;
		at += want - 3;
	}
	return r->size;
}

/*
 * Walk the frames: from the index when there is one, else one after the
 * other, finding each frame's end by decompressing it and skipping
 * skippable frames; after damage, the next frame magic.
 */
static int read_frames(reader *r)
{
	size_t k = 0;
	uint64_t off = 0;
	uint8_t head[8];

	if (r->frames) {
		for (k = 0; k < r->nframes && !r->stop && !r->fatal; k++) {
			frame *f = &r->frames[k];
			if (!magic_at(r, f->offset)) {
				/* index_lies() found the frames around it where the index says */
				r->st->damaged++;
				r->st->frames++;
				damage(
				    r, f->offset, f->clen,
				    "frame %zu (%u items): no zstd frame begins at byte %llu, "
				    "where "
				    "the index puts it (the frame's first bytes are damaged; the "
				    "index is kept, the frames around it are where it says)",
				    k, f->item_count, (unsigned long long)f->offset);
				continue;
			}
			frame_begin(r, f->offset, f->offset + f->clen, f->ulen);
			/* a read stopped by the caller is no damage */
			if (read_frame(r, k == 0) < 0 && !r->fatal && !r->stop) {
				r->st->damaged++;
				damage(r, f->offset, f->clen, "frame %zu (%u items): %s", k,
				       f->item_count, r->zerr[0] ? r->zerr : "unreadable");
			} else if (!r->fatal && !r->stop && r->pos != f->offset + f->clen) {
				r->st->damaged++;
				damage(r, f->offset, f->clen,
				       "frame %zu does not end where the index says", k);
			}
			r->st->frames++;
		}
		return r->fatal;
	}
	while (off + 4 <= r->size && !r->stop && !r->fatal) {
		uint32_t m;
		if (pread_all(r, head, 8 <= r->size - off ? 8 : 4, off) < 0)
			break;
		m = le32(head);
		if ((m & SKIP_MAGIC_MASK) == SKIP_MAGIC && off + 8 <= r->size) {
			uint64_t next = off + 8 + le32(head + 4);
			if (next > r->size) {
				r->st->damaged++;
				damage(r, off, r->size - off,
				       "a skippable frame runs past the end");
				break;
			}
			off = next;
			continue;
		}
		if (m != ZSTD_MAGIC) {
			uint64_t next = scan_magic(r, off + 1);
			r->st->damaged++;
			damage(r, off, next - off, "no zstd frame here (damaged bytes)");
			off = next;
			continue;
		}
		frame_begin(r, off, r->size, 0);
		r->st->frames++;
		if (read_frame(r, k == 0) < 0 && !r->fatal && !r->stop) {
			uint64_t next = scan_magic(r, off + 1);
			r->st->damaged++;
			damage(r, off, next - off, "frame at %llu: %s", (unsigned long long)off,
			       r->zerr[0] ? r->zerr : "unreadable");
			off = next;
		} else {
			off = r->pos;
		}
		k++;
	}
	return r->fatal;
}

/*
 * Items the bundle declares but that were not read whole: those of
 * BUNDLE.json's lists never read, or, without it, as many as the index
 * lists beyond those read.
 */
static void count_lost(reader *r)
{
	size_t declared = r->meta_seen ? r->meta_count + r->meta_nupdates
	                  : r->frames  ? r->index_items
	                               : 0;
	size_t i;

	r->st->declared = declared;
	if (r->meta_seen) {
		r->st->lost = 0;
		for (i = 0; i < declared; i++)
			r->st->lost += !r->meta_read[i];
		return;
	}
	r->st->lost = declared > r->st->items ? declared - r->st->items : 0;
}

/* Damage to a sealed file, in its own offsets: a chunk that does not authenticate. */
static void sealed_damage(uint64_t offset, uint64_t length, const char *what, void *payload)
{
	reader *r = payload;

	r->sealed_damage++;
	damage(r, offset, length, "in the sealed file: %s", what);
}

/*
 * A file that does not begin as a plain bundle does (a zstd frame) is
 * tried as a sealed one (SPEC.md, 12) with keys: opened, r reads its
 * plaintext from here on. *unopened is 1 when keys were tried and none
 * opened it: it is read as a (damaged) plain bundle, and if nothing of
 * one is found, it was sealed for someone else.
 */
static int open_sealed(reader *r, const char *path, const svd_seal_keys *keys, svd_bundle_stats *st,
                       int *unopened)
{
	uint8_t head[4];
	svd_seal_kind kind;
	int error;

	*unopened = 0;
	if (!keys || r->size < SVD_SEAL_MIN_SIZE ||
	    (pread_all(r, head, 4, 0) == 0 && le32(head) == ZSTD_MAGIC))
		return 0;
	error = svd_unseal_open(&r->unsealer, r->fd, r->size, keys, &kind);
	if (error == SVD_ENOKEY) {
		*unopened = 1;
		return 0;
	}
	if (error < 0)
		return svd_error_set(error, "%s: %s", path, svd_error_last());
	if (kind != SVD_SEAL_BUNDLE) {
		svd_unseal_free(r->unsealer);
		r->unsealer = NULL;
		return svd_error_set(SVD_EINVALID, "%s: %s, not a bundle", path,
		                     kind == SVD_SEAL_HAVE
		                         ? "a sealed have-file"
		                         : "a sealed file whose writing never finished (nothing "
		                           "in it can be read; it may be deleted)");
	}
	st->sealed = 1;
	/* a damaged head (opened from the tail) is told at the first read */
	svd_unseal_on_damage(r->unsealer, sealed_damage, r);
	r->size = svd_unseal_size(r->unsealer);
	return 0;
}

/*
 * A file that is plainly some other format (by its magic number) is not a
 * damaged bundle: saying "damaged bytes" of a .tar.gz sends its owner
 * looking for damage that is not there. NULL for a file that may be a
 * bundle: one that starts as a bundle does, or ends in a bundle's index
 * (its start damaged), or is of no format named here.
 */
static const char *foreign_format(reader *r)
{
	uint8_t h[264];
	size_t n = r->size < sizeof(h) ? (size_t)r->size : sizeof(h);

	if (n < 4 || pread_all(r, h, n, 0) < 0 || le32(h) == ZSTD_MAGIC ||
	    (le32(h) & SKIP_MAGIC_MASK) == SKIP_MAGIC)
		return NULL;
	{
		uint8_t tail[8];
		if (r->size >= 8 && pread_all(r, tail, 8, r->size - 8) == 0 &&
		    !memcmp(tail, SVD_BUNDLE_INDEX_END, 8))
			return NULL;
	}
	if (h[0] == 0x1f && h[1] == 0x8b && h[2] == 8)
		return "a gzip file (.gz, .tgz); if it holds an unpacked bundle, unpack it and "
		       "pack BUNDLE.json and items/ again with tar --zstd -cf NAME.tar.zst";
	if (n >= 6 && !memcmp(h,
	                      "\xfd"
	                      "7zXZ\0",
	                      6))
		return "an xz file (.xz, .txz); if it holds an unpacked bundle, unpack it and "
		       "pack BUNDLE.json and items/ again with tar --zstd -cf NAME.tar.zst";
	if (!memcmp(h, "BZh", 3) && h[3] >= '1' && h[3] <= '9')
		return "a bzip2 file (.bz2); if it holds an unpacked bundle, unpack it and pack "
		       "BUNDLE.json and items/ again with tar --zstd -cf NAME.tar.zst";
	if (!memcmp(h, "PK\x03\x04", 4) || !memcmp(h, "PK\x05\x06", 4))
		return "a zip file; items come in bundles that samvydav export writes, or are "
		       "added from their files with samvydav add";
	if (n >= 6 && !memcmp(h, "7z\xbc\xaf\x27\x1c", 6))
		return "a 7-Zip file; items come in bundles that samvydav export writes, or are "
		       "added from their files with samvydav add";
	if (n >= 262 && !memcmp(h + 257, "ustar", 5))
		return "a tar file that is not compressed with zstd; if it holds an unpacked "
		       "bundle (BUNDLE.json and items/), zstd -19 FILE makes it one samvydav "
		       "reads";
	return NULL;
}

static int read_bundle(const char *path, const svd_trust *trust, const svd_bundle_sink *sk,
                       svd_extract_body *body, const svd_bundle_cbs *cbs, svd_bundle_stats *stats)
{
	static const svd_bundle_sink none;
	reader r;
	svd_bundle_stats st;
	struct stat sb;
	int error = 0, unopened = 0;

	memset(&r, 0, sizeof(r));
	memset(&st, 0, sizeof(st));
	r.cbs = cbs;
	r.st = &st;
	r.sk = sk ? sk : &none;
	r.trust = trust;
	r.body = body;
	/* a FIFO, a device, a socket or a folder: refused unread, at once (SVD_EINVALID:
	 * SVD_ECORRUPT from a read says it read through and refused items) */
	if ((error = svd_file_open_regular(&r.fd, &sb, path, 0)) < 0)
		return error == SVD_ECORRUPT ? SVD_EINVALID : error;
	r.size = (uint64_t)sb.st_size;
	{
		const char *what = foreign_format(&r);
		if (what) {
			error = svd_error_set(SVD_EINVALID, "%s: not a samvydav bundle: this is %s",
			                      path, what);
			goto cleanup;
		}
	}
	if ((error = open_sealed(&r, path, cbs ? cbs->keys : NULL, &st, &unopened)) < 0)
		goto cleanup;
	r.out_cap = 256 * 1024;
	r.out_cap_total = r.size * SVD_BUNDLE_RATIO_MAX + SVD_BUNDLE_SLACK;
	r.dctx = ZSTD_createDCtx();
	r.in = malloc(IN_CHUNK);
	r.out = malloc(r.out_cap);
	r.data = malloc(IN_CHUNK);
	r.ts.mbuf = malloc(TS_META_MAX);
	r.ts.q = malloc(TS_QUEUE_MAX * sizeof(*r.ts.q));
	if (!r.dctx || !r.in || !r.out || !r.data || !r.ts.mbuf || !r.ts.q) {
		error = svd_error_set(SVD_ERROR, "out of memory");
		goto cleanup;
	}
	ZSTD_DCtx_setParameter(r.dctx, ZSTD_d_windowLogMax, SVD_BUNDLE_WINDOW_LOG_MAX);
	st.has_index = read_index(&r);
	st.bytes = r.size;
	if (st.has_index == -2) {
		error = svd_error_set(SVD_ERROR, "out of memory");
		goto cleanup;
	}
	if (st.has_index == 1) {
		char why[160];
		if (index_lies(&r, why, sizeof(why))) {
			uint64_t at = r.frames[r.nframes - 1].offset + r.frames[r.nframes - 1].clen;
			free(r.frames);
			r.frames = NULL;
			r.nframes = r.capframes = 0;
			r.index_items = 0;
			st.has_index = 0;
			st.damaged++;
			damage(&r, at, r.size - at,
			       "the index at the end does not match the frames (%s); frames are "
			       "found by scanning",
			       why);
		}
	}
	if (st.has_index < 0) {
		st.has_index = 0;
		st.damaged++;
		damage(&r, r.size > 16 ? r.size - 16 : 0, r.size > 16 ? 16 : r.size,
		       "the index at the end is damaged; frames are found by scanning");
	}
	error = read_frames(&r);
	if (error == 0 && st.frames == 0 && unopened) {
		error = svd_error_set(
		    SVD_ENOKEY,
		    "%s: no key of this mirror%s opens it, and it is no plain "
		    "bundle: it is sealed for other mirrors or %s passphrase, both copies of its "
		    "header are damaged, or it is not a bundle",
		    path, svd_seal_keys_passphrase_count(cbs->keys) ? " nor the passphrase" : "",
		    svd_seal_keys_passphrase_count(cbs->keys) ? "another" : "a");
		goto cleanup;
	}
	if (error == 0 && st.frames == 0 && st.damaged == 0) {
		st.damaged++;
		damage(&r, 0, r.size, "no zstd frame at all: %s",
		       r.size < 4 ? "the file is empty or cut short"
		                  : "not a bundle (a sealed bundle is read with the keys of the "
		                    "archive it is for, or with its passphrase)");
	}
	count_lost(&r);
	if (r.stop) /* stopped by the caller: what was not read is not lost */
		st.lost = 0;
	if (error == 0 && st.lost > 0)
		damage(&r, 0, r.size, "%zu of %zu items were lost to damage", st.lost, st.declared);
	if (error == 0 && (st.refused || st.lost || st.damaged || st.junk || r.sealed_damage))
		error = svd_error_set(SVD_ECORRUPT,
		                      "%s: %zu items accepted, %zu refused, %zu lost to damage",
		                      path, st.accepted, st.refused, st.lost);
cleanup:
	/* an item cut short by a stop or an error leaves nothing in the sink;
	 * the read's outcome is decided, so a failure here adds nothing to it */
	if (r.id[0] && r.sk->item_drop)
		r.sk->item_drop(r.sk->ctx, SVD_BUNDLE_DROP_LOST);
	item_clear(&r);
	free(r.ents);
	ZSTD_freeDCtx(r.dctx);
	free(r.in);
	free(r.out);
	free(r.data);
	free(r.ts.mbuf);
	free(r.ts.q);
	free(r.frames);
	free(r.meta_ids);
	free(r.meta_updates);
	free(r.meta_read);
	if (r.unsealer)
		st.chunks_damaged = svd_unseal_damaged_chunks(r.unsealer);
	svd_unseal_free(r.unsealer);
	close(r.fd);
	if (stats)
		*stats = st;
	return error;
}

int svd_bundle_read(const char *path, const svd_trust *trust, const svd_bundle_sink *sink,
                    const svd_bundle_cbs *cbs, svd_bundle_stats *stats)
{
	return read_bundle(path, trust, sink, NULL, cbs, stats);
}

int svd_bundle_inspect(const char *path, const svd_trust *trust, const svd_bundle_cbs *cbs,
                       svd_bundle_stats *stats)
{
	return read_bundle(path, trust, NULL, NULL, cbs, stats);
}

int svd_bundle_extract_ex(const char *path, const svd_trust *trust, const char *dir,
                          const svd_bundle_cbs *cbs, svd_bundle_stats *stats,
                          svd_extract_body *body)
{
	extractor ex;
	svd_bundle_sink sk = {
	    .item_begin = part_begin,
	    .file_begin = part_file_begin,
	    .file_write = part_file_write,
	    .file_end = part_file_end,
	    .item_verdict = part_verdict,
	    .item_drop = part_discard,
	    .ctx = &ex,
	};
	char items[4200];
	int error, e2;

	memset(&ex, 0, sizeof(ex));
	ex.dir = dir;
	if (strlen(dir) > 4000)
		return svd_error_set(SVD_EINVALID, "%.100s...: the folder's path is too long", dir);
	snprintf(items, sizeof(items), "%s/items", dir);
	if (mkdir(items, 0755) < 0 && errno != EEXIST)
		return svd_error_set(SVD_ERROR, "%s: cannot make the folder: %s", items,
		                     strerror(errno));
	if (body) {
		body->len = 0;
		body->have = 0;
		if (body->cap && !(body->buf = malloc(body->cap + 1)))
			return svd_error_set(SVD_ERROR, "out of memory");
	}
	if ((error = svd_dw_start(&ex.dw)) < 0)
		goto cleanup;
	error = read_bundle(path, trust, &sk, body, cbs, stats);
	/* every file written, or the first failure, which outweighs the rest */
	if ((e2 = svd_dw_finish(ex.dw)) < 0)
		error = e2;
cleanup:
	if (body) {
		free(body->buf);
		body->buf = NULL;
	}
	return error;
}

int svd_bundle_extract(const char *path, const svd_trust *trust, const char *dir,
                       const svd_bundle_cbs *cbs, svd_bundle_stats *stats)
{
	return svd_bundle_extract_ex(path, trust, dir, cbs, stats, NULL);
}
