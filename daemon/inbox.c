/*
 * inbox.c: bundles arriving in the inbox folders: watching the folders,
 * waiting for files to settle, importing each through the library, and
 * the log. See inbox.h; records.c keeps what was handled, sticks.c the
 * couriers' sticks.
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

#include "inbox_internal.h"
#include "log.h"

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t svdd_mtime_ns(const struct stat *st)
{
	return (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
}

/* fsync a folder, so that a rename or a new file in it survives a power cut. */
int svdd_fsync_dir(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC), r;

	if (fd < 0)
		return -1;
	r = fsync(fd);
	close(fd);
	return r;
}

/* ----------------------------------------------------------------- import */

int svdd_on_item(const svd_verdict *v, void *payload)
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
		svdd_log(SVDD_WARN, "inbox: %s: %s: left out %s: %s: %s", x->path, id ? id : "-",
		         file, svd_verdict_dropped_check(v, i), msg);
	}
	return 0;
}

void svdd_on_damage(uint64_t offset, uint64_t length, const char *what, void *payload)
{
	ictx *x = payload;

	svdd_log(SVDD_WARN, "inbox: %s: damaged at byte %llu (%llu bytes): %s", x->path,
	         (unsigned long long)offset, (unsigned long long)length, what);
}

/* The outcome of an import, for the inbox and for sticks alike. */
void svdd_log_imported(const svdd_inbox *ib, const char *path, const char *outcome,
                       const svd_bundle_stats *bs, const svd_txn_stats *ts, const char *commit)
{
	if (!strcmp(outcome, "refused"))
		svdd_log(SVDD_WARN,
		         "inbox: %s: refused: not a readable bundle (no item in it; see "
		         "%s/refused/); the file is left where it is",
		         path, ib->archive);
	else
		svdd_log(strcmp(outcome, "imported") ? SVDD_WARN : SVDD_INFO,
		         "inbox: %s: imported%s: %zu items: %zu added, %zu co-signed, %zu "
		         "already here, %zu refused, %zu lost to damage, %zu signature updates "
		         "skipped (not held here)%s%.12s",
		         path, bs->sealed ? " (sealed)" : "",
		         bs->declared ? bs->declared : bs->items, ts->added, ts->cosigned,
		         ts->unchanged, bs->refused, bs->lost, bs->skipped,
		         *commit ? "; main at " : "", commit);
}

/*
 * A file that is no bundle for this mirror: sealed for other mirrors (no key
 * of the ring opens it), a sealed have-file, a sealed write never finished,
 * or junk. It is recorded, so it is not tried again until it changes.
 */
static void log_unopened(const char *shown, int error)
{
	if (error == SVD_ENOKEY)
		svdd_log(SVDD_WARN,
		         "inbox: %s: refused: no key of this mirror opens it and it is no plain "
		         "bundle (sealed for other mirrors, or not a bundle); the file is left "
		         "where it is and not tried again unless it changes (after adding its "
		         "sender with samvydav network add, reload the daemon and touch it)",
		         shown);
	else
		svdd_log(SVDD_WARN,
		         "inbox: %s: refused: %s; the file is left where it is and not tried "
		         "again unless it changes",
		         shown, svd_error_last());
}

/*
 * Import one settled bundle, plain or sealed, unless its content was seen
 * before. One operation, one commit.
 */
static int import_bundle(svdd_inbox *ib, svd_archive **a, const char *path)
{
	struct stat st, st2;
	char sha[HASH_HEX + 1], commit[SVD_COMMIT_HEX_LEN + 1] = "", shown[4096];
	svd_bundle_stats bs;
	svd_txn *txn = NULL;
	ictx x = {shown};
	svd_bundle_cbs cbs = {svdd_on_item, svdd_on_damage, NULL, &x, NULL, ib->keys};
	const record *known;
	int fd, error, ret = IMP_DONE;

	svdd_shown(shown, sizeof(shown), path);
	svdd_records_load(ib);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)) < 0) {
		if (errno == ENOENT)
			return IMP_GONE;
		svdd_log(SVDD_WARN, "inbox: %s: cannot open: %s; trying again at the next rescan",
		         shown, strerror(errno));
		return IMP_FAIL;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return IMP_GONE;
	}
	if (svdd_record_by_stat(ib, &st)) {
		close(fd);
		return IMP_DONE;
	}
	if (svdd_hash_fd(sha, fd) < 0 || fstat(fd, &st2) < 0) {
		svdd_log(SVDD_WARN, "inbox: %s: cannot read: %s; trying again at the next rescan",
		         shown, strerror(errno));
		close(fd);
		return IMP_FAIL;
	}
	close(fd);
	if (st2.st_size != st.st_size || svdd_mtime_ns(&st2) != svdd_mtime_ns(&st))
		return IMP_CHANGED;
	if ((known = svdd_record_by_sha(ib, sha))) {
		svdd_log(SVDD_INFO,
		         "inbox: %s: the same bundle as %s (sha256 %.16s..., %s); not importing it "
		         "again",
		         shown, known->path, sha, known->outcome);
		svdd_remember(ib, sha, &st, "duplicate", shown);
		return IMP_DONE;
	}
	if (!*a && svd_archive_open(a, ib->archive) < 0) {
		svdd_log(SVDD_ERROR, "inbox: %s: %s; trying again at the next rescan", shown,
		         svd_error_last());
		return IMP_FAIL;
	}
	if ((error = svd_txn_begin(&txn, *a)) < 0) {
		if (error == SVD_ELOCKED) {
			svdd_log(SVDD_WARN,
			         "inbox: %s: the archive is busy (%s); trying again soon", shown,
			         svd_error_last());
			return IMP_BUSY;
		}
		svdd_log(SVDD_ERROR, "inbox: %s: %s; trying again at the next rescan", shown,
		         svd_error_last());
		return IMP_FAIL;
	}
	memset(&bs, 0, sizeof(bs));
	error = svd_bundle_import(txn, path, &cbs, &bs);
	if (error == SVD_ENOTFOUND) {
		ret = IMP_GONE;
		goto cleanup;
	}
	if (error == SVD_ENOKEY || error == SVD_EINVALID) {
		/* nothing was staged: the operation is dropped, main stays */
		log_unopened(shown, error);
		svdd_remember(ib, sha, &st, error == SVD_ENOKEY ? "nokey" : "refused", shown);
		goto cleanup;
	}
	if (error < 0 && error != SVD_ECORRUPT) {
		svdd_log(SVDD_ERROR,
		         "inbox: %s: cannot import: %s; trying again at the next rescan", shown,
		         svd_error_last());
		ret = IMP_FAIL;
		goto cleanup;
	}
	if (svd_txn_commit(txn, NULL, commit) < 0) {
		svdd_log(SVDD_ERROR,
		         "inbox: %s: cannot commit what was imported: %s; trying again at the next "
		         "rescan",
		         shown, svd_error_last());
		ret = IMP_FAIL;
		goto cleanup;
	}
	{
		int bad = error == SVD_ECORRUPT;
		const char *outcome = bad && !bs.items && !bs.declared ? "refused"
		                      : bad                            ? "partly"
		                                                       : "imported";
		svdd_log_imported(ib, shown, outcome, &bs, svd_txn_stats_get(txn), commit);
		svdd_remember(ib, sha, &st, outcome, shown);
		/* the crash tests' point: committed and recorded (pause.h) */
		svd_pause_point("inbox.recorded");
	}
cleanup:
	svd_txn_free(txn);
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

/*
 * Look at one folder's files: new or changed ones start settling. Every
 * regular file counts, not only *.tar.zst: a sealed bundle's name is
 * random (SPEC.md, 12.6). Names starting with '.' are left alone.
 */
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
	svdd_records_load(ib);
	while ((e = readdir(d))) {
		pending *p;
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", folder, e->d_name);
		if (stat(path, &st) < 0 || !S_ISREG(st.st_mode) || svdd_record_by_stat(ib, &st))
			continue;
		if ((p = pending_find(ib, path))) {
			if (p->size != (uint64_t)st.st_size || p->mtime_ns != svdd_mtime_ns(&st) ||
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
		p->mtime_ns = svdd_mtime_ns(&st);
		p->ino = (uint64_t)st.st_ino;
		p->dev = (uint64_t)st.st_dev;
		p->seen = 1;
	}
	closedir(d);
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
		/* a stick whose sealed files lie in its root is the stick sync's alone */
		for (k = 0; k < ib->nfolders; k++)
			if (!svdd_sealed_root(ib, c, ib->folders[k]))
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
			svdd_scan_stick(ib, k, c, now, stop);
		ib->next_scan = mono_ms() + (int64_t)ib->rescan * 1000;
	}
}

void svdd_inbox_set_network(svdd_inbox *ib, const svd_seal_keys *keys, const char *folder)
{
	if (ib) {
		ib->keys = keys;
		ib->net_folder = folder;
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
	svdd_records_clear(ib);
	if (ib->fd >= 0)
		close(ib->fd);
	free(ib->archive);
	free(ib);
}
