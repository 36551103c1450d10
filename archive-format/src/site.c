/*
 * site.c: a mirror's reader library served page by page (site.h) — the
 * routes, the pages of main shared between threads, the raw files of the
 * items the view shows, the outbox's newest bundle. No HTTP here: the
 * daemon's http.c turns replies into responses.
 *
 * Every request path goes through parse_path() and nothing else decides
 * what is answered. Each thread keeps its own archive handle (reopened
 * every few seconds, so new trust is seen), and only its own thread reads
 * with it; a raw file read with it may be sent, and the handle finally
 * freed, by another thread's reply of the same file. The index (the
 * catalog behind item pages and the API; the paged library's list, rows
 * and search files written into a folder of ARCHIVE/cache/library, read
 * from there for each request: site_library.c) is built once per main
 * commit and trust list on the site's builder thread, from the previous
 * catalog (ARCHIVE/cache/site), and shared, reference-counted, between
 * replies; a request never builds.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <malloc.h>
#include <sodium.h>
#include <zlib.h>

#include "samvydav/archive.h"
#include "samvydav/pause.h"
#include "samvydav/render.h"
#include "samvydav/seal.h"
#include "samvydav/site.h"
#include "samvydav/store.h"
#include "samvydav/unpack.h"
#include "samvydav/view.h"
#include "render_internal.h"
#include "draft.h"
#include "site_file.h"
#include "site_internal.h"
#include "store_items.h"
#include "util.h"
#include "view_cache.h"

#define HANDLE_AGE_S 5                      /* seconds a thread keeps one archive handle */
#define BLOB_MAX     (512ull * 1024 * 1024) /* bytes of a raw file served from memory */
#define SMALL_MAX    (64u * 1024)           /* bytes of an error or status reply */
#define BUNDLE_EXT   ".tar.zst"
#define ETAG_LEN     43             /* a quoted git id or BLAKE2b-128 in hex, and a NUL */
#define GZ_FAST_OVER (1024u * 1024) /* bytes above which gzip takes its fastest level */
#define RETRY_S      30             /* seconds before a failed build is tried again */
#define STOPPED      1              /* cache_build: the site stops; nothing put in place */
#define POLL_MS      1000           /* the builder looks at main this often */
#define NICE         10             /* the builder's niceness */
#define RETRY_AFTER  2              /* seconds a client waits: no index yet, or send_max reached */
#define BUSY_SAY_S   10             /* the log tells of 503s for send_max at most this often */
#define MADE_SLOTS   8192 /* item pages and list pages kept per index (a power of 2) ... */
#define MADE_BYTES   (32u * 1024 * 1024) /* ... and their bytes, gzip'd copies included */
#define RAW_KEEP_MAX (1024u * 1024)      /* bytes of a raw file kept with them ... */
#define RAW_BYTES    (16u * 1024 * 1024) /* ... of all raw files kept, their own budget, */
#define RAW_SLOTS    (MADE_SLOTS / 8)    /* ... and how many: pages and lists keep theirs */
#define SEND_MAX     (256ull * 1024 * 1024) /* default bytes of raw files sent from the store at once */
#define NEXT_EXT     ".next"                /* the catalog file of an index not yet in place */

/* One shared part of the index: its bytes, their tag, and their gzip once made. */
typedef struct shared {
	svd_buf b;
	svd_buf gz; /* with owner's gz_ready */
	char etag[ETAG_LEN];
} shared;

/*
 * A reply made on request (an item page, a page of /api/items, a raw file
 * of up to RAW_KEEP_MAX bytes) and kept for the rest of its index's life,
 * with its tag and gzip'd copy: the next request for it costs a lookup.
 * Never removed before the index goes, so a reply may point into it as
 * into the shared parts.
 */
typedef struct made {
	/* 'p' and an item's id, 'a' and the query of /api/items, 'r' and ID/NAME */
	char *key;
	shared s;
} made;

/* The index of main at one commit, shared by replies until main moves. */
typedef struct index_cache {
	struct svd_site *owner;
	unsigned refs;                       /* under owner->lock */
	char commit[SVD_COMMIT_HEX_LEN + 1]; /* "" for an archive with nothing yet */
	uint8_t trust[32];                   /* the trust list it was checked with (its print) */
	size_t items;                        /* every well-filed item of main, readable or not */
	int64_t mtime;                       /* the commit's time */
	svd_catalog *cat;                    /* main's items that pass the gate; NULL in the
	                                        index a start serves from the library folder
	                                        until the first is built */
	shared fold;                         /* search/fold.js */
	int gz_ready;                        /* under owner->lock: every gz is made */
	const char *lib_root;                /* the site's: ARCHIVE/cache/library, or NULL */
	char lib[SVD_SITE_LIB_NAME];         /* its folder there: index.html, list/, rows/,
	                                        search/ ("": none, made on request) */
	int drop_lib;                        /* under owner->lock: remove the folder when freed
	                                        (another index has another one) */
	size_t stats_gated, stats_carried;   /* how it was built */
	int unchecked;                       /* from the catalog file's records, unchecked */
	uint8_t file_sum[32];                /* then: that file's checksum */
	double stats_ms;
	made **made; /* under owner->lock: MADE_SLOTS, by key hash */
	uint8_t made_key[crypto_shorthash_KEYBYTES]; /* its hash's key: no list of colliding
	                                                queries can be made in advance */
	size_t made_n, made_bytes;                   /* kept until MADE_SLOTS / 2 or MADE_BYTES */
	size_t raw_n, raw_bytes;                     /* of them raw files: RAW_SLOTS, RAW_BYTES */
} index_cache;

/*
 * A raw file sent from the store (not kept with the index: over
 * RAW_KEEP_MAX, or no room there), shared by every reply of the same
 * blob from the moment one starts to read it, so that a thousand readers
 * of one big photo hold one copy and read it once. All of them together
 * hold at most opts.send_max bytes; a request past that is answered 503
 * with Retry-After.
 */
enum { FLIGHT_READING, FLIGHT_READY, FLIGHT_FAILED };
typedef struct flight {
	struct flight *next; /* under owner->lock; a failed one is off the list */
	struct svd_site *owner;
	char id[41];              /* the blob's git id */
	struct handle_slot *slot; /* the handle the file was read with */
	svd_store_file *file;     /* once READY */
	size_t len;               /* bytes held, or set aside while READING */
	unsigned refs;            /* under owner->lock: one per reply, and the reader's */
	int state;                /* under owner->lock; owner->flight_done tells of a change */
} flight;

/* A static asset, its tag and gzip made once. */
typedef struct asset {
	const void *data;
	size_t len;
	char etag[ETAG_LEN];
	svd_buf gz;
} asset;

/*
 * One thread's archive handle. Opening an archive costs more than a page,
 * so each thread keeps one; a raw file's pending reply, and a file in
 * flight read with it, hold a reference until they are freed, so a handle
 * replaced meanwhile lives until then.
 */
typedef struct handle_slot {
	svd_archive *a;
	unsigned refs; /* the thread's own, one per pending reply, one per flight */
	time_t opened;
} handle_slot;

struct svd_site {
	pthread_key_t slot_key; /* each thread's current handle_slot */
	char *archive_path;
	char *outbox;
	char *cache_path; /* ARCHIVE/cache/site, or NULL when it cannot be made */
	char *lib_root;   /* ARCHIVE/cache/library, or NULL when it cannot be made */
	int swept;        /* the builder's own: old library folders removed */
	svd_site_opts opts;
	pthread_mutex_t lock;       /* the shared index, its references, the builder's flags */
	pthread_cond_t wake;        /* the builder's */
	pthread_mutex_t build_lock; /* without a builder: one build at a time */
	index_cache *cache;
	asset assets[2]; /* reader.css, reader.js */
	pthread_t builder;
	int has_builder, kick, stop;
	/* the builder's own: a build that failed, not tried again at once */
	char failed_commit[SVD_COMMIT_HEX_LEN + 1];
	uint8_t failed_trust[32];
	time_t failed_at;
	/*
	 * The builder's own: the checksum of the catalog file this site last
	 * wrote, or read and checked whole (its records need no check again
	 * while the file is that one), and whether the index in place took
	 * the file unchecked (the first after a start) and must be made again
	 * with the check.
	 */
	uint8_t file_sum[32];
	int file_sum_known, recheck_due;
	flight *flights;            /* under lock: raw files in flight from the store */
	uint64_t send_held;         /* under lock: their bytes, and those being read */
	pthread_cond_t flight_done; /* with lock: a file in flight was read, or failed */
	unsigned busy_n;            /* under lock: 503s for send_max since busy_said */
	time_t busy_said;           /* under lock: when the log last told of them */
};

typedef enum route_kind {
	ROUTE_INDEX = 0,
	ROUTE_ITEM, /* /items/<id>: moved to /pages/<id>.html */
	ROUTE_PAGE, /* /pages/<id>.html */
	ROUTE_ASSET,
	ROUTE_FOLD,
	ROUTE_LIB,  /* a file of the library folder: list/, rows/, search/ (file: its path) */
	ROUTE_FILE, /* a file of an item: payload, manifest.json, sig/KEYID.minisig or .pub */
	ROUTE_BUNDLE,
	ROUTE_STATUS,
	ROUTE_ITEMS,
} route_kind;

typedef struct route {
	route_kind kind;
	unsigned status; /* when refused: 400, 404 or 414 */
	char id[SVD_ID_HEX_LEN + 1];
	char file[SVD_SITE_URL_MAX + 1]; /* the path inside the item's folder; an asset's
	                                    name; a library file's path */
} route;

/* A reply and what it holds until it is freed. */
typedef struct reply {
	svd_site_reply pub;
	char *owned;     /* bytes of the body this reply made */
	index_cache *ic; /* the owner of a shared body */
	flight *flight;  /* a raw file sent from the store */
	/* a raw file whose bytes are read by svd_site_reply_load() (pub.pending) */
	struct svd_site *site;
	handle_slot *slot;
	char blob[41];
	char location[SVD_ID_HEX_LEN + 32];
	char filename[256];
	char etag[64]; /* a raw file's or a bundle's tag */
} reply;

/* The gate. */

static int all_hex(const char *s, size_t n, const char *digits)
{
	return strspn(s, digits) >= n;
}

/*
 * s is PREFIX, then 5 to 9 decimal digits, then SUFFIX: a numbered file
 * of the paged library (SPEC.md, 11.1), nothing else.
 */
static int numbered(const char *s, const char *prefix, const char *suffix)
{
	size_t p = strlen(prefix), k = strlen(suffix), n = strlen(s);

	return n >= p + 5 + k && n <= p + 9 + k && !strncmp(s, prefix, p) &&
	       !strcmp(s + n - k, suffix) && all_hex(s + p, n - p - k, "0123456789");
}

/*
 * Sort a request path into a route, or refuse it: forbidden bytes or
 * sequences are 400, over SVD_SITE_URL_MAX 414, a well-formed path that is
 * none of the forms 404.
 */
static int parse_path(route *r, const char *path, size_t len)
{
	char buf[SVD_SITE_URL_MAX + 1];
	const char *rest, *name;
	size_t i;

	memset(r, 0, sizeof(*r));
	r->status = 400;
	if (!path)
		return svd_error_set(SVD_EINVALID, "request without a path");
	if (len > SVD_SITE_URL_MAX) {
		r->status = 414;
		return svd_error_set(SVD_EINVALID,
		                     "request path of %zu bytes is over the limit of %d bytes", len,
		                     SVD_SITE_URL_MAX);
	}
	if (len == 0 || path[0] != '/')
		return svd_error_set(SVD_EINVALID, "request path does not start with '/'");
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)path[i];

		if (c == '\0')
			return svd_error_set(SVD_EINVALID,
			                     "request path holds a NUL byte at offset %zu", i);
		if (c < 0x20 || c == 0x7f)
			return svd_error_set(SVD_EINVALID,
			                     "request path holds a control character at offset %zu",
			                     i);
		if (c == '%')
			return svd_error_set(SVD_EINVALID,
			                     "request path still holds a '%%' after decoding "
			                     "(an escape that is refused or encoded twice)");
		if (c == '\\')
			return svd_error_set(SVD_EINVALID, "request path holds a backslash");
		if (i > 0 && c == '.' && path[i - 1] == '.')
			return svd_error_set(SVD_EINVALID, "request path holds '..'");
		if (i > 0 && c == '/' && path[i - 1] == '/')
			return svd_error_set(SVD_EINVALID,
			                     "request path holds an empty segment '//'");
	}
	/* file names in any script, as UTF-8; no overlong or broken sequences */
	if (!svd_utf8_valid(path, len))
		return svd_error_set(SVD_EINVALID, "request path is not valid UTF-8");
	memcpy(buf, path, len);
	buf[len] = '\0';

	r->status = 404;
	if (!strcmp(buf, "/") || !strcmp(buf, "/index.html")) {
		r->kind = ROUTE_INDEX;
		snprintf(r->file, sizeof(r->file), "index.html");
		return 0;
	}
	if (numbered(buf, "/list/", ".html") || numbered(buf, "/rows/", ".js") ||
	    numbered(buf, "/search/d", ".js") || numbered(buf, "/search/p", ".js") ||
	    !strcmp(buf, "/search/dict.js") || !strcmp(buf, "/search/facets.js")) {
		r->kind = ROUTE_LIB;
		snprintf(r->file, sizeof(r->file), "%s", buf + 1);
		return 0;
	}
	if (!strcmp(buf, "/reader.css") || !strcmp(buf, "/reader.js")) {
		r->kind = ROUTE_ASSET;
		snprintf(r->file, sizeof(r->file), "%s", buf + 1);
		return 0;
	}
	if (!strcmp(buf, "/search/fold.js")) {
		r->kind = ROUTE_FOLD;
		return 0;
	}
	if (!strncmp(buf, "/pages/", 7)) {
		rest = buf + 7;
		if (strlen(rest) != SVD_ID_HEX_LEN + 5 ||
		    !all_hex(rest, SVD_ID_HEX_LEN, "0123456789abcdef") ||
		    strcmp(rest + SVD_ID_HEX_LEN, ".html") != 0)
			return svd_error_set(SVD_EINVALID,
			                     "no such page: an item's page is /pages/ and its id "
			                     "(64 lowercase hex digits) and .html");
		memcpy(r->id, rest, SVD_ID_HEX_LEN);
		r->kind = ROUTE_PAGE;
		return 0;
	}
	if (!strcmp(buf, "/bundle/latest")) {
		r->kind = ROUTE_BUNDLE;
		return 0;
	}
	if (!strcmp(buf, "/api/status")) {
		r->kind = ROUTE_STATUS;
		return 0;
	}
	if (!strcmp(buf, "/api/items")) {
		r->kind = ROUTE_ITEMS;
		return 0;
	}
	if (strncmp(buf, "/items/", 7) != 0)
		return svd_error_set(SVD_EINVALID, "no such page");
	rest = buf + 7;
	/* the library's layout, items/<id[0:2]>/<id>/<file>, is the same file */
	if (strlen(rest) > SVD_ID_HEX_LEN + 3 && rest[2] == '/' &&
	    all_hex(rest, 2, "0123456789abcdef") && !strncmp(rest, rest + 3, 2) &&
	    rest[3 + SVD_ID_HEX_LEN] == '/')
		rest += 3;
	if (strlen(rest) < SVD_ID_HEX_LEN || !all_hex(rest, SVD_ID_HEX_LEN, "0123456789abcdef") ||
	    (rest[SVD_ID_HEX_LEN] != '\0' && rest[SVD_ID_HEX_LEN] != '/'))
		return svd_error_set(SVD_EINVALID,
		                     "no such page: an item's path is /items/ and its id "
		                     "(64 lowercase hex digits)");
	memcpy(r->id, rest, SVD_ID_HEX_LEN);
	r->id[SVD_ID_HEX_LEN] = '\0';
	if (rest[SVD_ID_HEX_LEN] == '\0') {
		r->kind = ROUTE_ITEM;
		return 0;
	}
	name = rest + SVD_ID_HEX_LEN + 1;
	r->kind = ROUTE_FILE;
	if (!strcmp(name, "manifest.json")) {
		snprintf(r->file, sizeof(r->file), "%s", name);
		return 0;
	}
	if (!strncmp(name, "sig/", 4)) {
		const char *k = name + 4;

		if (strlen(k) < SVD_KEYID_HEX_LEN ||
		    !all_hex(k, SVD_KEYID_HEX_LEN, "0123456789ABCDEF") ||
		    (strcmp(k + SVD_KEYID_HEX_LEN, ".minisig") != 0 &&
		     strcmp(k + SVD_KEYID_HEX_LEN, ".pub") != 0))
			return svd_error_set(
			    SVD_EINVALID, "no such page: a signature is sig/<KEYID>.minisig, its "
			                  "key sig/<KEYID>.pub (16 uppercase hex digits)");
		snprintf(r->file, sizeof(r->file), "%s", name);
		return 0;
	}
	if (svd_manifest_check_path(name) < 0)
		return svd_error_set(SVD_EINVALID,
		                     "no such page: not a file name an item can hold");
	snprintf(r->file, sizeof(r->file), "%s", name);
	return 0;
}

int svd_site_check_path(const char *path, size_t len)
{
	route r;

	return parse_path(&r, path, len);
}

/*
 * libmicrohttpd's own unescaping would turn %00 into a NUL that cuts the
 * path short and %2F into a '/'. Decode %XX here instead, unless a sequence
 * is malformed or stands for '/', '\\', '%' or a control character: then
 * leave the whole string as it came, and its '%' has it refused.
 */
size_t svd_site_unescape(char *s)
{
	size_t i, o = 0, len = strlen(s);
	uint8_t v;

	for (i = 0; i < len; i++) {
		if (s[i] != '%')
			continue;
		if (i + 2 >= len || svd_hex_decode(&v, 1, s + i + 1) < 0)
			return len;
		if (v < 0x20 || v == 0x7f || v == '/' || v == '\\' || v == '%')
			return len;
		i += 2;
	}
	for (i = 0; i < len; i++) {
		if (s[i] == '%') {
			svd_hex_decode(&v, 1, s + i + 1);
			s[o++] = (char)v;
			i += 2;
		} else {
			s[o++] = s[i];
		}
	}
	s[o] = '\0';
	return o;
}

/* Replies. */

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n >= k && !strcasecmp(s + n - k, suffix);
}

static reply *reply_new(unsigned status, const char *type)
{
	reply *r = calloc(1, sizeof(*r));

	if (!r) {
		svd_error_set(SVD_ERROR, "out of memory");
		return NULL;
	}
	r->pub.status = status;
	r->pub.type = type;
	r->pub.data = "";
	r->pub.fd = -1;
	return r;
}

/* A buffer's bytes as the body (the reply takes them). */
static reply *reply_buf(unsigned status, svd_buf *b, const char *type, int page)
{
	reply *r = reply_new(status, type);

	if (!r) {
		svd_buf_clear(b);
		return NULL;
	}
	r->owned = b->data;
	r->pub.data = b->data ? b->data : "";
	r->pub.len = b->len;
	r->pub.page = page;
	b->data = NULL;
	b->len = 0;
	return r;
}

/* A short plain-text reply: the status and what went wrong (never a path on disk). */
static reply *reply_text(unsigned status, const char *what, const char *detail)
{
	svd_buf b;

	svd_buf_init(&b, SMALL_MAX);
	svd_buf_printf(&b, "%u %s", status, what);
	if (detail && *detail) {
		svd_buf_puts(&b, ": ");
		svd_buf_put(&b, detail, strnlen(detail, 1024));
	}
	svd_buf_puts(&b, "\n");
	if (b.error) {
		svd_buf_clear(&b);
		svd_error_set(SVD_ERROR, "out of memory");
		return NULL;
	}
	return reply_buf(status, &b, "text/plain; charset=utf-8", 0);
}

static reply *reply_error(int error)
{
	if (error == SVD_ENOTFOUND)
		return reply_text(404, "not found", svd_error_last());
	if (error == SVD_ETOOBIG)
		return reply_text(503, "too large to serve", "take it from a bundle instead");
	return reply_text(500, "internal error",
	                  "the mirror could not read its archive; its operator should run "
	                  "`samvydav verify`");
}

/* The index, built in the background once per main commit and trust list. */

static void shared_clear(shared *sh)
{
	svd_buf_clear(&sh->b);
	svd_buf_clear(&sh->gz);
}

static void cache_free(index_cache *ic)
{
	size_t i;

	if (!ic)
		return;
	svd_catalog_free(ic->cat);
	shared_clear(&ic->fold);
	if (ic->drop_lib)
		svd_site_lib_remove(ic->lib_root, ic->lib);
	for (i = 0; ic->made && i < MADE_SLOTS; i++) {
		if (!ic->made[i])
			continue;
		free(ic->made[i]->key);
		shared_clear(&ic->made[i]->s);
		free(ic->made[i]);
	}
	free(ic->made);
	free(ic);
}

static void cache_release(index_cache *ic)
{
	svd_site *s;
	int last;

	if (!ic)
		return;
	s = ic->owner;
	pthread_mutex_lock(&s->lock);
	last = --ic->refs == 0;
	pthread_mutex_unlock(&s->lock);
	if (last)
		cache_free(ic);
}

/* The shared index, or NULL before the first: the caller holds a reference. */
static index_cache *cache_take(svd_site *s)
{
	index_cache *ic;

	pthread_mutex_lock(&s->lock);
	if ((ic = s->cache))
		ic->refs++;
	pthread_mutex_unlock(&s->lock);
	return ic;
}

/* A strong entity tag: the quoted hex of the BLAKE2b-128 of the bytes. */
static void make_etag(char out[ETAG_LEN], const void *data, size_t len)
{
	uint8_t h[16];

	crypto_generichash(h, sizeof(h), data, len, NULL, 0);
	out[0] = '"';
	svd_hex_encode(out + 1, h, sizeof(h));
	out[33] = '"';
	out[34] = '\0';
}

/*
 * The bytes gzip-compressed (zlib, the gzip wrapper), for clients that take
 * gzip: the big lists at a faster level, as they are made again with
 * every change of main.
 */
static int gzip_buf(svd_buf *out, const void *data, size_t len)
{
	z_stream z;
	size_t bound;
	int level = len > GZ_FAST_OVER ? 1 : Z_DEFAULT_COMPRESSION, zr;

	memset(out, 0, sizeof(*out));
	memset(&z, 0, sizeof(z));
	if (deflateInit2(&z, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return svd_error_set(SVD_ERROR, "out of memory compressing a page");
	bound = deflateBound(&z, (uLong)len);
	if (!(out->data = malloc(bound + 1))) {
		deflateEnd(&z);
		return svd_error_set(SVD_ERROR, "out of memory compressing a page");
	}
	out->cap = out->max = bound + 1;
	z.next_in = (Bytef *)(uintptr_t)data;
	z.avail_in = (uInt)len;
	z.next_out = (Bytef *)out->data;
	z.avail_out = (uInt)bound;
	zr = deflate(&z, Z_FINISH);
	out->len = bound - z.avail_out;
	deflateEnd(&z);
	if (zr != Z_STREAM_END) {
		svd_buf_clear(out);
		return svd_error_set(SVD_ERROR, "cannot compress a page");
	}
	return 0;
}

static double ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) * 1e3 + (double)(t.tv_nsec - t0->tv_nsec) / 1e6;
}

static void site_log(const svd_site *s, svd_site_level level, const char *fmt, ...)
    SVD_PRINTF(3, 4);

static void site_log(const svd_site *s, svd_site_level level, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (!s->opts.log)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	s->opts.log(level, msg, s->opts.log_payload);
}

/* What one build did, for the log and /api/status. */
typedef struct build_stats {
	size_t items, carried, gated;
	double load, check, gate, finish, render;
	const char *lib;  /* the library folder: "written", "kept", "none" */
	const char *file; /* how the catalog file was found: "none", "ignored", "used" */
	int same;         /* it was made at this very commit */
	int unchecked;    /* its records were taken without the check (the first build) */
	uint8_t sum[32];  /* its checksum, when it was read */
	int have_sum;
} build_stats;

/*
 * The records taken from the catalog file: on two threads, each item's
 * signatures checked again in the store and its manifest parsed.
 */
typedef struct carried {
	svd_site_file_rec *v;
	size_t *li; /* each record's index in main's list */
	svd_manifest **m;
	unsigned char *bad; /* the file's verdict is not the check's: gated instead */
	size_t n, cap, licap, nbad;
	svd_archive *a;
	const svd_store_items *l;
	const svd_trust *trust;
	svd_trust *registry; /* main's keys/ */
	int check;           /* 0: the file is this site's own, or the first build's */
	int error;
	size_t lo, hi; /* the records carry_check() works on */
} carried;

/*
 * Records checked and parsed at a time before they are added: their
 * compact manifests are held until then (some 450 bytes each, 450 MB at
 * a million if all were parsed first).
 */
#define CARRY_CHUNK 8192

/* A carried record's manifest, parsed and made compact as the catalog keeps it. */
static int carry_manifest(svd_manifest **m, const svd_site_file_rec *rec)
{
	int e = svd_site_file_manifest(m, rec);

	return e < 0 ? e : svd_manifest_compact(m);
}

static int carry_push(carried *cr, const svd_site_file_rec *rec, size_t li)
{
	if (svd_grow(&cr->v, &cr->cap, cr->n + 1, sizeof(*cr->v), 1024) < 0 ||
	    svd_grow(&cr->li, &cr->licap, cr->n + 1, sizeof(*cr->li), 1024) < 0)
		return -1;
	cr->v[cr->n] = *rec;
	cr->li[cr->n++] = li;
	return 0;
}

/*
 * Every other record, from the first (the helper) or the second (the
 * builder): the item's folder read from the store (its tree id is main's)
 * and checked by the gate's own code, payloads by size; a record whose
 * verdict is not what the check finds is marked bad and the gate runs on
 * it. Nothing the gate decides is taken from the file on trust: its
 * checksum is no seal, anyone who can write it can make it add up.
 */
static void check_every_other(carried *cr, size_t from, int *error)
{
	svd_store_reader *r = NULL;
	svd_verdict *v = NULL;
	size_t i;
	int e, agrees;

	if (cr->lo + from >= cr->hi)
		return;
	if (!cr->check) {
		for (i = cr->lo + from; i < cr->hi && *error == 0 && cr->m; i += 2)
			if (cr->v[i].passed && (e = carry_manifest(&cr->m[i], &cr->v[i])) < 0)
				*error = e;
		return;
	}
	if ((e = svd_store_reader_open(&r, cr->a)) < 0) {
		*error = e;
		return;
	}
	for (i = cr->lo + from; i < cr->hi && *error == 0; i += 2) {
		const svd_site_file_rec *rec = &cr->v[i];
		if (svd_store_item_recheck(&v, r, cr->l, cr->li[i], cr->trust, cr->registry) < 0) {
			/* a folder that cannot be read: the gate says what is wrong with it */
			svd_error_clear();
			cr->bad[i] = 1;
			continue;
		}
		/* a refused record: refused again only if the check finds fault too */
		agrees = rec->passed ? svd_site_file_agrees(rec, v) : !svd_verdict_sound(v);
		svd_verdict_free(v);
		v = NULL;
		if (!agrees)
			cr->bad[i] = 1;
		else if (cr->m && rec->passed && (e = carry_manifest(&cr->m[i], rec)) < 0)
			*error = e;
	}
	svd_store_reader_free(r);
}

static void *check_helper(void *p)
{
	carried *cr = p;

	check_every_other(cr, 0, &cr->error);
	return NULL;
}

/*
 * The carried records cr->lo to cr->hi checked (with cr->check) and, when
 * cr->m is there, their manifests parsed, on two threads (the dearest
 * parts: Ed25519, JSON); cr->bad marks those the check does not confirm,
 * cr->nbad counts them.
 */
static int carry_check(carried *cr)
{
	pthread_t helper;
	size_t i;
	int error = 0, helped;

	if (!cr->bad && !(cr->bad = calloc(cr->n + 1, 1)))
		return svd_error_set(SVD_ERROR, "out of memory");
	if (cr->check && cr->n > 0 && !cr->registry &&
	    (error = svd_store_items_registry(&cr->registry, cr->a, cr->l)) < 0)
		return error;
	helped = cr->hi - cr->lo > 1 && pthread_create(&helper, NULL, check_helper, cr) == 0;
	check_every_other(cr, helped ? 1 : 0, &error);
	if (!helped && error == 0)
		check_every_other(cr, 1, &error);
	if (helped)
		pthread_join(helper, NULL);
	if (error == 0 && cr->error < 0)
		error = cr->error;
	for (i = cr->lo; i < cr->hi; i++)
		cr->nbad += cr->bad[i];
	return error;
}

/*
 * The carried entries into the catalog, CARRY_CHUNK at a time: checked
 * and parsed (carry_check), then those whose verdict the check confirms
 * added in order on this thread.
 */
static int carry_add(svd_catalog *c, carried *cr)
{
	size_t i;
	int error = 0;

	if (!(cr->m = calloc(cr->n + 1, sizeof(*cr->m))))
		return svd_error_set(SVD_ERROR, "out of memory");
	for (cr->lo = 0; cr->lo < cr->n && error == 0; cr->lo = cr->hi) {
		cr->hi = cr->n - cr->lo > CARRY_CHUNK ? cr->lo + CARRY_CHUNK : cr->n;
		error = carry_check(cr);
		for (i = cr->lo; i < cr->hi && error == 0; i++) {
			if (cr->bad[i])
				continue;
			error = svd_site_file_add(c, &cr->v[i], cr->m[i]);
			cr->m[i] = NULL; /* taken */
		}
	}
	if (error == SVD_ECORRUPT || error == SVD_ETOOBIG)
		error = svd_error_set(SVD_ECORRUPT, "a manifest does not read back: %s",
		                      svd_error_last());
	return error;
}

static void carry_clear(carried *cr)
{
	size_t i;

	for (i = 0; cr->m && i < cr->n; i++)
		svd_manifest_free(cr->m[i]);
	free(cr->m);
	free(cr->v);
	free(cr->li);
	free(cr->bad);
	svd_trust_free(cr->registry);
	memset(cr, 0, sizeof(*cr));
}

/* The site stops (svd_site_free): a build under way gives up at its next phase. */
static int stopping(svd_site *s)
{
	int stop;

	pthread_mutex_lock(&s->lock);
	stop = s->stop;
	pthread_mutex_unlock(&s->lock);
	return stop;
}

/*
 * The gate's word on each item: non-zero stops the walk when the site
 * stops (a first gate of 20,000 items would outlast a service manager's
 * stop timeout). A test holds the builder here (docs/fault-injection.md).
 */
static int gate_item(const svd_verdict *v, void *payload)
{
	(void)v;
	svd_pause_point("site.gate");
	return stopping(payload);
}

/* The catalog file's bytes, to its temporary name (svd_site_file_build). */
static int file_out(const void *data, size_t len, void *payload)
{
	return svd_outfile_write(payload, data, len);
}

/*
 * A file with no name beside the catalog file (ARCHIVE/cache/), for the
 * manifests' bytes while an index is built (svd_catalog_set_compact): a
 * million of them are some 700 MB the build need not hold; the catalog
 * takes it (svd_catalog_set_compact). -1 when there is no catalog file to
 * write, or no such file can be made: the build then makes no catalog
 * file (logged).
 */
static int spill_open(const svd_site *s)
{
	char *dir, *tmp;
	int fd = -1;

	if (!s->cache_path || !(dir = svd_path_dir(s->cache_path)))
		return -1;
	fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd < 0 && (tmp = svd_path_join(dir, ".spill-XXXXXX"))) {
		/* a file system without O_TMPFILE: a named one, unlinked at once */
		if ((fd = mkostemp(tmp, O_CLOEXEC)) >= 0)
			unlink(tmp);
		free(tmp);
	}
	if (fd < 0)
		site_log(s, SVD_SITE_LOG_WARN,
		         "site: %s: cannot make a scratch file in it (%s); the next start gates "
		         "every item (is the disk full?)",
		         dir, svd_ioerr(errno));
	free(dir);
	return fd;
}

/*
 * Main's items into a new catalog: from the catalog file those whose folder
 * it names (and the trust list is the one it was made with), the others
 * through the gate. The file is read and checked whole first; a file that
 * is damaged, or whose entries do not read back, is logged and ignored.
 */
static int catalog_fill(svd_catalog **out, const svd_site *s, svd_archive *a,
                        const svd_store_items *l, const uint8_t print[32], int first,
                        build_stats *st)
{
	svd_site_file *sc = NULL;
	svd_site_file_rec rec;
	svd_catalog *c = NULL;
	const char **tocheck = NULL;
	const char *data = NULL;
	size_t i, j, n = svd_store_items_count(l), k = 0, len = 0;
	struct timespec t0;
	int error, more = 0, fallback = 0;
	carried carry = {0};

	*out = NULL;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	st->file = "none";
	/* mapped, not read: some 700 MB at a million items, page cache rather than the heap */
	error = s->cache_path
	            ? svd_file_map((const void **)&data, &len, s->cache_path, SVD_SITE_FILE_MAX)
	            : SVD_ENOTFOUND;
	if (error == SVD_ENOTFOUND) {
		svd_error_clear(); /* the first build of this archive */
	} else if (error < 0) {
		st->file = "ignored";
		site_log(s, SVD_SITE_LOG_WARN,
		         "site: %s; ignored: every item goes through the gate, and the file is "
		         "written again",
		         svd_error_last());
		svd_error_clear();
	}
	st->load = ms_since(&t0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	/*
	 * The file's records are checked against the store (check_every_other)
	 * unless the file is the one this site wrote or checked last, or this is
	 * the first build after a start: then the first page comes at once, and
	 * the builder makes the index again at once with the check
	 * (recheck_due), so a forged file shows what it says for seconds, and
	 * the log then says how many records disagreed.
	 */
	carry.check = 1;
	if (data && len >= 32) {
		memcpy(st->sum, data + len - 32, 32);
		st->have_sum = 1;
		if (s->file_sum_known && !memcmp(st->sum, s->file_sum, 32) && !s->recheck_due)
			carry.check = 0;
		else if (first && !s->recheck_due)
			carry.check = 0, st->unchecked = 1;
	}
	if (data && (error = svd_site_file_parse(&sc, (const uint8_t *)data, len, print)) < 0) {
		st->file = "ignored";
		site_log(s, error == SVD_ENOTFOUND ? SVD_SITE_LOG_INFO : SVD_SITE_LOG_WARN,
		         "site: %s: %s; ignored: every item goes through the gate, and the file is "
		         "written again",
		         s->cache_path, svd_error_last());
		svd_error_clear();
	}
again:
	if ((error = svd_catalog_new(&c)) < 0)
		goto cleanup;
	svd_catalog_set_trust(c, svd_archive_trust(a));
	/* manifests kept compact, their bytes in a scratch file for the catalog file */
	if ((error = svd_catalog_set_compact(c, spill_open(s))) < 0)
		goto cleanup;
	free(tocheck);
	if (!(tocheck = malloc((n + 1) * sizeof(*tocheck)))) {
		error = svd_error_set(SVD_ERROR, "out of memory");
		goto cleanup;
	}
	k = 0;
	st->carried = 0;
	carry.a = a;
	carry.l = l;
	carry.trust = svd_archive_trust(a);
	/* main's list and the file's records are both in id order: one pass over each */
	if (sc && !fallback && (error = svd_site_file_words(c, sc)) == 0)
		more = svd_site_file_next(sc, &rec);
	for (i = 0; i < n && error == 0; i++) {
		const char *id = svd_store_items_id(l, i);
		int d = -1;
		while (more && (d = strcmp(rec.id, id)) < 0)
			more = svd_site_file_next(sc, &rec);
		if (more && d == 0 && !memcmp(rec.tree, svd_store_items_folder(l, i), 20)) {
			if (!(error = carry_push(&carry, &rec, i)))
				st->carried++;
			more = svd_site_file_next(sc, &rec);
		} else {
			tocheck[k++] = id;
		}
	}
	if (error == 0)
		error = carry_add(c, &carry);
	if (error == 0 && carry.nbad > 0) {
		/* the gate runs on those the check did not confirm, in main's order */
		site_log(s, SVD_SITE_LOG_WARN,
		         "site: %s: %zu items' verdicts are not what their folders in the store "
		         "say (the file was changed?); they go through the gate",
		         s->cache_path, carry.nbad);
		st->carried -= carry.nbad;
		k = 0;
		for (i = 0, j = 0; i < n; i++) {
			while (j < carry.n && carry.li[j] < i)
				j++;
			if (j < carry.n && carry.li[j] == i && !carry.bad[j])
				continue;
			tocheck[k++] = svd_store_items_id(l, i);
		}
	}
	carry_clear(&carry);
	if (error == SVD_ECORRUPT && !fallback) {
		/* a manifest that does not read back: the file is not used at all */
		st->file = "ignored";
		site_log(s, SVD_SITE_LOG_WARN,
		         "site: %s: %s; ignored: every item goes through the gate, and the file is "
		         "written again",
		         s->cache_path, svd_error_last());
		svd_error_clear();
		svd_catalog_free(c);
		c = NULL;
		fallback = 1;
		error = 0;
		goto again;
	}
	if (error < 0)
		goto cleanup;
	if (sc && !fallback) {
		st->file = "used";
		st->same = !strcmp(svd_site_file_commit(sc), svd_store_items_commit(l));
	} else {
		st->unchecked = 0; /* nothing taken from a file: no check to follow */
	}
	st->check = ms_since(&t0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	st->gated = k;
	error = svd_catalog_gate(c, a, l, svd_archive_trust(a), tocheck, k, gate_item, (void *)s);
	if (error == SVD_ECORRUPT) {
		svd_error_clear(); /* items that fail the gate are not shown */
		error = 0;
	}
	st->gate = ms_since(&t0);
	if (error == 0) {
		*out = c;
		c = NULL;
	}
cleanup:
	svd_catalog_free(c);
	svd_site_file_free(sc);
	svd_file_unmap(data, len);
	free(tocheck);
	return error;
}

/* search/fold.js, with its tag and gzip: the same for every index, small. */
static int cache_fold(index_cache *ic)
{
	int error;

	svd_buf_init(&ic->fold.b, SMALL_MAX * 4);
	if ((error = svd_render_fold_js(&ic->fold.b)) < 0)
		return error;
	make_etag(ic->fold.etag, ic->fold.b.data ? ic->fold.b.data : "", ic->fold.b.len);
	if ((error = gzip_buf(&ic->fold.gz, ic->fold.b.data ? ic->fold.b.data : "",
	                      ic->fold.b.len)) < 0)
		return error;
	ic->gz_ready = 1;
	return 0;
}

/* Put ic in place of the shared index; replies holding the old one keep it. */
static void cache_swap(svd_site *s, index_cache *ic)
{
	index_cache *old;

	ic->owner = s;
	ic->lib_root = s->lib_root;
	pthread_mutex_lock(&s->lock);
	ic->refs = 1; /* the site's */
	old = s->cache;
	s->cache = ic;
	/* the old folder goes with the old index, unless this one serves it too */
	ic->drop_lib = 0;
	if (old)
		old->drop_lib = old->lib[0] && strcmp(old->lib, ic->lib) != 0;
	pthread_mutex_unlock(&s->lock);
	cache_release(old);
	/*
	 * The old catalog's memory (hundreds of MB at 100,000 items) goes back
	 * to the system now, not when the allocator sees fit: the resident
	 * size is what an operator's memory limit counts.
	 */
	malloc_trim(0);
}

/*
 * One index of main at l's commit, built and put in place: the catalog
 * (catalog_fill), the catalog file made while its words are still per
 * item and written beside its place (cache/site.next), the view and the
 * search index (finish), the library's files in a folder of
 * ARCHIVE/cache/library (or the one the pointer names, when it is of this
 * very catalog), the manifests let go, put in place whole, the old index
 * being served meanwhile; then the pointer names the folder and the
 * catalog file is renamed into place. Runs on the builder (or, without
 * one, on a request's thread under build_lock). When the site stops, the
 * gate gives up at its next item and the build between its phases: the
 * half-made index is dropped, the catalog file not put in place, and
 * STOPPED returned.
 */
static int cache_build(svd_site *s, svd_archive *a, const svd_store_items *l,
                       const uint8_t print[32])
{
	index_cache *ic = NULL;
	build_stats st = {0};
	struct timespec t0, start;
	char *next = NULL;
	uint8_t sum[32];
	int error, first, wrote = 0, staged = 0;

	clock_gettime(CLOCK_MONOTONIC, &start);
	if (!(ic = calloc(1, sizeof(*ic)))) {
		error = svd_error_set(SVD_ERROR, "out of memory building the index");
		goto cleanup;
	}
	snprintf(ic->commit, sizeof(ic->commit), "%s", svd_store_items_commit(l));
	memcpy(ic->trust, print, 32);
	ic->items = svd_store_items_count(l);
	ic->mtime = svd_store_items_time(l);
	st.items = ic->items;
	pthread_mutex_lock(&s->lock);
	first = s->cache == NULL || s->cache->cat == NULL;
	pthread_mutex_unlock(&s->lock);
	/* a positive return: the gate stopped (gate_item) */
	if ((error = catalog_fill(&ic->cat, s, a, l, print, first, &st)) != 0 || stopping(s))
		goto cleanup;
	/*
	 * The file is made (before finish takes the words apart) unless it
	 * would be the same; not from records taken unchecked. It goes to disk
	 * as it is made, beside its place (cache/site.next), and is put in
	 * place (renamed) once the index is, so a build that stops still
	 * leaves the old file.
	 */
	if (s->cache_path && !st.unchecked &&
	    !(st.gated == 0 && st.same && !strcmp(st.file, "used"))) {
		svd_outfile of;
		if (!(next = malloc(strlen(s->cache_path) + sizeof(NEXT_EXT)))) {
			error = svd_error_set(SVD_ERROR, "out of memory");
			goto cleanup;
		}
		strcat(strcpy(next, s->cache_path), NEXT_EXT);
		if (svd_outfile_open(&of, next) < 0 ||
		    svd_site_file_build(ic->cat, l, print, file_out, &of, sum) < 0 ||
		    svd_outfile_commit(&of) < 0) {
			svd_outfile_abort(&of);
			site_log(
			    s, SVD_SITE_LOG_WARN,
			    "site: cannot make the catalog file: %s; the next start gates every "
			    "item (is the disk full?)",
			    svd_error_last());
			svd_error_clear();
			s->file_sum_known = 0;
		} else {
			staged = 1;
		}
	}
	/* a test holds the builder here (docs/fault-injection.md, "Hold points") */
	svd_pause_point("site.build");
	if (stopping(s))
		goto cleanup;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if ((error = svd_catalog_finish(ic->cat)) < 0 || stopping(s))
		goto cleanup;
	st.finish = ms_since(&t0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if ((error = cache_fold(ic)) < 0)
		goto cleanup;
	/*
	 * The library's files: those of the folder the pointer names when it
	 * is of this commit and trust list and no item went through the gate
	 * (the catalog is the one it was written from), else a new folder
	 */
	st.lib = "none";
	if (s->lib_root && st.gated == 0 &&
	    svd_site_lib_pointer_find(ic->lib, s->lib_root, svd_store_items_commit(l), print)) {
		st.lib = "kept";
	} else if (s->lib_root) {
		char *name = NULL;
		if (svd_site_lib_write(&name, s->lib_root, ic->cat) < 0) {
			site_log(s, SVD_SITE_LOG_WARN,
			         "site: cannot write the library's files: %s; its pages are made "
			         "for each request, and search is not served",
			         svd_error_last());
			svd_error_clear();
		} else {
			snprintf(ic->lib, sizeof(ic->lib), "%s", name);
			ic->lib_root = s->lib_root;
			ic->drop_lib = 1; /* until it is in place */
			wrote = 1;
			st.lib = "written";
		}
		free(name);
	}
	if (stopping(s))
		goto cleanup;
	/*
	 * Written: the manifests go (two thirds of what the index held, about
	 * 2 KB an item); item pages read theirs from the store. Without a
	 * folder the lists are made from them on request: kept.
	 */
	if (ic->lib[0])
		svd_catalog_drop_manifests(ic->cat);
	st.render = ms_since(&t0);
	ic->stats_gated = st.gated;
	ic->stats_carried = st.carried;
	ic->unchecked = st.unchecked;
	memcpy(ic->file_sum, st.sum, 32);
	ic->stats_ms = ms_since(&start);
	cache_swap(s, ic);
	if (wrote && svd_site_lib_pointer_write(s->lib_root, svd_store_items_commit(l), print,
	                                        ic->lib) < 0) {
		site_log(s, SVD_SITE_LOG_WARN,
		         "site: %s; the next start serves its first page once the index is built",
		         svd_error_last());
		svd_error_clear();
	}
	if (!s->swept) {
		svd_site_lib_sweep(s->lib_root, ic->lib); /* what earlier runs left */
		s->swept = 1;
	}
	ic = NULL;
	site_log(s, SVD_SITE_LOG_INFO,
	         "site: index of main at %.12s built in %.0f ms: %zu items, %zu gated, %zu from "
	         "the catalog file (%s); load %.0f ms, check %.0f ms, gate %.0f ms, finish %.0f "
	         "ms, library %.0f ms (%s)%s",
	         svd_store_items_commit(l)[0] ? svd_store_items_commit(l) : "(nothing yet)",
	         ms_since(&start), st.items, st.gated, st.carried, st.file, st.load, st.check,
	         st.gate, st.finish, st.render, st.lib,
	         st.unchecked ? "; the file's records taken unchecked: checked now" : "");
	if (staged) {
		char *dir = svd_path_dir(s->cache_path);

		if (rename(next, s->cache_path) < 0 || !dir || svd_dir_fsync(dir) < 0) {
			site_log(s, SVD_SITE_LOG_WARN,
			         "site: %s: cannot put the catalog file in place (%s); the next "
			         "start gates every item (is the disk full?)",
			         s->cache_path, dir ? svd_ioerr(errno) : "out of memory");
			svd_error_clear();
			s->file_sum_known = 0;
		} else {
			memcpy(s->file_sum, sum, 32);
			s->file_sum_known = 1;
		}
		free(dir);
		staged = 0;
	} else if (st.have_sum && !st.unchecked) {
		memcpy(s->file_sum, st.sum, 32); /* read and checked whole, not written again */
		s->file_sum_known = 1;
	}
	/* the first index took the file on its word: made again now, with the check */
	s->recheck_due = st.unchecked;
	if (st.unchecked) {
		s->file_sum_known = 0;
		pthread_mutex_lock(&s->lock);
		s->kick = 1;
		pthread_mutex_unlock(&s->lock);
	}
	error = 0;
cleanup:
	if (error == 0 && ic)
		error = STOPPED; /* given up between phases, or in the gate */
	if (staged)
		unlink(next); /* not this index's: the old file stays */
	free(next);
	cache_free(ic);
	return error;
}

/*
 * Before the first index of a start is built: the library folder of this
 * commit and trust list, when an earlier run left one, is served at once
 * (index.html, list/, rows/, search/), with no catalog; item pages,
 * raw files and the API answer 503 until the index is built.
 */
static void serve_lib(svd_site *s, const char *commit, const uint8_t print[32])
{
	index_cache *ic;
	char name[SVD_SITE_LIB_NAME];

	if (!svd_site_lib_pointer_find(name, s->lib_root, commit, print))
		return;
	if (!(ic = calloc(1, sizeof(*ic))) || cache_fold(ic) < 0) {
		svd_error_clear();
		cache_free(ic);
		return;
	}
	snprintf(ic->commit, sizeof(ic->commit), "%s", commit);
	memcpy(ic->trust, print, 32);
	memcpy(ic->lib, name, sizeof(name));
	cache_swap(s, ic);
	site_log(s, SVD_SITE_LOG_INFO,
	         "site: the library of main at %.12s served from %s until its index is built",
	         commit[0] ? commit : "(nothing yet)", name);
}

/*
 * The check that follows a start's first index (taken from the catalog
 * file unchecked), without a second index when it finds nothing wrong:
 * when the index in place is of this commit and trust list, made from
 * every record of the very file that is there now, each record is
 * checked against the store as a build would (check_every_other) but no
 * catalog is made; if every one agrees, a checked build would make the
 * same index, and the one in place is kept, now checked. 1 when so; 0
 * when a build must follow (a record disagrees, the file or main moved),
 * and that build checks again and says what disagreed. Before, a million
 * items' restart held two whole catalogs for this (4.6 GB).
 */
static int recheck_in_place(svd_site *s, svd_archive *a, const svd_store_items *l,
                            const uint8_t print[32])
{
	const char *data = NULL;
	svd_site_file *sc = NULL;
	svd_site_file_rec rec;
	carried cr = {0};
	index_cache *ic;
	struct timespec t0;
	size_t i, n = svd_store_items_count(l), len = 0;
	uint8_t want[32];
	int fit, more, done = 0;

	pthread_mutex_lock(&s->lock);
	ic = s->cache;
	fit = s->cache_path && s->recheck_due && ic && ic->cat && ic->unchecked &&
	      ic->stats_gated == 0 && !strcmp(ic->commit, svd_store_items_commit(l)) &&
	      !memcmp(ic->trust, print, 32);
	if (fit)
		memcpy(want, ic->file_sum, 32);
	pthread_mutex_unlock(&s->lock);
	if (!fit)
		return 0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (svd_file_map((const void **)&data, &len, s->cache_path, SVD_SITE_FILE_MAX) < 0 ||
	    len < 32 || memcmp(data + len - 32, want, 32) != 0 ||
	    svd_site_file_parse(&sc, (const uint8_t *)data, len, print) < 0)
		goto cleanup; /* not the file the index was made from: a build */
	cr.a = a;
	cr.l = l;
	cr.trust = svd_archive_trust(a);
	cr.check = 1;
	more = svd_site_file_next(sc, &rec);
	for (i = 0; i < n; i++) {
		const char *id = svd_store_items_id(l, i);
		int d = -1;
		while (more && (d = strcmp(rec.id, id)) < 0)
			more = svd_site_file_next(sc, &rec);
		if (!more || d != 0 || memcmp(rec.tree, svd_store_items_folder(l, i), 20) != 0 ||
		    carry_push(&cr, &rec, i) < 0)
			goto cleanup; /* an item the index did not take from the file */
		more = svd_site_file_next(sc, &rec);
	}
	cr.lo = 0;
	cr.hi = cr.n;
	if (carry_check(&cr) < 0 || cr.nbad > 0 || stopping(s))
		goto cleanup;
	pthread_mutex_lock(&s->lock);
	if (s->cache == ic) /* the builder's own: it is this thread that swaps */
		ic->unchecked = 0;
	s->recheck_due = 0;
	memcpy(s->file_sum, want, 32);
	s->file_sum_known = 1;
	pthread_mutex_unlock(&s->lock);
	site_log(s, SVD_SITE_LOG_INFO,
	         "site: index of main at %.12s checked in %.0f ms: its %zu items from the catalog "
	         "file are what the store says; kept",
	         ic->commit[0] ? ic->commit : "(nothing yet)", ms_since(&t0), n);
	done = 1;
cleanup:
	svd_error_clear();
	carry_clear(&cr);
	svd_site_file_free(sc);
	svd_file_unmap(data, len);
	return done;
}

/*
 * Build when main or the trust list moved since the shared index was made.
 * A build that failed is not tried again for the same commit and trust
 * until RETRY_S have passed, so a broken archive does not fill the log.
 */
static void build_if_stale(svd_site *s)
{
	char commit[SVD_COMMIT_HEX_LEN + 1] = "";
	svd_store_items *l = NULL;
	svd_archive *a = NULL;
	uint8_t print[32];
	time_t now = time(NULL);
	int error, fresh = 0, serving;

	if ((error = svd_archive_open(&a, s->archive_path)) < 0) {
		site_log(s, SVD_SITE_LOG_ERROR, "site: cannot open the archive: %s",
		         svd_error_last());
		svd_error_clear();
		return;
	}
	error = svd_store_head(commit, a);
	if (error == SVD_ENOTFOUND) {
		commit[0] = '\0';
		error = 0;
		svd_error_clear();
	}
	svd_view_trust_print(print, svd_archive_trust(a));
	pthread_mutex_lock(&s->lock);
	fresh = s->cache && s->cache->cat && !strcmp(s->cache->commit, commit) &&
	        !memcmp(s->cache->trust, print, 32) && !s->recheck_due;
	serving = s->cache != NULL;
	pthread_mutex_unlock(&s->lock);
	if (error < 0 || fresh)
		goto cleanup;
	if (!strcmp(s->failed_commit, commit) && !memcmp(s->failed_trust, print, 32) &&
	    now - s->failed_at < RETRY_S && now >= s->failed_at)
		goto cleanup;
	if (!serving)
		serve_lib(s, commit, print);
	if ((error = svd_store_items_list(&l, a, NULL)) == 0 && recheck_in_place(s, a, l, print))
		goto cleanup;
	if (error == 0 && (error = cache_build(s, a, l, print)) == STOPPED) {
		site_log(s, SVD_SITE_LOG_INFO,
		         "site: the index of main at %.12s not built: the site stops", commit);
	} else if (error < 0) {
		site_log(s, SVD_SITE_LOG_ERROR,
		         "site: cannot build the index of main at %.12s: %s; %s", commit,
		         svd_error_last(),
		         serving ? "the previous one is served" : "pages answer 503");
		svd_error_clear();
		snprintf(s->failed_commit, sizeof(s->failed_commit), "%s", commit);
		memcpy(s->failed_trust, print, 32);
		s->failed_at = now;
	}
cleanup:
	svd_store_items_free(l);
	svd_archive_free(a);
}

/* The builder thread: at a low priority, it looks now and then, or when woken. */
static void *builder_main(void *p)
{
	svd_site *s = p;
	struct timespec until;

	int lowered = 0;

	pthread_mutex_lock(&s->lock);
	while (!s->stop) {
		s->kick = 0;
		/*
		 * Until the first index is in place there is nothing to serve and no
		 * one to yield to; then the builder steps back: the nice value is a
		 * thread's own on Linux (this one, and the gate workers it starts).
		 */
		if (s->cache && !lowered) {
			setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), s->opts.nice);
			lowered = 1;
		}
		pthread_mutex_unlock(&s->lock);
		build_if_stale(s);
		pthread_mutex_lock(&s->lock);
		if (s->kick || s->stop)
			continue;
		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_sec += s->opts.poll_ms / 1000;
		until.tv_nsec += (long)(s->opts.poll_ms % 1000) * 1000000;
		if (until.tv_nsec >= 1000000000) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000;
		}
		while (!s->kick && !s->stop &&
		       pthread_cond_timedwait(&s->wake, &s->lock, &until) != ETIMEDOUT)
			;
	}
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

void svd_site_refresh(svd_site *s)
{
	if (!s)
		return;
	pthread_mutex_lock(&s->lock);
	s->kick = 1;
	pthread_cond_signal(&s->wake);
	pthread_mutex_unlock(&s->lock);
}

/*
 * The index for a request: the shared one, or NULL before the first (the
 * caller answers 503). Without a builder, the request builds when main or
 * the trust list moved, one at a time.
 */
static index_cache *cache_get(svd_site *s)
{
	if (s->opts.no_builder) {
		pthread_mutex_lock(&s->build_lock);
		build_if_stale(s);
		pthread_mutex_unlock(&s->build_lock);
	}
	return cache_take(s);
}

/* Bytes of the shared index: the reply holds the cache until it is freed. */
static reply *reply_shared(index_cache *ic, const shared *sh, const char *type, int page)
{
	reply *r = reply_new(200, type);
	int gz;

	if (!r) {
		cache_release(ic);
		return NULL;
	}
	r->ic = ic;
	r->pub.data = sh->b.data ? sh->b.data : "";
	r->pub.len = sh->b.len;
	r->pub.page = page;
	r->pub.etag = sh->etag;
	/*
	 * No Last-Modified: the commit's time does not move with the trust list
	 * (which changes these bytes) and may go back when main takes a peer's
	 * older commit, so If-Modified-Since could keep a changed index; the
	 * ETag decides.
	 */
	r->pub.cache = SVD_SITE_CACHE_REVALIDATE;
	r->pub.compress = 1;
	pthread_mutex_lock(&ic->owner->lock);
	gz = ic->gz_ready;
	pthread_mutex_unlock(&ic->owner->lock);
	if (gz) {
		r->pub.gz_data = sh->gz.data;
		r->pub.gz_len = sh->gz.len;
	}
	return r;
}

/*
 * A file of the library folder (index.html, list/, rows/, search/), read
 * for this request: nothing of them is kept in memory. Without a folder
 * (the cache cannot be written), the pages and rows are made from the
 * catalog for each request. Takes the caller's reference to ic.
 */
static reply *reply_lib(index_cache *ic, const char *rel)
{
	const char *type =
	    ends_with(rel, ".html") ? "text/html; charset=utf-8" : "text/javascript; charset=utf-8";
	svd_buf b;
	reply *r;
	int error;

	if (ic->lib[0]) {
		error = svd_site_lib_read(&b, ic->lib_root, ic->lib, rel);
	} else if (!ic->cat || !strncmp(rel, "search/", 7)) {
		svd_buf_init(&b, 0);
		error = svd_error_set(SVD_ENOTFOUND, "this mirror cannot write its cache folder, "
		                                     "so it serves no search index");
	} else {
		unsigned long n = 1;
		svd_buf_init(&b, SVD_RENDER_INDEX_MAX);
		if (!strncmp(rel, "rows/", 5))
			error = svd_render_rows(&b, ic->cat, strtoul(rel + 5, NULL, 10));
		else if (strcmp(rel, "index.html") != 0 && (n = strtoul(rel + 5, NULL, 10)) < 2)
			error = svd_error_set(SVD_ENOTFOUND, "no such page of the list");
		else
			error = svd_render_list(&b, ic->cat, n);
		if (error == 0 && !strncmp(rel, "rows/", 5) && b.len == 0)
			error = svd_error_set(SVD_ENOTFOUND, "no such rows file");
	}
	cache_release(ic);
	if (error < 0) {
		svd_buf_clear(&b);
		return reply_error(error);
	}
	if ((r = reply_buf(200, &b, type, ends_with(rel, ".html")))) {
		r->pub.cache = SVD_SITE_CACHE_REVALIDATE;
		r->pub.compress = 1;
	}
	return r;
}

/* The slot of key in ic's made replies: its entry, or the empty slot it would take. */
static made **made_slot(index_cache *ic, const char *key)
{
	uint8_t h[crypto_shorthash_BYTES];
	size_t i;

	crypto_shorthash(h, (const unsigned char *)key, strlen(key), ic->made_key);
	i = ((size_t)h[0] | (size_t)h[1] << 8) & (MADE_SLOTS - 1);

	while (ic->made[i] && strcmp(ic->made[i]->key, key) != 0)
		i = (i + 1) & (MADE_SLOTS - 1);
	return &ic->made[i];
}

/* A made reply kept for key, or NULL. */
static const made *made_find(index_cache *ic, const char *key)
{
	const made *m = NULL;

	pthread_mutex_lock(&ic->owner->lock);
	if (ic->made)
		m = *made_slot(ic, key);
	pthread_mutex_unlock(&ic->owner->lock);
	return m;
}

/* Room for a raw file of len bytes among ic's made replies (a look: made_keep decides). */
static int raw_room(index_cache *ic, size_t len)
{
	int room;

	pthread_mutex_lock(&ic->owner->lock);
	room = ic->raw_n < RAW_SLOTS && ic->raw_bytes + len <= RAW_BYTES &&
	       ic->made_n < MADE_SLOTS / 2;
	pthread_mutex_unlock(&ic->owner->lock);
	return room;
}

/*
 * Keep what was made for key (taking b's bytes) with its tag (etag, or
 * one made from the bytes) and, when gz, its gzip'd copy, unless the index
 * keeps enough already; the kept one (this, or another thread's made
 * meanwhile), or NULL when it is not kept (b is left as it was). A raw
 * file (gz 0) counts against the raw files' own budget, so that photos
 * asked for first cannot take the room of the pages and lists.
 */
static const made *made_keep(index_cache *ic, const char *key, svd_buf *b, const char *etag, int gz)
{
	made *m, **slot, *kept = NULL;
	size_t cost;
	int fits;

	if (!(m = calloc(1, sizeof(*m))) || !(m->key = svd_strdup(key)) ||
	    (gz && gzip_buf(&m->s.gz, b->data ? b->data : "", b->len) < 0)) {
		svd_error_clear(); /* not kept: sent as made */
		if (m)
			free(m->key);
		free(m);
		return NULL;
	}
	if (etag)
		snprintf(m->s.etag, sizeof(m->s.etag), "%s", etag);
	else
		make_etag(m->s.etag, b->data ? b->data : "", b->len);
	cost = b->cap + m->s.gz.cap + strlen(key) + sizeof(*m);
	pthread_mutex_lock(&ic->owner->lock);
	if (!ic->made && (ic->made = calloc(MADE_SLOTS, sizeof(*ic->made))))
		randombytes_buf(ic->made_key, sizeof(ic->made_key));
	if (ic->made) {
		slot = made_slot(ic, key);
		if (*slot) {
			kept = *slot;
		} else {
			fits = ic->made_n < MADE_SLOTS / 2 &&
			       (gz ? ic->made_bytes + cost <= MADE_BYTES
			           : ic->raw_n < RAW_SLOTS && ic->raw_bytes + cost <= RAW_BYTES);
			if (fits) {
				m->s.b = *b;
				memset(b, 0, sizeof(*b));
				*slot = kept = m;
				m = NULL;
				ic->made_n++;
				if (gz) {
					ic->made_bytes += cost;
				} else {
					ic->raw_n++;
					ic->raw_bytes += cost;
				}
			}
		}
	}
	pthread_mutex_unlock(&ic->owner->lock);
	if (m) {
		free(m->key);
		shared_clear(&m->s);
		free(m);
	}
	return kept;
}

/* A made reply: it holds the index (and so the entry) until it is freed. */
static reply *reply_made(index_cache *ic, const made *m, const char *type, int page)
{
	reply *r = reply_new(200, type);

	if (!r) {
		cache_release(ic);
		return NULL;
	}
	r->ic = ic;
	r->pub.data = m->s.b.data ? m->s.b.data : "";
	r->pub.len = m->s.b.len;
	r->pub.page = page;
	r->pub.etag = m->s.etag;
	r->pub.cache = SVD_SITE_CACHE_REVALIDATE;
	r->pub.compress = 1;
	r->pub.gz_data = m->s.gz.data;
	r->pub.gz_len = m->s.gz.len;
	return r;
}

/* /api/items: a page of the catalog's view, with the query's filters (site_api.c). */
static reply *reply_items(index_cache *ic, const char *query)
{
	const made *m;
	svd_buf b;
	reply *r;
	char *key;
	int status;

	if (!(key = malloc(strlen(query ? query : "") + 2))) {
		cache_release(ic);
		return NULL;
	}
	key[0] = 'a';
	strcpy(key + 1, query ? query : "");
	if ((m = made_find(ic, key))) {
		free(key);
		return reply_made(ic, m, "application/json", 0);
	}
	status = svd_site_api_items(&b, ic->cat, query);
	if (status == 200 && (m = made_keep(ic, key, &b, NULL, 1))) {
		free(key);
		svd_buf_clear(&b);
		return reply_made(ic, m, "application/json", 0);
	}
	free(key);
	cache_release(ic);
	if (status == SVD_ERROR)
		return NULL; /* no memory */
	if (status < 0)
		return reply_text(500, "internal error", svd_error_last());
	r = reply_buf((unsigned)status, &b,
	              status == 200 ? "application/json" : "text/plain; charset=utf-8", 0);
	if (r && status == 200) {
		r->pub.cache = SVD_SITE_CACHE_REVALIDATE;
		r->pub.compress = 1;
	}
	return r;
}

/* A static asset compiled into the library, with its tag and gzip made once. */
static reply *reply_asset(const svd_site *s, const char *name)
{
	const asset *as = !strcmp(name, "reader.css") ? &s->assets[0] : &s->assets[1];
	reply *r;

	if (!as->data)
		return reply_text(404, "not found", NULL);
	if (!(r = reply_new(200, ends_with(name, ".css") ? "text/css; charset=utf-8"
	                                                 : "text/javascript; charset=utf-8")))
		return NULL;
	r->pub.data = as->data;
	r->pub.len = as->len;
	r->pub.etag = as->etag;
	r->pub.cache = SVD_SITE_CACHE_REVALIDATE;
	r->pub.compress = 1;
	r->pub.gz_data = as->gz.data;
	r->pub.gz_len = as->gz.len;
	return r;
}

/* The assets' tags and gzip, once per site. */
static int assets_load(svd_site *s)
{
	static const char *const names[2] = {"reader.css", "reader.js"};
	size_t i;

	for (i = 0; i < 2; i++) {
		asset *as = &s->assets[i];
		if (svd_render_asset(names[i], &as->data, &as->len) < 0) {
			svd_error_clear();
			as->data = NULL;
			continue;
		}
		make_etag(as->etag, as->data, as->len);
		if (gzip_buf(&as->gz, as->data, as->len) < 0)
			return -1;
	}
	return 0;
}

/*
 * pages/<id>.html: from the catalog's verdict and the item's body in main,
 * made once per index and kept (made_keep). Takes the caller's reference
 * to ic.
 */
/*
 * An item's page: its manifest and body read from the store by id (the
 * catalog keeps neither, only the verdict and the view's fields), so a
 * page costs two reads and memory stays off the manifests. The catalog
 * says whether the item is shown; an id names one manifest only, whatever
 * main's commit now (svd_render_item_manifest checks it is that one).
 */
static int page_render(svd_buf *b, svd_archive *a, const svd_catalog *c, const char *id)
{
	svd_manifest *man = NULL;
	char *bytes = NULL, *body = NULL;
	size_t blen = 0, len = 0;
	int error;

	if ((error = svd_store_file_head(&bytes, &blen, a, id, SVD_MANIFEST_NAME,
	                                 SVD_MANIFEST_MAX)) < 0)
		goto cleanup;
	/* one without a manifest: not shown, or (never) a corrupt store */
	if (bytes && ((error = svd_manifest_parse(&man, bytes, blen)) < 0 ||
	              (error = svd_archive_body(&body, &len, id, a)) < 0))
		goto cleanup;
	error = svd_render_item_manifest(b, c, id, man, body, len);
cleanup:
	svd_manifest_free(man);
	free(bytes);
	free(body);
	return error;
}

static reply *reply_page(svd_archive *a, index_cache *ic, const char *id)
{
	char key[SVD_ID_HEX_LEN + 2] = "p";
	const made *m;
	svd_buf b;
	reply *r;
	int error;

	strcat(key, id);
	if ((m = made_find(ic, key)))
		return reply_made(ic, m, "text/html; charset=utf-8", 1);
	svd_buf_init(&b, SVD_RENDER_PAGE_MAX);
	error = page_render(&b, a, ic->cat, id);
	if (error < 0) {
		svd_buf_clear(&b);
		cache_release(ic);
		return reply_error(error);
	}
	if ((m = made_keep(ic, key, &b, NULL, 1))) {
		svd_buf_clear(&b);
		return reply_made(ic, m, "text/html; charset=utf-8", 1);
	}
	cache_release(ic);
	/* not kept: the server derives its tag from the bytes */
	if ((r = reply_buf(200, &b, "text/html; charset=utf-8", 1))) {
		r->pub.cache = SVD_SITE_CACHE_REVALIDATE;
		r->pub.compress = 1;
	}
	return r;
}

static reply *reply_status(svd_archive *a, index_cache *ic)
{
	json_t *o;
	svd_buf b;
	char *s;

	const char *as_of = svd_view_trust_date(svd_catalog_view(ic->cat));

	o = json_pack("{s:s, s:I, s:I, s:s?, s:I, s:s?, s:s, s:{s:I, s:I, s:I}}", "mirror",
	              svd_archive_mirror_id(a), "items", (json_int_t)ic->items, "shown",
	              (json_int_t)svd_catalog_count(ic->cat), "head",
	              ic->commit[0] ? ic->commit : NULL, "trusted_keys",
	              (json_int_t)svd_trust_count(svd_archive_trust(a)), "trust_as_of",
	              as_of[0] ? as_of : NULL, "version", SVD_VERSION, "index", "gated",
	              (json_int_t)ic->stats_gated, "carried", (json_int_t)ic->stats_carried,
	              "built_ms", (json_int_t)ic->stats_ms);
	s = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	if (!s) {
		svd_error_set(SVD_ERROR, "out of memory");
		return NULL;
	}
	svd_buf_init(&b, SMALL_MAX);
	svd_buf_puts(&b, s);
	free(s);
	return reply_buf(200, &b, "application/json", 0);
}

static void slot_release(handle_slot *slot)
{
	if (slot && __atomic_sub_fetch(&slot->refs, 1, __ATOMIC_ACQ_REL) == 0) {
		svd_archive_free(slot->a);
		free(slot);
	}
}

/* At a thread's exit: its own reference to its handle goes. */
static void slot_thread_exit(void *p)
{
	slot_release(p);
}

/*
 * This thread's archive handle, opened or reopened when older than
 * HANDLE_AGE_S (so a new trusted key or a repacked store is seen soon).
 * The slot stays the thread's; do not release it.
 */
static int thread_archive(handle_slot **out, svd_site *s)
{
	handle_slot *slot = pthread_getspecific(s->slot_key), *fresh;
	time_t now = time(NULL);
	int error;

	if (slot && now - slot->opened < HANDLE_AGE_S && now >= slot->opened) {
		*out = slot;
		return 0;
	}
	if (!(fresh = calloc(1, sizeof(*fresh))))
		return svd_error_set(SVD_ERROR, "out of memory");
	if ((error = svd_archive_open(&fresh->a, s->archive_path)) < 0) {
		free(fresh);
		return error;
	}
	fresh->refs = 1;
	fresh->opened = now;
	if (pthread_setspecific(s->slot_key, fresh) != 0) {
		slot_release(fresh);
		return svd_error_set(SVD_ERROR, "cannot keep an archive handle");
	}
	slot_release(slot);
	*out = fresh;
	return 0;
}

static const char *content_type(const char *name)
{
	if (ends_with(name, ".md"))
		return "text/markdown; charset=utf-8";
	if (ends_with(name, ".json"))
		return "application/json";
	if (ends_with(name, ".txt") || ends_with(name, ".minisig") || ends_with(name, ".pub"))
		return "text/plain; charset=utf-8";
	if (ends_with(name, ".jpg") || ends_with(name, ".jpeg"))
		return "image/jpeg";
	if (ends_with(name, ".png"))
		return "image/png";
	if (ends_with(name, ".mp3"))
		return "audio/mpeg";
	if (ends_with(name, ".pdf"))
		return "application/pdf";
	return "application/octet-stream";
}

/*
 * A raw file is served only for an item the view shows: 410 for one a
 * retraction withdrew (it stays in the store, but is not served), 404 for
 * one that does not pass the gate or is not there. NULL when it may be
 * served, else the reply (or NULL with *nomem set).
 */
static reply *withheld(index_cache *ic, const char *id, int *nomem)
{
	svd_view_item buf;
	const svd_view_item *it = svd_view_find(&buf, svd_catalog_view(ic->cat), id);
	char detail[160];
	reply *r;

	*nomem = 0;
	if (it && it->state == SVD_VIEW_SHOWN)
		return NULL;
	if (it && it->state == SVD_VIEW_RETRACTED) {
		snprintf(detail, sizeof(detail),
		         "item %.12s... was withdrawn by retraction %.12s...", id,
		         it->retracted_by);
		r = reply_text(410, "gone", detail);
	} else {
		snprintf(detail, sizeof(detail), "this mirror shows no item %.12s...", id);
		r = reply_text(404, "not found", detail);
	}
	*nomem = r == NULL;
	return r;
}

/* A raw file kept in ic's made replies (its tag the blob's): as reply_made, not gzip'd. */
static reply *reply_raw_made(index_cache *ic, const made *m, const char *name)
{
	reply *r = reply_made(ic, m, content_type(name), 0);

	if (r) {
		r->pub.cache = SVD_SITE_CACHE_IMMUTABLE;
		r->pub.compress = 0;
	}
	return r;
}

/* A hold on a file in flight goes; the last one frees it. */
static void flight_release(flight *f)
{
	svd_site *s;
	flight **p;
	int last;

	if (!f)
		return;
	s = f->owner;
	pthread_mutex_lock(&s->lock);
	last = --f->refs == 0;
	if (last && f->state != FLIGHT_FAILED) {
		for (p = &s->flights; *p != f; p = &(*p)->next)
			;
		*p = f->next;
		s->send_held -= f->len;
	}
	pthread_mutex_unlock(&s->lock);
	if (last) {
		svd_store_file_free(f->file);
		slot_release(f->slot);
		free(f);
	}
}

/*
 * The blob blob_id of size bytes, to be sent from the store: the copy in
 * flight (waiting while another reply reads it), or read now when it fits
 * in what is left of opts.send_max. Returns NULL with *busy set when it
 * does not fit (the caller answers 503), or with an error set.
 */
static flight *flight_get(svd_site *s, handle_slot *slot, const char *blob_id, uint64_t size,
                          int *busy)
{
	svd_store_file *file = NULL;
	flight *f;
	size_t len;
	int error;

	*busy = 0;
	pthread_mutex_lock(&s->lock);
	for (f = s->flights; f && strcmp(f->id, blob_id); f = f->next)
		;
	if (f) {
		f->refs++;
		while (f->state == FLIGHT_READING)
			pthread_cond_wait(&s->flight_done, &s->lock);
		error = f->state == FLIGHT_FAILED;
		pthread_mutex_unlock(&s->lock);
		if (error) {
			flight_release(f);
			svd_error_set(SVD_ERROR, "cannot read a file from the store");
			return NULL;
		}
		return f;
	}
	if (s->send_held > s->opts.send_max || size > s->opts.send_max - s->send_held) {
		time_t now = time(NULL);
		unsigned n = 0;

		s->busy_n++;
		if (now - s->busy_said >= BUSY_SAY_S || now < s->busy_said) {
			n = s->busy_n;
			s->busy_n = 0;
			s->busy_said = now;
		}
		pthread_mutex_unlock(&s->lock);
		if (n)
			site_log(
			    s, SVD_SITE_LOG_WARN,
			    "%u request%s for large files answered 503 (busy): the %llu MiB "
			    "for raw files in flight ([http] sendmemory) are taken; raise it if "
			    "the machine has memory to spare (said at most every %d s)",
			    n, n == 1 ? "" : "s", (unsigned long long)(s->opts.send_max >> 20),
			    BUSY_SAY_S);
		*busy = 1;
		return NULL;
	}
	if (!(f = calloc(1, sizeof(*f)))) {
		pthread_mutex_unlock(&s->lock);
		svd_error_set(SVD_ERROR, "out of memory");
		return NULL;
	}
	f->owner = s;
	memcpy(f->id, blob_id, sizeof(f->id));
	f->len = (size_t)size;
	f->refs = 1;
	f->state = FLIGHT_READING;
	f->next = s->flights;
	s->flights = f;
	s->send_held += size; /* set aside: the read is done outside the lock */
	pthread_mutex_unlock(&s->lock);

	error = svd_store_blob_open(&file, slot->a, blob_id);

	pthread_mutex_lock(&s->lock);
	if (error == 0) {
		svd_store_file_data(file, &len);
		f->file = file;
		f->slot = slot;
		__atomic_add_fetch(&slot->refs, 1, __ATOMIC_ACQ_REL);
		s->send_held = s->send_held - f->len + len;
		f->len = len;
		f->state = FLIGHT_READY;
	} else {
		flight **p;

		for (p = &s->flights; *p != f; p = &(*p)->next)
			;
		*p = f->next;
		s->send_held -= f->len;
		f->state = FLIGHT_FAILED;
	}
	pthread_cond_broadcast(&s->flight_done);
	pthread_mutex_unlock(&s->lock);
	if (error < 0) {
		flight_release(f);
		return NULL;
	}
	return f;
}

/*
 * Read a small raw file and keep it with the index, copied at its exact
 * size (the budget counts what is held); NULL when it cannot be.
 */
static const made *raw_keep(index_cache *ic, handle_slot *slot, const char *key,
                            const char *blob_id)
{
	svd_store_file *file = NULL;
	char etag[ETAG_LEN];
	const made *m = NULL;
	const void *data;
	size_t len;
	svd_buf b;

	if (svd_store_blob_open(&file, slot->a, blob_id) < 0)
		return NULL;
	data = svd_store_file_data(file, &len);
	svd_buf_init(&b, RAW_KEEP_MAX + 1);
	if ((b.data = malloc(len + 1))) {
		memcpy(b.data, data, len);
		b.data[len] = '\0';
		b.len = len;
		b.cap = len + 1;
		snprintf(etag, sizeof(etag), "\"%s\"", blob_id);
		m = made_keep(ic, key, &b, etag, 0);
	}
	svd_buf_clear(&b);
	svd_store_file_free(file);
	return m;
}

/*
 * An item's raw file: from the index's kept replies, else from the store
 * (kept when it is small and there is room: the next request costs no
 * tree walk and no inflate; else shared with the other replies of the
 * same blob while they are sent). Takes the caller's reference to ic.
 */
static reply *reply_file(svd_site *s, handle_slot *slot, index_cache *ic, const route *rt)
{
	const made *m;
	char *key, blob_id[41];
	uint64_t size;
	reply *r;
	int error;

	if (!(key = malloc(strlen(rt->id) + strlen(rt->file) + 3))) {
		cache_release(ic);
		return NULL;
	}
	sprintf(key, "r%s/%s", rt->id, rt->file);
	if ((m = made_find(ic, key))) {
		free(key);
		return reply_raw_made(ic, m, rt->file);
	}
	if ((error = svd_store_file_find(slot->a, rt->id, rt->file, BLOB_MAX, blob_id, &size)) <
	    0) {
		free(key);
		cache_release(ic);
		return reply_error(error);
	}
	if (size <= RAW_KEEP_MAX && raw_room(ic, (size_t)size) &&
	    (m = raw_keep(ic, slot, key, blob_id))) {
		free(key);
		return reply_raw_made(ic, m, rt->file);
	}
	svd_error_clear(); /* not kept: sent from the store */
	free(key);
	cache_release(ic);
	if (size > s->opts.send_max)
		return reply_error(svd_error_set(
		    SVD_ETOOBIG, "file of %llu bytes is over the limit", (unsigned long long)size));
	/* its bytes are read when a body is due (not for a HEAD or a 304) */
	if (!(r = reply_new(200, content_type(rt->file))))
		return NULL;
	r->site = s;
	r->slot = slot;
	__atomic_add_fetch(&slot->refs, 1, __ATOMIC_ACQ_REL);
	memcpy(r->blob, blob_id, sizeof(r->blob));
	r->pub.pending = 1;
	r->pub.data = NULL;
	r->pub.len = (size_t)size;
	r->pub.cache = SVD_SITE_CACHE_IMMUTABLE;
	snprintf(r->etag, sizeof(r->etag), "\"%s\"", blob_id);
	r->pub.etag = r->etag;
	return r;
}

int svd_site_reply_load(svd_site_reply *p)
{
	reply *r = (reply *)p, *e;
	flight *f;
	int busy;

	if (!p->pending)
		return 0;
	p->pending = 0;
	if ((f = flight_get(r->site, r->slot, r->blob, p->len, &busy))) {
		r->flight = f;
		p->data = svd_store_file_data(f->file, &p->len);
		return 0;
	}
	if (busy) {
		e = reply_text(503, "busy",
		               "the mirror is sending as many large files as it may at once; try "
		               "again in a moment");
		if (e)
			e->pub.retry_after = RETRY_AFTER;
	} else {
		e = reply_error(SVD_ERROR);
	}
	if (!e)
		return SVD_ERROR;
	/* the reply becomes the error: its text, status and headers */
	free(r->owned);
	r->owned = e->owned;
	r->pub = e->pub;
	r->pub.etag = NULL;
	e->owned = NULL;
	svd_site_reply_free(&e->pub);
	return 0;
}

/*
 * A sealed bundle's name (SPEC.md, 12.6): SVD_SEAL_NAME_LEN lowercase hex
 * digits as svd_seal_name() makes them, and .N for a part of a split one.
 */
static int sealed_name(const char *name)
{
	size_t i;

	for (i = 0; i < SVD_SEAL_NAME_LEN; i++)
		if (!((name[i] >= '0' && name[i] <= '9') || (name[i] >= 'a' && name[i] <= 'f')))
			return 0;
	if (!name[i])
		return 1;
	if (name[i] != '.' || !name[i + 1])
		return 0;
	for (i++; name[i]; i++)
		if (name[i] < '0' || name[i] > '9')
			return 0;
	return 1;
}

/*
 * The newest bundle in the outbox (a regular file, no link), to be sent
 * from disk: a plain *.tar.zst or a sealed one, by modification time, as
 * a sealed bundle's name says nothing of when it was made. A sealed one is
 * offered for download under its own random name, which names neither
 * the project nor the format.
 */
static reply *reply_bundle(const char *outbox)
{
	char best[256] = "";
	struct timespec best_t = {0};
	struct dirent *e;
	struct stat st;
	DIR *d = NULL;
	int dfd, fd = -1;
	reply *r;

	if (!outbox || !(d = opendir(outbox)))
		return reply_text(404, "not found", "this mirror offers no bundle");
	dfd = dirfd(d);
	while ((e = readdir(d)) != NULL) {
		size_t n = strlen(e->d_name);

		if (e->d_name[0] == '.' || n >= sizeof(best) ||
		    !(ends_with(e->d_name, BUNDLE_EXT) || sealed_name(e->d_name)))
			continue;
		if (fstatat(dfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode))
			continue;
		if (best[0] &&
		    (st.st_mtim.tv_sec < best_t.tv_sec ||
		     (st.st_mtim.tv_sec == best_t.tv_sec &&
		      (st.st_mtim.tv_nsec < best_t.tv_nsec ||
		       (st.st_mtim.tv_nsec == best_t.tv_nsec && strcmp(e->d_name, best) < 0)))))
			continue;
		memcpy(best, e->d_name, n + 1);
		best_t = st.st_mtim;
	}
	if (best[0])
		fd = openat(dfd, best, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	closedir(d);
	if (!best[0])
		return reply_text(404, "not found", "no bundle in the outbox yet");
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		if (fd >= 0)
			close(fd);
		return reply_text(404, "not found", "the newest bundle went away; try again");
	}
	/* a sealed file is random bytes to anyone on the way: no type says more */
	if (!(r = reply_new(200,
	                    sealed_name(best) ? "application/octet-stream" : "application/zstd"))) {
		close(fd);
		return NULL;
	}
	r->pub.fd = fd;
	r->pub.len = (size_t)st.st_size;
	/* a new bundle is a new file, or one written again: its inode, size or time differ */
	snprintf(r->etag, sizeof(r->etag), "\"%llx-%llx-%llx\"", (unsigned long long)st.st_ino,
	         (unsigned long long)st.st_size,
	         (unsigned long long)st.st_mtim.tv_sec * 1000000000ull +
	             (unsigned long long)st.st_mtim.tv_nsec);
	r->pub.etag = r->etag;
	r->pub.mtime = (int64_t)st.st_mtim.tv_sec;
	r->pub.cache = SVD_SITE_CACHE_REVALIDATE;
	/* the name comes from the operator's folder: only a plain one is offered */
	if (strspn(best, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") ==
	    strlen(best)) {
		memcpy(r->filename, best, sizeof(r->filename));
		r->pub.filename = r->filename;
	}
	return r;
}

/* The address of an item before the reader library: its page now. */
static reply *reply_moved(const char *id)
{
	reply *r = reply_new(301, "text/plain; charset=utf-8");

	if (!r)
		return NULL;
	snprintf(r->location, sizeof(r->location), "/pages/%s.html", id);
	r->pub.location = r->location;
	return r;
}

int svd_site_get(svd_site_reply **out, svd_site *s, const char *path, size_t len, const char *query)
{
	handle_slot *slot = NULL;
	index_cache *ic = NULL;
	reply *r = NULL;
	route rt;
	int nomem;

	*out = NULL;
	if (parse_path(&rt, path, len) < 0) {
		r = reply_text(rt.status,
		               rt.status == 404   ? "not found"
		               : rt.status == 414 ? "URI too long"
		                                  : "bad request",
		               svd_error_last());
		goto done;
	}
	if (rt.kind == ROUTE_BUNDLE) {
		r = reply_bundle(s->outbox);
		goto done;
	}
	if (rt.kind == ROUTE_ITEM) {
		r = reply_moved(rt.id);
		goto done;
	}
	if (rt.kind == ROUTE_ASSET) {
		r = reply_asset(s, rt.file);
		goto done;
	}
	if (!(ic = cache_get(s))) {
		if ((r = reply_text(503, "not ready",
		                    "the mirror is building its index; try again in a moment")))
			r->pub.retry_after = RETRY_AFTER;
		goto done;
	}
	if (!ic->cat && rt.kind != ROUTE_INDEX && rt.kind != ROUTE_LIB && rt.kind != ROUTE_FOLD) {
		/* the library folder a start serves before its index is built */
		cache_release(ic);
		if ((r = reply_text(503, "not ready",
		                    "the mirror is building its index; try again in a moment")))
			r->pub.retry_after = RETRY_AFTER;
		goto done;
	}
	if (thread_archive(&slot, s) < 0) {
		cache_release(ic);
		r = reply_text(500, "internal error",
		               "the mirror cannot open its archive; tell its operator");
		goto done;
	}
	switch (rt.kind) {
	case ROUTE_FILE:
		r = withheld(ic, rt.id, &nomem);
		if (r || nomem)
			cache_release(ic);
		else
			r = reply_file(s, slot, ic, &rt);
		break;
	case ROUTE_STATUS:
		r = reply_status(slot->a, ic);
		cache_release(ic);
		break;
	case ROUTE_PAGE:
		r = reply_page(slot->a, ic, rt.id);
		break;
	case ROUTE_INDEX:
	case ROUTE_LIB:
		r = reply_lib(ic, rt.file);
		break;
	case ROUTE_ITEMS:
		r = reply_items(ic, query);
		break;
	case ROUTE_FOLD:
		r = reply_shared(ic, &ic->fold, "text/javascript; charset=utf-8", 0);
		break;
	default:
		cache_release(ic);
		r = reply_text(404, "not found", NULL);
		break;
	}
done:
	if (!r)
		return svd_error_set(SVD_ERROR, "out of memory answering a request");
	*out = &r->pub;
	return 0;
}

void svd_site_reply_free(svd_site_reply *p)
{
	reply *r = (reply *)p;

	if (!r)
		return;
	free(r->owned);
	cache_release(r->ic);
	flight_release(r->flight);
	slot_release(r->slot);
	if (r->pub.fd >= 0)
		close(r->pub.fd);
	free(r);
}

/* A condition whose timed waits run on the monotonic clock (the builder's poll). */
static int cond_init_monotonic(pthread_cond_t *c)
{
	pthread_condattr_t ca;
	int r;

	if (pthread_condattr_init(&ca) != 0)
		return -1;
	r = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) == 0 && pthread_cond_init(c, &ca) == 0
	        ? 0
	        : -1;
	pthread_condattr_destroy(&ca);
	return r;
}

int svd_site_new(svd_site **out, const char *archive_path, const char *outbox,
                 const svd_site_opts *opts)
{
	svd_archive *a = NULL;
	svd_site *s = NULL;
	int error, locks = 0, conds = 0;

	*out = NULL;
	if (!archive_path)
		return svd_error_set(SVD_EINVALID, "no archive to serve");
	/* fail here, not on the first request, when there is no archive */
	if ((error = svd_archive_open(&a, archive_path)) < 0)
		return error;
	error = SVD_ERROR;
	if (!(s = calloc(1, sizeof(*s)))) {
		svd_error_set(SVD_ERROR, "out of memory");
		goto fail;
	}
	if (opts)
		s->opts = *opts;
	if (!s->opts.poll_ms)
		s->opts.poll_ms = POLL_MS;
	if (!s->opts.nice)
		s->opts.nice = NICE;
	if (!s->opts.send_max)
		s->opts.send_max = SEND_MAX;
	if (pthread_cond_init(&s->flight_done, NULL) != 0) {
		svd_error_set(SVD_ERROR, "cannot create a condition");
		goto fail;
	}
	conds = 1;
	if (pthread_mutex_init(&s->lock, NULL) != 0) {
		svd_error_set(SVD_ERROR, "cannot create a lock");
		goto fail;
	}
	locks = 1;
	if (pthread_mutex_init(&s->build_lock, NULL) != 0) {
		svd_error_set(SVD_ERROR, "cannot create a lock");
		goto fail;
	}
	locks = 2;
	if (cond_init_monotonic(&s->wake) != 0) {
		svd_error_set(SVD_ERROR, "cannot create a condition");
		goto fail;
	}
	locks = 3;
	if (pthread_key_create(&s->slot_key, slot_thread_exit) != 0) {
		svd_error_set(SVD_ERROR, "cannot create a thread key");
		goto fail;
	}
	locks = 4;
	if (!(s->archive_path = svd_strdup(archive_path)) ||
	    (outbox && !(s->outbox = svd_strdup(outbox)))) {
		svd_error_set(SVD_ERROR, "out of memory");
		goto fail;
	}
	/* the catalog file: an archive on read-only media has none, and gates every item */
	if (!(s->cache_path = svd_archive_place_path(archive_path, SVD_PLACE_CACHE, "site", 1)))
		svd_error_clear();
	/* the library's files: without them, pages are made per request and search is not served */
	if (!(s->lib_root = svd_archive_place_path(archive_path, SVD_PLACE_CACHE, "library", 1)))
		svd_error_clear();
	if (assets_load(s) < 0)
		goto fail;
	if (!s->opts.no_builder) {
		if (pthread_create(&s->builder, NULL, builder_main, s) != 0) {
			svd_error_set(SVD_ERROR, "cannot start the site's builder thread");
			goto fail;
		}
		s->has_builder = 1;
	}
	svd_archive_free(a);
	*out = s;
	return 0;
fail:
	svd_archive_free(a);
	if (s) {
		if (locks >= 4)
			pthread_key_delete(s->slot_key);
		if (locks >= 3)
			pthread_cond_destroy(&s->wake);
		if (locks >= 2)
			pthread_mutex_destroy(&s->build_lock);
		if (locks >= 1)
			pthread_mutex_destroy(&s->lock);
		if (conds)
			pthread_cond_destroy(&s->flight_done);
		svd_buf_clear(&s->assets[0].gz);
		svd_buf_clear(&s->assets[1].gz);
		free(s->archive_path);
		free(s->outbox);
		free(s->cache_path);
		free(s->lib_root);
		free(s);
	}
	return error;
}

void svd_site_free(svd_site *s)
{
	if (!s)
		return;
	if (s->has_builder) {
		pthread_mutex_lock(&s->lock);
		s->stop = 1;
		pthread_cond_signal(&s->wake);
		pthread_mutex_unlock(&s->lock);
		pthread_join(s->builder, NULL);
	}
	/* the handle of the thread that frees it; other threads' went when they ended */
	slot_release(pthread_getspecific(s->slot_key));
	pthread_setspecific(s->slot_key, NULL);
	pthread_key_delete(s->slot_key);
	cache_release(s->cache);
	/* no file is in flight: every reply was freed first (svd_site_free's contract) */
	pthread_cond_destroy(&s->flight_done);
	pthread_cond_destroy(&s->wake);
	pthread_mutex_destroy(&s->build_lock);
	pthread_mutex_destroy(&s->lock);
	svd_buf_clear(&s->assets[0].gz);
	svd_buf_clear(&s->assets[1].gz);
	free(s->archive_path);
	free(s->outbox);
	free(s->cache_path);
	free(s->lib_root);
	free(s);
}
