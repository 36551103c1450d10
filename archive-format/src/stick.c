/*
 * stick.c: the stick protocol (stick.h) — a courier's stick synced in one
 * plug: import what it carries, write each other mirror what it lacks,
 * replace this mirror's have-file, flush.
 *
 * This file owns the order of those steps, the stick's layout
 * (samvydav/bundles, samvydav/have), the names of the bundles written onto
 * it (for-<MIRROR>-<UTC time>[.N].tar.zst), the room left on it, and the
 * escaping of what it names. It owns no format: bundles are read and
 * written by bundle_read.c and bundle_write.c (through the import,
 * import.c, and the export, export.c), have-files by have.c, and the
 * record of bundles already seen is the caller's.
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
#include "samvydav/pause.h"
#include "samvydav/stick.h"
#include "samvydav/store.h"
#include "sha256.h"
#include "util.h"

#define SUFFIX      ".tar.zst"
#define HAVE_SUFFIX ".have"
#define PART_SUFFIX ".part"
#define MIN_ROOM    (1024ull * 1024) /* below margin + this, nothing is written */
#define COPY_BUF    65536

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
} syncer;

/* ----------------------------------------------------------------- text */

/*
 * s as a message may show it, in a new string: control characters
 * (U+0000..U+001F, U+007F..U+009F), a backslash and bytes that are not
 * UTF-8 become \xNN, so a name from a stick can neither move a terminal's
 * cursor nor pass for another name. NULL when out of memory.
 */
static char *escaped(const char *s)
{
	size_t n = strlen(s), i = 0, o = 0;
	char *out;

	if (n > (SIZE_MAX - 1) / 4 || !(out = malloc(4 * n + 1))) {
		svd_error_set(SVD_ERROR, "out of memory");
		return NULL;
	}
	while (i < n) {
		unsigned char c = (unsigned char)s[i];
		size_t len = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
		int bad = c < 0x20 || c == 0x7F || c == '\\';

		if (c >= 0x80)
			bad = i + len > n || !svd_utf8_valid(s + i, len) ||
			      (c == 0xC2 && (unsigned char)s[i + 1] <= 0x9F);
		if (bad) {
			/* one byte at a time: the next may start a good sequence */
			o += (size_t)sprintf(out + o, "\\x%02x", c);
			i++;
			continue;
		}
		memcpy(out + o, s + i, len);
		o += len;
		i += len;
	}
	out[o] = '\0';
	return out;
}

/* The last message, escaped (it may name a file of the stick), or a fallback. */
static char *last_message(void)
{
	const char *m = svd_error_last();

	return escaped(*m ? m : "failed");
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
	svd_bundle_cbs cbs = {on_item, on_damage, NULL, s, on_update, NULL};
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
 * Import one bundle of the stick in an operation of its own, unless the
 * caller's record knows it. A bundle that cannot be read is reported and
 * passed over; only a busy or broken archive, or a caller that wants to
 * stop, ends the sync (a negative return).
 */
static int import_one(syncer *s, const char *name)
{
	svd_stick_file f = {0};
	svd_stick_event ev = {0};
	svd_bundle_cbs cbs = {on_item, on_damage, on_progress, s, on_update, NULL};
	svd_bundle_stats bs;
	svd_txn *txn = NULL;
	struct stat st, st2;
	char sha[2 * SVD_SHA256_BYTES + 1], commit[SVD_COMMIT_HEX_LEN + 1] = "";
	char *path = NULL, *shown = NULL, why[512];
	const char *outcome;
	int fd = -1, error = 0, bad;

	if (!(path = svd_path_join(s->bundles, name)) || !(shown = escaped(path))) {
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

	if (statvfs(s->bundles, &vfs) < 0) {
		m->failed = 1;
		return emitf(s, SVD_STICK_MIRROR_FAILED, NULL, mirror,
		             "%s: cannot read the free space: %s; nothing written for %s",
		             s->shown_bundles, svd_ioerr(errno), mirror);
	}
	room = (uint64_t)vfs.f_bavail * vfs.f_frsize;
	if (room <= SVD_STICK_MARGIN + MIN_ROOM) {
		m->failed = 1;
		return emitf(s, SVD_STICK_MIRROR_FAILED, NULL, mirror,
		             "%s: only %llu bytes free; nothing written for %s (make room on the "
		             "stick)",
		             s->shown_bundles, (unsigned long long)room, mirror);
	}
	budget = room - SVD_STICK_MARGIN;
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	len = strlen(s->scratch) + strlen(mirror) + 64;
	if (!(out = malloc(len))) {
		error = svd_error_set(SVD_ERROR, "out of memory");
		goto cleanup;
	}
	snprintf(out, len, "%s/for-%s-%s%s", s->scratch, mirror, stamp, SUFFIX);
	eo.have_path = have_path;
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
		if (!(dest = svd_path_join(s->bundles, base))) {
			error = svd_error_set(SVD_ERROR, "out of memory");
			goto cleanup;
		}
		if (copy_file(res.files[i], dest, sha) < 0) {
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
		         m->left, res.nfiles, mirror, (unsigned long long)budget, s->shown_bundles);
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
 * The other mirror whose have-file is have/name: check the name and the
 * file, add what the stick carries to its list, and write what is still
 * missing. Only an archive that cannot be read or a caller that stops ends
 * the sync (a negative return).
 */
static int write_for(syncer *s, const char *name)
{
	svd_stick_mirror *m = NULL;
	svd_have *h = NULL, *carry = NULL;
	char *mirror = NULL, *path = NULL, *shown = NULL, *merged = NULL;
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
	/* what the stick carries already is left out too, so that an item travels once */
	len = strlen(s->scratch) + strlen(mirror) + 32;
	if (!(merged = malloc(len))) {
		error = svd_error_set(SVD_ERROR, "out of memory");
		goto cleanup;
	}
	snprintf(merged, len, "%s/have-%s.tmp", s->scratch, mirror);
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
	svd_have_free(h);
	free(merged);
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
	int error;

	if ((error = svd_dir_fsync(s->havedir)) < 0 ||
	    (stick_dir(s->bundles, 0, NULL) == 0 && (error = svd_dir_fsync(s->bundles)) < 0) ||
	    (error = svd_dir_fsync(s->root)) < 0 ||
	    (s->made_root && (error = svd_dir_fsync(s->stick)) < 0)) {
		char *msg = last_message();
		error = svd_error_set(error,
		                      "cannot flush the files to the stick: %s; do not "
		                      "remove it",
		                      msg ? msg : "");
		free(msg);
	}
	return error;
}

int svd_stick_sync(svd_archive *a, const char *stick, const svd_stick_opts *opts,
                   svd_stick_result *result)
{
	static const svd_stick_opts none = {0};
	syncer s;
	svd_stick_event ev = {0};
	struct stat st;
	char **names = NULL, *own = NULL, *shown_own = NULL;
	size_t n = 0, i;
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
	if ((error = paths(&s, stick)) < 0 || (error = stick_dir(s.root, 1, &s.made_root)) < 0 ||
	    (error = stick_dir(s.bundles, 0, NULL)) < 0 ||
	    (error = stick_dir(s.havedir, 0, NULL)) < 0) {
		if (error == SVD_ERROR) {
			char *msg = last_message();
			error = svd_error_set(error,
			                      "%s; nothing was read from the stick or written "
			                      "to it",
			                      msg ? msg : "");
			free(msg);
		}
		goto cleanup;
	}
	error = 0;

	/* 1. import what the stick carries */
	drop_parts(&s);
	if ((error = list_dir(&names, &n, s.bundles, SUFFIX)) < 0)
		goto cleanup;
	for (i = 0; i < n; i++)
		if ((error = import_one(&s, names[i])) < 0)
			goto cleanup;
	free_list(names, n);
	names = NULL;
	result->carried = carry_items(&s);

	/* 2. write for each other mirror what it lacks */
	if ((error = list_dir(&names, &n, s.havedir, HAVE_SUFFIX)) < 0)
		goto cleanup;
	if ((error = stick_dir(s.bundles, 1, NULL)) < 0) {
		/* reported; writing for each mirror then fails and says so */
		char *msg = last_message();
		error = emitf(&s, SVD_STICK_WARNING, NULL, NULL, "%s", msg ? msg : "");
		free(msg);
		if (error < 0)
			goto cleanup;
	}
	if (n && (error = scratch_dir(s.scratch)) < 0)
		goto cleanup;
	for (i = 0; i < n; i++)
		if ((error = write_for(&s, names[i])) < 0)
			goto cleanup;

	/* 3. replace this mirror's have-file */
	if (!(own = malloc(strlen(s.havedir) + SVD_MIRROR_ID_LEN + sizeof(HAVE_SUFFIX) + 1))) {
		error = svd_error_set(SVD_ERROR, "out of memory");
		goto cleanup;
	}
	sprintf(own, "%s/%s%s", s.havedir, svd_archive_mirror_id(a), HAVE_SUFFIX);
	if (!(shown_own = escaped(own))) {
		error = SVD_ERROR;
		goto cleanup;
	}
	if ((error = stick_dir(s.havedir, 1, NULL)) < 0 || (error = svd_have_write(a, own)) < 0) {
		char *msg = last_message();
		error = svd_error_set(error == SVD_ENOTFOUND ? SVD_ERROR : error,
		                      "cannot write this mirror's have-file %s: %s; do not remove "
		                      "the stick yet (is it full or read-only?)",
		                      shown_own, msg ? msg : "");
		free(msg);
		goto cleanup;
	}
	if (!(result->have = svd_strdup(shown_own))) {
		error = SVD_ERROR;
		goto cleanup;
	}
	ev.step = SVD_STICK_HAVE_WRITTEN;
	{
		svd_stick_file f = {0};
		f.path = own;
		f.shown = shown_own;
		if (stat(own, &st) == 0)
			file_stat(&f, &st);
		ev.file = &f;
		if ((error = emit(&s, &ev)) < 0)
			goto cleanup;
	}

	/* 4. flush: then it may be removed */
	if ((error = flush(&s)) < 0)
		goto cleanup;
	result->safe = 1;
cleanup:
	free_list(names, n);
	free(own);
	free(shown_own);
	free(s.carry);
	free(s.stick);
	free(s.root);
	free(s.bundles);
	free(s.havedir);
	free(s.scratch);
	free(s.shown_bundles);
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
	memset(result, 0, sizeof(*result));
}
