/*
 * site.c: a mirror's reader library served page by page (site.h) — the
 * routes, the pages of main shared between threads, the raw files of the
 * items the view shows, the outbox's newest bundle. No HTTP here: the
 * daemon's http.c turns replies into responses.
 *
 * Every request path goes through parse_path() and nothing else decides
 * what is answered. Each thread keeps its own archive handle (reopened
 * every few seconds, so new trust is seen), so no handle is shared between
 * threads. The index (HTML and JSON) is built once per main commit and
 * trust list, and shared, reference-counted, between replies.
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
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "samvydav/archive.h"
#include "samvydav/render.h"
#include "samvydav/seal.h"
#include "samvydav/site.h"
#include "samvydav/store.h"
#include "samvydav/unpack.h"
#include "samvydav/view.h"
#include "render_internal.h"
#include "site_internal.h"
#include "util.h"

#define HANDLE_AGE_S 5                      /* seconds a thread keeps one archive handle */
#define INDEX_MAX    (128u * 1024 * 1024)   /* bytes of the index page or its JSON */
#define BLOB_MAX     (512ull * 1024 * 1024) /* bytes of a raw file served from memory */
#define SMALL_MAX    (64u * 1024)           /* bytes of an error or status reply */
#define BUNDLE_EXT   ".tar.zst"

/* The index of main at one commit, shared by replies until main moves. */
typedef struct index_cache {
	struct svd_site *owner;
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
 * One thread's archive handle. Opening an archive costs more than a page,
 * so each thread keeps one; a raw file's reply holds a reference until it
 * is freed, so a handle replaced meanwhile lives until then.
 */
typedef struct handle_slot {
	svd_archive *a;
	unsigned refs; /* the thread's own, plus one per reply in flight */
	time_t opened;
} handle_slot;

struct svd_site {
	pthread_key_t slot_key; /* each thread's current handle_slot */
	char *archive_path;
	char *outbox;
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
	ROUTE_FILE, /* a file of an item: payload, manifest.json, sig/KEYID.minisig or .pub */
	ROUTE_BUNDLE,
	ROUTE_STATUS,
	ROUTE_ITEMS,
} route_kind;

typedef struct route {
	route_kind kind;
	unsigned status; /* when refused: 400, 404 or 414 */
	char id[SVD_ID_HEX_LEN + 1];
	char file[SVD_SITE_URL_MAX + 1]; /* the path inside the item's folder; an asset's name */
	unsigned shard;
} route;

/* A reply and what it holds until it is freed. */
typedef struct reply {
	svd_site_reply pub;
	char *owned;          /* bytes of the body this reply made */
	index_cache *ic;      /* the owner of a shared body */
	handle_slot *slot;    /* a raw file's archive handle */
	svd_store_file *file; /* a raw file */
	char location[SVD_ID_HEX_LEN + 32];
	char filename[256];
} reply;

/* The gate. */

static int all_hex(const char *s, size_t n, const char *digits)
{
	return strspn(s, digits) >= n;
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

/* The index, built once per main commit. */

static void cache_free(index_cache *ic)
{
	size_t i;

	if (!ic)
		return;
	svd_catalog_free(ic->cat);
	free(ic->trust);
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
	char *s = NULL, *dumped = NULL;
	int error = 0;

	if (!arr)
		return svd_error_set(SVD_ERROR, "out of memory building the item list");
	for (i = 0; i < svd_view_count(v); i++) {
		const svd_view_item *it = svd_view_row(v, i);
		json_t *o =
		    json_pack("{s:s, s:s, s:s, s:s, s:s}", "id", it->id, "title", it->title, "lang",
		              it->lang, "kind", svd_kind_name(it->kind), "date", it->date);
		if (!o || json_array_append_new(arr, o) < 0) {
			error = svd_error_set(SVD_ERROR, "out of memory building the item list");
			goto cleanup;
		}
	}
	/* titles with their bidirectional controls as \u escapes (SPEC.md, 13) */
	if (!(dumped = json_dumps(arr, JSON_COMPACT)) || !(s = svd_text_json(dumped))) {
		error = svd_error_set(SVD_ERROR, "out of memory writing the item list");
		goto cleanup;
	}
	error = svd_buf_put(out, s, strlen(s));
cleanup:
	free(dumped);
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

/*
 * The index of main as it is now: the shared one when main has not moved
 * and the trust list is the same, else a new one (which then replaces the
 * shared one). The caller holds a reference and gives it back with
 * cache_release().
 */
static int cache_get(index_cache **out, svd_site *s, svd_archive *a)
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
	pthread_mutex_lock(&s->lock);
	if (s->cache && !strcmp(s->cache->commit, commit) && !strcmp(s->cache->trust, trust)) {
		s->cache->refs++;
		*out = s->cache;
	}
	pthread_mutex_unlock(&s->lock);
	free(trust);
	if (*out)
		return 0;

	if ((error = cache_build(&ic, a, commit)) < 0)
		return error;
	ic->owner = s;
	ic->refs = 2; /* the site's and the caller's */
	pthread_mutex_lock(&s->lock);
	old = s->cache;
	s->cache = ic;
	pthread_mutex_unlock(&s->lock);
	cache_release(old);
	*out = ic;
	return 0;
}

/* Bytes of the shared index: the reply holds the cache until it is freed. */
static reply *reply_shared(index_cache *ic, const svd_buf *b, const char *type, int page)
{
	reply *r = reply_new(200, type);

	if (!r) {
		cache_release(ic);
		return NULL;
	}
	r->ic = ic;
	r->pub.data = b->data ? b->data : "";
	r->pub.len = b->len;
	r->pub.page = page;
	return r;
}

/* A static asset compiled into the library. */
static reply *reply_asset(const char *name)
{
	const void *data;
	size_t len;
	reply *r;

	if (svd_render_asset(name, &data, &len) < 0)
		return reply_text(404, "not found", NULL);
	if (!(r = reply_new(200, ends_with(name, ".css") ? "text/css; charset=utf-8"
	                                                 : "text/javascript; charset=utf-8")))
		return NULL;
	r->pub.data = data;
	r->pub.len = len;
	return r;
}

/* pages/<id>.html: from the catalog's verdict and the item's body in main. */
static reply *reply_page(svd_archive *a, index_cache *ic, const char *id)
{
	svd_buf b;
	char *body = NULL;
	size_t len = 0;
	int error;

	svd_buf_init(&b, SVD_RENDER_PAGE_MAX);
	if ((error = svd_archive_body(&body, &len, id, a)) == 0)
		error = svd_render_item(&b, ic->cat, id, NULL, body, len);
	free(body);
	if (error < 0) {
		svd_buf_clear(&b);
		return reply_error(error);
	}
	return reply_buf(200, &b, "text/html; charset=utf-8", 1);
}

static reply *reply_status(svd_archive *a, index_cache *ic)
{
	json_t *o;
	svd_buf b;
	char *s;

	const char *as_of = svd_view_trust_date(svd_catalog_view(ic->cat));

	o = json_pack("{s:s, s:I, s:I, s:s?, s:I, s:s?, s:s}", "mirror", svd_archive_mirror_id(a),
	              "items", (json_int_t)ic->items, "shown",
	              (json_int_t)svd_catalog_count(ic->cat), "head",
	              ic->commit[0] ? ic->commit : NULL, "trusted_keys",
	              (json_int_t)svd_trust_count(svd_archive_trust(a)), "trust_as_of",
	              as_of[0] ? as_of : NULL, "version", SVD_VERSION);
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
	const svd_view_item *it = svd_view_find(svd_catalog_view(ic->cat), id);
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

/* The reply holds a reference to the thread's handle, and the file, until it is freed. */
static reply *reply_file(handle_slot *slot, const route *rt)
{
	svd_store_file *f = NULL;
	reply *r;
	int error;

	if ((error = svd_store_file_open(&f, slot->a, rt->id, rt->file, BLOB_MAX)) < 0)
		return reply_error(error);
	if (!(r = reply_new(200, content_type(rt->file)))) {
		svd_store_file_free(f);
		return NULL;
	}
	__atomic_add_fetch(&slot->refs, 1, __ATOMIC_ACQ_REL);
	r->slot = slot;
	r->file = f;
	r->pub.data = svd_store_file_data(f, &r->pub.len);
	r->pub.cache = SVD_SITE_CACHE_IMMUTABLE;
	return r;
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
	svd_buf b;
	int error, nomem;

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
		r = reply_asset(rt.file);
		goto done;
	}
	if (thread_archive(&slot, s) < 0) {
		r = reply_text(500, "internal error",
		               "the mirror cannot open its archive; tell its operator");
		goto done;
	}
	if ((error = cache_get(&ic, s, slot->a)) < 0) {
		r = reply_error(error);
		goto done;
	}
	switch (rt.kind) {
	case ROUTE_FILE:
		r = withheld(ic, rt.id, &nomem);
		cache_release(ic);
		if (!r && !nomem)
			r = reply_file(slot, &rt);
		break;
	case ROUTE_STATUS:
		r = reply_status(slot->a, ic);
		cache_release(ic);
		break;
	case ROUTE_PAGE:
		r = reply_page(slot->a, ic, rt.id);
		cache_release(ic);
		break;
	case ROUTE_INDEX:
		r = reply_shared(ic, &ic->html, "text/html; charset=utf-8", 1);
		break;
	case ROUTE_ITEMS: /* site_api.c: a page of the list, its filters */
		error = svd_site_api_items(&b, ic->cat, query);
		cache_release(ic);
		if (error < 0)
			break;
		r = reply_buf((unsigned)error, &b,
		              error == 200 ? "application/json" : "text/plain; charset=utf-8", 0);
		if (r && error == 200) {
			r->pub.cache = SVD_SITE_CACHE_REVALIDATE;
			r->pub.compress = 1;
		}
		break;
	case ROUTE_FOLD:
		r = reply_shared(ic, &ic->fold, "text/javascript; charset=utf-8", 0);
		break;
	case ROUTE_SHARD:
		r = reply_shared(ic, &ic->shards[rt.shard], "text/javascript; charset=utf-8", 0);
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
	svd_store_file_free(r->file);
	slot_release(r->slot);
	if (r->pub.fd >= 0)
		close(r->pub.fd);
	free(r);
}

int svd_site_new(svd_site **out, const char *archive_path, const char *outbox)
{
	svd_archive *a = NULL;
	svd_site *s = NULL;
	int error, locked = 0;

	*out = NULL;
	if (!archive_path)
		return svd_error_set(SVD_EINVALID, "no archive to serve");
	/* fail here, not on the first request, when there is no archive */
	if ((error = svd_archive_open(&a, archive_path)) < 0)
		return error;
	svd_archive_free(a);
	error = SVD_ERROR;
	if (!(s = calloc(1, sizeof(*s)))) {
		svd_error_set(SVD_ERROR, "out of memory");
		goto fail;
	}
	if (pthread_mutex_init(&s->lock, NULL) != 0) {
		svd_error_set(SVD_ERROR, "cannot create a lock");
		goto fail;
	}
	locked = 1;
	if (pthread_key_create(&s->slot_key, slot_thread_exit) != 0) {
		svd_error_set(SVD_ERROR, "cannot create a thread key");
		goto fail;
	}
	if (!(s->archive_path = svd_strdup(archive_path)) ||
	    (outbox && !(s->outbox = svd_strdup(outbox)))) {
		pthread_key_delete(s->slot_key);
		svd_error_set(SVD_ERROR, "out of memory");
		goto fail;
	}
	*out = s;
	return 0;
fail:
	if (s) {
		if (locked)
			pthread_mutex_destroy(&s->lock);
		free(s->archive_path);
		free(s->outbox);
		free(s);
	}
	return error;
}

void svd_site_free(svd_site *s)
{
	if (!s)
		return;
	/* the handle of the thread that frees it; other threads' went when they ended */
	slot_release(pthread_getspecific(s->slot_key));
	pthread_setspecific(s->slot_key, NULL);
	pthread_key_delete(s->slot_key);
	cache_release(s->cache);
	pthread_mutex_destroy(&s->lock);
	free(s->archive_path);
	free(s->outbox);
	free(s);
}
