/*
 * inbox.c: bundles arriving in the inbox folders, and couriers' sticks.
 * See inbox.h for what it does; the library does the importing and the
 * stick's exchange (stick.h), this file the waiting, the record and the log.
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
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include <samvydav/samvydav.h>
#include <samvydav/bundle.h>

#include "inbox.h"
#include "log.h"

#define IMPORTED_FILE "imported"
#define OUTGOING_DIR  "outgoing" /* where bundles for sticks are made */
#define BUSY_RETRY_MS 5000       /* the archive's write lock is held */
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


/* ARCHIVE/daemon-state, or a file in it, into out (the layout is the library's). */
static void state_path(char *out, size_t size, const char *archive, const char *name)
{
	char *p = svd_archive_place_path(archive, SVD_PLACE_DAEMON, name, 0);

	snprintf(out, size, "%s", p ? p : "");
	free(p);
}
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
	state_path(path, sizeof(path), ib->archive, IMPORTED_FILE);
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

	state_path(dir, sizeof(dir), ib->archive, NULL);
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		goto fail;
	state_path(path, sizeof(path), ib->archive, IMPORTED_FILE);
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

	state_path(dir, sizeof(dir), ib->archive, NULL);
	if (mkdir(dir, 0755) == 0)
		fresh = 1;
	else if (errno != EEXIST)
		goto fail;
	state_path(path, sizeof(path), ib->archive, IMPORTED_FILE);
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

static void remember_file(svdd_inbox *ib, const char *sha, uint64_t size, int64_t mtime,
                          uint64_t ino, uint64_t dev, const char *outcome, const char *path)
{
	record r = {0};

	snprintf(r.sha, sizeof(r.sha), "%s", sha);
	r.size = size;
	r.mtime_ns = mtime;
	r.ino = ino;
	r.dev = dev;
	snprintf(r.outcome, sizeof(r.outcome), "%s", outcome);
	r.path = (char *)path;
	if (records_add(ib, &r) < 0)
		svdd_log(SVDD_ERROR, "inbox: out of memory");
	else
		records_append(ib, &r);
}

static void remember(svdd_inbox *ib, const char *sha, const struct stat *st, const char *outcome,
                     const char *path)
{
	remember_file(ib, sha, (uint64_t)st->st_size, mtime_ns(st), (uint64_t)st->st_ino,
	              (uint64_t)st->st_dev, outcome, path);
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

/* Whose items and damage are being logged: the bundle, as the log shows it. */
typedef struct ictx {
	const char *path;
} ictx;

static int on_item(const svd_verdict *v, void *payload)
{
	ictx *x = payload;
	const char *id = svd_verdict_id(v);
	size_t i;

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

	svdd_log(SVDD_WARN, "inbox: %s: damaged at byte %llu (%llu bytes): %s", x->path,
	         (unsigned long long)offset, (unsigned long long)length, what);
}

/* The outcome of an import, for the inbox and for sticks alike. */
static void log_imported(const svdd_inbox *ib, const char *path, const char *outcome,
                         const svd_bundle_stats *bs, const svd_txn_stats *ts, const char *commit)
{
	if (!strcmp(outcome, "refused"))
		svdd_log(SVDD_WARN,
		         "inbox: %s: refused: not a readable bundle (no item in it; see "
		         "%s/refused/); the file is left where it is",
		         path, ib->archive);
	else
		svdd_log(strcmp(outcome, "imported") ? SVDD_WARN : SVDD_INFO,
		         "inbox: %s: imported: %zu items: %zu added, %zu co-signed, %zu "
		         "already here, %zu refused, %zu lost to damage%s%.12s",
		         path, bs->declared ? bs->declared : bs->items, ts->added, ts->cosigned,
		         ts->unchanged, bs->refused, bs->lost, *commit ? "; main at " : "", commit);
}

enum { IMP_DONE = 0, IMP_BUSY = 1, IMP_GONE = 2, IMP_FAIL = 3, IMP_CHANGED = 4 };

/*
 * Import one settled bundle, unless its content was seen before. One
 * operation, one commit.
 */
static int import_bundle(svdd_inbox *ib, svd_archive **a, const char *path)
{
	struct stat st, st2;
	char sha[HASH_HEX + 1], commit[SVD_COMMIT_HEX_LEN + 1] = "";
	svd_bundle_stats bs;
	svd_txn *txn = NULL;
	ictx x = {path};
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
		int bad = error == SVD_ECORRUPT;
		const char *outcome = bad && !bs.items && !bs.declared ? "refused"
		                      : bad                            ? "partly"
		                                                       : "imported";
		log_imported(ib, path, outcome, &bs, svd_txn_stats_get(txn), commit);
		remember(ib, sha, &st, outcome, path);
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

/* What the stick's callbacks share. */
typedef struct sctx {
	svdd_inbox *ib;
	const char *root; /* FOLDER/samvydav, as the log names the stick */
	volatile sig_atomic_t *stop;
	ictx x; /* the bundle being read, for its items' lines */
	char bundle[4096];
} sctx;

/* The daemon's record answers for the library: a bundle seen before is not imported again. */
static int stick_seen(const svd_stick_file *f, void *payload)
{
	sctx *sc = payload;
	const record *known;

	records_load(sc->ib);
	if (!f->sha256) {
		struct stat st = {0};
		st.st_dev = (dev_t)f->dev;
		st.st_ino = (ino_t)f->ino;
		st.st_size = (off_t)f->size;
		st.st_mtim.tv_sec = (time_t)(f->mtime_ns / 1000000000);
		st.st_mtim.tv_nsec = (long)(f->mtime_ns % 1000000000);
		return record_by_stat(sc->ib, &st) != NULL;
	}
	if (!(known = record_by_sha(sc->ib, f->sha256)))
		return 0;
	svdd_log(SVDD_INFO,
	         "inbox: %s: the same bundle as %s (sha256 %.16s..., %s); not importing it again",
	         f->shown, known->path, f->sha256, known->outcome);
	remember_file(sc->ib, f->sha256, f->size, f->mtime_ns, f->ino, f->dev, "duplicate",
	              f->shown);
	return 1;
}

static void stick_record(const svd_stick_file *f, const char *outcome, void *payload)
{
	sctx *sc = payload;

	remember_file(sc->ib, f->sha256, f->size, f->mtime_ns, f->ino, f->dev, outcome, f->shown);
	if (strcmp(outcome, "written"))
		svd_pause_point("inbox.recorded"); /* committed and recorded (pause.h) */
}

static int stick_item(const svd_verdict *v, void *payload)
{
	return on_item(v, &((sctx *)payload)->x);
}

static void stick_damage(uint64_t offset, uint64_t length, const char *what, void *payload)
{
	on_damage(offset, length, what, &((sctx *)payload)->x);
}

/* Each step of the exchange as a log line; a signal stops it between two steps. */
static int stick_step(const svd_stick_event *ev, void *payload)
{
	sctx *sc = payload;

	switch (ev->step) {
	case SVD_STICK_BUNDLE_BEGIN:
		snprintf(sc->bundle, sizeof(sc->bundle), "%s", ev->file->shown);
		break;
	case SVD_STICK_BUNDLE_IMPORTED:
		log_imported(sc->ib, ev->file->shown, ev->outcome, ev->stats, ev->txn, ev->commit);
		break;
	case SVD_STICK_BUNDLE_FAILED:
	case SVD_STICK_HAVE_REFUSED:
	case SVD_STICK_WARNING:
	case SVD_STICK_MIRROR_FAILED:
	case SVD_STICK_PARTS_LEFT:
		svdd_log(SVDD_WARN, "stick %s: %s", sc->root, ev->message);
		break;
	case SVD_STICK_MIRROR_LACKS_NOTHING:
		svdd_log(SVDD_INFO, "stick %s: mirror %s lacks nothing; no bundle for it", sc->root,
		         ev->mirror);
		break;
	case SVD_STICK_WRITTEN:
		svdd_log(SVDD_INFO, "stick: wrote %s for %s (%llu bytes)", ev->file->shown,
		         ev->mirror, (unsigned long long)ev->file->size);
		break;
	case SVD_STICK_BUNDLE_SKIPPED:
	case SVD_STICK_HAVE_WRITTEN:
		break;
	}
	return *sc->stop ? -1 : 0;
}

/*
 * Sync with the stick in folder (its samvydav/ is root): the library does
 * the exchange (stick.h), the daemon keeps the record and the log.
 */
static int stick_sync(svdd_inbox *ib, const svdd_config *c, const char *folder, const char *root,
                      volatile sig_atomic_t *stop)
{
	char scratch[4200];
	sctx sc = {0};
	svd_stick_opts so = {0};
	svd_stick_result res = {0};
	svd_archive *a = NULL;
	size_t i, mirrors = 0;
	int error, ret = 0;

	sc.ib = ib;
	sc.root = root;
	sc.stop = stop;
	sc.x.path = sc.bundle;
	svdd_log(SVDD_INFO, "stick %s: syncing", root);
	if (svd_archive_open(&a, ib->archive) < 0) {
		svdd_log(SVDD_ERROR, "stick %s: %s", root, svd_error_last());
		return IMP_FAIL;
	}
	state_path(scratch, sizeof(scratch), ib->archive, OUTGOING_DIR);
	so.max_size = c->outbox_maxsize;
	so.threads = 1;
	so.scratch = scratch;
	so.seen = stick_seen;
	so.record = stick_record;
	so.step = stick_step;
	so.item = stick_item;
	so.damage = stick_damage;
	so.payload = &sc;
	error = svd_stick_sync(a, folder, &so, &res);
	if (error == SVD_ELOCKED) {
		svdd_log(SVDD_WARN, "stick %s: %s; trying again soon", root, svd_error_last());
		ret = IMP_BUSY;
	} else if (error < 0) {
		if (!*stop)
			svdd_log(SVDD_ERROR, "stick %s: %s", root, svd_error_last());
		ret = IMP_FAIL;
	} else {
		for (i = 0; i < res.nmirrors; i++)
			mirrors += res.mirrors[i].files > 0;
		svdd_log(SVDD_INFO,
		         "stick %s: %zu bundles read (%zu items added), %zu files written for %zu "
		         "mirror%s, have-file %s written; you may remove it now",
		         root, res.imported + res.skipped, res.added, res.files, mirrors,
		         mirrors == 1 ? "" : "s", res.have);
	}
	svd_stick_result_clear(&res);
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
	switch (stick_sync(ib, c, ib->folders[k], root, stop)) {
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
		r = import_bundle(ib, &a, p->path);
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
