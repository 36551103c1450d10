/*
 * inbox.c: bundles arriving in the inbox folders, and couriers' sticks.
 * See inbox.h for what it does; the library does the importing.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include <samvydav/samvydav.h>
#include <samvydav/bundle.h>

#include "inbox.h"
#include "log.h"

#define STATE_DIR     "daemon-state"
#define IMPORTED_FILE "imported"
#define OUTGOING_DIR  "outgoing"
#define BUSY_RETRY_MS 5000                    /* the archive's write lock is held */
#define STICK_CAP     (3900ull * 1024 * 1024) /* FAT32 takes at most 4 GiB a file */
#define STICK_MARGIN  (16ull * 1024 * 1024)   /* free space left on a stick */
#define HASH_HEX      (crypto_hash_sha256_BYTES * 2)
#define SUFFIX        ".tar.zst"

/* A bundle already handled: its content hash and where it was last seen. */
typedef struct record {
	char sha[HASH_HEX + 1];
	uint64_t size, dev, ino;
	int64_t mtime_ns;
	char outcome[16]; /* imported, refused, written */
	char *path;
} record;

/* A file waiting for its size and mtime to settle. */
typedef struct pending {
	char *path;
	uint64_t size, dev, ino;
	int64_t mtime_ns;
	int64_t changed; /* monotonic ms when last seen changing (or first seen) */
	int64_t retry;   /* not before this (a busy archive) */
	int seen;        /* in the current scan */
} pending;

/* A stick folder (FOLDER/samvydav) and where its sync stands. */
typedef struct stick {
	uint64_t dev, ino;
	uint64_t print;  /* names, sizes and mtimes of its files, hashed */
	int64_t changed; /* monotonic ms when the print last changed */
	int64_t retry;
	int synced; /* this stick (dev, ino) has been synced */
} stick;

struct svdd_inbox {
	int fd; /* inotify, or -1 */
	char **folders;
	int *wd;
	stick *sticks;
	size_t nfolders;
	unsigned settle, rescan;
	int64_t next_scan;
	pending *pend;
	size_t npend;
	record *rec;
	size_t nrec;
	int loaded;
	char *archive;
};

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t mtime_ns(const struct stat *st)
{
	return (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
}

static int has_suffix(const char *name, const char *suffix)
{
	size_t n = strlen(name), s = strlen(suffix);

	return n > s && !strcmp(name + n - s, suffix);
}

/* fsync a folder, so that a rename or a new file in it survives a power cut. */
static int fsync_dir(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC), r;

	if (fd < 0)
		return -1;
	r = fsync(fd);
	close(fd);
	return r;
}

static int fsync_path(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), r;

	if (fd < 0)
		return -1;
	r = fsync(fd);
	close(fd);
	return r;
}

/* ----------------------------------------------------------------- records */

static void records_clear(svdd_inbox *ib)
{
	size_t i;

	for (i = 0; i < ib->nrec; i++)
		free(ib->rec[i].path);
	free(ib->rec);
	ib->rec = NULL;
	ib->nrec = 0;
	ib->loaded = 0;
}

static int records_add(svdd_inbox *ib, const record *r)
{
	record *grown = realloc(ib->rec, (ib->nrec + 1) * sizeof(*grown));

	if (!grown)
		return -1;
	ib->rec = grown;
	grown[ib->nrec] = *r;
	if (!(grown[ib->nrec].path = strdup(r->path ? r->path : "-")))
		return -1;
	ib->nrec++;
	return 0;
}

/* Read ARCHIVE/daemon-state/imported once; a line that does not parse is skipped. */
static int records_save(svdd_inbox *ib);

static void records_load(svdd_inbox *ib)
{
	char path[4096], line[8192];
	int torn = 0;
	FILE *f;

	if (ib->loaded)
		return;
	ib->loaded = 1;
	snprintf(path, sizeof(path), "%s/%s/%s", ib->archive, STATE_DIR, IMPORTED_FILE);
	if (!(f = fopen(path, "r"))) {
		if (errno != ENOENT)
			svdd_log(SVDD_WARN,
			         "%s: cannot read the bundles already imported: %s; a bundle "
			         "seen before may be imported again (harmless)",
			         path, strerror(errno));
		return;
	}
	while (fgets(line, sizeof(line), f)) {
		record r = {0};
		unsigned long long size, dev, ino;
		long long mt;
		int at = 0;

		torn = !strchr(line, '\n');
		line[strcspn(line, "\n")] = '\0';
		if (*line == '#' || !*line)
			continue;
		if (sscanf(line, "%64[0-9a-f] %llu %lld %llu %llu %15s %n", r.sha, &size, &mt, &ino,
		           &dev, r.outcome, &at) < 6 ||
		    strlen(r.sha) != HASH_HEX || !at)
			continue;
		r.size = size;
		r.mtime_ns = mt;
		r.ino = ino;
		r.dev = dev;
		r.path = line + at;
		if (records_add(ib, &r) < 0)
			break;
	}
	fclose(f);
	/* a line cut short by a crash: write the file again without it, so
	   that the next record appended does not run into it */
	if (torn)
		records_save(ib);
}

/* The record could not be written: say so (the next import of that bundle is harmless). */
static int records_warn(const char *dir)
{
	svdd_log(SVDD_WARN,
	         "%s/%s: cannot record the bundles already imported: %s; a bundle seen again "
	         "will be imported again (harmless); check that the daemon can write there",
	         dir, IMPORTED_FILE, strerror(errno));
	return -1;
}

#define RECORDS_HEAD                                                                               \
	"# samvydavd: bundles seen in the inbox and on sticks, one a line:\n"                      \
	"# sha256 size mtime-ns inode device outcome path\n"

static int record_line(char *buf, size_t size, const record *r)
{
	return snprintf(buf, size, "%s %llu %lld %llu %llu %s %s\n", r->sha,
	                (unsigned long long)r->size, (long long)r->mtime_ns,
	                (unsigned long long)r->ino, (unsigned long long)r->dev, r->outcome,
	                r->path);
}

/* Write the records atomically: a temporary file, fsync, rename, fsync the folder. */
static int records_save(svdd_inbox *ib)
{
	char dir[4096], path[4200], tmp[4300];
	FILE *f;
	size_t i;
	int fd;

	snprintf(dir, sizeof(dir), "%s/%s", ib->archive, STATE_DIR);
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		goto fail;
	snprintf(path, sizeof(path), "%s/%s", dir, IMPORTED_FILE);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) < 0)
		goto fail;
	if (!(f = fdopen(fd, "w"))) {
		close(fd);
		goto fail;
	}
	fputs(RECORDS_HEAD, f);
	for (i = 0; i < ib->nrec; i++) {
		char buf[8192];
		if (record_line(buf, sizeof(buf), &ib->rec[i]) < (int)sizeof(buf))
			fputs(buf, f);
	}
	if (fflush(f) != 0 || fsync(fileno(f)) < 0) {
		fclose(f);
		unlink(tmp);
		goto fail;
	}
	if (fclose(f) != 0 || rename(tmp, path) < 0) {
		unlink(tmp);
		goto fail;
	}
	fsync_dir(dir);
	return 0;
fail:
	return records_warn(dir);
}

/*
 * Add one record at the end of the file and fdatasync it: one short write
 * per bundle, where writing the whole file again each time would cost
 * O(n) per bundle on an inbox of thousands. A crash mid-write leaves a
 * torn last line, which records_load() drops.
 */
static int records_append(svdd_inbox *ib, const record *r)
{
	char dir[4096], path[4200], buf[8192];
	struct stat st;
	int fd, len, fresh = 0, e = 0;

	snprintf(dir, sizeof(dir), "%s/%s", ib->archive, STATE_DIR);
	if (mkdir(dir, 0755) == 0)
		fresh = 1;
	else if (errno != EEXIST)
		goto fail;
	snprintf(path, sizeof(path), "%s/%s", dir, IMPORTED_FILE);
	if ((fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644)) < 0)
		goto fail;
	if (fstat(fd, &st) == 0 && st.st_size == 0) {
		fresh = 1;
		if (write(fd, RECORDS_HEAD, strlen(RECORDS_HEAD)) < 0)
			e = errno;
	}
	len = record_line(buf, sizeof(buf), r);
	if (!e && len < (int)sizeof(buf) && write(fd, buf, (size_t)len) != len)
		e = errno ? errno : EIO;
	if (!e && fdatasync(fd) < 0)
		e = errno;
	close(fd);
	if (e) {
		errno = e;
		goto fail;
	}
	if (fresh)
		fsync_dir(dir);
	return 0;
fail:
	return records_warn(dir);
}

static const record *record_by_stat(const svdd_inbox *ib, const struct stat *st)
{
	size_t i;

	for (i = 0; i < ib->nrec; i++) {
		const record *r = &ib->rec[i];
		if (r->dev == (uint64_t)st->st_dev && r->ino == (uint64_t)st->st_ino &&
		    r->size == (uint64_t)st->st_size && r->mtime_ns == mtime_ns(st))
			return r;
	}
	return NULL;
}

static const record *record_by_sha(const svdd_inbox *ib, const char *sha)
{
	size_t i;

	for (i = 0; i < ib->nrec; i++)
		if (!strcmp(ib->rec[i].sha, sha))
			return &ib->rec[i];
	return NULL;
}

static void remember(svdd_inbox *ib, const char *sha, const struct stat *st, const char *outcome,
                     const char *path)
{
	record r = {0};

	snprintf(r.sha, sizeof(r.sha), "%s", sha);
	r.size = (uint64_t)st->st_size;
	r.mtime_ns = mtime_ns(st);
	r.ino = (uint64_t)st->st_ino;
	r.dev = (uint64_t)st->st_dev;
	snprintf(r.outcome, sizeof(r.outcome), "%s", outcome);
	r.path = (char *)path;
	if (records_add(ib, &r) < 0)
		svdd_log(SVDD_ERROR, "inbox: out of memory");
	else
		records_append(ib, &r);
}

/* SHA-256 of an open file's content, from its start. */
static int hash_fd(char out[HASH_HEX + 1], int fd)
{
	crypto_hash_sha256_state s;
	unsigned char buf[65536], digest[crypto_hash_sha256_BYTES];
	ssize_t n;
	off_t at = 0;

	crypto_hash_sha256_init(&s);
	while ((n = pread(fd, buf, sizeof(buf), at)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		crypto_hash_sha256_update(&s, buf, (unsigned long long)n);
		at += n;
	}
	crypto_hash_sha256_final(&s, digest);
	sodium_bin2hex(out, HASH_HEX + 1, digest, sizeof(digest));
	return 0;
}

/* ----------------------------------------------------------------- import */

/* Item ids (64 hex digits each), gathered from the bundles a stick carries. */
typedef struct idset {
	char (*id)[HASH_HEX + 1];
	size_t n, cap;
} idset;

static void idset_add(idset *s, const char *id)
{
	if (!id || strlen(id) != HASH_HEX)
		return;
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 256;
		char(*grown)[HASH_HEX + 1] = realloc(s->id, cap * sizeof(*grown));
		if (!grown)
			return; /* at worst an item travels twice */
		s->id = grown;
		s->cap = cap;
	}
	memcpy(s->id[s->n++], id, HASH_HEX + 1);
}

typedef struct ictx {
	const char *path;
	idset *carry; /* or NULL */
	int quiet;    /* only gather ids */
} ictx;

static int on_item(const svd_verdict *v, void *payload)
{
	ictx *x = payload;
	const char *id = svd_verdict_id(v);
	size_t i;

	if (x->carry && svd_verdict_ok(v))
		idset_add(x->carry, id);
	if (x->quiet)
		return 0;
	for (i = 0; i < svd_verdict_problem_count(v); i++) {
		const char *file, *check, *msg;
		svd_verdict_problem(v, i, &file, &check, &msg);
		svdd_log(SVDD_WARN, "inbox: %s: refused %s: %s: %s: %s", x->path, id ? id : "-",
		         file, check, msg);
	}
	for (i = 0; i < svd_verdict_dropped_count(v); i++) {
		const char *file, *msg;
		svd_verdict_dropped(v, i, &file, &msg);
		svdd_log(SVDD_WARN, "inbox: %s: %s: left out %s: %s", x->path, id ? id : "-", file,
		         msg);
	}
	return 0;
}

static void on_damage(uint64_t offset, uint64_t length, const char *what, void *payload)
{
	ictx *x = payload;

	if (x->quiet)
		return;
	svdd_log(SVDD_WARN, "inbox: %s: damaged at byte %llu (%llu bytes): %s", x->path,
	         (unsigned long long)offset, (unsigned long long)length, what);
}

enum { IMP_DONE = 0, IMP_BUSY = 1, IMP_GONE = 2, IMP_FAIL = 3, IMP_CHANGED = 4 };

/*
 * Import one settled bundle, unless its content was seen before. One
 * operation, one commit. *added counts the items added to main.
 */
/* The ids of the sound items of a bundle already seen, read without importing. */
static void carry_inspect(svdd_inbox *ib, svd_archive **a, const char *path, idset *carry)
{
	ictx x = {path, carry, 1};
	svd_bundle_cbs cbs = {on_item, on_damage, NULL, &x};
	svd_bundle_stats bs;

	if (!*a && svd_archive_open(a, ib->archive) < 0)
		return;
	svd_bundle_inspect(path, svd_archive_trust(*a), &cbs, &bs);
}

static int import_bundle(svdd_inbox *ib, svd_archive **a, const char *path, size_t *added,
                         idset *carry)
{
	struct stat st, st2;
	char sha[HASH_HEX + 1], commit[SVD_COMMIT_HEX_LEN + 1] = "";
	svd_bundle_stats bs;
	svd_txn *txn = NULL;
	ictx x = {path, carry, 0};
	svd_bundle_cbs cbs = {on_item, on_damage, NULL, &x};
	const record *known;
	int fd, error, ret = IMP_DONE;

	records_load(ib);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) < 0) {
		if (errno == ENOENT)
			return IMP_GONE;
		svdd_log(SVDD_WARN, "inbox: %s: cannot open: %s; trying again at the next rescan",
		         path, strerror(errno));
		return IMP_FAIL;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return IMP_GONE;
	}
	if (record_by_stat(ib, &st)) {
		close(fd);
		if (carry)
			carry_inspect(ib, a, path, carry);
		return IMP_DONE;
	}
	if (hash_fd(sha, fd) < 0 || fstat(fd, &st2) < 0) {
		svdd_log(SVDD_WARN, "inbox: %s: cannot read: %s; trying again at the next rescan",
		         path, strerror(errno));
		close(fd);
		return IMP_FAIL;
	}
	close(fd);
	if (st2.st_size != st.st_size || mtime_ns(&st2) != mtime_ns(&st))
		return IMP_CHANGED;
	if ((known = record_by_sha(ib, sha))) {
		svdd_log(SVDD_INFO,
		         "inbox: %s: the same bundle as %s (sha256 %.16s..., %s); not importing it "
		         "again",
		         path, known->path, sha, known->outcome);
		remember(ib, sha, &st, "duplicate", path);
		if (carry)
			carry_inspect(ib, a, path, carry);
		return IMP_DONE;
	}
	if (!*a && svd_archive_open(a, ib->archive) < 0) {
		svdd_log(SVDD_ERROR, "inbox: %s: %s; trying again at the next rescan", path,
		         svd_error_last());
		return IMP_FAIL;
	}
	if ((error = svd_txn_begin(&txn, *a)) < 0) {
		if (error == SVD_ELOCKED) {
			svdd_log(SVDD_WARN,
			         "inbox: %s: the archive is busy (%s); trying again soon", path,
			         svd_error_last());
			return IMP_BUSY;
		}
		svdd_log(SVDD_ERROR, "inbox: %s: %s; trying again at the next rescan", path,
		         svd_error_last());
		return IMP_FAIL;
	}
	memset(&bs, 0, sizeof(bs));
	error = svd_bundle_import(txn, path, &cbs, &bs);
	if (error == SVD_ENOTFOUND) {
		ret = IMP_GONE;
		goto cleanup;
	}
	if (error < 0 && error != SVD_ECORRUPT) {
		svdd_log(SVDD_ERROR,
		         "inbox: %s: cannot import: %s; trying again at the next rescan", path,
		         svd_error_last());
		ret = IMP_FAIL;
		goto cleanup;
	}
	if (svd_txn_commit(txn, NULL, commit) < 0) {
		svdd_log(SVDD_ERROR,
		         "inbox: %s: cannot commit what was imported: %s; trying again at the next "
		         "rescan",
		         path, svd_error_last());
		ret = IMP_FAIL;
		goto cleanup;
	}
	{
		const svd_txn_stats *ts = svd_txn_stats_get(txn);
		int bad = error == SVD_ECORRUPT;
		if (bad && !bs.items && !bs.declared)
			svdd_log(SVDD_WARN,
			         "inbox: %s: refused: not a readable bundle (no item in it; see "
			         "%s/refused/); the file is left where it is",
			         path, ib->archive);
		else
			svdd_log(bad ? SVDD_WARN : SVDD_INFO,
			         "inbox: %s: imported: %zu items: %zu added, %zu co-signed, %zu "
			         "already here, %zu refused, %zu lost to damage%s%.12s",
			         path, bs.declared ? bs.declared : bs.items, ts->added,
			         ts->cosigned, ts->unchanged, bs.refused, bs.lost,
			         *commit ? "; main at " : "", commit);
		if (added)
			*added += ts->added;
		remember(ib, sha, &st,
		         bad && !bs.items && !bs.declared ? "refused"
		         : bad                            ? "partly"
		                                          : "imported",
		         path);
		/* the crash tests' point: committed and recorded (pause.h) */
		svd_pause_point("inbox.recorded");
	}
cleanup:
	svd_txn_free(txn);
	return ret;
}

/* ----------------------------------------------------------------- sticks */

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	const unsigned char *c = p;

	while (n--)
		h = (h ^ *c++) * 1099511628211ull;
	return h;
}

/* Hash the names, sizes and mtimes of the files under one stick folder. */
static uint64_t print_dir(uint64_t h, const char *dir)
{
	char path[4096];
	struct dirent *e;
	struct stat st;
	DIR *d = opendir(dir);

	if (!d)
		return fnv(h, "-", 1);
	while ((e = readdir(d))) {
		int64_t mt;
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (stat(path, &st) < 0)
			continue;
		mt = mtime_ns(&st);
		/* order-free: a sum of per-file hashes */
		h += fnv(fnv(fnv(14695981039346656037ull, e->d_name, strlen(e->d_name)),
		             &st.st_size, sizeof(st.st_size)),
		         &mt, sizeof(mt));
	}
	closedir(d);
	return h;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The sorted names in dir that end in suffix (the caller frees). */
static char **list_dir(const char *dir, const char *suffix, size_t *n)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **list = NULL, **grown;

	*n = 0;
	if (!d)
		return NULL;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.' || !has_suffix(e->d_name, suffix))
			continue;
		if (!(grown = realloc(list, (*n + 1) * sizeof(*grown))))
			break;
		list = grown;
		if (!(list[*n] = strdup(e->d_name)))
			break;
		(*n)++;
	}
	closedir(d);
	if (*n)
		qsort(list, *n, sizeof(*list), cmp_str);
	return list;
}

static void free_list(char **list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(list[i]);
	free(list);
}

static int safe_name(const char *s)
{
	if (!*s || *s == '.')
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '.' || *s == '_' || *s == '-'))
			return 0;
	return 1;
}

/* Copy from into dest (a temporary name, fsync, rename); the SHA-256 of what was copied. */
static int copy_file(const char *from, const char *dest, char sha[HASH_HEX + 1])
{
	char tmp[4500], buf[65536];
	unsigned char digest[crypto_hash_sha256_BYTES];
	crypto_hash_sha256_state s;
	int in, out, e = 0;
	ssize_t n;

	snprintf(tmp, sizeof(tmp), "%s.part", dest);
	if ((in = open(from, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	if ((out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) < 0) {
		e = errno;
		close(in);
		errno = e;
		return -1;
	}
	crypto_hash_sha256_init(&s);
	while ((n = read(in, buf, sizeof(buf))) != 0) {
		ssize_t done = 0;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			e = errno;
			break;
		}
		crypto_hash_sha256_update(&s, (unsigned char *)buf, (unsigned long long)n);
		while (done < n) {
			ssize_t w = write(out, buf + done, (size_t)(n - done));
			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0) {
				e = errno;
				break;
			}
			done += w;
		}
		if (e)
			break;
	}
	if (!e && fsync(out) < 0)
		e = errno;
	close(in);
	if (close(out) < 0 && !e)
		e = errno;
	if (!e && rename(tmp, dest) < 0)
		e = errno;
	if (e) {
		unlink(tmp);
		errno = e;
		return -1;
	}
	crypto_hash_sha256_final(&s, digest);
	sodium_bin2hex(sha, HASH_HEX + 1, digest, sizeof(digest));
	return 0;
}

static int cmp_id(const void *a, const void *b)
{
	return memcmp(a, b, HASH_HEX);
}

/*
 * A have-file for mirror that lists what its own have-file lists and what
 * the stick already carries, written to out (in the archive's state
 * folder), so that an item travels once. have_path was checked already.
 */
static int merged_have(const char *out, const char *have_path, const char *mirror,
                       const idset *carry)
{
	idset all = {0};
	char line[256], created[32];
	time_t now = time(NULL);
	struct tm tm;
	size_t i, j, lineno = 0;
	FILE *in, *f;
	int ok;

	if (!(in = fopen(have_path, "r")))
		return -1;
	while (fgets(line, sizeof(line), in))
		if (++lineno > 4) {
			line[strcspn(line, "\n")] = '\0';
			idset_add(&all, line);
		}
	fclose(in);
	for (i = 0; i < carry->n; i++)
		idset_add(&all, carry->id[i]);
	if (all.n)
		qsort(all.id, all.n, sizeof(*all.id), cmp_id);
	for (i = j = 0; i < all.n; i++)
		if (!j || memcmp(all.id[j - 1], all.id[i], HASH_HEX))
			memmove(all.id[j++], all.id[i], HASH_HEX + 1);
	gmtime_r(&now, &tm);
	strftime(created, sizeof(created), "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (!(f = fopen(out, "w"))) {
		free(all.id);
		return -1;
	}
	fprintf(f, "samvydav have 1\nmirror %s\ncreated %s\ncount %zu\n", mirror, created, j);
	for (i = 0; i < j; i++)
		fprintf(f, "%s\n", all.id[i]);
	ok = fflush(f) == 0 && !ferror(f);
	ok = fclose(f) == 0 && ok;
	free(all.id);
	return ok ? 0 : -1;
}

/*
 * Write for the mirror of have_path a bundle of what it lacks, into the
 * stick's bundles folder, within budget bytes. Returns the files written
 * (0 when it lacks nothing), or -1.
 */
static int export_for(svdd_inbox *ib, svd_archive *a, const svdd_config *c, const char *bundles,
                      const char *mirror, const char *have_path, size_t *items)
{
	svd_export_opts opts = {0};
	svd_export_result res = {0};
	struct statvfs vfs;
	uint64_t free_bytes, budget, cap = c->outbox_maxsize ? c->outbox_maxsize : STICK_CAP,
	                             used = 0;
	char out[4600], tmpdir[4096], stamp[32], dest[4400], sha[HASH_HEX + 1];
	time_t now = time(NULL);
	struct tm tm;
	size_t i, written = 0, left = 0;
	int error;

	if (statvfs(bundles, &vfs) < 0) {
		svdd_log(SVDD_WARN,
		         "stick: %s: cannot read the free space: %s; nothing written for %s",
		         bundles, strerror(errno), mirror);
		return -1;
	}
	free_bytes = (uint64_t)vfs.f_bavail * vfs.f_frsize;
	if (free_bytes <= STICK_MARGIN + 1024 * 1024) {
		svdd_log(SVDD_WARN,
		         "stick: %s: only %llu bytes free; nothing written for %s (make room on "
		         "the stick)",
		         bundles, (unsigned long long)free_bytes, mirror);
		return -1;
	}
	budget = free_bytes - STICK_MARGIN;
	snprintf(tmpdir, sizeof(tmpdir), "%s/%s", ib->archive, STATE_DIR);
	mkdir(tmpdir, 0755);
	snprintf(tmpdir, sizeof(tmpdir), "%s/%s/%s", ib->archive, STATE_DIR, OUTGOING_DIR);
	if (mkdir(tmpdir, 0755) < 0 && errno != EEXIST) {
		svdd_log(SVDD_ERROR,
		         "stick: %s: cannot make the folder: %s; nothing written for %s", tmpdir,
		         strerror(errno), mirror);
		return -1;
	}
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	snprintf(out, sizeof(out), "%s/for-%s-%s%s", tmpdir, mirror, stamp, SUFFIX);
	opts.have_path = have_path;
	opts.max_size = budget < cap ? budget : cap;
	opts.threads = 1;
	if ((error = svd_export(a, out, &opts, &res)) < 0) {
		svdd_log(SVDD_WARN, "stick: cannot write a bundle for %s from %s: %s", mirror,
		         have_path, svd_error_last());
		svd_export_result_clear(&res);
		return -1;
	}
	*items = 0;
	for (i = 0; i < res.nfiles; i++) {
		struct stat st;
		const char *base = strrchr(res.files[i], '/');
		base = base ? base + 1 : res.files[i];
		if (res.nfiles == 1) /* not split: for-MIRROR-STAMP.tar.zst, without .1 */
			base = strrchr(out, '/') + 1;
		if (!res.items || stat(res.files[i], &st) < 0 ||
		    used + (uint64_t)st.st_size > budget) {
			left += res.items ? 1 : 0;
			unlink(res.files[i]);
			continue;
		}
		snprintf(dest, sizeof(dest), "%s/%s", bundles, base);
		if (copy_file(res.files[i], dest, sha) < 0) {
			svdd_log(SVDD_WARN, "stick: cannot write %s: %s", dest, strerror(errno));
			left++;
			unlink(res.files[i]);
			continue;
		}
		unlink(res.files[i]);
		used += (uint64_t)st.st_size;
		written++;
		if (stat(dest, &st) == 0)
			remember(ib, sha, &st, "written", dest); /* never imported back */
		svdd_log(SVDD_INFO, "stick: wrote %s for %s (%llu bytes)", dest, mirror,
		         (unsigned long long)st.st_size);
	}
	if (left)
		svdd_log(SVDD_WARN,
		         "stick: %zu of %zu files for %s did not fit in the %llu bytes free on %s; "
		         "they will go on the next trip",
		         left, res.nfiles, mirror, (unsigned long long)budget, bundles);
	if (res.items && written)
		*items = res.items;
	svd_export_result_clear(&res);
	return (int)written;
}

/* Sync with the stick in FOLDER/samvydav: import, export for each mirror, own have-file. */
static int stick_sync(svdd_inbox *ib, const svdd_config *c, const char *root,
                      volatile sig_atomic_t *stop)
{
	char bundles[4200], havedir[4200], path[4400], own[4400];
	char **names;
	size_t n, i, imported = 0, added = 0, mirrors = 0, files = 0;
	svd_archive *a = NULL;
	idset carry = {0};
	const char *me;
	int r, ret = 0;

	snprintf(bundles, sizeof(bundles), "%s/bundles", root);
	snprintf(havedir, sizeof(havedir), "%s/have", root);
	svdd_log(SVDD_INFO, "stick %s: syncing", root);
	names = list_dir(bundles, SUFFIX, &n);
	for (i = 0; i < n && !*stop; i++) {
		snprintf(path, sizeof(path), "%s/%s", bundles, names[i]);
		r = import_bundle(ib, &a, path, &added, &carry);
		if (r == IMP_BUSY) {
			ret = IMP_BUSY;
			break;
		}
		if (r == IMP_DONE)
			imported++;
	}
	free_list(names, n);
	if (ret || *stop)
		goto cleanup;
	if (!a && svd_archive_open(&a, ib->archive) < 0) {
		svdd_log(SVDD_ERROR, "stick %s: %s", root, svd_error_last());
		ret = IMP_FAIL;
		goto cleanup;
	}
	me = svd_archive_mirror_id(a);
	snprintf(path, sizeof(path), "%s/%s", ib->archive, STATE_DIR);
	mkdir(path, 0755);
	if (mkdir(bundles, 0755) < 0 && errno != EEXIST)
		svdd_log(SVDD_WARN, "stick %s: cannot make %s: %s", root, bundles, strerror(errno));
	names = list_dir(havedir, ".have", &n);
	for (i = 0; i < n && !*stop; i++) {
		char mirror[256];
		svd_have *h = NULL;
		size_t items = 0;
		int w;

		snprintf(mirror, sizeof(mirror), "%.*s", (int)(strlen(names[i]) - 5), names[i]);
		if (!strcmp(mirror, me))
			continue;
		snprintf(path, sizeof(path), "%s/%s", havedir, names[i]);
		if (!safe_name(mirror)) {
			svdd_log(SVDD_WARN, "stick %s: %s: not a mirror's name; skipped", root,
			         path);
			continue;
		}
		if (svd_have_read(&h, path) < 0) {
			svdd_log(SVDD_WARN, "stick %s: %s: refused: %s; nothing written for it",
			         root, path, svd_error_last());
			continue;
		}
		if (strcmp(svd_have_mirror(h), mirror))
			svdd_log(SVDD_WARN, "stick %s: %s says it is mirror %s; writing for %s",
			         root, path, svd_have_mirror(h), mirror);
		svd_have_free(h);
		if (carry.n) {
			/* what the stick carries already is left out too */
			char merged[4700];
			snprintf(merged, sizeof(merged), "%s/%s/have-%s.tmp", ib->archive,
			         STATE_DIR, mirror);
			if (merged_have(merged, path, mirror, &carry) < 0) {
				svdd_log(SVDD_WARN,
				         "stick %s: %s: cannot write: %s; nothing written for %s",
				         root, merged, strerror(errno), mirror);
				unlink(merged);
				continue;
			}
			w = export_for(ib, a, c, bundles, mirror, merged, &items);
			unlink(merged);
		} else {
			w = export_for(ib, a, c, bundles, mirror, path, &items);
		}
		if (w > 0) {
			mirrors++;
			files += (size_t)w;
		} else if (w == 0) {
			svdd_log(SVDD_INFO, "stick %s: mirror %s lacks nothing; no bundle for it",
			         root, mirror);
		}
	}
	free_list(names, n);
	if (*stop) {
		ret = IMP_FAIL;
		goto cleanup;
	}
	if (mkdir(havedir, 0755) < 0 && errno != EEXIST)
		svdd_log(SVDD_WARN, "stick %s: cannot make %s: %s", root, havedir, strerror(errno));
	snprintf(own, sizeof(own), "%s/%s.have", havedir, me);
	if (svd_have_write(a, own) < 0) {
		svdd_log(SVDD_ERROR,
		         "stick %s: cannot write this mirror's have-file %s: %s; do not remove the "
		         "stick yet (is it full or read-only?)",
		         root, own, svd_error_last());
		ret = IMP_FAIL;
		goto cleanup;
	}
	if (fsync_path(own) < 0 || fsync_dir(havedir) < 0 || fsync_dir(bundles) < 0 ||
	    fsync_dir(root) < 0) {
		svdd_log(SVDD_ERROR,
		         "stick %s: cannot flush the files to the stick: %s; do not remove it",
		         root, strerror(errno));
		ret = IMP_FAIL;
		goto cleanup;
	}
	svdd_log(SVDD_INFO,
	         "stick %s: %zu bundles read (%zu items added), %zu files written for %zu "
	         "mirror%s, have-file %s written; you may remove it now",
	         root, imported, added, files, mirrors, mirrors == 1 ? "" : "s", own);
cleanup:
	free(carry.id);
	svd_archive_free(a);
	return ret;
}

/* ----------------------------------------------------------------- scanning */

static pending *pending_find(svdd_inbox *ib, const char *path)
{
	size_t i;

	for (i = 0; i < ib->npend; i++)
		if (!strcmp(ib->pend[i].path, path))
			return &ib->pend[i];
	return NULL;
}

static void pending_drop(svdd_inbox *ib, size_t i)
{
	free(ib->pend[i].path);
	ib->pend[i] = ib->pend[--ib->npend];
}

/* Look at one folder's *.tar.zst files: new or changed ones start settling. */
static void scan_folder(svdd_inbox *ib, const char *folder, int64_t now)
{
	char path[4096];
	struct dirent *e;
	struct stat st;
	DIR *d = opendir(folder);

	if (!d) {
		svdd_log(SVDD_WARN, "inbox: %s: cannot read the folder: %s", folder,
		         strerror(errno));
		return;
	}
	records_load(ib);
	while ((e = readdir(d))) {
		pending *p;
		if (e->d_name[0] == '.' || !has_suffix(e->d_name, SUFFIX))
			continue;
		snprintf(path, sizeof(path), "%s/%s", folder, e->d_name);
		if (stat(path, &st) < 0 || !S_ISREG(st.st_mode) || record_by_stat(ib, &st))
			continue;
		if ((p = pending_find(ib, path))) {
			if (p->size != (uint64_t)st.st_size || p->mtime_ns != mtime_ns(&st) ||
			    p->ino != (uint64_t)st.st_ino || p->dev != (uint64_t)st.st_dev)
				p->changed = now;
		} else {
			pending *grown = realloc(ib->pend, (ib->npend + 1) * sizeof(*grown));
			if (!grown)
				break;
			ib->pend = grown;
			p = &grown[ib->npend];
			memset(p, 0, sizeof(*p));
			if (!(p->path = strdup(path)))
				break;
			ib->npend++;
			p->changed = now;
			svdd_log(SVDD_DEBUG, "inbox: %s: new; waiting %u s for it to settle", path,
			         ib->settle);
		}
		p->size = (uint64_t)st.st_size;
		p->mtime_ns = mtime_ns(&st);
		p->ino = (uint64_t)st.st_ino;
		p->dev = (uint64_t)st.st_dev;
		p->seen = 1;
	}
	closedir(d);
}

/* A stick in this folder? Then sync with it once its files have settled. */
static void scan_stick(svdd_inbox *ib, size_t k, const svdd_config *c, int64_t now,
                       volatile sig_atomic_t *stop)
{
	char root[4096], sub[4200];
	struct stat st;
	stick *s = &ib->sticks[k];
	uint64_t print;

	snprintf(root, sizeof(root), "%s/samvydav", ib->folders[k]);
	if (stat(root, &st) < 0 || !S_ISDIR(st.st_mode)) {
		if (s->synced || s->print)
			svdd_log(SVDD_DEBUG, "stick %s: gone", root);
		memset(s, 0, sizeof(*s));
		return;
	}
	if (s->dev != (uint64_t)st.st_dev || s->ino != (uint64_t)st.st_ino) {
		memset(s, 0, sizeof(*s));
		s->dev = (uint64_t)st.st_dev;
		s->ino = (uint64_t)st.st_ino;
		s->changed = now;
		svdd_log(SVDD_INFO, "stick %s: found; waiting %u s for it to settle", root,
		         ib->settle);
	}
	if (s->synced)
		return;
	snprintf(sub, sizeof(sub), "%s/bundles", root);
	print = print_dir(14695981039346656037ull, sub);
	snprintf(sub, sizeof(sub), "%s/have", root);
	print = print_dir(print * 31, sub);
	if (print != s->print) {
		s->print = print;
		s->changed = now;
	}
	if (now - s->changed < (int64_t)ib->settle * 1000 || now < s->retry)
		return;
	switch (stick_sync(ib, c, root, stop)) {
	case 0:
		s->synced = 1;
		break;
	case IMP_BUSY:
		s->retry = now + BUSY_RETRY_MS;
		break;
	default:
		s->retry = now + (int64_t)ib->rescan * 1000;
		break;
	}
}

void svdd_inbox_run(svdd_inbox *ib, const svdd_config *c, int64_t now, volatile sig_atomic_t *stop)
{
	svd_archive *a = NULL;
	size_t i, k;

	ib->settle = c->inbox_settle;
	ib->rescan = c->inbox_rescan;
	if (now >= ib->next_scan || ib->npend) {
		for (i = 0; i < ib->npend; i++)
			ib->pend[i].seen = 0;
		for (k = 0; k < ib->nfolders; k++)
			scan_folder(ib, ib->folders[k], now);
		/* files that went away are forgotten */
		for (i = 0; i < ib->npend;)
			if (!ib->pend[i].seen)
				pending_drop(ib, i);
			else
				i++;
	}
	for (i = 0; i < ib->npend && !*stop;) {
		pending *p = &ib->pend[i];
		int r;
		if (now - p->changed < (int64_t)ib->settle * 1000 || now < p->retry) {
			i++;
			continue;
		}
		r = import_bundle(ib, &a, p->path, NULL, NULL);
		if (r == IMP_BUSY) {
			p->retry = mono_ms() + BUSY_RETRY_MS;
			i++;
		} else if (r == IMP_FAIL) {
			p->retry = mono_ms() + (int64_t)ib->rescan * 1000;
			i++;
		} else if (r == IMP_CHANGED) {
			p->changed = mono_ms();
			i++;
		} else {
			pending_drop(ib, i);
		}
	}
	svd_archive_free(a);
	if (now >= ib->next_scan) {
		for (k = 0; k < ib->nfolders && !*stop; k++)
			scan_stick(ib, k, c, now, stop);
		ib->next_scan = mono_ms() + (int64_t)ib->rescan * 1000;
	}
}

int64_t svdd_inbox_due(const svdd_inbox *ib)
{
	int64_t due = -1, t;
	size_t i;

	if (!ib || !ib->nfolders)
		return -1;
	due = ib->next_scan;
	for (i = 0; i < ib->npend; i++) {
		t = ib->pend[i].changed + (int64_t)ib->settle * 1000;
		if (ib->pend[i].retry > t)
			t = ib->pend[i].retry;
		if (t < due)
			due = t;
	}
	for (i = 0; i < ib->nfolders; i++) {
		const stick *s = &ib->sticks[i];
		if (!s->dev || s->synced)
			continue;
		t = s->changed + (int64_t)ib->settle * 1000;
		if (s->retry > t)
			t = s->retry;
		if (t < due)
			due = t;
	}
	return due;
}

/* ----------------------------------------------------------------- inotify */

int svdd_inbox_fd(const svdd_inbox *ib)
{
	return ib ? ib->fd : -1;
}

void svdd_inbox_events(svdd_inbox *ib, int64_t now)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	ssize_t n;
	int any = 0;

	if (ib->fd < 0)
		return;
	while ((n = read(ib->fd, buf, sizeof(buf))) > 0)
		any = 1;
	if (any)
		ib->next_scan = now; /* a full scan is cheap: look at once */
}

static void unwatch(svdd_inbox *ib)
{
	size_t i;

	for (i = 0; i < ib->nfolders; i++) {
		if (ib->fd >= 0 && ib->wd[i] >= 0)
			inotify_rm_watch(ib->fd, ib->wd[i]);
		free(ib->folders[i]);
	}
	free(ib->folders);
	free(ib->wd);
	free(ib->sticks);
	ib->folders = NULL;
	ib->wd = NULL;
	ib->sticks = NULL;
	ib->nfolders = 0;
}

static int watch(svdd_inbox *ib, const svdd_config *c)
{
	size_t i;

	ib->settle = c->inbox_settle;
	ib->rescan = c->inbox_rescan;
	if (!c->ninbox)
		return 0;
	if (!(ib->folders = calloc(c->ninbox, sizeof(*ib->folders))) ||
	    !(ib->wd = calloc(c->ninbox, sizeof(*ib->wd))) ||
	    !(ib->sticks = calloc(c->ninbox, sizeof(*ib->sticks))))
		return -1;
	for (i = 0; i < c->ninbox; i++) {
		if (!(ib->folders[i] = strdup(c->inbox[i])))
			return -1;
		ib->nfolders++;
		ib->wd[i] = -1;
		if (ib->fd >= 0 &&
		    (ib->wd[i] = inotify_add_watch(ib->fd, c->inbox[i],
		                                   IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE |
		                                       IN_DELETE | IN_ONLYDIR)) < 0)
			svdd_log(
			    SVDD_WARN,
			    "inbox: %s: cannot watch the folder: %s; it is rescanned every %u s "
			    "instead (raise fs.inotify.max_user_watches if that is the cause)",
			    c->inbox[i], strerror(errno), c->inbox_rescan);
	}
	return 0;
}

int svdd_inbox_open(svdd_inbox **out, const svdd_config *c)
{
	svdd_inbox *ib = calloc(1, sizeof(*ib));

	*out = NULL;
	if (!ib || !(ib->archive = strdup(c->archive))) {
		free(ib);
		return -1;
	}
	ib->fd = -1;
	if (c->ninbox && (ib->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) < 0)
		svdd_log(SVDD_WARN,
		         "inbox: cannot use inotify: %s; the folders are rescanned every %u s",
		         strerror(errno), c->inbox_rescan);
	if (watch(ib, c) < 0) {
		svdd_inbox_free(ib);
		return -1;
	}
	ib->next_scan = 0;
	*out = ib;
	return 0;
}

void svdd_inbox_reconfigure(svdd_inbox *ib, const svdd_config *c)
{
	char **old = ib->folders;
	stick *olds = ib->sticks;
	size_t i, j, nold = ib->nfolders;

	/* keep the sticks' states, so that a stick already synced is not synced again */
	ib->folders = NULL;
	ib->sticks = NULL;
	for (i = 0; i < nold; i++)
		if (ib->fd >= 0 && ib->wd[i] >= 0)
			inotify_rm_watch(ib->fd, ib->wd[i]);
	free(ib->wd);
	ib->wd = NULL;
	ib->nfolders = 0;
	for (i = 0; i < ib->npend; i++)
		free(ib->pend[i].path);
	free(ib->pend);
	ib->pend = NULL;
	ib->npend = 0;
	if (c->ninbox && ib->fd < 0)
		ib->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (watch(ib, c) < 0)
		svdd_log(SVDD_ERROR, "inbox: out of memory; the inbox is not watched");
	for (i = 0; i < ib->nfolders; i++)
		for (j = 0; j < nold; j++)
			if (!strcmp(ib->folders[i], old[j]))
				ib->sticks[i] = olds[j];
	for (j = 0; j < nold; j++)
		free(old[j]);
	free(old);
	free(olds);
	ib->next_scan = 0;
}

void svdd_inbox_free(svdd_inbox *ib)
{
	size_t i;

	if (!ib)
		return;
	unwatch(ib);
	for (i = 0; i < ib->npend; i++)
		free(ib->pend[i].path);
	free(ib->pend);
	records_clear(ib);
	if (ib->fd >= 0)
		close(ib->fd);
	free(ib->archive);
	free(ib);
}
