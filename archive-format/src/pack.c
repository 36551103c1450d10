/*
 * pack.c: writing git objects as one pack file, with its version 2 index.
 *
 * The pack grows in a temporary file under objects/pack/ through one write
 * buffer; zlib deflates straight into that buffer. Objects are never
 * deltified. Finishing fills in the header, checksums the file, writes the
 * index and renames both into place, the pack first.
 *
 * Two threads share the work, because deflating is most of it: the caller's
 * thread hashes each object (its id decides whether it is new) and queues
 * its bytes; a worker, a queue's only one (workq.h), deflates and writes
 * them, in order. Data goes in at most DATA_JOBS jobs of BUF_SIZE bytes,
 * made one by one until there are DATA_JOBS and used again from then on,
 * so memory stays bounded whatever the size of a blob, and a run makes the
 * same allocations however the two threads happen to interleave (the
 * fault loop fails the k-th allocation, and needs the k-th to be the same
 * in every run). Only the caller's thread
 * touches the ids; only the worker touches the file, the write buffer and
 * zlib, until finish waits for it.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <git2.h>
#define ZLIB_CONST
#include <zlib.h>

#include "samvydav/common.h"
#include "samvydav/pause.h"
#include "pack.h"
#include "sha1.h"
#include "sha256.h"
#include "util.h"
#include "workq.h"

#define BUF_SIZE      (256 * 1024)
#define PACK_HEADER   12
#define PACK_MODE     0444
#define DEFLATE_CHUNK (1u << 30) /* zlib counts in unsigned int */

/*
 * zlib's fastest level, as git uses for loose objects: the archive's text
 * compresses nearly as well as at the default level, three times faster.
 * A blob whose first PROBE_BYTES shrink by less than 3% (a photo, audio,
 * video: already compressed) is stored from then on, at the speed of a copy.
 */
#define PACK_LEVEL   Z_BEST_SPEED
#define PROBE_BYTES  (16 * 1024)
#define LARGE_OFFSET 0x80000000u
#define QUEUE_BYTES  (8u * 1024 * 1024) /* data queued for the worker, at most */
#define DATA_JOBS    8                  /* data jobs of one writer: 2 MiB of data queued, at most */

/* What the worker is asked to do, in order. */
enum job_type { J_BEGIN, J_DATA, J_END, J_ROLLBACK };

typedef struct job {
	svd_job job; /* the queue's */
	enum job_type type;
	int objtype;   /* J_BEGIN */
	uint64_t size; /* J_BEGIN: the object's size */
	size_t len;    /* J_DATA */
	int keep;      /* J_END: 0 when the object turned out to be a duplicate */
	size_t count;  /* J_ROLLBACK: the objects to keep */
	struct job *spare_next;
	uint8_t chunk[]; /* J_DATA: len bytes; room for BUF_SIZE */
} job;

/* Where an object ended up, known to the worker only. */
typedef struct placed {
	uint64_t offset;
	uint32_t crc;
} placed;

typedef struct entry {
	uint8_t id[20];
	uint32_t crc;
	uint64_t offset;
} entry;

/*
 * The SHA-256 of bytes held under an id, once read back for an id met
 * again: the same key file comes with every item signed by one key, and
 * the same attachment with every item that shares it, so it is read once.
 * Direct-mapped; an object taken back by a rollback leaves it.
 */
#define HELD_CACHE 1024
typedef struct held_sum {
	uint8_t id[20];
	uint8_t sha256[32];
	int valid;
} held_sum;

/* One finished pack's ids as a Bloom filter: nbits bits, BLOOM_K probes. */
#define BLOOM_K        7
#define BLOOM_BITS_PER 10
typedef struct bloom {
	uint64_t *bits;
	uint64_t nbits;
} bloom;

struct svd_packs_done {
	git_odb *base; /* the store as the operation found it: never refreshed */
	bloom *v;
	size_t n;
};

struct svd_packw {
	git_repository *repo; /* borrowed */
	git_odb *odb;
	svd_packs_done *done; /* borrowed, or NULL */
	char *dir;            /* objects/pack */
	char *tmp_path;       /* our temporary pack while it exists, else NULL */
	char *idx_path;       /* our temporary index while it exists, else NULL */
	int fd;
	int finished;
	uint64_t flushed; /* bytes in the file; flushed + used is the offset */
	uint8_t *buf;
	size_t used;
	entry *objs;
	size_t n, cap;
	uint32_t *set; /* open addressing: 1 + index into objs, 0 for empty */
	size_t set_cap;
	uint64_t rollback_visits; /* slots of the set looked at by rollbacks, for tests */
	held_sum *held;           /* HELD_CACHE of them, made on first use */
	z_stream zs;
	int zs_ready;
	/* the blob between svd_packw_blob_begin and _end */
	int streaming;
	int level; /* the deflate level in force: PACK_LEVEL, or 0 once a blob proved incompressible */
	int probed; /* the blob being streamed was looked at already */
	uint64_t blob_size, blob_got;
	svd_sha1 blob_sha;
	int found; /* where the last object added was found already: enum svd_packw_found */

	/* the worker; its failure is the queue's, and leaves the pack unusable */
	svd_workq *q;
	pthread_mutex_t spare_lock; /* data jobs done, for the next ones */
	pthread_cond_t spare_back;  /* a data job came back */
	int spare_ready;
	job *spare;
	size_t ndata; /* data jobs made: spare, queued or being filled */

	/* the worker's own state */
	placed *wo; /* per kept object, in the caller's order */
	size_t wn, wcap;
	uint64_t cur_start; /* where the object being written starts */
	uint32_t cur_crc;
	int cur_type, in_obj;
};

/* Buffered output for the index, which is checksummed as it is written. */
typedef struct idx_out {
	int fd;
	const char *path;
	uint8_t *buf;
	size_t used;
	svd_sha1 sha;
} idx_out;

/*
 * The writer cannot go on: the queue keeps the message of what broke it
 * (the error just set on this thread, either thread), so that every later
 * call says why, not just that it failed. Used as
 * `return broken(pw, svd_error_set(...))`.
 */
static int broken(svd_packw *pw, int code)
{
	return svd_workq_fail(pw->q, code);
}

static const char *git_message(void)
{
	const git_error *e = git_error_last();

	return e && e->message ? e->message : "unknown libgit2 error";
}

static void store_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint64_t position(const svd_packw *pw)
{
	return pw->flushed + pw->used;
}

static int flush(svd_packw *pw)
{
	if (pw->used == 0)
		return 0;
	if (svd_write_all(pw->fd, pw->buf, pw->used) < 0) {
		return broken(pw, svd_error_set(SVD_ERROR, "%s: cannot write: %s", pw->tmp_path,
		                                svd_ioerr(errno)));
	}
	pw->flushed += pw->used;
	pw->used = 0;
	return 0;
}

static int put(svd_packw *pw, const void *data, size_t len, uint32_t *crc)
{
	const uint8_t *p = data;
	int error;

	*crc = (uint32_t)crc32(*crc, p, (uInt)len);
	while (len > 0) {
		size_t take = BUF_SIZE - pw->used;

		if (take == 0) {
			if ((error = flush(pw)) < 0)
				return error;
			continue;
		}
		if (take > len)
			take = len;
		memcpy(pw->buf + pw->used, p, take);
		pw->used += take;
		p += take;
		len -= take;
	}
	return 0;
}

/*
 * Feed data to the current deflate stream, its output going straight into
 * the write buffer (and the CRC), ending with flush_mode (Z_NO_FLUSH, Z_BLOCK
 * or Z_FINISH). zlib counts in unsigned int, so very large inputs go in
 * slices.
 */
static int deflate_into(svd_packw *pw, const void *data, size_t len, int flush_mode, uint32_t *crc)
{
	const uint8_t *p = data;
	int error;

	do {
		size_t slice = len > DEFLATE_CHUNK ? DEFLATE_CHUNK : len;
		int mode = slice == len ? flush_mode : Z_NO_FLUSH;

		pw->zs.next_in = p;
		pw->zs.avail_in = (uInt)slice;
		for (;;) {
			size_t room, made;
			int ret;

			if (pw->used == BUF_SIZE && (error = flush(pw)) < 0)
				return error;
			room = BUF_SIZE - pw->used;
			pw->zs.next_out = pw->buf + pw->used;
			pw->zs.avail_out = (uInt)room;
			ret = deflate(&pw->zs, mode);
			if (ret != Z_OK && ret != Z_STREAM_END && ret != Z_BUF_ERROR) {
				return broken(pw, svd_error_set(SVD_ERROR,
				                                "%s: zlib deflate failed (%d)",
				                                pw->tmp_path, ret));
			}
			made = room - pw->zs.avail_out;
			*crc = (uint32_t)crc32(*crc, pw->buf + pw->used, (uInt)made);
			pw->used += made;
			if (mode == Z_FINISH && ret == Z_STREAM_END)
				break;
			if (mode != Z_FINISH && pw->zs.avail_in == 0 && pw->zs.avail_out > 0)
				break;
		}
		p += slice;
		len -= slice;
	} while (len > 0);
	return 0;
}

/*
 * Change the deflate level. zlib may have output to give for what it holds
 * at the old level, so make room for it in the write buffer first.
 */
static int set_level(svd_packw *pw, int level, uint32_t *crc)
{
	int ret;
	size_t room, made;

	if (pw->level == level)
		return 0;
	for (;;) {
		int error;
		if (pw->used == BUF_SIZE && (error = flush(pw)) < 0)
			return error;
		room = BUF_SIZE - pw->used;
		pw->zs.next_out = pw->buf + pw->used;
		pw->zs.avail_out = (uInt)room;
		ret = deflateParams(&pw->zs, level, Z_DEFAULT_STRATEGY);
		made = room - pw->zs.avail_out;
		*crc = (uint32_t)crc32(*crc, pw->buf + pw->used, (uInt)made);
		pw->used += made;
		if (ret == Z_OK)
			break;
		if (ret != Z_BUF_ERROR || made == 0) {
			return broken(pw,
			              svd_error_set(SVD_ERROR, "%s: zlib cannot change level (%d)",
			                            pw->tmp_path, ret));
		}
	}
	pw->level = level;
	return 0;
}

/* git's pack object header: type and size, 4 bits then 7 per byte. */
static size_t object_header(uint8_t out[16], int type, uint64_t size)
{
	size_t n = 0;
	uint8_t c = (uint8_t)(type << 4 | (size & 15));

	size >>= 4;
	while (size > 0) {
		out[n++] = c | 0x80;
		c = (uint8_t)(size & 0x7f);
		size >>= 7;
	}
	out[n++] = c;
	return n;
}

static void hash_start(svd_sha1 *sha, git_object_t type, uint64_t size)
{
	char head[64];
	int n = snprintf(head, sizeof(head), "%s %llu", git_object_type2string(type),
	                 (unsigned long long)size);

	svd_sha1_init(sha);
	svd_sha1_update(sha, head, (size_t)n + 1);
}

static size_t slot_of(const svd_packw *pw, const uint8_t id[20])
{
	/* ids are uniform already: their first bytes make a fine hash */
	uint32_t h = (uint32_t)id[0] << 24 | (uint32_t)id[1] << 16 | (uint32_t)id[2] << 8 | id[3];

	return h & (pw->set_cap - 1);
}

static held_sum *held_slot(const svd_packw *pw, const uint8_t id[20])
{
	return pw->held ? &pw->held[(id[4] | (size_t)id[5] << 8) & (HELD_CACHE - 1)] : NULL;
}

/* An object taken back: what was read of its bytes no longer holds. */
static void forget_held(svd_packw *pw, const uint8_t id[20])
{
	held_sum *h = held_slot(pw, id);

	if (h && h->valid && !memcmp(h->id, id, 20))
		h->valid = 0;
}

/* 1 + the index of the object of this id in the pack, or 0. */
static size_t in_pack(const svd_packw *pw, const uint8_t id[20])
{
	size_t i = slot_of(pw, id);

	while (pw->set[i] != 0) {
		if (memcmp(pw->objs[pw->set[i] - 1].id, id, 20) == 0)
			return pw->set[i];
		i = (i + 1) & (pw->set_cap - 1);
	}
	return 0;
}

static void set_insert(svd_packw *pw, size_t index)
{
	size_t i = slot_of(pw, pw->objs[index].id);

	while (pw->set[i] != 0)
		i = (i + 1) & (pw->set_cap - 1);
	pw->set[i] = (uint32_t)(index + 1);
}

/* Where an object of this id is held already: enum svd_packw_found. */
/* The k-th probe of an id: double hashing over its first 16 bytes, uniform already. */
static uint64_t bloom_bit(const bloom *b, const uint8_t id[20], unsigned k)
{
	uint64_t h1, h2;

	memcpy(&h1, id, 8);
	memcpy(&h2, id + 8, 8);
	return (h1 + k * (h2 | 1)) % b->nbits;
}

int svd_packs_done_maybe(const svd_packs_done *d, const git_oid *oid)
{
	for (size_t i = 0; i < d->n; i++) {
		const bloom *b = &d->v[i];
		unsigned k;

		for (k = 0; k < BLOOM_K; k++) {
			uint64_t bit = bloom_bit(b, oid->id, k);
			if (!(b->bits[bit / 64] & (UINT64_C(1) << (bit % 64))))
				break;
		}
		if (k == BLOOM_K)
			return 1;
	}
	return 0;
}

size_t svd_packs_done_count(const svd_packs_done *d)
{
	return d->n;
}

/* Add the ids of a finished pack. */
static int packs_done_add(svd_packs_done *d, const entry *objs, size_t n)
{
	bloom *v = realloc(d->v, (d->n + 1) * sizeof(*v)), *b;

	if (!v)
		return svd_error_set(SVD_ERROR, "out of memory");
	d->v = v;
	b = &v[d->n];
	b->nbits = (n ? (uint64_t)n : 1) * BLOOM_BITS_PER;
	if (!(b->bits = calloc((size_t)((b->nbits + 63) / 64), sizeof(*b->bits))))
		return svd_error_set(SVD_ERROR, "out of memory");
	for (size_t i = 0; i < n; i++)
		for (unsigned k = 0; k < BLOOM_K; k++) {
			uint64_t bit = bloom_bit(b, objs[i].id, k);
			b->bits[bit / 64] |= UINT64_C(1) << (bit % 64);
		}
	d->n++;
	return 0;
}

int svd_packs_done_new(svd_packs_done **out, git_repository *repo)
{
	svd_packs_done *d = calloc(1, sizeof(*d));
	char *objects;
	int error = 0;

	*out = NULL;
	if (!d)
		return svd_error_set(SVD_ERROR, "out of memory");
	if (!(objects = svd_path_join(git_repository_path(repo), "objects"))) {
		free(d);
		return SVD_ERROR;
	}
	if (git_odb_open(&d->base, objects) < 0) {
		error = svd_error_set(SVD_ERROR, "%s: cannot open the object database: %s", objects,
		                      git_message());
		free(objects);
		free(d);
		return error;
	}
	free(objects);
	*out = d;
	return 0;
}

void svd_packs_done_free(svd_packs_done *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->n; i++)
		free(d->v[i].bits);
	free(d->v);
	git_odb_free(d->base);
	free(d);
}

static int known(const svd_packw *pw, const uint8_t id[20])
{
	git_oid oid;

	if (in_pack(pw, id))
		return SVD_PACKW_IN_PACK;
	/* the writer refreshed once at the start; a miss is the common case */
	git_oid_fromraw(&oid, id);
	if (pw->done) {
		if (git_odb_exists_ext(pw->done->base, &oid, GIT_ODB_LOOKUP_NO_REFRESH) == 1)
			return SVD_PACKW_IN_STORE;
		if (!svd_packs_done_maybe(pw->done, &oid))
			return SVD_PACKW_NEW;
	}
	return git_odb_exists_ext(pw->odb, &oid, GIT_ODB_LOOKUP_NO_REFRESH) == 1
	           ? SVD_PACKW_IN_STORE
	           : SVD_PACKW_NEW;
}

/*
 * Make room for one more object before anything is written, so that running
 * out of memory never leaves half an object in the file.
 */
static int reserve(svd_packw *pw)
{
	if (pw->n >= UINT32_MAX - 1)
		return svd_error_set(SVD_ETOOBIG, "%s: a pack holds at most %u objects",
		                     pw->tmp_path, UINT32_MAX - 1);
	if (pw->n == pw->cap) {
		size_t cap = pw->cap ? pw->cap * 2 : 256;
		entry *objs = realloc(pw->objs, cap * sizeof(*objs));

		if (!objs)
			return svd_error_set(SVD_ERROR, "out of memory");
		pw->objs = objs;
		pw->cap = cap;
	}
	/* keep the set at most half full */
	if ((pw->n + 1) * 2 > pw->set_cap) {
		size_t i, cap = pw->set_cap * 2;
		uint32_t *set = calloc(cap, sizeof(*set));

		if (!set)
			return svd_error_set(SVD_ERROR, "out of memory");
		free(pw->set);
		pw->set = set;
		pw->set_cap = cap;
		for (i = 0; i < pw->n; i++)
			set_insert(pw, i);
	}
	return 0;
}

static void record(svd_packw *pw, const uint8_t id[20])
{
	entry *e = &pw->objs[pw->n];

	memcpy(e->id, id, 20);
	set_insert(pw, pw->n);
	pw->n++;
	svd_pause_point("pack.object");
}

/* Forget everything from offset on: an object that turned out not needed. */
static int rewind_to(svd_packw *pw, uint64_t offset)
{
	if (offset >= pw->flushed) {
		pw->used = (size_t)(offset - pw->flushed);
		return 0;
	}
	pw->used = 0;
	if (ftruncate(pw->fd, (off_t)offset) < 0 || lseek(pw->fd, (off_t)offset, SEEK_SET) < 0) {
		return broken(pw, svd_error_set(SVD_ERROR, "%s: cannot truncate: %s", pw->tmp_path,
		                                svd_ioerr(errno)));
	}
	pw->flushed = offset;
	return 0;
}

/* The worker: one job. Errors leave the message in the worker's thread. */
static int run_job(svd_job *qj, void *state, void *payload)
{
	svd_packw *pw = payload;
	const job *j = (const job *)qj;
	uint8_t head[16];
	int error;

	(void)state;

	switch (j->type) {
	case J_BEGIN:
		pw->cur_start = position(pw);
		pw->cur_crc = 0;
		pw->cur_type = j->objtype;
		pw->in_obj = 1;
		pw->probed = 0;
		if (deflateReset(&pw->zs) != Z_OK) {
			return broken(pw, svd_error_set(SVD_ERROR, "zlib deflate reset failed"));
		}
		if ((error = put(pw, head, object_header(head, j->objtype, j->size),
		                 &pw->cur_crc)) < 0 ||
		    (error = set_level(pw, PACK_LEVEL, &pw->cur_crc)) < 0)
			return error;
		return 0;
	case J_DATA: {
		const uint8_t *p = j->chunk;
		size_t len = j->len;

		/*
		 * The first PROBE_BYTES of a blob go through zlib on their own: an
		 * already-compressed blob (photo, audio) is told apart there and
		 * stored from then on, instead of deflated in vain.
		 */
		if (pw->cur_type == GIT_OBJECT_BLOB && !pw->probed) {
			size_t first = PROBE_BYTES - (size_t)pw->zs.total_in;
			if (first > len)
				first = len;
			/* Z_BLOCK: zlib writes out what it holds, so the ratio can be seen */
			if ((error = deflate_into(pw, p, first,
			                          first == PROBE_BYTES - (size_t)pw->zs.total_in
			                              ? Z_BLOCK
			                              : Z_NO_FLUSH,
			                          &pw->cur_crc)) < 0)
				return error;
			p += first;
			len -= first;
			if (pw->zs.total_in >= PROBE_BYTES) {
				pw->probed = 1;
				if ((uint64_t)pw->zs.total_out * 100 >
				        (uint64_t)pw->zs.total_in * 97 &&
				    (error = set_level(pw, 0, &pw->cur_crc)) < 0)
					return error;
			}
		}
		return len ? deflate_into(pw, p, len, Z_NO_FLUSH, &pw->cur_crc) : 0;
	}
	case J_END:
		pw->in_obj = 0;
		if (!j->keep)
			return rewind_to(pw, pw->cur_start);
		if ((error = deflate_into(pw, NULL, 0, Z_FINISH, &pw->cur_crc)) < 0)
			return error;
		if (pw->wn == pw->wcap) {
			size_t cap = pw->wcap ? pw->wcap * 2 : 256;
			placed *wo = realloc(pw->wo, cap * sizeof(*wo));
			if (!wo) {
				return broken(pw, svd_error_set(SVD_ERROR, "out of memory"));
			}
			pw->wo = wo;
			pw->wcap = cap;
		}
		pw->wo[pw->wn].offset = pw->cur_start;
		pw->wo[pw->wn].crc = pw->cur_crc;
		pw->wn++;
		return 0;
	case J_ROLLBACK: {
		uint64_t to = j->count < pw->wn ? pw->wo[j->count].offset
		              : pw->in_obj      ? pw->cur_start
		                                : position(pw);
		pw->in_obj = 0;
		if (j->count < pw->wn)
			pw->wn = j->count;
		return rewind_to(pw, to);
	}
	}
	return 0;
}

/*
 * A job done (or dropped, or refused by the queue): a data job is kept for
 * the next one, so that a long stream allocates nothing.
 */
static void release(svd_job *qj, void *payload)
{
	svd_packw *pw = payload;
	job *j = (job *)qj;

	if (j->type != J_DATA) {
		free(j);
		return;
	}
	pthread_mutex_lock(&pw->spare_lock);
	j->spare_next = pw->spare;
	pw->spare = j;
	pthread_cond_signal(&pw->spare_back);
	pthread_mutex_unlock(&pw->spare_lock);
}

/*
 * A data job to fill: a new one while fewer than DATA_JOBS were made (even
 * when one came back: which of the two happens first is the threads'
 * timing, and the allocations must not depend on it), then one that came
 * back, waiting for it if need be. Every job made is spare, queued, or in
 * the caller's hands, and a queued one always comes back (done, dropped or
 * refused), so the wait ends.
 */
static job *data_job(svd_packw *pw)
{
	job *j = NULL;

	pthread_mutex_lock(&pw->spare_lock);
	if (pw->ndata < DATA_JOBS) {
		pw->ndata++;
		pthread_mutex_unlock(&pw->spare_lock);
		if (!(j = malloc(sizeof(*j) + BUF_SIZE))) {
			pthread_mutex_lock(&pw->spare_lock);
			pw->ndata--;
			pthread_mutex_unlock(&pw->spare_lock);
		}
		return j;
	}
	while (!pw->spare)
		pthread_cond_wait(&pw->spare_back, &pw->spare_lock);
	j = pw->spare;
	pw->spare = j->spare_next;
	pthread_mutex_unlock(&pw->spare_lock);
	return j;
}

/*
 * Queue a job for the worker, with len bytes of data (J_DATA, at most
 * BUF_SIZE), waiting while the queue is full. A data job weighs its whole
 * room, so that the spare ones stay few. A job that cannot be queued
 * leaves the pack unusable: the worker would see the rest of an object
 * without its start.
 */
static int push(svd_packw *pw, const job *j, const void *data, size_t len)
{
	job *copy = j->type == J_DATA ? data_job(pw) : malloc(sizeof(*copy));

	if (!copy)
		return broken(pw, svd_error_set(SVD_ERROR, "out of memory"));
	*copy = *j;
	copy->len = len;
	if (len)
		memcpy(copy->chunk, data, len);
	return broken(pw, svd_workq_submit(pw->q, &copy->job,
	                                   sizeof(*copy) + (j->type == J_DATA ? BUF_SIZE : 0), 0));
}

/* Queue bytes, in chunks of at most BUF_SIZE. */
static int push_data(svd_packw *pw, const void *data, size_t len)
{
	const uint8_t *p = data;
	job j = {.type = J_DATA};
	int error;

	while (len > 0) {
		size_t n = len > BUF_SIZE ? BUF_SIZE : len;

		if ((error = push(pw, &j, p, n)) < 0)
			return error;
		p += n;
		len -= n;
	}
	return 0;
}

static int push_simple(svd_packw *pw, enum job_type type, size_t count)
{
	job j = {.type = type, .count = count};

	return push(pw, &j, NULL, 0);
}

/* Wait until the worker has done everything queued; its error, if any. */
static int sync_worker(svd_packw *pw)
{
	return svd_workq_drain(pw->q);
}

/* Has the worker failed? Then say why, on the caller's thread. */
static int worker_error(svd_packw *pw)
{
	int error = svd_workq_error(pw->q);

	if (error < 0)
		error = svd_error_set(error, "%s: pack writer unusable after an earlier error: %s",
		                      pw->tmp_path, svd_error_last());
	return error;
}

static int usable(svd_packw *pw)
{
	if (pw->finished)
		return svd_error_set(SVD_EINVALID, "pack writer used after it finished");
	if (pw->streaming)
		return svd_error_set(SVD_EINVALID,
		                     "%s: a streamed blob is still open (call svd_packw_blob_end)",
		                     pw->tmp_path);
	return worker_error(pw);
}

int svd_packw_new(svd_packw **out, git_repository *repo)
{
	return svd_packw_new_in(out, repo, NULL);
}

int svd_packw_new_in(svd_packw **out, git_repository *repo, svd_packs_done *done)
{
	svd_workq_opts o = {.threads = 1, .limit = QUEUE_BYTES, .run = run_job, .release = release};
	svd_packw *pw;
	uint8_t zero[PACK_HEADER] = {0};
	uint32_t crc = 0;
	int error = SVD_ERROR;

	*out = NULL;
	pw = calloc(1, sizeof(*pw));
	if (!pw)
		return svd_error_set(SVD_ERROR, "out of memory");
	pw->fd = -1;
	pw->repo = repo;
	pw->done = done;
	if (git_repository_odb(&pw->odb, repo) < 0) {
		svd_error_set(SVD_ERROR, "%s: cannot open the object database: %s",
		              git_repository_path(repo), git_message());
		goto cleanup;
	}
	/* lookups skip the refresh on a miss, so see other writers' packs now */
	if (git_odb_refresh(pw->odb) < 0) {
		svd_error_set(SVD_ERROR, "%s: cannot scan the object database: %s",
		              git_repository_path(repo), git_message());
		goto cleanup;
	}
	pw->dir = svd_path_join(git_repository_path(repo), "objects/pack");
	if (!pw->dir)
		goto cleanup;
	if ((error = svd_mkdir(pw->dir, 0755)) < 0)
		goto cleanup;
	error = SVD_ERROR;
	pw->tmp_path = svd_path_join(pw->dir, SVD_PACK_TMP_PREFIX "pack_XXXXXX");
	if (!pw->tmp_path)
		goto cleanup;
	pw->fd = mkostemp(pw->tmp_path, O_CLOEXEC);
	if (pw->fd < 0) {
		svd_error_set(SVD_ERROR, "%s: cannot create a temporary pack: %s", pw->dir,
		              svd_ioerr(errno));
		free(pw->tmp_path);
		pw->tmp_path = NULL;
		goto cleanup;
	}
	pw->buf = malloc(BUF_SIZE);
	pw->set_cap = 64;
	pw->set = calloc(pw->set_cap, sizeof(*pw->set));
	if (!pw->buf || !pw->set) {
		svd_error_set(SVD_ERROR, "out of memory");
		goto cleanup;
	}
	pw->level = PACK_LEVEL;
	if (deflateInit(&pw->zs, PACK_LEVEL) != Z_OK) {
		svd_error_set(SVD_ERROR, "zlib failed to start");
		goto cleanup;
	}
	pw->zs_ready = 1;
	/* a placeholder: the object count is known only at the end */
	if ((error = put(pw, zero, sizeof(zero), &crc)) < 0)
		goto cleanup;
	if (pthread_mutex_init(&pw->spare_lock, NULL) != 0) {
		error = svd_error_set(SVD_ERROR, "cannot make a lock");
		goto cleanup;
	}
	if (pthread_cond_init(&pw->spare_back, NULL) != 0) {
		pthread_mutex_destroy(&pw->spare_lock);
		error = svd_error_set(SVD_ERROR, "cannot make a condition variable");
		goto cleanup;
	}
	pw->spare_ready = 1;
	o.payload = pw;
	if ((error = svd_workq_new(&pw->q, &o)) < 0)
		goto cleanup;
	*out = pw;
	pw = NULL;
	error = 0;
cleanup:
	svd_packw_free(pw);
	return error;
}

/*
 * Bytes [at, at + len) of the pack as written so far: in the file below
 * flushed, in the write buffer above. The worker must be idle.
 */
static int read_back(svd_packw *pw, uint64_t at, uint8_t *dst, size_t len)
{
	while (len > 0) {
		size_t n;

		if (at < pw->flushed) {
			ssize_t got;

			n = pw->flushed - at < len ? (size_t)(pw->flushed - at) : len;
			got = pread(pw->fd, dst, n, (off_t)at);
			if (got < 0 && errno == EINTR)
				continue;
			if (got <= 0)
				return svd_error_set(SVD_ERROR, "%s: cannot read back: %s",
				                     pw->tmp_path,
				                     got < 0 ? svd_ioerr(errno) : "file shrank");
			n = (size_t)got;
		} else {
			uint64_t off = at - pw->flushed;

			if (off >= pw->used)
				return svd_error_set(SVD_ERROR, "%s: read back past the end",
				                     pw->tmp_path);
			n = pw->used - off < len ? (size_t)(pw->used - off) : len;
			memcpy(dst, pw->buf + off, n);
		}
		dst += n;
		at += n;
		len -= n;
	}
	return 0;
}

/*
 * The SHA-256 of the bytes of the k-th object of this pack, read back
 * from what was written and inflated: only for an id met again, never on
 * the way of a new object. *type gets the object's type.
 */
/*
 * Object k of this pack read back from what was written, inflated, its
 * bytes handed to each() piece by piece (*type set before the first).
 */
static int pack_object_each(svd_packw *pw, size_t k, int *type,
                            int (*each)(const uint8_t *data, size_t len, void *payload),
                            void *payload)
{
	enum { CHUNK = 64 * 1024 };
	uint8_t *in = NULL, *plain = NULL;
	uint64_t at, end, size = 0, seen = 0;
	z_stream zs;
	int zready = 0, shift = 4, error;
	size_t h = 0, n;
	uint8_t c;

	if ((error = sync_worker(pw)) < 0)
		return error;
	if (k >= pw->wn)
		return svd_error_set(SVD_ERROR, "%s: object %zu not written", pw->tmp_path, k);
	at = pw->wo[k].offset;
	end = k + 1 < pw->wn ? pw->wo[k + 1].offset : position(pw);
	in = malloc(CHUNK);
	plain = malloc(CHUNK);
	if (!in || !plain) {
		error = svd_error_set(SVD_ERROR, "out of memory");
		goto cleanup;
	}
	n = end - at < CHUNK ? (size_t)(end - at) : CHUNK;
	if ((error = read_back(pw, at, in, n)) < 0)
		goto cleanup;
	/* the object header: type and size, as object_header() wrote it */
	*type = (in[0] >> 4) & 7;
	size = in[0] & 15;
	c = in[h++];
	while ((c & 0x80) && h < n && shift < 64) {
		c = in[h++];
		size |= (uint64_t)(c & 0x7f) << shift;
		shift += 7;
	}
	memset(&zs, 0, sizeof(zs));
	if (inflateInit(&zs) != Z_OK) {
		error = svd_error_set(SVD_ERROR, "zlib failed to start");
		goto cleanup;
	}
	zready = 1;
	zs.next_in = in + h;
	zs.avail_in = (uInt)(n - h);
	at += n;
	for (;;) {
		int ret;

		zs.next_out = plain;
		zs.avail_out = CHUNK;
		ret = inflate(&zs, Z_NO_FLUSH);
		if (ret != Z_OK && ret != Z_STREAM_END && ret != Z_BUF_ERROR) {
			error = svd_error_set(SVD_ERROR, "%s: object %zu does not inflate (%d)",
			                      pw->tmp_path, k, ret);
			goto cleanup;
		}
		if ((error = each(plain, CHUNK - zs.avail_out, payload)) < 0)
			goto cleanup;
		seen += CHUNK - zs.avail_out;
		if (ret == Z_STREAM_END)
			break;
		if (zs.avail_in == 0 && zs.avail_out != 0) {
			if (at >= end) {
				error = svd_error_set(SVD_ERROR, "%s: object %zu cut short",
				                      pw->tmp_path, k);
				goto cleanup;
			}
			n = end - at < CHUNK ? (size_t)(end - at) : CHUNK;
			if ((error = read_back(pw, at, in, n)) < 0)
				goto cleanup;
			at += n;
			zs.next_in = in;
			zs.avail_in = (uInt)n;
		}
	}
	if (seen != size) {
		error = svd_error_set(SVD_ERROR, "%s: object %zu holds %llu bytes, not %llu",
		                      pw->tmp_path, k, (unsigned long long)seen,
		                      (unsigned long long)size);
		goto cleanup;
	}
	error = 0;
cleanup:
	if (zready)
		inflateEnd(&zs);
	free(in);
	free(plain);
	return error;
}

static int sha256_piece(const uint8_t *data, size_t len, void *payload)
{
	svd_sha256_update(payload, data, len);
	return 0;
}

static int pack_object_sha256(svd_packw *pw, size_t k, int *type, uint8_t out[32])
{
	svd_sha256 sha;
	int error;

	svd_sha256_init(&sha);
	if ((error = pack_object_each(pw, k, type, sha256_piece, &sha)) < 0)
		return error;
	svd_sha256_final(&sha, out);
	return 0;
}

typedef struct read_into {
	uint8_t *buf;
	size_t len, cap, max;
} read_into;

static int read_piece(const uint8_t *data, size_t len, void *payload)
{
	read_into *r = payload;
	int error;

	if (len > r->max - r->len)
		return svd_error_set(SVD_ETOOBIG, "an object read back is over %zu bytes", r->max);
	if ((error = svd_grow(&r->buf, &r->cap, r->len + len + 1, 1, 4096)) < 0)
		return error;
	memcpy(r->buf + r->len, data, len);
	r->len += len;
	r->buf[r->len] = 0;
	return 0;
}

int svd_packw_read(svd_packw *pw, const git_oid *oid, int *type, uint8_t **out, size_t *len,
                   size_t max)
{
	read_into r = {.max = max};
	size_t k;
	int error;

	*out = NULL;
	*len = 0;
	if ((error = usable(pw)) < 0)
		return error;
	if ((k = in_pack(pw, oid->id)) == 0)
		return svd_error_set(SVD_ENOTFOUND, "the object is not in this pack");
	if ((error = pack_object_each(pw, k - 1, type, read_piece, &r)) < 0) {
		free(r.buf);
		return error;
	}
	if (!r.buf && !(r.buf = calloc(1, 1)))
		return svd_error_set(SVD_ERROR, "out of memory");
	*out = r.buf;
	*len = r.len;
	return 0;
}

int svd_packw_held_sha256(svd_packw *pw, const git_oid *oid, uint8_t sha256[32])
{
	char hex[GIT_OID_HEXSZ + 1];
	git_odb_object *obj = NULL;
	held_sum *h;
	size_t k;
	int type = 0, error;

	git_oid_tostr(hex, sizeof(hex), oid);
	if ((error = usable(pw)) < 0)
		return error;
	if (!pw->held && !(pw->held = calloc(HELD_CACHE, sizeof(*pw->held))))
		return svd_error_set(SVD_ERROR, "out of memory");
	h = held_slot(pw, oid->id);
	if (h->valid && !memcmp(h->id, oid->id, 20)) {
		memcpy(sha256, h->sha256, 32);
		return 0;
	}
	if ((k = in_pack(pw, oid->id)) != 0) {
		if ((error = pack_object_sha256(pw, k - 1, &type, sha256)) < 0)
			return error;
		if (type != GIT_OBJECT_BLOB)
			return svd_error_set(SVD_ECORRUPT,
			                     "git object %s in this pack is a %s, not a blob", hex,
			                     git_object_type2string((git_object_t)type));
		goto known;
	}
	/* libgit2 checks an object's id as it reads it (strict hash verification) */
	if ((error = git_odb_read(&obj, pw->odb, oid)) < 0)
		return svd_error_set(error == GIT_ENOTFOUND ? SVD_ENOTFOUND : SVD_ECORRUPT,
		                     "git object %s cannot be read from the store: %s", hex,
		                     git_message());
	if (git_odb_object_type(obj) != GIT_OBJECT_BLOB) {
		error =
		    svd_error_set(SVD_ECORRUPT, "git object %s in the store is a %s, not a blob",
		                  hex, git_object_type2string(git_odb_object_type(obj)));
	} else {
		svd_sha256_once(sha256, git_odb_object_data(obj), git_odb_object_size(obj));
		error = 0;
	}
	git_odb_object_free(obj);
	if (error < 0)
		return error;
known:
	memcpy(h->id, oid->id, 20);
	memcpy(h->sha256, sha256, 32);
	h->valid = 1;
	return 0;
}

int svd_packw_last_found(const svd_packw *pw)
{
	return pw->found;
}

/*
 * A blob in memory whose id is held already: the bytes held must be these
 * (a SHA-1 collision would leave other bytes under the id), or the blob is
 * refused. Only on an id met again.
 */
static int same_blob(svd_packw *pw, const git_oid *oid, const void *data, size_t len)
{
	uint8_t held[32], want[32];
	int error = svd_packw_held_sha256(pw, oid, held);

	if (error == SVD_ECORRUPT || error == SVD_ENOTFOUND)
		return svd_error_set(SVD_ECORRUPT, "%s (%s)", SVD_PACKW_COLLISION,
		                     svd_error_last());
	if (error < 0)
		return error;
	svd_sha256_once(want, data, len);
	if (memcmp(held, want, sizeof(held)) != 0) {
		char hex[GIT_OID_HEXSZ + 1];

		return svd_error_set(SVD_ECORRUPT, "%s (git id %s)", SVD_PACKW_COLLISION,
		                     git_oid_tostr(hex, sizeof(hex), oid));
	}
	return 0;
}

int svd_packw_add(git_oid *oid, svd_packw *pw, git_object_t type, const void *data, size_t len)
{
	job j = {.type = J_BEGIN};
	uint8_t id[20];
	svd_sha1 sha;
	int error;

	if ((error = usable(pw)) < 0)
		return error;
	if (type != GIT_OBJECT_COMMIT && type != GIT_OBJECT_TREE && type != GIT_OBJECT_BLOB &&
	    type != GIT_OBJECT_TAG)
		return svd_error_set(SVD_EINVALID, "git object type %d cannot go in a pack",
		                     (int)type);
	hash_start(&sha, type, len);
	svd_sha1_update(&sha, data, len);
	svd_sha1_final(&sha, id);
	git_oid_fromraw(oid, id);
	pw->found = known(pw, id);
	if (pw->found != SVD_PACKW_NEW)
		return type == GIT_OBJECT_BLOB ? same_blob(pw, oid, data, len) : 0;
	if ((error = reserve(pw)) < 0)
		return error;
	j.objtype = type;
	j.size = len;
	if ((error = push(pw, &j, NULL, 0)) < 0 || (error = push_data(pw, data, len)) < 0)
		return error;
	j = (job){.type = J_END, .keep = 1};
	if ((error = push(pw, &j, NULL, 0)) < 0)
		return error;
	record(pw, id);
	return 0;
}

int svd_packw_blob_begin(svd_packw *pw, uint64_t size)
{
	job j = {.type = J_BEGIN, .objtype = GIT_OBJECT_BLOB};
	int error;

	if ((error = usable(pw)) < 0)
		return error;
	if ((error = reserve(pw)) < 0)
		return error;
	/* queued before the id is known; blob_end tells the worker whether to keep it */
	j.size = size;
	if ((error = push(pw, &j, NULL, 0)) < 0)
		return error;
	pw->blob_size = size;
	pw->blob_got = 0;
	hash_start(&pw->blob_sha, GIT_OBJECT_BLOB, size);
	pw->streaming = 1;
	return 0;
}

/*
 * Drop the blob being streamed, after a misuse; the pack stays usable
 * (unless even this cannot be queued: then it is broken, and says why).
 */
static void drop_blob(svd_packw *pw)
{
	pw->streaming = 0;
	push_simple(pw, J_ROLLBACK, pw->n);
}

int svd_packw_blob_write(svd_packw *pw, const void *data, size_t len)
{
	int error;

	if (!pw->streaming)
		return svd_error_set(SVD_EINVALID, "blob data written with no blob begun");
	if ((error = worker_error(pw)) < 0)
		return error;
	if (len > pw->blob_size - pw->blob_got) {
		uint64_t size = pw->blob_size, got = pw->blob_got;

		drop_blob(pw);
		return svd_error_set(
		    SVD_EINVALID, "blob declared as %llu bytes: %llu bytes written to it (dropped)",
		    (unsigned long long)size, (unsigned long long)(got + len));
	}
	if (len == 0)
		return 0;
	svd_sha1_update(&pw->blob_sha, data, len);
	pw->blob_got += len;
	return push_data(pw, data, len);
}

int svd_packw_blob_end(git_oid *oid, svd_packw *pw)
{
	job j = {.type = J_END};
	uint8_t id[20];
	int error;

	if (!pw->streaming)
		return svd_error_set(SVD_EINVALID, "blob ended with no blob begun");
	if ((error = worker_error(pw)) < 0)
		return error;
	if (pw->blob_got != pw->blob_size) {
		uint64_t size = pw->blob_size, got = pw->blob_got;

		drop_blob(pw);
		return svd_error_set(SVD_EINVALID,
		                     "blob declared as %llu bytes ended after %llu (dropped)",
		                     (unsigned long long)size, (unsigned long long)got);
	}
	pw->streaming = 0;
	svd_sha1_final(&pw->blob_sha, id);
	git_oid_fromraw(oid, id);
	pw->found = known(pw, id);
	j.keep = pw->found == SVD_PACKW_NEW;
	if ((error = push(pw, &j, NULL, 0)) < 0)
		return error;
	if (j.keep)
		record(pw, id);
	return 0;
}

size_t svd_packw_count(const svd_packw *pw)
{
	return pw->n;
}

void svd_packw_mark_get(const svd_packw *pw, svd_packw_mark *mark)
{
	/* a blob being streamed is not counted yet: a rollback drops it too */
	mark->count = pw->n;
	mark->offset = 0;
}

/*
 * Take the newest objects out of the set, down to count, newest first. The
 * set is always as if objs[0..n) had been put in, in order, into an empty
 * table of its size (growing it puts them in again in that order), so
 * emptying the slot of the newest one leaves it as it was before that one
 * came: no object found its slot by probing past a later one's. A refusal
 * costs what its own objects cost, however many came before it.
 */
static void set_remove_newest(svd_packw *pw, size_t count)
{
	while (pw->n > count) {
		uint32_t want = (uint32_t)pw->n; /* 1 + the index of the newest */
		size_t i = slot_of(pw, pw->objs[pw->n - 1].id);

		pw->rollback_visits++;
		while (pw->set[i] != want) {
			i = (i + 1) & (pw->set_cap - 1);
			pw->rollback_visits++;
		}
		pw->set[i] = 0;
		pw->n--;
		forget_held(pw, pw->objs[pw->n].id);
	}
}

uint64_t svd_packw_rollback_visits(const svd_packw *pw)
{
	return pw->rollback_visits;
}

int svd_packw_rollback(svd_packw *pw, const svd_packw_mark *mark)
{
	int error;

	if (pw->finished)
		return svd_error_set(SVD_EINVALID, "pack writer used after it finished");
	if ((error = worker_error(pw)) < 0)
		return error;
	if (mark->count > pw->n)
		return svd_error_set(SVD_EINVALID, "%s: rollback to a mark this pack never had",
		                     pw->tmp_path);
	pw->streaming = 0;
	if ((error = push_simple(pw, J_ROLLBACK, mark->count)) < 0)
		return error;
	set_remove_newest(pw, mark->count);
	return 0;
}

static int idx_flush(idx_out *o)
{
	if (o->used > 0 && svd_write_all(o->fd, o->buf, o->used) < 0)
		return svd_error_set(SVD_ERROR, "%s: cannot write: %s", o->path, svd_ioerr(errno));
	o->used = 0;
	return 0;
}

static int idx_put(idx_out *o, const void *data, size_t len)
{
	int error;

	svd_sha1_update(&o->sha, data, len);
	if (o->used + len > BUF_SIZE && (error = idx_flush(o)) < 0)
		return error;
	memcpy(o->buf + o->used, data, len);
	o->used += len;
	return 0;
}

static int order_cmp(const void *a, const void *b, void *payload)
{
	const entry *objs = payload;

	return memcmp(objs[*(const uint32_t *)a].id, objs[*(const uint32_t *)b].id, 20);
}

/*
 * Write the version 2 index of the objects, taken in the order of `order`
 * (their indexes sorted by id), to a temporary file in the pack folder,
 * synced; pw->idx_path names it on success.
 */
static int write_index(svd_packw *pw, const uint32_t *order, const uint8_t pack_sha[20])
{
	static const uint8_t magic[8] = {0xff, 't', 'O', 'c', 0, 0, 0, 2};
	uint32_t fanout[256] = {0};
	uint8_t b[8], sum[20];
	idx_out o = {.fd = -1, .buf = pw->buf};
	uint32_t large = 0;
	size_t i;
	int error = SVD_ERROR;

	pw->idx_path = svd_path_join(pw->dir, SVD_PACK_TMP_PREFIX "idx_XXXXXX");
	if (!pw->idx_path)
		return SVD_ERROR;
	o.fd = mkostemp(pw->idx_path, O_CLOEXEC);
	if (o.fd < 0) {
		svd_error_set(SVD_ERROR, "%s: cannot create a temporary index: %s", pw->dir,
		              svd_ioerr(errno));
		free(pw->idx_path);
		pw->idx_path = NULL;
		return SVD_ERROR;
	}
	o.path = pw->idx_path;
	svd_sha1_init(&o.sha);
	for (i = 0; i < pw->n; i++)
		fanout[pw->objs[order[i]].id[0]]++;
	for (i = 1; i < 256; i++)
		fanout[i] += fanout[i - 1];
	if ((error = idx_put(&o, magic, sizeof(magic))) < 0)
		goto cleanup;
	for (i = 0; i < 256; i++) {
		store_be32(b, fanout[i]);
		if ((error = idx_put(&o, b, 4)) < 0)
			goto cleanup;
	}
	for (i = 0; i < pw->n; i++)
		if ((error = idx_put(&o, pw->objs[order[i]].id, 20)) < 0)
			goto cleanup;
	for (i = 0; i < pw->n; i++) {
		store_be32(b, pw->objs[order[i]].crc);
		if ((error = idx_put(&o, b, 4)) < 0)
			goto cleanup;
	}
	/* offsets past 2^31 - 1 go to a table of 8-byte offsets, in the same order */
	for (i = 0; i < pw->n; i++) {
		uint64_t off = pw->objs[order[i]].offset;

		store_be32(b, off < LARGE_OFFSET ? (uint32_t)off : LARGE_OFFSET | large++);
		if ((error = idx_put(&o, b, 4)) < 0)
			goto cleanup;
	}
	for (i = 0; i < pw->n; i++) {
		uint64_t off = pw->objs[order[i]].offset;

		if (off < LARGE_OFFSET)
			continue;
		store_be32(b, (uint32_t)(off >> 32));
		store_be32(b + 4, (uint32_t)off);
		if ((error = idx_put(&o, b, 8)) < 0)
			goto cleanup;
	}
	if ((error = idx_put(&o, pack_sha, 20)) < 0)
		goto cleanup;
	svd_sha1_final(&o.sha, sum);
	memcpy(o.buf + o.used, sum, 20);
	o.used += 20;
	if ((error = idx_flush(&o)) < 0)
		goto cleanup;
	error = SVD_ERROR;
	if (fchmod(o.fd, PACK_MODE) < 0 || fsync(o.fd) < 0) {
		svd_error_set(SVD_ERROR, "%s: cannot sync: %s", o.path, svd_ioerr(errno));
		goto cleanup;
	}
	if (close(o.fd) < 0) {
		o.fd = -1;
		svd_error_set(SVD_ERROR, "%s: cannot write: %s", pw->idx_path, svd_ioerr(errno));
		goto cleanup;
	}
	o.fd = -1;
	error = 0;
cleanup:
	if (o.fd >= 0)
		close(o.fd);
	return error;
}

/* Fill in the header, then checksum the file as it is on disk and close it with the sum. */
static int seal_pack(svd_packw *pw, uint8_t sum[20])
{
	uint8_t head[PACK_HEADER] = {'P', 'A', 'C', 'K', 0, 0, 0, 2};
	uint64_t at = 0;
	svd_sha1 sha;
	int error;

	if ((error = flush(pw)) < 0)
		return error;
	store_be32(head + 8, (uint32_t)pw->n);
	if (pwrite(pw->fd, head, sizeof(head), 0) != (ssize_t)sizeof(head)) {
		return broken(pw, svd_error_set(SVD_ERROR, "%s: cannot write the header: %s",
		                                pw->tmp_path, svd_ioerr(errno)));
	}
	/* the file was just written: this reads the page cache */
	svd_sha1_init(&sha);
	while (at < pw->flushed) {
		size_t want = pw->flushed - at > BUF_SIZE ? BUF_SIZE : (size_t)(pw->flushed - at);
		ssize_t got = pread(pw->fd, pw->buf, want, (off_t)at);

		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0) {
			return broken(
			    pw, svd_error_set(SVD_ERROR, "%s: cannot read back: %s", pw->tmp_path,
			                      got < 0 ? svd_ioerr(errno) : "file shrank"));
		}
		svd_sha1_update(&sha, pw->buf, (size_t)got);
		at += (uint64_t)got;
	}
	svd_sha1_final(&sha, sum);
	if (svd_write_all(pw->fd, sum, 20) < 0 || fchmod(pw->fd, PACK_MODE) < 0) {
		return broken(pw, svd_error_set(SVD_ERROR, "%s: cannot write and sync: %s",
		                                pw->tmp_path, svd_ioerr(errno)));
	}
	svd_pause_point("pack.written");
	if (fsync(pw->fd) < 0) {
		return broken(pw, svd_error_set(SVD_ERROR, "%s: cannot write and sync: %s",
		                                pw->tmp_path, svd_ioerr(errno)));
	}
	return 0;
}

/*
 * The pack goes into place before its index: git and libgit2 look for
 * packs through their indexes, so they never find an index without its pack.
 */
int svd_packw_finish(svd_packw *pw)
{
	uint8_t sum[20];
	char hex[41], name[64];
	char *pack_path = NULL, *idx_path = NULL;
	uint32_t *order = NULL;
	int error;

	if ((error = usable(pw)) < 0)
		return error;
	/* the worker must have written everything before the file is sealed */
	if ((error = sync_worker(pw)) < 0)
		return error;
	pw->finished = 1;
	if (pw->wn != pw->n) {
		return broken(pw, svd_error_set(SVD_ERROR,
		                                "%s: the pack holds %zu objects, %zu expected",
		                                pw->tmp_path, pw->wn, pw->n));
	}
	for (size_t k = 0; k < pw->n; k++) {
		pw->objs[k].offset = pw->wo[k].offset;
		pw->objs[k].crc = pw->wo[k].crc;
	}
	/*
	 * Nothing reads the worker's offsets or the set from here on (a finished
	 * writer is not used): at a million objects they are 16 and 8-16 MB
	 * that the sort below would otherwise be added to.
	 */
	free(pw->wo);
	pw->wo = NULL;
	free(pw->set);
	pw->set = NULL;
	pw->set_cap = 0;
	if (pw->n == 0) {
		close(pw->fd);
		pw->fd = -1;
		unlink(pw->tmp_path);
		free(pw->tmp_path);
		pw->tmp_path = NULL;
		return 0;
	}
	if ((error = seal_pack(pw, sum)) < 0)
		goto cleanup;
	/* indexes sorted, not the 32-byte entries: glibc's qsort copies what it sorts */
	if (!(order = malloc(pw->n * sizeof(*order)))) {
		error = svd_error_set(SVD_ERROR, "out of memory");
		goto cleanup;
	}
	for (size_t k = 0; k < pw->n; k++)
		order[k] = (uint32_t)k;
	qsort_r(order, pw->n, sizeof(*order), order_cmp, pw->objs);
	if ((error = write_index(pw, order, sum)) < 0)
		goto cleanup;
	error = SVD_ERROR;
	svd_hex_encode(hex, sum, 20);
	snprintf(name, sizeof(name), "pack-%s.pack", hex);
	pack_path = svd_path_join(pw->dir, name);
	snprintf(name, sizeof(name), "pack-%s.idx", hex);
	idx_path = svd_path_join(pw->dir, name);
	if (!pack_path || !idx_path)
		goto cleanup;
	if (close(pw->fd) < 0) {
		pw->fd = -1;
		svd_error_set(SVD_ERROR, "%s: cannot write: %s", pw->tmp_path, svd_ioerr(errno));
		goto cleanup;
	}
	pw->fd = -1;
	if (rename(pw->tmp_path, pack_path) < 0) {
		svd_error_set(SVD_ERROR, "%s: cannot rename into place: %s", pack_path,
		              svd_ioerr(errno));
		goto cleanup;
	}
	free(pw->tmp_path);
	pw->tmp_path = NULL;
	svd_pause_point("pack.renamed");
	if (rename(pw->idx_path, idx_path) < 0) {
		svd_error_set(SVD_ERROR, "%s: cannot rename into place: %s", idx_path,
		              svd_ioerr(errno));
		goto cleanup;
	}
	free(pw->idx_path);
	pw->idx_path = NULL;
	if ((error = svd_dir_fsync(pw->dir)) < 0)
		goto cleanup;
	if (git_odb_refresh(pw->odb) < 0) {
		error = svd_error_set(SVD_ERROR, "%s: pack written, but libgit2 cannot see it: %s",
		                      pack_path, git_message());
		goto cleanup;
	}
	error = pw->done ? packs_done_add(pw->done, pw->objs, pw->n) : 0;
cleanup:
	free(order);
	free(pack_path);
	free(idx_path);
	return error;
}

void svd_packw_free(svd_packw *pw)
{
	if (!pw)
		return;
	svd_workq_free(pw->q); /* what the worker has not started is dropped */
	while (pw->spare) {
		job *j = pw->spare;
		pw->spare = j->spare_next;
		free(j);
	}
	if (pw->spare_ready) {
		pthread_cond_destroy(&pw->spare_back);
		pthread_mutex_destroy(&pw->spare_lock);
	}
	free(pw->wo);
	if (pw->fd >= 0)
		close(pw->fd);
	if (pw->tmp_path)
		unlink(pw->tmp_path);
	if (pw->idx_path)
		unlink(pw->idx_path);
	if (pw->zs_ready)
		deflateEnd(&pw->zs);
	git_odb_free(pw->odb);
	free(pw->tmp_path);
	free(pw->idx_path);
	free(pw->dir);
	free(pw->buf);
	free(pw->objs);
	free(pw->set);
	free(pw->held);
	free(pw);
}

static int is_folder(unsigned int mode)
{
	return mode == 040000;
}

/* git's tree order: bytewise, a folder's name as if it ended in '/'. */
static int tree_cmp(const void *a, const void *b)
{
	const svd_tree_entry *x = a, *y = b;
	size_t lx = strlen(x->name), ly = strlen(y->name), n = lx < ly ? lx : ly;
	int c = memcmp(x->name, y->name, n);
	unsigned char cx, cy;

	if (c != 0)
		return c;
	cx = lx > n ? (unsigned char)x->name[n] : is_folder(x->mode) ? '/' : '\0';
	cy = ly > n ? (unsigned char)y->name[n] : is_folder(y->mode) ? '/' : '\0';
	return (cx > cy) - (cx < cy);
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int check_entry(const svd_tree_entry *e)
{
	const char *name = e->name;

	if (!name || !*name)
		return svd_error_set(SVD_EINVALID, "tree entry with an empty name");
	if (strchr(name, '/'))
		return svd_error_set(SVD_EINVALID, "tree entry \"%s\": a name cannot hold '/'",
		                     name);
	/* git refuses to check these out, and fsck flags them */
	if (!strcmp(name, ".") || !strcmp(name, "..") || !strcasecmp(name, ".git"))
		return svd_error_set(SVD_EINVALID, "tree entry \"%s\": name not allowed", name);
	switch (e->mode) {
	case 0100644:
	case 0100755:
	case 0120000:
	case 040000:
	case 0160000:
		return 0;
	default:
		return svd_error_set(SVD_EINVALID, "tree entry \"%s\": mode %o is not a git mode",
		                     name, e->mode);
	}
}

/*
 * Names are checked for duplicates in plain byte order, where a file and a
 * folder of the same name meet; in git's order other names may sit between.
 */
int svd_tree_serialize(char **out, size_t *len, svd_tree_entry *entries, size_t n)
{
	const char **names = NULL;
	char *buf = NULL, *p;
	size_t i, size = 0;
	int error = SVD_ERROR;

	*out = NULL;
	*len = 0;
	for (i = 0; i < n; i++) {
		if ((error = check_entry(&entries[i])) < 0)
			return error;
		size += 7 + strlen(entries[i].name) + 1 + GIT_OID_RAWSZ;
	}
	error = SVD_ERROR;
	names = malloc((n ? n : 1) * sizeof(*names));
	buf = malloc(size ? size : 1);
	if (!names || !buf) {
		svd_error_set(SVD_ERROR, "out of memory");
		goto cleanup;
	}
	for (i = 0; i < n; i++)
		names[i] = entries[i].name;
	if (n > 1)
		qsort(names, n, sizeof(*names), name_cmp);
	for (i = 1; i < n; i++) {
		if (!strcmp(names[i - 1], names[i])) {
			error = svd_error_set(SVD_EINVALID, "tree entry \"%s\" appears twice",
			                      names[i]);
			goto cleanup;
		}
	}
	if (n > 1)
		qsort(entries, n, sizeof(*entries), tree_cmp);
	p = buf;
	for (i = 0; i < n; i++) {
		size_t l = strlen(entries[i].name) + 1;

		p += sprintf(p, "%o ", entries[i].mode);
		memcpy(p, entries[i].name, l);
		p += l;
		memcpy(p, entries[i].oid.id, GIT_OID_RAWSZ);
		p += GIT_OID_RAWSZ;
	}
	*out = buf;
	*len = (size_t)(p - buf);
	buf = NULL;
	error = 0;
cleanup:
	free(names);
	free(buf);
	return error;
}

int svd_packw_clean(git_repository *repo)
{
	char *dir = svd_path_join(git_repository_path(repo), "objects/pack");
	size_t plen = strlen(SVD_PACK_TMP_PREFIX);
	struct dirent *e;
	DIR *d;

	if (!dir)
		return SVD_ERROR;
	if (!(d = opendir(dir))) {
		free(dir);
		return 0; /* no pack folder yet: nothing to clean */
	}
	while ((e = readdir(d)) != NULL) {
		char *p;
		if (strncmp(e->d_name, SVD_PACK_TMP_PREFIX, plen))
			continue;
		if ((p = svd_path_join(dir, e->d_name)) != NULL)
			unlink(p);
		free(p);
	}
	closedir(d);
	free(dir);
	return 0;
}
