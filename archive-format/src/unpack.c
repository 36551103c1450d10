/*
 * unpack.c: `samvydav unpack` (svd_unpack) — a bundle or an archive made
 * into a reader library folder, crash-safe — and the catalog of an
 * archive's main (svd_catalog_from_archive, svd_archive_body) that the
 * daemon's pages and `export --with-reader` render (unpack.h). Items come
 * through the bundle reader (bundle_internal.h) or the store
 * (store_items.h), every one through the gate; the pages are the
 * renderer's (render.h, render_internal.h).
 *
 * An unpack builds everything in DIR.tmp-XXXXXX beside DIR: the accepted
 * items' files (from a bundle, written as each frame is read and removed
 * again if the gate refuses the item), then the pages. One syncfs() makes
 * it all durable, and a rename (or, over an earlier library, an atomic
 * exchange) puts it in place: a crash leaves the old DIR or the new one,
 * and at worst a DIR.tmp-* folder that the next unpack does not touch.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "samvydav/archive.h"
#include "samvydav/bundle.h"
#include "samvydav/render.h"
#include "samvydav/unpack.h"
#include "buf.h"
#include "bundle_internal.h"
#include "catalog_internal.h"
#include "library_paths.h"
#include "render_internal.h"
#include "site_file.h"
#include "store_items.h"
#include "util.h"
#include "workq.h"

#define PATH_CAP 4200 /* the folder being built: dir (<= 4000 bytes) and .tmp-XXXXXX */
#define PATH_BIG 8600 /* a path inside it */

/* An archive's main. */

int svd_archive_body(char **out, size_t *len, const char *id, void *archive)
{
	/* one byte over the cap, so the page can say the text goes on */
	return svd_store_file_head(out, len, archive, id, "body.md", SVD_RENDER_BODY_MAX + 1);
}

typedef struct unpack_ctx unpack_ctx;
static int catalog_take(unpack_ctx *u, const svd_verdict *v, char *body, size_t len);

typedef struct from_archive {
	svd_archive *a;
	svd_store_items *l;  /* main's items, listed once: the gate runs on its commit */
	svd_store_reader *r; /* the accepted ones' files are read through it */
	svd_catalog *c;
	svd_item_cb cb;
	void *payload;
	const char *dir; /* unpack: write the accepted items' files here */
	unpack_ctx *u;   /* when set: accepted items go to catalog_take, not svd_catalog_add */
	size_t accepted, refused;
	svd_progress_cb progress; /* unpack: told after each item, with cb's payload */
	uint64_t written;         /* bytes of the items' files written (unpack) */
	int borrowed;             /* l is the caller's */
	int error;
} from_archive;

/* The first part of an item's body.md, as dir_body reads it; NULL when it has none. */
static int item_body(char **out, size_t *len, svd_store_item *it)
{
	long k = svd_store_item_find(it, "body.md");
	const void *data;
	size_t n;
	int error;

	*out = NULL;
	*len = 0;
	if (k < 0)
		return 0;
	if ((error = svd_store_item_data(&data, &n, it, (size_t)k)) < 0)
		return error;
	/* one byte over the cap: words and pages both stop before the character at the cap */
	if (n > (size_t)SVD_RENDER_BODY_MAX + 1)
		n = (size_t)SVD_RENDER_BODY_MAX + 1;
	if (!(*out = malloc(n + 1)))
		return svd_error_set(SVD_ERROR, "out of memory");
	memcpy(*out, data, n);
	(*out)[n] = '\0';
	*len = n;
	return 0;
}

/* Write one file of an item: open exclusively, write, close. */
static int write_one(const char *path, const void *data, size_t len)
{
	int fd, error = 0;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0 || svd_write_all(fd, data, len) < 0)
		error = svd_error_set(SVD_ERROR, "%s: cannot write: %s", path, strerror(errno));
	if (fd >= 0 && close(fd) < 0 && !error)
		error = svd_error_set(SVD_ERROR, "%s: cannot write: %s", path, strerror(errno));
	return error;
}

/*
 * items/<xx>/<id>/ with manifest.json, the payload files and sig/, each
 * file's bytes let go once written.
 */
static int write_item(svd_store_item *it, const svd_manifest *m, const char *dir, const char *id,
                      uint64_t *bytes)
{
	char path[PATH_BIG];
	svd_library_names *ln = NULL;
	size_t k;
	int error = 0, sig = 0;

	snprintf(path, sizeof(path), "%s/items/%.2s", dir, id);
	if (mkdir(path, 0755) < 0 && errno != EEXIST)
		return svd_error_set(SVD_ERROR, "%s: cannot make it: %s", path, strerror(errno));
	snprintf(path, sizeof(path), "%s/items/%.2s/%s", dir, id, id);
	if (mkdir(path, 0755) < 0)
		return svd_error_set(SVD_ERROR, "%s: cannot make it: %s", path, strerror(errno));
	/* an active type under its inert name (SPEC.md 11.1) */
	if ((error = svd_library_names_new(&ln, m)) < 0)
		return error;
	for (k = 0; k < svd_store_item_count(it) && error == 0; k++) {
		const char *name = svd_store_item_name(it, k), *disk;
		const void *data;
		size_t len;

		if (!sig && !strncmp(name, "sig/", 4)) {
			snprintf(path, sizeof(path), "%s/items/%.2s/%s/sig", dir, id, id);
			if (mkdir(path, 0755) < 0) {
				error = svd_error_set(SVD_ERROR, "%s: cannot make it: %s", path,
				                      strerror(errno));
				break;
			}
			sig = 1;
		}
		if ((disk = svd_library_names_get(ln, name)))
			name = disk;
		snprintf(path, sizeof(path), "%s/items/%.2s/%s/%s", dir, id, id, name);
		if ((error = svd_store_item_data(&data, &len, it, k)) < 0)
			break;
		error = write_one(path, data, len);
		*bytes += (uint64_t)len;
		svd_store_item_drop(it, k);
	}
	svd_library_names_free(ln);
	return error;
}

static int on_verified(const svd_verdict *v, void *payload)
{
	from_archive *fa = payload;
	const svd_manifest *m = svd_verdict_manifest(v);
	svd_store_item *it = NULL;
	char *body = NULL;
	size_t len = 0;
	long i;
	int error = 0;

	/* sound, not only ok: whether a certified editor's key counts is the view's to say */
	if (svd_verdict_sound(v) && m) {
		if ((i = svd_store_items_find(fa->l, svd_verdict_id(v))) < 0)
			error = svd_error_set(SVD_ENOTFOUND, "no item %s in the archive",
			                      svd_verdict_id(v));
		else if ((error = svd_store_item_open(&it, fa->r, fa->l, (size_t)i)) == 0 &&
		         (error = item_body(&body, &len, it)) == 0 &&
		         (!fa->dir || (error = write_item(it, m, fa->dir, svd_verdict_id(v),
		                                          &fa->written)) == 0)) {
			if (fa->u) {
				error = catalog_take(fa->u, v, body, len);
				body = NULL;
			} else {
				error = svd_catalog_add(fa->c, v, body, len);
			}
		}
		free(body);
		svd_store_item_free(it);
		if (error < 0) {
			fa->error = error;
			return 1;
		}
		fa->accepted++;
	} else {
		fa->refused++;
	}
	if (fa->cb && fa->cb(v, fa->payload) != 0)
		return 1;
	if (fa->progress)
		fa->progress(fa->accepted + fa->refused, fa->written, fa->payload);
	return 0;
}

/*
 * Verify main's items against a trust list that may not be the archive's
 * own (NULL: the archive's), reading each accepted item's files from the
 * same commit as the gate.
 */
static int verify_with(from_archive *fa, const svd_trust *trust, const char *const *ids, size_t n)
{
	int error;

	if ((!fa->l && (error = svd_store_items_list(&fa->l, fa->a, NULL)) < 0) ||
	    (error = svd_store_reader_open(&fa->r, fa->a)) < 0)
		return error;
	error = svd_store_items_verify(fa->a, fa->l, trust, ids, n, 0, on_verified, fa, NULL);
	if (fa->error < 0)
		return fa->error;
	return error;
}

static void from_archive_clear(from_archive *fa)
{
	svd_store_reader_free(fa->r);
	if (!fa->borrowed)
		svd_store_items_free(fa->l);
	fa->r = NULL;
	fa->l = NULL;
}

/* Unpacking. */

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path) < 0 && errno != ENOENT ? -1 : 0;
}

static void rmrf(const char *path)
{
	nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/*
 * What dir holds now: 0 nothing (or an empty folder), 1 a reader library
 * (only the names of the layout, with index.html and search/), or
 * SVD_EEXISTS for anything else, which is never replaced.
 */
static int dir_state(const char *dir)
{
	static const char *const names[] = {"index.html", "reader.css", "reader.js",
	                                    "search",     "pages",      "items",
	                                    "list",       "rows",       NULL};
	struct stat st;
	struct dirent *de;
	DIR *d;
	int seen = 0, other = 0, index = 0, search = 0;

	if (lstat(dir, &st) < 0) {
		if (errno == ENOENT)
			return 0;
		return svd_error_set(SVD_ERROR, "%s: %s", dir, strerror(errno));
	}
	if (!S_ISDIR(st.st_mode))
		return svd_error_set(SVD_EEXISTS,
		                     "%s is there and is not a folder; give another output folder",
		                     dir);
	if (!(d = opendir(dir)))
		return svd_error_set(SVD_ERROR, "%s: %s", dir, strerror(errno));
	while ((de = readdir(d))) {
		size_t i;
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		seen++;
		for (i = 0; names[i] && strcmp(names[i], de->d_name); i++)
			;
		if (!names[i])
			other++;
		index |= !strcmp(de->d_name, "index.html");
		search |= !strcmp(de->d_name, "search");
	}
	closedir(d);
	if (!seen)
		return 0;
	if (other || !index || !search)
		return svd_error_set(SVD_EEXISTS,
		                     "%s holds files that are not a reader library; it is left "
		                     "as it is (give a new folder, or one an earlier unpack made)",
		                     dir);
	return 1;
}

#define EARLY_QUEUE 64 /* pages waiting for a renderer: bodies of at most 1 MiB each */

/*
 * The early workers asked for, or one per core but one: the reading thread
 * and the writing thread share the rest, and more workers only contend for
 * the pages folder (20,000 items on 2 cores: 7.9 s with one, 8.9 s with two).
 */
static unsigned early_threads(unsigned asked)
{
	unsigned cores = svd_threads(0);

	return asked ? asked : cores > 1 ? cores - 1 : 1;
}
#define WAKE_JOBS 8 /* an idle renderer is woken for this many */

typedef struct early_job {
	svd_job job; /* the queue's */
	svd_early_page *e;
	char *body;
	size_t len;
} early_job;

/*
 * The early workers: a queue's (workq.h) that index and render items while
 * the bundle is still being read (render_internal.h).
 */
typedef struct early_pool {
	pthread_mutex_t catalog; /* the catalog, shared with the reading thread */
	svd_workq *q;
} early_pool;

/* An early worker's own scratch space. */
typedef struct early_state {
	svd_words *w;
	svd_buf b;
} early_state;

struct unpack_ctx {
	const svd_unpack_opts *opts;
	svd_unpack_stats *st;
	svd_catalog *c;
	const char *tmp;
	int error;
	uint64_t bytes; /* written by several threads: atomically */
	early_pool *pool;
	svd_extract_body body; /* the bundle's item's body.md, during on_bundle_item */
	svd_buf inert;         /* a bundle's accepted active files: "from\0to\0" pairs, to rename */
};

/* Read dir/items/<xx>/<id>/body.md (capped one byte over, so pages can say it goes on). */
static int dir_body(char **out, size_t *len, const char *id, void *payload)
{
	const char *dir = payload;
	char path[PATH_BIG];
	int error;

	*out = NULL;
	*len = 0;
	snprintf(path, sizeof(path), "%s/items/%.2s/%s/body.md", dir, id, id);
	error = svd_file_read(out, len, path, (size_t)SVD_RENDER_BODY_MAX + 1);
	if (error == SVD_ENOTFOUND) {
		svd_error_clear();
		return 0;
	}
	if (error == SVD_ETOOBIG) {
		/* read the first part only */
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		ssize_t n;
		svd_error_clear();
		if (fd < 0 || !(*out = malloc((size_t)SVD_RENDER_BODY_MAX + 2))) {
			if (fd >= 0)
				close(fd);
			return svd_error_set(SVD_ERROR, "%s: cannot read", path);
		}
		n = pread(fd, *out, (size_t)SVD_RENDER_BODY_MAX + 1, 0);
		close(fd);
		if (n < 0) {
			free(*out);
			*out = NULL;
			return svd_error_set(SVD_ERROR, "%s: cannot read", path);
		}
		(*out)[n] = '\0';
		*len = (size_t)n;
		return 0;
	}
	return error;
}

/*
 * An item's manifest.json, read back from the folder being built: the
 * catalog keeps its manifests compact (no file list), and a page made once
 * every item is in needs the whole one. Written there by this unpack from
 * a verified item, and checked again by the parse.
 */
static int dir_manifest(svd_manifest **out, const char *id, void *payload)
{
	const char *dir = payload;
	char path[PATH_BIG], *data = NULL;
	size_t len = 0;
	int error;

	*out = NULL;
	snprintf(path, sizeof(path), "%s/items/%.2s/%s/manifest.json", dir, id, id);
	if ((error = svd_file_read(&data, &len, path, SVD_MANIFEST_MAX)) < 0)
		return error;
	error = svd_manifest_parse(out, data, len);
	free(data);
	return error < 0 ? svd_error_set(error, "%s: %s", path, svd_error_last()) : 0;
}

/* Write one library file into the folder being built (its folders made on the way). */
static int write_file(const char *rel, const void *data, size_t len, void *payload)
{
	unpack_ctx *u = payload;
	char path[PATH_BIG];
	int error;

	snprintf(path, sizeof(path), "%s/%s", u->tmp, rel);
	/* made new; an early page rendered again replaces the first */
	error = svd_file_put(path, data, len, 0);
	__atomic_fetch_add(&u->bytes, (uint64_t)len, __ATOMIC_RELAXED);
	return error;
}

static int early_state_new(void **state, void *payload)
{
	early_state *es = malloc(sizeof(*es));

	(void)payload;
	if (!es || !(es->w = svd_words_new())) {
		free(es);
		return svd_error_set(SVD_ERROR, "out of memory");
	}
	svd_buf_init(&es->b, SVD_RENDER_PAGE_MAX);
	*state = es;
	return 0;
}

static void early_state_free(void *state, void *payload)
{
	early_state *es = state;

	(void)payload;
	svd_buf_clear(&es->b);
	svd_words_free(es->w);
	free(es);
}

/*
 * An early worker's item: its words (merged into the catalog under the
 * catalog lock), and its page, written, when it needs no other item.
 */
static int early_run(svd_job *qj, void *state, void *payload)
{
	early_job *j = (early_job *)qj;
	early_state *es = state;
	unpack_ctx *u = payload;
	char path[6 + SVD_ID_HEX_LEN + 6];
	int error, e2;

	es->b.len = 0;
	es->b.error = 0;
	/* pages only when a library is being built (u->tmp) */
	error = svd_early_prepare(es->w, u->tmp ? &es->b : NULL, j->e, j->body, j->len);
	if (error >= 0) {
		pthread_mutex_lock(&u->pool->catalog);
		e2 = svd_catalog_add_words(u->c, j->e, es->w);
		pthread_mutex_unlock(&u->pool->catalog);
		if (e2 < 0)
			error = e2;
	}
	if (error > 0) {
		snprintf(path, sizeof(path), "pages/%s.html", svd_early_page_id(j->e));
		error = write_file(path, es->b.data, es->b.len, u);
	}
	return error < 0 ? error : 0;
}

static void early_release(svd_job *qj, void *payload)
{
	early_job *j = (early_job *)qj;

	(void)payload;
	free(j->e);
	free(j->body);
	free(j);
}

static int early_start(unpack_ctx *u, early_pool *p, unsigned threads)
{
	svd_workq_opts o = {.threads = threads,
	                    .limit = EARLY_QUEUE,
	                    .wake = WAKE_JOBS,
	                    .worker_new = early_state_new,
	                    .worker_free = early_state_free,
	                    .run = early_run,
	                    .release = early_release,
	                    .payload = u};

	memset(p, 0, sizeof(*p));
	if (pthread_mutex_init(&p->catalog, NULL) != 0)
		return svd_error_set(SVD_ERROR, "cannot make a lock");
	u->pool = p; /* before the workers start: they read it */
	if (svd_workq_new(&p->q, &o) < 0) {
		pthread_mutex_destroy(&p->catalog);
		u->pool = NULL; /* every item indexed as it comes, every page at the end */
	}
	return 0;
}

/*
 * Hand an item to the early workers (waiting while the queue is full);
 * takes e and body. An idle worker is woken once WAKE_JOBS are waiting, so
 * that it takes them without sleeping between them.
 */
static int early_push(early_pool *p, svd_early_page *e, char *body, size_t len)
{
	early_job *j = malloc(sizeof(*j));

	if (!j) {
		free(e);
		free(body);
		return svd_error_set(SVD_ERROR, "out of memory");
	}
	j->e = e;
	j->body = body;
	j->len = len;
	return svd_workq_submit(p->q, &j->job, 1, 0);
}

/* Close the queue, wait for every page, and say how it went. */
static int early_finish(unpack_ctx *u)
{
	early_pool *p = u->pool;
	int error;

	if (!p)
		return 0;
	error = svd_workq_finish(p->q);
	pthread_mutex_destroy(&p->catalog);
	u->pool = NULL;
	return error;
}

/*
 * An accepted item (its files written or queued) into the catalog, with
 * its body's first part (NULL when it has none; taken): its words and page
 * on an early worker when there is one, beside the reading.
 */
static int catalog_take(unpack_ctx *u, const svd_verdict *v, char *body, size_t len)
{
	svd_early_page *e = NULL;
	int error;

	if (u->pool) {
		pthread_mutex_lock(&u->pool->catalog);
		error = svd_catalog_add_later(&e, u->c, v);
		pthread_mutex_unlock(&u->pool->catalog);
		if (error > 0)
			return early_push(u->pool, e, body, len);
	} else {
		error = svd_catalog_add(u->c, v, body, len);
	}
	free(body);
	return error;
}

/*
 * The daemon's catalog: the items' words gathered on early workers (no
 * pages) while the next items are verified.
 */
int svd_catalog_from_archive(svd_catalog **out, svd_archive *a, const svd_trust *trust,
                             const char *const *ids, size_t n, svd_item_cb cb, void *payload)
{
	from_archive fa;
	unpack_ctx u;
	early_pool pool;
	int error, e2;

	*out = NULL;
	memset(&fa, 0, sizeof(fa));
	memset(&u, 0, sizeof(u));
	fa.a = a;
	fa.cb = cb;
	fa.payload = payload;
	if ((error = svd_catalog_new(&fa.c)) < 0)
		return error;
	svd_catalog_set_trust(fa.c, trust ? trust : svd_archive_trust(a));
	u.c = fa.c;
	fa.u = &u;
	if ((!ids || n > 1) && (error = early_start(&u, &pool, early_threads(0))) < 0)
		goto fail;
	if (!ids || n > 0)
		error = verify_with(&fa, trust, ids, n);
	from_archive_clear(&fa);
	if ((e2 = early_finish(&u)) < 0) {
		error = e2;
		goto fail;
	}
	if (error < 0 && error != SVD_ECORRUPT)
		goto fail;
	if ((e2 = svd_catalog_finish(fa.c)) < 0) {
		error = e2;
		goto fail;
	}
	*out = fa.c;
	return error;
fail:
	svd_catalog_free(fa.c);
	return error;
}

int svd_catalog_gate(svd_catalog *c, svd_archive *a, const svd_store_items *l,
                     const svd_trust *trust, const char *const *ids, size_t n, svd_item_cb cb,
                     void *payload)
{
	from_archive fa;
	unpack_ctx u;
	early_pool pool;
	int error, e2;

	if (ids && n == 0)
		return 0;
	memset(&fa, 0, sizeof(fa));
	memset(&u, 0, sizeof(u));
	fa.a = a;
	fa.l = (svd_store_items *)l; /* only read */
	fa.borrowed = 1;
	fa.cb = cb;
	fa.payload = payload;
	u.c = c;
	fa.u = &u;
	/* words gathered on early workers beside the gate, as for the whole catalog */
	if ((!ids || n > 1) && (error = early_start(&u, &pool, early_threads(0))) < 0)
		return error;
	error = verify_with(&fa, trust, ids, n);
	from_archive_clear(&fa);
	if ((e2 = early_finish(&u)) < 0)
		return e2;
	return error;
}

/*
 * An accepted item's files of an active type, to be renamed to their inert
 * names once the writer is done with them (rename_inert): the extract
 * writer writes a bundle's files under the manifest's names. Once per
 * item: a second copy in the bundle is not written (its first stays), and
 * a second rename of the same file would fail.
 */
static int note_inert(unpack_ctx *u, const svd_manifest *m, const char *id)
{
	svd_library_names *ln = NULL;
	size_t i;
	int error;

	if ((error = svd_library_names_new(&ln, m)) < 0)
		return error;
	for (i = 0; i < svd_manifest_file_count(m); i++) {
		const char *name = svd_manifest_file_at(m, i)->path;
		const char *disk = svd_library_names_at(ln, i);

		if (!strcmp(disk, name))
			continue;
		svd_buf_printf(&u->inert, "items/%.2s/%s/%s", id, id, name);
		svd_buf_put(&u->inert, "", 1);
		svd_buf_printf(&u->inert, "items/%.2s/%s/%s", id, id, disk);
		if (svd_buf_put(&u->inert, "", 1) < 0) {
			error = svd_error_set(u->inert.error, "%s: too many files to rename", id);
			break;
		}
	}
	svd_library_names_free(ln);
	return error;
}

/* Is the item in the catalog already (an earlier copy of it in the bundle)? */
static int catalog_has(unpack_ctx *u, const char *id)
{
	long t;

	if (u->pool)
		pthread_mutex_lock(&u->pool->catalog);
	t = svd_catalog_find(u->c, id);
	if (u->pool)
		pthread_mutex_unlock(&u->pool->catalog);
	return t >= 0;
}

/* The renames note_inert listed, in the folder being built. */
static int rename_inert(unpack_ctx *u)
{
	char from[PATH_BIG], to[PATH_BIG];
	size_t at = 0;

	while (at < u->inert.len) {
		const char *a = u->inert.data + at, *b = a + strlen(a) + 1;

		at = (size_t)(b - u->inert.data) + strlen(b) + 1;
		snprintf(from, sizeof(from), "%s/%s", u->tmp, a);
		snprintf(to, sizeof(to), "%s/%s", u->tmp, b);
		if (rename(from, to) < 0)
			return svd_error_set(SVD_ERROR, "%s: cannot rename it to %s: %s", from, to,
			                     strerror(errno));
	}
	return 0;
}

/* A bundle's item, checked: an accepted one (already queued for writing) goes into the catalog. */
static int on_bundle_item(const svd_verdict *v, void *payload)
{
	unpack_ctx *u = payload;
	char *body = NULL;
	int error;

	if (svd_verdict_ok(v) && svd_verdict_manifest(v) && !catalog_has(u, svd_verdict_id(v))) {
		const char *id = svd_verdict_id(v);
		size_t len = 0;
		if (svd_manifest_file_find(svd_verdict_manifest(v), "body.md")) {
			/* its first part, as the reader kept it (the file may not be written yet) */
			if (!u->body.have || !(body = malloc(u->body.len + 1))) {
				u->error = svd_error_set(SVD_ERROR, "%s: %s", id,
				                         u->body.have ? "out of memory"
				                                      : "its body.md was not kept");
				return 1;
			}
			memcpy(body, u->body.buf, u->body.len);
			body[u->body.len] = '\0';
			len = u->body.len;
		}
		if ((error = catalog_take(u, v, body, len)) < 0 ||
		    (error = note_inert(u, svd_verdict_manifest(v), id)) < 0) {
			u->error = error;
			return 1;
		}
	}
	if (u->opts->item && u->opts->item(v, u->opts->payload) != 0) {
		u->error = svd_error_set(SVD_ERROR, "stopped");
		return 1;
	}
	return 0;
}

static void on_progress(uint64_t items, uint64_t bytes, void *payload)
{
	unpack_ctx *u = payload;

	if (u->opts->progress)
		u->opts->progress(items, bytes, u->opts->payload);
}

static void on_damage(uint64_t offset, uint64_t length, const char *what, void *payload)
{
	unpack_ctx *u = payload;

	if (u->opts->damage)
		u->opts->damage(offset, length, what, u->opts->payload);
}

/*
 * The flusher: while the bundle is read, a task asks the kernel every
 * second to write what is already done (syncfs), so that the disk works
 * beside the threads instead of all at the end, where the unpack waits for
 * it before the rename (20,000 items: 10.0 s without, 9.2 s with).
 */
typedef struct flusher {
	svd_workq *task;
	int fd;
} flusher;

static int flush_loop(svd_workq *q, void *arg)
{
	const flusher *f = arg;

	while (!svd_workq_pause(q, 1000))
		syncfs(f->fd);
	return 0;
}

/* Start it on the folder being built; without it, everything is written at the end. */
static void flusher_start(flusher *f, const char *dir)
{
	memset(f, 0, sizeof(*f));
	if ((f->fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return;
	if (svd_workq_task(&f->task, flush_loop, f) < 0) {
		close(f->fd);
		f->fd = -1;
	}
}

static void flusher_stop(flusher *f)
{
	if (!f->task)
		return;
	svd_workq_free(f->task); /* tells it to stop, and waits */
	f->task = NULL;
	close(f->fd);
}

/* Accepted items that a retraction withdraws: their files go too (SPEC.md, 11.1). */
static void drop_retracted(unpack_ctx *u)
{
	char path[PATH_BIG];
	size_t i;

	for (i = 0; i < svd_catalog_size(u->c); i++) {
		const char *id = svd_catalog_id_at(u->c, i);
		if (!svd_catalog_retracted(u->c, id))
			continue;
		snprintf(path, sizeof(path), "%s/items/%.2s/%s", u->tmp, id, id);
		rmrf(path);
		snprintf(path, sizeof(path), "%s/pages/%s.html", u->tmp, id);
		unlink(path); /* its early page, if it had one */
	}
}

/* Put the built folder in place: a plain rename, or an exchange with the library there. */
static int put_in_place(const char *tmp, const char *dir, int state)
{
	char *parent = svd_path_dir(dir);
	int error = 0;

	if (!parent)
		return SVD_ERROR;
	if (state == 0) {
		rmdir(dir); /* an empty folder is replaced */
		if (rename(tmp, dir) < 0)
			error = svd_error_set(SVD_ERROR, "cannot rename %s to %s: %s", tmp, dir,
			                      strerror(errno));
	} else {
		if (renameat2(AT_FDCWD, tmp, AT_FDCWD, dir, RENAME_EXCHANGE) < 0)
			error = svd_error_set(SVD_ERROR, "cannot put %s in the place of %s: %s",
			                      tmp, dir, strerror(errno));
		else
			rmrf(tmp); /* now the old library */
	}
	if (error == 0)
		svd_dir_fsync(parent);
	free(parent);
	return error;
}

/*
 * An archive's main, verified item by item: each accepted item's files
 * written on this thread, its words and page on the early workers.
 */
static int unpack_archive(unpack_ctx *u, const char *src, svd_archive **a, svd_unpack_stats *st)
{
	from_archive fa;
	char items[PATH_BIG];
	int error;

	if ((error = svd_archive_open(a, src)) < 0)
		return error;
	snprintf(items, sizeof(items), "%s/items", u->tmp);
	if (mkdir(items, 0755) < 0)
		return svd_error_set(SVD_ERROR, "%s: %s", items, strerror(errno));
	memset(&fa, 0, sizeof(fa));
	fa.a = *a;
	fa.c = u->c;
	fa.cb = u->opts->item;
	fa.payload = u->opts->payload;
	fa.progress = u->opts->progress;
	fa.dir = u->tmp;
	fa.u = u;
	error = verify_with(&fa, u->opts->trust, NULL, 0);
	from_archive_clear(&fa);
	st->checked = fa.accepted + fa.refused;
	st->accepted = fa.accepted;
	st->refused = fa.refused;
	return error;
}

int svd_unpack(const char *src, const char *dir, const svd_unpack_opts *opts,
               svd_unpack_stats *stats)
{
	static const svd_unpack_opts none = {0};
	svd_unpack_stats st;
	unpack_ctx u;
	svd_archive *a = NULL;
	char tmp[PATH_CAP], msg[1024] = "";
	struct stat sb;
	early_pool pool;
	flusher fl;
	int error = 0, e2, state, built = 0, fd, early = 0;

	memset(&st, 0, sizeof(st));
	memset(&fl, 0, sizeof(fl));
	memset(&u, 0, sizeof(u));
	u.opts = opts ? opts : &none;
	u.st = &st;
	if (!src || !*src || !dir || !*dir)
		return svd_error_set(SVD_EINVALID, "unpack needs a source and an output folder");
	if (strlen(dir) > 4000)
		return svd_error_set(SVD_EINVALID, "%.100s...: the path is too long", dir);
	if (!u.opts->trust)
		return svd_error_set(SVD_EINVALID, "unpack needs a trust list");
	if (stat(src, &sb) < 0)
		return svd_error_set(errno == ENOENT ? SVD_ENOTFOUND : SVD_ERROR, "%s: %s", src,
		                     strerror(errno));
	if ((state = dir_state(dir)) < 0)
		return state;
	snprintf(tmp, sizeof(tmp), "%s.tmp-XXXXXX", dir);
	if (!mkdtemp(tmp))
		return svd_error_set(SVD_ERROR, "cannot make %s: %s", tmp, strerror(errno));
	chmod(tmp, 0755);
	built = 1;
	u.tmp = tmp;
	if ((error = svd_catalog_new(&u.c)) < 0)
		goto cleanup;
	svd_catalog_set_links(u.c, SVD_LINKS_INERT); /* a library read from file:// */
	/* about a quarter of the memory an item; later pages read manifest.json back */
	if ((error = svd_catalog_set_compact(u.c, -1)) < 0)
		goto cleanup;
	svd_buf_init(&u.inert, (size_t)64 << 20);
	svd_catalog_set_trust(u.c, u.opts->trust); /* revocations, checkpoints, thresholds */

	/* started here, stopped right after the reading, whatever happened in it */
	if ((error = early_start(&u, &pool, early_threads(u.opts->threads))) < 0)
		goto cleanup;
	early = u.pool != NULL;
	flusher_start(&fl, tmp);
	if (S_ISDIR(sb.st_mode)) {
		error = unpack_archive(&u, src, &a, &st);
	} else {
		svd_bundle_cbs cbs = {on_bundle_item, on_damage, on_progress, &u, NULL, NULL};
		svd_bundle_stats bs;

		memset(&bs, 0, sizeof(bs));
		u.body.cap = (size_t)SVD_RENDER_BODY_MAX + 1; /* as dir_body reads */
		error = svd_bundle_extract_ex(src, u.opts->trust, tmp, &cbs, &bs, &u.body);
		st.checked = bs.items;
		st.accepted = bs.accepted;
		st.refused = bs.refused;
		st.lost = bs.lost;
		st.damaged = bs.damaged;
	}
	if ((e2 = early_finish(&u)) < 0 && u.error == 0)
		u.error = e2;
	flusher_stop(&fl);
	if (u.error < 0) {
		error = svd_error_set(u.error, "%s", svd_error_last());
		goto cleanup;
	}
	if (error < 0 && error != SVD_ECORRUPT)
		goto cleanup;
	/* nothing worth a library (a file that is no bundle, every item refused): no folder */
	if (error == SVD_ECORRUPT && st.accepted == 0)
		goto cleanup;
	if (error == SVD_ECORRUPT)
		snprintf(msg, sizeof(msg), "%s", svd_error_last());
	if ((e2 = rename_inert(&u)) < 0 || (e2 = svd_catalog_finish(u.c)) < 0 ||
	    (drop_retracted(&u),
	     e2 = svd_render_library_ex(u.c, dir_body, dir_manifest, (void *)tmp, u.opts->threads,
	                                early, write_file, &u)) < 0) {
		error = e2;
		goto cleanup;
	}
	st.shown = svd_catalog_count(u.c);
	st.retracted = svd_catalog_size(u.c) - st.shown;
	st.bytes = u.bytes;
	/* everything durable at once, then in place: a library that may not be
	 * on the disk is never put there */
	if ((fd = open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 || syncfs(fd) < 0) {
		int err = errno;
		if (fd >= 0)
			close(fd);
		error = svd_error_set(SVD_ERROR, "%s: cannot write it to the disk: %s", tmp,
		                      svd_ioerr(err));
		goto cleanup;
	}
	close(fd);
	if ((e2 = put_in_place(tmp, dir, state)) < 0) {
		error = e2;
		goto cleanup;
	}
	built = 0;
	if (error < 0)
		svd_error_set(error, "%s", msg);
cleanup:
	if (built)
		rmrf(tmp);
	svd_catalog_free(u.c);
	svd_buf_clear(&u.inert);
	svd_archive_free(a);
	if (stats)
		*stats = st;
	return error;
}
