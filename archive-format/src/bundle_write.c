/*
 * bundle_write.c: writing bundles (svd_export) and have-files (SPEC.md, 9).
 *
 * The shape of an export: the main thread walks the chosen items in id
 * order, reads each file of an item from git (one blob in memory at a
 * time: libgit2 cannot stream a packed blob) and writes it as tar entries
 * through libarchive into a frame buffer. When a frame is complete (about
 * 1 MiB of tar), the buffer goes to a ring of jobs that a queue's workers
 * (workq.h) compress, each with its own ZSTD_CCtx; the main thread writes
 * finished frames in order, so reading and compressing overlap. An item that outgrows the
 * buffer (STREAM_AT) is compressed as one streamed frame of its own.
 * Memory stays at the id list plus a few frames, whatever the archive's size.
 *
 * With max_size, frames go to a scratch file beside the output; a part is
 * assembled (BUNDLE.json frame, its frames copied, end marker, index) when
 * the next frame would not fit under the limit.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <git2.h>
#include <git2/sys/repository.h>
#include <jansson.h>
#include <locale.h>
#include <sodium.h>
#include <zlib.h>
#define ZSTD_STATIC_LINKING_ONLY /* ZSTD_getCParams(): the window a level picks */
#include <zstd.h>

#include "samvydav/bundle.h"
#include "samvydav/render.h"
#include "samvydav/view.h"
#include "archive_internal.h"
#include "bundle_internal.h"
#include "canon.h"
#include "store_internal.h"
#include "util.h"
#include "workq.h"

#define STREAM_AT       (8u * 1024 * 1024) /* an item past this is streamed in its own frame */
#define HAVE_HEADER     "samvydav have 1"
#define HAVE_LINE_MAX   80 /* bytes of a have-file line, LF included */
#define SPLIT_SUFFIX    ".tar.zst"
#define TIME_LEN        20  /* YYYY-MM-DDTHH:MM:SSZ */
#define META_FIXED_JSON 256 /* BUNDLE.json without its ids, generously */

/* A file written under a temporary name, then fsynced and renamed into place. */
typedef struct outfile {
	char *path, *tmp;
	int fd;
	uint64_t size;
} outfile;

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

typedef struct exporter {
	svd_archive *a;
	const svd_export_opts *opts;
	svd_export_result *result;
	svd_item_ref *items; /* the chosen items, id order */
	size_t n;
	char created[TIME_LEN + 1];
	time_t created_t;
	int level, split;
	unsigned threads;
	uint64_t max_size;
	size_t target; /* tar bytes after which a frame is closed */
	pool pool;
	int pool_up;
	ZSTD_CCtx *cctx;   /* the main thread's: BUNDLE.json and the end marker */
	ZSTD_CCtx *stream; /* for a streamed item */
	/* the tar stream of the items */
	struct archive *ar;
	uint8_t *cur;
	size_t cur_len, cur_cap, cur_first, cur_count, item_start, item;
	int streaming, discard, cb_error;
	char cb_msg[512]; /* the callback's failure, which libarchive only echoes */
	uint64_t stream_at, stream_len;
	uint8_t *zbuf;
	size_t zcap;
	/* where frames go: the bundle itself, or with split the scratch file */
	outfile out;
	frame_rec *frames;
	size_t nframes, capframes;
	uint64_t part_start, part_data;
	size_t part_first, part_items, nparts;
	char *base;
	uint8_t end_frame[256 + SVD_BUNDLE_TAR_END]; /* the end marker, compressed once */
	size_t end_len;
	uint64_t items_done;
} exporter;

struct svd_have {
	char mirror[SVD_MIRROR_ID_LEN + 1];
	char created[TIME_LEN + 1];
	uint8_t *ids; /* n * 32 bytes, sorted */
	size_t n;
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

static int outfile_open(outfile *o, const char *path)
{
	size_t n = strlen(path) + 32;

	memset(o, 0, sizeof(*o));
	o->fd = -1;
	if (!(o->path = svd_strdup(path)) || !(o->tmp = malloc(n))) {
		free(o->path);
		o->path = NULL;
		return svd_error_set(SVD_ERROR, "out of memory");
	}
	snprintf(o->tmp, n, "%s.tmp-%08x", path, randombytes_random());
	o->fd = open(o->tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (o->fd < 0) {
		int e = errno;
		free(o->path);
		free(o->tmp);
		o->path = o->tmp = NULL;
		return svd_error_set(e == ENOENT ? SVD_ENOTFOUND : SVD_ERROR,
		                     "%s: cannot create: %s", path, strerror(e));
	}
	return 0;
}

static int outfile_write(outfile *o, const void *data, size_t len)
{
	if (svd_write_all(o->fd, data, len) < 0)
		return svd_error_set(SVD_ERROR, "%s: cannot write: %s (is the disk full?)", o->path,
		                     strerror(errno));
	o->size += len;
	return 0;
}

/* Drop the temporary file; nothing of it stays behind. */
static void outfile_abort(outfile *o)
{
	if (o->fd >= 0)
		close(o->fd);
	if (o->tmp)
		unlink(o->tmp);
	free(o->tmp);
	free(o->path);
	memset(o, 0, sizeof(*o));
	o->fd = -1;
}

/* fsync, close, rename into place, fsync the folder. */
static int outfile_commit(outfile *o)
{
	char *dir = NULL;
	int error = SVD_ERROR, fd = o->fd;

	o->fd = -1;
	if (fsync(fd) < 0) {
		close(fd);
		svd_error_set(SVD_ERROR, "%s: cannot write: %s", o->path, strerror(errno));
		goto cleanup;
	}
	if (close(fd) < 0) {
		svd_error_set(SVD_ERROR, "%s: cannot write: %s", o->path, strerror(errno));
		goto cleanup;
	}
	if (rename(o->tmp, o->path) < 0) {
		svd_error_set(SVD_ERROR, "%s: cannot rename into place: %s", o->path,
		              strerror(errno));
		goto cleanup;
	}
	free(o->tmp);
	o->tmp = NULL;
	if (!(dir = svd_path_dir(o->path)))
		goto cleanup;
	error = svd_dir_fsync(dir);
cleanup:
	free(dir);
	outfile_abort(o);
	return error;
}

/* The current time as YYYY-MM-DDTHH:MM:SSZ. */
static void time_now(char out[TIME_LEN + 1], time_t *t)
{
	struct tm tm;

	*t = time(NULL);
	gmtime_r(t, &tm);
	strftime(out, TIME_LEN + 1, "%Y-%m-%dT%H:%M:%SZ", &tm);
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

static int push_frame(exporter *ex, const frame_rec *f)
{
	if (ex->nframes == ex->capframes) {
		size_t ncap = ex->capframes ? ex->capframes * 2 : 64;
		frame_rec *p = realloc(ex->frames, ncap * sizeof(*p));
		if (!p)
			return svd_error_set(SVD_ERROR, "out of memory");
		ex->frames = p;
		ex->capframes = ncap;
	}
	ex->frames[ex->nframes++] = *f;
	return 0;
}

/* libarchive's output into a growing memory buffer (for BUNDLE.json). */
typedef struct membuf {
	uint8_t *p;
	size_t len, cap;
} membuf;

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

/* The first frame of a bundle: BUNDLE.json for items [first, first + count), compressed. */
static int meta_frame(exporter *ex, uint8_t **out, size_t *out_len, size_t *usize, size_t first,
                      size_t count)
{
	json_t *o = NULL, *ids = NULL;
	char *json = NULL;
	size_t len, cap = 0, i;
	membuf tar = {0};
	struct archive *ar = NULL;
	const char *failure;
	int error = SVD_ERROR;

	*out = NULL;
	if (!(ids = json_array()))
		goto nomem;
	for (i = 0; i < count; i++)
		if (json_array_append_new(ids, json_string(ex->items[first + i].id)) < 0)
			goto nomem;
	o = json_pack("{s:i,s:s,s:s,s:I,s:O}", "format", SVD_BUNDLE_FORMAT, "created", ex->created,
	              "mirror", svd_archive_mirror_id(ex->a), "count", (json_int_t)count, "ids",
	              ids);
	if (!o)
		goto nomem;
	if ((error = svd_canon_dump(&json, &len, o)) < 0)
		goto cleanup;
	error = SVD_ERROR;
	if (!(ar = tar_new(&tar, on_membuf)))
		goto nomem;
	if ((error = tar_entry(ar, SVD_BUNDLE_META_NAME, json, len, ex->created_t)) < 0)
		goto cleanup;
	error = SVD_ERROR;
	if ((failure = compress_frame(ex->cctx, out, &cap, out_len, tar.p, tar.len))) {
		svd_error_set(SVD_ERROR, "cannot compress BUNDLE.json: %s", failure);
		goto cleanup;
	}
	*usize = tar.len;
	error = 0;
	goto cleanup;
nomem:
	svd_error_set(SVD_ERROR, "out of memory");
cleanup:
	if (error < 0) {
		free(*out);
		*out = NULL;
	}
	if (ar) {
		archive_write_close(ar);
		archive_write_free(ar);
	}
	free(tar.p);
	free(json);
	json_decref(o);
	json_decref(ids);
	return error;
}

/*
 * Write the end frame and the index after frames[0..nframes) (which cover
 * items [first, first + count) of ex->items) to o.
 */
static int write_tail(exporter *ex, outfile *o, frame_rec *frames, size_t nframes, size_t first,
                      size_t count)
{
	frame_rec end = {o->size, ex->end_len, SVD_BUNDLE_TAR_END, 0, 0};
	size_t len, i, k;
	uint8_t *buf = NULL, *p;
	int error;

	if ((error = outfile_write(o, ex->end_frame, ex->end_len)) < 0)
		return error;
	frames[nframes++] = end; /* the caller left room */
	len = SVD_BUNDLE_INDEX_HEAD + nframes * SVD_BUNDLE_INDEX_FRAME +
	      count * SVD_BUNDLE_INDEX_ITEM;
	if (!(buf = malloc(SVD_BUNDLE_SKIP_HEADER + len + SVD_BUNDLE_INDEX_TAIL)))
		return svd_error_set(SVD_ERROR, "out of memory");
	p = buf;
	put_u32(p, SVD_BUNDLE_INDEX_MAGIC);
	put_u32(p + 4, (uint32_t)(len + SVD_BUNDLE_INDEX_TAIL));
	p += SVD_BUNDLE_SKIP_HEADER;
	memcpy(p, SVD_BUNDLE_INDEX_TAG, 4);
	put_u32(p + 4, SVD_BUNDLE_INDEX_VERSION);
	put_u32(p + 8, (uint32_t)nframes);
	put_u32(p + 12, (uint32_t)count);
	p += SVD_BUNDLE_INDEX_HEAD;
	for (i = 0; i < nframes; i++, p += SVD_BUNDLE_INDEX_FRAME) {
		put_u64(p, frames[i].offset);
		put_u64(p + 8, frames[i].csize);
		put_u64(p + 16, frames[i].usize);
		put_u32(p + 24, (uint32_t)(frames[i].count ? frames[i].first - first : 0));
		put_u32(p + 28, (uint32_t)frames[i].count);
	}
	for (k = 0; k < count; k++, p += SVD_BUNDLE_INDEX_ITEM)
		svd_hex_decode(p, 32, ex->items[first + k].id);
	put_u32(p, (uint32_t)crc32(0L, buf + SVD_BUNDLE_SKIP_HEADER, (uInt)len));
	put_u32(p + 4, (uint32_t)len);
	memcpy(p + 8, SVD_BUNDLE_INDEX_END, 8);
	error = outfile_write(o, buf, SVD_BUNDLE_SKIP_HEADER + len + SVD_BUNDLE_INDEX_TAIL);
	free(buf);
	return error;
}

/* The largest a part can be with these frames and items (BUNDLE.json at its worst). */
static uint64_t part_bound(size_t nframes, size_t items, uint64_t data)
{
	uint64_t json = META_FIXED_JSON + (uint64_t)items * (SVD_ID_HEX_LEN + 3);
	uint64_t tar = 1024 + json + 512;

	return ZSTD_compressBound((size_t)tar) + 64 + data + 64 + SVD_BUNDLE_TAR_END +
	       SVD_BUNDLE_SKIP_HEADER + SVD_BUNDLE_INDEX_HEAD +
	       (nframes + 2) * SVD_BUNDLE_INDEX_FRAME + items * SVD_BUNDLE_INDEX_ITEM +
	       SVD_BUNDLE_INDEX_TAIL;
}

static char *part_name(const exporter *ex, size_t n)
{
	size_t len = strlen(ex->base) + 32;
	char *s = malloc(len);

	if (s)
		snprintf(s, len, "%s.%zu%s", ex->base, n, SPLIT_SUFFIX);
	else
		svd_error_set(SVD_ERROR, "out of memory");
	return s;
}

static int result_add(exporter *ex, const char *path, uint64_t size)
{
	char **p = realloc(ex->result->files, (ex->result->nfiles + 1) * sizeof(*p));

	if (!p)
		return svd_error_set(SVD_ERROR, "out of memory");
	ex->result->files = p;
	if (!(p[ex->result->nfiles] = svd_strdup(path)))
		return SVD_ERROR;
	ex->result->nfiles++;
	ex->result->bytes += size;
	return 0;
}

/* Copy [off, off + len) of the scratch file to the end of o. */
static int copy_range(exporter *ex, outfile *o, uint64_t off, uint64_t len)
{
	off64_t in_off = (off64_t)off;

	while (len > 0) {
		ssize_t n = copy_file_range(ex->out.fd, &in_off, o->fd, NULL, (size_t)len, 0);
		if (n < 0 &&
		    (errno == EXDEV || errno == ENOSYS || errno == EINVAL || errno == EOPNOTSUPP)) {
			/* no in-kernel copy here: read and write */
			uint8_t buf[65536];
			n = pread(ex->out.fd, buf, len < sizeof(buf) ? (size_t)len : sizeof(buf),
			          in_off);
			if (n > 0 && svd_write_all(o->fd, buf, (size_t)n) < 0)
				n = -1;
			if (n > 0)
				in_off += n;
		}
		if (n < 0)
			return svd_error_set(SVD_ERROR, "%s: cannot write: %s (is the disk full?)",
			                     o->path, strerror(errno));
		if (n == 0)
			return svd_error_set(SVD_ERROR, "%s: the scratch file ended early",
			                     ex->out.tmp);
		len -= (uint64_t)n;
		o->size += (uint64_t)n;
	}
	return 0;
}

/* Assemble the current part from the scratch file: NAME.N.tar.zst. */
static int part_finish(exporter *ex)
{
	outfile o = {0};
	frame_rec *frames = NULL;
	uint8_t *meta = NULL;
	size_t meta_len, meta_usize, i;
	char *name = NULL;
	int error;

	o.fd = -1;
	if (!(name = part_name(ex, ex->nparts + 1)))
		return SVD_ERROR;
	if (!(frames = malloc((ex->nframes + 2) * sizeof(*frames)))) {
		error = svd_error_set(SVD_ERROR, "out of memory");
		goto cleanup;
	}
	if ((error = meta_frame(ex, &meta, &meta_len, &meta_usize, ex->part_first,
	                        ex->part_items)) < 0 ||
	    (error = outfile_open(&o, name)) < 0 || (error = outfile_write(&o, meta, meta_len)) < 0)
		goto cleanup;
	frames[0] = (frame_rec){0, meta_len, meta_usize, 0, 0};
	for (i = 0; i < ex->nframes; i++) {
		frames[i + 1] = ex->frames[i];
		frames[i + 1].offset = o.size + (ex->frames[i].offset - ex->part_start);
	}
	if ((error = copy_range(ex, &o, ex->part_start, ex->part_data)) < 0 ||
	    (error = write_tail(ex, &o, frames, ex->nframes + 1, ex->part_first, ex->part_items)) <
	        0)
		goto cleanup;
	if (o.size > ex->max_size) {
		error = svd_error_set(SVD_ERROR, "%s: %llu bytes, over the limit (a bug)", name,
		                      (unsigned long long)o.size);
		goto cleanup;
	}
	if ((error = result_add(ex, name, o.size)) < 0 || (error = outfile_commit(&o)) < 0)
		goto cleanup;
	/* the scratch space is not needed any more (where the file system can say so) */
	fallocate(ex->out.fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)ex->part_start,
	          (off_t)ex->part_data);
	ex->nparts++;
	ex->part_start += ex->part_data;
	ex->part_first += ex->part_items;
	ex->part_data = 0;
	ex->part_items = 0;
	ex->nframes = 0;
cleanup:
	outfile_abort(&o);
	free(frames);
	free(meta);
	free(name);
	return error;
}

/*
 * A finished data frame: written (unless data is NULL: then it was streamed
 * to the file already, at offset) and recorded. With split, a part is
 * assembled first when this frame would not fit beside what it holds.
 */
static int sink_frame(exporter *ex, const void *data, uint64_t offset, uint64_t csize,
                      uint64_t usize, size_t first, size_t count)
{
	frame_rec f = {data ? ex->out.size : offset, csize, usize, first, count};
	int error;

	if (data && (error = outfile_write(&ex->out, data, (size_t)csize)) < 0)
		return error;
	if (ex->split) {
		if (ex->nframes > 0 &&
		    (part_bound(ex->nframes + 1, ex->part_items + count, ex->part_data + csize) >
		         ex->max_size ||
		     ex->part_items + count > SVD_BUNDLE_MAX_ITEMS) &&
		    (error = part_finish(ex)) < 0)
			return error;
		if (part_bound(1, count, csize) > ex->max_size) {
			if (count == 1)
				return svd_error_set(SVD_EINVALID,
				                     "item %s needs %llu bytes in a bundle of its "
				                     "own, over the size "
				                     "limit of %llu bytes; raise --max-size",
				                     ex->items[first].id,
				                     (unsigned long long)part_bound(1, 1, csize),
				                     (unsigned long long)ex->max_size);
			return svd_error_set(
			    SVD_EINVALID,
			    "items %s to %s do not fit in a bundle of %llu bytes; raise --max-size",
			    ex->items[first].id, ex->items[first + count - 1].id,
			    (unsigned long long)ex->max_size);
		}
		ex->part_items += count;
		ex->part_data += csize;
	}
	if ((error = push_frame(ex, &f)) < 0)
		return error;
	ex->items_done += count;
	if (ex->opts->progress)
		ex->opts->progress(ex->items_done, ex->out.size, ex->opts->payload);
	return 0;
}

/* Write the finished jobs at the head of the ring, in order; with wait, at least one. */
static int pool_collect(exporter *ex, int wait)
{
	pool *p = &ex->pool;

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
		error = sink_frame(ex, j->out, 0, j->out_len, j->in_len, j->first, j->count);
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

static int pool_drain(exporter *ex)
{
	int error = 0;

	while (error == 0 && ex->pool.head != ex->pool.tail)
		error = pool_collect(ex, 1);
	return error;
}

/* Hand the frame buffer (its items: cur_first, cur_count) to the workers. */
static int submit(exporter *ex)
{
	pool *p = &ex->pool;
	job *j;
	uint8_t *t;
	size_t tcap;
	int error;

	if (ex->cur_len == 0)
		return 0;
	while (p->tail - p->head == p->cap)
		if ((error = pool_collect(ex, 1)) < 0)
			return error;
	if ((error = pool_collect(ex, 0)) < 0)
		return error;
	j = &p->ring[p->tail % p->cap];
	/* swap buffers: the job takes the frame, the frame buffer reuses the job's old one */
	t = j->in;
	tcap = j->in_cap;
	j->in = ex->cur;
	j->in_cap = ex->cur_cap;
	j->in_len = ex->cur_len;
	j->first = ex->cur_first;
	j->count = ex->cur_count;
	ex->cur = t;
	ex->cur_cap = tcap;
	ex->cur_len = 0;
	ex->cur_first += ex->cur_count;
	ex->cur_count = 0;
	p->tail++;
	return svd_workq_submit(p->q, &j->job, 1, 0);
}

static int cur_add(exporter *ex, const void *data, size_t len)
{
	if (ex->cur_len + len > ex->cur_cap) {
		size_t ncap = ex->cur_cap ? ex->cur_cap : SVD_BUNDLE_FRAME_TARGET + 256 * 1024;
		uint8_t *p;
		while (ncap < ex->cur_len + len)
			ncap *= 2;
		if (!(p = realloc(ex->cur, ncap)))
			return svd_error_set(SVD_ERROR, "out of memory");
		ex->cur = p;
		ex->cur_cap = ncap;
	}
	memcpy(ex->cur + ex->cur_len, data, len);
	ex->cur_len += len;
	return 0;
}

static int stream_write(exporter *ex, const void *data, size_t len, ZSTD_EndDirective mode)
{
	ZSTD_inBuffer in = {data, len, 0};
	int error;

	for (;;) {
		ZSTD_outBuffer out = {ex->zbuf, ex->zcap, 0};
		size_t r = ZSTD_compressStream2(ex->stream, &out, &in, mode);
		if (ZSTD_isError(r))
			return svd_error_set(SVD_ERROR, "item %s: cannot compress: %s",
			                     ex->items[ex->item].id, ZSTD_getErrorName(r));
		if (out.pos && (error = outfile_write(&ex->out, ex->zbuf, out.pos)) < 0)
			return error;
		if (mode == ZSTD_e_end ? r == 0 : in.pos == in.size)
			break;
	}
	ex->stream_len += len;
	return 0;
}

/*
 * The current item has outgrown the frame buffer: the items before it
 * become a frame of their own, and the item is compressed as it comes, in
 * one frame without a content size (the size is not known in advance).
 */
static int stream_begin(exporter *ex)
{
	size_t have = ex->cur_len - ex->item_start;
	uint8_t *mine = NULL;
	int error = SVD_ERROR;

	if (!(mine = malloc(have ? have : 1)))
		return svd_error_set(SVD_ERROR, "out of memory");
	memcpy(mine, ex->cur + ex->item_start, have);
	ex->cur_len = ex->item_start;
	if ((error = submit(ex)) < 0 || (error = pool_drain(ex)) < 0)
		goto cleanup;
	error = SVD_ERROR;
	if (!ex->stream) {
		ex->stream = cctx_new(ex->level);
		ex->zcap = ZSTD_CStreamOutSize();
		if (!ex->stream || !(ex->zbuf = malloc(ex->zcap))) {
			svd_error_set(SVD_ERROR, "cannot set up zstd");
			goto cleanup;
		}
		if (ex->threads > 1) {
			/* zstd's own threads for one big frame; small jobs keep memory flat */
			ZSTD_CCtx_setParameter(ex->stream, ZSTD_c_nbWorkers, (int)ex->threads);
			ZSTD_CCtx_setParameter(ex->stream, ZSTD_c_jobSize, 4 << 20);
		}
	}
	ZSTD_CCtx_reset(ex->stream, ZSTD_reset_session_only);
	ex->streaming = 1;
	ex->stream_at = ex->out.size;
	ex->stream_len = 0;
	error = stream_write(ex, mine, have, ZSTD_e_continue);
cleanup:
	free(mine);
	return error;
}

static la_ssize_t on_tar(struct archive *ar, void *payload, const void *buf, size_t n)
{
	exporter *ex = payload;
	int error = 0;

	(void)ar;
	if (ex->discard)
		return (la_ssize_t)n;
	if (ex->cb_error)
		return -1;
	if (!ex->streaming && ex->cur_len + n > STREAM_AT)
		error = stream_begin(ex);
	if (error == 0)
		error =
		    ex->streaming ? stream_write(ex, buf, n, ZSTD_e_continue) : cur_add(ex, buf, n);
	if (error < 0) {
		ex->cb_error = error;
		snprintf(ex->cb_msg, sizeof(ex->cb_msg), "%s", svd_error_last());
		return -1;
	}
	return (la_ssize_t)n;
}

static int is_file(const git_tree_entry *te)
{
	return git_tree_entry_filemode(te) == GIT_FILEMODE_BLOB ||
	       git_tree_entry_filemode(te) == GIT_FILEMODE_BLOB_EXECUTABLE;
}

/*
 * Reading blobs out of git (inflating them) is most of the main thread's
 * work in an export, while zstd runs on the others: a reader thread, with a
 * repository handle of its own, reads items ahead into memory, in order,
 * and the main thread only turns them into tar. The read-ahead is bounded
 * (PREFETCH_BYTES, at least one item), so memory does not grow with the
 * archive.
 */
#define PREFETCH_BYTES (8u * 1024 * 1024)

typedef struct pf_file {
	char *path;
	git_blob *blob; /* freed by the main thread: with libgit2's cache off, no
	                   other object shares it */
} pf_file;

typedef struct pf_item {
	pf_file *files;
	size_t n, cap;
	uint64_t bytes;
	struct pf_item *next;
} pf_item;

typedef struct prefetch {
	const char *store_path;
	const svd_item_ref *items;
	size_t n;
	svd_workq *reader; /* a task; its failure, with the message, is the queue's */
	pthread_mutex_t lock;
	pthread_cond_t changed;
	pf_item *head, *tail; /* read, not yet taken */
	uint64_t queued;      /* bytes in the queue */
	int stop;             /* the main thread gives up */
} prefetch;

static void pf_item_free(pf_item *it)
{
	size_t i;

	if (!it)
		return;
	for (i = 0; i < it->n; i++) {
		free(it->files[i].path);
		git_blob_free(it->files[i].blob);
	}
	free(it->files);
	free(it);
}

static int pf_add(pf_item *it, git_repository *repo, const git_oid *oid, const char *path)
{
	git_blob *blob = NULL;
	pf_file *f;

	if (it->n == it->cap) {
		size_t cap = it->cap ? it->cap * 2 : 8;
		pf_file *p = realloc(it->files, cap * sizeof(*p));
		if (!p)
			return svd_error_set(SVD_ERROR, "out of memory");
		it->files = p;
		it->cap = cap;
	}
	if (git_blob_lookup(&blob, repo, oid) < 0)
		return svd_git_error(path);
	f = &it->files[it->n];
	if (!(f->path = strdup(path))) {
		git_blob_free(blob);
		return svd_error_set(SVD_ERROR, "out of memory");
	}
	f->blob = blob;
	it->n++;
	it->bytes += (uint64_t)git_blob_rawsize(blob);
	return 0;
}

/*
 * One item's files, in the bundle's order: manifest.json, the payload files
 * (git's order of names is byte order, the manifest's order), then sig/
 * sorted. Anything else in the folder (links, other folders) is not carried:
 * the gate would refuse it.
 */
static int pf_read_item(pf_item *it, git_repository *repo, const svd_item_ref *r)
{
	char path[SVD_BUNDLE_PATH_MAX];
	git_tree *tree = NULL, *sig = NULL;
	const git_tree_entry *te;
	size_t i, n;
	int error = 0;

	if (git_tree_lookup(&tree, repo, &r->tree) < 0)
		return svd_git_error("cannot read an item's folder");
	if ((te = git_tree_entry_byname(tree, SVD_MANIFEST_NAME)) && is_file(te)) {
		snprintf(path, sizeof(path), "items/%s/%s/%s", r->fan, r->id, SVD_MANIFEST_NAME);
		if ((error = pf_add(it, repo, git_tree_entry_id(te), path)) < 0)
			goto cleanup;
	}
	n = git_tree_entrycount(tree);
	for (i = 0; i < n && error == 0; i++) {
		te = git_tree_entry_byindex(tree, i);
		if (!is_file(te) || !strcmp(git_tree_entry_name(te), SVD_MANIFEST_NAME))
			continue;
		if ((size_t)snprintf(path, sizeof(path), "items/%s/%s/%s", r->fan, r->id,
		                     git_tree_entry_name(te)) >= sizeof(path))
			continue;
		error = pf_add(it, repo, git_tree_entry_id(te), path);
	}
	te = git_tree_entry_byname(tree, SVD_SIG_DIR);
	if (error == 0 && te && git_tree_entry_type(te) == GIT_OBJECT_TREE) {
		if (git_tree_lookup(&sig, repo, git_tree_entry_id(te)) < 0) {
			error = svd_git_error("cannot read an item's signatures");
			goto cleanup;
		}
		n = git_tree_entrycount(sig);
		for (i = 0; i < n && error == 0; i++) {
			te = git_tree_entry_byindex(sig, i);
			if (!is_file(te) ||
			    (size_t)snprintf(path, sizeof(path), "items/%s/%s/%s/%s", r->fan, r->id,
			                     SVD_SIG_DIR, git_tree_entry_name(te)) >= sizeof(path))
				continue;
			error = pf_add(it, repo, git_tree_entry_id(te), path);
		}
	}
cleanup:
	git_tree_free(sig);
	git_tree_free(tree);
	return error;
}

/*
 * The reader's task: the items in order, until the end, a failure or the
 * main thread's stop. A failure ends the reading; the main thread takes
 * the items read before it, then finds the failure in pf->reader.
 */
static int pf_run(svd_workq *q, void *arg)
{
	prefetch *pf = arg;
	git_repository *repo = NULL;
	size_t i;
	int error = 0;

	if (git_repository_open_bare(&repo, pf->store_path) < 0)
		error = svd_git_error("cannot open the archive's repository");
	for (i = 0; i < pf->n && error == 0; i++) {
		pf_item *it = calloc(1, sizeof(*it));
		int stop;

		if (!it) {
			error = svd_error_set(SVD_ERROR, "out of memory");
			break;
		}
		if ((error = pf_read_item(it, repo, &pf->items[i])) < 0) {
			pf_item_free(it);
			break;
		}
		pthread_mutex_lock(&pf->lock);
		while (!pf->stop && pf->head && pf->queued >= PREFETCH_BYTES)
			pthread_cond_wait(&pf->changed, &pf->lock);
		if (!(stop = pf->stop)) {
			if (pf->tail)
				pf->tail->next = it;
			else
				pf->head = it;
			pf->tail = it;
			pf->queued += it->bytes;
			pthread_cond_broadcast(&pf->changed);
		}
		pthread_mutex_unlock(&pf->lock);
		if (stop) {
			pf_item_free(it);
			break;
		}
	}
	git_repository_free(repo);
	/* the failure is kept before the main thread can see the end */
	svd_workq_fail(q, error);
	pthread_mutex_lock(&pf->lock);
	pf->stop = 2; /* done: nothing more will come */
	pthread_cond_broadcast(&pf->changed);
	pthread_mutex_unlock(&pf->lock);
	return error;
}

/* The next item read, in order; NULL when the reader ended early (svd_workq_error says why). */
static pf_item *pf_take(prefetch *pf)
{
	pf_item *it;

	pthread_mutex_lock(&pf->lock);
	while (!pf->head && pf->stop != 2)
		pthread_cond_wait(&pf->changed, &pf->lock);
	it = pf->head;
	if (it) {
		pf->head = it->next;
		if (!pf->head)
			pf->tail = NULL;
		pf->queued -= it->bytes;
		pthread_cond_broadcast(&pf->changed);
	}
	pthread_mutex_unlock(&pf->lock);
	return it;
}

static int pf_start(prefetch *pf, const char *store_path, const svd_item_ref *items, size_t n)
{
	int error;

	memset(pf, 0, sizeof(*pf));
	pf->store_path = store_path;
	pf->items = items;
	pf->n = n;
	if (pthread_mutex_init(&pf->lock, NULL) != 0)
		return svd_error_set(SVD_ERROR, "cannot make a lock");
	if (pthread_cond_init(&pf->changed, NULL) != 0) {
		pthread_mutex_destroy(&pf->lock);
		return svd_error_set(SVD_ERROR, "cannot make a condition variable");
	}
	if ((error = svd_workq_task(&pf->reader, pf_run, pf)) < 0) {
		pthread_cond_destroy(&pf->changed);
		pthread_mutex_destroy(&pf->lock);
	}
	return error;
}

static void pf_stop(prefetch *pf)
{
	pf_item *it;

	pthread_mutex_lock(&pf->lock);
	if (pf->stop != 2)
		pf->stop = 1;
	pthread_cond_broadcast(&pf->changed);
	pthread_mutex_unlock(&pf->lock);
	svd_workq_free(pf->reader);
	while ((it = pf->head) != NULL) {
		pf->head = it->next;
		pf_item_free(it);
	}
	pthread_cond_destroy(&pf->changed);
	pthread_mutex_destroy(&pf->lock);
}

/* One item read ahead, as tar entries of the stream. */
static int write_fetched(exporter *ex, const pf_item *it)
{
	size_t i;
	int error = 0;

	for (i = 0; i < it->n && error == 0; i++) {
		error = tar_entry(ex->ar, it->files[i].path, git_blob_rawcontent(it->files[i].blob),
		                  (size_t)git_blob_rawsize(it->files[i].blob), ex->created_t);
		if (error < 0 && ex->cb_error)
			error = svd_error_set(ex->cb_error, "%s",
			                      ex->cb_msg); /* not libarchive's echo */
	}
	return error;
}

/* After an item: close the frame if it is full; a large item goes alone. */
static int item_done(exporter *ex)
{
	size_t len = ex->cur_len - ex->item_start;
	uint8_t *mine;
	int error;

	if (ex->streaming) {
		if ((error = stream_write(ex, NULL, 0, ZSTD_e_end)) < 0)
			return error;
		ex->streaming = 0;
		error = sink_frame(ex, NULL, ex->stream_at, ex->out.size - ex->stream_at,
		                   ex->stream_len, ex->item, 1);
		ex->cur_first = ex->item + 1;
		ex->cur_count = 0;
		ex->cur_len = 0;
		return error;
	}
	ex->cur_count++;
	if (len >= ex->target && ex->item_start > 0) {
		if (!(mine = malloc(len)))
			return svd_error_set(SVD_ERROR, "out of memory");
		memcpy(mine, ex->cur + ex->item_start, len);
		ex->cur_len = ex->item_start;
		ex->cur_count--;
		error = submit(ex);
		if (error == 0)
			error = cur_add(ex, mine, len);
		free(mine);
		if (error < 0)
			return error;
		ex->cur_count = 1;
	}
	if (ex->cur_len >= ex->target)
		return submit(ex);
	return 0;
}

/*
 * Names are UTF-8 bytes, and libarchive converts them from the locale's
 * charset to UTF-8 for pax headers: this thread works in C.UTF-8 while it
 * writes (uselocale is per thread; the process's locale is not touched).
 * Without C.UTF-8, pax's hdrcharset=BINARY carries the same bytes as they are.
 */
static int write_items(exporter *ex)
{
	locale_t utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0), old = (locale_t)0;
	prefetch pf;
	size_t i;
	int error = 0, pf_up = 0;

	if (utf8)
		old = uselocale(utf8);
	if (!(ex->ar = tar_new(ex, on_tar)) ||
	    (!utf8 && archive_write_set_format_option(ex->ar, "pax", "hdrcharset", "BINARY") !=
	                  ARCHIVE_OK)) {
		error = svd_error_set(SVD_ERROR, "cannot set up the tar writer");
		goto cleanup;
	}
	if ((error = pf_start(&pf, ex->a->store_path, ex->items, ex->n)) < 0)
		goto cleanup;
	pf_up = 1;
	for (i = 0; i < ex->n && error == 0; i++) {
		pf_item *it = pf_take(&pf);
		if (!it) {
			if ((error = svd_workq_error(pf.reader)) == 0)
				error = svd_error_set(SVD_ERROR, "the reader thread stopped early");
			break;
		}
		ex->item = i;
		ex->item_start = ex->cur_len;
		if ((error = write_fetched(ex, it)) == 0)
			error = item_done(ex);
		pf_item_free(it);
	}
	if (error == 0)
		error = submit(ex);
	if (error == 0)
		error = pool_drain(ex);
cleanup:
	if (pf_up)
		pf_stop(&pf);
	if (utf8) {
		uselocale(old);
		freelocale(utf8);
	}
	return error;
}

/* The end marker, compressed once: every bundle ends with the same frame. */
static int end_frame_make(exporter *ex)
{
	static const uint8_t zeros[SVD_BUNDLE_TAR_END];
	size_t r =
	    ZSTD_compress2(ex->cctx, ex->end_frame, sizeof(ex->end_frame), zeros, sizeof(zeros));

	if (ZSTD_isError(r))
		return svd_error_set(SVD_ERROR, "cannot compress the end marker: %s",
		                     ZSTD_getErrorName(r));
	ex->end_len = r;
	return 0;
}

/* Keep the items of list that are not in the commit's tree (both lists are in id order). */
static int filter_since_commit(svd_item_list *list, git_repository *repo, const char *hex)
{
	svd_item_list old = {0};
	git_oid oid;
	size_t i, j = 0, k = 0;
	int error;

	if ((error = svd_store_commit_resolve(&oid, repo, hex)) < 0 ||
	    (error = svd_store_list(&old, repo, &oid)) < 0)
		return error;
	for (i = 0; i < list->n; i++) {
		int c = 1;
		while (j < old.n && (c = strcmp(old.v[j].id, list->v[i].id)) < 0)
			j++;
		if (j < old.n && c == 0)
			continue;
		list->v[k++] = list->v[i];
	}
	list->n = k;
	free(old.v);
	return 0;
}

/* A date YYYY-MM-DD that exists (the manifest's own check of "published"). */
static int check_date(const char *date)
{
	svd_manifest *m = NULL;
	int error = svd_manifest_new(&m);

	if (error == 0 && svd_manifest_set(m, "published", date) < 0)
		error = svd_error_set(SVD_EINVALID, "--since %s: not a date YYYY-MM-DD", date);
	svd_manifest_free(m);
	return error;
}

/* Items created on or after the date (the view read each one's manifest). */
static int filter_since_date(svd_item_list *list, const svd_view *v, const char *date)
{
	size_t i, k = 0;
	int error;

	if ((error = check_date(date)) < 0)
		return error;
	for (i = 0; i < list->n; i++) {
		const svd_view_item *it = svd_view_find(v, list->v[i].id);
		if (it && it->created[0] && strncmp(it->created, date, 10) >= 0)
			list->v[k++] = list->v[i];
	}
	list->n = k;
	return 0;
}

static int filter_have(svd_item_list *list, const char *path)
{
	svd_have *h = NULL;
	size_t i, k = 0;
	int error;

	if ((error = svd_have_read(&h, path)) < 0)
		return error;
	for (i = 0; i < list->n; i++)
		if (!svd_have_contains(h, list->v[i].id))
			list->v[k++] = list->v[i];
	list->n = k;
	svd_have_free(h);
	return 0;
}

/*
 * The items to export: what the view of main shows (view.h: accepted, not
 * withdrawn by a retraction), then each filter of opts. The list is of the
 * view's commit, so that a main moving meanwhile changes nothing.
 */
static int choose(svd_item_list *list, svd_archive *a, const svd_export_opts *opts)
{
	svd_view_policy pol = {0};
	svd_view *v = NULL;
	git_oid oid;
	size_t i, k = 0;
	int error;

	pol.check = SVD_VIEW_SIGNATURES;
	if ((error = svd_view_open(&v, a, NULL, &pol)) < 0)
		return error;
	if (!svd_view_commit(v)[0])
		goto cleanup; /* nothing in main yet */
	if (git_oid_fromstr(&oid, svd_view_commit(v)) < 0) {
		error = svd_git_error("cannot read the view's commit");
		goto cleanup;
	}
	if ((error = svd_store_list(list, a->repo, &oid)) < 0)
		goto cleanup;
	for (i = 0; i < list->n; i++)
		if (!list->v[i].misfiled && svd_view_shows(v, list->v[i].id))
			list->v[k++] = list->v[i];
	list->n = k;
	if (opts->since_commit &&
	    (error = filter_since_commit(list, a->repo, opts->since_commit)) < 0)
		goto cleanup;
	if (opts->since_date && (error = filter_since_date(list, v, opts->since_date)) < 0)
		goto cleanup;
	if (opts->have_path && (error = filter_have(list, opts->have_path)) < 0)
		goto cleanup;
cleanup:
	svd_view_free(v);
	return error;
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

/* The reader library's files as tar entries, in frames of about the target size. */
typedef struct reader_out {
	exporter *ex;
	struct archive *ar;
	membuf tar;
	uint8_t *z;
	size_t zcap;
} reader_out;

static int reader_flush(reader_out *ro)
{
	const char *failure;
	size_t zlen, ulen = ro->tar.len;

	if (ulen == 0)
		return 0;
	if ((failure = compress_frame(ro->ex->cctx, &ro->z, &ro->zcap, &zlen, ro->tar.p, ulen)))
		return svd_error_set(SVD_ERROR, "cannot compress the reader library: %s", failure);
	ro->tar.len = 0;
	/* a frame of no items: readers skip its entries (SPEC.md, 9.8) */
	return sink_frame(ro->ex, ro->z, 0, zlen, ulen, 0, 0);
}

static int reader_file(const char *path, const void *data, size_t len, void *payload)
{
	reader_out *ro = payload;
	int error;

	if ((error = tar_entry(ro->ar, path, data, len, ro->ex->created_t)) < 0)
		return error;
	if (ro->tar.len >= ro->ex->target)
		return reader_flush(ro);
	return 0;
}

/*
 * After the items, before the end marker: the rendered library of the
 * exported items (index.html, reader.*, search/, pages/), checked against
 * this archive's trust list, so that `tar --zstd -xf` gives a library to read.
 */
static int write_reader(exporter *ex)
{
	const char **ids = NULL;
	svd_catalog *c = NULL;
	reader_out ro;
	size_t i;
	int error;

	memset(&ro, 0, sizeof(ro));
	ro.ex = ex;
	if (!(ids = malloc((ex->n + 1) * sizeof(*ids))))
		return svd_error_set(SVD_ERROR, "out of memory");
	for (i = 0; i < ex->n; i++)
		ids[i] = ex->items[i].id;
	error = svd_catalog_from_archive(&c, ex->a, NULL, ids, ex->n, NULL, NULL);
	if (error == SVD_ECORRUPT)
		error =
		    0; /* an item that does not verify has no page; the bundle's reader checks it */
	if (error < 0)
		goto cleanup;
	if (!(ro.ar = tar_new(&ro.tar, on_membuf))) {
		error = svd_error_set(SVD_ERROR, "cannot set up the tar writer");
		goto cleanup;
	}
	if ((error = svd_render_library(c, svd_archive_body, ex->a, 1, reader_file, &ro)) == 0)
		error = reader_flush(&ro);
cleanup:
	if (ro.ar) {
		archive_write_close(ro.ar);
		archive_write_free(ro.ar);
	}
	free(ro.tar.p);
	free(ro.z);
	svd_catalog_free(c);
	free(ids);
	return error;
}

/* One bundle: BUNDLE.json, the items, the end marker, the index. */
static int export_single(exporter *ex, const char *output)
{
	uint8_t *meta = NULL;
	size_t meta_len, meta_usize;
	frame_rec f;
	int error;

	if ((error = meta_frame(ex, &meta, &meta_len, &meta_usize, 0, ex->n)) < 0 ||
	    (error = outfile_open(&ex->out, output)) < 0 ||
	    (error = outfile_write(&ex->out, meta, meta_len)) < 0)
		goto cleanup;
	f = (frame_rec){0, meta_len, meta_usize, 0, 0};
	if ((error = push_frame(ex, &f)) < 0 || (error = write_items(ex)) < 0 ||
	    (ex->opts->with_reader && (error = write_reader(ex)) < 0))
		goto cleanup;
	/* room for the end frame that write_tail appends */
	f = (frame_rec){0, 0, 0, 0, 0};
	if ((error = push_frame(ex, &f)) < 0)
		goto cleanup;
	ex->nframes--;
	if ((error = write_tail(ex, &ex->out, ex->frames, ex->nframes, 0, ex->n)) < 0 ||
	    (error = result_add(ex, output, ex->out.size)) < 0)
		goto cleanup;
	error = outfile_commit(&ex->out);
cleanup:
	free(meta);
	return error;
}

/* Several bundles of at most max_size bytes; frames wait in a scratch file. */
static int export_split(exporter *ex, const char *output)
{
	char *scratch = NULL;
	int error;

	if (!(ex->base = split_base(output)) || !(scratch = malloc(strlen(ex->base) + 32))) {
		error = svd_error_set(SVD_ERROR, "out of memory");
		goto cleanup;
	}
	snprintf(scratch, strlen(ex->base) + 32, "%s.frames", ex->base);
	if ((error = outfile_open(&ex->out, scratch)) < 0 || (error = write_items(ex)) < 0)
		goto cleanup;
	if (ex->nframes > 0 || ex->nparts == 0)
		error = part_finish(ex);
cleanup:
	outfile_abort(&ex->out); /* the scratch file is never kept */
	free(scratch);
	return error;
}

int svd_export(svd_archive *a, const char *output, const svd_export_opts *opts,
               svd_export_result *result)
{
	static const svd_export_opts none = {0};
	svd_item_list list = {0};
	exporter ex;
	int error = 0;

	memset(result, 0, sizeof(*result));
	memset(&ex, 0, sizeof(ex));
	ex.out.fd = -1;
	ex.a = a;
	ex.opts = opts ? opts : &none;
	ex.result = result;
	ex.level = ex.opts->level ? ex.opts->level : 3;
	ex.threads = svd_threads(ex.opts->threads);
	if (ex.level < 1 || ex.level > 19)
		return svd_error_set(SVD_EINVALID, "compression level %d: use 1 to 19", ex.level);
	if (!output || !*output)
		return svd_error_set(SVD_EINVALID, "no output file given");
	if (ex.opts->with_reader && ex.opts->max_size)
		return svd_error_set(SVD_EINVALID,
		                     "--with-reader makes one bundle and does not "
		                     "combine with --max-size; export the reader apart");

	if ((error = choose(&list, a, ex.opts)) < 0)
		goto cleanup;
	ex.items = list.v;
	ex.n = list.n;
	ex.max_size = ex.opts->max_size;
	ex.split = ex.max_size > 0 || ex.n > SVD_BUNDLE_MAX_ITEMS;
	if (ex.split && ex.max_size == 0)
		ex.max_size = UINT64_MAX; /* split by the item count alone */
	ex.target = SVD_BUNDLE_FRAME_TARGET;
	if (ex.opts->max_size && ex.opts->max_size / 16 < ex.target)
		ex.target = (size_t)(ex.opts->max_size / 16) + 1; /* parts need smaller frames */
	time_now(ex.created, &ex.created_t);
	if (!(ex.cctx = cctx_new(ex.level))) {
		error = svd_error_set(SVD_ERROR, "cannot set up zstd");
		goto cleanup;
	}
	if ((error = end_frame_make(&ex)) < 0 ||
	    (error = pool_start(&ex.pool, ex.threads, ex.level)) < 0)
		goto cleanup;
	ex.pool_up = 1;
	error = ex.split ? export_split(&ex, output) : export_single(&ex, output);
	if (error == 0)
		result->items = ex.n;
cleanup:
	if (ex.ar) {
		ex.discard = 1; /* the stream's own end marker is not wanted */
		archive_write_close(ex.ar);
		archive_write_free(ex.ar);
	}
	if (ex.pool_up)
		pool_stop(&ex.pool);
	outfile_abort(&ex.out);
	ZSTD_freeCCtx(ex.cctx);
	ZSTD_freeCCtx(ex.stream);
	free(ex.zbuf);
	free(ex.cur);
	free(ex.frames);
	free(ex.base);
	free(list.v);
	if (error < 0) {
		/* a failed export leaves nothing: parts already written go too */
		size_t i;
		for (i = 0; i < result->nfiles; i++)
			unlink(result->files[i]);
		svd_export_result_clear(result);
	}
	return error;
}

void svd_export_result_clear(svd_export_result *result)
{
	size_t i;

	if (!result)
		return;
	for (i = 0; i < result->nfiles; i++)
		free(result->files[i]);
	free(result->files);
	memset(result, 0, sizeof(*result));
}

/* Have-files. */

/* The four header lines of a have-file, into buf; their length. */
static size_t have_header(char *buf, size_t cap, const char *mirror, size_t n)
{
	char created[TIME_LEN + 1];
	time_t t;

	time_now(created, &t);
	return (size_t)snprintf(buf, cap, "%s\nmirror %s\ncreated %s\ncount %zu\n", HAVE_HEADER,
	                        mirror, created, n);
}

/* Append one id's line to buf, writing buf out when it is full. */
static int have_put(outfile *o, uint8_t *buf, size_t cap, size_t *len, const char *hex)
{
	int error;

	if (*len + SVD_ID_HEX_LEN + 1 > cap) {
		if ((error = outfile_write(o, buf, *len)) < 0)
			return error;
		*len = 0;
	}
	memcpy(buf + *len, hex, SVD_ID_HEX_LEN);
	buf[*len + SVD_ID_HEX_LEN] = '\n';
	*len += SVD_ID_HEX_LEN + 1;
	return 0;
}

int svd_have_write(svd_archive *a, const char *path)
{
	svd_item_list list = {0};
	outfile o = {0};
	uint8_t *buf = NULL;
	size_t i, n = 0, len = 0, cap = 1 << 16;
	int error;

	o.fd = -1;
	if ((error = svd_store_list(&list, a->repo, NULL)) < 0)
		goto cleanup;
	for (i = 0; i < list.n; i++)
		n += !list.v[i].misfiled;
	if (!(buf = malloc(cap))) {
		error = svd_error_set(SVD_ERROR, "out of memory");
		goto cleanup;
	}
	len = have_header((char *)buf, cap, a->mirror_id, n);
	if ((error = outfile_open(&o, path)) < 0)
		goto cleanup;
	for (i = 0; i < list.n; i++)
		if (!list.v[i].misfiled && (error = have_put(&o, buf, cap, &len, list.v[i].id)) < 0)
			goto cleanup;
	if ((error = outfile_write(&o, buf, len)) < 0)
		goto cleanup;
	error = outfile_commit(&o);
cleanup:
	outfile_abort(&o);
	free(buf);
	free(list.v);
	return error;
}

int svd_have_save(const svd_have *h, const char *path)
{
	outfile o = {0};
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
	if ((error = outfile_open(&o, path)) < 0)
		goto cleanup;
	for (i = 0; i < h->n; i++) {
		svd_hex_encode(hex, h->ids + i * 32, 32);
		if ((error = have_put(&o, buf, cap, &len, hex)) < 0)
			goto cleanup;
	}
	if ((error = outfile_write(&o, buf, len)) < 0)
		goto cleanup;
	error = outfile_commit(&o);
cleanup:
	outfile_abort(&o);
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
			memcpy(h->created, line + 8, TIME_LEN + 1);
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
