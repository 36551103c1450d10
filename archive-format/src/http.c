/*
 * http.c: the read-only HTTP service of a mirror (libmicrohttpd).
 *
 * Every request path goes through svd_http_check_path() and nothing else
 * decides what is served: only the forms listed in http.h are answered, and
 * files come out of main's git tree by exact name, never from a path on
 * disk (the outbox's bundle is found by listing that one folder). Each of
 * MHD's threads keeps its own archive handle (reopened every few seconds, so
 * new trust is seen), so no libgit2 repository is shared between threads.
 * The index (HTML and JSON) is built once per main commit and shared,
 * reference-counted, between requests.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <git2.h>
#include <jansson.h>
#include <microhttpd.h>

#include "samvydav/http.h"
#include "samvydav/item.h"
#include "samvydav/key.h"
#include "samvydav/manifest.h"
#include "samvydav/render.h"
#include "samvydav/store.h"
#include "archive_internal.h"
#include "http_internal.h"
#include "render_internal.h"
#include "store_internal.h"
#include "util.h"

#define DEFAULT_ADDRESS  "127.0.0.1"
#define DEFAULT_PORT     8737
#define DEFAULT_MAX_CONN 64
#define DEFAULT_PER_IP   16
#define DEFAULT_TIMEOUT  30
#define DEFAULT_MEMORY   (64 * 1024)
#define THREADS          2
#define HANDLE_AGE_S     5 /* seconds a thread keeps one archive handle */

#define INDEX_MAX  (128u * 1024 * 1024)   /* bytes of the index page or its JSON */
#define BLOB_MAX   (512ull * 1024 * 1024) /* bytes of a raw file served from memory */
#define SMALL_MAX  (64u * 1024)           /* bytes of an error or status reply */
#define BUNDLE_EXT ".tar.zst"

/* pages load their own stylesheet, scripts and search data, nothing else */
#define CSP_HTML                                                                                   \
	"default-src 'none'; img-src 'self'; media-src 'self'; style-src 'self'; "                 \
	"script-src 'self'; base-uri 'none'"
#define CSP_RAW "default-src 'none'; sandbox"

/* The index of main at one commit, shared by requests until main moves. */
typedef struct index_cache {
	struct svd_http *owner;
	unsigned refs;                       /* under owner->lock */
	char commit[SVD_COMMIT_HEX_LEN + 1]; /* "" for an archive with nothing yet */
	char *trust;                         /* the trusted key ids it was checked with */
	size_t items;                        /* every item of main, readable or not */
	svd_catalog *cat;                    /* main's items that pass the gate */
	svd_buf html;                        /* index.html */
	svd_buf json;                        /* /api/items */
	svd_buf shards[SVD_SEARCH_SHARDS];   /* search/sNN.js */
	svd_buf fold;                        /* search/fold.js */
} index_cache;

/*
 * One thread's archive handle. Opening an archive costs more than serving a
 * page, so each thread keeps one; a raw file's response holds a reference
 * until it is sent, so a handle replaced meanwhile lives until then.
 */
typedef struct handle_slot {
	svd_archive *a;
	unsigned refs; /* the thread's own, plus one per response in flight */
	time_t opened;
} handle_slot;

struct svd_http {
	struct MHD_Daemon *daemon;
	pthread_key_t slot_key; /* each thread's current handle_slot */
	char *archive_path;
	char *outbox;
	uint16_t port;
	pthread_mutex_t lock;
	index_cache *cache;
};

typedef enum route_kind {
	ROUTE_INDEX = 0,
	ROUTE_ITEM, /* /items/<id>: moved to /pages/<id>.html */
	ROUTE_PAGE, /* /pages/<id>.html */
	ROUTE_ASSET,
	ROUTE_FOLD,
	ROUTE_SHARD,
	ROUTE_FILE, /* a file of an item: payload, manifest.json or sig/KEYID.minisig */
	ROUTE_BUNDLE,
	ROUTE_STATUS,
	ROUTE_ITEMS,
} route_kind;

typedef struct route {
	route_kind kind;
	unsigned status; /* when refused: 400, 404 or 414 */
	char id[SVD_ID_HEX_LEN + 1];
	char file[SVD_HTTP_URL_MAX + 1]; /* the path inside the item's folder; an asset's name */
	unsigned shard;
} route;

/* The gate. */

static int all_hex(const char *s, size_t n, const char *digits)
{
	return strspn(s, digits) >= n;
}

/*
 * Sort a request path into a route, or refuse it: forbidden bytes or
 * sequences are 400, over SVD_HTTP_URL_MAX 414, a well-formed path that is
 * none of the forms 404.
 */
static int parse_path(route *r, const char *path, size_t len)
{
	char buf[SVD_HTTP_URL_MAX + 1];
	const char *rest, *name;
	size_t i;

	memset(r, 0, sizeof(*r));
	r->status = 400;
	if (!path)
		return svd_error_set(SVD_EINVALID, "request without a path");
	if (len > SVD_HTTP_URL_MAX) {
		r->status = 414;
		return svd_error_set(SVD_EINVALID,
		                     "request path of %zu bytes is over the limit of %d bytes", len,
		                     SVD_HTTP_URL_MAX);
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
	if (!strncmp(buf, "/search/s", 9) && strlen(buf) == 14 &&
	    all_hex(buf + 9, 2, "0123456789") && !strcmp(buf + 11, ".js")) {
		r->shard = (unsigned)((buf[9] - '0') * 10 + (buf[10] - '0'));
		if (r->shard >= SVD_SEARCH_SHARDS)
			return svd_error_set(SVD_EINVALID, "no such search shard");
		r->kind = ROUTE_SHARD;
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
	if (!strcmp(name, SVD_MANIFEST_NAME)) {
		snprintf(r->file, sizeof(r->file), "%s", name);
		return 0;
	}
	if (!strncmp(name, SVD_SIG_DIR "/", 4)) {
		const char *k = name + 4;

		if (strlen(k) != SVD_KEYID_HEX_LEN + 8 ||
		    !all_hex(k, SVD_KEYID_HEX_LEN, "0123456789ABCDEF") ||
		    strcmp(k + SVD_KEYID_HEX_LEN, ".minisig") != 0)
			return svd_error_set(SVD_EINVALID,
			                     "no such page: a signature is sig/<KEYID>.minisig "
			                     "(16 uppercase hex digits)");
		snprintf(r->file, sizeof(r->file), "%s", name);
		return 0;
	}
	if (svd_manifest_check_path(name) < 0)
		return svd_error_set(SVD_EINVALID,
		                     "no such page: not a file name an item can hold");
	snprintf(r->file, sizeof(r->file), "%s", name);
	return 0;
}

int svd_http_check_path(const char *path, size_t len)
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
size_t svd_http_unescape(char *s)
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

/* MHD_OPTION_UNESCAPE_CALLBACK: the same decoding, for every request. */
static size_t unescape(void *cls, struct MHD_Connection *c, char *s)
{
	(void)cls;
	(void)c;
	return svd_http_unescape(s);
}

/* Replies. */

/* Queue a response with the headers every reply has; takes the response. */
static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n >= k && !strcasecmp(s + n - k, suffix);
}

static enum MHD_Result queue(struct MHD_Connection *c, unsigned status, struct MHD_Response *resp,
                             const char *type, int html)
{
	enum MHD_Result ret;

	if (!resp)
		return MHD_NO;
	if (MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type) != MHD_YES ||
	    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff") != MHD_YES ||
	    MHD_add_response_header(resp, "Referrer-Policy", "no-referrer") != MHD_YES ||
	    MHD_add_response_header(resp, "Content-Security-Policy", html ? CSP_HTML : CSP_RAW) !=
	        MHD_YES) {
		MHD_destroy_response(resp);
		return MHD_NO;
	}
	ret = MHD_queue_response(c, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* A buffer's bytes as the body (the response frees them). */
static enum MHD_Result queue_buf(struct MHD_Connection *c, unsigned status, svd_buf *b,
                                 const char *type, int html)
{
	struct MHD_Response *resp;

	resp = MHD_create_response_from_buffer(b->len, b->data ? b->data : (char *)"",
	                                       b->data ? MHD_RESPMEM_MUST_FREE
	                                               : MHD_RESPMEM_PERSISTENT);
	if (!resp) {
		free(b->data);
		b->data = NULL;
		return MHD_NO;
	}
	b->data = NULL;
	return queue(c, status, resp, type, html);
}

/* A short plain-text reply: the status and what went wrong (never a path on disk). */
static enum MHD_Result reply_text(struct MHD_Connection *c, unsigned status, const char *what,
                                  const char *detail)
{
	struct MHD_Response *resp;
	svd_buf b;

	svd_buf_init(&b, SMALL_MAX);
	svd_buf_printf(&b, "%u %s", status, what);
	if (detail && *detail) {
		svd_buf_puts(&b, ": ");
		svd_buf_put(&b, detail, strnlen(detail, 1024));
	}
	svd_buf_puts(&b, "\n");
	if (b.error) {
		free(b.data);
		return MHD_NO;
	}
	if (status != MHD_HTTP_METHOD_NOT_ALLOWED)
		return queue_buf(c, status, &b, "text/plain; charset=utf-8", 0);
	resp = MHD_create_response_from_buffer(b.len, b.data, MHD_RESPMEM_MUST_FREE);
	if (!resp) {
		free(b.data);
		return MHD_NO;
	}
	if (MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, "GET, HEAD") != MHD_YES) {
		MHD_destroy_response(resp);
		return MHD_NO;
	}
	return queue(c, status, resp, "text/plain; charset=utf-8", 0);
}

static enum MHD_Result reply_error(struct MHD_Connection *c, int error)
{
	if (error == SVD_ENOTFOUND)
		return reply_text(c, MHD_HTTP_NOT_FOUND, "not found", svd_error_last());
	if (error == SVD_ETOOBIG)
		return reply_text(c, MHD_HTTP_SERVICE_UNAVAILABLE, "too large to serve",
		                  "take it from a bundle instead");
	return reply_text(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal error",
	                  "the mirror could not read its archive; its operator should run "
	                  "`samvydav verify`");
}

/* The index, built once per main commit. */

static void cache_free(index_cache *ic)
{
	size_t i;

	if (!ic)
		return;
	free(ic->trust);
	svd_catalog_free(ic->cat);
	svd_buf_clear(&ic->html);
	svd_buf_clear(&ic->json);
	svd_buf_clear(&ic->fold);
	for (i = 0; i < SVD_SEARCH_SHARDS; i++)
		svd_buf_clear(&ic->shards[i]);
	free(ic);
}

/* The ids of the keys an archive trusts, one string: the cache is good for these only. */
static char *trust_print(svd_archive *a)
{
	const svd_trust *t = svd_archive_trust(a);
	size_t i, n = svd_trust_count(t);
	char *s = calloc(n * (SVD_KEYID_HEX_LEN + 1) + 1, 1);

	for (i = 0; s && i < n; i++) {
		strncat(s, svd_pubkey_id(svd_trust_at(t, i)), SVD_KEYID_HEX_LEN);
		strcat(s, " ");
	}
	return s;
}

/* /api/items: the items the view shows, in its order (the same rows as index.html). */
static int render_json(svd_buf *out, const svd_view *v)
{
	json_t *arr = json_array();
	size_t i;
	char *s = NULL;
	int error = 0;

	if (!arr)
		return svd_error_set(SVD_ERROR, "out of memory building the item list");
	for (i = 0; i < svd_view_count(v); i++) {
		const svd_view_item *it = svd_view_row(v, i);
		json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s}", "id", it->id, "title", it->title,
		                      "lang", it->lang, "kind", svd_kind_name(it->kind), "date",
		                      it->date);
		if (!o || json_array_append_new(arr, o) < 0) {
			error = svd_error_set(SVD_ERROR, "out of memory building the item list");
			goto cleanup;
		}
	}
	if (!(s = json_dumps(arr, JSON_COMPACT))) {
		error = svd_error_set(SVD_ERROR, "out of memory writing the item list");
		goto cleanup;
	}
	error = svd_buf_put(out, s, strlen(s));
cleanup:
	free(s);
	json_decref(arr);
	return error;
}

static int count_item(const svd_verdict *v, void *payload)
{
	(void)v;
	(*(size_t *)payload)++;
	return 0;
}

/*
 * Everything the pages of main at one commit share: the catalog (every item
 * through the gate once, against the trust of now) and its view, index.html,
 * the search shards, and the JSON list. Item pages are rendered from it per
 * request; raw files are served only for items its view shows.
 */
static int cache_build(index_cache **out, svd_archive *a, const char *commit)
{
	index_cache *ic = NULL;
	size_t i;
	int error;

	*out = NULL;
	if (!(ic = calloc(1, sizeof(*ic))) || !(ic->trust = trust_print(a))) {
		error = svd_error_set(SVD_ERROR, "out of memory building the index");
		goto cleanup;
	}
	snprintf(ic->commit, sizeof(ic->commit), "%s", commit);
	svd_buf_init(&ic->html, SVD_RENDER_INDEX_MAX);
	svd_buf_init(&ic->json, INDEX_MAX);
	svd_buf_init(&ic->fold, SMALL_MAX * 4);
	for (i = 0; i < SVD_SEARCH_SHARDS; i++)
		svd_buf_init(&ic->shards[i], SVD_RENDER_INDEX_MAX);
	if (commit[0])
		error = svd_catalog_from_archive(&ic->cat, a, svd_archive_trust(a), NULL, 0,
		                                 count_item, &ic->items);
	else if ((error = svd_catalog_new(&ic->cat)) == 0)
		error = svd_catalog_finish(ic->cat);
	if (error == SVD_ECORRUPT) {
		svd_error_clear(); /* items that fail the gate are not shown */
		error = 0;
	}
	if (error < 0 || (error = render_json(&ic->json, svd_catalog_view(ic->cat))) < 0 ||
	    (error = svd_render_index(&ic->html, ic->cat)) < 0 ||
	    (error = svd_render_fold_js(&ic->fold)) < 0)
		goto cleanup;
	for (i = 0; i < SVD_SEARCH_SHARDS; i++)
		if ((error = svd_render_shard(&ic->shards[i], ic->cat, (unsigned)i)) < 0)
			goto cleanup;
	*out = ic;
	ic = NULL;
cleanup:
	cache_free(ic);
	return error;
}

static void cache_release(index_cache *ic)
{
	svd_http *h;
	int last;

	if (!ic)
		return;
	h = ic->owner;
	pthread_mutex_lock(&h->lock);
	last = --ic->refs == 0;
	pthread_mutex_unlock(&h->lock);
	if (last)
		cache_free(ic);
}

static void cache_release_cb(void *cls)
{
	cache_release(cls);
}

/*
 * The index of main as it is now: the shared one when main has not moved,
 * else a new one (which then replaces the shared one). The caller holds a
 * reference and gives it back with cache_release().
 */
static int cache_get(index_cache **out, svd_http *h, svd_archive *a)
{
	char commit[SVD_COMMIT_HEX_LEN + 1] = "";
	index_cache *ic = NULL, *old = NULL;
	char *trust;
	int error;

	*out = NULL;
	error = svd_store_head(commit, a);
	if (error == SVD_ENOTFOUND) {
		commit[0] = '\0';
		error = 0;
	}
	if (error < 0)
		return error;
	if (!(trust = trust_print(a)))
		return svd_error_set(SVD_ERROR, "out of memory");
	pthread_mutex_lock(&h->lock);
	if (h->cache && !strcmp(h->cache->commit, commit) && !strcmp(h->cache->trust, trust)) {
		h->cache->refs++;
		*out = h->cache;
	}
	pthread_mutex_unlock(&h->lock);
	free(trust);
	if (*out)
		return 0;

	if ((error = cache_build(&ic, a, commit)) < 0)
		return error;
	ic->owner = h;
	ic->refs = 2; /* the service's and the caller's */
	pthread_mutex_lock(&h->lock);
	old = h->cache;
	h->cache = ic;
	pthread_mutex_unlock(&h->lock);
	cache_release(old);
	*out = ic;
	return 0;
}

/* Bytes of the shared index (it is released when the response is done). */
static enum MHD_Result serve_shared(struct MHD_Connection *c, index_cache *ic, const svd_buf *b,
                                    const char *type, int html)
{
	struct MHD_Response *resp;

	resp = MHD_create_response_from_buffer_with_free_callback_cls(
	    b->len, b->data ? b->data : (char *)"", cache_release_cb, ic);
	if (!resp) {
		cache_release(ic);
		return MHD_NO;
	}
	return queue(c, MHD_HTTP_OK, resp, type, html);
}

/* A static asset compiled into the library. */
static enum MHD_Result serve_asset(struct MHD_Connection *c, const char *name)
{
	struct MHD_Response *resp;
	const void *data;
	size_t len;

	if (svd_render_asset(name, &data, &len) < 0)
		return reply_text(c, MHD_HTTP_NOT_FOUND, "not found", NULL);
	resp = MHD_create_response_from_buffer(len, (void *)data, MHD_RESPMEM_PERSISTENT);
	return queue(c, MHD_HTTP_OK, resp,
	             ends_with(name, ".css") ? "text/css; charset=utf-8"
	                                     : "text/javascript; charset=utf-8",
	             0);
}

/* pages/<id>.html: from the catalog's verdict and the item's body in main. */
static enum MHD_Result serve_page(struct MHD_Connection *c, svd_archive *a, index_cache *ic,
                                  const char *id)
{
	svd_buf b;
	char *body = NULL;
	size_t len = 0;
	int error;

	svd_buf_init(&b, SVD_RENDER_PAGE_MAX);
	if ((error = svd_archive_body(&body, &len, id, a)) == 0)
		error = svd_render_item(&b, ic->cat, id, NULL, body, len);
	free(body);
	cache_release(ic);
	if (error < 0) {
		svd_buf_clear(&b);
		return reply_error(c, error);
	}
	return queue_buf(c, MHD_HTTP_OK, &b, "text/html; charset=utf-8", 1);
}

static enum MHD_Result serve_status(struct MHD_Connection *c, svd_archive *a, index_cache *ic)
{
	json_t *o;
	svd_buf b;
	char *s;

	o = json_pack("{s:s, s:I, s:I, s:s?, s:I, s:s}", "mirror", svd_archive_mirror_id(a),
	              "items", (json_int_t)ic->items, "shown",
	              (json_int_t)svd_catalog_count(ic->cat), "head",
	              ic->commit[0] ? ic->commit : NULL,
	              "trusted_keys", (json_int_t)svd_trust_count(svd_archive_trust(a)), "version",
	              SVD_VERSION);
	s = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	if (!s)
		return MHD_NO;
	svd_buf_init(&b, SMALL_MAX);
	svd_buf_puts(&b, s);
	free(s);
	if (b.error) {
		free(b.data);
		return MHD_NO;
	}
	return queue_buf(c, MHD_HTTP_OK, &b, "application/json", 0);
}

/* An item's folder in main: its tree. SVD_ENOTFOUND for an id main does not hold. */
static int item_tree(git_tree **out, svd_archive *a, const char *id)
{
	git_oid head, oid;
	git_tree *items = NULL;
	int error;

	*out = NULL;
	if ((error = svd_store_head_oid(&head, a->repo)) < 0) {
		if (error == SVD_ENOTFOUND)
			svd_error_set(SVD_ENOTFOUND, "no item %s in the archive", id);
		return error;
	}
	if ((error = svd_store_items_tree(&items, a->repo, &head)) < 0)
		return error;
	if ((error = svd_store_item_tree(&oid, a->repo, items, id)) < 0)
		goto cleanup;
	if (git_tree_lookup(out, a->repo, &oid) < 0)
		error = svd_git_error("cannot read an item's folder");
cleanup:
	git_tree_free(items);
	return error;
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
static int thread_archive(handle_slot **out, svd_http *h)
{
	handle_slot *slot = pthread_getspecific(h->slot_key), *fresh;
	time_t now = time(NULL);
	int error;

	if (slot && now - slot->opened < HANDLE_AGE_S && now >= slot->opened) {
		*out = slot;
		return 0;
	}
	if (!(fresh = calloc(1, sizeof(*fresh))))
		return svd_error_set(SVD_ERROR, "http: out of memory");
	if ((error = svd_archive_open(&fresh->a, h->archive_path)) < 0) {
		free(fresh);
		return error;
	}
	fresh->refs = 1;
	fresh->opened = now;
	if (pthread_setspecific(h->slot_key, fresh) != 0) {
		slot_release(fresh);
		return svd_error_set(SVD_ERROR, "http: cannot keep an archive handle");
	}
	slot_release(slot);
	*out = fresh;
	return 0;
}

/* A raw file: the blob stays in memory (and its repository open) until the response is sent. */
typedef struct blob_ctx {
	handle_slot *slot;
	git_blob *blob;
} blob_ctx;

static void blob_ctx_free(void *cls)
{
	blob_ctx *bc = cls;

	git_blob_free(bc->blob);
	slot_release(bc->slot);
	free(bc);
}

static const char *content_type(const char *name)
{
	if (ends_with(name, ".md"))
		return "text/markdown; charset=utf-8";
	if (ends_with(name, ".json"))
		return "application/json";
	if (ends_with(name, ".txt") || ends_with(name, ".minisig"))
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
 * one that does not pass the gate or is not there. Returns 1 when the
 * reply is queued into *ret, 0 when the file may be served.
 */
static int withheld(enum MHD_Result *ret, struct MHD_Connection *c, index_cache *ic,
                    const char *id)
{
	const svd_view_item *it = svd_view_find(svd_catalog_view(ic->cat), id);
	char detail[160];

	if (it && it->state == SVD_VIEW_SHOWN)
		return 0;
	if (it && it->state == SVD_VIEW_RETRACTED) {
		snprintf(detail, sizeof(detail), "item %.12s... was withdrawn by retraction %.12s...",
		         id, it->retracted_by);
		*ret = reply_text(c, MHD_HTTP_GONE, "gone", detail);
	} else {
		snprintf(detail, sizeof(detail), "this mirror shows no item %.12s...", id);
		*ret = reply_text(c, MHD_HTTP_NOT_FOUND, "not found", detail);
	}
	return 1;
}

/* The response holds a reference to the thread's handle until it is sent. */
static enum MHD_Result serve_file(struct MHD_Connection *c, handle_slot *slot, const route *r)
{
	svd_archive *a = slot->a;
	git_tree *tree = NULL;
	git_tree_entry *te = NULL;
	git_odb *odb = NULL;
	blob_ctx *bc = NULL;
	struct MHD_Response *resp;
	git_object_t type;
	size_t size;
	int error;

	if ((error = item_tree(&tree, a, r->id)) < 0)
		goto cleanup;
	if (git_tree_entry_bypath(&te, tree, r->file) < 0 ||
	    git_tree_entry_type(te) != GIT_OBJECT_BLOB) {
		error =
		    svd_error_set(SVD_ENOTFOUND, "item %.12s... holds no file %s", r->id, r->file);
		goto cleanup;
	}
	if (git_repository_odb(&odb, a->repo) < 0 ||
	    git_odb_read_header(&size, &type, odb, git_tree_entry_id(te)) < 0) {
		error = svd_git_error("cannot read a file's size");
		goto cleanup;
	}
	if ((unsigned long long)size > BLOB_MAX) {
		error = svd_error_set(SVD_ETOOBIG, "file of %zu bytes is over the limit of %llu",
		                      size, (unsigned long long)BLOB_MAX);
		goto cleanup;
	}
	if (!(bc = calloc(1, sizeof(*bc)))) {
		error = svd_error_set(SVD_ERROR, "out of memory");
		goto cleanup;
	}
	if (git_blob_lookup(&bc->blob, a->repo, git_tree_entry_id(te)) < 0) {
		error = svd_git_error("cannot read a file");
		goto cleanup;
	}
	error = 0;
cleanup:
	git_odb_free(odb);
	git_tree_entry_free(te);
	git_tree_free(tree);
	if (error < 0) {
		if (bc)
			git_blob_free(bc->blob);
		free(bc);
		return reply_error(c, error);
	}
	__atomic_add_fetch(&slot->refs, 1, __ATOMIC_ACQ_REL);
	bc->slot = slot;
	resp = MHD_create_response_from_buffer_with_free_callback_cls(
	    (size_t)git_blob_rawsize(bc->blob), (void *)git_blob_rawcontent(bc->blob),
	    blob_ctx_free, bc);
	if (!resp) {
		blob_ctx_free(bc);
		return MHD_NO;
	}
	if (MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL,
	                            "public, max-age=31536000, immutable") != MHD_YES) {
		MHD_destroy_response(resp);
		return MHD_NO;
	}
	return queue(c, MHD_HTTP_OK, resp, content_type(r->file), 0);
}

/* The newest *.tar.zst (a regular file, no link) in the outbox, streamed from disk. */
static enum MHD_Result serve_bundle(struct MHD_Connection *c, const char *outbox)
{
	char best[256] = "", disposition[320];
	struct timespec best_t = {0};
	struct MHD_Response *resp;
	struct dirent *e;
	struct stat st;
	DIR *d = NULL;
	int dfd, fd = -1;

	if (!outbox || !(d = opendir(outbox)))
		return reply_text(c, MHD_HTTP_NOT_FOUND, "not found",
		                  "this mirror offers no bundle");
	dfd = dirfd(d);
	while ((e = readdir(d)) != NULL) {
		size_t n = strlen(e->d_name);

		if (e->d_name[0] == '.' || n >= sizeof(best) || !ends_with(e->d_name, BUNDLE_EXT))
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
		return reply_text(c, MHD_HTTP_NOT_FOUND, "not found",
		                  "no bundle in the outbox yet");
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		if (fd >= 0)
			close(fd);
		return reply_text(c, MHD_HTTP_NOT_FOUND, "not found",
		                  "the newest bundle went away; try again");
	}
	if (!(resp = MHD_create_response_from_fd64((uint64_t)st.st_size, fd))) {
		close(fd);
		return MHD_NO;
	}
	/* the name comes from the operator's folder: only a plain one goes into the header */
	if (strspn(best, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") ==
	    strlen(best)) {
		snprintf(disposition, sizeof(disposition), "attachment; filename=\"%s\"", best);
		if (MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_DISPOSITION,
		                            disposition) != MHD_YES) {
			MHD_destroy_response(resp);
			return MHD_NO;
		}
	}
	return queue(c, MHD_HTTP_OK, resp, "application/zstd", 0);
}

/* The address of an item before the reader library: its page now. */
static enum MHD_Result redirect_page(struct MHD_Connection *c, const char *id)
{
	struct MHD_Response *resp;
	char where[SVD_ID_HEX_LEN + 32];

	snprintf(where, sizeof(where), "/pages/%s.html", id);
	resp = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
	if (!resp)
		return MHD_NO;
	if (MHD_add_response_header(resp, MHD_HTTP_HEADER_LOCATION, where) != MHD_YES) {
		MHD_destroy_response(resp);
		return MHD_NO;
	}
	return queue(c, MHD_HTTP_MOVED_PERMANENTLY, resp, "text/plain; charset=utf-8", 0);
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
                              const char *method, const char *version, const char *upload_data,
                              size_t *upload_data_size, void **con_cls)
{
	static int seen; /* the marker of a request whose headers have been read */
	svd_http *h = cls;
	handle_slot *slot = NULL;
	svd_archive *a;
	index_cache *ic = NULL;
	enum MHD_Result ret;
	route r;
	int error;

	(void)version;
	(void)upload_data;
	/*
	 * Answer on the second call, not the first: a response queued before
	 * MHD has read the whole request makes it close the connection, and
	 * every client would pay a new TCP handshake per request.
	 */
	if (!*con_cls) {
		*con_cls = &seen;
		return MHD_YES;
	}
	if (*upload_data_size) {
		*upload_data_size = 0; /* a body we never read */
		return MHD_YES;
	}
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
		return reply_text(c, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed",
		                  "this mirror only reads: GET and HEAD");
	if (parse_path(&r, url, strlen(url)) < 0)
		return reply_text(c, r.status,
		                  r.status == 404   ? "not found"
		                  : r.status == 414 ? "URI too long"
		                                    : "bad request",
		                  svd_error_last());
	if (r.kind == ROUTE_BUNDLE)
		return serve_bundle(c, h->outbox);

	if (thread_archive(&slot, h) < 0)
		return reply_text(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal error",
		                  "the mirror cannot open its archive; tell its operator");
	a = slot->a;
	switch (r.kind) {
	case ROUTE_FILE:
		if ((error = cache_get(&ic, h, a)) < 0) {
			ret = reply_error(c, error);
			break;
		}
		error = withheld(&ret, c, ic, r.id);
		cache_release(ic);
		if (error)
			break;
		return serve_file(c, slot, &r);
	case ROUTE_ITEM:
		ret = redirect_page(c, r.id);
		break;
	case ROUTE_ASSET:
		ret = serve_asset(c, r.file);
		break;
	case ROUTE_INDEX:
	case ROUTE_ITEMS:
	case ROUTE_STATUS:
	case ROUTE_PAGE:
	case ROUTE_FOLD:
	case ROUTE_SHARD:
		if ((error = cache_get(&ic, h, a)) < 0) {
			ret = reply_error(c, error);
			break;
		}
		/* each serve_* below takes ic */
		if (r.kind == ROUTE_STATUS) {
			ret = serve_status(c, a, ic);
			cache_release(ic);
		} else if (r.kind == ROUTE_PAGE) {
			ret = serve_page(c, a, ic, r.id);
		} else if (r.kind == ROUTE_INDEX) {
			ret = serve_shared(c, ic, &ic->html, "text/html; charset=utf-8", 1);
		} else if (r.kind == ROUTE_ITEMS) {
			ret = serve_shared(c, ic, &ic->json, "application/json", 0);
		} else if (r.kind == ROUTE_FOLD) {
			ret = serve_shared(c, ic, &ic->fold, "text/javascript; charset=utf-8", 0);
		} else {
			ret = serve_shared(c, ic, &ic->shards[r.shard],
			                   "text/javascript; charset=utf-8", 0);
		}
		break;
	default:
		ret = reply_text(c, MHD_HTTP_NOT_FOUND, "not found", NULL);
		break;
	}
	return ret;
}

int svd_http_start(svd_http **out, const char *archive_path, const svd_http_opts *opts)
{
	svd_http_opts o = opts ? *opts : (svd_http_opts){0};
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;
	struct sockaddr *sa;
	const union MHD_DaemonInfo *info;
	unsigned int flags = MHD_USE_AUTO_INTERNAL_THREAD;
	svd_archive *a = NULL;
	svd_http *h = NULL;
	uint16_t port;
	int error = SVD_ERROR, locked = 0, keyed = 0;

	*out = NULL;
	if (!archive_path)
		return svd_error_set(SVD_EINVALID, "http: no archive to serve");
	if (!o.address)
		o.address = DEFAULT_ADDRESS;
	port = o.port_any ? 0 : (o.port ? o.port : DEFAULT_PORT);
	if (!o.max_connections)
		o.max_connections = DEFAULT_MAX_CONN;
	if (!o.per_ip)
		o.per_ip = DEFAULT_PER_IP;
	if (!o.timeout_s)
		o.timeout_s = DEFAULT_TIMEOUT;
	if (!o.memory_limit)
		o.memory_limit = DEFAULT_MEMORY;
	if (o.max_connections < THREADS)
		o.max_connections = THREADS;

	memset(&sin, 0, sizeof(sin));
	memset(&sin6, 0, sizeof(sin6));
	if (inet_pton(AF_INET, o.address, &sin.sin_addr) == 1) {
		sin.sin_family = AF_INET;
		sin.sin_port = htons(port);
		sa = (struct sockaddr *)&sin;
	} else if (inet_pton(AF_INET6, o.address, &sin6.sin6_addr) == 1) {
		sin6.sin6_family = AF_INET6;
		sin6.sin6_port = htons(port);
		sa = (struct sockaddr *)&sin6;
		flags |= MHD_USE_IPv6;
	} else {
		return svd_error_set(SVD_EINVALID,
		                     "http: listen address '%s' is not an IPv4 or IPv6 address "
		                     "(give one such as 127.0.0.1, 0.0.0.0 or ::1)",
		                     o.address);
	}

	/* fail here, not on the first request, when there is no archive */
	if ((error = svd_archive_open(&a, archive_path)) < 0)
		goto cleanup;
	error = SVD_ERROR;
	if (!(h = calloc(1, sizeof(*h)))) {
		svd_error_set(SVD_ERROR, "http: out of memory");
		goto cleanup;
	}
	if (pthread_mutex_init(&h->lock, NULL) != 0) {
		svd_error_set(SVD_ERROR, "http: cannot create a lock");
		goto cleanup;
	}
	locked = 1;
	if (pthread_key_create(&h->slot_key, slot_thread_exit) != 0) {
		svd_error_set(SVD_ERROR, "http: cannot create a thread key");
		goto cleanup;
	}
	keyed = 1;
	if (!(h->archive_path = svd_strdup(archive_path)) ||
	    (o.outbox && !(h->outbox = svd_strdup(o.outbox))))
		goto cleanup;
	h->daemon = MHD_start_daemon(flags, port, NULL, NULL, handle, h, MHD_OPTION_SOCK_ADDR, sa,
	                             MHD_OPTION_THREAD_POOL_SIZE, (unsigned int)THREADS,
	                             MHD_OPTION_CONNECTION_LIMIT, (unsigned int)o.max_connections,
	                             MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned int)o.per_ip,
	                             MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)o.timeout_s,
	                             MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)o.memory_limit,
	                             MHD_OPTION_UNESCAPE_CALLBACK, unescape, NULL, MHD_OPTION_END);
	if (!h->daemon) {
		svd_error_set(SVD_ERROR,
		              "http: cannot listen on %s port %u: %s (is another server using "
		              "that port? choose another one)",
		              o.address, (unsigned)port, errno ? strerror(errno) : "unknown error");
		goto cleanup;
	}
	info = MHD_get_daemon_info(h->daemon, MHD_DAEMON_INFO_BIND_PORT);
	h->port = info && info->port ? info->port : port;
	*out = h;
	h = NULL;
	error = 0;
cleanup:
	svd_archive_free(a);
	if (h) {
		if (keyed)
			pthread_key_delete(h->slot_key);
		if (locked)
			pthread_mutex_destroy(&h->lock);
		free(h->archive_path);
		free(h->outbox);
		free(h);
	}
	return error;
}

uint16_t svd_http_port(const svd_http *h)
{
	return h ? h->port : 0;
}

void svd_http_stop(svd_http *h)
{
	if (!h)
		return;
	MHD_stop_daemon(h->daemon); /* its threads end, releasing their handles */
	pthread_key_delete(h->slot_key);
	cache_release(h->cache);
	pthread_mutex_destroy(&h->lock);
	free(h->archive_path);
	free(h->outbox);
	free(h);
}
