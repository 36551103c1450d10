/*
 * bundle_write.c: the bundle format's writer (bundle_write.h; SPEC.md, 9):
 * fed items as files, it writes BUNDLE.json, the tar entries in zstd
 * frames, the end marker, the index, and with a size limit the parts.
 * Which items, and where their bytes come from, is its caller's
 * (svd_export, export.c).
 *
 * The shape: the calling thread turns each item's files into tar entries
 * through libarchive into a frame buffer. When a frame is complete (about
 * 1 MiB of tar), the buffer goes to a ring of jobs that a queue's workers
 * (workq.h) compress, each with its own ZSTD_CCtx; the calling thread
 * writes finished frames in order, so that the caller's reading and the
 * compressing overlap. An item that outgrows the buffer (STREAM_AT) is
 * compressed as one streamed frame of its own. Memory stays at a few
 * frames, whatever the bundle's size.
 *
 * With parts, frames go to a scratch file beside the output; a part is
 * assembled (BUNDLE.json frame, its frames copied, end marker, index) when
 * the next frame would not fit under the limit.
 */
#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <zlib.h>
#define ZSTD_STATIC_LINKING_ONLY /* ZSTD_getCParams(): the window a level picks */
#include <zstd.h>

#include "samvydav/bundle.h"
#include "bundle_internal.h"
#include "bundle_write.h"
#include "util.h"
#include "workq.h"

#define STREAM_AT       (8u * 1024 * 1024) /* an item past this is streamed in its own frame */
#define SPLIT_SUFFIX    ".tar.zst"
#define META_FIXED_JSON 256   /* BUNDLE.json without its ids and updates, generously */
#define INDEX_CHUNK     65536 /* the index is written in pieces of this size */

/* One frame of a bundle as the index describes it. */
typedef struct frame_rec {
	uint64_t offset, csize, usize;
	size_t first, count;
} frame_rec;

/* A frame's tar bytes on their way through a worker. */
typedef struct job {
	svd_job job; /* the queue's */
	uint8_t *in, *out;
	size_t in_len, in_cap, out_len, out_cap;
	size_t first, count;
} job;

/*
 * The ring: jobs [head, tail) are queued, being compressed or done, in
 * order. Only the main thread moves head and tail, and reuses a job once
 * it has written its frame.
 */
typedef struct pool {
	svd_workq *q;
	job *ring;
	size_t cap, head, tail;
	int level;
} pool;

/* libarchive's output into a growing memory buffer (BUNDLE.json, extra files). */
typedef struct membuf {
	uint8_t *p;
	size_t len, cap;
} membuf;

/* The reader library's files (extra files) as tar entries, in frames of about the target size. */
typedef struct extra_out {
	struct archive *ar;
	membuf tar;
	uint8_t *z;
	size_t zcap;
} extra_out;

struct svd_bundle_writer {
	char mirror[SVD_MIRROR_ID_LEN + 1];
	const char *const *ids;  /* the items, in the order they come */
	const uint8_t *updates;  /* which of them are signature updates, or NULL */
	const svd_seal_to *seal; /* sealing every file for these, or NULL */
	size_t n;
	svd_progress_cb progress;
	void *payload;
	char created[SVD_TIME_LEN + 1];
	time_t created_t;
	int level, split;
	unsigned threads;
	uint64_t max_size;
	size_t target; /* tar bytes after which a frame is closed */
	pool pool;
	int pool_up;
	ZSTD_CCtx *cctx;   /* the calling thread's: BUNDLE.json, the end marker, extra files */
	ZSTD_CCtx *stream; /* for a streamed item */
	locale_t utf8;     /* C.UTF-8 for the items' names, or 0 (see write_item) */
	/* the tar stream of the items */
	struct archive *ar;
	uint8_t *cur;
	size_t cur_len, cur_cap, cur_first, cur_count, item_start, item;
	int streaming, discard, cb_error;
	char cb_msg[512]; /* the callback's failure, which libarchive only echoes */
	uint64_t stream_at, stream_len;
	uint8_t *zbuf;
	size_t zcap;
	int items_closed; /* every item's frame written */
	extra_out extra;
	/* where frames go: the bundle itself, or with parts the scratch file */
	svd_outfile out;
	char *output;
	frame_rec *frames;
	size_t nframes, capframes;
	uint64_t part_start, part_data;
	size_t part_first, part_items, nparts;
	char *base;
	uint8_t end_frame[256 + SVD_BUNDLE_TAR_END]; /* the end marker, compressed once */
	size_t end_len;
	uint64_t items_done;
	/* the files written, removed again unless the writer finishes */
	char **files;
	size_t nfiles;
	uint64_t bytes;
	int finished;
};

static void put_u32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static void put_u64(uint8_t *p, uint64_t v)
{
	put_u32(p, (uint32_t)v);
	put_u32(p + 4, (uint32_t)(v >> 32));
}
/* A new compression context for frames of this level, window within the limit. */
static ZSTD_CCtx *cctx_new(int level)
{
	ZSTD_CCtx *c = ZSTD_createCCtx();
	ZSTD_compressionParameters cp = ZSTD_getCParams(level, 0, 0);

	if (!c)
		return NULL;
	if (ZSTD_isError(ZSTD_CCtx_setParameter(c, ZSTD_c_compressionLevel, level)) ||
	    ZSTD_isError(ZSTD_CCtx_setParameter(c, ZSTD_c_checksumFlag, 1)) ||
	    ZSTD_isError(ZSTD_CCtx_setParameter(c, ZSTD_c_contentSizeFlag, 1)) ||
	    (cp.windowLog > SVD_BUNDLE_WINDOW_LOG_MAX &&
	     ZSTD_isError(
	         ZSTD_CCtx_setParameter(c, ZSTD_c_windowLog, SVD_BUNDLE_WINDOW_LOG_MAX)))) {
		ZSTD_freeCCtx(c);
		return NULL;
	}
	return c;
}

/* Compress one whole frame into *out (grown as needed); returns zstd's message or NULL. */
static const char *compress_frame(ZSTD_CCtx *c, uint8_t **out, size_t *out_cap, size_t *out_len,
                                  const void *in, size_t in_len)
{
	size_t bound = ZSTD_compressBound(in_len), r;

	if (*out_cap < bound) {
		uint8_t *p = realloc(*out, bound);
		if (!p)
			return "out of memory";
		*out = p;
		*out_cap = bound;
	}
	r = ZSTD_compress2(c, *out, *out_cap, in, in_len);
	if (ZSTD_isError(r))
		return ZSTD_getErrorName(r);
	*out_len = r;
	return NULL;
}

/* Each worker's own compression context. */
static int worker_new(void **state, void *payload)
{
	const pool *p = payload;

	if (!(*state = cctx_new(p->level)))
		return svd_error_set(SVD_ERROR, "cannot set up zstd");
	return 0;
}

static void worker_free(void *state, void *payload)
{
	(void)payload;
	ZSTD_freeCCtx(state);
}

static int compress_job(svd_job *qj, void *state, void *payload)
{
	job *j = (job *)qj;
	const char *failure;

	(void)payload;
	if ((failure = compress_frame(state, &j->out, &j->out_cap, &j->out_len, j->in, j->in_len)))
		return svd_error_set(SVD_ERROR, "cannot compress a frame: %s", failure);
	return 0;
}

static int pool_start(pool *p, unsigned nthreads, int level)
{
	svd_workq_opts o = {.threads = nthreads,
	                    .worker_new = worker_new,
	                    .worker_free = worker_free,
	                    .run = compress_job};
	int error;

	memset(p, 0, sizeof(*p));
	p->level = level;
	p->cap = (size_t)nthreads * 2 + 2;
	if (!(p->ring = calloc(p->cap, sizeof(*p->ring))))
		return svd_error_set(SVD_ERROR, "out of memory");
	o.limit = p->cap; /* the ring is never fuller than this: submit never waits */
	o.payload = p;
	if ((error = svd_workq_new(&p->q, &o)) < 0) {
		free(p->ring);
		p->ring = NULL;
	}
	return error;
}

static void pool_stop(pool *p)
{
	size_t i;

	svd_workq_free(p->q); /* what was not started is dropped */
	for (i = 0; i < p->cap; i++) {
		free(p->ring[i].in);
		free(p->ring[i].out);
	}
	free(p->ring);
}

static int push_frame(svd_bundle_writer *w, const frame_rec *f)
{
	if (w->nframes == w->capframes) {
		size_t ncap = w->capframes ? w->capframes * 2 : 64;
		frame_rec *p = realloc(w->frames, ncap * sizeof(*p));
		if (!p)
			return svd_error_set(SVD_ERROR, "out of memory");
		w->frames = p;
		w->capframes = ncap;
	}
	w->frames[w->nframes++] = *f;
	return 0;
}

static int membuf_add(membuf *m, const void *data, size_t len)
{
	if (m->len + len > m->cap) {
		size_t ncap = m->cap ? m->cap : 4096;
		uint8_t *p;
		while (ncap < m->len + len)
			ncap *= 2;
		if (!(p = realloc(m->p, ncap)))
			return -1;
		m->p = p;
		m->cap = ncap;
	}
	memcpy(m->p + m->len, data, len);
	m->len += len;
	return 0;
}

static la_ssize_t on_membuf(struct archive *ar, void *payload, const void *buf, size_t n)
{
	if (membuf_add(payload, buf, n) < 0) {
		archive_set_error(ar, ENOMEM, "out of memory");
		return -1;
	}
	return (la_ssize_t)n;
}

/* A tar writer with the bundle's settings: pax (restricted), no blocking. */
static struct archive *tar_new(void *payload, archive_write_callback *cb)
{
	struct archive *ar = archive_write_new();

	if (!ar)
		return NULL;
	if (archive_write_set_format_pax_restricted(ar) != ARCHIVE_OK ||
	    archive_write_set_bytes_per_block(ar, 0) != ARCHIVE_OK ||
	    archive_write_set_bytes_in_last_block(ar, 1) != ARCHIVE_OK ||
	    archive_write_open(ar, payload, NULL, cb, NULL) != ARCHIVE_OK) {
		archive_write_free(ar);
		return NULL;
	}
	return ar;
}

/* One regular file: 0644, owner 0:0, no names, mtime the bundle's time. */
static int tar_entry(struct archive *ar, const char *path, const void *data, size_t len,
                     time_t mtime)
{
	struct archive_entry *e = archive_entry_new();
	int error = 0;

	if (!e)
		return svd_error_set(SVD_ERROR, "out of memory");
	archive_entry_copy_pathname(e, path);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_uid(e, 0);
	archive_entry_set_gid(e, 0);
	archive_entry_set_size(e, (la_int64_t)len);
	archive_entry_set_mtime(e, mtime, 0);
	if (archive_write_header(ar, e) != ARCHIVE_OK ||
	    (len && archive_write_data(ar, data, len) != (la_ssize_t)len) ||
	    archive_write_finish_entry(ar) != ARCHIVE_OK)
		error = svd_error_set(SVD_ERROR, "%s: cannot write the tar entry: %s", path,
		                      archive_error_string(ar) ? archive_error_string(ar)
		                                               : "unknown error");
	archive_entry_free(e);
	return error;
}

/* Two items of a writer, by id. */
static int cmp_index_id(const void *x, const void *y, void *arg)
{
	const svd_bundle_writer *w = arg;

	return strcmp(w->ids[*(const size_t *)x], w->ids[*(const size_t *)y]);
}

/* The most bytes BUNDLE.json can take for this many items. */
static uint64_t meta_bound(size_t items)
{
	return META_FIXED_JSON + (uint64_t)items * (SVD_ID_HEX_LEN + 3);
}

/*
 * BUNDLE.json on its way out: its text made in pieces, twice (once to
 * count its bytes, which the tar header gives first, once to write them),
 * through libarchive's tar and one streamed zstd frame into a file. It is
 * never whole in memory: a million ids are 67 MB of JSON.
 */
typedef struct meta_out {
	svd_bundle_writer *w;
	svd_outfile *o; /* NULL: only counting */
	struct archive *ar;
	uint64_t json_len; /* counted */
	uint64_t tar_len;  /* tar bytes compressed */
	uint8_t *zbuf;
	size_t zcap, len;
	char buf[65536];
	int discard; /* libarchive's end marker, which the frame does not hold */
	int error;
	char msg[512];
} meta_out;

static int meta_zstd(meta_out *m, const void *data, size_t len, ZSTD_EndDirective mode)
{
	ZSTD_inBuffer in = {data, len, 0};
	int error;

	for (;;) {
		ZSTD_outBuffer out = {m->zbuf, m->zcap, 0};
		size_t r = ZSTD_compressStream2(m->w->cctx, &out, &in, mode);
		if (ZSTD_isError(r))
			return svd_error_set(SVD_ERROR, "cannot compress BUNDLE.json: %s",
			                     ZSTD_getErrorName(r));
		if (out.pos && (error = svd_outfile_write(m->o, m->zbuf, out.pos)) < 0)
			return error;
		if (mode == ZSTD_e_end ? r == 0 : in.pos == in.size)
			return 0;
	}
}

static la_ssize_t on_meta_tar(struct archive *ar, void *payload, const void *buf, size_t n)
{
	meta_out *m = payload;
	int error;

	(void)ar;
	if (m->discard)
		return (la_ssize_t)n;
	if (m->error)
		return -1;
	if ((error = meta_zstd(m, buf, n, ZSTD_e_continue)) < 0) {
		m->error = error;
		snprintf(m->msg, sizeof(m->msg), "%s", svd_error_last());
		return -1;
	}
	m->tar_len += n;
	return (la_ssize_t)n;
}

static int meta_flush(meta_out *m)
{
	if (m->len && archive_write_data(m->ar, m->buf, m->len) != (la_ssize_t)m->len)
		return m->error
		           ? svd_error_set(m->error, "%s", m->msg)
		           : svd_error_set(SVD_ERROR, "cannot write BUNDLE.json: %s",
		                           archive_error_string(m->ar) ? archive_error_string(m->ar)
		                                                       : "unknown error");
	m->len = 0;
	return 0;
}

static int meta_put(meta_out *m, const char *s, size_t n)
{
	int error;

	if (!m->o) {
		m->json_len += n;
		return 0;
	}
	if (m->len + n > sizeof(m->buf) && (error = meta_flush(m)) < 0)
		return error;
	memcpy(m->buf + m->len, s, n);
	m->len += n;
	return 0;
}

/* The canonical text of BUNDLE.json (SPEC 9.2) for the items sorted[0..count). */
static int meta_text(meta_out *m, const size_t *sorted, size_t count, size_t whole)
{
	const svd_bundle_writer *w = m->w;
	char num[32];
	int error, pass, format = whole < count ? 2 : 1;

	snprintf(num, sizeof(num), "%zu", whole);
	if ((error = meta_put(m, "{\"count\":", 9)) < 0 ||
	    (error = meta_put(m, num, strlen(num))) < 0 ||
	    (error = meta_put(m, ",\"created\":\"", 12)) < 0 ||
	    (error = meta_put(m, w->created, strlen(w->created))) < 0 ||
	    (error = meta_put(m, format == 2 ? "\",\"format\":2" : "\",\"format\":1", 12)) < 0)
		return error;
	/* pass 0: the ids of whole items; pass 1: the signature updates */
	for (pass = 0; pass < format; pass++) {
		size_t i, n = 0;
		if ((error = pass ? meta_put(m, ",\"updates\":[", 12)
		                  : meta_put(m, ",\"ids\":[", 8)) < 0)
			return error;
		for (i = 0; i < count; i++) {
			int up = w->updates && w->updates[sorted[i]];
			if (up != pass)
				continue;
			if ((n++ && (error = meta_put(m, ",", 1)) < 0) ||
			    (error = meta_put(m, "\"", 1)) < 0 ||
			    (error = meta_put(m, w->ids[sorted[i]], SVD_ID_HEX_LEN)) < 0 ||
			    (error = meta_put(m, "\"", 1)) < 0)
				return error;
		}
		if ((error = meta_put(m, "]", 1)) < 0)
			return error;
		if (pass == 0 && ((error = meta_put(m, ",\"mirror\":\"", 11)) < 0 ||
		                  (error = meta_put(m, w->mirror, strlen(w->mirror))) < 0 ||
		                  (error = meta_put(m, "\"", 1)) < 0))
			return error;
	}
	return meta_put(m, "}", 1);
}

/*
 * The first frame of a bundle, written to o: BUNDLE.json for items
 * [first, first + count), in one zstd frame that declares its content
 * size; *csize and *usize get its compressed and tar lengths. Format 1
 * when none of them is a signature update, so that a reader that knows
 * only format 1 reads it as before; format 2, with the updates apart, when
 * some are (SPEC.md, 9.2). Memory: 8 bytes an item, to sort them.
 */
static int meta_frame(svd_bundle_writer *w, svd_outfile *o, uint64_t *csize, uint64_t *usize,
                      size_t first, size_t count)
{
	meta_out *m = NULL;
	size_t *sorted = NULL, i, whole = 0;
	struct archive_entry *e = NULL;
	uint64_t start = o->size, tar_len;
	size_t r;
	int error = SVD_ERROR;

	if (!(m = calloc(1, sizeof(*m))) || !(sorted = malloc((count + 1) * sizeof(*sorted))) ||
	    !(m->zbuf = malloc(m->zcap = ZSTD_CStreamOutSize())) || !(e = archive_entry_new()))
		goto nomem;
	m->w = w;
	/* the entries come statements first (SPEC 9.3); BUNDLE.json lists them sorted */
	for (i = 0; i < count; i++) {
		sorted[i] = first + i;
		whole += !(w->updates && w->updates[first + i]);
	}
	qsort_r(sorted, count, sizeof(*sorted), cmp_index_id, w);
	if ((error = meta_text(m, sorted, count, whole)) < 0)
		goto cleanup;
	if (m->json_len > svd_bundle_meta_max()) {
		error =
		    svd_error_set(SVD_ERROR, "BUNDLE.json of %llu bytes, over the limit (a bug)",
		                  (unsigned long long)m->json_len);
		goto cleanup;
	}
	/* the tar of one small-named file: a ustar header, the data, its padding */
	tar_len = 512 + (m->json_len + 511) / 512 * 512;
	ZSTD_CCtx_reset(w->cctx, ZSTD_reset_session_only);
	r = ZSTD_CCtx_setPledgedSrcSize(w->cctx, tar_len);
	if (ZSTD_isError(r)) {
		error = svd_error_set(SVD_ERROR, "cannot compress BUNDLE.json: %s",
		                      ZSTD_getErrorName(r));
		goto cleanup;
	}
	m->o = o;
	error = SVD_ERROR;
	if (!(m->ar = tar_new(m, on_meta_tar)))
		goto nomem;
	archive_entry_copy_pathname(e, SVD_BUNDLE_META_NAME);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_uid(e, 0);
	archive_entry_set_gid(e, 0);
	archive_entry_set_size(e, (la_int64_t)m->json_len);
	archive_entry_set_mtime(e, w->created_t, 0);
	if (archive_write_header(m->ar, e) != ARCHIVE_OK) {
		error = m->error ? svd_error_set(m->error, "%s", m->msg)
		                 : svd_error_set(SVD_ERROR, "cannot write BUNDLE.json: %s",
		                                 archive_error_string(m->ar)
		                                     ? archive_error_string(m->ar)
		                                     : "unknown error");
		goto cleanup;
	}
	if ((error = meta_text(m, sorted, count, whole)) < 0 || (error = meta_flush(m)) < 0)
		goto cleanup;
	if (archive_write_finish_entry(m->ar) != ARCHIVE_OK) {
		error = m->error ? svd_error_set(m->error, "%s", m->msg)
		                 : svd_error_set(SVD_ERROR, "cannot write BUNDLE.json");
		goto cleanup;
	}
	if (m->tar_len != tar_len) {
		error = svd_error_set(SVD_ERROR, "BUNDLE.json: %llu bytes of tar, not %llu (a bug)",
		                      (unsigned long long)m->tar_len, (unsigned long long)tar_len);
		goto cleanup;
	}
	if ((error = meta_zstd(m, NULL, 0, ZSTD_e_end)) < 0)
		goto cleanup;
	*csize = o->size - start;
	*usize = tar_len;
	error = 0;
	goto cleanup;
nomem:
	error = svd_error_set(SVD_ERROR, "out of memory");
cleanup:
	if (m && m->ar) {
		m->discard = 1;
		archive_write_close(m->ar);
		archive_write_free(m->ar);
	}
	archive_entry_free(e);
	if (m)
		free(m->zbuf);
	free(m);
	free(sorted);
	return error;
}

/*
 * Write the end frame and the index after frames[0..nframes) (which cover
 * items [first, first + count) of w->items) to o.
 */
static int write_tail(svd_bundle_writer *w, svd_outfile *o, frame_rec *frames, size_t nframes,
                      size_t first, size_t count)
{
	frame_rec end = {o->size, w->end_len, SVD_BUNDLE_TAR_END, 0, 0};
	uint8_t *buf = NULL, *p;
	uint64_t len;
	size_t i = 0, k = 0;
	size_t skip = SVD_BUNDLE_SKIP_HEADER; /* the CRC leaves out the skippable frame's header */
	uLong crc = crc32(0L, Z_NULL, 0);
	int error;

	if ((error = svd_outfile_write(o, w->end_frame, w->end_len)) < 0)
		return error;
	frames[nframes++] = end; /* the caller left room */
	len = SVD_BUNDLE_INDEX_HEAD + (uint64_t)nframes * SVD_BUNDLE_INDEX_FRAME +
	      (uint64_t)count * SVD_BUNDLE_INDEX_ITEM;
	if (len + SVD_BUNDLE_INDEX_TAIL > UINT32_MAX) /* its lengths are 32 bits */
		return svd_error_set(SVD_ERROR, "an index of %zu frames and %zu items is too large",
		                     nframes, count);
	/* written in pieces, the CRC as it goes: 32 bytes an item are never all in memory */
	if (!(buf = malloc(INDEX_CHUNK)))
		return svd_error_set(SVD_ERROR, "out of memory");
	put_u32(buf, SVD_BUNDLE_INDEX_MAGIC);
	put_u32(buf + 4, (uint32_t)(len + SVD_BUNDLE_INDEX_TAIL));
	p = buf + SVD_BUNDLE_SKIP_HEADER;
	memcpy(p, SVD_BUNDLE_INDEX_TAG, 4);
	put_u32(p + 4, SVD_BUNDLE_INDEX_VERSION);
	put_u32(p + 8, (uint32_t)nframes);
	put_u32(p + 12, (uint32_t)count);
	p += SVD_BUNDLE_INDEX_HEAD;
	for (;;) {
		/* a frame record or an item id, while there is room for one */
		while ((size_t)(p - buf) + SVD_BUNDLE_INDEX_FRAME <= INDEX_CHUNK &&
		       (i < nframes || k < count)) {
			if (i < nframes) {
				put_u64(p, frames[i].offset);
				put_u64(p + 8, frames[i].csize);
				put_u64(p + 16, frames[i].usize);
				put_u32(p + 24,
				        (uint32_t)(frames[i].count ? frames[i].first - first : 0));
				put_u32(p + 28, (uint32_t)frames[i].count);
				p += SVD_BUNDLE_INDEX_FRAME;
				i++;
			} else {
				svd_hex_decode(p, 32, w->ids[first + k]);
				p += SVD_BUNDLE_INDEX_ITEM;
				k++;
			}
		}
		if (i == nframes && k == count &&
		    (size_t)(p - buf) + SVD_BUNDLE_INDEX_TAIL <= INDEX_CHUNK)
			break;
		crc = crc32(crc, buf + skip, (uInt)((size_t)(p - buf) - skip));
		skip = 0;
		if ((error = svd_outfile_write(o, buf, (size_t)(p - buf))) < 0)
			goto cleanup;
		p = buf;
	}
	crc = crc32(crc, buf + skip, (uInt)((size_t)(p - buf) - skip));
	put_u32(p, (uint32_t)crc);
	put_u32(p + 4, (uint32_t)len);
	memcpy(p + 8, SVD_BUNDLE_INDEX_END, 8);
	p += SVD_BUNDLE_INDEX_TAIL;
	error = svd_outfile_write(o, buf, (size_t)(p - buf));
cleanup:
	free(buf);
	return error;
}

/* The largest a part can be with these frames and items (BUNDLE.json at its worst). */
static uint64_t part_bound(size_t nframes, size_t items, uint64_t data)
{
	uint64_t json = meta_bound(items);
	uint64_t tar = 1024 + json + 512;

	return ZSTD_compressBound((size_t)tar) + 64 + data + 64 + SVD_BUNDLE_TAR_END +
	       SVD_BUNDLE_SKIP_HEADER + SVD_BUNDLE_INDEX_HEAD +
	       (nframes + 2) * SVD_BUNDLE_INDEX_FRAME + items * SVD_BUNDLE_INDEX_ITEM +
	       SVD_BUNDLE_INDEX_TAIL;
}

static char *part_name(const svd_bundle_writer *w, size_t n)
{
	size_t len = strlen(w->base) + 32;
	char *s = malloc(len);

	if (s)
		snprintf(s, len, "%s.%zu%s", w->base, n, w->seal ? "" : SPLIT_SUFFIX);
	else
		svd_error_set(SVD_ERROR, "out of memory");
	return s;
}

/* A file written (or about to be): removed again if the writer does not finish. */
static int result_add(svd_bundle_writer *w, const char *path, uint64_t size)
{
	char **p = realloc(w->files, (w->nfiles + 1) * sizeof(*p));

	if (!p)
		return svd_error_set(SVD_ERROR, "out of memory");
	w->files = p;
	if (!(p[w->nfiles] = svd_strdup(path)))
		return SVD_ERROR;
	w->nfiles++;
	w->bytes += size;
	return 0;
}

/* Copy [off, off + len) of the scratch file to the end of o. */
static int copy_range(svd_bundle_writer *w, svd_outfile *o, uint64_t off, uint64_t len)
{
	off64_t in_off = (off64_t)off;

	while (len > 0) {
		/* a sealed part is written through its sealer: no in-kernel copy */
		ssize_t n = o->sealer
		                ? -1
		                : copy_file_range(w->out.fd, &in_off, o->fd, NULL, (size_t)len, 0);
		if (o->sealer || (n < 0 && (errno == EXDEV || errno == ENOSYS || errno == EINVAL ||
		                            errno == EOPNOTSUPP))) {
			/* read and write */
			uint8_t buf[65536];
			n = pread(w->out.fd, buf, len < sizeof(buf) ? (size_t)len : sizeof(buf),
			          in_off);
			if (n > 0 && o->sealer) {
				int error = svd_outfile_write(o, buf, (size_t)n);
				if (error < 0)
					return error;
				o->size -= (uint64_t)n; /* counted below */
			} else if (n > 0 && svd_write_all(o->fd, buf, (size_t)n) < 0) {
				n = -1;
			}
			if (n > 0)
				in_off += n;
		}
		if (n < 0)
			return svd_error_set(SVD_ERROR, "%s: cannot write: %s (is the disk full?)",
			                     o->path, strerror(errno));
		if (n == 0)
			return svd_error_set(SVD_ERROR, "%s: the scratch file ended early",
			                     w->out.tmp);
		len -= (uint64_t)n;
		o->size += (uint64_t)n;
	}
	return 0;
}

/* A bundle file at path: sealed when the writer seals. */
static int outfile_open(const svd_bundle_writer *w, svd_outfile *o, const char *path)
{
	return w->seal ? svd_outfile_open_sealed(o, path, w->seal, SVD_SEAL_BUNDLE)
	               : svd_outfile_open(o, path);
}

/* Assemble the current part from the scratch file: NAME.N.tar.zst. */
static int part_finish(svd_bundle_writer *w)
{
	svd_outfile o = {0};
	frame_rec *frames = NULL;
	uint64_t meta_len, meta_usize;
	size_t i;
	char *name = NULL;
	int error;

	o.fd = -1;
	if (!(name = part_name(w, w->nparts + 1)))
		return SVD_ERROR;
	if (!(frames = malloc((w->nframes + 2) * sizeof(*frames)))) {
		error = svd_error_set(SVD_ERROR, "out of memory");
		goto cleanup;
	}
	if ((error = outfile_open(w, &o, name)) < 0 ||
	    (error = meta_frame(w, &o, &meta_len, &meta_usize, w->part_first, w->part_items)) < 0)
		goto cleanup;
	frames[0] = (frame_rec){0, meta_len, meta_usize, 0, 0};
	for (i = 0; i < w->nframes; i++) {
		frames[i + 1] = w->frames[i];
		frames[i + 1].offset = o.size + (w->frames[i].offset - w->part_start);
	}
	if ((error = copy_range(w, &o, w->part_start, w->part_data)) < 0 ||
	    (error = write_tail(w, &o, frames, w->nframes + 1, w->part_first, w->part_items)) < 0)
		goto cleanup;
	if (o.size > w->max_size) {
		error = svd_error_set(SVD_ERROR, "%s: %llu bytes, over the limit (a bug)", name,
		                      (unsigned long long)o.size);
		goto cleanup;
	}
	if ((error = result_add(w, name, o.size)) < 0 || (error = svd_outfile_commit(&o)) < 0)
		goto cleanup;
	/* the scratch space is not needed any more (where the file system can say so) */
	fallocate(w->out.fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)w->part_start,
	          (off_t)w->part_data);
	w->nparts++;
	w->part_start += w->part_data;
	w->part_first += w->part_items;
	w->part_data = 0;
	w->part_items = 0;
	w->nframes = 0;
cleanup:
	svd_outfile_abort(&o);
	free(frames);
	free(name);
	return error;
}

/*
 * A finished data frame: written (unless data is NULL: then it was streamed
 * to the file already, at offset) and recorded. With split, a part is
 * assembled first when this frame would not fit beside what it holds.
 */
static int sink_frame(svd_bundle_writer *w, const void *data, uint64_t offset, uint64_t csize,
                      uint64_t usize, size_t first, size_t count)
{
	frame_rec f = {data ? w->out.size : offset, csize, usize, first, count};
	int error;

	if (data && (error = svd_outfile_write(&w->out, data, (size_t)csize)) < 0)
		return error;
	if (w->split) {
		if (w->nframes > 0 &&
		    (part_bound(w->nframes + 1, w->part_items + count, w->part_data + csize) >
		         w->max_size ||
		     meta_bound(w->part_items + count) > svd_bundle_meta_max()) &&
		    (error = part_finish(w)) < 0)
			return error;
		if (part_bound(1, count, csize) > w->max_size) {
			if (count == 1)
				return svd_error_set(SVD_EINVALID,
				                     "item %s needs %llu bytes in a bundle of its "
				                     "own, over the size "
				                     "limit of %llu bytes; raise --max-size",
				                     w->ids[first],
				                     (unsigned long long)part_bound(1, 1, csize),
				                     (unsigned long long)w->max_size);
			return svd_error_set(
			    SVD_EINVALID,
			    "items %s to %s do not fit in a bundle of %llu bytes; raise --max-size",
			    w->ids[first], w->ids[first + count - 1],
			    (unsigned long long)w->max_size);
		}
		w->part_items += count;
		w->part_data += csize;
	}
	if ((error = push_frame(w, &f)) < 0)
		return error;
	w->items_done += count;
	if (w->progress)
		w->progress(w->items_done, w->out.size, w->payload);
	return 0;
}

/* Write the finished jobs at the head of the ring, in order; with wait, at least one. */
static int pool_collect(svd_bundle_writer *w, int wait)
{
	pool *p = &w->pool;

	for (;;) {
		job *j;
		int error;

		if (p->head == p->tail)
			return 0;
		j = &p->ring[p->head % p->cap];
		if (!wait && !svd_workq_done(p->q, &j->job))
			return 0;
		if ((error = svd_workq_wait(p->q, &j->job)) < 0)
			return error;
		error = sink_frame(w, j->out, 0, j->out_len, j->in_len, j->first, j->count);
		if (j->in_cap > 2 * SVD_BUNDLE_FRAME_TARGET) {
			/* after a large item: do not keep its buffers around */
			free(j->in);
			free(j->out);
			j->in = j->out = NULL;
			j->in_cap = j->out_cap = 0;
		}
		p->head++;
		if (error < 0)
			return error;
		wait = 0;
	}
}

static int pool_drain(svd_bundle_writer *w)
{
	int error = 0;

	while (error == 0 && w->pool.head != w->pool.tail)
		error = pool_collect(w, 1);
	return error;
}

/* Hand the frame buffer (its items: cur_first, cur_count) to the workers. */
static int submit(svd_bundle_writer *w)
{
	pool *p = &w->pool;
	job *j;
	uint8_t *t;
	size_t tcap;
	int error;

	if (w->cur_len == 0)
		return 0;
	while (p->tail - p->head == p->cap)
		if ((error = pool_collect(w, 1)) < 0)
			return error;
	if ((error = pool_collect(w, 0)) < 0)
		return error;
	j = &p->ring[p->tail % p->cap];
	/* swap buffers: the job takes the frame, the frame buffer reuses the job's old one */
	t = j->in;
	tcap = j->in_cap;
	j->in = w->cur;
	j->in_cap = w->cur_cap;
	j->in_len = w->cur_len;
	j->first = w->cur_first;
	j->count = w->cur_count;
	w->cur = t;
	w->cur_cap = tcap;
	w->cur_len = 0;
	w->cur_first += w->cur_count;
	w->cur_count = 0;
	p->tail++;
	return svd_workq_submit(p->q, &j->job, 1, 0);
}

static int cur_add(svd_bundle_writer *w, const void *data, size_t len)
{
	if (w->cur_len + len > w->cur_cap) {
		size_t ncap = w->cur_cap ? w->cur_cap : SVD_BUNDLE_FRAME_TARGET + 256 * 1024;
		uint8_t *p;
		while (ncap < w->cur_len + len)
			ncap *= 2;
		if (!(p = realloc(w->cur, ncap)))
			return svd_error_set(SVD_ERROR, "out of memory");
		w->cur = p;
		w->cur_cap = ncap;
	}
	memcpy(w->cur + w->cur_len, data, len);
	w->cur_len += len;
	return 0;
}

static int stream_write(svd_bundle_writer *w, const void *data, size_t len, ZSTD_EndDirective mode)
{
	ZSTD_inBuffer in = {data, len, 0};
	int error;

	for (;;) {
		ZSTD_outBuffer out = {w->zbuf, w->zcap, 0};
		size_t r = ZSTD_compressStream2(w->stream, &out, &in, mode);
		if (ZSTD_isError(r))
			return svd_error_set(SVD_ERROR, "item %s: cannot compress: %s",
			                     w->ids[w->item], ZSTD_getErrorName(r));
		if (out.pos && (error = svd_outfile_write(&w->out, w->zbuf, out.pos)) < 0)
			return error;
		if (mode == ZSTD_e_end ? r == 0 : in.pos == in.size)
			break;
	}
	w->stream_len += len;
	return 0;
}

/*
 * The current item has outgrown the frame buffer: the items before it
 * become a frame of their own, and the item is compressed as it comes, in
 * one frame without a content size (the size is not known in advance).
 */
static int stream_begin(svd_bundle_writer *w)
{
	size_t have = w->cur_len - w->item_start;
	uint8_t *mine = NULL;
	int error = SVD_ERROR;

	if (!(mine = malloc(have ? have : 1)))
		return svd_error_set(SVD_ERROR, "out of memory");
	memcpy(mine, w->cur + w->item_start, have);
	w->cur_len = w->item_start;
	if ((error = submit(w)) < 0 || (error = pool_drain(w)) < 0)
		goto cleanup;
	error = SVD_ERROR;
	if (!w->stream) {
		w->stream = cctx_new(w->level);
		w->zcap = ZSTD_CStreamOutSize();
		if (!w->stream || !(w->zbuf = malloc(w->zcap))) {
			svd_error_set(SVD_ERROR, "cannot set up zstd");
			goto cleanup;
		}
		if (w->threads > 1) {
			/* zstd's own threads for one big frame; small jobs keep memory flat */
			ZSTD_CCtx_setParameter(w->stream, ZSTD_c_nbWorkers, (int)w->threads);
			ZSTD_CCtx_setParameter(w->stream, ZSTD_c_jobSize, 4 << 20);
		}
	}
	ZSTD_CCtx_reset(w->stream, ZSTD_reset_session_only);
	w->streaming = 1;
	w->stream_at = w->out.size;
	w->stream_len = 0;
	error = stream_write(w, mine, have, ZSTD_e_continue);
cleanup:
	free(mine);
	return error;
}

static la_ssize_t on_tar(struct archive *ar, void *payload, const void *buf, size_t n)
{
	svd_bundle_writer *w = payload;
	int error = 0;

	(void)ar;
	if (w->discard)
		return (la_ssize_t)n;
	if (w->cb_error)
		return -1;
	if (!w->streaming && w->cur_len + n > STREAM_AT)
		error = stream_begin(w);
	if (error == 0)
		error =
		    w->streaming ? stream_write(w, buf, n, ZSTD_e_continue) : cur_add(w, buf, n);
	if (error < 0) {
		w->cb_error = error;
		snprintf(w->cb_msg, sizeof(w->cb_msg), "%s", svd_error_last());
		return -1;
	}
	return (la_ssize_t)n;
}

/*
 * One item's files as tar entries of the stream. Names are UTF-8 bytes,
 * and libarchive converts them from the locale's charset to UTF-8 for pax
 * headers: the calling thread works in C.UTF-8 while it writes them
 * (uselocale is per thread; the process's locale is not touched). Without
 * C.UTF-8, pax's hdrcharset=BINARY carries the same bytes as they are.
 */
static int write_item(svd_bundle_writer *w, const svd_bundle_file *files, size_t n)
{
	locale_t old = w->utf8 ? uselocale(w->utf8) : (locale_t)0;
	size_t i;
	int error = 0;

	for (i = 0; i < n && error == 0; i++) {
		error = tar_entry(w->ar, files[i].path, files[i].data, files[i].len, w->created_t);
		if (error < 0 && w->cb_error)
			error =
			    svd_error_set(w->cb_error, "%s", w->cb_msg); /* not libarchive's echo */
	}
	if (w->utf8)
		uselocale(old);
	return error;
}

/* After an item: close the frame if it is full; a large item goes alone. */
static int item_done(svd_bundle_writer *w)
{
	size_t len = w->cur_len - w->item_start;
	uint8_t *mine;
	int error;

	if (w->streaming) {
		if ((error = stream_write(w, NULL, 0, ZSTD_e_end)) < 0)
			return error;
		w->streaming = 0;
		error = sink_frame(w, NULL, w->stream_at, w->out.size - w->stream_at, w->stream_len,
		                   w->item, 1);
		w->cur_first = w->item + 1;
		w->cur_count = 0;
		w->cur_len = 0;
		return error;
	}
	w->cur_count++;
	if (len >= w->target && w->item_start > 0) {
		if (!(mine = malloc(len)))
			return svd_error_set(SVD_ERROR, "out of memory");
		memcpy(mine, w->cur + w->item_start, len);
		w->cur_len = w->item_start;
		w->cur_count--;
		error = submit(w);
		if (error == 0)
			error = cur_add(w, mine, len);
		free(mine);
		if (error < 0)
			return error;
		w->cur_count = 1;
	}
	/* a frame never holds more items than one BUNDLE.json lists, so that parts can */
	if (w->cur_len >= w->target ||
	    (w->split && meta_bound(w->cur_count + 1) > svd_bundle_meta_max()))
		return submit(w);
	return 0;
}

/* The end marker, compressed once: every bundle ends with the same frame. */
static int end_frame_make(svd_bundle_writer *w)
{
	static const uint8_t zeros[SVD_BUNDLE_TAR_END];
	size_t r =
	    ZSTD_compress2(w->cctx, w->end_frame, sizeof(w->end_frame), zeros, sizeof(zeros));

	if (ZSTD_isError(r))
		return svd_error_set(SVD_ERROR, "cannot compress the end marker: %s",
		                     ZSTD_getErrorName(r));
	w->end_len = r;
	return 0;
}

/* NAME for NAME.N.tar.zst: the output without its .tar.zst. */
static char *split_base(const char *output)
{
	size_t len = strlen(output), sl = strlen(SPLIT_SUFFIX);
	char *s = svd_strdup(output);

	if (s && len > sl && !strcmp(output + len - sl, SPLIT_SUFFIX))
		s[len - sl] = '\0';
	return s;
}

/* The items' frames all written: the rest of the buffer, then the ring drained. */
int svd_bundle_writer_items_done(svd_bundle_writer *w)
{
	int error;

	if (w->items_closed)
		return 0;
	if ((error = submit(w)) == 0)
		error = pool_drain(w);
	if (error == 0)
		w->items_closed = 1;
	return error;
}

static int extra_flush(svd_bundle_writer *w)
{
	extra_out *xo = &w->extra;
	const char *failure;
	size_t zlen, ulen = xo->tar.len;

	if (ulen == 0)
		return 0;
	if ((failure = compress_frame(w->cctx, &xo->z, &xo->zcap, &zlen, xo->tar.p, ulen)))
		return svd_error_set(SVD_ERROR, "cannot compress the reader library: %s", failure);
	xo->tar.len = 0;
	/* a frame of no items: readers skip its entries (SPEC.md, 9.8) */
	return sink_frame(w, xo->z, 0, zlen, ulen, 0, 0);
}

int svd_bundle_writer_new(svd_bundle_writer **out, const char *output,
                          const svd_bundle_writer_opts *opts)
{
	svd_bundle_writer *w = NULL;
	uint64_t meta_len, meta_usize;
	locale_t old;
	frame_rec f;
	char *scratch = NULL;
	int error = SVD_ERROR;

	*out = NULL;
	if (opts->level < 1 || opts->level > 19)
		return svd_error_set(SVD_EINVALID, "compression level %d: use 1 to 19",
		                     opts->level);
	if (!(w = calloc(1, sizeof(*w))) || !(w->output = svd_strdup(output))) {
		free(w);
		return svd_error_set(SVD_ERROR, "out of memory");
	}
	w->out.fd = -1;
	snprintf(w->mirror, sizeof(w->mirror), "%s", opts->mirror);
	w->ids = opts->ids;
	w->updates = opts->updates;
	w->seal = opts->seal;
	w->n = opts->n;
	w->progress = opts->progress;
	w->payload = opts->payload;
	w->level = opts->level;
	w->threads = svd_threads(opts->threads);
	w->max_size = opts->max_size;
	/* past what one BUNDLE.json may hold (some 4,000,000 items), parts even without a limit */
	w->split = w->max_size > 0 || meta_bound(w->n) > svd_bundle_meta_max();
	if (w->split && w->max_size == 0)
		w->max_size = UINT64_MAX; /* split by BUNDLE.json's size alone */
	w->target = SVD_BUNDLE_FRAME_TARGET;
	if (opts->max_size && opts->max_size / 16 < w->target)
		w->target = (size_t)(opts->max_size / 16) + 1; /* parts need smaller frames */
	svd_time_now(w->created, &w->created_t);
	if (!(w->cctx = cctx_new(w->level))) {
		error = svd_error_set(SVD_ERROR, "cannot set up zstd");
		goto cleanup;
	}
	if ((error = end_frame_make(w)) < 0 ||
	    (error = pool_start(&w->pool, w->threads, w->level)) < 0)
		goto cleanup;
	w->pool_up = 1;
	if (w->split) {
		/* several bundles of at most max_size bytes; frames wait in a scratch file */
		if (!(w->base = split_base(output)) || !(scratch = malloc(strlen(w->base) + 32))) {
			error = svd_error_set(SVD_ERROR, "out of memory");
			goto cleanup;
		}
		if (w->seal) {
			/* nothing in the clear beside a sealed output (a stick): the
			   frames wait on this machine */
			const char *tmp = getenv("TMPDIR");
			free(scratch);
			if (!(scratch = malloc(strlen(tmp && *tmp ? tmp : "/var/tmp") + 64))) {
				error = svd_error_set(SVD_ERROR, "out of memory");
				goto cleanup;
			}
			sprintf(scratch, "%s/samvydav-frames", tmp && *tmp ? tmp : "/var/tmp");
		} else {
			snprintf(scratch, strlen(w->base) + 32, "%s.frames", w->base);
		}
		if ((error = svd_outfile_open(&w->out, scratch)) < 0)
			goto cleanup;
	} else {
		/* one bundle: BUNDLE.json first, the items, the end marker, the index */
		if ((error = outfile_open(w, &w->out, output)) < 0 ||
		    (error = meta_frame(w, &w->out, &meta_len, &meta_usize, 0, w->n)) < 0)
			goto cleanup;
		f = (frame_rec){0, meta_len, meta_usize, 0, 0};
		if ((error = push_frame(w, &f)) < 0)
			goto cleanup;
	}
	w->utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
	old = w->utf8 ? uselocale(w->utf8) : (locale_t)0;
	if (!(w->ar = tar_new(w, on_tar)) ||
	    (!w->utf8 &&
	     archive_write_set_format_option(w->ar, "pax", "hdrcharset", "BINARY") != ARCHIVE_OK))
		error = svd_error_set(SVD_ERROR, "cannot set up the tar writer");
	if (w->utf8)
		uselocale(old);
	if (error < 0)
		goto cleanup;
	*out = w;
	w = NULL;
cleanup:
	free(scratch);
	svd_bundle_writer_free(w);
	return error;
}

int svd_bundle_writer_split(const svd_bundle_writer *w)
{
	return w->split;
}

int svd_bundle_writer_item(svd_bundle_writer *w, const svd_bundle_file *files, size_t n)
{
	int error;

	if (w->item >= w->n || w->items_closed)
		return svd_error_set(SVD_EINVALID, "an item more than the bundle was made for");
	w->item_start = w->cur_len;
	if ((error = write_item(w, files, n)) == 0)
		error = item_done(w);
	w->item++;
	return error;
}

int svd_bundle_writer_extra(svd_bundle_writer *w, const char *path, const void *data, size_t len)
{
	extra_out *xo = &w->extra;
	int error;

	if (w->split)
		return svd_error_set(SVD_EINVALID,
		                     "a reader library goes only into a bundle of one file");
	if ((error = svd_bundle_writer_items_done(w)) < 0)
		return error;
	if (!xo->ar && !(xo->ar = tar_new(&xo->tar, on_membuf)))
		return svd_error_set(SVD_ERROR, "cannot set up the tar writer");
	if ((error = tar_entry(xo->ar, path, data, len, w->created_t)) < 0)
		return error;
	if (xo->tar.len >= w->target)
		return extra_flush(w);
	return 0;
}

int svd_bundle_writer_finish(svd_bundle_writer *w, char ***files, size_t *nfiles, uint64_t *bytes)
{
	frame_rec f;
	int error;

	*files = NULL;
	*nfiles = 0;
	*bytes = 0;
	if (w->item != w->n)
		return svd_error_set(SVD_EINVALID, "the bundle ends after %zu of its %zu items",
		                     w->item, w->n);
	if ((error = svd_bundle_writer_items_done(w)) < 0 || (error = extra_flush(w)) < 0)
		return error;
	if (w->split) {
		if (w->nframes > 0 || w->nparts == 0)
			error = part_finish(w);
		svd_outfile_abort(&w->out); /* the scratch file is never kept */
	} else {
		/* room for the end frame that write_tail appends */
		f = (frame_rec){0, 0, 0, 0, 0};
		if ((error = push_frame(w, &f)) < 0)
			return error;
		w->nframes--;
		if ((error = write_tail(w, &w->out, w->frames, w->nframes, 0, w->n)) < 0 ||
		    (error = result_add(w, w->output, w->out.size)) < 0)
			return error;
		error = svd_outfile_commit(&w->out);
	}
	if (error < 0)
		return error;
	w->finished = 1;
	*files = w->files;
	*nfiles = w->nfiles;
	*bytes = w->bytes;
	w->files = NULL;
	w->nfiles = 0;
	return 0;
}

void svd_bundle_writer_free(svd_bundle_writer *w)
{
	size_t i;

	if (!w)
		return;
	if (w->ar) {
		w->discard = 1; /* the stream's own end marker is not wanted */
		archive_write_close(w->ar);
		archive_write_free(w->ar);
	}
	if (w->extra.ar) {
		archive_write_close(w->extra.ar);
		archive_write_free(w->extra.ar);
	}
	if (w->pool_up)
		pool_stop(&w->pool);
	svd_outfile_abort(&w->out);
	/* an unfinished bundle leaves nothing: parts already written go too */
	for (i = 0; i < w->nfiles; i++) {
		if (!w->finished)
			unlink(w->files[i]);
		free(w->files[i]);
	}
	free(w->files);
	if (w->utf8)
		freelocale(w->utf8);
	ZSTD_freeCCtx(w->cctx);
	ZSTD_freeCCtx(w->stream);
	free(w->extra.tar.p);
	free(w->extra.z);
	free(w->zbuf);
	free(w->cur);
	free(w->frames);
	free(w->base);
	free(w->output);
	free(w);
}
