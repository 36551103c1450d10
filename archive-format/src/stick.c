/*
 * stick.c: the stick protocol (stick.h) — a courier's stick synced in one
 * plug: import what it carries, write each other mirror what it lacks,
 * replace this mirror's have-file, flush.
 *
 * This file owns the order of those steps, the stick's two layouts (plain:
 * samvydav/bundles, samvydav/have; sealed: random names in one folder),
 * the names of the files written onto it (for-<MIRROR>-<UTC
 * time>[.N].tar.zst, or svd_seal_name()), how sealed files are recognised
 * (by trying to open them, a bounded number), the room left on it, and the
 * escaping of what it names. It owns no format: bundles are read and
 * written by bundle_read.c and bundle_write.c (through the import,
 * import.c, and the export, export.c), have-files by have.c, sealed files
 * by seal.c with the keys of network.c, and the record of bundles already
 * seen is the caller's.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "samvydav/export.h"
#include "samvydav/import.h"
#include "samvydav/network.h"
#include "samvydav/pause.h"
#include "samvydav/seal.h"
#include "samvydav/stick.h"
#include "samvydav/store.h"
#include "sha256.h"
#include "util.h"

#define SUFFIX      ".tar.zst"
#define HAVE_SUFFIX ".have"
#define PART_SUFFIX ".part"
#define MIN_ROOM    (1024ull * 1024) /* below margin + this, nothing is written */
#define COPY_BUF    65536
#define SEALED_MIN  SVD_SEAL_SLOT /* bytes of the smallest sealed file: a partial one, one slot */

typedef struct syncer {
	svd_archive *a;
	const svd_stick_opts *o;
	svd_stick_result *res;
	char *stick, *root, *bundles, *havedir, *scratch;
	char *shown_bundles; /* for messages */
	/* the sound items and updates the stick carries, a signature each;
	   compacted (sorted, unique) when full, never more than SVD_HAVE_MAX_IDS */
	struct carried *carry;
	size_t ncarry, capcarry;
	int quiet;     /* gathering ids only: the caller hears nothing */
	int stop;      /* a step callback's negative answer */
	int made_root; /* samvydav/ was made now: the stick's folder needs a sync */
	/* where bundles are written: bundles/, or the sealed layout's folder */
	const char *outdir, *shown_out;
	/* the sealed layout */
	int sealed;
	char *sealdir, *shown_sealdir; /* its folder on the stick */
	svd_seal_keys *ring;           /* what opens sealed files; NULL: none could be read */
	uint8_t (*recips)[SVD_SEAL_KEY_LEN];
	svd_seal_to to; /* the network and this mirror */
} syncer;

/* ----------------------------------------------------------------- text */

/*
 * s as a message may show it (svd_text_escape(), SPEC.md, 13), in a new
 * string, so that a name from a stick can neither move a terminal's cursor
 * nor pass for another name. NULL when out of memory.
 */
static char *escaped(const char *s)
{
	return svd_text_dup(s, 0);
}

/*
 * The last message, or a fallback: the names in it are escaped where it was
 * made, and what else it holds is escaped here, its backslashes aside.
 */
static char *last_message(void)
{
	const char *m = svd_error_last();

	return svd_text_dup(*m ? m : "failed", SVD_TEXT_KEEP_BACKSLASH);
}

/* ----------------------------------------------------------------- events */

static int emit(syncer *s, svd_stick_event *ev)
{
	int r;

	if (s->stop || !s->o->step)
		return s->stop;
	if ((r = s->o->step(ev, s->o->payload)) < 0) {
		s->stop = r;
		svd_error_set(r, "the stick's sync was stopped by its caller");
	}
	return s->stop;
}

/* An event with a message made from fmt (a printf format). */
static int emitf(syncer *s, svd_stick_step step, const svd_stick_file *f, const char *mirror,
                 const char *fmt, ...) SVD_PRINTF(5, 6);

static int emitf(syncer *s, svd_stick_step step, const svd_stick_file *f, const char *mirror,
                 const char *fmt, ...)
{
	svd_stick_event ev = {0};
	char msg[8192];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ev.step = step;
	ev.file = f;
	ev.mirror = mirror;
	ev.message = msg;
	return emit(s, &ev);
}

/* ----------------------------------------------------------------- carried ids */

/*
 * What the stick carries, one entry per signature: an item's id, the key
 * id of one of its signatures ("" for an item with none noted), and
 * whether it came as a signature update (which says nothing of whether
 * another mirror holds the item).
 */
typedef struct carried {
	char id[SVD_ID_HEX_LEN + 1];
	char key[SVD_KEYID_HEX_LEN + 1];
	uint8_t update;
} carried;

static int cmp_carried(const void *a, const void *b)
{
	const carried *x = a, *y = b;
	int c = strcmp(x->id, y->id);

	if (!c)
		c = strcmp(x->key, y->key);
	return c ? c : (int)x->update - (int)y->update;
}

static void carry_compact(syncer *s)
{
	size_t i, k = 0;

	if (s->ncarry)
		qsort(s->carry, s->ncarry, sizeof(*s->carry), cmp_carried);
	for (i = 0; i < s->ncarry; i++)
		if (!k || cmp_carried(&s->carry[k - 1], &s->carry[i]))
			s->carry[k++] = s->carry[i];
	s->ncarry = k;
}

/* Note one entry. Out of memory or room, it is not noted: at worst an item travels twice. */
static void carry_one(syncer *s, const char *id, const char *key, int update)
{
	carried *c;

	if (s->ncarry == s->capcarry) {
		if (s->capcarry >= SVD_HAVE_MAX_IDS) {
			carry_compact(s);
			if (s->ncarry == s->capcarry)
				return;
		} else {
			size_t cap = s->capcarry ? s->capcarry * 2 : 1024;
			void *grown;
			if (cap > SVD_HAVE_MAX_IDS)
				cap = SVD_HAVE_MAX_IDS;
			if (!(grown = realloc(s->carry, cap * sizeof(*s->carry))))
				return;
			s->carry = grown;
			s->capcarry = cap;
		}
	}
	c = &s->carry[s->ncarry++];
	memcpy(c->id, id, SVD_ID_HEX_LEN + 1);
	snprintf(c->key, sizeof(c->key), "%s", key);
	c->update = (uint8_t)update;
}

/* Note an item (or an update) that passed the gate, with the key ids of its signatures. */
static void carry_add(syncer *s, const svd_verdict *v, int update)
{
	const char *id = svd_verdict_id(v);
	size_t i, n = 0;

	if (!id || strlen(id) != SVD_ID_HEX_LEN)
		return;
	for (i = 0; i < svd_verdict_sig_count(v); i++) {
		const char *keyid;
		svd_sig_status st;
		svd_verdict_sig(v, i, &keyid, &st);
		if (st != SVD_SIG_INVALID && keyid && svd_keyid_valid(keyid) &&
		    strlen(keyid) == SVD_KEYID_HEX_LEN) {
			carry_one(s, id, keyid, update);
			n++;
		}
	}
	if (!n && !update)
		carry_one(s, id, "", 0);
}

/* How many items (not updates) the stick carries. */
static size_t carry_items(syncer *s)
{
	size_t i, j, n = 0;

	carry_compact(s);
	for (i = 0; i < s->ncarry; i = j) {
		int whole = 0;
		for (j = i; j < s->ncarry && !strcmp(s->carry[j].id, s->carry[i].id); j++)
			whole |= !s->carry[j].update;
		n += whole;
	}
	return n;
}

/*
 * What the stick carries as a have-set of mirror (the caller's), or NULL
 * with none, to be merged into h, another mirror's: every item it carries,
 * with the key ids of its signatures; the signatures of an update only for
 * an item h lists (that h's mirror holds it does not follow from an update).
 */
static int carry_have(svd_have **out, syncer *s, const char *mirror, const svd_have *h)
{
	svd_have_item *items = NULL;
	const char **keys = NULL;
	size_t i, j, k, n = 0, nk = 0;
	int error;

	*out = NULL;
	if (!s->ncarry)
		return 0;
	if (!(items = calloc(s->ncarry, sizeof(*items))) ||
	    !(keys = calloc(s->ncarry, sizeof(*keys)))) {
		error = svd_error_set(SVD_ERROR, "out of memory");
		goto cleanup;
	}
	for (i = 0; i < s->ncarry; i = j) {
		int whole = 0;
		size_t first = nk;
		for (j = i; j < s->ncarry && !strcmp(s->carry[j].id, s->carry[i].id); j++)
			whole |= !s->carry[j].update;
		if (!whole && !svd_have_contains(h, s->carry[i].id))
			continue;
		for (k = i; k < j; k++)
			if (s->carry[k].key[0] &&
			    (nk == first || strcmp(keys[nk - 1], s->carry[k].key)))
				keys[nk++] = s->carry[k].key;
		items[n].id = s->carry[i].id;
		items[n].keyids = keys + first;
		items[n].nkeys = nk - first;
		n++;
	}
	error = svd_have_from_items(out, mirror, items, n);
cleanup:
	free(items);
	free(keys);
	return error;
}

/* ----------------------------------------------------------------- importing */

static int on_item(const svd_verdict *v, void *payload)
{
	syncer *s = payload;

	if (svd_verdict_ok(v))
		carry_add(s, v, 0);
	if (s->quiet || !s->o->item)
		return 0;
	return s->o->item(v, s->o->payload);
}

/* A signature update: its signatures are carried; a skipped one is no event. */
static int on_update(const char *id, const svd_verdict *v, const char *why, void *payload)
{
	syncer *s = payload;

	(void)id;
	(void)why;
	if (!v)
		return 0;
	if (svd_verdict_ok(v))
		carry_add(s, v, 1);
	if (s->quiet || !s->o->item)
		return 0;
	return s->o->item(v, s->o->payload);
}

static void on_damage(uint64_t offset, uint64_t length, const char *what, void *payload)
{
	syncer *s = payload;

	if (!s->quiet && s->o->damage)
		s->o->damage(offset, length, what, s->o->payload);
}

static void on_progress(uint64_t items, uint64_t bytes, void *payload)
{
	syncer *s = payload;

	if (!s->quiet && s->o->progress)
		s->o->progress(items, bytes, s->o->payload);
}

/* The ids of the sound items of a bundle not imported again, read quietly. */
static void carry_inspect(syncer *s, const char *path)
{
	svd_bundle_cbs cbs = {on_item, on_damage, NULL, s, on_update, s->ring};
	svd_bundle_stats bs;

	s->quiet = 1;
	svd_bundle_inspect(path, svd_archive_trust(s->a), &cbs, &bs);
	s->quiet = 0;
	svd_error_clear();
}

/* SHA-256 of an open file's content, from its start, as hex. */
static int hash_fd(char out[2 * SVD_SHA256_BYTES + 1], int fd)
{
	static const size_t cap = COPY_BUF;
	uint8_t *buf = malloc(cap), digest[SVD_SHA256_BYTES];
	svd_sha256 c;
	off_t at = 0;
	ssize_t n;

	if (!buf) {
		errno = ENOMEM;
		return -1;
	}
	svd_sha256_init(&c);
	while ((n = pread(fd, buf, cap, at)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			free(buf);
			return -1;
		}
		svd_sha256_update(&c, buf, (size_t)n);
		at += n;
	}
	svd_sha256_final(&c, digest);
	svd_hex_encode(out, digest, SVD_SHA256_BYTES);
	free(buf);
	return 0;
}

static int64_t mtime_ns(const struct stat *st)
{
	return (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
}

static void file_stat(svd_stick_file *f, const struct stat *st)
{
	f->size = (uint64_t)st->st_size;
	f->dev = (uint64_t)st->st_dev;
	f->ino = (uint64_t)st->st_ino;
	f->mtime_ns = mtime_ns(st);
}

static int skipped(syncer *s, svd_stick_file *f)
{
	svd_stick_event ev = {0};

	s->res->skipped++;
	carry_inspect(s, f->path);
	ev.step = SVD_STICK_BUNDLE_SKIPPED;
	ev.file = f;
	return emit(s, &ev);
}

/* A bundle passed over: why is raw text (it may repeat a name from the stick). */
static int failed(syncer *s, svd_stick_file *f, const char *why)
{
	char *msg = escaped(why);
	int r;

	s->res->failed++;
	r = emitf(s, SVD_STICK_BUNDLE_FAILED, f, NULL, "%s: %s", f->shown, msg ? msg : "");
	free(msg);
	return r;
}

/* failed() with the reason and the last message: "what: <message>; then". */
static int failed_last(syncer *s, svd_stick_file *f, const char *what, const char *then)
{
	char why[6144];

	snprintf(why, sizeof(why), "%s: %s%s", what, svd_error_last(), then);
	return failed(s, f, why);
}

/*
 * Import one bundle of the stick, dir/name, in an operation of its own,
 * unless the caller's record knows it; keys open a sealed one (NULL: the
 * plain layout's bundles/, which holds plain bundles only). A bundle that
 * cannot be read is reported and passed over; only a busy or broken
 * archive, or a caller that wants to stop, ends the sync (a negative
 * return).
 */
static int import_one(syncer *s, const char *dir, const char *name, const svd_seal_keys *keys)
{
	svd_stick_file f = {0};
	svd_stick_event ev = {0};
	svd_bundle_cbs cbs = {on_item, on_damage, on_progress, s, on_update, keys};
	svd_bundle_stats bs;
	svd_txn *txn = NULL;
	struct stat st, st2;
	char sha[2 * SVD_SHA256_BYTES + 1], commit[SVD_COMMIT_HEX_LEN + 1] = "";
	char *path = NULL, *shown = NULL, why[512];
	const char *outcome;
	int fd = -1, error = 0, bad;

	if (!(path = svd_path_join(dir, name)) || !(shown = escaped(path))) {
		error = svd_error_set(SVD_ERROR, "out of memory");
		goto cleanup;
	}
	f.path = path;
	f.shown = shown;
	s->res->bundles++;
	ev.step = SVD_STICK_BUNDLE_BEGIN;
	ev.file = &f;
	if ((error = emit(s, &ev)) < 0)
		goto cleanup;
	/* not a link, nor a FIFO that would hang the open */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0) {
		if (errno == ENOENT) { /* gone since the folder was listed */
			s->res->bundles--;
			goto cleanup;
		}
		snprintf(why, sizeof(why), "cannot open: %s; it is left on the stick",
		         errno == ELOOP ? "a link, not a bundle" : svd_ioerr(errno));
		error = failed(s, &f, why);
		goto cleanup;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		error = failed(s, &f,
		               "not a regular file (a folder, a FIFO or a device); it is "
		               "left on the stick");
		goto cleanup;
	}
	file_stat(&f, &st);
	if (s->o->seen && s->o->seen(&f, s->o->payload) == 1) {
		error = skipped(s, &f);
		goto cleanup;
	}
	if (hash_fd(sha, fd) < 0 || fstat(fd, &st2) < 0) {
		snprintf(why, sizeof(why),
		         "cannot read: %s; it is left on the stick (a damaged stick? copy what "
		         "can be read elsewhere and import that)",
		         svd_ioerr(errno));
		error = failed(s, &f, why);
		goto cleanup;
	}
	if (st2.st_size != st.st_size || mtime_ns(&st2) != mtime_ns(&st)) {
		error = failed(s, &f,
		               "changed while it was read (is it still being copied?); "
		               "sync the stick again once it is whole");
		goto cleanup;
	}
	close(fd);
	fd = -1;
	f.sha256 = sha;
	if (s->o->seen && s->o->seen(&f, s->o->payload) == 1) {
		error = skipped(s, &f);
		goto cleanup;
	}
	if ((error = svd_txn_begin(&txn, s->a)) < 0) {
		char *msg = last_message();
		error = svd_error_set(error, "%s: %s", shown, msg ? msg : "");
		free(msg);
		goto cleanup;
	}
	memset(&bs, 0, sizeof(bs));
	error = svd_bundle_import(txn, path, &cbs, &bs);
	if (error == SVD_ENOTFOUND) { /* gone while it was read */
		error = failed(s, &f, "gone while it was read (was the stick removed?)");
		goto cleanup;
	}
	if (error < 0 && error != SVD_ECORRUPT) {
		error = failed_last(s, &f, "cannot import", "; it is left on the stick");
		goto cleanup;
	}
	bad = error == SVD_ECORRUPT;
	if ((error = svd_txn_commit(txn, NULL, commit)) < 0) {
		error = failed_last(s, &f, "cannot commit what was imported", "");
		goto cleanup;
	}
	outcome = bad && !bs.items && !bs.declared ? "refused" : bad ? "partly" : "imported";
	if (s->o->record)
		s->o->record(&f, outcome, s->o->payload);
	s->res->imported++;
	s->res->added += svd_txn_stats_get(txn)->added;
	s->res->cosigned += svd_txn_stats_get(txn)->cosigned;
	s->res->refused += bs.refused;
	s->res->lost += bs.lost;
	ev.step = SVD_STICK_BUNDLE_IMPORTED;
	ev.outcome = outcome;
	ev.stats = &bs;
	ev.txn = svd_txn_stats_get(txn);
	ev.commit = commit;
	error = emit(s, &ev);
cleanup:
	if (fd >= 0)
		close(fd);
	svd_txn_free(txn);
	free(path);
	free(shown);
	return error;
}

/* ----------------------------------------------------------------- folders */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int has_suffix(const char *name, const char *suffix)
{
	size_t n = strlen(name), s = strlen(suffix);

	return n > s && !strcmp(name + n - s, suffix);
}

static void free_list(char **list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(list[i]);
	free(list);
}

/* The names in dir that end in suffix, sorted (the caller's); a missing folder has none. */
static int list_dir(char ***out, size_t *n, const char *dir, const char *suffix)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **list = NULL;
	size_t cap = 0;
	int error = 0;

	*out = NULL;
	*n = 0;
	if (!d) {
		if (errno == ENOENT)
			return 0;
		return svd_error_set(SVD_ERROR, "%s: cannot read the folder: %s", dir,
		                     svd_ioerr(errno));
	}
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.' || !has_suffix(e->d_name, suffix))
			continue;
		if ((error = svd_grow(&list, &cap, *n + 1, sizeof(*list), 16)) < 0 ||
		    !(list[*n] = svd_strdup(e->d_name))) {
			error = SVD_ERROR;
			break;
		}
		(*n)++;
	}
	closedir(d);
	if (error < 0) {
		free_list(list, *n);
		*n = 0;
		return error;
	}
	if (*n)
		qsort(list, *n, sizeof(*list), cmp_str);
	*out = list;
	return 0;
}

/*
 * A folder of the stick: it must be a folder, not a link (a stick that
 * links samvydav/bundles to /etc would have this machine write there).
 * With make, one that is missing is made (*made then set, if given).
 * Returns 0 when it is there, 1 when it is missing and was not to be made.
 */
static int stick_dir(const char *path, int make, int *made)
{
	struct stat st;
	char *shown;
	int error;

	if (lstat(path, &st) == 0) {
		if (S_ISDIR(st.st_mode))
			return 0;
		shown = escaped(path);
		error =
		    svd_error_set(SVD_ECORRUPT,
		                  "%s: not a folder but %s; this is no stick samvydav wrote, "
		                  "and nothing more is read from it or written to it",
		                  shown ? shown : "", S_ISLNK(st.st_mode) ? "a link" : "a file");
		free(shown);
		return error;
	}
	if (errno == ENOENT && !make)
		return 1;
	if (errno != ENOENT || mkdir(path, 0755) < 0) {
		shown = escaped(path);
		error = svd_error_set(SVD_ERROR, "%s: cannot make the folder: %s",
		                      shown ? shown : "", svd_ioerr(errno));
		free(shown);
		return error;
	}
	if (made)
		*made = 1;
	return 0;
}

/* A folder on this machine for the bundles before they go onto the stick, with its parent. */
static int scratch_dir(const char *path)
{
	char *parent = svd_path_dir(path);
	int error;

	if (!parent)
		return svd_error_set(SVD_ERROR, "out of memory");
	mkdir(parent, 0755);
	free(parent);
	if ((error = svd_mkdir(path, 0755)) < 0)
		return error;
	return 0;
}

/* ----------------------------------------------------------------- writing */

/*
 * Copy from into dest on the stick: dest.part (never a link followed, an
 * old one replaced), fsync, rename. sha gets the SHA-256 of what was
 * copied. The caller syncs the folder.
 */
static int copy_file(const char *from, const char *dest, char sha[2 * SVD_SHA256_BYTES + 1])
{
	uint8_t digest[SVD_SHA256_BYTES], *buf = NULL;
	svd_sha256 c;
	char *tmp = NULL, *shown = NULL;
	int in = -1, out = -1, error = SVD_ERROR;
	ssize_t n;
	size_t len = strlen(dest) + sizeof(PART_SUFFIX);

	if (!(tmp = malloc(len)) || !(buf = malloc(COPY_BUF))) {
		svd_error_set(SVD_ERROR, "out of memory");
		goto cleanup;
	}
	snprintf(tmp, len, "%s%s", dest, PART_SUFFIX);
	if ((in = open(from, O_RDONLY | O_CLOEXEC)) < 0) {
		svd_error_set(SVD_ERROR, "%s: cannot read: %s", from, svd_ioerr(errno));
		goto cleanup;
	}
	unlink(tmp);
	if ((out = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644)) < 0)
		goto fail;
	svd_sha256_init(&c);
	while ((n = read(in, buf, COPY_BUF)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			svd_error_set(SVD_ERROR, "%s: cannot read: %s", from, svd_ioerr(errno));
			goto cleanup;
		}
		svd_sha256_update(&c, buf, (size_t)n);
		if (svd_write_all(out, buf, (size_t)n) < 0)
			goto fail;
	}
	if (fsync(out) < 0)
		goto fail;
	svd_pause_point("stick.part");
	n = close(out);
	out = -1;
	if (n < 0 || rename(tmp, dest) < 0)
		goto fail;
	svd_sha256_final(&c, digest);
	svd_hex_encode(sha, digest, SVD_SHA256_BYTES);
	error = 0;
	goto cleanup;
fail:
	n = errno;
	shown = escaped(dest);
	svd_error_set(SVD_ERROR, "%s: cannot write: %s", shown ? shown : "", svd_ioerr((int)n));
cleanup:
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	if (error < 0 && tmp)
		unlink(tmp);
	free(tmp);
	free(buf);
	free(shown);
	return error;
}

/* pread all of len bytes at off; 0, or -1 with errno (EIO for a file cut short). */
static int pread_all(int fd, void *buf, size_t len, off_t off)
{
	uint8_t *p = buf;

	while (len > 0) {
		ssize_t n = pread(fd, p, len, off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = EIO;
			return -1;
		}
		p += n;
		len -= (size_t)n;
		off += n;
	}
	return 0;
}

/* pwrite all of len bytes at off; 0, or -1 with errno. */
static int pwrite_all(int fd, const void *buf, size_t len, off_t off)
{
	const uint8_t *p = buf;

	while (len > 0) {
		ssize_t n = pwrite(fd, p, len, off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		p += n;
		len -= (size_t)n;
		off += n;
	}
	return 0;
}

/* dir/RANDOM, a name no file in dir has (the caller's), or NULL when out of memory. */
static char *random_path(const char *dir)
{
	char name[SVD_SEAL_NAME_LEN + 1], *path = NULL;
	struct stat st;
	int i;

	for (i = 0; i < 8; i++) {
		free(path);
		svd_seal_name(name);
		if (!(path = svd_path_join(dir, name)))
			break;
		if (lstat(path, &st) < 0 && errno == ENOENT)
			break;
	}
	return path;
}

/*
 * Copy from, a sealed file made in the scratch folder, into the sealed
 * folder of the stick under a random name, put in *dest (the caller's).
 * It is written under another random name whose header says "partial"
 * (a header sealed for the same mirrors, of the same size) until the rest
 * of it is written and synced; then its own header goes in, it is synced
 * and renamed. Cut short at any moment, the stick holds a partial sealed
 * file, which the next sync removes: never a bundle cut short (read as a
 * damaged one) and never a byte in the clear. sha gets the SHA-256 of the
 * file. The caller syncs the folder.
 */
static int copy_sealed(syncer *s, const char *from, char **dest, char sha[2 * SVD_SHA256_BYTES + 1])
{
	uint8_t digest[SVD_SHA256_BYTES], head[SVD_SEAL_MAX_SLOTS * SVD_SEAL_SLOT], *buf = NULL;
	svd_sealer *partial = NULL;
	svd_sha256 c;
	struct stat st;
	char *tmp = NULL, *shown = NULL;
	off_t size, hlen, at;
	int in = -1, out = -1, error = SVD_ERROR, e;

	*dest = NULL;
	if (!(buf = malloc(COPY_BUF)) || !(tmp = random_path(s->sealdir))) {
		svd_error_set(SVD_ERROR, "out of memory");
		goto cleanup;
	}
	if ((in = open(from, O_RDONLY | O_CLOEXEC)) < 0 || fstat(in, &st) < 0) {
		svd_error_set(SVD_ERROR, "%s: cannot read: %s", from, svd_ioerr(errno));
		goto cleanup;
	}
	size = st.st_size;
	if ((out = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644)) < 0)
		goto fail;
	/* a header that says "partial", as long as the file's own */
	if ((error = svd_sealer_new(&partial, out, &s->to, SVD_SEAL_BUNDLE)) < 0)
		goto cleanup;
	svd_sealer_free(partial);
	error = SVD_ERROR;
	if (fstat(out, &st) < 0)
		goto fail;
	hlen = st.st_size;
	if (hlen <= 0 || (size_t)hlen > sizeof(head) || hlen >= size) {
		svd_error_set(SVD_ERROR, "%s: not a sealed file for the network (%lld bytes)", from,
		              (long long)size);
		goto cleanup;
	}
	if (pread_all(in, head, (size_t)hlen, 0) < 0) {
		svd_error_set(SVD_ERROR, "%s: cannot read: %s", from, svd_ioerr(errno));
		goto cleanup;
	}
	svd_sha256_init(&c);
	svd_sha256_update(&c, head, (size_t)hlen);
	for (at = hlen; at < size;) {
		size_t take = size - at < COPY_BUF ? (size_t)(size - at) : COPY_BUF;
		if (pread_all(in, buf, take, at) < 0) {
			svd_error_set(SVD_ERROR, "%s: cannot read: %s", from, svd_ioerr(errno));
			goto cleanup;
		}
		svd_sha256_update(&c, buf, take);
		if (pwrite_all(out, buf, take, at) < 0)
			goto fail;
		at += (off_t)take;
	}
	svd_pause_point("stick.sealed");
	if (fsync(out) < 0 || pwrite_all(out, head, (size_t)hlen, 0) < 0 || fsync(out) < 0)
		goto fail;
	e = close(out);
	out = -1;
	if (e < 0 || !(*dest = random_path(s->sealdir)) || rename(tmp, *dest) < 0)
		goto fail;
	svd_sha256_final(&c, digest);
	svd_hex_encode(sha, digest, SVD_SHA256_BYTES);
	error = 0;
	goto cleanup;
fail:
	e = errno;
	shown = escaped(tmp);
	svd_error_set(SVD_ERROR, "%s: cannot write: %s", shown ? shown : "", svd_ioerr(e));
cleanup:
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	if (error < 0) {
		unlink(tmp);
		free(*dest);
		*dest = NULL;
	}
	free(tmp);
	free(buf);
	free(shown);
	return error;
}

static int mirror_add(syncer *s, svd_stick_mirror **out, const char *shown_name)
{
	svd_stick_result *r = s->res;
	svd_stick_mirror *grown = realloc(r->mirrors, (r->nmirrors + 1) * sizeof(*grown));

	if (!grown)
		return svd_error_set(SVD_ERROR, "out of memory");
	r->mirrors = grown;
	memset(&grown[r->nmirrors], 0, sizeof(*grown));
	if (!(grown[r->nmirrors].name = svd_strdup(shown_name)))
		return SVD_ERROR;
	*out = &grown[r->nmirrors++];
	return 0;
}

static int written_add(svd_stick_mirror *m, const char *path)
{
	char **grown = realloc(m->written, (m->files + 1) * sizeof(*grown));

	if (!grown)
		return svd_error_set(SVD_ERROR, "out of memory");
	m->written = grown;
	if (!(grown[m->files] = svd_strdup(path)))
		return SVD_ERROR;
	m->files++;
	return 0;
}

/*
 * Write for mirror a bundle of what have_path does not list, made in the
 * scratch folder and copied onto the stick part by part while they fit.
 */
static int export_for(syncer *s, svd_stick_mirror *m, const char *mirror, const char *have_path)
{
	svd_export_opts eo = {0};
	svd_export_result res = {0};
	struct statvfs vfs;
	uint64_t room, budget, cap = s->o->max_size ? s->o->max_size : SVD_STICK_MAX_SIZE, used = 0;
	char stamp[32], *out = NULL, *dest = NULL, sha[2 * SVD_SHA256_BYTES + 1];
	time_t now = time(NULL);
	struct tm tm;
	size_t i, len;
	int error = 0;

	if (statvfs(s->outdir, &vfs) < 0) {
		m->failed = 1;
		return emitf(s, SVD_STICK_MIRROR_FAILED, NULL, mirror,
		             "%s: cannot read the free space: %s; nothing written for %s",
		             s->shown_out, svd_ioerr(errno), mirror);
	}
	room = (uint64_t)vfs.f_bavail * vfs.f_frsize;
	if (room <= SVD_STICK_MARGIN + MIN_ROOM) {
		m->failed = 1;
		return emitf(s, SVD_STICK_MIRROR_FAILED, NULL, mirror,
		             "%s: only %llu bytes free; nothing written for %s (make room on the "
		             "stick)",
		             s->shown_out, (unsigned long long)room, mirror);
	}
	budget = room - SVD_STICK_MARGIN;
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	len = strlen(s->scratch) + strlen(mirror) + 64;
	if (!(out = malloc(len))) {
		error = svd_error_set(SVD_ERROR, "out of memory");
		goto cleanup;
	}
	if (s->sealed) { /* a name that says nothing, even on this machine */
		char name[SVD_SEAL_NAME_LEN + 1];
		svd_seal_name(name);
		snprintf(out, len, "%s/stick-%s", s->scratch, name);
	} else {
		snprintf(out, len, "%s/for-%s-%s%s", s->scratch, mirror, stamp, SUFFIX);
	}
	eo.have_path = have_path;
	eo.seal = s->sealed ? &s->to : NULL;
	eo.max_size = budget < cap ? budget : cap;
	eo.threads = s->o->threads;
	eo.progress = s->o->progress;
	eo.payload = s->o->payload;
	if ((error = svd_export(s->a, out, &eo, &res)) < 0) {
		char *msg = last_message();
		int full = error == SVD_EINVALID && budget < cap; /* an item over the room left */
		m->failed = 1;
		error = emitf(s, SVD_STICK_MIRROR_FAILED, NULL, mirror,
		              "cannot write a bundle for %s: %s%s", mirror, msg ? msg : "",
		              full ? " (that is the room left on the stick: make room on it)" : "");
		free(msg);
		goto cleanup;
	}
	for (i = 0; i < res.nfiles; i++) {
		svd_stick_file f = {0};
		svd_stick_event ev = {0};
		struct stat st;
		const char *base = strrchr(res.files[i], '/');
		char *shown;
		base = base ? base + 1 : res.files[i];
		if (res.nfiles == 1) /* not split: for-MIRROR-STAMP.tar.zst, without .1 */
			base = strrchr(out, '/') + 1;
		if ((!res.items && !res.updates) || stat(res.files[i], &st) < 0 ||
		    used + (uint64_t)st.st_size > budget) {
			m->left += res.items || res.updates ? 1 : 0;
			unlink(res.files[i]);
			continue;
		}
		free(dest);
		dest = NULL;
		if (!s->sealed && !(dest = svd_path_join(s->outdir, base))) {
			error = svd_error_set(SVD_ERROR, "out of memory");
			goto cleanup;
		}
		if ((s->sealed ? copy_sealed(s, res.files[i], &dest, sha)
		               : copy_file(res.files[i], dest, sha)) < 0) {
			char *msg = last_message();
			m->failed = 1;
			m->left++;
			unlink(res.files[i]);
			error =
			    emitf(s, SVD_STICK_MIRROR_FAILED, NULL, mirror, "%s", msg ? msg : "");
			free(msg);
			if (error < 0)
				goto cleanup;
			continue;
		}
		unlink(res.files[i]);
		used += (uint64_t)st.st_size;
		if (stat(dest, &st) < 0)
			memset(&st, 0, sizeof(st));
		if (!(shown = escaped(dest)) || written_add(m, shown) < 0) {
			free(shown);
			error = svd_error_set(SVD_ERROR, "out of memory");
			goto cleanup;
		}
		f.path = dest;
		f.shown = shown;
		f.sha256 = sha;
		file_stat(&f, &st);
		m->bytes += f.size;
		if (s->o->record) /* never to be imported back */
			s->o->record(&f, "written", s->o->payload);
		ev.step = SVD_STICK_WRITTEN;
		ev.file = &f;
		ev.mirror = mirror;
		ev.items = res.items;
		ev.updates = res.updates;
		ev.parts = res.nfiles;
		error = emit(s, &ev);
		free(shown);
		if (error < 0)
			goto cleanup;
	}
	if ((res.items || res.updates) && m->files) {
		m->items = res.items;
		m->updates = res.updates;
	}
	if (m->left) {
		svd_stick_event ev = {0};
		char msg[1024];
		snprintf(msg, sizeof(msg),
		         "%zu of %zu files for %s did not fit in the %llu bytes free on %s; they "
		         "will go on the next trip",
		         m->left, res.nfiles, mirror, (unsigned long long)budget, s->shown_out);
		ev.step = SVD_STICK_PARTS_LEFT;
		ev.mirror = mirror;
		ev.message = msg;
		ev.left = m->left;
		ev.parts = res.nfiles;
		ev.budget = budget;
		error = emit(s, &ev);
	} else if (!res.items && !res.updates) {
		svd_stick_event ev = {0};
		ev.step = SVD_STICK_MIRROR_LACKS_NOTHING;
		ev.mirror = mirror;
		error = emit(s, &ev);
	}
cleanup:
	for (i = 0; i < res.nfiles; i++) /* what was not copied (a stop) goes too */
		unlink(res.files[i]);
	svd_export_result_clear(&res);
	free(out);
	free(dest);
	return error;
}

/* A name a mirror's have-file may have: [A-Za-z0-9._-], not starting with '.', short. */
static int safe_name(const char *s)
{
	if (!*s || *s == '.' || strlen(s) > SVD_STICK_NAME_MAX)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '.' || *s == '_' || *s == '-'))
			return 0;
	return 1;
}

/*
 * Write for mirror (m, the entry of its result) what h does not list and
 * the stick does not carry; h gains what the stick carries.
 */
static int write_missing(syncer *s, svd_stick_mirror *m, const char *mirror, svd_have *h)
{
	svd_have *carry = NULL;
	char *merged = NULL, name[SVD_SEAL_NAME_LEN + 1];
	size_t len;
	int error;

	/* what the stick carries already is left out too, so that an item travels once */
	len = strlen(s->scratch) + SVD_SEAL_NAME_LEN + 32;
	if (!(merged = malloc(len))) {
		error = svd_error_set(SVD_ERROR, "out of memory");
		goto cleanup;
	}
	svd_seal_name(name);
	snprintf(merged, len, "%s/have-%s.tmp", s->scratch, name);
	if (carry_have(&carry, s, svd_have_mirror(h), h) < 0 || svd_have_merge(h, carry) < 0 ||
	    svd_have_save(h, merged) < 0) {
		char *msg = last_message();
		m->failed = 1;
		error = emitf(s, SVD_STICK_MIRROR_FAILED, NULL, mirror,
		              "%s: cannot write: %s; nothing written for %s", merged,
		              msg ? msg : "", mirror);
		free(msg);
		unlink(merged);
		goto cleanup;
	}
	error = export_for(s, m, mirror, merged);
	unlink(merged);
	s->res->files += m->files;
	s->res->left += m->left;
cleanup:
	svd_have_free(carry);
	free(merged);
	return error;
}

/*
 * The other mirror whose have-file is have/name: check the name and the
 * file, add what the stick carries to its list, and write what is still
 * missing. Only an archive that cannot be read or a caller that stops ends
 * the sync (a negative return).
 */
static int write_for(syncer *s, const char *name)
{
	svd_stick_mirror *m = NULL;
	svd_have *h = NULL;
	char *mirror = NULL, *path = NULL, *shown = NULL;
	const char *me = svd_archive_mirror_id(s->a);
	size_t len = strlen(name) - strlen(HAVE_SUFFIX);
	int error;

	if (!(mirror = svd_strdup(name)))
		return SVD_ERROR;
	mirror[len] = '\0';
	if (!strcmp(mirror, me)) {
		free(mirror);
		return 0;
	}
	if (!(path = svd_path_join(s->havedir, name)) || !(shown = escaped(path))) {
		error = svd_error_set(SVD_ERROR, "out of memory");
		goto cleanup;
	}
	if (!safe_name(mirror)) {
		char *shown_mirror = escaped(mirror);
		if ((error = mirror_add(s, &m, shown_mirror ? shown_mirror : "?")) == 0) {
			m->refused = 1;
			error = emitf(s, SVD_STICK_HAVE_REFUSED, NULL, shown_mirror,
			              "%s: not a mirror's name; skipped", shown);
		}
		free(shown_mirror);
		goto cleanup;
	}
	if ((error = mirror_add(s, &m, mirror)) < 0)
		goto cleanup;
	if (svd_have_read(&h, path) < 0) {
		char *msg = last_message();
		m->refused = 1;
		error = emitf(s, SVD_STICK_HAVE_REFUSED, NULL, mirror,
		              "%s: refused: %s; nothing written for it", shown, msg ? msg : "");
		free(msg);
		goto cleanup;
	}
	if (!strcmp(svd_have_mirror(h), me)) {
		m->refused = 1;
		error = emitf(s, SVD_STICK_HAVE_REFUSED, NULL, mirror,
		              "%s: this mirror's own have-file under another name; skipped", shown);
		goto cleanup;
	}
	if (strcmp(svd_have_mirror(h), mirror) &&
	    (error = emitf(s, SVD_STICK_WARNING, NULL, mirror,
	                   "%s says it is mirror %s; writing for %s", shown, svd_have_mirror(h),
	                   mirror)) < 0)
		goto cleanup;
	error = write_missing(s, m, mirror, h);
cleanup:
	svd_have_free(h);
	free(path);
	free(shown);
	free(mirror);
	return error;
}

/* Remove the temporary files a sync cut short left in bundles/ (for-*.part). */
static void drop_parts(syncer *s)
{
	char **names;
	size_t n, i;

	if (list_dir(&names, &n, s->bundles, SUFFIX PART_SUFFIX) < 0) {
		svd_error_clear();
		return;
	}
	for (i = 0; i < n; i++) {
		char *path;
		if (strncmp(names[i], "for-", 4) || !(path = svd_path_join(s->bundles, names[i])))
			continue;
		unlink(path);
		free(path);
	}
	free_list(names, n);
}

/* ----------------------------------------------------------------- the sealed layout */

/* A name svd_seal_name() could have made: SVD_SEAL_NAME_LEN lowercase hex digits. */
static int seal_named(const char *name)
{
	size_t i;

	for (i = 0; i < SVD_SEAL_NAME_LEN; i++)
		if (!((name[i] >= '0' && name[i] <= '9') || (name[i] >= 'a' && name[i] <= 'f')))
			return 0;
	return name[i] == '\0';
}

/*
 * The files of the sealed folder to try, sorted, at most
 * SVD_STICK_MAX_FILES (the caller's): the names svd_seal_name() could
 * have made first, then the others (a file a courier renamed is still
 * tried, after them). *more gets how many files were left out. Folders,
 * links, FIFOs, devices and hidden names (".x") are not counted: no
 * sealed file is one.
 */
static int list_sealed(char ***out, size_t *n, size_t *more, const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **list[2] = {NULL, NULL};
	size_t count[2] = {0, 0}, cap[2] = {0, 0}, total = 0, i;
	int error = 0;

	*out = NULL;
	*n = *more = 0;
	if (!d) {
		char *shown = escaped(dir);
		error = svd_error_set(SVD_ERROR, "%s: cannot read the folder: %s",
		                      shown ? shown : "", svd_ioerr(errno));
		free(shown);
		return error;
	}
	while ((e = readdir(d))) {
		int k = seal_named(e->d_name) ? 0 : 1;
		if (e->d_name[0] == '.' || (e->d_type != DT_REG && e->d_type != DT_UNKNOWN))
			continue;
		total++;
		if (count[k] == SVD_STICK_MAX_FILES)
			continue;
		if ((error = svd_grow(&list[k], &cap[k], count[k] + 1, sizeof(char *), 64)) < 0 ||
		    !(list[k][count[k]] = svd_strdup(e->d_name))) {
			error = SVD_ERROR;
			break;
		}
		count[k]++;
	}
	closedir(d);
	for (i = 0; error == 0 && i < 2; i++)
		if (count[i])
			qsort(list[i], count[i], sizeof(char *), cmp_str);
	if (error == 0 && count[1] &&
	    (error = svd_grow(&list[0], &cap[0], count[0] + count[1], sizeof(char *), 64)) < 0)
		error = SVD_ERROR;
	if (error < 0) {
		free_list(list[0], count[0]);
		free_list(list[1], count[1]);
		return error;
	}
	for (i = 0; i < count[1]; i++) {
		if (count[0] < SVD_STICK_MAX_FILES)
			list[0][count[0]++] = list[1][i];
		else
			free(list[1][i]);
	}
	free(list[1]);
	*out = list[0];
	*n = count[0];
	*more = total - count[0];
	return 0;
}

/* Another mirror met in the sealed folder: its have-files, merged. */
typedef struct other {
	char *shown; /* the first of its have-files, as shown */
	svd_have *h;
} other;

static int cmp_other(const void *a, const void *b)
{
	return strcmp(svd_have_mirror(((const other *)a)->h),
	              svd_have_mirror(((const other *)b)->h));
}

/* What the sealed folder holds for this mirror. */
typedef struct found {
	char **bundles; /* names of the sealed bundles */
	size_t nbundles, capbundles;
	char **own; /* paths of this mirror's own have-files */
	size_t nown, capown;
	other *others;
	size_t nothers, capothers;
} found;

static void found_clear(found *f)
{
	size_t i;

	free_list(f->bundles, f->nbundles);
	free_list(f->own, f->nown);
	for (i = 0; i < f->nothers; i++) {
		free(f->others[i].shown);
		svd_have_free(f->others[i].h);
	}
	free(f->others);
	memset(f, 0, sizeof(*f));
}

static int push(char ***list, size_t *n, size_t *cap, const char *s)
{
	if (svd_grow(list, cap, *n + 1, sizeof(char *), 16) < 0 || !((*list)[*n] = svd_strdup(s)))
		return SVD_ERROR;
	(*n)++;
	return 0;
}

/*
 * A sealed have-file: this mirror's own (to be replaced), or another
 * mirror's, merged with any other it left (an older one, say: items are
 * never taken away, so the union is what that mirror holds). One that
 * cannot be read is reported, and nothing is written for it.
 */
static int found_have(syncer *s, found *fd, const char *path, const char *shown)
{
	svd_stick_mirror *m;
	svd_have *h = NULL;
	size_t i;
	int error;

	if (svd_have_read_sealed(&h, path, s->ring) < 0) {
		char *msg = last_message();
		if ((error = mirror_add(s, &m, shown)) == 0) {
			m->refused = 1;
			error = emitf(s, SVD_STICK_HAVE_REFUSED, NULL, shown,
			              "%s: a have-file sealed for this network, refused: %s; "
			              "nothing written for its mirror",
			              shown, msg ? msg : "");
		}
		free(msg);
		return error;
	}
	if (!strcmp(svd_have_mirror(h), svd_archive_mirror_id(s->a))) {
		svd_have_free(h);
		return push(&fd->own, &fd->nown, &fd->capown, path);
	}
	for (i = 0; i < fd->nothers; i++) {
		if (!strcmp(svd_have_mirror(fd->others[i].h), svd_have_mirror(h))) {
			error = svd_have_merge(fd->others[i].h, h);
			svd_have_free(h);
			if (error < 0) {
				char *msg = last_message();
				error = emitf(
				    s, SVD_STICK_WARNING, NULL, svd_have_mirror(fd->others[i].h),
				    "%s: another have-file of mirror %s, not used: %s", shown,
				    svd_have_mirror(fd->others[i].h), msg ? msg : "");
				free(msg);
			}
			return error;
		}
	}
	if (svd_grow(&fd->others, &fd->capothers, fd->nothers + 1, sizeof(*fd->others), 8) < 0 ||
	    !(fd->others[fd->nothers].shown = svd_strdup(shown))) {
		svd_have_free(h);
		return SVD_ERROR;
	}
	fd->others[fd->nothers++].h = h;
	return 0;
}

/* A sealed file whose write never finished: removed, as any mirror of the network may. */
static int drop_partial(syncer *s, const char *path, const char *shown)
{
	svd_stick_file f = {0};
	svd_stick_event ev = {0};

	if (unlink(path) < 0 && errno != ENOENT)
		return emitf(
		    s, SVD_STICK_WARNING, NULL, NULL,
		    "%s: the leftover of an interrupted write, but it cannot be removed: %s", shown,
		    svd_ioerr(errno));
	s->res->partials++;
	f.path = path;
	f.shown = shown;
	ev.step = SVD_STICK_PARTIAL_REMOVED;
	ev.file = &f;
	return emit(s, &ev);
}

/*
 * Try one file of the sealed folder with the ring: note a bundle or a
 * have-file, remove a partial one; one no key opens is left alone. Reads
 * at most the two ends' slots (svd_unseal_open()).
 */
static int try_one(syncer *s, found *fd, const char *name)
{
	svd_unsealer *u = NULL;
	svd_seal_kind kind;
	struct stat st;
	char *path = NULL, *shown = NULL;
	int fdesc = -1, error = 0, r;

	if (!(path = svd_path_join(s->sealdir, name)) || !(shown = escaped(path))) {
		error = svd_error_set(SVD_ERROR, "out of memory");
		goto cleanup;
	}
	/* not a link, nor a FIFO that would hang the open */
	fdesc = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW | O_NONBLOCK);
	if (fdesc < 0 || fstat(fdesc, &st) < 0 || !S_ISREG(st.st_mode))
		goto cleanup; /* gone, a link, not a file: not a sealed file */
	if (st.st_size < SEALED_MIN) {
		s->res->foreign++;
		goto cleanup;
	}
	r = svd_unseal_open(&u, fdesc, (uint64_t)st.st_size, s->ring, &kind);
	close(fdesc);
	fdesc = -1;
	if (r == SVD_ENOKEY) {
		s->res->foreign++;
		svd_error_clear();
		goto cleanup;
	}
	if (r < 0) {
		char *msg = last_message();
		error = emitf(s, SVD_STICK_WARNING, NULL, NULL,
		              "%s: cannot be read: %s; passed over", shown, msg ? msg : "");
		free(msg);
		goto cleanup;
	}
	svd_unseal_free(u);
	u = NULL;
	if (kind == SVD_SEAL_PARTIAL)
		error = drop_partial(s, path, shown);
	else if (kind == SVD_SEAL_BUNDLE)
		error = push(&fd->bundles, &fd->nbundles, &fd->capbundles, name);
	else
		error = found_have(s, fd, path, shown);
cleanup:
	if (fdesc >= 0)
		close(fdesc);
	svd_unseal_free(u);
	free(path);
	free(shown);
	return error;
}

/* Try every file of the sealed folder (at most SVD_STICK_MAX_FILES; the rest is reported). */
static int try_all(syncer *s, found *fd)
{
	char **names = NULL;
	size_t n = 0, more = 0, i;
	int error;

	if ((error = list_sealed(&names, &n, &more, s->sealdir)) < 0)
		return error;
	for (i = 0; i < n && error == 0; i++)
		error = try_one(s, fd, names[i]);
	free_list(names, n);
	if (error == 0 && more) {
		s->res->unlooked = more;
		error = emitf(s, SVD_STICK_WARNING, NULL, NULL,
		              "%s: %zu files more than the %d tried were not opened: a bundle or a "
		              "have-file among them was not read (move what is not the network's "
		              "to another folder)",
		              s->shown_sealdir, more, SVD_STICK_MAX_FILES);
	}
	return error;
}

/* The sealed folder and the folders above it on the stick, made when missing. */
static int make_sealdir(syncer *s)
{
	size_t base = strlen(s->stick), i, len = strlen(s->sealdir);
	char *p = svd_strdup(s->sealdir);
	int error = 0, made = 0;

	if (!p)
		return SVD_ERROR;
	for (i = base + 1; i <= len && error == 0; i++) {
		if (p[i] != '/' && p[i] != '\0')
			continue;
		p[i] = '\0';
		error = stick_dir(p, 1, &made);
		if (i < len)
			p[i] = '/';
	}
	free(p);
	s->made_root |= made;
	return error < 0 ? error : 0;
}

/*
 * Which layout, and for the sealed one what it needs: the network's
 * mirrors to seal for, this mirror's key pair (made now when it has none),
 * the key ring, the folder.
 */
static int layout(syncer *s)
{
	svd_stick_layout want = s->o->layout;
	char *folder = NULL;
	size_t n = 0;
	int error, made = 0;

	if (want != SVD_STICK_PLAIN && (error = svd_network_recipients(&s->recips, &n, s->a)) < 0)
		return error;
	s->sealed = want == SVD_STICK_SEALED || (want == SVD_STICK_AUTO && n > 0);
	s->outdir = s->bundles;
	s->shown_out = s->shown_bundles;
	if (!s->sealed)
		return 0;
	if (n == 0)
		return svd_error_set(SVD_EINVALID,
		                     "the sealed layout seals for the network's mirrors, and this "
		                     "archive's network has none: add them ('samvydav network add "
		                     "FILE.pub'), or use the plain layout");
	if (n > SVD_SEAL_MAX_TO)
		return svd_error_set(SVD_EINVALID,
		                     "the network has %zu mirrors, and a sealed file is sealed for "
		                     "at most %d",
		                     n, SVD_SEAL_MAX_TO);
	if ((error = svd_network_key_ensure(s->a, &made)) < 0 ||
	    (error = svd_archive_seal_keys(s->a, &s->ring)) < 0)
		return error;
	if (s->o->folder) {
		if (!svd_network_stick_folder_valid(s->o->folder)) {
			char *shown = escaped(s->o->folder);
			error =
			    svd_error_set(SVD_EINVALID,
			                  "'%s' is not a folder a stick can hold (a relative path, "
			                  "no '.' or '..' part, none of \\ : * ? \" < > |)",
			                  shown ? shown : "");
			free(shown);
			return error;
		}
		folder = svd_strdup(s->o->folder);
	} else if ((error = svd_network_stick_folder(&folder, s->a)) < 0) {
		return error;
	}
	if (!folder ||
	    !(s->sealdir = *folder ? svd_path_join(s->stick, folder) : svd_strdup(s->stick)) ||
	    !(s->shown_sealdir = escaped(s->sealdir)) ||
	    !(s->res->folder = svd_strdup(s->shown_sealdir))) {
		free(folder);
		return svd_error_set(SVD_ERROR, "out of memory");
	}
	free(folder);
	s->to.from = s->ring;
	s->to.mirrors = (const uint8_t(*)[SVD_SEAL_KEY_LEN])s->recips;
	s->to.nmirrors = n;
	s->outdir = s->sealdir;
	s->shown_out = s->shown_sealdir;
	s->res->sealed = 1;
	if (made)
		return emitf(s, SVD_STICK_WARNING, NULL, NULL,
		             "this archive had no encryption key (it was made before sealed "
		             "files): made one now; give its public key to every mirror of the "
		             "network ('samvydav network key -o FILE')");
	return 0;
}

/* ----------------------------------------------------------------- the sync */

static int paths(syncer *s, const char *stick)
{
	const char *archive = svd_archive_path(s->a);

	if (!(s->stick = svd_strdup(stick)) || !(s->root = svd_path_join(stick, SVD_STICK_DIR)) ||
	    !(s->bundles = svd_path_join(s->root, "bundles")) ||
	    !(s->havedir = svd_path_join(s->root, "have")) ||
	    !(s->shown_bundles = escaped(s->bundles)))
		return svd_error_set(SVD_ERROR, "out of memory");
	if (s->o->scratch)
		s->scratch = svd_strdup(s->o->scratch);
	else
		s->scratch = svd_archive_place_path(archive, SVD_PLACE_TMP, NULL, 0);
	if (!s->scratch)
		return svd_error_set(SVD_ERROR, "out of memory");
	return 0;
}

static int flush(syncer *s)
{
	int error = 0;

	if (s->sealed) {
		/* the sealed folder; the plain one's too, if there is one (a have-file gone) */
		if ((error = svd_dir_fsync(s->sealdir)) == 0 && stick_dir(s->havedir, 0, NULL) == 0)
			error = svd_dir_fsync(s->havedir);
		if (error == 0 && stick_dir(s->bundles, 0, NULL) == 0)
			error = svd_dir_fsync(s->bundles);
		if (error == 0 && s->made_root) { /* the folders made, up to the stick's */
			char *p = svd_strdup(s->sealdir), *slash;
			size_t base = strlen(s->stick);
			while (p && error == 0 && (slash = strrchr(p, '/')) &&
			       (size_t)(slash - p) >= base) {
				*slash = '\0';
				error = svd_dir_fsync((size_t)(slash - p) == base ? s->stick : p);
			}
			free(p);
		}
	} else if ((error = svd_dir_fsync(s->havedir)) < 0 ||
	           (stick_dir(s->bundles, 0, NULL) == 0 &&
	            (error = svd_dir_fsync(s->bundles)) < 0) ||
	           (error = svd_dir_fsync(s->root)) < 0 ||
	           (s->made_root && (error = svd_dir_fsync(s->stick)) < 0)) {
		/* reported below */
	}
	if (error < 0) {
		char *msg = last_message();
		error = svd_error_set(error,
		                      "cannot flush the files to the stick: %s; do not "
		                      "remove it",
		                      msg ? msg : "");
		free(msg);
	}
	return error;
}

/* A message for a stick that could not be set up: nothing was read or written. */
static int untouched(int error)
{
	if (error == SVD_ERROR) {
		char *msg = last_message();
		error = svd_error_set(error, "%s; nothing was read from the stick or written to it",
		                      msg ? msg : "");
		free(msg);
	}
	return error;
}

/* Tell of this mirror's own have-file, written at path. */
static int have_written(syncer *s, const char *path, const char *shown)
{
	svd_stick_event ev = {0};
	svd_stick_file f = {0};
	struct stat st;

	if (!(s->res->have = svd_strdup(shown)))
		return SVD_ERROR;
	f.path = path;
	f.shown = shown;
	if (stat(path, &st) == 0)
		file_stat(&f, &st);
	ev.step = SVD_STICK_HAVE_WRITTEN;
	ev.file = &f;
	return emit(s, &ev);
}

/* The message of a have-file that could not be written. */
static int have_failed(int error, const char *shown)
{
	char *msg = last_message();

	error = svd_error_set(error == SVD_ENOTFOUND ? SVD_ERROR : error,
	                      "cannot write this mirror's have-file %s: %s; do not remove "
	                      "the stick yet (is it full or read-only?)",
	                      shown, msg ? msg : "");
	free(msg);
	return error;
}

/* Import the plain layout's bundles (drop its leftovers first); the have-files' names. */
static int plain_import(syncer *s, char ***haves, size_t *nhaves)
{
	char **names = NULL;
	size_t n = 0, i;
	int error;

	drop_parts(s);
	if ((error = list_dir(&names, &n, s->bundles, SUFFIX)) < 0)
		return error;
	for (i = 0; i < n && error == 0; i++)
		error = import_one(s, s->bundles, names[i], NULL);
	free_list(names, n);
	if (error < 0)
		return error;
	return list_dir(haves, nhaves, s->havedir, HAVE_SUFFIX);
}

/* Steps 1 to 3 in the plain layout (stick.h). */
static int sync_plain(syncer *s)
{
	char **names = NULL, *own = NULL, *shown_own = NULL;
	size_t n = 0, i;
	int error;

	if ((error = stick_dir(s->root, 1, &s->made_root)) < 0 ||
	    (error = stick_dir(s->bundles, 0, NULL)) < 0 ||
	    (error = stick_dir(s->havedir, 0, NULL)) < 0)
		return untouched(error);

	/* 1. import what the stick carries */
	if ((error = plain_import(s, &names, &n)) < 0)
		goto cleanup;
	s->res->carried = carry_items(s);

	/* 2. write for each other mirror what it lacks */
	if ((error = stick_dir(s->bundles, 1, NULL)) < 0) {
		/* reported; writing for each mirror then fails and says so */
		char *msg = last_message();
		error = emitf(s, SVD_STICK_WARNING, NULL, NULL, "%s", msg ? msg : "");
		free(msg);
		if (error < 0)
			goto cleanup;
	}
	if (n && (error = scratch_dir(s->scratch)) < 0)
		goto cleanup;
	for (i = 0; i < n; i++)
		if ((error = write_for(s, names[i])) < 0)
			goto cleanup;

	/* 3. replace this mirror's have-file */
	if (!(own = malloc(strlen(s->havedir) + SVD_MIRROR_ID_LEN + sizeof(HAVE_SUFFIX) + 1))) {
		error = svd_error_set(SVD_ERROR, "out of memory");
		goto cleanup;
	}
	sprintf(own, "%s/%s%s", s->havedir, svd_archive_mirror_id(s->a), HAVE_SUFFIX);
	if (!(shown_own = escaped(own))) {
		error = SVD_ERROR;
		goto cleanup;
	}
	if ((error = stick_dir(s->havedir, 1, NULL)) < 0 ||
	    (error = svd_have_write(s->a, own)) < 0) {
		error = have_failed(error, shown_own);
		goto cleanup;
	}
	error = have_written(s, own, shown_own);
cleanup:
	free_list(names, n);
	free(own);
	free(shown_own);
	return error;
}

/*
 * Steps 1 to 3 in the sealed layout (stick.h): a plain samvydav/ folder is
 * read too, but nothing is written into it; this mirror's plain have-file
 * goes from it (it names the mirror and lists what it holds).
 */
static int sync_sealed(syncer *s)
{
	found fd = {0};
	char **plain = NULL, *own = NULL, *shown_own = NULL, *old = NULL;
	size_t nplain = 0, i, j;
	int error, has_plain;

	if ((has_plain = stick_dir(s->root, 0, NULL)) < 0 ||
	    (has_plain == 0 && ((error = stick_dir(s->bundles, 0, NULL)) < 0 ||
	                        (error = stick_dir(s->havedir, 0, NULL)) < 0)))
		return untouched(has_plain < 0 ? has_plain : error);
	if ((error = make_sealdir(s)) < 0)
		return untouched(error);

	/* 1. import what the stick carries: the plain layout's bundles, then the sealed ones */
	if (has_plain == 0 && (error = plain_import(s, &plain, &nplain)) < 0)
		goto cleanup;
	if ((error = try_all(s, &fd)) < 0)
		goto cleanup;
	for (i = 0; i < fd.nbundles; i++)
		if ((error = import_one(s, s->sealdir, fd.bundles[i], s->ring)) < 0)
			goto cleanup;
	s->res->carried = carry_items(s);

	/* 2. write for each other mirror what it lacks, those of sealed have-files first */
	if ((fd.nothers || nplain) && (error = scratch_dir(s->scratch)) < 0)
		goto cleanup;
	if (fd.nothers)
		qsort(fd.others, fd.nothers, sizeof(*fd.others), cmp_other);
	for (i = 0; i < fd.nothers; i++) {
		svd_stick_mirror *m;
		const char *mirror = svd_have_mirror(fd.others[i].h);
		if ((error = mirror_add(s, &m, mirror)) < 0 ||
		    (error = write_missing(s, m, mirror, fd.others[i].h)) < 0)
			goto cleanup;
	}
	for (i = 0; i < nplain; i++) {
		size_t len = strlen(plain[i]) - strlen(HAVE_SUFFIX);
		for (j = 0; j < fd.nothers; j++) /* a sealed have-file is the newer */
			if (strlen(svd_have_mirror(fd.others[j].h)) == len &&
			    !strncmp(svd_have_mirror(fd.others[j].h), plain[i], len))
				break;
		if (j == fd.nothers && (error = write_for(s, plain[i])) < 0)
			goto cleanup;
	}

	/* 3. replace this mirror's have-file: the new one first, then the old ones go */
	if (!(own = random_path(s->sealdir)) || !(shown_own = escaped(own))) {
		error = SVD_ERROR;
		goto cleanup;
	}
	if ((error = svd_have_write_sealed(s->a, own, &s->to)) < 0) {
		error = have_failed(error, shown_own);
		goto cleanup;
	}
	for (i = 0; i < fd.nown; i++)
		unlink(fd.own[i]);
	if (has_plain == 0) {
		struct stat st;
		size_t len = strlen(s->havedir) + SVD_MIRROR_ID_LEN + sizeof(HAVE_SUFFIX) + 1;
		if (!(old = malloc(len))) {
			error = svd_error_set(SVD_ERROR, "out of memory");
			goto cleanup;
		}
		snprintf(old, len, "%s/%s%s", s->havedir, svd_archive_mirror_id(s->a), HAVE_SUFFIX);
		if (lstat(old, &st) == 0 && S_ISREG(st.st_mode))
			unlink(old);
	}
	error = have_written(s, own, shown_own);
cleanup:
	found_clear(&fd);
	free_list(plain, nplain);
	free(own);
	free(shown_own);
	free(old);
	return error;
}

int svd_stick_sync(svd_archive *a, const char *stick, const svd_stick_opts *opts,
                   svd_stick_result *result)
{
	static const svd_stick_opts none = {0};
	syncer s;
	struct stat st;
	int error = 0;

	memset(result, 0, sizeof(*result));
	memset(&s, 0, sizeof(s));
	s.a = a;
	s.o = opts ? opts : &none;
	s.res = result;
	if (!stick || !*stick)
		return svd_error_set(SVD_EINVALID, "no stick given");
	if (stat(stick, &st) < 0 || !S_ISDIR(st.st_mode)) {
		char *shown = escaped(stick);
		error = svd_error_set(SVD_ENOTFOUND, "%s: no such folder (is the stick mounted?)",
		                      shown ? shown : "");
		free(shown);
		return error;
	}
	if ((error = paths(&s, stick)) < 0 || (error = layout(&s)) < 0)
		goto cleanup;
	if ((error = s.sealed ? sync_sealed(&s) : sync_plain(&s)) < 0)
		goto cleanup;

	/* 4. flush: then it may be removed */
	if ((error = flush(&s)) < 0)
		goto cleanup;
	result->safe = 1;
cleanup:
	free(s.carry);
	free(s.stick);
	free(s.root);
	free(s.bundles);
	free(s.havedir);
	free(s.scratch);
	free(s.shown_bundles);
	free(s.sealdir);
	free(s.shown_sealdir);
	free(s.recips);
	svd_seal_keys_free(s.ring);
	return error;
}

void svd_stick_result_clear(svd_stick_result *result)
{
	size_t i, j;

	if (!result)
		return;
	for (i = 0; i < result->nmirrors; i++) {
		for (j = 0; j < result->mirrors[i].files; j++)
			free(result->mirrors[i].written[j]);
		free(result->mirrors[i].written);
		free(result->mirrors[i].name);
	}
	free(result->mirrors);
	free(result->have);
	free(result->folder);
	memset(result, 0, sizeof(*result));
}
